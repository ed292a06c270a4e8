#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run-all.sh [PATTERN...] - run inside the test VM (via run.sh): run each
# selftests/tests/*.sh in order, or those whose file name starts with one of
# the PATTERNs (shell globs allowed: "10-config", "2*", "smoke" does not
# match "00-smoke" but "*smoke" does), except those matching a "!PATTERN"
# ("!40-" runs everything but the 40-* tests).
#
# Each test runs with bash under a time limit of WG_TEST_TIMEOUT seconds
# (default 600), its output passed through.  A test that exits non-zero
# without printing a `not ok` line gets one.  Between tests, leftovers are
# removed (processes, network namespaces, wireguard/veth/dummy links in the
# initial namespace) so one test's debris does not fail the next.
# Exit status: 0 if no test failed.

cd "${WG_REPO:-$(dirname "$0")/../..}" || exit 1
scratch=${WG_SCRATCH:-/tmp}
limit=${WG_TEST_TIMEOUT:-600}
# The kernel log lines guest.sh fails a run for (its pattern, when run by it).
BAD_KLOG=${WG_BAD_KLOG:-'WARNING:|BUG:|KASAN|UBSAN|Oops|general protection|possible circular|suspicious RCU'}

includes=() excludes=()
for pat in "$@"; do
	if [[ $pat == '!'* ]]; then excludes+=("${pat#!}"); else includes+=("$pat"); fi
done
# matches NAME PATTERN...: NAME starts with one of the PATTERNs.
matches() {
	local name=$1 pat
	shift
	for pat; do
		# shellcheck disable=SC2053 # $pat is a glob on purpose
		[[ $name == $pat* ]] && return 0
	done
	return 1
}
tests=()
for t in selftests/tests/*.sh; do
	base=${t##*/}
	((${#includes[@]} == 0)) || matches "$base" "${includes[@]}" || continue
	matches "$base" "${excludes[@]}" && continue
	tests+=("$t")
done
if ((${#tests[@]} == 0)); then
	echo "not ok - no test matches: $*"
	exit 1
fi

# Kill every user process but PID 1 and our own chain (us and the timeout
# that runs us).  Kernel threads have no /proc/PID/exe.
kill_strays() {
	local p pid victims=()
	for p in /proc/[0-9]*; do
		pid=${p#/proc/}
		[[ $pid == 1 || $pid == "$$" || $pid == "$PPID" ]] && continue
		[[ -e $p/exe ]] && victims+=("$pid")
	done
	((${#victims[@]})) && kill -KILL "${victims[@]}" 2>/dev/null
	return 0
}

cleanup_after_test() {
	local link
	kill_strays
	ip -all netns delete 2>/dev/null
	for link in $(ip -o link show 2>/dev/null | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }'); do
		case $(ip -d -o link show dev "$link" 2>/dev/null) in
		*" wireguard "*|*" veth "*|*" dummy "*) ip link del dev "$link" 2>/dev/null ;;
		esac
	done
	return 0
}

failed=0
bad_before=$(dmesg | grep -cE "$BAD_KLOG")
for t in "${tests[@]}"; do
	echo "# === $t ==="
	t0=$SECONDS
	out=$scratch/run-all.out
	timeout -k 10 "$limit" bash "$t" </dev/null 2>&1 | tee "$out"
	st=${PIPESTATUS[0]}
	if ((st == 124 || st == 137)); then
		echo "not ok - $t timed out after ${limit}s"
	elif ((st != 0)) && ! grep -q '^not ok' "$out"; then
		echo "not ok - $t exited with status $st"
	fi
	if ((st != 0)) || grep -q '^not ok' "$out"; then
		failed=1
	fi
	echo "# $t took $((SECONDS - t0))s"
	cleanup_after_test
	# Name the test after which the kernel complained; guest.sh fails the
	# run and prints the lines at the end.
	bad_now=$(dmesg | grep -cE "$BAD_KLOG")
	if ((bad_now > bad_before)); then
		echo "# kernel log: $((bad_now - bad_before)) new WARNING/BUG-like lines during $t"
		bad_before=$bad_now
	fi
done
exit "$failed"
