/* SPDX-License-Identifier: BSD-3-Clause */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pinning/vmap.h"

void vmap_free(struct vmap *m)
{
	free(m->cpu);
	m->cpu = NULL;
	m->n = 0;
}

int vmap_from_array(struct vmap *m, const int *cpus, unsigned n)
{
	if (n == 0 || n > VMAP_MAX_VCPUS)
		return -EINVAL;
	for (unsigned v = 0; v < n; v++)
		if (cpus[v] < -1 || cpus[v] >= CPUSET_MAX)
			return -EINVAL;
	m->cpu = malloc(n * sizeof(*m->cpu));
	if (!m->cpu)
		return -ENOMEM;
	memcpy(m->cpu, cpus, n * sizeof(*m->cpu));
	m->n = n;
	return 0;
}

/* Expand the cpulist str[start..stop) into an ordered array (a range, maybe strided,
 * keeps its order); the list parser checks the syntax.  Count or -errno. */
static int expand(const char *what, const char *str, size_t start, size_t stop, unsigned limit, int *out,
		  unsigned max, struct pin_error *err)
{
	struct cpuset tmp;
	const char *p = str + start;
	unsigned n = 0;
	int r;

	if (start == stop)
		return pin_fail(err, -EINVAL, start, "empty %s at position %zu", what, start);
	/* A map pairs numbers in order: a number, a range, a stride; not the kernel's N, all or U/G. */
	for (size_t i = start; i < stop; i++)
		if (!strchr("0123456789-:", str[i]))
			return pin_fail(err, -EINVAL, i, "unexpected '%c' at position %zu in a %s (numbers, A-B or A-B:STRIDE)",
					str[i], i, what);
	r = cpuset_parse_list_range(&tmp, str, start, stop, limit, err);
	if (r < 0)
		return r;
	{
		char *q;
		unsigned a = (unsigned)strtoul(p, &q, 10), b = a, stride = 1;
		if (*q == '-') {
			b = (unsigned)strtoul(q + 1, &q, 10);
			if (*q == ':' && q < str + stop)
				stride = (unsigned)strtoul(q + 1, &q, 10);
		}
		for (unsigned c = a; c <= b; c += stride) {
			if (n == max)
				return pin_fail(err, -ERANGE, start, "more than %u vCPUs at position %zu", max, start);
			out[n++] = (int)c;
		}
	}
	return (int)n;
}

static int parse(struct vmap *m, const char *str, unsigned limit, bool gaps, struct pin_error *err)
{
	int *cpu = NULL, *vcpus = NULL, *cpus = NULL;
	unsigned n = 0;
	const char *p = str;
	int r;

	m->n = 0;
	m->cpu = NULL;
	if (*str == '\0')
		return pin_fail(err, -EINVAL, 0, "empty vCPU map (expected e.g. 0:4,1:5 or 0-3:4-7)");
	cpu = malloc(VMAP_MAX_VCPUS * sizeof(*cpu));
	vcpus = malloc(VMAP_MAX_VCPUS * sizeof(*vcpus));
	cpus = malloc(VMAP_MAX_VCPUS * sizeof(*cpus));
	if (!cpu || !vcpus || !cpus) {
		r = -ENOMEM;
		goto cleanup;
	}
	for (unsigned i = 0; i < VMAP_MAX_VCPUS; i++)
		cpu[i] = -1;

	for (;;) {
		const char *item = p, *colon, *end;
		int nv, nc;

		end = item;
		while (*end && *end != ',')
			end++;
		colon = memchr(item, ':', end - item);
		if (!colon) {
			r = pin_fail(err, -EINVAL, item - str,
				     "item '%.*s' at position %zu is not VCPU:CPU", (int)(end - item), item,
				     (size_t)(item - str));
			goto cleanup;
		}
		nv = expand("vCPU list", str, item - str, colon - str, VMAP_MAX_VCPUS, vcpus, VMAP_MAX_VCPUS, err);
		if (nv < 0) {
			r = nv;
			goto cleanup;
		}
		nc = expand("CPU list", str, colon + 1 - str, end - str, limit, cpus, VMAP_MAX_VCPUS, err);
		if (nc < 0) {
			r = nc;
			goto cleanup;
		}
		if (nv != nc) {
			r = pin_fail(err, -EINVAL, item - str,
				     "item '%.*s' at position %zu maps %d vCPU%s to %d CPU%s", (int)(end - item),
				     item, (size_t)(item - str), nv, nv == 1 ? "" : "s", nc, nc == 1 ? "" : "s");
			goto cleanup;
		}
		for (int i = 0; i < nv; i++) {
			int v = vcpus[i];
			if (cpu[v] >= 0) {
				r = pin_fail(err, -EINVAL, item - str, "vCPU %d is mapped twice (to %d and %d)", v,
					     cpu[v], cpus[i]);
				goto cleanup;
			}
			cpu[v] = cpus[i];
			if ((unsigned)v + 1 > n)
				n = v + 1;
		}
		if (*end == '\0')
			break;
		p = end + 1;
		if (*p == '\0') {
			r = pin_fail(err, -EINVAL, p - str, "empty item at position %zu", (size_t)(p - str));
			goto cleanup;
		}
	}
	for (unsigned v = 0; v < n && !gaps; v++) {
		if (cpu[v] < 0) {
			r = pin_fail(err, -EINVAL, 0, "vCPU %u is missing: vCPUs must be numbered 0-%u without gaps",
				     v, n - 1);
			goto cleanup;
		}
	}
	r = vmap_from_array(m, cpu, n);
	if (r < 0)
		pin_fail(err, r, 0, "out of memory");
cleanup:
	free(cpu);
	free(vcpus);
	free(cpus);
	return r;
}

int vmap_parse(struct vmap *m, const char *str, unsigned limit, struct pin_error *err)
{
	return parse(m, str, limit, false, err);
}

int vmap_parse_sparse(struct vmap *m, const char *str, unsigned limit, struct pin_error *err)
{
	return parse(m, str, limit, true, err);
}

void vmap_vcpus(const struct vmap *m, struct cpuset *out)
{
	cpuset_zero(out);
	for (unsigned v = 0; v < m->n; v++)
		if (m->cpu[v] >= 0)
			cpuset_set(out, v);
}

void vmap_cpus(const struct vmap *m, struct cpuset *out)
{
	cpuset_zero(out);
	for (unsigned v = 0; v < m->n; v++)
		if (m->cpu[v] >= 0)
			cpuset_set(out, (unsigned)m->cpu[v]);
}

unsigned vmap_shared(const struct vmap *m, struct cpuset *shared)
{
	struct cpuset seen;

	cpuset_zero(&seen);
	cpuset_zero(shared);
	for (unsigned v = 0; v < m->n; v++) {
		if (m->cpu[v] < 0)
			continue;
		if (cpuset_isset(&seen, m->cpu[v]))
			cpuset_set(shared, (unsigned)m->cpu[v]);
		cpuset_set(&seen, (unsigned)m->cpu[v]);
	}
	return cpuset_count(shared);
}

int vmap_format(const struct vmap *m, char *buf, size_t len)
{
	size_t off = 0;

	if (len == 0)
		return -ENOSPC;
	buf[0] = '\0';
	for (unsigned v = 0; v < m->n; v++) {
		int k;
		if (m->cpu[v] < 0)
			continue;
		k = snprintf(buf + off, len - off, "%s%u:%d", off ? "," : "", v, m->cpu[v]);
		if (k < 0 || (size_t)k >= len - off)
			return -ENOSPC;
		off += k;
	}
	return (int)off;
}
