// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dpud as the DRA driver dpu.dpupool.io (kubelet DRA plugin API v1beta1,
 * Kubernetes 1.32+).
 *
 * The kubelet finds <kubelet_dir>/plugins_registry/dpu.dpupool.io-reg.sock,
 * asks GetInfo (type DRAPlugin, service "v1beta1.DRAPlugin", the endpoint
 * <kubelet_dir>/plugins/dpu.dpupool.io/dra.sock) and then calls
 * NodePrepareResources / NodeUnprepareResources there. Prepare reads the
 * ResourceClaim from the API server (the kubelet sends only namespace, name
 * and UID), checks the allocation names this node's pool and devices it
 * offers, writes the claim's record, lets the planner attach the functions,
 * and answers with CDI device IDs once they are ready.
 *
 * The devices are published in one ResourceSlice per DPU: blk-N and net-N
 * with attributes type, dpu, backend, numaNode, tenantable, and capacity
 * size (blk: the largest disk a claim may ask for). Each device is one
 * function slot; the two types' counts together never exceed the slots the
 * DPU has free for pods (k8s.c), so nothing is promised twice.
 */
#include "k8s_int.h"
#include "pluginregistration.pb-c.h"
#include "dra_v1beta1.pb-c.h"

#define DRA(x) K8s__Io__Kubelet__Pkg__Apis__Dra__V1beta1__##x
#define dra(x) k8s__io__kubelet__pkg__apis__dra__v1beta1__##x
#define DRA_SVC "/k8s.io.kubelet.pkg.apis.dra.v1beta1.DRAPlugin/"
#define REG_SVC "/pluginregistration.Registration/"

static struct {
	struct grpcd_server *reg, *svc;
	char reg_path[PATH_MAX + 64], svc_path[PATH_MAX + 64];
	uint64_t registrations;
	bool registered;
	/* the ResourceSlice */
	char slice[400], pool[300];
	bool dirty, inflight, rv_known;
	char rv[64];
	int64_t generation;
} R;

/* ------------------------------------------------------------ quantity */
static void quantity(uint64_t v, char *buf, size_t len)
{
	static const char *const suf[] = { "Ki", "Mi", "Gi", "Ti", "Pi", "Ei" };
	int i = -1;

	while (i < 5 && v && !(v & 1023)) {
		v >>= 10;
		i++;
	}
	snprintf(buf, len, "%llu%s", (unsigned long long)v, i >= 0 ? suf[i] : "");
}

/* ------------------------------------------------------- registration */
static void reg_getinfo(struct grpcd_call *c, const uint8_t *msg, size_t len,
			void *arg)
{
	Pluginregistration__PluginInfo pi = PLUGINREGISTRATION__PLUGIN_INFO__INIT;
	char *versions[] = { "v1beta1.DRAPlugin" };
	uint8_t buf[1024];
	size_t n;

	(void)msg;
	(void)len;
	(void)arg;
	pi.type = "DRAPlugin";
	pi.name = K8S_DRIVER;
	pi.endpoint = R.svc_path;
	pi.n_supported_versions = 1;
	pi.supported_versions = versions;
	n = pluginregistration__plugin_info__pack(&pi, buf);
	R.registrations++;
	/* a kubelet (re)starting wipes this node's slices: publish again */
	R.rv_known = false;
	R.dirty = true;
	dpud_log("info", "kubelet asked for the DRA plugin's info", "driver=%s endpoint=%s",
		 K8S_DRIVER, R.svc_path);
	grpcd_reply(c, buf, n);
}

static void reg_status(struct grpcd_call *c, const uint8_t *msg, size_t len,
		       void *arg)
{
	Pluginregistration__RegistrationStatus *st;
	Pluginregistration__RegistrationStatusResponse r =
		PLUGINREGISTRATION__REGISTRATION_STATUS_RESPONSE__INIT;
	uint8_t buf[16];

	(void)arg;
	st = pluginregistration__registration_status__unpack(NULL, len, msg);
	if (!st) {
		grpcd_fail(c, GRPC_INVALID_ARGUMENT, "malformed RegistrationStatus");
		return;
	}
	R.registered = st->plugin_registered;
	if (st->plugin_registered)
		dpud_log("info", "registered with the kubelet", "driver=%s",
			 K8S_DRIVER);
	else
		dpud_log("error", "the kubelet refused the DRA plugin",
			 "driver=%s error=\"%s\"", K8S_DRIVER,
			 st->error ? st->error : "");
	pluginregistration__registration_status__free_unpacked(st, NULL);
	grpcd_reply(c, buf, pluginregistration__registration_status_response__pack(&r, buf));
}

/* ------------------------------------------------------------- prepare */
struct fetch {
	uint32_t serial;	/* of the wait: it may have finished */
	struct k8s_wait *w;
	int i;
};

static struct k8s_wait *wait_live(uint32_t serial, struct k8s_wait *w)
{
	struct k8s_wait *x;

	for (x = K8.waits; x; x = x->next)
		if (x == w && x->serial == serial)
			return x;
	return NULL;
}

static bool uid_ok(const char *s)
{
	size_t n = strlen(s);

	return n && n <= 48 && strspn(s, "0123456789abcdefABCDEF-") == n;
}

static struct json_object *jget(struct json_object *o, const char *path)
{
	char buf[128], *save = NULL, *k;

	scopy(buf, sizeof(buf), path);
	for (k = strtok_r(buf, ".", &save); k && o; k = strtok_r(NULL, ".", &save))
		if (!json_object_object_get_ex(o, k, &o))
			return NULL;
	return o;
}

static const char *jstr(struct json_object *o, const char *path)
{
	o = jget(o, path);
	return o && json_object_is_type(o, json_type_string) ?
	       json_object_get_string(o) : NULL;
}

/* the opaque parameters of this driver that apply to request req */
static int params_apply(struct json_object *cfgs, const char *req,
			struct k8s_claim *c, struct k8s_att *a, char *err,
			size_t errlen)
{
	size_t i, j;

	for (i = 0; cfgs && i < json_object_array_length(cfgs); i++) {
		struct json_object *e = json_object_array_get_idx(cfgs, i);
		struct json_object *reqs = jget(e, "requests");
		struct json_object *p = jget(e, "opaque.parameters");
		const char *drv = jstr(e, "opaque.driver");
		bool applies = !reqs || !json_object_array_length(reqs);

		if (!drv || strcmp(drv, K8S_DRIVER))
			continue;
		for (j = 0; reqs && j < json_object_array_length(reqs); j++)
			applies |= !strcmp(json_object_get_string(json_object_array_get_idx(reqs, j)),
					   req);
		if (!applies || !p)
			continue;
		if (!json_object_is_type(p, json_type_object)) {
			snprintf(err, errlen, "the parameters of driver %s must be an object",
				 K8S_DRIVER);
			return -EINVAL;
		}
		json_object_object_foreach(p, key, val) {
			const char *v = json_object_get_string(val);

			if (!strcmp(key, "tenant")) {
				if (!json_object_is_type(val, json_type_string) ||
				    !dpud_name_ok(v)) {
					snprintf(err, errlen, "bad tenant '%s' in the claim's parameters ([A-Za-z0-9_.-], 1..63)",
						 v);
					return -EINVAL;
				}
				scopy(c->tenant, sizeof(c->tenant), v);
			} else if (!strcmp(key, "size")) {
				uint64_t sz;

				if (!json_object_is_type(val, json_type_string) ||
				    dpud_parse_bytes(v, &sz) || !sz || sz % 4096) {
					snprintf(err, errlen, "bad size '%s' in the claim's parameters (a quantity, a multiple of 4096: 20Gi)",
						 v);
					return -EINVAL;
				}
				if (sz > D.cfg.k8s_max_disk_size) {
					char q[32];

					quantity(D.cfg.k8s_max_disk_size, q, sizeof(q));
					snprintf(err, errlen, "size %s is larger than this node's largest disk (%s)",
						 v, q);
					return -EINVAL;
				}
				if (a->type != DPU_FN_TYPE_BLK) {
					snprintf(err, errlen, "size given for request '%s', a NIC",
						 req);
					return -EINVAL;
				}
				a->size = sz;
			} else {
				snprintf(err, errlen, "unknown parameter '%s' for driver %s (tenant, size)",
					 key, K8S_DRIVER);
				return -EINVAL;
			}
		}
	}
	return 0;
}

/* The ResourceClaim as the API server has it -> the claim's record */
static int claim_from_api(struct k8s_item *it, struct json_object *rc,
			  char *err, size_t errlen)
{
	struct json_object *res = jget(rc, "status.allocation.devices.results");
	struct json_object *cfgs = jget(rc, "status.allocation.devices.config");
	const char *uid = jstr(rc, "metadata.uid");
	struct k8s_claim c;
	int ntypes[2] = { 0, 0 };
	size_t i;
	int ret;

	if (!uid || strcmp(uid, it->uid)) {
		snprintf(err, errlen, "ResourceClaim %.63s/%.120s has UID %s, the kubelet asked for %s",
			 it->ns, it->name, uid ? uid : "(none)", it->uid);
		return -ESTALE;
	}
	memset(&c, 0, sizeof(c));
	scopy(c.key, sizeof(c.key), it->uid);
	scopy(c.ns, sizeof(c.ns), it->ns);
	scopy(c.name, sizeof(c.name), it->name);
	scopy(c.uid, sizeof(c.uid), it->uid);
	scopy(c.tenant, sizeof(c.tenant), it->ns);
	scopy(c.pool, sizeof(c.pool), R.pool);
	for (i = 0; res && i < json_object_array_length(res); i++) {
		struct json_object *r = json_object_array_get_idx(res, i);
		const char *drv = jstr(r, "driver"), *pool = jstr(r, "pool");
		const char *dev = jstr(r, "device"), *req = jstr(r, "request");
		struct k8s_att *a;

		if (!drv || strcmp(drv, K8S_DRIVER))
			continue;
		if (!pool || strcmp(pool, R.pool)) {
			snprintf(err, errlen, "device %s/%s is from pool %s, this node's is %s",
				 pool ? pool : "?", dev ? dev : "?",
				 pool ? pool : "?", R.pool);
			return -EINVAL;
		}
		if (c.natt >= K8S_MAX_ATT) {
			snprintf(err, errlen, "more than %d devices of %s in one claim",
				 K8S_MAX_ATT, K8S_DRIVER);
			return -E2BIG;
		}
		a = &c.att[c.natt];
		if (!dev || !req || !k8s_device_ok(dev, &a->type)) {
			snprintf(err, errlen, "device %.40s is not offered by node %.100s now (blk-0..%u, net-0..%u)",
				 dev ? dev : "?", K8.node,
				 K8.slots[0] ? K8.slots[0] - 1 : 0,
				 K8.slots[1] ? K8.slots[1] - 1 : 0);
			return -ENODEV;
		}
		scopy(a->device, sizeof(a->device), dev);
		scopy(a->request, sizeof(a->request), req);
		{
			char nm[DPUD_NAME_LEN];

			snprintf(nm, sizeof(nm), "k8s-%.48s-%d", it->uid, c.natt);
			scopy(a->name, sizeof(a->name), nm);
		}
		if (a->type == DPU_FN_TYPE_BLK)
			a->size = D.cfg.k8s_disk_size;
		ret = params_apply(cfgs, req, &c, a, err, errlen);
		if (ret)
			return ret;
		ntypes[a->type == DPU_FN_TYPE_NET]++;
		c.natt++;
	}
	if (!c.natt) {
		snprintf(err, errlen, "ResourceClaim %.63s/%.120s has no device of driver %s allocated",
			 it->ns, it->name, K8S_DRIVER);
		return -ENOENT;
	}
	if (!dpud_name_ok(c.tenant)) {
		snprintf(err, errlen, "namespace '%s' is not a tenant name: give the tenant as a parameter",
			 c.tenant);
		return -EINVAL;
	}
	ret = k8s_slot_check(ntypes, err, errlen);
	if (ret)
		return ret;
	ret = k8s_claim_save(&c);
	if (ret)
		snprintf(err, errlen, "cannot save the claim's record in %.100s: %s",
			 K8.claims_dir, strerror(-ret));
	else
		dpud_log("info", "claim accepted", "claim=%s/%s uid=%s tenant=%s functions=%d",
			 c.ns, c.name, c.uid, c.tenant, c.natt);
	return ret;
}

static void fetched(int status, struct json_object *body, const char *err,
		    void *arg)
{
	struct fetch *f = arg;
	struct k8s_wait *w = wait_live(f->serial, f->w);
	struct k8s_item *it;
	char e[300];

	if (!w) {
		free(f);
		return;
	}
	it = &w->items[f->i];
	free(f);
	it->fetching = false;
	if (it->state != ITEM_PENDING) {
		/* unprepared while it was being read: nothing is attached */
	} else if (status == 404) {
		it->state = ITEM_FAILED;
		snprintf(it->error, sizeof(it->error),
			 "ResourceClaim %.63s/%.120s not found", it->ns, it->name);
	} else if (status < 200 || status >= 300) {
		it->state = ITEM_FAILED;
		snprintf(it->error, sizeof(it->error), "cannot read ResourceClaim %.63s/%.120s: %s",
			 it->ns, it->name, err);
	} else if (!k8s_claim_find(it->key) &&
		   claim_from_api(it, body, e, sizeof(e))) {
		it->state = ITEM_FAILED;
		scopy(it->error, sizeof(it->error), e);
	}
	if (it->state == ITEM_FAILED)
		dpud_log("error", "claim refused", "claim=%s/%s error=\"%s\"",
			 it->ns, it->name, it->error);
	k8s_wait_check();
}

static void prepare_finish(struct k8s_wait *w)
{
	DRA(NodePrepareResourcesResponse) resp =
		K8S__IO__KUBELET__PKG__APIS__DRA__V1BETA1__NODE_PREPARE_RESOURCES_RESPONSE__INIT;
	DRA(NodePrepareResourcesResponse__ClaimsEntry) *ents, **pents;
	DRA(NodePrepareResourceResponse) *rs;
	DRA(Device) *devs, **pdevs;
	char (*cdi)[160], **pcdi, **preq;
	size_t len;
	uint8_t *buf;
	int i, j, nd = 0;

	ents = calloc((size_t)w->n + 1, sizeof(*ents));
	pents = calloc((size_t)w->n + 1, sizeof(*pents));
	rs = calloc((size_t)w->n + 1, sizeof(*rs));
	devs = calloc((size_t)w->n * K8S_MAX_ATT + 1, sizeof(*devs));
	pdevs = calloc((size_t)w->n * K8S_MAX_ATT + 1, sizeof(*pdevs));
	cdi = calloc((size_t)w->n * K8S_MAX_ATT + 1, sizeof(*cdi));
	pcdi = calloc((size_t)w->n * K8S_MAX_ATT + 1, sizeof(*pcdi));
	preq = calloc((size_t)w->n * K8S_MAX_ATT + 1, sizeof(*preq));
	if (!ents || !pents || !rs || !devs || !pdevs || !cdi || !pcdi || !preq) {
		if (w->call)
			grpcd_fail(w->call, GRPC_RESOURCE_EXHAUSTED, "out of memory");
		goto out;
	}
	for (i = 0; i < w->n; i++) {
		struct k8s_item *it = &w->items[i];
		struct k8s_claim *c = k8s_claim_find(it->key);

		dra(node_prepare_resources_response__claims_entry__init)(&ents[i]);
		dra(node_prepare_resource_response__init)(&rs[i]);
		ents[i].key = it->uid;
		ents[i].value = &rs[i];
		pents[i] = &ents[i];
		if (it->state != ITEM_OK || !c) {
			rs[i].error = it->error[0] ? it->error : "not prepared";
			K8.prepare_failed++;
			continue;
		}
		rs[i].devices = &pdevs[nd];
		for (j = 0; j < c->natt; j++, nd++) {
			dra(device__init)(&devs[nd]);
			k8s_cdi_id(c, j, cdi[nd], sizeof(cdi[nd]));
			pcdi[nd] = cdi[nd];
			preq[nd] = c->att[j].request;
			devs[nd].n_request_names = 1;
			devs[nd].request_names = &preq[nd];
			devs[nd].pool_name = c->pool;
			devs[nd].device_name = c->att[j].device;
			devs[nd].n_cdi_device_ids = 1;
			devs[nd].cdi_device_ids = &pcdi[nd];
			pdevs[nd] = &devs[nd];
			rs[i].n_devices++;
		}
		if (!c->delivered) {
			c->delivered = true;
			k8s_claim_save(c);
		}
		K8.prepared++;
	}
	resp.n_claims = (size_t)w->n;
	resp.claims = pents;
	len = dra(node_prepare_resources_response__get_packed_size)(&resp);
	buf = malloc(len ? len : 1);
	if (!buf) {
		if (w->call)
			grpcd_fail(w->call, GRPC_RESOURCE_EXHAUSTED, "out of memory");
		goto out;
	}
	dra(node_prepare_resources_response__pack)(&resp, buf);
	/* the functions are attached and recorded: a crash now must make the
	 * kubelet's retry find the same ones (tests kill dpud here) */
	dpud_test_crash("prepare-reply");
	if (w->call)
		grpcd_reply(w->call, buf, len);
	free(buf);
out:
	free(ents);
	free(pents);
	free(rs);
	free(devs);
	free(pdevs);
	free(cdi);
	free(pcdi);
	free(preq);
}

static struct k8s_wait *wait_for(struct grpcd_call *c, int n,
				 void (*finish)(struct k8s_wait *w))
{
	struct k8s_wait *w = k8s_wait_new(c, n, finish);

	if (w)
		grpcd_on_close(c, k8s_wait_call_gone, w);
	return w;
}

static void prepare(struct grpcd_call *c, const uint8_t *msg, size_t len,
		    void *arg)
{
	DRA(NodePrepareResourcesRequest) *req;
	struct k8s_wait *w;
	size_t i;

	(void)arg;
	req = dra(node_prepare_resources_request__unpack)(NULL, len, msg);
	if (!req) {
		grpcd_fail(c, GRPC_INVALID_ARGUMENT, "malformed NodePrepareResourcesRequest");
		return;
	}
	w = wait_for(c, (int)req->n_claims, prepare_finish);
	if (!w) {
		dra(node_prepare_resources_request__free_unpacked)(req, NULL);
		grpcd_fail(c, GRPC_RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	for (i = 0; i < req->n_claims; i++) {
		const DRA(Claim) *cl = req->claims[i];
		struct k8s_item *it = &w->items[i];
		char path[600];
		struct fetch *f;
		int ret;

		scopy(it->ns, sizeof(it->ns), cl->namespace_);
		scopy(it->name, sizeof(it->name), cl->name);
		scopy(it->uid, sizeof(it->uid), cl->uid);
		scopy(it->key, sizeof(it->key), cl->uid);
		if (!uid_ok(cl->uid) || !cl->namespace_[0] || !cl->name[0] ||
		    strlen(cl->namespace_) >= sizeof(it->ns) ||
		    strlen(cl->name) >= sizeof(it->name) ||
		    strspn(cl->namespace_, "abcdefghijklmnopqrstuvwxyz0123456789-") !=
		    strlen(cl->namespace_) ||
		    strspn(cl->name, "abcdefghijklmnopqrstuvwxyz0123456789-.") !=
		    strlen(cl->name)) {
			it->state = ITEM_FAILED;
			snprintf(it->error, sizeof(it->error),
				 "bad claim (namespace '%.60s', name '%.60s', uid '%.60s')",
				 cl->namespace_, cl->name, cl->uid);
			continue;
		}
		if (k8s_claim_find(it->key))
			continue;	/* a retry: wait for what is there */
		if (!kube_enabled()) {
			it->state = ITEM_FAILED;
			snprintf(it->error, sizeof(it->error),
				 "cannot read ResourceClaim %.63s/%.120s: dpud has no API server access (kubeconfig, kube_api)",
				 it->ns, it->name);
			continue;
		}
		f = malloc(sizeof(*f));
		if (!f) {
			it->state = ITEM_FAILED;
			snprintf(it->error, sizeof(it->error), "out of memory");
			continue;
		}
		f->serial = w->serial;
		f->w = w;
		f->i = (int)i;
		snprintf(path, sizeof(path),
			 "/apis/resource.k8s.io/v1beta1/namespaces/%s/resourceclaims/%s",
			 it->ns, it->name);
		it->fetching = true;
		ret = kube_request("GET", path, NULL, NULL, fetched, f);
		if (ret) {
			free(f);
			it->fetching = false;
			it->state = ITEM_FAILED;
			snprintf(it->error, sizeof(it->error),
				 "cannot read ResourceClaim %.63s/%.120s: %s", it->ns,
				 it->name, strerror(-ret));
		}
	}
	dra(node_prepare_resources_request__free_unpacked)(req, NULL);
	k8s_kube_kick();
	k8s_wait_check();
}

static void unprepare_finish(struct k8s_wait *w)
{
	DRA(NodeUnprepareResourcesResponse) resp =
		K8S__IO__KUBELET__PKG__APIS__DRA__V1BETA1__NODE_UNPREPARE_RESOURCES_RESPONSE__INIT;
	DRA(NodeUnprepareResourcesResponse__ClaimsEntry) *ents, **pents;
	DRA(NodeUnprepareResourceResponse) *rs;
	uint8_t *buf = NULL;
	size_t len;
	int i;

	ents = calloc((size_t)w->n + 1, sizeof(*ents));
	pents = calloc((size_t)w->n + 1, sizeof(*pents));
	rs = calloc((size_t)w->n + 1, sizeof(*rs));
	if (!ents || !pents || !rs)
		goto oom;
	for (i = 0; i < w->n; i++) {
		dra(node_unprepare_resources_response__claims_entry__init)(&ents[i]);
		dra(node_unprepare_resource_response__init)(&rs[i]);
		ents[i].key = w->items[i].uid;
		ents[i].value = &rs[i];
		pents[i] = &ents[i];
		if (w->items[i].state != ITEM_OK)
			rs[i].error = w->items[i].error;
		else
			K8.unprepared++;
	}
	resp.n_claims = (size_t)w->n;
	resp.claims = pents;
	len = dra(node_unprepare_resources_response__get_packed_size)(&resp);
	buf = malloc(len ? len : 1);
	if (!buf)
		goto oom;
	dra(node_unprepare_resources_response__pack)(&resp, buf);
	if (w->call)
		grpcd_reply(w->call, buf, len);
	goto out;
oom:
	if (w->call)
		grpcd_fail(w->call, GRPC_RESOURCE_EXHAUSTED, "out of memory");
out:
	free(buf);
	free(ents);
	free(pents);
	free(rs);
}

static void abandon_fetches(const char *key)
{
	struct k8s_wait *w;
	int i;

	for (w = K8.waits; w; w = w->next)
		for (i = 0; i < w->n; i++)
			if (w->items[i].fetching &&
			    w->items[i].state == ITEM_PENDING &&
			    !strcmp(w->items[i].key, key)) {
				w->items[i].state = ITEM_FAILED;
				scopy(w->items[i].error, sizeof(w->items[i].error),
				      "unprepared while it was being prepared");
			}
}

static void unprepare(struct grpcd_call *c, const uint8_t *msg, size_t len,
		      void *arg)
{
	DRA(NodeUnprepareResourcesRequest) *req;
	struct k8s_wait *w;
	size_t i;

	(void)arg;
	req = dra(node_unprepare_resources_request__unpack)(NULL, len, msg);
	if (!req) {
		grpcd_fail(c, GRPC_INVALID_ARGUMENT, "malformed NodeUnprepareResourcesRequest");
		return;
	}
	w = wait_for(c, (int)req->n_claims, unprepare_finish);
	if (!w) {
		dra(node_unprepare_resources_request__free_unpacked)(req, NULL);
		grpcd_fail(c, GRPC_RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	for (i = 0; i < req->n_claims; i++) {
		struct k8s_item *it = &w->items[i];
		int ret;

		scopy(it->uid, sizeof(it->uid), req->claims[i]->uid);
		scopy(it->key, sizeof(it->key), req->claims[i]->uid);
		if (!uid_ok(it->uid)) {
			it->state = ITEM_FAILED;
			snprintf(it->error, sizeof(it->error), "bad claim uid '%.60s'",
				 req->claims[i]->uid);
			continue;
		}
		/* a prepare of it still reading the claim gives up: its
		 * answer would attach functions for a pod that is gone */
		abandon_fetches(it->key);
		/* unknown claims are fine: the kubelet retries, or never
		 * had it prepared here; either way nothing is left */
		ret = k8s_claim_drop(it->key);
		if (ret) {
			it->state = ITEM_FAILED;
			snprintf(it->error, sizeof(it->error),
				 "cannot remove the claim's record: %s",
				 strerror(-ret));
			continue;
		}
		it->gone_wait = true;
		dpud_log("info", "claim unprepared", "uid=%s", it->uid);
	}
	dra(node_unprepare_resources_request__free_unpacked)(req, NULL);
	k8s_wait_check();
}

static const struct grpcd_method reg_methods[] = {
	{ REG_SVC "GetInfo", reg_getinfo },
	{ REG_SVC "NotifyRegistrationStatus", reg_status },
};

static const struct grpcd_method dra_methods[] = {
	{ DRA_SVC "NodePrepareResources", prepare },
	{ DRA_SVC "NodeUnprepareResources", unprepare },
};

/* -------------------------------------------------------- ResourceSlice */
static struct json_object *jattr(const char *kind, struct json_object *v)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, kind, v);
	return o;
}

static char *slice_json(void)
{
	struct json_object *s = json_object_new_object();
	struct json_object *md = json_object_new_object();
	struct json_object *spec = json_object_new_object();
	struct json_object *pool = json_object_new_object();
	struct json_object *devs = json_object_new_array();
	char name[32], q[32];
	uint32_t t, i;
	char *out;

	json_object_object_add(s, "apiVersion", json_object_new_string("resource.k8s.io/v1beta1"));
	json_object_object_add(s, "kind", json_object_new_string("ResourceSlice"));
	json_object_object_add(md, "name", json_object_new_string(R.slice));
	if (R.rv_known && R.rv[0])
		json_object_object_add(md, "resourceVersion", json_object_new_string(R.rv));
	json_object_object_add(s, "metadata", md);
	json_object_object_add(spec, "driver", json_object_new_string(K8S_DRIVER));
	json_object_object_add(spec, "nodeName", json_object_new_string(K8.node));
	json_object_object_add(pool, "name", json_object_new_string(R.pool));
	json_object_object_add(pool, "generation", json_object_new_int64(R.generation));
	json_object_object_add(pool, "resourceSliceCount", json_object_new_int(1));
	json_object_object_add(spec, "pool", pool);
	quantity(D.cfg.k8s_max_disk_size, q, sizeof(q));
	for (t = 0; t < 2; t++)
		for (i = 0; i < K8.slots[t]; i++) {
			struct json_object *d = json_object_new_object();
			struct json_object *b = json_object_new_object();
			struct json_object *at = json_object_new_object();

			snprintf(name, sizeof(name), "%s-%u", t ? "net" : "blk", i);
			json_object_object_add(d, "name", json_object_new_string(name));
			json_object_object_add(at, "type", jattr("string", json_object_new_string(t ? "net" : "blk")));
			json_object_object_add(at, "dpu", jattr("string", json_object_new_string(D.cfg.device)));
			json_object_object_add(at, "backend", jattr("string", json_object_new_string(K8.backend)));
			json_object_object_add(at, "numaNode", jattr("int", json_object_new_int(K8.numa_node)));
			json_object_object_add(at, "tenantable", jattr("bool", json_object_new_boolean(1)));
			json_object_object_add(b, "attributes", at);
			if (!t) {
				struct json_object *cap = json_object_new_object();
				struct json_object *v = json_object_new_object();

				json_object_object_add(v, "value", json_object_new_string(q));
				json_object_object_add(cap, "size", v);
				json_object_object_add(b, "capacity", cap);
			}
			json_object_object_add(d, "basic", b);
			json_object_array_add(devs, d);
		}
	json_object_object_add(spec, "devices", devs);
	json_object_object_add(s, "spec", spec);
	out = strdup(json_object_to_json_string_ext(s, JSON_C_TO_STRING_PLAIN |
						    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(s);
	return out;
}

static void slice_publish(void);

static void slice_written(int status, struct json_object *body,
			  const char *err, void *arg)
{
	const char *rv = jstr(body, "metadata.resourceVersion");

	(void)arg;
	R.inflight = false;
	if (status >= 200 && status < 300 && rv) {
		scopy(R.rv, sizeof(R.rv), rv);
		R.rv_known = true;
		K8.slice_writes++;
		dpud_log("info", "ResourceSlice published", "slice=%s generation=%lld blk=%u net=%u",
			 R.slice, (long long)R.generation, K8.slots[0],
			 K8.slots[1]);
		return;
	}
	R.dirty = true;		/* again at the next tick */
	R.rv_known = false;	/* 409 (someone changed it), 404 (deleted) */
	dpud_log("error", "cannot publish the ResourceSlice", "slice=%s error=\"%s\"",
		 R.slice, err);
}

static void slice_read(int status, struct json_object *body, const char *err,
		       void *arg)
{
	struct json_object *g = jget(body, "spec.pool.generation");
	const char *rv = jstr(body, "metadata.resourceVersion");

	(void)arg;
	R.inflight = false;
	if (status == 404) {
		R.rv_known = true;
		R.rv[0] = '\0';
	} else if (status >= 200 && status < 300 && rv) {
		R.rv_known = true;
		scopy(R.rv, sizeof(R.rv), rv);
		if (g && json_object_get_int64(g) >= R.generation)
			R.generation = json_object_get_int64(g);
	} else {
		dpud_log("error", "cannot read the ResourceSlice", "slice=%s error=\"%s\"",
			 R.slice, err);
		return;
	}
	slice_publish();
}

static void slice_publish(void)
{
	char path[600];
	char *body;
	int ret;

	if (!kube_enabled() || R.inflight || !R.dirty || !K8.slots_known)
		return;
	if (!R.rv_known) {
		snprintf(path, sizeof(path), "/apis/resource.k8s.io/v1beta1/resourceslices/%s",
			 R.slice);
		if (!kube_request("GET", path, NULL, NULL, slice_read, NULL))
			R.inflight = true;
		k8s_kube_kick();
		return;
	}
	R.generation++;
	body = slice_json();
	if (!body)
		return;
	if (R.rv[0]) {
		snprintf(path, sizeof(path), "/apis/resource.k8s.io/v1beta1/resourceslices/%s",
			 R.slice);
		ret = kube_request("PUT", path, NULL, body, slice_written, NULL);
	} else {
		ret = kube_request("POST", "/apis/resource.k8s.io/v1beta1/resourceslices",
				   NULL, body, slice_written, NULL);
	}
	free(body);
	if (!ret) {
		R.inflight = true;
		R.dirty = false;
	}
	k8s_kube_kick();
}

void dra_slots_changed(void)
{
	if (D.cfg.kubelet_plugin != DPUD_KUBELET_DRA)
		return;
	R.dirty = true;
	slice_publish();
}

/* --------------------------------------------------------------- life */
static int listen_all(char *err, size_t errlen)
{
	R.svc = grpcd_listen(&D.ring, R.svc_path, dra_methods,
			     sizeof(dra_methods) / sizeof(dra_methods[0]), NULL,
			     err, errlen);
	if (!R.svc)
		return -EIO;
	/* the registration socket last: the kubelet may call at once */
	R.reg = grpcd_listen(&D.ring, R.reg_path, reg_methods,
			     sizeof(reg_methods) / sizeof(reg_methods[0]), NULL,
			     err, errlen);
	if (!R.reg) {
		grpcd_server_close(R.svc);
		R.svc = NULL;
		return -EIO;
	}
	return 0;
}

int dra_start(char *err, size_t errlen)
{
	char dir[PATH_MAX + 32];
	int ret;

	snprintf(R.pool, sizeof(R.pool), "%s-%s", K8.node, D.cfg.device);
	snprintf(R.slice, sizeof(R.slice), "%s-%s-%s", K8.node, K8S_DRIVER,
		 D.cfg.device);
	snprintf(dir, sizeof(dir), "%s/plugins", D.cfg.kubelet_dir);
	if (mkdir(dir, 0750) && errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
		return -errno;
	}
	snprintf(R.svc_path, sizeof(R.svc_path), "%s/plugins/%s/dra.sock",
		 D.cfg.kubelet_dir, K8S_DRIVER);
	snprintf(R.reg_path, sizeof(R.reg_path), "%s/plugins_registry/%s-reg.sock",
		 D.cfg.kubelet_dir, K8S_DRIVER);
	ret = listen_all(err, errlen);
	if (ret)
		return ret;
	R.dirty = true;
	dpud_log("info", "DRA driver serving", "driver=%s registration=%s endpoint=%s pool=%s",
		 K8S_DRIVER, R.reg_path, R.svc_path, R.pool);
	return 0;
}

void dra_stop(void)
{
	grpcd_server_close(R.reg);
	grpcd_server_close(R.svc);
	R.reg = R.svc = NULL;
}

void dra_tick(void)
{
	char err[256];

	/* a socket removed under us (a cleanup, a new kubelet dir): again */
	if (R.reg && (!grpcd_server_intact(R.reg) || !grpcd_server_intact(R.svc))) {
		dpud_log("warn", "a DRA socket was removed: listening again",
			 "registration=%s endpoint=%s", R.reg_path, R.svc_path);
		dra_stop();
	}
	if (!R.reg && listen_all(err, sizeof(err)))
		dpud_log("error", "cannot listen for the kubelet", "error=\"%s\"", err);
	slice_publish();
}
