/*
 * vmbench — run the host<->guest packet benchmark from a profile and leave a
 * results directory another engineer can re-run and compare.
 *
 *   vmbench run PROFILE [--out DIR]
 *   vmbench compare DIR1 DIR2 [--json]
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cpuset.h"
#include "cli.h"
#include "exitcodes.h"
#include "hostfacts.h"
#include "hp.h"
#include "inifile.h"
#include "plan.h"
#include "report.h"
#include "topo.h"
#include "vmap.h"

static volatile sig_atomic_t interrupted;

#define MAX_CONFIGS 8
#define MAX_SIZES 16

struct profile {
	char path[PATH_MAX];
	char text[16384];            /* the file as it was, for env.json */
	char name[64], mode[16];
	char refl_lcores[128], gen_lcores[128];
	unsigned queues[MAX_CONFIGS], nqueues;
	unsigned sizes[MAX_SIZES], nsizes;
	double duration, warmup;
	char search[32], rate[32], refl_mode[16], police[32];
	unsigned trials;
	uint64_t hugepages_mb;
};


static void usage(FILE *out)
{
	fprintf(out,
		"Usage:\n"
		" %1$s run PROFILE [--out DIR]\n"
		" %1$s compare DIR1 DIR2 [--json]\n"
		"\n"
		"Run the packet benchmark a profile describes and write a results directory:\n"
		"results.json, results.csv, table.txt, plot.png, plot.svg and env.json (the fingerprint).\n"
		"PROFILE is a file, or NAME for templates/bench/NAME.conf.\n"
		"\n"
		"Options:\n"
		" -o, --out DIR     the results directory (default results/NAME-DATE-TIME); must not exist\n"
		" -j, --json        (compare) print JSON\n"
		" -h, --help        display this help\n"
		" -V, --version     display version\n"
		"\n"
		"For more details see vmbench(1).\n", cli_prog);
}

/* --- the profile ---------------------------------------------------------- */

static int parse_list(const char *v, unsigned *out, unsigned max, unsigned lo, unsigned hi)
{
	char buf[256], *tok, *save = NULL, *end;
	unsigned n = 0;

	snprintf(buf, sizeof(buf), "%s", v);
	for (tok = strtok_r(buf, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
		unsigned long x = strtoul(tok, &end, 10);
		if (*end || end == tok || tok[0] == '-' || x < lo || x > hi || n == max)
			return -EINVAL;
		out[n++] = (unsigned)x;
	}
	return n ? (int)n : -EINVAL;
}

static int profile_key(void *ctx, const char *file, int line, const char *section, const char *key, const char *value,
		       struct pin_error *err)
{
	struct profile *p = ctx;
	char *end;
	int n;

#define BAD(what) pin_fail(err, -EINVAL, (size_t)line, "%s:%d: %s: invalid value '%s' (%s)", file, line, key, value, what)
	if (strcmp(section, "bench") != 0)
		return pin_fail(err, -EINVAL, (size_t)line, "%s:%d: unknown section [%s] (profiles have [bench])", file, line,
				section);
	if (!strcmp(key, "name")) {
		snprintf(p->name, sizeof(p->name), "%s", value);
	} else if (!strcmp(key, "mode")) {
		if (strcmp(value, "loopback") && strcmp(value, "vm"))
			return BAD("loopback or vm");
		snprintf(p->mode, sizeof(p->mode), "%s", value);
	} else if (!strcmp(key, "reflector_lcores") || !strcmp(key, "generator_lcores")) {
		struct cpuset s;
		if (cpuset_parse_list(&s, value, 0, NULL) < 0 || cpuset_count(&s) < 2 || strpbrk(value, "-:"))
			return BAD("a comma list of at least two CPUs, the main lcore first");
		snprintf(key[0] == 'r' ? p->refl_lcores : p->gen_lcores, sizeof(p->refl_lcores), "%s", value);
	} else if (!strcmp(key, "queues")) {
		if ((n = parse_list(value, p->queues, MAX_CONFIGS, 1, 16)) < 0)
			return BAD("1-16, or a list: one configuration each");
		p->nqueues = (unsigned)n;
	} else if (!strcmp(key, "sizes")) {
		if ((n = parse_list(value, p->sizes, MAX_SIZES, 64, 9000)) < 0)
			return BAD("frame sizes 64-9000");
		p->nsizes = (unsigned)n;
	} else if (!strcmp(key, "duration") || !strcmp(key, "warmup")) {
		double d = strtod(value, &end);
		if (*end || end == value || d < 0 || d > 3600 || (key[0] == 'd' && d == 0))
			return BAD("seconds");
		*(key[0] == 'd' ? &p->duration : &p->warmup) = d;
	} else if (!strcmp(key, "search")) {
		if (strcmp(value, "none") && strcmp(value, "ndr") && strncmp(value, "pdr", 3))
			return BAD("none, ndr or pdr[=PCT]");
		snprintf(p->search, sizeof(p->search), "%s", value);
	} else if (!strcmp(key, "rate")) {
		snprintf(p->rate, sizeof(p->rate), "%s", value);
	} else if (!strcmp(key, "trials")) {
		unsigned long t = strtoul(value, &end, 10);
		if (*end || end == value || t < 1 || t > 100)
			return BAD("1-100");
		p->trials = (unsigned)t;
	} else if (!strcmp(key, "reflector_mode")) {
		if (strcmp(value, "io") && strcmp(value, "macswap") && strcmp(value, "ipswap") && strcmp(value, "l4swap"))
			return BAD("io, macswap, ipswap or l4swap");
		snprintf(p->refl_mode, sizeof(p->refl_mode), "%s", value);
	} else if (!strcmp(key, "police")) {
		snprintf(p->police, sizeof(p->police), "%s", value);
	} else if (!strcmp(key, "hugepages")) {
		uint64_t b;
		if (hp_parse_size(value, &b, NULL) < 0 || b < (64 << 20))
			return BAD("a size of at least 64M");
		p->hugepages_mb = b >> 20;
	} else {
		return pin_fail(err, -EINVAL, (size_t)line,
				"%s:%d: unknown key '%s' (name, mode, reflector_lcores, generator_lcores, queues, sizes, duration, warmup, search, rate, trials, reflector_mode, police, hugepages)",
				file, line, key);
	}
	return 0;
#undef BAD
}

/* A profile NAME is templates/bench/NAME.conf (source tree, then the installed templates). */
static void resolve_profile(const char *arg, char *path, size_t len)
{
	char exe[PATH_MAX], *slash;
	ssize_t n;

	if (strchr(arg, '/') || strstr(arg, ".conf")) {
		snprintf(path, len, "%s", arg);
		return;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		for (int up = 0; up < 3 && (slash = strrchr(exe, '/')); up++)
			*slash = '\0';
		snprintf(path, len, "%s/templates/bench/%s.conf", exe, arg);
		if (access(path, R_OK) == 0)
			return;
	}
	snprintf(path, len, "%s/templates/bench/%s.conf", DATADIR, arg);
}

static int load_profile(const char *arg, struct profile *p)
{
	struct pin_error err;
	FILE *f;
	size_t n;

	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "bench");
	snprintf(p->mode, sizeof(p->mode), "loopback");
	snprintf(p->refl_lcores, sizeof(p->refl_lcores), "0,1");
	snprintf(p->gen_lcores, sizeof(p->gen_lcores), "1,0");
	p->queues[0] = 1;
	p->nqueues = 1;
	p->sizes[0] = 64;
	p->nsizes = 1;
	p->duration = 2;
	p->warmup = 0.5;
	snprintf(p->search, sizeof(p->search), "none");
	snprintf(p->rate, sizeof(p->rate), "max");
	snprintf(p->refl_mode, sizeof(p->refl_mode), "macswap");
	p->trials = 1;
	p->hugepages_mb = 512;
	resolve_profile(arg, p->path, sizeof(p->path));
	if (ini_load(p->path, profile_key, p, &err) < 0)
		return cli_fail(EXIT_USAGE, "%s", err.msg);
	f = fopen(p->path, "re");
	if (f) {
		n = fread(p->text, 1, sizeof(p->text) - 1, f);
		p->text[n] = '\0';
		fclose(f);
	}
	if (!strcmp(p->mode, "vm"))
		return cli_fail(EXIT_USAGE, "%s: mode = vm (the generator in a guest) is not built yet; use mode = loopback", p->path);
	{
		/* Lcores this host does not have, or may not use: say so before starting anything. */
		struct hostfacts h;
		if (hostfacts_read(&h) == 0) {
			const char *keys[] = { "reflector_lcores", "generator_lcores" }, *vals[] = { p->refl_lcores, p->gen_lcores };
			for (int k = 0; k < 2; k++) {
				struct cpuset s;
				cpuset_parse_list(&s, vals[k], 0, NULL);
				if (hostfacts_check_cpus(&h, &s, keys[k], &err) < 0) {
					hostfacts_free(&h);
					return cli_fail(EXIT_USAGE, "%s: %s", p->path, err.msg);
				}
			}
			hostfacts_free(&h);
		}
	}
	for (unsigned i = 0; i < p->nqueues; i++) {
		struct cpuset g, r;
		cpuset_parse_list(&g, p->gen_lcores, 0, NULL);
		cpuset_parse_list(&r, p->refl_lcores, 0, NULL);
		if (cpuset_count(&g) < p->queues[i] + 1 || cpuset_count(&r) < 2)
			return cli_fail(EXIT_USAGE, "%s: queues = %u needs %u generator lcores (a main and one per queue); generator_lcores has %u",
				    p->path, p->queues[i], p->queues[i] + 1, cpuset_count(&g));
	}
	return 0;
}

/* --- child processes -------------------------------------------------------- */

struct child {
	pid_t pid;
	int out;                 /* its stdout */
	char errpath[PATH_MAX];  /* its stderr, in raw/ */
	char line[8192];
	size_t len;
};

/* The binary next to ours (build/bin or the install's bin). */
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

static int spawn(char **argv, const char *errpath, struct child *c)
{
	int p[2];

	memset(c, 0, sizeof(*c));
	snprintf(c->errpath, sizeof(c->errpath), "%s", errpath);
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	c->pid = fork();
	if (c->pid < 0)
		return -errno;
	if (c->pid == 0) {
		int e = open(errpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644), null = open("/dev/null", O_RDONLY | O_CLOEXEC);
		dup2(null, 0);
		dup2(p[1], 1);
		if (e >= 0)
			dup2(e, 2);
		signal(SIGINT, SIG_IGN); /* vmbench stops its children itself */
		execvp(argv[0], argv);
		fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(p[1]);
	c->out = p[0];
	return 0;
}

/* The next line of the child's stdout, waiting at most @ms.  1 with @line, 0 at EOF, -ETIMEDOUT, -EINTR. */
static int child_line(struct child *c, int ms, char *line, size_t len)
{
	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		char *nl = memchr(c->line, '\n', c->len);
		struct pollfd pf = { .fd = c->out, .events = POLLIN };
		struct timespec t1;
		ssize_t n;
		long left;

		if (nl) {
			size_t k = (size_t)(nl - c->line);
			snprintf(line, len, "%.*s", (int)k, c->line);
			memmove(c->line, nl + 1, c->len - k - 1);
			c->len -= k + 1;
			return 1;
		}
		if (interrupted)
			return -EINTR;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		left = ms - ((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0)
			return -ETIMEDOUT;
		if (poll(&pf, 1, (int)(left > 200 ? 200 : left)) <= 0)
			continue;
		if (c->len == sizeof(c->line) - 1)
			c->len = 0; /* an absurd line: drop it */
		n = read(c->out, c->line + c->len, sizeof(c->line) - 1 - c->len);
		if (n <= 0)
			return 0;
		c->len += (size_t)n;
	}
}

/* SIGTERM, a bounded wait, then SIGKILL.  The exit status. */
static int stop_child(struct child *c, int ms)
{
	int status = 0;

	if (c->pid <= 0)
		return 0;
	kill(c->pid, SIGTERM);
	for (int waited = 0; waited < ms; waited += 20) {
		if (waitpid(c->pid, &status, WNOHANG) == c->pid)
			goto done;
		poll(NULL, 0, 20);
	}
	kill(c->pid, SIGKILL);
	waitpid(c->pid, &status, 0);
done:
	close(c->out);
	c->pid = 0;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* The last line of a file (a child's stderr), for error messages. */
static void tail_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	char line[1024];

	buf[0] = '\0';
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (line[0] != '\n')
			snprintf(buf, len, "%.*s", (int)strcspn(line, "\n"), line);
	fclose(f);
}

/* --- the run ---------------------------------------------------------------- */

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

static json_t *argv_json(char **argv)
{
	json_t *a = json_array();

	for (int i = 0; argv[i]; i++)
		json_array_append_new(a, json_string(argv[i]));
	return a;
}

static int rm_rf(const char *path)
{
	char cmd[PATH_MAX + 32];

	snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", path);
	return system(cmd);
}

static void first_line_of(char *const cmd[], char *buf, size_t len)
{
	struct child c;
	char line[512];

	buf[0] = '\0';
	if (spawn((char **)cmd, "/dev/null", &c) < 0)
		return;
	if (child_line(&c, 5000, line, sizeof(line)) == 1)
		snprintf(buf, len, "%s", line);
	stop_child(&c, 2000);
}

static json_t *fingerprint(const struct profile *p, json_t *commands, json_t *plan)
{
	struct hostfacts h;
	struct topo *t = topo_load_live();
	struct utsname u;
	char model[256] = "", line[512], buf[512];
	FILE *f = fopen("/proc/cpuinfo", "re");
	json_t *env = json_object(), *pools = json_array();

	while (f && fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "model name", 10)) {
			char *c = strchr(line, ':');
			snprintf(model, sizeof(model), "%s", c ? c + 2 : "");
			model[strcspn(model, "\n")] = '\0';
			break;
		}
	}
	if (f)
		fclose(f);
	uname(&u);
	json_object_set_new(env, "cpu_model", json_string(model));
	if (t) {
		snprintf(buf, sizeof(buf), "%u packages, %u cores, %u threads per core, %u NUMA nodes", topo_npackages(t),
			 topo_ncores(t), topo_threads_per_core(t), topo_nnodes(t));
		json_object_set_new(env, "topology", json_string(buf));
		topo_free(t);
	}
	json_object_set_new(env, "kernel", json_string(u.release));
	if (hostfacts_read(&h) == 0) {
		char *iso = cpuset_to_list(&h.isolated), *on = cpuset_to_list(&h.online);
		json_object_set_new(env, "cmdline", json_string(h.cmdline));
		json_object_set_new(env, "cpus_online", json_string(on ? on : ""));
		json_object_set_new(env, "isolated", json_string(iso ? iso : ""));
		json_object_set_new(env, "smt", json_string(h.smt_control));
		json_object_set_new(env, "thp", json_string(h.thp));
		for (unsigned i = 0; i < h.npools; i++)
			json_array_append_new(pools, json_pack("{s:i, s:I, s:I, s:I}", "node", h.pools[i].node, "size_kb",
							       (json_int_t)h.pools[i].size_kb, "total", (json_int_t)h.pools[i].total,
							       "free", (json_int_t)h.pools[i].free));
		free(iso);
		free(on);
		hostfacts_free(&h);
	}
	json_object_set_new(env, "hugepages", pools);
	{
		char tg[PATH_MAX];
		sibling("trafficgen", tg, sizeof(tg));
		char *cmd[] = { tg, "--version", NULL };
		first_line_of(cmd, buf, sizeof(buf));
		json_object_set_new(env, "trafficgen", json_string(buf));
		char *q[] = { "qemu-system-x86_64", "--version", NULL };
		first_line_of(q, buf, sizeof(buf));
		json_object_set_new(env, "qemu", json_string(buf));
		char *d[] = { "pkg-config", "--modversion", "libdpdk", NULL };
		first_line_of(d, buf, sizeof(buf));
		json_object_set_new(env, "dpdk", json_string(buf));
	}
	json_object_set_new(env, "pinlab", json_string(PROJECT_VERSION));
	json_object_set_new(env, "profile", json_pack("{s:s, s:s}", "path", p->path, "text", p->text));
	json_object_set_new(env, "commands", commands);
	json_object_set_new(env, "plan", plan);
	return env;
}

/* pincheck plan on the layout: reflector workers as host lcores, generator workers as "vCPUs". */
static json_t *judge_layout(const struct profile *p)
{
	struct hostfacts h;
	struct topo *t = topo_load_live();
	struct cpuset host;
	struct vmap map = { 0 };
	int cpus[64];
	unsigned n = 0;
	char buf[128], *tok, *save = NULL;
	json_t *rep = report_new("plan");

	snprintf(buf, sizeof(buf), "%s", p->gen_lcores);
	for (tok = strtok_r(buf, ",", &save), tok = strtok_r(NULL, ",", &save); tok && n < 64; tok = strtok_r(NULL, ",", &save))
		cpus[n++] = atoi(tok);
	snprintf(buf, sizeof(buf), "%s", p->refl_lcores);
	cpuset_zero(&host);
	save = NULL;
	for (tok = strtok_r(buf, ",", &save), tok = strtok_r(NULL, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		cpuset_set(&host, (unsigned)atoi(tok));
	if (t && hostfacts_read(&h) == 0) {
		if (n && vmap_from_array(&map, cpus, n) == 0) {
			struct plan pl = { .map = &map, .host = &host, .topo = t, .facts = &h };
			plan_check(&pl, rep);
			vmap_free(&map);
		}
		hostfacts_free(&h);
	}
	topo_free(t);
	json_t *findings = json_incref(json_object_get(rep, "findings"));
	json_decref(rep);
	return findings;
}

/* Make sure @mb of hugepages are free; *restore gets what to write back after the run (-1: nothing). */
static int prepare_hugepages(uint64_t mb, long long *restore)
{
	unsigned long kb = hp_default_page_kb();
	struct hp_pool pool;
	int node = hp_has_nodes() && !hp_node_exists(1) ? 0 : -1;
	struct hp_grant g = { .node = node, .page_kb = kb, .want_free = (long long)((mb * 1024 + kb - 1) / kb) };
	char ps[16];
	int r;

	*restore = -1;
	hp_format_page_size(kb, ps, sizeof(ps));
	if (hp_pool_read(node, kb, &pool) < 0)
		return cli_fail(EXIT_FAIL, "this kernel has no %s hugepages", ps);
	if (pool.free >= g.want_free)
		return 0;
	if (geteuid() != 0)
		return cli_fail(EXIT_FAIL, "%lld %s hugepages free, %lld needed: run 'hugepages setup %lluM' as root, or vmbench as root",
			    pool.free, ps, g.want_free, (unsigned long long)mb);
	r = hp_reserve(&g, 1);
	if (r < 0)
		return cli_fail(EXIT_FAIL, "cannot reserve %lluM of %s hugepages (%s): try 'hugepages setup %lluM'",
			    (unsigned long long)mb, ps, strerror(-r), (unsigned long long)mb);
	*restore = g.before;
	return 0;
}

/* Put the pool back to @before pages (the kernel keeps any page still in use). */
static void restore_hugepages(long long before)
{
	if (before >= 0)
		hp_set_total(hp_has_nodes() && !hp_node_exists(1) ? 0 : -1, hp_default_page_kb(), before);
}

/* One configuration: the reflector up, trafficgen through it, the reflector down. */
static int run_config(const struct profile *p, unsigned queues, const char *sockdir, const char *raw, json_t *commands,
		      json_t *config)
{
	char refl[PATH_MAX], tg[PATH_MAX], sock[PATH_MAX], vhost[PATH_MAX + 32], vdev[PATH_MAX + 64], sizes[256] = "",
	     durs[32], warm[32], trials[32], qs[16], errpath[PATH_MAX + 64], line[65536], tail[512];
	char mainr[16], maing[16];
	struct child r, t;
	size_t off = 0;
	int rc, code = 0;
	json_t *results = json_array(), *final = NULL;

	sibling("reflector", refl, sizeof(refl));
	sibling("trafficgen", tg, sizeof(tg));
	snprintf(sock, sizeof(sock), "%s/vhost0.sock", sockdir);
	snprintf(vhost, sizeof(vhost), "%s,queues=%u", sock, queues);
	snprintf(vdev, sizeof(vdev), "net_virtio_user0,path=%s,queues=%u", sock, queues);
	snprintf(mainr, sizeof(mainr), "%.*s", (int)strcspn(p->refl_lcores, ","), p->refl_lcores);
	snprintf(maing, sizeof(maing), "%.*s", (int)strcspn(p->gen_lcores, ","), p->gen_lcores);
	for (unsigned i = 0; i < p->nsizes; i++)
		off += (size_t)snprintf(sizes + off, sizeof(sizes) - off, "%s%u", i ? "," : "", p->sizes[i]);
	snprintf(durs, sizeof(durs), "%g", p->duration);
	snprintf(warm, sizeof(warm), "%g", p->warmup);
	snprintf(trials, sizeof(trials), "%u", p->trials);
	snprintf(qs, sizeof(qs), "%u", queues);

	char *rargv[32] = { refl, "-l", (char *)p->refl_lcores, "--main-lcore", mainr, "--no-pci", "--log-level=3", "--",
			    "--vhost", vhost, "--mode", (char *)p->refl_mode, "--stats", "0", "--json", NULL };
	int rn = 15;
	if (p->police[0]) {
		rargv[rn++] = "--police";
		rargv[rn++] = (char *)p->police;
		rargv[rn] = NULL;
	}
	snprintf(errpath, sizeof(errpath), "%s/reflector-%uq.stderr", raw, queues);
	if (spawn(rargv, errpath, &r) < 0)
		return cli_fail(EXIT_FAIL, "cannot start the reflector");
	json_array_append_new(commands, argv_json(rargv));
	/* Ready when it says so: no sleeps. */
	for (;;) {
		rc = child_line(&r, 30000, line, sizeof(line));
		if (rc == 1 && strstr(line, "\"type\":\"ready\""))
			break;
		if (rc == 1)
			continue;
		stop_child(&r, 3000);
		if (rc == -EINTR)
			return cli_fail(EXIT_FAIL, "interrupted: nothing written");
		tail_line(errpath, tail, sizeof(tail));
		return cli_fail(EXIT_FAIL, "the reflector did not come up: %s", tail[0] ? tail : "no word from it");
	}

	char *targv[40] = { tg, "-l", (char *)p->gen_lcores, "--main-lcore", maing, "--no-pci", "--log-level=3",
			    "--single-file-segments", "--vdev", vdev, "--", "--size", sizes, "--queues", qs, "--duration", durs,
			    "--warmup", warm, "--trials", trials, "--json", NULL };
	int tn = 22;
	if (strcmp(p->search, "none")) {
		targv[tn++] = "--search";
		targv[tn++] = (char *)p->search;
	} else {
		targv[tn++] = "--rate";
		targv[tn++] = (char *)p->rate;
	}
	targv[tn] = NULL;
	snprintf(errpath, sizeof(errpath), "%s/trafficgen-%uq.stderr", raw, queues);
	if (spawn(targv, errpath, &t) < 0) {
		stop_child(&r, 3000);
		return cli_fail(EXIT_FAIL, "cannot start trafficgen");
	}
	json_array_append_new(commands, argv_json(targv));
	{
		char rawout[PATH_MAX + 64];
		FILE *out;
		snprintf(rawout, sizeof(rawout), "%s/trafficgen-%uq.jsonl", raw, queues);
		out = fopen(rawout, "we");
		/* A long sweep: bounded by what the profile asks for, with room to spare. */
		int budget = (int)((p->duration + p->warmup + 2) * p->nsizes * p->trials * (strcmp(p->search, "none") ? 30 : 1) * 1000) + 60000;
		while ((rc = child_line(&t, budget, line, sizeof(line))) == 1) {
			json_t *o = json_loads(line, 0, NULL);
			if (out)
				fprintf(out, "%s\n", line);
			if (o && !strcmp(json_string_value(json_object_get(o, "type")) ?: "", "summary")) {
				json_decref(final);
				final = json_incref(json_object_get(o, "results"));
			} else if (o && !strcmp(json_string_value(json_object_get(o, "type")) ?: "", "trial")) {
				fprintf(stderr, "%s: %uq %lld B: %.3f Mpps received, %.4f%% loss\n", cli_prog, queues,
					json_integer_value(json_object_get(o, "size")), json_real_value(json_object_get(o, "rx_mpps")),
					json_real_value(json_object_get(o, "loss_pct")));
			}
			json_decref(o);
		}
		if (out)
			fclose(out);
	}
	rc = stop_child(&t, rc == 0 ? 10000 : 1000);
	if (!final) {
		tail_line(errpath, tail, sizeof(tail));
		if (interrupted)
			code = cli_fail(EXIT_FAIL, "interrupted: nothing written");
		else
			code = cli_fail(EXIT_FAIL, "trafficgen failed (exit %d): %s", rc, tail[0] ? tail : "no results");
	}
	/* The reflector's final statistics go to raw/ too. */
	{
		char rawout[PATH_MAX + 64];
		FILE *out;
		kill(r.pid, SIGTERM);
		snprintf(rawout, sizeof(rawout), "%s/reflector-%uq.jsonl", raw, queues);
		out = fopen(rawout, "we");
		while (child_line(&r, 10000, line, sizeof(line)) == 1)
			if (out)
				fprintf(out, "%s\n", line);
		if (out)
			fclose(out);
		stop_child(&r, 5000);
	}
	if (code)
		return code;

	/* Per size: the median of the trials, its rates and the last trial's latency. */
	size_t i;
	json_t *x;
	json_array_foreach(final, i, x) {
		json_t *last = json_object_get(x, "last"), *trial = last;
		double pps = json_real_value(json_object_get(x, "median"));
		int size = (int)json_integer_value(json_object_get(x, "size"));
		if (json_object_get(last, "trial"))
			trial = json_object_get(last, "trial");
		json_array_append_new(results, json_pack("{s:i, s:s, s:f, s:f, s:f, s:f, s:f, s:f, s:O, s:I}",
							 "size", size, "metric", json_string_value(json_object_get(x, "metric")),
							 "mpps", pps / 1e6, "mpps_min", json_real_value(json_object_get(x, "min")) / 1e6,
							 "mpps_max", json_real_value(json_object_get(x, "max")) / 1e6,
							 "gbps_l1", pps * (size + 20) * 8 / 1e9, "gbps_l2", pps * size * 8 / 1e9,
							 "loss_pct", json_real_value(json_object_get(trial, "loss_pct")),
							 "latency_ns", json_object_get(trial, "latency_ns") ?: json_null(),
							 "trials", json_integer_value(json_object_get(x, "trials"))));
	}
	json_decref(final);
	json_object_set_new(config, "results", results);
	return 0;
}

static int write_file(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX + 64];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "we");
	if (!f)
		return -errno;
	fputs(text, f);
	return fclose(f) == 0 ? 0 : -errno;
}

static void write_outputs(const char *dir, const struct profile *p, json_t *all)
{
	char *buf = NULL, path[PATH_MAX + 64];
	size_t len = 0;
	FILE *m;
	size_t ci, k;
	json_t *c, *r;

	json_dump_file(all, (snprintf(path, sizeof(path), "%s/results.json", dir), path),
		       JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));

	m = open_memstream(&buf, &len);
	fprintf(m, "configuration,queues,size,mpps,mpps_min,mpps_max,gbps_l1,gbps_l2,loss_pct,latency_p50_ns,latency_p99_ns,latency_max_ns\n");
	json_array_foreach(json_object_get(all, "configurations"), ci, c)
		json_array_foreach(json_object_get(c, "results"), k, r) {
			json_t *lat = json_object_get(r, "latency_ns");
			fprintf(m, "%s,%lld,%lld,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,%lld,%lld,%lld\n",
				json_string_value(json_object_get(c, "name")), json_integer_value(json_object_get(c, "queues")),
				json_integer_value(json_object_get(r, "size")), json_real_value(json_object_get(r, "mpps")),
				json_real_value(json_object_get(r, "mpps_min")), json_real_value(json_object_get(r, "mpps_max")),
				json_real_value(json_object_get(r, "gbps_l1")), json_real_value(json_object_get(r, "gbps_l2")),
				json_real_value(json_object_get(r, "loss_pct")), json_integer_value(json_object_get(lat, "p50")),
				json_integer_value(json_object_get(lat, "p99")), json_integer_value(json_object_get(lat, "max")));
		}
	fclose(m);
	write_file(dir, "results.csv", buf);
	free(buf);

	/* The 2017 table: rows = configuration, columns = frame sizes. */
	buf = NULL;
	m = open_memstream(&buf, &len);
	for (int pass = 0; pass < 2; pass++) {
		fprintf(m, "%s (%s)\n%-16s", pass ? "Gb/s, L1 (with preamble and gap)" : "Mpps per direction",
			strcmp(p->search, "none") ? p->search : "rate max", "configuration");
		for (unsigned i = 0; i < p->nsizes; i++)
			fprintf(m, " %9u", p->sizes[i]);
		fprintf(m, "\n%.*s\n", 16 + 10 * (int)p->nsizes,
			"------------------------------------------------------------------------------------------------------------------------------------------------------------------------");
		json_array_foreach(json_object_get(all, "configurations"), ci, c) {
			fprintf(m, "%-16s", json_string_value(json_object_get(c, "name")));
			json_array_foreach(json_object_get(c, "results"), k, r)
				fprintf(m, " %9.3f", json_real_value(json_object_get(r, pass ? "gbps_l1" : "mpps")));
			fputc('\n', m);
		}
		fputc('\n', m);
	}
	fclose(m);
	write_file(dir, "table.txt", buf);
	free(buf);

	/* The plot: a gnuplot script next to its data, then PNG and SVG. */
	buf = NULL;
	m = open_memstream(&buf, &len);
	fprintf(m, "# gnuplot plot.gp (in this directory) redraws plot.png and plot.svg from results.csv\n"
		   "set datafile separator ','\nset key top right\nset grid\nset logscale x 2\n"
		   "set xlabel 'frame size (bytes)'\nset multiplot layout 1,2 title '%s'\n", p->name);
	for (int pass = 0; pass < 2; pass++) {
		fprintf(m, "set ylabel '%s'\nplot ", pass ? "Gb/s (L1)" : "Mpps per direction");
		json_array_foreach(json_object_get(all, "configurations"), ci, c)
			fprintf(m, "%s'results.csv' using (strcol(1) eq '%s' ? $3 : NaN):%d with linespoints title '%s'",
				ci ? ", " : "", json_string_value(json_object_get(c, "name")), pass ? 7 : 4,
				json_string_value(json_object_get(c, "name")));
		fputc('\n', m);
	}
	fprintf(m, "unset multiplot\n");
	fclose(m);
	{
		char gp[PATH_MAX + 64], cmd[3 * PATH_MAX];
		snprintf(gp, sizeof(gp), "%s/plot.gp", dir);
		write_file(dir, "plot.gp", buf);
		snprintf(cmd, sizeof(cmd),
			 "cd '%s' && gnuplot -e \"set terminal pngcairo size 1200,500; set output 'plot.png'\" plot.gp 2>/dev/null && "
			 "gnuplot -e \"set terminal svg size 1200,500; set output 'plot.svg'\" plot.gp 2>/dev/null", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "%s: warning: gnuplot failed: no plot.png/plot.svg (plot.gp is there to run by hand)\n", cli_prog);
	}
	free(buf);
}

static int run(const char *profile_arg, const char *out_arg)
{
	struct profile p;
	char out[PATH_MAX], tmp[PATH_MAX + 32], raw[PATH_MAX + 64], sockdir[] = "/tmp/vmbench.XXXXXX";
	long long restore;
	json_t *all, *configs, *commands = json_array(), *plan;
	int code;

	if ((code = load_profile(profile_arg, &p)))
		return code;
	if (out_arg) {
		snprintf(out, sizeof(out), "%s", out_arg);
	} else {
		time_t now = time(NULL);
		struct tm tm;
		char stamp[32];
		localtime_r(&now, &tm);
		strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
		mkdir("results", 0755);
		snprintf(out, sizeof(out), "results/%s-%s", p.name, stamp);
	}
	if (access(out, F_OK) == 0)
		return cli_fail(EXIT_USAGE, "%s exists: choose another --out (results are never overwritten)", out);
	{
		/* Parents as needed, like mkdir -p. */
		char parent[PATH_MAX];
		snprintf(parent, sizeof(parent), "%s", out);
		for (char *c = parent + 1; *c; c++) {
			if (*c != '/')
				continue;
			*c = '\0';
			mkdir(parent, 0755);
			*c = '/';
		}
	}
	/* Written under a temporary name, renamed when complete. */
	snprintf(tmp, sizeof(tmp), "%s.tmp-%d", out, (int)getpid());
	snprintf(raw, sizeof(raw), "%s/raw", tmp);
	if (mkdir(tmp, 0755) < 0 || mkdir(raw, 0755) < 0)
		return cli_fail(EXIT_FAIL, "cannot create %s: %s", tmp, strerror(errno));
	if (!mkdtemp(sockdir)) {
		rm_rf(tmp);
		return cli_fail(EXIT_FAIL, "cannot create a socket directory: %s", strerror(errno));
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	if ((code = prepare_hugepages(p.hugepages_mb, &restore))) {
		rm_rf(tmp);
		rmdir(sockdir);
		return code;
	}
	plan = judge_layout(&p);
	all = json_pack("{s:s, s:s, s:[]}", "name", p.name, "mode", p.mode, "configurations");
	configs = json_object_get(all, "configurations");
	for (unsigned i = 0; i < p.nqueues && !code; i++) {
		char name[32];
		json_t *c;
		snprintf(name, sizeof(name), "%u queue%s", p.queues[i], p.queues[i] > 1 ? "s" : "");
		c = json_pack("{s:s, s:i, s:s, s:s}", "name", name, "queues", p.queues[i], "reflector_mode", p.refl_mode,
			      "search", p.search);
		code = run_config(&p, p.queues[i], sockdir, raw, commands, c);
		json_array_append_new(configs, c);
	}
	restore_hugepages(restore);
	rmdir(sockdir);
	if (code) {
		rm_rf(tmp);
		json_decref(all);
		json_decref(commands);
		json_decref(plan);
		return code;
	}
	write_outputs(tmp, &p, all);
	{
		json_t *env = fingerprint(&p, commands, plan);
		char path[PATH_MAX + 64];
		snprintf(path, sizeof(path), "%s/env.json", tmp);
		json_dump_file(env, path, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		json_decref(env);
	}
	json_decref(all);
	if (rename(tmp, out) < 0) {
		rm_rf(tmp);
		return cli_fail(EXIT_FAIL, "cannot rename %s to %s: %s", tmp, out, strerror(errno));
	}
	{
		char path[PATH_MAX + 64], line[512];
		FILE *f;
		snprintf(path, sizeof(path), "%s/table.txt", out);
		f = fopen(path, "re");
		while (f && fgets(line, sizeof(line), f))
			fputs(line, stdout);
		if (f)
			fclose(f);
	}
	printf("results in %s\n", out);
	return EXIT_OK;
}

/* --- compare ----------------------------------------------------------------- */

static int compare(const char *a, const char *b, bool json)
{
	char pa[PATH_MAX + 32], pb[PATH_MAX + 32];
	json_t *ra, *rb, *ea, *eb, *out = json_pack("{s:[], s:[]}", "cells", "fingerprint_differs");
	static const char *const keys[] = { "cpu_model", "topology", "kernel", "cmdline", "isolated", "smt", "thp", "dpdk",
					    "qemu", "trafficgen", "pinlab" };
	size_t ci, k;
	json_t *c, *r;

	snprintf(pa, sizeof(pa), "%s/results.json", a);
	snprintf(pb, sizeof(pb), "%s/results.json", b);
	ra = json_load_file(pa, 0, NULL);
	rb = json_load_file(pb, 0, NULL);
	if (!ra || !rb) {
		json_decref(ra);
		json_decref(rb);
		return cli_fail(EXIT_USAGE, "%s is not a results directory (no readable results.json)", !ra ? a : b);
	}
	snprintf(pa, sizeof(pa), "%s/env.json", a);
	snprintf(pb, sizeof(pb), "%s/env.json", b);
	ea = json_load_file(pa, 0, NULL);
	eb = json_load_file(pb, 0, NULL);
	for (size_t i = 0; i < sizeof(keys) / sizeof(*keys); i++) {
		const char *va = json_string_value(json_object_get(ea, keys[i])) ?: "";
		const char *vb = json_string_value(json_object_get(eb, keys[i])) ?: "";
		if (strcmp(va, vb))
			json_array_append_new(json_object_get(out, "fingerprint_differs"),
					      json_pack("{s:s, s:s, s:s}", "key", keys[i], "a", va, "b", vb));
	}
	json_array_foreach(json_object_get(ra, "configurations"), ci, c) {
		size_t cj;
		json_t *d;
		json_array_foreach(json_object_get(rb, "configurations"), cj, d) {
			if (!json_equal(json_object_get(c, "name"), json_object_get(d, "name")))
				continue;
			json_array_foreach(json_object_get(c, "results"), k, r) {
				size_t kk;
				json_t *s;
				json_array_foreach(json_object_get(d, "results"), kk, s) {
					double x, y;
					if (!json_equal(json_object_get(r, "size"), json_object_get(s, "size")))
						continue;
					x = json_real_value(json_object_get(r, "mpps"));
					y = json_real_value(json_object_get(s, "mpps"));
					json_array_append_new(json_object_get(out, "cells"),
							      json_pack("{s:O, s:O, s:f, s:f, s:f}", "configuration", json_object_get(c, "name"),
									"size", json_object_get(r, "size"), "a_mpps", x, "b_mpps", y,
									"ratio", x > 0 ? y / x : 0));
				}
			}
		}
	}
	if (json) {
		json_dumpf(out, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
		putchar('\n');
	} else {
		printf("%-16s %6s %10s %10s %8s\n", "configuration", "size", "A Mpps", "B Mpps", "B/A");
		json_array_foreach(json_object_get(out, "cells"), k, r)
			printf("%-16s %6lld %10.3f %10.3f %8.3f\n", json_string_value(json_object_get(r, "configuration")),
			       json_integer_value(json_object_get(r, "size")), json_real_value(json_object_get(r, "a_mpps")),
			       json_real_value(json_object_get(r, "b_mpps")), json_real_value(json_object_get(r, "ratio")));
		if (json_array_size(json_object_get(out, "fingerprint_differs")) == 0) {
			printf("fingerprints: the same host, software and settings\n");
		} else {
			printf("fingerprints differ (compare with care):\n");
			json_array_foreach(json_object_get(out, "fingerprint_differs"), k, r)
				printf("  %s: %s  vs  %s\n", json_string_value(json_object_get(r, "key")),
				       json_string_value(json_object_get(r, "a")), json_string_value(json_object_get(r, "b")));
		}
	}
	json_decref(out);
	json_decref(ra);
	json_decref(rb);
	json_decref(ea);
	json_decref(eb);
	return EXIT_OK;
}

int main(int argc, char **argv)
{

	cli_prog = "vmbench";
	static const struct option longopts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *out = NULL;
	bool json = false;
	int c;

	while ((c = getopt_long(argc, argv, "o:jhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 'j': json = true; break;
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
		if (argc - optind != 2) {
			return cli_usage_error("run needs one PROFILE");
		}
		return run(argv[optind + 1], out);
	}
	if (optind < argc && !strcmp(argv[optind], "compare")) {
		if (argc - optind != 3) {
			return cli_usage_error("compare needs two results directories");
		}
		return compare(argv[optind + 1], argv[optind + 2], json);
	}
	return cli_usage_error("%s", optind < argc ? "unknown command (run or compare)" : "no command given (run or compare)");
}
