/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pinning/plan.h"
#include "pinning/report.h"

int plan_validate(const struct plan *p, struct pin_error *err)
{
	struct cpuset all, one;
	char what[64], list[256];
	int r;

	topo_cpus(p->topo, &all);
	cpuset_format_list(&all, list, sizeof(list));
	for (unsigned v = 0; p->map && v < p->map->n; v++) {
		int cpu = p->map->cpu[v];
		if (cpu < 0)
			continue; /* a gap in a sparse map */
		snprintf(what, sizeof(what), "vCPU %u is mapped to", v);
		if (!cpuset_isset(&all, cpu))
			return pin_fail(err, -ENODEV, 0, "%s CPU %d, which the topology does not have (CPUs %s)",
					what, cpu, list);
		if (p->facts) {
			cpuset_zero(&one);
			cpuset_set(&one, cpu);
			r = hostfacts_check_cpus(p->facts, &one, what, err);
			if (r < 0)
				return r;
		}
	}
	if (!p->host)
		return 0;
	cpuset_foreach(cpu, p->host) {
		if (!cpuset_isset(&all, cpu))
			return pin_fail(err, -ENODEV, 0, "host lcore CPU %d is not in the topology (CPUs %s)", cpu,
					list);
	}
	if (p->facts)
		return hostfacts_check_cpus(p->facts, p->host, "host lcores include", err);
	return 0;
}

/* "vCPUs 0 and 2" / "vCPUs 0, 2 and 3" for the vCPUs mapped to @cpu. */
static void vcpus_on(const struct vmap *m, int cpu, char *buf, size_t len)
{
	unsigned n = 0, k = 0;
	size_t off;

	for (unsigned v = 0; v < m->n; v++)
		n += m->cpu[v] == cpu;
	off = (size_t)snprintf(buf, len, "vCPU%s", n > 1 ? "s" : "");
	for (unsigned v = 0; v < m->n && off < len; v++) {
		if (m->cpu[v] != cpu)
			continue;
		k++;
		off += (size_t)snprintf(buf + off, len - off, "%s%u", k == 1 ? " " : k == n ? " and " : ", ", v);
	}
}

static int check_shared(const struct plan *p, json_t *rep)
{
	struct cpuset shared, cpus;
	char detail[512] = "", who[128];
	size_t off = 0;

	if (!p->map)
		return 0;
	if (vmap_shared(p->map, &shared) == 0) {
		if (!report_add(rep, "vcpu-shared-cpu", SEV_OK, NULL, "each vCPU has a host CPU of its own"))
			return -ENOMEM;
	} else {
		cpuset_foreach(cpu, &shared) {
			vcpus_on(p->map, cpu, who, sizeof(who));
			if (off < sizeof(detail))
				off += (size_t)snprintf(detail + off, sizeof(detail) - off, "%s%s share CPU %d",
							off ? "; " : "", who, cpu);
		}
		if (!report_add(rep, "vcpu-shared-cpu", SEV_FAIL,
				"give every vCPU its own host CPU (vmlaunch refuses this layout without --allow-shared)",
				"%s: they take turns on one CPU and the guest sees stolen time", detail))
			return -ENOMEM;
	}
	if (!p->host)
		return 0;
	vmap_cpus(p->map, &cpus);
	cpuset_and(&shared, &cpus, p->host);
	if (!cpuset_empty(&shared)) {
		char list[256];
		cpuset_format_list(&shared, list, sizeof(list));
		if (!report_add(rep, "host-guest-overlap", SEV_FAIL,
				"put host lcores and vCPUs on different CPUs",
				"host lcores and vCPUs both use CPU %s: a busy-polling lcore leaves the vCPU no time", list))
			return -ENOMEM;
	}
	return 0;
}

static int add_proposal(const struct plan *p, json_t *rep, json_t *finding, unsigned nhost)
{
	struct cpuset host, usable, *u = NULL;
	struct vmap map = { 0 };
	char hl[256], vm[1024], hint[1400];
	int r;

	if (p->facts) {
		cpuset_and(&usable, &p->facts->online, &p->facts->allowed);
		u = &usable;
	}
	r = plan_propose(p->topo, u, nhost, p->map->n, &host, &map);
	if (r == -ENOSPC) {
		json_object_set_new(finding, "hint",
				    json_string("this host has too few cores to keep host lcores and vCPUs on separate cores: use fewer lcores or vCPUs"));
		return 0;
	}
	if (r < 0)
		return r;
	cpuset_format_list(&host, hl, sizeof(hl));
	vmap_format(&map, vm, sizeof(vm));
	snprintf(hint, sizeof(hint), "use separate cores: %s%s%s--vcpu-map %s", nhost ? "--host-lcores " : "",
		 nhost ? hl : "", nhost ? " " : "", vm);
	json_object_set_new(finding, "hint", json_string(hint));
	json_object_set_new(rep, "proposal", json_pack("{s:s, s:s}", "host_lcores", hl, "vcpu_map", vm));
	vmap_free(&map);
	return 0;
}

static int check_smt(const struct plan *p, json_t *rep)
{
	struct cpuset vcpus, sib, shared_cores, vv_cores, hh_cores;
	char pairs[512] = "", vv[512] = "", hh[512] = "";
	size_t off = 0, voff = 0, hoff = 0;
	unsigned ncores = topo_ncores(p->topo), nshared;
	json_t *f;

	cpuset_zero(&vcpus);
	if (p->map)
		vmap_cpus(p->map, &vcpus);
	cpuset_zero(&shared_cores);
	cpuset_zero(&vv_cores);
	cpuset_zero(&hh_cores);
	/* Per vCPU: siblings that are host lcores, or another vCPU. */
	for (unsigned v = 0; p->map && v < p->map->n; v++) {
		int cpu = p->map->cpu[v], core = cpu < 0 ? -1 : topo_core_of(p->topo, cpu);
		if (core < 0 || topo_siblings(p->topo, cpu, &sib) < 0)
			continue;
		cpuset_clr(&sib, cpu);
		cpuset_foreach(s, &sib) {
			if (p->host && cpuset_isset(p->host, s) && !cpuset_isset(&shared_cores, core)) {
				cpuset_set(&shared_cores, core);
				if (off < sizeof(pairs))
					off += (size_t)snprintf(pairs + off, sizeof(pairs) - off, "%sCPU %d with %d",
								off ? ", " : "", cpu, s);
			}
			if (cpuset_isset(&vcpus, s) && s > cpu && !cpuset_isset(&vv_cores, core)) {
				cpuset_set(&vv_cores, core);
				if (voff < sizeof(vv))
					voff += (size_t)snprintf(vv + voff, sizeof(vv) - voff, "%s%d,%d",
								 voff ? " " : "", cpu, s);
			}
		}
	}
	nshared = cpuset_count(&shared_cores);
	if (!p->map) {
		/* Host lcores alone: nothing to compare with a guest. */
	} else if (p->host && nshared > 0) {
		f = report_add(rep, "smt-host-guest", SEV_FAIL, NULL,
			       "host lcores and vCPUs share %s (%u of %u; SMT siblings: %s): the busy-polling host lcore and the vCPU compete for one core",
			       nshared == ncores ? "every physical core" : "physical cores", nshared, ncores, pairs);
		if (!f || add_proposal(p, rep, f, cpuset_count(p->host)) < 0)
			return -ENOMEM;
	} else if (p->host) {
		/* A CPU shared outright is host-guest-overlap's finding; here only siblings count. */
		struct cpuset both;
		cpuset_and(&both, &vcpus, p->host);
		if (!report_add(rep, "smt-host-guest", SEV_OK, NULL, "%s",
				cpuset_empty(&both) ? "host lcores and vCPUs are on different physical cores"
						    : "no vCPU is an SMT sibling of a host lcore (CPUs they share outright are another finding)"))
			return -ENOMEM;
	}
	if (!cpuset_empty(&vv_cores) &&
	    !report_add(rep, "smt-vcpu-vcpu", SEV_WARN,
			"tell the guest its vCPUs are threads of one core (-smp …,threads=2) or give each vCPU a whole core (OpenStack's hw:cpu_thread_policy=isolate)",
			"vCPUs share physical cores (SMT siblings %s): each gets roughly half a core under load", vv))
		return -ENOMEM;
	if (!p->host)
		return 0;
	cpuset_foreach(cpu, p->host) {
		int core = topo_core_of(p->topo, cpu);
		if (core < 0 || topo_siblings(p->topo, cpu, &sib) < 0)
			continue;
		cpuset_clr(&sib, cpu);
		cpuset_foreach(s, &sib) {
			if (s > cpu && cpuset_isset(p->host, s) && !cpuset_isset(&hh_cores, core)) {
				cpuset_set(&hh_cores, core);
				if (hoff < sizeof(hh))
					hoff += (size_t)snprintf(hh + hoff, sizeof(hh) - hoff, "%s%d,%d",
								 hoff ? " " : "", cpu, s);
			}
		}
	}
	if (!cpuset_empty(&hh_cores) &&
	    !report_add(rep, "smt-host-host", SEV_WARN,
			"give each busy-polling host lcore a whole core when the host has enough",
			"host lcores share physical cores (SMT siblings %s): two polling loops on one core each run at roughly half speed", hh))
		return -ENOMEM;
	return 0;
}

static int check_isolation(const struct plan *p, json_t *rep)
{
	struct cpuset all, notiso;
	char list[256];
	json_t *f;

	cpuset_zero(&all);
	if (p->map)
		vmap_cpus(p->map, &all);
	if (p->host)
		cpuset_or(&all, &all, p->host);
	cpuset_format_phrase(&all, list, sizeof(list));
	if (!p->facts) {
		f = report_add(rep, "isolation", SEV_OK, NULL,
			       "isolation of %s is unknown: the topology describes a host being planned for, not this one",
			       list);
		if (!f || json_object_set_new(f, "unknown", json_true()) < 0)
			return -ENOMEM;
		return 0;
	}
	cpuset_andnot(&notiso, &all, &p->facts->isolated);
	if (cpuset_empty(&notiso)) {
		if (!report_add(rep, "isolation", SEV_OK, NULL, "%s %s isolated", list, cpuset_verb(&all, "is", "are")))
			return -ENOMEM;
		return 0;
	}
	cpuset_format_phrase(&notiso, list, sizeof(list));
	if (!report_add(rep, "isolation", SEV_WARN,
			"isolate them at boot (isolcpus=domain,managed_irq,LIST nohz_full=LIST rcu_nocbs=LIST) or in a cgroup v2 isolated partition",
			"%s %s not isolated: the scheduler may run other tasks there", list, cpuset_verb(&notiso, "is", "are")))
		return -ENOMEM;
	return 0;
}

static int check_numa(const struct plan *p, json_t *rep)
{
	struct cpuset vnodes, hnodes;
	char vl[128], hl[128];

	cpuset_zero(&vnodes);
	cpuset_zero(&hnodes);
	if (!p->map)
		return 0;
	for (unsigned v = 0; v < p->map->n; v++) {
		int n = p->map->cpu[v] < 0 ? -1 : topo_numa_of(p->topo, p->map->cpu[v]);
		if (n >= 0)
			cpuset_set(&vnodes, n);
	}
	if (p->host) {
		cpuset_foreach(cpu, p->host) {
			int n = topo_numa_of(p->topo, cpu);
			if (n >= 0)
				cpuset_set(&hnodes, n);
		}
	}
	cpuset_format_list(&vnodes, vl, sizeof(vl));
	cpuset_format_list(&hnodes, hl, sizeof(hl));
	if (cpuset_count(&vnodes) > 1) {
		if (!report_add(rep, "numa-spread", SEV_WARN,
				"keep a VM's vCPUs on one NUMA node, with its memory (vmlaunch --hugepages binds it there)",
				"vCPUs are spread over NUMA nodes %s: guest memory is remote for some of them", vl))
			return -ENOMEM;
	} else if (!report_add(rep, "numa-spread", SEV_OK, NULL, "vCPUs are on one NUMA node (%s)", vl)) {
		return -ENOMEM;
	}
	if (p->host && !cpuset_empty(&hnodes) && !cpuset_equal(&hnodes, &vnodes) &&
	    !report_add(rep, "numa-host-guest", SEV_WARN,
			"put the host lcores on the vCPUs' NUMA node: vhost-user copies every frame through guest memory",
			"host lcores are on NUMA node %s, vCPUs on %s", hl, vl))
		return -ENOMEM;
	return 0;
}

static int check_cpu0(const struct plan *p, json_t *rep)
{
	struct cpuset vcpus;
	const char *who = NULL;

	cpuset_zero(&vcpus);
	if (p->map)
		vmap_cpus(p->map, &vcpus);
	if (cpuset_isset(&vcpus, 0))
		who = "a vCPU";
	else if (p->host && cpuset_isset(p->host, 0))
		who = "a host lcore";
	if (!who)
		return 0;
	if (!report_add(rep, "cpu0", SEV_WARN,
			"keep CPU 0 for housekeeping when the host has CPUs to spare",
			"%s runs on CPU 0, which serves timers, IRQs and kernel threads that cannot move", who))
		return -ENOMEM;
	return 0;
}

int plan_check(const struct plan *p, json_t *rep)
{
	int r;

	if ((r = check_shared(p, rep)) < 0 || (r = check_smt(p, rep)) < 0 ||
	    (r = check_isolation(p, rep)) < 0 || (r = check_numa(p, rep)) < 0 ||
	    (r = check_cpu0(p, rep)) < 0)
		return r;
	return 0;
}

/* Take @want CPUs from cores[*next…]: one per core when @whole, else every usable PU
 * of a core; skip CPU 0's core when @skip0. */
static int take(const struct cpuset *cores, unsigned ncores, unsigned *next, unsigned want, bool whole,
		bool skip0, int *out)
{
	unsigned got = 0;

	while (got < want && *next < ncores) {
		const struct cpuset *c = &cores[(*next)++];
		if (skip0 && cpuset_isset(c, 0))
			continue;
		cpuset_foreach(cpu, c) {
			if (got == want)
				break;
			out[got++] = cpu;
			if (whole)
				break;
		}
	}
	return got == want ? 0 : -ENOSPC;
}

int plan_propose(const struct topo *t, const struct cpuset *usable, unsigned nhost, unsigned nvcpu,
		 struct cpuset *host, struct vmap *map)
{
	unsigned ncores = topo_ncores(t), n = 0;
	struct cpuset *cores;
	int *hcpus = NULL, *vcpus = NULL, r = -ENOSPC;

	cores = calloc(ncores ? ncores : 1, sizeof(*cores));
	hcpus = calloc(nhost + 1, sizeof(*hcpus));
	vcpus = calloc(nvcpu + 1, sizeof(*vcpus));
	if (!cores || !hcpus || !vcpus) {
		r = -ENOMEM;
		goto cleanup;
	}
	for (unsigned c = 0; c < ncores; c++) {
		if (topo_core_cpus(t, c, &cores[n]) < 0)
			continue;
		if (usable)
			cpuset_and(&cores[n], &cores[n], usable);
		if (!cpuset_empty(&cores[n]))
			n++;
	}
	/* Four tries, best first: whole cores without CPU 0's, whole cores, packed without CPU 0's, packed. */
	for (int attempt = 0; attempt < 4; attempt++) {
		bool whole = attempt < 2, skip0 = attempt % 2 == 0;
		unsigned next = 0;

		if (take(cores, n, &next, nhost, whole, skip0, hcpus) == 0 &&
		    take(cores, n, &next, nvcpu, whole, skip0, vcpus) == 0) {
			cpuset_zero(host);
			for (unsigned i = 0; i < nhost; i++)
				cpuset_set(host, hcpus[i]);
			r = vmap_from_array(map, vcpus, nvcpu);
			goto cleanup;
		}
	}
cleanup:
	free(cores);
	free(hcpus);
	free(vcpus);
	return r;
}
