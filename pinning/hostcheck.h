/* SPDX-License-Identifier: BSD-3-Clause */
/* Is this host ready for a pinned benchmark?  The findings of `pincheck host`. */
#pragma once
#include <jansson.h>

#include "pinning/hostfacts.h"
#include "pinning/topo.h"

/* Append findings to @rep: topology, isolation, isolcpus-flags, nohz-full,
 * rcu-nocbs, irq-isolated, irqbalance, governor, smt, thp, hugepages,
 * hugetlbfs, kvm.  Also sets rep["host"] to the facts as data.  0 or -ENOMEM. */
int hostcheck_run(const struct hostfacts *h, const struct topo *t, json_t *rep);
