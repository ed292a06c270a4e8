// SPDX-License-Identifier: GPL-2.0
/*
 * The wireguard net_device: link kind "wireguard", its life from newlink
 * to destructor, up and down, the device-wide settings, and the rule that
 * its sockets live (and die) in the namespace it was created in.
 */

#include <linux/if_arp.h>
#include <linux/rtnetlink.h>
#include <linux/slab.h>
#include <net/addrconf.h>
#include <net/rtnetlink.h>
#include <crypto/algapi.h>

#include "device.h"
#include "crypt.h"
#include "handshake.h"
#include "peer.h"
#include "peerlookup.h"
#include "rx.h"
#include "socket.h"
#include "timers.h"
#include "tx.h"
#include "compat.h"

/* Every device, so that a dying namespace finds those whose sockets it holds. */
static LIST_HEAD(all_devices);

/* Up and down. */

static void persistent_start_all(struct wg_device *wg)
{
	struct wg_peer *peer;

	lockdep_assert_held(&wg->conf_lock);
	rcu_read_lock_bh();
	list_for_each_entry(peer, &wg->peers, node)
		wg_handshake_persistent_start(peer);
	rcu_read_unlock_bh();
}

static int wg_open(struct net_device *dev)
{
	struct wg_device *wg = netdev_priv(dev);
	int ret;

	mutex_lock(&wg->conf_lock);
	ret = wg_socket_open(wg, wg->port);
	if (!ret)
		persistent_start_all(wg);
	mutex_unlock(&wg->conf_lock);
	return ret;
}

/* Sessions and handshakes end; configuration stays. */
static void forget_sessions(struct wg_device *wg)
{
	struct wg_peer *peer;

	list_for_each_entry(peer, &wg->peers, node) {
		wg_peer_retire_live(peer);
		wg_timers_reset(peer);
		cond_resched();
	}
}

static int wg_stop(struct net_device *dev)
{
	struct wg_device *wg = netdev_priv(dev);
	struct wg_peer *peer;

	mutex_lock(&wg->conf_lock);
	wg_socket_close(wg);
	forget_sessions(wg);
	list_for_each_entry(peer, &wg->peers, node)
		wg_tx_purge_staged(peer);
	mutex_unlock(&wg->conf_lock);
	return 0;
}

static void wg_uninit(struct net_device *dev)
{
	struct wg_device *wg = netdev_priv(dev);

	ASSERT_RTNL();
	list_del(&wg->all);
}

static const struct net_device_ops netdev_ops = {
	.ndo_open		= wg_open,
	.ndo_stop		= wg_stop,
	.ndo_uninit		= wg_uninit,
	.ndo_start_xmit		= wg_xmit,
	.ndo_get_stats64	= dev_get_tstats64,
};

/* Settings. */

static void identity_free_rcu(struct rcu_head *rcu)
{
	kfree_sensitive(container_of(rcu, struct wg_identity, rcu));
}

int wg_device_set_private_key(struct wg_device *wg, const u8 *key,
			      struct list_head *dead)
{
	struct wg_identity *old, *new = NULL;
	struct wg_peer *peer;

	lockdep_assert_held(&wg->conf_lock);
	old = rcu_dereference_protected(wg->identity,
					lockdep_is_held(&wg->conf_lock));
	if (key) {
		new = kzalloc(sizeof(*new), GFP_KERNEL);
		if (!new)
			return -ENOMEM;
		if (!wg_noise_static_init(&new->st, key)) {
			kfree_sensitive(new);
			new = NULL;
		}
	}
	if (new && old && !crypto_memneq(new->st.priv, old->st.priv, WG_KEY_SIZE)) {
		/* The same key: nothing changes, sessions go on. */
		kfree_sensitive(new);
		return 0;
	}
	if (!new && !old)
		return 0;
	/* We cannot be our own peer. */
	if (new) {
		peer = wg_peer_find(wg, new->st.pub);
		if (peer)
			wg_peer_unlink(peer, dead);
	}
	rcu_assign_pointer(wg->identity, new);
	if (old)
		call_rcu(&old->rcu, identity_free_rcu);
	/* Every session and handshake was made with the old key. */
	forget_sessions(wg);
	if (new && netif_running(wg->dev))
		persistent_start_all(wg);
	return 0;
}

bool wg_device_public_key(struct wg_device *wg, u8 out[WG_KEY_SIZE])
{
	const struct noise_static *st;

	rcu_read_lock();
	st = wg_identity(wg);
	if (st)
		memcpy(out, st->pub, WG_KEY_SIZE);
	rcu_read_unlock();
	return st;
}

int wg_device_set_port(struct wg_device *wg, u16 port)
{
	lockdep_assert_held(&wg->conf_lock);
	if (port && port == wg->port)
		return 0;
	if (!netif_running(wg->dev)) {
		WRITE_ONCE(wg->port, port);
		return 0;
	}
	return wg_socket_open(wg, port);
}

void wg_device_set_fwmark(struct wg_device *wg, u32 fwmark)
{
	struct wg_peer *peer;
	struct wg_live *live;

	lockdep_assert_held(&wg->conf_lock);
	if (wg->fwmark == fwmark)
		return;
	WRITE_ONCE(wg->fwmark, fwmark);
	/* Routes may depend on the mark. */
	rcu_read_lock();
	list_for_each_entry(peer, &wg->peers, node) {
		live = wg_live_of(peer);
		if (live)
			dst_cache_reset(&live->route);
	}
	rcu_read_unlock();
}

/* Life. */

static void wg_destruct(struct net_device *dev)
{
	struct wg_device *wg = netdev_priv(dev);
	struct wg_identity *id;

	mutex_lock(&wg->conf_lock);
	wg_peers_remove_all(wg);
	wg_allowedips_free(&wg->allowedips, &wg->conf_lock);
	id = rcu_dereference_protected(wg->identity,
				       lockdep_is_held(&wg->conf_lock));
	RCU_INIT_POINTER(wg->identity, NULL);
	mutex_unlock(&wg->conf_lock);
	/*
	 * Handshake work holds peers; the workers hold bursts and runs. A
	 * lane's take poll hands runs to the workers, and an opened run wakes
	 * its deliver poll: the polls stop first, then the workers are
	 * drained, then the lanes go with what they still hold.
	 */
	wg_handshake_destroy(wg);
	wg_rx_stop(wg);
	wg_crypt_destroy(wg);
	wg_rx_destroy(wg);
	wg_index_table_destroy(&wg->by_index);
	wg_pubkey_table_destroy(&wg->by_key);
	wg_stats_free(wg);
	wg_tstats_free(dev);
	if (id)
		call_rcu(&id->rcu, identity_free_rcu);
	mutex_destroy(&wg->conf_lock);
}

static const struct device_type device_type = { .name = KBUILD_MODNAME };

static void wg_setup(struct net_device *dev)
{
	/* IPv6 is the larger outer header, so it sets the default MTU. */
	const unsigned int overhead = WG_DATA_OVERHEAD + sizeof(struct udphdr) +
				      sizeof(struct ipv6hdr);
	const netdev_features_t features = NETIF_F_HW_CSUM | NETIF_F_RXCSUM |
					   NETIF_F_SG | NETIF_F_GSO |
					   NETIF_F_GSO_SOFTWARE |
					   NETIF_F_HIGHDMA;

	dev->netdev_ops = &netdev_ops;
	dev->ethtool_ops = &wg_ethtool_ops;
	dev->header_ops = NULL;
	dev->hard_header_len = 0;
	dev->addr_len = 0;
	dev->needed_headroom = LL_MAX_HEADER + WG_OUTER_ROOM + WG_DATA_HEADER_SIZE;
	dev->needed_tailroom = WG_PAD_MULTIPLE + WG_TAG_SIZE;
	dev->type = ARPHRD_NONE;
	dev->flags = IFF_POINTOPOINT | IFF_NOARP;
	dev->priv_flags |= IFF_NO_QUEUE;
	wg_set_lltx(dev);
	wg_tstats_setup(dev);
	dev->features |= features;
	dev->hw_features |= features;
	dev->hw_enc_features |= features;
	dev->mtu = ETH_DATA_LEN - overhead;
	dev->min_mtu = ETH_MIN_MTU;
	/* The largest inner packet that still fits one IPv4 datagram. */
	dev->max_mtu = IP_MAX_MTU - WG_DATA_OVERHEAD - sizeof(struct udphdr) -
		       sizeof(struct iphdr);
	dev->needs_free_netdev = true;
	dev->priv_destructor = wg_destruct;
	SET_NETDEV_DEVTYPE(dev, &device_type);
	/* ICMP errors for the sender need the inner packet's route. */
	netif_keep_dst(dev);
}

/*
 * A tunnel has no link layer to name: no IPv6 link-local address by
 * default (and no router solicitations into the void). A device gets a
 * new inet6_dev when it is registered, in the namespace it was made in
 * and in each it moves to; this runs after addrconf made it.
 */
static int wg_netdev_event(struct notifier_block *nb, unsigned long event,
			   void *ptr)
{
#if IS_ENABLED(CONFIG_IPV6)
	struct net_device *dev = netdev_notifier_info_to_dev(ptr);
	struct inet6_dev *idev;

	if (event != NETDEV_REGISTER || dev->netdev_ops != &netdev_ops)
		return NOTIFY_DONE;
	idev = __in6_dev_get(dev);
	if (idev)
		WRITE_ONCE(idev->cnf.addr_gen_mode, IN6_ADDR_GEN_MODE_NONE);
#endif
	return NOTIFY_DONE;
}

static struct notifier_block netdev_notifier = {
	.notifier_call = wg_netdev_event,
	.priority = -1,		/* after addrconf's (0) */
};

static int wg_newlink(struct net *src_net, struct net_device *dev,
		      struct nlattr *tb[], struct nlattr *data[],
		      struct netlink_ext_ack *extack)
{
	struct wg_device *wg = netdev_priv(dev);
	int ret;

	wg->dev = dev;
	mutex_init(&wg->conf_lock);
	INIT_LIST_HEAD(&wg->peers);
	wg_allowedips_init(&wg->allowedips);
	rcu_assign_pointer(wg->sock_net, src_net);

	ret = wg_tstats_alloc(dev);
	if (ret)
		goto err;
	ret = wg_stats_init(wg);
	if (ret)
		goto err_tstats;
	ret = wg_pubkey_table_init(&wg->by_key);
	if (ret)
		goto err_stats;
	ret = wg_index_table_init(&wg->by_index);
	if (ret)
		goto err_by_key;
	ret = wg_rx_init(wg);
	if (ret)
		goto err_by_index;
	ret = wg_crypt_init(wg);
	if (ret)
		goto err_rx;
	ret = wg_handshake_init(wg);
	if (ret)
		goto err_crypt;
	ret = register_netdevice(dev);
	if (ret)
		goto err_handshake;
	list_add(&wg->all, &all_devices);
	return 0;

err_handshake:
	wg_handshake_destroy(wg);
err_crypt:
	wg_crypt_destroy(wg);
err_rx:
	wg_rx_destroy(wg);
err_by_index:
	wg_index_table_destroy(&wg->by_index);
err_by_key:
	wg_pubkey_table_destroy(&wg->by_key);
err_stats:
	wg_stats_free(wg);
err_tstats:
	wg_tstats_free(dev);
err:
	mutex_destroy(&wg->conf_lock);
	return ret;
}

static struct rtnl_link_ops link_ops __read_mostly = {
	.kind		= KBUILD_MODNAME,
	.priv_size	= sizeof(struct wg_device),
	.setup		= wg_setup,
	.newlink	= wg_newlink,
};

bool wg_is_our_device(const struct net_device *dev)
{
	return dev->rtnl_link_ops == &link_ops;
}

/*
 * A namespace is going away: every device whose sockets live there goes
 * with it, wherever the device itself now is. Devices that merely sit in
 * the namespace are the core's to remove, as any link.
 */
static void wg_netns_pre_exit(struct net *net)
{
	struct wg_device *wg, *tmp;
	LIST_HEAD(kill);

	rtnl_lock();
	list_for_each_entry_safe(wg, tmp, &all_devices, all) {
		if (rcu_access_pointer(wg->sock_net) != net)
			continue;
		mutex_lock(&wg->conf_lock);
		wg_socket_close(wg);
		RCU_INIT_POINTER(wg->sock_net, NULL);
		mutex_unlock(&wg->conf_lock);
		unregister_netdevice_queue(wg->dev, &kill);
	}
	unregister_netdevice_many(&kill);
	rtnl_unlock();
}

static struct pernet_operations pernet_ops = {
	.pre_exit = wg_netns_pre_exit,
};

int __init wg_device_init(void)
{
	int ret;

	ret = register_netdevice_notifier(&netdev_notifier);
	if (ret)
		return ret;
	ret = register_pernet_device(&pernet_ops);
	if (ret)
		goto err_notifier;
	ret = rtnl_link_register(&link_ops);
	if (ret)
		goto err_pernet;
	return 0;

err_pernet:
	unregister_pernet_device(&pernet_ops);
err_notifier:
	unregister_netdevice_notifier(&netdev_notifier);
	return ret;
}

void wg_device_uninit(void)
{
	rtnl_link_unregister(&link_ops);
	unregister_pernet_device(&pernet_ops);
	unregister_netdevice_notifier(&netdev_notifier);
}

MODULE_ALIAS_RTNL_LINK(KBUILD_MODNAME);
