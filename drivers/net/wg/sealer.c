// SPDX-License-Identifier: GPL-2.0
/*
 * Where a peer's bursts are sealed (sealer.h).
 *
 * A single packet is sealed by its sender while the peer sends a few per
 * tick: the cheapest way, and the fastest for a ping or an ACK. A GSO
 * burst goes to a worker, and so does every packet of a peer that sends
 * more (it is streaming) or handed a burst out in this tick or the last:
 * a second CPU shares the work and takes small packets in batches.
 * Once a peer has a sealer, a packet is sealed by its sender only on the
 * sealer's CPU, or after the peer rested: sent from another CPU, it could
 * overtake the sealer's last bursts, which may take longer than a tick to
 * get through the receiver (they wait there for a worker to open them).
 *
 * A burst is sent by the CPU that seals it (or by one sealing a later
 * burst), and a software path to the receiver (veth, loopback) queues
 * each datagram on the CPU that sent it: a peer's bursts sent from two
 * CPUs could overtake each other there, which TCP takes for loss. So a
 * peer's bursts all go to one worker, its sealer, the next CPU after the
 * one that handed out the first. The sealer moves when its CPU goes
 * offline, or when the sender runs on it after the peer rested
 * (WG_SEALER_REST without a burst handed out): by then none of its
 * datagrams still waits on the way.
 *
 * It also moves when the sender has handed it WG_SEALER_CROWDED small
 * packets in a row from the sealer's own CPU: the scheduler tends to wake
 * a blocked sender where its datagrams are received, which on a software
 * path is the sealer's CPU, and then one CPU sends, seals and receives
 * while the other idles (64-byte UDP, 6.12 over veth: 47148 -> 54155
 * pkt/s). A few datagrams of such a stream may then overtake each other
 * on the way; GSO bursts, TCP's bulk, never move a sealer this way.
 */

#include <linux/jiffies.h>

#include "sealer.h"
#include "crypt.h"

#define WG_INLINE_PER_TICK	16
#define WG_SEALER_REST		HZ
#define WG_SEALER_CROWDED	256

void wg_sealer_init(struct wg_sealer *s, unsigned long now)
{
	s->tick = now;
	s->in_tick = 0;
	s->crowded = 0;
	s->handed = now - 2;
	s->cpu = nr_cpu_ids;
}

unsigned int wg_sealer_pick(struct wg_sealer *s, unsigned long now,
			    unsigned int here, bool alone, bool gso,
			    const struct cpumask *online)
{
	bool rested;

	if (s->tick != now) {
		s->tick = now;
		s->in_tick = 0;
	}
	rested = time_after(now, s->handed + WG_SEALER_REST);
	if (s->in_tick < U16_MAX)
		++s->in_tick;
	if (s->in_tick <= WG_INLINE_PER_TICK && alone && !gso &&
	    time_after(now, s->handed + 1) &&
	    (here == s->cpu || s->cpu >= nr_cpu_ids || rested))
		return nr_cpu_ids;

	if (here == s->cpu && !gso)
		++s->crowded;
	else
		s->crowded = 0;
	if (s->cpu >= nr_cpu_ids || !cpumask_test_cpu(s->cpu, online) ||
	    (alone && rested && s->cpu == here) ||
	    s->crowded >= WG_SEALER_CROWDED) {
		s->cpu = wg_crypt_cpu_after(here, online);
		s->crowded = 0;
	}
	s->handed = now;
	return s->cpu;
}

#if IS_ENABLED(CONFIG_KUNIT)
#include "tests/sealer_test.c"
#endif
