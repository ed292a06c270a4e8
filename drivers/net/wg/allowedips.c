// SPDX-License-Identifier: GPL-2.0
/*
 * AllowedIPs: one path-compressed binary trie per address family.
 *
 * A key is an address as two host-order u64 words, most significant bit
 * first; an IPv4 address fills the top half of word 0 and leaves the rest
 * zero, so the same code serves both families. Every node carries a prefix
 * (key, cidr) whose bits past cidr are clear. Its children carry longer
 * prefixes that begin with it, each on the side given by its own bit number
 * cidr. A node either belongs to a peer (peer set, linked on that peer's
 * allowedips_list) or is a branch node with exactly two children, made only
 * where two prefixes part ways. So there are fewer than two nodes per
 * prefix, and the trie is empty again once its last prefix is gone.
 *
 * A lookup walks down from the root. At each node, xor and fls64 count the
 * leading bits the node's key shares with the address; if the node's whole
 * prefix is among them, its peer (if any) is the best match so far and the
 * walk goes on to the child picked by the address's next bit; if not,
 * nothing further down can match either.
 *
 * Updates run under the device's config mutex. Once a node is published,
 * its key, cidr, family and child-selection bit never change; only its
 * peer and children do, each with a single pointer store. So a lookup
 * running beside an update sees the trie either before or after each store.
 * Unlinked nodes are freed by call_rcu(), never by waiting.
 */

#include <linux/bitops.h>
#include <linux/errno.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/lockdep.h>
#include <linux/minmax.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/socket.h>
#include <linux/string.h>

#include "allowedips.h"
#include "peer.h"

struct allowedips_node {
	/* Read by lookups; all but peer and child fixed once published. */
	u64 key[2];
	struct allowedips_node __rcu *child[2];
	struct wg_peer __rcu *peer;	/* NULL: a branch node */
	u8 cidr;
	u8 bit_word;	/* key[bit_word] >> bit_shift & 1: bit number cidr */
	u8 bit_shift;
	u8 family;	/* AF_INET or AF_INET6 */

	/* Only under the lock. */
	struct allowedips_node *parent;
	union {
		struct list_head peer_list;	/* while peer is set */
		struct rcu_head rcu;		/* once unlinked */
	};
};

static struct kmem_cache *node_cache;

#define deref_locked(p, lock) \
	rcu_dereference_protected(p, lockdep_is_held(lock))

static void v4_key(u64 key[2], __be32 addr)
{
	key[0] = (u64)be32_to_cpu(addr) << 32;
	key[1] = 0;
}

static void v6_key(u64 key[2], const struct in6_addr *addr)
{
	key[0] = (u64)be32_to_cpu(addr->s6_addr32[0]) << 32 |
		 be32_to_cpu(addr->s6_addr32[1]);
	key[1] = (u64)be32_to_cpu(addr->s6_addr32[2]) << 32 |
		 be32_to_cpu(addr->s6_addr32[3]);
}

/* Bit number bit (0 is the most significant) of key; bit < 128. */
static unsigned int key_bit(const u64 key[2], unsigned int bit)
{
	return (key[bit >> 6] >> (63 - (bit & 63))) & 1;
}

/* How many leading bits a and b have in common: 0 to 128. */
static __always_inline unsigned int common_bits(const u64 a[2],
						const u64 b[2])
{
	u64 x = a[0] ^ b[0];

	if (x)
		return 64 - fls64(x);
	return 128 - fls64(a[1] ^ b[1]);
}

/* Clears every bit of key past the first cidr. */
static void mask_key(u64 key[2], unsigned int cidr)
{
	if (cidr < 64) {
		key[0] = cidr ? key[0] & (~0ULL << (64 - cidr)) : 0;
		key[1] = 0;
	} else if (cidr < 128) {
		key[1] = cidr > 64 ? key[1] & (~0ULL << (128 - cidr)) : 0;
	}
}

static struct allowedips_node *new_node(const u64 key[2], unsigned int cidr,
					u8 family)
{
	struct allowedips_node *node;
	unsigned int bit = min(cidr, 127U);

	node = kmem_cache_zalloc(node_cache, GFP_KERNEL);
	if (!node)
		return NULL;
	node->key[0] = key[0];
	node->key[1] = key[1];
	mask_key(node->key, cidr);
	node->cidr = cidr;
	/* A full-length node has no children: its bit only has to exist. */
	node->bit_word = bit >> 6;
	node->bit_shift = 63 - (bit & 63);
	node->family = family;
	return node;
}

static void free_node_rcu(struct rcu_head *rcu)
{
	kmem_cache_free(node_cache,
			container_of(rcu, struct allowedips_node, rcu));
}

/* The pointer that leads to node: its parent's child slot, or the root. */
static struct allowedips_node __rcu **
node_slot(struct allowedips_node __rcu **root, struct allowedips_node *node)
{
	struct allowedips_node *parent = node->parent;

	return parent ? &parent->child[key_bit(node->key, parent->cidr)] : root;
}

static struct allowedips_node __rcu **root_of(struct allowedips *table,
					      u8 family)
{
	return family == AF_INET6 ? &table->root6 : &table->root4;
}

void wg_allowedips_init(struct allowedips *table)
{
	RCU_INIT_POINTER(table->root4, NULL);
	RCU_INIT_POINTER(table->root6, NULL);
	table->seq = 1;
}

/*
 * Frees a trie that is no longer reachable from its root, children before
 * parents, following parent pointers instead of using a stack. Lookups
 * that were already inside it may still be walking it, so no pointer they
 * read is changed: the nodes only go to call_rcu().
 */
static void free_trie(struct allowedips_node *node, struct mutex *lock)
{
	struct allowedips_node *parent, *next;

	while (node) {
		while ((next = deref_locked(node->child[0], lock)) ||
		       (next = deref_locked(node->child[1], lock)))
			node = next;
		for (;;) {
			parent = node->parent;
			next = parent ? deref_locked(parent->child[1], lock) :
					NULL;
			if (deref_locked(node->peer, lock))
				list_del(&node->peer_list);
			call_rcu(&node->rcu, free_node_rcu);
			if (!parent)
				return;
			if (next && next != node) {
				node = next;
				break;
			}
			node = parent;
		}
	}
}

void wg_allowedips_free(struct allowedips *table, struct mutex *lock)
{
	struct allowedips_node *root4 = deref_locked(table->root4, lock);
	struct allowedips_node *root6 = deref_locked(table->root6, lock);

	RCU_INIT_POINTER(table->root4, NULL);
	RCU_INIT_POINTER(table->root6, NULL);
	free_trie(root4, lock);
	free_trie(root6, lock);
	++table->seq;
}

static void set_peer(struct allowedips *table, struct allowedips_node *node,
		     struct wg_peer *peer, struct mutex *lock)
{
	struct wg_peer *old = deref_locked(node->peer, lock);

	if (old == peer)
		return;
	rcu_assign_pointer(node->peer, peer);
	if (old)
		list_del(&node->peer_list);
	list_add_tail(&node->peer_list, &peer->allowedips_list);
	++table->seq;
}

static int insert_prefix(struct allowedips *table, u64 key[2],
			 unsigned int cidr, u8 family, struct wg_peer *peer,
			 struct mutex *lock)
{
	struct allowedips_node __rcu **root = root_of(table, family);
	struct allowedips_node __rcu **slot = root;
	struct allowedips_node *parent = NULL, *node, *leaf, *branch;
	unsigned int common = 0;

	mask_key(key, cidr);
	while ((node = deref_locked(*slot, lock))) {
		common = min3(common_bits(node->key, key),
			      (unsigned int)node->cidr, cidr);
		if (common < node->cidr)
			break;
		if (node->cidr == cidr) {
			set_peer(table, node, peer, lock);
			return 0;
		}
		parent = node;
		slot = &node->child[key_bit(key, node->cidr)];
	}

	/*
	 * Either slot is empty, or node's prefix and ours agree on their
	 * first common bits only: if ours ends there, it goes above node;
	 * if not, they part ways at bit common, under a new branch node.
	 */
	leaf = new_node(key, cidr, family);
	if (!leaf)
		return -ENOMEM;
	RCU_INIT_POINTER(leaf->peer, peer);
	if (node && common < cidr) {
		branch = new_node(key, common, family);
		if (!branch) {
			kmem_cache_free(node_cache, leaf);
			return -ENOMEM;
		}
		RCU_INIT_POINTER(branch->child[key_bit(key, common)], leaf);
		RCU_INIT_POINTER(branch->child[key_bit(node->key, common)],
				 node);
		branch->parent = parent;
		leaf->parent = branch;
		node->parent = branch;
		rcu_assign_pointer(*slot, branch);
	} else {
		if (node) {
			RCU_INIT_POINTER(leaf->child[key_bit(node->key, cidr)],
					 node);
			node->parent = leaf;
		}
		leaf->parent = parent;
		rcu_assign_pointer(*slot, leaf);
	}
	list_add_tail(&leaf->peer_list, &peer->allowedips_list);
	++table->seq;
	return 0;
}

/*
 * Takes node's prefix away from its peer. A node left with two children
 * stays as a branch node; otherwise its child (if any) takes its place,
 * and a branch-node parent left with a single child is spliced out too.
 */
static void remove_node(struct allowedips *table,
			struct allowedips_node *node, struct mutex *lock)
{
	struct allowedips_node __rcu **root = root_of(table, node->family);
	struct allowedips_node *parent = node->parent, *child0, *child1;

	RCU_INIT_POINTER(node->peer, NULL);
	list_del(&node->peer_list);
	++table->seq;
	child0 = deref_locked(node->child[0], lock);
	child1 = deref_locked(node->child[1], lock);
	if (child0 && child1)
		return;
	if (!child0)
		child0 = child1;
	rcu_assign_pointer(*node_slot(root, node), child0);
	if (child0)
		child0->parent = parent;
	call_rcu(&node->rcu, free_node_rcu);
	if (child0 || !parent || deref_locked(parent->peer, lock))
		return;

	child0 = deref_locked(parent->child[0], lock);
	if (!child0)
		child0 = deref_locked(parent->child[1], lock);
	rcu_assign_pointer(*node_slot(root, parent), child0);
	child0->parent = parent->parent;
	call_rcu(&parent->rcu, free_node_rcu);
}

static int remove_prefix(struct allowedips *table, u64 key[2],
			 unsigned int cidr, u8 family, struct wg_peer *peer,
			 struct mutex *lock)
{
	struct allowedips_node *node;

	mask_key(key, cidr);
	node = deref_locked(*root_of(table, family), lock);
	while (node && node->cidr <= cidr &&
	       common_bits(node->key, key) >= node->cidr) {
		if (node->cidr == cidr) {
			if (deref_locked(node->peer, lock) == peer)
				remove_node(table, node, lock);
			break;
		}
		node = deref_locked(node->child[key_bit(key, node->cidr)],
				    lock);
	}
	return 0;
}

/*
 * The trie key of @addr (4 bytes for AF_INET, 16 for AF_INET6, network
 * order, any alignment); -EINVAL for another family or a @cidr longer
 * than the address.
 */
static int addr_key(u64 key[2], int family, const void *addr, u8 cidr)
{
	struct in6_addr a6;
	__be32 a4;

	if (family == AF_INET && cidr <= 32) {
		memcpy(&a4, addr, sizeof(a4));
		v4_key(key, a4);
		return 0;
	}
	if (family == AF_INET6 && cidr <= 128) {
		memcpy(&a6, addr, sizeof(a6));
		v6_key(key, &a6);
		return 0;
	}
	return -EINVAL;
}

int wg_allowedips_add(struct allowedips *table, int family, const void *addr,
		      u8 cidr, struct wg_peer *peer, struct mutex *lock)
{
	u64 key[2];
	int ret = addr_key(key, family, addr, cidr);

	return ret ?: insert_prefix(table, key, cidr, family, peer, lock);
}

int wg_allowedips_del(struct allowedips *table, int family, const void *addr,
		      u8 cidr, struct wg_peer *peer, struct mutex *lock)
{
	u64 key[2];
	int ret = addr_key(key, family, addr, cidr);

	return ret ?: remove_prefix(table, key, cidr, family, peer, lock);
}

void wg_allowedips_remove_by_peer(struct allowedips *table,
				  struct wg_peer *peer, struct mutex *lock)
{
	struct allowedips_node *node, *next;

	/* remove_node() frees no other node that has a peer: next lives. */
	list_for_each_entry_safe(node, next, &peer->allowedips_list, peer_list)
		remove_node(table, node, lock);
}

struct allowedips_node *wg_allowedips_first(struct wg_peer *peer)
{
	return list_first_entry_or_null(&peer->allowedips_list,
					struct allowedips_node, peer_list);
}

struct allowedips_node *wg_allowedips_next(struct wg_peer *peer,
					   struct allowedips_node *node)
{
	if (list_is_last(&node->peer_list, &peer->allowedips_list))
		return NULL;
	return list_next_entry(node, peer_list);
}

int wg_allowedips_read_node(const struct allowedips_node *node, u8 ip[16],
			    u8 *cidr)
{
	__be32 words[4] = {
		cpu_to_be32(node->key[0] >> 32),
		cpu_to_be32((u32)node->key[0]),
		cpu_to_be32(node->key[1] >> 32),
		cpu_to_be32((u32)node->key[1]),
	};

	*cidr = node->cidr;
	if (node->family == AF_INET6) {
		memcpy(ip, words, 16);
		return AF_INET6;
	}
	memcpy(ip, words, 4);
	return AF_INET;
}

static __always_inline struct wg_peer *
lookup_key(struct allowedips_node __rcu **root, const u64 key[2])
{
	struct allowedips_node *node = rcu_dereference_bh(*root);
	struct wg_peer *found = NULL, *peer;

	while (node && common_bits(node->key, key) >= node->cidr) {
		peer = rcu_dereference_bh(node->peer);
		if (peer)
			found = peer;
		node = rcu_dereference_bh(node->child[(key[node->bit_word] >>
						       node->bit_shift) & 1]);
	}
	return found;
}

struct wg_peer *wg_allowedips_find(struct allowedips *table, int family,
				   const void *addr)
{
	u64 key[2];

	if (addr_key(key, family, addr, 0))
		return NULL;
	return lookup_key(root_of(table, family), key);
}

struct wg_peer *wg_allowedips_lookup_dst(struct allowedips *table,
					 struct sk_buff *skb)
{
	u64 key[2];

	if (skb->protocol == htons(ETH_P_IP)) {
		v4_key(key, ip_hdr(skb)->daddr);
		return lookup_key(&table->root4, key);
	}
	if (skb->protocol == htons(ETH_P_IPV6)) {
		v6_key(key, &ipv6_hdr(skb)->daddr);
		return lookup_key(&table->root6, key);
	}
	return NULL;
}

struct wg_peer *wg_allowedips_lookup_src(struct allowedips *table,
					 struct sk_buff *skb)
{
	u64 key[2];

	if (skb->protocol == htons(ETH_P_IP)) {
		v4_key(key, ip_hdr(skb)->saddr);
		return lookup_key(&table->root4, key);
	}
	if (skb->protocol == htons(ETH_P_IPV6)) {
		v6_key(key, &ipv6_hdr(skb)->saddr);
		return lookup_key(&table->root6, key);
	}
	return NULL;
}

int wg_allowedips_slab_init(void)
{
	node_cache = kmem_cache_create("wg_allowedips_node",
				       sizeof(struct allowedips_node), 0, 0,
				       NULL);
	return node_cache ? 0 : -ENOMEM;
}

/*
 * Nodes still waiting in call_rcu() belong to the cache and their callback
 * to this module: rcu_barrier() lets them all run before the cache goes.
 */
void wg_allowedips_slab_uninit(void)
{
	rcu_barrier();
	kmem_cache_destroy(node_cache);
}

#if IS_ENABLED(CONFIG_KUNIT)
#include "tests/allowedips_test.c"
#endif
