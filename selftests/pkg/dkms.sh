#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# DKMS end to end, as the README says, in a test VM (run.sh --none) whose
# root is made writable by overlays: `make dkms-install` from the tree
# builds and installs for the running kernel; the module lands in
# updates/dkms and shadows the in-tree one; `ip link add wg0 type
# wireguard` autoloads ours (its srcversion and version in sysfs); `dkms
# autoinstall -k OTHER` builds for a second kernel (argument 1, optional);
# `dkms remove` brings the in-tree module back, for both.

. "${WG_REPO:-$(dirname "$0")/../..}/selftests/lib.sh"
. "$WG_REPO/selftests/pkg/common.sh"

other=${1:-}
kver=$(uname -r)
ver=$(wg_version)
name=wireguard-oot

check "the root is writable (overlays over /usr, /etc, /var)" rw_root || done_testing
intree=$(intree_file "$kver")
check "the in-tree module of $kver is there" test -n "$intree"

check "make dkms-install (README): sources to /usr/src/$name-$ver, dkms install" \
	make -C "$WG_REPO" --no-print-directory dkms-install
check_match "dkms status: installed for $kver" \
	"^$name/$ver, $kver, [^:]*: installed" "$(dkms status 2>&1)"
file=$(modinfo -n wireguard 2>&1)
check_match "modinfo wireguard finds ours in updates/dkms, not the in-tree one" \
	"^/lib/modules/$kver/updates/dkms/wireguard\.ko" "$file"
check_eq "its version is $ver" "$ver" "$(modinfo -F version "$file" 2>&1)"
check "ip link add wg0 type wireguard autoloads a wireguard module" autoload
check "the loaded module is the one DKMS installed (srcversion, version)" \
	loaded_is "$file"
check_match "it is out of tree (taint O)" "O" "$(cat /sys/module/wireguard/taint)"
check "wg configures it" bash -c '
	ip link add wg0 type wireguard &&
	wg set wg0 listen-port 51820 private-key <(wg genkey) &&
	[ "$(wg show wg0 listen-port)" = 51820 ]; rc=$?
	ip link del wg0; exit $rc'

if [ -n "$other" ]; then
	check "dkms autoinstall -k $other (a second kernel)" dkms autoinstall -k "$other"
	check_match "dkms status: installed for $other" \
		"^$name/$ver, $other, [^:]*: installed" "$(dkms status 2>&1)"
	ofile=$(modinfo -k "$other" -n wireguard 2>&1)
	check_match "modinfo -k $other finds ours in updates/dkms" \
		"^/lib/modules/$other/updates/dkms/wireguard\.ko" "$ofile"
	check_eq "...built for $other, version $ver" "$other $ver" \
		"$(modinfo -F vermagic "$ofile" | cut -d' ' -f1) $(modinfo -F version "$ofile")"
else
	skip "dkms autoinstall for a second kernel" "no second kernel given"
fi

check "dkms remove $name/$ver --all" dkms remove "$name/$ver" --all
check_nomatch "dkms status no longer lists $name" "^$name/" "$(dkms status 2>&1)"
check_eq "modinfo wireguard finds the in-tree module of $kver again" \
	"$intree" "$(modinfo -n wireguard 2>&1)"
if [ -n "$other" ]; then
	check_eq "...and of $other" "$(intree_file "$other")" \
		"$(modinfo -k "$other" -n wireguard 2>&1)"
fi
check "ip link add wg0 type wireguard now autoloads the in-tree module" autoload
check "the loaded module is the in-tree one (srcversion, version)" loaded_is "$intree"
check_nomatch "it is not out of tree (no taint O)" "O" "$(cat /sys/module/wireguard/taint)"
done_testing
