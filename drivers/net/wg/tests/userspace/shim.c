// SPDX-License-Identifier: GPL-2.0
/* The out-of-line half of kshim.h: slab accounting and a toy QSBR RCU. */
#include "kshim.h"
#include <sched.h>

int shim_rcu_deferred;
long shim_live_objects;
long shim_fail_after = -1;

struct kmem_cache *shim_cache_create(size_t size)
{
	struct kmem_cache *c = calloc(1, sizeof(*c));

	if (c)
		c->size = size;
	return c;
}

void *kmem_cache_zalloc(struct kmem_cache *c, int gfp)
{
	void *p;

	(void)gfp;
	if (shim_fail_after >= 0 && shim_fail_after-- == 0)
		return NULL;
	p = calloc(1, c->size);
	if (p)
		__atomic_add_fetch(&shim_live_objects, 1, __ATOMIC_RELAXED);
	return p;
}

void kmem_cache_free(struct kmem_cache *c, void *p)
{
	(void)c;
	if (!p)
		return;
	__atomic_sub_fetch(&shim_live_objects, 1, __ATOMIC_RELAXED);
	free(p);
}

void kmem_cache_destroy(struct kmem_cache *c)
{
	if (shim_live_objects)
		fprintf(stderr, "%s: %ld objects live\n", __func__,
			shim_live_objects);
	free(c);
}

/*
 * QSBR: each reader thread owns a slot holding the last grace-period number
 * it has seen while quiescent, or ~0 while offline. A grace period bumps
 * the global number and waits for every slot to reach it.
 */
#define MAX_READERS 64
static u64 gp_seq;
static u64 reader_seen[MAX_READERS];
static int nr_readers;
static struct rcu_head *pending;	/* updater-only */

int shim_reader_register(void)
{
	int id = nr_readers++;

	assert(id < MAX_READERS);
	__atomic_store_n(&reader_seen[id], ~0ULL, __ATOMIC_RELEASE);
	return id;
}

void shim_quiescent(int id)
{
	u64 seq = __atomic_load_n(&gp_seq, __ATOMIC_ACQUIRE);

	__atomic_store_n(&reader_seen[id], seq, __ATOMIC_RELEASE);
}

void shim_reader_offline(int id)
{
	__atomic_store_n(&reader_seen[id], ~0ULL, __ATOMIC_RELEASE);
}

static void wait_grace_period(void)
{
	u64 seq = __atomic_add_fetch(&gp_seq, 1, __ATOMIC_ACQ_REL);
	int i;

	for (i = 0; i < nr_readers; ++i) {
		u64 seen;

		for (;;) {
			seen = __atomic_load_n(&reader_seen[i],
					       __ATOMIC_ACQUIRE);
			if (seen == ~0ULL || seen >= seq)
				break;
			sched_yield();
		}
	}
}

void call_rcu(struct rcu_head *head, void (*func)(struct rcu_head *head))
{
	if (!shim_rcu_deferred) {
		func(head);
		return;
	}
	head->func = func;
	head->next = pending;
	pending = head;
}

void synchronize_shim(void)
{
	struct rcu_head *list = pending, *next;

	pending = NULL;
	if (!list)
		return;
	wait_grace_period();
	for (; list; list = next) {
		next = list->next;
		list->func(list);
	}
}

void rcu_barrier(void)
{
	synchronize_shim();
}
