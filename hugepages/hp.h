/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Hugepages per NUMA node and page size: pools, hugetlbfs mounts, who holds
 * pages, stale files; reserving, releasing, mounting.  Reads go through
 * pinning's fsroot; every change to the host goes through struct hp_sys, so
 * --dry-run and tests can stand in for the kernel.
 */
#pragma once
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/error.h"
#include "pinning/hostfacts.h"

/* What changes the host.  Paths are the real ones to touch (fsroot already applied). */
struct hp_sys {
	int (*write)(void *ctx, const char *path, long long value);  /* 0 or -errno */
	int (*mount)(void *ctx, const char *dir, const char *options);
	int (*umount)(void *ctx, const char *dir);
	int (*unlink)(void *ctx, const char *path);
	void *ctx;
	bool simulated;   /* writes do not change what is read back (--dry-run): skip verification */
};

/* Use @sys for every change from now on; NULL restores the real system calls. */
void hp_set_sys(const struct hp_sys *sys);

/* Parse a size with an optional K/M/G/T suffix (binary; "B"/"iB" allowed): "512M", "1G".
 * 0, or -EINVAL / -ERANGE with @err (zero, negative and junk are errors). */
int hp_parse_size(const char *s, uint64_t *bytes, struct pin_error *err);

/* Parse a page size: "2M", "1G", "2048K", "2048kB", "1GB".  0 or -EINVAL with @err. */
int hp_parse_page_size(const char *s, unsigned long *kb, struct pin_error *err);

/* Format @kb as "2M", "1G", "64K". */
void hp_format_page_size(unsigned long kb, char *buf, size_t len);

/* Page sizes the kernel offers, ascending, into @kb (at most @max).  Count, or -ENOENT. */
int hp_page_sizes(unsigned long *kb, unsigned max);

/* The default hugepage size (Hugepagesize in /proc/meminfo); 2048 when unknown. */
unsigned long hp_default_page_kb(void);

/* True when the kernel keeps per-node pools (a NUMA sysfs). */
bool hp_has_nodes(void);

/* True when NUMA node @node has hugepage pools. */
bool hp_node_exists(int node);

/* Read one pool (@node -1: system-wide).  0 or -ENOENT. */
int hp_pool_read(int node, unsigned long kb, struct hp_pool *out);

/* Pages reserved by mappings but not yet faulted in (resv_hugepages; system-wide). */
long long hp_resv_pages(unsigned long kb);

/* MemAvailable in KiB, 0 when unknown. */
uint64_t hp_mem_available_kb(void);

/* One pool's change: the caller fills node, page_kb and want_free; hp_reserve
 * and hp_release fill before, asked and granted (nr_hugepages before, written, after). */
struct hp_grant {
	int node;                /* -1: system-wide pool */
	unsigned long page_kb;
	long long want_free;     /* hp_reserve: free pages wanted */
	long long before, asked, granted;
};

/* Make at least want_free pages free in each pool, adding only what is missing,
 * never shrinking.  All or nothing: when the kernel grants fewer pages anywhere,
 * every pool is put back as it was and -ENOMEM is returned (the grants say what
 * was asked and granted).  -E2BIG, nothing written, when the pages to add exceed
 * MemAvailable.  0, or -errno. */
int hp_reserve(struct hp_grant *g, unsigned n);

/* Shrink a pool to the pages in use (the kernel keeps pages in use and reserved).
 * Fills before/asked/granted.  Pages freed, or -errno. */
long long hp_release(struct hp_grant *g);

/* Set a pool to @total pages (nr_hugepages), up or down; the kernel keeps pages in use.
 * 0 or -errno. */
int hp_set_total(int node, unsigned long kb, long long total);

struct hp_mount {
	char dir[PATH_MAX];
	unsigned long page_kb;
	uid_t uid;
	gid_t gid;
	mode_t mode;
};

/* hugetlbfs mounts from /proc/mounts, in a malloc'd array.  Count or -errno. */
int hp_mounts(struct hp_mount **out);

/* The default mount point for a page size: /dev/hugepages (the default size), /dev/hugepages-1G… */
void hp_default_dir(unsigned long kb, char *buf, size_t len);

/* Mount hugetlbfs on @dir (created when missing) with pagesize=@kb; @uid/@gid -1 and
 * @mode 0 leave the defaults.  Idempotent: 1 when it was already mounted with that page size.
 * 0 when mounted now; -EEXIST when @dir is mounted with another page size or filesystem,
 * -ENOTEMPTY when @dir has files a mount would hide, -ENAMETOOLONG. */
int hp_mount(const char *dir, unsigned long kb, uid_t uid, gid_t gid, mode_t mode);

/* Unmount the hugetlbfs on @dir.  0; 1 when nothing was mounted there; -EBUSY when pages are in use. */
int hp_umount(const char *dir);

/* Find a hugetlbfs mount for @kb, or mount one at the default place.  0 or -errno; @dir filled. */
int hp_mount_find_or_create(unsigned long kb, char *dir, size_t len);

struct hp_holder {
	pid_t pid;
	char comm[32];
	unsigned long page_kb;
	uint64_t kb;              /* hugetlb memory this process maps (Shared_ + Private_Hugetlb) */
};

struct hp_file {
	char path[512];
	unsigned long page_kb;
	uint64_t bytes;           /* hugepage memory the file holds */
	bool stale;               /* no process maps it or holds it open (its owner is gone) */
};

/* Who holds hugepages: processes mapping hugetlb memory, and the files in
 * hugetlbfs mounts (stale when no process maps or opens them). */
struct hp_usage {
	struct hp_holder *holders;
	unsigned nholders;
	struct hp_file *files;
	unsigned nfiles;
};

/* Scan every process and hugetlbfs mount.  0 or -errno. */
int hp_usage_read(struct hp_usage *u);
void hp_usage_free(struct hp_usage *u);

/* Remove a stale file (through hp_sys).  0 or -errno. */
int hp_remove(const struct hp_file *f);
