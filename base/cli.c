/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdarg.h>
#include <stdio.h>

#include "base/cli.h"
#include "base/exitcodes.h"
#include "base/sbuf.h"

const char *cli_prog = "pinlab";

/* One line, whatever the message holds: a value echoed from the user (an argument
 * with a newline, a file name with an escape sequence) is escaped, never printed raw. */
static void say(const char *what, const char *fmt, va_list ap)
{
	char msg[2048], line[4096];
	struct sbuf sb;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	sbuf_init(&sb, line, sizeof(line));
	sbuf_add_escaped(&sb, msg);
	fprintf(stderr, "%s: %s%s\n", cli_prog, what, line);
}

int cli_usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say("", fmt, ap);
	va_end(ap);
	return cli_try_help();
}

int cli_fail(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say("", fmt, ap);
	va_end(ap);
	return code;
}

int cli_version(void)
{
	printf("%s (pinlab) %s\n", cli_prog, PROJECT_VERSION);
	return EXIT_OK;
}

int cli_try_help(void)
{
	fprintf(stderr, "Try '%s --help' for more information.\n", cli_prog);
	return EXIT_USAGE;
}

void cli_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say("warning: ", fmt, ap);
	va_end(ap);
}
