/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Sessions: the transport keys one handshake yields, and a peer's three
 * slots for them (protocol sheet: "Key confirmation").
 *
 *  - next: the responder's new session, unconfirmed: we may not send on
 *    it until the initiator has sent on it first.
 *  - cur: the session we send on.
 *  - prev: the one before, still good to receive the stragglers.
 *
 * A completed handshake as initiator makes cur at once (prev <- cur); as
 * responder it makes next; the first data received on next promotes it
 * (prev <- cur <- next). A new session always discards what it displaces
 * out of the three.
 *
 * The nonce counter of a session advances only under its peer's tx queue
 * lock (tx.c), a burst at a time; the replay window under replay_lock,
 * taken once per run of messages of that session (rx.c).
 */
#ifndef _WG_SESSION_H
#define _WG_SESSION_H

#include <linux/kref.h>
#include <linux/rcupdate.h>
#include <linux/types.h>

#include "noise.h"
#include "replay.h"
#include "peerlookup.h"

struct wg_peer;
struct wg_live;

struct wg_session {
	struct wg_index index;		/* our index: where data finds us */
	__le32 remote;			/* theirs: what our data carries */
	struct wg_peer *peer;		/* a reference */
	u64 born;			/* coarse boottime ns */
	bool initiator;
	bool expired;			/* no more sending, whatever the age */

	u8 send_key[WG_KEY_SIZE];
	u64 sent;			/* next nonce; peer->tx.lock */

	u8 recv_key[WG_KEY_SIZE];
	spinlock_t replay_lock;		/* the replay window's writers */
	struct wg_replay replay;

	struct kref ref;
	struct rcu_head rcu;
};

/*
 * A session for @peer, not yet in the index table; NULL if memory is
 * short. @remote is the peer's index. Before its own index is sent to
 * anyone it gets its keys (wg_session_set_keys()) and its index: a fresh
 * one (wg_session_add_index(), the responder), or the index of the
 * initiation it completes (wg_index_table_replace(), the initiator).
 */
struct wg_session *wg_session_create(struct wg_peer *peer, __le32 remote,
				     bool initiator);
int wg_session_add_index(struct wg_session *s);
void wg_session_set_keys(struct wg_session *s,
			 const struct noise_transport_keys *keys);

/* Installs @s into @live's slots (as cur or next, see above). */
void wg_session_install(struct wg_live *live, struct wg_session *s);

/*
 * Data arrived on @s: if it is next, it becomes cur. True if that
 * happened (the caller then sends what waited for it).
 */
bool wg_session_confirm(struct wg_live *live, struct wg_session *s);

/* Empties the three slots under live->lock into @out[3], for dropping. */
void wg_session_take_all(struct wg_live *live, struct wg_session *out[3]);

/* Out of the index table, then put. Any context. */
void wg_session_drop(struct wg_session *s);

/* The session to send on, with a reference; NULL if none is usable. */
struct wg_session *wg_session_get_cur(struct wg_peer *peer);

static inline struct wg_session *wg_session_get(struct wg_session *s)
{
	kref_get(&s->ref);
	return s;
}

void wg_session_put(struct wg_session *s);

/* Usable at all (for sending or receiving) at @now? */
static inline bool wg_session_fresh(const struct wg_session *s, u64 now)
{
	return now - s->born < (u64)WG_REJECT_AFTER_TIME * NSEC_PER_SEC;
}

#endif /* _WG_SESSION_H */
