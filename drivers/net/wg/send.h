/* SPDX-License-Identifier: GPL-2.0 */
/* The transmit path: xmit -> route by AllowedIPs -> encrypt -> send. */
#ifndef _WG_SEND_H
#define _WG_SEND_H

#include <linux/netdevice.h>

struct wg_device;
struct wg_peer;
struct work_struct;

netdev_tx_t wg_xmit(struct sk_buff *skb, struct net_device *dev);
void wg_packet_send_staged_packets(struct wg_peer *peer);
void wg_packet_send_keepalive(struct wg_peer *peer);
void wg_packet_send_queued_handshake_initiation(struct wg_peer *peer,
						bool is_retry);
void wg_packet_send_handshake_response(struct wg_peer *peer);
void wg_packet_send_handshake_cookie(struct wg_device *wg,
				     struct sk_buff *initiating_skb,
				     __le32 sender_index);
void wg_packet_purge_staged_packets(struct wg_peer *peer);

/* Workers (queueing.h explains the two-queue design). */
void wg_packet_encrypt_worker(struct work_struct *work);
void wg_packet_tx_worker(struct work_struct *work);
void wg_packet_handshake_send_worker(struct work_struct *work);

/* Device-wide data path state: created with the device, started on up. */
int wg_packet_device_init(struct wg_device *wg);
void wg_packet_device_destroy(struct wg_device *wg);
void wg_packet_device_up(struct wg_device *wg);
void wg_packet_device_down(struct wg_device *wg);

/* A peer's share of it: init on creation, stop on removal. */
void wg_packet_peer_init(struct wg_peer *peer);
void wg_packet_peers_stop(struct wg_device *wg, struct list_head *peers);

#endif /* _WG_SEND_H */
