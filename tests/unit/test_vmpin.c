/* SPDX-License-Identifier: BSD-3-Clause */
/* The pinning procedure against a fake QMP server: nothing is pinned until every
 * thread id QMP gave is known to be a thread of that QEMU. */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fakeqmp.h"
#include "launcher/qmp.h"
#include "unit.h"
#include "launcher/vmpin.h"

#define GREETING "S {\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, \"major\": 7}, \"package\": \"\"}, \"capabilities\": []}}\n" \
	"C qmp_capabilities\nS {\"return\": {}, \"id\": @ID}\n"

/* QMP names this test's own thread as the vCPU of another process: refused, and this
 * thread's affinity is left as it was (before, it was pinned first and checked after). */
static void test_foreign_tid(void **state)
{
	char script[1024], msg[512];
	struct fakeqmp f;
	struct qmp_error err;
	struct vmpin_plan plan = { 0 };
	struct vmap map = { 0 };
	cpu_set_t before, after;
	json_t *res = NULL;
	struct qmp *q;
	pid_t other;
	int cpu = 0;

	(void)state;
	other = fork();
	assert_true(other >= 0);
	if (other == 0) {
		pause();
		_exit(0);
	}
	sched_getaffinity(0, sizeof(before), &before);
	while (cpu < CPU_SETSIZE && !CPU_ISSET(cpu, &before))
		cpu++;
	snprintf(script, sizeof(script),
		 GREETING "C query-cpus-fast\nS {\"return\": [{\"thread-id\": %d, \"props\": {\"core-id\": 0, \"thread-id\": 0, \"socket-id\": 0}, \"cpu-index\": 0, \"target\": \"x86_64\"}], \"id\": @ID}\n",
		 (int)getpid());
	assert_int_equal(fakeqmp_start(&f, script, FAKE_LINES), 0);
	q = qmp_open_fd(f.client_fd, 2000, &err);
	assert_non_null(q);
	assert_int_equal(vmap_from_array(&map, &cpu, 1), 0);
	plan.map = &map;
	cpuset_zero(&plan.emulator);
	cpuset_set(&plan.emulator, (unsigned)cpu);
	assert_int_equal(vmpin_apply(q, other, &plan, &res, msg, sizeof(msg)), -ESRCH);
	assert_null(res);
	if (!strstr(msg, "which is not a thread of QEMU") || !strstr(msg, "nothing pinned"))
		fail_msg("message: %s", msg);
	sched_getaffinity(0, sizeof(after), &after);
	assert_true(CPU_EQUAL(&before, &after));
	qmp_close(q);
	fakeqmp_stop(&f);
	vmap_free(&map);
	kill(other, SIGKILL);
	waitpid(other, NULL, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_foreign_tid),
	};
	return cmocka_run_group_tests_name("vmpin", tests, NULL, NULL);
}
