/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The wireguard net_device and the state it owns.
 *
 * Lock order: rtnl_lock -> wg->device_update_lock -> static_identity.lock ->
 * peer->handshake.lock -> peer->keypairs.keypair_update_lock.
 */
#ifndef _WG_DEVICE_H
#define _WG_DEVICE_H

#include <linux/types.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/netdevice.h>
#include <linux/rhashtable-types.h>
#include <net/net_namespace.h>
#include <linux/ptr_ring.h>
#include <linux/workqueue.h>
#include "noise.h"
#include "allowedips.h"
#include "cookie.h"
#include "stats.h"

/* One work item per CPU draining a device-wide ring (crypto, handshakes). */
struct multicore_worker {
	void *ptr;
	struct work_struct work;
};

struct crypt_queue {
	struct ptr_ring ring;
	struct multicore_worker __percpu *worker;
	int last_cpu;
};

struct wg_device {
	struct net_device *dev;

	/* sockets live in creating_net whatever netns dev moves to; RCU */
	struct sock __rcu *sock4;
	struct sock __rcu *sock6;
	struct net __rcu *creating_net;	/* no reference: see pernet exit */

	/* configuration, under device_update_lock */
	struct noise_static_identity static_identity;
	struct mutex device_update_lock;	/* configuration changes */
	struct list_head peer_list;
	unsigned int num_peers;
	u64 peer_id_counter;
	u32 fwmark;
	u16 incoming_port;	/* host order; 0 until bound or configured */

	/* lookups from the data path, under RCU */
	struct rhashtable peer_hashtable;
	struct rhashtable index_hashtable;
	struct allowedips peer_allowedips;

	/* the data path (queueing.c, send.c, receive.c) */
	struct crypt_queue encrypt_queue;
	struct crypt_queue decrypt_queue;
	struct crypt_queue handshake_queue;
	atomic_t handshake_queue_len;	/* of handshake_queue, being handled incl. */
	struct ptr_ring handshake_vetted; /* cookie holders, under load: first */
	u64 last_under_load;		/* ktime ns; 0: never */
	struct workqueue_struct *packet_crypt_wq;
	struct workqueue_struct *handshake_receive_wq;
	struct workqueue_struct *handshake_send_wq;
	struct cookie_checker cookie_checker;
	struct wg_stats __percpu *stats;

	struct list_head device_list;	/* all devices, under rtnl */
};

static inline struct wg_device *wg_from_dev(struct net_device *dev)
{
	return netdev_priv(dev);
}

int wg_device_init(void);
void wg_device_uninit(void);
bool wg_is_our_device(const struct net_device *dev);

#endif /* _WG_DEVICE_H */
