/* SPDX-License-Identifier: GPL-2.0 */
/*
 * How packets travel between the stages of the data path.
 *
 * A data packet sits in two places at once: in its peer's tx_queue or
 * rx_queue, which fixes its order, and in a device-wide crypt ring, from
 * which any CPU's worker may take it. The worker only changes the packet's
 * state; the peer's serial stage (tx work or NAPI poll) is the one owner
 * that dequeues and frees, in order, every packet whose crypto is done.
 */
#ifndef _WG_QUEUEING_H
#define _WG_QUEUEING_H

#include <linux/skbuff.h>
#include <linux/ptr_ring.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <net/ip_tunnels.h>

struct wg_device;
struct wg_peer;
struct noise_keypair;
struct crypt_queue;

enum packet_state {
	PACKET_STATE_UNCRYPTED,
	PACKET_STATE_CRYPTED,
	PACKET_STATE_DEAD,
};

struct packet_cb {
	u64 nonce;
	struct noise_keypair *keypair;	/* one reference per packet */
	atomic_t state;
	u32 mtu;
	u32 inner_len;		/* bytes of the inner packet, for stats */
	u8 ds;			/* outer DS field: to set on send, seen on receive */
	bool vetted;		/* handshake: mac2 and rate checked on arrival */
};

#define PACKET_CB(skb) ((struct packet_cb *)((skb)->cb))
#define PACKET_PEER(skb) (PACKET_CB(skb)->keypair->entry.peer)

static inline __be16 wg_examine_packet_protocol(struct sk_buff *skb)
{
	if (skb_network_header(skb) >= skb->head &&
	    (skb_network_header(skb) + sizeof(struct iphdr)) <=
		    skb_tail_pointer(skb) &&
	    ip_hdr(skb)->version == 4)
		return htons(ETH_P_IP);
	if (skb_network_header(skb) >= skb->head &&
	    (skb_network_header(skb) + sizeof(struct ipv6hdr)) <=
		    skb_tail_pointer(skb) &&
	    ipv6_hdr(skb)->version == 6)
		return htons(ETH_P_IPV6);
	return 0;
}

int wg_crypt_queue_init(struct crypt_queue *queue, work_func_t function,
			unsigned int len);
void wg_crypt_queue_free(struct crypt_queue *queue, bool purge);
/* For ptr_ring_cleanup() of a ring of skbs it owns. */
void wg_ring_free_skb(void *ptr);
/* Puts @ptr on the ring for any CPU's worker; false if the ring is full. */
bool wg_crypt_queue_produce(struct crypt_queue *queue, void *ptr);

/* Wakes workers on up to @count CPUs, round-robin, to drain the ring. */
void wg_crypt_queue_kick(struct crypt_queue *queue,
			 struct workqueue_struct *wq, unsigned int count);

/* Serial stage of a peer: queue a packet in order, and mark it done. */
void wg_peer_queue_enqueue(struct sk_buff_head *queue, struct sk_buff *skb);
static inline void wg_packet_set_state(struct sk_buff *skb,
				       enum packet_state state)
{
	atomic_set_release(&PACKET_CB(skb)->state, state);
}

/* Dequeues the head if its crypto is done; NULL otherwise. */
struct sk_buff *wg_peer_queue_dequeue_done(struct sk_buff_head *queue,
					   enum packet_state *state);
/* Frees every packet of a stopped peer (its crypto must be done). */
void wg_peer_queue_purge(struct sk_buff_head *queue);

#endif /* _WG_QUEUEING_H */
