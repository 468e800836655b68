/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pinning/report.h"
#include "pinning/vmcheck.h"

#define ADD(...) do { if (!report_add(__VA_ARGS__)) return -ENOMEM; } while (0)

/* Append "text" to a bounded detail buffer, with separators. */
static void append(char *buf, size_t len, size_t *off, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void append(char *buf, size_t len, size_t *off, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*off >= len)
		return;
	if (*off) {
		n = snprintf(buf + *off, len - *off, "; ");
		*off += n > 0 ? (size_t)n : 0;
		if (*off >= len)
			return;
	}
	va_start(ap, fmt);
	n = vsnprintf(buf + *off, len - *off, fmt, ap);
	va_end(ap);
	*off += n > 0 ? (size_t)n : 0;
}

static const struct task *vcpu(const struct vminfo *vi, unsigned v)
{
	return vi->vcpu_task[v] >= 0 ? &vi->tasks[vi->vcpu_task[v]] : NULL;
}

/* The VM's vCPU numbers (QEMU's cpu-indexes) as a set. */
static void present(const struct vminfo *vi, struct cpuset *out)
{
	cpuset_zero(out);
	for (unsigned v = 0; v < vi->nvcpus; v++)
		if (vcpu(vi, v))
			cpuset_set(out, v);
}

static int check_threads(const struct vminfo *vi, json_t *rep)
{
	unsigned n = vminfo_vcpu_count(vi);
	struct cpuset have;
	char list[256];

	if (vi->single_thread_tcg) {
		ADD(rep, "vcpu-threads", SEV_FAIL, "run QEMU with -accel tcg,thread=multi (vmlaunch does)",
		    "QEMU runs every vCPU on one thread (single-threaded TCG): vCPUs cannot be pinned one by one");
		return 0;
	}
	present(vi, &have);
	cpuset_format_list(&have, list, sizeof(list));
	if (n < vi->nvcpus)
		ADD(rep, "vcpu-threads", SEV_OK, NULL, "%u vCPU thread%s found: vCPUs %s (QEMU's cpu-index; the gaps are CPUs not plugged)",
		    n, n == 1 ? "" : "s", list);
	else
		ADD(rep, "vcpu-threads", SEV_OK, NULL, "%u vCPU thread%s found", n, n == 1 ? "" : "s");
	return 0;
}

/* "vmlaunch attach --pid 1000 --vcpu-map 0:4,1:5": every vCPU pinned to one CPU at
 * once, QEMU's other threads off them, read back (taskset would pin a thread, and
 * leave the rest to the user).  The map when one was given for every vCPU, else a
 * template with CPU in place of each CPU. */
static void attach_hint(const struct vminfo *vi, const struct vmap *map, const char *what, char *buf, size_t len)
{
	char m[256];
	size_t off = 0;
	bool whole = map && map->n >= vi->nvcpus;

	for (unsigned v = 0; v < vi->nvcpus && whole; v++)
		whole = vmap_has(map, v);
	if (!whole || vmap_format(map, m, sizeof(m)) < 0) {
		m[0] = '\0';
		for (unsigned v = 0; v < vi->nvcpus && off < sizeof(m); v++) {
			if (v == 8) {
				snprintf(m + off, sizeof(m) - off, ",…");
				break;
			}
			off += (size_t)snprintf(m + off, sizeof(m) - off, "%s%u:CPU", v ? "," : "", v);
		}
	}
	snprintf(buf, len, "%s: vmlaunch attach --pid %d --vcpu-map %s", what, (int)vi->pid, m);
}

static int check_pinning(const struct vminfo *vi, const struct vmap *map, json_t *rep)
{
	char unp[640] = "", mis[640] = "", shr[640] = "", list[256], hint[512];
	size_t uo = 0, mo = 0, so = 0;
	struct cpuset seen, dup;
	char *bad_unp = calloc(vi->nvcpus + 1, 1), *bad_map = calloc(vi->nvcpus + 1, 1);
	int r = -ENOMEM;

	if (!bad_unp || !bad_map)
		goto cleanup;
	cpuset_zero(&seen);
	cpuset_zero(&dup);
	for (unsigned v = 0; v < vi->nvcpus; v++) {
		const struct task *t = vcpu(vi, v);
		if (!t)
			continue;
		cpuset_format_list(&t->allowed, list, sizeof(list));
		if (cpuset_count(&t->allowed) != 1) {
			append(unp, sizeof(unp), &uo, "vCPU %u may run on CPUs %s", v, list);
			bad_unp[v] = 1;
		} else {
			int cpu = cpuset_next(&t->allowed, -1);
			if (cpuset_isset(&seen, cpu))
				cpuset_set(&dup, cpu);
			cpuset_set(&seen, cpu);
		}
		if (map && vmap_has(map, v) && !(cpuset_count(&t->allowed) == 1 && cpuset_isset(&t->allowed, map->cpu[v]))) {
			append(mis, sizeof(mis), &mo, "vCPU %u is on %s, the map says %d", v, list, map->cpu[v]);
			bad_map[v] = 1;
		}
	}
	attach_hint(vi, map, "pin each vCPU thread to one CPU", hint, sizeof(hint));
	if (uo && !report_add(rep, "vcpu-pinned", SEV_FAIL, hint, "vCPUs not pinned to one CPU: %s", unp))
		goto cleanup;
	if (!uo && !report_add(rep, "vcpu-pinned", SEV_OK, NULL, "every vCPU is pinned to one CPU"))
		goto cleanup;
	if (map) {
		struct cpuset mv, have;
		vmap_vcpus(map, &mv);
		present(vi, &have);
		if (!cpuset_equal(&mv, &have)) {
			char a[256], b[256];
			cpuset_format_list(&mv, a, sizeof(a));
			cpuset_format_list(&have, b, sizeof(b));
			append(mis, sizeof(mis), &mo, "the map names vCPUs %s, the VM has %s", a, b);
		}
		attach_hint(vi, map, "pin each vCPU thread to one CPU", hint, sizeof(hint));
		if (mo && !report_add(rep, "vcpu-map", SEV_FAIL, hint, "vCPUs differ from the map: %s", mis))
			goto cleanup;
		if (!mo && !report_add(rep, "vcpu-map", SEV_OK, NULL, "every vCPU is where the map says"))
			goto cleanup;
	}
	cpuset_foreach(cpu, &dup) {
		char who[128] = "";
		size_t wo = 0;
		for (unsigned v = 0; v < vi->nvcpus; v++) {
			const struct task *t = vcpu(vi, v);
			if (t && cpuset_count(&t->allowed) == 1 && cpuset_isset(&t->allowed, cpu) && wo < sizeof(who))
				wo += (size_t)snprintf(who + wo, sizeof(who) - wo, "%s%u", wo ? "," : "", v);
		}
		append(shr, sizeof(shr), &so, "vCPUs %s on CPU %d", who, cpu);
	}
	if (so && !report_add(rep, "vcpu-shared-cpu", SEV_FAIL, "give every vCPU its own host CPU",
			      "vCPUs share a CPU: %s", shr))
		goto cleanup;
	r = 0;
cleanup:
	free(bad_unp);
	free(bad_map);
	return r;
}

/* The CPUs pinned vCPUs own. */
static void vcpu_cpus(const struct vminfo *vi, struct cpuset *out)
{
	cpuset_zero(out);
	for (unsigned v = 0; v < vi->nvcpus; v++) {
		const struct task *t = vcpu(vi, v);
		if (t && cpuset_count(&t->allowed) == 1)
			cpuset_or(out, out, &t->allowed);
	}
}

static int check_emulator(const struct vminfo *vi, json_t *rep)
{
	struct cpuset vc, on;
	char detail[640] = "", list[256];
	size_t off = 0;
	unsigned n = 0;

	vcpu_cpus(vi, &vc);
	if (cpuset_empty(&vc))
		return 0;
	for (unsigned i = 0; i < vi->ntasks; i++) {
		const struct task *t = &vi->tasks[i];
		bool is_vcpu = false;
		for (unsigned v = 0; v < vi->nvcpus; v++)
			is_vcpu |= vi->vcpu_task[v] == (int)i;
		if (is_vcpu)
			continue;
		cpuset_and(&on, &t->allowed, &vc);
		if (cpuset_empty(&on))
			continue;
		cpuset_format_list(&on, list, sizeof(list));
		if (n++ >= 6)
			continue;
		if (t->tid > 0)
			append(detail, sizeof(detail), &off, "%s (tid %d) on %s", t->name, (int)t->tid, list);
		else
			append(detail, sizeof(detail), &off, "%s on %s", t->name, list);
	}
	if (n)
		ADD(rep, "emulator-threads", SEV_WARN,
		    "pin QEMU's other threads to housekeeping CPUs (libvirt's emulatorpin; vmlaunch --emulator-cpus)",
		    "%u QEMU thread%s may run on vCPU CPUs: %s%s", n, n > 1 ? "s" : "", detail, n > 6 ? "; …" : "");
	else
		ADD(rep, "emulator-threads", SEV_OK, NULL, "QEMU's other threads stay off the vCPU CPUs");
	return 0;
}

static int check_isolation(const struct vminfo *vi, const struct hostfacts *h, json_t *rep)
{
	char trap[640] = "", list[256], hint[512];
	size_t off = 0;
	struct cpuset vc, notiso;

	for (unsigned v = 0; v < vi->nvcpus; v++) {
		const struct task *t = vcpu(vi, v);
		struct cpuset iso;
		if (!t)
			continue;
		cpuset_and(&iso, &t->allowed, &h->isolated);
		if (cpuset_count(&iso) >= 2) {
			cpuset_format_list(&iso, list, sizeof(list));
			append(trap, sizeof(trap), &off, "vCPU %u may run on isolated CPUs %s", v, list);
		}
	}
	if (off) {
		attach_hint(vi, NULL, "pin each vCPU thread to exactly one isolated CPU", hint, sizeof(hint));
		ADD(rep, "isolcpus-trap", SEV_FAIL, hint,
		    "%s: the scheduler does not balance tasks across isolated CPUs, so such threads pile up on one of them",
		    trap);
	}
	vcpu_cpus(vi, &vc);
	if (cpuset_empty(&vc))
		return 0;
	cpuset_andnot(&notiso, &vc, &h->isolated);
	cpuset_format_phrase(cpuset_empty(&notiso) ? &vc : &notiso, list, sizeof(list));
	if (cpuset_empty(&notiso))
		ADD(rep, "isolation", SEV_OK, NULL, "the vCPUs' %s %s isolated", list, cpuset_verb(&vc, "is", "are"));
	else
		ADD(rep, "isolation", SEV_WARN,
		    "isolate them at boot (isolcpus=domain,managed_irq,LIST nohz_full=LIST rcu_nocbs=LIST) or in a cgroup v2 isolated partition",
		    "the vCPUs' %s %s not isolated: other tasks may run there", list, cpuset_verb(&notiso, "is", "are"));
	return 0;
}

static int check_memory(const struct vminfo *vi, const struct topo *t, json_t *rep)
{
	struct cpuset nodes;
	char nl[64], where[256] = "";
	size_t off = 0;
	uint64_t total = 0;

	if (vi->ram_kb == 0)
		return 0;
	if (vi->ram_page_kb > 4)
		ADD(rep, "memory-hugepages", SEV_OK, NULL, "guest RAM (%llu MiB) is backed by %lu %s hugepages%s%s",
		    (unsigned long long)(vi->ram_kb / 1024), vi->ram_page_kb >= 1048576 ? vi->ram_page_kb / 1048576 : vi->ram_page_kb / 1024,
		    vi->ram_page_kb >= 1048576 ? "GiB" : "MiB", vi->ram_path[0] ? " from " : "", vi->ram_path);
	else
		ADD(rep, "memory-hugepages", SEV_WARN,
		    "back guest RAM with hugepages: vmlaunch --hugepages (memory-backend-file on hugetlbfs, share=on)",
		    "guest RAM (%llu MiB) is backed by 4 KiB pages%s: TLB misses cost throughput, and vhost-user needs shared memory",
		    (unsigned long long)(vi->ram_kb / 1024), vi->ram_thp_kb ? " (partly transparent hugepages)" : "");
	if (!t)
		return 0;
	cpuset_zero(&nodes);
	for (unsigned v = 0; v < vi->nvcpus; v++) {
		const struct task *tk = vcpu(vi, v);
		if (tk && cpuset_count(&tk->allowed) == 1) {
			int n = topo_numa_of(t, cpuset_next(&tk->allowed, -1));
			if (n >= 0)
				cpuset_set(&nodes, n);
		}
	}
	for (unsigned n = 0; n < VMINFO_MAX_NODES; n++)
		total += vi->ram_node_pages[n];
	if (total == 0 || cpuset_empty(&nodes))
		return 0;
	uint64_t remote = 0;
	for (unsigned n = 0; n < VMINFO_MAX_NODES; n++) {
		if (!vi->ram_node_pages[n])
			continue;
		if (!cpuset_isset(&nodes, n))
			remote += vi->ram_node_pages[n];
		if (off < sizeof(where))
			off += (size_t)snprintf(where + off, sizeof(where) - off, "%snode %u: %llu%%", off ? ", " : "", n,
						(unsigned long long)(vi->ram_node_pages[n] * 100 / total));
	}
	cpuset_format_list(&nodes, nl, sizeof(nl));
	if (remote)
		ADD(rep, "memory-numa", SEV_WARN,
		    "bind guest RAM to the vCPUs' node (vmlaunch --hugepages does: host-nodes=N,policy=bind)",
		    "guest RAM is partly remote: %s, vCPUs on node %s", where, nl);
	else
		ADD(rep, "memory-numa", SEV_OK, NULL, "guest RAM is on the vCPUs' NUMA node (%s)", nl);
	return 0;
}

static int check_sample(const struct vminfo *vi, const struct vmap *map, json_t *rep)
{
	char bad[640] = "", hint[512];
	size_t off = 0;
	unsigned idle = 0;

	if (vi->sample_seconds <= 0)
		return 0;
	for (unsigned v = 0; v < vi->nvcpus; v++) {
		const struct task *t = vcpu(vi, v);
		const uint64_t *row = vi->sample_ns + (size_t)v * vi->sample_ncpus;
		uint64_t sum = 0;
		if (!t)
			continue;
		for (unsigned c = 0; c < vi->sample_ncpus; c++)
			sum += row[c];
		if (sum == 0) {
			idle++;
			continue;
		}
		/* The one CPU this vCPU should run on: the map's, else where it is pinned. */
		int want = -1;
		if (map && vmap_has(map, v))
			want = map->cpu[v];
		else if (cpuset_count(&t->allowed) == 1)
			want = cpuset_next(&t->allowed, -1);
		if (want < 0)
			continue; /* unpinned and no map: vcpu-pinned reports it; the shares are in the data */
		for (unsigned c = 0; c < vi->sample_ncpus; c++)
			if (row[c] && (int)c != want)
				append(bad, sizeof(bad), &off, "vCPU %u ran %.0f%% of its time on CPU %u", v,
				       100.0 * (double)row[c] / (double)sum, c);
	}
	if (off) {
		attach_hint(vi, map, "pin each vCPU thread to its CPU", hint, sizeof(hint));
		ADD(rep, "sample", SEV_FAIL, hint, "over %.1f s: %s", vi->sample_seconds, bad);
	} else {
		ADD(rep, "sample", SEV_OK, NULL, "over %.1f s every vCPU that ran, ran only on its own CPU (%u of %u did not run)",
		    vi->sample_seconds, idle, vi->nvcpus);
	}
	return 0;
}

static json_t *task_json(const struct task *t)
{
	char *allowed = cpuset_to_list(&t->allowed);
	json_t *o;

	if (!allowed)
		return NULL;
	/* Through a remote libvirt the thread id and migrations are unknown: null, not 0 and -1. */
	o = json_pack("{s:o, s:s, s:s, s:i, s:o, s:I, s:I, s:s, s:i}", "tid", t->tid > 0 ? json_integer(t->tid) : json_null(),
		      "name", t->name, "allowed", allowed, "last_cpu", t->last_cpu, "migrations",
		      t->migrations >= 0 ? json_integer((json_int_t)t->migrations) : json_null(),
		      "voluntary_switches", (json_int_t)t->voluntary, "involuntary_switches",
		      (json_int_t)t->involuntary, "policy", task_policy_name(t->policy), "priority", t->rt_priority);
	free(allowed);
	return o;
}

static int add_data(const struct vminfo *vi, const struct vmap *map, json_t *rep)
{
	json_t *vcpus = json_array(), *threads = json_array();

	if (!vcpus || !threads)
		goto nomem;
	for (unsigned v = 0; v < vi->nvcpus; v++) {
		const struct task *t = vcpu(vi, v);
		json_t *o;
		if (!t)
			continue; /* a gap in QEMU's cpu-indexes: no such vCPU */
		o = task_json(t);
		if (!o)
			goto nomem;
		json_object_set_new(o, "vcpu", json_integer(v));
		if (map && vmap_has(map, v))
			json_object_set_new(o, "expected_cpu", json_integer(map->cpu[v]));
		if (vi->sample_seconds > 0) {
			const uint64_t *row = vi->sample_ns + (size_t)v * vi->sample_ncpus;
			json_t *share = json_object();
			uint64_t sum = 0;
			for (unsigned c = 0; c < vi->sample_ncpus; c++)
				sum += row[c];
			for (unsigned c = 0; c < vi->sample_ncpus && share; c++) {
				char key[16];
				if (!row[c])
					continue;
				snprintf(key, sizeof(key), "%u", c);
				json_object_set_new(share, key, json_real((double)row[c] / (double)sum));
			}
			json_object_set_new(o, "run_ns", json_integer((json_int_t)sum));
			json_object_set_new(o, "cpu_share", share ? share : json_null());
		}
		json_array_append_new(vcpus, o);
	}
	/* (tasks is never NULL with ntasks > 0; clang's analyzer cannot know it after
	 * report_add took a pointer into *vi through its varargs) */
	for (unsigned i = 0; vi->tasks && i < vi->ntasks; i++) {
		json_t *o = task_json(&vi->tasks[i]);
		if (!o)
			goto nomem;
		json_array_append_new(threads, o);
	}
	json_object_set_new(rep, "pid", json_integer(vi->pid));
	json_object_set_new(rep, "vcpus", vcpus);
	json_object_set_new(rep, "threads", threads);
	if (vi->ram_kb)
		json_object_set_new(rep, "memory", json_pack("{s:I, s:I, s:s}", "ram_kb", (json_int_t)vi->ram_kb,
							      "page_kb", (json_int_t)vi->ram_page_kb, "path", vi->ram_path));
	return 0;
nomem:
	json_decref(vcpus);
	json_decref(threads);
	return -ENOMEM;
}

int vmcheck_run(const struct vminfo *vi, const struct vmap *map, const struct hostfacts *h,
		const struct topo *t, json_t *rep)
{
	int r;

	if ((r = check_threads(vi, rep)) < 0 || (r = check_pinning(vi, map, rep)) < 0 ||
	    (r = check_emulator(vi, rep)) < 0 || (h && (r = check_isolation(vi, h, rep)) < 0) ||
	    (r = check_memory(vi, t, rep)) < 0 || (r = check_sample(vi, map, rep)) < 0 ||
	    (r = add_data(vi, map, rep)) < 0)
		return r;
	return 0;
}
