/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The benchmark's child processes (reflector, trafficgen, vmlaunch, pincheck):
 * started with an argv (never a shell), standard output read line by line with
 * deadlines, standard error into a file, stopped with a bounded wait.
 */
#pragma once
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct child {
	pid_t pid;               /* 0 once reaped */
	int out;                 /* its standard output; -1 once closed */
	int status;              /* its exit code once reaped (128+N for signal N) */
	char *buf;               /* output read but not yet returned as lines */
	size_t len, cap;
	size_t consumed;         /* the line returned last, dropped on the next call */
	bool eof;
};

/* The longest line child_line returns; longer ones are an error (-EMSGSIZE). */
#define CHILD_LINE_MAX (1 << 20)

/* Start @argv[0] (searched in PATH) with stdin on /dev/null, stdout to a pipe and
 * stderr into @errpath (created or truncated).  It ignores SIGINT (the caller stops
 * it) and gets SIGTERM if the caller dies.  0 or -errno. */
int child_spawn(struct child *c, char *const argv[], const char *errpath);

/* The next line of its output, without the newline, NUL-terminated in *@line
 * (valid until the next call).  Waits at most @ms (0: only what is there now).
 * 1 with a line, 0 at end of output, -ETIMEDOUT, -EINTR when *@stop became
 * true (may be NULL), -EMSGSIZE for a line over CHILD_LINE_MAX, -errno. */
int child_line(struct child *c, int ms, const volatile sig_atomic_t *stop, char **line);

/* Reap it if it has exited.  True when it has (c->status is set). */
bool child_exited(struct child *c);

/* Send @sig (0: none), wait up to @ms for it to exit, then SIGKILL.  Its exit code
 * (128+N when killed by signal N); the pipe is closed.  0 when already reaped. */
int child_stop(struct child *c, int sig, int ms);

/* Free what child_spawn allocated (after child_stop). */
void child_free(struct child *c);

/* The last @n non-empty lines of the file @path into @buf, joined by " | ", with
 * control characters escaped; "" when it cannot be read. */
void child_tail(const char *path, unsigned n, char *buf, size_t len);
