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

exec "$here/vm" -t 900 -- env STEPS="${STEPS:-60}" ROUNDS="${ROUNDS:-9}" PARTS="${PARTS:-hook lat react}" bash -c '
set -e
dpuctl=user/build/bin/dpuctl
cg=/sys/fs/cgroup
q=$cg/qbench
mkdir -p $q/online $q/be $q/idle
echo "+cpu +memory" > $cg/cgroup.subtree_control
echo "+cpu +memory" > $q/cgroup.subtree_control
st=$(mktemp -d)
mkdir -p $st/desired $st/state
cat > $st/dpud.conf <<EOC
listen = 127.0.0.1:9481
desired_dir = $st/desired
state_dir = $st/state
device = dpu0
EOC
echo 1 > /sys/bus/dpu_sim/new_device
user/build/bin/dpud --config $st/dpud.conf 2>$st/dpud.log &
dpud=$!
in_cg() { local c=$1; shift; bash -c "echo \$\$ > $q/$c/cgroup.procs && exec $*" >/dev/null 2>&1 & }

part() { [[ " $PARTS " == *" $1 "* ]]; }
# --- the hook: perf bench sched pipe on one CPU (every round trip is two
# switches there), probe off (nothing classified) and on, alternated
pipe_ops() { taskset -c 1 perf bench sched pipe -l 50000 2>/dev/null | awk "/ops\\/sec/ { print \$1 }"; }
median() { sort -n | awk "{ a[NR] = \$1 } END { print a[int((NR + 1) / 2)] }"; }
: > /tmp/off; : > /tmp/on; : > /tmp/ratio
part hook && for r in $(seq $ROUNDS); do
	a=$(pipe_ops)
	$dpuctl qos class set /qbench/idle ls >/dev/null
	b=$(pipe_ops)
	$dpuctl qos class del /qbench/idle >/dev/null
	echo "# pipe round $r: probe off $a ops/s, on $b ops/s"
	echo $a >> /tmp/off; echo $b >> /tmp/on
	awk -v a=$a -v b=$b "BEGIN { print (b - a) * 100 / a }" >> /tmp/ratio
done
if part hook; then
	off=$(median < /tmp/off); on=$(median < /tmp/on)
	d=$(median < /tmp/ratio)
	echo "ROW|sched_switch hook: perf bench sched pipe, both ends on one CPU (50k round trips, $ROUNDS rounds, off and on back to back)|probe on: $on ops/s (median)|off: $off ops/s; median of the rounds: $(printf %+.1f $d)% (goal within 2%)"
fi

# --- classes for the rest
$dpuctl qos class set /qbench/online ls >/dev/null
$dpuctl qos class set /qbench/be be >/dev/null
sleep 2

# --- online latency: idle node, then BE load with QoS off and on:
# perf bench sched messaging (senders and receivers waking each other,
# median of 3) and 1 ms wakeups (user/bench/qos-react.c latency)
msg() {
	for i in 1 2 3; do
		bash -c "echo \$\$ > $q/online/cgroup.procs && exec perf bench sched messaging -g 2 -l 100" 2>/dev/null |
			awk "/Total time:/ { print \$3 }"
	done | median
}
lat() { user/build/bin/qos-react latency $q/online 3000 | sed "s/, runnable.*//"; }
if part lat; then
idle="messaging $(msg) s, 1 ms wakeups $(lat)"
in_cg be stress-ng --cpu 4 --timeout 900
$dpuctl qos set enabled off >/dev/null
sleep 2
off="messaging $(msg) s, 1 ms wakeups $(lat)"
$dpuctl qos set enabled on >/dev/null
sleep 2
onl="messaging $(msg) s, 1 ms wakeups $(lat)"
echo "ROW|online work with BE load (stress-ng --cpu 4): perf bench sched messaging -g 2 -l 100 in the LS cgroup; 1 ms sleeps|QoS on: $onl|QoS off: $off; idle node: $idle"
pkill stress-ng || true
sleep 2
fi

# --- reaction time: BE busy, online steps
if part react; then
in_cg be stress-ng --cpu 2 --timeout 900
sleep 3
echo "# BE cpu.max at rest: $(cat $q/be/cpu.max), cpu.idle $(cat $q/be/cpu.idle)"
user/build/bin/qos-react $q/online $q/be $STEPS > $st/react.log 2>&1 || tail -3 $st/react.log | sed "s/^/# /"
grep "^reaction_ms" $st/react.log | head -3 | sed "s/^/# /"
r=$(tail -1 $st/react.log)
echo "ROW|reaction: online load step to BE cpu.max written by dpud ($STEPS steps)|$(sed "s/^steps [0-9]* //" <<<"$r")|goal p99 <= 10 ms (Koordinator, rubik: 1-2 s loops)"
pkill stress-ng || true
fi
kill $dpud; wait $dpud || true
tail -5 $st/dpud.log | sed "s/^/# dpud: /"
' | tee /tmp/bench-qos.out | sed -n 's/^ROW|/| /p; /^#/p' | sed 's/|\([^ ]\)/| \1/g; s/$/ |/; s/^\(#.*\) |$/\1/'
