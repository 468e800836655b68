/* SPDX-License-Identifier: BSD-3-Clause */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/fsroot.h"
#include "pinning/pollers.h"
#include "pinning/threads.h"

#define MAX_TASKS 65536           /* a sample stops here: work bounded on any host */

/* A directory entry that is a pid or tid: its number, else -1. */
static long numeric(const char *s)
{
	char *end;
	long v;

	if (*s < '0' || *s > '9')
		return -1;
	v = strtol(s, &end, 10);
	return *end || v <= 0 ? -1 : v;
}

int pollers_sample(struct poll_sample **out)
{
	struct poll_sample *v = NULL;
	unsigned n = 0, cap = 0;
	struct dirent *p;
	DIR *proc = fsroot_opendir("/proc");

	if (!proc)
		return -errno;
	while ((p = readdir(proc)) && n < MAX_TASKS) {
		long pid = numeric(p->d_name);
		struct dirent *t;
		DIR *tasks;
		if (pid < 0 || !(tasks = fsroot_opendir("/proc/%ld/task", pid)))
			continue; /* not a process, or gone */
		while ((t = readdir(tasks)) && n < MAX_TASKS) {
			long tid = numeric(t->d_name);
			struct poll_sample s = { .pid = (pid_t)pid, .tid = (pid_t)tid };
			if (tid < 0 || task_read_sample(s.pid, s.tid, &s.cpu, &s.runtime_ns) < 0)
				continue;
			if (n == cap) {
				struct poll_sample *w = realloc(v, (cap = cap ? 2 * cap : 512) * sizeof(*v));
				if (!w) {
					closedir(tasks);
					closedir(proc);
					free(v);
					return -ENOMEM;
				}
				v = w;
			}
			v[n++] = s;
		}
		closedir(tasks);
	}
	closedir(proc);
	*out = v;
	return (int)n;
}

unsigned pollers_judge(const struct poll_sample *a, unsigned na, const struct poll_sample *b, unsigned nb,
		       uint64_t dt_ns, const struct cpuset *cpus, double min_share, pid_t self, struct poller *out,
		       unsigned max)
{
	unsigned n = 0;

	if (dt_ns == 0 || !a || !b)
		return 0;
	for (unsigned j = 0; j < nb && n < max; j++) {
		const struct poll_sample *y = &b[j];
		double share;
		if (y->pid == self || y->cpu < 0 || !cpuset_isset(cpus, y->cpu))
			continue;
		for (unsigned i = 0; i < na; i++) {
			const struct poll_sample *x = &a[i];
			if (x->tid != y->tid || x->pid != y->pid)
				continue;
			share = y->runtime_ns > x->runtime_ns ? (double)(y->runtime_ns - x->runtime_ns) / (double)dt_ns : 0;
			if (share >= min_share)
				out[n++] = (struct poller){ .pid = y->pid, .tid = y->tid, .cpu = y->cpu,
							    .share = share > 1 ? 1 : share, .age_s = -1 };
			break;
		}
	}
	return n;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* How long thread @tid of @pid has existed: its start (stat field 22, in clock ticks
 * after boot) against the uptime.  Seconds, or -1. */
static double age_of(pid_t pid, pid_t tid)
{
	char buf[1024], up[64];
	const char *p;
	long long start = -1;
	long hz = sysconf(_SC_CLK_TCK);

	if (hz <= 0 || fsroot_read(buf, sizeof(buf), "/proc/%d/task/%d/stat", (int)pid, (int)tid) < 0 ||
	    fsroot_read(up, sizeof(up), "/proc/uptime") < 0 || !(p = strrchr(buf, ')')))
		return -1;
	/* After "pid (comm)": field 3 is the state; field 22 the 20th from there. */
	for (int field = 3; *p && field <= 22; field++) {
		p = strchr(p + 1, ' ');
		if (!p)
			return -1;
		if (field == 22)
			start = strtoll(p + 1, NULL, 10);
	}
	return start < 0 ? -1 : strtod(up, NULL) - (double)start / (double)hz;
}

/* A task's name (its process chose it: any bytes) as one printable line, into @buf. */
static void name_of(char *buf, size_t len, const char *fmt, int pid, int tid)
{
	char raw[64];

	buf[0] = '\0';
	if (fsroot_read(raw, sizeof(raw), fmt, pid, tid) < 0)
		return;
	for (char *c = raw; *c; c++)
		if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
			*c = '?';
	snprintf(buf, len, "%s", raw);
}

int pollers_find(const struct cpuset *cpus, unsigned ms, double min_share, pid_t self, struct poller *out,
		 unsigned max)
{
	struct poll_sample *a = NULL, *b = NULL;
	const struct timespec pause = { ms / 1000, (long)(ms % 1000) * 1000000 };
	uint64_t t0, t1;
	int na, nb;
	unsigned n;

	if ((na = pollers_sample(&a)) < 0)
		return na;
	t0 = now_ns();
	nanosleep(&pause, NULL);
	if ((nb = pollers_sample(&b)) < 0) {
		free(a);
		return nb;
	}
	t1 = now_ns();
	n = pollers_judge(a, (unsigned)na, b, (unsigned)nb, t1 - t0, cpus, min_share, self, out, max);
	for (unsigned i = 0; i < n; i++) {
		name_of(out[i].comm, sizeof(out[i].comm), "/proc/%d/task/%d/comm", (int)out[i].pid, (int)out[i].tid);
		name_of(out[i].process, sizeof(out[i].process), "/proc/%d/comm", (int)out[i].pid, 0);
		out[i].age_s = age_of(out[i].pid, out[i].tid);
	}
	free(a);
	free(b);
	return (int)n;
}

int pollers_describe(const struct poller *p, char *buf, size_t len)
{
	char age[48] = "";

	if (p->age_s >= 120)
		snprintf(age, sizeof(age), ", running for %.0f min", p->age_s / 60);
	else if (p->age_s >= 0)
		snprintf(age, sizeof(age), ", running for %.0f s", p->age_s);
	return snprintf(buf, len, "CPU %d: thread '%s' of %s (pid %d) used %.0f%% of it%s", p->cpu,
			p->comm[0] ? p->comm : "?", p->process[0] ? p->process : "?", (int)p->pid, 100 * p->share, age);
}
