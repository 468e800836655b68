/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "bench/shape.h"

static const struct {
	const char *name, *list;
} named[] = {
	{ "imix", "64:7+594:4+1518:1" },        /* the common "simple IMIX" (NFVbench, TRex, Spirent) */
	{ "imix_v4_1", "64:28+570:16+1518:4" }, /* FD.io CSIT's IPv4 IMIX */
};

/* Digits only, no sign, no spaces, at most @max; the end of the number in *end. */
static bool parse_uint(const char *s, const char **end, unsigned max, unsigned *out)
{
	unsigned long v = 0;
	const char *p = s;

	while (*p >= '0' && *p <= '9') {
		v = v * 10 + (unsigned long)(*p - '0');
		if (v > max)
			return false;
		p++;
	}
	if (p == s)
		return false;
	*end = p;
	*out = (unsigned)v;
	return true;
}

/* Smooth weighted round robin: each step, every size gains its weight and the one
 * with the most credit is sent and pays the round's length.  Each size is spread
 * evenly over the round; ties go to the earlier (smaller index) size. */
static void build_schedule(struct shape *sh)
{
	long credit[SHAPE_MIX_MAX] = { 0 };

	for (unsigned i = 0; i < sh->period; i++) {
		unsigned best = 0;
		for (unsigned k = 0; k < sh->n; k++) {
			credit[k] += sh->weight[k];
			if (credit[k] > credit[best])
				best = k;
		}
		credit[best] -= (long)sh->period;
		sh->sched[i] = (uint8_t)best;
	}
}

void shape_fixed(struct shape *sh, unsigned size)
{
	memset(sh, 0, sizeof(*sh));
	snprintf(sh->name, sizeof(sh->name), "%u", size);
	sh->n = 1;
	sh->period = 1;
	sh->size[0] = (uint16_t)size;
	sh->weight[0] = 1;
}

int shape_parse(const char *text, struct shape *sh, char *err, size_t errlen)
{
	const char *p = text, *list = text, *name = NULL;
	unsigned size, weight;
	size_t used = 0;

	for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++)
		if (!strcasecmp(text, named[i].name)) {
			name = named[i].name;
			list = p = named[i].list;
		}
	if (parse_uint(p, &p, SHAPE_MAX, &size) && *p == '\0') {
		if (size < SHAPE_MIN) {
			snprintf(err, errlen, "sizes are %d-%d bytes", SHAPE_MIN, SHAPE_MAX);
			return -1;
		}
		shape_fixed(sh, size);
		return 0;
	}
	memset(sh, 0, sizeof(*sh));
	for (p = list;;) {
		if (!parse_uint(p, &p, SHAPE_MAX, &size) || *p != ':' || !parse_uint(p + 1, &p, SHAPE_PERIOD_MAX, &weight) ||
		    (*p != '+' && *p != '\0')) {
			snprintf(err, errlen, "a size is 64-9000, a mix 'imix', 'imix_v4_1' or SIZE:WEIGHT+SIZE:WEIGHT...");
			return -1;
		}
		if (size < SHAPE_MIN || weight == 0) {
			snprintf(err, errlen, "%s", size < SHAPE_MIN ? "sizes are 64-9000 bytes" : "weights are 1 or more");
			return -1;
		}
		for (unsigned k = 0; k < sh->n; k++)
			if (sh->size[k] == size) {
				snprintf(err, errlen, "size %u is listed twice", size);
				return -1;
			}
		if (sh->n == SHAPE_MIX_MAX || sh->period + weight > SHAPE_PERIOD_MAX) {
			snprintf(err, errlen, "at most %d sizes whose weights add up to at most %d", SHAPE_MIX_MAX, SHAPE_PERIOD_MAX);
			return -1;
		}
		sh->size[sh->n] = (uint16_t)size;
		sh->weight[sh->n++] = (uint16_t)weight;
		sh->period += weight;
		if (!name) {
			int w = snprintf(sh->name + used, sizeof(sh->name) - used, "%s%u:%u", used ? "+" : "", size, weight);
			if (w < 0 || (size_t)w >= sizeof(sh->name) - used) {
				snprintf(err, errlen, "the list is too long (at most %zu characters)", sizeof(sh->name) - 1);
				return -1;
			}
			used += (size_t)w;
		}
		if (*p == '\0')
			break;
		p++;
	}
	if (sh->n == 1) {
		shape_fixed(sh, sh->size[0]); /* "64:3" is just 64 bytes */
		return 0;
	}
	if (name)
		snprintf(sh->name, sizeof(sh->name), "%s", name);
	build_schedule(sh);
	return 0;
}

double shape_avg(const struct shape *sh)
{
	double sum = 0;

	for (unsigned k = 0; k < sh->n; k++)
		sum += (double)sh->size[k] * sh->weight[k];
	return sum / sh->period;
}

unsigned shape_max(const struct shape *sh)
{
	unsigned m = 0;

	for (unsigned k = 0; k < sh->n; k++)
		if (sh->size[k] > m)
			m = sh->size[k];
	return m;
}

unsigned shape_min(const struct shape *sh)
{
	unsigned m = SHAPE_MAX;

	for (unsigned k = 0; k < sh->n; k++)
		if (sh->size[k] < m)
			m = sh->size[k];
	return m;
}
