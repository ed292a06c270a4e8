/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Why packets were dropped, counted per cause. Each cause also counts in the
 * matching netdev statistic (ip -s link); the causes themselves are shown by
 * `ethtool -S`.
 */
#ifndef _WG_STATS_H
#define _WG_STATS_H

#include <linux/types.h>

struct wg_device;
struct net_device;

enum wg_stat {
	/* receive: unauthenticated input */
	WG_STAT_RX_BAD_LENGTH,		/* wrong size for its type, or truncated */
	WG_STAT_RX_BAD_TYPE,		/* unknown message type */
	WG_STAT_RX_BAD_MAC1,		/* handshake with a wrong mac1 */
	WG_STAT_RX_RATELIMITED,		/* handshake over its source's rate */
	WG_STAT_RX_HANDSHAKE_QUEUE_FULL, /* no room (under load: the short queue) */
	WG_STAT_RX_BAD_HANDSHAKE,	/* failed Noise checks, replayed or flooded */
	WG_STAT_RX_COOKIE_SENT,		/* answered with a cookie reply (not a drop) */
	WG_STAT_RX_UNKNOWN_INDEX,	/* data or cookie reply for no live index */
	WG_STAT_RX_EXPIRED_KEY,		/* data for a keypair past its limits */
	WG_STAT_RX_DECRYPT_FAILED,	/* authentication tag mismatch */
	WG_STAT_RX_REPLAY,		/* counter already seen or too old */
	WG_STAT_RX_QUEUE_FULL,
	/* receive: authenticated but not deliverable */
	WG_STAT_RX_BAD_INNER,		/* not a well-formed IPv4/IPv6 packet */
	WG_STAT_RX_ALLOWEDIPS,		/* source not allowed for that peer */
	WG_STAT_RX_ECN,			/* CE outside, not ECN-capable inside */
	/* transmit */
	WG_STAT_TX_NO_PEER,		/* no allowed IP matches the destination */
	WG_STAT_TX_NO_ENDPOINT,		/* the peer has no endpoint yet */
	WG_STAT_TX_BAD_INNER,		/* not IPv4/IPv6, or GSO failed */
	WG_STAT_TX_STAGED_OVERFLOW,	/* waited for a handshake too long */
	WG_STAT_TX_SEAL_FAILED,		/* out of memory while sealing */
	WG_STAT_TX_SEND_FAILED,		/* no route or socket for the endpoint */
	WG_STAT_TX_LOOP,		/* routed through itself, or nested too deep */
	__WG_STAT_COUNT
};

struct wg_stats {
	u64 count[__WG_STAT_COUNT];
};

int wg_stats_init(struct wg_device *wg);
void wg_stats_free(struct wg_device *wg);
/* Counts @n packets for @stat and in its netdev counterpart. */
void wg_stats_count_n(struct wg_device *wg, enum wg_stat stat, unsigned int n);
static inline void wg_stats_count(struct wg_device *wg, enum wg_stat stat)
{
	wg_stats_count_n(wg, stat, 1);
}

extern const struct ethtool_ops wg_ethtool_ops;

#endif /* _WG_STATS_H */
