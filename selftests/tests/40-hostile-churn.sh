#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Churn: WG_CHURN_CYCLES (200) cycles of create / configure / traffic /
# delete, each on fresh namespaces, the way of making and of killing the pair
# varied with the cycle number (selftests/tools/churn.c says how); then 1000
# peers added and removed a few times, by wg set, addconf, setconf and
# syncconf, next to a real peer whose ping flow must keep going; then the
# module is removed and loaded again and, on a kernel with kmemleak, nothing
# of ours may be reported as leaked.
#
# The cycles make pairs A <-> B three ways (a veth between two namespaces;
# both made in a third namespace W whose loopback carries their sockets'
# traffic, then moved; both made here, then moved), check a handshake and
# echoes, and kill them four ways under traffic (delete the devices; delete
# their namespaces; delete W, which deletes ours with it; move A's device to
# a new namespace, use it there, then delete it or its namespace), checking
# after each death that the UDP sockets are released where they lived.
#
# Knobs: WG_CHURN_CYCLES (200), WG_CHURN_PEERS (1000), WG_CHURN_ROUNDS (4,
# at most 4: one per way of adding and removing the peers), WG_CHURN_TRACE
# (1: the time of every step of every cycle).
. "${WG_REPO:-$(dirname "$0")/../..}/selftests/lib.sh"
require_module

CYCLES=${WG_CHURN_CYCLES:-200}
NPEERS=${WG_CHURN_PEERS:-1000}
ROUNDS=${WG_CHURN_ROUNDS:-4}
# How long a namespace's death may take to show (it runs in a worker).
WAIT=60
PFX=chn$$
KMEMLEAK=/sys/kernel/debug/kmemleak
t0=$SECONDS

# Mark the kernel log, so that only what this test caused is looked at.
echo "wg-churn: start $PFX" >/dev/kmsg
klog() { dmesg | sed -n "/wg-churn: start $PFX/,\$p"; }

if [ -w $KMEMLEAK ]; then
	check "kmemleak: forget earlier reports" eval "echo clear >$KMEMLEAK"
fi

# Whatever a failed cycle leaves here (its namespaces die with the driver).
cleanup_add "for d in \$(ip -o link show | awk -F': ' '\$2 ~ /^wgc[0-9]+[ab]/ { print \$2 }'); do
	ip link del \${d%@*}; done"

# A pool of key pairs; the two devices of cycle i use keys i and i+1.
KEYS=() PUBS=()
for ((k = 0; k < 4; k++)); do
	KEYS[k]=$(genkey)
	PUBS[k]=$(pubkey "${KEYS[k]}")
done

# NAP_FD: a pipe nobody writes to, to nap on without a process.
exec {NAP_FD}<> <(:)
nap() { read -r -t "$1" -u "$NAP_FD" _; return 0; }

# until_ok SECONDS CMD...: retry CMD every 0.1 s until it succeeds, for up
# to SECONDS of wall clock.
until_ok() {
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		((SECONDS < end)) || return 1
		nap 0.1
	done
}

# ---------------------------------------------------------------------------
# The cycles: selftests/tools/churn.c, one process (under emulation on a
# debug kernel every process costs 0.1 to 0.5 s, and a shell doing the same
# spent 8 s a cycle starting ip, wg and ping).
# ---------------------------------------------------------------------------

work=$(mktemp -d "${WG_SCRATCH:-/tmp}/churn.XXXXXX")
cleanup_add "rm -rf '$work'"
check "build the churn driver" gcc -O2 -Wall -Wextra -Werror -pthread \
	-o "$work/churn" "$WG_REPO/selftests/tools/churn.c"
args=(-n "$CYCLES")
for ((k = 0; k < 4; k++)); do
	args+=(-k "${KEYS[k]}:${PUBS[k]}")
done
is_intree && args+=(-I)
[ -n "${WG_CHURN_TRACE:-}" ] && args+=(-t)
nres=0
while IFS=$'\t' read -r kind what detail; do
	case $kind in
	pass) pass "$what"; nres=$((nres + 1)) ;;
	fail) fail "$what" "$detail"; nres=$((nres + 1)) ;;
	diag) diag "$what" ;;
	*) diag "churn: $kind $what $detail" ;;
	esac
done < <("$work/churn" "${args[@]}" 2>&1)
((nres)) || fail "the churn driver reported its cycles"
t1=$SECONDS

# init_ports_free: none of the init cycles' ports is bound here.
left=''
init_ports_none() {
	local f addr p
	left=''
	for f in /proc/net/udp /proc/net/udp6; do
		while read -r _ addr _; do
			[[ ${addr##*:} =~ ^[0-9A-F]{4}$ ]] || continue
			p=$((16#${addr##*:}))
			((p >= 30000 && p < 30000 + 2 * CYCLES)) && left+=" $p"
		done <"$f"
	done
	[ -z "$left" ]
}
init_ports_free() {
	until_ok "$WAIT" init_ports_none && return 0
	echo "still bound:$left"
	return 1
}
check "no UDP socket left here on the init cycles' ports" init_ports_free
check_eq "no WireGuard device left here" "" "$(ip -o link show type wireguard)"

# ---------------------------------------------------------------------------
# 1000 peers added and removed under traffic
# ---------------------------------------------------------------------------
# A (wg0, 10.241.0.1) and B (10.241.0.2) over a veth; A pings B every 10 ms
# throughout, and pings three of the peers it is given (routes to 10.200/16
# and fd99::/16 through wg0): two with an endpoint, toward which handshakes
# start (and fail: no route), one without.

A=$PFX-pa B=$PFX-pb
check "namespaces $A $B" ns_add "$A" "$B"
check "veth pair" dp_veth "$A" "$B"
ka=${KEYS[0]} kb=${KEYS[1]} pa=${PUBS[0]} pb=${PUBS[1]}
check "A's wg0" dp_wg "$A" 1 "$ka" 10001
check "B's wg0" dp_wg "$B" 2 "$kb" 10002
REAL_AIPS="10.241.0.2/32 fd10:241::2/128"
REAL_EP=$(dp_out4 2):10002
check "A: the real peer B" ip netns exec "$A" wg set wg0 peer "$pb" \
	endpoint "$REAL_EP" allowed-ips "${REAL_AIPS// /,}"
check "B: peer A" ip netns exec "$B" wg set wg0 peer "$pa" \
	endpoint "$(dp_out4 1):10001" allowed-ips 10.241.0.1/32,fd10:241::1/128
check "routes to the fake peers" ip -n "$A" -b - <<-EOF
	route add 10.200.0.0/16 dev wg0
	route add fd99::/16 dev wg0
EOF
check "tunnel up" dp_ping "$A" 10.241.0.2 10

tmp=$(mktemp -d)
cleanup_add "rm -rf '$tmp'"
# base.conf: A as it is (setconf and syncconf take a missing private key for
# none); fake.conf: the fake peers alone; big.conf: both; add.args /
# rm.args: wg set arguments adding / removing them, 100 peers a line.
/usr/bin/python3 -IS - "$tmp" "$NPEERS" "$ka" "$pb" "$REAL_EP" "$REAL_AIPS" <<'EOF'
import base64, os, sys

out, n, ka, pb, ep, aips = sys.argv[1], int(sys.argv[2]), *sys.argv[3:]
keys = [base64.b64encode(os.urandom(32)).decode() for _ in range(n)]

def aip(i):
    return "10.200.%d.%d/32" % (i // 250, i % 250 + 1), "fd99::%x/128" % (i + 1)

def ep_of(i):
    if i % 4 == 0:
        return "192.0.2.%d:%d" % (i % 250 + 1, 1000 + i)
    if i % 4 == 1:
        return "[2001:db8::%x]:%d" % (i, 1000 + i)
    return None

def conf_peer(i):
    s = "[Peer]\nPublicKey = %s\nAllowedIPs = %s\n" % (keys[i], ", ".join(aip(i)))
    if ep_of(i):
        s += "Endpoint = %s\n" % ep_of(i)
    return s

real = "[Peer]\nPublicKey = %s\nAllowedIPs = %s\nEndpoint = %s\n" % (
    pb, ", ".join(aips.split()), ep)
base = "[Interface]\nPrivateKey = %s\nListenPort = 10001\n\n%s" % (ka, real)
fake = "\n".join(conf_peer(i) for i in range(n))
for name, text in (("base.conf", base), ("fake.conf", fake),
                   ("big.conf", base + "\n" + fake)):
    with open(os.path.join(out, name), "w") as f:
        f.write(text)
with open(os.path.join(out, "add.args"), "w") as f:
    for j in range(0, n, 100):
        args = []
        for i in range(j, min(n, j + 100)):
            args += ["peer", keys[i], "allowed-ips", ",".join(aip(i))]
            if ep_of(i):
                args += ["endpoint", ep_of(i)]
        f.write(" ".join(args) + "\n")
with open(os.path.join(out, "rm.args"), "w") as f:
    f.write(" ".join("peer %s remove" % k for k in keys) + "\n")
EOF
check "the peer files are written" test -s "$tmp/big.conf" -a -s "$tmp/rm.args"

# The flows: pings to B (summary on SIGINT), and to fake peers 0, 1, 2.
ip netns exec "$A" ping -q -i 0.01 "$(dp_ip4 2)" >"$tmp/ping" 2>&1 &
flow=$!
cleanup_add "kill $flow"
fakeflow=''
for to in 10.200.0.1 fd99::2 10.200.0.3; do
	ip netns exec "$A" ping -q -i 0.05 "$to" >/dev/null 2>&1 &
	fakeflow+=" $!"
	cleanup_add "kill $!"
done

wgA() { ip netns exec "$A" wg "$@"; }
npeers() { wgA show wg0 peers | wc -l; }
add_set() {
	local line
	while read -r line; do
		# shellcheck disable=SC2086 # the arguments, split on purpose
		wgA set wg0 $line || return 1
	done <"$tmp/add.args"
}
rm_set() {
	# shellcheck disable=SC2046 # likewise
	wgA set wg0 $(cat "$tmp/rm.args")
}
# real_peer: B is still A's peer, as configured.
real_peer() {
	local aips ep
	aips=$(wgA show wg0 allowed-ips | awk -v k="$pb" '$1 == k { $1 = ""; print }')
	ep=$(wgA show wg0 endpoints | awk -v k="$pb" '$1 == k { print $2 }')
	[ "${aips# }" = "$REAL_AIPS" ] && [ "$ep" = "$REAL_EP" ] && return 0
	echo "allowed ips '${aips# }', endpoint '$ep'"
	return 1
}

ADDS=("wg set, 100 peers a command" "wg addconf" "wg syncconf" "wg setconf")
RMS=("wg set, all in one command" "wg syncconf" "wg set, all in one command"
	"wg setconf")
add_by() {
	case $1 in
	0) add_set ;;
	1) wgA addconf wg0 "$tmp/fake.conf" ;;
	2) wgA syncconf wg0 "$tmp/big.conf" ;;
	3) wgA setconf wg0 "$tmp/big.conf" ;;
	esac
}
rm_by() {
	case $1 in
	0 | 2) rm_set ;;
	1) wgA syncconf wg0 "$tmp/base.conf" ;;
	3) wgA setconf wg0 "$tmp/base.conf" ;;
	esac
}

key_before=$(wgA show wg0 private-key)
for ((r = 0; r < ROUNDS && r < 4; r++)); do
	s=$SECONDS
	check "round $((r + 1)): add $NPEERS peers by ${ADDS[r]}" add_by $r
	check_eq "round $((r + 1)): A has $((NPEERS + 1)) peers" \
		$((NPEERS + 1)) "$(npeers)"
	sleep 1
	check "round $((r + 1)): remove them by ${RMS[r]}" rm_by $r
	check_eq "round $((r + 1)): A has the real peer only" "$pb" \
		"$(wgA show wg0 peers)"
	check "round $((r + 1)): which is as configured" real_peer
	diag "round $((r + 1)) took $((SECONDS - s)) s"
done
check_eq "A's private key is unchanged" "$key_before" \
	"$(wgA show wg0 private-key)"

# shellcheck disable=SC2086 # a list of pids
kill $fakeflow 2>/dev/null
kill -INT $flow 2>/dev/null
wait $flow 2>/dev/null
stats=$(grep -E "packets transmitted" "$tmp/ping")
diag "ping flow: $stats"
flow_ok() {
	local tx rx
	read -r tx _ _ rx _ <<<"$stats"
	if [ -z "$tx" ] || [ "$tx" = 0 ]; then
		echo "no ping statistics"
		return 1
	fi
	# Under 5% loss: a setconf replaces the real peer, whose new
	# session then needs a handshake.
	[ $((rx * 100)) -ge $((tx * 95)) ]
}
check "the ping flow to the real peer lost under 5%" flow_ok
check "and the tunnel still works" dp_ping "$A" 10.241.0.2 10
diag "the $NPEERS peers part took $((SECONDS - t1)) s"

check "delete $A and $B" eval "ns_del $A && ns_del $B"

# ---------------------------------------------------------------------------
# Everything gone; rmmod; kmemleak; load again
# ---------------------------------------------------------------------------

refcnt=''
refcnt_is_0() {
	read -r refcnt </sys/module/wireguard/refcnt && [ "$refcnt" = 0 ]
}
refcnt_zero() {
	until_ok "$WAIT" refcnt_is_0 && return 0
	echo "refcnt $refcnt"
	return 1
}
check "module refcount back to 0" refcnt_zero

# kmemleak_scan: two scans (a leak is reported when it has been seen
# unreferenced and unchanged for a while); the report in $LEAKS.
LEAKS=
kmemleak_scan() {
	echo scan >$KMEMLEAK || return 1
	sleep 6
	echo scan >$KMEMLEAK || return 1
	LEAKS=$(cat $KMEMLEAK)
}

# Our module's symbols, to name the addresses of a report made after it is
# gone (kmemleak can only name what is still loaded).
syms=$tmp/syms
[ -w $KMEMLEAK ] && grep '\[wireguard\]' /proc/kallsyms | sort >"$syms"

reload=
case ${WG_MODULE:-} in
intree | /*.ko) reload=$WG_MODULE ;;
esac
rmmod_ok=0
if [ -z "$reload" ]; then
	skip "rmmod wireguard" "WG_MODULE does not say how to load it again"
else
	check "rmmod wireguard" timeout 300 rmmod wireguard && rmmod_ok=1
	check_fail "the module is gone" test -e /sys/module/wireguard
fi

check_nomatch "no device stuck in unregister_netdevice" \
	"unregister_netdevice: waiting for" "$(klog)"

# name_addrs: the report with our former addresses named from $syms.
name_addrs() {
	/usr/bin/python3 -IS -c '
import bisect, re, sys
syms = []
for line in open(sys.argv[1]):
    f = line.split()
    if len(f) >= 3:
        syms.append((int(f[0], 16), f[2]))
syms.sort()
addrs = [a for a, _ in syms]
def name(m):
    a = int(m.group(1), 16)
    i = bisect.bisect_right(addrs, a) - 1
    if i < 0 or a - addrs[i] > 0x10000:
        return m.group(0)
    return "%s+0x%x [wireguard]" % (syms[i][1], a - addrs[i])
for line in sys.stdin:
    sys.stdout.write(re.sub(r"\b0x([0-9a-f]{16})\b", name, line))
' "$syms"
}

if [ ! -w $KMEMLEAK ]; then
	skip "kmemleak reports nothing of ours" "no kmemleak in this kernel"
else
	s=$SECONDS
	check "kmemleak scan" kmemleak_scan
	diag "kmemleak scans took $((SECONDS - s)) s"
	report=$(name_addrs <<<"$LEAKS")
	if [ -n "$report" ]; then
		diag "kmemleak reports:"
		diag "$report"
	fi
	# One report per "unreferenced object" paragraph; ours if its
	# backtrace is in our module.
	ours=$(awk -v RS= '/\[wireguard\]|wireguard|wg_/' <<<"$report")
	check_eq "kmemleak reports nothing of ours" "" "$ours"
	others=$(awk -v RS= '!/\[wireguard\]|wireguard|wg_/' <<<"$report" |
		grep -c "^unreferenced object")
	((others)) && diag "kmemleak: $others report(s) not ours (see above)"
fi

insmod_again() {
	local d
	for d in $(modinfo -F depends "$reload" | tr , " "); do
		modprobe "$d" || return 1
	done
	insmod "$reload"
}
if ((rmmod_ok)); then
	case $reload in
	intree)
		check "modprobe wireguard (in-tree) again" modprobe wireguard ;;
	*)
		check "insmod $reload again" insmod_again ;;
	esac
	check "and a device can be created and deleted" eval \
		'ip link add wg0 type wireguard && ip link del wg0'
fi
diag "the whole test took $((SECONDS - t0)) s"

done_testing
