/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Benchmark profiles (templates/bench/NAME.conf): what vmbench runs.  Parsed
 * strictly (file:line: key: why), then resolved for this host: "auto" lcores and
 * vCPU maps become pincheck plan's proposal, and every CPU is checked to exist.
 */
#pragma once
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"
#include "pinning/hostfacts.h"
#include "bench/shape.h"
#include "pinning/topo.h"

#define PROFILE_MAX_CONFIGS 8
#define PROFILE_MAX_SIZES 16
#define PROFILE_MAX_LOADS 8

enum bench_mode {
	MODE_HOST,        /* trafficgen and the reflector on the host, over vhost-user */
	MODE_VM_GEN,      /* trafficgen in the guest, the reflector on the host (the 2017 setup) */
	MODE_VM_REFLECT,  /* the reflector in the guest, trafficgen on the host (DPDK's PVP) */
};

struct profile {
	char path[PATH_MAX];
	char *text;                   /* the file as it was, for env.json (malloc'd) */
	char name[64];
	enum bench_mode mode;

	/* [bench] */
	char refl_lcores[256], gen_lcores[256];   /* main lcore first; "auto" */
	unsigned queues[PROFILE_MAX_CONFIGS], nqueues;
	struct shape sizes[PROFILE_MAX_SIZES]; /* frame sizes and mixes (IMIX) */
	unsigned nsizes;
	unsigned flows, trials;
	double duration, warmup;
	char search[32];              /* none, ndr, pdr[=PCT] */
	char rate[32];                /* max or a rate trafficgen takes */
	char refl_mode[16];
	char refl_datapath[8];         /* direct or pmd: the host reflector's --vhost data path */
	char police[32];              /* "" or a pps rate */
	double tolerance_pct;         /* a trial sending below asked * (1 - this) is sender-limited */
	double precision_pct;         /* a search stops when its interval is this share of its upper bound */
	uint64_t hugepages_mb;        /* for the host's DPDK program (and the guest's RAM, added) */
	double warmup_trial;          /* seconds of the discarded trial before each size; 0: none */
	double latency_at[PROFILE_MAX_LOADS]; /* with a search: latency trials at these % of its rate */
	unsigned nlatency;
	bool back_to_back;            /* RFC 2544 back-to-back after each size's trials */
	bool shared_pollers;          /* run a layout whose pollers share CPUs (refused otherwise) */

	/* [vm] */
	char vcpu_map[256];           /* or "auto" */
	char emulator_cpus[256];      /* or "auto" */
	uint64_t guest_memory_mb;
	unsigned guest_hugepages;     /* 2 MiB pages the guest reserves for DPDK */
	char accel[8];                /* auto, kvm, tcg */
	double boot_timeout;          /* seconds from vmlaunch to the guest's first line */
	bool kernel_driver;           /* guest_driver = kernel: Linux virtio-net, the program on AF_PACKET */
	unsigned ring_size;           /* entries per vring of the guest's NIC (256, 512, 1024) */
	bool libvirt;                 /* backend = libvirt: vmlaunch --libvirt, not QEMU started by vmlaunch */
	char libvirt_uri[256];        /* "" for libvirt's default; a local qemu:// URI (the sample reads /proc) */

	bool planned;                 /* resolve filled in "auto" values */
	bool pollers_shared;          /* resolve ran a layout whose pollers share CPUs (shared_pollers) */
	bool has_vm;                  /* a [vm] section was given */
};

static inline bool profile_is_vm(const struct profile *p)
{
	return p->mode != MODE_HOST;
}

/* "host", "vm-gen", "vm-reflect". */
const char *profile_mode_name(enum bench_mode m);

/* Read and check a profile.  0 (profile_free it), or -ENOENT / -EINVAL with @err
 * ("FILE:LINE: key: why") and nothing to free. */
int profile_load(struct profile *p, const char *path, struct pin_error *err);

/* Make the profile concrete for this host: plan "auto" lcores, vCPU map and
 * emulator CPUs; check every CPU exists, is online and allowed, and that there are
 * lcores and vCPUs enough for each queue count.  0, or -EINVAL with @err. */
int profile_resolve(struct profile *p, const struct hostfacts *h, const struct topo *t, struct pin_error *err);

/* The lcores of the program that runs on the host in this mode. */
const char *profile_host_lcores(const struct profile *p);

void profile_free(struct profile *p);
