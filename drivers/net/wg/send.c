// SPDX-License-Identifier: GPL-2.0
/*
 * The transmit path, top to bottom: wg_xmit() routes each packet to a peer
 * by AllowedIPs and stages it; wg_packet_send_staged_packets() numbers the
 * staged packets under the current keypair and queues them; the encrypt
 * workers seal them on any CPU; wg_packet_tx_worker() sends them in order.
 * Handshake and keepalive messages are sent from here too.
 */

#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <linux/scatterlist.h>
#include <net/dst_metadata.h>
#include <net/icmp.h>
#include <net/ip_tunnels.h>
#include <net/inet_ecn.h>
#include <crypto/chacha20poly1305.h>

#include "send.h"
#include "receive.h"
#include "device.h"
#include "peer.h"
#include "queueing.h"
#include "socket.h"
#include "timers.h"
#include "cookie.h"
#include "ratelimiter.h"
#include "allowedips.h"
#include "messages.h"
#include "compat.h"

/* Handshakes are best-effort traffic: DSCP AF41 like the reference tools. */
#define HANDSHAKE_DSCP 0x88

static bool key_expired(u64 birthdate_ns, u64 seconds)
{
	return ktime_get_coarse_boottime_ns() > birthdate_ns +
					       seconds * NSEC_PER_SEC;
}

void wg_packet_send_queued_handshake_initiation(struct wg_peer *peer,
						bool is_retry)
{
	if (!is_retry)
		peer->timer_handshake_attempts = 0;

	/* One initiation per REKEY_TIMEOUT, whoever asks for it. */
	if (!key_expired(atomic64_read(&peer->last_sent_handshake),
			 REKEY_TIMEOUT) || unlikely(READ_ONCE(peer->is_dead)))
		return;

	wg_peer_get(peer);
	if (!queue_work(peer->device->handshake_send_wq,
			&peer->transmit_handshake_work))
		wg_peer_put(peer);
}

/* The queued work: builds and sends one initiation. */
void wg_packet_handshake_send_worker(struct work_struct *work)
{
	struct wg_peer *peer = container_of(work, struct wg_peer,
					    transmit_handshake_work);
	struct message_handshake_initiation packet;

	if (!key_expired(atomic64_read(&peer->last_sent_handshake),
			 REKEY_TIMEOUT) || READ_ONCE(peer->is_dead))
		goto out;
	atomic64_set(&peer->last_sent_handshake,
		     ktime_get_coarse_boottime_ns());
	net_dbg_ratelimited("%s: sending handshake initiation to peer %llu\n",
			    peer->device->dev->name, peer->internal_id);

	if (wg_noise_handshake_create_initiation(&packet, &peer->handshake)) {
		wg_cookie_add_mac_to_packet(&packet, sizeof(packet), peer);
		wg_timers_any_authenticated_packet_traversal(peer);
		wg_timers_any_authenticated_packet_sent(peer);
		atomic64_set(&peer->last_sent_handshake,
			     ktime_get_coarse_boottime_ns());
		wg_socket_send_buffer_to_peer(peer, &packet, sizeof(packet),
					      HANDSHAKE_DSCP);
		wg_timers_handshake_initiated(peer);
	}
	memzero_explicit(&packet, sizeof(packet));
out:
	wg_peer_put(peer);
}

void wg_packet_send_handshake_response(struct wg_peer *peer)
{
	struct message_handshake_response packet;

	atomic64_set(&peer->last_sent_handshake,
		     ktime_get_coarse_boottime_ns());
	net_dbg_ratelimited("%s: sending handshake response to peer %llu\n",
			    peer->device->dev->name, peer->internal_id);

	if (wg_noise_handshake_create_response(&packet, &peer->handshake)) {
		wg_cookie_add_mac_to_packet(&packet, sizeof(packet), peer);
		if (wg_noise_handshake_begin_session(&peer->handshake,
						     &peer->keypairs)) {
			wg_timers_session_derived(peer);
			wg_timers_any_authenticated_packet_traversal(peer);
			wg_timers_any_authenticated_packet_sent(peer);
			atomic64_set(&peer->last_sent_handshake,
				     ktime_get_coarse_boottime_ns());
			wg_socket_send_buffer_to_peer(peer, &packet,
						      sizeof(packet),
						      HANDSHAKE_DSCP);
		}
	}
	memzero_explicit(&packet, sizeof(packet));
}

void wg_packet_send_handshake_cookie(struct wg_device *wg,
				     struct sk_buff *initiating_skb,
				     __le32 sender_index)
{
	struct message_handshake_cookie packet;

	wg_cookie_message_create(&packet, initiating_skb, sender_index,
				 &wg->cookie_checker);
	wg_socket_send_buffer_as_reply_to_skb(wg, initiating_skb, &packet,
					      sizeof(packet));
	wg_stats_count(wg, WG_STAT_RX_COOKIE_SENT);
}

/* The initiator renews keys that are old or nearly used up (sheet: Timers). */
static void keep_key_fresh(struct wg_peer *peer)
{
	struct noise_keypair *keypair;
	bool send;

	rcu_read_lock_bh();
	keypair = rcu_dereference_bh(peer->keypairs.current_keypair);
	send = keypair && READ_ONCE(keypair->sending.is_valid) &&
	       (atomic64_read(&keypair->sending_counter) > REKEY_AFTER_MESSAGES ||
		(keypair->i_am_the_initiator &&
		 key_expired(keypair->sending.birthdate, REKEY_AFTER_TIME)));
	rcu_read_unlock_bh();

	if (unlikely(send))
		wg_packet_send_queued_handshake_initiation(peer, false);
}

void wg_packet_send_keepalive(struct wg_peer *peer)
{
	struct sk_buff *skb;

	if (skb_queue_empty_lockless(&peer->staged_packet_queue)) {
		skb = alloc_skb(WG_OUTER_HEADROOM + sizeof(struct message_data) +
				LL_MAX_HEADER + NOISE_AUTHTAG_LEN, GFP_ATOMIC);
		if (unlikely(!skb))
			return;
		skb_reserve(skb, WG_OUTER_HEADROOM +
				 sizeof(struct message_data) + LL_MAX_HEADER);
		skb->dev = peer->device->dev;
		PACKET_CB(skb)->mtu = skb->dev->mtu;
		skb_queue_tail(&peer->staged_packet_queue, skb);
		net_dbg_ratelimited("%s: sending keepalive to peer %llu\n",
				    peer->device->dev->name,
				    peer->internal_id);
	}
	wg_packet_send_staged_packets(peer);
}

void wg_packet_purge_staged_packets(struct wg_peer *peer)
{
	struct sk_buff *skb;

	spin_lock_bh(&peer->staged_packet_queue.lock);
	while ((skb = __skb_dequeue(&peer->staged_packet_queue))) {
		wg_stats_count(peer->device, WG_STAT_TX_STAGED_OVERFLOW);
		kfree_skb(skb);
	}
	spin_unlock_bh(&peer->staged_packet_queue.lock);
}

/* Zero padding to a multiple of 16, but never past the MTU. */
static unsigned int padding_len(const struct sk_buff *skb)
{
	unsigned int mtu = PACKET_CB(skb)->mtu, len = skb->len, padded;

	if (unlikely(!mtu))
		return ALIGN(len, MESSAGE_PADDING_MULTIPLE) - len;
	if (unlikely(len > mtu))
		len %= mtu;
	padded = min(ALIGN(len, MESSAGE_PADDING_MULTIPLE), mtu);
	return padded > len ? padded - len : 0;
}

/* Seals one packet in place: header, padding, ciphertext and tag. */
static bool encrypt_packet(struct sk_buff *skb, struct noise_keypair *keypair)
{
	struct scatterlist sg[MAX_SKB_FRAGS + 8];
	unsigned int padding, plaintext_len;
	struct message_data *header;
	struct sk_buff *trailer;
	int num_frags;

	/* The inner checksum must be final before the payload is hidden. */
	if (skb->ip_summed == CHECKSUM_PARTIAL && skb_checksum_help(skb))
		return false;

	padding = padding_len(skb);
	plaintext_len = skb->len + padding;

	num_frags = skb_cow_data(skb, padding + NOISE_AUTHTAG_LEN, &trailer);
	if (unlikely(num_frags < 0 || num_frags > ARRAY_SIZE(sg)))
		return false;
	if (unlikely(skb_cow_head(skb, sizeof(*header) + WG_OUTER_HEADROOM +
					LL_MAX_HEADER)))
		return false;

	memset(skb_tail_pointer(trailer), 0, padding);
	header = skb_push(skb, sizeof(*header));
	header->header.type = cpu_to_le32(MESSAGE_DATA);
	header->key_idx = keypair->remote_index;
	header->counter = cpu_to_le64(PACKET_CB(skb)->nonce);
	pskb_put(skb, trailer, padding + NOISE_AUTHTAG_LEN);

	sg_init_table(sg, num_frags);
	if (skb_to_sgvec(skb, sg, sizeof(*header),
			 noise_encrypted_len(plaintext_len)) <= 0)
		return false;
	return chacha20poly1305_encrypt_sg_inplace(sg, plaintext_len, NULL, 0,
						   PACKET_CB(skb)->nonce,
						   keypair->sending.key);
}

void wg_packet_encrypt_worker(struct work_struct *work)
{
	struct crypt_queue *queue = container_of(work, struct multicore_worker,
						 work)->ptr;
	struct sk_buff *skb;

	while ((skb = ptr_ring_consume_bh(&queue->ring)) != NULL) {
		struct noise_keypair *keypair = PACKET_CB(skb)->keypair;
		struct wg_peer *peer = keypair->entry.peer;
		enum packet_state state = PACKET_STATE_CRYPTED;

		if (unlikely(!encrypt_packet(skb, keypair)))
			state = PACKET_STATE_DEAD;
		/* Once marked, the tx worker may free skb and keypair. */
		rcu_read_lock_bh();
		wg_packet_set_state(skb, state);
		queue_work(peer->device->packet_crypt_wq,
			   &peer->transmit_packet_work);
		rcu_read_unlock_bh();
		cond_resched();
	}
}

/* Sends a peer's sealed packets in the order they were numbered. */
void wg_packet_tx_worker(struct work_struct *work)
{
	struct wg_peer *peer = container_of(work, struct wg_peer,
					    transmit_packet_work);
	struct wg_device *wg = peer->device;
	enum packet_state state;
	struct sk_buff *skb;

	while ((skb = wg_peer_queue_dequeue_done(&peer->tx_queue, &state))) {
		struct noise_keypair *keypair = PACKET_CB(skb)->keypair;
		unsigned int inner_len = PACKET_CB(skb)->inner_len;
		bool is_data = inner_len != 0;

		if (likely(state == PACKET_STATE_CRYPTED)) {
			wg_timers_any_authenticated_packet_traversal(peer);
			wg_timers_any_authenticated_packet_sent(peer);
			/*
			 * Before the send: the answer may be back and have
			 * stopped the timer before the send returns.
			 */
			if (is_data)
				wg_timers_data_sent(peer);
			if (likely(!wg_socket_send_skb_to_peer(peer, skb,
							       PACKET_CB(skb)->ds))) {
				if (is_data)
					dev_sw_netstats_tx_add(wg->dev, 1,
							       inner_len);
			} else {
				wg_stats_count(wg, WG_STAT_TX_SEND_FAILED);
			}
		} else {
			wg_stats_count(wg, WG_STAT_TX_ENCRYPT_FAILED);
			kfree_skb(skb);
		}
		wg_noise_keypair_put(keypair, false);
		cond_resched();
	}
	keep_key_fresh(peer);
}

/* Numbers @packets under @keypair and hands them to the crypto workers. */
static void queue_for_encryption(struct wg_peer *peer,
				 struct sk_buff_head *packets,
				 struct noise_keypair *keypair)
{
	unsigned int queued = 0, count = skb_queue_len(packets);
	struct wg_device *wg = peer->device;
	struct sk_buff *skb;

	/* The caller's keypair reference covers the first packet. */
	refcount_add(count - 1, &keypair->refcount.refcount);
	while ((skb = __skb_dequeue(packets))) {
		PACKET_CB(skb)->keypair = keypair;
		wg_peer_queue_enqueue(&peer->tx_queue, skb);
		if (likely(wg_crypt_queue_produce(&wg->encrypt_queue, skb))) {
			++queued;
			continue;
		}
		wg_stats_count(wg, WG_STAT_TX_QUEUE_FULL);
		wg_packet_set_state(skb, PACKET_STATE_DEAD);
		queue_work(wg->packet_crypt_wq, &peer->transmit_packet_work);
	}
	wg_crypt_queue_kick(&wg->encrypt_queue, wg->packet_crypt_wq, queued);
}

void wg_packet_send_staged_packets(struct wg_peer *peer)
{
	struct noise_keypair *keypair;
	struct sk_buff_head packets;
	struct sk_buff *skb;

	/* Take everything staged so far; later packets stage behind it. */
	__skb_queue_head_init(&packets);
	spin_lock_bh(&peer->staged_packet_queue.lock);
	skb_queue_splice_init(&peer->staged_packet_queue, &packets);
	spin_unlock_bh(&peer->staged_packet_queue.lock);
	if (unlikely(skb_queue_empty(&packets)))
		return;

	rcu_read_lock_bh();
	keypair = wg_noise_keypair_get(rcu_dereference_bh(peer->keypairs.current_keypair));
	rcu_read_unlock_bh();
	if (unlikely(!keypair))
		goto out_nokey;
	if (unlikely(!READ_ONCE(keypair->sending.is_valid)))
		goto out_nokey;
	if (unlikely(key_expired(keypair->sending.birthdate,
				 REJECT_AFTER_TIME)))
		goto out_invalid;

	skb_queue_walk(&packets, skb) {
		u64 nonce = atomic64_inc_return(&keypair->sending_counter) - 1;

		if (unlikely(nonce >= REJECT_AFTER_MESSAGES))
			goto out_invalid;
		PACKET_CB(skb)->nonce = nonce;
		PACKET_CB(skb)->inner_len = skb->len;
		PACKET_CB(skb)->ds = skb->len ?
			ip_tunnel_ecn_encap(0, ip_hdr(skb), skb) : 0;
	}
	queue_for_encryption(peer, &packets, keypair);
	return;

out_invalid:
	WRITE_ONCE(keypair->sending.is_valid, false);
out_nokey:
	wg_noise_keypair_put(keypair, false);

	/*
	 * Waiting for a handshake can take seconds: let go of the sender's
	 * socket memory meanwhile, so a stalled peer cannot block the sender.
	 */
	skb_queue_walk(&packets, skb)
		skb_orphan(skb);

	/* Back in front of whatever was staged meanwhile, oldest dropped. */
	spin_lock_bh(&peer->staged_packet_queue.lock);
	skb_queue_splice(&packets, &peer->staged_packet_queue);
	while (skb_queue_len(&peer->staged_packet_queue) > MAX_STAGED_PACKETS) {
		kfree_skb(__skb_dequeue(&peer->staged_packet_queue));
		wg_stats_count(peer->device, WG_STAT_TX_STAGED_OVERFLOW);
	}
	spin_unlock_bh(&peer->staged_packet_queue.lock);

	wg_packet_send_queued_handshake_initiation(peer, false);
}

static void icmp_unreachable(struct sk_buff *skb, __be16 protocol)
{
	if (protocol == htons(ETH_P_IP))
		icmp_ndo_send(skb, ICMP_DEST_UNREACH, ICMP_HOST_UNREACH, 0);
	else if (IS_ENABLED(CONFIG_IPV6) && protocol == htons(ETH_P_IPV6))
		icmpv6_ndo_send(skb, ICMPV6_DEST_UNREACH, ICMPV6_ADDR_UNREACH,
				0);
}

netdev_tx_t wg_xmit(struct sk_buff *skb, struct net_device *dev)
{
	struct wg_device *wg = netdev_priv(dev);
	struct sk_buff_head packets;
	struct wg_peer *peer;
	struct sk_buff *next;
	enum wg_stat why;
	__be16 protocol;
	u32 mtu;

	protocol = wg_examine_packet_protocol(skb);
	if (unlikely(!protocol || protocol != skb->protocol)) {
		why = WG_STAT_TX_BAD_INNER;
		goto err;
	}

	rcu_read_lock_bh();
	peer = wg_peer_get_maybe_zero(wg_allowedips_lookup_dst(&wg->peer_allowedips,
							       skb));
	rcu_read_unlock_bh();
	if (unlikely(!peer)) {
		why = WG_STAT_TX_NO_PEER;
		if (protocol == htons(ETH_P_IP))
			net_dbg_ratelimited("%s: no peer for IPv4 destination %pI4\n",
					    dev->name, &ip_hdr(skb)->daddr);
		else
			net_dbg_ratelimited("%s: no peer for IPv6 destination %pI6\n",
					    dev->name, &ipv6_hdr(skb)->daddr);
		goto err_icmp;
	}
	if (unlikely(!READ_ONCE(peer->endpoint.addr.sa_family))) {
		why = WG_STAT_TX_NO_ENDPOINT;
		net_dbg_ratelimited("%s: no endpoint for peer %llu\n",
				    dev->name, peer->internal_id);
		goto err_peer;
	}

	mtu = skb_valid_dst(skb) ? dst_mtu(skb_dst(skb)) : dev->mtu;

	__skb_queue_head_init(&packets);
	if (skb_is_gso(skb)) {
		struct sk_buff *segs = skb_gso_segment(skb, 0);

		if (IS_ERR_OR_NULL(segs)) {
			why = WG_STAT_TX_BAD_INNER;
			goto err_peer;
		}
		dev_kfree_skb(skb);
		skb = segs;
	}
	skb_list_walk_safe(skb, skb, next) {
		skb_mark_not_on_list(skb);
		skb = skb_share_check(skb, GFP_ATOMIC);
		if (unlikely(!skb))
			continue;
		/* The packet leaves this namespace's stack: forget its past. */
		skb_dst_drop(skb);
		nf_reset_ct(skb);
		skb->mark = 0;
		PACKET_CB(skb)->mtu = mtu;
		__skb_queue_tail(&packets, skb);
	}

	spin_lock_bh(&peer->staged_packet_queue.lock);
	skb_queue_splice_tail(&packets, &peer->staged_packet_queue);
	while (skb_queue_len(&peer->staged_packet_queue) > MAX_STAGED_PACKETS) {
		kfree_skb(__skb_dequeue(&peer->staged_packet_queue));
		wg_stats_count(wg, WG_STAT_TX_STAGED_OVERFLOW);
	}
	spin_unlock_bh(&peer->staged_packet_queue.lock);

	wg_packet_send_staged_packets(peer);
	wg_peer_put(peer);
	return NETDEV_TX_OK;

err_peer:
	wg_peer_put(peer);
err_icmp:
	icmp_unreachable(skb, protocol);
err:
	wg_stats_count(wg, why);
	kfree_skb(skb);
	return NETDEV_TX_OK;
}

/* The data path's device-wide state (queueing.h). */
int wg_packet_device_init(struct wg_device *wg)
{
	int ret = -ENOMEM;

	wg->handshake_receive_wq = alloc_workqueue("wg-kex-rx",
						   WQ_CPU_INTENSIVE | WQ_FREEZABLE, 0);
	if (!wg->handshake_receive_wq)
		return ret;
	wg->handshake_send_wq = alloc_workqueue("wg-kex-tx",
						WQ_UNBOUND | WQ_FREEZABLE, 0);
	if (!wg->handshake_send_wq)
		goto err_destroy_receive_wq;
	wg->packet_crypt_wq = alloc_workqueue("wg-crypt",
					      WQ_CPU_INTENSIVE | WQ_MEM_RECLAIM, 0);
	if (!wg->packet_crypt_wq)
		goto err_destroy_send_wq;

	ret = wg_crypt_queue_init(&wg->encrypt_queue, wg_packet_encrypt_worker,
				  MAX_QUEUED_PACKETS);
	if (ret)
		goto err_destroy_crypt_wq;
	ret = wg_crypt_queue_init(&wg->decrypt_queue, wg_packet_decrypt_worker,
				  MAX_QUEUED_PACKETS);
	if (ret)
		goto err_free_encrypt;
	ret = wg_crypt_queue_init(&wg->handshake_queue,
				  wg_packet_handshake_receive_worker,
				  MAX_QUEUED_INCOMING_HANDSHAKES);
	if (ret)
		goto err_free_decrypt;
	ret = ptr_ring_init(&wg->handshake_vetted, MAX_QUEUED_VETTED_HANDSHAKES,
			    GFP_KERNEL);
	if (ret)
		goto err_free_handshake;
	ret = wg_stats_init(wg);
	if (ret)
		goto err_free_vetted;
	ret = wg_ratelimiter_init();
	if (ret)
		goto err_free_stats;
	wg_cookie_checker_init(&wg->cookie_checker, wg);
	return 0;

err_free_stats:
	wg_stats_free(wg);
err_free_vetted:
	ptr_ring_cleanup(&wg->handshake_vetted, wg_ring_free_skb);
err_free_handshake:
	wg_crypt_queue_free(&wg->handshake_queue, true);
err_free_decrypt:
	wg_crypt_queue_free(&wg->decrypt_queue, false);
err_free_encrypt:
	wg_crypt_queue_free(&wg->encrypt_queue, false);
err_destroy_crypt_wq:
	destroy_workqueue(wg->packet_crypt_wq);
err_destroy_send_wq:
	destroy_workqueue(wg->handshake_send_wq);
err_destroy_receive_wq:
	destroy_workqueue(wg->handshake_receive_wq);
	return ret;
}

/* After every peer is gone: nothing can queue work any more. */
void wg_packet_device_destroy(struct wg_device *wg)
{
	destroy_workqueue(wg->handshake_receive_wq);
	destroy_workqueue(wg->handshake_send_wq);
	destroy_workqueue(wg->packet_crypt_wq);
	ptr_ring_cleanup(&wg->handshake_vetted, wg_ring_free_skb);
	wg_crypt_queue_free(&wg->handshake_queue, true);
	wg_crypt_queue_free(&wg->decrypt_queue, false);
	wg_crypt_queue_free(&wg->encrypt_queue, false);
	wg_cookie_checker_uninit(&wg->cookie_checker);
	wg_ratelimiter_uninit();
	wg_stats_free(wg);
}

void wg_packet_device_up(struct wg_device *wg)
{
	struct wg_peer *peer;

	lockdep_assert_held(&wg->device_update_lock);
	list_for_each_entry(peer, &wg->peer_list, peer_list) {
		wg_packet_send_staged_packets(peer);
		if (peer->persistent_keepalive_interval)
			wg_packet_send_keepalive(peer);
	}
}

/* Sockets are closed already: forget sessions, keep configuration. */
void wg_packet_device_down(struct wg_device *wg)
{
	struct wg_peer *peer;

	lockdep_assert_held(&wg->device_update_lock);
	list_for_each_entry(peer, &wg->peer_list, peer_list) {
		wg_packet_purge_staged_packets(peer);
		wg_timers_stop(peer);
		wg_noise_handshake_clear(&peer->handshake);
		wg_noise_keypairs_clear(&peer->keypairs);
		wg_timers_reset_last_sent_handshake(peer);
	}
}

void wg_packet_peer_init(struct wg_peer *peer)
{
	skb_queue_head_init(&peer->tx_queue);
	skb_queue_head_init(&peer->rx_queue);
	INIT_WORK(&peer->transmit_packet_work, wg_packet_tx_worker);
	INIT_WORK(&peer->transmit_handshake_work,
		  wg_packet_handshake_send_worker);
	wg_packet_rx_peer_init(peer);
}

/*
 * Stops a batch of unlinked peers (peer.c): after one grace period nothing
 * can find them, so once the workers have drained, their queues are theirs
 * alone to empty.
 */
void wg_packet_peers_stop(struct wg_device *wg, struct list_head *peers)
{
	struct wg_peer *peer;

	list_for_each_entry(peer, peers, peer_list) {
		wg_timers_stop(peer);
		wg_packet_rx_peer_stop(peer);
		/* Each holds a reference that only running it puts back. */
		flush_work(&peer->transmit_handshake_work);
	}
	/* In-flight handshakes and crypto finish once for the whole batch. */
	flush_workqueue(wg->handshake_receive_wq);
	flush_workqueue(wg->packet_crypt_wq);
	list_for_each_entry(peer, peers, peer_list) {
		flush_work(&peer->transmit_packet_work);
		wg_peer_queue_purge(&peer->tx_queue);
		wg_peer_queue_purge(&peer->rx_queue);
		skb_queue_purge(&peer->staged_packet_queue);
		wg_packet_rx_peer_del(peer);
	}
}
