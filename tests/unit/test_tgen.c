/* SPDX-License-Identifier: BSD-3-Clause */
/* The generator's frames, signatures, latency histogram and stream accounting. */
#include <stdlib.h>

#include "reflector/pkt.h"
#include "bench/tgen.h"
#include "unit.h"

static const uint8_t SRC[6] = { 2, 0, 0, 0, 0, 1 }, DST[6] = { 2, 0, 0, 0, 0, 2 };

static void test_frame(void **state)
{
	uint8_t f[2048];
	struct tg_sig s = { .trial = 7, .flags = TG_FLAG_MEASURED, .stream = 3, .seq = 123456789,
			    .tsc = 0x0102030405060708ULL }, r;
	uint32_t len;

	(void)state;
	len = tg_build(f, 64, SRC, DST, 5);
	assert_int_equal(len, 60);
	assert_memory_equal(f, DST, 6);
	assert_memory_equal(f + 6, SRC, 6);
	assert_int_equal(f[14], 0x45);
	assert_int_equal(f[16] << 8 | f[17], 46);         /* IP total length */
	assert_int_equal(f[34] << 8 | f[35], 1029);       /* source port 1024 + flow */
	assert_int_equal(f[38] << 8 | f[39], 26);         /* UDP length */
	/* The IPv4 header checksum verifies (sums to 0xffff). */
	{
		uint32_t sum = 0;
		for (int i = 14; i < 34; i += 2)
			sum += (uint32_t)(f[i] << 8 | f[i + 1]);
		while (sum >> 16)
			sum = (sum & 0xffff) + (sum >> 16);
		assert_int_equal(sum, 0xffff);
	}
	tg_stamp(f, &s);
	assert_true(tg_read(f, len, &r));
	assert_int_equal(r.trial, 7);
	assert_int_equal(r.flags, TG_FLAG_MEASURED);
	assert_int_equal(r.stream, 3);
	assert_int_equal(r.seq, 123456789);
	assert_true(r.tsc == s.tsc);
	/* Whatever the reflector swaps, the signature stays where it was and the frame stays valid. */
	assert_int_equal(pkt_swap(f, len, PKT_L4SWAP), PKT_SWAPPED);
	assert_true(tg_read(f, len, &r));
	assert_int_equal(r.seq, 123456789);
	/* Not ours: too short, or no magic. */
	assert_false(tg_read(f, 59, &r));
	f[TG_SIG_OFF] ^= 0xff;
	assert_false(tg_read(f, len, &r));
	/* The largest frame. */
	assert_int_equal(tg_build(f, 1518, SRC, DST, 0), 1514);
	assert_int_equal(f[16] << 8 | f[17], 1500);
}

static void test_hist(void **state)
{
	struct tg_hist *h = calloc(1, sizeof(*h)), *g = calloc(1, sizeof(*g));

	(void)state;
	assert_int_equal(tg_hist_quantile(h, 0.5), 0);
	for (uint64_t v = 1; v <= 100000; v++)
		tg_hist_add(h, v * 10); /* 10 ns .. 1 ms, uniform */
	assert_int_equal(h->min, 10);
	assert_int_equal(h->max, 1000000);
	assert_int_equal(h->count, 100000);
	/* Within the histogram's 1/64 relative error. */
	uint64_t p50 = tg_hist_quantile(h, 0.5), p99 = tg_hist_quantile(h, 0.99), p999 = tg_hist_quantile(h, 0.999);
	assert_true(p50 >= 500000 * 63 / 64 && p50 <= 500000);
	assert_true(p99 >= 990000 * 63 / 64 && p99 <= 990000);
	assert_true(p999 >= 999000 * 63 / 64 && p999 <= 999000);
	assert_true(tg_hist_quantile(h, 0) == 10);
	assert_true(tg_hist_quantile(h, 1) <= 1000000);
	/* Small values are exact. */
	tg_hist_add(g, 3);
	tg_hist_add(g, 3);
	tg_hist_add(g, 100);
	assert_int_equal(tg_hist_quantile(g, 0.5), 3);
	assert_int_equal(tg_hist_quantile(g, 0.99), 100);
	tg_hist_merge(g, h);
	assert_int_equal(g->count, 100003);
	assert_int_equal(g->min, 3);
	assert_int_equal(g->max, 1000000);
	free(h);
	free(g);
}

static void test_stream(void **state)
{
	struct tg_stream *s = calloc(1, sizeof(*s));

	(void)state;
	/* 0..9 in order, 10 lost, 12 before 11 (reordered), 12 again (duplicate). */
	for (uint32_t i = 0; i < 10; i++)
		assert_true(tg_stream_rx(s, i));
	assert_true(tg_stream_rx(s, 12));
	assert_true(tg_stream_rx(s, 11));
	assert_false(tg_stream_rx(s, 12));
	assert_int_equal(s->received, 12);
	assert_int_equal(s->reordered, 1);
	assert_int_equal(s->duplicates, 1);
	/* A jump past the window forgets the old numbers, so they are not mistaken for duplicates later. */
	assert_true(tg_stream_rx(s, 12 + 3 * TG_WINDOW));
	assert_true(tg_stream_rx(s, 13 + 3 * TG_WINDOW));
	assert_int_equal(s->duplicates, 1);
	/* Wrapping the 32-bit sequence number is not a reorder. */
	free(s);
	s = calloc(1, sizeof(*s));
	assert_true(tg_stream_rx(s, 0xfffffffe));
	assert_true(tg_stream_rx(s, 0xffffffff));
	assert_true(tg_stream_rx(s, 0));
	assert_true(tg_stream_rx(s, 1));
	assert_int_equal(s->reordered, 0);
	assert_false(tg_stream_rx(s, 0xffffffff));
	assert_int_equal(s->duplicates, 1);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frame),
		cmocka_unit_test(test_hist),
		cmocka_unit_test(test_stream),
	};
	return cmocka_run_group_tests_name("tgen", tests, NULL, NULL);
}
