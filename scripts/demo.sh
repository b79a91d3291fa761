#!/usr/bin/env bash
# make demo: boot a guest with dpu.ko and dpu_sim.ko, create a simulated DPU
# and show it with dpuctl (text and JSON), then remove it.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
cd "$repo"

"$here/deps.sh"
"$here/kernel.sh"
make -s modules user

exec "$here/vm" -t 300 -- bash -c '
set -e
dpuctl=user/build/bin/dpuctl
say() { printf "\n\$ %s\n" "$*"; }
$dpuctl monitor > /tmp/events.txt &
say "echo 0 > /sys/bus/dpu_sim/new_device      # a simulated DPU appears"
echo 0 > /sys/bus/dpu_sim/new_device
say "dpuctl dev show"
$dpuctl dev show
say "dpuctl tenant add dpu0/acme bps 200M      # tenants own functions and share limits"
$dpuctl tenant add dpu0/acme bps 200M
say "dpuctl tenant add dpu0/globex"
$dpuctl tenant add dpu0/globex
say "dpuctl fn add dev dpu0 type blk size 1G tenant acme wait"
$dpuctl fn add dev dpu0 type blk size 1G tenant acme wait
say "dpuctl fn add dev dpu0 type net tenant acme wait"
$dpuctl fn add dev dpu0 type net tenant acme wait
say "dpuctl fn show"
$dpuctl fn show
say "dpuctl -j -p fn show dpu0/0"
$dpuctl -j -p fn show dpu0/0
say "the disk is a real block device: write 4 MiB, read it back"
head -c 4M /dev/urandom > /tmp/data
dd if=/tmp/data of=/dev/dpu0b0 bs=1M oflag=direct status=none
dd if=/dev/dpu0b0 bs=1M count=4 iflag=direct status=none | cmp - /tmp/data && echo "read back: identical"
say "fio 4k randread, io_uring, 5 s"
fio --name=demo --filename=/dev/dpu0b0 --rw=randread --bs=4k --ioengine=io_uring \
	--iodepth=32 --direct=1 --time_based --runtime=5 --size=256M 2>&1 | grep -E "IOPS=|lat.*avg" | head -3
say "dpuctl fn set dpu0/0 iops 2000      # throttle the disk, live"
$dpuctl fn set dpu0/0 iops 2000
say "fio 4k randread again, 5 s: held at the limit"
fio --name=demo --filename=/dev/dpu0b0 --rw=randread --bs=4k --ioengine=io_uring \
	--iodepth=32 --direct=1 --time_based --runtime=5 --size=256M 2>&1 | grep -E "IOPS=" | head -1
$dpuctl fn set dpu0/0 iops 0 >/dev/null
say "dpuctl tenant set dpu0/globex iops 3k; dpuctl fn set dpu0/0 tenant globex   # move it, live"
$dpuctl tenant set dpu0/globex iops 3k
$dpuctl fn set dpu0/0 tenant globex
say "fio 4k randread, 5 s: now under globex s limit"
fio --name=demo --filename=/dev/dpu0b0 --rw=randread --bs=4k --ioengine=io_uring \
	--iodepth=32 --direct=1 --time_based --runtime=5 --size=256M 2>&1 | grep -E "IOPS=" | head -1
say "dpuctl -s tenant show      # per-tenant counters: I/Os, bytes, time held back"
$dpuctl -s tenant show
say "the NIC and its representor, pinging across two network namespaces"
ip netns add tenant; ip netns add dpuside
ip link set dpu0n1 netns tenant; ip link set dpu0r1 netns dpuside
ip -n tenant addr add 10.99.0.1/24 dev dpu0n1; ip -n tenant link set dpu0n1 up
ip -n dpuside addr add 10.99.0.2/24 dev dpu0r1; ip -n dpuside link set dpu0r1 up
ip netns exec tenant ping -c 2 -q 10.99.0.2 | tail -2
say "dpuctl tenant del dpu0/globex     (it still has a function: refused)"
$dpuctl tenant del dpu0/globex || true
say "dpuctl fn del dpu0/0; dpuctl fn del dpu0/1"
$dpuctl fn del dpu0/0
$dpuctl fn del dpu0/1
$dpuctl tenant del dpu0/globex
$dpuctl tenant del dpu0/acme
say "dpuctl dev show dpu7   (no such device: the kernel says why)"
$dpuctl dev show dpu7 || true
sleep 0.3; kill %1
say "what dpuctl monitor saw"
cat /tmp/events.txt
say "rmmod dpu_sim dpu"
echo 0 > /sys/bus/dpu_sim/del_device
rmmod dpu_sim dpu
echo "demo done"
'
