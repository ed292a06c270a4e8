// SPDX-License-Identifier: GPL-2.0
/*
 * The wireguard net_device: rtnl link kind "wireguard", its lifetime, and
 * the namespace rules for its sockets (they stay in the namespace the device
 * was created in, and die with it).
 */

#include <linux/if_arp.h>
#include <linux/rtnetlink.h>
#include <linux/u64_stats_sync.h>
#include <net/rtnetlink.h>
#include <net/netns/generic.h>
#include <net/addrconf.h>

#include "device.h"
#include "peer.h"
#include "peerlookup.h"
#include "socket.h"
#include "send.h"
#include "compat.h"

/* Every wireguard device, so a dying namespace can find the ones it hosts. */
static LIST_HEAD(device_list);

static int wg_open(struct net_device *dev)
{
	struct wg_device *wg = netdev_priv(dev);
	int ret;

	mutex_lock(&wg->device_update_lock);
	ret = wg_socket_init(wg, wg->incoming_port);
	if (!ret)
		wg_packet_device_up(wg);
	mutex_unlock(&wg->device_update_lock);
	return ret;
}

static int wg_stop(struct net_device *dev)
{
	struct wg_device *wg = netdev_priv(dev);

	mutex_lock(&wg->device_update_lock);
	wg_socket_reinit(wg, NULL, NULL);
	wg_packet_device_down(wg);
	mutex_unlock(&wg->device_update_lock);
	return 0;
}

static void wg_uninit(struct net_device *dev)
{
	struct wg_device *wg = netdev_priv(dev);

	ASSERT_RTNL();
	list_del(&wg->device_list);
}

static const struct net_device_ops netdev_ops = {
	.ndo_open		= wg_open,
	.ndo_stop		= wg_stop,
	.ndo_uninit		= wg_uninit,
	.ndo_start_xmit		= wg_xmit,
	.ndo_get_stats64	= dev_get_tstats64,
};

/* Mirror of wg_newlink(): everything it set up, in reverse. */
static void wg_destruct(struct net_device *dev)
{
	struct wg_device *wg = netdev_priv(dev);

	mutex_lock(&wg->device_update_lock);
	wg_peer_remove_all(wg);
	wg_allowedips_free(&wg->peer_allowedips, &wg->device_update_lock);
	mutex_unlock(&wg->device_update_lock);
	wg_packet_device_destroy(wg);
	wg_index_table_destroy(&wg->index_hashtable);
	wg_pubkey_table_destroy(&wg->peer_hashtable);
	memzero_explicit(&wg->static_identity, sizeof(wg->static_identity));
	wg_tstats_free(dev);
	mutex_destroy(&wg->device_update_lock);
}

static const struct device_type device_type = { .name = KBUILD_MODNAME };

static void wg_setup(struct net_device *dev)
{
	/* IPv6 is the larger outer header, so it bounds the default MTU. */
	const int overhead = MESSAGE_MINIMUM_LENGTH + sizeof(struct udphdr) +
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
	dev->needed_headroom = WG_OUTER_HEADROOM + sizeof(struct message_data);
	dev->needed_tailroom = noise_encrypted_len(MESSAGE_PADDING_MULTIPLE);
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
	/* The largest inner packet that still fits a 64 KiB IPv4 datagram. */
	dev->max_mtu = IP_MAX_MTU - MESSAGE_MINIMUM_LENGTH -
		       sizeof(struct udphdr) - sizeof(struct iphdr);
	dev->needs_free_netdev = true;
	dev->priv_destructor = wg_destruct;
	SET_NETDEV_DEVTYPE(dev, &device_type);
	/* The data path needs the inner packet's dst for ICMP errors. */
	netif_keep_dst(dev);
}

/*
 * A tunnel has no link layer to name: no IPv6 link-local address by default
 * (and so no router solicitations into the void). Users may still ask for one.
 */
static void no_link_local(struct net_device *dev)
{
#if IS_ENABLED(CONFIG_IPV6)
	struct inet6_dev *idev = __in6_dev_get(dev);

	if (idev)
		WRITE_ONCE(idev->cnf.addr_gen_mode, IN6_ADDR_GEN_MODE_NONE);
#endif
}

static int wg_newlink(struct net *src_net, struct net_device *dev,
		      struct nlattr *tb[], struct nlattr *data[],
		      struct netlink_ext_ack *extack)
{
	struct wg_device *wg = netdev_priv(dev);
	int ret;

	wg->dev = dev;
	rcu_assign_pointer(wg->creating_net, src_net);
	mutex_init(&wg->device_update_lock);
	init_rwsem(&wg->static_identity.lock);
	INIT_LIST_HEAD(&wg->peer_list);
	wg_allowedips_init(&wg->peer_allowedips);

	ret = wg_tstats_alloc(dev);
	if (ret)
		return ret;

	ret = wg_pubkey_table_init(&wg->peer_hashtable);
	if (ret)
		goto err_free_tstats;
	ret = wg_index_table_init(&wg->index_hashtable);
	if (ret)
		goto err_destroy_pubkey;
	ret = wg_packet_device_init(wg);
	if (ret)
		goto err_destroy_index;

	ret = register_netdevice(dev);
	if (ret)
		goto err_packet_destroy;
	no_link_local(dev);

	list_add(&wg->device_list, &device_list);
	return 0;

err_packet_destroy:
	wg_packet_device_destroy(wg);
err_destroy_index:
	wg_index_table_destroy(&wg->index_hashtable);
err_destroy_pubkey:
	wg_pubkey_table_destroy(&wg->peer_hashtable);
err_free_tstats:
	wg_tstats_free(dev);
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
 * A namespace is going away: every device whose sockets live there goes with
 * it, wherever the device itself has moved. Devices that merely sit in the
 * namespace are removed by the core afterwards, as for any link.
 */
static void wg_netns_pre_exit(struct net *net)
{
	struct wg_device *wg, *tmp;
	LIST_HEAD(kill_list);

	rtnl_lock();
	list_for_each_entry_safe(wg, tmp, &device_list, device_list) {
		if (rcu_access_pointer(wg->creating_net) != net)
			continue;
		pr_debug("%s: creating namespace exiting\n", wg->dev->name);
		mutex_lock(&wg->device_update_lock);
		wg_socket_reinit(wg, NULL, NULL);
		rcu_assign_pointer(wg->creating_net, NULL);
		mutex_unlock(&wg->device_update_lock);
		unregister_netdevice_queue(wg->dev, &kill_list);
	}
	unregister_netdevice_many(&kill_list);
	rtnl_unlock();
}

static struct pernet_operations pernet_ops = {
	.pre_exit = wg_netns_pre_exit,
};

int __init wg_device_init(void)
{
	int ret;

	ret = register_pernet_device(&pernet_ops);
	if (ret)
		return ret;
	ret = rtnl_link_register(&link_ops);
	if (ret)
		goto err_unregister_pernet;
	return 0;

err_unregister_pernet:
	unregister_pernet_device(&pernet_ops);
	return ret;
}

void wg_device_uninit(void)
{
	rtnl_link_unregister(&link_ops);
	unregister_pernet_device(&pernet_ops);
}

MODULE_ALIAS_RTNL_LINK(KBUILD_MODNAME);
