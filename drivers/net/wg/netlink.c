// SPDX-License-Identifier: GPL-2.0
/*
 * The configuration plane: GET (a dump of one device) and SET of the
 * generic netlink family "wireguard" (include/uapi/linux/wireguard.h).
 *
 * The genetlink core checks every request against the policies generated
 * from Documentation/netlink/specs/wireguard.yaml (netlink-gen.c), strictly:
 * sizes, flag masks, nesting, attributes a request may not carry, the
 * reserved header field. What no policy can say (which device; a complete
 * allowed IP; an endpoint of the size its family needs) is checked here
 * before anything changes, so that a SET applies all of itself or, if any
 * of it is refused, nothing.
 *
 * Locks: a SET holds the device's conf_lock (device.h) from its first
 * change to its last; a dump takes it for each message it fills and
 * keeps its place between messages with a reference to the next peer.
 */

#include <crypto/algapi.h>
#include <linux/if.h>
#include <linux/netdevice.h>
#include <linux/string.h>
#include <linux/time64.h>
#include <net/genetlink.h>
#include <uapi/linux/wireguard.h>

#include "allowedips.h"
#include "compat.h"
#include "device.h"
#include "events.h"
#include "netlink.h"
#include "netlink-gen.h"
#include "noise.h"
#include "peer.h"

/*
 * resv_start_op 0: the core refuses a non-zero reserved header field and
 * ambiguous nlmsg_flags for every command, not only for ones added later.
 */
struct genl_family wg_genl_family __ro_after_init = {
	.name		= WG_GENL_NAME,
	.version	= WG_GENL_VERSION,
	.netnsok	= true,
	.parallel_ops	= true,
	.module		= THIS_MODULE,
	.resv_start_op	= 0,
	WG_GENL_OPS(wireguard_nl_ops),
	.mcgrps		= wireguard_nl_mcgrps,
	.n_mcgrps	= ARRAY_SIZE(wireguard_nl_mcgrps),
};

/*
 * The device a request names, by exactly one of ifindex and ifname, in
 * the requester's namespace; with a reference.
 */
static struct net_device *find_device(struct net *net, struct nlattr **attrs,
				      struct netlink_ext_ack *extack)
{
	struct nlattr *index = attrs[WGDEVICE_A_IFINDEX];
	struct nlattr *name = attrs[WGDEVICE_A_IFNAME];
	struct net_device *dev;

	if (!index == !name) {
		NL_SET_ERR_MSG(extack,
			       "name the device by one of WGDEVICE_A_IFINDEX and WGDEVICE_A_IFNAME");
		return ERR_PTR(-EINVAL);
	}
	if (index) {
		dev = dev_get_by_index(net, nla_get_u32(index));
	} else {
		char ifname[IFNAMSIZ];

		nla_strscpy(ifname, name, sizeof(ifname));
		dev = dev_get_by_name(net, ifname);
	}
	if (!dev) {
		NL_SET_ERR_MSG_ATTR(extack, index ?: name, "no such device");
		return ERR_PTR(-ENODEV);
	}
	if (!wg_is_our_device(dev)) {
		dev_put(dev);
		NL_SET_ERR_MSG_ATTR(extack, index ?: name,
				    "the device is not a WireGuard device");
		return ERR_PTR(-EOPNOTSUPP);
	}
	return dev;
}

int wg_nla_put_endpoint(struct sk_buff *skb, int type,
			const struct wg_endpoint *ep)
{
	if (ep->sa.sa_family == AF_INET)
		return nla_put(skb, type, sizeof(ep->in4), &ep->in4);
	if (ep->sa.sa_family == AF_INET6)
		return nla_put(skb, type, sizeof(ep->in6), &ep->in6);
	return 0;
}

int wg_nla_put_time(struct sk_buff *skb, int type, u64 wall_ns)
{
	struct timespec64 ts = ns_to_timespec64(wall_ns);
	struct __kernel_timespec kts = {
		.tv_sec = ts.tv_sec,
		.tv_nsec = ts.tv_nsec,
	};

	return nla_put(skb, type, sizeof(kts), &kts);
}

/* ---- GET: a dump of one device ------------------------------------------ */

/*
 * Where a dump is, between its messages (in cb->ctx). @next is the peer
 * the next message starts with, pinned by a reference; if it is removed
 * meanwhile, the dump goes on with the first peer created after it
 * (peers are listed in creation order, which is serial order). @skip of
 * its allowed IPs went out already, in messages that carried its state.
 */
struct dump_ctx {
	struct net_device *dev;
	struct wg_peer *next;
	u64 next_serial;
	u32 skip;
	u8 started:1;	/* the first message (device attributes) went out */
	u8 continued:1;	/* @next's state went out, its allowed IPs go on */
	u8 done:1;
	u8 stats:1;	/* WGDEVICE_A_PEER_STATS asked for */
	u8 keys:1;	/* the requester may see keys */
};

static_assert(sizeof(struct dump_ctx) <= sizeof_field(struct netlink_callback, ctx));

int wg_get_device_start(struct netlink_callback *cb)
{
	struct nlattr **attrs = wg_genl_dump_attrs(cb);
	struct dump_ctx *ctx = (void *)cb->ctx;
	struct net_device *dev;

	dev = find_device(sock_net(cb->skb->sk), attrs, cb->extack);
	if (IS_ERR(dev))
		return PTR_ERR(dev);
	memset(ctx, 0, sizeof(*ctx));
	ctx->dev = dev;
	ctx->stats = nla_get_flag(attrs[WGDEVICE_A_PEER_STATS]);
	ctx->keys = netlink_ns_capable(cb->skb, dev_net(dev)->user_ns,
				       CAP_NET_ADMIN);
	return 0;
}

int wg_get_device_done(struct netlink_callback *cb)
{
	struct dump_ctx *ctx = (void *)cb->ctx;

	if (ctx->next)
		wg_peer_put(ctx->next);
	dev_put(ctx->dev);
	return 0;
}

/* Changes with every peer added or removed and every allowed IP change. */
static u32 config_generation(struct wg_device *wg)
{
	return (u32)(wg->allowedips.seq + wg->peer_serial + wg->npeers);
}

static void pin(struct dump_ctx *ctx, struct wg_peer *peer)
{
	if (ctx->next == peer)
		return;
	if (ctx->next)
		wg_peer_put(ctx->next);
	ctx->next = peer ? wg_peer_get(peer) : NULL;
	if (peer)
		ctx->next_serial = peer->serial;
}

static struct wg_peer *next_peer(struct wg_device *wg, struct wg_peer *peer)
{
	if (list_is_last(&peer->node, &wg->peers))
		return NULL;
	return list_next_entry(peer, node);
}

static struct wg_peer *resume(struct wg_device *wg, struct dump_ctx *ctx)
{
	struct wg_peer *peer = ctx->next;

	if (!peer || !test_bit(WG_PEER_DEAD, &peer->flags))
		return peer;
	/* Removed since the last message: carry on after it. */
	ctx->skip = 0;
	ctx->continued = 0;
	list_for_each_entry(peer, &wg->peers, node)
		if (peer->serial > ctx->next_serial)
			return peer;
	return NULL;
}

static int put_device_attrs(struct sk_buff *skb, struct wg_device *wg,
			    const struct dump_ctx *ctx)
{
	const struct noise_static *id = wg_identity(wg);

	if (nla_put_u16(skb, WGDEVICE_A_LISTEN_PORT, wg->port) ||
	    nla_put_u32(skb, WGDEVICE_A_FWMARK, wg->fwmark))
		return -EMSGSIZE;
	if (!id)
		return 0;
	if (ctx->keys &&
	    nla_put(skb, WGDEVICE_A_PRIVATE_KEY, WG_KEY_LEN, id->priv))
		return -EMSGSIZE;
	return nla_put(skb, WGDEVICE_A_PUBLIC_KEY, WG_KEY_LEN, id->pub);
}

static const struct {
	u16 type;
	u8 counter;
} stat_attrs[] = {
	{ WGPEER_STATS_A_RX_PACKETS, WG_PC_RX_PACKETS },
	{ WGPEER_STATS_A_TX_PACKETS, WG_PC_TX_PACKETS },
	{ WGPEER_STATS_A_HANDSHAKES_INITIATED, WG_PC_HS_INITIATED },
	{ WGPEER_STATS_A_HANDSHAKES_COMPLETED, WG_PC_HS_COMPLETED },
	{ WGPEER_STATS_A_HANDSHAKES_FAILED, WG_PC_HS_FAILED },
	{ WGPEER_STATS_A_DROP_DECRYPT, WG_PC_DROP_DECRYPT },
	{ WGPEER_STATS_A_DROP_REPLAY, WG_PC_DROP_REPLAY },
	{ WGPEER_STATS_A_DROP_ALLOWEDIPS, WG_PC_DROP_ALLOWEDIPS },
	{ WGPEER_STATS_A_DROP_BAD_INNER, WG_PC_DROP_BAD_INNER },
	{ WGPEER_STATS_A_DROP_STAGED, WG_PC_DROP_STAGED },
};

static int put_peer_stats(struct sk_buff *skb, struct wg_peer *peer)
{
	struct nlattr *nest = nla_nest_start(skb, WGPEER_A_STATS);
	unsigned int i;

	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < ARRAY_SIZE(stat_attrs); i++)
		if (nla_put_u64_64bit(skb, stat_attrs[i].type,
				      atomic64_read(&peer->counters[stat_attrs[i].counter]),
				      WGPEER_STATS_A_PAD))
			return -EMSGSIZE;
	if (wg_nla_put_time(skb, WGPEER_STATS_A_LAST_ROAM_TIME,
			    READ_ONCE(peer->last_roam_wall)) ||
	    nla_put_u64_64bit(skb, WGPEER_STATS_A_EVENTS_SENT,
			      (u32)atomic_read(&peer->events.sent),
			      WGPEER_STATS_A_PAD) ||
	    nla_put_u64_64bit(skb, WGPEER_STATS_A_EVENTS_SUPPRESSED,
			      (u32)atomic_read(&peer->events.suppressed),
			      WGPEER_STATS_A_PAD))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

/* Everything about a peer but its public key and allowed IPs. */
static int put_peer_state(struct sk_buff *skb, struct wg_peer *peer,
			  const struct dump_ctx *ctx)
{
	static const u8 no_key[WG_KEY_LEN];
	struct wg_endpoint ep;

	wg_peer_get_endpoint(peer, &ep);
	if (nla_put(skb, WGPEER_A_PRESHARED_KEY, WG_KEY_LEN,
		    ctx->keys ? peer->psk : no_key) ||
	    wg_nla_put_endpoint(skb, WGPEER_A_ENDPOINT, &ep) ||
	    nla_put_u16(skb, WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL,
			READ_ONCE(peer->clock.persistent_keepalive)) ||
	    wg_nla_put_time(skb, WGPEER_A_LAST_HANDSHAKE_TIME,
			    READ_ONCE(peer->last_handshake_wall)) ||
	    nla_put_u64_64bit(skb, WGPEER_A_RX_BYTES,
			      atomic64_read(&peer->counters[WG_PC_RX_BYTES]),
			      WGPEER_A_UNSPEC) ||
	    nla_put_u64_64bit(skb, WGPEER_A_TX_BYTES,
			      atomic64_read(&peer->counters[WG_PC_TX_BYTES]),
			      WGPEER_A_UNSPEC) ||
	    nla_put_u32(skb, WGPEER_A_PROTOCOL_VERSION, 1))
		return -EMSGSIZE;
	if (ctx->stats)
		return put_peer_stats(skb, peer);
	return 0;
}

static int put_allowedip(struct sk_buff *skb, struct allowedips_node *node)
{
	struct nlattr *nest;
	u8 ip[16], cidr;
	int family;

	family = wg_allowedips_read_node(node, ip, &cidr);
	nest = nla_nest_start(skb, 0);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u16(skb, WGALLOWEDIP_A_FAMILY, family) ||
	    nla_put(skb, WGALLOWEDIP_A_IPADDR, family == AF_INET6 ? 16 : 4, ip) ||
	    nla_put_u8(skb, WGALLOWEDIP_A_CIDR_MASK, cidr)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

enum { PEER_DONE, PEER_PARTIAL, PEER_NONE };

/*
 * One element of WGDEVICE_A_PEERS: the whole peer (PEER_DONE), or as much
 * as fits (PEER_PARTIAL: ctx->skip and ctx->continued say where it goes
 * on), or nothing (PEER_NONE).
 */
static int put_peer(struct sk_buff *skb, struct wg_peer *peer,
		    struct dump_ctx *ctx)
{
	struct allowedips_node *node;
	struct nlattr *elem, *aips;
	u32 i = 0, sent = 0;

	elem = nla_nest_start(skb, 0);
	if (!elem)
		return PEER_NONE;
	if (nla_put(skb, WGPEER_A_PUBLIC_KEY, WG_KEY_LEN, peer->public_key))
		goto cancel;
	if (!ctx->continued && put_peer_state(skb, peer, ctx))
		goto cancel;
	node = wg_allowedips_first(peer);
	if (node) {
		aips = nla_nest_start(skb, WGPEER_A_ALLOWEDIPS);
		if (!aips)
			goto cancel;
		for (; node; node = wg_allowedips_next(peer, node)) {
			if (i++ < ctx->skip)
				continue;
			if (put_allowedip(skb, node))
				break;
			sent++;
		}
		nla_nest_end(skb, aips);
		if (node) {
			/* Its state alone is progress; a continuation is not. */
			if (ctx->continued && !sent)
				goto cancel;
			nla_nest_end(skb, elem);
			ctx->skip += sent;
			ctx->continued = 1;
			return PEER_PARTIAL;
		}
	}
	nla_nest_end(skb, elem);
	ctx->skip = 0;
	ctx->continued = 0;
	return PEER_DONE;

cancel:
	nla_nest_cancel(skb, elem);
	return PEER_NONE;
}

int wireguard_nl_get_device_dumpit(struct sk_buff *skb,
				   struct netlink_callback *cb)
{
	struct dump_ctx *ctx = (void *)cb->ctx;
	struct net_device *dev = ctx->dev;
	struct wg_device *wg = wg_from_dev(dev);
	bool first = !ctx->started;
	struct wg_peer *peer;
	struct nlattr *peers;
	int ret, n = 0;
	void *hdr;

	if (ctx->done)
		return 0;
	mutex_lock(&wg->conf_lock);
	cb->seq = config_generation(wg);
	hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			  &wg_genl_family, NLM_F_MULTI, WG_CMD_GET_DEVICE);
	if (!hdr)
		goto err_size;
	genl_dump_check_consistent(cb, hdr);
	if (nla_put_u32(skb, WGDEVICE_A_IFINDEX, dev->ifindex) ||
	    nla_put_string(skb, WGDEVICE_A_IFNAME, dev->name))
		goto err_cancel;
	if (first) {
		if (put_device_attrs(skb, wg, ctx))
			goto err_cancel;
		ctx->started = 1;
		peer = list_first_entry_or_null(&wg->peers, struct wg_peer, node);
	} else {
		peer = resume(wg, ctx);
	}

	if (peer) {
		peers = nla_nest_start(skb, WGDEVICE_A_PEERS);
		if (!peers)
			goto err_cancel;
		for (; peer; peer = next_peer(wg, peer)) {
			ret = put_peer(skb, peer, ctx);
			if (ret == PEER_NONE)
				break;
			n++;
			if (ret == PEER_PARTIAL)
				break;
		}
		if (n) {
			nla_nest_end(skb, peers);
		} else {
			nla_nest_cancel(skb, peers);
			/* Not one peer fits a message of its own. */
			if (!first)
				goto err_cancel;
		}
	}
	pin(ctx, peer);
	if (!peer)
		ctx->done = 1;
	genlmsg_end(skb, hdr);
	mutex_unlock(&wg->conf_lock);
	return skb->len;

err_cancel:
	genlmsg_cancel(skb, hdr);
err_size:
	mutex_unlock(&wg->conf_lock);
	return -EMSGSIZE;
}

/* ---- SET ------------------------------------------------------------------ */

/* What one element of WGDEVICE_A_PEERS asks for. */
struct peer_req {
	const struct nlattr *elem;
	const u8 *public_key;
	const u8 *psk;
	const struct nlattr *endpoint;
	const struct nlattr *keepalive;
	const struct nlattr *allowedips;
	u32 flags;
};

/* One element of WGPEER_A_ALLOWEDIPS. */
struct allowedip_req {
	const struct nlattr *addr;
	u16 family;
	u8 cidr;
	u32 flags;
};

/*
 * The attributes of an element of a nested array, the last of a type
 * winning, as nla_parse() would give them: the policy has checked them.
 */
static int read_peer(const struct nlattr *elem, struct peer_req *p,
		     struct netlink_ext_ack *extack)
{
	const struct nlattr *a;
	int rem;

	memset(p, 0, sizeof(*p));
	p->elem = elem;
	if (!(elem->nla_type & NLA_F_NESTED)) {
		NL_SET_ERR_MSG_ATTR(extack, elem, "NLA_F_NESTED is missing");
		return -EINVAL;
	}
	nla_for_each_nested(a, elem, rem) {
		switch (nla_type(a)) {
		case WGPEER_A_PUBLIC_KEY:
			p->public_key = nla_data(a);
			break;
		case WGPEER_A_PRESHARED_KEY:
			p->psk = nla_data(a);
			break;
		case WGPEER_A_FLAGS:
			p->flags = nla_get_u32(a);
			break;
		case WGPEER_A_ENDPOINT:
			p->endpoint = a;
			break;
		case WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL:
			p->keepalive = a;
			break;
		case WGPEER_A_ALLOWEDIPS:
			p->allowedips = a;
			break;
		}
	}
	if (!p->public_key) {
		NL_SET_ERR_MSG_ATTR(extack, elem,
				    "a peer needs WGPEER_A_PUBLIC_KEY");
		return -EINVAL;
	}
	return 0;
}

static int read_allowedip(const struct nlattr *elem, struct allowedip_req *r,
			  struct netlink_ext_ack *extack)
{
	bool family = false, cidr = false;
	const struct nlattr *a;
	int rem;

	memset(r, 0, sizeof(*r));
	if (!(elem->nla_type & NLA_F_NESTED)) {
		NL_SET_ERR_MSG_ATTR(extack, elem, "NLA_F_NESTED is missing");
		return -EINVAL;
	}
	nla_for_each_nested(a, elem, rem) {
		switch (nla_type(a)) {
		case WGALLOWEDIP_A_FAMILY:
			r->family = nla_get_u16(a);
			family = true;
			break;
		case WGALLOWEDIP_A_IPADDR:
			r->addr = a;
			break;
		case WGALLOWEDIP_A_CIDR_MASK:
			r->cidr = nla_get_u8(a);
			cidr = true;
			break;
		case WGALLOWEDIP_A_FLAGS:
			r->flags = nla_get_u32(a);
			break;
		}
	}
	if (!family || !r->addr || !cidr) {
		NL_SET_ERR_MSG_ATTR(extack, elem,
				    "an allowed IP needs a family, an address and a cidr mask");
		return -EINVAL;
	}
	if (r->family == AF_INET) {
		if (nla_len(r->addr) != sizeof(struct in_addr) || r->cidr > 32) {
			NL_SET_ERR_MSG_ATTR(extack, elem,
					    "an IPv4 allowed IP has 4 bytes and a cidr mask of 32 at most");
			return -EINVAL;
		}
	} else if (r->family == AF_INET6) {
		if (nla_len(r->addr) != sizeof(struct in6_addr)) {
			NL_SET_ERR_MSG_ATTR(extack, r->addr,
					    "an IPv6 allowed IP has 16 bytes");
			return -EINVAL;
		}
	} else {
		NL_SET_ERR_MSG_ATTR(extack, elem,
				    "an allowed IP is AF_INET or AF_INET6");
		return -EAFNOSUPPORT;
	}
	return 0;
}

static int check_endpoint(const struct nlattr *a, struct netlink_ext_ack *extack)
{
	const struct sockaddr *sa = nla_data(a);
	int len = nla_len(a);

	if ((len == sizeof(struct sockaddr_in) && sa->sa_family == AF_INET) ||
	    (len == sizeof(struct sockaddr_in6) && sa->sa_family == AF_INET6))
		return 0;
	NL_SET_ERR_MSG_ATTR(extack, a,
			    "an endpoint is a struct sockaddr_in or a struct sockaddr_in6");
	return -EINVAL;
}

/* Everything a SET's peers say that no policy checks; changes nothing. */
static int check_peers(const struct nlattr *peers, struct netlink_ext_ack *extack)
{
	const struct nlattr *elem, *ip;
	struct allowedip_req r;
	struct peer_req p;
	int rem, rem2, err;

	nla_for_each_nested(elem, peers, rem) {
		err = read_peer(elem, &p, extack);
		if (err)
			return err;
		if (p.endpoint) {
			err = check_endpoint(p.endpoint, extack);
			if (err)
				return err;
		}
		if (!p.allowedips)
			continue;
		nla_for_each_nested(ip, p.allowedips, rem2) {
			err = read_allowedip(ip, &r, extack);
			if (err)
				return err;
		}
	}
	return 0;
}

/* Keeps the first @cidr bits of @ip (@len bytes). */
static void mask_prefix(u8 *ip, unsigned int len, u8 cidr)
{
	unsigned int i;

	for (i = 0; i < len; i++, cidr = cidr > 8 ? cidr - 8 : 0)
		if (cidr < 8)
			ip[i] &= (u8)(0xff00 >> cidr);
}

static int apply_allowedip(struct wg_device *wg, struct wg_peer *peer,
			   const struct allowedip_req *r)
{
	bool remove = r->flags & WGALLOWEDIP_F_REMOVE_ME;
	u8 ip[16];
	int err;

	memcpy(ip, nla_data(r->addr), nla_len(r->addr));
	mask_prefix(ip, nla_len(r->addr), r->cidr);
	if (remove)
		err = wg_allowedips_del(&wg->allowedips, r->family, ip, r->cidr,
					peer, &wg->conf_lock);
	else
		err = wg_allowedips_add(&wg->allowedips, r->family, ip, r->cidr,
					peer, &wg->conf_lock);
	/* Removing a prefix the peer does not have changes nothing. */
	if (remove && err != -ENOMEM)
		err = 0;
	return err;
}

/*
 * Applies one (checked) element of WGDEVICE_A_PEERS, in the order the
 * uapi header gives. @self is our public key (NULL: none).
 */
static int apply_peer(struct wg_device *wg, const struct nlattr *elem,
		      const u8 *self, struct list_head *dead,
		      struct netlink_ext_ack *extack)
{
	const struct nlattr *ip;
	struct allowedip_req r;
	struct wg_peer *peer;
	struct peer_req p;
	bool created = false;
	int rem, err;

	read_peer(elem, &p, NULL);
	peer = wg_peer_find(wg, p.public_key);
	if (!peer) {
		if (p.flags & (WGPEER_F_REMOVE_ME | WGPEER_F_UPDATE_ONLY))
			return 0;
		/* We are no peer of ourselves. */
		if (self && !crypto_memneq(self, p.public_key, WG_KEY_LEN))
			return 0;
		peer = wg_peer_create(wg, p.public_key, extack);
		if (IS_ERR(peer))
			return PTR_ERR(peer);
		created = true;
	}
	if (p.psk)
		wg_peer_set_psk(peer, p.psk);
	if (p.flags & WGPEER_F_REMOVE_ME) {
		wg_event_peer_removed(peer);
		wg_peer_unlink(peer, dead);
		return 0;
	}
	if (p.endpoint) {
		const struct sockaddr *sa = nla_data(p.endpoint);
		struct wg_endpoint ep = {};

		/* check_endpoint(): exactly one or the other. */
		if (sa->sa_family == AF_INET6)
			memcpy(&ep.in6, sa, sizeof(ep.in6));
		else
			memcpy(&ep.in4, sa, sizeof(ep.in4));
		wg_peer_set_endpoint(peer, &ep, NULL);
	}
	if (p.flags & WGPEER_F_REPLACE_ALLOWEDIPS)
		wg_allowedips_remove_by_peer(&wg->allowedips, peer,
					     &wg->conf_lock);
	err = 0;
	if (p.allowedips) {
		nla_for_each_nested(ip, p.allowedips, rem) {
			read_allowedip(ip, &r, NULL);
			err = apply_allowedip(wg, peer, &r);
			if (err) {
				NL_SET_ERR_MSG_ATTR(extack, ip,
						    "no memory for the allowed IP");
				break;
			}
		}
	}
	if (!err && p.keepalive)
		wg_peer_set_keepalive(peer, nla_get_u16(p.keepalive));

	if (created)
		wg_event_peer_added(peer);
	else if (p.psk || p.endpoint || p.allowedips || p.keepalive ||
		 (p.flags & WGPEER_F_REPLACE_ALLOWEDIPS))
		wg_event_peer_changed(peer);
	return err;
}

static void remove_all_peers(struct wg_device *wg, struct list_head *dead)
{
	struct wg_peer *peer, *tmp;

	list_for_each_entry_safe(peer, tmp, &wg->peers, node) {
		wg_event_peer_removed(peer);
		wg_peer_unlink(peer, dead);
	}
}

/*
 * A new private key (all zeros: none). The core keeps the one we have if
 * it is the same (as stored: clamped), so that sessions go on; a peer
 * whose public key is the new one is removed, and announced here.
 */
static int set_private_key(struct wg_device *wg, const u8 *key,
			   struct list_head *dead)
{
	struct wg_peer *self = NULL;
	struct noise_static next;
	int err;

	if (!memchr_inv(key, 0, WG_KEY_LEN))
		return wg_device_set_private_key(wg, NULL, dead);
	if (wg_noise_static_init(&next, key))
		self = wg_peer_find(wg, next.pub);
	memzero_explicit(&next, sizeof(next));
	err = wg_device_set_private_key(wg, key, dead);
	if (!err && self && test_bit(WG_PEER_DEAD, &self->flags))
		wg_event_peer_removed(self);
	return err;
}

int wireguard_nl_set_device_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct netlink_ext_ack *extack = info->extack;
	struct nlattr **attrs = info->attrs;
	u8 self_key[WG_KEY_LEN], *self = NULL;
	const struct nlattr *elem;
	struct net_device *dev;
	struct wg_device *wg;
	LIST_HEAD(dead);
	int rem, err;

	dev = find_device(genl_info_net(info), attrs, extack);
	if (IS_ERR(dev))
		return PTR_ERR(dev);
	wg = wg_from_dev(dev);
	if (attrs[WGDEVICE_A_PEERS]) {
		err = check_peers(attrs[WGDEVICE_A_PEERS], extack);
		if (err)
			goto out_put;
	}

	mutex_lock(&wg->conf_lock);
	if (dev->reg_state != NETREG_REGISTERED) {
		NL_SET_ERR_MSG(extack, "the device is going away");
		err = -ENODEV;
		goto out_unlock;
	}
	/*
	 * First what can still fail (a port in use; no memory for a key), so
	 * that then nothing else has changed. The key before the peers are
	 * replaced or the fwmark set: the outcome is the same in any order.
	 */
	if (attrs[WGDEVICE_A_LISTEN_PORT]) {
		err = wg_device_set_port(wg,
					 nla_get_u16(attrs[WGDEVICE_A_LISTEN_PORT]));
		if (err) {
			NL_SET_ERR_MSG_ATTR(extack, attrs[WGDEVICE_A_LISTEN_PORT],
					    "cannot listen on that port");
			goto out_unlock;
		}
	}
	if (attrs[WGDEVICE_A_PRIVATE_KEY]) {
		err = set_private_key(wg, nla_data(attrs[WGDEVICE_A_PRIVATE_KEY]),
				      &dead);
		if (err) {
			NL_SET_ERR_MSG_ATTR(extack, attrs[WGDEVICE_A_PRIVATE_KEY],
					    "cannot set the private key");
			goto out_unlock;
		}
	}
	if (attrs[WGDEVICE_A_FWMARK])
		wg_device_set_fwmark(wg, nla_get_u32(attrs[WGDEVICE_A_FWMARK]));
	if (attrs[WGDEVICE_A_FLAGS] &&
	    nla_get_u32(attrs[WGDEVICE_A_FLAGS]) & WGDEVICE_F_REPLACE_PEERS)
		remove_all_peers(wg, &dead);

	err = 0;
	if (attrs[WGDEVICE_A_PEERS]) {
		if (wg_device_public_key(wg, self_key))
			self = self_key;
		nla_for_each_nested(elem, attrs[WGDEVICE_A_PEERS], rem) {
			err = apply_peer(wg, elem, self, &dead, extack);
			if (err)
				break;
		}
	}

out_unlock:
	/* One grace period for every peer this request removed. */
	if (!list_empty(&dead))
		wg_peers_reap(wg, &dead);
	mutex_unlock(&wg->conf_lock);
out_put:
	dev_put(dev);
	return err;
}

int wg_genetlink_init(void)
{
	return genl_register_family(&wg_genl_family);
}

void wg_genetlink_uninit(void)
{
	genl_unregister_family(&wg_genl_family);
}
