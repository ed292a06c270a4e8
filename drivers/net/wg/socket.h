/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The device's UDP sockets (IPv4 and IPv6 on one port, in the namespace the
 * device was created in) and sending datagrams to a peer's endpoint.
 */
#ifndef _WG_SOCKET_H
#define _WG_SOCKET_H

#include <linux/types.h>
#include <linux/skbuff.h>

struct wg_device;
struct wg_peer;
struct endpoint;
struct sock;

/* Binds both sockets on @port (0: any free port) and installs them. */
int wg_socket_init(struct wg_device *wg, u16 port);
/* Installs the given sockets (NULL: none) and releases the old ones. */
void wg_socket_reinit(struct wg_device *wg, struct sock *new4,
		      struct sock *new6);

int wg_socket_send_skb_to_peer(struct wg_peer *peer, struct sk_buff *skb,
			       u8 ds);
int wg_socket_send_buffer_to_peer(struct wg_peer *peer, void *buffer,
				  size_t len, u8 ds);
int wg_socket_send_buffer_as_reply_to_skb(struct wg_device *wg,
					  struct sk_buff *in_skb,
					  void *out_buffer, size_t len);

int wg_socket_endpoint_from_skb(struct endpoint *endpoint,
				const struct sk_buff *skb);
void wg_socket_set_peer_endpoint(struct wg_peer *peer,
				 const struct endpoint *endpoint);
void wg_socket_set_peer_endpoint_from_skb(struct wg_peer *peer,
					  const struct sk_buff *skb);
void wg_socket_clear_peer_endpoint_src(struct wg_peer *peer);

#endif /* _WG_SOCKET_H */
