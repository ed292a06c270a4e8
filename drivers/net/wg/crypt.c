// SPDX-License-Identifier: GPL-2.0
/*
 * Per-CPU crypto workers (crypt.h). A job goes by default to the next
 * online CPU after the one handing it out: the hand-off exists to put a
 * second CPU to work, and the CPU handing out is busy already (it runs
 * the sender or the receive softirq).
 *
 * Not an unbound worker, which the scheduler would place: on 6.1 it was
 * seen runnable on the CPU that handed out the run, behind that CPU's
 * sealer, while the other CPU idled (one TCP flow, 18% slower).
 */

#include <linux/cpumask.h>
#include <linux/percpu.h>
#include <linux/workqueue.h>

#include "crypt.h"
#include "cb.h"
#include "device.h"
#include "tx.h"
#include "rx.h"

static struct sk_buff *job_skb(struct llist_node *node)
{
	struct wg_cb *cb = container_of(node, struct wg_cb, job);

	return container_of((void *)cb, struct sk_buff, cb);
}

static void worker_run(struct work_struct *work)
{
	struct wg_worker *w = container_of(work, struct wg_worker, work);
	struct llist_node *jobs, *next;
	struct sk_buff *skb;

	while ((jobs = llist_del_all(&w->jobs))) {
		/* Oldest first; a job may free its skb, so look ahead. */
		for (jobs = llist_reverse_order(jobs); jobs; jobs = next) {
			next = jobs->next;
			skb = job_skb(jobs);
			if (wg_cb(skb)->kind == WG_JOB_SEAL)
				wg_tx_seal_job(skb, next ? job_skb(next) : NULL);
			else
				wg_rx_open_job(skb);
			cond_resched();
		}
	}
}

void wg_crypt_hand_off_to(struct wg_device *wg, struct sk_buff *skb,
			  unsigned int cpu)
{
	struct wg_worker *w = per_cpu_ptr(wg->workers, cpu);

	if (llist_add(&wg_cb(skb)->job, &w->jobs))
		queue_work_on(cpu, wg->wq, &w->work);
}

bool wg_crypt_behind(struct wg_device *wg, unsigned int cpu)
{
	return !llist_empty(&per_cpu_ptr(wg->workers, cpu)->jobs);
}

int wg_crypt_init(struct wg_device *wg)
{
	int cpu;

	wg->wq = alloc_workqueue("wg-crypt", WQ_CPU_INTENSIVE | WQ_MEM_RECLAIM, 0);
	if (!wg->wq)
		return -ENOMEM;
	wg->workers = alloc_percpu(struct wg_worker);
	if (!wg->workers) {
		destroy_workqueue(wg->wq);
		return -ENOMEM;
	}
	for_each_possible_cpu(cpu) {
		struct wg_worker *w = per_cpu_ptr(wg->workers, cpu);

		init_llist_head(&w->jobs);
		INIT_WORK(&w->work, worker_run);
	}
	return 0;
}

void wg_crypt_destroy(struct wg_device *wg)
{
	destroy_workqueue(wg->wq);
	free_percpu(wg->workers);
}
