#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rundir.h"

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

int rundir_remove(const char *dir)
{
	char path[4096];

	for (size_t i = 0; i < sizeof(owned) / sizeof(*owned); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, owned[i]);
		if (unlink(path) < 0 && errno != ENOENT)
			return -errno;
	}
	if (rmdir(dir) < 0 && errno != ENOENT)
		return -errno;
	/* The base directory goes with the last VM (it fails harmlessly while others run). */
	snprintf(path, sizeof(path), "%s", dir);
	if (strrchr(path, '/')) {
		*strrchr(path, '/') = '\0';
		rmdir(path);
	}
	return 0;
}

bool rundir_state_alive(const json_t *state)
{
	json_int_t sup = json_integer_value(json_object_get(state, "supervisor"));
	json_int_t pid = json_integer_value(json_object_get(state, "pid"));

	return (sup > 0 && kill((pid_t)sup, 0) == 0) || (pid > 0 && kill((pid_t)pid, 0) == 0);
}

int rundir_create(const char *name, char *dir, size_t len)
{
	char base[4096];
	json_t *st;
	int r = rundir_base(base, sizeof(base));

	if (r < 0)
		return r;
	if (mkdir(base, 0755) < 0 && errno != EEXIST)
		return -errno;
	snprintf(dir, len, "%s/%s", base, name);
	if (mkdir(dir, 0700) == 0)
		return 0;
	if (errno == ENOENT) {
		/* The last VM's vmlaunch removed the base in between: make it again, once. */
		if (mkdir(base, 0755) < 0 && errno != EEXIST)
			return -errno;
		if (mkdir(dir, 0700) == 0)
			return 0;
	}
	if (errno != EEXIST)
		return -errno;
	/* A VM of that name: running, starting (no state yet), or gone. */
	st = rundir_read_state(name, NULL, 0);
	if (!st) {
		char sock[4096];
		snprintf(sock, sizeof(sock), "%s/qmp.sock", dir);
		if (access(sock, F_OK) == 0)
			return -EEXIST; /* starting: its socket is there before its state */
	} else if (rundir_state_alive(st)) {
		json_decref(st);
		return -EEXIST;
	}
	json_decref(st);
	r = rundir_remove(dir);
	if (r < 0)
		return r;
	return mkdir(dir, 0700) < 0 ? -errno : 0;
}

int rundir_write_state(const char *dir, const json_t *state)
{
	char tmp[4096], path[4096];

	snprintf(tmp, sizeof(tmp), "%s/state.json.tmp", dir);
	snprintf(path, sizeof(path), "%s/state.json", dir);
	if (json_dump_file(state, tmp, JSON_INDENT(2) | JSON_PRESERVE_ORDER) < 0)
		return -EIO;
	return rename(tmp, path) < 0 ? -errno : 0;
}

json_t *rundir_read_state(const char *name, char *dir, size_t len)
{
	char base[4096], path[8192];
	json_t *st;

	if (rundir_base(base, sizeof(base)) < 0 || !rundir_valid_name(name)) {
		errno = ENOENT;
		return NULL;
	}
	if (dir)
		snprintf(dir, len, "%s/%s", base, name);
	snprintf(path, sizeof(path), "%s/%s/state.json", base, name);
	st = json_load_file(path, 0, NULL);
	if (!st)
		errno = ENOENT;
	return st;
}

json_t *rundir_list(void)
{
	char base[4096];
	json_t *all = json_array();
	struct dirent *de;
	DIR *d;

	if (!all || rundir_base(base, sizeof(base)) < 0 || !(d = opendir(base)))
		return all;
	while ((de = readdir(d))) {
		char dir[8192];
		json_t *st;
		if (!rundir_valid_name(de->d_name))
			continue;
		st = rundir_read_state(de->d_name, dir, sizeof(dir));
		if (!st)
			continue; /* starting, or not ours */
		if (!rundir_state_alive(st)) {
			rundir_remove(dir);
			json_decref(st);
			continue;
		}
		json_array_append_new(all, st);
	}
	closedir(d);
	return all;
}
