#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <ini.h>

#include "inifile.h"

struct ini_ctx {
	FILE *f;
	const char *path;
	int line;
	ini_key_fn fn;
	void *ctx;
	struct pin_error *err;
	int failed;
};

/* fgets, counting lines. */
static char *reader(char *str, int num, void *stream)
{
	struct ini_ctx *c = stream;
	char *r = fgets(str, num, c->f);

	if (r)
		c->line++;
	return r;
}

static int handler(void *user, const char *section, const char *key, const char *value)
{
	struct ini_ctx *c = user;

	if (!c->failed && c->fn(c->ctx, c->path, c->line, section, key, value, c->err) < 0)
		c->failed = 1;
	return 1; /* go on: the first error is the one reported */
}

int ini_load(const char *path, ini_key_fn fn, void *ctx, struct pin_error *err)
{
	struct ini_ctx c = { .path = path, .fn = fn, .ctx = ctx, .err = err };
	int r;

	c.f = fopen(path, "re");
	if (!c.f)
		return pin_fail(err, -ENOENT, 0, "cannot read %s: %s", path, strerror(errno));
	r = ini_parse_stream(reader, &c, handler, &c);
	fclose(c.f);
	if (c.failed)
		return -EINVAL;
	if (r > 0)
		return pin_fail(err, -EINVAL, (size_t)r, "%s:%d: not an INI line (KEY = VALUE or [SECTION])", path, r);
	return 0;
}
