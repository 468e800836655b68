/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One configuration's sweep as trafficgen reports it (one JSON object per line:
 * trials, searches, a summary), wherever the lines come from — its standard
 * output on the host, or the guest's results port.  Turns the summary into one
 * record per frame size for results.json.
 */
#pragma once
#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

struct sweep {
	unsigned queues;
	FILE *raw;                 /* every line as it came (raw/trafficgen-Nq.jsonl); may be NULL */
	int raw_error;             /* the first write error on raw, -errno */
	json_t *summary;           /* the "results" of the summary line, once seen */
	unsigned trials;           /* trial lines seen */
	unsigned failed;           /* trials that failed (sent nothing, peer gone) */
	char why[256];             /* the first failed trial's reason */
	bool started;              /* a trial line was seen: traffic flows */
	const char *prog;          /* for progress lines: "vmbench" */
	bool fixed_rate;           /* trials at a fixed rate are intervals of the .hlog too */
	json_t *intervals;         /* latency histograms for the .hlog: {tag, time_s, duration, max_ns, hdr} */
};

/* Take one line of trafficgen's --json output; prints a progress line per trial on
 * stderr.  Lines that are not JSON are kept in raw only. */
void sweep_line(struct sweep *s, const char *line);

/* The per-size records from the summary: a JSON array (new reference), or NULL when
 * no summary arrived. */
json_t *sweep_results(const struct sweep *s);

/* The latency histograms of the latency trials (and of fixed-rate trials) as an
 * HdrHistogram interval log (.hlog, format version 1.3): a malloc'd text, or NULL
 * when trafficgen sent none (no --hdr). */
char *sweep_hlog(const struct sweep *s);

void sweep_free(struct sweep *s);
