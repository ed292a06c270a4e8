#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The listen port and the UDP sockets behind it: a random port for 0, v4 and
# v6 sockets on the same port while up, none while down, rebinding on a
# change, and a port taken by another socket refused with the old port and
# the configuration left intact.
. "${WG_REPO:-$(dirname "$0")/../..}/selftests/lib.sh"
require_module

# bound4/bound6 PORT: the wildcard IPv4 / IPv6 socket on PORT is there.
bound4() { has_line "0.0.0.0:$1" "$(udp_ports)"; }
bound6() { has_line "[::]:$1" "$(udp_ports)"; }
# A port nobody uses here (the tests below bind it themselves).
free_port() { echo $((20000 + RANDOM % 20000)); }

check "wg0 created" wg_add wg0
wg set wg0 private-key <(genkey) peer "$(randkey)" allowed-ips 10.0.0.0/8 \
	endpoint 192.0.2.1:1
check "listen-port set while down" wg set wg0 listen-port 51820
check_eq "is reported while down" 51820 "$(wg show wg0 listen-port)"
check_eq "a down device has no socket" "" "$(udp_ports)"
check "ip link set up" ip link set wg0 up
check "an IPv4 socket is bound on the port once up" bound4 51820
check "an IPv6 socket is bound on the same port" bound6 51820
check_eq "exactly these two sockets" "0.0.0.0:51820 [::]:51820" \
	"$(udp_list)"
check_match "ss -ulnp lists the port" ":51820 " "$(ss -ulnp)"

check "wg set listen-port 0" wg set wg0 listen-port 0
port=$(wg show wg0 listen-port)
check_match "picks a port, reported by wg show listen-port" "^[1-9][0-9]*$" "$port"
check "the picked port is bound on IPv4" bound4 "$port"
check "and on IPv6" bound6 "$port"
check_eq "the old port is released" "" "$(udp_ports | grep -F ':51820')"

new=$(free_port)
check "change listen-port to $new" wg set wg0 listen-port "$new"
check_eq "rebinds: only the new port is bound" "0.0.0.0:$new [::]:$new" \
	"$(udp_list)"
check "setting the same port again" wg set wg0 listen-port "$new"
check_eq "keeps it" "0.0.0.0:$new [::]:$new" "$(udp_list)"

# A port held by someone else.
busy=$new
while [ "$busy" = "$new" ]; do busy=$(free_port); done
before=$(wg showconf wg0)
check "another program binds UDP port $busy (IPv4)" hold_udp_port "$busy" 4
check_fail "listen-port $busy (taken on IPv4) is refused" \
	wg set wg0 listen-port "$busy"
check_match "with an error message" "." "$OUT"
check_eq "the listen port is unchanged" "$new" "$(wg show wg0 listen-port)"
check_eq "the old sockets are still bound" "0.0.0.0:$new [::]:$new" \
	"$(udp_ports | grep -v ":$busy\$" | xargs)"
check_eq "the configuration is unchanged" "$before" "$(wg showconf wg0)"
release_udp_port
check "another program binds UDP port $busy (IPv6 only)" hold_udp_port "$busy" 6
check_fail "listen-port $busy (taken on IPv6) is refused" \
	wg set wg0 listen-port "$busy"
check_eq "the listen port is unchanged" "$new" "$(wg show wg0 listen-port)"
check_eq "the old sockets are still bound" "0.0.0.0:$new [::]:$new" \
	"$(udp_ports | grep -v ":$busy\$" | xargs)"
check_eq "the configuration is unchanged" "$before" "$(wg showconf wg0)"
check_fail "a refused port with other changes in the same command" \
	wg set wg0 listen-port "$busy" fwmark 0x99
if is_intree; then
	skip "applies none of them" "the in-tree driver applies the fwmark"
	wg set wg0 fwmark 0
else
	check_eq "applies none of them" "$before" "$(wg showconf wg0)"
fi
release_udp_port
check "once released, the port can be taken" wg set wg0 listen-port "$busy"
check_eq "and is bound" "0.0.0.0:$busy [::]:$busy" "$(udp_list)"

# Two devices cannot share a port.
check "wg1 created" wg_add wg1
check "wg1 up on another port" eval 'wg set wg1 listen-port 0 && ip link set wg1 up'
p1=$(wg show wg1 listen-port)
check_fail "wg1 cannot take wg0's port" wg set wg1 listen-port "$busy"
check_eq "wg1 keeps its port" "$p1" "$(wg show wg1 listen-port)"
check "wg1 down" ip link set wg1 down
check "a down device may be given a taken port" wg set wg1 listen-port "$busy"
check_fail "but cannot come up on it" ip link set wg1 up
check_eq "and stays down" "" "$(ip link show wg1 up)"
check "deleting wg1" ip link del wg1

# Down closes the sockets, up opens them again on the same port.
check "ip link set down" ip link set wg0 down
check_eq "no socket while down" "" "$(udp_ports)"
check_eq "the port is still configured" "$busy" "$(wg show wg0 listen-port)"
check "ip link set up again" ip link set wg0 up
check_eq "the same port is bound again" "0.0.0.0:$busy [::]:$busy" \
	"$(udp_list)"
check "deleting wg0" ip link del wg0
check_eq "releases its sockets" "" "$(udp_ports)"

done_testing
