#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs last: the module goes away with devices still present (configured,
# up, one moved to another namespace, one created in one) and takes them
# and their sockets with it; nothing holds a module reference meanwhile.
# Afterwards the module is loaded again when its path is known
# (WG_MODULE=/path/wireguard.ko, or WG_MODULE=intree for the kernel's own).
. "${WG_REPO:-$(dirname "$0")/../..}/selftests/lib.sh"
require_module

N=wgt-rm
check "namespace $N" ns_add $N
check "wg0 here, configured and up" eval '
	ip link add wg0 type wireguard &&
	wg set wg0 private-key <(wg genkey) listen-port 53001 \
		peer "$(randkey)" allowed-ips 10.0.0.0/8,fd00::/64 \
		endpoint 192.0.2.1:1 persistent-keepalive 1 &&
	ip link set wg0 up'
check "wg1 created here, moved to $N, up there" eval "
	ip link add wg1 type wireguard &&
	wg set wg1 listen-port 53002 &&
	ip link set wg1 netns $N &&
	ip -n $N link set wg1 up"
check "wg2 created in $N, up" eval "
	ip -n $N link add wg2 type wireguard &&
	ip netns exec $N wg set wg2 listen-port 53003 peer $(randkey) &&
	ip -n $N link set wg2 up"
check "wg3 here, down" ip link add wg3 type wireguard
check "the sockets are bound" eval \
	'udp_has 53001 && udp_has 53002 && udp_has 53003 $N'
check_eq "the module's reference count is 0" 0 \
	"$(cat /sys/module/wireguard/refcnt)"
check "rmmod wireguard with the devices present" rmmod wireguard
check_fail "the module is gone" test -e /sys/module/wireguard
# (Not `ip link show type wireguard`: asking for the kind might load it.)
check_eq "no WireGuard device is left here" "" \
	"$(ip -o link show | grep -E '^[0-9]+: wg[0-3][:@]')"
check_eq "nor in $N" "" "$(ip -n $N -o link show | grep -E '^[0-9]+: wg[0-3][:@]')"
check_eq "no socket is left here" "" "$(udp_ports | grep -E ':5300[1-3]$')"
check_eq "nor in $N" "" "$(udp_ports $N | grep -E ':5300[1-3]$')"
# (No look-up of the generic netlink family: that would load the module.)

# Load it again for whatever runs next.
case ${WG_MODULE:-} in
intree)
	check "modprobe wireguard (in-tree) again" modprobe wireguard ;;
/*.ko)
	check "insmod $WG_MODULE again" eval '
		for d in $(modinfo -F depends "$WG_MODULE" | tr , " "); do
			modprobe "$d" || exit 1
		done
		insmod "$WG_MODULE"' ;;
*)
	skip "load the module again" "WG_MODULE does not say which" ;;
esac
if [ -e /sys/module/wireguard ]; then
	check "and a device can be created" ip link add wg0 type wireguard
	check "and configured" wg set wg0 listen-port 53004
	check "and deleted" ip link del wg0
fi

done_testing
