// SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause)
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/wireguard.yaml */
/* YNL-GEN kernel source */

#include <net/netlink.h>
#include <net/genetlink.h>

#include "netlink-gen.h"

#include <uapi/linux/wireguard.h>

/* Common nested types */
const struct nla_policy wireguard_allowedip_nl_policy[WGALLOWEDIP_A_FLAGS + 1] = {
	[WGALLOWEDIP_A_FAMILY] = { .type = NLA_U16, },
	[WGALLOWEDIP_A_IPADDR] = { .type = NLA_BINARY, },
	[WGALLOWEDIP_A_CIDR_MASK] = NLA_POLICY_MAX(NLA_U8, 128),
	[WGALLOWEDIP_A_FLAGS] = NLA_POLICY_MASK(NLA_U32, 0x1),
};

const struct nla_policy wireguard_peer_nl_policy[WGPEER_A_STATS + 1] = {
	[WGPEER_A_PUBLIC_KEY] = NLA_POLICY_EXACT_LEN(32),
	[WGPEER_A_PRESHARED_KEY] = NLA_POLICY_EXACT_LEN(32),
	[WGPEER_A_FLAGS] = NLA_POLICY_MASK(NLA_U32, 0x7),
	[WGPEER_A_ENDPOINT] = { .type = NLA_BINARY, },
	[WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL] = { .type = NLA_U16, },
	[WGPEER_A_LAST_HANDSHAKE_TIME] = NLA_POLICY_EXACT_LEN(16),
	[WGPEER_A_RX_BYTES] = { .type = NLA_U64, },
	[WGPEER_A_TX_BYTES] = { .type = NLA_U64, },
	[WGPEER_A_ALLOWEDIPS] = NLA_POLICY_NESTED_ARRAY(wireguard_allowedip_nl_policy),
	[WGPEER_A_PROTOCOL_VERSION] = NLA_POLICY_MAX(NLA_U32, 1),
	[WGPEER_A_STATS] = NLA_POLICY_NESTED(wireguard_peer_stats_nl_policy),
};

const struct nla_policy wireguard_peer_stats_nl_policy[WGPEER_STATS_A_EVENTS_SUPPRESSED + 1] = {
	[WGPEER_STATS_A_RX_PACKETS] = { .type = NLA_U64, },
	[WGPEER_STATS_A_TX_PACKETS] = { .type = NLA_U64, },
	[WGPEER_STATS_A_HANDSHAKES_INITIATED] = { .type = NLA_U64, },
	[WGPEER_STATS_A_HANDSHAKES_COMPLETED] = { .type = NLA_U64, },
	[WGPEER_STATS_A_HANDSHAKES_FAILED] = { .type = NLA_U64, },
	[WGPEER_STATS_A_DROP_DECRYPT] = { .type = NLA_U64, },
	[WGPEER_STATS_A_DROP_REPLAY] = { .type = NLA_U64, },
	[WGPEER_STATS_A_DROP_ALLOWEDIPS] = { .type = NLA_U64, },
	[WGPEER_STATS_A_DROP_BAD_INNER] = { .type = NLA_U64, },
	[WGPEER_STATS_A_DROP_STAGED] = { .type = NLA_U64, },
	[WGPEER_STATS_A_LAST_ROAM_TIME] = NLA_POLICY_EXACT_LEN(16),
	[WGPEER_STATS_A_EVENTS_SENT] = { .type = NLA_U64, },
	[WGPEER_STATS_A_EVENTS_SUPPRESSED] = { .type = NLA_U64, },
};

/* WG_CMD_GET_DEVICE - dump */
static const struct nla_policy wireguard_get_device_nl_policy[WGDEVICE_A_PEER_STATS + 1] = {
	[WGDEVICE_A_IFINDEX] = { .type = NLA_U32, },
	[WGDEVICE_A_IFNAME] = { .type = NLA_NUL_STRING, .len = 15, },
	[WGDEVICE_A_PEER_STATS] = { .type = NLA_FLAG, },
};

/* WG_CMD_SET_DEVICE - do */
static const struct nla_policy wireguard_set_device_nl_policy[WGDEVICE_A_PEERS + 1] = {
	[WGDEVICE_A_IFINDEX] = { .type = NLA_U32, },
	[WGDEVICE_A_IFNAME] = { .type = NLA_NUL_STRING, .len = 15, },
	[WGDEVICE_A_PRIVATE_KEY] = NLA_POLICY_EXACT_LEN(32),
	[WGDEVICE_A_PUBLIC_KEY] = NLA_POLICY_EXACT_LEN(32),
	[WGDEVICE_A_FLAGS] = NLA_POLICY_MASK(NLA_U32, 0x1),
	[WGDEVICE_A_LISTEN_PORT] = { .type = NLA_U16, },
	[WGDEVICE_A_FWMARK] = { .type = NLA_U32, },
	[WGDEVICE_A_PEERS] = NLA_POLICY_NESTED_ARRAY(wireguard_peer_nl_policy),
};

/* Ops table for wireguard */
const struct genl_split_ops wireguard_nl_ops[2] = {
	{
		.cmd		= WG_CMD_GET_DEVICE,
		.start		= wg_get_device_start,
		.dumpit		= wireguard_nl_get_device_dumpit,
		.done		= wg_get_device_done,
		.policy		= wireguard_get_device_nl_policy,
		.maxattr	= WGDEVICE_A_PEER_STATS,
		.flags		= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DUMP,
	},
	{
		.cmd		= WG_CMD_SET_DEVICE,
		.doit		= wireguard_nl_set_device_doit,
		.policy		= wireguard_set_device_nl_policy,
		.maxattr	= WGDEVICE_A_PEERS,
		.flags		= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
};

const struct genl_multicast_group wireguard_nl_mcgrps[1] = {
	[WIREGUARD_NLGRP_PEERS] = { "peers", .flags = GENL_MCAST_CAP_NET_ADMIN, },
};
