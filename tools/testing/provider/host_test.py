#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""A scale-up that boots a real host: dpu-provider runs the vm-host hook,
which boots a QEMU guest of the group's shape; in it dpud attaches the
host's boot disk and uplink from the simulated DPU and registers, and the
instance turns running.  The template then carries what that host reported;
DeleteNodes tells the agent to leave and powers the guest off.

  tools/testing/provider/host_test.py user/build/bin/dpu-provider

Needs: make modules user, the cached guest kernel (scripts/kernel.sh), and
Debian's python3-grpcio / python3-protobuf / protoc.  TAP on stdout."""
import glob
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from provider_test import PROTO_DIR, SERVICE, check, tap, tap_main  # noqa: E402

HOOK = os.path.join(HERE, "hooks", "vm-host")
GROUP = "dpu-sim"
CONFIG = """\
listen = 127.0.0.1:%(port)d
provision_hook = %(hook)s
deprovision_hook = %(hook)s
hook_waits_for_agent = yes
# the guest's agent comes over the QEMU user network, plaintext
insecure_agents = yes
hook_timeout = 2m
agent_report_interval = 1s
[group %(group)s]
min = 0
max = 2
cpu = 2
memory = 768Mi
pods = 32
reserved_cpu = 100m
reserved_memory = 64Mi
"""


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def metrics(port):
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5) as r:
        out = {}
        for line in r.read().decode().splitlines():
            if line and not line.startswith("#"):
                k, v = line.rsplit(" ", 1)
                out[k] = float(v)
        return out


def cleanup(proc, tmp):
    if proc and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
    # no guest outlives the test
    for pidf in glob.glob(os.path.join(tmp, "hosts", "*", "pid")):
        try:
            os.kill(int(open(pidf).read()), 15)
        except (OSError, ValueError):
            pass


def main():
    return tap_main("host_test.py", run, cleanup)


def run(binary, tmp):
    import grpc

    gen = os.path.join(tmp, "py")
    os.mkdir(gen)
    subprocess.run(["protoc", "--python_out=" + gen, "-I", PROTO_DIR, "externalgrpc.proto",
                    "k8s/core_v1.proto", "k8s/meta_v1.proto", "k8s/resource.proto"], check=True)
    sys.path.insert(0, gen)
    import externalgrpc_pb2 as pb
    from k8s import core_v1_pb2 as core

    port = free_port()
    hosts = os.path.join(tmp, "hosts")
    conf = os.path.join(tmp, "provider.conf")
    with open(conf, "w") as f:
        f.write(CONFIG % {"port": port, "hook": HOOK, "group": GROUP})
    # the guest gets 1 vCPU while the group says 2: a template showing 1
    # can only come from the guest's report, not from the configuration
    env = dict(os.environ, DPU_HOST_STATE=hosts, DPU_HOST_PROVIDER="10.0.2.2:%d" % port,
               DPU_HOST_TTL="900", DPU_HOST_DRAIN="30", DPU_HOST_SMP="1")
    log = open(os.path.join(tmp, "provider.log"), "w")
    proc = subprocess.Popen([binary, "--config", conf, "--db", os.path.join(tmp, "inv.db")],
                            stdout=log, stderr=log, env=env)
    chan = grpc.insecure_channel("127.0.0.1:%d" % port)
    try:
        grpc.channel_ready_future(chan).result(timeout=15)
    except grpc.FutureTimeoutError:
        log.close()
        tap(False, "dpu-provider starts", open(os.path.join(tmp, "provider.log")).read())
        return proc

    def rpc(name, req, resp_cls, timeout=10):
        f = chan.unary_unary(SERVICE + name, request_serializer=lambda m: m.SerializeToString(),
                             response_deserializer=resp_cls.FromString)
        return f(req, timeout=timeout)

    def nodes():
        return rpc("NodeGroupNodes", pb.NodeGroupNodesRequest(id=GROUP), pb.NodeGroupNodesResponse).instances

    S = pb.InstanceStatus
    state = {}

    def t_increase():
        t0 = time.time()
        rpc("NodeGroupIncreaseSize", pb.NodeGroupIncreaseSizeRequest(id=GROUP, delta=1),
            pb.NodeGroupIncreaseSizeResponse)
        if time.time() - t0 > 2:
            return "IncreaseSize blocked %.1f s" % (time.time() - t0)
        ins = nodes()
        if len(ins) != 1 or ins[0].status.instanceState != S.instanceCreating:
            return "instances %r" % ins
        state["id"] = ins[0].id
        state["t0"] = t0
        return True
    check("IncreaseSize(1) returns at once; the instance is creating", t_increase)
    if "id" not in state:
        return proc
    serial = state["id"][len("dpupool://"):]
    hdir = os.path.join(hosts, serial)

    def t_booted():
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                pid = int(open(os.path.join(hdir, "pid")).read())
                os.kill(pid, 0)
                state["pid"] = pid
                state["mport"] = int(open(os.path.join(hdir, "metrics_port")).read())
                return True
            except (OSError, ValueError):
                time.sleep(0.2)
        return "no guest started (%s)" % hdir
    check("the hook powered a guest on (pid, metrics port)", t_booted)

    def t_running():
        deadline = time.time() + 300
        while time.time() < deadline:
            ins = nodes()
            st = ins[0].status if ins else None
            if st and st.instanceState == S.instanceRunning:
                state["boot_s"] = time.time() - state["t0"]
                return True
            if st and st.HasField("errorInfo") and st.errorInfo.errorCode:
                return "error %r" % st.errorInfo
            time.sleep(0.5)
        return "still %r" % nodes()
    check("the guest's dpud registered: instance running", t_running)
    if "boot_s" in state:
        print("# scale-up to running: %.1f s (TCG guest boot + dpud attach + Register)" % state["boot_s"])

    def t_functions():
        m = metrics(state["mport"])
        want = {
            'dpu_functions{device="dpu0",type="blk",state="ready"}': 1,
            'dpu_functions{device="dpu0",type="net",state="ready"}': 1,
            "dpud_agent_registered": 1,
            'dpud_agent_disposition{disposition="join"}': 1,
        }
        bad = {k: m.get(k) for k, v in want.items() if m.get(k) != v}
        if bad:
            return "dpud metrics differ: %r" % bad
        return True
    check("the host's dpud (metrics forwarded from the guest): boot disk + uplink ready, told to join",
          t_functions)

    def t_attached():
        import json
        deadline = time.time() + 20
        fns = None
        while time.time() < deadline and fns is None:
            try:
                fns = json.load(open(os.path.join(hdir, "run", "functions.json")))
            except (OSError, ValueError):
                time.sleep(0.2)
        if fns is None:
            return "no functions.json from the guest"
        blk = [f for f in fns if f.get("type") == "blk"]
        net = [f for f in fns if f.get("type") == "net"]
        if len(blk) != 1 or blk[0].get("size") != 256 << 20 or blk[0].get("tenant") != "host":
            return "boot disk %r" % blk
        if len(net) != 1 or net[0].get("mac") != "02:dd:00:00:00:01":
            return "uplink %r" % net
        try:
            disp = open(os.path.join(hdir, "run", "disposition")).read().strip()
        except OSError as e:
            return "directive hook did not run: %s" % e
        if disp != "join":
            return "disposition %r" % disp
        return True
    check("the DPU attached a 256 MiB boot disk and the uplink MAC; the directive hook saw join", t_attached)

    def t_template():
        def template():
            r = rpc("NodeGroupTemplateNodeInfo", pb.NodeGroupTemplateNodeInfoRequest(id=GROUP),
                    pb.NodeGroupTemplateNodeInfoResponse)
            n = core.Node.FromString(r.nodeBytes)
            return ({k: v.string for k, v in n.status.capacity.items()},
                    {k: v.string for k, v in n.status.allocatable.items()})
        # headroom is reported once dpud has two usage samples (1 s apart)
        deadline = time.time() + 20
        cap, alloc = template()
        while time.time() < deadline and int(alloc.get("dpupool.io/batch-memory", "0")) == 0:
            time.sleep(0.5)
            cap, alloc = template()
        # what the guest reported: 1 vCPU (the group's config says 2), its
        # RAM (a bit under 768Mi), 4096 function slots, 2 the host's own
        if cap.get("cpu") != "1" or alloc.get("cpu") != "900m":
            return "cpu capacity %r allocatable %r (want the guest's 1 vCPU, not the configured 2)" % (
                cap.get("cpu"), alloc.get("cpu"))
        mem = cap.get("memory", "")
        mm = re.fullmatch(r"(\d+)(Ki|Mi)?", mem)
        mib = int(mm.group(1)) / (1024 if mm and mm.group(2) == "Ki" else 1) if mm else 0
        if not 600 <= mib < 768:
            return "memory capacity %r (want the guest's RAM, 600..768 MiB)" % mem
        if cap.get("dpupool.io/dpu-blk") != "4096" or alloc.get("dpupool.io/dpu-blk") != "4094":
            return "dpu-blk capacity %r allocatable %r" % (cap.get("dpupool.io/dpu-blk"),
                                                          alloc.get("dpupool.io/dpu-blk"))
        bcpu = int(alloc.get("dpupool.io/batch-cpu", "-1"))
        bmem = int(alloc.get("dpupool.io/batch-memory", "-1"))
        # an idle host: nearly all allocatable is reclaimable, never more
        if not 400 <= bcpu <= 900:
            return "batch-cpu %d (want 400..900 millicores on an idle 1-vCPU host)" % bcpu
        if not (mib - 64) * 0.5 * 2**20 <= bmem <= (mib - 64) * 2**20:
            return "batch-memory %d (want half to all of the allocatable %d MiB)" % (bmem, mib - 64)
        print("# template from the guest: cpu %s memory %s dpu-blk %s/%s batch-cpu %d batch-memory %d"
              % (cap["cpu"], mem, alloc["dpupool.io/dpu-blk"], cap["dpupool.io/dpu-blk"], bcpu, bmem))
        return True
    check("TemplateNodeInfo: the shape, function slots and headroom the guest reported", t_template)

    def t_functions_stored():
        import sqlite3
        db = sqlite3.connect("file:%s?mode=ro" % os.path.join(tmp, "inv.db"), uri=True)
        try:
            row = db.execute("SELECT functions, functions_ready, functions_total FROM reports"
                             " WHERE serial = ?", (serial,)).fetchone()
        finally:
            db.close()
        if not row:
            return "no report row for %s" % serial
        fns, ready, total = row
        got = sorted(e.split(":", 1)[1] for e in fns.split(",")) if fns else []
        want = ["blk:ready:host:268435456:", "net:ready:host:0:02:dd:00:00:00:01"]
        if got != want or (ready, total) != (2, 2):
            return "functions %r ready %r total %r" % (fns, ready, total)
        return True
    check("the provider stored the host's functions as its agent reported them", t_functions_stored)

    def t_delete():
        rpc("NodeGroupDeleteNodes", pb.NodeGroupDeleteNodesRequest(
            id=GROUP, nodes=[pb.ExternalGrpcNode(providerID=state["id"], name=serial)]),
            pb.NodeGroupDeleteNodesResponse)
        deadline = time.time() + 90
        while time.time() < deadline:
            if not nodes():
                break
            time.sleep(0.5)
        else:
            return "instance still listed: %r" % nodes()
        disp = open(os.path.join(hdir, "run", "disposition")).read().strip()
        if disp != "leave":
            return "the agent was not told to leave (disposition %r)" % disp
        try:
            os.kill(state["pid"], 0)
            return "guest %d still running" % state["pid"]
        except OSError:
            pass
        with open(os.path.join(hdir, "hook.log")) as f:
            if "agent was told to leave; powering off" not in f.read():
                return "the hook did not drain (see %s/hook.log)" % hdir
        return True
    check("DeleteNodes: the agent is told to leave, then the guest is powered off and the instance gone",
          t_delete)
    return proc


if __name__ == "__main__":
    sys.exit(main())
