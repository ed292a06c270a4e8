/* SPDX-License-Identifier: GPL-2.0 */
/* Sealing a burst into data messages (seal.c). */
#ifndef _WG_SEAL_H
#define _WG_SEAL_H

#include <linux/netdevice.h>
#include <linux/skbuff.h>
#include "wire.h"

/* Room in front of a datagram for the outer headers and the link layer. */
#define WG_SEAL_HEADROOM	(LL_MAX_HEADER + WG_OUTER_ROOM)

/*
 * Seals the burst @skb, whose control block (cb.h) holds its session,
 * first nonce, message count and MTU: cb->out becomes the list of
 * datagrams to send (@skb itself when sealed in place: WG_CB_INPLACE).
 * False if memory ran out or the burst was not what it said.
 */
bool wg_seal_burst(struct sk_buff *skb);

#endif /* _WG_SEAL_H */
