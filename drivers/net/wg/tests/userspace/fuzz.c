// SPDX-License-Identifier: GPL-2.0
/*
 * Randomized userspace test of allowedips.c against a naive reference.
 *
 *   fuzz [-s seed] [-l lookups]   random inserts/moves/removes over
 *                                 hundreds of peers, checked against a
 *                                 plain list with longest-prefix search,
 *                                 trie invariants, dump order and -ENOMEM
 *                                 rollback; then peers are removed one by
 *                                 one until the trie is empty
 *   fuzz -b [-n peers]            big table timing (default 100000 peers
 *                                 x 10 prefixes)
 *   fuzz -c [-t seconds] [-r readers]
 *                                 concurrent lookups beside updates, with
 *                                 a QSBR grace period before every free:
 *                                 lookups of prefixes no update touches
 *                                 must never change
 *
 * The reference keeps addresses as bytes and matches them byte by byte,
 * sharing no code with the trie.
 */
#include "allowedips.c"

#include <time.h>
#include <unistd.h>

static struct allowedips table;
static struct mutex lock;
static struct wg_peer *peers;
static int npeers;
static unsigned long failures;

#define FAIL(...) do { \
	fprintf(stderr, "FAIL %s:%d: ", __func__, __LINE__); \
	fprintf(stderr, __VA_ARGS__); \
	fputc('\n', stderr); \
	if (++failures > 20) \
		exit(1); \
} while (0)

/* xoshiro-ish: splitmix64 is plenty here */
static u64 rng_state;

static u64 rnd(void)
{
	u64 z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static u32 rndn(u32 n)
{
	return (u32)(((rnd() >> 32) * (u64)n) >> 32);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* CPU time: the bench must not count other load on a shared machine. */
static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- the reference ---- */

struct ref {
	u8 addr[16];
	u8 family;
	u8 cidr;
	int peer;
	u64 stamp;
};

static struct ref *refs;
static size_t nrefs, refs_cap;
static u64 stamp_counter;

static int alen(int family)
{
	return family == AF_INET6 ? 16 : 4;
}

static void mask_bytes(u8 *a, int family, int cidr)
{
	int i;

	for (i = 0; i < alen(family); ++i) {
		int keep = cidr - 8 * i;

		if (keep <= 0)
			a[i] = 0;
		else if (keep < 8)
			a[i] &= (u8)(0xff << (8 - keep));
	}
}

static bool ref_covers(const struct ref *r, const u8 *addr)
{
	int i, bits = r->cidr;

	for (i = 0; bits > 0; ++i, bits -= 8) {
		u8 m = bits >= 8 ? 0xff : (u8)(0xff << (8 - bits));

		if ((addr[i] & m) != r->addr[i])
			return false;
	}
	return true;
}

static long ref_find(int family, const u8 *addr, int cidr)
{
	size_t i;

	for (i = 0; i < nrefs; ++i)
		if (refs[i].family == family && refs[i].cidr == cidr &&
		    !memcmp(refs[i].addr, addr, alen(family)))
			return i;
	return -1;
}

static int ref_lookup(int family, const u8 *addr)
{
	int best = -1, best_cidr = -1;
	size_t i;

	for (i = 0; i < nrefs; ++i) {
		const struct ref *r = &refs[i];

		if (r->family == family && r->cidr > best_cidr &&
		    ref_covers(r, addr)) {
			best = r->peer;
			best_cidr = r->cidr;
		}
	}
	return best;
}

/* ---- calls into the table, mirrored in the reference ---- */

static int api_insert(int family, const u8 *addr, int cidr, int peer)
{
	int ret;

	mutex_lock(&lock);
	ret = wg_allowedips_add(&table, family, addr, cidr, &peers[peer], &lock);
	mutex_unlock(&lock);
	return ret;
}

static int api_remove(int family, const u8 *addr, int cidr, int peer)
{
	int ret;

	mutex_lock(&lock);
	ret = wg_allowedips_del(&table, family, addr, cidr, &peers[peer], &lock);
	mutex_unlock(&lock);
	return ret;
}

static int api_lookup(int family, const u8 *addr)
{
	struct wg_peer *p;

	rcu_read_lock_bh();
	p = wg_allowedips_find(&table, family, addr);
	rcu_read_unlock_bh();
	return p ? p->id : -1;
}

/* The same through fake packets: dst and src must agree. */
static int api_lookup_skb(int family, const u8 *addr)
{
	union {
		struct iphdr v4;
		struct ipv6hdr v6;
	} h;
	struct sk_buff skb = { .network = (unsigned char *)&h };
	struct wg_peer *d, *s;

	memset(&h, 0x5a, sizeof(h));
	if (family == AF_INET6) {
		skb.protocol = htons(ETH_P_IPV6);
		memcpy(&h.v6.daddr, addr, 16);
		memcpy(&h.v6.saddr, addr, 16);
	} else {
		skb.protocol = htons(ETH_P_IP);
		memcpy(&h.v4.daddr, addr, 4);
		memcpy(&h.v4.saddr, addr, 4);
	}
	d = wg_allowedips_lookup_dst(&table, &skb);
	s = wg_allowedips_lookup_src(&table, &skb);
	if (d != s)
		FAIL("lookup_dst %p != lookup_src %p", d, s);
	skb.protocol = htons(ETH_P_ARP);
	if (wg_allowedips_lookup_dst(&table, &skb) ||
	    wg_allowedips_lookup_src(&table, &skb))
		FAIL("non-IP skb matched");
	return d ? d->id : -1;
}

static void do_insert(int family, const u8 *in, int cidr, int peer)
{
	u64 seq = table.seq;
	bool inject = rndn(40) == 0;
	u8 addr[16];
	long i;
	int ret;

	memcpy(addr, in, 16);
	mask_bytes(addr, family, cidr);
	i = ref_find(family, addr, cidr);
	if (inject)
		shim_fail_after = rndn(2);
	/* Host bits set: the table must mask them itself. */
	ret = api_insert(family, in, cidr, peer);
	shim_fail_after = -1;
	if (ret == -ENOMEM) {
		if (!inject || i >= 0)
			FAIL("unexpected -ENOMEM");
		if (table.seq != seq)
			FAIL("seq changed on -ENOMEM");
		return;
	}
	if (ret)
		FAIL("insert returned %d", ret);
	if (i >= 0) {
		if (refs[i].peer != peer) {
			refs[i].peer = peer;
			refs[i].stamp = ++stamp_counter;
			if (table.seq == seq)
				FAIL("seq not bumped on move");
		}
		return;
	}
	if (table.seq == seq)
		FAIL("seq not bumped on insert");
	if (nrefs == refs_cap) {
		refs_cap = refs_cap ? 2 * refs_cap : 1024;
		refs = realloc(refs, refs_cap * sizeof(*refs));
		assert(refs);
	}
	memset(&refs[nrefs], 0, sizeof(refs[nrefs]));
	memcpy(refs[nrefs].addr, addr, 16);
	refs[nrefs].family = family;
	refs[nrefs].cidr = cidr;
	refs[nrefs].peer = peer;
	refs[nrefs].stamp = ++stamp_counter;
	++nrefs;
}

static void do_remove(int family, const u8 *in, int cidr, int peer)
{
	u64 seq = table.seq;
	bool gone, changed;
	u8 addr[16];
	long i;
	int ret;

	memcpy(addr, in, 16);
	mask_bytes(addr, family, cidr);
	i = ref_find(family, addr, cidr);
	ret = api_remove(family, in, cidr, peer);
	if (ret)
		FAIL("remove returned %d", ret);
	gone = i >= 0 && refs[i].peer == peer;
	if (gone)
		refs[i] = refs[--nrefs];
	changed = table.seq != seq;
	if (gone != changed)
		FAIL("seq %s on remove", gone ? "not bumped" : "bumped");
}

static void do_remove_by_peer(int peer)
{
	size_t i;

	mutex_lock(&lock);
	wg_allowedips_remove_by_peer(&table, &peers[peer], &lock);
	mutex_unlock(&lock);
	if (!list_empty(&peers[peer].allowedips_list))
		FAIL("peer %d list not empty after remove_by_peer", peer);
	for (i = 0; i < nrefs;) {
		if (refs[i].peer == peer)
			refs[i] = refs[--nrefs];
		else
			++i;
	}
}

/* ---- structure checks ---- */

static size_t seen_nodes, seen_prefixes;

static void check_node(struct allowedips_node *node,
		       struct allowedips_node *parent, int slot, int family)
{
	struct allowedips_node *c0, *c1;
	struct wg_peer *peer;
	unsigned int bit = min(node->cidr, 127U);
	u64 k[2] = { node->key[0], node->key[1] };
	u8 addr[16];
	long i;

	++seen_nodes;
	if (node->parent != parent)
		FAIL("bad parent pointer");
	if (node->family != family)
		FAIL("family %d in the trie of %d", node->family, family);
	if (node->cidr > (family == AF_INET6 ? 128 : 32))
		FAIL("cidr %u too long", node->cidr);
	mask_key(k, node->cidr);
	if (k[0] != node->key[0] || k[1] != node->key[1])
		FAIL("host bits set in a node");
	if (family == AF_INET && (node->key[1] || (u32)node->key[0]))
		FAIL("IPv4 key outside its 32 bits");
	if (node->bit_word != bit >> 6 || node->bit_shift != 63 - (bit & 63))
		FAIL("bad child bit");
	if (parent) {
		if (node->cidr <= parent->cidr)
			FAIL("child cidr %u <= parent %u", node->cidr,
			     parent->cidr);
		if (common_bits(node->key, parent->key) < parent->cidr)
			FAIL("child outside its parent's prefix");
		if ((int)key_bit(node->key, parent->cidr) != slot)
			FAIL("child on the wrong side");
	}
	c0 = rcu_access_pointer(node->child[0]);
	c1 = rcu_access_pointer(node->child[1]);
	peer = rcu_access_pointer(node->peer);
	if (!peer && !(c0 && c1))
		FAIL("branch node with fewer than two children");
	if (node->cidr == (family == AF_INET6 ? 128 : 32) && (c0 || c1))
		FAIL("full-length node with children");
	if (peer) {
		++seen_prefixes;
		if (wg_allowedips_read_node(node, addr, &(u8){0}) != family)
			FAIL("read_node family");
		i = ref_find(family, addr, node->cidr);
		if (i < 0)
			FAIL("trie has a prefix the reference lacks");
		else if (refs[i].peer != peer->id)
			FAIL("prefix owned by %d, not %d", peer->id,
			     refs[i].peer);
	}
	if (c0)
		check_node(c0, node, 0, family);
	if (c1)
		check_node(c1, node, 1, family);
}

static int cmp_stamp(const void *a, const void *b)
{
	const struct ref *x = *(const struct ref * const *)a;
	const struct ref *y = *(const struct ref * const *)b;

	return x->stamp < y->stamp ? -1 : x->stamp > y->stamp;
}

/* Each peer's dump must list exactly its prefixes, oldest first. */
static void check_dump(int peer)
{
	static const struct ref **mine;
	static size_t mine_cap;
	struct allowedips_node *node;
	size_t n = 0, i;
	u8 addr[16], cidr;
	int family;

	if (mine_cap < nrefs) {
		mine_cap = nrefs * 2;
		mine = realloc(mine, mine_cap * sizeof(*mine));
		assert(mine);
	}
	for (i = 0; i < nrefs; ++i)
		if (refs[i].peer == peer)
			mine[n++] = &refs[i];
	qsort(mine, n, sizeof(*mine), cmp_stamp);
	i = 0;
	mutex_lock(&lock);
	for (node = wg_allowedips_first(&peers[peer]); node;
	     node = wg_allowedips_next(&peers[peer], node), ++i) {
		memset(addr, 0xee, sizeof(addr));
		family = wg_allowedips_read_node(node, addr, &cidr);
		if (i >= n) {
			FAIL("peer %d dumps more than %zu prefixes", peer, n);
			break;
		}
		if (family != mine[i]->family || cidr != mine[i]->cidr ||
		    memcmp(addr, mine[i]->addr, alen(family)))
			FAIL("peer %d dump entry %zu differs", peer, i);
		if (family == AF_INET && addr[4] != 0xee)
			FAIL("read_node wrote past 4 bytes");
	}
	mutex_unlock(&lock);
	if (i != n)
		FAIL("peer %d dumped %zu prefixes, has %zu", peer, i, n);
}

static void check_all(void)
{
	struct allowedips_node *r4 = rcu_access_pointer(table.root4);
	struct allowedips_node *r6 = rcu_access_pointer(table.root6);
	int p;

	seen_nodes = 0;
	seen_prefixes = 0;
	if (r4)
		check_node(r4, NULL, 0, AF_INET);
	if (r6)
		check_node(r6, NULL, 0, AF_INET6);
	if (seen_prefixes != nrefs)
		FAIL("trie has %zu prefixes, reference %zu", seen_prefixes,
		     nrefs);
	if (seen_nodes > (nrefs ? 2 * nrefs - 1 : 0))
		FAIL("%zu nodes for %zu prefixes", seen_nodes, nrefs);
	if (shim_live_objects != (long)seen_nodes && !shim_rcu_deferred)
		FAIL("%ld objects live, %zu nodes", shim_live_objects,
		     seen_nodes);
	for (p = 0; p < npeers; ++p)
		check_dump(p);
}

/* ---- random addresses ---- */

#define NBASES 12
static u8 bases[2][NBASES][16];

static void random_bytes(u8 *a, int n)
{
	while (n--)
		*a++ = rnd();
}

static void new_bases(void)
{
	int f, i;

	for (f = 0; f < 2; ++f)
		for (i = 0; i < NBASES; ++i)
			random_bytes(bases[f][i], 16);
}

/* Mostly near a few bases, so prefixes nest and share long paths. */
static void random_addr(int family, u8 *a)
{
	int bits = alen(family) * 8, flips, i;

	if (rndn(16) == 0) {
		random_bytes(a, 16);
		return;
	}
	memcpy(a, bases[family == AF_INET6][rndn(NBASES)], 16);
	flips = rndn(4);
	for (i = 0; i < flips; ++i) {
		int b = rndn(bits);

		a[b / 8] ^= 0x80 >> (b % 8);
	}
	/* and a random tail */
	if (rndn(2)) {
		int from = rndn(bits);

		for (i = from; i < bits; ++i)
			if (rndn(2))
				a[i / 8] ^= 0x80 >> (i % 8);
	}
}

static int random_cidr(int family)
{
	int max = family == AF_INET6 ? 128 : 32;

	switch (rndn(4)) {
	case 0:
		return rndn(max + 1);
	case 1:
		return max - rndn(4);
	default:
		return rndn(max / 4) + max / 2 + rndn(max / 4);
	}
}

static int random_family(void)
{
	return rndn(2) ? AF_INET6 : AF_INET;
}

static unsigned long nlookups;

static void check_lookups(int n)
{
	u8 a[16];
	int i, family, want, got;

	for (i = 0; i < n; ++i) {
		if (nrefs && rndn(2)) {
			const struct ref *r = &refs[rndn(nrefs)];
			int b, bits = alen(r->family) * 8;

			family = r->family;
			memcpy(a, r->addr, 16);
			for (b = r->cidr; b < bits; ++b)
				if (rndn(2))
					a[b / 8] ^= 0x80 >> (b % 8);
			if (r->cidr && rndn(5) == 0) {
				b = rndn(r->cidr);
				a[b / 8] ^= 0x80 >> (b % 8);
			}
		} else {
			family = random_family();
			random_addr(family, a);
		}
		want = ref_lookup(family, a);
		got = (i & 7) ? api_lookup(family, a) :
				api_lookup_skb(family, a);
		++nlookups;
		if (got != want)
			FAIL("lookup: got peer %d, want %d", got, want);
	}
}

static void reset_table(int n)
{
	int i;

	free(peers);
	npeers = n;
	peers = calloc(n, sizeof(*peers));
	assert(peers);
	for (i = 0; i < n; ++i) {
		INIT_LIST_HEAD(&peers[i].allowedips_list);
		peers[i].id = i;
	}
	wg_allowedips_init(&table);
	nrefs = 0;
}

static void random_op(void)
{
	u8 a[16];
	int family, r = rndn(100);

	if (r < 55 || !nrefs) {
		family = random_family();
		random_addr(family, a);
		do_insert(family, a, random_cidr(family), rndn(npeers));
	} else if (r < 70) {
		const struct ref *ref = &refs[rndn(nrefs)];

		memcpy(a, ref->addr, 16);
		do_insert(ref->family, a, ref->cidr,
			  rndn(3) ? (int)rndn(npeers) : ref->peer);
	} else if (r < 88) {
		const struct ref *ref = &refs[rndn(nrefs)];

		memcpy(a, ref->addr, 16);
		do_remove(ref->family, a, ref->cidr,
			  rndn(5) ? ref->peer : (int)rndn(npeers));
	} else if (r < 97) {
		family = random_family();
		random_addr(family, a);
		do_remove(family, a, random_cidr(family), rndn(npeers));
	} else {
		do_remove_by_peer(rndn(npeers));
	}
}

static void check_edges(void)
{
	static const u8 zero[16];

	reset_table(2);
	mutex_lock(&lock);
	if (wg_allowedips_add(&table, AF_INET, zero, 33, &peers[0], &lock) !=
	    -EINVAL ||
	    wg_allowedips_add(&table, AF_INET6, zero, 129, &peers[0], &lock) !=
	    -EINVAL ||
	    wg_allowedips_add(&table, 99, zero, 8, &peers[0], &lock) != -EINVAL)
		FAIL("long cidr or unknown family accepted");
	if (wg_allowedips_first(&peers[0]))
		FAIL("empty peer has a first node");
	mutex_unlock(&lock);
	/* ::/0 and 0.0.0.0/0 must stay apart */
	do_insert(AF_INET, (u8 [16]) { 0 }, 0, 0);
	check_lookups(1000);
	do_insert(AF_INET6, (u8 [16]) { 0 }, 0, 1);
	check_lookups(1000);
	check_all();
	do_remove_by_peer(0);
	do_remove_by_peer(1);
	check_all();
	if (rcu_access_pointer(table.root4) || rcu_access_pointer(table.root6))
		FAIL("trie not empty");
}

static void fuzz(u64 seed, unsigned long want_lookups)
{
	unsigned long round = 0, ops, i;
	int *order, p;
	u64 seq;
	double t = now();

	check_edges();
	while (nlookups < want_lookups) {
		rng_state = seed + round;
		new_bases();
		reset_table(50 + rndn(400));
		ops = 500 + rndn(4000);
		for (i = 0; i < ops; ++i) {
			random_op();
			if (round < 4 || i % 64 == 0)
				check_all();
			if (i % 16 == 0)
				check_lookups(8);
		}
		check_all();
		check_lookups(20000);

		/* moves between two peers only, then drain */
		order = calloc(npeers, sizeof(*order));
		assert(order);
		for (p = 0; p < npeers; ++p)
			order[p] = p;
		for (p = npeers - 1; p > 0; --p) {
			int j = rndn(p + 1), tmp = order[p];

			order[p] = order[j];
			order[j] = tmp;
		}
		for (p = 0; p < npeers; ++p) {
			do_remove_by_peer(order[p]);
			if (p % 8 == 0 || npeers - p < 8) {
				check_all();
				check_lookups(200);
			}
		}
		free(order);
		if (nrefs || rcu_access_pointer(table.root4) ||
		    rcu_access_pointer(table.root6))
			FAIL("trie not empty after removing every peer");
		rcu_barrier();
		if (shim_live_objects)
			FAIL("%ld nodes leaked", shim_live_objects);

		/* fill again and tear down with wg_allowedips_free() */
		for (i = 0; i < ops / 2; ++i)
			random_op();
		seq = table.seq;
		mutex_lock(&lock);
		wg_allowedips_free(&table, &lock);
		mutex_unlock(&lock);
		if (table.seq == seq)
			FAIL("seq not bumped by free");
		rcu_barrier();
		nrefs = 0;
		for (p = 0; p < npeers; ++p)
			if (!list_empty(&peers[p].allowedips_list))
				FAIL("peer %d still listed after free", p);
		if (shim_live_objects || rcu_access_pointer(table.root4) ||
		    rcu_access_pointer(table.root6))
			FAIL("free left %ld nodes", shim_live_objects);
		++round;
	}
	printf("random run: %lu rounds, %lu lookups checked, %.1f s, %lu failures\n",
	       round, nlookups, now() - t, failures);
}

/* ---- big tables ---- */

static void bench(int n)
{
	const int per_peer = 10;
	unsigned long i, hits = 0;
	u8 a[16];
	double t;
	int p, k, family;

	rng_state = 1;
	new_bases();
	reset_table(n);
	t = cpu_now();
	for (p = 0; p < n; ++p) {
		for (k = 0; k < per_peer; ++k) {
			family = k & 1 ? AF_INET6 : AF_INET;
			random_bytes(a, 16);
			if (api_insert(family, a, family == AF_INET6 ?
				       64 + rndn(65) : 16 + rndn(17), p))
				FAIL("insert failed");
		}
	}
	t = cpu_now() - t;
	printf("big table (CPU time): %d peers x %d prefixes: insert %.2f s\n",
	       n, per_peer, t);
	printf("  %.0f ns per insert, %ld nodes, %zu bytes each\n",
	       t * 1e9 / (n * per_peer), shim_live_objects,
	       sizeof(struct allowedips_node));
	t = cpu_now();
	for (i = 0; i < 4000000; ++i) {
		family = i & 1 ? AF_INET6 : AF_INET;
		random_bytes(a, 16);
		hits += api_lookup(family, a) >= 0;
	}
	t = cpu_now() - t;
	printf("  4M random lookups %.2f s (%.0f ns each), %lu hits\n",
	       t, t * 1e9 / 4000000, hits);
	t = cpu_now();
	for (p = 0; p < n; ++p) {
		mutex_lock(&lock);
		wg_allowedips_remove_by_peer(&table, &peers[p], &lock);
		mutex_unlock(&lock);
	}
	t = cpu_now() - t;
	printf("  remove_by_peer for all %d peers %.2f s, %ld nodes left\n",
	       n, t, shim_live_objects);
	if (shim_live_objects || rcu_access_pointer(table.root4) ||
	    rcu_access_pointer(table.root6))
		FAIL("not empty after removing every peer");
}

/* ---- concurrent readers ---- */

/*
 * Stable prefixes: IPv4 /24s and IPv6 /48s, each with its own peer, never
 * touched by the updater. Readers look up addresses in the lower half of
 * each (next bit 0), which only the stable prefix can be the best match
 * for: the updater adds shorter prefixes anywhere, same-length ones that
 * are not stable, and longer ones only in upper halves of stable prefixes
 * or elsewhere. So the trie is rebuilt all around the stable nodes while
 * every checked answer stays fixed.
 */
#define NSTABLE 128
#define NCHURN_PEERS 200
static u8 stable[2][NSTABLE][16];
static int stop;
static unsigned long reader_lookups[64], reader_bad[64];

struct reader_arg {
	int idx;
	int rcu_id;
	u64 seed;
};

static void *reader(void *arg)
{
	struct reader_arg *ra = arg;
	int id = ra->rcu_id, f, s;
	u64 state = ra->seed;
	unsigned long n = 0;
	u8 a[16];

	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		shim_quiescent(id);
		for (int i = 0; i < 64; ++i, ++n) {
			state = state * 6364136223846793005ULL +
				1442695040888963407ULL;
			f = (state >> 40) & 1;
			s = (state >> 41) % NSTABLE;
			memcpy(a, stable[f][s], 16);
			if (f) {
				a[6] = (state >> 20) & 0x7f;
				a[15] ^= state >> 32;
			} else {
				a[3] = (state >> 20) & 0x7f;
			}
			if (api_lookup(f ? AF_INET6 : AF_INET, a) !=
			    (f ? NSTABLE : 0) + s + NCHURN_PEERS)
				++reader_bad[ra->idx];
			/* and somewhere near, unchecked, for the sanitizers */
			a[f ? 6 : 3] = state >> 48;
			a[f ? 7 : 2] ^= state >> 56;
			(void)api_lookup(f ? AF_INET6 : AF_INET, a);
		}
	}
	shim_reader_offline(id);
	reader_lookups[ra->idx] = n;
	return NULL;
}

static bool is_stable(int family, const u8 *a, int cidr)
{
	int f = family == AF_INET6, s;

	if (cidr != (f ? 48 : 24))
		return false;
	for (s = 0; s < NSTABLE; ++s)
		if (!memcmp(stable[f][s], a, alen(family)))
			return true;
	return false;
}

static bool is_stable_below(int f, int n)
{
	int s;

	for (s = 0; s < n; ++s)
		if (!memcmp(stable[f][s], stable[f][n], 16))
			return true;
	return false;
}

static void churn_prefix(int *family, u8 *a, int *cidr)
{
	int f = rndn(2), len = f ? 48 : 24, max = f ? 128 : 32;

	*family = f ? AF_INET6 : AF_INET;
	memcpy(a, stable[f][rndn(NSTABLE)], 16);
	switch (rndn(3)) {
	case 0:		/* shorter, around stable ones */
		*cidr = rndn(len);
		break;
	case 1:		/* the same length, a sibling */
		a[len / 8 - 1] ^= 1 + rndn(255);
		*cidr = len;
		break;
	default:	/* longer, inside the upper half */
		random_bytes(a + len / 8, 16 - len / 8);
		a[len / 8] |= 0x80;
		*cidr = len + 1 + rndn(max - len);
		break;
	}
	mask_bytes(a, *family, *cidr);
	if (is_stable(*family, a, *cidr))
		*cidr = len - 1;
}

static void concurrent(int seconds, int nreaders)
{
	struct reader_arg args[64];
	pthread_t threads[64];
	unsigned long ops = 0, total = 0, bad = 0;
	double end;
	int i, f, s, family, cidr;
	u8 a[16];

	shim_rcu_deferred = 1;
	rng_state = 42;
	new_bases();
	reset_table(NCHURN_PEERS + 2 * NSTABLE);
	for (f = 0; f < 2; ++f) {
		for (s = 0; s < NSTABLE; ++s) {
			do {
				random_bytes(stable[f][s], 16);
				stable[f][s][0] = 10 + rndn(2);	/* crowd */
				mask_bytes(stable[f][s], f ? AF_INET6 : AF_INET,
					   f ? 48 : 24);
			} while (is_stable_below(f, s));
			if (api_insert(f ? AF_INET6 : AF_INET, stable[f][s],
				       f ? 48 : 24,
				       NCHURN_PEERS + f * NSTABLE + s))
				FAIL("stable insert");
		}
	}
	for (i = 0; i < nreaders; ++i) {
		args[i].idx = i;
		args[i].seed = 1000 + i;
		args[i].rcu_id = shim_reader_register();
		pthread_create(&threads[i], NULL, reader, &args[i]);
	}
	end = now() + seconds;
	while (now() < end) {
		for (i = 0; i < 256; ++i, ++ops) {
			int r = rndn(100);

			churn_prefix(&family, a, &cidr);
			if (r < 50)
				api_insert(family, a, cidr,
					   rndn(NCHURN_PEERS));
			else if (r < 95)
				api_remove(family, a, cidr,
					   rndn(NCHURN_PEERS));
			else
				do_remove_by_peer(rndn(NCHURN_PEERS));
			if (i % 8 == 0)
				synchronize_shim();
		}
		/* now and then, clear out everything unstable */
		if (rndn(20) == 0)
			for (i = 0; i < NCHURN_PEERS; ++i)
				do_remove_by_peer(i);
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	for (i = 0; i < nreaders; ++i) {
		pthread_join(threads[i], NULL);
		total += reader_lookups[i];
		bad += reader_bad[i];
	}
	if (bad)
		FAIL("%lu of %lu lookups beside updates went wrong", bad, total);
	for (i = 0; i < npeers; ++i)
		do_remove_by_peer(i);
	rcu_barrier();
	if (shim_live_objects || rcu_access_pointer(table.root4) ||
	    rcu_access_pointer(table.root6))
		FAIL("not empty at the end: %ld nodes", shim_live_objects);
	printf("threads: %d readers, %lu updates, %lu checked lookups, %lu wrong\n",
	       nreaders, ops, total, bad);
}

int main(int argc, char **argv)
{
	unsigned long want_lookups = 1000000;
	int opt, mode = 0, n = 100000, seconds = 10, readers = 4;
	u64 seed = 1;

	while ((opt = getopt(argc, argv, "bcs:l:n:t:r:")) != -1) {
		switch (opt) {
		case 'b':
			mode = 'b';
			break;
		case 'c':
			mode = 'c';
			break;
		case 's':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 'l':
			want_lookups = strtoul(optarg, NULL, 0);
			break;
		case 'n':
			n = atoi(optarg);
			break;
		case 't':
			seconds = atoi(optarg);
			break;
		case 'r':
			readers = atoi(optarg);
			if (readers < 1 || readers > 64)
				readers = 4;
			break;
		default:
			fprintf(stderr, "usage: see the top of fuzz.c\n");
			return 2;
		}
	}
	mutex_init(&lock);
	if (wg_allowedips_slab_init())
		return 1;
	if (mode == 'b')
		bench(n);
	else if (mode == 'c')
		concurrent(seconds, readers);
	else
		fuzz(seed, want_lookups);
	wg_allowedips_slab_uninit();
	if (failures) {
		printf("FAILED: %lu failures\n", failures);
		return 1;
	}
	printf("PASS\n");
	return 0;
}
