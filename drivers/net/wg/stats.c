// SPDX-License-Identifier: GPL-2.0
/* Per-cause drop counters, per CPU, summed for ethtool -S. */

#include <linux/ethtool.h>
#include <linux/netdevice.h>
#include <linux/percpu.h>

#include "compat.h"
#include "stats.h"
#include "device.h"

enum netdev_field { RX_ERR, RX_LEN, RX_FRAME, RX_CRC, RX_DROP, TX_ERR, TX_DROP, NONE };

static const struct {
	const char *name;
	enum netdev_field field;
} stat_info[__WG_STAT_COUNT] = {
	[WG_STAT_RX_BAD_LENGTH]		= { "rx_bad_length", RX_LEN },
	[WG_STAT_RX_BAD_TYPE]		= { "rx_bad_type", RX_FRAME },
	[WG_STAT_RX_BAD_MAC1]		= { "rx_bad_mac1", RX_ERR },
	[WG_STAT_RX_RATELIMITED]	= { "rx_ratelimited", RX_DROP },
	[WG_STAT_RX_HANDSHAKE_QUEUE_FULL] = { "rx_handshake_queue_full", RX_DROP },
	[WG_STAT_RX_BAD_HANDSHAKE]	= { "rx_bad_handshake", RX_ERR },
	[WG_STAT_RX_COOKIE_SENT]	= { "rx_cookie_sent", NONE },
	[WG_STAT_RX_UNKNOWN_INDEX]	= { "rx_unknown_index", RX_ERR },
	[WG_STAT_RX_EXPIRED_KEY]	= { "rx_expired_key", RX_ERR },
	[WG_STAT_RX_DECRYPT_FAILED]	= { "rx_decrypt_failed", RX_CRC },
	[WG_STAT_RX_REPLAY]		= { "rx_replay", RX_ERR },
	[WG_STAT_RX_QUEUE_FULL]		= { "rx_queue_full", RX_DROP },
	[WG_STAT_RX_BAD_INNER]		= { "rx_bad_inner", RX_FRAME },
	[WG_STAT_RX_ALLOWEDIPS]		= { "rx_allowedips_mismatch", RX_FRAME },
	[WG_STAT_RX_ECN]		= { "rx_ecn_drop", RX_DROP },
	[WG_STAT_TX_NO_PEER]		= { "tx_no_peer", TX_ERR },
	[WG_STAT_TX_NO_ENDPOINT]	= { "tx_no_endpoint", TX_ERR },
	[WG_STAT_TX_BAD_INNER]		= { "tx_bad_inner", TX_ERR },
	[WG_STAT_TX_STAGED_OVERFLOW]	= { "tx_staged_overflow", TX_DROP },
	[WG_STAT_TX_SEAL_FAILED]	= { "tx_seal_failed", TX_DROP },
	[WG_STAT_TX_SEND_FAILED]	= { "tx_send_failed", TX_ERR },
	[WG_STAT_TX_LOOP]		= { "tx_loop", TX_ERR },
};

int wg_stats_init(struct wg_device *wg)
{
	wg->stats = alloc_percpu(struct wg_stats);
	return wg->stats ? 0 : -ENOMEM;
}

void wg_stats_free(struct wg_device *wg)
{
	free_percpu(wg->stats);
	wg->stats = NULL;
}

void wg_stats_count_n(struct wg_device *wg, enum wg_stat stat, unsigned int n)
{
	struct net_device *dev = wg->dev;
	unsigned int i;

	this_cpu_add(wg->stats->count[stat], n);
	for (i = 0; i < n; ++i) {
		switch (stat_info[stat].field) {
		case RX_LEN:
			DEV_STATS_INC(dev, rx_length_errors);
			DEV_STATS_INC(dev, rx_errors);
			break;
		case RX_FRAME:
			DEV_STATS_INC(dev, rx_frame_errors);
			DEV_STATS_INC(dev, rx_errors);
			break;
		case RX_CRC:
			DEV_STATS_INC(dev, rx_crc_errors);
			DEV_STATS_INC(dev, rx_errors);
			break;
		case RX_ERR:
			DEV_STATS_INC(dev, rx_errors);
			break;
		case RX_DROP:
			DEV_STATS_INC(dev, rx_dropped);
			break;
		case TX_ERR:
			DEV_STATS_INC(dev, tx_errors);
			break;
		case TX_DROP:
			DEV_STATS_INC(dev, tx_dropped);
			break;
		case NONE:
			break;
		}
	}
}

static int get_sset_count(struct net_device *dev, int sset)
{
	return sset == ETH_SS_STATS ? __WG_STAT_COUNT : -EOPNOTSUPP;
}

static void get_strings(struct net_device *dev, u32 sset, u8 *data)
{
	int i;

	if (sset != ETH_SS_STATS)
		return;
	for (i = 0; i < __WG_STAT_COUNT; ++i)
		ethtool_puts(&data, stat_info[i].name);
}

static void get_ethtool_stats(struct net_device *dev,
			      struct ethtool_stats *stats, u64 *data)
{
	struct wg_device *wg = netdev_priv(dev);
	int cpu, i;

	memset(data, 0, sizeof(u64) * __WG_STAT_COUNT);
	for_each_possible_cpu(cpu) {
		const struct wg_stats *s = per_cpu_ptr(wg->stats, cpu);

		for (i = 0; i < __WG_STAT_COUNT; ++i)
			data[i] += READ_ONCE(s->count[i]);
	}
}

static void get_drvinfo(struct net_device *dev, struct ethtool_drvinfo *info)
{
	strscpy(info->driver, KBUILD_MODNAME, sizeof(info->driver));
	strscpy(info->version, "1", sizeof(info->version));
}

const struct ethtool_ops wg_ethtool_ops = {
	.get_drvinfo		= get_drvinfo,
	.get_link		= ethtool_op_get_link,
	.get_sset_count		= get_sset_count,
	.get_strings		= get_strings,
	.get_ethtool_stats	= get_ethtool_stats,
};
