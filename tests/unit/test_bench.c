/* SPDX-License-Identifier: BSD-3-Clause */
/* The benchmark's pieces without DPDK or a guest: the guest's framed results,
 * trafficgen's lines into records, the tables and the gnuplot script. */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "bench/compare.h"
#include "bench/fingerprint.h"
#include "bench/guestport.h"
#include "bench/profile.h"
#include "bench/progargs.h"
#include "bench/queuecheck.h"
#include "bench/results.h"
#include "bench/sweep.h"
#include "bench/tables.h"
#include "unit.h"

/* Feed @text in chunks of @chunk bytes; the program lines, joined by '|'. */
static void feed(struct gport *g, const char *text, size_t chunk, char *out, size_t len)
{
	size_t n = strlen(text), o = 0;
	char *line;

	out[0] = '\0';
	for (size_t off = 0; off < n; off += chunk) {
		assert_int_equal(gport_feed(g, text + off, off + chunk > n ? n - off : chunk), 0);
		while (gport_next(g, &line) == 1)
			o += (size_t)snprintf(out + o, len - o, "%s%s", o ? "|" : "", line);
	}
}

static void test_gport(void **state)
{
	struct gport g;
	char out[256];
	/* {"type":"ready"}\n is 17 bytes, CRC-32 882f04be (zlib's and busybox's). */
	const char *good = "firmware noise\nPINLAB-BEGIN role=gen vcpus=2 devices=0000:00:02.0\n{\"type\":\"ready\"}\n"
			   "PINLAB-END status=0 lines=1 bytes=17 crc32=882f04be\n";

	(void)state;
	assert_int_equal(gport_crc32(0, "{\"type\":\"ready\"}\n", 17), 0x882f04beu);
	for (size_t chunk = 1; chunk < 64; chunk += 7) {
		gport_init(&g);
		feed(&g, good, chunk, out, sizeof(out));
		assert_int_equal(g.state, GPORT_DONE);
		assert_string_equal(out, "{\"type\":\"ready\"}");
		assert_string_equal(g.role, "gen");
		assert_int_equal(g.vcpus, 2);
		assert_int_equal(g.status, 0);
		gport_free(&g);
	}
	/* A terminal's CR LF: the same frame. */
	gport_init(&g);
	feed(&g, "PINLAB-BEGIN role=gen\r\n{\"type\":\"ready\"}\r\nPINLAB-END status=0 lines=1 bytes=17 crc32=882f04be\r\n", 5,
	     out, sizeof(out));
	assert_int_equal(g.state, GPORT_DONE);
	gport_free(&g);
	/* A line lost on the way: the counts and CRC say so. */
	gport_init(&g);
	feed(&g, "PINLAB-BEGIN role=gen\nPINLAB-END status=0 lines=1 bytes=17 crc32=882f04be\n", 9, out, sizeof(out));
	assert_int_equal(g.state, GPORT_FAILED);
	assert_non_null(strstr(g.why, "results damaged on the serial port: the guest sent 1 lines, 17 bytes"));
	gport_free(&g);
	/* The guest's own error, with a control character escaped. */
	gport_init(&g);
	feed(&g, "PINLAB-ERROR devices: none\x1b[0m\n", 64, out, sizeof(out));
	assert_int_equal(g.state, GPORT_FAILED);
	assert_string_equal(g.why, "the guest reports: devices: none\\x1b[0m");
	gport_free(&g);
	/* END without BEGIN, a malformed END. */
	gport_init(&g);
	feed(&g, "PINLAB-END status=0 lines=0 bytes=0 crc32=0\n", 64, out, sizeof(out));
	assert_int_equal(g.state, GPORT_FAILED);
	gport_free(&g);
	gport_init(&g);
	feed(&g, "PINLAB-BEGIN\nPINLAB-END status=-1 lines=x\n", 64, out, sizeof(out));
	assert_int_equal(g.state, GPORT_FAILED);
	assert_non_null(strstr(g.why, "malformed end marker"));
	gport_free(&g);
}

static void test_sweep(void **state)
{
	struct sweep sw = { .queues = 1, .prog = "test" };
	json_t *r, *x;
	FILE *devnull = fopen("/dev/null", "w");
	int saved = dup(2);

	(void)state;
	dup2(fileno(devnull), 2); /* progress lines */
	sweep_line(&sw, "not json at all");
	sweep_line(&sw, "{\"type\":\"trial\",\"size\":64,\"status\":\"ok\",\"asked_pps\":null,\"offered_pps\":2000000,"
			"\"tx_mpps\":2.0,\"rx_mpps\":0.5,\"loss_pct\":75.0}");
	sweep_line(&sw, "{\"type\":\"trial\",\"size\":64,\"status\":\"failed\",\"reason\":\"the peer went away (link down)\"}");
	sweep_line(&sw, "{\"type\":\"summary\",\"results\":[{\"size\":64,\"metric\":\"throughput_pps\",\"median\":1000000,"
			"\"min\":1000000,\"max\":1000000,\"trials\":1,\"lower_pps\":1000000,\"upper_pps\":null,"
			"\"median_run\":{\"type\":\"search\",\"limited_by\":\"generator\",\"inconclusive\":true,"
			"\"note\":\"it could not send faster\",\"paced_ceiling_pps\":1000000,\"sender_limited_trials\":2,"
			"\"trial\":{\"offered_pps\":1000000,\"asked_pps\":1010000,\"loss_pct\":0,\"sender_limited\":true},"
			"\"max_trial\":{\"tx_mpps\":2.0,\"rx_mpps\":0.5}}}]}");
	dup2(saved, 2);
	close(saved);
	fclose(devnull);
	assert_true(sw.started);
	assert_int_equal(sw.trials, 2);
	assert_int_equal(sw.failed, 1);
	assert_string_equal(sw.why, "the peer went away (link down)");
	r = sweep_results(&sw);
	assert_int_equal(json_array_size(r), 1);
	x = json_array_get(r, 0);
	assert_true(json_real_value(json_object_get(x, "mpps")) == 1.0);
	assert_string_equal(json_string_value(json_object_get(x, "limited_by")), "generator");
	assert_true(json_is_true(json_object_get(x, "sender_limited")));
	assert_true(json_real_value(json_object_get(x, "max_tx_mpps")) == 2.0);
	/* A search without an upper bound says so (null), and what it saw. */
	assert_true(json_is_null(json_object_get(x, "upper_mpps")));
	assert_true(json_is_true(json_object_get(x, "inconclusive")));
	assert_string_equal(json_string_value(json_object_get(x, "search_note")), "it could not send faster");
	assert_int_equal(json_integer_value(json_object_get(x, "sender_limited_trials")), 2);
	/* 1 Mpps of 64-byte frames is 0.672 Gb/s on the wire, 0.512 of frames. */
	assert_true(json_real_value(json_object_get(x, "gbps_l1")) > 0.671 && json_real_value(json_object_get(x, "gbps_l1")) < 0.673);
	json_decref(r);
	sweep_free(&sw);
}

static void test_gnuplot_strings(void **state)
{
	char q[64];
	json_t *all;
	char *gp;

	(void)state;
	results_gp_quote("it's", q, sizeof(q));
	assert_string_equal(q, "'it''s'");
	results_gp_quote("a\nb`id`", q, sizeof(q));
	assert_string_equal(q, "'a b`id`'"); /* no newline to end the command; backquotes are inert in '' */
	results_gp_quote("0123456789012345678901234567890123456789012345678901234567890123456789", q, 16);
	assert_int_equal(strlen(q), 14);
	assert_true(q[0] == '\'' && q[13] == '\'');
	/* A configuration name with a quote and a newline cannot break out of the script. */
	all = json_pack("{s:s, s:s, s:s, s:[{s:s, s:i, s:[]}]}", "name", "x';system('id')#", "mode", "host", "accel", "tcg",
			"configurations", "name", "1 queue'\nsystem('id')", "queues", 1, "results");
	gp = tables_plot(all);
	assert_non_null(gp);
	assert_non_null(strstr(gp, "title 'x'';system(''id'')# (host, TCG: emulated): received at rate ' noenhanced"));
	/* min-max bars, the generator's cells apart, both images unless drawn once. */
	assert_non_null(strstr(gp, ":4:5:6 with yerrorlines"));
	assert_non_null(strstr(gp, "strcol(15) eq 'generator'"));
	assert_non_null(strstr(gp, "exists(\"once\") ? \"once\" : \"png svg\""));
	free(gp);
	json_object_set_new(all, "search", json_string("ndr"));
	json_object_set_new(all, "loss_threshold_pct", json_real(0));
	gp = tables_plot(all);
	assert_non_null(strstr(gp, "(host, TCG: emulated): NDR at 0 % loss, at the rate actually sent'"));
	assert_non_null(strstr(gp, "eq '1 queue'' system(''id'')'"));
	assert_null(strstr(gp, "queue'\n"));
	free(gp);
	json_decref(all);
}

/* A results.json with one cell: @mpps, its spread and its trial count. */
static json_t *one_cell(double mpps, double lo, double hi, int trials)
{
	return json_pack("{s:i, s:[{s:s, s:[{s:i, s:f, s:f, s:f, s:i}]}]}", "trials", trials, "configurations", "name",
			 "1 queue", "results", "size", 64, "mpps", mpps, "mpps_min", lo, "mpps_max", hi, "trials", trials);
}

static const json_t *first_cell(const json_t *cmp)
{
	return json_array_get(json_object_get(cmp, "cells"), 0);
}

static void test_compare(void **state)
{
	json_t *a = one_cell(10, 9.9, 10.1, 3), *b, *cmp;

	(void)state;
	/* 20 % worse, spreads of 0.2: significant, a regression beyond 5 %. */
	b = one_cell(8, 7.9, 8.1, 3);
	cmp = compare_runs(a, NULL, b, NULL, 5, false);
	assert_true(json_is_true(json_object_get(first_cell(cmp), "significant")));
	assert_int_equal(json_integer_value(json_object_get(cmp, "regressions")), 1);
	assert_string_equal(json_string_value(json_object_get(first_cell(cmp), "verdict")), "worse");
	assert_false(json_is_true(json_object_get(cmp, "too_noisy")));
	assert_string_equal(json_string_value(json_object_get(cmp, "verdict")), "regression");
	json_decref(cmp);
	/* The same change inside B's spread of 3: not significant, no regression; B is noisy (37 %). */
	json_decref(b);
	b = one_cell(8, 6, 9, 3);
	cmp = compare_runs(a, NULL, b, NULL, 5, false);
	assert_true(json_is_false(json_object_get(first_cell(cmp), "significant")));
	assert_string_equal(json_string_value(json_object_get(first_cell(cmp), "verdict")), "within noise");
	assert_int_equal(json_integer_value(json_object_get(cmp, "regressions")), 0);
	assert_true(json_is_true(json_object_get(cmp, "too_noisy")));
	assert_string_equal(json_string_value(json_object_get(cmp, "verdict")), "cannot tell");
	json_decref(cmp);
	/* A drop beyond both spreads in a comparison too noisy to trust (B's cell spreads
	 * 11 %): "too noisy", never "worse", and never a regression. */
	json_decref(b);
	b = one_cell(5, 4.8, 5.35, 3);
	cmp = compare_runs(a, NULL, b, NULL, 5, false);
	assert_true(json_is_true(json_object_get(first_cell(cmp), "significant")));
	assert_string_equal(json_string_value(json_object_get(first_cell(cmp), "verdict")), "too noisy");
	assert_int_equal(json_integer_value(json_object_get(cmp, "regressions")), 0);
	assert_string_equal(json_string_value(json_object_get(cmp, "verdict")), "cannot tell");
	json_decref(cmp);
	/* Runs that measured different things (a search against max rate, another profile):
	 * not comparable, the keys named; --force judges them anyway. */
	json_decref(b);
	b = one_cell(8, 7.9, 8.1, 3);
	json_object_set_new(a, "search", json_string("ndr"));
	json_object_set_new(b, "search", json_string("none"));
	json_object_set_new(b, "name", json_string("loopback"));
	cmp = compare_runs(a, NULL, b, NULL, 5, false);
	assert_string_equal(json_string_value(json_object_get(first_cell(cmp), "verdict")), "not comparable");
	assert_int_equal(json_integer_value(json_object_get(cmp, "regressions")), 0);
	assert_string_equal(json_string_value(json_object_get(cmp, "verdict")), "cannot tell");
	assert_int_equal(json_array_size(json_object_get(cmp, "not_comparable")), 2);
	json_decref(cmp);
	cmp = compare_runs(a, NULL, b, NULL, 5, true);
	assert_string_equal(json_string_value(json_object_get(first_cell(cmp), "verdict")), "worse");
	assert_string_equal(json_string_value(json_object_get(cmp, "verdict")), "regression");
	assert_true(json_is_true(json_object_get(cmp, "forced")));
	json_decref(cmp);
	json_object_del(a, "search");
	/* One trial: no spread, significance unknown; a gate still stops a 20 % drop. */
	json_decref(b);
	b = one_cell(8, 8, 8, 1);
	cmp = compare_runs(a, NULL, b, NULL, 5, false);
	assert_true(json_is_null(json_object_get(first_cell(cmp), "significant")));
	assert_int_equal(json_integer_value(json_object_get(cmp, "regressions")), 1);
	json_decref(cmp);
	/* Better is never a regression; no threshold, no gate. */
	cmp = compare_runs(b, NULL, a, NULL, 5, false);
	assert_int_equal(json_integer_value(json_object_get(cmp, "regressions")), 0);
	json_decref(cmp);
	cmp = compare_runs(a, NULL, b, NULL, -1, false);
	assert_int_equal(json_integer_value(json_object_get(cmp, "regressions")), 0);
	json_decref(cmp);
	json_decref(a);
	json_decref(b);
}

/* table.txt says where the figures are not the path's: a NOTE first when the run was
 * noisy (and why), '~' on a cell whose trials spread, '*' where the generator set the
 * figure, '?' where a search could not narrow its bounds, each search's own sentence
 * under the table, and '-' for an upper bound never seen. */
static void test_table_says_noise(void **state)
{
	json_t *all = json_pack(
		"{s:s, s:s, s:s, s:s, s:f, s:i, s:[], s:{s:b, s:[s]}, s:[{s:s, s:i, s:[]}]}", "name", "t", "mode", "host",
		"mode_text", "x", "search", "ndr", "loss_threshold_pct", 0.0, "trials", 3, "notes", "noise", "noisy", 1, "why",
		"others kept the host 50% busy before it started", "configurations", "name", "1 queue", "queues", 1, "results");
	json_t *res = json_object_get(json_array_get(json_object_get(all, "configurations"), 0), "results");
	char *t;

	(void)state;
	/* 64 B: spread 20 %, conclusive; 128 B: the generator's, no upper bound; 256 B: inconclusive. */
	json_array_append_new(res, json_pack("{s:i, s:f, s:f, s:f, s:s, s:b, s:f, s:f, s:s, s:i}", "size", 64, "mpps", 10.0,
					     "mpps_min", 9.0, "mpps_max", 11.0, "limited_by", "path", "inconclusive", 0,
					     "lower_mpps", 10.0, "upper_mpps", 10.1, "search_note", "the first", "sender_limited_trials", 1));
	json_array_append_new(res, json_pack("{s:i, s:f, s:f, s:f, s:s, s:b, s:f, s:n, s:s, s:i}", "size", 128, "mpps", 5.0,
					     "mpps_min", 5.0, "mpps_max", 5.0, "limited_by", "generator", "inconclusive", 1,
					     "lower_mpps", 5.0, "upper_mpps", "search_note", "the second", "sender_limited_trials", 0));
	json_array_append_new(res, json_pack("{s:i, s:f, s:f, s:f, s:s, s:b, s:f, s:f, s:s, s:i}", "size", 256, "mpps", 4.0,
					     "mpps_min", 4.0, "mpps_max", 4.0, "limited_by", "path", "inconclusive", 1,
					     "lower_mpps", 4.0, "upper_mpps", 8.0, "search_note", "the third", "sender_limited_trials", 0));
	t = tables_text(all);
	assert_non_null(t);
	assert_non_null(strstr(t, "\nNOTE: too noisy to take these figures as the path's: others kept the host 50% busy "
				  "before it started. Run it again on a quiet host, with more trials.\n"));
	assert_non_null(strstr(t, "    10.000 ~"));
	assert_non_null(strstr(t, "     5.000* "));
	assert_non_null(strstr(t, "     4.000?\n")); /* the last column: a row is not padded at its end */
	assert_non_null(strstr(t, "\n~ its trials spread more than 10%"));
	assert_non_null(strstr(t, "\n* the generator, not the path, set this figure"));
	assert_non_null(strstr(t, "\n? the search could not narrow its bounds"));
	assert_non_null(strstr(t, "  1 queue, 64 B: the first\n"));
	assert_non_null(strstr(t, "  1 queue, 128 B: the second\n"));
	assert_non_null(strstr(t, "  1 queue, 256 B: the third\n"));
	assert_non_null(strstr(t, "    5.00/-"));
	free(t);
	json_decref(all);
}

static void test_host_load(void **state)
{
	struct host_load b = { .ok = true, .loadavg = { 1, 2, 3 }, .busy = 100, .steal = 10, .total = 1000 };
	struct host_load a = { .ok = true, .loadavg = { 4, 5, 6 }, .busy = 400, .steal = 60, .total = 2000 };
	json_t *o = host_load_json(&b, &a, 10);

	(void)state;
	assert_true(json_real_value(json_object_get(o, "busy_pct")) == 30);
	assert_true(json_real_value(json_object_get(o, "steal_pct")) == 5);
	assert_true(json_real_value(json_object_get(json_object_get(o, "after"), "loadavg_1m")) == 4);
	json_decref(o);
	/* No reading, or a counter that went backwards: null, not a made-up share. */
	a.total = 900;
	assert_true(json_is_null(host_load_json(&b, &a, 10)));
	a.ok = false;
	assert_true(json_is_null(host_load_json(&b, &a, 10)));
	host_load_read(&a);
	assert_true(a.ok && a.total > 0);
}

static bool has(const json_t *findings, const char *id, const char *text)
{
	const json_t *f;
	size_t i;

	json_array_foreach(findings, i, f)
		if (!strcmp(json_string_value(json_object_get(f, "id")), id) &&
		    strstr(json_string_value(json_object_get(f, "message")), text))
			return true;
	return false;
}

/* A reflector ready line: lcore L on CPU C polls port 0's queues Q... ("L:C:Q,Q;..."). */
static json_t *ready_line(const char *spec)
{
	json_t *workers = json_array();
	char buf[256], *save = NULL, *qsave = NULL;

	snprintf(buf, sizeof(buf), "%s", spec);
	for (char *w = strtok_r(buf, ";", &save); w; w = strtok_r(NULL, ";", &save)) {
		int lc, cpu, n;
		json_t *jobs = json_array();
		char *qs;
		assert_int_equal(sscanf(w, "%d:%d:%n", &lc, &cpu, &n), 2);
		qs = w + n;
		for (char *q = strtok_r(qs, ",", &qsave); q; q = strtok_r(NULL, ",", &qsave))
			json_array_append_new(jobs, json_pack("{s:i, s:i}", "port", 0, "queue", atoi(q)));
		json_array_append_new(workers, json_pack("{s:i, s:[i], s:o}", "lcore", lc, "cpus", cpu, "jobs", jobs));
	}
	return json_pack("{s:s, s:[{s:i}], s:o}", "type", "ready", "ports", "port", 0, "workers", workers);
}

static void test_queue_findings(void **state)
{
	/* The 2017 host: Linux numbers SMT siblings N and N+4; the reflector on 0-3, the
	 * guest's vCPUs on 4-7, two queues. */
	struct topo *t = topo_load_synthetic("pack:1 core:4 pu:2(indexes=0,4,1,5,2,6,3,7)");
	const int vcpus[4] = { 4, 5, 6, 7 };
	struct qc_side refl, gen;
	json_t *rl = ready_line("1:1:0;2:2:1");
	/* trafficgen in the guest, as its start line says: guest CPUs 1 and 2 send queues 0 and 1. */
	json_t *gl = json_pack("{s:s, s:[{s:i, s:[i], s:i, s:s}, {s:i, s:[i], s:i, s:s}]}", "type", "start", "workers",
			       "lcore", 1, "cpus", 1, "queue", 0, "role", "both", "lcore", 2, "cpus", 2, "queue", 1, "role", "both");
	json_t *res, *rq, *f;

	(void)state;
	assert_non_null(t);
	qc_side_from_line(&refl, "the reflector", rl, 2, NULL, 0);
	qc_side_from_line(&gen, "trafficgen in the guest", gl, 2, vcpus, 4);
	assert_true(refl.known && gen.known);
	assert_int_equal(refl.pollers, 2);
	assert_int_equal(gen.p[0].cpu, 5); /* guest CPU 1 is vCPU 1, pinned to host CPU 5 */
	/* Queue 1 brought back 10 % of what queue 0 did at 64 B; the reflector saw nothing on queue 1. */
	res = json_pack("[{s:i, s:[{s:i}, {s:i}]}, {s:i, s:[{s:i}, {s:i}]}]", "size", 64, "queues", "rx_packets", 1000,
			"rx_packets", 100, "size", 128, "queues", "rx_packets", 500, "rx_packets", 500);
	rq = json_pack("[{s:i}, {s:i}]", "rx_packets", 5000, "rx_packets", 0);
	f = queue_findings(2, 1, &refl, &gen, res, rq, t);
	assert_true(has(f, "flows-fewer-than-queues", "1 flow for 2 queues"));
	assert_true(has(f, "queue-lcores-smt", "queue 0 of the reflector (CPU 1) and queue 0 of trafficgen in the guest (CPU 5)"));
	assert_true(has(f, "queue-underused", "64 B: queue 1 back to trafficgen carried 18% of its share"));
	assert_false(has(f, "queue-underused", "128 B"));
	assert_true(has(f, "queue-idle", "the whole run: queue 1 into the reflector carried nothing"));
	assert_false(has(f, "queues-more-than-pollers", ""));
	assert_false(has(f, "queue-lcores-shared", ""));
	json_decref(f);
	json_decref(rq);
	json_decref(gl);

	/* Separate cores, enough pollers and flows, balanced, trafficgen with a sender and a
	 * receiver per queue: one ok finding. */
	gl = json_pack("{s:s, s:[{s:i, s:[i], s:i, s:s}, {s:i, s:[i], s:i, s:s}, {s:i, s:[i], s:i, s:s}, {s:i, s:[i], s:i, s:s}]}",
		       "type", "start", "workers", "lcore", 1, "cpus", 2, "queue", 0, "role", "send", "lcore", 2, "cpus", 3,
		       "queue", 0, "role", "receive", "lcore", 3, "cpus", 4, "queue", 1, "role", "send", "lcore", 4, "cpus",
		       5, "queue", 1, "role", "receive");
	json_decref(rl);
	rl = ready_line("1:0:0;2:1:1");
	qc_side_from_line(&refl, "r", rl, 2, NULL, 0);
	qc_side_from_line(&gen, "g", gl, 2, NULL, 0);
	assert_int_equal(gen.pollers, 4);
	rq = json_pack("[{s:i}, {s:i}]", "rx_packets", 500, "rx_packets", 480);
	f = queue_findings(2, 4, &refl, &gen, NULL, rq, NULL);
	assert_int_equal(json_array_size(f), 1);
	assert_true(has(f, "queues-ok", "2 queues"));
	json_decref(f);

	/* 2017's single-threaded switch: one reflector lcore for two queues, whatever -l said;
	 * and the receiver of queue 1 on the reflector worker's CPU. */
	json_decref(rl);
	rl = ready_line("1:1:0,1;0:0:");
	qc_side_from_line(&refl, "r", rl, 2, NULL, 0);
	assert_int_equal(refl.pollers, 1);
	json_object_set_new(json_array_get(json_object_get(gl, "workers"), 3), "cpus", json_pack("[i]", 1));
	qc_side_from_line(&gen, "g", gl, 2, NULL, 0);
	f = queue_findings(2, 4, &refl, &gen, NULL, rq, NULL);
	assert_true(has(f, "queues-more-than-pollers", "r polls 2 queues with 1 lcore"));
	assert_true(has(f, "queue-lcores-shared", "queue 0 of r and the receiver of queue 1 of g are polled from one CPU (1)"));
	assert_false(has(f, "queues-ok", ""));
	json_decref(f);

	/* A side that said nothing (or something malformed) is unknown: never "ok". */
	qc_side_from_line(&gen, "g", NULL, 2, NULL, 0);
	assert_false(gen.known);
	json_object_set_new(json_array_get(json_object_get(gl, "workers"), 0), "lcore", json_integer(-3));
	qc_side_from_line(&gen, "g", gl, 2, NULL, 0);
	assert_false(gen.known);
	json_decref(rl);
	rl = ready_line("1:0:0;2:1:1");
	qc_side_from_line(&refl, "r", rl, 2, NULL, 0);
	f = queue_findings(2, 4, &refl, &gen, NULL, rq, NULL);
	assert_true(has(f, "queue-layout-unknown", "g did not say"));
	assert_false(has(f, "queues-ok", ""));
	json_decref(f);
	/* A guest CPU outside the vCPU map, or a worker floating over CPUs, has no CPU. */
	json_object_set_new(json_array_get(json_object_get(gl, "workers"), 0), "lcore", json_integer(1));
	json_object_set_new(json_array_get(json_object_get(gl, "workers"), 0), "cpus", json_pack("[i]", 9));
	json_object_set_new(json_array_get(json_object_get(gl, "workers"), 1), "cpus", json_pack("[i, i]", 0, 1));
	qc_side_from_line(&gen, "g", gl, 2, vcpus, 4);
	assert_true(gen.known);
	assert_int_equal(gen.p[0].cpu, -1);
	assert_int_equal(gen.p[1].cpu, -1);
	json_decref(rq);
	json_decref(rl);
	json_decref(gl);
	json_decref(res);
	topo_free(t);
	/* The guest's rings against the profile's ring_size: a ring not set up (0) is not a difference. */
	{
		json_t *v = json_pack("{s:[i, i, i, i]}", "ring_sizes", 1024, 1024, 0, 0);
		size_t ring = 99;
		long long size = 0;
		assert_int_equal(qc_ring_differs(v, 1024, &ring, &size), 0);
		assert_int_equal(qc_ring_differs(v, 512, &ring, &size), 1);
		assert_true(ring == 0 && size == 1024);
		json_array_set_new(json_object_get(v, "ring_sizes"), 1, json_integer(256));
		assert_int_equal(qc_ring_differs(v, 1024, &ring, &size), 1);
		assert_true(ring == 1 && size == 256);
		assert_int_equal(qc_ring_differs(NULL, 1024, &ring, &size), 0);
		json_decref(v);
	}
}

/* @got against tests/golden/@name, whole; PINLAB_GOLDEN=update rewrites the file. */
static void golden(const char *name, const char *got)
{
	char path[512], *want = NULL;
	size_t len = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/../golden/%s", FIXTURES, name);
	if (getenv("PINLAB_GOLDEN") && !strcmp(getenv("PINLAB_GOLDEN"), "update")) {
		f = fopen(path, "w");
		assert_non_null(f);
		fputs(got, f);
		assert_int_equal(fclose(f), 0);
		return;
	}
	f = fopen(path, "r");
	if (!f)
		fail_msg("no tests/golden/%s: PINLAB_GOLDEN=update writes it", name);
	want = calloc(1, 1 << 20);
	assert_non_null(want);
	len = fread(want, 1, (1 << 20) - 1, f);
	fclose(f);
	want[len] = '\0';
	if (strcmp(want, got))
		fail_msg("%s differs from tests/golden/%s (PINLAB_GOLDEN=update rewrites it; then review git diff)", name, name);
	free(want);
}

/* table.txt, results.csv and plot.gp of two real runs' results.json, whole (libvirt's
 * qemuxml2argv style): the demo's guest run (a search the generator limited, every
 * note) and a queues = 1,2 guest run with shared pollers (per-queue findings). */
static void test_golden_tables(void **state)
{
	static const char *const runs[] = { "demo-vm", "queues-1-2-shared" };

	(void)state;
	for (unsigned i = 0; i < 2; i++) {
		char path[512], name[128];
		json_t *all;
		char *t;

		snprintf(path, sizeof(path), "%s/results/%s.json", FIXTURES, runs[i]);
		all = json_load_file(path, 0, NULL);
		assert_non_null(all);
		snprintf(name, sizeof(name), "table-%s.txt", runs[i]);
		golden(name, t = tables_text(all));
		free(t);
		snprintf(name, sizeof(name), "results-%s.csv", runs[i]);
		golden(name, t = tables_csv(all));
		free(t);
		snprintf(name, sizeof(name), "plot-%s.gp", runs[i]);
		golden(name, t = tables_plot(all));
		free(t);
		json_decref(all);
	}
}

/* Every argv a configuration runs, for three shipped profiles (host mode, the
 * fixed 2017 guest, and the same with the reflector in the guest under libvirt), one
 * line per program, whole. */
static void test_golden_argv(void **state)
{
	static const char *const profiles[] = { "loopback", "seed-2017-fixed" };
	const struct pa_paths x = { .reflector = "/bin/reflector", .trafficgen = "/bin/trafficgen", .vmlaunch = "/bin/vmlaunch",
				    .pincheck = "/bin/pincheck", .sockdir = "/tmp/vmbench-1.abc", .guest_dir = "/guest",
				    .vm_name = "vmbench-1-2q", .console = "/out/raw/console-2q.log", .port = "/out/raw/port-2q.log" };
	char *text = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);

	(void)state;
	assert_non_null(m);
	for (unsigned i = 0; i < 3; i++) {
		struct profile p;
		struct pin_error err;
		struct strv a = { 0 }, b = { 0 };
		char path[512], cmdline[2048], *line;

		snprintf(path, sizeof(path), "%s/bench/%s.conf", TEMPLATES, profiles[i ? 1 : 0]);
		assert_int_equal(profile_load(&p, path, &err), 0);
		if (i == 2) { /* the other mode and backend, on the same layout */
			p.mode = MODE_VM_REFLECT;
			p.libvirt = true;
			snprintf(p.libvirt_uri, sizeof(p.libvirt_uri), "qemu:///system");
			snprintf(p.gen_lcores, sizeof(p.gen_lcores), "0,1,5"); /* as profile_resolve leaves them */
		}
		fprintf(m, "== %s%s\n", profiles[i ? 1 : 0], i == 2 ? " (vm-reflect, libvirt)" : "");
		if (!profile_is_vm(&p)) {
			assert_int_equal(pa_host_pair(&p, &x, 2, &a, &b), 0);
			fprintf(m, "reflector: %s\n", line = strv_join_quoted(&a));
			free(line);
			fprintf(m, "trafficgen: %s\n", line = strv_join_quoted(&b));
			free(line);
		} else {
			assert_int_equal(pa_vm_host(&p, &x, 2, &a), 0);
			fprintf(m, "host: %s\n", line = strv_join_quoted(&a));
			free(line);
			assert_int_equal(pa_vmlaunch(&p, &x, 2, &b), 0);
			fprintf(m, "vmlaunch: %s\n", line = strv_join_quoted(&b));
			free(line);
			assert_int_equal(pa_guest_cmdline(&p, 2, cmdline, sizeof(cmdline)), 0);
			fprintf(m, "guest: %s\n", cmdline);
			strv_free(&a);
			assert_int_equal(pa_sampler(&p, &x, &a), 0);
			fprintf(m, "sampler: %s\n", line = strv_join_quoted(&a));
			free(line);
		}
		fprintf(m, "sweep budget: %d ms\n", pa_sweep_budget_ms(&p));
		strv_free(&a);
		strv_free(&b);
		profile_free(&p);
	}
	assert_int_equal(fclose(m), 0);
	golden("argv.txt", text);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gport),
		cmocka_unit_test(test_sweep),
		cmocka_unit_test(test_gnuplot_strings),
		cmocka_unit_test(test_compare),
		cmocka_unit_test(test_table_says_noise),
		cmocka_unit_test(test_host_load),
		cmocka_unit_test(test_queue_findings),
		cmocka_unit_test(test_golden_tables),
		cmocka_unit_test(test_golden_argv),
	};
	return cmocka_run_group_tests_name("bench", tests, NULL, NULL);
}
