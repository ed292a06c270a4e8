#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Malformed SET (and GET) messages, sent raw with tools/wgnl.py: each must
# fail with an errno and an extack message, and leave the configuration
# exactly as it was.
#
# Where the kernel's own driver behaves otherwise, the case says so and is
# skipped on it (WG_INTREE=1, or detected); what it did is printed as a
# diagnostic all the same, so a run on it records its behaviour.
. "${WG_REPO:-$(dirname "$0")/../..}/selftests/lib.sh"
require_module

A=$(randkey) priv=$(genkey) psk=$(genpsk)
check "wg0 created" wg_add wg0
# The baseline goes in through wgnl too: proof that its well-formed
# messages are right, so that the rejections below are about the flaw.
check "a well-formed raw SET of a full configuration is accepted" \
	wgnl set wg0 PRIVATE_KEY=b64:"$priv" LISTEN_PORT=u16:51820 FWMARK=u32:7 \
	"PEERS{ 0{ PUBLIC_KEY=b64:$A PRESHARED_KEY=b64:$psk ENDPOINT=sa:192.0.2.1:5
		PERSISTENT_KEEPALIVE_INTERVAL=u16:25 PROTOCOL_VERSION=u32:1
		ALLOWEDIPS{ $(aip 10.0.0.0/8) $(aip fd00::/64) } } }"
check_eq "and configures what it says" "[Interface]
ListenPort = 51820
FwMark = 0x7
PrivateKey = $priv

[Peer]
PublicKey = $A
PresharedKey = $psk
AllowedIPs = 10.0.0.0/8, fd00::/64
Endpoint = 192.0.2.1:5
PersistentKeepalive = 25" "$(wg showconf wg0)"
check "a raw SET with a v6 endpoint is accepted" \
	wgnl set wg0 "PEERS{ 0{ PUBLIC_KEY=b64:$A ENDPOINT=sa:[2001:db8::1]:6 } }"
check_eq "and sets it" "$A	[2001:db8::1]:6" "$(wg show wg0 endpoints)"
check "the device is up" ip link set wg0 up

# bad DESC NOTE [--errno NAME] [get] WGNL-ARGS...: a message that must be
# refused (a SET unless "get"). NOTE, if not empty, says how the in-tree
# driver differs; the case is then skipped on it. The cases are collected
# and sent by one `wgnl.py batch` (one Python start instead of sixty),
# which also compares the device's configuration before and after each.
C_DESC=() C_NOTE=() C_WANT=() C_LINE=()
bad() {
	local desc=$1 note=$2 want='' line
	shift 2
	if [ "$1" = --errno ]; then want=$2; shift 2; fi
	[ "$1" = get ] || set -- set "$@"
	line=$(IFS=$'\t'; echo "$*")
	C_DESC+=("$desc") C_NOTE+=("$note") C_WANT+=("$want") C_LINE+=("$line")
}

# judge I EXIT CHANGED ERROR: the TAP lines of case I.
judge() {
	local desc=${C_DESC[$1]} note=${C_NOTE[$1]} want=${C_WANT[$1]}
	local rc=$2 changed=$3 out=$4 msg
	diag "$desc: exit $rc, ${out:-no error}$([ "$changed" = 1 ] && echo ' (configuration CHANGED)')"
	if is_intree && [ -n "$note" ]; then
		skip "$desc: refused" "in-tree: $note"
	elif [ "$rc" = 64 ]; then
		fail "$desc: refused" "wgnl.py usage error: $out"
	elif [ "$rc" = 0 ]; then
		fail "$desc: refused" "accepted"
	elif [ -n "$want" ]; then
		check_match "$desc: refused with $want" "^error: $want(:|$)" "$out"
	else
		pass "$desc: refused"
	fi
	msg=${out#error: *: }
	if [ "$rc" = 0 ] || [ "$rc" = 64 ]; then
		: # no error, no message to look at
	elif [ "$msg" != "$out" ] && [ -n "$msg" ]; then
		pass "$desc: with an extack message"
	elif [[ $desc == GET* && $(uname -r) == 6.1.* ]]; then
		# Linux 6.1 hands a dump's .start no extack to fill.
		skip "$desc: with an extack message" "6.1 cannot report one for a dump"
	elif is_intree; then
		skip "$desc: with an extack message" "in-tree sends none here"
	else
		fail "$desc: with an extack message" "$out"
	fi
	if is_intree && [ -n "$note" ]; then
		skip "$desc: configuration unchanged" "in-tree: $note"
	elif [ "$changed" != 0 ]; then
		fail "$desc: configuration unchanged" "it changed"
	else
		pass "$desc: configuration unchanged"
	fi
}

P="PEERS{ 0{ PUBLIC_KEY=b64:$A"	# the existing peer, to be completed
aip_raw() { echo "ALLOWEDIPS{ 0{ $* } }"; }

# --- keys ---
bad "private key of 31 bytes" "" wg0 PRIVATE_KEY=rand:31
bad "private key of 33 bytes" "" wg0 PRIVATE_KEY=rand:33
bad "empty private key" "" wg0 PRIVATE_KEY=
bad "peer public key of 31 bytes" "" wg0 "PEERS{ 0{ PUBLIC_KEY=rand:31 } }"
bad "peer public key of 33 bytes" "" wg0 "PEERS{ 0{ PUBLIC_KEY=rand:33 } }"
bad "peer without a public key" "" wg0 "PEERS{ 0{ $(aip_raw FAMILY=u16:2 IPADDR=ip:10.7.0.0 CIDR_MASK=u8:16) } }"
bad "preshared key of 31 bytes" "" wg0 "$P PRESHARED_KEY=rand:31 } }"
bad "preshared key of 33 bytes" "" wg0 "$P PRESHARED_KEY=rand:33 } }"

# --- allowed IPs ---
bad "IPv4 allowed IP with cidr 33" "" wg0 "$P $(aip_raw FAMILY=u16:2 IPADDR=ip:10.5.0.0 CIDR_MASK=u8:33) } }"
bad "IPv6 allowed IP with cidr 129" "" wg0 "$P $(aip_raw FAMILY=u16:10 IPADDR=ip:fd00:5:: CIDR_MASK=u8:129) } }"
bad "allowed IP of address family 99" "" wg0 "$P $(aip_raw FAMILY=u16:99 IPADDR=ip:10.5.0.0 CIDR_MASK=u8:16) } }"
bad "allowed IP of address family 0" "" wg0 "$P $(aip_raw FAMILY=u16:0 IPADDR=ip:10.5.0.0 CIDR_MASK=u8:16) } }"
bad "AF_INET allowed IP with a 16-byte address" "" wg0 "$P $(aip_raw FAMILY=u16:2 IPADDR=zero:16 CIDR_MASK=u8:16) } }"
bad "AF_INET allowed IP with a 5-byte address" "" wg0 "$P $(aip_raw FAMILY=u16:2 IPADDR=zero:5 CIDR_MASK=u8:16) } }"
bad "AF_INET6 allowed IP with a 4-byte address" "" wg0 "$P $(aip_raw FAMILY=u16:10 IPADDR=ip:10.5.0.0 CIDR_MASK=u8:16) } }"
bad "allowed IP without a family" "" wg0 "$P $(aip_raw IPADDR=ip:10.5.0.0 CIDR_MASK=u8:16) } }"
bad "allowed IP without an address" "" wg0 "$P $(aip_raw FAMILY=u16:2 CIDR_MASK=u8:16) } }"
bad "allowed IP without a cidr" "" wg0 "$P $(aip_raw FAMILY=u16:2 IPADDR=ip:10.5.0.0) } }"
bad "allowed IP family of 4 bytes" "" wg0 "$P $(aip_raw FAMILY=u32:2 IPADDR=ip:10.5.0.0 CIDR_MASK=u8:16) } }"
bad "allowed IP cidr of 2 bytes" "" wg0 "$P $(aip_raw FAMILY=u16:2 IPADDR=ip:10.5.0.0 CIDR_MASK=u16:16) } }"
# (The in-tree driver has no WGALLOWEDIP_A_FLAGS and refuses it altogether.)
bad "unknown WGALLOWEDIP_A_FLAGS bit 0x2" "" wg0 "$P ALLOWEDIPS{ $(aip 10.6.0.0/16 FLAGS=u32:2) } } }"
bad "unknown WGALLOWEDIP_A_FLAGS bit 0x80000000" "" wg0 "$P ALLOWEDIPS{ $(aip 10.6.0.0/16 FLAGS=u32:0x80000000) } } }"
bad "WGALLOWEDIP_A_FLAGS of 1 byte" "" wg0 "$P ALLOWEDIPS{ $(aip 10.6.0.0/16 FLAGS=u8:1) } } }"

# --- endpoint ---
bad "AF_INET endpoint of 10 bytes" "" wg0 "$P ENDPOINT=hex:0200000ac0000201000000 } }"
bad "empty endpoint" "" wg0 "$P ENDPOINT= } }"
bad "AF_INET endpoint of sockaddr_in6 size" "ignores it and returns success" \
	wg0 "$P ENDPOINT=hex:0200000ac0000201$(printf '0%.0s' {1..40}) } }"
bad "AF_INET6 endpoint of sockaddr_in size" "ignores it and returns success" \
	wg0 "$P ENDPOINT=hex:0a00000a$(printf '0%.0s' {1..24}) } }"
bad "endpoint of address family 99" "ignores it and returns success" \
	wg0 "$P ENDPOINT=hex:6300000ac00002010000000000000000 } }"

# --- sizes of the other attributes ---
bad "persistent keepalive of 4 bytes" "" wg0 "$P PERSISTENT_KEEPALIVE_INTERVAL=u32:9 } }"
bad "persistent keepalive of 1 byte" "" wg0 "$P PERSISTENT_KEEPALIVE_INTERVAL=u8:9 } }"
bad "listen port of 4 bytes" "" wg0 LISTEN_PORT=u32:1234
bad "fwmark of 2 bytes" "" wg0 FWMARK=u16:9
bad "fwmark of 8 bytes" "" wg0 FWMARK=u64:9
bad "device flags of 1 byte" "" wg0 FLAGS=u8:1
bad "peer flags of 2 bytes" "" wg0 "$P FLAGS=u16:1 } }"
bad "protocol version of 1 byte" "" wg0 "$P PROTOCOL_VERSION=u8:1 } }"

# --- flags and versions ---
bad "unknown WGDEVICE_A_FLAGS bit 0x2" "" wg0 FLAGS=u32:2
bad "unknown WGDEVICE_A_FLAGS bit 0x80000000" "" wg0 FLAGS=u32:0x80000000
bad "unknown WGPEER_A_FLAGS bit 0x8" "" wg0 "$P FLAGS=u32:8 } }"
bad "unknown WGPEER_A_FLAGS bit 0x80000000" "" wg0 "$P FLAGS=u32:0x80000000 } }"
bad "protocol version 2" "" wg0 "$P PROTOCOL_VERSION=u32:2 } }"

# --- structure ---
bad "PEERS that is not a nest" "" wg0 PEERS=u32:5
bad "a peer that is not a nest" "" wg0 "PEERS{ 0=u32:5 }"
bad "ALLOWEDIPS that is not a nest" "" wg0 "$P ALLOWEDIPS=u32:5 } }"
bad "unknown device attribute 42" "" wg0 42=u32:1
bad "unknown peer attribute 42" "" wg0 "$P 42=u32:1 } }"

# --- naming the device ---
bad "unknown device name" "" --errno ENODEV nosuchdev0 FWMARK=u32:1
bad "unknown ifindex" "" --errno ENODEV --ifindex 99999 FWMARK=u32:1
bad "no device named" "" --no-dev FWMARK=u32:1
bad "ifname of 16 characters" "" --no-dev IFNAME=sz:wg0aaaaaaaaaaaaa FWMARK=u32:1
bad "ifname of 100 characters" "" --no-dev \
	IFNAME=sz:wg0"$(printf 'a%.0s' {1..97})" FWMARK=u32:1
bad "ifname without its NUL" "" --no-dev IFNAME=s:wg0 FWMARK=u32:1
bad "ifindex of 2 bytes" "" --no-dev IFINDEX=u16:1 FWMARK=u32:1
bad "a device that is not WireGuard" "" lo FWMARK=u32:1

# --- a flaw after a valid change: nothing of the message applies ---
bad "a valid fwmark, then a bad preshared key" "applies the fwmark" \
	wg0 FWMARK=u32:77 "$P PRESHARED_KEY=rand:31 } }"
bad "a valid private key, then a bad peer" "applies the private key" \
	wg0 PRIVATE_KEY=b64:"$(genkey)" "PEERS{ 0{ PUBLIC_KEY=rand:33 } }"

# --- GET ---
bad "GET naming no device" "" get --no-dev
bad "GET with an ifname of 27 characters" "" get --no-dev IFNAME=sz:wg0aaaaaaaaaaaaaaaaaaaaaaaa
bad "GET of an unknown ifindex" "" --errno ENODEV get --ifindex 99999
bad "GET of an unknown name" "" --errno ENODEV get nosuchdev0

# --- send them all, then judge ---
before=$(wg showconf wg0)
mapfile -t results < <(printf '%s\n' "${C_LINE[@]}" | wgnl batch wg0)
check_eq "every case was sent" "${#C_LINE[@]}" "${#results[@]}"
for i in "${!C_LINE[@]}"; do
	IFS=$'\t' read -r rc changed err <<<"${results[i]:-255	0	no result}"
	judge "$i" "$rc" "$changed" "$err"
done
if is_intree; then
	skip "after all this, the configuration is the one set first" \
		"in-tree: some cases changed it"
else
	check_eq "after all this, the configuration is the one set first" \
		"$before" "$(wg showconf wg0)"
fi

done_testing
