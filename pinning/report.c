/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "pinning/cpuset.h"
#include "base/exitcodes.h"
#include "pinning/report.h"

static const char *const sev_names[] = { "ok", "warn", "fail" };

json_t *report_new(const char *command)
{
	return json_pack("{s:s, s:[]}", "command", command, "findings");
}

json_t *report_add(json_t *rep, const char *id, enum severity sev, const char *hint,
		   const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	json_t *f;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	f = json_pack("{s:s, s:s, s:s, s:s?}", "id", id, "severity", sev_names[sev], "message", msg,
		      "hint", hint);
	if (!f || json_array_append_new(json_object_get(rep, "findings"), f) < 0)
		return NULL;
	return f;
}

static enum severity sev_of(const json_t *f)
{
	const char *s = json_string_value(json_object_get(f, "severity"));

	if (s && strcmp(s, "fail") == 0)
		return SEV_FAIL;
	if (s && strcmp(s, "warn") == 0)
		return SEV_WARN;
	return SEV_OK;
}

enum severity report_worst(const json_t *rep)
{
	enum severity worst = SEV_OK;
	size_t i;
	json_t *f;

	json_array_foreach(json_object_get(rep, "findings"), i, f)
		if (sev_of(f) > worst)
			worst = sev_of(f);
	return worst;
}

unsigned report_count(const json_t *rep, enum severity sev)
{
	unsigned n = 0;
	size_t i;
	json_t *f;

	json_array_foreach(json_object_get(rep, "findings"), i, f)
		n += sev_of(f) == sev;
	return n;
}

json_t *report_find(const json_t *rep, const char *id)
{
	size_t i;
	json_t *f;

	json_array_foreach(json_object_get(rep, "findings"), i, f) {
		const char *fid = json_string_value(json_object_get(f, "id"));
		if (fid && strcmp(fid, id) == 0)
			return f;
	}
	return NULL;
}

void report_print_findings(FILE *out, const json_t *rep)
{
	static const char *const label[] = { "ok", "WARN", "FAIL" };
	size_t i;
	json_t *f;

	json_array_foreach(json_object_get(rep, "findings"), i, f) {
		const char *hint = json_string_value(json_object_get(f, "hint"));
		fprintf(out, "  %-4s  %s  [%s]\n", label[sev_of(f)],
			json_string_value(json_object_get(f, "message")),
			json_string_value(json_object_get(f, "id")));
		if (hint)
			fprintf(out, "        fix: %s\n", hint);
	}
}

int report_exit_status(const json_t *rep, int strict)
{
	enum severity w = report_worst(rep);

	if (w == SEV_FAIL || (strict && w == SEV_WARN))
		return EXIT_FAIL;
	return EXIT_OK;
}

int report_set_cpulist(json_t *obj, const char *key, const struct cpuset *s)
{
	char *list = cpuset_to_list(s);
	int r;

	if (!list)
		return -ENOMEM;
	r = json_object_set_new(obj, key, json_string(list));
	free(list);
	return r < 0 ? -ENOMEM : 0;
}
