// SPDX-License-Identifier: GPL-2.0
/* Build the template Node the autoscaler simulates scale-ups with: the
 * group's capacity, allocatable (capacity minus reserve, plus pods and the
 * extended resources), labels, taints and a Ready condition.  What the
 * group's hosts report (inv_group_reported) beats the configured shape and
 * adds the DPU function slots and the best-effort tier as extended
 * resources; a configured resource of the same name wins. */
#include "template.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "k8s/core_v1.pb-c.h"

typedef K8s__Io__Api__Core__V1__NodeStatus__CapacityEntry CapEntry;
typedef K8s__Io__Api__Core__V1__NodeStatus__AllocatableEntry AllocEntry;
typedef K8s__Io__Apimachinery__Pkg__Api__Resource__Quantity Quantity;
typedef K8s__Io__Apimachinery__Pkg__Apis__Meta__V1__ObjectMeta__LabelsEntry LabelEntry;

#define NRES (3 + PCFG_KV_MAX + INV_SLOT_TYPES_MAX + 2)
#define NLAB (8 + PCFG_KV_MAX)

struct res {
	char key[PCFG_STR_MAX];
	char cap[64], alloc[64];
};

static int configured(const struct pcfg_group *g, const char *key)
{
	for (size_t i = 0; i < g->nresources; i++)
		if (!strcmp(g->resources[i].key, key))
			return 1;
	return 0;
}

/* a reported extended resource, unless the group configures the same key */
static void add_reported(const struct pcfg_group *g, struct res *r, size_t *nr,
			 const char *key, int64_t cap, int64_t alloc)
{
	if (configured(g, key))
		return;
	if (alloc > cap)
		alloc = cap;
	snprintf(r[*nr].key, sizeof(r[*nr].key), "%s", key);
	snprintf(r[*nr].cap, sizeof(r[*nr].cap), "%lld", (long long)cap);
	snprintf(r[*nr].alloc, sizeof(r[*nr].alloc), "%lld", (long long)alloc);
	(*nr)++;
}

int tmpl_node(const struct pcfg_group *g, const struct inv_reported *rep,
	      uint8_t **buf, size_t *len)
{
	struct res r[NRES];
	size_t nr = 0;

	/* shape: the smallest the group's hosts report, else the configured */
	int64_t cpu = g->cpu_milli, mem = g->mem_bytes, pods = g->pods;
	int64_t rcpu = g->reserved_cpu_milli, rmem = g->reserved_mem_bytes;
	if (rep && rep->hosts > 0) {
		cpu = rep->cpu_milli;
		mem = rep->mem_bytes;
		if (rep->pods > 0)
			pods = rep->pods;
		if (rcpu > cpu)
			rcpu = cpu;
		if (rmem > mem)
			rmem = mem;
	}

	/* resources */
	snprintf(r[nr].key, sizeof(r[nr].key), "cpu");
	pcfg_fmt_cpu(cpu, r[nr].cap, sizeof(r[nr].cap));
	pcfg_fmt_cpu(cpu - rcpu, r[nr].alloc, sizeof(r[nr].alloc));
	nr++;
	snprintf(r[nr].key, sizeof(r[nr].key), "memory");
	pcfg_fmt_bytes(mem, r[nr].cap, sizeof(r[nr].cap));
	pcfg_fmt_bytes(mem - rmem, r[nr].alloc, sizeof(r[nr].alloc));
	nr++;
	snprintf(r[nr].key, sizeof(r[nr].key), "pods");
	snprintf(r[nr].cap, sizeof(r[nr].cap), "%lld", (long long)pods);
	snprintf(r[nr].alloc, sizeof(r[nr].alloc), "%lld", (long long)pods);
	nr++;
	for (size_t i = 0; i < g->nresources; i++, nr++) {
		snprintf(r[nr].key, sizeof(r[nr].key), "%s", g->resources[i].key);
		snprintf(r[nr].cap, sizeof(r[nr].cap), "%s", g->resources[i].value);
		snprintf(r[nr].alloc, sizeof(r[nr].alloc), "%s", g->resources[i].value);
	}
	if (rep && rep->hosts > 0) {
		/* DPU function slots: a new host has at least the smallest
		 * total and looks like the least-used peer */
		for (size_t i = 0; i < rep->nslots && i < INV_SLOT_TYPES_MAX; i++) {
			char key[sizeof(TMPL_DPU_PREFIX) + INV_SLOT_TYPE_LEN];
			snprintf(key, sizeof(key), TMPL_DPU_PREFIX "%s", rep->slots[i].type);
			add_reported(g, r, &nr, key, rep->slots[i].total, rep->slots[i].free);
		}
		/* best-effort tier: the largest headroom, at most allocatable */
		int64_t bcpu = rep->hr_cpu_milli, bmem = rep->hr_mem_bytes;
		if (bcpu > cpu - rcpu)
			bcpu = cpu - rcpu;
		if (bmem > mem - rmem)
			bmem = mem - rmem;
		add_reported(g, r, &nr, TMPL_BATCH_CPU, bcpu, bcpu);
		add_reported(g, r, &nr, TMPL_BATCH_MEMORY, bmem, bmem);
	}

	Quantity qc[NRES], qa[NRES];
	CapEntry ce[NRES], *cep[NRES];
	AllocEntry ae[NRES], *aep[NRES];
	for (size_t i = 0; i < nr; i++) {
		k8s__io__apimachinery__pkg__api__resource__quantity__init(&qc[i]);
		k8s__io__apimachinery__pkg__api__resource__quantity__init(&qa[i]);
		qc[i].string = r[i].cap;
		qa[i].string = r[i].alloc;
		k8s__io__api__core__v1__node_status__capacity_entry__init(&ce[i]);
		ce[i].key = r[i].key;
		ce[i].value = &qc[i];
		cep[i] = &ce[i];
		k8s__io__api__core__v1__node_status__allocatable_entry__init(&ae[i]);
		ae[i].key = r[i].key;
		ae[i].value = &qa[i];
		aep[i] = &ae[i];
	}

	/* labels: well-known ones first, the group's own may override */
	char name[PCFG_NAME_MAX + 32];
	snprintf(name, sizeof(name), "dpupool-template-%s", g->id);
	struct { const char *k, *v; } lab[NLAB];
	size_t nl = 0;
	lab[nl].k = "kubernetes.io/os"; lab[nl++].v = g->os;
	lab[nl].k = "kubernetes.io/arch"; lab[nl++].v = g->arch;
	lab[nl].k = "beta.kubernetes.io/os"; lab[nl++].v = g->os;
	lab[nl].k = "beta.kubernetes.io/arch"; lab[nl++].v = g->arch;
	lab[nl].k = "kubernetes.io/hostname"; lab[nl++].v = name;
	lab[nl].k = "node.kubernetes.io/instance-type"; lab[nl++].v = g->id;
	lab[nl].k = "dpupool.io/node-group"; lab[nl++].v = g->id;
	for (size_t i = 0; i < g->nlabels; i++) {
		size_t j;
		for (j = 0; j < nl; j++)
			if (!strcmp(lab[j].k, g->labels[i].key))
				break;
		lab[j].k = g->labels[i].key;
		lab[j].v = g->labels[i].value;
		if (j == nl)
			nl++;
	}
	LabelEntry le[NLAB], *lep[NLAB];
	for (size_t i = 0; i < nl; i++) {
		k8s__io__apimachinery__pkg__apis__meta__v1__object_meta__labels_entry__init(&le[i]);
		le[i].key = (char *)lab[i].k;
		le[i].value = (char *)lab[i].v;
		lep[i] = &le[i];
	}

	K8s__Io__Apimachinery__Pkg__Apis__Meta__V1__ObjectMeta meta;
	k8s__io__apimachinery__pkg__apis__meta__v1__object_meta__init(&meta);
	meta.name = name;
	meta.n_labels = nl;
	meta.labels = lep;

	K8s__Io__Api__Core__V1__Taint t[PCFG_KV_MAX], *tp[PCFG_KV_MAX];
	for (size_t i = 0; i < g->ntaints; i++) {
		k8s__io__api__core__v1__taint__init(&t[i]);
		t[i].key = (char *)g->taints[i].key;
		t[i].value = (char *)g->taints[i].value;
		t[i].effect = (char *)g->taints[i].effect;
		tp[i] = &t[i];
	}
	K8s__Io__Api__Core__V1__NodeSpec spec;
	k8s__io__api__core__v1__node_spec__init(&spec);
	spec.n_taints = g->ntaints;
	spec.taints = tp;

	K8s__Io__Apimachinery__Pkg__Apis__Meta__V1__Time now;
	k8s__io__apimachinery__pkg__apis__meta__v1__time__init(&now);
	now.has_seconds = 1;
	now.seconds = time(NULL);
	K8s__Io__Api__Core__V1__NodeCondition ready, *condp[1] = { &ready };
	k8s__io__api__core__v1__node_condition__init(&ready);
	ready.type = "Ready";
	ready.status = "True";
	ready.reason = "KubeletReady";
	ready.message = "template node of a dpupool node group";
	ready.lastheartbeattime = &now;
	ready.lasttransitiontime = &now;

	K8s__Io__Api__Core__V1__NodeSystemInfo info;
	k8s__io__api__core__v1__node_system_info__init(&info);
	info.operatingsystem = (char *)g->os;
	info.architecture = (char *)g->arch;

	K8s__Io__Api__Core__V1__NodeStatus status;
	k8s__io__api__core__v1__node_status__init(&status);
	status.n_capacity = nr;
	status.capacity = cep;
	status.n_allocatable = nr;
	status.allocatable = aep;
	status.phase = "Running";
	status.n_conditions = 1;
	status.conditions = condp;
	status.nodeinfo = &info;

	K8s__Io__Api__Core__V1__Node node;
	k8s__io__api__core__v1__node__init(&node);
	node.metadata = &meta;
	node.spec = &spec;
	node.status = &status;

	*len = k8s__io__api__core__v1__node__get_packed_size(&node);
	*buf = malloc(*len ? *len : 1);
	if (!*buf)
		return -1;
	k8s__io__api__core__v1__node__pack(&node, *buf);
	return 0;
}
