/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Host topology through hwloc: PU <-> core <-> package <-> NUMA node, SMT
 * siblings, cache sharing.  CPUs are named by their OS index (what Linux,
 * taskset and DPDK call CPU n), never by hwloc's logical index.
 */
#pragma once
#include <stdbool.h>

#include "pinning/cpuset.h"

struct topo;

/* Load the live host (or the fixture tree of fsroot_set()).  NULL with errno. */
struct topo *topo_load_live(void);

/* Load an hwloc XML export (hwloc-ls --of xml / lstopo foo.xml).  NULL with errno. */
struct topo *topo_load_xml(const char *path);

/* Bounds on a synthetic description: the CPUs it may describe, its length. */
#define TOPO_SYNTHETIC_MAX_PUS 2048
#define TOPO_SYNTHETIC_MAX_LEN 4096

/* Load an hwloc synthetic description, e.g. "pack:1 core:4 pu:2(indexes=0,4,1,5,2,6,3,7)".
 * NULL with errno E2BIG when it describes more than TOPO_SYNTHETIC_MAX_PUS CPUs (or is longer
 * than TOPO_SYNTHETIC_MAX_LEN, or deeper than 16 levels), EINVAL when hwloc rejects it. */
struct topo *topo_load_synthetic(const char *desc);

/* Load @spec: a synthetic description when it does not name an existing file, else XML. */
struct topo *topo_load_spec(const char *spec);

void topo_free(struct topo *t);

/* Where it came from: "this host", "xml FILE" or "synthetic DESC". */
const char *topo_source(const struct topo *t);

/* True when the topology is the host we run on (not a file or a synthetic one). */
bool topo_is_this_host(const struct topo *t);

/* Every PU, by OS index. */
void topo_cpus(const struct topo *t, struct cpuset *out);

unsigned topo_ncores(const struct topo *t);
unsigned topo_npackages(const struct topo *t);
unsigned topo_nnodes(const struct topo *t);

/* PUs of core number @core (0 .. topo_ncores-1, topology order).  0 or -ENOENT. */
int topo_core_cpus(const struct topo *t, unsigned core, struct cpuset *out);

/* The core number of @cpu.  -ENOENT when the topology has no such PU. */
int topo_core_of(const struct topo *t, int cpu);

/* PUs sharing @cpu's core, @cpu included.  0 or -ENOENT. */
int topo_siblings(const struct topo *t, int cpu, struct cpuset *out);

/* OS index of the NUMA node / package holding @cpu.  -ENOENT when unknown. */
int topo_numa_of(const struct topo *t, int cpu);
int topo_package_of(const struct topo *t, int cpu);

/* CPUs of NUMA node @node (OS index).  0 or -ENOENT. */
int topo_node_cpus(const struct topo *t, int node, struct cpuset *out);

/* The level (1 = L1 …) of the smallest cache @a and @b share; 0 when none; -ENOENT. */
int topo_shared_cache(const struct topo *t, int a, int b);

/* Largest number of PUs in one core. */
unsigned topo_threads_per_core(const struct topo *t);
