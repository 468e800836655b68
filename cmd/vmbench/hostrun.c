/* SPDX-License-Identifier: BSD-3-Clause */
/* Host mode: the reflector and trafficgen both on the host, over vhost-user and
 * virtio_user, one configuration at a time. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "bench/child.h"
#include "base/cli.h"
#include "pinning/cpuset.h"
#include "bench/compare.h"
#include "pinning/pollers.h"
#include "launcher/rundir.h"
#include "base/exitcodes.h"
#include "bench/fingerprint.h"
#include "base/fsutil.h"
#include "bench/guestport.h"
#include "pinning/hostfacts.h"
#include "hugepages/hp.h"
#include "base/numparse.h"
#include "pinning/plan.h"
#include "bench/profile.h"
#include "bench/progargs.h"
#include "bench/queuecheck.h"
#include "pinning/report.h"
#include "bench/results.h"
#include "base/sbuf.h"
#include "base/strv.h"
#include "bench/sweep.h"
#include "bench/tables.h"
#include "base/templates.h"
#include "pinning/topo.h"
#include "pinning/vmap.h"
#include "cmd/vmbench/vmbench.h"

/* --- host mode: both programs on the host ------------------------------------------------ */

int run_host_config(struct run *run, unsigned queues, json_t *config)
{
	const struct profile *p = &run->p;
	struct strv ra = { 0 }, ta = { 0 };
	struct child r, t;
	struct sweep sw = { .queues = queues, .prog = cli_prog, .fixed_rate = !strcmp(run->p.search, "none") };
	char rerr[PATH_MAX], terr[PATH_MAX], tail[512], *line;
	FILE *rraw = NULL;
	int code = 0, rc;

	if (pa_host_pair(p, &run->paths, queues, &ra, &ta) < 0) {
		code = cli_fail(EXIT_FAIL, "out of memory");
		goto out;
	}
	rraw = raw_file(run, "reflector-%uq.jsonl", queues);
	sw.raw = raw_file(run, "trafficgen-%uq.jsonl", queues);
	if (!rraw || !sw.raw) {
		code = cli_fail(EXIT_FAIL, "cannot write in %s: %s", run->out.raw, strerror(errno));
		goto out;
	}
	if ((rc = spawn_logged(run, &r, &ra, "reflector", queues, rerr, sizeof(rerr))) < 0) {
		code = cli_fail(EXIT_FAIL, "cannot start the reflector: %s", strerror(-rc));
		goto out;
	}
	if ((code = wait_for(&r, "ready", 30000, rraw, "reflector", rerr))) {
		child_stop(&r, SIGTERM, 3000);
		child_free(&r);
		goto out;
	}
	if ((rc = spawn_logged(run, &t, &ta, "trafficgen", queues, terr, sizeof(terr))) < 0) {
		stop_reflector(&r, rraw);
		code = cli_fail(EXIT_FAIL, "cannot start trafficgen: %s", strerror(-rc));
		goto out;
	}
	while ((rc = child_line(&t, pa_sweep_budget_ms(p), &interrupted, &line)) == 1)
		sweep_line(&sw, line);
	rc = child_stop(&t, rc == 0 ? SIGTERM : SIGKILL, rc == 0 ? 10000 : 1000);
	child_free(&t);
	stop_reflector(&r, rraw);
	if (interrupted) {
		code = cli_fail(EXIT_FAIL, "interrupted: nothing written");
	} else if (sw.failed) {
		code = cli_fail(EXIT_FAIL, "%uq: %u trial%s failed: %s", queues, sw.failed, sw.failed > 1 ? "s" : "", sw.why);
	} else if (!sw.summary || rc != 0) {
		child_tail(terr, 2, tail, sizeof(tail));
		code = cli_fail(EXIT_FAIL, "trafficgen failed (exit %d): %s", rc, tail[0] ? tail : "no results");
	}
	if (!code)
		json_object_set_new(config, "results", sweep_results(&sw));
	if (!code)
		code = write_hlog(run, &sw, queues);
out:
	if (rraw && (rc = close_raw(rraw, "the reflector's output")) && !code)
		code = rc;
	if (sw.raw && (rc = close_raw(sw.raw, "trafficgen's output")) && !code)
		code = rc;
	if (!code && sw.raw_error)
		code = cli_fail(EXIT_FAIL, "cannot write trafficgen's output: %s", strerror(-sw.raw_error));
	sweep_free(&sw);
	strv_free(&ra);
	strv_free(&ta);
	return code;
}
