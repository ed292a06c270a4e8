# SPDX-License-Identifier: GPL-2.0
# Shared by the packaging tests (selftests/pkg/*.sh), which run in a test VM
# booted with `run.sh --none` and install things as a user would: source it
# after selftests/lib.sh.

# rw_root: overlays (upper layer in a tmpfs) over /usr, /etc and /var, so
# that dkms, depmod and dpkg write where they would on a router (/usr/src,
# /lib/modules, /var/lib/dkms, /var/lib/dpkg, /etc) while the host's root
# stays shared read-only and untouched.
rw_root() {
	local d top=/run/wg-rw
	modprobe overlay || return 1
	mkdir -p "$top" || return 1
	mount -t tmpfs -o mode=0755 wg-rw "$top" || return 1
	for d in usr etc var; do
		mkdir -p "$top/$d/upper" "$top/$d/work" &&
		mount -t overlay -o "lowerdir=/$d,upperdir=$top/$d/upper,workdir=$top/$d/work" \
			"wg-rw-$d" "/$d" || return 1
	done
}

# sandbox_root DIR: (in a private mount namespace, on the host) the same
# overlays with their upper layers in DIR/{usr,etc,var}/upper, kept when
# the namespace ends: what an installation changed, to be replayed in a VM.
sandbox_root() {
	local d
	for d in usr etc var; do
		mkdir -p "$1/$d/upper" "$1/$d/work" &&
		mount -t overlay -o "lowerdir=/$d,upperdir=$1/$d/upper,workdir=$1/$d/work" \
			"wg-sandbox-$d" "/$d" || return 1
	done
}

# replay DIR: (in the VM, after rw_root) copy the upper layers that
# sandbox_root left in DIR over /usr, /etc and /var.
replay() {
	local d
	for d in usr etc var; do
		tar -C "$1/$d/upper" -cf - . | tar -C "/$d" -xpf - || return 1
	done
}

# req STRING: STRING as a literal in an extended regex ("+deb12" in a
# kernel version is not a quantifier).
req() { printf '%s' "$1" | sed 's/[][\\.*^$+?(){}|]/\\&/g'; }

# wg_version: WG_VERSION of drivers/net/wg/version.h.
wg_version() {
	sed -n 's/^#define WG_VERSION "\(.*\)"/\1/p' "$WG_REPO/drivers/net/wg/version.h"
}

# intree_file KVER: the kernel's own wireguard module file of KVER.
intree_file() {
	local f
	for f in /lib/modules/"$1"/kernel/drivers/net/wireguard/wireguard.ko*; do
		[ -e "$f" ] && echo "$f" && return 0
	done
	return 1
}

# loaded_is FILE: the loaded wireguard module is FILE (same srcversion,
# which is a hash of the module's sources, and same version).
loaded_is() {
	[ -d /sys/module/wireguard ] || { echo "wireguard is not loaded"; return 1; }
	local want_src want_ver have_src have_ver
	want_src=$(modinfo -F srcversion "$1") want_ver=$(modinfo -F version "$1")
	have_src=$(cat /sys/module/wireguard/srcversion 2>/dev/null)
	have_ver=$(cat /sys/module/wireguard/version 2>/dev/null)
	echo "loaded: version $have_ver srcversion $have_src;" \
		"$1: version $want_ver srcversion $want_src"
	[ -n "$want_src" ] && [ "$have_src" = "$want_src" ] && [ "$have_ver" = "$want_ver" ]
}

# autoload: no wireguard loaded, then `ip link add wg0 type wireguard`
# loads one on demand (the kernel runs modprobe); wg0 is deleted again.
autoload() {
	if [ -d /sys/module/wireguard ]; then
		ip link del wg0 2>/dev/null
		rmmod wireguard || return 1
	fi
	ip link add wg0 type wireguard || return 1
	ip link del wg0
}
