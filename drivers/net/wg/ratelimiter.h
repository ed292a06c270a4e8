/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-source rate limiting of handshake processing, shared by all devices
 * (protocol sheet: "mac1, mac2, cookies (DoS)").
 */
#ifndef _WG_RATELIMITER_H
#define _WG_RATELIMITER_H

#include <linux/types.h>

struct sk_buff;
struct net;

/* Refcounted: every device takes a reference; the first allocates. */
int wg_ratelimiter_init(void);
void wg_ratelimiter_uninit(void);
/*
 * A token bucket per (@net, source address of @skb's outer IP header), the
 * IPv6 ones per /64. Process or softirq context; only between init/uninit.
 */
bool wg_ratelimiter_allow(struct sk_buff *skb, struct net *net);

#endif /* _WG_RATELIMITER_H */
