#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Functions of a PCIe DPU (dpu_pci.ko driving the emulated DPU of
# scripts/vm --dpu-emu): the DPU's capabilities, a blk function hot-plugged
# and used (data written and verified with fio on the virtio disk, serial
# and sysfs links), two NICs that ping each other, events and uevents,
# "unbound" when the virtio driver lets go, refusals of what the DPU cannot
# do, deletion that frees the slot, and a batch of 32 through io_uring.
source "$(dirname "$0")/lib.sh"
require_pci
command -v fio >/dev/null || { echo "# SKIP: fio missing"; exit $KSFT_SKIP; }

dev=$(pci_dpu)
tmp=$(mktemp -d)
cleanup() {
	[ -n "${mon:-}" ] && kill "$mon" 2>/dev/null
	[ -n "${uev:-}" ] && kill "$uev" 2>/dev/null
	ip netns del dpu_pa 2>/dev/null
	ip netns del dpu_pb 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

# ------------------------------------------------------------ capabilities
j=$("$DPUCTL" -j dev show "$dev")
check "dev show: backend pci on bus pci" test "$(jq -r '.[0] | "\(.backend) \(.bus)"' <<<"$j")" = "pci pci"
check "the DPU offers blk and net" test "$(jq -r '.[0].fn_types' <<<"$j")" = "blk,net"
check "it enforces disk IOPS up to 1000000" test "$(jq -r '.[0].limit_max.iops' <<<"$j")" = 1000000
check "it leaves the NIC limits to the host (its NICs are this host's virtio-net)" \
	test "$(jq -r '.[0].host_limits | join(",")' <<<"$j")" = "tx-bps,rx-bps,tx-pps,rx-pps"
check "and enforces none itself: the IOPS limit is the DPU's" \
	test "$("$DPUCTL" dev show "$dev" | grep -c 'host-enforced tx-bps rx-bps tx-pps rx-pps')" = 1
check "it chains 4 tenant levels" test "$(jq -r '.[0].tenant_depth' <<<"$j")" = 4
check "it sets up to 8 queues and MTUs up to 9000" test "$(jq -r '.[0] | "\(.max_queues) \(.max_mtu)"' <<<"$j")" = "8 9000"
check "it carries 20000 IOPS and 400 MiB/s of block I/O (interface 1.2)" \
	test "$(jq -r '.[0] | "\(.io_capacity_iops) \(.io_capacity_bps)"' <<<"$j")" = "20000 419430400"

# ------------------------------------------------------------ events
"$DPUCTL" -j monitor >"$tmp/events" 2>&1 &
mon=$!
/usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, 15)
s.bind((0, 1))
out = open(sys.argv[1], "w", buffering=1)
out.write("listening\n")
while True:
    m = s.recv(65536).split(b"\0")
    if b"SUBSYSTEM=dpu_fn" not in m: continue
    out.write(" ".join(x.decode(errors="replace") for x in m if x) + "\n")
' "$tmp/uevents" &
uev=$!
for i in $(seq 1 100); do grep -q listening "$tmp/uevents" 2>/dev/null && break; sleep 0.1; done
sleep 0.3	# and the monitor

check "tenant add $dev/acme" quiet "$DPUCTL" tenant add "$dev/acme"

# ------------------------------------------------------------ blk
t0=$(date +%s%N)
j=$("$DPUCTL" -j fn add dev "$dev" type blk size 256M tenant acme wait)
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
idx=$(jq -r '.[0].index' <<<"$j")
blk=$(jq -r '.[0].blkdev' <<<"$j")
pci=$(jq -r '.[0].bus_addr' <<<"$j")
echo "# blk function $idx: $blk at $pci, ready after $ms ms"
check "fn add blk: ready with a virtio disk" test "$(jq -r '.[0].state' <<<"$j")" = ready
check "its disk is a virtio_blk disk ($blk)" test "$(basename "$(readlink "/sys/block/$blk/device/driver")")" = virtio_blk
check "its serial names the function" test "$(cat "/sys/block/$blk/serial")" = "dpuemu0-fn$idx"
check "its size is 256 MiB" test "$(cat "/sys/block/$blk/size")" = 524288
check "sysfs: function -> the PCI function $pci" test "$(basename "$(readlink "/sys/class/dpu_fn/${dev}fn$idx/function")")" = "$pci"
check "sysfs: disk -> $blk" test "$(basename "$(readlink "/sys/class/dpu_fn/${dev}fn$idx/disk")")" = "$blk"
check "the PCI function is bound to virtio-pci" test "$(basename "$(readlink "/sys/bus/pci/devices/$pci/driver")")" = virtio-pci
check "the DPU has it in a slot" grep -q "^$idx:1:2:" <<<"$(emu_fns | tr ' ' '\n')"

wait_blk "$blk"
fio --allow_file_create=0 --name=verify --filename="/dev/$blk" --rw=randwrite --bs=16k --size=64M \
	--ioengine=io_uring --iodepth=8 --direct=1 --verify=crc32c --do_verify=1 \
	--output-format=json >"$tmp/fio.json" 2>&1
check "fio writes 64 MiB and reads it back verified" test "$(jq -r '.jobs[0].error' "$tmp/fio.json" 2>/dev/null)" = 0
dd if=/dev/urandom of="$tmp/pat" bs=1M count=4 status=none
dd if="$tmp/pat" of="/dev/$blk" bs=1M seek=100 oflag=direct status=none
cmp <(dd if="/dev/$blk" bs=1M skip=100 count=4 iflag=direct status=none) "$tmp/pat"
check "4 MiB at 100 MiB read back identical" test $? = 0

# QoS measures a PCIe DPU's load from its disks' block-layer counters
check "tenant acme gets QoS class be" quiet "$DPUCTL" tenant set "$dev/acme" qos be
fio --allow_file_create=0 --name=load --filename="/dev/$blk" --rw=randread --bs=4k \
	--ioengine=io_uring --iodepth=8 --direct=1 --time_based --runtime=4 >/dev/null 2>&1 &
lf=$!
load_seen() { "$DPUCTL" -j dev show "$dev" | jq -e '.[0].io_load_iops > 100' >/dev/null; }
check "  fio on the virtio disk: the DPU's load is measured (within 3 s)" wait_until 3 load_seen
wait $lf
check "  class cleared" quiet "$DPUCTL" tenant set "$dev/acme" qos none

# unbound: the virtio driver lets go of the PCI function, and comes back
echo "$pci" > /sys/bus/pci/drivers/virtio-pci/unbind
check "virtio-pci unbound: state unbound" wait_state "$dev" "$idx" unbound 5
r=$("$DPUCTL" -j fn show "$dev/$idx" | jq -r '.[0] | "\(.reason)|\(.blkdev // "")"')
check "with the reason, no disk ($r)" test "$r" = "no driver bound to $pci|"
echo "$pci" > /sys/bus/pci/drivers/virtio-pci/bind
check "bound again: ready" wait_state "$dev" "$idx" ready 5
blk=$("$DPUCTL" -j fn show "$dev/$idx" | jq -r '.[0].blkdev')
check "with its disk again ($blk), data intact" cmp <(dd if="/dev/$blk" bs=1M skip=100 count=4 iflag=direct status=none) "$tmp/pat"

# ------------------------------------------------------------ net
read -r na nda < <("$DPUCTL" -j fn add dev "$dev" type net mac 02:00:00:00:aa:01 tenant acme wait | jq -r '.[0] | "\(.index) \(.netdev)"')
read -r nb ndb < <("$DPUCTL" -j fn add dev "$dev" type net mac 02:00:00:00:aa:02 tenant acme wait | jq -r '.[0] | "\(.index) \(.netdev)"')
check "two NICs ready ($nda, $ndb)" test -n "$nda" -a -n "$ndb" -a "$nda" != null -a "$ndb" != null
check "$nda has the MAC asked for" test "$(cat "/sys/class/net/$nda/address")" = 02:00:00:00:aa:01
check "sysfs: nic -> $nda" test "$(basename "$(readlink "/sys/class/dpu_fn/${dev}fn$na/nic")")" = "$nda" ||
	ls -l "/sys/class/dpu_fn/${dev}fn$na/"
check "$nda is a virtio_net NIC" test "$(basename "$(readlink "/sys/class/net/$nda/device/driver")")" = virtio_net
ip netns add dpu_pa && ip netns add dpu_pb &&
	ip link set "$nda" netns dpu_pa && ip link set "$ndb" netns dpu_pb &&
	ip -n dpu_pa addr add 10.201.0.1/24 dev "$nda" && ip -n dpu_pb addr add 10.201.0.2/24 dev "$ndb" &&
	ip -n dpu_pa link set "$nda" up && ip -n dpu_pb link set "$ndb" up
check "ping between the two NIC functions" ip netns exec dpu_pa ping -c 3 -W 2 -q 10.201.0.2
check "a NIC in a pod namespace is reported by netns id" test "$("$DPUCTL" -j fn show "$dev/$na" | jq -r '.[0].netns_id != null')" = true

# ------------------------------------------------------------ refusals
# NIC limits: accepted, the host enforces them (dpud's BPF); the DPU's
# own commands never carry them (the emulator would refuse them)
check "a NIC limit is accepted (the host enforces it)" quiet "$DPUCTL" fn set "$dev/$na" tx-bps 10M
check "  and reported as the function's" \
	test "$("$DPUCTL" -j fn show "$dev/$na" | jq -r '.[0].limits["tx-bps"]')" = 10000000
check "a tenant NIC limit is accepted" quiet "$DPUCTL" tenant add "$dev/netty" tx-bps 10M
check "  and removed" quiet "$DPUCTL" fn set "$dev/$na" tx-bps 0
out=$("$DPUCTL" fn set "$dev/$idx" iops 2000000 2>&1)
check "an IOPS limit above the DPU's maximum is refused: $out" grep -q "limit above the highest rate this DPU enforces" <<<"$out"
"$DPUCTL" tenant add "$dev/l1" >/dev/null && "$DPUCTL" tenant add "$dev/l2" parent l1 >/dev/null &&
	"$DPUCTL" tenant add "$dev/l3" parent l2 >/dev/null && "$DPUCTL" tenant add "$dev/l4" parent l3 >/dev/null
out=$("$DPUCTL" tenant add "$dev/l5" parent l4 2>&1)
check "a fifth tenant level is refused: $out" grep -q "tenant hierarchy deeper than this DPU enforces" <<<"$out"
for t in l4 l3 l2 l1; do "$DPUCTL" tenant del "$dev/$t"; done

# ------------------------------------------------------------ provisioning
read -r q qb < <("$DPUCTL" -j fn add dev "$dev" type blk size 64M tenant acme queues 1 wait | jq -r '.[0] | "\(.index) \(.blkdev)"')
check "a disk asked with 1 queue has 1 blk-mq queue ($(ls /sys/block/$qb/mq 2>/dev/null | wc -l); 2 vCPUs)" test "$(ls "/sys/block/$qb/mq" | wc -l)" = 1
check "and says so" test "$("$DPUCTL" -j fn show "$dev/$q" | jq -r '.[0].queues')" = 1
read -r m mn < <("$DPUCTL" -j fn add dev "$dev" type net tenant acme mtu 9000 wait | jq -r '.[0] | "\(.index) \(.netdev)"')
check "a NIC asked with MTU 9000 has it ($mn: $(cat /sys/class/net/$mn/mtu 2>/dev/null))" test "$(cat "/sys/class/net/$mn/mtu")" = 9000
out=$("$DPUCTL" fn add dev "$dev" type blk size 64M tenant acme queues 9 2>&1)
check "9 queues refused: $out" grep -q "more queues than this DPU offers" <<<"$out"
out=$("$DPUCTL" fn add dev "$dev" type net tenant acme mtu 9001 2>&1)
check "MTU 9001 refused: $out" grep -q "MTU out of the range this DPU offers" <<<"$out"
out=$("$DPUCTL" fn add dev "$dev" type net tenant acme queues 2 wait 2>&1)
check "a NIC with 2 queues: the DPU refuses in its words: $out" grep -q "this DPU gives a NIC function one queue pair" <<<"$out"
for x in $("$DPUCTL" -j fn show "$dev" | jq -r ".[] | select(.index != $idx and .index != $na and .index != $nb) | .index"); do
	"$DPUCTL" fn del "$dev/$x"
done

# ------------------------------------------------------------ delete
for f in $na $nb; do check "fn del $dev/$f" quiet "$DPUCTL" fn del "$dev/$f"; done
t0=$(date +%s%N)
check "fn del $dev/$idx (under no load)" quiet "$DPUCTL" fn del "$dev/$idx"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
echo "# delete to slot free: $ms ms"
check "delete returns once the slot is free, well before an attention button's 5 s ($ms ms)" test $ms -lt 3000
check "the DPU has no function left" test -z "$(emu_fns)"
check "the PCI function is gone" test ! -e "/sys/bus/pci/devices/$pci"
check "the disk is gone" test ! -e "/sys/block/$blk"

sleep 0.5
check "events: new, ready (FN_SET state ready), del of the disk" \
	sh -c "jq -s -e '[.[] | select(.index == $idx)] | (map(.event) | index(\"new\")) != null and (map(select(.state == \"ready\")) | length) > 0 and (map(.event) | index(\"del\")) != null' '$tmp/events' >/dev/null"
check "uevents: add, change with DPU_FN_STATE=ready and unbound, remove of ${dev}fn$idx" \
	sh -c "grep -q '^add@.*${dev}fn$idx ' '$tmp/uevents' && grep -q '^change@.*${dev}fn$idx .*DPU_FN_STATE=ready' '$tmp/uevents' && grep -q '^change@.*${dev}fn$idx .*DPU_FN_STATE=unbound' '$tmp/uevents' && grep -q '^remove@.*${dev}fn$idx ' '$tmp/uevents'" ||
	{ echo "# uevents seen:"; head -c 3000 "$tmp/uevents" | sed 's/^/#   /'; }

# ------------------------------------------------------------ batch of 32
n=${DPU_EMU_SLOTS:-0}
if [ "$n" -ge 32 ]; then
	t0=$(date +%s%N)
	out=$("$DPUCTL" -j fn add dev "$dev" type blk size 16M tenant acme count 32 2>"$tmp/batch.err")
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	ready=$(jq '[.[] | select(.state == "ready")] | length' <<<"$out" 2>/dev/null)
	echo "# 32 attaches through io_uring: $ready ready in $ms ms"
	check "a batch of 32 through io_uring: all ready" test "${ready:-0}" = 32 ||
		{ cat "$tmp/batch.err"; jq -c '.[] | select(.state != "ready")' <<<"$out"; "$DPUCTL" fn show "$dev" | grep -v ready; }
	disks=$(jq -r '.[].blkdev' <<<"$out" | sort -u | grep -c '^vd')
	check "32 distinct virtio disks" test "$disks" = 32
	check "the DPU has 32 functions in 32 slots" test "$(emu_fns | wc -w)" = 32
	t0=$(date +%s%N)
	pids=()
	for i in $(jq -r '.[].index' <<<"$out"); do "$DPUCTL" fn del "$dev/$i" & pids+=($!); done
	wait "${pids[@]}"
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	echo "# 32 deletes in parallel: $ms ms"
	check "32 deletes in parallel leave the DPU empty" wait_emu_empty 10
	check "and no function on the host" test "$("$DPUCTL" -j fn show "$dev" | jq length)" = 0
else
	echo "ok $((n_test + 1)) batch of 32 # SKIP: $n slots (scripts/vm --dpu-emu 32)"
	n_test=$((n_test + 1))
fi
check "tenant del $dev/acme" quiet "$DPUCTL" tenant del "$dev/acme"
finish
