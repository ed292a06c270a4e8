// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite wg_noise. noise.c includes this file at its end, so the cases
 * reach its static helpers (hmac, kdf, tai64n_now, the initial chaining key
 * and hash) directly.
 *
 * The handshake cases run two in-memory devices, alice and bob, built the way
 * wg_newlink() builds one but never registered: a bare net_device for the
 * peers' NAPI contexts and names, the lookup tables, the data path's queues
 * and workqueues (peer removal flushes them). Peers come from
 * wg_peer_create() and go with wg_peer_remove_all(), as in the module.
 * alice and bob have the RFC 7748 section 6.1 key pairs; alice initiates.
 *
 * The known answers were computed with /usr/bin/python3: hashlib.blake2s,
 * hmac, and the "cryptography" package's X25519 and ChaCha20Poly1305 (an
 * implementation independent of the kernel's). The Python above each vector
 * starts from:
 *
 *   import hashlib, hmac, struct
 *   from cryptography.hazmat.primitives.asymmetric.x25519 import \
 *       X25519PrivateKey, X25519PublicKey
 *   from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
 *   from cryptography.hazmat.primitives.serialization import \
 *       Encoding, PublicFormat
 *   def HASH(x): return hashlib.blake2s(x).digest()
 *   def HMAC(k, x): return hmac.new(k, x, hashlib.blake2s).digest()
 *   def KDF(n, k, x):
 *       t0, t, out = HMAC(k, x), b"", []
 *       for i in range(1, n + 1):
 *           t = HMAC(t0, t + bytes([i]))
 *           out.append(t)
 *       return out
 *   def PUB(priv):
 *       return X25519PrivateKey.from_private_bytes(priv).public_key() \
 *           .public_bytes(Encoding.Raw, PublicFormat.Raw)
 *   def DH(priv, pub):
 *       return X25519PrivateKey.from_private_bytes(priv).exchange(
 *           X25519PublicKey.from_public_bytes(pub))
 *   def AEAD(k, n, p, ad):
 *       return ChaCha20Poly1305(k).encrypt(bytes(4) + n.to_bytes(8, "little"),
 *                                          p, ad)
 *
 * (hmac.new() with hashlib.blake2s is RFC 2104 over 64-byte blocks with a
 * 32-byte output, the protocol sheet's HMAC.)
 */

#include <kunit/test.h>
#include <linux/delay.h>
#include "../send.h"

/* KUnit has compared memory only since 6.2; 6.1 gets a plainer report. */
#ifndef KUNIT_EXPECT_MEMEQ
#define KUNIT_EXPECT_MEMEQ(test, left, right, size) \
	KUNIT_EXPECT_EQ(test, memcmp(left, right, size), 0)
#endif

/* Cases can be marked slow since 6.6. */
#ifdef KUNIT_CASE_SLOW
#define WG_KUNIT_CASE_SLOW(name) KUNIT_CASE_SLOW(name)
#else
#define WG_KUNIT_CASE_SLOW(name) KUNIT_CASE(name)
#endif

/* Construction and identifier (protocol sheet, "Handshake"). */

/* C = HASH(b"Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s") */
static const u8 expected_initial_chaining_key[NOISE_HASH_LEN] = {
	0x60, 0xe2, 0x6d, 0xae, 0xf3, 0x27, 0xef, 0xc0,
	0x2e, 0xc3, 0x35, 0xe2, 0xa0, 0x25, 0xd2, 0xd0,
	0x16, 0xeb, 0x42, 0x06, 0xf8, 0x72, 0x77, 0xf5,
	0x2d, 0x38, 0xd1, 0x98, 0x8b, 0x78, 0xcd, 0x36
};

/* HASH(C + b"WireGuard v1 zx2c4 Jason@zx2c4.com") */
static const u8 expected_initial_hash[NOISE_HASH_LEN] = {
	0x22, 0x11, 0xb3, 0x61, 0x08, 0x1a, 0xc5, 0x66,
	0x69, 0x12, 0x43, 0xdb, 0x45, 0x8a, 0xd5, 0x32,
	0x2d, 0x9c, 0x6c, 0x66, 0x22, 0x93, 0xe8, 0xb7,
	0x0e, 0xe1, 0x9c, 0x65, 0xba, 0x07, 0x9e, 0xf3
};

/* HMAC and KDF over BLAKE2s (protocol sheet, "Primitives"). */

/* HMAC(bytes(range(32)), b"WireGuard") */
static const u8 expected_hmac_key32[NOISE_HASH_LEN] = {
	0x54, 0x15, 0x92, 0x45, 0x43, 0x57, 0x6b, 0x3f,
	0x5e, 0xe8, 0x67, 0xc9, 0x4e, 0x1a, 0xab, 0x70,
	0x58, 0x6d, 0x33, 0xb3, 0x2f, 0xae, 0x3f, 0xcc,
	0xd2, 0xc6, 0x35, 0xb3, 0xe1, 0xd7, 0x19, 0x8d
};

/* HMAC(bytes(range(64)), b"") -- a key of exactly one block */
static const u8 expected_hmac_key64[NOISE_HASH_LEN] = {
	0x4a, 0x4f, 0x8f, 0x18, 0x1c, 0x93, 0x12, 0x53,
	0x20, 0x2b, 0x2d, 0x7a, 0x77, 0xe2, 0xa6, 0x12,
	0xf6, 0x55, 0x80, 0xf4, 0xb0, 0xd5, 0x61, 0x08,
	0xf7, 0xf2, 0x75, 0xf2, 0x2b, 0x63, 0xae, 0x00
};

/* HMAC(bytes(range(100)), bytes(range(0x80, 0x100))) -- key hashed first */
static const u8 expected_hmac_key100[NOISE_HASH_LEN] = {
	0x52, 0x0c, 0xcf, 0xac, 0xf4, 0x47, 0xa0, 0x19,
	0x86, 0x2d, 0x18, 0x77, 0x99, 0xa6, 0x51, 0xc0,
	0x5a, 0x4c, 0x31, 0x2b, 0x11, 0x91, 0xdc, 0x74,
	0x50, 0x16, 0xc8, 0x94, 0xd4, 0x5f, 0xef, 0xc8
};

/* KDF(3, bytes(range(32)), bytes(range(0x20, 0x40))) */
static const u8 expected_kdf[3][NOISE_HASH_LEN] = {
	{
		0x6a, 0x96, 0x44, 0x4e, 0x20, 0xe8, 0xd4, 0xc1,
		0xce, 0xe9, 0x74, 0x41, 0x6a, 0xca, 0xe1, 0xc1,
		0x0b, 0x3c, 0x92, 0x88, 0x60, 0x10, 0xe5, 0x4e,
		0xd9, 0x4d, 0xaf, 0xb2, 0xc3, 0xb8, 0x0e, 0xa0
	}, {
		0x57, 0xaf, 0x12, 0x0b, 0x0d, 0xe7, 0xac, 0xbe,
		0x79, 0x07, 0xec, 0x14, 0x9c, 0x5a, 0xe8, 0x70,
		0xa2, 0xdb, 0xb7, 0x42, 0x32, 0xb6, 0x57, 0x77,
		0xba, 0x41, 0x23, 0xf1, 0xf7, 0xf8, 0x88, 0xf5
	}, {
		0x09, 0x26, 0xc7, 0xca, 0xab, 0xb6, 0xe8, 0xd7,
		0x3b, 0xed, 0xa7, 0x59, 0xe6, 0xf4, 0xf0, 0xd3,
		0x24, 0xce, 0x5b, 0x50, 0x00, 0xbc, 0xf8, 0xcd,
		0x78, 0x4b, 0x26, 0xdb, 0x30, 0x49, 0xfa, 0xa9
	}
};

/* KDF(2, bytes(range(32)), b""), as the transport keys are derived */
static const u8 expected_kdf_empty[2][NOISE_HASH_LEN] = {
	{
		0x7a, 0x38, 0xc3, 0x4b, 0xf2, 0xb8, 0x73, 0x8d,
		0x73, 0x74, 0xca, 0x77, 0xc4, 0x4e, 0xcb, 0x30,
		0x9a, 0x11, 0xd2, 0xb2, 0x52, 0x83, 0x04, 0xfa,
		0x86, 0x05, 0x2c, 0x36, 0x5e, 0x72, 0x26, 0x24
	}, {
		0x1a, 0x17, 0x62, 0x1f, 0x34, 0x6a, 0xbd, 0xc5,
		0x20, 0x74, 0x6a, 0x9f, 0xb6, 0x4d, 0x8e, 0xb0,
		0x32, 0x31, 0xd6, 0x74, 0xfc, 0x15, 0x68, 0x75,
		0x37, 0xb0, 0x78, 0x0f, 0xd9, 0xc0, 0x60, 0xfd
	}
};

/* X25519: RFC 7748, section 5.2 ("Test Vectors"). */

struct x25519_vector {
	u8 scalar[CURVE25519_KEY_SIZE];
	u8 u[CURVE25519_KEY_SIZE];
	u8 out[CURVE25519_KEY_SIZE];
};

static const struct x25519_vector rfc7748_5_2[] = {
	{
		/* a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4 */
		.scalar = {
			0xa5, 0x46, 0xe3, 0x6b, 0xf0, 0x52, 0x7c, 0x9d,
			0x3b, 0x16, 0x15, 0x4b, 0x82, 0x46, 0x5e, 0xdd,
			0x62, 0x14, 0x4c, 0x0a, 0xc1, 0xfc, 0x5a, 0x18,
			0x50, 0x6a, 0x22, 0x44, 0xba, 0x44, 0x9a, 0xc4
		},
		/* e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c */
		.u = {
			0xe6, 0xdb, 0x68, 0x67, 0x58, 0x30, 0x30, 0xdb,
			0x35, 0x94, 0xc1, 0xa4, 0x24, 0xb1, 0x5f, 0x7c,
			0x72, 0x66, 0x24, 0xec, 0x26, 0xb3, 0x35, 0x3b,
			0x10, 0xa9, 0x03, 0xa6, 0xd0, 0xab, 0x1c, 0x4c
		},
		/* c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552 */
		.out = {
			0xc3, 0xda, 0x55, 0x37, 0x9d, 0xe9, 0xc6, 0x90,
			0x8e, 0x94, 0xea, 0x4d, 0xf2, 0x8d, 0x08, 0x4f,
			0x32, 0xec, 0xcf, 0x03, 0x49, 0x1c, 0x71, 0xf7,
			0x54, 0xb4, 0x07, 0x55, 0x77, 0xa2, 0x85, 0x52
		}
	}, {
		/* 4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d */
		.scalar = {
			0x4b, 0x66, 0xe9, 0xd4, 0xd1, 0xb4, 0x67, 0x3c,
			0x5a, 0xd2, 0x26, 0x91, 0x95, 0x7d, 0x6a, 0xf5,
			0xc1, 0x1b, 0x64, 0x21, 0xe0, 0xea, 0x01, 0xd4,
			0x2c, 0xa4, 0x16, 0x9e, 0x79, 0x18, 0xba, 0x0d
		},
		/*
		 * e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493:
		 * the top bit of the last byte is set, and must be masked.
		 */
		.u = {
			0xe5, 0x21, 0x0f, 0x12, 0x78, 0x68, 0x11, 0xd3,
			0xf4, 0xb7, 0x95, 0x9d, 0x05, 0x38, 0xae, 0x2c,
			0x31, 0xdb, 0xe7, 0x10, 0x6f, 0xc0, 0x3c, 0x3e,
			0xfc, 0x4c, 0xd5, 0x49, 0xc7, 0x15, 0xa4, 0x93
		},
		/* 95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957 */
		.out = {
			0x95, 0xcb, 0xde, 0x94, 0x76, 0xe8, 0x90, 0x7d,
			0x7a, 0xad, 0xe4, 0x5c, 0xb4, 0xb8, 0x73, 0xf8,
			0x8b, 0x59, 0x5a, 0x68, 0x79, 0x9f, 0xa1, 0x52,
			0xe6, 0xf8, 0xf7, 0x64, 0x7a, 0xac, 0x79, 0x57
		}
	}
};

/*
 * RFC 7748 section 5.2, iterated: k = u = 9; k, u = X25519(k, u), k.
 * After 1 iteration:
 * 422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079
 */
static const u8 rfc7748_5_2_after_1[CURVE25519_KEY_SIZE] = {
	0x42, 0x2c, 0x8e, 0x7a, 0x62, 0x27, 0xd7, 0xbc,
	0xa1, 0x35, 0x0b, 0x3e, 0x2b, 0xb7, 0x27, 0x9f,
	0x78, 0x97, 0xb8, 0x7b, 0xb6, 0x85, 0x4b, 0x78,
	0x3c, 0x60, 0xe8, 0x03, 0x11, 0xae, 0x30, 0x79
};

/* After 1,000 iterations:
 * 684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51
 */
static const u8 rfc7748_5_2_after_1000[CURVE25519_KEY_SIZE] = {
	0x68, 0x4c, 0xf5, 0x9b, 0xa8, 0x33, 0x09, 0x55,
	0x28, 0x00, 0xef, 0x56, 0x6f, 0x2f, 0x4d, 0x3c,
	0x1c, 0x38, 0x87, 0xc4, 0x93, 0x60, 0xe3, 0x87,
	0x5f, 0x2e, 0xb9, 0x4d, 0x99, 0x53, 0x2c, 0x51
};

/* RFC 7748, section 6.1 ("Curve25519"): alice and bob, our two devices. */

/* 77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a */
static const u8 alice_private[NOISE_PUBLIC_KEY_LEN] = {
	0x77, 0x07, 0x6d, 0x0a, 0x73, 0x18, 0xa5, 0x7d,
	0x3c, 0x16, 0xc1, 0x72, 0x51, 0xb2, 0x66, 0x45,
	0xdf, 0x4c, 0x2f, 0x87, 0xeb, 0xc0, 0x99, 0x2a,
	0xb1, 0x77, 0xfb, 0xa5, 0x1d, 0xb9, 0x2c, 0x2a
};

/* 8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a */
static const u8 alice_public[NOISE_PUBLIC_KEY_LEN] = {
	0x85, 0x20, 0xf0, 0x09, 0x89, 0x30, 0xa7, 0x54,
	0x74, 0x8b, 0x7d, 0xdc, 0xb4, 0x3e, 0xf7, 0x5a,
	0x0d, 0xbf, 0x3a, 0x0d, 0x26, 0x38, 0x1a, 0xf4,
	0xeb, 0xa4, 0xa9, 0x8e, 0xaa, 0x9b, 0x4e, 0x6a
};

/* 5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb */
static const u8 bob_private[NOISE_PUBLIC_KEY_LEN] = {
	0x5d, 0xab, 0x08, 0x7e, 0x62, 0x4a, 0x8a, 0x4b,
	0x79, 0xe1, 0x7f, 0x8b, 0x83, 0x80, 0x0e, 0xe6,
	0x6f, 0x3b, 0xb1, 0x29, 0x26, 0x18, 0xb6, 0xfd,
	0x1c, 0x2f, 0x8b, 0x27, 0xff, 0x88, 0xe0, 0xeb
};

/* de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f */
static const u8 bob_public[NOISE_PUBLIC_KEY_LEN] = {
	0xde, 0x9e, 0xdb, 0x7d, 0x7b, 0x7d, 0xc1, 0xb4,
	0xd3, 0x5b, 0x61, 0xc2, 0xec, 0xe4, 0x35, 0x37,
	0x3f, 0x83, 0x43, 0xc8, 0x5b, 0x78, 0x67, 0x4d,
	0xad, 0xfc, 0x7e, 0x14, 0x6f, 0x88, 0x2b, 0x4f
};

/* 4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742 */
static const u8 alice_bob_shared[NOISE_PUBLIC_KEY_LEN] = {
	0x4a, 0x5d, 0x9d, 0x5b, 0xa4, 0xce, 0x2d, 0xe1,
	0x72, 0x8e, 0x3b, 0xf4, 0x80, 0x35, 0x0f, 0x25,
	0xe0, 0x7e, 0x21, 0xc9, 0x47, 0xd1, 0x9e, 0x33,
	0x76, 0xf0, 0x9b, 0x3c, 0x1e, 0x16, 0x17, 0x42
};

/*
 * A whole handshake, alice (Si) to bob (Sr), with fixed ephemerals:
 *
 *   Si = alice_private; Sr = bob_private
 *   Ei = bytes(range(0x40, 0x60)); Er = bytes(range(0x60, 0x80))
 *   psk = bytes(range(0xa0, 0xc0))
 *   ts = bytes.fromhex("400000006553f1000ee6b280")
 *   C = HASH(b"Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s")
 *   H = HASH(HASH(C + b"WireGuard v1 zx2c4 Jason@zx2c4.com") + PUB(Sr))
 *   C, = KDF(1, C, PUB(Ei)); H = HASH(H + PUB(Ei))
 *   C, k = KDF(2, C, DH(Ei, PUB(Sr)))
 *   static = AEAD(k, 0, PUB(Si), H); H = HASH(H + static)
 *   C, k = KDF(2, C, DH(Si, PUB(Sr)))
 *   tstamp = AEAD(k, 0, ts, H); H = HASH(H + tstamp)
 *   init = struct.pack("<II", 1, 0x11223344) + PUB(Ei) + static + tstamp
 *   C1, H1 = C, H
 *   C, = KDF(1, C, PUB(Er)); H = HASH(H + PUB(Er))
 *   C, = KDF(1, C, DH(Er, PUB(Ei)))
 *   C, = KDF(1, C, DH(Er, PUB(Si)))
 *   C, t, k = KDF(3, C, psk); H = HASH(H + t)
 *   empty = AEAD(k, 0, b"", H)
 *   resp = struct.pack("<III", 2, 0x55667788, 0x11223344) + PUB(Er) + empty
 *   send_i, recv_i = KDF(2, C, b"")
 */
#define KAT_INITIATOR_INDEX	0x11223344
#define KAT_RESPONDER_INDEX	0x55667788

/* Ei */
static const u8 kat_initiator_ephemeral[NOISE_PUBLIC_KEY_LEN] = {
	0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47,
	0x48, 0x49, 0x4a, 0x4b, 0x4c, 0x4d, 0x4e, 0x4f,
	0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57,
	0x58, 0x59, 0x5a, 0x5b, 0x5c, 0x5d, 0x5e, 0x5f
};

/* psk */
static const u8 kat_psk[NOISE_SYMMETRIC_KEY_LEN] = {
	0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
	0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf,
	0xb0, 0xb1, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7,
	0xb8, 0xb9, 0xba, 0xbb, 0xbc, 0xbd, 0xbe, 0xbf
};

/* ts */
static const u8 kat_timestamp[NOISE_TIMESTAMP_LEN] = {
	0x40, 0x00, 0x00, 0x00, 0x65, 0x53, 0xf1, 0x00,
	0x0e, 0xe6, 0xb2, 0x80
};

/* init: the initiation up to mac1 */
static const u8 kat_initiation[offsetof(struct message_handshake_initiation,
					macs)] = {
	0x01, 0x00, 0x00, 0x00, 0x44, 0x33, 0x22, 0x11,
	0x79, 0xa6, 0x31, 0xee, 0xde, 0x1b, 0xf9, 0xc9,
	0x8f, 0x12, 0x03, 0x2c, 0xde, 0xad, 0xd0, 0xe7,
	0xa0, 0x79, 0x39, 0x8f, 0xc7, 0x86, 0xb8, 0x8c,
	0xc8, 0x46, 0xec, 0x89, 0xaf, 0x85, 0xa5, 0x1a,
	0x60, 0x74, 0x19, 0x70, 0x1b, 0xeb, 0x34, 0x03,
	0xc6, 0x4e, 0xd0, 0x0e, 0x01, 0x1d, 0x3c, 0xee,
	0x06, 0x35, 0x3c, 0xd2, 0x6b, 0xd2, 0x02, 0xa6,
	0xa8, 0xe3, 0x36, 0xd4, 0x11, 0x18, 0x0e, 0xc4,
	0x1b, 0x52, 0xdf, 0xb4, 0x2b, 0x26, 0xc7, 0xa8,
	0xe4, 0x5d, 0x9c, 0x20, 0x10, 0x4a, 0xc7, 0x75,
	0x4d, 0x69, 0x6d, 0x98, 0x89, 0x59, 0x75, 0xfa,
	0x90, 0xd0, 0x6a, 0x60, 0xf4, 0xa6, 0x4d, 0x42,
	0x7b, 0xe4, 0x48, 0x94, 0xae, 0x4f, 0x50, 0xbc,
	0x64, 0xb1, 0x0a, 0x90
};

/* C1 */
static const u8 kat_chaining_key[NOISE_HASH_LEN] = {
	0x3e, 0x67, 0x98, 0x60, 0x3c, 0xe5, 0x9d, 0x7f,
	0x87, 0xc7, 0xe1, 0xe5, 0x92, 0xb6, 0x48, 0x75,
	0xc1, 0x1f, 0x53, 0x6b, 0x52, 0x79, 0xa2, 0x6c,
	0xe5, 0x0d, 0xf8, 0x82, 0x28, 0x4a, 0xee, 0x3e
};

/* H1 */
static const u8 kat_hash[NOISE_HASH_LEN] = {
	0xce, 0xc2, 0xb2, 0x28, 0x76, 0x91, 0x86, 0xed,
	0xf4, 0x38, 0xed, 0x9b, 0x9f, 0x67, 0x7b, 0xf4,
	0x45, 0x4b, 0x1c, 0xd5, 0xff, 0x35, 0x8b, 0x4c,
	0x16, 0x70, 0x65, 0x66, 0x7d, 0x09, 0x44, 0x68
};

/* resp: the response up to mac1 */
static const u8 kat_response[offsetof(struct message_handshake_response,
				      macs)] = {
	0x02, 0x00, 0x00, 0x00, 0x88, 0x77, 0x66, 0x55,
	0x44, 0x33, 0x22, 0x11, 0x67, 0x5d, 0xd5, 0x74,
	0xed, 0x77, 0x89, 0x31, 0x0b, 0x3d, 0x2e, 0x76,
	0x81, 0xf3, 0x79, 0x0b, 0x46, 0x6c, 0x77, 0x3b,
	0x15, 0x21, 0xfe, 0xcf, 0x36, 0x57, 0x79, 0x58,
	0x37, 0x1e, 0xa5, 0x2f, 0x29, 0x28, 0xfe, 0xe5,
	0x71, 0xad, 0xe1, 0x20, 0x00, 0x5b, 0xe7, 0x62,
	0x0b, 0xe5, 0x65, 0x7c
};

/* send_i */
static const u8 kat_initiator_sending[NOISE_SYMMETRIC_KEY_LEN] = {
	0x5f, 0x7c, 0x4a, 0x72, 0x1d, 0x13, 0x70, 0x8c,
	0x9f, 0x2e, 0xba, 0x92, 0xf0, 0x5a, 0x71, 0xff,
	0x0b, 0xbf, 0x91, 0xa4, 0x81, 0xb3, 0x00, 0x1f,
	0xb8, 0xd6, 0x99, 0x9c, 0x8c, 0x22, 0x98, 0xfa
};

/* recv_i */
static const u8 kat_initiator_receiving[NOISE_SYMMETRIC_KEY_LEN] = {
	0x8f, 0xf5, 0x94, 0x7a, 0x5b, 0x01, 0xef, 0x97,
	0x1f, 0x87, 0x47, 0xb5, 0x4e, 0x7c, 0x41, 0xa8,
	0xe8, 0xeb, 0x71, 0x60, 0x55, 0x13, 0xfa, 0xd1,
	0x4e, 0xfa, 0x23, 0xfa, 0xa8, 0x76, 0x19, 0x21
};

/* One in-memory device and its only peer, the other device. */
struct noise_side {
	struct net_device *dev;
	struct wg_device *wg;
	struct wg_peer *peer;	/* owned by wg's peer list */
};

struct noise_pair {
	struct noise_side alice;	/* the initiator */
	struct noise_side bob;		/* the responder */
	struct message_handshake_initiation initiation;
	struct message_handshake_response response;
};

static void noise_test_setup(struct net_device *dev)
{
	/* Never registered: nothing of a link is needed. */
}

/* What wg_newlink() does, less the registration and the sockets. */
static int side_init(struct noise_side *side,
		     const u8 private_key[NOISE_PUBLIC_KEY_LEN])
{
	struct wg_device *wg;
	int ret;

	side->dev = alloc_netdev(sizeof(*wg), "wgnoise%d", NET_NAME_UNKNOWN,
				 noise_test_setup);
	if (!side->dev)
		return -ENOMEM;
	wg = netdev_priv(side->dev);
	wg->dev = side->dev;
	mutex_init(&wg->device_update_lock);
	init_rwsem(&wg->static_identity.lock);
	INIT_LIST_HEAD(&wg->peer_list);
	wg_allowedips_init(&wg->peer_allowedips);

	ret = wg_pubkey_table_init(&wg->peer_hashtable);
	if (ret)
		goto err_free_dev;
	ret = wg_index_table_init(&wg->index_hashtable);
	if (ret)
		goto err_destroy_pubkey;
	ret = wg_packet_device_init(wg);
	if (ret)
		goto err_destroy_index;

	down_write(&wg->static_identity.lock);
	wg_noise_set_static_identity_private_key(&wg->static_identity,
						 private_key);
	up_write(&wg->static_identity.lock);
	side->wg = wg;
	return 0;

err_destroy_index:
	wg_index_table_destroy(&wg->index_hashtable);
err_destroy_pubkey:
	wg_pubkey_table_destroy(&wg->peer_hashtable);
err_free_dev:
	mutex_destroy(&wg->device_update_lock);
	free_netdev(side->dev);
	side->dev = NULL;
	return ret;
}

/* Mirror of side_init(), as wg_destruct() mirrors wg_newlink(). */
static void side_destroy(struct noise_side *side)
{
	struct wg_device *wg = side->wg;

	if (!wg)
		return;
	mutex_lock(&wg->device_update_lock);
	wg_peer_remove_all(wg);
	wg_allowedips_free(&wg->peer_allowedips, &wg->device_update_lock);
	mutex_unlock(&wg->device_update_lock);
	wg_packet_device_destroy(wg);
	wg_index_table_destroy(&wg->index_hashtable);
	wg_pubkey_table_destroy(&wg->peer_hashtable);
	memzero_explicit(&wg->static_identity, sizeof(wg->static_identity));
	mutex_destroy(&wg->device_update_lock);
	free_netdev(side->dev);
	side->wg = NULL;
	side->dev = NULL;
}

/* The devices come with the first use, so the crypto cases go without. */
static int noise_test_init(struct kunit *test)
{
	test->priv = kunit_kzalloc(test, sizeof(struct noise_pair), GFP_KERNEL);
	return test->priv ? 0 : -ENOMEM;
}

static void noise_test_exit(struct kunit *test)
{
	struct noise_pair *p = test->priv;

	if (!p)
		return;
	side_destroy(&p->bob);
	side_destroy(&p->alice);
}

static void add_peer(struct kunit *test, struct noise_side *side,
		     const u8 public_key[NOISE_PUBLIC_KEY_LEN],
		     const u8 *preshared_key)
{
	struct wg_peer *peer;

	mutex_lock(&side->wg->device_update_lock);
	peer = wg_peer_create(side->wg, public_key, preshared_key);
	mutex_unlock(&side->wg->device_update_lock);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, peer);
	side->peer = peer;
}

/* alice and bob, without peers yet. */
static struct noise_pair *test_devices(struct kunit *test)
{
	struct noise_pair *p = test->priv;

	KUNIT_ASSERT_EQ(test, side_init(&p->alice, alice_private), 0);
	KUNIT_ASSERT_EQ(test, side_init(&p->bob, bob_private), 0);
	return p;
}

/* Each side knows the other; NULL preshared keys are the all-zero one. */
static struct noise_pair *test_pair(struct kunit *test, const u8 *alice_psk,
				    const u8 *bob_psk)
{
	struct noise_pair *p = test_devices(test);

	add_peer(test, &p->alice, bob_public, alice_psk);
	add_peer(test, &p->bob, alice_public, bob_psk);
	return p;
}

/* Drops the reference a consume returned: true if it found @expected. */
static bool found_peer(struct kunit *test, struct wg_peer *peer,
		       struct wg_peer *expected)
{
	if (!peer)
		return false;
	KUNIT_EXPECT_PTR_EQ(test, peer, expected);
	wg_peer_put(peer);
	return true;
}

static bool bob_consumes(struct kunit *test, struct noise_pair *p,
			 struct message_handshake_initiation *msg)
{
	return found_peer(test,
			  wg_noise_handshake_consume_initiation(msg, p->bob.wg),
			  p->bob.peer);
}

static bool alice_consumes(struct kunit *test, struct noise_pair *p,
			   struct message_handshake_response *msg)
{
	return found_peer(test,
			  wg_noise_handshake_consume_response(msg, p->alice.wg),
			  p->alice.peer);
}

static void alice_initiates(struct kunit *test, struct noise_pair *p)
{
	struct noise_handshake *handshake = &p->alice.peer->handshake;
	bool created;

	created = wg_noise_handshake_create_initiation(&p->initiation,
						       handshake);
	KUNIT_ASSERT_TRUE(test, created);
}

static void bob_responds(struct kunit *test, struct noise_pair *p)
{
	struct noise_handshake *handshake = &p->bob.peer->handshake;
	bool created;

	created = wg_noise_handshake_create_response(&p->response, handshake);
	KUNIT_ASSERT_TRUE(test, created);
}

static bool begin_session(struct noise_side *side)
{
	return wg_noise_handshake_begin_session(&side->peer->handshake,
						&side->peer->keypairs);
}

/* Both sides turn the finished handshake into keypairs. */
static void begin_sessions(struct kunit *test, struct noise_pair *p)
{
	KUNIT_ASSERT_TRUE(test, begin_session(&p->bob));
	KUNIT_ASSERT_TRUE(test, begin_session(&p->alice));
}

/* Bob answers the initiation he holds, alice takes the answer: keys. */
static void finish_handshake(struct kunit *test, struct noise_pair *p)
{
	bob_responds(test, p);
	KUNIT_ASSERT_TRUE(test, alice_consumes(test, p, &p->response));
	begin_sessions(test, p);
}

/* Nothing else runs on the test's devices: no lock or RCU needed here. */
static struct noise_keypair *current_keypair(struct wg_peer *peer)
{
	return rcu_dereference_protected(peer->keypairs.current_keypair, true);
}

static struct noise_keypair *next_keypair(struct wg_peer *peer)
{
	return rcu_dereference_protected(peer->keypairs.next_keypair, true);
}

static struct noise_keypair *previous_keypair(struct wg_peer *peer)
{
	return rcu_dereference_protected(peer->keypairs.previous_keypair, true);
}

static void expect_zero(struct kunit *test, const void *buf, size_t len,
			const char *what)
{
	KUNIT_EXPECT_PTR_EQ_MSG(test, memchr_inv(buf, 0, len), NULL,
				"%s is not zero", what);
}

/* @index resolves, in @side's table, to @entry of its peer. */
static void expect_index(struct kunit *test, struct noise_side *side,
			 __le32 index, enum index_type type,
			 struct index_entry *entry)
{
	struct index_entry *found;
	struct wg_peer *peer = NULL;

	found = wg_index_table_lookup(&side->wg->index_hashtable, type, index,
				      &peer);
	KUNIT_EXPECT_PTR_EQ(test, found, entry);
	if (found)
		KUNIT_EXPECT_PTR_EQ(test, peer, side->peer);
	wg_peer_put(peer);
}

/*
 * Alice holds the keypair as current (she has her confirmation), bob as next
 * (until her first data packet); each sends with what the other receives
 * with, and each keypair's remote index names the other's keypair.
 */
static void expect_matching_keypairs(struct kunit *test, struct noise_pair *p)
{
	struct noise_handshake *ha = &p->alice.peer->handshake;
	struct noise_handshake *hb = &p->bob.peer->handshake;
	struct noise_keypair *a = current_keypair(p->alice.peer);
	struct noise_keypair *b = next_keypair(p->bob.peer);

	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_ASSERT_NOT_NULL(test, b);
	KUNIT_EXPECT_NULL(test, next_keypair(p->alice.peer));
	KUNIT_EXPECT_NULL(test, current_keypair(p->bob.peer));
	KUNIT_EXPECT_TRUE(test, a->i_am_the_initiator);
	KUNIT_EXPECT_FALSE(test, b->i_am_the_initiator);

	KUNIT_EXPECT_MEMEQ(test, a->sending.key, b->receiving.key,
			   NOISE_SYMMETRIC_KEY_LEN);
	KUNIT_EXPECT_MEMEQ(test, a->receiving.key, b->sending.key,
			   NOISE_SYMMETRIC_KEY_LEN);
	KUNIT_EXPECT_NE(test, memcmp(a->sending.key, a->receiving.key,
				     NOISE_SYMMETRIC_KEY_LEN), 0);
	KUNIT_EXPECT_TRUE(test, a->sending.is_valid && a->receiving.is_valid);
	KUNIT_EXPECT_TRUE(test, b->sending.is_valid && b->receiving.is_valid);
	KUNIT_EXPECT_EQ(test, atomic64_read(&a->sending_counter), 0);
	KUNIT_EXPECT_EQ(test, atomic64_read(&b->sending_counter), 0);

	/* The indices the messages carried now name the keypairs. */
	KUNIT_EXPECT_EQ(test, le32_to_cpu(p->response.receiver_index),
			le32_to_cpu(p->initiation.sender_index));
	KUNIT_EXPECT_EQ(test, le32_to_cpu(a->entry.index),
			le32_to_cpu(p->initiation.sender_index));
	KUNIT_EXPECT_EQ(test, le32_to_cpu(b->entry.index),
			le32_to_cpu(p->response.sender_index));
	KUNIT_EXPECT_EQ(test, le32_to_cpu(a->remote_index),
			le32_to_cpu(b->entry.index));
	KUNIT_EXPECT_EQ(test, le32_to_cpu(b->remote_index),
			le32_to_cpu(a->entry.index));
	expect_index(test, &p->alice, a->entry.index, INDEX_KEYPAIR, &a->entry);
	expect_index(test, &p->bob, b->entry.index, INDEX_KEYPAIR, &b->entry);
	expect_index(test, &p->alice, a->entry.index, INDEX_HANDSHAKE, NULL);
	expect_index(test, &p->bob, b->entry.index, INDEX_HANDSHAKE, NULL);

	/* The handshakes' secrets are gone once the keys exist. */
	KUNIT_EXPECT_EQ(test, ha->state, HANDSHAKE_ZEROED);
	KUNIT_EXPECT_EQ(test, hb->state, HANDSHAKE_ZEROED);
	expect_zero(test, ha->ephemeral_private, NOISE_PUBLIC_KEY_LEN,
		    "alice's ephemeral");
	expect_zero(test, hb->ephemeral_private, NOISE_PUBLIC_KEY_LEN,
		    "bob's ephemeral");
	expect_zero(test, ha->chaining_key, NOISE_HASH_LEN,
		    "alice's chaining key");
	expect_zero(test, hb->chaining_key, NOISE_HASH_LEN,
		    "bob's chaining key");
}

/* What a consume may change in a handshake; a refused one must not. */
struct handshake_snapshot {
	enum noise_handshake_state state;
	u64 last_initiation_consumption;
	u8 remote_ephemeral[NOISE_PUBLIC_KEY_LEN];
	u8 hash[NOISE_HASH_LEN];
	u8 chaining_key[NOISE_HASH_LEN];
	u8 latest_timestamp[NOISE_TIMESTAMP_LEN];
	__le32 remote_index;
};

static void snapshot(struct handshake_snapshot *s,
		     const struct noise_handshake *h)
{
	s->state = h->state;
	s->last_initiation_consumption = h->last_initiation_consumption;
	memcpy(s->remote_ephemeral, h->remote_ephemeral, NOISE_PUBLIC_KEY_LEN);
	memcpy(s->hash, h->hash, NOISE_HASH_LEN);
	memcpy(s->chaining_key, h->chaining_key, NOISE_HASH_LEN);
	memcpy(s->latest_timestamp, h->latest_timestamp, NOISE_TIMESTAMP_LEN);
	s->remote_index = h->remote_index;
}

static bool unchanged(const struct handshake_snapshot *s,
		      const struct noise_handshake *h)
{
	return s->state == h->state &&
	       s->last_initiation_consumption ==
			h->last_initiation_consumption &&
	       !memcmp(s->remote_ephemeral, h->remote_ephemeral,
		       NOISE_PUBLIC_KEY_LEN) &&
	       !memcmp(s->hash, h->hash, NOISE_HASH_LEN) &&
	       !memcmp(s->chaining_key, h->chaining_key, NOISE_HASH_LEN) &&
	       !memcmp(s->latest_timestamp, h->latest_timestamp,
		       NOISE_TIMESTAMP_LEN) &&
	       s->remote_index == h->remote_index;
}

/*
 * Lifts the limit of one initiation per 1/50 s, so that a refusal can only
 * come from what is being tested.
 */
static void allow_next_initiation(struct noise_handshake *h)
{
	h->last_initiation_consumption = 0;
}

/* A strictly later TAI64N: tai64n_now() rounds down to 2^24 ns steps. */
static void wait_for_next_timestamp(void)
{
	msleep(2 * MSEC_PER_SEC / INITIATIONS_PER_SECOND);
}

static void construction_and_identifier_match_known_answers(struct kunit *test)
{
	KUNIT_EXPECT_MEMEQ(test, initial_chaining_key,
			   expected_initial_chaining_key, NOISE_HASH_LEN);
	KUNIT_EXPECT_MEMEQ(test, initial_hash, expected_initial_hash,
			   NOISE_HASH_LEN);
}

static void hmac_matches_known_answers(struct kunit *test)
{
	static const u8 text[] = "WireGuard";
	u8 key[100], in[128], out[NOISE_HASH_LEN];
	size_t i;

	for (i = 0; i < sizeof(key); ++i)
		key[i] = i;
	for (i = 0; i < sizeof(in); ++i)
		in[i] = 0x80 + i;

	hmac(out, text, sizeof(text) - 1, key, 32);
	KUNIT_EXPECT_MEMEQ(test, out, expected_hmac_key32, NOISE_HASH_LEN);
	hmac(out, NULL, 0, key, BLAKE2S_BLOCK_SIZE);
	KUNIT_EXPECT_MEMEQ(test, out, expected_hmac_key64, NOISE_HASH_LEN);
	hmac(out, in, sizeof(in), key, sizeof(key));
	KUNIT_EXPECT_MEMEQ(test, out, expected_hmac_key100, NOISE_HASH_LEN);
}

static void kdf_matches_known_answers(struct kunit *test)
{
	u8 chaining_key[NOISE_HASH_LEN], data[NOISE_HASH_LEN];
	u8 out[3][NOISE_HASH_LEN];
	size_t i;

	for (i = 0; i < NOISE_HASH_LEN; ++i) {
		chaining_key[i] = i;
		data[i] = 0x20 + i;
	}

	kdf(out[0], out[1], out[2], data, sizeof(data), chaining_key);
	KUNIT_EXPECT_MEMEQ(test, out[0], expected_kdf[0], NOISE_HASH_LEN);
	KUNIT_EXPECT_MEMEQ(test, out[1], expected_kdf[1], NOISE_HASH_LEN);
	KUNIT_EXPECT_MEMEQ(test, out[2], expected_kdf[2], NOISE_HASH_LEN);

	/* KDF1 and KDF2 are prefixes of KDF3. */
	memset(out, 0, sizeof(out));
	kdf(out[0], out[1], NULL, data, sizeof(data), chaining_key);
	KUNIT_EXPECT_MEMEQ(test, out[0], expected_kdf[0], NOISE_HASH_LEN);
	KUNIT_EXPECT_MEMEQ(test, out[1], expected_kdf[1], NOISE_HASH_LEN);
	expect_zero(test, out[2], NOISE_HASH_LEN, "unrequested output");
	kdf(out[0], NULL, NULL, data, sizeof(data), chaining_key);
	KUNIT_EXPECT_MEMEQ(test, out[0], expected_kdf[0], NOISE_HASH_LEN);

	/* In place, as the chaining key is always updated. */
	memcpy(out[0], chaining_key, NOISE_HASH_LEN);
	kdf(out[0], out[1], out[2], data, sizeof(data), out[0]);
	KUNIT_EXPECT_MEMEQ(test, out[0], expected_kdf[0], NOISE_HASH_LEN);
	KUNIT_EXPECT_MEMEQ(test, out[2], expected_kdf[2], NOISE_HASH_LEN);

	kdf(out[0], out[1], NULL, NULL, 0, chaining_key);
	KUNIT_EXPECT_MEMEQ(test, out[0], expected_kdf_empty[0], NOISE_HASH_LEN);
	KUNIT_EXPECT_MEMEQ(test, out[1], expected_kdf_empty[1], NOISE_HASH_LEN);
}

static void x25519_matches_rfc7748_vectors(struct kunit *test)
{
	u8 u[CURVE25519_KEY_SIZE], out[CURVE25519_KEY_SIZE];
	size_t i;

	/* Section 5.2, the two single-shot vectors. */
	for (i = 0; i < ARRAY_SIZE(rfc7748_5_2); ++i) {
		KUNIT_EXPECT_TRUE(test, curve25519(out, rfc7748_5_2[i].scalar,
						   rfc7748_5_2[i].u));
		KUNIT_EXPECT_MEMEQ(test, out, rfc7748_5_2[i].out,
				   CURVE25519_KEY_SIZE);
	}

	/* Section 5.2, iterated once from k = u = 9. */
	memset(u, 0, sizeof(u));
	u[0] = 9;
	KUNIT_EXPECT_TRUE(test, curve25519(out, u, u));
	KUNIT_EXPECT_MEMEQ(test, out, rfc7748_5_2_after_1, CURVE25519_KEY_SIZE);

	/* Section 6.1: both public keys, and the secret they share. */
	KUNIT_EXPECT_TRUE(test, curve25519_generate_public(out, alice_private));
	KUNIT_EXPECT_MEMEQ(test, out, alice_public, NOISE_PUBLIC_KEY_LEN);
	KUNIT_EXPECT_TRUE(test, curve25519_generate_public(out, bob_private));
	KUNIT_EXPECT_MEMEQ(test, out, bob_public, NOISE_PUBLIC_KEY_LEN);
	KUNIT_EXPECT_TRUE(test, curve25519(out, alice_private, bob_public));
	KUNIT_EXPECT_MEMEQ(test, out, alice_bob_shared, NOISE_PUBLIC_KEY_LEN);
	KUNIT_EXPECT_TRUE(test, curve25519(out, bob_private, alice_public));
	KUNIT_EXPECT_MEMEQ(test, out, alice_bob_shared, NOISE_PUBLIC_KEY_LEN);
}

/* Section 5.2 again, 1,000 iterations: seconds on a debug kernel. */
static void x25519_iterated_matches_rfc7748_vector(struct kunit *test)
{
	u8 k[CURVE25519_KEY_SIZE] = { 9 }, u[CURVE25519_KEY_SIZE] = { 9 };
	u8 out[CURVE25519_KEY_SIZE];
	int i;

	for (i = 0; i < 1000; ++i) {
		KUNIT_ASSERT_TRUE(test, curve25519(out, k, u));
		memcpy(u, k, sizeof(u));
		memcpy(k, out, sizeof(k));
	}
	KUNIT_EXPECT_MEMEQ(test, k, rfc7748_5_2_after_1000,
			   CURVE25519_KEY_SIZE);
}

/*
 * Points of small order give the all-zero result that RFC 7748 section 6.1
 * says to check for; every DH of the handshake (mix_dh) refuses it.
 */
static void x25519_refuses_small_order_points(struct kunit *test)
{
	u8 key[NOISE_SYMMETRIC_KEY_LEN], chaining_key[NOISE_HASH_LEN] = { };
	u8 point[CURVE25519_KEY_SIZE] = { }, out[CURVE25519_KEY_SIZE];

	KUNIT_EXPECT_FALSE(test, curve25519(out, alice_private, point));
	KUNIT_EXPECT_FALSE(test, mix_dh(chaining_key, key, alice_private,
					point));
	expect_zero(test, chaining_key, NOISE_HASH_LEN, "chaining key");
	point[0] = 1;
	KUNIT_EXPECT_FALSE(test, curve25519(out, alice_private, point));
	KUNIT_EXPECT_FALSE(test, mix_dh(chaining_key, key, alice_private,
					point));
	expect_zero(test, chaining_key, NOISE_HASH_LEN, "chaining key");
}

static void handshake_yields_matching_keypairs(struct kunit *test)
{
	struct noise_pair *p = test_pair(test, NULL, NULL);

	alice_initiates(test, p);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(p->initiation.header.type),
			MESSAGE_HANDSHAKE_INITIATION);
	KUNIT_EXPECT_EQ(test, p->alice.peer->handshake.state,
			HANDSHAKE_CREATED_INITIATION);
	expect_index(test, &p->alice, p->initiation.sender_index,
		     INDEX_HANDSHAKE, &p->alice.peer->handshake.entry);

	KUNIT_ASSERT_TRUE(test, bob_consumes(test, p, &p->initiation));
	KUNIT_EXPECT_EQ(test, p->bob.peer->handshake.state,
			HANDSHAKE_CONSUMED_INITIATION);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(p->bob.peer->handshake.remote_index),
			le32_to_cpu(p->initiation.sender_index));
	KUNIT_EXPECT_MEMEQ(test, p->bob.peer->handshake.remote_ephemeral,
			   p->initiation.unencrypted_ephemeral,
			   NOISE_PUBLIC_KEY_LEN);

	bob_responds(test, p);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(p->response.header.type),
			MESSAGE_HANDSHAKE_RESPONSE);
	KUNIT_EXPECT_EQ(test, p->bob.peer->handshake.state,
			HANDSHAKE_CREATED_RESPONSE);
	KUNIT_ASSERT_TRUE(test, alice_consumes(test, p, &p->response));
	KUNIT_EXPECT_EQ(test, p->alice.peer->handshake.state,
			HANDSHAKE_CONSUMED_RESPONSE);
	/* Both sides reached the same transcript. */
	KUNIT_EXPECT_MEMEQ(test, p->alice.peer->handshake.hash,
			   p->bob.peer->handshake.hash, NOISE_HASH_LEN);
	KUNIT_EXPECT_MEMEQ(test, p->alice.peer->handshake.chaining_key,
			   p->bob.peer->handshake.chaining_key, NOISE_HASH_LEN);

	begin_sessions(test, p);
	expect_matching_keypairs(test, p);
}

static void preshared_key_handshake_yields_matching_keypairs(struct kunit *test)
{
	struct noise_pair *p = test_pair(test, kat_psk, kat_psk);
	struct noise_keypair *first, *second;

	alice_initiates(test, p);
	KUNIT_ASSERT_TRUE(test, bob_consumes(test, p, &p->initiation));
	finish_handshake(test, p);
	expect_matching_keypairs(test, p);

	/* A second handshake: fresh keys, and the first pair is previous. */
	first = current_keypair(p->alice.peer);
	wait_for_next_timestamp();
	alice_initiates(test, p);
	KUNIT_ASSERT_TRUE(test, bob_consumes(test, p, &p->initiation));
	finish_handshake(test, p);
	expect_matching_keypairs(test, p);
	KUNIT_EXPECT_PTR_EQ(test, previous_keypair(p->alice.peer), first);
	second = current_keypair(p->alice.peer);
	KUNIT_EXPECT_NE(test, memcmp(second->sending.key, first->sending.key,
				     NOISE_SYMMETRIC_KEY_LEN), 0);
}

/* The psk enters at the response: bob takes the initiation, alice refuses. */
static void mismatched_preshared_keys_fail_the_response(struct kunit *test)
{
	struct noise_pair *p = test_pair(test, NULL, kat_psk);

	alice_initiates(test, p);
	KUNIT_ASSERT_TRUE(test, bob_consumes(test, p, &p->initiation));
	bob_responds(test, p);
	KUNIT_EXPECT_FALSE(test, alice_consumes(test, p, &p->response));
	KUNIT_EXPECT_EQ(test, p->alice.peer->handshake.state,
			HANDSHAKE_CREATED_INITIATION);
	KUNIT_EXPECT_FALSE(test, begin_session(&p->alice));
	KUNIT_EXPECT_NULL(test, current_keypair(p->alice.peer));
}

static void initiation_from_an_unknown_key_is_refused(struct kunit *test)
{
	struct noise_pair *p = test_devices(test);

	/* alice knows bob, bob has no peer: her static key names nobody. */
	add_peer(test, &p->alice, bob_public, NULL);
	alice_initiates(test, p);
	KUNIT_EXPECT_FALSE(test, bob_consumes(test, p, &p->initiation));

	/* The same message once bob knows her: it was only the key. */
	add_peer(test, &p->bob, alice_public, NULL);
	KUNIT_ASSERT_TRUE(test, bob_consumes(test, p, &p->initiation));
	finish_handshake(test, p);
	expect_matching_keypairs(test, p);
}

/*
 * Flipping one bit anywhere in what Noise reads of the initiation (the
 * ephemeral and both AEAD fields) makes bob refuse it and leaves him as he
 * was: afterwards the genuine message still completes the handshake. Bit
 * i % 8 of byte i, so every bit position is hit; byte 39, the ephemeral's
 * last, gets its top bit, which X25519 ignores but the transcript does not.
 *
 * Not Noise's: the type (the receive path dispatches on it), sender_index
 * (the index alice chose, which bob only echoes: it is outside the
 * transcript, so a changed one goes through Noise and only mac1 catches it),
 * and mac1/mac2 themselves. All of those are cookie.c's to check
 * (wg_cookie.any_bit_flip_fails_mac1).
 */
static void any_changed_initiation_byte_is_refused(struct kunit *test)
{
	struct noise_pair *p = test_pair(test, NULL, NULL);
	struct message_handshake_initiation *msg = &p->initiation;
	struct noise_handshake *hb = &p->bob.peer->handshake;
	u8 *bytes = (u8 *)msg;
	struct handshake_snapshot before;
	size_t i;

	alice_initiates(test, p);
	snapshot(&before, hb);
	for (i = offsetof(struct message_handshake_initiation,
			  unencrypted_ephemeral);
	     i < offsetof(struct message_handshake_initiation, macs); ++i) {
		bytes[i] ^= BIT(i % 8);
		KUNIT_EXPECT_FALSE_MSG(test, bob_consumes(test, p, msg),
				       "byte %zu", i);
		bytes[i] ^= BIT(i % 8);
		if (!unchanged(&before, hb)) {
			KUNIT_FAIL(test, "byte %zu changed his handshake", i);
			snapshot(&before, hb);
		}
	}
	KUNIT_EXPECT_EQ(test, hb->state, HANDSHAKE_ZEROED);

	KUNIT_ASSERT_TRUE(test, bob_consumes(test, p, &p->initiation));
	finish_handshake(test, p);
	expect_matching_keypairs(test, p);
}

/*
 * Likewise for the response, from receiver_index on (alice's own index:
 * another names no handshake of hers). The type, sender_index and the macs
 * are not Noise's, as above.
 */
static void any_changed_response_byte_is_refused(struct kunit *test)
{
	struct noise_pair *p = test_pair(test, kat_psk, kat_psk);
	struct message_handshake_response *msg = &p->response;
	struct noise_handshake *ha = &p->alice.peer->handshake;
	u8 *bytes = (u8 *)msg;
	struct handshake_snapshot before;
	size_t i;

	alice_initiates(test, p);
	KUNIT_ASSERT_TRUE(test, bob_consumes(test, p, &p->initiation));
	bob_responds(test, p);
	snapshot(&before, ha);
	for (i = offsetof(struct message_handshake_response, receiver_index);
	     i < offsetof(struct message_handshake_response, macs); ++i) {
		bytes[i] ^= BIT(i % 8);
		KUNIT_EXPECT_FALSE_MSG(test, alice_consumes(test, p, msg),
				       "byte %zu", i);
		bytes[i] ^= BIT(i % 8);
		if (!unchanged(&before, ha)) {
			KUNIT_FAIL(test, "byte %zu changed her handshake", i);
			snapshot(&before, ha);
		}
	}
	KUNIT_EXPECT_EQ(test, ha->state, HANDSHAKE_CREATED_INITIATION);
	expect_index(test, &p->alice, p->initiation.sender_index,
		     INDEX_HANDSHAKE, &ha->entry);

	KUNIT_ASSERT_TRUE(test, alice_consumes(test, p, &p->response));
	begin_sessions(test, p);
	expect_matching_keypairs(test, p);
}

/* The same initiation twice: its timestamp is not newer than itself. */
static void replayed_initiation_is_refused(struct kunit *test)
{
	struct noise_pair *p = test_pair(test, NULL, NULL);
	struct noise_handshake *hb = &p->bob.peer->handshake;
	struct handshake_snapshot before;

	alice_initiates(test, p);
	KUNIT_ASSERT_TRUE(test, bob_consumes(test, p, &p->initiation));
	snapshot(&before, hb);
	allow_next_initiation(hb);
	before.last_initiation_consumption = 0;

	KUNIT_EXPECT_FALSE(test, bob_consumes(test, p, &p->initiation));
	KUNIT_EXPECT_TRUE(test, unchanged(&before, hb));

	/* Bob still answers the genuine one. */
	finish_handshake(test, p);
	expect_matching_keypairs(test, p);

	/* Nor does the replay start anything once the session is up. */
	KUNIT_EXPECT_FALSE(test, bob_consumes(test, p, &p->initiation));
	KUNIT_EXPECT_EQ(test, hb->state, HANDSHAKE_ZEROED);
}

/* An initiation older than one already taken, as a delayed copy would be. */
static void older_initiation_is_refused_after_a_newer_one(struct kunit *test)
{
	struct noise_pair *p = test_pair(test, NULL, NULL);
	struct noise_handshake *hb = &p->bob.peer->handshake;
	struct message_handshake_initiation *older;
	struct handshake_snapshot before;

	older = kunit_kmalloc(test, sizeof(*older), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, older);
	alice_initiates(test, p);
	*older = p->initiation;
	wait_for_next_timestamp();
	alice_initiates(test, p);

	KUNIT_ASSERT_TRUE(test, bob_consumes(test, p, &p->initiation));
	snapshot(&before, hb);
	allow_next_initiation(hb);
	before.last_initiation_consumption = 0;
	KUNIT_EXPECT_FALSE(test, bob_consumes(test, p, older));
	KUNIT_EXPECT_TRUE(test, unchanged(&before, hb));

	finish_handshake(test, p);
	expect_matching_keypairs(test, p);
}

/*
 * The comparison itself, against a latest timestamp set by hand: one second
 * ahead of the clock refuses a fresh initiation, one second behind takes it.
 */
static void timestamp_must_be_newer_than_the_latest_seen(struct kunit *test)
{
	struct noise_pair *p = test_pair(test, NULL, NULL);
	struct noise_handshake *hb = &p->bob.peer->handshake;
	u8 latest[NOISE_TIMESTAMP_LEN];
	u64 seconds;

	tai64n_now(latest);
	seconds = get_unaligned_be64(latest);
	put_unaligned_be64(seconds + 1, hb->latest_timestamp);
	memcpy(latest, hb->latest_timestamp, NOISE_TIMESTAMP_LEN);

	alice_initiates(test, p);
	KUNIT_EXPECT_FALSE(test, bob_consumes(test, p, &p->initiation));
	KUNIT_EXPECT_MEMEQ(test, hb->latest_timestamp, latest,
			   NOISE_TIMESTAMP_LEN);
	KUNIT_EXPECT_EQ(test, hb->state, HANDSHAKE_ZEROED);

	put_unaligned_be64(seconds - 1, hb->latest_timestamp);
	KUNIT_ASSERT_TRUE(test, bob_consumes(test, p, &p->initiation));
	/* Now the message's own, which a TAI64N of this second is. */
	KUNIT_EXPECT_GE(test, get_unaligned_be64(hb->latest_timestamp),
			seconds);
	finish_handshake(test, p);
	expect_matching_keypairs(test, p);
}

/* At most one initiation per peer per 1/50 s, however new its timestamp. */
static void initiations_are_limited_to_fifty_per_second(struct kunit *test)
{
	struct noise_pair *p = test_pair(test, NULL, NULL);
	struct noise_handshake *hb = &p->bob.peer->handshake;
	struct handshake_snapshot before;

	alice_initiates(test, p);
	KUNIT_ASSERT_TRUE(test, bob_consumes(test, p, &p->initiation));
	KUNIT_EXPECT_NE(test, hb->last_initiation_consumption, 0);
	wait_for_next_timestamp();
	alice_initiates(test, p);

	/* The previous one was taken just now. */
	hb->last_initiation_consumption = now_ns();
	snapshot(&before, hb);
	KUNIT_EXPECT_FALSE(test, bob_consumes(test, p, &p->initiation));
	KUNIT_EXPECT_TRUE(test, unchanged(&before, hb));

	/* And exactly 1/50 s ago: the next may come. */
	hb->last_initiation_consumption = now_ns() -
					  NSEC_PER_SEC / INITIATIONS_PER_SECOND;
	KUNIT_ASSERT_TRUE(test, bob_consumes(test, p, &p->initiation));
	finish_handshake(test, p);
	expect_matching_keypairs(test, p);
}

/* A response counts once: not twice, and not after the session began. */
static void replayed_response_is_refused(struct kunit *test)
{
	struct noise_pair *p = test_pair(test, NULL, NULL);
	struct noise_keypair *keypair;

	alice_initiates(test, p);
	KUNIT_ASSERT_TRUE(test, bob_consumes(test, p, &p->initiation));
	bob_responds(test, p);
	KUNIT_ASSERT_TRUE(test, alice_consumes(test, p, &p->response));
	KUNIT_EXPECT_FALSE(test, alice_consumes(test, p, &p->response));
	KUNIT_EXPECT_EQ(test, p->alice.peer->handshake.state,
			HANDSHAKE_CONSUMED_RESPONSE);

	begin_sessions(test, p);
	keypair = current_keypair(p->alice.peer);
	KUNIT_EXPECT_FALSE(test, alice_consumes(test, p, &p->response));
	KUNIT_EXPECT_EQ(test, p->alice.peer->handshake.state,
			HANDSHAKE_ZEROED);
	KUNIT_EXPECT_FALSE(test, begin_session(&p->alice));
	KUNIT_EXPECT_PTR_EQ(test, current_keypair(p->alice.peer), keypair);
	expect_matching_keypairs(test, p);
}

/*
 * Against the Python handshake above: bob takes its initiation and reaches
 * its C and H; alice, given its Ei, C and H as if she had sent it, takes its
 * response and derives its transport keys.
 */
static void handshake_matches_known_answer(struct kunit *test)
{
	struct noise_pair *p = test_pair(test, kat_psk, kat_psk);
	struct noise_handshake *ha = &p->alice.peer->handshake;
	struct noise_handshake *hb = &p->bob.peer->handshake;
	struct noise_keypair *keypair;

	memcpy(&p->initiation, kat_initiation, sizeof(kat_initiation));
	KUNIT_ASSERT_TRUE(test, bob_consumes(test, p, &p->initiation));
	KUNIT_EXPECT_MEMEQ(test, hb->chaining_key, kat_chaining_key,
			   NOISE_HASH_LEN);
	KUNIT_EXPECT_MEMEQ(test, hb->hash, kat_hash, NOISE_HASH_LEN);
	KUNIT_EXPECT_MEMEQ(test, hb->latest_timestamp, kat_timestamp,
			   NOISE_TIMESTAMP_LEN);
	KUNIT_EXPECT_MEMEQ(test, hb->remote_ephemeral,
			   p->initiation.unencrypted_ephemeral,
			   NOISE_PUBLIC_KEY_LEN);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(hb->remote_index),
			KAT_INITIATOR_INDEX);

	/* Alice's state after sending it, but under an index of her table. */
	alice_initiates(test, p);
	down_write(&ha->lock);
	memcpy(ha->ephemeral_private, kat_initiator_ephemeral,
	       NOISE_PUBLIC_KEY_LEN);
	memcpy(ha->chaining_key, kat_chaining_key, NOISE_HASH_LEN);
	memcpy(ha->hash, kat_hash, NOISE_HASH_LEN);
	up_write(&ha->lock);

	/* receiver_index is outside the transcript: any value will do. */
	memcpy(&p->response, kat_response, sizeof(kat_response));
	p->response.receiver_index = p->initiation.sender_index;
	KUNIT_ASSERT_TRUE(test, alice_consumes(test, p, &p->response));
	KUNIT_ASSERT_TRUE(test, begin_session(&p->alice));
	keypair = current_keypair(p->alice.peer);
	KUNIT_ASSERT_NOT_NULL(test, keypair);
	KUNIT_EXPECT_MEMEQ(test, keypair->sending.key, kat_initiator_sending,
			   NOISE_SYMMETRIC_KEY_LEN);
	KUNIT_EXPECT_MEMEQ(test, keypair->receiving.key,
			   kat_initiator_receiving, NOISE_SYMMETRIC_KEY_LEN);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(keypair->remote_index),
			KAT_RESPONDER_INDEX);
}

static struct kunit_case wg_noise_cases[] = {
	KUNIT_CASE(construction_and_identifier_match_known_answers),
	KUNIT_CASE(hmac_matches_known_answers),
	KUNIT_CASE(kdf_matches_known_answers),
	KUNIT_CASE(x25519_matches_rfc7748_vectors),
	WG_KUNIT_CASE_SLOW(x25519_iterated_matches_rfc7748_vector),
	KUNIT_CASE(x25519_refuses_small_order_points),
	KUNIT_CASE(handshake_yields_matching_keypairs),
	KUNIT_CASE(preshared_key_handshake_yields_matching_keypairs),
	KUNIT_CASE(mismatched_preshared_keys_fail_the_response),
	KUNIT_CASE(initiation_from_an_unknown_key_is_refused),
	KUNIT_CASE(any_changed_initiation_byte_is_refused),
	KUNIT_CASE(any_changed_response_byte_is_refused),
	KUNIT_CASE(replayed_initiation_is_refused),
	KUNIT_CASE(older_initiation_is_refused_after_a_newer_one),
	KUNIT_CASE(timestamp_must_be_newer_than_the_latest_seen),
	KUNIT_CASE(initiations_are_limited_to_fifty_per_second),
	KUNIT_CASE(replayed_response_is_refused),
	KUNIT_CASE(handshake_matches_known_answer),
	{}
};

static struct kunit_suite wg_noise_suite = {
	.name = "wg_noise",
	.init = noise_test_init,
	.exit = noise_test_exit,
	.test_cases = wg_noise_cases,
};

kunit_test_suite(wg_noise_suite);
