#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Limits of a PCIe DPU, enforced by the "hardware" (the emulated DPU's QEMU
# throttle groups), measured with fio on the virtio disks: a function's IOPS
# and bytes/s within 3%, changed live, a tenant's limit shared by its
# functions, a parent tenant's above it (the hierarchy as chained throttle
# nodes), and a function moved live to another tenant. The unthrottled
# capacity is measured first: a limit the guest cannot reach is a SKIP.
source "$(dirname "$0")/lib.sh"
require_pci
command -v fio >/dev/null || { echo "# SKIP: fio missing"; exit $KSFT_SKIP; }

dev=$(pci_dpu)
tmp=$(mktemp -d)
cleanup() {
	for i in ${fa:-} ${fb:-}; do "$DPUCTL" fn del "$dev/$i" 2>/dev/null; done
	for t in acme globex org; do "$DPUCTL" tenant del "$dev/$t" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT

within() {	# within VALUE TARGET PERCENT
	awk -v v="$1" -v t="$2" -v p="$3" 'BEGIN { d = (v - t) / t * 100; exit !(d <= p && d >= -p) }'
}

# fio_run NAME DISK RW BS SECONDS: json in $tmp/NAME.json (2 s ramp)
fio_run() {
	fio --allow_file_create=0 --name="$1" --filename="/dev/$2" --rw="$3" --bs="$4" --size=128M \
		--ioengine=io_uring --iodepth=16 --direct=1 --time_based \
		--ramp_time=2 --runtime="$5" --output-format=json >"$tmp/$1.json" 2>&1
}

# fio_val NAME FIELD (iops | bw_bytes) of the read or write side
fio_val() {
	jq -r "[.jobs[0].read.$2, .jobs[0].write.$2] | max | floor" "$tmp/$1.json"
}

# fio_pair NAME: randread on both disks at once; $tmp/NAME.json holds the
# sum, NAMEa and NAMEb each disk's
fio_pair() {
	local p1 p2 sum
	fio_run "${1}a" "$da" randread 4k 6 & p1=$!
	fio_run "${1}b" "$db" randread 4k 6 & p2=$!
	wait $p1 $p2
	sum=$(( $(fio_val "${1}a" iops) + $(fio_val "${1}b" iops) ))
	echo "{\"jobs\":[{\"read\":{\"iops\":$sum,\"bw_bytes\":0},\"write\":{\"iops\":0,\"bw_bytes\":0}}]}" >"$tmp/$1.json"
}

# measure NAME TARGET PERCENT CAPACITY DESC: a check, or a SKIP when the
# guest could not reach the target unthrottled
measure() {
	local got
	got=$(fio_val "$1" "${6:-iops}")
	echo "# $5: measured $got, target $2, unthrottled $4"
	if [ "$(awk -v c="$4" -v t="$2" 'BEGIN { print (c < t * 1.2) }')" = 1 ]; then
		n_test=$((n_test + 1))
		echo "ok $n_test $5 # SKIP: the guest reached only $4 unthrottled"
		return 0
	fi
	check "$5: $got within $3% of $2" within "$got" "$2" "$3"
}

"$DPUCTL" tenant add "$dev/acme" >/dev/null
fa=$("$DPUCTL" -j fn add dev "$dev" type blk size 256M tenant acme wait | jq -r '.[0].index')
fb=$("$DPUCTL" -j fn add dev "$dev" type blk size 256M tenant acme wait | jq -r '.[0].index')
da=$("$DPUCTL" -j fn show "$dev/$fa" | jq -r '.[0].blkdev')
db=$("$DPUCTL" -j fn show "$dev/$fb" | jq -r '.[0].blkdev')
wait_blk "$da"; wait_blk "$db"
check "two disks of tenant acme ($da, $db)" test -b "/dev/$da" -a -b "/dev/$db"

fio_run cap "$da" randread 4k 4
cap=$(fio_val cap iops)
fio_run capbw "$da" randwrite 64k 4
capbw=$(fio_val capbw bw_bytes)
echo "# unthrottled: $cap IOPS (4k randread), $capbw bytes/s (64k randwrite)"

check "fn set iops 300" quiet "$DPUCTL" fn set "$dev/$fa" iops 300
fio_run f300 "$da" randread 4k 6
measure f300 300 3 "$cap" "the function's own 300 IOPS"

check "fn set iops 600, live" quiet "$DPUCTL" fn set "$dev/$fa" iops 600
fio_run f600 "$da" randread 4k 6
measure f600 600 3 "$cap" "after a live change, 600 IOPS"

check "fn set iops 0 bps 8M" quiet "$DPUCTL" fn set "$dev/$fa" iops 0 bps 8M
fio_run fbps "$da" randwrite 64k 6
measure fbps 8000000 3 "$capbw" "the function's own 8 MB/s" bw_bytes
check "fn set bps 0" quiet "$DPUCTL" fn set "$dev/$fa" bps 0

# a tenant's limit, shared by its two functions
check "tenant set acme iops 400" quiet "$DPUCTL" tenant set "$dev/acme" iops 400
fio_pair t
measure t 400 3 "$cap" "tenant acme's 400 IOPS over its two disks ($(fio_val ta iops) + $(fio_val tb iops))"

# a parent above it
check "tenant add org iops 250" quiet "$DPUCTL" tenant add "$dev/org" iops 250
check "tenant set acme parent org (the DPU chains the throttle nodes again)" quiet "$DPUCTL" tenant set "$dev/acme" parent org
fio_pair p
measure p 250 3 "$cap" "parent org's 250 IOPS above acme's 400"

# a function moved live to a tenant of its own
check "tenant add globex iops 500" quiet "$DPUCTL" tenant add "$dev/globex" iops 500
check "fn set tenant globex, live" quiet "$DPUCTL" fn set "$dev/$fb" tenant globex
fio_pair g
measure ga 250 3 "$cap" "the disk left under org keeps org's 250 IOPS"
measure gb 500 3 "$cap" "the moved disk gets globex's 500 IOPS"

out=$("$DPUCTL" tenant del "$dev/org" 2>&1)
check "tenant del org while acme is below it: refused ($out)" grep -q "tenant has child tenants" <<<"$out"
finish
