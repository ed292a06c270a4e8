// SPDX-License-Identifier: GPL-2.0
/*
 * The pages sealed messages are written into (pages.h). A fresh page
 * costs more than its allocation: the allocator zeroes it first
 * (init_on_alloc, on in Debian's kernels), only for the cipher to
 * overwrite every byte. So each CPU keeps the last pages its bursts
 * filled, oldest first, and takes the oldest back once the datagrams
 * made of it are gone, that is once ours is the only reference left: the
 * test skb_page_frag_refill() makes of a socket's page. While the oldest
 * is still held (a receive queue not yet read) a fresh page is allocated,
 * and the oldest is let go when a newer one needs its place. A CPU's
 * stash left alone for a second gives its pages back (a tick of the
 * system workqueue on that CPU).
 *
 * The stash is touched with softirqs held off: sealing runs in workers
 * and, for a packet sent inline, in softirq context on the same CPU.
 */

#include <linux/bottom_half.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/workqueue.h>

#include "pages.h"

/*
 * 512 KiB a CPU at most. One TCP flow at 170 Mbit/s through veth or
 * loopback (selftests/bench) had fewer than 16 pages in flight: 99.7% of
 * pages came back from the stash; with 8, two in three.
 */
#define KEEP	16

/* Emptied after this long without a page taken or given back. */
#define IDLE	HZ

struct stash {
	struct page *page[KEEP];
	unsigned int first, n;
	unsigned long used;	/* jiffies */
	struct delayed_work idle;
};

static DEFINE_PER_CPU(struct stash, stashes);

/* The oldest page out of @st, which has one. */
static struct page *stash_pop(struct stash *st)
{
	struct page *page = st->page[st->first];

	st->first = (st->first + 1) % KEEP;
	st->n--;
	return page;
}

static void stash_empty(struct stash *st)
{
	while (st->n)
		put_page(stash_pop(st));
}

struct page *wg_pages_get(void)
{
	struct page *page = NULL;
	struct stash *st;

	local_bh_disable();
	st = this_cpu_ptr(&stashes);
	st->used = jiffies;
	if (st->n && page_ref_count(st->page[st->first]) == 1)
		page = stash_pop(st);
	local_bh_enable();
	if (page)
		return page;
	return alloc_pages(GFP_ATOMIC | __GFP_COMP | __GFP_NOWARN |
			   __GFP_NORETRY, WG_PAGES_ORDER);
}

void wg_pages_put(struct page *page)
{
	struct page *old = NULL;
	struct stash *st;

	if (compound_order(page) != WG_PAGES_ORDER ||
	    page_is_pfmemalloc(page)) {
		put_page(page);
		return;
	}
	local_bh_disable();
	st = this_cpu_ptr(&stashes);
	if (st->n == KEEP)
		old = stash_pop(st);
	st->page[(st->first + st->n) % KEEP] = page;
	st->n++;
	st->used = jiffies;
	schedule_delayed_work_on(smp_processor_id(), &st->idle, IDLE);
	local_bh_enable();
	if (old)
		put_page(old);
}

static void stash_idle(struct work_struct *work)
{
	struct stash *st = container_of(to_delayed_work(work), struct stash,
					idle);
	long left;

	local_bh_disable();
	/* Run elsewhere, its CPU gone: the stash waits for the module's end. */
	if (st == this_cpu_ptr(&stashes)) {
		left = (long)(st->used + IDLE - jiffies);
		if (left > 0)
			schedule_delayed_work_on(smp_processor_id(), &st->idle,
						 left);
		else
			stash_empty(st);
	}
	local_bh_enable();
}

void wg_pages_init(void)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu)
		INIT_DELAYED_WORK(&per_cpu_ptr(&stashes, cpu)->idle, stash_idle);
}

void wg_pages_uninit(void)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu) {
		struct stash *st = per_cpu_ptr(&stashes, cpu);

		cancel_delayed_work_sync(&st->idle);
		stash_empty(st);
	}
}

#if IS_ENABLED(CONFIG_KUNIT)
#include "tests/pages_test.c"
#endif
