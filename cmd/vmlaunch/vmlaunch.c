/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vmlaunch — start QEMU paused, pin every vCPU thread to its host CPU over QMP,
 * pin QEMU's other threads to housekeeping CPUs, read it all back, then run
 * the guest.  Also: attach to a running QEMU, list, stop.
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


/* How long QEMU may take to come up and greet on QMP. */
#define QMP_START_MS 15000

/* The absolute forms of a profile's relative paths, for libvirt (which runs QEMU
 * in another directory); the config's pointers are set to them. */
struct vpaths {
	char kernel[PATH_MAX], initrd[PATH_MAX], disk[PATH_MAX], console[PATH_MAX];
	char serial[QEMUCMD_MAX_SERIAL][PATH_MAX];
};

struct settings {
	const char *cmd;                 /* launch, attach, list, stop */
	const char *name, *map_arg, *emu_arg, *sched_arg, *profile, *memory_arg, *hugepages_dir, *qmp_arg;
	const char *connect, *domain;    /* --libvirt: libvirt's URI; attach's domain */
	bool hugepages, allow_shared, daemonize, dry_run, json, libvirt, emit_xml;
	unsigned long hugepage_kb;       /* --hugepages: the page size of the mount used */
	enum accel accel;
	double grace;
	long pid;
	struct vm_config cfg;
	struct vpaths cfg_paths;         /* what cfg's paths point to once made absolute */
	char profile_args[1024];
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage:\n"
		" %1$s --vcpu-map MAP [options] [-- EXTRA-QEMU-ARGS]\n"
		" %1$s attach (--qmp SOCKET | --pid PID) --vcpu-map MAP [--emulator-cpus LIST]\n"
		" %1$s list [--json]\n"
		" %1$s stop NAME\n"
		" %1$s --libvirt [--connect URI] --vcpu-map MAP [options]   (also --emit-xml)\n"
		" %1$s attach --libvirt DOMAIN [--connect URI] --vcpu-map MAP [--emulator-cpus LIST]\n"
		" %1$s list --libvirt [--connect URI]; %1$s stop --libvirt NAME [--connect URI]\n"
		"\n"
		"Start QEMU paused, pin vCPU i to host CPU j over QMP before the guest runs,\n"
		"pin QEMU's other threads to housekeeping CPUs, verify, then run the guest.\n"
		"\n"
		"Options:\n"
		"     --vcpu-map MAP          vCPU i on host CPU j: 0:4,1:5 or 0-3:4-7 (vCPU count = map size)\n"
		"     --name NAME             the VM's name (default vm)\n"
		"     --memory SIZE           guest RAM (default from the profile: 256M)\n"
		"     --kernel FILE, --initrd FILE, --append CMDLINE, --disk IMAGE\n"
		"                             boot media; without any the guest sits in its firmware\n"
		"     --hugepages[=DIR]       guest RAM on hugetlbfs, shared, preallocated, bound to the\n"
		"                             vCPUs' NUMA node (default DIR: the mount of the default size)\n"
		"     --vhost-user PATH[,queues=N][,mac=MAC][,server][,reconnect=SECONDS]\n"
		"                             a vhost-user NIC (repeatable)\n"
		"     --console-log FILE      serial console into FILE (default: standard output)\n"
		"     --serial FILE           one more serial port (ttyS1, ttyS2...) into FILE (repeatable)\n"
		"     --qemu BINARY           the QEMU binary\n"
		"     --profile NAME|FILE     QEMU profile (templates/qemu/NAME.conf; default: default)\n"
		"     --accel auto|kvm|tcg    auto: KVM only with kvm_intel/kvm_amd loaded, else TCG\n"
		"     --emulator-cpus LIST    CPUs for QEMU's other threads (default: allowed CPUs not in the map)\n"
		"     --vcpu-sched fifo:PRIO  run vCPU threads SCHED_FIFO at PRIO (1-99)\n"
		"     --allow-shared          allow two vCPUs on one CPU\n"
		"     --grace SECONDS         on SIGINT/SIGTERM: powerdown, wait this long, then quit (default 10)\n"
		"     --daemonize             return once the guest runs pinned; leave it running\n"
		"     --dry-run               print the QEMU command and the pinning plan, run nothing\n"
		" -j, --json                  print the pinning result as JSON\n"
		"     --qmp SOCKET, --pid PID (attach) the QEMU to pin\n"
		"     --libvirt               through libvirt: a domain defined and started with its\n"
		"                             <cputune>, verified through the API and /proc (attach: DOMAIN)\n"
		"     --connect URI           libvirt's URI (default: libvirt's own, e.g. qemu:///system)\n"
		"     --emit-xml              print the domain XML (--libvirt) and exit\n"
		" -h, --help                  display this help\n"
		" -V, --version               display version\n"
		"\n"
		"Exit status: QEMU's own when it ran (128+N when killed by signal N); 1 failure;\n"
		"2 usage error.\n"
		"\n"
		"For more details see vmlaunch(1).\n", cli_prog);
}





/* --- options ---------------------------------------------------------------- */

static int parse_args(int argc, char **argv, struct settings *s)
{
	enum {
		OPT_NAME = 256, OPT_MAP, OPT_MEMORY, OPT_KERNEL, OPT_INITRD, OPT_APPEND, OPT_DISK, OPT_HUGE, OPT_VHOST, OPT_CONSOLE,
		OPT_QEMU, OPT_PROFILE, OPT_ACCEL, OPT_EMU, OPT_SCHED, OPT_SHARED, OPT_GRACE, OPT_DAEMON, OPT_DRY, OPT_QMP, OPT_PID,
		OPT_SERIAL, OPT_LIBVIRT, OPT_CONNECT, OPT_EMIT,
	};
	/* Not const: --libvirt takes the domain in attach and is a flag elsewhere. */
	static struct option longopts[] = {
		{ "libvirt", no_argument, NULL, OPT_LIBVIRT },
		{ "connect", required_argument, NULL, OPT_CONNECT },
		{ "emit-xml", no_argument, NULL, OPT_EMIT },
		{ "name", required_argument, NULL, OPT_NAME },
		{ "vcpu-map", required_argument, NULL, OPT_MAP },
		{ "memory", required_argument, NULL, OPT_MEMORY },
		{ "kernel", required_argument, NULL, OPT_KERNEL },
		{ "initrd", required_argument, NULL, OPT_INITRD },
		{ "append", required_argument, NULL, OPT_APPEND },
		{ "disk", required_argument, NULL, OPT_DISK },
		{ "hugepages", optional_argument, NULL, OPT_HUGE },
		{ "vhost-user", required_argument, NULL, OPT_VHOST },
		{ "console-log", required_argument, NULL, OPT_CONSOLE },
		{ "serial", required_argument, NULL, OPT_SERIAL },
		{ "qemu", required_argument, NULL, OPT_QEMU },
		{ "profile", required_argument, NULL, OPT_PROFILE },
		{ "accel", required_argument, NULL, OPT_ACCEL },
		{ "emulator-cpus", required_argument, NULL, OPT_EMU },
		{ "vcpu-sched", required_argument, NULL, OPT_SCHED },
		{ "allow-shared", no_argument, NULL, OPT_SHARED },
		{ "grace", required_argument, NULL, OPT_GRACE },
		{ "daemonize", no_argument, NULL, OPT_DAEMON },
		{ "dry-run", no_argument, NULL, OPT_DRY },
		{ "qmp", required_argument, NULL, OPT_QMP },
		{ "pid", required_argument, NULL, OPT_PID },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct pin_error err;
	unsigned long long u;
	int c;

	s->cmd = "launch";
	if (argc > 1 && (!strcmp(argv[1], "attach") || !strcmp(argv[1], "list") || !strcmp(argv[1], "stop"))) {
		s->cmd = argv[1];
		argv++;
		argc--;
	}
	longopts[0].has_arg = !strcmp(s->cmd, "attach") ? required_argument : no_argument;
	while ((c = getopt_long(argc, argv, "jhV", longopts, NULL)) != -1) {
		struct vm_config *cfg = &s->cfg;
		switch (c) {
		case OPT_NAME:
			if (!rundir_valid_name(optarg))
				return cli_usage_error("invalid name '%s' (1-32 of letters, digits, '_', '.', '-')", optarg);
			s->name = optarg;
			break;
		case OPT_MAP: s->map_arg = optarg; break;
		case OPT_MEMORY: s->memory_arg = optarg; break;
		case OPT_KERNEL: cfg->kernel = optarg; break;
		case OPT_INITRD: cfg->initrd = optarg; break;
		case OPT_APPEND: cfg->append = optarg; break;
		case OPT_DISK: cfg->disk = optarg; break;
		case OPT_HUGE:
			s->hugepages = true;
			s->hugepages_dir = optarg;
			break;
		case OPT_VHOST:
			if (cfg->nvhost == QEMUCMD_MAX_VHOST)
				return cli_usage_error("at most %d --vhost-user NICs", QEMUCMD_MAX_VHOST);
			if (qemucmd_parse_vhost(optarg, &cfg->vhost[cfg->nvhost], &err) < 0)
				return cli_usage_error("%s", err.msg);
			cfg->nvhost++;
			break;
		case OPT_CONSOLE: cfg->console_log = optarg; break;
		case OPT_SERIAL:
			if (cfg->nserial == QEMUCMD_MAX_SERIAL)
				return cli_usage_error("at most %d --serial ports", QEMUCMD_MAX_SERIAL);
			cfg->serial[cfg->nserial++] = optarg;
			break;
		case OPT_QEMU: snprintf(s->cfg.qemu, sizeof(s->cfg.qemu), "%s", optarg); break;
		case OPT_PROFILE: s->profile = optarg; break;
		case OPT_ACCEL:
			if (!strcmp(optarg, "auto"))
				s->accel = ACCEL_AUTO;
			else if (!strcmp(optarg, "kvm"))
				s->accel = ACCEL_KVM;
			else if (!strcmp(optarg, "tcg"))
				s->accel = ACCEL_TCG;
			else
				return cli_usage_error("invalid --accel '%s' (auto, kvm or tcg)", optarg);
			break;
		case OPT_EMU: s->emu_arg = optarg; break;
		case OPT_SCHED: s->sched_arg = optarg; break;
		case OPT_SHARED: s->allow_shared = true; break;
		case OPT_GRACE:
			if (num_parse_seconds(optarg, true, 3600, &s->grace) < 0)
				return cli_usage_error("invalid --grace '%s' (seconds, 0-3600)", optarg);
			break;
		case OPT_DAEMON: s->daemonize = true; break;
		case OPT_DRY: s->dry_run = true; break;
		case OPT_QMP: s->qmp_arg = optarg; break;
		case OPT_LIBVIRT:
			s->libvirt = true;
			s->domain = optarg;
			break;
		case OPT_CONNECT: s->connect = optarg; break;
		case OPT_EMIT: s->emit_xml = s->libvirt = true; break;
		case OPT_PID:
			if (num_parse_uint(optarg, 1, INT_MAX, &u) < 0)
				return cli_usage_error("invalid pid '%s'", optarg);
			s->pid = (long)u;
			break;
		case 'j': s->json = true; break;
		case 'h':
			usage(stdout);
			exit(EXIT_OK);
		case 'V':
			exit(cli_version());
		default:
			return cli_try_help();
		}
	}
	if (!strcmp(s->cmd, "stop")) {
		if (optind >= argc)
			return cli_usage_error("stop needs the VM's NAME");
		s->name = argv[optind++];
	}
	if (!strcmp(s->cmd, "launch")) {
		/* After "--": QEMU's own arguments, appended as they are. */
		s->cfg.extra = argv + optind;
		s->cfg.nextra = argc - optind;
		if (optind > 0 && strcmp(argv[optind - 1], "--") != 0 && optind < argc)
			return cli_usage_error("unexpected argument '%s' (QEMU arguments go after --)", argv[optind]);
		optind = argc;
	}
	if (optind < argc)
		return cli_usage_error("unexpected argument '%s'", argv[optind]);
	if ((!strcmp(s->cmd, "launch") || !strcmp(s->cmd, "attach")) && !s->map_arg)
		return cli_usage_error("%s needs --vcpu-map MAP", strcmp(s->cmd, "launch") ? "attach" : "vmlaunch");
	if (s->connect && !s->libvirt)
		return cli_usage_error("--connect is an option of --libvirt");
	if (s->libvirt && (s->qmp_arg || s->pid))
		return cli_usage_error("--libvirt excludes --qmp and --pid");
	if (!strcmp(s->cmd, "attach") && !s->libvirt && !s->qmp_arg == !s->pid)
		return cli_usage_error("attach needs --qmp SOCKET, --pid PID or --libvirt DOMAIN (one of them)");
	if (strcmp(s->cmd, "attach") && (s->qmp_arg || s->pid))
		return cli_usage_error("--qmp and --pid are options of attach");
	if (s->cfg.kernel && s->cfg.disk)
		return cli_usage_error("--kernel and --disk exclude each other");
	if ((s->cfg.initrd || s->cfg.append) && !s->cfg.kernel)
		return cli_usage_error("--initrd and --append need --kernel");
	return 0;
}

/* --- validation, shared by launch and attach -------------------------------- */

struct layout {
	struct hostfacts facts;
	struct topo *topo;
	struct vmap map;
	struct vmpin_plan pin;
};

static void layout_free(struct layout *l)
{
	vmap_free(&l->map);
	topo_free(l->topo);
	hostfacts_free(&l->facts);
}

/* The map against the host's topology and facts, by the same code as pincheck plan.
 * 0 or an exit code. */
static int check_map_local(struct settings *s, struct layout *l)
{
	struct pin_error err;
	struct plan p;
	json_t *rep, *f;
	size_t i;
	int r;

	if ((r = hostfacts_read(&l->facts)) < 0)
		return cli_fail(EXIT_FAIL, "cannot read this host's CPUs: %s", strerror(-r));
	l->topo = topo_load_live();
	if (!l->topo)
		return cli_fail(EXIT_FAIL, "cannot read this host's topology: %s", strerror(errno));
	/* attach: QEMU's cpu-indexes, which hot-plugged CPUs may leave with gaps; launch: 0..n-1. */
	if ((!strcmp(s->cmd, "attach") && !s->libvirt ? vmap_parse_sparse : vmap_parse)(&l->map, s->map_arg,
											 l->facts.cpu_limit, &err) < 0)
		return cli_fail(EXIT_USAGE, "invalid --vcpu-map '%s': %s", s->map_arg, err.msg);
	p = (struct plan){ .map = &l->map, .topo = l->topo, .facts = &l->facts };
	if (plan_validate(&p, &err) < 0)
		return cli_fail(EXIT_USAGE, "%s", err.msg);
	rep = report_new("plan");
	if (!rep || plan_check(&p, rep) < 0) {
		json_decref(rep);
		return cli_fail(EXIT_FAIL, "out of memory");
	}
	json_array_foreach(json_object_get(rep, "findings"), i, f) {
		const char *id = json_string_value(json_object_get(f, "id"));
		const char *sev = json_string_value(json_object_get(f, "severity"));
		const char *msg = json_string_value(json_object_get(f, "message"));
		if (!strcmp(sev, "ok"))
			continue;
		if (!strcmp(id, "vcpu-shared-cpu") && !s->allow_shared) {
			cli_fail(EXIT_USAGE, "%s; pass --allow-shared to run it anyway", msg);
			json_decref(rep);
			return EXIT_USAGE;
		}
		cli_warn("%s", msg);
	}
	json_decref(rep);
	return 0;
}

/* A vCPU on a CPU another VM's vCPU is pinned to (a VM vmlaunch started) is refused as
 * two of its own are: two guests' vCPUs on one CPU measure each other.  Unless
 * --allow-shared.  0, or an exit code. */
static int check_other_vms(const struct settings *s, const struct layout *l)
{
	json_t *pinned;
	char who[256];
	int code = 0;

	if (s->allow_shared)
		return 0;
	if (!(pinned = rundir_list_pinned()))
		return cli_fail(EXIT_FAIL, "out of memory");
	for (unsigned i = 0; i < l->map.n && !code; i++)
		if (l->map.cpu[i] >= 0 && rundir_vcpu_on(pinned, l->map.cpu[i], s->name, who, sizeof(who)))
			code = cli_fail(EXIT_FAIL, "vCPU %u would run on CPU %d: %s; pass --allow-shared to run it anyway", i,
					l->map.cpu[i], who);
	json_decref(pinned);
	return code;
}

/* The map for a libvirt host that is not this one: CPU numbers below its count, no
 * CPU twice unless allowed.  Its topology is not ours to judge (pincheck plan there). */
static int check_map_remote(struct settings *s, struct layout *l, unsigned ncpus)
{
	struct pin_error err;
	struct cpuset shared;
	char list[256];

	if (vmap_parse(&l->map, s->map_arg, ncpus, &err) < 0)
		return cli_fail(EXIT_USAGE, "invalid --vcpu-map '%s': %s", s->map_arg, err.msg);
	if (vmap_shared(&l->map, &shared) && !s->allow_shared) {
		cpuset_format_list(&shared, list, sizeof(list));
		return cli_fail(EXIT_USAGE, "the map puts two vCPUs on CPUs %s; pass --allow-shared to run it anyway", list);
	}
	cpuset_zero(&l->facts.allowed);
	cpuset_zero(&l->facts.online);
	for (unsigned c = 0; c < ncpus && c < CPUSET_MAX; c++) {
		cpuset_set(&l->facts.allowed, c);
		cpuset_set(&l->facts.online, c);
	}
	l->facts.cpu_limit = ncpus;
	return 0;
}

/* The vCPU map and emulator CPUs.  @remote_cpus: 0 for this host; else the CPU count of
 * a libvirt host elsewhere (or libvirt's test driver), whose CPUs we cannot inspect. */
static int check_layout(struct settings *s, struct layout *l, unsigned remote_cpus)
{
	struct pin_error err;
	struct cpuset used;
	int code;

	memset(l, 0, sizeof(*l));
	code = remote_cpus ? check_map_remote(s, l, remote_cpus) : check_map_local(s, l);
	if (code)
		return code;
	/* Housekeeping CPUs: given, or every allowed CPU the vCPUs do not use. */
	vmap_cpus(&l->map, &used);
	if (s->emu_arg) {
		if (cpuset_parse(&l->pin.emulator, s->emu_arg, l->facts.cpu_limit, &err) < 0)
			return cli_fail(EXIT_USAGE, "invalid --emulator-cpus '%s': %s", s->emu_arg, err.msg);
		if (cpuset_empty(&l->pin.emulator))
			return cli_fail(EXIT_USAGE, "--emulator-cpus '%s' is empty", s->emu_arg);
		if (!remote_cpus && hostfacts_check_cpus(&l->facts, &l->pin.emulator, "--emulator-cpus include", &err) < 0)
			return cli_fail(EXIT_USAGE, "%s", err.msg);
		if (cpuset_intersects(&l->pin.emulator, &used))
			cli_warn("--emulator-cpus %s overlap the vCPUs' CPUs: QEMU's main loop will take time from a vCPU",
			     s->emu_arg);
	} else {
		cpuset_and(&l->pin.emulator, &l->facts.allowed, &l->facts.online);
		cpuset_andnot(&l->pin.emulator, &l->pin.emulator, &used);
		if (cpuset_empty(&l->pin.emulator)) {
			cpuset_and(&l->pin.emulator, &l->facts.allowed, &l->facts.online);
			cli_warn("the vCPUs use every allowed CPU: QEMU's other threads may run on all of them (give --emulator-cpus, or fewer vCPUs)");
		}
	}
	l->pin.map = &l->map;
	if (s->sched_arg) {
		unsigned long long prio;
		if (strncmp(s->sched_arg, "fifo:", 5) != 0)
			return cli_fail(EXIT_USAGE, "invalid --vcpu-sched '%s' (fifo:PRIO)", s->sched_arg);
		if (num_parse_uint(s->sched_arg + 5, 1, 99, &prio) < 0)
			return cli_fail(EXIT_USAGE, "invalid --vcpu-sched '%s': PRIO is 1-99", s->sched_arg);
		l->pin.fifo_prio = (int)prio;
	}
	return 0;
}

/* --- printing the result ---------------------------------------------------- */

static void print_result(FILE *out, const struct settings *s, json_t *res)
{
	json_t *v, *pid = json_object_get(res, "pid");
	const char *name = json_string_value(json_object_get(res, "name"));
	size_t i;

	if (s->json) {
		json_dumpf(res, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
		fflush(stdout);
		return;
	}
	fprintf(out, "%s: %s%s", cli_prog, name ? (s->libvirt ? "domain " : "VM ") : "", name ?: "QEMU");
	if (json_is_integer(pid))
		fprintf(out, " (pid %lld)", json_integer_value(pid));
	fprintf(out, " %s:\n", !strcmp(s->cmd, "attach") ? "pinned" : "running, pinned before its first instruction");
	json_array_foreach(json_object_get(res, "vcpus"), i, v) {
		fprintf(out, "  vCPU %lld -> CPU %lld", json_integer_value(json_object_get(v, "vcpu")),
			json_integer_value(json_object_get(v, "cpu")));
		if (json_is_integer(json_object_get(v, "tid")))
			fprintf(out, " (thread %lld)", json_integer_value(json_object_get(v, "tid")));
		fputc('\n', out);
	}
	if (json_array_size(json_object_get(res, "threads")))
		fprintf(out, "  QEMU's other threads (%zu) -> CPUs %s\n", json_array_size(json_object_get(res, "threads")),
			json_string_value(json_object_get(res, "emulator_cpus")));
	else
		fprintf(out, "  emulator threads -> CPUs %s\n", json_string_value(json_object_get(res, "emulator_cpus")));
	if (json_object_get(res, "qmp"))
		fprintf(out, "  QMP: %s\n", json_string_value(json_object_get(res, "qmp")));
	if (json_object_get(res, "uri"))
		fprintf(out, "  libvirt: %s (verified through the %s)\n", json_string_value(json_object_get(res, "uri")),
			json_string_value(json_object_get(res, "verified")));
	fflush(out);
}

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

/* Resolve --hugepages: the mount, enough free pages on the vCPUs' node.  0 or an exit code. */
static int plan_hugepages(struct settings *s, struct layout *l, char *dir, size_t len)
{
	unsigned long kb = hp_default_page_kb();
	struct hp_mount *m;
	struct hp_pool pool;
	int n, node = -1, found = -1;
	uint64_t need;
	char ps[16];

	n = hp_mounts(&m);
	for (int i = 0; i < n; i++) {
		if (s->hugepages_dir ? !strcmp(m[i].dir, s->hugepages_dir) : m[i].page_kb == kb) {
			found = i;
			break;
		}
	}
	if (found < 0) {
		free(m);
		if (s->hugepages_dir)
			return cli_fail(EXIT_FAIL, "%s is not a hugetlbfs mount: run 'hugepages mount %s'", s->hugepages_dir,
				    s->hugepages_dir);
		return cli_fail(EXIT_FAIL, "no hugetlbfs is mounted: run 'hugepages setup %lluM'",
			    (unsigned long long)s->cfg.memory_mb);
	}
	snprintf(dir, len, "%s", m[found].dir);
	kb = m[found].page_kb;
	s->hugepage_kb = kb;
	free(m);
	/* The node of the vCPUs, when they are all on one. */
	for (unsigned v = 0; v < l->map.n; v++) {
		int nd = topo_numa_of(l->topo, l->map.cpu[v]);
		if (v == 0)
			node = nd;
		else if (nd != node)
			node = -1;
	}
	if (node >= 0 && hp_has_nodes())
		s->cfg.mem_node = node;
	hp_format_page_size(kb, ps, sizeof(ps));
	need = (s->cfg.memory_mb * 1024 + kb - 1) / kb;
	if (hp_pool_read(hp_has_nodes() && node >= 0 ? node : -1, kb, &pool) == 0 && (uint64_t)pool.free < need) {
		char nodeopt[32] = "";
		if (hp_has_nodes() && node >= 0)
			snprintf(nodeopt, sizeof(nodeopt), " --node %d", node);
		return cli_fail(EXIT_FAIL, "not enough free %s hugepages%s for %lluM of guest RAM: %lld free, %llu needed; run 'hugepages reserve %lluM --page-size %s%s'",
			    ps, nodeopt[0] ? nodeopt + 2 : "", (unsigned long long)s->cfg.memory_mb, pool.free,
			    (unsigned long long)need, (unsigned long long)s->cfg.memory_mb, ps, nodeopt);
	}
	s->cfg.hugepage_dir = dir;
	return 0;
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

/* The QEMU binary, profile and memory the options and the profile ask for.  0 or an exit code. */
static int load_config(struct settings *s)
{
	struct pin_error err;

	if (s->profile || s->cfg.qemu[0] == '\0') {
		char keep[256];
		snprintf(keep, sizeof(keep), "%s", s->cfg.qemu);
		if (qemucmd_load_profile(&s->cfg, s->profile ? s->profile : "default", s->profile_args,
					 sizeof(s->profile_args), &err) < 0 && s->profile)
			return cli_fail(EXIT_USAGE, "%s", err.msg);
		if (keep[0])
			snprintf(s->cfg.qemu, sizeof(s->cfg.qemu), "%s", keep);
	}
	/* No --qemu, and no default profile found (an unusual install): the usual binary. */
	if (s->cfg.qemu[0] == '\0')
		snprintf(s->cfg.qemu, sizeof(s->cfg.qemu), "qemu-system-x86_64");
	if (s->memory_arg) {
		uint64_t bytes;
		if (hp_parse_size(s->memory_arg, &bytes, &err) < 0 || bytes < (16 << 20))
			return cli_usage_error("invalid --memory '%s' (at least 16M)", s->memory_arg);
		s->cfg.memory_mb = bytes >> 20;
	}
	if (s->name)
		snprintf(s->cfg.name, sizeof(s->cfg.name), "%s", s->name);
	return 0;
}

/* NAME's runtime directory, with a message for a VM of that name that is alive, an
 * orphan, or a directory that is not ours.  0 or an exit code. */
static int create_rundir(const struct settings *s, struct vm *vm)
{
	int r = rundir_create(s->cfg.name, vm->dir, sizeof(vm->dir));

	if (r == -EEXIST) {
		json_t *st = rundir_read_state(s->cfg.name, NULL, 0);
		const char *phase = st ? rundir_state_phase(st) : "starting";
		int code;
		if (!strcmp(phase, "orphan"))
			code = cli_fail(EXIT_FAIL, "a VM named '%s' is left over from a vmlaunch that was killed (QEMU pid %lld lives on): stop it (vmlaunch stop %s) or choose another --name",
					s->cfg.name, json_integer_value(json_object_get(st, "pid")), s->cfg.name);
		else
			code = cli_fail(EXIT_FAIL, "a VM named '%s' is %s: stop it (vmlaunch stop %s) or choose another --name",
					s->cfg.name, phase, s->cfg.name);
		json_decref(st);
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
	json_t *res = NULL, *st;
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
	st = json_pack("{s:s, s:s, s:s, s:i, s:i}", "name", s->cfg.name, "phase", "starting", "qmp", vm->q.sock, "supervisor",
		       (int)getpid(), "pid", 0);
	rundir_write_state(vm->dir, st);
	s->cfg.qmp_fd = 3; /* the listening socket, as QEMU will see it */
	vm->q.quiet_stdout = vm->report_fd >= 0;
	vm->q.pid = qemurun_spawn(&vm->q, &s->cfg, qfd, &oldmask);
	if (vm->q.pid > 0) {
		json_object_set_new(st, "pid", json_integer(vm->q.pid));
		rundir_write_state(vm->dir, st);
	}
	json_decref(st);
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
	rundir_write_state(vm->dir, res);
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
	json_t *st = rundir_read_state(s->name, dir, sizeof(dir));
	pid_t sup, pid;
	long long deadline;

	if (!st)
		return cli_fail(EXIT_NO_VM, "no VM named '%s' (see vmlaunch list)", s->name);
	sup = (pid_t)json_integer_value(json_object_get(st, "supervisor"));
	pid = (pid_t)json_integer_value(json_object_get(st, "pid"));
	if (!rundir_state_alive(st)) {
		rundir_remove(dir);
		json_decref(st);
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
		qemurun_qmp_once(json_string_value(json_object_get(st, "qmp")), "quit", 2000);
		deadline = qemurun_now_ms() + 5000;
		while (kill(pid, 0) == 0 && qemurun_now_ms() < deadline)
			poll(NULL, 0, 20);
		/* Only the QEMU of this VM: a pid from a file may have been reused meanwhile. */
		if (kill(pid, 0) == 0 && rundir_is_qemu_of(pid, s->name))
			kill(pid, SIGKILL);
	}
	rundir_remove(dir);
	json_decref(st);
	printf("%s: VM '%s' stopped\n", cli_prog, s->name);
	return EXIT_OK;
}

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

int main(int argc, char **argv)
{
	struct settings s = { .accel = ACCEL_AUTO, .grace = 10 };
	int r;

	cli_prog = "vmlaunch";
	/* A reader that went away is an error we report, not a silent death. */
	signal(SIGPIPE, SIG_IGN);

	qemucmd_defaults(&s.cfg);
	s.cfg.qemu[0] = '\0'; /* from --qemu or the profile */
	r = parse_args(argc, argv, &s);
	if (r)
		return r;
	if (!strcmp(s.cmd, "list"))
		return s.libvirt ? list_libvirt(&s) : list(&s);
	if (!strcmp(s.cmd, "stop"))
		return s.libvirt ? stop_libvirt(&s) : stop(&s);
	if (!strcmp(s.cmd, "attach"))
		return s.libvirt ? attach_libvirt(&s) : attach(&s);
	return s.libvirt ? launch_libvirt(&s) : launch(&s);
}
