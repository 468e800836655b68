/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/fsroot.h"
#include "launcher/qemuproc.h"
#include "launcher/rundir.h"

/* The value of key @key in a QEMU option string "a=b,key=value,…"; "" when absent. */
static void opt_value(const char *opts, const char *key, char *out, size_t len)
{
	size_t klen = strlen(key);
	const char *p = opts;

	out[0] = '\0';
	while (p && *p) {
		if (strncmp(p, key, klen) == 0 && p[klen] == '=') {
			snprintf(out, len, "%.*s", (int)strcspn(p + klen + 1, ","), p + klen + 1);
			return;
		}
		p = strchr(p, ',');
		if (p)
			p++;
	}
}

int qemuproc_qmp_path(pid_t pid, char *path, size_t len)
{
	char buf[65536], *args[1024], id[128] = "";
	int n = 0, r;
	json_t *all;
	size_t i;
	json_t *st;

	r = fsroot_read(buf, sizeof(buf), "/proc/%d/cmdline", (int)pid);
	if (r < 0)
		return -ESRCH;
	for (int off = 0; off < r && n < 1024; off += (int)strlen(buf + off) + 1)
		args[n++] = buf + off;
	/* -mon chardev=ID,mode=control names the QMP chardev; -qmp unix:PATH is direct. */
	for (int k = 0; k + 1 < n; k++) {
		if ((!strcmp(args[k], "-qmp") || !strcmp(args[k], "-qmp-pretty")) && !strncmp(args[k + 1], "unix:", 5)) {
			snprintf(path, len, "%.*s", (int)strcspn(args[k + 1] + 5, ","), args[k + 1] + 5);
			return 0;
		}
		if (!strcmp(args[k], "-mon") && strstr(args[k + 1], "mode=control"))
			opt_value(args[k + 1], "chardev", id, sizeof(id));
	}
	for (int k = 0; id[0] && k + 1 < n; k++) {
		char cid[128], p[4096];
		if (strcmp(args[k], "-chardev") || strncmp(args[k + 1], "socket,", 7))
			continue;
		opt_value(args[k + 1] + 7, "id", cid, sizeof(cid));
		opt_value(args[k + 1] + 7, "path", p, sizeof(p));
		if (!strcmp(cid, id) && p[0]) {
			snprintf(path, len, "%s", p);
			return 0;
		}
	}
	/* A VM vmlaunch started has its socket passed by fd: its state knows the path. */
	all = rundir_list();
	json_array_foreach(all, i, st) {
		if (json_integer_value(json_object_get(st, "pid")) == pid) {
			snprintf(path, len, "%s", json_string_value(json_object_get(st, "qmp")) ?: "");
			json_decref(all);
			return 0;
		}
	}
	json_decref(all);
	return -ENOENT;
}
