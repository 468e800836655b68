/* SPDX-License-Identifier: BSD-3-Clause */
/* CPU lists and masks: the syntax users type and the kernel prints, and every way to get it wrong. */
#include <errno.h>
#include <stdlib.h>

#include "pinning/cpuset.h"
#include "unit.h"

static void list_is(const char *in, const char *want)
{
	struct cpuset s;
	struct pin_error err = { 0 };
	char buf[256];

	if (cpuset_parse_list(&s, in, 0, &err) != 0)
		fail_msg("'%s' did not parse: %s", in, err.msg);
	assert_true(cpuset_format_list(&s, buf, sizeof(buf)) >= 0);
	assert_string_equal(buf, want);
}

static void list_is_limit(const char *in, unsigned limit, const char *want)
{
	struct cpuset s;
	struct pin_error err = { 0 };
	char buf[256];

	if (cpuset_parse_list(&s, in, limit, &err) != 0)
		fail_msg("'%s' did not parse: %s", in, err.msg);
	assert_true(cpuset_format_list(&s, buf, sizeof(buf)) >= 0);
	assert_string_equal(buf, want);
}

static void test_list_forms(void **state)
{
	(void)state;
	/* What the kernel reads (isolcpus=, nohz_full=, sysfs): N, all, USED/GROUP, whitespace. */
	list_is_limit("2-N", 8, "2-7");
	list_is_limit("N", 8, "7");
	list_is_limit("all", 4, "0-3");
	list_is_limit("ALL", 4, "0-3");
	list_is_limit("0-15:2/4", 16, "0-1,4-5,8-9,12-13");
	list_is_limit("0-N:1/2", 8, "0,2,4,6");
	list_is_limit(" 1-3\n", 8, "1-3");
	list_is_limit("1-3\n", 8, "1-3");
	list_is_limit("0,all", 4, "0-3");
	/* A stride is not a CPU: larger than the range, it leaves the first CPU. */
	list_is("0-1:9000", "0");
	list_is("0-3,8,10-11", "0-3,8,10-11");
	list_is("5", "5");
	list_is("3,1,2", "1-3");
	list_is("0-7:2", "0,2,4,6");
	list_is("1-9:4", "1,5,9");
	list_is("0-3,2-5", "0-5");
	list_is("8191", "8191");
}

static void test_list_errors(void **state)
{
	struct cpuset s;
	struct pin_error err;

	(void)state;
	assert_parse_error(cpuset_parse_list(&s, "", 0, &err), err, -EINVAL, "empty CPU list");
	assert_parse_error(cpuset_parse_list(&s, "1,,2", 0, &err), err, -EINVAL, "empty item at position 2");
	assert_int_equal(err.pos, 2);
	assert_parse_error(cpuset_parse_list(&s, "1,", 0, &err), err, -EINVAL, "empty item at position 2");
	assert_parse_error(cpuset_parse_list(&s, ",1", 0, &err), err, -EINVAL, "empty item at position 0");
	assert_parse_error(cpuset_parse_list(&s, "5-3", 0, &err), err, -EINVAL, "reversed range 5-3 at position 0");
	assert_parse_error(cpuset_parse_list(&s, "1,5-3", 0, &err), err, -EINVAL, "at position 2");
	assert_parse_error(cpuset_parse_list(&s, "0-3x", 0, &err), err, -EINVAL, "unexpected 'x' at position 3");
	assert_parse_error(cpuset_parse_list(&s, "a", 0, &err), err, -EINVAL, "unexpected 'a' at position 0");
	assert_parse_error(cpuset_parse_list(&s, "-1", 0, &err), err, -EINVAL, "position 0");
	assert_parse_error(cpuset_parse_list(&s, "1 ,2", 0, &err), err, -EINVAL, "unexpected ' ' at position 1");
	assert_parse_error(cpuset_parse_list(&s, " \n", 0, &err), err, -EINVAL, "empty CPU list");
	assert_parse_error(cpuset_parse_list(&s, "0-7:3/2", 0, &err), err, -EINVAL, "3/2 at position 4: the used CPUs must be 1 to the group size");
	assert_parse_error(cpuset_parse_list(&s, "0-7:0/2", 0, &err), err, -EINVAL, "0/2 at position 4");
	assert_parse_error(cpuset_parse_list(&s, "0-7:1/", 0, &err), err, -EINVAL, "empty item at position 6");
	assert_parse_error(cpuset_parse_list(&s, "alll", 4, &err), err, -EINVAL, "unexpected 'a' at position 0");
	assert_parse_error(cpuset_parse_list(&s, "0-1:x", 0, &err), err, -EINVAL, "expected a stride or USED/GROUP");
	assert_parse_error(cpuset_parse_list(&s, "0-", 0, &err), err, -EINVAL, "empty item at position 2");
	assert_parse_error(cpuset_parse_list(&s, "0-7:0", 0, &err), err, -EINVAL, "stride 0 at position 4");
	assert_parse_error(cpuset_parse_list(&s, "0-7:", 0, &err), err, -EINVAL, "position 4");
	assert_parse_error(cpuset_parse_list(&s, "99999999999", 0, &err), err, -ERANGE, "number too large");
	assert_parse_error(cpuset_parse_list(&s, "8", 8, &err), err, -ERANGE, "beyond the kernel's limit (0-7)");
	assert_parse_error(cpuset_parse_list(&s, "0-8", 8, &err), err, -ERANGE, "CPU 8 at position 2");
	assert_parse_error(cpuset_parse_list(&s, "8192", 0, &err), err, -ERANGE, "beyond the kernel's limit");
	/* A NULL error pointer is allowed. */
	assert_int_equal(cpuset_parse_list(&s, "x", 0, NULL), -EINVAL);
}

static void mask_is(const char *in, const char *want)
{
	struct cpuset s;
	struct pin_error err = { 0 };
	char buf[256];

	if (cpuset_parse_mask(&s, in, 0, &err) != 0)
		fail_msg("'%s' did not parse: %s", in, err.msg);
	assert_true(cpuset_format_list(&s, buf, sizeof(buf)) >= 0);
	assert_string_equal(buf, want);
}

static void test_mask_forms(void **state)
{
	(void)state;
	mask_is("0xf0", "4-7");
	mask_is("0x0f", "0-3");
	mask_is("f0", "4-7");
	mask_is("0XF0", "4-7");
	mask_is("0x1", "0");
	mask_is("0x0", "");
	mask_is("0x10000000000000000", "64");
	/* The kernel's format: 32-bit groups, the rightmost lowest. */
	mask_is("ff,ffffffff", "0-39");
	mask_is("1,00000000", "32");
	mask_is("00000001,00000000,00000003", "0-1,64");
}

static void test_mask_errors(void **state)
{
	struct cpuset s;
	struct pin_error err;

	(void)state;
	assert_parse_error(cpuset_parse_mask(&s, "0x", 0, &err), err, -EINVAL, "empty mask");
	assert_parse_error(cpuset_parse_mask(&s, "", 0, &err), err, -EINVAL, "empty mask");
	assert_parse_error(cpuset_parse_mask(&s, "0xfg", 0, &err), err, -EINVAL, "unexpected 'g' at position 3");
	assert_parse_error(cpuset_parse_mask(&s, "0x100", 8, &err), err, -ERANGE, "CPU 8, beyond the kernel's limit (0-7)");
	assert_parse_error(cpuset_parse_mask(&s, "1,,2", 0, &err), err, -EINVAL, "empty group");
	assert_parse_error(cpuset_parse_mask(&s, "1,", 0, &err), err, -EINVAL, "empty group");
	assert_parse_error(cpuset_parse_mask(&s, ",1", 0, &err), err, -EINVAL, "empty group");
	assert_parse_error(cpuset_parse_mask(&s, "123456789,0", 0, &err), err, -EINVAL, "more than 8 hex digits");
}

static void test_auto_and_format(void **state)
{
	struct cpuset s;
	char buf[64];

	(void)state;
	assert_int_equal(cpuset_parse(&s, "0x3", 0, NULL), 0);
	assert_int_equal(cpuset_count(&s), 2);
	assert_int_equal(cpuset_parse(&s, "3", 0, NULL), 0);
	assert_true(cpuset_isset(&s, 3));
	assert_int_equal(cpuset_count(&s), 1);

	assert_int_equal(cpuset_parse_list(&s, "4-7", 0, NULL), 0);
	assert_int_equal(cpuset_format_mask(&s, buf, sizeof(buf)), 4);
	assert_string_equal(buf, "0xf0");
	assert_int_equal(cpuset_parse_list(&s, "0,32", 0, NULL), 0);
	cpuset_format_mask(&s, buf, sizeof(buf));
	assert_string_equal(buf, "0x100000001");
	cpuset_zero(&s);
	cpuset_format_mask(&s, buf, sizeof(buf));
	assert_string_equal(buf, "0x0");
	assert_int_equal(cpuset_format_list(&s, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	/* Too small a buffer is reported, not overrun. */
	assert_int_equal(cpuset_parse_list(&s, "0,2,4,6,8,10", 0, NULL), 0);
	assert_int_equal(cpuset_format_list(&s, buf, 5), -ENOSPC);
	assert_int_equal(cpuset_format_mask(&s, buf, 4), -ENOSPC);
}

static void test_roundtrip(void **state)
{
	struct cpuset s, back;
	char *list, mask[CPUSET_MAX / 4 + 8];

	(void)state;
	srand(2017);
	for (int round = 0; round < 200; round++) {
		cpuset_zero(&s);
		for (int k = rand() % 40; k > 0; k--)
			cpuset_set(&s, (unsigned)(rand() % (round < 100 ? 70 : CPUSET_MAX)));
		if (cpuset_empty(&s))
			cpuset_set(&s, 1);
		list = cpuset_to_list(&s);
		assert_non_null(list);
		assert_int_equal(cpuset_parse_list(&back, list, 0, NULL), 0);
		assert_true(cpuset_equal(&s, &back));
		free(list);
		assert_true(cpuset_format_mask(&s, mask, sizeof(mask)) > 0);
		assert_int_equal(cpuset_parse_mask(&back, mask, 0, NULL), 0);
		assert_true(cpuset_equal(&s, &back));
	}
}

static void test_set_ops(void **state)
{
	struct cpuset a, b, c;

	(void)state;
	cpuset_parse_list(&a, "0-7", 0, NULL);
	cpuset_parse_list(&b, "4-11", 0, NULL);
	assert_true(cpuset_intersects(&a, &b));
	cpuset_and(&c, &a, &b);
	assert_int_equal(cpuset_count(&c), 4);
	assert_true(cpuset_subset(&c, &a));
	assert_false(cpuset_subset(&a, &c));
	cpuset_andnot(&c, &a, &b);
	assert_int_equal(cpuset_next(&c, -1), 0);
	assert_int_equal(cpuset_next(&c, 3), -1);
	cpuset_or(&c, &a, &b);
	assert_int_equal(cpuset_count(&c), 12);
	cpuset_zero(&c);
	cpuset_set(&c, 100);
	cpuset_set(&c, 4000);
	assert_int_equal(cpuset_next(&c, 100), 4000);
	cpuset_clr(&c, 4000);
	assert_int_equal(cpuset_next(&c, 100), -1);
	assert_false(cpuset_isset(&c, -1));
	assert_false(cpuset_isset(&c, CPUSET_MAX));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_list_forms),
		cmocka_unit_test(test_list_errors),
		cmocka_unit_test(test_mask_forms),
		cmocka_unit_test(test_mask_errors),
		cmocka_unit_test(test_auto_and_format),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_set_ops),
	};
	return cmocka_run_group_tests_name("cpuset", tests, NULL, NULL);
}
