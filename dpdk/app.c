/* SPDX-License-Identifier: BSD-3-Clause */
#include <dlfcn.h>
#include <link.h>
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_vhost.h>

#include "dpdk/app.h"
#include "base/fsutil.h"

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
	bool telemetry = false, pci = false;
	int n = 0;

	for (int i = 0; i < eal_argc && n < max - 4 - nextra; i++) {
		const char *a = argv[i];
		telemetry |= !strcmp(a, "--telemetry") || !strcmp(a, "--no-telemetry");
		/* A PCI device named (or PCI asked about explicitly): the user decides. */
		pci |= !strncmp(a, "-a", 2) || !strncmp(a, "--allow", 7) || !strncmp(a, "-b", 2) || !strncmp(a, "--block", 7) ||
		       !strcmp(a, "--no-pci") || !strncmp(a, "-w", 2) || !strncmp(a, "--pci-whitelist", 15);
		out[n++] = argv[i];
	}
	for (int i = 0; i < nextra; i++)
		out[n++] = extra[i];
	/* DPDK's telemetry socket would outlive us in the runtime directory; we print our own statistics. */
	if (!telemetry)
		out[n++] = "--no-telemetry";
	/* Probing the host's PCI devices would take its NIC away from the kernel (or fail on it). */
	if (!pci)
		out[n++] = "--no-pci";
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
	if (dir[0]) {
		/* With --telemetry, DPDK unlinks its socket only at exit, after this. */
		char sock[PATH_MAX + 32];
		snprintf(sock, sizeof(sock), "%s/dpdk_telemetry.v2", dir);
		unlink(sock);
	}
	if (dir[0] && rmdir(dir) == 0) {
		char *slash = strrchr(dir, '/');
		if (slash) {
			*slash = '\0';
			rmdir(dir);
		}
	}
}

int app_check_vdev_sockets(int eal_argc, char **argv, char *msg, size_t len)
{
	for (int i = 1; i < eal_argc; i++) {
		const char *v = NULL, *path, *end;
		char sock[PATH_MAX];
		int r;

		if (!strcmp(argv[i], "--vdev") && i + 1 < eal_argc)
			v = argv[++i];
		else if (!strncmp(argv[i], "--vdev=", 7))
			v = argv[i] + 7;
		if (!v || strncmp(v, "net_virtio_user", 15) || strstr(v, "server=1"))
			continue;
		path = strstr(v, "path=");
		if (!path)
			continue;
		path += 5;
		end = path + strcspn(path, ",");
		if ((size_t)(end - path) >= sizeof(sock))
			continue;
		snprintf(sock, sizeof(sock), "%.*s", (int)(end - path), path);
		r = fs_socket_probe(sock, NULL);
		if (r == 1)
			continue;
		snprintf(msg, len, "nothing listens on %s (%s): start the vhost-user side first (the reflector, or vmbench)",
			 sock, r == 0 ? "no socket, or a stale one" : strerror(-r));
		return -ENOTCONN;
	}
	return 0;
}

/* dl_iterate_phdr: the path of the loaded vhost PMD (whatever its ABI number). */
static int find_vhost_pmd(struct dl_phdr_info *info, size_t size, void *path)
{
	(void)size;
	if (info->dlpi_name && strstr(info->dlpi_name, "/librte_net_vhost.so")) {
		snprintf(path, PATH_MAX, "%s", info->dlpi_name);
		return 1;
	}
	return 0;
}

int app_vhost_vid(uint16_t port)
{
	static int (*get_vid)(uint16_t);
	struct rte_eth_dev_info info;

	if (rte_eth_dev_info_get(port, &info) != 0 || strcmp(info.driver_name, "net_vhost") != 0)
		return -1;
	/* The vhost PMD is an EAL plugin (Debian links no PMD into programs): its one
	 * function we need comes from the copy EAL loaded, never a second one. */
	if (!get_vid) {
		char path[PATH_MAX] = "";
		void *h;
		dl_iterate_phdr(find_vhost_pmd, path);
		h = path[0] ? dlopen(path, RTLD_NOW | RTLD_NOLOAD) : NULL;
		/* The handle is kept (never dlclose'd): the PMD stays EAL's, loaded for good. */
		get_vid = h ? (int (*)(uint16_t))dlsym(h, "rte_eth_vhost_get_vid_from_port_id") : NULL;
		if (!get_vid)
			return -1;
	}
	return get_vid(port);
}

json_t *app_vhost_virtio(uint16_t port)
{
	const int vid = app_vhost_vid(port);

	return vid < 0 ? NULL : app_vhost_virtio_vid(vid);
}

json_t *app_vhost_virtio_vid(int vid)
{
	uint64_t f;
	uint16_t vrings;
	char hex[24];

	if (vid < 0 || rte_vhost_get_negotiated_features(vid, &f) != 0)
		return NULL;
	vrings = rte_vhost_get_vring_num(vid);
	snprintf(hex, sizeof(hex), "0x%llx", (unsigned long long)f);
	/* Each vring's size as the frontend set it (SET_VRING_NUM); 0 for one not set up yet. */
	json_t *sizes = json_array();
	for (uint16_t i = 0; i < vrings; i++) {
		struct rte_vhost_vring vr;
		json_array_append_new(sizes, json_integer(rte_vhost_get_vhost_vring(vid, i, &vr) == 0 ? vr.size : 0));
	}
	/* Bit numbers from the virtio 1.1 specification (5.1.3, 6). */
	return json_pack("{s:s, s:b, s:b, s:b, s:b, s:b, s:b, s:i, s:i, s:o}", "features", hex, "version_1", !!(f & (1ULL << 32)),
			 "mergeable_rx_buffers", !!(f & (1ULL << 15)), "indirect_descriptors", !!(f & (1ULL << 28)),
			 "event_idx", !!(f & (1ULL << 29)), "packed_ring", !!(f & (1ULL << 34)), "multiqueue",
			 !!(f & (1ULL << 22)), "vrings", vrings, "queue_pairs", vrings / 2, "ring_sizes", sizes);
}

json_t *app_lcore_json(unsigned lcore)
{
	rte_cpuset_t set = rte_lcore_cpuset(lcore);
	json_t *cpus = json_array();

	for (unsigned c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &set))
			json_array_append_new(cpus, json_integer(c));
	return json_pack("{s:i, s:o}", "lcore", lcore, "cpus", cpus);
}
