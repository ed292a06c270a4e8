// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite "wg_deadline" for the timer rules (deadline.c).
 *
 * Not built on its own: deadline.c includes it at its end when the kernel
 * has CONFIG_KUNIT. Every answer here is worked out by hand from the
 * protocol sheet's "Timers" table and the rules at the top of deadline.c;
 * the clock is fed, nothing waits.
 */

#include <kunit/test.h>

/* An arbitrary boot time to start from: 0 means "never" in struct wg_clock. */
#define DT_T0		(1000 * NSEC_PER_SEC)
#define DT_S(s)		((u64)(s) * NSEC_PER_SEC)
#define DT_MS(ms)	((u64)(ms) * NSEC_PER_MSEC)
#define DT_AT(s)	(DT_T0 + DT_S(s))

struct dt_row {
	const char *name;
	struct wg_clock c;
	u64 now;
	unsigned int due;
	u64 next;
};

static const struct dt_row dt_rows[] = {
	{
		.name = "a peer with no timestamps has nothing to do",
		.now = DT_AT(0),
	},
	{
		.name = "a fresh attempt retries REKEY_TIMEOUT plus jitter after it",
		.c = { .attempt_started = DT_AT(0), .init_sent = DT_AT(0),
		       .jitter_ms = 120 },
		.now = DT_AT(1),
		.next = DT_AT(5) + DT_MS(120),
	},
	{
		.name = "the retry is not due a nanosecond early",
		.c = { .attempt_started = DT_AT(0), .init_sent = DT_AT(0),
		       .jitter_ms = 120 },
		.now = DT_AT(5) + DT_MS(120) - 1,
		.next = DT_AT(5) + DT_MS(120),
	},
	{
		.name = "the retry is due at its deadline",
		.c = { .attempt_started = DT_AT(0), .init_sent = DT_AT(0),
		       .jitter_ms = 120 },
		.now = DT_AT(5) + DT_MS(120),
		.due = WG_DUE_RETRY,
	},
	{
		.name = "the retry counts from the latest try",
		.c = { .attempt_started = DT_AT(0), .init_sent = DT_AT(40) },
		.now = DT_AT(41),
		.next = DT_AT(45),
	},
	{
		.name = "a retry due just before REKEY_ATTEMPT_TIME is sent",
		.c = { .attempt_started = DT_AT(0),
		       .init_sent = DT_AT(85) - 1 },
		.now = DT_AT(90) - 1,
		.due = WG_DUE_RETRY,
	},
	{
		.name = "a retry due at REKEY_ATTEMPT_TIME gives up instead",
		.c = { .attempt_started = DT_AT(0), .init_sent = DT_AT(85) },
		.now = DT_AT(90),
		.due = WG_DUE_GIVE_UP,
	},
	{
		.name = "a retry due past REKEY_ATTEMPT_TIME waits for its deadline",
		.c = { .attempt_started = DT_AT(0), .init_sent = DT_AT(88),
		       .jitter_ms = 333 },
		.now = DT_AT(90),
		.next = DT_AT(93) + DT_MS(333),
	},
	{
		.name = "a retry due past REKEY_ATTEMPT_TIME gives up at it",
		.c = { .attempt_started = DT_AT(0), .init_sent = DT_AT(88),
		       .jitter_ms = 333 },
		.now = DT_AT(93) + DT_MS(333),
		.due = WG_DUE_GIVE_UP,
	},
	{
		.name = "a retry timer that runs late after the attempt time gives up",
		.c = { .attempt_started = DT_AT(0), .init_sent = DT_AT(10) },
		.now = DT_AT(500),
		.due = WG_DUE_GIVE_UP,
	},
	{
		.name = "received data owes a keepalive after KEEPALIVE_TIMEOUT",
		.c = { .unacked_since = DT_AT(0) },
		.now = DT_AT(10) - 1,
		.next = DT_AT(10),
	},
	{
		.name = "the keepalive is due at KEEPALIVE_TIMEOUT",
		.c = { .unacked_since = DT_AT(0) },
		.now = DT_AT(10),
		.due = WG_DUE_KEEPALIVE,
	},
	{
		.name = "unanswered data asks for a handshake after 15 seconds",
		.c = { .unanswered_since = DT_AT(0) },
		.now = DT_AT(3),
		.next = DT_AT(15),
	},
	{
		.name = "the new handshake is due at 15 seconds",
		.c = { .unanswered_since = DT_AT(0) },
		.now = DT_AT(15),
		.due = WG_DUE_NEW_HANDSHAKE,
	},
	{
		.name = "no new handshake while an attempt is running",
		.c = { .unanswered_since = DT_AT(0),
		       .attempt_started = DT_AT(12), .init_sent = DT_AT(12) },
		.now = DT_AT(15),
		.next = DT_AT(17),
	},
	{
		.name = "keys are zeroed three REJECT_AFTER_TIMEs after the last session",
		.c = { .session_born = DT_AT(0) },
		.now = DT_AT(539),
		.next = DT_AT(540),
	},
	{
		.name = "the zeroing is due at 540 seconds",
		.c = { .session_born = DT_AT(0) },
		.now = DT_AT(540),
		.due = WG_DUE_ZERO_KEYS,
	},
	{
		.name = "persistent keepalive waits its interval after the last traffic",
		.c = { .persistent_keepalive = 25, .last_traffic = DT_AT(0) },
		.now = DT_AT(24),
		.next = DT_AT(25),
	},
	{
		.name = "persistent keepalive is due after its interval",
		.c = { .persistent_keepalive = 25, .last_traffic = DT_AT(0) },
		.now = DT_AT(25),
		.due = WG_DUE_PERSISTENT,
	},
	{
		.name = "persistent keepalive off sends nothing",
		.c = { .persistent_keepalive = 0, .last_traffic = DT_AT(0) },
		.now = DT_AT(1000),
	},
	{
		.name = "persistent keepalive waits for the first traffic or seed",
		.c = { .persistent_keepalive = 25 },
		.now = DT_AT(1000),
	},
	{
		.name = "the largest interval is 65535 seconds",
		.c = { .persistent_keepalive = 65535, .last_traffic = DT_AT(0) },
		.now = DT_AT(1),
		.next = DT_AT(65535),
	},
	{
		.name = "next is the earliest of several pending deadlines",
		.c = { .unanswered_since = DT_AT(3), .unacked_since = DT_AT(0),
		       .session_born = DT_AT(0), .persistent_keepalive = 25,
		       .last_traffic = DT_AT(2) },
		.now = DT_AT(1),
		.next = DT_AT(10),
	},
	{
		.name = "several due at once come together, the rest give next",
		.c = { .unacked_since = DT_AT(0), .session_born = DT_AT(0),
		       .persistent_keepalive = 10, .last_traffic = DT_AT(0),
		       .unanswered_since = DT_AT(1) },
		.now = DT_AT(10),
		.due = WG_DUE_KEEPALIVE | WG_DUE_PERSISTENT,
		.next = DT_AT(16),
	},
	{
		.name = "a retry and a keepalive due together",
		.c = { .attempt_started = DT_AT(0), .init_sent = DT_AT(5),
		       .unacked_since = DT_AT(0), .session_born = DT_AT(0) },
		.now = DT_AT(10),
		.due = WG_DUE_RETRY | WG_DUE_KEEPALIVE,
		.next = DT_AT(540),
	},
	{
		.name = "everything overdue after a long suspend",
		.c = { .attempt_started = DT_AT(0), .init_sent = DT_AT(0),
		       .unacked_since = DT_AT(0), .session_born = DT_AT(0),
		       .persistent_keepalive = 25, .last_traffic = DT_AT(0) },
		.now = DT_AT(100000),
		.due = WG_DUE_GIVE_UP | WG_DUE_KEEPALIVE | WG_DUE_ZERO_KEYS |
		       WG_DUE_PERSISTENT,
	},
	{
		.name = "deadlines past 2^64 ns never come",
		.c = { .attempt_started = U64_MAX - DT_S(1),
		       .init_sent = U64_MAX - DT_S(1), .jitter_ms = U32_MAX,
		       .session_born = U64_MAX - DT_S(1),
		       .persistent_keepalive = 65535,
		       .last_traffic = U64_MAX - DT_S(1) },
		.now = U64_MAX - 1,
	},
	{
		.name = "a near deadline still shows beside overflowing ones",
		.c = { .unacked_since = U64_MAX - DT_S(20),
		       .session_born = U64_MAX - DT_S(20) },
		.now = U64_MAX - DT_S(15),
		.next = U64_MAX - DT_S(10),
	},
};

KUNIT_ARRAY_PARAM_DESC(dt_rows, dt_rows, name);

/* One row of the table: the due actions and the next deadline. */
static void deadline_table_rows_give_their_actions_and_next(struct kunit *test)
{
	const struct dt_row *row = test->param_value;
	unsigned int due;
	u64 next = 12345;

	due = wg_deadline_due(&row->c, row->now, &next);
	KUNIT_EXPECT_EQ_MSG(test, due, row->due, "%s", row->name);
	KUNIT_EXPECT_EQ_MSG(test, next, row->next, "%s", row->name);
}

/*
 * A caller on a fed clock, with an initiation nobody answers: it jumps to
 * each next deadline and does what is due. The initiation is retried every
 * REKEY_TIMEOUT (plus a jitter that changes each time) until
 * REKEY_ATTEMPT_TIME has passed, then given up, and then nothing is left.
 */
static void deadline_unanswered_attempt_retries_then_gives_up(struct kunit *test)
{
	struct wg_clock c = {
		.attempt_started = DT_AT(0), .init_sent = DT_AT(0),
		.jitter_ms = 0,
	};
	unsigned int due, retries = 0;
	u64 now = DT_AT(0), next;
	bool both;

	for (;;) {
		due = wg_deadline_due(&c, now, &next);
		both = (due & WG_DUE_RETRY) && (due & WG_DUE_GIVE_UP);
		KUNIT_ASSERT_FALSE(test, both);
		if (due & WG_DUE_GIVE_UP)
			break;
		if (due & WG_DUE_RETRY) {
			retries++;
			c.init_sent = now;
			c.jitter_ms = (retries * 37) % WG_REKEY_JITTER_MS;
			continue;
		}
		KUNIT_ASSERT_NE(test, next, 0);
		KUNIT_ASSERT_GT(test, next, now);
		now = next;
	}
	/* 17 retries leave within the first 90 s (jitter < 1/3 s each). */
	KUNIT_EXPECT_EQ(test, retries, 17);
	KUNIT_EXPECT_GE(test, now, DT_AT(WG_REKEY_ATTEMPT_TIME));
	KUNIT_EXPECT_LT(test, now, DT_AT(WG_REKEY_ATTEMPT_TIME + WG_REKEY_TIMEOUT + 1));

	c.attempt_started = 0;
	c.init_sent = 0;
	KUNIT_EXPECT_EQ(test, wg_deadline_due(&c, now, &next), 0);
	KUNIT_EXPECT_EQ(test, next, 0);
}

/* The same caller with persistent keepalive: one keepalive per interval. */
static void deadline_persistent_keepalive_repeats_each_interval(struct kunit *test)
{
	struct wg_clock c = {
		.persistent_keepalive = 7, .last_traffic = DT_AT(0),
	};
	u64 now = DT_AT(0), next;
	unsigned int i;

	for (i = 1; i <= 10; ++i) {
		KUNIT_ASSERT_EQ(test, wg_deadline_due(&c, now, &next), 0);
		KUNIT_ASSERT_EQ(test, next, DT_AT(7 * i));
		now = next;
		KUNIT_ASSERT_EQ(test, wg_deadline_due(&c, now, &next),
				WG_DUE_PERSISTENT);
		c.last_traffic = now;
	}
}

static struct kunit_case deadline_cases[] = {
	KUNIT_CASE_PARAM(deadline_table_rows_give_their_actions_and_next,
			 dt_rows_gen_params),
	KUNIT_CASE(deadline_unanswered_attempt_retries_then_gives_up),
	KUNIT_CASE(deadline_persistent_keepalive_repeats_each_interval),
	{}
};

static struct kunit_suite deadline_suite = {
	.name = "wg_deadline",
	.test_cases = deadline_cases,
};

kunit_test_suite(deadline_suite);
