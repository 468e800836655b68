/*
 * vCPU maps: "vCPU i runs on host CPU j".  Syntax: "0:4,1:5,2:6,3:7", or the
 * range form "0-3:4-7" (both sides the same length; the CPU side may use a
 * stride, "0-3:0-6:2").  Items may be mixed: "0-1:4-5,2:8".
 */
#pragma once
#include "cpuset.h"
#include "error.h"

#define VMAP_MAX_VCPUS 4096

struct vmap {
	unsigned n;   /* number of vCPUs: 0 .. n-1 are all mapped */
	int *cpu;     /* cpu[vcpu] = host CPU */
};

/* Parse @str.  CPUs must be below @limit (0: CPUSET_MAX).  0, or -EINVAL / -ERANGE /
 * -ENOMEM with @err naming the position: a vCPU listed twice, a gap in the vCPU
 * numbering, lengths that differ, junk.  Two vCPUs on one CPU is not a parse error. */
int vmap_parse(struct vmap *m, const char *str, unsigned limit, struct pin_error *err);

/* Build a map from arrays (tests, proposals).  0 or -ENOMEM / -EINVAL. */
int vmap_from_array(struct vmap *m, const int *cpus, unsigned n);

void vmap_free(struct vmap *m);

/* The set of host CPUs the map uses. */
void vmap_cpus(const struct vmap *m, struct cpuset *out);

/* CPUs used by more than one vCPU; returns how many such CPUs. */
unsigned vmap_shared(const struct vmap *m, struct cpuset *shared);

/* Format as "0:4,1:5".  Length, or -ENOSPC. */
int vmap_format(const struct vmap *m, char *buf, size_t len);
