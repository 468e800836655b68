/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A results directory: built as DIR.tmp-PID, every file written and checked
 * (through fsync and close), renamed to DIR only when complete.  A failed write
 * (a full disk) removes the temporary directory: there is never a DIR with empty
 * or partial files.  The plot is drawn by gnuplot run with an argv and a working
 * directory, from a script in which every string is escaped.
 */
#pragma once
#include <limits.h>
#include <stdbool.h>

#include <jansson.h>

#include "base/error.h"

/* results.json's schema_version: raised when a key changes meaning or goes away
 * (docs/results.schema.json describes it). */
#define RESULTS_SCHEMA_VERSION 1

struct results_dir {
	char out[PATH_MAX];        /* the final name */
	char tmp[PATH_MAX];        /* DIR.tmp-PID while it is built */
	char raw[PATH_MAX];        /* tmp/raw: the programs' own output */
};

/* Start a results directory at @out, which must not exist (its parents are made).
 * 0, -EEXIST (@out exists) or -errno with @err. */
int results_begin(struct results_dir *d, const char *out, struct pin_error *err);

/* The path of @name inside the temporary directory (or raw/ when @raw). */
void results_path(const struct results_dir *d, bool raw, const char *name, char *buf, size_t len);

/* Write @text as @name (a new file).  0 or -errno. */
int results_write_text(const struct results_dir *d, const char *name, const char *text);

/* Write @o as indented JSON into @name.  0 or -errno. */
int results_write_json(const struct results_dir *d, const char *name, const json_t *o);

/* @s quoted for gnuplot: in single quotes, a quote doubled, control characters as
 * spaces (a newline would end the command).  Backquotes and macros are not
 * expanded inside single quotes.  Into @buf; cut short (still quoted) when long. */
void results_gp_quote(const char *s, char *buf, size_t len);

/* A result's "size" as text: a frame size followed by @unit ("64" "B"), or a mix's
 * name ("imix").  Into @buf, which it returns. */
const char *results_size(const json_t *rec, const char *unit, char *buf, size_t len);

/* Run gnuplot on @script (a file name in the directory) in the temporary directory
 * for @terminal ("pngcairo size 1200,500"); the image it prints is written to
 * @output, checked.  0, -ENOENT (no gnuplot), -EIO (it failed or drew nothing), or
 * the write's -errno (-ENOSPC). */
int results_gnuplot(const struct results_dir *d, const char *script, const char *terminal, const char *output);

/* Sync and rename the temporary directory to its final name.  0 or -errno
 * (-EEXIST when something took the name meanwhile). */
int results_commit(struct results_dir *d);

/* Remove the temporary directory and everything in it. */
void results_abort(struct results_dir *d);
