/* SPDX-License-Identifier: BSD-3-Clause */
/* The libvirt backend without a daemon: the domain XML read back with libxml2, and
 * every API path against libvirt's test driver (test:///default, and a custom node
 * with three domains in tests/fixtures/libvirt/node.xml). */
#include <errno.h>
#include <stdlib.h>

#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "launcher/qemucmd.h"
#include "unit.h"
#include "launcher/virt.h"

#ifndef TOP
#define TOP "."
#endif

/* The string value of XPath @expr over @xml. */
static char *xpath(const char *xml, const char *expr)
{
	xmlDocPtr doc = xmlReadMemory(xml, (int)strlen(xml), "d.xml", NULL, XML_PARSE_NONET);
	xmlXPathContextPtr ctx;
	xmlXPathObjectPtr o;
	char *out;

	assert_non_null(doc);
	ctx = xmlXPathNewContext(doc);
	xmlXPathRegisterNs(ctx, BAD_CAST "qemu", BAD_CAST "http://libvirt.org/schemas/domain/qemu/1.0");
	xmlXPathRegisterNs(ctx, BAD_CAST "p", BAD_CAST VIRT_META_URI);
	o = xmlXPathEvalExpression(BAD_CAST expr, ctx);
	assert_non_null(o);
	{
		xmlChar *s = xmlXPathCastToString(o);
		out = strdup((const char *)s);
		xmlFree(s);
	}
	xmlXPathFreeObject(o);
	xmlXPathFreeContext(ctx);
	xmlFreeDoc(doc);
	return out;
}

static void check(const char *xml, const char *expr, const char *want)
{
	char *got = xpath(xml, expr);
	assert_string_equal(got, want);
	free(got);
}

static void test_xml(void **state)
{
	struct vm_config c;
	struct vmap map = { 0 };
	struct pin_error err;
	struct cpuset emu;
	struct virt_domain_opts o = { .type = "qemu", .emulator = &emu, .tcg = true, .hugepage_kb = 2048 };
	char msg[256], *xml;
	char *extra[] = { "-no-reboot" };

	(void)state;
	qemucmd_defaults(&c);
	snprintf(c.name, sizeof(c.name), "a&b");
	assert_int_equal(vmap_parse(&map, "0:3,1:2,2:5", 8, &err), 0);
	cpuset_zero(&emu);
	cpuset_set(&emu, 0);
	cpuset_set(&emu, 1);
	c.map = &map;
	c.kernel = "/k";
	c.append = "x=\"<&>\"";
	assert_int_equal(qemucmd_parse_vhost("/s,queues=2,reconnect=3", &c.vhost[0], &err), 0);
	c.nvhost = 1;
	c.extra = extra;
	c.nextra = 1;
	c.mem_node = 0;
	assert_int_equal(virt_domain_xml(&c, &o, &xml, msg, sizeof(msg)), 0);
	check(xml, "string(/domain/name)", "a&b");
	check(xml, "string(/domain/os/cmdline)", "x=\"<&>\"");
	check(xml, "count(//cputune/vcpupin)", "3");
	check(xml, "string(//cputune/vcpupin[@vcpu='2']/@cpuset)", "5");
	check(xml, "string(//cputune/emulatorpin/@cpuset)", "0-1");
	check(xml, "string(//vcpu)", "3");
	check(xml, "string(//p:vmlaunch/p:vcpu-map)", "0:3,1:2,2:5");
	check(xml, "string(//interface/source/reconnect/@timeout)", "3");
	check(xml, "string(//interface/driver/@queues)", "2");
	check(xml, "string(//interface/driver/@rx_queue_size)", "1024");
	check(xml, "string(//interface/driver/@tx_queue_size)", "1024");
	check(xml, "string(//qemu:override/qemu:device/@alias)", "ua-net0");
	check(xml, "string(//qemu:commandline/qemu:arg/@value)", "-no-reboot");
	check(xml, "string(//memoryBacking/hugepages/page/@size)", "2048");
	check(xml, "string(//numatune/memory/@nodeset)", "0");
	free(xml);
	/* KVM: no vectors override, the host's CPU. */
	o.type = "kvm";
	o.tcg = false;
	assert_int_equal(virt_domain_xml(&c, &o, &xml, msg, sizeof(msg)), 0);
	check(xml, "count(//qemu:override)", "0");
	check(xml, "string(//cpu/@mode)", "host-passthrough");
	free(xml);
	vmap_free(&map);
}

static void test_default_driver(void **state)
{
	struct virt *v;
	struct vminfo vi;
	struct vmap map = { 0 }, wrong = { 0 };
	struct pin_error err;
	struct cpuset emu;
	char msg[512];
	unsigned moved = 9;
	bool local = true;
	json_t *res = NULL, *all;

	(void)state;
	assert_int_equal(virt_open("test:///default", &v, msg, sizeof(msg)), 0);
	assert_string_equal(virt_driver(v), "TEST");
	assert_false(virt_is_local_qemu(v));
	assert_true(virt_host_cpus(v) >= 8);
	assert_int_equal(virt_read_vm(v, "test", &vi, &local, msg, sizeof(msg)), 0);
	assert_false(local);
	assert_int_equal(vi.nvcpus, 2);
	vminfo_free(&vi);
	/* Re-pin (the test driver takes no live/config flags: the current state), verify. */
	assert_int_equal(vmap_parse(&map, "0:3,1:4", 8, &err), 0);
	cpuset_zero(&emu);
	cpuset_set(&emu, 0);
	assert_int_equal(virt_repin(v, "test", &map, &emu, &moved, msg, sizeof(msg)), 0);
	assert_int_equal(moved, 0);
	assert_int_equal(virt_verify(v, "test", &map, &emu, 0, &res, msg, sizeof(msg)), 0);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(json_object_get(res, "vcpus"), 1), "cpu")), 4);
	assert_true(json_is_null(json_object_get(res, "pid")));
	json_decref(res);
	/* Another map: a mismatch, named. */
	assert_int_equal(vmap_parse(&wrong, "0:3,1:5", 8, &err), 0);
	assert_int_equal(virt_verify(v, "test", &wrong, &emu, 0, &res, msg, sizeof(msg)), -3);
	assert_non_null(strstr(msg, "vCPU 1 on CPUs 4, not on CPU 5"));
	/* Not ours: not listed, not stopped. */
	all = virt_list(v, msg, sizeof(msg));
	assert_int_equal(json_array_size(all), 0);
	json_decref(all);
	assert_int_equal(virt_stop(v, "test", 0, msg, sizeof(msg)), -1);
	assert_non_null(strstr(msg, "was not started by vmlaunch"));
	assert_int_equal(virt_stop(v, "nosuch", 0, msg, sizeof(msg)), -2);
	vmap_free(&map);
	vmap_free(&wrong);
	virt_close(v);
	/* A URI with nothing behind it. */
	assert_int_equal(virt_open("qemu:///system?socket=/nonexistent/sock", &v, msg, sizeof(msg)), -1);
	assert_non_null(strstr(msg, "cannot connect to libvirt at qemu:///system?socket=/nonexistent/sock: "));
}

static void test_custom_node(void **state)
{
	struct virt *v;
	struct vminfo vi;
	char msg[512];
	bool local;
	json_t *all;

	(void)state;
	assert_int_equal(virt_open("test://" TOP "/tests/fixtures/libvirt/node.xml", &v, msg, sizeof(msg)), 0);
	all = virt_list(v, msg, sizeof(msg));
	assert_int_equal(json_array_size(all), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(all, 0), "name")), "pinned");
	json_decref(all);
	/* pinned: vCPUs on 2 and 3, the emulator on 0-1, 256 MiB of hugepages. */
	assert_int_equal(virt_read_vm(v, "pinned", &vi, &local, msg, sizeof(msg)), 0);
	assert_int_equal(vi.nvcpus, 2);
	assert_true(cpuset_isset(&vi.tasks[vi.vcpu_task[1]].allowed, 3));
	assert_int_equal(cpuset_count(&vi.tasks[vi.vcpu_task[1]].allowed), 1);
	assert_string_equal(vi.tasks[2].name, "emulator");
	assert_int_equal(vi.ram_kb, 256 * 1024);
	assert_int_equal(vi.ram_page_kb, 2048);
	vminfo_free(&vi);
	assert_int_equal(virt_read_vm(v, "halted", &vi, &local, msg, sizeof(msg)), -2);
	assert_non_null(strstr(msg, "is not running"));
	vminfo_free(&vi);
	/* The new domain: defined, started (then paused: this driver cannot start paused), resumed. */
	{
		struct vm_config c;
		struct vmap map = { 0 };
		struct pin_error err;
		struct virt_domain_opts o = { .type = "test" };
		char *xml;
		json_t *res;
		qemucmd_defaults(&c);
		snprintf(c.name, sizeof(c.name), "fresh");
		assert_int_equal(vmap_parse(&map, "0:6", 8, &err), 0);
		c.map = &map;
		assert_int_equal(virt_domain_xml(&c, &o, &xml, msg, sizeof(msg)), 0);
		assert_int_equal(virt_define_start_paused(v, xml, "fresh", msg, sizeof(msg)), 0);
		assert_int_equal(virt_verify(v, "fresh", &map, NULL, 0, &res, msg, sizeof(msg)), 0);
		json_decref(res);
		assert_int_equal(virt_resume(v, "fresh", msg, sizeof(msg)), 0);
		assert_int_equal(virt_define_start_paused(v, xml, "fresh", msg, sizeof(msg)), -1);
		assert_non_null(strstr(msg, "already exists"));
		assert_int_equal(virt_stop(v, "fresh", 0, msg, sizeof(msg)), 0);
		assert_int_equal(virt_stop(v, "fresh", 0, msg, sizeof(msg)), -2);
		free(xml);
		vmap_free(&map);
	}
	virt_close(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_xml),
		cmocka_unit_test(test_default_driver),
		cmocka_unit_test(test_custom_node),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
