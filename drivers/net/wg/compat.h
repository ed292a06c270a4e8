/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one place where kernel API differences between the supported kernels
 * (Debian's 6.1 and 6.12) are bridged. Code elsewhere uses the newest names.
 */
#ifndef _WG_COMPAT_H
#define _WG_COMPAT_H

#include <linux/version.h>
#include <linux/timer.h>
#include <linux/netdevice.h>
#include <linux/ethtool.h>
#include <net/genetlink.h>
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 5, 0)
#include <net/gso.h>		/* skb_gso_segment() moved here in 6.5 */
#endif
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
#include <linux/unaligned.h>
#else
#include <asm/unaligned.h>
#endif

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 2, 0)
#define timer_delete_sync(t)	del_timer_sync(t)
#define timer_delete(t)		del_timer(t)
#endif

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 8, 0)
static inline void ethtool_puts(u8 **data, const char *str)
{
	strscpy_pad((char *)*data, str, ETH_GSTRING_LEN);
	*data += ETH_GSTRING_LEN;
}
#endif

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 16, 0)
#define timer_container_of(var, timer, field) from_timer(var, timer, field)
#endif

/* Lockless transmit became a device bit instead of a feature in 6.12. */
static inline void wg_set_lltx(struct net_device *dev)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
	dev->lltx = true;
#else
	dev->features |= NETIF_F_LLTX;
#endif
}

/*
 * Per-CPU tunnel stats: since 6.7 the core allocates them when asked to
 * (and iptunnel_xmit() insists on it); before, the driver does.
 */
static inline void wg_tstats_setup(struct net_device *dev)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 7, 0)
	dev->pcpu_stat_type = NETDEV_PCPU_STAT_TSTATS;
#endif
}

static inline int wg_tstats_alloc(struct net_device *dev)
{
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 7, 0)
	dev->tstats = netdev_alloc_pcpu_stats(struct pcpu_sw_netstats);
	if (!dev->tstats)
		return -ENOMEM;
#endif
	return 0;
}

static inline void wg_tstats_free(struct net_device *dev)
{
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 7, 0)
	free_percpu(dev->tstats);
	dev->tstats = NULL;
#endif
}

/* The parsed attributes of a dump request. */
static inline struct nlattr **wg_genl_dump_attrs(struct netlink_callback *cb)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 5, 0)
	return genl_info_dump(cb)->attrs;
#else
	return genl_dumpit_info(cb)->attrs;
#endif
}

/*
 * [netlink.c, netlink-gen.c] Generic netlink split operations (6.2+): the
 * generated table is of struct genl_split_ops; before 6.2 struct genl_ops
 * has every field it sets (the GENL_CMD_CAP_* bits in .flags are ignored
 * there). WG_GENL_OPS() names the table in a struct genl_family.
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 2, 0)
#define genl_split_ops genl_ops
#define WG_GENL_OPS(table)	.ops = (table), .n_ops = ARRAY_SIZE(table)
#else
#define WG_GENL_OPS(table)	.split_ops = (table), .n_split_ops = ARRAY_SIZE(table)
#endif

#endif /* _WG_COMPAT_H */
