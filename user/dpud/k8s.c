// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dpud's Kubernetes side: the claims pods hold on the DPU's functions, the
 * slots offered to the kubelet, CDI specs, and the Node's batch capacity.
 *
 * A claim (DRA) or an allocated device (device plugin) becomes one or
 * more attachments that join the desired state: the planner attaches them
 * like any other, with a record written before each function is asked for.
 * The claim's own file is written before that, so a dpud killed at any
 * point finds, on restart, the claim and the function it already asked
 * for: the kubelet's retry gets the same function, never a second one.
 *
 * Slots: a DPU has max_fns functions for disks and NICs alike. Pods are
 * offered at most k8s_slots of each type, and together never more than the
 * slots the desired state leaves free (shared proportionally), so the two
 * types can never be promised the same slot twice.
 */
#include <dirent.h>

#include "k8s_int.h"

struct k8s_ctx K8;

static struct {
	bool pending;			/* a patch in flight */
	bool have_last;
	uint64_t cpu, mem;		/* last published */
	struct timespec at;
	bool failed;
} node_st;

const char *k8s_type_str(uint8_t type)
{
	return type == DPU_FN_TYPE_BLK ? "blk" : "net";
}

/* ------------------------------------------------------------ the files */
static int claim_format(const struct k8s_claim *c, char *buf, size_t len)
{
	size_t o = 0;
	int i;

#define PUT(...) do { \
		int n_ = snprintf(buf + o, len - o, __VA_ARGS__); \
		if (n_ < 0 || (size_t)n_ >= len - o) \
			return -ENOSPC; \
		o += (size_t)n_; \
	} while (0)
	PUT("# dpud: a Kubernetes claim's functions (written before they are asked for)\n");
	PUT("source = %s\n", c->dp ? "device-plugin" : "dra");
	if (!c->dp)
		PUT("namespace = %s\nname = %s\nuid = %s\npool = %s\n", c->ns,
		    c->name, c->uid, c->pool);
	PUT("tenant = %s\ngen = %u\ndelivered = %s\n", c->tenant, c->gen,
	    c->delivered ? "yes" : "no");
	for (i = 0; i < c->natt; i++)
		PUT("function = %s %s %llu %s %s\n", c->att[i].name,
		    k8s_type_str(c->att[i].type),
		    (unsigned long long)c->att[i].size, c->att[i].device,
		    c->att[i].request[0] ? c->att[i].request : "-");
#undef PUT
	return (int)o;
}

static int claim_parse(const char *key, char *text, struct k8s_claim *c)
{
	char *save = NULL, *line;

	memset(c, 0, sizeof(*c));
	scopy(c->key, sizeof(c->key), key);
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char k[32], v[300];

		if (line[0] == '#' || !line[0])
			continue;
		if (sscanf(line, "%31s = %299[^\n]", k, v) != 2)
			return -EBADMSG;
		if (!strcmp(k, "source"))
			c->dp = !strcmp(v, "device-plugin");
		else if (!strcmp(k, "namespace"))
			scopy(c->ns, sizeof(c->ns), v);
		else if (!strcmp(k, "name"))
			scopy(c->name, sizeof(c->name), v);
		else if (!strcmp(k, "uid"))
			scopy(c->uid, sizeof(c->uid), v);
		else if (!strcmp(k, "pool"))
			scopy(c->pool, sizeof(c->pool), v);
		else if (!strcmp(k, "tenant"))
			scopy(c->tenant, sizeof(c->tenant), v);
		else if (!strcmp(k, "gen"))
			c->gen = (uint32_t)strtoul(v, NULL, 10);
		else if (!strcmp(k, "delivered"))
			c->delivered = !strcmp(v, "yes");
		else if (!strcmp(k, "function")) {
			struct k8s_att *a;
			char type[8];
			unsigned long long size;

			if (c->natt >= K8S_MAX_ATT)
				return -EBADMSG;
			a = &c->att[c->natt];
			if (sscanf(v, "%63s %7s %llu %31s %63s", a->name, type,
				   &size, a->device, a->request) != 5 ||
			    !dpud_name_ok(a->name))
				return -EBADMSG;
			a->type = !strcmp(type, "blk") ? DPU_FN_TYPE_BLK :
				  DPU_FN_TYPE_NET;
			a->size = size;
			if (!strcmp(a->request, "-"))
				a->request[0] = '\0';
			c->natt++;
		}
	}
	if (!c->natt || !dpud_name_ok(c->tenant))
		return -EBADMSG;
	return 0;
}

static void cdi_path(const char *key, char *buf, size_t len)
{
	snprintf(buf, len, "%s/dpupool.io-dpu-%s.json", D.cfg.cdi_dir, key);
}

void k8s_cdi_id(const struct k8s_claim *c, int i, char *buf, size_t len)
{
	snprintf(buf, len, "%s=%s-%d", K8S_CDI_KIND, c->key, i);
}

struct k8s_claim *k8s_claim_find(const char *key)
{
	struct k8s_claim *c;

	for (c = K8.claims; c; c = c->next)
		if (!strcmp(c->key, key))
			return c;
	return NULL;
}

int k8s_claim_save(struct k8s_claim *c)
{
	char buf[4096], name[K8S_KEY_LEN + 8];
	int n = claim_format(c, buf, sizeof(buf));

	if (n < 0)
		return n;
	snprintf(name, sizeof(name), "%s.claim", c->key);
	n = dpud_write_atomic(K8.claims_dir, name, buf, (size_t)n);
	if (n)
		return n;
	if (!k8s_claim_find(c->key)) {
		struct k8s_claim *nc = malloc(sizeof(*nc));

		if (!nc)
			return -ENOMEM;
		*nc = *c;
		nc->next = K8.claims;
		K8.claims = nc;
	}
	D.dirty = true;
	return 0;
}

int k8s_claim_drop(const char *key)
{
	struct k8s_claim **pp, *c;
	char path[PATH_MAX + K8S_KEY_LEN + 32];

	cdi_path(key, path, sizeof(path));
	if (unlink(path) && errno != ENOENT)
		return -errno;
	snprintf(path, sizeof(path), "%s/%s.claim", K8.claims_dir, key);
	if (unlink(path) && errno != ENOENT)
		return -errno;
	for (pp = &K8.claims; (c = *pp); pp = &c->next)
		if (!strcmp(c->key, key)) {
			*pp = c->next;
			free(c);
			break;
		}
	D.dirty = true;
	return 0;
}

static int claims_load(char *err, size_t errlen)
{
	struct dirent *de;
	DIR *d = opendir(K8.claims_dir);

	if (!d) {
		snprintf(err, errlen, "cannot read %s: %s", K8.claims_dir,
			 strerror(errno));
		return -errno;
	}
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);
		char path[PATH_MAX + 300], key[K8S_KEY_LEN], text[4096];
		struct k8s_claim c, *nc;
		ssize_t len;
		int fd;

		if (n < 7 || n - 6 >= sizeof(key) ||
		    strcmp(de->d_name + n - 6, ".claim"))
			continue;
		snprintf(key, sizeof(key), "%.*s", (int)(n - 6), de->d_name);
		snprintf(path, sizeof(path), "%s/%s", K8.claims_dir, de->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		len = fd < 0 ? -1 : read(fd, text, sizeof(text) - 1);
		if (fd >= 0)
			close(fd);
		if (len < 0 || (text[len] = '\0', claim_parse(key, text, &c))) {
			snprintf(err, errlen, "%s: unreadable claim record", path);
			closedir(d);
			return -EBADMSG;
		}
		nc = malloc(sizeof(*nc));
		if (!nc) {
			closedir(d);
			return -ENOMEM;
		}
		*nc = c;
		nc->next = K8.claims;
		K8.claims = nc;
	}
	closedir(d);
	return 0;
}

/* -------------------------------------------------------- desired state */
int k8s_desired(const struct dpud_desired *base, struct dpud_desired *out)
{
	const struct k8s_claim *c;
	size_t natt = base->natt, nten = base->ntenants, i;
	int j;

	for (c = K8.claims; c; c = c->next) {
		natt += (size_t)c->natt;
		nten++;
	}
	memset(out, 0, sizeof(*out));
	out->att = calloc(natt ? natt : 1, sizeof(*out->att));
	out->tenants = calloc(nten ? nten : 1, sizeof(*out->tenants));
	if (!out->att || !out->tenants) {
		k8s_desired_release(out);
		return -ENOMEM;
	}
	if (base->natt)
		memcpy(out->att, base->att, base->natt * sizeof(*out->att));
	if (base->ntenants)
		memcpy(out->tenants, base->tenants,
		       base->ntenants * sizeof(*out->tenants));
	out->natt = base->natt;
	out->ntenants = base->ntenants;
	for (c = K8.claims; c; c = c->next) {
		bool have = false;

		for (j = 0; j < c->natt; j++) {
			struct dpud_attach_spec *a = &out->att[out->natt++];

			memset(a, 0, sizeof(*a));
			scopy(a->name, sizeof(a->name), c->att[j].name);
			scopy(a->tenant, sizeof(a->tenant), c->tenant);
			a->type = c->att[j].type;
			a->size = c->att[j].size;
		}
		/* a tenant no desired file declares: a root without limits */
		for (i = 0; i < out->ntenants && !have; i++)
			have = !strcmp(out->tenants[i].name, c->tenant);
		if (!have) {
			struct dpud_tenant_spec *t = &out->tenants[out->ntenants++];

			memset(t, 0, sizeof(*t));
			scopy(t->name, sizeof(t->name), c->tenant);
		}
	}
	return 0;
}

void k8s_desired_release(struct dpud_desired *d)
{
	free(d->att);
	free(d->tenants);
	memset(d, 0, sizeof(*d));
}

/* ---------------------------------------------------------------- slots */
/* functions of each type pods may have now, never more than are free */
static void compute_slots(uint32_t out[2])
{
	uint32_t want[2], free_slots;

	want[0] = D.actual.fn_types & (1u << DPU_FN_TYPE_BLK) ?
		  D.cfg.k8s_slots[0] : 0;
	want[1] = D.actual.fn_types & (1u << DPU_FN_TYPE_NET) ?
		  D.cfg.k8s_slots[1] : 0;
	free_slots = D.actual.max_fns > D.desired.natt ?
		     D.actual.max_fns - (uint32_t)D.desired.natt : 0;
	dpud_slots_split(free_slots, want, out);
}

/* "blk-3": one of the devices offered now? */
bool k8s_device_ok(const char *dev, uint8_t *type)
{
	unsigned int n;
	char t[4], end;

	if (sscanf(dev, "%3[a-z]-%u%c", t, &n, &end) != 2)
		return false;
	if (!strcmp(t, "blk") && n < K8.slots[0]) {
		*type = DPU_FN_TYPE_BLK;
		return true;
	}
	if (!strcmp(t, "net") && n < K8.slots[1]) {
		*type = DPU_FN_TYPE_NET;
		return true;
	}
	return false;
}

/* Room on the DPU for ntypes more functions? Counts what is attached and
 * what claims asked for that is not there yet. */
int k8s_slot_check(int ntypes[2], char *err, size_t errlen)
{
	const struct k8s_claim *c;
	uint32_t used = (uint32_t)D.actual.nfns, want;
	int j;

	for (c = K8.claims; c; c = c->next)
		for (j = 0; j < c->natt; j++)
			if (!c->att[j].ready)
				used++;	/* asked for, maybe not counted yet */
	want = (uint32_t)(ntypes[0] + ntypes[1]);
	if (used + want > D.actual.max_fns) {
		snprintf(err, errlen,
			 "no free function slot on %s: %u of %u in use, %u more asked for",
			 D.cfg.device, used < D.actual.max_fns ? used :
			 D.actual.max_fns, D.actual.max_fns, want);
		return -ENOSPC;
	}
	return 0;
}

/* ------------------------------------------------------------------ CDI */
/* DPUPOOL_BLK_3 for device blk-3: the variable naming it in a container */
void k8s_env_name(const char *dev, char *buf, size_t len)
{
	size_t i, o = snprintf(buf, len, "DPUPOOL_");

	for (i = 0; dev[i] && o + 1 < len; i++)
		buf[o++] = dev[i] == '-' ? '_' : (char)toupper((unsigned char)dev[i]);
	buf[o] = '\0';
}

static int cdi_write(const struct k8s_claim *c)
{
	struct json_object *spec = json_object_new_object();
	struct json_object *devs = json_object_new_array();
	char path[PATH_MAX + K8S_KEY_LEN + 32], name[K8S_KEY_LEN + 40];
	const char *text;
	int i, ret;

	json_object_object_add(spec, "cdiVersion", json_object_new_string("0.6.0"));
	json_object_object_add(spec, "kind", json_object_new_string(K8S_CDI_KIND));
	for (i = 0; i < c->natt; i++) {
		const struct k8s_att *a = &c->att[i];
		struct json_object *d = json_object_new_object();
		struct json_object *ed = json_object_new_object();
		struct json_object *env = json_object_new_array();
		char e[160], var[64];

		snprintf(name, sizeof(name), "%s-%d", c->key, i);
		json_object_object_add(d, "name", json_object_new_string(name));
		k8s_env_name(a->device, var, sizeof(var));
		snprintf(e, sizeof(e), "%s=%s", var, a->node);
		json_object_array_add(env, json_object_new_string(e));
		if (a->type == DPU_FN_TYPE_BLK) {
			struct json_object *nodes = json_object_new_array();
			struct json_object *n = json_object_new_object();

			json_object_object_add(n, "path", json_object_new_string(a->node));
			json_object_object_add(n, "type", json_object_new_string("b"));
			json_object_object_add(n, "permissions", json_object_new_string("rw"));
			json_object_array_add(nodes, n);
			json_object_object_add(ed, "deviceNodes", nodes);
		}
		json_object_object_add(ed, "env", env);
		json_object_object_add(d, "containerEdits", ed);
		json_object_array_add(devs, d);
	}
	json_object_object_add(spec, "devices", devs);
	text = json_object_to_json_string_ext(spec, JSON_C_TO_STRING_PRETTY |
					      JSON_C_TO_STRING_NOSLASHESCAPE);
	cdi_path(c->key, path, sizeof(path));
	ret = mkdir(D.cfg.cdi_dir, 0755) && errno != EEXIST ? -errno : 0;
	if (!ret)
		ret = dpud_write_atomic(D.cfg.cdi_dir, strrchr(path, '/') + 1,
					text, strlen(text));
	json_object_put(spec);
	return ret;
}

/* ------------------------------------------------------------ readiness */
static const struct dpud_actual_fn *actual_fn(uint32_t index)
{
	size_t i;

	for (i = 0; i < D.actual.nfns; i++)
		if (D.actual.fns[i].index == index)
			return &D.actual.fns[i];
	return NULL;
}

static void claims_refresh(const struct dpud_record *recs, size_t nrecs)
{
	struct k8s_claim *c;
	int i;

	for (c = K8.claims; c; c = c->next) {
		bool all = true;

		for (i = 0; i < c->natt; i++) {
			struct k8s_att *a = &c->att[i];
			const struct dpud_record *r = dpud_record_find(recs, nrecs, a->name);
			const struct dpud_actual_fn *f = r ? actual_fn(r->index) : NULL;
			struct dpu_fn_info info;

			/* gone or failed after it was ready (surprise
			 * removal): failed until it is ready again */
			if (a->ready && (!f || f->state != DPU_FN_STATE_READY)) {
				a->failed = true;
				a->ready = false;
				c->ready = false;
			}
			if (!f) {
				all = false;
				continue;
			}
			if (f->state == DPU_FN_STATE_FAILED) {
				snprintf(c->error, sizeof(c->error),
					 "function %u of %s failed to attach",
					 f->index, D.cfg.device);
				all = false;
				continue;
			}
			if (f->state != DPU_FN_STATE_READY) {
				all = false;
				continue;
			}
			if (a->ready)
				continue;
			if (dpu_fn_get(D.nl, D.cfg.device, f->index, &info)) {
				all = false;
				continue;
			}
			if (a->type == DPU_FN_TYPE_BLK && info.blkdev[0])
				snprintf(a->node, sizeof(a->node), "/dev/%s",
					 info.blkdev);
			else if (a->type == DPU_FN_TYPE_NET && info.netdev[0])
				snprintf(a->node, sizeof(a->node), "%s",
					 info.netdev);
			else {
				all = false;	/* its node is not there yet */
				continue;
			}
			a->index = f->index;
			a->ready = true;
			a->failed = false;
		}
		if (all && !c->ready) {
			int ret = cdi_write(c);

			if (ret) {
				snprintf(c->error, sizeof(c->error),
					 "cannot write the CDI spec in %.100s: %s",
					 D.cfg.cdi_dir, strerror(-ret));
				continue;
			}
			c->error[0] = '\0';
			c->ready = true;
			dpud_log("info", "claim ready", "claim=%s functions=%d first=%s",
				 c->key, c->natt, c->att[0].node);
		}
	}
}

/* ---------------------------------------------------------------- waits */
void k8s_wait_call_gone(struct grpcd_call *c, void *arg)
{
	struct k8s_wait *w = arg;

	(void)c;
	w->call = NULL;	/* the work goes on: the kubelet's retry finds it */
}

struct k8s_wait *k8s_wait_new(struct grpcd_call *call, int n,
			      void (*finish)(struct k8s_wait *w))
{
	static uint32_t serial;
	struct k8s_wait *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->serial = ++serial;
	w->items = calloc((size_t)(n ? n : 1), sizeof(*w->items));
	if (!w->items) {
		free(w);
		return NULL;
	}
	w->call = call;
	w->n = n;
	w->finish = finish;
	clock_gettime(CLOCK_MONOTONIC, &w->start);
	w->next = K8.waits;
	K8.waits = w;
	return w;
}

static bool names_gone(const struct dpud_record *recs, size_t nrecs,
		       const struct k8s_item *it)
{
	size_t i;
	size_t kl = strlen(it->key);

	/* attachment names of a claim start with "k8s-<key>-" */
	for (i = 0; i < nrecs; i++)
		if (!strncmp(recs[i].name, "k8s-", 4) &&
		    !strncmp(recs[i].name + 4, it->key, kl) &&
		    recs[i].name[4 + kl] == '-')
			return false;
	return true;
}

static void waits_check(const struct dpud_record *recs, size_t nrecs,
			bool have_recs)
{
	struct k8s_wait **pp = &K8.waits, *w;
	double tmo = D.cfg.prepare_timeout_ms / 1000.0;

	while ((w = *pp)) {
		bool done = true;
		int i;

		for (i = 0; i < w->n; i++) {
			struct k8s_item *it = &w->items[i];
			struct k8s_claim *c;

			if (it->state != ITEM_PENDING || it->fetching) {
				done &= it->state != ITEM_PENDING;
				continue;
			}
			if (it->gone_wait) {
				if (have_recs && names_gone(recs, nrecs, it))
					it->state = ITEM_OK;
			} else if ((c = k8s_claim_find(it->key))) {
				if (c->ready) {
					it->state = ITEM_OK;
				} else if (c->error[0]) {
					it->state = ITEM_FAILED;
					snprintf(it->error, sizeof(it->error),
						 "%s", c->error);
				}
			}
			if (it->state == ITEM_PENDING &&
			    dpud_since(&w->start) >= tmo) {
				it->state = ITEM_FAILED;
				snprintf(it->error, sizeof(it->error),
					 "%s not done within %.0f s (prepare_timeout)",
					 it->gone_wait ? "detach" : "attach", tmo);
			}
			done &= it->state != ITEM_PENDING;
		}
		if (!done) {
			pp = &w->next;
			continue;
		}
		*pp = w->next;
		w->finish(w);
		free(w->items);
		free(w->extra);
		free(w);
	}
}

void k8s_wait_check(void)
{
	struct dpud_record *recs = NULL;
	size_t n = 0;
	char err[256];
	bool ok;

	if (!K8.waits)
		return;
	ok = !dpud_records_load(D.cfg.state_dir, &recs, &n, err, sizeof(err));
	waits_check(recs, n, ok);
	free(recs);
}

/* --------------------------------------------------------- API client */
void k8s_kube_kick(void)
{
	struct io_uring_sqe *sqe;

	if (D.kube_armed || !kube_busy())
		return;
	D.kube_ts.tv_sec = 0;
	D.kube_ts.tv_nsec = 2000000;	/* 2 ms */
	sqe = sqe_get();
	io_uring_prep_timeout(sqe, &D.kube_ts, 0, 0);
	io_uring_sqe_set_data(sqe, &D.op_kube);
	D.kube_armed = true;
}

void k8s_kube_poll(void)
{
	D.kube_armed = false;
	kube_poll();
	k8s_kube_kick();
}

/* ---------------------------------------------------------- Node status */
static void node_patched(int status, struct json_object *body,
			 const char *err, void *arg)
{
	(void)body;
	(void)arg;
	node_st.pending = false;
	clock_gettime(CLOCK_MONOTONIC, &node_st.at);
	if (status >= 200 && status < 300) {
		node_st.failed = false;
		K8.node_patches++;
		return;
	}
	node_st.failed = true;
	node_st.have_last = false;	/* try again at the next interval */
	K8.node_patch_failed++;
	dpud_log("error", "cannot publish the node's batch capacity",
		 "node=%s error=\"%s\"", K8.node, err);
}

static bool meaningful(uint64_t old, uint64_t now, uint64_t floor)
{
	uint64_t d = old > now ? old - now : now - old;
	uint64_t rel = old / 20;	/* 5% */

	return d >= (rel > floor ? rel : floor);
}

static void node_status(void)
{
	const struct dpud_headroom *h = &D.headroom;
	char path[400], body[512];
	uint64_t cpu, mem;
	int ret;

	if (!kube_enabled() || !h->valid || node_st.pending)
		return;
	if ((node_st.have_last || node_st.failed) &&
	    dpud_since(&node_st.at) * 1000 < D.cfg.node_status_interval_ms)
		return;
	cpu = h->cpu_reclaimable_milli;
	mem = h->mem_reclaimable;
	if (node_st.have_last && !meaningful(node_st.cpu, cpu, 100) &&
	    !meaningful(node_st.mem, mem, 64ULL << 20))
		return;
	snprintf(path, sizeof(path), "/api/v1/nodes/%s/status", K8.node);
	snprintf(body, sizeof(body),
		 "{\"status\":{\"capacity\":{\"dpupool.io/batch-cpu\":\"%llum\",\"dpupool.io/batch-memory\":\"%llu\"},"
		 "\"allocatable\":{\"dpupool.io/batch-cpu\":\"%llum\",\"dpupool.io/batch-memory\":\"%llu\"}}}",
		 (unsigned long long)cpu, (unsigned long long)mem,
		 (unsigned long long)cpu, (unsigned long long)mem);
	ret = kube_request("PATCH", path, "application/merge-patch+json",
			   body, node_patched, NULL);
	if (ret) {
		dpud_log("error", "cannot publish the node's batch capacity",
			 "error=\"%s\"", strerror(-ret));
		return;
	}
	node_st.pending = true;
	node_st.have_last = true;
	node_st.cpu = cpu;
	node_st.mem = mem;
	dpud_log("info", "publishing the node's batch capacity",
		 "node=%s batch_cpu=%llum batch_memory=%llu", K8.node,
		 (unsigned long long)cpu, (unsigned long long)mem);
	k8s_kube_kick();
}

/* ------------------------------------------------------------- the rest */
void k8s_after_dump(void)
{
	struct dpud_record *recs = NULL;
	uint32_t s[2];
	size_t n = 0;
	char err[256];
	bool ok;

	if (!K8.on)
		return;
	/* the records only matter while there are claims or calls waiting */
	ok = (K8.claims || K8.waits) &&
	     !dpud_records_load(D.cfg.state_dir, &recs, &n, err, sizeof(err));
	if (ok && D.have_actual)
		claims_refresh(recs, n);
	if (D.have_actual) {
		compute_slots(s);
		if (!K8.slots_known || s[0] != K8.slots[0] ||
		    s[1] != K8.slots[1] ||
		    K8.numa_node != D.actual.numa_node ||
		    strcmp(K8.backend, D.actual.backend)) {
			K8.slots[0] = s[0];
			K8.slots[1] = s[1];
			K8.numa_node = D.actual.numa_node;
			scopy(K8.backend, sizeof(K8.backend), D.actual.backend);
			K8.slots_known = true;
			dpud_log("info", "slots offered to pods", "blk=%u net=%u",
				 s[0], s[1]);
			dra_slots_changed();
		}
	}
	dp_devices_changed();
	waits_check(recs, n, ok);
	free(recs);
}

void k8s_tick(void)
{
	if (!K8.on)
		return;
	grpcd_tick();
	k8s_wait_check();
	if (D.cfg.kubelet_plugin == DPUD_KUBELET_DRA)
		dra_tick();
	else if (D.cfg.kubelet_plugin == DPUD_KUBELET_DEVICE_PLUGIN)
		dp_tick();
	node_status();
	k8s_kube_kick();
}

int k8s_open(char *err, size_t errlen)
{
	struct kube_creds k;
	int ret;

	if (D.cfg.kubelet_plugin == DPUD_KUBELET_NONE && !D.cfg.kube_api)
		return 0;
	if (D.cfg.node_name[0]) {
		scopy(K8.node, sizeof(K8.node), D.cfg.node_name);
	} else {
		size_t i;

		if (gethostname(K8.node, sizeof(K8.node) - 1))
			strcpy(K8.node, "localhost");
		K8.node[strcspn(K8.node, ".")] = '\0';
		for (i = 0; K8.node[i]; i++)
			K8.node[i] = (char)tolower((unsigned char)K8.node[i]);
	}
	snprintf(K8.claims_dir, sizeof(K8.claims_dir), "%s/claims",
		 D.cfg.state_dir);
	if (mkdir(K8.claims_dir, 0700) && errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", K8.claims_dir,
			 strerror(errno));
		return -errno;
	}
	ret = claims_load(err, errlen);
	if (ret)
		return ret;
	if (D.cfg.kube_api) {
		if (D.cfg.kubeconfig[0]) {
			char *text = NULL;
			FILE *f = fopen(D.cfg.kubeconfig, "re");
			size_t n = 0;

			if (f) {
				text = calloc(1, 1 << 20);
				if (text)
					n = fread(text, 1, (1 << 20) - 1, f);
				fclose(f);
			}
			if (!text || !n) {
				snprintf(err, errlen, "cannot read kubeconfig %s",
					 D.cfg.kubeconfig);
				free(text);
				return -ENOENT;
			}
			ret = kube_config_parse(D.cfg.kubeconfig, text, &k, err,
						errlen);
			free(text);
		} else {
			ret = kube_config_incluster("/var/run/secrets/kubernetes.io/serviceaccount",
						    &k, err, errlen);
			if (ret == -ENOENT) {
				/* not in a pod, no kubeconfig: no API server */
				if (D.cfg.kubelet_plugin == DPUD_KUBELET_NONE)
					return 0;	/* nothing to do here */
				dpud_log("warn", "no API server access: ResourceSlices and the node's batch capacity are not published, claims cannot be read",
					 "why=\"%s\"", err);
				ret = 0;
				goto plugin;
			}
		}
		if (ret)
			return ret;
		ret = kube_open(&k, err, errlen);
		if (ret)
			return ret;
		dpud_log("info", "API server", "server=%s node=%s",
			 kube_server(), K8.node);
	}
plugin:
	K8.on = true;
	if (D.cfg.kubelet_plugin == DPUD_KUBELET_DRA)
		ret = dra_start(err, errlen);
	else if (D.cfg.kubelet_plugin == DPUD_KUBELET_DEVICE_PLUGIN)
		ret = dp_start(err, errlen);
	if (ret)
		return ret;
	k8s_after_dump();
	return 0;
}

bool k8s_active(void)
{
	return K8.on;
}

void k8s_close(void)
{
	struct k8s_wait *w;

	if (!K8.on)
		return;
	dra_stop();
	dp_stop();
	while ((w = K8.waits)) {
		K8.waits = w->next;
		if (w->call)
			grpcd_fail(w->call, GRPC_UNAVAILABLE, "dpud is stopping");
		free(w->items);
		free(w->extra);
		free(w);
	}
	while (K8.claims) {
		struct k8s_claim *c = K8.claims;

		K8.claims = c->next;
		free(c);
	}
	kube_close();
	K8.on = false;
}

void k8s_metrics(FILE *f)
{
	struct grpcd_stats g;
	struct kube_stats ks;
	const struct k8s_claim *c;
	unsigned int nclaims = 0, nready = 0;

	if (!K8.on)
		return;
	for (c = K8.claims; c; c = c->next) {
		nclaims++;
		nready += c->ready;
	}
	grpcd_stats(&g);
	kube_stats(&ks);
	fprintf(f, "# HELP dpud_k8s_claims Claims (DRA) and allocated devices (device plugin) holding functions.\n"
		"# TYPE dpud_k8s_claims gauge\n"
		"dpud_k8s_claims{state=\"ready\"} %u\n"
		"dpud_k8s_claims{state=\"waiting\"} %u\n",
		nready, nclaims - nready);
	fprintf(f, "# HELP dpud_k8s_slots Functions of each type offered to pods.\n"
		"# TYPE dpud_k8s_slots gauge\n"
		"dpud_k8s_slots{type=\"blk\"} %u\n"
		"dpud_k8s_slots{type=\"net\"} %u\n", K8.slots[0], K8.slots[1]);
	fprintf(f, "# HELP dpud_k8s_prepares_total Claims prepared (or allocated), by result.\n"
		"# TYPE dpud_k8s_prepares_total counter\n"
		"dpud_k8s_prepares_total{result=\"ok\"} %llu\n"
		"dpud_k8s_prepares_total{result=\"error\"} %llu\n",
		(unsigned long long)K8.prepared,
		(unsigned long long)K8.prepare_failed);
	fprintf(f, "# HELP dpud_k8s_unprepares_total Claims unprepared.\n"
		"# TYPE dpud_k8s_unprepares_total counter\n"
		"dpud_k8s_unprepares_total %llu\n",
		(unsigned long long)K8.unprepared);
	fprintf(f, "# HELP dpud_grpc_calls_total gRPC calls the kubelet made to dpud, by result.\n"
		"# TYPE dpud_grpc_calls_total counter\n"
		"dpud_grpc_calls_total{result=\"ok\"} %llu\n"
		"dpud_grpc_calls_total{result=\"error\"} %llu\n",
		(unsigned long long)(g.calls - g.failed),
		(unsigned long long)g.failed);
	fprintf(f, "# HELP dpud_kube_requests_total Requests to the API server, by result.\n"
		"# TYPE dpud_kube_requests_total counter\n"
		"dpud_kube_requests_total{result=\"ok\"} %llu\n"
		"dpud_kube_requests_total{result=\"error\"} %llu\n",
		(unsigned long long)(ks.requests - ks.failed),
		(unsigned long long)ks.failed);
	fprintf(f, "# HELP dpud_k8s_node_status_patches_total Node status patches with the batch capacity.\n"
		"# TYPE dpud_k8s_node_status_patches_total counter\n"
		"dpud_k8s_node_status_patches_total{result=\"ok\"} %llu\n"
		"dpud_k8s_node_status_patches_total{result=\"error\"} %llu\n",
		(unsigned long long)K8.node_patches,
		(unsigned long long)K8.node_patch_failed);
}
