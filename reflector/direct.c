/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#include <rte_atomic.h>
#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_pause.h>
#include <rte_vhost.h>

#include "reflector/direct.h"
#include "reflector/vuguard.h"

/* What a packed ring, an offload or dirty-page logging would need is not here: refused
 * at negotiation, so the driver falls back (split ring, no TSO/checksum offload, plain
 * addresses) and QEMU refuses to migrate (it needs VHOST_F_LOG_ALL to copy a guest
 * with the pages a backend wrote). */
#define REFUSED_FEATURES                                                                                    \
	((1ULL << VIRTIO_F_RING_PACKED) | (1ULL << VIRTIO_F_ACCESS_PLATFORM) | (1ULL << VIRTIO_NET_F_CSUM) |  \
	 (1ULL << VIRTIO_NET_F_GUEST_CSUM) | (1ULL << VIRTIO_NET_F_HOST_TSO4) | (1ULL << VIRTIO_NET_F_HOST_TSO6) | \
	 (1ULL << VIRTIO_NET_F_GUEST_TSO4) | (1ULL << VIRTIO_NET_F_GUEST_TSO6) | (1ULL << VIRTIO_NET_F_HOST_UFO) | \
	 (1ULL << VIRTIO_NET_F_GUEST_UFO) | (1ULL << VIRTIO_NET_F_HOST_ECN) | (1ULL << VIRTIO_NET_F_GUEST_ECN) |  \
	 (1ULL << VHOST_F_LOG_ALL))

/* One queue pair. */
struct dq {
	struct vring_pair v;
	bool tx_on, rx_on;                /* the library says each ring is ready (enabled, addresses, fds) */
	bool refused;                     /* its rings failed vring_check: not tried again until they change */
	volatile bool ready;              /* workers may poll it */
};

/* One connection (a frontend on the socket), and its device while it runs.  Written by
 * the vhost control thread only; workers read v and q[] of a ready queue. */
struct ddev {
	int vid;
	int fd;                           /* its socket, or -1 when it could not be told apart */
	bool cut;                         /* we shut its socket down (replies left unread) */
	bool running;                     /* between new_device and destroy_device */
	bool mem_ok;                      /* the library's memory table is one a SET_MEM_TABLE completed */
	bool pending;                     /* a request that moves rings began; its post hook has not run */
	bool event_idx;
	struct vring_dev v;
	struct dq q[DIRECT_MAX_QUEUES];
};

struct busy {
	volatile uint32_t v;
} __rte_cache_aligned;

#define MAX_CONNS 4

struct direct_port {
	char path[PATH_MAX];
	unsigned nq;
	uint64_t wait_tsc;                /* how long a frame waits for an RX buffer before it is dropped */
	/* The connections (the control thread's): one live one at most, and those whose
	 * frontend hung up but whose end the library has not processed yet. */
	struct ddev *conns[MAX_CONNS];
	struct ddev *dev;                 /* the one whose device runs, or NULL; workers read it */
	volatile int vid;
	volatile unsigned connections;    /* devices started so far */
	struct direct_refusals refused;   /* written by the control thread, read by the main lcore */
	struct busy busy[DIRECT_MAX_QUEUES]; /* a worker is inside direct_poll for queue q */
};

static struct direct_port *dports[DIRECT_MAX_PORTS];

static struct direct_port *port_of(int vid)
{
	char name[PATH_MAX];

	if (rte_vhost_get_ifname(vid, name, sizeof(name)) < 0)
		return NULL;
	for (unsigned i = 0; i < DIRECT_MAX_PORTS; i++)
		if (dports[i] && !strcmp(dports[i]->path, name))
			return dports[i];
	return NULL;
}

/* The connection of @vid on its port, or NULL (then *@pdp is NULL too, or the port). */
static struct ddev *conn_of(int vid, struct direct_port **pdp)
{
	struct direct_port *dp = port_of(vid);

	*pdp = dp;
	for (unsigned i = 0; dp && i < MAX_CONNS; i++)
		if (dp->conns[i] && dp->conns[i]->vid == vid)
			return dp->conns[i];
	return NULL;
}

static void bump(volatile unsigned *counter)
{
	__atomic_add_fetch(counter, 1, __ATOMIC_RELEASE);
}

/* Wait until no worker is inside queue @q of @dp (they see the change on their next
 * poll and never block inside one). */
static void quiesce(struct direct_port *dp, unsigned q)
{
	while (__atomic_load_n(&dp->busy[q].v, __ATOMIC_SEQ_CST))
		rte_pause();
}

/* The library's memory table into @d (only while it has one: rte_vhost_get_mem_table
 * reads it without looking).  0, or -1 when it cannot be had or has too many regions. */
static int load_mem(struct direct_port *dp, struct ddev *d)
{
	struct rte_vhost_memory *mem;
	int r = -1;

	if (rte_vhost_get_mem_table(d->vid, &mem) < 0)
		return -1;
	if (mem->nregions <= VRING_MAX_REGIONS) {
		d->v.mem.n = mem->nregions;
		for (uint32_t i = 0; i < mem->nregions; i++)
			d->v.mem.r[i] = (struct vring_region){ .gpa = mem->regions[i].guest_phys_addr,
							       .size = mem->regions[i].size,
							       .hva = (uint8_t *)(uintptr_t)mem->regions[i].host_user_addr };
		r = 0;
	} else {
		d->v.mem.n = 0;
		bump(&dp->refused.memory);
	}
	free(mem);
	return r;
}

/* One ring from the library, as vring.c sees it. */
static int get_ring(int vid, uint16_t idx, struct vring_q *vr)
{
	struct rte_vhost_vring r;

	if (rte_vhost_get_vhost_vring(vid, idx, &r) < 0)
		return -1;
	*vr = (struct vring_q){ .desc = r.desc, .avail = r.avail, .used = r.used, .size = r.size };
	vuguard_nonblock(r.callfd); /* a pipe nobody reads must not stop a worker inside the library */
	return rte_vhost_get_vring_base(vid, idx, &vr->last_avail, &vr->last_used);
}

/* Start queue pair @q: its rings from the library, checked against the memory table
 * we hold (DPDK leaves a ring pointer set when its own length check fails, and keeps
 * an old translation when the ring grows: neither may reach us).  A ring that fails
 * is refused, counted, and not tried again until it changes. */
static void setup_queue(struct direct_port *dp, struct ddev *d, unsigned q)
{
	struct dq *x = &d->q[q];
	int r;

	if (get_ring(d->vid, (uint16_t)(2 * q + 1), &x->v.tx) < 0 || get_ring(d->vid, (uint16_t)(2 * q), &x->v.rx) < 0)
		r = -EFAULT;
	else if ((r = vring_check(&d->v.mem, &x->v.tx, d->event_idx)) == 0)
		r = vring_check(&d->v.mem, &x->v.rx, d->event_idx);
	if (r < 0) {
		x->refused = true;
		dp->refused.ring_error = r;
		dp->refused.ring_queue = q;
		bump(&dp->refused.rings);
		return;
	}
	/* We poll: the guest need not kick us.  Written here as the library would
	 * (rte_vhost_enable_guest_notification takes the ring's lock, which the library
	 * holds while it calls vring_state_changed).  With event idx the guest kicks
	 * only when its index passes avail_event, which we never move. */
	if (!d->event_idx) {
		x->v.tx.used->flags = VRING_USED_F_NO_NOTIFY;
		x->v.rx.used->flags = VRING_USED_F_NO_NOTIFY;
	}
	x->v.waiting = 0;
	/* A notification owed before the queue stopped is made now (at worst one too many). */
	x->v.notify_tx = x->v.notify_rx = true;
	__atomic_store_n(&x->ready, true, __ATOMIC_RELEASE);
}

/* Give the library our ring positions: what GET_VRING_BASE answers (a reconnecting
 * or migrating driver resumes there) and what its event-idx check compares with. */
static void save_bases(struct ddev *d, unsigned q)
{
	struct dq *x = &d->q[q];

	rte_vhost_set_vring_base(d->vid, (uint16_t)(2 * q + 1), x->v.tx.last_avail, x->v.tx.last_used);
	rte_vhost_set_vring_base(d->vid, (uint16_t)(2 * q), x->v.rx.last_avail, x->v.rx.last_used);
}

static void stop_queue(struct direct_port *dp, struct ddev *d, unsigned q)
{
	if (!d->q[q].ready)
		return;
	__atomic_store_n(&d->q[q].ready, false, __ATOMIC_SEQ_CST);
	quiesce(dp, q);
	save_bases(d, q);
}

/* Every queue pair running exactly when it may: the device runs, the memory table is
 * whole, no request that moves rings is under way, both rings are ready and checked.
 * Called after anything that changes one of these, from the control thread. */
static void sync_queues(struct direct_port *dp, struct ddev *d)
{
	const uint16_t nvr = d->running ? rte_vhost_get_vring_num(d->vid) : 0;

	for (unsigned q = 0; q < dp->nq; q++) {
		struct dq *x = &d->q[q];
		bool want = d->running && d->mem_ok && !d->pending && x->tx_on && x->rx_on && 2 * q + 1 < nvr;
		if (!want)
			stop_queue(dp, d, q);
		else if (!x->ready && !x->refused)
			setup_queue(dp, d, q);
	}
}

/* vhost-user requests (the protocol's numbers: rte_vhost.h does not export them). */
enum {
	VU_RESET_OWNER = 4,
	VU_SET_MEM_TABLE = 5,
	VU_SET_VRING_NUM = 8,
	VU_SET_VRING_ADDR = 9,
	VU_SET_VRING_BASE = 10,
};

static uint32_t request_of(const void *msg)
{
	uint32_t request;

	memcpy(&request, msg, sizeof(request)); /* VhostUserMsg starts with its request */
	return request;
}

/* Requests that move the guest's memory or rings, or our positions in them, under a
 * running device: the queues stop before them (QEMU and virtio_user send
 * SET_MEM_TABLE again when the guest's memory grows). */
static bool pauses(uint32_t request)
{
	return request == VU_SET_MEM_TABLE || request == VU_SET_VRING_ADDR || request == VU_SET_VRING_BASE;
}

/* Before every request of a connection.  DPDK calls the post hook only when a request
 * succeeded, so a request still pending here failed: its queues stay stopped until
 * the state is whole again, and a memory table that may be gone is never read. */
static enum rte_vhost_msg_result pre_msg(int vid, void *msg)
{
	struct direct_port *dp;
	struct ddev *d = conn_of(vid, &dp);
	const uint32_t request = request_of(msg);

	if (!d)
		return RTE_VHOST_MSG_RESULT_NOT_HANDLED;
	/* A frontend that does not read its replies would block this thread in the next one. */
	if (!d->cut && vuguard_unread(d->fd)) {
		d->cut = true;
		bump(&dp->refused.closed);
	}
	d->pending = pauses(request);
	if (d->pending)
		for (unsigned q = 0; q < dp->nq; q++)
			d->q[q].refused = false;
	/* The library frees its memory table when this fails, or on a reset. */
	if (request == VU_SET_MEM_TABLE || request == VU_RESET_OWNER)
		d->mem_ok = false;
	sync_queues(dp, d);
	return RTE_VHOST_MSG_RESULT_NOT_HANDLED;
}

/* After a request that succeeded: the new memory table, the queues back.  A new ring
 * size changes only the size, so the queues ran through SET_VRING_NUM (when DPDK
 * refuses one, they go on as before) and restart with it now. */
static enum rte_vhost_msg_result post_msg(int vid, void *msg)
{
	struct direct_port *dp;
	struct ddev *d = conn_of(vid, &dp);
	const uint32_t request = request_of(msg);

	if (!d || !(pauses(request) || request == VU_SET_VRING_NUM))
		return RTE_VHOST_MSG_RESULT_NOT_HANDLED;
	if (request == VU_SET_MEM_TABLE)
		d->mem_ok = load_mem(dp, d) == 0;
	if (request == VU_SET_VRING_NUM)
		for (unsigned q = 0; q < dp->nq; q++) {
			stop_queue(dp, d, q);
			d->q[q].refused = false;
		}
	d->pending = false;
	sync_queues(dp, d);
	return RTE_VHOST_MSG_RESULT_NOT_HANDLED;
}

static const struct rte_vhost_user_extern_ops msg_hooks = {
	.pre_msg_handle = pre_msg,
	.post_msg_handle = post_msg,
};

/* Has the frontend of @d hung up (or did we cut it off)?  Its end may still wait in
 * the library's queue: DPDK polls a new connection's socket only from its next round,
 * up to a second later (a probe's connect-and-close then looks like a live frontend
 * to the next one).  Unknown (no socket told apart): no. */
static bool hung_up(const struct ddev *d)
{
	struct pollfd p = { .fd = d->fd, .events = POLLRDHUP };

	return d->cut || (d->fd >= 0 && poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLRDHUP | POLLERR)));
}

/* A frontend connects.  One live one at a time: a second one while another is
 * connected is refused (the library closes it), never let take over its rings. */
static int new_connection(int vid)
{
	struct direct_port *dp = port_of(vid);
	int known[MAX_CONNS], nknown = 0, slot = -1;
	struct ddev *d;

	if (!dp)
		return -1;
	for (int i = 0; i < MAX_CONNS; i++) {
		if (!dp->conns[i]) {
			slot = slot < 0 ? i : slot;
			continue;
		}
		if (!hung_up(dp->conns[i])) {
			bump(&dp->refused.connections);
			return -1;
		}
		if (dp->conns[i]->fd >= 0)
			known[nknown++] = dp->conns[i]->fd;
	}
	if (slot < 0 || !(d = calloc(1, sizeof(*d))))
		return -1;
	d->vid = vid;
	d->fd = vuguard_socket(dp->path, known, nknown);
	/* From its first request on, so that pre_msg sees every one. */
	if (rte_vhost_extern_callback_register(vid, &msg_hooks, NULL) < 0) {
		free(d);
		return -1;
	}
	dp->conns[slot] = d;
	return 0;
}

static void destroy_connection(int vid)
{
	struct direct_port *dp = port_of(vid);

	/* The library destroyed the device (destroy_device) before it says this. */
	for (unsigned i = 0; dp && i < MAX_CONNS; i++)
		if (dp->conns[i] && dp->conns[i]->vid == vid) {
			free(dp->conns[i]);
			dp->conns[i] = NULL;
		}
}

static int new_device(int vid)
{
	struct direct_port *dp;
	struct ddev *d = conn_of(vid, &dp);
	uint64_t features;

	/* Without a whole memory table (post_msg loaded it), or while the device of a
	 * frontend that hung up still runs, the device waits: the library asks again
	 * after the frontend's next request. */
	if (!d || !d->mem_ok || rte_vhost_get_negotiated_features(vid, &features) < 0 || (features & REFUSED_FEATURES))
		return -1;
	for (unsigned i = 0; i < MAX_CONNS; i++)
		if (dp->conns[i] && dp->conns[i] != d && dp->conns[i]->running)
			return -1;
	d->v.mrg = features & (1ULL << VIRTIO_NET_F_MRG_RXBUF);
	d->event_idx = features & (1ULL << VIRTIO_RING_F_EVENT_IDX);
	d->v.hdr_len = d->v.mrg || (features & (1ULL << VIRTIO_F_VERSION_1)) ? 12 : 10;
	d->v.wait_tsc = dp->wait_tsc;
	d->running = true;
	for (unsigned q = 0; q < dp->nq; q++)
		d->q[q].refused = false;
	sync_queues(dp, d);
	dp->vid = vid;
	__atomic_store_n(&dp->dev, d, __ATOMIC_SEQ_CST);
	bump(&dp->connections);
	return 0;
}

static void destroy_device(int vid)
{
	struct direct_port *dp;
	struct ddev *d = conn_of(vid, &dp);

	if (!d || !d->running)
		return;
	__atomic_store_n(&dp->dev, NULL, __ATOMIC_SEQ_CST);
	d->running = false;
	sync_queues(dp, d);
	dp->vid = -1;
}

/* A ring became ready or stopped being so (enabled or disabled by the guest, its
 * addresses or fds changed): each ring counts, a queue pair runs with both. */
static int vring_state_changed(int vid, uint16_t vring, int enable)
{
	struct direct_port *dp;
	struct ddev *d = conn_of(vid, &dp);
	unsigned q = vring / 2;

	if (!d || q >= dp->nq)
		return 0;
	if (vring & 1)
		d->q[q].tx_on = enable;
	else
		d->q[q].rx_on = enable;
	d->q[q].refused = false;
	sync_queues(dp, d);
	return 0;
}

static const struct rte_vhost_device_ops ops = {
	.new_device = new_device,
	.destroy_device = destroy_device,
	.vring_state_changed = vring_state_changed,
	.new_connection = new_connection,
	.destroy_connection = destroy_connection,
};

/* Tell the guest about used entries of @vring when it asked to be told: its flags, or
 * with event idx its used_event (the library's check, given our positions).  The
 * library's call never waits here: a vhost-user message holding the ring's lock
 * leaves it for the next poll. */
static bool notify(struct ddev *d, struct dq *x, uint16_t vring)
{
	struct vring_q *vr = vring & 1 ? &x->v.tx : &x->v.rx;

	if (!d->event_idx) {
		/* The caller's fence made used->idx visible before this read. */
		if (__atomic_load_n(&vr->avail->flags, __ATOMIC_RELAXED) & VRING_AVAIL_F_NO_INTERRUPT)
			return true;
	} else {
		rte_vhost_set_vring_base(d->vid, vring, vr->last_avail, vr->last_used);
	}
	return rte_vhost_vring_call_nonblock(d->vid, vring) != -EAGAIN;
}

unsigned direct_poll(struct direct_port *dp, unsigned q, unsigned burst, unsigned pass, enum pkt_mode mode,
		     struct vring_count *c)
{
	struct ddev *d;
	struct dq *x;
	unsigned n = 0;

	/* Dekker with stop_queue: we say we are in, then look; it takes the queue away,
	 * then waits for us to be out. */
	__atomic_store_n(&dp->busy[q].v, 1, __ATOMIC_SEQ_CST);
	d = __atomic_load_n(&dp->dev, __ATOMIC_SEQ_CST);
	if (d && __atomic_load_n(&(x = &d->q[q])->ready, __ATOMIC_ACQUIRE)) {
		n = vring_reflect(&d->v, &x->v, burst, pass, mode, c);
		/* One fence for both rings: the used indexes are visible before the guest's
		 * flags are read (with event idx the library's call has its own). */
		if (!d->event_idx && (x->v.notify_rx || x->v.notify_tx))
			rte_smp_mb();
		if (x->v.notify_rx)
			x->v.notify_rx = !notify(d, x, (uint16_t)(2 * q));
		if (x->v.notify_tx)
			x->v.notify_tx = !notify(d, x, (uint16_t)(2 * q + 1));
	}
	__atomic_store_n(&dp->busy[q].v, 0, __ATOMIC_RELEASE);
	return n;
}

struct direct_port *direct_open(const char *path, unsigned nq, bool client, unsigned retries, char *err, size_t len)
{
	struct direct_port *dp;
	unsigned slot = DIRECT_MAX_PORTS;
	uint64_t flags = client ? RTE_VHOST_USER_CLIENT : 0;

	for (unsigned i = 0; i < DIRECT_MAX_PORTS; i++)
		if (!dports[i]) {
			slot = i;
			break;
		}
	if (slot == DIRECT_MAX_PORTS || nq == 0 || nq > DIRECT_MAX_QUEUES || strlen(path) >= PATH_MAX) {
		snprintf(err, len, "%s: at most %d ports of %d queue pairs", path, DIRECT_MAX_PORTS, DIRECT_MAX_QUEUES);
		return NULL;
	}
	if (!(dp = calloc(1, sizeof(*dp)))) {
		snprintf(err, len, "%s: out of memory", path);
		return NULL;
	}
	snprintf(dp->path, sizeof(dp->path), "%s", path);
	dp->nq = nq;
	/* As long as the PMD path's retries take, roughly: a microsecond each. */
	dp->wait_tsc = (uint64_t)retries * rte_get_tsc_hz() / 1000000;
	dp->vid = -1;
	dports[slot] = dp;
	if (rte_vhost_driver_register(path, flags) < 0) {
		snprintf(err, len, "%s: cannot register the vhost-user socket", path);
		dports[slot] = NULL;
		free(dp);
		return NULL;
	}
	if (rte_vhost_driver_disable_features(path, REFUSED_FEATURES) < 0 ||
	    rte_vhost_driver_callback_register(path, &ops) < 0 ||
	    rte_vhost_driver_start(path) < 0) {
		snprintf(err, len, "%s: cannot start the vhost-user socket", path);
		rte_vhost_driver_unregister(path);
		dports[slot] = NULL;
		free(dp);
		return NULL;
	}
	return dp;
}

bool direct_link_up(const struct direct_port *dp)
{
	return __atomic_load_n(&dp->dev, __ATOMIC_ACQUIRE) != NULL;
}

int direct_vid(const struct direct_port *dp)
{
	return dp->vid;
}

unsigned direct_connections(const struct direct_port *dp)
{
	return __atomic_load_n(&dp->connections, __ATOMIC_ACQUIRE);
}

void direct_refusals(const struct direct_port *dp, struct direct_refusals *r)
{
	r->connections = __atomic_load_n(&dp->refused.connections, __ATOMIC_ACQUIRE);
	r->rings = __atomic_load_n(&dp->refused.rings, __ATOMIC_ACQUIRE);
	r->ring_error = dp->refused.ring_error;
	r->ring_queue = dp->refused.ring_queue;
	r->memory = __atomic_load_n(&dp->refused.memory, __ATOMIC_ACQUIRE);
	r->closed = __atomic_load_n(&dp->refused.closed, __ATOMIC_ACQUIRE);
}

void direct_close(struct direct_port *dp)
{
	if (!dp)
		return;
	/* Unregistering a connected socket destroys its device first (destroy_device),
	 * but does not say destroy_connection: the connection is freed here. */
	rte_vhost_driver_unregister(dp->path);
	for (unsigned i = 0; i < DIRECT_MAX_PORTS; i++)
		if (dports[i] == dp)
			dports[i] = NULL;
	for (unsigned i = 0; i < MAX_CONNS; i++)
		free(dp->conns[i]);
	free(dp);
}
