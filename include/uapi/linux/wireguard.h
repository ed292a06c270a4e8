/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * The WireGuard configuration ABI: generic netlink family "wireguard",
 * version 1. Every number here is fixed by the unmodified userspace tools
 * (wg, wg-quick) and must never change.
 *
 * WG_CMD_GET_DEVICE (NLM_F_DUMP) names one device by WGDEVICE_A_IFINDEX or
 * WGDEVICE_A_IFNAME and returns it over as many messages as needed. A peer
 * whose allowed IPs do not fit one message continues in the next one, which
 * repeats its WGPEER_A_PUBLIC_KEY. Keys are only returned to callers with
 * CAP_NET_ADMIN.
 *
 * WG_CMD_SET_DEVICE applies its attributes in order. Peers are named by
 * WGPEER_A_PUBLIC_KEY; a peer that does not exist is created unless
 * WGPEER_F_UPDATE_ONLY is set. WGALLOWEDIP_A_FLAGS with
 * WGALLOWEDIP_F_REMOVE_ME removes a single allowed IP from the peer.
 *
 * Both commands require CAP_NET_ADMIN in the device's network namespace.
 * Requests are validated strictly: unknown attributes, attributes of the
 * wrong size and a non-zero reserved field in the genetlink header are
 * refused with an extack message.
 *
 * Numbering: the numbers below 64 of enum wg_cmd, enum wgdevice_attribute,
 * enum wgpeer_attribute and enum wgallowedip_attribute are the ABI all
 * WireGuard implementations share. What this module adds to those spaces
 * starts at 64 (WG_OURS_BASE), far from the next numbers the shared ABI
 * would take, so that one it adds later is never mistaken for ours. The
 * spaces only this module has (enum wgpeer_stats_attribute, enum
 * wgevent_attribute) start at 1. Old tools skip what they do not know.
 * Documentation/netlink/specs/wireguard.yaml describes all of it for the
 * kernel's YNL tools.
 *
 * Events: notifications (enum wg_notification, attributes of enum
 * wgevent_attribute) about peers go to the multicast group WG_MCGRP_PEERS
 * of the device's network namespace; only sockets with CAP_NET_ADMIN there
 * may join it. Each names the device (WGEVENT_A_IFINDEX, WGEVENT_A_IFNAME)
 * and the peer (WGEVENT_A_PUBLIC_KEY), and is rate-limited per peer
 * (WGEVENT_A_MISSED counts the ones left out since the previous one).
 */

#ifndef _WG_UAPI_WIREGUARD_H
#define _WG_UAPI_WIREGUARD_H

#define WG_GENL_NAME "wireguard"
#define WG_GENL_VERSION 1

#define WG_KEY_LEN 32

/* The first number of this module's own additions to the shared spaces. */
#define WG_OURS_BASE 64

#define WG_MCGRP_PEERS "peers"

enum wg_cmd {
	WG_CMD_GET_DEVICE,
	WG_CMD_SET_DEVICE,
	__WG_CMD_MAX
};

#define WG_CMD_MAX (__WG_CMD_MAX - 1)

/* Notifications on WG_MCGRP_PEERS (the genetlink header's cmd). */
enum wg_notification {
	WG_CMD_HANDSHAKE_NTF = WG_OURS_BASE,	/* a handshake completed */
	WG_CMD_ENDPOINT_NTF,		/* the peer roamed to a new endpoint */
	WG_CMD_PEER_ADD_NTF,		/* a SET created the peer */
	WG_CMD_PEER_CHANGE_NTF,		/* a SET changed the peer */
	WG_CMD_PEER_DEL_NTF,		/* a SET removed the peer */
	WG_CMD_HANDSHAKE_FAIL_NTF,	/* a handshake was given up */
	WG_CMD_KEYS_ZEROED_NTF,		/* idle sessions' keys were wiped */
};

enum wgdevice_flag {
	WGDEVICE_F_REPLACE_PEERS = 1U << 0,
	__WGDEVICE_F_ALL = WGDEVICE_F_REPLACE_PEERS
};

enum wgdevice_attribute {
	WGDEVICE_A_UNSPEC,
	WGDEVICE_A_IFINDEX,		/* NLA_U32 */
	WGDEVICE_A_IFNAME,		/* NLA_NUL_STRING, IFNAMSIZ - 1 */
	WGDEVICE_A_PRIVATE_KEY,		/* NLA_EXACT_LEN, WG_KEY_LEN */
	WGDEVICE_A_PUBLIC_KEY,		/* NLA_EXACT_LEN, WG_KEY_LEN */
	WGDEVICE_A_FLAGS,		/* NLA_U32, enum wgdevice_flag */
	WGDEVICE_A_LISTEN_PORT,		/* NLA_U16 */
	WGDEVICE_A_FWMARK,		/* NLA_U32 */
	WGDEVICE_A_PEERS,		/* NLA_NESTED of NLA_NESTED peers */
	/* GET request: add WGPEER_A_STATS to each peer */
	WGDEVICE_A_PEER_STATS = WG_OURS_BASE,	/* NLA_FLAG */
	__WGDEVICE_A_LAST
};

#define WGDEVICE_A_MAX (__WGDEVICE_A_LAST - 1)

enum wgpeer_flag {
	WGPEER_F_REMOVE_ME = 1U << 0,
	WGPEER_F_REPLACE_ALLOWEDIPS = 1U << 1,
	WGPEER_F_UPDATE_ONLY = 1U << 2,
	__WGPEER_F_ALL = WGPEER_F_REMOVE_ME | WGPEER_F_REPLACE_ALLOWEDIPS |
			 WGPEER_F_UPDATE_ONLY
};

enum wgpeer_attribute {
	WGPEER_A_UNSPEC,
	WGPEER_A_PUBLIC_KEY,		/* NLA_EXACT_LEN, WG_KEY_LEN */
	WGPEER_A_PRESHARED_KEY,		/* NLA_EXACT_LEN, WG_KEY_LEN */
	WGPEER_A_FLAGS,			/* NLA_U32, enum wgpeer_flag */
	WGPEER_A_ENDPOINT,		/* struct sockaddr_in or sockaddr_in6 */
	WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL,	/* NLA_U16, seconds */
	WGPEER_A_LAST_HANDSHAKE_TIME,	/* struct __kernel_timespec */
	WGPEER_A_RX_BYTES,		/* NLA_U64 */
	WGPEER_A_TX_BYTES,		/* NLA_U64 */
	WGPEER_A_ALLOWEDIPS,		/* NLA_NESTED of NLA_NESTED allowed IPs */
	WGPEER_A_PROTOCOL_VERSION,	/* NLA_U32, 0 or 1 */
	/* GET with WGDEVICE_A_PEER_STATS only; ignored in a SET */
	WGPEER_A_STATS = WG_OURS_BASE,	/* NLA_NESTED, enum wgpeer_stats_attribute */
	__WGPEER_A_LAST
};

#define WGPEER_A_MAX (__WGPEER_A_LAST - 1)

enum wgallowedip_flag {
	WGALLOWEDIP_F_REMOVE_ME = 1U << 0,
	__WGALLOWEDIP_F_ALL = WGALLOWEDIP_F_REMOVE_ME
};

enum wgallowedip_attribute {
	WGALLOWEDIP_A_UNSPEC,
	WGALLOWEDIP_A_FAMILY,		/* NLA_U16, AF_INET or AF_INET6 */
	WGALLOWEDIP_A_IPADDR,		/* struct in_addr or in6_addr */
	WGALLOWEDIP_A_CIDR_MASK,	/* NLA_U8 */
	WGALLOWEDIP_A_FLAGS,		/* NLA_U32, enum wgallowedip_flag */
	__WGALLOWEDIP_A_LAST
};

#define WGALLOWEDIP_A_MAX (__WGALLOWEDIP_A_LAST - 1)

/* A peer's counters since it was created (WGPEER_A_STATS). */
enum wgpeer_stats_attribute {
	WGPEER_STATS_A_UNSPEC,
	WGPEER_STATS_A_PAD,
	WGPEER_STATS_A_RX_PACKETS,		/* NLA_U64, messages */
	WGPEER_STATS_A_TX_PACKETS,		/* NLA_U64, messages */
	WGPEER_STATS_A_HANDSHAKES_INITIATED,	/* NLA_U64, retries included */
	WGPEER_STATS_A_HANDSHAKES_COMPLETED,	/* NLA_U64, either role */
	WGPEER_STATS_A_HANDSHAKES_FAILED,	/* NLA_U64, given up */
	WGPEER_STATS_A_DROP_DECRYPT,		/* NLA_U64, not authentic */
	WGPEER_STATS_A_DROP_REPLAY,		/* NLA_U64, counter reused/old */
	WGPEER_STATS_A_DROP_ALLOWEDIPS,		/* NLA_U64, source not allowed */
	WGPEER_STATS_A_DROP_BAD_INNER,		/* NLA_U64, not an IP packet */
	WGPEER_STATS_A_DROP_STAGED,		/* NLA_U64, waited too long */
	WGPEER_STATS_A_LAST_ROAM_TIME,		/* struct __kernel_timespec */
	WGPEER_STATS_A_EVENTS_SENT,		/* NLA_U64, events built */
	WGPEER_STATS_A_EVENTS_SUPPRESSED,	/* NLA_U64, rate-limited */
	__WGPEER_STATS_A_LAST
};

#define WGPEER_STATS_A_MAX (__WGPEER_STATS_A_LAST - 1)

/* What a notification (enum wg_notification) carries. */
enum wgevent_attribute {
	WGEVENT_A_UNSPEC,
	WGEVENT_A_IFINDEX,		/* NLA_U32 */
	WGEVENT_A_IFNAME,		/* NLA_NUL_STRING */
	WGEVENT_A_PUBLIC_KEY,		/* WG_KEY_LEN bytes, the peer's */
	WGEVENT_A_ENDPOINT,		/* struct sockaddr_in or sockaddr_in6 */
	WGEVENT_A_OLD_ENDPOINT,		/* the same, before it roamed */
	WGEVENT_A_TIME,			/* struct __kernel_timespec */
	WGEVENT_A_MISSED,		/* NLA_U32, left out before this one */
	__WGEVENT_A_LAST
};

#define WGEVENT_A_MAX (__WGEVENT_A_LAST - 1)

#endif /* _WG_UAPI_WIREGUARD_H */
