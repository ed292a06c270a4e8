// SPDX-License-Identifier: GPL-2.0
/*
 * The receive path, top to bottom.
 *
 * wg_rx_datagram(), the sockets' encap_rcv, checks a datagram's shape in
 * the receive softirq. Handshake messages go to handshake.c; a data
 * message waits in this CPU's lane and the lane's take poll is scheduled
 * (it runs at the end of this softirq round, after the datagrams that
 * arrived with this one).
 *
 * A lane has two NAPI polls. The take poll, on the lane's CPU, takes what
 * waits, in arrival order, and cuts it into runs: consecutive datagrams
 * of one session, found with one lookup and holding one reference. A
 * small run is opened by the take poll itself; a large one by the worker
 * of the next CPU, which decrypts each message straight into place (or
 * into a fresh buffer, when the datagram is not ours to write). When that
 * worker is behind (jobs wait that it has not started), the take poll
 * opens the run itself instead: the two CPUs then share the opening,
 * rather than one idling while the other has a queue.
 *
 * Whoever opens a run wakes the deliver poll, which so runs where the
 * packets were just decrypted: for a stream, on the worker's CPU, while
 * the lane's CPU (on a software path, the sender's sealer) takes the next
 * datagrams. It delivers from the head of the lane only, so in arrival
 * order: the replay window (locked once per stretch of a run), then the
 * session's confirmation, the endpoint, timers and counters, once per
 * stretch; then each inner packet's checks, and GRO.
 */

#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <linux/scatterlist.h>
#include <net/inet_ecn.h>
#include <net/ip_tunnels.h>
#include <net/sock.h>
#include <net/xfrm.h>
#include <crypto/chacha20poly1305.h>

#include "rx.h"
#include "cb.h"
#include "crypt.h"
#include "device.h"
#include "events.h"
#include "handshake.h"
#include "peer.h"
#include "session.h"
#include "socket.h"
#include "stats.h"
#include "timers.h"
#include "tx.h"

/* Datagrams a lane holds before the take poll takes them. */
#define LANE_DEPTH		1024
/*
 * A run of up to this many bytes is opened by the take poll itself: handing
 * it to another CPU would cost more than it saves.
 */
#define RUN_INLINE_MAX		4096

static u64 now_ns(void)
{
	return ktime_get_coarse_boottime_ns();
}

void wg_rx_count(struct wg_peer *peer, unsigned int msgs, unsigned int bytes)
{
	struct pcpu_sw_netstats *tstats = this_cpu_ptr(peer->wg->dev->tstats);

	wg_peer_count(peer, WG_PC_RX_PACKETS, msgs);
	wg_peer_count(peer, WG_PC_RX_BYTES, bytes);
	u64_stats_update_begin(&tstats->syncp);
	u64_stats_add(&tstats->rx_packets, msgs);
	u64_stats_add(&tstats->rx_bytes, bytes);
	u64_stats_update_end(&tstats->syncp);
}

/* Arrival. */

static void to_lane(struct wg_device *wg, struct sk_buff *skb)
{
	struct wg_rx_lane *lane = this_cpu_ptr(wg->lanes);
	struct wg_cb *cb = wg_cb(skb);

	memset(cb, 0, sizeof(*cb));
	cb->ds = skb->protocol == htons(ETH_P_IP) ?
		 ip_hdr(skb)->tos : ipv6_get_dsfield(ipv6_hdr(skb));
	if (unlikely(ptr_ring_produce(&lane->in, skb))) {
		wg_stats_count(wg, WG_STAT_RX_QUEUE_FULL);
		kfree_skb(skb);
		return;
	}
	napi_schedule(&lane->take);
}

static const unsigned int handshake_size[] = {
	[WG_MSG_INITIATION] = sizeof(struct wg_msg_initiation),
	[WG_MSG_RESPONSE] = sizeof(struct wg_msg_response),
	[WG_MSG_COOKIE] = sizeof(struct wg_msg_cookie),
};

int wg_rx_datagram(struct sock *sk, struct sk_buff *skb)
{
	struct wg_device *wg = rcu_dereference_sk_user_data(sk);
	u32 type;

	if (unlikely(!wg))
		goto drop;
	if (unlikely(!pskb_may_pull(skb, sizeof(struct udphdr) + sizeof(__le32)))) {
		wg_stats_count(wg, WG_STAT_RX_BAD_LENGTH);
		goto drop;
	}
	__skb_pull(skb, sizeof(struct udphdr));
	/* A 1-byte type and three zero bytes: one little-endian word. */
	type = le32_to_cpup((__le32 *)skb->data);
	switch (type) {
	case WG_MSG_INITIATION:
	case WG_MSG_RESPONSE:
	case WG_MSG_COOKIE:
		if (unlikely(skb->len != handshake_size[type] ||
			     !pskb_may_pull(skb, skb->len)))
			break;
		wg_handshake_receive(wg, skb, type);
		return 0;
	case WG_MSG_DATA:
		if (unlikely(skb->len < WG_DATA_MIN_SIZE ||
			     !pskb_may_pull(skb, WG_DATA_HEADER_SIZE)))
			break;
		to_lane(wg, skb);
		return 0;
	default:
		wg_stats_count(wg, type > WG_MSG_DATA ? WG_STAT_RX_BAD_TYPE :
						     WG_STAT_RX_BAD_LENGTH);
		goto drop;
	}
	wg_stats_count(wg, WG_STAT_RX_BAD_LENGTH);
drop:
	kfree_skb(skb);
	return 0;
}

/* Opening. */

/*
 * Opens one datagram of @s where it lies when the skb is ours to write
 * (linear, or in page fragments no one else holds: a GSO datagram cut at
 * our UDP socket, a NIC's pages), else into a fresh skb. cb->out is then
 * the padded inner packet.
 */
static bool open_one(struct sk_buff *skb, struct wg_session *s)
{
	struct wg_msg_data *msg = (struct wg_msg_data *)skb->data;
	unsigned int len = skb->len - WG_DATA_HEADER_SIZE;
	struct scatterlist sg[MAX_SKB_FRAGS + 2];
	struct wg_cb *cb = wg_cb(skb);
	struct sk_buff *out;
	u8 *dst;
	int n;

	if (unlikely(READ_ONCE(s->expired) || !wg_session_fresh(s, now_ns()))) {
		cb->flags |= WG_CB_STALE;
		return false;
	}
	if (skb_cloned(skb) || skb_has_shared_frag(skb) ||
	    skb_has_frag_list(skb))
		goto copy;
	if (skb_headlen(skb) == skb->len) {
		if (!chacha20poly1305_decrypt(msg->sealed, msg->sealed, len,
					      NULL, 0, cb->nonce, s->recv_key))
			return false;
		__skb_pull(skb, WG_DATA_HEADER_SIZE);
		__skb_trim(skb, len - WG_TAG_SIZE);
		cb->out = skb;
		return true;
	}
	sg_init_table(sg, ARRAY_SIZE(sg));
	n = skb_to_sgvec(skb, sg, WG_DATA_HEADER_SIZE, len);
	if (n <= 0)
		goto copy;
	if (!chacha20poly1305_decrypt_sg_inplace(sg, len, NULL, 0, cb->nonce,
						 s->recv_key))
		return false;
	__skb_pull(skb, WG_DATA_HEADER_SIZE);
	if (pskb_trim(skb, len - WG_TAG_SIZE))
		return false;
	cb->out = skb;
	return true;

copy:
	out = netdev_alloc_skb_ip_align(s->peer->wg->dev, len);
	if (!out)
		return false;
	dst = skb_put(out, len);
	if (skb_copy_bits(skb, WG_DATA_HEADER_SIZE, dst, len) ||
	    !chacha20poly1305_decrypt(dst, dst, len, NULL, 0, cb->nonce,
				      s->recv_key)) {
		kfree_skb(out);
		return false;
	}
	__skb_trim(out, len - WG_TAG_SIZE);
	cb->out = out;
	return true;
}

/*
 * Opens the run that starts at @first. @first goes last: until it is
 * done, delivery takes nothing of the run, so the others stay linked
 * where they are and the session (whose reference @first holds) stays.
 */
static void open_run(struct sk_buff *first)
{
	struct wg_session *s = wg_cb(first)->session;
	unsigned int i, n = wg_cb(first)->count;
	struct sk_buff *skb = first;

	for (i = 1; i < n; ++i) {
		skb = skb->next;
		wg_cb_finish(skb, open_one(skb, s) ? WG_CB_DONE : WG_CB_FAILED);
	}
	wg_cb_finish(first, open_one(first, s) ? WG_CB_DONE : WG_CB_FAILED);
}

void wg_rx_open_job(struct sk_buff *first)
{
	struct wg_rx_lane *lane = wg_cb(first)->lane;

	open_run(first);
	/*
	 * Delivery wherever it is (it may be at work already, or about to
	 * stop short of this run), else here, next to the opened packets.
	 */
	local_bh_disable();
	napi_schedule(&lane->deliver);
	local_bh_enable();
}

/* The take poll. */

/* @run, a whole run, joins the lane; then it is opened or handed out. */
static void start_run(struct wg_rx_lane *lane, struct sk_buff_head *run,
		      unsigned int bytes)
{
	struct sk_buff *first = skb_peek(run);
	unsigned int cpu = wg_crypt_next_cpu();
	struct wg_cb *cb = wg_cb(first);

	spin_lock(&lane->pending.lock);
	skb_queue_splice_tail_init(run, &lane->pending);
	spin_unlock(&lane->pending.lock);
	/* Small, or the next CPU's worker is behind: opened right here. */
	if (bytes <= RUN_INLINE_MAX || wg_crypt_behind(lane->wg, cpu)) {
		open_run(first);
		napi_schedule(&lane->deliver);
		return;
	}
	cb->kind = WG_JOB_OPEN;
	cb->lane = lane;
	wg_crypt_hand_off_to(lane->wg, first, cpu);
}

/* Takes up to @budget datagrams; returns how many. */
static int take_arrivals(struct wg_rx_lane *lane, int budget)
{
	struct wg_device *wg = lane->wg;
	struct sk_buff *skb, *first = NULL;
	struct wg_session *s = NULL;
	struct sk_buff_head run;
	unsigned int bytes = 0;
	struct wg_index *entry;
	struct wg_msg_data *msg;
	int taken = 0;

	__skb_queue_head_init(&run);
	rcu_read_lock_bh();
	while (taken < budget && (skb = __ptr_ring_consume(&lane->in))) {
		++taken;
		msg = (struct wg_msg_data *)skb->data;
		if (!s || msg->receiver != s->index.id) {
			if (first)
				start_run(lane, &run, bytes);
			first = NULL;
			s = NULL;
			bytes = 0;
			entry = wg_index_table_lookup(&wg->by_index,
						      WG_INDEX_SESSION,
						      msg->receiver);
			if (entry) {
				s = container_of(entry, struct wg_session, index);
				if (!kref_get_unless_zero(&s->ref))
					s = NULL;
			}
			if (unlikely(!s)) {
				wg_stats_count(wg, WG_STAT_RX_UNKNOWN_INDEX);
				kfree_skb(skb);
				continue;
			}
		}
		wg_cb(skb)->nonce = le64_to_cpu(msg->counter);
		if (unlikely(wg_replay_too_old(&s->replay, wg_cb(skb)->nonce))) {
			wg_stats_count(wg, WG_STAT_RX_REPLAY);
			wg_peer_count(s->peer, WG_PC_DROP_REPLAY, 1);
			kfree_skb(skb);
			if (!first) {
				wg_session_put(s);
				s = NULL;
			}
			continue;
		}
		if (!first) {
			first = skb;
			wg_cb(first)->session = s;
		}
		++wg_cb(first)->count;
		bytes += skb->len;
		__skb_queue_tail(&run, skb);
	}
	if (first)
		start_run(lane, &run, bytes);
	rcu_read_unlock_bh();
	return taken;
}

static int take_poll(struct napi_struct *napi, int budget)
{
	struct wg_rx_lane *lane = container_of(napi, struct wg_rx_lane, take);
	int taken = take_arrivals(lane, budget);

	if (taken < budget)
		napi_complete_done(napi, taken);
	return taken;
}

/* The deliver poll. */

/*
 * The inner packet's real length, or 0 if it is not well-formed IP. Its
 * IP header is in the linear part afterwards.
 */
static unsigned int inner_length(struct sk_buff *skb)
{
	unsigned int len;

	if (!pskb_may_pull(skb, 1))
		return 0;
	if (ip_hdr(skb)->version == 4) {
		if (!pskb_may_pull(skb, sizeof(struct iphdr)) ||
		    ip_hdr(skb)->ihl < 5 ||
		    !pskb_may_pull(skb, ip_hdr(skb)->ihl * 4U))
			return 0;
		len = ntohs(ip_hdr(skb)->tot_len);
		skb->protocol = htons(ETH_P_IP);
		return len < ip_hdr(skb)->ihl * 4U ? 0 : len;
	}
	if (ip_hdr(skb)->version == 6 &&
	    pskb_may_pull(skb, sizeof(struct ipv6hdr))) {
		skb->protocol = htons(ETH_P_IPV6);
		return ntohs(ipv6_hdr(skb)->payload_len) +
		       sizeof(struct ipv6hdr);
	}
	return 0;
}

/*
 * A datagram cut out of a UDP GSO one at our socket keeps only its outer
 * headers in a small head, and opening pulled those off: the head is
 * empty. Its room is handed back as tailroom, so that the inner headers
 * are pulled into it rather than into a new head. The outer headers have
 * been read by now (the peer's endpoint, the DS field).
 */
static void reuse_empty_head(struct sk_buff *skb)
{
	if (skb_headlen(skb) || skb_headroom(skb) <= NET_SKB_PAD ||
	    skb_header_cloned(skb))
		return;
	skb->data = skb->head + NET_SKB_PAD;
	skb_reset_tail_pointer(skb);
}

/* Checks one inner packet and hands it to GRO, or drops it. */
static void deliver_packet(struct wg_rx_lane *lane, struct wg_peer *peer,
			   struct sk_buff *skb, u8 outer_ds)
{
	struct wg_device *wg = peer->wg;
	enum wg_peer_counter pc;
	enum wg_stat why;
	unsigned int len;

	/* What leaves the tunnel starts a new life. */
	reuse_empty_head(skb);
	skb->dev = wg->dev;
	skb->mark = 0;
	skb->pkt_type = PACKET_HOST;
	skb_dst_drop(skb);
	secpath_reset(skb);
	nf_reset_ct(skb);
	skb_reset_mac_header(skb);
	skb_reset_network_header(skb);
	skb_reset_transport_header(skb);
	skb->mac_len = 0;
	/* The AEAD vouches for every byte: no checksum to verify. */
	skb->ip_summed = CHECKSUM_UNNECESSARY;
	skb->csum_level = ~0;

	len = inner_length(skb);
	if (unlikely(!len || len > skb->len ||
		     pskb_trim(skb, len))) {
		why = WG_STAT_RX_BAD_INNER;
		pc = WG_PC_DROP_BAD_INNER;
		goto drop;
	}
	if (unlikely(wg_allowedips_lookup_src(&wg->allowedips, skb) != peer)) {
		why = WG_STAT_RX_ALLOWEDIPS;
		pc = WG_PC_DROP_ALLOWEDIPS;
		goto drop;
	}
	/* RFC 6040: an outer CE reaches an ECN-capable inner packet. */
	if (unlikely(INET_ECN_decapsulate(skb, outer_ds,
					  skb->protocol == htons(ETH_P_IP) ?
					  ip_hdr(skb)->tos :
					  ipv6_get_dsfield(ipv6_hdr(skb))) > 1)) {
		why = WG_STAT_RX_ECN;
		pc = WG_PC_DROP_BAD_INNER;
		goto drop;
	}
	skb_probe_transport_header(skb);
	napi_gro_receive(&lane->deliver, skb);
	return;

drop:
	wg_stats_count(wg, why);
	wg_peer_count(peer, pc, 1);
	kfree_skb(skb);
}

void wg_rx_learn_endpoint(struct wg_peer *peer, const struct sk_buff *skb)
{
	struct wg_endpoint ep, was;

	wg_endpoint_from_skb(&ep, skb);
	if (likely(!wg_peer_set_endpoint(peer, &ep, &was)))
		return;
	/* A new local address alone is no roam; a first endpoint neither. */
	if (was.sa.sa_family && !wg_endpoint_same_remote(&was, &ep)) {
		WRITE_ONCE(peer->last_roam_wall, ktime_get_real_ns());
		wg_event_endpoint_changed(peer, &was, &ep);
	}
}

/* What a stretch of authentic messages of one session tells about its peer. */
static void heard(struct wg_peer *peer, struct wg_session *s,
		  struct sk_buff *last, bool data)
{
	struct wg_live *live;
	u64 now = now_ns();

	live = wg_live_of(peer);
	if (live && unlikely(wg_session_confirm(live, s))) {
		clear_bit(WG_PEER_RENEWING, &peer->flags);
		wg_timers_handshake_done(peer, now);
		wg_tx_flush_staged(peer, false);
	}
	wg_rx_learn_endpoint(peer, last);
	wg_timers_received(peer, data, now);
	/* The initiator renews, once, a session it still hears on near its end. */
	if (s->initiator &&
	    now - s->born > (u64)WG_RENEW_ON_RECEIVE_AGE * NSEC_PER_SEC &&
	    !test_and_set_bit(WG_PEER_RENEWING, &peer->flags))
		wg_handshake_want(peer, false);
}

/*
 * Delivers a stretch of @n opened datagrams of session @s taken off the
 * head of the lane into @q: the replay window, then what they tell about
 * the peer, then the packets.
 */
static void deliver_stretch(struct wg_rx_lane *lane, struct wg_session *s,
			    struct sk_buff_head *q)
{
	struct wg_peer *peer = s->peer;
	struct wg_device *wg = peer->wg;
	unsigned int msgs = 0, bytes = 0;
	struct sk_buff *skb, *tmp, *last = NULL;
	bool data = false;

	spin_lock(&s->replay_lock);
	skb_queue_walk_safe(q, skb, tmp) {
		struct wg_cb *cb = wg_cb(skb);

		if (unlikely(cb->state != WG_CB_DONE && (cb->flags & WG_CB_STALE))) {
			wg_stats_count(wg, WG_STAT_RX_EXPIRED_KEY);
		} else if (unlikely(cb->state != WG_CB_DONE)) {
			wg_stats_count(wg, WG_STAT_RX_DECRYPT_FAILED);
			wg_peer_count(peer, WG_PC_DROP_DECRYPT, 1);
		} else if (unlikely(!wg_replay_check_and_mark(&s->replay, cb->nonce,
							      WG_REJECT_AFTER_MESSAGES))) {
			wg_stats_count(wg, WG_STAT_RX_REPLAY);
			wg_peer_count(peer, WG_PC_DROP_REPLAY, 1);
		} else {
			continue;
		}
		__skb_unlink(skb, q);
		if (cb->out && cb->out != skb)
			kfree_skb(cb->out);
		kfree_skb(skb);
	}
	spin_unlock(&s->replay_lock);

	if (skb_queue_empty(q))
		return;
	if (unlikely(test_bit(WG_PEER_DEAD, &peer->flags))) {
		skb_queue_walk_safe(q, skb, tmp) {
			if (wg_cb(skb)->out != skb)
				kfree_skb(wg_cb(skb)->out);
			kfree_skb(skb);
		}
		__skb_queue_head_init(q);
		return;
	}
	skb_queue_walk(q, skb) {
		++msgs;
		bytes += wg_cb(skb)->out->len + WG_DATA_OVERHEAD;
		data |= wg_cb(skb)->out->len != 0;
		last = skb;
	}
	heard(peer, s, last, data);
	wg_rx_count(peer, msgs, bytes);

	while ((skb = __skb_dequeue(q))) {
		struct sk_buff *out = wg_cb(skb)->out;
		u8 ds = wg_cb(skb)->ds;

		if (out != skb)
			consume_skb(skb);
		if (!out->len) {
			/* A keepalive: authentic, nothing to deliver. */
			consume_skb(out);
			continue;
		}
		deliver_packet(lane, peer, out, ds);
	}
}

static int deliver_poll(struct napi_struct *napi, int budget)
{
	struct wg_rx_lane *lane = container_of(napi, struct wg_rx_lane, deliver);
	struct sk_buff_head ready, stretch;
	struct sk_buff *skb;
	int done;

	/* The opened datagrams at the head, in order. */
	__skb_queue_head_init(&ready);
	spin_lock(&lane->pending.lock);
	done = wg_cb_take_finished(&lane->pending, &ready, budget);
	spin_unlock(&lane->pending.lock);

	__skb_queue_head_init(&stretch);
	rcu_read_lock_bh();
	while ((skb = __skb_dequeue(&ready))) {
		struct wg_cb *cb = wg_cb(skb);

		if (cb->session) {
			/* A new run: its session replaces the last one. */
			if (!skb_queue_empty(&stretch))
				deliver_stretch(lane, lane->delivering, &stretch);
			wg_session_put(lane->delivering);
			lane->delivering = cb->session;
			cb->session = NULL;
		}
		__skb_queue_tail(&stretch, skb);
	}
	if (!skb_queue_empty(&stretch))
		deliver_stretch(lane, lane->delivering, &stretch);
	rcu_read_unlock_bh();

	if (done < budget)
		napi_complete_done(napi, done);
	return done;
}

int wg_rx_init(struct wg_device *wg)
{
	int cpu, ret;

	wg->lanes = alloc_percpu(struct wg_rx_lane);
	if (!wg->lanes)
		return -ENOMEM;
	for_each_possible_cpu(cpu) {
		struct wg_rx_lane *lane = per_cpu_ptr(wg->lanes, cpu);

		ret = ptr_ring_init(&lane->in, LANE_DEPTH, GFP_KERNEL);
		if (ret)
			goto err;
		skb_queue_head_init(&lane->pending);
		lane->wg = wg;
		netif_napi_add(wg->dev, &lane->take, take_poll);
		netif_napi_add(wg->dev, &lane->deliver, deliver_poll);
		napi_enable(&lane->take);
		napi_enable(&lane->deliver);
	}
	return 0;

err:
	wg_rx_destroy(wg);
	return ret;
}

static void drop_pending(struct sk_buff_head *q)
{
	struct sk_buff *skb;

	while ((skb = __skb_dequeue(q))) {
		struct wg_cb *cb = wg_cb(skb);

		if (cb->out && cb->out != skb)
			kfree_skb(cb->out);
		wg_session_put(cb->session);
		kfree_skb(skb);
	}
}

static void free_datagram(void *ptr)
{
	kfree_skb(ptr);
}

void wg_rx_stop(struct wg_device *wg)
{
	int cpu;

	if (!wg->lanes)
		return;
	for_each_possible_cpu(cpu) {
		struct wg_rx_lane *lane = per_cpu_ptr(wg->lanes, cpu);

		if (lane->wg && !lane->stopped) {
			napi_disable(&lane->take);
			napi_disable(&lane->deliver);
			lane->stopped = true;
		}
	}
}

void wg_rx_destroy(struct wg_device *wg)
{
	int cpu;

	if (!wg->lanes)
		return;
	/* Done already by the destructor; not on the init failure paths. */
	wg_rx_stop(wg);
	for_each_possible_cpu(cpu) {
		struct wg_rx_lane *lane = per_cpu_ptr(wg->lanes, cpu);

		if (!lane->wg)
			continue;
		__netif_napi_del(&lane->take);
		__netif_napi_del(&lane->deliver);
		drop_pending(&lane->pending);
		wg_session_put(lane->delivering);
		ptr_ring_cleanup(&lane->in, free_datagram);
	}
	synchronize_net();
	free_percpu(wg->lanes);
	wg->lanes = NULL;
}
