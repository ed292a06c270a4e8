/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Events about peers on the family's "peers" multicast group (uapi:
 * enum wg_notification, enum wgevent_attribute), for routers, exporters
 * and mesh daemons that would otherwise poll `wg show dump`.
 *
 * Each function below builds and sends one event only while someone
 * listens to the group (genl_has_listeners(), a bit test); otherwise it
 * returns at once. Only sockets with CAP_NET_ADMIN in the device's
 * network namespace can join the group (GENL_MCAST_CAP_NET_ADMIN, which
 * Debian's 6.1 has too), and events go only to the device's namespace.
 *
 * The events the data path causes are rate-limited per peer (a burst of
 * WG_EVENT_BURST, then one per WG_EVENT_INTERVAL); the next one sent says
 * how many were left out (WGEVENT_A_MISSED). Configuration events are
 * not limited: they are as many as the SETs that cause them.
 *
 * Where the core calls them (all take a peer it holds: a reference or
 * conf_lock or, in the data path, the RCU section it found it in):
 *
 *  wg_event_handshake_done(peer)
 *	handshake.c, the handshake worker (process context), right after a
 *	completed handshake installed its session (either role), after
 *	peer->last_handshake_wall and the endpoint are updated.
 *  wg_event_endpoint_changed(peer, was, now)
 *	rx.c, where an authenticated data or handshake message from another
 *	source changes the peer's endpoint (softirq): when
 *	wg_peer_set_endpoint() returned true, with the endpoint it replaced
 *	(its @was) as @was and the one set as @now, where
 *	peer->last_roam_wall is set. Not for changes from a SET. A change
 *	of our local address alone (the same remote address and port) is
 *	no roam and sends nothing.
 *  wg_event_handshake_given_up(peer)
 *	timers.c, in the peer's timer (softirq), where WG_DUE_GIVE_UP is
 *	acted on (the attempt given up after WG_REKEY_ATTEMPT_TIME, with
 *	WG_PC_HS_FAILED counted).
 *  wg_event_keys_zeroed(peer)
 *	timers.c, in the peer's timer (softirq), where WG_DUE_ZERO_KEYS is
 *	acted on and the peer had a session or handshake to wipe (not for
 *	an idle peer that had nothing).
 *  wg_event_peer_added/changed/removed(peer)
 *	netlink.c only (process context, under conf_lock).
 *
 * All of them may be called from process or softirq context, with BHs
 * disabled or not, but not under a spinlock held in process context with
 * BHs enabled that softirq code also takes (they take none themselves and
 * allocate with GFP_ATOMIC).
 */
#ifndef _WG_EVENTS_H
#define _WG_EVENTS_H

#include <linux/atomic.h>
#include <linux/types.h>

struct wg_peer;
struct wg_endpoint;

/* Events of the data path a peer may send at once, then one a second. */
#define WG_EVENT_BURST		8
#define WG_EVENT_INTERVAL	HZ

/*
 * In struct wg_peer (16 bytes); all zeros at creation is the initial
 * state. Lock-free: the bucket changes by cmpxchg.
 */
struct wg_peer_events {
	atomic64_t bucket;	/* see events.c */
	atomic_t sent;		/* events built about this peer */
	atomic_t suppressed;	/* left out by the rate limit */
};

void wg_event_handshake_done(struct wg_peer *peer);
void wg_event_endpoint_changed(struct wg_peer *peer,
			       const struct wg_endpoint *was,
			       const struct wg_endpoint *now);
void wg_event_handshake_given_up(struct wg_peer *peer);
void wg_event_keys_zeroed(struct wg_peer *peer);

void wg_event_peer_added(struct wg_peer *peer);
void wg_event_peer_changed(struct wg_peer *peer);
void wg_event_peer_removed(struct wg_peer *peer);

#endif /* _WG_EVENTS_H */
