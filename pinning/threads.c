/* SPDX-License-Identifier: BSD-3-Clause */
#include <ctype.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/fsroot.h"
#include "pinning/threads.h"

static int parse_stat(const char *buf, struct task *t)
{
	const char *p = strrchr(buf, ')');
	long long f[40];
	int n = 0;

	/* Fields after "pid (comm)"; comm may hold spaces and parentheses. */
	if (!p)
		return -EINVAL;
	p++;
	while (*p && n < 40) {
		char *end;
		while (*p == ' ')
			p++;
		if (n == 0) { /* state letter */
			f[n++] = 0;
			while (*p && *p != ' ')
				p++;
			continue;
		}
		f[n++] = strtoll(p, &end, 10);
		if (end == p)
			break;
		p = end;
	}
	/* token k is field k+3: nice 19 -> 16, processor 39 -> 36, rt_priority 40 -> 37, policy 41 -> 38 */
	if (n < 39)
		return -EINVAL;
	t->nice = (int)f[16];
	t->last_cpu = (int)f[36];
	t->rt_priority = (int)f[37];
	t->policy = (int)f[38];
	return 0;
}

static int parse_status(FILE *f, struct task *t)
{
	char line[4096];
	bool have_allowed = false;

	while (fgets(line, sizeof(line), f)) {
		char *v = strchr(line, ':');
		if (!v)
			continue;
		*v++ = '\0';
		while (*v == ' ' || *v == '\t')
			v++;
		v[strcspn(v, "\n")] = '\0';
		if (strcmp(line, "Cpus_allowed_list") == 0) {
			if (cpuset_parse_list(&t->allowed, v, 0, NULL) < 0)
				return -EINVAL;
			have_allowed = true;
		} else if (strcmp(line, "voluntary_ctxt_switches") == 0) {
			t->voluntary = strtoll(v, NULL, 10);
		} else if (strcmp(line, "nonvoluntary_ctxt_switches") == 0) {
			t->involuntary = strtoll(v, NULL, 10);
		}
	}
	return have_allowed ? 0 : -EINVAL;
}

static long long sched_migrations(pid_t pid, pid_t tid)
{
	char line[256];
	long long v = -1;
	FILE *f = fsroot_fopen("/proc/%d/task/%d/sched", (int)pid, (int)tid);

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "se.nr_migrations", 16) == 0) {
			char *c = strchr(line, ':');
			if (c)
				v = strtoll(c + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return v;
}

/* stat (last CPU, policy, priority) and schedstat (runtime) of one task. */
static int read_stat(pid_t pid, pid_t tid, struct task *t)
{
	char buf[1024];
	int r;

	r = fsroot_read(buf, sizeof(buf), "/proc/%d/task/%d/stat", (int)pid, (int)tid);
	if (r < 0)
		return r;
	r = parse_stat(buf, t);
	if (r < 0)
		return r;
	t->runtime_ns = 0;
	if (fsroot_read(buf, sizeof(buf), "/proc/%d/task/%d/schedstat", (int)pid, (int)tid) > 0)
		t->runtime_ns = strtoull(buf, NULL, 10);
	return 0;
}

int task_read_sample(pid_t pid, pid_t tid, int *last_cpu, uint64_t *runtime_ns)
{
	struct task t;
	int r = read_stat(pid, tid, &t);

	if (r < 0)
		return r;
	*last_cpu = t.last_cpu;
	*runtime_ns = t.runtime_ns;
	return 0;
}

int task_read(pid_t pid, pid_t tid, struct task *t)
{
	char buf[256];
	FILE *f;
	int r;

	memset(t, 0, sizeof(*t));
	t->tid = tid;
	r = fsroot_read(buf, sizeof(buf), "/proc/%d/task/%d/comm", (int)pid, (int)tid);
	if (r < 0)
		return r;
	snprintf(t->name, sizeof(t->name), "%s", buf);
	r = read_stat(pid, tid, t);
	if (r < 0)
		return r;
	f = fsroot_fopen("/proc/%d/task/%d/status", (int)pid, (int)tid);
	if (!f)
		return -errno;
	r = parse_status(f, t);
	fclose(f);
	if (r < 0)
		return r;
	t->migrations = sched_migrations(pid, tid);
	return 0;
}

static int by_tid(const void *a, const void *b)
{
	const struct task *x = a, *y = b;
	return (x->tid > y->tid) - (x->tid < y->tid);
}

int task_list(pid_t pid, struct task **out)
{
	struct task *v = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d;

	*out = NULL;
	d = fsroot_opendir("/proc/%d/task", (int)pid);
	if (!d)
		return errno == ENOENT ? -ESRCH : -errno;
	while ((de = readdir(d))) {
		char *end;
		long tid = strtol(de->d_name, &end, 10);
		int r;

		if (*end || tid <= 0)
			continue;
		if (n == cap) {
			struct task *nv = realloc(v, (cap = cap ? cap * 2 : 16) * sizeof(*v));
			if (!nv) {
				free(v);
				closedir(d);
				return -ENOMEM;
			}
			v = nv;
		}
		r = task_read(pid, (pid_t)tid, &v[n]);
		if (r == -ENOENT || r == -ESRCH)
			continue; /* the thread exited while we looked */
		if (r < 0) {
			free(v);
			closedir(d);
			return r;
		}
		n++;
	}
	closedir(d);
	if (n == 0) {
		free(v);
		return -ESRCH;
	}
	qsort(v, n, sizeof(*v), by_tid);
	*out = v;
	return (int)n;
}

int task_vcpu_index(const char *name)
{
	char *end;
	long n;

	if (strncmp(name, "CPU ", 4) != 0 || !isdigit((unsigned char)name[4]))
		return -1;
	n = strtol(name + 4, &end, 10);
	if (*end != '/' || !isupper((unsigned char)end[1]) || n > 100000)
		return -1;
	return (int)n;
}

int task_set_affinity(pid_t tid, const struct cpuset *cpus)
{
	cpu_set_t *set = CPU_ALLOC(CPUSET_MAX);
	size_t size = CPU_ALLOC_SIZE(CPUSET_MAX);
	int r = 0;

	if (!set)
		return -ENOMEM;
	CPU_ZERO_S(size, set);
	cpuset_foreach(cpu, cpus)
		CPU_SET_S(cpu, size, set);
	if (sched_setaffinity(tid, size, set) < 0)
		r = -errno;
	CPU_FREE(set);
	return r;
}

int task_get_affinity(pid_t tid, struct cpuset *cpus)
{
	cpu_set_t *set = CPU_ALLOC(CPUSET_MAX);
	size_t size = CPU_ALLOC_SIZE(CPUSET_MAX);
	int r = 0;

	if (!set)
		return -ENOMEM;
	CPU_ZERO_S(size, set);
	if (sched_getaffinity(tid, size, set) < 0) {
		r = -errno;
	} else {
		cpuset_zero(cpus);
		for (int cpu = 0; cpu < CPUSET_MAX; cpu++)
			if (CPU_ISSET_S(cpu, size, set))
				cpuset_set(cpus, cpu);
	}
	CPU_FREE(set);
	return r;
}

const char *task_policy_name(int policy)
{
	switch (policy) {
	case SCHED_OTHER: return "other";
	case SCHED_FIFO: return "fifo";
	case SCHED_RR: return "rr";
	case SCHED_BATCH: return "batch";
	case SCHED_IDLE: return "idle";
	case 6: return "deadline"; /* SCHED_DEADLINE: not in glibc's sched.h */
	default: return "unknown";
	}
}

int task_self_allowed(struct cpuset *out)
{
	struct task t;
	FILE *f = fsroot_fopen("/proc/self/status");
	int r;

	if (!f)
		return -errno;
	memset(&t, 0, sizeof(t));
	r = parse_status(f, &t);
	fclose(f);
	if (r == 0)
		*out = t.allowed;
	return r;
}
