/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vmlaunch's QEMU backend: QEMU started paused by vmlaunch itself, pinned over
 * QMP before its first guest instruction and supervised (launcher/qemurun.c), its
 * runtime directory and state.json (launcher/rundir.c); attach, list and stop.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "pinning/cpuset.h"
#include "base/cli.h"
#include "base/exitcodes.h"
#include "base/numparse.h"
#include "pinning/hostfacts.h"
#include "hugepages/hp.h"
#include "pinning/plan.h"
#include "launcher/qemucmd.h"
#include "launcher/qemuproc.h"
#include "launcher/qemurun.h"
#include "launcher/qmp.h"
#include "pinning/report.h"
#include "launcher/rundir.h"
#include "pinning/threads.h"
#include "pinning/topo.h"
#include "pinning/vmap.h"
#include "launcher/vmpin.h"
#include "launcher/virt.h"
#include "cmd/vmlaunch/vmlaunch.h"

/* --- launching ---------------------------------------------------------------- */

struct vm {
	struct qemu_run q;       /* QEMU: pid, QMP socket, stderr */
	char dir[PATH_MAX];
	int report_fd;           /* --daemonize: the parent waits for the result here; -1 */
};

/* Report to the waiting parent (--daemonize) or the terminal. */
static int report_failure(struct vm *vm, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int report_failure(struct vm *vm, int code, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (vm->report_fd >= 0) {
		/* The pipe stays open until this process exits: the parent returns only after
		 * the clean-up that follows a failure (the runtime directory removed). */
		dprintf(vm->report_fd, "E%s\n", msg);
		return code;
	}
	return cli_fail(code, "%s", msg);
}

/* Connect, pin, cont.  0, or an exit code after reporting. */
static int start_pinned(struct layout *l, struct vm *vm, json_t **result)
{
	char msg[1024];

	if (qemurun_start_pinned(&vm->q, &l->pin, QMP_START_MS, result, msg, sizeof(msg)) < 0)
		return report_failure(vm, EXIT_FAIL, "%s", msg);
	return 0;
}

/* Run until QEMU ends (qemurun_supervise), then say how it ended.  QEMU's exit status,
 * 128+N when a signal ended it. */
static int supervise(struct settings *s, struct vm *vm, int sfd)
{
	bool killed = false;
	int status = qemurun_supervise(&vm->q, sfd, s->grace, &killed);

	if (WIFSIGNALED(status)) {
		if (!killed)
			fprintf(stderr, "%s: QEMU (pid %d) was killed by signal %d\n", cli_prog, (int)vm->q.pid, WTERMSIG(status));
		return 128 + WTERMSIG(status);
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		fprintf(stderr, "%s: QEMU exited with status %d%s%s\n", cli_prog, WEXITSTATUS(status),
			vm->q.errlen ? ": " : "", vm->q.errlen ? qemurun_last_line(&vm->q) : "");
	return WIFEXITED(status) ? WEXITSTATUS(status) : EXIT_FAIL;
}


static int dry_run(struct settings *s, struct layout *l)
{
	struct strv argv = { 0 };
	char base[PATH_MAX], sock[PATH_MAX + 64], emu[4096];
	char *line;
	int r;

	if (rundir_base(base, sizeof(base)) < 0)
		snprintf(base, sizeof(base), "$XDG_RUNTIME_DIR/vmlaunch");
	snprintf(sock, sizeof(sock), "%s/%s/qmp.sock", base, s->cfg.name);
	s->cfg.qmp_path = sock;
	r = qemucmd_build(&s->cfg, &argv);
	s->cfg.qmp_path = NULL; /* @sock is ours only until we return */
	if (r < 0)
		return cli_fail(EXIT_FAIL, "out of memory");
	cpuset_format_list(&l->pin.emulator, emu, sizeof(emu));
	if (s->json) {
		json_t *o = json_object(), *a = json_array(), *v = json_array();
		for (size_t i = 0; i < argv.n; i++)
			json_array_append_new(a, json_string(argv.v[i]));
		for (unsigned i = 0; i < l->map.n; i++)
			json_array_append_new(v, json_pack("{s:i, s:i}", "vcpu", i, "cpu", l->map.cpu[i]));
		json_object_set_new(o, "command", a);
		json_object_set_new(o, "vcpus", v);
		json_object_set_new(o, "emulator_cpus", json_string(emu));
		json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
		json_decref(o);
	} else {
		line = strv_join_quoted(&argv);
		printf("QEMU command (vmlaunch hands it the QMP socket as fd 3; shown here by path):\n  %s\n", line);
		free(line);
		printf("Pinning plan, applied at -S before the guest runs:\n");
		for (unsigned i = 0; i < l->map.n; i++)
			printf("  vCPU %u -> CPU %d\n", i, l->map.cpu[i]);
		printf("  QEMU's other threads -> CPU%s %s\n", cpuset_count(&l->pin.emulator) == 1 ? "" : "s", emu);
		if (l->pin.fifo_prio)
			printf("  vCPU threads: SCHED_FIFO priority %d\n", l->pin.fifo_prio);
	}
	strv_free(&argv);
	return EXIT_OK;
}

/* NAME's runtime directory, with a message for a VM of that name that is alive, an
 * orphan, or a directory that is not ours.  0 or an exit code. */
static int create_rundir(const struct settings *s, struct vm *vm)
{
	int r = rundir_create(s->cfg.name, vm->dir, sizeof(vm->dir));

	if (r == -EEXIST) {
		struct vmstate st;
		const bool have = rundir_read_state(s->cfg.name, &st, NULL, 0) == 0;
		const char *phase = have ? rundir_state_phase(&st) : "starting";
		int code;
		if (!strcmp(phase, "orphan"))
			code = cli_fail(EXIT_FAIL, "a VM named '%s' is left over from a vmlaunch that was killed (QEMU pid %d lives on): stop it (vmlaunch stop %s) or choose another --name",
					s->cfg.name, (int)st.pid, s->cfg.name);
		else
			code = cli_fail(EXIT_FAIL, "a VM named '%s' is %s: stop it (vmlaunch stop %s) or choose another --name",
					s->cfg.name, phase, s->cfg.name);
		vmstate_free(&st);
		return code;
	}
	if (r == -ELOOP || r == -EPERM)
		return cli_fail(EXIT_FAIL, "the runtime directory of '%s' is %s: remove it (%s)", s->cfg.name,
				r == -ELOOP ? "a symlink, which vmlaunch never follows" : "not a private directory of ours", vm->dir);
	if (r < 0)
		return cli_fail(EXIT_FAIL, "cannot create the runtime directory: %s", strerror(-r));
	snprintf(vm->q.sock, sizeof(vm->q.sock), "%s/qmp.sock", vm->dir);
	return 0;
}

/* --daemonize: fork; the parent waits for the supervisor's word (its report, or why
 * it failed), prints it and returns its exit code through *@code; the child becomes
 * the supervisor (a session of its own, stdio on /dev/null, QEMU's stderr into
 * qemu.log) and gets 0.  -1 when fork failed. */
static int daemonize(struct vm *vm, int qfd, int *code)
{
	char line[4096], log[PATH_MAX + 16];
	int pfd[2], null;
	pid_t child;
	FILE *in;

	if (pipe2(pfd, O_CLOEXEC) < 0 || (child = fork()) < 0)
		return -1;
	if (child > 0) {
		close(pfd[1]);
		close(qfd);
		in = fdopen(pfd[0], "r");
		*code = EXIT_FAIL;
		while (in && fgets(line, sizeof(line), in)) {
			if (line[0] == 'E') {
				fprintf(stderr, "%s: %s", cli_prog, line + 1);
				*code = EXIT_FAIL;
			} else {
				fputs(line + 1, stdout);
				*code = EXIT_OK;
			}
		}
		if (in)
			fclose(in);
		waitpid(child, NULL, WNOHANG);
		return 1;
	}
	close(pfd[0]);
	setsid();
	vm->report_fd = pfd[1];
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	dup2(null, 0);
	dup2(null, 1);
	dup2(null, 2);
	snprintf(log, sizeof(log), "%s/qemu.log", vm->dir);
	vm->q.errout = fopen(log, "we");
	return 0;
}

/* The pinning report: to the waiting parent (--daemonize), which prints it, or here. */
static void report_started(const struct settings *s, struct vm *vm, json_t *res)
{
	char *text = NULL;
	size_t len = 0;
	FILE *mem;

	if (vm->report_fd < 0) {
		print_result(s->json ? stdout : stderr, s, res);
		return;
	}
	mem = open_memstream(&text, &len);
	if (mem) {
		if (s->json) {
			json_dumpf(res, mem, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
			fputc('\n', mem);
		} else {
			print_result(mem, &(struct settings){ .cmd = "launch" }, res);
		}
		fclose(mem);
	}
	for (char *p = text, *nl; p && *p; p = nl + 1) {
		nl = strchr(p, '\n');
		if (!nl)
			nl = p + strlen(p) - 1;
		dprintf(vm->report_fd, "O%.*s\n", (int)(nl - p), p);
	}
	free(text);
	close(vm->report_fd);
	vm->report_fd = -1;
}

/* Start QEMU paused with the state written first, pin it, run it.  The runtime
 * directory exists and @qfd listens; both are handed over or cleaned up here.  The
 * exit code. */
static int run_vm(struct settings *s, struct layout *l, struct vm *vm, int qfd)
{
	sigset_t mask, oldmask;
	json_t *res = NULL;
	struct vmstate st = { 0 };
	int sfd, code;

	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, &oldmask);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);

	/* The state says who we are before QEMU exists, and QEMU's pid the moment it does:
	 * a vmlaunch killed during start-up leaves a VM that list shows and stop can end. */
	snprintf(st.name, sizeof(st.name), "%s", s->cfg.name);
	snprintf(st.phase, sizeof(st.phase), "starting");
	snprintf(st.qmp, sizeof(st.qmp), "%s", vm->q.sock);
	st.supervisor = getpid();
	rundir_write_state(vm->dir, &st);
	s->cfg.qmp_fd = 3; /* the listening socket, as QEMU will see it */
	vm->q.quiet_stdout = vm->report_fd >= 0;
	vm->q.pid = qemurun_spawn(&vm->q, &s->cfg, qfd, &oldmask);
	if (vm->q.pid > 0) {
		st.pid = vm->q.pid;
		rundir_write_state(vm->dir, &st);
	}
	close(qfd); /* only QEMU holds it now: if QEMU dies, our connection is refused at once */
	if (vm->q.pid < 0) {
		rundir_remove(vm->dir);
		return report_failure(vm, EXIT_FAIL, "cannot start QEMU: %s", strerror((int)-vm->q.pid));
	}
	if ((code = start_pinned(l, vm, &res))) {
		rundir_remove(vm->dir);
		return code;
	}
	json_object_set_new(res, "name", json_string(s->cfg.name));
	json_object_set_new(res, "qmp", json_string(vm->q.sock));
	json_object_set_new(res, "accel", json_string(s->cfg.accel == ACCEL_KVM ? "kvm" : "tcg"));
	json_object_set_new(res, "supervisor", json_integer(getpid()));
	json_object_set_new(res, "phase", json_string("running"));
	/* The pinning report as the state: typed, and checked as any reader will check it. */
	if (vmstate_parse(res, &st) == 0)
		rundir_write_state(vm->dir, &st);
	vmstate_free(&st);
	report_started(s, vm, res);
	json_decref(res);
	code = supervise(s, vm, sfd);
	rundir_remove(vm->dir);
	return code;
}

static int launch(struct settings *s)
{
	struct layout l;
	struct vm vm = { .q = { .errfd = -1 }, .report_fd = -1 };
	char hpdir[PATH_MAX], why[128], console[PATH_MAX + 16];
	int qfd, code;

	if ((code = load_config(s)))
		return code;
	if ((code = check_layout(s, &l, 0)) || (code = check_other_vms(s, &l)))
		goto out;
	s->cfg.map = &l.map;
	s->cfg.accel = qemucmd_pick_accel(s->accel, &l.facts, why, sizeof(why));
	if (why[0])
		cli_warn("%s: running under TCG (much slower than KVM; pinning works the same)", why);
	if (s->hugepages && (code = plan_hugepages(s, &l, hpdir, sizeof(hpdir))))
		goto out;
	if (s->dry_run) {
		code = dry_run(s, &l);
		goto out;
	}
	if ((code = create_rundir(s, &vm)))
		goto out;
	if (s->daemonize && !s->cfg.console_log) {
		snprintf(console, sizeof(console), "%s/console.log", vm.dir);
		s->cfg.console_log = console;
	}
	qfd = qemurun_listen(vm.q.sock);
	if (qfd < 0) {
		rundir_remove(vm.dir);
		code = cli_fail(EXIT_FAIL, "cannot create the QMP socket %s: %s", vm.q.sock, strerror(-qfd));
		goto out;
	}
	vm.q.errout = stderr;
	if (s->daemonize) {
		int r = daemonize(&vm, qfd, &code);
		if (r < 0) {
			rundir_remove(vm.dir);
			code = cli_fail(EXIT_FAIL, "cannot daemonize: %s", strerror(errno));
		}
		if (r != 0)
			goto out; /* the parent, done */
	}
	code = run_vm(s, &l, &vm, qfd);
out:
	if (vm.q.errout && vm.q.errout != stderr)
		fclose(vm.q.errout);
	if (!code)
		code = EXIT_OK;
	s->cfg.console_log = s->cfg.console_log == console ? NULL : s->cfg.console_log;
	s->cfg.map = NULL; /* @l is ours only until we return */
	layout_free(&l);
	return code;
}

/* --- attach, list, stop ---------------------------------------------------- */

static int attach(struct settings *s)
{
	struct layout l;
	struct qmp_error qerr;
	struct qmp *q;
	char sock[PATH_MAX], msg[1024];
	json_t *res = NULL;
	pid_t pid;
	int code, r;

	sock[0] = '\0';
	if (s->pid) {
		r = qemuproc_qmp_path((pid_t)s->pid, sock, sizeof(sock));
		if (r == -ESRCH)
			return cli_fail(EXIT_NO_VM, "no process with pid %ld", s->pid);
		if (r < 0)
			sock[0] = '\0'; /* no QMP: the vCPU threads by their names */
	} else {
		snprintf(sock, sizeof(sock), "%s", s->qmp_arg);
	}
	code = check_layout(s, &l, 0);
	if (code)
		goto out;
	if (!sock[0]) {
		r = vmpin_apply(NULL, (pid_t)s->pid, &l.pin, &res, msg, sizeof(msg));
		if (r < 0) {
			code = cli_fail(r == -EINVAL ? EXIT_USAGE : EXIT_FAIL, "%s", msg);
			goto out;
		}
		print_result(stdout, s, res);
		code = EXIT_OK;
		goto out;
	}
	q = qmp_connect(sock, 5000, &qerr);
	if (!q) {
		/* Nothing there, or nothing listening: no such VM. */
		code = cli_fail(errno == ENOENT || errno == ECONNREFUSED ? EXIT_NO_VM : EXIT_FAIL, "%s", qerr.desc);
		goto out;
	}
	pid = vmpin_peer_pid(q);
	if (pid <= 0 || (s->pid && pid != s->pid)) {
		qmp_close(q);
		code = cli_fail(EXIT_FAIL, "the QMP socket %s belongs to pid %d, not %ld", sock, (int)pid, s->pid);
		goto out;
	}
	r = vmpin_apply(q, pid, &l.pin, &res, msg, sizeof(msg));
	qmp_close(q);
	if (r < 0) {
		code = cli_fail(r == -EINVAL ? EXIT_USAGE : EXIT_FAIL, "%s", msg);
		goto out;
	}
	json_object_set_new(res, "qmp", json_string(sock));
	print_result(stdout, s, res);
	code = EXIT_OK;
out:
	json_decref(res);
	layout_free(&l);
	return code;
}

static int list(struct settings *s)
{
	json_t *out = rundir_list_pinned(), *st;
	size_t i;

	if (!out)
		return cli_fail(EXIT_FAIL, "out of memory");
	if (s->json) {
		json_dumpf(out, stdout, JSON_INDENT(2));
		putchar('\n');
	} else if (json_array_size(out) == 0) {
		printf("no VMs running\n");
	} else {
		printf("%-16s %8s  %-9s %-40s %s\n", "NAME", "PID", "STATE", "QMP", "VCPU:CPU");
		json_array_foreach(out, i, st) {
			json_t *v;
			size_t k;
			printf("%-16s %8lld  %-9s %-40s", json_string_value(json_object_get(st, "name")),
			       json_integer_value(json_object_get(st, "pid")), json_string_value(json_object_get(st, "phase")),
			       json_string_value(json_object_get(st, "qmp")));
			json_array_foreach(json_object_get(st, "vcpus"), k, v) {
				if (json_is_integer(json_object_get(v, "cpu")))
					printf(" %lld:%lld", json_integer_value(json_object_get(v, "vcpu")),
					       json_integer_value(json_object_get(v, "cpu")));
				else
					printf(" %lld:unpinned", json_integer_value(json_object_get(v, "vcpu")));
			}
			printf("\n");
		}
	}
	json_decref(out);
	return EXIT_OK;
}

static int stop(struct settings *s)
{
	char dir[PATH_MAX];
	struct vmstate st;
	int r = rundir_read_state(s->name, &st, dir, sizeof(dir));
	pid_t sup, pid;
	long long deadline;

	if (r == -ENOENT)
		return cli_fail(EXIT_NO_VM, "no VM named '%s' (see vmlaunch list)", s->name);
	if (r < 0)
		return cli_fail(EXIT_FAIL, "VM '%s': %s/state.json is not a state vmlaunch wrote: stop its QEMU by hand", s->name, dir);
	sup = st.supervisor;
	pid = st.pid;
	if (!rundir_state_alive(&st)) {
		rundir_remove(dir);
		vmstate_free(&st);
		return cli_fail(EXIT_NO_VM, "VM '%s' is not running (its leftover state is removed)", s->name);
	}
	if (sup > 0 && kill(sup, SIGTERM) == 0) {
		/* The supervisor powers the guest down, quits, kills, and removes the directory. */
		deadline = qemurun_now_ms() + 60000;
		while (kill(sup, 0) == 0 && qemurun_now_ms() < deadline)
			poll(NULL, 0, 20);
	}
	if (pid > 0 && kill(pid, 0) == 0) {
		/* An orphan (its vmlaunch was killed), or a supervisor that did not finish. */
		qemurun_qmp_once(st.qmp, "quit", 2000);
		deadline = qemurun_now_ms() + 5000;
		while (kill(pid, 0) == 0 && qemurun_now_ms() < deadline)
			poll(NULL, 0, 20);
		/* Only the QEMU of this VM: a pid from a file may have been reused meanwhile. */
		if (kill(pid, 0) == 0 && rundir_is_qemu_of(pid, s->name))
			kill(pid, SIGKILL);
	}
	rundir_remove(dir);
	vmstate_free(&st);
	printf("%s: VM '%s' stopped\n", cli_prog, s->name);
	return EXIT_OK;
}

const struct vmlaunch_backend vmlaunch_qemu = {
	.name = "qemu", .launch = launch, .attach = attach, .list = list, .stop = stop,
};
