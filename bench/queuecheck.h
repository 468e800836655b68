/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-queue truth for one configuration: findings about how the queues were
 * served and used, from the layout (which CPU polls which queue on each side),
 * the profile (flows) and the counters (trafficgen's per queue and size, the
 * reflector's per queue).  The 2017 table's last puzzle -- two queues slower
 * than one at 64 B -- is a question these answer: a queue that carried little,
 * queues time-sharing a CPU or an SMT core, one flow for two queues.
 */
#pragma once
#include <stdbool.h>

#include <jansson.h>

#include "pinning/topo.h"

#define QC_MAX_QUEUES 16
#define QC_UNDERUSED 0.25     /* a queue carrying less than this share of its fair part */

/* One side as its program reported it when it started (which lcore took which
 * queue, on which CPU), never as guessed from its -l. */
struct qc_poller {
	unsigned queue;
	int lcore;
	int cpu;                   /* the host CPU (a vCPU's CPU in a guest); -1: floating */
	const char *role;          /* "" or "sender"/"receiver" when a queue has two */
};

struct qc_side {
	const char *name;          /* "the reflector", "trafficgen in the guest" */
	bool known;                /* the program said; false: its checks are skipped, and said so */
	struct qc_poller p[2 * QC_MAX_QUEUES];
	unsigned np;
	unsigned pollers;          /* distinct lcores polling this side's queues */
};

/* The findings (a JSON array of {id, severity, message}) for @queues queues and
 * @flows flows.  @results: this configuration's per-size records (their "queues"
 * arrays); @refl_queues: the reflector's final per-queue counters, or NULL; @t:
 * the host's topology (NULL: no SMT check). */
json_t *queue_findings(unsigned queues, unsigned flows, const struct qc_side *a, const struct qc_side *b,
		       const json_t *results, const json_t *refl_queues, const struct topo *t);

/* Does a vring in @virtio (the host program's "virtio" object: "ring_sizes") differ
 * from @want entries?  1 with the first such ring and its size; 0 (a ring not set up,
 * size 0, does not count). */
int qc_ring_differs(const json_t *virtio, unsigned want, size_t *ring, long long *size);

/* @s for @queues queues from a program's own line: the reflector's ready line
 * (workers[].jobs[] of its first port) or trafficgen's start line (workers[] with
 * queue and role; the sender's lcore is the queue's).  A worker EAL let float over
 * several CPUs has CPU -1.  @vcpu_cpu[@nvcpu]: for a program in a guest, the host
 * CPU each vCPU is pinned to (the guest's CPU N is vCPU N); NULL on the host.  A
 * missing or malformed line leaves @s unknown. */
void qc_side_from_line(struct qc_side *s, const char *name, const json_t *line, unsigned queues, const int *vcpu_cpu,
		       unsigned nvcpu);
