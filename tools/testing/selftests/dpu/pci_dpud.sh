#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# dpud, unchanged, on a PCIe DPU (the emulated one): desired tenant, disk
# and NIC attached as PCIe functions, the NIC set up in its namespace under
# the name asked for, metrics served; desired files removed + SIGHUP
# detaches them and the DPU's slots come back.
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
	rm -rf "$T"
}
trap cleanup EXIT
ip netns add dpud_pci

cat > "$T/dpud.conf" <<EOC
listen = 127.0.0.1:9478
desired_dir = $D
state_dir = $T/state
device = $dev
sample_interval = 1s
EOC
printf 'limits = iops 5k\n' > "$D/tenant-acme.conf"
printf 'tenant = acme\ntype = blk\nsize = 64Mi\n' > "$D/disk-db.conf"
printf 'tenant = acme\ntype = net\nmac = 02:00:00:aa:cc:01\nnetns = /run/netns/dpud_pci\nifname = eth0\n' > "$D/nic0.conf"

"$DPUD" --config "$T/dpud.conf" 2>"$T/dpud.log" &
PID=$!

ready() {
	[ "$("$DPUCTL" -j fn show "$dev" | jq '[.[] | select(.state == "ready")] | length')" = 2 ]
}
for i in $(seq 1 300); do ready && break; sleep 0.1; done
check "dpud attached the disk and the NIC as PCIe functions, both ready" ready
j=$("$DPUCTL" -j fn show "$dev")
check "the disk is a virtio disk at a PCI address" \
	test "$(jq -r '[.[] | select(.type == "blk")][0] | (.blkdev | startswith("vd")) and (.bus_addr != null)' <<<"$j")" = true
check "the tenant has its limits on the DPU" \
	test "$("$DPUCTL" -j tenant show "$dev/acme" | jq -r '.[0].limits.iops')" = 5000
for i in $(seq 1 100); do ip -n dpud_pci link show eth0 >/dev/null 2>&1 && break; sleep 0.1; done
check "the NIC is eth0 in its namespace" ip -n dpud_pci link show eth0
check "with the MAC asked for" grep -q "02:00:00:aa:cc:01" <(ip -n dpud_pci link show eth0)
check "metrics: dpud_dpu_up 1" grep -q '^dpud_dpu_up 1' <(curl -s http://127.0.0.1:9478/metrics)

rm -f "$D/disk-db.conf" "$D/nic0.conf"
kill -HUP "$PID"
gone() { [ "$("$DPUCTL" -j fn show "$dev" | jq length)" = 0 ]; }
for i in $(seq 1 300); do gone && break; sleep 0.1; done
check "desired files removed + SIGHUP: both detached" gone
check "and the DPU's slots are free" wait_emu_empty 10
kill -TERM "$PID"
wait "$PID"
check "dpud exits 0 on SIGTERM" test $? = 0
PID=
finish
