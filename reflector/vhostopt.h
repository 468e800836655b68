/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The reflector's --vhost NAME|PATH[,queues=N][,client] option, parsed without
 * side effects (no directory made, no socket touched), so it is unit-tested and
 * fuzzed on its own.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"

#define VHOSTOPT_MAX_QUEUES 64
#define VHOSTOPT_PATH_MAX 108       /* a unix socket's sun_path */

struct vhostopt {
	char name[VHOSTOPT_PATH_MAX];   /* a PATH (has a '/') or a NAME for the runtime directory */
	bool is_path;
	unsigned queues;                /* 0: not given */
	bool client;
};

/* Parse @spec.  0, or -EINVAL / -ENAMETOOLONG with @err saying what is wrong. */
int vhostopt_parse(const char *spec, struct vhostopt *o, struct pin_error *err);
