/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The generic netlink family "wireguard": the configuration plane (GET,
 * SET) and the events of events.c. Its policies and operation table are
 * generated from Documentation/netlink/specs/wireguard.yaml into
 * netlink-gen.c.
 */
#ifndef _WG_NETLINK_H
#define _WG_NETLINK_H

#include <net/genetlink.h>

extern struct genl_family wg_genl_family;

struct wg_endpoint;

/* An endpoint as a sockaddr_in or sockaddr_in6 (none: nothing put). */
int wg_nla_put_endpoint(struct sk_buff *skb, int type,
			const struct wg_endpoint *ep);
/* A CLOCK_REALTIME time in ns as a struct __kernel_timespec. */
int wg_nla_put_time(struct sk_buff *skb, int type, u64 wall_ns);

int wg_genetlink_init(void);
void wg_genetlink_uninit(void);

#endif /* _WG_NETLINK_H */
