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

#include "cpuset.h"
#include "cli.h"
#include "exitcodes.h"
#include "numparse.h"
#include "fsroot.h"
#include "hostcheck.h"
#include "hostfacts.h"
#include "plan.h"
#include "report.h"
#include "topo.h"
#include "vmap.h"
#include "vmcheck.h"
#include "vminfo.h"
#include "qmp.h"
#include "rundir.h"
#include "vmpin.h"
#include "virt.h"


struct settings {
	const char *cmd;
	bool json, strict;
	const char *root, *topology, *vcpu_map, *host_lcores, *qmp, *name, *libvirt, *connect;
	long pid;
	double sample;
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage:\n"
		" %1$s host [options]\n"
		" %1$s plan --vcpu-map MAP [--host-lcores LIST] [options]\n"
		" %1$s vm (--pid PID | --qmp SOCKET | --name NAME) [--vcpu-map MAP] [--sample SECONDS]\n"
		" %1$s vm --libvirt DOMAIN [--connect URI] [--vcpu-map MAP] [--sample SECONDS]\n"
		"\n"
		"Explain a host and a VM for a pinned packet benchmark.\n"
		"\n"
		"Commands:\n"
		" host                    is this host ready? isolation, IRQs, irqbalance, governors,\n"
		"                         SMT, THP, hugepages, KVM\n"
		" plan                    judge a CPU layout before anything runs\n"
		" vm                      inspect a running QEMU: where every vCPU thread may and does run\n"
		"\n"
		"Options:\n"
		" -m, --vcpu-map MAP      vCPU i on host CPU j: 0:4,1:5,2:6,3:7 or 0-3:4-7\n"
		" -l, --host-lcores LIST  the host's busy-polling lcores (the reflector's): 0-3 or 0x0f\n"
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
	enum { OPT_SAMPLE = 256, OPT_QMP, OPT_NAME, OPT_LIBVIRT, OPT_CONNECT };
	static const struct option longopts[] = {
		{ "vcpu-map", required_argument, NULL, 'm' },
		{ "host-lcores", required_argument, NULL, 'l' },
		{ "pid", required_argument, NULL, 'p' },
		{ "sample", required_argument, NULL, OPT_SAMPLE },
		{ "qmp", required_argument, NULL, OPT_QMP },
		{ "name", required_argument, NULL, OPT_NAME },
		{ "libvirt", required_argument, NULL, OPT_LIBVIRT },
		{ "connect", required_argument, NULL, OPT_CONNECT },
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
	if (strcmp(s->cmd, "host") && strcmp(s->cmd, "plan") && strcmp(s->cmd, "vm"))
		return cli_usage_error("unknown command '%s' (host, plan or vm)", s->cmd);
	if (strcmp(s->cmd, "plan") == 0 && !s->vcpu_map)
		return cli_usage_error("plan needs --vcpu-map MAP");
	if (strcmp(s->cmd, "vm") == 0 && (!!s->pid + !!s->qmp + !!s->name + !!s->libvirt) != 1)
		return cli_usage_error("vm needs one of --pid PID, --qmp SOCKET, --name NAME or --libvirt DOMAIN");
	if (strcmp(s->cmd, "vm") != 0 && (s->pid || s->sample > 0 || s->qmp || s->name || s->libvirt))
		return cli_usage_error("--pid, --qmp, --name, --libvirt and --sample are options of 'vm'");
	if (s->connect && !s->libvirt)
		return cli_usage_error("--connect is an option of --libvirt");
	if (strcmp(s->cmd, "host") == 0 && (s->vcpu_map || s->host_lcores))
		return cli_usage_error("--vcpu-map and --host-lcores are options of 'plan' and 'vm'");
	if (strcmp(s->cmd, "vm") == 0 && s->host_lcores)
		return cli_usage_error("--host-lcores is an option of 'plan'");
	return 0;
}

/* Text rendering: a header and table from the report's data, then the findings. */
static void print_text(const struct settings *s, const json_t *rep)
{
	unsigned nwarn = report_count(rep, SEV_WARN), nfail = report_count(rep, SEV_FAIL);
	json_t *vcpus = json_object_get(rep, "vcpus");

	if (strcmp(s->cmd, "host") == 0) {
		printf("Host readiness for a pinned benchmark:\n");
	} else if (strcmp(s->cmd, "plan") == 0) {
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
	struct qmp_error qerr;
	struct qmp_vcpu *v;
	struct qmp *q;
	char sock[4096];
	pid_t pid, *tids;
	unsigned *idx;
	int n, r;

	memset(vi, 0, sizeof(*vi));
	if (s->libvirt)
		return find_libvirt_vm(s, vi, rep);
	if (s->pid) {
		r = vminfo_read((pid_t)s->pid, vi);
		if (r == -ESRCH)
			return cli_fail(EXIT_USAGE, "no process with pid %ld", s->pid);
		if (r < 0)
			return cli_fail(EXIT_USAGE, "cannot read process %ld: %s", s->pid, strerror(-r));
		if (vi->nvcpus == 0 && !vi->single_thread_tcg) {
			vminfo_free(vi);
			return cli_fail(EXIT_USAGE, "process %ld has no vCPU threads named 'CPU n/KVM' or 'CPU n/TCG': is it QEMU, started with -name debug-threads=on? (or use --qmp)", s->pid);
		}
		return 0;
	}
	if (s->name) {
		json_t *st = rundir_read_state(s->name, NULL, 0);
		if (!st)
			return cli_fail(EXIT_USAGE, "no VM named '%s' (see vmlaunch list)", s->name);
		snprintf(sock, sizeof(sock), "%s", json_string_value(json_object_get(st, "qmp")) ?: "");
		json_decref(st);
	} else {
		snprintf(sock, sizeof(sock), "%s", s->qmp);
	}
	q = qmp_connect(sock, 5000, &qerr);
	if (!q)
		return cli_fail(EXIT_USAGE, "%s", qerr.desc);
	pid = vmpin_peer_pid(q);
	n = qmp_query_vcpus(q, &v, &qerr);
	qmp_close(q);
	if (n < 0)
		return cli_fail(EXIT_USAGE, "query-cpus-fast on %s: %s", sock, qerr.desc);
	r = pid > 0 ? vminfo_read(pid, vi) : -ESRCH;
	if (r < 0) {
		free(v);
		return cli_fail(EXIT_USAGE, "cannot read QEMU (pid %d) behind %s: %s", (int)pid, sock, strerror(-r));
	}
	tids = calloc((size_t)n + 1, sizeof(*tids));
	idx = calloc((size_t)n + 1, sizeof(*idx));
	for (int i = 0; tids && idx && i < n; i++) {
		tids[i] = v[i].tid;
		idx[i] = (unsigned)v[i].index; /* QEMU's cpu-index is the vCPU's number */
	}
	r = tids && idx ? vminfo_set_vcpu_tids(vi, idx, tids, (unsigned)n) : -ENOMEM;
	free(tids);
	free(idx);
	free(v);
	if (r < 0) {
		vminfo_free(vi);
		return cli_fail(EXIT_USAGE, "QMP names a vCPU thread that pid %d does not have", (int)pid);
	}
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
	if (!(strcmp(s.cmd, "plan") == 0 && s.topology)) {
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
	rep = report_new(s.cmd);
	if (!rep) {
		code = cli_fail(EXIT_FAIL, "out of memory");
		goto cleanup;
	}
	if (strcmp(s.cmd, "host") == 0)
		code = hostcheck_run(h, t, rep) < 0 ? cli_fail(EXIT_FAIL, "out of memory") : -1;
	else if (strcmp(s.cmd, "plan") == 0)
		code = run_plan(&s, t, h, rep);
	else
		code = run_vm(&s, t, h, rep);
	if (code >= 0)
		goto cleanup;

	if (s.json) {
		json_dumpf(rep, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
	} else {
		print_text(&s, rep);
	}
	code = report_exit_status(rep, s.strict);
cleanup:
	json_decref(rep);
	topo_free(t);
	if (h)
		hostfacts_free(h);
	return code;
}
