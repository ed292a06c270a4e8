// SPDX-License-Identifier: GPL-2.0
/* A throwaway module around allowedips.c, for build and sparse checks. */
#include <linux/module.h>
#include "allowedips.h"

static int __init ap_init(void)
{
	return wg_allowedips_slab_init();
}

static void __exit ap_exit(void)
{
	wg_allowedips_slab_uninit();
}

module_init(ap_init);
module_exit(ap_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("allowedips.c standalone build check");
