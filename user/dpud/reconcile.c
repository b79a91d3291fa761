// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dpud: the DPU as it is (dumps), the plan against the desired state and
 * its execution, and the events that trigger it.
 */
#include "dpud_int.h"

/* -------------------------------------------------------- actual state */
static int tenant_cb(const struct dpu_tenant_info *t, void *arg)
{
	struct dpud_actual *a = arg;
	struct dpud_actual_tenant *nt, *x;

	nt = realloc(a->tenants, (a->ntenants + 1) * sizeof(*nt));
	if (!nt)
		return -ENOMEM;
	a->tenants = nt;
	x = &nt[a->ntenants++];
	memset(x, 0, sizeof(*x));
	snprintf(x->name, sizeof(x->name), "%s", t->name);
	snprintf(x->parent, sizeof(x->parent), "%s", t->parent);
	memcpy(x->limit_rate, t->limit_rate, sizeof(x->limit_rate));
	memcpy(x->limit_burst, t->limit_burst, sizeof(x->limit_burst));
	if (t->has_stats)
		x->stats = t->stats;
	return 0;
}

static int fn_cb(const struct dpu_fn_info *f, void *arg)
{
	struct dpud_actual *a = arg;
	struct dpud_actual_fn *nf, *x;

	nf = realloc(a->fns, (a->nfns + 1) * sizeof(*nf));
	if (!nf)
		return -ENOMEM;
	a->fns = nf;
	x = &nf[a->nfns++];
	memset(x, 0, sizeof(*x));
	x->index = f->index;
	x->type = f->type;
	x->state = f->state;
	snprintf(x->tenant, sizeof(x->tenant), "%s", f->tenant);
	x->size = f->has_size ? f->size : 0;
	x->has_mac = f->has_mac;
	memcpy(x->mac, f->mac, 6);
	x->ifindex = f->ifindex;
	x->in_netns = f->has_netns_id;
	memcpy(x->limit_rate, f->limit_rate, sizeof(x->limit_rate));
	memcpy(x->limit_burst, f->limit_burst, sizeof(x->limit_burst));
	return 0;
}

void actual_free(struct dpud_actual *a)
{
	free(a->fns);
	free(a->tenants);
	memset(a, 0, sizeof(*a));
}

static uint32_t read_max_fns(const char *dev)
{
	char path[128];
	unsigned int v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/dpu/%s/max_fns", dev);
	f = fopen(path, "re");
	if (f) {
		if (fscanf(f, "%u", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v ? v : 4096;
}

static int collect(struct dpud_actual *a)
{
	int ret;

	memset(a, 0, sizeof(*a));
	ret = dpu_tenant_dump(D.nl, D.cfg.device, tenant_cb, a);
	if (!ret)
		ret = dpu_fn_dump(D.nl, D.cfg.device, fn_cb, a);
	if (ret) {
		actual_free(a);
		return ret;
	}
	a->max_fns = read_max_fns(D.cfg.device);
	{
		struct dpu_dev_info dev;

		a->numa_node = -1;
		if (!dpu_dev_get(D.nl, D.cfg.device, 0, &dev)) {
			a->host_kinds = dev.host_limits;
			a->host_known = true;
			/* a DPU before family version 3 makes both */
			a->fn_types = dev.has_caps ? dev.fn_types :
				      (1u << DPU_FN_TYPE_BLK) |
				      (1u << DPU_FN_TYPE_NET);
			if (dev.has_numa_node)
				a->numa_node = dev.numa_node;
			snprintf(a->backend, sizeof(a->backend), "%s",
				 dev.backend);
		}
	}
	return 0;
}

/*
 * Dump the DPU into D.actual. On failure nothing stale is kept: the
 * metrics say dpud_dpu_up 0 and show no functions rather than old ones.
 * A family that went away (dpu.ko reloaded) is resolved again.
 */
int refresh_actual(void)
{
	static bool dump_failed;
	struct dpud_actual a;
	char err[DPUD_ERR_LEN];
	int ret;

	ret = collect(&a);
	if (ret == -ENOENT || ret == -EINVAL || ret == -EOPNOTSUPP) {
		/* dpu.ko gone or reloaded */
		if (!D.family_lost)
			dpud_qos_lost();
		D.family_lost = true;
	}
	/*
	 * Once the family was gone (a failed dump, or dpu.ko said it was
	 * unloading): look it up again, and join its groups again even if
	 * it came back with the same ids (the old one's members were
	 * dropped when it went).
	 */
	if (D.family_lost && dpu_nl_reopen(D.nl, err, sizeof(err)) >= 0) {
		D.family_lost = false;
		dpud_log("info", "the dpu family came back, resolved again",
			 "family=%u", dpu_nl_family_id(D.nl));
		D.dirty = true;	/* what it lost is attached again */
		if (dpu_nl_events_rejoin(D.ev, D.nl, err, sizeof(err)) < 0)
			dpud_log("error", "cannot follow the events again",
				 "error=\"%s\"", err);
		dpud_qos_follow();
		actual_free(&a);
		ret = collect(&a);
	}
	actual_free(&D.actual);
	/*
	 * The DPU is back after a failed dump (dpu.ko reloaded, the family
	 * found again before the backend registered the DPU): what it lost
	 * is attached again now, not at the next full resync.
	 */
	if (!ret && dump_failed) {
		dpud_log("info", "the DPU answers again", "device=%s",
			 D.cfg.device);
		D.dirty = true;
	}
	dump_failed = ret != 0;
	D.have_actual = !ret;
	D.dpu_up = !ret;
	if (ret)
		return ret;
	D.actual = a;
	clock_gettime(CLOCK_MONOTONIC, &D.dump_time);
	D.have_dump_time = true;
	/* a DPU that did not say what it leaves to the host changes nothing */
	if (D.actual.host_known)
		niclim_sync(&D.actual, D.actual.host_kinds);
	return 0;
}

/* ------------------------------------------------------------ reconcile */
static void random_mac(uint8_t mac[6], void *arg)
{
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

	(void)arg;
	if (fd < 0 || read(fd, mac, 6) != 6) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		memcpy(mac, &ts.tv_nsec, 4);
		mac[4] = (uint8_t)getpid();
		mac[5] = (uint8_t)ts.tv_sec;
	}
	if (fd >= 0)
		close(fd);
	mac[0] = (uint8_t)((mac[0] & 0xfe) | 0x02);	/* unicast, local */
}

static void action_failed(const struct dpud_action *x, int err)
{
	D.actions_failed++;
	dpud_log("error", "action failed",
		 "action=%s name=%s index=%u error=%s extack=\"%s\"",
		 dpud_action_str(x->kind), x->name, x->index,
		 dpu_errno_name(err) ? dpu_errno_name(err) : strerror(-err),
		 dpu_nl_errmsg(D.nl));
}

static void execute(const struct dpud_action *x)
{
	const char *dev = D.cfg.device;
	char err[256];
	int ret = 0;

	switch (x->kind) {
	case DPUD_ACT_TENANT_NEW:
		ret = dpu_tenant_new(D.nl, dev, x->name,
				     x->tenant->parent[0] ? x->tenant->parent :
				     NULL, x->tenant->has_limits ?
				     &x->tenant->lim : NULL, NULL);
		break;
	case DPUD_ACT_TENANT_SET:
		ret = dpu_tenant_set(D.nl, dev, x->name, x->tenant->parent,
				     x->tenant->has_limits ? &x->tenant->lim :
				     NULL, NULL);
		break;
	case DPUD_ACT_FN_DEL:
		ret = dpu_fn_del(D.nl, dev, x->index);
		if (ret == -ENOENT)
			ret = 0;
		break;
	case DPUD_ACT_RECORD_DROP:
		ret = dpud_record_remove(D.cfg.state_dir, x->name);
		break;
	case DPUD_ACT_FN_NEW: {
		struct dpu_fn_new_args a = {
			.dev = dev, .type = x->att->type, .size = x->att->size,
			.has_mac = x->rec.has_mac, .tenant = x->att->tenant,
			.has_index = true, .index = x->index,
		};

		memcpy(a.mac, x->rec.mac, 6);
		/* the record first: a crash after this never duplicates,
		 * the next run finds the index taken by what it asked for */
		ret = dpud_record_save(D.cfg.state_dir, &x->rec);
		if (ret) {
			dpud_log("error", "cannot save state record",
				 "name=%s dir=%s error=\"%s\"", x->name,
				 D.cfg.state_dir, strerror(-ret));
			D.actions_failed++;
			return;
		}
		dpud_test_crash("record-saved");
		if (D.npending < MAX_PENDING) {
			D.pending[D.npending].index = x->index;
			clock_gettime(CLOCK_MONOTONIC,
				      &D.pending[D.npending].start);
			D.npending++;
		}
		ret = dpu_fn_new(D.nl, &a, NULL);
		if (ret && D.npending &&
		    D.pending[D.npending - 1].index == x->index)
			D.npending--;
		if (ret == -EEXIST) {
			/* someone else's function took that index: forget it */
			dpud_record_remove(D.cfg.state_dir, x->name);
			D.dirty = true;
		}
		break;
	}
	case DPUD_ACT_FN_SET_TENANT:
		ret = dpu_fn_set_tenant(D.nl, dev, x->index, x->att->tenant,
					NULL);
		break;
	case DPUD_ACT_NIC_SETUP: {
		struct dpud_record r;
		struct dpud_record *recs = NULL;
		size_t n = 0, i;

		ret = dpud_nic_setup(x->ifindex, x->att, err, sizeof(err));
		if (ret) {
			D.actions_failed++;
			dpud_log("error", "NIC setup failed",
				 "name=%s index=%u error=\"%s\"", x->name,
				 x->index, err);
			return;
		}
		if (!dpud_records_load(D.cfg.state_dir, &recs, &n, err,
				       sizeof(err))) {
			for (i = 0; i < n; i++)
				if (!strcmp(recs[i].name, x->name)) {
					r = recs[i];
					r.nic_done = true;
					ret = dpud_record_save(D.cfg.state_dir,
							       &r);
				}
			free(recs);
		}
		break;
	}
	case DPUD_ACT_BLOCKED:
		dpud_log("warn", "attachment blocked", "name=%s why=\"%s\"",
			 x->name, x->why);
		return;
	}
	if (ret) {
		action_failed(x, ret);
		return;
	}
	dpud_log("info", "action done", "action=%s name=%s index=%u",
		 dpud_action_str(x->kind), x->name, x->index);
}

void reconcile(const char *why)
{
	char err[PATH_MAX + 64] = "";
	struct dpud_record *recs = NULL;
	struct dpud_action *acts = NULL;
	struct dpud_desired want;
	size_t nrecs = 0;
	int n, i, ret;

	D.reconciles++;
	ret = refresh_actual();
	if (ret) {
		snprintf(D.last_err, sizeof(D.last_err), "%s",
			 dpu_nl_errmsg(D.nl));
		dpud_log("error", "cannot dump the DPU", "device=%s error=%s extack=\"%s\"",
			 D.cfg.device, dpu_errno_name(ret) ?
			 dpu_errno_name(ret) : strerror(-ret), D.last_err);
		k8s_after_dump();	/* devices go unhealthy */
		return;
	}
	ret = dpud_records_load(D.cfg.state_dir, &recs, &nrecs, err,
				sizeof(err));
	if (ret) {
		/* nothing is planned without knowing what is ours */
		D.state_bad = true;
		dpud_log("error", "cannot read the state directory, reconcile stopped",
			 "dir=%s error=\"%s\"", D.cfg.state_dir, err);
		return;
	}
	D.state_bad = false;
	D.nrecs = (uint32_t)nrecs;
	/* what pods claimed (k8s.c) joins the desired state */
	if (k8s_desired(&D.desired, &want)) {
		free(recs);
		return;
	}
	n = dpud_plan(&want, &D.actual, recs, nrecs, random_mac, NULL,
		      &acts);
	if (n < 0) {
		dpud_log("error", "planner failed", "error=%d", n);
		k8s_desired_release(&want);
		free(recs);
		return;
	}
	if (want.natt || want.ntenants)
		D.seen_desired = true;
	if (n)
		dpud_log("info", "reconcile", "why=%s actions=%d functions=%zu records=%zu",
			 why, n, D.actual.nfns, nrecs);
	for (i = 0; i < n; i++) {
		/*
		 * An empty desired directory before it ever had anything
		 * (not mounted yet, a typo in desired_dir) would delete
		 * every attachment: keep them unless the config says so.
		 */
		if (!D.seen_desired && !D.cfg.delete_on_empty_start &&
		    (acts[i].kind == DPUD_ACT_FN_DEL ||
		     acts[i].kind == DPUD_ACT_RECORD_DROP)) {
			if (!D.empty_logged)
				dpud_log("warn", "desired state is empty: recorded attachments kept",
					 "dir=%s records=%zu hint=\"add attachments, or set delete_on_empty_start = yes\"",
					 D.cfg.desired_dir, nrecs);
			D.empty_logged = true;
			continue;
		}
		execute(&acts[i]);
	}
	/* the plan points into want: released after it ran */
	k8s_desired_release(&want);
	free(acts);
	free(recs);
	k8s_after_dump();
}

/* --------------------------------------------------------------- events */
int ev_fn(const struct dpu_fn_info *f, void *arg)
{
	int i;

	(void)arg;
	if (strcmp(f->dev, D.cfg.device))
		return 0;
	if (f->cmd == DPU_CMD_FN_SET)
		niclim_limits_event(f->index, f->tenant, f->limit_rate,
				    f->limit_burst);
	for (i = 0; i < D.npending; i++) {
		if (D.pending[i].index != f->index)
			continue;
		if (f->state == DPU_FN_STATE_READY)
			dpud_hist_observe(&D.attach, dpud_since(&D.pending[i].start));
		else if (f->state == DPU_FN_STATE_FAILED ||
			 f->state == DPU_FN_STATE_GONE)
			D.attach_failures++;
		else
			return 0;
		dpud_log("info", "function attach finished",
			 "index=%u state=%s seconds=%.3f", f->index,
			 dpu_fn_state_str(f->state), dpud_since(&D.pending[i].start));
		D.pending[i] = D.pending[--D.npending];
		break;
	}
	D.dirty = true;
	return 0;
}

int ev_tenant(const struct dpu_tenant_info *t, void *arg)
{
	(void)arg;
	if (!strcmp(t->dev, D.cfg.device) && t->cmd == DPU_CMD_TENANT_SET)
		niclim_limits_event(DPU_NL_NO_FN, t->name, t->limit_rate,
				    t->limit_burst);
	D.dirty = true;
	return 0;
}
