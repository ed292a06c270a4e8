// SPDX-License-Identifier: GPL-2.0
/*
 * Anti-replay sliding window (RFC 6479): a ring of bits indexed by counter.
 * Sliding the window forward clears whole words instead of shifting, so the
 * cost is bounded by the window, not by the jump.
 */

#include <linux/bitops.h>
#include <linux/log2.h>
#include <linux/minmax.h>
#include <linux/string.h>
#include "replay.h"
#include "wire.h"

#define WORD_SHIFT	ilog2(BITS_PER_LONG)
#define RING_WORDS	(WG_REPLAY_BITS / BITS_PER_LONG)

void wg_replay_init(struct wg_replay *r)
{
	r->top = 0;
	memset(r->ring, 0, sizeof(r->ring));
}

bool wg_replay_too_old(const struct wg_replay *r, u64 counter)
{
	return counter + WG_REPLAY_WINDOW < READ_ONCE(r->top);
}

bool wg_replay_check_and_mark(struct wg_replay *r, u64 counter, u64 limit)
{
	unsigned long word, cur_word, top, i;

	if (unlikely(r->top >= limit || counter >= limit))
		return false;
	if (unlikely(counter + WG_REPLAY_WINDOW < r->top))
		return false;

	word = counter >> WORD_SHIFT;
	if (likely(counter >= r->top)) {
		/* The word of the highest counter seen, top - 1: the words
		 * after it up to the new one hold stale bits.  (Not top's:
		 * when that starts a word, the word would be taken as current
		 * and never cleared.)
		 */
		cur_word = r->top ? (r->top - 1) >> WORD_SHIFT : 0;
		top = min_t(unsigned long, word - cur_word, RING_WORDS);
		for (i = 1; i <= top; ++i)
			r->ring[(i + cur_word) & (RING_WORDS - 1)] = 0;
		WRITE_ONCE(r->top, counter + 1);
	}
	return !__test_and_set_bit(counter & (BITS_PER_LONG - 1),
				   &r->ring[word & (RING_WORDS - 1)]);
}

#if IS_ENABLED(CONFIG_KUNIT)
#include "tests/replay_test.c"
#endif
