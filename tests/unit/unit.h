/* SPDX-License-Identifier: BSD-3-Clause */
/* Common includes for the cmocka unit tests. */
#pragma once
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

/* Assert that a parse failed with @code and that its message contains @needle. */
#define assert_parse_error(call, err, code, needle) do { \
		assert_int_equal((call), (code)); \
		if (!strstr((err).msg, (needle))) \
			fail_msg("message '%s' lacks '%s'", (err).msg, (needle)); \
	} while (0)
