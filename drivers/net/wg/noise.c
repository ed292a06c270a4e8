// SPDX-License-Identifier: GPL-2.0
/*
 * Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s as the Noise specification
 * (revision 34) writes it: the crypto functions of section 4 over
 * lib/crypto, the CipherState, SymmetricState and HandshakeState of
 * section 5, and the IKpsk2 pattern of sections 7.5 and 9 held as data
 * (struct noise_message) that one token interpreter per direction walks.
 *
 * WireGuard's choices on top (protocol sheet: "Handshake"): the prologue
 * is its identifier string, message 1 carries a TAI64N timestamp, message 2
 * an empty payload, and the Noise bytes sit inside the wire messages of
 * wire.h after a type word and the indices.
 *
 * Everything here is bytes in, bytes out: no allocation, no lock, no peer.
 */

#include "noise.h"
#include "cookie.h"

#include <crypto/blake2s.h>
#include <crypto/chacha20poly1305.h>
#include <crypto/curve25519.h>
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/timekeeping.h>

static const u8 noise_protocol_name[] = "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s";
static const u8 noise_prologue[] = "WireGuard v1 zx2c4 Jason@zx2c4.com";

/* The Unix epoch as a TAI64 label: 2^62 is 1970-01-01 00:00:00 TAI, 10 s before. */
#define TAI64_EPOCH		0x400000000000000aULL
/* Timestamps are rounded down to this, so they leak no finer timing. */
#define TAI64N_GRAIN_NS		(NSEC_PER_SEC / 50)

/* ck and h of every handshake after InitializeSymmetric and the prologue. */
static u8 noise_ck0[WG_KEY_SIZE] __ro_after_init;
static u8 noise_h0[WG_KEY_SIZE] __ro_after_init;

static const u8 zero_key[WG_KEY_SIZE];

/* One message pattern of section 7: its tokens and who sends it. */
struct noise_message {
	const enum noise_token *tokens;
	unsigned int count;
	bool from_initiator;
};

/*
 * IKpsk2 (section 9.4): IK with "psk" at the end of message 2. Its
 * pre-message "<- s" is mixed in by wg_noise_initialize().
 */
static const enum noise_token ikpsk2_initiation[] = {
	NOISE_TOKEN_E, NOISE_TOKEN_ES, NOISE_TOKEN_S, NOISE_TOKEN_SS,
};

static const enum noise_token ikpsk2_response[] = {
	NOISE_TOKEN_E, NOISE_TOKEN_EE, NOISE_TOKEN_SE, NOISE_TOKEN_PSK,
};

static const struct noise_message ikpsk2[] = {
	{ ikpsk2_initiation, ARRAY_SIZE(ikpsk2_initiation), true },
	{ ikpsk2_response, ARRAY_SIZE(ikpsk2_response), false },
};

/* Section 4.3: HASH and HMAC; HKDF is below. Inputs may alias out. */
void wg_noise_hash(u8 out[WG_KEY_SIZE], const u8 *a, size_t alen,
		   const u8 *b, size_t blen)
{
	struct blake2s_state state;

	blake2s_init(&state, BLAKE2S_HASH_SIZE);
	blake2s_update(&state, a, alen);
	blake2s_update(&state, b, blen);
	blake2s_final(&state, out);
}

/* RFC 2104 over BLAKE2s, of the message a || b, with a key of HASHLEN. */
static void hmac(u8 out[WG_KEY_SIZE], const u8 key[WG_KEY_SIZE],
		 const u8 *a, size_t alen, const u8 *b, size_t blen)
{
	struct blake2s_state state;
	u8 inner[BLAKE2S_HASH_SIZE];
	u8 pad[BLAKE2S_BLOCK_SIZE];
	size_t i;

	memcpy(pad, key, WG_KEY_SIZE);
	memset(pad + WG_KEY_SIZE, 0, sizeof(pad) - WG_KEY_SIZE);
	for (i = 0; i < sizeof(pad); ++i)
		pad[i] ^= 0x36;
	blake2s_init(&state, BLAKE2S_HASH_SIZE);
	blake2s_update(&state, pad, sizeof(pad));
	blake2s_update(&state, a, alen);
	blake2s_update(&state, b, blen);
	blake2s_final(&state, inner);
	for (i = 0; i < sizeof(pad); ++i)
		pad[i] ^= 0x36 ^ 0x5c;
	wg_noise_hash(out, pad, sizeof(pad), inner, sizeof(inner));
	memzero_explicit(pad, sizeof(pad));
	memzero_explicit(inner, sizeof(inner));
}

/*
 * HKDF(chaining_key, input_key_material, num_outputs) of section 4.3, the
 * sheet's KDFn: two outputs, or three when @out3 is given. @out1 may be
 * @ck itself (MixKey overwrites the chaining key with output 1).
 */
void wg_noise_hkdf(u8 *out1, u8 *out2, u8 *out3, const u8 ck[WG_KEY_SIZE],
		   const u8 *ikm, size_t len)
{
	u8 *outs[] = { out1, out2, out3 };
	u8 temp_key[WG_KEY_SIZE];
	u8 t[WG_KEY_SIZE];
	u8 i;

	hmac(temp_key, ck, ikm, len, NULL, 0);
	for (i = 1; i <= ARRAY_SIZE(outs) && outs[i - 1]; ++i) {
		/* output_i = HMAC(temp_key, output_(i-1) || byte(i)) */
		hmac(t, temp_key, i == 1 ? NULL : t, i == 1 ? 0 : sizeof(t),
		     &i, 1);
		memcpy(outs[i - 1], t, sizeof(t));
	}
	memzero_explicit(temp_key, sizeof(temp_key));
	memzero_explicit(t, sizeof(t));
}

/* Section 5.1: InitializeKey(key). */
static void initialize_key(struct noise_cipherstate *cs,
			   const u8 key[WG_KEY_SIZE])
{
	memcpy(cs->k, key, WG_KEY_SIZE);
	cs->n = 0;
	cs->has_k = true;
}

/* What EncryptWithAd makes of len bytes: sealed once there is a key. */
static size_t sealed_len(const struct noise_cipherstate *cs, size_t len)
{
	return cs->has_k ? WG_SEALED(len) : len;
}

/* Section 5.2: InitializeSymmetric(protocol_name), a name over HASHLEN. */
static void initialize_symmetric(struct noise_symmetricstate *ss)
{
	BUILD_BUG_ON(sizeof(noise_protocol_name) - 1 <= WG_KEY_SIZE);
	wg_noise_hash(ss->h, noise_protocol_name,
		      sizeof(noise_protocol_name) - 1, NULL, 0);
	memcpy(ss->ck, ss->h, WG_KEY_SIZE);
	memset(&ss->cs, 0, sizeof(ss->cs));
}

void wg_noise_mix_key(struct noise_symmetricstate *ss, const u8 *ikm,
		      size_t len)
{
	u8 temp_k[WG_KEY_SIZE];

	wg_noise_hkdf(ss->ck, temp_k, NULL, ss->ck, ikm, len);
	initialize_key(&ss->cs, temp_k);
	memzero_explicit(temp_k, sizeof(temp_k));
}

void wg_noise_mix_hash(struct noise_symmetricstate *ss, const u8 *data,
		       size_t len)
{
	wg_noise_hash(ss->h, ss->h, WG_KEY_SIZE, data, len);
}

void wg_noise_mix_key_and_hash(struct noise_symmetricstate *ss,
			       const u8 *ikm, size_t len)
{
	u8 temp_h[WG_KEY_SIZE];
	u8 temp_k[WG_KEY_SIZE];

	wg_noise_hkdf(ss->ck, temp_h, temp_k, ss->ck, ikm, len);
	wg_noise_mix_hash(ss, temp_h, sizeof(temp_h));
	initialize_key(&ss->cs, temp_k);
	memzero_explicit(temp_h, sizeof(temp_h));
	memzero_explicit(temp_k, sizeof(temp_k));
}

/*
 * EncryptWithAd(h, plaintext) then MixHash(ciphertext). Before the first
 * MixKey the "ciphertext" is the plaintext itself (section 5.1); in IKpsk2
 * that never happens, as the first token, "e", already mixes in a key.
 */
void wg_noise_encrypt_and_hash(struct noise_symmetricstate *ss, u8 *out,
			       const u8 *plain, size_t len)
{
	struct noise_cipherstate *cs = &ss->cs;

	if (cs->has_k)
		chacha20poly1305_encrypt(out, plain, len, ss->h, WG_KEY_SIZE,
					 cs->n++, cs->k);
	else
		memmove(out, plain, len);
	wg_noise_mix_hash(ss, out, sealed_len(cs, len));
}

bool wg_noise_decrypt_and_hash(struct noise_symmetricstate *ss, u8 *plain,
			       const u8 *in, size_t len)
{
	struct noise_cipherstate *cs = &ss->cs;

	if (cs->has_k) {
		if (len < WG_TAG_SIZE ||
		    !chacha20poly1305_decrypt(plain, in, len, ss->h,
					      WG_KEY_SIZE, cs->n, cs->k))
			return false;
		cs->n++;
	} else {
		memmove(plain, in, len);
	}
	wg_noise_mix_hash(ss, in, len);
	return true;
}

/* MixKey(DH(priv, pub)); an all-zero DH (low-order pub) fails the token. */
static bool mix_dh(struct noise_symmetricstate *ss, const u8 priv[WG_KEY_SIZE],
		   const u8 pub[WG_KEY_SIZE])
{
	u8 shared[WG_KEY_SIZE];
	bool ok;

	ok = curve25519(shared, priv, pub);
	if (ok)
		wg_noise_mix_key(ss, shared, sizeof(shared));
	memzero_explicit(shared, sizeof(shared));
	return ok;
}

/* The tokens that read and write alike (section 5.3): DHs and "psk". */
static bool mix_token(struct noise_handshakestate *hs,
		      const struct noise_static *st, enum noise_token tok)
{
	struct noise_symmetricstate *ss = &hs->ss;

	switch (tok) {
	case NOISE_TOKEN_EE:
		return mix_dh(ss, hs->e_priv, hs->re);
	case NOISE_TOKEN_ES:
		return hs->initiator ? mix_dh(ss, hs->e_priv, hs->rs) :
				       mix_dh(ss, st->priv, hs->re);
	case NOISE_TOKEN_SE:
		return hs->initiator ? mix_dh(ss, st->priv, hs->re) :
				       mix_dh(ss, hs->e_priv, hs->rs);
	case NOISE_TOKEN_SS:
		return mix_dh(ss, st->priv, hs->rs);
	case NOISE_TOKEN_PSK:
		wg_noise_mix_key_and_hash(ss, hs->psk, WG_KEY_SIZE);
		return true;
	default:
		WARN_ON_ONCE(1);
		return false;
	}
}

bool wg_noise_write_token(struct noise_handshakestate *hs,
			  const struct noise_static *st, enum noise_token tok,
			  u8 *buf, size_t *off)
{
	switch (tok) {
	case NOISE_TOKEN_E:
		memcpy(buf + *off, hs->e_pub, WG_KEY_SIZE);
		*off += WG_KEY_SIZE;
		wg_noise_mix_hash(&hs->ss, hs->e_pub, WG_KEY_SIZE);
		/* Section 9.2: a psk pattern also mixes e into the key. */
		wg_noise_mix_key(&hs->ss, hs->e_pub, WG_KEY_SIZE);
		return true;
	case NOISE_TOKEN_S: {
		size_t len = sealed_len(&hs->ss.cs, WG_KEY_SIZE);

		wg_noise_encrypt_and_hash(&hs->ss, buf + *off, st->pub,
					  WG_KEY_SIZE);
		*off += len;
		return true;
	}
	default:
		return mix_token(hs, st, tok);
	}
}

bool wg_noise_read_token(struct noise_handshakestate *hs,
			 const struct noise_static *st, enum noise_token tok,
			 const u8 *buf, size_t *off)
{
	switch (tok) {
	case NOISE_TOKEN_E:
		memcpy(hs->re, buf + *off, WG_KEY_SIZE);
		*off += WG_KEY_SIZE;
		wg_noise_mix_hash(&hs->ss, hs->re, WG_KEY_SIZE);
		wg_noise_mix_key(&hs->ss, hs->re, WG_KEY_SIZE);
		return true;
	case NOISE_TOKEN_S: {
		size_t len = sealed_len(&hs->ss.cs, WG_KEY_SIZE);

		if (!wg_noise_decrypt_and_hash(&hs->ss, hs->rs, buf + *off, len))
			return false;
		*off += len;
		return true;
	}
	default:
		return mix_token(hs, st, tok);
	}
}

/*
 * Message @index of the pattern if it is @hs's turn to write it (or to
 * read it), else NULL. A wiped state matches no turn: after Split(), say.
 */
static const struct noise_message *
turn(const struct noise_handshakestate *hs, u8 index, bool writing)
{
	bool from_initiator = writing ? hs->initiator : !hs->initiator;
	const struct noise_message *m = &ikpsk2[index];

	if (hs->next_message != index || m->from_initiator != from_initiator)
		return NULL;
	return m;
}

/* WriteMessage(payload, message_buffer) of section 5.3, without Split(). */
static bool write_message(struct noise_handshakestate *hs,
			  const struct noise_static *st, u8 index, u8 *buf,
			  size_t *off, const u8 *payload, size_t len)
{
	const struct noise_message *m = turn(hs, index, true);
	unsigned int i;

	if (!m)
		return false;
	for (i = 0; i < m->count; ++i)
		if (!wg_noise_write_token(hs, st, m->tokens[i], buf, off))
			return false;
	wg_noise_encrypt_and_hash(&hs->ss, buf + *off, payload, len);
	*off += sealed_len(&hs->ss.cs, len);
	hs->next_message++;
	return true;
}

/* ReadMessage(message, payload_buffer) of section 5.3, without Split(). */
static bool read_message(struct noise_handshakestate *hs,
			 const struct noise_static *st, u8 index, const u8 *buf,
			 size_t *off, u8 *payload, size_t len)
{
	const struct noise_message *m = turn(hs, index, false);
	size_t sealed;
	unsigned int i;

	if (!m)
		return false;
	for (i = 0; i < m->count; ++i)
		if (!wg_noise_read_token(hs, st, m->tokens[i], buf, off))
			return false;
	sealed = sealed_len(&hs->ss.cs, len);
	if (!wg_noise_decrypt_and_hash(&hs->ss, payload, buf + *off, sealed))
		return false;
	*off += sealed;
	hs->next_message++;
	return true;
}

/* GENERATE_KEYPAIR() with the caller's randomness. */
static bool set_ephemeral(struct noise_handshakestate *hs,
			  const u8 e_priv[WG_KEY_SIZE])
{
	memcpy(hs->e_priv, e_priv, WG_KEY_SIZE);
	curve25519_clamp_secret(hs->e_priv);
	return curve25519_generate_public(hs->e_pub, hs->e_priv);
}

void wg_noise_init(void)
{
	struct noise_symmetricstate ss;

	initialize_symmetric(&ss);
	wg_noise_mix_hash(&ss, noise_prologue, sizeof(noise_prologue) - 1);
	memcpy(noise_ck0, ss.ck, WG_KEY_SIZE);
	memcpy(noise_h0, ss.h, WG_KEY_SIZE);
}

/*
 * An all-zero key is what "no key" looks like in the configuration ABI:
 * refused, although clamping would make a valid scalar of it.
 */
bool wg_noise_static_init(struct noise_static *st, const u8 priv[WG_KEY_SIZE])
{
	memcpy(st->priv, priv, WG_KEY_SIZE);
	curve25519_clamp_secret(st->priv);
	if (!crypto_memneq(priv, zero_key, WG_KEY_SIZE) ||
	    !curve25519_generate_public(st->pub, st->priv)) {
		memzero_explicit(st, sizeof(*st));
		return false;
	}
	/* The pre-message "<- s" of every handshake addressed to us. */
	wg_noise_hash(st->h_to_me, noise_h0, WG_KEY_SIZE, st->pub, WG_KEY_SIZE);
	wg_cookie_mac1_key(st->mac1_key, st->pub);
	wg_cookie_cookie_key(st->cookie_key, st->pub);
	return true;
}

void wg_noise_initialize(struct noise_handshakestate *hs,
			 const struct noise_static *st, bool initiator,
			 const u8 rs[WG_KEY_SIZE], const u8 psk[WG_KEY_SIZE])
{
	memset(hs, 0, sizeof(*hs));
	hs->initiator = initiator;
	/* InitializeSymmetric and MixHash(prologue), done once at init. */
	memcpy(hs->ss.ck, noise_ck0, WG_KEY_SIZE);
	if (initiator) {
		memcpy(hs->rs, rs, WG_KEY_SIZE);
		memcpy(hs->ss.h, noise_h0, WG_KEY_SIZE);
		wg_noise_mix_hash(&hs->ss, rs, WG_KEY_SIZE);
	} else {
		memcpy(hs->ss.h, st->h_to_me, WG_KEY_SIZE);
	}
	if (psk)
		memcpy(hs->psk, psk, WG_KEY_SIZE);
}

bool wg_noise_initiation_write(struct noise_handshakestate *hs,
			       const struct noise_static *st,
			       const u8 e_priv[WG_KEY_SIZE],
			       const u8 timestamp[WG_TAI64N_SIZE],
			       __le32 sender, struct wg_msg_initiation *msg)
{
	size_t off = offsetof(struct wg_msg_initiation, ephemeral);

	if (!set_ephemeral(hs, e_priv) ||
	    !write_message(hs, st, 0, (u8 *)msg, &off, timestamp,
			   WG_TAI64N_SIZE) ||
	    WARN_ON_ONCE(off != offsetof(struct wg_msg_initiation, macs))) {
		memzero_explicit(hs, sizeof(*hs));
		return false;
	}
	msg->type = wg_msg_type_word(WG_MSG_INITIATION);
	msg->sender = sender;
	return true;
}

bool wg_noise_initiation_read(struct noise_handshakestate *hs,
			      const struct noise_static *st,
			      const struct wg_msg_initiation *msg,
			      u8 timestamp[WG_TAI64N_SIZE])
{
	size_t off = offsetof(struct wg_msg_initiation, ephemeral);

	wg_noise_initialize(hs, st, false, NULL, NULL);
	if (!read_message(hs, st, 0, (const u8 *)msg, &off, timestamp,
			  WG_TAI64N_SIZE) ||
	    WARN_ON_ONCE(off != offsetof(struct wg_msg_initiation, macs))) {
		memzero_explicit(hs, sizeof(*hs));
		memzero_explicit(timestamp, WG_TAI64N_SIZE);
		return false;
	}
	return true;
}

bool wg_noise_response_write(struct noise_handshakestate *hs,
			     const struct noise_static *st,
			     const u8 psk[WG_KEY_SIZE],
			     const u8 e_priv[WG_KEY_SIZE],
			     __le32 sender, __le32 receiver,
			     struct wg_msg_response *msg,
			     struct noise_transport_keys *keys)
{
	size_t off = offsetof(struct wg_msg_response, ephemeral);

	memcpy(hs->psk, psk ?: zero_key, WG_KEY_SIZE);
	if (!set_ephemeral(hs, e_priv) ||
	    !write_message(hs, st, 1, (u8 *)msg, &off, NULL, 0) ||
	    WARN_ON_ONCE(off != offsetof(struct wg_msg_response, macs))) {
		memzero_explicit(hs, sizeof(*hs));
		return false;
	}
	msg->type = wg_msg_type_word(WG_MSG_RESPONSE);
	msg->sender = sender;
	msg->receiver = receiver;
	wg_noise_split(hs, keys);
	return true;
}

bool wg_noise_response_read(struct noise_handshakestate *hs,
			    const struct noise_static *st,
			    const struct wg_msg_response *msg,
			    struct noise_transport_keys *keys)
{
	size_t off = offsetof(struct wg_msg_response, ephemeral);
	struct noise_handshakestate next = *hs;
	u8 empty[1];

	/* On the copy: a forged response must leave @hs able to read the
	 * genuine one.
	 */
	if (!read_message(&next, st, 1, (const u8 *)msg, &off, empty, 0) ||
	    WARN_ON_ONCE(off != offsetof(struct wg_msg_response, macs))) {
		memzero_explicit(&next, sizeof(next));
		return false;
	}
	wg_noise_split(&next, keys);
	memzero_explicit(hs, sizeof(*hs));
	return true;
}

/* Section 5.2: Split(); the initiator sends with the first key. */
void wg_noise_split(struct noise_handshakestate *hs,
		    struct noise_transport_keys *keys)
{
	u8 *first = hs->initiator ? keys->send : keys->recv;
	u8 *second = hs->initiator ? keys->recv : keys->send;

	wg_noise_hkdf(first, second, NULL, hs->ss.ck, NULL, 0);
	memzero_explicit(hs, sizeof(*hs));
}

/* Protocol sheet "Primitives": TAI64N. */
void wg_noise_tai64n_now(u8 out[WG_TAI64N_SIZE])
{
	struct timespec64 now;
	__be64 secs;
	__be32 nsecs;

	ktime_get_real_ts64(&now);
	secs = cpu_to_be64(TAI64_EPOCH + now.tv_sec);
	nsecs = cpu_to_be32(now.tv_nsec - now.tv_nsec % TAI64N_GRAIN_NS);
	memcpy(out, &secs, sizeof(secs));
	memcpy(out + sizeof(secs), &nsecs, sizeof(nsecs));
}

#if IS_ENABLED(CONFIG_KUNIT)
#include "tests/noise_test.c"
#endif
