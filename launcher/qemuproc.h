/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Finding a running QEMU's QMP socket: from its command line (-qmp unix:PATH,
 * -chardev socket,path=PATH + -mon chardev=ID,mode=control), or from vmlaunch's
 * state for a VM it launched.
 */
#pragma once
#include <stddef.h>
#include <sys/types.h>

/* The QMP socket of QEMU @pid into @path.  0, -ESRCH (no such process), -ENOENT (no QMP
 * socket on its command line and no vmlaunch state names it). */
int qemuproc_qmp_path(pid_t pid, char *path, size_t len);
