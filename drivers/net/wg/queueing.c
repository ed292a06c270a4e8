// SPDX-License-Identifier: GPL-2.0
/* Device-wide crypt rings with per-CPU workers, and per-peer ordering. */

#include <linux/cpumask.h>
#include <linux/percpu.h>
#include <linux/ptr_ring.h>

#include "queueing.h"
#include "device.h"
#include "noise.h"

int wg_crypt_queue_init(struct crypt_queue *queue, work_func_t function,
			unsigned int len)
{
	int ret, cpu;

	ret = ptr_ring_init(&queue->ring, len, GFP_KERNEL);
	if (ret)
		return ret;
	queue->worker = alloc_percpu(struct multicore_worker);
	if (!queue->worker) {
		ptr_ring_cleanup(&queue->ring, NULL);
		return -ENOMEM;
	}
	for_each_possible_cpu(cpu) {
		per_cpu_ptr(queue->worker, cpu)->ptr = queue;
		INIT_WORK(&per_cpu_ptr(queue->worker, cpu)->work, function);
	}
	queue->last_cpu = -1;
	return 0;
}

void wg_ring_free_skb(void *ptr)
{
	kfree_skb(ptr);
}

/* @purge: the ring owns what is left (handshakes); else its peers do. */
void wg_crypt_queue_free(struct crypt_queue *queue, bool purge)
{
	free_percpu(queue->worker);
	WARN_ON(!purge && !__ptr_ring_empty(&queue->ring));
	ptr_ring_cleanup(&queue->ring, purge ? wg_ring_free_skb : NULL);
}

/* Spreads work round-robin over the online CPUs. */
static int next_cpu(int *last_cpu)
{
	int cpu = READ_ONCE(*last_cpu);

	cpu = cpumask_next(cpu, cpu_online_mask);
	if (cpu >= nr_cpu_ids)
		cpu = cpumask_first(cpu_online_mask);
	WRITE_ONCE(*last_cpu, cpu);
	return cpu;
}

bool wg_crypt_queue_produce(struct crypt_queue *queue, void *ptr)
{
	return !ptr_ring_produce_bh(&queue->ring, ptr);
}

/*
 * A batch of packets wakes one worker per CPU at most, not one per packet:
 * every worker drains the shared ring, so the batch still spreads out.
 */
void wg_crypt_queue_kick(struct crypt_queue *queue,
			 struct workqueue_struct *wq, unsigned int count)
{
	int cpu;

	count = min(count, num_online_cpus());
	while (count--) {
		cpu = next_cpu(&queue->last_cpu);
		queue_work_on(cpu, wq, &per_cpu_ptr(queue->worker, cpu)->work);
	}
}

void wg_peer_queue_enqueue(struct sk_buff_head *queue, struct sk_buff *skb)
{
	atomic_set(&PACKET_CB(skb)->state, PACKET_STATE_UNCRYPTED);
	skb_queue_tail(queue, skb);
}

struct sk_buff *wg_peer_queue_dequeue_done(struct sk_buff_head *queue,
					   enum packet_state *state)
{
	struct sk_buff *skb;
	unsigned long flags;

	spin_lock_irqsave(&queue->lock, flags);
	skb = skb_peek(queue);
	if (skb) {
		*state = atomic_read_acquire(&PACKET_CB(skb)->state);
		if (*state == PACKET_STATE_UNCRYPTED)
			skb = NULL;
		else
			__skb_unlink(skb, queue);
	}
	spin_unlock_irqrestore(&queue->lock, flags);
	return skb;
}

void wg_peer_queue_purge(struct sk_buff_head *queue)
{
	struct sk_buff *skb;

	while ((skb = skb_dequeue(queue))) {
		wg_noise_keypair_put(PACKET_CB(skb)->keypair, false);
		kfree_skb(skb);
	}
}
