// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite "wg_pages" for the per-CPU stash of sealing pages (pages.c).
 *
 * Not built on its own: pages.c includes it at its end when the target
 * kernel has CONFIG_KUNIT, so it sees the stash. Each case keeps to one
 * CPU and starts from an empty stash there. An extra reference taken by
 * a case stands for an skb still holding the page.
 */

#include <kunit/test.h>

static void pt_begin(void)
{
	migrate_disable();
	local_bh_disable();
	stash_empty(this_cpu_ptr(&stashes));
	local_bh_enable();
}

static struct page *pt_get(struct kunit *test)
{
	struct page *page = wg_pages_get();

	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_EXPECT_EQ(test, compound_order(page), WG_PAGES_ORDER);
	return page;
}

static void pages_a_page_comes_back_once_only_the_stash_holds_it(struct kunit *test)
{
	struct page *p, *q, *r;

	pt_begin();
	p = pt_get(test);
	get_page(p);
	wg_pages_put(p);
	/* Still in an skb: the next page is a fresh one. */
	q = pt_get(test);
	KUNIT_EXPECT_PTR_NE(test, q, p);
	wg_pages_put(q);
	put_page(p);
	/* Now p, the oldest, is the stash's alone. */
	r = pt_get(test);
	KUNIT_EXPECT_PTR_EQ(test, r, p);
	KUNIT_EXPECT_EQ(test, page_ref_count(r), 1);
	wg_pages_put(r);
	pt_begin();
	migrate_enable();
}

static void pages_the_oldest_is_let_go_when_the_stash_is_full(struct kunit *test)
{
	struct page *held[KEEP + 1];
	unsigned int i;

	pt_begin();
	for (i = 0; i < ARRAY_SIZE(held); i++) {
		held[i] = pt_get(test);
		get_page(held[i]);
		wg_pages_put(held[i]);
	}
	/* The first went out with the last in: only our reference is left. */
	KUNIT_EXPECT_EQ(test, page_ref_count(held[0]), 1);
	for (i = 1; i < ARRAY_SIZE(held); i++)
		KUNIT_EXPECT_EQ(test, page_ref_count(held[i]), 2);
	for (i = 0; i < ARRAY_SIZE(held); i++)
		put_page(held[i]);
	pt_begin();
	migrate_enable();
}

static void pages_of_another_size_are_not_kept(struct kunit *test)
{
	struct page *page = alloc_page(GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, page);
	pt_begin();
	get_page(page);
	wg_pages_put(page);
	KUNIT_EXPECT_EQ(test, page_ref_count(page), 1);
	KUNIT_EXPECT_EQ(test, this_cpu_ptr(&stashes)->n, 0U);
	migrate_enable();
	put_page(page);
}

static void pages_an_idle_stash_gives_its_pages_back(struct kunit *test)
{
	struct stash *st;
	struct page *p;

	pt_begin();
	st = this_cpu_ptr(&stashes);
	p = pt_get(test);
	get_page(p);
	wg_pages_put(p);
	/* Used just now: the stash keeps the page. */
	stash_idle(&st->idle.work);
	KUNIT_EXPECT_EQ(test, st->n, 1U);
	KUNIT_EXPECT_EQ(test, page_ref_count(p), 2);
	/* A second and more ago: it lets go. */
	st->used = jiffies - IDLE - 1;
	stash_idle(&st->idle.work);
	KUNIT_EXPECT_EQ(test, st->n, 0U);
	KUNIT_EXPECT_EQ(test, page_ref_count(p), 1);
	migrate_enable();
	put_page(p);
}

static struct kunit_case pages_cases[] = {
	KUNIT_CASE(pages_a_page_comes_back_once_only_the_stash_holds_it),
	KUNIT_CASE(pages_the_oldest_is_let_go_when_the_stash_is_full),
	KUNIT_CASE(pages_of_another_size_are_not_kept),
	KUNIT_CASE(pages_an_idle_stash_gives_its_pages_back),
	{}
};

static struct kunit_suite pages_suite = {
	.name = "wg_pages",
	.test_cases = pages_cases,
};

kunit_test_suite(pages_suite);
