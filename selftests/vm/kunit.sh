#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kunit.sh [MODULE.ko] - report the KUnit suites of our module as TAP.
# Runs inside a test VM whose kernel has CONFIG_KUNIT (the debug kernel):
#
#   dir=$(selftests/vm/debug-kernel.sh | tail -n 1)
#   make -C "$dir/build" M=<copy of Kbuild, drivers, include> modules
#   selftests/vm/run.sh --kernel-image "$dir/bzImage" --kver "$(cat "$dir/kver")" \
#       --module <copy>/drivers/net/wg/wireguard.ko -- selftests/vm/kunit.sh
#
# The suites (drivers/net/wg/tests/*_test.c, compiled into the module when
# the kernel has CONFIG_KUNIT) run when the module is loaded.  If run.sh
# already loaded it (--module), this only collects the results; otherwise
# (--none) it loads MODULE.ko (default: $WG_MODULE), dependencies first.
# Results come from /sys/kernel/debug/kunit/SUITE/results for every suite
# whose KTAP says "# module: wireguard" (from dmesg if there is no debugfs).
#
# Output: one TAP line per test case, "ok N - suite.case" or
# "not ok N - suite.case" followed by the case's log as "# " lines
# (WG_VERBOSE=1: for passing cases too), then a "# kunit:" summary.
# A kernel without KUnit gives a single "ok 1 - kunit # SKIP" line.
# Exit status: 0 if every case passed or was skipped, 1 otherwise (also when
# the module loads but has no suites).
#
# kunit.sh --parse [MODULE]: on any machine, only turn the KTAP on stdin (a
# kernel log) into the same TAP; without MODULE every suite counts (a
# kernel with the module built in: selftests/cross/kunit.sh).

set -uo pipefail
export LC_ALL=C

modname=wireguard
parse_only=0
if [[ ${1:-} == --parse ]]; then
	parse_only=1 modname=${2:-}
fi
ko=${1:-${WG_MODULE:-}}
KDIR=/sys/kernel/debug/kunit

if ((!parse_only)) && [[ ! -d $KDIR && ! -e /sys/module/kunit ]]; then
	echo "ok 1 - kunit # SKIP $(uname -r) has no CONFIG_KUNIT"
	exit 0
fi

if ((!parse_only)) && [[ ! -e /sys/module/$modname ]]; then
	if [[ -z $ko || $ko == none || $ko == intree || ! -r $ko ]]; then
		echo "not ok 1 - load $modname: no module file (give MODULE.ko)"
		exit 1
	fi
	deps=$(modinfo -F depends "$ko")
	for d in ${deps//,/ }; do
		modprobe "$d" || echo "# modprobe $d failed"
	done
	# The suites run inside this insmod (module notifier, MODULE_STATE_LIVE).
	if ! out=$(insmod "$ko" 2>&1); then
		echo "not ok 1 - insmod $ko"
		while IFS= read -r l; do echo "# $l"; done <<<"$out"
		exit 1
	fi
	echo "# loaded $ko (depends: ${deps:-none})"
fi

# KTAP in, TAP out.  A suite is "    # Subtest: NAME" ... "ok N NAME" at
# column 0; its cases are "    ok N CASE[ # SKIP why]" at exactly four
# spaces (parameterised cases nest their parameters deeper); everything else
# since the previous case line is that case's log.  Suites are reported when
# they end, so that "# module:" may come before (dmesg) or after (debugfs)
# their cases.
parse() {
	awk -v mod="$modname" -v verbose="${WG_VERBOSE:-0}" '
	function flush(   i) {
		if (inmod) {
			nsuites++
			for (i = 1; i <= ncases; i++) {
				n++
				if (cstat[i] == "not ok") failed++
				else if (cskip[i] != "") skipped++
				else passed++
				printf "%s %d - %s.%s%s\n", cstat[i], n, suite, cname[i], cskip[i]
				if (cstat[i] == "not ok" || verbose == 1)
					printf "%s", clog[i]
			}
			if (ncases == 0 && suite_ok == "not ok") {
				n++; failed++
				printf "not ok %d - %s (suite failed before its cases)\n%s", n, suite, buf
			}
		}
		suite = ""; inmod = 0; ncases = 0; buf = ""
	}
	{ sub(/^\[[^]]*\] ?/, "") }			# dmesg timestamps
	/^    # Subtest: / { flush(); suite = substr($0, 16); inmod = (mod == ""); next }
	suite == "" { next }
	$0 == "    # module: " mod { inmod = 1; next }
	/^    (not )?ok [0-9]+ / {
		line = substr($0, 5)
		st = (line ~ /^not ok/) ? "not ok" : "ok"
		sub(/^(not )?ok [0-9]+ /, "", line)
		skip = ""
		if ((p = index(line, " # SKIP")) > 0) {
			skip = substr(line, p); line = substr(line, 1, p - 1)
		}
		ncases++
		cname[ncases] = line; cstat[ncases] = st; cskip[ncases] = skip
		clog[ncases] = buf; buf = ""
		next
	}
	/^(not )?ok [0-9]+ / {
		suite_ok = ($0 ~ /^not ok/) ? "not ok" : "ok"
		flush(); next
	}
	/^ *$/ || /^ *KTAP version/ || /^ *1\.\.[0-9]+$/ { next }
	{ sub(/^ +(# )?/, ""); buf = buf "# " $0 "\n" }
	END {
		printf "# kunit: %d suites, %d cases: %d passed, %d failed, %d skipped\n",
			nsuites, n, passed, failed, skipped
		if (n == 0)
			printf "not ok 1 - no KUnit suites of module %s (kernel %s)\n", mod, ENVIRON["KVER"]
		exit (n == 0 || failed > 0)
	}'
}

if ((parse_only)); then
	parse
elif [[ -d $KDIR ]]; then
	for f in "$KDIR"/*/results; do
		[[ -r $f ]] && cat "$f"
	done | parse
else
	dmesg | parse
fi
