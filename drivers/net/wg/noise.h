/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Noise_IKpsk2 handshake state and the transport keypairs it produces
 * (protocol sheet: "Handshake").
 */
#ifndef _WG_NOISE_H
#define _WG_NOISE_H

#include <linux/kref.h>
#include <linux/rwsem.h>
#include <linux/spinlock.h>
#include <linux/atomic.h>
#include <linux/rhashtable-types.h>
#include "messages.h"
#include "replay.h"

struct wg_peer;
struct wg_device;

/* Our own key pair; written under its lock with the config mutex held. */
struct noise_static_identity {
	u8 static_public[NOISE_PUBLIC_KEY_LEN];
	u8 static_private[NOISE_PUBLIC_KEY_LEN];
	struct rw_semaphore lock;
	bool has_identity;
};

enum index_type {
	INDEX_HANDSHAKE = 1,
	INDEX_KEYPAIR = 2,
};

/*
 * An entry in the device's index table: a handshake in progress or a live
 * keypair, found by the random 32-bit index the remote side echoes back.
 */
struct index_entry {
	struct rhash_head node;
	struct wg_peer *peer;
	__le32 index;
	u8 type;
};

struct noise_symmetric_key {
	u8 key[NOISE_SYMMETRIC_KEY_LEN];
	u64 birthdate;		/* ktime_get_coarse_boottime_ns() */
	bool is_valid;
};

struct noise_keypair {
	struct index_entry entry;
	struct noise_symmetric_key sending;
	atomic64_t sending_counter;
	struct noise_symmetric_key receiving;
	struct replay_counter receiving_counter;
	__le32 remote_index;
	bool i_am_the_initiator;
	struct kref refcount;
	struct rcu_head rcu;
};

/* previous/current/next, swapped under keypair_update_lock, read with RCU. */
struct noise_keypairs {
	struct noise_keypair __rcu *current_keypair;
	struct noise_keypair __rcu *previous_keypair;
	struct noise_keypair __rcu *next_keypair;
	spinlock_t keypair_update_lock;	/* serialises the three slots' updates */
};

/* One of the three slots of KEYPAIRS, its keypair_update_lock held. */
#define wg_keypair_slot(keypairs, slot)					\
	rcu_dereference_protected((keypairs)->slot,			\
		lockdep_is_held(&(keypairs)->keypair_update_lock))

enum noise_handshake_state {
	HANDSHAKE_ZEROED,
	HANDSHAKE_CREATED_INITIATION,
	HANDSHAKE_CONSUMED_INITIATION,
	HANDSHAKE_CREATED_RESPONSE,
	HANDSHAKE_CONSUMED_RESPONSE,
};

/* Everything below entry is protected by lock. */
struct noise_handshake {
	struct index_entry entry;
	struct noise_static_identity *static_identity;
	enum noise_handshake_state state;
	u64 last_initiation_consumption;
	u8 ephemeral_private[NOISE_PUBLIC_KEY_LEN];
	u8 remote_static[NOISE_PUBLIC_KEY_LEN];
	u8 remote_ephemeral[NOISE_PUBLIC_KEY_LEN];
	u8 precomputed_static_static[NOISE_PUBLIC_KEY_LEN];
	u8 preshared_key[NOISE_SYMMETRIC_KEY_LEN];
	u8 hash[NOISE_HASH_LEN];
	u8 chaining_key[NOISE_HASH_LEN];
	u8 latest_timestamp[NOISE_TIMESTAMP_LEN];
	__le32 remote_index;
	bool static_static_ready;	/* precomputed_static_static is valid */
	struct rw_semaphore lock;
};

void wg_noise_handshake_init(struct noise_handshake *handshake,
			     struct noise_static_identity *static_identity,
			     const u8 peer_public_key[NOISE_PUBLIC_KEY_LEN],
			     const u8 peer_preshared_key[NOISE_SYMMETRIC_KEY_LEN],
			     struct wg_peer *peer);
void wg_noise_handshake_clear(struct noise_handshake *handshake);
void wg_noise_set_static_identity_private_key(struct noise_static_identity *id,
					      const u8 private_key[NOISE_PUBLIC_KEY_LEN]);
/* Forgets the cached DH(S_i, S_r); it is recomputed at the next handshake. */
void wg_noise_invalidate_static_static(struct wg_peer *peer);
void wg_noise_keypairs_clear(struct noise_keypairs *keypairs);
void wg_noise_keypair_put(struct noise_keypair *keypair, bool unreference_now);
void wg_noise_expire_current_peer_keypairs(struct wg_peer *peer);
struct noise_keypair *wg_noise_keypair_get(struct noise_keypair *keypair);
/* The remote side used @keypair: if it was our unconfirmed next, promote it. */
bool wg_noise_received_with_keypair(struct noise_keypairs *keypairs,
				    struct noise_keypair *received_keypair);

void wg_noise_init(void);
bool wg_noise_handshake_create_initiation(struct message_handshake_initiation *dst,
					  struct noise_handshake *handshake);
struct wg_peer *wg_noise_handshake_consume_initiation(struct message_handshake_initiation *src,
						      struct wg_device *wg);
bool wg_noise_handshake_create_response(struct message_handshake_response *dst,
					struct noise_handshake *handshake);
struct wg_peer *wg_noise_handshake_consume_response(struct message_handshake_response *src,
						    struct wg_device *wg);
bool wg_noise_handshake_begin_session(struct noise_handshake *handshake,
				      struct noise_keypairs *keypairs);

#endif /* _WG_NOISE_H */
