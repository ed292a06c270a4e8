// SPDX-License-Identifier: GPL-2.0
/*
 * mac1 proves a handshake message was made for our public key; mac2 proves
 * its sender lately received a cookie at the address it sends from. Under
 * load the responder demands mac2, rate-limits the senders that have one,
 * and answers the others with a cookie reply, which costs it a MAC and an
 * XAEAD instead of Diffie-Hellman (protocol sheet: "mac1, mac2, cookies").
 */

#include <linux/kernel.h>
#include <linux/random.h>
#include <linux/string.h>
#include <linux/ktime.h>
#include <linux/netdevice.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <crypto/algapi.h>
#include <crypto/blake2s.h>
#include <crypto/chacha20poly1305.h>
#include "cookie.h"
#include "device.h"
#include "peer.h"
#include "peerlookup.h"
#include "ratelimiter.h"

#define COOKIE_LABEL_LEN	8
/* What a cookie binds: the source IP address || the source UDP port. */
#define COOKIE_INPUT_MAX	(sizeof(struct in6_addr) + sizeof(__be16))

static const u8 mac1_label[COOKIE_LABEL_LEN] __nonstring = "mac1----";
static const u8 cookie_label[COOKIE_LABEL_LEN] __nonstring = "cookie--";

/*
 * MAC(key, in): keyed BLAKE2s, 16 bytes out. The only call of blake2s()
 * itself, whose argument order differs in kernels after 6.12.
 */
static void mac(u8 out[COOKIE_LEN], const void *in, size_t inlen,
		const u8 *key, size_t keylen)
{
	blake2s(out, in, key, COOKIE_LEN, inlen, keylen);
}

/* HASH(label || public key): the mac1 key and the cookie key of a key. */
static void precompute_key(u8 key[NOISE_SYMMETRIC_KEY_LEN],
			   const u8 pubkey[NOISE_PUBLIC_KEY_LEN],
			   const u8 label[COOKIE_LABEL_LEN])
{
	struct blake2s_state state;

	blake2s_init(&state, NOISE_SYMMETRIC_KEY_LEN);
	blake2s_update(&state, label, COOKIE_LABEL_LEN);
	blake2s_update(&state, pubkey, NOISE_PUBLIC_KEY_LEN);
	blake2s_final(&state, key);
}

/* mac1 covers the @len-byte message up to mac1, mac2 up to mac2. */
static void compute_mac1(u8 mac1[COOKIE_LEN], const void *message, size_t len,
			 const u8 key[NOISE_SYMMETRIC_KEY_LEN])
{
	mac(mac1, message, len - sizeof(struct message_macs), key,
	    NOISE_SYMMETRIC_KEY_LEN);
}

static void compute_mac2(u8 mac2[COOKIE_LEN], const void *message, size_t len,
			 const u8 cookie[COOKIE_LEN])
{
	mac(mac2, message, len - COOKIE_LEN, cookie, COOKIE_LEN);
}

static bool has_expired(u64 birthdate_ns, u64 seconds)
{
	return (s64)(ktime_get_coarse_boottime_ns() - birthdate_ns) >=
	       (s64)(seconds * NSEC_PER_SEC);
}

/* The length of the handshake message at @skb->data, or 0 if it is none. */
static size_t handshake_len(const struct sk_buff *skb)
{
	const struct message_header *header = (const void *)skb->data;
	size_t len;

	if (unlikely(skb_headlen(skb) < sizeof(*header)))
		return 0;
	if (header->type == cpu_to_le32(MESSAGE_HANDSHAKE_INITIATION))
		len = sizeof(struct message_handshake_initiation);
	else if (header->type == cpu_to_le32(MESSAGE_HANDSHAKE_RESPONSE))
		len = sizeof(struct message_handshake_response);
	else
		return 0;
	return likely(skb_headlen(skb) >= len) ? len : 0;
}

static size_t cookie_input(u8 buf[COOKIE_INPUT_MAX], const struct sk_buff *skb)
{
	size_t len = 0;

	if (skb->protocol == htons(ETH_P_IP)) {
		len = sizeof(struct in_addr);
		memcpy(buf, &ip_hdr(skb)->saddr, len);
	} else if (skb->protocol == htons(ETH_P_IPV6)) {
		len = sizeof(struct in6_addr);
		memcpy(buf, &ipv6_hdr(skb)->saddr, len);
	}
	memcpy(buf + len, &udp_hdr(skb)->source, sizeof(__be16));
	return len + sizeof(__be16);
}

/* cookie = MAC(R, source IP || source port); the caller holds R stable. */
static void make_cookie(u8 cookie[COOKIE_LEN], const struct sk_buff *skb,
			const u8 secret[NOISE_HASH_LEN])
{
	u8 input[COOKIE_INPUT_MAX];

	mac(cookie, input, cookie_input(input, skb), secret, NOISE_HASH_LEN);
}

/* R is renewed every COOKIE_SECRET_MAX_AGE seconds, when next needed. */
static void rotate_secret_if_old(struct cookie_checker *checker)
{
	if (!has_expired(READ_ONCE(checker->secret_birthdate),
			 COOKIE_SECRET_MAX_AGE))
		return;

	write_lock_bh(&checker->secret_lock);
	/* Someone else may have renewed it while we waited. */
	if (has_expired(checker->secret_birthdate, COOKIE_SECRET_MAX_AGE)) {
		get_random_bytes(checker->secret, NOISE_HASH_LEN);
		WRITE_ONCE(checker->secret_birthdate,
			   ktime_get_coarse_boottime_ns());
	}
	write_unlock_bh(&checker->secret_lock);
}

void wg_cookie_checker_init(struct cookie_checker *checker,
			    struct wg_device *wg)
{
	memset(checker, 0, sizeof(*checker));
	rwlock_init(&checker->secret_lock);
	checker->device = wg;
	get_random_bytes(checker->secret, NOISE_HASH_LEN);
	checker->secret_birthdate = ktime_get_coarse_boottime_ns();
}

void wg_cookie_checker_uninit(struct cookie_checker *checker)
{
	write_lock_bh(&checker->secret_lock);
	memzero_explicit(checker->secret, NOISE_HASH_LEN);
	write_unlock_bh(&checker->secret_lock);
}

void wg_cookie_checker_precompute_device_keys(struct cookie_checker *checker)
{
	struct noise_static_identity *identity =
		&checker->device->static_identity;

	write_lock_bh(&checker->secret_lock);
	if (likely(identity->has_identity)) {
		precompute_key(checker->cookie_encryption_key,
			       identity->static_public, cookie_label);
		precompute_key(checker->message_mac1_key,
			       identity->static_public, mac1_label);
	} else {
		memzero_explicit(checker->cookie_encryption_key,
				 NOISE_SYMMETRIC_KEY_LEN);
		memzero_explicit(checker->message_mac1_key,
				 NOISE_SYMMETRIC_KEY_LEN);
	}
	write_unlock_bh(&checker->secret_lock);
}

static void cookie_set_keys(struct cookie *cookie,
			    const u8 pubkey[NOISE_PUBLIC_KEY_LEN])
{
	down_write(&cookie->lock);
	precompute_key(cookie->cookie_decryption_key, pubkey, cookie_label);
	precompute_key(cookie->message_mac1_key, pubkey, mac1_label);
	up_write(&cookie->lock);
}

void wg_cookie_checker_precompute_peer_keys(struct wg_peer *peer)
{
	/* remote_static is set at creation and never changes. */
	cookie_set_keys(&peer->latest_cookie, peer->handshake.remote_static);
}

void wg_cookie_init(struct cookie *cookie)
{
	memset(cookie, 0, sizeof(*cookie));
	init_rwsem(&cookie->lock);
}

/* mac1 always, and mac2 only if @check_cookie; the rate limiter aside. */
static enum cookie_mac_state check_macs(struct cookie_checker *checker,
					struct sk_buff *skb, bool check_cookie)
{
	enum cookie_mac_state state;
	struct message_macs *macs;
	u8 computed[COOKIE_LEN];
	u8 cookie[COOKIE_LEN];
	size_t len;

	len = handshake_len(skb);
	if (unlikely(!len))
		return INVALID_MAC;
	macs = (struct message_macs *)(skb->data + len - sizeof(*macs));

	compute_mac1(computed, skb->data, len, checker->message_mac1_key);
	if (crypto_memneq(computed, macs->mac1, COOKIE_LEN))
		return INVALID_MAC;
	if (!check_cookie)
		return VALID_MAC_BUT_NO_COOKIE;

	rotate_secret_if_old(checker);
	read_lock_bh(&checker->secret_lock);
	make_cookie(cookie, skb, checker->secret);
	read_unlock_bh(&checker->secret_lock);

	compute_mac2(computed, skb->data, len, cookie);
	if (crypto_memneq(computed, macs->mac2, COOKIE_LEN))
		state = VALID_MAC_BUT_NO_COOKIE;
	else
		state = VALID_MAC_WITH_COOKIE;
	memzero_explicit(cookie, COOKIE_LEN);
	return state;
}

enum cookie_mac_state wg_cookie_validate_packet(struct cookie_checker *checker,
						struct sk_buff *skb,
						bool check_cookie)
{
	enum cookie_mac_state state = check_macs(checker, skb, check_cookie);

	if (state == VALID_MAC_WITH_COOKIE &&
	    !wg_ratelimiter_allow(skb, dev_net(checker->device->dev)))
		return VALID_MAC_WITH_COOKIE_BUT_RATELIMITED;
	return state;
}

static void cookie_add_macs(struct cookie *cookie, void *message, size_t len)
{
	struct message_macs *macs =
		(struct message_macs *)((u8 *)message + len - sizeof(*macs));

	down_write(&cookie->lock);
	compute_mac1(macs->mac1, message, len, cookie->message_mac1_key);
	memcpy(cookie->last_mac1_sent, macs->mac1, COOKIE_LEN);
	cookie->have_sent_mac1 = true;

	/* Stop early enough that the responder's R is still the one. */
	if (cookie->is_valid &&
	    !has_expired(cookie->birthdate,
			 COOKIE_SECRET_MAX_AGE - COOKIE_SECRET_LATENCY))
		compute_mac2(macs->mac2, message, len, cookie->cookie);
	else
		memset(macs->mac2, 0, COOKIE_LEN);
	up_write(&cookie->lock);
}

void wg_cookie_add_mac_to_packet(void *message, size_t len,
				 struct wg_peer *peer)
{
	cookie_add_macs(&peer->latest_cookie, message, len);
}

/* reply.cookie = XAEAD(cookie key, nonce, cookie, ad = mac1 answered) */
static void seal_cookie(struct message_handshake_cookie *dst,
			const u8 cookie[COOKIE_LEN], const u8 mac1[COOKIE_LEN],
			const u8 key[NOISE_SYMMETRIC_KEY_LEN])
{
	xchacha20poly1305_encrypt(dst->encrypted_cookie, cookie, COOKIE_LEN,
				  mac1, COOKIE_LEN, dst->nonce, key);
}

void wg_cookie_message_create(struct message_handshake_cookie *dst,
			      struct sk_buff *skb, __le32 index,
			      struct cookie_checker *checker)
{
	size_t len = handshake_len(skb);
	struct message_macs *macs;
	u8 cookie[COOKIE_LEN];

	/* Only a message that passed wg_cookie_validate_packet() is answered. */
	if (WARN_ON_ONCE(!len)) {
		memset(dst, 0, sizeof(*dst));
		return;
	}
	macs = (struct message_macs *)(skb->data + len - sizeof(*macs));

	dst->header.type = cpu_to_le32(MESSAGE_HANDSHAKE_COOKIE);
	dst->receiver_index = index;
	get_random_bytes(dst->nonce, COOKIE_NONCE_LEN);

	rotate_secret_if_old(checker);
	read_lock_bh(&checker->secret_lock);
	make_cookie(cookie, skb, checker->secret);
	seal_cookie(dst, cookie, macs->mac1, checker->cookie_encryption_key);
	read_unlock_bh(&checker->secret_lock);
	memzero_explicit(cookie, COOKIE_LEN);
}

/*
 * A reply answers the last message we sent, and only once: a forged one
 * fails to open and changes nothing.
 */
static bool cookie_consume_reply(struct cookie *cookie,
				 const struct message_handshake_cookie *src)
{
	u8 value[COOKIE_LEN];
	bool ok;

	down_write(&cookie->lock);
	ok = cookie->have_sent_mac1 &&
	     xchacha20poly1305_decrypt(value, src->encrypted_cookie,
				       sizeof(src->encrypted_cookie),
				       cookie->last_mac1_sent, COOKIE_LEN,
				       src->nonce,
				       cookie->cookie_decryption_key);
	if (ok) {
		memcpy(cookie->cookie, value, COOKIE_LEN);
		cookie->birthdate = ktime_get_coarse_boottime_ns();
		cookie->is_valid = true;
		cookie->have_sent_mac1 = false;
	}
	up_write(&cookie->lock);
	memzero_explicit(value, COOKIE_LEN);
	return ok;
}

void wg_cookie_message_consume(struct message_handshake_cookie *src,
			       struct wg_device *wg)
{
	struct wg_peer *peer = NULL;

	if (unlikely(!wg_index_table_lookup(&wg->index_hashtable,
					    INDEX_HANDSHAKE | INDEX_KEYPAIR,
					    src->receiver_index, &peer))) {
		wg_stats_count(wg, WG_STAT_RX_UNKNOWN_INDEX);
		return;
	}

	if (!cookie_consume_reply(&peer->latest_cookie, src)) {
		wg_stats_count(wg, WG_STAT_RX_BAD_HANDSHAKE);
		net_dbg_ratelimited("%s: Could not decrypt invalid cookie response\n",
				    wg->dev->name);
	}
	wg_peer_put(peer);
}

#if IS_ENABLED(CONFIG_KUNIT)
#include "tests/cookie_test.c"
#endif
