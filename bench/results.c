#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fsutil.h"
#include "results.h"

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
	char setup[256], path[PATH_MAX];
	struct stat st;
	pid_t pid;
	int status;

	/* Both are ours, not the user's: a terminal name and a file name without quotes. */
	if ((size_t)snprintf(setup, sizeof(setup), "set terminal %s; set output '%s'", terminal, output) >= sizeof(setup) ||
	    strchr(output, '\''))
		return -EINVAL;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		char *argv[] = { "gnuplot", "-e", setup, (char *)script, NULL };
		if (chdir(d->tmp) < 0)
			_exit(126);
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		return -ENOENT;
	if (dir_path(path, sizeof(path), d->tmp, output) < 0)
		return -ENAMETOOLONG;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || lstat(path, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_size == 0) {
		unlink(path);
		return -EIO;
	}
	/* gnuplot does not fsync; a full disk shows here or in its exit status. */
	{
		int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), r = 0;
		if (fd < 0 || fsync(fd) < 0)
			r = -errno;
		if (fd >= 0)
			close(fd);
		return r;
	}
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
