/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Checks a DPDK program runs before rte_eal_init, so that an unprepared host
 * gets one clear line naming the fix instead of a DPDK panic: enough free
 * hugepages on the lcores' NUMA node(s), lcores online and allowed, and
 * warnings for lcores that are not isolated, share an SMT core with each
 * other or with a guest's vCPUs, or use CPU 0.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "pinning/cpuset.h"
#include "pinning/vmap.h"

/* What the EAL arguments ask for. */
struct eal_view {
	struct cpuset lcores;     /* the CPUs of every lcore, main included */
	unsigned nlcores;         /* how many lcores (several may share a CPU with LCORE@CPU) */
	int main_lcore;           /* -1: the lowest */
	bool lcores_given;        /* -l, -c or --lcores was there */
	uint64_t mem_mb;          /* -m or the sum of --socket-mem; 0: not given */
	bool no_huge;
	bool in_memory, file_prefix;
	char err[160];            /* why parsing failed */
};

/* Read the EAL arguments (argv up to "--").  0, or -EINVAL with v->err. */
int preflight_parse_eal(int argc, char **argv, struct eal_view *v);

struct preflight {
	const struct eal_view *eal;
	uint64_t need_mb;         /* hugepage memory needed when -m is not given */
	const struct vmap *vcpus; /* a guest's vCPUs to stay clear of; NULL */
};

/* Run the checks.  Warnings are appended to @rep as findings.  0, or -EINVAL (an lcore
 * that is offline, absent or not allowed; fewer than two lcores) / -ENOMEM (not enough
 * free hugepages) with @msg, one line naming the fix. */
int preflight_run(const struct preflight *p, json_t *rep, char *msg, size_t len);
