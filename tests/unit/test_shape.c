/* SPDX-License-Identifier: BSD-3-Clause */
/* Traffic shapes: sizes, the named IMIX mixes, weighted lists and their schedule. */
#include <stdio.h>

#include "bench/shape.h"
#include "unit.h"

static void test_fixed(void **state)
{
	struct shape sh;
	char err[160];

	(void)state;
	assert_int_equal(shape_parse("64", &sh, err, sizeof(err)), 0);
	assert_string_equal(sh.name, "64");
	assert_false(shape_is_mix(&sh));
	assert_int_equal(sh.period, 1);
	assert_int_equal(sh.sched[0], 0);
	assert_true(shape_avg(&sh) == 64.0);
	assert_int_equal(shape_parse("9000", &sh, err, sizeof(err)), 0);
	assert_int_equal(shape_max(&sh), 9000);
	/* One size with a weight is that size. */
	assert_int_equal(shape_parse("1518:3", &sh, err, sizeof(err)), 0);
	assert_string_equal(sh.name, "1518");
	assert_false(shape_is_mix(&sh));
}

/* Count each size over @frames frames of the schedule, from frame @from. */
static void count(const struct shape *sh, unsigned from, unsigned frames, unsigned *per)
{
	memset(per, 0, sizeof(*per) * SHAPE_MIX_MAX);
	for (unsigned i = from; i < from + frames; i++)
		per[sh->sched[i % sh->period]]++;
}

static void test_named(void **state)
{
	struct shape sh;
	char err[160];
	unsigned per[SHAPE_MIX_MAX];

	(void)state;
	assert_int_equal(shape_parse("imix", &sh, err, sizeof(err)), 0);
	assert_string_equal(sh.name, "imix");
	assert_true(shape_is_mix(&sh));
	assert_int_equal(sh.n, 3);
	assert_int_equal(sh.period, 12);
	assert_int_equal(sh.size[0], 64);
	assert_int_equal(sh.size[1], 594);
	assert_int_equal(sh.size[2], 1518);
	assert_int_equal(shape_min(&sh), 64);
	assert_int_equal(shape_max(&sh), 1518);
	/* (7*64 + 4*594 + 1518) / 12 */
	assert_true(shape_avg(&sh) > 361.83 && shape_avg(&sh) < 361.84);
	/* Every window of a round's length carries exactly 7:4:1. */
	for (unsigned from = 0; from < 12; from++) {
		count(&sh, from, 12, per);
		assert_int_equal(per[0], 7);
		assert_int_equal(per[1], 4);
		assert_int_equal(per[2], 1);
	}
	/* Spread, not grouped: the small frames never come more than two in a row, and the
	 * medium ones never next to each other. */
	for (unsigned i = 0; i < 12; i++) {
		unsigned a = sh.sched[i], b = sh.sched[(i + 1) % 12], c = sh.sched[(i + 2) % 12];
		assert_false(a == 0 && b == 0 && c == 0);
		assert_false(a == 1 && b == 1);
	}

	assert_int_equal(shape_parse("IMIX_v4_1", &sh, err, sizeof(err)), 0);
	assert_string_equal(sh.name, "imix_v4_1");
	assert_int_equal(sh.period, 48);
	count(&sh, 0, 48, per);
	assert_int_equal(per[0], 28);
	assert_int_equal(per[1], 16);
	assert_int_equal(per[2], 4);
	assert_int_equal(sh.size[1], 570);
	/* (28*64 + 16*570 + 4*1518) / 48 */
	assert_true(shape_avg(&sh) > 353.83 && shape_avg(&sh) < 353.84);
	/* Any 12 consecutive frames of the 48 hold the 7:4:1 to within one frame. */
	for (unsigned from = 0; from < 48; from++) {
		count(&sh, from, 12, per);
		assert_true(per[0] >= 6 && per[0] <= 8);
		assert_true(per[1] >= 3 && per[1] <= 5);
		assert_true(per[2] <= 2);
	}
}

static void test_weighted(void **state)
{
	struct shape sh;
	char err[160];
	unsigned per[SHAPE_MIX_MAX];

	(void)state;
	assert_int_equal(shape_parse("128:1+0256:3", &sh, err, sizeof(err)), 0);
	assert_string_equal(sh.name, "128:1+256:3"); /* canonical */
	assert_int_equal(sh.period, 4);
	count(&sh, 0, 4, per);
	assert_int_equal(per[0], 1);
	assert_int_equal(per[1], 3);
	assert_true(shape_avg(&sh) == 224.0);
	/* A mix with the weights of the named one keeps the user's spelling. */
	assert_int_equal(shape_parse("64:7+594:4+1518:1", &sh, err, sizeof(err)), 0);
	assert_string_equal(sh.name, "64:7+594:4+1518:1");
	/* The largest round. */
	assert_int_equal(shape_parse("64:1000+9000:24", &sh, err, sizeof(err)), 0);
	assert_int_equal(sh.period, 1024);
	count(&sh, 0, 1024, per);
	assert_int_equal(per[1], 24);
}

static void test_errors(void **state)
{
	static const struct {
		const char *text, *msg;
	} bad[] = {
		{ "63", "sizes are 64-9000 bytes" },
		{ "9001", "a size is 64-9000" },
		{ "", "a size is 64-9000" },
		{ "imix2", "a size is 64-9000" },
		{ "64:", "a size is 64-9000" },
		{ "64:1+", "a size is 64-9000" },
		{ "64:1++128:1", "a size is 64-9000" },
		{ "-64", "a size is 64-9000" },
		{ "64:1 +128:1", "a size is 64-9000" },
		{ "64:1+32:1", "sizes are 64-9000 bytes" },
		{ "64:0+128:1", "weights are 1 or more" },
		{ "64:1+64:2", "size 64 is listed twice" },
		{ "64:1000+128:25", "add up to at most 1024" },
		{ "64:1+65:1+66:1+67:1+68:1+69:1+70:1+71:1+72:1", "at most 8 sizes" },
		{ "64:1025", "a size is 64-9000" },
	};
	struct shape sh;
	char err[160];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (shape_parse(bad[i].text, &sh, err, sizeof(err)) != -1 || !strstr(err, bad[i].msg))
			fail_msg("'%s': got '%s', wanted '%s'", bad[i].text, err, bad[i].msg);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixed),
		cmocka_unit_test(test_named),
		cmocka_unit_test(test_weighted),
		cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests_name("shape", tests, NULL, NULL);
}
