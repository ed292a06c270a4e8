# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# Helpers of the benchmarks that run in the VM (data.sh, scale.sh,
# profile.sh, dump-cost.sh); sourced.
#
# The VM was started with our module (run.sh --module). Each run loads the
# module it measures: ours with insmod of $WG_MODULE, the kernel's own with
# `modprobe --ignore-install wireguard` -- a plain `modprobe wireguard`
# would load ours again, as guest.sh installs a modprobe.d rule for that.
# Every load is checked (ours taints the kernel "O", the in-tree one not).
#
# Figures go to stdout as "raw BOOT KERNEL PATH METRIC MODULE RUN VALUE"
# (summary.awk reads them), comments as "# ...".

export LC_ALL=C
BENCH_DIR=$WG_REPO/selftests/bench
BOOT=${WG_BENCH_BOOT:-1}
# The kernel series (6.12, 6.1) names the figures.
SERIES=$(uname -r | sed -E 's/^([0-9]+\.[0-9]+).*/\1/')
BENCH_TMP=$(mktemp -d "${WG_SCRATCH:-/tmp}/bench.XXXXXX")
RAW=$BENCH_TMP/raw

say() { echo "# $*"; }
die() { echo "bench: $*" >&2; echo "not ok - $*"; exit 1; }

# raw PATH METRIC MODULE RUN VALUE: one figure.
raw() {
	echo "raw $BOOT $SERIES $*" | tee -a "$RAW"
}

# summary: one line per metric of this boot's figures so far.
summary() {
	[ -s "$RAW" ] && awk -v mode=lines -f "$BENCH_DIR/summary.awk" "$RAW"
}

# --- the two paths (data.sh, profile.sh) -------------------------------------
# The caller names the namespaces: A and B hold wg0 each (10.77.0.1 and
# .2), S holds the loopback path's UDP sockets.

# path_keys: the two devices' keys, made once.
path_keys() {
	[ -n "${KA:-}" ] && return 0
	KA=$(wg genkey) KB=$(wg genkey)
	PA=$(wg pubkey <<<"$KA") PB=$(wg pubkey <<<"$KB")
}

ns_fresh() {
	local n
	for n; do
		ip netns del "$n" 2>/dev/null
		ip netns add "$n" && ip -n "$n" link set lo up || return 1
	done
}

# wg_conf NS DEV KEY PORT PEER PEER-ADDR ENDPOINT
wg_conf() {
	ip netns exec "$1" wg set "$2" private-key <(echo "$3") listen-port "$4" \
		peer "$5" allowed-ips "$6/32" endpoint "$7"
}

# tunnel_up: addresses on both wg0, up, one ping through (the handshake).
tunnel_up() {
	local i
	ip -n $A addr add 10.77.0.1/24 dev wg0 && ip -n $B addr add 10.77.0.2/24 dev wg0 &&
		ip -n $A link set wg0 up && ip -n $B link set wg0 up || return 1
	for ((i = 0; i < 10; i++)); do
		ip netns exec $A ping -q -c 1 -W 2 10.77.0.2 >/dev/null 2>&1 && return 0
	done
	return 1
}

setup_veth() {
	path_keys && ns_fresh $A $B || return 1
	ip -n $A link add veth0 type veth peer name veth0 netns $B &&
		ip -n $A addr add 192.168.77.1/24 dev veth0 &&
		ip -n $B addr add 192.168.77.2/24 dev veth0 &&
		ip -n $A link set veth0 up && ip -n $B link set veth0 up &&
		ip -n $A link add wg0 type wireguard &&
		ip -n $B link add wg0 type wireguard || return 1
	wg_conf $A wg0 "$KA" 51001 "$PB" 10.77.0.2 192.168.77.2:51002 &&
		wg_conf $B wg0 "$KB" 51002 "$PA" 10.77.0.1 192.168.77.1:51001 &&
		tunnel_up
}

setup_loop() {
	path_keys && ns_fresh $S $A $B || return 1
	ip -n $S link add wg1 type wireguard && ip -n $S link add wg2 type wireguard &&
		wg_conf $S wg1 "$KA" 51001 "$PB" 10.77.0.2 127.0.0.1:51002 &&
		wg_conf $S wg2 "$KB" 51002 "$PA" 10.77.0.1 127.0.0.1:51001 &&
		ip -n $S link set wg1 netns $A && ip -n $A link set wg1 name wg0 &&
		ip -n $S link set wg2 netns $B && ip -n $B link set wg2 name wg0 &&
		tunnel_up || return 1
	# The sockets stayed in $S (ports 51001 and 51002, IPv4 and IPv6).
	[ "$(ip netns exec $S ss -Huan | grep -c ':5100[12] ')" -ge 2 ] ||
		say "loop: WARNING: the UDP sockets are not in $S"
}

teardown() {
	ip netns del $A 2>/dev/null
	ip netns del $B 2>/dev/null
	ip netns del $S 2>/dev/null
}

# --- the module under test --------------------------------------------------

mod_which() {
	if [ ! -d /sys/module/wireguard ]; then
		echo none
	elif grep -q O /sys/module/wireguard/taint 2>/dev/null; then
		echo ours
	else
		echo in-tree
	fi
}

# mod_unload: rmmod, retried while devices of a deleted namespace go away.
mod_unload() {
	local i
	for ((i = 0; i < 600; i++)); do
		[ -d /sys/module/wireguard ] || return 0
		rmmod wireguard 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# WG_BENCH_AGAINST: another build of ours (a path in the repository, KVER
# standing for the kernel's version) measured in the in-tree driver's
# place, for an A/B of two builds; the figures are still labelled in-tree.
against() {
	[ -n "${WG_BENCH_AGAINST:-}" ] || return 1
	echo "$WG_REPO/${WG_BENCH_AGAINST//KVER/$(uname -r)}"
}

# mod_load ours|in-tree: that module loaded (the other unloaded first).
# MOD_LOADED tells the two apart when both are builds of ours (mod_which
# says "ours" for either).
MOD_LOADED=$(mod_which)
mod_load() {
	local other want=$1
	[ "$MOD_LOADED" = "$1" ] && [ "$(mod_which)" != none ] && return 0
	mod_unload || die "cannot unload $(mod_which) wireguard"
	MOD_LOADED=
	case $1 in
	ours)
		[[ ${WG_MODULE:-} == /* ]] || die "no module of ours (run.sh --module)"
		insmod "$WG_MODULE" || die "insmod $WG_MODULE failed"
		;;
	in-tree)
		if other=$(against); then
			insmod "$other" || die "insmod $other failed"
			want=ours
		else
			modprobe --ignore-install wireguard ||
				die "modprobe of the in-tree wireguard failed"
		fi
		;;
	esac
	[ "$(mod_which)" = "$want" ] || die "loaded $(mod_which), wanted $1"
	MOD_LOADED=$1
}

# conf_idle FILE N: an [Interface] and N peers with random keys.
conf_idle() {
	python3 - "$@" <<'EOF'
import base64, os, sys
path, n = sys.argv[1], int(sys.argv[2])
b64 = lambda b: base64.b64encode(b).decode()
with open(path, "w") as f:
    f.write("[Interface]\nPrivateKey = %s\nListenPort = 51000\n" % b64(os.urandom(32)))
    for i in range(n):
        f.write("[Peer]\nPublicKey = %s\n"
                "AllowedIPs = 10.%d.%d.%d/32, fd00:1::%x:%x/128\n"
                "Endpoint = 192.0.2.%d:%d\n" %
                (b64(os.urandom(32)), i >> 16 & 255, i >> 8 & 255, i & 255,
                 i >> 16, i & 0xffff, i % 254 + 1, 1024 + i % 60000))
EOF
}

# order REPS A B: the runs as "MODULE RUN" lines, interleaved A B B A A B ...
# so that a drift of the machine weighs on both alike.
order() {
	local reps=$1 a=$2 b=$3 r
	for ((r = 1; r <= reps; r++)); do
		if ((r % 2)); then
			echo "$a $r"; echo "$b $r"
		else
			echo "$b $r"; echo "$a $r"
		fi
	done
}

# --- tools (selftests/tools) ------------------------------------------------

# tool NAME [LIBS...]: path of the built tool: from $WG_BENCH_TOOLS (bench.sh
# builds them on the host), else compiled here.
tool() {
	local name=$1 bin
	shift
	if [ -n "${WG_BENCH_TOOLS:-}" ] && [ -x "$WG_BENCH_TOOLS/$name" ]; then
		echo "$WG_BENCH_TOOLS/$name"
		return
	fi
	bin=$BENCH_TMP/$name
	[ -x "$bin" ] || gcc -O2 -Wall -o "$bin" "$WG_REPO/selftests/tools/$name.c" "$@" >&2 ||
		die "cannot build $name"
	echo "$bin"
}

# --- counters ---------------------------------------------------------------

# now: seconds since the epoch, microseconds (no fork).
now() { echo "${EPOCHREALTIME/,/.}"; }

# elapsed T0: seconds since T0 (from now), three decimals.
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f\n", b - a }'; }

# cpu_counters: "CTXT RES CAL TLB" -- context switches (/proc/stat) and the
# inter-processor interrupts of /proc/interrupts (rescheduling, function
# call, TLB shootdown), summed over the CPUs.
cpu_counters() {
	local ctxt
	ctxt=$(awk '$1 == "ctxt" { print $2 }' /proc/stat)
	awk -v c="$ctxt" '
		$1 == "RES:" || $1 == "CAL:" || $1 == "TLB:" {
			for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) s[$1] += $i
		}
		END { print c, s["RES:"] + 0, s["CAL:"] + 0, s["TLB:"] + 0 }' /proc/interrupts
}
