/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/sbuf.h"

void sbuf_init(struct sbuf *s, char *buf, size_t size)
{
	s->buf = buf;
	s->size = size;
	s->len = 0;
	s->overflow = size == 0;
	if (size)
		buf[0] = '\0';
}

int sbuf_addf(struct sbuf *s, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (s->overflow)
		return -ENOSPC;
	va_start(ap, fmt);
	n = vsnprintf(s->buf + s->len, s->size - s->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= s->size - s->len) {
		s->len = s->size - 1;
		s->buf[s->len] = '\0';
		s->overflow = true;
		return -ENOSPC;
	}
	s->len += (size_t)n;
	return 0;
}

int sbuf_addn(struct sbuf *s, const char *p, size_t n)
{
	if (s->overflow)
		return -ENOSPC;
	if (n >= s->size - s->len) {
		n = s->size - 1 - s->len;
		s->overflow = true;
	}
	memcpy(s->buf + s->len, p, n);
	s->len += n;
	s->buf[s->len] = '\0';
	return s->overflow ? -ENOSPC : 0;
}

int sbuf_add_escaped(struct sbuf *s, const char *str)
{
	for (const unsigned char *c = (const unsigned char *)str; *c; c++) {
		int r;
		if (*c == '\n')
			r = sbuf_addn(s, "\\n", 2);
		else if (*c == '\t')
			r = sbuf_addn(s, "\\t", 2);
		else if (*c == '\\')
			r = sbuf_addn(s, "\\\\", 2);
		else if (*c < 0x20 || *c == 0x7f)
			r = sbuf_addf(s, "\\x%02x", *c);
		else
			r = sbuf_addn(s, (const char *)c, 1);
		if (r < 0)
			return r;
	}
	return 0;
}

int sbuf_status(const struct sbuf *s)
{
	return s->overflow ? -ENOSPC : 0;
}
