#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A simulated disk is a real block device: fio verifies data, bytes read
# back match, a filesystem works, discard frees memory, and a surprise
# removal during fio ends fio with I/O errors instead of a hang.
source "$(dirname "$0")/lib.sh"
require
command -v fio >/dev/null || { echo "# SKIP: fio missing"; exit $KSFT_SKIP; }

echo 6000 > $SIM/new_device
trap 'echo 6000 > $SIM/del_device 2>/dev/null' EXIT
dev=$(sim_dpu 6000)
sim_knob 6000 attach_delay_ms 5

read -r idx blk < <(fn_add "$dev" blk 256M acme)
check "disk attached ($blk)" test -b "/dev/$blk"
check "capacity is 256 MiB" test "$(blockdev --getsize64 "/dev/$blk")" -eq $((256 << 20))

out=$(fio --name=verify --filename="/dev/$blk" --rw=randwrite --bs=4k --size=64M \
	--ioengine=io_uring --iodepth=16 --direct=1 --verify=crc32c --do_verify=1 \
	--output-format=json 2>&1)
rc=$?
check "fio randwrite + crc32c verify passes" test $rc -eq 0
check "fio reports no errors" test "$(jq '.jobs[0].error' <<<"$out" 2>/dev/null)" = 0

head -c $((8 << 20)) /dev/urandom > /tmp/pattern
dd if=/tmp/pattern of="/dev/$blk" bs=1M seek=100 oflag=direct status=none
dd if="/dev/$blk" of=/tmp/readback bs=1M skip=100 count=8 iflag=direct status=none
check "bytes read back are the bytes written" cmp -s /tmp/pattern /tmp/readback
check "unwritten space reads as zeros" \
	test "$(dd if="/dev/$blk" bs=1M skip=200 count=1 iflag=direct status=none | tr -d '\0' | wc -c)" -eq 0

blkdiscard -o $((100 << 20)) -l $((8 << 20)) "/dev/$blk"
check "discarded range reads as zeros" \
	test "$(dd if="/dev/$blk" bs=1M skip=100 count=8 iflag=direct status=none | tr -d '\0' | wc -c)" -eq 0

mkfs.ext4 -q -F "/dev/$blk" && mkdir -p /mnt/dpu && mount "/dev/$blk" /mnt/dpu &&
	cp /tmp/pattern /mnt/dpu/p && umount /mnt/dpu && mount "/dev/$blk" /mnt/dpu
check "ext4 on the disk keeps a file across mounts" cmp -s /tmp/pattern /mnt/dpu/p
umount /mnt/dpu 2>/dev/null

"$DPUCTL" fn del "$dev/$idx"
check "deleting removes the block device" test ! -e "/sys/block/$blk"

# surprise removal with I/O in flight
read -r idx blk < <(fn_add "$dev" blk 64M acme)
fio --name=surprise --filename="/dev/$blk" --rw=randrw --bs=4k --ioengine=io_uring \
	--iodepth=32 --direct=1 --time_based --runtime=60 --output=/tmp/surprise.out &
fio_pid=$!
sleep 2
sim_knob 6000 surprise_remove "$idx"
start=$(date +%s)
timeout 30 tail --pid=$fio_pid -f /dev/null
check "fio ends within 30 s of the surprise removal" test $(($(date +%s) - start)) -lt 30
wait $fio_pid
rc=$?
# exit 1 with the I/O error in its report; not a crash, a kill or bad usage
check "fio reports the I/O errors (exit $rc)" \
	sh -c "[ $rc -eq 1 ] && grep -Eq 'err= *[1-9]' /tmp/surprise.out"
check "function state is gone" \
	test "$(cat /sys/class/dpu_fn/${dev}fn$idx/state)" = gone
check "a gone function can be deleted" "$DPUCTL" fn del "$dev/$idx"
finish
