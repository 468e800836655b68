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

/* Write @state as dir/state.json, atomically.  0 or -errno. */
int rundir_write_state(const char *dir, const json_t *state);

/* Read NAME's state; @dir (may be NULL) gets its directory.  NULL with errno ENOENT when none. */
json_t *rundir_read_state(const char *name, char *dir, size_t len);

/* True when the state's supervisor or QEMU process is alive. */
bool rundir_state_alive(const json_t *state);

/* "running" or "starting" (its vmlaunch is alive), "orphan" (QEMU lives on without
 * it), "gone". */
const char *rundir_state_phase(const json_t *state);

/* True when @pid is the QEMU of VM @name (its command line says guest=NAME): a pid
 * from a state file is checked before it is signalled, in case it was reused. */
bool rundir_is_qemu_of(pid_t pid, const char *name);

/* The states of every VM alive (running, starting or orphan), dropping (and
 * removing) those whose processes are gone.  A JSON array (caller decref's), or
 * NULL on ENOMEM. */
json_t *rundir_list(void);

/* rundir_list with, for each vCPU, the one CPU it is pinned to now (read live from its
 * thread; null when it may run on several): [{"name", "pid", "phase", "qmp", "vcpus":
 * [{"vcpu", "tid", "cpu"}]}].  NULL on ENOMEM. */
json_t *rundir_list_pinned(void);

/* Is a vCPU of a VM in @pinned (rundir_list_pinned), other than VM @except (may be
 * NULL), pinned to @cpu?  1, with which one said in @buf; 0. */
int rundir_vcpu_on(const json_t *pinned, int cpu, const char *except, char *buf, size_t len);
