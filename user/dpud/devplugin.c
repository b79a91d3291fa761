// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dpud as a kubelet device plugin (API v1beta1), for clusters without DRA:
 * extended resources dpupool.io/dpu-blk and dpupool.io/dpu-net, one
 * plugin socket each in <kubelet_dir>/device-plugins.
 *
 * Devices are function slots (blk-0.., net-0..), as many as k8s.c offers.
 * Allocate attaches a function per device (the kubelet only hands out a
 * device no running container holds, so an earlier function of that device
 * is replaced by a fresh one: a disk never passes from one pod to the
 * next), waits until it is ready and answers with the block device node,
 * environment variables and the CDI device name. A function that has not
 * been handed out yet (dpud was killed before it answered) is reused by the
 * kubelet's next Allocate of the device.
 *
 * ListAndWatch streams the devices with their health: Unhealthy while the
 * DPU does not answer, or when a device's function went away (surprise
 * removal) or failed. A kubelet restart removes the plugin sockets and
 * creates kubelet.sock anew: dpud listens again and registers again.
 */
#include "k8s_int.h"
/* protoc-c names the Register rpc's stub after a C keyword */
#define register register_rpc
#include "deviceplugin_v1beta1.pb-c.h"
#undef register

#define DP_REG		"/v1beta1.Registration/Register"
#define DP_SVC		"/v1beta1.DevicePlugin/"
#define DP_TENANT	"k8s-pods"
#define MAX_WATCH	8
#define RETRY_S		5

struct dp_res {
	int t;				/* 0 blk, 1 net */
	const char *resource, *file;
	char path[PATH_MAX + 64];
	struct grpcd_server *srv;
	bool registering, registered;
	struct timespec retry_at;
	struct grpcd_call *watch[MAX_WATCH];
	uint8_t *last;			/* the list last streamed */
	size_t lastlen;
};

static struct dp_res RES[2] = {
	{ .t = 0, .resource = "dpupool.io/dpu-blk", .file = "dpupool-blk.sock" },
	{ .t = 1, .resource = "dpupool.io/dpu-net", .file = "dpupool-net.sock" },
};

static struct {
	bool on;
	char kubelet_sock[PATH_MAX + 64];
	ino_t kubelet_ino;		/* the kubelet.sock registered with */
	uint64_t registrations;
} P;

/* ------------------------------------------------------------ devices */
static bool device_healthy(const char *id)
{
	char key[K8S_KEY_LEN];
	const struct k8s_claim *c;
	int i;

	if (!D.dpu_up)
		return false;
	snprintf(key, sizeof(key), "dp-%s", id);
	c = k8s_claim_find(key);
	for (i = 0; c && i < c->natt; i++)
		if (c->att[i].failed)
			return false;
	return !c || !c->error[0];
}

static size_t pack_list(const struct dp_res *r, uint8_t **out)
{
	V1beta1__ListAndWatchResponse resp = V1BETA1__LIST_AND_WATCH_RESPONSE__INIT;
	uint32_t n = K8.slots[r->t], i;
	V1beta1__Device *devs = calloc(n + 1, sizeof(*devs));
	V1beta1__Device **pdevs = calloc(n + 1, sizeof(*pdevs));
	char (*ids)[16] = calloc(n + 1, sizeof(*ids));
	V1beta1__TopologyInfo topo = V1BETA1__TOPOLOGY_INFO__INIT;
	V1beta1__NUMANode numa = V1BETA1__NUMANODE__INIT, *pnuma = &numa;
	size_t len = 0;

	*out = NULL;
	if (!devs || !pdevs || !ids)
		goto out;
	numa.id = K8.numa_node;
	topo.n_nodes = 1;
	topo.nodes = &pnuma;
	for (i = 0; i < n; i++) {
		v1beta1__device__init(&devs[i]);
		snprintf(ids[i], sizeof(ids[i]), "%s-%u", r->t ? "net" : "blk", i);
		devs[i].id = ids[i];
		devs[i].health = device_healthy(ids[i]) ? "Healthy" : "Unhealthy";
		if (K8.numa_node >= 0)
			devs[i].topology = &topo;
		pdevs[i] = &devs[i];
	}
	resp.n_devices = n;
	resp.devices = pdevs;
	len = v1beta1__list_and_watch_response__get_packed_size(&resp);
	*out = malloc(len ? len : 1);
	if (*out)
		v1beta1__list_and_watch_response__pack(&resp, *out);
	else
		len = 0;
out:
	free(devs);
	free(pdevs);
	free(ids);
	return len;
}

static void stream_list(struct dp_res *r, bool force)
{
	uint8_t *buf;
	size_t len = pack_list(r, &buf);
	int i;

	if (!buf)
		return;
	if (!force && r->last && len == r->lastlen &&
	    !memcmp(buf, r->last, len)) {
		free(buf);
		return;
	}
	for (i = 0; i < MAX_WATCH; i++)
		if (r->watch[i] && grpcd_send(r->watch[i], buf, len))
			dpud_log("warn", "cannot stream the device list",
				 "resource=%s", r->resource);
	free(r->last);
	r->last = buf;
	r->lastlen = len;
}

void dp_devices_changed(void)
{
	int t;

	if (!P.on)
		return;
	for (t = 0; t < 2; t++)
		stream_list(&RES[t], false);
}

/* ------------------------------------------------------------ service */
static void options(struct grpcd_call *c, const uint8_t *msg, size_t len,
		    void *arg)
{
	V1beta1__DevicePluginOptions o = V1BETA1__DEVICE_PLUGIN_OPTIONS__INIT;
	uint8_t buf[16];

	(void)msg;
	(void)len;
	(void)arg;
	o.get_preferred_allocation_available = true;
	grpcd_reply(c, buf, v1beta1__device_plugin_options__pack(&o, buf));
}

static void watch_gone(struct grpcd_call *c, void *arg)
{
	struct dp_res *r = arg;
	int i;

	for (i = 0; i < MAX_WATCH; i++)
		if (r->watch[i] == c)
			r->watch[i] = NULL;
	dpud_log("info", "the kubelet stopped watching", "resource=%s",
		 r->resource);
}

static void list_and_watch(struct grpcd_call *c, const uint8_t *msg,
			   size_t len, void *arg)
{
	struct dp_res *r = arg;
	uint8_t *buf;
	size_t n;
	int i;

	(void)msg;
	(void)len;
	for (i = 0; i < MAX_WATCH && r->watch[i]; i++)
		;
	if (i == MAX_WATCH) {
		grpcd_fail(c, GRPC_RESOURCE_EXHAUSTED, "%d watchers already",
			   MAX_WATCH);
		return;
	}
	n = pack_list(r, &buf);
	if (!buf) {
		grpcd_fail(c, GRPC_RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	r->watch[i] = c;
	grpcd_on_close(c, watch_gone, r);
	grpcd_send(c, buf, n);
	free(r->last);
	r->last = buf;
	r->lastlen = n;
}

static void prestart(struct grpcd_call *c, const uint8_t *msg, size_t len,
		     void *arg)
{
	V1beta1__PreStartContainerResponse o =
		V1BETA1__PRE_START_CONTAINER_RESPONSE__INIT;
	uint8_t buf[8];

	(void)msg;
	(void)len;
	(void)arg;
	grpcd_reply(c, buf, v1beta1__pre_start_container_response__pack(&o, buf));
}

static int dev_index(const char *id)
{
	const char *dash = strrchr(id, '-');

	return dash ? atoi(dash + 1) : 0;
}

/* must_include first, then the lowest-numbered devices: all of one
 * resource sit on one DPU, hence one NUMA node */
static void preferred(struct grpcd_call *c, const uint8_t *msg, size_t len,
		      void *arg)
{
	V1beta1__PreferredAllocationRequest *req;
	V1beta1__PreferredAllocationResponse resp =
		V1BETA1__PREFERRED_ALLOCATION_RESPONSE__INIT;
	V1beta1__ContainerPreferredAllocationResponse *cr, **pcr;
	char ***ids;
	uint8_t *buf;
	size_t i, j, k, n, out;

	(void)arg;
	req = v1beta1__preferred_allocation_request__unpack(NULL, len, msg);
	if (!req) {
		grpcd_fail(c, GRPC_INVALID_ARGUMENT, "malformed PreferredAllocationRequest");
		return;
	}
	n = req->n_container_requests;
	cr = calloc(n + 1, sizeof(*cr));
	pcr = calloc(n + 1, sizeof(*pcr));
	ids = calloc(n + 1, sizeof(*ids));
	for (i = 0; cr && pcr && ids && i < n; i++) {
		V1beta1__ContainerPreferredAllocationRequest *q =
			req->container_requests[i];
		size_t want = q->allocation_size > 0 ?
			      (size_t)q->allocation_size : 0;

		if (want > q->n_available_deviceids + q->n_must_include_deviceids)
			want = q->n_available_deviceids +
			       q->n_must_include_deviceids;

		v1beta1__container_preferred_allocation_response__init(&cr[i]);
		pcr[i] = &cr[i];
		ids[i] = calloc(want + 1, sizeof(char *));
		if (!ids[i])
			break;	/* i < n: answered as out of memory */
		out = 0;
		for (j = 0; j < q->n_must_include_deviceids && out < want; j++)
			ids[i][out++] = q->must_include_deviceids[j];
		while (out < want) {
			char *best = NULL;

			for (j = 0; j < q->n_available_deviceids; j++) {
				char *id = q->available_deviceids[j];
				bool taken = false;

				for (k = 0; k < out && !taken; k++)
					taken = !strcmp(ids[i][k], id);
				if (!taken && (!best || dev_index(id) < dev_index(best)))
					best = id;
			}
			if (!best)
				break;
			ids[i][out++] = best;
		}
		cr[i].n_deviceids = out;
		cr[i].deviceids = ids[i];
	}
	resp.n_container_responses = n;
	resp.container_responses = pcr;
	buf = NULL;
	if (cr && pcr && ids && i == n) {
		len = v1beta1__preferred_allocation_response__get_packed_size(&resp);
		buf = malloc(len ? len : 1);
	}
	if (buf) {
		v1beta1__preferred_allocation_response__pack(&resp, buf);
		grpcd_reply(c, buf, len);
	} else {
		grpcd_fail(c, GRPC_RESOURCE_EXHAUSTED, "out of memory");
	}
	free(buf);
	for (i = 0; ids && i < n; i++)
		free(ids[i]);
	free(ids);
	free(cr);
	free(pcr);
	v1beta1__preferred_allocation_request__free_unpacked(req, NULL);
}

/* w->extra: the container each item belongs to */
static void allocate_finish(struct k8s_wait *w)
{
	const int *ctr = w->extra;
	V1beta1__AllocateResponse resp = V1BETA1__ALLOCATE_RESPONSE__INIT;
	V1beta1__ContainerAllocateResponse *cr = NULL, **pcr = NULL;
	V1beta1__DeviceSpec *ds = NULL, **pds = NULL;
	V1beta1__CDIDevice *cd = NULL, **pcd = NULL;
	V1beta1__ContainerAllocateResponse__EnvsEntry *env = NULL, **penv = NULL;
	char (*cdi)[160] = NULL, (*ek)[64] = NULL, (*ev)[64] = NULL;
	int nctr = 0, i, j;
	uint8_t *buf = NULL;
	size_t len;

	for (i = 0; i < w->n; i++) {
		if (w->items[i].state != ITEM_OK) {
			K8.prepare_failed++;
			if (w->call)
				grpcd_fail(w->call, GRPC_FAILED_PRECONDITION,
					   "device %s: %s", w->items[i].key + 3,
					   w->items[i].error);
			return;
		}
		if (ctr[i] + 1 > nctr)
			nctr = ctr[i] + 1;
	}
	cr = calloc((size_t)nctr + 1, sizeof(*cr));
	pcr = calloc((size_t)nctr + 1, sizeof(*pcr));
	ds = calloc((size_t)w->n + 1, sizeof(*ds));
	pds = calloc((size_t)w->n + 1, sizeof(*pds));
	cd = calloc((size_t)w->n + 1, sizeof(*cd));
	pcd = calloc((size_t)w->n + 1, sizeof(*pcd));
	env = calloc((size_t)w->n + 1, sizeof(*env));
	penv = calloc((size_t)w->n + 1, sizeof(*penv));
	cdi = calloc((size_t)w->n + 1, sizeof(*cdi));
	ek = calloc((size_t)w->n + 1, sizeof(*ek));
	ev = calloc((size_t)w->n + 1, sizeof(*ev));
	if (!cr || !pcr || !ds || !pds || !cd || !pcd || !env || !penv ||
	    !cdi || !ek || !ev)
		goto oom;
	for (j = 0; j < nctr; j++) {
		v1beta1__container_allocate_response__init(&cr[j]);
		pcr[j] = &cr[j];
	}
	/* items of one container are contiguous: arrays slice per container */
	for (i = 0; i < w->n; i++) {
		struct k8s_claim *c = k8s_claim_find(w->items[i].key);
		V1beta1__ContainerAllocateResponse *r = &cr[ctr[i]];
		struct k8s_att *a;

		if (!c) {
			/* unprepared under us: nothing to hand out */
			if (w->call)
				grpcd_fail(w->call, GRPC_UNAVAILABLE,
					   "device %s went away; try again",
					   w->items[i].key + 3);
			goto out;
		}
		a = &c->att[0];
		v1beta1__cdidevice__init(&cd[i]);
		k8s_cdi_id(c, 0, cdi[i], sizeof(cdi[i]));
		cd[i].name = cdi[i];
		pcd[i] = &cd[i];
		if (!r->cdi_devices)
			r->cdi_devices = &pcd[i];
		r->n_cdi_devices++;
		v1beta1__container_allocate_response__envs_entry__init(&env[i]);
		k8s_env_name(a->device, ek[i], sizeof(ek[i]));
		scopy(ev[i], sizeof(ev[i]), a->node);
		env[i].key = ek[i];
		env[i].value = ev[i];
		penv[i] = &env[i];
		if (!r->envs)
			r->envs = &penv[i];
		r->n_envs++;
		if (a->type == DPU_FN_TYPE_BLK) {
			v1beta1__device_spec__init(&ds[i]);
			ds[i].container_path = a->node;
			ds[i].host_path = a->node;
			ds[i].permissions = "rw";
			pds[i] = &ds[i];
			/* keep this container's specs contiguous */
			if (!r->devices)
				r->devices = &pds[i];
			else
				r->devices[r->n_devices] = &ds[i];
			r->n_devices++;
		}
		K8.prepared++;
	}
	resp.n_container_responses = (size_t)nctr;
	resp.container_responses = pcr;
	len = v1beta1__allocate_response__get_packed_size(&resp);
	buf = malloc(len ? len : 1);
	if (!buf)
		goto oom;
	v1beta1__allocate_response__pack(&resp, buf);
	dpud_test_crash("allocate-reply");
	if (w->call) {
		grpcd_reply(w->call, buf, len);
		/* handed out: the next Allocate of these is for a new pod */
		for (i = 0; i < w->n; i++) {
			struct k8s_claim *c = k8s_claim_find(w->items[i].key);

			if (c && !c->delivered) {
				c->delivered = true;
				k8s_claim_save(c);
			}
		}
	}
	goto out;
oom:
	if (w->call)
		grpcd_fail(w->call, GRPC_RESOURCE_EXHAUSTED, "out of memory");
out:
	free(buf);
	free(cr);
	free(pcr);
	free(ds);
	free(pds);
	free(cd);
	free(pcd);
	free(env);
	free(penv);
	free(cdi);
	free(ek);
	free(ev);
}

static void allocate(struct grpcd_call *c, const uint8_t *msg, size_t len,
		     void *arg)
{
	struct dp_res *r = arg;
	V1beta1__AllocateRequest *req;
	struct k8s_wait *w;
	size_t i, j, n = 0;
	int *ctr, k = 0, ntypes[2] = { 0, 0 };
	char err[256];

	req = v1beta1__allocate_request__unpack(NULL, len, msg);
	if (!req) {
		grpcd_fail(c, GRPC_INVALID_ARGUMENT, "malformed AllocateRequest");
		return;
	}
	for (i = 0; i < req->n_container_requests; i++)
		n += req->container_requests[i]->n_devices_ids;
	/* every device first: a bad one fails the call, nothing attached */
	for (i = 0; i < req->n_container_requests; i++)
		for (j = 0; j < req->container_requests[i]->n_devices_ids; j++) {
			const char *id = req->container_requests[i]->devices_ids[j];
			char key[K8S_KEY_LEN];
			const struct k8s_claim *cl;
			uint8_t type;

			if (!k8s_device_ok(id, &type) || (type == DPU_FN_TYPE_NET) != r->t) {
				grpcd_fail(c, GRPC_INVALID_ARGUMENT,
					   "device '%.40s' is not one of %s's (%s-0..%u)",
					   id, r->resource, r->t ? "net" : "blk",
					   K8.slots[r->t] ? K8.slots[r->t] - 1 : 0);
				v1beta1__allocate_request__free_unpacked(req, NULL);
				return;
			}
			snprintf(key, sizeof(key), "dp-%s", id);
			cl = k8s_claim_find(key);
			if (!cl || cl->delivered)
				ntypes[r->t]++;
		}
	if (!n) {
		grpcd_fail(c, GRPC_INVALID_ARGUMENT, "no device to allocate");
		v1beta1__allocate_request__free_unpacked(req, NULL);
		return;
	}
	/* replaced functions free their slot: count only the new ones */
	if (k8s_slot_check(ntypes, err, sizeof(err))) {
		K8.prepare_failed++;
		grpcd_fail(c, GRPC_RESOURCE_EXHAUSTED, "%s", err);
		v1beta1__allocate_request__free_unpacked(req, NULL);
		return;
	}
	w = k8s_wait_new(c, (int)n, allocate_finish);
	ctr = calloc(n, sizeof(*ctr));
	if (!w || !ctr) {
		if (w)
			w->n = 0;	/* finished by the next check */
		free(ctr);
		grpcd_fail(c, GRPC_RESOURCE_EXHAUSTED, "out of memory");
		if (w)
			w->call = NULL;
		v1beta1__allocate_request__free_unpacked(req, NULL);
		return;
	}
	w->extra = ctr;
	grpcd_on_close(c, k8s_wait_call_gone, w);
	for (i = 0; i < req->n_container_requests; i++)
		for (j = 0; j < req->container_requests[i]->n_devices_ids; j++, k++) {
			const char *id = req->container_requests[i]->devices_ids[j];
			struct k8s_item *it = &w->items[k];
			struct k8s_claim cl, *old;
			int ret;

			ctr[k] = (int)i;
			snprintf(it->key, sizeof(it->key), "dp-%s", id);
			old = k8s_claim_find(it->key);
			if (old && !old->delivered)
				continue;	/* never handed out: it is this one */
			memset(&cl, 0, sizeof(cl));
			if (old) {
				cl = *old;	/* a new pod: a fresh function */
				cl.gen++;
			}
			scopy(cl.key, sizeof(cl.key), it->key);
			cl.dp = true;
			cl.delivered = false;
			cl.ready = false;
			cl.error[0] = '\0';
			scopy(cl.tenant, sizeof(cl.tenant), DP_TENANT);
			cl.natt = 1;
			memset(&cl.att[0], 0, sizeof(cl.att[0]));
			cl.att[0].type = r->t ? DPU_FN_TYPE_NET : DPU_FN_TYPE_BLK;
			cl.att[0].size = r->t ? 0 : D.cfg.k8s_disk_size;
			scopy(cl.att[0].device, sizeof(cl.att[0].device), id);
			snprintf(cl.att[0].name, sizeof(cl.att[0].name), "k8s-%.40s-g%u",
				 cl.key, cl.gen);
			/* the record first: memory follows only what is saved */
			cl.next = old ? old->next : NULL;
			ret = k8s_claim_save(&cl);
			if (!ret && old)
				*old = cl;
			if (ret) {
				it->state = ITEM_FAILED;
				snprintf(it->error, sizeof(it->error),
					 "cannot save the device's record: %s",
					 strerror(-ret));
			}
			dpud_log("info", "device allocated", "resource=%s device=%s function=%s",
				 r->resource, id, cl.att[0].name);
		}
	v1beta1__allocate_request__free_unpacked(req, NULL);
	k8s_wait_check();
}

static const struct grpcd_method blk_methods[] = {
	{ DP_SVC "GetDevicePluginOptions", options },
	{ DP_SVC "ListAndWatch", list_and_watch },
	{ DP_SVC "GetPreferredAllocation", preferred },
	{ DP_SVC "Allocate", allocate },
	{ DP_SVC "PreStartContainer", prestart },
};

/* ------------------------------------------------------- registration */
static void registered(int code, const char *msg, const uint8_t *resp,
		       size_t len, void *arg)
{
	struct dp_res *r = arg;

	(void)resp;
	(void)len;
	r->registering = false;
	if (code) {
		clock_gettime(CLOCK_MONOTONIC, &r->retry_at);
		r->retry_at.tv_sec += RETRY_S;
		dpud_log("error", "the kubelet did not register the device plugin",
			 "resource=%s code=%d error=\"%s\" retry_s=%d",
			 r->resource, code, msg, RETRY_S);
		return;
	}
	r->registered = true;
	P.registrations++;
	dpud_log("info", "device plugin registered with the kubelet",
		 "resource=%s endpoint=%s", r->resource, r->file);
}

static void do_register(struct dp_res *r)
{
	V1beta1__RegisterRequest rq = V1BETA1__REGISTER_REQUEST__INIT;
	V1beta1__DevicePluginOptions o = V1BETA1__DEVICE_PLUGIN_OPTIONS__INIT;
	uint8_t buf[512];
	char err[256];
	size_t n;

	o.get_preferred_allocation_available = true;
	rq.version = "v1beta1";
	rq.endpoint = (char *)r->file;
	rq.resource_name = (char *)r->resource;
	rq.options = &o;
	n = v1beta1__register_request__pack(&rq, buf);
	if (grpcd_call_unix(&D.ring, P.kubelet_sock, DP_REG, buf, n, 15000,
			    registered, r, err, sizeof(err))) {
		dpud_log("error", "cannot call the kubelet", "error=\"%s\"", err);
		clock_gettime(CLOCK_MONOTONIC, &r->retry_at);
		r->retry_at.tv_sec += RETRY_S;
		return;
	}
	r->registering = true;
}

static int listen_res(struct dp_res *r, char *err, size_t errlen)
{
	r->srv = grpcd_listen(&D.ring, r->path, blk_methods,
			      sizeof(blk_methods) / sizeof(blk_methods[0]), r,
			      err, errlen);
	return r->srv ? 0 : -EIO;
}

static void res_stop(struct dp_res *r)
{
	int i;

	/* the watch streams end with the server: watch_gone clears them */
	grpcd_server_close(r->srv);
	r->srv = NULL;
	for (i = 0; i < MAX_WATCH; i++)
		r->watch[i] = NULL;
	r->registered = false;
}

int dp_start(char *err, size_t errlen)
{
	char dir[PATH_MAX + 32];
	int t, ret;

	snprintf(dir, sizeof(dir), "%s/device-plugins", D.cfg.kubelet_dir);
	snprintf(P.kubelet_sock, sizeof(P.kubelet_sock), "%s/kubelet.sock", dir);
	for (t = 0; t < 2; t++) {
		struct dp_res *r = &RES[t];

		if (!D.cfg.k8s_slots[t])
			continue;
		snprintf(r->path, sizeof(r->path), "%s/%s", dir, r->file);
		ret = listen_res(r, err, errlen);
		if (ret)
			return ret;
	}
	P.on = true;
	dpud_log("info", "device plugin serving", "dir=%s blk=%s net=%s", dir,
		 RES[0].srv ? RES[0].file : "off", RES[1].srv ? RES[1].file : "off");
	dp_tick();
	return 0;
}

void dp_stop(void)
{
	int t;

	if (!P.on)
		return;
	for (t = 0; t < 2; t++) {
		res_stop(&RES[t]);
		free(RES[t].last);
		RES[t].last = NULL;
	}
	P.on = false;
}

void dp_tick(void)
{
	struct timespec now;
	struct stat st;
	bool kubelet_up;
	int t;

	if (!P.on)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	kubelet_up = !stat(P.kubelet_sock, &st) && S_ISSOCK(st.st_mode);
	for (t = 0; t < 2; t++) {
		struct dp_res *r = &RES[t];
		char err[256];

		if (!D.cfg.k8s_slots[t])
			continue;
		/* a new kubelet removed our socket, or made a new kubelet.sock */
		if (r->srv && (!grpcd_server_intact(r->srv) ||
			       (r->registered && kubelet_up &&
				st.st_ino != P.kubelet_ino))) {
			dpud_log("info", "the kubelet restarted: registering again",
				 "resource=%s", r->resource);
			res_stop(r);
		}
		if (!r->srv && listen_res(r, err, sizeof(err))) {
			dpud_log("error", "cannot listen for the kubelet",
				 "error=\"%s\"", err);
			continue;
		}
		if (r->registered || r->registering || !kubelet_up ||
		    now.tv_sec < r->retry_at.tv_sec)
			continue;
		P.kubelet_ino = st.st_ino;
		do_register(r);
	}
}
