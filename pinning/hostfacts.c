/* SPDX-License-Identifier: BSD-3-Clause */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/fsroot.h"
#include "pinning/hostfacts.h"
#include "pinning/threads.h"

/* Read a cpulist file; an empty file is the empty set.  0 or -errno. */
static int read_cpulist(struct cpuset *s, unsigned limit, const char *path)
{
	char buf[8192];
	int r = fsroot_read(buf, sizeof(buf), "%s", path);

	cpuset_zero(s);
	if (r < 0)
		return r;
	if (r == 0)
		return 0;
	return cpuset_parse_list(s, buf, limit, NULL);
}

/* The limit under which the kernel's "N" (the last CPU) is read: the last possible CPU + 1. */
static unsigned n_limit(const struct hostfacts *h)
{
	int last = -1;

	cpuset_foreach(c, &h->possible)
		last = c;
	return last >= 0 ? (unsigned)last + 1 : h->cpu_limit;
}

/* isolcpus=[flag,…,]cpulist: the flags are the kernel's words (nohz, domain, managed_irq). */
static bool isolcpus_flag(const char *p)
{
	static const char *const flags[] = { "nohz", "domain", "managed_irq" };

	for (size_t i = 0; i < sizeof(flags) / sizeof(*flags); i++) {
		size_t n = strlen(flags[i]);
		if (!strncmp(p, flags[i], n) && (p[n] == ',' || p[n] == '\0'))
			return true;
	}
	return false;
}

static void parse_isolcpus(struct hostfacts *h, const char *val)
{
	const char *p = val;

	h->isolcpus_flags[0] = '\0';
	while (isolcpus_flag(p)) {
		size_t n = strcspn(p, ",");
		size_t used = strlen(h->isolcpus_flags);
		snprintf(h->isolcpus_flags + used, sizeof(h->isolcpus_flags) - used, "%s%.*s",
			 used ? "," : "", (int)n, p);
		p += n;
		if (*p == ',')
			p++;
	}
	h->has_isolcpus = cpuset_parse_list(&h->isolcpus, p, n_limit(h), NULL) == 0;
}

static void parse_list_param(bool *has, struct cpuset *s, const char *val, const struct hostfacts *h)
{
	*has = cpuset_parse_list(s, val, n_limit(h), NULL) == 0;
	if (*has && !cpuset_empty(&h->possible))
		cpuset_and(s, s, &h->possible); /* "all", "0-N": the CPUs there are */
}

void hostfacts_parse_cmdline(struct hostfacts *h, const char *cmdline)
{
	char *copy = strdup(cmdline), *save = NULL, *tok;

	if (!copy)
		return;
	for (tok = strtok_r(copy, " \t\n", &save); tok; tok = strtok_r(NULL, " \t\n", &save)) {
		char *val = strchr(tok, '=');

		if (strcmp(tok, "--") == 0)
			break; /* the rest belongs to init */
		if (!val)
			continue;
		*val++ = '\0';
		for (char *c = tok; *c; c++) /* the kernel treats - and _ alike in names */
			if (*c == '-')
				*c = '_';
		if (strcmp(tok, "isolcpus") == 0)
			parse_isolcpus(h, val);
		else if (strcmp(tok, "nohz_full") == 0)
			parse_list_param(&h->has_nohz_full, &h->nohz_full, val, h);
		else if (strcmp(tok, "rcu_nocbs") == 0)
			parse_list_param(&h->has_rcu_nocbs, &h->rcu_nocbs, val, h);
		else if (strcmp(tok, "irqaffinity") == 0)
			parse_list_param(&h->has_irqaffinity, &h->irqaffinity, val, h);
	}
	free(copy);
}

static int by_irq(const void *a, const void *b)
{
	const struct irq_info *x = a, *y = b;
	return (x->irq > y->irq) - (x->irq < y->irq);
}

static void read_irqs(struct hostfacts *h)
{
	DIR *d = fsroot_opendir("/proc/irq");
	struct dirent *de;
	unsigned cap = 0;

	if (!d)
		return;
	while ((de = readdir(d))) {
		char *end, path[64];
		long irq = strtol(de->d_name, &end, 10);
		struct irq_info *q;
		DIR *sub;

		if (*end || end == de->d_name)
			continue;
		if (h->nirqs == cap) {
			struct irq_info *n = realloc(h->irqs, (cap = cap ? cap * 2 : 64) * sizeof(*n));
			if (!n)
				break;
			h->irqs = n;
		}
		q = &h->irqs[h->nirqs];
		memset(q, 0, sizeof(*q));
		q->irq = (int)irq;
		snprintf(path, sizeof(path), "/proc/irq/%ld/smp_affinity_list", irq);
		if (read_cpulist(&q->smp, h->cpu_limit, path) < 0)
			continue;
		snprintf(path, sizeof(path), "/proc/irq/%ld/effective_affinity_list", irq);
		if (read_cpulist(&q->affinity, h->cpu_limit, path) < 0 || cpuset_empty(&q->affinity))
			q->affinity = q->smp;
		/* The handler registers a directory named after itself. */
		sub = fsroot_opendir("/proc/irq/%ld", irq);
		if (sub) {
			struct dirent *e;
			while ((e = readdir(sub))) {
				if (e->d_type == DT_DIR && e->d_name[0] != '.') {
					snprintf(q->name, sizeof(q->name), "%s", e->d_name);
					break;
				}
			}
			closedir(sub);
		}
		h->nirqs++;
	}
	closedir(d);
	qsort(h->irqs, h->nirqs, sizeof(*h->irqs), by_irq);
}

static pid_t find_process(const char *comm)
{
	DIR *d = fsroot_opendir("/proc");
	struct dirent *de;
	pid_t found = 0;

	if (!d)
		return 0;
	while (!found && (de = readdir(d))) {
		char *end, buf[64];
		long pid = strtol(de->d_name, &end, 10);

		if (*end || pid <= 0)
			continue;
		if (fsroot_read(buf, sizeof(buf), "/proc/%ld/comm", pid) > 0 && strcmp(buf, comm) == 0)
			found = (pid_t)pid;
	}
	closedir(d);
	return found;
}

/* IRQBALANCE_BANNED_CPULIST in /etc/default/irqbalance (Debian's environment file
 * for the service): the CPUs irqbalance leaves alone. */
static void read_irqbalance_config(struct hostfacts *h)
{
	char buf[8192], *save = NULL;

	h->has_irqbalance_banned = false;
	if (fsroot_read(buf, sizeof(buf), "/etc/default/irqbalance") < 0)
		return;
	for (char *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		const char *key = "IRQBALANCE_BANNED_CPULIST=";
		char *v;
		while (*l == ' ' || *l == '\t')
			l++;
		if (strncmp(l, key, strlen(key)) != 0)
			continue;
		v = l + strlen(key);
		if (*v == '"' || *v == '\'') {
			char q = *v++, *end = strchr(v, q);
			if (end)
				*end = '\0';
		}
		h->has_irqbalance_banned = cpuset_parse_list(&h->irqbalance_banned, v, h->cpu_limit, NULL) == 0;
	}
}

static void read_governors(struct hostfacts *h)
{
	h->govs = calloc(cpuset_count(&h->online) + 1, sizeof(*h->govs));
	if (!h->govs)
		return;
	cpuset_foreach(cpu, &h->online) {
		struct cpu_gov *g = &h->govs[h->ngovs];
		if (fsroot_read(g->governor, sizeof(g->governor),
				"/sys/devices/system/cpu/cpu%d/cpufreq/scaling_governor", cpu) > 0) {
			g->cpu = cpu;
			h->ngovs++;
		}
	}
}

static void read_thp(struct hostfacts *h)
{
	char buf[128], *open_, *close_;

	h->thp[0] = '\0';
	if (fsroot_read(buf, sizeof(buf), "/sys/kernel/mm/transparent_hugepage/enabled") < 0)
		return;
	open_ = strchr(buf, '[');
	close_ = open_ ? strchr(open_, ']') : NULL;
	if (open_ && close_)
		snprintf(h->thp, sizeof(h->thp), "%.*s", (int)(close_ - open_ - 1), open_ + 1);
	else if (!strcmp(buf, "always") || !strcmp(buf, "madvise") || !strcmp(buf, "never"))
		snprintf(h->thp, sizeof(h->thp), "%s", buf); /* a fixture tree someone wrote the value into */
}

static void add_pools(struct hp_pool **pools, unsigned *npools, int node, const char *dir)
{
	DIR *d = fsroot_opendir("%s", dir);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		unsigned long kb;
		struct hp_pool *p, *n;

		if (sscanf(de->d_name, "hugepages-%lukB", &kb) != 1)
			continue;
		n = realloc(*pools, (*npools + 1) * sizeof(*n));
		if (!n)
			break;
		*pools = n;
		p = &n[*npools];
		p->node = node;
		p->size_kb = kb;
		p->total = p->free = p->surplus = 0;
		fsroot_read_ll(&p->total, "%s/%s/nr_hugepages", dir, de->d_name);
		fsroot_read_ll(&p->free, "%s/%s/free_hugepages", dir, de->d_name);
		fsroot_read_ll(&p->surplus, "%s/%s/surplus_hugepages", dir, de->d_name);
		(*npools)++;
	}
	closedir(d);
}

static int by_pool(const void *a, const void *b)
{
	const struct hp_pool *x = a, *y = b;
	if (x->node != y->node)
		return (x->node > y->node) - (x->node < y->node);
	return (x->size_kb > y->size_kb) - (x->size_kb < y->size_kb);
}

int hostfacts_read_pools(struct hp_pool **pools, unsigned *npools)
{
	DIR *d = fsroot_opendir("/sys/devices/system/node");
	struct dirent *de;

	*pools = NULL;
	*npools = 0;
	if (d) {
		while ((de = readdir(d))) {
			char dir[96];
			int node;
			if (sscanf(de->d_name, "node%d", &node) != 1)
				continue;
			snprintf(dir, sizeof(dir), "/sys/devices/system/node/node%d/hugepages", node);
			add_pools(pools, npools, node, dir);
		}
		closedir(d);
	}
	if (*npools == 0)
		add_pools(pools, npools, -1, "/sys/kernel/mm/hugepages");
	if (*npools == 0)
		return fsroot_exists("/sys/kernel/mm/hugepages") ? 0 : -ENOENT;
	qsort(*pools, *npools, sizeof(**pools), by_pool);
	return 0;
}

/* cgroup v2: every cpuset partition of type "isolated", anywhere below the mount. */
static void walk_cgroup(struct hostfacts *h, const char *dir, int depth)
{
	char buf[8192];
	struct dirent *de;
	DIR *d;

	if (fsroot_read(buf, sizeof(buf), "%s/cpuset.cpus.partition", dir) > 0 &&
	    strcmp(buf, "isolated") == 0) {
		struct cpuset s;
		char path[4096];
		snprintf(path, sizeof(path), "%s/cpuset.cpus.effective", dir);
		if (read_cpulist(&s, h->cpu_limit, path) == 0)
			cpuset_or(&h->cgroup_isolated, &h->cgroup_isolated, &s);
	}
	if (depth == 0 || !(d = fsroot_opendir("%s", dir)))
		return;
	while ((de = readdir(d))) {
		char sub[4096];
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		if (snprintf(sub, sizeof(sub), "%s/%s", dir, de->d_name) < (int)sizeof(sub))
			walk_cgroup(h, sub, depth - 1);
	}
	closedir(d);
}

static void read_mounts(struct hostfacts *h)
{
	FILE *f = fsroot_fopen("/proc/mounts");
	char line[4096];

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char dev[256], dir[2048], type[64];
		if (sscanf(line, "%255s %2047s %63s", dev, dir, type) != 3)
			continue;
		if (strcmp(type, "hugetlbfs") == 0)
			h->hugetlbfs_mounts++;
		else if (strcmp(type, "cgroup2") == 0)
			walk_cgroup(h, dir, 4);
	}
	fclose(f);
}

static void read_kvm(struct hostfacts *h)
{
	h->kvm_dev = fsroot_exists("/dev/kvm");
	h->kvm_module[0] = '\0';
	if (fsroot_exists("/sys/module/kvm_intel"))
		snprintf(h->kvm_module, sizeof(h->kvm_module), "kvm_intel");
	else if (fsroot_exists("/sys/module/kvm_amd"))
		snprintf(h->kvm_module, sizeof(h->kvm_module), "kvm_amd");
}

int hostfacts_read(struct hostfacts *h)
{
	long long kmax;
	int r;

	memset(h, 0, sizeof(*h));
	h->cpu_limit = CPUSET_MAX;
	h->smt_active = -1;
	if (fsroot_read_ll(&kmax, "/sys/devices/system/cpu/kernel_max") == 0 && kmax >= 0 &&
	    kmax < CPUSET_MAX)
		h->cpu_limit = (unsigned)kmax + 1;
	r = read_cpulist(&h->online, h->cpu_limit, "/sys/devices/system/cpu/online");
	if (r < 0)
		return r;
	if (read_cpulist(&h->present, h->cpu_limit, "/sys/devices/system/cpu/present") < 0)
		h->present = h->online;
	if (read_cpulist(&h->possible, h->cpu_limit, "/sys/devices/system/cpu/possible") < 0)
		h->possible = h->present;
	if (task_self_allowed(&h->allowed) < 0)
		h->allowed = h->online;

	if (fsroot_read(h->cmdline, sizeof(h->cmdline), "/proc/cmdline") < 0)
		h->cmdline[0] = '\0';
	hostfacts_parse_cmdline(h, h->cmdline);

	read_cpulist(&h->sys_isolated, h->cpu_limit, "/sys/devices/system/cpu/isolated");
	read_cpulist(&h->sys_nohz_full, h->cpu_limit, "/sys/devices/system/cpu/nohz_full");
	read_mounts(h);
	cpuset_or(&h->isolated, &h->sys_isolated, &h->cgroup_isolated);

	read_irqs(h);
	h->irqbalance_pid = find_process("irqbalance");
	read_irqbalance_config(h);

	if (fsroot_read(h->smt_control, sizeof(h->smt_control), "/sys/devices/system/cpu/smt/control") < 0)
		h->smt_control[0] = '\0';
	{
		long long v;
		if (fsroot_read_ll(&v, "/sys/devices/system/cpu/smt/active") == 0)
			h->smt_active = v != 0;
	}
	read_governors(h);
	read_thp(h);
	hostfacts_read_pools(&h->pools, &h->npools);
	read_kvm(h);
	return 0;
}

void hostfacts_free(struct hostfacts *h)
{
	free(h->irqs);
	free(h->govs);
	free(h->pools);
	h->irqs = NULL;
	h->govs = NULL;
	h->pools = NULL;
}

int hostfacts_check_cpus(const struct hostfacts *h, const struct cpuset *cpus, const char *what,
			 struct pin_error *err)
{
	char list[256];

	cpuset_foreach(cpu, cpus) {
		if (!cpuset_isset(&h->present, cpu)) {
			cpuset_format_list(&h->present, list, sizeof(list));
			return pin_fail(err, -ENODEV, 0, "%s CPU %d, which does not exist on this host (CPUs %s)", what,
					cpu, list);
		}
		if (!cpuset_isset(&h->online, cpu))
			return pin_fail(err, -EBUSY, 0, "%s CPU %d, which is offline (bring it up: echo 1 > /sys/devices/system/cpu/cpu%d/online)",
					what, cpu, cpu);
		if (!cpuset_isset(&h->allowed, cpu)) {
			cpuset_format_list(&h->allowed, list, sizeof(list));
			return pin_fail(err, -EPERM, 0, "%s CPU %d, outside the CPUs this process may use (%s; see taskset and the cgroup cpuset)",
					what, cpu, list);
		}
	}
	return 0;
}
