/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdarg.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/queuecheck.h"
#include "bench/results.h"

/* The host CPU of a worker's {"cpus": [...]}: its only CPU, through the vCPU map in a
 * guest; -1 when it floats or is out of the map. */
static int worker_cpu(const json_t *w, const int *vcpu_cpu, unsigned nvcpu)
{
	const json_t *cpus = json_object_get(w, "cpus");
	json_int_t c = json_integer_value(json_array_get(cpus, 0));

	if (json_array_size(cpus) != 1 || !json_is_integer(json_array_get(cpus, 0)) || c < 0 || c > 65535)
		return -1;
	if (!vcpu_cpu)
		return (int)c;
	return (json_int_t)nvcpu > c ? vcpu_cpu[c] : -1;
}

static void add_poller(struct qc_side *s, unsigned q, int lcore, int cpu, const char *role)
{
	bool seen = false;

	if (s->np == 2 * QC_MAX_QUEUES)
		return;
	for (unsigned x = 0; x < s->np; x++)
		seen |= s->p[x].lcore == lcore;
	s->pollers += !seen;
	s->p[s->np++] = (struct qc_poller){ .queue = q, .lcore = lcore, .cpu = cpu, .role = role };
}

void qc_side_from_line(struct qc_side *s, const char *name, const json_t *line, unsigned queues, const int *vcpu_cpu,
		       unsigned nvcpu)
{
	const json_t *workers = json_object_get(line, "workers"), *w;
	json_int_t port = json_integer_value(json_object_get(json_array_get(json_object_get(line, "ports"), 0), "port"));
	size_t i;

	*s = (struct qc_side){ .name = name };
	if (!json_is_array(workers) || queues > QC_MAX_QUEUES)
		return;
	json_array_foreach(workers, i, w) {
		json_int_t lc = json_integer_value(json_object_get(w, "lcore"));
		const json_t *jobs = json_object_get(w, "jobs"), *j;
		const char *role = json_string_value(json_object_get(w, "role"));
		int cpu = worker_cpu(w, vcpu_cpu, nvcpu);
		size_t k;

		if (!json_is_integer(json_object_get(w, "lcore")) || lc < 0 || lc > 65535) {
			*s = (struct qc_side){ .name = name };
			return;
		}
		if (json_is_array(jobs)) { /* the reflector: the queues of its first port */
			json_array_foreach(jobs, k, j) {
				json_int_t q = json_integer_value(json_object_get(j, "queue"));
				if (json_integer_value(json_object_get(j, "port")) == port && q >= 0 && q < (json_int_t)queues)
					add_poller(s, (unsigned)q, (int)lc, cpu, "");
			}
		} else { /* trafficgen: a worker per queue, or a sender and a receiver */
			json_int_t q = json_integer_value(json_object_get(w, "queue"));
			if (role && q >= 0 && q < (json_int_t)queues)
				add_poller(s, (unsigned)q, (int)lc, cpu,
					   !strcmp(role, "send") ? "sender" : !strcmp(role, "receive") ? "receiver" : "");
		}
	}
	s->known = true;
}

int qc_ring_differs(const json_t *virtio, unsigned want, size_t *ring, long long *size)
{
	const json_t *x;
	size_t i;

	json_array_foreach(json_object_get(virtio, "ring_sizes"), i, x)
		if (json_integer_value(x) && json_integer_value(x) != (json_int_t)want) {
			*ring = i;
			*size = (long long)json_integer_value(x);
			return 1;
		}
	return 0;
}

static void add(json_t *out, const char *id, const char *severity, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void add(json_t *out, const char *id, const char *severity, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_array_append_new(out, json_pack("{s:s, s:s, s:s}", "id", id, "severity", severity, "message", msg));
}

/* Queues served by fewer pollers than there are queues, on one side. */
static void check_pollers(json_t *out, unsigned queues, const struct qc_side *s)
{
	if (!s->known)
		add(out, "queue-layout-unknown", "info",
		    "%s did not say which lcore polled which queue (no start line in its output): its side was not checked", s->name);
	else if (s->pollers < queues)
		add(out, "queues-more-than-pollers", "warn",
		    "%s polls %u queues with %u lcore%s: queues share a poller, so more queues cannot add throughput", s->name,
		    queues, s->pollers, s->pollers == 1 ? "" : "s");
}

static void poller_name(char *buf, size_t len, const struct qc_side *s, const struct qc_poller *p)
{
	snprintf(buf, len, "%s%s%squeue %u of %s", *p->role ? "the " : "", p->role, *p->role ? " of " : "", p->queue, s->name);
}

/* Distinct pollers on one CPU (they take turns on it), or on SMT siblings of one
 * core, within and across the sides.  One lcore serving two queues of its side is
 * check_pollers' finding. */
static void check_cpus(json_t *out, const struct qc_side *a, const struct qc_side *b, const struct topo *t)
{
	const struct qc_side *side[2] = { a, b };
	unsigned shared = 0, smt = 0, n = a->np + b->np;

	for (unsigned i = 0; i < n; i++)
		for (unsigned j = i + 1; j < n; j++) {
			const struct qc_side *si = side[i >= a->np], *sj = side[j >= a->np];
			const struct qc_poller *pi = &si->p[i >= a->np ? i - a->np : i], *pj = &sj->p[j >= a->np ? j - a->np : j];
			char ni[160], nj[160];
			if (pi->cpu < 0 || pj->cpu < 0 || (si == sj && pi->lcore == pj->lcore))
				continue;
			poller_name(ni, sizeof(ni), si, pi);
			poller_name(nj, sizeof(nj), sj, pj);
			if (pi->cpu == pj->cpu) {
				if (shared++ < 4)
					add(out, "queue-lcores-shared", "warn",
					    "%s and %s are polled from one CPU (%d): the two pollers take turns on it", ni, nj, pi->cpu);
			} else if (t && topo_core_of(t, pi->cpu) >= 0 && topo_core_of(t, pi->cpu) == topo_core_of(t, pj->cpu) &&
				   smt++ < 4) {
				add(out, "queue-lcores-smt", "warn",
				    "%s (CPU %d) and %s (CPU %d) are SMT siblings: one core's pipeline serves both", ni, pi->cpu, nj,
				    pj->cpu);
			}
		}
}

/* A queue's share of the received frames, against its fair part. */
static void check_share(json_t *out, unsigned queues, const char *what, const char *where, const json_t *qa,
			const char *key)
{
	unsigned long long total = 0, v[QC_MAX_QUEUES] = { 0 };
	const json_t *q;
	size_t i;

	if (queues < 2 || json_array_size(qa) != queues)
		return;
	json_array_foreach(qa, i, q) {
		v[i] = (unsigned long long)json_integer_value(json_object_get(q, key));
		total += v[i];
	}
	if (!total)
		return;
	for (unsigned k = 0; k < queues; k++) {
		double share = (double)v[k] * queues / (double)total;
		if (v[k] == 0)
			add(out, "queue-idle", "warn", "%s: queue %u %s carried nothing (%s)", what, k, where, key);
		else if (share < QC_UNDERUSED)
			add(out, "queue-underused", "warn", "%s: queue %u %s carried %.0f%% of its share (%llu of %llu %s)", what, k,
			    where, 100 * share, v[k], total, key);
	}
}

json_t *queue_findings(unsigned queues, unsigned flows, const struct qc_side *a, const struct qc_side *b,
		       const json_t *results, const json_t *refl_queues, const struct topo *t)
{
	json_t *out = json_array();
	const json_t *r;
	size_t i;

	if (queues > QC_MAX_QUEUES)
		return out;
	if (flows < queues)
		add(out, "flows-fewer-than-queues", "warn",
		    "%u flow%s for %u queues: a receiver that hashes flows to queues (RSS, the guest's virtio-net) leaves %u queue%s idle",
		    flows, flows == 1 ? "" : "s", queues, queues - flows, queues - flows == 1 ? "" : "s");
	check_pollers(out, queues, a);
	check_pollers(out, queues, b);
	check_cpus(out, a, b, t);
	json_array_foreach(results, i, r) {
		char what[64];
		results_size(r, " B", what, sizeof(what));
		check_share(out, queues, what, "back to trafficgen", json_object_get(r, "queues"), "rx_packets");
	}
	check_share(out, queues, "the whole run", "into the reflector", refl_queues, "rx_packets");
	if (json_array_size(out) == 0)
		add(out, "queues-ok", "ok", "%u queue%s: each served by its own poller on both sides and carrying its share", queues,
		    queues == 1 ? "" : "s");
	return out;
}
