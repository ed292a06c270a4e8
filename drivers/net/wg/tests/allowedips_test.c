// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite "wg_allowedips". It is #included at the end of allowedips.c
 * (when the target kernel has CONFIG_KUNIT), so it can check the
 * trie's internal invariants as well as its interface:
 *  - fixed cases: longest match, host bits, moves, dump order, removal;
 *  - the packet helpers on real skbs;
 *  - a seeded random run against a reference model, over 256 peers:
 *    12000 random mutations (new prefixes, moves between peers, exact
 *    removals, some by a peer that does not own the prefix, whole peers
 *    removed) that keep some 3500 IPv4 and IPv6 prefixes live (4000 at
 *    most), with the invariants checked every 100 of them; 10^6 random
 *    lookups compared with the model, mostly inside, at the edges of or
 *    just outside live prefixes, the rest near them or anywhere; then
 *    every peer removed one by one, with lookups after each and the
 *    invariants after every 8th, until the trie is empty; then a refill
 *    torn down by wg_allowedips_free().
 *    The model is an exact-match hash of the prefixes, probed at each
 *    length present from the longest down; every 1000th lookup is also
 *    checked against a plain scan of them, so the model is checked too.
 * Allocation failure and concurrent lookups are covered by the userspace
 * test in tests/userspace/, which also runs this very suite (make check).
 *
 * allowedips.c #includes this file at its end when the kernel has
 * CONFIG_KUNIT (the debug kernel of make check); the suite then runs
 * whenever the module is loaded.
 */
#include <kunit/test.h>
#include <linux/prandom.h>

#define T_PEERS 256
#define T_HASH_BITS 13		/* buckets of the reference's index */
#define T_LENS (2 * 256 * 129)	/* its counts by family, first byte, length */

/* A prefix of the reference model. */
struct t_ref {
	u64 key[2];	/* the masked address, most significant bit first */
	u32 stamp;	/* when it went to its current peer */
	int peer;
	int next;	/* the next ref in its hash bucket, or -1 */
	u8 family;
	u8 cidr;
};

struct t_ctx {
	struct kunit *test;
	struct allowedips table;
	struct mutex lock;	/* stands in for the device's config mutex */
	struct wg_peer *peers;
	/*
	 * The reference: a plain array of every prefix (refs[0..nrefs)),
	 * indexed by an exact-match hash of (family, cidr, key), plus how
	 * many prefixes of each length there are (see t_lens()).
	 */
	struct t_ref *refs;
	unsigned int nrefs, cap;
	int *bucket;
	u16 *lens;
	unsigned int *want;	/* t_check_dumps() scratch, one per peer */
	u32 stamp;
	struct rnd_state rnd;
	/* for the summary */
	unsigned int max_refs, lookups, scans, ops[5];
};

static bool t_own_cache;

static int t_alen(int family)
{
	return family == AF_INET6 ? 16 : 4;
}

/* A word whose first n bits are set, the rest clear; n may be <0 or >64. */
static inline u64 t_mask64(int n)
{
	if (n <= 0)
		return 0;
	if (n >= 64)
		return ~0ULL;
	return ~0ULL << (64 - n);
}

static inline void t_mask_key(u64 out[2], const u64 in[2], int cidr)
{
	out[0] = in[0] & t_mask64(cidr);
	out[1] = in[1] & t_mask64(cidr - 64);
}

/* Address bytes (4 or 16) to a key, and back (all 16 bytes written). */
static void t_key(u64 key[2], int family, const u8 *addr)
{
	int i;

	key[0] = 0;
	key[1] = 0;
	for (i = 0; i < t_alen(family); ++i)
		key[i / 8] |= (u64)addr[i] << (56 - 8 * (i % 8));
}

static void t_addr(u8 *addr, const u64 key[2])
{
	int i;

	for (i = 0; i < 16; ++i)
		addr[i] = key[i / 8] >> (56 - 8 * (i % 8));
}

static u64 t_rand64(struct t_ctx *c)
{
	return (u64)prandom_u32_state(&c->rnd) << 32 |
	       prandom_u32_state(&c->rnd);
}

static inline unsigned int t_hash(int family, const u64 key[2], int cidr)
{
	u64 h = key[0] * 0x9e3779b97f4a7c15ULL ^ key[1];

	h ^= (h >> 29) ^ ((u64)cidr << 1) ^ (family == AF_INET6);
	return (h * 0xbf58476d1ce4e5b9ULL) >> (64 - T_HASH_BITS);
}

/* The ref for exactly this prefix (key already masked), or -1. */
static inline int t_find(struct t_ctx *c, int family, const u64 key[2],
			 int cidr)
{
	const struct t_ref *r;
	int i;

	for (i = c->bucket[t_hash(family, key, cidr)]; i >= 0; i = r->next) {
		r = &c->refs[i];
		if (r->family == family && r->cidr == cidr &&
		    r->key[0] == key[0] && r->key[1] == key[1])
			return i;
	}
	return -1;
}

/*
 * The count of prefixes of this family and length that an address with
 * this key may be inside: per family for lengths under 8, and per family
 * and first byte for the others, as they only cover addresses that start
 * with their own first byte. A count is at most cap, so fits a u16.
 */
static inline u16 *t_lens(struct t_ctx *c, int family, const u64 key[2],
			  int cidr)
{
	unsigned int byte = cidr >= 8 ? key[0] >> 56 : 0;

	return &c->lens[((family == AF_INET6) * 256 + byte) * 129 + cidr];
}

static void t_link(struct t_ctx *c, int i)
{
	struct t_ref *r = &c->refs[i];
	int *head = &c->bucket[t_hash(r->family, r->key, r->cidr)];

	r->next = *head;
	*head = i;
	++*t_lens(c, r->family, r->key, r->cidr);
}

static void t_unlink(struct t_ctx *c, int i)
{
	struct t_ref *r = &c->refs[i];
	int *p = &c->bucket[t_hash(r->family, r->key, r->cidr)];

	while (*p >= 0 && *p != i)
		p = &c->refs[*p].next;
	KUNIT_ASSERT_EQ(c->test, *p, i);
	*p = r->next;
	--*t_lens(c, r->family, r->key, r->cidr);
}

static void t_ref_add(struct t_ctx *c, int family, const u64 key[2], int cidr,
		      int peer)
{
	struct t_ref *r;

	KUNIT_ASSERT_LT(c->test, c->nrefs, c->cap);
	r = &c->refs[c->nrefs];
	r->key[0] = key[0];
	r->key[1] = key[1];
	r->family = family;
	r->cidr = cidr;
	r->peer = peer;
	r->stamp = ++c->stamp;
	t_link(c, c->nrefs++);
	if (c->nrefs > c->max_refs)
		c->max_refs = c->nrefs;
}

/* Drops refs[i]; the last ref takes its place. */
static void t_ref_del(struct t_ctx *c, int i)
{
	int last = c->nrefs - 1;

	t_unlink(c, i);
	if (i != last) {
		t_unlink(c, last);
		c->refs[i] = c->refs[last];
		t_link(c, i);
	}
	--c->nrefs;
}

/* Naive longest match: a scan of every prefix. */
static int t_ref_lookup(struct t_ctx *c, int family, const u64 key[2])
{
	int best = -1, best_cidr = -1;
	const struct t_ref *r;
	unsigned int i;
	u64 k[2];

	for (i = 0; i < c->nrefs; ++i) {
		r = &c->refs[i];
		if (r->family != family || r->cidr <= best_cidr)
			continue;
		t_mask_key(k, key, r->cidr);
		if (k[0] == r->key[0] && k[1] == r->key[1]) {
			best = r->peer;
			best_cidr = r->cidr;
		}
	}
	return best;
}

/* The same, fast: an exact probe for each length present, longest first. */
static int t_ref_fast(struct t_ctx *c, int family, const u64 key[2])
{
	int cidr, i;
	u64 k[2];

	for (cidr = t_alen(family) * 8; cidr >= 0; --cidr) {
		if (!*t_lens(c, family, key, cidr))
			continue;
		t_mask_key(k, key, cidr);
		i = t_find(c, family, k, cidr);
		if (i >= 0)
			return c->refs[i].peer;
	}
	return -1;
}

static int t_insert(struct t_ctx *c, int family, const u8 *addr, int cidr,
		    int peer)
{
	int ret;

	mutex_lock(&c->lock);
	ret = wg_allowedips_add(&c->table, family, addr, cidr, &c->peers[peer],
				&c->lock);
	mutex_unlock(&c->lock);
	return ret;
}

static int t_remove(struct t_ctx *c, int family, const u8 *addr, int cidr,
		    int peer)
{
	int ret;

	mutex_lock(&c->lock);
	ret = wg_allowedips_del(&c->table, family, addr, cidr, &c->peers[peer],
				&c->lock);
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
			t_ref_del(c, i);
		else
			++i;
	}
}

static int t_lookup(struct t_ctx *c, int family, const u8 *addr)
{
	struct wg_peer *peer;

	rcu_read_lock_bh();
	peer = wg_allowedips_find(&c->table, family, addr);
	rcu_read_unlock_bh();
	return peer ? (int)(peer - c->peers) : -1;
}

/* Inserts through the table and mirrors it in the reference. */
static void t_do_insert(struct t_ctx *c, int family, const u8 *in, int cidr,
			int peer)
{
	u64 seq = c->table.seq;
	u64 key[2];
	int i;

	t_key(key, family, in);
	t_mask_key(key, key, cidr);
	KUNIT_ASSERT_EQ(c->test, t_insert(c, family, in, cidr, peer), 0);
	i = t_find(c, family, key, cidr);
	/* seq moves exactly when something changed */
	KUNIT_EXPECT_EQ(c->test, c->table.seq != seq,
			i < 0 || c->refs[i].peer != peer);
	if (i < 0) {
		t_ref_add(c, family, key, cidr, peer);
	} else if (c->refs[i].peer != peer) {
		c->refs[i].peer = peer;
		c->refs[i].stamp = ++c->stamp;
	}
}

static void t_do_remove(struct t_ctx *c, int family, const u8 *in, int cidr,
			int peer)
{
	u64 seq = c->table.seq;
	u64 key[2];
	bool gone;
	int i;

	t_key(key, family, in);
	t_mask_key(key, key, cidr);
	i = t_find(c, family, key, cidr);
	KUNIT_EXPECT_EQ(c->test, t_remove(c, family, in, cidr, peer), 0);
	gone = i >= 0 && c->refs[i].peer == peer;
	KUNIT_EXPECT_EQ(c->test, c->table.seq != seq, gone);
	if (gone)
		t_ref_del(c, i);
}

/* The ref for a prefix as the trie reports it (so not masked here), or -1. */
static int t_find_addr(struct t_ctx *c, int family, const u8 *addr, int cidr)
{
	u64 key[2];

	t_key(key, family, addr);
	return t_find(c, family, key, cidr);
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
	i = t_find_addr(c, family, addr, cidr);
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
	unsigned int n, i;
	u8 addr[16], cidr;
	int p, family, r;
	u32 last;

	memset(c->want, 0, T_PEERS * sizeof(*c->want));
	for (i = 0; i < c->nrefs; ++i)
		++c->want[c->refs[i].peer];
	mutex_lock(&c->lock);
	for (p = 0; p < T_PEERS; ++p) {
		n = 0;
		last = 0;
		for (node = wg_allowedips_first(&c->peers[p]); node;
		     node = wg_allowedips_next(&c->peers[p], node), ++n) {
			family = wg_allowedips_read_node(node, addr, &cidr);
			r = t_find_addr(c, family, addr, cidr);
			KUNIT_EXPECT_GE(c->test, r, 0);
			if (r < 0)
				continue;
			KUNIT_EXPECT_EQ(c->test, c->refs[r].peer, p);
			KUNIT_EXPECT_GT(c->test, c->refs[r].stamp, last);
			last = c->refs[r].stamp;
		}
		KUNIT_EXPECT_EQ(c->test, n, c->want[p]);
	}
	mutex_unlock(&c->lock);
}

/* The reference's own index: every ref found where it is, counts right. */
static void t_check_refs(struct t_ctx *c)
{
	unsigned int i, n = 0;
	const struct t_ref *r;

	for (i = 0; i < c->nrefs; ++i) {
		r = &c->refs[i];
		KUNIT_EXPECT_EQ(c->test, t_find(c, r->family, r->key, r->cidr),
				(int)i);
	}
	for (i = 0; i < T_LENS; ++i)
		n += c->lens[i];
	KUNIT_EXPECT_EQ(c->test, n, c->nrefs);
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
	t_check_refs(c);
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
	c->bucket = kunit_kcalloc(test, 1 << T_HASH_BITS, sizeof(*c->bucket),
				  GFP_KERNEL);
	c->lens = kunit_kcalloc(test, T_LENS, sizeof(*c->lens), GFP_KERNEL);
	c->want = kunit_kcalloc(test, T_PEERS, sizeof(*c->want), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, c->peers);
	KUNIT_ASSERT_NOT_NULL(test, c->refs);
	KUNIT_ASSERT_NOT_NULL(test, c->bucket);
	KUNIT_ASSERT_NOT_NULL(test, c->lens);
	KUNIT_ASSERT_NOT_NULL(test, c->want);
	for (i = 0; i < T_PEERS; ++i)
		INIT_LIST_HEAD(&c->peers[i].allowedips_list);
	for (i = 0; i < 1 << T_HASH_BITS; ++i)
		c->bucket[i] = -1;
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
	KUNIT_EXPECT_EQ(test, wg_allowedips_add(&c->table, AF_INET, &a4, 33,
						&c->peers[0], &c->lock),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, wg_allowedips_add(&c->table, AF_INET6, &a6, 129,
						&c->peers[0], &c->lock),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, wg_allowedips_add(&c->table, 99, &a6, 8,
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

#define T_CAP 4000		/* live prefixes at most */
#define T_TARGET 3500		/* mostly inserts below it, removals above */
#define T_MUTATIONS 12000
#define T_CHECK_EVERY 100	/* mutations between full invariant checks */
#define T_LOOKUPS 1000000	/* compared in all, of which: */
#define T_LOOKUPS_PER_MUTATION 50
#define T_LOOKUPS_PER_REMOVAL 800
#define T_LOOKUPS_AFTER (T_LOOKUPS - T_MUTATIONS * T_LOOKUPS_PER_MUTATION - \
			 T_PEERS * T_LOOKUPS_PER_REMOVAL)
#define T_SCAN_EVERY 1000	/* lookups between naive-scan cross-checks */

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

/* An address inside r: its prefix, then random bits. */
static void t_inside(struct t_ctx *c, const struct t_ref *r, u64 key[2])
{
	key[0] = r->key[0] | (t_rand64(c) & ~t_mask64(r->cidr));
	key[1] = r->key[1] | (t_rand64(c) & ~t_mask64(r->cidr - 64));
	t_mask_key(key, key, t_alen(r->family) * 8);
}

/*
 * n lookups, each compared with the reference (and every T_SCAN_EVERYth
 * also with a scan of it): mostly inside a live prefix, at its edges or
 * just outside it, the rest near the bases or anywhere.
 */
static void t_check_lookups(struct t_ctx *c, u8 bases[][16], int n)
{
	u32 kind, bit, last;
	const struct t_ref *r;
	int family, want;
	u64 key[2];
	u8 a[16];

	while (n-- > 0) {
		kind = prandom_u32_state(&c->rnd) % 8;
		if (c->nrefs && kind < 6) {
			r = &c->refs[prandom_u32_state(&c->rnd) % c->nrefs];
			family = r->family;
			t_inside(c, r, key);
			if (kind == 4) {
				/* its first or its last address */
				last = prandom_u32_state(&c->rnd) & 1;
				key[0] = r->key[0] | (last ? ~t_mask64(r->cidr) : 0);
				key[1] = r->key[1] |
					 (last ? ~t_mask64(r->cidr - 64) : 0);
				t_mask_key(key, key, t_alen(family) * 8);
			} else if (kind == 5 && r->cidr) {
				/* just outside: one bit of its prefix flipped */
				bit = prandom_u32_state(&c->rnd) % r->cidr;
				key[bit / 64] ^= 1ULL << (63 - bit % 64);
			}
		} else {
			family = prandom_u32_state(&c->rnd) & 1 ? AF_INET6 :
								 AF_INET;
			if (kind == 6) {
				t_random_addr(c, family == AF_INET6 ?
					      bases + 8 : bases, family, a);
				t_key(key, family, a);
			} else {
				key[0] = t_rand64(c);
				key[1] = t_rand64(c);
				t_mask_key(key, key, t_alen(family) * 8);
			}
		}
		t_addr(a, key);
		want = t_ref_fast(c, family, key);
		KUNIT_EXPECT_EQ(c->test, t_lookup(c, family, a), want);
		if (++c->lookups % T_SCAN_EVERY == 0) {
			KUNIT_EXPECT_EQ(c->test, t_ref_lookup(c, family, key),
					want);
			++c->scans;
		}
		if (c->lookups % 256 == 0)
			cond_resched();
	}
}

enum { T_OP_INSERT, T_OP_MOVE, T_OP_REMOVE, T_OP_REMOVE_WRONG, T_OP_BY_PEER };

/* One mutation: a new prefix in ins percent of cases, while there is room. */
static void t_random_op(struct t_ctx *c, u8 bases[][16], u32 ins)
{
	u32 r = prandom_u32_state(&c->rnd) % 100;
	int peer = prandom_u32_state(&c->rnd) % T_PEERS, family, cidr;
	const struct t_ref *ref;
	u64 key[2];
	u8 a[16];

	if (!c->nrefs || (r < ins && c->nrefs < c->cap)) {
		family = prandom_u32_state(&c->rnd) & 1 ? AF_INET6 : AF_INET;
		t_random_addr(c, family == AF_INET6 ? bases + 8 : bases,
			      family, a);
		t_do_insert(c, family, a, t_random_cidr(c, family), peer);
		++c->ops[T_OP_INSERT];
		return;
	}
	/* A live prefix, given with random host bits the table must drop. */
	ref = &c->refs[prandom_u32_state(&c->rnd) % c->nrefs];
	family = ref->family;
	cidr = ref->cidr;
	t_inside(c, ref, key);
	t_addr(a, key);
	r = prandom_u32_state(&c->rnd) % 100;
	if (r < 35) {
		/* to a random peer; now and then its own, a no-op */
		t_do_insert(c, family, a, cidr, r < 5 ? ref->peer : peer);
		++c->ops[T_OP_MOVE];
	} else if (r < 80) {
		t_do_remove(c, family, a, cidr, ref->peer);
		++c->ops[T_OP_REMOVE];
	} else if (r < 90) {
		/* by a peer that does not own it: nothing may change */
		peer = (ref->peer + 1 + peer % (T_PEERS - 1)) % T_PEERS;
		t_do_remove(c, family, a, cidr, peer);
		++c->ops[T_OP_REMOVE_WRONG];
	} else if (r < 97) {
		/* a length next to it, which may or may not be there */
		cidr += cidr < t_alen(family) * 8 ? 1 : -1;
		t_do_remove(c, family, a, cidr, ref->peer);
		++c->ops[T_OP_REMOVE];
	} else {
		t_remove_by_peer(c, r & 1 ? ref->peer : peer);
		++c->ops[T_OP_BY_PEER];
	}
}

static void wg_allowedips_test_random(struct kunit *test)
{
	struct t_ctx *c = t_ctx_new(test, T_CAP);
	unsigned int i, live;
	u8 (*bases)[16];
	int p;

	bases = kunit_kcalloc(test, 16, 16, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, bases);
	prandom_bytes_state(&c->rnd, bases, 16 * 16);

	for (i = 1; i <= T_MUTATIONS; ++i) {
		t_random_op(c, bases, c->nrefs < T_TARGET ? 90 : 40);
		t_check_lookups(c, bases, T_LOOKUPS_PER_MUTATION);
		if (i % T_CHECK_EVERY == 0)
			t_check_all(c);
		cond_resched();
	}
	t_check_all(c);
	t_check_lookups(c, bases, T_LOOKUPS_AFTER);
	live = c->nrefs;

	for (p = 0; p < T_PEERS; ++p) {
		t_remove_by_peer(c, p);
		if (p % 8 == 7)
			t_check_all(c);
		t_check_lookups(c, bases, T_LOOKUPS_PER_REMOVAL);
		cond_resched();
	}
	KUNIT_EXPECT_EQ(test, c->nrefs, 0);
	t_check_all(c);
	t_expect_empty(c);
	KUNIT_EXPECT_EQ(test, c->lookups, T_LOOKUPS);
	kunit_info(test,
		   "%d peers, at most %u live prefixes, %u at the end of %d mutations (%u new, %u re-inserted, %u removed, %u removed by a wrong peer, %u whole peers removed), %u lookups compared, %u of them by a scan too\n",
		   T_PEERS, c->max_refs, live, T_MUTATIONS,
		   c->ops[T_OP_INSERT], c->ops[T_OP_MOVE], c->ops[T_OP_REMOVE],
		   c->ops[T_OP_REMOVE_WRONG], c->ops[T_OP_BY_PEER],
		   c->lookups, c->scans);

	for (i = 0; i < 2000; ++i)
		t_random_op(c, bases, 90);
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
	/* about a second natively, a minute or more on a debug kernel */
	KUNIT_CASE_SLOW(wg_allowedips_test_random),
	{}
};

static struct kunit_suite wg_allowedips_test_suite = {
	.name = "wg_allowedips",
	.suite_init = wg_allowedips_suite_init,
	.suite_exit = wg_allowedips_suite_exit,
	.test_cases = wg_allowedips_test_cases,
};

kunit_test_suite(wg_allowedips_test_suite);
