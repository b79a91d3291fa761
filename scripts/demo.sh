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
say "echo 0 > /sys/bus/dpu_sim/new_device"
echo 0 > /sys/bus/dpu_sim/new_device
say "ls /sys/class/dpu"
ls /sys/class/dpu
say "dpuctl dev show"
$dpuctl dev show
say "dpuctl -j -p dev show"
$dpuctl -j -p dev show
say "dpuctl dev show dpu7   (no such device: the kernel says why)"
$dpuctl dev show dpu7 || true
say "echo 0 > /sys/bus/dpu_sim/del_device; dpuctl dev show"
echo 0 > /sys/bus/dpu_sim/del_device
$dpuctl dev show
say "rmmod dpu_sim dpu"
rmmod dpu_sim dpu
echo "demo done"
'
