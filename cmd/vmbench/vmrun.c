/* SPDX-License-Identifier: BSD-3-Clause */
/* The VM modes, one configuration: the host program (the vhost-user server) up
 * first, then vmlaunch with the guest image, the guest's results port and the host
 * program's lines read every 50 ms within bounded waits, pincheck vm --sample while
 * traffic flows, and a teardown that leaves nothing (docs/design.md). */
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

/* --- VM modes: one program on the host, the other in a pinned guest ------------------------- */

struct vmrun {
	struct run *run;
	unsigned queues;
	char name[40];                /* the VM's name for vmlaunch */
	struct child host, vml, sampler;
	bool host_up, vml_up, sampler_up, host_done;
	int host_status;              /* vm-reflect: trafficgen's exit code */
	char host_err[PATH_MAX], vml_err[PATH_MAX], samp_err[PATH_MAX];
	char port_path[PATH_MAX], console_path[PATH_MAX];
	int port_fd;
	struct gport gp;
	struct sweep sw;              /* trafficgen's lines, from the guest (vm-gen) or the host (vm-reflect) */
	FILE *host_raw, *guest_raw;   /* the reflector's lines, wherever it runs */
	char *vml_out;                /* vmlaunch's standard output so far (its JSON report) */
	size_t vml_len;
	json_t *vmres;                /* vmlaunch's report: pid, vCPU threads, accel */
	json_t *pinning;              /* pincheck vm --sample's report */
	struct pa_paths paths;        /* the run's, with this VM's name, console and port */
};

/* Start pincheck vm --sample on the guest: traffic flows. */
static void sampler_start(struct vmrun *v)
{
	struct strv a = { 0 };

	if (v->sampler_up || v->pinning)
		return;
	if (pa_sampler(&v->run->p, &v->paths, &a) < 0) {
		strv_free(&a);
		return;
	}
	v->sampler_up = spawn_logged(v->run, &v->sampler, &a, "pincheck", v->queues, v->samp_err, sizeof(v->samp_err)) == 0;
	strv_free(&a);
}

/* End the sample (SIGINT: pincheck reports what it saw) and keep its report. */
static void sampler_stop(struct vmrun *v)
{
	char *text = NULL, *line;
	size_t len = 0;
	FILE *m;

	if (!v->sampler_up)
		return;
	v->sampler_up = false;
	kill(v->sampler.pid, SIGINT);
	m = open_memstream(&text, &len);
	while (child_line(&v->sampler, 10000, NULL, &line) == 1)
		if (m)
			fprintf(m, "%s\n", line);
	child_stop(&v->sampler, SIGTERM, 2000);
	child_free(&v->sampler);
	if (m && fclose(m) == 0)
		v->pinning = json_loads(text, 0, NULL);
	free(text);
}

/* A line of trafficgen's (from the guest or the host): results, and the sampler follows the traffic. */
static void tg_line(struct vmrun *v, const char *line)
{
	sweep_line(&v->sw, line);
	if (strstr(line, "\"type\":\"start\""))
		sampler_start(v);
	else if (strstr(line, "\"type\":\"summary\""))
		sampler_stop(v);
}

/* What arrived on the guest's results port since the last call. */
static void read_port(struct vmrun *v)
{
	char buf[65536], *line;
	ssize_t n;

	if (v->port_fd < 0) {
		v->port_fd = open(v->port_path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (v->port_fd < 0)
			return; /* QEMU has not created it yet */
	}
	while ((n = read(v->port_fd, buf, sizeof(buf))) > 0)
		if (gport_feed(&v->gp, buf, (size_t)n) < 0)
			break;
	while (gport_next(&v->gp, &line) == 1) {
		if (v->run->p.mode == MODE_VM_GEN)
			tg_line(v, line);
		else if (v->guest_raw)
			fprintf(v->guest_raw, "%s\n", line);
	}
}

/* vmlaunch's JSON report, once it has printed all of it. */
static void read_vmlaunch(struct vmrun *v)
{
	char *line;

	while (!v->vmres && child_line(&v->vml, 0, NULL, &line) == 1) {
		size_t n = strlen(line);
		char *b = realloc(v->vml_out, v->vml_len + n + 2);
		if (!b)
			return;
		v->vml_out = b;
		memcpy(v->vml_out + v->vml_len, line, n);
		v->vml_len += n;
		v->vml_out[v->vml_len++] = '\n';
		v->vml_out[v->vml_len] = '\0';
		if (line[0] == '}')
			v->vmres = json_loads(v->vml_out, 0, NULL);
	}
}

static pid_t qemu_pid(const struct vmrun *v)
{
	return (pid_t)json_integer_value(json_object_get(v->vmres, "pid"));
}

/* Everything this configuration started, stopped; QEMU too if vmlaunch could not stop it. */
static void vm_teardown(struct vmrun *v)
{
	pid_t qemu = qemu_pid(v);

	sampler_stop(v);
	if (v->vml_up) {
		/* vmlaunch powers the guest down, waits --grace, quits, kills; then exits. */
		child_stop(&v->vml, SIGTERM, 15000);
		v->vml_up = false;
	}
	child_free(&v->vml); /* also when it ended on its own */
	if (qemu > 0 && kill(qemu, 0) == 0) {
		long long end = now_ms() + 5000;
		kill(qemu, SIGKILL);
		while (kill(qemu, 0) == 0 && now_ms() < end)
			poll(NULL, 0, 20);
	}
	if (v->host_up) {
		if (v->run->p.mode == MODE_VM_GEN) {
			stop_reflector(&v->host, v->host_raw);
		} else {
			char *line;
			while (child_line(&v->host, 0, NULL, &line) == 1)
				tg_line(v, line);
			int s = child_stop(&v->host, SIGTERM, 5000);
			v->host_status = s ? s : v->host.status; /* 0 from child_stop: reaped before */
		}
		v->host_up = false;
	}
	child_free(&v->host);
}

/* The residency the 2017 note asked about: each vCPU's share of run time on its own CPU. */
static json_t *residency(const json_t *rep)
{
	json_t *out, *vcpus = json_array(), *x;
	size_t i;

	json_array_foreach(json_object_get(rep, "vcpus"), i, x) {
		char key[16];
		json_int_t cpu = json_integer_value(json_object_get(x, "expected_cpu"));
		snprintf(key, sizeof(key), "%lld", (long long)cpu);
		json_array_append_new(vcpus, json_pack("{s:O, s:I, s:f, s:O}", "vcpu", json_object_get(x, "vcpu"), "cpu",
						       cpu, "share",
						       json_number_value(json_object_get(json_object_get(x, "cpu_share"), key)),
						       "run_ns", json_object_get(x, "run_ns") ?: json_null()));
	}
	out = json_pack("{s:f, s:o}", "seconds", json_number_value(json_object_get(rep, "sampled")), "vcpus", vcpus);
	return out;
}

/* Why the guest failed, with the console's last lines. */
static int guest_failure(struct vmrun *v, const char *fmt, const char *what)
{
	char tail[768];

	child_tail(v->console_path, 3, tail, sizeof(tail));
	cli_fail(EXIT_FAIL, fmt, what);
	if (tail[0])
		fprintf(stderr, "%s: the guest's console ended with: %s\n", cli_prog, tail);
	return EXIT_FAIL;
}

/* Drive one configuration until the guest is done, a bound passes, or Ctrl-C. 0 or an exit code. */
static int vm_drive(struct vmrun *v)
{
	const struct profile *p = &v->run->p;
	long long boot_end = now_ms() + (long long)(p->boot_timeout * 1000), run_end = 0, guest_end = 0;
	char *line, tail[512];

	for (;;) {
		bool vml_gone;

		poll(NULL, 0, 50);
		if (interrupted)
			return cli_fail(EXIT_FAIL, "interrupted: nothing written");
		read_vmlaunch(v);
		read_port(v);
		if (p->mode == MODE_VM_REFLECT && v->host_up && !v->host_done) {
			int r;
			while ((r = child_line(&v->host, 0, NULL, &line)) == 1)
				tg_line(v, line);
			if (r == 0 || (r != -ETIMEDOUT && r != -EINTR)) {
				/* trafficgen is done: the guest's reflector sees the link drop and ends. */
				v->host_done = true;
				sampler_stop(v);
				guest_end = now_ms() + 30000;
			}
		}
		if (v->gp.state == GPORT_FAILED)
			return guest_failure(v, "%s", v->gp.why);
		if (v->gp.state == GPORT_RUNNING && !run_end)
			run_end = now_ms() + pa_sweep_budget_ms(p) + (long long)(p->boot_timeout * 1000);
		vml_gone = child_exited(&v->vml);
		if (vml_gone) {
			v->vml_up = false;
			read_port(v);
			if (v->gp.state == GPORT_DONE || v->gp.state == GPORT_FAILED)
				break;
			child_tail(v->vml_err, 2, tail, sizeof(tail));
			if (!v->vmres)
				return cli_fail(EXIT_FAIL, "vmlaunch failed (exit %d): %s", v->vml.status, tail[0] ? tail : "no word from it");
			return guest_failure(v, "the guest ended without reporting its results (QEMU exit %s)",
					     v->vml.status == 0 ? "0" : "non-zero");
		}
		if (v->gp.state == GPORT_WAITING && now_ms() > boot_end) {
			snprintf(tail, sizeof(tail), "the guest reported nothing within %g s (boot_timeout in [vm])", p->boot_timeout);
			return guest_failure(v, "%s", tail);
		}
		if (run_end && now_ms() > run_end)
			return guest_failure(v, "%s", "the guest did not finish its sweep within the budget");
		if (guest_end && now_ms() > guest_end) {
			/* The results are in (trafficgen ran on the host); the guest's reflector did not stop on its own. */
			cli_warn("the guest did not power off after trafficgen ended: stopping it");
			break;
		}
	}
	return 0;
}

int run_vm_config(struct run *run, unsigned queues, json_t *config)
{
	const struct profile *p = &run->p;
	struct vmrun v = { .run = run, .queues = queues, .port_fd = -1 };
	struct strv ha = { 0 }, va = { 0 };
	char name[64], tail[512];
	int code = 0, r;

	gport_init(&v.gp);
	v.sw.queues = queues;
	v.sw.fixed_rate = !strcmp(p->search, "none");
	v.sw.prog = cli_prog;
	snprintf(v.name, sizeof(v.name), "vmbench-%d-%uq", (int)getpid(), queues);
	snprintf(name, sizeof(name), "port-%uq.log", queues);
	results_path(&run->out, true, name, v.port_path, sizeof(v.port_path));
	snprintf(name, sizeof(name), "console-%uq.log", queues);
	results_path(&run->out, true, name, v.console_path, sizeof(v.console_path));
	v.paths = run->paths;
	v.paths.vm_name = v.name;
	v.paths.console = v.console_path;
	v.paths.port = v.port_path;
	if (pa_vm_host(p, &v.paths, queues, &ha) < 0 || pa_vmlaunch(p, &v.paths, queues, &va) < 0) {
		code = cli_fail(EXIT_FAIL, "the guest's command line is too long (fewer sizes?)");
		goto out;
	}
	v.sw.raw = raw_file(run, "trafficgen-%uq.jsonl", queues);
	v.host_raw = p->mode == MODE_VM_GEN ? raw_file(run, "reflector-%uq.jsonl", queues) : NULL;
	v.guest_raw = p->mode == MODE_VM_REFLECT ? raw_file(run, "reflector-guest-%uq.jsonl", queues) : NULL;
	if (!v.sw.raw || (p->mode == MODE_VM_GEN ? !v.host_raw : !v.guest_raw)) {
		code = cli_fail(EXIT_FAIL, "cannot write in %s: %s", run->out.raw, strerror(errno));
		goto out;
	}

	/* The host program first: it is the vhost-user server QEMU connects to. */
	if ((r = spawn_logged(run, &v.host, &ha, p->mode == MODE_VM_GEN ? "reflector" : "trafficgen", queues, v.host_err,
			      sizeof(v.host_err))) < 0) {
		code = cli_fail(EXIT_FAIL, "cannot start %s: %s", ha.v[0], strerror(-r));
		goto out;
	}
	v.host_up = true;
	if ((code = wait_for(&v.host, "ready", 30000, p->mode == MODE_VM_GEN ? v.host_raw : v.sw.raw,
			     p->mode == MODE_VM_GEN ? "reflector" : "trafficgen", v.host_err))) {
		v.host_up = false;
		child_free(&v.host);
		goto out;
	}
	if ((r = spawn_logged(run, &v.vml, &va, "vmlaunch", queues, v.vml_err, sizeof(v.vml_err))) < 0) {
		code = cli_fail(EXIT_FAIL, "cannot start vmlaunch: %s", strerror(-r));
		goto out;
	}
	v.vml_up = true;
	code = vm_drive(&v);
out:
	vm_teardown(&v);
	if (!code && v.gp.state == GPORT_DONE && v.gp.status != 0)
		code = guest_failure(&v, "%s", "the guest's program failed");
	if (!code && v.sw.failed)
		code = cli_fail(EXIT_FAIL, "%uq: %u trial%s failed: %s", queues, v.sw.failed, v.sw.failed > 1 ? "s" : "", v.sw.why);
	/* vm-reflect: trafficgen on the host failing is the run failing, summary or not. */
	if (!code && p->mode == MODE_VM_REFLECT && v.host_status != 0) {
		child_tail(v.host_err, 2, tail, sizeof(tail));
		code = cli_fail(EXIT_FAIL, "trafficgen failed (exit %d): %s", v.host_status, tail[0] ? tail : "no word from it");
	}
	if (!code && !v.sw.summary) {
		child_tail(p->mode == MODE_VM_GEN ? v.console_path : v.host_err, 2, tail, sizeof(tail));
		code = cli_fail(EXIT_FAIL, "trafficgen reported no results: %s", tail[0] ? tail : "no word from it");
	}
	if (v.sw.raw && (r = close_raw(v.sw.raw, "trafficgen's output")) && !code)
		code = r;
	if (v.host_raw && (r = close_raw(v.host_raw, "the reflector's output")) && !code)
		code = r;
	if (v.guest_raw && (r = close_raw(v.guest_raw, "the guest reflector's output")) && !code)
		code = r;
	if (!code)
		code = write_hlog(run, &v.sw, queues);
	if (!code) {
		json_object_set_new(config, "results", sweep_results(&v.sw));
		json_object_set_new(config, "vm", json_pack("{s:s, s:s, s:s, s:O}", "name", v.name, "vcpu_map", p->vcpu_map,
							     "emulator_cpus", p->emulator_cpus, "pinned",
							     v.vmres ? v.vmres : json_null()));
		if (v.pinning) {
			json_object_set_new(config, "residency", residency(v.pinning));
			json_array_append_new(run->pinning, json_pack("{s:i, s:O}", "queues", queues, "report", v.pinning));
		}
		snprintf(run->guest.accel, sizeof(run->guest.accel), "%s",
			 json_string_value(json_object_get(v.vmres, "accel")) ?: "");
	}
	if (v.port_fd >= 0)
		close(v.port_fd);
	json_decref(v.pinning);
	json_decref(v.vmres);
	free(v.vml_out);
	gport_free(&v.gp);
	sweep_free(&v.sw);
	strv_free(&ha);
	strv_free(&va);
	return code;
}
