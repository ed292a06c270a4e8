#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench.sh - our module against the kernel's own wireguard, in VMs: what
# `make bench`, `make bench-scale` and `make bench-scale-1m` run.
#
# usage: selftests/bench/bench.sh data|scale|scale-1m
#
#   data      the data path (data.sh): TCP 1 and 4 flows, 64-byte UDP
#             packets per second, ping rtt, context switches and IPIs per
#             MB, over a veth pair and over loopback; one VM per kernel,
#             6.12 then 6.1
#   scale     configuration at scale (scale.sh) on 6.12: setconf, dump and
#             memory of 100000 peers, deleting devices of 10000 peers
#             (up/down x idle/handshaken)
#   scale-1m  the same for 1000000 peers, ours only (8 GiB VM), no deletes
#             of 10000
#
# Each VM runs both modules (ours, then the in-tree one, interleaved), and
# only the ratios of one boot count. Modules: build/KVER/drivers/net/wg/
# wireguard.ko (`make bench` builds them: check.sh --build-only), or under
# WG_BENCH_BUILD instead of build/ (another checkout's, say).
#
# Environment (all WG_BENCH_* variables are handed to the VM too):
#   WG_BENCH_KERNELS   series or exact versions (default: data "6.12 6.1",
#                      scale "6.12")
#   WG_BENCH_BOOTS     boots per kernel (default 1); the table gives each
#                      figure's range over them
#   WG_BENCH_OUT       directory for the logs and the summary (default
#                      build/bench/WHAT-DATE)
#   WG_BENCH_MEM, WG_BENCH_TIMEOUT   the VM's memory and time limit
#   data.sh:  WG_BENCH_PATHS ("veth loop"), WG_BENCH_METRICS ("tcp1 tcp4
#             udp64 ping"), WG_BENCH_SECS (10), WG_BENCH_REPS (2 runs per
#             module: ours, in-tree, in-tree, ours), WG_BENCH_AGAINST
#             (another build of ours in the in-tree driver's place, a path
#             in the repository with KVER for the kernel's version)
#   scale.sh: WG_BENCH_PEERS (100000), WG_BENCH_DEL_PEERS (10000),
#             WG_BENCH_STEPS ("delete config"), WG_BENCH_DEL_CASES ("up-idle
#             down-idle up-hs down-hs"), WG_BENCH_DEL_TIMEOUT (600 s),
#             WG_BENCH_MODULES ("ours in-tree"), WG_BENCH_REPS (1)
#
# Output: the VMs' lines as they come (each run's figures, then per metric
# ours, in-tree and the ratio), then a table of kernel x path x metric for
# the README; also in $WG_BENCH_OUT/summary.txt.

set -uo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$REPO" || exit 1
what=${1:-data}
case $what in
data)
	script=selftests/bench/data.sh kernels_default="6.12 6.1" mem=1G ;;
scale)
	script=selftests/bench/scale.sh kernels_default=6.12 mem=2G ;;
scale-1m)
	script=selftests/bench/scale.sh kernels_default=6.12 mem=8G
	export WG_BENCH_PEERS=${WG_BENCH_PEERS:-1000000}
	export WG_BENCH_MODULES=${WG_BENCH_MODULES:-ours}
	export WG_BENCH_STEPS=${WG_BENCH_STEPS:-config} ;;
-h|--help)
	sed -n '/^# usage:/,/^# the README/p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
*)
	echo "usage: $0 data|scale|scale-1m (see --help)" >&2; exit 2 ;;
esac
mem=${WG_BENCH_MEM:-$mem}
boots=${WG_BENCH_BOOTS:-1}
[[ $boots =~ ^[1-9][0-9]*$ ]] || { echo "bench: bad WG_BENCH_BOOTS" >&2; exit 2; }

# The VM's time limit: generous, as the host is shared (the limit only
# matters when something hangs).
if [[ -n ${WG_BENCH_TIMEOUT:-} ]]; then
	timeout=$WG_BENCH_TIMEOUT
elif [[ $what == data ]]; then
	set -f
	# shellcheck disable=SC2206 # word lists on purpose
	p=(${WG_BENCH_PATHS:-veth loop}) m=(${WG_BENCH_METRICS:-tcp1 tcp4 udp64 ping})
	set +f
	timeout=$((600 + ${#p[@]} * 2 * ${WG_BENCH_REPS:-2} *
		(90 + ${#m[@]} * (3 * ${WG_BENCH_SECS:-10} + 30))))
elif [[ $what == scale ]]; then
	timeout=$((5400 + 4 * ${WG_BENCH_DEL_TIMEOUT:-600}))
else
	timeout=7200
fi

# Kernels: a series (the newest installed stock kernel of it) or a version;
# it needs its image and our module built for it.
kernels=()
for spec in ${WG_BENCH_KERNELS:-$kernels_default}; do
	spec=${spec//,/ }
	for s in $spec; do
		if [[ -r /boot/vmlinuz-$s ]]; then
			kernels+=("$s")
			continue
		fi
		k=$(for d in /lib/modules/"$s".*-amd64; do
			d=${d##*/}
			[[ $d == *-cloud-amd64 || $d == *-rt-amd64 ]] && continue
			[[ -r /boot/vmlinuz-$d ]] && echo "$d"
		done | sort -V | tail -n 1)
		[[ -n $k ]] || { echo "bench: no kernel $s installed" >&2; exit 1; }
		kernels+=("$k")
	done
done

out=${WG_BENCH_OUT:-$REPO/build/bench/$what-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$out" || exit 1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/wg-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# The tools, built here (natively; the guest sees them under /run/repo).
tools=$REPO/build/bench/tools
mkdir -p "$tools"
for t in udprate handshaker; do
	libs=()
	[[ $t == handshaker ]] && libs=(-lcrypto)
	gcc -O2 -Wall -Wextra -Werror -o "$tools/$t.new" "selftests/tools/$t.c" "${libs[@]}" &&
		mv "$tools/$t.new" "$tools/$t" || { echo "bench: cannot build $t" >&2; exit 1; }
done
"$tools/handshaker" --selftest >"$tmp/selftest" ||
	{ cat "$tmp/selftest"; echo "bench: handshaker's known answers fail" >&2; exit 1; }

# Every WG_BENCH_* variable goes to the guest scripts.
envs=(--env "WG_BENCH_TOOLS=/run/repo/build/bench/tools")
while IFS='=' read -r name _; do
	case $name in
	WG_BENCH_TOOLS|WG_BENCH_OUT|WG_BENCH_KERNELS|WG_BENCH_BOOTS|WG_BENCH_BUILD) ;;
	WG_BENCH_*) envs+=(--env "$name=${!name}") ;;
	esac
done < <(env)

# host_load: the load average and the other QEMU processes (other VMs
# on this machine slow the one measured, and not evenly).
host_load() {
	echo "load average $(cut -d' ' -f1-3 /proc/loadavg)," \
		"$(pgrep -c '^qemu-system-') QEMU process(es), $(nproc) CPUs"
}

echo "# bench $what: kernels ${kernels[*]}, $boots boot(s), logs in $out"
if [[ -n ${WG_BENCH_BUILD:-} ]]; then
	echo "# module: $WG_BENCH_BUILD/KVER/drivers/net/wg/wireguard.ko"
else
	echo "# module: build/KVER/drivers/net/wg/wireguard.ko, this checkout at" \
		"$(git describe --always --dirty 2>/dev/null || echo ?)"
fi
failed=0 logs=()
for ((b = 1; b <= boots; b++)); do
	for k in "${kernels[@]}"; do
		ko=${WG_BENCH_BUILD:-$REPO/build}/$k/drivers/net/wg/wireguard.ko
		if [[ ! -r $ko ]]; then
			echo "bench: no $ko (make bench builds it; or WG_KERNELS=${k%%.*} selftests/check.sh --build-only)" >&2
			exit 1
		fi
		# A private copy: the module may be rebuilt while the VM runs.
		mkdir -p "$tmp/$k" && cp "$ko" "$tmp/$k/wireguard.ko"
		echo "### boot $b, $k"
		echo "# host before: $(host_load)" | tee -a "$out/host.txt"
		selftests/vm/run.sh --kernel "$k" --module "$tmp/$k/wireguard.ko" \
			--smp 2 --mem "$mem" --timeout "$timeout" \
			--log "$out/boot$b-$k-console.log" --env "WG_BENCH_BOOT=$b" \
			"${envs[@]}" -- "$script" | tee "$out/boot$b-$k.log"
		logs+=("$out/boot$b-$k.log")
		echo "# host after: $(host_load)" | tee -a "$out/host.txt"
		rc=${PIPESTATUS[0]}
		((rc == 0)) || { echo "# boot $b on $k: run.sh exit status $rc"; failed=1; }
	done
done

cat "${logs[@]}" | grep '^raw ' >"$out/raw.txt"
{
	echo
	echo "## bench $what: ours / in-tree, same VM boot ($boots boot(s); $(date +%F))"
	awk -v mode=table -f selftests/bench/summary.awk "$out/raw.txt"
	sed 's/^# /  /' "$out/host.txt"
} | tee "$out/summary.txt"
exit $failed
