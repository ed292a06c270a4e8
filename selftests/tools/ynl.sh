#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ynl.sh - the kernel's YNL tools (tools/net/ynl of Debian's
# linux-source-6.12) for our family's spec,
# Documentation/netlink/specs/wireguard.yaml.
#
# usage: ynl.sh setup          extract the tools into the cache (once)
#        ynl.sh gen DIR        generate netlink-gen.c and netlink-gen.h into DIR
#        ynl.sh check          are drivers/net/wg/netlink-gen.[ch] what the
#                              spec generates? (exit 1 and a diff if not)
#        ynl.sh regen          regenerate them in the tree
#        ynl.sh cli ARGS...    cli.py --spec <our spec> ARGS...
#        ynl.sh path           print the directory of cli.py (for python imports)
#
# The cache is $WG_YNL_CACHE (default /var/cache/wg-ynl), outside the
# repository; inside a test VM the host's copy is seen read-only, so
# `make check` sets it up on the host first (ynl.sh check).
#
# Two fixes are applied to 6.12's ynl-gen-c.py, both what later
# generators do; without them its kernel output does not build:
#  - an indexed-array of nests gets NLA_POLICY_NESTED_ARRAY(its policy)
#    (6.12 writes NLA_INDEXED_ARRAY, which the kernel does not have);
#  - the multicast groups of a family whose genl_family the generator does
#    not write (genetlink-legacy) are exported like its ops table, with
#    GENL_MCAST_CAP_NET_ADMIN for a group whose flags say admin-perm
#    (6.12 writes a static array without flags that nothing can use).
# And one to its lib/ynl.py, which reads an indexed-array but cannot write
# one: a list of dicts becomes a nest of nested elements (a SET's peers
# and allowed IPs).

set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SPEC=$REPO/Documentation/netlink/specs/wireguard.yaml
TARBALL=${WG_YNL_TARBALL:-/usr/src/linux-source-6.12.tar.xz}
CACHE=${WG_YNL_CACHE:-/var/cache/wg-ynl}
# Bump when the fixes below change: a new cache directory is made.
FIXES_VERSION=2
TOP=$CACHE/ynl-6.12-fix$FIXES_VERSION
GEN_DIR=$REPO/drivers/net/wg
# Debian's, with python3-yaml and python3-jsonschema, on the host and in VMs.
PY=/usr/bin/python3

die() { echo "ynl.sh: $*" >&2; exit 1; }

fix_tools() {
	"$PY" - "$1/ynl-gen-c.py" "$1/lib/ynl.py" <<'EOF'
import sys
path = sys.argv[1]
src = open(path).read()

def swap(old, new):
    global src
    if src.count(old) != 1:
        sys.exit("ynl.sh: cannot fix %s: text not found once:\n%s" % (path, old))
    src = src.replace(old, new)

# 1. indexed-array of nests: a nested array policy.
swap("""class TypeArrayNest(Type):
    def is_multi_val(self):
        return True
""", """class TypeArrayNest(Type):
    def is_multi_val(self):
        return True

    def _attr_policy(self, policy):
        if self.attr.get('sub-type', 'nest') == 'nest':
            return f'NLA_POLICY_NESTED_ARRAY({self.nested_render_name}_nl_policy)'
        return super()._attr_policy(policy)
""")

# 2. multicast groups: exported when the family struct is the driver's,
#    with their admin-perm flag.
swap("""    cw.block_end(';')
    cw.nl()


def print_kernel_mcgrp_src(family, cw):
    if not family.mcgrps['list']:
        return

    cw.block_start('static const struct genl_multicast_group ' + family.c_name + '_nl_mcgrps[] =')
    for grp in family.mcgrps['list']:
        name = grp['name']
        grp_id = c_upper(f"{family.ident_name}-nlgrp-{name}")
        cw.p('[' + grp_id + '] = { "' + name + '", },')
""", """    cw.block_end(';')
    cw.nl()
    if not kernel_can_gen_family_struct(family):
        cw.p('extern const struct genl_multicast_group ' + family.c_name +
             f'_nl_mcgrps[{len(family.mcgrps["list"])}];')
        cw.nl()


def print_kernel_mcgrp_src(family, cw):
    if not family.mcgrps['list']:
        return

    qual = 'static const' if kernel_can_gen_family_struct(family) else 'const'
    cw.block_start(qual + ' struct genl_multicast_group ' + family.c_name +
                   f'_nl_mcgrps[{len(family.mcgrps["list"])}] =')
    for grp in family.mcgrps['list']:
        name = grp['name']
        grp_id = c_upper(f"{family.ident_name}-nlgrp-{name}")
        flags = ''
        if 'admin-perm' in grp.get('flags', []):
            flags = ' .flags = GENL_MCAST_CAP_NET_ADMIN,'
        cw.p('[' + grp_id + '] = { "' + name + '",' + flags + ' },')
""")
open(path, "w").write(src)

# 3. lib/ynl.py: write an indexed-array of nests.
path = sys.argv[2]
src = open(path).read()
swap("""        elif attr["type"] == 'flag':
            if not value:
""", """        elif attr["type"] == 'indexed-array' and attr['sub-type'] == 'nest':
            nl_type |= Netlink.NLA_F_NESTED
            sub_space = attr['nested-attributes']
            attr_payload = b''
            for index, item in enumerate(value):
                sub_attrs = SpaceAttrs(self.attr_sets[sub_space], item, search_attrs)
                elem = b''
                for subname, subvalue in item.items():
                    elem += self._add_attr(sub_space, subname, subvalue, sub_attrs)
                attr_payload += struct.pack('HH', len(elem) + 4,
                                            index | Netlink.NLA_F_NESTED) + elem
        elif attr["type"] == 'flag':
            if not value:
""")
open(path, "w").write(src)
EOF
}

setup() {
	[[ -e $TOP/.done ]] && return 0
	[[ -r $TARBALL ]] || die "no $TARBALL (apt-get install linux-source-6.12)"
	mkdir -p "$CACHE"
	exec 9>"$CACHE/.lock"
	flock 9
	[[ -e $TOP/.done ]] && return 0
	rm -rf "$TOP.tmp"
	mkdir -p "$TOP.tmp"
	# Only the YNL tools and the schemas of the spec formats.
	tar -xJf "$TARBALL" -C "$TOP.tmp" --strip-components=1 \
		--wildcards 'linux-source-6.12/tools/net/ynl/*' \
		'linux-source-6.12/Documentation/netlink/*.yaml'
	fix_tools "$TOP.tmp/tools/net/ynl"
	rm -rf "$TOP"
	mv "$TOP.tmp" "$TOP"
	touch "$TOP/.done"
}

# The generator finds the spec format's schema next to the spec's
# directory and the tree's top by its MAINTAINERS: give it both in a
# scratch tree holding a copy of our spec.
gen() {
	local out=$1 tree m ext
	setup
	tree=$(mktemp -d)
	mkdir -p "$tree/Documentation/netlink/specs" "$out"
	cp "$TOP"/Documentation/netlink/*.yaml "$tree/Documentation/netlink/"
	cp "$SPEC" "$tree/Documentation/netlink/specs/"
	touch "$tree/MAINTAINERS"
	for m in source header; do
		ext=c
		[[ $m == header ]] && ext=h
		if ! "$PY" "$TOP/tools/net/ynl/ynl-gen-c.py" --mode kernel --$m \
			--spec "$tree/Documentation/netlink/specs/wireguard.yaml" \
			-o "$out/netlink-gen.$ext" >"$tree/log" 2>&1; then
			cat "$tree/log" >&2
			rm -rf "$tree"
			die "ynl-gen-c.py --$m failed"
		fi
	done
	rm -rf "$tree"
}

case ${1:-} in
setup)
	setup
	;;
gen)
	[[ $# == 2 ]] || die "usage: ynl.sh gen DIR"
	gen "$2"
	;;
regen)
	gen "$GEN_DIR"
	;;
check)
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	gen "$tmp"
	rc=0
	for f in netlink-gen.c netlink-gen.h; do
		if ! diff -u "$GEN_DIR/$f" "$tmp/$f"; then
			echo "ynl.sh: drivers/net/wg/$f is not what the spec generates" \
				"(selftests/tools/ynl.sh regen)" >&2
			rc=1
		fi
	done
	exit $rc
	;;
cli)
	shift
	[[ -e $TOP/.done ]] || die "no YNL tools in $TOP (run ynl.sh setup on the host)"
	exec "$PY" "$TOP/tools/net/ynl/cli.py" --spec "$SPEC" \
		--schema "$TOP/Documentation/netlink/genetlink-legacy.yaml" "$@"
	;;
path)
	[[ -e $TOP/.done ]] || die "no YNL tools in $TOP (run ynl.sh setup on the host)"
	echo "$TOP/tools/net/ynl"
	;;
*)
	sed -n '/^# usage:/,/^# The cache/p' "$0" | sed 's/^# \{0,1\}//' | head -n -1 >&2
	exit 2
	;;
esac
