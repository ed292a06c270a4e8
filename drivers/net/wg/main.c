// SPDX-License-Identifier: GPL-2.0
/*
 * WireGuard: a secure layer 3 tunnel. Module entry: the link kind, the
 * netlink family, and the caches they share.
 */

#include <linux/module.h>
#include <net/genetlink.h>
#include <uapi/linux/wireguard.h>

#include "device.h"
#include "netlink.h"
#include "peer.h"
#include "allowedips.h"
#include "noise.h"
#include "version.h"

/*
 * A second module cannot register the link kind or netlink family another
 * one already owns: say which and what to do, rather than a bare -EEXIST.
 */
static void explain_conflict(const char *what)
{
	pr_err("the %s \"%s\" is already registered, most likely by the kernel's own wireguard module: unload it first (ip link del the wireguard devices, then rmmod wireguard)\n",
	       what, WG_GENL_NAME);
}

static int __init wg_mod_init(void)
{
	int ret;

	wg_noise_init();
	ret = wg_allowedips_slab_init();
	if (ret)
		return ret;
	ret = wg_peer_init();
	if (ret)
		goto err_allowedips;
	ret = wg_device_init();
	if (ret) {
		if (ret == -EEXIST)
			explain_conflict("link kind");
		goto err_peer;
	}
	ret = wg_genetlink_init();
	if (ret) {
		if (ret == -EEXIST)
			explain_conflict("generic netlink family");
		goto err_device;
	}
	pr_info("WireGuard secure network tunnel loaded\n");
	return 0;

err_device:
	wg_device_uninit();
err_peer:
	wg_peer_uninit();
err_allowedips:
	wg_allowedips_slab_uninit();
	return ret;
}

static void __exit wg_mod_exit(void)
{
	wg_genetlink_uninit();
	wg_device_uninit();
	wg_peer_uninit();
	wg_allowedips_slab_uninit();
}

module_init(wg_mod_init);
module_exit(wg_mod_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("WireGuard secure network tunnel");
MODULE_VERSION(WG_VERSION);
