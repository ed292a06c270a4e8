// SPDX-License-Identifier: GPL-2.0
/*
 * UDP sockets and datagram output. Both sockets live in the namespace the
 * device was created in; replies leave from the local address the peer last
 * reached us on (source-address stickiness), and every datagram carries the
 * device's fwmark.
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
#include "receive.h"
#include "messages.h"

/*
 * Routes and sends one UDP datagram over IPv4. On return *endpoint may have
 * lost its source address, if that address is no longer ours or routes out
 * of another interface: the caller folds that back into the peer.
 */
static int send4(struct wg_device *wg, struct sk_buff *skb,
		 struct endpoint *endpoint, u8 ds, struct dst_cache *cache)
{
	struct flowi4 fl = {
		.saddr = endpoint->src4.s_addr,
		.daddr = endpoint->addr4.sin_addr.s_addr,
		.fl4_dport = endpoint->addr4.sin_port,
		.flowi4_mark = wg->fwmark,
		.flowi4_proto = IPPROTO_UDP,
	};
	struct rtable *rt = NULL;
	struct sock *sock;
	int ret = 0;

	skb_mark_not_on_list(skb);
	skb->dev = wg->dev;
	skb->mark = wg->fwmark;

	rcu_read_lock_bh();
	sock = rcu_dereference_bh(wg->sock4);
	if (unlikely(!sock)) {
		ret = -ENONET;
		goto err;
	}
	fl.fl4_sport = inet_sk(sock)->inet_sport;

	if (cache)
		rt = dst_cache_get_ip4(cache, &fl.saddr);
	if (rt)
		goto xmit;

	security_sk_classify_flow(sock, flowi4_to_flowi_common(&fl));
	if (fl.saddr && !inet_confirm_addr(sock_net(sock), NULL, 0, fl.saddr,
					   RT_SCOPE_HOST)) {
		endpoint->src4.s_addr = 0;
		endpoint->src_if4 = 0;
		fl.saddr = 0;
		if (cache)
			dst_cache_reset(cache);
	}
	rt = ip_route_output_flow(sock_net(sock), &fl, sock);
	if (endpoint->src_if4 &&
	    ((IS_ERR(rt) && PTR_ERR(rt) == -EINVAL) ||
	     (!IS_ERR(rt) && rt->dst.dev->ifindex != endpoint->src_if4))) {
		/* The sticky source now lives elsewhere: route afresh. */
		endpoint->src4.s_addr = 0;
		endpoint->src_if4 = 0;
		fl.saddr = 0;
		if (cache)
			dst_cache_reset(cache);
		if (!IS_ERR(rt))
			ip_rt_put(rt);
		rt = ip_route_output_flow(sock_net(sock), &fl, sock);
	}
	if (IS_ERR(rt)) {
		ret = PTR_ERR(rt);
		net_dbg_ratelimited("%s: no route to %pISpfsc, error %d\n",
				    wg->dev->name, &endpoint->addr, ret);
		goto err;
	}
	if (unlikely(rt->dst.dev == skb->dev)) {
		ip_rt_put(rt);
		ret = -ELOOP;
		net_dbg_ratelimited("%s: endpoint %pISpfsc routes through the tunnel itself\n",
				    wg->dev->name, &endpoint->addr);
		goto err;
	}
	if (cache)
		dst_cache_set_ip4(cache, &rt->dst, fl.saddr);

xmit:
	skb->ignore_df = 1;
	udp_tunnel_xmit_skb(rt, sock, skb, fl.saddr, fl.daddr, ds,
			    ip4_dst_hoplimit(&rt->dst), 0, fl.fl4_sport,
			    fl.fl4_dport, false, false);
	goto out;

err:
	kfree_skb(skb);
out:
	rcu_read_unlock_bh();
	return ret;
}

static int send6(struct wg_device *wg, struct sk_buff *skb,
		 struct endpoint *endpoint, u8 ds, struct dst_cache *cache)
{
#if IS_ENABLED(CONFIG_IPV6)
	struct flowi6 fl = {
		.saddr = endpoint->src6,
		.daddr = endpoint->addr6.sin6_addr,
		.fl6_dport = endpoint->addr6.sin6_port,
		.flowi6_mark = wg->fwmark,
		.flowi6_oif = endpoint->addr6.sin6_scope_id,
		.flowi6_proto = IPPROTO_UDP,
	};
	struct dst_entry *dst = NULL;
	struct sock *sock;
	int ret = 0;

	skb_mark_not_on_list(skb);
	skb->dev = wg->dev;
	skb->mark = wg->fwmark;

	rcu_read_lock_bh();
	sock = rcu_dereference_bh(wg->sock6);
	if (unlikely(!sock)) {
		ret = -ENONET;
		goto err;
	}
	fl.fl6_sport = inet_sk(sock)->inet_sport;

	if (cache)
		dst = dst_cache_get_ip6(cache, &fl.saddr);
	if (dst)
		goto xmit;

	security_sk_classify_flow(sock, flowi6_to_flowi_common(&fl));
	if (!ipv6_addr_any(&fl.saddr) &&
	    !ipv6_chk_addr(sock_net(sock), &fl.saddr, NULL, 0)) {
		fl.saddr = in6addr_any;
		endpoint->src6 = in6addr_any;
		if (cache)
			dst_cache_reset(cache);
	}
	dst = ipv6_stub->ipv6_dst_lookup_flow(sock_net(sock), sock, &fl, NULL);
	if (IS_ERR(dst)) {
		ret = PTR_ERR(dst);
		net_dbg_ratelimited("%s: no route to %pISpfsc, error %d\n",
				    wg->dev->name, &endpoint->addr, ret);
		goto err;
	}
	if (unlikely(dst->dev == skb->dev)) {
		dst_release(dst);
		ret = -ELOOP;
		net_dbg_ratelimited("%s: endpoint %pISpfsc routes through the tunnel itself\n",
				    wg->dev->name, &endpoint->addr);
		goto err;
	}
	if (cache)
		dst_cache_set_ip6(cache, dst, &fl.saddr);

xmit:
	skb->ignore_df = 1;
	udp_tunnel6_xmit_skb(dst, sock, skb, skb->dev, &fl.saddr, &fl.daddr,
			     ds, ip6_dst_hoplimit(dst), 0, fl.fl6_sport,
			     fl.fl6_dport, false);
	goto out;

err:
	kfree_skb(skb);
out:
	rcu_read_unlock_bh();
	return ret;
#else
	kfree_skb(skb);
	return -EAFNOSUPPORT;
#endif
}

static int send_to_endpoint(struct wg_device *wg, struct sk_buff *skb,
			    struct endpoint *endpoint, u8 ds,
			    struct dst_cache *cache)
{
	if (endpoint->addr.sa_family == AF_INET)
		return send4(wg, skb, endpoint, ds, cache);
	if (endpoint->addr.sa_family == AF_INET6)
		return send6(wg, skb, endpoint, ds, cache);
	kfree_skb(skb);
	return -EAFNOSUPPORT;
}

static bool endpoint_eq(const struct endpoint *a, const struct endpoint *b)
{
	if (a->addr.sa_family != b->addr.sa_family)
		return false;
	if (a->addr.sa_family == AF_INET)
		return a->addr4.sin_port == b->addr4.sin_port &&
		       a->addr4.sin_addr.s_addr == b->addr4.sin_addr.s_addr &&
		       a->src4.s_addr == b->src4.s_addr &&
		       a->src_if4 == b->src_if4;
	if (a->addr.sa_family == AF_INET6)
		return a->addr6.sin6_port == b->addr6.sin6_port &&
		       ipv6_addr_equal(&a->addr6.sin6_addr,
				       &b->addr6.sin6_addr) &&
		       a->addr6.sin6_scope_id == b->addr6.sin6_scope_id &&
		       ipv6_addr_equal(&a->src6, &b->src6);
	return true;
}

/* Sends on a copy of the endpoint, then forgets a source that went stale. */
int wg_socket_send_skb_to_peer(struct wg_peer *peer, struct sk_buff *skb,
			       u8 ds)
{
	size_t skb_len = skb->len;
	struct endpoint endpoint;
	int ret;

	read_lock_bh(&peer->endpoint_lock);
	endpoint = peer->endpoint;
	read_unlock_bh(&peer->endpoint_lock);

	if (unlikely(!endpoint.addr.sa_family)) {
		kfree_skb(skb);
		return -ENOTCONN;
	}
	ret = send_to_endpoint(peer->device, skb, &endpoint, ds,
			       &peer->endpoint_cache);
	if (!ret)
		atomic64_add(skb_len, &peer->tx_bytes);

	if (unlikely(endpoint.addr.sa_family == AF_INET ?
		     !endpoint.src4.s_addr :
		     ipv6_addr_any(&endpoint.src6))) {
		write_lock_bh(&peer->endpoint_lock);
		if (peer->endpoint.addr.sa_family == endpoint.addr.sa_family)
			memset(&peer->endpoint.src6, 0,
			       sizeof(peer->endpoint.src6));
		write_unlock_bh(&peer->endpoint_lock);
	}
	return ret;
}

static struct sk_buff *buffer_to_skb(const void *buffer, size_t len)
{
	struct sk_buff *skb = alloc_skb(len + WG_OUTER_HEADROOM + LL_MAX_HEADER,
					GFP_ATOMIC);

	if (unlikely(!skb))
		return NULL;
	skb_reserve(skb, WG_OUTER_HEADROOM + LL_MAX_HEADER);
	skb_set_inner_network_header(skb, 0);
	skb_put_data(skb, buffer, len);
	return skb;
}

int wg_socket_send_buffer_to_peer(struct wg_peer *peer, void *buffer,
				  size_t len, u8 ds)
{
	struct sk_buff *skb = buffer_to_skb(buffer, len);

	if (unlikely(!skb))
		return -ENOMEM;
	return wg_socket_send_skb_to_peer(peer, skb, ds);
}

int wg_socket_send_buffer_as_reply_to_skb(struct wg_device *wg,
					  struct sk_buff *in_skb,
					  void *buffer, size_t len)
{
	struct endpoint endpoint;
	struct sk_buff *skb;
	int ret;

	ret = wg_socket_endpoint_from_skb(&endpoint, in_skb);
	if (unlikely(ret < 0))
		return ret;
	skb = buffer_to_skb(buffer, len);
	if (unlikely(!skb))
		return -ENOMEM;
	return send_to_endpoint(wg, skb, &endpoint, 0, NULL);
}

/* The peer's address is the packet's source; ours is its destination. */
int wg_socket_endpoint_from_skb(struct endpoint *endpoint,
				const struct sk_buff *skb)
{
	memset(endpoint, 0, sizeof(*endpoint));
	if (skb->protocol == htons(ETH_P_IP)) {
		endpoint->addr4.sin_family = AF_INET;
		endpoint->addr4.sin_port = udp_hdr(skb)->source;
		endpoint->addr4.sin_addr.s_addr = ip_hdr(skb)->saddr;
		endpoint->src4.s_addr = ip_hdr(skb)->daddr;
		endpoint->src_if4 = skb->skb_iif;
	} else if (IS_ENABLED(CONFIG_IPV6) &&
		   skb->protocol == htons(ETH_P_IPV6)) {
		endpoint->addr6.sin6_family = AF_INET6;
		endpoint->addr6.sin6_port = udp_hdr(skb)->source;
		endpoint->addr6.sin6_addr = ipv6_hdr(skb)->saddr;
		endpoint->addr6.sin6_scope_id =
			ipv6_iface_scope_id(&ipv6_hdr(skb)->saddr,
					    skb->skb_iif);
		endpoint->src6 = ipv6_hdr(skb)->daddr;
	} else {
		return -EINVAL;
	}
	return 0;
}

void wg_socket_set_peer_endpoint(struct wg_peer *peer,
				 const struct endpoint *endpoint)
{
	/* Nearly every packet comes from where the last one did. */
	read_lock_bh(&peer->endpoint_lock);
	if (likely(endpoint_eq(endpoint, &peer->endpoint))) {
		read_unlock_bh(&peer->endpoint_lock);
		return;
	}
	read_unlock_bh(&peer->endpoint_lock);

	write_lock_bh(&peer->endpoint_lock);
	peer->endpoint = *endpoint;
	dst_cache_reset(&peer->endpoint_cache);
	write_unlock_bh(&peer->endpoint_lock);
}

void wg_socket_set_peer_endpoint_from_skb(struct wg_peer *peer,
					  const struct sk_buff *skb)
{
	struct endpoint endpoint;

	if (!wg_socket_endpoint_from_skb(&endpoint, skb))
		wg_socket_set_peer_endpoint(peer, &endpoint);
}

void wg_socket_clear_peer_endpoint_src(struct wg_peer *peer)
{
	write_lock_bh(&peer->endpoint_lock);
	memset(&peer->endpoint.src6, 0, sizeof(peer->endpoint.src6));
	dst_cache_reset_now(&peer->endpoint_cache);
	write_unlock_bh(&peer->endpoint_lock);
}

static int open_socket(struct net *net, struct wg_device *wg, int family,
		       u16 port, struct socket **out)
{
	struct udp_port_cfg port_cfg = {
		.family = family,
		.local_udp_port = htons(port),
		.use_udp_checksums = true,
	};
	struct udp_tunnel_sock_cfg tunnel_cfg = {
		.sk_user_data = wg,
		.encap_type = 1,
		.encap_rcv = wg_receive,
	};
	int ret;

	if (family == AF_INET6) {
		if (!IS_ENABLED(CONFIG_IPV6) || !ipv6_mod_enabled())
			return -EAFNOSUPPORT;
		port_cfg.local_ip6 = in6addr_any;
		port_cfg.ipv6_v6only = true;
		port_cfg.use_udp6_tx_checksums = true;
		port_cfg.use_udp6_rx_checksums = true;
	}
	ret = udp_sock_create(net, &port_cfg, out);
	if (ret)
		return ret;
	setup_udp_tunnel_sock(net, *out, &tunnel_cfg);
	return 0;
}

static void release_socket(struct socket *sock)
{
	if (sock)
		udp_tunnel_sock_release(sock);
}

/*
 * Opens the IPv4 socket on @port, then IPv6 on the port IPv4 got. With a
 * random port that one may be taken for IPv6 only: draw another then.
 */
static int open_sockets(struct wg_device *wg, u16 port,
			struct socket **sock4, struct socket **sock6)
{
	unsigned int tries = port ? 1 : 100;
	struct net *net;
	u16 bound;
	int ret;

	net = rcu_dereference_protected(wg->creating_net,
					lockdep_is_held(&wg->device_update_lock));
	if (unlikely(!net))
		return -ENONET;

	while (tries--) {
		*sock4 = NULL;
		*sock6 = NULL;
		ret = open_socket(net, wg, AF_INET, port, sock4);
		if (ret)
			return ret;
		bound = ntohs(inet_sk((*sock4)->sk)->inet_sport);
		ret = open_socket(net, wg, AF_INET6, bound, sock6);
		if (ret == -EAFNOSUPPORT) {
			*sock6 = NULL;
			return 0;
		}
		if (!ret)
			return 0;
		release_socket(*sock4);
		*sock4 = NULL;
		if (ret != -EADDRINUSE)
			return ret;
	}
	return ret;
}

int wg_socket_init(struct wg_device *wg, u16 port)
{
	struct socket *sock4, *sock6;
	int ret;

	ret = open_sockets(wg, port, &sock4, &sock6);
	if (ret)
		return ret;
	wg_socket_reinit(wg, sock4->sk, sock6 ? sock6->sk : NULL);
	return 0;
}

void wg_socket_reinit(struct wg_device *wg, struct sock *new4,
		      struct sock *new6)
{
	struct sock *old4, *old6;

	lockdep_assert_held(&wg->device_update_lock);
	old4 = rcu_dereference_protected(wg->sock4,
					 lockdep_is_held(&wg->device_update_lock));
	old6 = rcu_dereference_protected(wg->sock6,
					 lockdep_is_held(&wg->device_update_lock));
	rcu_assign_pointer(wg->sock4, new4);
	rcu_assign_pointer(wg->sock6, new6);
	if (new4)
		wg->incoming_port = ntohs(inet_sk(new4)->inet_sport);
	if (!old4 && !old6)
		return;
	/* No receive or send may still be using the old sockets. */
	synchronize_net();
	if (old4)
		release_socket(old4->sk_socket);
	if (old6)
		release_socket(old6->sk_socket);
}
