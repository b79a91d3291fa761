#!/usr/bin/env bash
# make bench, NIC limits in BPF: in one guest with dpu.ko, dpu_sim.ko (a DPU
# leaving its NIC limits to the host) and dpud,
#  - accuracy: a TCP stream through a NIC function limited to 50 and 200
#    Mbit/s by dpud's EDT program + fq, then by tc htb and by tc tbf at the
#    same rates on the same device (dpud's limit removed meanwhile);
#    measured from the device's tx byte counter over 6 s after 2 s;
#  - CPU per packet at an unlimited rate: a UDP stream of 256-byte
#    datagrams with the program attached (a tenant without limits: every
#    packet charged to its levels and counted) vs no program, CPU time from
#    /proc/stat over the same 8 s, alternated ROUNDS times.
# Prints Markdown rows for the README.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
cd "$repo"
"$here/deps.sh" >/dev/null
"$here/kernel.sh" >/dev/null
make -s modules user

exec "$here/vm" -t 900 -- env ROUNDS="${ROUNDS:-3}" bash -c '
set -e
dpuctl=user/build/bin/dpuctl
echo 5 > /sys/bus/dpu_sim/new_device
dev=$(basename /sys/bus/dpu_sim/devices/dpu_sim5/dpu/dpu*)
echo 960 > /sys/kernel/debug/dpu_sim/dpu_sim5/host_limit_kinds
$dpuctl tenant add $dev/bench >/dev/null
$dpuctl fn add dev $dev type net tenant bench wait >/dev/null
nic=$($dpuctl -j fn show $dev | jq -r ".[0].netdev"); rep=${nic/n/r}
ip netns add peer
ip link set $rep netns peer
ip addr add 10.88.0.1/24 dev $nic && ip link set $nic up
ip -n peer addr add 10.88.0.2/24 dev $rep && ip -n peer link set $rep up
ip netns exec peer iperf3 -s -D -B 10.88.0.2 >/dev/null
mkdir -p /tmp/nb/d /tmp/nb/s
printf "listen = 127.0.0.1:9481\ndesired_dir = /tmp/nb/d\nstate_dir = /tmp/nb/s\ndevice = %s\nbpf_dir = /sys/fs/bpf/dpupool-bench\n" $dev > /tmp/nb/dpud.conf
user/build/bin/dpud --config /tmp/nb/dpud.conf 2>/tmp/nb/dpud.log &
dpud=$!
for i in $(seq 50); do tc filter show dev $nic egress | grep -q dpu_nl_egress && break; sleep 0.2; done

rate() {	# rate: bytes/s sent by an 8 s TCP stream, 2 s to 8 s
	iperf3 -c 10.88.0.2 -t 9 >/dev/null 2>&1 &
	local ip=$! a b t0 t1
	sleep 2
	a=$(cat /sys/class/net/$nic/statistics/tx_bytes); t0=$(date +%s.%N)
	sleep 6
	b=$(cat /sys/class/net/$nic/statistics/tx_bytes); t1=$(date +%s.%N)
	wait $ip
	awk -v a=$a -v b=$b -v t0=$t0 -v t1=$t1 "BEGIN { printf \"%d\", (b - a) / (t1 - t0) }"
}
fmt() {	# fmt GOT WANT
	awk -v g=$1 -v w=$2 "BEGIN { printf \"%.1f Mbit/s (%+.1f%%)\", g * 8 / 1e6, (g - w) / w * 100 }"
}
for mb in 50 200; do
	bps=$((mb * 125000))
	$dpuctl tenant set $dev/bench tx-bps $bps >/dev/null
	sleep 0.5
	ours=$(rate)
	$dpuctl tenant set $dev/bench tx-bps 0 >/dev/null
	tc qdisc replace dev $nic root handle 1: htb default 1
	tc class add dev $nic parent 1: classid 1:1 htb rate ${mb}mbit
	htb=$(rate)
	tc qdisc replace dev $nic root tbf rate ${mb}mbit burst $((bps / 10)) latency 50ms
	tbf=$(rate)
	tc qdisc replace dev $nic root fq
	echo "| NIC tx limit $mb Mbit/s, TCP (iperf3), 6 s after 2 s | EDT + fq (dpud): $(fmt $ours $bps) | htb: $(fmt $htb $bps); tbf: $(fmt $tbf $bps) |"
done

cpu() {	# cpu: "packets cpu_ns" of an 8 s UDP flood of 256-byte datagrams
	local a b s0 s1
	s0=$(awk "/^cpu / { print \$2 + \$3 + \$4 + \$7 + \$8 }" /proc/stat)
	a=$(cat /sys/class/net/$nic/statistics/tx_packets)
	iperf3 -c 10.88.0.2 -u -b 0 -l 256 -t 8 >/dev/null 2>&1
	b=$(cat /sys/class/net/$nic/statistics/tx_packets)
	s1=$(awk "/^cpu / { print \$2 + \$3 + \$4 + \$7 + \$8 }" /proc/stat)
	echo "$((b - a)) $(( (s1 - s0) * 10000000 ))"
}
on_p=0 on_c=0 off_p=0 off_c=0
for r in $(seq $ROUNDS); do
	read -r p c < <(cpu); on_p=$((on_p + p)); on_c=$((on_c + c))
	kill -9 $dpud; wait $dpud 2>/dev/null || true
	tc filter del dev $nic egress; tc filter del dev $nic ingress
	read -r p c < <(cpu); off_p=$((off_p + p)); off_c=$((off_c + c))
	user/build/bin/dpud --config /tmp/nb/dpud.conf 2>>/tmp/nb/dpud.log &
	dpud=$!
	for i in $(seq 50); do tc filter show dev $nic egress | grep -q dpu_nl_egress && break; sleep 0.2; done
done
echo "| CPU per packet, unlimited UDP 256 B ($ROUNDS x 8 s alternated), program attached | $((on_c / on_p)) ns ($((on_p / ROUNDS / 8)) pps) | no program: $((off_c / off_p)) ns ($((off_p / ROUNDS / 8)) pps) |"
kill $dpud
'
