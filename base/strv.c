/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/strv.h"

static int push(struct strv *a, char *s)
{
	if (!s)
		return -ENOMEM;
	if (a->n + 2 > a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 32;
		char **v = realloc(a->v, cap * sizeof(*v));
		if (!v) {
			free(s);
			return -ENOMEM;
		}
		a->v = v;
		a->cap = cap;
	}
	a->v[a->n++] = s;
	a->v[a->n] = NULL;
	return 0;
}

int strv_add(struct strv *a, const char *s)
{
	return push(a, strdup(s));
}

int strv_addf(struct strv *a, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	return r < 0 ? -ENOMEM : push(a, s);
}

int strv_add_words(struct strv *a, const char *s)
{
	while (*s) {
		size_t n;
		int r;
		while (*s == ' ' || *s == '\t')
			s++;
		n = strcspn(s, " \t");
		if (n == 0)
			break;
		r = push(a, strndup(s, n));
		if (r < 0)
			return r;
		s += n;
	}
	return 0;
}

void strv_free(struct strv *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	a->v = NULL;
	a->n = a->cap = 0;
}

char *strv_join_quoted(const struct strv *a)
{
	size_t len = 1;
	char *out, *p;

	for (size_t i = 0; i < a->n; i++)
		len += strlen(a->v[i]) * 4 + 3;
	out = p = calloc(1, len);
	if (!out)
		return NULL;
	for (size_t i = 0; i < a->n; i++) {
		const char *s = a->v[i];
		bool plain = *s && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_=,.:/@+%") == strlen(s);
		if (i)
			*p++ = ' ';
		if (plain) {
			p += sprintf(p, "%s", s);
			continue;
		}
		*p++ = '\'';
		for (; *s; s++) {
			if (*s == '\'')
				p += sprintf(p, "'\\''");
			else
				*p++ = *s;
		}
		*p++ = '\'';
	}
	*p = '\0';
	return out;
}
