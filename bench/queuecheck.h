/*
 * Per-queue truth for one configuration: findings about how the queues were
 * served and used, from the layout (which CPU polls which queue on each side),
 * the profile (flows) and the counters (trafficgen's per queue and size, the
 * reflector's per queue).  The 2017 table's last puzzle -- two queues slower
 * than one at 64 B -- is a question these answer: a queue that carried little,
 * queues time-sharing a CPU or an SMT core, one flow for two queues.
 */
#pragma once
#include <jansson.h>

#include "topo.h"

#define QC_MAX_QUEUES 16
#define QC_UNDERUSED 0.25     /* a queue carrying less than this share of its fair part */

struct qc_side {
	const char *name;          /* "the reflector", "trafficgen in the guest" */
	int cpu[QC_MAX_QUEUES];    /* the host CPU polling each queue (a vCPU's CPU in a guest) */
	unsigned pollers;          /* polling lcores that side has */
};

/* The findings (a JSON array of {id, severity, message}) for @queues queues and
 * @flows flows.  @results: this configuration's per-size records (their "queues"
 * arrays); @refl_queues: the reflector's final per-queue counters, or NULL; @t:
 * the host's topology (NULL: no SMT check). */
json_t *queue_findings(unsigned queues, unsigned flows, const struct qc_side *a, const struct qc_side *b,
		       const json_t *results, const json_t *refl_queues, const struct topo *t);

/* The CPUs of a comma list of lcores, in order ("1,0" -> 1, 0).  The count, or -1. */
int qc_lcore_list(const char *list, int *cpus, unsigned max);
