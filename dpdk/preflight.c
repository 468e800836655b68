/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pinning/hostfacts.h"
#include "hugepages/hp.h"
#include "base/numparse.h"
#include "pinning/plan.h"
#include "pinning/pollers.h"
#include "dpdk/preflight.h"
#include "pinning/report.h"
#include "pinning/topo.h"

/* --lcores: a list ("0-3,5"), or items LCORE@CPU ("0@0,1@1,2@1"): the CPUs are
 * what the checks judge.  The (group)@(cpus) form is not judged. */
static int parse_lcores(const char *s, struct eal_view *v, char *err, size_t len)
{
	struct pin_error e;
	char buf[256], *tok, *save = NULL;

	if (strpbrk(s, "()")) {
		snprintf(err, len, "--lcores '%s': the (group)@cpu form is not checked; use LCORE@CPU items, or --no-preflight", s);
		return -EINVAL;
	}
	if (!strchr(s, '@')) {
		if (cpuset_parse_list(&v->lcores, s, 0, &e) < 0) {
			snprintf(err, len, "invalid lcore list '%s': %s", s, e.msg);
			return -EINVAL;
		}
		v->nlcores = cpuset_count(&v->lcores);
		return 0;
	}
	cpuset_zero(&v->lcores);
	v->nlcores = 0;
	snprintf(buf, sizeof(buf), "%s", s);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *at = strchr(tok, '@');
		unsigned long long lc, cpu;
		if (at)
			*at = '\0';
		if (!at || num_parse_uint(tok, 0, 1023, &lc) < 0 || num_parse_uint(at + 1, 0, CPUSET_MAX - 1, &cpu) < 0) {
			if (at)
				*at = '@';
			snprintf(err, len, "invalid --lcores item '%s' (LCORE@CPU)", tok);
			return -EINVAL;
		}
		cpuset_set(&v->lcores, (unsigned)cpu);
		v->nlcores++;
	}
	return 0;
}

int preflight_parse_eal(int argc, char **argv, struct eal_view *v)
{
	struct pin_error e;

	memset(v, 0, sizeof(*v));
	v->main_lcore = -1;
	for (int i = 1; i < argc && argv[i]; i++) {
		const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
		const char *eq = strchr(a, '=');
		char opt[64];

		if (!strcmp(a, "--"))
			break;
		/* --opt=value and -lVALUE forms */
		snprintf(opt, sizeof(opt), "%.*s", eq ? (int)(eq - a) : (int)strlen(a), a);
		if (eq)
			val = eq + 1;
		else if (a[0] == '-' && a[1] && a[1] != '-' && a[2])
			opt[2] = '\0', val = a + 2;
		else if (val && (!strcmp(opt, "-l") || !strcmp(opt, "-c") || !strcmp(opt, "--lcores") ||
				 !strcmp(opt, "--main-lcore") || !strcmp(opt, "-m") || !strcmp(opt, "--socket-mem")))
			i++;

		if (!strcmp(opt, "-l") || !strcmp(opt, "--lcores")) {
			if (!val || parse_lcores(val, v, v->err, sizeof(v->err)) < 0) {
				if (!val)
					snprintf(v->err, sizeof(v->err), "%s needs a list", opt);
				return -EINVAL;
			}
			v->lcores_given = true;
		} else if (!strcmp(opt, "-c")) {
			if (!val || cpuset_parse_mask(&v->lcores, val, 0, &e) < 0) {
				snprintf(v->err, sizeof(v->err), "invalid coremask '%s'", val ? val : "");
				return -EINVAL;
			}
			v->nlcores = cpuset_count(&v->lcores);
			v->lcores_given = true;
		} else if (!strcmp(opt, "--main-lcore")) {
			unsigned long long m;
			if (!val || num_parse_uint(val, 0, CPUSET_MAX - 1, &m) < 0) {
				snprintf(v->err, sizeof(v->err), "invalid --main-lcore '%s'", val ? val : "");
				return -EINVAL;
			}
			v->main_lcore = (int)m;
		} else if (!strcmp(opt, "-m")) {
			unsigned long long m;
			if (!val || num_parse_uint(val, 1, 1ULL << 30, &m) < 0) {
				snprintf(v->err, sizeof(v->err), "invalid -m '%s' (megabytes)", val ? val : "");
				return -EINVAL;
			}
			v->mem_mb = m;
		} else if (!strcmp(opt, "--socket-mem")) {
			/* Megabytes per socket, comma-separated: "1024,1024". */
			char buf[256], *tok, *next;
			unsigned long long m;
			if (!val || strlen(val) >= sizeof(buf)) {
				snprintf(v->err, sizeof(v->err), "invalid --socket-mem");
				return -EINVAL;
			}
			snprintf(buf, sizeof(buf), "%s", val);
			v->mem_mb = 0;
			for (tok = buf; tok; tok = next) {
				next = strchr(tok, ',');
				if (next)
					*next++ = '\0';
				if (num_parse_uint(tok, 0, 1ULL << 30, &m) < 0) {
					snprintf(v->err, sizeof(v->err), "invalid --socket-mem '%.64s' (megabytes per socket: 1024,1024)", val);
					return -EINVAL;
				}
				v->mem_mb += m;
			}
		} else if (!strcmp(opt, "--no-huge")) {
			v->no_huge = true;
		} else if (!strcmp(opt, "--in-memory")) {
			v->in_memory = true;
		} else if (!strcmp(opt, "--file-prefix")) {
			v->file_prefix = true;
		}
	}
	return 0;
}

int preflight_run(const struct preflight *p, json_t *rep, char *msg, size_t len)
{
	const struct eal_view *v = p->eal;
	struct hostfacts h;
	struct pin_error err;
	struct topo *t = NULL;
	struct cpuset lcores, workers, nodes;
	int r = 0;

	if (hostfacts_read(&h) < 0) {
		snprintf(msg, len, "cannot read this host's CPUs");
		return -EIO;
	}
	if (v->lcores_given) {
		lcores = v->lcores;
	} else {
		cpuset_and(&lcores, &h.online, &h.allowed); /* DPDK's default: every CPU it may use */
	}
	if (hostfacts_check_cpus(&h, &lcores, "the lcores include", &err) < 0) {
		snprintf(msg, len, "%s", err.msg);
		r = -EINVAL;
		goto cleanup;
	}
	if ((v->lcores_given ? v->nlcores : cpuset_count(&lcores)) < 2) {
		snprintf(msg, len, "give at least two lcores (-l 0,1): the main lcore collects statistics, workers poll the queues");
		r = -EINVAL;
		goto cleanup;
	}
	t = topo_load_live();
	if (!t) {
		snprintf(msg, len, "cannot read this host's topology");
		r = -EIO;
		goto cleanup;
	}
	cpuset_zero(&nodes);
	cpuset_foreach(cpu, &lcores) {
		int n = topo_numa_of(t, cpu);
		cpuset_set(&nodes, n >= 0 ? (unsigned)n : 0);
	}

	/* Hugepages: enough free on every lcore's node (mempools are per socket). */
	if (!v->no_huge) {
		uint64_t need = v->mem_mb ? v->mem_mb : p->need_mb;
		unsigned long kb = hp_default_page_kb();
		unsigned long sizes[8];
		int ns = hp_page_sizes(sizes, 8);
		unsigned nn = cpuset_count(&nodes);

		cpuset_foreach(node, &nodes) {
			uint64_t free_kb = 0;
			for (int i = 0; i < ns; i++) {
				struct hp_pool pool;
				if (hp_pool_read(hp_has_nodes() ? node : -1, sizes[i], &pool) == 0)
					free_kb += (uint64_t)pool.free * sizes[i];
			}
			if (free_kb / 1024 < need / nn + (need % nn ? 1 : 0)) {
				char nodeopt[24] = "";
				char ps[16];
				hp_format_page_size(kb, ps, sizeof(ps));
				if (hp_has_nodes())
					snprintf(nodeopt, sizeof(nodeopt), " --node %d", node);
				snprintf(msg, len, "%llu MiB of hugepages free on NUMA node %d (the lcores' node), %llu MiB needed: run 'hugepages setup %lluM%s'",
					 (unsigned long long)(free_kb / 1024), node, (unsigned long long)need,
					 (unsigned long long)(need < 256 ? 256 : need), nodeopt);
				r = -ENOMEM;
				goto cleanup;
			}
		}
		if (!v->in_memory) {
			/* Without --in-memory DPDK keeps its pages as files in a hugetlbfs mount. */
			struct hp_mount *m;
			int nm = hp_mounts(&m);
			free(m);
			if (nm <= 0) {
				snprintf(msg, len, "no hugetlbfs is mounted: run 'hugepages mount'");
				r = -ENOMEM;
				goto cleanup;
			}
		}
	}

	/* Warnings: the same layout checks as pincheck plan, on the worker lcores. */
	workers = lcores;
	cpuset_clr(&workers, (unsigned)(v->main_lcore >= 0 ? v->main_lcore : cpuset_next(&lcores, -1)));
	{
		struct plan pl = { .map = p->vcpus, .host = &workers, .topo = t, .facts = &h };
		json_t *all = report_new("preflight"), *f;
		size_t i;
		if (!all || plan_check(&pl, all) < 0) {
			json_decref(all);
			snprintf(msg, len, "out of memory");
			r = -ENOMEM;
			goto cleanup;
		}
		json_array_foreach(json_object_get(all, "findings"), i, f)
			if (strcmp(json_string_value(json_object_get(f, "severity")), "ok") != 0)
				json_array_append(json_object_get(rep, "findings"), f);
		json_decref(all);
	}
	/* Another busy poller already on a worker's CPU (another benchmark, a spinning
	 * vCPU): two pollers on one CPU each get about half of it, and the figures say so
	 * nowhere else.  50 ms to look. */
	{
		struct poller busy[16];
		char line[512];
		int n = pollers_find(&workers, 50, 0.5, getpid(), busy, 16);
		for (int k = 0; k < n; k++) {
			pollers_describe(&busy[k], line, sizeof(line));
			report_add(rep, "cpu-busy", SEV_WARN, "give the workers CPUs of their own (-l), or stop the other",
				   "%s: a worker lcore would share it (each gets about half: another benchmark?)", line);
		}
	}
cleanup:
	topo_free(t);
	hostfacts_free(&h);
	return r;
}
