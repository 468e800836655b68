/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/fsutil.h"
#include "bench/results.h"

static int dir_path(char *buf, size_t len, const char *a, const char *b)
{
	return (size_t)snprintf(buf, len, "%s/%s", a, b) < len ? 0 : -ENAMETOOLONG;
}

int results_begin(struct results_dir *d, const char *out, struct pin_error *err)
{
	char parent[PATH_MAX], *slash;
	struct stat st;
	int r;

	memset(d, 0, sizeof(*d));
	if (!*out || (size_t)snprintf(d->out, sizeof(d->out), "%s", out) >= sizeof(d->out) - 32)
		return pin_fail(err, -ENAMETOOLONG, 0, "--out: the path is empty or too long");
	/* A trailing slash would make "DIR/.tmp-PID" a child of DIR. */
	while (strlen(d->out) > 1 && d->out[strlen(d->out) - 1] == '/')
		d->out[strlen(d->out) - 1] = '\0';
	if (lstat(d->out, &st) == 0)
		return pin_fail(err, -EEXIST, 0, "%s exists: choose another --out (results are never overwritten)", out);
	snprintf(parent, sizeof(parent), "%s", d->out);
	slash = strrchr(parent, '/');
	if (slash && slash != parent) {
		*slash = '\0';
		if ((r = fs_mkdir_parents(parent, 0755)) < 0)
			return pin_fail(err, r, 0, "cannot create %s: %s", parent, strerror(-r));
	}
	snprintf(d->tmp, sizeof(d->tmp), "%s.tmp-%d", d->out, (int)getpid());
	if (dir_path(d->raw, sizeof(d->raw), d->tmp, "raw") < 0)
		return pin_fail(err, -ENAMETOOLONG, 0, "--out: the path is too long");
	if (mkdir(d->tmp, 0755) < 0)
		return pin_fail(err, -errno, 0, "cannot create %s: %s", d->tmp, strerror(errno));
	if (mkdir(d->raw, 0755) < 0) {
		r = -errno;
		rmdir(d->tmp);
		return pin_fail(err, r, 0, "cannot create %s: %s", d->raw, strerror(-r));
	}
	return 0;
}

void results_path(const struct results_dir *d, bool raw, const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", raw ? d->raw : d->tmp, name);
}

int results_write_text(const struct results_dir *d, const char *name, const char *text)
{
	char path[PATH_MAX];

	if (dir_path(path, sizeof(path), d->tmp, name) < 0)
		return -ENAMETOOLONG;
	return fs_write_file(path, text, strlen(text), 0644);
}

int results_write_json(const struct results_dir *d, const char *name, const json_t *o)
{
	char *text = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
	int r;

	if (!text)
		return -ENOMEM;
	/* json_dumps has no trailing newline; a text file should. */
	{
		size_t n = strlen(text);
		char *t = realloc(text, n + 2);
		if (!t) {
			free(text);
			return -ENOMEM;
		}
		text = t;
		text[n] = '\n';
		text[n + 1] = '\0';
	}
	r = results_write_text(d, name, text);
	free(text);
	return r;
}

const char *results_size(const json_t *rec, const char *unit, char *buf, size_t len)
{
	const json_t *v = json_object_get(rec, "size");

	if (json_is_string(v))
		snprintf(buf, len, "%s", json_string_value(v));
	else
		snprintf(buf, len, "%lld%s", json_integer_value(v), unit);
	return buf;
}

void results_gp_quote(const char *s, char *buf, size_t len)
{
	size_t o = 0;

	if (len < 3) {
		if (len)
			buf[0] = '\0';
		return;
	}
	buf[o++] = '\'';
	for (; *s && o + 3 < len; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '\'') {
			buf[o++] = '\'';
			buf[o++] = '\'';
		} else {
			buf[o++] = c < 0x20 || c == 0x7f ? ' ' : (char)c;
		}
	}
	buf[o++] = '\'';
	buf[o] = '\0';
}

int results_gnuplot(const struct results_dir *d, const char *script, const char *terminal, const char *output)
{
	char setup[256], path[PATH_MAX], *img = NULL;
	size_t len = 0, cap = 0;
	int p[2], status, r = 0;
	pid_t pid;

	/* The terminal is ours, not the user's.  The image comes back on gnuplot's
	 * standard output and is written here, checked: a full disk is an error, not a
	 * missing or truncated plot. */
	if ((size_t)snprintf(setup, sizeof(setup), "set terminal %s; once = 1", terminal) >= sizeof(setup))
		return -EINVAL;
	if (dir_path(path, sizeof(path), d->tmp, output) < 0)
		return -ENAMETOOLONG;
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		r = -errno;
		close(p[0]);
		close(p[1]);
		return r;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		char *argv[] = { "gnuplot", "-e", setup, (char *)script, NULL };
		if (chdir(d->tmp) < 0)
			_exit(126);
		dup2(null, 0);
		dup2(p[1], 1);
		dup2(null, 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(p[1]);
	for (;;) {
		ssize_t n;
		if (cap - len < 65536) {
			char *b = cap < (64u << 20) ? realloc(img, cap + 262144) : NULL;
			if (!b) {
				r = -ENOMEM;
				break;
			}
			img = b;
			cap += 262144;
		}
		n = read(p[0], img + len, cap - len);
		if (n > 0)
			len += (size_t)n;
		else if (n == 0 || errno != EINTR)
			break;
	}
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			status = -1;
			break;
		}
	if (r == 0) {
		if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
			r = -ENOENT;
		else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || len == 0)
			r = -EIO;
		else
			r = fs_write_file(path, img, len, 0644);
	}
	free(img);
	return r;
}

int results_commit(struct results_dir *d)
{
	char parent[PATH_MAX], *slash;
	int r;

	if ((r = fs_sync_dir(d->raw)) < 0 || (r = fs_sync_dir(d->tmp)) < 0)
		return r;
	/* rename(2) would replace an empty directory that appeared meanwhile: refuse. */
	if (access(d->out, F_OK) == 0)
		return -EEXIST;
	if (rename(d->tmp, d->out) < 0)
		return -errno;
	snprintf(parent, sizeof(parent), "%s", d->out);
	slash = strrchr(parent, '/');
	if (!slash)
		snprintf(parent, sizeof(parent), ".");
	else if (slash == parent)
		parent[1] = '\0'; /* "/" */
	else
		*slash = '\0';
	fs_sync_dir(parent);
	return 0;
}

void results_abort(struct results_dir *d)
{
	if (d->tmp[0])
		fs_remove_tree(d->tmp);
}
