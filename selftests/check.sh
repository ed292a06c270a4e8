#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check.sh - what `make check` runs: build the module for every supported
# kernel with W=1 (any warning fails), then boot one VM per kernel that runs
# the selftests (selftests/tests/*.sh) against it.
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
#   WG_KUNIT         0 = skip the KUnit run on the debug kernel
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
	cpio python3 tcpdump iputils-ping ethtool)
DEFAULT_SERIES="6.1 6.12"
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
	make -C "/lib/modules/$kver/build" M="$bdir" W=1 -j"$(nproc)" modules >"$log" 2>&1
	rc=$?
	warn=$(grep -iE 'warning:|error:' "$log")
	if ((rc == 0)) && [[ -z $warn && -e $bdir/$KO_REL ]]; then
		# Test a private copy: another check may rebuild this one meanwhile.
		mkdir -p "$TMP/$kver"
		cp "$bdir/$KO_REL" "$TMP/$kver/"
		module[$kver]=$TMP/$kver/${KO_REL##*/}
		exec 8>&-
		echo "ok - build for $kver (W=1, no warnings, $((SECONDS - t0))s)"
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

for kver in "${kernels[@]}"; do
	kpass[$kver]=0 kfail[$kver]=0
	((intree)) && continue
	echo "### build $kver"
	build "$kver"
done

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
	for kver in "${kernels[@]}"; do
		if ((intree)); then
			how=(--intree)
		elif [[ -n ${module[$kver]:-} ]]; then
			how=(--module "${module[$kver]}")
		else
			continue   # build failed, already counted
		fi
		echo "### tests on $kver (${how[*]##*/})"
		t0=$SECONDS
		selftests/vm/run.sh --kernel "$kver" "${how[@]}" \
			--timeout "${WG_VM_TIMEOUT:-1800}" --log "$LOGS/$kver-console.log" \
			"${envs[@]}" -- selftests/vm/run-all.sh "${tests[@]}" |
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

# --- (d) KUnit suites on the debug kernel (KASAN, lockdep, kmemleak) ---------
# Runs when selftests/vm/debug-kernel.sh has built and cached that kernel
# (once per machine, about half an hour); otherwise one skip says so.
# WG_KUNIT=0 skips it altogether.
kunit_run() {
	local dir copy=$REPO/build/kunit log=$LOGS/kunit.log t0=$SECONDS rc
	[[ ${WG_KUNIT:-1} == 0 ]] && return 0
	echo "### KUnit on the debug kernel"
	if ! dir=$(selftests/vm/debug-kernel.sh --check 2>/dev/null | tail -n 1); then
		echo "ok - kunit # SKIP no debug kernel cached (run selftests/vm/debug-kernel.sh once)" |
			tee "$log"
	else
		rm -rf "$copy" && mkdir -p "$copy" &&
			cp -r Kbuild drivers include "$copy"/ &&
			make -C "$dir/build" M="$copy" W=1 modules >"$LOGS/kunit-build.log" 2>&1
		if (($? != 0)) || grep -qE 'warning:|error:' "$LOGS/kunit-build.log"; then
			echo "not ok - kunit: build against the debug kernel" | tee "$log"
			grep -E 'warning:|error:' "$LOGS/kunit-build.log" | head -20 | sed 's/^/# /'
		else
			selftests/vm/run.sh --kernel-image "$dir/bzImage" \
				--module "$copy/drivers/net/wg/wireguard.ko" --timeout 900 \
				--log "$LOGS/kunit-console.log" -- selftests/vm/kunit.sh | tee "$log"
			rc=${PIPESTATUS[0]}
			grep -qE '^not ok( |$)' "$log" || ((rc == 0)) ||
				echo "not ok - kunit (run.sh exit status $rc)" | tee -a "$log"
		fi
	fi
	count "$log"
	echo "# KUnit took $((SECONDS - t0))s"
	summaries+=("kunit (debug kernel): $pass passed, $fail failed")
	total_pass=$((total_pass + pass)) total_fail=$((total_fail + fail))
}
((build_only || intree)) || kunit_run

for kver in "${kernels[@]}"; do
	summaries+=("$kver: ${kpass[$kver]} passed, ${kfail[$kver]} failed")
	total_pass=$((total_pass + kpass[$kver]))
	total_fail=$((total_fail + kfail[$kver]))
done
finish
