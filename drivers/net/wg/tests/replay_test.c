// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite "wg_replay" for the anti-replay window (replay.c).
 *
 * Not built on its own: replay.c includes it at its end when the target
 * kernel has CONFIG_KUNIT, so it sees replay.c's statics; the suite runs
 * when the module is loaded (selftests/vm/kunit.sh collects the results).
 *
 * The rule under test, with next = one past the highest counter accepted
 * so far (0 at first): a counter c is fresh iff
 *	c < limit && next < limit && c + WG_REPLAY_WINDOW >= next
 *	&& c was not accepted before,
 * and accepting it makes next = max(next, c + 1).
 */

#include <kunit/test.h>
#include <linux/prandom.h>
#include <linux/slab.h>

#define RT_WINDOW	((u64)WG_REPLAY_WINDOW)
#define RT_NO_LIMIT	WG_REJECT_AFTER_MESSAGES

static struct wg_replay *rt_new(struct kunit *test)
{
	struct wg_replay *r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, r);
	wg_replay_init(r);
	return r;
}

static bool rt_check(struct wg_replay *r, u64 counter)
{
	return wg_replay_check_and_mark(r, counter, RT_NO_LIMIT);
}

/* Every counter from 0 on, in order: each fresh once, then a duplicate. */
static void replay_in_order(struct kunit *test)
{
	struct wg_replay *r = rt_new(test);
	u64 c;

	for (c = 0; c < 3 * WG_REPLAY_BITS; ++c) {
		KUNIT_ASSERT_TRUE_MSG(test, rt_check(r, c), "counter %llu", c);
		KUNIT_ASSERT_FALSE_MSG(test, rt_check(r, c), "counter %llu again", c);
	}
	/* Anything behind the window is stale even though never seen... */
	KUNIT_EXPECT_FALSE(test, rt_check(r, c - 1 - RT_WINDOW));
	/* ...and a counter that was seen long ago stays rejected. */
	KUNIT_EXPECT_FALSE(test, rt_check(r, 0));
}

/* A high counter first, then everything below it that the window holds, in
 * reverse order, then the same in a shuffled order after a jump.
 */
static void replay_out_of_order_in_window(struct kunit *test)
{
	struct wg_replay *r = rt_new(test);
	const u64 top = 10000;
	u64 c, base, i;

	KUNIT_ASSERT_TRUE(test, rt_check(r, top));
	for (c = top - 1; c + RT_WINDOW >= top + 1; --c)
		KUNIT_ASSERT_TRUE_MSG(test, rt_check(r, c), "counter %llu", c);
	KUNIT_EXPECT_FALSE_MSG(test, rt_check(r, c), "counter %llu: just outside", c);
	for (c = top; c + RT_WINDOW >= top + 1; --c)
		KUNIT_ASSERT_FALSE_MSG(test, rt_check(r, c), "counter %llu again", c);

	/* Jump by more than the ring, then fill the window in a scattered
	 * order (a stride coprime to the window size visits every slot).
	 */
	base = top + 5 * WG_REPLAY_BITS;
	KUNIT_ASSERT_TRUE(test, rt_check(r, base + RT_WINDOW - 1));
	for (i = 0; i < RT_WINDOW - 1; ++i) {
		c = base + (i * 1031) % (RT_WINDOW - 1);
		KUNIT_ASSERT_TRUE_MSG(test, rt_check(r, c), "counter %llu (step %llu)", c, i);
	}
	for (c = base; c < base + RT_WINDOW; ++c)
		KUNIT_ASSERT_FALSE_MSG(test, rt_check(r, c), "counter %llu again", c);
}

/* The exact edge: with next = highest + 1, next - WINDOW is the oldest
 * acceptable counter and next - WINDOW - 1 the newest stale one.
 */
static void replay_window_edge(struct kunit *test)
{
	static const u64 tops[] = {
		RT_WINDOW, RT_WINDOW + 1, WG_REPLAY_BITS - 1,
		WG_REPLAY_BITS, WG_REPLAY_BITS + 63,
		3 * WG_REPLAY_BITS + 17, 1000000, 1ULL << 40,
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(tops); ++i) {
		struct wg_replay *r = rt_new(test);
		u64 next = tops[i] + 1;

		KUNIT_ASSERT_TRUE(test, rt_check(r, tops[i]));
		KUNIT_EXPECT_FALSE_MSG(test, rt_check(r, next - RT_WINDOW - 1),
				       "top %llu: just outside", tops[i]);
		KUNIT_EXPECT_TRUE_MSG(test, rt_check(r, next - 2),
				      "top %llu: just below the top", tops[i]);
		/* Moving the top by one slides the edge by one: the counter
		 * that was the oldest acceptable one (never used) is out.
		 */
		KUNIT_EXPECT_TRUE(test, rt_check(r, next));
		KUNIT_EXPECT_FALSE_MSG(test, rt_check(r, next - RT_WINDOW),
				       "top %llu: slid out", tops[i]);
		KUNIT_EXPECT_TRUE_MSG(test, rt_check(r, next + 1 - RT_WINDOW),
				      "top %llu: oldest in window", tops[i]);
	}
}

/* Duplicates are rejected wherever they fall: at zero, at the top, inside
 * the window, across a large jump, and when the window slides over them.
 */
static void replay_duplicates(struct kunit *test)
{
	struct wg_replay *r = rt_new(test);
	u64 c;

	KUNIT_EXPECT_TRUE(test, rt_check(r, 0));
	KUNIT_EXPECT_FALSE(test, rt_check(r, 0));
	KUNIT_EXPECT_TRUE(test, rt_check(r, 5));
	KUNIT_EXPECT_FALSE(test, rt_check(r, 5));
	KUNIT_EXPECT_TRUE(test, rt_check(r, 3));
	KUNIT_EXPECT_FALSE(test, rt_check(r, 3));
	KUNIT_EXPECT_FALSE(test, rt_check(r, 0));

	/* Each bit of one ring word, in a window that has wrapped. */
	for (c = 10 * WG_REPLAY_BITS; c < 10 * WG_REPLAY_BITS + 64; ++c)
		KUNIT_EXPECT_TRUE_MSG(test, rt_check(r, c), "counter %llu", c);
	for (c = 10 * WG_REPLAY_BITS; c < 10 * WG_REPLAY_BITS + 64; ++c)
		KUNIT_EXPECT_FALSE_MSG(test, rt_check(r, c), "counter %llu again", c);

	/* A jump of exactly the ring size lands on the same slots: they must
	 * have been cleared for the new counters...
	 */
	c = 10 * WG_REPLAY_BITS + WG_REPLAY_BITS;
	KUNIT_EXPECT_TRUE(test, rt_check(r, c + 63));
	for (; c < 11 * WG_REPLAY_BITS + 63; ++c)
		KUNIT_EXPECT_TRUE_MSG(test, rt_check(r, c), "counter %llu after wrap", c);
	/* ...and the old ones are stale now. */
	KUNIT_EXPECT_FALSE(test, rt_check(r, 10 * WG_REPLAY_BITS + 63));
}

/* The limit is exclusive, and once the top reached it nothing is fresh. */
static void replay_limit(struct kunit *test)
{
	const u64 limit = WG_REJECT_AFTER_MESSAGES;
	struct wg_replay *r = rt_new(test);

	KUNIT_EXPECT_FALSE(test, wg_replay_check_and_mark(r, U64_MAX, limit));
	KUNIT_EXPECT_FALSE(test, wg_replay_check_and_mark(r, limit, limit));
	KUNIT_EXPECT_TRUE(test, wg_replay_check_and_mark(r, limit - 2, limit));
	KUNIT_EXPECT_FALSE(test, wg_replay_check_and_mark(r, limit - 2, limit));
	/* In the window, below the limit, never seen: fresh. */
	KUNIT_EXPECT_TRUE(test, wg_replay_check_and_mark(r, limit - 100, limit));
	KUNIT_EXPECT_FALSE(test, wg_replay_check_and_mark(r, limit, limit));
	/* The last acceptable counter. */
	KUNIT_EXPECT_TRUE(test, wg_replay_check_and_mark(r, limit - 1, limit));
	/* Now the window is spent: even unseen in-window counters are not. */
	KUNIT_EXPECT_FALSE(test, wg_replay_check_and_mark(r, limit - 3, limit));
	KUNIT_EXPECT_FALSE(test, wg_replay_check_and_mark(r, limit - 1, limit));
	KUNIT_EXPECT_FALSE(test, wg_replay_check_and_mark(r, limit, limit));

	/* A smaller limit (the caller's to choose) behaves the same. */
	r = rt_new(test);
	KUNIT_EXPECT_TRUE(test, wg_replay_check_and_mark(r, 9, 10));
	KUNIT_EXPECT_FALSE(test, wg_replay_check_and_mark(r, 8, 10));
	KUNIT_EXPECT_FALSE(test, wg_replay_check_and_mark(r, 10, 10));
}

/*
 * A long random sequence against a reference model: an absolute bitmap of
 * accepted counters over [0, RT_SPACE) and the rule in the header comment.
 * The top mostly creeps forward, sometimes jumps (by up to several ring
 * sizes); candidates fall mostly in and around the window, some repeat
 * recent ones.  Fixed seeds keep it reproducible.
 */
#define RT_SPACE	BIT(21)

static u32 rt_rand(struct rnd_state *rs, u32 n)
{
	return prandom_u32_state(rs) % n;
}

static void replay_random_vs_model(struct kunit *test)
{
	static const u64 seeds[] = { 1, 0x5eed, 0xdeadbeefcafe };
	unsigned long *seen;
	unsigned int s;

	seen = kunit_kmalloc_array(test, BITS_TO_LONGS(RT_SPACE),
				   sizeof(unsigned long), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, seen);

	for (s = 0; s < ARRAY_SIZE(seeds); ++s) {
		struct wg_replay *r = rt_new(test);
		/* The last seed runs into a limit halfway. */
		u64 limit = s == ARRAY_SIZE(seeds) - 1 ? RT_SPACE / 2 + 1234 : RT_NO_LIMIT;
		u64 next = 0, top = 0, c, last = 0;
		unsigned long ops = 0, fresh_count = 0;
		struct rnd_state rs;
		bool want, got;

		bitmap_zero(seen, RT_SPACE);
		prandom_seed_state(&rs, seeds[s]);

		/* c < top + 4 rings < RT_SPACE: inside the bitmap. */
		while (top < RT_SPACE - 4 * WG_REPLAY_BITS) {
			u32 dice = rt_rand(&rs, 1000);

			if (dice < 600)		/* in or just beyond the window */
				c = top - min_t(u64, top, rt_rand(&rs, RT_WINDOW + 256));
			else if (dice < 900)	/* the top creeps */
				c = top += rt_rand(&rs, 64);
			else if (dice < 984)	/* an exact repeat */
				c = last;
			else if (dice < 999)	/* a jump within the ring */
				c = top += rt_rand(&rs, WG_REPLAY_BITS);
			else			/* a jump over several rings */
				c = top += rt_rand(&rs, 4 * WG_REPLAY_BITS);

			want = c < limit && next < limit && c + RT_WINDOW >= next &&
			       !test_bit(c, seen);
			got = wg_replay_check_and_mark(r, c, limit);
			if (got != want) {
				KUNIT_FAIL(test,
					   "seed %llu op %lu: counter %llu (next %llu, limit %llu): got %s, model says %s",
					   seeds[s], ops, c, next, limit,
					   got ? "fresh" : "rejected",
					   want ? "fresh" : "rejected");
				return;
			}
			if (want) {
				__set_bit(c, seen);
				next = max(next, c + 1);
				++fresh_count;
			}
			last = c;
			++ops;
		}
		kunit_info(test, "seed %llu: %lu counters, %lu fresh, next %llu",
			   seeds[s], ops, fresh_count, next);
		KUNIT_EXPECT_GT(test, fresh_count, ops / 8);
	}
}

static struct kunit_case replay_test_cases[] = {
	KUNIT_CASE(replay_in_order),
	KUNIT_CASE(replay_out_of_order_in_window),
	KUNIT_CASE(replay_window_edge),
	KUNIT_CASE(replay_duplicates),
	KUNIT_CASE(replay_limit),
	KUNIT_CASE(replay_random_vs_model),
	{}
};

static struct kunit_suite replay_test_suite = {
	.name = "wg_replay",
	.test_cases = replay_test_cases,
};

kunit_test_suite(replay_test_suite);
