#!/usr/bin/python3
"""A kubelet stand-in for dpud's tests: the kubelet's side of the plugin
registration API, the DRA plugin API v1beta1 and the device plugin API
v1beta1, over unix sockets with python3-grpcio, using messages compiled from
the upstream .proto files in upstream/ (their gogoproto options removed).

It does what kubelet 1.32 does, and is strict about it:
  DRA: finds the registration socket in <dir>/plugins_registry, GetInfo
  (1 s), insists on type "DRAPlugin", the driver name, "v1beta1.DRAPlugin"
  among supported_versions and an endpoint socket that exists, then
  NotifyRegistrationStatus; NodePrepareResources / NodeUnprepareResources
  go to the endpoint, /k8s.io.kubelet.pkg.apis.dra.v1beta1.DRAPlugin/....
  Device plugin: serves /v1beta1.Registration/Register on
  <dir>/device-plugins/kubelet.sock; Register checks version "v1beta1", an
  extended resource name, an endpoint that is a file name in the directory,
  dials it and calls GetDevicePluginOptions before answering (as the
  kubelet does, synchronously), then follows ListAndWatch in a thread. A
  restart removes every socket in the directory and creates kubelet.sock
  anew.

check_field_numbers() compares dpud's own copies (user/dpud/proto) with the
upstream files: every message, field number, type and label, and every
service method."""

import glob
import importlib
import os
import re
import shutil
import subprocess
import sys
import threading
import time

import grpc
from google.protobuf import descriptor_pb2

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
UPSTREAM = {
    "pluginregistration": "pluginregistration/v1/api.proto",
    "dra": "dra/v1beta1/api.proto",
    "deviceplugin": "deviceplugin/v1beta1/api.proto",
}
OURS = {
    "pluginregistration": "pluginregistration.proto",
    "dra": "dra_v1beta1.proto",
    "deviceplugin": "deviceplugin_v1beta1.proto",
}
DRA_SVC = "/k8s.io.kubelet.pkg.apis.dra.v1beta1.DRAPlugin/"
REG_SVC = "/pluginregistration.Registration/"
DP_SVC = "/v1beta1.DevicePlugin/"


def strip_gogo(text):
    text = re.sub(r'^import "github.com/gogo/protobuf/gogoproto/gogo.proto";\n', "", text, flags=re.M)
    text = re.sub(r"^option \(gogoproto\.[^;]*;\n", "", text, flags=re.M)
    return re.sub(r"\s*\[\(gogoproto\.[^\]]*\]", "", text)


class Protos:
    """Upstream messages as Python modules (pb.reg, pb.dra, pb.dp)."""

    def __init__(self, tmp):
        self.dir = os.path.join(tmp, "upstream-py")
        os.makedirs(self.dir, exist_ok=True)
        names = []
        for key, rel in UPSTREAM.items():
            with open(os.path.join(HERE, "upstream", rel)) as f:
                text = strip_gogo(f.read())
            name = "up_%s.proto" % key
            with open(os.path.join(self.dir, name), "w") as f:
                f.write(text)
            names.append(name)
        subprocess.run(["protoc", "--python_out=" + self.dir, "-I" + self.dir] + names, check=True)
        subprocess.run(["protoc", "--descriptor_set_out=" + os.path.join(self.dir, "upstream.pb"),
                        "-I" + self.dir] + names, check=True)
        subprocess.run(["protoc", "--descriptor_set_out=" + os.path.join(self.dir, "ours.pb"),
                        "-I" + os.path.join(REPO, "user", "dpud", "proto")] + list(OURS.values()),
                       check=True)
        sys.path.insert(0, self.dir)
        self.reg = importlib.import_module("up_pluginregistration_pb2")
        self.dra = importlib.import_module("up_dra_pb2")
        self.dp = importlib.import_module("up_deviceplugin_pb2")


def _descriptors(path):
    fds = descriptor_pb2.FileDescriptorSet()
    with open(path, "rb") as f:
        fds.ParseFromString(f.read())
    msgs, svcs = {}, {}

    def walk(prefix, m):
        full = prefix + "." + m.name
        msgs[full] = {fl.name: (fl.number, fl.type, fl.label, fl.type_name) for fl in m.field}
        for n in m.nested_type:
            walk(full, n)

    for fd in fds.file:
        for m in fd.message_type:
            walk("." + fd.package, m)
        for s in fd.service:
            for meth in s.method:
                svcs["/%s.%s/%s" % (fd.package, s.name, meth.name)] = (
                    meth.input_type, meth.output_type, meth.client_streaming, meth.server_streaming)
    return msgs, svcs


def check_field_numbers(pb):
    """[] if dpud's copies match upstream, else the differences."""
    up_m, up_s = _descriptors(os.path.join(pb.dir, "upstream.pb"))
    our_m, our_s = _descriptors(os.path.join(pb.dir, "ours.pb"))
    diffs = []
    for name, fields in sorted(up_m.items()):
        if name not in our_m:
            diffs.append("message %s missing" % name)
            continue
        for fname, spec in fields.items():
            if our_m[name].get(fname) != spec:
                diffs.append("%s.%s: upstream %s, dpud %s" % (name, fname, spec, our_m[name].get(fname)))
        for fname in our_m[name]:
            if fname not in fields:
                diffs.append("%s.%s: not upstream" % (name, fname))
    for name in our_m:
        if name not in up_m:
            diffs.append("message %s: not upstream" % name)
    if up_s != our_s:
        diffs.append("services differ: upstream %s, dpud %s" % (sorted(up_s), sorted(our_s)))
    return diffs


def _unary(chan, path, req, resp_cls, timeout):
    call = chan.unary_unary(path, request_serializer=lambda m: m.SerializeToString(),
                            response_deserializer=resp_cls.FromString)
    return call(req, timeout=timeout)


class DRAKubelet:
    """The kubelet's DRA side: plugin discovery and the DRAPlugin client."""

    def __init__(self, pb, kdir, driver):
        self.pb, self.dir, self.driver = pb, kdir, driver
        self.info = None
        self.registrations = 0

    def discover(self, timeout=10):
        """Register the driver's plugin as the plugin watcher does; returns
        the PluginInfo. Raises AssertionError naming what is wrong."""
        end = time.time() + timeout
        socks = []
        while time.time() < end:
            socks = [p for p in glob.glob(os.path.join(self.dir, "plugins_registry", "**", "*"),
                                          recursive=True)
                     if not os.path.basename(p).startswith(".") and _is_sock(p)]
            if socks:
                break
            time.sleep(0.1)
        assert len(socks) == 1, "registration sockets: %s" % socks
        while True:
            # a socket left by a plugin that died: the watcher tries again
            # when the plugin makes it anew
            try:
                with grpc.insecure_channel("unix://" + socks[0]) as ch:
                    _unary(ch, REG_SVC + "GetInfo", self.pb.reg.InfoRequest(), self.pb.reg.PluginInfo, 1)
                break
            except grpc.RpcError as e:
                if e.code() != grpc.StatusCode.UNAVAILABLE or time.time() > end:
                    raise
                time.sleep(0.2)
        with grpc.insecure_channel("unix://" + socks[0]) as ch:
            info = _unary(ch, REG_SVC + "GetInfo", self.pb.reg.InfoRequest(), self.pb.reg.PluginInfo, 1)
            problems = []
            if info.type != "DRAPlugin":
                problems.append("type %r" % info.type)
            if info.name != self.driver:
                problems.append("name %r" % info.name)
            if "v1beta1.DRAPlugin" not in info.supported_versions:
                problems.append("supported_versions %r lack v1beta1.DRAPlugin" % list(info.supported_versions))
            if not os.path.isabs(info.endpoint) or not _is_sock(info.endpoint):
                problems.append("endpoint %r is not a socket" % info.endpoint)
            st = self.pb.reg.RegistrationStatus(plugin_registered=not problems,
                                                error="; ".join(problems))
            _unary(ch, REG_SVC + "NotifyRegistrationStatus", st, self.pb.reg.RegistrationStatusResponse, 5)
            assert not problems, "; ".join(problems)
        self.info = info
        self.registrations += 1
        return info

    def _claims(self, claims):
        return [self.pb.dra.Claim(namespace=ns, name=name, uid=uid) for ns, name, uid in claims]

    def prepare(self, claims, timeout=45):
        with grpc.insecure_channel("unix://" + self.info.endpoint) as ch:
            req = self.pb.dra.NodePrepareResourcesRequest(claims=self._claims(claims))
            return _unary(ch, DRA_SVC + "NodePrepareResources", req,
                          self.pb.dra.NodePrepareResourcesResponse, timeout)

    def unprepare(self, claims, timeout=45):
        with grpc.insecure_channel("unix://" + self.info.endpoint) as ch:
            req = self.pb.dra.NodeUnprepareResourcesRequest(claims=self._claims(claims))
            return _unary(ch, DRA_SVC + "NodeUnprepareResources", req,
                          self.pb.dra.NodeUnprepareResourcesResponse, timeout)


def _is_sock(p):
    try:
        import stat
        return stat.S_ISSOCK(os.stat(p).st_mode)
    except OSError:
        return False


class DevicePluginKubelet:
    """The kubelet's device manager: Registration server, plugin client."""

    def __init__(self, pb, kdir):
        self.pb = pb
        self.dir = os.path.join(kdir, "device-plugins")
        self.server = None
        self.plugins = {}	# resource -> {"endpoint", "options", "lists": [(t, [devices])]}
        self.refused = []
        self.lock = threading.Lock()
        self.streams = []

    def _register(self, req, ctx):
        pb = self.pb.dp
        why = None
        if req.version != "v1beta1":
            why = "unsupported version %r" % req.version
        elif "/" not in req.resource_name or req.resource_name.split("/")[0].endswith("kubernetes.io"):
            why = "invalid extended resource name %r" % req.resource_name
        elif "/" in req.endpoint or not req.endpoint:
            why = "endpoint %r is not a file name" % req.endpoint
        if why is None:
            path = os.path.join(self.dir, req.endpoint)
            try:
                ch = grpc.insecure_channel("unix://" + path)
                grpc.channel_ready_future(ch).result(timeout=10)
                opts = _unary(ch, DP_SVC + "GetDevicePluginOptions", pb.Empty(),
                              pb.DevicePluginOptions, 10)
            except Exception as e:  # noqa: BLE001 - the kubelet refuses it
                why = "cannot reach %s: %s" % (path, e)
        if why is not None:
            with self.lock:
                self.refused.append(why)
            ctx.abort(grpc.StatusCode.INVALID_ARGUMENT, why)
        entry = {"endpoint": req.endpoint, "options": opts, "lists": [], "channel": ch,
                 "registered_at": time.time()}
        with self.lock:
            old = self.plugins.get(req.resource_name)
            self.plugins[req.resource_name] = entry
        if old:
            old["channel"].close()
        threading.Thread(target=self._watch, args=(req.resource_name, entry), daemon=True).start()
        return pb.Empty()

    def _watch(self, resource, entry):
        pb = self.pb.dp
        stream = entry["channel"].unary_stream(
            DP_SVC + "ListAndWatch", request_serializer=lambda m: m.SerializeToString(),
            response_deserializer=pb.ListAndWatchResponse.FromString)(pb.Empty())
        with self.lock:
            self.streams.append(stream)
        try:
            for resp in stream:
                devs = [(d.ID, d.health, [n.ID for n in d.topology.nodes]) for d in resp.devices]
                with self.lock:
                    entry["lists"].append((time.time(), devs))
        except grpc.RpcError:
            pass

    def start(self):
        os.makedirs(self.dir, exist_ok=True)
        # the device manager removes every socket it finds when it starts
        for p in glob.glob(os.path.join(self.dir, "*")):
            if _is_sock(p):
                os.unlink(p)
        self.server = grpc.server(__import__("concurrent.futures").futures.ThreadPoolExecutor(4))
        handler = grpc.method_handlers_generic_handler("v1beta1.Registration", {
            "Register": grpc.unary_unary_rpc_method_handler(
                self._register, request_deserializer=self.pb.dp.RegisterRequest.FromString,
                response_serializer=lambda m: m.SerializeToString()),
        })
        self.server.add_generic_rpc_handlers((handler,))
        self.server.add_insecure_port("unix://" + os.path.join(self.dir, "kubelet.sock"))
        self.server.start()

    def stop(self):
        if self.server:
            self.server.stop(0)
            self.server = None
        with self.lock:
            for s in self.streams:
                s.cancel()
            self.streams = []
            for e in self.plugins.values():
                e["channel"].close()
            self.plugins = {}

    def restart(self):
        self.stop()
        sock = os.path.join(self.dir, "kubelet.sock")
        if os.path.exists(sock):
            os.unlink(sock)
        time.sleep(0.2)
        self.start()

    def wait_registered(self, resource, timeout=20, after=0):
        end = time.time() + timeout
        while time.time() < end:
            with self.lock:
                e = self.plugins.get(resource)
                if e and e["registered_at"] > after and e["lists"]:
                    return e
            time.sleep(0.1)
        return None

    def last_list(self, resource):
        with self.lock:
            e = self.plugins.get(resource)
            return e["lists"][-1][1] if e and e["lists"] else None

    def wait_list(self, resource, pred, timeout=15):
        end = time.time() + timeout
        while time.time() < end:
            lst = self.last_list(resource)
            if lst is not None and pred(lst):
                return lst
            time.sleep(0.1)
        return self.last_list(resource)

    def _chan(self, resource):
        with self.lock:
            return self.plugins[resource]["channel"]

    def allocate(self, resource, containers, timeout=45):
        pb = self.pb.dp
        req = pb.AllocateRequest(container_requests=[
            pb.ContainerAllocateRequest(devices_ids=ids) for ids in containers])
        return _unary(self._chan(resource), DP_SVC + "Allocate", req, pb.AllocateResponse, timeout)

    def preferred(self, resource, available, must, size):
        pb = self.pb.dp
        req = pb.PreferredAllocationRequest(container_requests=[pb.ContainerPreferredAllocationRequest(
            available_deviceIDs=available, must_include_deviceIDs=must, allocation_size=size)])
        return _unary(self._chan(resource), DP_SVC + "GetPreferredAllocation", req,
                      pb.PreferredAllocationResponse, 10)

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
