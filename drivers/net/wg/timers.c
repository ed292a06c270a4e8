// SPDX-License-Identifier: GPL-2.0
/* Per-peer protocol timers (protocol sheet: "Timers"). */

#include "timers.h"
#include "peer.h"
#include "compat.h"

static void expired_nothing(struct timer_list *timer)
{
}

void wg_timers_init(struct wg_peer *peer)
{
	timer_setup(&peer->timer_retransmit_handshake, expired_nothing, 0);
	timer_setup(&peer->timer_send_keepalive, expired_nothing, 0);
	timer_setup(&peer->timer_new_handshake, expired_nothing, 0);
	timer_setup(&peer->timer_zero_key_material, expired_nothing, 0);
	timer_setup(&peer->timer_persistent_keepalive, expired_nothing, 0);
}

void wg_timers_stop(struct wg_peer *peer)
{
	timer_delete_sync(&peer->timer_retransmit_handshake);
	timer_delete_sync(&peer->timer_send_keepalive);
	timer_delete_sync(&peer->timer_new_handshake);
	timer_delete_sync(&peer->timer_zero_key_material);
	timer_delete_sync(&peer->timer_persistent_keepalive);
}
