/* SPDX-License-Identifier: BSD-3-Clause */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fsutil.h"
#include "launcher/rundir.h"
#include "pinning/threads.h"

/* Only these files are ever removed: nothing else a user put there. */
static const char *const owned[] = { "qmp.sock", "state.json", "state.json.tmp", "console.log", "qemu.log" };

int rundir_base(char *buf, size_t len)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");

	if (geteuid() == 0)
		snprintf(buf, len, "/run/vmlaunch");
	else if (xdg && *xdg)
		snprintf(buf, len, "%s/vmlaunch", xdg);
	else
		return -ENOENT;
	return 0;
}

bool rundir_valid_name(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > 32 || name[0] == '.' || name[0] == '-')
		return false;
	return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

/* Open directory @path (or @name in @at) without following a link; it must be ours
 * and writable by no one else.  The fd, or -ELOOP (a link), -EPERM (not ours), -errno. */
static int open_dir(int at, const char *path)
{
	struct stat st;
	int fd = openat(at, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return errno == ENOTDIR ? -ELOOP : -errno; /* O_NOFOLLOW on a link: ELOOP or ENOTDIR */
	if (fstat(fd, &st) < 0 || st.st_uid != geteuid() || (st.st_mode & 022)) {
		close(fd);
		return -EPERM;
	}
	return fd;
}

/* The base directory, made when @create and missing.  Its fd or -errno. */
static int open_base(bool create)
{
	char base[4096];
	int r = rundir_base(base, sizeof(base));

	if (r < 0)
		return r;
	if (create && mkdir(base, 0755) < 0 && errno != EEXIST)
		return -errno;
	return open_dir(AT_FDCWD, base);
}

/* Remove what vmlaunch owns in the directory open at @fd, then the directory @name in @base. */
static int remove_at(int base, const char *name, int fd)
{
	for (size_t i = 0; i < sizeof(owned) / sizeof(*owned); i++)
		if (unlinkat(fd, owned[i], 0) < 0 && errno != ENOENT)
			return -errno;
	if (unlinkat(base, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

int rundir_remove(const char *dir)
{
	char parent[4096], *slash;
	int base, fd, r;

	snprintf(parent, sizeof(parent), "%s", dir);
	slash = strrchr(parent, '/');
	if (!slash)
		return -EINVAL;
	*slash = '\0';
	base = open_dir(AT_FDCWD, parent);
	if (base < 0)
		return base == -ENOENT ? 0 : base;
	fd = open_dir(base, slash + 1);
	if (fd < 0) {
		close(base);
		return fd == -ENOENT ? 0 : fd;
	}
	r = remove_at(base, slash + 1, fd);
	close(fd);
	close(base);
	/* The base directory goes with the last VM (it fails harmlessly while others run). */
	if (r == 0)
		rmdir(parent);
	return r;
}

static bool alive(json_int_t pid)
{
	return pid > 0 && (kill((pid_t)pid, 0) == 0 || errno == EPERM);
}

bool rundir_state_alive(const struct vmstate *st)
{
	return alive(st->supervisor) || alive(st->pid);
}

const char *rundir_state_phase(const struct vmstate *st)
{
	if (alive(st->supervisor))
		return !strcmp(st->phase, "starting") ? "starting" : "running";
	if (alive(st->pid))
		return "orphan";
	return "gone";
}

bool rundir_is_qemu_of(pid_t pid, const char *name)
{
	char path[64], buf[4096], want[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	snprintf(want, sizeof(want), "guest=%s,", name);
	/* argv is NUL-separated: look at each word. */
	for (char *p = buf; p < buf + n; p += strlen(p) + 1)
		if (!strncmp(p, want, strlen(want)))
			return true;
	return false;
}

/* Read state.json in the directory open at @fd.  NULL when missing or not a file. */
static json_t *read_state_at(int fd);

/* A string key into @buf: present, a string, and fitting. */
static int str_key(const json_t *j, const char *key, char *buf, size_t len, bool required)
{
	const json_t *v = json_object_get(j, key);

	if (!v && !required) {
		buf[0] = '\0';
		return 0;
	}
	if (!json_is_string(v) || strlen(json_string_value(v)) >= len)
		return -EINVAL;
	snprintf(buf, len, "%s", json_string_value(v));
	return 0;
}

/* A pid key: absent (0) or an integer in range. */
static int pid_key(const json_t *j, const char *key, pid_t *out)
{
	const json_t *v = json_object_get(j, key);

	*out = 0;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > INT32_MAX)
		return -EINVAL;
	*out = (pid_t)json_integer_value(v);
	return 0;
}

static const char *const typed_keys[] = { "name", "phase", "qmp", "supervisor", "pid", "accel", "vcpus" };

int vmstate_parse(const json_t *j, struct vmstate *st)
{
	const json_t *vcpus = json_object_get(j, "vcpus"), *v;
	const char *k;
	json_t *x;
	size_t i;

	memset(st, 0, sizeof(*st));
	if (!json_is_object(j) || str_key(j, "name", st->name, sizeof(st->name), true) < 0 ||
	    str_key(j, "phase", st->phase, sizeof(st->phase), true) < 0 ||
	    str_key(j, "qmp", st->qmp, sizeof(st->qmp), true) < 0 ||
	    str_key(j, "accel", st->accel, sizeof(st->accel), false) < 0 || pid_key(j, "supervisor", &st->supervisor) < 0 ||
	    pid_key(j, "pid", &st->pid) < 0 || (vcpus && !json_is_array(vcpus)) ||
	    json_array_size(vcpus) > VMSTATE_MAX_VCPUS)
		return -EINVAL;
	if (json_array_size(vcpus) && !(st->vcpus = calloc(json_array_size(vcpus), sizeof(*st->vcpus))))
		return -ENOMEM;
	json_array_foreach(vcpus, i, v) {
		const json_t *vc = json_object_get(v, "vcpu"), *cpu = json_object_get(v, "cpu");
		pid_t tid;
		if (!json_is_integer(vc) || json_integer_value(vc) < 0 || json_integer_value(vc) >= VMSTATE_MAX_VCPUS ||
		    pid_key(v, "tid", &tid) < 0 ||
		    (cpu && !json_is_null(cpu) && (!json_is_integer(cpu) || json_integer_value(cpu) < 0 ||
						    json_integer_value(cpu) > 65535))) {
			vmstate_free(st);
			return -EINVAL;
		}
		st->vcpus[st->nvcpus++] = (struct vmstate_vcpu){ .vcpu = (int)json_integer_value(vc), .tid = tid,
								 .cpu = json_is_integer(cpu) ? (int)json_integer_value(cpu) : -1 };
	}
	/* The rest, as it was: vmpin's report of every thread. */
	json_object_foreach((json_t *)j, k, x) {
		bool typed = false;
		for (i = 0; i < sizeof(typed_keys) / sizeof(typed_keys[0]); i++)
			typed |= !strcmp(k, typed_keys[i]);
		if (typed)
			continue;
		if (!st->rest && !(st->rest = json_object())) {
			vmstate_free(st);
			return -ENOMEM;
		}
		json_object_set(st->rest, k, x);
	}
	return 0;
}

json_t *vmstate_json(const struct vmstate *st)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:i, s:i}", "name", st->name, "phase", st->phase, "qmp", st->qmp, "supervisor",
			      (int)st->supervisor, "pid", (int)st->pid), *vcpus = json_array();

	if (!o || !vcpus) {
		json_decref(o);
		json_decref(vcpus);
		return NULL;
	}
	if (st->accel[0])
		json_object_set_new(o, "accel", json_string(st->accel));
	for (unsigned i = 0; i < st->nvcpus; i++)
		json_array_append_new(vcpus, json_pack("{s:i, s:i, s:o}", "vcpu", st->vcpus[i].vcpu, "tid", (int)st->vcpus[i].tid,
						       "cpu", st->vcpus[i].cpu >= 0 ? json_integer(st->vcpus[i].cpu) : json_null()));
	json_object_set_new(o, "vcpus", vcpus);
	if (st->rest)
		json_object_update_missing(o, st->rest);
	return o;
}

void vmstate_free(struct vmstate *st)
{
	free(st->vcpus);
	json_decref(st->rest);
	st->vcpus = NULL;
	st->rest = NULL;
	st->nvcpus = 0;
}

/* dir/state.json, typed; -ENOENT when there is none. */
static int load_state_at(int fd, struct vmstate *st)
{
	json_t *j;
	int r;

	memset(st, 0, sizeof(*st)); /* vmstate_free is safe whatever happens next */
	if (!(j = read_state_at(fd)))
		return -ENOENT;
	r = vmstate_parse(j, st);
	json_decref(j);
	return r;
}

static json_t *read_state_at(int fd)
{
	int sfd = openat(fd, "state.json", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	json_t *st;
	FILE *f;

	if (sfd < 0)
		return NULL;
	f = fdopen(sfd, "r");
	if (!f) {
		close(sfd);
		return NULL;
	}
	st = json_loadf(f, 0, NULL);
	fclose(f);
	return st;
}

int rundir_create(const char *name, char *dir, size_t len)
{
	char base_path[4096];
	int base, fd, r;
	struct vmstate st;
	bool have;

	if (!rundir_valid_name(name))
		return -EINVAL;
	if ((r = rundir_base(base_path, sizeof(base_path))) < 0)
		return r;
	base = open_base(true);
	if (base == -ENOENT) /* the last VM's vmlaunch removed it in between: once more */
		base = open_base(true);
	if (base < 0)
		return base;
	snprintf(dir, len, "%s/%s", base_path, name);
	if (mkdirat(base, name, 0700) == 0) {
		close(base);
		return 0;
	}
	if (errno != EEXIST) {
		r = -errno;
		close(base);
		return r;
	}
	/* A VM of that name: alive (running, starting, an orphan), or gone. */
	fd = open_dir(base, name);
	if (fd < 0) {
		close(base);
		return fd;
	}
	have = load_state_at(fd, &st) == 0;
	if (have && rundir_state_alive(&st)) {
		r = -EEXIST;
	} else if (!have && fs_socket_probe(dir, "qmp.sock") == 1) {
		r = -EEXIST; /* no state, but someone answers on its socket */
	} else {
		r = remove_at(base, name, fd);
		if (r == 0 && mkdirat(base, name, 0700) < 0)
			r = -errno;
	}
	vmstate_free(&st);
	close(fd);
	close(base);
	return r;
}

int rundir_write_state(const char *dir, const struct vmstate *st)
{
	json_t *state = vmstate_json(st);
	char *text = state ? json_dumps(state, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	int fd, tfd, r = 0;

	json_decref(state);
	if (!text)
		return -ENOMEM;
	fd = open_dir(AT_FDCWD, dir);
	if (fd < 0) {
		free(text);
		return fd;
	}
	unlinkat(fd, "state.json.tmp", 0);
	tfd = openat(fd, "state.json.tmp", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (tfd < 0)
		r = -errno;
	if (r == 0)
		r = fs_write_all(tfd, text, strlen(text));
	if (r == 0 && fsync(tfd) < 0)
		r = -errno;
	if (tfd >= 0 && close(tfd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && renameat(fd, "state.json.tmp", fd, "state.json") < 0)
		r = -errno;
	if (r < 0)
		unlinkat(fd, "state.json.tmp", 0);
	close(fd);
	free(text);
	return r;
}

int rundir_read_state(const char *name, struct vmstate *st, char *dir, size_t len)
{
	char base_path[4096];
	int base, fd, r = -ENOENT;

	memset(st, 0, sizeof(*st));
	if (rundir_base(base_path, sizeof(base_path)) < 0 || !rundir_valid_name(name))
		return -ENOENT;
	if (dir)
		snprintf(dir, len, "%s/%s", base_path, name);
	base = open_base(false);
	if (base >= 0) {
		fd = open_dir(base, name);
		if (fd >= 0) {
			r = load_state_at(fd, st);
			close(fd);
		}
		close(base);
	}
	return r;
}

json_t *rundir_list(void)
{
	json_t *all = json_array();
	struct dirent *de;
	DIR *d;
	int base;

	if (!all)
		return NULL;
	base = open_base(false);
	if (base < 0)
		return all;
	d = fdopendir(base);
	if (!d) {
		close(base);
		return all;
	}
	while ((de = readdir(d))) {
		struct vmstate st;
		int fd, r;
		if (!rundir_valid_name(de->d_name))
			continue;
		fd = open_dir(dirfd(d), de->d_name);
		if (fd < 0)
			continue; /* a link, or not ours: never looked into */
		r = load_state_at(fd, &st);
		if (r == 0 && !rundir_state_alive(&st)) {
			remove_at(dirfd(d), de->d_name, fd);
		} else if (r == 0) {
			json_t *o = vmstate_json(&st);
			if (o) {
				json_object_set_new(o, "phase", json_string(rundir_state_phase(&st)));
				json_array_append_new(all, o);
			}
		}
		vmstate_free(&st);
		close(fd);
	}
	closedir(d);
	return all;
}

json_t *rundir_list_pinned(void)
{
	json_t *all = rundir_list(), *out = json_array(), *st;
	size_t i;

	if (!all || !out) {
		json_decref(all);
		json_decref(out);
		return NULL;
	}
	json_array_foreach(all, i, st) {
		json_t *vcpus = json_array(), *v;
		size_t k;
		json_array_foreach(json_object_get(st, "vcpus"), k, v) {
			/* Where each vCPU thread may run now, read live. */
			struct cpuset now;
			json_t *cpu = json_null();
			if (task_get_affinity((pid_t)json_integer_value(json_object_get(v, "tid")), &now) == 0 &&
			    cpuset_count(&now) == 1)
				cpu = json_integer(cpuset_next(&now, -1));
			json_array_append_new(vcpus, json_pack("{s:O, s:O, s:o}", "vcpu", json_object_get(v, "vcpu"), "tid",
							       json_object_get(v, "tid"), "cpu", cpu));
		}
		json_array_append_new(out, json_pack("{s:O, s:O, s:O, s:O, s:o}", "name", json_object_get(st, "name"), "pid",
						     json_object_get(st, "pid"), "phase", json_object_get(st, "phase"), "qmp",
						     json_object_get(st, "qmp"), "vcpus", vcpus));
	}
	json_decref(all);
	return out;
}

int rundir_vcpu_on(const json_t *pinned, int cpu, const char *except, char *buf, size_t len)
{
	const json_t *vm, *v;
	size_t i, k;

	json_array_foreach(pinned, i, vm) {
		const char *name = json_string_value(json_object_get(vm, "name")) ?: "";
		if (except && !strcmp(name, except))
			continue;
		json_array_foreach(json_object_get(vm, "vcpus"), k, v)
			if (json_is_integer(json_object_get(v, "cpu")) && json_integer_value(json_object_get(v, "cpu")) == cpu) {
				snprintf(buf, len, "vCPU %lld of VM '%s' (vmlaunch) is pinned there",
					 json_integer_value(json_object_get(v, "vcpu")), name);
				return 1;
			}
	}
	return 0;
}
