/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The slice of <kunit/test.h> (and <linux/prandom.h>) that
 * ../allowedips_test.c uses, so that the KUnit suite itself can run here
 * (kunit_run.c) before any kernel with KUnit is at hand. A failed ASSERT
 * ends the program; a failed EXPECT is counted and printed.
 */
#ifndef _WG_KUNIT_SHIM_H
#define _WG_KUNIT_SHIM_H

#include "kshim.h"

struct kunit {
	const char *name;
	int failed;
	void *allocs[64];
	int nallocs;
};

struct kunit_case {
	void (*run_case)(struct kunit *test);
	const char *name;
};

struct kunit_suite {
	const char *name;
	int (*suite_init)(struct kunit_suite *suite);
	void (*suite_exit)(struct kunit_suite *suite);
	struct kunit_case *test_cases;
};

#define KUNIT_CASE(f) { .run_case = f, .name = #f }
#define KUNIT_CASE_SLOW(f) KUNIT_CASE(f)
#define kunit_test_suite(s) struct kunit_suite *shim_kunit_suite = &(s)

void shim_kunit_fail(struct kunit *test, bool fatal, int line,
		     const char *what, long long a, long long b);

#define SHIM_CHECK(t, fatal, ok, what, a, b) do { \
	if (!(ok)) \
		shim_kunit_fail(t, fatal, __LINE__, what, (long long)(a), \
				(long long)(b)); \
} while (0)

#define SHIM_CMP(t, fatal, a, op, b) \
	SHIM_CHECK(t, fatal, (a) op (b), #a " " #op " " #b, a, b)

#define KUNIT_EXPECT_EQ(t, a, b) SHIM_CMP(t, false, a, ==, b)
#define KUNIT_EXPECT_NE(t, a, b) SHIM_CMP(t, false, a, !=, b)
#define KUNIT_EXPECT_LT(t, a, b) SHIM_CMP(t, false, a, <, b)
#define KUNIT_EXPECT_LE(t, a, b) SHIM_CMP(t, false, a, <=, b)
#define KUNIT_EXPECT_GT(t, a, b) SHIM_CMP(t, false, a, >, b)
#define KUNIT_EXPECT_GE(t, a, b) SHIM_CMP(t, false, a, >=, b)
#define KUNIT_EXPECT_GE_MSG(t, a, b, msg) KUNIT_EXPECT_GE(t, a, b)
#define KUNIT_EXPECT_PTR_EQ(t, a, b) \
	SHIM_CHECK(t, false, (a) == (b), #a " == " #b, (long)(a), (long)(b))
#define KUNIT_EXPECT_TRUE(t, c) SHIM_CHECK(t, false, c, #c, 0, 0)
#define KUNIT_EXPECT_TRUE_MSG(t, c, msg) SHIM_CHECK(t, false, c, msg, 0, 0)
#define KUNIT_EXPECT_NULL(t, p) \
	SHIM_CHECK(t, false, !(p), #p " == NULL", (long)(p), 0)
#define KUNIT_ASSERT_EQ(t, a, b) SHIM_CMP(t, true, a, ==, b)
#define KUNIT_ASSERT_LT(t, a, b) SHIM_CMP(t, true, a, <, b)
#define KUNIT_ASSERT_NOT_NULL(t, p) \
	SHIM_CHECK(t, true, (p) != NULL, #p " != NULL", 0, 0)

#define kunit_info(t, fmt, ...) \
	printf("    # %s: " fmt, (t)->name, ##__VA_ARGS__)

/* Freed after each case, as KUnit does. */
void *shim_kunit_alloc(struct kunit *test, size_t n, size_t size);
#define kunit_kzalloc(t, n, gfp) shim_kunit_alloc(t, 1, n)
#define kunit_kcalloc(t, n, size, gfp) shim_kunit_alloc(t, n, size)

#define mutex_destroy(l) pthread_mutex_destroy(&(l)->m)
#define cond_resched() do { } while (0)

struct rnd_state {
	u64 s;
};

static inline void prandom_seed_state(struct rnd_state *r, u64 seed)
{
	r->s = seed;
}

static inline u32 prandom_u32_state(struct rnd_state *r)
{
	u64 z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (z ^ (z >> 31)) >> 32;
}

static inline void prandom_bytes_state(struct rnd_state *r, void *buf,
				       size_t n)
{
	u8 *p = buf;

	while (n--)
		*p++ = prandom_u32_state(r);
}

static inline struct sk_buff *alloc_skb(unsigned int size, int gfp)
{
	struct sk_buff *skb = calloc(1, sizeof(*skb));

	if (skb)
		skb->data = calloc(1, size);
	return skb;
}

static inline void skb_reset_network_header(struct sk_buff *skb)
{
	skb->network = skb->data + skb->len;
}

static inline void *skb_put_zero(struct sk_buff *skb, unsigned int len)
{
	void *p = skb->data + skb->len;

	memset(p, 0, len);
	skb->len += len;
	return p;
}

static inline void kfree_skb(struct sk_buff *skb)
{
	free(skb->data);
	free(skb);
}

#endif /* _WG_KUNIT_SHIM_H */
