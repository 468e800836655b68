/* SPDX-License-Identifier: BSD-3-Clause */
/* Frame rewriting, byte by byte: each mode on IPv4/UDP, IPv6/TCP, VLAN, ARP,
 * fragments, and frames that are short or lie about their lengths. */
#include "reflector/pkt.h"
#include "unit.h"

static const uint8_t MAC_A[6] = { 0x02, 0, 0, 0, 0, 0xaa }, MAC_B[6] = { 0x02, 0, 0, 0, 0, 0xbb };
static const uint8_t IPS_SWAPPED[8] = { 198, 19, 0, 2, 198, 18, 0, 1 };
static const uint8_t UDP_SWAPPED[4] = { 0x00, 0x09, 0x04, 0x00 };
static const uint8_t TCP_SWAPPED[4] = { 0x00, 0x50, 0x12, 0x34 };

/* Ethernet + IPv4 (198.18.0.1 -> 198.19.0.2) + UDP 1024 -> 9, 64 bytes in all. */
static uint32_t ipv4_udp(uint8_t *f, uint8_t proto)
{
	memset(f, 0, 64);
	memcpy(f, MAC_B, 6);      /* destination */
	memcpy(f + 6, MAC_A, 6);  /* source */
	f[12] = 0x08;
	f[14] = 0x45;
	f[16] = 0;
	f[17] = 50;               /* total length 50: 20 IP + 30 L4 */
	f[22] = 64;
	f[23] = proto;
	f[26] = 198; f[27] = 18; f[28] = 0; f[29] = 1;
	f[30] = 198; f[31] = 19; f[32] = 0; f[33] = 2;
	f[34] = 0x04; f[35] = 0x00; /* source port 1024 */
	f[36] = 0x00; f[37] = 0x09; /* destination port 9 */
	return 64;
}

static void test_modes_ipv4_udp(void **state)
{
	uint8_t f[64], orig[64];

	(void)state;
	ipv4_udp(orig, 17);

	memcpy(f, orig, 64);
	assert_int_equal(pkt_swap(f, 64, PKT_IO), PKT_SWAPPED);
	assert_memory_equal(f, orig, 64);

	memcpy(f, orig, 64);
	assert_int_equal(pkt_swap(f, 64, PKT_MACSWAP), PKT_SWAPPED);
	assert_memory_equal(f, MAC_A, 6);
	assert_memory_equal(f + 6, MAC_B, 6);
	assert_memory_equal(f + 12, orig + 12, 52);

	memcpy(f, orig, 64);
	assert_int_equal(pkt_swap(f, 64, PKT_IPSWAP), PKT_SWAPPED);
	assert_memory_equal(f, MAC_A, 6);
	assert_memory_equal(f + 26, IPS_SWAPPED, 8);
	assert_memory_equal(f + 34, orig + 34, 30); /* ports untouched */

	memcpy(f, orig, 64);
	assert_int_equal(pkt_swap(f, 64, PKT_L4SWAP), PKT_SWAPPED);
	assert_memory_equal(f + 26, IPS_SWAPPED, 8);
	assert_memory_equal(f + 34, UDP_SWAPPED, 4);
	assert_memory_equal(f + 38, orig + 38, 26);
	/* Twice is the identity. */
	assert_int_equal(pkt_swap(f, 64, PKT_L4SWAP), PKT_SWAPPED);
	assert_memory_equal(f, orig, 64);
}

static void test_ipv6_tcp_and_vlan(void **state)
{
	uint8_t f[128], orig[128];
	uint32_t len = 14 + 4 + 40 + 20;

	(void)state;
	memset(orig, 0, sizeof(orig));
	memcpy(orig, MAC_B, 6);
	memcpy(orig + 6, MAC_A, 6);
	orig[12] = 0x81; orig[13] = 0x00; orig[14] = 0x00; orig[15] = 0x05; /* VLAN 5 */
	orig[16] = 0x86; orig[17] = 0xdd;
	orig[18] = 0x60;
	orig[22] = 0; orig[23] = 20; /* payload length */
	orig[24] = 6;                /* TCP */
	for (int i = 0; i < 16; i++) {
		orig[26 + i] = (uint8_t)(0x10 + i); /* source */
		orig[42 + i] = (uint8_t)(0x80 + i); /* destination */
	}
	orig[58] = 0x12; orig[59] = 0x34; orig[60] = 0x00; orig[61] = 0x50;
	memcpy(f, orig, sizeof(f));
	assert_int_equal(pkt_swap(f, len, PKT_L4SWAP), PKT_SWAPPED);
	assert_memory_equal(f, MAC_A, 6);
	assert_memory_equal(f + 12, orig + 12, 6); /* the tag and type stay */
	assert_memory_equal(f + 26, orig + 42, 16);
	assert_memory_equal(f + 42, orig + 26, 16);
	assert_memory_equal(f + 58, TCP_SWAPPED, 4);
	/* A TCP header that does not fit: malformed, returned unchanged. */
	memcpy(f, orig, sizeof(f));
	f[23] = 10;
	assert_int_equal(pkt_swap(f, len - 10, PKT_L4SWAP), PKT_MALFORMED);
	assert_memory_equal(f + 26, orig + 26, 32);
	assert_memory_equal(f, orig, 6);
}

static void test_not_ip_not_l4_fragments(void **state)
{
	uint8_t f[64], orig[64];

	(void)state;
	/* ARP: MACs swapped, nothing else. */
	memset(orig, 0x55, 64);
	memcpy(orig, MAC_B, 6);
	memcpy(orig + 6, MAC_A, 6);
	orig[12] = 0x08; orig[13] = 0x06;
	memcpy(f, orig, 64);
	assert_int_equal(pkt_swap(f, 64, PKT_IPSWAP), PKT_NOT_IP);
	assert_memory_equal(f, MAC_A, 6);
	assert_memory_equal(f + 12, orig + 12, 52);
	/* ICMP under l4swap: IPs swapped, no ports. */
	ipv4_udp(orig, 1);
	memcpy(f, orig, 64);
	assert_int_equal(pkt_swap(f, 64, PKT_L4SWAP), PKT_NOT_L4);
	assert_memory_equal(f + 26, orig + 30, 4);
	assert_memory_equal(f + 34, orig + 34, 4);
	/* A non-first fragment: its "ports" are payload, left alone. */
	ipv4_udp(orig, 17);
	orig[21] = 0x10; /* fragment offset 16 */
	memcpy(f, orig, 64);
	assert_int_equal(pkt_swap(f, 64, PKT_L4SWAP), PKT_NOT_L4);
	assert_memory_equal(f + 34, orig + 34, 4);
	assert_memory_equal(f + 26, orig + 30, 4);
}

static void test_short_and_lying_frames(void **state)
{
	uint8_t f[64], orig[64];

	(void)state;
	ipv4_udp(orig, 17);
	/* Shorter than Ethernet: unchanged in every mode, nothing past the end touched. */
	for (int m = PKT_IO; m <= PKT_L4SWAP; m++) {
		memcpy(f, orig, 64);
		assert_int_equal(pkt_swap(f, 13, (enum pkt_mode)m), PKT_SHORT);
		assert_memory_equal(f, orig, 64);
	}
	/* Exactly an Ethernet header: macswap works, ipswap finds no IP header. */
	memcpy(f, orig, 64);
	assert_int_equal(pkt_swap(f, 14, PKT_MACSWAP), PKT_SWAPPED);
	memcpy(f, orig, 64);
	assert_int_equal(pkt_swap(f, 14, PKT_IPSWAP), PKT_MALFORMED);
	assert_memory_equal(f, orig, 64);
	/* IPv4 total length larger than the frame. */
	memcpy(f, orig, 64);
	f[17] = 200;
	assert_int_equal(pkt_swap(f, 64, PKT_IPSWAP), PKT_MALFORMED);
	assert_memory_equal(f + 26, orig + 26, 8);
	/* IHL below 5, and a version that is not 4. */
	memcpy(f, orig, 64);
	f[14] = 0x44;
	assert_int_equal(pkt_swap(f, 64, PKT_IPSWAP), PKT_MALFORMED);
	memcpy(f, orig, 64);
	f[14] = 0x65;
	assert_int_equal(pkt_swap(f, 64, PKT_IPSWAP), PKT_MALFORMED);
	/* A UDP header cut short by the IP total length. */
	orig[17] = 24;
	memcpy(f, orig, 64);
	assert_int_equal(pkt_swap(f, 64, PKT_L4SWAP), PKT_MALFORMED);
	assert_memory_equal(f, orig, 64);
	orig[17] = 50;
	/* A VLAN tag with nothing after it. */
	memcpy(f, orig, 64);
	f[12] = 0x81; f[13] = 0x00;
	assert_int_equal(pkt_swap(f, 16, PKT_IPSWAP), PKT_MALFORMED);
}

static void test_names_and_rates(void **state)
{
	(void)state;
	assert_int_equal(pkt_mode_parse("l4swap"), PKT_L4SWAP);
	assert_int_equal(pkt_mode_parse("io"), PKT_IO);
	assert_int_equal(pkt_mode_parse("swap"), -1);
	assert_string_equal(pkt_mode_name(PKT_MACSWAP), "macswap");
	assert_string_equal(pkt_result_name(PKT_NOT_L4), "not_l4");
	/* 14.88 Mpps of 64-byte frames (60 bytes without FCS) is 10 Gb/s on the wire. */
	assert_true(pkt_gbps_l1(14880952.38, 60) > 9.999 && pkt_gbps_l1(14880952.38, 60) < 10.001);
	assert_true(pkt_gbps_l2(14880952.38, 60) > 7.61 && pkt_gbps_l2(14880952.38, 60) < 7.62);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_modes_ipv4_udp),
		cmocka_unit_test(test_ipv6_tcp_and_vlan),
		cmocka_unit_test(test_not_ip_not_l4_fragments),
		cmocka_unit_test(test_short_and_lying_frames),
		cmocka_unit_test(test_names_and_rates),
	};
	return cmocka_run_group_tests_name("pkt", tests, NULL, NULL);
}
