/* SPDX-License-Identifier: GPL-2.0 */
/* Stand-in for the real peer.h: what allowedips.c needs, plus a test id. */
#ifndef _WG_PEER_H
#define _WG_PEER_H

#include <linux/list.h>

struct wg_peer {
	struct list_head allowedips_list;
	int id;
};

#endif /* _WG_PEER_H */
