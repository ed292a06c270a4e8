#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Churn: WG_CHURN_CYCLES (200) cycles of create / configure / traffic /
# delete, each on fresh namespaces, the way of making and of killing the pair
# varied with the cycle number; then 1000 peers added and removed a few
# times, by wg set, addconf, setconf and syncconf, next to a real peer whose
# ping flow must keep going; then the module is removed and loaded again and,
# on a kernel with kmemleak, nothing of ours may be reported as leaked.
#
# A cycle makes a pair of devices A <-> B one of three ways:
#   veth  each device created in its own namespace, a veth pair between them
#   wire  both created in a third namespace W (their UDP sockets stay there,
#         talking over W's loopback), then moved to A and B
#   init  both created and configured here in init_net (sockets here), then
#         moved to A and B with ip link set netns
# checks a handshake and a burst of pings, then kills the pair, with pings
# running from the side that survives longest, one of four ways:
#   linkdel  ip link del on each device
#   nsdel    delete A's namespace (with A's device), then B's
#   sockdel  delete W, the namespace holding the sockets (wire only): ours
#            deletes the devices with it, the in-tree driver keeps them
#   move     move A's device to a new namespace C, bring it up there and
#            ping through it, then delete it (ip link del or C's deletion)
# After each death the UDP sockets must be released where they lived.
#
# Knobs: WG_CHURN_CYCLES (200), WG_CHURN_PEERS (1000), WG_CHURN_ROUNDS (4,
# at most 4: one per way of adding and removing the peers), WG_CHURN_JOBS
# (cycles run side by side; default one per CPU).
. "${WG_REPO:-$(dirname "$0")/../..}/selftests/lib.sh"
require_module

CYCLES=${WG_CHURN_CYCLES:-200}
NPEERS=${WG_CHURN_PEERS:-1000}
ROUNDS=${WG_CHURN_ROUNDS:-4}
JOBS=${WG_CHURN_JOBS:-$(nproc)}
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

# Whatever a failed cycle leaves: our namespaces and init_net devices.
cleanup_add "for n in \$(ip netns list | awk '/^$PFX-/ { print \$1 }'); do
	ip netns del \$n; done
	for d in \$(ip -o link show | awk -F': ' '\$2 ~ /^wgc[0-9]+[ab]/ { print \$2 }'); do
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
# Helpers of a cycle. Each prints what went wrong and fails. Few processes:
# every one costs a lot under emulation, hence ip's batches and builtins.
# ---------------------------------------------------------------------------

cyout=$(mktemp)
cleanup_add "rm -f '$cyout'"

# step DESC CMD...: run CMD; on failure print DESC, the command and its
# output. WG_CHURN_TRACE=1 prints the time each step took.
step() {
	local desc=$1 out t=$EPOCHREALTIME rc
	shift
	"$@" >"$cyout" 2>&1
	rc=$?
	[ -n "${WG_CHURN_TRACE:-}" ] &&
		echo "# trace: $desc: $(((${EPOCHREALTIME/./} - ${t/./}) / 1000)) ms" >&3
	[ $rc = 0 ] && return 0
	IFS= read -r -d '' out <"$cyout"
	echo "$desc: failed (status $rc): $*"
	echo "$out"
	return 1
}

# bound_here PORT [PID]: some UDP socket of this namespace (of PID's) is on
# PORT.
bound_here() {
	local f addr hex
	printf -v hex '%04X' "$1"
	for f in /proc/${2:-self}/net/udp /proc/${2:-self}/net/udp6; do
		while read -r _ addr _; do
			[ "${addr##*:}" = "$hex" ] && return 0
		done <"$f"
	done
	return 1
}

# bound_in NS PORT: likewise in NS ("" = here); without a new process when
# the background ping is there (once ip netns exec has moved it).
bound_in() {
	if [ -z "$1" ]; then
		bound_here "$2"
	elif [ -n "$BGPID" ] && [ "$1" = "$BGNS" ] &&
		[ "/proc/$BGPID/ns/net" -ef "/run/netns/$1" ]; then
		bound_here "$2" "$BGPID"
	else
		! unbound "$2" "$1"
	fi
}

# released NS PORT: no UDP socket on PORT in NS within WAIT s (namespaces
# die asynchronously); trivially true once NS is gone.
no_port() {
	{ [ -n "$1" ] && [ ! -e "/run/netns/$1" ]; } || ! bound_in "$1" "$2"
}
released() {
	until_ok "$WAIT" no_port "$@" && return 0
	echo "port $2 still bound in ${1:-init_net} after $WAIT s"
	return 1
}

# gone NS DEV: DEV disappears from NS within WAIT s.
no_dev() {
	[ ! -e "/run/netns/$1" ] || ! ip -n "$1" link show "$2" >/dev/null 2>&1
}
gone() {
	until_ok "$WAIT" no_dev "$@" && return 0
	echo "$2 still in $1 after $WAIT s"
	return 1
}

# The state of the current cycle: namespaces of the devices (NA NB), of
# their sockets (SA SB, "" = here), the sockets' W and the move's C; the
# devices (DA DB), their ports (PA PB), the inner family (FAM, 4 or 6) and
# tunnel addresses (TA TB); the background ping (BGPID) and its namespace.
NA='' NB='' NW='' NC='' SA='' SB='' DA='' DB='' PA='' PB=''
FAM='' TA='' TB='' BGPID='' BGNS=''

# bg_ping FROM-NS TO-ADDR: a ping every 10 ms in the background.
bg_ping() {
	ip netns exec "$1" ping -q -i 0.01 -w 60 "$2" >/dev/null 2>&1 &
	BGPID=$! BGNS=$1
}
bg_stop() {
	[ -n "$BGPID" ] || return 0
	kill "$BGPID" 2>/dev/null
	wait "$BGPID" 2>/dev/null
	BGPID=
}

# burst NS ADDR: a handshake, if needed, and 10 pings answered.
burst() { ip netns exec "$1" ping -q -c 10 -i 0.01 -w 10 "$2"; }

# wgconf NS DEV KEY PORT PEER ENDPOINT N: configure DEV as host N.
wgconf() {
	local peer=$((3 - $7))
	ns_exec "$1" wg set "$2" private-key /dev/stdin listen-port "$4" \
		peer "$5" endpoint "$6" \
		allowed-ips "10.241.0.$peer/32,fd10:241::$peer/128" <<<"$3"
}

# tun_up NS DEV N [ip batch lines]: the tunnel addresses of host N on DEV,
# up; in one ip batch with the extra lines.
tun_up() {
	ip -n "$1" -b - <<-EOF
		${4:-}
		addr add 10.241.0.$3/24 dev $2
		addr add fd10:241::$3/64 dev $2 nodad
		link set $2 up
	EOF
}

# The ways of making a pair, each setting the state above.
make_veth() {
	local i=$1 oa=192.168.241.1 ob=192.168.241.2 h ka kb
	NA=$PFX-$i-a NB=$PFX-$i-b SA=$NA SB=$NB DA=wg0 DB=wg0 PA=10001 PB=10002
	[ "$FAM" = 6 ] && oa='[fd00:241::1]' ob='[fd00:241::2]'
	step "namespaces and veth" ip -b - <<-EOF || return 1
		netns add $NA
		netns add $NB
		link add veth0 netns $NA type veth peer name veth0 netns $NB
	EOF
	for h in 1 2; do
		ka=$NA
		[ $h = 2 ] && ka=$NB
		step "host $h: veth up, wg0 made there" tun_up "$ka" wg0 $h "
			addr add 192.168.241.$h/24 dev veth0
			addr add fd00:241::$h/64 dev veth0 nodad
			link set veth0 up
			link add wg0 type wireguard" || return 1
	done
	ka=${KEYS[i % 4]} kb=${KEYS[(i + 1) % 4]}
	step "configure A" wgconf "$NA" wg0 "$ka" $PA \
		"${PUBS[(i + 1) % 4]}" "$ob:$PB" 1 || return 1
	step "configure B" wgconf "$NB" wg0 "$kb" $PB \
		"${PUBS[i % 4]}" "$oa:$PA" 2 || return 1
}

make_wire() {
	local i=$1 lo=127.0.0.1
	NA=$PFX-$i-a NB=$PFX-$i-b NW=$PFX-$i-w SA=$NW SB=$NW DA=wga DB=wgb
	PA=10001 PB=10002
	[ "$FAM" = 6 ] && lo='[::1]'
	step "namespaces" ip -b - <<-EOF || return 1
		netns add $NA
		netns add $NB
		netns add $NW
	EOF
	step "devices made in W, moved to A and B" ip -n "$NW" -b - <<-EOF || return 1
		link set lo up
		link add wga type wireguard
		link add wgb type wireguard
		link set wga netns $NA
		link set wgb netns $NB
	EOF
	step "A up" tun_up "$NA" wga 1 || return 1
	step "B up" tun_up "$NB" wgb 2 || return 1
	# Configured where they live now, up: the sockets open in W.
	step "configure A" wgconf "$NA" wga "${KEYS[i % 4]}" $PA \
		"${PUBS[(i + 1) % 4]}" "$lo:$PB" 1 || return 1
	step "configure B" wgconf "$NB" wgb "${KEYS[(i + 1) % 4]}" $PB \
		"${PUBS[i % 4]}" "$lo:$PA" 2 || return 1
}

make_init() {
	local i=$1 lo=127.0.0.1
	NA=$PFX-$i-a NB=$PFX-$i-b SA='' SB='' DA=wgc${i}a DB=wgc${i}b
	PA=$((30000 + 2 * i)) PB=$((30001 + 2 * i))
	[ "$FAM" = 6 ] && lo='[::1]'
	step "namespaces, devices here" ip -b - <<-EOF || return 1
		netns add $NA
		netns add $NB
		link add $DA type wireguard
		link add $DB type wireguard
	EOF
	step "configure A here" wgconf "" "$DA" "${KEYS[i % 4]}" $PA \
		"${PUBS[(i + 1) % 4]}" "$lo:$PB" 1 || return 1
	step "configure B here" wgconf "" "$DB" "${KEYS[(i + 1) % 4]}" $PB \
		"${PUBS[i % 4]}" "$lo:$PA" 2 || return 1
	# Up here, then moved (which takes them down): the sockets are in the
	# namespace a device was made in, wherever it is brought up.
	step "up here, moved to A and B" ip -b - <<-EOF || return 1
		link set $DA up
		link set $DB up
		link set $DA netns $NA
		link set $DB netns $NB
	EOF
	step "A up" tun_up "$NA" "$DA" 1 || return 1
	step "B up" tun_up "$NB" "$DB" 2 || return 1
}

# The ways of killing it, pings running from the side that lives longer.
kill_linkdel() {
	bg_ping "$NB" "$TA"
	step "delete A's device under traffic" ip -n "$NA" link del "$DA" ||
		return 1
	step "A's socket released" released "$SA" "$PA" || return 1
	step "delete B's device (pinging through it)" ip -n "$NB" link del "$DB" ||
		return 1
	step "B's socket released" released "$SB" "$PB"
}

kill_nsdel() {
	bg_ping "$NB" "$TA"
	step "delete A's namespace under traffic" ip netns del "$NA" || return 1
	step "A's socket released" released "$SA" "$PA" || return 1
	bg_stop
	step "delete B's namespace" ip netns del "$NB" || return 1
	step "B's socket released" released "$SB" "$PB"
}

kill_sockdel() {
	bg_ping "$NA" "$TB"
	step "delete W, the sockets' namespace, under traffic" \
		ip netns del "$NW" || return 1
	# The in-tree driver keeps the devices, without sockets; ours
	# deletes them with the namespace their sockets were in.
	is_intree && return 0
	step "A's device deleted with W" gone "$NA" "$DA" || return 1
	step "B's device deleted with W" gone "$NB" "$DB"
}

kill_move() {
	local i=$1
	NC=$PFX-$i-c
	bg_ping "$NB" "$TA"
	step "namespace C" ip netns add "$NC" || return 1
	step "move A's device to C under traffic" \
		ip -n "$NA" link set "$DA" netns "$NC" || return 1
	step "up in C" tun_up "$NC" "$DA" 1 || return 1
	step "pings through it from C" burst "$NC" "$TB" || return 1
	# (Checked where it costs no process: 10-config-netns covers it.)
	if [ -z "$SA" ]; then
		step "its socket stays here" bound_here "$PA" || return 1
	fi
	if ((i / 20 % 2)); then
		step "delete C with A's device under traffic" \
			ip netns del "$NC" || return 1
	else
		step "delete A's device in C under traffic" \
			ip -n "$NC" link del "$DA" || return 1
	fi
	step "A's socket released" released "$SA" "$PA" || return 1
	step "delete B's device" ip -n "$NB" link del "$DB" || return 1
	step "B's socket released" released "$SB" "$PB"
}

# Every way of making with every way of killing that applies to it.
COMBOS=(veth/linkdel wire/nsdel init/move veth/nsdel wire/sockdel
	init/linkdel veth/move wire/linkdel init/nsdel wire/move)

# cycle I: one cycle, combination COMBOS[I % n]; the inner and outer
# address family alternate between 4 and 6 every n cycles.
cycle() {
	local i=$1 how=${COMBOS[$1 % ${#COMBOS[@]}]}
	FAM=4 TA=10.241.0.1 TB=10.241.0.2
	((i / ${#COMBOS[@]} % 2)) && FAM=6 TA=fd10:241::1 TB=fd10:241::2
	NA='' NB='' NW='' NC='' DA='' DB='' BGPID=''
	"make_${how%/*}" "$i" || return 1
	step "handshake and 10 pings A -> B" burst "$NA" "$TB" || return 1
	"kill_${how#*/}" "$i"
}

# cycle_end: remove whatever the cycle left, in one batch.
cycle_end() {
	local n cmds=''
	bg_stop
	for n in "$NA" "$NB" "$NC" "$NW"; do
		[ -n "$n" ] && [ -e "/run/netns/$n" ] && cmds+="netns del $n"$'\n'
	done
	for n in "$DA" "$DB"; do
		[[ $n == wgc* ]] && [ -e "/sys/class/net/$n" ] &&
			cmds+="link del $n"$'\n'
	done
	[ -z "$cmds" ] || ip -force -b - <<<"$cmds"
}

# ---------------------------------------------------------------------------
# The cycles
# ---------------------------------------------------------------------------

# The cycles run in JOBS workers side by side (cycle c in worker c % JOBS):
# each runs one process after another, and processes cost most of a cycle
# under emulation (on a debug kernel, 0.1 s for /bin/true, 0.4 s for ip),
# so one worker per CPU. The pairs of two workers die at the same time as
# often as not, which is churn too. A worker writes a line per cycle,
# "COMBO STATUS FAMILY", and a failed cycle's output to fail.C.
rdir=$(mktemp -d)
cleanup_add "rm -rf '$rdir'"
exec 3>&1
worker() {
	local c how
	_outfile=$rdir/capture.$1 cyout=$rdir/step.$1
	for ((c = $1; c < CYCLES; c += JOBS)); do
		how=${COMBOS[c % ${#COMBOS[@]}]}
		_capture cycle $c
		echo "$how $RC $FAM" >>"$rdir/result.$1"
		[ "$RC" = 0 ] || printf '%s\n' "$OUT" >"$rdir/fail.$c"
		cycle_end
		((c % 20 == 19)) && diag "$((c + 1)) cycles, $((SECONDS - t0)) s"
	done
}
workers=()
for ((w = 0; w < JOBS; w++)); do
	worker $w &
	workers+=($!)
done
wait "${workers[@]}"
declare -A nfail ncyc first
for ((c = 0; c < CYCLES; c++)); do
	read -r how rc fam < <(sed -n "$((c / JOBS + 1))p" "$rdir/result.$((c % JOBS))")
	[ -n "$how" ] || how="${COMBOS[c % ${#COMBOS[@]}]}" rc=lost fam=?
	ncyc[$how]=$((${ncyc[$how]:-0} + 1))
	if [ "$rc" != 0 ]; then
		nfail[$how]=$((${nfail[$how]:-0} + 1))
		[ -n "${first[$how]}" ] ||
			first[$how]="cycle $c (IPv$fam): $(cat "$rdir/fail.$c" 2>/dev/null)"
	fi
done
for how in "${COMBOS[@]}"; do
	[ -n "${ncyc[$how]}" ] || continue
	if [ -z "${nfail[$how]}" ]; then
		pass "$how: ${ncyc[$how]} cycles"
	else
		fail "$how: ${ncyc[$how]} cycles" \
			"${nfail[$how]} failed, the first: ${first[$how]}"
	fi
done
t1=$SECONDS
diag "$CYCLES cycles took $((t1 - t0)) s"

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
check_eq "none of the cycles' namespaces left" "" \
	"$(ip netns list | grep "^$PFX-")"

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
