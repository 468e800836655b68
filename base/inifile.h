/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * INI files through libinih, with line numbers for errors (Debian's libinih
 * does not pass them to handlers): "FILE:LINE: unknown key 'x'".  The file is
 * read once, bounded: a device, a FIFO, a directory or a huge file is an error,
 * never a hang; a key line longer than libinih takes is an error, never split.
 */
#pragma once
#include "base/error.h"

/* The largest profile read, and the longest key line (libinih's INI_MAX_LINE, less the newline). */
#define INI_FILE_MAX (64 * 1024)

/* Called for each key; returns 0, or -EINVAL after filling @err (the first error stops the load). */
typedef int (*ini_key_fn)(void *ctx, const char *file, int line, const char *section, const char *key,
			  const char *value, struct pin_error *err);

/* Load @path.  When @text is not NULL it gets the file's contents (malloc'd, the
 * caller frees).  0, -ENOENT (cannot read it: missing, not a regular file, too
 * large) or -EINVAL (a bad line or key) with @err. */
int ini_load(const char *path, ini_key_fn fn, void *ctx, char **text, struct pin_error *err);
