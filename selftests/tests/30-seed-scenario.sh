#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The seed scenario, as `make demo` shows it (selftests/demo/demo.sh): both
# ends brought up by the unmodified wg-quick from the seed's config files,
# the laptop reaches the NAS on the router's LAN, the router learns the
# laptop's endpoint from its handshake and follows it when it roams.

. "${WG_REPO:-$(dirname "$0")/../..}/selftests/lib.sh"

out=$(bash "$WG_REPO/selftests/demo/demo.sh" 2>&1)
rc=$?
check_eq "the demo runs to its end" "0" "$rc"
if grep -q '^demo: ok$' <<<"$out"; then pass "demo: ok"; else fail "demo: ok" "$out"; fi
if grep -q '3 received, 0% packet loss' <<<"$out"; then
	pass "the laptop pings the NAS through wg-quick's tunnel"
else
	fail "the laptop pings the NAS through wg-quick's tunnel" "$out"
fi
if grep -Eq '^  endpoint: 198\.51\.100\.2:[0-9]+$' <<<"$out"; then
	pass "the router learned the laptop's endpoint from its handshake"
else
	fail "the router learned the laptop's endpoint from its handshake" "$out"
fi
if grep -Eq '[[:space:]]198\.51\.100\.3:[0-9]+$' <<<"$out"; then
	pass "the router followed the laptop when it roamed"
else
	fail "the router followed the laptop when it roamed" "$out"
fi
done_testing
