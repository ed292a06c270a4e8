/* SPDX-License-Identifier: GPL-2.0 */
/*
 * WireGuard wire format and protocol constants (protocol sheet: "Messages",
 * "Timers"). Every byte here is fixed by interoperability.
 */
#ifndef _WG_MESSAGES_H
#define _WG_MESSAGES_H

#include <linux/bits.h>
#include <linux/types.h>
#include <linux/kernel.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>

enum {
	NOISE_PUBLIC_KEY_LEN = 32,
	NOISE_SYMMETRIC_KEY_LEN = 32,
	NOISE_TIMESTAMP_LEN = 12,
	NOISE_AUTHTAG_LEN = 16,
	NOISE_HASH_LEN = 32,
	COOKIE_LEN = 16,
	COOKIE_NONCE_LEN = 24,
};

#define noise_encrypted_len(plain_len) ((plain_len) + NOISE_AUTHTAG_LEN)

#define REKEY_AFTER_MESSAGES	BIT_ULL(60)
#define REJECT_AFTER_MESSAGES	(U64_MAX - COUNTER_WINDOW_SIZE - 1)
#define REKEY_TIMEOUT		5
#define REKEY_TIMEOUT_JITTER_MAX_JIFFIES (HZ / 3)
#define KEEPALIVE_TIMEOUT	10
#define REKEY_AFTER_TIME	120
#define REJECT_AFTER_TIME	180
#define REKEY_ATTEMPT_TIME	90
#define INITIATIONS_PER_SECOND	50
#define MAX_PEERS_PER_DEVICE	BIT(20)
#define MAX_STAGED_PACKETS	128
#define MAX_QUEUED_PACKETS	1024
#define MAX_QUEUED_INCOMING_HANDSHAKES 4096
/* Under load: the queue's length then, and room for cookie holders. */
#define MAX_QUEUED_HANDSHAKES_UNDER_LOAD (MAX_QUEUED_INCOMING_HANDSHAKES / 8)
#define MAX_QUEUED_VETTED_HANDSHAKES (MAX_QUEUED_INCOMING_HANDSHAKES / 4)
#define COOKIE_SECRET_MAX_AGE	120
#define COOKIE_SECRET_LATENCY	5

/* RFC 6479 window: 8192 bits, less one machine word of slack. */
#define COUNTER_BITS_TOTAL	8192
#define COUNTER_REDUNDANT_BITS	BITS_PER_LONG
#define COUNTER_WINDOW_SIZE	(COUNTER_BITS_TOTAL - COUNTER_REDUNDANT_BITS)

enum message_type {
	MESSAGE_INVALID = 0,
	MESSAGE_HANDSHAKE_INITIATION = 1,
	MESSAGE_HANDSHAKE_RESPONSE = 2,
	MESSAGE_HANDSHAKE_COOKIE = 3,
	MESSAGE_DATA = 4,
};

struct message_header {
	/* A 1-byte type and three zero bytes, read as one little-endian word. */
	__le32 type;
} __packed;

struct message_macs {
	u8 mac1[COOKIE_LEN];
	u8 mac2[COOKIE_LEN];
} __packed;

struct message_handshake_initiation {
	struct message_header header;
	__le32 sender_index;
	u8 unencrypted_ephemeral[NOISE_PUBLIC_KEY_LEN];
	u8 encrypted_static[noise_encrypted_len(NOISE_PUBLIC_KEY_LEN)];
	u8 encrypted_timestamp[noise_encrypted_len(NOISE_TIMESTAMP_LEN)];
	struct message_macs macs;
} __packed;

struct message_handshake_response {
	struct message_header header;
	__le32 sender_index;
	__le32 receiver_index;
	u8 unencrypted_ephemeral[NOISE_PUBLIC_KEY_LEN];
	u8 encrypted_nothing[noise_encrypted_len(0)];
	struct message_macs macs;
} __packed;

struct message_handshake_cookie {
	struct message_header header;
	__le32 receiver_index;
	u8 nonce[COOKIE_NONCE_LEN];
	u8 encrypted_cookie[noise_encrypted_len(COOKIE_LEN)];
} __packed;

struct message_data {
	struct message_header header;
	__le32 key_idx;
	__le64 counter;
	u8 encrypted_data[];
} __packed;

#define message_data_len(plain_len) \
	(noise_encrypted_len(plain_len) + sizeof(struct message_data))

enum message_alignments {
	MESSAGE_PADDING_MULTIPLE = 16,
	MESSAGE_MINIMUM_LENGTH = message_data_len(0),
};

/* Outer headers the data path must leave room for in front of a message. */
#define WG_OUTER_HEADROOM \
	(sizeof(struct udphdr) + max(sizeof(struct ipv6hdr), sizeof(struct iphdr)))

#endif /* _WG_MESSAGES_H */
