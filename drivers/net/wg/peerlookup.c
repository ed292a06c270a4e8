// SPDX-License-Identifier: GPL-2.0
/*
 * Peers by public key, handshakes and sessions by index. Both tables grow
 * with the device, so a 100k-peer configuration stays O(1) per lookup.
 */

#include <linux/random.h>
#include <linux/rhashtable.h>

#include "peerlookup.h"
#include "peer.h"

/*
 * Lookups take rcu_read_lock() themselves, whatever the caller holds:
 * rhashtable's lockdep checks accept only that (rcu_read_lock_bh() is a
 * read-side section too, but lockdep reports it from process context).
 */
static const struct rhashtable_params pubkey_params = {
	.key_len = WG_KEY_SIZE,
	.key_offset = offsetof(struct wg_peer, public_key),
	.head_offset = offsetof(struct wg_peer, by_key),
	.automatic_shrinking = true,
};

static const struct rhashtable_params index_params = {
	.key_len = sizeof(__le32),
	.key_offset = offsetof(struct wg_index, id),
	.head_offset = offsetof(struct wg_index, node),
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
	return rhashtable_lookup_insert_fast(table, &peer->by_key,
					     pubkey_params);
}

void wg_pubkey_table_remove(struct rhashtable *table, struct wg_peer *peer)
{
	rhashtable_remove_fast(table, &peer->by_key, pubkey_params);
}

struct wg_peer *wg_pubkey_table_lookup(struct rhashtable *table,
				       const u8 *pubkey)
{
	struct wg_peer *peer;

	rcu_read_lock();
	peer = rhashtable_lookup(table, pubkey, pubkey_params);
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

int wg_index_table_insert(struct rhashtable *table, struct wg_index *entry)
{
	int ret;

	/* 2^32 ids and few live ones: a collision is rare, retry it. */
	do {
		entry->id = (__force __le32)get_random_u32();
		ret = rhashtable_lookup_insert_fast(table, &entry->node,
						    index_params);
	} while (ret == -EEXIST);
	return ret;
}

void wg_index_table_remove(struct rhashtable *table, struct wg_index *entry)
{
	rhashtable_remove_fast(table, &entry->node, index_params);
}

int wg_index_table_replace(struct rhashtable *table, struct wg_index *old,
			   struct wg_index *new)
{
	new->id = old->id;
	return rhashtable_replace_fast(table, &old->node, &new->node,
				       index_params);
}

struct wg_index *wg_index_table_lookup(struct rhashtable *table,
				       unsigned int kinds, __le32 id)
{
	struct wg_index *entry;

	rcu_read_lock();
	entry = rhashtable_lookup(table, &id, index_params);
	if (entry && !(entry->kind & kinds))
		entry = NULL;
	rcu_read_unlock();
	return entry;
}
