/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mac1, mac2 and cookie replies: the handshake's defence against floods
 * (protocol sheet: "mac1, mac2, cookies (DoS)").
 *
 * Lock order: static_identity.lock -> cookie_checker.secret_lock;
 * cookie.lock is taken alone. cookie.lock is a semaphore: what takes it
 * may sleep and runs in process context (the handshake worker, the send
 * path's workers). secret_lock is a BH-safe rwlock, because under load
 * wg_cookie_validate_packet() also runs in the receive softirq.
 */
#ifndef _WG_COOKIE_H
#define _WG_COOKIE_H

#include <linux/types.h>
#include <linux/rwsem.h>
#include <linux/spinlock.h>
#include <linux/skbuff.h>
#include "messages.h"

struct wg_device;
struct wg_peer;

/*
 * One per device. secret_lock guards secret and secret_birthdate, and the
 * two keys against a change of the device's private key. mac1 checking reads
 * message_mac1_key without it: a packet racing a key change can only fail
 * mac1, which it would do against the new key anyway.
 */
struct cookie_checker {
	u8 secret[NOISE_HASH_LEN];
	u8 cookie_encryption_key[NOISE_SYMMETRIC_KEY_LEN];
	u8 message_mac1_key[NOISE_SYMMETRIC_KEY_LEN];
	u64 secret_birthdate;	/* ktime_get_coarse_boottime_ns() */
	rwlock_t secret_lock;
	struct wg_device *device;
};

/* One per peer: what we need to mac our messages to it. All under lock. */
struct cookie {
	u64 birthdate;		/* of cookie, ktime_get_coarse_boottime_ns() */
	bool is_valid;
	u8 cookie[COOKIE_LEN];
	bool have_sent_mac1;
	u8 last_mac1_sent[COOKIE_LEN];
	u8 cookie_decryption_key[NOISE_SYMMETRIC_KEY_LEN];
	u8 message_mac1_key[NOISE_SYMMETRIC_KEY_LEN];
	struct rw_semaphore lock;
};

enum cookie_mac_state {
	INVALID_MAC,
	VALID_MAC_BUT_NO_COOKIE,
	VALID_MAC_WITH_COOKIE_BUT_RATELIMITED,
	VALID_MAC_WITH_COOKIE
};

void wg_cookie_checker_init(struct cookie_checker *checker,
			    struct wg_device *wg);
/* Wipes the cookie secret; the mirror of wg_cookie_checker_init(). */
void wg_cookie_checker_uninit(struct cookie_checker *checker);
/* Call with static_identity.lock held whenever the private key changes. */
void wg_cookie_checker_precompute_device_keys(struct cookie_checker *checker);
void wg_cookie_checker_precompute_peer_keys(struct wg_peer *peer);
void wg_cookie_init(struct cookie *cookie);

/*
 * @skb->data is a whole, linear handshake initiation or response. mac2 and
 * the rate limiter are consulted only if @check_cookie (under load).
 */
enum cookie_mac_state wg_cookie_validate_packet(struct cookie_checker *checker,
						struct sk_buff *skb,
						bool check_cookie);
/* Fills the last 32 bytes of the outgoing handshake @message of @len bytes. */
void wg_cookie_add_mac_to_packet(void *message, size_t len,
				 struct wg_peer *peer);

/* Answers the handshake message in @skb whose sender index is @index. */
void wg_cookie_message_create(struct message_handshake_cookie *dst,
			      struct sk_buff *skb, __le32 index,
			      struct cookie_checker *checker);
void wg_cookie_message_consume(struct message_handshake_cookie *src,
			       struct wg_device *wg);

#endif /* _WG_COOKIE_H */
