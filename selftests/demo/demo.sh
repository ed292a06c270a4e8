#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The seed scenario, run inside a VM by `make demo`:
#
#   laptop (coffee shop)            router (home)                 NAS
#   home0 10.10.11.2 --- "internet" --- ppp0   wg0 10.10.11.1 -- lan0 -- 10.10.10.2
#   198.51.100.2/24      (veth)       198.51.100.1  UDP 51000  10.10.10.1/24
#
# Both ends come up with the unmodified wg-quick from their config files.
# The router has no Endpoint for the laptop: it learns it from the laptop's
# handshake, and follows it when the laptop roams to another address. The
# router's events (who connects, who roams) are printed as they come, by
# selftests/tools/wgevents.py (the YNL library with our spec, as
# `cli.py --subscribe peers` does).

set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
CONF=$(mktemp -d)
export WG_COLOR_MODE=never

step() { printf '\n== %s\n' "$*"; }
on() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

step "namespaces: laptop, router, nas and the wires between them"
for ns in laptop router nas; do
	ip netns add "$ns"
	ip -n "$ns" link set lo up
done
ip -n laptop link add wan0 type veth peer name ppp0 netns router
ip -n router link add lan0 type veth peer name eth0 netns nas
ip -n laptop addr add 198.51.100.2/24 dev wan0
ip -n router addr add 198.51.100.1/24 dev ppp0
ip -n router addr add 10.10.10.1/24 dev lan0
ip -n nas addr add 10.10.10.2/24 dev eth0
ip -n laptop link set wan0 up
ip -n router link set ppp0 up
ip -n router link set lan0 up
ip -n nas link set eth0 up
ip -n nas route add default via 10.10.10.1
on router sysctl -qw net.ipv4.ip_forward=1

step "keys"
router_key=$(wg genkey)
laptop_key=$(wg genkey)
router_pub=$(wg pubkey <<<"$router_key")
laptop_pub=$(wg pubkey <<<"$laptop_key")

umask 077
sed -e "s|@ROUTER_KEY@|$router_key|" -e "s|@LAPTOP_PUB@|$laptop_pub|" \
	"$HERE/wg0.conf.in" >"$CONF/wg0.conf"
sed -e "s|@LAPTOP_KEY@|$laptop_key|" -e "s|@ROUTER_PUB@|$router_pub|" \
	"$HERE/home0.conf.in" >"$CONF/home0.conf"
echo "router: $CONF/wg0.conf"; sed 's/^PrivateKey.*/PrivateKey = (hidden)/' "$CONF/wg0.conf"
echo "laptop: $CONF/home0.conf"; sed 's/^PrivateKey.*/PrivateKey = (hidden)/' "$CONF/home0.conf"

step "wg-quick up on the router and on the laptop"
on router wg-quick up "$CONF/wg0.conf"
events=
if "$HERE/../tools/ynl.sh" path >/dev/null 2>&1; then
	# Not through on(): $! must be the watcher itself (ip netns exec
	# execs it), so that killing it ends the sed too.
	ip netns exec router /usr/bin/python3 "$HERE/../tools/wgevents.py" \
		--ready "$CONF/events.ready" > >(sed -u 's/^/  router event: /') 2>&1 &
	events=$!
	for _ in $(seq 50); do [ -e "$CONF/events.ready" ] && break; sleep 0.1; done
	echo "(the router watches its peers: wgevents.py --subscribe)"
fi
on laptop wg-quick up "$CONF/home0.conf"

step "the laptop pings the NAS on the router's LAN"
on laptop ping -c 3 -W 3 10.10.10.2

step "wg show on the router: the laptop's endpoint was learned"
on router wg show wg0

step "the laptop roams to 198.51.100.3 and pings again"
ip -n laptop addr del 198.51.100.2/24 dev wan0
ip -n laptop addr add 198.51.100.3/24 dev wan0
on laptop ping -c 2 -W 3 10.10.10.2
on router wg show wg0 endpoints

sleep 1
if [ -n "$events" ]; then kill "$events"; wait "$events" 2>/dev/null || true; fi

step "wg-quick down"
on laptop wg-quick down "$CONF/home0.conf"
on router wg-quick down "$CONF/wg0.conf"
for ns in laptop router nas; do ip netns del "$ns"; done
rm -rf "$CONF"
echo
echo "demo: ok"
