/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Guards on a vhost-user connection that DPDK's vhost library leaves open, for both
 * of the reflector's data paths: the library reads a request's payload and writes its
 * replies with blocking calls on the frontend's socket, and notifies the guest by
 * writing to a call fd the frontend chose — so a frontend that sends a header without
 * its payload, never reads its replies, or passes a pipe nobody reads would hold the
 * vhost control thread (every port's requests) or a worker for ever.
 *
 * The library does not tell us its sockets; vuguard_socket finds them among this
 * process's descriptors.
 */
#pragma once
#include <stdbool.h>

/* How long one read or write on a frontend's socket may wait: then it fails, and the
 * library closes the connection. */
#define VUGUARD_TIMEOUT_S 2
/* Bytes of replies a frontend may leave unread (one that waits for its replies leaves
 * one or two of a few hundred bytes) before its connection is shut down. */
#define VUGUARD_UNREAD_MAX (64 * 1024)

/* The connected vhost-user socket(s) of @path in this process (the accepted side of a
 * server, or a client's socket to it), but the @nskip fds in @skip (connections already
 * known): each gets the I/O timeouts.  Its fd, or -1 when none or several matched. */
int vuguard_socket(const char *path, const int *skip, int nskip);

/* Has the frontend on socket @fd left more than VUGUARD_UNREAD_MAX bytes of replies
 * unread?  Then the connection is shut down (the library's next read sees it closed)
 * and true is returned. */
bool vuguard_unread(int fd);

/* Writes to @fd (a guest's call fd) never wait: for an eventfd this changes nothing,
 * a full pipe then loses a notification instead of stopping a worker. */
void vuguard_nonblock(int fd);

/* Every call fd of vhost device @vid made non-blocking. */
void vuguard_callfds(int vid);

/* Guard a connection the reflector's PMD path serves (net_vhost registers its own
 * callbacks, so this is called when its link comes up, from the vhost control
 * thread): the socket's timeouts now, and from its next request on, unread replies
 * checked and new call fds made non-blocking.  0, or -1. */
int vuguard_attach(int vid, const char *path);
