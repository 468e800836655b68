/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "launcher/qmp.h"

struct qmp {
	int fd;
	char *buf;            /* received, not yet parsed */
	size_t len, cap;
	json_t *events;       /* queued events, oldest first */
	long long next_id;
	int timeout_ms;
	bool hung_up;
	char version[32];
};

static void seterr(struct qmp_error *err, const char *cls, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void seterr(struct qmp_error *err, const char *cls, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return;
	snprintf(err->cls, sizeof(err->cls), "%s", cls);
	va_start(ap, fmt);
	vsnprintf(err->desc, sizeof(err->desc), fmt, ap);
	va_end(ap);
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The longest message accepted (QEMU's largest replies, query-qmp-schema, are far smaller). */
#define QMP_LINE_MAX (8 << 20)

/* Read what is there, waiting at most until @deadline.  0, -ETIMEDOUT, -ECONNRESET, -ENOMEM. */
static int fill(struct qmp *q, long long deadline)
{
	struct pollfd p = { .fd = q->fd, .events = POLLIN };
	ssize_t n;
	int r;

	if (q->hung_up)
		return -ECONNRESET;
	for (;;) {
		long long left = deadline - now_ms();
		if (left < 0)
			left = 0;
		r = poll(&p, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -ETIMEDOUT;
		break;
	}
	if (q->cap - q->len < 4096) {
		size_t cap = q->cap ? q->cap * 2 : 16384;
		char *b = realloc(q->buf, cap);
		if (!b)
			return -ENOMEM;
		q->buf = b;
		q->cap = cap;
	}
	n = read(q->fd, q->buf + q->len, q->cap - q->len - 1);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n <= 0) {
		q->hung_up = true;
		return -ECONNRESET;
	}
	q->len += (size_t)n;
	return 0;
}

/* The next whole message, or NULL when none is complete yet (*r = 0) or it is malformed (*r = -EPROTO). */
static json_t *take_message(struct qmp *q, int *r)
{
	char *nl;
	json_error_t jerr;
	json_t *msg;
	size_t linelen;

	*r = 0;
	for (;;) {
		nl = q->len ? memchr(q->buf, '\n', q->len) : NULL;
		if (!nl)
			return NULL;
		linelen = (size_t)(nl - q->buf);
		/* Skip blank lines (and a lone \r). */
		if (linelen == 0 || (linelen == 1 && q->buf[0] == '\r')) {
			memmove(q->buf, nl + 1, q->len - linelen - 1);
			q->len -= linelen + 1;
			continue;
		}
		break;
	}
	msg = json_loadb(q->buf, linelen, 0, &jerr);
	memmove(q->buf, nl + 1, q->len - linelen - 1);
	q->len -= linelen + 1;
	if (!msg || !json_is_object(msg)) {
		json_decref(msg);
		*r = -EPROTO;
		return NULL;
	}
	return msg;
}

/* Wait for the next message; events are queued and also returned. */
static int next_message(struct qmp *q, long long deadline, json_t **out, struct qmp_error *err)
{
	int r;

	for (;;) {
		json_t *m = take_message(q, &r);
		if (r < 0) {
			seterr(err, "", "QEMU sent malformed JSON on the QMP socket");
			return r;
		}
		if (m) {
			*out = m;
			return 0;
		}
		/* A peer that streams bytes without a newline: bounded in memory and in time. */
		if (q->len > QMP_LINE_MAX) {
			seterr(err, "", "QEMU sent a line longer than %d MiB on the QMP socket", QMP_LINE_MAX >> 20);
			return -EMSGSIZE;
		}
		if (now_ms() > deadline) {
			seterr(err, "", "QEMU did not answer on the QMP socket in time");
			return -ETIMEDOUT;
		}
		r = fill(q, deadline);
		if (r == -ETIMEDOUT) {
			seterr(err, "", "QEMU did not answer on the QMP socket in time");
			return r;
		}
		if (r == -ECONNRESET) {
			seterr(err, "", q->len ? "QEMU closed the QMP connection in the middle of a message"
					       : "QEMU closed the QMP connection");
			return r;
		}
		if (r < 0) {
			seterr(err, "", "reading the QMP socket: %s", strerror(-r));
			return r;
		}
	}
}

static int send_json(struct qmp *q, json_t *msg, struct qmp_error *err)
{
	char *s = json_dumps(msg, JSON_COMPACT);
	size_t len, off = 0;

	if (!s)
		return -ENOMEM;
	len = strlen(s);
	s[len] = '\0';
	while (off < len) {
		ssize_t n = send(q->fd, s + off, len - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			free(s);
			q->hung_up = e == EPIPE || e == ECONNRESET;
			seterr(err, "", "writing to the QMP socket: %s", strerror(e));
			return q->hung_up ? -ECONNRESET : -e;
		}
		off += (size_t)n;
	}
	free(s);
	if (send(q->fd, "\n", 1, MSG_NOSIGNAL) != 1) {
		seterr(err, "", "writing to the QMP socket: %s", strerror(errno));
		return -ECONNRESET;
	}
	return 0;
}

int qmp_execute(struct qmp *q, const char *cmd, json_t *args, json_t **ret, struct qmp_error *err)
{
	long long id = ++q->next_id, deadline = now_ms() + q->timeout_ms;
	json_t *msg = json_pack("{s:s, s:I}", "execute", cmd, "id", (json_int_t)id);
	int r;

	if (ret)
		*ret = NULL;
	if (!msg) {
		json_decref(args);
		return -ENOMEM;
	}
	if (args)
		json_object_set_new(msg, "arguments", args);
	r = send_json(q, msg, err);
	json_decref(msg);
	if (r < 0)
		return r;
	for (;;) {
		json_t *m, *mid, *e;
		r = next_message(q, deadline, &m, err);
		if (r < 0)
			return r;
		if (json_object_get(m, "event")) {
			json_array_append_new(q->events, m);
			continue;
		}
		mid = json_object_get(m, "id");
		if (!json_is_integer(mid) || json_integer_value(mid) != id) {
			json_decref(m); /* a late reply to an earlier, timed-out command */
			continue;
		}
		if ((e = json_object_get(m, "error"))) {
			seterr(err, json_string_value(json_object_get(e, "class")) ?: "",
			       "%s", json_string_value(json_object_get(e, "desc")) ?: "unknown error");
			json_decref(m);
			return -EIO;
		}
		if (!json_object_get(m, "return")) {
			seterr(err, "", "QMP reply to %s has neither return nor error", cmd);
			json_decref(m);
			return -EPROTO;
		}
		if (ret)
			*ret = json_incref(json_object_get(m, "return"));
		json_decref(m);
		return 0;
	}
}

struct qmp *qmp_open_fd(int fd, int timeout_ms, struct qmp_error *err)
{
	struct qmp *q = calloc(1, sizeof(*q));
	json_t *greeting = NULL, *v;
	int r;

	if (!q || !(q->events = json_array())) {
		free(q);
		close(fd);
		errno = ENOMEM;
		return NULL;
	}
	q->fd = fd;
	q->timeout_ms = timeout_ms;
	r = next_message(q, now_ms() + timeout_ms, &greeting, err);
	if (r == 0 && !json_object_get(greeting, "QMP")) {
		seterr(err, "", "the socket does not speak QMP (no greeting)");
		r = -EPROTO;
	}
	if (r == 0) {
		v = json_object_get(json_object_get(greeting, "QMP"), "version");
		v = json_object_get(v, "qemu");
		snprintf(q->version, sizeof(q->version), "%lld.%lld.%lld",
			 json_integer_value(json_object_get(v, "major")), json_integer_value(json_object_get(v, "minor")),
			 json_integer_value(json_object_get(v, "micro")));
		r = qmp_execute(q, "qmp_capabilities", NULL, NULL, err);
	}
	json_decref(greeting);
	if (r < 0) {
		qmp_close(q);
		errno = -r;
		return NULL;
	}
	return q;
}

struct qmp *qmp_connect(const char *path, int timeout_ms, struct qmp_error *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		seterr(err, "", "QMP socket path is too long: %s", path);
		errno = ENAMETOOLONG;
		return NULL;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		seterr(err, "", "socket: %s", strerror(errno));
		return NULL;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		seterr(err, "", "cannot connect to the QMP socket %s: %s", path, strerror(e));
		close(fd);
		errno = e;
		return NULL;
	}
	return qmp_open_fd(fd, timeout_ms, err);
}

const char *qmp_version(const struct qmp *q)
{
	return q->version;
}

json_t *qmp_next_event(struct qmp *q)
{
	json_t *e;

	if (json_array_size(q->events) == 0)
		return NULL;
	e = json_incref(json_array_get(q->events, 0));
	json_array_remove(q->events, 0);
	return e;
}

int qmp_wait_event(struct qmp *q, const char *name, int timeout_ms, json_t **ev, struct qmp_error *err)
{
	long long deadline = now_ms() + timeout_ms;
	size_t i;
	json_t *e;
	int r;

	if (ev)
		*ev = NULL;
	json_array_foreach(q->events, i, e) {
		if (strcmp(json_string_value(json_object_get(e, "event")) ?: "", name) == 0) {
			if (ev)
				*ev = json_incref(e);
			json_array_remove(q->events, i);
			return 0;
		}
	}
	for (;;) {
		json_t *m;
		r = next_message(q, deadline, &m, err);
		if (r < 0)
			return r;
		if (!json_object_get(m, "event")) {
			json_decref(m); /* a stray reply */
			continue;
		}
		if (strcmp(json_string_value(json_object_get(m, "event")) ?: "", name) == 0) {
			if (ev)
				*ev = m;
			else
				json_decref(m);
			return 0;
		}
		json_array_append_new(q->events, m);
	}
}

int qmp_wait_hangup(struct qmp *q, int timeout_ms)
{
	long long deadline = now_ms() + timeout_ms;
	int r;

	for (;;) {
		json_t *m;
		r = next_message(q, deadline, &m, NULL);
		if (r == -ECONNRESET)
			return 0;
		if (r < 0 && r != -EPROTO)
			return r;
		if (r == 0) {
			if (json_object_get(m, "event"))
				json_array_append_new(q->events, m);
			else
				json_decref(m);
		}
	}
}

int qmp_fd(const struct qmp *q)
{
	return q->fd;
}

void qmp_set_timeout(struct qmp *q, int timeout_ms)
{
	q->timeout_ms = timeout_ms;
}

void qmp_close(struct qmp *q)
{
	if (!q)
		return;
	close(q->fd);
	json_decref(q->events);
	free(q->buf);
	free(q);
}

static int by_index(const void *a, const void *b)
{
	const struct qmp_vcpu *x = a, *y = b;
	return (x->index > y->index) - (x->index < y->index);
}

int qmp_query_vcpus(struct qmp *q, struct qmp_vcpu **out, struct qmp_error *err)
{
	json_t *ret, *c;
	struct qmp_vcpu *v;
	size_t i, n;
	int r;

	*out = NULL;
	r = qmp_execute(q, "query-cpus-fast", NULL, &ret, err);
	if (r < 0)
		return r;
	n = json_array_size(ret);
	if (!json_is_array(ret) || n == 0) {
		json_decref(ret);
		seterr(err, "", "query-cpus-fast returned no vCPUs");
		return -EPROTO;
	}
	v = calloc(n, sizeof(*v));
	if (!v) {
		json_decref(ret);
		return -ENOMEM;
	}
	json_array_foreach(ret, i, c) {
		/* The top-level thread-id is the host thread; props.thread-id is the guest SMT index. */
		json_t *tid = json_object_get(c, "thread-id"), *idx = json_object_get(c, "cpu-index");
		if (!json_is_integer(tid) || !json_is_integer(idx)) {
			free(v);
			json_decref(ret);
			seterr(err, "", "query-cpus-fast: a vCPU without thread-id or cpu-index");
			return -EPROTO;
		}
		v[i].index = (int)json_integer_value(idx);
		v[i].tid = (pid_t)json_integer_value(tid);
	}
	json_decref(ret);
	qsort(v, n, sizeof(*v), by_index);
	*out = v;
	return (int)n;
}
