/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vmbench's parts: the whole run and compare (vmbench.c), the shared state and the
 * children's plumbing (run.c), host mode (hostrun.c) and the VM modes, one program
 * on the host and the other in a pinned guest (vmrun.c).
 */
#pragma once
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#include "bench/child.h"
#include "bench/fingerprint.h"
#include "bench/profile.h"
#include "bench/progargs.h"
#include "bench/results.h"
#include "bench/sweep.h"

struct guest {
	char dir[PATH_MAX];           /* vmlinuz, initrd.img, manifest.json */
	json_t *manifest;
	char accel[8];                /* kvm or tcg, as vmlaunch chose */
};

struct run {
	struct profile p;
	struct results_dir out;
	char sockdir[64];
	json_t *commands;             /* every argv run */
	json_t *pinning;              /* pincheck vm --sample's report, per configuration */
	struct guest guest;
	long long hp_restore;         /* nr_hugepages to put back; -1: nothing */
	char hp_mounted[256];         /* a hugetlbfs vmbench mounted and unmounts; "" */
	struct host_load load0, load1;/* the host's load before and after the configurations */
	long long t0, t1;             /* when they were read (ms) */
	json_t *idle_before, *idle_after; /* the host's load over 0.5 s with nothing of ours running */
	json_t *beside;               /* with --force: what already kept our CPUs busy (notes) */
	struct pa_paths paths;        /* the programs beside vmbench, the socket and guest directories */
	char bin[4][PATH_MAX];        /* what paths' programs point to */
};

/* Set by SIGINT, SIGTERM, SIGHUP: the run stops, nothing is written. */
extern volatile sig_atomic_t interrupted;

long long now_ms(void);

/* The host's load over half a second in which vmbench runs nothing: others' work. */
json_t *idle_window(void);
/* latency-Nq.hlog: the configuration's latency histograms.  0 or an exit code. */
int write_hlog(struct run *run, const struct sweep *sw, unsigned queues);
/* Start @a with its stderr in raw/@prog-Nq.stderr (the path into @errpath), and record it. */
int spawn_logged(struct run *run, struct child *c, const struct strv *a, const char *prog, unsigned queues,
		 char *errpath, size_t len);
/* A raw/ file for a child's output lines, or NULL. */
FILE *raw_file(struct run *run, const char *fmt, unsigned queues);
/* Wait for a JSON line of @type from @c; other lines go to @raw.  0 or an exit code. */
int wait_for(struct child *c, const char *type, int ms, FILE *raw, const char *who, const char *errpath);
/* Stop the reflector, keeping its final statistics in @raw. */
void stop_reflector(struct child *r, FILE *raw);
/* Close a raw/ file; a write error fails the run.  0 or an exit code. */
int close_raw(FILE *f, const char *what);

/* One configuration with @queues queues into @config ("results", and with a guest
 * "vm" and "residency").  0 or an exit code, said on stderr. */
int run_host_config(struct run *run, unsigned queues, json_t *config);
int run_vm_config(struct run *run, unsigned queues, json_t *config);
