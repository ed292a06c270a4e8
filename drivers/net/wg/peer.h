/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A peer: one remote WireGuard identity, its handshake and keypairs, where it
 * was last seen (endpoint), and its share of the data path.
 *
 * Lifetime: created and unlinked under the device's config mutex; found on
 * the data path under RCU and pinned with wg_peer_get_maybe_zero(); freed by
 * call_rcu once the last reference is put. Removal never waits for a grace
 * period per peer: wg_peer_remove_all() unlinks a whole batch, waits once,
 * then tears each peer down.
 */
#ifndef _WG_PEER_H
#define _WG_PEER_H

#include <linux/types.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/netdevice.h>
#include <linux/rhashtable-types.h>
#include <linux/spinlock.h>
#include <linux/timer.h>
#include <linux/workqueue.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/skbuff.h>
#include <net/dst_cache.h>
#include "noise.h"
#include "cookie.h"

struct wg_device;

/* Where a peer was last heard from, and which local address it reached. */
struct endpoint {
	union {
		struct sockaddr addr;
		struct sockaddr_in addr4;
		struct sockaddr_in6 addr6;
	};
	union {
		struct {
			struct in_addr src4;
			int src_if4;	/* ifindex the v4 source belongs to */
		};
		struct in6_addr src6;
	};
};

struct wg_peer {
	struct wg_device *device;
	struct noise_handshake handshake;
	struct noise_keypairs keypairs;

	/* endpoint and its route cache; endpoint_lock guards endpoint */
	struct endpoint endpoint;
	rwlock_t endpoint_lock;
	struct dst_cache endpoint_cache;

	/* data path: packets waiting for a keypair, in send order */
	struct sk_buff_head staged_packet_queue;
	/* packets in flight through the crypto workers, in wire order */
	struct sk_buff_head tx_queue;
	struct sk_buff_head rx_queue;
	struct work_struct transmit_packet_work;	/* drains tx_queue */
	struct napi_struct napi;			/* drains rx_queue */
	struct work_struct transmit_handshake_work;
	struct work_struct clear_peer_work;
	struct cookie latest_cookie;

	/* timers (timers.c); all stopped before the peer is freed */
	struct timer_list timer_retransmit_handshake;
	struct timer_list timer_send_keepalive;
	struct timer_list timer_new_handshake;
	struct timer_list timer_zero_key_material;
	struct timer_list timer_persistent_keepalive;
	unsigned int timer_handshake_attempts;
	u16 persistent_keepalive_interval;
	bool timer_need_another_keepalive;
	bool sent_lastminute_handshake;
	atomic64_t last_sent_handshake;	/* ktime ns */

	/* counters reported to userspace */
	atomic64_t rx_bytes;
	atomic64_t tx_bytes;
	atomic64_t walltime_last_handshake;	/* CLOCK_REALTIME ns, 0: never */

	/* membership, all under the device's config mutex */
	struct list_head peer_list;		/* device->peer_list, creation order */
	struct list_head allowedips_list;	/* our allowedips nodes, insertion order */
	struct rhash_head pubkey_hash;
	u64 internal_id;
	bool is_dead;

	struct kref refcount;
	struct rcu_head rcu;
};

struct wg_peer *wg_peer_create(struct wg_device *wg,
			       const u8 public_key[NOISE_PUBLIC_KEY_LEN],
			       const u8 preshared_key[NOISE_SYMMETRIC_KEY_LEN]);
struct wg_peer *__must_check wg_peer_get_maybe_zero(struct wg_peer *peer);
static inline struct wg_peer *wg_peer_get(struct wg_peer *peer)
{
	kref_get(&peer->refcount);
	return peer;
}

void wg_peer_put(struct wg_peer *peer);
void wg_peer_unlink(struct wg_peer *peer, struct list_head *dead);
void wg_peer_reap(struct list_head *dead);
void wg_peer_remove(struct wg_peer *peer);
void wg_peer_remove_all(struct wg_device *wg);

int wg_peer_init(void);
void wg_peer_uninit(void);

#endif /* _WG_PEER_H */
