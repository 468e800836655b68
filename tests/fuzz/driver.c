/* SPDX-License-Identifier: BSD-3-Clause */
/* Replay fuzz inputs through a target without libFuzzer: each file named on the
 * command line (or each file in a directory named there) is one test, reported
 * as TAP.  A crash or a sanitizer report fails the run. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static unsigned n;

static int run(const char *path)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf;
	long len;

	if (!f) {
		printf("not ok %u - %s: cannot read\n", ++n, path);
		return 1;
	}
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	buf = malloc(len > 0 ? (size_t)len : 1);
	if (!buf || (len > 0 && fread(buf, 1, (size_t)len, f) != (size_t)len)) {
		fclose(f);
		free(buf);
		printf("not ok %u - %s: cannot read\n", ++n, path);
		return 1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, (size_t)len);
	free(buf);
	printf("ok %u - %s\n", ++n, path);
	fflush(stdout);
	return 0;
}

/* Append @p (taken) to the list.  0, or -1 (and @p freed) when out of memory. */
static int push(char ***files, size_t *nf, char *p)
{
	char **f = p ? realloc(*files, (*nf + 1) * sizeof(**files)) : NULL;

	if (!f) {
		free(p);
		return -1;
	}
	f[(*nf)++] = p;
	*files = f;
	return 0;
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
	char **files = NULL;
	size_t nf = 0;
	int bad = 0;
#ifdef FUZZ_CORPUS
	char *dflt[] = { argv[0], FUZZ_CORPUS, NULL };

	if (argc == 1) {
		/* Without arguments: this target's corpus in the source tree. */
		argc = 2;
		argv = dflt;
	}
#endif

	for (int i = 1; i < argc; i++) {
		struct stat st;
		DIR *d;
		struct dirent *de;
		if (stat(argv[i], &st) < 0 || !S_ISDIR(st.st_mode)) {
			bad |= push(&files, &nf, strdup(argv[i]));
			continue;
		}
		d = opendir(argv[i]);
		while (d && (de = readdir(d))) {
			char *p;
			if (de->d_name[0] == '.')
				continue;
			if (asprintf(&p, "%s/%s", argv[i], de->d_name) < 0)
				p = NULL;
			bad |= push(&files, &nf, p);
		}
		if (d)
			closedir(d);
	}
	if (nf)
		qsort(files, nf, sizeof(*files), cmp);
	printf("1..%zu\n", nf);
	for (size_t i = 0; i < nf; i++) {
		bad |= run(files[i]);
		free(files[i]);
	}
	free(files);
	return bad;
}
