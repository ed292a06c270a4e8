/* SPDX-License-Identifier: GPL-2.0 */
/* The anti-replay sliding window of RFC 6479 (protocol sheet: "Data"). */
#ifndef _WG_REPLAY_H
#define _WG_REPLAY_H

#include <linux/types.h>
#include <linux/spinlock.h>
#include "messages.h"

struct replay_counter {
	u64 counter;
	unsigned long backtrack[COUNTER_BITS_TOTAL / BITS_PER_LONG];
	spinlock_t lock;	/* serialises updates of the window */
};

void wg_replay_init(struct replay_counter *r);
/* True if @counter is fresh, then marks it seen; @limit is exclusive. */
bool wg_replay_check_and_mark(struct replay_counter *r, u64 counter, u64 limit);

#endif /* _WG_REPLAY_H */
