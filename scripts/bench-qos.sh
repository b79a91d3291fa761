#!/usr/bin/env bash
# make bench, co-location QoS: in one guest with dpu.ko and dpud,
#  - reaction time: an online load step (a process joining an LS cgroup
#    and spinning) to the BE cgroup's cpu.max written by dpud, p50/p99
#    over STEPS steps (user/bench/qos-react.c, inotify on cpu.max);
#  - cost of the sched_switch hook: perf bench sched pipe with the probe
#    registered (a class set) and not (none), alternated ROUNDS times;
#  - online wakeup latency (cyclictest, SCHED_OTHER, in the LS cgroup):
#    idle node, BE load with QoS off, BE load with QoS on.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
cd "$repo"
"$here/deps.sh" >/dev/null
"$here/kernel.sh" >/dev/null
make -s modules user

exec "$here/vm" -t 900 -- env STEPS="${STEPS:-60}" ROUNDS="${ROUNDS:-3}" bash -c '
set -e
dpuctl=user/build/bin/dpuctl
cg=/sys/fs/cgroup
q=$cg/qbench
mkdir -p $q/online $q/be $q/idle
echo "+cpu +memory" > $cg/cgroup.subtree_control
echo "+cpu +memory" > $q/cgroup.subtree_control
st=$(mktemp -d)
cat > $st/dpud.conf <<EOC
listen = 127.0.0.1:9481
desired_dir = $st
state_dir = $st
device = dpu0
EOC
echo 1 > /sys/bus/dpu_sim/new_device
user/build/bin/dpud --config $st/dpud.conf 2>$st/dpud.log &
dpud=$!
in_cg() { local c=$1; shift; bash -c "echo \$\$ > $q/$c/cgroup.procs && exec $*" >/dev/null 2>&1 & }

# --- the hook: perf bench sched pipe, probe off (no class) and on
pipe_ops() { perf bench sched pipe -l 100000 2>/dev/null | awk "/ops\\/sec/ { print \$1 }"; }
off=0; on=0
for r in $(seq $ROUNDS); do
	a=$(pipe_ops)
	$dpuctl qos class set /qbench/idle ls >/dev/null
	b=$(pipe_ops)
	$dpuctl qos class del /qbench/idle >/dev/null
	echo "# pipe round $r: probe off $a ops/s, on $b ops/s"
	off=$((off + a)); on=$((on + b))
done
echo "ROW|sched_switch hook: perf bench sched pipe (100k round trips, mean of $ROUNDS alternated)|probe on: $((on / ROUNDS)) ops/s|off: $((off / ROUNDS)) ops/s ($(awk -v a=$on -v b=$off "BEGIN { printf \"%+.1f%%\", (a - b) * 100 / b }"); goal within 2%)"

# --- classes for the rest
$dpuctl qos class set /qbench/online ls >/dev/null
$dpuctl qos class set /qbench/be be >/dev/null
sleep 2

# --- online latency: idle node, then BE load with QoS off and on
lat() {
	bash -c "echo \$\$ > $q/online/cgroup.procs && exec cyclictest -q -m -t1 -i 1000 -l 5000 -h 100000" 2>&1 |
		awk "/^[0-9]+ +[0-9]+\$/ { c[\$1 + 0] = \$2; n += \$2 }
		     /^# Avg Latencies:/ { a = \$4 + 0 } /^# Max Latencies:/ { m = \$4 + 0 }
		     END { w = n * 0.99; for (i = 0; i < 100000 && s < w; i++) s += c[i];
			   printf \"avg %d p99 %d max %d us\", a, i - 1, m }"
}
idle=$(lat)
in_cg be stress-ng --cpu 4 --timeout 900
$dpuctl qos set enabled off >/dev/null
sleep 2
off=$(lat)
$dpuctl qos set enabled on >/dev/null
sleep 2
onl=$(lat)
echo "ROW|online wakeup latency (cyclictest 1 ms, 5000 loops, LS cgroup), BE stress-ng --cpu 4|QoS on: $onl|QoS off: $off; idle node: $idle"
pkill stress-ng || true
sleep 2

# --- reaction time: BE busy, online steps
in_cg be stress-ng --cpu 2 --timeout 900
sleep 3
user/build/bin/qos-react $q/online $q/be $STEPS > $st/react.log || true
grep "^reaction_ms" $st/react.log | head -3 | sed "s/^/# /"
r=$(tail -1 $st/react.log)
echo "ROW|reaction: online load step to BE cpu.max written by dpud ($STEPS steps)|$(sed "s/^steps [0-9]* //" <<<"$r")|goal p99 <= 10 ms (Koordinator, rubik: 1-2 s loops)"
pkill stress-ng || true
kill $dpud; wait $dpud || true
' | tee /tmp/bench-qos.out | sed -n 's/^ROW|/| /p; /^#/p' | sed 's/|\([^ ]\)/| \1/g; s/$/ |/; s/^\(#.*\) |$/\1/'
