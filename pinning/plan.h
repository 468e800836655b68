/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Judging a CPU layout before anything runs: where the vCPUs go (a vmap) and
 * where the host's busy-polling lcores go (the reflector's).  pincheck plan
 * and vmlaunch both call this, so they agree.
 */
#pragma once
#include <jansson.h>

#include "pinning/cpuset.h"
#include "base/error.h"
#include "pinning/hostfacts.h"
#include "pinning/topo.h"
#include "pinning/vmap.h"

struct plan {
	const struct vmap *map;             /* the vCPUs; NULL: host lcores alone (a DPDK program's preflight) */
	const struct cpuset *host;          /* host lcores; NULL when none are given */
	const struct topo *topo;
	const struct hostfacts *facts;      /* NULL: a host being planned for; live facts are unknown */
};

/* Every CPU of the layout must exist in the topology and, with facts, be present,
 * online and allowed.  0, or -ENODEV / -EBUSY / -EPERM with @err (a usage error). */
int plan_validate(const struct plan *p, struct pin_error *err);

/* Append the layout's findings to @rep: vcpu-shared-cpu, host-guest-overlap,
 * smt-host-guest (with a proposed layout), smt-vcpu-vcpu, smt-host-host,
 * isolation, numa-spread, numa-host-guest, cpu0.  0 or -ENOMEM. */
int plan_check(const struct plan *p, json_t *rep);

/* Propose a layout for @nhost host lcores and @nvcpu vCPUs on separate physical
 * cores, using only @usable CPUs (NULL: all).  Prefers one lcore or vCPU per core
 * and keeps CPU 0's core free when it can.  Fills @host and @map (vmap_free it).
 * 0, -ENOSPC when the host has too few cores, -ENOMEM. */
int plan_propose(const struct topo *t, const struct cpuset *usable, unsigned nhost, unsigned nvcpu,
		 struct cpuset *host, struct vmap *map);
