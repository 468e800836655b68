/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * File operations that tools running as root can trust: trees removed by code
 * (never a shell), symlinks never followed, every write checked through fsync
 * and close, so that a full disk is an error and not an empty file.
 */
#pragma once
#include <stdio.h>
#include <sys/types.h>

/* Remove @path and everything below it.  Symlinks are removed, never followed,
 * and the walk stays on @path's filesystem.  0 (also when @path does not exist) or
 * -errno of the first failure. */
int fs_remove_tree(const char *path);

/* Write all @len bytes to @fd, retrying short writes and EINTR.  0 or -errno. */
int fs_write_all(int fd, const void *data, size_t len);

/* Create @path (it must not exist; a symlink there is refused) with @mode and
 * write @data to it, then fsync and close, each checked.  0 or -errno; on failure
 * nothing is left at @path. */
int fs_write_file(const char *path, const void *data, size_t len, mode_t mode);

/* Replace @path with @data atomically: written to PATH.tmp-PID as fs_write_file
 * does, then renamed over @path (which may exist; a reader sees the old file or the
 * new one, never a part).  0 or -errno; on failure @path is as it was. */
int fs_replace_file(const char *path, const void *data, size_t len, mode_t mode);

/* Open @path for writing as fs_write_file does (new file, O_NOFOLLOW, O_CLOEXEC)
 * and wrap it in a stdio stream.  NULL with errno. */
FILE *fs_create(const char *path, mode_t mode);

/* Flush, fsync and close a stream opened for writing.  0, or -errno of the first
 * error the stream met (a write that failed earlier, ENOSPC at flush, ...). */
int fs_close(FILE *f);

/* Read the small regular file @path (a symlink is refused: -ELOOP) into @buf,
 * NUL-terminated.  Its length, or -errno (-EFBIG when it does not fit). */
int fs_read_file(const char *path, char *buf, size_t len);

/* mkdir -p: @path and its missing parents with @mode.  0 or -errno. */
int fs_mkdir_parents(const char *path, mode_t mode);

/* Is a process listening on the unix socket @dir/@name (@name may be NULL: @dir is
 * the socket)?  1 yes, 0 no (nothing there, or nobody answers: a stale socket),
 * -errno (the path is too long, or not a socket). */
int fs_socket_probe(const char *dir, const char *name);

/* fsync the directory @path (so a rename in it is durable).  0 or -errno. */
int fs_sync_dir(const char *path);
