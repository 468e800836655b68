/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdlib.h>

#include "base/fsutil.h"
#include "base/prom.h"

int prom_begin(struct prom *p)
{
	p->text = NULL;
	p->len = 0;
	p->m = open_memstream(&p->text, &p->len);
	return p->m ? 0 : -ENOMEM;
}

void prom_family(struct prom *p, const char *name, const char *type, const char *help)
{
	fprintf(p->m, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void escaped(FILE *m, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			fprintf(m, "\\%c", *v);
		else if (*v == '\n')
			fputs("\\n", m);
		else
			fputc(*v, m);
	}
}

void prom_sample(struct prom *p, const char *name, double value, const char *const *labels)
{
	int n = 0;

	fputs(name, p->m);
	for (; labels && labels[0] && labels[1]; labels += 2) {
		fprintf(p->m, "%s%s=\"", n++ ? "," : "{", labels[0]);
		escaped(p->m, labels[1]);
		fputc('"', p->m);
	}
	fprintf(p->m, "%s %.17g\n", n ? "}" : "", value);
}

int prom_commit(struct prom *p, const char *path)
{
	int r;

	if (fclose(p->m) != 0) {
		free(p->text);
		return -ENOMEM;
	}
	r = fs_replace_file(path, p->text, p->len, 0644);
	free(p->text);
	return r;
}

void prom_discard(struct prom *p)
{
	fclose(p->m);
	free(p->text);
}
