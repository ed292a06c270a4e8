// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite wg_ratelimiter. ratelimiter.c includes this file at its end;
 * each case drives a private table (16 buckets, 64 entries) with a clock of
 * its own, so none depends on the real time or on the shared table.
 */

#include <kunit/test.h>

#define SEC	((u64)NSEC_PER_SEC)
#define MS	((u64)NSEC_PER_MSEC)
#define T0	(1000 * SEC)

static bool allow_from(struct kunit *test, const u8 *addr, bool v6,
		       const struct net *net, u64 now)
{
	struct ratelimiter *rl = test->priv;
	struct sk_buff *skb;
	bool allowed;

	skb = alloc_skb(sizeof(struct ipv6hdr), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	skb_reset_network_header(skb);
	if (v6) {
		struct ipv6hdr *ip6 = skb_put_zero(skb, sizeof(*ip6));

		ip6->version = 6;
		memcpy(&ip6->saddr, addr, sizeof(ip6->saddr));
		skb->protocol = htons(ETH_P_IPV6);
	} else {
		struct iphdr *ip = skb_put_zero(skb, sizeof(*ip));

		ip->version = 4;
		ip->ihl = 5;
		memcpy(&ip->saddr, addr, sizeof(ip->saddr));
		skb->protocol = htons(ETH_P_IP);
	}
	allowed = rl_allow_skb(rl, skb, net, now);
	kfree_skb(skb);
	return allowed;
}

/* From 192.0.2.@host in the initial namespace. */
static bool allow4(struct kunit *test, u8 host, u64 now)
{
	const u8 addr[4] = { 192, 0, 2, host };

	return allow_from(test, addr, false, &init_net, now);
}

static void burst_of_five_then_refused(struct kunit *test)
{
	int i;

	for (i = 0; i < 5; ++i)
		KUNIT_EXPECT_TRUE_MSG(test, allow4(test, 1, T0), "packet %d", i);
	KUNIT_EXPECT_FALSE(test, allow4(test, 1, T0));
	KUNIT_EXPECT_FALSE(test, allow4(test, 1, T0 + 49 * MS));
	KUNIT_EXPECT_TRUE(test, allow4(test, 1, T0 + 50 * MS));
	KUNIT_EXPECT_FALSE(test, allow4(test, 1, T0 + 50 * MS));
}

static void steady_rate_is_twenty_per_second(struct kunit *test)
{
	int i, allowed = 0;

	for (i = 0; i < 5; ++i)
		allow4(test, 1, T0);
	/* Asking every 10 ms for a second gets one in five through. */
	for (i = 1; i <= 100; ++i)
		allowed += allow4(test, 1, T0 + i * 10 * MS);
	KUNIT_EXPECT_EQ(test, allowed, 20);

	/* A long silence earns no more than a burst. */
	allowed = 0;
	for (i = 0; i < 10; ++i)
		allowed += allow4(test, 1, T0 + 60 * SEC);
	KUNIT_EXPECT_EQ(test, allowed, 5);
}

static void ipv4_sources_are_independent(struct kunit *test)
{
	int i;

	for (i = 0; i < 5; ++i)
		allow4(test, 1, T0);
	KUNIT_EXPECT_FALSE(test, allow4(test, 1, T0));
	KUNIT_EXPECT_TRUE(test, allow4(test, 2, T0));
}

static void ipv6_hosts_share_their_slash_64(struct kunit *test)
{
	static const u8 host[16] = {
		0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2, [15] = 1
	};
	static const u8 neighbour[16] = {
		0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff
	};
	static const u8 next_prefix[16] = {
		0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 3, [15] = 1
	};
	int i;

	for (i = 0; i < 5; ++i)
		KUNIT_EXPECT_TRUE(test, allow_from(test, host, true,
						   &init_net, T0));
	KUNIT_EXPECT_FALSE(test, allow_from(test, neighbour, true, &init_net,
					    T0));
	KUNIT_EXPECT_TRUE(test, allow_from(test, next_prefix, true, &init_net,
					   T0));
}

static void families_do_not_share_buckets(struct kunit *test)
{
	/* Its /64 holds the same eight bytes a widened 192.0.2.1 does. */
	static const u8 lookalike[16] = { 192, 0, 2, 1 };
	int i;

	for (i = 0; i < 5; ++i)
		allow4(test, 1, T0);
	KUNIT_EXPECT_FALSE(test, allow4(test, 1, T0));
	KUNIT_EXPECT_TRUE(test, allow_from(test, lookalike, true, &init_net,
					   T0));
}

static void network_namespaces_are_independent(struct kunit *test)
{
	static const u8 addr[4] = { 192, 0, 2, 1 };
	struct net *other;
	int i;

	/* Only its address is used, as the limiter never dereferences it. */
	other = kunit_kzalloc(test, sizeof(*other), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, other);

	for (i = 0; i < 5; ++i)
		allow4(test, 1, T0);
	KUNIT_EXPECT_FALSE(test, allow4(test, 1, T0));
	KUNIT_EXPECT_TRUE(test, allow_from(test, addr, false, other, T0));
}

static void idle_entries_are_collected(struct kunit *test)
{
	struct ratelimiter *rl = test->priv;

	allow4(test, 1, T0);
	allow4(test, 2, T0);
	allow4(test, 3, T0);
	allow4(test, 1, T0 + 600 * MS);
	KUNIT_EXPECT_EQ(test, rl->entries, 3U);

	rl_gc(rl, T0 + SEC, false);
	KUNIT_EXPECT_EQ(test, rl->entries, 3U);
	rl_gc(rl, T0 + SEC + 1, false);
	KUNIT_EXPECT_EQ(test, rl->entries, 1U);
	rl_gc(rl, T0 + 1600 * MS + 1, false);
	KUNIT_EXPECT_EQ(test, rl->entries, 0U);

	allow4(test, 2, T0 + 2 * SEC);
	KUNIT_EXPECT_EQ(test, rl->entries, 1U);
}

static void full_table_refuses_new_sources(struct kunit *test)
{
	struct ratelimiter *rl = test->priv;
	unsigned int i;

	for (i = 0; i < rl->max_entries; ++i)
		KUNIT_EXPECT_TRUE(test, allow4(test, i, T0));
	KUNIT_EXPECT_EQ(test, rl->entries, rl->max_entries);
	KUNIT_EXPECT_FALSE(test, allow4(test, rl->max_entries, T0));
	KUNIT_EXPECT_TRUE(test, allow4(test, 0, T0));

	rl_gc(rl, T0 + 2 * SEC, false);
	KUNIT_EXPECT_TRUE(test, allow4(test, rl->max_entries,
				       T0 + 2 * SEC));
}

static void packets_neither_ipv4_nor_ipv6_are_refused(struct kunit *test)
{
	struct sk_buff *skb;

	skb = alloc_skb(sizeof(struct ipv6hdr), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	skb_reset_network_header(skb);
	skb_put_zero(skb, sizeof(struct ipv6hdr));
	skb->protocol = htons(ETH_P_ARP);
	KUNIT_EXPECT_FALSE(test, rl_allow_skb(test->priv, skb, &init_net, T0));
	kfree_skb(skb);
}

static void shared_limiter_lives_while_referenced(struct kunit *test)
{
	unsigned int before = init_refcount;
	bool limited = false;
	struct sk_buff *skb;
	struct iphdr *ip;
	int i;

	skb = alloc_skb(sizeof(*ip), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	skb_reset_network_header(skb);
	ip = skb_put_zero(skb, sizeof(*ip));
	ip->version = 4;
	ip->ihl = 5;
	ip->saddr = htonl(0xcb007109);	/* 203.0.113.9 */
	skb->protocol = htons(ETH_P_IP);

	KUNIT_ASSERT_EQ(test, wg_ratelimiter_init(), 0);
	KUNIT_ASSERT_EQ(test, wg_ratelimiter_init(), 0);
	KUNIT_EXPECT_EQ(test, init_refcount, before + 2);
	wg_ratelimiter_uninit();

	KUNIT_EXPECT_TRUE(test, wg_ratelimiter_allow(skb, &init_net));
	/* Real time: five pass at once, more inside 250 ms cannot. */
	for (i = 0; i < 10 && !limited; ++i)
		limited = !wg_ratelimiter_allow(skb, &init_net);
	KUNIT_EXPECT_TRUE(test, limited);

	wg_ratelimiter_uninit();
	KUNIT_EXPECT_EQ(test, init_refcount, before);
	if (!before)
		KUNIT_EXPECT_NULL(test, limiter.buckets);
	kfree_skb(skb);
}

static int rl_test_init(struct kunit *test)
{
	struct ratelimiter *rl;
	int ret;

	rl = kunit_kzalloc(test, sizeof(*rl), GFP_KERNEL);
	if (!rl)
		return -ENOMEM;
	ret = rl_setup(rl, 16, 64);
	if (ret)
		return ret;
	test->priv = rl;
	return 0;
}

static void rl_test_exit(struct kunit *test)
{
	rl_teardown(test->priv);
}

static struct kunit_case wg_ratelimiter_cases[] = {
	KUNIT_CASE(burst_of_five_then_refused),
	KUNIT_CASE(steady_rate_is_twenty_per_second),
	KUNIT_CASE(ipv4_sources_are_independent),
	KUNIT_CASE(ipv6_hosts_share_their_slash_64),
	KUNIT_CASE(families_do_not_share_buckets),
	KUNIT_CASE(network_namespaces_are_independent),
	KUNIT_CASE(idle_entries_are_collected),
	KUNIT_CASE(full_table_refuses_new_sources),
	KUNIT_CASE(packets_neither_ipv4_nor_ipv6_are_refused),
	KUNIT_CASE(shared_limiter_lives_while_referenced),
	{}
};

static struct kunit_suite wg_ratelimiter_suite = {
	.name = "wg_ratelimiter",
	.init = rl_test_init,
	.exit = rl_test_exit,
	.test_cases = wg_ratelimiter_cases,
};

kunit_test_suite(wg_ratelimiter_suite);
