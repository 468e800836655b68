#include <stdarg.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "queuecheck.h"
#include "results.h"

int qc_lcore_list(const char *list, int *cpus, unsigned max)
{
	const char *p = list;
	unsigned n = 0;

	while (*p) {
		char *end;
		long v = strtol(p, &end, 10);
		if (end == p || v < 0 || v > 65535 || n == max || (*end && *end != ','))
			return -1;
		cpus[n++] = (int)v;
		p = *end ? end + 1 : end;
	}
	return (int)n;
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
	if (s->pollers < queues)
		add(out, "queues-more-than-pollers", "warn",
		    "%s polls %u queues with %u lcore%s: queues share a poller, so more queues cannot add throughput", s->name,
		    queues, s->pollers, s->pollers == 1 ? "" : "s");
}

/* Distinct queues polled from one CPU or from SMT siblings of one core, within and
 * across the sides. */
static void check_cpus(json_t *out, unsigned queues, const struct qc_side *a, const struct qc_side *b, const struct topo *t)
{
	const struct qc_side *side[2] = { a, b };
	char seen[QC_MAX_QUEUES * 2];
	unsigned reported = 0;

	memset(seen, 0, sizeof(seen));
	for (unsigned i = 0; i < 2 * queues; i++)
		for (unsigned j = i + 1; j < 2 * queues; j++) {
			const struct qc_side *si = side[i / queues], *sj = side[j / queues];
			int ci = si->cpu[i % queues], cj = sj->cpu[j % queues];
			if (ci < 0 || cj < 0 || ci == cj || !t)
				continue; /* the same CPU: the layout's own findings name it */
			if (topo_core_of(t, ci) < 0 || topo_core_of(t, ci) != topo_core_of(t, cj) || reported++ >= 4)
				continue;
			add(out, "queue-lcores-smt", "warn",
			    "queue %u of %s (CPU %d) and queue %u of %s (CPU %d) are SMT siblings: one core's pipeline serves both",
			    i % queues, si->name, ci, j % queues, sj->name, cj);
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
	check_cpus(out, queues, a, b, t);
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
