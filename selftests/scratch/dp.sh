set -x
ip netns add a; ip netns add b
ip -n a link add veth0 type veth peer name veth0 netns b
ip -n a addr add 192.168.50.1/24 dev veth0; ip -n b addr add 192.168.50.2/24 dev veth0
ip -n a link set veth0 up; ip -n b link set veth0 up; ip -n a link set lo up; ip -n b link set lo up
ka=$(wg genkey); kb=$(wg genkey); pa=$(echo $ka | wg pubkey); pb=$(echo $kb | wg pubkey)
ip -n a link add wg0 type wireguard; ip -n b link add wg0 type wireguard
ip netns exec a wg set wg0 private-key <(echo $ka) listen-port 1000 peer $pb allowed-ips 10.9.0.2/32,fd09::2/128 endpoint 192.168.50.2:2000
ip netns exec b wg set wg0 private-key <(echo $kb) listen-port 2000 peer $pa allowed-ips 10.9.0.1/32,fd09::1/128
ip -n a addr add 10.9.0.1/24 dev wg0; ip -n b addr add 10.9.0.2/24 dev wg0
ip -n a addr add fd09::1/64 dev wg0; ip -n b addr add fd09::2/64 dev wg0
ip -n a link set wg0 up; ip -n b link set wg0 up
ip netns exec a ping -c 3 -W 2 10.9.0.2
ip netns exec b ping -c 2 -W 2 10.9.0.1
ip netns exec a ping -c 2 -W 2 fd09::2
ip netns exec b wg show
ip netns exec b iperf3 -s -D -1; sleep 0.5
ip netns exec a iperf3 -c 10.9.0.2 -t 5 | tail -4
ip -n a -s link show wg0
ip netns exec a ethtool -S wg0 2>&1 | grep -v ": 0$"
ip netns del a; ip netns del b
sleep 1; rmmod wireguard; echo rmmod=$?
dmesg | grep -iE "warn|bug|oops" | head
