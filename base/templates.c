/* SPDX-License-Identifier: BSD-3-Clause */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/sbuf.h"
#include "base/templates.h"

/* The directories templates of @kind are looked for in, in order; returns how many. */
static unsigned search_dirs(const char *kind, char dirs[3][PATH_MAX])
{
	const char *env = getenv("PINLAB_TEMPLATES");
	char exe[PATH_MAX], *slash;
	unsigned n = 0;
	ssize_t len;

	if (env && *env)
		snprintf(dirs[n++], PATH_MAX, "%s/%s", env, kind);
	len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (len > 0) {
		/* build/bin/PROG (or build/san/bin/PROG) -> the source tree's templates: the
		 * nearest directory above the binary that has them. */
		exe[len] = '\0';
		for (int up = 0; up < 4 && (slash = strrchr(exe, '/')); up++) {
			*slash = '\0';
			if (up >= 1 && (size_t)snprintf(dirs[n], PATH_MAX, "%s/templates/%s", exe, kind) < PATH_MAX &&
			    access(dirs[n], F_OK) == 0) {
				n++;
				break;
			}
		}
	}
	snprintf(dirs[n++], PATH_MAX, "%s/templates/%s", DATADIR, kind);
	return n;
}

int tmpl_dir(const char *kind, char *dir, size_t len)
{
	char dirs[3][PATH_MAX];
	unsigned n = search_dirs(kind, dirs);

	for (unsigned i = 0; i < n; i++)
		if (access(dirs[i], R_OK | X_OK) == 0 && (size_t)snprintf(dir, len, "%s", dirs[i]) < len)
			return 0;
	return -ENOENT;
}

int tmpl_find(const char *kind, const char *name, char *path, size_t len, struct pin_error *err)
{
	char dirs[3][PATH_MAX], names[400];
	struct sbuf sb;
	unsigned n;

	if (strchr(name, '/') || strstr(name, ".conf")) {
		if ((size_t)snprintf(path, len, "%s", name) >= len)
			return pin_fail(err, -ENAMETOOLONG, 0, "path too long: %.64s...", name);
		return 0;
	}
	n = search_dirs(kind, dirs);
	for (unsigned i = 0; i < n; i++)
		if ((size_t)snprintf(path, len, "%s/%s.conf", dirs[i], name) < len && access(path, R_OK) == 0)
			return 0;
	/* Not found: name the ones there are (sorted), from the first directory that has any. */
	sbuf_init(&sb, names, sizeof(names));
	for (unsigned i = 0; i < n && !sb.len; i++) {
		struct dirent **list;
		int k = scandir(dirs[i], &list, NULL, alphasort);
		for (int j = 0; j < k; j++) {
			size_t l = strlen(list[j]->d_name);
			if (l > 5 && !strcmp(list[j]->d_name + l - 5, ".conf"))
				sbuf_addf(&sb, "%s%.*s", sb.len ? ", " : "", (int)(l - 5), list[j]->d_name);
			free(list[j]);
		}
		if (k >= 0)
			free(list);
	}
	return pin_fail(err, -ENOENT, 0, "no %s profile '%s' (there are: %s; or give a file)", kind, name,
			sb.len ? names : "none");
}
