/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A report is data first (a jansson object with a "findings" array), rendered
 * as JSON or as text from the same object — never two formatters that drift.
 * A finding: {"id", "severity": "ok"|"warn"|"fail", "message", "hint"}.
 */
#pragma once
#include <stdio.h>

#include <jansson.h>

enum severity { SEV_OK = 0, SEV_WARN = 1, SEV_FAIL = 2 };

/* {"command": @command, "findings": []}.  NULL on ENOMEM. */
json_t *report_new(const char *command);

/* Append a finding; @hint may be NULL.  Returns the finding object (borrowed, to
 * attach more keys) or NULL on ENOMEM. */
json_t *report_add(json_t *rep, const char *id, enum severity sev, const char *hint,
		   const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* The worst severity among the findings (SEV_OK when there are none). */
enum severity report_worst(const json_t *rep);

/* Number of findings of severity @sev. */
unsigned report_count(const json_t *rep, enum severity sev);

/* Find a finding by id (borrowed), or NULL. */
json_t *report_find(const json_t *rep, const char *id);

/* Render the findings as text lines on @out: "  ok    message", "  WARN  message", hint below. */
void report_print_findings(FILE *out, const json_t *rep);

/* Exit status for a report: 1 when a check failed (or, with @strict, warned), else 0. */
int report_exit_status(const json_t *rep, int strict);

/* Set rep[key] = cpulist string of @s.  0 or -ENOMEM. */
struct cpuset;
int report_set_cpulist(json_t *obj, const char *key, const struct cpuset *s);
