/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Finding a running QEMU's QMP socket: from its command line (-qmp unix:PATH,
 * -chardev socket,path=PATH + -mon chardev=ID,mode=control), or from vmlaunch's
 * state for a VM it launched; and reading the QEMU behind a QMP socket.
 */
#pragma once
#include <stddef.h>
#include <sys/types.h>

#include "pinning/vminfo.h"

/* The QMP socket of QEMU @pid into @path.  0, -ESRCH (no such process), -ENOENT (no QMP
 * socket on its command line and no vmlaunch state names it). */
int qemuproc_qmp_path(pid_t pid, char *path, size_t len);

/* The QEMU behind QMP socket @sock into @vi: its pid from the socket's peer, its
 * threads from /proc, each vCPU's thread from query-cpus-fast (which needs no
 * thread names).  0, or -errno with @msg: -ENOENT/-ECONNREFUSED (nothing there: no
 * such VM), -EIO (QMP failed), -ESRCH (the peer is gone), -EINVAL (QMP names a
 * thread that is not QEMU's). */
int qemuproc_read_vm(const char *sock, struct vminfo *vi, char *msg, size_t len);
