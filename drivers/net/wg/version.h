/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The module's version: MODULE_VERSION, dkms.conf's PACKAGE_VERSION and
 * debian/changelog carry the same string (make check compares them).
 * DKMS installs over the kernel's own wireguard (version "1.0.0") only
 * if this compares newer.
 */
#ifndef _WG_VERSION_H
#define _WG_VERSION_H

#define WG_VERSION "1.1.0"

#endif /* _WG_VERSION_H */
