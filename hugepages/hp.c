/* SPDX-License-Identifier: BSD-3-Clause */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fsroot.h"
#include "hugepages/hp.h"

/* --- the system: real by default ------------------------------------------ */

static int real_write(void *ctx, const char *path, long long value)
{
	char buf[32];
	int fd, n, r = 0;

	(void)ctx;
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = snprintf(buf, sizeof(buf), "%lld\n", value);
	if (write(fd, buf, (size_t)n) != n)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	return r;
}

static int mkdir_p(const char *dir)
{
	char path[PATH_MAX];

	if (snprintf(path, sizeof(path), "%s", dir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int real_mount(void *ctx, const char *dir, const char *options)
{
	int r;

	(void)ctx;
	r = mkdir_p(dir);
	if (r < 0)
		return r;
	return mount("hugetlbfs", dir, "hugetlbfs", MS_NOSUID | MS_NODEV, options) < 0 ? -errno : 0;
}

static int real_umount(void *ctx, const char *dir)
{
	(void)ctx;
	return umount2(dir, 0) < 0 ? -errno : 0;
}

static int real_unlink(void *ctx, const char *path)
{
	(void)ctx;
	return unlink(path) < 0 ? -errno : 0;
}

static const struct hp_sys real_sys = {
	.write = real_write, .mount = real_mount, .umount = real_umount, .unlink = real_unlink,
};
static const struct hp_sys *sys = &real_sys;

void hp_set_sys(const struct hp_sys *s)
{
	sys = s ? s : &real_sys;
}

/* --- parsing -------------------------------------------------------------- */

/* Multiplier in KiB for a suffix K/M/G/T with optional B or iB; 0 when unknown. */
static uint64_t suffix_kb(const char *s, bool *bytes)
{
	uint64_t m;

	*bytes = false;
	switch (toupper((unsigned char)*s)) {
	case '\0': *bytes = true; return 1;
	case 'K': m = 1; break;
	case 'M': m = 1024; break;
	case 'G': m = 1024 * 1024; break;
	case 'T': m = UINT64_C(1024) * 1024 * 1024; break;
	default: return 0;
	}
	s++;
	if (*s == 'i' || *s == 'I')
		s++;
	if (*s == 'B' || *s == 'b')
		s++;
	return *s ? 0 : m;
}

static int parse_scaled(const char *s, const char *what, uint64_t *kb_out, uint64_t *bytes_out,
			struct pin_error *err)
{
	char *end;
	unsigned long long v;
	uint64_t m;
	bool bytes;

	if (!isdigit((unsigned char)*s))
		return pin_fail(err, -EINVAL, 0, "invalid %s '%s' (expected a number with K, M, G or T)", what, s);
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == ERANGE)
		return pin_fail(err, -ERANGE, 0, "%s '%s' is too large", what, s);
	m = suffix_kb(end, &bytes);
	if (m == 0)
		return pin_fail(err, -EINVAL, (size_t)(end - s), "invalid %s '%s': unknown suffix '%s' (K, M, G or T)",
				what, s, end);
	if (v == 0)
		return pin_fail(err, -EINVAL, 0, "%s must be more than 0", what);
	if (bytes) {
		*bytes_out = v;
		*kb_out = v / 1024 + (v % 1024 != 0); /* (v + 1023) / 1024 would wrap near 2^64 */
		return 0;
	}
	if (v > UINT64_MAX / 1024 / m)
		return pin_fail(err, -ERANGE, 0, "%s '%s' is too large", what, s);
	*kb_out = v * m;
	*bytes_out = v * m * 1024;
	return 0;
}

int hp_parse_size(const char *s, uint64_t *bytes, struct pin_error *err)
{
	uint64_t kb;

	return parse_scaled(s, "size", &kb, bytes, err);
}

int hp_parse_page_size(const char *s, unsigned long *kb, struct pin_error *err)
{
	uint64_t k = 0, b = 0;
	int r = parse_scaled(s, "page size", &k, &b, err);

	if (r < 0)
		return r;
	if (b < 4096 || (k & (k - 1)) != 0)
		return pin_fail(err, -EINVAL, 0, "invalid page size '%s' (a power of two such as 2M or 1G)", s);
	*kb = (unsigned long)k;
	return 0;
}

void hp_format_page_size(unsigned long kb, char *buf, size_t len)
{
	if (kb >= 1048576 && kb % 1048576 == 0)
		snprintf(buf, len, "%luG", kb / 1048576);
	else if (kb >= 1024 && kb % 1024 == 0)
		snprintf(buf, len, "%luM", kb / 1024);
	else
		snprintf(buf, len, "%luK", kb);
}

/* --- reading -------------------------------------------------------------- */

static int cmp_ul(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;
	return (x > y) - (x < y);
}

int hp_page_sizes(unsigned long *kb, unsigned max)
{
	DIR *d = fsroot_opendir("/sys/kernel/mm/hugepages");
	struct dirent *de;
	unsigned n = 0;

	if (!d)
		return -ENOENT;
	while ((de = readdir(d)) && n < max)
		if (sscanf(de->d_name, "hugepages-%lukB", &kb[n]) == 1)
			n++;
	closedir(d);
	qsort(kb, n, sizeof(*kb), cmp_ul);
	return n ? (int)n : -ENOENT;
}

/* A "Key:  value kB" line of /proc/meminfo; 0 when missing. */
static uint64_t meminfo_kb(const char *key)
{
	FILE *f = fsroot_fopen("/proc/meminfo");
	char line[256];
	size_t klen = strlen(key);
	uint64_t v = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
			v = strtoull(line + klen + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

unsigned long hp_default_page_kb(void)
{
	uint64_t kb = meminfo_kb("Hugepagesize");
	return kb ? (unsigned long)kb : 2048;
}

uint64_t hp_mem_available_kb(void)
{
	return meminfo_kb("MemAvailable");
}

bool hp_has_nodes(void)
{
	return fsroot_exists("/sys/devices/system/node/node0/hugepages");
}

bool hp_node_exists(int node)
{
	return node >= 0 && fsroot_exists("/sys/devices/system/node/node%d/hugepages", node);
}

/* The directory of a pool, relative to fsroot. */
static void pool_dir(int node, unsigned long kb, char *buf, size_t len)
{
	if (node < 0)
		snprintf(buf, len, "/sys/kernel/mm/hugepages/hugepages-%lukB", kb);
	else
		snprintf(buf, len, "/sys/devices/system/node/node%d/hugepages/hugepages-%lukB", node, kb);
}

int hp_pool_read(int node, unsigned long kb, struct hp_pool *out)
{
	char dir[128];

	pool_dir(node, kb, dir, sizeof(dir));
	memset(out, 0, sizeof(*out));
	out->node = node;
	out->size_kb = kb;
	if (fsroot_read_ll(&out->total, "%s/nr_hugepages", dir) < 0)
		return -ENOENT;
	fsroot_read_ll(&out->free, "%s/free_hugepages", dir);
	fsroot_read_ll(&out->surplus, "%s/surplus_hugepages", dir);
	return 0;
}

long long hp_resv_pages(unsigned long kb)
{
	long long v = 0;

	fsroot_read_ll(&v, "/sys/kernel/mm/hugepages/hugepages-%lukB/resv_hugepages", kb);
	return v;
}

/* --- reserve and release -------------------------------------------------- */

static int write_pool(int node, unsigned long kb, long long value)
{
	char dir[128], path[PATH_MAX];

	pool_dir(node, kb, dir, sizeof(dir));
	if (fsroot_path(path, sizeof(path), "%s/nr_hugepages", dir) < 0)
		return -ENAMETOOLONG;
	return sys->write(sys->ctx, path, value);
}

/* Write @value and read back what the kernel granted. */
static int set_pool(struct hp_grant *g, long long value)
{
	struct hp_pool p;
	int r = write_pool(g->node, g->page_kb, value);

	if (r < 0)
		return r;
	if (sys->simulated) {
		g->granted = value;
		return 0;
	}
	r = hp_pool_read(g->node, g->page_kb, &p);
	if (r < 0)
		return r;
	g->granted = p.total;
	return 0;
}

int hp_reserve(struct hp_grant *g, unsigned n)
{
	uint64_t add_kb = 0, avail;
	bool short_grant = false;
	unsigned done = 0;
	int r = 0;

	for (unsigned i = 0; i < n; i++) {
		struct hp_pool p;
		r = hp_pool_read(g[i].node, g[i].page_kb, &p);
		if (r < 0)
			return r;
		g[i].before = g[i].granted = p.total;
		g[i].asked = p.total + (g[i].want_free > p.free ? g[i].want_free - p.free : 0);
		add_kb += (uint64_t)(g[i].asked - g[i].before) * g[i].page_kb;
	}
	avail = hp_mem_available_kb();
	if (avail && add_kb > avail)
		return -E2BIG;
	for (done = 0; done < n; done++) {
		if (g[done].asked == g[done].before)
			continue;
		r = set_pool(&g[done], g[done].asked);
		if (r < 0)
			break;
		if (g[done].granted < g[done].asked) {
			short_grant = true;
			break;
		}
	}
	if (r == 0 && !short_grant)
		return 0;
	/* All or nothing: put back every pool this call changed, the failed one too. */
	for (unsigned i = 0; i < n && i <= done; i++)
		if (g[i].asked != g[i].before)
			write_pool(g[i].node, g[i].page_kb, g[i].before);
	return r < 0 ? r : -ENOMEM;
}

int hp_set_total(int node, unsigned long kb, long long total)
{
	return write_pool(node, kb, total);
}

long long hp_release(struct hp_grant *g)
{
	struct hp_pool p;
	int r = hp_pool_read(g->node, g->page_kb, &p);

	if (r < 0)
		return r;
	g->before = g->granted = p.total;
	g->asked = p.total - p.free;
	if (g->asked >= g->before)
		return 0;
	r = set_pool(g, g->asked);
	if (r < 0)
		return r;
	return g->before - g->granted;
}

/* --- mounts --------------------------------------------------------------- */

/* Undo /proc/mounts' octal escapes (\040 for a space). */
static void unescape(char *s)
{
	char *w = s;

	for (char *r = s; *r; r++) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '7' && r[2] >= '0' && r[2] <= '7' && r[3] >= '0' && r[3] <= '7') {
			*w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
			r += 3;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
}

/* Every mount (any type) on @dir, or all hugetlbfs mounts when @dir is NULL. */
static int read_mounts(struct hp_mount **out, const char *dir, char *type_of_dir, size_t tlen)
{
	FILE *f = fsroot_fopen("/proc/mounts");
	struct hp_mount *v = NULL;
	char line[3 * PATH_MAX];
	unsigned n = 0;

	*out = NULL;
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char dev[256], mdir[PATH_MAX], type[64], opts[1024], *o, *save = NULL;
		struct hp_mount *m;
		struct stat st;
		char path[PATH_MAX];

		if (sscanf(line, "%255s %4095s %63s %1023s", dev, mdir, type, opts) != 4)
			continue;
		unescape(mdir);
		if (dir && strcmp(mdir, dir) == 0 && type_of_dir)
			snprintf(type_of_dir, tlen, "%s", type); /* the last mount on a dir wins */
		if (strcmp(type, "hugetlbfs") != 0)
			continue;
		m = realloc(v, (n + 1) * sizeof(*v));
		if (!m) {
			free(v);
			fclose(f);
			return -ENOMEM;
		}
		v = m;
		m = &v[n++];
		memset(m, 0, sizeof(*m));
		snprintf(m->dir, sizeof(m->dir), "%s", mdir);
		m->page_kb = hp_default_page_kb();
		for (o = strtok_r(opts, ",", &save); o; o = strtok_r(NULL, ",", &save))
			if (strncmp(o, "pagesize=", 9) == 0)
				hp_parse_page_size(o + 9, &m->page_kb, NULL);
		if (fsroot_path(path, sizeof(path), "%s", mdir) > 0 && stat(path, &st) == 0) {
			m->uid = st.st_uid;
			m->gid = st.st_gid;
			m->mode = st.st_mode & 07777;
		}
	}
	fclose(f);
	*out = v;
	return (int)n;
}

int hp_mounts(struct hp_mount **out)
{
	return read_mounts(out, NULL, NULL, 0);
}

void hp_default_dir(unsigned long kb, char *buf, size_t len)
{
	char ps[16];

	if (kb == hp_default_page_kb()) {
		snprintf(buf, len, "/dev/hugepages");
		return;
	}
	hp_format_page_size(kb, ps, sizeof(ps));
	snprintf(buf, len, "/dev/hugepages-%s", ps);
}

/* True when directory @path has entries (a mount there would hide them). */
static bool dir_has_entries(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	bool any = false;

	if (!d)
		return false;
	while (!any && (de = readdir(d)))
		any = strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	closedir(d);
	return any;
}

int hp_mount(const char *dir, unsigned long kb, uid_t uid, gid_t gid, mode_t mode)
{
	struct hp_mount *m;
	char type[64] = "", opts[128], ps[16], path[PATH_MAX];
	int n, found = -1;
	size_t off;

	if (strlen(dir) >= sizeof(m->dir))
		return -ENAMETOOLONG;

	n = read_mounts(&m, dir, type, sizeof(type));
	if (n < 0)
		return n;
	for (int i = 0; i < n; i++)
		if (strcmp(m[i].dir, dir) == 0)
			found = i;
	if (found >= 0) {
		bool same = m[found].page_kb == kb;
		free(m);
		return same ? 1 : -EEXIST;
	}
	free(m);
	if (type[0])
		return -EEXIST; /* another filesystem is mounted there */
	hp_format_page_size(kb, ps, sizeof(ps));
	off = (size_t)snprintf(opts, sizeof(opts), "pagesize=%s", ps);
	if (uid != (uid_t)-1)
		off += (size_t)snprintf(opts + off, sizeof(opts) - off, ",uid=%u", (unsigned)uid);
	if (gid != (gid_t)-1)
		off += (size_t)snprintf(opts + off, sizeof(opts) - off, ",gid=%u", (unsigned)gid);
	if (mode)
		snprintf(opts + off, sizeof(opts) - off, ",mode=%o", (unsigned)mode);
	if (fsroot_path(path, sizeof(path), "%s", dir) < 0)
		return -ENAMETOOLONG;
	if (dir_has_entries(path))
		return -ENOTEMPTY;
	return sys->mount(sys->ctx, path, opts);
}

int hp_umount(const char *dir)
{
	char path[PATH_MAX];
	struct hp_mount *m;
	int n = hp_mounts(&m), found = 0;

	if (n < 0)
		return n;
	for (int i = 0; i < n; i++)
		found |= strcmp(m[i].dir, dir) == 0;
	free(m);
	if (!found)
		return 1;
	if (fsroot_path(path, sizeof(path), "%s", dir) < 0)
		return -ENAMETOOLONG;
	return sys->umount(sys->ctx, path);
}

int hp_mount_find_or_create(unsigned long kb, char *dir, size_t len)
{
	struct hp_mount *m;
	int n = hp_mounts(&m), r;

	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		if (m[i].page_kb == kb) {
			snprintf(dir, len, "%s", m[i].dir);
			free(m);
			return 0;
		}
	}
	free(m);
	hp_default_dir(kb, dir, len);
	r = hp_mount(dir, kb, (uid_t)-1, (gid_t)-1, 0);
	return r < 0 ? r : 0;
}

/* --- who holds the pages -------------------------------------------------- */

struct strset {
	char **v;
	unsigned n;
};

static void strset_add(struct strset *s, const char *str)
{
	char **nv;

	for (unsigned i = 0; i < s->n; i++)
		if (strcmp(s->v[i], str) == 0)
			return;
	nv = realloc(s->v, (s->n + 1) * sizeof(*nv));
	if (!nv)
		return;
	s->v = nv;
	if ((s->v[s->n] = strdup(str)))
		s->n++;
}

static bool strset_has(const struct strset *s, const char *str)
{
	for (unsigned i = 0; i < s->n; i++)
		if (strcmp(s->v[i], str) == 0)
			return true;
	return false;
}

static void strset_free(struct strset *s)
{
	for (unsigned i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
}

static void add_holder(struct hp_usage *u, pid_t pid, const char *comm, unsigned long kps, uint64_t kb)
{
	struct hp_holder *h;

	for (unsigned i = 0; i < u->nholders; i++) {
		if (u->holders[i].pid == pid && u->holders[i].page_kb == kps) {
			u->holders[i].kb += kb;
			return;
		}
	}
	h = realloc(u->holders, (u->nholders + 1) * sizeof(*h));
	if (!h)
		return;
	u->holders = h;
	h = &h[u->nholders++];
	h->pid = pid;
	snprintf(h->comm, sizeof(h->comm), "%s", comm);
	h->page_kb = kps;
	h->kb = kb;
}

struct mapping_kb {
	char path[1024];
	uint64_t offset;
	unsigned long kps;
	uint64_t kb;
};

/* Note a hugetlb mapping of a process.  The same file at the same offset mapped
 * twice (a shared mapping and its second view) is the same pages: counted once, at
 * its larger extent.  Anonymous mappings are distinct memory and add up. */
static void note_mapping(struct mapping_kb **maps, unsigned *n, const char *path, uint64_t offset, unsigned long kps,
			 uint64_t kb)
{
	struct mapping_kb *m;
	bool named = path[0] == '/' && !strstr(path, "anon_hugepage");

	for (unsigned i = 0; named && i < *n; i++) {
		if ((*maps)[i].kps == kps && (*maps)[i].offset == offset && !strcmp((*maps)[i].path, path)) {
			if (kb > (*maps)[i].kb)
				(*maps)[i].kb = kb;
			return;
		}
	}
	m = realloc(*maps, (*n + 1) * sizeof(**maps));
	if (!m)
		return;
	*maps = m;
	m = &m[(*n)++];
	snprintf(m->path, sizeof(m->path), "%s", named ? path : "");
	m->offset = offset;
	m->kps = kps;
	m->kb = kb;
}

/* One process: hugetlb mappings (what it holds, which files it maps) and open files. */
static void scan_process(struct hp_usage *u, struct strset *inuse, long pid)
{
	char comm[64] = "", line[1024], path[1024] = "", fdpath[PATH_MAX];
	struct mapping_kb *maps = NULL;
	unsigned nmaps = 0;
	unsigned long kps = 0;
	uint64_t hkb = 0, offset = 0;
	struct dirent *de;
	FILE *f;
	DIR *d;

	fsroot_read(comm, sizeof(comm), "/proc/%ld/comm", pid);
	f = fsroot_fopen("/proc/%ld/smaps", pid);
	if (f) {
		for (;;) {
			char *got = fgets(line, sizeof(line), f);
			unsigned long long v;
			bool header = got && (isdigit((unsigned char)line[0]) || (line[0] >= 'a' && line[0] <= 'f'));

			if (!got || header) {
				/* The previous mapping is complete. */
				if (kps > 4) {
					if (hkb)
						note_mapping(&maps, &nmaps, path, offset, kps, hkb);
					if (path[0] == '/')
						strset_add(inuse, path);
				}
				if (!got)
					break;
				kps = 0;
				hkb = 0;
				path[0] = '\0';
				char *p = line;
				for (int field = 0; field < 5 && p; field++) { /* address perms offset dev inode */
					p = strchr(p, ' ');
					while (p && *p == ' ')
						p++;
				}
				if (p) {
					snprintf(path, sizeof(path), "%s", p);
					path[strcspn(path, "\n")] = '\0';
				}
				if (sscanf(line, "%*s %*s %llx", &v) == 1)
					offset = v;
			} else if (sscanf(line, "KernelPageSize: %llu kB", &v) == 1) {
				kps = (unsigned long)v;
			} else if (sscanf(line, "Shared_Hugetlb: %llu kB", &v) == 1 ||
				   sscanf(line, "Private_Hugetlb: %llu kB", &v) == 1) {
				hkb += v;
			}
		}
		fclose(f);
		/* One holder per page size: what the process maps, each file's pages once. */
		for (unsigned i = 0; i < nmaps; i++) {
			uint64_t sum = 0;
			bool done = false;
			for (unsigned j = 0; j < i && !done; j++)
				done = maps[j].kps == maps[i].kps;
			if (done)
				continue;
			for (unsigned j = i; j < nmaps; j++)
				if (maps[j].kps == maps[i].kps)
					sum += maps[j].kb;
			add_holder(u, (pid_t)pid, comm, maps[i].kps, sum);
		}
		free(maps);
	}
	d = fsroot_opendir("/proc/%ld/fd", pid);
	if (!d)
		return;
	while ((de = readdir(d))) {
		char target[PATH_MAX];
		ssize_t n;
		if (de->d_name[0] == '.')
			continue;
		if (fsroot_path(fdpath, sizeof(fdpath), "/proc/%ld/fd/%s", pid, de->d_name) < 0)
			continue;
		n = readlink(fdpath, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		if (target[0] == '/')
			strset_add(inuse, target);
	}
	closedir(d);
}

static void scan_mount(struct hp_usage *u, const struct strset *inuse, const struct hp_mount *m)
{
	DIR *d = fsroot_opendir("%s", m->dir);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		char path[PATH_MAX], real[PATH_MAX];
		struct hp_file *f;
		struct stat st;

		if (de->d_name[0] == '.')
			continue; /* hidden files are not DPDK's or QEMU's */
		snprintf(path, sizeof(path), "%s/%s", strcmp(m->dir, "/") ? m->dir : "", de->d_name);
		if (fsroot_path(real, sizeof(real), "%s", path) < 0 || lstat(real, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		f = realloc(u->files, (u->nfiles + 1) * sizeof(*f));
		if (!f)
			break;
		u->files = f;
		f = &f[u->nfiles++];
		snprintf(f->path, sizeof(f->path), "%s", path);
		f->page_kb = m->page_kb;
		f->bytes = (uint64_t)st.st_blocks * 512;
		f->stale = !strset_has(inuse, path);
	}
	closedir(d);
}

int hp_usage_read(struct hp_usage *u)
{
	struct strset inuse = { 0 };
	struct hp_mount *m;
	struct dirent *de;
	DIR *d;
	int n;

	memset(u, 0, sizeof(*u));
	d = fsroot_opendir("/proc");
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);
		if (*end || pid <= 0)
			continue;
		scan_process(u, &inuse, pid);
	}
	closedir(d);
	n = hp_mounts(&m);
	for (int i = 0; m && i < n; i++)
		scan_mount(u, &inuse, &m[i]);
	if (n > 0)
		free(m);
	strset_free(&inuse);
	return 0;
}

void hp_usage_free(struct hp_usage *u)
{
	free(u->holders);
	free(u->files);
	memset(u, 0, sizeof(*u));
}

int hp_remove(const struct hp_file *f)
{
	char path[PATH_MAX];

	if (fsroot_path(path, sizeof(path), "%s", f->path) < 0)
		return -ENAMETOOLONG;
	return sys->unlink(sys->ctx, path);
}
