/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * trafficgen — round-trip throughput, loss and latency through a reflector.
 * Sends signed UDP/IPv4 frames at a TSC-paced rate (never derived from the
 * link speed a virtual NIC reports), receives them back, and reports per trial
 * rates, loss, duplicates, reordering and latency percentiles; finds the
 * RFC 2544 throughput (NDR/PDR) by binary search.
 *
 *   trafficgen [EAL OPTIONS] -- [OPTIONS]
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_atomic.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_pause.h>

#include <jansson.h>

#include "dpdk/app.h"
#include "base/cli.h"
#include "base/exitcodes.h"
#include "base/fsutil.h"
#include "reflector/pkt.h"
#include "dpdk/preflight.h"
#include "base/prom.h"
#include "pinning/report.h"
#include "bench/search.h"
#include "base/numparse.h"
#include "bench/shape.h"
#include "bench/tgen.h"

#define MAX_QUEUES 16
#define MAX_SIZES 16
#define MAX_LOADS 8
#define IDLE_PPS 10000.0  /* "0 %" load: latency probes on an idle path, as CSIT's 0 % PDR */
#define BURST 32
#define RX_DESC 1024
#define TX_DESC 1024

static volatile bool force_quit;

enum search { SEARCH_NONE, SEARCH_NDR, SEARCH_PDR };

struct settings {
	struct shape sizes[MAX_SIZES]; /* a frame size or a mix (IMIX) each */
	unsigned nsizes;
	unsigned flows, queues, trials;
	double rate_pps;          /* 0: max */
	double rate_bps;          /* L1, 0: not given */
	double duration, warmup;
	enum search search;
	double threshold_pct;     /* loss allowed by the search */
	double precision;         /* stop when upper - lower <= precision % of the upper bound */
	double tolerance_pct;     /* a trial sending below asked * (1 - this) is sender-limited */
	double sender_cap_pps;    /* >0: never send faster (emulate a slower sender) */
	double link_wait;         /* seconds to wait for the peer before the first trial */
	double warmup_trial;      /* >0: a discarded trial at the maximum rate, this long, before each size */
	double latency_at[MAX_LOADS]; /* after a search: latency trials at these % of its rate */
	unsigned nlatency;
	bool json;
	const char *csv;
	const char *prometheus;   /* node_exporter textfile, replaced every second; NULL: none */
	bool hdr;                 /* each trial's latency histogram in HdrHistogram's encoding */
	bool b2b;                 /* RFC 2544 back-to-back: the longest burst at max rate that comes back */
	uint8_t dst_mac[6];
};

/* What one queue measured in one trial: its sender fills tx and tx_full, its
 * receiver the rest (one worker does both, or two lcores split it). */
struct qresult {
	uint64_t tx, rx, rx_bytes, other, tx_full;
	uint64_t skipped;              /* send slots given up after a stall (never sent in a burst later) */
	volatile bool tx_done;         /* the sender has stopped: tx is final */
	uint64_t duplicates, reordered;
	uint64_t tsc_start, tsc_end;   /* the measured window, as this worker sent it */
	struct tg_hist hist;
} __rte_cache_aligned;

/* The current trial, set by main before launching the workers. */
static struct {
	uint64_t start_tsc;            /* common to all workers */
	const struct shape *shape;     /* the frame size, or the mix and its schedule */
	double pps;                    /* per queue, the pace kept; 0: max */
	uint64_t warmup_tsc, duration_tsc, drain_tsc;
	uint32_t limit;                /* >0: send this many frames per queue, then stop (a burst) */
	uint8_t id;
} trial;

static struct settings cfg;
static struct rte_mempool *txpool[MAX_QUEUES], *rxpool;
static struct qresult *results;   /* [queues] */
static uint16_t port;
static uint8_t src_mac[6];

/* Who does what: one lcore per queue sends and receives; given two per queue, one
 * sends and the other receives. */
enum role { ROLE_BOTH, ROLE_TX, ROLE_RX };
struct job {
	unsigned q, lcore;
	enum role role;
};
static struct job jobs[2 * MAX_QUEUES];
static unsigned njobs;

static void usage(FILE *out)
{
	fprintf(out,
		"Usage:\n"
		" %1$s [EAL OPTIONS] -- [OPTIONS]\n"
		"\n"
		"Send signed UDP/IPv4 frames through a reflector and measure what comes back.\n"
		"\n"
		"Options:\n"
		"     --size LIST           frame sizes in bytes with FCS, 64-9000 (default 64), or mixes:\n"
		"                           imix (64:7+594:4+1518:1), imix_v4_1 (64:28+570:16+1518:4),\n"
		"                           SIZE:WEIGHT+...; e.g. 64,1518,imix\n"
		"     --rate RATE           max (default), N[k|M]pps, or N[M|G]bps (L1)\n"
		"     --flows N             UDP source ports 1024..1024+N-1 (default 1)\n"
		"     --queues N            queues, one worker lcore each (default 1)\n"
		"     --duration SECONDS    measured time per trial (default 2)\n"
		"     --warmup SECONDS      traffic before measuring (default 0.5)\n"
		"     --search ndr|pdr[=PCT] RFC 2544 throughput: the highest rate with loss <= 0 or PCT %%\n"
		"                           (pdr default 0.1)\n"
		"     --precision PCT       search until the interval is PCT %% of its upper bound (default 1)\n"
		"     --tolerance PCT       a trial that sends less than the asked rate by more than PCT %%\n"
		"                           is sender-limited and does not pass a search step (default 1)\n"
		"     --link-wait SECONDS   wait for the peer (link up, then taking frames) before the\n"
		"                           first trial (default 10, each)\n"
		"     --sender-cap RATE     never send faster than N[k|M]pps (emulate a slower sender)\n"
		"     --trials N            repeat each trial (or search) N times; median and spread\n"
		"     --warmup-trial SECONDS  before each size, a trial at the maximum rate whose\n"
		"                           result is discarded (caches, rings, the guest's pages)\n"
		"     --latency-at LIST     after a search, latency trials at these %% of its rate\n"
		"                           (e.g. 0,10,50,90; 0 %% is 10 kpps of probes on an idle path)\n"
		"     --back-to-back        after each size's trials, RFC 2544's back-to-back test: the\n"
		"                           longest burst at the maximum rate that comes back whole (up to\n"
		"                           --duration of sending; bisection to --precision)\n"
		"     --dst-mac MAC         destination MAC (default 02:00:00:00:00:02)\n"
		"     --json                one JSON object per line: trials, searches, a summary\n"
		"     --csv FILE            the trials as CSV\n"
		"     --hdr                 (--json) each trial's latency histogram, HdrHistogram-encoded\n"
		"     --prometheus FILE     counters in Prometheus' text format, FILE replaced atomically\n"
		"                           every second (node_exporter's textfile collector)\n"
		" -h, --help                display this help\n"
		" -V, --version             display version\n"
		"\n"
		"Frame sizes count the 4-byte FCS (RFC 2544): 64 bytes on the wire are 60 in DPDK.\n"
		"A mix sends its sizes in a fixed round (each spread evenly), the same on every queue;\n"
		"its bit rates use the mean size.\n"
		"L1 Gb/s adds preamble and inter-frame gap (20 bytes per frame).  Every trial reports\n"
		"the rate it asked for and the rate it achieved; searches report achieved rates.\n"
		"\n"
		"For more details see trafficgen(1).\n", cli_prog);
}



static int parse_args(int argc, char **argv, struct settings *s)
{
	enum { O_SIZE = 256, O_RATE, O_FLOWS, O_QUEUES, O_DURATION, O_WARMUP, O_SEARCH, O_PRECISION, O_TRIALS,
	       O_DSTMAC, O_JSON, O_CSV, O_TOLERANCE, O_CAP, O_LINKWAIT, O_WTRIAL, O_LATAT, O_PROM, O_HDR, O_B2B };
	static const struct option longopts[] = {
		{ "size", required_argument, NULL, O_SIZE },
		{ "rate", required_argument, NULL, O_RATE },
		{ "flows", required_argument, NULL, O_FLOWS },
		{ "queues", required_argument, NULL, O_QUEUES },
		{ "duration", required_argument, NULL, O_DURATION },
		{ "warmup", required_argument, NULL, O_WARMUP },
		{ "search", required_argument, NULL, O_SEARCH },
		{ "precision", required_argument, NULL, O_PRECISION },
		{ "trials", required_argument, NULL, O_TRIALS },
		{ "dst-mac", required_argument, NULL, O_DSTMAC },
		{ "json", no_argument, NULL, O_JSON },
		{ "csv", required_argument, NULL, O_CSV },
		{ "tolerance", required_argument, NULL, O_TOLERANCE },
		{ "sender-cap", required_argument, NULL, O_CAP },
		{ "link-wait", required_argument, NULL, O_LINKWAIT },
		{ "warmup-trial", required_argument, NULL, O_WTRIAL },
		{ "latency-at", required_argument, NULL, O_LATAT },
		{ "prometheus", required_argument, NULL, O_PROM },
		{ "hdr", no_argument, NULL, O_HDR },
		{ "back-to-back", no_argument, NULL, O_B2B },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long long u;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "hV", longopts, NULL)) != -1) {
		switch (c) {
		case O_SIZE: {
			char buf[256], *tok, *next;
			if (strlen(optarg) >= sizeof(buf))
				return cli_usage_error("invalid --size: too long");
			snprintf(buf, sizeof(buf), "%s", optarg);
			s->nsizes = 0;
			/* Every item between commas is a size: "64,,128" is a mistake, not two sizes. */
			for (tok = buf; tok; tok = next) {
				char why[160];
				next = strchr(tok, ',');
				if (next)
					*next++ = '\0';
				if (s->nsizes == MAX_SIZES)
					return cli_usage_error("at most %d sizes", MAX_SIZES);
				if (shape_parse(tok, &s->sizes[s->nsizes], why, sizeof(why)) < 0)
					return cli_usage_error("invalid --size '%s': %s", tok, why);
				s->nsizes++;
			}
			if (s->nsizes == 0)
				return cli_usage_error("invalid --size '%s'", optarg);
			break;
		}
		case O_RATE:
			if (strcmp(optarg, "max") && num_parse_rate(optarg, &s->rate_pps, &s->rate_bps) < 0)
				return cli_usage_error("invalid --rate '%s' (max, N[k|M|G]pps or N[k|M|G]bps, at most 2 Gpps or 2 Tbps)",
						       optarg);
			if (!strcmp(optarg, "max"))
				s->rate_pps = s->rate_bps = 0;
			break;
		case O_CAP:
			if (num_parse_pps(optarg, &s->sender_cap_pps) < 0)
				return cli_usage_error("invalid --sender-cap '%s' (N[k|M|G]pps)", optarg);
			break;
		case O_FLOWS:
		case O_QUEUES:
		case O_TRIALS: {
			unsigned long long max = c == O_FLOWS ? 64512 : c == O_QUEUES ? MAX_QUEUES : 1000;
			if (num_parse_uint(optarg, 1, max, &u) < 0)
				return cli_usage_error("invalid --%s '%s' (1-%llu)", c == O_FLOWS ? "flows" : c == O_QUEUES ? "queues" : "trials",
						       optarg, max);
			*(c == O_FLOWS ? &s->flows : c == O_QUEUES ? &s->queues : &s->trials) = (unsigned)u;
			break;
		}
		case O_DURATION:
		case O_WARMUP:
		case O_LINKWAIT:
			if (num_parse_seconds(optarg, c != O_DURATION, 3600,
					      c == O_DURATION ? &s->duration : c == O_WARMUP ? &s->warmup : &s->link_wait) < 0)
				return cli_usage_error("invalid --%s '%s' (seconds, %s 3600)",
						       c == O_DURATION ? "duration" : c == O_WARMUP ? "warmup" : "link-wait", optarg,
						       c == O_DURATION ? "more than 0, at most" : "0 to");
			break;
		case O_WTRIAL:
			if (num_parse_seconds(optarg, true, 3600, &s->warmup_trial) < 0)
				return cli_usage_error("invalid --warmup-trial '%s' (seconds, 0 to 3600)", optarg);
			break;
		case O_LATAT:
			if (num_parse_pct_list(optarg, s->latency_at, MAX_LOADS, &s->nlatency) < 0)
				return cli_usage_error("invalid --latency-at '%s' (up to %d percentages 0-100, ascending: 0,10,50,90)",
						       optarg, MAX_LOADS);
			break;
		case O_PRECISION:
		case O_TOLERANCE:
			if (num_parse_double(optarg, 0, c == O_PRECISION ? 100 : 50, c == O_PRECISION ? &s->precision : &s->tolerance_pct) < 0 ||
			    (c == O_PRECISION && s->precision == 0))
				return cli_usage_error("invalid --%s '%s' (a percentage, %s)", c == O_PRECISION ? "precision" : "tolerance",
						       optarg, c == O_PRECISION ? "more than 0, at most 100" : "0-50");
			break;
		case O_SEARCH:
			if (!strcmp(optarg, "ndr")) {
				s->search = SEARCH_NDR;
				s->threshold_pct = 0;
			} else if (!strncmp(optarg, "pdr", 3) && (optarg[3] == '\0' || optarg[3] == '=')) {
				s->search = SEARCH_PDR;
				s->threshold_pct = 0.1;
				if (optarg[3] == '=' && (num_parse_double(optarg + 4, 0, 100, &s->threshold_pct) < 0 ||
							 s->threshold_pct == 0 || s->threshold_pct == 100))
					return cli_usage_error("invalid --search '%s' (pdr=PCT, 0 < PCT < 100)", optarg);
			} else {
				return cli_usage_error("invalid --search '%s' (ndr or pdr[=PCT])", optarg);
			}
			break;
		case O_DSTMAC: {
			unsigned m[6];
			if (sscanf(optarg, "%2x:%2x:%2x:%2x:%2x:%2x%c", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5], (char[2]){ 0 }) != 6)
				return cli_usage_error("invalid --dst-mac '%s'", optarg);
			for (int i = 0; i < 6; i++)
				s->dst_mac[i] = (uint8_t)m[i];
			break;
		}
		case O_JSON: s->json = true; break;
		case O_CSV: s->csv = optarg; break;
		case O_PROM: s->prometheus = optarg; break;
		case O_HDR: s->hdr = true; break;
		case O_B2B: s->b2b = true; break;
		case 'h':
			usage(stdout);
			exit(EXIT_OK);
		case 'V':
			exit(cli_version());
		default:
			return cli_try_help();
		}
	}
	if (optind < argc)
		return cli_usage_error("unexpected argument '%s'", argv[optind]);
	if (s->search && (s->rate_pps || s->rate_bps))
		return cli_usage_error("--search finds the rate itself: leave out --rate");
	if (s->nlatency && !s->search)
		return cli_usage_error("--latency-at takes fractions of a search's rate: give --search");
	if (s->hdr && !s->json)
		return cli_usage_error("--hdr adds histograms to the JSON lines: give --json");
	return 0;
}

static void on_signal(int sig)
{
	(void)sig;
	force_quit = true;
}

/* Every mbuf of a TX pool starts as a frame template: per packet only lengths,
 * the flow and the signature are written. */
static void init_tx_mbuf(struct rte_mempool *mp, void *arg, void *obj, unsigned idx)
{
	struct rte_mbuf *m = obj;

	(void)mp;
	(void)arg;
	(void)idx;
	tg_build(rte_pktmbuf_mtod(m, uint8_t *), TG_MIN_SIZE, src_mac, cfg.dst_mac, 0);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* One queue (or one direction of it): send at the trial's pace, receive, account. */
static int worker_main(void *arg)
{
	const struct job *job = arg;
	const unsigned q = job->q;
	const bool do_tx = job->role != ROLE_RX, do_rx = job->role != ROLE_TX;
	struct qresult *res = &results[q];
	struct tg_stream *streams = rte_zmalloc(NULL, sizeof(*streams) * cfg.queues, 0);
	struct rte_mbuf *tx[BURST], *rx[BURST];
	bool measured[BURST];          /* per pending frame: stamped inside the measured window */
	const uint64_t hz = rte_get_tsc_hz();
	const struct shape *sh = trial.shape;
	const double cycles_per_pkt = trial.pps > 0 ? (double)hz / trial.pps : 0;
	/* More than a burst behind schedule is a stall, not jitter: give up those slots. */
	const double slack = cycles_per_pkt * BURST;
	static __thread uint8_t hdr[TG_MAX_SIZE]; /* tg_build writes the whole frame */
	/* Per size of the shape: its data length and the fields that depend on it (IPv4
	 * total length, the IPv4 checksum, UDP length), computed once. */
	uint16_t lens[SHAPE_MIX_MAX];
	uint8_t fields[SHAPE_MIX_MAX][6];
	unsigned pos = 0;                   /* where in the shape's round the next frame is */
	uint32_t seq = 0, flow = 0, pending = 0;
	uint64_t start = trial.start_tsc, measure = start + trial.warmup_tsc, stop = measure + trial.duration_tsc;
	uint64_t drain_end = stop + trial.drain_tsc;
	const uint32_t limit = trial.limit;
	double next_tx = (double)start;
	unsigned burst = BURST, loops = 0;
	/* At the max rate, poll RX every 4th loop: each poll then takes a batch, and the ring
	 * the other CPU writes is read (a cache-coherency miss) 4x less often.  Paced trials
	 * poll every loop, so their latency is not stretched. */
	const unsigned rx_every = trial.pps > 0 || job->role != ROLE_BOTH ? 1 : 4;

	if (!streams)
		return -ENOMEM;
	for (unsigned k = 0; k < sh->n; k++) {
		lens[k] = (uint16_t)tg_build(hdr, sh->size[k], src_mac, cfg.dst_mac, 0);
		memcpy(fields[k], hdr + 16, 2);
		memcpy(fields[k] + 2, hdr + 24, 2);
		memcpy(fields[k] + 4, hdr + 38, 2);
	}
	if (cycles_per_pkt > 0) {
		/* A burst every 8 us or so: a paced stream should not arrive in clumps, and a
		 * burst of one frame per call costs more than a slow sender (a guest) has. */
		double b = trial.pps / 1e6 * 8;
		burst = b >= BURST ? BURST : b >= 1 ? (unsigned)b : 1;
	}
	if (do_tx) {
		res->tsc_start = measure;
		res->tsc_end = stop;
	}
	while (rte_rdtsc() < start)
		rte_pause(); /* the common start */

	for (;;) {
		uint64_t now = rte_rdtsc();
		bool sending = do_tx && now < stop && !force_quit && (!limit || seq < limit || pending);
		uint16_t n;

		if (do_tx && !sending && !res->tx_done) {
			/* Frames the ring never took by the end: slots not sent, like skipped ones. */
			for (unsigned i = 0; i < pending; i++)
				res->skipped += measured[i];
			if (pending)
				rte_pktmbuf_free_bulk(tx, pending);
			pending = 0;
			rte_smp_wmb(); /* tx is final before tx_done says so */
			res->tx_done = true;
		}
		if (!do_rx && res->tx_done)
			break;
		if (do_rx && limit && res->tx_done && drain_end > now + trial.drain_tsc)
			drain_end = now + trial.drain_tsc; /* a burst: drain from its end, not the window's */
		if (do_rx && (now >= stop || (limit && res->tx_done))) {
			bool all_back = false;
			if (res->tx_done) {
				rte_smp_rmb(); /* read tx after tx_done */
				all_back = res->rx >= res->tx;
			}
			if (now >= drain_end || all_back)
				break;
		}
		if (sending && cycles_per_pkt > 0 && (double)now - next_tx > slack) {
			/* Behind after a stall (this lcore was preempted, the ring was full): sending
			 * the backlog at full speed would be a burst far above the asked rate, which a
			 * policer rightly drops.  Skip the missed slots and count them: the achieved
			 * rate shows the shortfall, and the trial is marked sender-limited. */
			uint64_t missed = (uint64_t)(((double)now - next_tx) / cycles_per_pkt);
			/* Only the slots inside the measured window count: tx + skipped is then
			 * every slot of the window, within a burst. */
			double from = next_tx > (double)measure ? next_tx : (double)measure;
			if ((double)now > from)
				res->skipped += (uint64_t)(((double)now - from) / cycles_per_pkt);
			next_tx += (double)missed * cycles_per_pkt;
		}
		if (sending && (cycles_per_pkt == 0 || (double)now >= next_tx)) {
			unsigned want = burst - pending;
			if (limit && want > limit - seq)
				want = limit - seq; /* the burst's last frames */
			if (want && rte_pktmbuf_alloc_bulk(txpool[q], tx + pending, want) == 0) {
				/* One timestamp per burst: the frames leave together. */
				struct tg_sig sig = { .trial = trial.id, .flags = now >= measure ? TG_FLAG_MEASURED : 0,
						      .stream = (uint16_t)q, .tsc = rte_rdtsc() };
				for (unsigned i = pending; i < pending + want; i++) {
					struct rte_mbuf *m = tx[i];
					uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *);
					const unsigned k = sh->sched[pos];
					if (++pos == sh->period)
						pos = 0;
					m->data_len = lens[k];
					m->pkt_len = lens[k];
					memcpy(d + 16, fields[k], 2);     /* IPv4 total length */
					memcpy(d + 24, fields[k] + 2, 2); /* its checksum (the addresses are the template's) */
					memcpy(d + 38, fields[k] + 4, 2); /* UDP length */
					put16(d + 34, (uint16_t)(1024 + flow));
					if (++flow == cfg.flows)
						flow = 0;
					sig.seq = seq++;
					tg_stamp(d, &sig);
					measured[i] = sig.flags & TG_FLAG_MEASURED;
				}
				pending += want;
			}
			if (pending) {
				uint16_t sent = rte_eth_tx_burst(port, (uint16_t)q, tx, (uint16_t)pending);
				/* Sent mbufs are the driver's now: count from our own record, not from them. */
				for (uint16_t i = 0; i < sent; i++)
					res->tx += measured[i];
				if (sent < pending) {
					/* Keep the rest, in order, for the next try: no gaps in the sequence. */
					memmove(tx, tx + sent, (pending - sent) * sizeof(*tx));
					memmove(measured, measured + sent, (pending - sent) * sizeof(*measured));
					res->tx_full++;
				}
				pending -= sent;
				if (cycles_per_pkt > 0)
					next_tx += cycles_per_pkt * sent;
			}
		}
		if (!do_rx || (sending && ++loops % rx_every && pending == 0))
			continue;
		n = rte_eth_rx_burst(port, (uint16_t)q, rx, BURST);
		if (n) {
			uint64_t t = rte_rdtsc();
			for (uint16_t i = 0; i < n; i++) {
				struct tg_sig s;
				const uint8_t *d = rte_pktmbuf_mtod(rx[i], const uint8_t *);
				if (!tg_read(d, rte_pktmbuf_data_len(rx[i]), &s) || s.trial != trial.id ||
				    !(s.flags & TG_FLAG_MEASURED) || s.stream >= cfg.queues) {
					res->other++;
					continue;
				}
				if (!tg_stream_rx(&streams[s.stream], s.seq))
					continue; /* a duplicate: counted by the stream */
				res->rx++;
				res->rx_bytes += rte_pktmbuf_pkt_len(rx[i]);
				tg_hist_add(&res->hist, (t - s.tsc) * 1000000000ULL / hz);
			}
			rte_pktmbuf_free_bulk(rx, n);
		}
	}
	if (pending)
		rte_pktmbuf_free_bulk(tx, pending);
	for (unsigned s = 0; s < cfg.queues; s++) {
		res->duplicates += streams[s].duplicates;
		res->reordered += streams[s].reordered;
	}
	rte_free(streams);
	return 0;
}

/* {"min", "mean", "p50", "p90", "p99", "p999", "max", "count"} of a histogram, in ns. */
/* One trial's figures, computed once: its JSON record and its text and CSV lines
 * are rendered from them (no line looks a key up that, misspelt, would print 0), and
 * the search judges them. */
struct trial_sum {
	double asked_pps;          /* 0: at the maximum */
	double rate_pps;           /* asked, or achieved at the maximum */
	double offered_pps, tx_mpps, rx_mpps, gbps_l1, gbps_l2, loss_pct;
	uint64_t tx, rx, duplicates, reordered, skipped;
	int64_t loss;
	bool limited;
	const char *reason;        /* a failed trial's; NULL when it measured */
	struct { uint64_t min, mean, p50, p99, p999, max; } lat;
};

static json_t *latency_json(const struct tg_hist *h)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "count", (json_int_t)h->count, "min",
			 (json_int_t)(h->count ? h->min : 0), "mean", (json_int_t)(h->count ? h->sum / h->count : 0), "p50",
			 (json_int_t)tg_hist_quantile(h, 0.5), "p90", (json_int_t)tg_hist_quantile(h, 0.9), "p99",
			 (json_int_t)tg_hist_quantile(h, 0.99), "p999", (json_int_t)tg_hist_quantile(h, 0.999), "max",
			 (json_int_t)h->max);
}

/* --prometheus: what every queue sent and received since the start (finished trials
 * plus the running one's live counters), and the last trial's figures. */
static struct {
	uint64_t tx[MAX_QUEUES], rx[MAX_QUEUES];
	uint64_t trials;
	double size, asked_pps, rx_pps, loss_ratio, p50, p99;
	struct timespec last;
	bool running;              /* a trial's counters are live in results[] */
} prom_state;

static int write_prometheus(void)
{
	struct prom pm;
	char q[8];

	if (prom_begin(&pm) < 0)
		return -ENOMEM;
	/* Per queue: finished trials' counts plus the running one's live counters. */
	for (int dir = 0; dir < 2; dir++) {
		const char *name = dir ? "pinlab_trafficgen_rx_packets_total" : "pinlab_trafficgen_tx_packets_total";
		prom_family(&pm, name, "counter",
			    dir ? "Own frames received back, per queue." : "Signed frames sent, per queue (measured windows).");
		for (unsigned i = 0; i < cfg.queues; i++) {
			uint64_t live = !prom_state.running ? 0 : dir ? *(volatile uint64_t *)&results[i].rx
								     : *(volatile uint64_t *)&results[i].tx;
			snprintf(q, sizeof(q), "%u", i);
			prom_sample(&pm, name, (double)((dir ? prom_state.rx[i] : prom_state.tx[i]) + live),
				    (const char *const[]){ "queue", q, NULL });
		}
	}
	prom_family(&pm, "pinlab_trafficgen_trials_total", "counter", "Trials finished (warm-up and latency trials included).");
	prom_sample(&pm, "pinlab_trafficgen_trials_total", (double)prom_state.trials, NULL);
	{
		const struct { const char *name, *help; double v; } g[] = {
			{ "pinlab_trafficgen_last_trial_size_bytes", "The last trial's frame size (with FCS; a mix's mean).", prom_state.size },
			{ "pinlab_trafficgen_last_trial_asked_pps", "The rate the last trial asked for (0: max).", prom_state.asked_pps },
			{ "pinlab_trafficgen_last_trial_rx_pps", "Frames per second the last trial received back.", prom_state.rx_pps },
			{ "pinlab_trafficgen_last_trial_loss_ratio", "The last trial's lost share of what it sent.", prom_state.loss_ratio },
		};
		for (size_t k = 0; k < sizeof(g) / sizeof(g[0]); k++) {
			prom_family(&pm, g[k].name, "gauge", g[k].help);
			prom_sample(&pm, g[k].name, g[k].v, NULL);
		}
	}
	prom_family(&pm, "pinlab_trafficgen_last_trial_latency_seconds", "gauge", "The last trial's round-trip latency.");
	prom_sample(&pm, "pinlab_trafficgen_last_trial_latency_seconds", prom_state.p50 / 1e9,
		    (const char *const[]){ "quantile", "0.5", NULL });
	prom_sample(&pm, "pinlab_trafficgen_last_trial_latency_seconds", prom_state.p99 / 1e9,
		    (const char *const[]){ "quantile", "0.99", NULL });
	return prom_commit(&pm, cfg.prometheus);
}

/* Write the file when a second has passed (or now, @force).  A failure is warned once
 * a second at most: the measurement goes on. */
static void prom_tick(bool force)
{
	struct timespec now;
	int r;

	if (!cfg.prometheus)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!force && (double)(now.tv_sec - prom_state.last.tv_sec) + (double)(now.tv_nsec - prom_state.last.tv_nsec) / 1e9 < 1)
		return;
	prom_state.last = now;
	if ((r = write_prometheus()) < 0)
		cli_warn("cannot write %s: %s", cfg.prometheus, strerror(-r));
}

/* The "size" of the JSON records: the frame size, or the mix's name. */
static json_t *size_json(const struct shape *sh)
{
	return shape_is_mix(sh) ? json_string(sh->name) : json_integer(sh->size[0]);
}

/* How the text output names a shape: "   64 B", or the mix's name. */
static const char *size_label(const struct shape *sh)
{
	static char buf[80];

	if (shape_is_mix(sh))
		snprintf(buf, sizeof(buf), "%s", sh->name);
	else
		snprintf(buf, sizeof(buf), "%5u B", sh->size[0]);
	return buf;
}

/* Is the link up now? */
static bool link_up(void)
{
	struct rte_eth_link link;

	return rte_eth_link_get_nowait(port, &link) == 0 && link.link_status == RTE_ETH_LINK_UP;
}

/* Run one trial asking for @pps in total (0: max); fill a JSON object.  A trial that
 * sent nothing has "status": "failed" and a "reason"; one that sent less than it asked
 * by more than the tolerance is "sender_limited". */
static json_t *run_trial(const struct shape *sh, double pps, struct trial_sum *sum)
{
	static uint8_t next_id = 1;
	const uint64_t hz = rte_get_tsc_hz();
	struct qresult tot = { 0 };
	struct tg_hist *h = calloc(1, sizeof(*h));
	double secs, txpps, rxpps, loss_pct, pace = pps;
	struct timespec started;
	bool limited;
	int64_t loss;
	json_t *o, *qa;

	/* The pace the sender keeps: what was asked, never above the cap. */
	if (cfg.sender_cap_pps > 0 && (pace == 0 || pace > cfg.sender_cap_pps))
		pace = cfg.sender_cap_pps;
	trial.shape = sh;
	trial.pps = pace / cfg.queues;
	trial.warmup_tsc = (uint64_t)(cfg.warmup * (double)hz);
	trial.duration_tsc = (uint64_t)(cfg.duration * (double)hz);
	trial.drain_tsc = hz / 10; /* in-flight frames have 100 ms to come back */
	trial.id = next_id++;
	if (next_id == 0)
		next_id = 1;
	memset(results, 0, sizeof(*results) * cfg.queues);
	clock_gettime(CLOCK_REALTIME, &started);
	trial.start_tsc = rte_rdtsc() + hz / 1000; /* 1 ms for every worker to be there */
	prom_state.running = true;
	for (unsigned j = 0; j < njobs; j++)
		rte_eal_remote_launch(worker_main, &jobs[j], jobs[j].lcore);
	/* Sleep while the workers run: rte_eal_mp_wait_lcore spins, and the main lcore
	 * often shares a CPU with someone who polls (the reflector, on a small host). */
	for (unsigned j = 0; j < njobs; j++) {
		struct timespec ms = { 0, 1000000 };
		while (rte_eal_get_lcore_state(jobs[j].lcore) != WAIT) {
			nanosleep(&ms, NULL);
			prom_tick(false);
		}
		rte_eal_wait_lcore(jobs[j].lcore);
	}
	prom_state.running = false;
	for (unsigned q = 0; q < cfg.queues; q++) {
		prom_state.tx[q] += results[q].tx;
		prom_state.rx[q] += results[q].rx;
	}

	qa = json_array();
	for (unsigned q = 0; q < cfg.queues; q++) {
		struct qresult *r = &results[q];
		tot.tx += r->tx;
		tot.rx += r->rx;
		tot.rx_bytes += r->rx_bytes;
		tot.duplicates += r->duplicates;
		tot.reordered += r->reordered;
		tot.other += r->other;
		tot.tx_full += r->tx_full;
		tot.skipped += r->skipped;
		tg_hist_merge(h, &r->hist);
		json_array_append_new(qa, json_pack("{s:i, s:I, s:I, s:I, s:I, s:o}", "queue", q, "tx_packets", (json_int_t)r->tx,
						    "rx_packets", (json_int_t)r->rx, "duplicates", (json_int_t)r->duplicates,
						    "reordered", (json_int_t)r->reordered, "latency_ns", latency_json(&r->hist)));
	}
	secs = cfg.duration;
	txpps = (double)tot.tx / secs;
	rxpps = (double)tot.rx / secs;
	loss = (int64_t)tot.tx - (int64_t)tot.rx;
	loss_pct = tot.tx ? 100.0 * (double)loss / (double)tot.tx : 0;
	limited = pps > 0 && txpps < pps * (1 - cfg.tolerance_pct / 100);
	{
		double avg = tot.rx ? (double)tot.rx_bytes / (double)tot.rx : shape_avg(sh) - 4;
		*sum = (struct trial_sum){
			.asked_pps = pps > 0 ? pps : 0, .rate_pps = pps > 0 ? pps : txpps, .offered_pps = txpps,
			.tx_mpps = txpps / 1e6, .rx_mpps = rxpps / 1e6, .gbps_l1 = pkt_gbps_l1(rxpps, avg),
			.gbps_l2 = pkt_gbps_l2(rxpps, avg), .loss_pct = loss_pct, .tx = tot.tx, .rx = tot.rx,
			.duplicates = tot.duplicates, .reordered = tot.reordered, .skipped = tot.skipped, .loss = loss,
			.limited = limited,
			/* Whatever was counted, a peer that is gone measured nothing; nothing sent is never "0 % loss". */
			.reason = !link_up() ? "the peer went away (link down)" : tot.tx == 0 ? "sent nothing: the port took no frames" : NULL,
			.lat = { h->count ? h->min : 0, h->count ? h->sum / h->count : 0, tg_hist_quantile(h, 0.5),
				 tg_hist_quantile(h, 0.99), tg_hist_quantile(h, 0.999), h->max },
		};
	}
	/* The record, from the same figures. */
	o = json_pack("{s:s, s:o, s:f, s:s, s:I, s:I, s:I, s:f, s:I, s:I, s:f, s:f, s:f, s:f, s:f, s:f}", "type", "trial",
		      "size", size_json(sh), "rate_pps", sum->rate_pps, "offered", sum->asked_pps > 0 ? "paced" : "max",
		      "tx_packets", (json_int_t)sum->tx, "rx_packets", (json_int_t)sum->rx, "loss_packets", (json_int_t)sum->loss,
		      "loss_pct", sum->loss_pct, "duplicates", (json_int_t)sum->duplicates, "reordered", (json_int_t)sum->reordered,
		      "tx_mpps", sum->tx_mpps, "rx_mpps", sum->rx_mpps, "rx_gbps_l1", sum->gbps_l1, "rx_gbps_l2", sum->gbps_l2,
		      "duration", secs, "warmup", cfg.warmup);
	/* What was asked and what the sender achieved: a search judges the second. */
	json_object_set_new(o, "asked_pps", sum->asked_pps > 0 ? json_real(sum->asked_pps) : json_null());
	json_object_set_new(o, "offered_pps", json_real(sum->offered_pps));
	if (shape_is_mix(sh))
		json_object_set_new(o, "avg_size", json_real(shape_avg(sh)));
	json_object_set_new(o, "offered_gbps_l1", json_real(pkt_gbps_l1(txpps, shape_avg(sh) - 4)));
	json_object_set_new(o, "offered_gbps_l2", json_real(pkt_gbps_l2(txpps, shape_avg(sh) - 4)));
	json_object_set_new(o, "sender_limited", json_boolean(sum->limited));
	json_object_set_new(o, "skipped_slots", json_integer((json_int_t)sum->skipped));
	json_object_set_new(o, "status", json_string(sum->reason ? "failed" : "ok"));
	if (sum->reason)
		json_object_set_new(o, "reason", json_string(sum->reason));
	json_object_set_new(o, "latency_ns", latency_json(h));
	if (cfg.hdr) {
		/* For HdrHistogram's interval logs: when it started, and the histogram. */
		char *enc = tg_hist_hdr(h);
		/* Milliseconds as an integer: the lines' reals keep 6 digits. */
		json_object_set_new(o, "time_ms", json_integer((json_int_t)started.tv_sec * 1000 + started.tv_nsec / 1000000));
		json_object_set_new(o, "latency_hdr", enc ? json_string(enc) : json_null());
		free(enc);
	}
	json_object_set_new(o, "queues", qa);
	prom_state.trials++;
	prom_state.size = shape_avg(sh);
	prom_state.asked_pps = pps;
	prom_state.rx_pps = rxpps;
	prom_state.loss_ratio = loss_pct / 100;
	prom_state.p50 = (double)tg_hist_quantile(h, 0.5);
	prom_state.p99 = (double)tg_hist_quantile(h, 0.99);
	prom_tick(true);
	json_object_set_new(o, "other_packets", json_integer((json_int_t)tot.other));
	/* Sends that found the TX ring full: the path, not the sender, set the pace. */
	json_object_set_new(o, "tx_ring_full", json_integer((json_int_t)tot.tx_full));
	free(h);
	return o;
}

static bool trial_failed(const json_t *t)
{
	return !strcmp(json_string_value(json_object_get(t, "status")) ?: "failed", "failed");
}

static FILE *csv;

static void emit_trial(const json_t *t, const struct trial_sum *m)
{
	if (cfg.json) {
		json_dumpf(t, stdout, JSON_COMPACT | JSON_REAL_PRECISION(6));
		putchar('\n');
	} else {
		char asked[32] = "max";
		if (m->asked_pps > 0)
			snprintf(asked, sizeof(asked), "%.3f Mpps", m->asked_pps / 1e6);
		if (m->reason)
			printf("%s  asked %s: trial failed: %s\n", size_label(trial.shape), asked, m->reason);
		else
			printf("%s  asked %-13s tx %8.3f Mpps%s  rx %8.3f Mpps  %7.2f Gb/s L1  loss %lld (%.4f%%)  dup %llu  reord %llu  "
			       "latency min %llu p50 %llu p99 %llu p99.9 %llu max %llu ns\n",
			       size_label(trial.shape), asked, m->tx_mpps, m->limited ? " (sender-limited)" : "", m->rx_mpps,
			       m->gbps_l1, (long long)m->loss, m->loss_pct, (unsigned long long)m->duplicates,
			       (unsigned long long)m->reordered, (unsigned long long)m->lat.min, (unsigned long long)m->lat.p50,
			       (unsigned long long)m->lat.p99, (unsigned long long)m->lat.p999, (unsigned long long)m->lat.max);
	}
	fflush(stdout);
	if (csv) {
		fprintf(csv, "%s,%.0f,%s,%llu,%llu,%lld,%.6f,%llu,%llu,%.6f,%.6f,%.6f,%.6f,%llu,%llu,%llu,%llu,%llu,%llu\n",
			trial.shape->name, m->rate_pps, m->asked_pps > 0 ? "paced" : "max", (unsigned long long)m->tx,
			(unsigned long long)m->rx, (long long)m->loss, m->loss_pct, (unsigned long long)m->duplicates,
			(unsigned long long)m->reordered, m->tx_mpps, m->rx_mpps, m->gbps_l1, m->gbps_l2,
			(unsigned long long)m->lat.min, (unsigned long long)m->lat.mean, (unsigned long long)m->lat.p50,
			(unsigned long long)m->lat.p99, (unsigned long long)m->lat.p999, (unsigned long long)m->lat.max);
		fflush(csv);
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double num(const json_t *o, const char *key)
{
	return json_number_value(json_object_get(o, key));
}

/* The search's trials: run at the rate asked, printed, kept (the search names the one
 * that gave its result by index). */
struct search_ctx {
	const struct shape *sh;
	json_t *trials;            /* every trial's JSON, in order */
};

static int search_trial(void *ctx, double asked, struct search_trial *t)
{
	struct search_ctx *c = ctx;
	struct trial_sum m;
	json_t *o;

	if (force_quit || !(o = run_trial(c->sh, asked, &m)))
		return -1;
	emit_trial(o, &m);
	json_array_append_new(c->trials, o);
	*t = (struct search_trial){ .asked = asked,
				    .offered = m.offered_pps,
				    .loss_pct = m.loss_pct,
				    .lost = m.loss > 0 ? (uint64_t)m.loss : 0,
				    .limited = m.limited,
				    .skipped = m.skipped,
				    .failed = m.reason != NULL };
	return 0;
}

/* RFC 2544 throughput for one size, judged on what was sent (bench/search.c has the
 * rules): the highest rate sent whose loss held.  The record carries the bounds as
 * observed (no upper bound when no loss was seen at a rate sent), whether it is
 * conclusive, the sender's measured ceiling and one sentence of what was seen.
 * *@failed when a trial failed; NULL when interrupted. */
static json_t *search_rate(const struct shape *sh, bool *failed)
{
	const struct search_cfg sc = { .threshold_pct = cfg.threshold_pct, .precision_pct = cfg.precision,
				       .max_trials = 32, .retries = 2 };
	struct search_ctx ctx = { .sh = sh, .trials = json_array() };
	struct search_result r;
	const json_t *best, *first;
	char note[512];
	json_t *o;

	if (!ctx.trials)
		return NULL;
	if (search_run(&sc, search_trial, &ctx, &r) < 0 && !r.failed) {
		json_decref(ctx.trials);
		return NULL;
	}
	*failed = r.failed;
	search_note(&r, &sc, note, sizeof(note));
	best = r.best >= 0 ? json_array_get(ctx.trials, (size_t)r.best) : NULL;
	first = json_array_get(ctx.trials, 0);
	o = json_pack("{s:s, s:o, s:s, s:f, s:f, s:f, s:f, s:f, s:f, s:i, s:s, s:s, s:b, s:s}", "type", "search", "size",
		      size_json(sh), "search", cfg.search == SEARCH_NDR ? "ndr" : "pdr", "threshold_pct", cfg.threshold_pct,
		      "rate_pps", r.rate, "lower_pps", r.lower, "precision_pps", r.precision, "max_pps", r.max, "max_rx_pps",
		      first ? num(first, "rx_mpps") * 1e6 : 0.0, "steps", (int)r.trials, "limited_by",
		      r.limit == SEARCH_LIMIT_PATH ? "path" : "generator", "status", r.failed ? "failed" : "ok", "inconclusive",
		      r.inconclusive, "note", note);
	if (!o) {
		json_decref(ctx.trials);
		return NULL;
	}
	/* Only a rate that lost bounds the search from above: none seen, none said. */
	json_object_set_new(o, "upper_pps", r.upper >= 0 ? json_real(r.upper) : json_null());
	json_object_set_new(o, "first_loss_pps", r.first_loss >= 0 ? json_real(r.first_loss) : json_null());
	json_object_set_new(o, "paced_ceiling_pps", json_real(r.paced_ceiling));
	json_object_set_new(o, "unreached_pps", r.unreached > 0 ? json_real(r.unreached) : json_null());
	json_object_set_new(o, "sender_limited_trials", json_integer(r.limited));
	json_object_set_new(o, "retried", json_integer(r.retried));
	json_object_set_new(o, "inconsistent", json_integer(r.inconsistent));
	json_object_set_new(o, "suspect", json_integer(r.suspect));
	json_object_set_new(o, "skipped_slots", json_integer((json_int_t)r.skipped));
	json_object_set_new(o, "asked_pps", best && json_is_number(json_object_get(best, "asked_pps"))
						    ? json_real(num(best, "asked_pps")) : json_null());
	json_object_set_new(o, "trial", best ? json_incref((json_t *)best) : json_null());
	json_object_set_new(o, "max_trial", first ? json_incref((json_t *)first) : json_null());
	json_decref(ctx.trials);
	return o;
}

/* Wait until the peer is there (link up), at most cfg.link_wait seconds.  True when it is. */
static bool wait_link(void)
{
	struct timespec ms = { 0, 10 * 1000 * 1000 };

	for (double waited = 0; !link_up(); waited += 0.01) {
		if (force_quit || waited >= cfg.link_wait)
			return false;
		nanosleep(&ms, NULL);
	}
	return true;
}

/* Wait until the path takes a frame on every queue, at most cfg.link_wait seconds in
 * all.  A peer's link is up once its driver is there, which may be before it posted any
 * receive buffer (a DPDK guest configures its port, then starts it; under TCG that takes
 * a while): a trial then finds no room and sends nothing.  The probe is the frame
 * template without a signature, so it comes back as "other", never counted.  True when
 * every queue took one. */
static bool wait_path(void)
{
	const struct timespec ms = { 0, 10 * 1000 * 1000 };
	double waited = 0;

	for (unsigned q = 0; q < cfg.queues; q++) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(txpool[q]);
		if (!m)
			return false;
		m->data_len = TG_MIN_SIZE - 4;
		m->pkt_len = TG_MIN_SIZE - 4;
		while (rte_eth_tx_burst(port, (uint16_t)q, &m, 1) == 0) {
			if (force_quit || waited >= cfg.link_wait || !link_up()) {
				rte_pktmbuf_free(m);
				return false;
			}
			nanosleep(&ms, NULL);
			waited += 0.01;
		}
	}
	return true;
}

static void emit_event(const char *type)
{
	json_t *o, *v;

	if (!cfg.json)
		return;
	o = json_pack("{s:s, s:i}", "type", type, "port", port);
	/* At the start, on a net_vhost port, what the peer negotiated (vm-reflect's host side). */
	if (!strcmp(type, "start") && (v = app_vhost_virtio(port)))
		json_object_set_new(o, "virtio", v);
	/* Who polls which queue, as EAL placed it (vmbench's per-queue findings read it). */
	if (!strcmp(type, "start")) {
		static const char *const role[] = { [ROLE_BOTH] = "both", [ROLE_TX] = "send", [ROLE_RX] = "receive" };
		json_t *w = json_array();
		for (unsigned j = 0; j < njobs; j++) {
			json_t *l = app_lcore_json(jobs[j].lcore);
			json_object_set_new(l, "queue", json_integer(jobs[j].q));
			json_object_set_new(l, "role", json_string(role[jobs[j].role]));
			json_array_append_new(w, l);
		}
		json_object_set_new(o, "main", app_lcore_json(rte_get_main_lcore()));
		json_object_set_new(o, "workers", w);
	}
	json_dumpf(o, stdout, JSON_COMPACT);
	putchar('\n');
	fflush(stdout);
	json_decref(o);
}

/* Workers for the queues: one lcore per queue, or two (one sends, one receives) when
 * there are enough.  0 or an exit code. */
static int assign_jobs(void)
{
	unsigned lc, n = 0, wl[RTE_MAX_LCORE];
	bool split;

	RTE_LCORE_FOREACH_WORKER(lc)
		wl[n++] = lc;
	if (n < cfg.queues)
		return cli_fail(EXIT_USAGE, "%u queues need %u worker lcores (and a main lcore): give -l with %u lcores",
				cfg.queues, cfg.queues, cfg.queues + 1);
	split = n >= 2 * cfg.queues;
	for (unsigned q = 0; q < cfg.queues; q++) {
		if (split) {
			jobs[njobs++] = (struct job){ .q = q, .lcore = wl[2 * q], .role = ROLE_TX };
			jobs[njobs++] = (struct job){ .q = q, .lcore = wl[2 * q + 1], .role = ROLE_RX };
		} else {
			jobs[njobs++] = (struct job){ .q = q, .lcore = wl[q], .role = ROLE_BOTH };
		}
	}
	fprintf(stderr, "%s: %u queue%s, %s\n", cli_prog, cfg.queues, cfg.queues > 1 ? "s" : "",
		split ? "separate send and receive lcores" : "one lcore per queue sends and receives");
	return 0;
}

/* Pools sized for the largest frame, the port configured with a queue pair per
 * worker, started.  0 or an exit code. */
static int setup_port(void)
{
	struct rte_ether_addr a;
	struct rte_eth_conf conf = { 0 };
	struct rte_eth_dev_info info;
	int socket = rte_eth_dev_socket_id(port);
	unsigned maxsize = 0, need;
	uint16_t room;

	if (socket < 0)
		socket = (int)rte_socket_id();
	rte_eth_macaddr_get(port, &a);
	memcpy(src_mac, a.addr_bytes, 6);
	for (unsigned i = 0; i < cfg.nsizes; i++)
		if (shape_max(&cfg.sizes[i]) > maxsize)
			maxsize = shape_max(&cfg.sizes[i]);
	rte_eth_dev_info_get(port, &info);
	if (cfg.queues > info.max_rx_queues || cfg.queues > info.max_tx_queues)
		return cli_fail(EXIT_USAGE, "the port has at most %u queues", RTE_MIN(info.max_rx_queues, info.max_tx_queues));
	if (maxsize > 1518)
		conf.rxmode.mtu = maxsize - 18;
	/* Room for the largest frame in one segment: headroom, the frame, the virtio-net
	 * header and some (virtio checks it without scatter). */
	need = maxsize + RTE_PKTMBUF_HEADROOM + 64;
	room = (uint16_t)(need > RTE_MBUF_DEFAULT_BUF_SIZE ? need : RTE_MBUF_DEFAULT_BUF_SIZE);
	rxpool = rte_pktmbuf_pool_create("tg_rx", 16383, 256, 0, room, socket);
	results = rte_zmalloc(NULL, sizeof(*results) * cfg.queues, RTE_CACHE_LINE_SIZE);
	if (!rxpool || !results)
		return cli_fail(EXIT_FAIL, "cannot allocate buffers: reserve more hugepages (hugepages setup 512M)");
	for (unsigned q = 0; q < cfg.queues; q++) {
		char name[32];
		snprintf(name, sizeof(name), "tg_tx%u", q);
		txpool[q] = rte_pktmbuf_pool_create(name, 8191, 256, 0, room, socket);
		if (!txpool[q])
			return cli_fail(EXIT_FAIL, "cannot allocate buffers: reserve more hugepages (hugepages setup 512M)");
		rte_mempool_obj_iter(txpool[q], init_tx_mbuf, NULL);
	}
	if (rte_eth_dev_configure(port, (uint16_t)cfg.queues, (uint16_t)cfg.queues, &conf) < 0)
		return cli_fail(EXIT_FAIL, "cannot configure port %u", port);
	for (unsigned q = 0; q < cfg.queues; q++)
		if (rte_eth_rx_queue_setup(port, (uint16_t)q, RX_DESC, (unsigned)socket, NULL, rxpool) < 0 ||
		    rte_eth_tx_queue_setup(port, (uint16_t)q, TX_DESC, (unsigned)socket, NULL) < 0)
			return cli_fail(EXIT_FAIL, "cannot set up queue %u of port %u", q, port);
	if (rte_eth_dev_start(port) < 0)
		return cli_fail(EXIT_FAIL, "cannot start port %u (is the reflector's socket there?)", port);
	return 0;
}

static void emit_json(json_t *o)
{
	json_dumpf(o, stdout, JSON_COMPACT | JSON_REAL_PRECISION(6));
	putchar('\n');
	fflush(stdout);
}

/* A trial of another purpose than the measurement ("warmup", "latency"), with its
 * own duration and warm-up; its line has that type, so readers of trials skip it. */
static json_t *side_trial(const char *type, const struct shape *sh, double pps, double duration, double warmup)
{
	double d = cfg.duration, w = cfg.warmup;
	struct trial_sum m;
	json_t *o;

	cfg.duration = duration;
	cfg.warmup = warmup;
	o = run_trial(sh, pps, &m);
	cfg.duration = d;
	cfg.warmup = w;
	if (o)
		json_object_set_new(o, "type", json_string(type));
	return o;
}

/* The discarded warm-up before a size's trials: the first trial meets cold caches, a
 * guest touching its pages and rings never used; CSIT throws it away too.  False when
 * it failed (the peer is gone, nothing was sent): so would the trials. */
static bool warmup_trial(const struct shape *sh, bool *failed)
{
	json_t *o;

	if (cfg.warmup_trial <= 0)
		return true;
	if (!(o = side_trial("warmup", sh, 0, cfg.warmup_trial, 0)))
		return !(*failed = true);
	json_object_set_new(o, "discarded", json_true());
	if (cfg.json)
		emit_json(o);
	else
		printf("%s  warm-up trial (discarded): sent %.3f Mpps, received %.3f Mpps\n", size_label(sh), num(o, "tx_mpps"),
		       num(o, "rx_mpps"));
	*failed = trial_failed(o);
	json_decref(o);
	return !*failed;
}

/* Latency under load, in trials of their own (as CSIT and NFVbench do): at each of
 * --latency-at's percentages of @rate, the search's result.  An array of
 * {load_pct, asked_pps, offered_pps, loss_pct, latency_ns}. */
static json_t *latency_trials(const struct shape *sh, double rate, bool *failed)
{
	json_t *arr = json_array();

	for (unsigned i = 0; i < cfg.nlatency && !force_quit && rate > 0; i++) {
		double pct = cfg.latency_at[i], pps = pct > 0 ? rate * pct / 100 : (rate < IDLE_PPS ? rate : IDLE_PPS);
		json_t *o = side_trial("latency", sh, pps, cfg.duration, cfg.warmup);
		if (!o) {
			*failed = true;
			break;
		}
		json_object_set_new(o, "load_pct", json_real(pct));
		if (cfg.json) {
			emit_json(o);
		} else {
			json_t *l = json_object_get(o, "latency_ns");
			printf("%s  latency at %g%% (%.3f Mpps): min %lld p50 %lld p90 %lld p99 %lld p99.9 %lld max %lld ns, loss %.4f%%\n",
			       size_label(sh), pct, pps / 1e6, json_integer_value(json_object_get(l, "min")),
			       json_integer_value(json_object_get(l, "p50")), json_integer_value(json_object_get(l, "p90")),
			       json_integer_value(json_object_get(l, "p99")), json_integer_value(json_object_get(l, "p999")),
			       json_integer_value(json_object_get(l, "max")), num(o, "loss_pct"));
		}
		if (trial_failed(o)) {
			*failed = true;
			json_decref(o);
			break;
		}
		json_array_append_new(arr, json_pack("{s:f, s:f, s:f, s:f, s:O}", "load_pct", pct, "asked_pps", pps, "offered_pps",
						     num(o, "offered_pps"), "loss_pct", num(o, "loss_pct"), "latency_ns",
						     json_object_get(o, "latency_ns")));
		json_decref(o);
	}
	return arr;
}

/* The frames a burst of @frames sends: a whole number per queue. */
static uint64_t trial_limit_total(uint64_t frames)
{
	return (frames + cfg.queues - 1) / cfg.queues * cfg.queues;
}

/* One burst of @frames in total (0: as many as --duration at the maximum rate takes),
 * sent as fast as the path takes them, then drained. */
static json_t *burst_trial(const struct shape *sh, uint64_t frames)
{
	json_t *o;

	trial.limit = frames ? (uint32_t)((frames + cfg.queues - 1) / cfg.queues) : 0;
	/* A burst has no warm-up; its window only bounds a sender the path holds back. */
	o = side_trial("burst", sh, 0, frames ? cfg.duration * 4 + 1 : cfg.duration, 0);
	trial.limit = 0;
	if (o)
		json_object_set_new(o, "burst_frames", json_integer((json_int_t)(frames ? (uint64_t)trial_limit_total(frames) : 0)));
	return o;
}

/* RFC 2544 (26.4) back-to-back for one size: the longest burst at the maximum rate whose
 * every frame comes back.  The first burst is --duration at the maximum rate; then
 * bisection on the burst length until the interval is --precision % of that.
 * {frames, upper_frames, seconds, max_pps, steps, limited_by}. */
static json_t *back_to_back(const struct shape *sh, bool *failed)
{
	json_t *t = burst_trial(sh, 0);
	uint64_t lo = 0, hi, step;
	double max_pps;
	unsigned steps = 0;
	const char *limit = "path";


	if (!t || trial_failed(t)) {
		*failed = true;
		json_decref(t);
		return NULL;
	}
	if (cfg.json)
		emit_json(t);
	hi = (uint64_t)json_integer_value(json_object_get(t, "tx_packets"));
	max_pps = (double)hi / cfg.duration;
	if (json_integer_value(json_object_get(t, "loss_packets")) == 0) {
		lo = hi; /* all of --duration at the maximum rate came back: longer bursts were not tried */
		limit = "duration";
	}
	json_decref(t);
	/* The interval's goal is relative to the answer, not to the first burst: a path that
	 * holds 10 000 frames should not be measured in steps of the 3 million of a
	 * --duration burst.  32 frames (one burst of the sender) is the finest step. */
	while (hi - lo > ((step = (uint64_t)((double)hi * cfg.precision / 100)) > 32 ? step : 32) && steps++ < 40 &&
	       !force_quit) {
		uint64_t mid = lo + (hi - lo) / 2, want = trial_limit_total(mid);
		bool whole;
		if (!(t = burst_trial(sh, mid))) {
			*failed = true;
			return NULL;
		}
		if (cfg.json)
			emit_json(t);
		if (trial_failed(t)) {
			*failed = true;
			json_decref(t);
			return NULL;
		}
		/* Whole: every frame of the burst went out and came back. */
		whole = (uint64_t)json_integer_value(json_object_get(t, "tx_packets")) == want &&
			json_integer_value(json_object_get(t, "loss_packets")) == 0;
		if (whole)
			lo = want;
		else
			hi = mid;
		json_decref(t);
	}
	if (!cfg.json)
		printf("%s  back-to-back: %llu frames (%.6f s at %.3f Mpps) come back whole; %llu do not\n", size_label(sh),
		       (unsigned long long)lo, max_pps > 0 ? (double)lo / max_pps : 0, max_pps / 1e6, (unsigned long long)hi);
	return json_pack("{s:I, s:I, s:f, s:f, s:i, s:s}", "frames", (json_int_t)lo, "upper_frames", (json_int_t)hi, "seconds",
			 max_pps > 0 ? (double)lo / max_pps : 0.0, "max_pps", max_pps, "steps", steps, "limited_by", limit);
}

static double median_of(double *v, unsigned n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n ? v[n / 2] : 0;
}

/* The index, in @v (@n values), of the median: the one a table reports, so that what
 * goes with it (asked and offered rates, bounds, the search's note) is that run's. */
static unsigned median_index(const double *v, unsigned n)
{
	unsigned idx[1000], k;

	if (n == 0 || n > 1000)
		return 0;
	for (k = 0; k < n; k++)
		idx[k] = k;
	/* Insertion sort of the indexes by value (n is the trials of one size). */
	for (k = 1; k < n; k++)
		for (unsigned j = k; j > 0 && v[idx[j - 1]] > v[idx[j]]; j--) {
			unsigned t = idx[j];
			idx[j] = idx[j - 1];
			idx[j - 1] = t;
		}
	return idx[n / 2];
}

/* One frame size: a warm-up, its trials or searches, latency trials, and the summary
 * entry (NULL when none completed).  *@failed when a trial failed. */
static json_t *run_size(const struct shape *sh, bool *failed)
{
	double vals[1000], lows[1000], highs[1000];
	unsigned nv = 0, nh = 0;
	struct trial_sum m;
	json_t *runs = json_array(), *res, *o, *lat = NULL, *b2b = NULL;

	if (!runs || !warmup_trial(sh, failed)) {
		json_decref(runs);
		return NULL;
	}
	for (unsigned t = 0; t < cfg.trials && t < 1000 && !force_quit && !*failed; t++) {
		fprintf(stderr, "%s: size %s, %s %u of %u\n", cli_prog, sh->name, cfg.search ? "search" : "trial", t + 1, cfg.trials);
		if (cfg.search) {
			if (!(o = search_rate(sh, failed))) {
				*failed = true;
				break;
			}
			if (cfg.json) {
				json_dumpf(o, stdout, JSON_COMPACT | JSON_REAL_PRECISION(6));
				putchar('\n');
			} else if (!*failed) {
				printf("%s  %s (loss <= %g%%): %.3f Mpps sent (+/- %.3f)%s%s, max sent %.3f Mpps, %u steps\n",
				       size_label(sh), cfg.search == SEARCH_NDR ? "NDR" : "PDR", cfg.threshold_pct,
				       num(o, "rate_pps") / 1e6, num(o, "precision_pps") / 1e6,
				       !strcmp(json_string_value(json_object_get(o, "limited_by")), "generator")
					       ? ", limited by the generator" : "",
				       json_is_true(json_object_get(o, "inconclusive")) ? ", inconclusive" : "",
				       num(o, "max_pps") / 1e6, (unsigned)json_integer_value(json_object_get(o, "steps")));
				printf("%s  %s\n", size_label(sh), json_string_value(json_object_get(o, "note")));
			}
			lows[nv] = num(o, "lower_pps");
			if (json_is_number(json_object_get(o, "upper_pps")))
				highs[nh++] = num(o, "upper_pps");
			vals[nv++] = num(o, "rate_pps");
		} else {
			/* A rate in bits: the frames of a mix at their mean size, 20 bytes of L1 each. */
			double pps = cfg.rate_bps > 0 ? cfg.rate_bps / ((shape_avg(sh) + 20) * 8.0) : cfg.rate_pps;
			if (!(o = run_trial(sh, pps, &m))) {
				*failed = true;
				break;
			}
			emit_trial(o, &m);
			*failed = m.reason != NULL;
			vals[nv++] = m.rx_mpps * 1e6;
		}
		fflush(stdout);
		json_array_append_new(runs, o);
	}
	if (!nv || *failed) {
		json_decref(runs);
		return NULL;
	}
	/* The run that gave the median, with what goes with it. */
	res = json_incref(json_array_get(runs, median_index(vals, nv)));
	json_decref(runs);
	qsort(vals, nv, sizeof(*vals), cmp_double);
	if (cfg.search && cfg.nlatency) {
		lat = latency_trials(sh, vals[nv / 2], failed);
		*failed |= force_quit; /* interrupted: this size is not complete */
	}
	if (cfg.b2b && !*failed) {
		b2b = back_to_back(sh, failed);
		*failed |= force_quit;
	}
	if (*failed) {
		json_decref(lat);
		json_decref(b2b);
		json_decref(res);
		return NULL;
	}
	o = json_pack("{s:o, s:s, s:f, s:f, s:f, s:i, s:o}", "size", size_json(sh), "metric", cfg.search ? "throughput_pps" : "rx_pps",
		      "median", vals[nv / 2], "min", vals[0], "max", vals[nv - 1], "trials", nv, "median_run", res);
	if (o && cfg.search) {
		/* The bounds as CSIT reports them: the median of each over the searches (an
		 * upper bound over those that saw one: none seen, none said). */
		json_object_set_new(o, "lower_pps", json_real(median_of(lows, nv)));
		json_object_set_new(o, "upper_pps", nh ? json_real(median_of(highs, nh)) : json_null());
		json_object_set_new(o, "loss_threshold_pct", json_real(cfg.threshold_pct));
	}
	if (o && shape_is_mix(sh)) {
		/* What the mix is: readers need not know our names for it. */
		json_t *mix = json_array();
		for (unsigned k = 0; k < sh->n; k++)
			json_array_append_new(mix, json_pack("{s:i, s:i}", "size", sh->size[k], "weight", sh->weight[k]));
		json_object_set_new(o, "mix", mix);
		json_object_set_new(o, "avg_size", json_real(shape_avg(sh)));
	}
	if (o && lat)
		json_object_set_new(o, "latency_at", lat);
	else
		json_decref(lat);
	if (o && b2b)
		json_object_set_new(o, "back_to_back", b2b);
	else
		json_decref(b2b);
	return o;
}

/* The summary line (--json) or table.  Takes @summary. */
static void print_summary(json_t *summary)
{
	size_t i;
	json_t *x;

	if (cfg.json) {
		json_t *s = json_pack("{s:s, s:o}", "type", "summary", "results", summary);
		json_dumpf(s, stdout, JSON_COMPACT | JSON_REAL_PRECISION(6));
		putchar('\n');
		json_decref(s);
		return;
	}
	if (cfg.trials > 1 || cfg.search) {
		printf("summary (%s over %u trial%s):\n", cfg.search ? "throughput" : "received rate", cfg.trials,
		       cfg.trials > 1 ? "s" : "");
		json_array_foreach(summary, i, x)
			printf("%s  median %.3f Mpps  (min %.3f, max %.3f)\n", size_label(&cfg.sizes[i]),
			       num(x, "median") / 1e6, num(x, "min") / 1e6, num(x, "max") / 1e6);
	}
	json_decref(summary);
}

/* EAL's arguments checked and built, the host checked, EAL up.  0 or an exit code. */
static int start_eal(int sep, char **argv)
{
	static char *eal_argv[256];
	struct eal_view ev;
	char msg[512];
	int n_eal, r;

	if (preflight_parse_eal(sep, argv, &ev) < 0)
		return cli_usage_error("%s", ev.err);
	if (app_check_vdev_sockets(sep, argv, msg, sizeof(msg)) < 0)
		return cli_fail(EXIT_FAIL, "%s", msg);
	n_eal = app_eal_argv(sep, argv, NULL, 0, &ev, eal_argv, 256);
	{
		struct preflight pf = { .eal = &ev, .need_mb = 96 };
		json_t *rep = report_new("preflight");
		r = preflight_run(&pf, rep, msg, sizeof(msg));
		json_decref(rep); /* the generator's own layout warnings are vmbench's business */
		if (r < 0)
			return cli_fail(r == -EINVAL ? EXIT_USAGE : EXIT_FAIL, "%s", msg);
	}
	/* A peer that goes away mid-trial must fail the trial, not kill us silently. */
	signal(SIGPIPE, SIG_IGN);
	if (rte_eal_init(n_eal, eal_argv) < 0)
		rte_exit(EXIT_FAIL, "EAL initialization failed: %s\n", rte_strerror(rte_errno));
	/* Only now: a virtio-user port in server mode waits in rte_eal_init for its
	 * client, and Ctrl-C must still end that wait. */
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	return 0;
}

int main(int argc, char **argv)
{
	int sep, r, code = EXIT_OK;
	bool failed = false;
	json_t *summary;

	cli_prog = "trafficgen";
	cfg = (struct settings){ .nsizes = 1, .flows = 1, .queues = 1, .trials = 1, .duration = 2,
				 .warmup = 0.5, .precision = 1, .tolerance_pct = 1, .link_wait = 10,
				 .dst_mac = { 2, 0, 0, 0, 0, 2 } };
	shape_fixed(&cfg.sizes[0], 64);
	switch (app_early_option(argc, argv)) {
	case 'h':
		usage(stdout);
		return EXIT_OK;
	case 'V':
		return cli_version();
	}
	sep = app_split(argc, argv);
	{
		char *own[256];
		int n = app_own_args(argc, argv, sep, own, 256);
		if ((r = parse_args(n, own, &cfg)))
			return r;
	}
	if ((r = start_eal(sep, argv)))
		return r;

	if (rte_eth_dev_count_avail() != 1) {
		code = rte_eth_dev_count_avail() == 0
			       ? cli_fail(EXIT_FAIL, "no port came up: give one with an EAL --vdev (net_virtio_user0,path=SOCKET or net_vhost0,iface=SOCKET) or -a PCI-ADDRESS; the lines above say why one failed")
			       : cli_usage_error("give exactly one port: %u came up", rte_eth_dev_count_avail());
		goto out;
	}
	RTE_ETH_FOREACH_DEV(port)
		break;
	if ((code = assign_jobs()) || (code = setup_port()))
		goto out;
	if (cfg.csv) {
		csv = fopen(cfg.csv, "we");
		if (!csv) {
			code = cli_fail(EXIT_FAIL, "cannot write %s: %s", cfg.csv, strerror(errno));
			goto stop;
		}
		fprintf(csv, "size,rate_pps,offered,tx_packets,rx_packets,loss_packets,loss_pct,duplicates,reordered,"
			     "tx_mpps,rx_mpps,rx_gbps_l1,rx_gbps_l2,latency_min_ns,latency_mean_ns,latency_p50_ns,"
			     "latency_p99_ns,latency_p999_ns,latency_max_ns\n");
	}

	/* A --prometheus file that cannot be written is said before anything runs. */
	if (cfg.prometheus && (r = write_prometheus()) < 0) {
		code = cli_fail(EXIT_FAIL, "cannot write %s: %s", cfg.prometheus, strerror(-r));
		goto stop;
	}
	/* Ready: the port runs (a vhost-user server's socket exists).  Then wait for the peer. */
	emit_event("ready");
	if (!wait_link()) {
		code = force_quit ? cli_fail(EXIT_FAIL, "interrupted")
				  : cli_fail(EXIT_FAIL, "no peer on port %u after %g s (link down): is the other side up?", port,
					     cfg.link_wait);
		goto stop;
	}
	if (!wait_path()) {
		code = force_quit ? cli_fail(EXIT_FAIL, "interrupted")
			: link_up() ? cli_fail(EXIT_FAIL, "the peer on port %u is up but took no frame in %g s (no receive buffers: is its program running?)",
					       port, cfg.link_wait)
				    : cli_fail(EXIT_FAIL, "the peer on port %u went away before the first trial", port);
		goto stop;
	}
	emit_event("start");
	summary = json_array();
	for (unsigned si = 0; si < cfg.nsizes && !force_quit && !failed; si++) {
		json_t *x = run_size(&cfg.sizes[si], &failed);
		if (x)
			json_array_append_new(summary, x);
	}
	print_summary(summary);
	if (force_quit)
		code = cli_fail(EXIT_FAIL, "interrupted");
	else if (failed)
		code = cli_fail(EXIT_FAIL, "a trial failed: %s", link_up() ? "it sent nothing (the port took no frames)"
									   : "the peer went away (link down)");
stop:
	rte_eth_dev_stop(port);
	rte_eth_dev_close(port);
out:
	if (csv && (r = fs_close(csv)) < 0 && !code)
		code = cli_fail(EXIT_FAIL, "cannot write %s: %s", cfg.csv, strerror(-r));
	app_eal_cleanup();
	return code;
}
