/* SPDX-License-Identifier: BSD-3-Clause */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fsutil.h"
#include "hugepages/hp.h"
#include "hugepages/persist.h"
#include "base/sbuf.h"

#define WANTS "sysinit.target.wants"

void hp_persist_name(unsigned long page_kb, int node, bool spread, char *buf, size_t len)
{
	char ps[16];

	hp_format_page_size(page_kb, ps, sizeof(ps));
	if (spread)
		snprintf(buf, len, HP_PERSIST_PREFIX "%s-spread.service", ps);
	else if (node < 0)
		snprintf(buf, len, HP_PERSIST_PREFIX "%s-system.service", ps);
	else
		snprintf(buf, len, HP_PERSIST_PREFIX "%s-node%d.service", ps, node);
}

/* A word systemd's ExecStart= takes as it is: no quoting, no specifiers, no variables. */
static bool plain_word(const char *w)
{
	if (!*w)
		return false;
	for (; *w; w++)
		if (!((*w >= 'a' && *w <= 'z') || (*w >= 'A' && *w <= 'Z') || (*w >= '0' && *w <= '9') ||
		      strchr("._,:/=+-", *w)))
			return false;
	return true;
}

int hp_persist_render(const char *const *argv, unsigned argc, const char *what, char *buf, size_t len)
{
	struct sbuf sb;

	if (argc == 0 || argv[0][0] != '/')
		return -EINVAL;
	for (unsigned i = 0; i < argc; i++)
		if (!plain_word(argv[i]))
			return -EINVAL;
	sbuf_init(&sb, buf, len);
	sbuf_addf(&sb,
		  HP_PERSIST_MARK "\n"
		  "[Unit]\n"
		  "Description=Hugepages for pinlab: %s\n"
		  "Documentation=man:hugepages(1)\n"
		  /* Early, like systemd's own dev-hugepages.mount: before anything maps guest RAM. */
		  "DefaultDependencies=no\n"
		  "After=local-fs.target\n"
		  "Before=sysinit.target shutdown.target\n"
		  "Conflicts=shutdown.target\n"
		  "\n"
		  "[Service]\n"
		  "Type=oneshot\n"
		  "RemainAfterExit=yes\n"
		  "ExecStart=",
		  what);
	for (unsigned i = 0; i < argc; i++)
		sbuf_addf(&sb, "%s%s", i ? " " : "", argv[i]);
	sbuf_addf(&sb, "\n\n[Install]\nWantedBy=sysinit.target\n");
	return sbuf_status(&sb) ? -ENAMETOOLONG : 0;
}

/* Is @path a unit we wrote (its first line is our mark)?  1 yes, 0 no, -errno. */
static int ours(const char *path, char *text, size_t len)
{
	int n = fs_read_file(path, text, len);

	if (n < 0)
		return n == -EFBIG ? 0 : n;
	return strncmp(text, HP_PERSIST_MARK "\n", strlen(HP_PERSIST_MARK) + 1) == 0;
}

int hp_persist_install(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX], wants[PATH_MAX], link[PATH_MAX], target[PATH_MAX], old[4096];
	bool changed = false;
	ssize_t n;
	int r;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path) ||
	    (size_t)snprintf(wants, sizeof(wants), "%s/" WANTS, dir) >= sizeof(wants) ||
	    (size_t)snprintf(link, sizeof(link), "%s/%s", wants, name) >= sizeof(link) ||
	    (size_t)snprintf(target, sizeof(target), "../%s", name) >= sizeof(target))
		return -ENAMETOOLONG;
	if ((r = fs_mkdir_parents(wants, 0755)) < 0)
		return r;
	r = ours(path, old, sizeof(old));
	if (r == 0)
		return -EEXIST;
	if (r < 0 && r != -ENOENT)
		return r;
	if (r == -ENOENT || strcmp(old, text) != 0) {
		if ((r = fs_replace_file(path, text, strlen(text), 0644)) < 0)
			return r;
		changed = true;
	}
	n = readlink(link, old, sizeof(old) - 1);
	if (n >= 0) {
		old[n] = '\0';
		if (strcmp(old, target) == 0)
			return changed;
		/* A link of ours that points elsewhere (an older layout) is replaced; anything
		 * else is not ours to touch. */
		if (unlink(link) < 0)
			return -errno;
	} else if (errno != ENOENT) {
		return errno == EINVAL ? -EEXIST : -errno;
	}
	if (symlink(target, link) < 0)
		return -errno;
	fs_sync_dir(wants);
	return 1;
}

int hp_persist_remove(const char *dir, const char *prefix, char *removed, size_t len)
{
	struct dirent **list;
	struct sbuf sb;
	int n = scandir(dir, &list, NULL, alphasort), count = 0, r = 0;

	if (strncmp(prefix, HP_PERSIST_PREFIX, strlen(HP_PERSIST_PREFIX)) != 0)
		return -EINVAL;
	if (n < 0)
		return errno == ENOENT ? 0 : -errno;
	sbuf_init(&sb, removed, len);
	for (int i = 0; i < n; i++) {
		const char *name = list[i]->d_name;
		char path[PATH_MAX], link[PATH_MAX], text[4096];
		if (r == 0 && strncmp(name, prefix, strlen(prefix)) == 0 &&
		    (size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) < sizeof(path) &&
		    (size_t)snprintf(link, sizeof(link), "%s/" WANTS "/%s", dir, name) < sizeof(link) &&
		    ours(path, text, sizeof(text)) == 1) {
			struct stat st;
			/* The link first: a unit left without it is harmless, the reverse is a dangling link. */
			if (lstat(link, &st) == 0 && S_ISLNK(st.st_mode) && unlink(link) < 0)
				r = -errno;
			else if (unlink(path) < 0)
				r = -errno;
			else {
				sbuf_addf(&sb, "%s\n", path);
				count++;
			}
		}
		free(list[i]);
	}
	free(list);
	return r < 0 ? r : count;
}
