/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The rate search (RFC 2544 throughput; CSIT's NDR and PDR), judged on what the
 * sender achieved, not on what it was asked: the highest rate *sent* whose loss held
 * within the threshold.  No DPDK: the caller runs each trial through a callback,
 * so unit tests drive the search with fake paths.
 *
 * The rules, as the references judge trials (CSIT's MLRsearch takes care of
 * inconsistent ones):
 * - a trial whose loss held raises the lower bound to what it sent;
 * - only a trial whose loss exceeded the threshold sets the upper bound (to what it
 *   sent): a trial that merely fell short of its pace proves nothing above what it sent;
 * - a trial without loss that fell short of its pace (sender-limited), or one whose
 *   loss was no more than the slots its sender skipped (while it was off its CPU it
 *   did not receive either: the loss may be its own), is run again at the same rate,
 *   a bounded number of times; only a clean trial decides the step, and a rate that
 *   never gets one is where the generator, not the path, stopped the search (loss
 *   beyond what the sender's stall explains is the path's, at the rate it sent);
 * - the generator's paced ceiling is measured (the highest rate it paced right), and a
 *   rate it never reached after the retries ends the search there;
 * - a loss below a rate that held (an inconsistent path) moves the lower bound down
 *   to the highest rate that held below it;
 * - a search that never saw loss at a rate it could send, or that stopped before its
 *   bounds met the precision, is inconclusive, and says why.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What one trial showed. */
struct search_trial {
	double asked;           /* pps asked; 0: as fast as the sender can */
	double offered;         /* pps it sent */
	double loss_pct;        /* of what it sent */
	uint64_t lost;          /* frames lost */
	bool limited;           /* it sent less than asked, beyond the tolerance */
	uint64_t skipped;       /* pacer slots it fell behind by (it lost its CPU for that long) */
	bool failed;            /* it measured nothing (the peer went away, nothing sent) */
};

struct search_cfg {
	double threshold_pct;   /* the loss allowed: 0 for NDR */
	double precision_pct;   /* the search ends when upper - lower is within this share of the upper bound */
	unsigned max_trials;    /* trials at most, the maximum-rate one included */
	unsigned retries;       /* runs again of a sender-limited trial at the same rate */
};

enum search_limit {
	SEARCH_LIMIT_PATH,      /* loss above the threshold at a rate sent: the path's limit */
	SEARCH_LIMIT_GENERATOR, /* the sender could not send a rate at which the path lost */
};

struct search_result {
	double rate;            /* the highest rate sent whose loss held; 0: none */
	int best;               /* that trial's index (the callback's order, from 0), or -1 */
	double lower;           /* = rate */
	double upper;           /* the lowest rate sent, above lower, at which loss exceeded the threshold; < 0: never seen */
	double first_loss;      /* the first rate sent at which loss exceeded the threshold; < 0: never */
	double max;             /* what the maximum-rate trial sent */
	double precision;       /* pps: precision_pct of the upper bound (of max when there is none) */
	double paced_ceiling;   /* the highest rate the sender paced right (0: none) */
	double unreached;       /* a rate asked that it could not pace after every retry; 0: none */
	double unreached_sent;  /* the most it sent when asked that rate */
	unsigned trials;        /* trials run, retries included */
	unsigned limited;       /* of them sender-limited */
	unsigned retried;       /* of them runs again */
	unsigned inconsistent;  /* losses below a rate that had held */
	unsigned suspect;       /* lossy trials whose loss the sender's own stall could explain */
	uint64_t skipped;       /* pacer slots missed over all trials */
	enum search_limit limit;
	bool inconclusive;      /* the bounds did not meet the precision, or no loss was seen */
	bool failed;            /* a trial failed: no result */
	bool stopped;           /* the callback asked to stop (interrupted): no result */
};

/* Run one trial at @asked pps (0: as fast as the sender can) into @t.  0, or -1 to stop
 * the search (interrupted, an error). */
typedef int (*search_trial_fn)(void *ctx, double asked, struct search_trial *t);

/* Search with @cfg, running trials through @run; the outcome in @r.  0, or -1 when no
 * result could be had (r->failed or r->stopped says which). */
int search_run(const struct search_cfg *cfg, search_trial_fn run, void *ctx, struct search_result *r);

/* What the search observed, in one sentence for a reader ("the sender fell behind its
 * pace 3 times (84 284 slots skipped), each run again; the zero-loss rate is at least
 * 7.03 Mpps and below 7.11; loss first seen at 14.22 Mpps"), into @buf.  The length
 * written, as snprintf. */
int search_note(const struct search_result *r, const struct search_cfg *cfg, char *buf, size_t len);
