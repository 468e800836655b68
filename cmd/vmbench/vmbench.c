/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vmbench — run the host<->guest packet benchmark from a profile and leave a
 * results directory another engineer can re-run and compare.
 *
 *   vmbench run PROFILE [--out DIR]
 *   vmbench compare DIR1 DIR2 [--threshold PCT] [--json]
 *
 * Modes: host (trafficgen and the reflector on the host), vm-gen (trafficgen in
 * a pinned guest, the reflector on the host: the 2017 experiment) and vm-reflect
 * (the reflector in the guest, trafficgen on the host: DPDK's PVP).  Every
 * program is a child started with an argv; vmbench owns only what it starts and
 * stops it by its recorded pid.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "bench/child.h"
#include "base/cli.h"
#include "pinning/cpuset.h"
#include "bench/compare.h"
#include "pinning/pollers.h"
#include "launcher/rundir.h"
#include "base/exitcodes.h"
#include "bench/fingerprint.h"
#include "base/fsutil.h"
#include "bench/guestport.h"
#include "pinning/hostfacts.h"
#include "hugepages/hp.h"
#include "base/numparse.h"
#include "pinning/plan.h"
#include "bench/profile.h"
#include "bench/progargs.h"
#include "bench/queuecheck.h"
#include "pinning/report.h"
#include "bench/results.h"
#include "base/sbuf.h"
#include "base/strv.h"
#include "bench/sweep.h"
#include "bench/tables.h"
#include "base/templates.h"
#include "pinning/topo.h"
#include "pinning/vmap.h"
#include "cmd/vmbench/vmbench.h"

volatile sig_atomic_t interrupted;

static void usage(FILE *out)
{
	fprintf(out,
		"Usage:\n"
		" %1$s run PROFILE [--out DIR] [--force]\n"
		" %1$s compare DIR1 DIR2 [--threshold PCT] [--force] [--json]\n"
		" %1$s compare DIR1 DIR2 DIR3... [--json]   (a fleet: a column per host)\n"
		"\n"
		"Run the packet benchmark a profile describes and write a results directory:\n"
		"results.json, results.csv, table.txt, plot.png, plot.svg, env.json (the fingerprint)\n"
		"and, with a guest, pinning.json (where each vCPU ran while traffic flowed).\n"
		"PROFILE is a file, or NAME for templates/bench/NAME.conf.\n"
		"\n"
		"Options:\n"
		" -o, --out DIR     the results directory (default results/NAME-DATE-TIME); must not exist\n"
		" -j, --json        (compare) print JSON\n"
		" -t, --threshold PCT  (compare) exit 1 when DIR2 is worse than DIR1 by more than\n"
		"                   PCT %% in a cell, beyond both runs' spread (a CI gate); exit 3\n"
		"                   when it cannot tell (too noisy, or runs of different things)\n"
		" -f, --force       (run) run beside busy threads on its CPUs (the results say so);\n"
		"                   (compare) judge runs that measured different things anyway\n"
		"                   (mode, search, loss threshold, metric or profile differ)\n"
		" -h, --help        display this help\n"
		" -V, --version     display version\n"
		"\n"
		"For more details see vmbench(1).\n", cli_prog);
}

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The binary next to ours (build/bin or the install's bin), else by PATH. */
static void sibling(const char *name, char *buf, size_t len)
{
	char exe[PATH_MAX], *slash;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n > 0) {
		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			snprintf(buf, len, "%s/%s", exe, name);
			if (access(buf, X_OK) == 0)
				return;
		}
	}
	snprintf(buf, len, "%s", name);
}

static const char *const mode_text[] = {
	[MODE_HOST] = "trafficgen and the reflector on the host",
	[MODE_VM_GEN] = "trafficgen in the guest, the reflector on the host",
	[MODE_VM_REFLECT] = "the reflector in the guest, trafficgen on the host",
};

/* --- the whole run ------------------------------------------------------------------------ */

/* Where an installed toolkit's guest image is built (a package owns nothing there):
 * DATADIR/mkguest GUEST_VARDIR BINDIR. */
#define GUEST_VARDIR "/var/lib/pinlab/guest"

/* Does @dir hold a guest image's manifest? */
static bool has_image(const char *dir)
{
	char path[PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/manifest.json", dir);
	return access(path, R_OK) == 0;
}

/* The guest image: $PINLAB_GUEST; in a build tree (build/bin/vmbench) its build/guest;
 * installed, DATADIR/guest (make install with a built image) or /var/lib/pinlab/guest.
 * 0 or an exit code. */
static int find_guest(struct guest *g)
{
	const char *env = getenv("PINLAB_GUEST");
	char exe[PATH_MAX], bin[PATH_MAX], path[PATH_MAX + 32], *slash;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	bool tree = false;

	bin[0] = '\0';
	if (n > 0) {
		exe[n] = '\0';
		snprintf(bin, sizeof(bin), "%s", exe);
		if ((slash = strrchr(bin, '/')))
			*slash = '\0';                       /* build/bin */
		snprintf(path, sizeof(path), "%s", bin);
		if ((slash = strrchr(path, '/')))
			snprintf(slash, sizeof(path) - (size_t)(slash - path), "/guest"); /* build/guest */
		/* A build tree: templates/ above build/ (or build/san/). */
		for (const char *up = "/../..", *up2 = "/../../.."; up; up = up == up2 ? NULL : up2) {
			char t[PATH_MAX + 64];
			snprintf(t, sizeof(t), "%s%s/templates/guest/init", bin, up);
			tree |= access(t, F_OK) == 0;
		}
	}
	if (env && *env)
		snprintf(g->dir, sizeof(g->dir), "%s", env);
	else if (tree)
		snprintf(g->dir, sizeof(g->dir), "%s", path);
	else if (has_image(DATADIR "/guest"))
		snprintf(g->dir, sizeof(g->dir), "%s", DATADIR "/guest");
	else
		snprintf(g->dir, sizeof(g->dir), "%s", GUEST_VARDIR);
	snprintf(path, sizeof(path), "%s/manifest.json", g->dir);
	g->manifest = json_load_file(path, 0, NULL);
	for (const char *f = "vmlinuz"; g->manifest && f; f = strcmp(f, "vmlinuz") ? NULL : "initrd.img") {
		snprintf(path, sizeof(path), "%s/%s", g->dir, f);
		if (access(path, R_OK) != 0) {
			json_decref(g->manifest);
			g->manifest = NULL;
		}
	}
	if (!g->manifest && (tree || (env && *env)))
		return cli_fail(EXIT_FAIL, "no guest image in %s (vmlinuz, initrd.img, manifest.json): run 'make guest'", g->dir);
	if (!g->manifest)
		return cli_fail(EXIT_FAIL, "no guest image in %s (vmlinuz, initrd.img, manifest.json): build it with '%s/mkguest %s %s'",
				g->dir, DATADIR, GUEST_VARDIR, bin[0] ? bin : "BINDIR");
	return 0;
}

/* The guest's part of the fingerprint: accelerator, layout and what the image is made of. */
static json_t *guest_fingerprint(const struct run *run)
{
	char path[PATH_MAX + 32], digest[128] = "";
	char *argv[] = { "sha256sum", path, NULL };
	struct child c;
	char *line;

	snprintf(path, sizeof(path), "%s/manifest.json", run->guest.dir);
	if (child_spawn(&c, argv, "/dev/null") == 0) {
		if (child_line(&c, 5000, NULL, &line) == 1)
			snprintf(digest, sizeof(digest), "%.*s", (int)strcspn(line, " "), line);
		child_stop(&c, SIGTERM, 2000);
		child_free(&c);
	}
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:O, s:O}", "accel", run->guest.accel, "backend",
			 run->p.libvirt ? "libvirt" : "qemu", "driver", run->p.kernel_driver ? "kernel" : "dpdk", "vcpu_map",
			 run->p.vcpu_map,
			 "emulator_cpus", run->p.emulator_cpus, "image_sha256", digest, "image", run->guest.dir, "kernel",
			 json_object_get(run->guest.manifest, "kernel") ?: json_null(), "outputs",
			 json_object_get(run->guest.manifest, "outputs") ?: json_null());
}

/* Free hugepages for the host program (and the guest's RAM): reserve what is missing,
 * remember what to put back; mount hugetlbfs for QEMU when none is.  0 or an exit code. */
static int prepare_hugepages(struct run *run)
{
	const struct profile *p = &run->p;
	uint64_t mb = p->hugepages_mb + (profile_is_vm(p) ? p->guest_memory_mb : 0);
	unsigned long kb = hp_default_page_kb();
	int node = hp_has_nodes() && !hp_node_exists(1) ? 0 : -1;
	struct hp_grant g = { .node = node, .page_kb = kb, .want_free = (long long)((mb * 1024 + kb - 1) / kb) };
	struct hp_pool pool;
	char ps[16];
	int r;

	run->hp_restore = -1;
	hp_format_page_size(kb, ps, sizeof(ps));
	if (hp_pool_read(node, kb, &pool) < 0)
		return cli_fail(EXIT_FAIL, "this kernel has no %s hugepages", ps);
	if (pool.free < g.want_free) {
		if (geteuid() != 0)
			return cli_fail(EXIT_FAIL, "%lld %s hugepages free, %lld needed: run 'hugepages setup %lluM' as root, or vmbench as root",
					pool.free, ps, g.want_free, (unsigned long long)mb);
		r = hp_reserve(&g, 1);
		if (r < 0)
			return cli_fail(EXIT_FAIL, "cannot reserve %lluM of %s hugepages (%s): try 'hugepages setup %lluM'",
					(unsigned long long)mb, ps, strerror(-r), (unsigned long long)mb);
		run->hp_restore = g.before;
	}
	if (profile_is_vm(p)) {
		struct hp_mount *m;
		int n = hp_mounts(&m);
		bool have = false;
		for (int i = 0; i < n; i++)
			have |= m[i].page_kb == kb;
		if (n >= 0)
			free(m);
		if (!have) {
			char dir[256];
			hp_default_dir(kb, dir, sizeof(dir));
			if ((r = hp_mount(dir, kb, (uid_t)-1, (gid_t)-1, 0)) < 0)
				return cli_fail(EXIT_FAIL, "cannot mount hugetlbfs on %s for the guest's RAM: %s (run 'hugepages mount')",
						dir, strerror(-r));
			if (r == 0)
				snprintf(run->hp_mounted, sizeof(run->hp_mounted), "%s", dir);
		}
	}
	return 0;
}

/* Put the pool back (the kernel keeps pages still in use) and unmount what we mounted. */
static void restore_hugepages(struct run *run)
{
	if (run->hp_mounted[0]) {
		hp_umount(run->hp_mounted);
		rmdir(run->hp_mounted);
	}
	if (run->hp_restore >= 0)
		hp_set_total(hp_has_nodes() && !hp_node_exists(1) ? 0 : -1, hp_default_page_kb(), run->hp_restore);
}

/* pincheck plan's findings on the layout: host workers and, with a guest, its vCPUs. */
static json_t *judge_layout(const struct profile *p)
{
	struct hostfacts h;
	struct topo *t = topo_load_live();
	struct cpuset host, s;
	struct vmap map = { 0 };
	json_t *rep = report_new("plan"), *findings;
	const char *lists[2] = { profile_is_vm(p) ? profile_host_lcores(p) : p->refl_lcores,
				 profile_is_vm(p) ? NULL : p->gen_lcores };

	/* Host lcores: every program's workers (the first lcore of a list is its main). */
	cpuset_zero(&host);
	for (int i = 0; i < 2; i++) {
		const char *workers = lists[i] ? strchr(lists[i], ',') : NULL;
		if (workers && cpuset_parse_list(&s, workers + 1, 0, NULL) == 0)
			cpuset_or(&host, &host, &s);
	}
	if (t && rep && hostfacts_read(&h) == 0) {
		bool vm = profile_is_vm(p) && vmap_parse(&map, p->vcpu_map, 0, NULL) == 0;
		struct plan pl = { .map = vm ? &map : NULL, .host = &host, .topo = t, .facts = &h };
		plan_check(&pl, rep);
		vmap_free(&map);
		hostfacts_free(&h);
	}
	topo_free(t);
	findings = json_incref(json_object_get(rep, "findings"));
	json_decref(rep);
	return findings ? findings : json_array();
}

/* A line of a program's raw output (raw/FMT with the queue count) containing @pat:
 * the first or the last, parsed; NULL when none. */
static json_t *raw_line(const struct run *run, const char *fmt, unsigned queues, const char *pat, bool last)
{
	char name[64], path[PATH_MAX], line[65536];
	json_t *found = NULL;
	FILE *f;

	snprintf(name, sizeof(name), fmt, queues);
	results_path(&run->out, true, name, path, sizeof(path));
	if (!(f = fopen(path, "re")))
		return NULL;
	while ((last || !found) && fgets(line, sizeof(line), f))
		if (strstr(line, pat)) {
			json_decref(found);
			found = json_loads(line, 0, NULL);
		}
	fclose(f);
	return found;
}

/* The reflector's final per-queue counters from its raw output (NULL when none). */
static json_t *reflector_queues(const struct run *run, const char *fmt, unsigned queues)
{
	json_t *last = raw_line(run, fmt, queues, "\"type\":\"final\"", true);
	json_t *q = json_incref(json_object_get(json_array_get(json_object_get(last, "ports"), 0), "queues"));

	json_decref(last);
	return q;
}

/* What the vhost-user peer negotiated, as the host program's net_vhost port saw it:
 * the reflector's link-up event, or trafficgen's start (vm-reflect).  NULL when none. */
static json_t *negotiated_virtio(const struct run *run, unsigned queues)
{
	bool tg = run->p.mode == MODE_VM_REFLECT;
	json_t *l = raw_line(run, tg ? "trafficgen-%uq.jsonl" : "reflector-%uq.jsonl", queues, "\"virtio\":", false);
	json_t *v = json_incref(json_object_get(l, "virtio"));

	json_decref(l);
	return v;
}

/* The guest's vrings as the profile asked (ring_size): a ring sized otherwise (QEMU's
 * default, a driver that chose fewer) changes what is measured, so the run fails.
 * 0 or an exit code. */
static int check_rings(const struct profile *p, unsigned queues, const json_t *virtio)
{
	size_t ring;
	long long size;

	if (qc_ring_differs(virtio, p->ring_size, &ring, &size))
		return cli_fail(EXIT_FAIL, "%u queue%s: the guest's vring %zu has %lld entries, the profile asked %u (ring_size in [vm]): nothing written",
				queues, queues > 1 ? "s" : "", ring, size, p->ring_size);
	return 0;
}

/* The data path the reflector said it used (its ready line): direct or pmd; NULL when none. */
static json_t *reflector_datapath(const struct run *run, unsigned queues)
{
	json_t *l = raw_line(run, run->p.mode == MODE_VM_REFLECT ? "reflector-guest-%uq.jsonl" : "reflector-%uq.jsonl",
			     queues, "\"type\":\"ready\"", false);
	json_t *d = json_object_get(json_array_get(json_object_get(l, "ports"), 0), "datapath");
	json_t *v = json_is_string(d) ? json_incref(d) : NULL;

	json_decref(l);
	return v;
}

/* Per-queue findings of one configuration (after its results), from what each
 * program said when it started: the reflector's ready line and trafficgen's start
 * line name the lcore of each queue and its CPU; a program in the guest names guest
 * CPUs, which are vCPUs, pinned where the map says. */
static json_t *config_queue_findings(const struct run *run, unsigned queues, const json_t *config)
{
	const struct profile *p = &run->p;
	struct vmap map = { 0 };
	struct qc_side refl, gen;
	struct topo *t = topo_load_live();
	const bool guest_refl = p->mode == MODE_VM_REFLECT, guest_gen = p->mode == MODE_VM_GEN;
	const char *refl_raw = guest_refl ? "reflector-guest-%uq.jsonl" : "reflector-%uq.jsonl";
	json_t *rl = raw_line(run, refl_raw, queues, "\"type\":\"ready\"", false);
	json_t *gl = raw_line(run, "trafficgen-%uq.jsonl", queues, "\"type\":\"start\"", false);
	json_t *rq, *out;
	bool vm = profile_is_vm(p) && vmap_parse(&map, p->vcpu_map, 0, NULL) == 0;

	qc_side_from_line(&refl, guest_refl ? "the reflector in the guest" : "the reflector", rl, queues,
			  vm && guest_refl ? map.cpu : NULL, vm && guest_refl ? map.n : 0);
	qc_side_from_line(&gen, guest_gen ? "trafficgen in the guest" : "trafficgen", gl, queues,
			  vm && guest_gen ? map.cpu : NULL, vm && guest_gen ? map.n : 0);
	rq = reflector_queues(run, refl_raw, queues);
	out = queue_findings(queues, p->flows, &refl, &gen, json_object_get(config, "results"), rq, t);
	json_decref(rq);
	json_decref(rl);
	json_decref(gl);
	topo_free(t);
	vmap_free(&map);
	return out;
}

static json_t *layout_notes(const struct profile *p, const json_t *findings)
{
	json_t *notes = json_array(), *f;
	size_t i;

	if (p->planned)
		json_array_append_new(notes, json_sprintf("layout planned for this host: host lcores %s, vCPU map %s",
							    profile_host_lcores(p), p->vcpu_map));
	if (p->pollers_shared)
		json_array_append_new(notes, json_string("pollers share CPUs (shared_pollers = yes): a queue's poller shares its "
							 "CPU or serves several queues, so the queue comparison measures the "
							 "sharing, not the data path"));
	json_array_foreach(findings, i, f) {
		const char *id = json_string_value(json_object_get(f, "id")) ?: "";
		if (!strcmp(json_string_value(json_object_get(f, "severity")) ?: "ok", "ok"))
			continue;
		if (!strcmp(id, "host-guest-overlap") || !strcmp(id, "vcpu-shared-cpu") || !strcmp(id, "smt-host-guest"))
			json_array_append_new(notes, json_string(json_string_value(json_object_get(f, "message")) ?: ""));
	}
	return notes;
}

/* The host's load around the run: idle before, during, idle after (env.json's
 * "host_load", and what results.json's "noise" is judged on). */
static json_t *run_host_load(const struct run *run)
{
	return json_pack("{s:O?, s:o, s:O?}", "idle_before", run->idle_before, "during",
			 host_load_json(&run->load0, &run->load1, (double)(run->t1 - run->t0) / 1000), "idle_after",
			 run->idle_after);
}

static int write_results(struct run *run, json_t *all, json_t *plan)
{
	char *table = tables_text(all), *csv = tables_csv(all), *gp = tables_plot(all);
	json_t *env;
	int r = (!table || !csv || !gp) ? -ENOMEM : 0;

	if (!r)
		r = results_write_json(&run->out, "results.json", all);
	if (!r)
		r = results_write_text(&run->out, "results.csv", csv);
	if (!r)
		r = results_write_text(&run->out, "table.txt", table);
	if (!r)
		r = results_write_text(&run->out, "plot.gp", gp);
	if (!r && json_array_size(run->pinning))
		r = results_write_json(&run->out, "pinning.json", run->pinning);
	if (!r) {
		env = fingerprint_build(&run->p, json_incref(run->commands), json_incref(plan),
					profile_is_vm(&run->p) ? guest_fingerprint(run) : NULL);
		if (env) {
			/* The virtio features both sides negotiated (DPDK's PVP report asks for them). */
			const json_t *v = json_object_get(json_array_get(json_object_get(all, "configurations"), 0), "virtio");
			json_object_set_new(env, "virtio", json_incref((json_t *)v) ?: json_null());
			json_object_set_new(env, "virtio_features", json_string(json_string_value(json_object_get(v, "features")) ?: ""));
			v = json_object_get(json_array_get(json_object_get(all, "configurations"), 0), "reflector_datapath");
			json_object_set_new(env, "reflector_datapath", json_string(json_string_value(v) ?: ""));
		}
		if (env)
			json_object_set_new(env, "host_load", run_host_load(run));
		r = env ? results_write_json(&run->out, "env.json", env) : -ENOMEM;
		json_decref(env);
	}
	if (!r) {
		int g = results_gnuplot(&run->out, "plot.gp", "pngcairo size 1200,500", "plot.png");
		if (!g)
			g = results_gnuplot(&run->out, "plot.gp", "svg size 1200,500", "plot.svg");
		if (g == -ENOENT || g == -EIO)
			cli_warn("gnuplot failed: no plot.png/plot.svg (plot.gp is there to run by hand)");
		else if (g < 0)
			r = g; /* a write that failed */
	}
	free(table);
	free(csv);
	free(gp);
	return r;
}

/* The CPUs this run keeps busy: the host programs' lcores, and with a guest its vCPUs
 * and emulator threads. */
static void run_cpus(const struct profile *p, struct cpuset *cpus)
{
	struct cpuset s;
	struct vmap map = { 0 };
	struct pin_error err;

	cpuset_zero(cpus);
	if (!profile_is_vm(p)) {
		if (cpuset_parse_list(&s, p->refl_lcores, 0, &err) == 0)
			cpuset_or(cpus, cpus, &s);
		if (cpuset_parse_list(&s, p->gen_lcores, 0, &err) == 0)
			cpuset_or(cpus, cpus, &s);
		return;
	}
	if (cpuset_parse_list(&s, profile_host_lcores(p), 0, &err) == 0)
		cpuset_or(cpus, cpus, &s);
	if (cpuset_parse_list(&s, p->emulator_cpus, 0, &err) == 0)
		cpuset_or(cpus, cpus, &s);
	if (vmap_parse(&map, p->vcpu_map, 0, &err) == 0)
		for (unsigned i = 0; i < map.n; i++)
			if (map.cpu[i] >= 0)
				cpuset_set(cpus, (unsigned)map.cpu[i]);
	vmap_free(&map);
}

/* One benchmark per CPU: another benchmark's pollers, a VM's pinned vCPUs or any other
 * busy thread on the CPUs this run needs, found before anything starts (which thread,
 * which CPU, since when).  Refused (exit 1), or with @force run anyway and said in the
 * results' notes.  0, or an exit code. */
static int check_cpus_free(struct run *run, bool force)
{
	struct poller busy[32];
	struct cpuset cpus;
	json_t *pinned = rundir_list_pinned();
	char line[512];
	int n, c;

	run_cpus(&run->p, &cpus);
	n = pollers_find(&cpus, 200, 0.5, getpid(), busy, 32);
	run->beside = json_array();
	for (int i = 0; i < n; i++) {
		pollers_describe(&busy[i], line, sizeof(line));
		json_array_append_new(run->beside, json_string(line));
	}
	for (c = cpuset_next(&cpus, -1); c >= 0 && pinned; c = cpuset_next(&cpus, c))
		if (rundir_vcpu_on(pinned, c, NULL, line, sizeof(line)))
			json_array_append_new(run->beside, json_sprintf("CPU %d: %s", c, line));
	json_decref(pinned);
	if (!json_array_size(run->beside))
		return 0;
	if (force) {
		cli_warn("running beside %zu busy thread%s on its CPUs (--force): the figures measure the sharing too",
			 json_array_size(run->beside), json_array_size(run->beside) == 1 ? "" : "s");
		return 0;
	}
	{
		const json_t *v;
		size_t i;
		json_array_foreach(run->beside, i, v)
			fprintf(stderr, "%s: %s\n", cli_prog, json_string_value(v));
	}
	return cli_fail(EXIT_FAIL, "the CPUs this run needs are busy (above): another benchmark? Stop it, or pass --force to "
				   "run beside it (the results will say so)");
}

static int run_profile(const char *profile_arg, const char *out_arg, bool force)
{
	struct run run = { .commands = json_array(), .pinning = json_array(), .hp_restore = -1 };
	struct pin_error err;
	struct hostfacts h;
	struct topo *t;
	char path[PATH_MAX], out[PATH_MAX];
	json_t *all = NULL, *configs, *plan = NULL;
	int code = 0, r;

	if (tmpl_find("bench", profile_arg, path, sizeof(path), &err) < 0 || profile_load(&run.p, path, &err) < 0) {
		code = cli_fail(EXIT_USAGE, "%s", err.msg);
		goto done;
	}
	/* The layout for this host: auto lcores planned, CPUs it lacks refused before anything starts. */
	if ((r = hostfacts_read(&h)) < 0) {
		code = cli_fail(EXIT_FAIL, "cannot read this host's CPUs: %s", strerror(-r));
		goto done;
	}
	t = topo_load_live();
	r = t ? profile_resolve(&run.p, &h, t, &err) : pin_fail(&err, -EIO, 0, "cannot read this host's topology");
	topo_free(t);
	hostfacts_free(&h);
	if (r < 0) {
		code = cli_fail(r == -EIO ? EXIT_FAIL : EXIT_USAGE, "%s", err.msg);
		goto done;
	}
	if (profile_is_vm(&run.p) && (code = find_guest(&run.guest)))
		goto done;
	if ((code = check_cpus_free(&run, force)))
		goto done;
	if (out_arg) {
		snprintf(out, sizeof(out), "%s", out_arg);
	} else {
		time_t now = time(NULL);
		struct tm tm;
		char stamp[32];
		localtime_r(&now, &tm);
		strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
		snprintf(out, sizeof(out), "results/%s-%s", run.p.name, stamp);
	}
	if ((r = results_begin(&run.out, out, &err)) < 0) {
		code = cli_fail(r == -EEXIST ? EXIT_USAGE : EXIT_FAIL, "%s", err.msg);
		goto done;
	}
	/* Named by our pid, so that whoever runs us can tell our children's sockets. */
	snprintf(run.sockdir, sizeof(run.sockdir), "/tmp/vmbench-%d.XXXXXX", (int)getpid());
	if (!mkdtemp(run.sockdir)) {
		code = cli_fail(EXIT_FAIL, "cannot create a socket directory: %s", strerror(errno));
		run.sockdir[0] = '\0';
		goto done;
	}
	{
		static const char *const progs[4] = { "reflector", "trafficgen", "vmlaunch", "pincheck" };
		for (unsigned i = 0; i < 4; i++)
			sibling(progs[i], run.bin[i], sizeof(run.bin[i]));
		run.paths = (struct pa_paths){ .reflector = run.bin[0], .trafficgen = run.bin[1], .vmlaunch = run.bin[2],
					       .pincheck = run.bin[3], .sockdir = run.sockdir, .guest_dir = run.guest.dir };
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	if ((code = prepare_hugepages(&run)))
		goto done;

	plan = judge_layout(&run.p);
	all = json_pack("{s:s, s:s, s:s, s:s, s:s, s:f, s:o, s:[]}", "name", run.p.name, "mode",
			profile_mode_name(run.p.mode), "mode_text", mode_text[run.p.mode], "search", run.p.search, "rate",
			run.p.rate, "tolerance_pct", run.p.tolerance_pct, "notes", layout_notes(&run.p, plan), "configurations");
	/* --force beside busy threads: every figure shares its CPUs, said first. */
	{
		const json_t *v;
		size_t i;
		json_array_foreach(run.beside, i, v)
			json_array_append_new(json_object_get(all, "notes"),
					      json_sprintf("ran beside a busy thread (--force): %s", json_string_value(v)));
	}
	/* The shape of this file (docs/results.schema.json): readers check it first. */
	json_object_set_new(all, "schema_version", json_integer(RESULTS_SCHEMA_VERSION));
	json_object_set_new(all, "trials", json_integer(run.p.trials));
	json_object_set_new(all, "warmup_trial_s", json_real(run.p.warmup_trial));
	if (!strncmp(run.p.search, "pdr", 3)) {
		double pct = 0.1;
		if (run.p.search[3] == '=')
			num_parse_double(run.p.search + 4, 0, 100, &pct); /* checked when the profile was read */
		json_object_set_new(all, "loss_threshold_pct", json_real(pct));
	} else {
		json_object_set_new(all, "loss_threshold_pct", json_real(0));
	}
	configs = json_object_get(all, "configurations");
	/* What else runs here: half a second with nothing of ours running, then the run. */
	run.idle_before = idle_window();
	host_load_read(&run.load0);
	run.t0 = now_ms();
	for (unsigned i = 0; i < run.p.nqueues && !code; i++) {
		unsigned q = run.p.queues[i];
		json_t *c = json_pack("{s:o, s:i, s:s, s:s}", "name", json_sprintf("%u queue%s", q, q > 1 ? "s" : ""),
				      "queues", q, "reflector_mode", run.p.refl_mode, "search", run.p.search);
		code = profile_is_vm(&run.p) ? run_vm_config(&run, q, c) : run_host_config(&run, q, c);
		if (!code) {
			json_t *f = config_queue_findings(&run, q, c), *x;
			size_t k;
			json_array_foreach(f, k, x)
				if (strcmp(json_string_value(json_object_get(x, "severity")), "ok"))
					cli_warn("%u queue%s: %s [%s]", q, q > 1 ? "s" : "", json_string_value(json_object_get(x, "message")),
						 json_string_value(json_object_get(x, "id")));
			json_object_set_new(c, "findings", f);
			json_object_set_new(c, "virtio", negotiated_virtio(&run, q) ?: json_null());
			if (profile_is_vm(&run.p))
				code = check_rings(&run.p, q, json_object_get(c, "virtio"));
			json_object_set_new(c, "reflector_datapath", reflector_datapath(&run, q) ?: json_null());
		}
		json_array_append_new(configs, c);
	}
	host_load_read(&run.load1);
	run.t1 = now_ms();
	restore_hugepages(&run);
	if (!code)
		run.idle_after = idle_window();
	if (code)
		goto done;
	if (profile_is_vm(&run.p)) {
		json_object_set_new(all, "accel", json_string(run.guest.accel));
		json_object_set_new(all, "backend", json_string(run.p.libvirt ? "libvirt" : "qemu"));
	}
	/* Whether these figures are the path's or the host's noise, said where they are
	 * read (table.txt, the last lines here), by the rules compare judges with. */
	{
		json_t *load = run_host_load(&run);
		json_object_set_new(all, "noise", compare_noise(all, load));
		json_decref(load);
	}
	if ((r = write_results(&run, all, plan)) < 0 || (r = results_commit(&run.out)) < 0) {
		code = cli_fail(EXIT_FAIL, "cannot write the results in %s: %s; nothing written", run.out.tmp, strerror(-r));
		goto done;
	}
	{
		char *table = tables_text(all);
		fputs(table ? table : "", stdout);
		free(table);
	}
	printf("results in %s\n", run.out.out);
	if (json_is_true(json_object_get(json_object_get(all, "noise"), "noisy"))) {
		const json_t *w;
		size_t i;
		printf("NOTE: this run was too noisy to take its figures as the path's:");
		json_array_foreach(json_object_get(json_object_get(all, "noise"), "why"), i, w)
			printf("%s %s", i ? ";" : "", json_string_value(w));
		printf(". Run it again on a quiet host, with more trials.\n");
	}
done:
	if (code)
		results_abort(&run.out);
	if (run.sockdir[0])
		fs_remove_tree(run.sockdir);
	json_decref(all);
	json_decref(plan);
	json_decref(run.commands);
	json_decref(run.pinning);
	json_decref(run.guest.manifest);
	json_decref(run.idle_before);
	json_decref(run.idle_after);
	json_decref(run.beside);
	profile_free(&run.p);
	return code;
}

/* --- compare ----------------------------------------------------------------------------- */

/* Load DIR/NAME as JSON, or NULL. */
static json_t *load_json(const char *dir, const char *name)
{
	char path[PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return json_load_file(path, 0, NULL);
}

/* A run's column label: the host it ran on, unless two runs share one (then each
 * directory's name, or the whole path when those collide too). */
static void label_runs(char **dirs, json_t **env, unsigned n, const char **labels)
{
	bool hosts = true, names = true;

	for (unsigned i = 0; i < n; i++) {
		const char *h = json_string_value(json_object_get(env[i], "hostname"));
		char *slash;
		size_t l = strlen(dirs[i]);
		while (l > 1 && dirs[i][l - 1] == '/')
			dirs[i][--l] = '\0';
		slash = strrchr(dirs[i], '/');
		labels[i] = slash ? slash + 1 : dirs[i];
		hosts &= h && *h;
		for (unsigned j = 0; j < i; j++) {
			const char *g = json_string_value(json_object_get(env[j], "hostname"));
			hosts &= !(h && g && !strcmp(h, g));
			names &= strcmp(labels[i], labels[j]) != 0;
		}
	}
	for (unsigned i = 0; i < n; i++)
		labels[i] = hosts ? json_string_value(json_object_get(env[i], "hostname")) : names ? labels[i] : dirs[i];
}

/* Two runs: B judged against A (--threshold gates).  More: one table, a column per run. */
static int compare(char **dirs, unsigned n, bool json, double threshold, bool force)
{
	json_t **res = calloc(n, sizeof(*res)), **env = calloc(n, sizeof(*env)), *out = NULL;
	const char **labels = calloc(n, sizeof(*labels));
	int code = EXIT_FAIL;

	if (!res || !env || !labels) {
		code = cli_fail(EXIT_FAIL, "out of memory");
		goto out;
	}
	for (unsigned i = 0; i < n; i++) {
		if (!(res[i] = load_json(dirs[i], "results.json"))) {
			code = cli_fail(EXIT_USAGE, "%s is not a results directory (no readable results.json)", dirs[i]);
			goto out;
		}
		env[i] = load_json(dirs[i], "env.json");
	}
	if (n == 2) {
		out = compare_runs(res[0], env[0], res[1], env[1], threshold, force);
	} else {
		label_runs(dirs, env, n, labels);
		out = compare_many(res, env, labels, (const char *const *)dirs, n);
	}
	if (!out) {
		code = cli_fail(EXIT_FAIL, "out of memory");
		goto out;
	}
	if (json) {
		json_dumpf(out, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
		putchar('\n');
	} else if (n == 2) {
		compare_print(out, dirs[0], dirs[1]);
	} else {
		compare_print_many(out);
	}
	/* A gate for CI: B worse than A beyond the threshold and the noise (1); a
	 * comparison too noisy, or of runs that measured different things, cannot tell (3). */
	code = EXIT_OK;
	if (n == 2 && threshold >= 0 && !strcmp(json_string_value(json_object_get(out, "verdict")) ?: "", "cannot tell"))
		code = COMPARE_EXIT_CANNOT_TELL;
	else if (json_integer_value(json_object_get(out, "regressions")) > 0)
		code = EXIT_FAIL;
out:
	json_decref(out);
	for (unsigned i = 0; res && env && i < n; i++) {
		json_decref(res[i]);
		json_decref(env[i]);
	}
	free(res);
	free(env);
	free(labels);
	return code;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "json", no_argument, NULL, 'j' },
		{ "threshold", required_argument, NULL, 't' },
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *out = NULL;
	bool json = false, force = false;
	double threshold = -1;
	int c;

	cli_prog = "vmbench";
	signal(SIGPIPE, SIG_IGN);
	while ((c = getopt_long(argc, argv, "o:jt:fhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 't':
			if (num_parse_double(optarg, 0, 100, &threshold) < 0)
				return cli_usage_error("invalid --threshold '%s' (a percentage, 0-100)", optarg);
			break;
		case 'j': json = true; break;
		case 'f': force = true; break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 'V':
			return cli_version();
		default:
			return cli_try_help();
		}
	}
	if (optind < argc && !strcmp(argv[optind], "run")) {
		if (argc - optind != 2)
			return cli_usage_error("run needs one PROFILE");
		return run_profile(argv[optind + 1], out, force);
	}
	if (optind < argc && !strcmp(argv[optind], "compare")) {
		if (argc - optind < 3)
			return cli_usage_error("compare needs two results directories or more");
		if (argc - optind > 3 && threshold >= 0)
			return cli_usage_error("--threshold judges one run against another: give two directories");
		return compare(argv + optind + 1, (unsigned)(argc - optind - 1), json, threshold, force);
	}
	return cli_usage_error("%s", optind < argc ? "unknown command (run or compare)" : "no command given (run or compare)");
}
