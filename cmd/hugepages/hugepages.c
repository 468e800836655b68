/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hugepages — reserve, mount, inspect and release hugepages per NUMA node and
 * page size.  Like dpdk-hugepages.py, without its pitfall (a count written to
 * every node), and it tells who holds the pages.
 */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "base/cli.h"
#include "base/exitcodes.h"
#include "base/numparse.h"
#include "base/fsroot.h"
#include "hugepages/hp.h"
#include "hugepages/persist.h"


struct settings {
	const char *cmd, *dir, *size_arg;
	uint64_t size_bytes;
	long long pages;             /* --pages, or from SIZE; 0 unset */
	unsigned long page_kb;       /* 0: the default size */
	int node;                    /* -2: not given */
	bool spread, stale, dry_run, json, persist;
	const char *unit_dir;        /* --unit-dir; default ROOT/etc/systemd/system */
	uid_t uid;
	gid_t gid;
	mode_t mode;
	const char *root;
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage:\n"
		" %1$s status [--json]\n"
		" %1$s reserve SIZE|--pages N [--page-size 2M|1G] [--node N | --spread]\n"
		" %1$s release [--page-size SIZE] [--node N] [--stale]\n"
		" %1$s mount [DIR] [--page-size SIZE] [--user U] [--group G] [--mode MODE]\n"
		" %1$s unmount [DIR] [--page-size SIZE]\n"
		" %1$s setup SIZE|--pages N [--page-size SIZE] [--node N | --spread] [mount options]\n"
		"        [--persist [--unit-dir DIR]] [--json]\n"
		"\n"
		"Reserve, mount, inspect and release hugepages per NUMA node and page size.\n"
		"\n"
		"Commands:\n"
		" status         pools per node and size, hugetlbfs mounts, who holds pages, stale files\n"
		" reserve        make at least SIZE free on a node (adds only what is missing)\n"
		" release        shrink pools to the pages in use; --stale removes files of dead processes\n"
		" mount          mount hugetlbfs (default /dev/hugepages, /dev/hugepages-1G); idempotent\n"
		" unmount        unmount it\n"
		" setup          reserve and mount in one step; --persist: again at every boot\n"
		"\n"
		"Options:\n"
		" -p, --page-size SIZE  2M or 1G (default: the kernel's default size)\n"
		" -n, --node N          this NUMA node (default: node 0 on a one-node host, else\n"
		"                       the system-wide pool, which the kernel spreads over nodes)\n"
		"     --spread          split SIZE evenly over the NUMA nodes\n"
		"     --pages N         a number of pages instead of SIZE\n"
		"     --stale           (release) remove files whose owner process is gone\n"
		" -u, --user USER       (mount) owner of the mount\n"
		" -g, --group GROUP     (mount) group of the mount\n"
		" -m, --mode MODE       (mount) octal permissions of the mount\n"
		"     --persist         (setup) also at every boot: a systemd unit that runs this\n"
		"                       setup early (pinlab-hugepages-SIZE-NODE.service, enabled);\n"
		"                       (release) remove those units\n"
		"     --unit-dir DIR    where the units go (default /etc/systemd/system)\n"
		"     --dry-run         print every change instead of making it\n"
		" -j, --json            (status, reserve, setup) print JSON\n"
		" -r, --root DIR        read /proc and /sys under DIR\n"
		" -h, --help            display this help\n"
		" -V, --version         display version\n"
		"\n"
		"SIZE takes K, M, G or T (binary): 512M, 2G.\n"
		"Exit status: 0 success, 1 failure, 2 usage error.\n"
		"\n"
		"For more details see hugepages(1).\n", cli_prog);
}



static void human(uint64_t kb, char *buf, size_t len)
{
	if (kb >= UINT64_C(1073741824))
		snprintf(buf, len, "%.1f TiB", kb / 1073741824.0);
	else if (kb >= 1048576)
		snprintf(buf, len, "%.1f GiB", kb / 1048576.0);
	else if (kb >= 1024)
		snprintf(buf, len, "%.0f MiB", kb / 1024.0);
	else
		snprintf(buf, len, "%llu KiB", (unsigned long long)kb);
}

/* A file in hugetlbfs holds whole pages. */
static uint64_t pages_of(uint64_t bytes, unsigned long kb)
{
	uint64_t page = (uint64_t)kb * 1024;
	return (bytes + page - 1) / page;
}

static const char *node_name(int node, char *buf, size_t len)
{
	if (node < 0)
		snprintf(buf, len, "system");
	else
		snprintf(buf, len, "node%d", node);
	return buf;
}

static bool is_cmd(const char *c)
{
	static const char *const cmds[] = { "status", "reserve", "release", "mount", "unmount", "setup" };

	for (size_t i = 0; i < sizeof(cmds) / sizeof(*cmds); i++)
		if (strcmp(c, cmds[i]) == 0)
			return true;
	return false;
}

static int parse_args(int argc, char **argv, struct settings *s)
{
	enum { OPT_SPREAD = 256, OPT_PAGES, OPT_STALE, OPT_DRY_RUN, OPT_PERSIST, OPT_UNIT_DIR };
	static const struct option longopts[] = {
		{ "page-size", required_argument, NULL, 'p' },
		{ "node", required_argument, NULL, 'n' },
		{ "spread", no_argument, NULL, OPT_SPREAD },
		{ "pages", required_argument, NULL, OPT_PAGES },
		{ "stale", no_argument, NULL, OPT_STALE },
		{ "user", required_argument, NULL, 'u' },
		{ "group", required_argument, NULL, 'g' },
		{ "mode", required_argument, NULL, 'm' },
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		{ "persist", no_argument, NULL, OPT_PERSIST },
		{ "unit-dir", required_argument, NULL, OPT_UNIT_DIR },
		{ "json", no_argument, NULL, 'j' },
		{ "root", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct pin_error err;
	unsigned long long u;
	int c;

	while ((c = getopt_long(argc, argv, "p:n:u:g:m:jr:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (hp_parse_page_size(optarg, &s->page_kb, &err) < 0)
				return cli_usage_error("%s", err.msg);
			break;
		case 'n':
			if (num_parse_uint(optarg, 0, 4095, &u) < 0)
				return cli_usage_error("invalid NUMA node '%s' (0-4095)", optarg);
			s->node = (int)u;
			break;
		case OPT_SPREAD: s->spread = true; break;
		case OPT_PAGES:
			if (num_parse_uint(optarg, 1, 1ULL << 40, &u) < 0)
				return cli_usage_error("invalid --pages '%s' (a number of pages, more than 0)", optarg);
			s->pages = (long long)u;
			break;
		case OPT_STALE: s->stale = true; break;
		case 'u': {
			struct passwd *pw = getpwnam(optarg);
			if (pw)
				s->uid = pw->pw_uid;
			else if (num_parse_uint(optarg, 0, UINT32_MAX - 1, &u) == 0)
				s->uid = (uid_t)u;
			else
				return cli_usage_error("no such user '%s'", optarg);
			break;
		}
		case 'g': {
			struct group *gr = getgrnam(optarg);
			if (gr)
				s->gid = gr->gr_gid;
			else if (num_parse_uint(optarg, 0, UINT32_MAX - 1, &u) == 0)
				s->gid = (gid_t)u;
			else
				return cli_usage_error("no such group '%s'", optarg);
			break;
		}
		case 'm': {
			unsigned m;
			if (num_parse_mode(optarg, 07777, &m) < 0)
				return cli_usage_error("invalid mode '%s' (octal, such as 0770)", optarg);
			s->mode = (mode_t)m;
			break;
		}
		case OPT_DRY_RUN: s->dry_run = true; break;
		case OPT_PERSIST: s->persist = true; break;
		case OPT_UNIT_DIR: s->unit_dir = optarg; break;
		case 'j': s->json = true; break;
		case 'r': s->root = optarg; break;
		case 'h':
			usage(stdout);
			exit(EXIT_OK);
		case 'V':
			exit(cli_version());
		default:
			return cli_try_help();
		}
	}
	if (optind >= argc)
		return cli_usage_error("no command given (status, reserve, release, mount, unmount or setup)");
	s->cmd = argv[optind++];
	if (!is_cmd(s->cmd))
		return cli_usage_error("unknown command '%s'", s->cmd);
	if (optind < argc && (!strcmp(s->cmd, "reserve") || !strcmp(s->cmd, "setup")))
		s->size_arg = argv[optind++];
	else if (optind < argc && (!strcmp(s->cmd, "mount") || !strcmp(s->cmd, "unmount")))
		s->dir = argv[optind++];
	if (optind < argc)
		return cli_usage_error("unexpected argument '%s'", argv[optind]);

	bool sized = !strcmp(s->cmd, "reserve") || !strcmp(s->cmd, "setup");
	if (sized) {
		if (s->size_arg && s->pages)
			return cli_usage_error("give SIZE or --pages, not both");
		if (!s->size_arg && !s->pages)
			return cli_usage_error("%s needs a SIZE (such as 1G) or --pages N", s->cmd);
		if (s->size_arg && hp_parse_size(s->size_arg, &s->size_bytes, &err) < 0)
			return cli_usage_error("%s", err.msg);
		if (s->size_arg && s->size_bytes > (UINT64_C(1) << 60))
			return cli_usage_error("size '%s' is too large (more memory than any machine has)", s->size_arg);
	} else if (s->pages) {
		return cli_usage_error("--pages is an option of reserve and setup");
	}
	if (s->spread && s->node != -2)
		return cli_usage_error("--node and --spread exclude each other");
	if (s->spread && !sized)
		return cli_usage_error("--spread is an option of reserve and setup");
	if (s->stale && strcmp(s->cmd, "release"))
		return cli_usage_error("--stale is an option of release");
	if (s->persist && strcmp(s->cmd, "setup") && strcmp(s->cmd, "release"))
		return cli_usage_error("--persist is an option of setup and release");
	if (s->unit_dir && !s->persist)
		return cli_usage_error("--unit-dir goes with --persist");
	if (s->unit_dir && (s->unit_dir[0] != '/' || strlen(s->unit_dir) >= PATH_MAX - 128))
		return cli_usage_error("--unit-dir '%s' must be an absolute path (shorter than %d bytes)", s->unit_dir,
				       PATH_MAX - 128);
	if (s->json && strcmp(s->cmd, "status") && strcmp(s->cmd, "reserve") && strcmp(s->cmd, "setup"))
		return cli_usage_error("--json is an option of status, reserve and setup");
	if (s->dir && s->dir[0] != '/')
		return cli_usage_error("mount point '%s' must be an absolute path", s->dir);
	if (s->dir && strlen(s->dir) >= PATH_MAX)
		return cli_usage_error("mount point too long (at most %d bytes)", PATH_MAX - 1);
	return 0;
}

/* --dry-run: say what would change. */
static int dry_write(void *ctx, const char *path, long long value)
{
	(void)ctx;
	printf("would write %lld > %s\n", value, path);
	return 0;
}

static int dry_mount(void *ctx, const char *dir, const char *options)
{
	(void)ctx;
	printf("would mount hugetlbfs on %s (%s)\n", dir, options);
	return 0;
}

static int dry_umount(void *ctx, const char *dir)
{
	(void)ctx;
	printf("would unmount %s\n", dir);
	return 0;
}

static int dry_unlink(void *ctx, const char *path)
{
	(void)ctx;
	printf("would remove %s\n", path);
	return 0;
}

static const struct hp_sys dry_sys = {
	.write = dry_write, .mount = dry_mount, .umount = dry_umount, .unlink = dry_unlink, .simulated = true,
};

/* The page size to use: given and offered by the kernel, or the default. */
static int resolve_page_size(struct settings *s)
{
	unsigned long sizes[8];
	char want[16], offered[96] = "";
	size_t off = 0;
	int n = hp_page_sizes(sizes, 8);

	if (n < 0)
		return cli_fail(EXIT_FAIL, "this kernel has no hugepage support (no /sys/kernel/mm/hugepages)");
	/* release without --page-size: every size (its pools and its units). */
	if (s->page_kb == 0 && !strcmp(s->cmd, "release"))
		return 0;
	if (s->page_kb == 0)
		s->page_kb = hp_default_page_kb();
	for (int i = 0; i < n; i++) {
		char ps[16];
		if (sizes[i] == s->page_kb)
			return 0;
		hp_format_page_size(sizes[i], ps, sizeof(ps));
		off += (size_t)snprintf(offered + off, sizeof(offered) - off, "%s%s", off ? ", " : "", ps);
	}
	hp_format_page_size(s->page_kb, want, sizeof(want));
	return cli_fail(EXIT_USAGE, "this kernel does not offer %s pages (it offers %s); to get them, boot with hugepagesz=%s hugepages=N",
		    want, offered, want);
}

/* Check --node; on a host without per-node pools node 0 is the system-wide pool. */
static int resolve_node(struct settings *s)
{
	if (s->node == -2)
		return 0;
	if (!hp_has_nodes()) {
		if (s->node == 0) {
			s->node = -1;
			return 0;
		}
		return cli_fail(EXIT_USAGE, "no NUMA node %d (this host has one node, 0)", s->node);
	}
	if (!hp_node_exists(s->node)) {
		char list[128] = "";
		size_t off = 0;
		for (int n = 0; n < 4096 && off < sizeof(list); n++)
			if (hp_node_exists(n))
				off += (size_t)snprintf(list + off, sizeof(list) - off, "%s%d", off ? "," : "", n);
		return cli_fail(EXIT_USAGE, "no NUMA node %d (this host has nodes %s)", s->node, list);
	}
	return 0;
}

static bool may_change(const struct settings *s)
{
	return s->dry_run || !fsroot_is_live() || geteuid() == 0;
}

/* The status, from the C structures, as JSON (every field, for scripts). */
static json_t *status_json(const struct hp_pool *pools, unsigned npools, const unsigned long *sizes, int nsizes,
			   const struct hp_mount *mounts, int nm, const struct hp_usage *u)
{
	json_t *o = json_object(), *a = json_array();
	char ps[16];

	for (unsigned i = 0; i < npools; i++) {
		hp_format_page_size(pools[i].size_kb, ps, sizeof(ps));
		json_array_append_new(a, json_pack("{s:i, s:s, s:I, s:I, s:I, s:I}", "node", pools[i].node, "page_size", ps,
						   "page_size_kb", (json_int_t)pools[i].size_kb, "total", (json_int_t)pools[i].total,
						   "free", (json_int_t)pools[i].free, "surplus", (json_int_t)pools[i].surplus));
	}
	json_object_set_new(o, "pools", a);
	a = json_array();
	for (int i = 0; i < nsizes; i++) {
		hp_format_page_size(sizes[i], ps, sizeof(ps));
		json_array_append_new(a, json_pack("{s:s, s:I}", "page_size", ps, "pages", (json_int_t)hp_resv_pages(sizes[i])));
	}
	json_object_set_new(o, "reserved", a);
	a = json_array();
	for (int i = 0; i < nm; i++) {
		char mode[8];
		struct passwd *pw = getpwuid(mounts[i].uid);
		struct group *gr = getgrgid(mounts[i].gid);
		hp_format_page_size(mounts[i].page_kb, ps, sizeof(ps));
		snprintf(mode, sizeof(mode), "%04o", (unsigned)mounts[i].mode);
		json_array_append_new(a, json_pack("{s:s, s:s, s:s?, s:s?, s:i, s:i, s:s}", "path", mounts[i].dir, "page_size", ps,
						   "owner", pw ? pw->pw_name : NULL, "group", gr ? gr->gr_name : NULL, "uid",
						   (int)mounts[i].uid, "gid", (int)mounts[i].gid, "mode", mode));
	}
	json_object_set_new(o, "mounts", a);
	a = json_array();
	for (unsigned i = 0; i < u->nholders; i++) {
		hp_format_page_size(u->holders[i].page_kb, ps, sizeof(ps));
		json_array_append_new(a, json_pack("{s:i, s:s, s:s, s:I, s:I}", "pid", (int)u->holders[i].pid, "comm",
						   u->holders[i].comm, "page_size", ps, "kb", (json_int_t)u->holders[i].kb, "pages",
						   (json_int_t)(u->holders[i].kb / u->holders[i].page_kb)));
	}
	json_object_set_new(o, "holders", a);
	a = json_array();
	for (unsigned i = 0; i < u->nfiles; i++) {
		if (!u->files[i].stale)
			continue;
		hp_format_page_size(u->files[i].page_kb, ps, sizeof(ps));
		json_array_append_new(a, json_pack("{s:s, s:s, s:I, s:I}", "path", u->files[i].path, "page_size", ps, "bytes",
						   (json_int_t)u->files[i].bytes, "pages",
						   (json_int_t)pages_of(u->files[i].bytes, u->files[i].page_kb)));
	}
	json_object_set_new(o, "stale", a);
	return o;
}

/* The status, from the same structures, as text (no field looked up by name). */
static void status_text(const struct hp_pool *pools, unsigned npools, const unsigned long *sizes, int nsizes,
			const struct hp_mount *mounts, int nm, const struct hp_usage *u)
{
	char ps[16], nn[16], mem[32];
	bool stale = false;

	printf("Pools:\n  %-7s %5s %8s %8s %8s %10s\n", "node", "size", "total", "free", "surplus", "free mem");
	for (unsigned i = 0; i < npools; i++) {
		hp_format_page_size(pools[i].size_kb, ps, sizeof(ps));
		human((uint64_t)pools[i].free * pools[i].size_kb, mem, sizeof(mem));
		printf("  %-7s %5s %8lld %8lld %8lld %10s\n", node_name(pools[i].node, nn, sizeof(nn)), ps,
		       (long long)pools[i].total, (long long)pools[i].free, (long long)pools[i].surplus, mem);
	}
	for (int i = 0; i < nsizes; i++) {
		long long resv = hp_resv_pages(sizes[i]);
		hp_format_page_size(sizes[i], ps, sizeof(ps));
		if (resv)
			printf("  %lld %s pages reserved by mappings, not yet used\n", resv, ps);
	}
	printf("Mounts:\n");
	if (nm == 0)
		printf("  none (mount one: hugepages mount)\n");
	for (int i = 0; i < nm; i++) {
		struct passwd *pw = getpwuid(mounts[i].uid);
		struct group *gr = getgrgid(mounts[i].gid);
		hp_format_page_size(mounts[i].page_kb, ps, sizeof(ps));
		printf("  %-24s %4s  %s:%s %04o\n", mounts[i].dir, ps, pw ? pw->pw_name : "?", gr ? gr->gr_name : "?",
		       (unsigned)mounts[i].mode);
	}
	printf("Holders:\n");
	if (u->nholders == 0)
		printf("  none\n");
	for (unsigned i = 0; i < u->nholders; i++) {
		hp_format_page_size(u->holders[i].page_kb, ps, sizeof(ps));
		human(u->holders[i].kb, mem, sizeof(mem));
		printf("  pid %-7d %-16s %4s  %llu pages (%s)\n", (int)u->holders[i].pid, u->holders[i].comm, ps,
		       (unsigned long long)(u->holders[i].kb / u->holders[i].page_kb), mem);
	}
	for (unsigned i = 0; i < u->nfiles; i++) {
		if (!u->files[i].stale)
			continue;
		if (!stale)
			printf("Stale files (no process maps or opens them; remove: hugepages release --stale):\n");
		stale = true;
		hp_format_page_size(u->files[i].page_kb, ps, sizeof(ps));
		printf("  %-40s %4s  %llu pages\n", u->files[i].path, ps,
		       (unsigned long long)pages_of(u->files[i].bytes, u->files[i].page_kb));
	}
}

static int print_status(const struct settings *s)
{
	struct hp_pool *pools;
	struct hp_mount *mounts = NULL;
	struct hp_usage u;
	unsigned long sizes[8];
	unsigned npools;
	int nm, nsizes, r;

	r = hostfacts_read_pools(&pools, &npools);
	if (r < 0)
		return cli_fail(EXIT_FAIL, "this kernel has no hugepage support (no /sys/kernel/mm/hugepages)");
	nm = hp_mounts(&mounts);
	if (nm < 0)
		nm = 0;
	if (hp_usage_read(&u) < 0)
		memset(&u, 0, sizeof(u));
	nsizes = hp_page_sizes(sizes, 8);
	if (nsizes < 0)
		nsizes = 0;
	if (s->json) {
		json_t *o = status_json(pools, npools, sizes, nsizes, mounts, nm, &u);
		json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
		json_decref(o);
	} else {
		status_text(pools, npools, sizes, nsizes, mounts, nm, &u);
	}
	hp_usage_free(&u);
	free(mounts);
	free(pools);
	return EXIT_OK;
}

/* The pools SIZE goes to: one node, every node (--spread), or the default. */
static int plan_grants(const struct settings *s, struct hp_grant *g, unsigned max)
{
	long long pages = s->pages;
	unsigned n = 0;

	if (!pages) {
		/* Rounded up without overflow: (size + page - 1) / page wraps near 2^64. */
		uint64_t page_bytes = (uint64_t)s->page_kb * 1024;
		pages = (long long)(s->size_bytes / page_bytes + (s->size_bytes % page_bytes != 0));
	}
	if (s->spread && hp_has_nodes()) {
		int nodes[256];
		unsigned nn = 0;
		for (int node = 0; node < 4096 && nn < 256; node++)
			if (hp_node_exists(node))
				nodes[nn++] = node;
		for (unsigned i = 0; i < nn && n < max; i++) {
			g[n].node = nodes[i];
			g[n].page_kb = s->page_kb;
			g[n].want_free = pages / nn + ((long long)i < pages % nn ? 1 : 0);
			n++;
		}
		return (int)n;
	}
	g[0].node = s->node;
	if (s->node == -2)
		g[0].node = hp_has_nodes() && !hp_node_exists(1) ? 0 : -1;
	g[0].page_kb = s->page_kb;
	g[0].want_free = pages;
	return 1;
}

/* One pool's outcome, as text. */
static void say_pool(const json_t *o, bool dry_run)
{
	char nn[16], mem[32];
	long long before = json_integer_value(json_object_get(o, "before"));
	long long after = json_integer_value(json_object_get(o, "after"));
	long long want = json_integer_value(json_object_get(o, "free_wanted"));

	human((uint64_t)want * (uint64_t)json_integer_value(json_object_get(o, "page_size_kb")), mem, sizeof(mem));
	node_name((int)json_integer_value(json_object_get(o, "node")), nn, sizeof(nn));
	if (!json_is_true(json_object_get(o, "changed")) && !dry_run)
		printf("%s %s: %lld pages, at least %lld free (%s) already\n", nn,
		       json_string_value(json_object_get(o, "page_size")), before, want, mem);
	else
		printf("%s %s: %lld -> %lld pages, %lld free (%s)%s\n", nn, json_string_value(json_object_get(o, "page_size")),
		       before, after, want, mem, dry_run ? " (dry run)" : "");
}

/* Reserve; each pool's outcome into @out's "pools" (and said as text without --json). */
static int do_reserve(const struct settings *s, json_t *out)
{
	struct hp_grant g[256];
	char nn[16], ps[16], mem[32];
	int n, r;

	if (!s->page_kb) /* resolve_page_size gives every command but release one */
		return cli_fail(EXIT_FAIL, "no page size to reserve");
	n = plan_grants(s, g, 256);

	hp_format_page_size(s->page_kb, ps, sizeof(ps));
	r = hp_reserve(g, (unsigned)n);
	if (r == -E2BIG) {
		uint64_t add = 0;
		for (int i = 0; i < n; i++)
			add += (uint64_t)(g[i].asked - g[i].before) * g[i].page_kb;
		human(add, mem, sizeof(mem));
		char avail[32];
		human(hp_mem_available_kb(), avail, sizeof(avail));
		return cli_fail(EXIT_FAIL, "adding %s of %s pages needs more memory than is available (%s); nothing changed: ask for less or free memory",
			    mem, ps, avail);
	}
	if (r == -ENOMEM) {
		for (int i = 0; i < n; i++) {
			if (g[i].granted >= g[i].asked)
				continue;
			return cli_fail(EXIT_FAIL, "%s %s: asked the kernel for %lld pages, it granted %lld; restored %lld. "
				    "Memory is too fragmented or short: try 'echo 1 > /proc/sys/vm/compact_memory' and retry, "
				    "or reserve at boot: hugepagesz=%s hugepages=%lld",
				    node_name(g[i].node, nn, sizeof(nn)), ps, g[i].asked, g[i].granted, g[i].before, ps,
				    g[i].asked);
		}
	}
	if (r < 0)
		return cli_fail(EXIT_FAIL, "cannot change the hugepage pool: %s%s", strerror(-r),
			    r == -EACCES || r == -EPERM ? " (run as root)" : "");
	for (int i = 0; i < n; i++) {
		json_t *o = json_pack("{s:i, s:s, s:I, s:I, s:I, s:I, s:b}", "node", g[i].node, "page_size", ps,
				      "page_size_kb", (json_int_t)g[i].page_kb, "before", (json_int_t)g[i].before,
				      "after", (json_int_t)(g[i].asked == g[i].before ? g[i].before : g[i].granted),
				      "free_wanted", (json_int_t)g[i].want_free,
				      "changed", g[i].asked != g[i].before && !s->dry_run);
		if (!s->json)
			say_pool(o, s->dry_run && g[i].asked != g[i].before);
		json_array_append_new(json_object_get(out, "pools"), o);
	}
	return EXIT_OK;
}

/* Mount; the outcome into @out's "mount" (said as text without --json). */
static int do_mount(const struct settings *s, json_t *out)
{
	char dir[PATH_MAX], ps[16];
	int r;

	if (s->dir)
		snprintf(dir, sizeof(dir), "%s", s->dir);
	else
		hp_default_dir(s->page_kb, dir, sizeof(dir));
	hp_format_page_size(s->page_kb, ps, sizeof(ps));
	r = hp_mount(dir, s->page_kb, s->uid, s->gid, s->mode);
	if (r == 1) {
		if (!s->json)
			printf("%s: hugetlbfs (%s) already mounted\n", dir, ps);
		json_object_set_new(out, "mount", json_pack("{s:s, s:s, s:b}", "path", dir, "page_size", ps, "changed", 0));
		return EXIT_OK;
	}
	if (r == -EEXIST)
		return cli_fail(EXIT_FAIL, "%s is already a mount point of another page size or filesystem; unmount it or choose another directory", dir);
	if (r == -ENOTEMPTY)
		return cli_fail(EXIT_FAIL, "%s is not empty: a mount would hide its files; choose an empty directory", dir);
	if (r < 0)
		return cli_fail(EXIT_FAIL, "cannot mount hugetlbfs on %s: %s%s", dir, strerror(-r),
			    r == -EPERM ? " (run as root)" : "");
	if (!s->dry_run && !s->json)
		printf("%s: hugetlbfs (%s) mounted\n", dir, ps);
	json_object_set_new(out, "mount", json_pack("{s:s, s:s, s:b}", "path", dir, "page_size", ps, "changed", !s->dry_run));
	return EXIT_OK;
}

/* Say who holds the pages of @kb that could not be released. */
static void print_holders(const struct hp_usage *u, unsigned long kb)
{
	for (unsigned i = 0; i < u->nholders; i++)
		if (u->holders[i].page_kb == kb)
			printf("  held by pid %d (%s): %llu pages\n", (int)u->holders[i].pid, u->holders[i].comm,
			       (unsigned long long)(u->holders[i].kb / kb));
	for (unsigned i = 0; i < u->nfiles; i++)
		if (u->files[i].page_kb == kb && u->files[i].bytes)
			printf("  held by %s%s: %llu pages\n", u->files[i].path,
			       u->files[i].stale ? " (stale: hugepages release --stale)" : "",
			       (unsigned long long)pages_of(u->files[i].bytes, kb));
}

static int do_unmount(const struct settings *s)
{
	char dir[PATH_MAX];
	int r;

	if (s->dir)
		snprintf(dir, sizeof(dir), "%s", s->dir);
	else
		hp_default_dir(s->page_kb, dir, sizeof(dir));
	r = hp_umount(dir);
	if (r == 1) {
		printf("%s: no hugetlbfs mounted\n", dir);
		return EXIT_OK;
	}
	if (r == -EBUSY) {
		struct hp_usage u;
		fprintf(stderr, "%s: %s is busy: files there are in use\n", cli_prog, dir);
		if (hp_usage_read(&u) == 0) {
			print_holders(&u, s->page_kb);
			hp_usage_free(&u);
		}
		return EXIT_FAIL;
	}
	if (r < 0)
		return cli_fail(EXIT_FAIL, "cannot unmount %s: %s", dir, strerror(-r));
	if (!s->dry_run)
		printf("%s: unmounted\n", dir);
	return EXIT_OK;
}

static int do_release(const struct settings *s)
{
	struct hp_pool *pools;
	struct hp_usage u;
	unsigned npools;
	bool any = false;
	int code = EXIT_OK;

	if (hostfacts_read_pools(&pools, &npools) < 0)
		return cli_fail(EXIT_FAIL, "this kernel has no hugepage support");
	if (hp_usage_read(&u) < 0)
		memset(&u, 0, sizeof(u));
	if (s->stale) {
		for (unsigned i = 0; i < u.nfiles; i++) {
			int r;
			if (!u.files[i].stale || (s->page_kb && u.files[i].page_kb != s->page_kb))
				continue;
			r = hp_remove(&u.files[i]);
			if (r < 0)
				code = cli_fail(EXIT_FAIL, "cannot remove %s: %s", u.files[i].path, strerror(-r));
			else if (!s->dry_run)
				printf("removed %s (%llu pages)\n", u.files[i].path,
				       (unsigned long long)pages_of(u.files[i].bytes, u.files[i].page_kb));
		}
	}
	for (unsigned i = 0; i < npools; i++) {
		struct hp_grant g = { .node = pools[i].node, .page_kb = pools[i].size_kb };
		char nn[16], ps[16];
		long long freed;

		if (s->page_kb && pools[i].size_kb != s->page_kb)
			continue;
		if (s->node >= 0 && pools[i].node != s->node)
			continue;
		if (pools[i].total == 0)
			continue;
		any = true;
		hp_format_page_size(pools[i].size_kb, ps, sizeof(ps));
		freed = hp_release(&g);
		if (freed < 0) {
			code = cli_fail(EXIT_FAIL, "cannot shrink the %s %s pool: %s%s", node_name(g.node, nn, sizeof(nn)), ps,
				    strerror((int)-freed), freed == -EACCES ? " (run as root)" : "");
			continue;
		}
		printf("%s %s: %lld -> %lld pages%s\n", node_name(g.node, nn, sizeof(nn)), ps, g.before, g.granted,
		       s->dry_run ? " (dry run)" : "");
		if (g.granted > 0 && !s->dry_run) {
			printf("  %lld pages are in use and were kept:\n", g.granted);
			print_holders(&u, g.page_kb);
		}
	}
	if (!any)
		printf("no hugepages reserved%s\n", s->page_kb ? " of that size" : "");
	hp_usage_free(&u);
	free(pools);
	return code;
}

/* The unit directory: --unit-dir, or /etc/systemd/system under --root. */
static int unit_dir(const struct settings *s, char *dir, size_t len)
{
	if (s->unit_dir)
		return snprintf(dir, len, "%s", s->unit_dir) < (int)len ? 0 : -ENAMETOOLONG;
	return fsroot_path(dir, len, "/etc/systemd/system") < 0 ? -ENAMETOOLONG : 0;
}

/* systemd reads new units after daemon-reload; only on the live host, when it runs. */
static void reload_systemd(const struct settings *s)
{
	pid_t pid;

	if (s->unit_dir || !fsroot_is_live() || access("/run/systemd/system", F_OK) != 0)
		return;
	pid = fork();
	if (pid == 0) {
		execlp("systemctl", "systemctl", "daemon-reload", (char *)NULL);
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
}

/* setup --persist: the same setup at every boot, as a systemd unit (its outcome into
 * @out's "persist", said as text without --json). */
static int do_persist(const struct settings *s, json_t *out)
{
	char exe[PATH_MAX], dir[PATH_MAX], name[96], text[4096], what[128], ps[16], size[32], node[16], uid[16],
		gid[16], mode[16];
	const char *argv[20];
	unsigned argc = 0;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	int r;

	if (n <= 0)
		return cli_fail(EXIT_FAIL, "cannot find this program's path (/proc/self/exe): %s", strerror(errno));
	exe[n] = '\0';
	if (unit_dir(s, dir, sizeof(dir)) < 0)
		return cli_fail(EXIT_USAGE, "the unit directory's path is too long");
	hp_format_page_size(s->page_kb, ps, sizeof(ps));
	hp_persist_name(s->page_kb, s->node, s->spread, name, sizeof(name));
	/* The same request, in canonical words: what this run resolved (page size, node). */
	argv[argc++] = exe;
	argv[argc++] = "setup";
	if (s->pages) {
		snprintf(size, sizeof(size), "%lld", s->pages);
		argv[argc++] = "--pages";
	} else {
		/* Checked by hp_parse_size: digits and a unit. */
		snprintf(size, sizeof(size), "%s", s->size_arg);
	}
	argv[argc++] = size;
	argv[argc++] = "--page-size";
	argv[argc++] = ps;
	if (s->spread) {
		argv[argc++] = "--spread";
	} else if (s->node >= 0) {
		snprintf(node, sizeof(node), "%d", s->node);
		argv[argc++] = "--node";
		argv[argc++] = node;
	}
	if (s->uid != (uid_t)-1) {
		snprintf(uid, sizeof(uid), "%u", (unsigned)s->uid);
		argv[argc++] = "--user";
		argv[argc++] = uid;
	}
	if (s->gid != (gid_t)-1) {
		snprintf(gid, sizeof(gid), "%u", (unsigned)s->gid);
		argv[argc++] = "--group";
		argv[argc++] = gid;
	}
	if (s->mode) {
		snprintf(mode, sizeof(mode), "%04o", (unsigned)s->mode);
		argv[argc++] = "--mode";
		argv[argc++] = mode;
	}
	snprintf(what, sizeof(what), "%s %s of %s pages %s%s", s->pages ? "--pages" : "at least", size, ps,
		 s->spread ? "spread over the nodes" : s->node >= 0 ? "on node " : "in the system-wide pool",
		 !s->spread && s->node >= 0 ? node : "");
	r = hp_persist_render(argv, argc, what, text, sizeof(text));
	if (r == -EINVAL)
		return cli_fail(EXIT_FAIL, "cannot write a unit that runs %s: its path has characters a unit file would interpret; install it elsewhere",
				exe);
	if (r < 0)
		return cli_fail(EXIT_FAIL, "the unit for %s does not fit in %zu bytes", name, sizeof(text));
	if (s->dry_run) {
		printf("would write %s/%s and enable it (%s/sysinit.target.wants):\n%s", dir, name, dir, text);
		return EXIT_OK;
	}
	r = hp_persist_install(dir, name, text);
	if (r == -EEXIST)
		return cli_fail(EXIT_FAIL, "%s/%s (or its link in sysinit.target.wants) is not one hugepages wrote: move it away first",
				dir, name);
	if (r < 0)
		return cli_fail(EXIT_FAIL, "cannot write %s/%s: %s%s", dir, name, strerror(-r),
				r == -EACCES || r == -EPERM ? " (run as root)" : "");
	if (r == 1)
		reload_systemd(s);
	if (!s->json)
		printf("%s/%s: %s\n", dir, name, r == 1 ? "written and enabled: the same setup at every boot" : "unchanged");
	json_object_set_new(out, "persist", json_pack("{s:o, s:b}", "unit", json_sprintf("%s/%s", dir, name), "changed", r == 1));
	return EXIT_OK;
}

/* release --persist: the units go too. */
static int do_unpersist(const struct settings *s)
{
	char dir[PATH_MAX], prefix[64], removed[4096], ps[16];
	int r;

	if (unit_dir(s, dir, sizeof(dir)) < 0)
		return cli_fail(EXIT_USAGE, "the unit directory's path is too long");
	/* --page-size and --node narrow it down; without them every unit of ours goes. */
	hp_format_page_size(s->page_kb, ps, sizeof(ps));
	if (!s->page_kb)
		snprintf(prefix, sizeof(prefix), HP_PERSIST_PREFIX);
	else if (s->node >= 0)
		snprintf(prefix, sizeof(prefix), HP_PERSIST_PREFIX "%s-node%d.", ps, s->node);
	else
		snprintf(prefix, sizeof(prefix), HP_PERSIST_PREFIX "%s-", ps);
	if (s->dry_run) {
		printf("would remove the units %s%s* and their links\n", dir, prefix);
		return EXIT_OK;
	}
	r = hp_persist_remove(dir, prefix, removed, sizeof(removed));
	if (r < 0)
		return cli_fail(EXIT_FAIL, "cannot remove units from %s: %s", dir, strerror(-r));
	if (r == 0)
		printf("no unit of hugepages in %s\n", dir);
	else
		printf("removed (not set up at boot any more):\n%s", removed);
	if (r > 0)
		reload_systemd(s);
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	struct settings s = { .node = -2, .uid = (uid_t)-1, .gid = (gid_t)-1 };
	int r;

	cli_prog = "hugepages";
	/* A reader that went away is an error we report, not a silent death. */
	signal(SIGPIPE, SIG_IGN);

	r = parse_args(argc, argv, &s);
	if (r)
		return r;
	if (s.root && (r = fsroot_set(s.root)) < 0)
		return cli_fail(EXIT_USAGE, "--root %s: %s", s.root, strerror(-r));
	if (s.dry_run)
		hp_set_sys(&dry_sys);
	if (strcmp(s.cmd, "status") == 0)
		return print_status(&s);
	if ((r = resolve_page_size(&s)) || (r = resolve_node(&s)))
		return r;
	if (!may_change(&s))
		return cli_fail(EXIT_FAIL, "changing hugepages needs root: run it with sudo (or --dry-run to see the changes)");
	if (strcmp(s.cmd, "release") == 0) {
		r = do_release(&s);
		return r || !s.persist ? r : do_unpersist(&s);
	}
	if (strcmp(s.cmd, "unmount") == 0)
		return do_unmount(&s);
	/* reserve, mount, setup (reserve, mount, --persist): the outcome as data, said as
	 * it happens in text, printed whole with --json. */
	json_t *out = json_pack("{s:[]}", "pools");
	if (!out)
		return cli_fail(EXIT_FAIL, "out of memory");
	if (strcmp(s.cmd, "mount") == 0) {
		r = do_mount(&s, out);
	} else {
		r = do_reserve(&s, out);
		if (!r && strcmp(s.cmd, "setup") == 0)
			r = do_mount(&s, out);
		if (!r && s.persist)
			r = do_persist(&s, out);
	}
	if (!r && s.json) {
		/* Did anything change?  What a configuration tool reports (Ansible's "changed"). */
		bool changed = json_is_true(json_object_get(json_object_get(out, "mount"), "changed")) ||
			       json_is_true(json_object_get(json_object_get(out, "persist"), "changed"));
		size_t i;
		json_t *x;
		json_array_foreach(json_object_get(out, "pools"), i, x)
			changed |= json_is_true(json_object_get(x, "changed"));
		json_object_set_new(out, "changed", json_boolean(changed));
		json_dumpf(out, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
	}
	json_decref(out);
	return r;
}
