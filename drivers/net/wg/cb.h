/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the data path keeps in an skb's control block while the skb is
 * ours: a burst on its way out (tx.c), a datagram on its way in (rx.c).
 */
#ifndef _WG_CB_H
#define _WG_CB_H

#include <linux/llist.h>
#include <linux/skbuff.h>

#include "compat.h"

struct wg_session;
struct wg_rx_lane;

enum wg_cb_state {
	WG_CB_WAITING,		/* not sealed/opened yet */
	WG_CB_DONE,
	WG_CB_FAILED,
};

enum wg_job_kind {
	WG_JOB_SEAL,		/* a burst (tx.c) */
	WG_JOB_OPEN,		/* a run of datagrams (rx.c) */
};

enum wg_cb_flag {
	WG_CB_DATA = 1 << 0,		/* tx: not a keepalive */
	WG_CB_INPLACE = 1 << 1,		/* tx: sealed where it stood */
	WG_CB_STALE = 1 << 2,		/* rx: its session was too old to open it */
};

/*
 * The first 32 bytes survive skb_gso_segment(), which keeps its own
 * state at SKB_GSO_CB_OFFSET: state is read concurrently, so it is there.
 */
struct wg_cb {
	struct llist_node job;		/* on a worker's list */
	struct wg_session *session;	/* tx: the burst's reference */
	u64 nonce;			/* tx: the burst's first; rx: its counter */
	u8 state;			/* enum wg_cb_state, release/acquire */
	u8 ds;				/* outer DS field: to send / as received */
	u8 kind;			/* enum wg_job_kind */
	u8 flags:5;			/* enum wg_cb_flag */
	u8 depth:3;			/* tx: wg_socket_depth() when numbered */
	u16 count;			/* tx: messages; rx job: datagrams */
	u16 mtu;			/* tx: of the route the packet came by */
	struct sk_buff *out;		/* tx: sealed datagrams; rx: opened packet */
	struct wg_rx_lane *lane;	/* rx job: the lane its worker wakes */
};

static inline struct wg_cb *wg_cb(struct sk_buff *skb)
{
	BUILD_BUG_ON(sizeof(struct wg_cb) > sizeof_field(struct sk_buff, cb));
	BUILD_BUG_ON(offsetofend(struct wg_cb, mtu) > SKB_GSO_CB_OFFSET);
	return (struct wg_cb *)skb->cb;
}

/*
 * Published by whoever sealed or opened it, after everything else it
 * wrote (release); the serial stage reads it before anything else
 * (acquire).
 */
static inline void wg_cb_finish(struct sk_buff *skb, enum wg_cb_state state)
{
	/* Pairs with smp_load_acquire() in wg_cb_state(). */
	smp_store_release(&wg_cb(skb)->state, state);
}

static inline enum wg_cb_state wg_cb_state(struct sk_buff *skb)
{
	/* Pairs with smp_store_release() in wg_cb_finish(). */
	return smp_load_acquire(&wg_cb(skb)->state);
}

/*
 * Moves the skbs at the head of @q that are sealed or opened (or failed),
 * at most @max, to the tail of @to, in order; returns how many. The
 * caller holds @q's lock: the serial stage takes only a finished head.
 */
static inline unsigned int wg_cb_take_finished(struct sk_buff_head *q,
					       struct sk_buff_head *to,
					       unsigned int max)
{
	struct sk_buff *skb;
	unsigned int n = 0;

	while (n < max && (skb = skb_peek(q)) &&
	       wg_cb_state(skb) != WG_CB_WAITING) {
		__skb_unlink(skb, q);
		__skb_queue_tail(to, skb);
		++n;
	}
	return n;
}

#endif /* _WG_CB_H */
