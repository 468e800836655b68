/* SPDX-License-Identifier: BSD-3-Clause */
/* What a QMP peer sends: greeting, replies, events, garbage, all in one stream. */
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz.h"
#include "launcher/qmp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qmp_error err;
	struct qmp_vcpu *v;
	struct qmp *q;
	json_t *ret;
	int sv[2];

	if (size > 60000 || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return 0;
	/* The whole conversation is there at once; then the peer hangs up. */
	if (write(sv[1], data, size) != (ssize_t)size) {
		close(sv[0]);
		close(sv[1]);
		return 0;
	}
	shutdown(sv[1], SHUT_WR);
	q = qmp_open_fd(sv[0], 50, &err);
	if (q) {
		qmp_set_timeout(q, 50);
		if (qmp_query_vcpus(q, &v, &err) >= 0)
			free(v);
		if (qmp_execute(q, "query-status", NULL, &ret, &err) == 0)
			json_decref(ret);
		json_decref(qmp_next_event(q));
		qmp_close(q);
	} else {
		close(sv[0]);
	}
	close(sv[1]);
	return 0;
}
