/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The wireguard net_device and everything it owns.
 *
 * Lock order: rtnl_lock -> wg->conf_lock -> live->lock -> peer->tx.lock.
 * conf_lock serialises configuration (netlink, open/stop, namespace
 * exit); the data path never takes it.
 */
#ifndef _WG_DEVICE_H
#define _WG_DEVICE_H

#include <linux/list.h>
#include <linux/llist.h>
#include <linux/mutex.h>
#include <linux/netdevice.h>
#include <linux/ptr_ring.h>
#include <linux/rhashtable-types.h>
#include <linux/skbuff.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/workqueue.h>
#include <net/net_namespace.h>

#include "allowedips.h"
#include "cookie.h"
#include "noise.h"
#include "stats.h"

/*
 * One receive lane per CPU: datagrams that arrived on that CPU, in arrival
 * order, wait in @in; the take poll (on that CPU) moves them to @pending,
 * opens small batches itself or hands large ones to a worker; the deliver
 * poll hands the opened ones from the head of @pending, in order, to GRO
 * (rx.c). Whoever opens a batch schedules the deliver poll: it may run on
 * any CPU, but on one at a time.
 */
struct wg_rx_lane {
	struct ptr_ring in;		/* producers: encap_rcv on this CPU */
	struct sk_buff_head pending;	/* take appends, deliver takes the head */
	struct wg_session *delivering;	/* deliver's: the run at the head */
	struct napi_struct take;	/* this CPU's arrivals into runs */
	struct napi_struct deliver;	/* wherever the head was opened */
	struct wg_device *wg;
	bool stopped;			/* wg_rx_stop() disabled the polls */
};

/* One per CPU: sealing and opening jobs (skbs, see cb.h; crypt.c). */
struct wg_worker {
	struct llist_head jobs;
	struct work_struct work;
};

/* Handshake messages waiting for the handshake worker (handshake.c). */
struct wg_intake {
	struct ptr_ring queue;	/* everything, while not under load */
	struct ptr_ring vetted;	/* under load: messages with a good mac2 */
	atomic_t queued;	/* in queue, being handled included */
	u64 load_until;		/* coarse boottime ns */
	struct work_struct work;
};

/* Our static key, replaced whole when the private key changes. */
struct wg_identity {
	struct noise_static st;
	struct rcu_head rcu;
};

struct wg_device {
	struct net_device *dev;

	/* Configuration. */
	struct mutex conf_lock;
	struct wg_identity __rcu *identity;	/* NULL: no private key */
	struct list_head peers;			/* creation order */
	unsigned int npeers;
	u64 peer_serial;
	u16 port;		/* host order; 0: any, until bound */
	u32 fwmark;

	/* Lookups, under RCU. */
	struct rhashtable by_key;
	struct rhashtable by_index;
	struct allowedips allowedips;

	/* Sockets: in sock_net, wherever the device moves. */
	struct sock __rcu *sock4;
	struct sock __rcu *sock6;
	struct net __rcu *sock_net;	/* no reference: see the pernet exit */

	/* Data path. */
	struct wg_rx_lane __percpu *lanes;
	struct wg_worker __percpu *workers;
	struct workqueue_struct *wq;	/* crypto workers */
	struct workqueue_struct *hs_wq;	/* handshakes, sessions retired */
	struct wg_intake intake;
	struct llist_head want_init;	/* peers wanting an initiation */
	struct work_struct init_work;
	struct wg_cookie_jar jar;
	struct wg_stats __percpu *stats;

	struct list_head all;		/* every device, under rtnl */
};

static inline struct wg_device *wg_from_dev(struct net_device *dev)
{
	return netdev_priv(dev);
}

/* Our static key under RCU (any flavour), or NULL. */
static inline const struct noise_static *wg_identity(struct wg_device *wg)
{
	struct wg_identity *id = rcu_dereference_check(wg->identity,
						       rcu_read_lock_any_held() ||
						       lockdep_is_held(&wg->conf_lock));

	return id ? &id->st : NULL;
}

/*
 * Configuration, under conf_lock. Setting a private key (NULL: none)
 * retires every peer's sessions and handshake, removes a peer whose key
 * is the new public key (into @dead), and starts what an up device with
 * a key does (persistent keepalives).
 */
int wg_device_set_private_key(struct wg_device *wg, const u8 *key,
			      struct list_head *dead);
int wg_device_set_port(struct wg_device *wg, u16 port);
void wg_device_set_fwmark(struct wg_device *wg, u32 fwmark);
/* Our public key into @out; false if there is no private key. */
bool wg_device_public_key(struct wg_device *wg, u8 out[WG_KEY_SIZE]);

int wg_device_init(void);
void wg_device_uninit(void);
bool wg_is_our_device(const struct net_device *dev);

#endif /* _WG_DEVICE_H */
