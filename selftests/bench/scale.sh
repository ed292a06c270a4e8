#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Configuration at scale, our module against the kernel's own wireguard in
# one VM boot (selftests/bench/bench.sh scale, `make bench-scale`; with
# 1000000 peers and ours only, `make bench-scale-1m`). Each module in turn
# (WG_BENCH_MODULES, "ours in-tree"; WG_BENCH_REPS runs each, interleaved)
# runs the steps (WG_BENCH_STEPS, "delete config"):
#
#   config  WG_BENCH_PEERS (100000) peers, each with a public key, an
#           endpoint and two allowed IPs (an IPv4 /32, an IPv6 /128), on an
#           up device in namespace bench-big:
#             setconf        seconds of `wg setconf`
#             kib_peer       KiB per peer: Slab + Percpu of /proc/meminfo
#                            after minus before, caches dropped and every
#                            slab cache shrunk at both points
#             kib_peer_free  the same from MemFree (catches memory outside
#                            the slab: vmalloc, pages)
#             dump           seconds of `wg show wg0 dump` (into tmpfs;
#                            checked to list every peer); dump_user and
#                            dump_sys: its user and system CPU seconds
#             dump_nl        seconds of the same dump received and not
#                            decoded (wgnl.py time-dump): the module's part
#             del_all        seconds of `ip link del` of that device; not
#                            for the in-tree driver in the boot's last run:
#                            it deletes peers one by one (~25 ms each under
#                            emulation, 40 min for 100000), so its device
#                            stays until the VM powers off
#   delete  a device of WG_BENCH_DEL_PEERS (10000) peers, each with a key,
#           an endpoint and two allowed IPs, deleted with `ip link del` in
#           four cases (WG_BENCH_DEL_CASES): up-idle, down-idle, up-hs,
#           down-hs -- "hs" (handshaken): every peer first completed a real
#           handshake with the device (selftests/tools/handshaker.c acts as
#           each of the 10000 peers from its own source address, the device
#           as responder, and sends a keepalive on the new session, which
#           confirms it), checked in `wg show dump` (a latest handshake and
#           received bytes for every peer); "down": `ip link set down`
#           before the delete. A delete that takes more than
#           WG_BENCH_DEL_TIMEOUT (600) s is reported as ">600" (and waited
#           for all the same). hs_rate: handshakes a second the device
#           completed (with the handshaker on the same two CPUs).
#
# Before the first step a module-neutral warm-up touches the VM's free
# memory once (a file in /dev/shm, up to 4 GiB), so that the first module measured does
# not pay for QEMU backing the guest's memory for the first time.
# Output: each figure as it comes, then per metric ours, in-tree and the
# ratio (summary.awk); raw figures as "raw BOOT KERNEL PATH METRIC MODULE
# RUN VALUE", PATH the peer count.

set -u
. "$WG_REPO/selftests/bench/lib.sh"

PEERS=${WG_BENCH_PEERS:-100000}
DEL_PEERS=${WG_BENCH_DEL_PEERS:-10000}
STEPS=${WG_BENCH_STEPS:-delete config}
CASES=${WG_BENCH_DEL_CASES:-up-idle down-idle up-hs down-hs}
DEL_TIMEOUT=${WG_BENCH_DEL_TIMEOUT:-600}
MODULES=${WG_BENCH_MODULES:-ours in-tree}
REPS=${WG_BENCH_REPS:-1}
S=bench-s BIGNS=bench-big

# count N: 100000 -> 100k, 1000000 -> 1M.
count() {
	local n=$1
	if ((n % 1000000 == 0)); then echo "$((n / 1000000))M"
	elif ((n % 1000 == 0)); then echo "$((n / 1000))k"
	else echo "$n"; fi
}
BIG=$(count "$PEERS") SMALL=$(count "$DEL_PEERS")

# secs_since T0: seconds from $EPOCHREALTIME T0 to now.
secs_since() {
	local t1=$EPOCHREALTIME
	awk -v a="$1" -v b="$t1" 'BEGIN { printf "%.3f\n", b - a }'
}

ns_new() {	# [NS]
	ip netns del "${1:-$S}" 2>/dev/null
	ip netns add "${1:-$S}" && ip -n "${1:-$S}" link set lo up
}

# mem_kib: "SLAB+PERCPU MEMFREE VMALLOC" in KiB, caches dropped and slabs
# shrunk.
mem_kib() {
	local f
	sync
	echo 3 >/proc/sys/vm/drop_caches
	for f in /sys/kernel/slab/*/shrink; do echo 1 >"$f"; done 2>/dev/null
	awk '$1 == "Slab:" { s = $2 } $1 == "Percpu:" { p = $2 }
		$1 == "MemFree:" { f = $2 } $1 == "VmallocUsed:" { v = $2 }
		END { print s + p, f, v }' /proc/meminfo
}

# conf_hs FILE PRIVKEY PUBS: the device of the delete cases, its peers the
# handshaker's (keys from PUBS, endpoints 10.201.0.1 + i port 40000).
conf_hs() {
	python3 - "$@" <<'EOF'
import sys
path, key, pubs = sys.argv[1], sys.argv[2], sys.argv[3]
with open(pubs) as p, open(path, "w") as f:
    f.write("[Interface]\nPrivateKey = %s\nListenPort = 51820\n" % key)
    for i, pub in enumerate(p):
        src = (10 << 24 | 201 << 16) + 1 + i
        f.write("[Peer]\nPublicKey = %s\n"
                "AllowedIPs = 10.100.%d.%d/32, fd00:2::%x/128\n"
                "Endpoint = %d.%d.%d.%d:40000\n" %
                (pub.strip(), i >> 8 & 255, i & 255, i,
                 src >> 24, src >> 16 & 255, src >> 8 & 255, src & 255))
EOF
}

# timed_del NS DEV: `ip link del DEV` in NS; prints its seconds, or
# ">DEL_TIMEOUT" if it takes longer (then waits for it all the same).
timed_del() {
	local t0 pid spid
	t0=$EPOCHREALTIME
	ip -n "$1" link del "$2" &
	pid=$!
	sleep "$DEL_TIMEOUT" &
	spid=$!
	wait -n $pid $spid
	if kill -0 $pid 2>/dev/null; then
		echo ">$DEL_TIMEOUT"
		say "ip link del still running after ${DEL_TIMEOUT}s; waiting for it" >&2
		wait $pid
		say "... it took $(secs_since "$t0")s" >&2
	else
		secs_since "$t0"
		kill $spid 2>/dev/null
	fi
	wait $spid 2>/dev/null
}

# step_config MODULE RUN LAST: LAST=1 in the boot's last run.
step_config() {
	local mod=$1 run=$2 last=$3 t0 m0 m1 n a b
	ns_new $BIGNS && ip -n $BIGNS link add wg0 type wireguard &&
		ip -n $BIGNS link set wg0 up || { say "config: cannot create the device"; return 1; }
	sleep 3		# let deleted namespaces and devices be freed
	m0=$(mem_kib)
	t0=$EPOCHREALTIME
	ip netns exec $BIGNS wg setconf wg0 "$BENCH_TMP/big.conf" ||
		say "$mod: wg setconf failed"
	raw "$BIG" setconf "$mod" "$run" "$(secs_since "$t0")"
	m1=$(mem_kib)
	read -ra a <<<"$m0"
	read -ra b <<<"$m1"
	say "$mod: slab+percpu $((b[0] - a[0])) KiB more, MemFree $((a[1] - b[1])) KiB less," \
		"VmallocUsed $((b[2] - a[2])) KiB more"
	raw "$BIG" kib_peer "$mod" "$run" \
		"$(awk -v a="${a[0]}" -v b="${b[0]}" -v n="$PEERS" 'BEGIN { printf "%.3f", (b - a) / n }')"
	raw "$BIG" kib_peer_free "$mod" "$run" \
		"$(awk -v a="${a[1]}" -v b="${b[1]}" -v n="$PEERS" 'BEGIN { printf "%.3f", (a - b) / n }')"
	local TIMEFORMAT='%R %U %S' times nl
	times=$({ time ip netns exec $BIGNS wg show wg0 dump >"$BENCH_TMP/dump" \
		2>"$BENCH_TMP/dump.err"; } 2>&1) || say "$mod: wg show dump failed"
	read -ra a <<<"$times"
	raw "$BIG" dump "$mod" "$run" "${a[0]}"
	raw "$BIG" dump_user "$mod" "$run" "${a[1]}"
	raw "$BIG" dump_sys "$mod" "$run" "${a[2]}"
	n=$(($(wc -l <"$BENCH_TMP/dump") - 1))
	[ "$n" = "$PEERS" ] || say "$mod: the dump lists $n peers, not $PEERS"
	rm -f "$BENCH_TMP/dump" "$BENCH_TMP/dump.err"
	nl=$(ip netns exec $BIGNS "$WG_REPO/selftests/tools/wgnl.py" time-dump wg0) ||
		say "$mod: wgnl.py time-dump failed"
	read -ra a <<<"$nl"
	say "$mod: the dump alone: ${a[1]:-?} messages, ${a[2]:-?} bytes"
	raw "$BIG" dump_nl "$mod" "$run" "${a[0]:-0}"
	if [ "$mod" = in-tree ] && ((last)); then
		say "in-tree: its device of $PEERS peers stays (the VM powers off with it):" \
			"deleting peers takes it ~25 ms each here"
		return 0
	fi
	raw "$BIG" del_all "$mod" "$run" "$(timed_del $BIGNS wg0)"
	ip netns del $BIGNS
}

# step_delete MODULE RUN
step_delete() {
	local mod=$1 run=$2 c out n
	for c in $CASES; do
		case $c in up-idle|down-idle|up-hs|down-hs) ;;
		*) die "unknown case $c (up-idle down-idle up-hs down-hs)" ;;
		esac
		ns_new && ip -n $S route add local 10.200.0.0/15 dev lo &&
			ip -n $S link add wg1 type wireguard &&
			ip netns exec $S wg setconf wg1 "$BENCH_TMP/del.conf" &&
			ip -n $S link set wg1 up ||
			{ say "$mod $c: setup failed"; raw "$SMALL" "del_${c/-/_}" "$mod" "$run" -; continue; }
		if [[ $c == *-hs ]]; then
			out=$(ip netns exec $S "$HANDSHAKER" run --pubkey "$DUT_PUB" \
				--to 10.200.0.1:51820 --src 10.201.0.1 --port 40000 \
				--peers "$DEL_PEERS" --pubs "$BENCH_TMP/pubs")
			say "$mod $c: handshaker: $(tr '\n' ' ' <<<"$out")"
			raw "$SMALL" hs_rate "$mod" "$run" "$(awk '$1 == "rate" { print $2 }' <<<"$out")"
			# Each peer: a latest handshake, and bytes received (the keepalive).
			n=$(ip netns exec $S wg show wg1 dump |
				awk 'NR > 1 && $5 != 0 && $6 > 0 { n++ } END { print n + 0 }')
			say "$mod $c: $n of $DEL_PEERS peers have a session (latest handshake, bytes received)"
			((n == DEL_PEERS)) ||
				say "$mod $c: WARNING: not every peer is handshaken; the figure is doubtful"
		fi
		[[ $c == down-* ]] && ip -n $S link set wg1 down
		raw "$SMALL" "del_${c/-/_}" "$mod" "$run" "$(timed_del $S wg1)"
		ip netns del $S
	done
}

# Module-neutral warm-up: have QEMU back the free memory once (up to 4 GiB,
# more than 1000000 peers take).
warm=$(awk '$1 == "MemAvailable:" { m = int($2 / 1024) - 300; print (m > 4096 ? 4096 : m) }' /proc/meminfo)
if ((warm > 0)); then
	dd if=/dev/zero of=/dev/shm/warm bs=1M count="$warm" 2>/dev/null
	rm -f /dev/shm/warm
fi

say "kernel $(uname -r), $(nproc) CPUs, $(awk '$1 == "MemTotal:" { print int($2 / 1024) }' /proc/meminfo) MiB;" \
	"steps: $STEPS; modules: $MODULES"
for s in $STEPS; do
	case $s in
	config)
		t0=$EPOCHREALTIME
		conf_idle "$BENCH_TMP/big.conf" "$PEERS" || die "cannot write the configuration"
		say "$PEERS peers' configuration written in $(secs_since "$t0")s"
		;;
	delete)
		HANDSHAKER=$(tool handshaker -lcrypto)
		"$HANDSHAKER" pubkeys --peers "$DEL_PEERS" >"$BENCH_TMP/pubs" ||
			die "handshaker pubkeys failed"
		dut_key=$(wg genkey)
		DUT_PUB=$(wg pubkey <<<"$dut_key")
		conf_hs "$BENCH_TMP/del.conf" "$dut_key" "$BENCH_TMP/pubs" ||
			die "cannot write the configuration"
		;;
	*) die "unknown step $s (config delete)" ;;
	esac
done

read -ra mods <<<"$MODULES"
if ((${#mods[@]} == 2)); then
	mapfile -t runs < <(order "$REPS" "${mods[0]}" "${mods[1]}")
else
	mapfile -t runs < <(for ((r = 1; r <= REPS; r++)); do echo "${mods[0]} $r"; done)
fi
for ((i = 0; i < ${#runs[@]}; i++)); do
	read -r mod run <<<"${runs[i]}"
	mod_load "$mod"
	for s in $STEPS; do
		"step_$s" "$mod" "$run" $((i == ${#runs[@]} - 1))
	done
done
echo "## $SERIES: ours / in-tree"
summary
