#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Where one TCP flow's CPU time goes, modules included (a guest script).
# perf's cpu-clock samples land almost all in the idle loop under QEMU's
# software emulation, but the timer tick's profiler (boot with profile=2)
# sees busy CPUs; it counts only the kernel's own text, so a kprobe on
# do_profile_hits() (6.12: profile_hits()), which it calls with the
# interrupted address, records every tick's address and CPU into the
# trace buffer, and this script resolves them with /proc/kallsyms. Ticks
# in user mode are not recorded.
#
#   selftests/vm/run.sh --kernel 6.1.0-57-amd64 --append profile=2 \
#       --module build/6.1.0-57-amd64/drivers/net/wg/wireguard.ko \
#       -- selftests/bench/profile.sh
#
# WG_PROFILE_MODULE=in-tree profiles the kernel's own driver instead,
# WG_PROFILE_FLOWS (1) iperf3's flows, WG_PROFILE_SECS (8) the sampled
# seconds, WG_PROFILE_TOP (40) the symbols listed. WG_PROFILE_LOAD=udp64
# sends 64-byte UDP datagrams (selftests/tools/udprate.c) instead of TCP.
# WG_PROFILE_PATH (loop) is as data.sh's: "loop", both devices made in
# one namespace, whose sockets talk over 127.0.0.1, then moved to two
# others; or "veth", a veth pair between the two namespaces.

set -u
. "$WG_REPO/selftests/bench/lib.sh"
MODULE=${WG_PROFILE_MODULE:-ours}
FLOWS=${WG_PROFILE_FLOWS:-1}
SECS=${WG_PROFILE_SECS:-8}
TOP=${WG_PROFILE_TOP:-40}
LOAD=${WG_PROFILE_LOAD:-tcp}
WGPATH=${WG_PROFILE_PATH:-loop}
A=prof-a B=prof-b S=prof-s
T=/sys/kernel/tracing
TMP=$BENCH_TMP

die() { echo "profile: $*" >&2; exit 1; }

case $WGPATH in loop|veth) ;; *) die "WG_PROFILE_PATH: loop or veth" ;; esac
case $LOAD in tcp|udp64) ;; *) die "WG_PROFILE_LOAD: tcp or udp64" ;; esac
grep -qw 'profile=2' /proc/cmdline || die "boot with --append profile=2"
# The interrupted address: 6.1's do_profile_hits() lost its type argument
# to constant propagation; 6.12 has only profile_hits(type, pc, n).
if grep -qw do_profile_hits.constprop.0 /proc/kallsyms; then
	PROBE="do_profile_hits.constprop.0 pc=%di:x64"
elif grep -qw do_profile_hits /proc/kallsyms; then
	PROBE="do_profile_hits pc=%si:x64"
else
	PROBE="profile_hits pc=%si:x64"
fi
[ -d $T/events ] || mount -t tracefs none $T || die "no tracefs"

mod_load "$MODULE"
"setup_$WGPATH" || die "no tunnel"

# pc, the interrupted address, is the probe's one argument (see PROBE).
echo "p:wgprof $PROBE" >$T/kprobe_events || die "kprobe: $PROBE"
echo 65536 >$T/buffer_size_kb
case $LOAD in
tcp)
	ip netns exec $B iperf3 -s -1 -p 5201 >/dev/null 2>&1 &
	sleep 0.5
	ip netns exec $A iperf3 -c 10.77.0.2 -p 5201 -t $((SECS + 4)) -P "$FLOWS" -J \
		>"$TMP/load.out" 2>&1 &
	;;
udp64)
	UDPRATE=$(tool udprate)
	ip netns exec $B "$UDPRATE" recv 5300 --idle 2 --max $((SECS + 30)) \
		>"$TMP/load.out" 2>&1 &
	sleep 0.5
	ip netns exec $A "$UDPRATE" send 10.77.0.2:5300 --len 64 \
		--secs $((SECS + 4)) >/dev/null &
	;;
esac
sleep 2
echo >$T/trace
echo 1 >$T/events/kprobes/wgprof/enable
sleep "$SECS"
echo 0 >$T/events/kprobes/wgprof/enable
wait
if [ "$LOAD" = tcp ]; then
	echo "# $MODULE, $WGPATH, $FLOWS flow(s): $(jq -r \
		'.end.sum_received.bits_per_second / 1e6' "$TMP/load.out") Mbit/s"
else
	echo "# $MODULE, $WGPATH, udp64: $(awk '$1 == "pps" { print $2 }' \
		"$TMP/load.out") pkt/s received"
fi
sed -nE 's/^ *(.*)-[0-9]+ +\[([0-9]+)\].* pc=(0x[0-9a-f]+).*/\1 \2 \3/p' $T/trace >"$TMP/ticks"
echo >$T/kprobe_events
awk '$2 ~ /^[tT]$/' /proc/kallsyms | sort >"$TMP/syms"
teardown

python3 - "$TMP/syms" "$TMP/ticks" "$TOP" <<'EOF'
import bisect, collections, re, sys

syms = []
for line in open(sys.argv[1]):
    f = line.split()
    syms.append((int(f[0], 16), f[2], f[3].strip('[]') if len(f) > 3 else 'kernel'))
syms.sort()
addrs = [s[0] for s in syms]
by_sym, by_mod, by_task = collections.Counter(), collections.Counter(), collections.Counter()
by_where = collections.Counter()
n = 0
for line in open(sys.argv[2]):
    f = line.split()
    if len(f) < 3:
        continue
    task, cpu, pc = re.sub(r'[:/].*', '', ' '.join(f[:-2])), int(f[-2]), int(f[-1], 16)
    i = bisect.bisect_right(addrs, pc) - 1
    sym, mod = (syms[i][1], syms[i][2]) if i >= 0 else ('?', '?')
    n += 1
    by_sym[(sym, mod)] += 1
    by_mod[mod] += 1
    by_task[('cpu%d' % cpu, task)] += 1
    by_where[('cpu%d' % cpu, task, sym)] += 1
if not n:
    sys.exit('profile: no ticks recorded')
print('# %d ticks; by module:' % n)
for m, c in by_mod.most_common():
    print('%6.1f%%  %s' % (100.0 * c / n, m))
print('# by CPU and task (kernel mode only; <idle> is the idle loop):')
for (cpu, task), c in sorted(by_task.items()):
    if c * 200 >= n:
        print('%6.1f%%  %s %s' % (100.0 * c / n, cpu, task))
print('# by CPU, task and symbol:')
for (cpu, task, sym), c in by_where.most_common(int(sys.argv[3])):
    print('%6.1f%%  %s %s %s' % (100.0 * c / n, cpu, task, sym))
print('# by symbol:')
for (sym, mod), c in by_sym.most_common(int(sys.argv[3])):
    print('%6.1f%%  %s%s' % (100.0 * c / n, sym, '' if mod == 'kernel' else ' [%s]' % mod))
EOF
rm -rf "$TMP"
