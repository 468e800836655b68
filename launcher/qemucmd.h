/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The QEMU command line vmlaunch runs: options and a profile in, an argv out.
 * Building it does nothing to the host, so every combination is unit-tested.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"
#include "pinning/hostfacts.h"
#include "base/strv.h"
#include "pinning/vmap.h"

#define QEMUCMD_MAX_VHOST 8
#define QEMUCMD_MAX_SERIAL 3

enum accel { ACCEL_AUTO, ACCEL_KVM, ACCEL_TCG };

struct vhost_user {
	char path[256];
	unsigned queues;          /* default 1 */
	char mac[18];             /* "" for a generated one */
	bool server;              /* QEMU listens on the socket (the backend connects) */
	unsigned reconnect;       /* client: retry every N seconds when the backend goes away; 0: never */
	unsigned ring;            /* entries per vring, RX and TX (256, 512, 1024; default 1024: QEMU's own
				   * default of 256 cost FD.io CSIT 17-42 % of its NDR) */
};

#define QEMUCMD_RING_DEFAULT 1024

struct vm_config {
	char name[64];
	const struct vmap *map;   /* the vCPU count is map->n */
	uint64_t memory_mb;
	const char *kernel, *initrd, *append, *disk;
	const char *hugepage_dir; /* guest RAM on hugetlbfs here; NULL: not */
	int mem_node;             /* bind guest RAM to this NUMA node; -1: no binding */
	struct vhost_user vhost[QEMUCMD_MAX_VHOST];
	unsigned nvhost;
	const char *console_log;  /* serial console into this file; NULL: standard output */
	const char *serial[QEMUCMD_MAX_SERIAL]; /* more serial ports (ttyS1, ...), each into a file */
	unsigned nserial;
	char qemu[256];           /* the binary */
	char machine[64];
	char cpu_model[64];       /* "auto": max under TCG, host under KVM */
	enum accel accel;         /* resolved: KVM or TCG */
	const char *profile_args; /* extra words from the profile */
	char **extra;             /* after "--" */
	int nextra;
	int qmp_fd;               /* listening QMP socket handed to QEMU; -1: use qmp_path */
	const char *qmp_path;     /* for --dry-run, which passes no fd */
};

/* Defaults: qemu-system-x86_64, machine pc, cpu auto, 256 MiB, no NUMA binding. */
void qemucmd_defaults(struct vm_config *c);

/* Load a profile: NAME (templates/qemu/NAME.conf in the search path) or a FILE.
 * Keys in [qemu]: binary, machine, cpu, memory, args.  0, or -ENOENT / -EINVAL with @err
 * naming the file, line and key. */
int qemucmd_load_profile(struct vm_config *c, const char *name_or_file, char *args_buf, size_t args_len,
			 struct pin_error *err);

/* Parse "PATH[,queues=N][,mac=MAC][,server][,reconnect=SECONDS][,ring=N]".  0 or -EINVAL with @err. */
int qemucmd_parse_vhost(const char *spec, struct vhost_user *v, struct pin_error *err);

/* Decide the accelerator: KVM only when /dev/kvm exists and a hardware vendor module
 * (kvm_intel, kvm_amd) is loaded.  Returns the choice; @why says why TCG when auto fell back. */
enum accel qemucmd_pick_accel(enum accel want, const struct hostfacts *h, char *why, size_t len);

/* @s with every comma doubled, as QEMU's option parser wants a value that may hold
 * commas, into @buf.  0 or -ENAMETOOLONG. */
int qemucmd_escape(const char *s, char *buf, size_t len);

/* Build the argv.  Paths are escaped for QEMU's option parser.  0, -ENOMEM or -ENAMETOOLONG. */
int qemucmd_build(const struct vm_config *c, struct strv *argv);
