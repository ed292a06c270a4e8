// SPDX-License-Identifier: GPL-2.0
/*
 * Anti-replay sliding window (RFC 6479): a ring of bits indexed by counter.
 * Sliding the window forward clears whole words instead of shifting, so the
 * cost is bounded by the window, not by the jump.
 */

#include <linux/bitops.h>
#include "replay.h"

#define BITS_PER_WORD	BITS_PER_LONG
#define WORD_SHIFT	ilog2(BITS_PER_WORD)
#define RING_WORDS	(COUNTER_BITS_TOTAL / BITS_PER_WORD)

void wg_replay_init(struct replay_counter *r)
{
	r->counter = 0;
	memset(r->backtrack, 0, sizeof(r->backtrack));
	spin_lock_init(&r->lock);
}

bool wg_replay_check_and_mark(struct replay_counter *r, u64 counter, u64 limit)
{
	unsigned long index, index_current, top, i;
	bool fresh = false;

	spin_lock_bh(&r->lock);

	/* r->counter is one past the highest counter seen. */
	if (unlikely(r->counter >= limit || counter >= limit))
		goto out;
	if (unlikely(counter + COUNTER_WINDOW_SIZE < r->counter))
		goto out;

	index = counter >> WORD_SHIFT;
	if (likely(counter >= r->counter)) {
		/* The word of the highest counter seen, r->counter - 1: the
		 * words after it up to the new one hold stale bits.  (Not
		 * r->counter's: when that starts a word, the word would be
		 * taken as current and never cleared.)
		 */
		index_current = r->counter ? (r->counter - 1) >> WORD_SHIFT : 0;
		top = min_t(unsigned long, index - index_current, RING_WORDS);
		for (i = 1; i <= top; ++i)
			r->backtrack[(i + index_current) & (RING_WORDS - 1)] = 0;
		r->counter = counter + 1;
	}
	index &= RING_WORDS - 1;
	fresh = !test_and_set_bit(counter & (BITS_PER_WORD - 1),
				  &r->backtrack[index]);
out:
	spin_unlock_bh(&r->lock);
	return fresh;
}

#if IS_ENABLED(CONFIG_KUNIT)
#include "tests/replay_test.c"
#endif
