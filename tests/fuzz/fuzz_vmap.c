/* SPDX-License-Identifier: BSD-3-Clause */
/* vCPU maps, dense (launch) and sparse (attach, pincheck vm). */
#include "fuzz.h"
#include "pinning/vmap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_string(data, size), buf[512];
	struct vmap m;
	struct cpuset c;
	struct pin_error err;

	if (!s)
		return 0;
	if (vmap_parse(&m, s, 0, &err) == 0) {
		vmap_format(&m, buf, sizeof(buf));
		vmap_shared(&m, &c);
		vmap_free(&m);
	}
	if (vmap_parse_sparse(&m, s, 16, &err) == 0) {
		vmap_cpus(&m, &c);
		vmap_vcpus(&m, &c);
		vmap_free(&m);
	}
	free(s);
	return 0;
}
