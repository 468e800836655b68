/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/results.h"
#include "base/sbuf.h"
#include "bench/sweep.h"

static const char *str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key)) ?: "";
}

static double num(const json_t *o, const char *key)
{
	return json_number_value(json_object_get(o, key));
}

void sweep_line(struct sweep *s, const char *line)
{
	json_t *o = json_loads(line, 0, NULL);
	const char *type = str(o, "type");

	if (s->raw && !s->raw_error && fprintf(s->raw, "%s\n", line) < 0)
		s->raw_error = -(errno ? errno : EIO);
	if (json_is_string(json_object_get(o, "latency_hdr")) &&
	    (!strcmp(type, "latency") || (!strcmp(type, "trial") && json_is_number(json_object_get(o, "asked_pps")) &&
					  !json_object_get(o, "load_pct") && s->fixed_rate))) {
		char tag[96], sz[64];
		results_size(o, "B", sz, sizeof(sz));
		if (!strcmp(type, "latency"))
			snprintf(tag, sizeof(tag), "%s-load%g", sz, num(o, "load_pct"));
		else
			snprintf(tag, sizeof(tag), "%s-trial", sz);
		if (!s->intervals)
			s->intervals = json_array();
		json_array_append_new(s->intervals,
				      json_pack("{s:s, s:f, s:f, s:I, s:O}", "tag", tag, "time_s",
						/* the histogram covers the measured window, after the warm-up */
						(double)json_integer_value(json_object_get(o, "time_ms")) / 1000 + num(o, "warmup"),
						"duration", num(o, "duration"), "max_ns",
						json_integer_value(json_object_get(json_object_get(o, "latency_ns"), "max")), "hdr",
						json_object_get(o, "latency_hdr")));
	}
	if (!strcmp(type, "summary")) {
		json_decref(s->summary);
		s->summary = json_incref(json_object_get(o, "results"));
	} else if (!strcmp(type, "trial")) {
		const char *status = str(o, "status");
		char sz[64];
		results_size(o, " B", sz, sizeof(sz));
		s->started = true;
		s->trials++;
		if (!strcmp(status, "failed")) {
			if (!s->failed++)
				snprintf(s->why, sizeof(s->why), "%s", str(o, "reason"));
			fprintf(stderr, "%s: %uq %s: trial failed: %s\n", s->prog, s->queues, sz, str(o, "reason"));
		} else {
			fprintf(stderr, "%s: %uq %s: sent %.3f Mpps%s, received %.3f Mpps, %.4f%% loss%s\n", s->prog, s->queues,
				sz, num(o, "tx_mpps"),
				json_is_number(json_object_get(o, "asked_pps")) ? "" : " (max)", num(o, "rx_mpps"), num(o, "loss_pct"),
				json_is_true(json_object_get(o, "sender_limited")) ? " [sender-limited]" : "");
		}
	}
	json_decref(o);
}

/* One frame size's record from trafficgen's summary entry @x. */
static json_t *record(const json_t *x)
{
	/* The run (a search, or a trial) that gave the median, and what goes with it. */
	const json_t *last = json_object_get(x, "median_run"), *trial = last, *max = NULL;
	bool search = json_object_get(last, "trial") != NULL || !strcmp(str(last, "type"), "search");
	double pps = num(x, "median");
	/* A mix's bits are counted at its mean size (trafficgen says which). */
	double size = json_is_number(json_object_get(x, "avg_size")) ? num(x, "avg_size") : num(x, "size");
	json_t *r;

	if (search) {
		trial = json_object_get(last, "trial");
		max = json_object_get(last, "max_trial");
	} else if (!json_is_number(json_object_get(last, "asked_pps"))) {
		max = last; /* a trial at the maximum rate is its own max figure */
	}
	r = json_pack("{s:O, s:s, s:f, s:f, s:f, s:f, s:f, s:i}", "size", json_object_get(x, "size"), "metric", str(x, "metric"), "mpps",
		      pps / 1e6, "mpps_min", num(x, "min") / 1e6, "mpps_max", num(x, "max") / 1e6, "gbps_l1",
		      pps * (size + 20) * 8 / 1e9, "gbps_l2", pps * size * 8 / 1e9, "trials",
		      (int)json_integer_value(json_object_get(x, "trials")));
	if (!r)
		return NULL;
	json_object_set_new(r, "loss_pct", json_is_object(trial) ? json_real(num(trial, "loss_pct")) : json_null());
	json_object_set_new(r, "offered_mpps", json_is_object(trial) ? json_real(num(trial, "offered_pps") / 1e6) : json_null());
	json_object_set_new(r, "asked_mpps", json_is_number(json_object_get(trial, "asked_pps"))
						     ? json_real(num(trial, "asked_pps") / 1e6) : json_null());
	json_object_set_new(r, "sender_limited", json_boolean(json_is_true(json_object_get(trial, "sender_limited"))));
	json_object_set_new(r, "limited_by", search ? json_string(str(last, "limited_by")) : json_null());
	json_object_set_new(r, "max_tx_mpps", max ? json_real(num(max, "tx_mpps")) : json_null());
	json_object_set_new(r, "max_rx_mpps", max ? json_real(num(max, "rx_mpps")) : json_null());
	json_object_set_new(r, "latency_ns", json_incref(json_object_get(trial, "latency_ns")) ?: json_null());
	json_object_set_new(r, "queues", json_incref(json_object_get(trial, "queues")) ?: json_null());
	/* A search's bounds and the loss ratio it used (CSIT's lower/upper bound), and
	 * latency measured apart at fractions of its rate. */
	json_object_set_new(r, "lower_mpps", search ? json_real(num(x, "lower_pps") / 1e6) : json_null());
	json_object_set_new(r, "upper_mpps", search && json_is_number(json_object_get(x, "upper_pps"))
						     ? json_real(num(x, "upper_pps") / 1e6) : json_null());
	/* What the search observed, as it said it: whether its bounds are conclusive, the
	 * sender's measured ceiling, its sentence for a reader. */
	json_object_set_new(r, "inconclusive", search ? json_boolean(json_is_true(json_object_get(last, "inconclusive")))
						      : json_null());
	json_object_set_new(r, "search_note", search && json_is_string(json_object_get(last, "note"))
						      ? json_incref(json_object_get(last, "note")) : json_null());
	json_object_set_new(r, "paced_ceiling_mpps", search ? json_real(num(last, "paced_ceiling_pps") / 1e6) : json_null());
	json_object_set_new(r, "sender_limited_trials",
			    search ? json_integer(json_integer_value(json_object_get(last, "sender_limited_trials"))) : json_null());
	json_object_set_new(r, "first_loss_mpps", search && json_is_number(json_object_get(last, "first_loss_pps"))
							  ? json_real(num(last, "first_loss_pps") / 1e6) : json_null());
	json_object_set_new(r, "loss_threshold_pct", search ? json_real(num(x, "loss_threshold_pct")) : json_null());
	json_object_set_new(r, "latency_at", json_incref(json_object_get(x, "latency_at")) ?: json_array());
	json_object_set_new(r, "back_to_back", json_incref(json_object_get(x, "back_to_back")) ?: json_null());
	if (json_is_array(json_object_get(x, "mix"))) {
		json_object_set_new(r, "avg_size", json_real(size));
		json_object_set_new(r, "mix", json_incref(json_object_get(x, "mix")));
	}
	return r;
}

json_t *sweep_results(const struct sweep *s)
{
	json_t *out, *x;
	size_t i;

	if (!s->summary)
		return NULL;
	out = json_array();
	json_array_foreach(s->summary, i, x)
		json_array_append_new(out, record(x));
	return out;
}

char *sweep_hlog(const struct sweep *s)
{
	double base = num(json_array_get(s->intervals, 0), "time_s");
	char *text = NULL;
	size_t len = 0, i;
	json_t *x;
	FILE *m;

	if (!json_array_size(s->intervals) || !(m = open_memstream(&text, &len)))
		return NULL;
	/* HdrHistogram's log: start times relative to BaseTime, the max in milliseconds. */
	fprintf(m, "#[Histogram log format version 1.3]\n#[StartTime: %.3f (seconds since epoch)]\n"
		   "#[BaseTime: %.3f (seconds since epoch)]\n"
		   "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\"\n",
		base, base);
	json_array_foreach(s->intervals, i, x)
		fprintf(m, "Tag=%s,%.3f,%.3f,%.3f,%s\n", str(x, "tag"), num(x, "time_s") - base, num(x, "duration"),
			(double)json_integer_value(json_object_get(x, "max_ns")) / 1e6, str(x, "hdr"));
	if (fclose(m) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

void sweep_free(struct sweep *s)
{
	json_decref(s->intervals);
	s->intervals = NULL;
	json_decref(s->summary);
	s->summary = NULL;
}
