/* SPDX-License-Identifier: BSD-3-Clause */
/* Exit codes shared by every pinlab program. */
#pragma once

#define EXIT_OK     0   /* success; no check failed */
#define EXIT_FAIL   1   /* runtime failure, or a check failed (with --strict: warned) */
#define EXIT_USAGE  2   /* bad usage or input: bad option, map, list, pid, unreadable file */
/* The VM named (by --name, --pid, --qmp, a libvirt domain, or vmlaunch's state) does
 * not exist or no longer runs: one code in every tool, the argument's. */
#define EXIT_NO_VM  EXIT_USAGE
