/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The guest's results port: what templates/guest/init writes on its second
 * serial port, read back by the host as it arrives.
 *
 *   PINLAB-BEGIN role=ROLE vcpus=N devices=…
 *   …the program's standard output, one line each…
 *   PINLAB-END status=N lines=N bytes=N crc32=XXXXXXXX
 *   PINLAB-ERROR step: why
 *
 * The lines between the markers are the program's; END closes them with their
 * count, byte count and CRC-32 (zlib's), which must match what arrived.  Bytes
 * before BEGIN (a firmware's noise) are ignored; a carriage return before a
 * newline is dropped.  Pure C, no I/O: fed bytes, it hands out lines.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum gport_state {
	GPORT_WAITING,    /* nothing yet */
	GPORT_RUNNING,    /* BEGIN seen, program lines arriving */
	GPORT_DONE,       /* END seen and it matched */
	GPORT_FAILED,     /* ERROR seen, or END did not match, or garbage: see why */
};

#define GPORT_LINE_MAX (1 << 20)

struct gport {
	enum gport_state state;
	char role[16];
	unsigned vcpus;
	int status;               /* the program's exit status from END; -1 before */
	uint64_t lines, bytes;    /* program lines and their bytes (with newlines) so far */
	uint32_t crc;             /* their CRC-32 */
	char why[512];            /* GPORT_FAILED: the guest's message or what did not match */
	char *buf;                /* bytes not yet split into lines */
	size_t len, cap, consumed;
};

/* CRC-32 as zlib and busybox's crc32 compute it: crc32_update(0, …) starts. */
uint32_t gport_crc32(uint32_t crc, const void *data, size_t len);

void gport_init(struct gport *g);
void gport_free(struct gport *g);

/* Add @n bytes read from the port.  0 or -ENOMEM. */
int gport_feed(struct gport *g, const char *data, size_t n);

/* The next program line (without newline), valid until the next call: 1 with
 * *@line, 0 when no complete line is waiting.  Marker lines change g->state and
 * are not returned. */
int gport_next(struct gport *g, char **line);
