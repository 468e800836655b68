/* SPDX-License-Identifier: BSD-3-Clause */
/* The hugepages library on a fixture host with 2 NUMA nodes x (2M, 1G), behind a
 * fake kernel that can grant fewer pages than asked. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/fsroot.h"
#include "base/fsutil.h"
#include "hugepages/hp.h"
#include "unit.h"

static char root[PATH_MAX];

/* The fake kernel: grants at most `cap` pages per pool write and keeps free in step. */
struct kernel {
	long long cap;
	unsigned writes, mounts, umounts, unlinks;
	char last_mount[256], last_opts[128];
};

static long long read_at(const char *path)
{
	FILE *f = fopen(path, "re");
	long long v = -1;

	if (f) {
		if (fscanf(f, "%lld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static void write_at(const char *path, long long v)
{
	FILE *f = fopen(path, "we");

	assert_non_null(f);
	fprintf(f, "%lld\n", v);
	fclose(f);
}

static int fake_write(void *ctx, const char *path, long long value)
{
	struct kernel *k = ctx;
	char freep[PATH_MAX];
	long long old = read_at(path), granted = value < k->cap ? value : k->cap;
	size_t n = strlen(path) - strlen("nr_hugepages");

	k->writes++;
	if (old < 0)
		return -ENOENT;
	if (granted < old)
		granted = value; /* shrinking always works in this kernel */
	snprintf(freep, sizeof(freep), "%.*sfree_hugepages", (int)n, path);
	write_at(path, granted);
	write_at(freep, read_at(freep) + granted - old);
	return 0;
}

static int fake_mount(void *ctx, const char *dir, const char *options)
{
	struct kernel *k = ctx;

	k->mounts++;
	snprintf(k->last_mount, sizeof(k->last_mount), "%s", dir);
	snprintf(k->last_opts, sizeof(k->last_opts), "%s", options);
	return 0;
}

static int fake_umount(void *ctx, const char *dir)
{
	struct kernel *k = ctx;

	(void)dir;
	k->umounts++;
	return 0;
}

static int fake_unlink(void *ctx, const char *path)
{
	struct kernel *k = ctx;

	k->unlinks++;
	return unlink(path) < 0 ? -errno : 0;
}

static struct kernel kern;
static struct hp_sys fake = {
	.write = fake_write, .mount = fake_mount, .umount = fake_umount, .unlink = fake_unlink, .ctx = &kern,
};

/* Every test gets its own writable copy of the fixture. */
/* cp -a FROM TO, by fork/exec: no shell. */
static int copy_tree(const char *from, const char *to)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		execlp("cp", "cp", "-a", "--", from, to, (char *)NULL);
		_exit(127);
	}
	return pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static int setup(void **state)
{
	char from[PATH_MAX];

	(void)state;
	snprintf(root, sizeof(root), "/tmp/test_hp.XXXXXX");
	if (!mkdtemp(root))
		return -1;
	snprintf(from, sizeof(from), "%s/hp-2node/.", FIXTURES);
	if (copy_tree(from, root) != 0)
		return -1;
	memset(&kern, 0, sizeof(kern));
	kern.cap = 1000000;
	hp_set_sys(&fake);
	return fsroot_set(root);
}

static int teardown(void **state)
{
	(void)state;
	fsroot_set(NULL);
	hp_set_sys(NULL);
	return fs_remove_tree(root) == 0 ? 0 : -1;
}

static long long pool_total(int node, unsigned long kb)
{
	struct hp_pool p;

	assert_int_equal(hp_pool_read(node, kb, &p), 0);
	return p.total;
}

static void test_parse(void **state)
{
	struct pin_error err;
	unsigned long kb;
	uint64_t b;
	char buf[16];

	(void)state;
	assert_int_equal(hp_parse_size("512M", &b, NULL), 0);
	assert_int_equal(b, 512ULL << 20);
	assert_int_equal(hp_parse_size("1G", &b, NULL), 0);
	assert_int_equal(b, 1ULL << 30);
	assert_int_equal(hp_parse_size("2GiB", &b, NULL), 0);
	assert_int_equal(b, 2ULL << 30);
	assert_int_equal(hp_parse_size("1t", &b, NULL), 0);
	assert_int_equal(b, 1ULL << 40);
	assert_int_equal(hp_parse_size("4096", &b, NULL), 0);
	assert_int_equal(b, 4096);
	assert_parse_error(hp_parse_size("abc", &b, &err), err, -EINVAL, "invalid size 'abc'");
	assert_parse_error(hp_parse_size("0", &b, &err), err, -EINVAL, "size must be more than 0");
	assert_parse_error(hp_parse_size("0G", &b, &err), err, -EINVAL, "more than 0");
	assert_parse_error(hp_parse_size("-1G", &b, &err), err, -EINVAL, "invalid size '-1G'");
	assert_parse_error(hp_parse_size("1X", &b, &err), err, -EINVAL, "unknown suffix 'X'");
	assert_parse_error(hp_parse_size("1GG", &b, &err), err, -EINVAL, "unknown suffix");
	assert_parse_error(hp_parse_size("99999999999T", &b, &err), err, -ERANGE, "too large");
	assert_parse_error(hp_parse_size("", &b, &err), err, -EINVAL, "invalid size");

	assert_int_equal(hp_parse_page_size("2M", &kb, NULL), 0);
	assert_int_equal(kb, 2048);
	assert_int_equal(hp_parse_page_size("1G", &kb, NULL), 0);
	assert_int_equal(kb, 1048576);
	assert_int_equal(hp_parse_page_size("2048kB", &kb, NULL), 0);
	assert_int_equal(kb, 2048);
	assert_int_equal(hp_parse_page_size("1024M", &kb, NULL), 0);
	assert_int_equal(kb, 1048576);
	assert_parse_error(hp_parse_page_size("3M", &kb, &err), err, -EINVAL, "a power of two");
	assert_parse_error(hp_parse_page_size("1K", &kb, &err), err, -EINVAL, "a power of two");
	hp_format_page_size(1048576, buf, sizeof(buf));
	assert_string_equal(buf, "1G");
	hp_format_page_size(2048, buf, sizeof(buf));
	assert_string_equal(buf, "2M");
	hp_format_page_size(64, buf, sizeof(buf));
	assert_string_equal(buf, "64K");
}

static void test_read(void **state)
{
	unsigned long sizes[4];
	struct hp_pool p;
	char dir[64];

	(void)state;
	assert_int_equal(hp_page_sizes(sizes, 4), 2);
	assert_int_equal(sizes[0], 2048);
	assert_int_equal(sizes[1], 1048576);
	assert_int_equal(hp_default_page_kb(), 2048);
	assert_true(hp_has_nodes());
	assert_true(hp_node_exists(1));
	assert_false(hp_node_exists(2));
	assert_int_equal(hp_pool_read(0, 2048, &p), 0);
	assert_int_equal(p.total, 4);
	assert_int_equal(p.free, 2);
	assert_int_equal(hp_pool_read(-1, 2048, &p), 0);
	assert_int_equal(p.total, 6);
	assert_int_equal(hp_pool_read(2, 2048, &p), -ENOENT);
	assert_int_equal(hp_resv_pages(2048), 1);
	assert_int_equal(hp_mem_available_kb(), 8000000);
	hp_default_dir(2048, dir, sizeof(dir));
	assert_string_equal(dir, "/dev/hugepages");
	hp_default_dir(1048576, dir, sizeof(dir));
	assert_string_equal(dir, "/dev/hugepages-1G");
}

static void test_reserve_adds_only_what_is_missing(void **state)
{
	struct hp_grant g = { .node = 0, .page_kb = 2048, .want_free = 10 };

	(void)state;
	/* node0 has 4 pages, 2 free: 8 more make 10 free. */
	assert_int_equal(hp_reserve(&g, 1), 0);
	assert_int_equal(g.before, 4);
	assert_int_equal(g.asked, 12);
	assert_int_equal(g.granted, 12);
	assert_int_equal(pool_total(0, 2048), 12);
	assert_int_equal(pool_total(1, 2048), 2); /* the other node is untouched */
	/* Enough free already: nothing written, never shrunk. */
	kern.writes = 0;
	g.want_free = 3;
	assert_int_equal(hp_reserve(&g, 1), 0);
	assert_int_equal(kern.writes, 0);
	assert_int_equal(g.asked, 12);
	assert_int_equal(pool_total(0, 2048), 12);
}

static void test_reserve_partial_grant_restores(void **state)
{
	struct hp_grant g[2] = {
		{ .node = 0, .page_kb = 2048, .want_free = 5 },
		{ .node = 1, .page_kb = 2048, .want_free = 40 },
	};

	(void)state;
	kern.cap = 20; /* the kernel finds only 20 pages per pool */
	assert_int_equal(hp_reserve(g, 2), -ENOMEM);
	assert_int_equal(g[1].asked, 42);
	assert_int_equal(g[1].granted, 20);
	/* All or nothing: both pools are back where they were. */
	assert_int_equal(pool_total(0, 2048), 4);
	assert_int_equal(pool_total(1, 2048), 2);
}

static void test_reserve_more_than_memory(void **state)
{
	struct hp_grant g = { .node = 1, .page_kb = 1048576, .want_free = 100 };

	(void)state;
	assert_int_equal(hp_reserve(&g, 1), -E2BIG);
	assert_int_equal(kern.writes, 0);
	assert_int_equal(pool_total(1, 1048576), 1);
}

static void test_release(void **state)
{
	struct hp_grant g = { .node = 0, .page_kb = 2048 };

	(void)state;
	/* node0: 4 pages, 2 free, so 2 in use are kept. */
	assert_int_equal(hp_release(&g), 2);
	assert_int_equal(g.before, 4);
	assert_int_equal(g.granted, 2);
	assert_int_equal(pool_total(0, 2048), 2);
	/* node1 1G: its one page is in use; nothing to write. */
	g = (struct hp_grant){ .node = 1, .page_kb = 1048576 };
	kern.writes = 0;
	assert_int_equal(hp_release(&g), 0);
	assert_int_equal(kern.writes, 0);
}

static void test_mounts(void **state)
{
	struct hp_mount *m;
	char dir[64];

	(void)state;
	assert_int_equal(hp_mounts(&m), 3);
	assert_string_equal(m[0].dir, "/dev/hugepages");
	assert_int_equal(m[0].page_kb, 2048);
	assert_string_equal(m[1].dir, "/dev/hugepages-1G");
	assert_int_equal(m[1].page_kb, 1048576);
	assert_string_equal(m[2].dir, "/mnt/huge space");
	free(m);
	/* Idempotent: the same mount again changes nothing; another page size is refused. */
	assert_int_equal(hp_mount("/dev/hugepages", 2048, (uid_t)-1, (gid_t)-1, 0), 1);
	assert_int_equal(hp_mount("/dev/hugepages", 1048576, (uid_t)-1, (gid_t)-1, 0), -EEXIST);
	assert_int_equal(hp_mount("/proc", 2048, (uid_t)-1, (gid_t)-1, 0), -EEXIST);
	assert_int_equal(kern.mounts, 0);
	assert_int_equal(hp_mount("/mnt/bench", 1048576, 1000, 1001, 0770), 0);
	assert_int_equal(kern.mounts, 1);
	assert_non_null(strstr(kern.last_mount, "/mnt/bench"));
	assert_string_equal(kern.last_opts, "pagesize=1G,uid=1000,gid=1001,mode=770");
	assert_int_equal(hp_umount("/mnt/nothing"), 1);
	assert_int_equal(hp_umount("/dev/hugepages-1G"), 0);
	assert_int_equal(kern.umounts, 1);
	assert_int_equal(hp_mount_find_or_create(1048576, dir, sizeof(dir)), 0);
	assert_string_equal(dir, "/dev/hugepages-1G");
	assert_int_equal(kern.mounts, 1);
}

static void test_holders_and_stale(void **state)
{
	struct hp_usage u;
	unsigned stale = 0;

	(void)state;
	assert_int_equal(hp_usage_read(&u), 0);
	assert_int_equal(u.nholders, 2);
	for (unsigned i = 0; i < u.nholders; i++) {
		if (u.holders[i].pid == 300) {
			assert_string_equal(u.holders[i].comm, "dpdk-testpmd");
			assert_int_equal(u.holders[i].page_kb, 2048);
			/* rtemap_1 mapped twice at one offset is 4 MiB once; the anonymous 2 MiB adds. */
			assert_int_equal(u.holders[i].kb, 6144);
		} else {
			assert_int_equal(u.holders[i].pid, 302);
			assert_int_equal(u.holders[i].page_kb, 1048576);
		}
	}
	assert_int_equal(u.nfiles, 3); /* hidden placeholder files are skipped */
	for (unsigned i = 0; i < u.nfiles; i++) {
		if (u.files[i].stale) {
			stale++;
			assert_string_equal(u.files[i].path, "/dev/hugepages/rtemap_0");
			assert_int_equal(hp_remove(&u.files[i]), 0);
		}
	}
	assert_int_equal(stale, 1); /* rtemap_1 is mapped, held_open is open */
	assert_int_equal(kern.unlinks, 1);
	hp_usage_free(&u);
	assert_int_equal(hp_usage_read(&u), 0);
	assert_int_equal(u.nfiles, 2);
	hp_usage_free(&u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test_setup_teardown(test_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reserve_adds_only_what_is_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reserve_partial_grant_restores, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reserve_more_than_memory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_release, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mounts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_holders_and_stale, setup, teardown),
	};
	return cmocka_run_group_tests_name("hugepages", tests, NULL, NULL);
}
