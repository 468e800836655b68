/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/guestport.h"
#include "base/sbuf.h"

uint32_t gport_crc32(uint32_t crc, const void *data, size_t len)
{
	const unsigned char *p = data;

	crc = ~crc;
	while (len--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1)));
	}
	return ~crc;
}

void gport_init(struct gport *g)
{
	memset(g, 0, sizeof(*g));
	g->status = -1;
}

void gport_free(struct gport *g)
{
	free(g->buf);
	g->buf = NULL;
	g->len = g->cap = g->consumed = 0;
}

/* Fail with @why, then @detail (the guest's words, escaped to one line) if any. */
static void fail(struct gport *g, const char *why, const char *detail)
{
	struct sbuf sb;

	if (g->state == GPORT_FAILED)
		return;
	g->state = GPORT_FAILED;
	sbuf_init(&sb, g->why, sizeof(g->why));
	sbuf_addf(&sb, "%s", why);
	if (detail)
		sbuf_add_escaped(&sb, detail);
}

int gport_feed(struct gport *g, const char *data, size_t n)
{
	if (g->consumed) {
		memmove(g->buf, g->buf + g->consumed, g->len - g->consumed);
		g->len -= g->consumed;
		g->consumed = 0;
	}
	if (g->len + n + 1 > g->cap) {
		size_t cap = g->cap ? g->cap : 4096;
		char *b;
		while (cap < g->len + n + 1)
			cap *= 2;
		if (cap > GPORT_LINE_MAX * 2 + n + 1)
			cap = GPORT_LINE_MAX * 2 + n + 1;
		b = realloc(g->buf, cap);
		if (!b)
			return -ENOMEM;
		g->buf = b;
		g->cap = cap;
	}
	memcpy(g->buf + g->len, data, n);
	g->len += n;
	return 0;
}

/* A "key=VALUE" field of a marker line, as an unsigned number.  0 or -EINVAL. */
static int field(const char *line, const char *key, int base, uint64_t *out)
{
	char pat[32], *end;
	const char *p;

	snprintf(pat, sizeof(pat), " %s=", key);
	p = strstr(line, pat);
	if (!p)
		return -EINVAL;
	p += strlen(pat);
	if (*p < '0' || (*p > '9' && base == 10) || *p == '-')
		return -EINVAL;
	*out = strtoull(p, &end, base);
	return *end == ' ' || *end == '\0' ? 0 : -EINVAL;
}

static void on_marker(struct gport *g, char *line)
{
	uint64_t status, lines, bytes, crc;

	if (!strncmp(line, "PINLAB-ERROR ", 13)) {
		fail(g, "the guest reports: ", line + 13);
		return;
	}
	if (!strncmp(line, "PINLAB-BEGIN", 12) && (line[12] == ' ' || line[12] == '\0')) {
		uint64_t v;
		const char *r = strstr(line, " role=");
		if (g->state != GPORT_WAITING) {
			fail(g, "a second PINLAB-BEGIN", NULL);
			return;
		}
		g->state = GPORT_RUNNING;
		if (r)
			snprintf(g->role, sizeof(g->role), "%.*s", (int)strcspn(r + 6, " "), r + 6);
		if (field(line, "vcpus", 10, &v) == 0 && v < 65536)
			g->vcpus = (unsigned)v;
		return;
	}
	/* PINLAB-END */
	if (g->state != GPORT_RUNNING) {
		fail(g, "PINLAB-END without PINLAB-BEGIN", NULL);
		return;
	}
	if (field(line, "status", 10, &status) < 0 || field(line, "lines", 10, &lines) < 0 ||
	    field(line, "bytes", 10, &bytes) < 0 || field(line, "crc32", 16, &crc) < 0 || status > 255) {
		fail(g, "a malformed end marker: ", line);
		return;
	}
	g->status = (int)status;
	if (lines != g->lines || bytes != g->bytes || crc != g->crc) {
		char got[160];
		snprintf(got, sizeof(got), "the guest sent %" PRIu64 " lines, %" PRIu64 " bytes, crc32 %08" PRIx64
			 "; %" PRIu64 " lines, %" PRIu64 " bytes, crc32 %08" PRIx32 " arrived",
			 lines, bytes, crc, g->lines, g->bytes, g->crc);
		fail(g, "results damaged on the serial port: ", got);
		return;
	}
	g->state = GPORT_DONE;
}

int gport_next(struct gport *g, char **line)
{
	for (;;) {
		char *start, *nl;
		size_t n;

		if (g->consumed) {
			memmove(g->buf, g->buf + g->consumed, g->len - g->consumed);
			g->len -= g->consumed;
			g->consumed = 0;
		}
		start = g->buf;
		nl = start ? memchr(start, '\n', g->len) : NULL;
		if (!nl) {
			if (g->len > GPORT_LINE_MAX) {
				fail(g, "a line longer than 1 MiB on the port", NULL);
				g->len = 0;
			}
			return 0;
		}
		g->consumed = (size_t)(nl - start) + 1;
		if (g->state == GPORT_DONE || g->state == GPORT_FAILED)
			continue; /* nothing counts after the end */
		/* A terminal may have turned the newline into CR LF: the guest's file had LF. */
		if (nl > start && nl[-1] == '\r')
			nl--;
		n = (size_t)(nl - start);
		*nl = '\n';
		if (g->state == GPORT_RUNNING && strncmp(start, "PINLAB-", 7) != 0) {
			/* A program line: the CRC covers it with its newline, as the guest wrote it. */
			g->lines++;
			g->bytes += n + 1;
			g->crc = gport_crc32(g->crc, start, n + 1);
			*nl = '\0';
			*line = start;
			return 1;
		}
		*nl = '\0';
		if (!strncmp(start, "PINLAB-BEGIN", 12) || !strncmp(start, "PINLAB-END", 10) ||
		    !strncmp(start, "PINLAB-ERROR ", 13))
			on_marker(g, start);
		/* Anything else before BEGIN is noise. */
	}
}
