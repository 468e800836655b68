/* SPDX-License-Identifier: BSD-3-Clause */
/* The checks behind pincheck: plan (the 2017 layout among others), host and vm, on
 * synthetic topologies, fixture hosts and hand-built VMs. */
#include <errno.h>
#include <stdlib.h>

#include "base/fsroot.h"
#include "pinning/hostcheck.h"
#include "pinning/plan.h"
#include "pinning/report.h"
#include "unit.h"
#include "pinning/vmcheck.h"
#include "pinning/vminfo.h"

#define HOST_2017 "pack:1 core:4 pu:2(indexes=0,4,1,5,2,6,3,7)"

/* The finding @id must exist with @sev, and its message contain @needle (may be NULL). */
static void expect(const json_t *rep, const char *id, const char *sev, const char *needle)
{
	json_t *f = report_find(rep, id);
	const char *msg;

	if (!f)
		fail_msg("no finding '%s'", id);
	assert_string_equal(json_string_value(json_object_get(f, "severity")), sev);
	msg = json_string_value(json_object_get(f, "message"));
	if (needle && !strstr(msg, needle))
		fail_msg("finding '%s': '%s' lacks '%s'", id, msg, needle);
}

static const char *hint_of(const json_t *rep, const char *id)
{
	return json_string_value(json_object_get(report_find(rep, id), "hint"));
}

/* Judge a layout on a synthetic topology, without live facts. */
static json_t *judge(const char *topo, const char *map, const char *host)
{
	struct topo *t = topo_load_synthetic(topo);
	struct vmap m;
	struct cpuset h;
	struct plan p = { .map = &m, .topo = t };
	json_t *rep = report_new("plan");

	assert_non_null(t);
	assert_int_equal(vmap_parse(&m, map, 0, NULL), 0);
	if (host) {
		assert_int_equal(cpuset_parse(&h, host, 0, NULL), 0);
		p.host = &h;
	}
	assert_int_equal(plan_validate(&p, NULL), 0);
	assert_int_equal(plan_check(&p, rep), 0);
	vmap_free(&m);
	topo_free(t);
	return rep;
}

/* The seed's layout: host 0x0f, guest 0xf0 on a 4-core HT host: every core shared. */
static void test_plan_2017(void **state)
{
	json_t *rep = judge(HOST_2017, "0:4,1:5,2:6,3:7", "0x0f"), *prop, *again;
	const char *hl, *vm;

	(void)state;
	expect(rep, "smt-host-guest", "fail", "every physical core (4 of 4");
	expect(rep, "smt-host-guest", "fail", "CPU 4 with 0");
	expect(rep, "vcpu-shared-cpu", "ok", NULL);
	expect(rep, "isolation", "ok", "unknown");
	assert_true(json_is_true(json_object_get(report_find(rep, "isolation"), "unknown")));
	expect(rep, "cpu0", "warn", "host lcore");
	assert_int_equal(report_worst(rep), SEV_FAIL);
	assert_int_equal(report_exit_status(rep, 0), 1);

	/* The proposal keeps host and guest on separate cores, and passes its own check. */
	prop = json_object_get(rep, "proposal");
	assert_non_null(prop);
	hl = json_string_value(json_object_get(prop, "host_lcores"));
	vm = json_string_value(json_object_get(prop, "vcpu_map"));
	assert_string_equal(hl, "0-1,4-5");
	assert_string_equal(vm, "0:2,1:6,2:3,3:7");
	assert_non_null(strstr(hint_of(rep, "smt-host-guest"), "--host-lcores 0-1,4-5 --vcpu-map 0:2,1:6,2:3,3:7"));
	again = judge(HOST_2017, vm, hl);
	expect(again, "smt-host-guest", "ok", NULL);
	expect(again, "smt-vcpu-vcpu", "warn", "2,6");
	expect(again, "smt-host-host", "warn", "0,4");
	json_decref(again);
	json_decref(rep);
}

static void test_plan_findings(void **state)
{
	json_t *rep;

	(void)state;
	rep = judge(HOST_2017, "0:1,1:1,2:2,3:2", NULL);
	expect(rep, "vcpu-shared-cpu", "fail", "vCPUs 0 and 1 share CPU 1; vCPUs 2 and 3 share CPU 2");
	assert_null(report_find(rep, "smt-host-guest")); /* no host lcores given: nothing to compare */
	json_decref(rep);

	rep = judge(HOST_2017, "0:3", "3");
	expect(rep, "host-guest-overlap", "fail", "CPU 3");
	json_decref(rep);

	/* Separate cores: no SMT finding but ok; CPU 0 unused: no cpu0 finding. */
	rep = judge(HOST_2017, "0:2,1:3", "1");
	expect(rep, "smt-host-guest", "ok", NULL);
	assert_null(report_find(rep, "cpu0"));
	assert_null(report_find(rep, "smt-vcpu-vcpu"));
	assert_int_equal(report_worst(rep), SEV_OK);
	json_decref(rep);

	rep = judge("numa:2 core:2 pu:1", "0:1,1:2", "3");
	expect(rep, "numa-spread", "warn", "nodes 0-1");
	expect(rep, "numa-host-guest", "warn", "host lcores are on NUMA node 1, vCPUs on 0-1");
	assert_int_equal(report_exit_status(rep, 0), 0);
	assert_int_equal(report_exit_status(rep, 1), 1);
	json_decref(rep);

	rep = judge("numa:2 core:2 pu:1", "0:0,1:1", "2");
	expect(rep, "numa-spread", "ok", NULL);
	expect(rep, "cpu0", "warn", "a vCPU runs on CPU 0");
	json_decref(rep);
}

static void test_plan_validate(void **state)
{
	struct topo *t = topo_load_synthetic(HOST_2017);
	struct hostfacts h;
	struct vmap m;
	struct cpuset host;
	struct pin_error err;
	struct plan p = { .map = &m, .topo = t };

	(void)state;
	assert_int_equal(vmap_parse(&m, "0:4,1:9", 0, NULL), 0);
	assert_parse_error(plan_validate(&p, &err), err, -ENODEV, "vCPU 1 is mapped to CPU 9, which the topology does not have (CPUs 0-7)");
	vmap_free(&m);
	assert_int_equal(vmap_parse(&m, "0:4", 0, NULL), 0);
	cpuset_parse_list(&host, "8", 0, NULL);
	p.host = &host;
	assert_parse_error(plan_validate(&p, &err), err, -ENODEV, "host lcore CPU 8");

	/* With live facts (the bare fixture: CPU 3 offline, process allowed on 0-1). */
	fsroot_set(FIXTURES "/host-bare");
	assert_int_equal(hostfacts_read(&h), 0);
	p.facts = &h;
	p.host = NULL;
	vmap_free(&m);
	assert_int_equal(vmap_parse(&m, "0:3", 0, NULL), 0);
	assert_parse_error(plan_validate(&p, &err), err, -EBUSY, "vCPU 0 is mapped to CPU 3, which is offline");
	vmap_free(&m);
	assert_int_equal(vmap_parse(&m, "0:1,1:2", 0, NULL), 0);
	assert_parse_error(plan_validate(&p, &err), err, -EPERM, "vCPU 1 is mapped to CPU 2, outside");
	vmap_free(&m);
	hostfacts_free(&h);
	fsroot_set(NULL);
	topo_free(t);
}

static void test_propose(void **state)
{
	struct topo *t = topo_load_synthetic(HOST_2017);
	struct cpuset host, usable;
	struct vmap m;
	char buf[128];

	(void)state;
	/* Whole cores come first, even if that means CPU 0's core. */
	assert_int_equal(plan_propose(t, NULL, 2, 2, &host, &m), 0);
	cpuset_format_list(&host, buf, sizeof(buf));
	assert_string_equal(buf, "0-1");
	vmap_format(&m, buf, sizeof(buf));
	assert_string_equal(buf, "0:2,1:3");
	vmap_free(&m);
	/* Room to spare: CPU 0's core stays free. */
	assert_int_equal(plan_propose(t, NULL, 1, 2, &host, &m), 0);
	cpuset_format_list(&host, buf, sizeof(buf));
	assert_string_equal(buf, "1");
	vmap_format(&m, buf, sizeof(buf));
	assert_string_equal(buf, "0:2,1:3");
	vmap_free(&m);
	/* Only usable CPUs are proposed: without core 3 (CPUs 3,7) three whole cores need CPU 0's. */
	cpuset_parse_list(&usable, "0-2,4-6", 0, NULL);
	assert_int_equal(plan_propose(t, &usable, 2, 1, &host, &m), 0);
	cpuset_format_list(&host, buf, sizeof(buf));
	assert_string_equal(buf, "0-1");
	assert_int_equal(m.cpu[0], 2);
	vmap_free(&m);
	/* Too many: 5 lcores and 4 vCPUs do not fit 8 PUs on separate cores. */
	assert_int_equal(plan_propose(t, NULL, 5, 4, &host, &m), -ENOSPC);
	topo_free(t);
}

static void test_plan_too_small(void **state)
{
	json_t *rep = judge("core:1 pu:2", "0:1", "0");

	(void)state;
	expect(rep, "smt-host-guest", "fail", "every physical core");
	assert_non_null(strstr(hint_of(rep, "smt-host-guest"), "too few cores"));
	assert_null(json_object_get(rep, "proposal"));
	json_decref(rep);
}

static json_t *host_report(const char *root)
{
	struct hostfacts h;
	struct topo *t;
	json_t *rep = report_new("host");

	assert_int_equal(fsroot_set(root), 0);
	assert_int_equal(hostfacts_read(&h), 0);
	t = topo_load_synthetic(HOST_2017);
	assert_int_equal(hostcheck_run(&h, t, rep), 0);
	topo_free(t);
	hostfacts_free(&h);
	fsroot_set(NULL);
	return rep;
}

static void test_host_prepared(void **state)
{
	json_t *rep = host_report(FIXTURES "/host-2017");

	(void)state;
	expect(rep, "isolation", "ok", "CPUs 4-7 are isolated");
	expect(rep, "nohz-full", "ok", NULL);
	expect(rep, "rcu-nocbs", "ok", NULL);
	expect(rep, "irq-isolated", "warn", "30 (eth0-tx-1)");
	expect(rep, "irqbalance", "warn", "pid 77");
	expect(rep, "governor", "warn", "CPUs 6-7 use the powersave governor");
	expect(rep, "smt", "warn", "0,4 1,5 2,6 3,7");
	expect(rep, "thp", "warn", "always");
	expect(rep, "hugepages", "ok", "node0 2M: 512 (256 free)");
	expect(rep, "hugetlbfs", "ok", NULL);
	expect(rep, "kvm", "ok", "kvm_intel");
	assert_null(report_find(rep, "isolcpus-flags"));
	assert_non_null(strstr(hint_of(rep, "irq-isolated"), "irqaffinity=0-3"));
	assert_int_equal(report_worst(rep), SEV_WARN);
	json_decref(rep);
}

static void test_host_bare(void **state)
{
	json_t *rep = host_report(FIXTURES "/host-bare");

	(void)state;
	expect(rep, "isolation", "warn", "no CPU is isolated");
	assert_non_null(strstr(hint_of(rep, "isolation"), "isolcpus=domain,managed_irq,1-2"));
	assert_null(report_find(rep, "irq-isolated"));
	assert_null(report_find(rep, "nohz-full"));
	expect(rep, "irqbalance", "ok", "not running");
	expect(rep, "governor", "ok", "no cpufreq");
	expect(rep, "thp", "ok", "madvise");
	expect(rep, "hugepages", "warn", "no hugepages");
	expect(rep, "hugetlbfs", "warn", NULL);
	expect(rep, "kvm", "warn", "neither kvm_intel nor kvm_amd");
	json_decref(rep);
}

static void test_isolcpus_without_domain(void **state)
{
	struct hostfacts h = { .cpu_limit = 64 };
	struct topo *t = topo_load_synthetic(HOST_2017);
	json_t *rep = report_new("host");

	(void)state;
	cpuset_parse_list(&h.online, "0-7", 0, NULL);
	hostfacts_parse_cmdline(&h, "isolcpus=nohz,managed_irq,4-7");
	assert_int_equal(hostcheck_run(&h, t, rep), 0);
	expect(rep, "isolcpus-flags", "warn", "has no 'domain' flag");
	expect(rep, "isolation", "warn", NULL);
	json_decref(rep);
	topo_free(t);
}

/* A VM by hand: vCPU threads with the given allowed lists, plus one main-loop thread. */
static void make_vm(struct vminfo *vi, const char *const *allowed, unsigned n, const char *main_allowed)
{
	memset(vi, 0, sizeof(*vi));
	vi->pid = 500;
	vi->ntasks = n + 1;
	vi->tasks = calloc(n + 1, sizeof(*vi->tasks));
	vi->nvcpus = n;
	vi->vcpu_task = calloc(n, sizeof(int));
	vi->tasks[0].tid = 500;
	snprintf(vi->tasks[0].name, sizeof(vi->tasks[0].name), "qemu-system-x86");
	cpuset_parse_list(&vi->tasks[0].allowed, main_allowed, 0, NULL);
	for (unsigned v = 0; v < n; v++) {
		struct task *t = &vi->tasks[v + 1];
		t->tid = (pid_t)(501 + v);
		snprintf(t->name, sizeof(t->name), "CPU %u/KVM", v);
		cpuset_parse_list(&t->allowed, allowed[v], 0, NULL);
		t->last_cpu = cpuset_next(&t->allowed, -1);
		vi->vcpu_task[v] = (int)v + 1;
	}
}

static json_t *vm_report(const struct vminfo *vi, const char *map, const struct hostfacts *h)
{
	struct vmap m;
	json_t *rep = report_new("vm");

	if (map)
		assert_int_equal(vmap_parse(&m, map, 0, NULL), 0);
	assert_int_equal(vmcheck_run(vi, map ? &m : NULL, h, NULL, rep), 0);
	if (map)
		vmap_free(&m);
	return rep;
}

static void test_vm_pinned(void **state)
{
	const char *const allowed[] = { "4", "5" };
	struct vminfo vi;
	json_t *rep, *v0;

	(void)state;
	make_vm(&vi, allowed, 2, "0-3");
	rep = vm_report(&vi, "0:4,1:5", NULL);
	expect(rep, "vcpu-threads", "ok", "2 vCPU threads");
	expect(rep, "vcpu-pinned", "ok", NULL);
	expect(rep, "vcpu-map", "ok", NULL);
	expect(rep, "emulator-threads", "ok", NULL);
	assert_int_equal(report_worst(rep), SEV_OK);
	assert_int_equal(json_array_size(json_object_get(rep, "vcpus")), 2);
	v0 = json_array_get(json_object_get(rep, "vcpus"), 0);
	assert_int_equal(json_integer_value(json_object_get(v0, "vcpu")), 0);
	assert_int_equal(json_integer_value(json_object_get(v0, "tid")), 501);
	assert_string_equal(json_string_value(json_object_get(v0, "allowed")), "4");
	assert_int_equal(json_integer_value(json_object_get(v0, "last_cpu")), 4);
	json_decref(rep);
	vminfo_free(&vi);
}

static void test_vm_problems(void **state)
{
	const char *const allowed[] = { "4", "4-7", "4", "6" };
	struct hostfacts h;
	struct vminfo vi;
	json_t *rep;

	(void)state;
	memset(&h, 0, sizeof(h));
	cpuset_parse_list(&h.isolated, "4-7", 0, NULL);
	make_vm(&vi, allowed, 4, "0-7");
	rep = vm_report(&vi, "0:4,1:5,2:6,3:7", &h);
	expect(rep, "vcpu-pinned", "fail", "vCPU 1 may run on CPUs 4-7");
	assert_string_equal(hint_of(rep, "vcpu-pinned"), "pin each vCPU thread to one CPU: vmlaunch attach --pid 500 --vcpu-map 0:4,1:5,2:6,3:7");
	/* Without a map: a template for every vCPU. */
	assert_string_equal(hint_of(rep, "isolcpus-trap"),
			    "pin each vCPU thread to exactly one isolated CPU: vmlaunch attach --pid 500 --vcpu-map 0:CPU,1:CPU,2:CPU,3:CPU");
	expect(rep, "vcpu-map", "fail", "vCPU 2 is on 4, the map says 6");
	expect(rep, "vcpu-shared-cpu", "fail", "vCPUs 0,2 on CPU 4");
	expect(rep, "emulator-threads", "warn", "qemu-system-x86 (tid 500) on 4,6");
	expect(rep, "isolcpus-trap", "fail", "vCPU 1 may run on isolated CPUs 4-7");
	expect(rep, "isolation", "ok", NULL);
	json_decref(rep);

	/* A map of another size is a mismatch, not a crash. */
	rep = vm_report(&vi, "0:4,1:5", NULL);
	expect(rep, "vcpu-map", "fail", "the map names vCPUs 0-1, the VM has 0-3");
	json_decref(rep);
	vminfo_free(&vi);
}

static void test_vm_sample(void **state)
{
	const char *const allowed[] = { "4", "5", "6" };
	struct vminfo vi;
	json_t *rep, *share;

	(void)state;
	make_vm(&vi, allowed, 3, "0");
	vi.sample_seconds = 2;
	vi.sample_ncpus = 8;
	vi.sample_ns = calloc(3 * 8, sizeof(uint64_t));
	vi.sample_ns[0 * 8 + 4] = 900;   /* vCPU 0 on its CPU */
	vi.sample_ns[1 * 8 + 5] = 300;   /* vCPU 1: 3/4 on its CPU, 1/4 elsewhere */
	vi.sample_ns[1 * 8 + 7] = 100;
	rep = vm_report(&vi, NULL, NULL);
	expect(rep, "sample", "fail", "vCPU 1 ran 25% of its time on CPU 7");
	share = json_object_get(json_array_get(json_object_get(rep, "vcpus"), 1), "cpu_share");
	assert_true(json_real_value(json_object_get(share, "5")) == 0.75);
	/* vCPU 2 did not run: an empty share, not a division by zero. */
	share = json_object_get(json_array_get(json_object_get(rep, "vcpus"), 2), "cpu_share");
	assert_int_equal(json_object_size(share), 0);
	json_decref(rep);

	vi.sample_ns[1 * 8 + 7] = 0;
	rep = vm_report(&vi, NULL, NULL);
	expect(rep, "sample", "ok", "1 of 3 did not run");
	json_decref(rep);
	vminfo_free(&vi);
}

/* vminfo from the fixture QEMU: names, memory backing and NUMA placement. */
static void test_vminfo_fixture(void **state)
{
	struct vminfo vi;
	struct topo *t = topo_load_synthetic(HOST_2017);
	json_t *rep = report_new("vm");
	pid_t tids[2] = { 1002, 1001 };
	unsigned idx[2] = { 0, 1 };

	(void)state;
	fsroot_set(FIXTURES "/host-2017");
	assert_int_equal(vminfo_read(1000, &vi), 0);
	assert_int_equal(vi.nvcpus, 2);
	assert_int_equal(vi.tasks[vi.vcpu_task[0]].tid, 1001);
	assert_int_equal(vi.ram_kb, 1048576);
	assert_int_equal(vi.ram_page_kb, 2048);
	assert_string_equal(vi.ram_path, "/dev/hugepages/qemu_back_mem.pc.ram.abc");
	assert_int_equal(vi.ram_node_pages[0], 512);
	assert_int_equal(vmcheck_run(&vi, NULL, NULL, t, rep), 0);
	expect(rep, "memory-hugepages", "ok", "1024 MiB");
	expect(rep, "memory-numa", "ok", NULL);
	json_decref(rep);
	/* QMP thread ids override names (vCPU 0 is thread 1002 here). */
	assert_int_equal(vminfo_set_vcpu_tids(&vi, idx, tids, 2), 0);
	assert_int_equal(vi.tasks[vi.vcpu_task[0]].tid, 1002);
	/* Numbered by cpu-index: a hot-plugged CPU 3 beside vCPU 0 leaves a gap, not a vCPU without a thread. */
	idx[1] = 3;
	assert_int_equal(vminfo_set_vcpu_tids(&vi, idx, tids, 2), 0);
	assert_int_equal(vi.nvcpus, 4);
	assert_int_equal(vminfo_vcpu_count(&vi), 2);
	assert_int_equal(vi.vcpu_task[1], -1);
	assert_int_equal(vi.tasks[vi.vcpu_task[3]].tid, tids[1]);
	idx[1] = 0;
	assert_int_equal(vminfo_set_vcpu_tids(&vi, idx, tids, 2), -EINVAL);
	idx[1] = 1;
	tids[1] = 4242;
	assert_int_equal(vminfo_set_vcpu_tids(&vi, idx, tids, 2), -ENOENT);
	vminfo_free(&vi);
	assert_int_equal(vminfo_read(999, &vi), -ESRCH);
	fsroot_set(FIXTURES "/host-bare");
	fsroot_set(NULL);
	topo_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plan_2017),
		cmocka_unit_test(test_plan_findings),
		cmocka_unit_test(test_plan_validate),
		cmocka_unit_test(test_propose),
		cmocka_unit_test(test_plan_too_small),
		cmocka_unit_test(test_host_prepared),
		cmocka_unit_test(test_host_bare),
		cmocka_unit_test(test_isolcpus_without_domain),
		cmocka_unit_test(test_vm_pinned),
		cmocka_unit_test(test_vm_problems),
		cmocka_unit_test(test_vm_sample),
		cmocka_unit_test(test_vminfo_fixture),
	};
	return cmocka_run_group_tests_name("checks", tests, NULL, NULL);
}
