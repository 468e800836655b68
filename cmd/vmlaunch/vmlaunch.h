/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vmlaunch's parts: the options and the layout checks (vmlaunch.c), and two
 * backends behind one table of entry points (libvirt's driver tables are the
 * model): QEMU started and supervised by vmlaunch itself (qemu.c), and a libvirt
 * domain (libvirt.c).  main() picks the table by --libvirt.
 */
#pragma once
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#include "pinning/hostfacts.h"
#include "pinning/topo.h"
#include "pinning/vmap.h"
#include "launcher/qemucmd.h"
#include "launcher/vmpin.h"

/* How long QEMU may take to come up and greet on QMP. */
#define QMP_START_MS 15000

/* The absolute forms of a profile's relative paths, for libvirt (which runs QEMU
 * in another directory); the config's pointers are set to them. */
struct vpaths {
	char kernel[PATH_MAX], initrd[PATH_MAX], disk[PATH_MAX], console[PATH_MAX];
	char serial[QEMUCMD_MAX_SERIAL][PATH_MAX];
};

struct settings {
	const char *cmd;                 /* launch, attach, list, stop */
	const char *name, *map_arg, *emu_arg, *sched_arg, *profile, *memory_arg, *hugepages_dir, *qmp_arg;
	const char *connect, *domain;    /* --libvirt: libvirt's URI; attach's domain */
	bool hugepages, allow_shared, daemonize, dry_run, json, libvirt, emit_xml;
	unsigned long hugepage_kb;       /* --hugepages: the page size of the mount used */
	enum accel accel;
	double grace;
	long pid;
	struct vm_config cfg;
	struct vpaths cfg_paths;         /* what cfg's paths point to once made absolute */
	char profile_args[1024];
};

struct layout {
	struct hostfacts facts;
	struct topo *topo;
	struct vmap map;
	struct vmpin_plan pin;
};

/* One backend: each entry point takes the parsed settings and returns the exit code. */
struct vmlaunch_backend {
	const char *name;
	int (*launch)(struct settings *s);
	int (*attach)(struct settings *s);
	int (*list)(struct settings *s);
	int (*stop)(struct settings *s);
};

extern const struct vmlaunch_backend vmlaunch_qemu, vmlaunch_libvirt;

/* Shared by both backends (vmlaunch.c). */
void layout_free(struct layout *l);
/* The vCPU map, emulator CPUs and scheduling checked against this host (or, with
 * @remote_cpus, a host elsewhere with that many CPUs) into @l.  0 or an exit code. */
int check_layout(struct settings *s, struct layout *l, unsigned remote_cpus);
/* Another VM's pinned vCPU on one of ours: refused unless --allow-shared.  0 or an exit code. */
int check_other_vms(const struct settings *s, const struct layout *l);
void print_result(FILE *out, const struct settings *s, json_t *res);
/* --hugepages: the mount, enough free pages on the vCPUs' node.  0 or an exit code. */
int plan_hugepages(struct settings *s, struct layout *l, char *dir, size_t len);
/* The QEMU profile and the options over it into s->cfg.  0 or an exit code. */
int load_config(struct settings *s);
