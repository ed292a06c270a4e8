// SPDX-License-Identifier: GPL-2.0
/*
 * The generic netlink family "wireguard" (uapi/linux/wireguard.h).
 *
 * SET is checked whole before anything is applied: the attribute policies
 * below validate every nested peer and allowed IP (the genetlink core runs
 * them before our handler), and check_set() adds the rules a policy cannot
 * say. A rejected request leaves the device exactly as it was.
 *
 * GET is a dump of one device, resumed across messages by a cursor that
 * pins the peer it stopped in.
 */

#include <linux/if.h>
#include <linux/netdevice.h>
#include <linux/rtnetlink.h>
#include <net/genetlink.h>
#include <net/sock.h>
#include <crypto/algapi.h>
#include <crypto/curve25519.h>
#include <uapi/linux/wireguard.h>

#include "netlink.h"
#include "device.h"
#include "peer.h"
#include "peerlookup.h"
#include "allowedips.h"
#include "socket.h"
#include "handshake.h"
#include "timers.h"
#include "tx.h"
#include "cookie.h"
#include "compat.h"

static struct genl_family genl_family;

static const struct nla_policy allowedip_policy[WGALLOWEDIP_A_MAX + 1] = {
	[WGALLOWEDIP_A_FAMILY]		= { .type = NLA_U16 },
	[WGALLOWEDIP_A_IPADDR]		= NLA_POLICY_MIN_LEN(sizeof(struct in_addr)),
	[WGALLOWEDIP_A_CIDR_MASK]	= NLA_POLICY_MAX(NLA_U8, 128),
	[WGALLOWEDIP_A_FLAGS]		= NLA_POLICY_MASK(NLA_U32, __WGALLOWEDIP_F_ALL),
};

static const struct nla_policy peer_policy[WGPEER_A_MAX + 1] = {
	[WGPEER_A_PUBLIC_KEY]		= NLA_POLICY_EXACT_LEN(WG_KEY_SIZE),
	[WGPEER_A_PRESHARED_KEY]	= NLA_POLICY_EXACT_LEN(WG_KEY_SIZE),
	[WGPEER_A_FLAGS]		= NLA_POLICY_MASK(NLA_U32, __WGPEER_F_ALL),
	[WGPEER_A_ENDPOINT]		= NLA_POLICY_MIN_LEN(sizeof(struct sockaddr)),
	[WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL] = { .type = NLA_U16 },
	[WGPEER_A_LAST_HANDSHAKE_TIME]	= NLA_POLICY_EXACT_LEN(sizeof(struct __kernel_timespec)),
	[WGPEER_A_RX_BYTES]		= { .type = NLA_U64 },
	[WGPEER_A_TX_BYTES]		= { .type = NLA_U64 },
	[WGPEER_A_ALLOWEDIPS]		= NLA_POLICY_NESTED_ARRAY(allowedip_policy),
	[WGPEER_A_PROTOCOL_VERSION]	= NLA_POLICY_RANGE(NLA_U32, 0, 1),
};

static const struct nla_policy device_policy[WGDEVICE_A_MAX + 1] = {
	[WGDEVICE_A_IFINDEX]		= { .type = NLA_U32 },
	[WGDEVICE_A_IFNAME]		= { .type = NLA_NUL_STRING, .len = IFNAMSIZ - 1 },
	[WGDEVICE_A_PRIVATE_KEY]	= NLA_POLICY_EXACT_LEN(WG_KEY_SIZE),
	[WGDEVICE_A_PUBLIC_KEY]		= NLA_POLICY_EXACT_LEN(WG_KEY_SIZE),
	[WGDEVICE_A_FLAGS]		= NLA_POLICY_MASK(NLA_U32, __WGDEVICE_F_ALL),
	[WGDEVICE_A_LISTEN_PORT]	= { .type = NLA_U16 },
	[WGDEVICE_A_FWMARK]		= { .type = NLA_U32 },
	[WGDEVICE_A_PEERS]		= NLA_POLICY_NESTED_ARRAY(peer_policy),
};

/* Returns the device with a reference held, or an ERR_PTR with extack set. */
static struct wg_device *lookup_device(struct net *net, struct nlattr **attrs,
				       struct netlink_ext_ack *extack)
{
	struct net_device *dev = NULL;

	if (attrs[WGDEVICE_A_IFINDEX] && attrs[WGDEVICE_A_IFNAME]) {
		NL_SET_ERR_MSG(extack, "Name the device by ifindex or by ifname, not both");
		return ERR_PTR(-EINVAL);
	}
	if (attrs[WGDEVICE_A_IFINDEX]) {
		dev = dev_get_by_index(net, nla_get_u32(attrs[WGDEVICE_A_IFINDEX]));
	} else if (attrs[WGDEVICE_A_IFNAME]) {
		dev = dev_get_by_name(net, nla_data(attrs[WGDEVICE_A_IFNAME]));
	} else {
		NL_SET_ERR_MSG(extack, "Missing device ifindex or ifname");
		return ERR_PTR(-EINVAL);
	}

	if (!dev) {
		NL_SET_ERR_MSG_ATTR(extack, attrs[WGDEVICE_A_IFINDEX] ?:
				    attrs[WGDEVICE_A_IFNAME],
				    "No such device");
		return ERR_PTR(-ENODEV);
	}
	if (!wg_is_our_device(dev)) {
		dev_put(dev);
		NL_SET_ERR_MSG_ATTR(extack, attrs[WGDEVICE_A_IFINDEX] ?:
				    attrs[WGDEVICE_A_IFNAME],
				    "Not a WireGuard device");
		return ERR_PTR(-EOPNOTSUPP);
	}
	return netdev_priv(dev);
}

/* Dump cursor, kept in netlink_callback::args. */
enum {
	DUMP_DEVICE,		/* struct wg_device *, device reference held */
	DUMP_PEER,		/* struct wg_peer * to resume in, reference held */
	DUMP_PEER_IPS_SENT,	/* allowed IPs of that peer already sent */
	DUMP_STATE,
};

enum { DUMP_FIRST, DUMP_PEERS, DUMP_DONE };

static int put_allowedip(struct sk_buff *skb, const struct allowedips_node *node)
{
	struct nlattr *nest;
	u8 ip[16], cidr;
	int family;

	family = wg_allowedips_read_node(node, ip, &cidr);
	nest = nla_nest_start(skb, 0);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u8(skb, WGALLOWEDIP_A_CIDR_MASK, cidr) ||
	    nla_put_u16(skb, WGALLOWEDIP_A_FAMILY, family) ||
	    nla_put(skb, WGALLOWEDIP_A_IPADDR, family == AF_INET6 ?
		    sizeof(struct in6_addr) : sizeof(struct in_addr), ip)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

static int put_peer_info(struct sk_buff *skb, struct wg_peer *peer,
			 bool with_keys)
{
	struct timespec64 ts = ns_to_timespec64(READ_ONCE(peer->last_handshake_wall));
	struct wg_endpoint ep;
	struct __kernel_timespec last_handshake = {
		.tv_sec = ts.tv_sec, .tv_nsec = ts.tv_nsec
	};
	int ret = 0;

	if (with_keys && nla_put(skb, WGPEER_A_PRESHARED_KEY, WG_KEY_SIZE,
				 peer->psk))
		return -EMSGSIZE;

	if (nla_put(skb, WGPEER_A_LAST_HANDSHAKE_TIME, sizeof(last_handshake),
		    &last_handshake) ||
	    nla_put_u16(skb, WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL,
			peer->clock.persistent_keepalive) ||
	    nla_put_u64_64bit(skb, WGPEER_A_TX_BYTES,
			      atomic64_read(&peer->counters[WG_PC_TX_BYTES]), WGPEER_A_UNSPEC) ||
	    nla_put_u64_64bit(skb, WGPEER_A_RX_BYTES,
			      atomic64_read(&peer->counters[WG_PC_RX_BYTES]), WGPEER_A_UNSPEC) ||
	    nla_put_u32(skb, WGPEER_A_PROTOCOL_VERSION, 1))
		return -EMSGSIZE;

	wg_peer_get_endpoint(peer, &ep);
	if (ep.sa.sa_family == AF_INET)
		ret = nla_put(skb, WGPEER_A_ENDPOINT, sizeof(ep.in4), &ep.in4);
	else if (ep.sa.sa_family == AF_INET6)
		ret = nla_put(skb, WGPEER_A_ENDPOINT, sizeof(ep.in6), &ep.in6);
	return ret;
}

/*
 * Puts one peer, or as much of it as fits. The first part carries all of
 * the peer's attributes; a continuation carries only its public key and
 * more allowed IPs, which userspace appends to the same peer. Returns 0 when
 * the peer is complete, or -EMSGSIZE with *ips_sent advanced.
 */
static int put_peer(struct sk_buff *skb, struct wg_peer *peer,
		    unsigned long *ips_sent, bool with_keys)
{
	struct allowedips_node *node;
	struct nlattr *peer_nest, *ips_nest;
	unsigned long skip, fitted = 0;

	peer_nest = nla_nest_start(skb, 0);
	if (!peer_nest)
		return -EMSGSIZE;
	if (nla_put(skb, WGPEER_A_PUBLIC_KEY, WG_KEY_SIZE,
		    peer->public_key))
		goto err_cancel_peer;
	if (!*ips_sent && put_peer_info(skb, peer, with_keys))
		goto err_cancel_peer;

	node = wg_allowedips_first(peer);
	for (skip = *ips_sent; node && skip; --skip)
		node = wg_allowedips_next(peer, node);
	if (!node)
		goto done;

	ips_nest = nla_nest_start(skb, WGPEER_A_ALLOWEDIPS);
	if (!ips_nest)
		goto err_cancel_peer;
	for (; node; node = wg_allowedips_next(peer, node)) {
		if (put_allowedip(skb, node))
			break;
		++fitted;
	}
	if (!fitted) {
		/* Not one more address fits: begin this peer anew next time. */
		nla_nest_cancel(skb, ips_nest);
		goto err_cancel_peer;
	}
	nla_nest_end(skb, ips_nest);
	*ips_sent += fitted;
	if (node) {
		nla_nest_end(skb, peer_nest);
		return -EMSGSIZE;
	}
done:
	nla_nest_end(skb, peer_nest);
	*ips_sent = 0;
	return 0;

err_cancel_peer:
	nla_nest_cancel(skb, peer_nest);
	return -EMSGSIZE;
}

static int put_device_info(struct sk_buff *skb, struct wg_device *wg,
			   bool with_keys)
{
	const struct noise_static *st = wg_identity(wg);

	if (nla_put_u16(skb, WGDEVICE_A_LISTEN_PORT, wg->port) ||
	    nla_put_u32(skb, WGDEVICE_A_FWMARK, wg->fwmark))
		return -EMSGSIZE;
	if (st && ((with_keys && nla_put(skb, WGDEVICE_A_PRIVATE_KEY,
					 WG_KEY_SIZE, st->priv)) ||
		   nla_put(skb, WGDEVICE_A_PUBLIC_KEY, WG_KEY_SIZE, st->pub)))
		return -EMSGSIZE;
	return 0;
}

static int wg_get_device_start(struct netlink_callback *cb)
{
	struct wg_device *wg;

	wg = lookup_device(sock_net(cb->skb->sk), wg_genl_dump_attrs(cb),
			   cb->extack);
	if (IS_ERR(wg))
		return PTR_ERR(wg);
	cb->args[DUMP_DEVICE] = (long)wg;
	cb->args[DUMP_PEER] = 0;
	cb->args[DUMP_PEER_IPS_SENT] = 0;
	cb->args[DUMP_STATE] = DUMP_FIRST;
	return 0;
}

/* Where to resume: the pinned peer, or its successor if it was removed. */
static struct wg_peer *dump_resume_peer(struct wg_device *wg,
					struct netlink_callback *cb)
{
	struct wg_peer *cursor = (struct wg_peer *)cb->args[DUMP_PEER];
	struct wg_peer *peer;

	if (cb->args[DUMP_STATE] == DUMP_FIRST || !cursor)
		return list_first_entry_or_null(&wg->peers,
						struct wg_peer, node);
	if (!test_bit(WG_PEER_DEAD, &cursor->flags))
		return cursor;
	cb->args[DUMP_PEER_IPS_SENT] = 0;
	list_for_each_entry(peer, &wg->peers, node)
		if (peer->serial > cursor->serial)
			return peer;
	return NULL;
}

static void dump_set_cursor(struct netlink_callback *cb, struct wg_peer *peer)
{
	struct wg_peer *old = (struct wg_peer *)cb->args[DUMP_PEER];

	if (old == peer)
		return;
	cb->args[DUMP_PEER] = (long)(peer ? wg_peer_get(peer) : NULL);
	wg_peer_put(old);
}

static int wg_get_device_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct wg_device *wg = (struct wg_device *)cb->args[DUMP_DEVICE];
	bool with_keys = netlink_net_capable(cb->skb, CAP_NET_ADMIN);
	struct nlattr *peers_nest;
	struct wg_peer *peer;
	unsigned int done = 0;
	void *hdr;
	int ret = -EMSGSIZE;

	if (cb->args[DUMP_STATE] == DUMP_DONE)
		return 0;

	hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			  &genl_family, NLM_F_MULTI, WG_CMD_GET_DEVICE);
	if (!hdr)
		return -EMSGSIZE;

	mutex_lock(&wg->conf_lock);
	if (nla_put_u32(skb, WGDEVICE_A_IFINDEX, wg->dev->ifindex) ||
	    nla_put_string(skb, WGDEVICE_A_IFNAME, wg->dev->name))
		goto err_unlock;
	if (cb->args[DUMP_STATE] == DUMP_FIRST &&
	    put_device_info(skb, wg, with_keys))
		goto err_unlock;

	peer = dump_resume_peer(wg, cb);
	if (!peer)
		goto finished;

	peers_nest = nla_nest_start(skb, WGDEVICE_A_PEERS);
	if (!peers_nest)
		goto err_unlock;
	list_for_each_entry_from(peer, &wg->peers, node) {
		unsigned long before = cb->args[DUMP_PEER_IPS_SENT];

		if (!put_peer(skb, peer,
			      (unsigned long *)&cb->args[DUMP_PEER_IPS_SENT],
			      with_keys)) {
			++done;
			continue;
		}
		/* Out of room: resume in this peer next time. */
		if (cb->args[DUMP_PEER_IPS_SENT] != before)
			++done;
		if (!done)
			goto err_unlock;	/* not even one peer fits */
		nla_nest_end(skb, peers_nest);
		dump_set_cursor(cb, peer);
		cb->args[DUMP_STATE] = DUMP_PEERS;
		goto out;
	}
	nla_nest_end(skb, peers_nest);

finished:
	dump_set_cursor(cb, NULL);
	cb->args[DUMP_STATE] = DUMP_DONE;
out:
	mutex_unlock(&wg->conf_lock);
	genlmsg_end(skb, hdr);
	return skb->len;

err_unlock:
	mutex_unlock(&wg->conf_lock);
	genlmsg_cancel(skb, hdr);
	return ret;
}

static int wg_get_device_done(struct netlink_callback *cb)
{
	struct wg_device *wg = (struct wg_device *)cb->args[DUMP_DEVICE];

	dump_set_cursor(cb, NULL);
	if (wg)
		dev_put(wg->dev);
	return 0;
}

/* The rules a policy cannot express, checked before anything is applied. */
static int check_allowedip(struct nlattr *nla, struct netlink_ext_ack *extack)
{
	struct nlattr *attrs[WGALLOWEDIP_A_MAX + 1];
	u16 family;
	u8 cidr;
	int ret;

	ret = nla_parse_nested(attrs, WGALLOWEDIP_A_MAX, nla, allowedip_policy,
			       extack);
	if (ret)
		return ret;
	if (!attrs[WGALLOWEDIP_A_FAMILY] || !attrs[WGALLOWEDIP_A_IPADDR] ||
	    !attrs[WGALLOWEDIP_A_CIDR_MASK]) {
		NL_SET_ERR_MSG_ATTR(extack, nla,
				    "Allowed IP needs a family, an address and a CIDR mask");
		return -EINVAL;
	}
	family = nla_get_u16(attrs[WGALLOWEDIP_A_FAMILY]);
	cidr = nla_get_u8(attrs[WGALLOWEDIP_A_CIDR_MASK]);
	if (family == AF_INET) {
		if (nla_len(attrs[WGALLOWEDIP_A_IPADDR]) != sizeof(struct in_addr)) {
			NL_SET_ERR_MSG_ATTR(extack, attrs[WGALLOWEDIP_A_IPADDR],
					    "IPv4 allowed IP must be 4 bytes");
			return -EINVAL;
		}
		if (cidr > 32) {
			NL_SET_ERR_MSG_ATTR(extack, attrs[WGALLOWEDIP_A_CIDR_MASK],
					    "IPv4 CIDR mask must be at most 32");
			return -EINVAL;
		}
	} else if (family == AF_INET6) {
		if (nla_len(attrs[WGALLOWEDIP_A_IPADDR]) != sizeof(struct in6_addr)) {
			NL_SET_ERR_MSG_ATTR(extack, attrs[WGALLOWEDIP_A_IPADDR],
					    "IPv6 allowed IP must be 16 bytes");
			return -EINVAL;
		}
	} else {
		NL_SET_ERR_MSG_ATTR(extack, attrs[WGALLOWEDIP_A_FAMILY],
				    "Allowed IP family must be AF_INET or AF_INET6");
		return -EAFNOSUPPORT;
	}
	return 0;
}

static int check_endpoint(struct nlattr *nla, struct netlink_ext_ack *extack)
{
	const struct sockaddr *addr = nla_data(nla);
	int len = nla_len(nla);

	if ((addr->sa_family == AF_INET && len == sizeof(struct sockaddr_in)) ||
	    (addr->sa_family == AF_INET6 && len == sizeof(struct sockaddr_in6)))
		return 0;
	if (addr->sa_family != AF_INET && addr->sa_family != AF_INET6) {
		NL_SET_ERR_MSG_ATTR(extack, nla,
				    "Endpoint family must be AF_INET or AF_INET6");
		return -EAFNOSUPPORT;
	}
	NL_SET_ERR_MSG_ATTR(extack, nla,
			    "Endpoint must be a struct sockaddr_in or sockaddr_in6");
	return -EINVAL;
}

static int check_peer(struct nlattr *nla, struct netlink_ext_ack *extack)
{
	struct nlattr *attrs[WGPEER_A_MAX + 1], *ip;
	int ret, rem;

	ret = nla_parse_nested(attrs, WGPEER_A_MAX, nla, peer_policy, extack);
	if (ret)
		return ret;
	if (!attrs[WGPEER_A_PUBLIC_KEY]) {
		NL_SET_ERR_MSG_ATTR(extack, nla, "Peer needs a public key");
		return -EINVAL;
	}
	if (attrs[WGPEER_A_ENDPOINT]) {
		ret = check_endpoint(attrs[WGPEER_A_ENDPOINT], extack);
		if (ret)
			return ret;
	}
	if (attrs[WGPEER_A_ALLOWEDIPS]) {
		nla_for_each_nested(ip, attrs[WGPEER_A_ALLOWEDIPS], rem) {
			ret = check_allowedip(ip, extack);
			if (ret)
				return ret;
		}
	}
	return 0;
}

static int check_set(struct genl_info *info)
{
	struct nlattr *peer;
	int ret, rem;

	if (!info->attrs[WGDEVICE_A_PEERS])
		return 0;
	nla_for_each_nested(peer, info->attrs[WGDEVICE_A_PEERS], rem) {
		ret = check_peer(peer, info->extack);
		if (ret)
			return ret;
	}
	return 0;
}

static int set_allowedip(struct wg_device *wg, struct wg_peer *peer,
			 struct nlattr *nla, struct netlink_ext_ack *extack)
{
	struct nlattr *attrs[WGALLOWEDIP_A_MAX + 1];
	struct mutex *lock = &wg->conf_lock;
	u32 flags = 0;
	u16 family;
	u8 cidr;
	int ret;

	ret = nla_parse_nested(attrs, WGALLOWEDIP_A_MAX, nla, allowedip_policy,
			       extack);
	if (ret)
		return ret;
	family = nla_get_u16(attrs[WGALLOWEDIP_A_FAMILY]);
	cidr = nla_get_u8(attrs[WGALLOWEDIP_A_CIDR_MASK]);
	if (attrs[WGALLOWEDIP_A_FLAGS])
		flags = nla_get_u32(attrs[WGALLOWEDIP_A_FLAGS]);

	if (family == AF_INET) {
		const struct in_addr *ip = nla_data(attrs[WGALLOWEDIP_A_IPADDR]);

		if (flags & WGALLOWEDIP_F_REMOVE_ME)
			ret = wg_allowedips_remove_v4(&wg->allowedips, ip,
						      cidr, peer, lock);
		else
			ret = wg_allowedips_insert_v4(&wg->allowedips, ip,
						      cidr, peer, lock);
	} else {
		const struct in6_addr *ip = nla_data(attrs[WGALLOWEDIP_A_IPADDR]);

		if (flags & WGALLOWEDIP_F_REMOVE_ME)
			ret = wg_allowedips_remove_v6(&wg->allowedips, ip,
						      cidr, peer, lock);
		else
			ret = wg_allowedips_insert_v6(&wg->allowedips, ip,
						      cidr, peer, lock);
	}
	if (ret)
		NL_SET_ERR_MSG_ATTR(extack, nla, "Could not update allowed IP");
	return ret;
}

static void set_endpoint(struct wg_peer *peer, struct nlattr *nla)
{
	const struct sockaddr *addr = nla_data(nla);
	struct wg_endpoint endpoint = { };

	/* check_endpoint() matched the length to the family already. */
	if (addr->sa_family == AF_INET)
		memcpy(&endpoint.in4, addr, sizeof(endpoint.in4));
	else
		memcpy(&endpoint.in6, addr, sizeof(endpoint.in6));
	wg_peer_set_endpoint(peer, &endpoint, NULL);
}

static int set_peer(struct wg_device *wg, struct nlattr *nla,
		    struct list_head *dead, struct netlink_ext_ack *extack)
{
	struct nlattr *attrs[WGPEER_A_MAX + 1], *ip;
	const u8 *public_key, *preshared_key = NULL;
	struct wg_peer *peer;
	u32 flags = 0;
	int ret, rem;

	ret = nla_parse_nested(attrs, WGPEER_A_MAX, nla, peer_policy, extack);
	if (ret)
		return ret;
	public_key = nla_data(attrs[WGPEER_A_PUBLIC_KEY]);
	if (attrs[WGPEER_A_PRESHARED_KEY])
		preshared_key = nla_data(attrs[WGPEER_A_PRESHARED_KEY]);
	if (attrs[WGPEER_A_FLAGS])
		flags = nla_get_u32(attrs[WGPEER_A_FLAGS]);

	peer = wg_peer_find(wg, public_key);
	if (!peer) {
		const struct noise_static *st = wg_identity(wg);

		if (flags & (WGPEER_F_REMOVE_ME | WGPEER_F_UPDATE_ONLY))
			return 0;
		/* Our own key is never a peer of ours. */
		if (st && !crypto_memneq(public_key, st->pub, WG_KEY_SIZE))
			return 0;
		peer = wg_peer_create(wg, public_key, extack);
		if (IS_ERR(peer))
			return PTR_ERR(peer);
	}
	wg_peer_get(peer);
	if (preshared_key)
		wg_peer_set_psk(peer, preshared_key);

	if (flags & WGPEER_F_REMOVE_ME) {
		wg_peer_unlink(peer, dead);
		goto out;
	}

	if (attrs[WGPEER_A_ENDPOINT])
		set_endpoint(peer, attrs[WGPEER_A_ENDPOINT]);

	if (flags & WGPEER_F_REPLACE_ALLOWEDIPS)
		wg_allowedips_remove_by_peer(&wg->allowedips, peer,
					     &wg->conf_lock);
	if (attrs[WGPEER_A_ALLOWEDIPS]) {
		nla_for_each_nested(ip, attrs[WGPEER_A_ALLOWEDIPS], rem) {
			ret = set_allowedip(wg, peer, ip, extack);
			if (ret)
				goto out;
		}
	}

	if (attrs[WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL]) {
		u16 interval =
			nla_get_u16(attrs[WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL]);

		rcu_read_lock_bh();
		wg_peer_set_keepalive(peer, interval);
		rcu_read_unlock_bh();
	}
out:
	wg_peer_put(peer);
	return ret;
}

static int set_port(struct wg_device *wg, struct nlattr *nla,
		    struct netlink_ext_ack *extack)
{
	u16 port = nla_get_u16(nla);
	int ret;

	ret = wg_device_set_port(wg, port);
	if (ret == -EADDRINUSE)
		NL_SET_ERR_MSG_ATTR(extack, nla, "Listen port is already in use");
	else if (ret)
		NL_SET_ERR_MSG_ATTR(extack, nla, "Could not bind the listen port");
	return ret;
}

static int wg_set_device(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr **attrs = info->attrs;
	struct wg_device *wg;
	struct nlattr *peer;
	LIST_HEAD(dead);
	int ret, rem;

	wg = lookup_device(genl_info_net(info), attrs, info->extack);
	if (IS_ERR(wg))
		return PTR_ERR(wg);
	ret = check_set(info);
	if (ret)
		goto out_put;

	rtnl_lock();
	mutex_lock(&wg->conf_lock);

	/* First what can fail for reasons outside the request. */
	if (attrs[WGDEVICE_A_LISTEN_PORT]) {
		ret = set_port(wg, attrs[WGDEVICE_A_LISTEN_PORT], info->extack);
		if (ret)
			goto out_unlock;
	}

	if (attrs[WGDEVICE_A_FWMARK]) {
		u32 fwmark = nla_get_u32(attrs[WGDEVICE_A_FWMARK]);

		wg_device_set_fwmark(wg, fwmark);
	}

	if (attrs[WGDEVICE_A_FLAGS] &&
	    nla_get_u32(attrs[WGDEVICE_A_FLAGS]) & WGDEVICE_F_REPLACE_PEERS) {
		struct wg_peer *p, *tmp;

		list_for_each_entry_safe(p, tmp, &wg->peers, node)
			wg_peer_unlink(p, &dead);
	}

	if (attrs[WGDEVICE_A_PRIVATE_KEY]) {
		const u8 *key = nla_data(attrs[WGDEVICE_A_PRIVATE_KEY]);
		static const u8 zero[WG_KEY_SIZE];

		ret = wg_device_set_private_key(wg, crypto_memneq(key, zero,
								  WG_KEY_SIZE) ?
						key : NULL, &dead);
		if (ret)
			goto out_unlock;
	}

	if (attrs[WGDEVICE_A_PEERS]) {
		nla_for_each_nested(peer, attrs[WGDEVICE_A_PEERS], rem) {
			ret = set_peer(wg, peer, &dead, info->extack);
			if (ret)
				break;
		}
	}

out_unlock:
	wg_peers_reap(wg, &dead);
	mutex_unlock(&wg->conf_lock);
	rtnl_unlock();
out_put:
	dev_put(wg->dev);
	return ret;
}

static const struct genl_ops genl_ops[] = {
	{
		.cmd = WG_CMD_GET_DEVICE,
		.start = wg_get_device_start,
		.dumpit = wg_get_device_dump,
		.done = wg_get_device_done,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = WG_CMD_SET_DEVICE,
		.doit = wg_set_device,
		.flags = GENL_UNS_ADMIN_PERM,
	},
};

static struct genl_family genl_family __ro_after_init = {
	.ops = genl_ops,
	.n_ops = ARRAY_SIZE(genl_ops),
	.resv_start_op = WG_CMD_SET_DEVICE + 1,
	.name = WG_GENL_NAME,
	.version = WG_GENL_VERSION,
	.maxattr = WGDEVICE_A_MAX,
	.policy = device_policy,
	.module = THIS_MODULE,
	.netnsok = true,
};

int __init wg_genetlink_init(void)
{
	return genl_register_family(&genl_family);
}

void wg_genetlink_uninit(void)
{
	genl_unregister_family(&genl_family);
}

MODULE_ALIAS_GENL_FAMILY(WG_GENL_NAME);
