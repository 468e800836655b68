/*
 * The reflector's direct data path: a vhost-user port served through DPDK's vhost
 * library for external backends, with the per-frame work our own.  A frame goes
 * from a buffer of the guest's TX ring straight into a buffer of its RX ring: one
 * copy, no mbuf, no second copy.  The vhost-user protocol, the memory table and
 * feature negotiation stay DPDK's (rte_vhost_driver_*); only the rings are ours.
 *
 * Split rings only: packed ring is refused at negotiation (then the driver uses a
 * split ring).  The virtio-net header (10 or 12 bytes), chained and indirect
 * descriptors on both sides and frames larger than one RX buffer (mergeable RX
 * buffers) are handled.  A guest that stops refilling its RX ring makes the
 * reflector drop and count, never wait.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pkt.h"

#define DIRECT_MAX_QUEUES 16
#define DIRECT_MAX_PORTS 8

/* What one poll of a queue pair did; the caller adds it to its counters. */
struct direct_count {
	uint64_t rx_packets, rx_bytes;     /* taken from the guest's TX ring */
	uint64_t tx_packets, tx_bytes;     /* put into its RX ring */
	uint64_t dropped_full;             /* no room in the RX ring: dropped */
	uint64_t policed;                  /* beyond @pass: dropped */
	uint64_t bad;                      /* a descriptor chain we could not follow: dropped */
	uint64_t results[PKT_NRESULTS];
};

struct direct_port;

/* Register the vhost-user socket @path (a server, or a client that reconnects) with
 * @nq queue pairs and start it.  When the guest's RX ring has no buffer, the frames
 * wait in its TX ring for up to @retries microseconds (--tx-retry: a guest that
 * refills late loses nothing), then are dropped and counted.  The port, or NULL with the reason in @err. */
struct direct_port *direct_open(const char *path, unsigned nq, bool client, unsigned retries, char *err, size_t len);

/* One poll of queue pair @q (by the one worker that owns it): up to @burst frames from
 * the guest's TX ring, the first @pass rewritten by @mode into its RX ring, the rest
 * dropped (a policer).  Adds to @c; returns the frames taken. */
unsigned direct_poll(struct direct_port *dp, unsigned q, unsigned burst, unsigned pass, enum pkt_mode mode,
		     struct direct_count *c);

/* Is a peer connected (its device running)? */
bool direct_link_up(const struct direct_port *dp);

/* The vhost device id of the connection, or -1. */
int direct_vid(const struct direct_port *dp);

/* How many connections (devices started) there have been. */
unsigned direct_connections(const struct direct_port *dp);

/* Unregister the socket (it is removed) and free the port. */
void direct_close(struct direct_port *dp);
