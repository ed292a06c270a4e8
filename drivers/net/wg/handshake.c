// SPDX-License-Identifier: GPL-2.0
/*
 * Handshakes (handshake.h): the Protocol's messages in and out, and the
 * sessions they make.
 *
 * Out: who wants an initiation sent puts the peer on the device's list
 * (once) and the initiation worker sends at most one per REKEY_TIMEOUT to
 * each peer. The Noise computations happen on a copy of the handshake
 * state, outside any lock; the live part's lock only guards taking and
 * committing it.
 *
 * In: the receive softirq queues handshake messages for one worker per
 * device, which handles them one at a time. That makes the per-peer
 * checks of initiations (newest timestamp, at most 50 per second) plain
 * reads and writes. Under load (a long queue) a message is first checked
 * as it arrives: one with our cookie in its mac2 and within its source's
 * rate goes to the vetted queue, which the worker empties first; one
 * with a good mac1 only waits in the short queue and is answered with a
 * cookie reply; anything else is dropped.
 */

#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <crypto/algapi.h>
#include <crypto/curve25519.h>

#include "handshake.h"
#include "cb.h"
#include "cookie.h"
#include "device.h"
#include "events.h"
#include "noise.h"
#include "peer.h"
#include "peerlookup.h"
#include "ratelimiter.h"
#include "rx.h"
#include "session.h"
#include "socket.h"
#include "stats.h"
#include "timers.h"
#include "tx.h"

/* Handshakes travel as AF41, ahead of bulk traffic where DSCP is honoured. */
#define HANDSHAKE_DS		0x88
#define INTAKE_DEPTH		4096
/* Queue length that means "under load", and stays meaning it for a second. */
#define LOAD_THRESHOLD		(INTAKE_DEPTH / 8)
#define VETTED_DEPTH		(INTAKE_DEPTH / 4)

static u64 now_ns(void)
{
	return ktime_get_coarse_boottime_ns();
}

/* What both directions need. */

static int send_message(struct wg_peer *peer, struct wg_live *live,
			const void *msg, size_t len)
{
	struct sk_buff *skb;
	int ret;

	skb = alloc_skb(LL_MAX_HEADER + WG_OUTER_ROOM + len, GFP_ATOMIC);
	if (!skb)
		return -ENOMEM;
	skb_reserve(skb, LL_MAX_HEADER + WG_OUTER_ROOM);
	skb_put_data(skb, msg, len);
	ret = wg_socket_send(peer, live, skb, HANDSHAKE_DS, 0);
	if (!ret) {
		wg_tx_count(peer, 1, len);
		wg_timers_sent(peer, false, now_ns());
	} else if (ret != -ELOOP) {
		wg_stats_count(peer->wg, WG_STAT_TX_SEND_FAILED);
	}
	return ret;
}

static void source_of(struct sk_buff *skb, const u8 **addr, size_t *len,
		      __be16 *port)
{
	if (skb->protocol == htons(ETH_P_IP)) {
		*addr = (const u8 *)&ip_hdr(skb)->saddr;
		*len = sizeof(ip_hdr(skb)->saddr);
	} else {
		*addr = (const u8 *)&ipv6_hdr(skb)->saddr;
		*len = sizeof(ipv6_hdr(skb)->saddr);
	}
	*port = udp_hdr(skb)->source;
}

/* A handshake completed and made session @s, in either role. */
static void completed(struct wg_peer *peer, struct wg_live *live,
		      struct wg_session *s, struct sk_buff *skb, u64 now)
{
	wg_rx_learn_endpoint(peer, skb);
	wg_session_install(live, s);
	clear_bit(WG_PEER_RENEWING, &peer->flags);
	wg_rx_count(peer, 1, skb->len);
	wg_timers_received(peer, false, now);
	wg_timers_handshake_done(peer, now);
	WRITE_ONCE(peer->last_handshake_wall, ktime_get_real_ns());
	wg_peer_count(peer, WG_PC_HS_COMPLETED, 1);
	wg_event_handshake_done(peer);
}

/* Initiations out. */

static void send_initiation(struct wg_device *wg, struct wg_peer *peer,
			    bool retry)
{
	struct noise_handshakestate hs;
	struct wg_msg_initiation msg;
	const struct noise_static *st;
	u8 e_priv[WG_KEY_SIZE];
	u8 ts[WG_TAI64N_SIZE];
	struct wg_live *live;
	u64 now = now_ns();
	u64 last = READ_ONCE(peer->clock.init_sent);
	__le32 id;
	bool ok;

	/* One per REKEY_TIMEOUT, however many ask (a retry comes later). */
	if (last && now - last < (u64)WG_REKEY_TIMEOUT * NSEC_PER_SEC)
		return;
	rcu_read_lock();
	st = wg_identity(wg);
	if (!st || !netif_running(wg->dev) ||
	    !READ_ONCE(peer->endpoint.sa.sa_family))
		goto out;
	live = wg_peer_ensure_live(peer);
	if (!live)
		goto out;

	/* A fresh index; an older initiation's goes, its response is void. */
	spin_lock_bh(&live->lock);
	if (live->dead) {
		spin_unlock_bh(&live->lock);
		goto out;
	}
	if (live->hs_pending)
		wg_index_table_remove(&wg->by_index, &live->hs_index);
	live->hs_pending = !wg_index_table_insert(&wg->by_index,
						  &live->hs_index);
	id = live->hs_index.id;
	ok = live->hs_pending;
	spin_unlock_bh(&live->lock);
	if (!ok)
		goto out;

	curve25519_generate_secret(e_priv);
	wg_noise_tai64n_now(ts);
	wg_noise_initialize(&hs, st, true, peer->public_key, peer->psk);
	ok = wg_noise_initiation_write(&hs, st, e_priv, ts, id, &msg);
	memzero_explicit(e_priv, sizeof(e_priv));

	spin_lock_bh(&live->lock);
	if (ok && !live->dead && live->hs_pending && live->hs_index.id == id) {
		live->hs = hs;
		wg_cookie_add_macs(&live->cookie, live->mac1_key, &msg,
				   sizeof(msg), now);
	} else {
		ok = false;
	}
	spin_unlock_bh(&live->lock);
	memzero_explicit(&hs, sizeof(hs));
	if (!ok)
		goto out;

	wg_peer_count(peer, WG_PC_HS_INITIATED, 1);
	wg_timers_init_sent(peer, retry, now);
	send_message(peer, live, &msg, sizeof(msg));
out:
	rcu_read_unlock();
}

static void init_worker(struct work_struct *work)
{
	struct wg_device *wg = container_of(work, struct wg_device, init_work);
	struct llist_node *list, *next;
	struct wg_peer *peer;
	bool retry;

	list = llist_reverse_order(llist_del_all(&wg->want_init));
	for (; list; list = next) {
		next = list->next;
		peer = container_of(list, struct wg_peer, want_init);
		retry = test_and_clear_bit(WG_PEER_RETRY, &peer->flags);
		clear_bit(WG_PEER_WANT_INIT, &peer->flags);
		if (!test_bit(WG_PEER_DEAD, &peer->flags))
			send_initiation(wg, peer, retry);
		wg_peer_put(peer);
		cond_resched();
	}
}

void wg_handshake_want(struct wg_peer *peer, bool retry)
{
	struct wg_device *wg = peer->wg;

	if (retry)
		set_bit(WG_PEER_RETRY, &peer->flags);
	if (test_and_set_bit(WG_PEER_WANT_INIT, &peer->flags))
		return;
	rcu_read_lock();
	if (!wg_peer_get_live(peer)) {
		clear_bit(WG_PEER_WANT_INIT, &peer->flags);
		rcu_read_unlock();
		return;
	}
	rcu_read_unlock();
	llist_add(&peer->want_init, &wg->want_init);
	queue_work(wg->hs_wq, &wg->init_work);
}

void wg_handshake_persistent_start(struct wg_peer *peer)
{
	struct wg_device *wg = peer->wg;

	if (!READ_ONCE(peer->clock.persistent_keepalive) ||
	    !netif_running(wg->dev) || !rcu_access_pointer(wg->identity))
		return;
	wg_tx_keepalive(peer);
}

void wg_handshake_abandon(struct wg_peer *peer)
{
	struct wg_live *live;
	bool idle = false;

	rcu_read_lock_bh();
	live = wg_live_of(peer);
	if (live) {
		spin_lock_bh(&live->lock);
		if (live->hs_pending) {
			wg_index_table_remove(&peer->wg->by_index,
					      &live->hs_index);
			live->hs_pending = false;
			memzero_explicit(&live->hs, sizeof(live->hs));
		}
		idle = !rcu_access_pointer(live->prev) &&
		       !rcu_access_pointer(live->cur) &&
		       !rcu_access_pointer(live->next);
		spin_unlock_bh(&live->lock);
	}
	rcu_read_unlock_bh();
	/* Nothing left to talk with: the peer goes back to costing little. */
	if (idle)
		wg_peer_retire_live(peer);
}

/* Messages in. */

static void take_initiation(struct wg_device *wg, struct sk_buff *skb,
			    const struct noise_static *st)
{
	struct wg_msg_initiation *msg = (void *)skb->data;
	struct noise_transport_keys keys;
	struct noise_handshakestate hs;
	struct wg_msg_response resp;
	struct wg_session *s = NULL;
	u8 e_priv[WG_KEY_SIZE];
	u8 ts[WG_TAI64N_SIZE];
	struct wg_peer *peer;
	struct wg_live *live;
	u64 now = now_ns();
	bool ok;

	if (!wg_noise_initiation_read(&hs, st, msg, ts))
		goto bad;
	peer = wg_pubkey_table_lookup(&wg->by_key, hs.rs);
	if (!peer || test_bit(WG_PEER_DEAD, &peer->flags))
		goto bad;
	/* Replayed, or a flood of genuine ones: one worker, plain fields. */
	if (memcmp(ts, peer->latest_timestamp, WG_TAI64N_SIZE) <= 0 ||
	    now - peer->last_init_received < NSEC_PER_SEC / WG_INITIATIONS_PER_SECOND)
		goto bad;
	memcpy(peer->latest_timestamp, ts, WG_TAI64N_SIZE);
	peer->last_init_received = now;

	live = wg_peer_ensure_live(peer);
	if (!live)
		goto out;
	s = wg_session_create(peer, msg->sender, false);
	if (!s)
		goto out;
	if (wg_session_add_index(s)) {
		wg_session_put(s);
		goto out;
	}
	curve25519_generate_secret(e_priv);
	ok = wg_noise_response_write(&hs, st, peer->psk, e_priv, s->index.id,
				     msg->sender, &resp, &keys);
	memzero_explicit(e_priv, sizeof(e_priv));
	if (!ok) {
		wg_session_drop(s);
		goto bad;
	}
	wg_session_set_keys(s, &keys);
	memzero_explicit(&keys, sizeof(keys));
	spin_lock_bh(&live->lock);
	wg_cookie_add_macs(&live->cookie, live->mac1_key, &resp, sizeof(resp),
			   now);
	spin_unlock_bh(&live->lock);

	completed(peer, live, s, skb, now);
	send_message(peer, live, &resp, sizeof(resp));
	goto out;
bad:
	wg_stats_count(wg, WG_STAT_RX_BAD_HANDSHAKE);
out:
	memzero_explicit(&hs, sizeof(hs));
}

static void take_response(struct wg_device *wg, struct sk_buff *skb,
			  const struct noise_static *st)
{
	struct wg_msg_response *msg = (void *)skb->data;
	struct noise_transport_keys keys;
	struct noise_handshakestate hs;
	struct wg_index *entry;
	struct wg_session *s;
	struct wg_live *live;
	struct wg_peer *peer;
	u64 now = now_ns();
	bool ok;

	entry = wg_index_table_lookup(&wg->by_index, WG_INDEX_HANDSHAKE,
				      msg->receiver);
	if (!entry)
		goto bad;
	live = container_of(entry, struct wg_live, hs_index);
	peer = live->peer;

	spin_lock_bh(&live->lock);
	ok = !live->dead && live->hs_pending &&
	     live->hs_index.id == msg->receiver;
	if (ok)
		hs = live->hs;
	spin_unlock_bh(&live->lock);
	if (!ok)
		goto bad;
	ok = wg_noise_response_read(&hs, st, msg, &keys);
	memzero_explicit(&hs, sizeof(hs));
	if (!ok)
		goto bad;

	s = wg_session_create(peer, msg->sender, true);
	if (!s) {
		memzero_explicit(&keys, sizeof(keys));
		return;
	}
	wg_session_set_keys(s, &keys);
	memzero_explicit(&keys, sizeof(keys));

	/*
	 * The handshake is spent, unless a newer one took its place; the
	 * session takes over its index, which the responder now sends to.
	 */
	spin_lock_bh(&live->lock);
	ok = !live->dead && live->hs_pending &&
	     live->hs_index.id == msg->receiver &&
	     !wg_index_table_replace(&wg->by_index, &live->hs_index, &s->index);
	if (ok) {
		live->hs_pending = false;
		memzero_explicit(&live->hs, sizeof(live->hs));
	}
	spin_unlock_bh(&live->lock);
	if (!ok) {
		wg_session_put(s);
		return;
	}
	completed(peer, live, s, skb, now);
	/* Confirm the session to the responder: data, or else a keepalive. */
	wg_tx_flush_staged(peer, true);
	return;
bad:
	wg_stats_count(wg, WG_STAT_RX_BAD_HANDSHAKE);
}

static void take_cookie(struct wg_device *wg, struct sk_buff *skb)
{
	struct wg_msg_cookie *msg = (void *)skb->data;
	struct wg_index *entry;
	struct wg_peer *peer;
	struct wg_live *live;
	bool ok = false;

	entry = wg_index_table_lookup(&wg->by_index,
				      WG_INDEX_HANDSHAKE | WG_INDEX_SESSION,
				      msg->receiver);
	if (!entry) {
		wg_stats_count(wg, WG_STAT_RX_UNKNOWN_INDEX);
		return;
	}
	if (entry->kind == WG_INDEX_HANDSHAKE)
		peer = container_of(entry, struct wg_live, hs_index)->peer;
	else
		peer = container_of(entry, struct wg_session, index)->peer;
	live = wg_live_of(peer);
	if (live) {
		spin_lock_bh(&live->lock);
		ok = wg_cookie_reply_take(&live->cookie, live->cookie_key, msg,
					  now_ns());
		spin_unlock_bh(&live->lock);
	}
	if (ok)
		wg_rx_count(peer, 1, skb->len);
	else
		wg_stats_count(wg, WG_STAT_RX_BAD_HANDSHAKE);
}

static bool under_load(struct wg_device *wg, u64 now)
{
	if (atomic_read(&wg->intake.queued) >= LOAD_THRESHOLD) {
		WRITE_ONCE(wg->intake.load_until, now + NSEC_PER_SEC);
		return true;
	}
	return now < READ_ONCE(wg->intake.load_until);
}

/* The macs of @skb's message, against our key; under load mac2 too. */
static enum wg_mac_verdict check_macs(struct wg_device *wg,
				      const struct noise_static *st,
				      struct sk_buff *skb, bool load, u64 now)
{
	const u8 *addr;
	__be16 port;
	size_t len;

	source_of(skb, &addr, &len, &port);
	return wg_cookie_check_macs(&wg->jar, st->mac1_key, skb->data,
				    skb->len, load, now, addr, len, port);
}

static void send_cookie(struct wg_device *wg, const struct noise_static *st,
			struct sk_buff *skb, u64 now)
{
	struct wg_msg_cookie reply;
	const u8 *addr;
	__be16 port;
	size_t len;

	/* Both messages carry the sender's index right after the type. */
	source_of(skb, &addr, &len, &port);
	wg_cookie_reply_make(&wg->jar, st->cookie_key, skb->data, skb->len,
			     ((struct wg_msg_initiation *)skb->data)->sender,
			     now, addr, len, port, &reply);
	wg_socket_reply(wg, skb, &reply, sizeof(reply));
	wg_stats_count(wg, WG_STAT_RX_COOKIE_SENT);
}

static void take_message(struct wg_device *wg, struct sk_buff *skb,
			 bool vetted)
{
	unsigned int type = le32_to_cpup((__le32 *)skb->data);
	const struct noise_static *st;
	u64 now = now_ns();
	bool load;

	rcu_read_lock_bh();
	if (type == WG_MSG_COOKIE) {
		take_cookie(wg, skb);
		goto out;
	}
	st = wg_identity(wg);
	if (!st) {
		wg_stats_count(wg, WG_STAT_RX_BAD_MAC1);
		goto out;
	}
	if (!vetted) {
		load = under_load(wg, now);
		switch (check_macs(wg, st, skb, load, now)) {
		case WG_MAC2_GOOD:
			if (load && !wg_ratelimiter_allow(skb, dev_net(wg->dev))) {
				wg_stats_count(wg, WG_STAT_RX_RATELIMITED);
				goto out;
			}
			break;
		case WG_MAC1_ONLY:
			if (!load)
				break;
			send_cookie(wg, st, skb, now);
			goto out;
		default:
			wg_stats_count(wg, WG_STAT_RX_BAD_MAC1);
			goto out;
		}
	}
	if (type == WG_MSG_INITIATION)
		take_initiation(wg, skb, st);
	else
		take_response(wg, skb, st);
out:
	rcu_read_unlock_bh();
}

static void intake_worker(struct work_struct *work)
{
	struct wg_device *wg = container_of(work, struct wg_device, intake.work);
	struct sk_buff *skb;
	bool vetted;

	for (;;) {
		vetted = true;
		skb = ptr_ring_consume_bh(&wg->intake.vetted);
		if (!skb) {
			vetted = false;
			skb = ptr_ring_consume_bh(&wg->intake.queue);
		}
		if (!skb)
			break;
		take_message(wg, skb, vetted);
		if (!vetted)
			atomic_dec(&wg->intake.queued);
		consume_skb(skb);
		cond_resched();
	}
}

void wg_handshake_receive(struct wg_device *wg, struct sk_buff *skb,
			  unsigned int type)
{
	struct wg_intake *in = &wg->intake;
	unsigned int limit = INTAKE_DEPTH;
	const struct noise_static *st;
	u64 now = now_ns();

	if (type != WG_MSG_COOKIE && under_load(wg, now)) {
		st = wg_identity(wg);
		if (!st) {
			wg_stats_count(wg, WG_STAT_RX_BAD_MAC1);
			goto drop;
		}
		switch (check_macs(wg, st, skb, true, now)) {
		case WG_MAC2_GOOD:
			if (!wg_ratelimiter_allow(skb, dev_net(wg->dev))) {
				wg_stats_count(wg, WG_STAT_RX_RATELIMITED);
				goto drop;
			}
			if (ptr_ring_produce_bh(&in->vetted, skb))
				goto full;
			queue_work(wg->hs_wq, &in->work);
			return;
		case WG_MAC1_ONLY:
			/* Worth a cookie reply, if that reply comes soon. */
			limit = LOAD_THRESHOLD;
			break;
		default:
			wg_stats_count(wg, WG_STAT_RX_BAD_MAC1);
			goto drop;
		}
	}
	if (atomic_inc_return(&in->queued) > limit ||
	    ptr_ring_produce_bh(&in->queue, skb)) {
		atomic_dec(&in->queued);
		goto full;
	}
	queue_work(wg->hs_wq, &in->work);
	return;
full:
	wg_stats_count(wg, WG_STAT_RX_HANDSHAKE_QUEUE_FULL);
drop:
	kfree_skb(skb);
}

static void free_message(void *ptr)
{
	kfree_skb(ptr);
}

int wg_handshake_init(struct wg_device *wg)
{
	int ret;

	wg->hs_wq = alloc_workqueue("wg-handshake", WQ_UNBOUND | WQ_FREEZABLE, 0);
	if (!wg->hs_wq)
		return -ENOMEM;
	ret = ptr_ring_init(&wg->intake.queue, INTAKE_DEPTH, GFP_KERNEL);
	if (ret)
		goto err_wq;
	ret = ptr_ring_init(&wg->intake.vetted, VETTED_DEPTH, GFP_KERNEL);
	if (ret)
		goto err_queue;
	ret = wg_ratelimiter_init();
	if (ret)
		goto err_vetted;
	atomic_set(&wg->intake.queued, 0);
	INIT_WORK(&wg->intake.work, intake_worker);
	init_llist_head(&wg->want_init);
	INIT_WORK(&wg->init_work, init_worker);
	wg_cookie_jar_init(&wg->jar);
	return 0;

err_vetted:
	ptr_ring_cleanup(&wg->intake.vetted, free_message);
err_queue:
	ptr_ring_cleanup(&wg->intake.queue, free_message);
err_wq:
	destroy_workqueue(wg->hs_wq);
	return ret;
}

void wg_handshake_flush(struct wg_device *wg)
{
	flush_workqueue(wg->hs_wq);
}

void wg_handshake_destroy(struct wg_device *wg)
{
	destroy_workqueue(wg->hs_wq);
	ptr_ring_cleanup(&wg->intake.vetted, free_message);
	ptr_ring_cleanup(&wg->intake.queue, free_message);
	wg_ratelimiter_uninit();
	wg_cookie_jar_destroy(&wg->jar);
}
