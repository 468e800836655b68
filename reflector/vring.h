/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Split virtqueues walked from the device's side: what the reflector's direct data
 * path does to a guest's rings, with no EAL and no vhost library, so that unit
 * tests and a fuzzer can lay rings out themselves.
 *
 * Everything a ring points to is guest memory, and the guest is hostile: it may
 * write any descriptor, length, flag or index, and change them while we read.
 * So every descriptor and ring entry is read once, into a local copy; every guest
 * address is translated through the memory table, and a piece that leaves a region
 * is split or refused; lengths are summed in 64 bits and a frame is at most
 * VRING_FRAME_MAX bytes; a chain has at most VRING_MAX_PIECES descriptors and
 * pieces, an indirect table at most as many entries as its ring; one poll copies
 * at most about VRING_POLL_BUDGET bytes.  Writes go only into buffers the guest
 * offered for writing (descriptors with VRING_DESC_F_WRITE reached from its RX
 * ring's avail entries) and into the used rings; a ring is used only after
 * vring_check found it inside one region of the memory table.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/virtio_ring.h>

#include "reflector/pkt.h"

#define VRING_MAX_REGIONS 8          /* regions of a memory table (vhost-user's own limit) */
#define VRING_MAX_SIZE 32768         /* entries of a split ring (virtio 1.x) */
#define VRING_HDR_MAX 12             /* struct virtio_net_hdr_mrg_rxbuf */
#define VRING_FRAME_MAX 65536        /* bytes of one frame after the virtio-net header */
#define VRING_MAX_PIECES 256         /* descriptors, or pieces, of one frame on either side */
#define VRING_POLL_BUDGET (1u << 20) /* bytes one poll may copy (a descriptor counts 64) */

/* Guest memory: each region is @size bytes of guest physical addresses from @gpa,
 * mapped at @hva in this process. */
struct vring_region {
	uint64_t gpa, size;
	uint8_t *hva;
};

struct vring_mem {
	uint32_t n;
	struct vring_region r[VRING_MAX_REGIONS];
};

/* One split ring as the device sees it, and its positions: the next avail entry to
 * take, the next used entry to write (both free-running, as the ring's indexes). */
struct vring_q {
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	uint32_t size;
	uint16_t last_avail, last_used;
};

/* A queue pair: the guest's TX ring (we take from it) and RX ring (we fill it). */
struct vring_pair {
	struct vring_q tx, rx;
	uint64_t waiting;             /* TSC since the next frame waits for an RX buffer; 0: not */
	bool notify_tx, notify_rx;    /* used entries the guest has not been told about */
};

/* What a connection negotiated, shared by its queue pairs. */
struct vring_dev {
	struct vring_mem mem;
	uint32_t hdr_len;             /* the virtio-net header: 10, or 12 (mergeable or virtio 1.x) */
	bool mrg;                     /* mergeable RX buffers */
	uint64_t wait_tsc;            /* how long a frame waits for an RX buffer (TSC ticks); 0: not */
};

/* What one poll of a queue pair did; the caller adds it to its counters. */
struct vring_count {
	uint64_t rx_packets, rx_bytes;     /* taken from the guest's TX ring */
	uint64_t tx_packets, tx_bytes;     /* put into its RX ring */
	uint64_t dropped_full;             /* no room in the RX ring: dropped */
	uint64_t policed;                  /* beyond @pass: dropped */
	uint64_t bad;                      /* a descriptor chain we could not follow (either ring): dropped */
	uint64_t results[PKT_NRESULTS];
};

/* The host address of guest physical address @gpa; *@len is cut to what lies in the
 * same region.  NULL (and *@len 0) when no region holds @gpa. */
static inline void *vring_translate(const struct vring_mem *m, uint64_t gpa, uint64_t *len)
{
	for (uint32_t i = 0; i < m->n; i++) {
		const struct vring_region *r = &m->r[i];
		if (gpa >= r->gpa && gpa - r->gpa < r->size) {
			const uint64_t off = gpa - r->gpa;
			if (*len > r->size - off)
				*len = r->size - off;
			return r->hva + off;
		}
	}
	*len = 0;
	return NULL;
}

/* Is @vr a ring we may use with @m: a power-of-two size up to VRING_MAX_SIZE, each of
 * its three parts aligned as virtio requires and lying whole inside one region (with
 * @event_idx, the used_event and avail_event fields too)?  0, -EINVAL for the size or
 * alignment, -EFAULT for a part outside the memory table. */
int vring_check(const struct vring_mem *m, const struct vring_q *vr, bool event_idx);

/* One poll of queue pair @x: up to @burst frames from the guest's TX ring, the first
 * @pass rewritten by @mode into its RX ring, the rest dropped (a policer).  Used
 * entries are published (used->idx) and notify_tx/notify_rx set; telling the guest
 * is the caller's.  Adds to @c; returns the frames taken. */
unsigned vring_reflect(const struct vring_dev *d, struct vring_pair *x, unsigned burst, unsigned pass, enum pkt_mode mode,
		       struct vring_count *c);
