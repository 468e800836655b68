/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vpeer — a test peer for the reflector: sends frames given in hex through a
 * DPDK port (net_virtio_user to the reflector's socket), receives what comes
 * back within a bounded time, and prints each returned frame in hex.  The
 * tests compare those bytes with what the mode should produce.
 *
 *   vpeer [EAL OPTIONS] -- --frame HEX [--frame HEX ...] [--repeat N] [--timeout SECONDS]
 *                          [--segments N] [--no-rx] [--started]
 *
 * --segments N sends each frame as a chain of N mbufs (the virtio PMD then writes
 * chained or indirect descriptors); a frame longer than one mbuf is chained anyway.
 * --no-rx sends everything and never takes a frame back: a guest that stopped
 * refilling its RX ring.  --started prints "started" once the first frame is back.
 *
 * Output: "rx HEX" for the first returned copy of each frame, then
 * "sent N received M".  Exit 0 when every frame came back (--no-rx: was sent).
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#define MAX_FRAMES 64
#define MAX_LEN 9216 /* a jumbo frame */

static uint8_t frames[MAX_FRAMES][MAX_LEN];
static uint16_t lens[MAX_FRAMES];
static unsigned nframes;

static int unhex(const char *s, uint8_t *out, size_t max)
{
	size_t n = strlen(s);

	if (n % 2 || n / 2 > max || n == 0)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v;
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	return (int)(n / 2);
}

/* Frame @f as a chain of at least @nseg mbufs (each holds at most what its buffer
 * does); NULL when the pool is empty. */
static struct rte_mbuf *build(struct rte_mempool *pool, unsigned f, unsigned nseg)
{
	const uint32_t room = RTE_MBUF_DEFAULT_DATAROOM;
	uint32_t per = (lens[f] + nseg - 1) / nseg, off = 0;
	struct rte_mbuf *head = NULL, *last = NULL;

	if (per > room)
		per = room;
	while (off < lens[f]) {
		uint32_t n = lens[f] - off < per ? lens[f] - off : per;
		struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
		if (!m) {
			rte_pktmbuf_free(head);
			return NULL;
		}
		memcpy(rte_pktmbuf_append(m, (uint16_t)n), frames[f] + off, n);
		off += n;
		if (!head) {
			head = m;
		} else {
			last->next = m;
			head->nb_segs++;
			head->pkt_len += n;
		}
		last = m;
	}
	return head;
}

/* Frames in flight at most: well under virtio_user's default ring of 256. */
#define WINDOW 192

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "frame", required_argument, NULL, 'f' },
		{ "repeat", required_argument, NULL, 'r' },
		{ "timeout", required_argument, NULL, 't' },
		{ "segments", required_argument, NULL, 's' },
		{ "no-rx", no_argument, NULL, 'n' },
		{ "started", no_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 },
	};
	struct rte_eth_conf conf = { 0 };
	struct rte_mempool *pool;
	struct rte_mbuf *bufs[64];
	unsigned long repeat = 1, sent = 0, received = 0, total;
	double timeout = 5;
	unsigned nseg = 1;
	bool no_rx = false, say_started = false;
	uint64_t deadline;
	bool seen[MAX_FRAMES] = { 0 };
	int n, c;

	n = rte_eal_init(argc, argv);
	if (n < 0)
		rte_exit(1, "EAL init failed\n");
	argc -= n;
	argv += n;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		int len;
		switch (c) {
		case 'f':
			if (nframes == MAX_FRAMES || (len = unhex(optarg, frames[nframes], sizeof(frames[0]))) < 0)
				rte_exit(2, "bad --frame %s\n", optarg);
			lens[nframes++] = (uint16_t)len;
			break;
		case 'r': repeat = strtoul(optarg, NULL, 10); break;
		case 't': timeout = atof(optarg); break;
		case 's': nseg = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'n': no_rx = true; break;
		case 'S': say_started = true; break;
		default:
			rte_exit(2, "usage: vpeer [EAL] -- --frame HEX... [--repeat N] [--timeout S] [--segments N] [--no-rx] "
				    "[--started]\n");
		}
	}
	if (nseg == 0 || nseg > 16)
		rte_exit(2, "--segments is 1-16\n");
	if (nframes == 0 || rte_eth_dev_count_avail() != 1)
		rte_exit(2, "need one port and at least one --frame\n");
	pool = rte_pktmbuf_pool_create("vpeer", 8191, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (!pool || rte_eth_dev_configure(0, 1, 1, &conf) < 0 ||
	    rte_eth_rx_queue_setup(0, 0, 512, rte_socket_id(), NULL, pool) < 0 ||
	    rte_eth_tx_queue_setup(0, 0, 512, rte_socket_id(), NULL) < 0 || rte_eth_dev_start(0) < 0)
		rte_exit(1, "port setup failed\n");

	total = repeat * nframes;
	deadline = rte_get_timer_cycles() + (uint64_t)(timeout * (double)rte_get_timer_hz());
	/* As any peer would: send once the link is up (the reflector has set the device
	 * up), not while the vhost-user side may still be enabling its rings. */
	for (struct rte_eth_link link = { 0 };
	     rte_eth_link_get_nowait(0, &link) == 0 && link.link_status != RTE_ETH_LINK_UP && rte_get_timer_cycles() < deadline;)
		rte_delay_ms(1);
	while ((sent < total || (!no_rx && received < total)) && rte_get_timer_cycles() < deadline) {
		/* Send in bursts, frame i at position sent % nframes (order is kept per queue),
		 * never more than a window in flight: the peer's own RX ring (virtio_user's
		 * queue_size, 256 by default, whatever rx_queue_setup asked) must not overflow
		 * while this process is off its CPU, or the reflector rightly drops. */
		if (sent < total && (no_rx || sent - received < WINDOW)) {
			unsigned k = 0;
			while (k < 32 && sent + k < total && (no_rx || sent + k - received < WINDOW)) {
				struct rte_mbuf *m = build(pool, (unsigned)((sent + k) % nframes), nseg);
				if (!m)
					break;
				bufs[k++] = m;
			}
			uint16_t tx = rte_eth_tx_burst(0, 0, bufs, (uint16_t)k);
			rte_pktmbuf_free_bulk(bufs + tx, k - tx);
			sent += tx;
		}
		if (no_rx)
			continue;
		uint16_t rx = rte_eth_rx_burst(0, 0, bufs, 64);
		for (uint16_t i = 0; i < rx; i++) {
			unsigned f = (unsigned)(received % nframes);
			if (!seen[f]) {
				printf("rx ");
				for (const struct rte_mbuf *m = bufs[i]; m; m = m->next)
					for (uint32_t b = 0; b < rte_pktmbuf_data_len(m); b++)
						printf("%02x", rte_pktmbuf_mtod(m, const uint8_t *)[b]);
				printf("\n");
				seen[f] = true;
			}
			if (received++ == 0 && say_started) {
				printf("started\n");
				fflush(stdout);
			}
		}
		rte_pktmbuf_free_bulk(bufs, rx);
	}
	printf("sent %lu received %lu\n", sent, received);
	fflush(stdout);
	rte_eth_dev_stop(0);
	rte_eth_dev_close(0);
	{
		/* Leave no empty EAL runtime directory behind (it is made even --in-memory). */
		char rundir[4096];
		snprintf(rundir, sizeof(rundir), "%s", rte_eal_get_runtime_dir());
		rte_eal_cleanup();
		if (rundir[0] && rmdir(rundir) == 0 && strrchr(rundir, '/')) {
			*strrchr(rundir, '/') = '\0';
			rmdir(rundir);
		}
	}
	return (no_rx ? sent : received) == total ? 0 : 1;
}
