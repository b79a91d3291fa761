#!/usr/bin/python3
"""dpud as the DRA driver dpu.dpupool.io and as a device plugin, end to end
in a guest with dpu.ko and dpu_sim.ko, against the kubelet stand-in
(kubelet.py, messages from the upstream .proto files) and the API-server
stand-in (apiserver.py, HTTPS with a test CA and a bearer token).

    scripts/vm -t 900 -- tools/testing/k8s/k8s_test.py

Prints TAP; exit status 0 only if every check passed."""

import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import grpc  # noqa: E402
from apiserver import APIServer  # noqa: E402
from kubelet import DRAKubelet, DevicePluginKubelet, Protos, check_field_numbers  # noqa: E402

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".."))
DPUD = os.environ.get("DPUD", os.path.join(REPO, "user/build/san/bin/dpud"))
if not os.access(DPUD, os.X_OK):
    DPUD = os.path.join(REPO, "user/build/bin/dpud")
DPUCTL = os.path.join(REPO, "user/build/bin/dpuctl")
SIM = "/sys/bus/dpu_sim"
SIMID = 81
DRIVER = "dpu.dpupool.io"
NODE = "node-a"
TOKEN = "dpud-test-token-3f9a"
PORT = 9479

results = []


def tap(ok, desc, diag=None):
    results.append(ok)
    print("%s %d %s" % ("ok" if ok else "not ok", len(results), desc), flush=True)
    if not ok and diag:
        for line in str(diag).splitlines():
            print("# " + line, flush=True)
    return ok


def check(desc, fn):
    """fn passes only by returning True; a string says what is wrong."""
    try:
        r = fn()
        if r is True:
            return tap(True, desc)
        return tap(False, desc, "the check returned nothing" if r is None else r)
    except Exception as e:  # noqa: BLE001 - reported, not raised
        return tap(False, desc, "%s: %s" % (type(e).__name__, e))


def wait(pred, timeout=20, step=0.1):
    end = time.time() + timeout
    while True:
        r = pred()
        if r or time.time() > end:
            return r
        time.sleep(step)


def run(*args, check_rc=True):
    p = subprocess.run(list(args), capture_output=True, text=True)
    if check_rc and p.returncode:
        raise RuntimeError("%s: exit %d: %s" % (" ".join(args), p.returncode, p.stderr.strip()))
    return p.stdout


class Env:
    def __init__(self):
        self.t = tempfile.mkdtemp(prefix="k8s_test.")
        self.kdir = os.path.join(self.t, "kubelet")
        self.cdi = os.path.join(self.t, "cdi")
        self.state = os.path.join(self.t, "state")
        self.desired = os.path.join(self.t, "desired")
        for d in (self.kdir, self.desired):
            os.makedirs(d)
        self.proc = None
        self.log = open(os.path.join(self.t, "dpud.log"), "a")
        with open(os.path.join(SIM, "new_device"), "w") as f:
            f.write(str(SIMID))
        self.dev = wait(self._find_dev, 10)
        if not self.dev:
            raise RuntimeError("dpu_sim%d did not appear" % SIMID)
        self.dbg = "/sys/kernel/debug/dpu_sim/dpu_sim%d" % SIMID
        os.makedirs("/sys/fs/cgroup/k8s-test", exist_ok=True)
        self._certs()
        self.api = APIServer(os.path.join(self.t, "server.crt"), os.path.join(self.t, "server.key"),
                             TOKEN, DRIVER, NODE)
        with open(os.path.join(self.t, "kubeconfig"), "w") as f:
            f.write("""apiVersion: v1
kind: Config
current-context: test
contexts:
- name: test
  context: {cluster: stand-in, user: dpud}
clusters:
- name: stand-in
  cluster:
    server: https://localhost:%d
    certificate-authority: ca.crt
users:
- name: dpud
  user:
    token: %s
""" % (self.api.port, TOKEN))

    def _find_dev(self):
        for d in os.listdir("/sys/class/dpu"):
            if os.path.basename(os.readlink("/sys/class/dpu/%s/device" % d)) == "dpu_sim%d" % SIMID:
                return d
        return None

    def _certs(self):
        t = self.t
        run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", "/CN=test-ca", "-keyout", t + "/ca.key", "-out", t + "/ca.crt")
        run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
            "-keyout", t + "/server.key", "-out", t + "/server.csr")
        with open(t + "/ext", "w") as f:
            f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
        run("openssl", "x509", "-req", "-in", t + "/server.csr", "-CA", t + "/ca.crt",
            "-CAkey", t + "/ca.key", "-CAcreateserial", "-days", "2", "-extfile", t + "/ext",
            "-out", t + "/server.crt")

    def conf(self, plugin, extra="", kubeconfig="kubeconfig"):
        with open(os.path.join(self.t, "dpud.conf"), "w") as f:
            f.write("""listen = 127.0.0.1:%d
desired_dir = %s
state_dir = %s
device = %s
sample_interval = 1s
cgroup_root = k8s-test
kubelet_plugin = %s
kubelet_dir = %s
cdi_dir = %s
node_name = %s
kubeconfig = %s
k8s_slots = blk:4, net:2
k8s_disk_size = 64Mi
k8s_max_disk_size = 1Gi
prepare_timeout = 20s
node_status_interval = 1s
%s""" % (PORT, self.desired, self.state, self.dev, plugin, self.kdir, self.cdi, NODE,
                  os.path.join(self.t, kubeconfig), extra))

    def start(self, crash_at=None):
        env = dict(os.environ)
        env.pop("DPUD_TEST_CRASH_AT", None)
        if crash_at:
            env["DPUD_TEST_CRASH_AT"] = crash_at
        self.log.write("=== start %s\n" % (crash_at or ""))
        self.log.flush()
        self.proc = subprocess.Popen([DPUD, "--config", os.path.join(self.t, "dpud.conf")],
                                     stderr=self.log, env=env)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                return self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                return self.proc.wait()
        return self.proc.returncode if self.proc else 0

    def fns(self):
        out = run(DPUCTL, "-j", "fn", "show", self.dev)
        return json.loads(out) if out.strip() else []

    def cleanup(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        try:
            with open(os.path.join(SIM, "del_device"), "w") as f:
                f.write(str(SIMID))
        except OSError:
            pass
        self.api.close()
        out = os.environ.get("DPU_VM_OUT")
        if out:
            shutil.copy(os.path.join(self.t, "dpud.log"), os.path.join(out, "k8s-dpud.log"))


def claim_obj(ns, name, uid, results, params=None, pool=None):
    res = [{"request": r, "driver": DRIVER, "pool": pool, "device": d, "adminAccess": None}
           for r, d in results]
    cfg = []
    if params is not None:
        cfg.append({"source": "FromClaim", "requests": [], "opaque": {"driver": DRIVER, "parameters": params}})
    cfg.append({"source": "FromClass", "opaque": {"driver": "other.example.com", "parameters": {"x": 1}}})
    return {"apiVersion": "resource.k8s.io/v1beta1", "kind": "ResourceClaim",
            "metadata": {"namespace": ns, "name": name, "uid": uid},
            "spec": {"devices": {"requests": [{"name": r, "deviceClassName": "dpu"} for r, _ in results]}},
            "status": {"allocation": {"devices": {"results": res, "config": cfg}}}}


def blk_size(path):
    return int(run("blockdev", "--getsize64", path).strip())


def fio_verify(path):
    p = subprocess.run(["fio", "--name=v", "--filename=" + path, "--rw=write", "--bs=64k",
                        "--size=8M", "--direct=1", "--verify=crc32c", "--do_verify=1",
                        "--output-format=json"], capture_output=True, text=True)
    if p.returncode:
        return "fio failed: %s" % p.stderr[-500:]
    j = json.loads(p.stdout)
    w = j["jobs"][0]["write"]["io_bytes"]
    return True if w >= 8 << 20 and j["jobs"][0]["error"] == 0 else "fio wrote %d bytes, error %d" % (
        w, j["jobs"][0]["error"])


def cdi_spec(env, key):
    with open(os.path.join(env.cdi, "dpupool.io-dpu-%s.json" % key)) as f:
        return json.load(f)


def record_index(env, name):
    try:
        with open(os.path.join(env.state, name + ".fn")) as f:
            m = re.search(r"^index\s*=\s*(\d+)", f.read(), re.M)
            return int(m.group(1)) if m else None
    except OSError:
        return None


def dra_tests(env, pb):
    env.conf("dra")
    env.start()
    kl = DRAKubelet(pb, env.kdir, DRIVER)
    pool = "%s-%s" % (NODE, env.dev)
    slice_name = "%s-%s-%s" % (NODE, DRIVER, env.dev)

    check("dpud's kubelet API copies have the upstream messages, field numbers and methods",
          lambda: check_field_numbers(pb) == [] or "\n".join(check_field_numbers(pb)))

    def reg():
        info = kl.discover(15)
        return True if info.endpoint.startswith(env.kdir) else "endpoint %s" % info.endpoint
    check("the kubelet finds the registration socket; GetInfo: DRAPlugin %s, v1beta1.DRAPlugin, "
          "an endpoint socket; registration accepted" % DRIVER, reg)
    check("dpud logs the kubelet's registration status",
          lambda: wait(lambda: "registered with the kubelet" in open(env.log.name).read(), 10) or
          "no 'registered with the kubelet' in the log")

    def slice_ok():
        s = wait(lambda: env.api.slices.get(slice_name), 15)
        if not s:
            return "no ResourceSlice %s (requests: %s)" % (slice_name, env.api.requests[-5:])
        sp = s["spec"]
        names = [d["name"] for d in sp["devices"]]
        if names != ["blk-0", "blk-1", "blk-2", "blk-3", "net-0", "net-1"]:
            return "devices %s" % names
        a = sp["devices"][0]["basic"]["attributes"]
        want = {"type": {"string": "blk"}, "dpu": {"string": env.dev}, "backend": {"string": "sim"},
                "tenantable": {"bool": True}}
        for k, v in want.items():
            if a.get(k) != v:
                return "attribute %s = %r" % (k, a.get(k))
        if "numaNode" not in a or "int" not in a["numaNode"]:
            return "numaNode %r" % a.get("numaNode")
        if sp["devices"][0]["basic"]["capacity"] != {"size": {"value": "1Gi"}}:
            return "capacity %r" % sp["devices"][0]["basic"]["capacity"]
        if sp["devices"][4]["basic"]["attributes"]["type"] != {"string": "net"}:
            return "net-0 type %r" % sp["devices"][4]["basic"]["attributes"]["type"]
        if sp["pool"]["name"] != pool or sp["nodeName"] != NODE:
            return "pool %r node %r" % (sp["pool"], sp["nodeName"])
        return True
    check("a ResourceSlice for the DPU: blk-0..3, net-0..1 with type, dpu, backend, numaNode, "
          "tenantable and capacity size 1Gi, in pool <node>-<dpu> on the node", slice_ok)

    def node_ok():
        p = wait(lambda: env.api.patches, 15)
        if not p:
            return "no Node status patch"
        st = env.api.nodes[NODE]["status"]
        cap = st["capacity"]
        if "dpupool.io/batch-cpu" not in cap or "dpupool.io/batch-memory" not in cap:
            return "capacity %r" % cap
        if st["allocatable"].get("dpupool.io/batch-cpu") != cap["dpupool.io/batch-cpu"]:
            return "allocatable %r" % st["allocatable"]
        if cap.get("cpu") != "2":
            return "the patch replaced the node's own capacity: %r" % cap
        m = run("curl", "-s", "http://127.0.0.1:%d/metrics" % PORT)
        mc = re.search(r"^dpud_headroom_reclaimable_cpu_cores ([0-9.e+-]+)", m, re.M)
        mm = re.search(r"^dpud_headroom_reclaimable_memory_bytes ([0-9.e+-]+)", m, re.M)
        if not mc or not mm:
            return "no headroom in /metrics"
        cpu = int(cap["dpupool.io/batch-cpu"].rstrip("m"))
        mem = int(cap["dpupool.io/batch-memory"])
        # the figures may move between the patch and the scrape: within 25%
        if abs(cpu - float(mc.group(1)) * 1000) > max(0.25 * cpu, 100) or \
           abs(mem - float(mm.group(1))) > max(0.25 * mem, 64 << 20):
            return "published %dm %d, metrics %s %s" % (cpu, mem, mc.group(1), mm.group(1))
        return True
    check("the Node's status carries dpupool.io/batch-cpu and batch-memory (merge patch, the "
          "figures dpud reports), the node's own capacity untouched", node_ok)

    def rate_limited():
        n0 = len(env.api.patches)
        time.sleep(4)
        n = len(env.api.patches) - n0
        return True if n <= 1 else "%d patches in 4 s with node_status_interval 1s and idle figures" % n
    check("Node status is patched only on a meaningful change (idle: at most one patch in 4 s)",
          rate_limited)

    u1 = "11111111-aaaa-4bbb-8ccc-000000000001"
    env.api.claims[("team-a", "disk1")] = claim_obj("team-a", "disk1", u1, [("disk", "blk-0")],
                                                    {"size": "128Mi"}, pool)
    st = {}

    def prep1():
        t0 = time.time()
        r = kl.prepare([("team-a", "disk1", u1)])
        st["t"] = time.time() - t0
        c = r.claims[u1]
        if c.error:
            return "error: %s" % c.error
        if len(c.devices) != 1:
            return "devices %r" % c.devices
        d = c.devices[0]
        if list(d.request_names) != ["disk"] or d.pool_name != pool or d.device_name != "blk-0" or \
           list(d.cdi_device_ids) != ["dpupool.io/dpu=%s-0" % u1]:
            return "device %r" % d
        return True
    check("NodePrepareResources: the claim's blk-0 attached; answer names request, pool, device "
          "and CDI ID dpupool.io/dpu=<uid>-0", prep1)
    print("# prepare took %.2f s" % st.get("t", -1), flush=True)

    def cdi1():
        s = cdi_spec(env, u1)
        if s["cdiVersion"] != "0.6.0" or s["kind"] != "dpupool.io/dpu":
            return "spec %r" % s
        d = s["devices"][0]
        node = d["containerEdits"]["deviceNodes"][0]["path"]
        st["node"] = node
        if d["name"] != u1 + "-0" or not stat.S_ISBLK(os.stat(node).st_mode):
            return "device %r" % d
        if "DPUPOOL_BLK_0=" + node not in d["containerEdits"]["env"]:
            return "env %r" % d["containerEdits"]["env"]
        sz = blk_size(node)
        return True if sz == 128 << 20 else "%s is %d bytes, the claim asked for 128Mi" % (node, sz)
    check("the CDI spec names a real 128Mi block device (the claim's size parameter) and its env",
          cdi1)
    check("fio writes and verifies 8 MiB through the CDI spec's device node",
          lambda: fio_verify(st["node"]) if "node" in st else "no node")

    def tenant1():
        f = [x for x in env.fns() if x.get("state") == "ready"]
        if len(f) != 1 or f[0].get("tenant") != "team-a":
            return "functions %r" % f
        st["idx1"] = f[0]["index"]
        return True
    check("the function belongs to tenant team-a (the claim's namespace)", tenant1)

    def again():
        r = kl.prepare([("team-a", "disk1", u1)])
        c = r.claims[u1]
        n = len(env.fns())
        if c.error or list(c.devices[0].cdi_device_ids) != ["dpupool.io/dpu=%s-0" % u1] or n != 1:
            return "answer %r, %d functions" % (c, n)
        return True
    check("a repeated prepare is idempotent: the same device, no second function", again)

    def unprep():
        r = kl.unprepare([("team-a", "disk1", u1)])
        if r.claims[u1].error:
            return "error: %s" % r.claims[u1].error
        f = env.fns()
        if f:
            return "functions left: %r" % f
        if os.path.exists(os.path.join(env.cdi, "dpupool.io-dpu-%s.json" % u1)):
            return "the CDI spec is still there"
        return True
    check("NodeUnprepareResources: the function detached and the CDI spec removed before the answer",
          unprep)
    check("a repeated unprepare is fine",
          lambda: kl.unprepare([("team-a", "disk1", u1)]).claims[u1].error == "" or "error")

    # errors, each named
    def err_of(ns, name, uid):
        return kl.prepare([(ns, name, uid)]).claims[uid].error
    u2 = "11111111-aaaa-4bbb-8ccc-000000000002"
    check("a claim the API server does not have: 'not found'",
          lambda: "ResourceClaim team-a/ghost not found" in err_of("team-a", "ghost", u2) or
          err_of("team-a", "ghost", u2))
    env.api.claims[("team-a", "other")] = claim_obj("team-a", "other", u2, [("d", "blk-1")], None,
                                                    "node-b-dpu0")
    check("a device from another node's pool is refused, naming both pools",
          lambda: ("node-b-dpu0" in err_of("team-a", "other", u2) and pool in err_of("team-a", "other", u2))
          or err_of("team-a", "other", u2))
    env.api.claims[("team-a", "bad")] = claim_obj("team-a", "bad", u2, [("d", "blk-1")], {"colour": "red"}, pool)
    check("an unknown claim parameter is refused, naming it",
          lambda: "unknown parameter 'colour'" in err_of("team-a", "bad", u2) or err_of("team-a", "bad", u2))
    env.api.claims[("team-a", "big")] = claim_obj("team-a", "big", u2, [("d", "blk-1")], {"size": "2Gi"}, pool)
    check("a size over k8s_max_disk_size is refused",
          lambda: "larger than this node's largest disk" in err_of("team-a", "big", u2) or
          err_of("team-a", "big", u2))
    env.api.claims[("team-a", "wrong")] = claim_obj("team-a", "wrong", "99999999-0000-4000-8000-000000000000",
                                                    [("d", "blk-1")], None, pool)
    check("a claim whose UID changed (deleted and made anew) is refused",
          lambda: "has UID" in err_of("team-a", "wrong", u2) or err_of("team-a", "wrong", u2))
    def race():
        # the kubelet gives up on a prepare whose claim read is slow, and
        # unprepares: the late answer must not attach anything
        u6 = "11111111-aaaa-4bbb-8ccc-000000000006"
        env.api.claims[("team-a", "slow")] = claim_obj("team-a", "slow", u6, [("d", "blk-2")], None, pool)
        env.api.delays[("team-a", "slow")] = 3
        try:
            kl.prepare([("team-a", "slow", u6)], timeout=1)
            return "the prepare answered within 1 s"
        except grpc.RpcError as e:
            if e.code() != grpc.StatusCode.DEADLINE_EXCEEDED:
                return "status %s" % e.code()
        r = kl.unprepare([("team-a", "slow", u6)])
        if r.claims[u6].error:
            return "unprepare: %s" % r.claims[u6].error
        time.sleep(4)	# the read completes meanwhile
        f = env.fns()
        left = os.listdir(os.path.join(env.state, "claims"))
        return True if not f and not left else "functions %r, claim records %r" % (f, left)
    check("a prepare given up on (slow claim read) and unprepared at once attaches nothing when "
          "the read completes", race)
    check("none of the refused claims left a function or a record",
          lambda: (not env.fns() and not os.listdir(os.path.join(env.state, "claims"))) or
          "functions %r claims %r" % (env.fns(), os.listdir(os.path.join(env.state, "claims"))))

    # kill -9 between attach and reply
    u3 = "11111111-aaaa-4bbb-8ccc-000000000003"
    env.api.claims[("team-b", "nic")] = claim_obj("team-b", "nic", u3, [("nic", "net-0")],
                                                  {"tenant": "acme"}, pool)
    env.stop()
    env.start(crash_at="prepare-reply")
    kl.discover(15)

    def crash():
        try:
            kl.prepare([("team-b", "nic", u3)], timeout=30)
            return "prepare answered; dpud should have died first"
        except grpc.RpcError as e:
            if e.code() != grpc.StatusCode.UNAVAILABLE:
                return "status %s" % e.code()
        env.proc.wait(10)
        st["crash_idx"] = record_index(env, "k8s-%s-0" % u3)
        return True if env.proc.returncode == -9 and st["crash_idx"] is not None else \
            "dpud exit %s, record index %s" % (env.proc.returncode, st["crash_idx"])
    check("dpud killed (SIGKILL) after the NIC is attached and recorded, before it answers", crash)
    env.start()
    kl.discover(15)

    def retried():
        r = kl.prepare([("team-b", "nic", u3)])
        c = r.claims[u3]
        f = env.fns()
        if c.error:
            return "error: %s" % c.error
        if len(f) != 1 or f[0]["index"] != st.get("crash_idx") or f[0].get("tenant") != "acme":
            return "functions %r, recorded index %s" % (f, st.get("crash_idx"))
        spec = cdi_spec(env, u3)
        env_ = spec["devices"][0]["containerEdits"]["env"]
        nic = env_[0].split("=", 1)[1]
        if not os.path.exists("/sys/class/net/%s" % nic):
            return "the CDI spec names NIC %r, not a NIC of the host" % nic
        return True
    check("the kubelet's retry after the restart gets the same function (tenant acme from the "
          "claim's parameters), not a second one; the CDI spec names the NIC", retried)
    kl.unprepare([("team-b", "nic", u3)])

    # kubelet restart: it wipes this node's slices and registers plugins again
    def kubelet_restart():
        env.api.slices.pop(slice_name, None)
        n0 = kl.registrations
        kl.discover(15)
        s = wait(lambda: env.api.slices.get(slice_name), 15)
        if kl.registrations != n0 + 1 or not s:
            return "registrations %d -> %d, slice %s" % (n0, kl.registrations, bool(s))
        return True
    check("a kubelet restart: registration again, and the ResourceSlice the kubelet wiped is "
          "published again", kubelet_restart)

    # slots exhausted: the DPU has 2 functions; a desired-state disk takes one
    def exhausted():
        try:
            return exhausted_()
        finally:
            for f in ("ops-disk.conf", "tenant-ops.conf"):
                if os.path.exists(os.path.join(env.desired, f)):
                    os.unlink(os.path.join(env.desired, f))
            env.proc.send_signal(signal.SIGHUP)
            wait(lambda: not env.fns(), 15)
            with open(os.path.join(env.dbg, "max_fns"), "w") as f:
                f.write("4096")

    def exhausted_():
        with open(os.path.join(env.dbg, "max_fns"), "w") as f:
            f.write("2")
        u4, u5 = "11111111-aaaa-4bbb-8ccc-000000000004", "11111111-aaaa-4bbb-8ccc-000000000005"
        env.api.claims[("team-a", "c4")] = claim_obj("team-a", "c4", u4, [("d", "blk-0")], None, pool)
        env.api.claims[("team-a", "c5")] = claim_obj("team-a", "c5", u5, [("n", "net-0")], None, pool)
        r = kl.prepare([("team-a", "c4", u4)]).claims[u4]
        if r.error:
            return "first claim: %s" % r.error
        with open(os.path.join(env.desired, "ops-disk.conf"), "w") as f:
            f.write("tenant = ops\ntype = blk\nsize = 16Mi\n")
        with open(os.path.join(env.desired, "tenant-ops.conf"), "w") as f:
            f.write("# operator's tenant\n")
        env.proc.send_signal(signal.SIGHUP)
        if not wait(lambda: len(env.fns()) == 2, 15):
            return "the desired disk did not attach: %r" % env.fns()
        e = kl.prepare([("team-a", "c5", u5)]).claims[u5].error
        if "no free function slot on %s: 2 of 2 in use" % env.dev not in e:
            return "error %r" % e
        s = wait(lambda: (env.api.slices.get(slice_name) or {}).get("spec", {}).get("devices", [None] * 9)
                 if len((env.api.slices.get(slice_name) or {}).get("spec", {}).get("devices", [None] * 9)) == 1
                 else None, 10)
        kl.unprepare([("team-a", "c4", u4), ("team-a", "c5", u5)])
        return True if s else "the slice did not shrink to the one free slot: %r" % (
            env.api.slices.get(slice_name) or {}).get("spec", {}).get("devices")
    check("slots exhausted: a clear 'no free function slot ... 2 of 2 in use' error, and the slice "
          "shrinks to what is free", exhausted)
    def wrong_ca():
        # the server's certificate is verified: another CA's is refused
        env.stop()
        t = env.t
        run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", "/CN=other-ca", "-keyout", t + "/other.key", "-out", t + "/other.crt")
        with open(os.path.join(t, "kubeconfig")) as f:
            text = f.read().replace("certificate-authority: ca.crt", "certificate-authority: other.crt")
        with open(os.path.join(t, "kubeconfig-other"), "w") as f:
            f.write(text)
        n0 = len(env.api.requests)
        env.conf("dra", kubeconfig="kubeconfig-other")
        pos = os.path.getsize(env.log.name)
        env.start()

        def logged():
            with open(env.log.name) as f:
                f.seek(pos)
                return re.search(r"cannot (publish|read) .*(SSL|certificate)", f.read())
        seen = wait(logged, 20)
        n = len(env.api.requests) - n0
        env.stop()
        env.conf("dra")
        env.start()
        kl.discover(15)
        return True if seen and n == 0 else "log %s, requests that reached the server: %d" % (bool(seen), n)
    check("an API server whose certificate another CA signed: every request refused (TLS verified), "
          "the error logged", wrong_ca)
    check("the API server stand-in refused nothing dpud sent",
          lambda: not env.api.rejected or "%r" % env.api.rejected)
    rc = env.stop()
    check("dpud exits 0 on SIGTERM (sanitizers clean)", lambda: rc == 0 or "exit %s" % rc)


def dp_tests(env, pb):
    for f in os.listdir(os.path.join(env.state, "claims")):
        os.unlink(os.path.join(env.state, "claims", f))
    env.conf("device-plugin")
    kl = DevicePluginKubelet(pb, env.kdir)
    kl.start()
    env.start()
    st = {}

    def registered():
        b = kl.wait_registered("dpupool.io/dpu-blk", 20)
        n = kl.wait_registered("dpupool.io/dpu-net", 5)
        if not b or not n:
            return "registered: %s refused: %s" % (list(kl.plugins), kl.refused)
        if not b["options"].get_preferred_allocation_available:
            return "options %r" % b["options"]
        lst = kl.last_list("dpupool.io/dpu-blk")
        numa = json.loads(run(DPUCTL, "-j", "dev", "show", env.dev))[0].get("numa_node", -1)
        if [d[0] for d in lst] != ["blk-0", "blk-1", "blk-2", "blk-3"] or \
           any(d[1] != "Healthy" for d in lst) or lst[0][2] != ([numa] if numa >= 0 else []):
            return "list %r (the DPU's NUMA node: %s)" % (lst, numa)
        return True
    check("Register for dpupool.io/dpu-blk and dpu-net (the kubelet dials back and asks the "
          "options); ListAndWatch streams blk-0..3 Healthy with their NUMA node", registered)

    def pref():
        r = kl.preferred("dpupool.io/dpu-blk", ["blk-2", "blk-0", "blk-3"], ["blk-3"], 2)
        ids = list(r.container_responses[0].deviceIDs)
        return True if ids == ["blk-3", "blk-0"] else "preferred %r" % ids
    check("GetPreferredAllocation: must_include first, then the lowest-numbered", pref)

    def alloc():
        r = kl.allocate("dpupool.io/dpu-blk", [["blk-1"]])
        c = r.container_responses[0]
        if len(c.devices) != 1 or [d.name for d in c.cdi_devices] != ["dpupool.io/dpu=dp-blk-1-0"]:
            return "answer %r" % c
        node = c.devices[0].host_path
        st["node"] = node
        if c.devices[0].container_path != node or c.devices[0].permissions != "rw" or \
           c.envs.get("DPUPOOL_BLK_1") != node or not stat.S_ISBLK(os.stat(node).st_mode):
            return "answer %r" % c
        st["idx"] = record_index(env, "k8s-dp-blk-1-g0")
        return True if blk_size(node) == 64 << 20 else "size %d" % blk_size(node)
    check("Allocate blk-1: a 64Mi disk attached, its device node, env and CDI name in the answer", alloc)
    check("fio writes and verifies through the allocated device",
          lambda: fio_verify(st["node"]) if "node" in st else "no node")

    def surprise():
        with open(os.path.join(env.dbg, "surprise_remove"), "w") as f:
            f.write(str(st["idx"]))
        lst = kl.wait_list("dpupool.io/dpu-blk", lambda l: any(d[0] == "blk-1" and d[1] == "Unhealthy"
                                                                for d in l), 15)
        return True if lst and dict((d[0], d[1]) for d in lst)["blk-1"] == "Unhealthy" and \
            dict((d[0], d[1]) for d in lst)["blk-0"] == "Healthy" else "list %r" % lst
    check("surprise removal of blk-1's function: ListAndWatch marks blk-1 Unhealthy, the others stay "
          "Healthy", surprise)

    def realloc():
        r = kl.allocate("dpupool.io/dpu-blk", [["blk-1"]])
        name = r.container_responses[0].cdi_devices[0].name
        idx = record_index(env, "k8s-dp-blk-1-g1")
        if name != "dpupool.io/dpu=dp-blk-1-0" or idx is None:
            return "answer %r, new record index %s" % (name, idx)
        lst = kl.wait_list("dpupool.io/dpu-blk", lambda l: dict((d[0], d[1]) for d in l)["blk-1"] == "Healthy", 15)
        return True if dict((d[0], d[1]) for d in lst)["blk-1"] == "Healthy" else "list %r" % lst
    check("a new Allocate of blk-1 gets a fresh function (a new pod never sees the old disk); "
          "blk-1 is Healthy again", realloc)

    def bad():
        try:
            kl.allocate("dpupool.io/dpu-blk", [["blk-99"]])
            return "allocated blk-99"
        except grpc.RpcError as e:
            return True if e.code() == grpc.StatusCode.INVALID_ARGUMENT and "blk-99" in e.details() \
                else "%s %s" % (e.code(), e.details())
    check("Allocate of a device that is not offered: INVALID_ARGUMENT naming it", bad)

    def exhausted():
        with open(os.path.join(env.dbg, "max_fns"), "w") as f:
            f.write("2")
        try:
            kl.allocate("dpupool.io/dpu-blk", [["blk-2"]])
            kl.allocate("dpupool.io/dpu-net", [["net-0"]])
            return "allocated past the DPU's 2 slots"
        except grpc.RpcError as e:
            ok = e.code() == grpc.StatusCode.RESOURCE_EXHAUSTED and "no free function slot" in e.details()
            return True if ok else "%s %s" % (e.code(), e.details())
        finally:
            with open(os.path.join(env.dbg, "max_fns"), "w") as f:
                f.write("4096")
    check("slots exhausted: RESOURCE_EXHAUSTED 'no free function slot'", exhausted)

    # kill -9 between attach and reply, then the kubelet's retry
    env.stop()
    env.start(crash_at="allocate-reply")
    kl.wait_registered("dpupool.io/dpu-net", 20, after=time.time() - 0.5)

    def crash():
        try:
            kl.allocate("dpupool.io/dpu-net", [["net-1"]], timeout=30)
            return "answered"
        except grpc.RpcError:
            pass
        env.proc.wait(10)
        st["nidx"] = record_index(env, "k8s-dp-net-1-g0")
        return True if env.proc.returncode == -9 and st["nidx"] is not None else \
            "exit %s index %s" % (env.proc.returncode, st["nidx"])
    check("dpud killed after net-1's NIC is attached and recorded, before Allocate answers", crash)
    t0 = time.time()
    env.start()

    def retry():
        if not kl.wait_registered("dpupool.io/dpu-net", 20, after=t0):
            return "dpud did not register again"
        r = kl.allocate("dpupool.io/dpu-net", [["net-1"]])
        c = r.container_responses[0]
        nets = [f for f in env.fns() if f["type"] == "net"]
        if len(nets) != 1 or nets[0]["index"] != st["nidx"] or "DPUPOOL_NET_1" not in c.envs:
            return "NICs %r, recorded %s, envs %r" % (nets, st["nidx"], dict(c.envs))
        return True
    check("after the restart the kubelet's Allocate of net-1 gets the same NIC, not a second one", retry)

    def restart():
        t1 = time.time()
        kl.restart()
        b = kl.wait_registered("dpupool.io/dpu-blk", 20, after=t1)
        n = kl.wait_registered("dpupool.io/dpu-net", 20, after=t1)
        return True if b and n else "registered again: blk %s net %s (refused %s)" % (
            bool(b), bool(n), kl.refused)
    check("a kubelet restart (plugin sockets removed, kubelet.sock anew): dpud registers both "
          "resources again and ListAndWatch streams again", restart)
    rc = env.stop()
    check("dpud exits 0 on SIGTERM", lambda: rc == 0 or "exit %s" % rc)
    kl.cleanup()


def main():
    if not os.path.isdir(SIM):
        # counted as a skip by make check, not as nothing
        print("ok 1 # SKIP dpu_sim.ko not loaded: no simulated DPU to serve pods from")
        print("1..1")
        return 0
    env = Env()
    print("# device %s, work dir %s, daemon %s, API server port %d" % (env.dev, env.t, DPUD, env.api.port),
          flush=True)
    try:
        pb = Protos(env.t)
        dra_tests(env, pb)
        dp_tests(env, pb)
    except Exception as e:  # noqa: BLE001
        tap(False, "the test ran to its end", "%s: %s" % (type(e).__name__, e))
    finally:
        env.cleanup()
    print("1..%d" % len(results))
    if not all(results):
        with open(os.path.join(env.t, "dpud.log")) as f:
            for line in f.read().splitlines()[-60:]:
                print("# dpud: " + line)
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
