/* SPDX-License-Identifier: GPL-2.0 */
/* Stand-in for the real peer.h: all that allowedips.c needs of a peer. */
#ifndef _WG_PEER_H
#define _WG_PEER_H

#include <linux/list.h>

struct wg_peer {
	struct list_head allowedips_list;
};

#endif /* _WG_PEER_H */
