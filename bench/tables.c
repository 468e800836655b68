/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/compare.h"
#include "bench/results.h"
#include "bench/tables.h"

static const char *str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key)) ?: "";
}

static double num(const json_t *o, const char *key)
{
	return json_number_value(json_object_get(o, key));
}

/* Close a memstream: its text, or NULL (freed) when writing it failed. */
static char *finish(FILE *m, char **buf)
{
	if (fclose(m) != 0) {
		free(*buf);
		return NULL;
	}
	return *buf;
}

/* Each column's width: 11, or a longer mix name's (then its cells are pushed right). */
#define COL 11
static int col_width(const json_t *r)
{
	char sz[64];
	int n = (int)strlen(results_size(r, "", sz, sizeof(sz)));

	return n > COL ? n : COL;
}

/* The header row: "configuration" and each frame size of the first configuration. */
static void header(FILE *m, const json_t *all)
{
	const json_t *c = json_array_get(json_object_get(all, "configurations"), 0), *r;
	size_t k;
	int width = 16;
	char sz[64];

	fprintf(m, "%-16s", "configuration");
	json_array_foreach(json_object_get(c, "results"), k, r) {
		fprintf(m, " %*s", col_width(r), results_size(r, "", sz, sizeof(sz)));
		width += 1 + col_width(r);
	}
	fputc('\n', m);
	for (int i = 0; i < width; i++)
		fputc('-', m);
	fputc('\n', m);
}

/* One table: a row per configuration, @cell printing one size's value in 1 + COL. */
static void table(FILE *m, const json_t *all, const char *title, void (*cell)(FILE *, const json_t *))
{
	const json_t *c, *r;
	size_t ci, k;

	fprintf(m, "%s\n", title);
	header(m, all);
	json_array_foreach(json_object_get(all, "configurations"), ci, c) {
		char *row = NULL;
		size_t len = 0;
		FILE *rm = open_memstream(&row, &len);
		if (!rm)
			continue;
		fprintf(rm, "%-16s", str(c, "name"));
		json_array_foreach(json_object_get(c, "results"), k, r) {
			fprintf(rm, "%*s", col_width(r) - COL, "");
			cell(rm, r);
		}
		if (fclose(rm) == 0) {
			while (len && row[len - 1] == ' ')
				row[--len] = '\0';
			fprintf(m, "%s\n", row);
		}
		free(row);
	}
	fputc('\n', m);
}

/* The mark a search's figure carries: '*' the sender, not the path, set it (no loss
 * seen at a rate it could send); '?' bounds the search could not narrow (see its note). */
static char search_mark(const json_t *r)
{
	if (!strcmp(str(r, "limited_by"), "generator") || json_is_true(json_object_get(r, "sender_limited")))
		return '*';
	return json_is_true(json_object_get(r, "inconclusive")) ? '?' : ' ';
}

/* Marks: the search's, then '~' where the cell's trials spread more than compare calls
 * noise. */
static void cell_mpps(FILE *m, const json_t *r)
{
	fprintf(m, " %9.3f%c%c", num(r, "mpps"), search_mark(r), compare_cell_noisy(r) ? '~' : ' ');
}

static void cell_gbps(FILE *m, const json_t *r)
{
	fprintf(m, " %10.3f ", num(r, "gbps_l1"));
}

static void cell_max(FILE *m, const json_t *r)
{
	char b[32];

	if (json_is_number(json_object_get(r, "max_tx_mpps")))
		snprintf(b, sizeof(b), "%.2f/%.2f", num(r, "max_tx_mpps"), num(r, "max_rx_mpps"));
	else
		snprintf(b, sizeof(b), "-");
	fprintf(m, " %11s", b);
}

static void cell_spread(FILE *m, const json_t *r)
{
	char b[32];

	snprintf(b, sizeof(b), "%.2f-%.2f", num(r, "mpps_min"), num(r, "mpps_max"));
	fprintf(m, " %11s", b);
}

static void cell_bounds(FILE *m, const json_t *r)
{
	char b[32];

	if (json_is_number(json_object_get(r, "upper_mpps")))
		snprintf(b, sizeof(b), "%.2f/%.2f", num(r, "lower_mpps"), num(r, "upper_mpps"));
	else
		snprintf(b, sizeof(b), "%.2f/-", num(r, "lower_mpps"));
	fprintf(m, " %11s", b);
}

/* The latency load the next cell_latency prints (an index into latency_at). */
static size_t latency_load;

static void cell_latency(FILE *m, const json_t *r)
{
	const json_t *at = json_array_get(json_object_get(r, "latency_at"), latency_load);
	const json_t *l = json_object_get(at, "latency_ns");
	char b[32] = "-";

	if (l)
		snprintf(b, sizeof(b), "%.1f/%.1f", num(l, "p50") / 1e3, num(l, "p99") / 1e3);
	fprintf(m, " %11s", b);
}

/* The latency trials' loads of the first result that has them (the same for every size). */
static const json_t *latency_loads(const json_t *all)
{
	const json_t *c, *r;
	size_t ci, k;

	json_array_foreach(json_object_get(all, "configurations"), ci, c)
		json_array_foreach(json_object_get(c, "results"), k, r)
			if (json_array_size(json_object_get(r, "latency_at")))
				return json_object_get(r, "latency_at");
	return NULL;
}

static void cell_b2b(FILE *m, const json_t *r)
{
	const json_t *b = json_object_get(r, "back_to_back");
	char buf[32] = "-";

	if (json_is_object(b))
		snprintf(buf, sizeof(buf), "%lld%s", json_integer_value(json_object_get(b, "frames")),
			 !strcmp(str(b, "limited_by"), "duration") ? "+" : "");
	fprintf(m, " %11s", buf);
}

static bool any_b2b(const json_t *all)
{
	const json_t *c, *r;
	size_t ci, k;

	json_array_foreach(json_object_get(all, "configurations"), ci, c)
		json_array_foreach(json_object_get(c, "results"), k, r)
			if (json_is_object(json_object_get(r, "back_to_back")))
				return true;
	return false;
}

/* Does any figure carry @mark? */
static bool any_mark(const json_t *all, char mark)
{
	const json_t *c, *r;
	size_t ci, k;

	json_array_foreach(json_object_get(all, "configurations"), ci, c)
		json_array_foreach(json_object_get(c, "results"), k, r)
			if (search_mark(r) == mark)
				return true;
	return false;
}

static bool any_noisy_cell(const json_t *all)
{
	const json_t *c, *r;
	size_t ci, k;

	json_array_foreach(json_object_get(all, "configurations"), ci, c)
		json_array_foreach(json_object_get(c, "results"), k, r)
			if (compare_cell_noisy(r))
				return true;
	return false;
}

/* What the searches saw, for each marked figure and each where the sender fell behind
 * its pace: the search's own sentence, under the table. */
static void search_notes(FILE *m, const json_t *all)
{
	const json_t *c, *r;
	size_t ci, k;
	char sz[64];

	json_array_foreach(json_object_get(all, "configurations"), ci, c)
		json_array_foreach(json_object_get(c, "results"), k, r)
			if (json_is_string(json_object_get(r, "search_note")) &&
			    (search_mark(r) != ' ' || json_integer_value(json_object_get(r, "sender_limited_trials")) > 0))
				fprintf(m, "  %s, %s: %s\n", str(c, "name"), results_size(r, " B", sz, sizeof(sz)),
					str(r, "search_note"));
}

char *tables_text(const json_t *all)
{
	char *buf = NULL, title[256];
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	const char *search = str(all, "search"), *accel = str(all, "accel");
	const json_t *c, *v, *notes = json_object_get(all, "notes");
	size_t i;
	bool searching = *search && strcmp(search, "none");

	if (!m)
		return NULL;
	fprintf(m, "%s: mode %s (%s)%s%s%s\n", str(all, "name"), str(all, "mode"), str(all, "mode_text"),
		*accel ? ", accelerator " : "", accel, !strcmp(str(all, "backend"), "libvirt") ? ", guest under libvirt" : "");
	if (json_is_true(json_object_get(json_object_get(all, "noise"), "noisy"))) {
		size_t w;
		fprintf(m, "NOTE: too noisy to take these figures as the path's:");
		json_array_foreach(json_object_get(json_object_get(all, "noise"), "why"), w, v)
			fprintf(m, "%s %s", w ? ";" : "", json_string_value(v));
		fprintf(m, ". Run it again on a quiet host, with more trials.\n");
	}
	if (!strcmp(accel, "tcg"))
		fprintf(m, "NOTE: the guest ran under TCG (emulated, no KVM): these are the emulator's numbers, not a KVM guest's.\n");
	json_array_foreach(notes, i, v)
		fprintf(m, "NOTE: %s\n", json_string_value(v));
	json_array_foreach(json_object_get(all, "configurations"), i, c) {
		size_t k;
		json_array_foreach(json_object_get(c, "findings"), k, v)
			if (strcmp(str(v, "severity"), "ok"))
				fprintf(m, "NOTE: %s: %s [%s]\n", str(c, "name"), str(v, "message"), str(v, "id"));
	}
	fputc('\n', m);
	if (searching)
		snprintf(title, sizeof(title), "Throughput (%s, loss <= %g%%): Mpps per direction, at the rate actually sent",
			 search, num(all, "loss_threshold_pct"));
	else
		snprintf(title, sizeof(title), "Received (rate %s): Mpps per direction", str(all, "rate"));
	table(m, all, title, cell_mpps);
	if (any_mark(all, '*'))
		fprintf(m, "* the generator, not the path, set this figure: no loss was seen at a rate it could send\n");
	if (any_mark(all, '?'))
		fprintf(m, "? the search could not narrow its bounds to the precision: the figure is a lower bound\n");
	if (any_noisy_cell(all))
		fprintf(m, "~ its trials spread more than %.0f%%: noise, not a figure to compare\n", COMPARE_NOISY_SPREAD_PCT);
	if (searching) {
		search_notes(m, all);
		fputc('\n', m);
		table(m, all, "Bounds of the search: lower/upper Mpps (the loss held at the lower; the upper is the lowest rate "
			      "sent that lost more, - where none did)", cell_bounds);
	} else if (any_mark(all, '*')) {
		fputc('\n', m);
	}
	if (json_integer_value(json_object_get(all, "trials")) > 1) {
		snprintf(title, sizeof(title), "Spread over %lld trials per cell: min-max Mpps (the figure above is the median)",
			 json_integer_value(json_object_get(all, "trials")));
		table(m, all, title, cell_spread);
	}
	{
		const json_t *loads = latency_loads(all), *at;
		json_array_foreach(loads, latency_load, at) {
			snprintf(title, sizeof(title), "Latency at %g%% of the %s rate%s: p50/p99 us (round trip)", num(at, "load_pct"),
				 search, num(at, "load_pct") == 0 ? " (10 kpps of probes)" : "");
			table(m, all, title, cell_latency);
		}
	}
	if (any_b2b(all))
		table(m, all, "Back-to-back (RFC 2544): the longest burst at the maximum rate that came back whole, frames (+: the longest tried)",
		      cell_b2b);
	table(m, all, "At the maximum rate: Mpps sent/received", cell_max);
	table(m, all, searching ? "Throughput, Gb/s L1 (with preamble and gap)" : "Received, Gb/s L1 (with preamble and gap)",
	      cell_gbps);
	json_array_foreach(json_object_get(all, "configurations"), i, c) {
		const json_t *pin = json_object_get(c, "residency");
		size_t k;
		if (!json_is_object(pin))
			continue;
		fprintf(m, "vCPU residency while traffic ran, %s (pincheck vm --sample, %.1f s):", str(c, "name"), num(pin, "seconds"));
		json_array_foreach(json_object_get(pin, "vcpus"), k, v)
			fprintf(m, "%s vCPU %lld on CPU %lld %.1f%%", k ? "," : "", json_integer_value(json_object_get(v, "vcpu")),
				json_integer_value(json_object_get(v, "cpu")), 100 * num(v, "share"));
		fprintf(m, "\n");
	}
	return finish(m, &buf);
}

char *tables_csv(const json_t *all)
{
	char *buf = NULL;
	size_t len = 0, ci, k;
	FILE *m = open_memstream(&buf, &len);
	const json_t *c, *r;

	if (!m)
		return NULL;
	fprintf(m, "configuration,queues,size,mpps,mpps_min,mpps_max,gbps_l1,gbps_l2,loss_pct,latency_p50_ns,latency_p99_ns,"
		   "latency_max_ns,offered_mpps,sender_limited,limited_by,max_tx_mpps,max_rx_mpps,avg_size\n");
	json_array_foreach(json_object_get(all, "configurations"), ci, c)
		json_array_foreach(json_object_get(c, "results"), k, r) {
			const json_t *lat = json_object_get(r, "latency_ns");
			char sz[64];
			fprintf(m, "%s,%lld,%s,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,%lld,%lld,%lld,%.6f,%s,%s,", str(c, "name"),
				json_integer_value(json_object_get(c, "queues")), results_size(r, "", sz, sizeof(sz)),
				num(r, "mpps"), num(r, "mpps_min"), num(r, "mpps_max"), num(r, "gbps_l1"), num(r, "gbps_l2"),
				num(r, "loss_pct"), json_integer_value(json_object_get(lat, "p50")),
				json_integer_value(json_object_get(lat, "p99")), json_integer_value(json_object_get(lat, "max")),
				num(r, "offered_mpps"), json_is_true(json_object_get(r, "sender_limited")) ? "true" : "false",
				str(r, "limited_by"));
			if (json_is_number(json_object_get(r, "max_tx_mpps")))
				fprintf(m, "%.6f,%.6f,", num(r, "max_tx_mpps"), num(r, "max_rx_mpps"));
			else
				fprintf(m, ",,");
			/* The mean frame size: a mix's, or the size itself. */
			fprintf(m, "%.2f\n", json_is_number(json_object_get(r, "avg_size")) ? num(r, "avg_size") : num(r, "size"));
		}
	return finish(m, &buf);
}

/* plot.gp draws the figure of table.txt's first table (the metric in the title),
 * with each cell's min-max over its trials as error bars and the cells the generator
 * set (a lower bound) drawn apart, the key outside the data.  `gnuplot plot.gp` alone
 * redraws plot.png and plot.svg; with once=1 it draws once on the terminal and output
 * the caller set (vmbench, which writes the image itself). */
char *tables_plot(const json_t *all)
{
	char *buf = NULL, q[256], title[512], metric[160];
	size_t len = 0, ci;
	FILE *m = open_memstream(&buf, &len);
	const json_t *c;
	const char *search = str(all, "search");
	const bool searching = *search && strcmp(search, "none");

	if (!m)
		return NULL;
	if (searching)
		snprintf(metric, sizeof(metric), "%s at %g %% loss, at the rate actually sent", !strcmp(search, "ndr") ? "NDR" : "PDR",
			 num(all, "loss_threshold_pct"));
	else
		snprintf(metric, sizeof(metric), "received at rate %s", str(all, "rate"));
	snprintf(title, sizeof(title), "%s (%s%s): %s", str(all, "name"), str(all, "mode"),
		 !strcmp(str(all, "accel"), "tcg") ? ", TCG: emulated" : "", metric);
	results_gp_quote(title, q, sizeof(q));
	fprintf(m, "# gnuplot plot.gp (in this directory) redraws plot.png and plot.svg from results.csv;\n"
		   "# gnuplot -e \"set terminal T; set output 'F'; once=1\" plot.gp draws it once, there.\n"
		   "set datafile separator ','\nset key below horizontal\nset grid\nset logscale x 2\nset yrange [0:*]\n"
		   "set xlabel 'frame size (bytes)'\nset xtics (64, 128, 256, 512, 1024, 1518, 9000)\n"
		   "do for [fmt in (exists(\"once\") ? \"once\" : \"png svg\")] {\n"
		   "if (fmt eq 'png') { set terminal pngcairo size 1200,600 }\n"
		   "if (fmt eq 'svg') { set terminal svg size 1200,600 }\n"
		   "if (fmt ne 'once') { set output 'plot.'.fmt }\n"
		   "set multiplot layout 1,2 title %s noenhanced\n", q);
	for (int pass = 0; pass < 2; pass++) {
		fprintf(m, "set ylabel '%s'\nplot ", pass ? "Gb/s (L1)" : "Mpps per direction (bars: min-max over the trials)");
		json_array_foreach(json_object_get(all, "configurations"), ci, c) {
			results_gp_quote(str(c, "name"), q, sizeof(q));
			/* Columns: 1 configuration, 3 size, 4 mpps, 5 mpps_min, 6 mpps_max, 7 gbps_l1, 15 limited_by. */
			if (pass == 0)
				fprintf(m, "%s'results.csv' using (strcol(1) eq %s ? $3 : NaN):4:5:6 with yerrorlines lc %zu title %s noenhanced",
					ci ? ", " : "", q, ci + 1, q);
			else
				fprintf(m, "%s'results.csv' using (strcol(1) eq %s ? $3 : NaN):7 with linespoints lc %zu title %s noenhanced",
					ci ? ", " : "", q, ci + 1, q);
			fprintf(m, ", 'results.csv' using (strcol(1) eq %s && strcol(15) eq 'generator' ? $3 : NaN):%d with points "
				   "pt 6 ps 2.5 lc %zu title %s noenhanced",
				q, pass ? 7 : 4, ci + 1, ci ? "''" : "'* set by the generator (a lower bound)'");
		}
		fputc('\n', m);
	}
	fprintf(m, "unset multiplot\nif (fmt ne 'once') { unset output }\n}\n");
	return finish(m, &buf);
}
