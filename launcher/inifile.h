/*
 * INI files through libinih, with line numbers for errors (Debian's libinih
 * does not pass them to handlers): "FILE:LINE: unknown key 'x'".
 */
#pragma once
#include "error.h"

/* Called for each key; returns 0, or -EINVAL after filling @err (the first error stops the load). */
typedef int (*ini_key_fn)(void *ctx, const char *file, int line, const char *section, const char *key,
			  const char *value, struct pin_error *err);

/* Load @path.  0, -ENOENT (cannot read it) or -EINVAL (a bad line or key) with @err. */
int ini_load(const char *path, ini_key_fn fn, void *ctx, struct pin_error *err);
