/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The device's two lookup tables: peers by public key, and handshakes and
 * keypairs by the 32-bit index the remote side echoes back. Both are
 * rhashtables: lookups under RCU, resized as the peer count grows.
 */
#ifndef _WG_PEERLOOKUP_H
#define _WG_PEERLOOKUP_H

#include <linux/rhashtable-types.h>
#include "noise.h"

struct wg_device;
struct wg_peer;

int wg_pubkey_table_init(struct rhashtable *table);
void wg_pubkey_table_destroy(struct rhashtable *table);
/* Insert and remove under the config mutex. */
int wg_pubkey_table_add(struct rhashtable *table, struct wg_peer *peer);
void wg_pubkey_table_remove(struct rhashtable *table, struct wg_peer *peer);
/* Under RCU; returns a reference or NULL. */
struct wg_peer *wg_pubkey_table_lookup(struct rhashtable *table,
				       const u8 pubkey[NOISE_PUBLIC_KEY_LEN]);

int wg_index_table_init(struct rhashtable *table);
void wg_index_table_destroy(struct rhashtable *table);
/* Gives @entry a fresh random index unique in @table and inserts it. */
int wg_index_table_insert(struct rhashtable *table, struct index_entry *entry);
/* Puts @new in place of @old, keeping old's index; false if old was gone. */
bool wg_index_table_replace(struct rhashtable *table, struct index_entry *old,
			    struct index_entry *new);
void wg_index_table_remove(struct rhashtable *table, struct index_entry *entry);
/* Under RCU; returns the entry with a reference on its peer, or NULL. */
struct index_entry *wg_index_table_lookup(struct rhashtable *table,
					  enum index_type type_mask,
					  __le32 index, struct wg_peer **peer);

#endif /* _WG_PEERLOOKUP_H */
