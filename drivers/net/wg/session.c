// SPDX-License-Identifier: GPL-2.0
/*
 * Sessions and a peer's three slots for them (session.h).
 */

#include <linux/slab.h>
#include <linux/string.h>
#include <linux/timekeeping.h>

#include "session.h"
#include "peer.h"
#include "device.h"
#include "peerlookup.h"

struct wg_session *wg_session_create(struct wg_peer *peer, __le32 remote,
				     bool initiator)
{
	struct wg_session *s;

	s = kzalloc(sizeof(*s), GFP_ATOMIC);
	if (!s)
		return NULL;
	s->index.kind = WG_INDEX_SESSION;
	s->remote = remote;
	s->peer = wg_peer_get(peer);
	s->born = ktime_get_coarse_boottime_ns();
	s->initiator = initiator;
	spin_lock_init(&s->replay_lock);
	wg_replay_init(&s->replay);
	kref_init(&s->ref);
	return s;
}

int wg_session_add_index(struct wg_session *s)
{
	return wg_index_table_insert(&s->peer->wg->by_index, &s->index);
}

void wg_session_set_keys(struct wg_session *s,
			 const struct noise_transport_keys *keys)
{
	memcpy(s->send_key, keys->send, WG_KEY_SIZE);
	memcpy(s->recv_key, keys->recv, WG_KEY_SIZE);
	s->born = ktime_get_coarse_boottime_ns();
}

static void session_free_rcu(struct rcu_head *rcu)
{
	struct wg_session *s = container_of(rcu, struct wg_session, rcu);

	wg_peer_put(s->peer);
	kfree_sensitive(s);
}

static void session_release(struct kref *ref)
{
	struct wg_session *s = container_of(ref, struct wg_session, ref);

	/* Lookups that found it before it left the table may still look. */
	call_rcu(&s->rcu, session_free_rcu);
}

void wg_session_put(struct wg_session *s)
{
	if (s)
		kref_put(&s->ref, session_release);
}

void wg_session_drop(struct wg_session *s)
{
	if (!s)
		return;
	WRITE_ONCE(s->expired, true);
	wg_index_table_remove(&s->peer->wg->by_index, &s->index);
	wg_session_put(s);
}

/* A slot's session, the live part's lock held. */
static struct wg_session *slot(struct wg_live *live,
			       struct wg_session __rcu **slot)
{
	return rcu_dereference_protected(*slot, lockdep_is_held(&live->lock));
}

void wg_session_install(struct wg_live *live, struct wg_session *s)
{
	struct wg_session *gone[2] = { NULL, NULL };

	spin_lock_bh(&live->lock);
	if (live->dead) {
		spin_unlock_bh(&live->lock);
		wg_session_drop(s);
		return;
	}
	if (s->initiator) {
		/* Confirmed by the response itself: send on it at once. */
		gone[0] = slot(live, &live->next);
		gone[1] = slot(live, &live->prev);
		RCU_INIT_POINTER(live->next, NULL);
		rcu_assign_pointer(live->prev, slot(live, &live->cur));
		rcu_assign_pointer(live->cur, s);
	} else {
		/* Unconfirmed until the initiator sends on it. */
		gone[0] = slot(live, &live->next);
		rcu_assign_pointer(live->next, s);
	}
	spin_unlock_bh(&live->lock);
	wg_session_drop(gone[0]);
	wg_session_drop(gone[1]);
}

bool wg_session_confirm(struct wg_live *live, struct wg_session *s)
{
	struct wg_session *gone;

	/* The common case, unlocked: s is already cur or prev. */
	if (likely(rcu_access_pointer(live->next) != s))
		return false;
	spin_lock_bh(&live->lock);
	if (live->dead || slot(live, &live->next) != s) {
		spin_unlock_bh(&live->lock);
		return false;
	}
	gone = slot(live, &live->prev);
	rcu_assign_pointer(live->prev, slot(live, &live->cur));
	rcu_assign_pointer(live->cur, s);
	RCU_INIT_POINTER(live->next, NULL);
	spin_unlock_bh(&live->lock);
	wg_session_drop(gone);
	return true;
}

void wg_session_take_all(struct wg_live *live, struct wg_session *out[3])
{
	lockdep_assert_held(&live->lock);
	out[0] = slot(live, &live->prev);
	out[1] = slot(live, &live->cur);
	out[2] = slot(live, &live->next);
	RCU_INIT_POINTER(live->prev, NULL);
	RCU_INIT_POINTER(live->cur, NULL);
	RCU_INIT_POINTER(live->next, NULL);
}

struct wg_session *wg_session_get_cur(struct wg_peer *peer)
{
	struct wg_session *s = NULL;
	struct wg_live *live;

	rcu_read_lock_bh();
	live = wg_live_of(peer);
	if (live)
		s = rcu_dereference_bh(live->cur);
	if (s && (READ_ONCE(s->expired) ||
		  !wg_session_fresh(s, ktime_get_coarse_boottime_ns()) ||
		  !kref_get_unless_zero(&s->ref)))
		s = NULL;
	rcu_read_unlock_bh();
	return s;
}
