// SPDX-License-Identifier: GPL-2.0
/*
 * The timer rules of the protocol sheet ("Timers") as one pure function of
 * a peer's timestamps (struct wg_clock) and the time now. Each rule gives
 * a deadline, or none; a deadline at or before now is due, the earliest
 * one after now is where the peer's timer goes next.
 *
 *  retry / give up   a handshake attempt is running: at init_sent +
 *                    REKEY_TIMEOUT + jitter, send the initiation again;
 *                    but if REKEY_ATTEMPT_TIME has passed since
 *                    attempt_started by then, give up instead. So no
 *                    initiation leaves later than that, not even after a
 *                    suspend that made the timer late.
 *  keepalive         unacked_since + KEEPALIVE_TIMEOUT.
 *  new handshake     unanswered_since + KEEPALIVE_TIMEOUT + REKEY_TIMEOUT,
 *                    unless an attempt is already running: that attempt
 *                    is the new handshake, and its own rule retries it.
 *  zero keys         session_born + 3 * REJECT_AFTER_TIME.
 *  persistent        last_traffic + persistent_keepalive, when both are
 *                    set. A peer with no traffic ever (last_traffic 0) has
 *                    nothing to keep alive and is left alone: whoever
 *                    turns persistent keepalive on for a device that is up
 *                    and has a private key seeds last_traffic (with now,
 *                    having sent a first keepalive at once if it wants
 *                    the path opened without waiting an interval).
 *
 * Times are u64 nanoseconds; a sum that does not fit in 64 bits is a
 * deadline that never comes.
 */

#include "deadline.h"
#include "wire.h"

#include <linux/minmax.h>
#include <linux/overflow.h>
#include <linux/time64.h>

#define NEVER	U64_MAX

/* Pending verdicts of one evaluation. */
struct tally {
	u64 now;
	u64 next;
	unsigned int due;
};

static u64 later(u64 t, u64 ns)
{
	u64 sum;

	return check_add_overflow(t, ns, &sum) ? NEVER : sum;
}

static u64 secs(u64 s)
{
	return s * NSEC_PER_SEC;
}

/* One rule: @action is due at @deadline (0: the rule does not apply). */
static void rule(struct tally *t, u64 deadline, unsigned int action)
{
	if (!deadline || deadline == NEVER)
		return;
	if (deadline <= t->now)
		t->due |= action;
	else if (!t->next || deadline < t->next)
		t->next = deadline;
}

unsigned int wg_deadline_due(const struct wg_clock *c, u64 now, u64 *next)
{
	struct tally t = { .now = now };

	if (c->attempt_started) {
		u64 tried = max(c->attempt_started, c->init_sent);
		u64 retry = later(later(tried, secs(WG_REKEY_TIMEOUT)),
				  (u64)c->jitter_ms * NSEC_PER_MSEC);
		u64 give_up = later(c->attempt_started,
				    secs(WG_REKEY_ATTEMPT_TIME));

		/* Due means now >= retry: now alone decides which verdict. */
		rule(&t, retry, now >= give_up ? WG_DUE_GIVE_UP : WG_DUE_RETRY);
	} else if (c->unanswered_since) {
		rule(&t, later(c->unanswered_since,
			       secs(WG_KEEPALIVE_TIMEOUT + WG_REKEY_TIMEOUT)),
		     WG_DUE_NEW_HANDSHAKE);
	}
	if (c->unacked_since)
		rule(&t, later(c->unacked_since, secs(WG_KEEPALIVE_TIMEOUT)),
		     WG_DUE_KEEPALIVE);
	if (c->session_born)
		rule(&t, later(c->session_born, secs(WG_ZERO_KEYS_AFTER)),
		     WG_DUE_ZERO_KEYS);
	if (c->persistent_keepalive && c->last_traffic)
		rule(&t, later(c->last_traffic, secs(c->persistent_keepalive)),
		     WG_DUE_PERSISTENT);

	*next = t.next;
	return t.due;
}

#if IS_ENABLED(CONFIG_KUNIT)
#include "tests/deadline_test.c"
#endif
