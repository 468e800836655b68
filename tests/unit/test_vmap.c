/* SPDX-License-Identifier: BSD-3-Clause */
/* vCPU maps: both forms, and each error a user can make. */
#include <errno.h>

#include "unit.h"
#include "pinning/vmap.h"

static void map_is(const char *in, const char *want)
{
	struct vmap m;
	struct pin_error err = { 0 };
	char buf[256];

	if (vmap_parse(&m, in, 0, &err) != 0)
		fail_msg("'%s' did not parse: %s", in, err.msg);
	assert_true(vmap_format(&m, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, want);
	vmap_free(&m);
}

static void test_forms(void **state)
{
	(void)state;
	map_is("0:4,1:5,2:6,3:7", "0:4,1:5,2:6,3:7");
	map_is("0-3:4-7", "0:4,1:5,2:6,3:7");
	map_is("1:5,0:4", "0:4,1:5");
	map_is("0-1:4-5,2:8", "0:4,1:5,2:8");
	map_is("0-3:0-6:2", "0:0,1:2,2:4,3:6");
	map_is("0:1,1:0", "0:1,1:0");
	map_is("0:3", "0:3");
}

static void test_errors(void **state)
{
	struct vmap m;
	struct pin_error err;

	(void)state;
	assert_parse_error(vmap_parse(&m, "", 0, &err), err, -EINVAL, "empty vCPU map");
	assert_parse_error(vmap_parse(&m, "0:4,0:5", 0, &err), err, -EINVAL, "vCPU 0 is mapped twice (to 4 and 5)");
	assert_parse_error(vmap_parse(&m, "0-1:4-5,1:6", 0, &err), err, -EINVAL, "vCPU 1 is mapped twice");
	assert_parse_error(vmap_parse(&m, "0:4,2:6", 0, &err), err, -EINVAL, "vCPU 1 is missing");
	assert_parse_error(vmap_parse(&m, "1:4", 0, &err), err, -EINVAL, "vCPU 0 is missing");
	assert_parse_error(vmap_parse(&m, "0-3:4-6", 0, &err), err, -EINVAL, "maps 4 vCPUs to 3 CPUs");
	assert_parse_error(vmap_parse(&m, "0:", 0, &err), err, -EINVAL, "empty CPU list at position 2");
	assert_parse_error(vmap_parse(&m, ":4", 0, &err), err, -EINVAL, "empty vCPU list at position 0");
	assert_parse_error(vmap_parse(&m, "0:4,", 0, &err), err, -EINVAL, "empty item at position 4");
	assert_parse_error(vmap_parse(&m, "0:4,,1:5", 0, &err), err, -EINVAL, "position 4");
	assert_parse_error(vmap_parse(&m, "0-3", 0, &err), err, -EINVAL, "is not VCPU:CPU");
	assert_parse_error(vmap_parse(&m, "0:4x", 0, &err), err, -EINVAL, "unexpected 'x' at position 3");
	assert_parse_error(vmap_parse(&m, "0:4,1:5-4", 0, &err), err, -EINVAL, "reversed range 5-4 at position 6");
	assert_parse_error(vmap_parse(&m, "0:9", 8, &err), err, -ERANGE, "beyond the kernel's limit (0-7)");
	assert_parse_error(vmap_parse(&m, "0:4:5", 0, &err), err, -EINVAL, "position");
	assert_parse_error(vmap_parse(&m, "a:4", 0, &err), err, -EINVAL, "unexpected 'a' at position 0");
	assert_null(m.cpu);
}

static void test_shared_is_not_a_parse_error(void **state)
{
	struct vmap m;
	struct cpuset shared, cpus;

	(void)state;
	assert_int_equal(vmap_parse(&m, "0:4,1:4,2:5,3:5,4:6", 0, NULL), 0);
	assert_int_equal(vmap_shared(&m, &shared), 2);
	assert_true(cpuset_isset(&shared, 4));
	assert_true(cpuset_isset(&shared, 5));
	assert_false(cpuset_isset(&shared, 6));
	vmap_cpus(&m, &cpus);
	assert_int_equal(cpuset_count(&cpus), 3);
	vmap_free(&m);
	assert_int_equal(vmap_parse(&m, "0:4,1:5", 0, NULL), 0);
	assert_int_equal(vmap_shared(&m, &shared), 0);
	vmap_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forms),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_shared_is_not_a_parse_error),
	};
	return cmocka_run_group_tests_name("vmap", tests, NULL, NULL);
}
