// SPDX-License-Identifier: GPL-2.0
/*
 * dpupool: the co-location QoS policy engine (see dpu_qos_engine.h).
 */
#include <linux/kernel.h>
#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/sort.h>
#include <linux/string.h>

#include "dpu_limits.h"
#include "dpu_qos_engine.h"

#define MSEC	1000000ULL

void dpu_qos_policy_default(struct dpu_qos_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->enabled = true;
	p->interval_ms = 5;
	p->cpu_threshold = 65;
	p->cpu_be_min = 100;
	p->cpu_hysteresis = 100;
	p->cpu_release_ms = 500;
	p->mem_high = 70;
	p->mem_low = 68;
	p->mem_reclaim_ms = 500;
	p->mem_cooldown_ms = 3000;
	p->io_be_iops = 500;
	p->io_be_bps = 20 << 20;
	p->cpu_window_ms = 10;
}

/* NULL if @p is consistent, else what is wrong with it */
const char *dpu_qos_policy_check(const struct dpu_qos_policy *p)
{
	if (p->interval_ms < 1 || p->interval_ms > 1000)
		return "sampling interval must be 1..1000 ms";
	if (p->cpu_threshold < 1 || p->cpu_threshold > 100)
		return "CPU threshold must be 1..100 percent";
	if (p->cpu_be_min > 1000 * 8192)
		return "BE CPU floor is larger than any node";
	if (p->cpu_hysteresis > 1000 * 8192)
		return "CPU hysteresis is larger than any node";
	if (p->cpu_release_ms > 60000)
		return "CPU release delay must be at most 60000 ms";
	if (p->mem_high > 99)
		return "memory high watermark must be 0..99 percent";
	if (p->mem_high && p->mem_low >= p->mem_high)
		return "memory low watermark must be below the high watermark";
	if (p->mem_reclaim_ms > 60000)
		return "memory reclaim time must be at most 60000 ms";
	if (p->mem_cooldown_ms > 600000)
		return "eviction cooldown must be at most 600000 ms";
	if (p->cpu_window_ms < p->interval_ms ||
	    p->cpu_window_ms > p->interval_ms * DPU_QOS_RING)
		return "CPU window must be 1 to 256 sampling intervals";
	if (p->io_be_iops > DPU_LIMIT_RATE_MAX ||
	    p->io_be_bps > DPU_LIMIT_RATE_MAX)
		return "BE I/O cap is above 1e12 per second";
	return NULL;
}

void dpu_qos_engine_init(struct dpu_qos_engine *e,
			 const struct dpu_qos_policy *pol)
{
	memset(e, 0, sizeof(*e));
	e->pol = *pol;
}

/* A new policy: the next sample decides afresh; evictions keep cooling. */
void dpu_qos_engine_set_policy(struct dpu_qos_engine *e,
			       const struct dpu_qos_policy *pol)
{
	e->pol = *pol;
	e->have_cpu = false;
	e->up_pending = false;
	e->reclaiming = false;
	e->d.reclaim = 0;
	e->d.nevict = 0;
	e->d.io_cap = false;
	e->ring_n = 0;
	e->ring_window = 0;
	e->ring_system = 0;
}

/* CPU time over the window in milli-CPUs, at most @cap */
static u32 mcpu(u64 ns, u64 window_ns, u32 cap)
{
	u64 m = div64_u64(ns * 1000 + window_ns / 2, window_ns);

	return (u32)min_t(u64, m, cap);
}

/**
 * dpu_qos_cpu_target() - BE's CPU budget by the formula, for one sample
 * @p: the policy
 * @s: the sample (window_ns and ncpus non-zero)
 * @online: set to the online use, milli-CPUs
 * @system: set to the system use, milli-CPUs
 *
 * Return: total * threshold - online - system, at least the floor and at
 * most the node, in milli-CPUs.
 */
u32 dpu_qos_cpu_target(const struct dpu_qos_policy *p,
		       const struct dpu_qos_sample *s, u32 *online,
		       u32 *system)
{
	u32 total = s->ncpus * 1000;
	s64 t;

	*online = mcpu(s->class_ns[DPU_QOS_CLASS_HLS] +
		       s->class_ns[DPU_QOS_CLASS_LS], s->window_ns, total);
	*system = mcpu(s->class_ns[DPU_QOS_CLASS_NONE], s->window_ns, total);
	t = (s64)div_u64((u64)total * p->cpu_threshold, 100) - *online -
	    *system;
	t = max_t(s64, t, p->cpu_be_min);
	return (u32)min_t(s64, t, total);
}

/*
 * @s with its CPU times averaged: online use over the policy's window
 * (the newest samples until they span it), so that online work is seen
 * within a few samples; system use over all the samples kept (up to 256
 * intervals, 1.28 s by default), so that short-lived processes do not
 * swing the budget.
 */
static void dpu_qos_average(struct dpu_qos_engine *e,
			    const struct dpu_qos_sample *s,
			    struct dpu_qos_sample *avg)
{
	u64 want = (u64)e->pol.cpu_window_ms * MSEC, w = 0, on = 0;
	u32 i, k;

	/* the slot written now drops out of the running sums */
	if (e->ring_n == DPU_QOS_RING) {
		e->ring_window -= e->ring[e->ring_head].window_ns;
		e->ring_system -= e->ring[e->ring_head].system_ns;
	}
	e->ring[e->ring_head].window_ns = s->window_ns;
	e->ring[e->ring_head].online_ns = s->class_ns[DPU_QOS_CLASS_HLS] +
					  s->class_ns[DPU_QOS_CLASS_LS];
	e->ring[e->ring_head].system_ns = s->class_ns[DPU_QOS_CLASS_NONE];
	e->ring_window += s->window_ns;
	e->ring_system += s->class_ns[DPU_QOS_CLASS_NONE];
	e->ring_head = (e->ring_head + 1) % DPU_QOS_RING;
	e->ring_n = min(e->ring_n + 1, (u32)DPU_QOS_RING);
	/* online: only the newest few samples */
	for (i = 0; i < e->ring_n && w < want; i++) {
		k = (e->ring_head + DPU_QOS_RING - 1 - i) % DPU_QOS_RING;
		w += e->ring[k].window_ns;
		on += e->ring[k].online_ns;
	}
	/* both as CPU time over the online window */
	*avg = *s;
	avg->window_ns = w;
	avg->class_ns[DPU_QOS_CLASS_HLS] = 0;
	avg->class_ns[DPU_QOS_CLASS_LS] = on;
	avg->class_ns[DPU_QOS_CLASS_NONE] = e->ring_window ?
		mul_u64_u64_div_u64(e->ring_system, w, e->ring_window) : 0;
}

static void step_cpu(struct dpu_qos_engine *e, const struct dpu_qos_sample *s,
		     u32 *changed)
{
	const struct dpu_qos_policy *p = &e->pol;
	struct dpu_qos_decision *d = &e->d;
	u32 target, online, system;
	struct dpu_qos_sample avg;

	dpu_qos_average(e, s, &avg);
	target = dpu_qos_cpu_target(p, &avg, &online, &system);
	if (!e->have_cpu) {
		e->have_cpu = true;
		goto set;
	}
	/* lower: at once, past a dead band of a quarter of the hysteresis */
	if (target < d->be_cpu &&
	    d->be_cpu - target >= max(p->cpu_hysteresis / 4, 1U)) {
		e->up_pending = false;
		goto set;
	}
	if (target < d->be_cpu + p->cpu_hysteresis || target <= d->be_cpu) {
		e->up_pending = false;
		return;
	}
	/* higher: only once it has held for the release delay */
	if (!e->up_pending) {
		e->up_pending = true;
		e->up_since = s->now_ns;
		e->up_min = target;
	} else {
		e->up_min = min(e->up_min, target);
	}
	if (s->now_ns - e->up_since < (u64)p->cpu_release_ms * MSEC)
		return;
	e->up_pending = false;
	target = e->up_min;
set:
	if (target == d->be_cpu && d->seq)
		return;		/* the same budget: nothing to announce */
	d->be_cpu = target;
	d->online_cpu = online;
	d->system_cpu = system;
	*changed |= DPU_QOS_CHANGE_CPU;
}

static int cand_cmp(const void *a, const void *b)
{
	const struct dpu_qos_cand *x = a, *y = b;

	if (x->prio != y->prio)
		return x->prio < y->prio ? -1 : 1;
	if (x->since != y->since)
		return x->since > y->since ? -1 : 1;	/* newest first */
	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return 0;
}

static void step_mem(struct dpu_qos_engine *e, const struct dpu_qos_sample *s,
		     struct dpu_qos_cand *cands, u32 ncands, u32 *changed)
{
	const struct dpu_qos_policy *p = &e->pol;
	struct dpu_qos_decision *d = &e->d;
	u64 used = min(s->mem_used, s->mem_total), high, low, need, got;
	u32 i;

	if (!p->mem_high || !s->mem_total) {
		if (e->reclaiming) {
			e->reclaiming = false;
			d->reclaim = 0;
			*changed |= DPU_QOS_CHANGE_RECLAIM;
		}
		return;
	}
	high = div_u64(s->mem_total, 100) * p->mem_high;
	low = div_u64(s->mem_total, 100) * p->mem_low;
	if (!e->reclaiming && used >= high) {
		e->reclaiming = true;
		e->reclaim_since = s->now_ns;
		d->reclaim = used - low;
		*changed |= DPU_QOS_CHANGE_RECLAIM;
		return;
	}
	if (e->reclaiming && used < low) {
		e->reclaiming = false;
		d->reclaim = 0;
		*changed |= DPU_QOS_CHANGE_RECLAIM;
		return;
	}
	if (!e->reclaiming || used <= low ||
	    s->now_ns - e->reclaim_since < (u64)p->mem_reclaim_ms * MSEC)
		return;
	if (e->evicted_once &&
	    s->now_ns - e->last_evict < (u64)p->mem_cooldown_ms * MSEC)
		return;
	/* reclaim was not enough: evict until what goes covers the excess */
	need = used - low;
	sort(cands, ncands, sizeof(*cands), cand_cmp, NULL);
	got = 0;
	for (i = 0; i < ncands && got < need && d->nevict < DPU_QOS_MAX_EVICT;
	     i++) {
		if (!cands[i].mem)
			continue;	/* evicting it frees nothing */
		d->evict[d->nevict] = cands[i].id;
		d->evict_mem[d->nevict] = cands[i].mem;
		d->nevict++;
		got += cands[i].mem;
	}
	if (!d->nevict)
		return;
	d->reclaim = need;
	e->evicted_once = true;
	e->last_evict = s->now_ns;
	*changed |= DPU_QOS_CHANGE_EVICT;
}

/**
 * dpu_qos_io_saturated() - is a DPU's block I/O at its capacity
 * @iops: its load, I/Os per second
 * @bps: bytes per second
 * @cap_iops: the I/Os per second it can carry, 0: unknown
 * @cap_bps: the bytes per second, 0: unknown
 *
 * Return: true at 95% or more of a known capacity.
 */
bool dpu_qos_io_saturated(u64 iops, u64 bps, u64 cap_iops, u64 cap_bps)
{
	/* 95%, without overflow whatever the DPU reports */
	return (cap_iops && iops >= cap_iops - div_u64(cap_iops, 20)) ||
	       (cap_bps && bps >= cap_bps - div_u64(cap_bps, 20));
}

/**
 * dpu_qos_io_contended() - do online tenants compete with BE on a DPU
 * @saturated: it is saturated now
 * @online_active: its online tenants did I/O lately
 * @was: it was contended at the last look
 * @capped: BE tenants are capped now
 *
 * Capping BE may bring the load under the capacity: a DPU that was
 * contended stays so while BE is capped and its online tenants keep doing
 * I/O; it is free again once they stop.
 *
 * Return: true if BE tenants should be capped for it.
 */
bool dpu_qos_io_contended(bool saturated, bool online_active, bool was,
			  bool capped)
{
	return online_active && (saturated || (was && capped));
}

static void step_io(struct dpu_qos_engine *e, const struct dpu_qos_sample *s,
		    u32 *changed)
{
	const struct dpu_qos_policy *p = &e->pol;
	struct dpu_qos_decision *d = &e->d;

	if (!p->io_be_iops && !p->io_be_bps) {
		if (d->io_cap) {
			d->io_cap = false;
			*changed |= DPU_QOS_CHANGE_IO;
		}
		return;
	}
	if (s->io_online_held || s->io_saturated) {
		e->io_last_held = s->now_ns;
		if (!d->io_cap) {
			d->io_cap = true;
			*changed |= DPU_QOS_CHANGE_IO;
		}
	} else if (d->io_cap &&
		   s->now_ns - e->io_last_held >= (u64)p->cpu_release_ms * MSEC) {
		d->io_cap = false;
		*changed |= DPU_QOS_CHANGE_IO;
	}
}

/**
 * dpu_qos_step() - decide on one sample
 * @e: the engine
 * @s: the sample
 * @cands: BE cgroups that may be evicted (sorted in place)
 * @ncands: how many
 *
 * Return: &enum dpu_qos_change bits of what changed in @e->d (0: nothing
 * to announce). @e->d.nevict is only non-zero in the step that evicts.
 */
u32 dpu_qos_step(struct dpu_qos_engine *e, const struct dpu_qos_sample *s,
		 struct dpu_qos_cand *cands, u32 ncands)
{
	u32 changed = 0;

	e->d.nevict = 0;
	if (!e->pol.enabled || !s->window_ns || !s->ncpus)
		return 0;
	step_cpu(e, s, &changed);
	step_mem(e, s, cands, ncands, &changed);
	step_io(e, s, &changed);
	if (changed) {
		e->d.seq++;
		e->d.changed = changed;
	}
	return changed;
}
