// SPDX-License-Identifier: GPL-2.0
/*
 * Handshake rate limiting: a token bucket per (netns, source address),
 * 20 handshakes a second with a burst of 5, one table for all devices.
 *
 * Tokens are nanoseconds of credit: a packet costs 1 s / 20, credit accrues
 * with elapsed time and is capped at five packets' worth.
 *
 * Entries are found under RCU, their counters guarded by their own spinlock;
 * the table's lock is taken only to insert or remove. An entry idle for a
 * second holds a full bucket, the same as no entry, so a worker frees those
 * every second. The number of entries is capped: when the table is full a
 * new source is refused rather than memory spent on it. The table's lock
 * and an entry's lock are never held together.
 */

#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/log2.h>
#include <linux/slab.h>
#include <linux/random.h>
#include <linux/siphash.h>
#include <linux/spinlock.h>
#include <linux/mutex.h>
#include <linux/rculist.h>
#include <linux/workqueue.h>
#include <linux/ktime.h>
#include <linux/skbuff.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/socket.h>
#include "ratelimiter.h"

#define PACKETS_PER_SECOND	20
#define PACKETS_BURSTABLE	5
#define PACKET_COST		((u64)NSEC_PER_SEC / PACKETS_PER_SECOND)
#define TOKEN_MAX		(PACKET_COST * PACKETS_BURSTABLE)
#define ENTRY_IDLE_NS		((u64)NSEC_PER_SEC)
#define GC_INTERVAL		HZ

/*
 * One bucket per 128 KiB of RAM, between 16 and 8192, and eight entries per
 * bucket. A source gets an entry only once it has proven with mac2 that it
 * receives at its address, and loses it after a second of silence; 8192
 * buckets (64 KiB of heads, reached at 1 GiB of RAM) and 65536 entries
 * (about 6 MiB) cover far more such sources than one host can serve
 * handshakes to, while a small machine spends well under 1% of its RAM.
 * With a random siphash key, chains stay near eight long whatever the input.
 */
#define MIN_BUCKETS		16U
#define MAX_BUCKETS		8192U
#define ENTRIES_PER_BUCKET	8U

struct rl_entry {
	struct hlist_node node;
	const struct net *net;	/* compared only, never dereferenced */
	u64 ip;			/* IPv4 address or IPv6 /64 prefix, raw */
	u16 family;
	spinlock_t lock;		/* guards last_time_ns and tokens */
	u64 last_time_ns;	/* under lock; read racily by the gc */
	u64 tokens;		/* under lock, in ns of credit */
	struct rcu_head rcu;
};

struct ratelimiter {
	struct hlist_head *buckets;	/* entries: RCU, changes under lock */
	unsigned int bucket_mask;
	unsigned int max_entries;
	unsigned int entries;		/* under lock */
	spinlock_t lock;		/* inserts and removals */
	siphash_key_t key;
	struct delayed_work gc_work;
};

static struct ratelimiter limiter;
static DEFINE_MUTEX(init_lock);
static unsigned int init_refcount;	/* under init_lock */

static int rl_setup(struct ratelimiter *rl, unsigned int buckets,
		    unsigned int max_entries)
{
	rl->buckets = kvcalloc(buckets, sizeof(*rl->buckets), GFP_KERNEL);
	if (!rl->buckets)
		return -ENOMEM;
	rl->bucket_mask = buckets - 1;
	rl->max_entries = max_entries;
	rl->entries = 0;
	spin_lock_init(&rl->lock);
	get_random_bytes(&rl->key, sizeof(rl->key));
	return 0;
}

static bool entry_is_idle(const struct rl_entry *entry, u64 now)
{
	return (s64)(now - READ_ONCE(entry->last_time_ns)) > (s64)ENTRY_IDLE_NS;
}

/* Frees the entries idle at @now, or all of them. */
static void rl_gc(struct ratelimiter *rl, u64 now, bool all)
{
	struct rl_entry *entry;
	struct hlist_node *tmp;
	unsigned int i;

	for (i = 0; i <= rl->bucket_mask; ++i) {
		spin_lock_bh(&rl->lock);
		hlist_for_each_entry_safe(entry, tmp, &rl->buckets[i], node) {
			if (!all && !entry_is_idle(entry, now))
				continue;
			hlist_del_rcu(&entry->node);
			--rl->entries;
			kfree_rcu(entry, rcu);
		}
		spin_unlock_bh(&rl->lock);
		cond_resched();
	}
}

static void rl_teardown(struct ratelimiter *rl)
{
	rl_gc(rl, 0, true);
	/* Lookups begun before the last device went away end before this. */
	synchronize_rcu();
	kvfree(rl->buckets);
	rl->buckets = NULL;
}

/* Under RCU. */
static struct rl_entry *rl_find(struct hlist_head *bucket,
				const struct net *net, u16 family, u64 ip)
{
	struct rl_entry *entry;

	hlist_for_each_entry_rcu(entry, bucket, node) {
		if (entry->net == net && entry->ip == ip &&
		    entry->family == family)
			return entry;
	}
	return NULL;
}

static bool take_token(struct rl_entry *entry, u64 now)
{
	bool allowed;

	spin_lock_bh(&entry->lock);
	if ((s64)(now - entry->last_time_ns) > 0) {
		/* Clamp first: the sum must not overflow after a long sleep. */
		entry->tokens += min_t(u64, now - entry->last_time_ns,
				       TOKEN_MAX);
		entry->tokens = min_t(u64, entry->tokens, TOKEN_MAX);
		WRITE_ONCE(entry->last_time_ns, now);
	}
	allowed = entry->tokens >= PACKET_COST;
	if (allowed)
		entry->tokens -= PACKET_COST;
	spin_unlock_bh(&entry->lock);
	return allowed;
}

/* Under RCU: a first packet from a new source, let through if there is room. */
static bool rl_insert(struct ratelimiter *rl, struct hlist_head *bucket,
		      const struct net *net, u16 family, u64 ip, u64 now)
{
	struct rl_entry *entry, *new;
	bool allowed = false;

	new = kmalloc(sizeof(*new), GFP_ATOMIC | __GFP_NOWARN);
	if (unlikely(!new))
		return false;
	new->net = net;
	new->ip = ip;
	new->family = family;
	spin_lock_init(&new->lock);
	new->last_time_ns = now;
	new->tokens = TOKEN_MAX - PACKET_COST;

	spin_lock_bh(&rl->lock);
	/* Another CPU may have inserted the same source meanwhile. */
	entry = rl_find(bucket, net, family, ip);
	if (!entry && rl->entries < rl->max_entries) {
		hlist_add_head_rcu(&new->node, bucket);
		++rl->entries;
		new = NULL;
		allowed = true;
	}
	spin_unlock_bh(&rl->lock);

	kfree(new);
	if (entry)
		allowed = take_token(entry, now);
	return allowed;
}

static bool rl_allow(struct ratelimiter *rl, const struct net *net,
		     u16 family, u64 ip, u64 now)
{
	struct hlist_head *bucket;
	struct rl_entry *entry;
	bool allowed;

	bucket = &rl->buckets[siphash_3u64((unsigned long)net, ip, family,
					   &rl->key) & rl->bucket_mask];
	rcu_read_lock();
	entry = rl_find(bucket, net, family, ip);
	if (likely(entry))
		allowed = take_token(entry, now);
	else
		allowed = rl_insert(rl, bucket, net, family, ip, now);
	rcu_read_unlock();
	return allowed;
}

/* The outer source: an IPv4 address, or the /64 an IPv6 host sits in. */
static bool source_of(const struct sk_buff *skb, u16 *family, u64 *ip)
{
	if (skb->protocol == htons(ETH_P_IP)) {
		*family = AF_INET;
		*ip = (__force u32)ip_hdr(skb)->saddr;
		return true;
	}
	if (skb->protocol == htons(ETH_P_IPV6)) {
		*family = AF_INET6;
		memcpy(ip, &ipv6_hdr(skb)->saddr, sizeof(*ip));
		return true;
	}
	return false;
}

static bool rl_allow_skb(struct ratelimiter *rl, const struct sk_buff *skb,
			 const struct net *net, u64 now)
{
	u16 family;
	u64 ip;

	if (unlikely(!source_of(skb, &family, &ip)))
		return false;
	return rl_allow(rl, net, family, ip, now);
}

bool wg_ratelimiter_allow(struct sk_buff *skb, struct net *net)
{
	return rl_allow_skb(&limiter, skb, net, ktime_get_coarse_boottime_ns());
}

static void gc_worker(struct work_struct *work)
{
	struct ratelimiter *rl = container_of(to_delayed_work(work),
					      struct ratelimiter, gc_work);

	rl_gc(rl, ktime_get_coarse_boottime_ns(), false);
	queue_delayed_work(system_power_efficient_wq, &rl->gc_work,
			   GC_INTERVAL);
}

static unsigned int buckets_for_ram(void)
{
	u64 buckets = ((u64)totalram_pages() << PAGE_SHIFT) >> 17;

	return rounddown_pow_of_two(clamp_t(u64, buckets, MIN_BUCKETS,
					    MAX_BUCKETS));
}

int wg_ratelimiter_init(void)
{
	unsigned int buckets;
	int ret = 0;

	mutex_lock(&init_lock);
	if (init_refcount++)
		goto out;

	buckets = buckets_for_ram();
	ret = rl_setup(&limiter, buckets, buckets * ENTRIES_PER_BUCKET);
	if (ret) {
		--init_refcount;
		goto out;
	}
	INIT_DELAYED_WORK(&limiter.gc_work, gc_worker);
	queue_delayed_work(system_power_efficient_wq, &limiter.gc_work,
			   GC_INTERVAL);
out:
	mutex_unlock(&init_lock);
	return ret;
}

void wg_ratelimiter_uninit(void)
{
	mutex_lock(&init_lock);
	if (WARN_ON_ONCE(!init_refcount) || --init_refcount)
		goto out;

	cancel_delayed_work_sync(&limiter.gc_work);
	rl_teardown(&limiter);
out:
	mutex_unlock(&init_lock);
}

#if IS_ENABLED(CONFIG_KUNIT)
#include "tests/ratelimiter_test.c"
#endif
