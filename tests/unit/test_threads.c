/* SPDX-License-Identifier: BSD-3-Clause */
/* Threads of a process from a fixture /proc, and real affinity on this host. */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <unistd.h>

#include "base/fsroot.h"
#include "pinning/threads.h"
#include "unit.h"

static int to_fixture(void **state)
{
	(void)state;
	return fsroot_set(FIXTURES "/host-2017");
}

static int to_live(void **state)
{
	(void)state;
	return fsroot_set(NULL);
}

static void test_list(void **state)
{
	struct task *t;
	char buf[64];
	int n;

	(void)state;
	n = task_list(1000, &t);
	assert_int_equal(n, 4);
	assert_int_equal(t[0].tid, 1000);
	assert_string_equal(t[0].name, "qemu-system-x86");
	assert_int_equal(t[1].tid, 1001);
	assert_string_equal(t[1].name, "CPU 0/TCG");
	cpuset_format_list(&t[1].allowed, buf, sizeof(buf));
	assert_string_equal(buf, "4");
	assert_int_equal(t[1].last_cpu, 4);
	assert_int_equal(t[1].policy, SCHED_FIFO);
	assert_int_equal(t[1].rt_priority, 10);
	assert_string_equal(task_policy_name(t[1].policy), "fifo");
	assert_int_equal(t[1].voluntary, 42);
	assert_int_equal(t[1].involuntary, 7);
	assert_int_equal(t[1].runtime_ns, 900000000);
	cpuset_format_list(&t[2].allowed, buf, sizeof(buf));
	assert_string_equal(buf, "4-7");
	assert_int_equal(t[2].last_cpu, 6);
	assert_int_equal(t[2].migrations, 12);
	assert_string_equal(task_policy_name(t[2].policy), "other");
	free(t);
}

static void test_missing(void **state)
{
	struct task *t;
	struct task one;

	(void)state;
	assert_int_equal(task_list(999, &t), -ESRCH);
	assert_null(t);
	assert_int_equal(task_read(1000, 4242, &one), -ENOENT);
}

static void test_vcpu_names(void **state)
{
	(void)state;
	assert_int_equal(task_vcpu_index("CPU 0/TCG"), 0);
	assert_int_equal(task_vcpu_index("CPU 12/KVM"), 12);
	assert_int_equal(task_vcpu_index("CPU 3/HVF"), 3);
	assert_int_equal(task_vcpu_index("ALL CPUs/TCG"), -1);
	assert_int_equal(task_vcpu_index("CPU /KVM"), -1);
	assert_int_equal(task_vcpu_index("CPU 1"), -1);
	assert_int_equal(task_vcpu_index("CPU 1/kvm"), -1);
	assert_int_equal(task_vcpu_index("qemu-system-x86"), -1);
	assert_int_equal(task_vcpu_index("worker"), -1);
}

static void test_self_allowed_fixture(void **state)
{
	struct cpuset s;

	(void)state;
	assert_int_equal(task_self_allowed(&s), 0);
	assert_int_equal(cpuset_count(&s), 8);
}

/* Pin this very thread to one CPU, read it back through both paths, restore. */
static void test_live_affinity(void **state)
{
	struct cpuset before, one, back;
	struct task t;
	pid_t tid = gettid();
	int cpu;

	(void)state;
	assert_int_equal(task_get_affinity(tid, &before), 0);
	cpu = cpuset_next(&before, -1);
	cpuset_zero(&one);
	cpuset_set(&one, cpu);
	assert_int_equal(task_set_affinity(tid, &one), 0);
	assert_int_equal(task_get_affinity(tid, &back), 0);
	assert_true(cpuset_equal(&back, &one));
	assert_int_equal(task_read(getpid(), tid, &t), 0);
	assert_true(cpuset_equal(&t.allowed, &one));
	assert_int_equal(t.last_cpu, cpu);
	assert_int_equal(task_set_affinity(tid, &before), 0);
	/* An empty set is refused by the kernel, and the error comes back. */
	cpuset_zero(&one);
	assert_int_equal(task_set_affinity(tid, &one), -EINVAL);
	assert_int_equal(task_set_affinity(999999999, &before), -ESRCH);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_list, to_fixture, to_live),
		cmocka_unit_test_setup_teardown(test_missing, to_fixture, to_live),
		cmocka_unit_test(test_vcpu_names),
		cmocka_unit_test_setup_teardown(test_self_allowed_fixture, to_fixture, to_live),
		cmocka_unit_test(test_live_affinity),
	};
	return cmocka_run_group_tests_name("threads", tests, NULL, NULL);
}
