/* SPDX-License-Identifier: GPL-2.0 */
/* The transmit path: xmit -> route by AllowedIPs -> encrypt -> send. */
#ifndef _WG_SEND_H
#define _WG_SEND_H

#include <linux/netdevice.h>

struct wg_device;
struct wg_peer;

netdev_tx_t wg_xmit(struct sk_buff *skb, struct net_device *dev);
void wg_packet_send_staged_packets(struct wg_peer *peer);
void wg_packet_send_keepalive(struct wg_peer *peer);

/* Device-wide data path state: created with the device, started on up. */
int wg_packet_device_init(struct wg_device *wg);
void wg_packet_device_destroy(struct wg_device *wg);
void wg_packet_device_up(struct wg_device *wg);
void wg_packet_device_down(struct wg_device *wg);

/* A peer's share of it: init on creation, stop on removal, release last. */
void wg_packet_peer_init(struct wg_peer *peer);
void wg_packet_peer_stop(struct wg_peer *peer);
void wg_packet_peer_release(struct wg_peer *peer);

#endif /* _WG_SEND_H */
