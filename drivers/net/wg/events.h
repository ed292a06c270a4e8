/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Placeholder for the events of the "peers" multicast group: the calls the
 * core makes, as no-ops until the family's events are in (issue 10).
 */
#ifndef _WG_EVENTS_H
#define _WG_EVENTS_H

struct wg_peer;
struct wg_endpoint;

static inline void wg_event_endpoint_changed(struct wg_peer *peer,
					     const struct wg_endpoint *was,
					     const struct wg_endpoint *now)
{
}

static inline void wg_event_handshake_done(struct wg_peer *peer)
{
}

static inline void wg_event_handshake_given_up(struct wg_peer *peer)
{
}

static inline void wg_event_keys_zeroed(struct wg_peer *peer)
{
}

#endif /* _WG_EVENTS_H */
