/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What travels on the wire: the four WireGuard messages and the protocol's
 * numbers (protocol sheet: "Messages", "Timers", "Data"). Nothing here may
 * change without breaking every other WireGuard.
 */
#ifndef _WG_WIRE_H
#define _WG_WIRE_H

#include <linux/types.h>
#include <linux/bits.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>

#define WG_KEY_SIZE		32	/* X25519 keys, BLAKE2s hashes, symmetric keys */
#define WG_TAG_SIZE		16	/* Poly1305 */
#define WG_TAI64N_SIZE		12
#define WG_MAC_SIZE		16
#define WG_COOKIE_SIZE		16
#define WG_COOKIE_NONCE_SIZE	24

/* Ciphertext of n bytes of plaintext. */
#define WG_SEALED(n)		((n) + WG_TAG_SIZE)

enum wg_msg_type {
	WG_MSG_INITIATION = 1,
	WG_MSG_RESPONSE = 2,
	WG_MSG_COOKIE = 3,
	WG_MSG_DATA = 4,
};

/* The trailer of both handshake messages. */
struct wg_msg_macs {
	u8 mac1[WG_MAC_SIZE];
	u8 mac2[WG_MAC_SIZE];
} __packed;

/* Type 1, 148 bytes. From "ephemeral" to "timestamp" is Noise message 1. */
struct wg_msg_initiation {
	__le32 type;
	__le32 sender;
	u8 ephemeral[WG_KEY_SIZE];
	u8 static_sealed[WG_SEALED(WG_KEY_SIZE)];
	u8 timestamp_sealed[WG_SEALED(WG_TAI64N_SIZE)];
	struct wg_msg_macs macs;
} __packed;

/* Type 2, 92 bytes. From "ephemeral" to "empty_sealed" is Noise message 2. */
struct wg_msg_response {
	__le32 type;
	__le32 sender;
	__le32 receiver;
	u8 ephemeral[WG_KEY_SIZE];
	u8 empty_sealed[WG_SEALED(0)];
	struct wg_msg_macs macs;
} __packed;

/* Type 3, 64 bytes: a cookie for the sender of the message it answers. */
struct wg_msg_cookie {
	__le32 type;
	__le32 receiver;
	u8 nonce[WG_COOKIE_NONCE_SIZE];
	u8 cookie_sealed[WG_SEALED(WG_COOKIE_SIZE)];
} __packed;

/* Type 4: 16 bytes of header, then the sealed, padded inner packet. */
struct wg_msg_data {
	__le32 type;
	__le32 receiver;
	__le64 counter;
	u8 sealed[];
} __packed;

#define WG_DATA_HEADER_SIZE	sizeof(struct wg_msg_data)
/* A keepalive: no plaintext at all. */
#define WG_DATA_MIN_SIZE	(WG_DATA_HEADER_SIZE + WG_TAG_SIZE)
/* The inner packet is zero-padded to a multiple of this (never past the MTU). */
#define WG_PAD_MULTIPLE		16
/* Message bytes for an inner packet of n bytes, before padding. */
#define WG_DATA_SIZE(n)		(WG_DATA_HEADER_SIZE + WG_SEALED(n))
/* What a message adds to the padded inner packet. */
#define WG_DATA_OVERHEAD	(WG_DATA_HEADER_SIZE + WG_TAG_SIZE)

/* The first 4 bytes of a message of type t, as they appear on the wire. */
static inline __le32 wg_msg_type_word(enum wg_msg_type t)
{
	return cpu_to_le32(t);
}

/* Room the data path leaves for the outer UDP and IP headers. */
#define WG_OUTER_ROOM \
	(sizeof(struct udphdr) + max(sizeof(struct iphdr), sizeof(struct ipv6hdr)))

/* Protocol sheet "Timers", in seconds unless named otherwise. */
#define WG_REKEY_AFTER_MESSAGES		BIT_ULL(60)
#define WG_REJECT_AFTER_MESSAGES	(U64_MAX - BIT_ULL(13))
#define WG_REKEY_AFTER_TIME		120
#define WG_REJECT_AFTER_TIME		180
#define WG_REKEY_ATTEMPT_TIME		90
#define WG_REKEY_TIMEOUT		5
#define WG_REKEY_JITTER_MS		333
#define WG_KEEPALIVE_TIMEOUT		10
/* The initiator renews on receive with a key this old. */
#define WG_RENEW_ON_RECEIVE_AGE \
	(WG_REJECT_AFTER_TIME - WG_KEEPALIVE_TIMEOUT - WG_REKEY_TIMEOUT)
#define WG_ZERO_KEYS_AFTER		(3 * WG_REJECT_AFTER_TIME)
/* Initiations accepted per peer per second. */
#define WG_INITIATIONS_PER_SECOND	50
#define WG_COOKIE_SECRET_LIFETIME	120
#define WG_COOKIE_LATENCY		5

#endif /* _WG_WIRE_H */
