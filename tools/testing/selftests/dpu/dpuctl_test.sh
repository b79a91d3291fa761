#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# dpuctl against the live module: text and JSON agree with sysfs, errors
# carry the kernel's extack text and the right exit status.
source "$(dirname "$0")/lib.sh"
require

echo 4000 > $SIM/new_device
echo 4001 > $SIM/new_device
a=$(sim_dpu 4000)
b=$(sim_dpu 4001)
trap 'echo 4000 > $SIM/del_device; echo 4001 > $SIM/del_device' EXIT

out=$("$DPUCTL" dev show)
check "text lists $a with its parent" \
	grep -qx "$a: index ${a#dpu} backend sim bus dpu_sim parent dpu_sim4000 numa -1" <<<"$out"
check "text lists $b" grep -q "^$b: .* parent dpu_sim4001" <<<"$out"
check "text has one line per class device" \
	test "$(grep -c "^dpu[0-9]*: " <<<"$out")" -eq "$(ls /sys/class/dpu | wc -l)"

json=$("$DPUCTL" -j dev show)
check "json is an array with every device" \
	test "$(jq length <<<"$json")" -eq "$(ls /sys/class/dpu | wc -l)"
check "json fields of $a" \
	test "$(jq -r ".[] | select(.dev==\"$a\") | \"\(.index) \(.backend) \(.bus) \(.parent)\"" <<<"$json")" \
	= "${a#dpu} sim dpu_sim dpu_sim4000"
check "pretty json parses the same" \
	test "$("$DPUCTL" -j -p dev show | jq -c .)" = "$(jq -c . <<<"$json")"

one=$("$DPUCTL" -j dev show "$b")
check "dev show DEV returns one object" test "$(jq -r '.[0].dev' <<<"$one")" = "$b"
check "prefix matching (d sh)" test "$("$DPUCTL" d sh "$b")" = "$("$DPUCTL" dev show "$b")"

err=$("$DPUCTL" dev show dpu99999 2>&1)
rc=$?
check "missing device exits 1" test $rc -eq 1
check "missing device prints the extack" \
	test "$err" = "dpuctl: dev show dpu99999: no DPU device with this name (ENODEV)"

err=$("$DPUCTL" dev show dpu0123456789012345 2>&1)
check "over-long name named in the error" grep -q "longer than 15 characters" <<<"$err"

"$DPUCTL" frob >/dev/null 2>&1
check "unknown object exits 2" test $? -eq 2
"$DPUCTL" dev frob >/dev/null 2>&1
check "unknown command exits 2" test $? -eq 2

echo 4001 > $SIM/del_device
check "deleted device gone from dpuctl" \
	bash -c "! '$DPUCTL' dev show | grep -q 'parent dpu_sim4001$'"
echo 4001 > $SIM/new_device
finish
