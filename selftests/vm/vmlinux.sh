#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# vmlinux.sh BZIMAGE KVER - print the path of an uncompressed, directly
# bootable (PVH) copy of BZIMAGE, extracting it once into
# ${WG_VM_DIR:-/var/tmp/wg-vm}/KVER/; or BZIMAGE itself when that is not
# possible (no PVH entry point, unknown compression, WG_VM_PVH=0).
#
# Why: under TCG the bzImage's own decompressor is slow (xz: ~3 s, zstd:
# ~1.5 s of every boot); QEMU boots an ELF vmlinux with a PVH note directly.
# Debian's kernels have CONFIG_PVH=y.

set -euo pipefail

[[ $# -eq 2 ]] || { echo "usage: $0 BZIMAGE KVER" >&2; exit 2; }
image=$(readlink -f "$1")
kver=$2

fallback() {
	[[ -n ${1:-} ]] && echo "vmlinux.sh: $1; booting the bzImage" >&2
	echo "$image"
	exit 0
}

[[ ${WG_VM_PVH:-1} == 0 ]] && fallback ""
command -v readelf >/dev/null || fallback "no readelf"

cache=${WG_VM_DIR:-/var/tmp/wg-vm}/$kver
out=$cache/vmlinux
# Identifies the source image; the cache is reused only for the same one.
stamp="$image $(stat -c '%s %Y' "$image")"

mkdir -p "$cache"
exec 9>"$cache/.vmlinux.lock"
flock 9

if [[ -s $out && -e $out.stamp && $(<"$out.stamp") == "$stamp" ]]; then
	echo "$out"
	exit 0
fi
rm -f "$out" "$out.stamp"
[[ -e $cache/.vmlinux.nopvh && $(<"$cache/.vmlinux.nopvh") == "$stamp" ]] &&
	fallback ""

# The compressed kernel: payload_offset/payload_length in the setup header
# (boot protocol 2.08+), relative to the protected-mode code that follows
# the (setup_sects + 1) * 512 bytes of real-mode setup.  Its last 4 bytes
# are the uncompressed size, not part of the compressed stream.
rd() { od -An -t"u$2" -j "$1" -N "$2" "$image" | tr -d ' '; }
[[ $(dd if="$image" bs=1 skip=$((0x202)) count=4 status=none) == HdrS ]] ||
	fallback "not a bzImage"
sects=$(rd $((0x1f1)) 1)
((sects)) || sects=4
off=$(rd $((0x248)) 4)
len=$(rd $((0x24c)) 4)
start=$(((sects + 1) * 512 + off))
payload() {
	dd if="$image" iflag=skip_bytes,count_bytes skip="$start" count=$((len - 4)) \
		bs=1M status=none
}
case $(payload | head -c 6 | od -An -tx1 | tr -d ' \n') in
fd377a585a00) decomp=(xz -dc) ;;
28b52ffd*)    decomp=(zstd -dcq) ;;
1f8b*)        decomp=(gzip -dc) ;;
*) fallback "unknown kernel compression in $image" ;;
esac
command -v "${decomp[0]}" >/dev/null || fallback "no ${decomp[0]}"
if ! payload | "${decomp[@]}" >"$out.tmp" 2>/dev/null; then
	rm -f "$out.tmp"
	fallback "cannot decompress $image"
fi
# XEN_ELFNOTE_PHYS32_ENTRY (18): the PVH entry point QEMU needs.
if ! readelf -n "$out.tmp" 2>/dev/null | grep -qE 'PHYS32_ENTRY|note type: \(0x0*12\)'; then
	rm -f "$out.tmp"
	echo "$stamp" >"$cache/.vmlinux.nopvh"
	fallback "$image has no PVH entry point"
fi
mv -f "$out.tmp" "$out"
echo "$stamp" >"$out.stamp"
echo "$out"
