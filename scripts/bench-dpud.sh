#!/usr/bin/env bash
# scripts/bench-dpud.sh: dpud's footprint in a guest (2 vCPUs, TCG), printed
# as Markdown rows for user/dpud/README.md.
#
#   (a) idle: a tenant, a disk and a NIC, all ready
#   (b) 200 functions (100 disks, 100 NICs, 10 tenants) and 200 cgroups
#       under the cgroup root (kubepods), some with sleeping processes
#   (c) (b) again with the default sample_interval = 10s
#   (d) (b) as the agent of a dpu-provider (run in the guest too) that
#       asks for a report every second; (e) every 10 s
#
# (a) and (b) with sample_interval = 1s (a headroom sample every second).
# Windows start once dpud has settled (no reconcile for 3 s: the events of
# the attaches are drained). Resident memory is VmRSS from /proc/PID/status at the end of the
# window (VmHWM, the peak, is shown too); CPU is utime+stime from
# /proc/PID/stat over a 60 s window, in % of one core. The non-sanitizer
# build user/build/bin/dpud is measured. TCG emulates the CPU, so CPU
# figures are an upper bound of what real hardware needs.
#
#   scripts/bench-dpud.sh            build, boot a guest, run the benchmark
#   DPUD_BENCH_WINDOW=10 scripts/bench-dpud.sh   shorter window (try-out)
#   scripts/bench-dpud.sh --guest    the part that runs in the guest
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
cd "$repo"

if [ "${1:-}" != --guest ]; then
	"$here/deps.sh" >/dev/null
	"$here/kernel.sh" >/dev/null
	make -s modules user
	exec "$here/vm" -t 900 -- env DPUD_BENCH_WINDOW="${DPUD_BENCH_WINDOW:-60}" \
		"$here/bench-dpud.sh" --guest
fi

window=${DPUD_BENCH_WINDOW:-60}
dpud=$repo/user/build/bin/dpud
dpuctl=$repo/user/build/bin/dpuctl
hz=$(getconf CLK_TCK)
port=9478
T=$(mktemp -d /tmp/bench-dpud.XXXXXX)
D=$T/desired
mkdir -p "$D" "$T/state"
pid=
ppid_=
sleepers=()
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	[ -n "$ppid_" ] && kill "$ppid_" 2>/dev/null
	[ ${#sleepers[@]} -gt 0 ] && kill "${sleepers[@]}" 2>/dev/null
	true
}
trap cleanup EXIT

# a simulated DPU (4,096 function slots), hot-plug without delay
echo 1 > /sys/bus/dpu_sim/new_device
dev=
for d in /sys/class/dpu/dpu*; do
	[ "$(basename "$(readlink "$d/device")")" = dpu_sim1 ] && dev=$(basename "$d")
done
[ -n "$dev" ] || { echo "bench-dpud: no device for dpu_sim1" >&2; exit 1; }
echo 0 > /sys/kernel/debug/dpu_sim/dpu_sim1/attach_delay_ms

# the workloads' cgroup root, cgroup v2
cg=/sys/fs/cgroup/kubepods
echo "+cpu +memory" > /sys/fs/cgroup/cgroup.subtree_control
mkdir -p $cg
echo "+cpu +memory" > $cg/cgroup.subtree_control

cat > "$T/dpud.conf" <<EOC
listen = 127.0.0.1:$port
desired_dir = $D
state_dir = $T/state
device = $dev
cgroup_root = kubepods
reserve_cpu = 250m
reserve_memory = 64Mi
sample_interval = 1s
EOC
printf 'limits = iops 5k bps 100M\n' > "$D/tenant-t0.conf"
printf 'tenant = t0\ntype = blk\nsize = 16Mi\n' > "$D/disk-0.conf"
printf 'tenant = t0\ntype = net\n' > "$D/nic-0.conf"

ready() {	# ready N: N functions on the device, all ready
	[ "$("$dpuctl" -j fn show "$dev" |
		jq '[.[] | select(.state == "ready")] | length')" -eq "$1" ]
}
wait_ready() {	# wait_ready N SEC
	local t=$(($2 * 10))
	while ! ready "$1"; do
		t=$((t - 1))
		[ $t -gt 0 ] || { echo "bench-dpud: $1 functions not ready" >&2; exit 1; }
		sleep 0.1
	done
}
ticks() {	# utime + stime of $pid (fields 14, 15; after the comm's ")")
	local s
	s=$(cat /proc/$pid/stat)
	s=${s##*) }
	set -- $s
	echo $((${12} + ${13}))
}
kib() { awk -v k="$1" '$1 == k":" { print $2 }' /proc/$pid/status; }
measure() {	# measure LABEL: print the row for a $window s window
	local t0 w0 t1 w1 cpu rss hwm
	t0=$(ticks) w0=$(date +%s.%N)
	sleep "$window"
	t1=$(ticks) w1=$(date +%s.%N)
	kill -0 "$pid" || { echo "bench-dpud: dpud died" >&2; exit 1; }
	cpu=$(echo "scale=3; ($t1 - $t0) * 100 / $hz / ($w1 - $w0)" | bc)
	rss=$(echo "scale=1; $(kib VmRSS) / 1024" | bc)
	hwm=$(echo "scale=1; $(kib VmHWM) / 1024" | bc)
	printf '| %s | RSS %s MiB (peak %s), CPU %s%% of a core | goal < 10 MiB, < 1%% |\n' \
		"$1" "$rss" "$hwm" "$(printf '%.2f' "$cpu")"
}
reconciles() { curl -sf "http://127.0.0.1:$port/metrics" | awk '/^dpud_reconciles_total /{print $2}'; }
settle() {	# steady state: no reconcile for 3 s (the attach events drained)
	local r0 r1 t
	r1=$(reconciles)
	for t in $(seq 20); do
		r0=$r1
		sleep 3
		r1=$(reconciles)
		[ "$r0" = "$r1" ] && return 0
	done
	echo "bench-dpud: dpud never settled" >&2
	exit 1
}
start() {
	"$dpud" --config "$T/dpud.conf" 2>>"$T/dpud.log" &
	pid=$!
}
stop() {
	kill -TERM "$pid"
	wait "$pid" || { echo "bench-dpud: dpud exited $?" >&2; exit 1; }
	pid=
}

echo "| benchmark | result | goal |"
echo "| --- | --- | --- |"

# (a) idle, small desired state
start
wait_ready 2 60
sleep 3
measure "dpud idle: 1 tenant, 1 disk, 1 NIC, sample_interval 1s, ${window} s"
stop

# (b) 200 functions, 200 cgroups
for i in $(seq 1 9); do printf 'limits = iops 10k\n' > "$D/tenant-t$i.conf"; done
for i in $(seq 1 99); do
	printf 'tenant = t%d\ntype = blk\nsize = 16Mi\n' $((i % 10)) > "$D/disk-$i.conf"
	printf 'tenant = t%d\ntype = net\n' $((i % 10)) > "$D/nic-$i.conf"
done
for i in $(seq 1 200); do
	mkdir -p $cg/pod$i
	if [ $((i % 20)) -eq 0 ]; then
		for j in 1 2; do
			sh -c "echo \$\$ > $cg/pod$i/cgroup.procs; exec sleep 100000" &
			sleepers+=($!)
		done
	fi
done
start
t0=$(date +%s.%N)
wait_ready 200 600
t1=$(date +%s.%N)
settle
fns=$("$dpuctl" -j fn show "$dev" | jq -r 'group_by(.type) | map("\(length) \(.[0].type)") | join(", ")')
measure "dpud, 200 functions ($fns), 200 cgroups, sample_interval 1s, ${window} s"
lines=$(curl -sf "http://127.0.0.1:$port/metrics" | wc -l)
echo "| dpud, 198 attaches from start until all 200 ready | $(printf "%.1f" "$(echo "$t1 - $t0" | bc)") s; /metrics then has $lines lines | |"
stop

# (c) the same with the default sample_interval (10s): the per-second
# reconcile (a dump of 200 functions, 200 records read) is what (b) costs
sed -i 's/^sample_interval = .*/sample_interval = 10s/' "$T/dpud.conf"
start
sleep 3
ready 200
settle
measure "dpud, 200 functions, 200 cgroups, sample_interval 10s (default), ${window} s"
stop

# (d) (b) as the agent of dpu-provider, Report every second
cat > "$T/provider.conf" <<EOC
listen = 127.0.0.1:9901
db = $T/provider.db
insecure_agents = yes
agent_report_interval = 1s
[group g]
min = 0
max = 1
cpu = 2
memory = 1Gi
EOC
"$repo/user/build/bin/dpu-provider" --config "$T/provider.conf" 2>>"$T/provider.log" &
ppid_=$!
sed -i 's/^sample_interval = .*/sample_interval = 1s/' "$T/dpud.conf"
printf 'provider = 127.0.0.1:9901\nserial = bench-host\n' >> "$T/dpud.conf"
start
sleep 3
ready 200
settle
r0=$(curl -sf "http://127.0.0.1:$port/metrics" | awk '/^dpud_agent_calls_total.*rpc="report",result="ok"/ {print $2}')
measure "dpud as dpu-provider's agent (Report every 1 s), 200 functions, 200 cgroups, sample_interval 1s, ${window} s"
r1=$(curl -sf "http://127.0.0.1:$port/metrics" | awk '/^dpud_agent_calls_total.*rpc="report",result="ok"/ {print $2}')
echo "| dpud agent: Reports answered during that window | $((r1 - r0)) in ${window} s | |"
stop

# (e) the same with a Report every 10 s (the provider's default is 30 s)
sed -i 's/^agent_report_interval = .*/agent_report_interval = 10s/' "$T/provider.conf"
kill "$ppid_"; wait "$ppid_" 2>/dev/null
"$repo/user/build/bin/dpu-provider" --config "$T/provider.conf" 2>>"$T/provider.log" &
ppid_=$!
sleep 1
start
sleep 3
ready 200
settle
measure "dpud as dpu-provider's agent (Report every 10 s), 200 functions, 200 cgroups, sample_interval 1s, ${window} s"
stop

# (f) (b) as the kubelet's DRA driver: gRPC served on the ring (the
# registration and DRA sockets open), no API server (kube_api = no)
kill "$ppid_"; wait "$ppid_" 2>/dev/null
sed -i '/^provider/d' "$T/dpud.conf"
mkdir -p "$T/kubelet"
printf 'kubelet_plugin = dra\nkubelet_dir = %s/kubelet\ncdi_dir = %s/cdi\nkube_api = no\n' "$T" "$T" >> "$T/dpud.conf"
start
sleep 3
ready 200
settle
[ -S "$T/kubelet/plugins_registry/dpu.dpupool.io-reg.sock" ] || { echo "bench-dpud: no DRA registration socket" >&2; exit 1; }
measure "dpud as DRA driver (kubelet_plugin = dra, gRPC on the ring), 200 functions, 200 cgroups, sample_interval 1s, ${window} s"
# io_uring's workers (iou-wrk-*) are threads of the process too
uthreads=$(grep -Lx 'iou-.*' /proc/$pid/task/*/comm 2>/dev/null | wc -l)
echo "| dpud as DRA driver: threads of its own (io_uring workers apart) | $uthreads ($(kib Threads) in all) | 1 |"
stop

# the guest is thrown away; only the sleepers are ended here (trap)
