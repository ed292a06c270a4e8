// SPDX-License-Identifier: GPL-2.0
/*
 * Events about peers on the "peers" multicast group (see events.h for
 * who calls what, and where).
 *
 * The rate limit of a peer is a token bucket packed into one 64-bit word,
 * changed by cmpxchg, so that the receive path on any CPU, the timer and
 * the handshake worker can share it without a lock:
 *
 *	bits  0..31  jiffies when "used" was last brought up to date
 *	bits 32..47  used: tokens taken, WG_EVENT_BURST at most; one comes
 *		     back every WG_EVENT_INTERVAL
 *	bits 48..63  missed: events left out since the last one sent
 *
 * All zeros is a full bucket with nothing missed.
 */

#include <linux/in6.h>
#include <linux/jiffies.h>
#include <linux/netdevice.h>
#include <linux/time64.h>
#include <linux/timekeeping.h>
#include <net/genetlink.h>
#include <net/ipv6.h>
#include <uapi/linux/wireguard.h>

#include "compat.h"
#include "device.h"
#include "events.h"
#include "netlink.h"
#include "netlink-gen.h"
#include "peer.h"

#define BUCKET_USED_SHIFT	32
#define BUCKET_MISSED_SHIFT	48
#define BUCKET_FIELD_MAX	0xffffU

/*
 * Takes a token from @ev's bucket. True if the event may go, and then
 * *@missed is how many were left out before it.
 */
static bool bucket_take(struct wg_peer_events *ev, u32 *missed)
{
	u64 old = atomic64_read(&ev->bucket), new;
	u32 now = (u32)jiffies;
	bool ok;

	do {
		u32 stamp = (u32)old;
		u32 used = (old >> BUCKET_USED_SHIFT) & BUCKET_FIELD_MAX;
		u32 gone = old >> BUCKET_MISSED_SHIFT;
		u32 back = (now - stamp) / WG_EVENT_INTERVAL;

		if (back >= used) {
			used = 0;
			stamp = now;
		} else {
			used -= back;
			stamp += back * WG_EVENT_INTERVAL;
		}
		ok = used < WG_EVENT_BURST;
		if (ok) {
			used++;
			*missed = gone;
			gone = 0;
		} else if (gone < BUCKET_FIELD_MAX) {
			gone++;
		}
		new = stamp | (u64)used << BUCKET_USED_SHIFT |
		      (u64)gone << BUCKET_MISSED_SHIFT;
	} while (!atomic64_try_cmpxchg(&ev->bucket, &old, new));
	return ok;
}

/* Room for the largest event: names, key, two sockaddr_in6, time, count. */
#define EVENT_SIZE \
	(nla_total_size(sizeof(u32)) + nla_total_size(IFNAMSIZ) + \
	 nla_total_size(WG_KEY_LEN) + \
	 2 * nla_total_size(sizeof(struct sockaddr_in6)) + \
	 nla_total_size(sizeof(struct __kernel_timespec)) + \
	 nla_total_size(sizeof(u32)))

/*
 * Builds and sends event @cmd about @peer if someone listens in the
 * device's namespace (and, if @limited, the peer's bucket allows). @old
 * and @now_ep are the endpoints of a roam; otherwise the endpoint is
 * read from the peer. @when is a wall clock time in ns (0: now).
 */
static void emit(struct wg_peer *peer, u8 cmd, bool limited,
		 const struct wg_endpoint *old, const struct wg_endpoint *now_ep,
		 u64 when, gfp_t gfp)
{
	struct net_device *dev = peer->wg->dev;
	struct net *net = dev_net(dev);
	struct wg_endpoint ep;
	struct sk_buff *skb;
	u32 missed = 0;
	void *hdr;

	if (!genl_has_listeners(&wg_genl_family, net, WIREGUARD_NLGRP_PEERS))
		return;
	if (limited && !bucket_take(&peer->events, &missed)) {
		atomic_inc(&peer->events.suppressed);
		return;
	}
	if (!now_ep) {
		wg_peer_get_endpoint(peer, &ep);
		now_ep = &ep;
	}

	skb = genlmsg_new(EVENT_SIZE, gfp);
	if (!skb)
		return;
	hdr = genlmsg_put(skb, 0, 0, &wg_genl_family, 0, cmd);
	if (!hdr)
		goto err_free;
	if (nla_put_u32(skb, WGEVENT_A_IFINDEX, dev->ifindex) ||
	    nla_put_string(skb, WGEVENT_A_IFNAME, dev->name) ||
	    nla_put(skb, WGEVENT_A_PUBLIC_KEY, WG_KEY_LEN, peer->public_key) ||
	    wg_nla_put_endpoint(skb, WGEVENT_A_ENDPOINT, now_ep) ||
	    (old && wg_nla_put_endpoint(skb, WGEVENT_A_OLD_ENDPOINT, old)) ||
	    wg_nla_put_time(skb, WGEVENT_A_TIME, when ?: ktime_get_real_ns()) ||
	    (limited && nla_put_u32(skb, WGEVENT_A_MISSED, missed)))
		goto err_free;
	genlmsg_end(skb, hdr);
	atomic_inc(&peer->events.sent);
	genlmsg_multicast_netns(&wg_genl_family, net, skb, 0,
				WIREGUARD_NLGRP_PEERS, gfp);
	return;

err_free:
	nlmsg_free(skb);
}

void wg_event_handshake_done(struct wg_peer *peer)
{
	emit(peer, WG_CMD_HANDSHAKE_NTF, true, NULL, NULL,
	     READ_ONCE(peer->last_handshake_wall), GFP_ATOMIC);
}

/* The same remote address and port (the local part may differ). */
void wg_event_endpoint_changed(struct wg_peer *peer,
			       const struct wg_endpoint *was,
			       const struct wg_endpoint *now)
{
	/* Only our own address changed: the peer did not roam. */
	if (wg_endpoint_same_remote(was, now))
		return;
	emit(peer, WG_CMD_ENDPOINT_NTF, true, was, now, 0, GFP_ATOMIC);
}

void wg_event_handshake_given_up(struct wg_peer *peer)
{
	emit(peer, WG_CMD_HANDSHAKE_FAIL_NTF, true, NULL, NULL, 0, GFP_ATOMIC);
}

void wg_event_keys_zeroed(struct wg_peer *peer)
{
	emit(peer, WG_CMD_KEYS_ZEROED_NTF, true, NULL, NULL, 0, GFP_ATOMIC);
}

void wg_event_peer_added(struct wg_peer *peer)
{
	emit(peer, WG_CMD_PEER_ADD_NTF, false, NULL, NULL, 0, GFP_KERNEL);
}

void wg_event_peer_changed(struct wg_peer *peer)
{
	emit(peer, WG_CMD_PEER_CHANGE_NTF, false, NULL, NULL, 0, GFP_KERNEL);
}

void wg_event_peer_removed(struct wg_peer *peer)
{
	emit(peer, WG_CMD_PEER_DEL_NTF, false, NULL, NULL, 0, GFP_KERNEL);
}
