/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hwloc.h>

#include "base/fsroot.h"
#include "pinning/topo.h"

struct topo {
	hwloc_topology_t h;
	char source[256];
	bool this_host;
};

static struct topo *load(const char *xml, const char *synthetic)
{
	struct topo *t = calloc(1, sizeof(*t));
	int r = 0;

	if (!t)
		return NULL;
	if (hwloc_topology_init(&t->h) < 0) {
		free(t);
		errno = ENOMEM;
		return NULL;
	}
	if (xml) {
		r = hwloc_topology_set_xml(t->h, xml);
		snprintf(t->source, sizeof(t->source), "xml %s", xml);
	} else if (synthetic) {
		r = hwloc_topology_set_synthetic(t->h, synthetic);
		snprintf(t->source, sizeof(t->source), "synthetic %s", synthetic);
	} else {
		/* hwloc's Linux backend reads its root from HWLOC_FSROOT. */
		if (!fsroot_is_live())
			setenv("HWLOC_FSROOT", fsroot_get(), 1);
		snprintf(t->source, sizeof(t->source), "%s", fsroot_is_live() ? "this host" : fsroot_get());
		t->this_host = fsroot_is_live();
	}
	if (r < 0 || hwloc_topology_load(t->h) < 0) {
		int e = errno ? errno : EINVAL;
		hwloc_topology_destroy(t->h);
		free(t);
		errno = e;
		return NULL;
	}
	return t;
}

struct topo *topo_load_live(void)
{
	return load(NULL, NULL);
}

struct topo *topo_load_xml(const char *path)
{
	if (access(path, R_OK) < 0)
		return NULL;
	return load(path, NULL);
}

/* What a synthetic description asks for, bounded before hwloc builds it (a user's
 * "pu:100000" would otherwise take minutes): the product of every level's count. */
static bool synthetic_too_large(const char *desc)
{
	unsigned long long objs = 1;
	unsigned levels = 0;
	int depth = 0;

	if (strlen(desc) > TOPO_SYNTHETIC_MAX_LEN)
		return true;
	for (const char *p = desc; *p;) {
		const char *tok;
		char *end;
		unsigned long long n;

		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		tok = p;
		/* The token runs to the next blank outside parentheses (attributes). */
		while (*p && (depth > 0 || (*p != ' ' && *p != '\t'))) {
			depth += *p == '(' ? 1 : *p == ')' ? -1 : 0;
			p++;
		}
		if (++levels > 16)
			return true;
		{
			const char *c = memchr(tok, ':', (size_t)(p - tok));
			const char *num = c ? c + 1 : tok;
			if (*num < '0' || *num > '9')
				continue; /* not a count (an attribute-only level): hwloc judges it */
			n = strtoull(num, &end, 10);
		}
		if (n == 0 || n > TOPO_SYNTHETIC_MAX_PUS || (objs *= n) > TOPO_SYNTHETIC_MAX_PUS)
			return true;
	}
	return false;
}

struct topo *topo_load_synthetic(const char *desc)
{
	if (synthetic_too_large(desc)) {
		errno = E2BIG;
		return NULL;
	}
	return load(NULL, desc);
}

struct topo *topo_load_spec(const char *spec)
{
	if (access(spec, F_OK) == 0 || strchr(spec, '/') || strstr(spec, ".xml"))
		return topo_load_xml(spec);
	return topo_load_synthetic(spec);
}

void topo_free(struct topo *t)
{
	if (!t)
		return;
	hwloc_topology_destroy(t->h);
	free(t);
}

const char *topo_source(const struct topo *t)
{
	return t->source;
}

bool topo_is_this_host(const struct topo *t)
{
	return t->this_host;
}

static void from_bitmap(hwloc_const_bitmap_t b, struct cpuset *out)
{
	int i;

	cpuset_zero(out);
	hwloc_bitmap_foreach_begin(i, b)
		cpuset_set(out, i);
	hwloc_bitmap_foreach_end();
}

static hwloc_obj_t pu(const struct topo *t, int cpu)
{
	if (cpu < 0)
		return NULL;
	return hwloc_get_pu_obj_by_os_index(t->h, (unsigned)cpu);
}

void topo_cpus(const struct topo *t, struct cpuset *out)
{
	from_bitmap(hwloc_topology_get_topology_cpuset(t->h), out);
}

unsigned topo_ncores(const struct topo *t)
{
	int n = hwloc_get_nbobjs_by_type(t->h, HWLOC_OBJ_CORE);

	/* A topology without cores (rare) is one core per PU. */
	return n > 0 ? (unsigned)n : (unsigned)hwloc_get_nbobjs_by_type(t->h, HWLOC_OBJ_PU);
}

unsigned topo_npackages(const struct topo *t)
{
	int n = hwloc_get_nbobjs_by_type(t->h, HWLOC_OBJ_PACKAGE);
	return n > 0 ? (unsigned)n : 1;
}

unsigned topo_nnodes(const struct topo *t)
{
	int n = hwloc_get_nbobjs_by_type(t->h, HWLOC_OBJ_NUMANODE);
	return n > 0 ? (unsigned)n : 1;
}

static hwloc_obj_t core_obj(const struct topo *t, unsigned core)
{
	if (hwloc_get_nbobjs_by_type(t->h, HWLOC_OBJ_CORE) > 0)
		return hwloc_get_obj_by_type(t->h, HWLOC_OBJ_CORE, core);
	return hwloc_get_obj_by_type(t->h, HWLOC_OBJ_PU, core);
}

int topo_core_cpus(const struct topo *t, unsigned core, struct cpuset *out)
{
	hwloc_obj_t o = core_obj(t, core);

	if (!o)
		return -ENOENT;
	from_bitmap(o->cpuset, out);
	return 0;
}

static hwloc_obj_t core_of(const struct topo *t, int cpu)
{
	hwloc_obj_t p = pu(t, cpu), c;

	if (!p)
		return NULL;
	c = hwloc_get_ancestor_obj_by_type(t->h, HWLOC_OBJ_CORE, p);
	return c ? c : p;
}

int topo_core_of(const struct topo *t, int cpu)
{
	hwloc_obj_t c = core_of(t, cpu);

	return c ? (int)c->logical_index : -ENOENT;
}

int topo_siblings(const struct topo *t, int cpu, struct cpuset *out)
{
	hwloc_obj_t c = core_of(t, cpu);

	if (!c)
		return -ENOENT;
	from_bitmap(c->cpuset, out);
	return 0;
}

int topo_numa_of(const struct topo *t, int cpu)
{
	hwloc_obj_t n = NULL;

	if (!pu(t, cpu))
		return -ENOENT;
	while ((n = hwloc_get_next_obj_by_type(t->h, HWLOC_OBJ_NUMANODE, n)))
		if (hwloc_bitmap_isset(n->cpuset, (unsigned)cpu))
			return (int)n->os_index;
	return -ENOENT;
}

int topo_package_of(const struct topo *t, int cpu)
{
	hwloc_obj_t p = pu(t, cpu), pkg;

	if (!p)
		return -ENOENT;
	pkg = hwloc_get_ancestor_obj_by_type(t->h, HWLOC_OBJ_PACKAGE, p);
	return pkg ? (int)pkg->os_index : 0;
}

int topo_node_cpus(const struct topo *t, int node, struct cpuset *out)
{
	hwloc_obj_t n = NULL;

	while ((n = hwloc_get_next_obj_by_type(t->h, HWLOC_OBJ_NUMANODE, n))) {
		if ((int)n->os_index == node) {
			from_bitmap(n->cpuset, out);
			return 0;
		}
	}
	return -ENOENT;
}

int topo_shared_cache(const struct topo *t, int a, int b)
{
	hwloc_obj_t pa = pu(t, a);

	if (!pa || !pu(t, b))
		return -ENOENT;
	for (hwloc_obj_t o = pa->parent; o; o = o->parent)
		if (hwloc_obj_type_is_cache(o->type) && hwloc_bitmap_isset(o->cpuset, (unsigned)b))
			return (int)o->attr->cache.depth;
	return 0;
}

unsigned topo_threads_per_core(const struct topo *t)
{
	unsigned max = 1;
	hwloc_obj_t c = NULL;

	while ((c = hwloc_get_next_obj_by_type(t->h, HWLOC_OBJ_CORE, c))) {
		int w = hwloc_bitmap_weight(c->cpuset);
		if (w > 0 && (unsigned)w > max)
			max = (unsigned)w;
	}
	return max;
}
