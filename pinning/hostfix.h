/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * `pincheck host --fix`: the exact changes that would make a host pass
 * `pincheck host` for a plan, as data — nothing here changes the host.  A
 * configuration tool (the Ansible role in templates/ansible) applies them.
 *
 * Two kinds of change, so that applying them is idempotent:
 *  - the kernel command line a plan wants is derived from the plan alone (the
 *    same text for the same plan and host), carried by a GRUB drop-in, and in
 *    effect after a reboot;
 *  - runtime changes (IRQ affinity, governors, THP, irqbalance's ban list,
 *    hugepages) are derived from what the host shows now, so once applied they
 *    are not proposed again.
 * Every path is under the fsroot, so a fixture tree or an image stands in for a host.
 */
#pragma once
#include <jansson.h>

#include "pinning/cpuset.h"
#include "pinning/hostfacts.h"
#include "pinning/topo.h"

#define HOSTFIX_DROPIN "/etc/default/grub.d/pinlab.cfg"

struct hostfix_plan {
	struct cpuset isolate;      /* the benchmark's CPUs: host lcores and vCPUs */
	const char *describe;       /* how the plan was given, for the drop-in's comment */
};

/* The CPUs a host would isolate without a plan: every online CPU but CPU 0's core. */
void hostfix_default_isolate(const struct hostfacts *h, const struct topo *t, struct cpuset *out);

/* Build the fix for @plan into @rep (a report from report_new): "plan",
 * "kernel_args" (wanted, missing, conflicts, the drop-in and whether a reboot is
 * needed), "changes" (each with id, message, and what applies it: kernel_args,
 * writes, files, services, commands), "not_fixed".  0, -EINVAL when the plan
 * leaves no housekeeping CPU, -ENOMEM. */
int hostfix_build(const struct hostfacts *h, const struct topo *t, const struct hostfix_plan *plan, json_t *rep);

/* Append a change @id with @message and (each may be NULL) its commands (an array of
 * argv arrays) to rep["changes"].  0 or -ENOMEM.  For changes the caller works out
 * (hugepages: pinning does not know the hugepages library). */
int hostfix_add_change(json_t *rep, const char *id, const char *message, json_t *commands);

/* Gather every change's writes, files, services and commands into top-level arrays
 * (what a tool applies in one loop each) and count them in rep["pending"].  Call
 * last.  0 or -ENOMEM. */
int hostfix_finish(json_t *rep);
