#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Smoke test: a "wireguard" link can be created, shows up as such, and goes
# away again.  Runs in the test VM (selftests/vm/run.sh).

dev=wgsmoke0

if ip link add "$dev" type wireguard; then
	echo "ok 1 - ip link add $dev type wireguard"
else
	echo "not ok 1 - ip link add $dev type wireguard"
	exit 1
fi

if ip -d link show "$dev" | grep -qw wireguard; then
	echo "ok 2 - ip -d link show $dev says wireguard"
else
	echo "not ok 2 - ip -d link show $dev says wireguard"
	ip -d link show "$dev" | sed 's/^/# /'
fi

if ip link del "$dev" && ! ip link show "$dev" >/dev/null 2>&1; then
	echo "ok 3 - ip link del $dev"
else
	echo "not ok 3 - ip link del $dev"
fi
