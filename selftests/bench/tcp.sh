#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# TCP (and UDP) through the tunnel between two namespaces over a veth pair,
# one flow, for the module loaded now; then the same with the kernel's own
# wireguard in the same VM boot. Prints each figure and their ratio.
# Runs in the VM (selftests/bench/run.sh).

set -u
SECS=${WG_BENCH_SECS:-10}

setup() {
	local ka kb pa pb
	ip netns add ba; ip netns add bb
	ip -n ba link add veth0 type veth peer name veth0 netns bb
	ip -n ba addr add 192.168.77.1/24 dev veth0
	ip -n bb addr add 192.168.77.2/24 dev veth0
	for n in ba bb; do ip -n $n link set veth0 up; ip -n $n link set lo up; done
	ka=$(wg genkey); kb=$(wg genkey)
	pa=$(wg pubkey <<<"$ka"); pb=$(wg pubkey <<<"$kb")
	ip -n ba link add wg0 type wireguard; ip -n bb link add wg0 type wireguard
	ip netns exec ba wg set wg0 private-key <(echo "$ka") listen-port 1 \
		peer "$pb" allowed-ips 10.77.0.2/32 endpoint 192.168.77.2:2
	ip netns exec bb wg set wg0 private-key <(echo "$kb") listen-port 2 \
		peer "$pa" allowed-ips 10.77.0.1/32 endpoint 192.168.77.1:1
	ip -n ba addr add 10.77.0.1/24 dev wg0; ip -n bb addr add 10.77.0.2/24 dev wg0
	ip -n ba link set wg0 up; ip -n bb link set wg0 up
	ip netns exec ba ping -c 1 -W 5 10.77.0.2 >/dev/null
}

teardown() {
	ip netns del ba 2>/dev/null; ip netns del bb 2>/dev/null
	sleep 1
}

# measure: prints the receiver's Mbit/s of one TCP flow
measure() {
	ip netns exec bb iperf3 -s -1 -D >/dev/null 2>&1; sleep 0.5
	ip netns exec ba iperf3 -c 10.77.0.2 -t "$SECS" -f m 2>&1 |
		awk '/receiver/ { print $(NF-2) }'
}

run() {
	setup
	measure
	teardown
}

ours=$(run)
echo "# ours: ${ours:-?} Mbit/s"
rmmod wireguard || { echo "bench: cannot unload ours" >&2; exit 1; }
modprobe wireguard
theirs=$(run)
echo "# in-tree: ${theirs:-?} Mbit/s"
awk -v a="${ours:-0}" -v b="${theirs:-0}" 'BEGIN {
	if (b > 0) printf "tcp single flow: ours %.1f, in-tree %.1f Mbit/s, ratio %.2f\n", a, b, a / b }'
