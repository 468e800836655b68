/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Pin a QEMU: each vCPU's host thread (from QMP query-cpus-fast) to its one CPU,
 * every other QEMU thread to the housekeeping (emulator) CPUs, then read every
 * affinity back.  Used by vmlaunch at -S, before the guest runs, and by attach.
 */
#pragma once
#include <jansson.h>
#include <sys/types.h>

#include "pinning/cpuset.h"
#include "launcher/qmp.h"
#include "pinning/vmap.h"

struct vmpin_plan {
	const struct vmap *map;
	struct cpuset emulator;   /* where QEMU's other threads go */
	int fifo_prio;            /* >0: vCPU threads get SCHED_FIFO at this priority */
};

/* Pin QEMU @pid as @p says; vCPUs are QEMU's cpu-indexes (the map may have gaps),
 * from QMP @q, or with @q NULL from the threads' names (-name debug-threads=on).
 * Every thread id QMP gives is checked to be a thread of @pid before anything is
 * pinned.  On success *result is {"pid", "vcpus": [{"vcpu", "tid", "cpu"}],
 * "emulator_cpus", "threads": [{"tid", "name", "allowed"}]}.  0, or -EINVAL (the VM
 * does not fit the map: other vCPU numbers, one thread for every vCPU), -ESRCH (a
 * thread id that is not QEMU's, or QEMU went away), -EIO (an affinity did not read
 * back as set), -errno; @msg says which, in one line. */
int vmpin_apply(struct qmp *q, pid_t pid, const struct vmpin_plan *p, json_t **result, char *msg, size_t len);

/* The pid of the process at the other end of QMP socket @q (SO_PEERCRED); -errno. */
pid_t vmpin_peer_pid(struct qmp *q);
