/* SPDX-License-Identifier: GPL-2.0 */
/* The receive path: encap_rcv -> classify -> handshake or decrypt -> deliver. */
#ifndef _WG_RECEIVE_H
#define _WG_RECEIVE_H

struct sock;
struct sk_buff;

/* The UDP encap_rcv hook of both sockets; always consumes the skb. */
int wg_receive(struct sock *sk, struct sk_buff *skb);

#endif /* _WG_RECEIVE_H */
