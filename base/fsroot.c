/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fsroot.h"

static char root[PATH_MAX];

int fsroot_set(const char *dir)
{
	struct stat st;
	size_t n;

	if (!dir || !*dir || strcmp(dir, "/") == 0) {
		root[0] = '\0';
		return 0;
	}
	n = strlen(dir);
	while (n > 1 && dir[n - 1] == '/')
		n--;
	if (n >= sizeof(root) - 64)
		return -ENAMETOOLONG;
	if (stat(dir, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	memcpy(root, dir, n);
	root[n] = '\0';
	return 0;
}

const char *fsroot_get(void)
{
	return root;
}

bool fsroot_is_live(void)
{
	return root[0] == '\0';
}

static int vpath(char *buf, size_t len, const char *fmt, va_list ap)
{
	int r = snprintf(buf, len, "%s", root);
	int m;

	if (r < 0 || (size_t)r >= len)
		return -ENAMETOOLONG;
	m = vsnprintf(buf + r, len - r, fmt, ap);
	if (m < 0 || (size_t)m >= len - r)
		return -ENAMETOOLONG;
	return r + m;
}

int fsroot_path(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vpath(buf, len, fmt, ap);
	va_end(ap);
	return r;
}

static int read_path(const char *path, char *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (got < len - 1) {
		n = read(fd, buf + got, len - 1 - got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			n = -errno;
			close(fd);
			return (int)n;
		}
		if (n == 0)
			break;
		got += n;
	}
	/* A full buffer with more to come means the caller's buffer is too small. */
	if (got == len - 1) {
		char c;
		if (read(fd, &c, 1) == 1) {
			close(fd);
			return -EFBIG;
		}
	}
	close(fd);
	while (got > 0 && (buf[got - 1] == '\n' || buf[got - 1] == '\0'))
		got--;
	buf[got] = '\0';
	return (int)got;
}

int fsroot_read(char *buf, size_t len, const char *fmt, ...)
{
	char path[PATH_MAX];
	va_list ap;
	int r;

	if (len < 2)
		return -EINVAL;
	va_start(ap, fmt);
	r = vpath(path, sizeof(path), fmt, ap);
	va_end(ap);
	if (r < 0)
		return r;
	return read_path(path, buf, len);
}

int fsroot_read_ll(long long *out, const char *fmt, ...)
{
	char path[PATH_MAX], buf[64], *end;
	long long v;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vpath(path, sizeof(path), fmt, ap);
	va_end(ap);
	if (r < 0)
		return r;
	r = read_path(path, buf, sizeof(buf));
	if (r < 0)
		return r;
	errno = 0;
	v = strtoll(buf, &end, 10);
	if (errno || end == buf || (*end && *end != '\n' && *end != ' '))
		return -EINVAL;
	*out = v;
	return 0;
}

FILE *fsroot_fopen(const char *fmt, ...)
{
	char path[PATH_MAX];
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vpath(path, sizeof(path), fmt, ap);
	va_end(ap);
	if (r < 0) {
		errno = -r;
		return NULL;
	}
	return fopen(path, "re");
}

DIR *fsroot_opendir(const char *fmt, ...)
{
	char path[PATH_MAX];
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vpath(path, sizeof(path), fmt, ap);
	va_end(ap);
	if (r < 0) {
		errno = -r;
		return NULL;
	}
	return opendir(path);
}

bool fsroot_exists(const char *fmt, ...)
{
	char path[PATH_MAX];
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vpath(path, sizeof(path), fmt, ap);
	va_end(ap);
	return r >= 0 && access(path, F_OK) == 0;
}
