/* SPDX-License-Identifier: GPL-2.0 */
/* The pages sealed messages are written into, kept per CPU (pages.c). */
#ifndef _WG_PAGES_H
#define _WG_PAGES_H

#include <linux/mm_types.h>
#include <linux/sizes.h>
#include <asm/page.h>

/* 32 KiB: the size the stash keeps; a larger need is allocated apart. */
#define WG_PAGES_ORDER	get_order(SZ_32K)

/* A page of WG_PAGES_ORDER, ours to write; NULL if memory ran out. */
struct page *wg_pages_get(void);
/* Gives back our reference to a page the skbs it went into may still hold. */
void wg_pages_put(struct page *page);
/* Module init, before any device. */
void wg_pages_init(void);
/* Module exit, after the last device: drops the pages every CPU keeps. */
void wg_pages_uninit(void);

#endif /* _WG_PAGES_H */
