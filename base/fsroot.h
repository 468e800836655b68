/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Every read of /proc and /sys goes through here, so that tests can point the
 * whole library at a fixture tree (like hwloc's HWLOC_FSROOT).
 */
#pragma once
#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Read /proc and /sys under @dir from now on; NULL, "" or "/" mean the live host.  -ENAMETOOLONG, -ENOTDIR. */
int fsroot_set(const char *dir);

/* The current root without trailing slash: "" for the live host. */
const char *fsroot_get(void);

/* True when reading the live host (no fixture root). */
bool fsroot_is_live(void);

/* Build root + formatted path into @buf.  Returns length or -ENAMETOOLONG. */
int fsroot_path(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Read a whole (small) file into @buf, NUL-terminated, trailing newlines removed.
 * Returns the length or -errno (-ENOENT when missing, -EFBIG when it does not fit). */
int fsroot_read(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Read a file holding one integer.  0 or -errno (-EINVAL when it is not a number). */
int fsroot_read_ll(long long *out, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* fopen(…, "re") under the root; NULL with errno set. */
FILE *fsroot_fopen(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* opendir under the root; NULL with errno set. */
DIR *fsroot_opendir(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* True when the path exists under the root. */
bool fsroot_exists(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
