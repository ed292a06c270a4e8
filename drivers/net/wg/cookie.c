// SPDX-License-Identifier: GPL-2.0
/*
 * mac1, mac2 and cookie replies (protocol sheet: "mac1, mac2, cookies
 * (DoS)"). A handshake message ends in two MACs: mac1 proves the sender
 * knows our public key, mac2 that it can receive at its source address,
 * because it holds the cookie we gave that address. The cookie is a MAC
 * of the address under a secret R that changes every two minutes, so a
 * device keeps no state per source.
 */

#include "cookie.h"
#include "noise.h"

#include <crypto/algapi.h>
#include <crypto/blake2s.h>
#include <crypto/chacha20poly1305.h>
#include <linux/random.h>
#include <linux/string.h>
#include <linux/time64.h>

static const u8 label_mac1[] = "mac1----";
static const u8 label_cookie[] = "cookie--";

#define SECRET_LIFETIME_NS	((u64)WG_COOKIE_SECRET_LIFETIME * NSEC_PER_SEC)
/* A cookie we hold expires this much before the sender's secret would. */
#define HELD_LIFETIME_NS \
	((u64)(WG_COOKIE_SECRET_LIFETIME - WG_COOKIE_LATENCY) * NSEC_PER_SEC)

/* MAC(key, x): keyed BLAKE2s with a 16-byte output. */
static void mac(u8 out[WG_MAC_SIZE], const u8 *key, size_t keylen,
		const void *msg, size_t len)
{
	blake2s(out, msg, key, WG_MAC_SIZE, len, keylen);
}

/* Where the macs of a handshake message of @len bytes begin. */
static size_t macs_offset(size_t len)
{
	return len - sizeof(struct wg_msg_macs);
}

void wg_cookie_mac1_key(u8 out[WG_KEY_SIZE], const u8 pub[WG_KEY_SIZE])
{
	wg_noise_hash(out, label_mac1, sizeof(label_mac1) - 1, pub,
		      WG_KEY_SIZE);
}

void wg_cookie_cookie_key(u8 out[WG_KEY_SIZE], const u8 pub[WG_KEY_SIZE])
{
	wg_noise_hash(out, label_cookie, sizeof(label_cookie) - 1, pub,
		      WG_KEY_SIZE);
}

void wg_cookie_jar_init(struct wg_cookie_jar *jar)
{
	spin_lock_init(&jar->lock);
	memset(jar->secret, 0, sizeof(jar->secret));
	jar->born = 0;
}

void wg_cookie_jar_destroy(struct wg_cookie_jar *jar)
{
	spin_lock_bh(&jar->lock);
	memzero_explicit(jar->secret, sizeof(jar->secret));
	jar->born = 0;
	spin_unlock_bh(&jar->lock);
}

void wg_cookie_make(struct wg_cookie_jar *jar, u64 now, const u8 *addr,
		    size_t addr_len, __be16 port, u8 out[WG_COOKIE_SIZE])
{
	struct blake2s_state state;

	spin_lock_bh(&jar->lock);
	/* A clock that went back (now < born) also renews R. */
	if (!jar->born || now - jar->born >= SECRET_LIFETIME_NS) {
		get_random_bytes(jar->secret, sizeof(jar->secret));
		jar->born = now;
	}
	blake2s_init_key(&state, WG_COOKIE_SIZE, jar->secret,
			 sizeof(jar->secret));
	spin_unlock_bh(&jar->lock);
	blake2s_update(&state, addr, addr_len);
	blake2s_update(&state, (const u8 *)&port, sizeof(port));
	blake2s_final(&state, out);
}

enum wg_mac_verdict wg_cookie_check_macs(struct wg_cookie_jar *jar,
					 const u8 mac1_key[WG_KEY_SIZE],
					 const void *msg, size_t len,
					 bool check_mac2, u64 now,
					 const u8 *addr, size_t addr_len,
					 __be16 port)
{
	const struct wg_msg_macs *macs;
	enum wg_mac_verdict verdict;
	u8 cookie[WG_COOKIE_SIZE];
	u8 want[WG_MAC_SIZE];

	if (len < sizeof(*macs))
		return WG_MAC_BAD;
	macs = msg + macs_offset(len);

	mac(want, mac1_key, WG_KEY_SIZE, msg, macs_offset(len));
	if (crypto_memneq(want, macs->mac1, WG_MAC_SIZE))
		return WG_MAC_BAD;
	if (!check_mac2)
		return WG_MAC1_ONLY;

	wg_cookie_make(jar, now, addr, addr_len, port, cookie);
	mac(want, cookie, sizeof(cookie), msg, len - WG_MAC_SIZE);
	verdict = crypto_memneq(want, macs->mac2, WG_MAC_SIZE) ?
		  WG_MAC1_ONLY : WG_MAC2_GOOD;
	memzero_explicit(cookie, sizeof(cookie));
	memzero_explicit(want, sizeof(want));
	return verdict;
}

void wg_cookie_add_macs(struct wg_cookie_held *held,
			const u8 peer_mac1_key[WG_KEY_SIZE], void *msg,
			size_t len, u64 now)
{
	struct wg_msg_macs *macs = msg + macs_offset(len);

	mac(macs->mac1, peer_mac1_key, WG_KEY_SIZE, msg, macs_offset(len));
	memcpy(held->last_mac1, macs->mac1, WG_MAC_SIZE);
	held->sent_mac1 = true;

	/* now < received wraps to a huge age: not fresh either. */
	if (held->received && now - held->received < HELD_LIFETIME_NS)
		mac(macs->mac2, held->cookie, WG_COOKIE_SIZE, msg,
		    len - WG_MAC_SIZE);
	else
		memset(macs->mac2, 0, WG_MAC_SIZE);
}

void wg_cookie_reply_make(struct wg_cookie_jar *jar,
			  const u8 cookie_key[WG_KEY_SIZE], const void *msg,
			  size_t len, __le32 receiver, u64 now,
			  const u8 *addr, size_t addr_len, __be16 port,
			  struct wg_msg_cookie *reply)
{
	const struct wg_msg_macs *macs = msg + macs_offset(len);
	u8 cookie[WG_COOKIE_SIZE];

	reply->type = wg_msg_type_word(WG_MSG_COOKIE);
	reply->receiver = receiver;
	get_random_bytes(reply->nonce, sizeof(reply->nonce));
	wg_cookie_make(jar, now, addr, addr_len, port, cookie);
	xchacha20poly1305_encrypt(reply->cookie_sealed, cookie, sizeof(cookie),
				  macs->mac1, WG_MAC_SIZE, reply->nonce,
				  cookie_key);
	memzero_explicit(cookie, sizeof(cookie));
}

/*
 * A reply answers one message: once taken, another reply (a replay of
 * this one, say) waits for our next mac1, so it cannot make a stale
 * cookie look young again.
 */
bool wg_cookie_reply_take(struct wg_cookie_held *held,
			  const u8 peer_cookie_key[WG_KEY_SIZE],
			  const struct wg_msg_cookie *reply, u64 now)
{
	u8 cookie[WG_COOKIE_SIZE];
	bool ok;

	if (!held->sent_mac1)
		return false;
	ok = xchacha20poly1305_decrypt(cookie, reply->cookie_sealed,
				       sizeof(reply->cookie_sealed),
				       held->last_mac1, WG_MAC_SIZE,
				       reply->nonce, peer_cookie_key);
	if (ok) {
		memcpy(held->cookie, cookie, sizeof(cookie));
		held->received = now;
		held->sent_mac1 = false;
	}
	memzero_explicit(cookie, sizeof(cookie));
	return ok;
}

#if IS_ENABLED(CONFIG_KUNIT)
#include "tests/cookie_test.c"
#endif
