// SPDX-License-Identifier: GPL-2.0
/*
 * A peer's one timer (timers.h). The rules are deadline.c's; this file
 * keeps the clock they read, arms the timer for the earliest deadline and
 * carries out what is due when it fires.
 *
 * The clock's fields are written without a lock by whoever saw the event
 * (the send and receive stages, the handshake worker): each is a single
 * word, and a race between two of them can at worst move a deadline by
 * the length of the race. The timer is only brought forward (timer_reduce),
 * never pushed back, so no deadline is lost to a race; a deadline that no
 * longer holds makes the timer fire, find nothing due, and sleep again.
 */

#include <linux/jiffies.h>
#include <linux/random.h>
#include <linux/timer.h>

#include "timers.h"
#include "deadline.h"
#include "device.h"
#include "events.h"
#include "handshake.h"
#include "peer.h"
#include "tx.h"
#include "compat.h"

static u64 now_ns(void)
{
	return ktime_get_coarse_boottime_ns();
}

/* Brings the timer forward to @deadline (ns) if that is earlier. */
static void arm(struct wg_peer *peer, u64 deadline, u64 now)
{
	unsigned long expires;

	if (!deadline || test_bit(WG_PEER_DEAD, &peer->flags))
		return;
	expires = jiffies + 1;
	if (deadline > now)
		expires += nsecs_to_jiffies(deadline - now);
	timer_reduce(&peer->timer, expires);
}

/* Re-evaluates the rules and brings the timer forward if needed. */
static void rearm(struct wg_peer *peer, u64 now)
{
	u64 next = 0;

	if (wg_deadline_due(&peer->clock, now, &next))
		arm(peer, now, now);
	else
		arm(peer, next, now);
}

static void expired(struct timer_list *timer)
{
	struct wg_peer *peer = timer_container_of(peer, timer, timer);
	struct wg_clock *c = &peer->clock;
	unsigned int due;
	u64 now, next = 0;

	if (test_bit(WG_PEER_DEAD, &peer->flags) ||
	    !netif_running(peer->wg->dev))
		return;
	now = now_ns();
	due = wg_deadline_due(c, now, &next);

	rcu_read_lock_bh();
	if (due & WG_DUE_GIVE_UP) {
		WRITE_ONCE(c->attempt_started, 0);
		WRITE_ONCE(c->init_sent, 0);
		wg_handshake_abandon(peer);
		wg_tx_purge_staged(peer);
		wg_peer_count(peer, WG_PC_HS_FAILED, 1);
		wg_event_handshake_given_up(peer);
	}
	if (due & WG_DUE_RETRY) {
		/* Perhaps our address changed: let routing choose again. */
		wg_peer_clear_src(peer);
		wg_handshake_want(peer, true);
	}
	if (due & WG_DUE_NEW_HANDSHAKE) {
		WRITE_ONCE(c->unanswered_since, 0);
		wg_peer_clear_src(peer);
		wg_handshake_want(peer, false);
	}
	if (due & WG_DUE_ZERO_KEYS) {
		WRITE_ONCE(c->session_born, 0);
		wg_peer_retire_live(peer);
		wg_event_keys_zeroed(peer);
	}
	if (due & (WG_DUE_KEEPALIVE | WG_DUE_PERSISTENT)) {
		/* Whatever is sent clears unacked_since and moves last_traffic. */
		WRITE_ONCE(c->unacked_since, 0);
		if (due & WG_DUE_PERSISTENT)
			WRITE_ONCE(c->last_traffic, now);
		wg_tx_keepalive(peer);
	}
	rcu_read_unlock_bh();

	/*
	 * The actions moved the clock: what comes next follows from it. A
	 * retry that could not leave (no key, no endpoint) stays due: look
	 * again in a second rather than spin.
	 */
	if (!wg_deadline_due(c, now, &next))
		arm(peer, next, now);
	else
		arm(peer, now + NSEC_PER_SEC, now);
}

void wg_timer_init(struct wg_peer *peer)
{
	timer_setup(&peer->timer, expired, 0);
}

void wg_timer_stop(struct wg_peer *peer)
{
	timer_delete_sync(&peer->timer);
}

void wg_timers_sent(struct wg_peer *peer, bool data, u64 now)
{
	struct wg_clock *c = &peer->clock;

	WRITE_ONCE(c->last_traffic, now);
	if (READ_ONCE(c->unacked_since))
		WRITE_ONCE(c->unacked_since, 0);
	if (data && !READ_ONCE(c->unanswered_since)) {
		WRITE_ONCE(c->unanswered_since, now);
		arm(peer, now + (u64)(WG_KEEPALIVE_TIMEOUT + WG_REKEY_TIMEOUT) *
			  NSEC_PER_SEC, now);
	}
	if (READ_ONCE(c->persistent_keepalive))
		arm(peer, now + (u64)READ_ONCE(c->persistent_keepalive) *
			  NSEC_PER_SEC, now);
}

void wg_timers_received(struct wg_peer *peer, bool data, u64 now)
{
	struct wg_clock *c = &peer->clock;

	WRITE_ONCE(c->last_traffic, now);
	if (READ_ONCE(c->unanswered_since))
		WRITE_ONCE(c->unanswered_since, 0);
	if (data && !READ_ONCE(c->unacked_since)) {
		WRITE_ONCE(c->unacked_since, now);
		arm(peer, now + (u64)WG_KEEPALIVE_TIMEOUT * NSEC_PER_SEC, now);
	}
}

void wg_timers_init_sent(struct wg_peer *peer, bool retry, u64 now)
{
	struct wg_clock *c = &peer->clock;
	u32 jitter = get_random_u32_below(WG_REKEY_JITTER_MS);

	if (!retry || !READ_ONCE(c->attempt_started))
		WRITE_ONCE(c->attempt_started, now);
	WRITE_ONCE(c->jitter_ms, jitter);
	WRITE_ONCE(c->init_sent, now);
	arm(peer, now + (u64)WG_REKEY_TIMEOUT * NSEC_PER_SEC +
		  (u64)jitter * NSEC_PER_MSEC, now);
}

void wg_timers_handshake_done(struct wg_peer *peer, u64 now)
{
	struct wg_clock *c = &peer->clock;

	WRITE_ONCE(c->attempt_started, 0);
	WRITE_ONCE(c->init_sent, 0);
	WRITE_ONCE(c->session_born, now);
	arm(peer, now + (u64)WG_ZERO_KEYS_AFTER * NSEC_PER_SEC, now);
}

void wg_timers_reset(struct wg_peer *peer)
{
	struct wg_clock *c = &peer->clock;
	u16 keepalive = READ_ONCE(c->persistent_keepalive);

	timer_delete(&peer->timer);
	memset(c, 0, sizeof(*c));
	WRITE_ONCE(c->persistent_keepalive, keepalive);
}

void wg_timers_kick(struct wg_peer *peer)
{
	rearm(peer, now_ns());
}
