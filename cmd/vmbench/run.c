/* SPDX-License-Identifier: BSD-3-Clause */
/* The run's shared plumbing: children started with their stderr in raw/, their lines
 * waited for and kept, raw/ files written and checked. */
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

static json_t *argv_json(char *const *argv)
{
	json_t *a = json_array();

	for (int i = 0; argv[i]; i++)
		json_array_append_new(a, json_string(argv[i]));
	return a;
}

/* The host's load over half a second in which vmbench runs nothing: others' work. */
json_t *idle_window(void)
{
	struct host_load a, b;
	long long t = now_ms();

	host_load_read(&a);
	poll(NULL, 0, 500);
	host_load_read(&b);
	return host_load_json(&a, &b, (double)(now_ms() - t) / 1000);
}

/* latency-Nq.hlog: the configuration's latency histograms for HdrHistogram's tools.
 * 0 or an exit code. */
int write_hlog(struct run *run, const struct sweep *sw, unsigned queues)
{
	char name[64], *text = sweep_hlog(sw);
	int r;

	if (!text)
		return 0;
	snprintf(name, sizeof(name), "latency-%uq.hlog", queues);
	r = results_write_text(&run->out, name, text);
	free(text);
	return r < 0 ? cli_fail(EXIT_FAIL, "cannot write %s: %s", name, strerror(-r)) : 0;
}

/* Start @a with its stderr in raw/@prog-Nq.stderr (the path into @errpath), and record it. */
int spawn_logged(struct run *run, struct child *c, const struct strv *a, const char *prog, unsigned queues,
			char *errpath, size_t len)
{
	char name[64];

	snprintf(name, sizeof(name), "%s-%uq.stderr", prog, queues);
	results_path(&run->out, true, name, errpath, len);
	json_array_append_new(run->commands, argv_json(a->v));
	return child_spawn(c, a->v, errpath);
}

/* A raw/ file for a child's output lines, or NULL. */
FILE *raw_file(struct run *run, const char *fmt, unsigned queues)
{
	char name[64], path[PATH_MAX];

	snprintf(name, sizeof(name), fmt, queues);
	results_path(&run->out, true, name, path, sizeof(path));
	return fs_create(path, 0644);
}

/* Wait for a JSON line of @type ("ready") from @c; other lines go to @raw.  0 or an exit code. */
int wait_for(struct child *c, const char *type, int ms, FILE *raw, const char *who, const char *errpath)
{
	char pat[64], *line, tail[512];
	int r;

	snprintf(pat, sizeof(pat), "\"type\":\"%s\"", type);
	while ((r = child_line(c, ms, &interrupted, &line)) == 1) {
		if (raw)
			fprintf(raw, "%s\n", line);
		if (strstr(line, pat))
			return 0;
	}
	if (r == -EINTR)
		return cli_fail(EXIT_FAIL, "interrupted: nothing written");
	child_stop(c, SIGTERM, 3000);
	child_tail(errpath, 2, tail, sizeof(tail));
	return cli_fail(EXIT_FAIL, "the %s did not come up%s: %s", who, r == -ETIMEDOUT ? " in time" : "",
			tail[0] ? tail : "no word from it");
}

/* Stop the reflector, keeping its final statistics in @raw. */
void stop_reflector(struct child *r, FILE *raw)
{
	char *line;

	if (r->pid > 0)
		kill(r->pid, SIGTERM);
	while (child_line(r, 10000, NULL, &line) == 1)
		if (raw)
			fprintf(raw, "%s\n", line);
	child_stop(r, SIGTERM, 5000);
	child_free(r);
}

/* Close a raw/ file; a write error fails the run. */
int close_raw(FILE *f, const char *what)
{
	int r = fs_close(f);

	if (r < 0)
		return cli_fail(EXIT_FAIL, "cannot write %s in the results directory: %s", what, strerror(-r));
	return 0;
}
