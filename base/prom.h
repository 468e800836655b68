/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Prometheus' text exposition format, for node_exporter's textfile collector
 * (--prometheus FILE): families with HELP and TYPE, samples with escaped label
 * values, the whole file replaced atomically so a scrape never reads half of it.
 */
#pragma once
#include <stdio.h>

struct prom {
	FILE *m;
	char *text;
	size_t len;
};

/* Start a document.  0 or -ENOMEM. */
int prom_begin(struct prom *p);

/* "# HELP name help" and "# TYPE name type" (counter, gauge). */
void prom_family(struct prom *p, const char *name, const char *type, const char *help);

/* "name{labels} value": @labels is NULL or an array of key, value, ..., NULL;
 * values are escaped (backslash, quote, newline). */
void prom_sample(struct prom *p, const char *name, double value, const char *const *labels);

/* Write the document to @path atomically (fs_replace_file) and free it.  0 or -errno. */
int prom_commit(struct prom *p, const char *path);

/* Free a document without writing it. */
void prom_discard(struct prom *p);
