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

/* Compare @a (results.json and env.json, as loaded; env may be NULL) with @b.
 * @threshold_pct < 0: no gate.  A new object: "cells", "runs", "fingerprint_differs",
 * "too_noisy", "regressions" (cells where B is worse beyond the threshold and the
 * noise). */
json_t *compare_runs(const json_t *ra, const json_t *ea, const json_t *rb, const json_t *eb, double threshold_pct);

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
