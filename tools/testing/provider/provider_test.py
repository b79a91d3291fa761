#!/usr/bin/python3
"""End-to-end test of dpu-provider, playing cluster-autoscaler's loop over
gRPC (python3-grpcio), with messages compiled from the project's own .proto
files by `protoc --python_out` into a temporary directory.

usage: provider_test.py PATH/TO/dpu-provider
Prints TAP; exit status 0 only if every test passed."""

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PROTO_DIR = os.path.normpath(os.path.join(HERE, "..", "..", "..", "user", "provider", "proto"))
SERVICE = "/clusterautoscaler.cloudprovider.v1.externalgrpc.CloudProvider/"
AGENT = "/dpupool.agent.v1.Agent/"

results = []


def tap(ok, desc, diag=None):
    results.append(ok)
    print("%s %d %s" % ("ok" if ok else "not ok", len(results), desc), flush=True)
    if not ok and diag:
        for line in str(diag).splitlines():
            print("# " + line, flush=True)
    return ok


def check(desc, fn):
    """fn passes only by returning True; a string says what is wrong, and
    None (a branch that forgot its return) is a failure too."""
    try:
        r = fn()
        if r is True:
            return tap(True, desc)
        if r is None:
            return tap(False, desc, "the check returned nothing (a missing return?)")
        return tap(False, desc, r)
    except Exception as e:  # noqa: BLE001 - a failed check is reported, not raised
        return tap(False, desc, "%s: %s" % (type(e).__name__, e))


CONFIG = """\
# dpu-provider test configuration
gpu_label = dpupool.io/gpu
gpu_types = a100, l4
max_attempts = 3
hook_timeout = 60s

[group small]
min = 1
max = 5
cpu = 16
memory = 64Gi
pods = 110
reserved_cpu = 500m
reserved_memory = 1Gi
labels = dpupool.io/tier=online, topology.kubernetes.io/zone=z1
taints = dpupool.io/dedicated=dpu:NoSchedule
resources = dpupool.io/dpu-nvme=8, dpupool.io/be-cpu=12
price_per_hour = 2.5
scale_down_unneeded_time = 5m
scale_down_utilization_threshold = 0.4

[group big]
min = 0
max = 2
cpu = 64
memory = 256Gi
"""

HOOK = """\
#!/bin/sh
# test provision hook: log the call, sleep, fail for chosen serials
d=%(dir)s
echo "$1 $2 $DPUPOOL_ATTEMPT $DPUPOOL_GROUP $DPUPOOL_CPU" >> $d/hook.log
# the hook's process group, for the test that kills the provider
cut -d' ' -f5 /proc/$$/stat >> $d/pgids
s=$(cat $d/sleep 2>/dev/null || echo 0.3)
sleep "$s"
if grep -qx "$2" $d/fail 2>/dev/null; then
    echo "BMC of $2 does not answer"
    exit 1
fi
if grep -qx "$2" $d/oor 2>/dev/null; then
    echo "no free host for $2"
    exit 3
fi
echo "$1 $2 done" >> $d/hook.log
exit 0
"""


class Provider:
    def __init__(self, binary, tmp, extra=(), db="inv.db"):
        self.binary, self.tmp = binary, tmp
        self.extra, self.db = list(extra), db
        self.config = os.path.join(tmp, "provider.conf")
        self.proc = None
        self.port = None
        self.log = os.path.join(tmp, "provider.log")

    def start(self):
        logf = open(self.log, "a")
        start = os.path.getsize(self.log)
        self.proc = subprocess.Popen(
            [self.binary, "--config", self.config,
             "--db", os.path.join(self.tmp, self.db),
             "--listen", "127.0.0.1:0",
             "--provision-hook", os.path.join(self.tmp, "hook.sh")] + self.extra,
            stdout=logf, stderr=logf)
        logf.close()
        deadline = time.time() + 10
        while time.time() < deadline:
            with open(self.log) as f:
                f.seek(start)
                m = re.search(r"listening on 127\.0\.0\.1:(\d+)", f.read())
            if m:
                self.port = int(m.group(1))
                return
            if self.proc.poll() is not None:
                raise RuntimeError("provider exited with %d" % self.proc.returncode)
            time.sleep(0.05)
        raise RuntimeError("provider did not start listening")

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                return self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill9()
                return None
        return self.proc.returncode if self.proc else None


def openssl(*args, cwd):
    subprocess.run(["openssl"] + list(args), cwd=cwd, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def make_certs(d):
    """A CA, a server cert for 127.0.0.1/localhost, a client cert, and a
    client cert signed by another CA, all made by openssl now."""
    os.mkdir(d)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    for ca in ("ca", "otherca"):
        openssl("req", "-x509", *ec, "-keyout", ca + ".key", "-out", ca + ".crt",
                "-days", "2", "-subj", "/CN=dpupool test " + ca,
                "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=d)
    exts = {
        "server": "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
        "client": "extendedKeyUsage=clientAuth\n",
    }
    # the autoscaler's certificate is named cluster-autoscaler (the default
    # autoscaler_names); an agent's names its host's serial
    cns = {"server": "localhost", "client": "cluster-autoscaler", "foreign": "dpupool-foreign",
           "agent": "tls-host-1"}
    for name, ca, kind in (("server", "ca", "server"), ("client", "ca", "client"),
                           ("foreign", "otherca", "client"), ("agent", "ca", "client")):
        with open(os.path.join(d, name + ".ext"), "w") as f:
            f.write(exts[kind])
        openssl("req", *ec, "-keyout", name + ".key", "-out", name + ".csr",
                "-subj", "/CN=" + cns[name], cwd=d)
        openssl("x509", "-req", "-in", name + ".csr", "-CA", ca + ".crt", "-CAkey", ca + ".key",
                "-CAcreateserial", "-out", name + ".crt", "-days", "2",
                "-extfile", name + ".ext", cwd=d)

    def rd(n):
        with open(os.path.join(d, n), "rb") as f:
            return f.read()
    return {n: rd(n) for n in ("ca.crt", "client.key", "client.crt", "foreign.key", "foreign.crt",
                               "agent.key", "agent.crt")}


def tls_tests(binary, tmp, grpc, pb, ag):
    d = os.path.join(tmp, "certs")
    try:
        pem = make_certs(d)
    except Exception as e:  # noqa: BLE001
        tap(False, "openssl made a CA, server and client certificates", e)
        return
    tap(True, "openssl made a CA, server and client certificates")
    prov = Provider(binary, tmp, db="tls.db", extra=[
        "--tls-cert", os.path.join(d, "server.crt"), "--tls-key", os.path.join(d, "server.key"),
        "--tls-ca", os.path.join(d, "ca.crt")])
    try:
        prov.start()
    except Exception as e:  # noqa: BLE001
        tap(False, "provider starts with --tls-cert/--tls-key/--tls-ca", e)
        return
    tap(True, "provider starts with --tls-cert/--tls-key/--tls-ca")
    addr = "127.0.0.1:%d" % prov.port

    def groups(chan):
        f = chan.unary_unary(SERVICE + "NodeGroups", request_serializer=lambda m: m.SerializeToString(),
                             response_deserializer=pb.NodeGroupsResponse.FromString)
        return f(pb.NodeGroupsRequest(), timeout=5)

    def call_with(creds):
        chan = grpc.secure_channel(addr, creds) if creds else grpc.insecure_channel(addr)
        try:
            return groups(chan)
        finally:
            chan.close()

    def expect_unavailable(creds):
        try:
            call_with(creds)
        except grpc.RpcError as e:
            if e.code() != grpc.StatusCode.UNAVAILABLE:
                return "got %s (%r), want UNAVAILABLE" % (e.code(), e.details())
            return True
        return "call succeeded"

    try:
        def t_ok():
            for host in ("127.0.0.1", "localhost"):
                creds = grpc.ssl_channel_credentials(root_certificates=pem["ca.crt"],
                                                     private_key=pem["client.key"],
                                                     certificate_chain=pem["client.crt"])
                chan = grpc.secure_channel("%s:%d" % (host, prov.port), creds)
                try:
                    r = groups(chan)
                finally:
                    chan.close()
                if sorted(g.id for g in r.nodeGroups) != ["big", "small"]:
                    return "%s: groups %r" % (host, r)
            return True
        check("mTLS: client with a certificate from the CA is served (127.0.0.1 and localhost)", t_ok)
        check("mTLS: client without a certificate fails with UNAVAILABLE",
              lambda: expect_unavailable(grpc.ssl_channel_credentials(root_certificates=pem["ca.crt"])))
        check("mTLS: client certificate from another CA fails with UNAVAILABLE",
              lambda: expect_unavailable(grpc.ssl_channel_credentials(
                  root_certificates=pem["ca.crt"], private_key=pem["foreign.key"],
                  certificate_chain=pem["foreign.crt"])))
        check("mTLS: plaintext client against the TLS port fails with UNAVAILABLE",
              lambda: expect_unavailable(None))

        def t_reasons():
            with open(prov.log) as f:
                log = f.read()
            for why in ("peer did not return a certificate", "certificate verify failed"):
                if why not in log:
                    return "provider log lacks %r" % why
            return True
        check("mTLS: the server refused the handshakes (no client cert; cert not from the CA)", t_reasons)

        def t_half():
            r = subprocess.run([binary, "--config", os.path.join(tmp, "provider.conf"),
                                "--db", os.path.join(tmp, "half.db"),
                                "--tls-cert", os.path.join(d, "server.crt")],
                               capture_output=True, text=True)
            if r.returncode != 2 or "needs all of --tls-cert, --tls-key and --tls-ca" not in r.stderr:
                return "rc %d, stderr %r" % (r.returncode, r.stderr)
            return True
        check("--tls-cert without --tls-key/--tls-ca rejected, exit 2", t_half)

        # identities: the autoscaler's methods for its certificate only, an
        # agent reports only as the host its certificate names
        def creds(who):
            return grpc.ssl_channel_credentials(root_certificates=pem["ca.crt"],
                                                private_key=pem[who + ".key"],
                                                certificate_chain=pem[who + ".crt"])

        def register(who, serial):
            chan = grpc.secure_channel(addr, creds(who))
            try:
                f = chan.unary_unary(AGENT + "Register",
                                     request_serializer=lambda m: m.SerializeToString(),
                                     response_deserializer=ag.Directive.FromString)
                return f(ag.RegisterRequest(host=ag.HostReport(serial=serial)), timeout=5)
            finally:
                chan.close()

        def denied(fn, text):
            try:
                fn()
            except grpc.RpcError as e:
                if e.code() != grpc.StatusCode.PERMISSION_DENIED or text not in (e.details() or ""):
                    return "got %s %r, want PERMISSION_DENIED with %r" % (e.code(), e.details(), text)
                return True
            return "the call succeeded"

        def t_agent_self():
            d = register("agent", "tls-host-1")
            if d.disposition != ag.STAY_FREE:
                return "directive %r" % d
            return True
        check("mTLS: an agent certificate named tls-host-1 registers as tls-host-1", t_agent_self)
        check("mTLS: the same certificate cannot report as another host",
              lambda: denied(lambda: register("agent", "tls-host-2"),
                             "a host reports only as itself: the certificate names tls-host-1,"
                             " the report claims tls-host-2"))
        check("mTLS: an agent certificate cannot call the autoscaler's methods",
              lambda: denied(lambda: call_with(creds("agent")),
                             "this method is the cluster autoscaler's: the certificate names tls-host-1"))
        check("mTLS: the autoscaler's certificate cannot report as a host",
              lambda: denied(lambda: register("client", "cluster-autoscaler"),
                             "the autoscaler's certificate cannot report as a host"))
    finally:
        rc = prov.stop()
    check("TLS provider: SIGTERM, exit status 0", lambda: True if rc == 0 else "exit status %r" % rc)


AGENT_CONFIG = """\
# agents register: the hook only boots the host; plaintext agents on
# loopback for the test
insecure_agents = yes
hook_waits_for_agent = yes
agent_report_interval = 7s

[group dpu]
min = 0
max = 4
cpu = 16
memory = 64Gi
pods = 110
reserved_cpu = 1
reserved_memory = 2Gi
"""

DEPROVISION_HOOK = """\
#!/bin/sh
echo "$1 $2" >> %(dir)s/deprov.log
sleep 1.5
exit 0
"""


def agent_tests(binary, tmp, grpc, pb, core, ag):
    """The Python client plays dpud: Register/Report over dpupool.agent.v1."""
    import sqlite3
    conf = os.path.join(tmp, "agent.conf")
    with open(conf, "w") as f:
        f.write(AGENT_CONFIG)
    dhook = os.path.join(tmp, "deprov.sh")
    with open(dhook, "w") as f:
        f.write(DEPROVISION_HOOK % {"dir": tmp})
    os.chmod(dhook, 0o755)
    prov = Provider(binary, tmp, db="agent.db", extra=["--deprovision-hook", dhook])
    prov.config = conf
    try:
        prov.start()
    except Exception as e:  # noqa: BLE001
        tap(False, "agent provider starts (hook_waits_for_agent = yes)", e)
        return
    chan = None
    try:
        chan = grpc.insecure_channel("127.0.0.1:%d" % prov.port)

        def rpc(svc, name, req, resp_cls):
            f = chan.unary_unary(svc + name, request_serializer=lambda m: m.SerializeToString(),
                                 response_deserializer=resp_cls.FromString)
            return f(req, timeout=5)

        def host(serial, group="", cpu=32000, mem=128 << 30, pods=200, hr_cpu=0, hr_mem=1 << 30,
                 slots=None, functions=()):
            """slots: {type: (free, total)}; total 0 = not sent (older agents);
            functions: (index, type, state, tenant, size_bytes, mac) tuples"""
            return ag.HostReport(serial=serial, group=group,
                                 labels={"dpupool.io/shape": "dpu-32c", "dpupool.io/node-group": group},
                                 capacity=ag.Resources(cpu_milli=cpu, memory_bytes=mem, pods=pods),
                                 headroom=ag.Resources(cpu_milli=hr_cpu, memory_bytes=hr_mem),
                                 free_slots=[ag.FunctionSlots(type=t, free=n, total=tot)
                                             for t, (n, tot) in (slots or {"blk": (8, 16), "net": (4, 16)}).items()],
                                 functions=[ag.Function(index=i, type=t, state=st, tenant=tn, size_bytes=sz, mac=m)
                                            for i, t, st, tn, sz, m in functions])

        # what dpud of a host with a boot disk, an uplink and a tenant's
        # disk being created sends (not in index order)
        HOST_FUNCTIONS = ((5, "blk", "creating", "acme", 1 << 30, ""),
                          (0, "blk", "ready", "host", 256 << 20, ""),
                          (1, "net", "ready", "host", 0, "02:dd:00:00:00:01"),
                          (2, "net", "failed", "", 0, "02:dd:00:00:00:02"))

        def functions_row(serial):
            return db_query("SELECT functions, functions_ready, functions_total FROM reports"
                            " WHERE serial = ?", (serial,))

        def db_query(sql, args=()):
            db = sqlite3.connect(os.path.join(tmp, "agent.db"), timeout=10)
            try:
                with db:
                    return db.execute(sql, args).fetchall()
            finally:
                db.close()

        def dpupool_res(res):
            return {k: v for k, v in res.items() if k.startswith("dpupool.io/")}

        def register(h):
            return rpc(AGENT, "Register", ag.RegisterRequest(host=h), ag.Directive)

        def report(h):
            return rpc(AGENT, "Report", ag.ReportRequest(host=h), ag.Directive)

        def nodes():
            return {i.id: i.status for i in rpc(SERVICE, "NodeGroupNodes", pb.NodeGroupNodesRequest(id="dpu"),
                                                    pb.NodeGroupNodesResponse).instances}

        def template():
            r = rpc(SERVICE, "NodeGroupTemplateNodeInfo", pb.NodeGroupTemplateNodeInfoRequest(id="dpu"),
                    pb.NodeGroupTemplateNodeInfoResponse)
            n = core.Node.FromString(r.nodeBytes)
            return ({k: v.string for k, v in n.status.capacity.items()},
                    {k: v.string for k, v in n.status.allocatable.items()})

        def hook_lines(serial):
            try:
                with open(os.path.join(tmp, "hook.log")) as f:
                    return [ln.split() for ln in f if ln.split()[1:2] == [serial]]
            except FileNotFoundError:
                return []

        S = pb.InstanceStatus

        def t_waits():
            rpc(SERVICE, "NodeGroupIncreaseSize", pb.NodeGroupIncreaseSizeRequest(id="dpu", delta=2),
                pb.NodeGroupIncreaseSizeResponse)
            deadline = time.time() + 10
            while time.time() < deadline:
                if all(any(ln[2:3] == ["done"] for ln in hook_lines(s)) for s in ("dpu-0001", "dpu-0002")):
                    break
                time.sleep(0.1)
            else:
                return "hooks did not finish: %r" % [hook_lines(s) for s in ("dpu-0001", "dpu-0002")]
            time.sleep(0.5)
            st = nodes()
            for pid in ("dpupool://dpu-0001", "dpupool://dpu-0002"):
                if st[pid].instanceState != S.instanceCreating or st[pid].errorInfo.errorCode:
                    return "%s: %r" % (pid, st[pid])
            for s in ("dpu-0001", "dpu-0002"):
                starts = [ln for ln in hook_lines(s) if ln[2:3] != ["done"]]
                if len(starts) != 1:
                    return "hook of %s run %d times" % (s, len(starts))
            return True
        check("agent: hook exit 0 with hook_waits_for_agent leaves instances creating, hook not re-run", t_waits)

        def t_template_config():
            cap, alloc = template()
            if cap.get("cpu") != "16" or cap.get("memory") != "64Gi" or cap.get("pods") != "110":
                return "capacity %r" % cap
            if dpupool_res(cap) or dpupool_res(alloc):
                return "reported resources without reports: %r %r" % (cap, alloc)
            return True
        check("agent: TemplateNodeInfo uses the configured shape while no host reported", t_template_config)

        def t_register():
            d = register(host("dpu-0001", group="dpu", functions=HOST_FUNCTIONS))
            if d.disposition != ag.JOIN or d.group != "dpu" or d.provider_id != "dpupool://dpu-0001" \
                    or d.report_interval_seconds != 7:
                return "directive %r" % d
            st = nodes()
            if st["dpupool://dpu-0001"].instanceState != S.instanceRunning:
                return "dpu-0001 %r" % st["dpupool://dpu-0001"]
            if st["dpupool://dpu-0002"].instanceState != S.instanceCreating:
                return "dpu-0002 %r" % st["dpupool://dpu-0002"]
            return True
        check("agent: Register of a creating instance -> JOIN, instance running", t_register)

        def t_placeholder():
            for serial in ("To_Be_Filled_By_O.E.M.", "Default-string", "0000000000", "123456789"):
                try:
                    rpc(AGENT, "Register", ag.RegisterRequest(host=host(serial)), ag.Directive)
                except grpc.RpcError as e:
                    if e.code() != grpc.StatusCode.INVALID_ARGUMENT or \
                            "is a firmware placeholder" not in (e.details() or ""):
                        return "%s: got %s %r" % (serial, e.code(), e.details())
                    continue
                return "%s was accepted" % serial
            for serial in ("a\nb", "x y", "-lead", "caf\u00e9"):
                try:
                    rpc(AGENT, "Register", ag.RegisterRequest(host=host(serial)), ag.Directive)
                except grpc.RpcError as e:
                    if e.code() != grpc.StatusCode.INVALID_ARGUMENT or \
                            "host serial has characters other than" not in (e.details() or ""):
                        return "%r: got %s %r" % (serial, e.code(), e.details())
                    continue
                return "%r was accepted" % serial
            return True
        check("agent: placeholder DMI serials and serials with other characters refused", t_placeholder)

        def t_register_functions():
            # INDEX:TYPE:STATE:TENANT:SIZE:MAC, sorted by index; ready 2 of 4
            want = [("0:blk:ready:host:268435456:,1:net:ready:host:0:02:dd:00:00:00:01,"
                     "2:net:failed::0:02:dd:00:00:00:02,5:blk:creating:acme:1073741824:", 2, 4)]
            rows = functions_row("dpu-0001")
            if rows != want:
                return "functions row %r, want %r" % (rows, want)
            return True
        check("agent: Register stores the host's functions (reports.functions, functions_ready,"
              " functions_total)", t_register_functions)

        def t_template_reported():
            cap, alloc = template()
            if (cap.get("cpu"), cap.get("memory"), cap.get("pods")) != ("32", "128Gi", "200"):
                return "capacity %r" % cap
            if (alloc.get("cpu"), alloc.get("memory"), alloc.get("pods")) != ("31", "126Gi", "200"):
                return "allocatable %r" % alloc
            # one host: blk 8 free of 16, net 4 of 16, headroom 0 cpu and 1Gi
            want_cap = {"dpupool.io/dpu-blk": "16", "dpupool.io/dpu-net": "16",
                        "dpupool.io/batch-cpu": "0", "dpupool.io/batch-memory": "1073741824"}
            want_alloc = {"dpupool.io/dpu-blk": "8", "dpupool.io/dpu-net": "4",
                          "dpupool.io/batch-cpu": "0", "dpupool.io/batch-memory": "1073741824"}
            if dpupool_res(cap) != want_cap or dpupool_res(alloc) != want_alloc:
                return "dpupool resources: capacity %r allocatable %r" % (dpupool_res(cap), dpupool_res(alloc))
            return True
        check("agent: TemplateNodeInfo uses the capacity, function slots and headroom the group's hosts"
              " report", t_template_reported)

        def t_report_db():
            for cpu in (24000, 30000):
                d = report(host("dpu-0001", cpu=cpu, hr_cpu=5000, slots={"nvme": (3, 0)},
                                functions=[(0, "blk", "ready", "host", 256 << 20, ""),
                                           (1, "net", "removing", "host", 0, "02:DD:00:00:00:01")]))
                if d.disposition != ag.JOIN:
                    return "directive %r" % d
            db = sqlite3.connect("file:%s?mode=ro" % os.path.join(tmp, "agent.db"), uri=True)
            try:
                rows = db.execute("SELECT serial, group_id, cpu_milli, hr_cpu_milli, slots, labels, reports"
                                  " FROM reports").fetchall()
            finally:
                db.close()
            want = [("dpu-0001", "dpu", 30000, 5000, "nvme=3/0")]
            if [r[:5] for r in rows] != want or rows[0][6] != 3 or "dpupool.io/shape=dpu-32c" not in rows[0][5]:
                return "rows %r" % rows
            # the last report's functions replace the registered ones
            fns = functions_row("dpu-0001")
            if fns != [("0:blk:ready:host:268435456:,1:net:removing:host:0:02:DD:00:00:00:01", 1, 2)]:
                return "functions row %r" % fns
            cap, alloc = template()
            if cap.get("cpu") != "30":
                return "template cpu %r after report" % cap.get("cpu")
            # total not sent: read as total = free; the types of the last report only
            if (dpupool_res(cap), dpupool_res(alloc)) != (
                    {"dpupool.io/dpu-nvme": "3", "dpupool.io/batch-cpu": "5000",
                     "dpupool.io/batch-memory": "1073741824"},) * 2:
                return "dpupool resources: capacity %r allocatable %r" % (dpupool_res(cap), dpupool_res(alloc))
            return True
        check("agent: Report answered JOIN; last report per serial stored in SQLite", t_report_db)

        def t_free():
            d = report(host("spare-host-17"))
            if d.disposition != ag.STAY_FREE or d.group or d.provider_id:
                return "directive %r" % d
            d = register(host("dpu-0099", group="dpu"))
            if d.disposition != ag.STAY_FREE:
                return "unknown instance: %r" % d
            return True
        check("agent: hosts outside every group -> STAY_FREE", t_free)

        def t_expire():
            # 10 x agent_report_interval (7s) = 70s: make two rows 100s old
            db_query("UPDATE reports SET reported_at = reported_at - 100000"
                     " WHERE serial IN ('spare-host-17', 'dpu-0001')")
            rpc(SERVICE, "Refresh", pb.RefreshRequest(), pb.RefreshResponse)
            left = sorted(r[0] for r in db_query("SELECT serial FROM reports"))
            if left != ["dpu-0001", "dpu-0099"]:
                return "reports after Refresh: %r" % left
            return True
        check("agent: Refresh forgets reports of free hosts older than 10 report intervals,"
              " keeps recent ones and those of instances", t_expire)

        def expect(fn, code, text):
            try:
                fn()
            except grpc.RpcError as e:
                if e.code() != code or text not in (e.details() or ""):
                    return "got %s %r" % (e.code(), e.details())
                return True
            return "call succeeded"
        check("agent: empty serial -> INVALID_ARGUMENT",
              lambda: expect(lambda: register(host("")), grpc.StatusCode.INVALID_ARGUMENT,
                             "host serial is empty"))
        check("agent: group claim contradicting the inventory -> INVALID_ARGUMENT",
              lambda: expect(lambda: register(host("dpu-0002", group="other")),
                             grpc.StatusCode.INVALID_ARGUMENT,
                             'host "dpu-0002" belongs to node group "dpu", not "other"'))
        check("agent: request without host -> INVALID_ARGUMENT",
              lambda: expect(lambda: rpc(AGENT, "Report", ag.ReportRequest(), ag.Directive),
                             grpc.StatusCode.INVALID_ARGUMENT, "Report request has no host"))

        def t_leave():
            if nodes()["dpupool://dpu-0002"].instanceState != S.instanceCreating:
                return "rejected Register changed dpu-0002"
            rpc(SERVICE, "NodeGroupDeleteNodes", pb.NodeGroupDeleteNodesRequest(
                id="dpu", nodes=[pb.ExternalGrpcNode(providerID="dpupool://dpu-0001")]),
                pb.NodeGroupDeleteNodesResponse)
            d = report(host("dpu-0001"))
            if d.disposition != ag.LEAVE or d.provider_id != "dpupool://dpu-0001":
                return "while deleting: %r" % d
            cap, _ = template()
            if cap.get("cpu") != "16" or dpupool_res(cap):
                return "template still uses the deleted host's report: %r" % cap
            if not db_query("SELECT 1 FROM reports WHERE serial = 'dpu-0001'"):
                return "report of dpu-0001 gone while it is only being deleted"
            deadline = time.time() + 10
            while time.time() < deadline and "dpupool://dpu-0001" in nodes():
                time.sleep(0.1)
            rows = db_query("SELECT serial FROM reports WHERE serial = 'dpu-0001'")
            if rows:
                return "report of deleted dpu-0001 still stored: %r" % rows
            d = report(host("dpu-0001"))
            if d.disposition != ag.STAY_FREE:
                return "after deletion: %r" % d
            return True
        check("agent: instance being deleted -> LEAVE; once deleted -> STAY_FREE", t_leave)

        def t_restart():
            prov.kill9()
            prov.start()
            nonlocal chan
            chan.close()
            chan = grpc.insecure_channel("127.0.0.1:%d" % prov.port)
            time.sleep(0.5)
            st = nodes()
            if st["dpupool://dpu-0002"].instanceState != S.instanceCreating or st["dpupool://dpu-0002"].errorInfo.errorCode:
                return "dpu-0002 after restart %r" % st["dpupool://dpu-0002"]
            starts = [ln for ln in hook_lines("dpu-0002") if ln[2:3] != ["done"]]
            if len(starts) != 1:
                return "hook of dpu-0002 re-run after restart: %r" % starts
            d = register(host("dpu-0002", group="dpu"))
            if d.disposition != ag.JOIN or nodes()["dpupool://dpu-0002"].instanceState != S.instanceRunning:
                return "after Register: %r %r" % (d, nodes())
            return True
        check("agent: kill -9 and restart: instance waiting for its agent is kept, not re-provisioned;"
              " Register then makes it running", t_restart)

        def t_two_hosts():
            rpc(SERVICE, "NodeGroupIncreaseSize", pb.NodeGroupIncreaseSizeRequest(id="dpu", delta=1),
                pb.NodeGroupIncreaseSizeResponse)
            deadline = time.time() + 10
            while time.time() < deadline and not any(ln[2:3] == ["done"] for ln in hook_lines("dpu-0003")):
                time.sleep(0.1)
            d = register(host("dpu-0003", group="dpu", cpu=24000, mem=96 << 30, pods=150,
                              hr_cpu=6000, hr_mem=3 << 30, slots={"blk": (2, 12), "net": (9, 0)}))
            if d.disposition != ag.JOIN:
                return "dpu-0003: %r" % d
            d = report(host("dpu-0002", group="dpu", hr_cpu=30000, hr_mem=20 << 30,
                            slots={"blk": (10, 16), "net": (3, 16), "crypto": (1, 1)}))
            if d.disposition != ag.JOIN:
                return "dpu-0002: %r" % d
            cap, alloc = template()
            # smallest shape (dpu-0003) minus the reserve (1 cpu, 2Gi); slots:
            # smallest total, largest free (capped); net total 0 = free 9;
            # crypto not listed by dpu-0003 -> 0; headroom: largest, cpu
            # capped at allocatable 23000m
            want_cap = {"cpu": "24", "memory": "96Gi", "pods": "150",
                        "dpupool.io/dpu-blk": "12", "dpupool.io/dpu-net": "9", "dpupool.io/dpu-crypto": "0",
                        "dpupool.io/batch-cpu": "23000", "dpupool.io/batch-memory": "21474836480"}
            want_alloc = {"cpu": "23", "memory": "94Gi", "pods": "150",
                          "dpupool.io/dpu-blk": "10", "dpupool.io/dpu-net": "9", "dpupool.io/dpu-crypto": "0",
                          "dpupool.io/batch-cpu": "23000", "dpupool.io/batch-memory": "21474836480"}
            if cap != want_cap:
                return "capacity %r" % cap
            if alloc != want_alloc:
                return "allocatable %r" % alloc
            return True
        check("agent: two hosts -> template dpu-<type> capacity = smallest total, allocatable = largest"
              " free; batch-cpu/batch-memory = largest headroom, capped at allocatable", t_two_hosts)

        def t_deleted_report():
            rpc(SERVICE, "NodeGroupDeleteNodes", pb.NodeGroupDeleteNodesRequest(
                id="dpu", nodes=[pb.ExternalGrpcNode(providerID="dpupool://dpu-0003")]),
                pb.NodeGroupDeleteNodesResponse)
            deadline = time.time() + 10
            while time.time() < deadline and "dpupool://dpu-0003" in nodes():
                time.sleep(0.1)
            rows = db_query("SELECT serial FROM reports WHERE serial = 'dpu-0003'")
            if rows:
                return "report of deleted dpu-0003 still stored"
            cap, alloc = template()
            want = ({"dpupool.io/dpu-blk": "16", "dpupool.io/dpu-net": "16", "dpupool.io/dpu-crypto": "1",
                     "dpupool.io/batch-cpu": "30000", "dpupool.io/batch-memory": "21474836480"},
                    {"dpupool.io/dpu-blk": "10", "dpupool.io/dpu-net": "3", "dpupool.io/dpu-crypto": "1",
                     "dpupool.io/batch-cpu": "30000", "dpupool.io/batch-memory": "21474836480"})
            if (dpupool_res(cap), dpupool_res(alloc)) != want or cap.get("cpu") != "32":
                return "capacity %r allocatable %r" % (cap, alloc)
            return True
        check("agent: deleted instance's report removed with it; template from the remaining host", t_deleted_report)

        def t_bad_functions():
            before = db_query("SELECT functions, functions_ready, functions_total, reports, reported_at"
                              " FROM reports WHERE serial = 'dpu-0002'")
            try:
                report(host("dpu-0002", group="dpu",
                            functions=HOST_FUNCTIONS + ((1, "blk", "ready", "t", 1 << 20, ""),)))
                return "call succeeded"
            except grpc.RpcError as e:
                want = 'host "dpu-0002": function index 1 listed twice'
                if e.code() != grpc.StatusCode.INVALID_ARGUMENT or e.details() != want:
                    return "got %s %r, want INVALID_ARGUMENT %r" % (e.code(), e.details(), want)
            after = db_query("SELECT functions, functions_ready, functions_total, reports, reported_at"
                             " FROM reports WHERE serial = 'dpu-0002'")
            if not before or after != before:
                return "report row changed: %r -> %r" % (before, after)
            return True
        check("agent: Report with a function index listed twice -> INVALID_ARGUMENT, exact message,"
              " stored report unchanged", t_bad_functions)
        check("agent: bad function slots -> INVALID_ARGUMENT",
              lambda: expect(lambda: report(host("dpu-0002", slots={"blk": (5, 3)})),
                             grpc.StatusCode.INVALID_ARGUMENT,
                             'host "dpu-0002": function slots "blk": free 5 exceeds total 3'))
    finally:
        if chan:
            chan.close()
        rc = prov.stop()
    check("agent provider: SIGTERM, exit status 0", lambda: True if rc == 0 else "exit status %r" % rc)


def tap_main(name, run, cleanup):
    """The TAP driver both provider tests share: run(binary, tmp) returns
    what cleanup(thing, tmp) ends; logs are kept when a check failed."""
    if len(sys.argv) != 2:
        print("usage: %s PATH/TO/dpu-provider" % name, file=sys.stderr)
        return 2
    binary = os.path.abspath(sys.argv[1])
    tmp = tempfile.mkdtemp(prefix="%s." % name.replace(".py", ""))
    thing = None
    try:
        thing = run(binary, tmp)
    finally:
        cleanup(thing, tmp)
        if os.environ.get("KEEP_TMP") or not all(results):
            print("# logs kept in %s" % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    npass = sum(1 for r in results if r)
    print("1..%d" % len(results))
    print("# %d passed, %d failed" % (npass, len(results) - npass))
    return 0 if results and all(results) else 1


def main():
    return tap_main("provider_test.py", run, lambda prov, tmp: prov and prov.stop())


def run(binary, tmp):
    import grpc

    gen = os.path.join(tmp, "py")
    os.mkdir(gen)
    subprocess.run(["protoc", "--python_out=" + gen, "-I", PROTO_DIR,
                    "externalgrpc.proto", "k8s/core_v1.proto", "k8s/meta_v1.proto",
                    "k8s/resource.proto", "agent.proto", "agent_messages.proto"], check=True)
    sys.path.insert(0, gen)
    import externalgrpc_pb2 as pb
    from k8s import core_v1_pb2 as core
    import agent_messages_pb2 as ag

    with open(os.path.join(tmp, "provider.conf"), "w") as f:
        f.write(CONFIG)
    with open(os.path.join(tmp, "hook.sh"), "w") as f:
        f.write(HOOK % {"dir": tmp})
    os.chmod(os.path.join(tmp, "hook.sh"), 0o755)

    # --- command line and config errors ---------------------------------
    def t_help():
        r = subprocess.run([binary, "--help"], capture_output=True, text=True)
        if r.returncode != 0 or "--provision-hook" not in r.stdout:
            return "rc %d, stdout %r" % (r.returncode, r.stdout)
        return True
    check("--help prints usage and exits 0", t_help)

    def t_badconf():
        bad = os.path.join(tmp, "bad.conf")
        with open(bad, "w") as f:
            f.write("[group x]\nmin = 1\nmax = 3\ncpu = lots\n")
        r = subprocess.run([binary, "--config", bad, "--db", os.path.join(tmp, "bad.db")],
                           capture_output=True, text=True)
        want = "%s:4: \"cpu\": \"lots\" is not a CPU quantity" % bad
        if r.returncode != 2 or want not in r.stderr:
            return "rc %d, stderr %r" % (r.returncode, r.stderr)
        return True
    check("bad config rejected with file:line and exit 2", t_badconf)

    tls_tests(binary, tmp, grpc, pb, ag)
    agent_tests(binary, tmp, grpc, pb, core, ag)

    prov = Provider(binary, tmp)
    prov.start()
    chan = grpc.insecure_channel("127.0.0.1:%d" % prov.port)
    grpc.channel_ready_future(chan).result(timeout=10)

    def rpc(name, req, resp_cls, timeout=5):
        f = chan.unary_unary(SERVICE + name, request_serializer=lambda m: m.SerializeToString(),
                             response_deserializer=resp_cls.FromString)
        return f(req, timeout=timeout)

    def expect_error(name, req, resp_cls, code, text):
        try:
            rpc(name, req, resp_cls)
        except grpc.RpcError as e:
            if e.code() != code:
                return "got %s (%r), want %s" % (e.code(), e.details(), code)
            if text not in (e.details() or ""):
                return "message %r lacks %r" % (e.details(), text)
            return True
        return "call succeeded, want %s" % code

    def nodes(group):
        return rpc("NodeGroupNodes", pb.NodeGroupNodesRequest(id=group), pb.NodeGroupNodesResponse).instances

    def target(group):
        return rpc("NodeGroupTargetSize", pb.NodeGroupTargetSizeRequest(id=group),
                   pb.NodeGroupTargetSizeResponse).targetSize

    S = pb.InstanceStatus

    def wait_states(group, pred, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline:
            ins = nodes(group)
            if pred(ins):
                return ins
            time.sleep(0.1)
        return None

    def all_running(ins):
        return all(i.status.instanceState == S.instanceRunning for i in ins)

    # --- the autoscaler loop --------------------------------------------
    def t_refresh():
        t0 = time.time()
        rpc("Refresh", pb.RefreshRequest(), pb.RefreshResponse)
        if time.time() - t0 > 0.5:
            return "Refresh took %.3fs" % (time.time() - t0)
        return True
    check("Refresh succeeds quickly", t_refresh)

    def t_groups():
        gs = rpc("NodeGroups", pb.NodeGroupsRequest(), pb.NodeGroupsResponse).nodeGroups
        got = sorted((g.id, g.minSize, g.maxSize) for g in gs)
        if got != [("big", 0, 2), ("small", 1, 5)]:
            return got
        if not all(g.debug for g in gs):
            return "empty debug"
        return True
    check("NodeGroups lists both groups with min/max", t_groups)

    def t_min():
        if target("small") != 1 or target("big") != 0:
            return "targets %d %d" % (target("small"), target("big"))
        ins = wait_states("small", lambda i: len(i) == 1 and all_running(i))
        if not ins or ins[0].id != "dpupool://small-0001":
            return "instances %r" % nodes("small")
        return True
    check("group brought up to min: small-0001 provisioned and running", t_min)

    def t_increase():
        t0 = time.time()
        rpc("NodeGroupIncreaseSize", pb.NodeGroupIncreaseSizeRequest(id="small", delta=2),
            pb.NodeGroupIncreaseSizeResponse)
        if time.time() - t0 > 0.25:
            return "IncreaseSize blocked %.3fs" % (time.time() - t0)
        if target("small") != 3:
            return "target %d" % target("small")
        ins = nodes("small")
        creating = [i.id for i in ins if i.status.instanceState == S.instanceCreating]
        if creating != ["dpupool://small-0002", "dpupool://small-0003"]:
            return "creating %r" % creating
        return True
    check("IncreaseSize returns at once, target 3, new instances creating", t_increase)

    def t_running():
        ins = wait_states("small", lambda i: len(i) == 3 and all_running(i))
        if not ins:
            return "instances %r" % nodes("small")
        return True
    check("NodeGroupNodes: creating -> running once the hook succeeds", t_running)

    def t_for_node():
        n = pb.ExternalGrpcNode(providerID="dpupool://small-0002", name="n2")
        g = rpc("NodeGroupForNode", pb.NodeGroupForNodeRequest(node=n), pb.NodeGroupForNodeResponse)
        if g.nodeGroup.id != "small" or g.nodeGroup.maxSize != 5:
            return "got %r" % g
        for pid in ("aws:///us-east-1a/i-123", "dpupool://nosuch-0001", ""):
            n = pb.ExternalGrpcNode(providerID=pid, name="other")
            g = rpc("NodeGroupForNode", pb.NodeGroupForNodeRequest(node=n), pb.NodeGroupForNodeResponse)
            if g.nodeGroup.id != "":
                return "%r -> %r" % (pid, g.nodeGroup.id)
        return True
    check("NodeGroupForNode: ours by provider id, others get empty id", t_for_node)

    def t_template():
        r = rpc("NodeGroupTemplateNodeInfo", pb.NodeGroupTemplateNodeInfoRequest(id="small"),
                pb.NodeGroupTemplateNodeInfoResponse)
        node = core.Node.FromString(r.nodeBytes)
        if node != r.nodeInfo:
            return "nodeInfo (field 1) differs from nodeBytes (field 2)"
        cap = {k: v.string for k, v in node.status.capacity.items()}
        alloc = {k: v.string for k, v in node.status.allocatable.items()}
        want_cap = {"cpu": "16", "memory": "64Gi", "pods": "110",
                    "dpupool.io/dpu-nvme": "8", "dpupool.io/be-cpu": "12"}
        want_alloc = {"cpu": "15500m", "memory": "63Gi", "pods": "110",
                      "dpupool.io/dpu-nvme": "8", "dpupool.io/be-cpu": "12"}
        if cap != want_cap:
            return "capacity %r" % cap
        if alloc != want_alloc:
            return "allocatable %r" % alloc
        lab = dict(node.metadata.labels)
        for k, v in {"dpupool.io/tier": "online", "topology.kubernetes.io/zone": "z1",
                     "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
                     "node.kubernetes.io/instance-type": "small"}.items():
            if lab.get(k) != v:
                return "label %s = %r" % (k, lab.get(k))
        t = [(x.key, x.value, x.effect) for x in node.spec.taints]
        if t != [("dpupool.io/dedicated", "dpu", "NoSchedule")]:
            return "taints %r" % t
        c = [(x.type, x.status) for x in node.status.conditions]
        if ("Ready", "True") not in c:
            return "conditions %r" % c
        if not node.metadata.name:
            return "no name"
        return True
    check("TemplateNodeInfo: v1.Node decoded, capacity/allocatable/labels/taints/Ready", t_template)

    def t_gpu():
        lab = rpc("GPULabel", pb.GPULabelRequest(), pb.GPULabelResponse).label
        types = rpc("GetAvailableGPUTypes", pb.GetAvailableGPUTypesRequest(),
                    pb.GetAvailableGPUTypesResponse).gpuTypes
        if lab != "dpupool.io/gpu" or sorted(types.keys()) != ["a100", "l4"]:
            return "label %r types %r" % (lab, list(types.keys()))
        return True
    check("GPULabel and GetAvailableGPUTypes from the config", t_gpu)

    def t_price():
        req = pb.PricingNodePriceRequest(node=pb.ExternalGrpcNode(providerID="dpupool://small-0001"))
        req.startTimestamp.seconds = 1000
        req.endTimestamp.seconds = 1000 + 7200
        p = rpc("PricingNodePrice", req, pb.PricingNodePriceResponse).price
        if abs(p - 5.0) > 1e-9:
            return "price %r" % p
        # an older autoscaler: metav1.Time startTime/endTime (fields 2, 3)
        old = pb.PricingNodePriceRequest(node=pb.ExternalGrpcNode(providerID="dpupool://small-0001"))
        old.startTime.seconds = 1000
        old.endTime.seconds = 1000 + 3600
        p = rpc("PricingNodePrice", old, pb.PricingNodePriceResponse).price
        if abs(p - 2.5) > 1e-9:
            return "price %r from startTime/endTime (want 2.5)" % p
        none = pb.PricingNodePriceRequest(node=pb.ExternalGrpcNode(providerID="dpupool://small-0001"))
        r = expect_error("PricingNodePrice", none, pb.PricingNodePriceResponse,
                         grpc.StatusCode.INVALID_ARGUMENT, "start and end times are required")
        if r is not True:
            return r
        return expect_error("PricingPodPrice", pb.PricingPodPriceRequest(), pb.PricingPodPriceResponse,
                            grpc.StatusCode.UNIMPLEMENTED, "not supported")
    check("PricingNodePrice from price_per_hour (new and old time fields); PricingPodPrice UNIMPLEMENTED",
          t_price)

    def t_options():
        d = pb.NodeGroupAutoscalingOptions(scaleDownUtilizationThreshold=0.5,
                                           scaleDownGpuUtilizationThreshold=0.6)
        o = rpc("NodeGroupGetOptions", pb.NodeGroupAutoscalingOptionsRequest(id="small", defaults=d),
                pb.NodeGroupAutoscalingOptionsResponse).nodeGroupAutoscalingOptions
        if abs(o.scaleDownUtilizationThreshold - 0.4) > 1e-9 or abs(o.scaleDownGpuUtilizationThreshold - 0.6) > 1e-9:
            return "thresholds %r" % o
        if o.scaleDownUnneededDuration.seconds != 300 or o.scaleDownUnneededTime.duration != 300 * 10**9:
            return "unneeded %r" % o
        return expect_error("NodeGroupGetOptions", pb.NodeGroupAutoscalingOptionsRequest(id="big"),
                            pb.NodeGroupAutoscalingOptionsResponse, grpc.StatusCode.UNIMPLEMENTED,
                            "no autoscaling options configured for node group \"big\"")
    check("NodeGroupGetOptions: configured group answered, other UNIMPLEMENTED", t_options)

    # --- every bad request ----------------------------------------------
    C = grpc.StatusCode
    bad = [
        ("TargetSize of unknown group", "NodeGroupTargetSize", pb.NodeGroupTargetSizeRequest(id="nosuch"),
         pb.NodeGroupTargetSizeResponse, C.NOT_FOUND, 'node group "nosuch" not found'),
        ("TargetSize with empty id", "NodeGroupTargetSize", pb.NodeGroupTargetSizeRequest(id=""),
         pb.NodeGroupTargetSizeResponse, C.INVALID_ARGUMENT, "node group id is empty"),
        ("IncreaseSize of unknown group", "NodeGroupIncreaseSize",
         pb.NodeGroupIncreaseSizeRequest(id="nosuch", delta=1), pb.NodeGroupIncreaseSizeResponse,
         C.NOT_FOUND, 'node group "nosuch" not found'),
        ("IncreaseSize delta 0", "NodeGroupIncreaseSize", pb.NodeGroupIncreaseSizeRequest(id="small", delta=0),
         pb.NodeGroupIncreaseSizeResponse, C.INVALID_ARGUMENT, "size increase must be positive, got delta 0"),
        ("IncreaseSize negative delta", "NodeGroupIncreaseSize",
         pb.NodeGroupIncreaseSizeRequest(id="small", delta=-1), pb.NodeGroupIncreaseSizeResponse,
         C.INVALID_ARGUMENT, "size increase must be positive, got delta -1"),
        ("IncreaseSize above max", "NodeGroupIncreaseSize", pb.NodeGroupIncreaseSizeRequest(id="small", delta=3),
         pb.NodeGroupIncreaseSizeResponse, C.FAILED_PRECONDITION,
         'size increase too large: target 3 + delta 3 exceeds max 5 of node group "small"'),
        ("DecreaseTargetSize positive delta", "NodeGroupDecreaseTargetSize",
         pb.NodeGroupDecreaseTargetSizeRequest(id="small", delta=1), pb.NodeGroupDecreaseTargetSizeResponse,
         C.INVALID_ARGUMENT, "size decrease must be negative, got delta 1"),
        ("DecreaseTargetSize would delete existing nodes", "NodeGroupDecreaseTargetSize",
         pb.NodeGroupDecreaseTargetSizeRequest(id="small", delta=-1), pb.NodeGroupDecreaseTargetSizeResponse,
         C.FAILED_PRECONDITION, "attempt to delete existing nodes"),
        ("DecreaseTargetSize below min", "NodeGroupDecreaseTargetSize",
         pb.NodeGroupDecreaseTargetSizeRequest(id="small", delta=-3), pb.NodeGroupDecreaseTargetSizeResponse,
         C.FAILED_PRECONDITION, 'target 3 - 3 is below min 1 of node group "small"'),
        ("DecreaseTargetSize unknown group", "NodeGroupDecreaseTargetSize",
         pb.NodeGroupDecreaseTargetSizeRequest(id="nosuch", delta=-1), pb.NodeGroupDecreaseTargetSizeResponse,
         C.NOT_FOUND, 'node group "nosuch" not found'),
        ("DeleteNodes node of another group", "NodeGroupDeleteNodes",
         pb.NodeGroupDeleteNodesRequest(id="big", nodes=[pb.ExternalGrpcNode(providerID="dpupool://small-0001")]),
         pb.NodeGroupDeleteNodesResponse, C.INVALID_ARGUMENT,
         'node "dpupool://small-0001" belongs to node group "small", not "big"'),
        ("DeleteNodes unknown node", "NodeGroupDeleteNodes",
         pb.NodeGroupDeleteNodesRequest(id="small", nodes=[pb.ExternalGrpcNode(providerID="dpupool://small-0999")]),
         pb.NodeGroupDeleteNodesResponse, C.NOT_FOUND, 'node "dpupool://small-0999" not found'),
        ("DeleteNodes foreign provider id", "NodeGroupDeleteNodes",
         pb.NodeGroupDeleteNodesRequest(id="small", nodes=[pb.ExternalGrpcNode(providerID="aws:///i-1")]),
         pb.NodeGroupDeleteNodesResponse, C.NOT_FOUND, 'node "aws:///i-1" not found'),
        ("DeleteNodes same node twice", "NodeGroupDeleteNodes",
         pb.NodeGroupDeleteNodesRequest(id="small", nodes=[pb.ExternalGrpcNode(providerID="dpupool://small-0002"),
                                                          pb.ExternalGrpcNode(providerID="dpupool://small-0002")]),
         pb.NodeGroupDeleteNodesResponse, C.INVALID_ARGUMENT, 'node "dpupool://small-0002" listed twice'),
        ("DeleteNodes below min", "NodeGroupDeleteNodes",
         pb.NodeGroupDeleteNodesRequest(id="small", nodes=[pb.ExternalGrpcNode(providerID="dpupool://small-000%d" % i)
                                                          for i in (1, 2, 3)]),
         pb.NodeGroupDeleteNodesResponse, C.FAILED_PRECONDITION,
         'deleting 3 node(s) would shrink node group "small" to 0, below its min 1'),
        ("DeleteNodes with no nodes", "NodeGroupDeleteNodes", pb.NodeGroupDeleteNodesRequest(id="small"),
         pb.NodeGroupDeleteNodesResponse, C.INVALID_ARGUMENT, 'no nodes to delete from node group "small"'),
        ("NodeGroupNodes unknown group", "NodeGroupNodes", pb.NodeGroupNodesRequest(id="nosuch"),
         pb.NodeGroupNodesResponse, C.NOT_FOUND, 'node group "nosuch" not found'),
        ("TemplateNodeInfo unknown group", "NodeGroupTemplateNodeInfo",
         pb.NodeGroupTemplateNodeInfoRequest(id="nosuch"), pb.NodeGroupTemplateNodeInfoResponse,
         C.NOT_FOUND, 'node group "nosuch" not found'),
        ("GetOptions unknown group", "NodeGroupGetOptions", pb.NodeGroupAutoscalingOptionsRequest(id="nosuch"),
         pb.NodeGroupAutoscalingOptionsResponse, C.NOT_FOUND, 'node group "nosuch" not found'),
        ("NodeGroupForNode without node", "NodeGroupForNode", pb.NodeGroupForNodeRequest(),
         pb.NodeGroupForNodeResponse, C.INVALID_ARGUMENT, "request has no node"),
        ("unknown method", "NoSuchMethod", pb.RefreshRequest(), pb.RefreshResponse,
         C.UNIMPLEMENTED, "unknown method"),
    ]
    for desc, name, req, resp, code, text in bad:
        check("bad request: %s -> %s" % (desc, code.name),
              lambda n=name, q=req, r=resp, c=code, t=text: expect_error(n, q, r, c, t))

    def t_unchanged():
        if target("small") != 3 or len(nodes("small")) != 3 or not all_running(nodes("small")):
            return "target %d nodes %r" % (target("small"), nodes("small"))
        return True
    check("rejected requests changed nothing", t_unchanged)

    # --- provisioning failures, DecreaseTargetSize, DeleteNodes ---------
    def t_fail():
        with open(os.path.join(tmp, "fail"), "w") as f:
            f.write("small-0004\n")
        with open(os.path.join(tmp, "oor"), "w") as f:
            f.write("small-0005\n")
        rpc("NodeGroupIncreaseSize", pb.NodeGroupIncreaseSizeRequest(id="small", delta=2),
            pb.NodeGroupIncreaseSizeResponse)
        ins = wait_states("small", lambda i: len(i) == 5 and all(
            x.status.errorInfo.errorCode for x in i if x.id in ("dpupool://small-0004", "dpupool://small-0005")))
        if not ins:
            return "instances %r" % nodes("small")
        by = {i.id: i.status for i in ins}
        a, b = by["dpupool://small-0004"], by["dpupool://small-0005"]
        if a.instanceState != S.instanceCreating or a.errorInfo.instanceErrorClass != 99 or \
                "BMC of small-0004 does not answer" not in a.errorInfo.errorMessage:
            return "small-0004 %r" % a
        if b.errorInfo.instanceErrorClass != 1 or b.errorInfo.errorCode != "OutOfResources" or \
                "no free host for small-0005" not in b.errorInfo.errorMessage:
            return "small-0005 %r" % b
        return True
    check("failed hooks: OtherErrorClass and OutOfResourcesErrorClass with the hook's message", t_fail)

    def t_decrease():
        rpc("NodeGroupDecreaseTargetSize", pb.NodeGroupDecreaseTargetSizeRequest(id="small", delta=-2),
            pb.NodeGroupDecreaseTargetSizeResponse)
        if target("small") != 3:
            return "target %d" % target("small")
        ins = wait_states("small", lambda i: len(i) == 3)
        if not ins or sorted(i.id for i in ins) != ["dpupool://small-000%d" % i for i in (1, 2, 3)]:
            return "instances %r" % nodes("small")
        return True
    check("DecreaseTargetSize -2 cancels the two unfulfilled instances", t_decrease)

    def t_delete():
        rpc("NodeGroupDeleteNodes", pb.NodeGroupDeleteNodesRequest(
            id="small", nodes=[pb.ExternalGrpcNode(providerID="dpupool://small-0002", name="n2")]),
            pb.NodeGroupDeleteNodesResponse)
        if target("small") != 2:
            return "target %d" % target("small")
        ins = wait_states("small", lambda i: len(i) == 2)
        if not ins or sorted(i.id for i in ins) != ["dpupool://small-0001", "dpupool://small-0003"]:
            return "instances %r" % nodes("small")
        n = pb.ExternalGrpcNode(providerID="dpupool://small-0002")
        g = rpc("NodeGroupForNode", pb.NodeGroupForNodeRequest(node=n), pb.NodeGroupForNodeResponse)
        if g.nodeGroup.id != "":
            return "deleted node still in group %r" % g.nodeGroup.id
        return True
    check("DeleteNodes removes the node and lowers the target", t_delete)

    # --- kill -9 during a scale-up --------------------------------------
    def t_kill():
        with open(os.path.join(tmp, "sleep"), "w") as f:
            f.write("4\n")
        rpc("NodeGroupIncreaseSize", pb.NodeGroupIncreaseSizeRequest(id="small", delta=2),
            pb.NodeGroupIncreaseSizeResponse)
        rpc("NodeGroupIncreaseSize", pb.NodeGroupIncreaseSizeRequest(id="big", delta=1),
            pb.NodeGroupIncreaseSizeResponse)
        before = sorted((i.id, i.status.instanceState) for i in nodes("small"))
        time.sleep(0.5)  # hooks are running now
        with open(os.path.join(tmp, "pgids")) as f:
            pgids = {int(x) for x in f.read().split()}
        prov.kill9()
        # the hooks' process groups (their 4 s sleeps too) die with the
        # provider, not when the sleeps end
        deadline = time.time() + 1.5
        def running(groups):
            """groups with a process that is not a zombie (an orphaned
            zombie waits for a reaper that a container may not have)"""
            out = set()
            for pid in os.listdir("/proc"):
                try:
                    with open("/proc/%s/stat" % pid) as f:
                        st = f.read().rsplit(")", 1)[1].split()
                except (OSError, IndexError):
                    continue
                if st[0] != "Z" and int(st[2]) in groups:
                    out.add(int(st[2]))
            return out
        alive = running(pgids)
        while alive and time.time() < deadline:
            time.sleep(0.1)
            alive = running(alive)
        if alive:
            raise RuntimeError("hook process groups %r outlived the provider" % sorted(alive))
        with open(os.path.join(tmp, "sleep"), "w") as f:
            f.write("0.2\n")
        prov.start()
        global_chan = grpc.insecure_channel("127.0.0.1:%d" % prov.port)
        grpc.channel_ready_future(global_chan).result(timeout=10)
        return global_chan, before

    try:
        chan2, before = t_kill()
        chan.close()
        chan = chan2
        tap(True, "provider killed with SIGKILL mid scale-up (the hooks' process groups died with it) and restarted")
    except Exception as e:  # noqa: BLE001
        tap(False, "provider killed with SIGKILL mid scale-up (the hooks' process groups died with it) and restarted", e)
        return prov

    def t_after_kill():
        if target("small") != 4 or target("big") != 1:
            return "targets %d %d" % (target("small"), target("big"))
        after = sorted((i.id, i.status.instanceState) for i in nodes("small"))
        if [a[0] for a in after] != [b[0] for b in before]:
            return "before %r after %r" % (before, after)
        return True
    check("after restart: targets and instances unchanged (nothing lost)", t_after_kill)

    def t_rerun():
        ins = wait_states("small", lambda i: len(i) == 4 and all_running(i), timeout=20)
        if not ins:
            return "instances %r" % nodes("small")
        big = wait_states("big", lambda i: len(i) == 1 and all_running(i), timeout=20)
        if not big or big[0].id != "dpupool://big-0001":
            return "big %r" % nodes("big")
        with open(os.path.join(tmp, "hook.log")) as f:
            log = f.read()
        for s in ("small-0006", "small-0007", "big-0001"):
            if "provision %s 2 " % s not in log:
                return "%s not re-run with attempt 2:\n%s" % (s, log)
        return True
    check("interrupted provisions re-run after restart (attempt 2) and reach running", t_rerun)

    def t_term():
        rc = prov.stop()
        if rc != 0:
            return "exit status %r" % rc
        return True
    check("SIGTERM: clean shutdown, exit status 0", t_term)
    chan.close()
    return prov


if __name__ == "__main__":
    sys.exit(main())
