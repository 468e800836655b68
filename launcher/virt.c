/* SPDX-License-Identifier: BSD-3-Clause */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>

#include "launcher/virt.h"

#define QEMU_NS "http://libvirt.org/schemas/domain/qemu/1.0"

struct virt {
	virConnectPtr conn;
	char uri[1024];
	char driver[32];
	bool local;
};

static void msgf(char *msg, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void msgf(char *msg, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, len, fmt, ap);
	va_end(ap);
}

/* libvirt's last error, on one line. */
static const char *last_error(void)
{
	static char buf[512];
	const char *m = virGetLastErrorMessage();
	size_t n = 0;

	for (; m && *m && n + 1 < sizeof(buf); m++)
		buf[n++] = (*m == '\n' || *m == '\r') ? ' ' : *m;
	buf[n] = '\0';
	return buf;
}

static int last_code(void)
{
	virErrorPtr e = virGetLastError();
	return e ? e->code : VIR_ERR_OK;
}

/* libvirt prints every error on stderr unless told otherwise; we say them once, our way. */
static void quiet(void *data, virErrorPtr e)
{
	(void)data;
	(void)e;
}

/* --- the domain XML ----------------------------------------------------------- */

static xmlNodePtr add(xmlNodePtr parent, const char *name, const char *text)
{
	return xmlNewTextChild(parent, NULL, BAD_CAST name, text ? BAD_CAST text : NULL);
}

static void prop(xmlNodePtr n, const char *name, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void prop(xmlNodePtr n, const char *name, const char *fmt, ...)
{
	char buf[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	xmlNewProp(n, BAD_CAST name, BAD_CAST buf);
}

/* qcow2 images start with "QFI\xfb"; anything else is given to QEMU as raw. */
static const char *disk_format(const char *path)
{
	unsigned char magic[4] = { 0 };
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, magic, sizeof(magic)) : -1;

	if (fd >= 0)
		close(fd);
	return n == 4 && !memcmp(magic, "QFI\xfb", 4) ? "qcow2" : "raw";
}

static void add_cputune(xmlNodePtr dom, const struct vm_config *c, const struct virt_domain_opts *o)
{
	xmlNodePtr tune = add(dom, "cputune", NULL), n;
	char list[4096];

	for (unsigned v = 0; v < c->map->n; v++) {
		n = add(tune, "vcpupin", NULL);
		prop(n, "vcpu", "%u", v);
		prop(n, "cpuset", "%d", c->map->cpu[v]);
	}
	if (o->emulator) {
		cpuset_format_list(o->emulator, list, sizeof(list));
		prop(add(tune, "emulatorpin", NULL), "cpuset", "%s", list);
	}
	if (o->fifo_prio > 0) {
		n = add(tune, "vcpusched", NULL);
		prop(n, "vcpus", "0-%u", c->map->n - 1);
		prop(n, "scheduler", "fifo");
		prop(n, "priority", "%d", o->fifo_prio);
	}
}

static void add_memory(xmlNodePtr dom, const struct vm_config *c, const struct virt_domain_opts *o)
{
	xmlNodePtr mb, n;

	char num[32];

	snprintf(num, sizeof(num), "%llu", (unsigned long long)c->memory_mb);
	prop(add(dom, "memory", num), "unit", "MiB");
	if (c->mem_node >= 0) {
		n = add(add(dom, "numatune", NULL), "memory", NULL);
		prop(n, "mode", "strict");
		prop(n, "nodeset", "%d", c->mem_node);
	}
	if (o->hugepage_kb == 0 && c->nvhost == 0)
		return;
	/* vhost-user needs the guest's RAM shared with the backend. */
	mb = add(dom, "memoryBacking", NULL);
	if (o->hugepage_kb) {
		n = add(add(mb, "hugepages", NULL), "page", NULL);
		prop(n, "size", "%lu", o->hugepage_kb);
		prop(n, "unit", "KiB");
	} else {
		prop(add(mb, "source", NULL), "type", "memfd");
	}
	prop(add(mb, "access", NULL), "mode", "shared");
	if (o->hugepage_kb)
		prop(add(mb, "allocation", NULL), "mode", "immediate");
}

static void add_os(xmlNodePtr dom, const struct vm_config *c, const struct virt_domain_opts *o)
{
	xmlNodePtr os = add(dom, "os", NULL), t = add(os, "type", "hvm"), cpu;

	if (strcmp(o->type, "test") != 0) {
		prop(t, "arch", "x86_64");
		if (c->machine[0])
			prop(t, "machine", "%s", c->machine);
	}
	if (c->kernel)
		add(os, "kernel", c->kernel);
	if (c->initrd)
		add(os, "initrd", c->initrd);
	if (c->append)
		add(os, "cmdline", c->append);
	if (!c->kernel)
		prop(add(os, "boot", NULL), "dev", "hd");
	/* ACPI, so that a guest's poweroff ends the domain. */
	add(add(dom, "features", NULL), "acpi", NULL);
	if (!strcmp(o->type, "test"))
		return;
	cpu = add(dom, "cpu", NULL);
	if (!strcmp(c->cpu_model, "auto") || !c->cpu_model[0]) {
		prop(cpu, "mode", "%s", !strcmp(o->type, "kvm") ? "host-passthrough" : "maximum");
	} else if (!strcmp(c->cpu_model, "host")) {
		prop(cpu, "mode", "host-passthrough");
	} else if (!strcmp(c->cpu_model, "max")) {
		prop(cpu, "mode", "maximum");
	} else {
		prop(cpu, "mode", "custom");
		prop(cpu, "match", "exact");
		prop(add(cpu, "model", c->cpu_model), "fallback", "allow");
	}
}

static void add_serial(xmlNodePtr devs, const char *path, unsigned port)
{
	xmlNodePtr s = add(devs, "serial", NULL);

	prop(s, "type", "%s", path ? "file" : "pty");
	if (path)
		prop(add(s, "source", NULL), "path", "%s", path);
	prop(add(s, "target", NULL), "port", "%u", port);
}

static void add_devices(xmlNodePtr dom, const struct vm_config *c, const struct virt_domain_opts *o)
{
	xmlNodePtr devs = add(dom, "devices", NULL), n, src;

	if (o->emulator_binary)
		add(devs, "emulator", o->emulator_binary);
	if (c->disk) {
		n = add(devs, "disk", NULL);
		prop(n, "type", "file");
		prop(n, "device", "disk");
		if (strcmp(o->type, "test") != 0) {
			xmlNodePtr d = add(n, "driver", NULL);
			prop(d, "name", "qemu");
			prop(d, "type", "%s", disk_format(c->disk));
		}
		prop(add(n, "source", NULL), "file", "%s", c->disk);
		src = add(n, "target", NULL);
		prop(src, "dev", "vda");
		prop(src, "bus", "virtio");
	}
	for (unsigned i = 0; i < c->nvhost; i++) {
		const struct vhost_user *vh = &c->vhost[i];
		n = add(devs, "interface", NULL);
		prop(n, "type", "vhostuser");
		if (vh->mac[0])
			prop(add(n, "mac", NULL), "address", "%s", vh->mac);
		src = add(n, "source", NULL);
		prop(src, "type", "unix");
		prop(src, "path", "%s", vh->path);
		prop(src, "mode", "%s", vh->server ? "server" : "client");
		if (vh->reconnect && !vh->server) {
			xmlNodePtr r = add(src, "reconnect", NULL);
			prop(r, "enabled", "yes");
			prop(r, "timeout", "%u", vh->reconnect);
		}
		prop(add(n, "model", NULL), "type", "virtio");
		{
			xmlNodePtr d = add(n, "driver", NULL);
			if (vh->queues > 1)
				prop(d, "queues", "%u", vh->queues);
			prop(d, "rx_queue_size", "%u", vh->ring ? vh->ring : QEMUCMD_RING_DEFAULT);
			prop(d, "tx_queue_size", "%u", vh->ring ? vh->ring : QEMUCMD_RING_DEFAULT);
		}
		prop(add(n, "alias", NULL), "name", "ua-net%u", i);
	}
	add_serial(devs, c->console_log, 0);
	for (unsigned i = 0; i < c->nserial; i++)
		add_serial(devs, c->serial[i], i + 1);
	prop(add(devs, "memballoon", NULL), "model", "none");
}

/* QEMU arguments libvirt has no element for: the profile's and those after "--";
 * vectors=0 on vhost-user NICs under TCG. */
static void add_qemu_extras(xmlNodePtr dom, const struct vm_config *c, const struct virt_domain_opts *o)
{
	xmlNsPtr ns = NULL;
	xmlNodePtr cl = NULL, ov;
	char *words = c->profile_args ? strdup(c->profile_args) : NULL, *save = NULL;

	if ((words && strtok_r(words, " \t", &save)) || c->nextra > 0 || (o->tcg && c->nvhost)) {
		ns = xmlNewNs(dom, BAD_CAST QEMU_NS, BAD_CAST "qemu");
	}
	free(words);
	if (!ns)
		return;
	words = c->profile_args ? strdup(c->profile_args) : NULL;
	for (char *w = words ? strtok_r(words, " \t", &save) : NULL; w; w = strtok_r(NULL, " \t", &save)) {
		if (!cl)
			cl = xmlNewChild(dom, ns, BAD_CAST "commandline", NULL);
		prop(xmlNewChild(cl, ns, BAD_CAST "arg", NULL), "value", "%s", w);
	}
	free(words);
	for (int i = 0; i < c->nextra; i++) {
		if (!cl)
			cl = xmlNewChild(dom, ns, BAD_CAST "commandline", NULL);
		prop(xmlNewChild(cl, ns, BAD_CAST "arg", NULL), "value", "%s", c->extra[i]);
	}
	if (!o->tcg || !c->nvhost)
		return;
	ov = xmlNewChild(dom, ns, BAD_CAST "override", NULL);
	for (unsigned i = 0; i < c->nvhost; i++) {
		xmlNodePtr d = xmlNewChild(ov, ns, BAD_CAST "device", NULL), p;
		prop(d, "alias", "ua-net%u", i);
		p = xmlNewChild(xmlNewChild(d, ns, BAD_CAST "frontend", NULL), ns, BAD_CAST "property", NULL);
		prop(p, "name", "vectors");
		prop(p, "type", "unsigned");
		prop(p, "value", "0");
	}
}

int virt_domain_xml(const struct vm_config *c, const struct virt_domain_opts *o, char **xml, char *msg, size_t len)
{
	xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");
	xmlNodePtr dom, meta;
	xmlNsPtr ns;
	xmlChar *out = NULL;
	char text[4096];
	int n = 0;

	*xml = NULL;
	if (!doc)
		goto nomem;
	dom = xmlNewNode(NULL, BAD_CAST "domain");
	xmlDocSetRootElement(doc, dom);
	prop(dom, "type", "%s", o->type);
	add(dom, "name", c->name);
	/* Our mark: list and stop know vmlaunch's domains by it. */
	meta = xmlNewChild(add(dom, "metadata", NULL), NULL, BAD_CAST "vmlaunch", NULL);
	ns = xmlNewNs(meta, BAD_CAST VIRT_META_URI, BAD_CAST VIRT_META_PREFIX);
	xmlSetNs(meta, ns);
	vmap_format(c->map, text, sizeof(text));
	xmlNewTextChild(meta, ns, BAD_CAST "vcpu-map", BAD_CAST text);
	if (o->emulator) {
		cpuset_format_list(o->emulator, text, sizeof(text));
		xmlNewTextChild(meta, ns, BAD_CAST "emulator-cpus", BAD_CAST text);
	}
	add_memory(dom, c, o);
	snprintf(text, sizeof(text), "%u", c->map->n);
	prop(add(dom, "vcpu", text), "placement", "static");
	add_cputune(dom, c, o);
	add_os(dom, c, o);
	add(dom, "on_poweroff", "destroy");
	add(dom, "on_reboot", "restart");
	add(dom, "on_crash", "destroy");
	add_devices(dom, c, o);
	add_qemu_extras(dom, c, o);
	xmlDocDumpFormatMemoryEnc(doc, &out, &n, "UTF-8", 1);
	xmlFreeDoc(doc);
	if (!out)
		goto nomem;
	/* No XML declaration: libvirt's own XML has none, and virsh prints it that way. */
	{
		const char *body = strstr((const char *)out, "<domain");
		*xml = strdup(body ? body : (const char *)out);
	}
	xmlFree(out);
	if (!*xml)
		goto nomem;
	return 0;
nomem:
	msgf(msg, len, "out of memory building the domain XML");
	return -ENOMEM;
}

/* --- connection ---------------------------------------------------------------- */

int virt_open(const char *uri, struct virt **out, char *msg, size_t len)
{
	struct virt *v = calloc(1, sizeof(*v));
	const char *type;
	char *got, *host;

	*out = NULL;
	virSetErrorFunc(NULL, quiet);
	if (!v) {
		msgf(msg, len, "out of memory");
		return -1;
	}
	v->conn = virConnectOpenAuth(uri, virConnectAuthPtrDefault, 0);
	if (!v->conn) {
		msgf(msg, len, "cannot connect to libvirt at %s: %s", uri ? uri : "its default URI", last_error());
		free(v);
		return -1;
	}
	got = virConnectGetURI(v->conn);
	snprintf(v->uri, sizeof(v->uri), "%s", got ? got : (uri ? uri : ""));
	free(got);
	type = virConnectGetType(v->conn);
	snprintf(v->driver, sizeof(v->driver), "%s", type ? type : "");
	/* Local: no host part in the URI ("qemu:///system", "qemu+unix:///..."). */
	host = strstr(v->uri, "://");
	v->local = !strcmp(v->driver, "QEMU") && host && host[3] == '/';
	*out = v;
	return 0;
}

void virt_close(struct virt *v)
{
	if (!v)
		return;
	virConnectClose(v->conn);
	free(v);
}

const char *virt_uri(const struct virt *v) { return v->uri; }
const char *virt_driver(const struct virt *v) { return v->driver; }
bool virt_is_local_qemu(const struct virt *v) { return v->local; }

unsigned virt_host_cpus(const struct virt *v)
{
	virNodeInfo info;
	int n = virNodeGetCPUMap(v->conn, NULL, NULL, 0);

	if (n > 0)
		return (unsigned)n;
	if (virNodeGetInfo(v->conn, &info) == 0)
		return info.cpus;
	return 0;
}

bool virt_offers_kvm(const struct virt *v)
{
	char *caps = virConnectGetCapabilities(v->conn);
	bool kvm = caps && strstr(caps, "<domain type='kvm'") != NULL;

	free(caps);
	return kvm;
}

static virDomainPtr lookup(struct virt *v, const char *name, char *msg, size_t len)
{
	virDomainPtr d = virDomainLookupByName(v->conn, name);

	if (!d)
		msgf(msg, len, "domain '%s' on %s: %s", name, v->uri, last_error());
	return d;
}

static bool ours(virDomainPtr d)
{
	char *m = virDomainGetMetadata(d, VIR_DOMAIN_METADATA_ELEMENT, VIRT_META_URI, 0);
	bool yes = m != NULL;

	free(m);
	return yes;
}

/* --- define, start, stop --------------------------------------------------------- */

int virt_define_start_paused(struct virt *v, const char *xml, const char *name, char *msg, size_t len)
{
	virDomainPtr d = virDomainLookupByName(v->conn, name);

	if (d) {
		msgf(msg, len, "a domain named '%s' already exists on %s: %s", name, v->uri,
		     ours(d) ? "stop it (vmlaunch stop --libvirt NAME) or choose another --name" : "choose another --name");
		virDomainFree(d);
		return -1;
	}
	d = virDomainDefineXML(v->conn, xml);
	if (!d) {
		msgf(msg, len, "libvirt at %s refused the domain '%s': %s", v->uri, name, last_error());
		return -1;
	}
	/* A driver that cannot start paused (libvirt's test driver): started, then paused;
	 * its pinning is applied at start all the same. */
	if (virDomainCreateWithFlags(d, VIR_DOMAIN_START_PAUSED) < 0 &&
	    ((last_code() != VIR_ERR_INVALID_ARG && last_code() != VIR_ERR_NO_SUPPORT) || virDomainCreate(d) < 0 ||
	     virDomainSuspend(d) < 0)) {
		msgf(msg, len, "libvirt at %s could not start domain '%s': %s", v->uri, name, last_error());
		virDomainUndefine(d);
		virDomainFree(d);
		return -1;
	}
	virDomainFree(d);
	return 0;
}

int virt_resume(struct virt *v, const char *name, char *msg, size_t len)
{
	virDomainPtr d = lookup(v, name, msg, len);
	int r;

	if (!d)
		return -1;
	r = virDomainResume(d);
	if (r < 0)
		msgf(msg, len, "domain '%s' on %s: resume: %s", name, v->uri, last_error());
	virDomainFree(d);
	return r < 0 ? -1 : 0;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int virt_running(struct virt *v, const char *name, bool *crashed, char *msg, size_t len)
{
	virDomainPtr d = virDomainLookupByName(v->conn, name);
	int state = 0, reason = 0, r;

	*crashed = false;
	if (!d)
		return last_code() == VIR_ERR_NO_DOMAIN ? 0 : (msgf(msg, len, "domain '%s' on %s: %s", name, v->uri, last_error()), -1);
	r = virDomainGetState(d, &state, &reason, 0);
	virDomainFree(d);
	if (r < 0) {
		msgf(msg, len, "domain '%s' on %s: %s", name, v->uri, last_error());
		return -1;
	}
	if (state == VIR_DOMAIN_SHUTOFF || state == VIR_DOMAIN_CRASHED) {
		*crashed = state == VIR_DOMAIN_CRASHED || reason == VIR_DOMAIN_SHUTOFF_CRASHED ||
			   reason == VIR_DOMAIN_SHUTOFF_FAILED;
		return 0;
	}
	return 1;
}

int virt_stop(struct virt *v, const char *name, double grace, char *msg, size_t len)
{
	virDomainPtr d = virDomainLookupByName(v->conn, name);
	long long deadline;
	bool crashed;

	if (!d) {
		msgf(msg, len, "domain '%s' on %s: %s", name, v->uri, last_error());
		return -2;
	}
	if (!ours(d)) {
		msgf(msg, len, "domain '%s' on %s was not started by vmlaunch: stop it with virsh", name, v->uri);
		virDomainFree(d);
		return -1;
	}
	if (virDomainIsActive(d) == 1) {
		if (grace > 0 && virDomainShutdown(d) == 0) {
			deadline = now_ms() + (long long)(grace * 1000);
			while (virt_running(v, name, &crashed, msg, len) == 1 && now_ms() < deadline)
				poll(NULL, 0, 50);
		}
		if (virDomainIsActive(d) == 1 && virDomainDestroy(d) < 0 && virDomainIsActive(d) == 1) {
			msgf(msg, len, "domain '%s' on %s: destroy: %s", name, v->uri, last_error());
			virDomainFree(d);
			return -1;
		}
	}
	if (virDomainIsPersistent(d) == 1 && virDomainUndefine(d) < 0) {
		msgf(msg, len, "domain '%s' on %s: undefine: %s", name, v->uri, last_error());
		virDomainFree(d);
		return -1;
	}
	virDomainFree(d);
	return 0;
}

/* --- pinning ------------------------------------------------------------------- */

/* Host CPUs to size cpumaps by: the hypervisor's, and at least past every CPU named. */
static unsigned map_cpus(const struct virt *v, const struct vmap *map, const struct cpuset *emu)
{
	unsigned n = virt_host_cpus(v);

	for (unsigned i = 0; map && i < map->n; i++)
		if (map->cpu[i] >= 0 && (unsigned)map->cpu[i] + 1 > n)
			n = (unsigned)map->cpu[i] + 1;
	for (int c = emu ? cpuset_next(emu, -1) : -1; c >= 0; c = cpuset_next(emu, c))
		if ((unsigned)c + 1 > n)
			n = (unsigned)c + 1;
	return n ? n : 1;
}

static void set_to_map(const struct cpuset *s, unsigned char *m, int maplen)
{
	memset(m, 0, (size_t)maplen);
	for (int c = cpuset_next(s, -1); c >= 0 && c < maplen * 8; c = cpuset_next(s, c))
		VIR_USE_CPU(m, c);
}

static void map_to_set(const unsigned char *m, int maplen, struct cpuset *s)
{
	cpuset_zero(s);
	for (int c = 0; c < maplen * 8 && c < CPUSET_MAX; c++)
		if (VIR_CPU_USABLE(m, maplen, 0, c))
			cpuset_set(s, c);
}

/* A pin call with LIVE|CONFIG (LIVE for a transient domain); a driver that refuses
 * the flags (libvirt's test driver) gets AFFECT_CURRENT. */
static unsigned pin_flags(virDomainPtr d)
{
	return VIR_DOMAIN_AFFECT_LIVE | (virDomainIsPersistent(d) == 1 ? VIR_DOMAIN_AFFECT_CONFIG : 0);
}

static int read_local(virDomainPtr d, struct vminfo *vi, char *msg, size_t len);

/* Is task @k of @vi one of its vCPU threads? */
static bool is_vcpu_task(const struct vminfo *vi, unsigned k)
{
	for (unsigned i = 0; i < vi->nvcpus; i++)
		if (vi->vcpu_task[i] == (int)k)
			return true;
	return false;
}

/* Without cgroups (a libvirtd configured so, or in a container) libvirt re-pins only
 * QEMU's main thread live; the others keep the old CPUs.  And QEMU's preallocation
 * thread context ("TC tc-…") gets the memory node's CPUs.  Move them as vmlaunch's
 * QEMU backend does. */
static int move_other_threads(virDomainPtr d, const struct cpuset *emulator, unsigned *moved, char *msg, size_t len)
{
	struct vminfo vi = { 0 };
	int r = read_local(d, &vi, msg, len);

	for (unsigned k = 0; r == 0 && k < vi.ntasks; k++) {
		if (is_vcpu_task(&vi, k) || cpuset_equal(&vi.tasks[k].allowed, emulator))
			continue;
		if (task_set_affinity(vi.tasks[k].tid, emulator) == 0)
			(*moved)++;
	}
	vminfo_free(&vi);
	return r;
}

int virt_move_other_threads(struct virt *v, const char *name, const struct cpuset *emulator, unsigned *moved,
			    char *msg, size_t len)
{
	virDomainPtr d;
	int r;

	*moved = 0;
	if (!v->local)
		return 0;
	if (!(d = lookup(v, name, msg, len)))
		return -1;
	r = move_other_threads(d, emulator, moved, msg, len);
	virDomainFree(d);
	return r;
}

int virt_repin(struct virt *v, const char *name, const struct vmap *map, const struct cpuset *emulator,
	       unsigned *moved, char *msg, size_t len)
{
	virDomainPtr d = lookup(v, name, msg, len);
	const bool gone = !d && last_code() == VIR_ERR_NO_DOMAIN; /* before other calls reset it */
	unsigned ncpu = map_cpus(v, map, emulator), flags;
	int maplen = VIR_CPU_MAPLEN((int)ncpu), r = 0;
	unsigned char *m = calloc(1, (size_t)maplen);
	virDomainInfo info;
	struct cpuset one;

	*moved = 0;
	if (!d || !m) {
		if (d && !m)
			msgf(msg, len, "out of memory");
		free(m);
		if (d)
			virDomainFree(d);
		return gone ? -3 : -1;
	}
	if (virDomainIsActive(d) != 1) {
		msgf(msg, len, "domain '%s' on %s is not running: start it first (virsh start %s)", name, v->uri, name);
		r = -3;
		goto out;
	}
	if (virDomainGetInfo(d, &info) == 0 && map->n != info.nrVirtCpu) {
		msgf(msg, len, "domain '%s' has %u vCPU%s, the map names %u", name, info.nrVirtCpu,
		     info.nrVirtCpu == 1 ? "" : "s", map->n);
		r = -2;
		goto out;
	}
	flags = pin_flags(d);
	for (unsigned i = 0; i < map->n && r == 0; i++) {
		cpuset_zero(&one);
		cpuset_set(&one, map->cpu[i]);
		set_to_map(&one, m, maplen);
		if (virDomainPinVcpuFlags(d, i, m, maplen, flags) < 0) {
			if (last_code() != VIR_ERR_INVALID_ARG && last_code() != VIR_ERR_NO_SUPPORT)
				r = -1;
			else if (virDomainPinVcpuFlags(d, i, m, maplen, VIR_DOMAIN_AFFECT_CURRENT) < 0)
				r = -1;
			else
				flags = VIR_DOMAIN_AFFECT_CURRENT;
			if (r < 0)
				msgf(msg, len, "domain '%s' on %s: pinning vCPU %u to CPU %d: %s", name, v->uri, i, map->cpu[i],
				     last_error());
		}
	}
	if (r == 0 && emulator) {
		set_to_map(emulator, m, maplen);
		if (virDomainPinEmulator(d, m, maplen, flags) < 0 &&
		    virDomainPinEmulator(d, m, maplen, VIR_DOMAIN_AFFECT_CURRENT) < 0) {
			msgf(msg, len, "domain '%s' on %s: pinning the emulator threads: %s", name, v->uri, last_error());
			r = -1;
		}
		if (r == 0 && v->local)
			r = move_other_threads(d, emulator, moved, msg, len);
	}
out:
	free(m);
	virDomainFree(d);
	return r;
}

pid_t virt_find_qemu_by_uuid(const char *uuid)
{
	DIR *dir = opendir("/proc");
	struct dirent *e;
	pid_t found = 0;

	while (dir && !found && (e = readdir(dir))) {
		char path[300], buf[8192];
		ssize_t n;
		int fd;
		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/cmdline", e->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		for (char *p = buf; p < buf + n; p += strlen(p) + 1)
			if (!strcmp(p, "-uuid") && p + strlen(p) + 1 < buf + n && !strcmp(p + strlen(p) + 1, uuid))
				found = (pid_t)atol(e->d_name);
	}
	if (dir)
		closedir(dir);
	return found;
}

/* libvirt's view: vCPU pinning and real affinity, emulator pinning. */
struct api_view {
	unsigned nvcpus;
	struct cpuset *pinned;     /* [nvcpus] virDomainGetVcpuPinInfo */
	struct cpuset *affinity;   /* [nvcpus] virDomainGetVcpus */
	int *cpu;                  /* [nvcpus] where each last ran; -1 unknown */
	struct cpuset emulator;
	bool have_emulator;
};

static void api_view_free(struct api_view *a)
{
	free(a->pinned);
	free(a->affinity);
	free(a->cpu);
}

static int api_view_read(struct virt *v, virDomainPtr d, struct api_view *a, char *msg, size_t len)
{
	unsigned ncpu = map_cpus(v, NULL, NULL);
	int maplen = VIR_CPU_MAPLEN((int)ncpu), n;
	virDomainInfo info;
	unsigned char *maps = NULL, *m1 = NULL;
	virVcpuInfoPtr vi = NULL;

	memset(a, 0, sizeof(*a));
	if (virDomainGetInfo(d, &info) < 0)
		goto fail;
	a->nvcpus = info.nrVirtCpu;
	a->pinned = calloc(a->nvcpus + 1, sizeof(*a->pinned));
	a->affinity = calloc(a->nvcpus + 1, sizeof(*a->affinity));
	a->cpu = calloc(a->nvcpus + 1, sizeof(*a->cpu));
	maps = calloc(a->nvcpus + 1, (size_t)maplen);
	m1 = calloc(1, (size_t)maplen);
	vi = calloc(a->nvcpus + 1, sizeof(*vi));
	if (!a->pinned || !a->affinity || !a->cpu || !maps || !m1 || !vi) {
		msgf(msg, len, "out of memory");
		goto out_fail;
	}
	n = virDomainGetVcpuPinInfo(d, (int)a->nvcpus, maps, maplen, VIR_DOMAIN_AFFECT_LIVE);
	if (n < 0)
		n = virDomainGetVcpuPinInfo(d, (int)a->nvcpus, maps, maplen, VIR_DOMAIN_AFFECT_CURRENT);
	if (n < 0)
		goto fail;
	for (unsigned i = 0; i < a->nvcpus; i++)
		map_to_set(VIR_GET_CPUMAP(maps, maplen, i), maplen, &a->pinned[i]);
	memset(maps, 0, (size_t)maplen * a->nvcpus);
	n = virDomainGetVcpus(d, vi, (int)a->nvcpus, maps, maplen);
	if (n < 0)
		goto fail;
	for (unsigned i = 0; i < a->nvcpus; i++) {
		a->cpu[i] = -1;
		a->affinity[i] = a->pinned[i];
	}
	for (int i = 0; i < n; i++) {
		if (vi[i].number >= a->nvcpus)
			continue;
		a->cpu[vi[i].number] = vi[i].cpu;
		map_to_set(VIR_GET_CPUMAP(maps, maplen, i), maplen, &a->affinity[vi[i].number]);
	}
	if (virDomainGetEmulatorPinInfo(d, m1, maplen, VIR_DOMAIN_AFFECT_LIVE) >= 0 ||
	    virDomainGetEmulatorPinInfo(d, m1, maplen, VIR_DOMAIN_AFFECT_CURRENT) >= 0) {
		map_to_set(m1, maplen, &a->emulator);
		a->have_emulator = true;
	}
	free(maps);
	free(m1);
	free(vi);
	return 0;
fail:
	msgf(msg, len, "domain '%s' on %s: %s", virDomainGetName(d), v->uri, last_error());
out_fail:
	free(maps);
	free(m1);
	free(vi);
	api_view_free(a);
	return -1;
}

static bool is_one(const struct cpuset *s, int cpu)
{
	return cpuset_count(s) == 1 && cpuset_isset(s, cpu);
}

/* The domain's QEMU on this host: pid by -uuid, threads from /proc.  0 or -1 with @msg. */
static int read_local(virDomainPtr d, struct vminfo *vi, char *msg, size_t len)
{
	char uuid[VIR_UUID_STRING_BUFLEN];
	pid_t pid;
	int r;

	if (virDomainGetUUIDString(d, uuid) < 0) {
		msgf(msg, len, "domain '%s': %s", virDomainGetName(d), last_error());
		return -1;
	}
	pid = virt_find_qemu_by_uuid(uuid);
	if (pid <= 0) {
		msgf(msg, len, "domain '%s' runs, but no QEMU with -uuid %s is visible in this host's /proc", virDomainGetName(d),
		     uuid);
		return -1;
	}
	r = vminfo_read(pid, vi);
	if (r < 0) {
		msgf(msg, len, "cannot read QEMU (pid %d) of domain '%s': %s", (int)pid, virDomainGetName(d), strerror(-r));
		return -1;
	}
	return 0;
}

static int verify_api(const struct api_view *a, const char *name, const struct vmap *map, const struct cpuset *emulator,
		      char *msg, size_t len)
{
	char want[4096], got[4096];

	if (a->nvcpus != map->n) {
		msgf(msg, len, "domain '%s' has %u vCPUs, the map names %u", name, a->nvcpus, map->n);
		return -2;
	}
	for (unsigned i = 0; i < map->n; i++) {
		if (!is_one(&a->pinned[i], map->cpu[i]) || !is_one(&a->affinity[i], map->cpu[i])) {
			cpuset_format_list(is_one(&a->pinned[i], map->cpu[i]) ? &a->affinity[i] : &a->pinned[i], got,
					   sizeof(got));
			msgf(msg, len, "domain '%s': libvirt reports vCPU %u on CPUs %s, not on CPU %d", name, i, got, map->cpu[i]);
			return -3;
		}
	}
	if (emulator && a->have_emulator && !cpuset_equal(&a->emulator, emulator)) {
		cpuset_format_list(emulator, want, sizeof(want));
		cpuset_format_list(&a->emulator, got, sizeof(got));
		msgf(msg, len, "domain '%s': libvirt reports the emulator threads on CPUs %s, not %s", name, got, want);
		return -3;
	}
	return 0;
}

/* /proc on this host: each vCPU thread on exactly its CPU, every other thread on the
 * emulator CPUs, the vCPUs' policy.  Fills @tids[nvcpus]. */
static int verify_proc(const struct vminfo *vi, const char *name, const struct vmap *map, const struct cpuset *emulator,
		       int fifo_prio, pid_t *tids, char *msg, size_t len)
{
	char want[4096], got[4096];

	for (unsigned i = 0; i < map->n; i++) {
		const struct task *t = i < vi->nvcpus && vi->vcpu_task[i] >= 0 ? &vi->tasks[vi->vcpu_task[i]] : NULL;
		if (!t) {
			msgf(msg, len, "domain '%s': QEMU (pid %d) has no thread named 'CPU %u/…'", name, (int)vi->pid, i);
			return -3;
		}
		tids[i] = t->tid;
		if (!is_one(&t->allowed, map->cpu[i])) {
			cpuset_format_list(&t->allowed, got, sizeof(got));
			msgf(msg, len, "domain '%s': /proc shows vCPU %u (thread %d) allowed on CPUs %s, not CPU %d", name, i,
			     (int)t->tid, got, map->cpu[i]);
			return -3;
		}
		if (fifo_prio > 0 && (t->policy != SCHED_FIFO || t->rt_priority != fifo_prio)) {
			msgf(msg, len, "domain '%s': /proc shows vCPU %u (thread %d) with policy %s %d, not fifo %d", name, i,
			     (int)t->tid, task_policy_name(t->policy), t->rt_priority, fifo_prio);
			return -3;
		}
	}
	for (unsigned k = 0; emulator && k < vi->ntasks; k++) {
		if (is_vcpu_task(vi, k) || cpuset_equal(&vi->tasks[k].allowed, emulator))
			continue;
		cpuset_format_list(emulator, want, sizeof(want));
		cpuset_format_list(&vi->tasks[k].allowed, got, sizeof(got));
		msgf(msg, len, "domain '%s': /proc shows QEMU's thread %s (%d) on CPUs %s, not the emulator CPUs %s", name,
		     vi->tasks[k].name, (int)vi->tasks[k].tid, got, want);
		return -3;
	}
	return 0;
}

int virt_verify(struct virt *v, const char *name, const struct vmap *map, const struct cpuset *emulator,
		int fifo_prio, json_t **result, char *msg, size_t len)
{
	virDomainPtr d = lookup(v, name, msg, len);
	struct api_view a;
	struct vminfo vi = { 0 };
	pid_t *tids = NULL;
	json_t *res, *vcpus, *threads;
	char list[4096];
	int r;

	*result = NULL;
	if (!d)
		return -1;
	if (virDomainIsActive(d) != 1) {
		msgf(msg, len, "domain '%s' on %s is not running", name, v->uri);
		virDomainFree(d);
		return -1;
	}
	r = api_view_read(v, d, &a, msg, len);
	if (r == 0)
		r = verify_api(&a, name, map, emulator, msg, len);
	if (r == 0 && v->local) {
		tids = calloc(map->n + 1, sizeof(*tids));
		r = tids ? read_local(d, &vi, msg, len) : -1;
		if (r == 0)
			r = verify_proc(&vi, name, map, emulator, fifo_prio, tids, msg, len);
	}
	virDomainFree(d);
	if (r < 0)
		goto out;
	vcpus = json_array();
	for (unsigned i = 0; i < map->n; i++)
		json_array_append_new(vcpus, json_pack("{s:i, s:o, s:i}", "vcpu", i, "tid",
						       tids ? json_integer(tids[i]) : json_null(), "cpu", map->cpu[i]));
	threads = json_array();
	for (unsigned k = 0; k < vi.ntasks; k++) {
		if (is_vcpu_task(&vi, k))
			continue;
		cpuset_format_list(&vi.tasks[k].allowed, list, sizeof(list));
		json_array_append_new(threads, json_pack("{s:i, s:s, s:s}", "tid", (int)vi.tasks[k].tid, "name",
							 vi.tasks[k].name, "allowed", list));
	}
	cpuset_format_list(a.have_emulator ? &a.emulator : emulator ? emulator : &(struct cpuset){ 0 }, list, sizeof(list));
	res = json_pack("{s:s, s:s, s:s, s:o, s:o, s:s, s:o, s:s}", "name", name, "backend", "libvirt", "uri", v->uri,
			"pid", v->local ? json_integer(vi.pid) : json_null(), "vcpus", vcpus, "emulator_cpus", list, "threads",
			threads, "verified", v->local ? "libvirt API and /proc" : "libvirt API");
	*result = res;
out:
	free(tids);
	vminfo_free(&vi);
	api_view_free(&a);
	return r;
}

/* --- list and read ------------------------------------------------------------- */

static const char *state_name(int state)
{
	switch (state) {
	case VIR_DOMAIN_RUNNING: return "running";
	case VIR_DOMAIN_BLOCKED: return "running";
	case VIR_DOMAIN_PAUSED: return "paused";
	case VIR_DOMAIN_SHUTDOWN: return "stopping";
	case VIR_DOMAIN_SHUTOFF: return "shut off";
	case VIR_DOMAIN_CRASHED: return "crashed";
	case VIR_DOMAIN_PMSUSPENDED: return "suspended";
	default: return "unknown";
	}
}

json_t *virt_list(struct virt *v, char *msg, size_t len)
{
	virDomainPtr *doms = NULL;
	json_t *out;
	int n = virConnectListAllDomains(v->conn, &doms, 0);

	if (n < 0) {
		msgf(msg, len, "cannot list the domains of %s: %s", v->uri, last_error());
		return NULL;
	}
	out = json_array();
	for (int i = 0; i < n; i++) {
		virDomainPtr d = doms[i];
		int state = 0, reason = 0;
		struct api_view a;
		json_t *vcpus = json_array();
		pid_t pid = 0;
		if (ours(d) && virDomainGetState(d, &state, &reason, 0) == 0) {
			if (virDomainIsActive(d) == 1 && api_view_read(v, d, &a, msg, len) == 0) {
				for (unsigned k = 0; k < a.nvcpus; k++)
					json_array_append_new(vcpus, json_pack("{s:i, s:o}", "vcpu", k, "cpu",
									       cpuset_count(&a.pinned[k]) == 1 ?
									       json_integer(cpuset_next(&a.pinned[k], -1)) : json_null()));
				api_view_free(&a);
				if (v->local) {
					char uuid[VIR_UUID_STRING_BUFLEN];
					if (virDomainGetUUIDString(d, uuid) == 0)
						pid = virt_find_qemu_by_uuid(uuid);
				}
			}
			json_array_append_new(out, json_pack("{s:s, s:o, s:s, s:s, s:o}", "name", virDomainGetName(d), "pid",
							     pid > 0 ? json_integer(pid) : json_null(), "phase", state_name(state),
							     "uri", v->uri, "vcpus", vcpus));
		} else {
			json_decref(vcpus);
		}
		virDomainFree(d);
	}
	free(doms);
	return out;
}

/* Memory and page size from the domain XML (KiB). */
static void xml_memory(virDomainPtr d, struct vminfo *vi)
{
	char *xml = virDomainGetXMLDesc(d, 0);
	xmlDocPtr doc = xml ? xmlReadMemory(xml, (int)strlen(xml), "domain.xml", NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING) : NULL;
	xmlXPathContextPtr ctx = doc ? xmlXPathNewContext(doc) : NULL;
	xmlXPathObjectPtr o;

	free(xml);
	if (!ctx) {
		xmlFreeDoc(doc);
		return;
	}
	vi->ram_page_kb = 4;
	o = xmlXPathEvalExpression(BAD_CAST "number(/domain/memory)", ctx);
	if (o && o->type == XPATH_NUMBER && o->floatval > 0)
		vi->ram_kb = (uint64_t)o->floatval; /* libvirt writes KiB */
	xmlXPathFreeObject(o);
	o = xmlXPathEvalExpression(BAD_CAST "/domain/memoryBacking/hugepages", ctx);
	if (o && o->nodesetval && o->nodesetval->nodeNr > 0) {
		xmlXPathFreeObject(o);
		o = xmlXPathEvalExpression(BAD_CAST "number(/domain/memoryBacking/hugepages/page/@size)", ctx);
		/* A <page> with a size (libvirt normalises it to KiB), else the host's default: 2 MiB. */
		vi->ram_page_kb = o && o->type == XPATH_NUMBER && o->floatval > 0 ? (unsigned long)o->floatval : 2048;
	}
	xmlXPathFreeObject(o);
	xmlXPathFreeContext(ctx);
	xmlFreeDoc(doc);
}

static int read_remote(struct virt *v, virDomainPtr d, struct vminfo *vi, char *msg, size_t len)
{
	struct api_view a;

	if (api_view_read(v, d, &a, msg, len) < 0)
		return -1;
	vi->nvcpus = a.nvcpus;
	vi->ntasks = a.nvcpus + (a.have_emulator ? 1 : 0);
	vi->tasks = calloc(vi->ntasks + 1, sizeof(*vi->tasks));
	vi->vcpu_task = calloc(vi->nvcpus + 1, sizeof(*vi->vcpu_task));
	if (!vi->tasks || !vi->vcpu_task) {
		api_view_free(&a);
		msgf(msg, len, "out of memory");
		return -1;
	}
	for (unsigned i = 0; i < a.nvcpus; i++) {
		struct task *t = &vi->tasks[i];
		snprintf(t->name, sizeof(t->name), "CPU %u", i);
		t->allowed = a.affinity[i];
		t->last_cpu = a.cpu[i];
		t->migrations = -1;
		vi->vcpu_task[i] = (int)i;
	}
	if (a.have_emulator) {
		struct task *t = &vi->tasks[a.nvcpus];
		snprintf(t->name, sizeof(t->name), "emulator");
		t->allowed = a.emulator;
		t->last_cpu = -1;
		t->migrations = -1;
	}
	api_view_free(&a);
	xml_memory(d, vi);
	return 0;
}

int virt_read_vm(struct virt *v, const char *name, struct vminfo *vi, bool *local, char *msg, size_t len)
{
	virDomainPtr d = virDomainLookupByName(v->conn, name);
	int r;

	memset(vi, 0, sizeof(*vi));
	*local = false;
	if (!d) {
		msgf(msg, len, "domain '%s' on %s: %s", name, v->uri, last_error());
		return -2;
	}
	if (virDomainIsActive(d) != 1) {
		msgf(msg, len, "domain '%s' on %s is not running", name, v->uri);
		virDomainFree(d);
		return -2;
	}
	if (v->local) {
		*local = true;
		r = read_local(d, vi, msg, len);
	} else {
		r = read_remote(v, d, vi, msg, len);
	}
	virDomainFree(d);
	return r;
}
