// SPDX-License-Identifier: GPL-2.0-or-later
/* dpud: the reconcile planner, a pure function of desired state, actual
 * state (netlink dump) and dpud's records of what it created. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dpud.h"

struct plan {
	struct dpud_action *a;
	size_t n, cap;
	int err;
};

static struct dpud_action *push(struct plan *p, enum dpud_action_kind k,
				const char *name)
{
	struct dpud_action *na;

	if (p->err)
		return NULL;
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;

		na = realloc(p->a, cap * sizeof(*na));
		if (!na) {
			p->err = -ENOMEM;
			return NULL;
		}
		p->a = na;
		p->cap = cap;
	}
	na = &p->a[p->n++];
	memset(na, 0, sizeof(*na));
	na->kind = k;
	if (name)
		snprintf(na->name, sizeof(na->name), "%s", name);
	return na;
}

static const struct dpud_actual_fn *find_fn(const struct dpud_actual *a,
					    uint32_t index)
{
	size_t i;

	for (i = 0; i < a->nfns; i++)
		if (a->fns[i].index == index)
			return &a->fns[i];
	return NULL;
}

static const struct dpud_actual_tenant *
find_tenant(const struct dpud_actual *a, const char *name)
{
	size_t i;

	for (i = 0; i < a->ntenants; i++)
		if (!strcmp(a->tenants[i].name, name))
			return &a->tenants[i];
	return NULL;
}

const struct dpud_record *dpud_record_find(const struct dpud_record *r,
					   size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(r[i].name, name))
			return &r[i];
	return NULL;
}

static const struct dpud_attach_spec *find_att(const struct dpud_desired *d,
					       const char *name)
{
	size_t i;

	for (i = 0; i < d->natt; i++)
		if (!strcmp(d->att[i].name, name))
			return &d->att[i];
	return NULL;
}

/* Is the function at the record's index the one dpud created? */
static bool rec_matches(const struct dpud_record *r,
			const struct dpud_actual_fn *f)
{
	if (f->type != r->type)
		return false;
	if (r->type == DPU_FN_TYPE_BLK)
		return f->size == r->size;
	if (r->has_mac && f->has_mac)
		return !memcmp(r->mac, f->mac, 6);
	return true;
}

static bool limits_differ(const struct dpud_tenant_spec *t,
			  const struct dpud_actual_tenant *at)
{
	int k;

	if (!t->has_limits)
		return false;
	for (k = 0; k < DPU_LIMIT_KINDS; k++) {
		if (at->limit_rate[k] != (t->lim.has_rate[k] ? t->lim.rate[k] : 0))
			return true;
		if (t->lim.has_burst[k] && at->limit_burst[k] != t->lim.burst[k])
			return true;
	}
	return false;
}

static void default_mac(uint8_t mac[6], void *arg)
{
	(void)arg;
	memcpy(mac, "\x02\0\0\0\0\x01", 6);
}

const char *dpud_action_str(enum dpud_action_kind k)
{
	switch (k) {
	case DPUD_ACT_TENANT_NEW: return "tenant-new";
	case DPUD_ACT_TENANT_SET: return "tenant-set";
	case DPUD_ACT_FN_DEL: return "fn-del";
	case DPUD_ACT_RECORD_DROP: return "record-drop";
	case DPUD_ACT_FN_NEW: return "fn-new";
	case DPUD_ACT_FN_SET_TENANT: return "fn-set-tenant";
	case DPUD_ACT_NIC_SETUP: return "nic-setup";
	case DPUD_ACT_BLOCKED: return "blocked";
	}
	return "?";
}

/* index taken by a function, a record (of any name) or this plan */
static bool index_taken(const struct dpud_actual *a,
			const struct dpud_record *recs, size_t nrecs,
			const struct plan *p, uint32_t idx)
{
	size_t i;

	if (find_fn(a, idx))
		return true;
	for (i = 0; i < nrecs; i++)
		if (recs[i].index == idx)
			return true;
	for (i = 0; i < p->n; i++)
		if (p->a[i].kind == DPUD_ACT_FN_NEW && p->a[i].index == idx)
			return true;
	return false;
}

int dpud_plan(const struct dpud_desired *d, const struct dpud_actual *a,
	      const struct dpud_record *recs, size_t nrecs,
	      dpud_mac_gen gen, void *gen_arg, struct dpud_action **out)
{
	struct plan p = { 0 };
	bool *done = calloc(d->ntenants + 1, sizeof(bool));
	bool progress = true;
	struct dpud_action *x;
	size_t i, j;

	if (!done)
		return -ENOMEM;
	if (!gen)
		gen = default_mac;

	/* 1. tenants, parents first */
	while (progress) {
		progress = false;
		for (i = 0; i < d->ntenants; i++) {
			const struct dpud_tenant_spec *t = &d->tenants[i];
			const struct dpud_actual_tenant *at;
			bool parent_ok = !t->parent[0] ||
					 find_tenant(a, t->parent);

			if (done[i])
				continue;
			for (j = 0; !parent_ok && j < d->ntenants; j++)
				if (done[j] &&
				    !strcmp(d->tenants[j].name, t->parent))
					parent_ok = true;
			if (!parent_ok)
				continue;
			done[i] = true;
			progress = true;
			at = find_tenant(a, t->name);
			if (!at) {
				x = push(&p, DPUD_ACT_TENANT_NEW, t->name);
				if (x)
					x->tenant = t;
			} else if (limits_differ(t, at) ||
				   strcmp(at->parent, t->parent)) {
				x = push(&p, DPUD_ACT_TENANT_SET, t->name);
				if (x)
					x->tenant = t;
			}
		}
	}
	for (i = 0; i < d->ntenants; i++)
		if (!done[i]) {
			x = push(&p, DPUD_ACT_BLOCKED, d->tenants[i].name);
			if (x)
				snprintf(x->why, sizeof(x->why),
					 "parent tenant '%s' does not exist",
					 d->tenants[i].parent);
		}

	/* 2. records of functions no longer desired: delete what is ours */
	for (i = 0; i < nrecs; i++) {
		const struct dpud_record *r = &recs[i];
		const struct dpud_actual_fn *f;

		if (find_att(d, r->name))
			continue;
		f = find_fn(a, r->index);
		if (!f || !rec_matches(r, f)) {
			push(&p, DPUD_ACT_RECORD_DROP, r->name);
			continue;
		}
		if (f->state == DPU_FN_STATE_REMOVING)
			continue;
		x = push(&p, DPUD_ACT_FN_DEL, r->name);
		if (x)
			x->index = r->index;
	}

	/* 3. desired attachments */
	for (i = 0; i < d->natt; i++) {
		const struct dpud_attach_spec *s = &d->att[i];
		const struct dpud_record *r = dpud_record_find(recs, nrecs, s->name);
		const struct dpud_actual_fn *f = r ? find_fn(a, r->index) : NULL;
		bool tenant_ok = find_tenant(a, s->tenant) != NULL;
		uint32_t idx;

		for (j = 0; !tenant_ok && j < d->ntenants; j++)
			if (done[j] && !strcmp(d->tenants[j].name, s->tenant))
				tenant_ok = true;

		if (f && rec_matches(r, f) && f->type == s->type) {
			if (f->state == DPU_FN_STATE_FAILED) {
				/* recreated at the same index once gone */
				x = push(&p, DPUD_ACT_FN_DEL, s->name);
				if (x)
					x->index = f->index;
				continue;
			}
			if (f->state != DPU_FN_STATE_READY &&
			    f->state != DPU_FN_STATE_CREATING)
				continue;
			if (strcmp(f->tenant, s->tenant) && tenant_ok) {
				x = push(&p, DPUD_ACT_FN_SET_TENANT, s->name);
				if (x) {
					x->att = s;
					x->index = f->index;
				}
			}
			if (f->state == DPU_FN_STATE_READY &&
			    s->type == DPU_FN_TYPE_NET && !r->nic_done) {
				x = push(&p, DPUD_ACT_NIC_SETUP, s->name);
				if (x) {
					x->att = s;
					x->index = f->index;
					x->ifindex = f->ifindex;
				}
			}
			continue;
		}
		/* a record of another type (the attachment changed type,
		 * or the record lost its index to someone else) */
		if (f && rec_matches(r, f)) {
			x = push(&p, DPUD_ACT_FN_DEL, s->name);
			if (x)
				x->index = f->index;
			continue;
		}
		if (!tenant_ok) {
			x = push(&p, DPUD_ACT_BLOCKED, s->name);
			if (x)
				snprintf(x->why, sizeof(x->why),
					 "tenant '%s' does not exist",
					 s->tenant);
			continue;
		}
		if (r && !f && r->type == s->type &&
		    !index_taken(a, NULL, 0, &p, r->index)) {
			idx = r->index;		/* retry where we said */
		} else {
			for (idx = 0; idx < a->max_fns; idx++)
				if (!index_taken(a, recs, nrecs, &p, idx))
					break;
			if (idx >= a->max_fns) {
				x = push(&p, DPUD_ACT_BLOCKED, s->name);
				if (x)
					snprintf(x->why, sizeof(x->why),
						 "no free function slot");
				continue;
			}
		}
		x = push(&p, DPUD_ACT_FN_NEW, s->name);
		if (!x)
			break;
		x->att = s;
		x->index = idx;
		snprintf(x->rec.name, sizeof(x->rec.name), "%s", s->name);
		x->rec.index = idx;
		x->rec.type = s->type;
		if (s->type == DPU_FN_TYPE_BLK) {
			x->rec.size = s->size;
		} else {
			x->rec.has_mac = true;
			if (r && r->type == s->type && r->has_mac && !s->has_mac)
				memcpy(x->rec.mac, r->mac, 6);
			else if (s->has_mac)
				memcpy(x->rec.mac, s->mac, 6);
			else
				gen(x->rec.mac, gen_arg);
		}
	}
	free(done);
	if (p.err) {
		free(p.a);
		return p.err;
	}
	*out = p.a;
	return (int)p.n;
}

/* Kubernetes slots (k8s.c): want[type] offered if free allows, else free
 * shared in proportion to what is wanted, never more than wanted. */
void dpud_slots_split(uint32_t free_slots, const uint32_t want[2],
		      uint32_t out[2])
{
	uint64_t total = (uint64_t)want[0] + want[1];
	int i;

	if (total <= free_slots) {
		out[0] = want[0];
		out[1] = want[1];
		return;
	}
	out[0] = (uint32_t)((uint64_t)free_slots * want[0] / total);
	out[1] = free_slots - out[0];
	for (i = 0; i < 2; i++)
		if (out[i] > want[i]) {
			out[1 - i] += out[i] - want[i];
			out[i] = want[i];
		}
}
