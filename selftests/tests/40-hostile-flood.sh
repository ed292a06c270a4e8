#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Handshake flood while TCP runs through the tunnel. A is the real peer, B
# the victim (wg0 listening), F the flooder on a veth of its own to B. F
# owns whole address ranges (local routes; B routes them back to F), so
# selftests/tools/hsflood.c (built here) sends from many sources:
# initiations with a valid mac1 for B's key, random otherwise.
#
# - The bulk flood (256 IPv4 and 32 IPv6 sources, no mac2; from one thread
#   per CPU as a flood from many sources arrives: a single sender, slowed by
#   the very kernel it shares with B, is no flood on a debug kernel, where
#   B's handshake workers keep up with it) at FLOOD_RATE messages/s in
#   bursts of FLOOD_BURST (default 2048 and 1024), doubled (up to 32 times)
#   until B stays under load: cookie replies come back within 30 s and
#   still come 3 s later. How fast B's workers refuse initiations by
#   Diffie-Hellman depends on the machine (seen: from 300 to over 1000 a
#   second on a debug kernel), and a flood they keep up with is no load.
#   The replies come over both families and open with B's cookie key.
#   Ours: B counted every reply (rx_cookie_sent); while the TCP flow runs,
#   B still goes under load and answers with cookies.
# - TCP A->B (iperf3, one connection, FLOOD_TCP_SECS = 32 s) with the flood
#   let loose and stopped in turns of FLOOD_TCP_PHASE = 4 s keeps at least
#   a quarter of its throughput while the flood runs: the data path is not
#   starved by handshakes. Not half: the flood is raised until B's one
#   handshake worker is busy all the time, a whole CPU of the two, and the
#   flooder's threads run in the same machine, so about half is what is
#   left for TCP by construction (seen: 45% to 88%). Turns, not one run
#   before and one during: on a shared, emulated machine throughput drifts
#   by 2x from one 10 s run to the next, which decides such a comparison
#   alone. After it B is still under load (or the flood doubles again until
#   it is).
# - Cookie holders (during the flood): 8 sources at 4 messages/s each (the
#   limit is 20/s with a burst of 5) take the cookie they got and send with
#   a valid mac2, every 4th message a probe without. Under load B answers
#   the probes with cookie replies and the others never: they go on to the
#   handshake (ours: rx_bad_handshake grows by at least them, less what
#   the stack dropped on the way: full backlogs) and are not rate limited
#   (ours: rx_ratelimited, a 5% slack for a stalled worker). Each source
#   gets its cookie before its run starts (--cookie-wait: B answers a probe
#   only when its queue has room); after the run the bulk flood pauses
#   until B's workers have taken every queued message.
# - One source at 200/s with a cookie (got first, as above), every 8th
#   message a probe: no reply to its messages with mac2 either; ours:
#   rx_ratelimited grows, and what the limiter let through while B was
#   under load (the share of probes answered tells how long that was) is
#   about 20/s (at most 40/s).
# - The real peer completes a new handshake during the flood (A forgets
#   and re-adds B: its first initiation gets a cookie reply, the retry
#   after 5 s carries mac2 and, ours, goes ahead of the flood), and the
#   tunnel works after the flood.
. "${WG_REPO:-$(dirname "$0")/../..}/selftests/lib.sh"
require_module

# Knobs: the bulk flood's rate and burst; the TCP measurement's length and
# the length of its phases with and without the flood.
rate=${FLOOD_RATE:-2048}
burst=${FLOOD_BURST:-1024}
turns=${FLOOD_TCP_SECS:-32}
phase=${FLOOD_TCP_PHASE:-4}

A=fla$$ B=flb$$ F=flf$$
check "namespaces" ns_add "$A" "$B" "$F"
check "veth pair A <-> B" dp_veth "$A" "$B"
ka=$(genkey) kb=$(genkey)
pa=$(pubkey "$ka") pb=$(pubkey "$kb")
check "wg0 in A" dp_wg "$A" 1 "$ka" 10001
check "wg0 in B" dp_wg "$B" 2 "$kb" 10002
peer_a() {
	ip netns exec "$A" wg set wg0 peer "$pb" endpoint "$(dp_out4 2):10002" \
		allowed-ips "$(dp_ip4 2)/32"
}
check "A: peer B" peer_a
check "B: peer A" ip netns exec "$B" wg set wg0 peer "$pa" \
	allowed-ips "$(dp_ip4 1)/32"

# F's wire to B; F owns 172.16.0.0/12 and fd00:f100::/32 as sources.
flink() {
	ip -n "$F" link add veth0 type veth peer name veth1 netns "$B" || return 1
	ip -n "$F" addr add 192.168.242.3/24 dev veth0
	ip -n "$B" addr add 192.168.242.2/24 dev veth1
	ip -n "$F" addr add fd00:242::3/64 dev veth0 nodad
	ip -n "$B" addr add fd00:242::2/64 dev veth1 nodad
	ip -n "$F" link set veth0 up && ip -n "$B" link set veth1 up || return 1
	ip -n "$F" route add local 172.16.0.0/12 dev lo || return 1
	ip -n "$F" -6 route add local fd00:f100::/32 dev lo || return 1
	ip -n "$B" route add 172.16.0.0/12 via 192.168.242.3 || return 1
	ip -n "$B" -6 route add fd00:f100::/32 via fd00:242::3
}
check "F's link and source ranges" flink
check "tunnel up (first handshake)" dp_ping "$A" "$(dp_ip4 2)" 10

work=$(mktemp -d "${WG_SCRATCH:-/tmp}/flood.XXXXXX")
cleanup_add "rm -rf '$work'"
hsflood=$work/hsflood
check "build the flooder" gcc -O2 -Wall -Wextra -Werror -o "$hsflood" \
	"$WG_REPO/selftests/tools/hsflood.c"
check "flooder's known answers (BLAKE2s, XChaCha20-Poly1305)" \
	"$hsflood" --selftest

# flood NAME ARGS...: the flooder in F against B, in the background, its
# output in $work/NAME, its pid in FPID.
FPID=
flood() {
	local name=$1
	shift
	ip netns exec "$F" "$hsflood" --pubkey "$pb" \
		--to4 192.168.242.2:10002 --to6 "[fd00:242::2]:10002" "$@" \
		>"$work/$name" 2>&1 &
	FPID=$!
	cleanup_add "kill $FPID"
}
# fstat NAME KEY: one figure of a flooder's summary.
fstat() { awk -v k="$2" '$1 == k { print $2 }' "$work/$1"; }
summary() { grep -v '^progress' "$work/$1" | tr '\n' ' '; }

# softnet_drops: the packets the stack dropped for want of room in a
# CPU's backlog (all namespaces), a message lost on its way to B's socket.
softnet_drops() {
	local n=0 dropped
	while read -r _ dropped _; do
		n=$((n + 16#$dropped))
	done </proc/net/softnet_stat
	echo "$n"
}
# snap ARRAY: B's wg0 counters (ethtool -S) into an associative array.
snap() {
	local -n arr=$1
	local k v
	while read -r k v; do
		[ -n "$v" ] && arr[${k%:}]=$v
	done < <(ip netns exec "$B" ethtool -S wg0 2>/dev/null)
}
# settle: B's handshake counters stay the same for 1 s (at most 30 s):
# its workers have taken every queued message.
settle() {
	local i last=none now
	local -A cur
	for ((i = 0; i < 30; i++)); do
		snap cur
		now="${cur[rx_bad_handshake]} ${cur[rx_cookie_sent]}"
		[[ $now == "$last" ]] && return 0
		last=$now
		sleep 1
	done
}
# delta FROM TO NAME: TO[NAME] - FROM[NAME].
delta() {
	local -n from=$1 to=$2
	echo $((${to[$3]:-0} - ${from[$3]:-0}))
}
show() {
	local k line=
	for k in rx_cookie_sent rx_bad_handshake rx_ratelimited \
		rx_handshake_queue_full; do
		line+=" ${k#rx_}=$(delta "$1" "$2" $k)"
	done
	diag "B, $3:$line"
}
# tcp_turns PID: iperf3 TCP A->B for $turns s, the server reporting every
# second; the flooder PID runs in every other phase of $phase s (the first
# one without) and is stopped in the others. Prints the mean Kbit/s without
# and with the flood, leaving out the first second of each phase (slow
# start, the switch), then every second as "-" (without) or "+" and its
# Kbit/s. Alternating cancels most of the drift a shared machine has.
tcp_turns() {
	local pid=$1 log=$work/turns.log spid cpid n on=0 k=0
	kill -STOP "$pid"
	ip netns exec "$B" iperf3 -s -1 -i 1 -f k --forceflush >"$log" 2>&1 &
	spid=$!
	cleanup_add "kill $spid"
	dp_wait_listen "$B" 5201 || return 1
	ip netns exec "$A" iperf3 -c "$(dp_ip4 2)" -t "$turns" -f k \
		>"$work/turns.client" 2>&1 &
	cpid=$!
	cleanup_add "kill $cpid"
	while kill -0 "$cpid" 2>/dev/null; do
		n=$(grep -c 'Kbits/sec *$' "$log")
		if ((n >= k + phase)); then
			k=$((k + phase))
			on=$((!on))
			if ((on)); then kill -CONT "$pid"; else kill -STOP "$pid"; fi
		fi
		sleep 0.2
	done
	kill -CONT "$pid"
	wait "$cpid" || { cat "$work/turns.client"; return 1; }
	wait "$spid"
	awk -v p="$phase" '/Kbits\/sec *$/ {
		split($3, t, "-")
		if (t[2] - t[1] < 0.5)
			next
		for (j = 4; j <= NF; j++)
			if ($j == "Kbits/sec")
				v = $(j - 1)
		on = int(n / p) % 2
		line = line " " (on ? "+" : "-") int(v)
		if (n++ % p) {
			sum[on] += v
			cnt[on]++
		}
	}
	END {
		if (!cnt[0] || !cnt[1] || !sum[0])
			exit 1
		printf "%d %d\n%s\n", sum[0] / cnt[0], sum[1] / cnt[1], line
	}' "$log"
}
# bulk_flood NAME RATE: the bulk flood's sources at RATE messages/s.
bulk_flood() {
	flood "$1" --src4 172.16.0.1 --n4 256 --src6 fd00:f100::1 --n6 32 \
		--rate "$2" --burst "$burst" --duration 3600 --verify 50 \
		--progress --threads "$(nproc)"
}
# replies_now NAME: the cookie replies a flooder has had so far (the last
# progress line of each of its threads).
replies_now() {
	grep '^progress' "$work/$1" | tail -n "$(nproc)" |
		awk '{ n += $4 } END { print n + 0 }'
}
# steady NAME: a flooder gets new cookie replies within 3 s.
steady() {
	local r0 r1
	r0=$(replies_now "$1")
	sleep 3
	r1=$(replies_now "$1")
	echo "$1: $r0 cookie replies, 3 s later $r1"
	((r1 > r0))
}
# bulk_up RATE: the bulk flood (output in $work/bulkN, N counting up in
# $floods; pid in $bulk) at RATE, or twice that and so on up to 32 times
# FLOOD_RATE, until it gets cookie replies within 30 s and steady ones
# after: B stays under load. Sets lrate.
floods=()
bulk_up() {
	local name end
	lrate=$1
	while :; do
		name=bulk${#floods[@]}
		floods+=("$name")
		bulk_flood "$name" "$lrate"
		bulk=$FPID
		end=$((SECONDS + 30))
		while ((SECONDS < end)) && [ "$(replies_now "$name")" = 0 ]; do
			sleep 0.5
		done
		steady "$name" && return 0
		kill -TERM "$bulk"
		wait "$bulk"
		((lrate < rate * 32)) || return 1
		lrate=$((lrate * 2))
	done
}

# --- The bulk flood ---------------------------------------------------------
declare -A c0 c1 c2 cl c3 c4 c5
snap c0
t0=$SECONDS
check "the flood gets cookie replies (B is under load)" bulk_up "$rate"
diag "first cookie replies after about $((SECONDS - t0)) s, at $lrate/s: $OUT"
snap c1
show c0 c1 "flood until it stayed under load"

check "TCP A->B, ${phase} s without and ${phase} s with the flood in turns" \
	tcp_turns "$bulk"
read -r bw0 bw1 <<<"${OUT%%$'\n'*}"
diag "TCP: ${bw0:-?} Kbit/s without the flood, ${bw1:-?} with it; per second:"
diag "${OUT#*$'\n'}"
check "TCP under the flood keeps >= 25% (${bw1:-?} of ${bw0:-?} Kbit/s)" \
	test "$((${bw1:-0} * 4))" -ge "${bw0:-1}"
snap c2
show c1 c2 "during the TCP measurement"

# B under load again after the TCP flow, whose CPU B's workers now get.
keep_load() {
	steady "${floods[-1]}" && return 0
	kill -TERM "$bulk"
	wait "$bulk"
	bulk_up $((lrate * 2))
}
check "B is still under load after the TCP flow" keep_load
diag "the flood at $lrate/s: $OUT"
snap cl
drops0=$(softnet_drops)

# --- Sources with cookies, during the flood ---------------------------------
# Each source first gets its cookie (a probe B answers only when its
# queue has room), then the 8 s run starts. After it, the bulk flood
# pauses until B's workers have taken every queued message: the holders'
# last ones may still wait in that queue.
flood slow --src4 172.17.0.1 --n4 8 --rate 32 --duration 8 --cookies \
	--probe-every 4 --linger 1 --cookie-wait 60
wait "$FPID"
kill -STOP "$bulk"
settle
snap c3
drops3=$(softnet_drops)
kill -CONT "$bulk"
show cl c3 "8 cookie holders at 4/s each"
diag "cookie holders: $(summary slow)"
diag "the stack dropped $((drops3 - drops0)) packets meanwhile (backlogs full)"
check_eq "every cookie holder got a cookie" 8 "$(fstat slow sources_cookie)"
check_eq "their cookies opened" 0 "$(fstat slow cookies_bad)"
check_match "B under load answered their probes ($(fstat slow replies_probe))" \
	'^[1-9][0-9]*$' "$(fstat slow replies_probe)"
sm=$(fstat slow sent_mac2) sr=$(fstat slow replies_mac2)
# A renewal of B's cookie secret (every 120 s) costs each source a reply.
check "but not their messages with mac2 ($sr of $sm answered)" \
	test "${sm:-0}" -ge 40 -a "${sr:-1}" -le 16

# One source at 200/s with a cookie, every 8th message a probe: the share of
# probes B answers is the share of the time it was under load.
flood fast --src4 172.18.0.1 --n4 1 --rate 200 --duration 6 --cookies \
	--probe-every 8 --linger 1 --cookie-wait 60
wait "$FPID"
snap c4
show c3 c4 "one cookie holder at 200/s"
diag "fast source: $(summary fast)"
fm=$(fstat fast sent_mac2) fr=$(fstat fast replies_mac2)
fp=$(fstat fast sent_probe) fq=$(fstat fast replies_probe)
check "the fast source sent with its cookie ($fm, $fr answered)" \
	test "${fm:-0}" -ge 200 -a "${fr:-1}" -le $((${fm:-0} / 10))
check "B was under load for the fast source ($fq of $fp probes answered)" \
	test "${fq:-0}" -gt 0

# --- The real peer's new handshake, during the flood --------------------------
hs_old=$(dp_peer_field "$B" wg0 latest-handshakes)
sleep 1.1
rehandshake() {
	ip netns exec "$A" wg set wg0 peer "$pb" remove || return 1
	peer_a || return 1
	dp_ping "$A" "$(dp_ip4 2)" 30
}
t0=$SECONDS
check "A completes a new handshake during the flood" rehandshake
diag "it took about $((SECONDS - t0)) s"
hs_new=$(dp_peer_field "$B" wg0 latest-handshakes)
check "B's latest-handshake advanced ($hs_old -> $hs_new)" \
	test "${hs_new:-0}" -gt "${hs_old:-0}"

kill -TERM "$bulk"
wait "$bulk"
snap c5
show c0 c5 "the whole flood"
v6=0 got=0
for f in "${floods[@]}"; do
	diag "bulk flood $f: $(summary "$f")"
	n=$(fstat "$f" replies_v6)
	v6=$((v6 + ${n:-0}))
	n=$(fstat "$f" replies)
	got=$((got + ${n:-0}))
done
check_match "the bulk flood was answered over IPv6 too" '^[1-9][0-9]*$' "$v6"
# The threads of each open up to 50 replies between them (an equal share
# each); a flood that met B under load only briefly may have fewer.
sample() {
	local n ok
	n=$(fstat "$1" replies) ok=$(fstat "$1" cookies_ok)
	echo "$1: $ok of ${n:-0}"
	test "${ok:-0}" -ge $((n < 25 ? n : 25)) -a "${ok:-0}" -le 50 -a \
		"$(fstat "$1" cookies_bad) $(fstat "$1" replies_unknown)" = "0 0"
}
samples() {
	local f
	for f in "${floods[@]}"; do
		sample "$f" || return 1
	done
}
check "the samples of their replies opened, none bad or unknown" samples

check "the tunnel works after the flood" dp_ping "$A" "$(dp_ip4 2)" 10

# --- B's counters (ours) -------------------------------------------------------
if is_intree; then
	skip "B counted every cookie reply" "in-tree: no ethtool stats"
	skip "B answered with cookies while TCP ran" "in-tree"
	skip "the cookie holders' messages reached the handshake" "in-tree"
	skip "the cookie holders were not rate limited" "in-tree"
	skip "the fast source was rate limited" "in-tree"
	skip "to about 20/s while B was under load" "in-tree"
else
	got=$((got + $(fstat slow replies) + $(fstat fast replies)))
	sent=$(delta c0 c5 rx_cookie_sent)
	check "B counted every cookie reply the flooders got ($got <= $sent)" \
		test "$got" -le "$sent" -a "$got" -gt 0
	# How much of the flood met a B under load depends on how fast this
	# machine is against the flooder: a figure, not a check.
	diag "the flood: $(delta c0 c5 rx_cookie_sent) cookie replies," \
		"$(delta c0 c5 rx_bad_handshake) Diffie-Hellmans"
	ck=$(delta c1 c2 rx_cookie_sent) dh=$(delta c1 c2 rx_bad_handshake)
	check "B answered with cookies while TCP ran ($ck; $dh by Diffie-Hellman)" \
		test "$ck" -gt 0
	rl=$(delta cl c3 rx_ratelimited)
	bad=$(delta cl c3 rx_bad_handshake)
	# What the stack dropped on the way never reached B (diag above).
	want=$((sm - sr - rl - (drops3 - drops0)))
	check "the cookie holders' messages reached the handshake ($bad >= $want)" \
		test "$bad" -ge "$want"
	check "the cookie holders were not rate limited ($rl <= $((sm / 20)))" \
		test "$rl" -le $((sm / 20))
	# Under load (the share fq/fp of the time T) the limiter lets through
	# 20/s and a burst of 5 each time B gets under load again; the rest of
	# the fast source's messages it stops. Its figure, estimated:
	# (fm * fq / fp - rl) / (T * fq / fp).
	rl=$(delta c3 c4 rx_ratelimited) t=$(fstat fast elapsed_ms)
	pass=$(((fm * fq - rl * fp) * 1000 / (${t:-1} * (fq ? fq : 1))))
	((pass < 0)) && pass=0	# the share of probes answered is an estimate
	diag "fast source: $rl rate limited; let through under load: $pass/s"
	check "the fast source was rate limited ($rl of $fm)" test "$rl" -gt 0
	check "to about 20/s while B was under load ($pass/s <= 40/s)" \
		test "$pass" -le 40
fi

done_testing
