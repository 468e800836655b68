/* SPDX-License-Identifier: BSD-3-Clause */
/* The base helpers every program uses: strict numbers, bounded strings, file
 * operations that follow no link and check every write. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fsutil.h"
#include "base/numparse.h"
#include "base/prom.h"
#include "base/sbuf.h"
#include "unit.h"

static void test_numbers(void **state)
{
	unsigned long long u;
	double d, pps, bps;
	unsigned m;

	(void)state;
	assert_int_equal(num_parse_uint("42", 1, 100, &u), 0);
	assert_int_equal(u, 42);
	assert_int_equal(num_parse_uint("0", 1, 100, &u), -ERANGE);
	assert_int_equal(num_parse_uint("-1", 0, 100, &u), -EINVAL);
	assert_int_equal(num_parse_uint(" 1", 0, 100, &u), -EINVAL);
	assert_int_equal(num_parse_uint("1 ", 0, 100, &u), -EINVAL);
	assert_int_equal(num_parse_uint("1e3", 0, 10000, &u), -EINVAL);
	assert_int_equal(num_parse_uint("99999999999999999999999", 0, ~0ULL, &u), -ERANGE);
	assert_int_equal(num_parse_uint("", 0, 100, &u), -EINVAL);
	/* Not numbers a user means: refused, not crashed on. */
	assert_int_equal(num_parse_double("nan", 0, 10, &d), -ERANGE);
	assert_int_equal(num_parse_double("inf", 0, 10, &d), -ERANGE);
	assert_int_equal(num_parse_double("1e999", 0, 10, &d), -ERANGE);
	assert_int_equal(num_parse_double("0x10", 0, 100, &d), 0); /* strtod's hex: a finite number */
	assert_int_equal(num_parse_seconds("0", false, 10, &d), -ERANGE);
	assert_int_equal(num_parse_seconds("0", true, 10, &d), 0);
	assert_int_equal(num_parse_seconds("2.5", false, 10, &d), 0);
	assert_true(d == 2.5);
	/* Rates with units, and a ceiling. */
	assert_int_equal(num_parse_rate("10Mpps", &pps, &bps), 0);
	assert_true(pps == 10e6 && bps == 0);
	assert_int_equal(num_parse_rate("2.5Gbps", &pps, &bps), 0);
	assert_true(bps == 2.5e9 && pps == 0);
	assert_int_equal(num_parse_rate("1e308Gbps", &pps, &bps), -ERANGE);
	assert_int_equal(num_parse_rate("0pps", &pps, &bps), -ERANGE);
	assert_int_equal(num_parse_rate("-1Mpps", &pps, &bps), -ERANGE);
	assert_int_equal(num_parse_rate("nanpps", &pps, &bps), -ERANGE);
	assert_int_equal(num_parse_rate("10Mbit", &pps, &bps), -EINVAL);
	assert_int_equal(num_parse_pps("1Gbps", &pps), -EINVAL);
	assert_int_equal(num_parse_mode("0660", 0777, &m), 0);
	assert_int_equal(m, 0660);
	assert_int_equal(num_parse_mode("0800", 0777, &m), -EINVAL);
	assert_int_equal(num_parse_mode("7777", 0777, &m), -ERANGE);
	assert_int_equal(num_parse_mode("0", 0777, &m), -ERANGE);
}

static void test_pct_list(void **state)
{
	double v[4];
	unsigned n = 99;

	(void)state;
	assert_int_equal(num_parse_pct_list("0,10,50,90", v, 4, &n), 0);
	assert_int_equal(n, 4);
	assert_true(v[0] == 0 && v[1] == 10 && v[2] == 50 && v[3] == 90);
	assert_int_equal(num_parse_pct_list("99.5", v, 4, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(num_parse_pct_list("0,10,50,90,95", v, 4, &n), -EINVAL); /* too many */
	assert_int_equal(num_parse_pct_list("50,10", v, 4, &n), -EINVAL);         /* descending */
	assert_int_equal(num_parse_pct_list("10,10", v, 4, &n), -EINVAL);         /* repeated */
	assert_int_equal(num_parse_pct_list("101", v, 4, &n), -EINVAL);
	assert_int_equal(num_parse_pct_list("10,,50", v, 4, &n), -EINVAL);
	assert_int_equal(num_parse_pct_list("", v, 4, &n), -EINVAL);
	assert_int_equal(num_parse_pct_list("nan", v, 4, &n), -EINVAL);
}

static void test_sbuf(void **state)
{
	char buf[8];
	struct sbuf sb;

	(void)state;
	sbuf_init(&sb, buf, sizeof(buf));
	assert_int_equal(sbuf_addf(&sb, "%d", 123), 0);
	assert_int_equal(sbuf_addf(&sb, ",%s", "456"), 0);
	assert_string_equal(buf, "123,456");
	/* Full: cut short, marked, and never extended afterwards. */
	assert_int_equal(sbuf_addf(&sb, "7"), -ENOSPC);
	assert_string_equal(buf, "123,456");
	assert_int_equal(sbuf_addn(&sb, "x", 1), -ENOSPC);
	assert_int_equal(sbuf_status(&sb), -ENOSPC);
	{
		char big[64];
		sbuf_init(&sb, big, sizeof(big));
		assert_int_equal(sbuf_add_escaped(&sb, "a\nb\t\\c\x1b[31m\xc3\xa9"), 0);
		assert_string_equal(big, "a\\nb\\t\\\\c\\x1b[31m\xc3\xa9");
	}
}

static void test_fsutil(void **state)
{
	char dir[] = "/tmp/pinlab-unit-XXXXXX", path[PATH_MAX], victim[PATH_MAX], link[PATH_MAX];
	struct stat st;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	/* A tree with a link out of it: removed, the link's target left alone. */
	snprintf(victim, sizeof(victim), "%s.victim", dir);
	assert_int_equal(fs_write_file(victim, "keep", 4, 0600), 0);
	snprintf(path, sizeof(path), "%s/a/b/c", dir);
	assert_int_equal(fs_mkdir_parents(path, 0755), 0);
	snprintf(link, sizeof(link), "%s/a/link", dir);
	assert_int_equal(symlink(victim, link), 0);
	snprintf(path, sizeof(path), "%s/a/b/c/file", dir);
	assert_int_equal(fs_write_file(path, "x", 1, 0644), 0);
	/* fs_write_file creates, never overwrites, never follows a link. */
	assert_int_equal(fs_write_file(path, "y", 1, 0644), -EEXIST);
	assert_int_equal(fs_write_file(link, "y", 1, 0644), -EEXIST);
	f = fs_create(link, 0644);
	assert_null(f);
	assert_int_equal(fs_remove_tree(dir), 0);
	assert_int_equal(lstat(dir, &st), -1);
	assert_int_equal(stat(victim, &st), 0);
	assert_int_equal(st.st_size, 4);
	assert_int_equal(fs_remove_tree(dir), 0); /* gone already: fine */
	unlink(victim);
	/* A full device: the write fails, and nothing is left. */
	assert_int_equal(fs_write_file("/dev/full/x", "x", 1, 0644), -ENOTDIR);
	f = fopen("/dev/full", "w");
	if (f) {
		fputs("x", f);
		assert_int_equal(fs_close(f), -ENOSPC);
	}
	/* A socket nobody listens on. */
	assert_int_equal(fs_socket_probe("/nonexistent/s.sock", NULL), 0);
	assert_int_equal(fs_socket_probe("/etc/passwd", NULL), -ENOTSOCK);
}

static void test_prom(void **state)
{
	char dir[] = "/tmp/pinlab-unit-XXXXXX", path[PATH_MAX], text[512], link[PATH_MAX];
	struct prom pm;
	FILE *f;
	size_t n;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/x.prom", dir);
	assert_int_equal(prom_begin(&pm), 0);
	prom_family(&pm, "a_total", "counter", "A count.");
	prom_sample(&pm, "a_total", 42, (const char *const[]){ "name", "q\"uote\\back\nline", "queue", "0", NULL });
	prom_sample(&pm, "b", 0.5, NULL);
	assert_int_equal(prom_commit(&pm, path), 0);
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);
	/* Label values escaped as the exposition format says: \\, \", \n. */
	assert_string_equal(text, "# HELP a_total A count.\n# TYPE a_total counter\n"
				  "a_total{name=\"q\\\"uote\\\\back\\nline\",queue=\"0\"} 42\nb 0.5\n");
	/* Replaced whole, again and again; a link at the path is replaced, its target untouched. */
	snprintf(link, sizeof(link), "%s/target", dir);
	assert_int_equal(fs_write_file(link, "keep", 4, 0600), 0);
	unlink(path);
	assert_int_equal(symlink(link, path), 0);
	assert_int_equal(fs_replace_file(path, "new\n", 4, 0644), 0);
	f = fopen(link, "r");
	assert_non_null(f);
	n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);
	assert_string_equal(text, "keep");
	/* A directory that is not there: an error, nothing created. */
	snprintf(text, sizeof(text), "%s/none/x.prom", dir);
	assert_int_equal(fs_replace_file(text, "x", 1, 0644), -ENOENT);
	assert_int_equal(fs_remove_tree(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_pct_list),
		cmocka_unit_test(test_sbuf),
		cmocka_unit_test(test_fsutil),
		cmocka_unit_test(test_prom),
	};
	return cmocka_run_group_tests_name("base", tests, NULL, NULL);
}
