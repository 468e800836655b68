#include <string.h>

#include "tgen.h"

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
