/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdalign.h>
#include <string.h>

#include "reflector/vring.h"

/* The first bytes of a frame are rewritten in a local copy on their way: pkt_swap
 * reaches at most 86 bytes (two VLAN tags, IPv4 with options, the L4 ports). */
#define HEAD 128
#define BATCH 64           /* frames reflect_batch takes in one go */
#define DESC_COST 64       /* what following one descriptor costs, in bytes of the poll's budget */
/* A frame up to this size in one buffer costs the batch path nothing of the budget: a
 * burst of them (at most 512) copies about VRING_POLL_BUDGET at most anyway. */
#define SMALL (VRING_POLL_BUDGET / 512)
#define NUM_BUFFERS 10     /* offsetof(struct virtio_net_hdr_mrg_rxbuf, num_buffers) */

_Static_assert(sizeof(struct vring_desc) == 16, "a split ring's descriptor is 16 bytes");
_Static_assert(VRING_MAX_SIZE <= 65536, "ring positions are 16 bits");

/* A piece of a frame in this process's memory. */
struct seg {
	uint8_t *p;
	uint32_t len;
};

/* A descriptor chain as chain() found it. */
struct chain {
	struct seg *s;                /* its pieces, at most @max */
	unsigned max, n;
	uint64_t total;               /* bytes of the pieces */
	unsigned descs;               /* descriptors followed */
};

/* The guest may change its rings while we read them: a descriptor or an entry is
 * read once, with single loads the compiler may not repeat, and only the copy is used.
 * A descriptor in two loads: its address, then length, flags and next together. */
static inline void read_desc(const struct vring_desc *p, struct vring_desc *e)
{
	const uint64_t *w = (const uint64_t *)p;
	uint64_t rest;

	e->addr = __atomic_load_n(&w[0], __ATOMIC_RELAXED);
	rest = __atomic_load_n(&w[1], __ATOMIC_RELAXED);
	memcpy(&e->len, &rest, sizeof(rest));
}

static inline uint16_t avail_entry(const struct vring_q *vr, uint16_t idx)
{
	return __atomic_load_n(&vr->avail->ring[idx & (vr->size - 1)], __ATOMIC_RELAXED);
}

static inline uint64_t now_tsc(void)
{
	return __builtin_ia32_rdtsc();
}

/* Does [p, p + len) lie inside one region of @m? */
static bool inside(const struct vring_mem *m, const void *p, uint64_t len)
{
	const uintptr_t a = (uintptr_t)p;

	for (uint32_t i = 0; i < m->n; i++) {
		const uintptr_t base = (uintptr_t)m->r[i].hva;
		if (a >= base && a - base <= m->r[i].size && len <= m->r[i].size - (a - base))
			return true;
	}
	return false;
}

int vring_check(const struct vring_mem *m, const struct vring_q *vr, bool event_idx)
{
	const uint64_t n = vr->size, ev = event_idx ? sizeof(uint16_t) : 0;

	if (n == 0 || n > VRING_MAX_SIZE || (n & (n - 1)))
		return -EINVAL;
	if (!vr->desc || !vr->avail || !vr->used)
		return -EFAULT;
	/* Virtio's alignments: descriptors 16, avail ring 2, used ring 4. */
	if ((uintptr_t)vr->desc % 16 || (uintptr_t)vr->avail % 2 || (uintptr_t)vr->used % 4)
		return -EINVAL;
	if (!inside(m, vr->desc, n * sizeof(struct vring_desc)) ||
	    !inside(m, vr->avail, offsetof(struct vring_avail, ring) + n * sizeof(uint16_t) + ev) ||
	    !inside(m, vr->used, offsetof(struct vring_used, ring) + n * sizeof(struct vring_used_elem) + ev))
		return -EFAULT;
	return 0;
}

/* The pieces of descriptor chain @head of @vr into @ch, guest addresses translated (a
 * piece that crosses a region is split).  A TX chain (@write false) is taken whole and
 * may hold at most @want bytes; an RX chain (@write true) is followed until it covers
 * @want bytes, the rest left alone.  -1 for a chain we cannot follow: an index out of
 * range, a loop or more than VRING_MAX_PIECES descriptors, a direction that is wrong,
 * an address outside guest memory, an indirect table that is empty, ragged, misaligned,
 * larger than the ring or not in one region, more pieces than @ch holds. */
static int chain(const struct vring_mem *m, const struct vring_q *vr, uint16_t head, bool write, uint64_t want,
		 struct chain *ch)
{
	const struct vring_desc *tab = vr->desc;
	uint32_t tsize = vr->size, i = head;
	struct vring_desc e;
	uint64_t sum = 0;
	unsigned k = 0, hops;

	if (head >= vr->size)
		return -1;
	read_desc(&tab[i], &e);
	if (e.flags & VRING_DESC_F_INDIRECT) {
		uint64_t len = e.len;
		/* As DPDK's library: no more entries than the ring has. */
		if (e.len == 0 || e.len % sizeof(*tab) || e.len / sizeof(*tab) > vr->size)
			return -1;
		tab = vring_translate(m, e.addr, &len);
		if (!tab || len != e.len || (uintptr_t)tab % alignof(struct vring_desc))
			return -1;
		tsize = e.len / sizeof(*tab);
		i = 0;
	}
	for (hops = 0;; hops++) {
		uint64_t gpa, left;
		if (i >= tsize || hops >= tsize || hops >= VRING_MAX_PIECES)
			return -1;
		read_desc(&tab[i], &e);
		if (!!(e.flags & VRING_DESC_F_WRITE) != write || (e.flags & VRING_DESC_F_INDIRECT))
			return -1;
		left = e.len;
		if (left > want - sum) {
			if (!write)
				return -1; /* longer than any frame */
			left = want - sum;
		}
		sum += left;
		for (gpa = e.addr; left;) {
			uint64_t len = left;
			uint8_t *p = vring_translate(m, gpa, &len);
			if (!p || k == ch->max)
				return -1;
			ch->s[k].p = p;
			ch->s[k++].len = (uint32_t)len;
			gpa += len;
			left -= len;
		}
		if ((write && sum == want) || !(e.flags & VRING_DESC_F_NEXT))
			break;
		i = e.next;
	}
	ch->n = k;
	ch->total = sum;
	ch->descs = hops + 1;
	return 0;
}

/* Writes a frame into the pieces of RX buffers, never past the last piece. */
struct writer {
	const struct seg *dst;
	unsigned n, k;
	uint32_t off;
};

static void put_bytes(struct writer *w, const uint8_t *src, uint32_t len)
{
	while (len && w->k < w->n) {
		const struct seg *d = &w->dst[w->k];
		uint32_t n = d->len - w->off;
		if (n > len)
			n = len;
		memcpy(d->p + w->off, src, n);
		src += n;
		len -= n;
		w->off += n;
		if (w->off == d->len) {
			w->k++;
			w->off = 0;
		}
	}
}

static inline void used_put(struct vring_q *vr, uint16_t id, uint32_t len)
{
	struct vring_used_elem *u = &vr->used->ring[vr->last_used++ & (vr->size - 1)];

	u->id = id;
	u->len = len;
}

/* The frame's first @hl bytes (at most HEAD) from its pieces into @out. */
static void get_head(const struct seg *src, unsigned nsrc, uint32_t hl, uint8_t *out)
{
	for (unsigned i = 0, got = 0; got < hl && i < nsrc; i++) {
		uint32_t n = src[i].len < hl - got ? src[i].len : hl - got;
		memcpy(out + got, src[i].p, n);
		got += n;
	}
}

/* Rewrite the frame's first bytes (@head, @hl of a frame of @flen) as @mode says. */
static inline enum pkt_result rewrite(uint8_t *head, uint32_t flen, enum pkt_mode mode)
{
	if (flen < 14)
		return PKT_SHORT;
	if (mode == PKT_MACSWAP) {
		pkt_macswap(head);
		return PKT_SWAPPED;
	}
	return pkt_swap(head, flen, mode);
}

/* One frame (the pieces @src after the virtio-net header, @flen bytes) into the RX
 * ring: buffers taken up to @rx_end (the guest's avail index), the header written,
 * the first bytes rewritten by @mode, the rest copied as they are.  0; -ENOBUFS when
 * the ring has no room for it (nothing of the ring consumed); -EINVAL when an RX
 * buffer is one we cannot follow (it and those the frame took before it go back to
 * the guest empty, so a bad buffer cannot jam the ring). */
static int put_frame(const struct vring_dev *d, struct vring_pair *x, uint16_t rx_end, const struct seg *src,
		     unsigned nsrc, uint32_t flen, enum pkt_mode mode, struct vring_count *c)
{
	struct seg dst[VRING_MAX_PIECES];
	uint16_t bhead[VRING_MAX_PIECES];
	uint32_t bcap[VRING_MAX_PIECES];
	uint8_t head[VRING_HDR_MAX + HEAD];
	const uint32_t need = d->hdr_len + flen, hl = flen < HEAD ? flen : HEAD;
	uint32_t cap = 0, skip = hl, left;
	unsigned nd = 0, nb = 0;
	uint16_t next = x->rx.last_avail;
	struct writer w;

	while (cap < need) {
		struct chain ch = { .s = dst + nd, .max = VRING_MAX_PIECES - nd };
		/* Without mergeable buffers one buffer holds the frame, or it does not go. */
		if (next == rx_end || nb == VRING_MAX_PIECES || (nb == 1 && !d->mrg))
			return -ENOBUFS;
		bhead[nb] = avail_entry(&x->rx, next++);
		if (chain(&d->mem, &x->rx, bhead[nb], true, need - cap, &ch) < 0) {
			for (unsigned b = 0; b <= nb; b++)
				used_put(&x->rx, bhead[b], 0);
			x->rx.last_avail = next;
			return -EINVAL;
		}
		nd += ch.n;
		bcap[nb++] = (uint32_t)ch.total;
		cap += (uint32_t)ch.total;
	}
	/* The header, then the frame's first bytes, rewritten here. */
	memset(head, 0, d->hdr_len);
	if (d->mrg) {
		head[NUM_BUFFERS] = (uint8_t)nb; /* little endian */
		head[NUM_BUFFERS + 1] = (uint8_t)(nb >> 8);
	}
	get_head(src, nsrc, hl, head + d->hdr_len);
	c->results[rewrite(head + d->hdr_len, flen, mode)]++;
	w = (struct writer){ .dst = dst, .n = nd };
	put_bytes(&w, head, d->hdr_len + hl);
	/* The rest straight from the guest's TX buffer. */
	for (unsigned i = 0; i < nsrc; i++) {
		if (skip >= src[i].len) {
			skip -= src[i].len;
			continue;
		}
		put_bytes(&w, src[i].p + skip, src[i].len - skip);
		skip = 0;
	}
	/* Each buffer full but the last. */
	left = need;
	for (unsigned b = 0; b < nb; b++) {
		uint32_t len = bcap[b] < left ? bcap[b] : left;
		used_put(&x->rx, bhead[b], len);
		left -= len;
	}
	x->rx.last_avail = next;
	c->tx_packets++;
	c->tx_bytes += flen;
	return 0;
}

/* The virtio-net header of a frame in one buffer: all zero; num_buffers 1 with
 * mergeable RX buffers. */
static const uint8_t hdr_zero[VRING_HDR_MAX], hdr_one[VRING_HDR_MAX] = { [NUM_BUFFERS] = 1 };

/* reflect_batch swaps MAC addresses in two integer loads: bytes in memory order. */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the MAC swap in reflect_batch assumes little endian");

/* A descriptor that is a whole buffer in one memory region (no chain, no indirect
 * table, the right direction): its host address and length in *@len, else NULL. */
static inline uint8_t *one_buffer(const struct vring_mem *m, const struct vring_desc *e, bool write, uint32_t *len)
{
	uint64_t l = e->len;
	uint8_t *p;

	if ((e->flags & (VRING_DESC_F_NEXT | VRING_DESC_F_INDIRECT)) || !!(e->flags & VRING_DESC_F_WRITE) != write)
		return NULL;
	p = vring_translate(m, e->addr, &l);
	if (!p || l != e->len)
		return NULL;
	*len = e->len;
	return p;
}

/* The leading frames of a poll that are one buffer on each side — what virtio_user,
 * DPDK's virtio PMD and Linux's virtio-net use for frames that fit — taken in phases,
 * so that a burst's cache misses overlap instead of following one another: the ring
 * heads (descriptors prefetched), the descriptors (buffers prefetched), the copies,
 * the used entries.  At most @n frames (the caller's burst, after the policer) and
 * what is left of the poll's budget (*@spent); the batch ends at the first frame that
 * is not that simple or has no RX buffer, and the general path takes the rest (in
 * order).  The frames taken. */
static unsigned reflect_batch(const struct vring_dev *d, struct vring_pair *x, unsigned n, uint16_t rx_end,
			      enum pkt_mode mode, uint32_t *spent, struct vring_count *c)
{
	const uint32_t hdr = d->hdr_len;
	const unsigned room = (uint16_t)(rx_end - x->rx.last_avail);
	/* In locals: the stores into guest memory below could alias them, for all the compiler knows. */
	const uint16_t tmask = (uint16_t)(x->tx.size - 1), rmask = (uint16_t)(x->rx.size - 1);
	const uint16_t tl = x->tx.last_avail, rl = x->rx.last_avail;
	uint16_t txh[BATCH], rxh[BATCH];
	uint8_t *src[BATCH], *dst[BATCH];
	uint32_t len[BATCH], cap, budget = *spent;
	unsigned k, m;
	uint64_t bytes = 0;

	if (n > BATCH)
		n = BATCH;
	if (n > room)
		n = room; /* the general path drops and counts what finds no buffer */
	for (k = 0; k < n; k++) {
		txh[k] = __atomic_load_n(&x->tx.avail->ring[(uint16_t)(tl + k) & tmask], __ATOMIC_RELAXED);
		rxh[k] = __atomic_load_n(&x->rx.avail->ring[(uint16_t)(rl + k) & rmask], __ATOMIC_RELAXED);
		if (txh[k] >= x->tx.size || rxh[k] >= x->rx.size)
			break;
		__builtin_prefetch(&x->tx.desc[txh[k]]);
		__builtin_prefetch(&x->rx.desc[rxh[k]]);
	}
	if (k == 0)
		return 0;
	n = k;
	for (k = 0; k < n; k++) {
		struct vring_desc t;
		read_desc(&x->tx.desc[txh[k]], &t);
		if (!(src[k] = one_buffer(&d->mem, &t, false, &len[k])) || len[k] < hdr)
			break;
		/* A large frame: at most VRING_FRAME_MAX, and within the poll's budget (the
		 * first frame always goes). */
		if (__builtin_expect(len[k] > SMALL, 0)) {
			if (len[k] - hdr > VRING_FRAME_MAX || (k && budget + len[k] > VRING_POLL_BUDGET))
				break;
			budget += len[k];
		}
		__builtin_prefetch(src[k]);
		__builtin_prefetch(src[k] + 64);
	}
	n = k;
	for (m = 0; m < n; m++) {
		struct vring_desc r;
		read_desc(&x->rx.desc[rxh[m]], &r);
		if (!(dst[m] = one_buffer(&d->mem, &r, true, &cap)) || cap < len[m])
			break;
		__builtin_prefetch(dst[m], 1);
		__builtin_prefetch(dst[m] + 64, 1);
	}
	for (k = 0; k < m; k++) {
		uint8_t head[VRING_HDR_MAX + HEAD];
		const uint32_t flen = len[k] - hdr, hl = flen < HEAD ? flen : HEAD;

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
			head[NUM_BUFFERS] = 1;
		memcpy(head + hdr, src[k] + hdr, hl);
		c->results[rewrite(head + hdr, flen, mode)]++;
		memcpy(dst[k], head, hdr + hl);
		if (flen > hl)
			memcpy(dst[k] + hdr + hl, src[k] + hdr + hl, flen - hl);
		bytes += flen;
	}
	for (k = 0; k < m; k++) {
		used_put(&x->rx, rxh[k], len[k]);
		used_put(&x->tx, txh[k], 0);
		if (__builtin_expect(len[k] > SMALL, 0))
			*spent += len[k];
	}
	x->tx.last_avail += m;
	x->rx.last_avail += m;
	c->rx_packets += m;
	c->tx_packets += m;
	c->rx_bytes += bytes;
	c->tx_bytes += bytes;
	return m;
}

/* Frame @i of the poll, the general way: its chain followed, then dropped as bad,
 * policed (beyond @pass), or put into the RX ring; its TX entry is used either way. */
static void reflect_one(const struct vring_dev *d, struct vring_pair *x, unsigned i, unsigned pass, uint16_t rx_end,
			enum pkt_mode mode, uint32_t *spent, struct vring_count *c)
{
	const uint16_t head = avail_entry(&x->tx, x->tx.last_avail);
	struct seg src[VRING_MAX_PIECES];
	struct chain ch = { .s = src, .max = VRING_MAX_PIECES };
	unsigned s = 0;
	uint32_t skip = d->hdr_len;
	int r;

	if (chain(&d->mem, &x->tx, head, false, (uint64_t)d->hdr_len + VRING_FRAME_MAX, &ch) < 0 ||
	    ch.total < d->hdr_len) {
		c->bad++;
		*spent += DESC_COST;
		goto used;
	}
	*spent += (uint32_t)ch.total + DESC_COST * ch.descs;
	/* The frame starts after the virtio-net header, in whichever piece. */
	while (s < ch.n && skip >= src[s].len)
		skip -= src[s++].len;
	if (s < ch.n) {
		src[s].p += skip;
		src[s].len -= skip;
	}
	c->rx_packets++;
	c->rx_bytes += ch.total - d->hdr_len;
	if (i >= pass) {
		c->policed++;
	} else if ((r = put_frame(d, x, rx_end, src + s, ch.n - s, (uint32_t)ch.total - d->hdr_len, mode, c)) == 0) {
		x->waiting = 0;
	} else if (r == -EINVAL) {
		c->bad++;
	} else {
		c->dropped_full++;
	}
used:
	used_put(&x->tx, head, 0);
	x->tx.last_avail++;
}

unsigned vring_reflect(const struct vring_dev *d, struct vring_pair *x, unsigned burst, unsigned pass, enum pkt_mode mode,
		       struct vring_count *c)
{
	const uint16_t avail = __atomic_load_n(&x->tx.avail->idx, __ATOMIC_ACQUIRE);
	uint16_t n = (uint16_t)(avail - x->tx.last_avail), rx_end, rx_used0 = x->rx.last_used, i;
	uint32_t spent = 0;

	if (n > x->tx.size)
		n = 0; /* a guest that claims more than its ring holds: nothing is taken */
	if (n > burst)
		n = (uint16_t)burst;
	if (n == 0)
		return 0;
	rx_end = __atomic_load_n(&x->rx.avail->idx, __ATOMIC_ACQUIRE);
	if ((uint16_t)(rx_end - x->rx.last_avail) > x->rx.size)
		rx_end = x->rx.last_avail;
	/* The simple frames in batches; from the first that is not, frame by frame. */
	for (i = 0; i < n && i < pass;) {
		unsigned k = reflect_batch(d, x, (n < pass ? n : pass) - i, rx_end, mode, &spent, c);
		if (k == 0)
			break;
		i = (uint16_t)(i + k);
		x->waiting = 0;
		if (spent >= VRING_POLL_BUDGET)
			break;
	}
	for (; i < n; i++) {
		/* The poll's budget spent: the rest waits for the next poll. */
		if (i && spent >= VRING_POLL_BUDGET)
			break;
		/* No RX buffer: the frame waits in the guest's TX ring a while (as the PMD
		 * path retries a full ring), then it and those after it are dropped. */
		if (i < pass && x->rx.last_avail == rx_end && d->wait_tsc) {
			const uint64_t now = now_tsc();
			if (!x->waiting)
				x->waiting = now;
			if (now - x->waiting < d->wait_tsc)
				break;
		}
		reflect_one(d, x, i, pass, rx_end, mode, &spent, c);
	}
	/* What was taken: the rest waits in the guest's TX ring. */
	if (i) {
		__atomic_store_n(&x->tx.used->idx, x->tx.last_used, __ATOMIC_RELEASE);
		x->notify_tx = true;
	}
	if (x->rx.last_used != rx_used0) {
		__atomic_store_n(&x->rx.used->idx, x->rx.last_used, __ATOMIC_RELEASE);
		x->notify_rx = true;
	}
	return i;
}
