#include <stdarg.h>
#include <stdio.h>

#include "cli.h"
#include "exitcodes.h"

const char *cli_prog = "pinlab";

static void say(const char *what, const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: %s", cli_prog, what);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
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
