/* SPDX-License-Identifier: BSD-3-Clause */
/* Every number a user types: counts, seconds, rates, sizes, frame sizes and mixes. */
#include "fuzz.h"
#include "hugepages/hp.h"
#include "base/numparse.h"
#include "bench/shape.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_string(data, size);
	unsigned long long u;
	double d, pps, bps;
	uint64_t bytes;
	unsigned long kb;
	struct shape sh;
	char err[160];

	if (!s)
		return 0;
	num_parse_uint(s, 1, 1000, &u);
	num_parse_double(s, 0, 100, &d);
	num_parse_seconds(s, false, 3600, &d);
	num_parse_rate(s, &pps, &bps);
	num_parse_pps(s, &pps);
	hp_parse_size(s, &bytes, NULL);
	hp_parse_page_size(s, &kb, NULL);
	if (shape_parse(s, &sh, err, sizeof(err)) == 0 && (sh.period == 0 || sh.period > SHAPE_PERIOD_MAX || sh.n == 0))
		abort(); /* a parsed shape always has a round to send */
	free(s);
	return 0;
}
