/* SPDX-License-Identifier: BSD-3-Clause */
/* The rate search (bench/search.c) against fake paths and fake senders: a policer, a
 * path whose loss grows past a rate, a path that loses now and then below it, a
 * sender that loses its CPU at random, a sender that cannot reach a rate.  What it
 * must never do: call a rate the limit where nothing was lost, or report bounds that
 * say more than the trials showed. */
#include <math.h>

#include "bench/search.h"
#include "unit.h"

/* A fake path and sender. */
struct fake {
	double policer;        /* pps the path carries; above it, what exceeds is lost */
	double max;            /* what the sender sends unpaced */
	double ceiling;        /* the most it can pace (0: max) */
	double stall;          /* chance a paced trial loses its CPU for a while: sends 2 % less */
	bool starve;           /* and while off its CPU it did not receive: it loses what arrived then */
	unsigned stall_first;  /* the first paced trials that do so, whatever the chance */
	double flaky;          /* chance a trial below the policer loses anyway (0.1 %) */
	double pdr_slope;      /* > 0: loss above the policer grows slowly ((sent - policer) / sent * slope) */
	unsigned seed;
	int stop_after;        /* > 0: the callback stops the search at this trial */
	int fail_at;           /* > 0: this trial fails */
	unsigned n;
	double asked[128];
};

static double rnd(struct fake *f)
{
	f->seed = f->seed * 1103515245u + 12345u;
	return (double)((f->seed >> 8) & 0xffff) / 65536.0;
}

static int fake_trial(void *ctx, double asked, struct search_trial *t)
{
	struct fake *f = ctx;
	const double ceiling = f->ceiling > 0 ? f->ceiling : f->max;
	double sent;

	f->n++;
	if (f->stop_after && (int)f->n >= f->stop_after)
		return -1;
	if (f->n <= 128)
		f->asked[f->n - 1] = asked;
	if (f->fail_at && (int)f->n == f->fail_at) {
		t->failed = true;
		return 0;
	}
	sent = asked > 0 ? (asked < ceiling ? asked : ceiling) : f->max;
	bool stalled = asked > 0 && (f->stall_first ? (f->stall_first--, true) : rnd(f) < f->stall);
	if (stalled)
		sent *= 0.98;
	t->asked = asked;
	t->offered = sent;
	t->limited = asked > 0 && sent < asked * 0.99;
	t->skipped = stalled ? (uint64_t)(asked - sent) : 0;
	if (sent > f->policer)
		t->loss_pct = f->pdr_slope > 0 ? 100 * (sent - f->policer) / sent * f->pdr_slope
					       : 100 * (sent - f->policer) / sent;
	else
		t->loss_pct = rnd(f) < f->flaky ? 0.1 : 0;
	/* One second of frames: what was lost, and what a starved receiver lost besides
	 * (no more than the frames that came while it was off its CPU). */
	t->lost = (uint64_t)(t->loss_pct / 100 * sent);
	if (stalled && f->starve) {
		t->lost += t->skipped / 2;
		t->loss_pct = 100.0 * (double)t->lost / sent;
	}
	return 0;
}

static const struct search_cfg NDR = { .threshold_pct = 0, .precision_pct = 1, .max_trials = 40, .retries = 2 };

/* A policer and a sender that keeps its pace: the rate is the policer's, within the
 * precision; the upper bound is a rate that lost; conclusive, the path is the limit. */
static void test_policer(void **state)
{
	struct fake f = { .policer = 1e6, .max = 3e6 };
	struct search_result r;

	(void)state;
	assert_int_equal(search_run(&NDR, fake_trial, &f, &r), 0);
	assert_true(r.rate <= 1e6 && r.rate >= 1e6 - r.precision);
	assert_true(r.upper > 1e6 && r.upper - r.lower <= r.precision);
	assert_false(r.inconclusive);
	assert_int_equal(r.limit, SEARCH_LIMIT_PATH);
	assert_true(r.best > 0);
	assert_true(r.first_loss == 3e6);
	assert_int_equal(r.limited, 0);
	assert_true(r.paced_ceiling == r.rate || r.paced_ceiling > r.rate);
}

/* The sender loses its CPU at random (2 % short of its pace, a third of the paced
 * trials): over many runs, no upper bound is ever a rate without loss (the policer's
 * rate or below), the lower bound never above the policer, and each result is either
 * within the precision of the policer or says it is inconclusive. */
static void test_stalling_sender_never_a_false_upper_bound(void **state)
{
	(void)state;
	for (unsigned seed = 1; seed <= 300; seed++) {
		struct fake f = { .policer = 1e6, .max = 14e6, .stall = 0.33, .seed = seed };
		struct search_result r;
		assert_int_equal(search_run(&NDR, fake_trial, &f, &r), 0);
		assert_true(r.upper > 1e6);
		assert_true(r.lower <= 1e6);
		if (!r.inconclusive)
			assert_true(r.lower >= 1e6 - r.precision);
		/* Three stalls in a row at one rate: the sender is called the limit there,
		 * and the result says it is not conclusive. */
		if (r.limit == SEARCH_LIMIT_GENERATOR)
			assert_true(r.unreached > 0 && r.inconclusive);
	}
}

/* A sender that loses its CPU now and then and, off its CPU, does not receive either:
 * the loss of those trials is its own (no more than the slots it skipped), so it never
 * bounds the path from above, however often it happens; the search says inconclusive
 * where no clean trial could be had. */
static void test_starved_receiver_is_not_the_path(void **state)
{
	(void)state;
	for (unsigned seed = 1; seed <= 300; seed++) {
		struct fake f = { .policer = 1e6, .max = 14e6, .stall = 0.5, .starve = true, .seed = seed };
		struct search_result r;
		assert_int_equal(search_run(&NDR, fake_trial, &f, &r), 0);
		assert_true(r.upper > 1e6);
		assert_true(r.lower <= 1e6);
		if (!r.inconclusive)
			assert_true(r.lower >= 1e6 - r.precision);
		else
			assert_true(r.unreached > 0 || r.trials >= NDR.max_trials);
	}
}

/* The case: loss at the maximum rate (14.22 Mpps), the path's limit at 13.5;
 * the first paced step (7.11) falls short of its pace without loss.  That trial is run
 * again, not taken for the limit: the search goes on up to 13.5. */
static void test_short_pace_is_run_again(void **state)
{
	struct fake f = { .policer = 13.5e6, .max = 14.22e6, .stall_first = 1 };
	struct fake g = { .policer = 13.5e6, .max = 14.22e6, .stall = 0.6, .seed = 3 };
	struct search_result r;
	char note[512];

	(void)state;
	assert_int_equal(search_run(&NDR, fake_trial, &f, &r), 0);
	assert_true(f.asked[1] > 7.1e6 && f.asked[1] < 7.12e6);
	assert_true(f.asked[2] == f.asked[1]); /* the same rate again */
	assert_true(r.rate > 13.5e6 - r.precision && r.rate <= 13.5e6);
	assert_false(r.inconclusive);
	assert_int_equal(r.limited, 1);
	assert_int_equal(r.retried, 1);
	search_note(&r, &NDR, note, sizeof(note));
	assert_non_null(strstr(note, "the sender fell behind its pace 1 time ("));
	assert_non_null(strstr(note, "run again at the same rate"));
	assert_non_null(strstr(note, "loss first seen at 14.220 Mpps"));
	/* A stall in most paced trials: still no bound where nothing was lost. */
	assert_int_equal(search_run(&NDR, fake_trial, &g, &r), 0);
	assert_true(r.upper > 13.5e6);
	assert_true(r.lower <= 13.5e6);
	assert_true(r.limited > 0 && r.retried > 0);
}

/* A sender that cannot pace beyond 5 Mpps, against a path that loses only beyond 10:
 * the search stops at the sender's ceiling, calls the generator the limit, is
 * inconclusive, and keeps the upper bound at the rate that really lost (the max). */
static void test_sender_ceiling(void **state)
{
	struct fake f = { .policer = 10e6, .max = 14e6, .ceiling = 5e6 };
	struct search_result r;
	char note[512];

	(void)state;
	assert_int_equal(search_run(&NDR, fake_trial, &f, &r), 0);
	assert_int_equal(r.limit, SEARCH_LIMIT_GENERATOR);
	assert_true(r.inconclusive);
	assert_true(r.rate == 5e6);
	assert_true(r.upper == 14e6);
	assert_true(r.unreached > 5e6);
	assert_true(r.unreached_sent == 5e6);
	search_note(&r, &NDR, note, sizeof(note));
	assert_non_null(strstr(note, "no clean trial at"));
	assert_non_null(strstr(note, "at least 5.000 Mpps"));
	assert_non_null(strstr(note, "not narrowed"));
}

/* The path carries everything the sender sends: no upper bound (none was seen),
 * inconclusive, the generator the limit, the rate the maximum. */
static void test_path_faster_than_sender(void **state)
{
	struct fake f = { .policer = 50e6, .max = 14e6 };
	struct search_result r;
	char note[512];

	(void)state;
	assert_int_equal(search_run(&NDR, fake_trial, &f, &r), 0);
	assert_true(r.upper < 0);
	assert_true(r.inconclusive);
	assert_int_equal(r.limit, SEARCH_LIMIT_GENERATOR);
	assert_true(r.rate == 14e6);
	assert_int_equal(r.best, 0);
	assert_int_equal(r.trials, 1);
	search_note(&r, &NDR, note, sizeof(note));
	assert_non_null(strstr(note, "a faster sender may find more"));
}

/* PDR: loss grows slowly past the policer; the rate found is where it crosses the
 * threshold (0.5 %), not the policer. */
static void test_pdr(void **state)
{
	struct fake f = { .policer = 1e6, .max = 3e6, .pdr_slope = 0.1 };
	struct search_cfg c = NDR;
	struct search_result r;

	(void)state;
	c.threshold_pct = 0.5;
	assert_int_equal(search_run(&c, fake_trial, &f, &r), 0);
	/* 100 * (x - 1e6) / x * 0.1 = 0.5  ->  x = 1e6 / 0.95 */
	assert_true(fabs(r.rate - 1e6 / 0.95) <= r.precision);
	assert_false(r.inconclusive);
}

/* A path that loses now and then below its limit (0.1 % of trials, then 30 %): the
 * bounds stay ordered, the rate is a trial that held, and losses below a held rate
 * are counted. */
static void test_inconsistent_path(void **state)
{
	(void)state;
	for (unsigned seed = 1; seed <= 100; seed++) {
		struct fake f = { .policer = 1e6, .max = 3e6, .flaky = 0.3, .seed = seed };
		struct search_result r;
		assert_int_equal(search_run(&NDR, fake_trial, &f, &r), 0);
		assert_true(r.upper >= 0);
		assert_true(r.lower < r.upper);
		assert_true(r.rate == r.lower);
		assert_true(r.best >= 0 || r.rate == 0);
		assert_true(r.trials <= NDR.max_trials);
	}
}

/* A failed trial ends the search with no result; so does the callback's stop. */
static void test_failed_and_stopped(void **state)
{
	struct fake f = { .policer = 1e6, .max = 3e6, .fail_at = 3 };
	struct fake g = { .policer = 1e6, .max = 3e6, .stop_after = 4 };
	struct search_result r;
	char note[256];

	(void)state;
	assert_int_equal(search_run(&NDR, fake_trial, &f, &r), -1);
	assert_true(r.failed);
	assert_int_equal(r.trials, 3);
	search_note(&r, &NDR, note, sizeof(note));
	assert_string_equal(note, "a trial failed after 3 trials: no result");
	assert_int_equal(search_run(&NDR, fake_trial, &g, &r), -1);
	assert_true(r.stopped);
}

/* The trials are bounded, retries included. */
static void test_bounded(void **state)
{
	struct fake f = { .policer = 1e6, .max = 14e6, .stall = 0.9, .seed = 5 };
	struct search_cfg c = NDR;
	struct search_result r;

	(void)state;
	c.max_trials = 10;
	c.precision_pct = 0.001;
	assert_int_equal(search_run(&c, fake_trial, &f, &r), 0);
	assert_true(r.trials <= 10);
	assert_true(r.inconclusive);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policer),
		cmocka_unit_test(test_stalling_sender_never_a_false_upper_bound),
		cmocka_unit_test(test_starved_receiver_is_not_the_path),
		cmocka_unit_test(test_short_pace_is_run_again),
		cmocka_unit_test(test_sender_ceiling),
		cmocka_unit_test(test_path_faster_than_sender),
		cmocka_unit_test(test_pdr),
		cmocka_unit_test(test_inconsistent_path),
		cmocka_unit_test(test_failed_and_stopped),
		cmocka_unit_test(test_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
