#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# intree.sh - interop between our module and the kernel's own WireGuard:
# two VMs of the same kernel, A with our module and B with the in-tree
# driver, joined by a QEMU socket network over 127.0.0.1, each running
# selftests/interop/guest.sh (handshakes initiated from each side, pings
# and iperf3 both ways, IPv4 and IPv6 endpoints).
#
# usage: selftests/interop/intree.sh [--module PATH.ko|intree] [--timeout S]
#                                    [--log-dir DIR] KVER
#
#   --module PATH.ko  VM A's module (default build/KVER/drivers/net/wg/
#                     wireguard.ko); "intree" = the in-tree driver on both
#                     sides (to check the test itself)
#   --timeout S       per-VM time limit (default 420)
#   --log-dir DIR     keep the console logs there as KVER-interop-{A,B}.log
#
# Output: both VMs' TAP lines, A's then B's (each VM numbers its own), and
# "not ok" for a VM that failed without saying so.  Exit status 0 iff all
# passed.  Environment: WG_SMP (vCPUs per VM, default 1), WG_INTEROP_GRACE
# (seconds one VM may run on after the other ended, default 60).

set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)

usage() {
	sed -n '/^# usage:/,/^# Output:/p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

module='' timeout=420 logdir=''
while [[ $# -gt 0 ]]; do
	case $1 in
	--module) module=${2:?}; shift 2 ;;
	--timeout) timeout=${2:?}; shift 2 ;;
	--log-dir) logdir=${2:?}; shift 2 ;;
	-h|--help) usage ;;
	-*) echo "intree.sh: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
done
[[ $# -eq 1 ]] || usage
kver=$1
[[ -n $module ]] || module=$REPO/build/$kver/drivers/net/wg/wireguard.ko
if [[ $module == intree ]]; then
	how_a=(--intree)
else
	[[ -r $module ]] || { echo "not ok - interop $kver: no module $module"; exit 1; }
	how_a=(--module "$module")
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/wg-interop.XXXXXX")
pids=()
# shellcheck disable=SC2317 # run by the trap
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

# Keys, so that each side knows the other's public key.
priv_a=$(wg genkey) priv_b=$(wg genkey)
pub_a=$(wg pubkey <<<"$priv_a") pub_b=$(wg pubkey <<<"$priv_b")

# A free TCP port on 127.0.0.1 (the kernel picks; QEMU binds it right after).
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
listening() { [[ -n $(ss -Hltn "sport = :$1" 2>/dev/null) ]]; }

port=$(free_port)
mac=52:54:00:12:34
# no_timer_check: on a busy host the emulated 8254 can fail the kernel's
# IO-APIC timer check at boot ("IO-APIC + timer doesn't work!" panic).
common=(--kernel "$kver" --smp "${WG_SMP:-1}" --timeout "$timeout"
	--append no_timer_check)
log_a=() log_b=()
if [[ -n $logdir ]]; then
	mkdir -p "$logdir"
	log_a=(--log "$logdir/$kver-interop-A.log")
	log_b=(--log "$logdir/$kver-interop-B.log")
fi

t0=$SECONDS
"$REPO/selftests/vm/run.sh" "${common[@]}" "${how_a[@]}" "${log_a[@]}" \
	--env "WG_PRIV=$priv_a" --env "WG_PEER_PUB=$pub_b" \
	--extra-qemu -netdev "socket,id=n0,listen=127.0.0.1:$port" \
	-device "virtio-net-pci,netdev=n0,mac=$mac:01" -- \
	"$REPO/selftests/interop/guest.sh" A >"$tmp/A.out" 2>"$tmp/A.err" &
pids+=($!)

# B connects: only once A's QEMU listens (it does before its guest boots;
# the initramfs is built or found first, which may take a while).
for ((i = 0; i < 600; i++)); do
	listening "$port" && break
	kill -0 "${pids[0]}" 2>/dev/null || break
	sleep 0.2
done
if listening "$port"; then
	"$REPO/selftests/vm/run.sh" "${common[@]}" --intree "${log_b[@]}" \
		--env "WG_PRIV=$priv_b" --env "WG_PEER_PUB=$pub_a" \
		--extra-qemu -netdev "socket,id=n0,connect=127.0.0.1:$port" \
		-device "virtio-net-pci,netdev=n0,mac=$mac:02" -- \
		"$REPO/selftests/interop/guest.sh" B >"$tmp/B.out" 2>"$tmp/B.err" &
	pids+=($!)
	# When one VM ends, the other has GRACE seconds to finish (it may
	# be at its last barrier); then it is stopped (a VM that died at
	# boot would leave the other waiting for it at every barrier).
	wait -n "${pids[@]}"
	for ((i = 0; i < ${WG_INTEROP_GRACE:-60}; i++)); do
		kill -0 "${pids[0]}" 2>/dev/null || kill -0 "${pids[1]}" 2>/dev/null || break
		sleep 1
	done
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait "${pids[1]}"; rc_b=$?
else
	echo "not ok - interop $kver: VM A's QEMU listens on 127.0.0.1:$port" >"$tmp/B.out"
	rc_b=1
fi
wait "${pids[0]}"; rc_a=$?
pids=()

failed=0
report() {
	local side=$1 what=$2 rc=$3
	echo "# --- interop $kver, VM $side ($what): exit status $rc ---"
	cat "$tmp/$side.out"
	sed 's/^/# /' "$tmp/$side.err" 2>/dev/null
	if grep -q '^not ok' "$tmp/$side.out"; then
		failed=1
	elif ((rc != 0)); then
		echo "not ok - interop $kver: VM $side exit status $rc"
		failed=1
	fi
}
report A "${how_a[*]##*/}" "$rc_a"
report B in-tree "$rc_b"
echo "# interop $kver: $((SECONDS - t0))s"
exit "$failed"
