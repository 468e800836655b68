/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench/child.h"
#include "base/sbuf.h"

int child_spawn(struct child *c, char *const argv[], const char *errpath)
{
	int p[2];
	pid_t parent = getpid();

	memset(c, 0, sizeof(*c));
	c->out = -1;
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	c->pid = fork();
	if (c->pid < 0) {
		int e = errno;
		close(p[0]);
		close(p[1]);
		c->pid = 0;
		return -e;
	}
	if (c->pid == 0) {
		int e = open(errpath, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
		int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
		/* Our caller stops us itself; if it dies without doing so, stop too. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(127);
		signal(SIGINT, SIG_IGN);
		signal(SIGPIPE, SIG_DFL);
		dup2(null, 0);
		dup2(p[1], 1);
		if (e >= 0)
			dup2(e, 2);
		execvp(argv[0], argv);
		dprintf(2, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(p[1]);
	c->out = p[0];
	fcntl(c->out, F_SETFL, O_NONBLOCK);
	return 0;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Read what the pipe has now.  0, or -errno. */
static int fill(struct child *c)
{
	for (;;) {
		ssize_t n;
		if (c->cap - c->len < 4096) {
			size_t cap = c->cap ? c->cap * 2 : 65536;
			char *b;
			if (cap > CHILD_LINE_MAX + 65536)
				cap = CHILD_LINE_MAX + 65536;
			if (cap <= c->len + 1)
				return -EMSGSIZE;
			b = realloc(c->buf, cap);
			if (!b)
				return -ENOMEM;
			c->buf = b;
			c->cap = cap;
		}
		n = read(c->out, c->buf + c->len, c->cap - c->len - 1);
		if (n > 0) {
			c->len += (size_t)n;
			continue;
		}
		if (n == 0) {
			c->eof = true;
			return 0;
		}
		if (errno == EINTR)
			continue;
		return errno == EAGAIN ? 0 : -errno;
	}
}

int child_line(struct child *c, int ms, const volatile sig_atomic_t *stop, char **line)
{
	long long deadline = now_ms() + ms;

	if (c->consumed) {
		memmove(c->buf, c->buf + c->consumed, c->len - c->consumed);
		c->len -= c->consumed;
		c->consumed = 0;
	}
	for (;;) {
		char *nl = c->buf ? memchr(c->buf, '\n', c->len) : NULL;
		struct pollfd pf = { .fd = c->out, .events = POLLIN };
		long long left;
		int r;

		if (nl) {
			*nl = '\0';
			c->consumed = (size_t)(nl - c->buf) + 1;
			*line = c->buf;
			return 1;
		}
		if (c->len > CHILD_LINE_MAX)
			return -EMSGSIZE;
		if (c->eof || c->out < 0) {
			if (c->len && c->buf) {
				/* A last line without a newline. */
				c->buf[c->len] = '\0';
				c->consumed = c->len;
				*line = c->buf;
				return 1;
			}
			return 0;
		}
		if (stop && *stop)
			return -EINTR;
		left = deadline - now_ms();
		r = poll(&pf, 1, (int)(left <= 0 ? 0 : left > 200 ? 200 : left));
		if (r < 0 && errno != EINTR)
			return -errno;
		if (r > 0 && (r = fill(c)) < 0)
			return r;
		if (r == 0 && left <= 0 && !memchr(c->buf ? c->buf : "", '\n', c->len))
			return -ETIMEDOUT;
	}
}

static int code_of(int status)
{
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

bool child_exited(struct child *c)
{
	int status;

	if (c->pid <= 0)
		return true;
	if (waitpid(c->pid, &status, WNOHANG) != c->pid)
		return false;
	c->status = code_of(status);
	c->pid = 0;
	return true;
}

int child_stop(struct child *c, int sig, int ms)
{
	long long deadline = now_ms() + ms;
	int status;

	if (c->pid > 0) {
		if (sig)
			kill(c->pid, sig);
		while (!child_exited(c)) {
			if (now_ms() >= deadline) {
				kill(c->pid, SIGKILL);
				if (waitpid(c->pid, &status, 0) == c->pid)
					c->status = code_of(status);
				c->pid = 0;
				break;
			}
			poll(NULL, 0, 10);
		}
	}
	if (c->out >= 0) {
		close(c->out);
		c->out = -1;
	}
	return c->status;
}

void child_free(struct child *c)
{
	free(c->buf);
	c->buf = NULL;
	c->len = c->cap = 0;
}

void child_tail(const char *path, unsigned n, char *buf, size_t len)
{
	char line[1024], (*ring)[1024] = calloc(n ? n : 1, sizeof(*ring));
	unsigned count = 0;
	struct sbuf sb;
	FILE *f = fopen(path, "re");

	sbuf_init(&sb, buf, len);
	if (!f || !ring || n == 0) {
		if (f)
			fclose(f);
		free(ring);
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0])
			snprintf(ring[count++ % n], sizeof(*ring), "%s", line);
	}
	fclose(f);
	for (unsigned i = count > n ? count - n : 0; i < count; i++) {
		if (sb.len)
			sbuf_addf(&sb, " | ");
		sbuf_add_escaped(&sb, ring[i % n]);
	}
	free(ring);
}
