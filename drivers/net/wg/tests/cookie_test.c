// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite "wg_cookie" for mac1, mac2 and cookie replies (cookie.c).
 *
 * Not built on its own: cookie.c includes it at its end when the kernel
 * has CONFIG_KUNIT, so it sees cookie.c's statics. Times are a fed clock.
 *
 * Known answers: every cv_* value between the BEGIN and END lines below is
 * the output of selftests/tools/noise_vectors.py (the messages of the
 * wg_noise suite's handshake; MACs with Python's keyed hashlib.blake2s;
 * the cookie reply sealed with HChaCha20 written in that script and
 * ChaCha20-Poly1305 from python3-cryptography). To regenerate in place:
 *
 *	selftests/tools/noise_vectors.py --write
 *
 * ("noise_vectors.py cookie" prints the block, "--check" compares).
 */

#include <kunit/test.h>

/* BEGIN noise_vectors.py cookie: generated, do not edit */
/* Keys: as in noise_test.c (noise_vectors.py). */
static const u8 cv_si_pub[WG_KEY_SIZE] = {
	0x9a, 0x40, 0x13, 0x51, 0x4b, 0x53, 0xb5, 0x4d,
	0x2c, 0x68, 0x23, 0x3e, 0xee, 0xa8, 0xe3, 0xd1,
	0x95, 0x2d, 0x19, 0x94, 0x0f, 0x23, 0xf1, 0x33,
	0x11, 0xef, 0x67, 0xc7, 0xa5, 0x4b, 0xa1, 0x7b,
};

static const u8 cv_sr_pub[WG_KEY_SIZE] = {
	0x32, 0xd9, 0x39, 0x76, 0x63, 0x78, 0x0f, 0xc1,
	0x9d, 0xae, 0xb4, 0x2c, 0x1e, 0x98, 0xc6, 0x7c,
	0x7c, 0x13, 0xe9, 0x67, 0xe5, 0xbb, 0x5a, 0x97,
	0x22, 0x2a, 0x77, 0xd4, 0x43, 0x9f, 0x37, 0x14,
};

static const u8 cv_sr_mac1_key[WG_KEY_SIZE] = {
	0x36, 0x22, 0xcb, 0x86, 0xce, 0x2b, 0x55, 0x23,
	0x28, 0xfc, 0xd7, 0x18, 0x92, 0xf1, 0x66, 0xb9,
	0x1c, 0x02, 0x63, 0x61, 0x7e, 0xc5, 0xf4, 0xff,
	0xff, 0x67, 0xe5, 0x5c, 0x32, 0x00, 0x62, 0x4d,
};

static const u8 cv_si_mac1_key[WG_KEY_SIZE] = {
	0x2f, 0x96, 0x60, 0xf0, 0xce, 0x85, 0x52, 0x4b,
	0x7c, 0x64, 0x18, 0xe0, 0xca, 0x43, 0xaf, 0xe3,
	0xac, 0x5b, 0xcf, 0x37, 0x72, 0x54, 0xf6, 0x55,
	0x5d, 0x32, 0x0d, 0xe2, 0x64, 0x5c, 0x02, 0x11,
};

static const u8 cv_sr_cookie_key[WG_KEY_SIZE] = {
	0x09, 0x68, 0xee, 0xc1, 0x31, 0x9c, 0xc7, 0x70,
	0xa8, 0xe8, 0xe6, 0xe2, 0xdc, 0x93, 0x18, 0xb6,
	0xc0, 0x6a, 0x6c, 0x7b, 0x8b, 0x30, 0x7d, 0x70,
	0x6e, 0xc5, 0xe5, 0xf2, 0xd9, 0xae, 0xf2, 0x6b,
};

/* Message 1 and 2 of noise_test.c up to mac1. */
static const u8 cv_msg1[116] = {
	0x01, 0x00, 0x00, 0x00, 0x4d, 0x3c, 0x2b, 0x1a,
	0x49, 0xa7, 0x77, 0xf2, 0x59, 0x48, 0x31, 0x01,
	0x0d, 0xc4, 0xb4, 0x09, 0x98, 0x9c, 0x85, 0x8d,
	0x0e, 0xb2, 0x6a, 0x27, 0x64, 0xba, 0x02, 0x65,
	0x90, 0xed, 0x63, 0xba, 0xfe, 0x90, 0xe3, 0x39,
	0x14, 0x63, 0x57, 0x82, 0x71, 0x9b, 0x4a, 0xc5,
	0x17, 0xdd, 0x67, 0xdc, 0xef, 0x4b, 0x0b, 0x82,
	0xd3, 0x7f, 0xdb, 0x6c, 0x9b, 0x34, 0x9c, 0xee,
	0x3a, 0x3e, 0x96, 0x17, 0x44, 0x86, 0xb2, 0xde,
	0xa8, 0xac, 0xc8, 0x83, 0xa6, 0x2b, 0xd8, 0x8c,
	0xc7, 0x30, 0xf9, 0xf4, 0x00, 0x54, 0x02, 0xbd,
	0xce, 0x32, 0x94, 0xde, 0x0c, 0xd8, 0xf4, 0xe3,
	0x51, 0x4a, 0xfa, 0x29, 0x26, 0x71, 0x37, 0xda,
	0xc7, 0xe0, 0x25, 0x8f, 0x58, 0x3a, 0x12, 0x27,
	0x2c, 0xbb, 0xe7, 0x1e,
};

static const u8 cv_msg2[60] = {
	0x02, 0x00, 0x00, 0x00, 0x81, 0x70, 0x6f, 0x5e,
	0x4d, 0x3c, 0x2b, 0x1a, 0xd6, 0x10, 0xab, 0xfe,
	0x64, 0x63, 0xe9, 0x12, 0x06, 0xb0, 0x01, 0x17,
	0xe2, 0xfb, 0x9f, 0xea, 0xd3, 0xd6, 0x57, 0x9c,
	0x8c, 0xf6, 0x68, 0x44, 0x2f, 0x10, 0xdf, 0xbf,
	0xcc, 0x00, 0x78, 0x71, 0x0d, 0x34, 0x8f, 0x80,
	0x47, 0xa8, 0x73, 0x38, 0x8f, 0xc5, 0x99, 0x70,
	0xf6, 0x75, 0xf5, 0xe8,
};

/* Keyed BLAKE2s-128 (hashlib.blake2s(key=, digest_size=16)). */
static const u8 cv_msg1_mac1[WG_MAC_SIZE] = {
	0xca, 0x79, 0x6e, 0x2e, 0x65, 0x3d, 0xd8, 0x19,
	0x04, 0xf6, 0xb6, 0x2b, 0x08, 0xbe, 0xf5, 0x58,
};

static const u8 cv_cookie_held[WG_COOKIE_SIZE] = {
	0x3d, 0x18, 0xdf, 0x86, 0x34, 0x95, 0x0f, 0x58,
	0xda, 0x2d, 0x0e, 0x49, 0x37, 0x64, 0x21, 0xa4,
};

static const u8 cv_msg1_mac2[WG_MAC_SIZE] = {
	0xf7, 0xfc, 0xa2, 0x7e, 0xbb, 0x8d, 0xe4, 0x0f,
	0xba, 0x9e, 0x9a, 0xbd, 0x9d, 0x2b, 0xb0, 0xe9,
};

static const u8 cv_msg2_mac1[WG_MAC_SIZE] = {
	0xe0, 0x63, 0x8b, 0x3a, 0x2a, 0x13, 0xa1, 0xa1,
	0xec, 0x73, 0x3e, 0xc9, 0xf7, 0x88, 0xbe, 0xad,
};

/* The jar's secret R and the cookies it gives two sources. */
static const u8 cv_secret[WG_KEY_SIZE] = {
	0x49, 0xd1, 0x64, 0x7d, 0xb4, 0xb9, 0x96, 0xe9,
	0x71, 0x44, 0x30, 0x27, 0xd2, 0x5f, 0x61, 0x67,
	0x76, 0x7b, 0x02, 0xa4, 0x3e, 0x99, 0x82, 0x87,
	0xcb, 0x65, 0x98, 0x7d, 0x94, 0x14, 0x21, 0x53,
};

static const u8 cv_src4[4] = {
	0xc0, 0x00, 0x02, 0x01,
};

static const u8 cv_src6[16] = {
	0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
};

#define CV_SRC_PORT	51820
#define CV_SENDER_I	0x1a2b3c4d

static const u8 cv_cookie4[WG_COOKIE_SIZE] = {
	0x6a, 0x39, 0xb6, 0x94, 0x8b, 0xca, 0xca, 0xe5,
	0x80, 0x7e, 0x14, 0xd2, 0x4e, 0x05, 0x1c, 0x5f,
};

static const u8 cv_cookie6[WG_COOKIE_SIZE] = {
	0x6d, 0x22, 0x0f, 0x43, 0xc1, 0x1b, 0x7f, 0xae,
	0xee, 0xae, 0xa7, 0xbf, 0xd5, 0x25, 0x3c, 0x4c,
};

static const u8 cv_msg1_mac2_4[WG_MAC_SIZE] = {
	0xed, 0xca, 0x87, 0xf2, 0xc5, 0xd8, 0x55, 0xeb,
	0x24, 0x2a, 0xa7, 0xb3, 0x7a, 0xfb, 0x5f, 0xa2,
};

/* A cookie reply to cv_msg1 from cv_src4 with a fixed nonce
 * (XChaCha20-Poly1305: HChaCha20 here, ChaCha20-Poly1305 from
 * python3-cryptography).
 */
static const u8 cv_reply[64] = {
	0x03, 0x00, 0x00, 0x00, 0x4d, 0x3c, 0x2b, 0x1a,
	0x4a, 0x22, 0x04, 0x92, 0x94, 0x76, 0xff, 0x62,
	0xde, 0x78, 0x92, 0xaa, 0x27, 0xb4, 0xcb, 0x69,
	0xb0, 0x73, 0xd8, 0xca, 0xe6, 0xba, 0x4e, 0xda,
	0x7e, 0x67, 0x95, 0x65, 0x04, 0x9f, 0x2f, 0xfa,
	0x2b, 0xd0, 0xfc, 0x9d, 0x95, 0x60, 0xa5, 0x66,
	0x51, 0x52, 0xf0, 0x3c, 0x20, 0x4c, 0x35, 0x55,
	0x4b, 0xd4, 0x62, 0x76, 0x51, 0x9a, 0xca, 0xaf,
};

/* END noise_vectors.py cookie */

#define CT_T0		(1000 * NSEC_PER_SEC)
#define CT_AT(s)	(CT_T0 + (u64)(s) * NSEC_PER_SEC)
#define CT_PORT		cpu_to_be16(CV_SRC_PORT)

/* Everything a case needs, off the stack. */
struct ct_ctx {
	struct wg_cookie_jar jar;
	struct wg_cookie_held held;
	struct wg_msg_initiation msg1;
	struct wg_msg_response msg2;
	struct wg_msg_cookie reply;
	u8 cookie[WG_COOKIE_SIZE];
	u8 key[WG_KEY_SIZE];
};

static void ct_exit_jar(void *jar)
{
	wg_cookie_jar_destroy(jar);
}

static struct ct_ctx *ct_ctx(struct kunit *test)
{
	struct ct_ctx *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, c);
	wg_cookie_jar_init(&c->jar);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, ct_exit_jar,
							&c->jar), 0);
	memcpy(&c->msg1, cv_msg1, sizeof(cv_msg1));
	memcpy(&c->msg2, cv_msg2, sizeof(cv_msg2));
	return c;
}

/* A jar whose secret R is the known one, born at @born. */
static void ct_known_secret(struct ct_ctx *c, u64 born)
{
	memcpy(c->jar.secret, cv_secret, WG_KEY_SIZE);
	c->jar.born = born;
}

static enum wg_mac_verdict ct_check1(struct ct_ctx *c, bool mac2, u64 now,
				     const u8 *addr, size_t addr_len,
				     __be16 port)
{
	return wg_cookie_check_macs(&c->jar, cv_sr_mac1_key, &c->msg1,
				    sizeof(c->msg1), mac2, now, addr, addr_len,
				    port);
}

/* HASH("mac1----" || pub) and HASH("cookie--" || pub). */
static void cookie_label_keys_are_the_known_ones(struct kunit *test)
{
	u8 key[WG_KEY_SIZE];

	wg_cookie_mac1_key(key, cv_sr_pub);
	KUNIT_EXPECT_MEMEQ(test, key, cv_sr_mac1_key, WG_KEY_SIZE);
	wg_cookie_mac1_key(key, cv_si_pub);
	KUNIT_EXPECT_MEMEQ(test, key, cv_si_mac1_key, WG_KEY_SIZE);
	wg_cookie_cookie_key(key, cv_sr_pub);
	KUNIT_EXPECT_MEMEQ(test, key, cv_sr_cookie_key, WG_KEY_SIZE);
}

/*
 * add_macs: mac1 over the bytes before it, mac2 over the bytes before it
 * with a fresh held cookie, zeros without one; the mac1 is remembered.
 */
static void cookie_macs_are_the_known_ones(struct kunit *test)
{
	struct ct_ctx *c = ct_ctx(test);

	memcpy(c->held.cookie, cv_cookie_held, WG_COOKIE_SIZE);
	c->held.received = CT_AT(0);
	wg_cookie_add_macs(&c->held, cv_sr_mac1_key, &c->msg1,
			   sizeof(c->msg1), CT_AT(1));
	KUNIT_EXPECT_MEMEQ(test, c->msg1.macs.mac1, cv_msg1_mac1, WG_MAC_SIZE);
	KUNIT_EXPECT_MEMEQ(test, c->msg1.macs.mac2, cv_msg1_mac2, WG_MAC_SIZE);
	KUNIT_EXPECT_MEMEQ(test, c->held.last_mac1, cv_msg1_mac1, WG_MAC_SIZE);
	KUNIT_EXPECT_TRUE(test, c->held.sent_mac1);

	memset(&c->held, 0, sizeof(c->held));
	memset(&c->msg2.macs, 0xaa, sizeof(c->msg2.macs));
	wg_cookie_add_macs(&c->held, cv_si_mac1_key, &c->msg2,
			   sizeof(c->msg2), CT_AT(1));
	KUNIT_EXPECT_MEMEQ(test, c->msg2.macs.mac1, cv_msg2_mac1, WG_MAC_SIZE);
	KUNIT_EXPECT_NULL(test, memchr_inv(c->msg2.macs.mac2, 0, WG_MAC_SIZE));
}

/* MAC(R, addr || port) for an IPv4 and an IPv6 source. */
static void cookie_of_a_source_is_the_known_one(struct kunit *test)
{
	struct ct_ctx *c = ct_ctx(test);

	ct_known_secret(c, CT_AT(0));
	wg_cookie_make(&c->jar, CT_AT(1), cv_src4, sizeof(cv_src4), CT_PORT,
		       c->cookie);
	KUNIT_EXPECT_MEMEQ(test, c->cookie, cv_cookie4, WG_COOKIE_SIZE);
	wg_cookie_make(&c->jar, CT_AT(1), cv_src6, sizeof(cv_src6), CT_PORT,
		       c->cookie);
	KUNIT_EXPECT_MEMEQ(test, c->cookie, cv_cookie6, WG_COOKIE_SIZE);
}

/* Any change to the bytes before mac1, or to mac1, is WG_MAC_BAD. */
static void cookie_bad_mac1_is_refused(struct kunit *test)
{
	struct ct_ctx *c = ct_ctx(test);
	u8 *m = (u8 *)&c->msg1;
	size_t i;

	memcpy(c->msg1.macs.mac1, cv_msg1_mac1, WG_MAC_SIZE);
	KUNIT_ASSERT_EQ(test, ct_check1(c, false, CT_AT(0), cv_src4,
					sizeof(cv_src4), CT_PORT),
			WG_MAC1_ONLY);
	for (i = 0; i < offsetof(struct wg_msg_initiation, macs.mac2); ++i) {
		m[i] ^= 0x20;
		KUNIT_EXPECT_EQ_MSG(test, ct_check1(c, false, CT_AT(0), cv_src4,
						    sizeof(cv_src4), CT_PORT),
				    WG_MAC_BAD, "byte %zu", i);
		m[i] ^= 0x20;
	}
	/* mac1 keyed for another receiver */
	KUNIT_EXPECT_EQ(test, wg_cookie_check_macs(&c->jar, cv_si_mac1_key,
						   &c->msg1, sizeof(c->msg1),
						   true, CT_AT(0), cv_src4,
						   sizeof(cv_src4), CT_PORT),
			WG_MAC_BAD);
	/* too short to hold the macs */
	KUNIT_EXPECT_EQ(test, wg_cookie_check_macs(&c->jar, cv_sr_mac1_key,
						   &c->msg1, WG_MAC_SIZE, true,
						   CT_AT(0), cv_src4,
						   sizeof(cv_src4), CT_PORT),
			WG_MAC_BAD);
}

/*
 * A good mac1 with no mac2 or a wrong one is WG_MAC1_ONLY; mac2 made with
 * the cookie of the very source is WG_MAC2_GOOD, from any other address
 * or port it is not.
 */
static void cookie_mac2_verdicts(struct kunit *test)
{
	static const u8 other4[] = { 192, 0, 2, 2 };
	struct ct_ctx *c = ct_ctx(test);

	ct_known_secret(c, CT_AT(0));
	memcpy(c->msg1.macs.mac1, cv_msg1_mac1, WG_MAC_SIZE);
	KUNIT_EXPECT_EQ(test, ct_check1(c, true, CT_AT(1), cv_src4,
					sizeof(cv_src4), CT_PORT),
			WG_MAC1_ONLY);

	memcpy(c->msg1.macs.mac2, cv_msg1_mac2_4, WG_MAC_SIZE);
	KUNIT_EXPECT_EQ(test, ct_check1(c, true, CT_AT(1), cv_src4,
					sizeof(cv_src4), CT_PORT),
			WG_MAC2_GOOD);
	KUNIT_EXPECT_EQ(test, ct_check1(c, false, CT_AT(1), cv_src4,
					sizeof(cv_src4), CT_PORT),
			WG_MAC1_ONLY);
	KUNIT_EXPECT_EQ(test, ct_check1(c, true, CT_AT(1), other4,
					sizeof(other4), CT_PORT),
			WG_MAC1_ONLY);
	KUNIT_EXPECT_EQ(test, ct_check1(c, true, CT_AT(1), cv_src4,
					sizeof(cv_src4),
					cpu_to_be16(CV_SRC_PORT + 1)),
			WG_MAC1_ONLY);
	KUNIT_EXPECT_EQ(test, ct_check1(c, true, CT_AT(1), cv_src6,
					sizeof(cv_src6), CT_PORT),
			WG_MAC1_ONLY);

	c->msg1.macs.mac2[7] ^= 1;
	KUNIT_EXPECT_EQ(test, ct_check1(c, true, CT_AT(1), cv_src4,
					sizeof(cv_src4), CT_PORT),
			WG_MAC1_ONLY);
}

/* Once R has been renewed, a mac2 made with the old cookie is not good. */
static void cookie_mac2_with_a_stale_cookie_is_not_good(struct kunit *test)
{
	struct ct_ctx *c = ct_ctx(test);

	ct_known_secret(c, CT_AT(0));
	memcpy(c->msg1.macs.mac1, cv_msg1_mac1, WG_MAC_SIZE);
	memcpy(c->msg1.macs.mac2, cv_msg1_mac2_4, WG_MAC_SIZE);
	KUNIT_EXPECT_EQ(test, ct_check1(c, true,
					CT_AT(WG_COOKIE_SECRET_LIFETIME) - 1,
					cv_src4, sizeof(cv_src4), CT_PORT),
			WG_MAC2_GOOD);
	KUNIT_EXPECT_EQ(test, ct_check1(c, true,
					CT_AT(WG_COOKIE_SECRET_LIFETIME),
					cv_src4, sizeof(cv_src4), CT_PORT),
			WG_MAC1_ONLY);
}

/*
 * R is made on first use and renewed WG_COOKIE_SECRET_LIFETIME later:
 * the same cookie until then, another one from then on.
 */
static void cookie_secret_is_renewed_after_its_lifetime(struct kunit *test)
{
	struct ct_ctx *c = ct_ctx(test);
	u8 first[WG_COOKIE_SIZE];

	KUNIT_EXPECT_EQ(test, c->jar.born, 0);
	wg_cookie_make(&c->jar, CT_AT(0), cv_src4, sizeof(cv_src4), CT_PORT,
		       first);
	KUNIT_EXPECT_EQ(test, c->jar.born, CT_AT(0));

	wg_cookie_make(&c->jar, CT_AT(60), cv_src4, sizeof(cv_src4), CT_PORT,
		       c->cookie);
	KUNIT_EXPECT_MEMEQ(test, c->cookie, first, WG_COOKIE_SIZE);
	wg_cookie_make(&c->jar, CT_AT(WG_COOKIE_SECRET_LIFETIME) - 1, cv_src4,
		       sizeof(cv_src4), CT_PORT, c->cookie);
	KUNIT_EXPECT_MEMEQ(test, c->cookie, first, WG_COOKIE_SIZE);
	KUNIT_EXPECT_EQ(test, c->jar.born, CT_AT(0));

	wg_cookie_make(&c->jar, CT_AT(WG_COOKIE_SECRET_LIFETIME), cv_src4,
		       sizeof(cv_src4), CT_PORT, c->cookie);
	KUNIT_EXPECT_MEMNEQ(test, c->cookie, first, WG_COOKIE_SIZE);
	KUNIT_EXPECT_EQ(test, c->jar.born, CT_AT(WG_COOKIE_SECRET_LIFETIME));

	memcpy(first, c->cookie, WG_COOKIE_SIZE);
	wg_cookie_make(&c->jar, CT_AT(WG_COOKIE_SECRET_LIFETIME + 1), cv_src4,
		       sizeof(cv_src4), CT_PORT, c->cookie);
	KUNIT_EXPECT_MEMEQ(test, c->cookie, first, WG_COOKIE_SIZE);
}

/*
 * A held cookie makes mac2 while younger than LIFETIME - LATENCY; from
 * then on mac2 is zeros.
 */
static void cookie_held_is_used_until_lifetime_less_latency(struct kunit *test)
{
	const u64 limit = CT_AT(WG_COOKIE_SECRET_LIFETIME - WG_COOKIE_LATENCY);
	struct ct_ctx *c = ct_ctx(test);

	memcpy(c->held.cookie, cv_cookie_held, WG_COOKIE_SIZE);
	c->held.received = CT_AT(0);
	wg_cookie_add_macs(&c->held, cv_sr_mac1_key, &c->msg1,
			   sizeof(c->msg1), limit - 1);
	KUNIT_EXPECT_MEMEQ(test, c->msg1.macs.mac2, cv_msg1_mac2, WG_MAC_SIZE);

	wg_cookie_add_macs(&c->held, cv_sr_mac1_key, &c->msg1,
			   sizeof(c->msg1), limit);
	KUNIT_EXPECT_MEMEQ(test, c->msg1.macs.mac1, cv_msg1_mac1, WG_MAC_SIZE);
	KUNIT_EXPECT_NULL(test, memchr_inv(c->msg1.macs.mac2, 0, WG_MAC_SIZE));
}

/*
 * The whole exchange: the initiator macs message 1, the responder under
 * load answers with a cookie reply, the initiator takes the cookie and
 * its next message carries a good mac2. The same reply is not taken twice.
 */
static void cookie_reply_round_trip_gives_a_good_mac2(struct kunit *test)
{
	struct ct_ctx *c = ct_ctx(test);

	wg_cookie_add_macs(&c->held, cv_sr_mac1_key, &c->msg1,
			   sizeof(c->msg1), CT_AT(0));
	KUNIT_ASSERT_EQ(test, ct_check1(c, true, CT_AT(0), cv_src4,
					sizeof(cv_src4), CT_PORT),
			WG_MAC1_ONLY);

	wg_cookie_reply_make(&c->jar, cv_sr_cookie_key, &c->msg1,
			     sizeof(c->msg1), c->msg1.sender, CT_AT(0),
			     cv_src4, sizeof(cv_src4), CT_PORT, &c->reply);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(c->reply.type), WG_MSG_COOKIE);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(c->reply.receiver), CV_SENDER_I);

	KUNIT_ASSERT_TRUE(test, wg_cookie_reply_take(&c->held, cv_sr_cookie_key,
						     &c->reply, CT_AT(1)));
	KUNIT_EXPECT_EQ(test, c->held.received, CT_AT(1));
	wg_cookie_make(&c->jar, CT_AT(1), cv_src4, sizeof(cv_src4), CT_PORT,
		       c->cookie);
	KUNIT_EXPECT_MEMEQ(test, c->held.cookie, c->cookie, WG_COOKIE_SIZE);
	KUNIT_EXPECT_FALSE(test, wg_cookie_reply_take(&c->held, cv_sr_cookie_key,
						      &c->reply, CT_AT(2)));
	KUNIT_EXPECT_EQ(test, c->held.received, CT_AT(1));

	wg_cookie_add_macs(&c->held, cv_sr_mac1_key, &c->msg1,
			   sizeof(c->msg1), CT_AT(2));
	KUNIT_EXPECT_EQ(test, ct_check1(c, true, CT_AT(2), cv_src4,
					sizeof(cv_src4), CT_PORT),
			WG_MAC2_GOOD);
}

/* A reply sealed by noise_vectors.py opens to the known cookie. */
static void cookie_known_reply_opens_to_the_known_cookie(struct kunit *test)
{
	struct ct_ctx *c = ct_ctx(test);

	memcpy(&c->reply, cv_reply, sizeof(cv_reply));
	memcpy(c->held.last_mac1, cv_msg1_mac1, WG_MAC_SIZE);
	c->held.sent_mac1 = true;
	KUNIT_ASSERT_TRUE(test, wg_cookie_reply_take(&c->held, cv_sr_cookie_key,
						     &c->reply, CT_AT(0)));
	KUNIT_EXPECT_MEMEQ(test, c->held.cookie, cv_cookie4, WG_COOKIE_SIZE);
}

/*
 * Replies that must not be taken: before we sent any mac1, answering
 * another mac1, sealed under another key, or with any byte of nonce or
 * sealed cookie changed. None of them touches the held cookie.
 */
static void cookie_forged_replies_are_refused(struct kunit *test)
{
	const size_t from = offsetof(struct wg_msg_cookie, nonce);
	struct ct_ctx *c = ct_ctx(test);
	u8 *r = (u8 *)&c->reply;
	size_t i;

	memcpy(&c->reply, cv_reply, sizeof(cv_reply));
	memcpy(c->held.last_mac1, cv_msg1_mac1, WG_MAC_SIZE);
	KUNIT_EXPECT_FALSE(test, wg_cookie_reply_take(&c->held, cv_sr_cookie_key,
						      &c->reply, CT_AT(0)));
	c->held.sent_mac1 = true;

	c->held.last_mac1[3] ^= 1;
	KUNIT_EXPECT_FALSE(test, wg_cookie_reply_take(&c->held, cv_sr_cookie_key,
						      &c->reply, CT_AT(0)));
	c->held.last_mac1[3] ^= 1;

	KUNIT_EXPECT_FALSE(test, wg_cookie_reply_take(&c->held, cv_sr_mac1_key,
						      &c->reply, CT_AT(0)));

	for (i = from; i < sizeof(c->reply); ++i) {
		r[i] ^= 0x04;
		KUNIT_EXPECT_FALSE_MSG(test,
				       wg_cookie_reply_take(&c->held,
							    cv_sr_cookie_key,
							    &c->reply, CT_AT(0)),
				       "byte %zu", i);
		r[i] ^= 0x04;
	}
	KUNIT_EXPECT_EQ(test, c->held.received, 0);
	KUNIT_EXPECT_NULL(test, memchr_inv(c->held.cookie, 0, WG_COOKIE_SIZE));
	KUNIT_EXPECT_TRUE(test, c->held.sent_mac1);
}

static struct kunit_case cookie_cases[] = {
	KUNIT_CASE(cookie_label_keys_are_the_known_ones),
	KUNIT_CASE(cookie_macs_are_the_known_ones),
	KUNIT_CASE(cookie_of_a_source_is_the_known_one),
	KUNIT_CASE(cookie_bad_mac1_is_refused),
	KUNIT_CASE(cookie_mac2_verdicts),
	KUNIT_CASE(cookie_mac2_with_a_stale_cookie_is_not_good),
	KUNIT_CASE(cookie_secret_is_renewed_after_its_lifetime),
	KUNIT_CASE(cookie_held_is_used_until_lifetime_less_latency),
	KUNIT_CASE(cookie_reply_round_trip_gives_a_good_mac2),
	KUNIT_CASE(cookie_known_reply_opens_to_the_known_cookie),
	KUNIT_CASE(cookie_forged_replies_are_refused),
	{}
};

static struct kunit_suite cookie_suite = {
	.name = "wg_cookie",
	.test_cases = cookie_cases,
};

kunit_test_suite(cookie_suite);
