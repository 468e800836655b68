/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The libvirt backend: vmlaunch's VM described as a libvirt domain (built with
 * libxml2, never by pasting strings), defined, started paused (libvirt pins every
 * thread before the guest runs), verified through the API and, on this host,
 * against /proc; live re-pinning; the domains vmlaunch made, listed and stopped;
 * a domain read back for pincheck.
 */
#pragma once
#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "pinning/cpuset.h"
#include "launcher/qemucmd.h"
#include "pinning/vmap.h"
#include "pinning/vminfo.h"

/* Our mark in a domain's <metadata>: which domains vmlaunch made, and their map. */
#define VIRT_META_URI "urn:x-pinlab:vmlaunch:1"
#define VIRT_META_PREFIX "pinlab"

struct virt;

/* What the domain XML needs beyond struct vm_config. */
struct virt_domain_opts {
	const char *type;               /* "kvm", "qemu" or "test" */
	const struct cpuset *emulator;  /* <emulatorpin>; NULL: none */
	int fifo_prio;                  /* >0: <vcpusched scheduler='fifo'> */
	unsigned long hugepage_kb;      /* >0: <hugepages> of this page size */
	bool tcg;                       /* vhost-user NICs get vectors=0 (INTx): MSI-X crashes QEMU 7.2 under TCG */
	const char *emulator_binary;    /* <emulator>; NULL: libvirt's default */
};

/* The domain XML for @c (name, vCPU map, memory, boot media, NICs, serial ports,
 * extra QEMU arguments as <qemu:commandline>) into *@xml (free()).  0, or -ENOMEM /
 * -EINVAL with @msg. */
int virt_domain_xml(const struct vm_config *c, const struct virt_domain_opts *o, char **xml, char *msg, size_t len);

/* Open @uri (NULL: libvirt's default).  0, or -1 with libvirt's reason in @msg
 * ("URI: message"). */
int virt_open(const char *uri, struct virt **out, char *msg, size_t len);
void virt_close(struct virt *v);

/* The URI libvirt says it connected to. */
const char *virt_uri(const struct virt *v);

/* True when the hypervisor runs on this host and is QEMU: its threads are in /proc here. */
bool virt_is_local_qemu(const struct virt *v);

/* libvirt's driver name: "QEMU", "Test", ... */
const char *virt_driver(const struct virt *v);

/* How many CPUs the hypervisor's host has (CPU numbers are below it). */
unsigned virt_host_cpus(const struct virt *v);

/* Does the hypervisor's host offer <domain type='kvm'>? */
bool virt_offers_kvm(const struct virt *v);

/* Define @xml and start it paused.  On success the domain exists, its threads pinned
 * by libvirt, its guest not yet run.  0, or -1 with @msg (a domain that was defined
 * here is undefined again). */
int virt_define_start_paused(struct virt *v, const char *xml, const char *name, char *msg, size_t len);

/* Resume a paused domain.  0 or -1 with @msg. */
int virt_resume(struct virt *v, const char *name, char *msg, size_t len);

/* Stop domain @name: shutdown, wait up to @grace seconds, destroy; then undefine it.
 * 0, or -1 with @msg (-2: no such domain). */
int virt_stop(struct virt *v, const char *name, double grace, char *msg, size_t len);

/* 1 while domain @name is running or paused, 0 when it is shut off, -1 with @msg
 * when it cannot be asked (*@crashed says whether it ended by crash). */
int virt_running(struct virt *v, const char *name, bool *crashed, char *msg, size_t len);

/* Pin domain @name's vCPUs to @map and its emulator threads to @emulator (NULL: leave
 * them), live and in its config (a transient domain: live only; a driver that takes
 * no flags, as libvirt's test driver: the current state).  On this host, QEMU threads
 * libvirt left behind (it moves only the main thread live when it has no cgroups)
 * are moved too; *@moved counts them.  0, or -1 with @msg (-2: the map does not fit
 * the domain's vCPUs; -3: no such domain, or it is not running). */
int virt_repin(struct virt *v, const char *name, const struct vmap *map, const struct cpuset *emulator,
	       unsigned *moved, char *msg, size_t len);

/* On this host: QEMU threads of domain @name that are neither vCPUs nor on @emulator
 * (libvirt leaves some: QEMU's preallocation thread context, threads it does not
 * re-pin live without cgroups) moved to @emulator; *@moved counts them.  Elsewhere
 * nothing.  0 or -1 with @msg. */
int virt_move_other_threads(struct virt *v, const char *name, const struct cpuset *emulator, unsigned *moved,
			    char *msg, size_t len);

/* Verify domain @name against @map and @emulator (NULL: not checked) through the API
 * (virDomainGetVcpuPinInfo, virDomainGetEmulatorPinInfo, virDomainGetVcpus) and,
 * when local, every QEMU thread's affinity in /proc (vCPU threads by their names,
 * the process by the domain's -uuid).  @fifo_prio > 0: the vCPU threads' policy too
 * (local only).  On success *@result is vmlaunch's report: {"name", "backend",
 * "uri", "pid", "vcpus": [{"vcpu", "tid", "cpu"}], "emulator_cpus", "threads"}
 * (pid and tids null when not local).  0, or -1 (-2: the map does not fit the
 * domain; -3: a thread is not where it should be) with @msg. */
int virt_verify(struct virt *v, const char *name, const struct vmap *map, const struct cpuset *emulator,
		int fifo_prio, json_t **result, char *msg, size_t len);

/* The domains vmlaunch made (our metadata), for list: [{"name", "state", "pid",
 * "vcpus": [{"vcpu", "cpu"}], "uri"}].  NULL with @msg on failure. */
json_t *virt_list(struct virt *v, char *msg, size_t len);

/* Domain @name as pincheck sees it.  On this host: the QEMU process read from /proc
 * (vminfo_read) with *@local true.  Elsewhere: vCPUs built from the API (tid 0,
 * names "CPU n", allowed = libvirt's affinity, last CPU), one "emulator" task with
 * the emulator pinning, guest RAM and page size from the domain XML.  0, or -1 with
 * @msg (-2: no such domain or not running). */
int virt_read_vm(struct virt *v, const char *name, struct vminfo *vi, bool *local, char *msg, size_t len);

/* The pid of the local QEMU whose command line has "-uuid @uuid"; 0 when none. */
pid_t virt_find_qemu_by_uuid(const char *uuid);
