#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Co-location QoS of DPU I/O: while an online (LS) tenant's I/O is held back
# by its limit, a BE tenant is capped by the module itself (measured with
# fio); the cap is lifted once the online tenant is no longer held back;
# the BE tenant's own limits are reported unchanged. Then the same for a
# saturated DPU (its block I/O at 95% of the capacity it reports) that an
# online tenant uses; BE alone saturating it is not capped.
source "$(dirname "$0")/lib.sh"
require
command -v fio >/dev/null || { echo "# SKIP: fio missing"; exit $KSFT_SKIP; }
ID=4200
echo $ID > $SIM/new_device
D=$(sim_dpu $ID)
FIO=()
cleanup() {
	local p
	for p in "${FIO[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	"$DPUCTL" qos set io-be-iops 500 io-be-bps 20M >/dev/null 2>&1
	echo $ID > $SIM/del_device
}
trap cleanup EXIT

iops() {	# iops DEV SECONDS: 4k randread IOPS (integer)
	fio --name=q --filename="/dev/$1" --rw=randread --bs=4k --direct=1 \
		--ioengine=io_uring --iodepth=16 --time_based --runtime="$2" \
		--output-format=json 2>/dev/null | jq '.jobs[0].read.iops | floor'
}
capped() { [ "$("$DPUCTL" -j tenant show "$D/batch" | jq -r '.[0].qos_capped // false')" = "$1" ]; }

check "tenant web: 300 IOPS, class ls" \
	sh -c "\"$DPUCTL\" tenant add $D/web iops 300 qos ls >/dev/null"
check "tenant batch: no limits, class be" \
	sh -c "\"$DPUCTL\" tenant add $D/batch qos be >/dev/null"
read -r _ w <<<"$(fn_add "$D" blk 64M web)"
read -r _ b <<<"$(fn_add "$D" blk 64M batch)"
check "a disk for each ($w, $b)" test -b "/dev/$w" -a -b "/dev/$b"
check "policy: BE tenants capped at 400 IOPS while online I/O is held back" \
	sh -c "\"$DPUCTL\" qos set io-be-iops 400 io-be-bps 0 >/dev/null"

free=$(iops "$b" 2)
echo "# batch alone, nothing held back: $free IOPS"
check "nothing held back: batch is not capped" capped false

fio --name=w --filename="/dev/$w" --rw=randread --bs=4k --direct=1 \
	--ioengine=io_uring --iodepth=16 --time_based --runtime=30 >/dev/null 2>&1 &
FIO+=($!)
WEB=$!
# fio itself takes about a second to start in an emulated guest
check "web held back by its limit: batch capped within 3 s" wait_until 3 capped true
check "  qos show: online I/O held back, the decision caps BE I/O" \
	sh -c "\"$DPUCTL\" -j qos show | jq -e '.usage.io_online_held and .decision.io_cap' >/dev/null"
got=$(iops "$b" 4)
echo "# batch while web is held back: $got IOPS (cap 400, alone $free)"
if [ "$free" -lt 480 ]; then
	echo "# SKIP batch capped: the guest reached only $free IOPS unthrottled"
	check "batch capped at 400 IOPS # SKIP" true
else
	check "batch capped: $got within -5%..+5% of 400" \
		awk -v v="$got" 'BEGIN { exit !(v >= 380 && v <= 420) }'
fi
check "  its own limits are reported unchanged (none)" \
	sh -c "\"$DPUCTL\" -j tenant show $D/batch | jq -e '.[0].limits == null or .[0].limits == {}' >/dev/null"
kill "$WEB"; wait "$WEB" 2>/dev/null
check "web idle: the cap is lifted within 2 s" wait_until 2 capped false
again=$(iops "$b" 2)
echo "# batch after the cap: $again IOPS"
if [ "$free" -lt 600 ]; then
	echo "# SKIP uncapped again: the guest reached only $free IOPS unthrottled"
	check "batch above the cap again # SKIP" true
else
	check "batch above the cap again ($again > 500)" test "$again" -gt 500
fi

# --- a saturated DPU: the online tenant db has no limit to be held back by
devj() { "$DPUCTL" -j dev show "$D" | jq -e "$1" >/dev/null; }
check "tenant db: class ls, no limits" \
	sh -c "\"$DPUCTL\" tenant add $D/db qos ls >/dev/null"
read -r _ o <<<"$(fn_add "$D" blk 64M db)"
check "a disk for db ($o)" test -b "/dev/$o"
check "no capacity reported: dev show has none" devj '.[0].io_capacity_iops == null'
fio --name=o --filename="/dev/$o" --rw=randread --bs=4k --direct=1 \
	--ioengine=io_uring --iodepth=16 --time_based --runtime=40 >/dev/null 2>&1 &
FIO+=($!)
DB=$!
fio --name=b --filename="/dev/$b" --rw=randread --bs=4k --direct=1 \
	--ioengine=io_uring --iodepth=16 --time_based --runtime=2 >/dev/null 2>&1
check "capacity unknown: db and batch busy, the load is measured" \
	devj '.[0].io_load_iops > 0 and .[0].io_saturated == false'
check "  batch not capped" capped false
# db alone, the least of three looks over a second
load=
for i in 1 2 3; do
	sleep 0.3
	l=$("$DPUCTL" -j dev show "$D" | jq '.[0].io_load_iops // 0')
	[ -z "$load" ] || [ "$l" -lt "$load" ] && load=$l
done
echo "# db alone: $load IOPS on $D (least of three looks)"
capacity=$((load / 2))
check "capacity set to $capacity IOPS (half of what db reaches alone)" \
	sim_knob $ID io_capacity_iops $capacity
check "  dev show reports it" devj ".[0].io_capacity_iops == $capacity"
if [ "$free" -lt 1000 ] || [ "$load" -lt 1000 ]; then
	echo "# SKIP saturated: batch alone reached $free IOPS, db $load (capacity $capacity, BE cap 400)"
	for t in "DPU saturated" "qos show" "batch capped" "batch capped at 400" "cap lifted" "BE alone" "not capped"; do
		check "$t # SKIP" true
	done
else
	check "db busy on a saturated DPU: batch capped within 3 s" wait_until 3 capped true
	check "  dev show: saturated" devj '.[0].io_saturated == true'
	check "  qos show: io_saturated, not held back, the decision caps BE I/O" \
		sh -c "\"$DPUCTL\" -j qos show | jq -e '.usage.io_saturated and (.usage.io_online_held | not) and .decision.io_cap' >/dev/null"
	got=$(iops "$b" 4)
	echo "# batch on the saturated DPU: $got IOPS (cap 400, alone $free)"
	check "batch capped: $got within -5%..+5% of 400" \
		awk -v v="$got" 'BEGIN { exit !(v >= 380 && v <= 420) }'
	kill "$DB"; wait "$DB" 2>/dev/null
	check "db idle: the cap is lifted within 2 s" wait_until 2 capped false
	fio --name=b --filename="/dev/$b" --rw=randread --bs=4k --direct=1 \
		--ioengine=io_uring --iodepth=16 --time_based --runtime=3 >/dev/null 2>&1 &
	BF=$!
	FIO+=($BF)
	check "BE alone saturates the DPU (within 3 s)" \
		wait_until 3 devj '.[0].io_saturated == true'
	check "  and is not capped for it" \
		sh -c "\"$DPUCTL\" -j qos show | jq -e '(.usage.io_saturated | not) and (.decision.io_cap | not)' >/dev/null"
	wait "$BF" 2>/dev/null
fi
kill "$DB" 2>/dev/null; wait "$DB" 2>/dev/null
check "bad capacity knob value refused" \
	sh -c "! echo bogus > /sys/kernel/debug/dpu_sim/dpu_sim$ID/io_capacity_iops 2>/dev/null"
check "class cleared: never capped" \
	sh -c "\"$DPUCTL\" tenant set $D/batch qos none >/dev/null && \"$DPUCTL\" -j tenant show $D/batch | jq -e '.[0].qos == null and (.[0].qos_capped // false) == false' >/dev/null"
finish
