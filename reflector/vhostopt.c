/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/numparse.h"
#include "reflector/vhostopt.h"

int vhostopt_parse(const char *spec, struct vhostopt *o, struct pin_error *err)
{
	size_t plen = strcspn(spec, ",");
	const char *opts = spec[plen] ? spec + plen + 1 : "";

	memset(o, 0, sizeof(*o));
	if (plen == 0)
		return pin_fail(err, -EINVAL, 0, "no socket NAME or PATH");
	o->is_path = memchr(spec, '/', plen) != NULL;
	/* A NAME becomes DIR/NAME.sock: leave room for both in a socket path. */
	if (plen >= (o->is_path ? sizeof(o->name) : sizeof(o->name) - 40))
		return pin_fail(err, -ENAMETOOLONG, 0, "socket path longer than %zu bytes", sizeof(o->name) - 1);
	if (!o->is_path && strspn(spec, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != plen)
		return pin_fail(err, -EINVAL, 0, "a socket NAME is letters, digits, '_', '.' and '-' (or give a PATH)");
	memcpy(o->name, spec, plen);
	o->name[plen] = '\0';
	while (*opts) {
		size_t n = strcspn(opts, ",");
		char opt[32];
		unsigned long long q;
		if (n >= sizeof(opt))
			return pin_fail(err, -EINVAL, 0, "unknown option '%.*s...' (queues=N, client)", 16, opts);
		memcpy(opt, opts, n);
		opt[n] = '\0';
		if (!strcmp(opt, "client"))
			o->client = true;
		else if (!strncmp(opt, "queues=", 7) && num_parse_uint(opt + 7, 1, VHOSTOPT_MAX_QUEUES, &q) == 0)
			o->queues = (unsigned)q;
		else
			return pin_fail(err, -EINVAL, 0, "bad option '%s' (queues=1-%d, client)", opt, VHOSTOPT_MAX_QUEUES);
		opts += n + (opts[n] == ',');
	}
	return 0;
}
