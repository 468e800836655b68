/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/strv.h"
#include "launcher/qemurun.h"
#include "launcher/qmp.h"

long long qemurun_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void qemurun_drain(struct qemu_run *vm, bool forward)
{
	char buf[4096];
	ssize_t n;

	while (vm->errfd >= 0 && (n = read(vm->errfd, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				vm->errfd = -1;
			return;
		}
		if (forward && vm->errout) {
			fwrite(buf, 1, (size_t)n, vm->errout);
			fflush(vm->errout);
		}
		if ((size_t)n >= sizeof(vm->errbuf)) {
			memcpy(vm->errbuf, buf + n - (sizeof(vm->errbuf) - 1), sizeof(vm->errbuf) - 1);
			vm->errlen = sizeof(vm->errbuf) - 1;
		} else {
			if (vm->errlen + (size_t)n >= sizeof(vm->errbuf)) {
				size_t drop = vm->errlen + (size_t)n - (sizeof(vm->errbuf) - 1);
				memmove(vm->errbuf, vm->errbuf + drop, vm->errlen - drop);
				vm->errlen -= drop;
			}
			memcpy(vm->errbuf + vm->errlen, buf, (size_t)n);
			vm->errlen += (size_t)n;
		}
		vm->errbuf[vm->errlen] = '\0';
	}
	if (vm->errfd >= 0) {
		close(vm->errfd);
		vm->errfd = -1;
	}
}
const char *qemurun_last_line(struct qemu_run *vm)
{
	char *e = vm->errbuf + vm->errlen;

	while (e > vm->errbuf && (e[-1] == '\n' || e[-1] == '\r'))
		*--e = '\0';
	while (e > vm->errbuf && e[-1] != '\n')
		e--;
	return e;
}
int qemurun_reap(pid_t pid, int ms)
{
	long long deadline = qemurun_now_ms() + ms;
	int status = 0;

	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid || (r < 0 && errno == ECHILD))
			return status;
		if (qemurun_now_ms() >= deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return status;
		}
		poll(NULL, 0, 10); /* bounded by the deadline above */
	}
}
int qemurun_listen(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	mode_t old;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	old = umask(0177);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 4) < 0) {
		int e = errno;
		umask(old);
		close(fd);
		return -e;
	}
	umask(old);
	return fd;
}
pid_t qemurun_spawn(struct qemu_run *vm, const struct vm_config *cfg, int qmp_listen, const sigset_t *oldmask)
{
	struct strv argv = { 0 };
	int errpipe[2];
	pid_t pid;

	if (cfg->qmp_fd != 3)
		return -EINVAL; /* QEMU takes its listening socket as fd 3 */
	if (qemucmd_build(cfg, &argv) < 0 || pipe2(errpipe, O_CLOEXEC) < 0) {
		strv_free(&argv);
		return -ENOMEM;
	}
	pid = fork();
	if (pid < 0) {
		int e = errno;
		strv_free(&argv);
		return -e;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		/* Its own process group: a terminal's Ctrl-C reaches vmlaunch, which powers the guest down. */
		setpgid(0, 0);
		sigprocmask(SIG_SETMASK, oldmask, NULL);
		signal(SIGPIPE, SIG_DFL); /* ours is ignored; QEMU decides for itself */
		if (qmp_listen == 3)
			fcntl(3, F_SETFD, 0);
		else
			dup2(qmp_listen, 3);
		dup2(null, 0);
		if (vm->quiet_stdout)
			dup2(null, 1);
		dup2(errpipe[1], 2);
		execvp(argv.v[0], argv.v);
		fprintf(stderr, "cannot run %s: %s\n", argv.v[0], strerror(errno));
		_exit(127);
	}
	close(errpipe[1]);
	fcntl(errpipe[0], F_SETFL, O_NONBLOCK); /* drained while QEMU runs */
	vm->errfd = errpipe[0];
	strv_free(&argv);
	return pid;
}
int qemurun_start_pinned(struct qemu_run *vm, const struct vmpin_plan *pin, int timeout_ms, json_t **result, char *msg,
			 size_t len)
{
	struct qmp_error qerr;
	struct qmp *q;
	int r;

	*result = NULL;
	msg[0] = '\0';
	q = qmp_connect(vm->sock, timeout_ms, &qerr);
	if (!q) {
		/* A timeout: QEMU lives but does not talk.  Anything else: it is exiting. */
		bool alive = errno == ETIMEDOUT;
		qemurun_reap(vm->pid, alive ? 0 : 3000);
		qemurun_drain(vm, false);
		if (alive && strstr(vm->errbuf, "waiting for connection"))
			snprintf(msg, len, "QEMU waited %d s for a vhost-user backend to connect (%s): start the backend first, or let QEMU connect to it (drop ',server')",
				 timeout_ms / 1000, qemurun_last_line(vm));
		else if (alive)
			snprintf(msg, len, "QEMU did not answer on QMP within %d s%s%s", timeout_ms / 1000, vm->errlen ? ": " : "",
				 vm->errlen ? qemurun_last_line(vm) : "");
		else
			snprintf(msg, len, "QEMU failed to start: %s", vm->errlen ? qemurun_last_line(vm) : "it exited without a word");
		return alive ? -ETIMEDOUT : -ECHILD;
	}
	r = vmpin_apply(q, vm->pid, pin, result, msg, len);
	if (r == 0)
		r = qmp_execute(q, "cont", NULL, NULL, &qerr) < 0 ? -EIO : 0;
	if (r < 0) {
		if (r == -EIO && !msg[0])
			snprintf(msg, len, "%s", qerr.desc);
		qmp_execute(q, "quit", NULL, NULL, NULL);
		qmp_close(q);
		qemurun_reap(vm->pid, 3000);
		json_decref(*result);
		*result = NULL;
		return r;
	}
	qmp_close(q);
	return 0;
}

int qemurun_qmp_once(const char *sock, const char *cmd, int timeout_ms)
{
	struct qmp *q = qmp_connect(sock, timeout_ms, NULL);
	int r;

	if (!q)
		return -errno;
	r = qmp_execute(q, cmd, NULL, NULL, NULL);
	qmp_close(q);
	return r;
}
int qemurun_supervise(struct qemu_run *vm, int sfd, double grace, bool *killed)
{
	enum { RUNNING, POWERDOWN, QUIT, KILLED } phase = RUNNING;
	long long deadline = 0;
	int status = 0;
	bool done = false;

	while (!done) {
		struct pollfd p[2] = { { .fd = sfd, .events = POLLIN }, { .fd = vm->errfd, .events = POLLIN } };
		int timeout = -1;

		if (phase != RUNNING)
			timeout = (int)(deadline > qemurun_now_ms() ? deadline - qemurun_now_ms() : 0);
		if (poll(p, vm->errfd >= 0 ? 2 : 1, timeout) < 0 && errno != EINTR)
			break;
		if (vm->errfd >= 0 && (p[1].revents & (POLLIN | POLLHUP)))
			qemurun_drain(vm, true);
		if (p[0].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) == sizeof(si) && si.ssi_signo != SIGCHLD && phase == RUNNING) {
				/* Ask the guest first; a guest in its firmware may ignore it. */
				qemurun_qmp_once(vm->sock, "system_powerdown", 2000);
				phase = POWERDOWN;
				deadline = qemurun_now_ms() + (long long)(grace * 1000);
			} else if (si.ssi_signo != SIGCHLD && phase == POWERDOWN) {
				deadline = 0; /* a second signal: do not wait */
			}
		}
		if (waitpid(vm->pid, &status, WNOHANG) == vm->pid)
			break;
		if (phase != RUNNING && qemurun_now_ms() >= deadline) {
			if (phase == POWERDOWN) {
				qemurun_qmp_once(vm->sock, "quit", 2000);
				phase = QUIT;
				deadline = qemurun_now_ms() + 3000;
			} else if (phase == QUIT) {
				kill(vm->pid, SIGKILL);
				phase = KILLED;
				deadline = qemurun_now_ms() + 3000;
			} else {
				waitpid(vm->pid, &status, 0);
				done = true;
			}
		}
	}
	qemurun_drain(vm, true);
	*killed = phase == KILLED;
	return status;
}
