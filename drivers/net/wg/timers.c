// SPDX-License-Identifier: GPL-2.0
/*
 * Per-peer protocol timers (protocol sheet: "Timers"):
 *
 * retransmit_handshake  an initiation went unanswered for REKEY_TIMEOUT
 *                       (plus jitter): retry, give up after REKEY_ATTEMPT_TIME
 * send_keepalive        we received data but sent nothing for
 *                       KEEPALIVE_TIMEOUT: send a keepalive
 * new_handshake         we sent data but heard nothing for
 *                       KEEPALIVE_TIMEOUT + REKEY_TIMEOUT: new handshake
 * zero_key_material     no new handshake for 3 * REJECT_AFTER_TIME: wipe keys
 * persistent_keepalive  nothing sent for the configured interval: keepalive
 *
 * A timer is only armed while the peer is alive and its device is up, so
 * once wg_peer_unlink() has marked a peer dead (and a grace period passed)
 * wg_timers_stop() is final.
 */

#include <linux/jiffies.h>
#include <linux/random.h>

#include "timers.h"
#include "peer.h"
#include "device.h"
#include "send.h"
#include "socket.h"
#include "compat.h"

#define MAX_TIMER_HANDSHAKES (REKEY_ATTEMPT_TIME / REKEY_TIMEOUT)

static void mod_peer_timer(struct wg_peer *peer, struct timer_list *timer,
			   unsigned long expires)
{
	rcu_read_lock_bh();
	if (likely(netif_running(peer->device->dev) &&
		   !READ_ONCE(peer->is_dead)))
		mod_timer(timer, expires);
	rcu_read_unlock_bh();
}

static unsigned long jitter(void)
{
	return get_random_u32_below(REKEY_TIMEOUT_JITTER_MAX_JIFFIES);
}

static void expired_retransmit_handshake(struct timer_list *timer)
{
	struct wg_peer *peer = timer_container_of(peer, timer,
						  timer_retransmit_handshake);

	if (peer->timer_handshake_attempts > MAX_TIMER_HANDSHAKES) {
		net_dbg_ratelimited("%s: peer %llu did not answer %d attempts, giving up\n",
				    peer->device->dev->name, peer->internal_id,
				    MAX_TIMER_HANDSHAKES + 2);
		timer_delete(&peer->timer_send_keepalive);
		/* Nobody will carry them: drop what waited for the session. */
		wg_packet_purge_staged_packets(peer);
		if (!timer_pending(&peer->timer_zero_key_material))
			mod_peer_timer(peer, &peer->timer_zero_key_material,
				       jiffies + REJECT_AFTER_TIME * 3 * HZ);
		return;
	}
	++peer->timer_handshake_attempts;
	net_dbg_ratelimited("%s: peer %llu did not answer in %d seconds, retry %u\n",
			    peer->device->dev->name, peer->internal_id,
			    REKEY_TIMEOUT, peer->timer_handshake_attempts + 1);
	/* Maybe our source address went away: let routing pick anew. */
	wg_socket_clear_peer_endpoint_src(peer);
	wg_packet_send_queued_handshake_initiation(peer, true);
}

static void expired_send_keepalive(struct timer_list *timer)
{
	struct wg_peer *peer = timer_container_of(peer, timer,
						  timer_send_keepalive);

	wg_packet_send_keepalive(peer);
	if (peer->timer_need_another_keepalive) {
		peer->timer_need_another_keepalive = false;
		mod_peer_timer(peer, &peer->timer_send_keepalive,
			       jiffies + KEEPALIVE_TIMEOUT * HZ);
	}
}

static void expired_new_handshake(struct timer_list *timer)
{
	struct wg_peer *peer = timer_container_of(peer, timer,
						  timer_new_handshake);

	net_dbg_ratelimited("%s: peer %llu silent for %d seconds, new handshake\n",
			    peer->device->dev->name, peer->internal_id,
			    KEEPALIVE_TIMEOUT + REKEY_TIMEOUT);
	wg_socket_clear_peer_endpoint_src(peer);
	wg_packet_send_queued_handshake_initiation(peer, false);
}

static void expired_zero_key_material(struct timer_list *timer)
{
	struct wg_peer *peer = timer_container_of(peer, timer,
						  timer_zero_key_material);

	/* Wiping takes sleeping locks: do it from a work item. */
	rcu_read_lock_bh();
	if (!READ_ONCE(peer->is_dead)) {
		wg_peer_get(peer);
		if (!queue_work(peer->device->handshake_send_wq,
				&peer->clear_peer_work))
			wg_peer_put(peer);
	}
	rcu_read_unlock_bh();
}

static void clear_peer_worker(struct work_struct *work)
{
	struct wg_peer *peer = container_of(work, struct wg_peer,
					    clear_peer_work);

	net_dbg_ratelimited("%s: zeroing keys of peer %llu after %d seconds\n",
			    peer->device->dev->name, peer->internal_id,
			    REJECT_AFTER_TIME * 3);
	wg_noise_handshake_clear(&peer->handshake);
	wg_noise_keypairs_clear(&peer->keypairs);
	wg_peer_put(peer);
}

static void expired_persistent_keepalive(struct timer_list *timer)
{
	struct wg_peer *peer = timer_container_of(peer, timer,
						  timer_persistent_keepalive);

	if (likely(READ_ONCE(peer->persistent_keepalive_interval)))
		wg_packet_send_keepalive(peer);
}

void wg_timers_data_sent(struct wg_peer *peer)
{
	if (!timer_pending(&peer->timer_new_handshake))
		mod_peer_timer(peer, &peer->timer_new_handshake,
			       jiffies + (KEEPALIVE_TIMEOUT + REKEY_TIMEOUT) * HZ +
			       jitter());
}

void wg_timers_data_received(struct wg_peer *peer)
{
	if (!timer_pending(&peer->timer_send_keepalive))
		mod_peer_timer(peer, &peer->timer_send_keepalive,
			       jiffies + KEEPALIVE_TIMEOUT * HZ);
	else
		peer->timer_need_another_keepalive = true;
}

/* Anything we send tells the peer we are alive: no keepalive needed. */
void wg_timers_any_authenticated_packet_sent(struct wg_peer *peer)
{
	timer_delete(&peer->timer_send_keepalive);
}

/* Anything we hear means the session works: no new handshake needed. */
void wg_timers_any_authenticated_packet_received(struct wg_peer *peer)
{
	timer_delete(&peer->timer_new_handshake);
}

void wg_timers_any_authenticated_packet_traversal(struct wg_peer *peer)
{
	u16 interval = READ_ONCE(peer->persistent_keepalive_interval);

	if (interval)
		mod_peer_timer(peer, &peer->timer_persistent_keepalive,
			       jiffies + interval * HZ);
}

void wg_timers_handshake_initiated(struct wg_peer *peer)
{
	mod_peer_timer(peer, &peer->timer_retransmit_handshake,
		       jiffies + REKEY_TIMEOUT * HZ + jitter());
}

void wg_timers_handshake_complete(struct wg_peer *peer)
{
	timer_delete(&peer->timer_retransmit_handshake);
	peer->timer_handshake_attempts = 0;
	peer->sent_lastminute_handshake = false;
	/* Called from the receive poll too: no sleeping lock here. */
	atomic64_set(&peer->walltime_last_handshake, ktime_get_real_ns());
}

void wg_timers_session_derived(struct wg_peer *peer)
{
	mod_peer_timer(peer, &peer->timer_zero_key_material,
		       jiffies + REJECT_AFTER_TIME * 3 * HZ);
}

void wg_timers_reset_last_sent_handshake(struct wg_peer *peer)
{
	/* Long enough ago that the next initiation may go at once. */
	atomic64_set(&peer->last_sent_handshake,
		     ktime_get_coarse_boottime_ns() -
		     (u64)(REKEY_TIMEOUT + 1) * NSEC_PER_SEC);
}

void wg_timers_init(struct wg_peer *peer)
{
	timer_setup(&peer->timer_retransmit_handshake,
		    expired_retransmit_handshake, 0);
	timer_setup(&peer->timer_send_keepalive, expired_send_keepalive, 0);
	timer_setup(&peer->timer_new_handshake, expired_new_handshake, 0);
	timer_setup(&peer->timer_zero_key_material,
		    expired_zero_key_material, 0);
	timer_setup(&peer->timer_persistent_keepalive,
		    expired_persistent_keepalive, 0);
	INIT_WORK(&peer->clear_peer_work, clear_peer_worker);
	peer->timer_handshake_attempts = 0;
	peer->sent_lastminute_handshake = false;
	peer->timer_need_another_keepalive = false;
	wg_timers_reset_last_sent_handshake(peer);
}

void wg_timers_stop(struct wg_peer *peer)
{
	timer_delete_sync(&peer->timer_retransmit_handshake);
	timer_delete_sync(&peer->timer_send_keepalive);
	timer_delete_sync(&peer->timer_new_handshake);
	timer_delete_sync(&peer->timer_zero_key_material);
	timer_delete_sync(&peer->timer_persistent_keepalive);
	flush_work(&peer->clear_peer_work);
}
