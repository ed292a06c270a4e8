/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where a peer's bursts are sealed (tx.c): by the CPU that numbered them,
 * or by the crypto worker of one CPU, the peer's sealer. A function of
 * the peer's sealer state, the tick (jiffies), the CPU asking and the CPUs
 * online, and of nothing else, so that KUnit feeds it all
 * (tests/sealer_test.c).
 */
#ifndef _WG_SEALER_H
#define _WG_SEALER_H

#include <linux/cpumask.h>
#include <linux/types.h>

/* Under peer->tx.lock. */
struct wg_sealer {
	unsigned long tick;	/* the tick that @in_tick counts bursts of */
	unsigned long handed;	/* the tick of the last burst handed out */
	u16 in_tick;
	u16 crowded;		/* small bursts in a row from the sealer's CPU */
	unsigned int cpu;	/* the sealer; nr_cpu_ids: none chosen yet */
};

/* No sealer, and the last burst handed out long before @now. */
void wg_sealer_init(struct wg_sealer *s, unsigned long now);

/*
 * A burst was just queued for the peer by CPU @here at tick @now; @alone:
 * it is the only one queued; @gso: it is a GSO super-packet. Returns the
 * CPU whose worker seals it, or nr_cpu_ids if @here seals it itself.
 */
unsigned int wg_sealer_pick(struct wg_sealer *s, unsigned long now,
			    unsigned int here, bool alone, bool gso,
			    const struct cpumask *online);

#endif /* _WG_SEALER_H */
