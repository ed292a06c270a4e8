/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Just enough of the kernel API for allowedips.c to build and run as a
 * userspace program. The Makefile makes every <linux/...> header that
 * allowedips.c includes a stub that pulls in this file (after the real
 * uapi header, where one exists).
 *
 * RCU is modelled two ways, chosen by shim_rcu_deferred:
 *  - 0 (default): call_rcu() runs its callback at once, so any use of a
 *    node by the updater after handing it to call_rcu() is a use after free
 *    that AddressSanitizer reports;
 *  - 1: call_rcu() queues; synchronize_shim() waits until every registered
 *    reader thread has passed a quiescent state, then runs the queue (QSBR),
 *    for tests with concurrent readers under ASan or TSan.
 * Pointers marked __rcu are loaded and stored with C11 atomics, so TSan sees
 * the same ordering the kernel primitives give.
 */
#ifndef _WG_KSHIM_H
#define _WG_KSHIM_H

#include <assert.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/types.h>

typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;

#define __rcu
/* __always_inline comes from glibc's <sys/cdefs.h> */
#define __init
#define __exit
#define __must_check __attribute__((__warn_unused_result__))
/* No kernel config here: kunit_run.c includes the KUnit suite itself. */
#define IS_ENABLED(option) 0

#ifndef AF_INET
#define AF_INET 2
#endif
#ifndef AF_INET6
#define AF_INET6 10
#endif

#define be32_to_cpu(x) ntohl(x)
#define cpu_to_be32(x) htonl(x)

#define WARN_ON(c) ({ bool __c = (c); if (__c) \
	fprintf(stderr, "WARN_ON %s:%d\n", __FILE__, __LINE__); __c; })

static inline int fls64(u64 x)
{
	return x ? 64 - __builtin_clzll(x) : 0;
}

#define min(a, b) ((a) < (b) ? (a) : (b))
#define min3(a, b, c) min(min(a, b), c)
#define min_t(t, a, b) min((t)(a), (t)(b))

#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

/* lists */
struct list_head {
	struct list_head *next, *prev;
};

#define LIST_HEAD_INIT(name) { &(name), &(name) }

static inline void INIT_LIST_HEAD(struct list_head *h)
{
	h->next = h;
	h->prev = h;
}

static inline void list_add_tail(struct list_head *n, struct list_head *h)
{
	n->prev = h->prev;
	n->next = h;
	h->prev->next = n;
	h->prev = n;
}

static inline void list_add(struct list_head *n, struct list_head *h)
{
	n->next = h->next;
	n->prev = h;
	h->next->prev = n;
	h->next = n;
}

static inline void list_del(struct list_head *e)
{
	e->prev->next = e->next;
	e->next->prev = e->prev;
	e->next = (void *)0x100;
	e->prev = (void *)0x122;
}

static inline bool list_empty(const struct list_head *h)
{
	return h->next == h;
}

static inline bool list_is_last(const struct list_head *e,
				const struct list_head *h)
{
	return e->next == h;
}

#define list_entry(p, t, m) container_of(p, t, m)
#define list_first_entry(h, t, m) list_entry((h)->next, t, m)
#define list_first_entry_or_null(h, t, m) \
	(list_empty(h) ? NULL : list_first_entry(h, t, m))
#define list_next_entry(p, m) list_entry((p)->m.next, __typeof__(*(p)), m)
#define list_for_each_entry(p, h, m) \
	for (p = list_first_entry(h, __typeof__(*p), m); &p->m != (h); \
	     p = list_next_entry(p, m))
#define list_for_each_entry_safe(p, n, h, m) \
	for (p = list_first_entry(h, __typeof__(*p), m), \
	     n = list_next_entry(p, m); &p->m != (h); \
	     p = n, n = list_next_entry(n, m))

/* locking */
struct mutex {
	pthread_mutex_t m;
	bool held;
};

static inline void mutex_init(struct mutex *l)
{
	pthread_mutex_init(&l->m, NULL);
	l->held = false;
}

static inline void mutex_lock(struct mutex *l)
{
	pthread_mutex_lock(&l->m);
	l->held = true;
}

static inline void mutex_unlock(struct mutex *l)
{
	l->held = false;
	pthread_mutex_unlock(&l->m);
}

#define lockdep_is_held(l) ((l)->held)

/* RCU */
struct rcu_head {
	struct rcu_head *next;
	void (*func)(struct rcu_head *head);
};

extern int shim_rcu_deferred;
void call_rcu(struct rcu_head *head, void (*func)(struct rcu_head *head));
void rcu_barrier(void);
void synchronize_shim(void);	/* a grace period, then queued callbacks */
int shim_reader_register(void);	/* returns the id for the two below */
void shim_quiescent(int id);	/* between lookups, never inside one */
void shim_reader_offline(int id);

#define rcu_dereference_protected(p, c) \
	({ assert(c); __atomic_load_n(&(p), __ATOMIC_RELAXED); })
#define rcu_dereference_bh(p) __atomic_load_n(&(p), __ATOMIC_ACQUIRE)
#define rcu_assign_pointer(p, v) __atomic_store_n(&(p), (v), __ATOMIC_RELEASE)
#define RCU_INIT_POINTER(p, v) __atomic_store_n(&(p), (v), __ATOMIC_RELAXED)
#define rcu_access_pointer(p) __atomic_load_n(&(p), __ATOMIC_RELAXED)
#define rcu_read_lock_bh() do { } while (0)
#define rcu_read_unlock_bh() do { } while (0)

/* slab, with a count of live objects and optional failure injection */
#define GFP_KERNEL 0

struct kmem_cache {
	size_t size;
};

extern long shim_live_objects;
extern long shim_fail_after;	/* <0: never; else fail once it hits 0 */

struct kmem_cache *shim_cache_create(size_t size);
void *kmem_cache_zalloc(struct kmem_cache *c, int gfp);
void kmem_cache_free(struct kmem_cache *c, void *p);
void kmem_cache_destroy(struct kmem_cache *c);
#define kmem_cache_create(name, size, align, flags, ctor) \
	shim_cache_create(size)

/* skbs: only what the lookup helpers read */
struct sk_buff {
	__be16 protocol;
	unsigned char *network;
	unsigned char *data;
	unsigned int len;
};

static inline struct iphdr *ip_hdr(const struct sk_buff *skb)
{
	return (struct iphdr *)skb->network;
}

static inline struct ipv6hdr *ipv6_hdr(const struct sk_buff *skb)
{
	return (struct ipv6hdr *)skb->network;
}

#endif /* _WG_KSHIM_H */
