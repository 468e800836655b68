/* SPDX-License-Identifier: BSD-3-Clause */
/* CPU lists and masks: the kernel's command line and sysfs, and every option taking CPUs. */
#include "pinning/cpuset.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_string(data, size), buf[256];
	struct cpuset c;
	struct pin_error err;

	if (!s)
		return 0;
	if (cpuset_parse_list(&c, s, 0, &err) == 0)
		cpuset_format_list(&c, buf, sizeof(buf));
	cpuset_parse_list(&c, s, 8, &err);
	cpuset_parse_mask(&c, s, 0, &err);
	cpuset_parse(&c, s, 64, NULL);
	free(s);
	return 0;
}
