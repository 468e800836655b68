/* SPDX-License-Identifier: BSD-3-Clause */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pinning/cpuset.h"

#define NWORDS (CPUSET_MAX / 64)

void cpuset_zero(struct cpuset *s)
{
	memset(s, 0, sizeof(*s));
}

void cpuset_set(struct cpuset *s, unsigned cpu)
{
	if (cpu < CPUSET_MAX)
		s->w[cpu / 64] |= UINT64_C(1) << (cpu % 64);
}

void cpuset_clr(struct cpuset *s, unsigned cpu)
{
	if (cpu < CPUSET_MAX)
		s->w[cpu / 64] &= ~(UINT64_C(1) << (cpu % 64));
}

bool cpuset_isset(const struct cpuset *s, int cpu)
{
	return cpu >= 0 && cpu < CPUSET_MAX && (s->w[cpu / 64] >> (cpu % 64)) & 1;
}

unsigned cpuset_count(const struct cpuset *s)
{
	unsigned n = 0;

	for (int i = 0; i < NWORDS; i++)
		n += __builtin_popcountll(s->w[i]);
	return n;
}

bool cpuset_empty(const struct cpuset *s)
{
	for (int i = 0; i < NWORDS; i++)
		if (s->w[i])
			return false;
	return true;
}

bool cpuset_equal(const struct cpuset *a, const struct cpuset *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

bool cpuset_subset(const struct cpuset *a, const struct cpuset *b)
{
	for (int i = 0; i < NWORDS; i++)
		if (a->w[i] & ~b->w[i])
			return false;
	return true;
}

bool cpuset_intersects(const struct cpuset *a, const struct cpuset *b)
{
	for (int i = 0; i < NWORDS; i++)
		if (a->w[i] & b->w[i])
			return true;
	return false;
}

void cpuset_and(struct cpuset *dst, const struct cpuset *a, const struct cpuset *b)
{
	for (int i = 0; i < NWORDS; i++)
		dst->w[i] = a->w[i] & b->w[i];
}

void cpuset_or(struct cpuset *dst, const struct cpuset *a, const struct cpuset *b)
{
	for (int i = 0; i < NWORDS; i++)
		dst->w[i] = a->w[i] | b->w[i];
}

void cpuset_andnot(struct cpuset *dst, const struct cpuset *a, const struct cpuset *b)
{
	for (int i = 0; i < NWORDS; i++)
		dst->w[i] = a->w[i] & ~b->w[i];
}

int cpuset_next(const struct cpuset *s, int prev)
{
	int cpu = prev + 1;

	while (cpu < CPUSET_MAX) {
		uint64_t word = s->w[cpu / 64] >> (cpu % 64);
		if (word)
			return cpu + __builtin_ctzll(word);
		cpu = (cpu / 64 + 1) * 64;
	}
	return -1;
}

/* The character at @p, or NUL at the end of the range. */
static char at(const char *p, const char *end)
{
	return p < end ? *p : '\0';
}

/* A decimal number at *p (digits only: no sign, no spaces); advance *p.  @what names
 * it in errors ("a CPU number", "a stride"). */
static int parse_uint(const char *str, const char **p, const char *end, const char *what, unsigned *out,
		      struct pin_error *err)
{
	const char *s = *p;
	unsigned long v = 0;
	size_t pos = (size_t)(s - str);

	*out = 0;
	if (!isdigit((unsigned char)at(s, end))) {
		if (at(s, end) == '\0' || *s == ',')
			return pin_fail(err, -EINVAL, pos, "empty item at position %zu", pos);
		return pin_fail(err, -EINVAL, pos, "unexpected '%c' at position %zu, expected %s", *s, pos, what);
	}
	while (isdigit((unsigned char)at(s, end))) {
		v = v * 10 + (unsigned long)(*s - '0');
		if (v >= 1000000)
			return pin_fail(err, -ERANGE, pos, "number too large at position %zu", pos);
		s++;
	}
	*out = (unsigned)v;
	*p = s;
	return 0;
}

/* A CPU at *p: a number below @limit, or N (the kernel's name for the last CPU). */
static int parse_cpu(const char *str, const char **p, const char *end, unsigned limit, unsigned *out,
		     struct pin_error *err)
{
	size_t pos = (size_t)(*p - str);
	int r;

	if (at(*p, end) == 'N') {
		(*p)++;
		*out = limit - 1;
		return 0;
	}
	if ((r = parse_uint(str, p, end, "a CPU number", out, err)) < 0)
		return r;
	if (*out >= limit)
		return pin_fail(err, -ERANGE, pos, "CPU %u at position %zu is beyond the kernel's limit (0-%u)", *out, pos,
				limit - 1);
	return 0;
}

/* True when str[p..end) starts with the item "all" (any case), alone up to a comma. */
static bool is_all(const char *p, const char *end)
{
	return end - p >= 3 && !strncasecmp(p, "all", 3) && (p + 3 == end || p[3] == ',');
}

int cpuset_parse_list_range(struct cpuset *s, const char *str, size_t start, size_t stop, unsigned limit,
			    struct pin_error *err)
{
	const char *p = str + start, *end = str + stop;
	int r;

	if (limit == 0 || limit > CPUSET_MAX)
		limit = CPUSET_MAX;
	cpuset_zero(s);
	if (p == end)
		return pin_fail(err, -EINVAL, start, "empty CPU list at position %zu", start);
	for (;;) {
		const char *item = p;
		size_t pos = (size_t)(item - str);
		unsigned a, b, used = 1, group = 1;
		bool all = is_all(p, end);

		if (all) {
			a = 0;
			b = limit - 1;
			p += 3;
		} else {
			r = parse_cpu(str, &p, end, limit, &a, err);
			if (r < 0)
				return r;
			b = a;
		}
		if (!all && at(p, end) == '-') {
			p++;
			r = parse_cpu(str, &p, end, limit, &b, err);
			if (r < 0)
				return r;
			if (b < a)
				return pin_fail(err, -EINVAL, pos, "reversed range %u-%u at position %zu", a, b, pos);
			if (at(p, end) == ':') {
				/* A-B:S (every S-th CPU) or the kernel's A-B:U/G (the first U of every G). */
				const char *sp = ++p;
				r = parse_uint(str, &p, end, "a stride or USED/GROUP", &group, err);
				if (r < 0)
					return r;
				if (at(p, end) == '/') {
					p++;
					used = group;
					r = parse_uint(str, &p, end, "a group size", &group, err);
					if (r < 0)
						return r;
					if (group == 0 || used == 0 || used > group)
						return pin_fail(err, -EINVAL, (size_t)(sp - str),
								"%u/%u at position %zu: the used CPUs must be 1 to the group size",
								used, group, (size_t)(sp - str));
				} else if (group == 0) {
					return pin_fail(err, -EINVAL, (size_t)(sp - str), "stride 0 at position %zu",
							(size_t)(sp - str));
				}
			}
		}
		for (unsigned c = a; c <= b; c += group)
			for (unsigned u = 0; u < used && c + u <= b; u++)
				cpuset_set(s, c + u);
		if (p == end)
			return 0;
		if (*p != ',')
			return pin_fail(err, -EINVAL, p - str, "unexpected '%c' at position %zu", *p,
					(size_t)(p - str));
		p++;
		if (p == end)
			return pin_fail(err, -EINVAL, p - str, "empty item at position %zu", (size_t)(p - str));
	}
}

int cpuset_parse_list(struct cpuset *s, const char *str, unsigned limit, struct pin_error *err)
{
	/* As the kernel reads its command line and sysfs: whitespace and a newline around
	 * the list (not inside it, and not around a list embedded in a larger syntax). */
	size_t start = strspn(str, " \t\n"), stop = strlen(str);

	while (stop > start && isspace((unsigned char)str[stop - 1]))
		stop--;
	if (start == stop) {
		cpuset_zero(s);
		return pin_fail(err, -EINVAL, 0, "empty CPU list");
	}
	return cpuset_parse_list_range(s, str, start, stop, limit, err);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int cpuset_parse_mask(struct cpuset *s, const char *str, unsigned limit, struct pin_error *err)
{
	const char *start = str, *end, *p;
	bool grouped;
	unsigned bit;

	if (limit == 0 || limit > CPUSET_MAX)
		limit = CPUSET_MAX;
	cpuset_zero(s);
	if (str[0] == '0' && (str[1] == 'x' || str[1] == 'X'))
		start += 2;
	if (*start == '\0')
		return pin_fail(err, -EINVAL, start - str, "empty mask");
	for (p = start; *p; p++) {
		if (hexval(*p) >= 0)
			continue;
		if (*p != ',')
			return pin_fail(err, -EINVAL, p - str, "unexpected '%c' at position %zu in a hex mask",
					*p, (size_t)(p - str));
		if (p == start || p[1] == '\0' || p[1] == ',')
			return pin_fail(err, -EINVAL, p - str, "empty group at position %zu", (size_t)(p - str));
	}
	/*
	 * Without commas the mask is one long hex number.  With commas it is the
	 * kernel's format: each group is 32 bits, the rightmost the lowest.
	 */
	grouped = strchr(start, ',') != NULL;
	bit = 0;
	end = start + strlen(start);
	while (end > start) {
		const char *g = end;

		while (g > start && g[-1] != ',')
			g--;
		if (grouped && end - g > 8)
			return pin_fail(err, -EINVAL, g - str, "group at position %zu has more than 8 hex digits",
					(size_t)(g - str));
		for (p = end - 1; p >= g; p--, bit += 4) {
			int v = hexval(*p);
			for (unsigned k = 0; k < 4; k++) {
				if (!(v >> k & 1))
					continue;
				if (bit + k >= limit)
					return pin_fail(err, -ERANGE, p - str,
							"mask sets CPU %u, beyond the kernel's limit (0-%u)", bit + k,
							limit - 1);
				cpuset_set(s, bit + k);
			}
		}
		if (grouped)
			bit = (bit + 31) / 32 * 32;
		end = g > start ? g - 1 : g;
	}
	return 0;
}

int cpuset_parse(struct cpuset *s, const char *str, unsigned limit, struct pin_error *err)
{
	if (str[0] == '0' && (str[1] == 'x' || str[1] == 'X'))
		return cpuset_parse_mask(s, str, limit, err);
	return cpuset_parse_list(s, str, limit, err);
}

int cpuset_format_list(const struct cpuset *s, char *buf, size_t len)
{
	size_t off = 0;
	int cpu = cpuset_next(s, -1);

	if (len == 0)
		return -ENOSPC;
	buf[0] = '\0';
	while (cpu >= 0) {
		int last = cpu, n;
		while (cpuset_isset(s, last + 1))
			last++;
		if (last == cpu)
			n = snprintf(buf + off, len - off, "%s%d", off ? "," : "", cpu);
		else
			n = snprintf(buf + off, len - off, "%s%d-%d", off ? "," : "", cpu, last);
		if (n < 0 || (size_t)n >= len - off)
			return -ENOSPC;
		off += n;
		cpu = cpuset_next(s, last);
	}
	return (int)off;
}

int cpuset_format_mask(const struct cpuset *s, char *buf, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	int top = -1;
	size_t off = 2;

	cpuset_foreach(cpu, s)
		top = cpu;
	if (len < 4)
		return -ENOSPC;
	memcpy(buf, "0x", 2);
	if (top < 0) {
		memcpy(buf + 2, "0", 2);
		return 3;
	}
	for (int nib = top / 4; nib >= 0; nib--) {
		unsigned v = 0;
		for (int k = 0; k < 4; k++)
			v |= (unsigned)cpuset_isset(s, nib * 4 + k) << k;
		if (off + 1 >= len)
			return -ENOSPC;
		buf[off++] = hex[v];
	}
	buf[off] = '\0';
	return (int)off;
}

char *cpuset_to_list(const struct cpuset *s)
{
	/* Worst case "0,2,4,…": at most 5 characters per CPU. */
	size_t len = (size_t)cpuset_count(s) * 6 + 1;
	char *buf = malloc(len);

	if (buf && cpuset_format_list(s, buf, len) < 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

unsigned cpuset_format_phrase(const struct cpuset *s, char *buf, size_t len)
{
	unsigned n = cpuset_count(s);
	char list[512];

	if (cpuset_format_list(s, list, sizeof(list)) < 0)
		snprintf(list, sizeof(list), "(%u of them)", n);
	snprintf(buf, len, "%s %s", n == 1 ? "CPU" : "CPUs", list);
	return n;
}
