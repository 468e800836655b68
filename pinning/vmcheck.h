/* SPDX-License-Identifier: BSD-3-Clause */
/* Is a running VM pinned the way it should be?  The findings of `pincheck vm`. */
#pragma once
#include <jansson.h>

#include "pinning/hostfacts.h"
#include "pinning/topo.h"
#include "pinning/vmap.h"
#include "pinning/vminfo.h"

/* Append findings to @rep (vcpu-threads, vcpu-pinned, vcpu-map, vcpu-shared-cpu,
 * emulator-threads, isolcpus-trap, isolation, memory-hugepages, memory-numa,
 * sample) and the data: rep["vcpus"] (vcpu, tid, allowed, last_cpu, …) and
 * rep["threads"].  @map, @h and @t may be NULL.  0 or -ENOMEM. */
int vmcheck_run(const struct vminfo *vi, const struct vmap *map, const struct hostfacts *h,
		const struct topo *t, json_t *rep);
