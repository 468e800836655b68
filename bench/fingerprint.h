/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * env.json: what another engineer needs to know to trust or repeat a run — the
 * CPU, topology, kernel and its command line, isolation, SMT, THP, hugepage
 * pools, the software versions, the profile as it was, every command run, the
 * layout's findings, and for a guest the accelerator, vCPU map and image digest.
 */
#pragma once
#include <stdbool.h>

#include <jansson.h>

#include "bench/profile.h"

/* The fingerprint of this host and run.  @commands (argv arrays) and @plan (findings)
 * are taken (their references stolen); @guest (may be NULL) is added as "guest".
 * A new object, or NULL on ENOMEM. */
json_t *fingerprint_build(const struct profile *p, json_t *commands, json_t *plan, json_t *guest);

/* The keys vmbench compare checks for differences, NULL-terminated. */
extern const char *const fingerprint_keys[];

/* The host's load at one moment: /proc/loadavg and /proc/stat's CPU time (busy and
 * steal, in ticks).  Read before and after a run: a shared or overcommitted host
 * shows in both, and compare names a run taken under them. */
struct host_load {
	bool ok;
	double loadavg[3];
	unsigned long long busy, steal, total;
};

void host_load_read(struct host_load *l);

/* {"before": {loadavg_1m, 5m, 15m}, "after": {...}, "seconds", "steal_pct", "busy_pct"}:
 * steal and busy as shares of all CPU time between the two readings. */
json_t *host_load_json(const struct host_load *before, const struct host_load *after, double seconds);
