/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "base/fsroot.h"
#include "base/fsutil.h"
#include "base/sbuf.h"
#include "pinning/hostfix.h"
#include "hugepages/hp.h"
#include "hugepages/hpfix.h"
#include "hugepages/persist.h"

int hp_fix_change(json_t *rep, const struct hostfacts *h, const char *size, int node, const char *exe)
{
	char ps[16], nodestr[16], dir[PATH_MAX], name[96], unit[PATH_MAX], want[4096], now[4096], what[160];
	const char *argv[8];
	unsigned long kb = hp_default_page_kb();
	long long total = 0;
	struct hp_pool pool = { 0 };
	uint64_t bytes;
	unsigned argc = 0;
	bool unit_ok;
	json_t *cmd;

	for (unsigned i = 0; i < h->npools; i++)
		total += h->pools[i].total;
	if (!size) {
		if (total > 0 && h->hugetlbfs_mounts > 0)
			return 0; /* none asked for, and the host has some */
		size = "1G";
	}
	if (hp_parse_size(size, &bytes, NULL) < 0)
		return -EINVAL;
	hp_format_page_size(kb, ps, sizeof(ps));
	snprintf(nodestr, sizeof(nodestr), "%d", node);
	argv[argc++] = exe;
	argv[argc++] = "setup";
	argv[argc++] = size;
	argv[argc++] = "--page-size";
	argv[argc++] = ps;
	if (node >= 0) {
		argv[argc++] = "--node";
		argv[argc++] = nodestr;
	}
	snprintf(what, sizeof(what), "at least %s of %s pages %s%s", size, ps, node >= 0 ? "on node " : "in the system-wide pool",
		 node >= 0 ? nodestr : "");
	hp_persist_name(kb, node, false, name, sizeof(name));
	unit_ok = fsroot_path(dir, sizeof(dir), "/etc/systemd/system") >= 0 &&
		  (size_t)snprintf(unit, sizeof(unit), "%s/%s", dir, name) < sizeof(unit) &&
		  hp_persist_render(argv, argc, what, want, sizeof(want)) == 0 &&
		  fs_read_file(unit, now, sizeof(now)) >= 0 && strcmp(now, want) == 0;
	hp_pool_read(node, kb, &pool);
	if (unit_ok && h->hugetlbfs_mounts > 0 && pool.free * (long long)kb * 1024 >= (long long)bytes)
		return 0;
	cmd = json_array();
	for (unsigned i = 0; i < argc; i++)
		json_array_append_new(cmd, json_string(argv[i]));
	json_array_append_new(cmd, json_string("--persist"));
	if (!fsroot_is_live()) {
		json_array_append_new(cmd, json_string("--root"));
		json_array_append_new(cmd, json_string(fsroot_get()));
	}
	{
		struct sbuf sb;
		sbuf_init(&sb, now, sizeof(now));
		sbuf_addf(&sb, "%s of %s pages free %s%s:", size, ps, node >= 0 ? "on node " : "in the system-wide pool",
			  node >= 0 ? nodestr : "");
		if (pool.free * (long long)kb * 1024 < (long long)bytes)
			sbuf_addf(&sb, " %lld free now;", pool.free);
		if (!h->hugetlbfs_mounts)
			sbuf_addf(&sb, " no hugetlbfs mounted;");
		if (!unit_ok)
			sbuf_addf(&sb, " not set up at boot (%s);", unit);
		now[sb.len - 1] = '\0';
	}
	return hostfix_add_change(rep, "hugepages", now, json_pack("[o]", cmd));
}
