/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The Noise handshake WireGuard runs, Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s,
 * in the Noise specification's own vocabulary (revision 34, section 5:
 * CipherState, SymmetricState, HandshakeState and their operations), with
 * the IKpsk2 pattern's tokens driving it:
 *
 *	IKpsk2:
 *	  <- s
 *	  ...
 *	  -> e, es, s, ss
 *	  <- e, ee, se, psk
 *
 * WireGuard fixes the prologue (its identifier string), the payloads (a
 * TAI64N timestamp in message 1, nothing in message 2) and where the
 * message bytes sit inside its own messages (wire.h). This file knows
 * nothing of peers, devices, sockets or time: callers pass in the keys,
 * the fresh ephemeral key and the timestamp, and get bytes and verdicts
 * back, so KUnit drives it with fixed inputs.
 */
#ifndef _WG_NOISE_H
#define _WG_NOISE_H

#include <linux/types.h>
#include "wire.h"

/* CipherState: k and n. WireGuard uses each handshake key once (n = 0). */
struct noise_cipherstate {
	u8 k[WG_KEY_SIZE];
	u64 n;
	bool has_k;
};

/* SymmetricState: a CipherState, the chaining key ck and the hash h. */
struct noise_symmetricstate {
	struct noise_cipherstate cs;
	u8 ck[WG_KEY_SIZE];
	u8 h[WG_KEY_SIZE];
};

/*
 * HandshakeState less the local static key pair, which the caller passes
 * to each step (struct noise_static): its private key may change between
 * messages, and then the handshake is void anyway.
 */
struct noise_handshakestate {
	struct noise_symmetricstate ss;
	u8 e_priv[WG_KEY_SIZE];
	u8 e_pub[WG_KEY_SIZE];
	u8 rs[WG_KEY_SIZE];
	u8 re[WG_KEY_SIZE];
	u8 psk[WG_KEY_SIZE];
	bool initiator;
	u8 next_message;	/* 0: message 1 next, 1: message 2, 2: done */
};

/*
 * Our static key pair and what the protocol derives from it alone.
 * Immutable once built: a new private key makes a new one.
 */
struct noise_static {
	u8 priv[WG_KEY_SIZE];	/* clamped */
	u8 pub[WG_KEY_SIZE];
	/* h after the pre-message "<- s" of a handshake addressed to us */
	u8 h_to_me[WG_KEY_SIZE];
	u8 mac1_key[WG_KEY_SIZE];	/* HASH(LABEL_MAC1 || pub) */
	u8 cookie_key[WG_KEY_SIZE];	/* HASH(LABEL_COOKIE || pub) */
};

/* The two transport keys Split() yields, named from our side. */
struct noise_transport_keys {
	u8 send[WG_KEY_SIZE];
	u8 recv[WG_KEY_SIZE];
};

enum noise_token {
	NOISE_TOKEN_E,
	NOISE_TOKEN_S,
	NOISE_TOKEN_EE,
	NOISE_TOKEN_ES,
	NOISE_TOKEN_SE,
	NOISE_TOKEN_SS,
	NOISE_TOKEN_PSK,
};

/* Module init: the constant initial ck and h of every handshake. */
void wg_noise_init(void);

/*
 * Clamps @priv and derives the rest of @st. False if @priv gives no usable
 * public key (then @st is zeroed).
 */
bool wg_noise_static_init(struct noise_static *st, const u8 priv[WG_KEY_SIZE]);

/*
 * HandshakeState.Initialize for IKpsk2: the protocol name, the prologue and
 * the pre-message "<- s" (the responder's static key: @rs for the
 * initiator, @st's own for the responder). @psk may be NULL (all zeros).
 */
void wg_noise_initialize(struct noise_handshakestate *hs,
			 const struct noise_static *st, bool initiator,
			 const u8 rs[WG_KEY_SIZE], const u8 psk[WG_KEY_SIZE]);

/* SymmetricState operations (spec section 5.2). */
void wg_noise_mix_key(struct noise_symmetricstate *ss, const u8 *ikm,
		      size_t len);
void wg_noise_mix_hash(struct noise_symmetricstate *ss, const u8 *data,
		       size_t len);
void wg_noise_mix_key_and_hash(struct noise_symmetricstate *ss,
			       const u8 *ikm, size_t len);
/* Writes len + WG_TAG_SIZE bytes to out. */
void wg_noise_encrypt_and_hash(struct noise_symmetricstate *ss, u8 *out,
			       const u8 *plain, size_t len);
/* Reads len bytes (with the tag) from in; false if not authentic. */
bool wg_noise_decrypt_and_hash(struct noise_symmetricstate *ss, u8 *plain,
			       const u8 *in, size_t len);

/*
 * One token of a message being written into @buf (or read from it), at
 * *@off, which it advances. The "e" token of a writer takes the ephemeral
 * key already in hs->e_priv/e_pub. False: a DH gave the all-zero output
 * (low-order point) or a sealed field was not authentic.
 */
bool wg_noise_write_token(struct noise_handshakestate *hs,
			  const struct noise_static *st, enum noise_token tok,
			  u8 *buf, size_t *off);
bool wg_noise_read_token(struct noise_handshakestate *hs,
			 const struct noise_static *st, enum noise_token tok,
			 const u8 *buf, size_t *off);

/*
 * The initiator's message 1 into @msg (type, sender index and the Noise
 * bytes; macs are cookie.c's), from a fresh initialized @hs. @e_priv is
 * the new ephemeral private key (random, from the caller), @timestamp the
 * TAI64N payload. False if a DH fails.
 */
bool wg_noise_initiation_write(struct noise_handshakestate *hs,
			       const struct noise_static *st,
			       const u8 e_priv[WG_KEY_SIZE],
			       const u8 timestamp[WG_TAI64N_SIZE],
			       __le32 sender, struct wg_msg_initiation *msg);

/*
 * The responder reads message 1: on success @hs holds the state after it
 * (hs->rs is the initiator's static key, for the caller to look up) and
 * @timestamp the decrypted payload. @hs needs no initialization; the psk
 * is set later, with wg_noise_response_write().
 */
bool wg_noise_initiation_read(struct noise_handshakestate *hs,
			      const struct noise_static *st,
			      const struct wg_msg_initiation *msg,
			      u8 timestamp[WG_TAI64N_SIZE]);

/*
 * The responder's message 2, then Split(): @keys are the responder's
 * transport keys. @psk may be NULL. Wipes @hs.
 */
bool wg_noise_response_write(struct noise_handshakestate *hs,
			     const struct noise_static *st,
			     const u8 psk[WG_KEY_SIZE],
			     const u8 e_priv[WG_KEY_SIZE],
			     __le32 sender, __le32 receiver,
			     struct wg_msg_response *msg,
			     struct noise_transport_keys *keys);

/*
 * The initiator reads message 2 with the @hs its message 1 left, then
 * Split(). On success @keys are the initiator's transport keys and @hs is
 * wiped; on failure @hs is left as it was, so that a forged response
 * does not cancel the handshake.
 */
bool wg_noise_response_read(struct noise_handshakestate *hs,
			    const struct noise_static *st,
			    const struct wg_msg_response *msg,
			    struct noise_transport_keys *keys);

/* Split() of a finished handshake, named from @hs's side; wipes @hs. */
void wg_noise_split(struct noise_handshakestate *hs,
		    struct noise_transport_keys *keys);

/* TAI64N of the wall clock, rounded down to a multiple of 1/50 s. */
void wg_noise_tai64n_now(u8 out[WG_TAI64N_SIZE]);

/* HASH, HMAC and HKDF of BLAKE2s, for cookie.c and the tests. */
void wg_noise_hash(u8 out[WG_KEY_SIZE], const u8 *a, size_t alen,
		   const u8 *b, size_t blen);
void wg_noise_hkdf(u8 *out1, u8 *out2, u8 *out3, const u8 ck[WG_KEY_SIZE],
		   const u8 *ikm, size_t len);

#endif /* _WG_NOISE_H */
