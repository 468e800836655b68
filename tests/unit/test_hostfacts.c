/* SPDX-License-Identifier: BSD-3-Clause */
/* Host facts from fixture trees: a prepared 2017 host and a bare one. */
#include <errno.h>

#include "base/fsroot.h"
#include "pinning/hostfacts.h"
#include "unit.h"

static void expect_list(const struct cpuset *s, const char *want)
{
	char buf[256];

	cpuset_format_list(s, buf, sizeof(buf));
	assert_string_equal(buf, want);
}

static void test_host_2017(void **state)
{
	struct hostfacts h;

	(void)state;
	assert_int_equal(fsroot_set(FIXTURES "/host-2017"), 0);
	assert_int_equal(hostfacts_read(&h), 0);
	assert_int_equal(h.cpu_limit, 64);
	expect_list(&h.online, "0-7");
	expect_list(&h.allowed, "0-7");
	assert_true(h.has_isolcpus);
	expect_list(&h.isolcpus, "4-7");
	assert_string_equal(h.isolcpus_flags, "managed_irq,domain");
	assert_true(h.has_nohz_full);
	expect_list(&h.nohz_full, "4-7");
	assert_true(h.has_rcu_nocbs); /* written rcu-nocbs=: the kernel treats - and _ alike */
	expect_list(&h.rcu_nocbs, "4-7");
	assert_true(h.has_irqaffinity);
	expect_list(&h.irqaffinity, "0-3");
	expect_list(&h.sys_isolated, "4-7");
	expect_list(&h.sys_nohz_full, "4-7");
	expect_list(&h.cgroup_isolated, "6-7");
	expect_list(&h.isolated, "4-7");
	assert_int_equal(h.nirqs, 3);
	assert_int_equal(h.irqs[0].irq, 24);
	assert_string_equal(h.irqs[0].name, "eth0-rx-0");
	expect_list(&h.irqs[1].affinity, "0"); /* effective affinity wins over smp_affinity_list */
	assert_int_equal(h.irqs[2].irq, 30);
	expect_list(&h.irqs[2].affinity, "5");
	assert_int_equal(h.irqbalance_pid, 77);
	assert_string_equal(h.smt_control, "on");
	assert_int_equal(h.smt_active, 1);
	assert_int_equal(h.ngovs, 8);
	assert_string_equal(h.govs[7].governor, "powersave");
	assert_string_equal(h.thp, "always");
	assert_int_equal(h.npools, 2);
	assert_int_equal(h.pools[0].node, 0);
	assert_int_equal(h.pools[0].size_kb, 2048);
	assert_int_equal(h.pools[0].total, 512);
	assert_int_equal(h.pools[0].free, 256);
	assert_int_equal(h.pools[1].size_kb, 1048576);
	assert_int_equal(h.hugetlbfs_mounts, 1);
	assert_true(h.kvm_dev);
	assert_string_equal(h.kvm_module, "kvm_intel");
	hostfacts_free(&h);
	fsroot_set(NULL);
}

static void test_host_bare(void **state)
{
	struct hostfacts h;
	struct cpuset s;
	struct pin_error err;

	(void)state;
	assert_int_equal(fsroot_set(FIXTURES "/host-bare"), 0);
	assert_int_equal(hostfacts_read(&h), 0);
	assert_int_equal(h.cpu_limit, 8);
	expect_list(&h.online, "0-2");
	expect_list(&h.present, "0-3");
	expect_list(&h.allowed, "0-1");
	assert_false(h.has_isolcpus);
	assert_true(cpuset_empty(&h.isolated));
	assert_int_equal(h.irqbalance_pid, 0);
	assert_int_equal(h.ngovs, 0);
	assert_string_equal(h.thp, "madvise");
	assert_int_equal(h.npools, 1);
	assert_int_equal(h.pools[0].node, -1);
	assert_int_equal(h.hugetlbfs_mounts, 0);
	assert_true(h.kvm_dev);
	assert_string_equal(h.kvm_module, "");

	cpuset_parse_list(&s, "1", 0, NULL);
	assert_int_equal(hostfacts_check_cpus(&h, &s, "vCPU 0 is mapped to", &err), 0);
	cpuset_parse_list(&s, "5", 0, NULL);
	assert_parse_error(hostfacts_check_cpus(&h, &s, "vCPU 0 is mapped to", &err), err, -ENODEV,
			   "vCPU 0 is mapped to CPU 5, which does not exist on this host (CPUs 0-3)");
	cpuset_parse_list(&s, "3", 0, NULL);
	assert_parse_error(hostfacts_check_cpus(&h, &s, "host lcores include", &err), err, -EBUSY,
			   "host lcores include CPU 3, which is offline");
	cpuset_parse_list(&s, "2", 0, NULL);
	assert_parse_error(hostfacts_check_cpus(&h, &s, "vCPU 1 is mapped to", &err), err, -EPERM,
			   "CPU 2, outside the CPUs this process may use (0-1");
	hostfacts_free(&h);
	fsroot_set(NULL);
}

static void test_cmdline(void **state)
{
	struct hostfacts h = { .cpu_limit = 64 };

	(void)state;
	cpuset_parse_list(&h.possible, "0-15", 0, NULL);
	hostfacts_parse_cmdline(&h, "isolcpus=2-3 rcu_nocbs=all nohz_full=junk");
	assert_true(h.has_isolcpus);
	assert_string_equal(h.isolcpus_flags, "");
	assert_int_equal(cpuset_count(&h.isolcpus), 2);
	assert_true(h.has_rcu_nocbs);
	assert_int_equal(cpuset_count(&h.rcu_nocbs), 16);
	assert_false(h.has_nohz_full);

	struct hostfacts g = { .cpu_limit = 64 };
	hostfacts_parse_cmdline(&g, "quiet isolcpus=nohz,managed_irq,1,3 -- isolcpus=5 nohz_full=1");
	assert_string_equal(g.isolcpus_flags, "nohz,managed_irq");
	assert_true(cpuset_isset(&g.isolcpus, 1) && cpuset_isset(&g.isolcpus, 3));
	assert_false(cpuset_isset(&g.isolcpus, 5)); /* after "--" the words are init's */
	assert_false(g.has_nohz_full);

	/* A host booted with isolcpus=2-N: N is the last CPU there is, not the kernel's maximum. */
	struct hostfacts n = { .cpu_limit = 8192 };
	char list[64];
	cpuset_parse_list(&n.possible, "0-7", 0, NULL);
	hostfacts_parse_cmdline(&n, "isolcpus=domain,managed_irq,2-N nohz_full=2-N rcu_nocbs=1-7:1/2 irqaffinity=0\n");
	assert_string_equal(n.isolcpus_flags, "domain,managed_irq");
	cpuset_format_list(&n.isolcpus, list, sizeof(list));
	assert_string_equal(list, "2-7");
	cpuset_format_list(&n.nohz_full, list, sizeof(list));
	assert_string_equal(list, "2-7");
	cpuset_format_list(&n.rcu_nocbs, list, sizeof(list));
	assert_string_equal(list, "1,3,5,7");
	assert_true(n.has_irqaffinity && cpuset_isset(&n.irqaffinity, 0));
}

static void test_bad_root(void **state)
{
	(void)state;
	assert_int_equal(fsroot_set(FIXTURES "/no-such-root"), -ENOENT);
	assert_int_equal(fsroot_set(FIXTURES "/topo/host-2017.xml"), -ENOTDIR);
	assert_true(fsroot_is_live());
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_host_2017),
		cmocka_unit_test(test_host_bare),
		cmocka_unit_test(test_cmdline),
		cmocka_unit_test(test_bad_root),
	};
	return cmocka_run_group_tests_name("hostfacts", tests, NULL, NULL);
}
