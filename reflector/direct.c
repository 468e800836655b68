#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#include <rte_atomic.h>
#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_pause.h>
#include <rte_prefetch.h>
#include <rte_vhost.h>

#include "direct.h"

/* The first bytes of a frame are rewritten in a local copy on their way: pkt_swap
 * reaches at most 86 bytes (two VLAN tags, IPv4 with options, the L4 ports). */
#define HEAD 128
#define MAX_SEGS 64       /* pieces of one frame we follow (descriptors, region splits) */
#define MAX_BUFS 32       /* RX buffers one frame may take (mergeable) */
#define HDR_MAX 12        /* struct virtio_net_hdr_mrg_rxbuf */
#define BATCH 64          /* frames reflect_batch takes in one go */

/* What a packed ring or an offload would need is not here: refused at negotiation, so
 * the driver falls back (split ring, no TSO/checksum offload, plain addresses). */
#define REFUSED_FEATURES                                                                                    \
	((1ULL << VIRTIO_F_RING_PACKED) | (1ULL << VIRTIO_F_ACCESS_PLATFORM) | (1ULL << VIRTIO_NET_F_CSUM) |  \
	 (1ULL << VIRTIO_NET_F_GUEST_CSUM) | (1ULL << VIRTIO_NET_F_HOST_TSO4) | (1ULL << VIRTIO_NET_F_HOST_TSO6) | \
	 (1ULL << VIRTIO_NET_F_GUEST_TSO4) | (1ULL << VIRTIO_NET_F_GUEST_TSO6) | (1ULL << VIRTIO_NET_F_HOST_UFO) | \
	 (1ULL << VIRTIO_NET_F_GUEST_UFO) | (1ULL << VIRTIO_NET_F_HOST_ECN) | (1ULL << VIRTIO_NET_F_GUEST_ECN))

struct seg {
	uint8_t *p;
	uint32_t len;
};

/* One queue pair: the guest's TX ring (we take from it) and RX ring (we fill it). */
struct dq {
	struct rte_vhost_vring tx, rx;
	uint16_t tx_avail, tx_used;       /* the next entry to take, to publish */
	uint16_t rx_avail, rx_used;
	bool notify_tx, notify_rx;        /* a call the library could not make yet */
	uint64_t waiting;                 /* TSC since the next frame waits for an RX buffer; 0: not */
	bool paused;                      /* set aside while a request moves the rings */
	volatile bool ready;
};

/* A running device: what one connection negotiated. */
struct ddev {
	int vid;
	uint64_t features;
	struct rte_vhost_memory *mem;
	uint32_t hdr_len;
	bool mrg, event_idx;
	struct dq q[DIRECT_MAX_QUEUES];
};

struct busy {
	volatile uint32_t v;
} __rte_cache_aligned;

struct direct_port {
	char path[PATH_MAX];
	unsigned nq;
	uint64_t wait_tsc;                /* how long a frame waits for an RX buffer before it is dropped */
	struct ddev *dev;                 /* the running device, or NULL; workers read it */
	volatile int vid;
	volatile unsigned connections;    /* devices started so far */
	struct busy busy[DIRECT_MAX_QUEUES]; /* a worker is inside direct_poll for queue q */
};

static struct direct_port *dports[DIRECT_MAX_PORTS];

static struct direct_port *port_of(int vid)
{
	char name[PATH_MAX];

	if (rte_vhost_get_ifname(vid, name, sizeof(name)) < 0)
		return NULL;
	for (unsigned i = 0; i < DIRECT_MAX_PORTS; i++)
		if (dports[i] && !strcmp(dports[i]->path, name))
			return dports[i];
	return NULL;
}

/* Wait until no worker is inside queue @q of @dp (they see the change on their next
 * poll and never block inside one). */
static void quiesce(struct direct_port *dp, unsigned q)
{
	while (__atomic_load_n(&dp->busy[q].v, __ATOMIC_SEQ_CST))
		rte_pause();
}

static void setup_queue(struct ddev *d, unsigned q)
{
	struct dq *x = &d->q[q];

	if (rte_vhost_get_vhost_vring(d->vid, (uint16_t)(2 * q + 1), &x->tx) < 0 ||
	    rte_vhost_get_vhost_vring(d->vid, (uint16_t)(2 * q), &x->rx) < 0)
		return;
	/* Split rings are a power of two long; anything else is not a ring we can index. */
	if (!x->tx.desc || !x->tx.avail || !x->tx.used || !x->rx.desc || !x->rx.avail || !x->rx.used ||
	    !rte_is_power_of_2(x->tx.size) || !rte_is_power_of_2(x->rx.size))
		return;
	rte_vhost_get_vring_base(d->vid, (uint16_t)(2 * q + 1), &x->tx_avail, &x->tx_used);
	rte_vhost_get_vring_base(d->vid, (uint16_t)(2 * q), &x->rx_avail, &x->rx_used);
	/* We poll: the guest need not kick us.  Written here as the library would
	 * (rte_vhost_enable_guest_notification takes the ring's lock, which the library
	 * holds while it calls vring_state_changed).  With event idx the guest kicks
	 * only when its index passes avail_event, which we never move. */
	if (!d->event_idx) {
		x->tx.used->flags = VRING_USED_F_NO_NOTIFY;
		x->rx.used->flags = VRING_USED_F_NO_NOTIFY;
	}
	__atomic_store_n(&x->ready, true, __ATOMIC_RELEASE);
}

/* Give the library our ring positions: what GET_VRING_BASE answers (a reconnecting
 * or migrating driver resumes there) and what its event-idx check compares with. */
static void save_bases(struct ddev *d, unsigned q)
{
	struct dq *x = &d->q[q];

	rte_vhost_set_vring_base(d->vid, (uint16_t)(2 * q + 1), x->tx_avail, x->tx_used);
	rte_vhost_set_vring_base(d->vid, (uint16_t)(2 * q), x->rx_avail, x->rx_used);
}

/* vhost-user requests that move the guest's memory or rings under a running device
 * (the protocol's numbers: rte_vhost.h does not export them).  QEMU and virtio_user
 * send SET_MEM_TABLE again when the guest's memory grows. */
enum { VU_SET_MEM_TABLE = 5, VU_SET_VRING_NUM = 8, VU_SET_VRING_ADDR = 9, VU_SET_VRING_BASE = 10 };

static bool moves_rings(const void *msg)
{
	uint32_t request;

	memcpy(&request, msg, sizeof(request)); /* VhostUserMsg starts with its request */
	return request == VU_SET_MEM_TABLE || request == VU_SET_VRING_NUM || request == VU_SET_VRING_ADDR ||
	       request == VU_SET_VRING_BASE;
}

/* Before such a request: the workers leave the device's queues (the library holds
 * the rings' locks now, so nothing here may take one) and our positions are saved. */
static enum rte_vhost_msg_result pre_msg(int vid, void *msg)
{
	struct direct_port *dp = port_of(vid);
	struct ddev *d = dp ? dp->dev : NULL;

	if (!d || d->vid != vid || !moves_rings(msg))
		return RTE_VHOST_MSG_RESULT_NOT_HANDLED;
	for (unsigned q = 0; q < dp->nq; q++) {
		struct dq *x = &d->q[q];
		x->paused = x->ready;
		if (!x->ready)
			continue;
		__atomic_store_n(&x->ready, false, __ATOMIC_SEQ_CST);
		quiesce(dp, q);
		save_bases(d, q);
	}
	return RTE_VHOST_MSG_RESULT_NOT_HANDLED;
}

/* After it: the new memory table and ring addresses, and the queues back. */
static enum rte_vhost_msg_result post_msg(int vid, void *msg)
{
	struct direct_port *dp = port_of(vid);
	struct ddev *d = dp ? dp->dev : NULL;
	struct rte_vhost_memory *mem;

	if (!d || d->vid != vid || !moves_rings(msg))
		return RTE_VHOST_MSG_RESULT_NOT_HANDLED;
	if (rte_vhost_get_mem_table(vid, &mem) == 0) {
		free(d->mem);
		d->mem = mem;
	}
	for (unsigned q = 0; q < dp->nq; q++)
		if (d->q[q].paused && 2 * q + 1 < rte_vhost_get_vring_num(vid))
			setup_queue(d, q);
	return RTE_VHOST_MSG_RESULT_NOT_HANDLED;
}

static const struct rte_vhost_user_extern_ops msg_hooks = {
	.pre_msg_handle = pre_msg,
	.post_msg_handle = post_msg,
};

static int new_device(int vid)
{
	struct direct_port *dp = port_of(vid);
	struct ddev *d;
	uint16_t nvr;

	if (!dp || !(d = calloc(1, sizeof(*d))))
		return -1;
	d->vid = vid;
	if (rte_vhost_get_negotiated_features(vid, &d->features) < 0 || (d->features & REFUSED_FEATURES) ||
	    rte_vhost_get_mem_table(vid, &d->mem) < 0) {
		free(d);
		return -1;
	}
	d->mrg = d->features & (1ULL << VIRTIO_NET_F_MRG_RXBUF);
	d->event_idx = d->features & (1ULL << VIRTIO_RING_F_EVENT_IDX);
	d->hdr_len = d->mrg || (d->features & (1ULL << VIRTIO_F_VERSION_1)) ? 12 : 10;
	if (rte_vhost_extern_callback_register(vid, &msg_hooks, NULL) < 0) {
		free(d->mem);
		free(d);
		return -1;
	}
	nvr = rte_vhost_get_vring_num(vid);
	for (unsigned q = 0; q < dp->nq && 2 * q + 1 < nvr; q++)
		setup_queue(d, q);
	dp->vid = vid;
	__atomic_store_n(&dp->dev, d, __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&dp->connections, 1, __ATOMIC_RELEASE);
	return 0;
}

static void destroy_device(int vid)
{
	struct direct_port *dp = port_of(vid);
	struct ddev *d;

	if (!dp || !(d = dp->dev) || d->vid != vid)
		return;
	__atomic_store_n(&dp->dev, NULL, __ATOMIC_SEQ_CST);
	for (unsigned q = 0; q < dp->nq; q++) {
		quiesce(dp, q);
		if (d->q[q].ready)
			save_bases(d, q);
	}
	dp->vid = -1;
	free(d->mem);
	free(d);
}

/* A queue pair enabled or disabled while the device runs (the guest changes how many
 * pairs it uses). */
static int vring_state_changed(int vid, uint16_t vring, int enable)
{
	struct direct_port *dp = port_of(vid);
	struct ddev *d = dp ? dp->dev : NULL;
	unsigned q = vring / 2;

	if (!d || d->vid != vid || q >= dp->nq)
		return 0;
	if (!enable && d->q[q].ready) {
		__atomic_store_n(&d->q[q].ready, false, __ATOMIC_SEQ_CST);
		quiesce(dp, q);
		save_bases(d, q);
	} else if (enable && !d->q[q].ready) {
		setup_queue(d, q);
	}
	return 0;
}

static const struct rte_vhost_device_ops ops = {
	.new_device = new_device,
	.destroy_device = destroy_device,
	.vring_state_changed = vring_state_changed,
};

/* The pieces of descriptor chain @head of @vr, guest addresses translated; a piece
 * that crosses a memory region is split.  Every descriptor is read once, into a
 * local copy: the guest may change the ring meanwhile.  -1 for a chain we cannot
 * follow (out of range, a loop, a direction that is wrong, an unmapped address). */
static int chain(const struct ddev *d, const struct rte_vhost_vring *vr, uint16_t head, bool write, struct seg *s,
		 unsigned max, unsigned *ns, uint32_t *total)
{
	const struct vring_desc *tab = vr->desc;
	uint32_t tsize = vr->size, sum = 0;
	unsigned k = 0;
	uint16_t i = head;
	struct vring_desc e;

	if (head >= vr->size)
		return -1;
	e = tab[i];
	if (e.flags & VRING_DESC_F_INDIRECT) {
		uint64_t len = e.len;
		tab = (const struct vring_desc *)(uintptr_t)rte_vhost_va_from_guest_pa(d->mem, e.addr, &len);
		if (!tab || len != e.len || e.len == 0 || e.len % sizeof(*tab))
			return -1;
		tsize = e.len / sizeof(*tab);
		i = 0;
	}
	for (uint32_t hops = 0;; hops++) {
		uint64_t gpa;
		uint32_t left;
		if (i >= tsize || hops >= tsize)
			return -1;
		e = tab[i];
		if (!!(e.flags & VRING_DESC_F_WRITE) != write || (e.flags & VRING_DESC_F_INDIRECT))
			return -1;
		for (gpa = e.addr, left = e.len; left;) {
			uint64_t len = left;
			uint8_t *p = (uint8_t *)(uintptr_t)rte_vhost_va_from_guest_pa(d->mem, gpa, &len);
			if (!p || !len || k == max)
				return -1;
			s[k].p = p;
			s[k++].len = (uint32_t)len;
			gpa += len;
			left -= (uint32_t)len;
		}
		sum += e.len;
		if (!(e.flags & VRING_DESC_F_NEXT))
			break;
		i = e.next;
	}
	*ns = k;
	*total = sum;
	return 0;
}

/* Copy @len bytes from @src into the pieces @dst[*k] at *off onwards. */
static void put_bytes(const struct seg *dst, unsigned *k, uint32_t *off, const uint8_t *src, uint32_t len)
{
	while (len) {
		uint32_t n = dst[*k].len - *off;
		if (n > len)
			n = len;
		memcpy(dst[*k].p + *off, src, n);
		src += n;
		len -= n;
		*off += n;
		if (*off == dst[*k].len) {
			(*k)++;
			*off = 0;
		}
	}
}

static void used_put(struct rte_vhost_vring *vr, uint16_t idx, uint16_t id, uint32_t len)
{
	struct vring_used_elem *u = &vr->used->ring[idx & (vr->size - 1)];

	u->id = id;
	u->len = len;
}

/* One frame (the pieces @src after the virtio-net header, @flen bytes) into the RX
 * ring: buffers taken up to @rx_end (the guest's avail index), the header written,
 * the first bytes rewritten by @mode, the rest copied as they are.  0, or -1 when
 * the ring has no room for it (dropped; nothing of the ring consumed). */
static int put_frame(struct ddev *d, struct dq *x, uint16_t rx_end, const struct seg *src, unsigned nsrc, uint32_t flen,
		     enum pkt_mode mode, struct direct_count *c)
{
	struct seg dst[MAX_SEGS];
	struct {
		uint16_t head;
		uint32_t cap;
	} buf[MAX_BUFS];
	uint8_t head[HDR_MAX + HEAD];
	const uint32_t need = d->hdr_len + flen, hl = flen < HEAD ? flen : HEAD;
	uint32_t cap = 0, off = 0, skip = hl, left;
	unsigned nd = 0, nb = 0, k = 0;
	uint16_t next = x->rx_avail;
	enum pkt_result r;

	while (cap < need) {
		unsigned n;
		uint32_t t;
		/* Without mergeable buffers one buffer holds the frame, or it does not go. */
		if (next == rx_end || nb == MAX_BUFS || nd == MAX_SEGS || (nb == 1 && !d->mrg))
			return -1;
		buf[nb].head = x->rx.avail->ring[next & (x->rx.size - 1)];
		if (chain(d, &x->rx, buf[nb].head, true, dst + nd, MAX_SEGS - nd, &n, &t) < 0) {
			c->bad++;
			return -1;
		}
		next++;
		nd += n;
		buf[nb++].cap = t;
		cap += t;
	}
	/* The header, then the frame's first bytes, rewritten here. */
	memset(head, 0, d->hdr_len);
	if (d->mrg) {
		head[10] = (uint8_t)nb;               /* num_buffers, little endian */
		head[11] = (uint8_t)(nb >> 8);
	}
	for (unsigned i = 0, got = 0; got < hl; i++) {
		uint32_t n = src[i].len < hl - got ? src[i].len : hl - got;
		memcpy(head + d->hdr_len + got, src[i].p, n);
		got += n;
	}
	if (flen < 14) {
		r = PKT_SHORT;
	} else if (mode == PKT_MACSWAP) {
		pkt_macswap(head + d->hdr_len);
		r = PKT_SWAPPED;
	} else {
		r = pkt_swap(head + d->hdr_len, flen, mode);
	}
	c->results[r]++;
	put_bytes(dst, &k, &off, head, d->hdr_len + hl);
	/* The rest straight from the guest's TX buffer. */
	for (unsigned i = 0; i < nsrc; i++) {
		if (skip >= src[i].len) {
			skip -= src[i].len;
			continue;
		}
		put_bytes(dst, &k, &off, src[i].p + skip, src[i].len - skip);
		skip = 0;
	}
	/* Each buffer full but the last. */
	left = need;
	for (unsigned b = 0; b < nb; b++) {
		uint32_t len = buf[b].cap < left ? buf[b].cap : left;
		used_put(&x->rx, x->rx_used++, buf[b].head, len);
		left -= len;
	}
	x->rx_avail = next;
	c->tx_packets++;
	c->tx_bytes += flen;
	return 0;
}

/* The virtio-net header of a frame in one buffer: all zero; num_buffers 1 with
 * mergeable RX buffers. */
static const uint8_t hdr_zero[HDR_MAX], hdr_one[HDR_MAX] = { [10] = 1 };

/* reflect_batch swaps MAC addresses in two integer loads: bytes in memory order. */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the MAC swap in reflect_batch assumes little endian");

/* A descriptor that is a whole buffer in one memory region (no chain, no indirect
 * table, the right direction): its host address and length in *@len, else NULL. */
static inline uint8_t *one_buffer(const struct ddev *d, const struct vring_desc *e, bool write, uint32_t *len)
{
	uint64_t l = e->len;
	uint8_t *p;

	if ((e->flags & (VRING_DESC_F_NEXT | VRING_DESC_F_INDIRECT)) || !!(e->flags & VRING_DESC_F_WRITE) != write)
		return NULL;
	p = (uint8_t *)(uintptr_t)rte_vhost_va_from_guest_pa(d->mem, e->addr, &l);
	if (!p || l != e->len)
		return NULL;
	*len = e->len;
	return p;
}

/* The leading frames of a poll that are one buffer on each side — what virtio_user,
 * DPDK's virtio PMD and Linux's virtio-net use for frames that fit — taken in phases,
 * so that a burst's cache misses overlap instead of following one another: the ring
 * heads (descriptors prefetched), the descriptors (buffers prefetched), the copies,
 * the used entries.  At most @n frames (the caller's burst, after the policer); the
 * batch ends at the first frame that is not that simple or has no RX buffer, and the
 * general path takes the rest (in order).  The frames taken. */
static unsigned reflect_batch(struct ddev *d, struct dq *x, unsigned n, uint16_t rx_end, enum pkt_mode mode,
			      struct direct_count *c)
{
	const uint16_t tmask = (uint16_t)(x->tx.size - 1), rmask = (uint16_t)(x->rx.size - 1);
	const uint32_t hdr = d->hdr_len;
	const unsigned room = (uint16_t)(rx_end - x->rx_avail);
	uint16_t txh[BATCH], rxh[BATCH];
	uint8_t *src[BATCH], *dst[BATCH];
	uint32_t len[BATCH], cap;
	unsigned k, m;
	uint64_t bytes = 0;

	if (n > BATCH)
		n = BATCH;
	if (n > room)
		n = room; /* the general path drops and counts what finds no buffer */
	for (k = 0; k < n; k++) {
		txh[k] = x->tx.avail->ring[(uint16_t)(x->tx_avail + k) & tmask];
		rxh[k] = x->rx.avail->ring[(uint16_t)(x->rx_avail + k) & rmask];
		if (txh[k] >= x->tx.size || rxh[k] >= x->rx.size)
			break;
		rte_prefetch0(&x->tx.desc[txh[k]]);
		rte_prefetch0(&x->rx.desc[rxh[k]]);
	}
	if (k == 0)
		return 0;
	n = k;
	/* Descriptors read once, into local copies: the guest may change its rings. */
	for (k = 0; k < n; k++) {
		struct vring_desc t = x->tx.desc[txh[k]];
		if (!(src[k] = one_buffer(d, &t, false, &len[k])) || len[k] < hdr)
			break;
		rte_prefetch0(src[k]);
		rte_prefetch0(src[k] + 64);
	}
	n = k;
	for (m = 0; m < n; m++) {
		struct vring_desc r = x->rx.desc[rxh[m]];
		if (!(dst[m] = one_buffer(d, &r, true, &cap)) || cap < len[m])
			break;
		__builtin_prefetch(dst[m], 1);
		__builtin_prefetch(dst[m] + 64, 1);
	}
	for (k = 0; k < m; k++) {
		uint8_t head[HDR_MAX + HEAD];
		const uint32_t flen = len[k] - hdr, hl = flen < HEAD ? flen : HEAD;
		enum pkt_result r;

		if (mode == PKT_MACSWAP && flen >= 14) {
			/* The common case straight into the RX buffer: the addresses read once
			 * into registers and written back swapped, nothing decided on them (a
			 * local copy read back costs a store-forwarding stall per frame). */
			uint8_t *o = dst[k];
			uint64_t lo, swapped;
			uint32_t hi;
			memcpy(&lo, src[k] + hdr, 8);        /* destination, and 2 bytes of the source */
			memcpy(&hi, src[k] + hdr + 8, 4);    /* the rest of the source (little endian) */
			if (hdr == 12)
				memcpy(o, d->mrg ? hdr_one : hdr_zero, 12);
			else
				memcpy(o, hdr_zero, 10);
			swapped = (lo >> 48) | ((uint64_t)hi << 16);  /* the source address, first */
			memcpy(o + hdr, &swapped, 6);
			memcpy(o + hdr + 6, &lo, 6);
			memcpy(o + hdr + 12, src[k] + hdr + 12, flen - 12);
			c->results[PKT_SWAPPED]++;
			bytes += flen;
			continue;
		}

		/* The header (one buffer: num_buffers 1), then the frame's first bytes
		 * rewritten in a local copy (the guest cannot change them under pkt_swap),
		 * the rest straight from the TX buffer. */
		memset(head, 0, hdr);
		if (d->mrg)
			head[10] = 1;
		memcpy(head + hdr, src[k] + hdr, hl);
		if (flen < 14) {
			r = PKT_SHORT;
		} else if (mode == PKT_MACSWAP) {
			pkt_macswap(head + hdr);
			r = PKT_SWAPPED;
		} else {
			r = pkt_swap(head + hdr, flen, mode);
		}
		c->results[r]++;
		memcpy(dst[k], head, hdr + hl);
		if (flen > hl)
			memcpy(dst[k] + hdr + hl, src[k] + hdr + hl, flen - hl);
		bytes += flen;
	}
	for (k = 0; k < m; k++) {
		used_put(&x->rx, x->rx_used++, rxh[k], len[k]);
		used_put(&x->tx, x->tx_used++, txh[k], 0);
	}
	x->tx_avail += m;
	x->rx_avail += m;
	c->rx_packets += m;
	c->tx_packets += m;
	c->rx_bytes += bytes;
	c->tx_bytes += bytes;
	return m;
}

/* Tell the guest about used entries of @vring when it asked to be told: its flags, or
 * with event idx its used_event (the library's check, given our positions).  The
 * library's call never waits here: a vhost-user message holding the ring's lock
 * leaves it for the next poll. */
static bool notify(struct ddev *d, struct dq *x, uint16_t vring)
{
	struct rte_vhost_vring *vr = vring & 1 ? &x->tx : &x->rx;

	if (!d->event_idx) {
		/* The caller's fence made used->idx visible before this read. */
		if (vr->avail->flags & VRING_AVAIL_F_NO_INTERRUPT)
			return true;
	} else {
		rte_vhost_set_vring_base(d->vid, vring, vring & 1 ? x->tx_avail : x->rx_avail,
					 vring & 1 ? x->tx_used : x->rx_used);
	}
	return rte_vhost_vring_call_nonblock(d->vid, vring) != -EAGAIN;
}

static unsigned reflect(struct ddev *d, struct dq *x, unsigned q, unsigned burst, unsigned pass, uint64_t wait_tsc,
			enum pkt_mode mode, struct direct_count *c)
{
	const uint16_t avail = __atomic_load_n(&x->tx.avail->idx, __ATOMIC_ACQUIRE);
	uint16_t n = (uint16_t)(avail - x->tx_avail), rx_end, rx_used0 = x->rx_used;

	if (n > x->tx.size)
		n = 0; /* a guest that claims more than its ring holds: nothing is taken */
	if (n > burst)
		n = (uint16_t)burst;
	if (n) {
		uint16_t i;
		rx_end = __atomic_load_n(&x->rx.avail->idx, __ATOMIC_ACQUIRE);
		if ((uint16_t)(rx_end - x->rx_avail) > x->rx.size)
			rx_end = x->rx_avail;
		const uint16_t tmask = (uint16_t)(x->tx.size - 1);
		/* The simple frames in batches; from the first that is not, frame by frame. */
		for (i = 0; i < n && i < pass;) {
			unsigned k = reflect_batch(d, x, (n < pass ? n : pass) - i, rx_end, mode, c);
			if (k == 0)
				break;
			i = (uint16_t)(i + k);
			x->waiting = 0;
		}
		for (; i < n; i++) {
			/* No RX buffer: the frame waits in the guest's TX ring a while (as the PMD
			 * path retries a full ring), then it and those after it are dropped. */
			if (i < pass && x->rx_avail == rx_end && wait_tsc) {
				const uint64_t now = rte_rdtsc();
				if (!x->waiting)
					x->waiting = now;
				if (now - x->waiting < wait_tsc)
					break;
			}
			uint16_t head = x->tx.avail->ring[x->tx_avail & tmask];
			struct seg src[MAX_SEGS];
			unsigned ns, s = 0;
			uint32_t total, skip = d->hdr_len;
			if (chain(d, &x->tx, head, false, src, MAX_SEGS, &ns, &total) < 0 || total < d->hdr_len) {
				c->bad++;
			} else {
				/* The frame starts after the virtio-net header, in whichever piece. */
				while (s < ns && skip >= src[s].len)
					skip -= src[s++].len;
				if (s < ns) {
					src[s].p += skip;
					src[s].len -= skip;
				}
				c->rx_packets++;
				c->rx_bytes += total - d->hdr_len;
				if (i >= pass)
					c->policed++;
				else if (put_frame(d, x, rx_end, src + s, ns - s, total - d->hdr_len, mode, c) < 0)
					c->dropped_full++;
				else
					x->waiting = 0;
			}
			used_put(&x->tx, x->tx_used++, head, 0);
			x->tx_avail++;
		}
		n = i; /* what was taken: the rest waits for RX buffers */
		if (n) {
			__atomic_store_n(&x->tx.used->idx, x->tx_used, __ATOMIC_RELEASE);
			x->notify_tx = true;
		}
		if (x->rx_used != rx_used0) {
			__atomic_store_n(&x->rx.used->idx, x->rx_used, __ATOMIC_RELEASE);
			x->notify_rx = true;
		}
	}
	/* One fence for both rings: the used indexes are visible before the guest's flags are
	 * read (with event idx the library's call has its own). */
	if (!d->event_idx && (x->notify_rx || x->notify_tx))
		rte_smp_mb();
	if (x->notify_rx)
		x->notify_rx = !notify(d, x, (uint16_t)(2 * q));
	if (x->notify_tx)
		x->notify_tx = !notify(d, x, (uint16_t)(2 * q + 1));
	return n;
}

unsigned direct_poll(struct direct_port *dp, unsigned q, unsigned burst, unsigned pass, enum pkt_mode mode,
		     struct direct_count *c)
{
	struct ddev *d;
	unsigned n = 0;

	/* Dekker with destroy_device: we say we are in, then look; it takes the device
	 * away, then waits for us to be out. */
	__atomic_store_n(&dp->busy[q].v, 1, __ATOMIC_SEQ_CST);
	d = __atomic_load_n(&dp->dev, __ATOMIC_SEQ_CST);
	if (d && __atomic_load_n(&d->q[q].ready, __ATOMIC_ACQUIRE))
		n = reflect(d, &d->q[q], q, burst, pass, dp->wait_tsc, mode, c);
	__atomic_store_n(&dp->busy[q].v, 0, __ATOMIC_RELEASE);
	return n;
}

struct direct_port *direct_open(const char *path, unsigned nq, bool client, unsigned retries, char *err, size_t len)
{
	struct direct_port *dp;
	unsigned slot = DIRECT_MAX_PORTS;
	uint64_t flags = client ? RTE_VHOST_USER_CLIENT : 0;

	for (unsigned i = 0; i < DIRECT_MAX_PORTS; i++)
		if (!dports[i]) {
			slot = i;
			break;
		}
	if (slot == DIRECT_MAX_PORTS || nq == 0 || nq > DIRECT_MAX_QUEUES || strlen(path) >= PATH_MAX) {
		snprintf(err, len, "%s: at most %d ports of %d queue pairs", path, DIRECT_MAX_PORTS, DIRECT_MAX_QUEUES);
		return NULL;
	}
	if (!(dp = calloc(1, sizeof(*dp)))) {
		snprintf(err, len, "%s: out of memory", path);
		return NULL;
	}
	snprintf(dp->path, sizeof(dp->path), "%s", path);
	dp->nq = nq;
	/* As long as the PMD path's retries take, roughly: a microsecond each. */
	dp->wait_tsc = (uint64_t)retries * rte_get_tsc_hz() / 1000000;
	dp->vid = -1;
	dports[slot] = dp;
	if (rte_vhost_driver_register(path, flags) < 0) {
		snprintf(err, len, "%s: cannot register the vhost-user socket", path);
		dports[slot] = NULL;
		free(dp);
		return NULL;
	}
	if (rte_vhost_driver_disable_features(path, REFUSED_FEATURES) < 0 ||
	    rte_vhost_driver_callback_register(path, &ops) < 0 ||
	    rte_vhost_driver_start(path) < 0) {
		snprintf(err, len, "%s: cannot start the vhost-user socket", path);
		rte_vhost_driver_unregister(path);
		dports[slot] = NULL;
		free(dp);
		return NULL;
	}
	return dp;
}

bool direct_link_up(const struct direct_port *dp)
{
	return __atomic_load_n(&dp->dev, __ATOMIC_ACQUIRE) != NULL;
}

int direct_vid(const struct direct_port *dp)
{
	return dp->vid;
}

unsigned direct_connections(const struct direct_port *dp)
{
	return __atomic_load_n(&dp->connections, __ATOMIC_ACQUIRE);
}

void direct_close(struct direct_port *dp)
{
	if (!dp)
		return;
	/* Unregistering a connected socket destroys its device first (destroy_device). */
	rte_vhost_driver_unregister(dp->path);
	for (unsigned i = 0; i < DIRECT_MAX_PORTS; i++)
		if (dports[i] == dp)
			dports[i] = NULL;
	free(dp);
}
