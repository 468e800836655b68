/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/numparse.h"

int num_parse_uint(const char *s, unsigned long long min, unsigned long long max, unsigned long long *out)
{
	char *end;
	unsigned long long v;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL; /* no sign, no space: strtoull would take " -1" as a huge number */
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end)
		return -EINVAL;
	if (errno == ERANGE || v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

/* strtod on the leading number of @s; *end after it.  -EINVAL when there is none. */
static int leading_double(const char *s, double *v, char **end)
{
	if (!s || !*s || strchr(" \t\n", *s))
		return -EINVAL;
	errno = 0;
	*v = strtod(s, end);
	if (*end == s)
		return -EINVAL;
	/* "nan", "inf", "infinity" and overflow ("1e999") are not numbers a user means. */
	if (!isfinite(*v) || errno == ERANGE)
		return -ERANGE;
	return 0;
}

int num_parse_double(const char *s, double min, double max, double *out)
{
	char *end;
	double v;
	int r = leading_double(s, &v, &end);

	if (r < 0)
		return r;
	if (*end)
		return -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int num_parse_seconds(const char *s, bool zero_ok, double max, double *out)
{
	double v;
	int r = num_parse_double(s, 0, max, &v);

	if (r < 0)
		return r;
	if (v == 0 && !zero_ok)
		return -ERANGE;
	*out = v;
	return 0;
}

int num_parse_rate(const char *s, double *pps, double *bps)
{
	char *end;
	double v, mult = 1;
	int r = leading_double(s, &v, &end);

	*pps = *bps = 0;
	if (r < 0)
		return r;
	if (*end == 'k' || *end == 'K')
		mult = 1e3, end++;
	else if (*end == 'M')
		mult = 1e6, end++;
	else if (*end == 'G')
		mult = 1e9, end++;
	v *= mult;
	if (!strcmp(end, "pps")) {
		if (!(v > 0) || v > NUM_MAX_PPS)
			return -ERANGE;
		*pps = v;
	} else if (!strcmp(end, "bps")) {
		if (!(v > 0) || v > NUM_MAX_BPS)
			return -ERANGE;
		*bps = v;
	} else {
		return -EINVAL;
	}
	return 0;
}

int num_parse_pps(const char *s, double *pps)
{
	double bps;
	int r = num_parse_rate(s, pps, &bps);

	if (r == 0 && bps > 0)
		return -EINVAL;
	return r;
}

int num_parse_mode(const char *s, unsigned max, unsigned *out)
{
	unsigned v = 0;

	if (!s || !*s)
		return -EINVAL;
	for (const char *c = s; *c; c++) {
		if (*c < '0' || *c > '7')
			return -EINVAL;
		v = v * 8 + (unsigned)(*c - '0');
		if (v > max)
			return -ERANGE;
	}
	if (v == 0)
		return -ERANGE;
	*out = v;
	return 0;
}

int num_parse_pct_list(const char *s, double *out, unsigned max, unsigned *n)
{
	char buf[256], *tok, *next;
	unsigned k = 0;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	snprintf(buf, sizeof(buf), "%s", s);
	for (tok = buf; tok; tok = next) {
		double v;
		if ((next = strchr(tok, ',')))
			*next++ = '\0';
		if (num_parse_double(tok, 0, 100, &v) < 0 || k == max || (k && v <= out[k - 1]))
			return -EINVAL;
		out[k++] = v;
	}
	*n = k;
	return 0;
}
