#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# rmmod with functions present and fio running completes, fio sees I/O
# errors, nothing is left behind. Reloads the modules afterwards.
source "$(dirname "$0")/lib.sh"
require
command -v fio >/dev/null || { echo "# SKIP: fio missing"; exit $KSFT_SKIP; }

echo 6003 > $SIM/new_device
dev=$(sim_dpu 6003)
read -r i0 b0 < <(fn_add "$dev" blk 64M acme)
read -r i1 b1 < <(fn_add "$dev" blk 64M acme)
read -r i2 n2 < <(fn_add "$dev" net - acme)
check "functions attached" test -b "/dev/$b0" -a -b "/dev/$b1" -a -e "/sys/class/net/$n2"

fio --name=unload --filename="/dev/$b0" --rw=randrw --bs=4k --ioengine=io_uring \
	--iodepth=32 --direct=1 --time_based --runtime=60 --output=/tmp/unload.out &
fio_pid=$!
exec 7<"/dev/$b1"	# keep the other disk open
sleep 2
start=$(date +%s)
timeout 60 rmmod dpu_sim
rc=$?
check "rmmod dpu_sim with I/O in flight succeeds" test $rc -eq 0
check "and completes within 60 s" test $(($(date +%s) - start)) -lt 60
timeout 30 tail --pid=$fio_pid -f /dev/null
wait $fio_pid
rc=$?
check "fio ended with I/O errors (exit $rc)" \
	test $rc -eq 1	# fio's exit for job errors: not a crash, a kill or bad usage
exec 7<&-
check "the disks are gone" test ! -e "/sys/block/$b0" -a ! -e "/sys/block/$b1"
check "the NIC is gone" test ! -e "/sys/class/net/$n2"
check "no function objects remain" test -z "$(ls /sys/class/dpu_fn 2>/dev/null)"
check "dpu unloads too" rmmod dpu
check "reload dpu" insmod "${DPU_KMOD:-$DPU_REPO/kmod}/dpu/dpu.ko"
check "reload dpu_sim" insmod "${DPU_KMOD:-$DPU_REPO/kmod}/dpu_sim/dpu_sim.ko"
finish
