/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdarg.h>
#include <stdio.h>

#include "base/error.h"

int pin_fail(struct pin_error *err, int ret, size_t pos, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return ret;
	err->pos = pos;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return ret;
}
