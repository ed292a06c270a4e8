// SPDX-License-Identifier: GPL-2.0
/*
 * Module init of the Protocol layer test module (Kbuild beside this file,
 * selftests/vm/kunit-proto.sh): what the real module's init does for these
 * units, so that their KUnit suites find the state they expect. The suites
 * run once this init has returned.
 */

#include <linux/module.h>
#include "noise.h"

static int __init proto_init(void)
{
	wg_noise_init();
	return 0;
}

static void __exit proto_exit(void)
{
}

module_init(proto_init);
module_exit(proto_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("WireGuard Protocol layer KUnit suites (test module)");
