#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Malformed netlink at volume: selftests/tools/nlfuzz.py sends
# WG_NLFUZZ_COUNT (10000) SET and GET messages with random, nested,
# oversized and truncated attributes and bad headers to a device that is
# down, then WG_NLFUZZ_TRAFFIC_COUNT (2000) to one that is up, with a peer
# it keeps restoring, while pings flow through it both ways and `wg show`
# dumps run beside, so that SETs race the data path and other dumps.
# Every message must get the answer the fuzzer's reference parser predicts,
# an accepted SET must change the configuration exactly as predicted and a
# refused one nothing at all (ours only: the in-tree driver applies part of
# a refused SET), the dumps must be well-formed and agree with `wg showconf`.
# Afterwards the tunnel must still work; then the devices and namespaces go,
# and the VM runner's kmemleak scan and kernel log check cover leaks and
# splats. The same WG_NLFUZZ_SEED (default 1) gives the same messages.
. "${WG_REPO:-$(dirname "$0")/../..}/selftests/lib.sh"
require_module

count=${WG_NLFUZZ_COUNT:-10000}
tcount=${WG_NLFUZZ_TRAFFIC_COUNT:-2000}
seed=${WG_NLFUZZ_SEED:-1}
# Leave the runner's time limit room for the rest: if the fuzzer runs out of
# its share (a slow or crowded machine), it stops early and says so.
budget=$((${WG_TEST_TIMEOUT:-600} - 150))
((budget < 60)) && budget=60
NLFUZZ=(/usr/bin/python3 -IS "$WG_REPO/selftests/tools/nlfuzz.py")
# WG_NLFUZZ_ARGS: more options for it, e.g. --profile
read -ra extra <<<"${WG_NLFUZZ_ARGS:-}"
is_intree && extra+=(--intree)

# fuzz PHASE NS ARGS...: run nlfuzz.py in NS; its "ok"/"not ok" lines
# become ours (prefixed with PHASE), its comments pass through.
fuzz() {
	local phase=$1 ns=$2 out rc line desc checks=0 t0=$SECONDS
	shift 2
	out=$(ip netns exec "$ns" "${NLFUZZ[@]}" "${extra[@]}" "$@" 2>&1)
	rc=$?
	while IFS= read -r line; do
		case $line in
		"ok - "*" # SKIP "*)
			desc=${line#ok - }
			skip "$phase: ${desc% # SKIP *}" "${desc##* # SKIP }"
			checks=$((checks + 1)) ;;
		"ok - "*) pass "$phase: ${line#ok - }"; checks=$((checks + 1)) ;;
		"not ok - "*) fail "$phase: ${line#not ok - }"; checks=$((checks + 1)) ;;
		"#"*) echo "$line" ;;
		*) echo "# $line" ;;
		esac
	done <<<"$out"
	diag "$phase: nlfuzz.py took $((SECONDS - t0)) s, exit status $rc"
	if ((checks == 0)) || ((rc != 0 && rc != 1)); then
		fail "$phase: nlfuzz.py ran to its end" "exit status $rc"
	fi
}

# --- a device that is down, alone in its namespace -------------------------
N=nlf$$
check "namespace" ns_add "$N"
check "wg0 created" wg_add wg0 "$N"
fuzz down "$N" --seed "$seed" --count "$count" \
	--time-limit $((budget * 2 / 3)) wg0
check "wg0 deleted" ip -n "$N" link del wg0

# --- a device that is up, with traffic -------------------------------------
A=nlfa$$ B=nlfb$$
check "namespaces" ns_add "$A" "$B"
check "veth pair" dp_veth "$A" "$B"
ka=$(genkey) kb=$(genkey)
pa=$(pubkey "$ka") pb=$(pubkey "$kb")
check "wg0 in $A" dp_wg "$A" 1 "$ka" 10001
check "wg0 in $B" dp_wg "$B" 2 "$kb" 10002
check "A: peer B" ip netns exec "$A" wg set wg0 peer "$pb" \
	endpoint "$(dp_out4 2):10002" \
	allowed-ips "$(dp_ip4 2)/32,$(dp_ip6 2)/128"
check "B: peer A" ip netns exec "$B" wg set wg0 peer "$pa" \
	endpoint "$(dp_out4 1):10001" \
	allowed-ips "$(dp_ip4 1)/32,$(dp_ip6 1)/128"
check "ping through the tunnel before" dp_ping "$A" "$(dp_ip4 2)" 10

pinglog=$(mktemp)
cleanup_add "rm -f '$pinglog' '$pinglog.6'"
ip netns exec "$A" ping -q -i 0.05 "$(dp_ip4 2)" >"$pinglog" 2>&1 &
ping4=$!
ip netns exec "$B" ping -q -i 0.05 "$(dp_ip6 1)" >"$pinglog.6" 2>&1 &
ping6=$!
ip netns exec "$A" bash -c \
	'while :; do wg show wg0 dump >/dev/null 2>&1; sleep 0.5; done' &
dumper=$!
cleanup_add "kill $ping4 $ping6 $dumper"

fuzz traffic "$A" --seed "$((seed + 1))" --count "$tcount" \
	--time-limit $((budget / 3)) \
	--keep-private-key "$ka" --keep-port 10001 \
	--keep-peer "$pb,$(dp_out4 2):10002,$(dp_ip4 2)/32,$(dp_ip6 2)/128" wg0

kill -INT $ping4 $ping6 2>/dev/null
kill $dumper 2>/dev/null
wait $ping4 $ping6 $dumper 2>/dev/null
diag "ping A->B during the fuzz: $(grep -h 'transmitted' "$pinglog")"
diag "ping B->A during the fuzz: $(grep -h 'transmitted' "$pinglog.6")"
check "ping A->B through the tunnel after" dp_ping "$A" "$(dp_ip4 2)" 10
check "ping B->A through the tunnel after" dp_ping "$B" "$(dp_ip6 1)" 10

# --- teardown: what a leak would hold on to goes now -----------------------
check "A: wg0 deleted" ip -n "$A" link del wg0
check "B: wg0 deleted" ip -n "$B" link del wg0
ns_gone() { ns_del "$A" && ns_del "$B" && ns_del "$N"; }
check "namespaces deleted" ns_gone

done_testing
