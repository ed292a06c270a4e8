// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite "wg_allowedips". It is #included at the end of allowedips.c
 * (when the target kernel has CONFIG_KUNIT), so it can check the
 * trie's internal invariants as well as its interface:
 *  - fixed cases: longest match, host bits, moves, dump order, removal;
 *  - the packet helpers on real skbs;
 *  - a seeded random run against a naive longest-prefix list, with the
 *    invariants checked as it goes, then every peer removed until the trie
 *    is empty, then a refill torn down by wg_allowedips_free().
 * Allocation failure and concurrent lookups are covered by the userspace
 * test in tests/userspace/, which also runs this very suite (make check).
 *
 * Wiring, in a kernel built with CONFIG_KUNIT: end allowedips.c with
 *	#if IS_ENABLED(CONFIG_WIREGUARD_WG_KUNIT_TEST)
 *	#include "tests/allowedips_test.c"
 *	#endif
 * (out of tree, Kbuild defines that symbol itself when CONFIG_KUNIT is
 * set); the suite then runs whenever the module is loaded.
 */
#include <kunit/test.h>
#include <linux/prandom.h>

#define T_PEERS 40

struct t_ref {
	u8 addr[16];
	u8 family;
	u8 cidr;
	int peer;
	u64 stamp;
};

struct t_ctx {
	struct kunit *test;
	struct allowedips table;
	struct mutex lock;	/* stands in for the device's config mutex */
	struct wg_peer *peers;
	struct t_ref *refs;
	unsigned int nrefs, cap;
	u64 stamp;
	struct rnd_state rnd;
};

static bool t_own_cache;

static int t_alen(int family)
{
	return family == AF_INET6 ? 16 : 4;
}

static void t_mask(u8 *a, int family, int cidr)
{
	int i, keep;

	for (i = 0; i < t_alen(family); ++i) {
		keep = cidr - 8 * i;
		if (keep <= 0)
			a[i] = 0;
		else if (keep < 8)
			a[i] &= (u8)(0xff << (8 - keep));
	}
}

static bool t_covers(const struct t_ref *r, const u8 *addr)
{
	int i, bits = r->cidr;
	u8 m;

	for (i = 0; bits > 0; ++i, bits -= 8) {
		m = bits >= 8 ? 0xff : (u8)(0xff << (8 - bits));
		if ((addr[i] & m) != r->addr[i])
			return false;
	}
	return true;
}

static int t_find(struct t_ctx *c, int family, const u8 *addr, int cidr)
{
	unsigned int i;

	for (i = 0; i < c->nrefs; ++i)
		if (c->refs[i].family == family && c->refs[i].cidr == cidr &&
		    !memcmp(c->refs[i].addr, addr, t_alen(family)))
			return i;
	return -1;
}

static int t_ref_lookup(struct t_ctx *c, int family, const u8 *addr)
{
	int best = -1, best_cidr = -1;
	unsigned int i;

	for (i = 0; i < c->nrefs; ++i) {
		if (c->refs[i].family == family &&
		    c->refs[i].cidr > best_cidr &&
		    t_covers(&c->refs[i], addr)) {
			best = c->refs[i].peer;
			best_cidr = c->refs[i].cidr;
		}
	}
	return best;
}

static int t_insert(struct t_ctx *c, int family, const u8 *addr, int cidr,
		    int peer)
{
	struct in6_addr a6;
	struct in_addr a4;
	int ret;

	mutex_lock(&c->lock);
	if (family == AF_INET6) {
		memcpy(&a6, addr, 16);
		ret = wg_allowedips_insert_v6(&c->table, &a6, cidr,
					      &c->peers[peer], &c->lock);
	} else {
		memcpy(&a4, addr, 4);
		ret = wg_allowedips_insert_v4(&c->table, &a4, cidr,
					      &c->peers[peer], &c->lock);
	}
	mutex_unlock(&c->lock);
	return ret;
}

static int t_remove(struct t_ctx *c, int family, const u8 *addr, int cidr,
		    int peer)
{
	struct in6_addr a6;
	struct in_addr a4;
	int ret;

	mutex_lock(&c->lock);
	if (family == AF_INET6) {
		memcpy(&a6, addr, 16);
		ret = wg_allowedips_remove_v6(&c->table, &a6, cidr,
					      &c->peers[peer], &c->lock);
	} else {
		memcpy(&a4, addr, 4);
		ret = wg_allowedips_remove_v4(&c->table, &a4, cidr,
					      &c->peers[peer], &c->lock);
	}
	mutex_unlock(&c->lock);
	return ret;
}

static void t_remove_by_peer(struct t_ctx *c, int peer)
{
	unsigned int i;

	mutex_lock(&c->lock);
	wg_allowedips_remove_by_peer(&c->table, &c->peers[peer], &c->lock);
	mutex_unlock(&c->lock);
	KUNIT_EXPECT_TRUE(c->test, list_empty(&c->peers[peer].allowedips_list));
	for (i = 0; i < c->nrefs;) {
		if (c->refs[i].peer == peer)
			c->refs[i] = c->refs[--c->nrefs];
		else
			++i;
	}
}

static int t_lookup(struct t_ctx *c, int family, const u8 *addr)
{
	struct wg_peer *peer;
	struct in6_addr a6;
	struct in_addr a4;

	rcu_read_lock_bh();
	if (family == AF_INET6) {
		memcpy(&a6, addr, 16);
		peer = wg_allowedips_lookup_v6(&c->table, &a6);
	} else {
		memcpy(&a4, addr, 4);
		peer = wg_allowedips_lookup_v4(&c->table, &a4);
	}
	rcu_read_unlock_bh();
	return peer ? (int)(peer - c->peers) : -1;
}

/* Inserts through the table and mirrors it in the reference. */
static void t_do_insert(struct t_ctx *c, int family, const u8 *in, int cidr,
			int peer)
{
	u64 seq = c->table.seq;
	u8 addr[16];
	int i;

	memcpy(addr, in, 16);
	t_mask(addr, family, cidr);
	KUNIT_ASSERT_EQ(c->test, t_insert(c, family, in, cidr, peer), 0);
	i = t_find(c, family, addr, cidr);
	/* seq moves exactly when something changed */
	KUNIT_EXPECT_EQ(c->test, c->table.seq != seq,
			i < 0 || c->refs[i].peer != peer);
	if (i >= 0) {
		if (c->refs[i].peer != peer) {
			c->refs[i].peer = peer;
			c->refs[i].stamp = ++c->stamp;
		}
		return;
	}
	KUNIT_ASSERT_LT(c->test, c->nrefs, c->cap);
	memcpy(c->refs[c->nrefs].addr, addr, 16);
	c->refs[c->nrefs].family = family;
	c->refs[c->nrefs].cidr = cidr;
	c->refs[c->nrefs].peer = peer;
	c->refs[c->nrefs].stamp = ++c->stamp;
	++c->nrefs;
}

static void t_do_remove(struct t_ctx *c, int family, const u8 *in, int cidr,
			int peer)
{
	u64 seq = c->table.seq;
	bool gone;
	u8 addr[16];
	int i;

	memcpy(addr, in, 16);
	t_mask(addr, family, cidr);
	i = t_find(c, family, addr, cidr);
	KUNIT_EXPECT_EQ(c->test, t_remove(c, family, in, cidr, peer), 0);
	gone = i >= 0 && c->refs[i].peer == peer;
	KUNIT_EXPECT_EQ(c->test, c->table.seq != seq, gone);
	if (gone)
		c->refs[i] = c->refs[--c->nrefs];
}

/* One node's invariants; returns 1 if it carries a prefix. */
static int t_check_node(struct t_ctx *c, struct allowedips_node *node,
			int family)
{
	struct allowedips_node *parent = node->parent, *c0, *c1;
	unsigned int bit = min_t(unsigned int, node->cidr, 127);
	u64 key[2] = { node->key[0], node->key[1] };
	struct kunit *test = c->test;
	struct wg_peer *peer;
	u8 addr[16], cidr;
	int i;

	KUNIT_EXPECT_EQ(test, node->family, family);
	KUNIT_EXPECT_LE(test, node->cidr, family == AF_INET6 ? 128 : 32);
	mask_key(key, node->cidr);
	KUNIT_EXPECT_TRUE(test,
			  key[0] == node->key[0] && key[1] == node->key[1]);
	KUNIT_EXPECT_EQ(test, node->bit_word, bit >> 6);
	KUNIT_EXPECT_EQ(test, node->bit_shift, 63 - (bit & 63));
	if (parent) {
		i = key_bit(node->key, parent->cidr);
		KUNIT_EXPECT_GT(test, node->cidr, parent->cidr);
		KUNIT_EXPECT_GE(test, common_bits(node->key, parent->key),
				(unsigned int)parent->cidr);
		KUNIT_EXPECT_PTR_EQ(test, rcu_access_pointer(parent->child[i]),
				    node);
	}
	c0 = deref_locked(node->child[0], &c->lock);
	c1 = deref_locked(node->child[1], &c->lock);
	peer = deref_locked(node->peer, &c->lock);
	if (!peer) {
		KUNIT_EXPECT_TRUE_MSG(test, c0 && c1,
				      "branch node without two children");
		return 0;
	}
	KUNIT_EXPECT_EQ(test, wg_allowedips_read_node(node, addr, &cidr),
			family);
	i = t_find(c, family, addr, cidr);
	KUNIT_EXPECT_GE_MSG(test, i, 0, "prefix missing from the reference");
	if (i >= 0)
		KUNIT_EXPECT_EQ(test, c->refs[i].peer, (int)(peer - c->peers));
	return 1;
}

/* Every node, visited in pre-order by parent pointers, without a stack. */
static void t_check_trie(struct t_ctx *c, struct allowedips_node *node,
			 int family, unsigned int *nodes,
			 unsigned int *prefixes)
{
	struct allowedips_node *next, *parent;

	if (node)
		KUNIT_EXPECT_NULL(c->test, node->parent);
	while (node) {
		++*nodes;
		*prefixes += t_check_node(c, node, family);
		next = deref_locked(node->child[0], &c->lock);
		if (!next)
			next = deref_locked(node->child[1], &c->lock);
		while (!next && node) {
			parent = node->parent;
			if (parent)
				next = deref_locked(parent->child[1],
						    &c->lock);
			if (next == node)
				next = NULL;
			node = parent;
		}
		node = next;
	}
}

/* Each peer's dump: exactly its prefixes, oldest first. */
static void t_check_dumps(struct t_ctx *c)
{
	struct allowedips_node *node;
	unsigned int n, i, want;
	u8 addr[16], cidr;
	int p, family, r;
	u64 last;

	mutex_lock(&c->lock);
	for (p = 0; p < T_PEERS; ++p) {
		want = 0;
		for (i = 0; i < c->nrefs; ++i)
			want += c->refs[i].peer == p;
		n = 0;
		last = 0;
		for (node = wg_allowedips_first(&c->peers[p]); node;
		     node = wg_allowedips_next(&c->peers[p], node), ++n) {
			family = wg_allowedips_read_node(node, addr, &cidr);
			r = t_find(c, family, addr, cidr);
			KUNIT_EXPECT_GE(c->test, r, 0);
			if (r < 0)
				continue;
			KUNIT_EXPECT_EQ(c->test, c->refs[r].peer, p);
			KUNIT_EXPECT_GT(c->test, c->refs[r].stamp, last);
			last = c->refs[r].stamp;
		}
		KUNIT_EXPECT_EQ(c->test, n, want);
	}
	mutex_unlock(&c->lock);
}

static void t_check_all(struct t_ctx *c)
{
	unsigned int nodes = 0, prefixes = 0;

	mutex_lock(&c->lock);
	t_check_trie(c, deref_locked(c->table.root4, &c->lock), AF_INET,
		     &nodes, &prefixes);
	t_check_trie(c, deref_locked(c->table.root6, &c->lock),
		     AF_INET6, &nodes, &prefixes);
	mutex_unlock(&c->lock);
	KUNIT_EXPECT_EQ(c->test, prefixes, c->nrefs);
	KUNIT_EXPECT_LE(c->test, nodes, c->nrefs ? 2 * c->nrefs - 1 : 0);
	t_check_dumps(c);
}

static struct t_ctx *t_ctx_new(struct kunit *test, unsigned int cap)
{
	struct t_ctx *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	int i;

	KUNIT_ASSERT_NOT_NULL(test, c);
	c->test = test;
	c->cap = cap;
	c->peers = kunit_kcalloc(test, T_PEERS, sizeof(*c->peers), GFP_KERNEL);
	c->refs = kunit_kcalloc(test, cap, sizeof(*c->refs), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, c->peers);
	KUNIT_ASSERT_NOT_NULL(test, c->refs);
	for (i = 0; i < T_PEERS; ++i)
		INIT_LIST_HEAD(&c->peers[i].allowedips_list);
	mutex_init(&c->lock);
	wg_allowedips_init(&c->table);
	prandom_seed_state(&c->rnd, 0x5eed0a11);
	return c;
}

static void t_ctx_free(struct t_ctx *c)
{
	u64 seq = c->table.seq;

	mutex_lock(&c->lock);
	wg_allowedips_free(&c->table, &c->lock);
	mutex_unlock(&c->lock);
	KUNIT_EXPECT_NE(c->test, c->table.seq, seq);
	mutex_destroy(&c->lock);
}

static void t_expect_empty(struct t_ctx *c)
{
	int p;

	KUNIT_EXPECT_NULL(c->test, rcu_access_pointer(c->table.root4));
	KUNIT_EXPECT_NULL(c->test, rcu_access_pointer(c->table.root6));
	for (p = 0; p < T_PEERS; ++p)
		KUNIT_EXPECT_TRUE(c->test,
				  list_empty(&c->peers[p].allowedips_list));
}

/* An address from its first four bytes, the rest zero. */
#define V4(a, b, c, d) ((const u8 [16]) { a, b, c, d })
#define V6(a, b, c, d) V4(a, b, c, d)

static void wg_allowedips_test_basic(struct kunit *test)
{
	struct t_ctx *c = t_ctx_new(test, 64);
	struct allowedips_node *node;
	struct in6_addr a6 = {};
	struct in_addr a4 = {};
	u8 addr[16], cidr;
	u64 seq;

	mutex_lock(&c->lock);
	KUNIT_EXPECT_EQ(test, wg_allowedips_insert_v4(&c->table, &a4, 33,
						      &c->peers[0], &c->lock),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, wg_allowedips_insert_v6(&c->table, &a6, 129,
						      &c->peers[0], &c->lock),
			-EINVAL);
	KUNIT_EXPECT_NULL(test, wg_allowedips_first(&c->peers[0]));
	mutex_unlock(&c->lock);
	KUNIT_EXPECT_EQ(test, t_lookup(c, AF_INET, V4(10, 0, 0, 1)), -1);

	t_do_insert(c, AF_INET, V4(10, 0, 0, 0), 8, 0);
	t_do_insert(c, AF_INET, V4(10, 1, 0, 0), 16, 1);
	t_do_insert(c, AF_INET, V4(10, 1, 2, 99), 24, 2);	/* host bits */
	t_do_insert(c, AF_INET, V4(10, 1, 2, 3), 32, 3);
	t_do_insert(c, AF_INET, V4(0, 0, 0, 0), 0, 4);
	t_do_insert(c, AF_INET6, V6(0x20, 0x01, 0x0d, 0xb8), 32, 5);
	t_do_insert(c, AF_INET6, V6(0x20, 0x01, 0x0d, 0xb8), 128, 6);
	t_check_all(c);

	KUNIT_EXPECT_EQ(test, t_lookup(c, AF_INET, V4(10, 1, 2, 3)), 3);
	KUNIT_EXPECT_EQ(test, t_lookup(c, AF_INET, V4(10, 1, 2, 4)), 2);
	KUNIT_EXPECT_EQ(test, t_lookup(c, AF_INET, V4(10, 1, 3, 4)), 1);
	KUNIT_EXPECT_EQ(test, t_lookup(c, AF_INET, V4(10, 2, 3, 4)), 0);
	KUNIT_EXPECT_EQ(test, t_lookup(c, AF_INET, V4(11, 2, 3, 4)), 4);
	KUNIT_EXPECT_EQ(test,
			t_lookup(c, AF_INET6, V6(0x20, 0x01, 0x0d, 0xb8)), 6);
	KUNIT_EXPECT_EQ(test,
			t_lookup(c, AF_INET6, V6(0x20, 0x01, 0x0d, 0xb9)), -1);
	memcpy(addr, V6(0x20, 0x01, 0x0d, 0xb8), 16);
	addr[15] = 1;
	KUNIT_EXPECT_EQ(test, t_lookup(c, AF_INET6, addr), 5);

	/* host bits were masked: the dump says 10.1.2.0/24 */
	mutex_lock(&c->lock);
	node = wg_allowedips_first(&c->peers[2]);
	KUNIT_ASSERT_NOT_NULL(test, node);
	KUNIT_EXPECT_EQ(test, wg_allowedips_read_node(node, addr, &cidr),
			AF_INET);
	mutex_unlock(&c->lock);
	KUNIT_EXPECT_EQ(test, cidr, 24);
	KUNIT_EXPECT_EQ(test, memcmp(addr, V4(10, 1, 2, 0), 4), 0);

	/* same peer again: nothing changes, not even seq */
	seq = c->table.seq;
	t_do_insert(c, AF_INET, V4(10, 1, 0, 0), 16, 1);
	KUNIT_EXPECT_EQ(test, c->table.seq, seq);
	/* moved: to the end of the new peer's list */
	t_do_insert(c, AF_INET, V4(10, 1, 0, 0), 16, 0);
	KUNIT_EXPECT_NE(test, c->table.seq, seq);
	KUNIT_EXPECT_EQ(test, t_lookup(c, AF_INET, V4(10, 1, 3, 4)), 0);
	t_check_all(c);

	/* removal by the wrong peer, or of an absent prefix, is a no-op */
	t_do_remove(c, AF_INET, V4(10, 1, 2, 0), 24, 3);
	t_do_remove(c, AF_INET, V4(10, 1, 2, 0), 25, 2);
	KUNIT_EXPECT_EQ(test, t_lookup(c, AF_INET, V4(10, 1, 2, 4)), 2);
	t_do_remove(c, AF_INET, V4(10, 1, 2, 0), 24, 2);
	KUNIT_EXPECT_EQ(test, t_lookup(c, AF_INET, V4(10, 1, 2, 4)), 0);
	KUNIT_EXPECT_EQ(test, t_lookup(c, AF_INET, V4(10, 1, 2, 3)), 3);
	t_check_all(c);

	t_remove_by_peer(c, 0);
	KUNIT_EXPECT_EQ(test, t_lookup(c, AF_INET, V4(10, 1, 3, 4)), 4);
	t_check_all(c);
	t_remove_by_peer(c, 3);
	t_remove_by_peer(c, 4);
	t_remove_by_peer(c, 5);
	t_remove_by_peer(c, 6);
	t_check_all(c);
	t_expect_empty(c);
	t_ctx_free(c);
}

static struct sk_buff *t_skb(struct kunit *test, int family, const u8 *src,
			     const u8 *dst)
{
	unsigned int len = family == AF_INET6 ? sizeof(struct ipv6hdr) :
						sizeof(struct iphdr);
	struct sk_buff *skb = alloc_skb(len, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, skb);
	skb_reset_network_header(skb);
	skb_put_zero(skb, len);
	if (family == AF_INET6) {
		skb->protocol = htons(ETH_P_IPV6);
		memcpy(&ipv6_hdr(skb)->saddr, src, 16);
		memcpy(&ipv6_hdr(skb)->daddr, dst, 16);
	} else {
		skb->protocol = htons(ETH_P_IP);
		memcpy(&ip_hdr(skb)->saddr, src, 4);
		memcpy(&ip_hdr(skb)->daddr, dst, 4);
	}
	return skb;
}

static void wg_allowedips_test_skb(struct kunit *test)
{
	struct t_ctx *c = t_ctx_new(test, 8);
	struct sk_buff *skb4, *skb6;

	t_do_insert(c, AF_INET, V4(192, 168, 0, 0), 16, 1);
	t_do_insert(c, AF_INET, V4(192, 168, 7, 0), 24, 2);
	t_do_insert(c, AF_INET6, V6(0xfd, 0x00, 0x00, 0x00), 8, 3);

	skb4 = t_skb(test, AF_INET, V4(192, 168, 7, 9), V4(192, 168, 1, 1));
	skb6 = t_skb(test, AF_INET6, V6(0xfd, 0x12, 0x00, 0x01),
		     V6(0xfe, 0x80, 0x00, 0x01));
	rcu_read_lock_bh();
	KUNIT_EXPECT_PTR_EQ(test, wg_allowedips_lookup_src(&c->table, skb4),
			    &c->peers[2]);
	KUNIT_EXPECT_PTR_EQ(test, wg_allowedips_lookup_dst(&c->table, skb4),
			    &c->peers[1]);
	KUNIT_EXPECT_PTR_EQ(test, wg_allowedips_lookup_src(&c->table, skb6),
			    &c->peers[3]);
	KUNIT_EXPECT_NULL(test, wg_allowedips_lookup_dst(&c->table, skb6));
	skb4->protocol = htons(ETH_P_ARP);
	KUNIT_EXPECT_NULL(test, wg_allowedips_lookup_src(&c->table, skb4));
	KUNIT_EXPECT_NULL(test, wg_allowedips_lookup_dst(&c->table, skb4));
	rcu_read_unlock_bh();
	kfree_skb(skb4);
	kfree_skb(skb6);
	t_ctx_free(c);
}

/* Near a few bases, so that prefixes nest and share long paths. */
static void t_random_addr(struct t_ctx *c, u8 bases[][16], int family,
			  u8 *a)
{
	int bits = t_alen(family) * 8, i, b;

	memcpy(a, bases[prandom_u32_state(&c->rnd) % 8], 16);
	for (i = prandom_u32_state(&c->rnd) % 4; i > 0; --i) {
		b = prandom_u32_state(&c->rnd) % bits;
		a[b / 8] ^= 0x80 >> (b % 8);
	}
	if (prandom_u32_state(&c->rnd) & 1)
		for (b = prandom_u32_state(&c->rnd) % bits; b < bits; ++b)
			if (prandom_u32_state(&c->rnd) & 1)
				a[b / 8] ^= 0x80 >> (b % 8);
}

static int t_random_cidr(struct t_ctx *c, int family)
{
	u32 max = family == AF_INET6 ? 128 : 32, r = prandom_u32_state(&c->rnd);

	switch (r % 3) {
	case 0:
		return (r >> 2) % (max + 1);
	case 1:
		return max - (r >> 2) % 4;
	default:
		return max / 2 + (r >> 2) % (max / 2);
	}
}

static void t_check_lookups(struct t_ctx *c, u8 bases[][16], int n)
{
	const struct t_ref *r;
	int family, b;
	u8 a[16];

	while (n--) {
		if (c->nrefs && (prandom_u32_state(&c->rnd) & 1)) {
			r = &c->refs[prandom_u32_state(&c->rnd) % c->nrefs];
			family = r->family;
			memcpy(a, r->addr, 16);
			for (b = r->cidr; b < t_alen(family) * 8; ++b)
				if (prandom_u32_state(&c->rnd) & 1)
					a[b / 8] ^= 0x80 >> (b % 8);
		} else {
			family = prandom_u32_state(&c->rnd) & 1 ? AF_INET6 :
								 AF_INET;
			t_random_addr(c, family == AF_INET6 ? bases + 8 : bases,
				      family, a);
		}
		KUNIT_EXPECT_EQ(c->test, t_lookup(c, family, a),
				t_ref_lookup(c, family, a));
	}
}

static void t_random_op(struct t_ctx *c, u8 bases[][16])
{
	u32 r = prandom_u32_state(&c->rnd) % 100;
	int peer = prandom_u32_state(&c->rnd) % T_PEERS, family;
	const struct t_ref *ref;
	u8 a[16];

	if (r < 55 || !c->nrefs) {
		if (c->nrefs == c->cap)
			return;
		family = r & 1 ? AF_INET6 : AF_INET;
		t_random_addr(c, family == AF_INET6 ? bases + 8 : bases,
			      family, a);
		t_do_insert(c, family, a, t_random_cidr(c, family), peer);
		return;
	}
	ref = &c->refs[prandom_u32_state(&c->rnd) % c->nrefs];
	memcpy(a, ref->addr, 16);
	if (r < 70)
		t_do_insert(c, ref->family, a, ref->cidr, peer);
	else if (r < 97)
		t_do_remove(c, ref->family, a, ref->cidr,
			    r < 92 ? ref->peer : peer);
	else
		t_remove_by_peer(c, peer);
}

static void wg_allowedips_test_random(struct kunit *test)
{
	struct t_ctx *c = t_ctx_new(test, 1500);
	u8 (*bases)[16];
	int i, p;

	bases = kunit_kcalloc(test, 16, 16, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, bases);
	prandom_bytes_state(&c->rnd, bases, 16 * 16);

	for (i = 0; i < 4000; ++i) {
		t_random_op(c, bases);
		if (i % 100 == 0) {
			t_check_all(c);
			t_check_lookups(c, bases, 100);
		}
		cond_resched();
	}
	t_check_all(c);
	t_check_lookups(c, bases, 20000);

	for (p = 0; p < T_PEERS; ++p) {
		t_remove_by_peer(c, p);
		t_check_all(c);
		t_check_lookups(c, bases, 200);
	}
	KUNIT_EXPECT_EQ(test, c->nrefs, 0);
	t_expect_empty(c);

	for (i = 0; i < 2000; ++i)
		t_random_op(c, bases);
	t_check_all(c);
	t_ctx_free(c);
	c->nrefs = 0;
	t_expect_empty(c);
}

static int wg_allowedips_suite_init(struct kunit_suite *suite)
{
	/* The module's init normally made the cache already. */
	if (node_cache)
		return 0;
	t_own_cache = true;
	return wg_allowedips_slab_init();
}

static void wg_allowedips_suite_exit(struct kunit_suite *suite)
{
	if (t_own_cache) {
		wg_allowedips_slab_uninit();
		node_cache = NULL;
		t_own_cache = false;
	}
}

static struct kunit_case wg_allowedips_test_cases[] = {
	KUNIT_CASE(wg_allowedips_test_basic),
	KUNIT_CASE(wg_allowedips_test_skb),
	KUNIT_CASE(wg_allowedips_test_random),
	{}
};

static struct kunit_suite wg_allowedips_test_suite = {
	.name = "wg_allowedips",
	.suite_init = wg_allowedips_suite_init,
	.suite_exit = wg_allowedips_suite_exit,
	.test_cases = wg_allowedips_test_cases,
};

kunit_test_suite(wg_allowedips_test_suite);
