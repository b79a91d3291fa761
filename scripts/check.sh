#!/usr/bin/env bash
# make check: build everything, run every suite, print one final line
# "N passed, N failed" summing them all. Exit status non-zero on any failure.
#
# Suites: lint (W=1 + sparse, checkpatch), unit (cmocka, ASan/UBSan),
# kunit (UML), vm (the guest runner's own tests), provider (the autoscaler
# provider end to end), dpud (the node daemon in a guest), niclim (NIC
# limits in BPF), k8s (the kubelet plugins and the API server), selftests
# (kselftests in a guest), pci (the PCI backend against the emulated DPU,
# and core tests on it), debug (races, the fuzzer and the core
# selftests on the debug kernel: KASAN, lockdep, KMEMLEAK, UBSAN), install
# (packages built, linted, installed in a guest with systemd), e2e
# (make demo in a guest).
# DPU_CHECK_SUITES="unit selftests" runs a subset.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
cd "$repo"
logs=$repo/build/check
mkdir -p "$logs"

total_pass=0
total_fail=0
total_skip=0
summary=()

# record SUITE PASS FAIL [SKIP]: PASS counts passed checks only, a TAP
# "ok ... # SKIP" line counts as skipped
record() {
	local skip=${4:-0}
	total_pass=$((total_pass + $2))
	total_fail=$((total_fail + $3))
	total_skip=$((total_skip + skip))
	summary+=("$(printf '%-10s %4d passed, %d failed, %d skipped' "$1" "$2" "$3" "$skip")")
	echo "== $1: $2 passed, $3 failed, $skip skipped"
}

# TAP counts of a log (or of stdin): "PASS FAIL SKIP"
tap_counts() {
	awk '/^ok / { if ($0 ~ /# [Ss][Kk][Ii][Pp]/) s++; else p++ }
	     /^not ok / { f++ }
	     END { printf "%d %d %d\n", p, f, s }' "$@"
}

want() { [[ " ${DPU_CHECK_SUITES:-lint unit kunit vm provider dpud niclim k8s selftests pci debug install e2e} " == *" $1 "* ]]; }

step() { echo; echo "==== $*"; }

step "dependencies"
"$here/deps.sh" || { echo "deps failed"; echo "0 passed, 1 failed"; exit 1; }
"$here/kernel.sh" || { echo "kernel fetch failed"; echo "0 passed, 1 failed"; exit 1; }
eval "$("$here/kernel.sh" --env)"

step "build"
if ! make -s modules user selftests >"$logs/build.log" 2>&1; then
	cat "$logs/build.log"
	record build 0 1
	echo "${total_pass} passed, ${total_fail} failed"
	exit 1
fi
record build 1 0

if want lint; then
	step "lint: W=1 + sparse, checkpatch --strict"
	p=0 f=0
	make -s -C "$KDIR" M="$repo" W=1 C=2 modules >"$logs/kcheck.log" 2>&1
	if grep -E 'warning:|error:' "$logs/kcheck.log"; then f=$((f + 1)); else p=$((p + 1)); fi
	for file in $(git ls-files "kmod/*.[ch]" "kmod/*/*.[ch]" "include/*.h"); do
		if perl "$KSRC/scripts/checkpatch.pl" --strict --no-tree --quiet -f "$file" \
			>"$logs/checkpatch.log" 2>&1; then
			p=$((p + 1))
		else
			echo "checkpatch: $file"; cat "$logs/checkpatch.log"
			f=$((f + 1))
		fi
	done
	record lint $p $f
fi

if want unit; then
	step "unit: cmocka under ASan/UBSan"
	make -s -C user test >"$logs/unit.log" 2>&1
	rc=$?
	cat "$logs/unit.log"
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$logs/unit.log" | paste -sd+ | bc)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$logs/unit.log" | paste -sd+ | bc)
	p=${p:-0} f=${f:-0}
	[ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1
	record unit "$p" "$f"
fi

if want kunit; then
	step "kunit: UML"
	"$here/kunit.sh" >"$logs/kunit.log" 2>&1
	rc=$?
	grep -E '\[(PASSED|FAILED|SKIPPED)\]|Testing complete|ERROR|error:' "$logs/kunit.log"
	line=$(grep 'Testing complete. Ran' "$logs/kunit.log" | tail -n1)
	p=$(sed -n 's/.*passed: \([0-9]*\).*/\1/p' <<<"$line")
	f=$(sed -n 's/.*failed: \([0-9]*\).*/\1/p' <<<"$line")
	e=$(sed -n 's/.*errors: \([0-9]*\).*/\1/p' <<<"$line")
	p=${p:-0} f=$(( ${f:-0} + ${e:-0} ))
	[ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && { tail -n 30 "$logs/kunit.log"; f=1; }
	record kunit "$p" "$f"
fi

# tap_suite NAME CMD...: run a TAP-printing command, count its ok / not ok
# lines; a failing exit status without any "not ok" counts as one failure
tap_suite() {
	local name=$1 rc p f
	shift
	"$@" 2>&1 | tee "$logs/$name.log"
	rc=${PIPESTATUS[0]}
	read -r p f s < <(tap_counts "$logs/$name.log")
	[ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1
	record "$name" "$p" "$f" "$s"
}

if want vm; then
	step "vm: the guest runner's own tests"
	tap_suite vm tools/testing/vm/vm_test.sh
fi

if want provider; then
	step "provider: the autoscaler externalgrpc provider, driven by a grpcio client; a scale-up that boots a guest host"
	tap_suite provider sh -c '
		tools/testing/provider/run.sh user/build/bin/dpu-provider
		a=$?
		/usr/bin/python3 tools/testing/provider/host_test.py user/build/bin/dpu-provider || exit $?
		exit $a'
fi

if want dpud; then
	step "dpud: the node daemon in a guest (reconcile, restarts, kill -9, NIC setup, metrics, agent of dpu-provider, co-location QoS)"
	tap_suite dpud scripts/vm -t 1200 -- sh -c 'tools/testing/dpud/dpud_test.sh; a=$?; tools/testing/dpud/qos_test.sh; b=$?; tools/testing/dpud/agent_test.sh || exit $?; [ $a -eq 0 ] && exit $b; exit $a'
fi

if want niclim; then
	step "niclim: NIC limits in BPF (EDT + fq, policing) that dpud enforces for a DPU leaving them to the host; iperf3 rates, sharing, kill -9"
	tap_suite niclim sh -c 'make -s -C user bpf-check && echo "ok - the skeleton dpud embeds is made from nic_limits.bpf.c" || echo "not ok - the skeleton dpud embeds is stale"; scripts/vm -t 900 -- tools/testing/dpud/niclim_test.sh'
fi

if want k8s; then
	step "k8s: dpud as DRA driver and device plugin against a kubelet stand-in (upstream .protos) and an API-server stand-in; CDI, fio, kill -9, kubelet restarts"
	tap_suite k8s scripts/vm -t 900 -- tools/testing/k8s/k8s_test.py
fi

# selftest_count SUITE LOG VMRC TESTS...: sum the TAP lines of each test
# between its run_all.sh markers; a test that did not finish, or exited
# non-zero without a "not ok", and a guest verdict (oops, KASAN, lockdep,
# leak: rc >= 124) count as failures
selftest_count() {
	local suite=$1 log=$2 vmrc=$3 t out tp tf ts trc p=0 f=0 s=0
	shift 3
	for t in "$@"; do
		out=$(sed -n "/^# selftest: $t\$/,/^# exit: $t /p" "$log")
		read -r tp tf ts < <(tap_counts <<<"$out")
		trc=$(sed -n "s/^# exit: $t \([0-9]*\)$/\1/p" <<<"$out")
		if [ -z "$trc" ]; then
			echo "$suite: $t did not finish"; tf=$((tf + 1))
		elif [ "$trc" -eq 4 ] && [ "$tp$tf$ts" = "000" ]; then
			# the whole test skipped (kselftest exit 4): one skip
			echo "$suite: $t skipped: $(grep -m1 -i '# SKIP' <<<"$out")"; ts=1
		elif [ "$trc" -ne 0 ] && [ "$trc" -ne 4 ] && [ "$tf" -eq 0 ]; then
			echo "$suite: $t exited $trc"; tf=$((tf + 1))
		fi
		p=$((p + tp)) f=$((f + tf)) s=$((s + ts))
	done
	if [ "$vmrc" -ge 124 ]; then echo "$suite: guest verdict rc $vmrc"; f=$((f + 1)); fi
	record "$suite" $p $f $s
}

if want selftests; then
	step "selftests: kselftests in a guest"
	tests=$(make -s --no-print-directory -C tools/testing/selftests/dpu print-tests KSRC="$KSRC")
	scripts/vm -t 1500 -- tools/testing/selftests/dpu/run_all.sh $tests 2>&1 |
		tee "$logs/selftests.log"
	selftest_count selftests "$logs/selftests.log" "${PIPESTATUS[0]}" $tests
fi

if want pci; then
	step "pci: the PCI backend against the emulated DPU (32 hot-plug slots); core tests on it too"
	ptests="pci_fn.sh pci_limits.sh pci_faults.sh pci_dpud.sh dpuctl_fn.sh"
	if ! make -s -C tools/testing/dpu-emu >"$logs/dpu-emu-build.log" 2>&1; then
		cat "$logs/dpu-emu-build.log"
		record pci 0 1
	else
		scripts/vm --dpu-emu 32 -m 2048 -t 1500 -- env DPU_TEST_BACKEND=pci \
			tools/testing/selftests/dpu/run_all.sh $ptests 2>&1 | tee "$logs/pci.log"
		selftest_count pci "$logs/pci.log" "${PIPESTATUS[0]}" $ptests
	fi
fi

if want debug; then
	step "debug: races, fuzzer and core selftests on the debug kernel"
	# the core's tests; timing checks (limits) stay on the release kernel
	dtests="dpu_nl_test dpu_fn_test dpu_tenant_test dpu_uring_test dpu_ns_test dpu_race_test dpu_fuzz race.sh unload.sh qos_fn.sh"
	if ! "$here/debug-kernel.sh" >"$logs/debug-kernel.log" 2>&1; then
		tail -n 30 "$logs/debug-kernel.log"
		record debug 0 1
	else
		scripts/vm --debug-kernel -t 2400 -- env DPU_FUZZ_SECONDS=${DPU_FUZZ_SECONDS:-60} DPU_RACE_SECONDS=8 DPU_TEST_TIMEOUT=900 \
			tools/testing/selftests/dpu/run_all.sh $dtests 2>&1 | tee "$logs/debug.log"
		selftest_count debug "$logs/debug.log" "${PIPESTATUS[0]}" $dtests
	fi
fi

if want install; then
	step "install: make deb (lintian), make rpm, then apt, DKMS, modprobe and systemctl in a guest with systemd"
	tap_suite install tools/testing/install/install_test.sh
fi

if want e2e; then
	step "e2e: make demo"
	"$here/demo.sh" 2>&1 | tee "$logs/demo.log"
	rc=${PIPESTATUS[0]}
	p=0 f=0
	if [ "$rc" -eq 0 ]; then p=$((p + 1)); else f=$((f + 1)); fi
	for want in '^dpu0: index 0 backend sim bus dpu_sim parent dpu_sim0' \
		'^dpu0/0: type blk state ready tenant acme size 1G blkdev dpu0b0' \
		'^dpu0/1: type net state ready tenant acme' '^read back: identical' \
		'2 packets transmitted, 2 received' '\] del dpu0/1: type net' '^demo done' \
		'iops 2k iops-burst 200' 'read: IOPS=2[01][0-9][0-9],' \
		'^dpu0/globex: parent - depth 0 fns 1 children 0 limits iops 3k' \
		'read: IOPS=\(29[5-9][0-9]\|30[0-9][0-9]\),' 'tenant del dpu0/globex: tenant has functions (EBUSY)' \
		'\] new tenant dpu0/acme' \
		'^dpu0/[0-9]*: type blk state ready tenant initech size 64M' \
		'^dpud_headroom_reclaimable_cpu_cores [0-9]' \
		'^NodeGroupNodes dpu-16c: .*dpu-16c-0003 instanceCreating' \
		'^NodeGroupNodes dpu-16c: \(dpupool://dpu-16c-000[123] instanceRunning\(, \)\?\)\{3\}' \
		'^disposition = join' '^dpud_agent_registered 1' \
		'^template dpu-16c allocatable dpupool.io/dpu-blk: 409[0-9]' \
		'^template dpu-16c allocatable dpupool.io/batch-cpu: [1-9]' \
		'^dpu0: index 0 backend pci bus pci parent 0000:' \
		'^dpu0/0: type blk state ready tenant acme size 1G blkdev vd[a-z]* numa -1 pci 0000:' \
		'^dpuemu0-fn0$' '^pci read back: identical' 'read: IOPS=\(4[89][0-9]\|50[0-9]\),' \
		'^deleted in [0-9]* ms' '\] del dpu0/0: type blk state removing' '^pci demo done' \
		'^online busy: BE cpu.max [1-5][0-9]\{4\} 100000 (suppressed)' \
		'^online idle again: BE cpu.max \([5-9][0-9]\{4\}\|[0-9]\{6\}\) 100000' \
		'msg="qos: evicted" cgroup=/demo/be' '^/demo/be: id [0-9]* class be .* evicted'; do
		if grep -q "$want" "$logs/demo.log"; then
			p=$((p + 1))
		else
			echo "demo output lacks: $want"; f=$((f + 1))
		fi
	done
	record e2e $p $f
fi

echo
printf '%s\n' "${summary[@]}"
echo "${total_pass} passed, ${total_fail} failed, ${total_skip} skipped"
[ "$total_fail" -eq 0 ]
