/* SPDX-License-Identifier: BSD-3-Clause */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <linux/sockios.h>

#include <rte_vhost.h>

#include "reflector/vuguard.h"

#define MAX_VID 1024            /* DPDK's vhost devices at most (MAX_VHOST_DEVICE) */
#define VU_SET_VRING_CALL 13    /* the protocol's number: rte_vhost.h does not export it */

/* Does the socket @fd's own (or peer's, @peer) address name @path? */
static bool names(int fd, bool peer, const char *path)
{
	struct sockaddr_un a;
	socklen_t al = sizeof(a);
	size_t n;

	if ((peer ? getpeername(fd, (struct sockaddr *)&a, &al) : getsockname(fd, (struct sockaddr *)&a, &al)) < 0 ||
	    al <= offsetof(struct sockaddr_un, sun_path) || al > sizeof(a))
		return false;
	n = strnlen(a.sun_path, al - offsetof(struct sockaddr_un, sun_path));
	return n == strlen(path) && !memcmp(a.sun_path, path, n);
}

static bool sockopt_is(int fd, int opt, int want)
{
	int v;
	socklen_t l = sizeof(v);

	return getsockopt(fd, SOL_SOCKET, opt, &v, &l) == 0 && v == want;
}

int vuguard_socket(const char *path, const int *skip, int nskip)
{
	const struct timeval tv = { .tv_sec = VUGUARD_TIMEOUT_S };
	DIR *dir = opendir("/proc/self/fd"); /* this process's own descriptors */
	struct dirent *e;
	int found = -1, n = 0;

	if (!dir)
		return -1;
	while ((e = readdir(dir))) {
		char *end;
		long k = strtol(e->d_name, &end, 10);
		int fd;
		if (*end || end == e->d_name || k < 0 || k > INT_MAX || (fd = (int)k) == dirfd(dir))
			continue;
		/* Connected AF_UNIX stream sockets, not the listening one. */
		if (!sockopt_is(fd, SO_DOMAIN, AF_UNIX) || !sockopt_is(fd, SO_TYPE, SOCK_STREAM) ||
		    !sockopt_is(fd, SO_ACCEPTCONN, 0))
			continue;
		if (!names(fd, false, path) && !names(fd, true, path))
			continue;
		for (int i = 0; i < nskip; i++)
			if (skip[i] == fd)
				goto next;
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		found = fd;
		n++;
next:;
	}
	closedir(dir);
	return n == 1 ? found : -1;
}

bool vuguard_unread(int fd)
{
	int unread;

	if (fd < 0 || ioctl(fd, SIOCOUTQ, &unread) < 0 || unread <= VUGUARD_UNREAD_MAX)
		return false;
	shutdown(fd, SHUT_RDWR);
	return true;
}

void vuguard_nonblock(int fd)
{
	int fl;

	if (fd >= 0 && (fl = fcntl(fd, F_GETFL)) >= 0 && !(fl & O_NONBLOCK))
		(void)fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

void vuguard_callfds(int vid)
{
	const uint16_t n = rte_vhost_get_vring_num(vid);

	for (uint16_t i = 0; i < n; i++) {
		struct rte_vhost_vring vr;
		if (rte_vhost_get_vhost_vring(vid, i, &vr) == 0)
			vuguard_nonblock(vr.callfd);
	}
}

/* The sockets of attached devices, plus one (0: none); the control thread's only. */
static int attached[MAX_VID];

static enum rte_vhost_msg_result guard_pre(int vid, void *msg)
{
	(void)msg;
	if (vid >= 0 && vid < MAX_VID && attached[vid] > 0 && vuguard_unread(attached[vid] - 1))
		attached[vid] = 0;
	return RTE_VHOST_MSG_RESULT_NOT_HANDLED;
}

static enum rte_vhost_msg_result guard_post(int vid, void *msg)
{
	uint32_t request;

	memcpy(&request, msg, sizeof(request)); /* VhostUserMsg starts with its request */
	if (request == VU_SET_VRING_CALL)
		vuguard_callfds(vid);
	return RTE_VHOST_MSG_RESULT_NOT_HANDLED;
}

static const struct rte_vhost_user_extern_ops guard_hooks = {
	.pre_msg_handle = guard_pre,
	.post_msg_handle = guard_post,
};

int vuguard_attach(int vid, const char *path)
{
	int fd;

	if (vid < 0 || vid >= MAX_VID)
		return -1;
	fd = vuguard_socket(path, NULL, 0);
	attached[vid] = fd + 1;
	vuguard_callfds(vid);
	return rte_vhost_extern_callback_register(vid, &guard_hooks, NULL);
}
