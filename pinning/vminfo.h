/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A running QEMU seen from the host: its vCPU threads, its other threads,
 * where its guest RAM lives, and (when sampled) where each vCPU really ran.
 */
#pragma once
#include <signal.h>
#include <stdint.h>
#include <sys/types.h>

#include "pinning/threads.h"

#define VMINFO_MAX_NODES 64

struct vminfo {
	pid_t pid;
	struct task *tasks;           /* every thread of the process, by tid */
	unsigned ntasks;
	int *vcpu_task;               /* [nvcpus]: index into tasks; -1 for a number QEMU has no vCPU of
				       * (a hot-plug gap: vCPUs are numbered by QEMU's cpu-index) */
	unsigned nvcpus;              /* highest vCPU number + 1 */
	bool single_thread_tcg;       /* one "ALL CPUs/TCG" thread runs every vCPU */

	/* Guest RAM: the largest hugetlb mapping, else the largest writable, non-executable one. */
	uint64_t ram_kb;
	unsigned long ram_page_kb;    /* KernelPageSize: 4 unless hugepage-backed */
	uint64_t ram_thp_kb;          /* AnonHugePages within it */
	char ram_path[256];           /* the backing file ("" when anonymous) */
	uint64_t ram_node_pages[VMINFO_MAX_NODES]; /* from numa_maps; all 0 when unknown */

	/* Sampling: per vCPU, nanoseconds of run time seen on each CPU. */
	double sample_seconds;        /* 0 when not sampled */
	unsigned sample_ncpus;        /* width of each row */
	uint64_t *sample_ns;          /* [nvcpus * sample_ncpus] */
};

/* Read QEMU process @pid, finding vCPU threads by their names ("CPU n/KVM",
 * "CPU n/TCG"; nvcpus is 0 when none has such a name: QEMU without
 * debug-threads=on, or not QEMU).  0, or -ESRCH (no such process), -ENOMEM, -errno. */
int vminfo_read(pid_t pid, struct vminfo *vi);

/* Identify vCPU threads by tid instead (QMP query-cpus-fast): vCPU index[i] (its
 * cpu-index) runs on thread tids[i].  0, or -ENOENT when a tid is not a thread of
 * the process, -EINVAL for an index listed twice or absurd. */
int vminfo_set_vcpu_tids(struct vminfo *vi, const unsigned *index, const pid_t *tids, unsigned n);

/* How many vCPUs the VM has (gaps not counted). */
unsigned vminfo_vcpu_count(const struct vminfo *vi);

/* Watch the vCPU threads for @seconds at @hz samples per second and record where
 * each ran (run time since the previous sample is charged to the CPU it was on).
 * @ncpus bounds CPU numbers.  The sample ends early when *@stop becomes true (@stop
 * may be NULL) or the process goes away; sample_seconds says how long it lasted.
 * 0, or -ESRCH when the process went away (what was sampled until then is kept),
 * -errno. */
int vminfo_sample(struct vminfo *vi, double seconds, unsigned hz, unsigned ncpus, const volatile sig_atomic_t *stop);

void vminfo_free(struct vminfo *vi);
