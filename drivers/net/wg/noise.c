// SPDX-License-Identifier: GPL-2.0
/*
 * Noise_IKpsk2 (protocol sheet: "Handshake"): our static identity, the
 * per-peer handshake state and the keypairs a handshake yields.
 */

#include <linux/slab.h>
#include <linux/string.h>
#include <linux/log2.h>
#include <crypto/algapi.h>
#include <crypto/blake2s.h>
#include <crypto/chacha20poly1305.h>
#include <crypto/curve25519.h>

#include "noise.h"
#include "peer.h"
#include "device.h"
#include "peerlookup.h"
#include "compat.h"

void wg_noise_set_static_identity_private_key(struct noise_static_identity *id,
					      const u8 private_key[NOISE_PUBLIC_KEY_LEN])
{
	/* Kept as given, so showconf returns it verbatim; X25519 clamps it. */
	memcpy(id->static_private, private_key, NOISE_PUBLIC_KEY_LEN);
	id->has_identity = curve25519_generate_public(id->static_public,
						      private_key);
	if (!id->has_identity)
		memset(id->static_public, 0, NOISE_PUBLIC_KEY_LEN);
}

void wg_noise_handshake_init(struct noise_handshake *handshake,
			     struct noise_static_identity *static_identity,
			     const u8 peer_public_key[NOISE_PUBLIC_KEY_LEN],
			     const u8 peer_preshared_key[NOISE_SYMMETRIC_KEY_LEN],
			     struct wg_peer *peer)
{
	memset(handshake, 0, sizeof(*handshake));
	init_rwsem(&handshake->lock);
	handshake->entry.type = INDEX_HANDSHAKE;
	handshake->entry.peer = peer;
	handshake->static_identity = static_identity;
	memcpy(handshake->remote_static, peer_public_key, NOISE_PUBLIC_KEY_LEN);
	if (peer_preshared_key)
		memcpy(handshake->preshared_key, peer_preshared_key,
		       NOISE_SYMMETRIC_KEY_LEN);
	handshake->state = HANDSHAKE_ZEROED;
}

/* Caller holds handshake->lock for writing. */
static void handshake_zero(struct noise_handshake *handshake)
{
	memset(&handshake->ephemeral_private, 0, NOISE_PUBLIC_KEY_LEN);
	memset(&handshake->remote_ephemeral, 0, NOISE_PUBLIC_KEY_LEN);
	memset(&handshake->hash, 0, NOISE_HASH_LEN);
	memset(&handshake->chaining_key, 0, NOISE_HASH_LEN);
	handshake->remote_index = 0;
	handshake->state = HANDSHAKE_ZEROED;
}

void wg_noise_handshake_clear(struct noise_handshake *handshake)
{
	struct wg_peer *peer = handshake->entry.peer;

	down_write(&handshake->lock);
	wg_index_table_remove(&peer->device->index_hashtable,
			      &handshake->entry);
	handshake_zero(handshake);
	up_write(&handshake->lock);
}

void wg_noise_invalidate_static_static(struct wg_peer *peer)
{
	down_write(&peer->handshake.lock);
	memzero_explicit(peer->handshake.precomputed_static_static,
			 NOISE_PUBLIC_KEY_LEN);
	peer->handshake.static_static_ready = false;
	up_write(&peer->handshake.lock);
}

static void keypair_free_rcu(struct rcu_head *rcu)
{
	struct noise_keypair *keypair =
		container_of(rcu, struct noise_keypair, rcu);

	wg_peer_put(keypair->entry.peer);
	kfree_sensitive(keypair);
}

static void keypair_free_kref(struct kref *kref)
{
	struct noise_keypair *keypair =
		container_of(kref, struct noise_keypair, refcount);

	wg_index_table_remove(&keypair->entry.peer->device->index_hashtable,
			      &keypair->entry);
	call_rcu(&keypair->rcu, keypair_free_rcu);
}

void wg_noise_keypair_put(struct noise_keypair *keypair, bool unreference_now)
{
	if (unlikely(!keypair))
		return;
	/* Stop the index from resolving at once, not when the last user goes. */
	if (unlikely(unreference_now))
		wg_index_table_remove(&keypair->entry.peer->device->index_hashtable,
				      &keypair->entry);
	kref_put(&keypair->refcount, keypair_free_kref);
}

void wg_noise_keypairs_clear(struct noise_keypairs *keypairs)
{
	struct noise_keypair *old;

	spin_lock_bh(&keypairs->keypair_update_lock);
	old = wg_keypair_slot(keypairs, previous_keypair);
	RCU_INIT_POINTER(keypairs->previous_keypair, NULL);
	wg_noise_keypair_put(old, true);

	old = wg_keypair_slot(keypairs, next_keypair);
	RCU_INIT_POINTER(keypairs->next_keypair, NULL);
	wg_noise_keypair_put(old, true);

	old = wg_keypair_slot(keypairs, current_keypair);
	RCU_INIT_POINTER(keypairs->current_keypair, NULL);
	wg_noise_keypair_put(old, true);
	spin_unlock_bh(&keypairs->keypair_update_lock);
}

void wg_noise_expire_current_peer_keypairs(struct wg_peer *peer)
{
	struct noise_keypair *keypair;

	wg_noise_handshake_clear(&peer->handshake);
	spin_lock_bh(&peer->keypairs.keypair_update_lock);
	keypair = wg_keypair_slot(&peer->keypairs, next_keypair);
	if (keypair)
		keypair->sending.is_valid = false;
	keypair = wg_keypair_slot(&peer->keypairs, current_keypair);
	if (keypair)
		keypair->sending.is_valid = false;
	spin_unlock_bh(&peer->keypairs.keypair_update_lock);
}

/* Protocol sheet, "Handshake": C and H before the responder's key is mixed. */
static const u8 construction[] = "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s";
static const u8 identifier[] = "WireGuard v1 zx2c4 Jason@zx2c4.com";
static u8 initial_chaining_key[NOISE_HASH_LEN] __ro_after_init;
static u8 initial_hash[NOISE_HASH_LEN] __ro_after_init;

void __init wg_noise_init(void)
{
	struct blake2s_state blake;

	blake2s(initial_chaining_key, construction, NULL, NOISE_HASH_LEN,
		sizeof(construction) - 1, 0);
	blake2s_init(&blake, NOISE_HASH_LEN);
	blake2s_update(&blake, initial_chaining_key, NOISE_HASH_LEN);
	blake2s_update(&blake, identifier, sizeof(identifier) - 1);
	blake2s_final(&blake, initial_hash);
}

/* HMAC (RFC 2104) over BLAKE2s: 64-byte blocks, 32-byte output. */
static void hmac(u8 out[NOISE_HASH_LEN], const u8 *in, size_t in_len,
		 const u8 *key, size_t key_len)
{
	u8 block[BLAKE2S_BLOCK_SIZE] = { 0 }, inner[NOISE_HASH_LEN];
	struct blake2s_state state;
	int i;

	if (key_len > BLAKE2S_BLOCK_SIZE)
		blake2s(block, key, NULL, NOISE_HASH_LEN, key_len, 0);
	else
		memcpy(block, key, key_len);

	for (i = 0; i < BLAKE2S_BLOCK_SIZE; ++i)
		block[i] ^= 0x36;
	blake2s_init(&state, NOISE_HASH_LEN);
	blake2s_update(&state, block, BLAKE2S_BLOCK_SIZE);
	blake2s_update(&state, in, in_len);
	blake2s_final(&state, inner);

	for (i = 0; i < BLAKE2S_BLOCK_SIZE; ++i)
		block[i] ^= 0x36 ^ 0x5c;
	blake2s_init(&state, NOISE_HASH_LEN);
	blake2s_update(&state, block, BLAKE2S_BLOCK_SIZE);
	blake2s_update(&state, inner, NOISE_HASH_LEN);
	blake2s_final(&state, out);

	memzero_explicit(block, sizeof(block));
	memzero_explicit(inner, sizeof(inner));
}

/*
 * KDF1..3 (protocol sheet, "Primitives"): t0 = HMAC(C, x), t1 = HMAC(t0, 1),
 * t_i = HMAC(t0, t_(i-1) || i). Fills out1, and out2/out3 when given.
 */
static void kdf(u8 *out1, u8 *out2, u8 *out3, const u8 *data, size_t data_len,
		const u8 chaining_key[NOISE_HASH_LEN])
{
	u8 secret[NOISE_HASH_LEN], t[NOISE_HASH_LEN + 1];
	u8 *outs[] = { out1, out2, out3 };
	int i;

	hmac(secret, data, data_len, chaining_key, NOISE_HASH_LEN);
	for (i = 0; i < ARRAY_SIZE(outs) && outs[i]; ++i) {
		/* t1 = HMAC(t0, 1); after it the input is t_(i-1) || i */
		size_t len = i ? NOISE_HASH_LEN + 1 : 1;

		t[len - 1] = i + 1;
		hmac(t, t, len, secret, NOISE_HASH_LEN);
		memcpy(outs[i], t, NOISE_HASH_LEN);
	}
	memzero_explicit(secret, sizeof(secret));
	memzero_explicit(t, sizeof(t));
}

static void mix_hash(u8 hash[NOISE_HASH_LEN], const u8 *src, size_t src_len)
{
	struct blake2s_state blake;

	blake2s_init(&blake, NOISE_HASH_LEN);
	blake2s_update(&blake, hash, NOISE_HASH_LEN);
	blake2s_update(&blake, src, src_len);
	blake2s_final(&blake, hash);
}

/* (C, k) = KDF2(C, DH(private, public)); an all-zero DH result fails. */
static bool mix_dh(u8 chaining_key[NOISE_HASH_LEN],
		   u8 key[NOISE_SYMMETRIC_KEY_LEN],
		   const u8 private[NOISE_PUBLIC_KEY_LEN],
		   const u8 public[NOISE_PUBLIC_KEY_LEN])
{
	u8 dh[NOISE_PUBLIC_KEY_LEN];

	if (unlikely(!curve25519(dh, private, public)))
		return false;
	kdf(chaining_key, key, NULL, dh, NOISE_PUBLIC_KEY_LEN, chaining_key);
	memzero_explicit(dh, sizeof(dh));
	return true;
}

static bool mix_precomputed_dh(u8 chaining_key[NOISE_HASH_LEN],
			       u8 key[NOISE_SYMMETRIC_KEY_LEN],
			       const u8 precomputed[NOISE_PUBLIC_KEY_LEN])
{
	static const u8 zero[NOISE_PUBLIC_KEY_LEN];

	if (unlikely(!crypto_memneq(precomputed, zero, NOISE_PUBLIC_KEY_LEN)))
		return false;
	kdf(chaining_key, key, NULL, precomputed, NOISE_PUBLIC_KEY_LEN,
	    chaining_key);
	return true;
}

/* (C, t, k) = KDF3(C, psk); H = HASH(H || t) */
static void mix_psk(u8 chaining_key[NOISE_HASH_LEN], u8 hash[NOISE_HASH_LEN],
		    u8 key[NOISE_SYMMETRIC_KEY_LEN],
		    const u8 psk[NOISE_SYMMETRIC_KEY_LEN])
{
	u8 temp[NOISE_HASH_LEN];

	kdf(chaining_key, temp, key, psk, NOISE_SYMMETRIC_KEY_LEN,
	    chaining_key);
	mix_hash(hash, temp, NOISE_HASH_LEN);
	memzero_explicit(temp, sizeof(temp));
}

/* C = KDF1(C, E_pub); H = HASH(H || E_pub) */
static void message_ephemeral(u8 dst[NOISE_PUBLIC_KEY_LEN],
			      const u8 src[NOISE_PUBLIC_KEY_LEN],
			      u8 chaining_key[NOISE_HASH_LEN],
			      u8 hash[NOISE_HASH_LEN])
{
	if (dst != src)
		memcpy(dst, src, NOISE_PUBLIC_KEY_LEN);
	kdf(chaining_key, NULL, NULL, src, NOISE_PUBLIC_KEY_LEN, chaining_key);
	mix_hash(hash, src, NOISE_PUBLIC_KEY_LEN);
}

/* dst = AEAD(k, 0, src, H); H = HASH(H || dst) */
static void message_encrypt(u8 *dst, const u8 *src, size_t src_len,
			    const u8 key[NOISE_SYMMETRIC_KEY_LEN],
			    u8 hash[NOISE_HASH_LEN])
{
	chacha20poly1305_encrypt(dst, src, src_len, hash, NOISE_HASH_LEN, 0,
				 key);
	mix_hash(hash, dst, noise_encrypted_len(src_len));
}

static bool message_decrypt(u8 *dst, const u8 *src, size_t src_len,
			    const u8 key[NOISE_SYMMETRIC_KEY_LEN],
			    u8 hash[NOISE_HASH_LEN])
{
	if (!chacha20poly1305_decrypt(dst, src, src_len, hash, NOISE_HASH_LEN,
				      0, key))
		return false;
	mix_hash(hash, src, src_len);
	return true;
}

/* C and H once the responder's static key is known. */
static void handshake_start(u8 chaining_key[NOISE_HASH_LEN],
			    u8 hash[NOISE_HASH_LEN],
			    const u8 responder_static[NOISE_PUBLIC_KEY_LEN])
{
	memcpy(chaining_key, initial_chaining_key, NOISE_HASH_LEN);
	memcpy(hash, initial_hash, NOISE_HASH_LEN);
	mix_hash(hash, responder_static, NOISE_PUBLIC_KEY_LEN);
}

/* TAI64N, nanoseconds rounded down so the field leaks no fine timing. */
static void tai64n_now(u8 output[NOISE_TIMESTAMP_LEN])
{
	struct timespec64 now;

	ktime_get_real_ts64(&now);
	now.tv_nsec = ALIGN_DOWN(now.tv_nsec,
				 rounddown_pow_of_two(NSEC_PER_SEC /
						      INITIATIONS_PER_SECOND));
	put_unaligned_be64(0x400000000000000aULL + now.tv_sec, output);
	put_unaligned_be32(now.tv_nsec, output + 8);
}

/*
 * DH(S_i, S_r) is the same for every handshake with a peer: computed at the
 * first one (not at configuration, which keeps 100k-peer setconf fast) and
 * kept until either key changes. Caller holds handshake->lock for writing.
 */
static bool static_static(struct noise_handshake *handshake)
{
	struct noise_static_identity *id = handshake->static_identity;

	if (likely(handshake->static_static_ready))
		return true;
	if (!curve25519(handshake->precomputed_static_static,
			id->static_private, handshake->remote_static))
		return false;
	handshake->static_static_ready = true;
	return true;
}

static u64 now_ns(void)
{
	return ktime_get_coarse_boottime_ns();
}

/* Gives the handshake a fresh index in place of any earlier one. */
static int handshake_register_index(struct noise_handshake *handshake)
{
	struct rhashtable *table =
		&handshake->entry.peer->device->index_hashtable;

	wg_index_table_remove(table, &handshake->entry);
	return wg_index_table_insert(table, &handshake->entry);
}

/* "e" of the message we create: a fresh ephemeral pair, its public half
 * published in @ephemeral_public and mixed into C and H.
 */
static bool create_ephemeral(u8 ephemeral_public[NOISE_PUBLIC_KEY_LEN],
			     struct noise_handshake *handshake)
{
	curve25519_generate_secret(handshake->ephemeral_private);
	if (!curve25519_generate_public(ephemeral_public,
					handshake->ephemeral_private))
		return false;
	message_ephemeral(ephemeral_public, ephemeral_public,
			  handshake->chaining_key, handshake->hash);
	return true;
}

/* The message is built: name it by a fresh index and move to @state. */
static bool created(struct noise_handshake *handshake, __le32 *sender_index,
		    enum noise_handshake_state state)
{
	if (handshake_register_index(handshake))
		return false;
	*sender_index = handshake->entry.index;
	handshake->state = state;
	return true;
}

bool wg_noise_handshake_create_initiation(struct message_handshake_initiation *dst,
					  struct noise_handshake *handshake)
{
	u8 timestamp[NOISE_TIMESTAMP_LEN];
	u8 key[NOISE_SYMMETRIC_KEY_LEN];
	bool ret = false;

	down_read(&handshake->static_identity->lock);
	down_write(&handshake->lock);

	if (!handshake->static_identity->has_identity ||
	    !static_static(handshake))
		goto out;

	dst->header.type = cpu_to_le32(MESSAGE_HANDSHAKE_INITIATION);
	handshake_start(handshake->chaining_key, handshake->hash,
			handshake->remote_static);

	/* e */
	if (!create_ephemeral(dst->unencrypted_ephemeral, handshake))
		goto out;

	/* es */
	if (!mix_dh(handshake->chaining_key, key, handshake->ephemeral_private,
		    handshake->remote_static))
		goto out;

	/* s */
	message_encrypt(dst->encrypted_static,
			handshake->static_identity->static_public,
			NOISE_PUBLIC_KEY_LEN, key, handshake->hash);

	/* ss */
	if (!mix_precomputed_dh(handshake->chaining_key, key,
				handshake->precomputed_static_static))
		goto out;

	/* {t} */
	tai64n_now(timestamp);
	message_encrypt(dst->encrypted_timestamp, timestamp,
			NOISE_TIMESTAMP_LEN, key, handshake->hash);

	ret = created(handshake, &dst->sender_index,
		      HANDSHAKE_CREATED_INITIATION);

out:
	up_write(&handshake->lock);
	up_read(&handshake->static_identity->lock);
	memzero_explicit(key, sizeof(key));
	return ret;
}

struct wg_peer *wg_noise_handshake_consume_initiation(struct message_handshake_initiation *src,
						      struct wg_device *wg)
{
	struct noise_static_identity *id = &wg->static_identity;
	u8 chaining_key[NOISE_HASH_LEN], hash[NOISE_HASH_LEN];
	u8 s[NOISE_PUBLIC_KEY_LEN], e[NOISE_PUBLIC_KEY_LEN];
	u8 t[NOISE_TIMESTAMP_LEN], key[NOISE_SYMMETRIC_KEY_LEN];
	struct noise_handshake *handshake;
	struct wg_peer *peer = NULL;
	bool replayed, flooded;
	u64 now;

	down_read(&id->lock);
	if (!id->has_identity)
		goto out;

	handshake_start(chaining_key, hash, id->static_public);

	/* e */
	message_ephemeral(e, src->unencrypted_ephemeral, chaining_key, hash);

	/* es */
	if (!mix_dh(chaining_key, key, id->static_private, e))
		goto out;

	/* s: who is this? */
	if (!message_decrypt(s, src->encrypted_static,
			     sizeof(src->encrypted_static), key, hash))
		goto out;
	peer = wg_pubkey_table_lookup(&wg->peer_hashtable, s);
	if (!peer)
		goto out;
	handshake = &peer->handshake;

	down_write(&handshake->lock);

	/* ss */
	if (!static_static(handshake) ||
	    !mix_precomputed_dh(chaining_key, key,
				handshake->precomputed_static_static))
		goto err_unlock;

	/* {t} */
	if (!message_decrypt(t, src->encrypted_timestamp,
			     sizeof(src->encrypted_timestamp), key, hash))
		goto err_unlock;

	/* Only a newer timestamp, and at most INITIATIONS_PER_SECOND. */
	now = now_ns();
	replayed = memcmp(t, handshake->latest_timestamp,
			  NOISE_TIMESTAMP_LEN) <= 0;
	flooded = handshake->last_initiation_consumption &&
		  now < handshake->last_initiation_consumption +
			NSEC_PER_SEC / INITIATIONS_PER_SECOND;
	if (replayed || flooded)
		goto err_unlock;

	memcpy(handshake->remote_ephemeral, e, NOISE_PUBLIC_KEY_LEN);
	memcpy(handshake->latest_timestamp, t, NOISE_TIMESTAMP_LEN);
	memcpy(handshake->hash, hash, NOISE_HASH_LEN);
	memcpy(handshake->chaining_key, chaining_key, NOISE_HASH_LEN);
	handshake->remote_index = src->sender_index;
	handshake->last_initiation_consumption = now;
	handshake->state = HANDSHAKE_CONSUMED_INITIATION;
	up_write(&handshake->lock);
	goto out;

err_unlock:
	up_write(&handshake->lock);
	wg_peer_put(peer);
	peer = NULL;
out:
	memzero_explicit(key, sizeof(key));
	memzero_explicit(hash, sizeof(hash));
	memzero_explicit(chaining_key, sizeof(chaining_key));
	up_read(&id->lock);
	return peer;
}

bool wg_noise_handshake_create_response(struct message_handshake_response *dst,
					struct noise_handshake *handshake)
{
	u8 key[NOISE_SYMMETRIC_KEY_LEN];
	bool ret = false;

	down_read(&handshake->static_identity->lock);
	down_write(&handshake->lock);

	if (handshake->state != HANDSHAKE_CONSUMED_INITIATION)
		goto out;

	dst->header.type = cpu_to_le32(MESSAGE_HANDSHAKE_RESPONSE);
	dst->receiver_index = handshake->remote_index;

	/* e */
	if (!create_ephemeral(dst->unencrypted_ephemeral, handshake))
		goto out;

	/* ee, se */
	if (!mix_dh(handshake->chaining_key, NULL, handshake->ephemeral_private,
		    handshake->remote_ephemeral) ||
	    !mix_dh(handshake->chaining_key, NULL, handshake->ephemeral_private,
		    handshake->remote_static))
		goto out;

	/* psk */
	mix_psk(handshake->chaining_key, handshake->hash, key,
		handshake->preshared_key);

	/* {} */
	message_encrypt(dst->encrypted_nothing, NULL, 0, key, handshake->hash);

	ret = created(handshake, &dst->sender_index, HANDSHAKE_CREATED_RESPONSE);

out:
	up_write(&handshake->lock);
	up_read(&handshake->static_identity->lock);
	memzero_explicit(key, sizeof(key));
	return ret;
}

struct wg_peer *wg_noise_handshake_consume_response(struct message_handshake_response *src,
						    struct wg_device *wg)
{
	struct noise_static_identity *id = &wg->static_identity;
	u8 ephemeral_private[NOISE_PUBLIC_KEY_LEN], e[NOISE_PUBLIC_KEY_LEN];
	u8 chaining_key[NOISE_HASH_LEN], hash[NOISE_HASH_LEN];
	u8 key[NOISE_SYMMETRIC_KEY_LEN], psk[NOISE_SYMMETRIC_KEY_LEN];
	enum noise_handshake_state state;
	struct noise_handshake *handshake;
	struct index_entry *entry;
	struct wg_peer *peer = NULL;

	down_read(&id->lock);
	if (!id->has_identity)
		goto out;

	entry = wg_index_table_lookup(&wg->index_hashtable, INDEX_HANDSHAKE,
				      src->receiver_index, &peer);
	if (!entry)
		goto out;
	handshake = container_of(entry, struct noise_handshake, entry);

	/* Work on a copy, so a bad response cannot disturb the handshake. */
	down_read(&handshake->lock);
	state = handshake->state;
	memcpy(hash, handshake->hash, NOISE_HASH_LEN);
	memcpy(chaining_key, handshake->chaining_key, NOISE_HASH_LEN);
	memcpy(ephemeral_private, handshake->ephemeral_private,
	       NOISE_PUBLIC_KEY_LEN);
	memcpy(psk, handshake->preshared_key, NOISE_SYMMETRIC_KEY_LEN);
	up_read(&handshake->lock);

	if (state != HANDSHAKE_CREATED_INITIATION)
		goto err_put;

	/* e */
	message_ephemeral(e, src->unencrypted_ephemeral, chaining_key, hash);

	/* ee, se */
	if (!mix_dh(chaining_key, NULL, ephemeral_private, e) ||
	    !mix_dh(chaining_key, NULL, id->static_private, e))
		goto err_put;

	/* psk */
	mix_psk(chaining_key, hash, key, psk);

	/* {} */
	if (!message_decrypt(NULL, src->encrypted_nothing,
			     sizeof(src->encrypted_nothing), key, hash))
		goto err_put;

	down_write(&handshake->lock);
	/* Another response may have won the race while we computed. */
	if (handshake->state != state) {
		up_write(&handshake->lock);
		goto err_put;
	}
	memcpy(handshake->remote_ephemeral, e, NOISE_PUBLIC_KEY_LEN);
	memcpy(handshake->hash, hash, NOISE_HASH_LEN);
	memcpy(handshake->chaining_key, chaining_key, NOISE_HASH_LEN);
	handshake->remote_index = src->sender_index;
	handshake->state = HANDSHAKE_CONSUMED_RESPONSE;
	up_write(&handshake->lock);
	goto out;

err_put:
	wg_peer_put(peer);
	peer = NULL;
out:
	memzero_explicit(key, sizeof(key));
	memzero_explicit(hash, sizeof(hash));
	memzero_explicit(chaining_key, sizeof(chaining_key));
	memzero_explicit(ephemeral_private, sizeof(ephemeral_private));
	memzero_explicit(psk, sizeof(psk));
	up_read(&id->lock);
	return peer;
}

struct noise_keypair *wg_noise_keypair_get(struct noise_keypair *keypair)
{
	RCU_LOCKDEP_WARN(!rcu_read_lock_bh_held(),
			 "taking keypair reference without holding the RCU BH read lock");
	if (unlikely(!keypair || !kref_get_unless_zero(&keypair->refcount)))
		return NULL;
	return keypair;
}

static struct noise_keypair *keypair_create(struct wg_peer *peer)
{
	struct noise_keypair *keypair = kzalloc(sizeof(*keypair), GFP_KERNEL);

	if (unlikely(!keypair))
		return NULL;
	kref_init(&keypair->refcount);
	keypair->entry.type = INDEX_KEYPAIR;
	keypair->entry.peer = wg_peer_get(peer);
	wg_replay_init(&keypair->receiving_counter);
	return keypair;
}

/* Transport keys: (send_i, recv_i) = KDF2(C, empty) = (recv_r, send_r). */
static void derive_keys(struct noise_keypair *keypair,
			const u8 chaining_key[NOISE_HASH_LEN])
{
	u8 *first = keypair->i_am_the_initiator ? keypair->sending.key :
						  keypair->receiving.key;
	u8 *second = keypair->i_am_the_initiator ? keypair->receiving.key :
						   keypair->sending.key;
	u64 birthdate = now_ns();

	kdf(first, second, NULL, NULL, 0, chaining_key);
	keypair->sending.birthdate = birthdate;
	keypair->receiving.birthdate = birthdate;
	keypair->sending.is_valid = true;
	keypair->receiving.is_valid = true;
}

/*
 * Slots a new keypair in. The initiator has its confirmation (the response)
 * and uses the new keys at once: current becomes previous. The responder
 * must wait for the first data packet on them, so they go to next until
 * wg_noise_received_with_keypair() promotes them. Either way an unconfirmed
 * next that lost the race is dropped.
 */
static void add_new_keypair(struct noise_keypairs *keypairs,
			    struct noise_keypair *new)
{
	struct noise_keypair *previous, *next, *current_keypair;

	spin_lock_bh(&keypairs->keypair_update_lock);
	previous = wg_keypair_slot(keypairs, previous_keypair);
	next = wg_keypair_slot(keypairs, next_keypair);
	current_keypair = wg_keypair_slot(keypairs, current_keypair);
	if (new->i_am_the_initiator) {
		rcu_assign_pointer(keypairs->previous_keypair, current_keypair);
		rcu_assign_pointer(keypairs->current_keypair, new);
		RCU_INIT_POINTER(keypairs->next_keypair, NULL);
		wg_noise_keypair_put(previous, true);
	} else {
		rcu_assign_pointer(keypairs->next_keypair, new);
	}
	wg_noise_keypair_put(next, true);
	spin_unlock_bh(&keypairs->keypair_update_lock);
}

bool wg_noise_received_with_keypair(struct noise_keypairs *keypairs,
				    struct noise_keypair *received_keypair)
{
	struct noise_keypair *old;
	bool promoted = false;

	if (likely(received_keypair !=
		   rcu_access_pointer(keypairs->next_keypair)))
		return false;

	spin_lock_bh(&keypairs->keypair_update_lock);
	if (received_keypair == wg_keypair_slot(keypairs, next_keypair)) {
		old = wg_keypair_slot(keypairs, previous_keypair);
		rcu_assign_pointer(keypairs->previous_keypair,
				   wg_keypair_slot(keypairs, current_keypair));
		rcu_assign_pointer(keypairs->current_keypair, received_keypair);
		RCU_INIT_POINTER(keypairs->next_keypair, NULL);
		wg_noise_keypair_put(old, true);
		promoted = true;
	}
	spin_unlock_bh(&keypairs->keypair_update_lock);
	return promoted;
}

bool wg_noise_handshake_begin_session(struct noise_handshake *handshake,
				      struct noise_keypairs *keypairs)
{
	struct wg_peer *peer = handshake->entry.peer;
	struct noise_keypair *new_keypair;
	bool ret = false;

	down_write(&handshake->lock);
	if (handshake->state != HANDSHAKE_CREATED_RESPONSE &&
	    handshake->state != HANDSHAKE_CONSUMED_RESPONSE)
		goto out;

	new_keypair = keypair_create(peer);
	if (!new_keypair)
		goto out;
	new_keypair->i_am_the_initiator =
		handshake->state == HANDSHAKE_CONSUMED_RESPONSE;
	new_keypair->remote_index = handshake->remote_index;
	derive_keys(new_keypair, handshake->chaining_key);

	/* Our index now names the keypair instead of the handshake. */
	if (READ_ONCE(peer->is_dead) ||
	    !wg_index_table_replace(&peer->device->index_hashtable,
				    &handshake->entry, &new_keypair->entry)) {
		wg_peer_put(peer);
		kfree_sensitive(new_keypair);
		handshake_zero(handshake);
		goto out;
	}
	handshake_zero(handshake);
	add_new_keypair(keypairs, new_keypair);
	net_dbg_ratelimited("%s: keypair created for peer %llu\n",
			    peer->device->dev->name, peer->internal_id);
	ret = true;
out:
	up_write(&handshake->lock);
	return ret;
}

#if IS_ENABLED(CONFIG_KUNIT)
#include "tests/noise_test.c"
#endif
