/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A QEMU that vmlaunch runs: spawned with its QMP listening socket as fd 3 and
 * stdin on /dev/null, in a process group of its own (a terminal's Ctrl-C reaches
 * the supervisor, which powers the guest down); the tail of its stderr kept for a
 * failure's message and forwarded once it runs; pinned at -S through QMP, then
 * continued; supervised until it ends: a stop powers the guest down, waits a grace,
 * quits, kills.  Nothing here prints: the caller says what happened.
 */
#pragma once
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include <jansson.h>

#include "launcher/qemucmd.h"
#include "launcher/vmpin.h"

struct qemu_run {
	pid_t pid;
	char sock[PATH_MAX + 16];  /* its QMP socket */
	int errfd;                 /* QEMU's stderr (-1: closed) */
	char errbuf[4096];         /* its last output, for a failure's message */
	size_t errlen;
	FILE *errout;              /* where its stderr goes once it runs (NULL: kept only) */
	bool quiet_stdout;         /* its stdout on /dev/null (a daemon's) */
};

/* A QMP listening socket at @path, mode 0600.  The fd, or -errno. */
int qemurun_listen(const char *path);

/* Fork and exec QEMU for @cfg (its qmp_fd is 3: @qmp_listen becomes fd 3), with
 * @oldmask as its signal mask.  The pid, or -errno. */
pid_t qemurun_spawn(struct qemu_run *r, const struct vm_config *cfg, int qmp_listen, const sigset_t *oldmask);

/* Read what QEMU printed, keeping the tail; @forward: also to r->errout. */
void qemurun_drain(struct qemu_run *r, bool forward);

/* The last non-empty line QEMU printed, or "". */
const char *qemurun_last_line(struct qemu_run *r);

/* Wait for @pid to end, at most @ms; kill it after that.  Its wait status. */
int qemurun_reap(pid_t pid, int ms);

/* Connect to QMP (waiting up to @timeout_ms for QEMU to listen), pin as @pin says,
 * cont, close QMP (QEMU serves one client at a time: attach, pincheck and stop need
 * it).  0 with *@result (vmpin_apply's); or -errno with @msg, QEMU stopped: it did
 * not answer, failed to start (its last line), waited for a vhost-user backend, or
 * could not be pinned. */
int qemurun_start_pinned(struct qemu_run *r, const struct vmpin_plan *pin, int timeout_ms, json_t **result, char *msg,
			 size_t len);

/* One QMP command on a fresh connection to @sock.  0 or -errno. */
int qemurun_qmp_once(const char *sock, const char *cmd, int timeout_ms);

/* Run until QEMU ends, its stderr forwarded.  A signal on signalfd @sfd (not SIGCHLD)
 * powers the guest down; after @grace seconds (or a second signal) QMP quit, 3 s
 * later SIGKILL.  QEMU's wait status; *@killed when it took the SIGKILL. */
int qemurun_supervise(struct qemu_run *r, int sfd, double grace, bool *killed);

/* Milliseconds of CLOCK_MONOTONIC, for deadlines. */
long long qemurun_now_ms(void);
