/* SPDX-License-Identifier: BSD-3-Clause */
/* A growable, NULL-terminated argument vector. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

struct strv {
	char **v;      /* NULL-terminated */
	size_t n, cap;
};

/* Append a copy of @s.  0 or -ENOMEM. */
int strv_add(struct strv *a, const char *s);

/* Append a formatted string.  0 or -ENOMEM. */
int strv_addf(struct strv *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Append each space-separated word of @s.  0 or -ENOMEM. */
int strv_add_words(struct strv *a, const char *s);

void strv_free(struct strv *a);

/* The vector as one shell-quoted line, malloc'd; NULL on ENOMEM. */
char *strv_join_quoted(const struct strv *a);
