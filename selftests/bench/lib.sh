# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# Helpers of the benchmarks that run in the VM (data.sh, scale.sh); sourced.
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
MOD_LOADED=
mod_load() {
	local other
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
			MOD_LOADED=$1
			return 0
		fi
		modprobe --ignore-install wireguard || die "modprobe of the in-tree wireguard failed"
		;;
	esac
	[ "$(mod_which)" = "$1" ] || die "loaded $(mod_which), wanted $1"
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
