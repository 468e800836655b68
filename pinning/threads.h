/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The threads (tasks) of a process, as /proc shows them, and their affinity.
 * Reads go through fsroot; setting affinity acts on the live host only.
 */
#pragma once
#include <stdint.h>
#include <sys/types.h>

#include "pinning/cpuset.h"

struct task {
	pid_t tid;
	char name[64];            /* comm: "CPU 0/TCG", "qemu-system-x86", … */
	struct cpuset allowed;    /* Cpus_allowed_list */
	int last_cpu;             /* the CPU it last ran on (stat field 39) */
	long long migrations;     /* se.nr_migrations from …/sched; -1 when the kernel does not show it */
	long long voluntary;      /* voluntary context switches */
	long long involuntary;    /* involuntary context switches */
	int policy;               /* SCHED_OTHER, SCHED_FIFO, … */
	int rt_priority;          /* 0 for non-real-time policies */
	int nice;
	uint64_t runtime_ns;      /* time spent on a CPU (…/schedstat); 0 when unknown */
};

/* Read every task of @pid into a malloc'd array (*out, sorted by tid).
 * Returns the count, or -ESRCH (no such process), -ENOMEM, -errno. */
int task_list(pid_t pid, struct task **out);

/* Read one task.  0, or -ENOENT when it is gone, -errno. */
int task_read(pid_t pid, pid_t tid, struct task *t);

/* Read only what changes while sampling: last CPU and runtime.  0 or -errno. */
int task_read_sample(pid_t pid, pid_t tid, int *last_cpu, uint64_t *runtime_ns);

/* The vCPU index of a QEMU vCPU thread named "CPU n/KVM" or "CPU n/TCG" (or "CPU n/HVF"…); -1 otherwise. */
int task_vcpu_index(const char *name);

/* Pin thread @tid to @cpus (sched_setaffinity).  0 or -errno. */
int task_set_affinity(pid_t tid, const struct cpuset *cpus);

/* Read thread @tid's affinity (sched_getaffinity).  0 or -errno. */
int task_get_affinity(pid_t tid, struct cpuset *cpus);

/* "other", "fifo", "rr", "batch", "idle", "deadline" or "unknown". */
const char *task_policy_name(int policy);

/* This process's allowed CPUs (Cpus_allowed_list of /proc/self/status, which
 * reflects both sched_setaffinity and the cgroup cpuset).  0 or -errno. */
int task_self_allowed(struct cpuset *out);
