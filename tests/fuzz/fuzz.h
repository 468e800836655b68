/* SPDX-License-Identifier: BSD-3-Clause */
/* A fuzz target: libFuzzer calls it with arbitrary bytes (make fuzz), and
 * driver.c replays the seed corpus and past crashes through it (make check). */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input as a NUL-terminated string (inputs with a NUL are cut there), malloc'd. */
static inline char *fuzz_string(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s) {
		memcpy(s, data, size);
		s[size] = '\0';
	}
	return s;
}
