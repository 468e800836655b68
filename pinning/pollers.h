/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Busy pollers: threads of other processes that keep a CPU busy (another benchmark's
 * worker, a DPDK lcore, a vCPU that spins, a stray loop).  A benchmark that shares
 * its CPUs with one measures the sharing: the tools look before they start.
 *
 * Found by sampling every task's run time twice (/proc/PID/task/TID/schedstat, and
 * the CPU it last ran on), through fsroot; the judging is apart (pollers_judge), so
 * tests give it samples of their own.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "pinning/cpuset.h"

/* One task at one moment. */
struct poll_sample {
	pid_t pid, tid;
	int cpu;                  /* the CPU it last ran on */
	uint64_t runtime_ns;      /* its run time so far */
};

/* A thread found busy. */
struct poller {
	pid_t pid, tid;
	char comm[64];            /* the thread's name */
	char process[64];         /* its process's name */
	int cpu;                  /* the CPU it ran on */
	double share;             /* of that CPU over the sample, 0-1 */
	double age_s;             /* how long the thread has existed, seconds (-1: unknown) */
};

/* Every task on the host now, into a malloc'd array (*out).  The count, or -errno. */
int pollers_sample(struct poll_sample **out);

/* From two samples @a (@na tasks) and @b (@nb), @dt_ns apart: the tasks in both whose
 * run time grew by at least @min_share of @dt_ns and that ran on a CPU of @cpus, but
 * those of process @self (0: none).  Each as a struct poller (pid, tid, cpu, share;
 * names and age left empty) into @out, at most @max.  The count. */
unsigned pollers_judge(const struct poll_sample *a, unsigned na, const struct poll_sample *b, unsigned nb,
		       uint64_t dt_ns, const struct cpuset *cpus, double min_share, pid_t self, struct poller *out,
		       unsigned max);

/* Threads other than @self's that used at least @min_share of a CPU of @cpus over @ms
 * milliseconds, with their names and ages, into @out (at most @max).  The count, or
 * -errno. */
int pollers_find(const struct cpuset *cpus, unsigned ms, double min_share, pid_t self, struct poller *out,
		 unsigned max);

/* One line for a poller: "CPU 1: thread 'rte-worker-1' of reflector (pid 1234) used 99%
 * of it, running for 3 min".  The length, as snprintf. */
int pollers_describe(const struct poller *p, char *buf, size_t len);
