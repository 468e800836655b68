/* SPDX-License-Identifier: BSD-3-Clause */
/* The QMP client against a fake server replaying QEMU 7.2's real transcript
 * (line by line, batched, split mid-message) and broken ones. */
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "fakeqmp.h"
#include "launcher/qmp.h"
#include "unit.h"

static const char *const mode_names[] = { "lines", "batched", "split" };

static struct qmp *open_fake(struct fakeqmp *f, const char *script, enum fake_mode mode, struct qmp_error *err)
{
	struct qmp *q;

	assert_int_equal(fakeqmp_start(f, script, mode), 0);
	q = qmp_open_fd(f->client_fd, 2000, err);
	return q;
}

/* The whole launch sequence vmlaunch runs, as QEMU 7.2 answered it. */
static void replay_launch(enum fake_mode mode)
{
	struct fakeqmp f;
	struct qmp_error err = { 0 };
	struct qmp_vcpu *v;
	struct qmp *q = open_fake(&f, "@qemu72-launch.txt", mode, &err);
	json_t *ret, *ev;

	if (!q)
		fail_msg("%s: %s", mode_names[mode], err.desc);
	assert_string_equal(qmp_version(q), "7.2.22");
	/* The host thread ids, not props.thread-id (0 for both). */
	assert_int_equal(qmp_query_vcpus(q, &v, &err), 2);
	assert_int_equal(v[0].index, 0);
	assert_int_equal(v[0].tid, 18845);
	assert_int_equal(v[1].tid, 18846);
	free(v);
	assert_int_equal(qmp_execute(q, "query-status", NULL, &ret, &err), 0);
	assert_string_equal(json_string_value(json_object_get(ret, "status")), "prelaunch");
	json_decref(ret);
	/* RESUME arrives before cont's reply: it is queued, not taken for the reply. */
	assert_int_equal(qmp_execute(q, "cont", NULL, NULL, &err), 0);
	ev = qmp_next_event(q);
	assert_non_null(ev);
	assert_string_equal(json_string_value(json_object_get(ev, "event")), "RESUME");
	json_decref(ev);
	assert_null(qmp_next_event(q));
	assert_int_equal(qmp_execute(q, "no-such-command", NULL, NULL, &err), -EIO);
	assert_string_equal(err.cls, "CommandNotFound");
	assert_string_equal(err.desc, "The command no-such-command has not been found");
	assert_int_equal(qmp_execute(q, "system_powerdown", NULL, NULL, &err), 0);
	assert_int_equal(qmp_wait_event(q, "POWERDOWN", 100, NULL, &err), 0);
	assert_int_equal(qmp_execute(q, "quit", NULL, NULL, &err), 0);
	assert_int_equal(qmp_wait_event(q, "SHUTDOWN", 100, &ev, &err), 0);
	assert_string_equal(json_string_value(json_object_get(json_object_get(ev, "data"), "reason")), "host-qmp-quit");
	json_decref(ev);
	assert_int_equal(qmp_wait_hangup(q, 2000), 0);
	qmp_close(q);
	if (!fakeqmp_stop(&f))
		fail_msg("%s: %s", mode_names[mode], f.failure);
}

static void test_launch_lines(void **state) { (void)state; replay_launch(FAKE_LINES); }
static void test_launch_batched(void **state) { (void)state; replay_launch(FAKE_BATCHED); }
static void test_launch_split(void **state) { (void)state; replay_launch(FAKE_SPLIT); }

#define GREETING "S {\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, \"major\": 7}, \"package\": \"\"}, \"capabilities\": [\"oob\"]}}\n" \
	"C qmp_capabilities\nS {\"return\": {}, \"id\": @ID}\n"

static void test_single_thread_tcg(void **state)
{
	struct fakeqmp f;
	struct qmp_error err;
	struct qmp_vcpu *v;
	struct qmp *q = open_fake(&f, "@qemu72-single-thread.txt", FAKE_LINES, &err);

	(void)state;
	assert_non_null(q);
	assert_int_equal(qmp_query_vcpus(q, &v, &err), 2);
	assert_int_equal(v[0].tid, v[1].tid); /* the caller must refuse to pin this */
	free(v);
	qmp_close(q);
	assert_true(fakeqmp_stop(&f));
}

static void test_malformed(void **state)
{
	struct fakeqmp f;
	struct qmp_error err;
	struct qmp *q = open_fake(&f, GREETING "C query-status\nRAW {\"return\": {\"status\": \n", FAKE_LINES, &err);

	(void)state;
	assert_non_null(q);
	assert_int_equal(qmp_execute(q, "query-status", NULL, NULL, &err), -EPROTO);
	assert_string_equal(err.desc, "QEMU sent malformed JSON on the QMP socket");
	qmp_close(q);
	assert_true(fakeqmp_stop(&f));
}

static void test_hangup_mid_reply(void **state)
{
	struct fakeqmp f;
	struct qmp_error err;
	struct qmp *q = open_fake(&f, GREETING "C query-cpus-fast\nPARTIAL {\"return\": [{\"thread-id\": 12", FAKE_LINES, &err);

	(void)state;
	assert_non_null(q);
	assert_int_equal(qmp_execute(q, "query-cpus-fast", NULL, NULL, &err), -ECONNRESET);
	assert_string_equal(err.desc, "QEMU closed the QMP connection in the middle of a message");
	/* Once hung up, every call says so at once. */
	assert_int_equal(qmp_execute(q, "cont", NULL, NULL, &err), -ECONNRESET);
	qmp_close(q);
	fakeqmp_stop(&f);
}

static void test_hangup_between(void **state)
{
	struct fakeqmp f;
	struct qmp_error err;
	struct qmp *q = open_fake(&f, GREETING "C cont\nHANGUP\n", FAKE_LINES, &err);

	(void)state;
	assert_non_null(q);
	assert_int_equal(qmp_execute(q, "cont", NULL, NULL, &err), -ECONNRESET);
	assert_string_equal(err.desc, "QEMU closed the QMP connection");
	qmp_close(q);
	assert_true(fakeqmp_stop(&f));
}

/* A peer that streams bytes and never a newline: the line is capped and the deadline
 * holds while data flows (before, memory grew without bound and no timeout came). */
static void test_flood(void **state)
{
	struct fakeqmp f;
	struct qmp_error err;
	struct timespec t0, t1;
	struct qmp *q = open_fake(&f, GREETING "C query-status\nFLOOD\n", FAKE_LINES, &err);
	int r;

	(void)state;
	assert_non_null(q);
	qmp_set_timeout(q, 300);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = qmp_execute(q, "query-status", NULL, NULL, &err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true(r == -ETIMEDOUT || r == -EMSGSIZE);
	/* Whichever came first, it came soon. */
	assert_true((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 < 5000);
	qmp_close(q);
	fakeqmp_stop(&f);
}

static void test_timeout(void **state)
{
	struct fakeqmp f;
	struct qmp_error err;
	struct qmp *q = open_fake(&f, GREETING "C query-status\nSTALL\n", FAKE_LINES, &err);

	(void)state;
	assert_non_null(q);
	qmp_set_timeout(q, 100);
	assert_int_equal(qmp_execute(q, "query-status", NULL, NULL, &err), -ETIMEDOUT);
	assert_string_equal(err.desc, "QEMU did not answer on the QMP socket in time");
	assert_int_equal(qmp_wait_event(q, "SHUTDOWN", 50, NULL, &err), -ETIMEDOUT);
	qmp_close(q);
	assert_true(fakeqmp_stop(&f));
}

static void test_no_greeting(void **state)
{
	struct fakeqmp f;
	struct qmp_error err;

	(void)state;
	errno = 0;
	assert_null(open_fake(&f, "S {\"hello\": \"world\"}\nSTALL\n", FAKE_LINES, &err));
	assert_int_equal(errno, EPROTO);
	assert_string_equal(err.desc, "the socket does not speak QMP (no greeting)");
	fakeqmp_stop(&f);
	errno = 0;
	assert_null(open_fake(&f, "HANGUP\n", FAKE_LINES, &err));
	assert_int_equal(errno, ECONNRESET);
	fakeqmp_stop(&f);
}

/* Events between replies, a late reply to another id, and capabilities refused. */
static void test_interleaved(void **state)
{
	struct fakeqmp f;
	struct qmp_error err;
	json_t *ret, *ev;
	struct qmp *q = open_fake(&f, GREETING "C query-status\n"
				  "S {\"event\": \"STOP\", \"timestamp\": {\"seconds\": 1, \"microseconds\": 2}}\n"
				  "S {\"return\": {\"status\": \"stale\"}, \"id\": 999}\n"
				  "S {\"event\": \"RESUME\", \"timestamp\": {\"seconds\": 1, \"microseconds\": 3}}\n"
				  "S {\"return\": {\"status\": \"running\"}, \"id\": @ID}\n"
				  "C quit\nS {\"id\": @ID}\n", FAKE_BATCHED, &err);

	(void)state;
	assert_non_null(q);
	assert_int_equal(qmp_execute(q, "query-status", NULL, &ret, &err), 0);
	assert_string_equal(json_string_value(json_object_get(ret, "status")), "running");
	json_decref(ret);
	assert_int_equal(qmp_wait_event(q, "RESUME", 10, &ev, &err), 0); /* taken from the queue, out of order */
	json_decref(ev);
	ev = qmp_next_event(q);
	assert_string_equal(json_string_value(json_object_get(ev, "event")), "STOP");
	json_decref(ev);
	assert_int_equal(qmp_execute(q, "quit", NULL, NULL, &err), -EPROTO);
	qmp_close(q);
	assert_true(fakeqmp_stop(&f));

	q = open_fake(&f, "S {\"QMP\": {\"version\": {}}}\nC qmp_capabilities\nS {\"error\": {\"class\": \"GenericError\", \"desc\": \"no\"}, \"id\": @ID}\n",
		      FAKE_LINES, &err);
	assert_null(q);
	assert_string_equal(err.cls, "GenericError");
	assert_true(fakeqmp_stop(&f));
}

static void test_connect_errors(void **state)
{
	struct qmp_error err;

	(void)state;
	assert_null(qmp_connect("/nonexistent/qmp.sock", 100, &err));
	assert_int_equal(errno, ENOENT);
	assert_non_null(strstr(err.desc, "cannot connect to the QMP socket /nonexistent/qmp.sock"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_launch_lines),
		cmocka_unit_test(test_launch_batched),
		cmocka_unit_test(test_launch_split),
		cmocka_unit_test(test_single_thread_tcg),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_hangup_mid_reply),
		cmocka_unit_test(test_hangup_between),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_flood),
		cmocka_unit_test(test_no_greeting),
		cmocka_unit_test(test_interleaved),
		cmocka_unit_test(test_connect_errors),
	};
	return cmocka_run_group_tests_name("qmp", tests, NULL, NULL);
}
