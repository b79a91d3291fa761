#!/usr/bin/env bash
# make demo: boot a guest with dpu.ko and dpu_sim.ko, create a simulated DPU
# and show it with dpuctl (text and JSON), then remove it; co-location QoS
# holding best effort back and evicting a BE memory hog; then a second
# guest beside the emulated PCIe DPU (tools/testing/dpu-emu) with dpu_pci.ko:
# a virtio-blk function hot-plugged, used and throttled by the "hardware".
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
cd "$repo"

"$here/deps.sh"
"$here/kernel.sh"
make -s modules user
make -s -C tools/testing/dpu-emu

"$here/vm" -t 300 -- bash -c '
set -e
dpuctl=user/build/bin/dpuctl
say() { printf "\n\$ %s\n" "$*"; }
$dpuctl monitor > /tmp/events.txt &
say "echo 0 > /sys/bus/dpu_sim/new_device      # a simulated DPU appears"
echo 0 > /sys/bus/dpu_sim/new_device
say "dpuctl dev show"
$dpuctl dev show
say "dpuctl tenant add dpu0/acme bps 200M      # tenants own functions and share limits"
$dpuctl tenant add dpu0/acme bps 200M
say "dpuctl tenant add dpu0/globex"
$dpuctl tenant add dpu0/globex
say "dpuctl fn add dev dpu0 type blk size 1G tenant acme wait"
$dpuctl fn add dev dpu0 type blk size 1G tenant acme wait
say "dpuctl fn add dev dpu0 type net tenant acme wait"
$dpuctl fn add dev dpu0 type net tenant acme wait
say "dpuctl fn show"
$dpuctl fn show
say "dpuctl -j -p fn show dpu0/0"
$dpuctl -j -p fn show dpu0/0
say "the disk is a real block device: write 4 MiB, read it back"
head -c 4M /dev/urandom > /tmp/data
dd if=/tmp/data of=/dev/dpu0b0 bs=1M oflag=direct status=none
dd if=/dev/dpu0b0 bs=1M count=4 iflag=direct status=none | cmp - /tmp/data && echo "read back: identical"
say "fio 4k randread, io_uring, 5 s"
fio --name=demo --filename=/dev/dpu0b0 --rw=randread --bs=4k --ioengine=io_uring \
	--iodepth=32 --direct=1 --time_based --runtime=5 --size=256M 2>&1 | grep -E "IOPS=|lat.*avg" | head -3
say "dpuctl fn set dpu0/0 iops 2000      # throttle the disk, live"
$dpuctl fn set dpu0/0 iops 2000
say "fio 4k randread again, 5 s: held at the limit"
fio --name=demo --filename=/dev/dpu0b0 --rw=randread --bs=4k --ioengine=io_uring \
	--iodepth=32 --direct=1 --time_based --runtime=5 --size=256M 2>&1 | grep -E "IOPS=" | head -1
$dpuctl fn set dpu0/0 iops 0 >/dev/null
say "dpuctl tenant set dpu0/globex iops 3k; dpuctl fn set dpu0/0 tenant globex   # move it, live"
$dpuctl tenant set dpu0/globex iops 3k
$dpuctl fn set dpu0/0 tenant globex
say "fio 4k randread, 5 s: now under globex s limit"
fio --name=demo --filename=/dev/dpu0b0 --rw=randread --bs=4k --ioengine=io_uring \
	--iodepth=32 --direct=1 --time_based --runtime=5 --size=256M 2>&1 | grep -E "IOPS=" | head -1
say "dpuctl -s tenant show      # per-tenant counters: I/Os, bytes, time held back"
$dpuctl -s tenant show
say "the NIC and its representor, pinging across two network namespaces"
ip netns add tenant; ip netns add dpuside
ip link set dpu0n1 netns tenant; ip link set dpu0r1 netns dpuside
ip -n tenant addr add 10.99.0.1/24 dev dpu0n1; ip -n tenant link set dpu0n1 up
ip -n dpuside addr add 10.99.0.2/24 dev dpu0r1; ip -n dpuside link set dpu0r1 up
ip netns exec tenant ping -c 2 -q 10.99.0.2 | tail -2
say "dpuctl tenant del dpu0/globex     (it still has a function: refused)"
$dpuctl tenant del dpu0/globex || true
say "dpuctl fn del dpu0/0; dpuctl fn del dpu0/1"
$dpuctl fn del dpu0/0
$dpuctl fn del dpu0/1
$dpuctl tenant del dpu0/globex
$dpuctl tenant del dpu0/acme
say "dpuctl dev show dpu7   (no such device: the kernel says why)"
$dpuctl dev show dpu7 || true
sleep 0.3; kill %1
say "what dpuctl monitor saw"
cat /tmp/events.txt
say "dpud, the node daemon: a config and a desired-state dir (a tenant, a disk, a NIC)"
d=/tmp/dpud; rm -rf $d; mkdir -p $d/desired.d $d/state /sys/fs/cgroup/kubepods
echo "+cpu +memory" > /sys/fs/cgroup/cgroup.subtree_control
printf "listen = 127.0.0.1:9477\ndesired_dir = $d/desired.d\nstate_dir = $d/state\ndevice = dpu0\ncgroup_root = kubepods\nreserve_cpu = 250m\nsample_interval = 1s\n" > $d/dpud.conf
printf "limits = iops 5k bps 100M\n" > $d/desired.d/tenant-initech.conf
printf "tenant = initech\ntype = blk\nsize = 64Mi\n" > $d/desired.d/disk-db.conf
printf "tenant = initech\ntype = net\nmac = 02:00:00:aa:bb:01\nmtu = 9000\n" > $d/desired.d/nic0.conf
head -n 20 $d/dpud.conf $d/desired.d/*
say "dpud --config $d/dpud.conf &      # attaches both, reconciles on every event"
user/build/bin/dpud --config $d/dpud.conf 2> $d/dpud.log &
dpud_pid=$!
for i in $(seq 100); do
	[ "$($dpuctl -j fn show dpu0 | jq "[.[] | select(.state == \"ready\")] | length")" = 2 ] && break
	sleep 0.2
done
sleep 2.5	# two headroom samples
say "dpuctl fn show"
$dpuctl fn show
say "curl -s 127.0.0.1:9477/metrics   # headroom: what a best-effort tier could use"
curl -s 127.0.0.1:9477/metrics > $d/metrics.txt
grep -E "^dpud_(node_allocatable|workload_usage|headroom_reclaimable)_" $d/metrics.txt
say "curl -s 127.0.0.1:9477/metrics   # a few more lines"
grep -E "^dpu_functions\{|^dpu_function_attach_seconds_count|^dpu_function_slots_free|^dpud_reconciles_total" $d/metrics.txt | head -n 8
say "kill -TERM dpud"
kill -TERM $dpud_pid; wait $dpud_pid && echo "dpud exited 0"
grep -E "msg=\"(starting|action done|exiting)\"" $d/dpud.log | sed -E "s/^ts=[^ ]* //" | head -n 8
say "dpu-provider: cluster-autoscaler externalgrpc provider, two node groups"
p=/tmp/provider; rm -rf $p; mkdir -p $p/py
printf "insecure_agents = yes\nagent_report_interval = 1s\n\n[group dpu-16c]\nmin = 1\nmax = 5\ncpu = 16\nmemory = 64Gi\n\n[group dpu-64c]\nmin = 0\nmax = 2\ncpu = 64\nmemory = 256Gi\n" > $p/provider.conf
printf "#!/bin/sh\n# provision hook: a real site powers the host on and attaches its boot disk\nsleep 1\nexit 0\n" > $p/hook.sh
chmod +x $p/hook.sh
cat $p/provider.conf
user/build/bin/dpu-provider --config $p/provider.conf --db $p/inv.db \
	--listen 127.0.0.1:18086 --provision-hook $p/hook.sh 2> $p/provider.log &
prov_pid=$!
for i in $(seq 50); do grep -q "listening on" $p/provider.log && break; sleep 0.1; done
protoc --python_out=$p/py -I user/provider/proto externalgrpc.proto \
	k8s/core_v1.proto k8s/meta_v1.proto k8s/resource.proto
cat > $p/client.py <<"EOF"
import sys, time
sys.path.insert(0, "/tmp/provider/py")
import grpc
import externalgrpc_pb2 as pb
chan = grpc.insecure_channel("127.0.0.1:18086")
grpc.channel_ready_future(chan).result(timeout=10)
def rpc(name, req, resp):
    f = chan.unary_unary("/clusterautoscaler.cloudprovider.v1.externalgrpc.CloudProvider/" + name,
                         request_serializer=lambda m: m.SerializeToString(),
                         response_deserializer=resp.FromString)
    return f(req, timeout=5)
S = pb.InstanceStatus
def nodes(g):
    ins = rpc("NodeGroupNodes", pb.NodeGroupNodesRequest(id=g), pb.NodeGroupNodesResponse).instances
    return [(i.id, S.InstanceState.Name(i.status.instanceState)) for i in ins]
def show(g):
    print("NodeGroupNodes %s: %s" % (g, ", ".join("%s %s" % n for n in nodes(g)) or "-"))
def wait_running(g):
    for _ in range(100):
        if all(s == "instanceRunning" for _, s in nodes(g)):
            return
        time.sleep(0.1)
rpc("Refresh", pb.RefreshRequest(), pb.RefreshResponse)
for g in rpc("NodeGroups", pb.NodeGroupsRequest(), pb.NodeGroupsResponse).nodeGroups:
    print("NodeGroups: %s min %d max %d" % (g.id, g.minSize, g.maxSize))
wait_running("dpu-16c")
show("dpu-16c")
t0 = time.time()
rpc("NodeGroupIncreaseSize", pb.NodeGroupIncreaseSizeRequest(id="dpu-16c", delta=2),
    pb.NodeGroupIncreaseSizeResponse)
print("NodeGroupIncreaseSize dpu-16c delta 2: returned in %.0f ms" % ((time.time() - t0) * 1000))
t = rpc("NodeGroupTargetSize", pb.NodeGroupTargetSizeRequest(id="dpu-16c"), pb.NodeGroupTargetSizeResponse)
print("NodeGroupTargetSize dpu-16c: %d" % t.targetSize)
show("dpu-16c")
wait_running("dpu-16c")
print("... once the provisioning hook is done:")
show("dpu-16c")
EOF
say "a grpcio client playing the autoscaler: NodeGroups, IncreaseSize, NodeGroupNodes"
/usr/bin/python3 $p/client.py
say "dpud as the agent of this host: registers with dpu-provider as dpu-16c-0001"
printf "provider = 127.0.0.1:18086\nserial = dpu-16c-0001\nlabels = dpupool.io/rack=r1\n" >> $d/dpud.conf
tail -n 3 $d/dpud.conf
user/build/bin/dpud --config $d/dpud.conf 2> $d/dpud-agent.log &
dpud_pid=$!
for i in $(seq 100); do [ -f $d/state/directive ] && break; sleep 0.1; done
sleep 3	# two samples: headroom is reported from then on
cat $d/state/directive
curl -s http://127.0.0.1:9477/metrics | grep -E "^dpud_agent_(registered|disposition\{disposition=\"join|calls_total)"
cat > $p/template.py <<"EOF"
import sys
sys.path.insert(0, "/tmp/provider/py")
import grpc
import externalgrpc_pb2 as pb
from k8s import core_v1_pb2 as core
chan = grpc.insecure_channel("127.0.0.1:18086")
f = chan.unary_unary("/clusterautoscaler.cloudprovider.v1.externalgrpc.CloudProvider/NodeGroupTemplateNodeInfo",
                     request_serializer=lambda m: m.SerializeToString(),
                     response_deserializer=pb.NodeGroupTemplateNodeInfoResponse.FromString)
n = core.Node.FromString(f(pb.NodeGroupTemplateNodeInfoRequest(id="dpu-16c"), timeout=5).nodeBytes)
for k, v in sorted(n.status.allocatable.items()):
    print("template dpu-16c allocatable %s: %s" % (k, v.string))
EOF
/usr/bin/python3 $p/template.py
kill -TERM $dpud_pid; wait $dpud_pid && echo "dpud exited 0"
kill -TERM $prov_pid; wait $prov_pid && echo "dpu-provider exited 0"
say "co-location QoS: dpu.ko sees CPU use by class, dpud holds best effort (BE) back"
q=/sys/fs/cgroup/demo
mkdir -p $q/online $q/be
echo "+cpu +memory" > /sys/fs/cgroup/cgroup.subtree_control
echo "+cpu +memory" > $q/cgroup.subtree_control
user/build/bin/dpuctl qos class set /demo/online ls
user/build/bin/dpuctl qos class set /demo/be be
printf "listen = 127.0.0.1:9478\ndesired_dir = $d/qos-desired\nstate_dir = $d/qos-state\ndevice = dpu0\n" > $d/qos.conf
mkdir -p $d/qos-desired $d/qos-state
user/build/bin/dpud --config $d/qos.conf 2> $d/dpud-qos.log &
dpud_pid=$!
in_cg() { local c=$1; shift; bash -c "echo \$\$ > $q/$c/cgroup.procs && exec $*" >/dev/null 2>&1 & disown; }
in_cg be stress-ng --cpu 2 --timeout 120
sleep 4
echo "online idle: BE cpu.max $(cat $q/be/cpu.max), cpu.idle $(cat $q/be/cpu.idle)"
user/build/bin/dpuctl qos show | grep ^decision
in_cg online stress-ng --cpu 1 --timeout 120
on=$!
sleep 3
echo "online busy: BE cpu.max $(cat $q/be/cpu.max) (suppressed)"
user/build/bin/dpuctl qos show | grep -E "^(usage|decision)"
kill $on
sleep 4
echo "online idle again: BE cpu.max $(cat $q/be/cpu.max)"
echo 1 > $q/be/cgroup.kill
sleep 1
read -r _ total _ < <(grep MemTotal /proc/meminfo)
read -r _ avail _ < <(grep MemAvailable /proc/meminfo)
used=$(( (total - avail) * 100 / total ))
user/build/bin/dpuctl qos set mem-high $((used + 10)) mem-low $((used + 6)) mem-reclaim-ms 300 | cut -c1-120
in_cg be stress-ng --vm 1 --vm-bytes $(( total * 20 / 100 / 1024 ))M --vm-keep --timeout 120
for i in $(seq 600); do grep -q "qos: evicted" $d/dpud-qos.log && break; sleep 0.1; done
grep "qos: evicted" $d/dpud-qos.log | sed -E "s/^ts=[^ ]* //"
user/build/bin/dpuctl qos class show
user/build/bin/dpuctl qos set mem-high 70 mem-low 68 > /dev/null
kill -TERM $dpud_pid; wait $dpud_pid && echo "dpud exited 0"
user/build/bin/dpuctl qos class del /demo/online
user/build/bin/dpuctl qos class del /demo/be
rmdir $q/online $q/be $q 2>/dev/null || true
say "rmmod dpu_sim dpu"
echo 0 > /sys/bus/dpu_sim/del_device
rmmod dpu_sim dpu
echo "demo done"
'

exec "$here/vm" --dpu-emu 4 -m 2048 -t 300 -- bash -c '
set -e
dpuctl=user/build/bin/dpuctl
say() { printf "\n\$ %s\n" "$*"; }
$dpuctl monitor > /tmp/events.txt &
say "dpuctl dev show      # dpu_pci found the DPU management PF below a PCIe switch"
$dpuctl dev show
say "ls /sys/bus/pci/slots      # the switch ports the DPU hot-plugs into (pciehp)"
ls /sys/bus/pci/slots | tr "\n" " "; echo
say "dpuctl tenant add dpu0/acme iops 500      # enforced by the DPU, not the host"
$dpuctl tenant add dpu0/acme iops 500
say "dpuctl fn add dev dpu0 type blk size 1G tenant acme wait      # the DPU hot-plugs a virtio-blk function"
$dpuctl fn add dev dpu0 type blk size 1G tenant acme wait
blk=$($dpuctl -j fn show dpu0/0 | jq -r ".[0].blkdev")
say "ls -l /sys/class/dpu_fn/dpu0fn0/{function,disk}; cat /sys/block/$blk/serial"
ls -l /sys/class/dpu_fn/dpu0fn0/function /sys/class/dpu_fn/dpu0fn0/disk | sed "s/.* -> /-> /"
cat /sys/block/$blk/serial
say "echo pcie-demo | dd of=/dev/$blk; dd if=/dev/$blk      # stock virtio_blk, real data"
printf "pcie-demo-%s\n" "$(date +%s)" > /tmp/pat
dd if=/tmp/pat of=/dev/$blk bs=512 conv=sync oflag=direct status=none
if cmp -s -n "$(stat -c %s /tmp/pat)" /tmp/pat /dev/$blk; then echo "pci read back: identical"; fi
say "fio --rw=randread --ramp_time=2 --runtime=4 --filename=/dev/$blk      # the tenant limit, in the DPU"
fio --name=demo --filename=/dev/$blk --rw=randread --bs=4k --ioengine=io_uring --iodepth=16 --direct=1 \
	--time_based --ramp_time=2 --runtime=4 | grep -E "read: IOPS"
say "dpuctl fn del dpu0/0      # the host lets go, then the DPU unplugs: slot free"
t0=$(date +%s%N)
$dpuctl fn del dpu0/0
echo "deleted in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
$DPU_EMU ctl fns
say "dpuctl monitor      # what it printed meanwhile"
sleep 0.3
kill %1
cat /tmp/events.txt
$dpuctl tenant del dpu0/acme
echo "pci demo done"
'
