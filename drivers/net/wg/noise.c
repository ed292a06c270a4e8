// SPDX-License-Identifier: GPL-2.0
/*
 * Noise_IKpsk2 (protocol sheet: "Handshake"): our static identity, the
 * per-peer handshake state and the keypairs a handshake yields.
 */

#include <linux/slab.h>
#include <linux/string.h>
#include <crypto/curve25519.h>

#include "noise.h"
#include "peer.h"
#include "device.h"
#include "peerlookup.h"

void wg_noise_set_static_identity_private_key(struct noise_static_identity *id,
					      const u8 private_key[NOISE_PUBLIC_KEY_LEN])
{
	/* Kept as given, so showconf returns it verbatim; X25519 clamps it. */
	memcpy(id->static_private, private_key, NOISE_PUBLIC_KEY_LEN);
	id->has_identity = curve25519_generate_public(id->static_public,
						      private_key);
	if (!id->has_identity)
		memset(id->static_public, 0, NOISE_PUBLIC_KEY_LEN);
}

void wg_noise_handshake_init(struct noise_handshake *handshake,
			     struct noise_static_identity *static_identity,
			     const u8 peer_public_key[NOISE_PUBLIC_KEY_LEN],
			     const u8 peer_preshared_key[NOISE_SYMMETRIC_KEY_LEN],
			     struct wg_peer *peer)
{
	memset(handshake, 0, sizeof(*handshake));
	init_rwsem(&handshake->lock);
	handshake->entry.type = INDEX_HANDSHAKE;
	handshake->entry.peer = peer;
	handshake->static_identity = static_identity;
	memcpy(handshake->remote_static, peer_public_key, NOISE_PUBLIC_KEY_LEN);
	if (peer_preshared_key)
		memcpy(handshake->preshared_key, peer_preshared_key,
		       NOISE_SYMMETRIC_KEY_LEN);
	handshake->state = HANDSHAKE_ZEROED;
}

/* Caller holds handshake->lock for writing. */
static void handshake_zero(struct noise_handshake *handshake)
{
	memset(&handshake->ephemeral_private, 0, NOISE_PUBLIC_KEY_LEN);
	memset(&handshake->remote_ephemeral, 0, NOISE_PUBLIC_KEY_LEN);
	memset(&handshake->hash, 0, NOISE_HASH_LEN);
	memset(&handshake->chaining_key, 0, NOISE_HASH_LEN);
	handshake->remote_index = 0;
	handshake->state = HANDSHAKE_ZEROED;
}

void wg_noise_handshake_clear(struct noise_handshake *handshake)
{
	struct wg_peer *peer = handshake->entry.peer;

	down_write(&handshake->lock);
	wg_index_table_remove(&peer->device->index_hashtable,
			      &handshake->entry);
	handshake_zero(handshake);
	up_write(&handshake->lock);
}

void wg_noise_invalidate_static_static(struct wg_peer *peer)
{
	down_write(&peer->handshake.lock);
	memzero_explicit(peer->handshake.precomputed_static_static,
			 NOISE_PUBLIC_KEY_LEN);
	peer->handshake.static_static_ready = false;
	up_write(&peer->handshake.lock);
}

static void keypair_free_rcu(struct rcu_head *rcu)
{
	kfree_sensitive(container_of(rcu, struct noise_keypair, rcu));
}

static void keypair_free_kref(struct kref *kref)
{
	struct noise_keypair *keypair =
		container_of(kref, struct noise_keypair, refcount);

	wg_index_table_remove(&keypair->entry.peer->device->index_hashtable,
			      &keypair->entry);
	call_rcu(&keypair->rcu, keypair_free_rcu);
}

void wg_noise_keypair_put(struct noise_keypair *keypair, bool unreference_now)
{
	if (unlikely(!keypair))
		return;
	/* Stop the index from resolving at once, not when the last user goes. */
	if (unlikely(unreference_now))
		wg_index_table_remove(&keypair->entry.peer->device->index_hashtable,
				      &keypair->entry);
	kref_put(&keypair->refcount, keypair_free_kref);
}

void wg_noise_keypairs_clear(struct noise_keypairs *keypairs)
{
	struct noise_keypair *old;

	spin_lock_bh(&keypairs->keypair_update_lock);
	old = rcu_dereference_protected(keypairs->previous_keypair,
					lockdep_is_held(&keypairs->keypair_update_lock));
	RCU_INIT_POINTER(keypairs->previous_keypair, NULL);
	wg_noise_keypair_put(old, true);

	old = rcu_dereference_protected(keypairs->next_keypair,
					lockdep_is_held(&keypairs->keypair_update_lock));
	RCU_INIT_POINTER(keypairs->next_keypair, NULL);
	wg_noise_keypair_put(old, true);

	old = rcu_dereference_protected(keypairs->current_keypair,
					lockdep_is_held(&keypairs->keypair_update_lock));
	RCU_INIT_POINTER(keypairs->current_keypair, NULL);
	wg_noise_keypair_put(old, true);
	spin_unlock_bh(&keypairs->keypair_update_lock);
}

void wg_noise_expire_current_peer_keypairs(struct wg_peer *peer)
{
	struct noise_keypair *keypair;

	wg_noise_handshake_clear(&peer->handshake);
	spin_lock_bh(&peer->keypairs.keypair_update_lock);
	keypair = rcu_dereference_protected(peer->keypairs.next_keypair,
					    lockdep_is_held(&peer->keypairs.keypair_update_lock));
	if (keypair)
		keypair->sending.is_valid = false;
	keypair = rcu_dereference_protected(peer->keypairs.current_keypair,
					    lockdep_is_held(&peer->keypairs.keypair_update_lock));
	if (keypair)
		keypair->sending.is_valid = false;
	spin_unlock_bh(&peer->keypairs.keypair_update_lock);
}
