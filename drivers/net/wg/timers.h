/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A peer's one timer (timers.c). The data path reports what happened by
 * writing the peer's clock (deadline.h) through these; a report that makes
 * a deadline earlier than the armed one brings the timer forward, any
 * other changes nothing in the timer. When it fires, the timer does what
 * is due and arms itself for what comes next.
 *
 * Callers are inside an RCU read-side section (or hold conf_lock), so
 * that a peer being removed is never armed again after wg_peers_reap()'s
 * grace period.
 */
#ifndef _WG_TIMERS_H
#define _WG_TIMERS_H

#include <linux/types.h>

struct wg_peer;

void wg_timer_init(struct wg_peer *peer);
/* Final once the peer is dead and a grace period has passed. */
void wg_timer_stop(struct wg_peer *peer);

/* Authenticated messages left for the peer (@data: not only keepalives). */
void wg_timers_sent(struct wg_peer *peer, bool data, u64 now);
/* Authenticated messages came from the peer. */
void wg_timers_received(struct wg_peer *peer, bool data, u64 now);
/* An initiation left: the first of an attempt, or a retry. */
void wg_timers_init_sent(struct wg_peer *peer, bool retry, u64 now);
/* A handshake completed and derived a session, in either role. */
void wg_timers_handshake_done(struct wg_peer *peer, u64 now);
/* Forget everything but the configured keepalive (device down, new key). */
void wg_timers_reset(struct wg_peer *peer);
/* Re-evaluate at once (configuration changed). */
void wg_timers_kick(struct wg_peer *peer);

#endif /* _WG_TIMERS_H */
