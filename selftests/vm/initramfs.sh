#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# initramfs.sh KVER [OUT]
#
# Build (or reuse) a tiny initramfs that boots a stock kernel onto the host's
# root filesystem shared over virtio-9p: busybox-static, the modules needed to
# mount 9p (decompressed, builtins skipped) and an /init that mounts the
# shares and switch_roots.  The result is cached in
# ${WG_VM_DIR:-/var/tmp/wg-vm}/KVER/initramfs.cpio.gz and rebuilt only when
# one of its inputs (this script, busybox, the module files) is newer.
# If OUT is given the image is also copied there.  Prints the image path.
#
# A kernel with no /lib/modules/KVER (e.g. a custom build with 9p built in)
# gets an initramfs without modules.

set -euo pipefail

usage() { echo "usage: $0 KVER [OUT]" >&2; exit 2; }
[[ $# -ge 1 && $# -le 2 ]] || usage
KVER=$1
OUT=${2:-}

CACHE=${WG_VM_DIR:-/var/tmp/wg-vm}/$KVER
IMG=$CACHE/initramfs.cpio.gz
BUSYBOX=${BUSYBOX:-/bin/busybox}
SELF=$(readlink -f "$0")

# What the 9p root needs, in load order (see /work/shared/vm-testing.md).
WANT=(virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev
      virtio_pci netfs fscache 9pnet 9pnet_virtio 9p)

mkdir -p "$CACHE"
# Serialise concurrent builders of the same image.
exec 9>"$CACHE/.initramfs.lock"
flock 9

if ! file -L "$BUSYBOX" | grep -q 'statically linked'; then
	echo "$0: $BUSYBOX is not a static binary (apt-get install busybox-static)" >&2
	exit 1
fi

# Resolve module files in dependency order.  `modprobe --show-depends` lists
# "insmod FILE" for modules and "builtin NAME" for built-ins; names missing
# from this kernel (fscache is part of netfs since 6.x) are ignored, and a
# module that is a dependency of several is listed once, first time seen.
mods=()
if [[ -e /lib/modules/$KVER/modules.dep ]]; then
	declare -A seen=()
	for m in "${WANT[@]}"; do
		modinfo -k "$KVER" -n "$m" >/dev/null 2>&1 || continue
		while read -r verb file _; do
			[[ $verb == insmod && -z ${seen[$file]:-} ]] || continue
			seen[$file]=1
			mods+=("$file")
		done < <(modprobe -S "$KVER" --show-depends "$m")
	done
else
	echo "$0: no /lib/modules/$KVER, assuming 9p and virtio are built in" >&2
fi

# Reuse the cached image unless an input is newer than it.
stale=1
if [[ -s $IMG ]]; then
	stale=0
	for f in "$SELF" "$BUSYBOX" "${mods[@]}"; do
		if [[ $f -nt $IMG ]]; then stale=1; break; fi
	done
fi

if ((stale)); then
	stage=$(mktemp -d "$CACHE/stage.XXXXXX")
	trap 'rm -rf "$stage"' EXIT
	mkdir -p "$stage"/{bin,dev,proc,sys,newroot,modules}
	cp "$BUSYBOX" "$stage/bin/busybox"
	for a in $("$BUSYBOX" --list); do
		[[ $a == busybox ]] || ln -s busybox "$stage/bin/$a"
	done
	i=0
	for f in "${mods[@]}"; do
		# Number the files so that the init's glob loads them in order.
		dst=$stage/modules/$(printf %02d $i)-$(basename "${f%.*}")
		case $f in
		*.ko.xz)  xz -dc "$f" >"${dst%.ko}.ko" ;;
		*.ko.zst) zstd -qdc "$f" >"${dst%.ko}.ko" ;;
		*.ko.gz)  gzip -dc "$f" >"${dst%.ko}.ko" ;;
		*.ko)     cp "$f" "$dst.ko" ;;
		esac
		i=$((i + 1))
	done

	cat >"$stage/init" <<'INIT'
#!/bin/sh
# Stage 1: mount the host root (9p tag "host", read-only), tmpfs over the
# directories the guest must own, the optional shares "repo" (at /run/repo),
# "wgrun" (at /run/wgvm) and "wgmods" (over /lib/modules), then switch_root
# into the host root and run the stage-2 script named by wgvm.init= on the
# kernel command line.
mount -t devtmpfs dev /dev
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sys /sys

die() {
	echo "initramfs: $*"
	echo o >/proc/sysrq-trigger
	sleep 60
}

for m in /modules/*.ko; do
	[ -e "$m" ] || continue
	insmod "$m" || echo "initramfs: insmod $m failed"
done

opts=trans=virtio,version=9p2000.L,msize=512000
mount -t 9p -o "$opts,ro,cache=loose" host /newroot || die "cannot mount the host root"
mount -t tmpfs -o mode=0755 tmpfs /newroot/run
mount -t tmpfs -o mode=1777 tmpfs /newroot/tmp
mount -t tmpfs -o mode=0700 tmpfs /newroot/root
mkdir -p /newroot/run/repo /newroot/run/wgvm
# Optional shares (mount_tag holds the tag and a NUL).
has_tag() { grep -q "^$1" /sys/bus/virtio/devices/*/mount_tag 2>/dev/null; }
has_tag repo && mount -t 9p -o "$opts,ro,cache=loose" repo /newroot/run/repo
has_tag wgrun && mount -t 9p -o "$opts" wgrun /newroot/run/wgvm
# Modules of a kernel not installed on the host (run.sh --modroot).
has_tag wgmods && mount -t 9p -o "$opts,ro,cache=loose" wgmods /newroot/lib/modules

# The rest of a usable /dev (bash process substitution, used for instance by
# `wg set ... private-key <(...)`, needs /dev/fd), loopback and a hostname.
# Done here, where busybox is static and quick, rather than by stage 2:
# under TCG every exec of a dynamically linked binary costs ~0.3 s.
mkdir -p /dev/pts /dev/shm
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
ln -sfn /proc/self/fd /dev/fd
ln -sfn /proc/self/fd/0 /dev/stdin
ln -sfn /proc/self/fd/1 /dev/stdout
ln -sfn /proc/self/fd/2 /dev/stderr
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
hostname wgvm
ip link set lo up

init=/bin/sh
for x in $(cat /proc/cmdline); do
	case $x in wgvm.init=*) init=${x#wgvm.init=} ;; esac
done
[ -e "/newroot$init" ] || die "no $init in the new root"

mount --move /dev /newroot/dev
mount --move /proc /newroot/proc
mount --move /sys /newroot/sys
exec switch_root /newroot /bin/bash "$init"
INIT
	chmod 755 "$stage/init"
	(cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) |
		gzip -1 >"$IMG.tmp"
	mv -f "$IMG.tmp" "$IMG"
	echo "initramfs.sh: built $IMG (${#mods[@]} modules)" >&2
fi

if [[ -n $OUT && $OUT != "$IMG" ]]; then
	cp "$IMG" "$OUT"
	echo "$OUT"
else
	echo "$IMG"
fi
