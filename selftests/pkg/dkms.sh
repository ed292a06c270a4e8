#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# dkms.sh KVER [OTHER-KVER] - DKMS end to end, as the README says (run on
# the host, as root, by make check).
#
# On the host, in a private mount namespace whose /usr, /etc and /var are
# overlays (the host itself is not changed): `make dkms-install KVER=KVER`
# from the tree (sources to /usr/src/wireguard-oot-VERSION, dkms add, build,
# install, depmod), then `dkms autoinstall -k OTHER-KVER` for a second
# kernel.  Building there takes seconds; under the VM's emulation it takes
# a quarter of an hour per kernel.  What the installation changed (the
# overlays' upper layers) is then replayed in a VM booted on KVER
# (selftests/pkg/dkms-vm.sh): `ip link add wg0 type wireguard` autoloads
# the module DKMS installed, and `dkms remove` brings the in-tree one back.
#
# usage: selftests/pkg/dkms.sh [--timeout S] [--log FILE] KVER [OTHER-KVER]
# Output: TAP lines (the host's, then the VM's).  Exit status 0 iff all passed.

set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
export WG_REPO=$REPO

if [[ ${1:-} == --in-sandbox ]]; then
	# Inside `unshare -m`: install as the README says, check what landed.
	shift
	dir=$1 kver=$2 other=${3:-}
	. "$REPO/selftests/lib.sh"
	. "$REPO/selftests/pkg/common.sh"
	ver=$(wg_version) name=wireguard-oot
	check "host: /usr, /etc, /var are overlays of this namespace" sandbox_root "$dir" ||
		done_testing
	check "host: make dkms-install KVER=$kver (README): sources to /usr/src/$name-$ver, dkms install" \
		make -C "$REPO" --no-print-directory dkms-install KVER="$kver"
	check_match "host: dkms status: installed for $kver" \
		"^$name/$(req "$ver"), $(req "$kver"), [^:]*: installed" "$(dkms status 2>&1)"
	file=$(modinfo -k "$kver" -n wireguard 2>&1)
	check_match "host: modinfo -k $kver wireguard finds ours in updates/dkms, not the in-tree one" \
		"^/lib/modules/$(req "$kver")/updates/dkms/wireguard\.ko" "$file"
	check_eq "host: its version is $ver" "$ver" "$(modinfo -F version "$file" 2>&1)"
	if [[ -n $other ]]; then
		check "host: dkms autoinstall -k $other (a second kernel)" \
			dkms autoinstall -k "$other"
		check_match "host: dkms status: installed for $other" \
			"^$name/$(req "$ver"), $(req "$other"), [^:]*: installed" "$(dkms status 2>&1)"
		ofile=$(modinfo -k "$other" -n wireguard 2>&1)
		check_match "host: modinfo -k $other finds ours in updates/dkms" \
			"^/lib/modules/$(req "$other")/updates/dkms/wireguard\.ko" "$ofile"
		check_eq "host: ...built for $other, version $ver" "$other $ver" \
			"$(modinfo -F vermagic "$ofile" | cut -d' ' -f1) $(modinfo -F version "$ofile")"
	fi
	# Whiteouts (deleted files) would not survive the replay.
	check_eq "host: the installation only added or changed files" "" \
		"$(find "$dir"/*/upper -type c 2>&1)"
	done_testing
fi

timeout=1200 log=''
while [[ $# -gt 0 ]]; do
	case $1 in
	--timeout) timeout=${2:?}; shift 2 ;;
	--log) log=${2:?}; shift 2 ;;
	*) break ;;
	esac
done
kver=${1:?usage: dkms.sh [--timeout S] [--log FILE] KVER [OTHER-KVER]}
other=${2:-}
[[ $other == "$kver" ]] && other=

work=$(mktemp -d "${TMPDIR:-/var/tmp}/wg-dkms.XXXXXX")
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"
status=0
unshare -m --propagation private "${BASH_SOURCE[0]}" --in-sandbox "$work/rw" "$kver" "$other" ||
	status=1
# The VM reads the layers from a share of its own.
args=(--kernel "$kver" --none --timeout "$timeout")
[[ -n $log ]] && args+=(--log "$log")
"$REPO/selftests/vm/run.sh" "${args[@]}" --extra-qemu -virtfs \
	"local,path=$work/rw,mount_tag=wgdkms,security_model=none,readonly=on,multidevs=remap" \
	-- "$REPO/selftests/pkg/dkms-vm.sh" "$other" || status=1
exit "$status"
