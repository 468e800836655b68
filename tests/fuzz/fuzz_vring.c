/* SPDX-License-Identifier: BSD-3-Clause */
/* The direct path's ring work with a guest of the fuzzer's making: it chooses the
 * memory table (up to three regions: where each lies in guest physical memory, how
 * large), where the six rings lie and how long they are, the positions, the options a
 * connection negotiates, the burst, the policer and the mode — and every byte of guest
 * memory, so every descriptor, length, flag, index and indirect table.  Rings that
 * vring_check refuses are not polled (the direct path refuses them too).  The harness
 * checks that a few polls read and write only guest memory (regions have guard pages;
 * ASan watches the rest) and change only used rings and buffers the guest offered for
 * writing (gm_check). */
#include <stdio.h>

#include "fuzz.h"
#include "guestmem.h"
#include "reflector/vring.h"

struct spec {
	uint8_t nreg;           /* regions: 1 + nreg % 3 */
	uint8_t opts;           /* bit 0 mergeable, 1 a 12-byte header, 2 event idx, 3 a wait for RX buffers */
	uint8_t mode;           /* % 4 */
	uint8_t burst, pass;    /* 1 + burst; pass as it is */
	uint8_t tx_log2, rx_log2; /* ring sizes: 1 << (v % 10), up to 512 */
	uint8_t polls;          /* 1 + polls % 3 */
	uint32_t reg_gpa[3];
	uint8_t reg_pages[3];   /* each 1 + v % 16 pages of 4 KiB */
	uint8_t pad;
	uint32_t ring_gpa[6];   /* TX descriptors, avail, used; RX the same */
	uint16_t last[2];       /* TX and RX positions (avail and used alike) */
} __attribute__((packed));

static struct vring_q ring(struct gm *g, const uint32_t *gpa, uint32_t size, uint16_t last)
{
	return (struct vring_q){
		.desc = gm_at(g, gpa[0], 16ULL * size),
		.avail = gm_at(g, gpa[1], 6 + 2ULL * size),
		.used = gm_at(g, gpa[2], 6 + 8ULL * size),
		.size = size,
		.last_avail = last,
		.last_used = last,
	};
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct spec sp;
	struct gm g = { 0 };
	struct vring_dev d = { 0 };
	struct vring_pair x = { 0 };
	struct vring_count c = { 0 };
	const uint8_t *bad;
	uint32_t gpa[6];

	if (size < sizeof(sp))
		return 0;
	memcpy(&sp, data, sizeof(sp));
	data += sizeof(sp);
	size -= sizeof(sp);
	for (unsigned i = 0; i < 1u + sp.nreg % 3; i++) {
		const uint64_t len = 4096ULL * (1 + sp.reg_pages[i] % 16);
		uint8_t *p = gm_add(&g, sp.reg_gpa[i], len);
		if (!p)
			goto out;
		/* The input fills guest memory, region after region. */
		const size_t n = size < len ? size : len;
		memcpy(p, data, n);
		data += n;
		size -= n;
	}
	d.mem = g.m;
	d.mrg = sp.opts & 1;
	d.hdr_len = d.mrg || (sp.opts & 2) ? 12 : 10;
	d.wait_tsc = sp.opts & 8 ? 1 : 0;
	memcpy(gpa, sp.ring_gpa, sizeof(gpa));
	x.tx = ring(&g, gpa, 1u << (sp.tx_log2 % 10), sp.last[0]);
	x.rx = ring(&g, gpa + 3, 1u << (sp.rx_log2 % 10), sp.last[1]);
	if (vring_check(&d.mem, &x.tx, sp.opts & 4) < 0 || vring_check(&d.mem, &x.rx, sp.opts & 4) < 0)
		goto out;
	if (gm_snapshot(&g, &x.tx, &x.rx) < 0)
		goto out;
	for (unsigned p = 0; p < 1u + sp.polls % 3; p++)
		vring_reflect(&d, &x, 1u + sp.burst, sp.pass, (enum pkt_mode)(sp.mode % 4), &c);
	if ((bad = gm_check(&g))) {
		fprintf(stderr, "fuzz_vring: a poll changed guest memory outside the used rings and RX buffers (host %p)\n",
			(const void *)bad);
		abort();
	}
	/* Taken frames are accounted for: sent, dropped for room, policed, or bad. */
	if (c.tx_packets + c.dropped_full + c.policed > c.rx_packets) {
		fprintf(stderr, "fuzz_vring: more frames out than in\n");
		abort();
	}
out:
	gm_free(&g);
	return 0;
}
