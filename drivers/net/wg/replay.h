/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The anti-replay sliding window of RFC 6479 (protocol sheet: "Data").
 * No lock of its own: the owner serialises wg_replay_check_and_mark();
 * wg_replay_too_old() may race with it and only ever errs towards letting
 * a message through to the authoritative check.
 */
#ifndef _WG_REPLAY_H
#define _WG_REPLAY_H

#include <linux/types.h>

/* 8192 bits less one word of slack (the word being cleared). */
#define WG_REPLAY_BITS		8192
#define WG_REPLAY_WINDOW	(WG_REPLAY_BITS - BITS_PER_LONG)

struct wg_replay {
	u64 top;	/* one past the highest counter accepted */
	unsigned long ring[WG_REPLAY_BITS / BITS_PER_LONG];
};

void wg_replay_init(struct wg_replay *r);
/* True if @counter is fresh, then marks it seen; @limit is exclusive. */
bool wg_replay_check_and_mark(struct wg_replay *r, u64 counter, u64 limit);
/* True if @counter is already behind the window: no use decrypting it. */
bool wg_replay_too_old(const struct wg_replay *r, u64 counter);

#endif /* _WG_REPLAY_H */
