#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check.sh - what `make check` runs: build the module for every supported
# kernel with W=1 and sparse (any warning fails), run the allowedips trie's
# userspace checks (ASan, TSan), then boot one VM per kernel that runs
# the selftests (selftests/tests/*.sh) against it, our module against the
# in-tree driver in two VMs per kernel, and last, on a debug kernel (KASAN,
# lockdep, kmemleak; built once per machine by selftests/vm/debug-kernel.sh
# and cached, from Debian's 6.12 source), the KUnit suites and every
# selftest, the hostile-input tests (40-*) only there; the stock 6.12
# kernel then gets the build and the interop run only (WG_STOCK_ALL).
#
# usage: selftests/check.sh [--build-only] [--intree] [--no-apt]
#
#   --build-only  only build (what `make modules-all` runs)
#   --intree      skip the build, test the kernels' own wireguard instead
#                 (to check the tests themselves)
#   --no-apt      do not check/install the required Debian packages
#
# Environment:
#   WG_KERNELS       kernels to use, space/comma separated: a series ("6.1",
#                    "6.12": the newest installed of it) or an exact version.
#                    Default: "6.1 6.12".
#   WG_TESTS         test name prefixes/globs for run-all.sh ("10-config",
#                    "2*"); default all
#   WG_VM_TIMEOUT    seconds per VM (default 1800)
#   WG_TEST_TIMEOUT  seconds per test inside the VM (default 600)
#   WG_DEBUG         0 = no debug kernel: neither built nor run (the 40-*
#                    tests then run on the stock kernels)
#   WG_KUNIT         0 = skip the KUnit run on the debug kernel
#   WG_DEBUG_VM_TIMEOUT  seconds per debug-kernel VM (default 3600); its
#                    tests get WG_TEST_TIMEOUT or 1800 s each
#   WG_STOCK_ALL     1 = the whole suite on the stock 6.12 kernel too (by
#                    default, with the debug kernel, stock 6.12 gets the
#                    build and the interop run: the suite runs on the debug
#                    kernel, built from Debian's 6.12 source)
#   WG_INTEROP       0 = skip the interop run (two VMs per kernel: our
#                    module against the in-tree driver, selftests/interop/
#                    intree.sh; with --intree: in-tree on both sides)
#
# Output: build results and the tests' TAP lines, a summary per kernel and,
# as the very last line, "N passed, N failed".  Exit status 0 iff none failed.
# Logs: build/logs/KVER-{build,vm,console}.log.

set -uo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO" || exit 1

PACKAGES=(qemu-system-x86 linux-image-amd64 linux-headers-amd64
	linux-image-6.12-amd64 linux-headers-6.12-amd64 wireguard-tools
	wireguard-go iperf3 ncat iptables nftables iproute2 busybox-static kmod
	cpio python3 tcpdump iputils-ping ethtool procps sparse gcc make
	linux-source-6.12 bc bison flex libelf-dev libssl-dev dwarves
	dkms dh-dkms debhelper dpkg-dev lintian
	gcc-aarch64-linux-gnu gcc-arm-linux-gnueabihf gcc-mips-linux-gnu
	qemu-system-arm qemu-system-mips
	python3-yaml python3-jsonschema python3-pyroute2)
DEFAULT_SERIES="6.1 6.12"
DEBUG_SERIES=6.12	# what selftests/vm/debug-kernel.sh builds
KO_REL=drivers/net/wg/wireguard.ko

build_only=0 intree=0 apt=1
for arg; do
	case $arg in
	--build-only) build_only=1 ;;
	--intree) intree=1 ;;
	--no-apt) apt=0 ;;
	-h|--help) sed -n '/^# usage:/,/^# Logs:/p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "check.sh: unknown argument $arg" >&2; exit 2 ;;
	esac
done

LOGS=$REPO/build/logs
mkdir -p "$LOGS"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/wg-check.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

total_pass=0 total_fail=0
summaries=()

# Count the ok / not ok lines of a file into $pass / $fail.
count() {
	pass=$(grep -cE '^ok( |$)' "$1")
	fail=$(grep -cE '^not ok( |$)' "$1")
}

finish() {
	echo
	echo "## summary"
	((${#summaries[@]})) && printf '## %s\n' "${summaries[@]}"
	echo "$total_pass passed, $total_fail failed"
	((total_fail == 0))
	exit
}

# --- (a) packages ---------------------------------------------------------
ensure_packages() {
	local p missing=()
	for p in "${PACKAGES[@]}"; do
		dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^ii' ||
			missing+=("$p")
	done
	((${#missing[@]})) || return 0
	echo "# installing: ${missing[*]}"
	if ((EUID != 0)); then
		echo "# not root, cannot install packages"
		return 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	if ! { apt-get update && apt-get install -y "${missing[@]}"; } >"$LOGS/apt.log" 2>&1; then
		tail -n 20 "$LOGS/apt.log" | sed 's/^/# /'
		return 1
	fi
}

if ((apt)); then
	if ensure_packages; then
		echo "ok - required packages installed"
		total_pass=$((total_pass + 1))
	else
		echo "not ok - required packages installed"
		total_fail=$((total_fail + 1))
		finish
	fi
fi

# --- kernels --------------------------------------------------------------
# A usable kernel has its image in /boot and headers in /lib/modules/K/build.
usable() { [[ -r /boot/vmlinuz-$1 && -e /lib/modules/$1/build/Makefile ]]; }

kernels=()
for spec in ${WG_KERNELS:-$DEFAULT_SERIES}; do
	spec=${spec//,/ }
	for s in $spec; do
		if usable "$s"; then
			kernels+=("$s")
			continue
		fi
		# Newest stock amd64 kernel of the series ("6.1." does not match 6.12).
		k=$(for d in /lib/modules/"$s".*-amd64; do
			d=${d##*/}
			[[ $d == *-cloud-amd64 || $d == *-rt-amd64 ]] && continue
			usable "$d" && echo "$d"
		done | sort -V | tail -n 1)
		if [[ -n $k ]]; then
			kernels+=("$k")
		else
			echo "not ok - kernel $s installed (image and headers)"
			total_fail=$((total_fail + 1))
		fi
	done
done
echo "# kernels: ${kernels[*]:-none}"
((${#kernels[@]})) || finish

# --- the debug kernel (KASAN, lockdep, kmemleak): KUnit, whole suite (d) ---
# selftests/vm/debug-kernel.sh builds it once per machine and caches it
# (about half an hour on two cores).  If it is not cached, the build starts
# in the background right away (niced, so the stock-kernel VMs keep most of
# the CPU) and is waited for here.  VMs on it: the KUnit suites, then every
# selftest in two VMs side by side (debug_run); the stock kernels skip
# the hostile-input ones (WG_DEBUG=0: no debug kernel, the 40-* tests run
# on the stock kernels instead).  Any KASAN/lockdep/kmemleak/WARNING line fails a run.
debug_wanted() { ((!build_only && !intree)) && [[ ${WG_DEBUG:-1} != 0 ]]; }
debug_bg=
debug_start() {
	debug_wanted || return 0
	selftests/vm/debug-kernel.sh --check >/dev/null 2>&1 && return 0
	echo "# debug kernel not cached: building it in the background" \
		"(log: $LOGS/debug-kernel.log)"
	selftests/vm/debug-kernel.sh >"$LOGS/debug-kernel.out" 2>"$LOGS/debug-kernel.log" &
	debug_bg=$!
}

# debug_vm NAME LOG [RUN.SH OPTIONS...] -- SCRIPT [ARGS...]: one VM on the
# debug kernel, its TAP lines counted as NAME in the summary.
debug_vm() {
	debug_vm_start "$@"
	debug_vm_end
}

# debug_vm_start (same arguments): the VM in the background, its output in
# LOG only; debug_vm_end waits for the oldest one started, shows its log
# and counts it.  Several may run at once.
debug_vms=()
debug_vm_start() {
	local name=$1 log=$2
	shift 2
	echo "### $name: started"
	selftests/vm/run.sh --kernel-image "$ddir/bzImage" --module "$dmod" \
		--timeout "${WG_DEBUG_VM_TIMEOUT:-3600}" --log "${log%.log}-console.log" \
		--env "WG_TEST_TIMEOUT=${WG_TEST_TIMEOUT:-1800}" "$@" >"$log" 2>&1 &
	debug_vms+=("$!|$SECONDS|$name|$log")
}

debug_vm_end() {
	local pid t0 name log rc
	IFS='|' read -r pid t0 name log <<<"${debug_vms[0]}"
	debug_vms=("${debug_vms[@]:1}")
	wait "$pid"
	rc=$?
	echo "### $name"
	cat "$log"
	count "$log"
	if ((rc != 0 && fail == 0)); then
		echo "not ok - $name (run.sh exit status $rc)"
		fail=1
	fi
	echo "# $name took $((SECONDS - t0))s"
	summaries+=("$name: $pass passed, $fail failed")
	total_pass=$((total_pass + pass)) total_fail=$((total_fail + fail))
}

debug_run() {
	local copy=$REPO/build/debug t0=$SECONDS
	debug_wanted || return 0
	echo "### debug kernel"
	if [[ -n $debug_bg ]]; then
		echo "# waiting for the debug kernel build"
		wait "$debug_bg"
	fi
	if ! ddir=$(selftests/vm/debug-kernel.sh --check 2>/dev/null | tail -n 1); then
		echo "not ok - debug kernel built (selftests/vm/debug-kernel.sh)"
		tail -n 20 "$LOGS/debug-kernel.log" 2>/dev/null | sed 's/^/# /'
		summaries+=("debug kernel: 0 passed, 1 failed")
		total_fail=$((total_fail + 1))
		return
	fi
	[[ -n $debug_bg ]] &&
		echo "# debug kernel built in $(cat "$ddir/build-time" 2>/dev/null || echo ?)"
	# The KUnit suites are compiled in only against a kernel with KUnit.
	rm -rf "$copy" && mkdir -p "$copy" &&
		cp -r Kbuild drivers include "$copy"/ &&
		make -C "$ddir/build" M="$copy" W=1 modules >"$LOGS/debug-build.log" 2>&1
	if (($? != 0)) || grep -qE 'warning:|error:' "$LOGS/debug-build.log"; then
		echo "not ok - build against the debug kernel"
		grep -E 'warning:|error:' "$LOGS/debug-build.log" | head -20 | sed 's/^/# /'
		summaries+=("debug kernel: 0 passed, 1 failed")
		total_fail=$((total_fail + 1))
		return
	fi
	dmod=$copy/drivers/net/wg/wireguard.ko
	[[ ${WG_KUNIT:-1} == 0 ]] ||
		debug_vm "kunit (debug kernel)" "$LOGS/kunit.log" -- selftests/vm/kunit.sh
	# The suites ran above: not again at every load of the module here.
	# Two VMs side by side, each with its own time limit: the selftests,
	# and the hostile-input ones (the churn test's 1000 peers added and
	# removed two ways of four there: WG_CHURN_ROUNDS) with the YNL ones
	# (50-*), which makes the two about as long.  Both keep a CPU busy
	# most of the time; side by side they mostly gain each other's
	# waits on protocol timers.
	if ((${#tests[@]})); then
		debug_vm "selftests (debug kernel)" "$LOGS/debug-vm.log" \
			--append kunit.enable=0 -- selftests/vm/run-all.sh "${tests[@]}"
	else
		debug_vm_start "selftests (debug kernel)" "$LOGS/debug-vm.log" \
			--append kunit.enable=0 -- selftests/vm/run-all.sh '!40-' '!50-'
		debug_vm_start "hostile input and YNL (debug kernel)" "$LOGS/debug-hostile.log" \
			--append kunit.enable=0 \
			--env "WG_CHURN_ROUNDS=${WG_CHURN_ROUNDS:-2}" \
			-- selftests/vm/run-all.sh 40- 50-
		debug_vm_end
		debug_vm_end
	fi
	echo "# debug kernel steps took $((SECONDS - t0))s"
}
debug_start

# --- (b) builds -----------------------------------------------------------
# Mirror the module's sources into build/KVER (only files that changed, so
# that kbuild rebuilds incrementally; stale ones removed).
sync_sources() {
	local dst=$1 f
	local -A want=()
	while IFS= read -r -d '' f; do
		want[$f]=1
		if ! cmp -s "$f" "$dst/$f"; then
			mkdir -p "$dst/$(dirname "$f")"
			cp "$f" "$dst/$f"
		fi
	done < <(find Kbuild drivers include -type f \
		\( -name '*.[chS]' -o -name Kbuild -o -name 'Makefile*' -o -name '*.lds' \) \
		! -name '*.mod.c' ! -name '.*' -print0 2>/dev/null)
	while IFS= read -r -d '' f; do
		[[ -n ${want[${f#"$dst"/}]:-} ]] || rm -f "$f"
	done < <(find "$dst" -type f \
		\( -name '*.[chS]' -o -name Kbuild -o -name 'Makefile*' -o -name '*.lds' \) \
		! -name '*.mod.c' ! -name '.*' -print0)
}

declare -A module=() kpass=() kfail=()
# Build for $1; prints a TAP line and counts it in kpass/kfail.
build() {
	local kver=$1 bdir=$REPO/build/$1 log=$LOGS/$1-build.log rc warn t0=$SECONDS
	mkdir -p "$bdir"
	# Serialise with a concurrent `make check` in the same checkout.
	exec 8>"$REPO/build/.$kver.lock"
	flock 8
	sync_sources "$bdir"
	make -C "/lib/modules/$kver/build" M="$bdir" W=1 C=1 -j"$(nproc)" modules >"$log" 2>&1
	rc=$?
	warn=$(grep -iE 'warning:|error:' "$log")
	if ((rc == 0)) && [[ -z $warn && -e $bdir/$KO_REL ]]; then
		# Test a private copy: another check may rebuild this one meanwhile.
		mkdir -p "$TMP/$kver"
		cp "$bdir/$KO_REL" "$TMP/$kver/"
		module[$kver]=$TMP/$kver/${KO_REL##*/}
		exec 8>&-
		echo "ok - build for $kver (W=1, sparse, no warnings, $((SECONDS - t0))s)"
		kpass[$kver]=$((kpass[$kver] + 1))
		return 0
	fi
	# Objects that compiled with warnings would not be rebuilt (and the
	# warnings not shown) next time: start from scratch then.
	make -C "/lib/modules/$kver/build" M="$bdir" clean >/dev/null 2>&1
	exec 8>&-
	if ((rc != 0)); then
		echo "not ok - build for $kver (exit status $rc)"
	elif [[ -n $warn ]]; then
		echo "not ok - build for $kver (warnings)"
	else
		echo "not ok - build for $kver (no $KO_REL)"
	fi
	if [[ -n $warn ]]; then echo "$warn"; else tail -n 30 "$log"; fi |
		head -n 60 | sed 's/^/# /'
	echo "# full log: $log"
	kfail[$kver]=$((kfail[$kver] + 1))
	return 1
}

# The generated netlink policies are what the YNL spec says (this also
# sets up the YNL tools' cache the VMs' tests use: selftests/tools/ynl.sh).
if ((!intree)); then
	if out=$(selftests/tools/ynl.sh check 2>&1); then
		echo "ok - drivers/net/wg/netlink-gen.[ch] are current (YNL spec)"
		total_pass=$((total_pass + 1))
	else
		echo "not ok - drivers/net/wg/netlink-gen.[ch] are current (YNL spec)"
		head -n 40 <<<"$out" | sed 's/^/# /'
		total_fail=$((total_fail + 1))
	fi
fi

for kver in "${kernels[@]}"; do
	kpass[$kver]=0 kfail[$kver]=0
	((intree)) && continue
	echo "### build $kver"
	build "$kver"
done

# --- the trie in userspace (native: ASan/UBSan, TSan) -----------------------
# drivers/net/wg/tests/userspace builds allowedips.c against a small kernel
# shim: the KUnit suite wg_allowedips, 10^6 random lookups against a model,
# writers racing RCU readers (ASan, then TSan), a 100k-peer table.  A minute
# of this machine's CPU, no VM.
userspace() {
	local log=$LOGS/userspace.log t0=$SECONDS name="allowedips in userspace"
	echo "### $name"
	if make -C drivers/net/wg/tests/userspace clean check >"$log" 2>&1; then
		echo "ok - $name (KUnit suite, fuzz, concurrent readers; ASan, UBSan, TSan; $((SECONDS - t0))s)"
		summaries+=("$name: 1 passed, 0 failed")
		total_pass=$((total_pass + 1))
	else
		echo "not ok - $name"
		tail -n 30 "$log" | sed 's/^/# /'
		echo "# full log: $log"
		summaries+=("$name: 0 passed, 1 failed")
		total_fail=$((total_fail + 1))
	fi
}
((build_only || intree)) || userspace

# --- routers: versions, DKMS, the Debian package, other architectures -------
# (issue 11; full runs only).  On the host: the version strings agree and
# compare newer than the in-tree module's; `make deb` and lintian.  Then,
# in the background while the stock kernels' VMs run: DKMS as the README
# says (selftests/pkg/dkms.sh: installed on the host in a private mount
# namespace, for the first kernel and by autoinstall for the second, then
# booted in a VM on the first), the package installed in a VM on the last
# kernel (selftests/pkg/deb.sh); their output shows after those runs.
# Last, after the debug kernel: the module built with W=1 for arm64, armhf
# and big-endian mips against Debian's 6.12 source cross-configured, and
# the KUnit suites on mips (big-endian) and armhf kernels under QEMU
# (selftests/cross/).  Those kernels are cached in /var/cache/wg-cross;
# when they are not, routers_start builds them in the background (niced,
# after the debug kernel's build, one at a time) while the VMs run.
# Counted under "routers", "cross builds" and "kunit (ARCH)".
# WG_PKG=0 leaves out the versions, package and DKMS steps, WG_CROSS=0 the
# other architectures, WG_CROSS_KUNIT=0 just their KUnit boots; a run
# narrowed with WG_TESTS leaves them all out unless WG_PKG=1 / WG_CROSS=1.
CROSS_ARCHES=(arm64 armhf mips)
CROSS_KUNIT_ARCHES=(mips armhf)
PKG_VM_TIMEOUT=${WG_PKG_VM_TIMEOUT:-2400}
routers_pass=0 routers_fail=0
# routers_wanted SETTING: the steps SETTING (0/1/unset) is about are wanted.
routers_wanted() {
	((!build_only && !intree)) || return 1
	case ${1:-} in
	0) return 1 ;;
	1) return 0 ;;
	esac
	[[ -z ${WG_TESTS:-} ]]
}
pkg_wanted() { routers_wanted "${WG_PKG:-}"; }
cross_wanted() { routers_wanted "${WG_CROSS:-}"; }

# routers_tap FILE: count FILE's ok / not ok lines under "routers".
routers_tap() {
	count "$1"
	routers_pass=$((routers_pass + pass)) routers_fail=$((routers_fail + fail))
}
routers_ok() { echo "ok - $*"; routers_pass=$((routers_pass + 1)); }
routers_notok() { echo "not ok - $*"; routers_fail=$((routers_fail + 1)); }

# The module's version, dkms.conf's and the package's agree, and compare
# newer than each kernel's own wireguard (DKMS installs only over an older one).
pkg_versions() {
	local v d c k iv bad=''
	v=$(sed -n 's/^#define WG_VERSION "\(.*\)"/\1/p' drivers/net/wg/version.h)
	d=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms.conf)
	c=$(dpkg-parsechangelog -l debian/changelog -S Version 2>/dev/null)
	[[ -n $v && $v == "$d" && $v == "$c" ]] ||
		bad="version.h '$v', dkms.conf '$d', debian/changelog '$c'"
	for k in "${kernels[@]}"; do
		iv=$(modinfo -k "$k" -F version wireguard 2>/dev/null | head -n 1)
		[[ -n $iv ]] && ! dpkg --compare-versions "$v" gt "$iv" &&
			bad+="${bad:+; }not newer than $k's in-tree $iv"
	done
	if [[ -z $bad ]]; then
		routers_ok "version $v: version.h, dkms.conf and debian/changelog agree; newer than the in-tree module's"
	else
		routers_notok "module, DKMS and package versions ($bad)"
	fi
}

# make deb, then lintian (errors fail; warnings are listed).
pkg_deb() {
	local log=$LOGS/deb.log t0=$SECONDS w
	deb_file=
	if make --no-print-directory deb >"$log" 2>&1; then
		deb_file=$(ls "$REPO"/build/deb/wireguard-oot-dkms_*_all.deb 2>/dev/null | tail -n 1)
	fi
	if [[ -n $deb_file ]]; then
		w=$(lintian "$deb_file" 2>/dev/null | grep -c '^W: ')
		routers_ok "make deb: ${deb_file##*/}, lintian: no errors, $w warnings ($((SECONDS - t0))s)"
		lintian "$deb_file" 2>/dev/null | grep '^[WI]: ' | sed 's/^/# /'
	else
		routers_notok "make deb (dpkg-buildpackage, lintian without errors)"
		tail -n 30 "$log" | sed 's/^/# /'
		echo "# full log: $log"
	fi
}

# cross_build ARCH: the module with W=1 against the cross tree; modpost
# cannot check symbols there (no vmlinux), its notes about that are dropped.
cross_build() {
	local arch=$1 copy=$REPO/build/cross/$1 log=$LOGS/cross-$1-build.log t0=$SECONDS
	local kdir env warn rc
	if ! kdir=$(selftests/cross/kernel.sh "$arch" modules 2>"$LOGS/cross-$arch-kernel.log" |
		tail -n 1) || [[ ! -e $kdir/env ]]; then
		routers_notok "build for $arch: kernel tree (selftests/cross/kernel.sh $arch modules)"
		tail -n 20 "$LOGS/cross-$arch-kernel.log" | sed 's/^/# /'
		return
	fi
	read -ra env <"$kdir/env"
	mkdir -p "$copy"
	exec 8>"$copy.lock"
	flock 8
	sync_sources "$copy"
	make -C "$kdir/build" "${env[@]}" M="$copy" W=1 KBUILD_MODPOST_WARN=1 \
		-j"$(nproc)" modules >"$log" 2>&1
	rc=$?
	# ...but 64-bit divisions by libgcc's helpers, which no kernel exports
	# (div_u64() and friends are the way), are caught here.
	warn=$( { grep -iE 'warning:|error:' "$log" |
		grep -vE '^WARNING: Module\.symvers is missing\.$|^WARNING: modpost: "[^"]+" \[[^]]+\] undefined!$|^WARNING: modpost: suppressed [0-9]+ unresolved symbol warnings because there were too many\)$'
		[[ -e $copy/$KO_REL ]] &&
			"${env[1]#CROSS_COMPILE=}nm" -u "$copy/$KO_REL" |
			grep -E ' (__(u?div|u?mod)di3|__u?divmoddi4|__aeabi_u?ldivmod)$' |
			sed 's/^ *U /error: 64-bit division by libgcc, undefined in the kernel: /'; })
	if ((rc == 0)) && [[ -z $warn && -e $copy/$KO_REL ]]; then
		routers_ok "build for $arch (${env[*]}, $(cat "$kdir/defconfig" 2>/dev/null || echo defconfig)+, W=1, no warnings, $((SECONDS - t0))s)"
	else
		make -C "$kdir/build" "${env[@]}" M="$copy" clean >/dev/null 2>&1
		routers_notok "build for $arch (W=1: exit status $rc, $(grep -c . <<<"$warn") warnings)"
		if [[ -n $warn ]]; then echo "$warn"; else tail -n 30 "$log"; fi |
			head -n 60 | sed 's/^/# /'
		echo "# full log: $log"
	fi
	exec 8>&-
}

routers_host() {
	pkg_wanted || return 0
	echo "### routers: versions and the Debian package"
	pkg_versions
	pkg_deb
}

# The cross kernels, cold: built in the background (see above).
routers_bg=
routers_start() {
	local arch
	local need=0
	cross_wanted || return 0
	for arch in "${CROSS_ARCHES[@]}"; do
		selftests/cross/kernel.sh --check "$arch" modules >/dev/null || need=1
	done
	if [[ ${WG_CROSS_KUNIT:-1} != 0 ]]; then
		for arch in "${CROSS_KUNIT_ARCHES[@]}"; do
			selftests/cross/kernel.sh --check "$arch" kunit >/dev/null || need=1
		done
	fi
	((need)) || return 0
	echo "# cross kernels: preparing them in the background (log: $LOGS/cross-prepare.log)"
	(
		while [[ -n $debug_bg ]] && kill -0 "$debug_bg" 2>/dev/null; do sleep 10; done
		for arch in "${CROSS_ARCHES[@]}"; do
			selftests/cross/kernel.sh "$arch" modules
		done
		[[ ${WG_CROSS_KUNIT:-1} == 0 ]] && exit 0
		for arch in "${CROSS_KUNIT_ARCHES[@]}"; do
			selftests/cross/kernel.sh "$arch" kunit "$REPO" "$TMP/cross-$arch-image"
		done
	) >"$LOGS/cross-prepare.log" 2>&1 &
	routers_bg=$!
}

# The DKMS and package steps run in the background, niced, from right after
# the package is built: they take what CPU the stock kernels' VMs leave
# (whose tests wait on protocol timers much of the time), and those keep
# their pace.  routers_vms waits for them before the debug kernel's VMs,
# which want both CPUs, and shows and counts their output.
# routers_bg_step NAME CMD...: one step, its output in $LOGS/NAME.log (and
# .err), its exit status and seconds in $LOGS/NAME.rc.
routers_bg_step() {
	local name=$1 t0=$SECONDS
	shift
	nice -n 10 "$@" >"$LOGS/$name.log" 2>"$LOGS/$name.err"
	echo "$? $((SECONDS - t0))" >"$LOGS/$name.rc"
}
routers_vms_bg=
routers_vms_start() {
	local n=${#kernels[@]}
	pkg_wanted || return 0
	rm -f "$LOGS"/{dkms,deb-vm}.{log,err,rc}
	(
		routers_bg_step dkms selftests/pkg/dkms.sh --timeout "$PKG_VM_TIMEOUT" \
			--log "$LOGS/dkms-console.log" "${kernels[0]}" "${kernels[n - 1]}"
		[[ -n ${deb_file:-} ]] &&
			routers_bg_step deb-vm selftests/vm/run.sh --kernel "${kernels[n - 1]}" \
				--none --timeout "$PKG_VM_TIMEOUT" --log "$LOGS/deb-vm-console.log" \
				-- selftests/pkg/deb.sh "${deb_file#"$REPO/"}"
	) </dev/null &
	routers_vms_bg=$!
}
# routers_bg_show NAME TITLE: a background step's output, counted.
routers_bg_show() {
	local rc secs
	echo "### $2"
	cat "$LOGS/$1.log" "$LOGS/$1.err" 2>/dev/null
	{ read -r rc secs <"$LOGS/$1.rc"; } 2>/dev/null || rc=missing
	routers_tap "$LOGS/$1.log"
	[[ $rc != 0 ]] && ((fail == 0)) && routers_notok "$2 (exit status $rc)"
	echo "# $2 took ${secs:-?}s (in the background)"
}
routers_vms() {
	local n=${#kernels[@]} t0=$SECONDS
	pkg_wanted || return 0
	wait "$routers_vms_bg"
	echo "# waited $((SECONDS - t0))s for the DKMS and package steps"
	routers_bg_show dkms "DKMS: make dkms-install on the host (sandboxed), boot ${kernels[0]}"
	[[ -n ${deb_file:-} ]] &&
		routers_bg_show deb-vm "the package in a VM on ${kernels[n - 1]}"
	summaries+=("routers (versions, package, DKMS): $routers_pass passed, $routers_fail failed")
	total_pass=$((total_pass + routers_pass)) total_fail=$((total_fail + routers_fail))
}

routers_cross() {
	local arch log t0 rc
	cross_wanted || return 0
	if [[ -n $routers_bg ]]; then
		echo "# waiting for the cross kernels (background)"
		wait "$routers_bg"
	fi
	echo "### cross builds"
	routers_pass=0 routers_fail=0
	for arch in "${CROSS_ARCHES[@]}"; do
		cross_build "$arch"
	done
	summaries+=("cross builds (${CROSS_ARCHES[*]}, W=1): $routers_pass passed, $routers_fail failed")
	total_pass=$((total_pass + routers_pass)) total_fail=$((total_fail + routers_fail))
	[[ ${WG_CROSS_KUNIT:-1} != 0 ]] || return 0
	for arch in "${CROSS_KUNIT_ARCHES[@]}"; do
		echo "### kunit ($arch)"
		log=$LOGS/kunit-$arch.log t0=$SECONDS
		selftests/cross/kunit.sh --log "$LOGS/kunit-$arch-console.log" "$arch" | tee "$log"
		rc=${PIPESTATUS[0]}
		count "$log"
		((rc != 0 && fail == 0)) && { echo "not ok - kunit ($arch, exit status $rc)"; fail=1; }
		echo "# kunit ($arch) took $((SECONDS - t0))s"
		summaries+=("kunit ($arch$([[ $arch == mips ]] && echo ", big-endian"), QEMU): $pass passed, $fail failed")
		total_pass=$((total_pass + pass)) total_fail=$((total_fail + fail))
	done
}
routers_start
routers_host
routers_vms_start

# --- interop: our module in one VM, the in-tree driver in another (after (c)) --
# interop KVER MODULE|intree: run selftests/interop/intree.sh, counted into
# kpass/kfail like the single-VM run.  WG_INTEROP=0 skips it.
interop() {
	local kver=$1 log=$LOGS/$1-interop.log t0=$SECONDS rc
	[[ ${WG_INTEROP:-1} == 0 ]] && return 0
	echo "### interop on $kver (${2##*/} <-> in-tree)"
	selftests/interop/intree.sh --module "$2" --log-dir "$LOGS" "$kver" |
		tee "$log"
	rc=${PIPESTATUS[0]}
	count "$log"
	if ((rc != 0 && fail == 0)); then
		echo "not ok - interop on $kver (exit status $rc)"
		fail=1
	fi
	echo "# $kver: interop took $((SECONDS - t0))s"
	kpass[$kver]=$((kpass[$kver] + pass)) kfail[$kver]=$((kfail[$kver] + fail))
}

# --- (c) one VM per kernel ------------------------------------------------
if ((!build_only)); then
	tests=()
	[[ -n ${WG_TESTS:-} ]] && read -ra tests <<<"${WG_TESTS//,/ }"
	envs=()
	[[ -n ${WG_TEST_TIMEOUT:-} ]] && envs+=(--env "WG_TEST_TIMEOUT=$WG_TEST_TIMEOUT")
	stock_tests=("${tests[@]}")
	((${#tests[@]} == 0)) && debug_wanted && stock_tests=('!40-')
	for kver in "${kernels[@]}"; do
		if ((intree)); then
			how=(--intree)
		elif [[ -n ${module[$kver]:-} ]]; then
			how=(--module "${module[$kver]}")
		else
			continue   # build failed, already counted
		fi
		if ((${#tests[@]} == 0)) && debug_wanted &&
			[[ ${WG_STOCK_ALL:-0} == 0 && $kver == "$DEBUG_SERIES".* ]]; then
			echo "### tests on $kver: the whole suite runs on the debug" \
				"kernel (Debian's $DEBUG_SERIES source), the interop here"
			interop "$kver" "${module[$kver]}"
			continue
		fi
		echo "### tests on $kver (${how[*]##*/})"
		t0=$SECONDS
		selftests/vm/run.sh --kernel "$kver" "${how[@]}" \
			--timeout "${WG_VM_TIMEOUT:-1800}" --log "$LOGS/$kver-console.log" \
			"${envs[@]}" -- selftests/vm/run-all.sh "${stock_tests[@]}" |
			tee "$LOGS/$kver-vm.log"
		rc=${PIPESTATUS[0]}
		count "$LOGS/$kver-vm.log"
		if ((rc != 0 && fail == 0)); then
			echo "not ok - tests on $kver (run.sh exit status $rc)"
			fail=1
		fi
		echo "# $kver: VM run took $((SECONDS - t0))s"
		kpass[$kver]=$((kpass[$kver] + pass)) kfail[$kver]=$((kfail[$kver] + fail))
		interop "$kver" "$( ((intree)) && echo intree || echo "${module[$kver]}")"
	done
fi

# --- routers: the VM and QEMU steps (functions above) ----------------------
routers_vms

# --- (d) the debug kernel: functions above, before the builds ----------
((build_only || intree)) || debug_run
routers_cross

for kver in "${kernels[@]}"; do
	summaries+=("$kver: ${kpass[$kver]} passed, ${kfail[$kver]} failed")
	total_pass=$((total_pass + kpass[$kver]))
	total_fail=$((total_fail + kfail[$kver]))
done
finish
