/* SPDX-License-Identifier: BSD-3-Clause */
/* Profiles: the INI reader and both profile grammars (bench and QEMU). */
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "base/inifile.h"
#include "bench/profile.h"
#include "launcher/qemucmd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("profile", MFD_CLOEXEC);
	char path[64], args[1024];
	struct profile p;
	struct vm_config c;
	struct pin_error err;

	if (fd < 0)
		return 0;
	if (write(fd, data, size) == (ssize_t)size) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		if (profile_load(&p, path, &err) == 0)
			profile_free(&p);
		qemucmd_defaults(&c);
		qemucmd_load_profile(&c, path, args, sizeof(args), &err);
	}
	close(fd);
	return 0;
}
