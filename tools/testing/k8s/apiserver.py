#!/usr/bin/python3
"""An API-server stand-in for dpud's tests: HTTPS (a test CA), bearer token,
and only the REST paths dpud uses, strict about what it accepts:

  GET    /apis/resource.k8s.io/v1beta1/namespaces/NS/resourceclaims/NAME
  GET    /apis/resource.k8s.io/v1beta1/resourceslices/NAME
  POST   /apis/resource.k8s.io/v1beta1/resourceslices
  PUT    /apis/resource.k8s.io/v1beta1/resourceslices/NAME
  PATCH  /api/v1/nodes/NAME/status   (application/merge-patch+json)

Objects are validated as the real server's validation would (resource.k8s.io
v1beta1 limits: 128 devices, DNS-label device names, one value per
attribute, 32 attributes + capacities, 64-character strings; resourceVersion
conflicts; pool generations that never go back; Node status patches that
touch only status.capacity / status.allocatable with quantities). A refusal
is answered like the real server (a Status object, 4xx) and kept in
`rejected`, so a test can assert dpud never sent anything wrong."""

import json
import re
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS_SUB = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
C_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
QUANTITY = re.compile(r"^[0-9]+(\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$")
SEMVER = re.compile(r"^[0-9]+\.[0-9]+\.[0-9]+")


def validate_slice(o, driver, node):
    errs = []
    if o.get("apiVersion") != "resource.k8s.io/v1beta1" or o.get("kind") != "ResourceSlice":
        errs.append("apiVersion/kind: %r/%r" % (o.get("apiVersion"), o.get("kind")))
    md = o.get("metadata", {})
    if not DNS_SUB.match(md.get("name", "")) or len(md.get("name", "")) > 253:
        errs.append("metadata.name %r" % md.get("name"))
    unknown = set(md) - {"name", "resourceVersion", "labels", "ownerReferences"}
    if unknown:
        errs.append("metadata: unexpected %s" % sorted(unknown))
    sp = o.get("spec", {})
    unknown = set(sp) - {"driver", "pool", "nodeName", "nodeSelector", "allNodes", "devices"}
    if unknown:
        errs.append("spec: unknown fields %s" % sorted(unknown))
    if sp.get("driver") != driver:
        errs.append("spec.driver %r" % sp.get("driver"))
    if sum(1 for k in ("nodeName", "nodeSelector", "allNodes") if k in sp) != 1:
        errs.append("exactly one of nodeName, nodeSelector, allNodes")
    if sp.get("nodeName") != node:
        errs.append("spec.nodeName %r" % sp.get("nodeName"))
    pool = sp.get("pool", {})
    if not pool.get("name") or len(pool["name"]) > 253:
        errs.append("spec.pool.name %r" % pool.get("name"))
    if not isinstance(pool.get("generation"), int) or pool["generation"] < 0:
        errs.append("spec.pool.generation %r" % pool.get("generation"))
    if pool.get("resourceSliceCount") != 1:
        errs.append("spec.pool.resourceSliceCount %r" % pool.get("resourceSliceCount"))
    devs = sp.get("devices")
    if not isinstance(devs, list) or len(devs) > 128:
        errs.append("spec.devices: a list of at most 128")
        return errs
    names = set()
    for i, d in enumerate(devs):
        n = d.get("name", "")
        if not DNS_LABEL.match(n) or len(n) > 63 or n in names:
            errs.append("devices[%d].name %r" % (i, n))
        names.add(n)
        b = d.get("basic")
        if not isinstance(b, dict) or set(d) - {"name", "basic"}:
            errs.append("devices[%d]: want name and basic only" % i)
            continue
        attrs, caps = b.get("attributes", {}), b.get("capacity", {})
        if len(attrs) + len(caps) > 32:
            errs.append("devices[%d]: more than 32 attributes and capacities" % i)
        for k, v in attrs.items():
            short = k.split("/")[-1]
            if not C_IDENT.match(short) or len(short) > 32:
                errs.append("devices[%d].attributes name %r" % (i, k))
            if not isinstance(v, dict) or len(v) != 1 or list(v)[0] not in ("int", "bool", "string", "version"):
                errs.append("devices[%d].attributes[%s]: exactly one of int, bool, string, version" % (i, k))
                continue
            t, val = list(v.items())[0]
            if (t == "int" and (not isinstance(val, int) or isinstance(val, bool))) or \
               (t == "bool" and not isinstance(val, bool)) or \
               (t in ("string", "version") and (not isinstance(val, str) or len(val) > 64)) or \
               (t == "version" and not SEMVER.match(val)):
                errs.append("devices[%d].attributes[%s]: bad %s %r" % (i, k, t, val))
        for k, v in caps.items():
            if not C_IDENT.match(k.split("/")[-1]) or not isinstance(v, dict) or \
               set(v) != {"value"} or not QUANTITY.match(str(v["value"])):
                errs.append("devices[%d].capacity[%s] %r" % (i, k, v))
    return errs


class APIServer:
    def __init__(self, cert, key, token, driver, node):
        self.token, self.driver = token, driver
        self.lock = threading.Lock()
        self.claims = {}	# (ns, name) -> object
        self.delays = {}	# (ns, name) -> seconds a claim's GET takes
        self.slices = {}	# name -> object
        self.nodes = {node: {"metadata": {"name": node}, "status": {"capacity": {"cpu": "2"},
                                                                    "allocatable": {"cpu": "2"}}}}
        self.node = node
        self.rv = 1000
        self.requests = []	# (method, path, status)
        self.rejected = []	# (method, path, why)
        self.patches = []	# (time, content-type, body)
        self.slice_writes = []	# (time, method, object)
        owner = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def _send(self, code, obj):
                body = json.dumps(obj).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                with owner.lock:
                    owner.requests.append((self.command, self.path, code))

            def _status(self, code, reason, msg):
                if code >= 400 and code not in (404, 409):
                    with owner.lock:
                        owner.rejected.append((self.command, self.path, msg))
                self._send(code, {"kind": "Status", "apiVersion": "v1", "status": "Failure",
                                  "message": msg, "reason": reason, "code": code})

            def _body(self):
                n = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(n) if n else b""
                try:
                    return json.loads(raw) if raw else None
                except ValueError:
                    return ValueError

            def _handle(self):
                if self.headers.get("Authorization") != "Bearer " + owner.token:
                    return self._status(401, "Unauthorized", "Unauthorized")
                if "application/json" not in self.headers.get("Accept", ""):
                    return self._status(406, "NotAcceptable", "Accept must include application/json")
                body = self._body() if self.command in ("POST", "PUT", "PATCH") else None
                if body is ValueError:
                    return self._status(400, "BadRequest", "the body is not JSON")
                return owner.route(self, body)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)

        class TLSServer(ThreadingHTTPServer):
            daemon_threads = True

            def finish_request(self, request, client_address):
                # the handshake in the connection's own thread: a client
                # that stalls cannot block the others
                request.settimeout(10)
                try:
                    request = ctx.wrap_socket(request, server_side=True)
                except (ssl.SSLError, OSError):
                    return
                self.RequestHandlerClass(request, client_address, self)

        self.httpd = TLSServer(("127.0.0.1", 0), H)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()

    def next_rv(self):
        self.rv += 1
        return str(self.rv)

    def route(self, h, body):
        p = h.path.split("?")[0]
        m = re.match(r"^/apis/resource\.k8s\.io/v1beta1/namespaces/([^/]+)/resourceclaims/([^/]+)$", p)
        if m:
            if h.command != "GET":
                return h._status(405, "MethodNotAllowed", "dpud only reads claims")
            with self.lock:
                c = self.claims.get((m.group(1), m.group(2)))
                delay = self.delays.get((m.group(1), m.group(2)), 0)
            if delay:
                time.sleep(delay)
            if not c:
                return h._status(404, "NotFound", 'resourceclaims.resource.k8s.io "%s" not found' % m.group(2))
            return h._send(200, c)
        m = re.match(r"^/apis/resource\.k8s\.io/v1beta1/resourceslices(?:/([^/]+))?$", p)
        if m:
            return self.slice_route(h, m.group(1), body)
        m = re.match(r"^/api/v1/nodes/([^/]+)/status$", p)
        if m:
            return self.node_status(h, m.group(1), body)
        return h._status(404, "NotFound", "the server could not find the requested resource %s" % p)

    def slice_route(self, h, name, body):
        with self.lock:
            cur = self.slices.get(name) if name else None
        if h.command == "GET" and name:
            return h._send(200, cur) if cur else h._status(404, "NotFound", "resourceslice %s not found" % name)
        if h.command == "DELETE" and name:
            with self.lock:
                self.slices.pop(name, None)
            return h._send(200, {"kind": "Status", "status": "Success"})
        if h.command not in ("POST", "PUT") or (h.command == "POST") == bool(name):
            return h._status(405, "MethodNotAllowed", "%s %s" % (h.command, h.path))
        if h.headers.get("Content-Type") != "application/json":
            return h._status(415, "UnsupportedMediaType", "Content-Type must be application/json")
        if not isinstance(body, dict):
            return h._status(400, "BadRequest", "a ResourceSlice object is required")
        errs = validate_slice(body, self.driver, self.node)
        if name and body.get("metadata", {}).get("name") != name:
            errs.append("metadata.name does not match the path")
        if errs:
            return h._status(422, "Invalid", "ResourceSlice is invalid: " + "; ".join(errs))
        with self.lock:
            nm = body["metadata"]["name"]
            cur = self.slices.get(nm)
            if h.command == "POST" and cur:
                return h._status(409, "AlreadyExists", "resourceslice %s already exists" % nm)
            if h.command == "PUT":
                if not cur:
                    return h._status(404, "NotFound", "resourceslice %s not found" % nm)
                if body["metadata"].get("resourceVersion") != cur["metadata"]["resourceVersion"]:
                    return h._status(409, "Conflict", "the object has been modified")
                if body["spec"]["pool"]["generation"] < cur["spec"]["pool"]["generation"]:
                    self.rejected.append((h.command, h.path, "pool generation went back"))
                    return h._status(422, "Invalid", "spec.pool.generation went back")
            body["metadata"]["resourceVersion"] = self.next_rv()
            self.slices[nm] = body
            self.slice_writes.append((time.time(), h.command, json.loads(json.dumps(body))))
        return h._send(201 if h.command == "POST" else 200, body)

    def node_status(self, h, name, body):
        if h.command != "PATCH":
            return h._status(405, "MethodNotAllowed", "only PATCH here")
        ct = h.headers.get("Content-Type")
        if ct not in ("application/merge-patch+json", "application/strategic-merge-patch+json"):
            return h._status(415, "UnsupportedMediaType", "PATCH Content-Type %r" % ct)
        with self.lock:
            node = self.nodes.get(name)
        if not node:
            return h._status(404, "NotFound", 'nodes "%s" not found' % name)
        if not isinstance(body, dict) or set(body) != {"status"} or \
           not set(body["status"]) <= {"capacity", "allocatable"}:
            return h._status(422, "Invalid", "only status.capacity and status.allocatable may be patched")
        for part in body["status"].values():
            for k, v in part.items():
                if not isinstance(v, str) or not QUANTITY.match(v) or "/" not in k:
                    return h._status(422, "Invalid", "bad extended resource %r: %r" % (k, v))
        with self.lock:
            for part, vals in body["status"].items():
                node["status"].setdefault(part, {}).update(vals)
            self.patches.append((time.time(), ct, body))
        return h._send(200, node)
