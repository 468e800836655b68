/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The reflector's direct data path: a vhost-user port served through DPDK's vhost
 * library for external backends, with the per-frame work our own (vring.c).  A frame
 * goes from a buffer of the guest's TX ring straight into a buffer of its RX ring:
 * one copy, no mbuf, no second copy.  The vhost-user protocol, the memory table and
 * feature negotiation stay DPDK's (rte_vhost_driver_*); only the rings are ours.
 *
 * Split rings only: packed ring is refused at negotiation (then the driver uses a
 * split ring), and so is dirty-page logging (VHOST_F_LOG_ALL: QEMU then refuses to
 * migrate the guest, rather than copy it without the pages we wrote).  The guest and
 * the frontend are hostile (docs/security.md): a port takes one connection at a time;
 * a ring is used only once it lies inside the memory table the frontend sent last; a
 * request that fails leaves the queues stopped until the state is whole again; the
 * frontend's socket and the guest's call fds never block us for long.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reflector/pkt.h"
#include "reflector/vring.h"

#define DIRECT_MAX_QUEUES 16
#define DIRECT_MAX_PORTS 8

struct direct_port;

/* What a port refused or cut off since it was opened. */
struct direct_refusals {
	unsigned connections;   /* a second frontend while one was connected */
	unsigned rings;         /* queue pairs not started: a ring that is not one, or outside guest memory */
	int ring_error;         /* the last such ring's reason: -EINVAL (size, alignment), -EFAULT (outside memory) */
	unsigned ring_queue;    /* and its queue pair */
	unsigned memory;        /* memory tables we cannot use (more regions than vhost-user allows) */
	unsigned closed;        /* connections we closed: a frontend that left its replies unread */
};

/* Register the vhost-user socket @path (a server, or a client that reconnects) with
 * @nq queue pairs and start it.  When the guest's RX ring has no buffer, the frames
 * wait in its TX ring for up to @retries microseconds (--tx-retry: a guest that
 * refills late loses nothing), then are dropped and counted.  The port, or NULL with the reason in @err. */
struct direct_port *direct_open(const char *path, unsigned nq, bool client, unsigned retries, char *err, size_t len);

/* One poll of queue pair @q (by the one worker that owns it): up to @burst frames from
 * the guest's TX ring, the first @pass rewritten by @mode into its RX ring, the rest
 * dropped (a policer).  Adds to @c; returns the frames taken. */
unsigned direct_poll(struct direct_port *dp, unsigned q, unsigned burst, unsigned pass, enum pkt_mode mode,
		     struct vring_count *c);

/* Is a peer connected (its device running)? */
bool direct_link_up(const struct direct_port *dp);

/* The vhost device id of the connection, or -1. */
int direct_vid(const struct direct_port *dp);

/* How many connections (devices started) there have been. */
unsigned direct_connections(const struct direct_port *dp);

/* What the port refused so far, into @r. */
void direct_refusals(const struct direct_port *dp, struct direct_refusals *r);

/* Unregister the socket (it is removed) and free the port. */
void direct_close(struct direct_port *dp);
