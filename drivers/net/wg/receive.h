/* SPDX-License-Identifier: GPL-2.0 */
/* The receive path: encap_rcv -> classify -> handshake or decrypt -> deliver. */
#ifndef _WG_RECEIVE_H
#define _WG_RECEIVE_H

struct sock;
struct sk_buff;
struct work_struct;
struct wg_peer;

/* The UDP encap_rcv hook of both sockets; always consumes the skb. */
int wg_receive(struct sock *sk, struct sk_buff *skb);

void wg_packet_handshake_receive_worker(struct work_struct *work);
void wg_packet_decrypt_worker(struct work_struct *work);

/* A peer's ordered delivery (NAPI): added, stopped, then deleted. */
void wg_packet_rx_peer_init(struct wg_peer *peer);
void wg_packet_rx_peer_stop(struct wg_peer *peer);
void wg_packet_rx_peer_del(struct wg_peer *peer);

#endif /* _WG_RECEIVE_H */
