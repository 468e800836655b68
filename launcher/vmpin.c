/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdarg.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pinning/threads.h"
#include "launcher/vmpin.h"
#include "pinning/vminfo.h"

static int fail(char *msg, size_t len, int r, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int fail(char *msg, size_t len, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, len, fmt, ap);
	va_end(ap);
	return r;
}

static int vcpu_of(const struct qmp_vcpu *v, int n, pid_t tid)
{
	for (int i = 0; i < n; i++)
		if (v[i].tid == tid)
			return i;
	return -1;
}

/* Pin every thread of @pid that is not a vCPU to the emulator CPUs.  Count pinned, or -errno. */
static int pin_others(pid_t pid, const struct qmp_vcpu *v, int n, const struct cpuset *emu, char *msg, size_t len)
{
	struct task *t;
	int nt = task_list(pid, &t), pinned = 0;

	if (nt < 0)
		return fail(msg, len, -ESRCH, "QEMU (pid %d) went away", (int)pid);
	for (int i = 0; i < nt; i++) {
		int r;
		if (vcpu_of(v, n, t[i].tid) >= 0 || cpuset_equal(&t[i].allowed, emu))
			continue;
		r = task_set_affinity(t[i].tid, emu);
		if (r == -ESRCH)
			continue; /* the thread ended */
		if (r < 0) {
			fail(msg, len, r, "cannot pin QEMU thread %d (%s): %s", (int)t[i].tid, t[i].name, strerror(-r));
			free(t);
			return r;
		}
		pinned++;
	}
	free(t);
	return pinned;
}

/* Without QMP: the vCPU threads by the names QEMU gives them with -name
 * debug-threads=on ("CPU n/KVM", "CPU n/TCG"), as pincheck vm --pid finds them. */
static int vcpus_by_name(pid_t pid, struct qmp_vcpu **out, char *msg, size_t len)
{
	struct vminfo vi;
	struct qmp_vcpu *v;
	int n = 0, r = vminfo_read(pid, &vi);

	*out = NULL;
	if (r < 0)
		return fail(msg, len, r, r == -ESRCH ? "no process with pid %d" : "cannot read pid %d: %s", (int)pid, strerror(-r));
	if (vi.single_thread_tcg || vi.nvcpus == 0) {
		vminfo_free(&vi);
		return fail(msg, len, vi.single_thread_tcg ? -EINVAL : -ENOENT,
			    vi.single_thread_tcg ? "pid %d runs every vCPU on one thread (single-threaded TCG): use -accel tcg,thread=multi"
						 : "pid %d has no QMP socket and no thread named like a vCPU: start QEMU with -qmp unix:PATH,server=on,wait=off (or -name debug-threads=on), or give --qmp",
			    (int)pid);
	}
	v = calloc(vi.nvcpus, sizeof(*v));
	if (!v) {
		vminfo_free(&vi);
		return -ENOMEM;
	}
	for (unsigned i = 0; i < vi.nvcpus; i++)
		if (vi.vcpu_task[i] >= 0)
			v[n++] = (struct qmp_vcpu){ .index = (int)i, .tid = vi.tasks[vi.vcpu_task[i]].tid };
	vminfo_free(&vi);
	*out = v;
	return n;
}

int vmpin_apply(struct qmp *q, pid_t pid, const struct vmpin_plan *p, json_t **result, char *msg, size_t len)
{
	struct qmp_error qerr;
	struct qmp_vcpu *v = NULL;
	struct task *t = NULL;
	json_t *res = NULL, *vcpus, *threads;
	struct cpuset qv, mv;
	char list[4096], mlist[4096];
	int n, nt, r;

	*result = NULL;
	if (!q) {
		if ((n = vcpus_by_name(pid, &v, msg, len)) < 0)
			return n;
	} else if ((n = qmp_query_vcpus(q, &v, &qerr)) < 0) {
		return fail(msg, len, n, "query-cpus-fast: %s", qerr.desc);
	}
	if (n > 0 && !v)
		return fail(msg, len, -ENOMEM, "out of memory");
	/* vCPUs are QEMU's cpu-indexes (with CPUs hot-plugged there may be gaps): the map
	 * must name exactly those. */
	cpuset_zero(&qv);
	for (int i = 0; i < n; i++) {
		if (v[i].index < 0 || v[i].index >= (int)VMAP_MAX_VCPUS) {
			r = fail(msg, len, -EIO, "QMP reports a vCPU with cpu-index %d", v[i].index);
			goto cleanup;
		}
		cpuset_set(&qv, (unsigned)v[i].index);
	}
	vmap_vcpus(p->map, &mv);
	if (!cpuset_equal(&qv, &mv)) {
		cpuset_format_list(&qv, list, sizeof(list));
		cpuset_format_list(&mv, mlist, sizeof(mlist));
		r = fail(msg, len, -EINVAL, "QEMU's vCPUs are %s (cpu-index), the map names %s: give one CPU for each of QEMU's",
			 list, mlist);
		goto cleanup;
	}
	for (int i = 0; i < n; i++) {
		int j = vcpu_of(v, i, v[i].tid);
		char path[64];
		if (j >= 0) {
			r = fail(msg, len, -EINVAL,
				 "vCPUs %d and %d run on the same host thread %d (single-threaded TCG?): use -accel tcg,thread=multi",
				 v[j].index, v[i].index, (int)v[i].tid);
			goto cleanup;
		}
		/* Every thread id QMP gave must be a thread of this QEMU before anything is pinned. */
		snprintf(path, sizeof(path), "/proc/%d/task/%d", (int)pid, (int)v[i].tid);
		if (v[i].tid <= 0 || access(path, F_OK) < 0) {
			r = fail(msg, len, -ESRCH, "QMP names thread %d for vCPU %d, which is not a thread of QEMU (pid %d): nothing pinned",
				 (int)v[i].tid, v[i].index, (int)pid);
			goto cleanup;
		}
	}
	/* vCPU threads first, each to its one CPU; then everything else. */
	for (int i = 0; i < n; i++) {
		struct cpuset one;
		int cpu = p->map->cpu[v[i].index];
		cpuset_zero(&one);
		cpuset_set(&one, (unsigned)cpu);
		r = task_set_affinity(v[i].tid, &one);
		if (r < 0) {
			fail(msg, len, r, "cannot pin vCPU %d (thread %d) to CPU %d: %s", v[i].index, (int)v[i].tid, cpu,
			     r == -ESRCH ? "the thread ended" : strerror(-r));
			goto cleanup;
		}
		if (p->fifo_prio > 0) {
			struct sched_param sp = { .sched_priority = p->fifo_prio };
			if (sched_setscheduler(v[i].tid, SCHED_FIFO, &sp) < 0) {
				r = fail(msg, len, -errno, "cannot give vCPU %d SCHED_FIFO priority %d: %s", v[i].index,
					 p->fifo_prio, strerror(errno));
				goto cleanup;
			}
		}
	}
	/* A thread created while we pinned inherits its creator's affinity; a second pass catches it. */
	for (int pass = 0; pass < 3; pass++) {
		r = pin_others(pid, v, n, &p->emulator, msg, len);
		if (r < 0)
			goto cleanup;
		if (r == 0)
			break;
	}

	/* Read every affinity back from the kernel. */
	nt = task_list(pid, &t);
	if (nt < 0) {
		r = fail(msg, len, -ESRCH, "QEMU (pid %d) went away", (int)pid);
		goto cleanup;
	}
	res = json_object();
	vcpus = json_array();
	threads = json_array();
	json_object_set_new(res, "pid", json_integer(pid));
	json_object_set_new(res, "vcpus", vcpus);
	cpuset_format_list(&p->emulator, list, sizeof(list));
	json_object_set_new(res, "emulator_cpus", json_string(list));
	json_object_set_new(res, "threads", threads);
	for (int i = 0; i < n; i++) {
		struct cpuset got;
		int cpu = p->map->cpu[v[i].index];
		r = task_get_affinity(v[i].tid, &got);
		if (r < 0 || cpuset_count(&got) != 1 || !cpuset_isset(&got, cpu)) {
			cpuset_format_list(&got, list, sizeof(list));
			r = fail(msg, len, -EIO, "vCPU %d (thread %d) reads back as %s, not CPU %d", v[i].index, (int)v[i].tid,
				 r < 0 ? strerror(-r) : list, cpu);
			goto cleanup;
		}
		json_array_append_new(vcpus, json_pack("{s:i, s:i, s:i}", "vcpu", v[i].index, "tid", (int)v[i].tid, "cpu",
						       cpu));
	}
	for (int i = 0; i < nt; i++) {
		struct cpuset got;
		if (vcpu_of(v, n, t[i].tid) >= 0)
			continue;
		if (task_get_affinity(t[i].tid, &got) < 0)
			continue; /* ended */
		cpuset_format_list(&got, list, sizeof(list));
		if (!cpuset_equal(&got, &p->emulator)) {
			char want[4096];
			cpuset_format_list(&p->emulator, want, sizeof(want));
			r = fail(msg, len, -EIO, "QEMU thread %d (%s) reads back as %s, not %s", (int)t[i].tid, t[i].name, list,
				 want);
			goto cleanup;
		}
		json_array_append_new(threads, json_pack("{s:i, s:s, s:s}", "tid", (int)t[i].tid, "name", t[i].name,
							 "allowed", list));
	}
	*result = res;
	res = NULL;
	r = 0;
cleanup:
	json_decref(res);
	free(t);
	free(v);
	return r;
}

pid_t vmpin_peer_pid(struct qmp *q)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(qmp_fd(q), SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return -errno;
	return cred.pid;
}
