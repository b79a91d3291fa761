#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Races with the data path and with unloading, for a bounded time
# (DPU_RACE_SECONDS, default 4 s per part):
#  - functions move between tenants (and get new limits) while fio writes
#    and verifies: no I/O error, every block reads back;
#  - FN_SET and TENANT_SET from several processes while dpu_sim is
#    unloaded: every command succeeds or fails with a clean message, rmmod
#    completes, nothing of the DPU is left, the modules load again.
# Memory and lock bugs these provoke are the debug kernel's to report.
source "$(dirname "$0")/lib.sh"
require
command -v fio >/dev/null || { echo "# SKIP: fio missing"; exit $KSFT_SKIP; }
secs=${DPU_RACE_SECONDS:-4}
KMOD=${DPU_KMOD:-$DPU_REPO/kmod}

echo 7200 > $SIM/new_device
dev=$(sim_dpu 7200)
"$DPUCTL" tenant add "$dev/a" iops 3000 >/dev/null
"$DPUCTL" tenant add "$dev/b" bps 40M >/dev/null
"$DPUCTL" tenant add "$dev/top" iops 20000 >/dev/null
read -r i0 b0 < <(fn_add "$dev" blk 64M a)
read -r i1 b1 < <(fn_add "$dev" blk 64M b)
check "disks attached" test -b "/dev/$b0" -a -b "/dev/$b1"

# ---- moves and limit changes under verified I/O
fio --name=mv --filename="/dev/$b0" --rw=randwrite --bs=4k --size=32M \
	--ioengine=io_uring --iodepth=16 --direct=1 --verify=crc32c \
	--do_verify=1 --eta=never --time_based --runtime="$secs" --output=/tmp/race-fio0.out &
p0=$!
fio --name=mv --filename="/dev/$b1" --rw=randrw --bsrange=512-256k --size=32M \
	--ioengine=io_uring --iodepth=8 --direct=1 --verify=crc32c \
	--do_verify=1 --eta=never --time_based --runtime="$secs" --output=/tmp/race-fio1.out &
p1=$!
moves=0 errs=0
end=$((SECONDS + secs))
while [ $SECONDS -lt $end ]; do
	for t in a b top; do
		"$DPUCTL" fn set "$dev/$i0" tenant $t >/dev/null 2>>/tmp/race-err || errs=$((errs + 1))
		"$DPUCTL" fn set "$dev/$i1" tenant $t iops $((1000 + RANDOM % 9000)) \
			>/dev/null 2>>/tmp/race-err || errs=$((errs + 1))
		"$DPUCTL" tenant set "$dev/$t" parent none >/dev/null 2>>/tmp/race-err ||
			errs=$((errs + 1))
		moves=$((moves + 3))
	done
	"$DPUCTL" tenant set "$dev/a" parent top >/dev/null 2>>/tmp/race-err || errs=$((errs + 1))
done
wait $p0; r0=$?
wait $p1; r1=$?
echo "# $moves moves and limit changes, $errs failed"
check "every move and change succeeded" test $errs -eq 0
check "fio (4k writes, verified) through the moves" test $r0 -eq 0
check "fio (mixed sizes, verified) through the moves" test $r1 -eq 0
check "no verify errors" sh -c '! grep -q "verify:" /tmp/race-fio0.out /tmp/race-fio1.out'

# ---- FN_SET / TENANT_SET racing rmmod
for k in 1 2 3 4 5 6; do fn_add "$dev" net - a >/dev/null; done
: > /tmp/race-set.log
setter() {	# setter INDEX...: until the DPU is gone
	local n=0 i
	while [ -e "/sys/class/dpu/$dev" ] && [ $n -lt 100000 ]; do
		for i in "$@"; do
			"$DPUCTL" fn set "$dev/$i" iops $((100 + n)) >/dev/null 2>>/tmp/race-set.log
			"$DPUCTL" tenant set "$dev/a" iops $((100 + n)) >/dev/null 2>>/tmp/race-set.log
		done
		n=$((n + 1))
	done
}
setter "$i0" "$i1" & s1=$!
setter "$i1" "$i0" & s2=$!
sleep 1
timeout 60 rmmod dpu_sim
rc=$?
wait $s1 $s2
check "rmmod dpu_sim with FN_SET and TENANT_SET in flight" test $rc -eq 0
check "the DPU is gone" test ! -e "/sys/class/dpu/$dev"
check "no function objects remain" test -z "$(ls /sys/class/dpu_fn 2>/dev/null)"
echo "# $(grep -c . /tmp/race-set.log) commands refused while the DPU went away"
# what the losers of the race were told: only these
bad=$(grep -v -E 'function is being removed|no DPU device with this name|no function with this index|no tenant with this name|DPU device is going away|^$' \
	/tmp/race-set.log | sort | uniq -c | head -n 5)
[ -n "$bad" ] && echo "$bad" | sed 's/^/# unexpected: /'
check "refused commands say why, cleanly" test -z "$bad"
check "reload dpu_sim" insmod "$KMOD/dpu_sim/dpu_sim.ko"
finish
