/* SPDX-License-Identifier: BSD-3-Clause */
/* Busy pollers (pinning/pollers.c): the judging on samples made up here, and one real
 * poller of our own (a child that spins on CPU 0) found by a live sample. */
#include <sched.h>
#include <stdbool.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pinning/pollers.h"
#include "unit.h"

static void test_judge(void **state)
{
	/* 100 ms apart: 95 ms, 2 ms, 90 ms (on CPU 0, not asked), 99 ms (ours), a thread
	 * born in between, one whose run time went back (a tid reused). */
	const struct poll_sample a[] = {
		{ 10, 11, 1, 1000000000ull }, { 20, 21, 1, 5000000ull }, { 30, 31, 0, 0 },
		{ 40, 41, 1, 0 }, { 60, 61, 1, 900000000ull },
	};
	const struct poll_sample b[] = {
		{ 10, 11, 1, 1095000000ull }, { 20, 21, 1, 7000000ull }, { 30, 31, 0, 90000000ull },
		{ 40, 41, 1, 99000000ull }, { 50, 51, 1, 99000000ull }, { 60, 61, 1, 1000000ull },
	};
	struct cpuset cpus;
	struct poller out[8];
	unsigned n;

	(void)state;
	cpuset_zero(&cpus);
	cpuset_set(&cpus, 1);
	n = pollers_judge(a, 5, b, 6, 100000000ull, &cpus, 0.5, 40, out, 8);
	assert_int_equal(n, 1);
	assert_int_equal(out[0].tid, 11);
	assert_int_equal(out[0].cpu, 1);
	assert_true(out[0].share > 0.94 && out[0].share < 0.96);
	/* Both CPUs, nothing of ours excluded: the vCPU-like one on CPU 0 and ours too. */
	cpuset_set(&cpus, 0);
	n = pollers_judge(a, 5, b, 6, 100000000ull, &cpus, 0.5, 0, out, 8);
	assert_int_equal(n, 3);
	/* At most @max; no time, no pollers. */
	assert_int_equal(pollers_judge(a, 5, b, 6, 100000000ull, &cpus, 0.5, 0, out, 1), 1);
	assert_int_equal(pollers_judge(a, 5, b, 6, 0, &cpus, 0.5, 0, out, 8), 0);
}

/* A child of ours spinning on CPU 0 is found there, named, and said in one line. */
static void test_live(void **state)
{
	struct cpuset cpus;
	struct poller out[64];
	char line[256];
	pid_t child;
	int n, found = 0;
	bool seen = false;

	(void)state;
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		cpu_set_t s;
		CPU_ZERO(&s);
		CPU_SET(0, &s);
		sched_setaffinity(0, sizeof(s), &s);
		for (;;)
			; /* spins until killed */
	}
	cpuset_zero(&cpus);
	cpuset_set(&cpus, 0);
	/* A shared host may give it less than all of CPU 0: a third is a poller here. */
	n = pollers_find(&cpus, 300, 0.3, getpid(), out, 64);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	assert_true(n >= 1);
	for (int i = 0; i < n; i++)
		if (out[i].pid == child) {
			found = i;
			seen = true;
		}
	assert_true(seen);
	assert_int_equal(out[found].cpu, 0);
	assert_string_equal(out[found].process, out[found].comm);
	assert_true(out[found].age_s >= 0 && out[found].age_s < 60);
	pollers_describe(&out[found], line, sizeof(line));
	assert_non_null(strstr(line, "CPU 0: thread '"));
	assert_non_null(strstr(line, "used "));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_judge),
		cmocka_unit_test(test_live),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
