#!/usr/bin/env bash
# Tests of the guest runner scripts/vm itself: exit status propagation,
# output streaming, artifacts, timeouts, kernel problem detection (a module
# that WARNs, oopses or BUGs on load), and no processes left behind.
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
vm="$repo/scripts/vm --no-modules -q"
eval "$("$repo/scripts/kernel.sh" --env)"

n=0 pass=0 fail=0
t() {	# t DESCRIPTION COMMAND...
	local d=$1
	shift
	n=$((n + 1))
	if "$@"; then
		echo "ok $n $d"
		pass=$((pass + 1))
	else
		echo "not ok $n $d"
		fail=$((fail + 1))
	fi
}

make -s -C "$KDIR" M="$here/oops" modules >/dev/null 2>&1 ||
	{ echo "not ok 1 build the oops module"; echo "0 passed, 1 failed"; exit 1; }
oops=$here/oops/dpu_oops.ko
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

$vm -- true; t "true exits 0" test $? -eq 0
$vm -- sh -c 'exit 7'; t "exit status 7 is propagated" test $? -eq 7

out=$($vm -- sh -c 'echo marker-$((6 * 7)); uname -r')
t "guest output is streamed to stdout" grep -qx "marker-42" <<<"$out"
t "guest runs the cached kernel ($KVER)" grep -qx "$KVER" <<<"$out"

$vm --out "$tmp/run" -- sh -c 'echo artifact > "$DPU_VM_OUT/a.txt"; echo hi'
t "artifacts written in the guest appear in --out" test "$(cat "$tmp/run/a.txt" 2>/dev/null)" = artifact
t "the serial log is saved" grep -q "dpuvm: running the command" "$tmp/run/console.log"

for mode in warn oops bug; do
	msg=$($vm --insmod "$oops mode=$mode" -- true 2>&1)
	rc=$?
	t "a module that does '$mode' fails the run (rc 125)" test $rc -eq 125
	t "'$mode' is reported as a kernel problem" grep -q "kernel problem in the guest log" <<<"$msg"
done

start=$(date +%s)
msg=$($vm -t 15 -- sleep 600 2>&1)
rc=$?
t "a hung command times out with rc 124" test $rc -eq 124
t "the timeout message is clear" grep -q "timeout: the guest did not finish within 15 s" <<<"$msg"
t "the timeout is honoured (< 40 s)" test $(($(date +%s) - start)) -lt 40

$vm -- no-such-command-dpupool >/dev/null 2>&1
t "a missing command fails (rc 127)" test $? -eq 127

scripts_vm_bad=$("$repo/scripts/vm" --pcie-ports 99 -- true 2>&1)
t "bad options are refused" grep -q -- "--pcie-ports takes" <<<"$scripts_vm_bad"

sleep 1
t "no qemu process left behind" bash -c "! pgrep -f '[q]emu-system-x86_64.*dpuvm' >/dev/null"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
