/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The device's UDP sockets (IPv4 and IPv6 on one port, in the namespace
 * the device was created in) and datagrams out of them.
 */
#ifndef _WG_SOCKET_H
#define _WG_SOCKET_H

#include <linux/skbuff.h>
#include <linux/types.h>

struct wg_device;
struct wg_peer;
struct wg_live;
struct wg_endpoint;

/*
 * Binds both sockets on @port (0: any free port) and installs them; on
 * failure the old ones stay. wg->port becomes the bound port. Under
 * conf_lock.
 */
int wg_socket_open(struct wg_device *wg, u16 port);
/* Uninstalls and releases both sockets. Under conf_lock. */
void wg_socket_close(struct wg_device *wg);

/*
 * Sends @skb, a datagram's payload (one message, or several of one size
 * as UDP GSO when gso_size is set), to @peer's endpoint with outer DS
 * field @ds, routed through @live's route cache, at nesting @depth
 * (below). Consumes @skb. 0 or a negative errno; -ELOOP (a route through
 * the device itself) is counted here, anything else is the caller's to
 * count.
 */
int wg_socket_send(struct wg_peer *peer, struct wg_live *live,
		   struct sk_buff *skb, u8 ds, unsigned int depth);

/*
 * Sends nested in this CPU's own sends (a datagram of ours being routed
 * into a WireGuard device); 0 outside them. BH off.
 */
unsigned int wg_socket_depth(void);
/* A tunnel in a tunnel in a tunnel... deeper than this is a loop. */
#define WG_MAX_NESTING	4

/* Sends @len bytes of @buf back to where @in (a received datagram) came from. */
int wg_socket_reply(struct wg_device *wg, struct sk_buff *in,
		    const void *buf, size_t len);

/* Where a received datagram came from and which of our addresses it reached. */
void wg_endpoint_from_skb(struct wg_endpoint *ep, const struct sk_buff *skb);

#endif /* _WG_SOCKET_H */
