#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>

#include "app.h"

int app_split(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--"))
			return i;
	return argc;
}

int app_early_option(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return 'h';
		if (!strcmp(argv[i], "-V") || !strcmp(argv[i], "--version"))
			return 'V';
	}
	return 0;
}

int app_own_args(int argc, char **argv, int sep, char **own, int max)
{
	int n = 0;

	own[n++] = argv[0];
	for (int i = sep + 1; i < argc && n < max - 1; i++)
		own[n++] = argv[i];
	own[n] = NULL;
	return n;
}

int app_eal_argv(int eal_argc, char **argv, char **extra, int nextra, struct eal_view *ev, char **out, int max)
{
	bool telemetry = false;
	int n = 0;

	for (int i = 0; i < eal_argc && n < max - 3 - nextra; i++) {
		telemetry |= !strcmp(argv[i], "--telemetry") || !strcmp(argv[i], "--no-telemetry");
		out[n++] = argv[i];
	}
	for (int i = 0; i < nextra; i++)
		out[n++] = extra[i];
	/* DPDK's telemetry socket would outlive us in the runtime directory; we print our own statistics. */
	if (!telemetry)
		out[n++] = "--no-telemetry";
	/* No hugepage files, no shared config: nothing left behind when we exit. */
	if (!ev->in_memory && !ev->file_prefix) {
		out[n++] = "--in-memory";
		ev->in_memory = true;
	}
	out[n] = NULL;
	return n;
}

void app_eal_cleanup(void)
{
	char dir[PATH_MAX];

	/* EAL makes its runtime directory even --in-memory and never removes it. */
	snprintf(dir, sizeof(dir), "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	if (dir[0] && rmdir(dir) == 0) {
		char *slash = strrchr(dir, '/');
		if (slash) {
			*slash = '\0';
			rmdir(dir);
		}
	}
}
