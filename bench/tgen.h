/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The traffic generator's frames and receive-side accounting, without DPDK so
 * that they are unit-tested on their own.
 *
 * A frame is Ethernet + IPv4 + UDP from 198.18.0.0/15 (RFC 2544's test
 * addresses) and a signature in the first 18 payload bytes, which fit a 64-byte
 * frame: magic (2), trial (1), flags (1), stream (2), sequence (4), TSC (8).
 * The reflector may swap MACs, IPs and ports: the signature is found at the same
 * offset whatever it did.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define TG_MAGIC 0x5047          /* "PG" */
#define TG_SIG_OFF 42            /* 14 Ethernet + 20 IPv4 + 8 UDP */
#define TG_MIN_SIZE 64           /* bytes on the wire, FCS included */
#define TG_MAX_SIZE 9000
#define TG_FLAG_MEASURED 1       /* sent inside the measured window */

struct tg_sig {
	uint8_t trial;
	uint8_t flags;
	uint16_t stream;
	uint32_t seq;
	uint64_t tsc;
};

/* Build the headers of a frame of @size bytes on the wire (FCS included, so
 * @size - 4 bytes of data) into @buf: from @src_mac to @dst_mac, UDP from port
 * 1024 + @flow to port 9.  Returns the data length. */
uint32_t tg_build(uint8_t *buf, uint32_t size, const uint8_t src_mac[6], const uint8_t dst_mac[6], uint32_t flow);

/* Stamp the signature into a built frame: fixed offsets, inline (the hot path). */
static inline void tg_stamp(uint8_t *buf, const struct tg_sig *s)
{
	uint8_t *p = buf + TG_SIG_OFF;

	p[0] = TG_MAGIC >> 8;
	p[1] = TG_MAGIC & 0xff;
	p[2] = s->trial;
	p[3] = s->flags;
	memcpy(p + 4, &s->stream, 2);
	memcpy(p + 6, &s->seq, 4);
	memcpy(p + 10, &s->tsc, 8);
}

/* Read the signature of a received frame of @len bytes.  True when it is ours. */
bool tg_read(const uint8_t *buf, uint32_t len, struct tg_sig *s);

/* Latency histogram in nanoseconds: log-linear (64 sub-buckets per power of two,
 * under 1.6% error), 0 ns .. ~68 s. */
#define TG_HIST_SUB 64
#define TG_HIST_BUCKETS (36 * TG_HIST_SUB)
struct tg_hist {
	uint64_t count, sum, min, max;
	uint64_t b[TG_HIST_BUCKETS];
};

void tg_hist_add(struct tg_hist *h, uint64_t ns);
void tg_hist_merge(struct tg_hist *into, const struct tg_hist *from);
/* The value at quantile @q (0..1), from the buckets; 0 when empty. */
uint64_t tg_hist_quantile(const struct tg_hist *h, double q);

/* The histogram in HdrHistogram's V2 compressed encoding, base64, as HdrHistogram's
 * interval logs (.hlog) carry it ("HISTF..."): 2 significant digits, lowest 1 ns,
 * each of our buckets counted at its low edge (within min..max).  A malloc'd
 * string, or NULL (no memory). */
char *tg_hist_hdr(const struct tg_hist *h);

/* Receive-side accounting of one stream: in order, lost, duplicated, reordered.
 * A window of the last 4096 sequence numbers tells a late frame (reordered) from
 * one seen before (duplicate). */
#define TG_WINDOW 4096
struct tg_stream {
	uint32_t next;            /* the sequence number expected next */
	bool started;
	uint64_t received, duplicates, reordered;
	uint64_t seen[TG_WINDOW / 64];
};

/* Account for sequence number @seq.  Returns false for a duplicate. */
bool tg_stream_rx(struct tg_stream *s, uint32_t seq);
