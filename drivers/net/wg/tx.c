// SPDX-License-Identifier: GPL-2.0
/*
 * The transmit path, top to bottom.
 *
 * wg_xmit() takes a packet, or a GSO super-packet, from the stack and
 * routes it by AllowedIPs to a peer. From here on it is a burst: one unit
 * of work however many messages it will make.
 *
 * number(): given a usable session, the burst gets all its nonces in one
 * step and its place in the peer's tx queue, both under the queue's lock,
 * and one reference to the session. Without a session it is staged until
 * a handshake gives the peer one.
 *
 * Sealing (seal.c): a single packet is sealed where it stands, by the
 * CPU that numbered it, unless its peer is streaming (more than a few
 * packets a tick): then, like a GSO burst, it goes to a worker on another
 * CPU, which takes a peer's small packets in batches. While a peer
 * streams, and for a while after, all its bursts go to one worker, its
 * sealer (sealer.c), or are sealed on the sealer's CPU, so that they
 * leave from one CPU. A GSO burst is cut into segments
 * straight into the outgoing pages, each one's checksum computed as it is
 * copied, and encrypted there: one pass over the data and no skb per
 * message on the way out. A packet sent from within our own send (a
 * tunnel inside a tunnel) is sealed in place: socket.c.
 *
 * flush(): whoever finishes sealing a burst then sends every ready burst
 * at the head of the peer's queue, in nonce order; one CPU at a time.
 * Messages of one size leave as one UDP GSO datagram.
 */

#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <net/dst.h>
#include <net/dst_metadata.h>
#include <net/icmp.h>
#include <net/inet_ecn.h>
#include <net/ip_tunnels.h>

#include "tx.h"
#include "cb.h"
#include "crypt.h"
#include "device.h"
#include "handshake.h"
#include "peer.h"
#include "seal.h"
#include "session.h"
#include "socket.h"
#include "stats.h"
#include "timers.h"
#include "compat.h"

static u64 now_ns(void)
{
	return ktime_get_coarse_boottime_ns();
}

/*
 * How many messages a burst makes. For the GSO kinds the stack builds
 * (TCP, UDP with UDP_SEGMENT) the count follows from the sizes; anything
 * else is cut up in wg_xmit() and never reaches here as GSO.
 */
static unsigned int burst_messages(struct sk_buff *skb)
{
	unsigned int hdr, mss = skb_shinfo(skb)->gso_size;

	if (!skb_is_gso(skb))
		return 1;
	if (skb_shinfo(skb)->gso_type & (SKB_GSO_TCPV4 | SKB_GSO_TCPV6))
		hdr = skb_tcp_all_headers(skb);
	else
		hdr = skb_transport_offset(skb) + sizeof(struct udphdr);
	if (unlikely(!mss || skb->len <= hdr))
		return 1;
	return DIV_ROUND_UP(skb->len - hdr, mss);
}

static bool gso_we_cut(struct sk_buff *skb)
{
	unsigned int type = skb_shinfo(skb)->gso_type;

	type &= ~(SKB_GSO_TCP_ECN | SKB_GSO_TCP_FIXEDID | SKB_GSO_DODGY);
	return type == SKB_GSO_TCPV4 || type == SKB_GSO_TCPV6 ||
	       type == SKB_GSO_UDP_L4;
}

/* Sending. */

void wg_tx_count(struct wg_peer *peer, unsigned int msgs, unsigned int bytes)
{
	struct pcpu_sw_netstats *tstats = this_cpu_ptr(peer->wg->dev->tstats);

	wg_peer_count(peer, WG_PC_TX_PACKETS, msgs);
	wg_peer_count(peer, WG_PC_TX_BYTES, bytes);
	u64_stats_update_begin(&tstats->syncp);
	u64_stats_add(&tstats->tx_packets, msgs);
	u64_stats_add(&tstats->tx_bytes, bytes);
	u64_stats_update_end(&tstats->syncp);
}

static void drop_burst(struct sk_buff *burst)
{
	struct wg_cb *cb = wg_cb(burst);
	struct wg_session *s = cb->session;

	if (!(cb->flags & WG_CB_INPLACE))
		kfree_skb_list(cb->out);
	kfree_skb(burst);
	wg_session_put(s);
}

/* Sends one ready burst; true if it carried data. */
static bool send_burst(struct wg_peer *peer, struct wg_live *live,
		       struct sk_buff *burst)
{
	struct wg_cb *cb = wg_cb(burst);
	unsigned int msgs = 0, bytes = 0, n, len;
	struct wg_session *s = cb->session;
	struct sk_buff *out = cb->out, *next;
	bool inplace = cb->flags & WG_CB_INPLACE;
	bool data = cb->flags & WG_CB_DATA;
	u8 ds = cb->ds, depth = cb->depth;
	int ret;

	if (unlikely(wg_cb_state(burst) != WG_CB_DONE)) {
		wg_stats_count(peer->wg, WG_STAT_TX_SEAL_FAILED);
		drop_burst(burst);
		return false;
	}
	/* Removed while it was being sealed: nobody is waiting for it. */
	if (unlikely(test_bit(WG_PEER_DEAD, &peer->flags))) {
		drop_burst(burst);
		return false;
	}
	for (; out; out = next) {
		next = out->next;
		out->next = NULL;
		n = skb_is_gso(out) ? skb_shinfo(out)->gso_segs : 1;
		len = out->len;
		ret = wg_socket_send(peer, live, out, ds, depth);
		if (likely(!ret)) {
			msgs += n;
			bytes += len;
		} else if (ret != -ELOOP) {
			wg_stats_count_n(peer->wg, WG_STAT_TX_SEND_FAILED, n);
		}
	}
	if (!inplace)
		consume_skb(burst);
	wg_session_put(s);
	if (msgs)
		wg_tx_count(peer, msgs, bytes);
	return data;
}

/*
 * Moves the bursts at the head of the peer's queue that are sealed (or
 * failed) to the tail of @done, in order.
 */
static void take_done(struct wg_peer *peer, struct sk_buff_head *done)
{
	spin_lock_bh(&peer->tx.lock);
	wg_cb_take_finished(&peer->tx, done, UINT_MAX);
	spin_unlock_bh(&peer->tx.lock);
}

/*
 * Sends the ready bursts at the head of the peer's queue. Whoever sealed
 * a burst calls this; if another CPU is sending already, it will see the
 * burst before it lets go.
 */
static void flush(struct wg_peer *peer)
{
	struct sk_buff_head ready;
	struct sk_buff *skb;
	bool again, data;
	u64 now;

	__skb_queue_head_init(&ready);
	do {
		if (test_and_set_bit(WG_PEER_TX_BUSY, &peer->flags))
			return;
		take_done(peer, &ready);
		if (!skb_queue_empty(&ready)) {
			rcu_read_lock_bh();
			data = false;
			while ((skb = __skb_dequeue(&ready)))
				data |= send_burst(peer, wg_live_of(peer), skb);
			now = now_ns();
			wg_timers_sent(peer, data, now);
			rcu_read_unlock_bh();
		}

		clear_bit_unlock(WG_PEER_TX_BUSY, &peer->flags);
		/*
		 * Pairs with the full barrier of the sealer's test_and_set_bit():
		 * either it sees the bit clear, or we see its burst done.
		 */
		smp_mb__after_atomic();
		/* A burst finished while we were sending? */
		spin_lock_bh(&peer->tx.lock);
		skb = skb_peek(&peer->tx);
		again = skb && wg_cb_state(skb) != WG_CB_WAITING;
		spin_unlock_bh(&peer->tx.lock);
	} while (again);
}

/* Sealing (seal.c), then sending what is ready. */

static void seal(struct sk_buff *skb)
{
	wg_cb_finish(skb, wg_seal_burst(skb) ? WG_CB_DONE : WG_CB_FAILED);
}

/*
 * A worker's job. A single message waits to be sent with the peer's next
 * job if there is one (the next job's session holds the peer meanwhile):
 * small packets are sent in batches. A GSO burst is sent at once, so
 * that the receiver is at work on it while the next one is sealed.
 */
void wg_tx_seal_job(struct sk_buff *skb, struct sk_buff *next)
{
	struct wg_peer *peer = wg_cb(skb)->session->peer;

	if (wg_cb(skb)->count == 1 && next &&
	    wg_cb(next)->kind == WG_JOB_SEAL &&
	    wg_cb(next)->session->peer == peer) {
		seal(skb);
		return;
	}
	/* Once sealed, the burst may be sent and freed by another CPU. */
	wg_peer_get(peer);
	/* Sealing needs no softirq held off; sending does. */
	seal(skb);
	local_bh_disable();
	flush(peer);
	local_bh_enable();
	wg_peer_put(peer);
}

/* Numbering. */

static void stage(struct wg_peer *peer, struct sk_buff *skb)
{
	struct sk_buff_head *q = &peer->staged;
	struct sk_buff *old = NULL;

	/* Waiting can take seconds: the sender's socket lets go meanwhile. */
	skb_orphan(skb);
	spin_lock_bh(&q->lock);
	__skb_queue_tail(q, skb);
	if (skb_queue_len(q) > WG_MAX_STAGED)
		old = __skb_dequeue(q);
	spin_unlock_bh(&q->lock);
	if (old) {
		wg_peer_count(peer, WG_PC_DROP_STAGED, 1);
		wg_stats_count(peer->wg, WG_STAT_TX_STAGED_OVERFLOW);
		kfree_skb(old);
	}
}

/* The initiator renews a session that is old or nearly used up. */
static void maybe_renew(struct wg_peer *peer, struct wg_session *s, u64 sent,
			u64 now)
{
	if (s->initiator &&
	    (sent > WG_REKEY_AFTER_MESSAGES ||
	     now - s->born > (u64)WG_REKEY_AFTER_TIME * NSEC_PER_SEC))
		wg_handshake_want(peer, false);
}

/*
 * Numbers @skb as a burst and queues it for sending, or stages it. Under
 * RCU. Returns the burst if the caller is to seal it, NULL otherwise.
 */
static struct sk_buff *number(struct wg_peer *peer, struct sk_buff *skb)
{
	struct wg_cb *cb = wg_cb(skb);
	unsigned int count = burst_messages(skb);
	struct wg_session *s = NULL;
	struct wg_live *live;
	u64 now = now_ns(), first;
	unsigned int cpu = nr_cpu_ids;

	live = wg_live_of(peer);
	if (likely(live))
		s = rcu_dereference_bh(live->cur);
	if (unlikely(!s || READ_ONCE(s->expired) || !wg_session_fresh(s, now)))
		goto stage;

	spin_lock_bh(&peer->tx.lock);
	first = s->sent;
	if (unlikely(first + count > WG_REJECT_AFTER_MESSAGES ||
		     first + count < first)) {
		WRITE_ONCE(s->expired, true);
		spin_unlock_bh(&peer->tx.lock);
		goto stage;
	}
	s->sent = first + count;
	wg_session_get(s);
	cb->session = s;
	cb->nonce = first;
	cb->count = count;
	cb->state = WG_CB_WAITING;
	cb->depth = min(wg_socket_depth(), WG_MAX_NESTING);
	__skb_queue_tail(&peer->tx, skb);
	/* Nested in our own send, it is sealed right here (socket.c). */
	if (!cb->depth)
		cpu = wg_sealer_pick(&live->sealer, jiffies, smp_processor_id(),
				     skb_queue_len(&peer->tx) == 1,
				     skb_is_gso(skb), cpu_online_mask);
	spin_unlock_bh(&peer->tx.lock);

	maybe_renew(peer, s, first + count, now);
	if (cpu < nr_cpu_ids) {
		cb->kind = WG_JOB_SEAL;
		wg_crypt_hand_off_to(peer->wg, skb, cpu);
		return NULL;
	}
	return skb;

stage:
	stage(peer, skb);
	wg_handshake_want(peer, false);
	return NULL;
}

/* Numbers, seals what is small here and sends what is ready. Under RCU. */
static void push(struct wg_peer *peer, struct sk_buff *skb)
{
	skb = number(peer, skb);
	if (skb) {
		seal(skb);
		flush(peer);
	}
}

void wg_tx_flush_staged(struct wg_peer *peer, bool keepalive)
{
	struct sk_buff_head q;
	struct sk_buff *skb;

	__skb_queue_head_init(&q);
	spin_lock_bh(&peer->staged.lock);
	skb_queue_splice_init(&peer->staged, &q);
	spin_unlock_bh(&peer->staged.lock);
	if (skb_queue_empty(&q)) {
		if (keepalive)
			wg_tx_keepalive(peer);
		return;
	}
	rcu_read_lock_bh();
	while ((skb = __skb_dequeue(&q)))
		push(peer, skb);
	rcu_read_unlock_bh();
}

void wg_tx_keepalive(struct wg_peer *peer)
{
	struct sk_buff *skb;

	if (!skb_queue_empty_lockless(&peer->staged)) {
		wg_tx_flush_staged(peer, false);
		return;
	}
	skb = alloc_skb(WG_SEAL_HEADROOM + WG_DATA_HEADER_SIZE + WG_TAG_SIZE,
			GFP_ATOMIC);
	if (!skb)
		return;
	skb_reserve(skb, WG_SEAL_HEADROOM + WG_DATA_HEADER_SIZE);
	memset(skb->cb, 0, sizeof(skb->cb));
	rcu_read_lock_bh();
	push(peer, skb);
	rcu_read_unlock_bh();
}

void wg_tx_purge_staged(struct wg_peer *peer)
{
	struct sk_buff_head q;
	struct sk_buff *skb;

	__skb_queue_head_init(&q);
	spin_lock_bh(&peer->staged.lock);
	skb_queue_splice_init(&peer->staged, &q);
	spin_unlock_bh(&peer->staged.lock);
	while ((skb = __skb_dequeue(&q))) {
		wg_peer_count(peer, WG_PC_DROP_STAGED, 1);
		wg_stats_count(peer->wg, WG_STAT_TX_STAGED_OVERFLOW);
		kfree_skb(skb);
	}
}

void wg_tx_purge(struct wg_peer *peer)
{
	struct sk_buff_head q;
	struct sk_buff *skb;

	__skb_queue_head_init(&q);
	/* Only what no worker holds: the sealed ones at the head. */
	take_done(peer, &q);
	while ((skb = __skb_dequeue(&q)))
		drop_burst(skb);
}

/* The stack's side. */

static __be16 inner_protocol(struct sk_buff *skb)
{
	unsigned int nh = skb_network_offset(skb);

	if (skb->protocol == htons(ETH_P_IP) &&
	    pskb_may_pull(skb, nh + sizeof(struct iphdr)) &&
	    ip_hdr(skb)->version == 4)
		return htons(ETH_P_IP);
	if (skb->protocol == htons(ETH_P_IPV6) &&
	    pskb_may_pull(skb, nh + sizeof(struct ipv6hdr)) &&
	    ipv6_hdr(skb)->version == 6)
		return htons(ETH_P_IPV6);
	return 0;
}

static void send_unreachable(struct sk_buff *skb, __be16 proto)
{
	if (proto == htons(ETH_P_IP))
		icmp_ndo_send(skb, ICMP_DEST_UNREACH, ICMP_HOST_UNREACH, 0);
	else if (IS_ENABLED(CONFIG_IPV6))
		icmpv6_ndo_send(skb, ICMPV6_DEST_UNREACH, ICMPV6_ADDR_UNREACH, 0);
}

/* Makes @skb ours: nothing of the stack's past travels into the tunnel. */
static void adopt(struct sk_buff *skb, unsigned int mtu)
{
	struct wg_cb *cb = wg_cb(skb);
	u8 ds;

	ds = ip_tunnel_ecn_encap(0, ip_hdr(skb), skb);
	skb_dst_drop(skb);
	nf_reset_ct(skb);
	skb->mark = 0;
	memset(cb, 0, sizeof(*cb));
	cb->mtu = min_t(unsigned int, mtu, U16_MAX);
	cb->ds = ds;
	cb->flags = WG_CB_DATA;
}

netdev_tx_t wg_xmit(struct sk_buff *skb, struct net_device *dev)
{
	struct wg_device *wg = netdev_priv(dev);
	struct sk_buff *segs, *next;
	struct wg_peer *peer;
	enum wg_stat why;
	unsigned int mtu;
	__be16 proto;

	if (unlikely(wg_socket_depth() >= WG_MAX_NESTING)) {
		why = WG_STAT_TX_LOOP;
		goto drop;
	}
	proto = inner_protocol(skb);
	if (unlikely(!proto)) {
		why = WG_STAT_TX_BAD_INNER;
		goto drop;
	}
	rcu_read_lock_bh();
	peer = wg_allowedips_lookup_dst(&wg->allowedips, skb);
	if (unlikely(!peer)) {
		why = WG_STAT_TX_NO_PEER;
		goto unreachable;
	}
	if (unlikely(!READ_ONCE(peer->endpoint.sa.sa_family))) {
		why = WG_STAT_TX_NO_ENDPOINT;
		goto unreachable;
	}
	mtu = skb_valid_dst(skb) ? dst_mtu(skb_dst(skb)) : dev->mtu;

	if (skb_is_gso(skb) && !gso_we_cut(skb)) {
		/* A kind of GSO we do not cut ourselves: each its own burst. */
		segs = skb_gso_segment(skb, 0);
		if (IS_ERR_OR_NULL(segs)) {
			why = WG_STAT_TX_BAD_INNER;
			goto unlock_drop;
		}
		consume_skb(skb);
		skb_list_walk_safe(segs, skb, next) {
			skb_mark_not_on_list(skb);
			adopt(skb, mtu);
			push(peer, skb);
		}
	} else {
		skb = skb_share_check(skb, GFP_ATOMIC);
		if (unlikely(!skb)) {
			rcu_read_unlock_bh();
			return NETDEV_TX_OK;
		}
		adopt(skb, mtu);
		push(peer, skb);
	}
	rcu_read_unlock_bh();
	return NETDEV_TX_OK;

unreachable:
	send_unreachable(skb, proto);
unlock_drop:
	rcu_read_unlock_bh();
drop:
	wg_stats_count(wg, why);
	kfree_skb(skb);
	return NETDEV_TX_OK;
}
