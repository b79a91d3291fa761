#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Faults of a PCIe DPU (the emulated DPU's fault injection): a refused
# attach, an attach past its deadline whose late hot-plug brings nothing up
# and leaks no slot, bad answers (a slot out of range, a wrong tag), a
# version the driver does not speak, the firmware killed (-9) mid-attach
# and for good, surprise removal under fio (repeated), and dpu_pci unloaded
# with a disk open and busy, then adopting it again.
source "$(dirname "$0")/lib.sh"
require_pci
command -v fio >/dev/null || { echo "# SKIP: fio missing"; exit $KSFT_SKIP; }

dev=$(pci_dpu)
KMOD=${DPU_KMOD:-$DPU_REPO/kmod}
tmp=$(mktemp -d)
timeout0=$(cat /sys/module/dpu/parameters/attach_timeout_ms)
cmd0=$(cat /sys/module/dpu_pci/parameters/cmd_timeout_ms)
cleanup() {
	echo "$timeout0" > /sys/module/dpu/parameters/attach_timeout_ms
	echo "$cmd0" > /sys/module/dpu_pci/parameters/cmd_timeout_ms 2>/dev/null
	emu attach-delay 0 >/dev/null
	emu version 1 >/dev/null
	emu start >/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
"$DPUCTL" tenant add "$dev/acme" >/dev/null

vdisks() { ls /sys/block | grep -c '^vd'; }

# fnadd [ARGS]: a blk function of acme, not waiting; prints its index
fnadd() {
	"$DPUCTL" -j fn add dev "$dev" type blk size 64M tenant acme "$@" | jq -r '.[0].index'
}

fn_field() {	# fn_field INDEX FIELD
	"$DPUCTL" -j fn show "$dev/$1" | jq -r ".[0].$2 // \"\""
}

# ------------------------------------------------------------ refused attach
emu fail-attach 1 >/dev/null
i=$(fnadd wait 2>/dev/null || "$DPUCTL" -j fn show "$dev" | jq -r '.[-1].index')
check "an attach the DPU refuses: failed" wait_state "$dev" "$i" failed 10
check "with the DPU's reason ($(fn_field "$i" reason))" test "$(fn_field "$i" reason)" = "injected attach failure"
check "and error -5" test "$(fn_field "$i" error)" = -5
check "delete it" quiet "$DPUCTL" fn del "$dev/$i"
check "nothing left on the DPU" wait_emu_empty 5

# ------------------------------------------------------------ deadline
n0=$(vdisks)
echo 3000 > /sys/module/dpu/parameters/attach_timeout_ms
emu attach-delay 4500 >/dev/null
i=$(fnadd)
check "an attach past its 3 s deadline: failed" wait_state "$dev" "$i" failed 8
check "reason: $(fn_field "$i" reason)" test "$(fn_field "$i" reason)" = "attach not complete after 3000 ms"
sleep 7	# the DPU plugs it at 4.5 s; the host sees it about 1 s later
check "the late hot-plug brought no disk up ($(vdisks) virtio disks, $n0 before)" test "$(vdisks)" = "$n0"
check "and the DPU's slot came back while the function is still failed" wait_emu_empty 8
check "the function is still failed" test "$(fn_state "$dev" "$i")" = failed
check "delete it" quiet "$DPUCTL" fn del "$dev/$i"
emu attach-delay 0 >/dev/null
echo "$timeout0" > /sys/module/dpu/parameters/attach_timeout_ms

# ------------------------------------------------------------ bad answers
emu bad-slot 1 >/dev/null
i=$(fnadd)
check "an answer with a slot out of range: failed" wait_state "$dev" "$i" failed 10
check "reason: $(fn_field "$i" reason)" grep -q "^the DPU reported slot [0-9]*, it has $DPU_EMU_SLOTS$" <<<"$(fn_field "$i" reason)"
check "error -71 (EPROTO)" test "$(fn_field "$i" error)" = -71
check "what the DPU did plug is let go of, no disk behind it" wait_emu_empty 10
check "no disk came up ($(vdisks))" test "$(vdisks)" = "$n0"
check "delete it" quiet "$DPUCTL" fn del "$dev/$i"

emu garbage 1 >/dev/null
i=$(fnadd)
check "an answer with a wrong tag: failed" wait_state "$dev" "$i" failed 10
check "reason: $(fn_field "$i" reason)" test "$(fn_field "$i" reason)" = "bad answer from the DPU (wrong tag)"
check "the driver logged it" grep -q "bad completion of entry" <(dmesg)
check "and let go of what was plugged" wait_emu_empty 10
check "delete it" quiet "$DPUCTL" fn del "$dev/$i"
check "an attach after the bad answers works" test "$(fnadd wait >/dev/null && echo ok)" = ok
for x in $("$DPUCTL" -j fn show "$dev" | jq -r '.[].index'); do "$DPUCTL" fn del "$dev/$x"; done

# ------------------------------------------------------------ version
emu version 2 >/dev/null
rmmod dpu_pci && insmod "$KMOD/dpu_pci/dpu_pci.ko"
check "a DPU of interface version 2: refused with a message" grep -q "DPU interface version 2\.[0-9]* is not supported (this driver speaks 1.x)" <(dmesg)
check "and no DPU device" test -z "$(pci_dpu)"
emu version 1 >/dev/null
rmmod dpu_pci && insmod "$KMOD/dpu_pci/dpu_pci.ko"
check "version 1 again: the DPU is back" wait_for_path "/sys/class/dpu/$(pci_dpu)"
dev=$(pci_dpu)
check "with its tenant adopted from the DPU" quiet "$DPUCTL" tenant show "$dev/acme"

# ------------------------------------------------------------ kill -9
gen0=$(emu status | sed -n 's/.* generation \([0-9]*\).*/\1/p')
emu attach-delay 2000 >/dev/null
i=$(fnadd)
sleep 0.5
check "firmware killed with -9 mid-attach, back after 1 s" quiet emu kill 1000
check "the attach completes after the restart" wait_state "$dev" "$i" ready 30
gen=$(emu status | sed -n 's/.* generation \([0-9]*\).*/\1/p')
check "firmware generation $gen (was $gen0)" test "$gen" -gt "$gen0"
check "one function on the host, one on the DPU" test "$("$DPUCTL" -j fn show "$dev" | jq length) $(emu_fns | wc -w)" = "1 1"
b=$(fn_field "$i" blkdev)
wait_blk "$b"
check "its disk $b reads" dd if="/dev/$b" of=/dev/null bs=1M count=8 iflag=direct status=none
check "delete it" quiet "$DPUCTL" fn del "$dev/$i"
check "nothing left on the DPU" wait_emu_empty 5
emu attach-delay 0 >/dev/null

echo 3000 > /sys/module/dpu_pci/parameters/cmd_timeout_ms
emu kill >/dev/null	# and it stays down
i=$(fnadd)
check "firmware down: the attach fails" wait_state "$dev" "$i" failed 10
check "reason: $(fn_field "$i" reason)" test "$(fn_field "$i" reason)" = "the DPU did not answer"
check "firmware started again" quiet emu start
check "what it did of the old command is undone: no function left on the DPU" wait_emu_empty 20
check "no disk behind the failed function ($(vdisks))" test "$(vdisks)" = "$n0"
check "delete it" quiet "$DPUCTL" fn del "$dev/$i"
echo "$cmd0" > /sys/module/dpu_pci/parameters/cmd_timeout_ms

# ------------------------------------------------------------ surprise removal
for round in 1 2 3; do
	read -r i b < <("$DPUCTL" -j fn add dev "$dev" type blk size 64M tenant acme wait | jq -r '.[0] | "\(.index) \(.blkdev)"')
	wait_blk "$b"
	timeout 60 fio --allow_file_create=0 --name=sr --filename="/dev/$b" --rw=randrw --bs=4k --size=32M \
		--ioengine=io_uring --iodepth=16 --direct=1 --time_based --runtime=30 \
		--output-format=json >"$tmp/sr.json" 2>&1 &
	fpid=$!
	sleep 1
	emu surprise "$i" >/dev/null
	check "round $round: removed under fio by the DPU: gone" wait_state "$dev" "$i" gone 15
	check "round $round: reason: $(fn_field "$i" reason)" grep -q "removed without a request" <<<"$(fn_field "$i" reason)"
	wait $fpid
	rc=$?
	check "round $round: fio ended with errors, not hung (exit $rc)" test $rc -ne 0 -a $rc -ne 124
	check "round $round: delete it" quiet "$DPUCTL" fn del "$dev/$i"
	check "round $round: slot free on the DPU" wait_emu_empty 10
done

# ------------------------------------------------------------ unload, adopt
read -r i b < <("$DPUCTL" -j fn add dev "$dev" type blk size 256M tenant acme wait | jq -r '.[0] | "\(.index) \(.blkdev)"')
"$DPUCTL" tenant set "$dev/acme" iops 5000 >/dev/null
wait_blk "$b"
fio --allow_file_create=0 --name=ul --filename="/dev/$b" --rw=randwrite --bs=16k --size=128M \
	--ioengine=io_uring --iodepth=8 --direct=1 --verify=crc32c --do_verify=1 \
	--output-format=json >"$tmp/ul.json" 2>&1 &
fpid=$!
sleep 2
t0=$(date +%s%N)
check "rmmod dpu_pci with the disk open and busy" rmmod dpu_pci
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check "in ${ms} ms, the DPU device gone" test -z "$(pci_dpu)"
check "the disk stays with virtio_blk" test -e "/sys/block/$b" ||
	{ ls -l /dev/vd* /sys/block/ 2>&1 | sed 's/^/# /'; }
insmod "$KMOD/dpu_pci/dpu_pci.ko"
dev=$(pci_dpu)
check "insmod again: the function is adopted" wait_state "$dev" "$i" ready 10
check "with its disk $b" test "$(fn_field "$i" blkdev)" = "$b"
check "and its tenant's limits" test "$("$DPUCTL" -j tenant show "$dev/acme" | jq -r '.[0].limits.iops')" = 5000
check "the driver said so" grep -q "adopted 1 functions present on the DPU" <(dmesg)
wait $fpid
check "fio across the reload: written and verified, no error" test "$(jq -r '.jobs[0].error' "$tmp/ul.json" 2>/dev/null)" = 0 ||
	sed 's/^/# /' "$tmp/ul.json" | head -20
check "delete it" quiet "$DPUCTL" fn del "$dev/$i"
check "nothing left on the DPU" wait_emu_empty 5
check "tenant del acme" quiet "$DPUCTL" tenant del "$dev/acme"
finish
