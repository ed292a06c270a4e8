/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The device's two lookup tables: peers by public key, and pending
 * handshakes and sessions by the 32-bit index the remote side echoes back
 * to us. Both are rhashtables: lookups under RCU, resized as the device
 * grows.
 */
#ifndef _WG_PEERLOOKUP_H
#define _WG_PEERLOOKUP_H

#include <linux/rhashtable-types.h>
#include <linux/types.h>

struct wg_peer;

enum wg_index_kind {
	WG_INDEX_HANDSHAKE = 1 << 0,	/* a live part's pending handshake */
	WG_INDEX_SESSION = 1 << 1,	/* a session (session.h) */
};

/* Embedded in what it names; the owner finds itself with container_of. */
struct wg_index {
	struct rhash_head node;
	__le32 id;
	u8 kind;
};

int wg_pubkey_table_init(struct rhashtable *table);
void wg_pubkey_table_destroy(struct rhashtable *table);
/* Insert and remove under the config mutex. */
int wg_pubkey_table_add(struct rhashtable *table, struct wg_peer *peer);
void wg_pubkey_table_remove(struct rhashtable *table, struct wg_peer *peer);
/* Under RCU; no reference taken. */
struct wg_peer *wg_pubkey_table_lookup(struct rhashtable *table,
				       const u8 *pubkey);

int wg_index_table_init(struct rhashtable *table);
void wg_index_table_destroy(struct rhashtable *table);
/* Gives @entry a fresh random id unique in @table and inserts it. */
int wg_index_table_insert(struct rhashtable *table, struct wg_index *entry);
void wg_index_table_remove(struct rhashtable *table, struct wg_index *entry);
/* Puts @new in @old's place, under @old's id. */
int wg_index_table_replace(struct rhashtable *table, struct wg_index *old,
			   struct wg_index *new);
/* Under RCU; the entry of one of the @kinds with @id, or NULL. */
struct wg_index *wg_index_table_lookup(struct rhashtable *table,
				       unsigned int kinds, __le32 id);

#endif /* _WG_PEERLOOKUP_H */
