#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Stage 2 of a test VM, run as PID 1 right after switch_root (see
# initramfs.sh and run.sh).  The root is the host's, read-only over 9p, with
# tmpfs on /run, /tmp and /root; the repository is at /run/repo and run.sh's
# per-run directory (the file "cmd" describing what to do) at /run/wgvm.
#
# Stage 1 has already set up /dev (incl. /dev/fd, devpts, /dev/shm), /proc,
# /sys, debugfs and lo.  This loads the module under test, runs the
# test script, checks the kernel log, prints the exit marker run.sh waits for
# and powers off.  Never exits: PID 1 exiting would panic the kernel.

export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=dumb LANG=C.UTF-8 TMPDIR=/tmp

# Kernel log lines that fail a run even when the test script passed.  Not
# bare "kmemleak"/"lockdep": a debug kernel says "kmemleak: Kernel memory
# leak detector initialized" and "RCU lockdep checking is enabled" at boot;
# lockdep's own reports start with WARNING:, BUG: or INFO:.
BAD_KLOG='WARNING:|BUG:|KASAN|UBSAN|Oops|general protection|kmemleak: ([0-9]+ new suspected|Memory pool empty|Kernel memory leak detector disabled)|INFO: |ODEBUG:|possible circular|suspicious RCU'
export WG_BAD_KLOG=$BAD_KLOG   # run-all.sh names the test that caused them

poweroff_now() {
	# Let the serial port send what is queued first: stty's tcsetattr
	# (TCSADRAIN) waits for the transmitter to empty.
	stty -F /dev/console -echo 2>/dev/null
	echo o >/proc/sysrq-trigger
	while :; do sleep 60; done
}

# shellcheck source=/dev/null # written by run.sh
if ! source /run/wgvm/cmd; then
	echo "guest: cannot read /run/wgvm/cmd"
	poweroff_now
fi
for kv in "${WGVM_ENV[@]}"; do export "${kv?}"; done

export WG_REPO=/run/repo WG_VM=1 KVER
read -r KVER </proc/sys/kernel/osrelease
export WG_SCRATCH=/tmp/scratch
mkdir -p "$WG_SCRATCH"
cd "$WG_REPO" || poweroff_now

echo "WGVM-BEGIN-$WGVM_NONCE"
read -r uptime _ </proc/uptime
echo "# $KVER up ${uptime}s"

# --- load the module under test -------------------------------------------
status=0
case $WGVM_MODE in
module)
	# shellcheck disable=SC2153 # set by /run/wgvm/cmd
	export WG_MODULE=$WGVM_MODULE WG_INTREE=0
	deps=$(modinfo -F depends "$WG_MODULE")
	for d in ${deps//,/ }; do
		modprobe "$d" || { echo "# modprobe $d failed"; status=1; }
	done
	if ((status == 0)) && ! insmod "$WG_MODULE"; then
		status=1
	fi
	if ((status)); then
		echo "not ok - load $WG_MODULE"
	else
		echo "# loaded $WG_MODULE (depends: ${deps:-none})"
		# Once ours is loaded, an autoload of "wireguard" (e.g. after a
		# test rmmod-s it and adds a link) must load ours again, never the
		# in-tree driver of the same name.  kmod reads /run/modprobe.d.
		mkdir -p /run/modprobe.d
		{
			printf 'install wireguard'
			for d in ${deps//,/ }; do printf ' /sbin/modprobe %s &&' "$d"; done
			printf ' /sbin/insmod %s\n' "$WG_MODULE"
		} >/run/modprobe.d/wg-vm.conf
	fi
	;;
intree)
	export WG_MODULE=intree WG_INTREE=1
	if modprobe wireguard; then
		echo "# loaded in-tree wireguard ($(modinfo -F filename wireguard))"
	else
		echo "not ok - modprobe wireguard"
		status=1
	fi
	;;
*)
	export WG_MODULE=none
	;;
esac

# --- run the test script --------------------------------------------------
if ((status == 0)); then
	timeout -k 10 "$WGVM_TIMEOUT" bash "$WGVM_SCRIPT" "${WGVM_ARGS[@]}" </dev/null 2>&1
	status=$?
	if ((status == 124 || status == 137)); then
		echo "not ok - $WGVM_SCRIPT timed out after ${WGVM_TIMEOUT}s"
		echo "# last kernel messages:"
		dmesg | tail -n 40 | sed 's/^/# /'
	fi
fi

# --- kernel log check -----------------------------------------------------
if [[ -w /sys/kernel/debug/kmemleak ]]; then
	# Objects must be older than ~5 s and seen by two scans to be reported.
	echo scan >/sys/kernel/debug/kmemleak
	sleep 6
	echo scan >/sys/kernel/debug/kmemleak
	leaks=$(cat /sys/kernel/debug/kmemleak)
	[[ -n $leaks ]] && echo "$leaks" | head -n 60 | sed 's/^/# kmemleak: /'
fi
bad=$(dmesg | grep -E "$BAD_KLOG")
if [[ -n $bad ]]; then
	echo "not ok - kernel log clean"
	mapfile -t lines <<<"$bad"
	printf '# %s\n' "${lines[@]}"
	# Show the context of the first report, which usually has the trace.
	first=$(dmesg | grep -nE "$BAD_KLOG" | head -n 1 | cut -d: -f1)
	echo "# --- dmesg from the first report ---"
	dmesg | tail -n +"$first" | head -n 80 | sed 's/^/# /'
	((status == 0)) && status=1
else
	echo "ok - kernel log clean"
fi

echo "WGVM-EXIT-$WGVM_NONCE $status"
poweroff_now
