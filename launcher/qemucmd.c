/* SPDX-License-Identifier: BSD-3-Clause */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hugepages/hp.h"
#include "base/inifile.h"
#include "base/numparse.h"
#include "launcher/qemucmd.h"
#include "base/templates.h"

struct profile_ctx {
	struct vm_config *c;
	char *args;
	size_t args_len;
};

void qemucmd_defaults(struct vm_config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "vm");
	snprintf(c->qemu, sizeof(c->qemu), "qemu-system-x86_64");
	snprintf(c->machine, sizeof(c->machine), "pc");
	snprintf(c->cpu_model, sizeof(c->cpu_model), "auto");
	c->memory_mb = 256;
	c->mem_node = -1;
	c->accel = ACCEL_TCG;
	c->qmp_fd = -1;
}

/* One key of a [qemu] profile. */
static int profile_key(void *ctx, const char *file, int lineno, const char *section, const char *key,
		       const char *value, struct pin_error *err)
{
	struct profile_ctx *p = ctx;
	uint64_t bytes;

	if (strcmp(section, "qemu") != 0)
		return pin_fail(err, -EINVAL, (size_t)lineno, "%s:%d: unknown section [%s] (profiles have [qemu])", file,
				lineno, section);
	if (strcmp(key, "binary") == 0) {
		snprintf(p->c->qemu, sizeof(p->c->qemu), "%s", value);
	} else if (strcmp(key, "machine") == 0) {
		snprintf(p->c->machine, sizeof(p->c->machine), "%s", value);
	} else if (strcmp(key, "cpu") == 0) {
		snprintf(p->c->cpu_model, sizeof(p->c->cpu_model), "%s", value);
	} else if (strcmp(key, "memory") == 0) {
		if (hp_parse_size(value, &bytes, NULL) < 0 || bytes < (1 << 20))
			return pin_fail(err, -EINVAL, (size_t)lineno, "%s:%d: memory: invalid size '%s'", file, lineno, value);
		p->c->memory_mb = bytes >> 20;
	} else if (strcmp(key, "args") == 0) {
		snprintf(p->args, p->args_len, "%s", value);
		p->c->profile_args = p->args;
	} else {
		return pin_fail(err, -EINVAL, (size_t)lineno, "%s:%d: unknown key '%s' (binary, machine, cpu, memory, args)",
				file, lineno, key);
	}
	return 0;
}

int qemucmd_load_profile(struct vm_config *c, const char *name_or_file, char *args_buf, size_t args_len,
			 struct pin_error *err)
{
	char path[PATH_MAX];
	struct profile_ctx p = { .c = c, .args = args_buf, .args_len = args_len };
	int r;

	if ((r = tmpl_find("qemu", name_or_file, path, sizeof(path), err)) < 0)
		return r;
	return ini_load(path, profile_key, &p, NULL, err);
}

static bool valid_mac(const char *m)
{
	for (int i = 0; i < 17; i++) {
		if (i % 3 == 2 ? m[i] != ':' : !isxdigit((unsigned char)m[i]))
			return false;
	}
	return m[17] == '\0';
}

int qemucmd_parse_vhost(const char *spec, struct vhost_user *v, struct pin_error *err)
{
	char buf[512], *save = NULL, *opt;
	size_t plen = strcspn(spec, ",");

	memset(v, 0, sizeof(*v));
	v->queues = 1;
	v->ring = QEMUCMD_RING_DEFAULT;
	if (plen == 0)
		return pin_fail(err, -EINVAL, 0, "--vhost-user '%s': no socket path", spec);
	if (plen >= sizeof(v->path))
		return pin_fail(err, -EINVAL, 0, "--vhost-user: socket path too long");
	memcpy(v->path, spec, plen);
	v->path[plen] = '\0';
	if (spec[plen] == '\0')
		return 0;
	snprintf(buf, sizeof(buf), "%s", spec + plen + 1);
	for (opt = strtok_r(buf, ",", &save); opt; opt = strtok_r(NULL, ",", &save)) {
		if (strncmp(opt, "queues=", 7) == 0) {
			unsigned long long q;
			if (num_parse_uint(opt + 7, 1, 64, &q) < 0)
				return pin_fail(err, -EINVAL, 0, "--vhost-user '%s': queues must be 1-64", spec);
			v->queues = (unsigned)q;
		} else if (strncmp(opt, "mac=", 4) == 0) {
			if (!valid_mac(opt + 4))
				return pin_fail(err, -EINVAL, 0, "--vhost-user '%s': invalid MAC '%s' (like 52:54:00:12:34:56)",
						spec, opt + 4);
			snprintf(v->mac, sizeof(v->mac), "%s", opt + 4);
		} else if (strncmp(opt, "ring=", 5) == 0) {
			unsigned long long n;
			/* QEMU takes 256 to 1024 entries, a power of two, for both rings of a vhost-user NIC. */
			if (num_parse_uint(opt + 5, 256, 1024, &n) < 0 || (n & (n - 1)))
				return pin_fail(err, -EINVAL, 0, "--vhost-user '%s': ring must be 256, 512 or 1024", spec);
			v->ring = (unsigned)n;
		} else if (strcmp(opt, "server") == 0) {
			v->server = true;
		} else if (strncmp(opt, "reconnect=", 10) == 0) {
			unsigned long long r;
			if (num_parse_uint(opt + 10, 1, 3600, &r) < 0)
				return pin_fail(err, -EINVAL, 0, "--vhost-user '%s': reconnect must be 1-3600 seconds", spec);
			v->reconnect = (unsigned)r;
		} else {
			return pin_fail(err, -EINVAL, 0, "--vhost-user '%s': unknown option '%s' (queues=N, mac=MAC, server, reconnect=SECONDS, ring=N)",
					spec, opt);
		}
	}
	if (v->server && v->reconnect)
		return pin_fail(err, -EINVAL, 0, "--vhost-user '%s': reconnect is for a client; with server QEMU waits for the backend",
				spec);
	return 0;
}

enum accel qemucmd_pick_accel(enum accel want, const struct hostfacts *h, char *why, size_t len)
{
	if (why && len)
		why[0] = '\0';
	if (want != ACCEL_AUTO)
		return want;
	if (h->kvm_dev && h->kvm_module[0])
		return ACCEL_KVM;
	if (why)
		snprintf(why, len, "%s", h->kvm_dev ? "/dev/kvm exists but neither kvm_intel nor kvm_amd is loaded"
						    : "there is no /dev/kvm");
	return ACCEL_TCG;
}

int qemucmd_escape(const char *s, char *buf, size_t len)
{
	size_t o = 0;

	for (; *s; s++) {
		if (o + 2 >= len)
			return -ENAMETOOLONG;
		if (*s == ',')
			buf[o++] = ',';
		buf[o++] = *s;
	}
	if (o >= len)
		return -ENAMETOOLONG;
	buf[o] = '\0';
	return 0;
}

int qemucmd_build(const struct vm_config *c, struct strv *a)
{
	bool kvm = c->accel == ACCEL_KVM;
	const char *cpu = strcmp(c->cpu_model, "auto") == 0 ? (kvm ? "host" : "max") : c->cpu_model;
	char e[2 * PATH_MAX];   /* a path escaped for QEMU's option parser */
	int r = 0;

#define ADD(s) do { if ((r = strv_add(a, (s))) < 0) return r; } while (0)
#define ADDF(...) do { if ((r = strv_addf(a, __VA_ARGS__)) < 0) return r; } while (0)
#define ESC(s) do { if ((r = qemucmd_escape((s), e, sizeof(e))) < 0) return r; } while (0)
	ADD(c->qemu);
	/* debug-threads=on names vCPU threads "CPU n/KVM": for people; we pin by QMP thread id. */
	ADDF("-name");
	ADDF("guest=%s,debug-threads=on", c->name);
	ADD("-S");
	ADD("-no-user-config");
	ADD("-nodefaults");
	ADD("-display");
	ADD("none");
	ADD("-machine");
	ADD(c->machine);
	ADD("-accel");
	/* Multi-threaded TCG gives each vCPU its own host thread, which is what we pin. */
	ADD(kvm ? "kvm" : "tcg,thread=multi");
	ADD("-cpu");
	ADD(cpu);
	ADD("-smp");
	ADDF("%u,sockets=1,cores=%u,threads=1", c->map->n, c->map->n);
	ADD("-m");
	ADDF("%llu", (unsigned long long)c->memory_mb);
	if (c->hugepage_dir || c->nvhost) {
		/* vhost-user needs guest RAM the backend can map: shared, on hugetlbfs or a memfd. */
		char bind[48] = "";
		if (c->mem_node >= 0)
			snprintf(bind, sizeof(bind), ",host-nodes=%d,policy=bind", c->mem_node);
		ADD("-object");
		if (c->hugepage_dir) {
			ESC(c->hugepage_dir);
			ADDF("memory-backend-file,id=ram0,size=%lluM,mem-path=%s,share=on,prealloc=on%s",
			     (unsigned long long)c->memory_mb, e, bind);
		} else {
			ADDF("memory-backend-memfd,id=ram0,size=%lluM,share=on%s", (unsigned long long)c->memory_mb, bind);
		}
		ADD("-numa");
		ADD("node,memdev=ram0");
	}
	ADD("-chardev");
	if (c->qmp_fd >= 0) {
		ADDF("socket,id=qmp,fd=%d,server=on,wait=off", c->qmp_fd);
	} else {
		ESC(c->qmp_path ? c->qmp_path : "qmp.sock");
		ADDF("socket,id=qmp,path=%s,server=on,wait=off", e);
	}
	ADD("-mon");
	ADD("chardev=qmp,mode=control");
	ADD("-chardev");
	if (c->console_log) {
		ESC(c->console_log);
		ADDF("file,id=console,path=%s", e);
	} else {
		ADD("stdio,id=console,signal=off");
	}
	ADD("-serial");
	ADD("chardev:console");
	for (unsigned i = 0; i < c->nserial; i++) {
		ESC(c->serial[i]);
		ADD("-chardev");
		ADDF("file,id=serial%u,path=%s", i + 1, e);
		ADD("-serial");
		ADDF("chardev:serial%u", i + 1);
	}
	for (unsigned i = 0; i < c->nvhost; i++) {
		const struct vhost_user *v = &c->vhost[i];
		char mac[18];
		if (v->mac[0])
			snprintf(mac, sizeof(mac), "%s", v->mac);
		else
			snprintf(mac, sizeof(mac), "52:54:00:00:01:%02x", i);
		char rc[32] = "";
		ESC(v->path);
		if (v->reconnect)
			snprintf(rc, sizeof(rc), ",reconnect=%u", v->reconnect);
		ADD("-chardev");
		ADDF("socket,id=vhu%u,path=%s%s%s", i, e, v->server ? ",server=on,wait=off" : "", rc);
		ADD("-netdev");
		ADDF("vhost-user,id=net%u,chardev=vhu%u,queues=%u", i, i, v->queues);
		ADD("-device");
		/* Under TCG, QEMU 7.2 crashes in msix_set_vector_notifiers with vhost-user and MSI-X: use INTx. */
		if (kvm)
			ADDF("virtio-net-pci,netdev=net%u,mac=%s,mq=on,vectors=%u,rx_queue_size=%u,tx_queue_size=%u", i, mac,
			     2 * v->queues + 2, v->ring, v->ring);
		else
			ADDF("virtio-net-pci,netdev=net%u,mac=%s%s,vectors=0,rx_queue_size=%u,tx_queue_size=%u", i, mac,
			     v->queues > 1 ? ",mq=on" : "", v->ring, v->ring);
	}
	if (c->kernel) {
		ADD("-kernel");
		ADD(c->kernel);
	}
	if (c->initrd) {
		ADD("-initrd");
		ADD(c->initrd);
	}
	if (c->append) {
		ADD("-append");
		ADD(c->append);
	}
	if (c->disk) {
		ESC(c->disk);
		ADD("-drive");
		ADDF("file=%s,if=virtio", e);
	}
	if (c->profile_args && (r = strv_add_words(a, c->profile_args)) < 0)
		return r;
	for (int i = 0; i < c->nextra; i++)
		ADD(c->extra[i]);
	return 0;
#undef ADD
#undef ADDF
#undef ESC
}
