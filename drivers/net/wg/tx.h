/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The transmit path (tx.c): xmit -> stage or number -> seal -> send.
 */
#ifndef _WG_TX_H
#define _WG_TX_H

#include <linux/netdevice.h>
#include <linux/skbuff.h>

struct wg_peer;

netdev_tx_t wg_xmit(struct sk_buff *skb, struct net_device *dev);

/*
 * A worker's job: seal the burst @skb, then send what is ready unless
 * @next, the job after it, is the same peer's.
 */
void wg_tx_seal_job(struct sk_buff *skb, struct sk_buff *next);

/* A session became usable: send what was staged (or a keepalive if
 * @keepalive and nothing was).
 */
void wg_tx_flush_staged(struct wg_peer *peer, bool keepalive);
/* An empty data message, unless staged packets can serve as one. */
void wg_tx_keepalive(struct wg_peer *peer);
/* Drops what was staged (the handshake was given up). */
void wg_tx_purge_staged(struct wg_peer *peer);
/* Drops bursts still queued (the peer is gone). */
void wg_tx_purge(struct wg_peer *peer);
/* Counts @msgs sent messages of @bytes for @peer and the device. */
void wg_tx_count(struct wg_peer *peer, unsigned int msgs, unsigned int bytes);

#endif /* _WG_TX_H */
