/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pincheck host --fix's hugepages change: what `hugepages setup --persist` would
 * do, as data, when the host lacks any of it (the pages free on the plan's node, a
 * hugetlbfs mount, the unit that does it again at boot, rendered and compared with
 * the one installed).
 */
#pragma once
#include <jansson.h>

#include "pinning/hostfacts.h"

/* Add the "hugepages" change to --fix report @rep (hostfix_add_change) when the host
 * lacks @size (NULL: 1G, asked only when the host has no pages or no mount at all)
 * free on @node (-1: the system-wide pool), a hugetlbfs mount, or the boot unit;
 * the command names @exe, the hugepages program.  0 (also when nothing is missing),
 * or -EINVAL (a bad size), -ENOMEM. */
int hp_fix_change(json_t *rep, const struct hostfacts *h, const char *size, int node, const char *exe);
