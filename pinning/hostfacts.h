/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What a host says about CPU isolation and benchmark readiness: the kernel
 * command line (isolcpus, nohz_full, rcu_nocbs, irqaffinity), what the kernel
 * applied (/sys/devices/system/cpu/{isolated,nohz_full}, cgroup v2 isolated
 * partitions), IRQ affinity, irqbalance, SMT, cpufreq governors, THP,
 * hugepages per node and size, hugetlbfs mounts and KVM.  All read through
 * fsroot, so a fixture tree can stand in for the host.
 */
#pragma once
#include <stdbool.h>
#include <sys/types.h>

#include "pinning/cpuset.h"

struct hp_pool {
	int node;                 /* NUMA node; -1 when the kernel has no per-node pools */
	unsigned long size_kb;    /* page size in KiB: 2048, 1048576 */
	long long total;          /* nr_hugepages */
	long long free;           /* free_hugepages */
	long long surplus;        /* surplus_hugepages */
};

struct irq_info {
	int irq;
	char name[48];            /* the handler's name, "" when none */
	struct cpuset affinity;   /* effective affinity when the kernel shows it, else smp_affinity_list */
	struct cpuset smp;        /* smp_affinity_list: what a write sets */
};

struct cpu_gov {
	int cpu;
	char governor[24];
};

struct hostfacts {
	char cmdline[4096];
	unsigned cpu_limit;                 /* CPU numbers must be below this (kernel_max + 1) */
	struct cpuset possible, present, online;
	struct cpuset allowed;              /* this process's allowed CPUs (affinity and cgroup cpuset) */

	/* The kernel command line. */
	bool has_isolcpus;
	struct cpuset isolcpus;
	char isolcpus_flags[64];            /* "domain,managed_irq", … ("" when none were given) */
	bool has_nohz_full, has_rcu_nocbs, has_irqaffinity;
	struct cpuset nohz_full, rcu_nocbs, irqaffinity;

	/* What the kernel applied. */
	struct cpuset sys_isolated;         /* /sys/devices/system/cpu/isolated */
	struct cpuset sys_nohz_full;        /* /sys/devices/system/cpu/nohz_full */
	struct cpuset cgroup_isolated;      /* cgroup v2 partitions of type "isolated" */
	struct cpuset isolated;             /* every CPU kept out of load balancing (the two above) */

	struct irq_info *irqs;
	unsigned nirqs;
	pid_t irqbalance_pid;               /* 0 when not running */
	bool has_irqbalance_banned;         /* /etc/default/irqbalance sets IRQBALANCE_BANNED_CPULIST */
	struct cpuset irqbalance_banned;

	char smt_control[24];               /* on, off, forceoff, notsupported, notimplemented; "" unknown */
	int smt_active;                     /* 1, 0, or -1 unknown */

	struct cpu_gov *govs;               /* one per online CPU with a cpufreq driver */
	unsigned ngovs;

	char thp[16];                       /* always, madvise, never; "" unknown */

	struct hp_pool *pools;
	unsigned npools;
	unsigned hugetlbfs_mounts;

	bool kvm_dev;                       /* /dev/kvm exists */
	char kvm_module[16];                /* kvm_intel, kvm_amd, or "" (none: KVM is not usable for ordinary guests) */
};

/* Read every fact.  Missing optional files leave defaults.  0, or -errno when the
 * CPU lists themselves cannot be read (not a Linux /sys). */
int hostfacts_read(struct hostfacts *h);

/* Parse only the kernel command line @cmdline into @h's command-line fields.
 * Unparsable values are ignored.  Always succeeds. */
void hostfacts_parse_cmdline(struct hostfacts *h, const char *cmdline);

void hostfacts_free(struct hostfacts *h);

/* Hugepage pools per NUMA node and page size (node -1 when the kernel has no
 * per-node pools), sorted by node then size, in a malloc'd array.  0, or
 * -ENOENT when the kernel has no hugepage support. */
int hostfacts_read_pools(struct hp_pool **pools, unsigned *npools);

/* Check that every CPU of @cpus exists, is online and allowed for this process.
 * @what names them in the message ("vCPU 2's CPU", "host lcore").  0, or
 * -ENODEV (not present) / -EBUSY (offline) / -EPERM (not allowed) with @err. */
int hostfacts_check_cpus(const struct hostfacts *h, const struct cpuset *cpus, const char *what,
			 struct pin_error *err);
