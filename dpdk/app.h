/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What every DPDK program here does around EAL: split argv at "--", add the
 * EAL options that leave nothing behind (--in-memory, --no-telemetry), run the
 * preflight, and remove EAL's empty runtime directory at the end.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "dpdk/preflight.h"

/* Index of "--" in argv, or argc when there is none. */
int app_split(int argc, char **argv);

/* -h/--help or -V/--version among the EAL arguments (before "--"): 'h', 'V' or 0.
 * Programs answer them before EAL sees them. */
int app_early_option(int argc, char **argv);

/* The program's own argv: argv[0], then what follows "--" at @sep.  Returns the count;
 * @own holds @max entries, NULL-terminated. */
int app_own_args(int argc, char **argv, int sep, char **own, int max);

/* Build EAL's argv: the user's (argv[0 .. eal_argc)), then @extra, then --no-telemetry
 * unless --telemetry/--no-telemetry was given, --in-memory unless --in-memory or
 * --file-prefix was, and --no-pci unless a PCI device was named (-a/--allow,
 * -b/--block): the host's own NICs are never probed by accident.  @ev is updated to
 * what EAL will get.  Returns the count. */
int app_eal_argv(int eal_argc, char **argv, char **extra, int nextra, struct eal_view *ev, char **out, int max);

/* Every net_virtio_user port in the EAL arguments that connects to a socket (not
 * server=1) must find something listening there.  0, or -ENOTCONN with @msg naming
 * the socket and the fix. */
int app_check_vdev_sockets(int eal_argc, char **argv, char *msg, size_t len);

/* rte_eal_cleanup, then remove EAL's runtime directory (and /var/run/dpdk) when empty. */
void app_eal_cleanup(void);

/* The vhost device id of net_vhost port @port's connection, or -1 (not net_vhost, no peer). */
int app_vhost_vid(uint16_t port);

/* What the vhost-user peer of a net_vhost port negotiated, read through DPDK's vhost
 * API: {"features": "0x...", "version_1", "mergeable_rx_buffers", "indirect_descriptors",
 * "event_idx", "packed_ring", "multiqueue", "vrings", "queue_pairs"}.  NULL when the
 * port is not net_vhost or no peer is connected. */
json_t *app_vhost_virtio(uint16_t port);

/* The same for vhost device @vid (a port of the reflector's direct data path). */
json_t *app_vhost_virtio_vid(int vid);

/* One lcore as the programs report it: {"lcore": N, "cpus": [the CPUs EAL gave it]}.
 * DPDK's -l N means CPU N, but --lcores may map an lcore anywhere: readers take the
 * CPUs, never the lcore number, as where it polls. */
json_t *app_lcore_json(unsigned lcore);
