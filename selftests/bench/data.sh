#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The data path, our module against the kernel's own wireguard in one VM
# boot (selftests/bench/bench.sh data, `make bench`). For each path, runs
# interleaved ours, in-tree, in-tree, ours (WG_BENCH_REPS runs of each);
# a run loads its module, sets the path up, measures, tears it down.
#
# Paths (WG_BENCH_PATHS, default "veth loop"):
#   veth  namespaces bench-a and bench-b joined by a veth pair, wg0 in each,
#         the endpoints on the veth (192.168.77.1, .2);
#   loop  both devices created in bench-s, where their UDP sockets stay and
#         talk over 127.0.0.1, then moved to bench-a and bench-b.
# The traffic goes from bench-a (10.77.0.1) to bench-b (10.77.0.2).
#
# Metrics (WG_BENCH_METRICS, default "tcp1 tcp4 udp64 ping"):
#   tcp1   one TCP flow, iperf3 for WG_BENCH_SECS (10) s after 1 s left out
#          (slow start): the receiver's Mbit/s; with it tcp1_ctxt and
#          tcp1_ipi: context switches (/proc/stat ctxt) and IPIs (RES + CAL
#          + TLB in /proc/interrupts) of the whole VM during the run, per MB
#          that came out of bench-b's wg0 (its rx_bytes)
#   tcp4   the same with four flows (iperf3 -P 4); tcp4_ctxt, tcp4_ipi
#   udp64  64-byte UDP datagrams from one sender as fast as it goes
#          (selftests/tools/udprate.c, sendmmsg) for WG_BENCH_SECS s: what
#          the receiver got per second
#   ping   WG_BENCH_SECS * 100 pings 10 ms apart: the median rtt (ms);
#          ping_avg, the average, is printed as well
#
# Output: each run's figures, then per path and metric the mean of each
# module's runs and the ratio ours / in-tree (summary.awk). Raw figures as
# "raw BOOT KERNEL PATH METRIC MODULE RUN VALUE".

set -u
. "$WG_REPO/selftests/bench/lib.sh"

PATHS=${WG_BENCH_PATHS:-veth loop}
METRICS=${WG_BENCH_METRICS:-tcp1 tcp4 udp64 ping}
SECS=${WG_BENCH_SECS:-10}
REPS=${WG_BENCH_REPS:-2}
A=bench-a B=bench-b S=bench-s
UDPRATE=$(tool udprate)

wait_listen() {	# NS PORT tcp|udp
	local i opt=-Htln
	[ "$3" = udp ] && opt=-Huln
	for ((i = 0; i < 100; i++)); do
		ip netns exec "$1" ss $opt | grep -q ":$2 " && return 0
		sleep 0.05
	done
	return 1
}

rx_bytes() { ip netns exec $B cat /sys/class/net/wg0/statistics/rx_bytes; }

# tcp FLOWS: prints "MBITS CTXT_PER_MB IPI_PER_MB RES CAL TLB MB".
tcp() {
	local spid out c0 c1 b0 b1
	ip netns exec $B iperf3 -s -1 -p 5201 >/dev/null 2>&1 &
	spid=$!
	wait_listen $B 5201 tcp || { kill $spid; return 1; }
	c0=$(cpu_counters) b0=$(rx_bytes)
	out=$(ip netns exec $A timeout $((SECS + 30)) iperf3 -c 10.77.0.2 -p 5201 \
		-t "$SECS" -O 1 -P "$1" -J 2>&1)
	c1=$(cpu_counters) b1=$(rx_bytes)
	# The server ends by itself after a test, but not after a failed one.
	kill $spid 2>/dev/null
	wait $spid 2>/dev/null
	jq -r '.end.sum_received.bits_per_second / 1e6' <<<"$out" 2>/dev/null |
		awk -v c0="$c0" -v c1="$c1" -v b0="$b0" -v b1="$b1" '
		$1 + 0 > 0 {
			split(c0, x); split(c1, y)
			mb = (b1 - b0) / 1e6
			if (mb <= 0) exit
			ipi = (y[2] - x[2]) + (y[3] - x[3]) + (y[4] - x[4])
			printf "%.1f %.1f %.1f %d %d %d %.0f\n", $1, (y[1] - x[1]) / mb,
				ipi / mb, y[2] - x[2], y[3] - x[3], y[4] - x[4], mb
		}' | grep . || { echo "iperf3: $(tail -c 300 <<<"$out")" >&2; return 1; }
}

# udp64: prints "RECEIVED_PPS SENT_PPS".
udp64() {
	local rpid log=$BENCH_TMP/udp.recv sent i
	ip netns exec $B "$UDPRATE" recv 5300 --idle 2 --max $((SECS + 30)) >"$log" 2>&1 &
	rpid=$!
	for ((i = 0; i < 100; i++)); do
		grep -q listening "$log" && break
		sleep 0.05
	done
	sent=$(ip netns exec $A "$UDPRATE" send 10.77.0.2:5300 --len 64 --secs "$SECS" |
		awk '$1 == "pps" { print $2 }')
	wait $rpid
	awk -v s="${sent:-0}" '$1 == "pps" && $2 > 0 { print $2, s; ok = 1 }
		END { exit !ok }' "$log" || { cat "$log" >&2; return 1; }
}

# ping_rtt: prints "MEDIAN AVERAGE" in ms.
ping_rtt() {
	ip netns exec $A ping -n -c $((SECS * 100)) -i 0.01 -W 1 10.77.0.2 2>&1 |
		sed -n 's/.* time=\([0-9.]*\) ms.*/\1/p' | sort -n |
		awk '{ v[NR] = $1; s += $1 }
			END {
				if (NR < 2) exit 1
				m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
				printf "%.3f %.3f\n", m, s / NR
			}'
}

# measure PATH MODULE RUN: one run of every metric.
measure() {
	local path=$1 mod=$2 run=$3 m f v line=
	for m in $METRICS; do
		case $m in
		tcp1|tcp4)
			if f=$(tcp "${m#tcp}"); then
				read -ra v <<<"$f"
				raw "$path" "$m" "$mod" "$run" "${v[0]}" >/dev/null
				raw "$path" "${m}_ctxt" "$mod" "$run" "${v[1]}" >/dev/null
				raw "$path" "${m}_ipi" "$mod" "$run" "${v[2]}" >/dev/null
				line+=" $m ${v[0]} Mbit/s (ctxt ${v[1]}/MB, IPI ${v[2]}/MB: RES ${v[3]} CAL ${v[4]} TLB ${v[5]} over ${v[6]} MB);"
			else
				raw "$path" "$m" "$mod" "$run" - >/dev/null
				line+=" $m failed;"
			fi
			;;
		udp64)
			if f=$(udp64); then
				read -ra v <<<"$f"
				raw "$path" udp64 "$mod" "$run" "${v[0]}" >/dev/null
				line+=" udp64 ${v[0]} pkt/s received (${v[1]} sent);"
			else
				raw "$path" udp64 "$mod" "$run" - >/dev/null
				line+=" udp64 failed;"
			fi
			;;
		ping)
			if f=$(ping_rtt); then
				read -ra v <<<"$f"
				raw "$path" ping "$mod" "$run" "${v[0]}" >/dev/null
				raw "$path" ping_avg "$mod" "$run" "${v[1]}" >/dev/null
				line+=" ping median ${v[0]} ms, average ${v[1]} ms;"
			else
				raw "$path" ping "$mod" "$run" - >/dev/null
				line+=" ping failed;"
			fi
			;;
		*) die "unknown metric $m (tcp1 tcp4 udp64 ping)" ;;
		esac
	done
	echo "# $SERIES $path $mod run $run:${line%;}"
}

say "kernel $(uname -r), $(nproc) CPUs; paths: $PATHS; metrics: $METRICS;" \
	"${SECS}s each, $REPS runs per module"
if other=$(against); then
	say "in-tree stands for $other (WG_BENCH_AGAINST)"
fi
mapfile -t runs < <(order "$REPS" ours in-tree)
for path in $PATHS; do
	case $path in veth|loop) ;; *) die "unknown path $path (veth loop)" ;; esac
	for r in "${runs[@]}"; do
		read -r mod run <<<"$r"
		mod_load "$mod"
		if "setup_$path"; then
			measure "$path" "$mod" "$run"
		else
			say "$path $mod run $run: setup failed"
			for m in $METRICS; do raw "$path" "$m" "$mod" "$run" - >/dev/null; done
		fi
		teardown
	done
	grep "^raw $BOOT $SERIES $path " "$RAW"
done
echo "## $SERIES: ours / in-tree (mean of each module's runs)"
summary
