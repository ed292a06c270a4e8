#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# guest.sh ROLE - one side of the two-VM interop test (see intree.sh), run
# inside a VM by selftests/vm/run.sh.  ROLE is A (listens on the QEMU
# socket, 192.168.200.1) or B (192.168.200.2); which WireGuard module is
# loaded is run.sh's business.  The two guests share one virtual wire (eth0)
# and coordinate over it: A runs a one-connection ncat server per barrier,
# B connects until it gets through.
#
# Environment (from intree.sh via run.sh --env):
#   WG_PRIV       this side's private key
#   WG_PEER_PUB   the other side's public key
#   WG_WAIT       seconds to wait for the other VM at a barrier (default 150)
#
# Output: TAP lines (each VM numbers its own).  Phases:
#   1. IPv4 endpoints, only A knows B's: A initiates the handshake
#   2. peer removed and re-added on both, only B knows A's: B initiates
#   3. IPv6 endpoints, A initiates;  4. IPv6 endpoints, B initiates
# each with pings both ways over the tunnel (inner IPv4 and IPv6); 1 and 2
# also with full-size pings and iperf3 TCP both ways (3 s each, run by the
# initiator).

. "${WG_REPO:-$(dirname "$0")/../..}/selftests/lib.sh"

ROLE=${1:-}
case $ROLE in
A) me=1 peer=2 ;;
B) me=2 peer=1 ;;
*) echo "not ok 1 - usage: guest.sh A|B"; exit 2 ;;
esac
WAIT=${WG_WAIT:-150}
PORT=51820
BPORT=7000            # barrier server on A's eth0
ETH4=192.168.200 ETH6=fd00:200: WG4=10.200.0 WG6=fd00:210:
peer_eth4=$ETH4.$peer peer_eth6=$ETH6:$peer
peer_wg4=$WG4.$peer peer_wg6=$WG6:$peer
mod=$(is_intree && echo in-tree || echo ours)
diag "interop role $ROLE ($mod module), kernel $(uname -r)"

if [ -z "${WG_PRIV:-}" ] || [ -z "${WG_PEER_PUB:-}" ]; then
	fail "keys given (WG_PRIV, WG_PEER_PUB)"
	done_testing
fi

# barrier NAME: returns once the other VM has reached `barrier NAME` too.
# Barriers are numbered.  A listens (one connection), sends "N NAME" and
# reads B's line; B connects until it gets through.  If B's ncat fails after
# A read its line, B retries: A, at barrier N+1 by then, sees N (ignores it,
# listens again) and B sees N+1 (so A was past N: done).
_barrier_n=0
barrier() {
	local name=$1 got='' n deadline=$((SECONDS + WAIT))
	_barrier_n=$((_barrier_n + 1))
	while ((SECONDS < deadline)); do
		if [ "$ROLE" = A ]; then
			got=$(timeout $((deadline - SECONDS + 1)) \
				ncat -l "$ETH4.1" $BPORT <<<"$_barrier_n $name" 2>/dev/null)
		else
			got=$(timeout 30 ncat "$ETH4.1" $BPORT <<<"$_barrier_n $name" 2>/dev/null)
		fi
		n=${got%% *}
		if [ "$got" = "$_barrier_n $name" ] ||
		   { [ "$ROLE" = B ] && [ "$n" = $((_barrier_n + 1)) ]; }; then
			return 0
		fi
		# A: a retry of the previous barrier, or nothing; B: no A yet.
		[ -z "$got" ] || [ "$n" = $((_barrier_n - 1)) ] || break
		[ "$ROLE" = B ] && sleep 0.5
	done
	fail "barrier $_barrier_n $name with the other VM" "last got: '$got'"
	return 1
}

# wait_ping ADDR SECONDS: until ADDR answers one ping.
wait_ping() {
	local deadline=$((SECONDS + $2))
	while ((SECONDS < deadline)); do
		ping -n -c 1 -W 2 "$1" >/dev/null 2>&1 && return 0
		sleep 0.5
	done
	return 1
}

# shellcheck disable=SC2317 # called through check
peer_set() {
	wg set wg0 peer "$WG_PEER_PUB" allowed-ips "$peer_wg4/32,$peer_wg6/128" "$@"
}

# pings PHASE FULL: ping the peer over the tunnel, inner IPv4 and IPv6;
# FULL=1: full-size too (1420-byte MTU: 1392 + 28 = 1420, 1372 + 48 = 1420).
pings() {
	check "$1: ping $ROLE->peer $peer_wg4" ping -n -c 2 -i 0.3 -w 15 "$peer_wg4"
	check "$1: ping $ROLE->peer $peer_wg6" ping -n -c 2 -i 0.3 -w 15 "$peer_wg6"
	[ "$2" = 1 ] || return 0
	check "$1: ping $ROLE->peer $peer_wg4 1420 bytes, DF" \
		ping -n -c 2 -i 0.3 -w 15 -M "do" -s 1392 "$peer_wg4"
	check "$1: ping $ROLE->peer $peer_wg6 1420 bytes" \
		ping -n -c 2 -i 0.3 -w 15 -M "do" -s 1372 "$peer_wg6"
}

iperf() {
	local phase=$1 dir=$2; shift 2
	check "$phase: iperf3 TCP $dir" timeout 40 iperf3 -c "$peer_wg4" -t 3 \
		--connect-timeout 10000 "$@"
	has_match 'receiver$' "$OUT" && diag "$(grep -E 'receiver$' <<<"$OUT")"
}

# endpoint_is DESC EXPECTED: the peer's endpoint as this side sees it.
endpoint_is() {
	check_eq "$1" "$WG_PEER_PUB	$2" "$(wg show wg0 endpoints)"
}

handshake_nonzero() {
	local pub ts
	read -r pub ts <<<"$(wg show wg0 latest-handshakes)"
	[ -n "$ts" ] && [ "$ts" != 0 ] && _result 0 "$1" && return 0
	_result 1 "$1" "latest-handshakes: $pub $ts"
}

# reset_peer: remove and re-add the peer (no sessions, no endpoint), then
# add the endpoint on the initiator: barriers around it so that the other
# side has removed its sessions as well before anyone sends.  Called right
# after a phase's last barrier.
reset_peer() {
	local phase=$1 initiator=$2 ep=$3
	check "$phase: remove peer" wg set wg0 peer "$WG_PEER_PUB" remove
	barrier "$phase-readd" || return 1
	if [ "$ROLE" = "$initiator" ]; then
		check "$phase: re-add peer with endpoint $ep" peer_set endpoint "$ep"
	else
		check "$phase: re-add peer without endpoint" peer_set
	fi
	barrier "$phase-ready"
}

# phase NAME INITIATOR OUR-EP-AS-SEEN IPERF: the initiator pings first (that
# makes the handshake), then the responder checks the endpoint it learned;
# then the responder pings, then the initiator; iperf3 from the initiator.
phase() {
	local name=$1 initiator=$2 seen=$3 iperf=$4
	diag "$name at ${SECONDS}s"
	if [ "$ROLE" = "$initiator" ]; then
		check "$name: handshake initiated by $ROLE ($mod), first ping" \
			ping -n -c 1 -w 20 "$peer_wg4"
		barrier "$name-hs"
		barrier "$name-resp-pinged"
		pings "$name" "$iperf"
		if [ "$iperf" = 1 ]; then
			iperf "$name" "$ROLE->peer"
			iperf "$name" "peer->$ROLE" -R
		fi
		barrier "$name-done"
	else
		barrier "$name-hs"
		handshake_nonzero "$name: handshake from the peer seen by $ROLE ($mod)"
		endpoint_is "$name: $ROLE learned the peer's endpoint" "$seen"
		pings "$name" "$iperf"
		barrier "$name-resp-pinged"
		barrier "$name-done"
	fi
}

# --- eth0 -----------------------------------------------------------------
modprobe virtio_net
for ((i = 0; i < 50; i++)); do
	[ -e /sys/class/net/eth0 ] && break
	sleep 0.2
done
ip link set eth0 up &&
	ip addr add "$ETH4.$me/24" dev eth0 &&
	ip addr add "$ETH6:$me/64" dev eth0 nodad
check "eth0 configured ($ETH4.$me)" [ $? = 0 ]
check "eth0 reaches the other VM ($peer_eth4)" wait_ping "$peer_eth4" "$WAIT"
[ "$RC" = 0 ] || done_testing
wait_ping "$peer_eth6" 20 >/dev/null

# --- wg0 ------------------------------------------------------------------
setup_wg() {
	ip link add wg0 type wireguard &&
		wg set wg0 private-key <(echo "$WG_PRIV") listen-port $PORT &&
		ip addr add "$WG4.$me/24" dev wg0 &&
		ip addr add "$WG6:$me/64" dev wg0 nodad &&
		ip link set wg0 up
}
check "wg0 set up ($mod module)" setup_wg
iperf3 -s -D -I /tmp/iperf3.pid
cleanup_add 'kill $(cat /tmp/iperf3.pid)'

if [ "$ROLE" = A ]; then
	check "phase1: add peer with endpoint $peer_eth4:$PORT" \
		peer_set endpoint "$peer_eth4:$PORT"
else
	check "phase1: add peer without endpoint" peer_set
fi
barrier phase1-ready &&
	phase phase1 A "$ETH4.1:$PORT" 1 &&
	reset_peer phase2 B "$peer_eth4:$PORT" &&
	phase phase2 B "$ETH4.2:$PORT" 1
# Both sides completed handshakes by now (phase 2: B initiated).
handshake_nonzero "latest handshake non-zero on $ROLE"
read -r _ rx tx <<<"$(wg show wg0 transfer)"
check "transfer counters non-zero on $ROLE (rx $rx, tx $tx)" \
	[ "${rx:-0}" -gt 0 -a "${tx:-0}" -gt 0 ]

# --- IPv6 outer -----------------------------------------------------------
reset_peer phase3 A "[$peer_eth6]:$PORT" &&
	phase phase3 A "[$ETH6:1]:$PORT" 0 &&
	reset_peer phase4 B "[$peer_eth6]:$PORT" &&
	phase phase4 B "[$ETH6:2]:$PORT" 0
barrier end
diag "done at ${SECONDS}s"
diag "$(wg show wg0 | grep -v 'private key')"
diag "$(ip -s -s link show wg0)"
done_testing
