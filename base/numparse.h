/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Strict number parsing for every option and profile value: the whole string,
 * no sign where none makes sense, finite, inside a stated range, units where the
 * value has them.  One set of parsers for all programs.
 */
#pragma once
#include <stdbool.h>

/* Upper bounds a rate may have: faster than any NIC today, so a typo is caught. */
#define NUM_MAX_PPS 2e9   /* 2 Gpps */
#define NUM_MAX_BPS 2e12  /* 2 Tb/s (L1) */

/* A decimal integer in [min, max].  0, -EINVAL (not a number) or -ERANGE. */
int num_parse_uint(const char *s, unsigned long long min, unsigned long long max, unsigned long long *out);

/* A finite decimal number in [min, max] ("nan", "inf" and "1e999" are refused).
 * 0, -EINVAL or -ERANGE. */
int num_parse_double(const char *s, double min, double max, double *out);

/* Seconds: a finite number in [0, max], or (0, max] unless @zero_ok.  0, -EINVAL or -ERANGE. */
int num_parse_seconds(const char *s, bool zero_ok, double max, double *out);

/* A rate: N[k|M|G]pps (frames per second) or N[k|M|G]bps (bits per second, L1).
 * Exactly one of *pps and *bps is set, the other 0.  More than 0, at most
 * NUM_MAX_PPS / NUM_MAX_BPS.  0, -EINVAL or -ERANGE. */
int num_parse_rate(const char *s, double *pps, double *bps);

/* An octal file mode, 1 to @max ("0660", "770").  0, -EINVAL or -ERANGE. */
int num_parse_mode(const char *s, unsigned max, unsigned *out);

/* A rate in frames per second only: N[k|M|G]pps.  0, -EINVAL or -ERANGE. */
int num_parse_pps(const char *s, double *pps);

/* A comma-separated list of percentages in [0, 100], strictly ascending, at most
 * @max of them ("0,10,50,90").  0 with *@n set, or -EINVAL. */
int num_parse_pct_list(const char *s, double *out, unsigned max, unsigned *n);
