/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The argv of every program a benchmark configuration runs, from the profile:
 * the reflector and trafficgen on the host (EAL options, then their own), the
 * guest's kernel command line with its program's arguments, vmlaunch, and
 * pincheck vm --sample.  Pure functions (tests/golden holds what they build).
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "base/strv.h"
#include "bench/profile.h"

/* Where the programs are and where a configuration's files go. */
struct pa_paths {
	const char *reflector, *trafficgen, *vmlaunch, *pincheck;  /* the programs */
	const char *sockdir;        /* the vhost-user socket's directory */
	const char *guest_dir;      /* vmlinuz, initrd.img */
	const char *vm_name;        /* the guest's name for vmlaunch (or libvirt) */
	const char *console, *port; /* the guest's console log and results port */
};

/* A budget for one sweep, from what the profile asks: generous, but bounded (ms). */
int pa_sweep_budget_ms(const struct profile *p);

/* trafficgen's own options for one configuration (after "--"). */
int pa_trafficgen_own(const struct profile *p, unsigned queues, struct strv *a);

/* The reflector's own options (after "--"), without its port; @vhost: it serves the
 * vhost-user socket (on the host), so the profile's data path applies. */
int pa_reflector_own(const struct profile *p, bool vhost, struct strv *a);

/* Host mode: the reflector serving vhost0.sock and trafficgen on net_virtio_user. */
int pa_host_pair(const struct profile *p, const struct pa_paths *x, unsigned queues, struct strv *refl, struct strv *tg);

/* The guest's kernel command line: console, panic, and the role with its arguments
 * (pinlab.args, read by templates/guest/init). */
int pa_guest_cmdline(const struct profile *p, unsigned queues, char *buf, size_t len);

/* vmlaunch for this configuration: the map, the guest image, the socket, the console
 * and results port, --json; --libvirt [--connect] with backend = libvirt. */
int pa_vmlaunch(const struct profile *p, const struct pa_paths *x, unsigned queues, struct strv *a);

/* A VM mode's host program, the vhost-user server: the reflector (vm-gen) or
 * trafficgen (vm-reflect). */
int pa_vm_host(const struct profile *p, const struct pa_paths *x, unsigned queues, struct strv *a);

/* pincheck vm --sample on the guest (by vmlaunch's name, or the libvirt domain). */
int pa_sampler(const struct profile *p, const struct pa_paths *x, struct strv *a);

/* Each returns 0, or -ENOMEM / -ENOSPC (a command line too long). */
