/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pinning/hostcheck.h"
#include "pinning/hostfix.h"
#include "pinning/report.h"

#define ADD(...) do { if (!report_add(__VA_ARGS__)) return -ENOMEM; } while (0)

static void fmt(const struct cpuset *s, char *buf, size_t len)
{
	if (cpuset_format_list(s, buf, len) < 0)
		snprintf(buf, len, "(%u CPU%s)", cpuset_count(s), cpuset_count(s) == 1 ? "" : "s");
}

static int check_topology(const struct hostfacts *h, const struct topo *t, json_t *rep)
{
	char on[256];

	fmt(&h->online, on, sizeof(on));
	ADD(rep, "topology", SEV_OK, NULL, "%u CPU%s online (%s): %u package%s, %u core%s, %u thread%s per core, %u NUMA node%s",
	    cpuset_count(&h->online), cpuset_count(&h->online) == 1 ? "" : "s", on, topo_npackages(t), topo_npackages(t) > 1 ? "s" : "",
	    topo_ncores(t), topo_ncores(t) > 1 ? "s" : "", topo_threads_per_core(t),
	    topo_threads_per_core(t) > 1 ? "s" : "", topo_nnodes(t), topo_nnodes(t) > 1 ? "s" : "");
	return 0;
}

static int check_isolation(const struct hostfacts *h, const struct topo *t, json_t *rep)
{
	char iso[256], sug[256], hint[768], list[256];
	struct cpuset want, missing;

	if (cpuset_empty(&h->isolated)) {
		hostfix_default_isolate(h, t, &want);
		fmt(&want, sug, sizeof(sug));
		if (cpuset_empty(&want))
			snprintf(hint, sizeof(hint), "this host has no CPU to spare beyond CPU 0's core; on a larger host isolate the benchmark CPUs at boot");
		else
			snprintf(hint, sizeof(hint), "isolate the benchmark CPUs at boot: isolcpus=domain,managed_irq,%s nohz_full=%s rcu_nocbs=%s irqaffinity=0, or create a cgroup v2 isolated partition",
				 sug, sug, sug);
		ADD(rep, "isolation", SEV_WARN, hint,
		    "no CPU is isolated: the scheduler may put any task on the benchmark's CPUs");
	} else {
		cpuset_format_phrase(&h->isolated, iso, sizeof(iso));
		ADD(rep, "isolation", SEV_OK, NULL, "%s %s isolated from load balancing (%s%s%s)", iso,
		    cpuset_verb(&h->isolated, "is", "are"),
		    h->has_isolcpus ? "isolcpus" : "",
		    h->has_isolcpus && !cpuset_empty(&h->cgroup_isolated) ? ", " : "",
		    cpuset_empty(&h->cgroup_isolated) ? "" : "cgroup v2 isolated partition");
	}
	if (h->has_isolcpus && h->isolcpus_flags[0] && !strstr(h->isolcpus_flags, "domain")) {
		fmt(&h->isolcpus, list, sizeof(list));
		ADD(rep, "isolcpus-flags", SEV_WARN, "add the domain flag: isolcpus=domain,<flags>,<cpus>",
		    "isolcpus=%s,%s has no 'domain' flag: those CPUs stay in load balancing", h->isolcpus_flags, list);
	}
	if (cpuset_empty(&h->isolated))
		return 0;

	cpuset_andnot(&missing, &h->isolated, &h->sys_nohz_full);
	if (!cpuset_empty(&missing) && h->has_nohz_full)
		cpuset_andnot(&missing, &missing, &h->nohz_full);
	cpuset_format_phrase(&missing, list, sizeof(list));
	if (cpuset_empty(&missing))
		ADD(rep, "nohz-full", SEV_OK, NULL, "isolated CPUs run tickless (nohz_full)");
	else
		ADD(rep, "nohz-full", SEV_WARN, "add nohz_full=<isolated CPUs> to the kernel command line",
		    "isolated %s %s not nohz_full: the timer tick interrupts %s", list, cpuset_verb(&missing, "is", "are"),
		    cpuset_verb(&missing, "it", "them"));

	cpuset_andnot(&missing, &h->isolated, &h->rcu_nocbs);
	cpuset_format_phrase(&missing, list, sizeof(list));
	if (h->has_rcu_nocbs && cpuset_empty(&missing))
		ADD(rep, "rcu-nocbs", SEV_OK, NULL, "RCU callbacks are offloaded from the isolated CPUs");
	else
		ADD(rep, "rcu-nocbs", SEV_WARN, "add rcu_nocbs=<isolated CPUs> to the kernel command line",
		    "isolated %s %s RCU callbacks (no rcu_nocbs)", list, cpuset_verb(&missing, "runs", "run"));
	return 0;
}

static int check_irqs(const struct hostfacts *h, json_t *rep)
{
	char detail[640] = "", list[256], hint[512];
	size_t off = 0;
	unsigned n = 0;
	struct cpuset hits, house;

	if (cpuset_empty(&h->isolated))
		return 0;
	cpuset_zero(&hits);
	for (unsigned i = 0; i < h->nirqs; i++) {
		const struct irq_info *q = &h->irqs[i];
		struct cpuset on;
		cpuset_and(&on, &q->affinity, &h->isolated);
		if (cpuset_empty(&on))
			continue;
		cpuset_or(&hits, &hits, &on);
		if (n++ < 8 && off < sizeof(detail))
			off += (size_t)snprintf(detail + off, sizeof(detail) - off, "%s%d%s%s%s", off ? ", " : "", q->irq,
						q->name[0] ? " (" : "", q->name, q->name[0] ? ")" : "");
	}
	if (n == 0) {
		ADD(rep, "irq-isolated", SEV_OK, NULL, "no IRQ is routed to an isolated CPU (%u IRQs)", h->nirqs);
		return 0;
	}
	cpuset_andnot(&house, &h->online, &h->isolated);
	fmt(&house, list, sizeof(list));
	snprintf(hint, sizeof(hint), "route them to housekeeping CPUs: irqaffinity=%s on the kernel command line, or echo %s > /proc/irq/N/smp_affinity_list",
		 list, list);
	fmt(&hits, list, sizeof(list));
	ADD(rep, "irq-isolated", SEV_WARN, hint, "%u IRQ%s can land on isolated CPUs %s: %s%s", n, n > 1 ? "s" : "",
	    list, detail, n > 8 ? ", …" : "");
	return 0;
}

static int check_irqbalance(const struct hostfacts *h, json_t *rep)
{
	if (!h->irqbalance_pid)
		ADD(rep, "irqbalance", SEV_OK, NULL, "irqbalance is not running");
	else if (cpuset_empty(&h->isolated))
		ADD(rep, "irqbalance", SEV_OK, NULL, "irqbalance is running (pid %d); no CPU is isolated",
		    (int)h->irqbalance_pid);
	else if (h->has_irqbalance_banned && cpuset_subset(&h->isolated, &h->irqbalance_banned))
		ADD(rep, "irqbalance", SEV_OK, NULL,
		    "irqbalance is running (pid %d) and leaves the isolated CPUs alone (IRQBALANCE_BANNED_CPULIST in /etc/default/irqbalance)",
		    (int)h->irqbalance_pid);
	else
		ADD(rep, "irqbalance", SEV_WARN,
		    "stop it (systemctl stop irqbalance) or ban the isolated CPUs (IRQBALANCE_BANNED_CPULIST in /etc/default/irqbalance)",
		    "irqbalance is running (pid %d) and may move IRQs onto the isolated CPUs", (int)h->irqbalance_pid);
	return 0;
}

static int check_governors(const struct hostfacts *h, json_t *rep)
{
	struct cpuset slow;
	char list[256], gov[24] = "";

	if (h->ngovs == 0) {
		ADD(rep, "governor", SEV_OK, NULL, "no cpufreq driver: this kernel does not scale CPU frequency");
		return 0;
	}
	cpuset_zero(&slow);
	for (unsigned i = 0; i < h->ngovs; i++) {
		if (strcmp(h->govs[i].governor, "performance") != 0) {
			cpuset_set(&slow, h->govs[i].cpu);
			snprintf(gov, sizeof(gov), "%s", h->govs[i].governor);
		}
	}
	if (cpuset_empty(&slow)) {
		ADD(rep, "governor", SEV_OK, NULL, "every CPU uses the performance governor");
		return 0;
	}
	cpuset_format_phrase(&slow, list, sizeof(list));
	ADD(rep, "governor", SEV_WARN, "cpupower frequency-set -g performance (or write performance to …/cpufreq/scaling_governor)",
	    "%s %s the %s governor: the clock changes during a run", list, cpuset_verb(&slow, "uses", "use"), gov);
	return 0;
}

static int check_smt(const struct hostfacts *h, const struct topo *t, json_t *rep)
{
	char groups[512] = "";
	size_t off = 0;
	unsigned tpc = topo_threads_per_core(t);

	if (tpc <= 1 && h->smt_active != 1) {
		const char *c = h->smt_control;
		ADD(rep, "smt", SEV_OK, NULL, "SMT is %s: every CPU is a core of its own",
		    !strcmp(c, "notsupported") ? "not supported by this CPU" : !strcmp(c, "notimplemented") ? "not known to this kernel"
		    : !strcmp(c, "forceoff") ? "forced off" : c[0] ? c : "off");
		return 0;
	}
	for (unsigned c = 0; c < topo_ncores(t) && off < sizeof(groups); c++) {
		struct cpuset cpus;
		char l[64];
		if (topo_core_cpus(t, c, &cpus) < 0 || cpuset_count(&cpus) < 2)
			continue;
		fmt(&cpus, l, sizeof(l));
		off += (size_t)snprintf(groups + off, sizeof(groups) - off, "%s%s", off ? " " : "", l);
	}
	ADD(rep, "smt", SEV_WARN,
	    "keep host lcores and vCPUs on different cores (pincheck plan checks a layout), or turn SMT off (echo off > /sys/devices/system/cpu/smt/control)",
	    "SMT is on: %u threads per core share it (siblings %s)", tpc, groups);
	return 0;
}

static int check_thp(const struct hostfacts *h, json_t *rep)
{
	if (strcmp(h->thp, "always") == 0)
		ADD(rep, "thp", SEV_WARN, "echo madvise > /sys/kernel/mm/transparent_hugepage/enabled",
		    "transparent hugepages are 'always': khugepaged compacts memory behind the benchmark's back");
	else
		ADD(rep, "thp", SEV_OK, NULL, "transparent hugepages: %s", h->thp[0] ? h->thp : "not available");
	return 0;
}

static int check_hugepages(const struct hostfacts *h, json_t *rep)
{
	char detail[512] = "";
	size_t off = 0;
	long long total = 0;

	for (unsigned i = 0; i < h->npools; i++) {
		const struct hp_pool *p = &h->pools[i];
		total += p->total;
		char where[24] = "";
		if (p->total == 0 || off >= sizeof(detail))
			continue;
		if (p->node >= 0)
			snprintf(where, sizeof(where), "node%d ", p->node);
		off += (size_t)snprintf(detail + off, sizeof(detail) - off, "%s%s%lu%s: %lld (%lld free)",
					off ? ", " : "", where,
					p->size_kb >= 1048576 ? p->size_kb / 1048576 : p->size_kb / 1024,
					p->size_kb >= 1048576 ? "G" : "M", p->total, p->free);
	}
	if (total == 0)
		ADD(rep, "hugepages", SEV_WARN, "reserve and mount them: hugepages setup 1G",
		    "no hugepages are reserved: DPDK and vhost-user guest memory need them");
	else
		ADD(rep, "hugepages", SEV_OK, NULL, "hugepages reserved: %s", detail);
	if (h->hugetlbfs_mounts == 0)
		ADD(rep, "hugetlbfs", SEV_WARN, "hugepages mount", "no hugetlbfs is mounted");
	else
		ADD(rep, "hugetlbfs", SEV_OK, NULL, "%u hugetlbfs mount%s", h->hugetlbfs_mounts,
		    h->hugetlbfs_mounts > 1 ? "s" : "");
	return 0;
}

static int check_kvm(const struct hostfacts *h, json_t *rep)
{
	if (h->kvm_dev && h->kvm_module[0])
		ADD(rep, "kvm", SEV_OK, NULL, "KVM is usable (%s)", h->kvm_module);
	else if (h->kvm_dev)
		ADD(rep, "kvm", SEV_WARN, "load kvm_intel or kvm_amd (enable VT-x/AMD-V, or nested virtualization on a VM host)",
		    "/dev/kvm exists but neither kvm_intel nor kvm_amd is loaded: guests run under TCG (slow; pinning still works)");
	else
		ADD(rep, "kvm", SEV_WARN, "load kvm_intel or kvm_amd", "no /dev/kvm: guests run under TCG (slow; pinning still works)");
	return 0;
}

static int host_data(const struct hostfacts *h, json_t *rep)
{
	json_t *o = json_object(), *pools = json_array();

	if (!o || !pools)
		goto nomem;
	if (report_set_cpulist(o, "online", &h->online) < 0 || report_set_cpulist(o, "allowed", &h->allowed) < 0 ||
	    report_set_cpulist(o, "isolated", &h->isolated) < 0 ||
	    report_set_cpulist(o, "nohz_full", &h->sys_nohz_full) < 0)
		goto nomem;
	json_object_set_new(o, "cmdline", json_string(h->cmdline));
	json_object_set_new(o, "smt", json_string(h->smt_control));
	json_object_set_new(o, "thp", json_string(h->thp));
	for (unsigned i = 0; i < h->npools; i++)
		json_array_append_new(pools, json_pack("{s:i, s:I, s:I, s:I, s:I}", "node", h->pools[i].node,
						       "size_kb", (json_int_t)h->pools[i].size_kb,
						       "total", (json_int_t)h->pools[i].total,
						       "free", (json_int_t)h->pools[i].free,
						       "surplus", (json_int_t)h->pools[i].surplus));
	json_object_set_new(o, "hugepages", pools);
	return json_object_set_new(rep, "host", o) < 0 ? -ENOMEM : 0;
nomem:
	json_decref(o);
	json_decref(pools);
	return -ENOMEM;
}

int hostcheck_run(const struct hostfacts *h, const struct topo *t, json_t *rep)
{
	int r;

	if ((r = check_topology(h, t, rep)) < 0 || (r = check_isolation(h, t, rep)) < 0 ||
	    (r = check_irqs(h, rep)) < 0 || (r = check_irqbalance(h, rep)) < 0 ||
	    (r = check_governors(h, rep)) < 0 || (r = check_smt(h, t, rep)) < 0 ||
	    (r = check_thp(h, rep)) < 0 || (r = check_hugepages(h, rep)) < 0 ||
	    (r = check_kvm(h, rep)) < 0 || (r = host_data(h, rep)) < 0)
		return r;
	return 0;
}
