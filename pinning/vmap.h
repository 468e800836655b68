/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vCPU maps: "vCPU i runs on host CPU j".  Syntax: "0:4,1:5,2:6,3:7", or the
 * range form "0-3:4-7" (both sides the same length; the CPU side may use a
 * stride, "0-3:0-6:2").  Items may be mixed: "0-1:4-5,2:8".
 */
#pragma once
#include <stdbool.h>

#include "pinning/cpuset.h"
#include "base/error.h"

#define VMAP_MAX_VCPUS 4096

struct vmap {
	unsigned n;   /* vCPU numbers are 0 .. n-1 */
	int *cpu;     /* cpu[vcpu] = host CPU; -1 for a gap (only in a sparse map) */
};

/* Parse @str.  CPUs must be below @limit (0: CPUSET_MAX).  0, or -EINVAL / -ERANGE /
 * -ENOMEM with @err naming the position: a vCPU listed twice, a gap in the vCPU
 * numbering, lengths that differ, junk.  Two vCPUs on one CPU is not a parse error. */
int vmap_parse(struct vmap *m, const char *str, unsigned limit, struct pin_error *err);

/* Parse a map whose vCPU numbers may have gaps: QEMU's cpu-index of a VM with
 * hot-plugged CPUs ("0:4,1:5,3:7").  As vmap_parse otherwise. */
int vmap_parse_sparse(struct vmap *m, const char *str, unsigned limit, struct pin_error *err);

/* True when vCPU @v is in the map. */
static inline bool vmap_has(const struct vmap *m, unsigned v)
{
	return v < m->n && m->cpu[v] >= 0;
}

/* Build a map from arrays (tests, proposals).  0 or -ENOMEM / -EINVAL. */
int vmap_from_array(struct vmap *m, const int *cpus, unsigned n);

void vmap_free(struct vmap *m);

/* The vCPU numbers the map names. */
void vmap_vcpus(const struct vmap *m, struct cpuset *out);

/* The set of host CPUs the map uses. */
void vmap_cpus(const struct vmap *m, struct cpuset *out);

/* CPUs used by more than one vCPU; returns how many such CPUs. */
unsigned vmap_shared(const struct vmap *m, struct cpuset *shared);

/* Format as "0:4,1:5".  Length, or -ENOSPC. */
int vmap_format(const struct vmap *m, char *buf, size_t len);
