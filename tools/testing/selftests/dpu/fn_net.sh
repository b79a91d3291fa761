#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A simulated NIC is a real netdev paired with its representor: two network
# namespaces ping and run iperf3 through it.
source "$(dirname "$0")/lib.sh"
require
command -v iperf3 >/dev/null || { echo "# SKIP: iperf3 missing"; exit $KSFT_SKIP; }

echo 6001 > $SIM/new_device
dev=$(sim_dpu 6001)
cleanup() {
	ip netns del dpu_a 2>/dev/null
	ip netns del dpu_b 2>/dev/null
	ip netns del dpu_c 2>/dev/null
	echo 6001 > $SIM/del_device 2>/dev/null
}
trap cleanup EXIT

read -r idx nic < <(fn_add "$dev" net - acme)
rep=${nic/n/r}
check "NIC $nic and representor $rep exist" test -e "/sys/class/net/$nic" -a -e "/sys/class/net/$rep"
check "NIC MAC is the function's" \
	test "$(cat /sys/class/net/$nic/address)" = "$(cat /sys/class/dpu_fn/${dev}fn$idx/mac)"

check "NIC and representor into two namespaces" netns_pair "$nic" "$rep" dpu_a dpu_b 10.200.0 || finish

check "ping across the function" ip netns exec dpu_a ping -c 3 -W 2 -q 10.200.0.2
ip netns exec dpu_b iperf3 -s -1 -D -B 10.200.0.2 >/dev/null
sleep 0.5
j=$(ip netns exec dpu_a iperf3 -c 10.200.0.2 -t 2 -J 2>/dev/null)
bps=$(jq '.end.sum_received.bits_per_second // 0 | floor' <<<"$j")
echo "# iperf3 through $nic: $((bps / 1000000)) Mbit/s"
check "iperf3 moves data (> 10 Mbit/s)" test "${bps:-0}" -gt 10000000
# in another namespace the NIC is shown by its ifindex there and the
# namespace's id, not by a name that means nothing here
j=$("$DPUCTL" -j fn show "$dev/$idx")
nsidx=$(ip -n dpu_a -j link show "$nic" | jq '.[0].ifindex')
check "the NIC in dpu_a: dpuctl shows its ifindex there ($nsidx) and a netns id, no name" \
	test "$(jq -r '.[0] | "\(.netdev) \(.ifindex) \(.netns_id | type)"' <<<"$j")" = "null $nsidx number"

"$DPUCTL" fn del "$dev/$idx"
check "deleting removes the NIC from its namespace" \
	bash -c "! ip -n dpu_a link show $nic 2>/dev/null"
check "and the representor from the other" \
	bash -c "! ip -n dpu_b link show $rep 2>/dev/null"

# a namespace that dies with the NIC in it
read -r idx nic < <(fn_add "$dev" net - acme)
check "a namespace for the NIC" ip netns add dpu_c
check "the NIC moves into it" ip link set "$nic" netns dpu_c
check "  and is there, not here" sh -c "ip -n dpu_c link show '$nic' >/dev/null && [ ! -e '/sys/class/net/$nic' ]"
ip netns del dpu_c
sleep 0.5
check "NIC returns to the initial namespace when its namespace goes" wait_for_path "/sys/class/net/$nic"
check "and deletes cleanly" "$DPUCTL" fn del "$dev/$idx"
finish
