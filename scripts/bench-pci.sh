#!/usr/bin/env bash
# make bench, PCI backend: in one guest beside the emulated DPU,
#  - attach latency: dpuctl fn add ... wait (request to a usable virtio
#    disk) next to a plain QMP device_add of the same disk into a free slot
#    (request to the disk in /sys/block), medians of ROUNDS;
#  - detach latency: dpuctl fn del (request to the slot free on the DPU)
#    next to a plain QMP device_del (until the disk is gone: pciehp's
#    attention button);
#  - limit accuracy: fio IOPS against a function limit enforced by the
#    emulated hardware (QEMU throttle groups) and by the simulator's
#    software buckets.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
cd "$repo"
"$here/deps.sh" >/dev/null
"$here/kernel.sh" >/dev/null
make -s modules user
make -s -C tools/testing/dpu-emu

exec "$here/vm" --dpu-emu 4 -m 2048 -t 900 -- env ROUNDS="${ROUNDS:-5}" bash -c '
set -e
dpuctl=user/build/bin/dpuctl
emu() { $DPU_EMU ctl "$@" >/dev/null; }
ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
median() { sort -n | awk "{ a[NR] = \$1 } END { print a[int((NR + 1) / 2)] }"; }
dev=$(for d in /sys/class/dpu/*; do [ "$(cat $d/backend)" = pci ] && basename $d; done)
$dpuctl tenant add $dev/bench >/dev/null
: > /tmp/a; : > /tmp/ar; : > /tmp/d; : > /tmp/dr
for r in $(seq $ROUNDS); do
	t=$(date +%s%N)
	i=$($dpuctl -j fn add dev $dev type blk size 1G tenant bench wait | jq -r ".[0].index")
	ms $t >> /tmp/a
	t=$(date +%s%N)
	$dpuctl fn del $dev/$i
	ms $t >> /tmp/d
	n=$(ls /sys/block | grep -c ^vd || true)
	t=$(date +%s%N)
	emu raw-add 3
	while [ "$(ls /sys/block | grep -c ^vd || true)" = "$n" ]; do sleep 0.005; done
	ms $t >> /tmp/ar
	sleep 0.5
	t=$(date +%s%N)
	emu raw-del 3
	while [ "$(ls /sys/block | grep -c ^vd || true)" != "$n" ]; do sleep 0.005; done
	ms $t >> /tmp/dr
	sleep 0.5
done
a=$(median < /tmp/a); ar=$(median < /tmp/ar); d=$(median < /tmp/d); dr=$(median < /tmp/dr)
echo "| attach, request to usable disk (median of $ROUNDS) | $a ms | plain QMP device_add: $ar ms | $(awk -v a=$a -v b=$ar "BEGIN { printf \"%.2fx\", a / b }") (goal <= 1.2x) |"
echo "| detach, request to slot free (median of $ROUNDS) | $d ms | plain QMP device_del: $dr ms | goal <= 1500 ms, no attention button |"

fio_iops() {
	fio --name=acc --filename=/dev/$1 --rw=randread --bs=4k --ioengine=io_uring --iodepth=16 --direct=1 \
		--time_based --ramp_time=2 --runtime=8 --output-format=json | jq -r ".jobs[0].read.iops | floor"
}
b=$($dpuctl -j fn add dev $dev type blk size 1G tenant bench wait | jq -r ".[0] | \"\(.index) \(.blkdev)\"")
echo 7 > /sys/bus/dpu_sim/new_device
sdev=$(ls /sys/bus/dpu_sim/devices/dpu_sim7/dpu/)
$dpuctl tenant add $sdev/bench >/dev/null
s=$($dpuctl -j fn add dev $sdev type blk size 1G tenant bench wait | jq -r ".[0] | \"\(.index) \(.blkdev)\"")
for lim in 500 2000; do
	$dpuctl fn set $dev/${b%% *} iops $lim >/dev/null
	$dpuctl fn set $sdev/${s%% *} iops $lim >/dev/null
	h=$(fio_iops ${b##* }); w=$(fio_iops ${s##* })
	echo "| limit accuracy at $lim IOPS | emulated DPU (QEMU throttle group): $h ($(awk -v v=$h -v t=$lim "BEGIN { printf \"%+.1f%%\", (v - t) / t * 100 }")) | simulator (software buckets): $w ($(awk -v v=$w -v t=$lim "BEGIN { printf \"%+.1f%%\", (v - t) / t * 100 }")) | fio 4k randread, iodepth 16, 8 s after 2 s |"
done
$dpuctl fn del $dev/${b%% *}
$dpuctl fn del $sdev/${s%% *}
echo 7 > /sys/bus/dpu_sim/del_device
'
