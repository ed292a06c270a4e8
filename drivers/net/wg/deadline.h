/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The protocol's timer rules (protocol sheet: "Timers") as one pure
 * function: from a peer's timestamps and a time "now", which actions are
 * due and when the next one will be. A peer has a single kernel timer
 * (timers.c), armed for that next deadline; the data path only writes
 * timestamps, and re-arms nothing per packet.
 *
 * Every time is ktime_get_coarse_boottime_ns() (suspend counts); 0 means
 * "not now / never".
 */
#ifndef _WG_DEADLINE_H
#define _WG_DEADLINE_H

#include <linux/types.h>

struct wg_clock {
	/* A handshake we started and that has not completed: when its
	 * first initiation left, and when the latest (re)try left.
	 */
	u64 attempt_started;
	u64 init_sent;
	u32 jitter_ms;		/* added to this retry's timeout */
	/* First data message sent since we last heard anything
	 * authenticated from the peer (the peer may be gone).
	 */
	u64 unanswered_since;
	/* First data message received since we last sent anything
	 * authenticated (we owe the peer a keepalive).
	 */
	u64 unacked_since;
	/* Last authenticated message either way (persistent keepalive). */
	u64 last_traffic;
	/* Last session derived; keys are zeroed WG_ZERO_KEYS_AFTER later. */
	u64 session_born;
	u16 persistent_keepalive;	/* seconds; 0: off */
};

enum wg_due {
	WG_DUE_RETRY		= 1 << 0,	/* send the initiation again */
	WG_DUE_GIVE_UP		= 1 << 1,	/* stop retrying, drop staged packets */
	WG_DUE_KEEPALIVE	= 1 << 2,	/* answer received data */
	WG_DUE_NEW_HANDSHAKE	= 1 << 3,	/* sent data, heard nothing */
	WG_DUE_ZERO_KEYS	= 1 << 4,	/* wipe every key and handshake */
	WG_DUE_PERSISTENT	= 1 << 5,	/* persistent keepalive */
};

/*
 * The actions of enum wg_due due at @now, and in *@next the earliest
 * deadline after @now of those not due (0: none). The caller performs the
 * actions and updates @c accordingly (sending sets init_sent, last_traffic,
 * and so on); RETRY and GIVE_UP are never both due.
 */
unsigned int wg_deadline_due(const struct wg_clock *c, u64 now, u64 *next);

#endif /* _WG_DEADLINE_H */
