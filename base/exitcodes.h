/* SPDX-License-Identifier: BSD-3-Clause */
/* Exit codes shared by every pinlab program. */
#pragma once

#define EXIT_OK     0   /* success; no check failed */
#define EXIT_FAIL   1   /* runtime failure, or a check failed (with --strict: warned) */
#define EXIT_USAGE  2   /* bad usage or input: bad option, map, list, pid, unreadable file */
