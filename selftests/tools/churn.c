// SPDX-License-Identifier: GPL-2.0
/*
 * churn - make, use and kill pairs of WireGuard devices, cycle after cycle,
 * in one process (the cycles of selftests/tests/40-hostile-churn.sh).
 *
 * usage: churn -n CYCLES -k PRIV:PUB -k PRIV:PUB -k PRIV:PUB -k PRIV:PUB
 *              [-I] [-t]
 *
 *   -n CYCLES   cycles to run (default 200)
 *   -k PRIV:PUB a key pair (base64); four of them, the devices of cycle i
 *               use pairs i % 4 and (i + 1) % 4
 *   -I          the module is the in-tree driver (it keeps its devices when
 *               the namespace of their sockets dies: not checked)
 *   -t          print how long each step took
 *
 * Everything a cycle does is a netlink request or a socket of this process:
 * under emulation on a debug kernel a new process costs 0.1 to 0.5 s, so a
 * shell doing the same spends most of its time starting ip, wg and ping.
 * Namespaces are unnamed, made with unshare() and held by a file
 * descriptor; closing it deletes the namespace (this thread is never left
 * in one).
 *
 * A cycle makes a pair of devices A <-> B one of three ways:
 *   veth  each device created in its own namespace, a veth pair between them
 *   wire  both created in a third namespace W (their UDP sockets stay there,
 *         talking over W's loopback), then moved to A and B
 *   init  both created and configured here (sockets here), brought up, then
 *         moved to A and B
 * checks a handshake and ten echoes A -> B -> A over UDP, then kills the
 * pair, with a datagram every 10 ms from the side that lives longest, one
 * of four ways:
 *   linkdel  delete each device
 *   nsdel    delete A's namespace (with A's device), then B's
 *   sockdel  delete W, the namespace holding the sockets (wire only): ours
 *            deletes the devices with it, the in-tree driver keeps them
 *   move     move A's device to a new namespace C, bring it up there and
 *            echo through it, then delete it (the device, or C with it)
 * After each death the UDP sockets must be released where they lived.
 * The inner and outer address family alternate between IPv4 and IPv6 every
 * ten cycles.
 *
 * Output, one line each, tab separated, for the shell to turn into TAP:
 *   pass<TAB>DESCRIPTION
 *   fail<TAB>DESCRIPTION<TAB>DETAIL
 *   diag<TAB>TEXT
 * Exit status 0 iff every cycle passed.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/genetlink.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <linux/wireguard.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define WAIT_MS 60000		/* how long a death may take to show */
#define ECHO_PORT 4000
#define NOISE_PORT 4001

/* What went wrong, for the cycle's failure line. */
static char why[1024];

static int failf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return -1;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void nap_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* ------------------------------------------------------------------------
 * Namespaces: slots, each a file descriptor or -1 once deleted.
 * ------------------------------------------------------------------------
 */
enum { HERE, NSA, NSB, NSW, NSC, NSLOTS };
static const char *const ns_name[NSLOTS] = { "here", "A", "B", "W", "C" };
static int ns_fd[NSLOTS];

static int enter(int ns)
{
	if (ns_fd[ns] < 0)
		return failf("namespace %s is gone", ns_name[ns]);
	if (setns(ns_fd[ns], CLONE_NEWNET))
		return failf("setns into %s: %m", ns_name[ns]);
	return 0;
}

static int ns_new(int ns)
{
	if (unshare(CLONE_NEWNET))
		return failf("unshare: %m");
	ns_fd[ns] = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (ns_fd[ns] < 0)
		return failf("open the new namespace: %m");
	return enter(HERE);
}

/* Delete NS: this thread is not in it, nothing else of ours holds it. */
static int ns_del(int ns)
{
	if (enter(HERE))
		return -1;
	if (ns_fd[ns] >= 0)
		close(ns_fd[ns]);
	ns_fd[ns] = -1;
	return 0;
}

/* ------------------------------------------------------------------------
 * Netlink requests, each on a fresh socket of the current namespace.
 * ------------------------------------------------------------------------
 */
struct req {
	union {
		struct nlmsghdr n;
		char buf[4096];
	};
};

static void msg_new(struct req *r, int type, int flags)
{
	memset(r, 0, sizeof(*r));
	r->n.nlmsg_len = NLMSG_HDRLEN;
	r->n.nlmsg_type = type;
	r->n.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
}

static void *put(struct req *r, const void *data, int len)
{
	char *p = r->buf + NLMSG_ALIGN(r->n.nlmsg_len);

	memcpy(p, data, len);
	r->n.nlmsg_len = NLMSG_ALIGN(r->n.nlmsg_len) + len;
	return p;
}

static struct nlattr *attr(struct req *r, int type, const void *data, int len)
{
	struct nlattr *a = (void *)(r->buf + NLMSG_ALIGN(r->n.nlmsg_len));

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	if (len)
		memcpy((char *)a + NLA_HDRLEN, data, len);
	r->n.nlmsg_len = NLMSG_ALIGN(r->n.nlmsg_len) + NLA_ALIGN(a->nla_len);
	return a;
}

static void attr_str(struct req *r, int type, const char *s)
{
	attr(r, type, s, strlen(s) + 1);
}

static void attr_u16(struct req *r, int type, uint16_t v)
{
	attr(r, type, &v, sizeof(v));
}

static void attr_u32(struct req *r, int type, uint32_t v)
{
	attr(r, type, &v, sizeof(v));
}

static struct nlattr *nest(struct req *r, int type)
{
	return attr(r, type | NLA_F_NESTED, NULL, 0);
}

static void nest_end(struct req *r, struct nlattr *a)
{
	a->nla_len = r->buf + r->n.nlmsg_len - (char *)a;
}

/* The extack message of an error, if any. */
static const char *ext_msg(struct nlmsghdr *h)
{
	struct nlmsgerr *e = NLMSG_DATA(h);
	struct nlattr *a = (void *)(e + 1);
	int left = h->nlmsg_len - NLMSG_HDRLEN - sizeof(*e);

	if (!(h->nlmsg_flags & NLM_F_ACK_TLVS))
		return NULL;
	while (left >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN &&
	       a->nla_len <= left) {
		if ((a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG)
			return (const char *)a + NLA_HDRLEN;
		left -= NLA_ALIGN(a->nla_len);
		a = (void *)((char *)a + NLA_ALIGN(a->nla_len));
	}
	return NULL;
}

/*
 * talk: send R on a new PROTO socket, wait for its ack; other replies go to
 * ON_REPLY. Returns 0, or -1 with why set.
 */
static int talk(int proto, struct req *r,
		void (*on_reply)(struct nlmsghdr *, void *), void *arg)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	static uint32_t seq;
	char buf[8192];
	int fd, one = 1, n, ret = 1;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, proto);
	if (fd < 0)
		return failf("netlink socket: %m");
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	r->n.nlmsg_seq = ++seq;
	if (sendto(fd, r->buf, r->n.nlmsg_len, 0, (void *)&sa, sizeof(sa)) < 0) {
		ret = failf("netlink send: %m");
		goto out;
	}
	while (ret > 0) {
		struct nlmsghdr *h = (void *)buf;

		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0) {
			ret = failf("netlink receive: %m");
			break;
		}
		for (; ret > 0 && NLMSG_OK(h, n); h = NLMSG_NEXT(h, n)) {
			struct nlmsgerr *e = NLMSG_DATA(h);
			const char *m;

			if (h->nlmsg_type != NLMSG_ERROR) {
				if (on_reply)
					on_reply(h, arg);
				continue;
			}
			if (!e->error) {
				ret = 0;
				break;
			}
			m = ext_msg(h);
			ret = failf("%s%s%s", strerror(-e->error),
				    m ? ": " : "", m ? m : "");
		}
	}
out:
	close(fd);
	return ret;
}

static int wg_family;

static void on_family(struct nlmsghdr *h, void *arg)
{
	struct nlattr *a = (void *)((char *)NLMSG_DATA(h) + GENL_HDRLEN);
	int left = h->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;

	while (left >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN &&
	       a->nla_len <= left) {
		if (a->nla_type == CTRL_ATTR_FAMILY_ID)
			*(int *)arg = *(uint16_t *)((char *)a + NLA_HDRLEN);
		left -= NLA_ALIGN(a->nla_len);
		a = (void *)((char *)a + NLA_ALIGN(a->nla_len));
	}
}

static int resolve_wg(void)
{
	struct genlmsghdr g = { .cmd = CTRL_CMD_GETFAMILY, .version = 1 };
	struct req r;

	msg_new(&r, GENL_ID_CTRL, 0);
	put(&r, &g, sizeof(g));
	attr_str(&r, CTRL_ATTR_FAMILY_NAME, WG_GENL_NAME);
	if (talk(NETLINK_GENERIC, &r, on_family, &wg_family))
		return -1;
	return wg_family ? 0 : failf("no family id for " WG_GENL_NAME);
}

/* ------------------------------------------------------------------------
 * Links, addresses, WireGuard configuration.
 * ------------------------------------------------------------------------
 */
static void link_msg(struct req *r, int type, int flags, const char *name)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };

	msg_new(r, type, flags);
	put(r, &ifi, sizeof(ifi));
	attr_str(r, IFLA_IFNAME, name);
}

static int link_add_wg(int ns, const char *name)
{
	struct nlattr *li;
	struct req r;

	if (enter(ns))
		return -1;
	link_msg(&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, name);
	li = nest(&r, IFLA_LINKINFO);
	attr_str(&r, IFLA_INFO_KIND, "wireguard");
	nest_end(&r, li);
	return talk(NETLINK_ROUTE, &r, NULL, NULL);
}

/* veth0 in A <-> veth0 in B, made here. */
static int link_add_veth(int a, int b)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	struct nlattr *li, *data, *peer;
	struct req r;

	if (enter(HERE))
		return -1;
	link_msg(&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, "veth0");
	attr_u32(&r, IFLA_NET_NS_FD, ns_fd[a]);
	li = nest(&r, IFLA_LINKINFO);
	attr_str(&r, IFLA_INFO_KIND, "veth");
	data = nest(&r, IFLA_INFO_DATA);
	peer = nest(&r, VETH_INFO_PEER);
	put(&r, &ifi, sizeof(ifi));
	attr_str(&r, IFLA_IFNAME, "veth0");
	attr_u32(&r, IFLA_NET_NS_FD, ns_fd[b]);
	nest_end(&r, peer);
	nest_end(&r, data);
	nest_end(&r, li);
	return talk(NETLINK_ROUTE, &r, NULL, NULL);
}

static int link_up(int ns, const char *name)
{
	struct ifinfomsg *ifi;
	struct req r;

	if (enter(ns))
		return -1;
	link_msg(&r, RTM_NEWLINK, 0, name);
	ifi = NLMSG_DATA(&r.n);
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	return talk(NETLINK_ROUTE, &r, NULL, NULL);
}

static int link_move(int ns, const char *name, int to)
{
	struct req r;

	if (enter(ns))
		return -1;
	link_msg(&r, RTM_NEWLINK, 0, name);
	attr_u32(&r, IFLA_NET_NS_FD, ns_fd[to]);
	return talk(NETLINK_ROUTE, &r, NULL, NULL);
}

static int link_del(int ns, const char *name)
{
	struct req r;

	if (enter(ns))
		return -1;
	link_msg(&r, RTM_DELLINK, 0, name);
	return talk(NETLINK_ROUTE, &r, NULL, NULL);
}

/* An address "10.0.0.1" or "fd00::1" with its family. */
struct ip {
	int fam;
	union {
		struct in_addr v4;
		struct in6_addr v6;
	};
};

static struct ip ip_of(const char *s)
{
	struct ip ip = { .fam = strchr(s, ':') ? AF_INET6 : AF_INET };

	inet_pton(ip.fam, s, &ip.v4);
	return ip;
}

static int ip_len(const struct ip *ip)
{
	return ip->fam == AF_INET ? 4 : 16;
}

static socklen_t sockaddr_of(const char *addr, int port,
			     struct sockaddr_storage *ss)
{
	struct ip ip = ip_of(addr);

	memset(ss, 0, sizeof(*ss));
	if (ip.fam == AF_INET) {
		struct sockaddr_in *sin = (void *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		sin->sin_addr = ip.v4;
		return sizeof(*sin);
	}
	struct sockaddr_in6 *sin6 = (void *)ss;

	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(port);
	sin6->sin6_addr = ip.v6;
	return sizeof(*sin6);
}

static int addr_add(int ns, const char *dev, const char *addr, int plen)
{
	struct ip ip = ip_of(addr);
	struct ifaddrmsg ifa = {
		.ifa_family = ip.fam,
		.ifa_prefixlen = plen,
		.ifa_flags = ip.fam == AF_INET6 ? IFA_F_NODAD : 0,
	};
	struct req r;

	if (enter(ns))
		return -1;
	ifa.ifa_index = if_nametoindex(dev);
	if (!ifa.ifa_index)
		return failf("no %s in %s", dev, ns_name[ns]);
	msg_new(&r, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
	put(&r, &ifa, sizeof(ifa));
	attr(&r, IFA_LOCAL, &ip.v4, ip_len(&ip));
	attr(&r, IFA_ADDRESS, &ip.v4, ip_len(&ip));
	return talk(NETLINK_ROUTE, &r, NULL, NULL);
}

static const char *tun_ip(int fam, int host)
{
	static const char *const ips[2][3] = {
		{ NULL, "10.241.0.1", "10.241.0.2" },
		{ NULL, "fd10:241::1", "fd10:241::2" },
	};

	return ips[fam == 6][host];
}

/* The tunnel addresses of host N on DEV, and DEV up. */
static int tun_up(int ns, const char *dev, int n)
{
	if (addr_add(ns, dev, tun_ip(4, n), 24) ||
	    addr_add(ns, dev, tun_ip(6, n), 64))
		return -1;
	return link_up(ns, dev);
}

struct keypair {
	uint8_t priv[WG_KEY_LEN], pub[WG_KEY_LEN];
};

static struct keypair keys[4];

static void allowed_ip(struct req *r, int idx, const char *addr, int cidr)
{
	struct ip ip = ip_of(addr);
	struct nlattr *a = nest(r, idx);

	attr_u16(r, WGALLOWEDIP_A_FAMILY, ip.fam);
	attr(r, WGALLOWEDIP_A_IPADDR, &ip.v4, ip_len(&ip));
	attr(r, WGALLOWEDIP_A_CIDR_MASK, &(uint8_t){ cidr }, 1);
	nest_end(r, a);
}

/*
 * DEV in NS as host N (1 or 2) with key pair K, listening on PORT, its one
 * peer the other host (key pair PEER), at ENDPOINT:EPORT.
 */
static int wg_conf(int ns, const char *dev, int n, int k, int port, int peer,
		   const char *endpoint, int eport)
{
	struct genlmsghdr g = { .cmd = WG_CMD_SET_DEVICE, .version = 1 };
	struct sockaddr_storage ss;
	struct nlattr *peers, *p, *aips;
	socklen_t sslen = sockaddr_of(endpoint, eport, &ss);
	struct req r;

	if (enter(ns))
		return -1;
	msg_new(&r, wg_family, 0);
	put(&r, &g, sizeof(g));
	attr_str(&r, WGDEVICE_A_IFNAME, dev);
	attr(&r, WGDEVICE_A_PRIVATE_KEY, keys[k].priv, WG_KEY_LEN);
	attr_u16(&r, WGDEVICE_A_LISTEN_PORT, port);
	peers = nest(&r, WGDEVICE_A_PEERS);
	p = nest(&r, 0);
	attr(&r, WGPEER_A_PUBLIC_KEY, keys[peer].pub, WG_KEY_LEN);
	attr(&r, WGPEER_A_ENDPOINT, &ss, sslen);
	aips = nest(&r, WGPEER_A_ALLOWEDIPS);
	allowed_ip(&r, 0, tun_ip(4, 3 - n), 32);
	allowed_ip(&r, 1, tun_ip(6, 3 - n), 128);
	nest_end(&r, aips);
	nest_end(&r, p);
	nest_end(&r, peers);
	return talk(NETLINK_GENERIC, &r, NULL, NULL);
}

/* ------------------------------------------------------------------------
 * Checks: sockets, devices, traffic.
 * ------------------------------------------------------------------------
 */

/* Some UDP socket of NS is on PORT: 1; none: 0; error: -1. */
static int bound(int ns, int port)
{
	static const char *const files[] = {
		"/proc/thread-self/net/udp", "/proc/thread-self/net/udp6",
	};
	char line[512];
	unsigned int p;
	int i, found = 0;

	if (enter(ns))
		return -1;
	for (i = 0; i < 2 && !found; i++) {
		FILE *f = fopen(files[i], "r");

		if (!f)
			return failf("%s: %m", files[i]);
		while (!found && fgets(line, sizeof(line), f))
			if (sscanf(line, " %*d: %*[0-9A-Fa-f]:%x", &p) == 1 &&
			    p == (unsigned int)port)
				found = 1;
		fclose(f);
	}
	return found;
}

/* No UDP socket on PORT in NS within WAIT_MS; true at once if NS is gone. */
static int released(int ns, int port)
{
	long long end = now_ms() + WAIT_MS;
	int b;

	while (ns_fd[ns] >= 0) {
		b = bound(ns, port);
		if (b < 0)
			return -1;
		if (!b)
			return 0;
		if (now_ms() > end)
			return failf("port %d still bound in %s after %d s",
				     port, ns_name[ns], WAIT_MS / 1000);
		nap_ms(100);
	}
	return 0;
}

static int bound_now(int ns, int port)
{
	int b = bound(ns, port);

	if (b < 0)
		return -1;
	return b ? 0 : failf("port %d not bound in %s", port, ns_name[ns]);
}

/* DEV disappears from NS within WAIT_MS (or NS does). */
static int gone(int ns, const char *dev)
{
	long long end = now_ms() + WAIT_MS;

	while (ns_fd[ns] >= 0) {
		if (enter(ns))
			return -1;
		if (!if_nametoindex(dev))
			return 0;
		if (now_ms() > end)
			return failf("%s still in %s after %d s", dev,
				     ns_name[ns], WAIT_MS / 1000);
		nap_ms(100);
	}
	return 0;
}

static int udp_socket(int ns, const char *addr, int port)
{
	struct sockaddr_storage ss;
	socklen_t len = sockaddr_of(addr, port, &ss);
	int fd;

	if (enter(ns))
		return -1;
	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return failf("socket: %m");
	if (port && bind(fd, (void *)&ss, len)) {
		failf("bind %s:%d in %s: %m", addr, port, ns_name[ns]);
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * echoes FROM TO TOADDR: ten datagrams from FROM to TOADDR (in TO) echoed
 * back, in at most 10 s (the first one waits for a handshake). A datagram
 * without its echo in 200 ms is sent again.
 */
static int echoes(int from, int to, const char *toaddr)
{
	long long end = now_ms() + 10000;
	struct sockaddr_storage dst, peer;
	socklen_t dlen = sockaddr_of(toaddr, ECHO_PORT, &dst), plen;
	int rx, tx, got = 0, ret = -1, send_err = 0;
	uint32_t seq = 0, v;

	rx = udp_socket(to, toaddr, ECHO_PORT);
	if (rx < 0)
		return -1;
	tx = udp_socket(from, toaddr, 0);
	if (tx < 0)
		goto out_rx;
	while (got < 10) {
		long long resend = now_ms() + 200;
		struct pollfd pf[2] = { { rx, POLLIN, 0 }, { tx, POLLIN, 0 } };

		if (now_ms() > end) {
			failf("%d of 10 echoes %s -> %s (%s) in 10 s%s%s", got,
			      ns_name[from], toaddr, ns_name[to],
			      send_err ? "; send: " : "",
			      send_err ? strerror(send_err) : "");
			goto out;
		}
		/* Failures (no route yet, say) show as missing echoes. */
		if (sendto(tx, &seq, sizeof(seq), 0, (void *)&dst, dlen) < 0)
			send_err = errno;
		while (now_ms() < resend &&
		       poll(pf, 2, resend - now_ms()) > 0) {
			if (pf[0].revents & POLLIN) {
				plen = sizeof(peer);
				if (recvfrom(rx, &v, sizeof(v), 0, (void *)&peer,
					     &plen) == sizeof(v))
					sendto(rx, &v, sizeof(v), 0,
					       (void *)&peer, plen);
			}
			if ((pf[1].revents & POLLIN) &&
			    recv(tx, &v, sizeof(v), 0) == sizeof(v) &&
			    v == seq) {
				got++;
				seq++;
				break;
			}
		}
	}
	ret = 0;
out:
	close(tx);
out_rx:
	close(rx);
	return ret;
}

/* A datagram every 10 ms from a namespace to an address, in a thread. */
static struct {
	pthread_t thread;
	int fd;
	int stop;		/* atomic */
	struct sockaddr_storage to;
	socklen_t len;
} bg = { .fd = -1 };

static void *bg_run(void *unused)
{
	(void)unused;
	while (!__atomic_load_n(&bg.stop, __ATOMIC_RELAXED)) {
		sendto(bg.fd, "x", 1, MSG_DONTWAIT, (void *)&bg.to, bg.len);
		nap_ms(10);
	}
	return NULL;
}

static int bg_start(int from, const char *toaddr)
{
	bg.fd = udp_socket(from, toaddr, 0);
	if (bg.fd < 0)
		return -1;
	bg.len = sockaddr_of(toaddr, NOISE_PORT, &bg.to);
	__atomic_store_n(&bg.stop, 0, __ATOMIC_RELAXED);
	if (pthread_create(&bg.thread, NULL, bg_run, NULL)) {
		close(bg.fd);
		bg.fd = -1;
		return failf("pthread_create failed");
	}
	return 0;
}

static int bg_stop(void)
{
	if (bg.fd < 0)
		return 0;
	__atomic_store_n(&bg.stop, 1, __ATOMIC_RELAXED);
	pthread_join(bg.thread, NULL);
	close(bg.fd);
	bg.fd = -1;
	return 0;
}

/* ------------------------------------------------------------------------
 * A cycle.
 * ------------------------------------------------------------------------
 */
static bool trace, intree;

/* The state of the current cycle. */
static struct {
	int i, fam;		/* cycle number, 4 or 6 */
	int sa, sb;		/* namespaces of the sockets */
	char da[IFNAMSIZ], db[IFNAMSIZ];
	int pa, pb;		/* listening ports */
	const char *ta, *tb;	/* tunnel addresses */
} c;

static int step_(const char *desc, int rc, long long t0)
{
	char old[sizeof(why)];

	if (trace)
		printf("diag\ttrace: %s: %lld ms\n", desc, now_ms() - t0);
	if (rc >= 0)
		return 0;
	memcpy(old, why, sizeof(old));
	snprintf(why, sizeof(why), "%s: %.900s", desc, old);
	return -1;
}

#define STEP(desc, call) \
	do { \
		long long t0_ = now_ms(); \
		if (step_((desc), (call), t0_)) \
			return -1; \
	} while (0)

static const char *outer(int host)
{
	if (c.fam == 4)
		return host == 1 ? "192.168.241.1" : "192.168.241.2";
	return host == 1 ? "fd00:241::1" : "fd00:241::2";
}

static const char *loopback(void)
{
	return c.fam == 4 ? "127.0.0.1" : "::1";
}

static int veth_host(int ns, int h)
{
	char v4[32], v6[32];

	snprintf(v4, sizeof(v4), "192.168.241.%d", h);
	snprintf(v6, sizeof(v6), "fd00:241::%d", h);
	if (addr_add(ns, "veth0", v4, 24) || addr_add(ns, "veth0", v6, 64) ||
	    link_up(ns, "veth0") || link_add_wg(ns, "wg0"))
		return -1;
	return tun_up(ns, "wg0", h);
}

static int make_veth(void)
{
	int ka = c.i % 4, kb = (c.i + 1) % 4;

	c.sa = NSA;
	c.sb = NSB;
	c.pa = 10001;
	c.pb = 10002;
	snprintf(c.da, sizeof(c.da), "wg0");
	snprintf(c.db, sizeof(c.db), "wg0");
	STEP("namespace A", ns_new(NSA));
	STEP("namespace B", ns_new(NSB));
	STEP("veth pair A <-> B", link_add_veth(NSA, NSB));
	STEP("host 1: veth up, wg0 made there", veth_host(NSA, 1));
	STEP("host 2: veth up, wg0 made there", veth_host(NSB, 2));
	STEP("configure A", wg_conf(NSA, c.da, 1, ka, c.pa, kb, outer(2), c.pb));
	STEP("configure B", wg_conf(NSB, c.db, 2, kb, c.pb, ka, outer(1), c.pa));
	return 0;
}

static int make_wire(void)
{
	int ka = c.i % 4, kb = (c.i + 1) % 4;

	c.sa = NSW;
	c.sb = NSW;
	c.pa = 10001;
	c.pb = 10002;
	snprintf(c.da, sizeof(c.da), "wga");
	snprintf(c.db, sizeof(c.db), "wgb");
	STEP("namespace A", ns_new(NSA));
	STEP("namespace B", ns_new(NSB));
	STEP("namespace W", ns_new(NSW));
	STEP("W's lo up", link_up(NSW, "lo"));
	STEP("wga made in W", link_add_wg(NSW, c.da));
	STEP("wgb made in W", link_add_wg(NSW, c.db));
	STEP("wga moved to A", link_move(NSW, c.da, NSA));
	STEP("wgb moved to B", link_move(NSW, c.db, NSB));
	STEP("A up", tun_up(NSA, c.da, 1));
	STEP("B up", tun_up(NSB, c.db, 2));
	/* Configured where they live now, up: the sockets open in W. */
	STEP("configure A", wg_conf(NSA, c.da, 1, ka, c.pa, kb, loopback(), c.pb));
	STEP("configure B", wg_conf(NSB, c.db, 2, kb, c.pb, ka, loopback(), c.pa));
	return 0;
}

static int make_init(void)
{
	int ka = c.i % 4, kb = (c.i + 1) % 4;

	c.sa = HERE;
	c.sb = HERE;
	c.pa = 30000 + 2 * c.i;
	c.pb = 30001 + 2 * c.i;
	snprintf(c.da, sizeof(c.da), "wgc%da", c.i);
	snprintf(c.db, sizeof(c.db), "wgc%db", c.i);
	STEP("namespace A", ns_new(NSA));
	STEP("namespace B", ns_new(NSB));
	STEP("A's device made here", link_add_wg(HERE, c.da));
	STEP("B's device made here", link_add_wg(HERE, c.db));
	STEP("configure A here", wg_conf(HERE, c.da, 1, ka, c.pa, kb, loopback(), c.pb));
	STEP("configure B here", wg_conf(HERE, c.db, 2, kb, c.pb, ka, loopback(), c.pa));
	/*
	 * Up here, then moved (which takes them down): the sockets are in the
	 * namespace a device was made in, wherever it is brought up.
	 */
	STEP("A up here", link_up(HERE, c.da));
	STEP("B up here", link_up(HERE, c.db));
	STEP("A's device moved to A", link_move(HERE, c.da, NSA));
	STEP("B's device moved to B", link_move(HERE, c.db, NSB));
	STEP("A up", tun_up(NSA, c.da, 1));
	STEP("B up", tun_up(NSB, c.db, 2));
	return 0;
}

static int kill_linkdel(void)
{
	STEP("traffic B -> A", bg_start(NSB, c.ta));
	STEP("delete A's device under traffic", link_del(NSA, c.da));
	STEP("A's socket released", released(c.sa, c.pa));
	STEP("delete B's device (sending through it)", link_del(NSB, c.db));
	STEP("B's socket released", released(c.sb, c.pb));
	return 0;
}

static int kill_nsdel(void)
{
	STEP("traffic B -> A", bg_start(NSB, c.ta));
	STEP("delete A's namespace under traffic", ns_del(NSA));
	STEP("A's socket released", released(c.sa, c.pa));
	STEP("traffic stopped", bg_stop());
	STEP("delete B's namespace", ns_del(NSB));
	STEP("B's socket released", released(c.sb, c.pb));
	return 0;
}

static int kill_sockdel(void)
{
	STEP("traffic A -> B", bg_start(NSA, c.tb));
	STEP("delete W, the sockets' namespace, under traffic", ns_del(NSW));
	/*
	 * The in-tree driver keeps the devices, without sockets; ours
	 * deletes them with the namespace their sockets were in.
	 */
	if (intree)
		return 0;
	STEP("A's device deleted with W", gone(NSA, c.da));
	STEP("B's device deleted with W", gone(NSB, c.db));
	return 0;
}

static int kill_move(void)
{
	STEP("namespace C", ns_new(NSC));
	STEP("traffic B -> A", bg_start(NSB, c.ta));
	STEP("move A's device to C under traffic", link_move(NSA, c.da, NSC));
	STEP("up in C", tun_up(NSC, c.da, 1));
	STEP("echoes through it from C", echoes(NSC, NSB, c.tb));
	if (c.sa == HERE)
		STEP("its socket stays here", bound_now(HERE, c.pa));
	if (c.i / 20 % 2)
		STEP("delete C with A's device under traffic", ns_del(NSC));
	else
		STEP("delete A's device in C under traffic", link_del(NSC, c.da));
	STEP("A's socket released", released(c.sa, c.pa));
	STEP("delete B's device", link_del(NSB, c.db));
	STEP("B's socket released", released(c.sb, c.pb));
	return 0;
}

static const struct combo {
	const char *name;
	int (*make)(void);
	int (*kill)(void);
} combos[] = {
	{ "veth/linkdel", make_veth, kill_linkdel },
	{ "wire/nsdel", make_wire, kill_nsdel },
	{ "init/move", make_init, kill_move },
	{ "veth/nsdel", make_veth, kill_nsdel },
	{ "wire/sockdel", make_wire, kill_sockdel },
	{ "init/linkdel", make_init, kill_linkdel },
	{ "veth/move", make_veth, kill_move },
	{ "wire/linkdel", make_wire, kill_linkdel },
	{ "init/nsdel", make_init, kill_nsdel },
	{ "wire/move", make_wire, kill_move },
};

#define NCOMBOS ((int)(sizeof(combos) / sizeof(combos[0])))

static int cycle(int i)
{
	const struct combo *how = &combos[i % NCOMBOS];

	memset(&c, 0, sizeof(c));
	c.i = i;
	c.fam = i / NCOMBOS % 2 ? 6 : 4;
	c.ta = tun_ip(c.fam, 1);
	c.tb = tun_ip(c.fam, 2);
	if (how->make())
		return -1;
	STEP("handshake and 10 echoes A -> B", echoes(NSA, NSB, c.tb));
	return how->kill();
}

/* Whatever the cycle left: its namespaces, its devices here. */
static void cycle_end(void)
{
	int ns;

	bg_stop();
	for (ns = NSA; ns < NSLOTS; ns++)
		ns_del(ns);
	if (c.sa == HERE && c.da[0] && if_nametoindex(c.da))
		link_del(HERE, c.da);
	if (c.sb == HERE && c.db[0] && if_nametoindex(c.db))
		link_del(HERE, c.db);
}

/* ------------------------------------------------------------------------
 * main
 * ------------------------------------------------------------------------
 */
static int b64_decode(const char *s, uint8_t *out, int max)
{
	static const char tbl[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	uint32_t acc = 0;
	int bits = 0, n = 0;
	const char *p;

	for (; *s && *s != '=' && *s != ':'; s++) {
		p = strchr(tbl, *s);
		if (!p || !*s)
			return -1;
		acc = acc << 6 | (p - tbl);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n == max)
				return -1;
			out[n++] = acc >> bits;
		}
	}
	return n;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: churn -n CYCLES -k PRIV:PUB (x4) [-I] [-t]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int ncyc[NCOMBOS] = { 0 }, nfail[NCOMBOS] = { 0 };
	char *first[NCOMBOS] = { NULL };
	int opt, i, n = 200, nkeys = 0, failed = 0;
	long long t0 = now_ms();
	const char *colon;

	while ((opt = getopt(argc, argv, "n:k:It")) != -1) {
		switch (opt) {
		case 'n':
			n = atoi(optarg);
			break;
		case 'k':
			colon = strchr(optarg, ':');
			if (nkeys == 4 || !colon ||
			    b64_decode(optarg, keys[nkeys].priv, WG_KEY_LEN) != WG_KEY_LEN ||
			    b64_decode(colon + 1, keys[nkeys].pub, WG_KEY_LEN) != WG_KEY_LEN)
				usage();
			nkeys++;
			break;
		case 'I':
			intree = true;
			break;
		case 't':
			trace = true;
			break;
		default:
			usage();
		}
	}
	if (nkeys != 4 || n <= 0)
		usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 0; i < NSLOTS; i++)
		ns_fd[i] = -1;
	ns_fd[HERE] = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (ns_fd[HERE] < 0 || resolve_wg()) {
		printf("fail\tset up\t%s\n", ns_fd[HERE] < 0 ? strerror(errno) : why);
		return 1;
	}

	for (i = 0; i < n; i++) {
		int k = i % NCOMBOS;

		ncyc[k]++;
		if (cycle(i)) {
			nfail[k]++;
			failed++;
			if (!first[k] &&
			    asprintf(&first[k], "cycle %d (IPv%d): %s", i,
				     c.fam, why) < 0)
				first[k] = NULL;
		}
		cycle_end();
		if (i % 20 == 19)
			printf("diag\t%d cycles, %lld s\n", i + 1,
			       (now_ms() - t0) / 1000);
	}
	for (i = 0; i < NCOMBOS; i++) {
		if (!ncyc[i])
			continue;
		if (!nfail[i])
			printf("pass\t%s: %d cycles\n", combos[i].name, ncyc[i]);
		else
			printf("fail\t%s: %d cycles\t%d failed, the first: %s\n",
			       combos[i].name, ncyc[i], nfail[i], first[i]);
		free(first[i]);
	}
	printf("diag\t%d cycles took %lld s\n", n, (now_ms() - t0) / 1000);
	return failed ? 1 : 0;
}
