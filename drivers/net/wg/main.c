// SPDX-License-Identifier: GPL-2.0
/*
 * WireGuard, a secure layer 3 tunnel: the module's entry and exit. It
 * registers the link kind "wireguard" and the generic netlink family of
 * the same name, and owns the caches every device shares.
 */

#include <linux/module.h>
#include <net/genetlink.h>
#include <uapi/linux/wireguard.h>

#include "allowedips.h"
#include "device.h"
#include "netlink.h"
#include "noise.h"
#include "pages.h"
#include "peer.h"
#include "version.h"

/*
 * The kernel's own module registers the same kind and family: if it is
 * loaded, say so, rather than fail with a bare -EEXIST.
 */
static void already_taken(const char *what)
{
	pr_err("the %s \"%s\" is taken, most likely by the kernel's own wireguard module: delete its devices and unload it first\n",
	       what, WG_GENL_NAME);
}

static int __init wg_init(void)
{
	int ret;

	wg_noise_init();
	wg_pages_init();
	ret = wg_allowedips_slab_init();
	if (ret)
		return ret;
	ret = wg_peer_cache_init();
	if (ret)
		goto err_allowedips;
	ret = wg_device_init();
	if (ret) {
		if (ret == -EEXIST)
			already_taken("link kind");
		goto err_peer;
	}
	ret = wg_genetlink_init();
	if (ret) {
		if (ret == -EEXIST)
			already_taken("generic netlink family");
		goto err_device;
	}
	pr_info("WireGuard secure network tunnel loaded\n");
	return 0;

err_device:
	wg_device_uninit();
err_peer:
	wg_peer_cache_uninit();
err_allowedips:
	wg_allowedips_slab_uninit();
	return ret;
}

static void __exit wg_exit(void)
{
	wg_genetlink_uninit();
	wg_device_uninit();
	wg_peer_cache_uninit();
	wg_allowedips_slab_uninit();
	wg_pages_uninit();
}

module_init(wg_init);
module_exit(wg_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("WireGuard secure network tunnel");
MODULE_VERSION(WG_VERSION);
