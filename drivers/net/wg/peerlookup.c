// SPDX-License-Identifier: GPL-2.0
/*
 * Peers by public key, handshakes and keypairs by index. Both tables grow
 * with the device, so a 100k-peer configuration stays O(1) per lookup.
 */

#include <linux/random.h>
#include <linux/rhashtable.h>

#include "peerlookup.h"
#include "peer.h"

/*
 * Lookups take rcu_read_lock() themselves, whatever the caller holds:
 * rhashtable's lockdep checks accept only that (rcu_read_lock_bh() is a
 * read-side section too, but lockdep reports it from process context,
 * as in the handshake worker).
 */
static const struct rhashtable_params pubkey_params = {
	.key_len = NOISE_PUBLIC_KEY_LEN,
	.key_offset = offsetof(struct wg_peer, handshake.remote_static),
	.head_offset = offsetof(struct wg_peer, pubkey_hash),
	.automatic_shrinking = true,
};

static const struct rhashtable_params index_params = {
	.key_len = sizeof(__le32),
	.key_offset = offsetof(struct index_entry, index),
	.head_offset = offsetof(struct index_entry, node),
	.automatic_shrinking = true,
};

int wg_pubkey_table_init(struct rhashtable *table)
{
	return rhashtable_init(table, &pubkey_params);
}

void wg_pubkey_table_destroy(struct rhashtable *table)
{
	rhashtable_destroy(table);
}

int wg_pubkey_table_add(struct rhashtable *table, struct wg_peer *peer)
{
	return rhashtable_lookup_insert_fast(table, &peer->pubkey_hash,
					     pubkey_params);
}

void wg_pubkey_table_remove(struct rhashtable *table, struct wg_peer *peer)
{
	rhashtable_remove_fast(table, &peer->pubkey_hash, pubkey_params);
}

struct wg_peer *wg_pubkey_table_lookup(struct rhashtable *table,
				       const u8 pubkey[NOISE_PUBLIC_KEY_LEN])
{
	struct wg_peer *peer;

	rcu_read_lock();
	peer = rhashtable_lookup(table, pubkey, pubkey_params);
	peer = peer ? wg_peer_get_maybe_zero(peer) : NULL;
	rcu_read_unlock();
	return peer;
}

int wg_index_table_init(struct rhashtable *table)
{
	return rhashtable_init(table, &index_params);
}

void wg_index_table_destroy(struct rhashtable *table)
{
	rhashtable_destroy(table);
}

int wg_index_table_insert(struct rhashtable *table, struct index_entry *entry)
{
	int ret;

	/* 2^32 indices and few live ones: a collision is rare, retry it. */
	do {
		entry->index = (__force __le32)get_random_u32();
		ret = rhashtable_lookup_insert_fast(table, &entry->node,
						    index_params);
	} while (ret == -EEXIST);
	return ret;
}

bool wg_index_table_replace(struct rhashtable *table, struct index_entry *old,
			    struct index_entry *new)
{
	new->index = old->index;
	return !rhashtable_replace_fast(table, &old->node, &new->node,
					index_params);
}

void wg_index_table_remove(struct rhashtable *table, struct index_entry *entry)
{
	rhashtable_remove_fast(table, &entry->node, index_params);
}

struct index_entry *wg_index_table_lookup(struct rhashtable *table,
					  enum index_type type_mask,
					  __le32 index, struct wg_peer **peer)
{
	struct index_entry *entry;

	rcu_read_lock();
	entry = rhashtable_lookup(table, &index, index_params);
	if (likely(entry) && !(entry->type & type_mask))
		entry = NULL;
	if (likely(entry)) {
		*peer = wg_peer_get_maybe_zero(entry->peer);
		if (unlikely(!*peer))
			entry = NULL;
	}
	rcu_read_unlock();
	return entry;
}
