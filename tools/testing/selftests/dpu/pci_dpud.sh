#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# dpud, unchanged, on a PCIe DPU (the emulated one): desired tenant, disk
# and NIC attached as PCIe functions, the NIC set up in its namespace under
# the name asked for, metrics served; the NIC limits the DPU leaves to the
# host enforced by dpud's BPF on a second NIC function (iperf3 to the first
# one, in its namespace); desired files removed + SIGHUP detaches them, the
# pins go and the DPU's slots come back.
source "$(dirname "$0")/lib.sh"
require_pci
DPUD=$DPU_REPO/user/build/bin/dpud
[ -x "$DPUD" ] || { echo "# SKIP: $DPUD not built"; exit $KSFT_SKIP; }
command -v curl >/dev/null || { echo "# SKIP: curl missing"; exit $KSFT_SKIP; }

dev=$(pci_dpu)
T=$(mktemp -d /tmp/pci_dpud.XXXXXX)
D=$T/desired
mkdir -p "$D" "$T/state"
PID=
cleanup() {
	[ -n "$PID" ] && kill -9 "$PID" 2>/dev/null
	ip netns del dpud_pci 2>/dev/null
	[ -n "${DPU_VM_OUT:-}" ] && cp "$T/dpud.log" "$DPU_VM_OUT/pci_dpud.log" 2>/dev/null
	backend_cleanup
	rm -rf "$T" /sys/fs/bpf/dpupool-pci
}
trap cleanup EXIT
ip netns add dpud_pci

cat > "$T/dpud.conf" <<EOC
listen = 127.0.0.1:9478
desired_dir = $D
state_dir = $T/state
device = $dev
sample_interval = 1s
bpf_dir = /sys/fs/bpf/dpupool-pci
EOC
printf 'limits = iops 5k\n' > "$D/tenant-acme.conf"
# 20 Mbit/s: the DPU leaves NIC limits to the host
printf 'limits = tx-bps 2500k\n' > "$D/tenant-shaped.conf"
printf 'tenant = shaped\ntype = net\nmac = 02:00:00:aa:cc:02\nifname = dpulim0\n' > "$D/nic1.conf"
printf 'tenant = acme\ntype = blk\nsize = 64Mi\n' > "$D/disk-db.conf"
printf 'tenant = acme\ntype = net\nmac = 02:00:00:aa:cc:01\nnetns = /run/netns/dpud_pci\nifname = eth0\n' > "$D/nic0.conf"

"$DPUD" --config "$T/dpud.conf" 2>"$T/dpud.log" &
PID=$!

ready() {
	[ "$("$DPUCTL" -j fn show "$dev" | jq '[.[] | select(.state == "ready")] | length')" = 3 ]
}
for i in $(seq 1 300); do ready && break; sleep 0.1; done
check "dpud attached the disk and two NICs as PCIe functions, all ready" ready
j=$("$DPUCTL" -j fn show "$dev")
check "the disk is a virtio disk at a PCI address" \
	test "$(jq -r '[.[] | select(.type == "blk")][0] | (.blkdev | startswith("vd")) and (.bus_addr != null)' <<<"$j")" = true
check "the tenant has its limits on the DPU" \
	test "$("$DPUCTL" -j tenant show "$dev/acme" | jq -r '.[0].limits.iops')" = 5000
for i in $(seq 1 100); do ip -n dpud_pci link show eth0 >/dev/null 2>&1 && break; sleep 0.1; done
check "the NIC is eth0 in its namespace" ip -n dpud_pci link show eth0
check "with the MAC asked for" grep -q "02:00:00:aa:cc:01" <(ip -n dpud_pci link show eth0)
check "metrics: dpud_dpu_up 1" grep -q '^dpud_dpu_up 1' <(curl -s http://127.0.0.1:9478/metrics)

# ------------------------------------------- NIC limits, enforced by dpud
lim_fn=$("$DPUCTL" -j fn show "$dev" | jq -r '.[] | select(.tenant == "shaped") | .index')
check "the shaped NIC is dpulim0 here, a virtio-net function" \
	sh -c "readlink /sys/class/net/dpulim0/device/driver | grep -q virtio"
check "  dpud put its BPF program on it (the DPU leaves tx-bps to the host)" \
	wait_until 10 sh -c "tc filter show dev dpulim0 egress | grep -q dpu_nl_egress && tc qdisc show dev dpulim0 root | grep -q '^qdisc fq'"
check "  and pinned it" test -e "/sys/fs/bpf/dpupool-pci/$dev/fns/$lim_fn/egress"
ip addr add 10.203.0.1/24 dev dpulim0 && ip link set dpulim0 up
ip -n dpud_pci addr add 10.203.0.2/24 dev eth0 && ip -n dpud_pci link set eth0 up
ip netns exec dpud_pci iperf3 -s -D -B 10.203.0.2 >/dev/null
sleep 1
# the unlimited direction (the namespace's NIC sends) tells the capacity
cap=$(iperf3 -c 10.203.0.2 -R -t 4 -J 2>/dev/null | jq '.end.sum_received.bits_per_second / 8 | floor')
echo "# virtio-net to virtio-net through the DPU's hub, unthrottled: $((${cap:-0} * 8 / 1000000)) Mbit/s"
if [ "${cap:-0}" -lt 3000000 ]; then
	echo "ok - tx-bps 20 Mbit/s on a PCIe NIC # SKIP the guest carries only $((${cap:-0} * 8 / 1000000)) Mbit/s unthrottled"
else
	iperf3 -c 10.203.0.2 -t 6 >/dev/null 2>&1 &
	ip=$!
	sleep 2
	a=$(cat /sys/class/net/dpulim0/statistics/tx_bytes); t0=$(date +%s.%N)
	sleep 3
	b=$(cat /sys/class/net/dpulim0/statistics/tx_bytes); t1=$(date +%s.%N)
	wait $ip
	got=$(awk -v a="$a" -v b="$b" -v t0="$t0" -v t1="$t1" 'BEGIN { printf "%d", (b - a) / (t1 - t0) }')
	check "tx-bps 20 Mbit/s on a PCIe NIC: $((got * 8 / 1000)) kbit/s (+-5%)" \
		awk -v g="$got" 'BEGIN { exit !(g >= 2375000 && g <= 2625000) }'
fi
pkill -f "iperf3 -s -D -B 10.203.0.2"

rm -f "$D/disk-db.conf" "$D/nic0.conf" "$D/nic1.conf"
kill -HUP "$PID"
gone() { [ "$("$DPUCTL" -j fn show "$dev" | jq length)" = 0 ]; }
for i in $(seq 1 300); do gone && break; sleep 0.1; done
check "desired files removed + SIGHUP: both detached" gone
check "and the DPU's slots are free" wait_emu_empty 10
check "the shaped NIC's pins went with it" test ! -e "/sys/fs/bpf/dpupool-pci/$dev/fns/$lim_fn"
kill -TERM "$PID"
wait "$PID"
check "dpud exits 0 on SIGTERM" test $? = 0
PID=
finish
