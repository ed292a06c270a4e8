/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A peer, in two parts: what every configured peer has (struct wg_peer:
 * its keys, where it is, its allowed IPs, one timer, counters), and what
 * only a peer that talks has (struct wg_live: the handshake it started,
 * its sessions, its cookie, its route cache). An idle peer costs the
 * first part only; the second is allocated at its first handshake and
 * freed when its keys are zeroed, when the device goes down or when our
 * private key changes.
 *
 * Locking and lifetime:
 *  - Configuration (keys, keepalive interval, membership) changes under
 *    the device's conf_lock.
 *  - Lookups find peers under RCU (allowed IPs, public key, index) and
 *    take a reference (wg_peer_get_live()) if they keep it past the
 *    read-side section. A peer is freed an RCU grace period after its
 *    last reference is put.
 *  - peer->live is published and cleared under live->lock; users read it
 *    under RCU and never sleep while holding it. A live part being retired
 *    is marked dead under its lock first, so nothing installs into it.
 *  - Removal unlinks a batch of peers under conf_lock, waits for one grace
 *    period for the whole batch, stops their data path, then puts them
 *    (wg_peers_reap()).
 */
#ifndef _WG_PEER_H
#define _WG_PEER_H

#include <linux/types.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/llist.h>
#include <linux/rhashtable-types.h>
#include <linux/seqlock.h>
#include <linux/skbuff.h>
#include <linux/spinlock.h>
#include <linux/timer.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <net/dst_cache.h>

#include "wire.h"
#include "noise.h"
#include "cookie.h"
#include "deadline.h"
#include "peerlookup.h"
#include "events.h"
#include "sealer.h"

struct wg_device;
struct wg_session;
struct netlink_ext_ack;

#define WG_MAX_PEERS		BIT(20)
#define WG_MAX_STAGED		128	/* packets waiting for a session */

/* Where a peer was last heard from, and the local address it reached. */
struct wg_endpoint {
	union {
		struct sockaddr sa;
		struct sockaddr_in in4;
		struct sockaddr_in6 in6;
	};
	union {
		__be32 src4;
		struct in6_addr src6;
	};
	int src_ifindex;	/* IPv4: the interface src4 was reached on */
};

/* Per-peer counters, for netlink GET. Updated once per burst or batch. */
enum wg_peer_counter {
	WG_PC_RX_BYTES,		/* message bytes received (UDP payload) */
	WG_PC_TX_BYTES,		/* message bytes sent (UDP payload) */
	WG_PC_RX_PACKETS,	/* messages received */
	WG_PC_TX_PACKETS,	/* messages sent */
	WG_PC_HS_INITIATED,	/* initiations sent (retries included) */
	WG_PC_HS_COMPLETED,	/* handshakes completed, either role */
	WG_PC_HS_FAILED,	/* attempts given up after REKEY_ATTEMPT_TIME */
	WG_PC_DROP_DECRYPT,	/* data messages that failed authentication */
	WG_PC_DROP_REPLAY,	/* counter seen before or too old */
	WG_PC_DROP_ALLOWEDIPS,	/* inner source not one of its allowed IPs */
	WG_PC_DROP_BAD_INNER,	/* not a well-formed IP packet once opened */
	WG_PC_DROP_STAGED,	/* waited for a session and was pushed out */
	__WG_PC_COUNT
};

struct wg_peer {
	struct wg_device *wg;
	struct wg_live __rcu *live;	/* NULL while idle */

	u8 public_key[WG_KEY_SIZE];	/* fixed; the by_key table's key */
	u8 psk[WG_KEY_SIZE];		/* conf_lock to write; all zeros: none */

	seqlock_t endpoint_lock;
	struct wg_endpoint endpoint;	/* sa_family 0: none yet */

	/* Packets waiting for a session, oldest first (its own lock). */
	struct sk_buff_head staged;
	/*
	 * Bursts numbered and on their way out, in nonce order (tx.c). Its
	 * lock also guards the nonce counters of the peer's sessions; one
	 * CPU at a time sends from its head (WG_PEER_TX_BUSY).
	 */
	struct sk_buff_head tx;

	/* The one timer (timers.c) and the clock it reads (deadline.h). */
	struct timer_list timer;
	struct wg_clock clock;
	u64 last_init_received;		/* flood limit on its initiations */
	u8 latest_timestamp[WG_TAI64N_SIZE];	/* greatest TAI64N it sent */

	atomic64_t counters[__WG_PC_COUNT];
	u64 last_handshake_wall;	/* CLOCK_REALTIME ns; 0: never */
	u64 last_roam_wall;		/* CLOCK_REALTIME ns; 0: never */
	struct wg_peer_events events;	/* rate limit and counts (events.c) */

	/* A handshake initiation is wanted (handshake.c). */
	struct llist_node want_init;
	unsigned long flags;		/* enum wg_peer_flag bits */

	/* Membership, under conf_lock. */
	struct list_head node;		/* wg->peers, in creation order */
	struct list_head allowedips_list; /* our allowed IPs, insertion order */
	struct rhash_head by_key;
	u64 serial;			/* for log messages */

	struct kref ref;
	struct rcu_head rcu;
};

enum wg_peer_flag {
	WG_PEER_DEAD,		/* unlinked: no new work may start */
	WG_PEER_WANT_INIT,	/* on the device's initiation list */
	WG_PEER_RETRY,		/* that initiation is a retry */
	WG_PEER_RENEWING,	/* renewal asked for on receive, once per session */
	WG_PEER_TX_BUSY,	/* a CPU is sending from peer->tx */
};

/*
 * What a peer has only while it talks. Everything under lock, except
 * route (the socket code's; dst_cache does its own per-CPU locking).
 */
struct wg_live {
	struct wg_peer *peer;
	spinlock_t lock;	/* BH-safe */
	bool dead;

	/* The handshake we started, until its response arrives. */
	struct noise_handshakestate hs;
	struct wg_index hs_index;	/* in wg->by_index while pending */
	bool hs_pending;

	/* previous, current, next: see session.h. */
	struct wg_session __rcu *prev;
	struct wg_session __rcu *cur;
	struct wg_session __rcu *next;

	struct wg_cookie_held cookie;
	u8 mac1_key[WG_KEY_SIZE];	/* HASH(LABEL_MAC1 || peer's key) */
	u8 cookie_key[WG_KEY_SIZE];	/* HASH(LABEL_COOKIE || peer's key) */

	struct dst_cache route;

	/* Where its bursts are sealed, under peer->tx.lock (tx.c). */
	struct wg_sealer sealer;

	struct rcu_head rcu;
};

/* Configuration, under wg->conf_lock. */
struct wg_peer *wg_peer_create(struct wg_device *wg,
			       const u8 public_key[WG_KEY_SIZE],
			       struct netlink_ext_ack *extack);
struct wg_peer *wg_peer_find(struct wg_device *wg,
			     const u8 public_key[WG_KEY_SIZE]);
void wg_peer_set_psk(struct wg_peer *peer, const u8 psk[WG_KEY_SIZE]);
void wg_peer_set_keepalive(struct wg_peer *peer, u16 seconds);
/* Moves @peer to @dead (a batch to reap); it is out of every table. */
void wg_peer_unlink(struct wg_peer *peer, struct list_head *dead);
/* One grace period for the whole batch, then stops and puts each peer. */
void wg_peers_reap(struct wg_device *wg, struct list_head *dead);
void wg_peers_remove_all(struct wg_device *wg);

/*
 * Sets the endpoint (from configuration or a packet); true if it changed,
 * and then the one before in *@was if @was is not NULL.
 */
bool wg_peer_set_endpoint(struct wg_peer *peer, const struct wg_endpoint *ep,
			  struct wg_endpoint *was);
void wg_peer_get_endpoint(struct wg_peer *peer, struct wg_endpoint *ep);
/* The same remote address and port (our local address aside)? */
bool wg_endpoint_same_remote(const struct wg_endpoint *a,
			     const struct wg_endpoint *b);
/* Forgets the local address, so the next send routes afresh. */
void wg_peer_clear_src(struct wg_peer *peer);

/* References. */
struct wg_peer *wg_peer_get_live(struct wg_peer *peer);	/* NULL if dying */
static inline struct wg_peer *wg_peer_get(struct wg_peer *peer)
{
	kref_get(&peer->ref);
	return peer;
}

void wg_peer_put(struct wg_peer *peer);

/*
 * The live part, allocated if needed (process context). NULL if memory
 * is short or the peer is dead. Caller holds rcu_read_lock().
 */
struct wg_live *wg_peer_ensure_live(struct wg_peer *peer);
/*
 * Retires the live part: sessions and handshake gone, keys wiped. The
 * peer is idle afterwards (its next packet starts a handshake).
 */
void wg_peer_retire_live(struct wg_peer *peer);

/* The live part, under any flavour of RCU read lock. */
#define wg_live_of(peer) \
	rcu_dereference_check((peer)->live, rcu_read_lock_any_held())

static inline void wg_peer_count(struct wg_peer *peer,
				 enum wg_peer_counter c, u64 n)
{
	atomic64_add(n, &peer->counters[c]);
}

int wg_peer_cache_init(void);
void wg_peer_cache_uninit(void);

#endif /* _WG_PEER_H */
