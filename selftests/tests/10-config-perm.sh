#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Who may configure: both GET and SET need CAP_NET_ADMIN over the device's
# network namespace. An unprivileged user, or root of a user namespace that
# does not own the device's network namespace, gets EPERM and learns no key;
# root of a user namespace that owns its network namespace may configure
# the devices there.
. "${WG_REPO:-$(dirname "$0")/../..}/selftests/lib.sh"
require_module

nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups)
# The unprivileged runs get a copy of wgnl.py they can read, wherever the
# checkout is and whatever its permissions.
public_copy "$WG_REPO/selftests/tools/wgnl.py" || fail "a world-readable copy of wgnl.py"
WGNL=(/usr/bin/python3 -IS "$PUBLIC_COPY")
userns=(unshare --user --map-root-user)
priv=$(genkey) psk=$(genpsk) peer=$(randkey)

check "wg0 created" wg_add wg0
check "configured by root" wg set wg0 private-key <(echo "$priv") \
	listen-port 51820 peer "$peer" preshared-key <(echo "$psk") \
	allowed-ips 10.0.0.0/8
before=$(wg showconf wg0)
# The keys as a regex: their first 20 characters, "+" and "/" as any.
keys_re="${priv:0:20}|${psk:0:20}"
keys_re=${keys_re//[+\/]/.}

# denied WHO DESC CMD...: CMD run as WHO fails with EPERM and reveals no key.
denied() {
	local -n who=$1
	local desc=$2
	shift 2
	check_fail "$desc" "${who[@]}" "$@"
	check_match "...with EPERM" "EPERM|Operation not permitted" "$OUT"
	check_nomatch "...and no key in the output" "$keys_re" "$OUT"
}

denied nobody "unprivileged raw GET" "${WGNL[@]}" get wg0
denied nobody "unprivileged raw GET by ifindex" "${WGNL[@]}" get \
	--ifindex "$(cat /sys/class/net/wg0/ifindex)"
denied nobody "unprivileged raw SET" "${WGNL[@]}" set wg0 FWMARK=u32:9
denied nobody "unprivileged raw SET of a private key" "${WGNL[@]}" set wg0 \
	PRIVATE_KEY=rand:32
denied nobody "unprivileged wg show" wg show wg0
denied nobody "unprivileged wg showconf" wg showconf wg0
denied nobody "unprivileged wg set" wg set wg0 listen-port 1
# A kernel built without CONFIG_USER_NS (the debug kernel) has none.
if "${userns[@]}" true 2>/dev/null; then
	has_userns=1
	denied userns "raw GET from a user namespace" "${WGNL[@]}" get wg0
	denied userns "raw SET from a user namespace" "${WGNL[@]}" set wg0 FWMARK=u32:9
	denied userns "wg set from a user namespace" wg set wg0 peer "$peer" remove
else
	has_userns=0
	skip "requests from a user namespace" "$(uname -r) has no user namespaces"
fi
check_eq "the configuration is unchanged" "$before" "$(wg showconf wg0)"

# A user namespace with its own network namespace: its root is the admin
# of that network namespace, and of the WireGuard devices in it.
if ((!has_userns)); then
	skip "an unprivileged user configures a device in its own namespaces" \
		"$(uname -r) has no user namespaces"
elif [ "$(sysctl -n kernel.unprivileged_userns_clone 2>/dev/null || echo 1)" = 1 ]; then
	check "an unprivileged user configures a device in its own namespaces" \
		"${nobody[@]}" "${userns[@]}" --net bash -c '
		set -e
		ip link add wg9 type wireguard
		k=$(wg genkey)
		wg set wg9 listen-port 51999 private-key <(echo "$k") \
			peer "$1" allowed-ips 10.9.0.0/16
		ip link set wg9 up
		[ "$(wg show wg9 private-key)" = "$k" ]
		[ "$(wg show wg9 listen-port)" = 51999 ]
		ss -Huan | grep -q ":51999 "
		/usr/bin/python3 -IS "$2" get wg9 | grep -q "private key: $k"
		' _ "$peer" "$PUBLIC_COPY"
else
	skip "an unprivileged user configures a device in its own namespaces" \
		"unprivileged user namespaces are disabled"
fi

done_testing
