// SPDX-License-Identifier: GPL-2.0
/* dpu-provider: cluster-autoscaler externalgrpc CloudProvider for dpupool.
 * gRPC C core, one thread driving the completion queue; each RPC is
 * answered from the SQLite inventory, state changes committed before the
 * reply.  Provisioning hooks run on the worker thread (provision.c). */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/slice.h>
#include <grpc/support/time.h>

#include "config.h"
#include "inventory.h"
#include "provision.h"
#include "template.h"
#include "externalgrpc.pb-c.h"
#include "agent_messages.pb-c.h"

#define SERVICE "/clusterautoscaler.cloudprovider.v1.externalgrpc.CloudProvider/"
#define AGENT_SERVICE "/dpupool.agent.v1.Agent/"
#define EG(x) Clusterautoscaler__Cloudprovider__V1__Externalgrpc__##x
#define eg(x) clusterautoscaler__cloudprovider__v1__externalgrpc__##x

struct srv {
	struct pcfg cfg;
	struct inv *inv;
	struct prov *prov;
	grpc_server *server;
	grpc_completion_queue *cq;
};

struct reply {
	grpc_status_code code;
	char msg[600];
	uint8_t *buf;		/* not NULL: a message to send */
	size_t len;
};

__attribute__((format(printf, 3, 4)))
static void fail(struct reply *r, grpc_status_code code, const char *fmt, ...)
{
	va_list ap;
	r->code = code;
	va_start(ap, fmt);
	vsnprintf(r->msg, sizeof(r->msg), fmt, ap);
	va_end(ap);
}

static void answer(struct reply *r, const ProtobufCMessage *m)
{
	r->len = protobuf_c_message_get_packed_size(m);
	r->buf = malloc(r->len ? r->len : 1);
	if (!r->buf) {
		fail(r, GRPC_STATUS_RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	protobuf_c_message_pack(m, r->buf);
	r->code = GRPC_STATUS_OK;
}

static void inv_fail(struct reply *r, const struct inv_status *st)
{
	static const grpc_status_code map[] = {
		[INV_OK] = GRPC_STATUS_OK,
		[INV_NOT_FOUND] = GRPC_STATUS_NOT_FOUND,
		[INV_INVALID] = GRPC_STATUS_INVALID_ARGUMENT,
		[INV_PRECONDITION] = GRPC_STATUS_FAILED_PRECONDITION,
		[INV_INTERNAL] = GRPC_STATUS_INTERNAL,
	};
	fail(r, map[st->code], "%s", st->msg);
}

/* ---- handlers ---- */

/* an empty message packs to zero bytes whatever its type */
static void h_empty(struct reply *r)
{
	r->buf = malloc(1);
	r->len = 0;
	r->code = r->buf ? GRPC_STATUS_OK : GRPC_STATUS_RESOURCE_EXHAUSTED;
}

/* Reports of hosts outside every group are forgotten after this many
 * report intervals without a report. */
#define REPORT_EXPIRY_INTERVALS 10
/* deleted instances are kept this long (for NodeGroupNodes' history), then purged */
#define DELETED_RETENTION_MS (3600 * 1000LL)

static void h_refresh(struct srv *s, const ProtobufCMessage *in, struct reply *r)
{
	(void)in;
	struct inv_status st;
	int n = 0;
	if (inv_expire_reports(s->inv, (int64_t)REPORT_EXPIRY_INTERVALS *
			       s->cfg.agent_report_interval_s * 1000, &n, &st))
		prov_log("Refresh: expiring reports: %s", st.msg);	/* not fatal */
	else if (n)
		prov_log("Refresh: forgot %d report(s) of hosts outside every group", n);
	if (inv_purge_deleted(s->inv, DELETED_RETENTION_MS, &n, &st))
		prov_log("Refresh: purging deleted instances: %s", st.msg);	/* not fatal */
	else if (n)
		prov_log("Refresh: purged %d instance(s) deleted over an hour ago", n);
	h_empty(r);
}

static void h_cleanup(struct srv *s, const ProtobufCMessage *in, struct reply *r)
{
	(void)s;
	(void)in;
	h_empty(r);
}

static void fill_group(struct srv *s, EG(NodeGroup) *ng, const struct inv_group *g,
		       char *debug, size_t dlen)
{
	const struct pcfg_group *cg = pcfg_group(&s->cfg, g->id);
	char cpu[32] = "?", mem[32] = "?";
	if (cg) {
		pcfg_fmt_cpu(cg->cpu_milli, cpu, sizeof(cpu));
		pcfg_fmt_bytes(cg->mem_bytes, mem, sizeof(mem));
	}
	snprintf(debug, dlen, "dpupool node group %s: min %d, max %d, target %d, cpu %s, memory %s",
		 g->id, g->min, g->max, g->target, cpu, mem);
	ng->id = (char *)g->id;
	ng->minsize = g->min;
	ng->maxsize = g->max;
	ng->debug = debug;
}

static void h_node_groups(struct srv *s, const ProtobufCMessage *in, struct reply *r)
{
	(void)in;
	struct inv_status st;
	struct inv_group *g;
	size_t n;
	if (inv_list_groups(s->inv, &g, &n, &st))
		return inv_fail(r, &st);
	EG(NodeGroup) *ng = calloc(n + 1, sizeof(*ng));
	EG(NodeGroup) **ngp = calloc(n + 1, sizeof(*ngp));
	char (*dbg)[256] = calloc(n + 1, sizeof(*dbg));
	if (ng && ngp && dbg) {
		for (size_t i = 0; i < n; i++) {
			eg(node_group__init)(&ng[i]);
			fill_group(s, &ng[i], &g[i], dbg[i], sizeof(dbg[i]));
			ngp[i] = &ng[i];
		}
		EG(NodeGroupsResponse) resp = CLUSTERAUTOSCALER__CLOUDPROVIDER__V1__EXTERNALGRPC__NODE_GROUPS_RESPONSE__INIT;
		resp.n_nodegroups = n;
		resp.nodegroups = ngp;
		answer(r, &resp.base);
	} else {
		fail(r, GRPC_STATUS_RESOURCE_EXHAUSTED, "out of memory");
	}
	free(ng);
	free(ngp);
	free(dbg);
	free(g);
}

static void h_group_for_node(struct srv *s, const ProtobufCMessage *in, struct reply *r)
{
	const EG(NodeGroupForNodeRequest) *req = (const void *)in;
	struct inv_status st;
	char gid[PCFG_NAME_MAX];
	if (!req->node)
		return fail(r, GRPC_STATUS_INVALID_ARGUMENT, "request has no node");
	if (inv_group_for_node(s->inv, req->node->providerid, gid, sizeof(gid), &st))
		return inv_fail(r, &st);
	EG(NodeGroup) ng = CLUSTERAUTOSCALER__CLOUDPROVIDER__V1__EXTERNALGRPC__NODE_GROUP__INIT;
	char dbg[256];
	struct inv_group g;
	if (gid[0]) {
		if (inv_get_group(s->inv, gid, &g, &st))
			return inv_fail(r, &st);
		fill_group(s, &ng, &g, dbg, sizeof(dbg));
	}
	EG(NodeGroupForNodeResponse) resp = CLUSTERAUTOSCALER__CLOUDPROVIDER__V1__EXTERNALGRPC__NODE_GROUP_FOR_NODE_RESPONSE__INIT;
	resp.nodegroup = &ng;
	answer(r, &resp.base);
}

static void h_target_size(struct srv *s, const ProtobufCMessage *in, struct reply *r)
{
	const EG(NodeGroupTargetSizeRequest) *req = (const void *)in;
	struct inv_status st;
	int t;
	if (inv_target_size(s->inv, req->id, &t, &st))
		return inv_fail(r, &st);
	EG(NodeGroupTargetSizeResponse) resp = CLUSTERAUTOSCALER__CLOUDPROVIDER__V1__EXTERNALGRPC__NODE_GROUP_TARGET_SIZE_RESPONSE__INIT;
	resp.targetsize = t;
	answer(r, &resp.base);
}

static void h_increase(struct srv *s, const ProtobufCMessage *in, struct reply *r)
{
	const EG(NodeGroupIncreaseSizeRequest) *req = (const void *)in;
	struct inv_status st;
	if (inv_increase(s->inv, req->id, req->delta, &st))
		return inv_fail(r, &st);
	prov_log("group %s: target increased by %d", req->id, req->delta);
	prov_kick(s->prov);
	h_empty(r);
}

static void h_decrease(struct srv *s, const ProtobufCMessage *in, struct reply *r)
{
	const EG(NodeGroupDecreaseTargetSizeRequest) *req = (const void *)in;
	struct inv_status st;
	if (inv_decrease_target(s->inv, req->id, req->delta, &st))
		return inv_fail(r, &st);
	prov_log("group %s: target decreased by %d", req->id, -req->delta);
	prov_kick(s->prov);
	h_empty(r);
}

static void h_delete(struct srv *s, const ProtobufCMessage *in, struct reply *r)
{
	const EG(NodeGroupDeleteNodesRequest) *req = (const void *)in;
	struct inv_status st;
	const char **pids = calloc(req->n_nodes + 1, sizeof(*pids));
	if (!pids)
		return fail(r, GRPC_STATUS_RESOURCE_EXHAUSTED, "out of memory");
	for (size_t i = 0; i < req->n_nodes; i++)
		pids[i] = req->nodes[i]->providerid ? req->nodes[i]->providerid : "";
	int rc = inv_delete_nodes(s->inv, req->id, pids, req->n_nodes, &st);
	free(pids);
	if (rc)
		return inv_fail(r, &st);
	prov_log("group %s: deleting %zu node(s)", req->id, req->n_nodes);
	prov_kick(s->prov);
	h_empty(r);
}

static void h_nodes(struct srv *s, const ProtobufCMessage *in, struct reply *r)
{
	const EG(NodeGroupNodesRequest) *req = (const void *)in;
	struct inv_status st;
	struct inv_instance *v;
	size_t n;
	if (inv_list_instances(s->inv, req->id, &v, &n, &st))
		return inv_fail(r, &st);
	EG(Instance) *ins = calloc(n + 1, sizeof(*ins));
	EG(Instance) **insp = calloc(n + 1, sizeof(*insp));
	EG(InstanceStatus) *sts = calloc(n + 1, sizeof(*sts));
	EG(InstanceErrorInfo) *ei = calloc(n + 1, sizeof(*ei));
	if (ins && insp && sts && ei) {
		for (size_t i = 0; i < n; i++) {
			eg(instance__init)(&ins[i]);
			eg(instance_status__init)(&sts[i]);
			ins[i].id = v[i].provider_id;
			ins[i].status = &sts[i];
			switch (v[i].state) {
			case INV_RUNNING:
				sts[i].instancestate = CLUSTERAUTOSCALER__CLOUDPROVIDER__V1__EXTERNALGRPC__INSTANCE_STATUS__INSTANCE_STATE__instanceRunning;
				break;
			case INV_CREATING:
				sts[i].instancestate = CLUSTERAUTOSCALER__CLOUDPROVIDER__V1__EXTERNALGRPC__INSTANCE_STATUS__INSTANCE_STATE__instanceCreating;
				break;
			default:
				sts[i].instancestate = CLUSTERAUTOSCALER__CLOUDPROVIDER__V1__EXTERNALGRPC__INSTANCE_STATUS__INSTANCE_STATE__instanceDeleting;
				break;
			}
			if (v[i].error_class) {
				eg(instance_error_info__init)(&ei[i]);
				ei[i].errorcode = v[i].error_code;
				ei[i].errormessage = v[i].error_msg;
				ei[i].instanceerrorclass = v[i].error_class;
				sts[i].errorinfo = &ei[i];
			}
			insp[i] = &ins[i];
		}
		EG(NodeGroupNodesResponse) resp = CLUSTERAUTOSCALER__CLOUDPROVIDER__V1__EXTERNALGRPC__NODE_GROUP_NODES_RESPONSE__INIT;
		resp.n_instances = n;
		resp.instances = insp;
		answer(r, &resp.base);
	} else {
		fail(r, GRPC_STATUS_RESOURCE_EXHAUSTED, "out of memory");
	}
	free(ins);
	free(insp);
	free(sts);
	free(ei);
	free(v);
}

static void h_template(struct srv *s, const ProtobufCMessage *in, struct reply *r)
{
	const EG(NodeGroupTemplateNodeInfoRequest) *req = (const void *)in;
	struct inv_status st;
	struct inv_group g;
	if (inv_get_group(s->inv, req->id, &g, &st))
		return inv_fail(r, &st);
	const struct pcfg_group *cg = pcfg_group(&s->cfg, req->id);
	if (!cg)
		return fail(r, GRPC_STATUS_NOT_FOUND, "node group \"%s\" not found", req->id);
	/* the shape, DPU function slots and headroom the group's hosts report */
	struct inv_reported rep;
	if (inv_group_reported(s->inv, req->id, &rep, &st))
		return inv_fail(r, &st);
	uint8_t *buf;
	size_t len;
	int trc = tmpl_node(cg, &rep, &buf, &len);
	if (trc)
		return fail(r, GRPC_STATUS_RESOURCE_EXHAUSTED, "out of memory");
	/* old releases read field 1 (embedded Node), new ones field 2 (bytes) */
	K8s__Io__Api__Core__V1__Node *node = k8s__io__api__core__v1__node__unpack(NULL, len, buf);
	if (!node) {
		free(buf);
		return fail(r, GRPC_STATUS_INTERNAL, "cannot encode template node");
	}
	EG(NodeGroupTemplateNodeInfoResponse) resp = CLUSTERAUTOSCALER__CLOUDPROVIDER__V1__EXTERNALGRPC__NODE_GROUP_TEMPLATE_NODE_INFO_RESPONSE__INIT;
	resp.nodeinfo = node;
	resp.nodebytes.data = buf;
	resp.nodebytes.len = len;
	answer(r, &resp.base);
	k8s__io__api__core__v1__node__free_unpacked(node, NULL);
	free(buf);
}

static void h_gpu_label(struct srv *s, const ProtobufCMessage *in, struct reply *r)
{
	(void)in;
	EG(GPULabelResponse) resp = CLUSTERAUTOSCALER__CLOUDPROVIDER__V1__EXTERNALGRPC__GPULABEL_RESPONSE__INIT;
	resp.label = s->cfg.gpu_label;
	answer(r, &resp.base);
}

static void h_gpu_types(struct srv *s, const ProtobufCMessage *in, struct reply *r)
{
	(void)in;
	size_t n = s->cfg.ngpu_types;
	EG(GetAvailableGPUTypesResponse__GpuTypesEntry) e[PCFG_KV_MAX], *ep[PCFG_KV_MAX];
	Google__Protobuf__Any any[PCFG_KV_MAX];
	for (size_t i = 0; i < n; i++) {
		eg(get_available_gputypes_response__gpu_types_entry__init)(&e[i]);
		google__protobuf__any__init(&any[i]);
		e[i].key = s->cfg.gpu_types[i];
		e[i].value = &any[i];
		ep[i] = &e[i];
	}
	EG(GetAvailableGPUTypesResponse) resp = CLUSTERAUTOSCALER__CLOUDPROVIDER__V1__EXTERNALGRPC__GET_AVAILABLE_GPUTYPES_RESPONSE__INIT;
	resp.n_gputypes = n;
	resp.gputypes = ep;
	answer(r, &resp.base);
}

static void h_node_price(struct srv *s, const ProtobufCMessage *in, struct reply *r)
{
	const EG(PricingNodePriceRequest) *req = (const void *)in;
	struct inv_status st;
	char gid[PCFG_NAME_MAX];
	int any = 0;
	for (size_t i = 0; i < s->cfg.ngroups; i++)
		any |= s->cfg.groups[i].has_price;
	if (!any)
		return fail(r, GRPC_STATUS_UNIMPLEMENTED, "pricing is not configured");
	if (!req->node)
		return fail(r, GRPC_STATUS_INVALID_ARGUMENT, "request has no node");
	if (inv_group_for_node(s->inv, req->node->providerid, gid, sizeof(gid), &st))
		return inv_fail(r, &st);
	if (!gid[0])
		return fail(r, GRPC_STATUS_NOT_FOUND, "node \"%s\" is not in the pool",
			    req->node->providerid);
	const struct pcfg_group *g = pcfg_group(&s->cfg, gid);
	if (!g || !g->has_price)
		return fail(r, GRPC_STATUS_UNIMPLEMENTED, "no price configured for node group \"%s\"", gid);
	/* startTimestamp/endTimestamp, or older autoscalers' startTime/endTime */
	int64_t s0, s1;
	int32_t n0, n1;
	if (req->starttimestamp && req->endtimestamp) {
		s0 = req->starttimestamp->seconds, n0 = req->starttimestamp->nanos;
		s1 = req->endtimestamp->seconds, n1 = req->endtimestamp->nanos;
	} else if (req->starttime && req->endtime) {
		s0 = req->starttime->seconds, n0 = req->starttime->nanos;
		s1 = req->endtime->seconds, n1 = req->endtime->nanos;
	} else {
		return fail(r, GRPC_STATUS_INVALID_ARGUMENT,
			    "start and end times are required (fields 4 and 5, or 2 and 3)");
	}
	double secs = (double)(s1 - s0) + (n1 - n0) / 1e9;
	if (secs < 0)
		return fail(r, GRPC_STATUS_INVALID_ARGUMENT, "end timestamp before start timestamp");
	EG(PricingNodePriceResponse) resp = CLUSTERAUTOSCALER__CLOUDPROVIDER__V1__EXTERNALGRPC__PRICING_NODE_PRICE_RESPONSE__INIT;
	resp.price = g->price_per_hour * secs / 3600.0;
	answer(r, &resp.base);
}

static void h_pod_price(struct srv *s, const ProtobufCMessage *in, struct reply *r)
{
	(void)s;
	(void)in;
	fail(r, GRPC_STATUS_UNIMPLEMENTED, "pod pricing is not supported");
}

static void set_dur(K8s__Io__Apimachinery__Pkg__Apis__Meta__V1__Duration **oldf,
		    K8s__Io__Apimachinery__Pkg__Apis__Meta__V1__Duration *oldv,
		    Google__Protobuf__Duration **newf, Google__Protobuf__Duration *newv,
		    int64_t secs)
{
	if (secs < 0)
		return;
	k8s__io__apimachinery__pkg__apis__meta__v1__duration__init(oldv);
	oldv->has_duration = 1;
	oldv->duration = secs * 1000000000LL;
	*oldf = oldv;
	google__protobuf__duration__init(newv);
	newv->seconds = secs;
	*newf = newv;
}

static void h_options(struct srv *s, const ProtobufCMessage *in, struct reply *r)
{
	const EG(NodeGroupAutoscalingOptionsRequest) *req = (const void *)in;
	struct inv_status st;
	struct inv_group ig;
	if (inv_get_group(s->inv, req->id, &ig, &st))
		return inv_fail(r, &st);
	const struct pcfg_group *g = pcfg_group(&s->cfg, req->id);
	if (!g || !g->has_options)
		return fail(r, GRPC_STATUS_UNIMPLEMENTED,
			    "no autoscaling options configured for node group \"%s\"", req->id);
	EG(NodeGroupAutoscalingOptions) o = CLUSTERAUTOSCALER__CLOUDPROVIDER__V1__EXTERNALGRPC__NODE_GROUP_AUTOSCALING_OPTIONS__INIT;
	if (req->defaults) {
		/* start from the autoscaler's defaults (shallow copy) */
		o = *req->defaults;
	}
	K8s__Io__Apimachinery__Pkg__Apis__Meta__V1__Duration od[3];
	Google__Protobuf__Duration nd[3];
	if (g->opt_util >= 0)
		o.scaledownutilizationthreshold = g->opt_util;
	if (g->opt_gpu_util >= 0)
		o.scaledowngpuutilizationthreshold = g->opt_gpu_util;
	if (g->opt_zero_or_max >= 0)
		o.zeroormaxnodescaling = g->opt_zero_or_max;
	if (g->opt_ignore_ds >= 0)
		o.ignoredaemonsetsutilization = g->opt_ignore_ds;
	set_dur(&o.scaledownunneededtime, &od[0], &o.scaledownunneededduration, &nd[0],
		g->opt_unneeded_s);
	set_dur(&o.scaledownunreadytime, &od[1], &o.scaledownunreadyduration, &nd[1],
		g->opt_unready_s);
	set_dur(&o.maxnodeprovisiontime, &od[2], &o.maxnodeprovisionduration, &nd[2],
		g->opt_provision_s);
	EG(NodeGroupAutoscalingOptionsResponse) resp = CLUSTERAUTOSCALER__CLOUDPROVIDER__V1__EXTERNALGRPC__NODE_GROUP_AUTOSCALING_OPTIONS_RESPONSE__INIT;
	resp.nodegroupautoscalingoptions = &o;
	answer(r, &resp.base);
}

/* ---- dpupool.agent.v1.Agent ---- */

#define AG(x) Dpupool__Agent__V1__##x

/* "k=v,k=v" from a list; entries that do not fit are dropped */
static void join_pairs(char *buf, size_t len, size_t n, const char *const *k,
		       const char *const *v)
{
	size_t off = 0;
	buf[0] = 0;
	for (size_t i = 0; i < n; i++) {
		char one[PCFG_STR_MAX * 2 + 2];
		int w = snprintf(one, sizeof(one), "%s=%s", k[i], v[i]);
		if (w < 0 || (size_t)w >= sizeof(one) || off + (size_t)w + 2 > len)
			continue;
		off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? "," : "", one);
	}
}

/*
 * Who called: under mTLS the names of the client's verified certificate
 * (its CN and SANs); plaintext has none.
 */
#define PEER_NAMES 8
struct peer {
	int tls;
	size_t n;
	char names[PEER_NAMES][256];
};

static void peer_of(grpc_call *call, struct peer *p)
{
	grpc_auth_context *ctx = grpc_call_auth_context(call);
	const grpc_auth_property *prop;
	grpc_auth_property_iterator it;

	memset(p, 0, sizeof(*p));
	if (!ctx)
		return;
	p->tls = grpc_auth_context_peer_is_authenticated(ctx);
	it = grpc_auth_context_property_iterator(ctx);
	while ((prop = grpc_auth_property_iterator_next(&it)) && p->n < PEER_NAMES) {
		if (strcmp(prop->name, GRPC_X509_CN_PROPERTY_NAME) &&
		    strcmp(prop->name, GRPC_X509_SAN_PROPERTY_NAME))
			continue;
		snprintf(p->names[p->n++], sizeof(p->names[0]), "%.*s",
			 (int)prop->value_length, prop->value);
	}
	grpc_auth_context_release(ctx);
}

static int peer_is(const struct peer *p, const char *name)
{
	for (size_t i = 0; i < p->n; i++)
		if (!strcmp(p->names[i], name))
			return 1;
	return 0;
}

static int peer_is_autoscaler(const struct srv *s, const struct peer *p)
{
	for (size_t i = 0; i < s->cfg.nautoscaler_names; i++)
		if (peer_is(p, s->cfg.autoscaler_names[i]))
			return 1;
	return 0;
}

/*
 * The autoscaler's methods under mTLS: only for the autoscaler's
 * certificate, never an agent's. Plaintext (loopback, a sidecar) is
 * trusted as the operator chose it.
 */
static int allow_autoscaler(struct srv *s, const struct peer *p, struct reply *r)
{
	if (!p->tls || peer_is_autoscaler(s, p))
		return 1;
	fail(r, GRPC_STATUS_PERMISSION_DENIED,
	     "this method is the cluster autoscaler's: the certificate names %s, not %s",
	     p->n ? p->names[0] : "nothing", s->cfg.autoscaler_names[0]);
	return 0;
}

/* An agent speaks only for the host its certificate names. */
static int allow_agent(struct srv *s, const struct peer *p, const char *serial,
		       struct reply *r)
{
	if (!p->tls) {
		if (s->cfg.insecure_agents)
			return 1;
		fail(r, GRPC_STATUS_PERMISSION_DENIED,
		     "agents must present a certificate naming their serial (mTLS);"
		     " insecure_agents = yes accepts them without (testing only)");
		return 0;
	}
	if (peer_is_autoscaler(s, p)) {
		fail(r, GRPC_STATUS_PERMISSION_DENIED,
		     "the autoscaler's certificate cannot report as a host");
		return 0;
	}
	if (serial && peer_is(p, serial))
		return 1;
	fail(r, GRPC_STATUS_PERMISSION_DENIED,
	     "a host reports only as itself: the certificate names %s, the report claims %s",
	     p->n ? p->names[0] : "nothing", serial ? serial : "no serial");
	return 0;
}

static void agent_call(struct srv *s, const AG(HostReport) *h, int is_register,
		       const struct peer *peer, struct reply *r)
{
	const char *what = is_register ? "Register" : "Report";
	if (!h)
		return fail(r, GRPC_STATUS_INVALID_ARGUMENT, "%s request has no host", what);
	if (!allow_agent(s, peer, h->serial, r))
		return;
	size_t nl = h->n_labels < PCFG_KV_MAX ? h->n_labels : PCFG_KV_MAX;
	const char *lk[PCFG_KV_MAX], *lv[PCFG_KV_MAX];
	for (size_t i = 0; i < nl; i++) {
		lk[i] = h->labels[i]->key;
		lv[i] = h->labels[i]->value;
		/* stored as "k=v,k=v" and put on the template Node */
		if (!lk[i] || !pcfg_label_key_valid(lk[i]) ||
		    !lv[i] || !pcfg_label_value_valid(lv[i]))
			return fail(r, GRPC_STATUS_INVALID_ARGUMENT,
				    "host \"%s\": label %zu is not a Kubernetes label (key [prefix/]name, value [A-Za-z0-9._-], 63 at most)",
				    inv_serial_valid(h->serial) ? h->serial : "?", i + 1);
	}
	/* more than INV_SLOT_TYPES_MAX is refused by inv_agent_report */
	struct inv_slot sl[INV_SLOT_TYPES_MAX];
	size_t ns = h->n_free_slots;
	for (size_t i = 0; i < ns && i < INV_SLOT_TYPES_MAX; i++) {
		sl[i].type = h->free_slots[i]->type;
		sl[i].free = h->free_slots[i]->free;
		sl[i].total = h->free_slots[i]->total;
	}
	/* likewise more than INV_FUNCTIONS_MAX: only those are copied */
	size_t nf = h->n_functions, nfc = nf < INV_FUNCTIONS_MAX ? nf : INV_FUNCTIONS_MAX;
	struct inv_function *fn = calloc(nfc ? nfc : 1, sizeof(*fn));
	if (!fn)
		return fail(r, GRPC_STATUS_RESOURCE_EXHAUSTED, "out of memory");
	for (size_t i = 0; i < nfc; i++) {
		const AG(Function) *f = h->functions[i];
		fn[i] = (struct inv_function){ .index = f->index, .type = f->type,
			.state = f->state, .tenant = f->tenant, .size_bytes = f->size_bytes,
			.mac = f->mac };
	}
	char labels[4096];
	join_pairs(labels, sizeof(labels), nl, lk, lv);
	struct inv_report rep = {
		.serial = h->serial,
		.group = h->group,
		.labels = labels,
		.slots = sl,
		.nslots = ns,
		.functions = fn,
		.nfunctions = nf,
	};
	if (h->capacity) {
		rep.cpu_milli = h->capacity->cpu_milli;
		rep.mem_bytes = h->capacity->memory_bytes;
		rep.pods = h->capacity->pods;
	}
	if (h->headroom) {
		rep.hr_cpu_milli = h->headroom->cpu_milli;
		rep.hr_mem_bytes = h->headroom->memory_bytes;
		rep.hr_pods = h->headroom->pods;
	}
	if (rep.cpu_milli < 0 || rep.mem_bytes < 0 || rep.pods < 0 ||
	    rep.hr_cpu_milli < 0 || rep.hr_mem_bytes < 0 || rep.hr_pods < 0) {
		free(fn);
		return fail(r, GRPC_STATUS_INVALID_ARGUMENT, "negative quantity in %s of \"%s\"",
			    what, h->serial);
	}
	struct inv_directive d;
	struct inv_status st;
	int rc = inv_agent_report(s->inv, &rep, is_register, &d, &st);
	free(fn);
	if (rc)
		return inv_fail(r, &st);
	AG(Directive) resp = DPUPOOL__AGENT__V1__DIRECTIVE__INIT;
	char msg[300];
	switch (d.disposition) {
	case INV_JOIN:
		resp.disposition = DPUPOOL__AGENT__V1__DISPOSITION__JOIN;
		snprintf(msg, sizeof(msg), "join the cluster as %s of node group %s",
			 d.provider_id, d.group);
		break;
	case INV_LEAVE:
		resp.disposition = DPUPOOL__AGENT__V1__DISPOSITION__LEAVE;
		snprintf(msg, sizeof(msg), "%s is being deleted from node group %s: leave",
			 d.provider_id, d.group);
		break;
	default:
		resp.disposition = DPUPOOL__AGENT__V1__DISPOSITION__STAY_FREE;
		snprintf(msg, sizeof(msg), "host %s is in no node group: stay free", h->serial);
		break;
	}
	resp.group = d.group;
	resp.provider_id = d.provider_id;
	resp.report_interval_seconds = s->cfg.agent_report_interval_s;
	resp.message = msg;
	if (d.became_running)
		prov_log("agent of %s registered: running", h->serial);
	else if (is_register)
		prov_log("agent of %s registered: %s", h->serial, msg);
	answer(r, &resp.base);
}

static void h_agent_register(struct srv *s, const ProtobufCMessage *in,
			     const struct peer *p, struct reply *r)
{
	agent_call(s, ((const AG(RegisterRequest) *)in)->host, 1, p, r);
}

static void h_agent_report(struct srv *s, const ProtobufCMessage *in,
			   const struct peer *p, struct reply *r)
{
	agent_call(s, ((const AG(ReportRequest) *)in)->host, 0, p, r);
}

typedef void (*handler)(struct srv *, const ProtobufCMessage *, struct reply *);
typedef void (*agent_handler)(struct srv *, const ProtobufCMessage *,
			      const struct peer *, struct reply *);

static const struct method {
	const char *svc;
	const char *name;
	const ProtobufCMessageDescriptor *req;
	handler fn;
	agent_handler afn;
} methods[] = {
	{ SERVICE, "NodeGroups", &eg(node_groups_request__descriptor), h_node_groups, NULL },
	{ SERVICE, "NodeGroupForNode", &eg(node_group_for_node_request__descriptor), h_group_for_node, NULL },
	{ SERVICE, "PricingNodePrice", &eg(pricing_node_price_request__descriptor), h_node_price, NULL },
	{ SERVICE, "PricingPodPrice", &eg(pricing_pod_price_request__descriptor), h_pod_price, NULL },
	{ SERVICE, "GPULabel", &eg(gpulabel_request__descriptor), h_gpu_label, NULL },
	{ SERVICE, "GetAvailableGPUTypes", &eg(get_available_gputypes_request__descriptor), h_gpu_types, NULL },
	{ SERVICE, "Cleanup", &eg(cleanup_request__descriptor), h_cleanup, NULL },
	{ SERVICE, "Refresh", &eg(refresh_request__descriptor), h_refresh, NULL },
	{ SERVICE, "NodeGroupTargetSize", &eg(node_group_target_size_request__descriptor), h_target_size, NULL },
	{ SERVICE, "NodeGroupIncreaseSize", &eg(node_group_increase_size_request__descriptor), h_increase, NULL },
	{ SERVICE, "NodeGroupDeleteNodes", &eg(node_group_delete_nodes_request__descriptor), h_delete, NULL },
	{ SERVICE, "NodeGroupDecreaseTargetSize", &eg(node_group_decrease_target_size_request__descriptor), h_decrease, NULL },
	{ SERVICE, "NodeGroupNodes", &eg(node_group_nodes_request__descriptor), h_nodes, NULL },
	{ SERVICE, "NodeGroupTemplateNodeInfo", &eg(node_group_template_node_info_request__descriptor), h_template, NULL },
	{ SERVICE, "NodeGroupGetOptions", &eg(node_group_autoscaling_options_request__descriptor), h_options, NULL },
	{ AGENT_SERVICE, "Register", &dpupool__agent__v1__register_request__descriptor, NULL, h_agent_register },
	{ AGENT_SERVICE, "Report", &dpupool__agent__v1__report_request__descriptor, NULL, h_agent_report },
};

static void dispatch(struct srv *s, const char *path, size_t plen,
		     grpc_byte_buffer *payload, const struct peer *peer, struct reply *r)
{
	const struct method *m = NULL;
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]) && !m; i++) {
		size_t pre = strlen(methods[i].svc);
		if (plen > pre && !memcmp(path, methods[i].svc, pre) &&
		    strlen(methods[i].name) == plen - pre &&
		    !memcmp(path + pre, methods[i].name, plen - pre))
			m = &methods[i];
	}
	if (!m)
		return fail(r, GRPC_STATUS_UNIMPLEMENTED, "unknown method %.*s", (int)plen, path);
	if (m->fn && !allow_autoscaler(s, peer, r)) {
		prov_log("%s: %s", m->name, r->msg);
		return;
	}
	grpc_slice sl = grpc_empty_slice();
	if (payload) {
		grpc_byte_buffer_reader rd;
		if (!grpc_byte_buffer_reader_init(&rd, payload))
			return fail(r, GRPC_STATUS_INTERNAL, "cannot read request");
		sl = grpc_byte_buffer_reader_readall(&rd);
		grpc_byte_buffer_reader_destroy(&rd);
	}
	ProtobufCMessage *req = protobuf_c_message_unpack(m->req, NULL, GRPC_SLICE_LENGTH(sl),
							   GRPC_SLICE_START_PTR(sl));
	grpc_slice_unref(sl);
	if (!req)
		return fail(r, GRPC_STATUS_INVALID_ARGUMENT, "cannot decode %s request", m->name);
	if (m->fn)
		m->fn(s, req, r);
	else
		m->afn(s, req, peer, r);
	protobuf_c_message_free_unpacked(req, NULL);
	if (r->code != GRPC_STATUS_OK)
		prov_log("%s: %s", m->name, r->msg);
}

/* ---- completion-queue plumbing ---- */

enum stage { ST_NEW, ST_RECV, ST_SENT };

struct call {
	enum stage stage;
	grpc_call *call;
	grpc_call_details details;
	grpc_metadata_array md;
	grpc_byte_buffer *req, *resp;
	grpc_slice status_details;
	int has_status;
	int cancelled;
};

static int shutdown_tag;

static struct call *request_call(struct srv *s)
{
	struct call *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	grpc_call_details_init(&c->details);
	grpc_metadata_array_init(&c->md);
	if (grpc_server_request_call(s->server, &c->call, &c->details, &c->md,
				     s->cq, s->cq, c) != GRPC_CALL_OK) {
		grpc_call_details_destroy(&c->details);
		grpc_metadata_array_destroy(&c->md);
		free(c);
		return NULL;
	}
	return c;
}

static void call_free(struct call *c)
{
	if (c->req)
		grpc_byte_buffer_destroy(c->req);
	if (c->resp)
		grpc_byte_buffer_destroy(c->resp);
	if (c->has_status)
		grpc_slice_unref(c->status_details);
	grpc_call_details_destroy(&c->details);
	grpc_metadata_array_destroy(&c->md);
	if (c->call)
		grpc_call_unref(c->call);
	free(c);
}

static void on_event(struct srv *s, struct call *c, int success, int shutting_down)
{
	grpc_op ops[3];
	memset(ops, 0, sizeof(ops));
	switch (c->stage) {
	case ST_NEW:
		/* a failed request_call only happens at shutdown: don't re-arm */
		if (!success) {
			call_free(c);
			return;
		}
		if (!shutting_down)
			request_call(s);
		ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
		ops[1].op = GRPC_OP_RECV_MESSAGE;
		ops[1].data.recv_message.recv_message = &c->req;
		c->stage = ST_RECV;
		if (grpc_call_start_batch(c->call, ops, 2, c, NULL) != GRPC_CALL_OK)
			call_free(c);
		return;
	case ST_RECV: {
		if (!success) {
			call_free(c);
			return;
		}
		struct reply r = { .code = GRPC_STATUS_OK };
		struct peer peer;
		peer_of(c->call, &peer);
		dispatch(s, (const char *)GRPC_SLICE_START_PTR(c->details.method),
			 GRPC_SLICE_LENGTH(c->details.method), c->req, &peer, &r);
		size_t n = 0;
		if (r.code == GRPC_STATUS_OK && r.buf) {
			grpc_slice sl = grpc_slice_from_copied_buffer((const char *)r.buf, r.len);
			c->resp = grpc_raw_byte_buffer_create(&sl, 1);
			grpc_slice_unref(sl);
			ops[n].op = GRPC_OP_SEND_MESSAGE;
			ops[n++].data.send_message.send_message = c->resp;
		}
		free(r.buf);
		c->status_details = grpc_slice_from_copied_string(r.msg);
		c->has_status = 1;
		ops[n].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
		ops[n].data.send_status_from_server.status = r.code;
		ops[n++].data.send_status_from_server.status_details =
			r.code == GRPC_STATUS_OK ? NULL : &c->status_details;
		ops[n].op = GRPC_OP_RECV_CLOSE_ON_SERVER;
		ops[n++].data.recv_close_on_server.cancelled = &c->cancelled;
		c->stage = ST_SENT;
		if (grpc_call_start_batch(c->call, ops, n, c, NULL) != GRPC_CALL_OK)
			call_free(c);
		return;
	}
	case ST_SENT:
		call_free(c);
		return;
	}
}

static void *signal_thread(void *arg)
{
	struct srv *s = arg;
	sigset_t set;
	int sig;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigwait(&set, &sig);
	prov_log("signal %d, shutting down", sig);
	grpc_server_shutdown_and_notify(s->server, s->cq, &shutdown_tag);
	grpc_server_cancel_all_calls(s->server);
	return NULL;
}

/* Whole file as a NUL-terminated string (PEM), NULL on error. */
static char *read_file(const char *path)
{
	char err[PATH_MAX + 128];
	size_t len;
	char *buf = pcfg_slurp(path, &len, err, sizeof(err));
	if (!buf) {
		fprintf(stderr, "dpu-provider: %s\n", err);
		return NULL;
	}
	if (len == 0) {
		fprintf(stderr, "dpu-provider: %s: empty file\n", path);
		free(buf);
		return NULL;
	}
	return buf;
}

/* Server credentials: plaintext, or mTLS when cert, key and CA are all
 * given (client certificates required and verified against the CA).
 * NULL on error (message printed). */
static grpc_server_credentials *server_creds(const struct pcfg *cfg)
{
	if (!cfg->tls_cert[0])
		return grpc_insecure_server_credentials_create();
	char *cert = read_file(cfg->tls_cert);
	char *key = cert ? read_file(cfg->tls_key) : NULL;
	char *ca = key ? read_file(cfg->tls_ca) : NULL;
	grpc_server_credentials *c = NULL;
	if (ca) {
		grpc_ssl_pem_key_cert_pair pair = { .private_key = key, .cert_chain = cert };
		c = grpc_ssl_server_credentials_create_ex(
			ca, &pair, 1, GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY, NULL);
		if (!c)
			fprintf(stderr, "dpu-provider: cannot create TLS credentials\n");
	}
	if (key)
		memset(key, 0, strlen(key));
	free(cert);
	free(key);
	free(ca);
	return c;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: dpu-provider --config FILE [options]\n"
		"\n"
		"cluster-autoscaler externalgrpc cloud provider for dpupool node groups.\n"
		"\n"
		"  --config FILE            node groups and settings (required)\n"
		"  --db PATH                SQLite inventory (overrides 'db')\n"
		"  --listen ADDR:PORT       gRPC listen address (overrides 'listen';\n"
		"                           port 0 picks a free port, printed on stderr)\n"
		"  --provision-hook PATH    executable run for every new instance\n"
		"  --deprovision-hook PATH  executable run for every deleted instance\n"
		"  --tls-cert FILE          server certificate chain (PEM); with --tls-key\n"
		"  --tls-key FILE           and --tls-ca the server speaks mTLS only:\n"
		"  --tls-ca FILE            client certificates signed by this CA required\n"
		"  --help                   this text\n"
		"\n"
		"Hooks are run as HOOK provision|deprovision SERIAL PROVIDER_ID GROUP with\n"
		"DPUPOOL_* variables; exit 0 = done, 3 = out of resources, other = error.\n"
		"Exit status: 0 clean shutdown, 1 runtime error, 2 usage or config error.\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "db", required_argument, NULL, 'd' },
		{ "listen", required_argument, NULL, 'l' },
		{ "provision-hook", required_argument, NULL, 'p' },
		{ "deprovision-hook", required_argument, NULL, 'P' },
		{ "tls-cert", required_argument, NULL, 'C' },
		{ "tls-key", required_argument, NULL, 'K' },
		{ "tls-ca", required_argument, NULL, 'A' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *config = NULL, *db = NULL, *listen = NULL, *hook = NULL, *dhook = NULL;
	const char *tcert = NULL, *tkey = NULL, *tca = NULL;
	int o;
	while ((o = getopt_long(argc, argv, "c:d:l:p:P:h", opts, NULL)) != -1) {
		switch (o) {
		case 'c': config = optarg; break;
		case 'd': db = optarg; break;
		case 'l': listen = optarg; break;
		case 'p': hook = optarg; break;
		case 'P': dhook = optarg; break;
		case 'C': tcert = optarg; break;
		case 'K': tkey = optarg; break;
		case 'A': tca = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "dpu-provider: unexpected argument \"%s\"\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (!config) {
		fprintf(stderr, "dpu-provider: --config is required\n");
		usage(stderr);
		return 2;
	}

	static struct srv s;
	char err[1024];
	pcfg_defaults(&s.cfg);
	if (pcfg_parse_file(&s.cfg, config, err, sizeof(err))) {
		fprintf(stderr, "dpu-provider: %s\n", err);
		return 2;
	}
	if (db)
		snprintf(s.cfg.db, sizeof(s.cfg.db), "%s", db);
	if (listen)
		snprintf(s.cfg.listen, sizeof(s.cfg.listen), "%s", listen);
	if (hook)
		snprintf(s.cfg.provision_hook, sizeof(s.cfg.provision_hook), "%s", hook);
	if (dhook)
		snprintf(s.cfg.deprovision_hook, sizeof(s.cfg.deprovision_hook), "%s", dhook);
	if (tcert)
		snprintf(s.cfg.tls_cert, sizeof(s.cfg.tls_cert), "%s", tcert);
	if (tkey)
		snprintf(s.cfg.tls_key, sizeof(s.cfg.tls_key), "%s", tkey);
	if (tca)
		snprintf(s.cfg.tls_ca, sizeof(s.cfg.tls_ca), "%s", tca);
	int ntls = !!s.cfg.tls_cert[0] + !!s.cfg.tls_key[0] + !!s.cfg.tls_ca[0];
	if (ntls != 0 && ntls != 3) {
		fprintf(stderr, "dpu-provider: mTLS needs all of --tls-cert, --tls-key and --tls-ca\n");
		return 2;
	}
	if (s.cfg.ngroups == 0)
		prov_log("warning: %s defines no node group", config);

	struct inv_status st;
	int failed = 0;
	if (inv_open(&s.inv, s.cfg.db, &st) || inv_sync_groups(s.inv, &s.cfg, &st) ||
	    inv_recover(s.inv, s.cfg.max_attempts, &failed, &st)) {
		fprintf(stderr, "dpu-provider: %s\n", st.msg);
		return 1;
	}
	if (failed)
		prov_log("%d interrupted provision(s) exceeded %d attempts, marked failed",
		         failed, s.cfg.max_attempts);

	/* signals are taken by a dedicated thread; every other thread
	 * (gRPC's, the hook worker) inherits the blocked mask */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	grpc_init();
	s.server = grpc_server_create(NULL, NULL);
	s.cq = grpc_completion_queue_create_for_next(NULL);
	grpc_server_register_completion_queue(s.server, s.cq, NULL);
	grpc_server_credentials *creds = server_creds(&s.cfg);
	int port = 0;
	if (creds) {
		port = grpc_server_add_http2_port(s.server, s.cfg.listen, creds);
		grpc_server_credentials_release(creds);
		if (!port)
			fprintf(stderr, "dpu-provider: cannot listen on %s\n", s.cfg.listen);
	}
	/* hooks count an attempt each: start them only once listening works */
	if (port && prov_start(&s.prov, &s.cfg, s.cfg.db)) {
		fprintf(stderr, "dpu-provider: cannot start the provisioning worker\n");
		port = 0;
	}
	if (!port) {
		grpc_server_destroy(s.server);
		grpc_completion_queue_shutdown(s.cq);
		while (grpc_completion_queue_next(s.cq, gpr_inf_future(GPR_CLOCK_REALTIME),
						  NULL).type != GRPC_QUEUE_SHUTDOWN)
			;
		grpc_completion_queue_destroy(s.cq);
		grpc_shutdown();
		prov_stop(s.prov);
		inv_close(s.inv);
		pcfg_free(&s.cfg);
		return 1;
	}
	grpc_server_start(s.server);
	{
		char host[PCFG_STR_MAX];
		snprintf(host, sizeof(host), "%s", s.cfg.listen);
		char *colon = strrchr(host, ':');
		if (colon)
			*colon = 0;
		prov_log("listening on %s:%d (%s, %zu node group(s), db %s)", host, port,
		         s.cfg.tls_cert[0] ? "mTLS" : "plaintext", s.cfg.ngroups, s.cfg.db);
	}

	pthread_t sigth;
	pthread_create(&sigth, NULL, signal_thread, &s);
	pthread_detach(sigth);

	for (int i = 0; i < 8; i++)
		request_call(&s);
	int shutting_down = 0;
	for (;;) {
		grpc_event ev = grpc_completion_queue_next(s.cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
		if (ev.type == GRPC_QUEUE_SHUTDOWN)
			break;
		if (ev.type != GRPC_OP_COMPLETE)
			continue;
		if (ev.tag == &shutdown_tag) {
			shutting_down = 1;
			grpc_server_cancel_all_calls(s.server);
			grpc_completion_queue_shutdown(s.cq);
			continue;
		}
		on_event(&s, ev.tag, ev.success, shutting_down);
	}
	grpc_server_destroy(s.server);
	grpc_completion_queue_destroy(s.cq);
	grpc_shutdown();
	prov_stop(s.prov);
	inv_close(s.inv);
	pcfg_free(&s.cfg);
	prov_log("stopped");
	return 0;
}
