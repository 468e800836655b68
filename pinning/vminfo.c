#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fsroot.h"
#include "vminfo.h"

/* The largest mapping in smaps is the guest RAM: QEMU maps it in one piece per backend. */
static void read_ram(struct vminfo *vi)
{
	FILE *f = fsroot_fopen("/proc/%d/smaps", (int)vi->pid);
	char line[1024], path[256] = "";
	uint64_t start = 0, best_start = 0, size = 0, thp = 0;
	unsigned long page = 4;
	bool in_best = false;

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		uint64_t a, b;
		unsigned long long v;
		char perms[8];
		int off = 0;

		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s %*s %*s %*s %n", &a, &b, perms, &off) >= 3 && off > 0) {
			start = a;
			size = (b - a) / 1024;
			snprintf(path, sizeof(path), "%s", line + off);
			path[strcspn(path, "\n")] = '\0';
			in_best = size > vi->ram_kb;
			if (in_best) {
				vi->ram_kb = size;
				best_start = start;
				snprintf(vi->ram_path, sizeof(vi->ram_path), "%s", path);
				vi->ram_page_kb = 4;
				vi->ram_thp_kb = 0;
			}
		} else if (in_best && sscanf(line, "KernelPageSize: %llu kB", &v) == 1) {
			page = (unsigned long)v;
			vi->ram_page_kb = page;
		} else if (in_best && sscanf(line, "AnonHugePages: %llu kB", &v) == 1) {
			thp = v;
			vi->ram_thp_kb = thp;
		}
	}
	fclose(f);

	f = fsroot_fopen("/proc/%d/numa_maps", (int)vi->pid);
	if (!f)
		return;
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
	} else if (!vi->single_thread_tcg) {
		vminfo_free(vi);
		return -ENOENT;
	}
	read_ram(vi);
	return 0;
}

int vminfo_set_vcpu_tids(struct vminfo *vi, const pid_t *tids, unsigned n)
{
	int *map = malloc((n ? n : 1) * sizeof(*map));

	if (!map)
		return -ENOMEM;
	for (unsigned v = 0; v < n; v++) {
		map[v] = -1;
		for (unsigned i = 0; i < vi->ntasks; i++)
			if (vi->tasks[i].tid == tids[v])
				map[v] = (int)i;
		if (map[v] < 0) {
			free(map);
			return -ENOENT;
		}
	}
	free(vi->vcpu_task);
	vi->vcpu_task = map;
	vi->nvcpus = n;
	return 0;
}

int vminfo_sample(struct vminfo *vi, double seconds, unsigned hz, unsigned ncpus)
{
	uint64_t *last = calloc(vi->nvcpus + 1, sizeof(*last));
	struct timespec step, until;
	unsigned steps;
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
	for (unsigned s = 0; s < steps; s++) {
		until.tv_nsec += step.tv_nsec;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL) == EINTR)
			;
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
	vi->sample_seconds = seconds;
cleanup:
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
