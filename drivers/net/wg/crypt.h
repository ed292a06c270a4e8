/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The crypto workers: one work item per CPU and device, each draining a
 * list of jobs (cb.h) that sealing (tx.c) and opening (rx.c) hand out.
 * A job is one burst or one run of datagrams: one list entry and at most
 * one wakeup, however many messages it holds.
 */
#ifndef _WG_CRYPT_H
#define _WG_CRYPT_H

#include <linux/cpumask.h>
#include <linux/skbuff.h>

struct wg_device;

int wg_crypt_init(struct wg_device *wg);
/* After the last job was handed out: waits for the workers, frees. */
void wg_crypt_destroy(struct wg_device *wg);

/* The next CPU of @online after @cpu, from the first after the last. */
static inline unsigned int wg_crypt_cpu_after(unsigned int cpu,
					      const struct cpumask *online)
{
	unsigned int next = cpumask_next(cpu, online);

	return next < nr_cpu_ids ? next : cpumask_first(online);
}

/* The next online CPU after this one, the default for a hand-off. */
static inline unsigned int wg_crypt_next_cpu(void)
{
	return wg_crypt_cpu_after(smp_processor_id(), cpu_online_mask);
}

/* Whether jobs wait for the worker of @cpu that it has not started. */
bool wg_crypt_behind(struct wg_device *wg, unsigned int cpu);

/* Hands @skb (its cb's kind says what to do) to the worker of @cpu. */
void wg_crypt_hand_off_to(struct wg_device *wg, struct sk_buff *skb,
			  unsigned int cpu);

#endif /* _WG_CRYPT_H */
