/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "bench/tgen.h"

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t ip_csum(const uint8_t *h)
{
	uint32_t sum = 0;

	for (int i = 0; i < 20; i += 2)
		sum += (uint32_t)(h[i] << 8 | h[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

uint32_t tg_build(uint8_t *buf, uint32_t size, const uint8_t src_mac[6], const uint8_t dst_mac[6], uint32_t flow)
{
	uint32_t len = size - 4, iplen = len - 14, udplen = iplen - 20;
	uint8_t *ip = buf + 14, *udp = ip + 20;

	memset(buf, 0, len);
	memcpy(buf, dst_mac, 6);
	memcpy(buf + 6, src_mac, 6);
	put16(buf + 12, 0x0800);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)iplen);
	ip[6] = 0x40;                           /* don't fragment */
	ip[8] = 64;
	ip[9] = 17;
	ip[12] = 198; ip[13] = 18; ip[14] = 0; ip[15] = 1;
	ip[16] = 198; ip[17] = 19; ip[18] = 0; ip[19] = 1;
	put16(ip + 10, ip_csum(ip));
	put16(udp, (uint16_t)(1024 + flow % 64512)); /* flows differ in the source port: RSS spreads them */
	put16(udp + 2, 9);                      /* discard */
	put16(udp + 4, (uint16_t)udplen);       /* UDP checksum 0: none */
	return len;
}

bool tg_read(const uint8_t *buf, uint32_t len, struct tg_sig *s)
{
	const uint8_t *p = buf + TG_SIG_OFF;

	if (len < TG_SIG_OFF + 18 || p[0] != (TG_MAGIC >> 8) || p[1] != (TG_MAGIC & 0xff))
		return false;
	s->trial = p[2];
	s->flags = p[3];
	memcpy(&s->stream, p + 4, 2);
	memcpy(&s->seq, p + 6, 4);
	memcpy(&s->tsc, p + 10, 8);
	return true;
}

static unsigned bucket_of(uint64_t v)
{
	unsigned e;

	if (v < TG_HIST_SUB)
		return (unsigned)v;
	e = 63 - (unsigned)__builtin_clzll(v);          /* v in [2^e, 2^(e+1)) */
	unsigned b = (e - 5) * TG_HIST_SUB + (unsigned)((v >> (e - 6)) & (TG_HIST_SUB - 1));
	return b < TG_HIST_BUCKETS ? b : TG_HIST_BUCKETS - 1;
}

/* The smallest value of bucket @b. */
static uint64_t bucket_low(unsigned b)
{
	unsigned e;

	if (b < TG_HIST_SUB)
		return b;
	e = b / TG_HIST_SUB + 5;
	return ((uint64_t)1 << e) | ((uint64_t)(b % TG_HIST_SUB) << (e - 6));
}

void tg_hist_add(struct tg_hist *h, uint64_t ns)
{
	if (h->count == 0 || ns < h->min)
		h->min = ns;
	if (ns > h->max)
		h->max = ns;
	h->count++;
	h->sum += ns;
	h->b[bucket_of(ns)]++;
}

void tg_hist_merge(struct tg_hist *into, const struct tg_hist *from)
{
	if (from->count == 0)
		return;
	if (into->count == 0 || from->min < into->min)
		into->min = from->min;
	if (from->max > into->max)
		into->max = from->max;
	into->count += from->count;
	into->sum += from->sum;
	for (unsigned i = 0; i < TG_HIST_BUCKETS; i++)
		into->b[i] += from->b[i];
}

uint64_t tg_hist_quantile(const struct tg_hist *h, double q)
{
	uint64_t rank, seen = 0;

	if (h->count == 0)
		return 0;
	rank = (uint64_t)(q * (double)h->count);
	if (rank >= h->count)
		rank = h->count - 1;
	for (unsigned i = 0; i < TG_HIST_BUCKETS; i++) {
		seen += h->b[i];
		if (seen > rank) {
			/* The bucket's low edge, kept within what was seen. */
			uint64_t v = bucket_low(i);
			if (v < h->min)
				v = h->min;
			if (v > h->max)
				v = h->max;
			return v;
		}
	}
	return h->max;
}

static bool bit(const struct tg_stream *s, uint32_t seq)
{
	return s->seen[(seq % TG_WINDOW) / 64] >> (seq % 64) & 1;
}

static void set_bit(struct tg_stream *s, uint32_t seq, bool on)
{
	uint64_t m = (uint64_t)1 << (seq % 64);

	if (on)
		s->seen[(seq % TG_WINDOW) / 64] |= m;
	else
		s->seen[(seq % TG_WINDOW) / 64] &= ~m;
}

bool tg_stream_rx(struct tg_stream *s, uint32_t seq)
{
	if (!s->started) {
		s->started = true;
		s->next = seq;
	}
	if ((int32_t)(seq - s->next) >= 0) {
		/* New: clear the window slots we jump over, they belong to old numbers. */
		uint32_t gap = seq - s->next;
		if (gap >= TG_WINDOW) {
			memset(s->seen, 0, sizeof(s->seen));
		} else {
			for (uint32_t k = s->next; k != seq; k++)
				set_bit(s, k, false);
		}
		set_bit(s, seq, true);
		s->next = seq + 1;
		s->received++;
		return true;
	}
	if ((int32_t)(s->next - seq) <= TG_WINDOW && bit(s, seq)) {
		s->duplicates++;
		return false;
	}
	/* Late: reordered (beyond the window we cannot tell, and count it late too). */
	set_bit(s, seq, true);
	s->reordered++;
	s->received++;
	return true;
}

/* --- HdrHistogram's encoding (its "V2" format; constants from its specification) --- */

#define HDR_DIGITS 2
#define HDR_SUB_MAG 8                      /* ceil(log2(2 * 10^HDR_DIGITS)) */
#define HDR_HALF_MAG (HDR_SUB_MAG - 1)
#define HDR_HALF (1u << HDR_HALF_MAG)
#define HDR_COOKIE 0x1c849313u             /* V2 encoding, 8-byte words */
#define HDR_COMPRESSED_COOKIE 0x1c849314u

/* HdrHistogram's counts index of @v (lowest discernible value 1). */
static size_t hdr_index(uint64_t v)
{
	unsigned bucket = 64 - HDR_SUB_MAG - (unsigned)__builtin_clzll(v | ((1u << HDR_SUB_MAG) - 1));
	uint64_t sub = v >> bucket;

	return ((size_t)(bucket + 1) << HDR_HALF_MAG) + (size_t)sub - HDR_HALF;
}

static void put_be(uint8_t *p, uint64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

/* ZigZag LEB128, as HdrHistogram's ZigZagEncoding (at most 9 bytes). */
static size_t put_zigzag(uint8_t *p, int64_t v)
{
	/* 0, -1, 1, -2, ... -> 0, 1, 2, 3, ... without shifting a negative number */
	uint64_t z = v < 0 ? ((uint64_t)(-(v + 1)) << 1) | 1 : (uint64_t)v << 1;
	size_t n = 0;

	while (z >= 0x80 && n < 8) {
		p[n++] = (uint8_t)(z | 0x80);
		z >>= 7;
	}
	p[n++] = (uint8_t)z;
	return n;
}

static char *base64(const uint8_t *in, size_t len)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *out = malloc((len + 2) / 3 * 4 + 1), *o = out;

	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < len ? (uint32_t)in[i + 1] << 8 : 0) | (i + 2 < len ? in[i + 2] : 0);
		*o++ = tab[v >> 18 & 63];
		*o++ = tab[v >> 12 & 63];
		*o++ = i + 1 < len ? tab[v >> 6 & 63] : '=';
		*o++ = i + 2 < len ? tab[v & 63] : '=';
	}
	*o = '\0';
	return out;
}

char *tg_hist_hdr(const struct tg_hist *h)
{
	uint64_t highest = h->max > 2 ? h->max : 2, *counts;
	size_t n = hdr_index(highest) + 1, len = 40, zlen;
	uint8_t *enc, *z;
	char *out = NULL;
	double one = 1.0;
	uint64_t bits;

	if (!(counts = calloc(n, sizeof(*counts))))
		return NULL;
	for (unsigned i = 0; i < TG_HIST_BUCKETS; i++) {
		uint64_t v = bucket_low(i);
		if (!h->b[i])
			continue;
		v = v < h->min ? h->min : v > h->max ? h->max : v;
		counts[hdr_index(v)] += h->b[i];
	}
	/* Header (40 bytes), then each count, a run of zeros as one negative number. */
	enc = malloc(40 + 9 * n);
	zlen = compressBound(40 + 9 * n);
	z = malloc(8 + zlen);
	if (!enc || !z)
		goto out;
	for (size_t i = 0; i < n;) {
		size_t zeros = 0;
		while (i + zeros < n && counts[i + zeros] == 0)
			zeros++;
		if (zeros > 1) {
			len += put_zigzag(enc + len, -(int64_t)zeros);
			i += zeros;
		} else {
			len += put_zigzag(enc + len, (int64_t)counts[i]);
			i++;
		}
	}
	memcpy(&bits, &one, sizeof(bits));
	put_be(enc, HDR_COOKIE, 4);
	put_be(enc + 4, len - 40, 4);  /* payload length */
	put_be(enc + 8, 0, 4);         /* normalizing index offset */
	put_be(enc + 12, HDR_DIGITS, 4);
	put_be(enc + 16, 1, 8);        /* lowest discernible value */
	put_be(enc + 24, highest, 8);
	put_be(enc + 32, bits, 8);     /* integer to double conversion ratio */
	if (compress2(z + 8, &zlen, enc, len, Z_BEST_COMPRESSION) != Z_OK)
		goto out;
	put_be(z, HDR_COMPRESSED_COOKIE, 4);
	put_be(z + 4, zlen, 4);
	out = base64(z, 8 + zlen);
out:
	free(counts);
	free(enc);
	free(z);
	return out;
}
