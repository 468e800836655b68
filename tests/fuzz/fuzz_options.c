/* SPDX-License-Identifier: BSD-3-Clause */
/* Option values with sub-options: the reflector's --vhost, vmlaunch's --vhost-user. */
#include "fuzz.h"
#include "launcher/qemucmd.h"
#include "reflector/vhostopt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_string(data, size), esc[256];
	struct vhostopt o;
	struct vhost_user v;
	struct pin_error err;

	if (!s)
		return 0;
	vhostopt_parse(s, &o, &err);
	qemucmd_parse_vhost(s, &v, &err);
	qemucmd_escape(s, esc, sizeof(esc));
	free(s);
	return 0;
}
