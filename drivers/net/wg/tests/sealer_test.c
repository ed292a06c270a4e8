// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite "wg_sealer": where a peer's bursts are sealed (sealer.c).
 *
 * Not built on its own: sealer.c includes it at its end when the kernel
 * has CONFIG_KUNIT. The ticks are fed and the CPUs online are a mask of
 * the test's own ({0, 1}, or {0} for CPU 1 gone), so the answers do not
 * depend on the machine beyond having two possible CPUs.
 */

#include <kunit/test.h>
#include <linux/slab.h>

#define SL_T0		1000UL
#define SL_HERE		0u	/* a burst's sender, CPU 0 ... */
#define SL_NEXT		1u	/* ... and the CPU after it */

/* The mask {0, 1}, or {0} if !@with_1. Skips on a one-CPU kernel. */
static const struct cpumask *sl_online(struct kunit *test, bool with_1)
{
	struct cpumask *m;

	if (nr_cpu_ids < 2)
		kunit_skip(test, "needs two possible CPUs, have %u", nr_cpu_ids);
	m = kunit_kzalloc(test, cpumask_size(), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, m);
	cpumask_set_cpu(0, m);
	if (with_1)
		cpumask_set_cpu(1, m);
	return m;
}

/* One lone, small burst from @here at @now. */
static unsigned int sl_lone(struct wg_sealer *s, unsigned long now,
			    unsigned int here, const struct cpumask *on)
{
	return wg_sealer_pick(s, now, here, true, false, on);
}

static void sealer_few_lone_packets_are_sealed_by_their_sender(struct kunit *test)
{
	const struct cpumask *on = sl_online(test, true);
	struct wg_sealer s;
	unsigned long t;
	unsigned int i;

	wg_sealer_init(&s, SL_T0);
	for (t = SL_T0; t < SL_T0 + 3 * HZ; t += 7)
		for (i = 0; i < WG_INLINE_PER_TICK; ++i)
			KUNIT_ASSERT_EQ(test, sl_lone(&s, t, SL_HERE, on),
					nr_cpu_ids);
	KUNIT_EXPECT_EQ(test, s.cpu, nr_cpu_ids);
}

static void sealer_a_streaming_peer_goes_to_the_next_cpu(struct kunit *test)
{
	const struct cpumask *on = sl_online(test, true);
	struct wg_sealer s;
	unsigned int i;

	wg_sealer_init(&s, SL_T0);
	for (i = 0; i < WG_INLINE_PER_TICK; ++i)
		KUNIT_ASSERT_EQ(test, sl_lone(&s, SL_T0, SL_HERE, on), nr_cpu_ids);
	/* One more in the same tick: the peer streams. */
	KUNIT_EXPECT_EQ(test, sl_lone(&s, SL_T0, SL_HERE, on), SL_NEXT);
	/* The next tick's first packet too: a burst was handed out in the last. */
	KUNIT_EXPECT_EQ(test, sl_lone(&s, SL_T0 + 1, SL_HERE, on), SL_NEXT);
	/* A tick without hand-off in between: sealed where it stands, on the sealer's CPU. */
	KUNIT_EXPECT_EQ(test, sl_lone(&s, SL_T0 + 3, SL_NEXT, on), nr_cpu_ids);
	/* The sealer is kept for the next stream. */
	KUNIT_EXPECT_EQ(test, s.cpu, SL_NEXT);
}

static void sealer_another_cpu_seals_only_after_a_rest(struct kunit *test)
{
	const struct cpumask *on = sl_online(test, true);
	struct wg_sealer s;

	wg_sealer_init(&s, SL_T0);
	KUNIT_ASSERT_EQ(test, wg_sealer_pick(&s, SL_T0, SL_HERE, true, true, on),
			SL_NEXT);
	/*
	 * Lone packets from the first CPU, with no hand-off for ticks: the
	 * sealer's last bursts may still be opened at the receiver, so they
	 * follow them there.
	 */
	KUNIT_EXPECT_EQ(test, sl_lone(&s, SL_T0 + 3, SL_HERE, on), SL_NEXT);
	KUNIT_EXPECT_EQ(test, sl_lone(&s, SL_T0 + 3 + WG_SEALER_REST, SL_HERE, on),
			SL_NEXT);
	/* A second's rest after the last of them: sealed where they stand. */
	KUNIT_EXPECT_EQ(test,
			sl_lone(&s, SL_T0 + 4 + 2 * WG_SEALER_REST, SL_HERE, on),
			nr_cpu_ids);
	KUNIT_EXPECT_EQ(test, s.cpu, SL_NEXT);
}

static void sealer_gso_and_queued_bursts_go_to_the_sealer(struct kunit *test)
{
	const struct cpumask *on = sl_online(test, true);
	struct wg_sealer s;

	wg_sealer_init(&s, SL_T0);
	KUNIT_EXPECT_EQ(test, wg_sealer_pick(&s, SL_T0, SL_HERE, true, true, on),
			SL_NEXT);
	wg_sealer_init(&s, SL_T0);
	KUNIT_EXPECT_EQ(test, wg_sealer_pick(&s, SL_T0, SL_HERE, false, false, on),
			SL_NEXT);
	/* Chosen by the first sender, kept for a second one. */
	KUNIT_EXPECT_EQ(test, wg_sealer_pick(&s, SL_T0, SL_NEXT, true, true, on),
			SL_NEXT);
}

static void sealer_stays_while_the_peer_streams(struct kunit *test)
{
	const struct cpumask *on = sl_online(test, true);
	struct wg_sealer s;
	unsigned long t;

	wg_sealer_init(&s, SL_T0);
	KUNIT_ASSERT_EQ(test, wg_sealer_pick(&s, SL_T0, SL_HERE, true, true, on),
			SL_NEXT);
	/*
	 * The sender now runs on the sealer's CPU, and sends a GSO burst a
	 * tick: its earlier bursts may still be on their way from there.
	 */
	for (t = SL_T0 + 1; t < SL_T0 + 3 * HZ; ++t)
		KUNIT_ASSERT_EQ(test, wg_sealer_pick(&s, t, SL_NEXT, true, true, on),
				SL_NEXT);
	/* And with a burst every WG_SEALER_REST, the longest gap that keeps it. */
	for (t += WG_SEALER_REST - 1; t < SL_T0 + 10 * HZ; t += WG_SEALER_REST)
		KUNIT_ASSERT_EQ(test, wg_sealer_pick(&s, t, SL_NEXT, true, true, on),
				SL_NEXT);
}

static void sealer_moves_after_a_rest_off_the_senders_cpu(struct kunit *test)
{
	const struct cpumask *on = sl_online(test, true);
	unsigned long t = SL_T0 + 1 + WG_SEALER_REST;
	struct wg_sealer s;

	wg_sealer_init(&s, SL_T0);
	KUNIT_ASSERT_EQ(test, wg_sealer_pick(&s, SL_T0, SL_HERE, true, true, on),
			SL_NEXT);
	/* Rested, but other bursts are queued: they keep it. */
	KUNIT_EXPECT_EQ(test, wg_sealer_pick(&s, t, SL_NEXT, false, true, on),
			SL_NEXT);
	/* Rested, alone, from the sealer's CPU: it moves to the next one. */
	t += 1 + WG_SEALER_REST;
	KUNIT_EXPECT_EQ(test, wg_sealer_pick(&s, t, SL_NEXT, true, true, on),
			SL_HERE);
	/* Rested, alone, from another CPU: it stays. */
	t += 1 + WG_SEALER_REST;
	KUNIT_EXPECT_EQ(test, wg_sealer_pick(&s, t, SL_NEXT, true, true, on),
			SL_HERE);
}

static void sealer_moves_off_a_cpu_its_sender_crowds(struct kunit *test)
{
	const struct cpumask *on = sl_online(test, true);
	struct wg_sealer s;
	unsigned int i;

	wg_sealer_init(&s, SL_T0);
	KUNIT_ASSERT_EQ(test, wg_sealer_pick(&s, SL_T0, SL_HERE, false, false, on),
			SL_NEXT);
	/* The sender now streams small packets from the sealer's own CPU. */
	for (i = 1; i < WG_SEALER_CROWDED; ++i)
		KUNIT_ASSERT_EQ(test, wg_sealer_pick(&s, SL_T0, SL_NEXT, false,
						     false, on), SL_NEXT);
	/* Crowded: the sealer moves to the CPU after the sender's. */
	KUNIT_EXPECT_EQ(test, wg_sealer_pick(&s, SL_T0, SL_NEXT, false, false, on),
			SL_HERE);
	KUNIT_EXPECT_EQ(test, s.cpu, SL_HERE);
	/* A GSO burst in between starts the count again. */
	for (i = 1; i < WG_SEALER_CROWDED; ++i)
		KUNIT_ASSERT_EQ(test, wg_sealer_pick(&s, SL_T0 + 1, SL_HERE, false,
						     false, on), SL_HERE);
	KUNIT_EXPECT_EQ(test, wg_sealer_pick(&s, SL_T0 + 1, SL_HERE, false, true, on),
			SL_HERE);
	for (i = 1; i < WG_SEALER_CROWDED; ++i)
		KUNIT_ASSERT_EQ(test, wg_sealer_pick(&s, SL_T0 + 1, SL_HERE, false,
						     false, on), SL_HERE);
	KUNIT_EXPECT_EQ(test, s.cpu, SL_HERE);
}

static void sealer_leaves_a_cpu_gone_offline(struct kunit *test)
{
	const struct cpumask *on = sl_online(test, true);
	const struct cpumask *only_0 = sl_online(test, false);
	struct wg_sealer s;

	wg_sealer_init(&s, SL_T0);
	KUNIT_ASSERT_EQ(test, wg_sealer_pick(&s, SL_T0, SL_HERE, false, true, on),
			SL_NEXT);
	/* CPU 1 is gone in the next tick: the next CPU after 0 is 0 again. */
	KUNIT_EXPECT_EQ(test, wg_sealer_pick(&s, SL_T0 + 1, SL_HERE, false, true,
					     only_0), SL_HERE);
	KUNIT_EXPECT_EQ(test, s.cpu, SL_HERE);
}

static void sealer_counts_ticks_across_the_jiffies_wrap(struct kunit *test)
{
	const struct cpumask *on = sl_online(test, true);
	struct wg_sealer s;

	wg_sealer_init(&s, ULONG_MAX - 5);
	KUNIT_ASSERT_EQ(test, wg_sealer_pick(&s, ULONG_MAX, SL_HERE, true, true,
					     on), SL_NEXT);
	/* 0 follows ULONG_MAX: a burst was handed out in the last tick. */
	KUNIT_EXPECT_EQ(test, sl_lone(&s, 0, SL_HERE, on), SL_NEXT);
	KUNIT_EXPECT_EQ(test, sl_lone(&s, 2, SL_NEXT, on), nr_cpu_ids);
	/* A fresh sealer just after the wrap has no recent hand-off either. */
	wg_sealer_init(&s, 1);
	KUNIT_EXPECT_EQ(test, sl_lone(&s, 1, SL_HERE, on), nr_cpu_ids);
}

static struct kunit_case sealer_cases[] = {
	KUNIT_CASE(sealer_few_lone_packets_are_sealed_by_their_sender),
	KUNIT_CASE(sealer_a_streaming_peer_goes_to_the_next_cpu),
	KUNIT_CASE(sealer_another_cpu_seals_only_after_a_rest),
	KUNIT_CASE(sealer_gso_and_queued_bursts_go_to_the_sealer),
	KUNIT_CASE(sealer_stays_while_the_peer_streams),
	KUNIT_CASE(sealer_moves_after_a_rest_off_the_senders_cpu),
	KUNIT_CASE(sealer_moves_off_a_cpu_its_sender_crowds),
	KUNIT_CASE(sealer_leaves_a_cpu_gone_offline),
	KUNIT_CASE(sealer_counts_ticks_across_the_jiffies_wrap),
	{}
};

static struct kunit_suite sealer_suite = {
	.name = "wg_sealer",
	.test_cases = sealer_cases,
};

kunit_test_suite(sealer_suite);
