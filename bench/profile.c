/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pinning/cpuset.h"
#include "hugepages/hp.h"
#include "base/inifile.h"
#include "base/numparse.h"
#include "pinning/plan.h"
#include "bench/profile.h"
#include "base/sbuf.h"
#include "base/templates.h"
#include "pinning/vmap.h"

const char *profile_mode_name(enum bench_mode m)
{
	return m == MODE_VM_GEN ? "vm-gen" : m == MODE_VM_REFLECT ? "vm-reflect" : "host";
}

/* --- parsing ------------------------------------------------------------------ */

static int parse_list(const char *v, unsigned *out, unsigned max, unsigned lo, unsigned hi)
{
	char buf[256], *tok, *save = NULL;
	unsigned n = 0;

	if (strlen(v) >= sizeof(buf))
		return -EINVAL;
	snprintf(buf, sizeof(buf), "%s", v);
	for (tok = strtok_r(buf, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
		unsigned long long x;
		if (n == max || num_parse_uint(tok, lo, hi, &x) < 0)
			return -EINVAL;
		out[n++] = (unsigned)x;
	}
	return n ? (int)n : -EINVAL;
}

/* "sizes": frame sizes and mixes, separated by commas or spaces.  The count, or -1
 * with the reason in @why. */
static int parse_sizes(const char *v, struct shape *out, unsigned max, char *why, size_t len)
{
	char buf[256], *tok, *save = NULL, msg[160];
	unsigned n = 0;

	snprintf(why, len, "frame sizes 64-9000 or mixes (imix, imix_v4_1, SIZE:WEIGHT+...), at most %u", max);
	if (strlen(v) >= sizeof(buf))
		return -1;
	snprintf(buf, sizeof(buf), "%s", v);
	for (tok = strtok_r(buf, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
		if (n == max)
			return -1;
		if (shape_parse(tok, &out[n], msg, sizeof(msg)) < 0) {
			snprintf(why, len, "%s", msg);
			return -1;
		}
		n++;
	}
	return n ? (int)n : -1;
}

/* An lcore list: "auto", or CPUs separated by commas, the main lcore first (at least two). */
static bool valid_lcores(const char *v)
{
	struct cpuset s;
	unsigned commas = 0;

	if (!strcmp(v, "auto"))
		return true;
	for (const char *c = v; *c; c++)
		commas += *c == ',';
	return !strpbrk(v, "-: ") && cpuset_parse_list(&s, v, 0, NULL) == 0 && cpuset_count(&s) >= 2 &&
	       cpuset_count(&s) == commas + 1;
}

static int copy(char *dst, size_t len, const char *v)
{
	return (size_t)snprintf(dst, len, "%s", v) < len ? 0 : -1;
}

#define BAD(what) pin_fail(err, -EINVAL, (size_t)line, "%s:%d: %s: invalid value '%s' (%s)", file, line, key, value, what)

static int bench_key(struct profile *p, const char *file, int line, const char *key, const char *value,
		     struct pin_error *err)
{
	unsigned long long u;
	double pps, bps;
	int n;

	if (!strcmp(key, "name")) {
		if (!*value || strlen(value) >= sizeof(p->name) || strspn(value, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != strlen(value))
			return BAD("1-63 of letters, digits, '_', '.', '-'");
		copy(p->name, sizeof(p->name), value);
	} else if (!strcmp(key, "mode")) {
		if (!strcmp(value, "host") || !strcmp(value, "loopback"))
			p->mode = MODE_HOST;
		else if (!strcmp(value, "vm-gen"))
			p->mode = MODE_VM_GEN;
		else if (!strcmp(value, "vm-reflect"))
			p->mode = MODE_VM_REFLECT;
		else
			return BAD("host, vm-gen or vm-reflect");
	} else if (!strcmp(key, "reflector_lcores") || !strcmp(key, "generator_lcores")) {
		char *dst = key[0] == 'r' ? p->refl_lcores : p->gen_lcores;
		if (!valid_lcores(value) || copy(dst, sizeof(p->refl_lcores), value) < 0)
			return BAD("auto, or a comma list of at least two CPUs, the main lcore first");
	} else if (!strcmp(key, "queues")) {
		if ((n = parse_list(value, p->queues, PROFILE_MAX_CONFIGS, 1, 16)) < 0)
			return BAD("1-16, or a list: one configuration each");
		p->nqueues = (unsigned)n;
	} else if (!strcmp(key, "sizes")) {
		char why[200];
		if ((n = parse_sizes(value, p->sizes, PROFILE_MAX_SIZES, why, sizeof(why))) < 0)
			return BAD(why);
		p->nsizes = (unsigned)n;
	} else if (!strcmp(key, "flows")) {
		if (num_parse_uint(value, 1, 64512, &u) < 0)
			return BAD("1-64512");
		p->flows = (unsigned)u;
	} else if (!strcmp(key, "duration") || !strcmp(key, "warmup")) {
		bool d = key[0] == 'd';
		if (num_parse_seconds(value, !d, 3600, d ? &p->duration : &p->warmup) < 0)
			return BAD(d ? "seconds, more than 0, at most 3600" : "seconds, 0-3600");
	} else if (!strcmp(key, "search")) {
		double pct;
		if (strcmp(value, "none") && strcmp(value, "ndr") && strcmp(value, "pdr") &&
		    (strncmp(value, "pdr=", 4) || num_parse_double(value + 4, 0, 100, &pct) < 0 || pct == 0 || pct == 100))
			return BAD("none, ndr or pdr[=PCT]");
		copy(p->search, sizeof(p->search), value);
	} else if (!strcmp(key, "rate")) {
		if ((strcmp(value, "max") && num_parse_rate(value, &pps, &bps) < 0) || copy(p->rate, sizeof(p->rate), value) < 0)
			return BAD("max, N[k|M|G]pps or N[k|M|G]bps");
	} else if (!strcmp(key, "trials")) {
		if (num_parse_uint(value, 1, 100, &u) < 0)
			return BAD("1-100");
		p->trials = (unsigned)u;
	} else if (!strcmp(key, "reflector_mode")) {
		if (strcmp(value, "io") && strcmp(value, "macswap") && strcmp(value, "ipswap") && strcmp(value, "l4swap"))
			return BAD("io, macswap, ipswap or l4swap");
		copy(p->refl_mode, sizeof(p->refl_mode), value);
	} else if (!strcmp(key, "reflector_datapath")) {
		if (strcmp(value, "direct") && strcmp(value, "pmd"))
			return BAD("direct or pmd");
		copy(p->refl_datapath, sizeof(p->refl_datapath), value);
	} else if (!strcmp(key, "police")) {
		if (num_parse_pps(value, &pps) < 0 || copy(p->police, sizeof(p->police), value) < 0)
			return BAD("N[k|M|G]pps");
	} else if (!strcmp(key, "precision")) {
		if (num_parse_double(value, 0, 100, &p->precision_pct) < 0 || p->precision_pct == 0)
			return BAD("a percentage, more than 0, at most 100");
	} else if (!strcmp(key, "tolerance")) {
		if (num_parse_double(value, 0, 50, &p->tolerance_pct) < 0)
			return BAD("a percentage, 0-50");
	} else if (!strcmp(key, "hugepages")) {
		uint64_t b;
		if (hp_parse_size(value, &b, NULL) < 0 || b < (64 << 20) || b > (1ULL << 40))
			return BAD("a size of at least 64M");
		p->hugepages_mb = b >> 20;
	} else if (!strcmp(key, "warmup_trial")) {
		if (num_parse_seconds(value, true, 3600, &p->warmup_trial) < 0)
			return BAD("seconds, 0 (none) to 3600");
	} else if (!strcmp(key, "back_to_back") || !strcmp(key, "shared_pollers")) {
		if (strcmp(value, "yes") && strcmp(value, "no"))
			return BAD("yes or no");
		*(key[0] == 'b' ? &p->back_to_back : &p->shared_pollers) = !strcmp(value, "yes");
	} else if (!strcmp(key, "latency_at")) {
		if (!strcmp(value, "none"))
			p->nlatency = 0;
		else if (num_parse_pct_list(value, p->latency_at, PROFILE_MAX_LOADS, &p->nlatency) < 0)
			return BAD("none, or up to 8 percentages of the search's rate, ascending: 0,10,50,90");
	} else {
		return pin_fail(err, -EINVAL, (size_t)line,
				"%s:%d: unknown key '%s' in [bench] (name, mode, reflector_lcores, generator_lcores, queues, sizes, flows, duration, warmup, warmup_trial, search, precision, rate, trials, latency_at, back_to_back, shared_pollers, reflector_mode, reflector_datapath, police, tolerance, hugepages)",
				file, line, key);
	}
	return 0;
}

/* qemu:///system, qemu:///session or qemu+unix:///system?socket=PATH: no host part, no
 * space or control character (it is passed on as one argv word). */
static bool uri_is_local(const char *u)
{
	const char *rest = NULL;

	if (!strncmp(u, "qemu:///", 8))
		rest = u + 8;
	else if (!strncmp(u, "qemu+unix:///", 13))
		rest = u + 13;
	if (!rest || !*rest)
		return false;
	for (const char *c = u; *c; c++)
		if ((unsigned char)*c <= ' ' || *c == 0x7f)
			return false;
	return true;
}

static int vm_key(struct profile *p, const char *file, int line, const char *key, const char *value, struct pin_error *err)
{
	uint64_t b;

	p->has_vm = true;
	if (!strcmp(key, "vcpu_map")) {
		struct vmap m = { 0 };
		struct pin_error e;
		if (strcmp(value, "auto")) {
			if (vmap_parse(&m, value, 0, &e) < 0)
				return pin_fail(err, -EINVAL, (size_t)line, "%s:%d: vcpu_map: invalid value '%s': %s", file, line, value, e.msg);
			vmap_free(&m);
		}
		if (copy(p->vcpu_map, sizeof(p->vcpu_map), value) < 0)
			return BAD("too long");
	} else if (!strcmp(key, "emulator_cpus")) {
		struct cpuset s;
		if ((strcmp(value, "auto") && (cpuset_parse(&s, value, 0, NULL) < 0 || cpuset_empty(&s))) ||
		    copy(p->emulator_cpus, sizeof(p->emulator_cpus), value) < 0)
			return BAD("auto or a CPU list");
	} else if (!strcmp(key, "memory")) {
		if (hp_parse_size(value, &b, NULL) < 0 || b < (256 << 20) || b > (1ULL << 40))
			return BAD("a size of at least 256M");
		p->guest_memory_mb = b >> 20;
	} else if (!strcmp(key, "hugepages")) {
		if (hp_parse_size(value, &b, NULL) < 0 || b < (32 << 20) || b > (1ULL << 40))
			return BAD("a size of at least 32M, in the guest");
		p->guest_hugepages = (unsigned)(b >> 21);
	} else if (!strcmp(key, "accel")) {
		if (strcmp(value, "auto") && strcmp(value, "kvm") && strcmp(value, "tcg"))
			return BAD("auto, kvm or tcg");
		copy(p->accel, sizeof(p->accel), value);
	} else if (!strcmp(key, "boot_timeout")) {
		if (num_parse_seconds(value, false, 3600, &p->boot_timeout) < 0)
			return BAD("seconds, more than 0, at most 3600");
	} else if (!strcmp(key, "backend")) {
		if (strcmp(value, "qemu") && strcmp(value, "libvirt"))
			return BAD("qemu or libvirt");
		p->libvirt = !strcmp(value, "libvirt");
	} else if (!strcmp(key, "ring_size")) {
		unsigned long long n;
		if (num_parse_uint(value, 256, 1024, &n) < 0 || (n & (n - 1)))
			return BAD("256, 512 or 1024 (entries per vring)");
		p->ring_size = (unsigned)n;
	} else if (!strcmp(key, "guest_driver")) {
		if (strcmp(value, "dpdk") && strcmp(value, "kernel"))
			return BAD("dpdk or kernel");
		p->kernel_driver = !strcmp(value, "kernel");
	} else if (!strcmp(key, "libvirt_uri")) {
		/* The benchmark's host program shares memory with the guest: libvirt's QEMU runs here. */
		if (!uri_is_local(value) || copy(p->libvirt_uri, sizeof(p->libvirt_uri), value) < 0)
			return BAD("a URI of this host's libvirt, like qemu:///system (the host program and the guest share memory)");
	} else {
		return pin_fail(err, -EINVAL, (size_t)line,
				"%s:%d: unknown key '%s' in [vm] (vcpu_map, emulator_cpus, memory, hugepages, accel, boot_timeout, backend, libvirt_uri, guest_driver, ring_size)",
				file, line, key);
	}
	return 0;
}
#undef BAD

static int profile_key(void *ctx, const char *file, int line, const char *section, const char *key, const char *value,
		       struct pin_error *err)
{
	if (!strcmp(section, "bench"))
		return bench_key(ctx, file, line, key, value, err);
	if (!strcmp(section, "vm"))
		return vm_key(ctx, file, line, key, value, err);
	return pin_fail(err, -EINVAL, (size_t)line, "%s:%d: unknown section [%s] (profiles have [bench] and [vm])", file, line,
			section);
}

static void defaults(struct profile *p)
{
	memset(p, 0, sizeof(*p));
	copy(p->name, sizeof(p->name), "bench");
	p->mode = MODE_HOST;
	copy(p->refl_lcores, sizeof(p->refl_lcores), "auto");
	copy(p->gen_lcores, sizeof(p->gen_lcores), "auto");
	p->queues[0] = 1;
	p->nqueues = 1;
	shape_fixed(&p->sizes[0], 64);
	p->nsizes = 1;
	p->flows = 1;
	p->duration = 2;
	p->warmup = 0.5;
	copy(p->search, sizeof(p->search), "none");
	copy(p->rate, sizeof(p->rate), "max");
	copy(p->refl_mode, sizeof(p->refl_mode), "macswap");
	copy(p->refl_datapath, sizeof(p->refl_datapath), "direct"); /* the reflector's default */
	p->trials = 3;            /* a median and a spread, not one sample (noise is measured) */
	p->warmup_trial = 1;
	p->latency_at[0] = 0;     /* CSIT's latency loads: 0, 10, 50 and 90 % of the search's rate */
	p->latency_at[1] = 10;
	p->latency_at[2] = 50;
	p->latency_at[3] = 90;
	p->nlatency = 4;
	p->tolerance_pct = 1;
	p->precision_pct = 1;
	p->hugepages_mb = 512;
	copy(p->vcpu_map, sizeof(p->vcpu_map), "auto");
	copy(p->emulator_cpus, sizeof(p->emulator_cpus), "auto");
	p->guest_memory_mb = 768;
	p->guest_hugepages = 160;
	p->ring_size = 1024; /* QEMU's default is 256: FD.io CSIT lost 17-42 % of its NDR to it (CSIT-927) */
	copy(p->accel, sizeof(p->accel), "auto");
	p->boot_timeout = 120;
}

int profile_load(struct profile *p, const char *path, struct pin_error *err)
{
	int r;

	defaults(p);
	if ((size_t)snprintf(p->path, sizeof(p->path), "%s", path) >= sizeof(p->path))
		return pin_fail(err, -EINVAL, 0, "profile path too long");
	r = ini_load(p->path, profile_key, p, &p->text, err);
	if (r == 0 && p->libvirt_uri[0] && !p->libvirt)
		r = pin_fail(err, -EINVAL, 0, "%s: libvirt_uri without backend = libvirt in [vm]", p->path);
	/* AF_PACKET over one kernel interface: the guest's side has one queue pair (busybox
	 * has no ethtool to give the kernel's driver more). */
	for (unsigned i = 0; r == 0 && p->kernel_driver && i < p->nqueues; i++)
		if (p->queues[i] != 1)
			r = pin_fail(err, -EINVAL, 0, "%s: guest_driver = kernel runs 1 queue: set queues = 1 in [bench]", p->path);
	/* In vm-reflect the host's trafficgen starts at the link, which Linux's driver brings
	 * up before its interface (and its RX buffers): the first trial would find no room. */
	if (r == 0 && p->kernel_driver && p->mode != MODE_VM_GEN)
		r = pin_fail(err, -EINVAL, 0, "%s: guest_driver = kernel runs in mode = vm-gen only: use guest_driver = dpdk",
			     p->path);
	if (r == 0 && p->has_vm && !profile_is_vm(p))
		r = pin_fail(err, -EINVAL, 0, "%s: a [vm] section, but mode = host: set mode = vm-gen or vm-reflect, or drop [vm]",
			     p->path);
	if (r < 0)
		profile_free(p); /* nothing to free for the caller of a failed load */
	return r;
}

void profile_free(struct profile *p)
{
	free(p->text);
	p->text = NULL;
}

const char *profile_host_lcores(const struct profile *p)
{
	return p->mode == MODE_VM_REFLECT ? p->gen_lcores : p->refl_lcores;
}

/* --- resolving for this host ---------------------------------------------------- */

static unsigned max_queues(const struct profile *p)
{
	unsigned q = 0;

	for (unsigned i = 0; i < p->nqueues; i++)
		if (p->queues[i] > q)
			q = p->queues[i];
	return q;
}

/* Format "MAIN,W1,W2…" from a main CPU and worker CPUs. */
static void lcore_list(char *buf, size_t len, int main_cpu, const int *workers, unsigned n)
{
	struct sbuf sb;

	sbuf_init(&sb, buf, len);
	sbuf_addf(&sb, "%d", main_cpu);
	for (unsigned i = 0; i < n; i++)
		sbuf_addf(&sb, ",%d", workers[i]);
}

/* Plan "auto" for a VM mode: the host program's workers and the guest's vCPUs on
 * separate physical cores (pincheck plan's proposal); on a host too small for
 * that, share CPUs so that no polling vCPU lands on a host worker's CPU. */
static int plan_auto(struct profile *p, const struct hostfacts *h, const struct topo *t, struct pin_error *err)
{
	unsigned q = max_queues(p), nv = q + 1;
	struct cpuset usable, host;
	struct vmap map = { 0 };
	int cpus[CPUSET_MAX > 4096 ? 4096 : CPUSET_MAX], n = 0, workers[64];
	char *lc = p->mode == MODE_VM_REFLECT ? p->gen_lcores : p->refl_lcores;
	bool auto_lc = !strcmp(lc, "auto"), auto_map = !strcmp(p->vcpu_map, "auto");
	int r;

	cpuset_and(&usable, &h->online, &h->allowed);
	cpuset_foreach(c, &usable) {
		if (n < (int)(sizeof(cpus) / sizeof(*cpus)))
			cpus[n++] = c;
	}
	if (n < 2)
		return pin_fail(err, -EINVAL, 0, "%s: this host has %d usable CPU: a DPDK program needs two", p->path, n);
	if (auto_lc != auto_map)
		return pin_fail(err, -EINVAL, 0, "%s: vcpu_map and %s are planned together: give both or make both auto",
				p->path, p->mode == MODE_VM_REFLECT ? "generator_lcores" : "reflector_lcores");
	/* Separate cores: the host's main lcore and workers, and every vCPU. */
	r = plan_propose(t, &usable, q + 1, nv, &host, &map);
	if (r == 0) {
		int hc[65] = { 0 }, nh = 0;
		cpuset_foreach(c, &host) {
			if (nh < 65)
				hc[nh++] = c;
		}
		/* The lowest CPU takes the (mostly sleeping) main lcore. */
		lcore_list(lc, sizeof(p->refl_lcores), hc[0], hc + 1, (unsigned)nh - 1);
	} else if (r == -ENOSPC) {
		/* Too few cores: host main on the last CPU, host workers from the first;
		 * vCPU 0 (the guest's main, mostly halted) on the first, the polling vCPUs
		 * from the last down, away from the host's workers.  Each queue needs its own
		 * poller on both sides: without 2 x queues CPUs the queue comparison would
		 * measure the sharing (one worker serving two queues, a polling vCPU on a
		 * host worker's CPU), so it is refused unless the profile says otherwise. */
		unsigned nw = q;
		int *vc;
		if ((unsigned)n < 2 * q) {
			if (!p->shared_pollers)
				return pin_fail(err, -EINVAL, 0,
						"%s: queues = %u needs %u CPUs for its pollers (%u host workers and %u polling vCPUs, "
						"each on its own); this host has %d: give fewer queues, or set shared_pollers = yes "
						"to run it anyway (the table says so)", p->path, q, 2 * q, q, q, n);
			/* Never one CPU twice in a program's lcores: fewer workers, queues shared. */
			nw = (unsigned)n - 1 < q ? (unsigned)n - 1 : q;
			p->pollers_shared = true;
		}
		if (!(vc = calloc(nv, sizeof(*vc))))
			return pin_fail(err, -ENOMEM, 0, "out of memory");
		for (unsigned i = 0; i < nw && i < 64; i++)
			workers[i] = cpus[i];
		lcore_list(lc, sizeof(p->refl_lcores), cpus[n - 1], workers, nw);
		vc[0] = cpus[0];
		for (unsigned v = 1; v < nv; v++)
			vc[v] = cpus[(unsigned)n - 1 - (v - 1) % (unsigned)n];
		r = vmap_from_array(&map, vc, nv);
		free(vc);
		if (r < 0)
			return pin_fail(err, r, 0, "out of memory");
	} else {
		return pin_fail(err, r, 0, "%s: cannot plan a layout: %s", p->path, strerror(-r));
	}
	vmap_format(&map, p->vcpu_map, sizeof(p->vcpu_map));
	vmap_free(&map);
	p->planned = true;
	return 0;
}

static int check_lcores(const struct profile *p, const struct hostfacts *h, const char *key, const char *val,
			unsigned need, struct pin_error *err)
{
	struct cpuset s;
	struct pin_error e;

	cpuset_parse_list(&s, val, 0, NULL);
	if (hostfacts_check_cpus(h, &s, key, &e) < 0)
		return pin_fail(err, -EINVAL, 0, "%s: %s", p->path, e.msg);
	if (cpuset_count(&s) < need)
		return pin_fail(err, -EINVAL, 0, "%s: queues = %u needs %u %s (a main lcore and one per queue); it has %u",
				p->path, need - 1, need, key, cpuset_count(&s));
	return 0;
}

/* Both programs on the host: a worker per queue on each side, and no worker on a CPU
 * the other program's workers poll.  Refused (one line) unless shared_pollers = yes,
 * then marked.  0, or -EINVAL with @err. */
static int host_pollers(struct profile *p, unsigned q, struct pin_error *err)
{
	struct cpuset rl, gl, rw, gw, both;
	char list[64];
	unsigned nr;

	cpuset_parse_list(&rl, p->refl_lcores, 0, NULL);
	cpuset_parse_list(&gl, p->gen_lcores, 0, NULL);
	rw = rl;
	gw = gl;
	/* The main lcores (first in each list) mostly sleep: the others poll. */
	cpuset_clr(&rw, (unsigned)atoi(p->refl_lcores));
	cpuset_clr(&gw, (unsigned)atoi(p->gen_lcores));
	cpuset_and(&both, &rw, &gw);
	nr = cpuset_count(&rw);
	if (nr >= q && cpuset_empty(&both))
		return 0;
	if (p->shared_pollers) {
		p->pollers_shared = true;
		return 0;
	}
	if (nr < q)
		return pin_fail(err, -EINVAL, 0, "%s: queues = %u needs a reflector worker per queue: reflector_lcores '%s' has %u "
				"(one would serve several queues); give more lcores, or set shared_pollers = yes to run it anyway "
				"(the table says so)", p->path, q, p->refl_lcores, nr);
	cpuset_format_list(&both, list, sizeof(list));
	return pin_fail(err, -EINVAL, 0, "%s: the reflector's and trafficgen's workers would both poll CPU %s; give them "
			"CPUs of their own, or set shared_pollers = yes to run it anyway (the table says so)", p->path, list);
}

int profile_resolve(struct profile *p, const struct hostfacts *h, const struct topo *t, struct pin_error *err)
{
	unsigned q = max_queues(p);
	int r;

	if (!profile_is_vm(p)) {
		/* Both programs on the host: the reflector's main lcore on CPU 0 and its worker
		 * on 1, the generator's the other way round (fits a 2-CPU host). */
		if (!strcmp(p->refl_lcores, "auto"))
			copy(p->refl_lcores, sizeof(p->refl_lcores), "0,1");
		if (!strcmp(p->gen_lcores, "auto"))
			copy(p->gen_lcores, sizeof(p->gen_lcores), "1,0");
		if ((r = check_lcores(p, h, "reflector_lcores", p->refl_lcores, 2, err)) < 0 ||
		    (r = check_lcores(p, h, "generator_lcores", p->gen_lcores, q + 1, err)) < 0)
			return r;
		return host_pollers(p, q, err);
	}
	if (!strcmp(profile_host_lcores(p), "auto") || !strcmp(p->vcpu_map, "auto")) {
		if ((r = plan_auto(p, h, t, err)) < 0)
			return r;
	}
	{
		struct vmap m = { 0 };
		struct cpuset used;
		struct pin_error e;
		if (vmap_parse(&m, p->vcpu_map, h->cpu_limit, &e) < 0)
			return pin_fail(err, -EINVAL, 0, "%s: vcpu_map '%s': %s", p->path, p->vcpu_map, e.msg);
		vmap_cpus(&m, &used);
		r = hostfacts_check_cpus(h, &used, "vcpu_map uses", &e);
		if (r == 0 && m.n < q + 1)
			r = pin_fail(&e, -EINVAL, 0, "queues = %u needs %u vCPUs in the guest (a main lcore and one per queue); vcpu_map has %u",
				     q, q + 1, m.n);
		vmap_free(&m);
		if (r < 0)
			return pin_fail(err, -EINVAL, 0, "%s: %s", p->path, e.msg);
	}
	if (p->mode == MODE_VM_GEN)
		r = check_lcores(p, h, "reflector_lcores", p->refl_lcores, 2, err);
	else
		r = check_lcores(p, h, "generator_lcores", p->gen_lcores, q + 1, err);
	if (r < 0)
		return r;
	if (!strcmp(p->emulator_cpus, "auto")) {
		/* QEMU's other threads with the host program's main lcore: housekeeping. */
		const char *lc = profile_host_lcores(p);
		copy(p->emulator_cpus, sizeof(p->emulator_cpus), lc);
		p->emulator_cpus[strcspn(p->emulator_cpus, ",")] = '\0';
	} else {
		struct cpuset s;
		struct pin_error e;
		if (cpuset_parse(&s, p->emulator_cpus, h->cpu_limit, &e) < 0 || hostfacts_check_cpus(h, &s, "emulator_cpus", &e) < 0)
			return pin_fail(err, -EINVAL, 0, "%s: %s", p->path, e.msg);
	}
	if ((uint64_t)p->guest_hugepages * 2 + 128 > p->guest_memory_mb)
		return pin_fail(err, -EINVAL, 0, "%s: [vm] hugepages (%u MiB) leave the guest too little of its memory (%llu MiB): give more memory",
				p->path, p->guest_hugepages * 2, (unsigned long long)p->guest_memory_mb);
	return 0;
}
