/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pincheck — explain a host and a VM: is this host ready for a pinned
 * benchmark, is this CPU layout sound, is this VM pinned the way it should be.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pinning/cpuset.h"
#include "base/cli.h"
#include "base/exitcodes.h"
#include "base/numparse.h"
#include "base/fsroot.h"
#include "pinning/hostcheck.h"
#include "pinning/hostfacts.h"
#include "pinning/hostfix.h"
#include "hugepages/hp.h"
#include "hugepages/hpfix.h"
#include "base/fsutil.h"
#include "base/sbuf.h"
#include "pinning/plan.h"
#include "pinning/report.h"
#include "pinning/topo.h"
#include "pinning/vmap.h"
#include "pinning/vmcheck.h"
#include "pinning/vminfo.h"
#include "launcher/qemuproc.h"
#include "launcher/rundir.h"
#include "launcher/virt.h"


enum command { CMD_HOST = 1, CMD_PLAN, CMD_VM };

struct settings {
	const char *cmd; /* as given, for the report */
	enum command kind;
	bool json, strict, fix;
	const char *root, *topology, *vcpu_map, *host_lcores, *qmp, *name, *libvirt, *connect, *hugepages;
	long pid;
	double sample;
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage:\n"
		" %1$s host [options]\n"
		" %1$s host --fix [--host-lcores LIST] [--vcpu-map MAP] [--hugepages SIZE] [options]\n"
		" %1$s plan --vcpu-map MAP [--host-lcores LIST] [options]\n"
		" %1$s vm (--pid PID | --qmp SOCKET | --name NAME) [--vcpu-map MAP] [--sample SECONDS]\n"
		" %1$s vm --libvirt DOMAIN [--connect URI] [--vcpu-map MAP] [--sample SECONDS]\n"
		"\n"
		"Explain a host and a VM for a pinned packet benchmark.\n"
		"\n"
		"Commands:\n"
		" host                    is this host ready? isolation, IRQs, irqbalance, governors,\n"
		"                         SMT, THP, hugepages, KVM; --fix: the exact changes that\n"
		"                         would make it pass for a plan (nothing is changed)\n"
		" plan                    judge a CPU layout before anything runs\n"
		" vm                      inspect a running QEMU: where every vCPU thread may and does run\n"
		"\n"
		"Options:\n"
		" -m, --vcpu-map MAP      vCPU i on host CPU j: 0:4,1:5,2:6,3:7 or 0-3:4-7\n"
		" -l, --host-lcores LIST  the host's busy-polling lcores (the reflector's): 0-3 or 0x0f\n"
		"     --fix               (host) print the changes: kernel arguments (a GRUB drop-in),\n"
		"                         IRQ affinity, irqbalance, governors, THP, hugepages; for the\n"
		"                         plan's CPUs (--host-lcores and --vcpu-map; default: all but\n"
		"                         CPU 0's core)\n"
		"     --hugepages SIZE    (host --fix) the plan's hugepages, on its CPUs' node (default:\n"
		"                         1G when none are reserved)\n"
		" -p, --pid PID           the QEMU process to inspect (vCPU threads found by name)\n"
		"     --qmp SOCKET        the QEMU behind this QMP socket (vCPU threads from QMP)\n"
		"     --name NAME         a VM vmlaunch started (its QMP socket)\n"
		"     --libvirt DOMAIN    a libvirt domain (through the API; /proc too when local)\n"
		"     --connect URI       libvirt's URI, also remote: qemu+ssh://HOST/system\n"
		"     --sample SECONDS    watch where each vCPU thread runs for that long\n"
		" -t, --topology FILE     judge against an hwloc XML file or synthetic description\n"
		"                         instead of this host\n"
		" -r, --root DIR          read /proc and /sys under DIR\n"
		" -j, --json              print the report as JSON\n"
		" -s, --strict            warnings fail too (exit 1)\n"
		" -h, --help              display this help\n"
		" -V, --version           display version\n"
		"\n"
		"Exit status: 0 no check failed, 1 a check failed (or warned, with --strict),\n"
		"2 usage or inspection error.\n"
		"\n"
		"For more details see pincheck(1).\n", cli_prog);
}



static int parse_args(int argc, char **argv, struct settings *s)
{
	enum { OPT_SAMPLE = 256, OPT_QMP, OPT_NAME, OPT_LIBVIRT, OPT_CONNECT, OPT_FIX, OPT_HUGEPAGES };
	static const struct option longopts[] = {
		{ "vcpu-map", required_argument, NULL, 'm' },
		{ "host-lcores", required_argument, NULL, 'l' },
		{ "pid", required_argument, NULL, 'p' },
		{ "sample", required_argument, NULL, OPT_SAMPLE },
		{ "qmp", required_argument, NULL, OPT_QMP },
		{ "name", required_argument, NULL, OPT_NAME },
		{ "libvirt", required_argument, NULL, OPT_LIBVIRT },
		{ "connect", required_argument, NULL, OPT_CONNECT },
		{ "fix", no_argument, NULL, OPT_FIX },
		{ "hugepages", required_argument, NULL, OPT_HUGEPAGES },
		{ "topology", required_argument, NULL, 't' },
		{ "root", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "strict", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long long u;
	int c;

	while ((c = getopt_long(argc, argv, "m:l:p:t:r:jshV", longopts, NULL)) != -1) {
		switch (c) {
		case 'm': s->vcpu_map = optarg; break;
		case OPT_QMP: s->qmp = optarg; break;
		case OPT_NAME: s->name = optarg; break;
		case OPT_LIBVIRT: s->libvirt = optarg; break;
		case OPT_CONNECT: s->connect = optarg; break;
		case OPT_FIX: s->fix = true; break;
		case OPT_HUGEPAGES: {
			struct pin_error e;
			uint64_t bytes;
			if (hp_parse_size(optarg, &bytes, &e) < 0)
				return cli_usage_error("invalid --hugepages '%s': %s", optarg, e.msg);
			if (bytes > (UINT64_C(1) << 50))
				return cli_usage_error("invalid --hugepages '%s': more memory than any machine has", optarg);
			s->hugepages = optarg;
			break;
		}
		case 'l': s->host_lcores = optarg; break;
		case 't': s->topology = optarg; break;
		case 'r': s->root = optarg; break;
		case 'j': s->json = true; break;
		case 's': s->strict = true; break;
		case 'p':
			if (num_parse_uint(optarg, 1, INT_MAX, &u) < 0)
				return cli_usage_error("invalid pid '%s'", optarg);
			s->pid = (long)u;
			break;
		case OPT_SAMPLE:
			if (num_parse_seconds(optarg, false, 3600, &s->sample) < 0)
				return cli_usage_error("invalid --sample '%s' (seconds, more than 0 and at most 3600)", optarg);
			break;
		case 'h':
			usage(stdout);
			exit(EXIT_OK);
		case 'V':
			exit(cli_version());
		default:
			return cli_try_help();
		}
	}
	if (optind >= argc)
		return cli_usage_error("no command given (host, plan or vm)");
	s->cmd = argv[optind++];
	if (optind < argc)
		return cli_usage_error("unexpected argument '%s'", argv[optind]);
	s->kind = strcmp(s->cmd, "host") == 0 ? CMD_HOST
		: strcmp(s->cmd, "plan") == 0 ? CMD_PLAN
		: strcmp(s->cmd, "vm") == 0 ? CMD_VM : 0;
	if (!s->kind)
		return cli_usage_error("unknown command '%s' (host, plan or vm)", s->cmd);
	if (s->kind == CMD_PLAN && !s->vcpu_map)
		return cli_usage_error("plan needs --vcpu-map MAP");
	if (s->kind == CMD_VM && (!!s->pid + !!s->qmp + !!s->name + !!s->libvirt) != 1)
		return cli_usage_error("vm needs one of --pid PID, --qmp SOCKET, --name NAME or --libvirt DOMAIN");
	if (s->kind != CMD_VM && (s->pid || s->sample > 0 || s->qmp || s->name || s->libvirt))
		return cli_usage_error("--pid, --qmp, --name, --libvirt and --sample are options of 'vm'");
	if (s->connect && !s->libvirt)
		return cli_usage_error("--connect is an option of --libvirt");
	if ((s->fix || s->hugepages) && s->kind != CMD_HOST)
		return cli_usage_error("--fix and --hugepages are options of 'host'");
	if (s->hugepages && !s->fix)
		return cli_usage_error("--hugepages goes with --fix");
	if (s->kind == CMD_HOST && !s->fix && (s->vcpu_map || s->host_lcores))
		return cli_usage_error("--vcpu-map and --host-lcores are options of 'plan', 'vm' and 'host --fix'");
	if (s->kind == CMD_VM && s->host_lcores)
		return cli_usage_error("--host-lcores is an option of 'plan'");
	return 0;
}

/* Text rendering: a header and table from the report's data, then the findings. */
static void print_text(const struct settings *s, const json_t *rep)
{
	unsigned nwarn = report_count(rep, SEV_WARN), nfail = report_count(rep, SEV_FAIL);
	json_t *vcpus = json_object_get(rep, "vcpus");

	if (s->kind == CMD_HOST) {
		printf("Host readiness for a pinned benchmark:\n");
	} else if (s->kind == CMD_PLAN) {
		const char *hl = json_string_value(json_object_get(rep, "host_lcores"));
		printf("Layout: vCPU map %s%s%s\nTopology: %s\n", json_string_value(json_object_get(rep, "vcpu_map")),
		       hl ? ", host lcores " : "", hl ? hl : "", json_string_value(json_object_get(rep, "topology")));
	} else {
		size_t i;
		json_t *v;
		json_t *lv = json_object_get(rep, "libvirt");
		if (lv && !json_integer_value(json_object_get(rep, "pid")))
			printf("domain %s on %s: %zu vCPU%s (threads not visible from here)\n",
			       json_string_value(json_object_get(lv, "domain")), json_string_value(json_object_get(lv, "uri")),
			       json_array_size(vcpus), json_array_size(vcpus) == 1 ? "" : "s");
		else if (lv)
			printf("domain %s on %s, QEMU pid %lld: %zu vCPU%s\n", json_string_value(json_object_get(lv, "domain")),
			       json_string_value(json_object_get(lv, "uri")), json_integer_value(json_object_get(rep, "pid")),
			       json_array_size(vcpus), json_array_size(vcpus) == 1 ? "" : "s");
		else
			printf("VM pid %lld: %zu vCPU%s\n", json_integer_value(json_object_get(rep, "pid")),
			       json_array_size(vcpus), json_array_size(vcpus) == 1 ? "" : "s");
		printf("  %4s  %8s  %-10s  %4s  %10s  %s\n", "vCPU", "tid", "allowed", "last", "migrations",
		       json_object_get(rep, "sampled") ? "ran on (share of run time)" : "");
		json_array_foreach(vcpus, i, v) {
			json_t *share = json_object_get(v, "cpu_share"), *x;
			const char *cpu;
			char tid[24] = "-", mig[24] = "-";
			if (json_is_integer(json_object_get(v, "tid")))
				snprintf(tid, sizeof(tid), "%lld", json_integer_value(json_object_get(v, "tid")));
			if (json_is_integer(json_object_get(v, "migrations")))
				snprintf(mig, sizeof(mig), "%lld", json_integer_value(json_object_get(v, "migrations")));
			printf("  %4lld  %8s  %-10s  %4lld  %10s  ", json_integer_value(json_object_get(v, "vcpu")), tid,
			       json_string_value(json_object_get(v, "allowed")),
			       json_integer_value(json_object_get(v, "last_cpu")), mig);
			if (share && json_object_size(share) == 0)
				printf("did not run");
			json_object_foreach(share, cpu, x)
				printf("%s:%.0f%% ", cpu, 100 * json_real_value(x));
			printf("\n");
		}
	}
	report_print_findings(stdout, rep);
	printf("%u checks: %u ok, %u warning%s, %u failed\n", report_count(rep, SEV_OK) + nwarn + nfail,
	       report_count(rep, SEV_OK), nwarn, nwarn == 1 ? "" : "s", nfail);
}

static int run_plan(const struct settings *s, const struct topo *t, const struct hostfacts *h, json_t *rep)
{
	struct vmap map = { 0 };
	struct cpuset host;
	struct pin_error err;
	struct plan p = { .map = &map, .topo = t, .facts = h };
	unsigned limit = h ? h->cpu_limit : CPUSET_MAX;
	int r;

	if (vmap_parse(&map, s->vcpu_map, limit, &err) < 0)
		return cli_fail(EXIT_USAGE, "invalid --vcpu-map '%s': %s", s->vcpu_map, err.msg);
	if (s->host_lcores) {
		if (cpuset_parse(&host, s->host_lcores, limit, &err) < 0) {
			vmap_free(&map);
			return cli_fail(EXIT_USAGE, "invalid --host-lcores '%s': %s", s->host_lcores, err.msg);
		}
		if (cpuset_empty(&host)) {
			vmap_free(&map);
			return cli_fail(EXIT_USAGE, "invalid --host-lcores '%s': no CPU in it", s->host_lcores);
		}
		p.host = &host;
		json_object_set_new(rep, "host_lcores", json_string(s->host_lcores));
		report_set_cpulist(rep, "host_lcores", &host);
	}
	{
		char buf[4096];
		vmap_format(&map, buf, sizeof(buf));
		json_object_set_new(rep, "vcpu_map", json_string(buf));
	}
	json_object_set_new(rep, "topology", json_string(topo_source(t)));
	r = plan_validate(&p, &err);
	if (r < 0) {
		vmap_free(&map);
		return cli_fail(EXIT_USAGE, "%s", err.msg);
	}
	r = plan_check(&p, rep);
	vmap_free(&map);
	return r < 0 ? cli_fail(EXIT_FAIL, "out of memory") : -1;
}

/* Read the VM: by pid (vCPU threads by name) or through QMP (vCPU threads by QMP's
 * host thread ids).  0, or an exit code after saying why. */
/* A libvirt domain: on this host its QEMU from /proc (the same findings as --pid);
 * elsewhere (or libvirt's test driver) what the API says.  0, or an exit code. */
static int find_libvirt_vm(const struct settings *s, struct vminfo *vi, json_t *rep)
{
	struct virt *v;
	char msg[1024];
	bool local;
	int r;

	if (virt_open(s->connect, &v, msg, sizeof(msg)) < 0)
		return cli_fail(EXIT_USAGE, "%s", msg);
	r = virt_read_vm(v, s->libvirt, vi, &local, msg, sizeof(msg));
	if (r == 0 && !local && s->sample > 0)
		r = -4;
	if (r == 0) {
		json_object_set_new(rep, "libvirt", json_pack("{s:s, s:s, s:b}", "domain", s->libvirt, "uri", virt_uri(v),
							      "local", local));
		if (!local)
			report_add(rep, "libvirt-remote", SEV_OK, NULL,
				   "domain '%s' on %s: read through the libvirt API (the host's isolation, SMT and IRQs, and --sample, need pincheck on that host)",
				   s->libvirt, virt_uri(v));
	}
	virt_close(v);
	if (r == -4) {
		vminfo_free(vi);
		return cli_fail(EXIT_USAGE, "--sample needs the domain's QEMU on this host (run pincheck there)");
	}
	if (r < 0)
		return cli_fail(EXIT_USAGE, "%s", msg);
	if (!local)
		vi->pid = 0;
	return 0;
}

static int find_vm(const struct settings *s, struct vminfo *vi, json_t *rep)
{
	char sock[4096], msg[512];
	int r;

	memset(vi, 0, sizeof(*vi));
	if (s->libvirt)
		return find_libvirt_vm(s, vi, rep);
	if (s->pid) {
		r = vminfo_read((pid_t)s->pid, vi);
		if (r == -ESRCH)
			return cli_fail(EXIT_NO_VM, "no process with pid %ld", s->pid);
		if (r < 0)
			return cli_fail(EXIT_USAGE, "cannot read process %ld: %s", s->pid, strerror(-r));
		if (vi->nvcpus == 0 && !vi->single_thread_tcg) {
			vminfo_free(vi);
			return cli_fail(EXIT_USAGE, "process %ld has no vCPU threads named 'CPU n/KVM' or 'CPU n/TCG': is it QEMU, started with -name debug-threads=on? (or use --qmp)", s->pid);
		}
		return 0;
	}
	if (s->name) {
		struct vmstate st;
		r = rundir_read_state(s->name, &st, NULL, 0);
		if (r < 0)
			return cli_fail(r == -ENOENT ? EXIT_NO_VM : EXIT_FAIL, r == -ENOENT ? "no VM named '%s' (see vmlaunch list)"
										    : "VM '%s': its state is not one vmlaunch wrote",
					s->name);
		snprintf(sock, sizeof(sock), "%s", st.qmp);
		vmstate_free(&st);
	} else {
		snprintf(sock, sizeof(sock), "%s", s->qmp);
	}
	r = qemuproc_read_vm(sock, vi, msg, sizeof(msg));
	if (r < 0)
		return cli_fail(r == -ENOENT || r == -ECONNREFUSED ? EXIT_NO_VM : EXIT_USAGE, "%s", msg);
	return 0;
}

/* A libvirt domain is re-pinned through libvirt (its config too), not with taskset. */
static void libvirt_hints(const struct settings *s, json_t *rep)
{
	char hint[1024];
	json_t *f;
	size_t i;

	snprintf(hint, sizeof(hint), "re-pin through libvirt: vmlaunch attach --libvirt %s%s%s --vcpu-map %s (or virsh vcpupin %s VCPU CPU)",
		 s->libvirt, s->connect ? " --connect " : "", s->connect ? s->connect : "", s->vcpu_map ? s->vcpu_map : "MAP",
		 s->libvirt);
	json_array_foreach(json_object_get(rep, "findings"), i, f) {
		const char *id = json_string_value(json_object_get(f, "id"));
		if (json_is_string(json_object_get(f, "hint")) &&
		    (!strcmp(id, "vcpu-pinned") || !strcmp(id, "vcpu-map") || !strcmp(id, "vcpu-shared-cpu")))
			json_object_set_new(f, "hint", json_string(hint));
		else if (json_is_string(json_object_get(f, "hint")) && !strcmp(id, "memory-hugepages"))
			json_object_set_new(f, "hint", json_string("back guest RAM with hugepages: <memoryBacking><hugepages/><access mode='shared'/> (vmlaunch --libvirt --hugepages)"));
	}
}

static volatile sig_atomic_t stop_sampling;

static void on_stop(int sig)
{
	(void)sig;
	stop_sampling = 1;
}

static int run_vm(const struct settings *s, const struct topo *t, const struct hostfacts *h, json_t *rep)
{
	struct vmap map = { 0 }, *mp = NULL;
	struct pin_error err;
	struct vminfo vi;
	int r;

	if (s->vcpu_map) {
		/* vCPUs are QEMU's cpu-indexes: a VM with hot-plugged CPUs may have gaps. */
		if (vmap_parse_sparse(&map, s->vcpu_map, s->libvirt ? CPUSET_MAX : h->cpu_limit, &err) < 0)
			return cli_fail(EXIT_USAGE, "invalid --vcpu-map '%s': %s", s->vcpu_map, err.msg);
		mp = &map;
	}
	r = find_vm(s, &vi, rep);
	if (r) {
		vmap_free(&map);
		return r;
	}
	if (s->sample > 0) {
		/* SIGINT or SIGTERM ends the sample early and reports what was seen (vmbench
		 * samples while traffic runs, and stops when it ends). */
		struct sigaction sa = { .sa_handler = on_stop };
		pid_t pid = vi.pid;
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		r = vminfo_sample(&vi, s->sample, 100, h ? h->cpu_limit : CPUSET_MAX, &stop_sampling);
		if (r == -ESRCH && vi.sample_seconds >= 0.05) {
			report_add(rep, "sample-ended", SEV_WARN, NULL, "QEMU (pid %d) exited %.1f s into the sample: the findings cover that time",
				   (int)pid, vi.sample_seconds);
		} else if (r < 0) {
			vminfo_free(&vi);
			vmap_free(&map);
			return cli_fail(EXIT_FAIL, "QEMU (pid %d) went away while sampling", (int)pid);
		}
		json_object_set_new(rep, "sampled", json_real(vi.sample_seconds));
	}
	/* Away from this host, this host's facts and topology say nothing about it. */
	if (s->libvirt && vi.pid == 0) {
		h = NULL;
		t = NULL;
	}
	r = vmcheck_run(&vi, mp, h, t, rep);
	if (r == 0 && s->libvirt)
		libvirt_hints(s, rep);
	vminfo_free(&vi);
	vmap_free(&map);
	return r < 0 ? cli_fail(EXIT_FAIL, "out of memory") : -1;
}

/* --fix's hugepages, on the node of the plan's first isolated CPU, naming the
 * hugepages program installed beside this one.  0, or -errno. */
static int fix_hugepages(const struct settings *s, const struct hostfacts *h, const struct topo *t,
			 const struct cpuset *iso, json_t *rep)
{
	char exe[PATH_MAX], *slash;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	int node = -1;

	if (n <= 0)
		return -errno;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	snprintf(slash + 1, sizeof(exe) - (size_t)(slash + 1 - exe), "hugepages");
	if (hp_has_nodes()) {
		node = topo_numa_of(t, cpuset_next(iso, -1));
		if (node < 0 || !hp_node_exists(node))
			node = 0;
	}
	return hp_fix_change(rep, h, s->hugepages, node, exe);
}

/* Every CPU of a --fix plan is online here (the process's own affinity does not matter:
 * the benchmark runs later, as whoever).  0, or an exit code after saying why. */
static int fix_cpus_online(const struct hostfacts *h, const struct cpuset *cpus, const char *opt, const char *arg)
{
	struct cpuset off;
	char l[256], on[256];

	cpuset_andnot(&off, cpus, &h->online);
	if (cpuset_empty(&off))
		return 0;
	cpuset_format_list(&off, l, sizeof(l));
	cpuset_format_list(&h->online, on, sizeof(on));
	return cli_fail(EXIT_USAGE, "%s '%s' uses CPU %s, which is not online on this host (online: %s)", opt, arg, l, on);
}

/* pincheck host --fix: the plan's CPUs, the changes as data.  -1 to print the
 * report, or an exit code after saying why. */
static int run_fix(const struct settings *s, const struct topo *t, const struct hostfacts *h, json_t *rep)
{
	struct hostfix_plan plan;
	struct pin_error err;
	int r;

	cpuset_zero(&plan.isolate);
	if (s->vcpu_map) {
		struct vmap map = { 0 };
		struct cpuset cpus;
		if (vmap_parse(&map, s->vcpu_map, h->cpu_limit, &err) < 0)
			return cli_fail(EXIT_USAGE, "invalid --vcpu-map '%s': %s", s->vcpu_map, err.msg);
		vmap_cpus(&map, &cpus);
		vmap_free(&map);
		if ((r = fix_cpus_online(h, &cpus, "--vcpu-map", s->vcpu_map)))
			return r;
		cpuset_or(&plan.isolate, &plan.isolate, &cpus);
		json_object_set_new(rep, "vcpu_map", json_string(s->vcpu_map));
	}
	if (s->host_lcores) {
		struct cpuset cpus;
		if (cpuset_parse(&cpus, s->host_lcores, h->cpu_limit, &err) < 0)
			return cli_fail(EXIT_USAGE, "invalid --host-lcores '%s': %s", s->host_lcores, err.msg);
		if (cpuset_empty(&cpus))
			return cli_fail(EXIT_USAGE, "invalid --host-lcores '%s': no CPU in it", s->host_lcores);
		if ((r = fix_cpus_online(h, &cpus, "--host-lcores", s->host_lcores)))
			return r;
		cpuset_or(&plan.isolate, &plan.isolate, &cpus);
		report_set_cpulist(rep, "host_lcores", &cpus);
	}
	if (!s->vcpu_map && !s->host_lcores)
		hostfix_default_isolate(h, t, &plan.isolate);
	r = hostfix_build(h, t, &plan, rep);
	if (r == -EINVAL)
		return cli_fail(EXIT_USAGE, cpuset_empty(&plan.isolate)
			? "this host has no CPU to isolate beyond CPU 0's core: give --host-lcores and --vcpu-map"
			: "the plan takes every online CPU: leave at least one (CPU 0) to the system");
	if (r == 0)
		r = fix_hugepages(s, h, t, &plan.isolate, rep);
	if (r == 0)
		r = hostfix_finish(rep);
	return r < 0 ? cli_fail(EXIT_FAIL, "cannot work out the changes: %s", strerror(-r)) : -1;
}

/* --fix as text, from the same data as the JSON. */
static void print_fix(const json_t *rep)
{
	const json_t *plan = json_object_get(rep, "plan"), *ka = json_object_get(rep, "kernel_args");
	const json_t *changes = json_object_get(rep, "changes"), *c, *x;
	size_t n = json_array_size(changes), i, j;

	printf("Changes that make this host pass for a plan that isolates CPUs %s (housekeeping: %s): %zu change%s%s\n",
	       json_string_value(json_object_get(plan, "isolate")), json_string_value(json_object_get(plan, "housekeeping")),
	       n, n == 1 ? "" : "s", json_is_true(json_object_get(rep, "reboot")) ? ", then a reboot" : "");
	json_array_foreach(changes, i, c) {
		printf("  %-13s %s\n", json_string_value(json_object_get(c, "id")),
		       json_string_value(json_object_get(c, "message")));
		json_array_foreach(json_object_get(c, "files"), j, x) {
			const char *t = json_string_value(json_object_get(x, "content"));
			printf("  %-13s   %s:\n", "", json_string_value(json_object_get(x, "path")));
			while (*t) {
				size_t l = strcspn(t, "\n");
				printf("  %-13s     %.*s\n", "", (int)l, t);
				t += l + (t[l] == '\n');
			}
		}
		json_array_foreach(json_object_get(c, "lines"), j, x)
			printf("  %-13s   %s: %s\n", "", json_string_value(json_object_get(x, "path")),
			       json_string_value(json_object_get(x, "line")));
		json_array_foreach(json_object_get(c, "writes"), j, x)
			printf("  %-13s   echo %s > %s   (now %s)\n", "", json_string_value(json_object_get(x, "value")),
			       json_string_value(json_object_get(x, "path")), json_string_value(json_object_get(x, "now")));
		json_array_foreach(json_object_get(c, "services"), j, x)
			printf("  %-13s   systemctl restart %s\n", "", json_string_value(json_object_get(x, "name")));
		json_array_foreach(json_object_get(c, "commands"), j, x) {
			size_t k;
			json_t *w;
			printf("  %-13s  ", "");
			json_array_foreach(x, k, w)
				printf(" %s", json_string_value(w));
			printf("\n");
		}
	}
	json_array_foreach(json_object_get(ka, "conflicts"), i, x)
		printf("  %-13s %s is on the kernel command line already: remove it where it is set (the kernel keeps the first)\n",
		       "conflict", json_string_value(x));
	if (json_array_size(json_object_get(rep, "not_fixed")))
		printf("Not changed by a fix:\n");
	json_array_foreach(json_object_get(rep, "not_fixed"), i, x)
		printf("  %-13s %s\n", json_string_value(json_object_get(x, "id")),
		       json_string_value(json_object_get(x, "message")));
	printf("pincheck changed nothing%s\n", n ? ": the Ansible role in templates/ansible applies these (see docs/fleet.md)" : "");
}

int main(int argc, char **argv)
{
	struct settings s = { 0 };
	struct hostfacts facts, *h = NULL;
	struct topo *t = NULL;
	json_t *rep = NULL;
	int r, code;

	cli_prog = "pincheck";
	/* A reader that went away is an error we report, not a silent death. */
	signal(SIGPIPE, SIG_IGN);

	r = parse_args(argc, argv, &s);
	if (r)
		return r;
	if (!s.cmd)
		return cli_usage_error("no command given (host, plan or vm)");
	if (s.root && (r = fsroot_set(s.root)) < 0)
		return cli_fail(EXIT_USAGE, "--root %s: %s", s.root, strerror(-r));

	/* plan against a topology file judges a host being planned for: no live facts. */
	if (!(s.kind == CMD_PLAN && s.topology)) {
		r = hostfacts_read(&facts);
		if (r < 0)
			return cli_fail(EXIT_USAGE, "cannot read CPU facts under %s/sys: %s",
				    fsroot_is_live() ? "" : fsroot_get(), strerror(-r));
		h = &facts;
	}
	t = s.topology ? topo_load_spec(s.topology) : topo_load_live();
	if (!t) {
		code = s.topology ? cli_fail(EXIT_USAGE, "cannot load topology '%s': %s", s.topology,
					 errno == EINVAL ? "not an hwloc XML file or synthetic description"
					 : errno == E2BIG ? "a synthetic topology of more than 2048 CPUs (or 16 levels) is not planned for"
							  : strerror(errno))
				  : cli_fail(EXIT_USAGE, "cannot read this host's topology: %s", strerror(errno));
		goto cleanup;
	}
	rep = report_new(s.fix ? "host --fix" : s.cmd);
	if (!rep) {
		code = cli_fail(EXIT_FAIL, "out of memory");
		goto cleanup;
	}
	if (s.kind == CMD_HOST && s.fix)
		code = run_fix(&s, t, h, rep);
	else if (s.kind == CMD_HOST)
		code = hostcheck_run(h, t, rep) < 0 ? cli_fail(EXIT_FAIL, "out of memory") : -1;
	else if (s.kind == CMD_PLAN)
		code = run_plan(&s, t, h, rep);
	else
		code = run_vm(&s, t, h, rep);
	if (code >= 0)
		goto cleanup;

	if (s.json) {
		json_dumpf(rep, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
	} else if (s.fix) {
		print_fix(rep);
	} else {
		print_text(&s, rep);
	}
	/* --fix reports changes to make, not checks: it fails only when it cannot say. */
	code = s.fix ? EXIT_OK : report_exit_status(rep, s.strict);
cleanup:
	json_decref(rep);
	topo_free(t);
	if (h)
		hostfacts_free(h);
	return code;
}
