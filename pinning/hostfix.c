/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/fsroot.h"
#include "base/fsutil.h"
#include "pinning/hostfix.h"
#include "pinning/report.h"
#include "base/sbuf.h"

void hostfix_default_isolate(const struct hostfacts *h, const struct topo *t, struct cpuset *out)
{
	struct cpuset core0;

	*out = h->online;
	if (topo_siblings(t, 0, &core0) == 0)
		cpuset_andnot(out, out, &core0);
	else
		cpuset_clr(out, 0);
}

static void fmt(const struct cpuset *s, char *buf, size_t len)
{
	if (cpuset_format_list(s, buf, len) < 0)
		snprintf(buf, len, "(%u CPUs)", cpuset_count(s));
}

/* Is the token @want ("key=value") on the running kernel's command line (before "--")? */
static bool on_cmdline(const char *cmdline, const char *want)
{
	size_t n = strlen(want);

	for (const char *p = cmdline; *p;) {
		size_t len;
		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		len = strcspn(p, " \t\n");
		if (len == 2 && !strncmp(p, "--", 2))
			return false;
		if (len == n && !strncmp(p, want, n))
			return true;
		p += len;
	}
	return false;
}

/* A cpulist argument the plan wants: present when @has and the kernel's value is
 * what @ok says; a different value there is a conflict (the kernel keeps the first
 * of these it reads, so ours would not count). */
struct karg {
	char text[320];
	bool present;
	char conflict[320];
};

static void list_arg(struct karg *k, const char *key, const struct cpuset *want, bool has, const struct cpuset *now,
		     bool present)
{
	char w[256], n[256];

	fmt(want, w, sizeof(w));
	snprintf(k->text, sizeof(k->text), "%s=%s", key, w);
	k->present = present;
	k->conflict[0] = '\0';
	if (!present && has) {
		fmt(now, n, sizeof(n));
		snprintf(k->conflict, sizeof(k->conflict), "%s=%s", key, n);
	}
}

static json_t *path_json(const char *fmt_, const char *arg)
{
	char path[PATH_MAX];

	if (fsroot_path(path, sizeof(path), fmt_, arg) < 0)
		return NULL;
	return json_string(path);
}

static json_t *new_change(const char *id, bool reboot)
{
	return json_pack("{s:s, s:s, s:b, s:[], s:[], s:[], s:[], s:[], s:[]}", "id", id, "message", "", "reboot", reboot,
			 "kernel_args", "writes", "files", "lines", "services", "commands");
}

static int add(json_t *rep, json_t *change, const char *fmt_, ...) __attribute__((format(printf, 3, 4)));
static int add(json_t *rep, json_t *change, const char *fmt_, ...)
{
	char msg[1024];
	va_list ap;

	if (!change)
		return -ENOMEM;
	va_start(ap, fmt_);
	vsnprintf(msg, sizeof(msg), fmt_, ap);
	va_end(ap);
	json_object_set_new(change, "message", json_string(msg));
	return json_array_append_new(json_object_get(rep, "changes"), change) < 0 ? -ENOMEM : 0;
}

static void add_write(json_t *change, const char *path, const char *value, const char *now)
{
	json_array_append_new(json_object_get(change, "writes"),
			      json_pack("{s:s, s:s, s:s}", "path", path, "value", value, "now", now));
}

/* The kernel command line the plan wants, and the GRUB drop-in that carries it. */
static int kernel_args(const struct hostfacts *h, const struct cpuset *iso, const struct cpuset *house, json_t *rep)
{
	struct karg k[6] = { 0 };
	unsigned nk = 0;
	struct cpuset nohz;
	char list[256], dropin[PATH_MAX], now[4096], text[4096];
	struct sbuf sb;
	json_t *wanted = json_array(), *missing = json_array(), *conflicts = json_array(), *o, *change;
	const char *state;
	int r;

	if (!wanted || !missing || !conflicts)
		goto nomem;
	fmt(iso, list, sizeof(list));
	/* domain: out of load balancing; managed_irq: no managed (per-queue) IRQ there. */
	snprintf(k[nk].text, sizeof(k[nk].text), "isolcpus=managed_irq,domain,%s", list);
	k[nk].present = cpuset_subset(iso, &h->isolated) &&
			!(h->has_isolcpus && h->isolcpus_flags[0] && !strstr(h->isolcpus_flags, "domain"));
	k[nk].conflict[0] = '\0';
	if (!k[nk].present && h->has_isolcpus) {
		char n[256];
		fmt(&h->isolcpus, n, sizeof(n));
		snprintf(k[nk].conflict, sizeof(k[nk].conflict), "isolcpus=%s%s%s", h->isolcpus_flags,
			 h->isolcpus_flags[0] ? "," : "", n);
	}
	nk++;
	nohz = h->sys_nohz_full;
	if (h->has_nohz_full)
		cpuset_or(&nohz, &nohz, &h->nohz_full);
	list_arg(&k[nk++], "nohz_full", iso, h->has_nohz_full, &h->nohz_full, cpuset_subset(iso, &nohz));
	list_arg(&k[nk++], "rcu_nocbs", iso, h->has_rcu_nocbs, &h->rcu_nocbs,
		 h->has_rcu_nocbs && cpuset_subset(iso, &h->rcu_nocbs));
	list_arg(&k[nk++], "irqaffinity", house, h->has_irqaffinity, &h->irqaffinity,
		 h->has_irqaffinity && !cpuset_empty(&h->irqaffinity) && !cpuset_intersects(&h->irqaffinity, iso));
	/* The governor and THP at boot too: a runtime write does not survive a reboot. */
	if (h->ngovs > 0) {
		snprintf(k[nk].text, sizeof(k[nk].text), "cpufreq.default_governor=performance");
		k[nk].present = on_cmdline(h->cmdline, k[nk].text);
		k[nk++].conflict[0] = '\0';
	}
	if (h->thp[0]) {
		snprintf(k[nk].text, sizeof(k[nk].text), "transparent_hugepage=madvise");
		k[nk].present = on_cmdline(h->cmdline, k[nk].text) || on_cmdline(h->cmdline, "transparent_hugepage=never");
		k[nk++].conflict[0] = '\0';
	}

	sbuf_init(&sb, text, sizeof(text));
	sbuf_addf(&sb, "# pinlab: the kernel command line for a pinned benchmark that isolates CPUs %s\n"
		       "# (pincheck host --fix).  update-grub reads it; a reboot applies it.\n"
		       "GRUB_CMDLINE_LINUX_DEFAULT=\"$GRUB_CMDLINE_LINUX_DEFAULT", list);
	for (unsigned i = 0; i < nk; i++) {
		sbuf_addf(&sb, " %s", k[i].text);
		json_array_append_new(wanted, json_string(k[i].text));
		if (!k[i].present)
			json_array_append_new(missing, json_string(k[i].text));
		if (k[i].conflict[0])
			json_array_append_new(conflicts, json_string(k[i].conflict));
	}
	sbuf_addf(&sb, "\"\n");
	if (sbuf_status(&sb) || fsroot_path(dropin, sizeof(dropin), HOSTFIX_DROPIN) < 0)
		goto nomem;
	r = fs_read_file(dropin, now, sizeof(now));
	state = r == -ENOENT ? "missing" : r >= 0 && !strcmp(now, text) ? "same" : "differs";
	o = json_pack("{s:o, s:o, s:o, s:{s:s, s:s, s:s}, s:b}", "wanted", wanted, "missing", missing, "conflicts",
		      conflicts, "dropin", "path", dropin, "text", text, "state", state, "reboot",
		      json_array_size(missing) > 0);
	if (!o || json_object_set_new(rep, "kernel_args", o) < 0)
		return -ENOMEM;
	if (json_array_size(missing) == 0)
		return 0;

	change = new_change("kernel-args", true);
	if (!change)
		return -ENOMEM;
	json_array_extend(json_object_get(change, "kernel_args"), missing);
	json_array_append_new(json_object_get(change, "files"), json_pack("{s:s, s:s}", "path", dropin, "content", text));
	if (!strcmp(state, "same"))
		return add(rep, change, "the running kernel lacks %zu argument%s; %s has them already: update-grub and reboot",
			   json_array_size(missing), json_array_size(missing) > 1 ? "s" : "", dropin);
	return add(rep, change, "the running kernel lacks %zu argument%s: %s carries them (then update-grub, and a reboot)",
		   json_array_size(missing), json_array_size(missing) > 1 ? "s" : "", dropin);
nomem:
	json_decref(wanted);
	json_decref(missing);
	json_decref(conflicts);
	return -ENOMEM;
}

static int irqs(const struct hostfacts *h, const struct cpuset *iso, const struct cpuset *house, json_t *rep)
{
	char hl[256], now[256], path[PATH_MAX], first[64] = "";
	json_t *change = new_change("irq-isolated", false);
	unsigned n = 0;

	if (!change)
		return -ENOMEM;
	fmt(house, hl, sizeof(hl));
	for (unsigned i = 0; i < h->nirqs; i++) {
		const struct irq_info *q = &h->irqs[i];
		char id[16];
		if (!cpuset_intersects(&q->smp, iso))
			continue;
		snprintf(id, sizeof(id), "%d", q->irq);
		if (fsroot_path(path, sizeof(path), "/proc/irq/%s/smp_affinity_list", id) < 0)
			continue;
		fmt(&q->smp, now, sizeof(now));
		add_write(change, path, hl, now);
		if (n++ == 0)
			snprintf(first, sizeof(first), "%d", q->irq);
	}
	if (n == 0) {
		json_decref(change);
		return 0;
	}
	json_array_append_new(json_object_get(change, "kernel_args"), json_sprintf("irqaffinity=%s", hl));
	return add(rep, change, "%u IRQ%s (%s%s) can land on the isolated CPUs: move %s to %s now (a managed IRQ refuses; isolcpus' managed_irq keeps it off at boot)",
		   n, n > 1 ? "s" : "", first, n > 1 ? ", …" : "", n > 1 ? "them" : "it", hl);
}

static int irqbalance(const struct hostfacts *h, const struct cpuset *iso, json_t *rep)
{
	char list[256];
	json_t *change, *path;

	if (!h->irqbalance_pid || (h->has_irqbalance_banned && cpuset_subset(iso, &h->irqbalance_banned)))
		return 0;
	change = new_change("irqbalance", false);
	path = path_json("%s", "/etc/default/irqbalance");
	if (!change || !path) {
		json_decref(change);
		json_decref(path);
		return -ENOMEM;
	}
	fmt(iso, list, sizeof(list));
	json_array_append_new(json_object_get(change, "lines"),
			      json_pack("{s:o, s:s, s:o}", "path", path, "regexp", "^#?\\s*IRQBALANCE_BANNED_CPULIST=",
					"line", json_sprintf("IRQBALANCE_BANNED_CPULIST=%s", list)));
	json_array_append_new(json_object_get(change, "services"), json_pack("{s:s, s:s}", "name", "irqbalance", "state",
									     "restarted"));
	return add(rep, change, "irqbalance (pid %d) may move IRQs onto CPUs %s: ban them in /etc/default/irqbalance and restart it",
		   (int)h->irqbalance_pid, list);
}

static int governors(const struct hostfacts *h, json_t *rep)
{
	json_t *change = new_change("governor", false);
	struct cpuset slow;
	char path[PATH_MAX], list[256];

	if (!change)
		return -ENOMEM;
	cpuset_zero(&slow);
	for (unsigned i = 0; i < h->ngovs; i++) {
		if (!strcmp(h->govs[i].governor, "performance") ||
		    fsroot_path(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/cpufreq/scaling_governor", h->govs[i].cpu) < 0)
			continue;
		cpuset_set(&slow, (unsigned)h->govs[i].cpu);
		add_write(change, path, "performance", h->govs[i].governor);
	}
	if (cpuset_empty(&slow)) {
		json_decref(change);
		return 0;
	}
	json_array_append_new(json_object_get(change, "kernel_args"), json_string("cpufreq.default_governor=performance"));
	fmt(&slow, list, sizeof(list));
	return add(rep, change, "CPUs %s do not use the performance governor: set it now (and at boot)", list);
}

static int thp(const struct hostfacts *h, json_t *rep)
{
	char path[PATH_MAX];
	json_t *change;

	if (strcmp(h->thp, "always") != 0 || fsroot_path(path, sizeof(path), "/sys/kernel/mm/transparent_hugepage/enabled") < 0)
		return 0;
	change = new_change("thp", false);
	if (!change)
		return -ENOMEM;
	add_write(change, path, "madvise", h->thp);
	json_array_append_new(json_object_get(change, "kernel_args"), json_string("transparent_hugepage=madvise"));
	return add(rep, change, "transparent hugepages are 'always': madvise now (and at boot), so khugepaged leaves the benchmark alone");
}

static int not_fixed(const struct hostfacts *h, const struct topo *t, json_t *rep)
{
	json_t *a = json_array();

	if (!a)
		return -ENOMEM;
	if (topo_threads_per_core(t) > 1)
		json_array_append_new(a, json_pack("{s:s, s:s}", "id", "smt", "message",
						   "SMT is on: keep host lcores and vCPUs on different cores (pincheck plan proposes a layout), or boot with nosmt"));
	if (!h->kvm_module[0])
		json_array_append_new(a, json_pack("{s:s, s:s}", "id", "kvm", "message",
						   "KVM is not usable (no kvm_intel or kvm_amd): guests run under TCG; enable VT-x/AMD-V (or nested virtualization)"));
	return json_object_set_new(rep, "not_fixed", a) < 0 ? -ENOMEM : 0;
}

int hostfix_build(const struct hostfacts *h, const struct topo *t, const struct hostfix_plan *plan, json_t *rep)
{
	struct cpuset house;
	char iso[256], hl[256];
	int r;

	cpuset_andnot(&house, &h->online, &plan->isolate);
	if (cpuset_empty(&house) || cpuset_empty(&plan->isolate))
		return -EINVAL;
	fmt(&plan->isolate, iso, sizeof(iso));
	fmt(&house, hl, sizeof(hl));
	if (json_object_set_new(rep, "root", json_string(fsroot_get())) < 0 ||
	    json_object_set_new(rep, "plan", json_pack("{s:s, s:s}", "isolate", iso, "housekeeping", hl)) < 0 ||
	    json_object_set_new(rep, "changes", json_array()) < 0)
		return -ENOMEM;
	if ((r = kernel_args(h, &plan->isolate, &house, rep)) < 0 || (r = irqs(h, &plan->isolate, &house, rep)) < 0 ||
	    (r = irqbalance(h, &plan->isolate, rep)) < 0 || (r = governors(h, rep)) < 0 || (r = thp(h, rep)) < 0 ||
	    (r = not_fixed(h, t, rep)) < 0)
		return r;
	return 0;
}

int hostfix_add_change(json_t *rep, const char *id, const char *message, json_t *commands)
{
	json_t *c = new_change(id, false);

	if (!c) {
		json_decref(commands);
		return -ENOMEM;
	}
	if (commands)
		json_object_set_new(c, "commands", commands);
	return add(rep, c, "%s", message);
}

int hostfix_finish(json_t *rep)
{
	static const char *const kinds[] = { "writes", "files", "lines", "services", "commands" };
	json_t *changes = json_object_get(rep, "changes"), *c;
	size_t i;

	for (size_t k = 0; k < sizeof(kinds) / sizeof(*kinds); k++) {
		json_t *all = json_array();
		if (!all)
			return -ENOMEM;
		json_array_foreach(changes, i, c)
			json_array_extend(all, json_object_get(c, kinds[k]));
		if (json_object_set_new(rep, kinds[k], all) < 0)
			return -ENOMEM;
	}
	json_object_set_new(rep, "reboot", json_boolean(json_is_true(json_object_get(json_object_get(rep, "kernel_args"),
										     "reboot"))));
	return json_object_set_new(rep, "pending", json_integer((json_int_t)json_array_size(changes))) < 0 ? -ENOMEM : 0;
}
