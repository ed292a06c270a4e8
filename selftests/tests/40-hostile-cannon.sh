#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Packet cannon: selftests/tools/cannon.c fires WG_CANNON_COUNT (default
# 100000) datagrams at B's listening port from A, nine tenths over IPv4 and
# one tenth over IPv6 from a bound source port: random bytes, every message
# type with wrong lengths and reserved bits, random handshake messages,
# data and cookie replies for unknown indices, and truncated, extended,
# bit-flipped, replayed, re-indexed and re-countered copies of the real
# handshake and data messages captured (tcpdump) while A pinged B. It fires
# in rounds of at most WG_CANNON_ROUND (25000), each after a fresh handshake
# and capture, so that the captured keypair outlives the round even on a
# slow (debug) kernel.
#
# The cannon says which drop cause each datagram should get (it applies the
# module's classification to the bytes). Afterwards:
# - every datagram reached B's socket (Udp/Udp6 InDatagrams; no InErrors),
#   and nothing else but A's own keepalives: the capture goes on through
#   the cannon's window and counts what wg0 in A sent meanwhile (a slow
#   kernel may owe a second keepalive, 10 s after the first);
# - the per-cause counters (ethtool -S, ours only) grew by exactly what the
#   cannon predicted, and their sum by exactly the number of datagrams: each
#   one is counted once. Only a device under load may move an asynchronous
#   cause (handshake or decrypt queue) to a queue-full or cookie count; then
#   each such cause must be at most its prediction and the shortfall equal
#   to the load causes' growth;
# - rx_errors, rx_length_errors, rx_frame_errors, rx_crc_errors and
#   rx_dropped grew as stats.c maps the causes (ours only);
# - nothing was authenticated or delivered: B's wg0 rx_packets, its peer's
#   received bytes, endpoint and latest handshake, and ICMP echo requests are
#   unchanged;
# - the tunnel still carries ping both ways and a TCP transfer;
# - B's peer counts the drops of its own data by cause (GET with
#   peer-stats, through the YNL library): in each round, exactly what the
#   device's causes grew by (ours only; skipped without the YNL tools).
# The VM runner fails the run on any splat in the kernel log.
#
# Knobs: WG_CANNON_COUNT (100000), WG_CANNON_ROUND,
# WG_CANNON_SEED (default 1), WG_CANNON_PACE (EVERY:USEC, the cannon's -g,
# default 64:1000).
. "${WG_REPO:-$(dirname "$0")/../..}/selftests/lib.sh"
. "$WG_REPO/selftests/lib-ynl.sh"
require_module
ynl_ok=0
! is_intree && have_ynl && ynl_ok=1

count=${WG_CANNON_COUNT:-100000}
seed=${WG_CANNON_SEED:-1}
pace=${WG_CANNON_PACE:-64:1000}
per_round=${WG_CANNON_ROUND:-25000}
count6=$((count / 10))
count4=$((count - count6))

A=cna$$ B=cnb$$
check "namespaces" ns_add "$A" "$B"
check "veth pair" dp_veth "$A" "$B"
ka=$(genkey) kb=$(genkey)
pa=$(pubkey "$ka") pb=$(pubkey "$kb")
check "wg0 in $A" dp_wg "$A" 1 "$ka" 10001
check "wg0 in $B" dp_wg "$B" 2 "$kb" 10002

work=$(mktemp -d "${WG_SCRATCH:-/tmp}/cannon.XXXXXX")
cleanup_add "rm -rf '$work'"
cannon=$work/cannon
pcap=$work/real.pcap
check "build the cannon" gcc -O2 -Wall -Wextra -Werror -o "$cannon" \
	"$WG_REPO/selftests/tools/cannon.c"

# session: both peers made anew, so that a fresh handshake and three pings
# A->B follow; what wg0 in A sends B is captured into $pcap (and listed in
# $pcap.txt), by a capture that goes on until stop_capture. Then wait for
# the keepalive A owes B for the echo replies: after it neither side should
# have a reason to send, but for one more keepalive from A if a reply came
# in while that timer was pending; genuine counts what the capture saw after
# a mark (the line count of $pcap.txt when the mark was set).
CAPTURE_PID=
session() {
	local pid i l n data=0 ka=0
	ip netns exec "$A" wg set wg0 peer "$pb" remove
	ip netns exec "$B" wg set wg0 peer "$pa" remove
	ip netns exec "$A" wg set wg0 peer "$pb" endpoint "$(dp_out4 2):10002" \
		allowed-ips "$(dp_ip4 2)/32,$(dp_ip6 2)/128" || return 1
	ip netns exec "$B" wg set wg0 peer "$pa" \
		allowed-ips "$(dp_ip4 1)/32,$(dp_ip6 1)/128" || return 1
	rm -f "$pcap"
	ip netns exec "$A" tcpdump -Z root -i veth0 -n -l -U -w "$pcap" --print \
		"udp and src port 10001 and dst host $(dp_out4 2) and dst port 10002" \
		>"$pcap.txt" 2>"$pcap.err" &
	pid=$!
	# A debug kernel under load has taken more than 10 s to start it.
	for ((i = 0; i < 600; i++)); do
		grep -q "listening on" "$pcap.err" && break
		kill -0 $pid 2>/dev/null || break
		sleep 0.1
	done
	if ! grep -q "listening on" "$pcap.err"; then
		echo "tcpdump does not listen:"
		cat "$pcap.err"
		kill $pid 2>/dev/null
		return 1
	fi
	if ! ip netns exec "$A" ping -q -c 3 -i 0.3 -w 10 "$(dp_ip4 2)"; then
		kill $pid
		return 1
	fi
	# "... UDP, length N" a message: 148 the initiation, 32 a keepalive.
	for ((i = 0; i < 300 && !ka; i++)); do
		sleep 0.1
		data=0
		while read -r l; do
			n=${l##* }
			if [[ $l != *"UDP, length "* ]]; then
				continue
			elif [ "$n" = 32 ]; then
				((data >= 3)) && ka=1
			elif [ "$n" != 148 ]; then
				data=$((data + 1))
			fi
		done <"$pcap.txt"
	done
	CAPTURE_PID=$pid
	((ka)) || { echo "no keepalive from A after $data data messages:"; cat "$pcap.txt"; }
	((ka))
}
stop_capture() {
	[ -n "$CAPTURE_PID" ] || return 0
	kill -INT "$CAPTURE_PID"
	wait "$CAPTURE_PID" 2>/dev/null
	CAPTURE_PID=
}
captured() { grep -c 'UDP, length' "$pcap.txt"; }

# snap NS ARRAY: in one fork, NS's wg0 counters (ethtool -S as eth.NAME,
# /sys statistics as link.NAME), veth0's drops (veth.NAME) and the UDP and
# ICMP counters of /proc/net/snmp{,6} (Udp.NAME, Udp6NAME, Icmp.NAME).
snap() {
	local -n _s=$2
	local k v sec f i hdr=()
	local -A heads=()
	_s=()
	while read -r k v; do
		case $k in
		=*) sec=${k#=} ;;
		*)
			case $sec in
			eth) [[ $k == *: ]] && _s["eth.${k%:}"]=$v ;;
			link|veth) _s[$sec.${k##*/}]=$v ;;
			snmp)
				# Pairs of lines: names, then values.
				if [ -z "${heads[$k]}" ]; then
					heads[$k]=$v
				else
					read -ra hdr <<<"${heads[$k]}"
					read -ra f <<<"$v"
					for ((i = 0; i < ${#hdr[@]}; i++)); do
						_s[${k%:}.${hdr[i]}]=${f[i]}
					done
				fi
				;;
			snmp6) _s[$k]=$v ;;
			esac
			;;
		esac
	done < <(ip netns exec "$1" bash -c '
		echo =eth; ethtool -S wg0 2>/dev/null
		echo =link; cd /sys/class/net/wg0/statistics && for f in *; do echo "$f $(<"$f")"; done
		echo =veth; cd /sys/class/net/veth0/statistics && for f in *; do echo "$f $(<"$f")"; done
		echo =snmp; grep -E "^(Udp|Icmp):" /proc/net/snmp
		echo =snmp6; grep -E "^Udp6" /proc/net/snmp6')
}

# peer_state: B's peer's received bytes, endpoint and latest handshake, in
# one reading (wg show dump: public key, psk, endpoint, allowed IPs, latest
# handshake, rx, tx, keepalive).
peer_state() {
	ip netns exec "$B" wg show wg0 dump |
		awk 'NR == 2 { print $6, $3, $5 }'
}

# The per-cause receive counters, and those no cannon datagram should reach
# unless the device is under load.
rx_causes=(rx_bad_length rx_bad_type rx_bad_mac1 rx_ratelimited
	rx_handshake_queue_full rx_bad_handshake rx_cookie_sent rx_unknown_index
	rx_expired_key rx_decrypt_failed rx_replay rx_queue_full rx_bad_inner
	rx_allowedips_mismatch rx_ecn_drop)
load_causes=(rx_handshake_queue_full rx_cookie_sent rx_ratelimited rx_queue_full)

declare -A before after expect kinds pst
sent=0 failed=0 elapsed=0

# fire ARGS...: one cannon run from A; adds up its figures.
fire() {
	local out rc k n v
	out=$(ip netns exec "$A" "$cannon" "$@" 2>&1)
	rc=$?
	while read -r k n v; do
		case $k in
		sent) sent=$((sent + n)) ;;
		failed) failed=$((failed + n)) ;;
		elapsed_ms) elapsed=$((elapsed + n)) ;;
		kind) kinds[$n]=$((${kinds[$n]:-0} + v)) ;;
		expect) expect[$n]=$((${expect[$n]:-0} + v)) ;;
		esac
	done <<<"$out"
	echo "$out"
	return "$rc"
}

# sum ARRAY NAME...: the sum of ARRAY[eth.NAME] over the NAMEs.
sum() {
	local -n _a=$1
	local n t=0
	shift
	for n; do t=$((t + ${_a[eth.$n]:-0})); done
	echo $t
}
# d KEY: how much KEY grew, over the rounds.
d() { echo "${delta[$1]:-0}"; }
# dsum NAME...: the same summed over the causes NAME.
dsum() {
	local n t=0
	for n; do t=$((t + ${delta[eth.$n]:-0})); done
	echo $t
}

# The rounds: the IPv4 datagrams, then the IPv6 ones (from a bound port),
# at most $per_round a round, each round on a fresh session so that the
# captured keypair is still live (it expires 180 s after its handshake).
plan=()
for fam in 4 6; do
	left=$count4
	[ $fam = 6 ] && left=$count6
	while ((left > 0)); do
		n=$((left < per_round ? left : per_round))
		plan+=("$fam $n")
		left=$((left - n))
	done
done

# settle N: the handshake and decrypt workers and the NAPI poll count after
# the cannon is done: wait until the causes have grown by N, or stop moving.
settle() {
	local i last=-1 total
	for ((i = 0; i < 120; i++)); do
		snap "$B" after
		total=$(($(sum after "${rx_causes[@]}") - $(sum before "${rx_causes[@]}")))
		[ "$total" -ge "$1" ] && return 0
		[ "$total" = "$last" ] && ((i >= 6)) && return 0
		last=$total
		sleep 0.5
	done
}

declare -A delta
round=0 start=$SECONDS genuine=0
cleanup_add stop_capture
for r in "${plan[@]}"; do
	read -r fam n <<<"$r"
	round=$((round + 1))
	t="round $round"
	check "$t: fresh handshake and pings, captured" session
	mark=$(captured)
	snap "$B" before
	peer_before=$(peer_state)
	hs_before=${peer_before##* }
	if [ $round = 1 ] && ! is_intree; then
		check_match "B has per-cause counters" '^[0-9]+$' \
			"${before[eth.rx_bad_length]}"
	fi
	was=$sent t0=$SECONDS
	if [ "$fam" = 4 ]; then
		check "$t: cannon, $n datagrams over IPv4" fire -n "$n" \
			-s "$((seed + round))" -p "$pcap" -g "$pace" "$(dp_out4 2):10002"
	else
		check "$t: cannon, $n datagrams over IPv6 from port 40000" fire \
			-n "$n" -s "$((seed + round))" -p "$pcap" -g "$pace" -b 40000 \
			"[$(dp_out6 2)]:10002"
	fi
	check_match "$t: the capture gave it the real messages" \
		'^pcap ([4-9]|[1-9][0-9]+)$' "$OUT"
	if is_intree; then
		sleep 2
		snap "$B" after
	else
		settle $((sent - was))
	fi
	stop_capture
	g=$(($(captured) - mark))
	genuine=$((genuine + g))
	((g)) && diag "$t: A sent B $g genuine message(s) meanwhile (keepalives)"
	for k in "${!after[@]}"; do
		delta[$k]=$((${delta[$k]:-0} + ${after[$k]:-0} - ${before[$k]:-0}))
	done
	check_eq "$t: B's peer got nothing authentic (rx bytes, endpoint, handshake)" \
		"$peer_before" "$(peer_state)"
	# The peer was made anew for this round: its drops are this round's.
	if ((ynl_ok)); then
		peer_stats "$B" wg0 "$pa" pst
		for pair in drop-decrypt:rx_decrypt_failed drop-replay:rx_replay \
			drop-bad-inner:rx_bad_inner drop-allowedips:rx_allowedips_mismatch; do
			f=${pair%%:*} c=${pair#*:}
			check_eq "$t: B's peer's $f is what $c grew by" \
				"$((${after[eth.$c]:-0} - ${before[eth.$c]:-0}))" "${pst[$f]:-none}"
		done
	fi
	age=$(($(date +%s) - hs_before))
	diag "$t: $((SECONDS - t0)) s; handshake age at the end $age s"
	# Nothing the cannon sent moved the session: not the replay window
	# (re-countered copies), not the keys. Past REKEY_AFTER_TIME the
	# initiator may start a new handshake as it sends, but not before.
	check "$t: the session still carries a ping A->B" dp_ping "$A" "$(dp_ip4 2)"
	if ((age < 100)); then
		check_eq "$t: on the same keypair (no new handshake)" "$hs_before" \
			"$(dp_peer_field "$B" wg0 latest-handshakes)"
	fi
done
check_eq "all $count sent" "$count 0" "$sent $failed"
diag "cannon: $sent datagrams in $((elapsed / 1000)).$((elapsed % 1000 / 100)) s" \
	"(sending), $((SECONDS - start)) s in all"
for k in "${!kinds[@]}"; do diag "  kind $k: ${kinds[$k]}"; done | sort

udp_in=$(($(d Udp.InDatagrams) + $(d Udp6InDatagrams)))
check_eq "every datagram reached B's UDP socket, and A's $genuine genuine ones (Udp+Udp6 InDatagrams)" \
	"$((sent + genuine))" "$udp_in"
check_eq "no UDP receive errors in B (InErrors, RcvbufErrors)" "0 0 0 0" \
	"$(d Udp.InErrors) $(d Udp.RcvbufErrors) $(d Udp6InErrors) $(d Udp6RcvbufErrors)"
diag "veth drops: A tx $(d veth.tx_dropped), B rx $(d veth.rx_dropped)"

if is_intree; then
	skip "the per-cause counters account for every datagram" "in-tree: no ethtool stats"
	skip "each cause grew as predicted" "in-tree: no ethtool stats"
	skip "netdev statistics match the causes" "in-tree: counts differ"
else
	total=$(dsum "${rx_causes[@]}")
	check_eq "the per-cause counters grew by the cannon's $sent datagrams" "$sent" "$total"
	load=0
	for c in "${load_causes[@]}"; do load=$((load + $(d "eth.$c"))); done
	for c in "${rx_causes[@]}"; do
		diag "$(printf '  %-24s expected %6d  counted %6d' "$c" \
			"${expect[$c]:-0}" "$(d "eth.$c")")"
	done
	# Decided in wg_receive() from the bytes alone: exact in any case.
	for c in rx_bad_length rx_bad_type; do
		check_eq "$c grew by the cannon's ${expect[$c]:-0}" \
			"${expect[$c]:-0}" "$(d "eth.$c")"
	done
	async=(rx_bad_mac1 rx_bad_handshake rx_unknown_index rx_decrypt_failed
		rx_replay)
	if [ "$load" = 0 ]; then
		for c in "${async[@]}"; do
			check_eq "$c grew by the cannon's ${expect[$c]:-0}" \
				"${expect[$c]:-0}" "$(d "eth.$c")"
		done
		for c in rx_expired_key rx_bad_inner rx_allowedips_mismatch rx_ecn_drop; do
			check_eq "$c unchanged" 0 "$(d "eth.$c")"
		done
	else
		diag "B went under load (queue full / cookie / ratelimited: $load):" \
			"those datagrams left the causes the cannon predicted"
		short=0
		for c in "${async[@]}"; do
			got=$(d "eth.$c")
			check "$c grew by at most the cannon's ${expect[$c]:-0} ($got)" \
				test "$got" -le "${expect[$c]:-0}"
			short=$((short + ${expect[$c]:-0} - got))
		done
		check_eq "what they lack is what the load causes gained" "$load" "$short"
	fi

	# stats.c: which netdev counter each cause feeds.
	rxerr=(rx_bad_length rx_bad_type rx_bad_mac1 rx_bad_handshake
		rx_unknown_index rx_expired_key rx_decrypt_failed rx_replay
		rx_bad_inner rx_allowedips_mismatch)
	rxdrop=(rx_ratelimited rx_handshake_queue_full rx_queue_full rx_ecn_drop)
	frame=(rx_bad_type rx_bad_inner rx_allowedips_mismatch)
	want="$(dsum "${rxerr[@]}") $(dsum "${rxdrop[@]}") $(d eth.rx_bad_length)"
	want+=" $(dsum "${frame[@]}") $(d eth.rx_decrypt_failed)"
	check_eq "rx_errors rx_dropped rx_length/frame/crc_errors match the causes" "$want" \
		"$(d link.rx_errors) $(d link.rx_dropped) $(d link.rx_length_errors) $(d link.rx_frame_errors) $(d link.rx_crc_errors)"
	diag "B's wg0: rx_errors +$(d link.rx_errors), rx_dropped +$(d link.rx_dropped)"
fi

check_eq "nothing delivered on B's wg0 (rx_packets)" 0 "$(d link.rx_packets)"
check_eq "no echo request reached B (Icmp InEchos)" 0 "$(d Icmp.InEchos)"

check "the tunnel still works A->B" dp_ping "$A" "$(dp_ip4 2)"
check "and B->A" dp_ping "$B" "$(dp_ip4 1)"
check "and over IPv6 inside" dp_ping "$A" "$(dp_ip6 2)"
check "TCP through the tunnel (iperf3, 2 s)" dp_iperf "$B" "$A" "$(dp_ip4 2)" -t 2

done_testing
