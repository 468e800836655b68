/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/fsroot.h"
#include "launcher/qemuproc.h"
#include "launcher/qmp.h"
#include "launcher/rundir.h"
#include "launcher/vmpin.h"

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

int qemuproc_read_vm(const char *sock, struct vminfo *vi, char *msg, size_t len)
{
	struct qmp_error qerr;
	struct qmp_vcpu *v;
	struct qmp *q = qmp_connect(sock, 5000, &qerr);
	pid_t pid, *tids;
	unsigned *idx;
	int n, r;

	memset(vi, 0, sizeof(*vi));
	if (!q) {
		r = errno ? -errno : -EIO;
		snprintf(msg, len, "%s", qerr.desc);
		return r;
	}
	pid = vmpin_peer_pid(q);
	n = qmp_query_vcpus(q, &v, &qerr);
	qmp_close(q);
	if (n < 0) {
		snprintf(msg, len, "query-cpus-fast on %s: %s", sock, qerr.desc);
		return -EIO;
	}
	r = pid > 0 ? vminfo_read(pid, vi) : -ESRCH;
	if (r < 0) {
		free(v);
		snprintf(msg, len, "cannot read QEMU (pid %d) behind %s: %s", (int)pid, sock, strerror(-r));
		return r;
	}
	tids = calloc((size_t)n + 1, sizeof(*tids));
	idx = calloc((size_t)n + 1, sizeof(*idx));
	for (int i = 0; tids && idx && i < n; i++) {
		tids[i] = v[i].tid;
		idx[i] = (unsigned)v[i].index; /* QEMU's cpu-index is the vCPU's number */
	}
	r = tids && idx ? vminfo_set_vcpu_tids(vi, idx, tids, (unsigned)n) : -ENOMEM;
	free(tids);
	free(idx);
	free(v);
	if (r < 0) {
		vminfo_free(vi);
		snprintf(msg, len, r == -ENOMEM ? "out of memory" : "QMP names a vCPU thread that pid %d does not have", (int)pid);
		return r == -ENOMEM ? r : -EINVAL;
	}
	return 0;
}
