/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * CPU sets: the Linux cpulist syntax ("0-3,8,10-11", strides "0-7:2") and hex
 * masks ("0xf0", as taskset and DPDK -c take them; also the kernel's
 * "ff,ffffffff" form).  A set holds CPU numbers below CPUSET_MAX, the largest
 * NR_CPUS a Linux kernel can be built with.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

#define CPUSET_MAX 8192

struct cpuset {
	uint64_t w[CPUSET_MAX / 64];
};

void cpuset_zero(struct cpuset *s);
void cpuset_set(struct cpuset *s, unsigned cpu);
void cpuset_clr(struct cpuset *s, unsigned cpu);
bool cpuset_isset(const struct cpuset *s, int cpu);
unsigned cpuset_count(const struct cpuset *s);
bool cpuset_empty(const struct cpuset *s);
bool cpuset_equal(const struct cpuset *a, const struct cpuset *b);
/* True when every CPU of @a is in @b. */
bool cpuset_subset(const struct cpuset *a, const struct cpuset *b);
bool cpuset_intersects(const struct cpuset *a, const struct cpuset *b);
/* dst = a & b, a | b, a & ~b (dst may alias an operand). */
void cpuset_and(struct cpuset *dst, const struct cpuset *a, const struct cpuset *b);
void cpuset_or(struct cpuset *dst, const struct cpuset *a, const struct cpuset *b);
void cpuset_andnot(struct cpuset *dst, const struct cpuset *a, const struct cpuset *b);
/* The lowest CPU above @prev (pass -1 to start); -1 when none is left. */
int cpuset_next(const struct cpuset *s, int prev);

#define cpuset_foreach(cpu, s) \
	for (int cpu = cpuset_next((s), -1); cpu >= 0; cpu = cpuset_next((s), cpu))

/* Parse a cpulist as the kernel reads one: items "A", "A-B", "A-B:USED/GROUP" (the
 * first USED CPUs of every GROUP), "N" (the last CPU: @limit - 1), "all", with
 * whitespace or a newline around the list; also this project's stride "A-B:S" (every
 * S-th CPU).  CPUs must be below @limit (0: CPUSET_MAX).  0, or -EINVAL / -ERANGE
 * with @err saying where.  An empty list is an error. */
int cpuset_parse_list(struct cpuset *s, const char *str, unsigned limit, struct pin_error *err);

/* Parse the cpulist str[start..stop), reporting positions within the whole of @str
 * (for lists embedded in a larger syntax, such as vCPU maps).  0 or -errno with @err. */
int cpuset_parse_list_range(struct cpuset *s, const char *str, size_t start, size_t stop, unsigned limit,
			    struct pin_error *err);

/* Parse a hex mask ("0xf0", "f0", "ff,ffffffff").  0, or -EINVAL / -ERANGE with @err. */
int cpuset_parse_mask(struct cpuset *s, const char *str, unsigned limit, struct pin_error *err);

/* A mask when @str starts with 0x, a cpulist otherwise.  0 or -errno with @err. */
int cpuset_parse(struct cpuset *s, const char *str, unsigned limit, struct pin_error *err);

/* Format as a cpulist ("0-3,8"; "" when empty).  Length, or -ENOSPC. */
int cpuset_format_list(const struct cpuset *s, char *buf, size_t len);

/* For messages: "CPU 3" or "CPUs 0-3,8" (cut short with "…" when long).  Returns the count. */
unsigned cpuset_format_phrase(const struct cpuset *s, char *buf, size_t len);

/* "is" or "are", to agree with cpuset_format_phrase. */
#define cpuset_verb(s, one, many) (cpuset_count(s) == 1 ? (one) : (many))

/* Format as a hex mask ("0xf0"; "0x0" when empty).  Length, or -ENOSPC. */
int cpuset_format_mask(const struct cpuset *s, char *buf, size_t len);

/* The cpulist in a malloc'd string; NULL on ENOMEM. */
char *cpuset_to_list(const struct cpuset *s);
