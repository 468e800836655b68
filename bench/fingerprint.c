/* SPDX-License-Identifier: BSD-3-Clause */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "bench/child.h"
#include "pinning/cpuset.h"
#include "bench/fingerprint.h"
#include "pinning/hostfacts.h"
#include "pinning/topo.h"

const char *const fingerprint_keys[] = { "cpu_model", "topology", "kernel", "cmdline", "isolated", "smt", "thp", "dpdk",
					 "qemu", "trafficgen", "pinlab", "accel", "backend", "guest_image", "guest_driver", "virtio_features",
					 "reflector_datapath", NULL };

/* The first line @argv prints, or "". */
static void first_line_of(char *const argv[], char *buf, size_t len)
{
	struct child c;
	char *line;

	buf[0] = '\0';
	if (child_spawn(&c, argv, "/dev/null") < 0)
		return;
	if (child_line(&c, 5000, NULL, &line) == 1)
		snprintf(buf, len, "%s", line);
	child_stop(&c, SIGTERM, 2000);
	child_free(&c);
}

/* The binary next to ours, as vmbench runs it. */
static void sibling(const char *name, char *buf, size_t len)
{
	char exe[PATH_MAX], *slash;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	snprintf(buf, len, "%s", name);
	if (n > 0) {
		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			snprintf(buf, len, "%s/%s", exe, name);
		}
	}
}

json_t *fingerprint_build(const struct profile *p, json_t *commands, json_t *plan, json_t *guest)
{
	struct hostfacts h;
	struct topo *t = topo_load_live();
	struct utsname u;
	char model[256] = "", line[512], buf[512], tg[PATH_MAX];
	FILE *f = fopen("/proc/cpuinfo", "re");
	json_t *env = json_object(), *pools = json_array();

	while (f && fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "model name", 10)) {
			char *c = strchr(line, ':');
			snprintf(model, sizeof(model), "%s", c ? c + 2 : "");
			model[strcspn(model, "\n")] = '\0';
			break;
		}
	}
	if (f)
		fclose(f);
	uname(&u);
	json_object_set_new(env, "cpu_model", json_string(model));
	if (t) {
		snprintf(buf, sizeof(buf), "%u packages, %u cores, %u threads per core, %u NUMA nodes", topo_npackages(t),
			 topo_ncores(t), topo_threads_per_core(t), topo_nnodes(t));
		json_object_set_new(env, "topology", json_string(buf));
		topo_free(t);
	}
	json_object_set_new(env, "kernel", json_string(u.release));
	/* Not a fingerprint key (hosts differ by name): compare labels a fleet's columns with it. */
	json_object_set_new(env, "hostname", json_string(u.nodename));
	if (hostfacts_read(&h) == 0) {
		char *iso = cpuset_to_list(&h.isolated), *on = cpuset_to_list(&h.online);
		json_object_set_new(env, "cmdline", json_string(h.cmdline));
		json_object_set_new(env, "cpus_online", json_string(on ? on : ""));
		json_object_set_new(env, "isolated", json_string(iso ? iso : ""));
		json_object_set_new(env, "smt", json_string(h.smt_control));
		json_object_set_new(env, "thp", json_string(h.thp));
		for (unsigned i = 0; i < h.npools; i++)
			json_array_append_new(pools, json_pack("{s:i, s:I, s:I, s:I}", "node", h.pools[i].node, "size_kb",
							       (json_int_t)h.pools[i].size_kb, "total", (json_int_t)h.pools[i].total,
							       "free", (json_int_t)h.pools[i].free));
		free(iso);
		free(on);
		hostfacts_free(&h);
	}
	json_object_set_new(env, "hugepages", pools);
	sibling("trafficgen", tg, sizeof(tg));
	{
		char *v[] = { tg, "--version", NULL }, *q[] = { "qemu-system-x86_64", "--version", NULL },
		     *d[] = { "pkg-config", "--modversion", "libdpdk", NULL };
		first_line_of(v, buf, sizeof(buf));
		json_object_set_new(env, "trafficgen", json_string(buf));
		first_line_of(q, buf, sizeof(buf));
		json_object_set_new(env, "qemu", json_string(buf));
		first_line_of(d, buf, sizeof(buf));
		json_object_set_new(env, "dpdk", json_string(buf));
	}
	json_object_set_new(env, "pinlab", json_string(PROJECT_VERSION));
	json_object_set_new(env, "mode", json_string(profile_mode_name(p->mode)));
	json_object_set_new(env, "profile", json_pack("{s:s, s:s}", "path", p->path, "text", p->text ? p->text : ""));
	json_object_set_new(env, "commands", commands);
	json_object_set_new(env, "plan", plan);
	if (guest) {
		/* The keys compare looks at, at the top; the details under "guest". */
		json_object_set(env, "accel", json_object_get(guest, "accel"));
		json_object_set(env, "backend", json_object_get(guest, "backend"));
		json_object_set(env, "guest_driver", json_object_get(guest, "driver"));
		json_object_set(env, "guest_image", json_object_get(guest, "image_sha256"));
		json_object_set_new(env, "guest", guest);
	}
	return env;
}

void host_load_read(struct host_load *l)
{
	unsigned long long v[10] = { 0 };
	FILE *f;

	memset(l, 0, sizeof(*l));
	if ((f = fopen("/proc/loadavg", "re"))) {
		l->ok = fscanf(f, "%lf %lf %lf", &l->loadavg[0], &l->loadavg[1], &l->loadavg[2]) == 3;
		fclose(f);
	}
	/* cpu  user nice system idle iowait irq softirq steal guest guest_nice */
	if ((f = fopen("/proc/stat", "re"))) {
		if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
			   &v[6], &v[7], &v[8], &v[9]) >= 8) {
			/* guest time is already inside user time */
			l->busy = v[0] + v[1] + v[2] + v[5] + v[6];
			l->steal = v[7];
			l->total = l->busy + v[3] + v[4] + l->steal;
		} else {
			l->ok = false;
		}
		fclose(f);
	} else {
		l->ok = false;
	}
}

static json_t *loadavg_json(const struct host_load *l)
{
	return json_pack("{s:f, s:f, s:f}", "loadavg_1m", l->loadavg[0], "loadavg_5m", l->loadavg[1], "loadavg_15m",
			 l->loadavg[2]);
}

json_t *host_load_json(const struct host_load *b, const struct host_load *a, double seconds)
{
	unsigned long long dt;

	if (!b->ok || !a->ok || a->total <= b->total)
		return json_null();
	dt = a->total - b->total;
	return json_pack("{s:o, s:o, s:f, s:f, s:f}", "before", loadavg_json(b), "after", loadavg_json(a), "seconds", seconds,
			 "steal_pct", 100.0 * (double)(a->steal - b->steal) / (double)dt, "busy_pct",
			 100.0 * (double)(a->busy - b->busy) / (double)dt);
}
