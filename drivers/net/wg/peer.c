// SPDX-License-Identifier: GPL-2.0
/*
 * Peers: creation, configuration, the live part's birth and retirement,
 * and removal in batches (peer.h).
 */

#include <linux/slab.h>
#include <linux/rcupdate.h>
#include <linux/netlink.h>

#include "peer.h"
#include "device.h"
#include "session.h"
#include "peerlookup.h"
#include "allowedips.h"
#include "timers.h"
#include "handshake.h"
#include "tx.h"

static struct kmem_cache *peer_cache;

struct wg_peer *wg_peer_create(struct wg_device *wg,
			       const u8 public_key[WG_KEY_SIZE],
			       struct netlink_ext_ack *extack)
{
	struct wg_peer *peer;
	int ret;

	lockdep_assert_held(&wg->conf_lock);
	if (wg->npeers >= WG_MAX_PEERS) {
		NL_SET_ERR_MSG(extack, "Too many peers on this device");
		return ERR_PTR(-ENOSPC);
	}
	peer = kmem_cache_zalloc(peer_cache, GFP_KERNEL);
	if (!peer)
		return ERR_PTR(-ENOMEM);
	peer->wg = wg;
	memcpy(peer->public_key, public_key, WG_KEY_SIZE);
	seqlock_init(&peer->endpoint_lock);
	skb_queue_head_init(&peer->staged);
	skb_queue_head_init(&peer->tx);
	INIT_LIST_HEAD(&peer->allowedips_list);
	kref_init(&peer->ref);
	wg_timer_init(peer);

	ret = wg_pubkey_table_add(&wg->by_key, peer);
	if (ret) {
		kmem_cache_free(peer_cache, peer);
		NL_SET_ERR_MSG(extack, "Cannot add the peer to the key table");
		return ERR_PTR(ret);
	}
	peer->serial = ++wg->peer_serial;
	list_add_tail(&peer->node, &wg->peers);
	++wg->npeers;
	return peer;
}

struct wg_peer *wg_peer_find(struct wg_device *wg,
			     const u8 public_key[WG_KEY_SIZE])
{
	lockdep_assert_held(&wg->conf_lock);
	return wg_pubkey_table_lookup(&wg->by_key, public_key);
}

void wg_peer_set_psk(struct wg_peer *peer, const u8 psk[WG_KEY_SIZE])
{
	lockdep_assert_held(&peer->wg->conf_lock);
	/* A handshake racing this fails its check and is retried. */
	memcpy(peer->psk, psk, WG_KEY_SIZE);
}

void wg_peer_set_keepalive(struct wg_peer *peer, u16 seconds)
{
	u16 was = READ_ONCE(peer->clock.persistent_keepalive);

	lockdep_assert_held(&peer->wg->conf_lock);
	WRITE_ONCE(peer->clock.persistent_keepalive, seconds);
	/* Turned on for an up device with a key: the first one goes now. */
	if (seconds && !was)
		wg_handshake_persistent_start(peer);
}

/* The cached route went to, or came from, somewhere else. */
static void forget_route(struct wg_peer *peer)
{
	struct wg_live *live;

	rcu_read_lock();
	live = wg_live_of(peer);
	if (live)
		dst_cache_reset(&live->route);
	rcu_read_unlock();
}

static bool same_endpoint(const struct wg_endpoint *cur,
			  const struct wg_endpoint *ep)
{
	bool same;

	if (ep->sa.sa_family == AF_INET)
		same = cur->sa.sa_family == AF_INET &&
		       cur->in4.sin_port == ep->in4.sin_port &&
		       cur->in4.sin_addr.s_addr == ep->in4.sin_addr.s_addr &&
		       cur->src4 == ep->src4 &&
		       cur->src_ifindex == ep->src_ifindex;
	else
		same = cur->sa.sa_family == AF_INET6 &&
		       cur->in6.sin6_port == ep->in6.sin6_port &&
		       ipv6_addr_equal(&cur->in6.sin6_addr, &ep->in6.sin6_addr) &&
		       cur->in6.sin6_scope_id == ep->in6.sin6_scope_id &&
		       ipv6_addr_equal(&cur->src6, &ep->src6);
	return same;
}

bool wg_peer_set_endpoint(struct wg_peer *peer, const struct wg_endpoint *ep,
			  struct wg_endpoint *was)
{
	/* An unlocked first look: roaming is rare, packets are not. */
	if (data_race(same_endpoint(&peer->endpoint, ep)))
		return false;
	write_seqlock_bh(&peer->endpoint_lock);
	if (same_endpoint(&peer->endpoint, ep)) {
		write_sequnlock_bh(&peer->endpoint_lock);
		return false;
	}
	if (was)
		*was = peer->endpoint;
	peer->endpoint = *ep;
	write_sequnlock_bh(&peer->endpoint_lock);
	forget_route(peer);
	return true;
}

bool wg_endpoint_same_remote(const struct wg_endpoint *a,
			     const struct wg_endpoint *b)
{
	if (a->sa.sa_family != b->sa.sa_family)
		return false;
	if (a->sa.sa_family == AF_INET)
		return a->in4.sin_port == b->in4.sin_port &&
		       a->in4.sin_addr.s_addr == b->in4.sin_addr.s_addr;
	if (a->sa.sa_family == AF_INET6)
		return a->in6.sin6_port == b->in6.sin6_port &&
		       ipv6_addr_equal(&a->in6.sin6_addr, &b->in6.sin6_addr) &&
		       a->in6.sin6_scope_id == b->in6.sin6_scope_id;
	return true;
}

void wg_peer_get_endpoint(struct wg_peer *peer, struct wg_endpoint *ep)
{
	unsigned int seq;

	do {
		seq = read_seqbegin(&peer->endpoint_lock);
		*ep = peer->endpoint;
	} while (read_seqretry(&peer->endpoint_lock, seq));
}

void wg_peer_clear_src(struct wg_peer *peer)
{
	write_seqlock_bh(&peer->endpoint_lock);
	memset(&peer->endpoint.src6, 0, sizeof(peer->endpoint.src6));
	peer->endpoint.src_ifindex = 0;
	write_sequnlock_bh(&peer->endpoint_lock);
	forget_route(peer);
}

struct wg_peer *wg_peer_get_live(struct wg_peer *peer)
{
	RCU_LOCKDEP_WARN(!rcu_read_lock_held() && !rcu_read_lock_bh_held(),
			 "taking a peer reference outside RCU");
	if (!peer || test_bit(WG_PEER_DEAD, &peer->flags) ||
	    !kref_get_unless_zero(&peer->ref))
		return NULL;
	return peer;
}

static void peer_free_rcu(struct rcu_head *rcu)
{
	struct wg_peer *peer = container_of(rcu, struct wg_peer, rcu);

	skb_queue_purge(&peer->staged);
	kmem_cache_free(peer_cache, peer);
}

static void peer_release(struct kref *ref)
{
	struct wg_peer *peer = container_of(ref, struct wg_peer, ref);

	memzero_explicit(peer->psk, sizeof(peer->psk));
	call_rcu(&peer->rcu, peer_free_rcu);
}

void wg_peer_put(struct wg_peer *peer)
{
	if (peer)
		kref_put(&peer->ref, peer_release);
}

/* The live part. */

static void live_free_rcu(struct rcu_head *rcu)
{
	struct wg_live *live = container_of(rcu, struct wg_live, rcu);

	dst_cache_destroy(&live->route);
	kfree_sensitive(live);
}

static struct wg_live *live_alloc(struct wg_peer *peer)
{
	struct wg_live *live;

	live = kzalloc(sizeof(*live), GFP_ATOMIC);
	if (!live)
		return NULL;
	if (dst_cache_init(&live->route, GFP_ATOMIC)) {
		kfree(live);
		return NULL;
	}
	live->peer = peer;
	spin_lock_init(&live->lock);
	live->hs_index.kind = WG_INDEX_HANDSHAKE;
	wg_sealer_init(&live->sealer, jiffies);
	wg_cookie_mac1_key(live->mac1_key, peer->public_key);
	wg_cookie_cookie_key(live->cookie_key, peer->public_key);
	return live;
}

struct wg_live *wg_peer_ensure_live(struct wg_peer *peer)
{
	struct wg_live *live, *old, *fresh;

	RCU_LOCKDEP_WARN(!rcu_read_lock_held() && !rcu_read_lock_bh_held(),
			 "the live part is only used under RCU");
	if (test_bit(WG_PEER_DEAD, &peer->flags))
		return NULL;
	live = wg_live_of(peer);
	if (live && !READ_ONCE(live->dead))
		return live;
	fresh = live_alloc(peer);
	if (!fresh)
		return NULL;
	/* Racing another allocation or a retirement: one wins. */
	old = cmpxchg((struct wg_live __force **)&peer->live, live, fresh);
	if (old != live) {
		live_free_rcu(&fresh->rcu);
		live = wg_live_of(peer);
		return live && !READ_ONCE(live->dead) ? live : NULL;
	}
	/* Removal may have begun meanwhile: it retires what it finds. */
	if (test_bit(WG_PEER_DEAD, &peer->flags)) {
		wg_peer_retire_live(peer);
		return NULL;
	}
	return fresh;
}

void wg_peer_retire_live(struct wg_peer *peer)
{
	struct wg_session *gone[3];
	struct wg_live *live;
	bool pending;
	int i;

	rcu_read_lock_bh();
	live = wg_live_of(peer);
	if (!live) {
		rcu_read_unlock_bh();
		return;
	}
	spin_lock_bh(&live->lock);
	if (live->dead) {
		spin_unlock_bh(&live->lock);
		rcu_read_unlock_bh();
		return;
	}
	WRITE_ONCE(live->dead, true);
	wg_session_take_all(live, gone);
	pending = live->hs_pending;
	live->hs_pending = false;
	memzero_explicit(&live->hs, sizeof(live->hs));
	spin_unlock_bh(&live->lock);
	/* Only a newer live part may take its place, never an older one. */
	cmpxchg((struct wg_live __force **)&peer->live, live, NULL);
	rcu_read_unlock_bh();

	if (pending)
		wg_index_table_remove(&peer->wg->by_index, &live->hs_index);
	for (i = 0; i < 3; ++i)
		wg_session_drop(gone[i]);
	call_rcu(&live->rcu, live_free_rcu);
}

/* Removal. */

void wg_peer_unlink(struct wg_peer *peer, struct list_head *dead)
{
	struct wg_device *wg = peer->wg;

	lockdep_assert_held(&wg->conf_lock);
	if (test_and_set_bit(WG_PEER_DEAD, &peer->flags))
		return;
	wg_pubkey_table_remove(&wg->by_key, peer);
	wg_allowedips_remove_by_peer(&wg->allowedips, peer, &wg->conf_lock);
	wg_peer_retire_live(peer);
	list_move_tail(&peer->node, dead);
	--wg->npeers;
}

void wg_peers_reap(struct wg_device *wg, struct list_head *dead)
{
	struct wg_peer *peer, *tmp;

	if (list_empty(dead))
		return;
	/*
	 * Whoever found a peer before it was marked dead may still arm its
	 * timer or stage a packet: after one grace period nobody can.
	 */
	synchronize_net();
	list_for_each_entry_safe(peer, tmp, dead, node) {
		list_del_init(&peer->node);
		wg_timer_stop(peer);
		/* A live part born in the window is retired now. */
		wg_peer_retire_live(peer);
		skb_queue_purge(&peer->staged);
		wg_tx_purge(peer);
		wg_peer_put(peer);
	}
}

void wg_peers_remove_all(struct wg_device *wg)
{
	struct wg_peer *peer, *tmp;
	LIST_HEAD(dead);

	list_for_each_entry_safe(peer, tmp, &wg->peers, node)
		wg_peer_unlink(peer, &dead);
	wg_peers_reap(wg, &dead);
}

int __init wg_peer_cache_init(void)
{
	peer_cache = KMEM_CACHE(wg_peer, 0);
	return peer_cache ? 0 : -ENOMEM;
}

void wg_peer_cache_uninit(void)
{
	rcu_barrier();
	kmem_cache_destroy(peer_cache);
}
