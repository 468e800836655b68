/*
 * vmlaunch's runtime directories: /run/vmlaunch/NAME/ (mode 0700) for root,
 * $XDG_RUNTIME_DIR/vmlaunch/NAME/ otherwise.  Each holds qmp.sock, state.json
 * and, for a daemonized VM, console.log and qemu.log.  state.json is written
 * atomically (a temporary name, then rename).
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

/* The base directory.  0, or -ENOENT when not root and XDG_RUNTIME_DIR is unset. */
int rundir_base(char *buf, size_t len);

/* True when @name is a usable VM name: 1-32 of [A-Za-z0-9_.-], not starting with '.' or '-'. */
bool rundir_valid_name(const char *name);

/* Create NAME's directory (mode 0700) into @dir.  A leftover directory of a VM that
 * is gone is removed first.  0, -EEXIST when a VM of that name runs, -errno. */
int rundir_create(const char *name, char *dir, size_t len);

/* Remove the directory and what vmlaunch put there.  0 or -errno. */
int rundir_remove(const char *dir);

/* Write @state as dir/state.json, atomically.  0 or -errno. */
int rundir_write_state(const char *dir, const json_t *state);

/* Read NAME's state; @dir (may be NULL) gets its directory.  NULL with errno ENOENT when none. */
json_t *rundir_read_state(const char *name, char *dir, size_t len);

/* True when the state's supervisor or QEMU process is alive. */
bool rundir_state_alive(const json_t *state);

/* The states of every VM, dropping (and removing) those whose processes are gone.
 * A JSON array (caller decref's), or NULL on ENOMEM. */
json_t *rundir_list(void);
