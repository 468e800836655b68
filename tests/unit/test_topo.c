/* SPDX-License-Identifier: BSD-3-Clause */
/* Topology through hwloc: synthetic hosts (the 2017 lab host among them), an XML file, errors. */
#include <errno.h>

#include "pinning/topo.h"
#include "unit.h"

#define HOST_2017 "pack:1 core:4 pu:2(indexes=0,4,1,5,2,6,3,7)"

static void expect_list(const struct cpuset *s, const char *want)
{
	char buf[256];

	cpuset_format_list(s, buf, sizeof(buf));
	assert_string_equal(buf, want);
}

/* The seed's host: 4 cores, Linux numbers siblings N and N+4. */
static void check_2017(struct topo *t)
{
	struct cpuset s;

	assert_non_null(t);
	assert_int_equal(topo_ncores(t), 4);
	assert_int_equal(topo_threads_per_core(t), 2);
	assert_int_equal(topo_nnodes(t), 1);
	topo_cpus(t, &s);
	expect_list(&s, "0-7");
	assert_int_equal(topo_siblings(t, 0, &s), 0);
	expect_list(&s, "0,4");
	assert_int_equal(topo_siblings(t, 5, &s), 0);
	expect_list(&s, "1,5");
	assert_int_equal(topo_core_of(t, 4), topo_core_of(t, 0));
	assert_int_not_equal(topo_core_of(t, 1), topo_core_of(t, 0));
	assert_int_equal(topo_numa_of(t, 7), 0);
	assert_int_equal(topo_package_of(t, 7), 0);
	assert_int_equal(topo_core_cpus(t, 3, &s), 0);
	expect_list(&s, "3,7");
	assert_int_equal(topo_core_of(t, 8), -ENOENT);
	assert_int_equal(topo_siblings(t, 8, &s), -ENOENT);
	assert_int_equal(topo_numa_of(t, -1), -ENOENT);
	assert_int_equal(topo_core_cpus(t, 4, &s), -ENOENT);
	assert_false(topo_is_this_host(t));
}

static void test_synthetic_2017(void **state)
{
	struct topo *t = topo_load_synthetic(HOST_2017);

	(void)state;
	check_2017(t);
	assert_string_equal(topo_source(t), "synthetic " HOST_2017);
	topo_free(t);
}

static void test_xml_2017(void **state)
{
	struct topo *t = topo_load_xml(FIXTURES "/topo/host-2017.xml");

	(void)state;
	check_2017(t);
	topo_free(t);
	t = topo_load_spec(FIXTURES "/topo/host-2017.xml");
	check_2017(t);
	topo_free(t);
	t = topo_load_spec(HOST_2017);
	check_2017(t);
	topo_free(t);
}

static void test_numa_and_caches(void **state)
{
	struct topo *t = topo_load_synthetic("numa:2 l3:1 l2:2 core:2 pu:2");
	struct cpuset s;

	(void)state;
	assert_non_null(t);
	assert_int_equal(topo_nnodes(t), 2);
	assert_int_equal(topo_ncores(t), 8);
	assert_int_equal(topo_numa_of(t, 0), 0);
	assert_int_equal(topo_numa_of(t, 15), 1);
	assert_int_equal(topo_node_cpus(t, 1, &s), 0);
	expect_list(&s, "8-15");
	assert_int_equal(topo_node_cpus(t, 2, &s), -ENOENT);
	/* 0,1 share a core (no L1 in this description), 0-3 an L2, 0-7 an L3, 0 and 8 nothing. */
	assert_int_equal(topo_shared_cache(t, 0, 1), 2);
	assert_int_equal(topo_shared_cache(t, 0, 3), 2);
	assert_int_equal(topo_shared_cache(t, 0, 4), 3);
	assert_int_equal(topo_shared_cache(t, 0, 8), 0);
	assert_int_equal(topo_shared_cache(t, 0, 99), -ENOENT);
	topo_free(t);
}

static void test_errors(void **state)
{
	(void)state;
	errno = 0;
	assert_null(topo_load_xml(FIXTURES "/topo/no-such-file.xml"));
	assert_int_equal(errno, ENOENT);
	assert_null(topo_load_synthetic("cores:banana"));
	assert_null(topo_load_spec("/nonexistent/topology.xml"));
}

static void test_live(void **state)
{
	struct topo *t = topo_load_live();
	struct cpuset s;

	(void)state;
	assert_non_null(t);
	assert_true(topo_is_this_host(t));
	topo_cpus(t, &s);
	assert_true(cpuset_count(&s) >= 1);
	assert_true(topo_ncores(t) >= 1);
	assert_int_equal(topo_siblings(t, cpuset_next(&s, -1), &s), 0);
	topo_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_synthetic_2017),
		cmocka_unit_test(test_xml_2017),
		cmocka_unit_test(test_numa_and_caches),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_live),
	};
	return cmocka_run_group_tests_name("topo", tests, NULL, NULL);
}
