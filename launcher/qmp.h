/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A QMP client: one Unix socket to a QEMU monitor in control mode.  Commands
 * carry ids; asynchronous events are queued apart from replies; partial reads,
 * several messages per read and events between replies are handled; every wait
 * is bounded.  Messages are JSON objects, one per line.
 */
#pragma once
#include <stdbool.h>
#include <sys/types.h>

#include <jansson.h>

struct qmp;

/* Why a call failed, for the one line the user sees. */
struct qmp_error {
	char cls[64];     /* QMP's error class ("CommandNotFound", "GenericError"), or "" */
	char desc[256];   /* QMP's description, or what went wrong on the socket */
};

/* Connect to @path, read the greeting and negotiate capabilities.  NULL with errno
 * (ETIMEDOUT, ECONNREFUSED, ECONNRESET when QEMU hung up, EPROTO for a bad greeting) and @err. */
struct qmp *qmp_connect(const char *path, int timeout_ms, struct qmp_error *err);

/* The same on a connected socket @fd (taken over: qmp_close closes it). */
struct qmp *qmp_open_fd(int fd, int timeout_ms, struct qmp_error *err);

/* The greeting's QEMU version as "7.2.22"; "" when unknown. */
const char *qmp_version(const struct qmp *q);

/* Run @cmd with @args (NULL, or an object this call takes over).  On success *ret
 * (may be NULL) gets the "return" value (caller json_decref's it).  0, or -EIO for a
 * QMP error (@err has class and description), -ETIMEDOUT, -ECONNRESET (QEMU hung
 * up, also mid-message), -EPROTO (malformed JSON), -ENOMEM. */
int qmp_execute(struct qmp *q, const char *cmd, json_t *args, json_t **ret, struct qmp_error *err);

/* Take the oldest queued event, or NULL. */
json_t *qmp_next_event(struct qmp *q);

/* Wait for event @name (queued ones first).  0 and *ev (may be NULL), -ETIMEDOUT, -ECONNRESET, -EPROTO. */
int qmp_wait_event(struct qmp *q, const char *name, int timeout_ms, json_t **ev, struct qmp_error *err);

/* Wait until QEMU closes the connection (after quit).  0, or -ETIMEDOUT. */
int qmp_wait_hangup(struct qmp *q, int timeout_ms);

/* The per-call timeout for qmp_execute, in milliseconds (default 5000). */
void qmp_set_timeout(struct qmp *q, int timeout_ms);

void qmp_close(struct qmp *q);

/* The socket, for getsockopt (the peer's pid) and poll. */
int qmp_fd(const struct qmp *q);

/* One vCPU from query-cpus-fast: its index and its HOST thread id (the top-level
 * "thread-id"; "props.thread-id" is the guest's SMT index, a different thing). */
struct qmp_vcpu {
	int index;
	pid_t tid;
};

/* query-cpus-fast into a malloc'd array sorted by index.  Count, or -errno with @err. */
int qmp_query_vcpus(struct qmp *q, struct qmp_vcpu **out, struct qmp_error *err);
