// SPDX-License-Identifier: GPL-2.0
/*
 * The receive path, top to bottom: wg_receive() (the sockets' encap_rcv)
 * checks a datagram's shape and sends handshakes to the handshake workers
 * and data to the decrypt workers, through the peer's rx_queue; the peer's
 * NAPI poll then takes decrypted packets in order, checks them, and hands
 * them to GRO.
 */

#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/scatterlist.h>
#include <linux/udp.h>
#include <net/inet_ecn.h>
#include <net/ip_tunnels.h>
#include <net/sock.h>
#include <net/xfrm.h>
#include <crypto/chacha20poly1305.h>

#include "receive.h"
#include "send.h"
#include "device.h"
#include "peer.h"
#include "peerlookup.h"
#include "queueing.h"
#include "socket.h"
#include "timers.h"
#include "cookie.h"
#include "allowedips.h"
#include "messages.h"

static void rx_stats(struct wg_peer *peer, unsigned int len)
{
	atomic64_add(len, &peer->rx_bytes);
}

/* The message type if @skb's size fits it exactly, else MESSAGE_INVALID. */
static enum message_type classify(struct sk_buff *skb)
{
	static const unsigned int sizes[] = {
		[MESSAGE_HANDSHAKE_INITIATION] = sizeof(struct message_handshake_initiation),
		[MESSAGE_HANDSHAKE_RESPONSE] = sizeof(struct message_handshake_response),
		[MESSAGE_HANDSHAKE_COOKIE] = sizeof(struct message_handshake_cookie),
	};
	u32 type;

	if (unlikely(!pskb_may_pull(skb, sizeof(struct message_header))))
		return MESSAGE_INVALID;
	type = le32_to_cpu(((struct message_header *)skb->data)->type);
	switch (type) {
	case MESSAGE_HANDSHAKE_INITIATION:
	case MESSAGE_HANDSHAKE_RESPONSE:
	case MESSAGE_HANDSHAKE_COOKIE:
		if (skb->len != sizes[type] || !pskb_may_pull(skb, skb->len))
			return MESSAGE_INVALID;
		return type;
	case MESSAGE_DATA:
		if (skb->len < MESSAGE_MINIMUM_LENGTH ||
		    !pskb_may_pull(skb, sizeof(struct message_data)))
			return MESSAGE_INVALID;
		return type;
	}
	return MESSAGE_INVALID;
}

/* The handshake queue is deep: only cookie holders get through. */
static bool device_under_load(struct wg_device *wg)
{
	u64 now = ktime_get_coarse_boottime_ns();

	if (atomic_read(&wg->handshake_queue_len) >=
	    MAX_QUEUED_HANDSHAKES_UNDER_LOAD) {
		WRITE_ONCE(wg->last_under_load, now);
		return true;
	}
	/* Stay careful for a second after the queue drains. */
	return READ_ONCE(wg->last_under_load) &&
	       now < READ_ONCE(wg->last_under_load) + NSEC_PER_SEC;
}

static void receive_handshake(struct wg_device *wg, struct sk_buff *skb)
{
	enum message_type type = le32_to_cpu(((struct message_header *)skb->data)->type);
	struct message_handshake_initiation *initiation = (void *)skb->data;
	struct message_handshake_response *response = (void *)skb->data;
	enum cookie_mac_state mac_state;
	struct wg_peer *peer = NULL;
	bool under_load;

	if (type == MESSAGE_HANDSHAKE_COOKIE) {
		net_dbg_ratelimited("%s: cookie reply received\n",
				    wg->dev->name);
		wg_cookie_message_consume((struct message_handshake_cookie *)skb->data,
					  wg);
		return;
	}

	under_load = device_under_load(wg);
	if (PACKET_CB(skb)->vetted)
		mac_state = VALID_MAC_WITH_COOKIE;	/* checked on arrival */
	else
		mac_state = wg_cookie_validate_packet(&wg->cookie_checker,
						      skb, under_load);
	switch (mac_state) {
	case VALID_MAC_WITH_COOKIE:
		break;
	case VALID_MAC_BUT_NO_COOKIE:
		if (!under_load)
			break;
		/* Prove your address first: answer with a cookie. */
		wg_packet_send_handshake_cookie(wg, skb, initiation->sender_index);
		return;
	case VALID_MAC_WITH_COOKIE_BUT_RATELIMITED:
		wg_stats_count(wg, WG_STAT_RX_RATELIMITED);
		return;
	default:
		wg_stats_count(wg, WG_STAT_RX_BAD_MAC1);
		return;
	}

	if (type == MESSAGE_HANDSHAKE_INITIATION) {
		peer = wg_noise_handshake_consume_initiation(initiation, wg);
		if (unlikely(!peer)) {
			wg_stats_count(wg, WG_STAT_RX_BAD_HANDSHAKE);
			net_dbg_ratelimited("%s: invalid handshake initiation\n",
					    wg->dev->name);
			return;
		}
		wg_socket_set_peer_endpoint_from_skb(peer, skb);
		net_dbg_ratelimited("%s: handshake initiation from peer %llu\n",
				    wg->dev->name, peer->internal_id);
		wg_packet_send_handshake_response(peer);
	} else {
		peer = wg_noise_handshake_consume_response(response, wg);
		if (unlikely(!peer)) {
			wg_stats_count(wg, WG_STAT_RX_BAD_HANDSHAKE);
			net_dbg_ratelimited("%s: invalid handshake response\n",
					    wg->dev->name);
			return;
		}
		wg_socket_set_peer_endpoint_from_skb(peer, skb);
		net_dbg_ratelimited("%s: handshake response from peer %llu\n",
				    wg->dev->name, peer->internal_id);
		if (wg_noise_handshake_begin_session(&peer->handshake,
						     &peer->keypairs)) {
			wg_timers_session_derived(peer);
			wg_timers_handshake_complete(peer);
			/* Confirm the keys to the responder straight away. */
			wg_packet_send_keepalive(peer);
		}
	}

	rx_stats(peer, skb->len);
	wg_timers_any_authenticated_packet_received(peer);
	wg_timers_any_authenticated_packet_traversal(peer);
	wg_peer_put(peer);
}

/* Cookie holders first: their messages wait for no flood. */
static struct sk_buff *next_handshake(struct wg_device *wg)
{
	struct sk_buff *skb = ptr_ring_consume_bh(&wg->handshake_vetted);

	return skb ?: ptr_ring_consume_bh(&wg->handshake_queue.ring);
}

void wg_packet_handshake_receive_worker(struct work_struct *work)
{
	struct crypt_queue *queue = container_of(work, struct multicore_worker,
						 work)->ptr;
	struct wg_device *wg = container_of(queue, struct wg_device,
					    handshake_queue);
	struct sk_buff *skb;

	while ((skb = next_handshake(wg)) != NULL) {
		receive_handshake(wg, skb);
		if (!PACKET_CB(skb)->vetted)
			atomic_dec(&wg->handshake_queue_len);
		dev_kfree_skb(skb);
		cond_resched();
	}
}

/*
 * Under load a handshake message is checked as it arrives, so that a flood
 * delays no one who has proved their address (protocol sheet: "mac1, mac2,
 * cookies"). A cookie holder's message (valid mac2, within its source's
 * rate) goes to the vetted ring, which the workers drain first; one with a
 * bad mac1 or over its rate goes nowhere; the rest queue only while the
 * queue is short, so that their cookie replies come soon enough to be of
 * use: an initiator's mac1 changes when it retries, REKEY_TIMEOUT later,
 * and a reply to an older message is void.
 */
static bool queue_handshake(struct wg_device *wg, struct sk_buff *skb,
			    enum message_type type)
{
	unsigned int limit = MAX_QUEUED_INCOMING_HANDSHAKES;

	PACKET_CB(skb)->vetted = false;
	if (type != MESSAGE_HANDSHAKE_COOKIE && device_under_load(wg)) {
		switch (wg_cookie_validate_packet(&wg->cookie_checker, skb,
						  true)) {
		case VALID_MAC_WITH_COOKIE:
			PACKET_CB(skb)->vetted = true;
			if (unlikely(ptr_ring_produce_bh(&wg->handshake_vetted,
							 skb)))
				goto full;
			return true;
		case VALID_MAC_BUT_NO_COOKIE:
			limit = MAX_QUEUED_HANDSHAKES_UNDER_LOAD;
			break;
		case VALID_MAC_WITH_COOKIE_BUT_RATELIMITED:
			wg_stats_count(wg, WG_STAT_RX_RATELIMITED);
			return false;
		default:
			wg_stats_count(wg, WG_STAT_RX_BAD_MAC1);
			return false;
		}
	}
	if (atomic_inc_return(&wg->handshake_queue_len) > limit ||
	    !wg_crypt_queue_produce(&wg->handshake_queue, skb)) {
		atomic_dec(&wg->handshake_queue_len);
		goto full;
	}
	return true;
full:
	wg_stats_count(wg, WG_STAT_RX_HANDSHAKE_QUEUE_FULL);
	return false;
}

static bool decrypt_packet(struct sk_buff *skb, struct noise_keypair *keypair)
{
	struct scatterlist sg[MAX_SKB_FRAGS + 8];
	struct sk_buff *trailer;
	unsigned int offset;
	int num_frags;

	if (unlikely(!keypair))
		return false;
	if (unlikely(!READ_ONCE(keypair->receiving.is_valid) ||
		     ktime_get_coarse_boottime_ns() > keypair->receiving.birthdate +
			(u64)REJECT_AFTER_TIME * NSEC_PER_SEC ||
		     READ_ONCE(keypair->receiving_counter.counter) >=
			REJECT_AFTER_MESSAGES)) {
		WRITE_ONCE(keypair->receiving.is_valid, false);
		return false;
	}

	PACKET_CB(skb)->nonce =
		le64_to_cpu(((struct message_data *)skb->data)->counter);

	/* Ciphertext only: the header goes, and skb->data follows. */
	offset = -skb_network_offset(skb);
	skb_push(skb, offset);
	num_frags = skb_cow_data(skb, 0, &trailer);
	offset += sizeof(struct message_data);
	skb_pull(skb, offset);
	if (unlikely(num_frags < 0 || num_frags > ARRAY_SIZE(sg)))
		return false;

	sg_init_table(sg, num_frags);
	if (skb_to_sgvec(skb, sg, 0, skb->len) <= 0)
		return false;
	if (!chacha20poly1305_decrypt_sg_inplace(sg, skb->len, NULL, 0,
						 PACKET_CB(skb)->nonce,
						 keypair->receiving.key))
		return false;

	return !pskb_trim(skb, skb->len - NOISE_AUTHTAG_LEN);
}

void wg_packet_decrypt_worker(struct work_struct *work)
{
	struct crypt_queue *queue = container_of(work, struct multicore_worker,
						 work)->ptr;
	struct sk_buff *skb;

	while ((skb = ptr_ring_consume_bh(&queue->ring)) != NULL) {
		struct noise_keypair *keypair = PACKET_CB(skb)->keypair;
		struct wg_peer *peer = keypair->entry.peer;
		enum packet_state state = PACKET_STATE_CRYPTED;

		if (unlikely(!decrypt_packet(skb, keypair)))
			state = PACKET_STATE_DEAD;
		/* Once marked, the poll may free skb and keypair. */
		rcu_read_lock_bh();
		wg_packet_set_state(skb, state);
		napi_schedule(&peer->napi);
		rcu_read_unlock_bh();
		cond_resched();
	}
}

/* Queues an authenticated-looking data message for decryption. */
static void receive_data(struct wg_device *wg, struct sk_buff *skb)
{
	__le32 idx = ((struct message_data *)skb->data)->key_idx;
	struct noise_keypair *keypair;
	struct index_entry *entry;
	struct wg_peer *peer;
	u64 counter;

	rcu_read_lock_bh();
	entry = wg_index_table_lookup(&wg->index_hashtable, INDEX_KEYPAIR, idx,
				      &peer);
	keypair = entry ? wg_noise_keypair_get(container_of(entry,
							    struct noise_keypair,
							    entry)) : NULL;
	rcu_read_unlock_bh();
	if (unlikely(!entry)) {
		wg_stats_count(wg, WG_STAT_RX_UNKNOWN_INDEX);
		goto err_free;
	}
	if (unlikely(!keypair || READ_ONCE(peer->is_dead))) {
		wg_stats_count(wg, WG_STAT_RX_UNKNOWN_INDEX);
		goto err_keypair;
	}

	/* Cheap refusal of what the window already left behind. */
	counter = le64_to_cpu(((struct message_data *)skb->data)->counter);
	if (unlikely(counter + COUNTER_WINDOW_SIZE <
		     READ_ONCE(keypair->receiving_counter.counter))) {
		wg_stats_count(wg, WG_STAT_RX_REPLAY);
		goto err_keypair;
	}

	PACKET_CB(skb)->keypair = keypair;
	wg_peer_queue_enqueue(&peer->rx_queue, skb);
	if (likely(wg_crypt_queue_produce(&wg->decrypt_queue, skb))) {
		wg_crypt_queue_kick(&wg->decrypt_queue, wg->packet_crypt_wq, 1);
	} else {
		wg_stats_count(wg, WG_STAT_RX_QUEUE_FULL);
		/* The poll will see it dead and free it, in order. */
		PACKET_CB(skb)->nonce = U64_MAX;
		wg_packet_set_state(skb, PACKET_STATE_DEAD);
		napi_schedule(&peer->napi);
	}
	wg_peer_put(peer);
	return;

err_keypair:
	wg_noise_keypair_put(keypair, false);
	wg_peer_put(peer);
err_free:
	kfree_skb(skb);
}

int wg_receive(struct sock *sk, struct sk_buff *skb)
{
	struct wg_device *wg = rcu_dereference_sk_user_data(sk);
	enum message_type type;
	unsigned int len;
	bool bad_type;

	if (unlikely(!wg))
		goto drop;

	/* Trim to the UDP length, then step over the UDP header. */
	len = ntohs(udp_hdr(skb)->len);
	if (unlikely(len < sizeof(struct udphdr) || len > skb->len ||
		     pskb_trim(skb, len) ||
		     !pskb_may_pull(skb, sizeof(struct udphdr)))) {
		wg_stats_count(wg, WG_STAT_RX_BAD_LENGTH);
		goto drop;
	}
	skb_pull(skb, sizeof(struct udphdr));

	PACKET_CB(skb)->ds = skb->protocol == htons(ETH_P_IP) ?
			     ip_hdr(skb)->tos : ipv6_get_dsfield(ipv6_hdr(skb));

	type = classify(skb);
	switch (type) {
	case MESSAGE_HANDSHAKE_INITIATION:
	case MESSAGE_HANDSHAKE_RESPONSE:
	case MESSAGE_HANDSHAKE_COOKIE:
		if (!queue_handshake(wg, skb, type))
			goto drop;
		wg_crypt_queue_kick(&wg->handshake_queue,
				    wg->handshake_receive_wq, 1);
		return 0;
	case MESSAGE_DATA:
		receive_data(wg, skb);
		return 0;
	default:
		bad_type = skb->len >= sizeof(struct message_header) &&
			   le32_to_cpu(((struct message_header *)skb->data)->type) >
			   MESSAGE_DATA;
		wg_stats_count(wg, bad_type ? WG_STAT_RX_BAD_TYPE :
				   WG_STAT_RX_BAD_LENGTH);
		net_dbg_ratelimited("%s: invalid packet dropped\n",
				    wg->dev->name);
		goto drop;
	}
drop:
	kfree_skb(skb);
	return 0;
}

/* The inner packet's real length, or 0 if it is not well-formed IP. */
static unsigned int inner_length(struct sk_buff *skb)
{
	if (skb->len >= sizeof(struct iphdr) && ip_hdr(skb)->version == 4) {
		unsigned int len = ntohs(ip_hdr(skb)->tot_len);

		skb->protocol = htons(ETH_P_IP);
		if (len < ip_hdr(skb)->ihl * 4U || ip_hdr(skb)->ihl < 5)
			return 0;
		return len;
	}
	if (skb->len >= sizeof(struct ipv6hdr) && ipv6_hdr(skb)->version == 6) {
		skb->protocol = htons(ETH_P_IPV6);
		return ntohs(ipv6_hdr(skb)->payload_len) +
		       sizeof(struct ipv6hdr);
	}
	return 0;
}

static void deliver(struct wg_peer *peer, struct sk_buff *skb)
{
	struct net_device *dev = peer->device->dev;
	struct wg_device *wg = peer->device;
	unsigned int len;
	struct wg_peer *routed_peer;
	u8 outer_ds = PACKET_CB(skb)->ds;
	enum wg_stat why;

	/* A packet that leaves the tunnel starts a new life. */
	skb->ip_summed = CHECKSUM_UNNECESSARY;
	skb->csum_level = ~0;
	skb->dev = dev;
	skb->mark = 0;
	skb_dst_drop(skb);
	secpath_reset(skb);
	nf_reset_ct(skb);
	skb_reset_mac_header(skb);
	skb_reset_network_header(skb);
	skb_reset_transport_header(skb);
	skb_probe_transport_header(skb);
	skb->pkt_type = PACKET_HOST;

	if (unlikely(!skb->len)) {
		/* A keepalive: authenticated, nothing to deliver. */
		net_dbg_ratelimited("%s: keepalive from peer %llu\n",
				    dev->name, peer->internal_id);
		consume_skb(skb);
		return;
	}
	wg_timers_data_received(peer);

	len = inner_length(skb);
	if (unlikely(!len || len > skb->len ||
		     !pskb_may_pull(skb, skb->protocol == htons(ETH_P_IP) ?
				    ip_hdr(skb)->ihl * 4U :
				    sizeof(struct ipv6hdr)) ||
		     pskb_trim(skb, len))) {
		why = WG_STAT_RX_BAD_INNER;
		goto drop;
	}

	routed_peer = wg_allowedips_lookup_src(&wg->peer_allowedips, skb);
	if (unlikely(routed_peer != peer)) {
		why = WG_STAT_RX_ALLOWEDIPS;
		if (skb->protocol == htons(ETH_P_IP))
			net_dbg_ratelimited("%s: peer %llu sent from disallowed %pI4\n",
					    dev->name, peer->internal_id,
					    &ip_hdr(skb)->saddr);
		else
			net_dbg_ratelimited("%s: peer %llu sent from disallowed %pI6\n",
					    dev->name, peer->internal_id,
					    &ipv6_hdr(skb)->saddr);
		goto drop;
	}

	/* RFC 6040: the outer CE mark reaches an ECN-capable inner packet. */
	if (unlikely(INET_ECN_decapsulate(skb, outer_ds,
					  skb->protocol == htons(ETH_P_IP) ?
					  ip_hdr(skb)->tos :
					  ipv6_get_dsfield(ipv6_hdr(skb))) > 1)) {
		why = WG_STAT_RX_ECN;
		goto drop;
	}

	dev_sw_netstats_rx_add(dev, len);
	napi_gro_receive(&peer->napi, skb);
	return;

drop:
	wg_stats_count(wg, why);
	kfree_skb(skb);
}

/*
 * The initiator renews a session it is still hearing on shortly before the
 * keys expire (sheet, Timers: "initiator on receive"), once per session.
 */
static void keep_key_fresh(struct wg_peer *peer, struct noise_keypair *keypair)
{
	if (likely(!keypair->i_am_the_initiator ||
		   READ_ONCE(peer->sent_lastminute_handshake)))
		return;
	if (ktime_get_coarse_boottime_ns() <= keypair->sending.birthdate +
	    (u64)(REJECT_AFTER_TIME - KEEPALIVE_TIMEOUT - REKEY_TIMEOUT) *
	    NSEC_PER_SEC)
		return;
	WRITE_ONCE(peer->sent_lastminute_handshake, true);
	wg_packet_send_queued_handshake_initiation(peer, false);
}

/* Ordered delivery for one peer: runs for every decrypted packet. */
static int peer_poll(struct napi_struct *napi, int budget)
{
	struct wg_peer *peer = container_of(napi, struct wg_peer, napi);
	struct wg_device *wg = peer->device;
	enum packet_state state;
	struct sk_buff *skb;
	int work_done = 0;
	bool free;

	if (unlikely(budget <= 0))
		return 0;

	while (work_done < budget &&
	       (skb = wg_peer_queue_dequeue_done(&peer->rx_queue, &state))) {
		struct noise_keypair *keypair = PACKET_CB(skb)->keypair;
		struct endpoint endpoint;

		free = true;
		if (unlikely(state != PACKET_STATE_CRYPTED)) {
			if (PACKET_CB(skb)->nonce != U64_MAX)
				wg_stats_count(wg, WG_STAT_RX_DECRYPT_FAILED);
			goto next;
		}
		if (unlikely(!wg_replay_check_and_mark(&keypair->receiving_counter,
						       PACKET_CB(skb)->nonce,
						       REJECT_AFTER_MESSAGES))) {
			wg_stats_count(wg, WG_STAT_RX_REPLAY);
			net_dbg_ratelimited("%s: replayed or old counter %llu from peer %llu\n",
					    wg->dev->name, PACKET_CB(skb)->nonce,
					    peer->internal_id);
			goto next;
		}

		/* Authentic: it confirms keys and tells where the peer is. */
		if (unlikely(wg_noise_received_with_keypair(&peer->keypairs,
							    keypair))) {
			wg_timers_handshake_complete(peer);
			wg_packet_send_staged_packets(peer);
		}
		if (likely(!wg_socket_endpoint_from_skb(&endpoint, skb)))
			wg_socket_set_peer_endpoint(peer, &endpoint);
		wg_timers_any_authenticated_packet_received(peer);
		wg_timers_any_authenticated_packet_traversal(peer);
		rx_stats(peer, message_data_len(skb->len));
		keep_key_fresh(peer, keypair);

		free = false;
		deliver(peer, skb);
next:
		wg_noise_keypair_put(keypair, false);
		if (unlikely(free))
			kfree_skb(skb);
		++work_done;
	}

	if (work_done < budget)
		napi_complete_done(napi, work_done);
	return work_done;
}

void wg_packet_rx_peer_init(struct wg_peer *peer)
{
	/* Kept out of the kernel's napi_hash, which has 256 buckets and is
	 * walked to find a free id on every add: a NAPI per peer made adding
	 * the 100000th peer cost as much as searching 400 entries. No one
	 * busy-polls a peer.
	 */
	set_bit(NAPI_STATE_NO_BUSY_POLL, &peer->napi.state);
	netif_napi_add(peer->device->dev, &peer->napi, peer_poll);
	napi_enable(&peer->napi);
}

void wg_packet_rx_peer_stop(struct wg_peer *peer)
{
	napi_disable(&peer->napi);
}

/* The napi_struct is freed with the peer, after a grace period. */
void wg_packet_rx_peer_del(struct wg_peer *peer)
{
	__netif_napi_del(&peer->napi);
}
