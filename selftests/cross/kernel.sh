#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kernel.sh - Debian's linux-source-6.12 cross-configured for the routers'
# architectures, cached like the debug kernel (selftests/vm/debug-kernel.sh).
#
# usage: kernel.sh [--key | --check] ARCH modules|kunit
#        kernel.sh ARCH modules
#        kernel.sh ARCH kunit REPO OUT
#
#   ARCH     arm64 (aarch64-linux-gnu-), armhf (arm-linux-gnueabihf-) or
#            mips (mips-linux-gnu-: 32-bit, big-endian)
#   modules  print the directory of a kernel tree (O=) configured with the
#            architecture's defconfig plus what the module needs, after
#            `make modules_prepare`: out-of-tree modules build against it
#            with `make -C DIR ARCH=... CROSS_COMPILE=... M=...`
#            (DIR/env has the ARCH= and CROSS_COMPILE= words)
#   kunit    (armhf, mips) build a small kernel (allnoconfig +
#            kunit-common.config + ARCH-kunit.config) with REPO's module
#            built in (its Kconfig, drivers/net/wg, include), incrementally
#            on top of the cached tree, and copy its bootable image to OUT
#   --key    print the cache key;  --check: print the directory if it is
#            complete, else exit 1 without building
#
# Cache: ${WG_CROSS_CACHE:-/var/cache/wg-cross}/
#   src-VERSION/       the unpacked source (shared, read-only but for the
#                      wgoot/ directory and two hook lines, see below)
#   ARCH-FLAVOUR-KEY/  the O= tree, build.log, build-time, complete
# KEY: a hash of the config fragments, the source version, the cross
# compiler's version and this recipe.  Concurrent callers serialise on a
# lock per directory.  Output: progress on stderr, the directory (or OUT)
# on stdout.  Exit status 0, 1 on failure (log tail on stderr), 2 on usage.
#
# The kunit flavour builds the module in as a built-in driver: the source
# tree's Kconfig sources wgoot/Kconfig and its Kbuild descends into
# wgoot/drivers/net/wg/ when CONFIG_WIREGUARD_WG=y; the sources are copied
# there (wgoot/ mirrors the repository's layout, so that the module's
# `-I$(src)/../../../include` finds our uapi header) and a Kbuild there
# includes the module's own one and turns its obj-m into obj-y.

set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PKG=linux-source-6.12
TARBALL=/usr/src/$PKG.tar.xz
CACHE_ROOT=${WG_CROSS_CACHE:-/var/cache/wg-cross}
JOBS=${WG_CROSS_JOBS:-3}

log() { echo "kernel.sh: $*" >&2; }
die() { log "$*"; exit 1; }
usage() {
	sed -n '/^# usage:/,/^# Cache:/p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

action=build
case ${1:-} in
--key) action=key; shift ;;
--check) action=check; shift ;;
-h|--help) usage ;;
esac
[[ $# -ge 2 ]] || usage
arch=$1 flavour=$2
case $arch in
arm64) karch=arm64 cross=aarch64-linux-gnu- defconfig=defconfig ;;
armhf) karch=arm cross=arm-linux-gnueabihf- defconfig=multi_v7_defconfig ;;
# The Atheros SoCs of many OpenWrt routers: 32-bit big-endian MIPS 24K.
mips)  karch=mips cross=mips-linux-gnu- defconfig=ath79_defconfig ;;
*) usage ;;
esac
case $flavour in
modules) [[ $# -eq 2 ]] || usage ;;
kunit)
	[[ -r $HERE/$arch-kunit.config ]] || usage
	if [[ $action == build ]]; then
		[[ $# -eq 4 ]] || usage
		repo=$(cd "$3" && pwd) out=$4
	fi ;;
*) usage ;;
esac
kmake=(make -s ARCH="$karch" CROSS_COMPILE="$cross")

# --- the recipe (its text is part of the key) ------------------------------

# The source, unpacked once per package version, with the hooks for a
# built-in copy of our module (an empty wgoot/Kconfig until one is copied).
unpack_source() {
	rm -rf "$src.tmp" && mkdir -p "$src.tmp" &&
	tar -xf "$TARBALL" -C "$src.tmp" --strip-components=1 &&
	mkdir -p "$src.tmp/wgoot" && : >"$src.tmp/wgoot/Kconfig" &&
	echo 'source "wgoot/Kconfig"' >>"$src.tmp/Kconfig" &&
	echo 'obj-$(CONFIG_WIREGUARD_WG) += wgoot/drivers/net/wg/' >>"$src.tmp/Kbuild" &&
	mv "$src.tmp" "$src"
}

# defconfig plus what the module needs: IPv6 (both address families'
# code paths), modules, and the libraries the in-tree WireGuard selects.
configure_modules() {
	local sym
	"${kmake[@]}" -C "$src" O="$dir/build" "$defconfig" &&
	"$src/scripts/config" --file "$dir/build/.config" -e NET -e INET -e IPV6 \
		-e MODULES -e MODULE_UNLOAD -e NETDEVICES -e NET_CORE -m WIREGUARD &&
	"${kmake[@]}" -C "$dir/build" olddefconfig || return 1
	for sym in MODULES NET INET IPV6; do
		grep -qx "CONFIG_$sym=y" "$dir/build/.config" ||
			{ log "config: CONFIG_$sym is not y"; return 1; }
	done
	grep -qx "CONFIG_WIREGUARD=m" "$dir/build/.config" ||
		{ log "config: CONFIG_WIREGUARD is not m"; return 1; }
}

build_modules() {
	nice -n 10 "${kmake[@]}" -C "$dir/build" -j"$JOBS" modules_prepare
}

# allnoconfig with the fragments; every line of them must hold.
configure_kunit() {
	local line sym bad=0
	cat "$HERE/kunit-common.config" "$HERE/$arch-kunit.config" >"$dir/kunit.config" &&
	"${kmake[@]}" -C "$src" O="$dir/build" KCONFIG_ALLCONFIG="$dir/kunit.config" allnoconfig ||
		return 1
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
			log "config: wanted '$line', got '$(grep -E "^(# )?$sym[= ]" "$dir/build/.config" || echo "(absent)")'"
			bad=1
		}
	done <"$dir/kunit.config"
	return $bad
}

build_kunit() {
	nice -n 10 "${kmake[@]}" -C "$dir/build" -j"$JOBS" "$image_target"
}

# --- key, locations ----------------------------------------------------------
pkgver=$(dpkg-query -W -f='${Version}' "$PKG" 2>/dev/null || true)
[[ -n $pkgver && -r $TARBALL ]] || die "$PKG is not installed (apt-get install $PKG)"
command -v "${cross}gcc" >/dev/null || die "no ${cross}gcc (Debian's gcc-${cross%-} package)"
case $arch in
armhf) image_target=zImage image_path=arch/arm/boot/zImage ;;
*)     image_target=vmlinux image_path=vmlinux ;;
esac
key=$({
	echo "$arch $flavour $defconfig $PKG $pkgver"
	"${cross}gcc" --version | head -n 1
	if [[ $flavour == kunit ]]; then
		cat "$HERE/kunit-common.config" "$HERE/$arch-kunit.config"
		declare -f configure_kunit build_kunit
	else
		declare -f configure_modules build_modules
	fi
	declare -f unpack_source
} | sha256sum | cut -c1-16)
src=$CACHE_ROOT/src-$pkgver
dir=$CACHE_ROOT/$arch-$flavour-$key

case $action in
key) echo "$key"; exit 0 ;;
check) [[ -e $dir/complete ]] && { echo "$dir"; exit 0; }; exit 1 ;;
esac

# Fast path: a complete modules tree needs no lock.
if [[ $flavour == modules && -e $dir/complete ]]; then
	echo "$dir"
	exit 0
fi

mkdir -p "$CACHE_ROOT"
blog=$dir/build.log
start=$SECONDS
step() {
	local name=$1; shift
	[[ -e $dir/.done-$name ]] && return 0
	log "$arch $flavour: $name ($((SECONDS - start))s, log: $blog)"
	if ! "$@" >>"$blog" 2>&1; then
		tail -n 40 "$blog" | sed 's/^/  /' >&2
		die "$arch $flavour: $name failed after $((SECONDS - start))s; see $blog"
	fi
	touch "$dir/.done-$name"
}

# The shared source: unpacked under its own lock.
exec 7>"$src.lock"
flock 7
if [[ ! -d $src ]]; then
	log "unpacking $PKG $pkgver into $src"
	unpack_source || die "cannot unpack $TARBALL"
fi
exec 7>&-

exec 9>"$dir.lock"
flock -n 9 || { log "waiting for another build of $dir"; flock 9; }
mkdir -p "$dir"

if [[ $flavour == modules ]]; then
	if [[ ! -e $dir/complete ]]; then
		step configure configure_modules
		step build build_modules
		echo "ARCH=$karch CROSS_COMPILE=$cross" >"$dir/env"
		echo "$defconfig" >"$dir/defconfig"
		t=$((SECONDS - start))
		printf '%dm%02ds\n' $((t / 60)) $((t % 60)) >"$dir/build-time"
		date -u +%FT%TZ >"$dir/complete"
	fi
	echo "$dir"
	exit 0
fi

# --- kunit: copy the module in, (re)build incrementally ----------------------
# Only changed files are copied (kbuild then rebuilds just those), stale
# ones removed.  The source tree's wgoot/ is shared by both kunit kernels:
# its lock is held from the copy to the end of the build.
exec 7>"$src.wgoot.lock"
flock 7
sync_wgoot() {
	local f dst=$src/wgoot
	local -A want=()
	copy_if_changed() {
		want[$2]=1
		cmp -s "$1" "$dst/$2" && return 0
		mkdir -p "$(dirname "$dst/$2")" && cp "$1" "$dst/$2"
	}
	copy_if_changed "$repo/Kconfig" Kconfig
	while IFS= read -r -d '' f; do
		f=${f#"$repo"/}
		if [[ $f == drivers/net/wg/Kbuild ]]; then
			copy_if_changed "$repo/$f" drivers/net/wg/Kbuild.module
		else
			copy_if_changed "$repo/$f" "$f"
		fi
	done < <(find "$repo/drivers" "$repo/include" -path '*/tests/userspace' -prune -o \
		-type f \( -name '*.[chS]' -o -name Kbuild -o -name 'Makefile*' \) \
		! -name '*.mod.c' -print0)
	# The module's Kbuild, its obj-m turned into obj-y.
	printf '%s\n' '# Generated by selftests/cross/kernel.sh: the module built in.' \
		'include $(src)/Kbuild.module' 'obj-y += $(obj-m)' 'obj-m :=' >"$dst/Kbuild.tmp"
	copy_if_changed "$dst/Kbuild.tmp" drivers/net/wg/Kbuild
	want[Kbuild.tmp]=1
	while IFS= read -r -d '' f; do
		[[ -n ${want[${f#"$dst"/}]:-} ]] || rm -f "$f"
	done < <(find "$dst" -type f \( -name '*.[chS]' -o -name 'Kbuild*' -o -name 'Makefile*' \
		-o -name Kconfig \) -print0)
}
sync_wgoot
if [[ ! -e $dir/.done-configure ]]; then
	step configure configure_kunit
else
	# The module's Kconfig may have changed: its selects must hold.
	"${kmake[@]}" -C "$dir/build" KCONFIG_ALLCONFIG="$dir/kunit.config" olddefconfig \
		>>"$blog" 2>&1 || die "$arch kunit: olddefconfig failed; see $blog"
	grep -qx CONFIG_WIREGUARD_WG=y "$dir/build/.config" ||
		die "$arch kunit: CONFIG_WIREGUARD_WG is no longer y; see $dir/build/.config"
fi
rm -f "$dir/.done-build"
step build build_kunit
exec 7>&-
t=$((SECONDS - start))
[[ -e $dir/complete ]] || printf '%dm%02ds\n' $((t / 60)) $((t % 60)) >"$dir/build-time"
date -u +%FT%TZ >"$dir/complete"
cp "$dir/build/$image_path" "$out"
echo "$out"
