/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Bounded string building: append formatted text to a caller's buffer, never
 * past its end, and know afterwards whether everything fit.  The one way this
 * project builds a string in pieces (option values, lists, messages).
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>

struct sbuf {
	char *buf;        /* always NUL-terminated */
	size_t size, len;
	bool overflow;    /* something did not fit: the text is cut short */
};

/* Start building into @buf of @size bytes (at least 1). */
void sbuf_init(struct sbuf *s, char *buf, size_t size);

/* Append formatted text.  0, or -ENOSPC when it did not fit (what fit is kept;
 * later appends are refused too, so a cut string is never extended). */
int sbuf_addf(struct sbuf *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Append @n bytes of @p.  0 or -ENOSPC, as sbuf_addf. */
int sbuf_addn(struct sbuf *s, const char *p, size_t n);

/* Append @str with control characters and backslashes escaped (\n, \t, \\, \xNN),
 * so that an echoed value stays on one line.  UTF-8 text is kept.  0 or -ENOSPC. */
int sbuf_add_escaped(struct sbuf *s, const char *str);

/* 0 when everything appended so far fit, else -ENOSPC. */
int sbuf_status(const struct sbuf *s);
