/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vmlaunch's libvirt backend (--libvirt): the same options as a domain's XML,
 * defined and started paused, pinned by libvirt and verified through its API (and
 * /proc when its QEMU is local), then resumed; attach re-pins live; list and stop
 * only the domains vmlaunch defined (launcher/virt.c).
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

/* --- through libvirt ---------------------------------------------------------- */

/* Paths go to libvirt, which hands them to QEMU running elsewhere (cwd /): a relative
 * *path is written absolute into buf and *path pointed there; -1 when that does not
 * fit (never a cut path). */
static int absolute(const char **path, char *buf, size_t len)
{
	char cwd[PATH_MAX];

	if (!*path || (*path)[0] == '/' || !getcwd(cwd, sizeof(cwd)))
		return 0;
	if ((size_t)snprintf(buf, len, "%s/%s", cwd, *path) >= len)
		return -1;
	*path = buf;
	return 0;
}

/* Every relative path of c made absolute; NULL, or the first path whose absolute
 * form is too long (c then partly rewritten: the caller stops). */
static const char *make_absolute(struct vm_config *c, struct vpaths *p)
{
	const char **one[] = { &c->kernel, &c->initrd, &c->disk, &c->console_log };
	char *buf[] = { p->kernel, p->initrd, p->disk, p->console };

	for (unsigned i = 0; i < sizeof(one) / sizeof(one[0]); i++)
		if (absolute(one[i], buf[i], PATH_MAX) < 0)
			return *one[i];
	for (unsigned i = 0; i < c->nserial; i++)
		if (absolute(&c->serial[i], p->serial[i], sizeof(p->serial[i])) < 0)
			return c->serial[i];
	for (unsigned i = 0; i < c->nvhost; i++) {
		char tmp[sizeof(c->vhost[i].path)];
		const char *path = c->vhost[i].path;
		if (absolute(&path, tmp, sizeof(tmp)) < 0)
			return c->vhost[i].path;
		if (path == tmp)
			memcpy(c->vhost[i].path, tmp, sizeof(tmp));
	}
	return NULL;
}

/* The QEMU binary as libvirt's <emulator> wants it: a path. */
static const char *find_binary(const char *name, char *buf, size_t len)
{
	const char *path = getenv("PATH");
	char *copy, *save = NULL;

	if (strchr(name, '/'))
		return name;
	copy = strdup(path ? path : "/usr/bin:/bin");
	for (char *d = copy ? strtok_r(copy, ":", &save) : NULL; d; d = strtok_r(NULL, ":", &save)) {
		snprintf(buf, len, "%s/%s", d, name);
		if (access(buf, X_OK) == 0) {
			free(copy);
			return buf;
		}
	}
	free(copy);
	return NULL;
}

/* Connect to libvirt; the exit code on failure. */
static int virt_connect(const struct settings *s, struct virt **v)
{
	char msg[1024];

	if (virt_open(s->connect, v, msg, sizeof(msg)) < 0)
		return cli_fail(EXIT_FAIL, "%s", msg);
	return 0;
}

/* Validate the map where it will run: this host's checks when libvirt's QEMU is local;
 * CPU numbers only for a host elsewhere or libvirt's test driver. */
static int virt_layout(struct settings *s, struct virt *v, struct layout *l)
{
	unsigned ncpus = v && !virt_is_local_qemu(v) ? virt_host_cpus(v) : 0;

	if (v && !virt_is_local_qemu(v) && !ncpus)
		return cli_fail(EXIT_FAIL, "libvirt at %s does not say how many CPUs its host has", virt_uri(v));
	if (ncpus && strcmp(virt_driver(v), "TEST") != 0)
		cli_warn("%s is not this host: its SMT, isolation and NUMA are not checked here (run 'pincheck plan' there)",
			 virt_uri(v));
	return check_layout(s, l, ncpus);
}

/* Run until the domain ends or a signal asks: then shutdown, grace, destroy, undefine. */
static int virt_supervise(struct settings *s, struct virt *v)
{
	struct timespec tick = { 0, 200 * 1000000 };
	sigset_t mask;
	char msg[1024];
	bool crashed = false;
	int sig, r;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	for (;;) {
		sig = sigtimedwait(&mask, NULL, &tick);
		if (sig > 0) {
			if (virt_stop(v, s->cfg.name, s->grace, msg, sizeof(msg)) < 0)
				return cli_fail(EXIT_FAIL, "%s", msg);
			return EXIT_OK;
		}
		r = virt_running(v, s->cfg.name, &crashed, msg, sizeof(msg));
		if (r < 0)
			return cli_fail(EXIT_FAIL, "%s", msg);
		if (r == 0)
			break;
	}
	/* The guest powered off (or crashed): the definition goes with it. */
	if (virt_stop(v, s->cfg.name, 0, msg, sizeof(msg)) == -1)
		cli_warn("%s", msg);
	if (crashed)
		return cli_fail(EXIT_FAIL, "domain '%s' crashed", s->cfg.name);
	return EXIT_OK;
}

static int launch_libvirt(struct settings *s)
{
	struct virt *v = NULL;
	struct layout l = { 0 };
	struct virt_domain_opts o = { 0 };
	char hpdir[PATH_MAX], why[128], msg[1024], bin[PATH_MAX];
	json_t *res = NULL;
	char *xml = NULL;
	unsigned moved = 0;
	int code;

	if ((code = load_config(s)))
		return code;
	if (s->dry_run)
		return cli_usage_error("--dry-run is for the QEMU backend; --libvirt --emit-xml prints the domain");
	/* --emit-xml without --connect needs no daemon: the XML for this host. */
	if ((!s->emit_xml || s->connect) && (code = virt_connect(s, &v)))
		return code;
	if ((code = virt_layout(s, v, &l)))
		goto out;
	s->cfg.map = &l.map;
	if (v && !strcmp(virt_driver(v), "TEST")) {
		o.type = "test";
	} else if (!v || virt_is_local_qemu(v)) {
		if (!l.topo && (l.topo = topo_load_live()) == NULL) {
			code = cli_fail(EXIT_FAIL, "cannot read this host's topology: %s", strerror(errno));
			goto out;
		}
		s->cfg.accel = qemucmd_pick_accel(s->accel, &l.facts, why, sizeof(why));
		if (why[0])
			cli_warn("%s: running under TCG (much slower than KVM; pinning works the same)", why);
		o.type = s->cfg.accel == ACCEL_KVM ? "kvm" : "qemu";
		o.emulator_binary = find_binary(s->cfg.qemu, bin, sizeof(bin));
	} else {
		bool kvm = s->accel == ACCEL_KVM || (s->accel == ACCEL_AUTO && virt_offers_kvm(v));
		o.type = kvm ? "kvm" : "qemu";
		s->cfg.accel = kvm ? ACCEL_KVM : ACCEL_TCG;
		o.emulator_binary = s->cfg.qemu[0] == '/' ? s->cfg.qemu : NULL;
	}
	o.tcg = !strcmp(o.type, "qemu");
	o.emulator = &l.pin.emulator;
	o.fifo_prio = l.pin.fifo_prio;
	if (s->hugepages) {
		if (!v || virt_is_local_qemu(v)) {
			if ((code = plan_hugepages(s, &l, hpdir, sizeof(hpdir))))
				goto out;
			if (s->hugepages_dir)
				cli_warn("libvirt takes the hugetlbfs mount of that page size from its own qemu.conf, not %s",
					 s->hugepages_dir);
		}
		o.hugepage_kb = s->hugepage_kb ? s->hugepage_kb : 2048;
	}
	if (strcmp(o.type, "test") != 0 && s->cfg.mem_node < 0 && (!v || virt_is_local_qemu(v))) {
		/* <numatune> on the vCPUs' node when they share one. */
		int node = -1;
		for (unsigned i = 0; i < l.map.n; i++) {
			int nd = topo_numa_of(l.topo, l.map.cpu[i]);
			node = i == 0 ? nd : (nd == node ? node : -1);
		}
		s->cfg.mem_node = node;
	}
	const char *longp = make_absolute(&s->cfg, &s->cfg_paths);
	if (longp) {
		code = cli_fail(EXIT_USAGE, "path '%s': too long once made absolute for libvirt (from this directory): give an absolute or shorter path",
				longp);
		goto out;
	}
	if (virt_domain_xml(&s->cfg, &o, &xml, msg, sizeof(msg)) < 0) {
		code = cli_fail(EXIT_FAIL, "%s", msg);
		goto out;
	}
	if (s->emit_xml) {
		fputs(xml, stdout);
		if (xml[0] && xml[strlen(xml) - 1] != '\n')
			putchar('\n');
		code = fflush(stdout) == 0 && !ferror(stdout) ? EXIT_OK : cli_fail(EXIT_FAIL, "cannot write the XML: %s",
										   strerror(errno));
		goto out;
	}
	if (virt_define_start_paused(v, xml, s->cfg.name, msg, sizeof(msg)) < 0) {
		code = cli_fail(EXIT_FAIL, "%s", msg);
		goto out;
	}
	/* Paused: libvirt pinned its threads at start; move what it left, check it all
	 * before the guest runs. */
	if (virt_move_other_threads(v, s->cfg.name, &l.pin.emulator, &moved, msg, sizeof(msg)) < 0 ||
	    virt_verify(v, s->cfg.name, &l.map, &l.pin.emulator, l.pin.fifo_prio, &res, msg, sizeof(msg)) < 0 ||
	    virt_resume(v, s->cfg.name, msg, sizeof(msg)) < 0) {
		char stopmsg[1024];
		virt_stop(v, s->cfg.name, 0, stopmsg, sizeof(stopmsg));
		code = cli_fail(EXIT_FAIL, "%s", msg);
		goto out;
	}
	json_object_set_new(res, "accel", json_string(s->cfg.accel == ACCEL_KVM ? "kvm" : "tcg"));
	json_object_set_new(res, "domain_type", json_string(o.type));
	json_object_set_new(res, "threads_moved_by_vmlaunch", json_integer(moved));
	json_object_set_new(res, "phase", json_string("running"));
	print_result(s->json ? stdout : stderr, s, res);
	code = s->daemonize ? EXIT_OK : virt_supervise(s, v);
out:
	json_decref(res);
	free(xml);
	s->cfg.map = NULL;
	layout_free(&l);
	virt_close(v);
	return code;
}

static int attach_libvirt(struct settings *s)
{
	struct virt *v = NULL;
	struct layout l = { 0 };
	json_t *res = NULL;
	char msg[1024];
	unsigned moved = 0;
	int code, r;

	if ((code = virt_connect(s, &v)))
		return code;
	if ((code = virt_layout(s, v, &l)))
		goto out;
	/* Away from this host, the emulator threads move only when asked. */
	r = virt_repin(v, s->domain, &l.map, virt_is_local_qemu(v) || s->emu_arg ? &l.pin.emulator : NULL, &moved, msg,
		       sizeof(msg));
	if (r == 0)
		r = virt_verify(v, s->domain, &l.map, virt_is_local_qemu(v) || s->emu_arg ? &l.pin.emulator : NULL, 0, &res,
				msg, sizeof(msg));
	if (r < 0) {
		code = cli_fail(r == -2 ? EXIT_USAGE : r == -3 ? EXIT_NO_VM : EXIT_FAIL, "%s", msg);
		goto out;
	}
	json_object_set_new(res, "threads_moved_by_vmlaunch", json_integer(moved));
	print_result(stdout, s, res);
	code = EXIT_OK;
out:
	json_decref(res);
	layout_free(&l);
	virt_close(v);
	return code;
}

static int list_libvirt(struct settings *s)
{
	struct virt *v = NULL;
	json_t *all, *d, *c;
	char msg[1024];
	size_t i, k;
	int code;

	if ((code = virt_connect(s, &v)))
		return code;
	all = virt_list(v, msg, sizeof(msg));
	if (!all) {
		virt_close(v);
		return cli_fail(EXIT_FAIL, "%s", msg);
	}
	if (s->json) {
		json_dumpf(all, stdout, JSON_INDENT(2));
		putchar('\n');
	} else if (json_array_size(all) == 0) {
		printf("no domains of vmlaunch on %s\n", virt_uri(v));
	} else {
		printf("%-16s %8s  %-9s %-28s %s\n", "NAME", "PID", "STATE", "URI", "VCPU:CPU");
		json_array_foreach(all, i, d) {
			json_t *pid = json_object_get(d, "pid");
			char pidtxt[24] = "-";
			if (json_is_integer(pid))
				snprintf(pidtxt, sizeof(pidtxt), "%lld", json_integer_value(pid));
			printf("%-16s %8s  %-9s %-28s", json_string_value(json_object_get(d, "name")), pidtxt,
			       json_string_value(json_object_get(d, "phase")), json_string_value(json_object_get(d, "uri")));
			json_array_foreach(json_object_get(d, "vcpus"), k, c) {
				if (json_is_integer(json_object_get(c, "cpu")))
					printf(" %lld:%lld", json_integer_value(json_object_get(c, "vcpu")),
					       json_integer_value(json_object_get(c, "cpu")));
				else
					printf(" %lld:unpinned", json_integer_value(json_object_get(c, "vcpu")));
			}
			printf("\n");
		}
	}
	json_decref(all);
	virt_close(v);
	return EXIT_OK;
}

static int stop_libvirt(struct settings *s)
{
	struct virt *v = NULL;
	char msg[1024];
	int code, r;

	if ((code = virt_connect(s, &v)))
		return code;
	r = virt_stop(v, s->name, s->grace, msg, sizeof(msg));
	if (r < 0)
		code = cli_fail(r == -2 ? EXIT_NO_VM : EXIT_FAIL, "%s", msg);
	else
		printf("%s: domain '%s' on %s stopped and undefined\n", cli_prog, s->name, virt_uri(v));
	virt_close(v);
	return r < 0 ? code : EXIT_OK;
}

const struct vmlaunch_backend vmlaunch_libvirt = {
	.name = "libvirt", .launch = launch_libvirt, .attach = attach_libvirt, .list = list_libvirt, .stop = stop_libvirt,
};
