// SPDX-License-Identifier: GPL-2.0
/*
 * Sealing a burst (seal.h): turning an inner packet, or a GSO super-packet,
 * into data messages in the buffers that will leave.
 *
 * A single packet is sealed where it stands when the skb is ours to write,
 * else in a copy. A GSO burst is cut into its segments right into the
 * outgoing pages: for each segment the headers are written from the
 * super-packet's, fixed up (lengths, sequence number, IP id, flags), the
 * payload is copied with its checksum computed on the way, and the whole
 * is encrypted in place. No skb per segment is ever made. Messages of one
 * size fill page fragments of one skb, which then leaves as one UDP GSO
 * datagram; no message straddles two fragments, so that each is one
 * contiguous piece for the cipher, here and at the other end.
 *
 * What this file does not know how to cut (other GSO kinds, IPv6
 * extension headers) the kernel's GSO code cuts, and each segment is then
 * copied with its checksum and sealed the same way.
 */

#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/skbuff.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <net/checksum.h>
#include <net/ip6_checksum.h>
#include <crypto/chacha20poly1305.h>

#include "seal.h"
#include "cb.h"
#include "pages.h"
#include "session.h"
#include "wire.h"
#include "compat.h"

/* Headers we cut ourselves: IPv4 with options and TCP with options fit. */
#define MAX_HEADERS	128
/*
 * One UDP GSO datagram: what an IPv4 datagram can carry after the UDP
 * header, in at most the segments every supported kernel accepts.
 */
#define OUT_GSO_BYTES	(IP_MAX_MTU - sizeof(struct iphdr) - sizeof(struct udphdr))
#define OUT_GSO_SEGS	64

/* Zero padding to a multiple of 16, but never past the MTU. */
static unsigned int padded(unsigned int len, unsigned int mtu)
{
	unsigned int p = ALIGN(len, WG_PAD_MULTIPLE);

	if (mtu && p > mtu)
		p = max(len, mtu);
	return p;
}

static void write_header(struct wg_msg_data *msg, struct wg_session *s,
			 u64 nonce)
{
	msg->type = wg_msg_type_word(WG_MSG_DATA);
	msg->receiver = s->remote;
	msg->counter = cpu_to_le64(nonce);
}

/* A single packet. */
static bool seal_one(struct sk_buff *skb, struct wg_cb *cb)
{
	struct wg_session *s = cb->session;
	unsigned int len, plen, tail;
	struct sk_buff *out = skb;
	struct wg_msg_data *msg;

	if (skb->ip_summed == CHECKSUM_PARTIAL && skb_checksum_help(skb))
		return false;
	len = skb->len;
	plen = padded(len, cb->mtu);
	tail = plen - len + WG_TAG_SIZE;
	if (skb_cloned(skb) || skb_is_nonlinear(skb) ||
	    skb_headroom(skb) < WG_SEAL_HEADROOM + WG_DATA_HEADER_SIZE ||
	    skb_tailroom(skb) < tail) {
		out = skb_copy_expand(skb, WG_SEAL_HEADROOM + WG_DATA_HEADER_SIZE,
				      tail, GFP_ATOMIC);
		if (!out)
			return false;
	}
	skb_put_zero(out, plen - len);
	chacha20poly1305_encrypt(out->data, out->data, plen, NULL, 0,
				 cb->nonce, s->send_key);
	skb_put(out, WG_TAG_SIZE);
	msg = skb_push(out, WG_DATA_HEADER_SIZE);
	write_header(msg, s, cb->nonce);
	skb_reset_network_header(out);
	/* In place, its list pointers are the tx queue's until it is sent. */
	if (out == skb)
		cb->flags |= WG_CB_INPLACE;
	cb->out = out;
	return true;
}

/*
 * The datagrams a GSO burst becomes, as they are filled: cur holds only
 * headroom in its head and the messages in page fragments.
 */
struct outbox {
	struct sk_buff *head;
	struct sk_buff **tail;
	struct sk_buff *cur;	/* being filled */
	unsigned int size;	/* of cur's messages */
	unsigned int n;		/* messages in cur */
	bool closed;		/* cur took a shorter last message */
	struct page *page;	/* being filled; our reference */
	unsigned int used, room;
};

static void outbox_close(struct outbox *ob)
{
	struct sk_buff *skb = ob->cur;

	if (!skb)
		return;
	if (ob->n > 1) {
		skb_shinfo(skb)->gso_size = ob->size;
		skb_shinfo(skb)->gso_type = SKB_GSO_UDP_L4;
		skb_shinfo(skb)->gso_segs = ob->n;
	}
	*ob->tail = skb;
	ob->tail = &skb->next;
	ob->cur = NULL;
}

/* A message past the stash's pages (a jumbo MTU) gets a page of its own. */
static bool outbox_page(struct outbox *ob, unsigned int size)
{
	unsigned int order = get_order(size);
	struct page *page;

	if (ob->page)
		wg_pages_put(ob->page);
	ob->page = NULL;
	if (order <= WG_PAGES_ORDER)
		page = wg_pages_get();
	else
		page = alloc_pages(GFP_ATOMIC | __GFP_COMP, order);
	if (!page && order < WG_PAGES_ORDER)
		page = alloc_pages(GFP_ATOMIC | __GFP_COMP, order);
	if (!page)
		return false;
	ob->page = page;
	ob->used = 0;
	ob->room = page_size(page);
	return true;
}

/* Room for one message of @size bytes. */
static u8 *outbox_room(struct outbox *ob, unsigned int size)
{
	struct skb_shared_info *si;
	unsigned int i;
	u8 *p;

	if (ob->cur && (ob->closed || size > ob->size || ob->n == OUT_GSO_SEGS ||
			ob->cur->len + size > OUT_GSO_BYTES))
		outbox_close(ob);
	if (!ob->page || ob->room - ob->used < size) {
		if (!outbox_page(ob, size))
			return NULL;
		/* A fresh page is a fresh fragment. */
		if (ob->cur && skb_shinfo(ob->cur)->nr_frags == MAX_SKB_FRAGS)
			outbox_close(ob);
	}
	if (!ob->cur) {
		ob->cur = alloc_skb(WG_SEAL_HEADROOM, GFP_ATOMIC);
		if (!ob->cur)
			return NULL;
		skb_reserve(ob->cur, WG_SEAL_HEADROOM);
		ob->size = size;
		ob->n = 0;
		ob->closed = false;
	}
	si = skb_shinfo(ob->cur);
	i = si->nr_frags;
	if (i && skb_frag_page(&si->frags[i - 1]) == ob->page &&
	    skb_frag_off(&si->frags[i - 1]) + skb_frag_size(&si->frags[i - 1]) ==
	    ob->used) {
		skb_frag_size_add(&si->frags[i - 1], size);
	} else {
		get_page(ob->page);
		skb_fill_page_desc(ob->cur, i, ob->page, ob->used, size);
	}
	ob->cur->len += size;
	ob->cur->data_len += size;
	ob->cur->truesize += size;
	/* A shorter message may end a GSO datagram, never sit inside one. */
	if (size < ob->size)
		ob->closed = true;
	++ob->n;
	p = page_address(ob->page) + ob->used;
	ob->used += size;
	return p;
}

static void outbox_finish(struct outbox *ob, struct wg_cb *cb, bool ok)
{
	outbox_close(ob);
	*ob->tail = NULL;
	if (ob->page)
		wg_pages_put(ob->page);
	cb->out = ob->head;
	if (!ok) {
		kfree_skb_list(ob->head);
		cb->out = NULL;
	}
}

/* Pads and encrypts the message at @msg whose plaintext is @len bytes. */
static void seal_message(struct wg_msg_data *msg, unsigned int len,
			 unsigned int plen, struct wg_session *s, u64 nonce)
{
	write_header(msg, s, nonce);
	memset(msg->sealed + len, 0, plen - len);
	chacha20poly1305_encrypt(msg->sealed, msg->sealed, plen, NULL, 0,
				 nonce, s->send_key);
}

/* What cut_here() needs to know of a super-packet's headers. */
struct cut {
	u8 hdr[MAX_HEADERS];
	unsigned int hlen;	/* network + transport headers */
	unsigned int thoff;	/* transport header's offset */
	unsigned int mss;
	bool v6, tcp, fixedid;
};

static bool cut_prepare(struct sk_buff *skb, struct cut *c)
{
	unsigned int type = skb_shinfo(skb)->gso_type;

	c->mss = skb_shinfo(skb)->gso_size;
	c->thoff = skb_transport_offset(skb);
	c->tcp = type & (SKB_GSO_TCPV4 | SKB_GSO_TCPV6);
	c->fixedid = type & SKB_GSO_TCP_FIXEDID;
	if (skb_network_offset(skb) || !c->mss ||
	    !(type & (SKB_GSO_TCPV4 | SKB_GSO_TCPV6 | SKB_GSO_UDP_L4)) ||
	    (type & SKB_GSO_PARTIAL))
		return false;
	if (skb->protocol == htons(ETH_P_IP)) {
		c->v6 = false;
		if (c->thoff < sizeof(struct iphdr) ||
		    ip_hdr(skb)->protocol != (c->tcp ? IPPROTO_TCP : IPPROTO_UDP))
			return false;
	} else {
		/* No extension headers: the pseudo-header is then plain. */
		c->v6 = true;
		if (c->thoff != sizeof(struct ipv6hdr) ||
		    ipv6_hdr(skb)->nexthdr != (c->tcp ? IPPROTO_TCP : IPPROTO_UDP))
			return false;
	}
	c->hlen = c->thoff + (c->tcp ? tcp_hdrlen(skb) : sizeof(struct udphdr));
	if (c->hlen > MAX_HEADERS || c->hlen >= skb->len)
		return false;
	return !skb_copy_bits(skb, 0, c->hdr, c->hlen);
}

/*
 * Writes segment @i (of @n) of the super-packet into @p: headers fixed up
 * for it, payload copied with its checksum, transport checksum filled in.
 * @len is the segment's payload.
 */
static void cut_here(struct sk_buff *skb, const struct cut *c, u8 *p,
		     unsigned int i, unsigned int n, unsigned int len)
{
	unsigned int tlen = c->hlen - c->thoff + len;
	u8 *th = p + c->thoff;
	__wsum csum;
	__sum16 *check;

	memcpy(p, c->hdr, c->hlen);
	if (!c->v6) {
		struct iphdr *iph = (struct iphdr *)p;

		iph->tot_len = htons(c->hlen + len);
		if (!c->fixedid)
			iph->id = htons(ntohs(iph->id) + i);
		iph->check = 0;
		iph->check = ip_fast_csum(iph, iph->ihl);
	} else {
		((struct ipv6hdr *)p)->payload_len = htons(tlen);
	}
	if (c->tcp) {
		struct tcphdr *t = (struct tcphdr *)th;

		t->seq = htonl(ntohl(t->seq) + i * c->mss);
		if (i)
			t->cwr = 0;
		if (i != n - 1) {
			t->fin = 0;
			t->psh = 0;
		}
		check = &t->check;
	} else {
		struct udphdr *u = (struct udphdr *)th;

		u->len = htons(tlen);
		check = &u->check;
	}
	*check = 0;
	csum = skb_copy_and_csum_bits(skb, c->hlen + i * c->mss, p + c->hlen,
				      len);
	csum = csum_partial(th, c->hlen - c->thoff, csum);
	if (!c->v6)
		*check = csum_tcpudp_magic(((struct iphdr *)p)->saddr,
					   ((struct iphdr *)p)->daddr, tlen,
					   c->tcp ? IPPROTO_TCP : IPPROTO_UDP,
					   csum);
	else
		*check = csum_ipv6_magic(&((struct ipv6hdr *)p)->saddr,
					 &((struct ipv6hdr *)p)->daddr, tlen,
					 c->tcp ? IPPROTO_TCP : IPPROTO_UDP,
					 csum);
	if (!c->tcp && !*check)
		*check = CSUM_MANGLED_0;
}

static bool seal_cut(struct sk_buff *skb, struct wg_cb *cb, struct cut *c)
{
	struct outbox ob = { .tail = &ob.head };
	unsigned int i, n = cb->count, payload = skb->len - c->hlen;
	struct wg_session *s = cb->session;
	bool ok = true;

	if (DIV_ROUND_UP(payload, c->mss) != n)
		return false;
	for (i = 0; i < n; ++i) {
		unsigned int len = min(c->mss, payload - i * c->mss);
		unsigned int plen = padded(c->hlen + len, cb->mtu);
		struct wg_msg_data *msg;

		msg = (void *)outbox_room(&ob, WG_DATA_SIZE(plen));
		if (!msg) {
			ok = false;
			break;
		}
		cut_here(skb, c, msg->sealed, i, n, len);
		seal_message(msg, c->hlen + len, plen, s, cb->nonce + i);
	}
	outbox_finish(&ob, cb, ok);
	return ok;
}

/* The kernel cuts, we copy each segment with its checksum and seal it. */
static bool seal_segments(struct sk_buff *skb, struct wg_cb *cb)
{
	struct outbox ob = { .tail = &ob.head };
	struct wg_session *s = cb->session;
	struct sk_buff *segs, *seg, *next;
	unsigned int left = cb->count;
	u64 nonce = cb->nonce;
	bool ok = true;

	segs = skb_gso_segment(skb, NETIF_F_SG | NETIF_F_HW_CSUM);
	if (IS_ERR_OR_NULL(segs))
		return false;
	skb_list_walk_safe(segs, seg, next) {
		unsigned int len = seg->len, plen = padded(len, cb->mtu);
		struct wg_msg_data *msg = NULL;

		if (ok && left)
			msg = (void *)outbox_room(&ob, WG_DATA_SIZE(plen));
		if (msg) {
			--left;
			skb_copy_and_csum_dev(seg, msg->sealed);
			seal_message(msg, len, plen, s, nonce++);
		} else {
			ok = false;
		}
		consume_skb(seg);
	}
	outbox_finish(&ob, cb, ok);
	return ok;
}

bool wg_seal_burst(struct sk_buff *skb)
{
	struct wg_cb *cb = wg_cb(skb);
	struct cut c;
	bool ok;

	cb->out = NULL;
	if (!skb_is_gso(skb))
		return seal_one(skb, cb);
	if (cut_prepare(skb, &c))
		return seal_cut(skb, cb, &c);
	{
		/* skb_gso_segment() borrows the control block's tail. */
		struct wg_cb saved = *cb;

		ok = seal_segments(skb, cb);
		saved.out = cb->out;
		*cb = saved;
	}
	return ok;
}
