/* SPDX-License-Identifier: BSD-3-Clause */
/* A fake QMP server for the unit tests: replays a transcript on one end of a
 * socketpair, in a thread.  Transcript lines:
 *   S <json>      send this line (@ID becomes the id of the last command)
 *   C <command>   read one command from the client; it must be <command>
 *   RAW <text>    send text and a newline as is (malformed JSON)
 *   PARTIAL <t>   send text without a newline, then hang up
 *   HANGUP        close the connection
 *   STALL         send nothing more until the test ends
 *   FLOOD         send bytes without a newline until the client hangs up
 * Lines starting with # are comments. */
#pragma once
#include <pthread.h>
#include <stdbool.h>

enum fake_mode {
	FAKE_LINES,     /* one write per message */
	FAKE_BATCHED,   /* consecutive messages in one write */
	FAKE_SPLIT,     /* every message in two writes */
};

struct fakeqmp {
	pthread_t thread;
	int fd;                 /* the server's end */
	int client_fd;          /* the client's end: give it to qmp_open_fd */
	char *script;
	enum fake_mode mode;
	bool ok;                /* every expected command came, in order */
	char failure[256];
	int stall_rd, stall_wr; /* a pipe: fakeqmp_stop closes stall_wr to end a STALL */
};

/* Start replaying @script (the text itself, or "@file" relative to FIXTURES/qmp). */
int fakeqmp_start(struct fakeqmp *f, const char *script, enum fake_mode mode);

/* Wait for the server to finish.  Returns f->ok. */
bool fakeqmp_stop(struct fakeqmp *f);
