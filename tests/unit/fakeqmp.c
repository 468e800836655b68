/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "fakeqmp.h"

static void put(int fd, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

/* Send the pending messages in @out according to the mode. */
static void flush(struct fakeqmp *f, char *out, size_t *len)
{
	if (*len == 0)
		return;
	if (f->mode == FAKE_SPLIT) {
		/* Each message in two writes, a millisecond apart, so the client sees partial lines. */
		char *p = out;
		while (p < out + *len) {
			char *nl = memchr(p, '\n', (size_t)(out + *len - p));
			size_t n = nl ? (size_t)(nl - p + 1) : (size_t)(out + *len - p);
			struct timespec ms = { 0, 1000000 };
			put(f->fd, p, n / 2);
			nanosleep(&ms, NULL);
			put(f->fd, p + n / 2, n - n / 2);
			p += n;
		}
	} else {
		put(f->fd, out, *len);
	}
	*len = 0;
}

/* Read one line (a command) from the client. */
static int read_command(struct fakeqmp *f, char *buf, size_t len)
{
	size_t got = 0;

	while (got < len - 1) {
		ssize_t n = read(f->fd, buf + got, 1);
		if (n <= 0)
			return -1;
		if (buf[got] == '\n')
			break;
		got++;
	}
	buf[got] = '\0';
	return 0;
}

static void *serve(void *arg)
{
	struct fakeqmp *f = arg;
	char *save = NULL, *line, out[65536], cmd[4096];
	size_t outlen = 0;
	long long id = 0;

	f->ok = true;
	for (line = strtok_r(f->script, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#' || line[0] == '\0')
			continue;
		if (strncmp(line, "S ", 2) == 0 || strncmp(line, "RAW ", 4) == 0) {
			const char *msg = line + (line[0] == 'S' ? 2 : 4);
			char idbuf[32];
			const char *at = strstr(msg, "@ID");
			snprintf(idbuf, sizeof(idbuf), "%lld", id);
			if (at && line[0] == 'S')
				outlen += (size_t)snprintf(out + outlen, sizeof(out) - outlen, "%.*s%s%s\r\n", (int)(at - msg), msg,
							   idbuf, at + 3);
			else
				outlen += (size_t)snprintf(out + outlen, sizeof(out) - outlen, "%s\r\n", msg);
			if (f->mode != FAKE_BATCHED)
				flush(f, out, &outlen);
			continue;
		}
		flush(f, out, &outlen);
		if (strncmp(line, "C ", 2) == 0) {
			json_t *c;
			if (read_command(f, cmd, sizeof(cmd)) < 0) {
				snprintf(f->failure, sizeof(f->failure), "client hung up before '%s'", line + 2);
				f->ok = false;
				break;
			}
			c = json_loads(cmd, 0, NULL);
			if (!c || strcmp(json_string_value(json_object_get(c, "execute")) ?: "", line + 2) != 0) {
				snprintf(f->failure, sizeof(f->failure), "expected '%s', got '%s'", line + 2, cmd);
				f->ok = false;
				json_decref(c);
				break;
			}
			id = json_integer_value(json_object_get(c, "id"));
			json_decref(c);
		} else if (strncmp(line, "PARTIAL ", 8) == 0) {
			put(f->fd, line + 8, strlen(line + 8));
			break;
		} else if (strcmp(line, "HANGUP") == 0) {
			break;
		} else if (strcmp(line, "FLOOD") == 0) {
			static const char junk[4096] = { [0 ... 4095] = 'x' };
			/* Until the client hangs up (send fails) or the test ends. */
			for (;;) {
				ssize_t w = send(f->fd, junk, sizeof(junk), MSG_NOSIGNAL);
				if (w <= 0)
					break;
			}
			break;
		} else if (strcmp(line, "STALL") == 0) {
			char c;
			(void)!read(f->stall_rd, &c, 1); /* until fakeqmp_stop closes the other end */
			break;
		}
	}
	flush(f, out, &outlen);
	shutdown(f->fd, SHUT_RDWR);
	return NULL;
}

/* The script text: inline, or "@file" under FIXTURES/qmp. */
static char *load_script(const char *script)
{
	char path[512], *text;
	FILE *fp;
	long n;

	if (script[0] != '@')
		return strdup(script);
	snprintf(path, sizeof(path), "%s/qmp/%s", FIXTURES, script + 1);
	fp = fopen(path, "re");
	if (!fp)
		return NULL;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	text = calloc(1, (size_t)n + 1);
	if (text && fread(text, 1, (size_t)n, fp) != (size_t)n) {
		free(text);
		text = NULL;
	}
	fclose(fp);
	return text;
}

int fakeqmp_start(struct fakeqmp *f, const char *script, enum fake_mode mode)
{
	int sv[2], st[2];

	memset(f, 0, sizeof(*f));
	f->script = load_script(script);
	if (!f->script)
		return -ENOENT;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0 || pipe2(st, O_CLOEXEC) < 0)
		return -errno;
	f->fd = sv[0];
	f->client_fd = sv[1];
	f->stall_rd = st[0];
	f->stall_wr = st[1];
	f->mode = mode;
	f->ok = true;
	return pthread_create(&f->thread, NULL, serve, f) == 0 ? 0 : -EAGAIN;
}

bool fakeqmp_stop(struct fakeqmp *f)
{
	close(f->stall_wr);
	pthread_join(f->thread, NULL);
	close(f->fd);
	close(f->stall_rd);
	free(f->script);
	return f->ok;
}
