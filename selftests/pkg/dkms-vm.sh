#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# dkms-vm.sh [OTHER-KVER] - the VM half of selftests/pkg/dkms.sh: replay
# what `make dkms-install` changed on the host (share "wgdkms"), then
# `ip link add wg0 type wireguard` autoloads the module DKMS installed (its
# srcversion and version in sysfs), and `dkms remove` brings the in-tree
# module back, for this kernel and OTHER-KVER.

. "${WG_REPO:-$(dirname "$0")/../..}/selftests/lib.sh"
. "$WG_REPO/selftests/pkg/common.sh"

other=${1:-}
kver=$(uname -r)
ver=$(wg_version)
name=wireguard-oot
layers=/run/wg-dkms

check "the root is writable (overlays over /usr, /etc, /var)" rw_root || done_testing
replay_share() {
	mkdir -p "$layers" &&
	mount -t 9p -o trans=virtio,version=9p2000.L,ro wgdkms "$layers" &&
	replay "$layers"
}
check "the host's DKMS installation replayed here" replay_share || done_testing
intree=$(intree_file "$kver")
check "the in-tree module of $kver is there" test -n "$intree"
check_match "dkms status: installed for $kver" \
	"^$name/$(req "$ver"), $(req "$kver"), [^:]*: installed" "$(dkms status 2>&1)"
file=$(modinfo -n wireguard 2>&1)
check_match "modinfo wireguard finds ours in updates/dkms" \
	"^/lib/modules/$(req "$kver")/updates/dkms/wireguard\.ko" "$file"
check "ip link add wg0 type wireguard autoloads a wireguard module" autoload
check "the loaded module is the one DKMS installed (srcversion, version $ver)" \
	loaded_is "$file"
check_match "it is out of tree (taint O)" "O" "$(cat /sys/module/wireguard/taint)"
check "wg configures it" bash -c '
	ip link add wg0 type wireguard &&
	wg set wg0 listen-port 51820 private-key <(wg genkey) &&
	[ "$(wg show wg0 listen-port)" = 51820 ]; rc=$?
	ip link del wg0; exit $rc'

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
