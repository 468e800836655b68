/* SPDX-License-Identifier: BSD-3-Clause */
/* Guest memory for ring tests and the ring fuzzer: regions mapped with an
 * inaccessible page on either side (a read or write just past one faults), a memory
 * table over them, and a check that every byte a poll changed lies where a device
 * may write — a used ring, or a buffer of a descriptor with VRING_DESC_F_WRITE
 * reached from the RX ring's descriptor table (directly or through an indirect
 * table).  Header only: the unit tests and the fuzz target both include it. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "reflector/vring.h"

struct gm_range {
	const uint8_t *p;
	uint64_t len;
};

#define GM_MAX_RANGES 4096

struct gm {
	struct vring_mem m;
	uint8_t *map[VRING_MAX_REGIONS];     /* each mapping, guard pages included */
	size_t maplen[VRING_MAX_REGIONS];
	uint8_t *before[VRING_MAX_REGIONS];  /* a copy taken by gm_snapshot */
	struct gm_range *allowed;            /* where a device may write, as gm_snapshot found it */
	unsigned nallowed;
};

/* Add a region of @size bytes at guest physical address @gpa, zero-filled (not
 * reserved: a large sparse region costs what is touched).  Its host address, or NULL. */
static inline uint8_t *gm_add(struct gm *g, uint64_t gpa, uint64_t size)
{
	const size_t pg = (size_t)sysconf(_SC_PAGESIZE), len = ((size + pg - 1) / pg + 2) * pg;
	uint8_t *p;

	if (g->m.n == VRING_MAX_REGIONS)
		return NULL;
	/* cppcheck-suppress invalidFunctionArg ; an anonymous mapping takes fd -1 */
	p = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	/* The region ends exactly where the guard page after it begins. */
	uint8_t *r = p + len - pg - size;
	if (mprotect(p + pg, len - 2 * pg, PROT_READ | PROT_WRITE) < 0) {
		munmap(p, len);
		return NULL;
	}
	g->map[g->m.n] = p;
	g->maplen[g->m.n] = len;
	g->m.r[g->m.n++] = (struct vring_region){ .gpa = gpa, .size = size, .hva = r };
	return r;
}

/* The host address of @gpa, which must lie in a region with @len bytes after it. */
static inline void *gm_at(const struct gm *g, uint64_t gpa, uint64_t len)
{
	uint64_t l = len;
	void *p = vring_translate(&g->m, gpa, &l);

	return p && l == len ? p : NULL;
}

static inline void gm_free(struct gm *g)
{
	for (uint32_t i = 0; i < g->m.n; i++) {
		munmap(g->map[i], g->maplen[i]);
		free(g->before[i]);
	}
	free(g->allowed);
	memset(g, 0, sizeof(*g));
}

/* Add the pieces of guest range [gpa, gpa + len) that lie in guest memory. */
static inline void gm_allow(struct gm *g, uint64_t gpa, uint64_t len)
{
	while (len && g->nallowed < GM_MAX_RANGES) {
		uint64_t l = len;
		const uint8_t *p = vring_translate(&g->m, gpa, &l);
		if (!p)
			return;
		g->allowed[g->nallowed++] = (struct gm_range){ p, l };
		if (gpa + l < gpa)
			return;
		gpa += l;
		len -= l;
	}
}

/* Before a poll of the rings @tx and @rx (as vring_check accepted them): keep a copy of
 * every region, and where a device may write now — the used rings, and the buffers of
 * every descriptor with VRING_DESC_F_WRITE in the RX ring's table or in an indirect
 * table it points to.  0, or -1 out of memory. */
static inline int gm_snapshot(struct gm *g, const struct vring_q *tx, const struct vring_q *rx)
{
	const struct vring_q *rings[2] = { tx, rx };

	for (uint32_t i = 0; i < g->m.n; i++) {
		free(g->before[i]);
		if (!(g->before[i] = malloc(g->m.r[i].size ? g->m.r[i].size : 1)))
			return -1;
		memcpy(g->before[i], g->m.r[i].hva, g->m.r[i].size);
	}
	if (!g->allowed && !(g->allowed = malloc(GM_MAX_RANGES * sizeof(*g->allowed))))
		return -1;
	g->nallowed = 0;
	for (int k = 0; k < 2; k++)
		g->allowed[g->nallowed++] = (struct gm_range){
			(const uint8_t *)rings[k]->used,
			offsetof(struct vring_used, ring) + (uint64_t)rings[k]->size * sizeof(struct vring_used_elem) + 2 };
	for (uint32_t i = 0; i < rx->size; i++) {
		const struct vring_desc e = rx->desc[i];
		if (e.flags & VRING_DESC_F_INDIRECT) {
			/* Read with memcpy: a guest's table may be misaligned (vring.c refuses those). */
			const uint8_t *t = gm_at(g, e.addr, e.len);
			for (uint32_t j = 0; t && j < e.len / sizeof(struct vring_desc); j++) {
				struct vring_desc f;
				memcpy(&f, t + j * sizeof(f), sizeof(f));
				if (f.flags & VRING_DESC_F_WRITE)
					gm_allow(g, f.addr, f.len);
			}
		} else if (e.flags & VRING_DESC_F_WRITE) {
			gm_allow(g, e.addr, e.len);
		}
	}
	return 0;
}

/* Did every byte that changed since gm_snapshot change where a device could write
 * then?  The address of the first byte that should not have changed, or NULL. */
static inline const uint8_t *gm_check(const struct gm *g)
{
	for (uint32_t i = 0; i < g->m.n; i++) {
		const uint8_t *now = g->m.r[i].hva;
		for (uint64_t b = 0; b < g->m.r[i].size; b++) {
			bool ok = false;
			if (now[b] == g->before[i][b])
				continue;
			for (unsigned k = 0; k < g->nallowed && !ok; k++)
				ok = now + b >= g->allowed[k].p && (uint64_t)(now + b - g->allowed[k].p) < g->allowed[k].len;
			if (!ok)
				return now + b;
		}
	}
	return NULL;
}
