/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>
#include <string.h>

#include "bench/search.h"

#define MAX_LOG 256             /* trials remembered (for inconsistent paths) */

struct state {
	const struct search_cfg *cfg;
	search_trial_fn run;
	void *ctx;
	struct search_result *r;
	struct { double offered; bool held; } log[MAX_LOG];
};

/* One trial at @asked: counted, failed or stopped said.  0, or -1. */
static int trial(struct state *s, double asked, struct search_trial *t)
{
	struct search_result *r = s->r;
	const int idx = (int)r->trials;

	memset(t, 0, sizeof(*t));
	if (s->run(s->ctx, asked, t) < 0) {
		r->stopped = true;
		return -1;
	}
	r->trials++;
	if (t->failed) {
		r->failed = true;
		return -1;
	}
	r->skipped += t->skipped;
	if (t->limited)
		r->limited++;
	else if (asked > 0 && t->offered > r->paced_ceiling)
		r->paced_ceiling = t->offered;
	if (idx < MAX_LOG) {
		s->log[idx].offered = t->offered;
		s->log[idx].held = t->loss_pct <= s->cfg->threshold_pct;
	}
	return idx;
}

/* A rate that held: the lower bound rises to what was sent. */
static void held(struct search_result *r, int idx, double sent)
{
	if (sent > r->lower) {
		r->lower = r->rate = sent;
		r->best = idx;
	}
}

/* Loss beyond the threshold at @sent: the upper bound comes down to it.  A loss at or
 * below the lower bound means the path is not consistent: the lower bound moves down
 * to the highest rate that held below @sent. */
static void lost(struct state *s, double sent)
{
	struct search_result *r = s->r;
	const unsigned n = r->trials < MAX_LOG ? r->trials : MAX_LOG;

	if (r->first_loss < 0)
		r->first_loss = sent;
	if (r->upper < 0 || sent < r->upper)
		r->upper = sent;
	if (sent > r->lower)
		return;
	r->inconsistent++;
	r->lower = r->rate = 0;
	r->best = -1;
	for (unsigned i = 0; i < n; i++)
		if (s->log[i].held && s->log[i].offered < sent && s->log[i].offered > r->lower) {
			r->lower = r->rate = s->log[i].offered;
			r->best = (int)i;
		}
}

/* Has the search narrowed enough: its bounds within @pct % of the upper one (CSIT's
 * relative width goal: a policer at 0.5 Mpps is found to 0.5 % of 0.5 Mpps, not of a
 * maximum rate sixty times higher)?  (No rate held yet: go on down to a thousandth of
 * the maximum -- "0 Mpps" is not a result.)  r->precision is the width goal now. */
static bool done(struct search_result *r, double pct)
{
	r->precision = (r->upper >= 0 ? r->upper : r->max) * pct / 100;
	if (r->best < 0)
		return r->upper >= 0 && r->upper <= r->max / 1000;
	return r->upper >= 0 && r->upper - r->lower <= r->precision;
}

int search_run(const struct search_cfg *cfg, search_trial_fn run, void *ctx, struct search_result *r)
{
	struct state s = { .cfg = cfg, .run = run, .ctx = ctx, .r = r };
	struct search_trial t;
	int idx;

	memset(r, 0, sizeof(*r));
	r->best = -1;
	r->upper = r->first_loss = -1;
	/* The maximum rate first: what the sender can do, and whether the path loses there. */
	if ((idx = trial(&s, 0, &t)) < 0)
		return -1;
	r->max = t.offered;
	if (t.loss_pct <= cfg->threshold_pct)
		held(r, idx, t.offered);
	else
		lost(&s, t.offered);
	while (r->upper >= 0 && !done(r, cfg->precision_pct) && r->trials < cfg->max_trials) {
		const double mid = (r->lower + r->upper) / 2;
		bool clean = false;
		double most = 0;
		for (unsigned a = 0; a <= cfg->retries && r->trials < cfg->max_trials; a++) {
			bool lossy, suspect;
			if ((idx = trial(&s, mid, &t)) < 0)
				return -1;
			if (a > 0)
				r->retried++;
			lossy = t.loss_pct > cfg->threshold_pct;
			/* Loss its sender's own stall could explain proves nothing of the path;
			 * loss beyond it does, at the rate sent (paced or not). */
			suspect = lossy && t.skipped > 0 && t.lost <= t.skipped;
			if (!lossy)
				held(r, idx, t.offered);
			else if (suspect)
				r->suspect++;
			if (t.offered > most)
				most = t.offered;
			if (lossy ? !suspect : !t.limited) {
				clean = true;
				break;
			}
		}
		/* Only a clean trial's loss bounds the path from above. */
		if (clean && t.loss_pct > cfg->threshold_pct) {
			lost(&s, t.offered);
		} else if (!clean) {
			/* Never clean at this rate: the sender's limit, not the path's.  Nothing
			 * between what held and the upper bound can be told apart. */
			r->unreached = mid;
			r->unreached_sent = most;
			break;
		}
	}
	if (r->upper < 0) {
		/* The fastest the sender could send held: the path carries at least that. */
		done(r, cfg->precision_pct);
		r->limit = SEARCH_LIMIT_GENERATOR;
		r->inconclusive = true;
	} else {
		/* Bounds that met the precision are the path's, whatever the sender missed on
		 * the way; bounds the sender kept apart are the sender's. */
		r->inconclusive = !done(r, cfg->precision_pct);
		r->limit = r->unreached > 0 && r->inconclusive ? SEARCH_LIMIT_GENERATOR : SEARCH_LIMIT_PATH;
	}
	return 0;
}

int search_note(const struct search_result *r, const struct search_cfg *cfg, char *buf, size_t len)
{
	const char *what = cfg->threshold_pct > 0 ? "the rate with loss within the threshold" : "the zero-loss rate";
	int n = 0;

#define ADD(...)                                                                       \
	do {                                                                           \
		int k_ = snprintf(buf + n, (size_t)n < len ? len - (size_t)n : 0, __VA_ARGS__); \
		if (k_ > 0)                                                            \
			n += k_;                                                       \
	} while (0)
	if (len)
		buf[0] = '\0';
	if (r->failed || r->stopped) {
		ADD("%s after %u trials: no result", r->failed ? "a trial failed" : "stopped", r->trials);
		return n;
	}
	if (r->limited)
		ADD("the sender fell behind its pace %u time%s (%llu slots skipped)%s; ", r->limited, r->limited == 1 ? "" : "s",
		    (unsigned long long)r->skipped, r->retried ? ", run again at the same rate" : "");
	if (r->suspect)
		ADD("%u lossy trial%s lost no more than its sender's stall could explain, not taken for the path's loss; ",
		    r->suspect, r->suspect == 1 ? "" : "s");
	if (r->unreached > 0)
		ADD("no clean trial at %.3f Mpps in %u tries (it sent at most %.3f): the search stopped there; ",
		    r->unreached / 1e6, cfg->retries + 1, r->unreached_sent / 1e6);
	if (r->upper < 0) {
		ADD("the fastest the sender could send, %.3f Mpps, kept the loss within the threshold: %s is at least that "
		    "(a faster sender may find more)", r->max / 1e6, what);
		return n;
	}
	if (r->best < 0)
		ADD("no rate held: %s is below %.3f Mpps", what, r->upper / 1e6);
	else
		ADD("%s is at least %.3f Mpps", what, r->lower / 1e6);
	if (r->best < 0)
		ADD(", not narrowed further");
	else if (r->inconclusive)
		ADD(" and below %.3f, not narrowed to the precision (%.3f Mpps)", r->upper / 1e6, r->precision / 1e6);
	else
		ADD(" and below %.3f", r->upper / 1e6);
	ADD("; loss first seen at %.3f Mpps", r->first_loss / 1e6);
	if (r->inconsistent)
		ADD("; %u loss%s below a rate that had held (an inconsistent path: the lower rate kept)", r->inconsistent,
		    r->inconsistent == 1 ? "" : "es");
	return n;
#undef ADD
}
