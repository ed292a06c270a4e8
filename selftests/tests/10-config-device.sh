#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The network device: link kind, type, flags, qdisc, MTU, several devices.
. "${WG_REPO:-$(dirname "$0")/../..}/selftests/lib.sh"
require_module

check "ip link add wg0 type wireguard" wg_add wg0
link=$(ip -d link show wg0)
check_match "default MTU is 1420" " mtu 1420 " "$link"
check_match "ip -d link shows the wireguard kind" "^ +wireguard( |$)" "$link"
check_match "link type is none (link/none)" "^ +link/none( |$)" "$link"
check_match "flags are POINTOPOINT,NOARP" "<POINTOPOINT,NOARP>" "$link"
check_eq "wg show of a fresh device is just the interface line" \
	"interface: wg0" "$(wg show wg0)"
check_eq "wg showconf of a fresh device is an empty [Interface]" \
	"[Interface]" "$(wg showconf wg0 | sed '/^$/d')"
check "a fresh device comes up with no configuration" ip link set wg0 up
link=$(ip link show wg0)
check_match "up device: POINTOPOINT,NOARP,UP,LOWER_UP" \
	"<POINTOPOINT,NOARP,UP,LOWER_UP>" "$link"
check_match "qdisc is noqueue" " qdisc noqueue " "$link"
check_match "once up it listens on some port" "^  listening port: [1-9][0-9]*$" \
	"$(wg show wg0)"

# MTU: sane values are taken as given, absurd ones are refused.
for mtu in 1280 1500 9000 1420; do
	check "MTU $mtu is accepted" ip link set wg0 mtu $mtu
	check_match "MTU $mtu is reported" " mtu $mtu " "$(ip link show wg0)"
done
for mtu in 2147483648 4294967295; do
	check_fail "absurd MTU $mtu is refused" ip link set wg0 mtu $mtu
done
check_match "a refused MTU leaves the MTU unchanged" " mtu 1420 " \
	"$(ip link show wg0)"
check "MTU can be given at creation" \
	ip link add wg1 mtu 1380 type wireguard
cleanup_add "ip link del wg1"
check_match "the MTU given at creation is used" " mtu 1380 " \
	"$(ip link show wg1)"

# Several devices, each its own configuration.
check "a second device with another name" wg_add wg2
key1=$(genkey) key2=$(genkey)
wg set wg0 private-key <(echo "$key1")
wg set wg2 private-key <(echo "$key2")
check_eq "devices keep separate configurations" \
	"$(pubkey "$key1") $(pubkey "$key2")" \
	"$(wg show wg0 public-key) $(wg show wg2 public-key)"
check_eq "wg show interfaces lists every device" "wg0 wg1 wg2" \
	"$(wg show interfaces | tr ' ' '\n' | sort | xargs)"
check_fail "a duplicate name is refused" ip link add wg0 type wireguard
check "ip link del removes a configured, up device" ip link del wg0
check_fail "the deleted device is gone" ip link show wg0
check_fail "wg show of a deleted device fails" wg show wg0
check_eq "the other devices are untouched" "$(pubkey "$key2")" \
	"$(wg show wg2 public-key)"

done_testing
