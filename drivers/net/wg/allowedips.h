/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The per-device AllowedIPs table: IPv4 and IPv6 prefixes, each owned by at
 * most one peer, searched by longest prefix match.
 *
 * Locking: every function that takes a `lock` changes or walks the table
 * and must be called with that mutex (the device's config mutex) held; it
 * also guards every peer's allowedips_list. wg_allowedips_first(),
 * wg_allowedips_next() and wg_allowedips_read_node() need the same mutex.
 * Lookups need only rcu_read_lock_bh(); they take no lock, no reference and
 * no atomic. Freed nodes go through call_rcu(), so nothing here ever waits
 * for a grace period; wg_allowedips_slab_uninit() runs rcu_barrier() before
 * destroying the node cache.
 */
#ifndef _WG_ALLOWEDIPS_H
#define _WG_ALLOWEDIPS_H

#include <linux/types.h>
#include <linux/mutex.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/skbuff.h>

struct wg_peer;
struct allowedips_node;

struct allowedips {
	struct allowedips_node __rcu *root4;
	struct allowedips_node __rcu *root6;
	u64 seq;		/* bumped on every change, under the lock */
};

void wg_allowedips_init(struct allowedips *table);
void wg_allowedips_free(struct allowedips *table, struct mutex *lock);

/*
 * A prefix of @family (AF_INET or AF_INET6; -EINVAL otherwise, as for a
 * @cidr longer than the address): @addr holds 4 or 16 bytes in network
 * order. add() gives it to @peer (taking it from another peer that had
 * it); del() removes it if @peer has it, and is 0 if not.
 */
int wg_allowedips_add(struct allowedips *table, int family, const void *addr,
		      u8 cidr, struct wg_peer *peer, struct mutex *lock);
int wg_allowedips_del(struct allowedips *table, int family, const void *addr,
		      u8 cidr, struct wg_peer *peer, struct mutex *lock);
void wg_allowedips_remove_by_peer(struct allowedips *table,
				  struct wg_peer *peer, struct mutex *lock);

/* A peer's prefixes in insertion order; under the lock. */
struct allowedips_node *wg_allowedips_first(struct wg_peer *peer);
struct allowedips_node *wg_allowedips_next(struct wg_peer *peer,
					   struct allowedips_node *node);
/* Writes 4 (AF_INET) or 16 (AF_INET6) bytes of ip; returns the family. */
int wg_allowedips_read_node(const struct allowedips_node *node, u8 ip[16],
			    u8 *cidr);

/*
 * Under rcu_read_lock_bh(): the peer owning the longest prefix of @addr,
 * no reference taken; NULL if none or another family.
 */
struct wg_peer *wg_allowedips_find(struct allowedips *table, int family,
				   const void *addr);
/*
 * By the destination (send) or source (receive) address of an IPv4 or IPv6
 * skb, chosen by skb->protocol; its network header must be set and linear.
 * NULL for any other protocol.
 */
struct wg_peer *wg_allowedips_lookup_dst(struct allowedips *table,
					 struct sk_buff *skb);
struct wg_peer *wg_allowedips_lookup_src(struct allowedips *table,
					 struct sk_buff *skb);

/* Module init/exit: the node cache. uninit waits for pending frees. */
int wg_allowedips_slab_init(void);
void wg_allowedips_slab_uninit(void);

#endif /* _WG_ALLOWEDIPS_H */
