#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# debug-kernel.sh - build (once) and cache a debug kernel for the VM harness.
#
# usage: debug-kernel.sh [--jobs N] [--key | --check | --prune]
#
#   (no option)  print the cache directory, building it first if needed
#   --jobs N     make -jN for the build (default 3; it runs under nice -n 10)
#   --key        print the cache key and exit
#   --check      print the cache directory and exit 0 if it is complete,
#                exit 1 (printing nothing) if not; never builds
#   --prune      delete the cache directories of other keys (old configs)
#
# The kernel is Debian's linux-source-6.12 configured with `make allnoconfig`
# plus selftests/vm/debug.config (KUnit, KASAN, lockdep, kmemleak, ...;
# everything built in but the in-tree WireGuard, =m).  The cache directory,
# ${WG_DEBUG_KERNEL_CACHE:-/var/cache/wg-debug-kernel}/KEY/, holds:
#   bzImage   the kernel, for run.sh --kernel-image
#   kver      its release string (run.sh --kver), e.g. 6.12.117-wgdebug
#   config    its .config
#   build/    the kernel tree after `make modules_prepare`, to build
#             out-of-tree modules: make -C DIR/build M=... modules
#   modroot/  INSTALL_MOD_PATH of modules_install: modroot/lib/modules/KVER
#             (run.sh binds it over /lib/modules in the guest)
#   build.log, build-time, complete (written last)
# KEY is the first 16 hex digits of the sha256 of debug.config, the
# linux-source package version, the compiler version and the build recipe
# (the functions below, without comments).  A complete cache is reported in
# well under a second; concurrent callers serialise on a lock and the second
# one reuses the first one's build.  An interrupted build resumes.  A new
# key starts from a copy of the newest complete tree of the same source
# (kbuild then rebuilds only what the config change touches: minutes, not
# half an hour); WG_DEBUG_KERNEL_FRESH=1 unpacks the source instead.
#
# Output: progress on stderr; the cache directory is the last line of stdout:
#   dir=$(selftests/vm/debug-kernel.sh | tail -n 1)
# Exit status: 0 on success, 1 on failure (the end of build.log on stderr),
# 2 on usage errors.

set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
FRAG=$HERE/debug.config
PKG=linux-source-6.12
TARBALL=/usr/src/$PKG.tar.xz
CACHE_ROOT=${WG_DEBUG_KERNEL_CACHE:-/var/cache/wg-debug-kernel}

usage() {
	sed -n '/^# usage:/,/^# Exit status/p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
	exit 2
}
log() { echo "debug-kernel.sh: $*" >&2; }
die() { log "$*"; exit 1; }

jobs=3 action=build
while [[ $# -gt 0 ]]; do
	case $1 in
	--jobs) jobs=${2:?}; shift 2 ;;
	--key) action=key; shift ;;
	--check) action=check; shift ;;
	--prune) action=prune; shift ;;
	-h|--help) usage ;;
	*) log "unknown option $1"; usage ;;
	esac
done
[[ $jobs =~ ^[1-9][0-9]*$ ]] || usage

# --- the build recipe (its text is part of the key) ------------------------

# Unpack the source into $dir/build (all of it: the in-tree WireGuard must
# stay buildable, to compare against).
# (Steps run in a condition context, where set -e does not apply: chain.)
unpack_kernel() {
	rm -rf "$dir/build" "$dir"/.done-* &&
	mkdir -p "$dir/build" &&
	tar -xf "$TARBALL" -C "$dir/build" --strip-components=1
}

# allnoconfig with the fragment, then check that every line of it held and
# that what our out-of-tree module links against is built in.
configure_kernel() {
	local line bad=0 sym
	cp "$FRAG" "$dir/debug.config" &&
	make -C "$dir/build" -s KCONFIG_ALLCONFIG="$dir/debug.config" allnoconfig &&
	make -C "$dir/build" -s olddefconfig || return 1
	while IFS= read -r line; do
		case $line in
		CONFIG_*=*)
			sym=${line%%=*}
			grep -qxF -- "$line" "$dir/build/.config" ;;
		"# CONFIG_"*" is not set")
			sym=${line#\# }; sym=${sym%% *}
			! grep -q "^$sym=" "$dir/build/.config" ;;
		*) continue ;;
		esac || {
			# shellcheck disable=SC1087 # $sym is no array
			log "config: wanted '$line', got '$(grep -E "^(# )?$sym[= ]" "$dir/build/.config" || echo "(absent)")'"
			bad=1
		}
	done <"$dir/debug.config"
	for sym in NET_UDP_TUNNEL DST_CACHE GRO_CELLS CRYPTO_LIB_CURVE25519 \
		   CRYPTO_LIB_CHACHA20POLY1305 CRYPTO_LIB_UTILS; do
		grep -qx "CONFIG_$sym=y" "$dir/build/.config" ||
			{ log "config: CONFIG_$sym is not built in"; bad=1; }
	done
	grep -qx CONFIG_WIREGUARD=m "$dir/build/.config" ||
		{ log "config: CONFIG_WIREGUARD is not =m"; bad=1; }
	return $bad
}

build_kernel() {
	nice -n 10 make -C "$dir/build" -j"$jobs" bzImage modules &&
	nice -n 10 make -C "$dir/build" -j"$jobs" modules_prepare &&
	rm -rf "$dir/modroot" &&
	make -C "$dir/build" INSTALL_MOD_PATH="$dir/modroot" DEPMOD=/sbin/depmod modules_install &&
	make -C "$dir/build" -s kernelrelease >"$dir/kver" &&
	cp "$dir/build/arch/x86/boot/bzImage" "$dir/bzImage" &&
	cp "$dir/build/.config" "$dir/config" &&
	[[ -e $dir/modroot/lib/modules/$(cat "$dir/kver")/modules.dep ]]
}

# --- key --------------------------------------------------------------------
[[ -r $FRAG ]] || die "no $FRAG"
pkgver=$(dpkg-query -W -f='${Version}' "$PKG" 2>/dev/null || true)
key=$({
	cat "$FRAG"
	echo "$PKG $pkgver"
	gcc --version 2>/dev/null | head -n 1
	declare -f unpack_kernel configure_kernel build_kernel
} | sha256sum | cut -c1-16)
dir=$CACHE_ROOT/$key

case $action in
key) echo "$key"; exit 0 ;;
check)
	[[ -e $dir/complete ]] || exit 1
	echo "$dir"; exit 0 ;;
prune)
	for d in "$CACHE_ROOT"/*/; do
		d=${d%/}
		[[ -d $d && $d != "$dir" ]] || continue
		exec 8>"$d.lock"
		if flock -n 8; then
			log "removing $d"
			rm -rf "$d" "$d.lock"
		else
			log "skipping $d (being built)"
		fi
		exec 8>&-
	done
	exit 0 ;;
esac

# Fast path: nothing to do.
if [[ -e $dir/complete ]]; then
	echo "$dir"
	exit 0
fi

# --- build --------------------------------------------------------------------

# Start from the newest complete tree of the same source, if any (not part
# of the key: kbuild's own dependency tracking makes it equivalent).
seed_kernel() {
	local d src=''
	# shellcheck disable=SC2045 # hex names; ls -t gives the newest first
	for d in $(ls -dt "$CACHE_ROOT"/*/complete 2>/dev/null); do
		d=${d%/complete}
		if [[ $d != "$dir" && -d $d/build &&
		      $(cat "$d/source" 2>/dev/null) == "$PKG $pkgver" ]]; then
			src=$d
			break
		fi
	done
	[[ -n $src ]] || return 1
	log "seeding from $src"
	# Shared lock: --prune (exclusive, non-blocking) leaves it alone.
	exec 8>"$src.lock"
	flock -s 8 || return 1
	rm -rf "$dir/build" "$dir"/.done-* &&
	cp -a --reflink=auto "$src/build" "$dir/build"
	local rc=$?
	exec 8>&-
	return $rc
}
mkdir -p "$CACHE_ROOT"
exec 9>"$dir.lock"
if ! flock -n 9; then
	log "waiting for another build of $dir"
	flock 9
fi
if [[ -e $dir/complete ]]; then
	echo "$dir"
	exit 0
fi

if [[ -z $pkgver || ! -r $TARBALL ]] || ! command -v bison flex bc pahole >/dev/null ||
   [[ ! -e /usr/include/gelf.h || ! -e /usr/include/openssl/ssl.h ]]; then
	log "installing the build dependencies"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		"$PKG" bc bison flex libelf-dev libssl-dev dwarves >&2
	# Again from the top: the package version is part of the key.
	exec "${BASH_SOURCE[0]}" --jobs "$jobs"
fi

mkdir -p "$dir"
blog=$dir/build.log
start=$SECONDS
log "building $PKG $pkgver into $dir (log: $blog)"
step() {
	local name=$1; shift
	[[ -e $dir/.done-$name ]] && return 0
	log "$name ($((SECONDS - start))s)"
	if ! "$@" >>"$blog" 2>&1; then
		tail -n 40 "$blog" | sed 's/^/  /' >&2
		die "$name failed after $((SECONDS - start))s; see $blog"
	fi
	touch "$dir/.done-$name"
}
# A fresh configure must rebuild; an interrupted make just resumes.
if [[ ! -e $dir/.done-unpack && ${WG_DEBUG_KERNEL_FRESH:-0} != 1 ]] &&
   seed_kernel; then
	touch "$dir/.done-unpack"
fi
step unpack unpack_kernel
echo "$PKG $pkgver" >"$dir/source"
step configure configure_kernel
rm -f "$dir/.done-build"
step build build_kernel

t=$((SECONDS - start))
printf '%dm%02ds\n' $((t / 60)) $((t % 60)) >"$dir/build-time"
log "built $(cat "$dir/kver") in $(cat "$dir/build-time")"
date -u +%FT%TZ >"$dir/complete"
echo "$dir"
