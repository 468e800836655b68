/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ini.h>

#include "base/inifile.h"

struct ini_ctx {
	const char *text, *pos;   /* the file, and where the reader is */
	const char *path;
	int line;
	int too_long;             /* the line number of a key line over INI_MAX_LINE */
	ini_key_fn fn;
	void *ctx;
	struct pin_error *err;
	int failed;
};

/* libinih's reader: one line of the text at a time, counting lines.  A comment is
 * passed as an empty line whatever its length; a longer key line stops the parse. */
static char *reader(char *str, int num, void *stream)
{
	struct ini_ctx *c = stream;
	const char *nl, *start;
	size_t len;

	if (!*c->pos || c->too_long)
		return NULL;
	nl = strchr(c->pos, '\n');
	len = nl ? (size_t)(nl - c->pos) + 1 : strlen(c->pos);
	c->line++;
	start = c->pos + strspn(c->pos, " \t");
	if (*start == '#' || *start == ';') {
		snprintf(str, (size_t)num, "\n");
	} else if (len >= (size_t)num) {
		c->too_long = c->line;
		return NULL;
	} else {
		memcpy(str, c->pos, len);
		str[len] = '\0';
	}
	c->pos += len;
	return str;
}

static int handler(void *user, const char *section, const char *key, const char *value)
{
	struct ini_ctx *c = user;

	if (!c->failed && c->fn(c->ctx, c->path, c->line, section, key, value, c->err) < 0)
		c->failed = 1;
	return 1; /* go on: the first error is the one reported */
}

/* The whole file into a NUL-terminated buffer: a regular file of at most INI_FILE_MAX bytes. */
static char *read_text(const char *path, struct pin_error *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	struct stat st;
	char *buf = NULL;
	ssize_t n = 0, r;

	if (fd < 0) {
		pin_fail(err, -ENOENT, 0, "cannot read profile %s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		pin_fail(err, -ENOENT, 0, "cannot read profile %s: %s", path,
			 S_ISDIR(st.st_mode) ? "it is a directory" : "not a regular file");
		goto out;
	}
	if (st.st_size > INI_FILE_MAX) {
		pin_fail(err, -ENOENT, 0, "cannot read profile %s: larger than %d KiB (not a profile?)", path, INI_FILE_MAX / 1024);
		goto out;
	}
	buf = malloc(INI_FILE_MAX + 2);
	if (!buf) {
		pin_fail(err, -ENOENT, 0, "out of memory");
		goto out;
	}
	while (n <= INI_FILE_MAX && (r = read(fd, buf + n, (size_t)(INI_FILE_MAX + 1 - n))) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			pin_fail(err, -ENOENT, 0, "cannot read profile %s: %s", path, strerror(errno));
			free(buf);
			buf = NULL;
			goto out;
		}
		n += r;
	}
	buf[n] = '\0';
	if (n > INI_FILE_MAX || memchr(buf, '\0', (size_t)n)) {
		pin_fail(err, -ENOENT, 0, "cannot read profile %s: %s", path, n > INI_FILE_MAX ? "it keeps growing" : "not a text file");
		free(buf);
		buf = NULL;
	}
out:
	close(fd);
	return buf;
}

int ini_load(const char *path, ini_key_fn fn, void *ctx, char **text, struct pin_error *err)
{
	struct ini_ctx c = { .path = path, .fn = fn, .ctx = ctx, .err = err };
	char *buf = read_text(path, err);
	int r;

	if (text)
		*text = NULL;
	if (!buf)
		return -ENOENT;
	c.text = c.pos = buf;
	r = ini_parse_stream(reader, &c, handler, &c);
	if (c.failed) {
		r = -EINVAL;
	} else if (c.too_long) {
		r = pin_fail(err, -EINVAL, (size_t)c.too_long, "%s:%d: line longer than %d bytes (split the value or shorten it)",
			     path, c.too_long, INI_MAX_LINE - 2);
	} else if (r > 0) {
		r = pin_fail(err, -EINVAL, (size_t)r, "%s:%d: not an INI line (KEY = VALUE or [SECTION])", path, r);
	}
	if (r == 0 && text)
		*text = buf;
	else
		free(buf);
	return r;
}
