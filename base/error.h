/* SPDX-License-Identifier: BSD-3-Clause */
/* A parse or validation error: where in the input, and why. */
#pragma once
#include <stddef.h>

struct pin_error {
	size_t pos;      /* byte offset in the parsed string (0 when not positional) */
	char msg[512];   /* one line, no trailing newline, no program name */
};

/* Fill @err (which may be NULL) and return @ret, so callers can `return pin_fail(...)`. */
int pin_fail(struct pin_error *err, int ret, size_t pos, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
