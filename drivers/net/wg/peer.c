// SPDX-License-Identifier: GPL-2.0
/*
 * Peer creation and removal. Removing peers is two steps: unlink (under the
 * config mutex: out of every lookup, so no new reference can be taken), then,
 * after one grace period for the whole batch, stop their timers and work and
 * drop the table's reference. Deleting a device with 10k peers therefore
 * waits for one grace period, not 10k of them.
 */

#include <linux/slab.h>
#include <linux/rcupdate.h>

#include "peer.h"
#include "device.h"
#include "peerlookup.h"
#include "allowedips.h"
#include "timers.h"
#include "send.h"
#include "cookie.h"

static struct kmem_cache *peer_cache;

struct wg_peer *wg_peer_create(struct wg_device *wg,
			       const u8 public_key[NOISE_PUBLIC_KEY_LEN],
			       const u8 preshared_key[NOISE_SYMMETRIC_KEY_LEN])
{
	struct wg_peer *peer;
	int ret;

	lockdep_assert_held(&wg->device_update_lock);

	if (wg->num_peers >= MAX_PEERS_PER_DEVICE)
		return ERR_PTR(-ENOSPC);

	peer = kmem_cache_zalloc(peer_cache, GFP_KERNEL);
	if (unlikely(!peer))
		return ERR_PTR(-ENOMEM);
	ret = dst_cache_init(&peer->endpoint_cache, GFP_KERNEL);
	if (ret)
		goto err_free_peer;

	peer->device = wg;
	kref_init(&peer->refcount);
	rwlock_init(&peer->endpoint_lock);
	spin_lock_init(&peer->keypairs.keypair_update_lock);
	skb_queue_head_init(&peer->staged_packet_queue);
	INIT_LIST_HEAD(&peer->allowedips_list);
	wg_noise_handshake_init(&peer->handshake, &wg->static_identity,
				public_key, preshared_key, peer);
	wg_cookie_init(&peer->latest_cookie);
	wg_cookie_checker_precompute_peer_keys(peer);
	wg_timers_init(peer);
	wg_packet_peer_init(peer);

	ret = wg_pubkey_table_add(&wg->peer_hashtable, peer);
	if (ret)
		goto err_destroy_cache;

	peer->internal_id = ++wg->peer_id_counter;
	list_add_tail(&peer->peer_list, &wg->peer_list);
	++wg->num_peers;
	pr_debug("%s: peer %llu created\n", wg->dev->name, peer->internal_id);
	return peer;

err_destroy_cache:
	dst_cache_destroy(&peer->endpoint_cache);
err_free_peer:
	kmem_cache_free(peer_cache, peer);
	return ERR_PTR(ret);
}

struct wg_peer *wg_peer_get_maybe_zero(struct wg_peer *peer)
{
	RCU_LOCKDEP_WARN(!rcu_read_lock_bh_held() && !rcu_read_lock_held(),
			 "taking peer reference without holding the RCU read lock");
	if (unlikely(!peer || !kref_get_unless_zero(&peer->refcount)))
		return NULL;
	return peer;
}

/* Neither handshake replies nor data can find the peer's state any more. */
static void unlink_indices(struct wg_peer *peer)
{
	struct rhashtable *table = &peer->device->index_hashtable;
	struct noise_keypairs *keypairs = &peer->keypairs;
	struct noise_keypair *keypair;

	wg_index_table_remove(table, &peer->handshake.entry);
	spin_lock_bh(&keypairs->keypair_update_lock);
	keypair = wg_keypair_slot(keypairs, previous_keypair);
	if (keypair)
		wg_index_table_remove(table, &keypair->entry);
	keypair = wg_keypair_slot(keypairs, current_keypair);
	if (keypair)
		wg_index_table_remove(table, &keypair->entry);
	keypair = wg_keypair_slot(keypairs, next_keypair);
	if (keypair)
		wg_index_table_remove(table, &keypair->entry);
	spin_unlock_bh(&keypairs->keypair_update_lock);
}

/*
 * Step one: out of every table, so lookups stop finding the peer. The caller
 * collects unlinked peers on @dead (through peer_list, which the peer no
 * longer needs) and hands them to wg_peer_reap().
 */
void wg_peer_unlink(struct wg_peer *peer, struct list_head *dead)
{
	struct wg_device *wg = peer->device;

	lockdep_assert_held(&wg->device_update_lock);
	if (peer->is_dead)
		return;
	WRITE_ONCE(peer->is_dead, true);
	wg_pubkey_table_remove(&wg->peer_hashtable, peer);
	wg_allowedips_remove_by_peer(&wg->peer_allowedips, peer,
				     &wg->device_update_lock);
	unlink_indices(peer);
	list_move_tail(&peer->peer_list, dead);
	--wg->num_peers;
}

/* Step two, after one grace period covers the whole batch. */
void wg_peer_reap(struct list_head *dead)
{
	struct wg_peer *peer, *tmp;

	if (list_empty(dead))
		return;
	/* No lookup that could still find these peers is in progress. */
	synchronize_net();
	peer = list_first_entry(dead, struct wg_peer, peer_list);
	wg_packet_peers_stop(peer->device, dead);
	list_for_each_entry_safe(peer, tmp, dead, peer_list) {
		list_del_init(&peer->peer_list);
		wg_noise_handshake_clear(&peer->handshake);
		wg_noise_keypairs_clear(&peer->keypairs);
		pr_debug("%s: peer %llu removed\n", peer->device->dev->name,
			 peer->internal_id);
		wg_peer_put(peer);
	}
}

void wg_peer_remove(struct wg_peer *peer)
{
	LIST_HEAD(dead);

	wg_peer_unlink(peer, &dead);
	wg_peer_reap(&dead);
}

void wg_peer_remove_all(struct wg_device *wg)
{
	struct wg_peer *peer, *tmp;
	LIST_HEAD(dead);

	list_for_each_entry_safe(peer, tmp, &wg->peer_list, peer_list)
		wg_peer_unlink(peer, &dead);
	wg_peer_reap(&dead);
}

static void peer_free_rcu(struct rcu_head *rcu)
{
	struct wg_peer *peer = container_of(rcu, struct wg_peer, rcu);

	dst_cache_destroy(&peer->endpoint_cache);
	kmem_cache_free(peer_cache, peer);
}

static void peer_release(struct kref *refcount)
{
	struct wg_peer *peer = container_of(refcount, struct wg_peer, refcount);

	memzero_explicit(&peer->handshake, sizeof(peer->handshake));
	call_rcu(&peer->rcu, peer_free_rcu);
}

void wg_peer_put(struct wg_peer *peer)
{
	if (peer)
		kref_put(&peer->refcount, peer_release);
}

int __init wg_peer_init(void)
{
	peer_cache = KMEM_CACHE(wg_peer, 0);
	return peer_cache ? 0 : -ENOMEM;
}

void wg_peer_uninit(void)
{
	/* Peers still waiting in call_rcu must be freed first. */
	rcu_barrier();
	kmem_cache_destroy(peer_cache);
}
