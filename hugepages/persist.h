/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Hugepage reservations that survive a reboot: one systemd unit per page size and
 * node that runs `hugepages setup` early at boot (before sysinit.target, so before
 * any service that maps guest RAM), enabled by a relative link in
 * sysinit.target.wants — so a unit directory inside an image root works as well.
 * Only files carrying our first line are ever replaced or removed.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#define HP_PERSIST_PREFIX "pinlab-hugepages-"
#define HP_PERSIST_MARK "# Written by 'hugepages setup --persist' (pinlab); 'hugepages release --persist' removes it."

/* The unit's file name for @page_kb pages on @node (-1: the system-wide pool), or
 * spread over the nodes: pinlab-hugepages-2M-node0.service, …-1G-spread.service. */
void hp_persist_name(unsigned long page_kb, int node, bool spread, char *buf, size_t len);

/* The unit's text into @buf: @what in its description, ExecStart running @argv
 * (@argc words: an absolute program path, then its arguments).  0; -EINVAL when a
 * word has a character outside [A-Za-z0-9._,:/=+-] (nothing a unit file would
 * interpret), -ENAMETOOLONG when @buf is too small. */
int hp_persist_render(const char *const *argv, unsigned argc, const char *what, char *buf, size_t len);

/* Install @text as @dir/@name and enable it (@dir/sysinit.target.wants/@name -> ../@name),
 * creating the directories.  1 when something changed, 0 when both were there as
 * they should be; -EEXIST when a file we did not write is in the way (a unit
 * without our mark, or something else where the link goes), -errno otherwise. */
int hp_persist_install(const char *dir, const char *name, const char *text);

/* Remove our units in @dir whose names start with @prefix (HP_PERSIST_PREFIX at
 * least), with their links; their paths, one per line, into @removed.  The count
 * removed, or -errno of the first failure. */
int hp_persist_remove(const char *dir, const char *prefix, char *removed, size_t len);
