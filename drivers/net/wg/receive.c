// SPDX-License-Identifier: GPL-2.0
/* The receive path: encap_rcv -> classify -> handshake or decrypt -> deliver. */

#include <linux/skbuff.h>
#include <net/sock.h>

#include "receive.h"
#include "device.h"

int wg_receive(struct sock *sk, struct sk_buff *skb)
{
	struct wg_device *wg = rcu_dereference_sk_user_data(sk);

	if (wg)
		DEV_STATS_INC(wg->dev, rx_dropped);
	kfree_skb(skb);
	return 0;
}
