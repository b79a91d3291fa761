#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A function's own limits, enforced by the simulated DPU: fio measures IOPS
# and bytes/s within 3% of the limit, bursts pass at once, a change under
# load takes effect within 100 ms, over-limit I/O is delayed and never
# failed; a NIC's tx limit holds iperf3 within 5%, its rx limit drops.
source "$(dirname "$0")/lib.sh"
require
command -v fio >/dev/null || { echo "# SKIP: fio missing"; exit $KSFT_SKIP; }

echo 6004 > $SIM/new_device
dev=$(sim_dpu 6004)
cleanup() {
	ip netns del dpu_la 2>/dev/null
	ip netns del dpu_lb 2>/dev/null
	echo 6004 > $SIM/del_device 2>/dev/null
}
trap cleanup EXIT
read -r idx blk < <(fn_add "$dev" blk 256M acme)

within() {	# within VALUE TARGET PERCENT
	awk -v v="$1" -v t="$2" -v p="$3" 'BEGIN { d = (v - t) / t * 100; exit !(d <= p && d >= -p) }'
}

fnset() {	# fnset ARGS...: of the disk under test; a refusal fails
	check "fn set $dev/$idx $*" quiet "$DPUCTL" fn set "$dev/$idx" "$@"
}

fio_rate() {	# fio_rate RW BS SECONDS -> "iops bytes/s errors"
	fio --name=lim --filename="/dev/$blk" --rw="$1" --bs="$2" --size=200M \
		--ioengine=io_uring --iodepth=16 --direct=1 --time_based \
		--runtime="$3" --output-format=json |
		jq -r ".jobs[0] | (if \"$1\" == \"randread\" then .read else .write end) as \$d |
			\"\(\$d.iops | floor) \(\$d.bw_bytes) \(.error)\""
}

for iops in 2000 10000; do
	fnset iops $iops
	read -r got _ errs < <(fio_rate randread 4k 10)
	echo "# iops limit $iops: fio measured $got"
	check "randread at the $iops IOPS limit: $got within 3%" within "$got" $iops 3
	check "and no I/O failed" test "$errs" = 0
done

fnset iops 0 bps 20M
read -r _ bw errs < <(fio_rate randwrite 64k 10)
echo "# bps limit 20000000: fio measured $bw"
check "randwrite at the 20 MB/s limit: $bw within 3%" within "$bw" 20000000 3
check "and no I/O failed" test "$errs" = 0

fnset bps 0 read-iops 1000
read -r got _ _ < <(fio_rate randwrite 4k 3)
check "a read limit leaves writes alone ($got write IOPS)" test "$got" -gt 3000
read -r got _ _ < <(fio_rate randread 4k 5)
check "and holds reads ($got IOPS)" within "$got" 1000 5
fnset read-iops 0

# burst: after idling, 1000 I/Os pass at once at a limit of 100 IOPS
fnset iops 100 iops-burst 1000
sleep 1
start=$(date +%s%N)
start0=$start
fio --name=burst --filename="/dev/$blk" --rw=randread --bs=4k --ioengine=io_uring \
	--iodepth=16 --direct=1 --number_ios=1000 --size=200M --output-format=json >/dev/null ||
	check "fio (burst) exits 0" false
ms=$(( ($(date +%s%N) - start) / 1000000 ))
check "a full bucket passes its burst of 1000 at once (${ms} ms, not 10 s)" test $ms -lt 3000
start=$(date +%s%N)
fio --name=burst2 --filename="/dev/$blk" --rw=randread --bs=4k --ioengine=io_uring \
	--iodepth=16 --direct=1 --number_ios=400 --size=200M --output-format=json >/dev/null ||
	check "fio (burst2) exits 0" false
ms=$(( ($(date +%s%N) - start) / 1000000 ))
total=$(( ($(date +%s%N) - start0) / 1000000 ))
# from a full bucket, 1400 I/Os at 100/s with a burst of 1000 need 4 s:
# more than the first run may take (3 s), so the second one was held back
# (what the second run waits depends on how long the first took)
check "then the rate holds: 1000 + 400 I/Os took ${total} ms (at least 4 s; 400 in ${ms} ms)" \
	test $total -gt 3900

# change under load
fnset iops 2000 iops-burst 0
fio --name=change --filename="/dev/$blk" --rw=randread --bs=4k --ioengine=io_uring \
	--iodepth=16 --direct=1 --time_based --runtime=6 --size=200M \
	--output-format=json > /tmp/change.json &
fio_pid=$!
sleep 2
reads() { awk '{ print $1 }' "/sys/block/$blk/stat"; }
rate() {	# completed reads per second over $1 s (default 0.5)
	local a b t0 t1
	t0=$(date +%s%N); a=$(reads)
	sleep "${1:-0.5}"
	t1=$(date +%s%N); b=$(reads)
	echo $(( (b - a) * 1000000000 / (t1 - t0) ))
}
before=$(rate)
# a small burst: what the bucket lets through at once does not blur the rate
fnset iops 5000 iops-burst 50
sleep 0.1
after=$(rate 0.5)
wait $fio_pid
echo "# under load: $before IOPS before, $after IOPS from 100 to 600 ms after the change"
check "before the change the old limit holds ($before)" within $before 2000 15
# a change landing later than ~180 ms drags this below 4750; above, a
# half-second sample taken by the shell in an emulated guest has read up to
# +6% (steady state is checked within 3% above): 10% is the bound here
check "from 100 ms after it the new one holds: -5% to +10% ($after)" \
	awk -v v="$after" 'BEGIN { exit !(v >= 4750 && v <= 5500) }'
check "no I/O failed across the change" test "$(jq '.jobs[0].error' /tmp/change.json)" = 0
fnset iops 0

err=$("$DPUCTL" fn set "$dev/$idx" tx-bps 1M 2>&1)
check "a blk function refuses net limits" \
	test "$err" = "dpuctl: fn set $dev/$idx: a blk function has no net limits (EINVAL)"
err=$("$DPUCTL" fn set "$dev/$idx" iops-burst 10 2>&1)
check "a burst needs a rate" grep -q "limit burst given without a rate (EINVAL)" <<<"$err"
err=$("$DPUCTL" fn set "$dev/$idx" iops 5 iops-burst 1000 2>&1)
check "a burst beyond a minute's worth is refused" grep -q "larger than a minute" <<<"$err"
fnset iops 3k
check "limits show in fn show -j" \
	test "$("$DPUCTL" -j fn show "$dev/$idx" | jq '.[0].limits.iops')" = 3000
fnset iops 0

# NIC tx limit with iperf3, rx limit drops
if ! command -v iperf3 >/dev/null; then
	check "NIC limits (iperf3 missing) # SKIP" true
	finish
fi
read -r nidx nic < <(fn_add "$dev" net - acme)
rep=${nic/n/r}
check "NIC and representor into two namespaces" netns_pair "$nic" "$rep" dpu_la dpu_lb 10.201.0 || finish
check "fn set $dev/$nidx tx-bps 12500000" quiet "$DPUCTL" fn set "$dev/$nidx" tx-bps 12500000	# 100 Mbit/s
ip netns exec dpu_lb iperf3 -s -1 -D -B 10.201.0.2 >/dev/null
sleep 0.5
bps=$(ip netns exec dpu_la iperf3 -c 10.201.0.2 -t 5 -J | jq '.end.sum_received.bits_per_second | floor')
echo "# iperf3 at a 100 Mbit/s tx limit: $((bps / 1000000)) Mbit/s"
check "NIC tx limit holds iperf3 within 5% ($bps bit/s)" within "$bps" 100000000 5

check "fn set $dev/$nidx tx-bps 0 rx-pps 10" quiet "$DPUCTL" fn set "$dev/$nidx" tx-bps 0 rx-pps 10
drops0=$(ip -n dpu_la -j -s link show "$nic" | jq '.[0].stats64.rx.dropped')
ip netns exec dpu_lb ping -c 50 -i 0.01 -q 10.201.0.1 >/dev/null 2>&1
drops1=$(ip -n dpu_la -j -s link show "$nic" | jq '.[0].stats64.rx.dropped')
check "over the rx limit packets are dropped and counted ($((drops1 - drops0)))" \
	test $((drops1 - drops0)) -gt 20
finish
