/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Handshakes, between the Protocol (noise.c, cookie.c) and the data path:
 * initiations sent on demand, received handshake messages queued for a
 * worker and answered, cookies under load, sessions installed.
 */
#ifndef _WG_HANDSHAKE_H
#define _WG_HANDSHAKE_H

#include <linux/skbuff.h>
#include <linux/types.h>

struct wg_device;
struct wg_peer;

int wg_handshake_init(struct wg_device *wg);
/* After the sockets are gone and every peer is removed. */
void wg_handshake_destroy(struct wg_device *wg);
/* Waits for handshake work under way. */
void wg_handshake_flush(struct wg_device *wg);

/*
 * Ask for an initiation to @peer. At most one leaves per REKEY_TIMEOUT,
 * however often asked, except a @retry (from the timer). Any context,
 * under RCU.
 */
void wg_handshake_want(struct wg_peer *peer, bool retry);

/* Persistent keepalive was turned on, or the device got a key or came up. */
void wg_handshake_persistent_start(struct wg_peer *peer);

/* The attempt was given up: the pending handshake is forgotten. */
void wg_handshake_abandon(struct wg_peer *peer);

/*
 * A handshake message (initiation, response or cookie reply; skb->data at
 * the message, whole and linear) from the receive path. Consumes @skb.
 */
void wg_handshake_receive(struct wg_device *wg, struct sk_buff *skb,
			  unsigned int type);

#endif /* _WG_HANDSHAKE_H */
