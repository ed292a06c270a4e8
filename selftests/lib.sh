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
	# Builtins only: every fork counts under emulation.
	IFS= read -r -d '' OUT <"$_outfile"
	while [[ $OUT == *$'\n' ]]; do OUT=${OUT%$'\n'}; done
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

# has_match ERE TEXT: some line of TEXT matches ERE (bash's regex dialect,
# which is POSIX ERE); has_line LINE TEXT: some line of TEXT is LINE.
has_match() {
	local l
	while IFS= read -r l; do [[ $l =~ $1 ]] && return 0; done <<<"$2"
	return 1
}
has_line() {
	local l
	while IFS= read -r l; do [ "$l" = "$1" ] && return 0; done <<<"$2"
	return 1
}

# check_match DESC ERE TEXT / check_nomatch DESC ERE TEXT
check_match() {
	has_match "$2" "$3" && _result 0 "$1" && return 0
	_result 1 "$1" "no line matches /$2/ in:"$'\n'"$3"
}
check_nomatch() {
	! has_match "$2" "$3" && _result 0 "$1" && return 0
	_result 1 "$1" "unexpected match of /$2/:"$'\n'"$(grep -E -- "$2" <<<"$3")"
}

# check_line DESC LINE TEXT: TEXT has a line exactly LINE (no regex);
# check_noline DESC LINE TEXT: it has none.
check_line() {
	has_line "$2" "$3" && _result 0 "$1" && return 0
	_result 1 "$1" "no line '$2' in:"$'\n'"$3"
}
check_noline() {
	! has_line "$2" "$3" && _result 0 "$1" && return 0
	_result 1 "$1" "unexpected line '$2' in:"$'\n'"$3"
}

# check_contains DESC STRING TEXT: STRING occurs in TEXT (no regex).
check_contains() {
	[[ $3 == *"$2"* ]] && _result 0 "$1" && return 0
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
	# shellcheck disable=SC2086 # split into the four numbers on purpose
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

# public_copy FILE: copy FILE into a new directory any user may read (removed
# at exit) and set PUBLIC_COPY to its path, for commands run as an
# unprivileged user: the checkout may be readable by root only (a clone
# in a 0700 directory, under /root), and so may its share in the VM.
public_copy() {
	local d
	d=$(mktemp -d) && chmod 755 "$d" && install -m 644 "$1" "$d/" || return 1
	cleanup_add "rm -rf '$d'"
	PUBLIC_COPY=$d/${1##*/}
}

# wgnl ARGS...: the raw netlink client (selftests/tools/wgnl.py).
wgnl() { "${WGNL[@]}" "$@"; }

# aip ADDR/CIDR [EXTRA...]: one allowed IP element in wgnl's ATTR language.
aip() {
	local fam=2
	case $1 in *:*) fam=10 ;; esac
	echo "0{ FAMILY=u16:$fam IPADDR=ip:${1%/*} CIDR_MASK=u8:${1#*/} ${*:2} }"
}

# udp_ports [NS]: "addr:port" of every bound UDP socket, one a line, sorted.
# (One fork, for ss; the rest in builtins.)
udp_ports() {
	local ss addr ports=() i j t
	ss=$(ns_exec "${1:-}" ss -Huan)
	while read -r _ _ _ addr _; do
		[ -n "$addr" ] && ports+=("$addr")
	done <<<"$ss"
	for ((i = 1; i < ${#ports[@]}; i++)); do
		for ((j = i; j > 0; j--)); do
			[[ ${ports[j - 1]} > ${ports[j]} ]] || break
			t=${ports[j]} ports[j]=${ports[j - 1]} ports[j - 1]=$t
		done
	done
	((${#ports[@]})) && printf '%s\n' "${ports[@]}"
	return 0
}

# udp_list [NS]: the same on one line, separated by spaces.
udp_list() { local p; p=$(udp_ports "${1:-}"); echo "${p//$'\n'/ }"; }

# bound PORT [NS]: the IPv4 and IPv6 wildcard sockets on PORT exist in NS;
# udp_has PORT [NS]: some socket there is on PORT; unbound PORT [NS]: none.
# (Not `udp_ports | grep -q`: with pipefail, grep leaving at the first
# match can fail the pipeline with the writer's SIGPIPE.)
bound() {
	local ports
	ports=$(udp_ports "${2:-}")
	has_line "0.0.0.0:$1" "$ports" && has_line "[::]:$1" "$ports"
}
udp_has() { has_match ":$1\$" "$(udp_ports "${2:-}")"; }
unbound() { ! udp_has "$@"; }

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

# ---------------------------------------------------------------------------
# Data plane (the 20-data-*.sh tests)
# ---------------------------------------------------------------------------
# Addressing: host N (1 or 2) has 192.168.241.N/24 and fd00:241::N/64 on
# veth0 (the "outer" wire) and 10.241.0.N/24, fd10:241::N/64 on its wg0.

dp_ip4() { echo "10.241.0.$1"; }
dp_ip6() { echo "fd10:241::$1"; }
dp_out4() { echo "192.168.241.$1"; }
dp_out6() { echo "fd00:241::$1"; }

# dp_veth NS1 NS2: a veth pair, veth0 in each (namespaces from ns_add),
# with the outer addresses of hosts 1 and 2, up.
dp_veth() {
	ip -n "$1" link add veth0 type veth peer name veth0 netns "$2" || return 1
	ip -n "$1" addr add 192.168.241.1/24 dev veth0
	ip -n "$2" addr add 192.168.241.2/24 dev veth0
	ip -n "$1" addr add fd00:241::1/64 dev veth0 nodad
	ip -n "$2" addr add fd00:241::2/64 dev veth0 nodad
	ip -n "$1" link set veth0 up && ip -n "$2" link set veth0 up
}

# dp_wg NS N KEY PORT: wg0 in NS (deleted at exit) with private key KEY,
# listen port PORT and the tunnel addresses of host N, up.
dp_wg() {
	wg_add wg0 "$1" || return 1
	ip netns exec "$1" wg set wg0 private-key <(echo "$3") listen-port "$4" ||
		return 1
	ip -n "$1" addr add "10.241.0.$2/24" dev wg0
	ip -n "$1" addr add "fd10:241::$2/64" dev wg0 nodad
	ip -n "$1" link set wg0 up
}

# dp_ping NS ADDR [TRIES]: ping ADDR from NS until one answer comes back
# (the first packets wait for a handshake); fails after TRIES (5) seconds.
dp_ping() {
	ip netns exec "$1" ping -q -c 1 -w "${3:-5}" -W 1 "$2"
}

# dp_stat NS DEV NAME: one counter of `ethtool -S DEV` (empty if none).
dp_stat() {
	ip netns exec "$1" ethtool -S "$2" 2>/dev/null |
		awk -v n="$3" '$1 == n ":" { print $2 }'
}

# dp_link_stat NS DEV FIELD: /sys/class/net/DEV/statistics/FIELD in NS.
dp_link_stat() {
	ip netns exec "$1" cat "/sys/class/net/$2/statistics/$3" 2>/dev/null
}

# dp_wait_listen NS PORT [tcp|udp]: wait (up to 5 s) until something
# listens on PORT in NS.
dp_wait_listen() {
	local i opt=-Htln
	[ "${3:-tcp}" = udp ] && opt=-Huln
	for ((i = 0; i < 50; i++)); do
		has_match ":$2 " "$(ip netns exec "$1" ss $opt)" && return 0
		sleep 0.1
	done
	return 1
}

# dp_iperf SERVER-NS CLIENT-NS ADDR [IPERF3-CLIENT-ARGS...]: one iperf3 run
# (a one-shot server in SERVER-NS, the client in CLIENT-NS against ADDR);
# succeeds when the client does and reports the receiver's figure.
dp_iperf() {
	local sns=$1 cns=$2 addr=$3 pid rc out
	shift 3
	local slog
	slog=$(mktemp)
	ip netns exec "$sns" iperf3 -s -1 >"$slog" 2>&1 &
	pid=$!
	cleanup_add "kill $pid; rm -f '$slog'"
	dp_wait_listen "$sns" 5201 || { kill $pid; return 1; }
	out=$(ip netns exec "$cns" timeout 60 iperf3 --connect-timeout 5000 \
		-c "$addr" "$@" 2>&1)
	rc=$?
	echo "$out" | tail -n 4
	kill $pid 2>/dev/null
	wait $pid 2>/dev/null
	if [ $rc != 0 ] || [[ $out != *receiver* ]]; then
		echo "server:"
		tail -n 6 "$slog"
		rm -f "$slog"
		return 1
	fi
	rm -f "$slog"
}

# dp_peer_field NS DEV FIELD: the value of `wg show DEV FIELD` for its only
# peer (transfer gives "rx tx").
dp_peer_field() {
	ip netns exec "$1" wg show "$2" "$3" | awk '{ $1 = ""; sub(/^ /, ""); print }'
}

# ---------------------------------------------------------------------------
# Data path: counters, captures, the wire (20-data-counters, -order, -gso,
# -nested, -loop)
# ---------------------------------------------------------------------------

WGWIRE=("/usr/bin/python3" -IS "$WG_REPO/selftests/tools/wgwire.py")
# wgwire frames|msgs|order PCAP: the WireGuard messages of a capture
# (selftests/tools/wgwire.py).
wgwire() { "${WGWIRE[@]}" "$@"; }
# wg_forge NS INDEX ADDR PORT --count N|--seconds S: forged data messages
# for a live receiver index, sent from NS (selftests/tools/forge.py).
wg_forge() {
	ip netns exec "$1" /usr/bin/python3 -IS "$WG_REPO/selftests/tools/forge.py" "${@:2}"
}

# dp_pair NS1 NS2: namespaces (new), the veth pair, wg0 in each (listen
# ports 10001, 10002) and each the other's peer, allowed IPs its tunnel
# addresses; host 1 knows host 2's endpoint (IPv4 outer), host 2 learns
# host 1's. Keys in DP_KEY1/2, public keys in DP_PUB1/2.
dp_pair() {
	ns_add "$1" "$2" || return 1
	dp_veth "$1" "$2" || return 1
	DP_KEY1=$(genkey) DP_KEY2=$(genkey)
	DP_PUB1=$(pubkey "$DP_KEY1") DP_PUB2=$(pubkey "$DP_KEY2")
	dp_wg "$1" 1 "$DP_KEY1" 10001 || return 1
	dp_wg "$2" 2 "$DP_KEY2" 10002 || return 1
	ip netns exec "$1" wg set wg0 peer "$DP_PUB2" \
		endpoint "$(dp_out4 2):10002" \
		allowed-ips "$(dp_ip4 2)/32,$(dp_ip6 2)/128" || return 1
	ip netns exec "$2" wg set wg0 peer "$DP_PUB1" \
		allowed-ips "$(dp_ip4 1)/32,$(dp_ip6 1)/128"
}

# dp_capture_start NS DEV FILE [TCPDUMP-ARGS...]: tcpdump -w FILE of whole
# frames on DEV in NS, in the background until dp_capture_stop (or exit);
# returns once it listens. Its pid in DP_CAP_PID (and FILE in
# DP_CAP_FILE[pid]), its stderr in FILE.err.
# (Few captures per test: starting one patches kernel text, which
# multi-threaded TCG has been seen to trip over.)
dp_capture_start() {
	local ns=$1 dev=$2 file=$3 i
	shift 3
	# --immediate-mode: each frame is handed over as it comes, not when a
	# block of the capture ring fills or times out, so that none is left
	# in the ring when the capture ends.
	ip netns exec "$ns" tcpdump -Z root -i "$dev" -n -U -s 0 -B 16384 \
		--immediate-mode -w "$file" "$@" 2>"$file.err" &
	DP_CAP_PID=$!
	declare -gA DP_CAP_FILE
	DP_CAP_FILE[$DP_CAP_PID]=$file
	cleanup_add "kill $DP_CAP_PID; rm -f '$file' '$file.err'"
	for ((i = 0; i < 300; i++)); do
		grep -q "listening on" "$file.err" 2>/dev/null && return 0
		kill -0 $DP_CAP_PID 2>/dev/null || break
		sleep 0.1
	done
	cat "$file.err"
	return 1
}

# dp_capture_stop [PID]: end a capture (default DP_CAP_PID) and wait for
# it to write its last frames: once its file has not grown for 0.3 s
# (what is on its way to the capture socket; at most 5 s on a busy host).
dp_capture_stop() {
	local pid=${1:-$DP_CAP_PID} file size last=-1 i
	file=${DP_CAP_FILE[$pid]:-}
	for ((i = 0; i < 50; i++)); do
		sleep 0.1
		size=$(stat -c %s "$file" 2>/dev/null || echo 0)
		if [ "$size" = "$last" ] && [ $i -ge 2 ]; then break; fi
		last=$size
	done
	kill -INT "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

# dp_capture_drops FILE: how many frames the kernel dropped for the capture
# that wrote FILE (after dp_capture_stop).
dp_capture_drops() {
	awk '/dropped by kernel/ { n = $1 } END { print n + 0 }' "$1.err"
}

# dp_link_counters NS DEV: the counters `ip -s link` shows for DEV, as
# "RX-BYTES RX-PACKETS RX-ERRORS RX-DROPPED TX-BYTES TX-PACKETS TX-ERRORS
# TX-DROPPED".
dp_link_counters() {
	ip -n "$1" -s link show dev "$2" | awk '
		$1 == "RX:" { getline; rx = $1 " " $2 " " $3 " " $4 }
		$1 == "TX:" { getline; tx = $1 " " $2 " " $3 " " $4 }
		END { print rx, tx }'
}

# dp_dump_transfer NS DEV: "RX TX" bytes of DEV's only peer in `wg show
# DEV dump`.
dp_dump_transfer() {
	ip netns exec "$1" wg show "$2" dump | awk -F'\t' 'NR == 2 { print $6, $7 }'
}

# dp_msg_size INNER-LEN [MTU]: bytes of the data message that carries an
# inner packet of INNER-LEN bytes through a device of MTU (1420): 16 of
# header, the packet zero-padded to a multiple of 16 but never past the
# MTU, 16 of tag.
dp_msg_size() {
	local len=$1 mtu=${2:-1420} p
	p=$(((len + 15) / 16 * 16))
	if ((p > mtu)); then p=$((len > mtu ? len : mtu)); fi
	echo $((32 + p))
}
# ---- end of the data path block ----
