/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The receive path (rx.c): datagram -> lane -> open -> deliver.
 */
#ifndef _WG_RX_H
#define _WG_RX_H

#include <linux/skbuff.h>
#include <linux/types.h>

struct sock;
struct wg_device;
struct wg_peer;

/* The sockets' encap_rcv. */
int wg_rx_datagram(struct sock *sk, struct sk_buff *skb);

/* A worker's job: open a run of datagrams, then wake the lane. */
void wg_rx_open_job(struct sk_buff *skb);

int wg_rx_init(struct wg_device *wg);
/*
 * Stops every lane's polls for good, so that no run is handed to a crypto
 * worker any more: before the workers are drained and freed.
 */
void wg_rx_stop(struct wg_device *wg);
/* After the workers are drained: what waits dropped, the lanes freed. */
void wg_rx_destroy(struct wg_device *wg);

/* An authentic message came from @skb's source: the peer is there now. */
void wg_rx_learn_endpoint(struct wg_peer *peer, const struct sk_buff *skb);

/* Counts @msgs received messages of @bytes for @peer and the device. */
void wg_rx_count(struct wg_peer *peer, unsigned int msgs, unsigned int bytes);

#endif /* _WG_RX_H */
