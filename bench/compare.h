/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vmbench compare: two results directories, cell by cell, judged against their
 * own noise.  A change is significant only when it exceeds both runs' spread (the
 * min-max of their trials); a run whose spread is wide, or whose host was busy with
 * others' work or had time stolen, is named too noisy to compare.  Fingerprint
 * differences are listed.  Pure: it reads the two directories' JSON only.
 */
#pragma once
#include <stdbool.h>

#include <jansson.h>

#define COMPARE_NOISY_SPREAD_PCT 10.0  /* a cell whose trials spread wider is noisy */
#define COMPARE_NOISY_BUSY_PCT 10.0    /* others kept the idle host this busy: shared */
#define COMPARE_NOISY_STEAL_PCT 1.0    /* the hypervisor took this much of our CPU time */

/* Exit status of `vmbench compare --threshold` when it cannot tell: a run too noisy to
 * compare, or runs that measured different things (see compare_runs). */
#define COMPARE_EXIT_CANNOT_TELL 3

/* One run's noise from its results.json @res and its env.json's "host_load" @load (may
 * be NULL): {"trials", "max_spread_pct", "idle_busy_pct", "steal_pct", "noisy", "why":
 * [sentences]} — noisy when a cell's trials spread more than COMPARE_NOISY_SPREAD_PCT,
 * others kept the host busy before, or the hypervisor stole time. */
json_t *compare_noise(const json_t *res, const json_t *load);

/* Does result @r's spread (its trials' min-max over the median) exceed
 * COMPARE_NOISY_SPREAD_PCT? */
bool compare_cell_noisy(const json_t *r);

/* Compare @a (results.json and env.json, as loaded; env may be NULL) with @b.
 * @threshold_pct < 0: no gate.  A new object: "cells" (each with a verdict: "better",
 * "worse", "within noise", "too noisy", "unknown"), "runs", "fingerprint_differs",
 * "not_comparable" (the keys whose values say the runs measured different things: mode,
 * search, loss threshold, metric, profile; each with both values), "too_noisy",
 * "regressions" (cells where B is worse beyond the threshold and the noise, in a
 * comparison neither too noisy nor of different things), "verdict" ("regression",
 * "no regression", "cannot tell").  @force: compare runs that measured different
 * things anyway (they are still listed). */
json_t *compare_runs(const json_t *ra, const json_t *ea, const json_t *rb, const json_t *eb, double threshold_pct,
		     bool force);

/* The report as text. */
void compare_print(const json_t *cmp, const char *a, const char *b);

/* Compare @n runs side by side (a fleet: one run per host), a column per run labelled
 * @labels[i]; @env[i] may be NULL.  A new object: "runs" (label, dir, noise), "cells"
 * (configuration, size, "mpps" and "spread_mpps" per run, null where a run lacks the
 * cell, "max_over_min"), "fingerprint_differs" (key, "values" per run), "too_noisy". */
json_t *compare_many(json_t *const *res, json_t *const *env, const char *const *labels, const char *const *dirs,
		     unsigned n);

/* The side-by-side report as text: one table, a column per run, then each run's noise
 * and the fingerprint keys whose values differ. */
void compare_print_many(const json_t *cmp);
