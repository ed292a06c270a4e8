// SPDX-License-Identifier: GPL-2.0
/* The transmit path: xmit -> route by AllowedIPs -> encrypt -> send. */

#include "send.h"
#include "device.h"
#include "peer.h"

netdev_tx_t wg_xmit(struct sk_buff *skb, struct net_device *dev)
{
	DEV_STATS_INC(dev, tx_dropped);
	kfree_skb(skb);
	return NETDEV_TX_OK;
}

void wg_packet_send_staged_packets(struct wg_peer *peer)
{
}

void wg_packet_send_keepalive(struct wg_peer *peer)
{
}

int wg_packet_device_init(struct wg_device *wg)
{
	return 0;
}

void wg_packet_device_destroy(struct wg_device *wg)
{
}

void wg_packet_device_up(struct wg_device *wg)
{
}

void wg_packet_device_down(struct wg_device *wg)
{
}

void wg_packet_peer_init(struct wg_peer *peer)
{
}

void wg_packet_peer_stop(struct wg_peer *peer)
{
	skb_queue_purge(&peer->staged_packet_queue);
}

void wg_packet_peer_release(struct wg_peer *peer)
{
}
