/* SPDX-License-Identifier: BSD-3-Clause */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bench/compare.h"
#include "bench/fingerprint.h"
#include "bench/results.h"
#include "base/sbuf.h"

/* A value from a results directory (anyone's file), escaped to one line. */
static const char *esc(const char *v, char *buf, size_t len)
{
	struct sbuf sb;

	sbuf_init(&sb, buf, len);
	sbuf_add_escaped(&sb, v);
	return buf;
}

static double num(const json_t *o, const char *key)
{
	return json_number_value(json_object_get(o, key));
}

static const char *str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key)) ?: "";
}

static double cell_spread_pct(const json_t *r)
{
	double m = num(r, "mpps");

	return m > 0 ? 100 * (num(r, "mpps_max") - num(r, "mpps_min")) / m : 0;
}

bool compare_cell_noisy(const json_t *r)
{
	return cell_spread_pct(r) > COMPARE_NOISY_SPREAD_PCT;
}

json_t *compare_noise(const json_t *res, const json_t *load)
{
	const json_t *c, *r;
	json_t *why = json_array(), *o;
	double widest = 0;
	char at_size[64] = "";
	long long trials = json_integer_value(json_object_get(res, "trials"));
	size_t ci, k;

	json_array_foreach(json_object_get(res, "configurations"), ci, c)
		json_array_foreach(json_object_get(c, "results"), k, r) {
			double sp = cell_spread_pct(r);
			if (sp > widest) {
				widest = sp;
				results_size(r, " B", at_size, sizeof(at_size));
			}
			if (!trials)
				trials = json_integer_value(json_object_get(r, "trials"));
		}
	if (widest > COMPARE_NOISY_SPREAD_PCT)
		json_array_append_new(why, json_sprintf("its trials spread %.0f%% at %s (more than %.0f%%)", widest,
							at_size, COMPARE_NOISY_SPREAD_PCT));
	o = json_pack("{s:I, s:f, s:o, s:o}", "trials", (json_int_t)trials, "max_spread_pct", widest, "idle_busy_pct",
		      json_null(), "steal_pct", json_null());
	if (json_is_object(json_object_get(load, "idle_before"))) {
		double busy = num(json_object_get(load, "idle_before"), "busy_pct");
		json_object_set_new(o, "idle_busy_pct", json_real(busy));
		if (busy > COMPARE_NOISY_BUSY_PCT)
			json_array_append_new(why, json_sprintf("others kept the host %.0f%% busy before it started", busy));
	}
	if (json_is_object(json_object_get(load, "during"))) {
		double steal = num(json_object_get(load, "during"), "steal_pct");
		json_object_set_new(o, "steal_pct", json_real(steal));
		if (steal > COMPARE_NOISY_STEAL_PCT)
			json_array_append_new(why, json_sprintf("the hypervisor stole %.1f%% of the CPU time", steal));
	}
	json_object_set_new(o, "noisy", json_boolean(json_array_size(why) > 0));
	json_object_set_new(o, "why", why);
	return o;
}

static json_t *run_noise(const json_t *res, const json_t *env)
{
	return compare_noise(res, json_object_get(env, "host_load"));
}

/* One cell of both runs, judged against both spreads, in a comparison that is or is
 * not @too_noisy.  A difference is significant only when it exceeds both spreads; in a
 * comparison too noisy to trust, no verdict goes beyond "too noisy". */
static json_t *cell(const json_t *conf, const json_t *r, const json_t *s, double threshold_pct, bool too_noisy,
		    bool *regression)
{
	double x = num(r, "mpps"), y = num(s, "mpps"), d = y - x;
	double sa = num(r, "mpps_max") - num(r, "mpps_min"), sb = num(s, "mpps_max") - num(s, "mpps_min");
	long long ta = json_integer_value(json_object_get(r, "trials")), tb = json_integer_value(json_object_get(s, "trials"));
	double change = x > 0 ? 100 * d / x : 0;
	json_t *sig;
	const char *verdict;

	if (ta < 2 || tb < 2) {
		/* One sample has no spread: nothing says whether this is noise. */
		sig = json_null();
		verdict = "unknown (1 trial: noise not measured)";
	} else if (fabs(d) > sa && fabs(d) > sb) {
		sig = json_true();
		verdict = too_noisy ? "too noisy" : d > 0 ? "better" : "worse";
	} else {
		sig = json_false();
		verdict = "within noise";
	}
	/* One trial measured no noise: a gate still stops a drop beyond the threshold. */
	*regression = threshold_pct >= 0 && !too_noisy && change < -threshold_pct && !json_is_false(sig);
	return json_pack("{s:O, s:O, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:o, s:s, s:b}", "configuration", json_object_get(conf, "name"),
			 "size", json_object_get(r, "size"), "a_mpps", x, "b_mpps", y, "ratio", x > 0 ? y / x : 0, "change_pct",
			 change, "a_spread_mpps", sa, "b_spread_mpps", sb, "noise_mpps", sa > sb ? sa : sb, "significant", sig,
			 "verdict", verdict, "regression", *regression);
}

/* What a result measured, as a string for comparing two runs: its metric, and a
 * search's loss threshold. */
static const char *cell_metric(const json_t *res)
{
	const json_t *r = json_array_get(json_object_get(json_array_get(json_object_get(res, "configurations"), 0), "results"), 0);

	return str(r, "metric");
}

/* The keys whose values say two runs measured different things; each into @out with
 * both values. */
static void differing_measures(const json_t *ra, const json_t *rb, json_t *out)
{
	static const char *const keys[] = { "name", "mode", "search", NULL };
	char la[32], lb[32];

	for (size_t i = 0; keys[i]; i++)
		if (strcmp(str(ra, keys[i]), str(rb, keys[i])))
			json_array_append_new(out, json_pack("{s:s, s:s, s:s}", "key", !strcmp(keys[i], "name") ? "profile" : keys[i],
							     "a", str(ra, keys[i]), "b", str(rb, keys[i])));
	snprintf(la, sizeof(la), "%g", num(ra, "loss_threshold_pct"));
	snprintf(lb, sizeof(lb), "%g", num(rb, "loss_threshold_pct"));
	if (strcmp(la, lb))
		json_array_append_new(out, json_pack("{s:s, s:s, s:s}", "key", "loss_threshold_pct", "a", la, "b", lb));
	if (strcmp(cell_metric(ra), cell_metric(rb)))
		json_array_append_new(out, json_pack("{s:s, s:s, s:s}", "key", "metric", "a", cell_metric(ra), "b",
						     cell_metric(rb)));
}

json_t *compare_runs(const json_t *ra, const json_t *ea, const json_t *rb, const json_t *eb, double threshold_pct,
		     bool force)
{
	json_t *out = json_pack("{s:[], s:[], s:[], s:{s:o, s:o}, s:o}", "cells", "fingerprint_differs", "not_comparable",
				"runs", "a", run_noise(ra, ea), "b", run_noise(rb, eb), "threshold_pct",
				threshold_pct >= 0 ? json_real(threshold_pct) : json_null());
	const json_t *c, *d, *r, *s, *runs = json_object_get(out, "runs");
	unsigned regressions = 0;
	size_t ci, cj, k, kk;
	bool too_noisy = json_is_true(json_object_get(json_object_get(runs, "a"), "noisy")) ||
			 json_is_true(json_object_get(json_object_get(runs, "b"), "noisy"));
	bool different;

	for (size_t i = 0; fingerprint_keys[i]; i++) {
		const char *va = str(ea, fingerprint_keys[i]), *vb = str(eb, fingerprint_keys[i]);
		if (strcmp(va, vb))
			json_array_append_new(json_object_get(out, "fingerprint_differs"),
					      json_pack("{s:s, s:s, s:s}", "key", fingerprint_keys[i], "a", va, "b", vb));
	}
	differing_measures(ra, rb, json_object_get(out, "not_comparable"));
	different = json_array_size(json_object_get(out, "not_comparable")) > 0 && !force;
	json_array_foreach(json_object_get(ra, "configurations"), ci, c)
		json_array_foreach(json_object_get(rb, "configurations"), cj, d) {
			if (!json_equal(json_object_get(c, "name"), json_object_get(d, "name")))
				continue;
			json_array_foreach(json_object_get(c, "results"), k, r)
				json_array_foreach(json_object_get(d, "results"), kk, s) {
					bool reg;
					json_t *x;
					if (!json_equal(json_object_get(r, "size"), json_object_get(s, "size")))
						continue;
					x = cell(c, r, s, different ? -1 : threshold_pct, too_noisy, &reg);
					if (different)
						json_object_set_new(x, "verdict", json_string("not comparable"));
					json_array_append_new(json_object_get(out, "cells"), x);
					regressions += reg;
				}
		}
	json_object_set_new(out, "forced", json_boolean(force && json_array_size(json_object_get(out, "not_comparable"))));
	json_object_set_new(out, "too_noisy", json_boolean(too_noisy));
	json_object_set_new(out, "regressions", json_integer(regressions));
	json_object_set_new(out, "verdict", json_string(different || too_noisy ? "cannot tell"
							: regressions ? "regression" : "no regression"));
	return out;
}

static void print_noise(const char *label, const char *dir, const json_t *n)
{
	const json_t *w;
	size_t i;

	char e[512];

	printf("%s (%s): %lld trial%s per cell, widest spread %.1f%%", label, esc(dir, e, sizeof(e)), json_integer_value(json_object_get(n, "trials")),
	       json_integer_value(json_object_get(n, "trials")) == 1 ? "" : "s", num(n, "max_spread_pct"));
	if (json_is_number(json_object_get(n, "idle_busy_pct")))
		printf(", host %.0f%% busy before, %.1f%% steal", num(n, "idle_busy_pct"), num(n, "steal_pct"));
	printf("\n");
	json_array_foreach(json_object_get(n, "why"), i, w)
		printf("  too noisy: %s\n", json_string_value(w));
}

void compare_print(const json_t *cmp, const char *a, const char *b)
{
	const json_t *r, *runs = json_object_get(cmp, "runs");
	char e1[512], e2[512], sz[64];
	size_t k;

	printf("%-16s %6s %10s %10s %8s %10s  %s\n", "configuration", "size", "A Mpps", "B Mpps", "B/A", "noise Mpps", "verdict");
	json_array_foreach(json_object_get(cmp, "cells"), k, r)
		printf("%-16s %6s %10.3f %10.3f %8.3f %10.3f  %s%s\n", esc(str(r, "configuration"), e1, sizeof(e1)),
		       esc(results_size(r, "", sz, sizeof(sz)), e2, sizeof(e2)), num(r, "a_mpps"), num(r, "b_mpps"), num(r, "ratio"),
		       num(r, "noise_mpps"), str(r, "verdict"), json_is_true(json_object_get(r, "regression")) ? "  REGRESSION" : "");
	print_noise("A", a, json_object_get(runs, "a"));
	print_noise("B", b, json_object_get(runs, "b"));
	if (json_array_size(json_object_get(cmp, "not_comparable"))) {
		printf("not comparable: the runs measured different things%s\n",
		       json_is_true(json_object_get(cmp, "forced")) ? " (compared anyway: --force)" : "");
		json_array_foreach(json_object_get(cmp, "not_comparable"), k, r)
			printf("  %s: %s  vs  %s\n", str(r, "key"), esc(str(r, "a"), e1, sizeof(e1)), esc(str(r, "b"), e2, sizeof(e2)));
	}
	if (json_is_true(json_object_get(cmp, "too_noisy")))
		printf("too noisy to compare: a difference here may be the host, not the change (run again on a quiet host, more trials)\n");
	if (json_array_size(json_object_get(cmp, "fingerprint_differs")) == 0) {
		printf("fingerprints: the same host, software and settings\n");
	} else {
		printf("fingerprints differ (compare with care):\n");
		json_array_foreach(json_object_get(cmp, "fingerprint_differs"), k, r)
			printf("  %s: %s  vs  %s\n", str(r, "key"), esc(str(r, "a"), e1, sizeof(e1)), esc(str(r, "b"), e2, sizeof(e2)));
	}
	if (json_is_number(json_object_get(cmp, "threshold_pct"))) {
		if (!strcmp(str(cmp, "verdict"), "cannot tell"))
			printf("cannot tell whether B is worse than A by more than %g%%: %s\n", num(cmp, "threshold_pct"),
			       json_is_true(json_object_get(cmp, "too_noisy")) ? "too noisy to compare" : "not comparable");
		else
			printf("%lld cell%s worse by more than %g%% and beyond the noise\n",
			       json_integer_value(json_object_get(cmp, "regressions")),
			       json_integer_value(json_object_get(cmp, "regressions")) == 1 ? "" : "s", num(cmp, "threshold_pct"));
	}
}

/* The cell of @res for configuration @name and @size, or NULL. */
static const json_t *find_cell(const json_t *res, const json_t *name, const json_t *size)
{
	const json_t *c, *r;
	size_t i, k;

	json_array_foreach(json_object_get(res, "configurations"), i, c) {
		if (!json_equal(json_object_get(c, "name"), name))
			continue;
		json_array_foreach(json_object_get(c, "results"), k, r)
			if (json_equal(json_object_get(r, "size"), size))
				return r;
	}
	return NULL;
}

/* Has @cells a cell for @name and @size already? */
static bool have_cell(const json_t *cells, const json_t *name, const json_t *size)
{
	const json_t *x;
	size_t i;

	json_array_foreach(cells, i, x)
		if (json_equal(json_object_get(x, "configuration"), name) && json_equal(json_object_get(x, "size"), size))
			return true;
	return false;
}

json_t *compare_many(json_t *const *res, json_t *const *env, const char *const *labels, const char *const *dirs,
		     unsigned n)
{
	json_t *out = json_pack("{s:[], s:[], s:[]}", "runs", "cells", "fingerprint_differs");
	bool noisy = false;

	if (!out)
		return NULL;
	for (unsigned i = 0; i < n; i++) {
		json_t *noise = run_noise(res[i], env[i]);
		noisy |= json_is_true(json_object_get(noise, "noisy"));
		json_array_append_new(json_object_get(out, "runs"),
				      json_pack("{s:s, s:s, s:o}", "label", labels[i], "dir", dirs[i], "noise", noise));
	}
	/* Every cell of any run, in the order the runs have them. */
	for (unsigned i = 0; i < n; i++) {
		const json_t *c, *r;
		size_t ci, k;
		json_array_foreach(json_object_get(res[i], "configurations"), ci, c)
			json_array_foreach(json_object_get(c, "results"), k, r) {
				const json_t *name = json_object_get(c, "name"), *size = json_object_get(r, "size");
				json_t *mpps, *spread;
				double lo = 0, hi = 0;
				if (have_cell(json_object_get(out, "cells"), name, size))
					continue;
				mpps = json_array();
				spread = json_array();
				for (unsigned j = 0; j < n; j++) {
					const json_t *x = find_cell(res[j], name, size);
					double m = num(x, "mpps");
					json_array_append_new(mpps, x ? json_real(m) : json_null());
					json_array_append_new(spread, x ? json_real(num(x, "mpps_max") - num(x, "mpps_min")) : json_null());
					if (x && (lo == 0 || m < lo))
						lo = m;
					if (x && m > hi)
						hi = m;
				}
				json_array_append_new(json_object_get(out, "cells"),
						      json_pack("{s:O, s:O, s:o, s:o, s:o}", "configuration", name, "size", size, "mpps",
								mpps, "spread_mpps", spread, "max_over_min",
								lo > 0 ? json_real(hi / lo) : json_null()));
			}
	}
	for (size_t k = 0; fingerprint_keys[k]; k++) {
		json_t *values = json_array();
		bool differs = false;
		for (unsigned i = 0; i < n; i++) {
			json_array_append_new(values, json_string(str(env[i], fingerprint_keys[k])));
			differs |= strcmp(str(env[i], fingerprint_keys[k]), str(env[0], fingerprint_keys[k])) != 0;
		}
		if (differs)
			json_array_append_new(json_object_get(out, "fingerprint_differs"),
					      json_pack("{s:s, s:o}", "key", fingerprint_keys[k], "values", values));
		else
			json_decref(values);
	}
	json_object_set_new(out, "too_noisy", json_boolean(noisy));
	return out;
}

void compare_print_many(const json_t *cmp)
{
	const json_t *runs = json_object_get(cmp, "runs"), *r, *x;
	char e[512], sz[64];
	size_t i, k;
	int w = 10;

	/* Columns as wide as the longest label (hostnames), at least 10. */
	json_array_foreach(runs, i, r) {
		int l = (int)strlen(esc(str(r, "label"), e, sizeof(e)));
		if (l > w)
			w = l;
	}
	if (w > 40)
		w = 40;
	printf("Mpps per direction, a column per run\n%-16s %6s", "configuration", "size");
	json_array_foreach(runs, i, r)
		printf(" %*.*s", w, w, esc(str(r, "label"), e, sizeof(e)));
	printf(" %8s\n", "max/min");
	json_array_foreach(json_object_get(cmp, "cells"), i, r) {
		char e2[512];
		printf("%-16s %6s", esc(str(r, "configuration"), e, sizeof(e)),
		       esc(results_size(r, "", sz, sizeof(sz)), e2, sizeof(e2)));
		json_array_foreach(json_object_get(r, "mpps"), k, x) {
			if (json_is_number(x))
				printf(" %*.3f", w, json_number_value(x));
			else
				printf(" %*s", w, "-");
		}
		if (json_is_number(json_object_get(r, "max_over_min")))
			printf(" %8.3f\n", num(r, "max_over_min"));
		else
			printf(" %8s\n", "-");
	}
	json_array_foreach(runs, i, r)
		print_noise(str(r, "label"), str(r, "dir"), json_object_get(r, "noise"));
	if (json_is_true(json_object_get(cmp, "too_noisy")))
		printf("too noisy to compare: a difference here may be the host, not the change (run again on a quiet host, more trials)\n");
	if (json_array_size(json_object_get(cmp, "fingerprint_differs")) == 0) {
		printf("fingerprints: the same host model, software and settings\n");
		return;
	}
	printf("fingerprints differ (compare with care):\n");
	json_array_foreach(json_object_get(cmp, "fingerprint_differs"), i, r) {
		printf("  %s:\n", str(r, "key"));
		json_array_foreach(json_object_get(r, "values"), k, x) {
			char l[512];
			printf("    %-*s  %s\n", w, esc(str(json_array_get(runs, k), "label"), l, sizeof(l)),
			       esc(json_string_value(x) ?: "", e, sizeof(e)));
		}
	}
}
