/* SPDX-License-Identifier: BSD-3-Clause */
/* The guest's results port, as bytes arrive in pieces. */
#include "fuzz.h"
#include "bench/guestport.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gport g;
	char *line;
	size_t off = 0;

	gport_init(&g);
	/* Fed in chunks whose sizes come from the input itself. */
	while (off < size) {
		size_t n = 1 + data[off] % 64;
		if (n > size - off)
			n = size - off;
		if (gport_feed(&g, (const char *)data + off, n) < 0)
			break;
		off += n;
		while (gport_next(&g, &line) == 1)
			;
	}
	gport_free(&g);
	return 0;
}
