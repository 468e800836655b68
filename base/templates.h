/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Where the files users edit are found (templates/KIND/NAME.conf): in
 * $PINLAB_TEMPLATES/KIND, in the source tree next to the running binary
 * (build/bin/X -> templates/KIND), then in the install's DATADIR/templates/KIND.
 */
#pragma once
#include <stddef.h>

#include "base/error.h"

/* The path of template NAME of KIND ("qemu", "bench") into @path.  A NAME with a '/'
 * or ending in ".conf" is a file and taken as it is.  0, or -ENOENT with @err naming
 * the templates of that kind that do exist, or -ENAMETOOLONG. */
int tmpl_find(const char *kind, const char *name, char *path, size_t len, struct pin_error *err);

/* The directory of @kind's templates that tmpl_find would look in first and that
 * exists, into @dir.  0 or -ENOENT. */
int tmpl_dir(const char *kind, char *dir, size_t len);
