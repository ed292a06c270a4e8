#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# deb.sh PACKAGE.deb - the Debian package end to end, in a test VM
# (run.sh --none) whose root is made writable by overlays: `dpkg -i`
# installs the sources and its postinst has DKMS build and install the
# module for the running kernel; `ip link add` autoloads it; the seed
# scenario runs with wg-quick (selftests/tests/30-seed-scenario.sh);
# `dpkg --purge` leaves nothing behind and the in-tree module is back.

. "${WG_REPO:-$(dirname "$0")/../..}/selftests/lib.sh"
. "$WG_REPO/selftests/pkg/common.sh"

deb=${1:?usage: deb.sh PACKAGE.deb}
# A path inside the repository is given relative to it: the guest sees the
# repository at $WG_REPO, and nothing of a host folder only root can read.
[[ $deb == /* ]] || deb=$WG_REPO/$deb
pkg=$(dpkg-deb -f "$deb" Package) ver=$(dpkg-deb -f "$deb" Version)
kver=$(uname -r)
name=wireguard-oot

check "the root is writable (overlays over /usr, /etc, /var)" rw_root || done_testing
intree=$(intree_file "$kver")
check_eq "the package's version is the module's" "$(wg_version)" "$ver"

check "dpkg -i $pkg: the postinst builds and installs the module with DKMS" \
	dpkg -i "$deb"
check_match "dpkg: $pkg $ver is installed" "^ii +$pkg +$(req "$ver") " "$(dpkg -l "$pkg" 2>&1)"
files=$(dpkg -L "$pkg")
check_match "the sources are in /usr/src/$name-$ver" "^/usr/src/$name-$(req "$ver")/dkms\.conf$" "$files"
check_match "dkms status: installed for $kver" \
	"^$name/$(req "$ver"), $(req "$kver"), [^:]*: installed" "$(dkms status 2>&1)"
file=$(modinfo -n wireguard 2>&1)
check_match "modinfo wireguard finds ours in updates/dkms" \
	"^/lib/modules/$(req "$kver")/updates/dkms/wireguard\.ko" "$file"
check "ip link add wg0 type wireguard autoloads a wireguard module" autoload
check "the loaded module is the package's (srcversion, version)" loaded_is "$file"

echo "# --- the seed scenario with wg-quick (30-seed-scenario.sh) ---"
bash "$WG_REPO/selftests/tests/30-seed-scenario.sh"
check_eq "the seed scenario passed on the package's module" 0 $?
check "...which is still the one loaded" loaded_is "$file"

check "dpkg --purge $pkg" dpkg --purge "$pkg"
check_nomatch "dpkg no longer knows $pkg" "^(ii|rc) +$pkg " "$(dpkg -l "$pkg" 2>&1)"
left=$(while IFS= read -r f; do [ -f "$f" ] && echo "$f"; done <<<"$files")
check_eq "none of the package's files is left" "" "$left"
left=$(find /usr/src /var/lib/dkms /lib/modules/*/updates /etc -name "*$name*" \
	-o -path '*/updates/dkms/wireguard.ko*' 2>/dev/null)
check_eq "no DKMS state, source or built module is left" "" "$left"
check_eq "modinfo wireguard finds the in-tree module again" "$intree" \
	"$(modinfo -n wireguard 2>&1)"
check "ip link add wg0 type wireguard then autoloads the in-tree module" autoload
check "the loaded module is the in-tree one" loaded_is "$intree"
done_testing
