/*
 * env.json: what another engineer needs to know to trust or repeat a run — the
 * CPU, topology, kernel and its command line, isolation, SMT, THP, hugepage
 * pools, the software versions, the profile as it was, every command run, the
 * layout's findings, and for a guest the accelerator, vCPU map and image digest.
 */
#pragma once
#include <jansson.h>

#include "profile.h"

/* The fingerprint of this host and run.  @commands (argv arrays) and @plan (findings)
 * are taken (their references stolen); @guest (may be NULL) is added as "guest".
 * A new object, or NULL on ENOMEM. */
json_t *fingerprint_build(const struct profile *p, json_t *commands, json_t *plan, json_t *guest);

/* The keys vmbench compare checks for differences, NULL-terminated. */
extern const char *const fingerprint_keys[];
