/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mac1, mac2 and cookie replies, WireGuard's answer to handshake floods
 * (protocol sheet: "mac1, mac2, cookies (DoS)"). Plain functions over
 * bytes and keys; the state they need lives with its owner:
 *
 *  - struct wg_cookie_jar, one per device: the secret R that makes
 *    cookies, renewed every WG_COOKIE_SECRET_LIFETIME seconds.
 *  - struct wg_cookie_held, one per active peer: the last cookie that peer
 *    gave us and the mac1 of our last message to it, to mac our next
 *    handshake messages and to accept its cookie replies.
 *
 * Times are ktime_get_coarse_boottime_ns() values passed in by the caller,
 * so KUnit can feed a clock.
 */
#ifndef _WG_COOKIE_H
#define _WG_COOKIE_H

#include <linux/types.h>
#include <linux/spinlock.h>
#include "wire.h"

struct wg_cookie_jar {
	spinlock_t lock;	/* secret and born; BH-safe */
	u8 secret[WG_KEY_SIZE];
	u64 born;		/* 0: no secret yet */
};

struct wg_cookie_held {
	u8 cookie[WG_COOKIE_SIZE];
	u64 received;		/* 0: none */
	u8 last_mac1[WG_MAC_SIZE];
	bool sent_mac1;
};

/* What the macs of a received handshake message say. */
enum wg_mac_verdict {
	WG_MAC_BAD,		/* mac1 wrong: drop silently */
	WG_MAC1_ONLY,		/* mac1 right, mac2 absent or wrong */
	WG_MAC2_GOOD,		/* both right: the sender holds our cookie */
};

void wg_cookie_jar_init(struct wg_cookie_jar *jar);
/* Wipes the secret. */
void wg_cookie_jar_destroy(struct wg_cookie_jar *jar);

/*
 * The cookie for a source (@addr, 4 or 16 bytes, and @port in network
 * order) at time @now: MAC(R, addr || port), R renewed when older than
 * WG_COOKIE_SECRET_LIFETIME.
 */
void wg_cookie_make(struct wg_cookie_jar *jar, u64 now, const u8 *addr,
		    size_t addr_len, __be16 port, u8 out[WG_COOKIE_SIZE]);

/*
 * Checks the macs of a handshake message of @len bytes (initiation or
 * response) at @msg, sent to the owner of @mac1_key (HASH(LABEL_MAC1 ||
 * our public key)). mac2 is checked only if @check_mac2, against the
 * cookie of the source (@addr, @port) at @now.
 */
enum wg_mac_verdict wg_cookie_check_macs(struct wg_cookie_jar *jar,
					 const u8 mac1_key[WG_KEY_SIZE],
					 const void *msg, size_t len,
					 bool check_mac2, u64 now,
					 const u8 *addr, size_t addr_len,
					 __be16 port);

/*
 * Fills the macs of our handshake message of @len bytes at @msg to a peer:
 * mac1 with @peer_mac1_key (HASH(LABEL_MAC1 || its public key)), mac2 with
 * the cookie @held from it if younger than LIFETIME - LATENCY at @now.
 * Remembers the mac1 in @held, for its cookie reply.
 */
void wg_cookie_add_macs(struct wg_cookie_held *held,
			const u8 peer_mac1_key[WG_KEY_SIZE], void *msg,
			size_t len, u64 now);

/*
 * A cookie reply to the handshake message @msg (of @len bytes, whose mac1
 * is at its end less WG_MAC_SIZE * 2), from the source (@addr, @port),
 * whose sender index is @receiver: seals the source's cookie with our
 * @cookie_key (HASH(LABEL_COOKIE || our public key)) and a random nonce.
 */
void wg_cookie_reply_make(struct wg_cookie_jar *jar,
			  const u8 cookie_key[WG_KEY_SIZE], const void *msg,
			  size_t len, __le32 receiver, u64 now,
			  const u8 *addr, size_t addr_len, __be16 port,
			  struct wg_msg_cookie *reply);

/*
 * Opens a cookie reply from a peer, with @peer_cookie_key (HASH(LABEL_COOKIE
 * || its public key)) and the mac1 we last sent it (in @held). On success
 * stores the cookie in @held, received at @now.
 */
bool wg_cookie_reply_take(struct wg_cookie_held *held,
			  const u8 peer_cookie_key[WG_KEY_SIZE],
			  const struct wg_msg_cookie *reply, u64 now);

/* HASH(label || key): a peer's mac1 key ("mac1----") or cookie key ("cookie--"). */
void wg_cookie_mac1_key(u8 out[WG_KEY_SIZE], const u8 pub[WG_KEY_SIZE]);
void wg_cookie_cookie_key(u8 out[WG_KEY_SIZE], const u8 pub[WG_KEY_SIZE]);

#endif /* _WG_COOKIE_H */
