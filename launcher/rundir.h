/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vmlaunch's runtime directories: /run/vmlaunch/NAME/ (mode 0700) for root,
 * $XDG_RUNTIME_DIR/vmlaunch/NAME/ otherwise.  Each holds qmp.sock, state.json
 * and, for a daemonized VM, console.log and qemu.log.
 *
 * Nothing here follows a symlink: the base and each VM's directory are opened
 * with O_NOFOLLOW and must be directories owned by us, files are reached with
 * openat/unlinkat from them, and an entry that is a link is refused.
 * state.json is written atomically (a new temporary file, fsync, rename) from
 * before QEMU starts, so a vmlaunch killed at any point leaves a state that
 * says what is alive: "starting", "running", or "orphan" (QEMU alive, its
 * vmlaunch gone), which list shows and stop can end.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <jansson.h>

/* The base directory.  0, or -ENOENT when not root and XDG_RUNTIME_DIR is unset. */
int rundir_base(char *buf, size_t len);

/* True when @name is a usable VM name: 1-32 of [A-Za-z0-9_.-], not starting with '.' or '-'. */
bool rundir_valid_name(const char *name);

/* Create NAME's directory (mode 0700) into @dir.  A leftover directory of a VM that
 * is gone is removed first.  0, -EEXIST when a VM of that name is alive (running,
 * starting, or an orphan QEMU), -ELOOP when an entry is a link, -EPERM when a
 * directory is not ours, -errno. */
int rundir_create(const char *name, char *dir, size_t len);

/* Remove the directory and what vmlaunch put there.  0 or -errno. */
int rundir_remove(const char *dir);

/* state.json, typed: every reader goes through vmstate_parse, so a key misspelt or
 * of the wrong type is an error, not a 0.  The file may carry more (vmpin's report:
 * each thread's affinity), which vmstate_json keeps. */
#define VMSTATE_MAX_VCPUS 1024

struct vmstate_vcpu {
	int vcpu;                 /* QEMU's cpu-index */
	pid_t tid;
	int cpu;                  /* the CPU it was pinned to; -1 unknown */
};

struct vmstate {
	char name[64];
	char phase[16];           /* as written: "starting" or "running" */
	char qmp[4096];           /* its QMP socket */
	pid_t supervisor;         /* the vmlaunch that supervises it */
	pid_t pid;                /* QEMU; 0 before it exists */
	char accel[8];            /* "kvm", "tcg" or "" */
	unsigned nvcpus;
	struct vmstate_vcpu *vcpus; /* [nvcpus] */
	json_t *rest;             /* what else the file holds (NULL: nothing) */
};

/* @j into @st (vmstate_free it).  0, -EINVAL (a missing or mistyped key, a count or
 * number out of bounds), -ENOMEM. */
int vmstate_parse(const json_t *j, struct vmstate *st);

/* @st as state.json's object: the typed keys over @st->rest.  NULL on ENOMEM. */
json_t *vmstate_json(const struct vmstate *st);

void vmstate_free(struct vmstate *st);

/* Write @st as dir/state.json, atomically.  0 or -errno. */
int rundir_write_state(const char *dir, const struct vmstate *st);

/* Read NAME's state into @st; @dir (may be NULL) gets its directory.  0, -ENOENT
 * when there is none, -EINVAL when it is not a state vmlaunch wrote. */
int rundir_read_state(const char *name, struct vmstate *st, char *dir, size_t len);

/* True when the state's supervisor or QEMU process is alive. */
bool rundir_state_alive(const struct vmstate *st);

/* "running" or "starting" (its vmlaunch is alive), "orphan" (QEMU lives on without
 * it), "gone". */
const char *rundir_state_phase(const struct vmstate *st);

/* True when @pid is the QEMU of VM @name (its command line says guest=NAME): a pid
 * from a state file is checked before it is signalled, in case it was reused. */
bool rundir_is_qemu_of(pid_t pid, const char *name);

/* The states of every VM alive (running, starting or orphan), dropping (and
 * removing) those whose processes are gone, each with its live "phase".  A JSON
 * array of vmstate_json objects (caller decref's), or NULL on ENOMEM. */
json_t *rundir_list(void);

/* rundir_list with, for each vCPU, the one CPU it is pinned to now (read live from its
 * thread; null when it may run on several): [{"name", "pid", "phase", "qmp", "vcpus":
 * [{"vcpu", "tid", "cpu"}]}].  NULL on ENOMEM. */
json_t *rundir_list_pinned(void);

/* Is a vCPU of a VM in @pinned (rundir_list_pinned), other than VM @except (may be
 * NULL), pinned to @cpu?  1, with which one said in @buf; 0. */
int rundir_vcpu_on(const json_t *pinned, int cpu, const char *except, char *buf, size_t len);
