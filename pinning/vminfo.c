/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/fsroot.h"
#include "pinning/vminfo.h"

struct mapping {
	uint64_t start, kb, thp_kb;
	unsigned long page_kb;
	bool rw;                  /* readable and writable, not executable: could be RAM */
	char path[256];
};

/* Guest RAM, of two mappings: a hugetlb one beats any other (QEMU's hugepage
 * backends), then the larger.  Executable mappings never qualify: under TCG the
 * largest mapping is the 1 GiB rwx translation buffer. */
static bool better_ram(const struct mapping *m, const struct vminfo *vi)
{
	bool huge = m->page_kb > 4, best_huge = vi->ram_page_kb > 4;

	if (!m->rw)
		return false;
	if (huge != best_huge)
		return huge;
	return m->kb > vi->ram_kb;
}

static void take_ram(struct vminfo *vi, const struct mapping *m, uint64_t *start)
{
	if (!better_ram(m, vi))
		return;
	vi->ram_kb = m->kb;
	vi->ram_page_kb = m->page_kb;
	vi->ram_thp_kb = m->thp_kb;
	snprintf(vi->ram_path, sizeof(vi->ram_path), "%s", m->path);
	*start = m->start;
}

static void read_ram(struct vminfo *vi)
{
	FILE *f = fsroot_fopen("/proc/%d/smaps", (int)vi->pid);
	struct mapping m = { 0 };
	uint64_t best_start = 0;
	char line[1024];

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		uint64_t a, b;
		unsigned long long v;
		char perms[8];
		int off = 0;

		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s %*s %*s %*s %n", &a, &b, perms, &off) >= 3 && off > 0) {
			take_ram(vi, &m, &best_start);
			memset(&m, 0, sizeof(m));
			m.start = a;
			m.kb = (b - a) / 1024;
			m.page_kb = 4;
			m.rw = perms[0] == 'r' && perms[1] == 'w' && perms[2] != 'x';
			snprintf(m.path, sizeof(m.path), "%s", line + off);
			m.path[strcspn(m.path, "\n")] = '\0';
		} else if (sscanf(line, "KernelPageSize: %llu kB", &v) == 1) {
			m.page_kb = (unsigned long)v;
		} else if (sscanf(line, "AnonHugePages: %llu kB", &v) == 1) {
			m.thp_kb = v;
		}
	}
	take_ram(vi, &m, &best_start);
	fclose(f);

	f = fsroot_fopen("/proc/%d/numa_maps", (int)vi->pid);
	if (!f || vi->ram_kb == 0) {
		if (f)
			fclose(f);
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		char *p, *save = NULL;
		if (strtoull(line, NULL, 16) != best_start)
			continue;
		for (p = strtok_r(line, " \n", &save); p; p = strtok_r(NULL, " \n", &save)) {
			unsigned node;
			unsigned long long pages;
			if (sscanf(p, "N%u=%llu", &node, &pages) == 2 && node < VMINFO_MAX_NODES)
				vi->ram_node_pages[node] = pages;
		}
		break;
	}
	fclose(f);
}

int vminfo_read(pid_t pid, struct vminfo *vi)
{
	int n, maxv = -1;

	memset(vi, 0, sizeof(*vi));
	vi->pid = pid;
	n = task_list(pid, &vi->tasks);
	if (n < 0)
		return n;
	vi->ntasks = (unsigned)n;
	for (unsigned i = 0; i < vi->ntasks; i++) {
		int v = task_vcpu_index(vi->tasks[i].name);
		if (v > maxv)
			maxv = v;
		if (strcmp(vi->tasks[i].name, "ALL CPUs/TCG") == 0)
			vi->single_thread_tcg = true;
	}
	if (maxv >= 0) {
		vi->nvcpus = (unsigned)maxv + 1;
		vi->vcpu_task = malloc(vi->nvcpus * sizeof(*vi->vcpu_task));
		if (!vi->vcpu_task) {
			vminfo_free(vi);
			return -ENOMEM;
		}
		for (unsigned v = 0; v < vi->nvcpus; v++)
			vi->vcpu_task[v] = -1;
		for (unsigned i = 0; i < vi->ntasks; i++) {
			int v = task_vcpu_index(vi->tasks[i].name);
			if (v >= 0)
				vi->vcpu_task[v] = (int)i;
		}
	}
	read_ram(vi);
	return 0;
}

int vminfo_set_vcpu_tids(struct vminfo *vi, const unsigned *index, const pid_t *tids, unsigned n)
{
	unsigned top = 0;
	int *map;

	for (unsigned i = 0; i < n; i++) {
		if (index[i] >= 4096)
			return -EINVAL;
		if (index[i] + 1 > top)
			top = index[i] + 1;
	}
	map = malloc((top ? top : 1) * sizeof(*map));
	if (!map)
		return -ENOMEM;
	for (unsigned v = 0; v < top; v++)
		map[v] = -1;
	for (unsigned i = 0; i < n; i++) {
		if (map[index[i]] >= 0) {
			free(map);
			return -EINVAL;
		}
		for (unsigned t = 0; t < vi->ntasks; t++)
			if (vi->tasks[t].tid == tids[i])
				map[index[i]] = (int)t;
		if (map[index[i]] < 0) {
			free(map);
			return -ENOENT;
		}
	}
	free(vi->vcpu_task);
	vi->vcpu_task = map;
	vi->nvcpus = top;
	return 0;
}

unsigned vminfo_vcpu_count(const struct vminfo *vi)
{
	unsigned n = 0;

	for (unsigned v = 0; v < vi->nvcpus; v++)
		n += vi->vcpu_task[v] >= 0;
	return n;
}

int vminfo_sample(struct vminfo *vi, double seconds, unsigned hz, unsigned ncpus, const volatile sig_atomic_t *stop)
{
	uint64_t *last = calloc(vi->nvcpus + 1, sizeof(*last));
	struct timespec step, until, t0;
	unsigned steps, s;
	int r = 0;

	vi->sample_ns = calloc((size_t)vi->nvcpus * ncpus + 1, sizeof(*vi->sample_ns));
	if (!last || !vi->sample_ns) {
		free(last);
		return -ENOMEM;
	}
	vi->sample_ncpus = ncpus;
	for (unsigned v = 0; v < vi->nvcpus; v++) {
		int cpu;
		if (vi->vcpu_task[v] >= 0)
			task_read_sample(vi->pid, vi->tasks[vi->vcpu_task[v]].tid, &cpu, &last[v]);
	}
	if (hz == 0)
		hz = 100;
	steps = (unsigned)(seconds * hz + 0.5);
	if (steps == 0)
		steps = 1;
	step.tv_sec = 0;
	step.tv_nsec = 1000000000L / hz;
	clock_gettime(CLOCK_MONOTONIC, &until);
	t0 = until;
	for (s = 0; s < steps && !(stop && *stop); s++) {
		until.tv_nsec += step.tv_nsec;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		/* A signal (EINTR) ends the wait early; the loop condition looks at @stop. */
		if (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL) == EINTR && stop && *stop)
			break;
		for (unsigned v = 0; v < vi->nvcpus; v++) {
			uint64_t rt;
			int cpu;
			if (vi->vcpu_task[v] < 0)
				continue;
			r = task_read_sample(vi->pid, vi->tasks[vi->vcpu_task[v]].tid, &cpu, &rt);
			if (r < 0)
				goto cleanup;
			if (cpu >= 0 && (unsigned)cpu < ncpus && rt > last[v])
				vi->sample_ns[(size_t)v * ncpus + cpu] += rt - last[v];
			last[v] = rt;
		}
	}
cleanup:
	{
		struct timespec t1;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		vi->sample_seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
		if (s == steps && r == 0)
			vi->sample_seconds = seconds; /* the whole sample, as asked */
	}
	free(last);
	if (r == -ENOENT)
		r = -ESRCH;
	return r;
}

void vminfo_free(struct vminfo *vi)
{
	free(vi->tasks);
	free(vi->vcpu_task);
	free(vi->sample_ns);
	vi->tasks = NULL;
	vi->vcpu_task = NULL;
	vi->sample_ns = NULL;
}
