/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What every program's main() prints when something is wrong: one line that
 * starts with the program's name.  The only printing code in this library, and
 * only programs call it.
 */
#pragma once

/* The program's name, set first thing in main(). */
extern const char *cli_prog;

/* "PROG: MESSAGE" and "Try 'PROG --help' for more information." on stderr; returns EXIT_USAGE. */
int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "PROG: MESSAGE" on stderr; returns @code. */
int cli_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* "PROG (pinlab) VERSION" on stdout, for --version; returns EXIT_OK. */
int cli_version(void);

/* "Try 'PROG --help' for more information." on stderr, after getopt's own complaint;
 * returns EXIT_USAGE. */
int cli_try_help(void);

/* "PROG: warning: MESSAGE" on stderr. */
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
