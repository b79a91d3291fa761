#!/usr/bin/env bash
# make bench: benchmarks in a guest (2 vCPUs, TCG), printed as a Markdown
# table for the README. Absolute numbers are those of an emulated guest;
# ratios between rows measured in the same guest are what matter.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
cd "$repo"
"$here/deps.sh" >/dev/null
"$here/kernel.sh" >/dev/null
make -s modules user

exec "$here/vm" -t 1200 -- bash -c '
set -e
bench=user/build/bin/dpu-bench
dpuctl=user/build/bin/dpuctl
iops() {	# iops DEVICE -> 4k randread IOPS, io_uring, qd32, 10 s, after a fill
	fio --name=fill --filename=$1 --rw=write --bs=1M --size=256M --direct=1 \
		--ioengine=io_uring --iodepth=8 --output-format=terse >/dev/null
	fio --name=rr --filename=$1 --rw=randread --bs=4k --size=256M --direct=1 \
		--ioengine=io_uring --iodepth=32 --time_based --runtime=10 \
		--output-format=json | jq ".jobs[0].read.iops | floor"
}
echo 0 > /sys/bus/dpu_sim/new_device
echo 0 > /sys/kernel/debug/dpu_sim/dpu_sim0/attach_delay_ms
$dpuctl tenant add dpu0/bench >/dev/null
$dpuctl fn add dev dpu0 type blk size 1G tenant bench wait >/dev/null
modprobe null_blk nr_devices=1 memory_backed=1 gb=1 bs=4096 irqmode=0 queue_mode=2
sim=$(iops /dev/dpu0b0)
nb=$(iops /dev/nullb0)
sim2=$(iops /dev/dpu0b0)
nb2=$(iops /dev/nullb0)
# throttling accuracy: this project vs blk-throttle (io.max)
rr() {	# rr DEVICE [CGROUP] -> 4k randread IOPS over 10 s
	bash -c "[ -n \"$2\" ] && echo \$\$ > $2/cgroup.procs
		exec fio --name=acc --filename=$1 --rw=randread --bs=4k --size=256M \
		--direct=1 --ioengine=io_uring --iodepth=32 --time_based --runtime=10 \
		--output-format=json" | jq ".jobs[0].read.iops | floor"
}
cg=/sys/fs/cgroup/dpubench
echo +io > /sys/fs/cgroup/cgroup.subtree_control
mkdir -p $cg
acc=""
for l in 2000 10000; do
	$dpuctl fn set dpu0/0 iops $l >/dev/null
	ours=$(rr /dev/dpu0b0)
	$dpuctl fn set dpu0/0 iops 0 >/dev/null
	echo "$(cat /sys/block/nullb0/dev) riops=$l" > $cg/io.max
	peer=$(rr /dev/nullb0 $cg)
	echo "$(cat /sys/block/nullb0/dev) riops=max" > $cg/io.max
	acc="$acc| $l IOPS, 4k randread, 10 s | $ours ($(echo "scale=1; ($ours - $l) * 100 / $l" | bc)%) | blk-throttle io.max on null_blk: $peer ($(echo "scale=1; ($peer - $l) * 100 / $l" | bc)%) |
"
done
# overhead of charging I/O to the rate groups: an unlimited function of a
# tenant without limits, charging on and off (dpu_sim charge_io), alternated
p=/sys/module/dpu_sim/parameters/charge_io
on=0 off=0
for i in 1 2 3; do
	echo 0 > $p; off=$((off + $(rr /dev/dpu0b0)))
	echo 1 > $p; on=$((on + $(rr /dev/dpu0b0)))
done
on=$((on / 3)) off=$((off / 3))
ovh="| 4k randread IOPS, unlimited function, charging the rate groups on vs off (mean of 3x10 s each, alternated) | $on | off: $off ($(echo "scale=1; ($on - $off) * 100 / $off" | bc)%; goal within 3%) |
"
# a tenant limit shared by two functions running at once
$dpuctl tenant add dpu0/shared iops 4000 >/dev/null
$dpuctl fn add dev dpu0 type blk size 256M tenant shared wait >/dev/null
$dpuctl fn set dpu0/0 tenant shared >/dev/null
fio --name=fill --filename=/dev/dpu0b1 --rw=write --bs=1M --size=256M --direct=1 \
	--ioengine=io_uring --iodepth=8 --output-format=terse >/dev/null
rr /dev/dpu0b0 > /tmp/a & rr /dev/dpu0b1 > /tmp/b; wait
a=$(cat /tmp/a) b=$(cat /tmp/b)
jain=$(echo "scale=3; ($a + $b)^2 / (2 * ($a^2 + $b^2))" | bc)
fair="| tenant limited to 4000 IOPS, two functions at once (qd32 each, 10 s) | $a + $b = $((a + b)) ($(echo "scale=1; ($a + $b - 4000) * 100 / 4000" | bc)%) | Jain index $jain (goal >= 0.95) |
"
$dpuctl fn del dpu0/1
$dpuctl fn del dpu0/0
$dpuctl tenant del dpu0/shared
s=$(( (sim + sim2) / 2 )); n=$(( (nb + nb2) / 2 ))
echo "| benchmark | result | reference / goal |"
echo "| --- | --- | --- |"
echo "| 4k randread IOPS, sim blk function (fio io_uring, qd32, mean of 2x10 s) | $s | null_blk memory_backed=1: $n (ratio $(echo "scale=2; $s / $n" | bc); goal >= 0.90) |"
printf "%s" "$acc"
printf "%s" "$fair"
printf "%s" "$ovh"
set -- $($bench addel dpu0 500)
echo "| function add + delete over netlink (500 cycles) | $2 ops/s | |"
set -- $($bench attach dpu0 200)
echo "| function add until ready (disk created), one at a time over netlink (200) | $2 ops/s | attach_delay_ms=0 |"
# a hot-plug that takes 10 ms, as a simulated DPU does by default
echo 10 > /sys/kernel/debug/dpu_sim/dpu_sim0/attach_delay_ms
set -- $($bench attach dpu0 256); one=$2
set -- $($bench batch dpu0 256); batch=$2
echo "| 256 attaches until ready (10 ms hot-plug each), one at a time over netlink | $one ops/s | |"
echo "| 256 attaches until ready, one io_uring batch on /dev/dpu-ctl | $batch ops/s | $(echo "scale=1; $batch / $one" | bc)x the netlink rate (goal >= 5x) |"
echo 0 > /sys/kernel/debug/dpu_sim/dpu_sim0/attach_delay_ms
echo 4096 > /sys/kernel/debug/dpu_sim/dpu_sim0/fail_attach
set -- $($bench dump dpu0 4096)
echo "| dump of 4,096 functions | $2 ms | |"
'
