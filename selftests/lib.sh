# SPDX-License-Identifier: GPL-2.0
# Shared helpers for the WireGuard selftests. Source it from a test:
#
#   . "${WG_REPO:-$(dirname "$0")/../..}/selftests/lib.sh"
#
# Tests run as root inside a VM with the wireguard module loaded. They print
# TAP-like lines ("ok N - desc", "not ok N - desc", diagnostics as "# ..."),
# never stop at a failure, clean up what they created (the EXIT trap runs the
# registered cleanups, newest first) and exit non-zero if anything failed.
#
# Environment:
#   WG_REPO     the repository (default: two levels above this file)
#   WG_INTREE   1 = the loaded module is the kernel's own driver, 0 = ours;
#               unset = guess from the module's taint (ours is out of tree)
#   WG_MODULE   path of our .ko, for tests that reload the module ("intree"
#               when the VM runner loaded the kernel's own driver)
#   WG_VERBOSE  1 = print the output of passing checks too

# Not -e (a failure must not end the test), not -u (callers probe variables).
set -o pipefail

WG_REPO=${WG_REPO:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
WGNL=("/usr/bin/python3" -IS "$WG_REPO/selftests/tools/wgnl.py")
export LC_ALL=C WG_COLOR_MODE=never

_tap_n=0
_tap_failed=0
_cleanups=()
_outfile=$(mktemp)

# ---------------------------------------------------------------------------
# TAP
# ---------------------------------------------------------------------------

diag() { local l; while IFS= read -r l; do echo "# $l"; done <<<"$*"; }

# _result PASS(0/1) DESC [OUTPUT]: one TAP line, output as diagnostics.
_result() {
	_tap_n=$((_tap_n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $_tap_n - $2"
		[ "${WG_VERBOSE:-0}" = 1 ] && [ -n "$3" ] && diag "$3"
	else
		_tap_failed=$((_tap_failed + 1))
		echo "not ok $_tap_n - $2"
		[ -n "$3" ] && diag "$(printf '%s\n' "$3" | head -n 40)"
	fi
	return "$1"
}

pass() { _result 0 "$1"; }
fail() { _result 1 "$1" "${2:-}"; }
skip() { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n - $1 # SKIP $2"; }

# _capture CMD...: run CMD in this shell (so it may register cleanups),
# its output in $OUT and its status in $RC.
_capture() {
	"$@" >"$_outfile" 2>&1
	RC=$?
	OUT=$(cat "$_outfile")
}

# check DESC CMD...: passes if CMD exits 0 ($OUT, $RC as _capture).
check() {
	local desc=$1; shift
	_capture "$@"
	[ $RC = 0 ] && _result 0 "$desc" "$OUT" && return 0
	_result 1 "$desc" "command: $*"$'\n'"exit status $RC"$'\n'"$OUT"
}

# check_fail DESC CMD...: passes if CMD exits non-zero ($OUT, $RC as above).
check_fail() {
	local desc=$1; shift
	_capture "$@"
	[ $RC != 0 ] && _result 0 "$desc" "$OUT" && return 0
	_result 1 "$desc" "command: $*"$'\n'"unexpectedly succeeded"$'\n'"$OUT"
}

# check_eq DESC EXPECTED ACTUAL
check_eq() {
	[ "$2" = "$3" ] && _result 0 "$1" && return 0
	if [ "$(printf '%s\n' "$2" | wc -l)" -gt 1 ]; then
		_result 1 "$1" "$(diff -u <(printf '%s\n' "$2") \
			<(printf '%s\n' "$3") | tail -n +3)"
	else
		_result 1 "$1" "expected: '$2'"$'\n'"     got: '$3'"
	fi
}

# check_match DESC ERE TEXT / check_nomatch DESC ERE TEXT
check_match() {
	grep -Eq -- "$2" <<<"$3" && _result 0 "$1" && return 0
	_result 1 "$1" "no line matches /$2/ in:"$'\n'"$3"
}
check_nomatch() {
	! grep -Eq -- "$2" <<<"$3" && _result 0 "$1" && return 0
	_result 1 "$1" "unexpected match of /$2/:"$'\n'"$(grep -E -- "$2" <<<"$3")"
}

# check_line DESC LINE TEXT: TEXT has a line exactly LINE (no regex);
# check_noline DESC LINE TEXT: it has none.
check_line() {
	grep -Fxq -- "$2" <<<"$3" && _result 0 "$1" && return 0
	_result 1 "$1" "no line '$2' in:"$'\n'"$3"
}
check_noline() {
	! grep -Fxq -- "$2" <<<"$3" && _result 0 "$1" && return 0
	_result 1 "$1" "unexpected line '$2' in:"$'\n'"$3"
}

# check_contains DESC STRING TEXT: STRING occurs in TEXT (no regex).
check_contains() {
	grep -Fq -- "$2" <<<"$3" && _result 0 "$1" && return 0
	_result 1 "$1" "'$2' not found in:"$'\n'"$3"
}

# done_testing: print the plan and exit with the verdict (runs cleanups).
done_testing() {
	echo "1..$_tap_n"
	[ $_tap_failed = 0 ] || diag "$_tap_failed of $_tap_n failed"
	exit $((_tap_failed != 0))
}

# ---------------------------------------------------------------------------
# Cleanup
# ---------------------------------------------------------------------------

# cleanup_add CMD: run CMD (a shell string) at exit, newest first.
cleanup_add() { _cleanups+=("$1"); }

_run_cleanups() {
	local i
	for ((i = ${#_cleanups[@]} - 1; i >= 0; i--)); do
		eval "${_cleanups[i]}" >/dev/null 2>&1
	done
	_cleanups=()
}
trap '_run_cleanups; rm -f "$_outfile" "$_outfile.hold"' EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------------------
# Which module, which kernel
# ---------------------------------------------------------------------------

# is_intree: true when the loaded wireguard module is the kernel's own.
is_intree() {
	case ${WG_INTREE:-} in
	1) return 0 ;;
	0) return 1 ;;
	esac
	[ "${WG_MODULE:-}" = intree ] && return 0
	# Out-of-tree modules taint the kernel with "O".
	! grep -q O /sys/module/wireguard/taint 2>/dev/null
}

# kver_ge MAJOR.MINOR: the running kernel is at least that version.
kver_ge() {
	local cur want
	cur=$(uname -r | sed -E 's/^([0-9]+)\.([0-9]+).*/\1 \2/')
	want=$(sed -E 's/^([0-9]+)\.([0-9]+).*/\1 \2/' <<<"$1")
	set -- $cur $want
	[ "$1" -gt "$3" ] || { [ "$1" = "$3" ] && [ "$2" -ge "$4" ]; }
}

# require_module: refuse to run without the module; creating a device
# would otherwise autoload the kernel's own driver behind our back.
require_module() {
	if [ ! -d /sys/module/wireguard ]; then
		echo "not ok 1 - wireguard module is loaded"
		echo "1..1"
		exit 1
	fi
	diag "module: $(is_intree && echo in-tree || echo ours)," \
		"kernel $(uname -r)"
}

# ---------------------------------------------------------------------------
# Keys
# ---------------------------------------------------------------------------

genkey() { wg genkey; }
genpsk() { wg genpsk; }
pubkey() { wg pubkey <<<"$1"; }
# randkey: 32 random bytes in base64 -- a valid private key, or a public
# key of a peer nobody needs to talk to; much faster than wg genkey.
randkey() { head -c 32 /dev/urandom | base64; }

# ---------------------------------------------------------------------------
# Namespaces and devices
# ---------------------------------------------------------------------------

# ns_add NAME...: new network namespaces with lo up, deleted at exit.
ns_add() {
	local ns
	for ns; do
		ip netns del "$ns" 2>/dev/null
		ip netns add "$ns" || return 1
		ip -n "$ns" link set lo up
		cleanup_add "ip netns del '$ns'"
	done
}
ns_del() { ip netns del "$1"; }
# ns_exec NAME CMD...: run CMD in the namespace (NAME "" = this one).
ns_exec() {
	local ns=$1; shift
	if [ -n "$ns" ]; then ip netns exec "$ns" "$@"; else "$@"; fi
}

# wg_add NAME [NS]: a WireGuard device, deleted at exit.
wg_add() {
	ns_exec "${2:-}" ip link add "$1" type wireguard || return 1
	cleanup_add "ip ${2:+-n '$2'} link del '$1'"
}

# wgnl ARGS...: the raw netlink client (selftests/tools/wgnl.py).
wgnl() { "${WGNL[@]}" "$@"; }

# aip ADDR/CIDR [EXTRA...]: one allowed IP element in wgnl's ATTR language.
aip() {
	local fam=2
	case $1 in *:*) fam=10 ;; esac
	echo "0{ FAMILY=u16:$fam IPADDR=ip:${1%/*} CIDR_MASK=u8:${1#*/} ${*:2} }"
}

# udp_ports [NS]: "addr:port" of every bound UDP socket, one a line.
udp_ports() {
	local _s _r _q addr _rest
	ns_exec "${1:-}" ss -Huan | while read -r _s _r _q addr _rest; do
		echo "$addr"
	done | sort
}

# port_bound PORT [NS]: some UDP socket in NS is bound to PORT.
port_bound() { udp_ports "${2:-}" | grep -Eq ":$1\$"; }

# hold_udp_port PORT [4|6] [NS]: bind a UDP socket to PORT (IPv4 by default,
# IPv6 is v6-only) in a background process until exit; its pid in HOLD_PID.
# release_udp_port: end that process.
hold_udp_port() {
	local port=$1 fam=${2:-4} ns=${3:-} nsexec=()
	# Run python itself in the background (ip netns exec execs it), so
	# that HOLD_PID is the process holding the socket.
	[ -n "$ns" ] && nsexec=(ip netns exec "$ns")
	"${nsexec[@]}" /usr/bin/python3 -IS -c '
import socket, sys, time
port, fam = int(sys.argv[1]), sys.argv[2]
if fam == "6":
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind(("::", port))
else:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", port))
print("bound", flush=True)
time.sleep(3600)
' "$port" "$fam" >"$_outfile.hold" 2>&1 &
	HOLD_PID=$!
	cleanup_add "kill $HOLD_PID"
	local i
	for ((i = 0; i < 100; i++)); do
		grep -q bound "$_outfile.hold" && return 0
		kill -0 $HOLD_PID 2>/dev/null || break
		sleep 0.1
	done
	cat "$_outfile.hold" >&2
	return 1
}

release_udp_port() { kill "$HOLD_PID" 2>/dev/null; wait "$HOLD_PID" 2>/dev/null; }
