/* SPDX-License-Identifier: BSD-3-Clause */
/* The direct path's ring work (reflector/vring.c) against rings laid out by hand in
 * guest memory with guard pages: frames go through byte for byte, and every way a
 * hostile guest can lay out descriptors — lengths that wrap 32 bits, frames larger
 * than any port delivers, indirect tables larger than the ring, loops, pieces beyond
 * the arrays, bad RX buffers, rings outside the memory table — is dropped and
 * counted once, with every write inside a buffer the guest offered (gm_check). */
#include <errno.h>

#include "tests/fuzz/guestmem.h"
#include "unit.h"
#include "reflector/vring.h"

#define RINGS_GPA 0x10000ULL     /* region 0: the rings */
#define BUFS_GPA 0x100000ULL     /* region 1: buffers, 4 KiB slots */
#define BUFS_SIZE (2u << 20)
#define HDR 12

struct t {
	struct gm g;
	struct vring_dev d;
	struct vring_pair x;
	uint16_t tx_next, rx_next;   /* the next descriptor each side gives out */
	unsigned slot;               /* the next free buffer slot */
};

static struct vring_q ring_at(struct gm *g, uint64_t gpa, uint32_t size)
{
	struct vring_q r = { .size = size };

	r.desc = gm_at(g, gpa, 16ULL * size);
	r.avail = gm_at(g, gpa + 16ULL * size, 4 + 2ULL * size + 2);
	r.used = gm_at(g, gpa + 16ULL * size + 4096, 4 + 8ULL * size + 2);
	return r;
}

/* Two rings of @size entries and 2 MiB of buffers; mergeable RX buffers or not. */
static void setup_t(struct t *t, uint32_t size, bool mrg)
{
	memset(t, 0, sizeof(*t));
	assert_non_null(gm_add(&t->g, RINGS_GPA, 0x40000));
	assert_non_null(gm_add(&t->g, BUFS_GPA, BUFS_SIZE));
	t->d.mem = t->g.m;
	t->d.hdr_len = HDR;
	t->d.mrg = mrg;
	t->x.tx = ring_at(&t->g, RINGS_GPA, size);
	t->x.rx = ring_at(&t->g, RINGS_GPA + 0x20000, size);
	assert_int_equal(vring_check(&t->d.mem, &t->x.tx, true), 0);
	assert_int_equal(vring_check(&t->d.mem, &t->x.rx, true), 0);
}

static uint64_t slot_gpa(struct t *t)
{
	assert_true(t->slot < BUFS_SIZE / 4096);
	return BUFS_GPA + 4096ULL * t->slot++;
}

static void set_desc(struct vring_q *r, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	r->desc[i] = (struct vring_desc){ .addr = addr, .len = len, .flags = flags, .next = next };
}

static void avail_push(struct vring_q *r, uint16_t head)
{
	r->avail->ring[r->avail->idx & (r->size - 1)] = head;
	__atomic_store_n(&r->avail->idx, (uint16_t)(r->avail->idx + 1), __ATOMIC_RELEASE);
}

/* A frame of @len bytes (a counting pattern from @seed, MACs first) behind a zero header
 * in one TX buffer.  Its descriptor. */
static uint16_t tx_frame(struct t *t, uint32_t len, uint8_t seed)
{
	const uint64_t gpa = slot_gpa(t);
	uint8_t *b = gm_at(&t->g, gpa, HDR + len);
	const uint16_t i = t->tx_next++;

	assert_non_null(b);
	memset(b, 0, HDR);
	for (uint32_t k = 0; k < len; k++)
		b[HDR + k] = (uint8_t)(seed + k);
	set_desc(&t->x.tx, i, gpa, HDR + len, 0, 0);
	avail_push(&t->x.tx, i);
	return i;
}

/* An RX buffer of @len bytes.  Its descriptor. */
static uint16_t rx_buf(struct t *t, uint32_t len)
{
	const uint16_t i = t->rx_next++;

	set_desc(&t->x.rx, i, slot_gpa(t), len, VRING_DESC_F_WRITE, 0);
	avail_push(&t->x.rx, i);
	return i;
}

static unsigned poll_t(struct t *t, unsigned burst, enum pkt_mode mode, struct vring_count *c)
{
	memset(c, 0, sizeof(*c));
	return vring_reflect(&t->d, &t->x, burst, burst, mode, c);
}

/* Nothing changed where the guest did not offer a buffer for writing. */
static void assert_writes_inside(struct t *t)
{
	const uint8_t *bad = gm_check(&t->g);

	if (bad)
		fail_msg("a byte changed outside the used rings and the RX buffers (host %p)", (const void *)bad);
}

static void test_frames_through(void **state)
{
	struct t t;
	struct vring_count c;

	(void)state;
	setup_t(&t, 256, false);
	for (int k = 0; k < 3; k++) {
		tx_frame(&t, 64 + 100 * k, (uint8_t)k);
		rx_buf(&t, 2048);
	}
	assert_int_equal(gm_snapshot(&t.g, &t.x.tx, &t.x.rx), 0);
	assert_int_equal(poll_t(&t, 32, PKT_IO, &c), 3);
	assert_writes_inside(&t);
	assert_int_equal(c.rx_packets, 3);
	assert_int_equal(c.tx_packets, 3);
	assert_int_equal(c.bad + c.dropped_full, 0);
	assert_int_equal(t.x.rx.used->idx, 3);
	assert_int_equal(t.x.tx.used->idx, 3);
	for (int k = 0; k < 3; k++) {
		const uint8_t *in = gm_at(&t.g, t.x.tx.desc[k].addr, 1), *out = gm_at(&t.g, t.x.rx.desc[k].addr, 1);
		assert_int_equal(t.x.rx.used->ring[k].len, HDR + 64 + 100 * k);
		assert_memory_equal(in, out, HDR + 64 + 100 * k);
	}
	gm_free(&t.g);
}

/* Item 1 of the review: lengths that add up to 2^32 + n looked like a short frame, and
 * the copy then ran past the RX buffers.  Summed in 64 bits, refused. */
static void test_length_sum_wraps(void **state)
{
	struct t t;
	struct vring_count c;
	const uint64_t big = (64ULL << 20) + 1, table = BUFS_GPA + BUFS_SIZE;
	struct vring_desc *ind;

	(void)state;
	setup_t(&t, 256, true);
	/* 64 MiB + 1 of ordinary guest memory, and an indirect table of 64 entries over it:
	 * 64 x (64 MiB + 1) = 2^32 + 64. */
	assert_non_null(gm_add(&t.g, 0x40000000ULL, big));
	assert_non_null(gm_add(&t.g, table, 4096));
	t.d.mem = t.g.m;
	ind = gm_at(&t.g, table, 64 * sizeof(*ind));
	for (uint16_t k = 0; k < 64; k++)
		ind[k] = (struct vring_desc){ .addr = 0x40000000ULL, .len = (uint32_t)big,
					      .flags = k < 63 ? VRING_DESC_F_NEXT : 0, .next = (uint16_t)(k + 1) };
	set_desc(&t.x.tx, 0, table, 64 * sizeof(*ind), VRING_DESC_F_INDIRECT, 0);
	avail_push(&t.x.tx, 0);
	/* And a plain chain of two: 0xfffffff0 + 0x20 wraps to 16. */
	set_desc(&t.x.tx, 1, 0x40000000ULL, 0xfffffff0u, VRING_DESC_F_NEXT, 2);
	set_desc(&t.x.tx, 2, 0x40000000ULL, 0x20, 0, 0);
	avail_push(&t.x.tx, 1);
	for (int k = 0; k < 4; k++)
		rx_buf(&t, 1024);
	assert_int_equal(gm_snapshot(&t.g, &t.x.tx, &t.x.rx), 0);
	assert_int_equal(poll_t(&t, 32, PKT_IO, &c), 2);
	assert_writes_inside(&t);
	assert_int_equal(c.bad, 2);
	assert_int_equal(c.rx_packets + c.tx_packets + c.dropped_full, 0);
	/* The TX entries go back used; no RX buffer was touched. */
	assert_int_equal(t.x.tx.used->idx, 2);
	assert_int_equal(t.x.rx.used->idx, 0);
	gm_free(&t.g);
}

/* A frame larger than VRING_FRAME_MAX is dropped on either path (one buffer, or a
 * chain), however large the RX buffer offered. */
static void test_frame_over_limit(void **state)
{
	struct t t;
	struct vring_count c;

	(void)state;
	setup_t(&t, 256, false);
	/* One buffer: the batch path. */
	set_desc(&t.x.tx, 0, BUFS_GPA, HDR + VRING_FRAME_MAX + 1, 0, 0);
	avail_push(&t.x.tx, 0);
	/* A chain: the general path. */
	set_desc(&t.x.tx, 1, BUFS_GPA, HDR + VRING_FRAME_MAX, VRING_DESC_F_NEXT, 2);
	set_desc(&t.x.tx, 2, BUFS_GPA, 1, 0, 0);
	avail_push(&t.x.tx, 1);
	set_desc(&t.x.rx, 0, BUFS_GPA + (1u << 20), 1u << 20, VRING_DESC_F_WRITE, 0);
	avail_push(&t.x.rx, 0);
	assert_int_equal(gm_snapshot(&t.g, &t.x.tx, &t.x.rx), 0);
	assert_int_equal(poll_t(&t, 32, PKT_IO, &c), 2);
	assert_writes_inside(&t);
	assert_int_equal(c.bad, 2);
	assert_int_equal(c.tx_packets, 0);
	/* The largest frame that may go, goes. */
	set_desc(&t.x.tx, 3, BUFS_GPA, HDR + VRING_FRAME_MAX, 0, 0);
	avail_push(&t.x.tx, 3);
	assert_int_equal(poll_t(&t, 32, PKT_IO, &c), 1);
	assert_int_equal(c.tx_packets, 1);
	assert_int_equal(t.x.rx.used->ring[0].len, HDR + VRING_FRAME_MAX);
	gm_free(&t.g);
}

/* Item 5: an indirect table is at most as long as the ring (a 4 GiB sparse one stalled
 * every queue of the worker for seconds); a chain follows at most VRING_MAX_PIECES
 * descriptors, zero-length ones included, and never loops. */
static void test_unbounded_work_refused(void **state)
{
	struct t t;
	struct vring_count c;
	struct vring_desc *ind;

	(void)state;
	setup_t(&t, 1024, false);
	/* 1025 entries for a ring of 1024 (the first a whole frame); and the largest
	 * length a descriptor can say. */
	ind = gm_at(&t.g, BUFS_GPA + 0x10000, 1025 * sizeof(*ind));
	ind[0] = (struct vring_desc){ .addr = BUFS_GPA, .len = HDR + 64 };
	set_desc(&t.x.tx, 0, BUFS_GPA + 0x10000, 1025 * 16, VRING_DESC_F_INDIRECT, 0);
	set_desc(&t.x.tx, 1, BUFS_GPA, 0xfffffff0u, VRING_DESC_F_INDIRECT, 0);
	/* 300 zero-length descriptors, then the frame: more than VRING_MAX_PIECES. */
	ind = gm_at(&t.g, BUFS_GPA + 0x20000, 1024 * sizeof(*ind));
	for (uint16_t k = 0; k < 300; k++)
		ind[k] = (struct vring_desc){ .addr = BUFS_GPA, .len = 0, .flags = VRING_DESC_F_NEXT, .next = k + 1 };
	ind[300] = (struct vring_desc){ .addr = BUFS_GPA, .len = HDR + 64 };
	set_desc(&t.x.tx, 2, BUFS_GPA + 0x20000, 1024 * 16, VRING_DESC_F_INDIRECT, 0);
	/* Zero-length descriptors in a circle; a descriptor that points to itself. */
	ind = gm_at(&t.g, BUFS_GPA + 0x30000, 1024 * sizeof(*ind));
	for (uint16_t k = 0; k < 1024; k++)
		ind[k] = (struct vring_desc){ .addr = BUFS_GPA, .len = 0, .flags = VRING_DESC_F_NEXT,
					      .next = (uint16_t)((k + 1) % 1024) };
	set_desc(&t.x.tx, 3, BUFS_GPA + 0x30000, 1024 * 16, VRING_DESC_F_INDIRECT, 0);
	set_desc(&t.x.tx, 4, BUFS_GPA, 64, VRING_DESC_F_NEXT, 4);
	for (uint16_t k = 0; k < 5; k++)
		avail_push(&t.x.tx, k);
	rx_buf(&t, 2048);
	assert_int_equal(gm_snapshot(&t.g, &t.x.tx, &t.x.rx), 0);
	assert_int_equal(poll_t(&t, 32, PKT_IO, &c), 5);
	assert_writes_inside(&t);
	assert_int_equal(c.bad, 5);
	assert_int_equal(c.tx_packets, 0);
	gm_free(&t.g);
}

/* A frame over more RX buffers than 32 (the old limit) is delivered with mergeable
 * buffers, each used entry full but the last, num_buffers in the header. */
static void test_mergeable_many_buffers(void **state)
{
	struct t t;
	struct vring_count c;
	const uint32_t flen = 9000, piece = 256, nbuf = (HDR + flen + piece - 1) / piece;
	uint8_t out[HDR + 9000];
	uint32_t got = 0;

	(void)state;
	setup_t(&t, 1024, true);
	/* A 9000-byte frame in a chain of three TX descriptors. */
	uint64_t gpa = slot_gpa(&t);
	slot_gpa(&t);
	slot_gpa(&t);
	uint8_t *b = gm_at(&t.g, gpa, HDR + flen);
	memset(b, 0, HDR);
	for (uint32_t k = 0; k < flen; k++)
		b[HDR + k] = (uint8_t)(k * 7);
	set_desc(&t.x.tx, 0, gpa, HDR, VRING_DESC_F_NEXT, 1);
	set_desc(&t.x.tx, 1, gpa + HDR, 5000, VRING_DESC_F_NEXT, 2);
	set_desc(&t.x.tx, 2, gpa + HDR + 5000, flen - 5000, 0, 0);
	avail_push(&t.x.tx, 0);
	for (uint32_t k = 0; k < nbuf; k++)
		rx_buf(&t, piece);
	assert_true(nbuf > 32);
	assert_int_equal(gm_snapshot(&t.g, &t.x.tx, &t.x.rx), 0);
	assert_int_equal(poll_t(&t, 32, PKT_IO, &c), 1);
	assert_writes_inside(&t);
	assert_int_equal(c.tx_packets, 1);
	assert_int_equal(c.bad + c.dropped_full, 0);
	assert_int_equal(t.x.rx.used->idx, nbuf);
	for (uint32_t k = 0; k < nbuf; k++) {
		const uint32_t len = t.x.rx.used->ring[k].len;
		assert_int_equal(len, k + 1 < nbuf ? piece : HDR + flen - piece * (nbuf - 1));
		memcpy(out + got, gm_at(&t.g, t.x.rx.desc[t.x.rx.used->ring[k].id].addr, len), len);
		got += len;
	}
	assert_int_equal(out[10] | out[11] << 8, nbuf);
	assert_memory_equal(out + HDR, b + HDR, flen);
	/* More buffers than VRING_MAX_PIECES (600 of 16 bytes, enough room in all): the
	 * frame is dropped, not delivered cut, and no buffer is taken. */
	tx_frame(&t, 9000, 1);
	const uint64_t small = slot_gpa(&t);
	for (uint32_t k = 0; k < 3; k++)
		slot_gpa(&t);
	for (uint32_t k = 0; k < 600; k++) {
		set_desc(&t.x.rx, t.rx_next, small + 16 * k, 16, VRING_DESC_F_WRITE, 0);
		avail_push(&t.x.rx, t.rx_next++);
	}
	assert_int_equal(poll_t(&t, 32, PKT_IO, &c), 1);
	assert_int_equal(c.dropped_full, 1);
	assert_int_equal(t.x.rx.used->idx, nbuf);
	gm_free(&t.g);
}

/* A bad RX buffer drops the frame once (counted bad, not also "full"), goes back to the
 * guest empty, and the next frame takes the next buffer: the ring does not jam. */
static void test_bad_rx_buffer_counted_once(void **state)
{
	struct t t;
	struct vring_count c;

	(void)state;
	setup_t(&t, 256, true);
	tx_frame(&t, 64, 1);
	/* Read-only: the wrong direction for an RX buffer; and the frame needs a chain to
	 * take the general path (3 descriptors). */
	t.x.tx.desc[0].flags = VRING_DESC_F_NEXT;
	t.x.tx.desc[0].len = HDR;
	set_desc(&t.x.tx, 10, t.x.tx.desc[0].addr + HDR, 64, 0, 0);
	t.x.tx.desc[0].next = 10;
	set_desc(&t.x.rx, 0, slot_gpa(&t), 2048, 0, 0);
	avail_push(&t.x.rx, 0);
	t.rx_next = 1;
	tx_frame(&t, 64, 2);
	rx_buf(&t, 2048);
	assert_int_equal(gm_snapshot(&t.g, &t.x.tx, &t.x.rx), 0);
	assert_int_equal(poll_t(&t, 32, PKT_IO, &c), 2);
	assert_writes_inside(&t);
	assert_int_equal(c.rx_packets, 2);
	assert_int_equal(c.bad, 1);
	assert_int_equal(c.dropped_full, 0);
	assert_int_equal(c.tx_packets, 1);
	assert_int_equal(t.x.rx.used->idx, 2);
	assert_int_equal(t.x.rx.used->ring[0].id, 0);
	assert_int_equal(t.x.rx.used->ring[0].len, 0);
	assert_int_equal(t.x.rx.used->ring[1].len, HDR + 64);
	gm_free(&t.g);
}

/* Addresses outside guest memory, between regions and past the last one, on either
 * side; a descriptor index beyond the ring; a head beyond it in the RX ring. */
static void test_addresses_outside(void **state)
{
	struct t t;
	struct vring_count c;

	(void)state;
	setup_t(&t, 256, false);
	set_desc(&t.x.tx, 0, 0x90000, 64, 0, 0);                      /* in the hole between regions */
	set_desc(&t.x.tx, 1, BUFS_GPA + BUFS_SIZE - 32, HDR + 64, 0, 0); /* runs off the end */
	set_desc(&t.x.tx, 2, BUFS_GPA, HDR + 64, VRING_DESC_F_NEXT, 999); /* next beyond the ring */
	for (uint16_t k = 0; k < 3; k++)
		avail_push(&t.x.tx, k);
	t.x.tx.avail->ring[3] = 4000;                                     /* a head beyond the ring */
	t.x.tx.avail->idx = 4;
	rx_buf(&t, 2048);
	assert_int_equal(gm_snapshot(&t.g, &t.x.tx, &t.x.rx), 0);
	assert_int_equal(poll_t(&t, 32, PKT_IO, &c), 4);
	assert_writes_inside(&t);
	assert_int_equal(c.bad, 4);
	/* An RX buffer that runs off the end of guest memory. */
	tx_frame(&t, 64, 1);
	set_desc(&t.x.rx, 1, BUFS_GPA + BUFS_SIZE - 16, 2048, VRING_DESC_F_WRITE, 0);
	t.x.rx.avail->ring[0] = 1;
	assert_int_equal(gm_snapshot(&t.g, &t.x.tx, &t.x.rx), 0);
	assert_int_equal(poll_t(&t, 32, PKT_IO, &c), 1);
	assert_writes_inside(&t);
	assert_int_equal(c.bad, 1);
	assert_int_equal(c.tx_packets, 0);
	gm_free(&t.g);
}

/* One poll copies about VRING_POLL_BUDGET bytes at most, however large the burst: the
 * rest of a guest's 64 KiB frames wait for the next poll (another queue of the same
 * worker is served in between). */
static void test_poll_budget(void **state)
{
	struct t t;
	struct vring_count c;
	unsigned first, total = 0;

	(void)state;
	setup_t(&t, 256, false);
	for (int k = 0; k < 30; k++) {
		set_desc(&t.x.tx, (uint16_t)k, BUFS_GPA, HDR + VRING_FRAME_MAX, 0, 0);
		avail_push(&t.x.tx, (uint16_t)k);
		set_desc(&t.x.rx, (uint16_t)k, BUFS_GPA + (1u << 20), 1u << 20, VRING_DESC_F_WRITE, 0);
		avail_push(&t.x.rx, (uint16_t)k);
	}
	first = poll_t(&t, 512, PKT_IO, &c);
	assert_true(first >= 1);
	assert_true((uint64_t)first * VRING_FRAME_MAX <= VRING_POLL_BUDGET + VRING_FRAME_MAX);
	assert_true(first < 30);
	for (total = first; total < 30;) {
		unsigned n = poll_t(&t, 512, PKT_IO, &c);
		assert_true(n >= 1);
		total += n;
	}
	assert_int_equal(t.x.rx.used->idx, 30);
	gm_free(&t.g);
}

/* Item 2: a ring is used only inside one region of the memory table, at the size in
 * force; sizes and alignments virtio forbids are refused. */
static void test_ring_check(void **state)
{
	struct gm g = { 0 };
	uint8_t *r0 = gm_add(&g, 0x10000, 0x10000);
	struct vring_q r;

	(void)state;
	assert_non_null(r0);
	assert_non_null(gm_add(&g, 0x20000, 0x10000)); /* the next region, right after in guest memory */
	r = (struct vring_q){ .size = 256, .desc = (void *)r0, .avail = (void *)(r0 + 4096),
			      .used = (void *)(r0 + 8192) };
	assert_int_equal(vring_check(&g.m, &r, true), 0);
	/* The same ring grown to 1024 (SET_VRING_NUM after SET_VRING_ADDR): its
	 * descriptors would reach past the avail ring, its used ring past the region. */
	r.size = 1024;
	r.used = (void *)(r0 + 0x10000 - 4 - 8 * 1024);
	assert_int_equal(vring_check(&g.m, &r, false), 0);
	assert_int_equal(vring_check(&g.m, &r, true), -EFAULT); /* avail_event is 2 bytes more */
	r.size = 4096;
	assert_int_equal(vring_check(&g.m, &r, false), -EFAULT);
	/* A used ring crossing into the next region (adjacent in guest memory, not here). */
	r.size = 256;
	r.used = (void *)(r0 + 0x10000 - 1024);
	assert_int_equal(vring_check(&g.m, &r, false), -EFAULT);
	/* Outside every region; NULL. */
	r.used = (void *)((uintptr_t)0x1000);
	assert_int_equal(vring_check(&g.m, &r, false), -EFAULT);
	r.used = NULL;
	assert_int_equal(vring_check(&g.m, &r, false), -EFAULT);
	r.used = (void *)(r0 + 8192);
	/* Sizes: not a power of two, zero, beyond 32768. */
	r.size = 100;
	assert_int_equal(vring_check(&g.m, &r, false), -EINVAL);
	r.size = 0;
	assert_int_equal(vring_check(&g.m, &r, false), -EINVAL);
	r.size = 65536;
	assert_int_equal(vring_check(&g.m, &r, false), -EINVAL);
	/* Alignments: descriptors 16, avail 2, used 4. */
	r.size = 256;
	r.desc = (void *)(r0 + 8);
	assert_int_equal(vring_check(&g.m, &r, false), -EINVAL);
	r.desc = (void *)r0;
	r.used = (void *)(r0 + 8194);
	assert_int_equal(vring_check(&g.m, &r, false), -EINVAL);
	gm_free(&g);
}

/* A guest that claims more avail entries than its ring holds gets nothing taken; an
 * RX avail index that runs ahead the same: frames wait or drop, nothing is written. */
static void test_lying_indexes(void **state)
{
	struct t t;
	struct vring_count c;

	(void)state;
	setup_t(&t, 256, false);
	tx_frame(&t, 64, 1);
	t.x.tx.avail->idx = 1000;
	rx_buf(&t, 2048);
	assert_int_equal(gm_snapshot(&t.g, &t.x.tx, &t.x.rx), 0);
	assert_int_equal(poll_t(&t, 32, PKT_IO, &c), 0);
	assert_writes_inside(&t);
	assert_int_equal(t.x.tx.used->idx, 0);
	t.x.tx.avail->idx = 1;
	t.x.rx.avail->idx = 60000;
	assert_int_equal(gm_snapshot(&t.g, &t.x.tx, &t.x.rx), 0);
	assert_int_equal(poll_t(&t, 32, PKT_IO, &c), 1);
	assert_int_equal(c.dropped_full, 1);
	assert_writes_inside(&t);
	assert_int_equal(t.x.rx.used->idx, 0);
	gm_free(&t.g);
}

/* --police: frames beyond @pass are taken and counted, not sent. */
static void test_policed(void **state)
{
	struct t t;
	struct vring_count c = { 0 };

	(void)state;
	setup_t(&t, 256, false);
	for (int k = 0; k < 5; k++) {
		tx_frame(&t, 64, (uint8_t)k);
		rx_buf(&t, 2048);
	}
	assert_int_equal(vring_reflect(&t.d, &t.x, 32, 2, PKT_MACSWAP, &c), 5);
	assert_int_equal(c.tx_packets, 2);
	assert_int_equal(c.policed, 3);
	assert_int_equal(c.results[PKT_SWAPPED], 2);
	gm_free(&t.g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frames_through),
		cmocka_unit_test(test_length_sum_wraps),
		cmocka_unit_test(test_frame_over_limit),
		cmocka_unit_test(test_unbounded_work_refused),
		cmocka_unit_test(test_mergeable_many_buffers),
		cmocka_unit_test(test_bad_rx_buffer_counted_once),
		cmocka_unit_test(test_addresses_outside),
		cmocka_unit_test(test_poll_budget),
		cmocka_unit_test(test_ring_check),
		cmocka_unit_test(test_lying_indexes),
		cmocka_unit_test(test_policed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
