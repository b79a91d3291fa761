#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# dpuctl fn add/show/set/del and monitor against the live module, on a
# simulated DPU or (DPU_TEST_BACKEND=pci) the emulated PCIe DPU.
source "$(dirname "$0")/lib.sh"
backend_dpu 6002
[ "${DPU_TEST_BACKEND:-sim}" = pci ] || sim_knob 6002 attach_delay_ms 20
# functions belong to existing tenants
for t in acme globex batch; do
	check "tenant add $dev/$t" quiet "$DPUCTL" tenant add "$dev/$t"
done
mon=/tmp/dpuctl-monitor.$$
"$DPUCTL" monitor > "$mon" 2>&1 &
monpid=$!
"$DPUCTL" -j monitor > "$mon.json" 2>&1 &
monjpid=$!
trap 'kill $monpid $monjpid 2>/dev/null; backend_cleanup; rm -f $mon $mon.json' EXIT
sleep 0.5

out=$("$DPUCTL" fn add dev "$dev" type blk size 64M tenant acme wait)
check "fn add ... wait prints the ready function" \
	grep -q "^$dev/0: type blk state ready tenant acme size 64M blkdev $(backend_blk_re 0)" <<<"$out"
out=$("$DPUCTL" fn add dev "$dev" type net mac 02:00:00:00:00:07 tenant acme)
check "fn add without wait returns in state creating" grep -q "state creating" <<<"$out"
for i in $(seq 1 50); do [ "$(fn_state "$dev" 1)" = ready ] && break; sleep 0.1; done
j=$("$DPUCTL" -j fn show "$dev")
check "fn show -j lists both" test "$(jq length <<<"$j")" -eq 2
check "net function has its mac" test "$(jq -r '.[1].mac' <<<"$j")" = 02:00:00:00:00:07
check "size in bytes in JSON" test "$(jq -r '.[0].size' <<<"$j")" -eq $((64 << 20))

out=$("$DPUCTL" fn set "$dev/0" tenant globex)
check "fn set changes the tenant" grep -q "tenant globex" <<<"$out"

err=$("$DPUCTL" fn add dev "$dev" type blk size 4097 tenant acme 2>&1)
rc=$?
check "kernel extack reaches the user" \
	test "$err" = "dpuctl: fn add dev $dev: disk size is not a multiple of 4096 bytes (EINVAL)"
check "and exits 1" test $rc -eq 1
err=$("$DPUCTL" fn add dev "$dev" type blk size 4M tenant nosuch 2>&1)
check "fn add with an unknown tenant is refused" \
	test "$err" = "dpuctl: fn add dev $dev: no tenant with this name on this DPU (ENOENT)"
err=$("$DPUCTL" fn set "$dev/0" tenant nosuch 2>&1)
check "fn set to an unknown tenant is refused" \
	test "$err" = "dpuctl: fn set $dev/0: no tenant with this name on this DPU (ENOENT)"
check "and the function stays where it was" \
	test "$("$DPUCTL" -j fn show "$dev/0" | jq -r '.[0].tenant')" = globex
err=$("$DPUCTL" fn add dev "$dev" type blk tenant acme 2>&1)
check "missing size caught by dpuctl (exit 2)" test $? -eq 2
check "naming the problem" grep -q "needs a size" <<<"$err"
"$DPUCTL" fn add dev "$dev" type blk size 12Q tenant acme >/dev/null 2>&1
check "bad size unit refused (exit 2)" test $? -eq 2
if [ "${DPU_TEST_BACKEND:-sim}" = sim ]; then
	err=$("$DPUCTL" fn add dev "$dev" type blk size 4M tenant acme queues 2 2>&1)
	check "queues on a DPU that cannot set them: refused" \
		test "$err" = "dpuctl: fn add dev $dev: this DPU cannot set the number of queues (EOPNOTSUPP)"
fi
err=$("$DPUCTL" fn add dev "$dev" type blk size 4M tenant acme mtu 1500 2>&1)
check "an MTU for a disk: refused" \
	test "$err" = "dpuctl: fn add dev $dev: only a NIC function has an MTU (EINVAL)"
err=$("$DPUCTL" fn del "$dev/99" 2>&1)
check "deleting a missing function names it" \
	test "$err" = "dpuctl: fn del $dev/99: no function with this index on this DPU (ENOENT)"
err=$("$DPUCTL" fn del nonsense 2>&1)
check "bad DEV/INDEX refused" grep -q "is not DEV/INDEX" <<<"$err"

backend_fail_attach 1
err=$("$DPUCTL" fn add dev "$dev" type blk size 4M tenant acme wait 2>&1)
check "a failed attach fails fn add ... wait (exit 1)" test $? -eq 1
check "with the reason" grep -q "is failed: Input/output error" <<<"$err"

"$DPUCTL" fn del "$dev/0"
"$DPUCTL" fn del "$dev/1"
"$DPUCTL" fn del "$dev/2"

out=$("$DPUCTL" -j fn add dev "$dev" type net tenant batch count 8)
check "fn add ... count 8 attaches 8 in one io_uring batch, all ready" \
	test "$(jq '[.[] | select(.state == "ready" and .tenant == "batch")] | length' <<<"$out")" -eq 8
for i in $(jq '.[].index' <<<"$out"); do "$DPUCTL" fn del "$dev/$i"; done
backend_fail_attach 2
err=$("$DPUCTL" fn add dev "$dev" type blk size 4M tenant batch count 4 2>&1 >/dev/null)
check "a batch with failures exits 1 naming them" \
	test "$(grep -c "failed: Input/output error (EIO)" <<<"$err")" -eq 2
for i in 0 1 2 3; do "$DPUCTL" fn del "$dev/$i" 2>/dev/null; done
sleep 0.5
kill $monpid $monjpid
wait $monpid $monjpid 2>/dev/null
check "monitor saw the creation" grep -q "] new $dev/0: type blk state creating tenant acme" "$mon"
check "monitor saw it become ready" grep -q "] change $dev/0: type blk state ready" "$mon"
check "monitor saw the tenant change" grep -q "] change $dev/0: .*tenant globex" "$mon"
check "monitor saw the failure" grep -q "] change $dev/2: .*state failed.*error -5 (EIO)" "$mon"
check "monitor saw the deletion" grep -q "] del $dev/1: type net" "$mon"
check "monitor lines are timestamped" grep -qE '^\[20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z\] ' "$mon"
check "monitor -j prints one JSON object per line" \
	test "$(jq -s 'map(select(.event == "del")) | length' "$mon.json")" -eq 15
finish
