# SPDX-License-Identifier: GPL-2.0
# Helpers for the tests that use the kernel's YNL tools with our spec
# (selftests/tools/ynl.sh, wgevents.py, wgstat.py). Source it after lib.sh:
#
#   . "${WG_REPO:-$(dirname "$0")/../..}/selftests/lib-ynl.sh"

YNL_SH=$WG_REPO/selftests/tools/ynl.sh
WGEVENTS=(/usr/bin/python3 "$WG_REPO/selftests/tools/wgevents.py")
WGSTAT=(/usr/bin/python3 "$WG_REPO/selftests/tools/wgstat.py")

# have_ynl: the YNL tools and the Python modules they need are there (then
# WG_YNL_LIB is set).
have_ynl() {
	local lib
	lib=$("$YNL_SH" path 2>/dev/null) &&
		/usr/bin/python3 -c 'import yaml, jsonschema' 2>/dev/null || return 1
	export WG_YNL_LIB=$lib
}

# require_ynl: skip the whole test without the YNL tools (their cache is
# made on the host by `make check` / selftests/tools/ynl.sh setup) or the
# Python modules they need.
require_ynl() {
	if ! have_ynl; then
		echo "ok 1 - YNL tools # SKIP no YNL cache or python3-yaml/jsonschema (selftests/tools/ynl.sh setup)"
		echo "1..1"
		exit 0
	fi
}

# ynl NS ARGS...: cli.py with our spec, in NS ("" = here).
ynl() {
	local ns=$1
	shift
	ns_exec "$ns" "$YNL_SH" cli "$@"
}

# peer_stat NS DEV KEY FIELD: one counter of a peer (wgstat.py; the spec's
# field names: rx-packets, drop-replay, events-sent, ...).
peer_stat() { ns_exec "$1" "${WGSTAT[@]}" "$2" "$3" "$4"; }

# peer_stats NS DEV KEY ARRAY: all of them at once, into ARRAY[FIELD].
peer_stats() {
	local -n _ps=$4
	local k f v
	_ps=()
	while read -r k f v; do
		[ "$k" = "$3" ] && _ps[$f]=$v
	done < <(ns_exec "$1" "${WGSTAT[@]}" "$2")
}

# events_start NS FILE [ARGS...]: wgevents.py --json into FILE in NS, in the
# background until events_stop (or exit); waits until it has subscribed.
# EVENTS_PID is its pid.
events_start() {
	local ns=$1 file=$2 ready i
	shift 2
	ready=$file.ready
	rm -f "$ready"
	ns_exec "$ns" "${WGEVENTS[@]}" --json --ready "$ready" "$@" \
		>"$file" 2>"$file.err" &
	EVENTS_PID=$!
	cleanup_add "kill $EVENTS_PID"
	for ((i = 0; i < 100; i++)); do
		[ -e "$ready" ] && return 0
		kill -0 "$EVENTS_PID" 2>/dev/null || break
		sleep 0.1
	done
	cat "$file.err" >&2
	return 1
}

events_stop() {
	kill "$EVENTS_PID" 2>/dev/null
	wait "$EVENTS_PID" 2>/dev/null
	return 0
}

# events_of FILE NAME [PEER]: the JSON lines of events NAME (about PEER).
events_of() {
	local l
	while IFS= read -r l; do
		[[ $l == *"\"event\": \"$2\""* ]] || continue
		[ -z "${3:-}" ] || [[ $l == *"\"peer\": \"$3\""* ]] || continue
		echo "$l"
	done <"$1"
}

# wait_for CMD...: until CMD succeeds, 10 s at most.
wait_for() {
	local i
	for ((i = 0; i < 100; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}
