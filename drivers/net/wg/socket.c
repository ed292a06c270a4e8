// SPDX-License-Identifier: GPL-2.0
/*
 * UDP sockets and datagram output (socket.h). Both sockets live in the
 * namespace the device was created in. A datagram leaves from the local
 * address the peer last reached us on, while that address is still ours
 * (source-address stickiness), carries the device's fwmark, and never
 * leaves through the device itself: that route is a loop, and dropped
 * (counted as tx_loop, whatever the datagram carried).
 *
 * The netdev counters are the data path's (tx.c counts each message once),
 * so the datagrams leave without skb->dev: the tunnel helpers then leave
 * the device's statistics alone.
 */

#include <linux/inetdevice.h>
#include <linux/if_ether.h>
#include <net/addrconf.h>
#include <net/dst_cache.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/ipv6_stubs.h>
#include <net/route.h>
#include <net/udp.h>
#include <net/udp_tunnel.h>

#include "socket.h"
#include "device.h"
#include "peer.h"
#include "rx.h"
#include "stats.h"
#include "compat.h"

/* The outer checksum of a UDP GSO datagram is the segmenter's to finish. */
static void prepare_gso(struct sk_buff *skb)
{
	if (!skb_is_gso(skb))
		return;
	skb->ip_summed = CHECKSUM_PARTIAL;
	skb->csum_start = skb_headroom(skb) - sizeof(struct udphdr);
	skb->csum_offset = offsetof(struct udphdr, check);
}

static struct rtable *route4(struct wg_device *wg, struct sock *sock,
			     struct flowi4 *fl, bool *src_gone)
{
	struct net *net = sock_net(sock);
	struct rtable *rt;

	if (fl->saddr && !inet_confirm_addr(net, NULL, 0, fl->saddr,
					    RT_SCOPE_HOST)) {
		fl->saddr = 0;
		*src_gone = true;
	}
	rt = ip_route_output_flow(net, fl, sock);
	if (IS_ERR(rt) && PTR_ERR(rt) == -EINVAL && !*src_gone && fl->saddr) {
		fl->saddr = 0;
		*src_gone = true;
		rt = ip_route_output_flow(net, fl, sock);
	}
	if (IS_ERR(rt))
		return rt;
	if (unlikely(rt->dst.dev == wg->dev)) {
		ip_rt_put(rt);
		wg_stats_count(wg, WG_STAT_TX_LOOP);
		return ERR_PTR(-ELOOP);
	}
	return rt;
}

static int send4(struct wg_device *wg, struct wg_peer *peer,
		 struct dst_cache *cache, struct sk_buff *skb,
		 const struct wg_endpoint *ep, u8 ds)
{
	struct flowi4 fl = {
		.daddr = ep->in4.sin_addr.s_addr,
		.saddr = ep->src4,
		.fl4_dport = ep->in4.sin_port,
		.flowi4_mark = READ_ONCE(wg->fwmark),
		.flowi4_proto = IPPROTO_UDP,
	};
	struct rtable *rt = NULL;
	bool src_gone = false;
	struct sock *sock;

	rcu_read_lock_bh();
	sock = rcu_dereference_bh(wg->sock4);
	if (unlikely(!sock)) {
		rcu_read_unlock_bh();
		kfree_skb(skb);
		return -ENONET;
	}
	fl.fl4_sport = inet_sk(sock)->inet_sport;
	if (cache)
		rt = dst_cache_get_ip4(cache, &fl.saddr);
	if (!rt) {
		rt = route4(wg, sock, &fl, &src_gone);
		if (IS_ERR(rt)) {
			rcu_read_unlock_bh();
			kfree_skb(skb);
			if (src_gone && peer)
				wg_peer_clear_src(peer);
			return PTR_ERR(rt);
		}
		if (cache)
			dst_cache_set_ip4(cache, &rt->dst, fl.saddr);
	}
	prepare_gso(skb);
	skb->mark = fl.flowi4_mark;
	skb->dev = NULL;
	udp_tunnel_xmit_skb(rt, sock, skb, fl.saddr, fl.daddr, ds,
			    ip4_dst_hoplimit(&rt->dst), 0, fl.fl4_sport,
			    fl.fl4_dport, false, false);
	rcu_read_unlock_bh();
	if (src_gone && peer)
		wg_peer_clear_src(peer);
	return 0;
}

#if IS_ENABLED(CONFIG_IPV6)
static struct dst_entry *route6(struct wg_device *wg, struct sock *sock,
				struct flowi6 *fl, bool *src_gone)
{
	struct net *net = sock_net(sock);
	struct dst_entry *dst;

	if (!ipv6_addr_any(&fl->saddr) &&
	    !ipv6_chk_addr(net, &fl->saddr, NULL, 0)) {
		fl->saddr = in6addr_any;
		*src_gone = true;
	}
	dst = ipv6_stub->ipv6_dst_lookup_flow(net, sock, fl, NULL);
	if (IS_ERR(dst))
		return dst;
	if (unlikely(dst->dev == wg->dev)) {
		dst_release(dst);
		wg_stats_count(wg, WG_STAT_TX_LOOP);
		return ERR_PTR(-ELOOP);
	}
	return dst;
}

static int send6(struct wg_device *wg, struct wg_peer *peer,
		 struct dst_cache *cache, struct sk_buff *skb,
		 const struct wg_endpoint *ep, u8 ds)
{
	struct flowi6 fl = {
		.daddr = ep->in6.sin6_addr,
		.saddr = ep->src6,
		.fl6_dport = ep->in6.sin6_port,
		.flowi6_mark = READ_ONCE(wg->fwmark),
		.flowi6_oif = ep->in6.sin6_scope_id,
		.flowi6_proto = IPPROTO_UDP,
	};
	struct dst_entry *dst = NULL;
	bool src_gone = false;
	struct sock *sock;

	rcu_read_lock_bh();
	sock = rcu_dereference_bh(wg->sock6);
	if (unlikely(!sock)) {
		rcu_read_unlock_bh();
		kfree_skb(skb);
		return -ENONET;
	}
	fl.fl6_sport = inet_sk(sock)->inet_sport;
	if (cache)
		dst = dst_cache_get_ip6(cache, &fl.saddr);
	if (!dst) {
		dst = route6(wg, sock, &fl, &src_gone);
		if (IS_ERR(dst)) {
			rcu_read_unlock_bh();
			kfree_skb(skb);
			if (src_gone && peer)
				wg_peer_clear_src(peer);
			return PTR_ERR(dst);
		}
		if (cache)
			dst_cache_set_ip6(cache, dst, &fl.saddr);
	}
	prepare_gso(skb);
	skb->mark = fl.flowi6_mark;
	skb->dev = NULL;
	udp_tunnel6_xmit_skb(dst, sock, skb, NULL, &fl.saddr, &fl.daddr, ds,
			     ip6_dst_hoplimit(dst), 0, fl.fl6_sport,
			     fl.fl6_dport, false);
	rcu_read_unlock_bh();
	if (src_gone && peer)
		wg_peer_clear_src(peer);
	return 0;
}
#endif

/*
 * How deep this CPU is in our own sends. A datagram routed into a
 * WireGuard device (a tunnel inside a tunnel) comes back into wg_xmit()
 * on this very stack, and that device seals it there and then (no
 * worker), noting the depth in the burst: whoever sends the burst, now
 * or later, sends it one level deeper. A loop through several devices
 * so gets deeper with every round, and wg_xmit() cuts it at
 * WG_MAX_NESTING.
 */
static DEFINE_PER_CPU(unsigned int, send_depth);

unsigned int wg_socket_depth(void)
{
	return __this_cpu_read(send_depth);
}

static int send_to(struct wg_device *wg, struct wg_peer *peer,
		   struct dst_cache *cache, struct sk_buff *skb,
		   const struct wg_endpoint *ep, u8 ds, unsigned int depth)
{
	unsigned int was;
	int ret = -EDESTADDRREQ;

	local_bh_disable();
	was = __this_cpu_read(send_depth);
	__this_cpu_write(send_depth, max(was, depth) + 1);
	if (ep->sa.sa_family == AF_INET)
		ret = send4(wg, peer, cache, skb, ep, ds);
#if IS_ENABLED(CONFIG_IPV6)
	else if (ep->sa.sa_family == AF_INET6)
		ret = send6(wg, peer, cache, skb, ep, ds);
#endif
	else
		kfree_skb(skb);
	__this_cpu_write(send_depth, was);
	local_bh_enable();
	return ret;
}

int wg_socket_send(struct wg_peer *peer, struct wg_live *live,
		   struct sk_buff *skb, u8 ds, unsigned int depth)
{
	struct wg_endpoint ep;

	wg_peer_get_endpoint(peer, &ep);
	return send_to(peer->wg, peer, live ? &live->route : NULL, skb, &ep,
		       ds, depth);
}

int wg_socket_reply(struct wg_device *wg, struct sk_buff *in,
		    const void *buf, size_t len)
{
	struct wg_endpoint ep;
	struct sk_buff *skb;

	skb = alloc_skb(LL_MAX_HEADER + WG_OUTER_ROOM + len, GFP_ATOMIC);
	if (!skb)
		return -ENOMEM;
	skb_reserve(skb, LL_MAX_HEADER + WG_OUTER_ROOM);
	skb_put_data(skb, buf, len);
	wg_endpoint_from_skb(&ep, in);
	return send_to(wg, NULL, NULL, skb, &ep, 0, 0);
}

void wg_endpoint_from_skb(struct wg_endpoint *ep, const struct sk_buff *skb)
{
	memset(ep, 0, sizeof(*ep));
	if (skb->protocol == htons(ETH_P_IP)) {
		ep->in4.sin_family = AF_INET;
		ep->in4.sin_port = udp_hdr(skb)->source;
		ep->in4.sin_addr.s_addr = ip_hdr(skb)->saddr;
		ep->src4 = ip_hdr(skb)->daddr;
		ep->src_ifindex = skb->skb_iif;
	} else if (skb->protocol == htons(ETH_P_IPV6)) {
		ep->in6.sin6_family = AF_INET6;
		ep->in6.sin6_port = udp_hdr(skb)->source;
		ep->in6.sin6_addr = ipv6_hdr(skb)->saddr;
		ep->in6.sin6_scope_id = ipv6_iface_scope_id(&ipv6_hdr(skb)->saddr,
							    skb->skb_iif);
		ep->src6 = ipv6_hdr(skb)->daddr;
	}
}

/* Sockets. */

static void tunnel_setup(struct wg_device *wg, struct sock *sk)
{
	struct udp_tunnel_sock_cfg cfg = {
		.sk_user_data = wg,
		.encap_type = 1,
		.encap_rcv = wg_rx_datagram,
	};

	setup_udp_tunnel_sock(sock_net(sk), sk->sk_socket, &cfg);
	/*
	 * Every message is authenticated; the outer checksum has nothing to
	 * offer us. Left on, the conversion setup_udp_tunnel_sock() asks
	 * for makes the receiving stack checksum in software every message
	 * it cuts out of a UDP GSO datagram (veth, loopback).
	 */
	inet_dec_convert_csum(sk);
}

static int open4(struct net *net, u16 port, struct sock **sk)
{
	struct udp_port_cfg cfg = {
		.family = AF_INET,
		.local_ip.s_addr = htonl(INADDR_ANY),
		.local_udp_port = htons(port),
	};
	struct socket *sock;
	int ret;

	ret = udp_sock_create(net, &cfg, &sock);
	if (ret)
		return ret;
	*sk = sock->sk;
	return 0;
}

static int open6(struct net *net, u16 port, struct sock **sk)
{
#if IS_ENABLED(CONFIG_IPV6)
	struct udp_port_cfg cfg = {
		.family = AF_INET6,
		.local_ip6 = IN6ADDR_ANY_INIT,
		.local_udp_port = htons(port),
		.ipv6_v6only = true,
	};
	struct socket *sock;
	int ret;

	ret = udp_sock_create(net, &cfg, &sock);
	if (ret)
		return ret;
	*sk = sock->sk;
	return 0;
#else
	return -EAFNOSUPPORT;
#endif
}

static void release(struct sock *sk)
{
	if (sk)
		udp_tunnel_sock_release(sk->sk_socket);
}

int wg_socket_open(struct wg_device *wg, u16 port)
{
	struct sock *new4 = NULL, *new6 = NULL, *old4, *old6;
	unsigned int tries = port ? 1 : 100;
	struct net *net;
	int ret;

	lockdep_assert_held(&wg->conf_lock);
	net = rcu_dereference_protected(wg->sock_net,
					lockdep_is_held(&wg->conf_lock));
	if (!net)
		return -ENONET;
	do {
		ret = open4(net, port, &new4);
		if (ret)
			return ret;
		ret = open6(net, ntohs(inet_sk(new4)->inet_sport), &new6);
		if (ret == -EAFNOSUPPORT) {
			/* IPv6 is off: an IPv4-only device. */
			new6 = NULL;
			ret = 0;
		}
		if (!ret)
			break;
		release(new4);
		new4 = NULL;
		/* The port we were given for IPv4 is taken for IPv6: another. */
	} while (ret == -EADDRINUSE && --tries);
	if (ret)
		return ret;

	tunnel_setup(wg, new4);
	if (new6)
		tunnel_setup(wg, new6);

	old4 = rcu_dereference_protected(wg->sock4, lockdep_is_held(&wg->conf_lock));
	old6 = rcu_dereference_protected(wg->sock6, lockdep_is_held(&wg->conf_lock));
	rcu_assign_pointer(wg->sock4, new4);
	rcu_assign_pointer(wg->sock6, new6);
	WRITE_ONCE(wg->port, ntohs(inet_sk(new4)->inet_sport));
	if (old4 || old6) {
		synchronize_net();
		release(old4);
		release(old6);
	}
	return 0;
}

void wg_socket_close(struct wg_device *wg)
{
	struct sock *old4, *old6;

	old4 = rcu_dereference_protected(wg->sock4, lockdep_is_held(&wg->conf_lock));
	old6 = rcu_dereference_protected(wg->sock6, lockdep_is_held(&wg->conf_lock));
	if (!old4 && !old6)
		return;
	RCU_INIT_POINTER(wg->sock4, NULL);
	RCU_INIT_POINTER(wg->sock6, NULL);
	/* No receive or send is still inside the sockets. */
	synchronize_net();
	release(old4);
	release(old6);
}
