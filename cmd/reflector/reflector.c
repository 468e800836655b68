/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * reflector — the bundled DPDK vhost-user packet reflector.  Every frame it
 * receives goes back out of the same port and queue, rewritten as --mode says.
 * One polling worker lcore per (port, queue), round robin when there are fewer
 * lcores than queues; the main lcore only does statistics and control.
 *
 *   reflector [EAL OPTIONS] -- [OPTIONS]
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_dev.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_telemetry.h>

#include <jansson.h>

#include "dpdk/app.h"
#include "base/cli.h"
#include "base/exitcodes.h"
#include "reflector/pkt.h"
#include "dpdk/preflight.h"
#include "base/prom.h"
#include "pinning/report.h"
#include "launcher/rundir.h"
#include "base/numparse.h"
#include "base/sbuf.h"
#include "base/fsutil.h"
#include "pinning/vmap.h"
#include "reflector/vhostopt.h"
#include "reflector/direct.h"
#include "reflector/vuguard.h"

#define MAX_QUEUES 64
#define MAX_PORTS 16
#define MAX_VHOST 8
#define RX_DESC 1024
#define TX_DESC 1024
#define MBUF_CACHE 256
#define BURST_MAX 512

static volatile bool force_quit;

struct settings {
	enum pkt_mode mode;
	unsigned burst;
	unsigned tx_retry;
	double stats_interval;    /* 0: only the final summary */
	double duration;          /* 0: until a signal */
	unsigned queues;          /* 0: the driver's (vhost: the vdev's queues=) */
	bool json, no_preflight;
	mode_t socket_mode;
	const char *vhost[MAX_VHOST];
	unsigned nvhost;
	const char *vcpu_map, *vm;
	double police_pps;        /* >0: drop what exceeds this rate (a slower VNF, a known limit for tests) */
	bool exit_on_disconnect;  /* stop once every port's link went down after being up */
	const char *prometheus;   /* node_exporter textfile, replaced every second; NULL: none */
	bool pmd;                 /* --vhost ports through DPDK's net_vhost PMD (--datapath pmd, or other ports) */
	bool datapath_given;      /* --datapath said which; else direct unless there are other ports */
};

/* Counters of one (port, queue), written by one worker only. */
struct qstats {
	uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes;
	uint64_t tx_full;         /* dropped: the TX ring stayed full through every retry */
	uint64_t policed;         /* dropped by --police */
	uint64_t bad_chain;       /* dropped: a descriptor chain the direct path could not follow */
	uint64_t results[PKT_NRESULTS];
} __rte_cache_aligned;

struct port {
	uint16_t id;
	uint16_t nq;
	char name[RTE_ETH_NAME_MAX_LEN];
	char iface[256];          /* its vhost socket, or "" */
	volatile bool link_up;
	volatile bool virtio_said; /* the features of this connection were printed */
	struct direct_port *dp;   /* the direct data path's port, or NULL (an ethdev port) */
	struct vhostopt vo;       /* --vhost's options, for a direct port */
	unsigned connections;     /* the direct port's connections said so far */
	struct direct_refusals refused; /* and what it refused, said so far */
	struct qstats q[MAX_QUEUES];
};

static struct port ports[MAX_PORTS];
static unsigned nports;

struct worker {
	unsigned n;
	struct { struct port *p; uint16_t q; } job[MAX_PORTS * MAX_QUEUES];
};

static struct worker workers[RTE_MAX_LCORE];
static struct settings cfg;

static void usage(FILE *out)
{
	fprintf(out,
		"Usage:\n"
		" %1$s [EAL OPTIONS] -- [OPTIONS]\n"
		"\n"
		"Reflect every received frame back out of its port and queue.\n"
		"\n"
		"Options:\n"
		"     --vhost NAME|PATH[,queues=N][,client]\n"
		"                           a net_vhost port (repeatable); a bare NAME is a socket in\n"
		"                           the private runtime directory (/run/reflector, mode 0700)\n"
		"     --datapath direct|pmd the --vhost ports' data path: direct (guest TX buffer to\n"
		"                           guest RX buffer, one copy, no mbufs; the default when\n"
		"                           every port is a --vhost one) or pmd (DPDK's net_vhost)\n"
		"     --mode MODE           io, macswap (default), ipswap or l4swap\n"
		"     --burst N             frames per rx/tx burst (1-512, default 16)\n"
		"     --tx-retry N          retries when the TX ring is full before dropping (default 64;\n"
		"                           direct: microseconds the frames wait in the guest's ring)\n"
		"     --queues N            queues per port (default: the driver's; vhost: the vdev's)\n"
		"     --stats SECONDS       print statistics every SECONDS (default 1; 0: only at the end)\n"
		"     --json                statistics as one JSON object per line\n"
		"     --duration SECONDS    stop after SECONDS (default: at SIGINT or SIGTERM)\n"
		"     --socket-mode MODE    permissions of vhost sockets it creates (default 0600)\n"
		"     --vcpu-map MAP        a guest's vCPUs, for the preflight's SMT warnings\n"
		"     --vm NAME             the same, from a VM vmlaunch started\n"
		"     --no-preflight        skip the hugepage and lcore checks\n"
		"     --police RATE         drop what exceeds N[k|M]pps per port (emulate a slower VNF)\n"
		"     --exit-on-disconnect  stop when the peers went away (every link down after being up)\n"
		"     --prometheus FILE     per-queue counters in Prometheus' text format, FILE replaced\n"
		"                           atomically every second (node_exporter's textfile collector)\n"
		" -h, --help                display this help\n"
		" -V, --version             display version\n"
		"\n"
		"EAL options come first, as for any DPDK program: -l 0,1 (the lowest lcore is the main\n"
		"one unless --main-lcore names another)\n"
		"--in-memory and --no-telemetry are added unless given otherwise; with --telemetry,\n"
		"DPDK's telemetry socket also answers /pinlab/queues,PORT (per-queue counters).\n"
		"\n"
		"For more details see reflector(1).\n", cli_prog);
}



/* The program's own options (after "--"). */
static int parse_args(int argc, char **argv, struct settings *s)
{
	enum { O_VHOST = 256, O_MODE, O_BURST, O_RETRY, O_QUEUES, O_STATS, O_JSON, O_DURATION, O_SOCKMODE,
	       O_VMAP, O_VM, O_NOPRE, O_POLICE, O_EXITDISC, O_PROM, O_DATAPATH };
	static const struct option longopts[] = {
		{ "vhost", required_argument, NULL, O_VHOST },
		{ "mode", required_argument, NULL, O_MODE },
		{ "burst", required_argument, NULL, O_BURST },
		{ "tx-retry", required_argument, NULL, O_RETRY },
		{ "queues", required_argument, NULL, O_QUEUES },
		{ "stats", required_argument, NULL, O_STATS },
		{ "json", no_argument, NULL, O_JSON },
		{ "duration", required_argument, NULL, O_DURATION },
		{ "socket-mode", required_argument, NULL, O_SOCKMODE },
		{ "vcpu-map", required_argument, NULL, O_VMAP },
		{ "vm", required_argument, NULL, O_VM },
		{ "no-preflight", no_argument, NULL, O_NOPRE },
		{ "police", required_argument, NULL, O_POLICE },
		{ "exit-on-disconnect", no_argument, NULL, O_EXITDISC },
		{ "prometheus", required_argument, NULL, O_PROM },
		{ "datapath", required_argument, NULL, O_DATAPATH },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long long v;
	int c, m;

	optind = 1;
	while ((c = getopt_long(argc, argv, "hV", longopts, NULL)) != -1) {
		switch (c) {
		case O_VHOST:
			if (s->nvhost == MAX_VHOST)
				return cli_usage_error("at most %d --vhost ports", MAX_VHOST);
			s->vhost[s->nvhost++] = optarg;
			break;
		case O_MODE:
			if ((m = pkt_mode_parse(optarg)) < 0)
				return cli_usage_error("unknown mode '%s' (io, macswap, ipswap or l4swap)", optarg);
			s->mode = (enum pkt_mode)m;
			break;
		case O_BURST:
			if (num_parse_uint(optarg, 1, 512, &v) < 0)
				return cli_usage_error("invalid --burst '%s' (1-512)", optarg);
			s->burst = (unsigned)v;
			break;
		case O_RETRY:
			if (num_parse_uint(optarg, 0, 1000000, &v) < 0)
				return cli_usage_error("invalid --tx-retry '%s' (0-1000000)", optarg);
			s->tx_retry = (unsigned)v;
			break;
		case O_QUEUES:
			if (num_parse_uint(optarg, 1, MAX_QUEUES, &v) < 0)
				return cli_usage_error("invalid --queues '%s' (1-%d)", optarg, MAX_QUEUES);
			s->queues = (unsigned)v;
			break;
		case O_STATS:
			if (num_parse_seconds(optarg, true, 86400, &s->stats_interval) < 0)
				return cli_usage_error("invalid --stats '%s' (seconds, 0-86400)", optarg);
			break;
		case O_JSON: s->json = true; break;
		case O_DURATION:
			if (num_parse_seconds(optarg, false, 86400 * 365, &s->duration) < 0)
				return cli_usage_error("invalid --duration '%s' (seconds, more than 0)", optarg);
			break;
		case O_SOCKMODE: {
			unsigned mode;
			if (num_parse_mode(optarg, 0777, &mode) < 0)
				return cli_usage_error("invalid --socket-mode '%s' (octal, such as 0660)", optarg);
			s->socket_mode = (mode_t)mode;
			break;
		}
		case O_VMAP: s->vcpu_map = optarg; break;
		case O_VM: s->vm = optarg; break;
		case O_NOPRE: s->no_preflight = true; break;
		case O_POLICE:
			if (num_parse_pps(optarg, &s->police_pps) < 0)
				return cli_usage_error("invalid --police '%s' (N[k|M|G]pps, more than 0, at most 2 Gpps)", optarg);
			break;
		case O_EXITDISC: s->exit_on_disconnect = true; break;
		case O_PROM: s->prometheus = optarg; break;
		case O_DATAPATH:
			if (strcmp(optarg, "direct") && strcmp(optarg, "pmd"))
				return cli_usage_error("invalid --datapath '%s' (direct or pmd)", optarg);
			s->pmd = !strcmp(optarg, "pmd");
			s->datapath_given = true;
			break;
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
	if (s->vcpu_map && s->vm)
		return cli_usage_error("--vcpu-map and --vm exclude each other");
	return 0;
}

/* A server socket left at @path by a reflector that was killed: remove it.  One a live
 * process listens on is an error naming it; so is anything that is not a socket.
 * 0, or -EADDRINUSE / -EEXIST with @err. */
static int clear_stale_socket(const char *path, struct pin_error *err)
{
	int r = fs_socket_probe(path, NULL);

	if (r == 1)
		return pin_fail(err, -EADDRINUSE, 0, "%s is in use: a live process listens on it (another reflector?)", path);
	if (r == -ENOTSOCK)
		return pin_fail(err, -EEXIST, 0, "%s exists and is not a socket: remove it or choose another path", path);
	if (r < 0)
		return pin_fail(err, r, 0, "%s: %s", path, strerror(-r));
	/* Nobody listens: the socket of a process that is gone (or nothing at all). */
	if (unlink(path) < 0 && errno != ENOENT)
		return pin_fail(err, -errno, 0, "cannot remove the stale socket %s: %s", path, strerror(errno));
	return 0;
}

/* --vhost NAME|PATH[,queues=N][,client] -> an EAL --vdev argument; @iface gets the socket
 * path.  0, or -errno with @err saying what is wrong. */
/* The runtime directory this process created for socket NAMEs ("" when it found one):
 * removed at exit when empty (another reflector's sockets keep it). */
static char made_dir[256];

static void remove_made_dir(void)
{
	if (made_dir[0])
		rmdir(made_dir); /* async-signal-safe; fails, as it should, when not empty */
}

static int vhost_vdev(const char *spec, unsigned idx, char *vdev, size_t len, char *iface, size_t ilen,
		      struct vhostopt *vo, struct pin_error *err)
{
	struct vhostopt o;
	struct sbuf sb;
	int r;

	if ((r = vhostopt_parse(spec, &o, err)) < 0)
		return r;
	if (o.is_path) {
		snprintf(iface, ilen, "%s", o.name);
	} else {
		/* A private runtime directory: only its owner reaches the sockets. */
		char dir[256];
		const char *xdg = getenv("XDG_RUNTIME_DIR");
		struct stat st;
		if (geteuid() == 0)
			snprintf(dir, sizeof(dir), "/run/reflector");
		else if (xdg && *xdg && strlen(xdg) < 200)
			snprintf(dir, sizeof(dir), "%s/reflector", xdg);
		else
			return pin_fail(err, -ENOENT, 0, "a socket NAME needs root or XDG_RUNTIME_DIR: give a PATH");
		if (mkdir(dir, 0700) == 0) {
			if (!made_dir[0] && snprintf(made_dir, sizeof(made_dir), "%s", dir) > 0)
				atexit(remove_made_dir);
		} else if (errno != EEXIST) {
			return pin_fail(err, -errno, 0, "cannot create %s: %s", dir, strerror(errno));
		}
		/* Our own directory, not a link planted there. */
		if (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 022))
			return pin_fail(err, -EPERM, 0, "%s is not a private directory of ours: remove it", dir);
		if ((size_t)snprintf(iface, ilen, "%s/%s.sock", dir, o.name) >= ilen)
			return pin_fail(err, -ENAMETOOLONG, 0, "socket name too long");
	}
	if (!o.client && (r = clear_stale_socket(iface, err)) < 0)
		return r;
	*vo = o;
	sbuf_init(&sb, vdev, len);
	sbuf_addf(&sb, "net_vhost%u,iface=%s", idx, iface);
	if (o.queues)
		sbuf_addf(&sb, ",queues=%u", o.queues);
	if (o.client)
		sbuf_addf(&sb, ",client=1");
	if (sbuf_status(&sb) < 0)
		return pin_fail(err, -ENAMETOOLONG, 0, "socket path too long");
	return 0;
}

static void on_signal(int sig)
{
	(void)sig;
	force_quit = true;
}

/* A stop is bounded: a worker or the vhost control thread held inside DPDK's library
 * by a frontend (what vuguard cannot cover: docs/security.md) must not keep the
 * reflector from exiting.  Our server sockets go with it. */
#define STOP_SECONDS 10

static void on_stop_timeout(int sig)
{
	static const char m[] = "reflector: could not stop within 10 s: a worker or the vhost control thread is held "
				"by a frontend (docs/security.md); exiting without cleanup\n";

	(void)sig;
	for (unsigned i = 0; i < nports; i++)
		if (ports[i].iface[0] && !ports[i].vo.client)
			unlink(ports[i].iface);
	remove_made_dir();
	ssize_t w = write(STDERR_FILENO, m, sizeof(m) - 1); /* async-signal-safe; nothing to do if it fails */

	(void)w;
	_exit(EXIT_FAIL);
}

static void bound_the_stop(void)
{
	signal(SIGALRM, on_stop_timeout);
	alarm(STOP_SECONDS);
}

static void link_event(struct port *p, bool up)
{
	p->link_up = up;
	if (!cfg.json)
		printf("port %u (%s): %s\n", p->id, p->name, up ? "peer connected" : "peer disconnected");
	else
		printf("{\"type\":\"event\",\"port\":%u,\"link\":\"%s\"}\n", p->id, up ? "up" : "down");
	p->virtio_said = false;
	fflush(stdout);
}

static int on_port_event(uint16_t port_id, enum rte_eth_event_type type, void *arg, void *ret)
{
	(void)arg;
	(void)ret;
	for (unsigned i = 0; i < nports; i++) {
		struct rte_eth_link link;
		if (ports[i].id != port_id || type != RTE_ETH_EVENT_INTR_LSC)
			continue;
		/* What the peer negotiated is read by the main lcore, not here: this runs
		 * inside vhost's new_device, which the peer's next message waits for. */
		if (rte_eth_link_get_nowait(port_id, &link) != 0)
			continue;
		/* Inside new_device, from the vhost control thread: the one place the PMD
		 * path lets us guard the connection (socket timeouts, call fds). */
		if (link.link_status == RTE_ETH_LINK_UP && ports[i].iface[0])
			vuguard_attach(app_vhost_vid(port_id), ports[i].iface);
		link_event(&ports[i], link.link_status == RTE_ETH_LINK_UP);
	}
	return 0;
}

/* Something a direct port refused, said once as it happens: @what (a JSON value for
 * "refused"), @queue (or -1), @why in words. */
static void refusal_event(const struct port *p, const char *what, int queue, const char *why)
{
	if (!cfg.json)
		printf("port %u (%s): %s\n", p->id, p->name, why);
	else if (queue < 0)
		printf("{\"type\":\"event\",\"port\":%u,\"refused\":\"%s\"}\n", p->id, what);
	else
		printf("{\"type\":\"event\",\"port\":%u,\"refused\":\"%s\",\"queue\":%d,\"reason\":\"%s\"}\n", p->id,
		       what, queue, why);
	fflush(stdout);
}

static void refusal_events(struct port *p)
{
	struct direct_refusals now;
	char why[128];

	direct_refusals(p->dp, &now);
	if (now.connections != p->refused.connections)
		refusal_event(p, "connection", -1, "refused a second frontend: one is connected");
	if (now.rings != p->refused.rings) {
		snprintf(why, sizeof(why), "queue pair %u not started: %s", now.ring_queue,
			 now.ring_error == -EINVAL ? "a ring size or alignment virtio does not allow"
						   : "a ring outside the guest's memory");
		if (cfg.json)
			refusal_event(p, "ring", (int)now.ring_queue,
				      now.ring_error == -EINVAL ? "size or alignment" : "outside guest memory");
		else
			refusal_event(p, "ring", (int)now.ring_queue, why);
	}
	if (now.memory != p->refused.memory)
		refusal_event(p, "memory", -1, "a memory table of more regions than vhost-user allows: queues stopped");
	if (now.closed != p->refused.closed)
		refusal_event(p, "replies-unread", -1, "closed the frontend's connection: it left its replies unread");
	p->refused = now;
}

/* The direct ports' connections, seen by the main lcore: each connection is said,
 * with the disconnect before it, even when it came and went between two looks. */
static void direct_events(void)
{
	for (unsigned i = 0; i < nports; i++) {
		struct port *p = &ports[i];
		unsigned c;
		bool up;
		if (!p->dp)
			continue;
		refusal_events(p);
		/* The count first: a connection made after it is said on the next look. */
		c = direct_connections(p->dp);
		up = direct_link_up(p->dp);
		for (; p->connections != c; p->connections++) {
			if (p->link_up)
				link_event(p, false);
			link_event(p, true);
		}
		if (p->link_up && !up)
			link_event(p, false);
	}
}

/* --police: a queue's token bucket refilled at @rate (the port's rate split over its
 * queues), with a 10 ms burst allowance like a policer's committed burst (a short stall
 * of the peer or of this lcore does not turn into loss below the rate).  How many of
 * @want frames may pass now; the caller takes the tokens of those that did. */
static inline unsigned police_allow(double *tokens, uint64_t *last, double rate, uint64_t hz, unsigned want)
{
	const uint64_t now = rte_rdtsc();
	const double cap = rate / 100 + BURST_MAX;

	*tokens += (double)(now - *last) * rate / (double)hz;
	if (*tokens > cap)
		*tokens = cap;
	*last = now;
	return *tokens < want ? (unsigned)*tokens : want;
}

/* The polling loop of one worker lcore: receive, rewrite, send back, retry, count.
 * Counters are kept in registers for a burst and written once per burst. */
static int worker_main(void *arg)
{
	struct worker *w = arg;
	const unsigned burst = cfg.burst, retries = cfg.tx_retry;
	const enum pkt_mode mode = cfg.mode;
	struct rte_mbuf *pkts[512];
	/* --police: a token bucket per queue (the port's rate split evenly). */
	const uint64_t hz = rte_get_tsc_hz();
	double tokens[MAX_PORTS * MAX_QUEUES] = { 0 };
	uint64_t last[MAX_PORTS * MAX_QUEUES];
	for (unsigned j = 0; j < w->n; j++)
		last[j] = rte_rdtsc();

	while (!force_quit) {
		for (unsigned j = 0; j < w->n; j++) {
			struct port *p = w->job[j].p;
			uint16_t q = w->job[j].q;
			struct qstats *st = &p->q[q];
			uint16_t n, sent;
			uint64_t bytes = 0, dropped_bytes = 0;
			uint32_t swapped = 0;

			if (p->dp) {
				/* The direct path: the frames go from ring to ring inside direct_poll. */
				struct vring_count dc = { 0 };
				unsigned pass = burst;
				if (unlikely(cfg.police_pps > 0))
					pass = police_allow(&tokens[j], &last[j], cfg.police_pps / p->nq, hz, burst);
				if (direct_poll(p->dp, q, burst, pass, mode, &dc) == 0)
					continue;
				tokens[j] -= (double)(dc.rx_packets - dc.policed);
				st->rx_packets += dc.rx_packets;
				st->rx_bytes += dc.rx_bytes;
				st->tx_packets += dc.tx_packets;
				st->tx_bytes += dc.tx_bytes;
				st->tx_full += dc.dropped_full;
				st->policed += dc.policed;
				st->bad_chain += dc.bad;
				for (int r = 0; r < PKT_NRESULTS; r++)
					st->results[r] += dc.results[r];
				continue;
			}
			n = rte_eth_rx_burst(p->id, q, pkts, (uint16_t)burst);
			if (n == 0)
				continue;
			if (unlikely(cfg.police_pps > 0)) {
				uint16_t keep = (uint16_t)police_allow(&tokens[j], &last[j], cfg.police_pps / p->nq, hz, n);
				if (keep < n) {
					rte_pktmbuf_free_bulk(pkts + keep, n - keep);
					st->policed += n - keep;
					n = keep;
					if (n == 0)
						continue;
				}
				tokens[j] -= n;
			}
			if (mode == PKT_MACSWAP) {
				for (uint16_t i = 0; i < n; i++) {
					struct rte_mbuf *m = pkts[i];
					if (i + 4 < n)
						rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 4], void *));
					bytes += rte_pktmbuf_pkt_len(m);
					/* Headers live in the first segment; never look past it. */
					if (likely(rte_pktmbuf_data_len(m) >= 14)) {
						pkt_macswap(rte_pktmbuf_mtod(m, uint8_t *));
						swapped++;
					} else {
						st->results[PKT_SHORT]++;
					}
				}
				st->results[PKT_SWAPPED] += swapped;
			} else if (mode == PKT_IO) {
				for (uint16_t i = 0; i < n; i++)
					bytes += rte_pktmbuf_pkt_len(pkts[i]);
			} else {
				for (uint16_t i = 0; i < n; i++) {
					struct rte_mbuf *m = pkts[i];
					bytes += rte_pktmbuf_pkt_len(m);
					st->results[pkt_swap(rte_pktmbuf_mtod(m, uint8_t *), rte_pktmbuf_data_len(m), mode)]++;
				}
			}
			sent = rte_eth_tx_burst(p->id, q, pkts, n);
			for (unsigned r = 0; unlikely(sent < n) && r < retries && !force_quit; r++)
				sent += rte_eth_tx_burst(p->id, q, pkts + sent, n - sent);
			if (unlikely(sent < n)) {
				for (uint16_t i = sent; i < n; i++)
					dropped_bytes += rte_pktmbuf_pkt_len(pkts[i]);
				rte_pktmbuf_free_bulk(pkts + sent, n - sent);
				st->tx_full += n - sent;
			}
			st->rx_packets += n;
			st->rx_bytes += bytes;
			st->tx_packets += sent;
			st->tx_bytes += bytes - dropped_bytes;
		}
	}
	return 0;
}

static int setup_port(struct port *p, struct rte_mempool **pools, char *msg, size_t len)
{
	struct rte_eth_dev_info info;
	struct rte_eth_conf conf;
	int socket = rte_eth_dev_socket_id(p->id), r;

	if (socket < 0)
		socket = (int)rte_socket_id();
	if ((r = rte_eth_dev_info_get(p->id, &info)) < 0) {
		snprintf(msg, len, "port %u: cannot read device info: %s", p->id, rte_strerror(-r));
		return r;
	}
	rte_eth_dev_get_name_by_port(p->id, p->name);
	if (cfg.queues)
		p->nq = (uint16_t)cfg.queues;
	else if (!strcmp(info.driver_name, "net_vhost"))
		p->nq = info.max_rx_queues; /* the vdev's queues= */
	else
		p->nq = 1;
	if (p->nq > info.max_rx_queues || p->nq > info.max_tx_queues || p->nq > MAX_QUEUES) {
		snprintf(msg, len, "port %u (%s) has at most %u queues, %u asked", p->id, p->name,
			 RTE_MIN(info.max_rx_queues, info.max_tx_queues), p->nq);
		return -EINVAL;
	}
	memset(&conf, 0, sizeof(conf));
	if (p->nq > 1 && info.flow_type_rss_offloads) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf = (RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP | RTE_ETH_RSS_TCP) &
						    info.flow_type_rss_offloads;
	}
	if ((r = rte_eth_dev_configure(p->id, p->nq, p->nq, &conf)) < 0) {
		snprintf(msg, len, "port %u (%s): configure: %s", p->id, p->name, rte_strerror(-r));
		return r;
	}
	for (uint16_t q = 0; q < p->nq; q++) {
		if ((r = rte_eth_rx_queue_setup(p->id, q, RX_DESC, (unsigned)socket, NULL, pools[socket])) < 0 ||
		    (r = rte_eth_tx_queue_setup(p->id, q, TX_DESC, (unsigned)socket, NULL)) < 0) {
			snprintf(msg, len, "port %u (%s) queue %u: %s", p->id, p->name, q, rte_strerror(-r));
			return r;
		}
	}
	rte_eth_dev_callback_register(p->id, RTE_ETH_EVENT_INTR_LSC, on_port_event, NULL);
	if ((r = rte_eth_dev_start(p->id)) < 0) {
		snprintf(msg, len, "port %u (%s): start: %s", p->id, p->name, rte_strerror(-r));
		return r;
	}
	rte_eth_promiscuous_enable(p->id); /* not every driver has it; not needed by vhost */
	{
		struct rte_eth_link link;
		if (rte_eth_link_get_nowait(p->id, &link) == 0)
			p->link_up = link.link_status == RTE_ETH_LINK_UP;
	}
	return 0;
}

/* A --vhost port on the direct data path: the vhost library's socket, our rings. */
static int setup_direct(struct port *p, char *msg, size_t len)
{
	p->nq = (uint16_t)(cfg.queues ? cfg.queues : p->vo.queues ? p->vo.queues : 1);
	snprintf(p->name, sizeof(p->name), "vhost%u", p->id);
	if (p->nq > DIRECT_MAX_QUEUES) {
		snprintf(msg, len, "port %u (%s): the direct data path serves at most %d queues, %u asked", p->id, p->name,
			 DIRECT_MAX_QUEUES, p->nq);
		return -EINVAL;
	}
	p->dp = direct_open(p->iface, p->nq, p->vo.client, cfg.tx_retry, msg, len);
	return p->dp ? 0 : -EIO;
}

/* One counter set as JSON, with rates against the previous snapshot over @secs. */
static json_t *stats_json(const struct qstats *now, const struct qstats *prev, double secs)
{
	double rxp = secs > 0 ? (double)(now->rx_packets - prev->rx_packets) / secs : 0;
	double txp = secs > 0 ? (double)(now->tx_packets - prev->tx_packets) / secs : 0;
	double rxb = (double)(now->rx_bytes - prev->rx_bytes), txb = (double)(now->tx_bytes - prev->tx_bytes);
	double rxlen = now->rx_packets > prev->rx_packets ? rxb / (double)(now->rx_packets - prev->rx_packets) : 0;
	double txlen = now->tx_packets > prev->tx_packets ? txb / (double)(now->tx_packets - prev->tx_packets) : 0;
	json_t *o = json_pack("{s:I, s:I, s:I, s:I, s:f, s:f, s:f, s:f, s:f, s:f, s:I}",
			      "rx_packets", (json_int_t)now->rx_packets, "rx_bytes", (json_int_t)now->rx_bytes,
			      "tx_packets", (json_int_t)now->tx_packets, "tx_bytes", (json_int_t)now->tx_bytes,
			      "rx_mpps", rxp / 1e6, "tx_mpps", txp / 1e6,
			      "rx_gbps_l1", pkt_gbps_l1(rxp, rxlen), "rx_gbps_l2", pkt_gbps_l2(rxp, rxlen),
			      "tx_gbps_l1", pkt_gbps_l1(txp, txlen), "tx_gbps_l2", pkt_gbps_l2(txp, txlen),
			      "tx_dropped_full", (json_int_t)now->tx_full);
	json_object_set_new(o, "dropped_policed", json_integer((json_int_t)now->policed));
	json_object_set_new(o, "dropped_bad_chain", json_integer((json_int_t)now->bad_chain));
	json_t *res = json_object();
	for (int r = 0; r < PKT_NRESULTS; r++)
		json_object_set_new(res, pkt_result_name((enum pkt_result)r), json_integer((json_int_t)now->results[r]));
	json_object_set_new(o, "frames", res);
	return o;
}

/* Snapshots for interval rates. */
static struct qstats prev_q[MAX_PORTS][MAX_QUEUES];
static struct qstats prev_t[MAX_PORTS];

static void print_stats(const char *type, double t, double secs)
{
	json_t *all = json_pack("{s:s, s:f, s:s}", "type", type, "time", t, "mode", pkt_mode_name(cfg.mode));
	json_t *parr = json_array();
	size_t i;
	json_t *po;

	for (unsigned pi = 0; pi < nports; pi++) {
		struct port *p = &ports[pi];
		struct qstats tot, snap[MAX_QUEUES];
		struct rte_eth_stats es;
		json_t *qa = json_array(), *o;

		/* Copy first: the workers keep counting. */
		memcpy(snap, p->q, sizeof(snap[0]) * p->nq);
		memset(&tot, 0, sizeof(tot));
		for (uint16_t q = 0; q < p->nq; q++) {
			json_t *qo = stats_json(&snap[q], &prev_q[pi][q], secs);
			json_object_set_new(qo, "queue", json_integer(q));
			json_array_append_new(qa, qo);
			tot.rx_packets += snap[q].rx_packets;
			tot.rx_bytes += snap[q].rx_bytes;
			tot.tx_packets += snap[q].tx_packets;
			tot.tx_bytes += snap[q].tx_bytes;
			tot.tx_full += snap[q].tx_full;
			tot.policed += snap[q].policed;
			tot.bad_chain += snap[q].bad_chain;
			for (int r = 0; r < PKT_NRESULTS; r++)
				tot.results[r] += snap[q].results[r];
			prev_q[pi][q] = snap[q];
		}
		o = stats_json(&tot, &prev_t[pi], secs);
		prev_t[pi] = tot;
		json_object_set_new(o, "port", json_integer(p->id));
		json_object_set_new(o, "name", json_string(p->name));
		json_object_set_new(o, "link", json_string(p->link_up ? "up" : "down"));
		json_object_set_new(o, "datapath", json_string(p->dp ? "direct" : "pmd"));
		if (!p->dp && rte_eth_stats_get(p->id, &es) == 0)
			json_object_set_new(o, "rx_dropped_no_mbuf", json_integer((json_int_t)es.rx_nombuf));
		if (p->dp) {
			struct direct_refusals rf;
			direct_refusals(p->dp, &rf);
			json_object_set_new(o, "refused", json_pack("{s:i, s:i, s:i, s:i}", "connections", (int)rf.connections,
								    "rings", (int)rf.rings, "memory", (int)rf.memory,
								    "replies_unread", (int)rf.closed));
		}
		json_object_set_new(o, "queues", qa);
		json_array_append_new(parr, o);
	}
	json_object_set_new(all, "ports", parr);

	if (cfg.json) {
		json_dumpf(all, stdout, JSON_COMPACT | JSON_REAL_PRECISION(6));
		putchar('\n');
	} else {
		json_array_foreach(parr, i, po) {
			json_t *qo;
			size_t k;
			bool final = !strcmp(type, "final");
			printf("%s%6.1fs port %lld (%s): rx %.3f Mpps, tx %.3f Mpps, %.2f Gb/s L1, %.2f Gb/s L2, dropped %lld (tx full) %lld (no mbuf)\n",
			       final ? "total " : "", t, json_integer_value(json_object_get(po, "port")),
			       json_string_value(json_object_get(po, "name")), json_real_value(json_object_get(po, "rx_mpps")),
			       json_real_value(json_object_get(po, "tx_mpps")), json_real_value(json_object_get(po, "rx_gbps_l1")),
			       json_real_value(json_object_get(po, "rx_gbps_l2")),
			       json_integer_value(json_object_get(po, "tx_dropped_full")),
			       json_integer_value(json_object_get(po, "rx_dropped_no_mbuf")));
			if (json_array_size(json_object_get(po, "queues")) > 1)
				json_array_foreach(json_object_get(po, "queues"), k, qo)
					printf("         queue %lld: rx %.3f Mpps, tx %.3f Mpps\n",
					       json_integer_value(json_object_get(qo, "queue")),
					       json_real_value(json_object_get(qo, "rx_mpps")),
					       json_real_value(json_object_get(qo, "tx_mpps")));
			if (final)
				printf("       packets: rx %lld, tx %lld\n", json_integer_value(json_object_get(po, "rx_packets")),
				       json_integer_value(json_object_get(po, "tx_packets")));
		}
	}
	fflush(stdout);
	json_decref(all);
}

/* --exit-on-disconnect: true once every port's link has been up and is down now.
 * Read by polling, so it works without link interrupts (uio in a guest). */
static bool peers_gone(void)
{
	static bool seen_up[MAX_PORTS];
	bool all_gone = true;

	for (unsigned i = 0; i < nports; i++) {
		struct rte_eth_link link;
		bool up = ports[i].dp ? direct_link_up(ports[i].dp)
				      : rte_eth_link_get_nowait(ports[i].id, &link) == 0 && link.link_status == RTE_ETH_LINK_UP;
		seen_up[i] |= up;
		if (!seen_up[i] || up)
			all_gone = false;
	}
	return all_gone;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The guest's vCPU map for the preflight's warnings: --vcpu-map, or the state of the VM
 * --vm names (as data, not text to parse again).  0 or an exit code. */
static int load_vcpus(struct vmap *vcpus)
{
	static int cpus[VMAP_MAX_VCPUS];
	struct pin_error err;
	struct vmstate st;
	size_t i, n = 0;
	int r;

	if (cfg.vcpu_map) {
		if (vmap_parse(vcpus, cfg.vcpu_map, 0, &err) < 0)
			return cli_usage_error("invalid --vcpu-map '%s': %s", cfg.vcpu_map, err.msg);
		return 0;
	}
	if (!cfg.vm)
		return 0;
	if ((r = rundir_read_state(cfg.vm, &st, NULL, 0)) < 0)
		return cli_fail(r == -ENOENT ? EXIT_NO_VM : EXIT_FAIL,
				r == -ENOENT ? "no VM named '%s' (see vmlaunch list)" : "VM '%s': its state is not one vmlaunch wrote", cfg.vm);
	for (i = 0; i < VMAP_MAX_VCPUS; i++)
		cpus[i] = -1; /* a gap: a vCPU the state leaves out (QEMU's cpu-index) */
	for (i = 0; i < st.nvcpus; i++) {
		const struct vmstate_vcpu *v = &st.vcpus[i];
		if (v->vcpu >= VMAP_MAX_VCPUS || v->cpu < 0 || v->cpu >= CPUSET_MAX) {
			vmstate_free(&st);
			return cli_fail(EXIT_FAIL, "VM '%s': its state names vCPU %d on CPU %d", cfg.vm, v->vcpu, v->cpu);
		}
		if ((size_t)v->vcpu >= n)
			n = (size_t)v->vcpu + 1;
		cpus[v->vcpu] = v->cpu;
	}
	vmstate_free(&st);
	if (n == 0 || vmap_from_array(vcpus, cpus, (unsigned)n) < 0)
		return cli_fail(EXIT_FAIL, "VM '%s' has no vCPU map in its state", cfg.vm);
	return 0;
}

/* EAL's arguments (the user's, the --vhost ports, what leaves nothing behind), the
 * preflight, EAL up.  0 or an exit code. */
static int start_eal(int sep, char **argv)
{
	static char *eal_argv[256], vdevs[MAX_VHOST][512], *vdev_args[2 * MAX_VHOST];
	struct vmap vcpus = { 0 };
	struct eal_view ev;
	char msg[512];
	int n_eal, r;

	if (preflight_parse_eal(sep, argv, &ev) < 0)
		return cli_usage_error("%s", ev.err);
	for (unsigned i = 0; i < cfg.nvhost; i++) {
		struct pin_error err;
		r = vhost_vdev(cfg.vhost[i], i, vdevs[i], sizeof(vdevs[i]), ports[i].iface, sizeof(ports[i].iface), &ports[i].vo,
			       &err);
		if (r == -EINVAL || r == -ENAMETOOLONG)
			return cli_usage_error("invalid --vhost '%s': %s (NAME or PATH, then ,queues=N and ,client)", cfg.vhost[i],
					       err.msg);
		if (r < 0)
			return cli_fail(EXIT_FAIL, "--vhost '%s': %s", cfg.vhost[i], err.msg);
		vdev_args[2 * i] = "--vdev";
		vdev_args[2 * i + 1] = vdevs[i];
	}
	/* The direct path's ports are the vhost library's, not EAL devices. */
	n_eal = app_eal_argv(sep, argv, vdev_args, cfg.pmd && cfg.datapath_given ? (int)(2 * cfg.nvhost) : 0, &ev, eal_argv, 256);
	if ((r = load_vcpus(&vcpus)))
		return r;
	if (!cfg.no_preflight) {
		struct preflight pf = { .eal = &ev, .need_mb = 128, .vcpus = vcpus.n ? &vcpus : NULL };
		json_t *rep = report_new("preflight"), *f;
		size_t i;
		r = preflight_run(&pf, rep, msg, sizeof(msg));
		if (r < 0) {
			json_decref(rep);
			vmap_free(&vcpus);
			return cli_fail(r == -EINVAL ? EXIT_USAGE : EXIT_FAIL, "%s", msg);
		}
		json_array_foreach(json_object_get(rep, "findings"), i, f)
			fprintf(stderr, "%s: warning: %s\n", cli_prog, json_string_value(json_object_get(f, "message")));
		json_decref(rep);
	}
	vmap_free(&vcpus);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (rte_eal_init(n_eal, eal_argv) < 0)
		rte_exit(EXIT_FAIL, "EAL initialization failed: %s\n", rte_strerror(rte_errno));
	/* No --datapath: direct, unless EAL has other ports for us too (PCI, --vdev); then
	 * every port goes through ethdev, the --vhost ones through net_vhost, added now. */
	if (!cfg.datapath_given) {
		cfg.pmd = cfg.nvhost == 0 || rte_eth_dev_count_avail() > 0;
		for (unsigned i = 0; cfg.pmd && i < cfg.nvhost; i++)
			if ((r = rte_dev_probe(vdevs[i])) < 0)
				return cli_fail(EXIT_FAIL, "--vhost '%s': cannot add it as a net_vhost port: %s", cfg.vhost[i],
						strerror(-r));
	}
	return 0;
}

/* One mbuf pool per socket that has ports: enough for every ring, every cache and the
 * bursts in flight; no more (a small pool cycles through fewer cache lines).  0 or
 * an exit code. */
static int create_pools(struct rte_mempool **pools, unsigned nworkers)
{
	for (unsigned i = 0; i < nports; i++) {
		int s = rte_eth_dev_socket_id(ports[i].id);
		unsigned n, nq = 0;
		char name[32];
		if (s < 0)
			s = (int)rte_socket_id();
		if (pools[s])
			continue;
		for (unsigned k = 0; k < nports; k++) {
			struct rte_eth_dev_info di;
			if (rte_eth_dev_info_get(ports[k].id, &di) == 0)
				nq += cfg.queues ? cfg.queues : (!strcmp(di.driver_name, "net_vhost") ? di.max_rx_queues : 1);
		}
		n = nq * (RX_DESC + TX_DESC + 2 * 512) + (nworkers + 1) * MBUF_CACHE;
		if (n < 8191)
			n = 8191;
		snprintf(name, sizeof(name), "reflector_%d", s);
		pools[s] = rte_pktmbuf_pool_create(name, n, MBUF_CACHE, 0, RTE_MBUF_DEFAULT_BUF_SIZE, s);
		if (!pools[s])
			return cli_fail(EXIT_FAIL, "cannot allocate %u mbufs on socket %d: %s (reserve more hugepages: hugepages setup 512M)",
					n, s, rte_strerror(rte_errno));
	}
	return 0;
}

/* (port, queue) pairs round robin over the worker lcores, the workers launched, and the
 * ready line scripts wait for (no sleeps). */
static void start_workers(void)
{
	unsigned wl[RTE_MAX_LCORE], nw = 0, lcore, j = 0;

	RTE_LCORE_FOREACH_WORKER(lcore)
		wl[nw++] = lcore;
	if (nw == 0)
		return; /* main() refuses to get here without workers */
	for (unsigned i = 0; i < nports; i++) {
		for (uint16_t q = 0; q < ports[i].nq; q++, j++) {
			struct worker *w = &workers[wl[j % nw]];
			w->job[w->n].p = &ports[i];
			w->job[w->n].q = q;
			w->n++;
		}
	}
	for (unsigned k = 0; k < nw && !cfg.json; k++) {
		struct worker *w = &workers[wl[k]];
		printf("lcore %u:", wl[k]);
		for (unsigned x = 0; x < w->n; x++)
			printf(" port %u queue %u", w->job[x].p->id, w->job[x].q);
		printf("%s\n", w->n ? "" : " idle (more lcores than queues)");
	}
	for (unsigned k = 0; k < nw; k++)
		if (workers[wl[k]].n)
			rte_eal_remote_launch(worker_main, &workers[wl[k]], wl[k]);
	if (cfg.json) {
		json_t *ready = json_pack("{s:s, s:s, s:[]}", "type", "ready", "mode", pkt_mode_name(cfg.mode), "ports");
		for (unsigned i = 0; i < nports; i++)
			json_array_append_new(json_object_get(ready, "ports"),
					      json_pack("{s:i, s:s, s:i, s:s, s:s}", "port", ports[i].id, "name", ports[i].name, "queues",
							ports[i].nq, "socket", ports[i].iface, "datapath", ports[i].dp ? "direct" : "pmd"));
		/* Who polls what, as EAL placed it: vmbench's per-queue findings read this,
		 * not a guess from -l. */
		json_t *wj = json_array();
		for (unsigned k = 0; k < nw; k++) {
			struct worker *w = &workers[wl[k]];
			json_t *o = app_lcore_json(wl[k]), *jobs = json_array();
			for (unsigned x = 0; x < w->n; x++)
				json_array_append_new(jobs, json_pack("{s:i, s:i}", "port", w->job[x].p->id, "queue", w->job[x].q));
			json_object_set_new(o, "jobs", jobs);
			json_array_append_new(wj, o);
		}
		json_object_set_new(ready, "main", app_lcore_json(rte_get_main_lcore()));
		json_object_set_new(ready, "workers", wj);
		json_dumpf(ready, stdout, JSON_COMPACT);
		putchar('\n');
		json_decref(ready);
	} else {
		printf("reflecting (%s) on %u port%s, %s data path; Ctrl-C to stop\n", pkt_mode_name(cfg.mode), nports,
		       nports > 1 ? "s" : "", nports && ports[0].dp ? "direct" : "pmd");
	}
	fflush(stdout);
}

/* DPDK telemetry's "/pinlab/queues,PORT": the port's per-queue counters as arrays
 * indexed by queue (telemetry's containers are arrays), for DPDK's own client
 * (dpdk-telemetry.py) and Telegraf's dpdk input (additional_commands).  Runs on
 * telemetry's thread: it only reads counters the workers write. */
static int telemetry_queues(const char *cmd, const char *params, struct rte_tel_data *d)
{
	static const struct { const char *name; size_t off; } c[] = {
		{ "rx_packets", offsetof(struct qstats, rx_packets) }, { "rx_bytes", offsetof(struct qstats, rx_bytes) },
		{ "tx_packets", offsetof(struct qstats, tx_packets) }, { "tx_bytes", offsetof(struct qstats, tx_bytes) },
		{ "tx_dropped_full", offsetof(struct qstats, tx_full) }, { "dropped_policed", offsetof(struct qstats, policed) },
	};
	unsigned long long id = 0;
	struct port *p = NULL;

	(void)cmd;
	if (params && *params && num_parse_uint(params, 0, UINT16_MAX, &id) < 0)
		return -EINVAL;
	for (unsigned i = 0; i < nports; i++)
		if (ports[i].id == id)
			p = &ports[i];
	if (!p)
		return -EINVAL;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "port", p->id);
	rte_tel_data_add_dict_string(d, "name", p->name);
	rte_tel_data_add_dict_u64(d, "queues", p->nq);
	rte_tel_data_add_dict_u64(d, "link_up", p->link_up);
	for (size_t k = 0; k < sizeof(c) / sizeof(c[0]); k++) {
		struct rte_tel_data *a = rte_tel_data_alloc();
		if (!a)
			return -ENOMEM;
		rte_tel_data_start_array(a, RTE_TEL_U64_VAL);
		for (uint16_t q = 0; q < p->nq; q++)
			rte_tel_data_add_array_u64(a, *(const volatile uint64_t *)((const char *)&p->q[q] + c[k].off));
		rte_tel_data_add_dict_container(d, c[k].name, a, 0);
	}
	return 0;
}

/* --json: once per connection, what the vhost-user peer negotiated (vmbench keeps it
 * in results.json and env.json). */
static void say_virtio(void)
{
	for (unsigned i = 0; i < nports && cfg.json; i++) {
		json_t *v, *o;
		if (!ports[i].link_up || ports[i].virtio_said)
			continue;
		ports[i].virtio_said = true;
		if (!(v = ports[i].dp ? app_vhost_virtio_vid(direct_vid(ports[i].dp)) : app_vhost_virtio(ports[i].id)))
			continue;
		o = json_pack("{s:s, s:i, s:o}", "type", "virtio", "port", ports[i].id, "virtio", v);
		json_dumpf(o, stdout, JSON_COMPACT);
		putchar('\n');
		fflush(stdout);
		json_decref(o);
	}
}

/* --prometheus: every port's and queue's counters, the file replaced whole.  0 or -errno. */
static int write_prometheus(double uptime)
{
	static const struct { const char *name, *help; size_t off; } c[] = {
		{ "pinlab_reflector_rx_packets_total", "Frames received from the peer.", offsetof(struct qstats, rx_packets) },
		{ "pinlab_reflector_rx_bytes_total", "Bytes received (without FCS).", offsetof(struct qstats, rx_bytes) },
		{ "pinlab_reflector_tx_packets_total", "Frames sent back.", offsetof(struct qstats, tx_packets) },
		{ "pinlab_reflector_tx_bytes_total", "Bytes sent back (without FCS).", offsetof(struct qstats, tx_bytes) },
		{ "pinlab_reflector_tx_dropped_full_total", "Frames dropped: the TX ring stayed full.", offsetof(struct qstats, tx_full) },
		{ "pinlab_reflector_dropped_policed_total", "Frames dropped by --police.", offsetof(struct qstats, policed) },
	};
	struct prom pm;

	if (prom_begin(&pm) < 0)
		return -ENOMEM;
	prom_family(&pm, "pinlab_reflector_uptime_seconds", "gauge", "Seconds since the ports started.");
	prom_sample(&pm, "pinlab_reflector_uptime_seconds", uptime, NULL);
	prom_family(&pm, "pinlab_reflector_link_up", "gauge", "1 while the port's peer is connected.");
	for (unsigned i = 0; i < nports; i++) {
		char id[8];
		snprintf(id, sizeof(id), "%u", ports[i].id);
		prom_sample(&pm, "pinlab_reflector_link_up", ports[i].link_up,
			    (const char *const[]){ "port", id, "name", ports[i].name, NULL });
	}
	for (size_t k = 0; k < sizeof(c) / sizeof(c[0]); k++) {
		prom_family(&pm, c[k].name, "counter", c[k].help);
		for (unsigned i = 0; i < nports; i++)
			for (uint16_t q = 0; q < ports[i].nq; q++) {
				char id[8], qn[8];
				uint64_t v = *(const volatile uint64_t *)((const char *)&ports[i].q[q] + c[k].off);
				snprintf(id, sizeof(id), "%u", ports[i].id);
				snprintf(qn, sizeof(qn), "%u", q);
				prom_sample(&pm, c[k].name, (double)v,
					    (const char *const[]){ "port", id, "name", ports[i].name, "queue", qn, NULL });
			}
	}
	return prom_commit(&pm, cfg.prometheus);
}

/* The main lcore until a signal, --duration or --exit-on-disconnect: statistics, then
 * the workers stopped and the final summary. */
static void run_until_stopped(void)
{
	double start = now_s(), last = start, deadline = cfg.duration > 0 ? start + cfg.duration : 0, last_prom = start;
	int r;

	while (!force_quit) {
		double t = now_s();
		struct timespec ts = { 0, 100 * 1000 * 1000 }; /* the main lcore shares a CPU with others: wake rarely */
		if (deadline && t >= deadline)
			break;
		if (cfg.exit_on_disconnect && peers_gone())
			break;
		if (cfg.stats_interval > 0 && t - last >= cfg.stats_interval) {
			print_stats("interval", t - start, t - last);
			last = t;
		}
		direct_events();
		say_virtio();
		if (cfg.prometheus && t - last_prom >= 1) {
			if ((r = write_prometheus(t - start)) < 0)
				cli_warn("cannot write %s: %s", cfg.prometheus, strerror(-r));
			last_prom = t;
		}
		nanosleep(&ts, NULL);
	}
	force_quit = true;
	bound_the_stop();
	rte_eal_mp_wait_lcore();
	direct_events(); /* a connection since the last look is said before the summary */
	memset(prev_q, 0, sizeof(prev_q));
	memset(prev_t, 0, sizeof(prev_t));
	print_stats("final", now_s() - start, now_s() - start);
	if (cfg.prometheus && (r = write_prometheus(now_s() - start)) < 0)
		cli_warn("cannot write %s: %s", cfg.prometheus, strerror(-r));
}

int main(int argc, char **argv)
{
	struct rte_mempool *pools[RTE_MAX_NUMA_NODES] = { 0 };
	unsigned lcore, nworkers = 0;
	int sep, r, code = EXIT_OK;
	char msg[512];

	cli_prog = "reflector";
	/* A reader that went away is an error we report, not a silent death. */
	signal(SIGPIPE, SIG_IGN);
	/* Burst 16, not DPDK's usual 32: with few frames in flight (a --tx-first loopback,
	 * a latency probe) the peer starts on the first half while we do the second;
	 * docs/performance.md has the figures. */
	/* The direct path is the default: faster at every size (docs/performance.md). */
	cfg = (struct settings){ .pmd = false, .mode = PKT_MACSWAP, .burst = 16, .tx_retry = 64, .stats_interval = 1,
				 .socket_mode = 0600 };
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

	if (cfg.nvhost && !cfg.pmd && rte_eth_dev_count_avail()) {
		code = cli_fail(EXIT_USAGE, "--datapath direct serves --vhost ports only: give the other ports to another "
					    "reflector, or use --datapath pmd");
		goto out;
	}
	nports = cfg.nvhost && !cfg.pmd ? cfg.nvhost : rte_eth_dev_count_avail();
	if (nports == 0 || nports > MAX_PORTS) {
		code = cli_fail(EXIT_USAGE, nports ? "at most %d ports" : "no ports: give one with --vhost NAME or an EAL --vdev",
				MAX_PORTS);
		goto out;
	}
	RTE_LCORE_FOREACH_WORKER(lcore)
		nworkers++;
	if (nworkers == 0) {
		code = cli_fail(EXIT_USAGE, "no worker lcore: give at least two lcores (-l 0,1)");
		goto out;
	}
	if (cfg.nvhost && !cfg.pmd) {
		for (unsigned i = 0; i < nports; i++)
			ports[i].id = (uint16_t)i;
	} else {
		uint16_t pid, i = 0;
		RTE_ETH_FOREACH_DEV(pid)
			ports[i++].id = pid;
		if ((code = create_pools(pools, nworkers)))
			goto out;
	}
	/* vhost creates its server sockets while ports are configured and started: with
	 * the mode asked for from the start (a chmod afterwards would follow a link put
	 * there meanwhile).  Nothing else creates files here. */
	{
		mode_t old = umask(~cfg.socket_mode & 0777);
		for (unsigned i = 0; i < nports && !code; i++)
			if ((cfg.nvhost && !cfg.pmd ? setup_direct(&ports[i], msg, sizeof(msg))
						    : setup_port(&ports[i], pools, msg, sizeof(msg))) < 0)
				code = cli_fail(EXIT_FAIL, "%s", msg);
		umask(old);
		if (code)
			goto out;
	}
	/* Registered always; reachable when EAL keeps its telemetry socket (--telemetry). */
	rte_telemetry_register_cmd("/pinlab/queues", telemetry_queues,
				   "Per-queue counters of the reflector's port: arrays indexed by queue. Parameter: port id");
	/* A --prometheus file that cannot be written is said before anything runs. */
	if (cfg.prometheus && (r = write_prometheus(0)) < 0) {
		code = cli_fail(EXIT_FAIL, "cannot write %s: %s", cfg.prometheus, strerror(-r));
		goto out;
	}
	start_workers();
	run_until_stopped();
out:
	bound_the_stop();
	for (unsigned i = 0; i < nports; i++) {
		if (ports[i].dp) {
			direct_close(ports[i].dp);
			continue;
		}
		if (cfg.nvhost && !cfg.pmd)
			continue; /* a direct port that never opened */
		rte_eth_dev_stop(ports[i].id);
		rte_eth_dev_close(ports[i].id);
	}
	for (unsigned s = 0; s < RTE_MAX_NUMA_NODES; s++)
		rte_mempool_free(pools[s]);
	app_eal_cleanup();
	return code;
}
