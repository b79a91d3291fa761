#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Co-location QoS end to end in a guest: dpu.ko decides, dpud writes
# cgroup v2. stress-ng online load steps up and down while a BE stress-ng
# runs: BE's measured CPU (cpu.stat) follows the budget; a BE memory hog
# crossing the watermark is evicted, the online cgroup never is; an online
# wakeup-latency probe (cyclictest) with BE load, QoS off vs on; dpud
# kill -9 while suppressing; dpu.ko unloaded: BE released.
#   scripts/vm -t 600 -- tools/testing/dpud/qos_test.sh
REPO=$(cd "$(dirname "$0")/../../.." && pwd)
DPUD=${DPUD:-$REPO/user/build/san/bin/dpud}
[ -x "$DPUD" ] || DPUD=$REPO/user/build/bin/dpud
DPUCTL=$REPO/user/build/bin/dpuctl
KMOD=${DPU_KMOD:-$REPO/kmod}
SIM=/sys/bus/dpu_sim
SIMID=73
PORT=9479
CG=/sys/fs/cgroup
Q=$CG/qd
. "$(dirname "$0")/lib.sh"

[ -d $SIM ] || { echo "# SKIP: dpu_sim.ko not loaded"; exit 4; }
[ -x "$DPUD" ] || { echo "# SKIP: $DPUD not built"; exit 4; }
for t in stress-ng cyclictest; do
	command -v $t >/dev/null || { echo "# SKIP: $t missing (scripts/deps.sh)"; exit 4; }
done

T=$(mktemp -d /tmp/qos_test.XXXXXX)
PID=
JOBS=()
cleanup() {
	local j
	for j in "${JOBS[@]}"; do kill -9 "$j" 2>/dev/null; done
	[ -n "$PID" ] && kill -9 "$PID" 2>/dev/null
	wait 2>/dev/null
	for j in $Q/*/; do echo 1 > "$j/cgroup.kill" 2>/dev/null; done
	sleep 0.5
	rmdir $Q/* $Q 2>/dev/null
	echo $SIMID > $SIM/del_device 2>/dev/null
	if [ -n "$DPU_VM_OUT" ]; then cp "$T"/*.log "$DPU_VM_OUT"/ 2>/dev/null; fi
}
trap cleanup EXIT

# sleep without starting a process: a process start is CPU use here
exec 9<> <(:)
nap() { read -r -t "$1" -u 9 || true; }
# run COMMAND... in cgroup CG (relative to $Q), pid in $!
in_cg() {
	local cg=$1
	shift
	bash -c "echo \$\$ > $Q/$cg/cgroup.procs && exec $*" >>"$T/jobs.log" 2>&1 &
	JOBS+=($!)
}
usage_usec() { local k v; while read -r k v; do [ "$k" = usage_usec ] && { echo "$v"; return; }; done < "$Q/$1/cpu.stat"; }
# the BE budget in force as dpud wrote it: cpu.max "QUOTA PERIOD" -> mCPU
budget() { local q p; read -r q p < "$Q/be/cpu.max"; [ "$q" = max ] && echo max || echo $((q * 1000 / p)); }
# window SEC: "USED BUDGET": BE's CPU over SEC seconds and the budget dpud
# had written, averaged over the same time (it moves with system noise),
# both in milli-CPUs; only shell builtins run meanwhile
window() {
	local a b t0 t1 i n=$(($1 * 4)) sum=0 q p
	a=$(usage_usec be); t0=$EPOCHREALTIME
	for ((i = 0; i < n; i++)); do
		nap 0.25
		read -r q p < "$Q/be/cpu.max"
		[ "$q" = max ] && q=$p$p
		sum=$((sum + q * 1000 / p))
	done
	b=$(usage_usec be); t1=$EPOCHREALTIME
	t0=${t0/./}; t1=${t1/./}
	echo "$(( (b - a) * 1000 / (t1 - t0) )) $((sum / n))"
}
within() {	# within VALUE TARGET LOW% HIGH%
	awk -v v="$1" -v t="$2" -v lo="$3" -v hi="$4" 'BEGIN { exit !(v >= t * (1 - lo / 100) && v <= t * (1 + hi / 100)) }'
}
metric() { curl -sf "http://127.0.0.1:$PORT/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }

DEV=$(sim_device $SIMID)
mkdir -p $Q/online $Q/be
echo "+cpu +memory" > $CG/cgroup.subtree_control 2>/dev/null
echo "+cpu +memory" > $Q/cgroup.subtree_control
cat > "$T/dpud.conf" <<EOC
listen = 127.0.0.1:$PORT
desired_dir = $T/desired
state_dir = $T/state
device = $DEV
sample_interval = 1s
cgroup_root = qd
besteffort_root = qd/be
EOC
mkdir -p "$T/desired" "$T/state"
"$DPUCTL" qos set enabled on cpu-threshold 65 cpu-release-ms 500 >/dev/null
check "classify /qd/online ls, /qd/be be" \
	sh -c "'$DPUCTL' qos class set /qd/online ls >/dev/null && '$DPUCTL' qos class set /qd/be be >/dev/null"

start() { "$DPUD" --config "$T/dpud.conf" 2>>"$T/dpud.log" & PID=$!; }
start
idle_be() { [ "$(cat $Q/be/cpu.idle)" = 1 ]; }
check "dpud: BE gets cpu.idle 1" wait_for 10 idle_be
has_max() { [ "$(budget)" != max ]; }
check "dpud: BE gets a cpu.max budget" wait_for 10 has_max

ncpu=$(nproc)
# ------------------------------------------------- CPU follows the budget
in_cg be stress-ng --cpu "$ncpu" --timeout 600
nap 2
read -r u0 b0 <<<"$(window 4)"
echo "# online idle: BE used $u0 mCPU, its budget averaged $b0 mCPU"
check "online idle: BE's budget is most of 65% of the node ($b0 mCPU)" \
	test "$b0" -ge $((ncpu * 650 - 450))
check "online idle: BE uses its budget: $u0 within -20%..+10% of $b0" within "$u0" "$b0" 20 10

in_cg online stress-ng --cpu 1 --timeout 600
ON=$!
nap 2
read -r u1 b1 <<<"$(window 4)"
echo "# online 1 CPU busy: BE used $u1 mCPU, its budget averaged $b1 mCPU"
check "online 1 CPU busy: the budget drops by about a CPU ($b0 -> $b1)" \
	test "$b1" -le $((b0 - 700))
check "online busy: BE follows the lower budget: $u1 within -40%..+15% of $b1" within "$u1" "$b1" 40 15

# ----------------------------------------------- dpud kill -9 while held
kill -9 "$PID"; wait "$PID" 2>/dev/null; PID=
check "dpud killed while suppressing: BE stays held (cpu.max $(budget))" test "$(budget)" != max
kill "$ON"; wait "$ON" 2>/dev/null
nap 2	# the module raises the budget while dpud is gone
start
raised() { [ "$(budget)" != max ] && [ "$(budget)" -ge $((ncpu * 650 - 450)) ]; }
# (looking every 0.1 s is itself system load; a look per second)
raised_slow() { nap 1; raised; }
check "restart: dpud writes the decision in force (online idle again: $(budget) -> raised)" wait_for 20 raised_slow ||
	echo "# cpu.max now $(budget) mCPU; module: $("$DPUCTL" -j qos show | jq -c .decision)"
logged() { grep -q 'qos: following the module.s decisions.*why=start' "$T/dpud.log"; }
check "  and logs what it followed" logged
read -r u2 b2 <<<"$(window 4)"
check "online idle after restart: BE back to its budget: $u2 within -20%..+10% of $b2" within "$u2" "$b2" 20 10

# ------------------------------------------------------------ metrics
m=$(curl -sf "http://127.0.0.1:$PORT/metrics")
has_metric() { awk -v k="$1" -v min="$2" '$1 == k && $2 >= min { f = 1 } END { exit !f }' <<<"$m"; }
check "metrics: dpud_qos_enabled 1" has_metric dpud_qos_enabled 1
check "metrics: decisions counted" has_metric dpud_qos_decisions_total 1
# the budget the metrics report is the one in cpu.max (a scrape is itself
# system load that may move it: look until both agree)
agrees() {
	local m2 bc
	m2=$(curl -sf "http://127.0.0.1:$PORT/metrics")
	bc=$(awk '$1 == "dpud_qos_be_cpu_budget_cores" { print $2 }' <<<"$m2")
	awk -v c="$bc" -v b="$(budget)" 'BEGIN { exit !(c * 1000 >= b - 2 && c * 1000 <= b + 2) }'
}
check "metrics: the budget in cores is the one in cpu.max" wait_for 10 agrees
# the headroom reported to the provider (batch-cpu) is never above what
# the module lets best effort use
hr_agrees() {
	curl -sf "http://127.0.0.1:$PORT/metrics" | awk '
		$1 == "dpud_headroom_reclaimable_cpu_cores" { r = $2; hr = 1 }
		$1 == "dpud_qos_be_cpu_budget_cores" { b = $2; hb = 1 }
		END { exit !(hr && hb && r <= b + 0.0005) }'
}
check "metrics: headroom's reclaimable CPU within the BE budget" wait_for 10 hr_agrees
check "metrics: classified cgroups by class" grep -q '^dpud_qos_cgroups{class="be"} 1' <<<"$m"

# --------------------------------------------------- online latency
# cyclictest (SCHED_OTHER, as an online pod runs) while BE saturates the
# node: QoS off (BE at full weight, no cap) then on
REACT=$REPO/user/build/bin/qos-react
# perf bench sched messaging in the online cgroup (senders and receivers
# waking each other): its time is what BE load costs online work
msg_time() {
	bash -c "echo \$\$ > $Q/online/cgroup.procs && exec perf bench sched messaging -g 2 -l 100" 2>/dev/null |
		awk '/Total time:/ { print $3 }'
}
lat() { "$REACT" latency $Q/online 2000; }
in_cg be stress-ng --cpu $((ncpu * 2)) --timeout 600
"$DPUCTL" qos set enabled off >/dev/null
released() { [ "$(budget)" = max ] && [ "$(cat $Q/be/cpu.idle)" = 0 ]; }
check "qos set enabled off: dpud releases BE (cpu.max max, cpu.idle 0)" wait_for 10 released
nap 1
off_msg=$(msg_time); off_lat=$(lat)
"$DPUCTL" qos set enabled on >/dev/null
check "qos set enabled on: BE held again" wait_for 10 has_max
nap 1
on_msg=$(msg_time); on_lat=$(lat)
echo "# online with BE load (stress-ng --cpu $((ncpu * 2))), QoS off: messaging ${off_msg} s; 1 ms wakeups $off_lat"
echo "#                                          QoS on:  messaging ${on_msg} s; 1 ms wakeups $on_lat"
check "online perf bench sched messaging faster with QoS on ($on_msg s < $off_msg s)" \
	awk -v a="$on_msg" -v b="$off_msg" 'BEGIN { exit !(a > 0 && a < b) }'

# ------------------------------------------------------ memory eviction
# the CPU stressors go first: the hog alone fills memory faster
echo 1 > $Q/be/cgroup.kill
be_idle() { [ -z "$(cat $Q/be/cgroup.procs)" ]; }
wait_for 10 be_idle
read -r _ total _ < <(grep MemTotal /proc/meminfo)
read -r _ avail _ < <(grep MemAvailable /proc/meminfo)
used_pct=$(( (total - avail) * 100 / total ))
high=$((used_pct + 12)); low=$((high - 4))
check "policy: memory high $high%, low $low% (in use now $used_pct%)" \
	sh -c "'$DPUCTL' qos set mem-high $high mem-low $low mem-reclaim-ms 300 mem-cooldown-ms 1000 >/dev/null"
in_cg online stress-ng --vm 1 --vm-bytes 24M --vm-keep --timeout 600
ONM=$!
nap 2
hog=$(( total * (high - used_pct + 10) / 100 / 1024 ))
"$DPUCTL" -j qos monitor > "$T/mon.log" 2>&1 &
MON=$!
JOBS+=($MON)
in_cg be stress-ng --vm 1 --vm-bytes ${hog}M --vm-keep --timeout 600
HOG=$!
evicted() { grep -q 'qos: evicted.*cgroup=/qd/be' "$T/dpud.log"; }
check "a BE hog of ${hog} MiB crossing ${high}%: /qd/be evicted (cgroup.kill)" wait_for 60 evicted ||
	{ jq -c 'select(.event == "decision" and .decision.changed != 1) | [.time[17:26], .decision.changed, .decision.reclaim, .decision.evict]' "$T/mon.log" | tail -8 | sed 's/^/# /';
	  "$DPUCTL" qos class show | sed 's/^/# /'; grep -E 'Mem(Total|Available)' /proc/meminfo | sed 's/^/# /'; }
kill "$MON" 2>/dev/null
be_empty() { [ -z "$(cat $Q/be/cgroup.procs)" ]; }
check "  its processes are gone" wait_for 10 be_empty
check "  the online memory holder lives on" kill -0 "$ONM"
check "  the online cgroup was never named" sh -c "! grep -q 'qos: evicted.*cgroup=/qd/online' '$T/dpud.log'"
check "  metrics: dpud_qos_evictions_total 1" test "$(metric dpud_qos_evictions_total)" = 1
kill "$ONM" 2>/dev/null
"$DPUCTL" qos set mem-high 70 mem-low 68 >/dev/null

# ------------------------------------------------ dpu.ko unloaded: release
mkdir -p $Q/be2
"$DPUCTL" qos class set /qd/be2 be >/dev/null
held2() { local q p; read -r q p < $Q/be2/cpu.max; [ "$q" != max ] && [ "$(cat $Q/be2/cpu.idle)" = 1 ]; }
check "a new BE cgroup /qd/be2 is held" wait_for 10 held2
check "rmmod dpu_sim, dpu under dpud" sh -c "echo $SIMID > $SIM/del_device; rmmod dpu_sim && rmmod dpu"
rel2() { local q p; read -r q p < $Q/be2/cpu.max; [ "$q" = max ] && [ "$(cat $Q/be2/cpu.idle)" = 0 ]; }
check "dpu.ko gone: BE released (cpu.max max, cpu.idle 0), not left frozen" wait_for 10 rel2
check "  logged" grep -q 'qos: best effort released' "$T/dpud.log"
check "insmod again" sh -c "insmod '$KMOD/dpu/dpu.ko' && insmod '$KMOD/dpu_sim/dpu_sim.ko'"
sim_device $SIMID >/dev/null
"$DPUCTL" qos class set /qd/be2 be >/dev/null 2>&1
check "classified again on the new module: dpud holds it again" wait_for 20 held2

kill -TERM "$PID"; wait "$PID"; rc=$?
PID=
check "SIGTERM: exit 0" eq "$rc" 0
check "no sanitizer reports in the log" sh -c "! grep -q 'runtime error\|AddressSanitizer\|LeakSanitizer' '$T/dpud.log'"
if [ "$n_fail" -ne 0 ]; then echo "# dpud log:"; sed 's/^/#   /' "$T/dpud.log" | tail -40; fi
finish
