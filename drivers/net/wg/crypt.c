// SPDX-License-Identifier: GPL-2.0
/*
 * Crypto workers (crypt.h).
 *
 * A peer's bursts must leave from one CPU (sealer.c), so each goes to the
 * worker of the CPU chosen for it: one work item per CPU on a per-CPU
 * workqueue.
 *
 * A run of datagrams may be opened anywhere: the poll delivers from the
 * head of its lane, in arrival order, whoever opened what. It goes to an
 * unbound workqueue, whose worker the scheduler runs on a CPU that is
 * free, or moves to one that went idle. A worker bound to one CPU would
 * wait there behind whatever else runs on it (the sender, the receiver's
 * application, the sealer) while the other CPU idles.
 * The runs handed out on one CPU wait in one list, drained by one work
 * item, so runs handed out on two CPUs are opened on two at once.
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

static void run_jobs(struct llist_head *list)
{
	struct llist_node *jobs, *next;
	struct sk_buff *skb;

	while ((jobs = llist_del_all(list))) {
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

static void worker_run(struct work_struct *work)
{
	run_jobs(&container_of(work, struct wg_worker, work)->jobs);
}

static void loose_run(struct work_struct *work)
{
	run_jobs(&container_of(work, struct wg_worker, loose_work)->loose);
}

void wg_crypt_hand_off_to(struct wg_device *wg, struct sk_buff *skb,
			  unsigned int cpu)
{
	struct wg_worker *w = per_cpu_ptr(wg->workers, cpu);

	if (llist_add(&wg_cb(skb)->job, &w->jobs))
		queue_work_on(cpu, wg->wq, &w->work);
}

/* From the receive softirq: this CPU's list stays ours meanwhile. */
void wg_crypt_hand_off_any(struct wg_device *wg, struct sk_buff *skb)
{
	struct wg_worker *w = this_cpu_ptr(wg->workers);

	if (llist_add(&wg_cb(skb)->job, &w->loose))
		queue_work(wg->any_wq, &w->loose_work);
}

int wg_crypt_init(struct wg_device *wg)
{
	int cpu;

	wg->wq = alloc_workqueue("wg-crypt", WQ_CPU_INTENSIVE | WQ_MEM_RECLAIM, 0);
	if (!wg->wq)
		return -ENOMEM;
	wg->any_wq = alloc_workqueue("wg-crypt-any", WQ_UNBOUND | WQ_MEM_RECLAIM, 0);
	if (!wg->any_wq)
		goto err_wq;
	wg->workers = alloc_percpu(struct wg_worker);
	if (!wg->workers)
		goto err_any_wq;
	for_each_possible_cpu(cpu) {
		struct wg_worker *w = per_cpu_ptr(wg->workers, cpu);

		init_llist_head(&w->jobs);
		INIT_WORK(&w->work, worker_run);
		init_llist_head(&w->loose);
		INIT_WORK(&w->loose_work, loose_run);
	}
	return 0;

err_any_wq:
	destroy_workqueue(wg->any_wq);
err_wq:
	destroy_workqueue(wg->wq);
	return -ENOMEM;
}

void wg_crypt_destroy(struct wg_device *wg)
{
	destroy_workqueue(wg->any_wq);
	destroy_workqueue(wg->wq);
	free_percpu(wg->workers);
}
