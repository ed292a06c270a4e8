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
 */

#ifndef _WG_UAPI_WIREGUARD_H
#define _WG_UAPI_WIREGUARD_H

#define WG_GENL_NAME "wireguard"
#define WG_GENL_VERSION 1

#define WG_KEY_LEN 32

enum wg_cmd {
	WG_CMD_GET_DEVICE,
	WG_CMD_SET_DEVICE,
	__WG_CMD_MAX
};
#define WG_CMD_MAX (__WG_CMD_MAX - 1)

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

#endif /* _WG_UAPI_WIREGUARD_H */
