/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vhu — a hostile vhost-user frontend for the reflector's tests.  It speaks the
 * protocol itself (no DPDK, no QEMU): guest memory is a memfd it shares, the split
 * rings are laid out by hand in it, and it can send what no well-behaved driver
 * would: descriptors whose lengths wrap 32 bits, frames of gigabytes, indirect tables
 * of 4 GiB, rings that leave guest memory, a second connection, requests that fail,
 * a disabled TX ring, a header without its payload, a flood of requests whose replies
 * it never reads, a call fd that is a pipe nobody reads; or a probe's connection that
 * closes at once, right before the real frontend.
 *
 *   vhu SOCKET SCENARIO [--frames N] [--timeout SECONDS]
 *
 * Between the bad steps it sends good 64-byte frames and counts what comes back, so a
 * test sees that the port still works (or, where it must not, that it does not).
 * Output: one "key value..." line per step, e.g. "good 100 100" (sent, received).
 * Exit 0 when the scenario ran to its end (what the reflector did is for the test to
 * judge), 1 when the reflector broke the scenario (closed the connection early),
 * 2 for a usage error.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

/* The protocol, as the vhost-user specification has it. */
enum {
	GET_FEATURES = 1, SET_FEATURES = 2, SET_OWNER = 3, SET_MEM_TABLE = 5, SET_VRING_NUM = 8,
	SET_VRING_ADDR = 9, SET_VRING_BASE = 10, SET_VRING_KICK = 12, SET_VRING_CALL = 13,
	GET_PROTOCOL_FEATURES = 15, SET_PROTOCOL_FEATURES = 16, SET_VRING_ENABLE = 18,
};
#define F_VERSION 0x1
#define F_REPLY 0x4
#define F_NEED_REPLY 0x8
#define PROTOCOL_FEATURES_BIT 30
#define PROTOCOL_F_REPLY_ACK 3
#define LOG_ALL_BIT 26

struct region {
	uint64_t gpa, size, uaddr, offset;
};

struct msg {
	uint32_t request, flags, size;
	union {
		uint64_t u64;
		struct { uint32_t index, num; } state;
		struct { uint32_t index, flags; uint64_t desc, used, avail, log; } addr;
		struct { uint32_t n, pad; struct region r[8]; } mem;
	} p;
} __attribute__((packed));

#define HDR 12                    /* virtio-net header with VERSION_1 */
#define RING 256
#define MEM_SIZE (8u << 20)
/* Guest physical layout (the region starts at gpa 0). */
#define RX_RING 0x0000            /* vring 0: what the reflector fills */
#define TX_RING 0x4000            /* vring 1: what it takes */
#define TX_BUFS 0x10000           /* 2 KiB each */
#define RX_BUFS 0x100000
#define SCRATCH 0x200000

struct vr {
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	uint16_t used_seen;
};

static struct {
	int sock;
	uint8_t *mem;                 /* the guest's memory, MEM_SIZE from gpa 0 */
	int memfd;
	uint64_t memsize;
	struct vr rx, tx;
	bool reply_ack;
	uint64_t features;            /* what the reflector offered */
	double timeout;
	unsigned frames;
} g = { .sock = -1, .timeout = 2, .frames = 100 };

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void pause_briefly(void)
{
	const struct timespec ts = { 0, 200000 };

	nanosleep(&ts, NULL);
}

static void die(const char *what)
{
	printf("broken %s: %s\n", what, errno ? strerror(errno) : "closed");
	fflush(stdout);
	exit(1);
}

static int connect_to(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (s < 0 || strlen(path) >= sizeof(a.sun_path))
		return -1;
	memcpy(a.sun_path, path, strlen(path));
	if (connect(s, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(s);
		return -1;
	}
	return s;
}

/* Send a request of @size payload bytes with @nfds descriptors.  0, or -1. */
static int send_msg(int s, struct msg *m, const int *fds, int nfds)
{
	struct iovec iov = { m, 12 + m->size };
	char ctl[CMSG_SPACE(8 * sizeof(int))] = { 0 };
	struct msghdr h = { .msg_iov = &iov, .msg_iovlen = 1 };

	m->flags |= F_VERSION;
	if (nfds) {
		struct cmsghdr *c;
		h.msg_control = ctl;
		h.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		c = CMSG_FIRSTHDR(&h);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
	}
	return sendmsg(s, &h, MSG_NOSIGNAL) == (ssize_t)iov.iov_len ? 0 : -1;
}

/* A reply, waited for at most g.timeout.  0, or -1 (closed, or none in time). */
static int recv_reply(int s, struct msg *m)
{
	struct pollfd p = { .fd = s, .events = POLLIN };
	ssize_t n;

	errno = 0;
	if (poll(&p, 1, (int)(g.timeout * 1000)) != 1)
		return -1;
	n = recv(s, m, 12, MSG_WAITALL);
	if (n != 12 || m->size > sizeof(m->p))
		return -1;
	if (m->size && recv(s, &m->p, m->size, MSG_WAITALL) != (ssize_t)m->size)
		return -1;
	return 0;
}

/* A request; with REPLY_ACK negotiated it asks for the ack.  0 when it succeeded, 1
 * when the reflector said it failed, -1 when the connection broke. */
static int request(uint32_t req, const void *payload, uint32_t size, const int *fds, int nfds)
{
	struct msg m = { .request = req, .size = size };

	if (size)
		memcpy(&m.p, payload, size);
	if (g.reply_ack)
		m.flags = F_NEED_REPLY;
	if (send_msg(g.sock, &m, fds, nfds) < 0)
		return -1;
	if (!g.reply_ack)
		return 0;
	if (recv_reply(g.sock, &m) < 0)
		return -1;
	return m.p.u64 ? 1 : 0;
}

static uint64_t get_u64(uint32_t req)
{
	struct msg m = { .request = req };

	if (send_msg(g.sock, &m, NULL, 0) < 0 || recv_reply(g.sock, &m) < 0)
		die("get");
	return m.p.u64;
}

static int vring_state(uint32_t req, uint32_t index, uint32_t num)
{
	struct { uint32_t index, num; } st = { index, num };

	return request(req, &st, sizeof(st), NULL, 0);
}

static int vring_fd(uint32_t req, uint32_t index, int fd)
{
	uint64_t v = index;

	return request(req, &v, sizeof(v), &fd, 1);
}

/* The ring at guest address @gpa: descriptors, then avail (4 KiB on), then used (8 KiB on). */
static struct vr ring_at(uint64_t gpa)
{
	return (struct vr){ (void *)(g.mem + gpa), (void *)(g.mem + gpa + 0x1000), (void *)(g.mem + gpa + 0x2000), 0 };
}

static int vring_addr(uint32_t index, uint64_t desc, uint64_t avail, uint64_t used)
{
	struct { uint32_t index, flags; uint64_t desc, used, avail, log; } a = {
		index, 0, (uint64_t)(uintptr_t)(g.mem + desc), (uint64_t)(uintptr_t)(g.mem + used),
		(uint64_t)(uintptr_t)(g.mem + avail), 0 };

	return request(SET_VRING_ADDR, &a, sizeof(a), NULL, 0);
}

/* The memory table: the guest's memory (@fd, @size bytes, mapped here at g.mem) at gpa 0. */
static int mem_table(int fd, uint64_t size)
{
	struct { uint32_t n, pad; struct region r[1]; } t = { 1, 0, { { 0, size, (uint64_t)(uintptr_t)g.mem, 0 } } };

	return request(SET_MEM_TABLE, &t, sizeof(t), &fd, 1);
}

/* One vring set up as QEMU does it: size, base, addresses, kick, call, enabled. */
static int setup_vring(uint32_t index, uint64_t gpa, uint32_t size, int callfd, bool enable)
{
	int kick = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK), call = callfd >= 0 ? callfd : eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	int r;

	if (kick < 0 || call < 0)
		return -1;
	r = vring_state(SET_VRING_NUM, index, size) || vring_state(SET_VRING_BASE, index, 0) ||
	    vring_addr(index, gpa, gpa + 0x1000, gpa + 0x2000) || vring_fd(SET_VRING_KICK, index, kick) ||
	    vring_fd(SET_VRING_CALL, index, call) || (enable && vring_state(SET_VRING_ENABLE, index, 1));
	close(kick);
	if (callfd < 0)
		close(call);
	return r ? -1 : 0;
}

/* Guest memory of @size bytes (a memfd, sparse: only what is touched is memory). */
static void make_memory(uint64_t size)
{
	g.memsize = size;
	g.memfd = memfd_create("vhu-guest", MFD_CLOEXEC);
	if (g.memfd < 0 || ftruncate(g.memfd, (off_t)size) < 0)
		die("memfd");
	g.mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, g.memfd, 0);
	if (g.mem == MAP_FAILED)
		die("mmap");
}

/* Connect, negotiate (VERSION_1, mergeable RX buffers, protocol features with REPLY_ACK),
 * share the memory, set up both rings (the TX ring with @txsize entries).  @callfd for
 * both rings, or -1 for eventfds. */
static void start(const char *path, uint32_t txsize, int callfd)
{
	uint64_t want, proto;

	if ((g.sock = connect_to(path)) < 0)
		die("connect");
	g.features = get_u64(GET_FEATURES);
	want = g.features & ((1ULL << 32) | (1ULL << VIRTIO_NET_F_MRG_RXBUF) | (1ULL << PROTOCOL_FEATURES_BIT));
	if (want & (1ULL << PROTOCOL_FEATURES_BIT)) {
		proto = get_u64(GET_PROTOCOL_FEATURES) & (1ULL << PROTOCOL_F_REPLY_ACK);
		if (request(SET_PROTOCOL_FEATURES, &proto, sizeof(proto), NULL, 0))
			die("protocol features");
		g.reply_ack = proto != 0;
	}
	if (request(SET_OWNER, NULL, 0, NULL, 0) || request(SET_FEATURES, &want, sizeof(want), NULL, 0))
		die("features");
	if (mem_table(g.memfd, g.memsize))
		die("memory table");
	g.rx = ring_at(RX_RING);
	g.tx = ring_at(TX_RING);
	if (setup_vring(0, RX_RING, RING, callfd, true) < 0 || setup_vring(1, TX_RING, txsize, callfd, true) < 0)
		die("rings");
	/* Every RX buffer posted: 2 KiB each. */
	for (uint16_t i = 0; i < RING; i++) {
		g.rx.desc[i] = (struct vring_desc){ RX_BUFS + 2048ULL * i, 2048, VRING_DESC_F_WRITE, 0 };
		g.rx.avail->ring[i] = i;
	}
	__atomic_store_n(&g.rx.avail->idx, RING, __ATOMIC_RELEASE);
}

static void tx_post(uint16_t head)
{
	uint16_t idx = g.tx.avail->idx;

	g.tx.avail->ring[idx % RING] = head;
	__atomic_store_n(&g.tx.avail->idx, (uint16_t)(idx + 1), __ATOMIC_RELEASE);
}

/* Frames that came back since the last look; their RX buffers posted again. */
static unsigned rx_reap(void)
{
	const uint16_t used = __atomic_load_n(&g.rx.used->idx, __ATOMIC_ACQUIRE);
	unsigned n = 0;

	for (; g.rx.used_seen != used; g.rx.used_seen++, n++) {
		uint16_t id = (uint16_t)g.rx.used->ring[g.rx.used_seen % RING].id, idx = g.rx.avail->idx;
		g.rx.avail->ring[idx % RING] = id % RING;
		__atomic_store_n(&g.rx.avail->idx, (uint16_t)(idx + 1), __ATOMIC_RELEASE);
	}
	return n;
}

/* TX entries the reflector has taken so far (from its used index). */
static uint16_t tx_taken(void)
{
	return __atomic_load_n(&g.tx.used->idx, __ATOMIC_ACQUIRE);
}

/* Good frames posted and not back yet. */
static unsigned outstanding;

/* Send @n good 64-byte frames (at most RING - 8 in flight) and wait, at most g.timeout,
 * until every good frame posted so far is back (those of earlier steps that waited in
 * the ring too); print "NAME SENT RECEIVED" (unless @name is NULL). */
static unsigned good(const char *name, unsigned n)
{
	static const uint8_t eth[14] = { 2, 0, 0, 0, 0x0b, 0xbb, 2, 0, 0, 0, 0x0a, 0xaa, 0x08, 0x00 };
	unsigned sent = 0, got = 0;
	double end = now() + g.timeout;

	while ((sent < n || outstanding) && now() < end) {
		while (sent < n && (uint16_t)(g.tx.avail->idx - tx_taken()) < RING - 8) {
			uint16_t d = g.tx.avail->idx % RING;
			uint8_t *b = g.mem + TX_BUFS + 2048ULL * d;
			memset(b, 0, HDR + 64);
			memcpy(b + HDR, eth, sizeof(eth));
			g.tx.desc[d] = (struct vring_desc){ TX_BUFS + 2048ULL * d, HDR + 64, 0, 0 };
			tx_post(d);
			sent++;
			outstanding++;
		}
		unsigned k = rx_reap();
		got += k;
		outstanding -= k < outstanding ? k : outstanding;
		if (!k)
			pause_briefly();
	}
	if (name)
		printf("%s %u %u\n", name, sent, got);
	return got;
}

/* Post one TX descriptor as it is (bad on purpose); how many TX entries the reflector
 * took within @secs. */
static unsigned post_raw(struct vring_desc e, double secs)
{
	const uint16_t before = tx_taken(), d = g.tx.avail->idx % RING;
	double end = now() + secs;

	g.tx.desc[d] = e;
	tx_post(d);
	while (tx_taken() == before && now() < end)
		pause_briefly();
	return (uint16_t)(tx_taken() - before);
}

/* Did the reflector hang up on @s within @secs?  Looked at without reading from it. */
static bool closed_within(int s, double secs)
{
	struct pollfd p = { .fd = s, .events = POLLRDHUP };
	double end = now() + secs;

	do {
		if (poll(&p, 1, 50) == 1 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)))
			return true;
	} while (now() < end);
	return false;
}

/* --- the scenarios ---------------------------------------------------------- */

/* Review item 1: an indirect table of 64 descriptors of 64 MiB + 1 over ordinary guest
 * memory (2^32 + 64 bytes in all), and a chain whose two lengths wrap to 16. */
static int sc_wrap(void)
{
	const uint64_t big = (64ULL << 20) + 1;
	struct vring_desc *t = (void *)(g.mem + SCRATCH);

	for (uint16_t k = 0; k < 64; k++)
		t[k] = (struct vring_desc){ 0, (uint32_t)big, k < 63 ? VRING_DESC_F_NEXT : 0, (uint16_t)(k + 1) };
	printf("wrap-indirect taken %u\n", post_raw((struct vring_desc){ SCRATCH, 64 * 16, VRING_DESC_F_INDIRECT, 0 }, 2));
	t[100] = (struct vring_desc){ RX_BUFS, 0xfffffff0u, VRING_DESC_F_NEXT, 101 };
	t[101] = (struct vring_desc){ RX_BUFS, 0x20, 0, 0 };
	printf("wrap-chain taken %u\n",
	       post_raw((struct vring_desc){ SCRATCH + 100 * 16, 2 * 16, VRING_DESC_F_INDIRECT, 0 }, 2));
	good("after", g.frames);
	return 0;
}

/* Review item 5: a frame of 3.9 GB into an RX buffer as large, and indirect tables of
 * 4 GiB, over guest memory that is 4 GiB (sparse). */
static int sc_huge(void)
{
	double t0;

	g.rx.desc[0] = (struct vring_desc){ 0, 0xf0000000u, VRING_DESC_F_WRITE, 0 };
	t0 = now();
	printf("huge-frame taken %u\n", post_raw((struct vring_desc){ 0, 0xe8000000u, 0, 0 }, 2));
	for (int k = 0; k < 16; k++)
		post_raw((struct vring_desc){ 0, 0xfffffff0u, VRING_DESC_F_INDIRECT, 0 }, 2);
	printf("huge-seconds %.1f\n", now() - t0);
	g.rx.desc[0] = (struct vring_desc){ RX_BUFS, 2048, VRING_DESC_F_WRITE, 0 };
	good("after", g.frames);
	return 0;
}

/* Review item 3: a second frontend while the first is connected. */
static int sc_second(const char *path)
{
	int s2 = connect_to(path);
	struct msg m = { .request = GET_FEATURES };

	good("before", g.frames);
	if (s2 < 0)
		die("second connect");
	send_msg(s2, &m, NULL, 0);
	printf("second %s\n", recv_reply(s2, &m) < 0 ? "refused" : "answered");
	close(s2);
	good("after", g.frames);
	return 0;
}

/* Review item 4: a memory table the reflector cannot map (a pipe), after which the
 * rings are disabled and enabled again; then the real table once more. */
static int sc_fail_mem(void)
{
	int p[2];

	good("before", g.frames);
	if (pipe2(p, O_CLOEXEC) < 0)
		die("pipe");
	/* Half the size: a table DPDK sees as new (an unchanged one it takes as it is). */
	printf("bad-table %s\n", mem_table(p[0], MEM_SIZE / 2) == 1 ? "refused" : "accepted");
	close(p[0]);
	close(p[1]);
	for (uint32_t i = 0; i < 2; i++)
		if (vring_state(SET_VRING_ENABLE, i, 0) < 0 || vring_state(SET_VRING_ENABLE, i, 1) < 0)
			die("enable");
	good("without-table", 10);
	if (mem_table(g.memfd, MEM_SIZE))
		die("table again");
	good("after", g.frames);
	return 0;
}

/* A SET_VRING_NUM that DPDK refuses (beyond 32768): the rings stay as they were. */
static int sc_fail_num(void)
{
	good("before", g.frames);
	printf("bad-num %s\n", vring_state(SET_VRING_NUM, 1, 40000) == 1 ? "refused" : "accepted");
	good("after", g.frames);
	return 0;
}

/* A TX ring the guest disabled is never processed, whatever happens to its RX ring. */
static int sc_disabled_tx(void)
{
	uint16_t before;

	good("before", g.frames);
	if (vring_state(SET_VRING_ENABLE, 1, 0) || vring_state(SET_VRING_ENABLE, 0, 0) ||
	    vring_state(SET_VRING_ENABLE, 0, 1))
		die("enable");
	before = tx_taken();
	g.timeout = 0.5;
	good("tx-disabled", 10);
	printf("tx-disabled-taken %u\n", (uint16_t)(tx_taken() - before));
	if (vring_state(SET_VRING_ENABLE, 1, 1))
		die("enable");
	/* The 10 frames waiting in the ring come back now, then these. */
	g.timeout = 2;
	good("after", g.frames);
	return 0;
}

/* Review item 2: the TX used ring at the end of guest memory fits 256 entries, and
 * SET_VRING_NUM then makes the ring 1024 (DPDK keeps the old translation). */
static int sc_ring_outside(void)
{
	const uint64_t used = MEM_SIZE - (4 + 8 * 256 + 2);
	int kick = eventfd(0, EFD_CLOEXEC), call = eventfd(0, EFD_CLOEXEC);

	if (vring_state(SET_VRING_ENABLE, 1, 0) || vring_state(SET_VRING_NUM, 1, 256) ||
	    vring_addr(1, TX_RING, TX_RING + 0x1000, used & ~3ULL) || vring_fd(SET_VRING_KICK, 1, kick) ||
	    vring_fd(SET_VRING_CALL, 1, call) || vring_state(SET_VRING_NUM, 1, 1024) ||
	    vring_state(SET_VRING_ENABLE, 1, 1))
		die("rings");
	g.tx.used = (void *)(g.mem + (used & ~3ULL));
	g.timeout = 0.5;
	good("outside", 10);
	/* The ring put back where it fits, as QEMU would (disabled, size, addresses, kick,
	 * enabled): the port works again. */
	g.timeout = 2;
	g.tx = ring_at(TX_RING);
	g.tx.used_seen = 0;
	if (vring_state(SET_VRING_ENABLE, 1, 0) || vring_state(SET_VRING_NUM, 1, RING) ||
	    vring_addr(1, TX_RING, TX_RING + 0x1000, TX_RING + 0x2000) || vring_fd(SET_VRING_KICK, 1, kick) ||
	    vring_state(SET_VRING_ENABLE, 1, 1))
		die("rings");
	good("after", g.frames);
	close(kick);
	close(call);
	return 0;
}

/* A header that announces a payload which never comes: the reflector closes the
 * connection after its socket timeout, and serves its other ports meanwhile. */
static int sc_stall(void)
{
	struct msg m = { .request = SET_FEATURES, .flags = F_VERSION, .size = 8 };
	double t0 = now();

	good("before", g.frames);
	if (send(g.sock, &m, 12, MSG_NOSIGNAL) != 12)
		die("send");
	printf("stalling\n");
	printf("stall %s\n", closed_within(g.sock, 10) ? "closed" : "open");
	printf("stall-seconds %.0f\n", now() - t0);
	return 0;
}

/* Requests sent as fast as the socket takes them, no reply ever read. */
static int sc_flood(void)
{
	struct msg m = { .request = GET_FEATURES, .flags = F_VERSION };
	double end = now() + 10;
	unsigned sent = 0;
	bool cut = false;

	good("before", g.frames);
	while (now() < end && !cut) {
		if (send(g.sock, &m, 12, MSG_NOSIGNAL | MSG_DONTWAIT) == 12)
			sent++;
		else if (errno == EAGAIN)
			cut = closed_within(g.sock, 0.2);
		else
			cut = true;
	}
	printf("flood %s\n", cut || closed_within(g.sock, 5) ? "closed" : "open");
	return 0;
}

/* The guest's call fd is a pipe nobody reads: 64 KiB of notifications (8 bytes each)
 * fill it.  Frames go in small bursts, so that nearly every poll notifies. */
static int sc_pipe_call(void)
{
	unsigned got = 0;

	for (int r = 0; r < 6000; r++)
		got += good(NULL, 8);
	printf("pipe-call %u %u\n", 6000u * 8, got);
	return 0;
}

int main(int argc, char **argv)
{
	const char *path, *sc;
	int pipefd[2] = { -1, -1 }, rc;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 3) {
		fprintf(stderr, "usage: vhu SOCKET SCENARIO [--frames N] [--timeout SECONDS]\n");
		return 2;
	}
	path = argv[1];
	sc = argv[2];
	for (int i = 3; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--frames"))
			g.frames = (unsigned)strtoul(argv[i + 1], NULL, 10);
		else if (!strcmp(argv[i], "--timeout"))
			g.timeout = strtod(argv[i + 1], NULL);
	}
	make_memory(!strcmp(sc, "huge") ? 1ULL << 32 : !strcmp(sc, "wrap") ? 128ULL << 20 : MEM_SIZE);
	if (!strcmp(sc, "pipe-call") && pipe2(pipefd, O_CLOEXEC) < 0)
		die("pipe");
	/* "probe": a connection that is closed at once (as a tool that checks whether
	 * anything listens does), right before the real frontend. */
	if (!strcmp(sc, "probe")) {
		int s = connect_to(path);
		if (s < 0)
			die("probe");
		close(s);
	}
	start(path, RING, pipefd[1]);
	printf("log-all %s\n", g.features & (1ULL << LOG_ALL_BIT) ? "offered" : "refused");
	if (!strcmp(sc, "wrap"))
		rc = sc_wrap();
	else if (!strcmp(sc, "huge"))
		rc = sc_huge();
	else if (!strcmp(sc, "second"))
		rc = sc_second(path);
	else if (!strcmp(sc, "fail-mem"))
		rc = sc_fail_mem();
	else if (!strcmp(sc, "fail-num"))
		rc = sc_fail_num();
	else if (!strcmp(sc, "disabled-tx"))
		rc = sc_disabled_tx();
	else if (!strcmp(sc, "ring-outside"))
		rc = sc_ring_outside();
	else if (!strcmp(sc, "stall"))
		rc = sc_stall();
	else if (!strcmp(sc, "flood"))
		rc = sc_flood();
	else if (!strcmp(sc, "pipe-call"))
		rc = sc_pipe_call();
	else if (!strcmp(sc, "good") || !strcmp(sc, "probe"))
		rc = good("good", g.frames) == g.frames ? 0 : 1;
	else {
		fprintf(stderr, "vhu: unknown scenario '%s'\n", sc);
		return 2;
	}
	return rc;
}
