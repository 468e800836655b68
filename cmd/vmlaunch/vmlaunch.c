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
#include "cmd/vmlaunch/vmlaunch.h"

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


void layout_free(struct layout *l)
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
int check_other_vms(const struct settings *s, const struct layout *l)
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
int check_layout(struct settings *s, struct layout *l, unsigned remote_cpus)
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

void print_result(FILE *out, const struct settings *s, json_t *res)
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

/* Resolve --hugepages: the mount, enough free pages on the vCPUs' node.  0 or an exit code. */
int plan_hugepages(struct settings *s, struct layout *l, char *dir, size_t len)
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

/* The QEMU binary, profile and memory the options and the profile ask for.  0 or an exit code. */
int load_config(struct settings *s)
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

int main(int argc, char **argv)
{
	struct settings s = { .accel = ACCEL_AUTO, .grace = 10 };
	const struct vmlaunch_backend *b;
	int r;

	cli_prog = "vmlaunch";
	/* A reader that went away is an error we report, not a silent death. */
	signal(SIGPIPE, SIG_IGN);

	qemucmd_defaults(&s.cfg);
	s.cfg.qemu[0] = '\0'; /* from --qemu or the profile */
	r = parse_args(argc, argv, &s);
	if (r)
		return r;
	b = s.libvirt ? &vmlaunch_libvirt : &vmlaunch_qemu;
	if (!strcmp(s.cmd, "list"))
		return b->list(&s);
	if (!strcmp(s.cmd, "stop"))
		return b->stop(&s);
	if (!strcmp(s.cmd, "attach"))
		return b->attach(&s);
	return b->launch(&s);
}
