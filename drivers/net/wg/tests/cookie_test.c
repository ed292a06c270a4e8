// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite wg_cookie. cookie.c includes this file at its end, so the cases
 * reach its static helpers directly.
 *
 * The known answers were computed with Python's hashlib; the XAEAD one with
 * the "cryptography" package's ChaCha20Poly1305 behind an HChaCha20 written
 * from draft-irtf-cfrg-xchacha-03 (and checked against its section 2.2.1).
 * The Python above each vector starts from:
 *
 *   import hashlib, struct
 *   pub = bytes(range(32))                      # the responder's public key
 *   msg = bytearray(struct.pack("<I", 1) + bytes(range(4, 116)) + bytes(32))
 *   secret = bytes(range(0x80, 0xa0))           # R
 */

#include <kunit/test.h>

/* KUnit has compared memory only since 6.2; 6.1 gets a plainer report. */
#ifndef KUNIT_EXPECT_MEMEQ
#define KUNIT_EXPECT_MEMEQ(test, left, right, size) \
	KUNIT_EXPECT_EQ(test, memcmp(left, right, size), 0)
#endif

#define TEST_PORT	51820

static const u8 test_addr4[4] = { 192, 0, 2, 1 };
static const u8 test_addr6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x01 };

/* hashlib.blake2s(b"mac1----" + pub).digest() */
static const u8 expected_mac1_key[NOISE_SYMMETRIC_KEY_LEN] = {
	0x4f, 0xb2, 0x52, 0x7a, 0xc9, 0x56, 0x00, 0x15,
	0x53, 0xdc, 0x1a, 0xd9, 0xb5, 0x51, 0x71, 0xb7,
	0xd9, 0xda, 0xa3, 0xde, 0x1c, 0xdb, 0xcd, 0x71,
	0x45, 0x18, 0x30, 0x17, 0x0c, 0x7e, 0x6c, 0xac
};

/* hashlib.blake2s(b"cookie--" + pub).digest() */
static const u8 expected_cookie_key[NOISE_SYMMETRIC_KEY_LEN] = {
	0x3d, 0xd5, 0x86, 0x9c, 0x52, 0x02, 0xe4, 0x51,
	0x46, 0x93, 0x6d, 0x16, 0x44, 0xf7, 0x6f, 0xf6,
	0x97, 0x06, 0x16, 0x61, 0xc1, 0x81, 0xf3, 0xfd,
	0x45, 0x0e, 0xae, 0x43, 0x93, 0x2e, 0xac, 0xec
};

/*
 * mac1_key = hashlib.blake2s(b"mac1----" + pub).digest()
 * mac1 = hashlib.blake2s(msg[:116], key=mac1_key, digest_size=16).digest()
 */
static const u8 expected_mac1[COOKIE_LEN] = {
	0x44, 0xa5, 0x27, 0x6c, 0x0c, 0x75, 0xb3, 0x7d,
	0x5c, 0xfe, 0xde, 0x7e, 0xae, 0xb9, 0xcf, 0x59
};

/*
 * msg[116:132] = mac1
 * hashlib.blake2s(msg[:132], key=bytes(range(0x40, 0x50)),
 *                 digest_size=16).digest()
 */
static const u8 expected_mac2[COOKIE_LEN] = {
	0x55, 0xbf, 0xc3, 0xd8, 0xad, 0x2d, 0xe3, 0x0d,
	0x1f, 0x30, 0x6b, 0xaf, 0x7c, 0x9b, 0x04, 0x46
};

/*
 * cookie4 = hashlib.blake2s(bytes([192, 0, 2, 1]) +
 *                           (51820).to_bytes(2, "big"),
 *                           key=secret, digest_size=16).digest()
 */
static const u8 expected_cookie4[COOKIE_LEN] = {
	0x3c, 0x20, 0x54, 0x27, 0x8c, 0x6d, 0x0a, 0x92,
	0x48, 0x91, 0x88, 0xf5, 0x7f, 0x5d, 0x79, 0x0b
};

/*
 * hashlib.blake2s(bytes.fromhex("20010db8000000000000000000000001") +
 *                 (51820).to_bytes(2, "big"),
 *                 key=secret, digest_size=16).digest()
 */
static const u8 expected_cookie6[COOKIE_LEN] = {
	0x11, 0x7b, 0xd2, 0x06, 0x79, 0x35, 0xf4, 0xf8,
	0x78, 0xad, 0xf0, 0xf5, 0x65, 0x87, 0x1f, 0x47
};

/*
 * from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
 * def rotl(v, n): return ((v << n) & 0xffffffff) | (v >> (32 - n))
 * def qr(s, a, b, c, d):
 *     s[a] = (s[a] + s[b]) & 0xffffffff; s[d] = rotl(s[d] ^ s[a], 16)
 *     s[c] = (s[c] + s[d]) & 0xffffffff; s[b] = rotl(s[b] ^ s[c], 12)
 *     s[a] = (s[a] + s[b]) & 0xffffffff; s[d] = rotl(s[d] ^ s[a], 8)
 *     s[c] = (s[c] + s[d]) & 0xffffffff; s[b] = rotl(s[b] ^ s[c], 7)
 * def hchacha20(key, n16):
 *     s = [0x61707865, 0x3320646e, 0x79622d32, 0x6b206574]
 *     s += list(struct.unpack("<8I", key)) + list(struct.unpack("<4I", n16))
 *     for _ in range(10):
 *         qr(s, 0, 4, 8, 12); qr(s, 1, 5, 9, 13)
 *         qr(s, 2, 6, 10, 14); qr(s, 3, 7, 11, 15)
 *         qr(s, 0, 5, 10, 15); qr(s, 1, 6, 11, 12)
 *         qr(s, 2, 7, 8, 13); qr(s, 3, 4, 9, 14)
 *     return struct.pack("<8I", *(s[0:4] + s[12:16]))
 * def xaead(key, n24, p, ad):
 *     return ChaCha20Poly1305(hchacha20(key, n24[:16])).encrypt(
 *         b"\0" * 4 + n24[16:], p, ad)
 * xaead(cookie_key, bytes(range(0xc0, 0xd8)), cookie4, mac1)
 */
static const u8 expected_sealed[noise_encrypted_len(COOKIE_LEN)] = {
	0x1f, 0x6b, 0x52, 0x3b, 0x2a, 0x99, 0x8a, 0x2b,
	0xc8, 0x72, 0x27, 0x82, 0x48, 0x55, 0x50, 0xc5,
	0x4a, 0x14, 0x61, 0xc4, 0x87, 0x70, 0x74, 0x25,
	0xb0, 0x0f, 0x4f, 0xb6, 0x80, 0xa9, 0x31, 0x42
};

static void fill_range(u8 *buf, size_t len, u8 first)
{
	size_t i;

	for (i = 0; i < len; ++i)
		buf[i] = first + i;
}

/* msg of the vectors: an initiation whose body bytes count up, macs zero. */
static struct message_handshake_initiation *test_message(struct kunit *test)
{
	struct message_handshake_initiation *msg;
	size_t i;
	u8 *bytes;

	msg = kunit_kzalloc(test, sizeof(*msg), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, msg);
	msg->header.type = cpu_to_le32(MESSAGE_HANDSHAKE_INITIATION);
	bytes = (u8 *)msg;
	for (i = sizeof(msg->header); i < offsetof(typeof(*msg), macs); ++i)
		bytes[i] = i;
	return msg;
}

/* @message as received from @addr:@port over IPv4 or IPv6; data at it. */
static struct sk_buff *test_skb(struct kunit *test, const void *message,
				size_t len, const u8 *addr, bool v6, u16 port)
{
	struct sk_buff *skb;
	struct udphdr *udp;

	skb = alloc_skb(sizeof(struct ipv6hdr) + sizeof(*udp) + len,
			GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	skb_reset_network_header(skb);
	if (v6) {
		struct ipv6hdr *ip6 = skb_put_zero(skb, sizeof(*ip6));

		ip6->version = 6;
		memcpy(&ip6->saddr, addr, sizeof(ip6->saddr));
		skb->protocol = htons(ETH_P_IPV6);
	} else {
		struct iphdr *ip = skb_put_zero(skb, sizeof(*ip));

		ip->version = 4;
		ip->ihl = 5;
		memcpy(&ip->saddr, addr, sizeof(ip->saddr));
		skb->protocol = htons(ETH_P_IP);
	}
	skb_set_transport_header(skb, skb->len);
	udp = skb_put_zero(skb, sizeof(*udp));
	udp->source = htons(port);
	skb_pull(skb, skb->len);
	skb_put_data(skb, message, len);
	return skb;
}

/* A responder whose public key is pub and whose R is secret. */
static struct cookie_checker *test_checker(struct kunit *test)
{
	u8 pub[NOISE_PUBLIC_KEY_LEN];
	struct cookie_checker *checker;

	checker = kunit_kzalloc(test, sizeof(*checker), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, checker);
	wg_cookie_checker_init(checker, NULL);
	fill_range(pub, sizeof(pub), 0);
	precompute_key(checker->message_mac1_key, pub, mac1_label);
	precompute_key(checker->cookie_encryption_key, pub, cookie_label);
	fill_range(checker->secret, NOISE_HASH_LEN, 0x80);
	return checker;
}

/* An initiator's state for that responder. */
static struct cookie *test_cookie(struct kunit *test)
{
	u8 pub[NOISE_PUBLIC_KEY_LEN];
	struct cookie *cookie;

	cookie = kunit_kzalloc(test, sizeof(*cookie), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, cookie);
	wg_cookie_init(cookie);
	fill_range(pub, sizeof(pub), 0);
	cookie_set_keys(cookie, pub);
	return cookie;
}

static void keys_are_hashes_of_label_and_public_key(struct kunit *test)
{
	struct cookie *cookie = test_cookie(test);

	KUNIT_EXPECT_MEMEQ(test, cookie->message_mac1_key, expected_mac1_key,
			   NOISE_SYMMETRIC_KEY_LEN);
	KUNIT_EXPECT_MEMEQ(test, cookie->cookie_decryption_key,
			   expected_cookie_key, NOISE_SYMMETRIC_KEY_LEN);
}

static void device_keys_follow_the_static_identity(struct kunit *test)
{
	u8 zero[NOISE_SYMMETRIC_KEY_LEN] = { };
	struct cookie_checker *checker;
	struct wg_device *wg;

	wg = kunit_kzalloc(test, sizeof(*wg), GFP_KERNEL);
	checker = kunit_kzalloc(test, sizeof(*checker), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, wg);
	KUNIT_ASSERT_NOT_NULL(test, checker);
	wg_cookie_checker_init(checker, wg);

	fill_range(wg->static_identity.static_public, NOISE_PUBLIC_KEY_LEN, 0);
	wg->static_identity.has_identity = true;
	wg_cookie_checker_precompute_device_keys(checker);
	KUNIT_EXPECT_MEMEQ(test, checker->message_mac1_key, expected_mac1_key,
			   NOISE_SYMMETRIC_KEY_LEN);
	KUNIT_EXPECT_MEMEQ(test, checker->cookie_encryption_key,
			   expected_cookie_key, NOISE_SYMMETRIC_KEY_LEN);

	wg->static_identity.has_identity = false;
	wg_cookie_checker_precompute_device_keys(checker);
	KUNIT_EXPECT_MEMEQ(test, checker->message_mac1_key, zero, sizeof(zero));
	KUNIT_EXPECT_MEMEQ(test, checker->cookie_encryption_key, zero,
			   sizeof(zero));
}

static void macs_match_known_answers(struct kunit *test)
{
	struct message_handshake_initiation *msg = test_message(test);
	struct cookie *cookie = test_cookie(test);

	fill_range(cookie->cookie, COOKIE_LEN, 0x40);
	cookie->is_valid = true;
	cookie->birthdate = ktime_get_coarse_boottime_ns();
	cookie_add_macs(cookie, msg, sizeof(*msg));

	KUNIT_EXPECT_MEMEQ(test, msg->macs.mac1, expected_mac1, COOKIE_LEN);
	KUNIT_EXPECT_MEMEQ(test, msg->macs.mac2, expected_mac2, COOKIE_LEN);
	KUNIT_EXPECT_TRUE(test, cookie->have_sent_mac1);
	KUNIT_EXPECT_MEMEQ(test, cookie->last_mac1_sent, expected_mac1,
			   COOKIE_LEN);
}

static void mac2_is_zero_without_a_fresh_cookie(struct kunit *test)
{
	struct message_handshake_initiation *msg = test_message(test);
	struct cookie *cookie = test_cookie(test);
	u8 zero[COOKIE_LEN] = { };

	fill_range(cookie->cookie, COOKIE_LEN, 0x40);
	cookie_add_macs(cookie, msg, sizeof(*msg));
	KUNIT_EXPECT_MEMEQ(test, msg->macs.mac2, zero, COOKIE_LEN);

	/* Still fresh a second before the 115 s limit... */
	cookie->is_valid = true;
	cookie->birthdate = ktime_get_coarse_boottime_ns() -
			    114ULL * NSEC_PER_SEC;
	cookie_add_macs(cookie, msg, sizeof(*msg));
	KUNIT_EXPECT_MEMEQ(test, msg->macs.mac2, expected_mac2, COOKIE_LEN);

	/* ...and stale at it. */
	cookie->birthdate = ktime_get_coarse_boottime_ns() -
			    115ULL * NSEC_PER_SEC;
	cookie_add_macs(cookie, msg, sizeof(*msg));
	KUNIT_EXPECT_MEMEQ(test, msg->macs.mac2, zero, COOKIE_LEN);
}

static void cookie_binds_source_address_and_port(struct kunit *test)
{
	struct message_handshake_initiation *msg = test_message(test);
	u8 secret[NOISE_HASH_LEN];
	u8 cookie[COOKIE_LEN];
	struct sk_buff *skb;

	fill_range(secret, sizeof(secret), 0x80);

	skb = test_skb(test, msg, sizeof(*msg), test_addr4, false, TEST_PORT);
	make_cookie(cookie, skb, secret);
	KUNIT_EXPECT_MEMEQ(test, cookie, expected_cookie4, COOKIE_LEN);
	kfree_skb(skb);

	skb = test_skb(test, msg, sizeof(*msg), test_addr6, true, TEST_PORT);
	make_cookie(cookie, skb, secret);
	KUNIT_EXPECT_MEMEQ(test, cookie, expected_cookie6, COOKIE_LEN);
	kfree_skb(skb);

	skb = test_skb(test, msg, sizeof(*msg), test_addr4, false,
		       TEST_PORT + 1);
	make_cookie(cookie, skb, secret);
	KUNIT_EXPECT_NE(test, memcmp(cookie, expected_cookie4, COOKIE_LEN), 0);
	kfree_skb(skb);
}

static void sealed_cookie_matches_known_answer(struct kunit *test)
{
	struct message_handshake_cookie *reply;

	reply = kunit_kzalloc(test, sizeof(*reply), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, reply);
	fill_range(reply->nonce, COOKIE_NONCE_LEN, 0xc0);
	seal_cookie(reply, expected_cookie4, expected_mac1,
		    expected_cookie_key);
	KUNIT_EXPECT_MEMEQ(test, reply->encrypted_cookie, expected_sealed,
			   sizeof(expected_sealed));
}

static void any_bit_flip_fails_mac1(struct kunit *test)
{
	struct message_handshake_initiation *msg = test_message(test);
	struct cookie_checker *checker = test_checker(test);
	struct cookie *cookie = test_cookie(test);
	struct sk_buff *skb;
	size_t bit;

	cookie_add_macs(cookie, msg, sizeof(*msg));
	skb = test_skb(test, msg, sizeof(*msg), test_addr4, false, TEST_PORT);
	KUNIT_EXPECT_EQ(test, check_macs(checker, skb, false),
			VALID_MAC_BUT_NO_COOKIE);

	/* Every bit mac1 covers, and mac1 itself; the header bits too. */
	for (bit = 0; bit < offsetof(typeof(*msg), macs.mac2) * 8; ++bit) {
		skb->data[bit / 8] ^= 1 << (bit % 8);
		KUNIT_EXPECT_EQ_MSG(test, check_macs(checker, skb, false),
				    INVALID_MAC, "bit %zu", bit);
		skb->data[bit / 8] ^= 1 << (bit % 8);
	}
	KUNIT_EXPECT_EQ(test, check_macs(checker, skb, false),
			VALID_MAC_BUT_NO_COOKIE);

	/* A message too short for its type has no macs to check. */
	skb_trim(skb, sizeof(*msg) - 1);
	KUNIT_EXPECT_EQ(test, check_macs(checker, skb, false), INVALID_MAC);
	kfree_skb(skb);
}

static void mac2_is_required_when_checking_cookies(struct kunit *test)
{
	struct message_handshake_initiation *msg = test_message(test);
	struct cookie_checker *checker = test_checker(test);
	struct cookie *cookie = test_cookie(test);
	struct sk_buff *skb;

	/* No cookie held: mac2 is zero. */
	cookie_add_macs(cookie, msg, sizeof(*msg));
	skb = test_skb(test, msg, sizeof(*msg), test_addr4, false, TEST_PORT);
	KUNIT_EXPECT_EQ(test, check_macs(checker, skb, true),
			VALID_MAC_BUT_NO_COOKIE);
	kfree_skb(skb);

	/* The cookie for this source makes mac2 good... */
	memcpy(cookie->cookie, expected_cookie4, COOKIE_LEN);
	cookie->is_valid = true;
	cookie->birthdate = ktime_get_coarse_boottime_ns();
	cookie_add_macs(cookie, msg, sizeof(*msg));
	skb = test_skb(test, msg, sizeof(*msg), test_addr4, false, TEST_PORT);
	KUNIT_EXPECT_EQ(test, check_macs(checker, skb, true),
			VALID_MAC_WITH_COOKIE);
	/* ...and is not looked at unless asked for. */
	KUNIT_EXPECT_EQ(test, check_macs(checker, skb, false),
			VALID_MAC_BUT_NO_COOKIE);
	kfree_skb(skb);

	/* From another port the same cookie is worth nothing. */
	skb = test_skb(test, msg, sizeof(*msg), test_addr4, false,
		       TEST_PORT + 1);
	KUNIT_EXPECT_EQ(test, check_macs(checker, skb, true),
			VALID_MAC_BUT_NO_COOKIE);
	kfree_skb(skb);
}

static void cookie_reply_round_trip_makes_mac2_good(struct kunit *test)
{
	struct message_handshake_initiation *msg = test_message(test);
	struct cookie_checker *checker = test_checker(test);
	struct cookie *cookie = test_cookie(test);
	struct message_handshake_cookie *reply;
	struct sk_buff *skb;

	reply = kunit_kzalloc(test, sizeof(*reply), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, reply);

	cookie_add_macs(cookie, msg, sizeof(*msg));
	skb = test_skb(test, msg, sizeof(*msg), test_addr6, true, TEST_PORT);
	KUNIT_EXPECT_EQ(test, check_macs(checker, skb, true),
			VALID_MAC_BUT_NO_COOKIE);
	wg_cookie_message_create(reply, skb, cpu_to_le32(0x12345678), checker);
	kfree_skb(skb);

	KUNIT_EXPECT_EQ(test, le32_to_cpu(reply->header.type),
			MESSAGE_HANDSHAKE_COOKIE);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(reply->receiver_index), 0x12345678);

	KUNIT_EXPECT_TRUE(test, cookie_consume_reply(cookie, reply));
	KUNIT_EXPECT_TRUE(test, cookie->is_valid);
	KUNIT_EXPECT_FALSE(test, cookie->have_sent_mac1);
	KUNIT_EXPECT_MEMEQ(test, cookie->cookie, expected_cookie6, COOKIE_LEN);

	cookie_add_macs(cookie, msg, sizeof(*msg));
	skb = test_skb(test, msg, sizeof(*msg), test_addr6, true, TEST_PORT);
	KUNIT_EXPECT_EQ(test, check_macs(checker, skb, true),
			VALID_MAC_WITH_COOKIE);
	kfree_skb(skb);
}

static void forged_or_replayed_cookie_reply_is_refused(struct kunit *test)
{
	struct message_handshake_initiation *msg = test_message(test);
	struct cookie_checker *checker = test_checker(test);
	struct cookie *cookie = test_cookie(test);
	struct message_handshake_cookie *reply;
	struct sk_buff *skb;

	reply = kunit_kzalloc(test, sizeof(*reply), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, reply);

	/* Unsolicited: we have sent no mac1 it could answer. */
	cookie_add_macs(cookie, msg, sizeof(*msg));
	skb = test_skb(test, msg, sizeof(*msg), test_addr4, false, TEST_PORT);
	wg_cookie_message_create(reply, skb, 0, checker);
	kfree_skb(skb);
	cookie->have_sent_mac1 = false;
	KUNIT_EXPECT_FALSE(test, cookie_consume_reply(cookie, reply));
	cookie->have_sent_mac1 = true;

	/* Tampered, in the ciphertext or the nonce: nothing changes. */
	reply->encrypted_cookie[3] ^= 0x10;
	KUNIT_EXPECT_FALSE(test, cookie_consume_reply(cookie, reply));
	reply->encrypted_cookie[3] ^= 0x10;
	reply->nonce[20] ^= 0x01;
	KUNIT_EXPECT_FALSE(test, cookie_consume_reply(cookie, reply));
	reply->nonce[20] ^= 0x01;
	KUNIT_EXPECT_FALSE(test, cookie->is_valid);
	KUNIT_EXPECT_TRUE(test, cookie->have_sent_mac1);

	/* The genuine one still opens, once. */
	KUNIT_EXPECT_TRUE(test, cookie_consume_reply(cookie, reply));
	KUNIT_EXPECT_FALSE(test, cookie_consume_reply(cookie, reply));

	/* An answer to an older mac1 than the last one sent is refused. */
	msg->sender_index ^= cpu_to_le32(1);
	cookie_add_macs(cookie, msg, sizeof(*msg));
	KUNIT_EXPECT_FALSE(test, cookie_consume_reply(cookie, reply));
}

static void secret_rotates_after_two_minutes(struct kunit *test)
{
	struct message_handshake_initiation *msg = test_message(test);
	struct cookie_checker *checker = test_checker(test);
	struct cookie *cookie = test_cookie(test);
	u8 before[NOISE_HASH_LEN];
	struct sk_buff *skb;
	u64 now;

	skb = test_skb(test, msg, sizeof(*msg), test_addr4, false, TEST_PORT);
	memcpy(before, checker->secret, NOISE_HASH_LEN);

	checker->secret_birthdate -= 119ULL * NSEC_PER_SEC;
	rotate_secret_if_old(checker);
	KUNIT_EXPECT_MEMEQ(test, checker->secret, before, NOISE_HASH_LEN);

	/* A cookie from the old R is good until R changes. */
	memcpy(cookie->cookie, expected_cookie4, COOKIE_LEN);
	cookie->is_valid = true;
	cookie->birthdate = ktime_get_coarse_boottime_ns();
	cookie_add_macs(cookie, skb->data, skb->len);
	KUNIT_EXPECT_EQ(test, check_macs(checker, skb, true),
			VALID_MAC_WITH_COOKIE);

	checker->secret_birthdate -= NSEC_PER_SEC;
	now = ktime_get_coarse_boottime_ns();
	KUNIT_EXPECT_EQ(test, check_macs(checker, skb, true),
			VALID_MAC_BUT_NO_COOKIE);
	KUNIT_EXPECT_NE(test, memcmp(checker->secret, before, NOISE_HASH_LEN),
			0);
	KUNIT_EXPECT_GE(test, checker->secret_birthdate, now);
	kfree_skb(skb);
}

static void validate_packet_rate_limits_after_a_burst(struct kunit *test)
{
	struct message_handshake_initiation *msg = test_message(test);
	struct cookie_checker *checker = test_checker(test);
	static const u8 addr[4] = { 198, 51, 100, 7 };
	struct cookie *cookie = test_cookie(test);
	enum cookie_mac_state state;
	bool limited = false;
	struct sk_buff *skb;
	struct wg_device *wg;
	int i;

	wg = kunit_kzalloc(test, sizeof(*wg), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, wg);
	wg->dev = kunit_kzalloc(test, sizeof(*wg->dev), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, wg->dev);
	dev_net_set(wg->dev, &init_net);
	checker->device = wg;
	KUNIT_ASSERT_EQ(test, wg_ratelimiter_init(), 0);

	skb = test_skb(test, msg, sizeof(*msg), addr, false, TEST_PORT);
	make_cookie(cookie->cookie, skb, checker->secret);
	cookie->is_valid = true;
	cookie->birthdate = ktime_get_coarse_boottime_ns();
	cookie_add_macs(cookie, skb->data, skb->len);

	KUNIT_EXPECT_EQ(test, wg_cookie_validate_packet(checker, skb, false),
			VALID_MAC_BUT_NO_COOKIE);
	KUNIT_EXPECT_EQ(test, wg_cookie_validate_packet(checker, skb, true),
			VALID_MAC_WITH_COOKIE);
	/* Five at once pass; more than that inside 250 ms cannot. */
	for (i = 0; i < 10 && !limited; ++i) {
		state = wg_cookie_validate_packet(checker, skb, true);
		limited = state == VALID_MAC_WITH_COOKIE_BUT_RATELIMITED;
	}
	KUNIT_EXPECT_TRUE(test, limited);

	kfree_skb(skb);
	wg_ratelimiter_uninit();
}

static struct kunit_case wg_cookie_cases[] = {
	KUNIT_CASE(keys_are_hashes_of_label_and_public_key),
	KUNIT_CASE(device_keys_follow_the_static_identity),
	KUNIT_CASE(macs_match_known_answers),
	KUNIT_CASE(mac2_is_zero_without_a_fresh_cookie),
	KUNIT_CASE(cookie_binds_source_address_and_port),
	KUNIT_CASE(sealed_cookie_matches_known_answer),
	KUNIT_CASE(any_bit_flip_fails_mac1),
	KUNIT_CASE(mac2_is_required_when_checking_cookies),
	KUNIT_CASE(cookie_reply_round_trip_makes_mac2_good),
	KUNIT_CASE(forged_or_replayed_cookie_reply_is_refused),
	KUNIT_CASE(secret_rotates_after_two_minutes),
	KUNIT_CASE(validate_packet_rate_limits_after_a_burst),
	{}
};

static struct kunit_suite wg_cookie_suite = {
	.name = "wg_cookie",
	.test_cases = wg_cookie_cases,
};

kunit_test_suite(wg_cookie_suite);
