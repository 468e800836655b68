/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Frame rewriting for the reflector (and, later, the traffic generator):
 * plain bytes in, no DPDK, so it is unit-tested on its own.  Never reads or
 * writes past @len.  Swapping addresses or ports leaves IP, UDP and TCP
 * checksums valid: a one's complement sum does not depend on the order.
 */
#pragma once
#include <stdint.h>
#include <string.h>

enum pkt_mode {
	PKT_IO,        /* return frames unchanged */
	PKT_MACSWAP,   /* swap Ethernet source and destination */
	PKT_IPSWAP,    /* and IPv4/IPv6 source and destination */
	PKT_L4SWAP,    /* and UDP/TCP source and destination ports */
};

/* What happened to one frame. */
enum pkt_result {
	PKT_SWAPPED,     /* everything the mode asks for */
	PKT_SHORT,       /* shorter than an Ethernet header: returned unchanged */
	PKT_MALFORMED,   /* an IP or L4 header that does not fit or is invalid: returned unchanged */
	PKT_NOT_IP,      /* ipswap/l4swap on a frame that is not IP: MACs swapped only */
	PKT_NOT_L4,      /* l4swap on IP that is not UDP/TCP, or a non-first fragment: MACs and IPs only */
	PKT_NRESULTS
};

/* Parse "io", "macswap", "ipswap", "l4swap".  The mode, or -1. */
int pkt_mode_parse(const char *s);

const char *pkt_mode_name(enum pkt_mode m);

/* Name of a result, for statistics keys: "swapped", "short", "malformed", "not_ip", "not_l4". */
const char *pkt_result_name(enum pkt_result r);

/* Rewrite one frame in place as @mode says. */
enum pkt_result pkt_swap(uint8_t *frame, uint32_t len, enum pkt_mode mode);

/* The hot path of macswap, inline: swap the two 6-byte addresses (bytes 0-11 only). */
static inline void pkt_macswap(uint8_t *f)
{
	uint8_t t[6];

	memcpy(t, f, 6);
	memcpy(f, f + 6, 6);
	memcpy(f + 6, t, 6);
}

/* Rates: L2 counts the frame (without FCS as DPDK reports it, plus 4 for the FCS);
 * L1 adds preamble, SFD and inter-frame gap (20 bytes).  Gb/s for @pps frames per
 * second averaging @avg_len bytes as DPDK counts them (no FCS). */
double pkt_gbps_l2(double pps, double avg_len);
double pkt_gbps_l1(double pps, double avg_len);
