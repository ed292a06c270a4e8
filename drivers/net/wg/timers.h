/* SPDX-License-Identifier: GPL-2.0 */
/* Per-peer protocol timers (protocol sheet: "Timers"). */
#ifndef _WG_TIMERS_H
#define _WG_TIMERS_H

#include <linux/types.h>

struct wg_peer;

void wg_timers_init(struct wg_peer *peer);
/* Stops every timer; none fires after this returns for a dead peer. */
void wg_timers_stop(struct wg_peer *peer);
void wg_timers_reset_last_sent_handshake(struct wg_peer *peer);

/* Events the data path reports; each (re)arms what the protocol says. */
void wg_timers_data_sent(struct wg_peer *peer);
void wg_timers_data_received(struct wg_peer *peer);
void wg_timers_any_authenticated_packet_sent(struct wg_peer *peer);
void wg_timers_any_authenticated_packet_received(struct wg_peer *peer);
void wg_timers_any_authenticated_packet_traversal(struct wg_peer *peer);
void wg_timers_handshake_initiated(struct wg_peer *peer);
void wg_timers_handshake_complete(struct wg_peer *peer);
void wg_timers_session_derived(struct wg_peer *peer);

#endif /* _WG_TIMERS_H */
