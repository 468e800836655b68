/* SPDX-License-Identifier: BSD-3-Clause */
/* The QEMU command line vmlaunch builds, for each option combination; profiles. */
#include <errno.h>
#include <stdlib.h>

#include "launcher/qemucmd.h"
#include "launcher/rundir.h"
#include "unit.h"

/* The argv joined with spaces, for substring assertions. */
static char *build(const struct vm_config *c)
{
	struct strv a = { 0 };
	size_t len = 1;
	char *s;

	assert_int_equal(qemucmd_build(c, &a), 0);
	for (size_t i = 0; i < a.n; i++)
		len += strlen(a.v[i]) + 1;
	s = calloc(1, len);
	for (size_t i = 0; i < a.n; i++) {
		strcat(s, a.v[i]);
		if (i + 1 < a.n)
			strcat(s, " ");
	}
	strv_free(&a);
	return s;
}

#define HAS(s, sub) do { if (!strstr((s), (sub))) fail_msg("'%s' lacks '%s'", (s), (sub)); } while (0)
#define LACKS(s, sub) do { if (strstr((s), (sub))) fail_msg("'%s' has '%s'", (s), (sub)); } while (0)

static struct vmap map2;

static int setup(void **state)
{
	(void)state;
	return vmap_parse(&map2, "0:1,1:0", 0, NULL);
}

static int teardown(void **state)
{
	(void)state;
	vmap_free(&map2);
	return 0;
}

static void base(struct vm_config *c)
{
	qemucmd_defaults(c);
	c->map = &map2;
	c->qmp_fd = 3;
}

static void test_tcg_minimal(void **state)
{
	struct vm_config c;
	char *s;

	(void)state;
	base(&c);
	s = build(&c);
	assert_true(strncmp(s, "qemu-system-x86_64 ", 19) == 0);
	HAS(s, "-name guest=vm,debug-threads=on");
	HAS(s, " -S ");
	HAS(s, "-accel tcg,thread=multi -cpu max");
	HAS(s, "-smp 2,sockets=1,cores=2,threads=1");
	HAS(s, "-m 256");
	HAS(s, "-chardev socket,id=qmp,fd=3,server=on,wait=off -mon chardev=qmp,mode=control");
	HAS(s, "-chardev stdio,id=console,signal=off -serial chardev:console");
	LACKS(s, "memory-backend");
	LACKS(s, "-kernel");
	free(s);
}

static void test_kvm_hugepages_numa(void **state)
{
	struct vm_config c;
	char *s;

	(void)state;
	base(&c);
	c.accel = ACCEL_KVM;
	c.hugepage_dir = "/dev/hugepages";
	c.mem_node = 1;
	c.memory_mb = 1024;
	s = build(&c);
	HAS(s, "-accel kvm -cpu host");
	HAS(s, "-m 1024");
	HAS(s, "-object memory-backend-file,id=ram0,size=1024M,mem-path=/dev/hugepages,share=on,prealloc=on,host-nodes=1,policy=bind -numa node,memdev=ram0");
	free(s);
}

static void test_vhost_user(void **state)
{
	struct vm_config c;
	char *s;

	(void)state;
	base(&c);
	assert_int_equal(qemucmd_parse_vhost("/run/refl/vhost0.sock,queues=2,mac=02:cd:c6:a0:01:01", &c.vhost[0], NULL), 0);
	assert_int_equal(qemucmd_parse_vhost("/tmp/v1,server", &c.vhost[1], NULL), 0);
	c.nvhost = 2;
	/* TCG: INTx (vectors=0): QEMU 7.2 segfaults with MSI-X and vhost-user under TCG. */
	s = build(&c);
	HAS(s, "-object memory-backend-memfd,id=ram0,size=256M,share=on -numa node,memdev=ram0");
	HAS(s, "-chardev socket,id=vhu0,path=/run/refl/vhost0.sock -netdev vhost-user,id=net0,chardev=vhu0,queues=2");
	HAS(s, "-device virtio-net-pci,netdev=net0,mac=02:cd:c6:a0:01:01,mq=on,vectors=0,rx_queue_size=1024,tx_queue_size=1024");
	HAS(s, "-chardev socket,id=vhu1,path=/tmp/v1,server=on,wait=off");
	HAS(s, "-device virtio-net-pci,netdev=net1,mac=52:54:00:00:01:01,vectors=0,rx_queue_size=1024,tx_queue_size=1024");
	free(s);
	/* KVM: multiqueue with 2N+2 MSI-X vectors. */
	c.accel = ACCEL_KVM;
	s = build(&c);
	HAS(s, "-device virtio-net-pci,netdev=net0,mac=02:cd:c6:a0:01:01,mq=on,vectors=6,rx_queue_size=1024,tx_queue_size=1024");
	HAS(s, "-device virtio-net-pci,netdev=net1,mac=52:54:00:00:01:01,mq=on,vectors=4,rx_queue_size=1024,tx_queue_size=1024");
	free(s);
	/* A client that reconnects when the backend restarts (the benchmark's guests). */
	base(&c);
	assert_int_equal(qemucmd_parse_vhost("/tmp/v,queues=2,reconnect=1,ring=512", &c.vhost[0], NULL), 0);
	c.nvhost = 1;
	s = build(&c);
	HAS(s, "-chardev socket,id=vhu0,path=/tmp/v,reconnect=1 -netdev vhost-user,id=net0,chardev=vhu0,queues=2");
	HAS(s, ",rx_queue_size=512,tx_queue_size=512");
	free(s);
	{
		struct pin_error err;
		struct vhost_user v;
		assert_parse_error(qemucmd_parse_vhost("/tmp/v,server,reconnect=1", &v, &err), err, -EINVAL,
				   "reconnect is for a client");
		assert_parse_error(qemucmd_parse_vhost("/tmp/v,reconnect=0", &v, &err), err, -EINVAL, "reconnect must be 1-3600");
		assert_parse_error(qemucmd_parse_vhost("/tmp/v,queues=1e3", &v, &err), err, -EINVAL, "queues must be 1-64");
		assert_parse_error(qemucmd_parse_vhost("/tmp/v,ring=768", &v, &err), err, -EINVAL, "ring must be 256, 512 or 1024");
		assert_parse_error(qemucmd_parse_vhost("/tmp/v,ring=2048", &v, &err), err, -EINVAL, "ring must be 256, 512 or 1024");
		assert_parse_error(qemucmd_parse_vhost("/tmp/v,ring=128", &v, &err), err, -EINVAL, "ring must be 256, 512 or 1024");
	}
}

static void test_boot_media_console_extra(void **state)
{
	struct vm_config c;
	char *extra[] = { "-device", "virtio-balloon" };
	char *s;

	(void)state;
	base(&c);
	c.kernel = "/boot/vmlinuz";
	c.initrd = "/boot/initrd.img";
	c.append = "console=ttyS0 quiet";
	c.console_log = "/tmp/console.log";
	c.profile_args = "-device virtio-rng-pci";
	c.extra = extra;
	c.nextra = 2;
	s = build(&c);
	HAS(s, "-kernel /boot/vmlinuz -initrd /boot/initrd.img -append console=ttyS0 quiet");
	HAS(s, "-chardev file,id=console,path=/tmp/console.log -serial chardev:console");
	/* Profile arguments, then the user's own, last. */
	HAS(s, "-device virtio-rng-pci -device virtio-balloon");
	assert_non_null(strstr(s, "virtio-balloon") + strlen("virtio-balloon") == s + strlen(s) ? s : NULL);
	free(s);
	base(&c);
	c.disk = "/var/lib/vm.qcow2";
	c.qmp_fd = -1;
	c.qmp_path = "/run/vmlaunch/vm/qmp.sock";
	s = build(&c);
	HAS(s, "-drive file=/var/lib/vm.qcow2,if=virtio");
	HAS(s, "-chardev socket,id=qmp,path=/run/vmlaunch/vm/qmp.sock,server=on,wait=off");
	free(s);
	/* A comma in a user's path is QEMU's ",," (before, ",format=raw" in a disk name or
	 * ",logappend=on" in a log name were options to QEMU). */
	base(&c);
	c.disk = "/tmp/a,format=raw";
	c.console_log = "/tmp/log,append=on";
	c.serial[0] = "/tmp/port,x.log";
	c.nserial = 1;
	c.hugepage_dir = "/mnt/huge,share=off";
	s = build(&c);
	HAS(s, "-drive file=/tmp/a,,format=raw,if=virtio");
	HAS(s, "-chardev file,id=console,path=/tmp/log,,append=on -serial chardev:console");
	HAS(s, "-chardev file,id=serial1,path=/tmp/port,,x.log -serial chardev:serial1");
	HAS(s, "mem-path=/mnt/huge,,share=off,share=on");
	free(s);
	{
		char e[8];
		assert_int_equal(qemucmd_escape("a,b", e, sizeof(e)), 0);
		assert_string_equal(e, "a,,b");
		assert_int_equal(qemucmd_escape(",,,,", e, sizeof(e)), -ENAMETOOLONG);
	}
}

static void test_vhost_errors(void **state)
{
	struct vhost_user v;
	struct pin_error err;

	(void)state;
	assert_int_equal(qemucmd_parse_vhost("/tmp/s", &v, NULL), 0);
	assert_int_equal(v.queues, 1);
	assert_false(v.server);
	assert_parse_error(qemucmd_parse_vhost(",queues=2", &v, &err), err, -EINVAL, "no socket path");
	assert_parse_error(qemucmd_parse_vhost("/s,queues=0", &v, &err), err, -EINVAL, "queues must be 1-64");
	assert_parse_error(qemucmd_parse_vhost("/s,queues=x", &v, &err), err, -EINVAL, "queues must be 1-64");
	assert_parse_error(qemucmd_parse_vhost("/s,mac=zz:00:00:00:00:00", &v, &err), err, -EINVAL, "invalid MAC");
	assert_parse_error(qemucmd_parse_vhost("/s,client", &v, &err), err, -EINVAL, "unknown option 'client'");
}

static void test_accel(void **state)
{
	struct hostfacts h = { 0 };
	char why[128];

	(void)state;
	h.kvm_dev = true;
	snprintf(h.kvm_module, sizeof(h.kvm_module), "kvm_amd");
	assert_int_equal(qemucmd_pick_accel(ACCEL_AUTO, &h, why, sizeof(why)), ACCEL_KVM);
	assert_string_equal(why, "");
	/* This workplace's case: /dev/kvm from a paravirtual module. */
	h.kvm_module[0] = '\0';
	assert_int_equal(qemucmd_pick_accel(ACCEL_AUTO, &h, why, sizeof(why)), ACCEL_TCG);
	assert_string_equal(why, "/dev/kvm exists but neither kvm_intel nor kvm_amd is loaded");
	h.kvm_dev = false;
	assert_int_equal(qemucmd_pick_accel(ACCEL_AUTO, &h, why, sizeof(why)), ACCEL_TCG);
	assert_string_equal(why, "there is no /dev/kvm");
	assert_int_equal(qemucmd_pick_accel(ACCEL_KVM, &h, why, sizeof(why)), ACCEL_KVM);
}

static void test_profiles(void **state)
{
	struct vm_config c;
	struct pin_error err;
	char args[256];
	char *s;

	(void)state;
	base(&c);
	assert_int_equal(qemucmd_load_profile(&c, FIXTURES "/profiles/good.conf", args, sizeof(args), &err), 0);
	assert_string_equal(c.qemu, "/opt/qemu/bin/qemu-system-x86_64");
	assert_string_equal(c.machine, "q35");
	assert_int_equal(c.memory_mb, 2048);
	s = build(&c);
	HAS(s, "-machine q35");
	HAS(s, "-device virtio-rng-pci -no-reboot");
	free(s);
	base(&c);
	assert_parse_error(qemucmd_load_profile(&c, FIXTURES "/profiles/unknown-key.conf", args, sizeof(args), &err), err,
			   -EINVAL, "unknown-key.conf:3: unknown key 'machin'");
	assert_parse_error(qemucmd_load_profile(&c, FIXTURES "/profiles/bad-memory.conf", args, sizeof(args), &err), err,
			   -EINVAL, "bad-memory.conf:2: memory: invalid size 'lots'");
	assert_parse_error(qemucmd_load_profile(&c, FIXTURES "/profiles/bad-section.conf", args, sizeof(args), &err), err,
			   -EINVAL, "unknown section [kvm]");
	assert_parse_error(qemucmd_load_profile(&c, FIXTURES "/profiles/missing.conf", args, sizeof(args), &err), err,
			   -ENOENT, "cannot read profile");
	assert_parse_error(qemucmd_load_profile(&c, "no-such-profile", args, sizeof(args), &err), err, -ENOENT,
			   "no qemu profile 'no-such-profile' (there are: ");
	/* The shipped profiles load. */
	setenv("PINLAB_TEMPLATES", TEMPLATES, 1);
	assert_int_equal(qemucmd_load_profile(&c, "default", args, sizeof(args), &err), 0);
	assert_int_equal(qemucmd_load_profile(&c, "nfv", args, sizeof(args), &err), 0);
	assert_string_equal(c.machine, "q35");
	unsetenv("PINLAB_TEMPLATES");
}

static void test_quoting_and_names(void **state)
{
	struct strv a = { 0 };
	char *s;

	(void)state;
	strv_add(&a, "qemu");
	strv_add(&a, "-append");
	strv_add(&a, "console=ttyS0 it's");
	strv_add_words(&a, "  -a  b ");
	s = strv_join_quoted(&a);
	assert_string_equal(s, "qemu -append 'console=ttyS0 it'\\''s' -a b");
	free(s);
	strv_free(&a);
	assert_true(rundir_valid_name("vm1"));
	assert_true(rundir_valid_name("bench.guest-0_a"));
	assert_false(rundir_valid_name(""));
	assert_false(rundir_valid_name("../etc"));
	assert_false(rundir_valid_name(".hidden"));
	assert_false(rundir_valid_name("-x"));
	assert_false(rundir_valid_name("a/b"));
	assert_false(rundir_valid_name("012345678901234567890123456789012"));
}

/* state.json through one typed structure: what vmlaunch writes reads back the same;
 * a key misspelt, of the wrong type or out of bounds is an error, never a 0. */
static void test_vmstate(void **state)
{
	struct vmstate st, back;
	json_t *j, *bad;

	(void)state;
	j = json_pack("{s:s, s:s, s:s, s:i, s:i, s:s, s:[{s:i, s:i, s:i}, {s:i, s:i, s:n}], s:s, s:[]}", "name", "vm1", "phase",
		      "running", "qmp", "/run/vmlaunch/vm1/qmp.sock", "supervisor", 100, "pid", 101, "accel", "tcg", "vcpus",
		      "vcpu", 0, "tid", 102, "cpu", 4, "vcpu", 2, "tid", 103, "cpu", "emulator_cpus", "0", "threads");
	assert_int_equal(vmstate_parse(j, &st), 0);
	assert_string_equal(st.name, "vm1");
	assert_string_equal(st.qmp, "/run/vmlaunch/vm1/qmp.sock");
	assert_int_equal(st.supervisor, 100);
	assert_int_equal(st.pid, 101);
	assert_int_equal(st.nvcpus, 2);
	assert_int_equal(st.vcpus[0].cpu, 4);
	assert_int_equal(st.vcpus[1].vcpu, 2);
	assert_int_equal(st.vcpus[1].cpu, -1); /* null: may run on several */
	/* Written and read again: the same, the rest kept. */
	json_t *again = vmstate_json(&st);
	assert_int_equal(vmstate_parse(again, &back), 0);
	assert_string_equal(json_string_value(json_object_get(again, "emulator_cpus")), "0");
	assert_int_equal(back.nvcpus, 2);
	assert_int_equal(back.vcpus[0].tid, 102);
	vmstate_free(&back);
	json_decref(again);
	vmstate_free(&st);
	/* What a reader by key would have taken for 0. */
	static const char *const breaks[] = { "name", "qmp", "phase" };
	for (unsigned i = 0; i < 3; i++) {
		bad = json_deep_copy(j);
		json_object_del(bad, breaks[i]);
		assert_int_equal(vmstate_parse(bad, &st), -EINVAL);
		json_decref(bad);
	}
	bad = json_deep_copy(j);
	json_object_set_new(bad, "pid", json_string("101"));
	assert_int_equal(vmstate_parse(bad, &st), -EINVAL);
	json_object_set_new(bad, "pid", json_integer(-5));
	assert_int_equal(vmstate_parse(bad, &st), -EINVAL);
	json_decref(bad);
	bad = json_deep_copy(j);
	json_object_set_new(json_array_get(json_object_get(bad, "vcpus"), 0), "vcpu", json_integer(VMSTATE_MAX_VCPUS));
	assert_int_equal(vmstate_parse(bad, &st), -EINVAL);
	json_object_set_new(json_array_get(json_object_get(bad, "vcpus"), 0), "vcpu", json_integer(0));
	json_object_set_new(json_array_get(json_object_get(bad, "vcpus"), 0), "cpu", json_integer(70000));
	assert_int_equal(vmstate_parse(bad, &st), -EINVAL);
	json_decref(bad);
	bad = json_deep_copy(j);
	json_object_set_new(bad, "qmp", json_pack("{}"));
	assert_int_equal(vmstate_parse(bad, &st), -EINVAL);
	json_decref(bad);
	json_decref(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcg_minimal),
		cmocka_unit_test(test_kvm_hugepages_numa),
		cmocka_unit_test(test_vhost_user),
		cmocka_unit_test(test_boot_media_console_extra),
		cmocka_unit_test(test_vhost_errors),
		cmocka_unit_test(test_accel),
		cmocka_unit_test(test_profiles),
		cmocka_unit_test(test_quoting_and_names),
		cmocka_unit_test(test_vmstate),
	};
	return cmocka_run_group_tests_name("qemucmd", tests, setup, teardown);
}
