/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include "reflector/pkt.h"

#define ETH_HLEN 14
#define ETH_P_IPV4 0x0800
#define ETH_P_IPV6 0x86dd
#define ETH_P_VLAN 0x8100
#define ETH_P_QINQ 0x88a8
#define IPPROTO_TCP_ 6
#define IPPROTO_UDP_ 17

static const char *const mode_names[] = { "io", "macswap", "ipswap", "l4swap" };
static const char *const result_names[] = { "swapped", "short", "malformed", "not_ip", "not_l4" };

int pkt_mode_parse(const char *s)
{
	for (int i = 0; i < 4; i++)
		if (strcmp(s, mode_names[i]) == 0)
			return i;
	return -1;
}

const char *pkt_mode_name(enum pkt_mode m)
{
	return mode_names[m];
}

const char *pkt_result_name(enum pkt_result r)
{
	return result_names[r];
}

static void swap_bytes(uint8_t *a, uint8_t *b, unsigned n)
{
	uint8_t t[16];

	memcpy(t, a, n);
	memcpy(a, b, n);
	memcpy(b, t, n);
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Swap the ports of the UDP/TCP header at @l4 (of @room bytes). */
static enum pkt_result swap_l4(uint8_t *l4, uint32_t room, uint8_t proto)
{
	if (proto != IPPROTO_UDP_ && proto != IPPROTO_TCP_)
		return PKT_NOT_L4;
	if (room < (proto == IPPROTO_UDP_ ? 8u : 20u))
		return PKT_MALFORMED;
	swap_bytes(l4, l4 + 2, 2);
	return PKT_SWAPPED;
}

enum pkt_result pkt_swap(uint8_t *f, uint32_t len, enum pkt_mode mode)
{
	uint32_t off = 12;
	uint16_t type;
	enum pkt_result r = PKT_SWAPPED;

	if (len < ETH_HLEN)
		return PKT_SHORT;
	if (mode == PKT_IO)
		return PKT_SWAPPED;
	if (mode == PKT_MACSWAP) {
		swap_bytes(f, f + 6, 6);
		return PKT_SWAPPED;
	}
	/* Up to two VLAN tags. */
	type = be16(f + off);
	for (int tags = 0; tags < 2 && (type == ETH_P_VLAN || type == ETH_P_QINQ); tags++) {
		off += 4;
		if (len < off + 2)
			return PKT_MALFORMED;
		type = be16(f + off);
	}
	off += 2; /* the start of L3 */
	if (type == ETH_P_IPV4) {
		uint8_t *ip = f + off;
		uint32_t ihl, tot;
		if (len < off + 20)
			return PKT_MALFORMED;
		ihl = (uint32_t)(ip[0] & 0x0f) * 4;
		tot = be16(ip + 2);
		if ((ip[0] >> 4) != 4 || ihl < 20 || len < off + ihl || tot < ihl || len < off + tot)
			return PKT_MALFORMED;
		if (mode == PKT_L4SWAP) {
			uint16_t frag = be16(ip + 6) & 0x1fff;
			if (frag == 0) {
				r = swap_l4(ip + ihl, tot - ihl, ip[9]);
				if (r == PKT_MALFORMED)
					return r;
			} else {
				r = PKT_NOT_L4;
			}
		}
		swap_bytes(ip + 12, ip + 16, 4);
	} else if (type == ETH_P_IPV6) {
		uint8_t *ip = f + off;
		uint32_t plen;
		if (len < off + 40 || (ip[0] >> 4) != 6)
			return PKT_MALFORMED;
		plen = be16(ip + 4);
		if (len < off + 40 + plen)
			return PKT_MALFORMED;
		if (mode == PKT_L4SWAP) {
			/* Only the common case: UDP or TCP as the first next header. */
			r = swap_l4(ip + 40, plen, ip[6]);
			if (r == PKT_MALFORMED)
				return r;
		}
		swap_bytes(ip + 8, ip + 24, 16);
	} else {
		r = PKT_NOT_IP;
	}
	swap_bytes(f, f + 6, 6);
	return r;
}

double pkt_gbps_l2(double pps, double avg_len)
{
	return pps * (avg_len + 4) * 8 / 1e9;
}

double pkt_gbps_l1(double pps, double avg_len)
{
	return pps * (avg_len + 4 + 20) * 8 / 1e9;
}
