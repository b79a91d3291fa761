// SPDX-License-Identifier: GPL-2.0
/*
 * dpupool: co-location QoS hooks on a stock kernel.
 *
 * Classified cgroups (HLS, LS, BE; descendants inherit) are kept in a
 * list and an xarray. A probe on the sched_switch tracepoint charges each
 * CPU's time to the class of the task that ran (a per-CPU cache keyed by
 * the cgroup id and a generation makes the lookup a compare in the common
 * case); the sampler, an hrtimer every policy interval, adds up the
 * per-CPU counters (and the interval running now), reads memory in use
 * and what BE cgroups hold, and runs the policy engine. A changed decision
 * goes out on the qos multicast group at once. The probe and the sampler
 * run only while something is classified and the policy is enabled.
 *
 * BE tenants: while online tenants' I/O is held back by their limits, or a
 * DPU they use is saturated (its block I/O at 95% of the capacity the
 * backend reports; io_watch measures it over 100 ms), the decision caps BE
 * tenants (io_apply, dpu_tenant.c).
 */
#include <linux/blkdev.h>
#include <linux/cgroup.h>
#include <linux/math64.h>
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/part_stat.h>
#include <linux/percpu.h>
#include <linux/sched.h>
#include <linux/sched/clock.h>
#include <linux/seqlock.h>
#include <linux/slab.h>
#include <linux/tracepoint.h>

#include "dpu.h"
#include "dpu_qos.h"

struct dpu_qos_state dpu_qos;

/**
 * struct dpu_qos_pcpu - one CPU's accounting, written by its probe only
 * @seq: the sampler reads a consistent copy
 * @last: when the running task started, local_clock() ns (0: not yet)
 * @cur: its slot (class, or idle)
 * @ns: time per slot
 * @cache_id: cgroup id of the last lookup
 * @cache_gen: &dpu_qos_state.gen at that lookup
 * @cache_class: its result
 */
struct dpu_qos_pcpu {
	seqcount_t seq;
	u64 last;
	u8 cur;
	u64 ns[DPU_QOS_NR_SLOTS];
	u64 cache_id;
	u32 cache_gen;
	u8 cache_class;
};

/* what the sampler saw of each CPU last time, under eng_lock */
struct dpu_qos_seen {
	u64 ns[DPU_QOS_NR_SLOTS];
};

static struct dpu_qos_pcpu __percpu *dpu_qos_pcpu;
/* to have a CPU look at its running task again, see dpu_qos_tick() */
static DEFINE_PER_CPU(call_single_data_t, dpu_qos_csd);
static u32 dpu_qos_seen_gen;
static struct dpu_qos_seen __percpu *dpu_qos_seen;
static struct tracepoint *dpu_qos_tp, *dpu_qos_attach_tp;
static bool dpu_qos_exiting;
/* the sampler's candidates, under eng_lock */
static struct dpu_qos_cand dpu_qos_cands[DPU_QOS_MAX_CGROUPS];

#define DPU_QOS_IO_WATCH_MS	20
/* a CPU that has not switched for this long looks at its task again */
#define DPU_QOS_RECHECK_NS	(20 * NSEC_PER_MSEC)

/* Class of @t's cgroup or of its nearest classified ancestor. */
static u8 dpu_qos_class_of(struct dpu_qos_pcpu *pc, struct task_struct *t)
{
	u32 gen = atomic_read(&dpu_qos.gen);
	u8 cls = DPU_QOS_CLASS_NONE;
	struct dpu_qos_cg *c;
	struct cgroup *cg;
	u64 id;

	rcu_read_lock();
	cg = task_dfl_cgroup(t);
	id = cgroup_id(cg);
	if (id == pc->cache_id && gen == pc->cache_gen) {
		cls = pc->cache_class;
		goto out;
	}
	for (; cg; cg = cgroup_parent(cg)) {
		c = xa_load(&dpu_qos.xa, (u32)cgroup_id(cg));
		if (c && c->id == cgroup_id(cg)) {
			cls = READ_ONCE(c->class);
			break;
		}
	}
	pc->cache_id = id;
	pc->cache_gen = gen;
	pc->cache_class = cls;
out:
	rcu_read_unlock();
	return cls;
}

/*
 * This CPU's time since the last look goes to the slot of the task that
 * ran; from now on, to @t's. Interrupts off (or in the scheduler).
 */
static void dpu_qos_charge(struct task_struct *t)
{
	struct dpu_qos_pcpu *pc = this_cpu_ptr(dpu_qos_pcpu);
	u8 slot = is_idle_task(t) ? DPU_QOS_SLOT_IDLE : dpu_qos_class_of(pc, t);
	u64 now = local_clock();

	raw_write_seqcount_begin(&pc->seq);
	if (pc->last && now > pc->last)
		pc->ns[pc->cur] += now - pc->last;
	pc->last = now;
	pc->cur = slot;
	raw_write_seqcount_end(&pc->seq);
}

/* sched_switch: prev's time is charged, next's begins */
static void dpu_qos_switch(void *data, bool preempt, struct task_struct *prev,
			   struct task_struct *next, unsigned int prev_state)
{
	dpu_qos_charge(next);
}

/*
 * On a CPU, in an IPI (or with interrupts off): the running task may have
 * changed class without a switch (moved to another cgroup, or the cgroup
 * classified): close its interval and go on with its class of now.
 */
static void dpu_qos_refresh(void *info)
{
	dpu_qos_charge(current);
}

/*
 * cgroup_attach_task: a task moved to another cgroup. If it is running, its
 * CPU looks at it again now rather than at its next switch (a busy task
 * may not switch for long). Called with a spinlock held, interrupts off.
 */
static void dpu_qos_attach(void *data, struct cgroup *dst, const char *path,
			   struct task_struct *task, bool threadgroup)
{
	struct task_struct *t = task;
	int cpu;

	rcu_read_lock();
	do {
		if (READ_ONCE(t->on_cpu)) {
			cpu = task_cpu(t);
			smp_call_function_single_async(cpu,
						       per_cpu_ptr(&dpu_qos_csd, cpu));
		}
		if (!threadgroup)
			break;
		t = next_thread(t);
	} while (t != task);
	rcu_read_unlock();
}

static void dpu_qos_noop(void *info)
{
}

static void dpu_qos_find_tp(struct tracepoint *tp, void *priv)
{
	if (!strcmp(tp->name, "sched_switch"))
		dpu_qos_tp = tp;
	else if (!strcmp(tp->name, "cgroup_attach_task"))
		dpu_qos_attach_tp = tp;
}

/* @cpu's time per slot, the interval running now included */
static void dpu_qos_read_cpu(int cpu, u64 now, u64 *ns)
{
	struct dpu_qos_pcpu *pc = per_cpu_ptr(dpu_qos_pcpu, cpu);
	unsigned int seq;
	u64 last;
	u8 cur;

	do {
		seq = raw_read_seqcount_begin(&pc->seq);
		memcpy(ns, pc->ns, sizeof(pc->ns));
		last = pc->last;
		cur = pc->cur;
	} while (read_seqcount_retry(&pc->seq, seq));
	if (last && now > last && cur < DPU_QOS_NR_SLOTS)
		ns[cur] += now - last;
}

/**
 * dpu_qos_cg_mem() - bytes a classified cgroup holds
 * @c: the entry
 *
 * Return: its memory.current, 0 without a memory controller of its own.
 */
u64 dpu_qos_cg_mem(const struct dpu_qos_cg *c)
{
	struct mem_cgroup *memcg;

	if (!c->mem_css)
		return 0;
	memcg = mem_cgroup_from_css(c->mem_css);
	return (u64)page_counter_read(&memcg->memory) << PAGE_SHIFT;
}

/* mark what the decision evicts; eng_lock held */
static void dpu_qos_mark_evicted(const struct dpu_qos_decision *d)
{
	struct dpu_qos_cg *c;
	u32 i;

	rcu_read_lock();
	list_for_each_entry_rcu(c, &dpu_qos.cgs, node)
		for (i = 0; i < d->nevict; i++)
			if (c->id == d->evict[i])
				WRITE_ONCE(c->evicted, true);
	rcu_read_unlock();
}

static enum hrtimer_restart dpu_qos_tick(struct hrtimer *t)
{
	u64 now = ktime_get_ns(), clk = local_clock(), mem_be = 0, m, avail;
	u64 ns[DPU_QOS_NR_SLOTS];
	struct dpu_qos_sample s = {};
	struct dpu_qos_cg *c;
	unsigned int k, n = 0;
	bool reap = false;
	u32 changed = 0, gen;
	int cpu;

	s.now_ns = now;
	s.ncpus = num_online_cpus();
	s.mem_total = (u64)totalram_pages() << PAGE_SHIFT;
	avail = (u64)si_mem_available() << PAGE_SHIFT;
	s.mem_used = s.mem_total > avail ? s.mem_total - avail : 0;
	s.io_online_held = READ_ONCE(dpu_qos.io_held);
	s.io_saturated = READ_ONCE(dpu_qos.io_saturated);

	gen = atomic_read(&dpu_qos.gen);
	spin_lock(&dpu_qos.eng_lock);
	for_each_online_cpu(cpu) {
		struct dpu_qos_seen *seen = per_cpu_ptr(dpu_qos_seen, cpu);
		struct dpu_qos_pcpu *pc = per_cpu_ptr(dpu_qos_pcpu, cpu);
		u64 last = READ_ONCE(pc->last);

		/*
		 * A task running long without a switch keeps the class it
		 * had when it started: if classes changed, or it has run for
		 * a while, its CPU looks again (it is busy anyway).
		 */
		if (dpu_qos.probe_on && last &&
		    READ_ONCE(pc->cur) != DPU_QOS_SLOT_IDLE &&
		    (gen != dpu_qos_seen_gen ||
		     clk > last + DPU_QOS_RECHECK_NS))
			smp_call_function_single_async(cpu,
						       per_cpu_ptr(&dpu_qos_csd, cpu));
		dpu_qos_read_cpu(cpu, clk, ns);
		for (k = 0; k < DPU_QOS_NR_SLOTS; k++) {
			if (ns[k] <= seen->ns[k])
				continue;
			if (k <= DPU_QOS_CLASS_MAX)
				s.class_ns[k] += ns[k] - seen->ns[k];
			seen->ns[k] = ns[k];
		}
	}
	rcu_read_lock();
	list_for_each_entry_rcu(c, &dpu_qos.cgs, node) {
		if (css_is_dying(&c->cgrp->self)) {
			if (!READ_ONCE(c->dying)) {
				WRITE_ONCE(c->dying, true);
				reap = true;
			}
			continue;
		}
		if (READ_ONCE(c->class) != DPU_QOS_CLASS_BE)
			continue;
		m = dpu_qos_cg_mem(c);
		mem_be += m;
		if (READ_ONCE(c->evicted) || n >= ARRAY_SIZE(dpu_qos_cands))
			continue;
		dpu_qos_cands[n].id = c->id;
		dpu_qos_cands[n].prio = READ_ONCE(c->prio);
		dpu_qos_cands[n].since = c->since;
		dpu_qos_cands[n].mem = m;
		n++;
	}
	rcu_read_unlock();
	if (dpu_qos.primed) {
		s.window_ns = now - dpu_qos.last_ns;
		changed = dpu_qos_step(&dpu_qos.eng, &s, dpu_qos_cands, n);
		dpu_qos.last = s;
		dpu_qos.mem_be = mem_be;
		if (changed & DPU_QOS_CHANGE_EVICT)
			dpu_qos_mark_evicted(&dpu_qos.eng.d);
	}
	dpu_qos.primed = true;
	dpu_qos.last_ns = now;
	dpu_qos_seen_gen = gen;
	k = dpu_qos.eng.pol.interval_ms;
	spin_unlock(&dpu_qos.eng_lock);

	if (changed)
		dpu_nl_qos_decision_notify(GFP_ATOMIC);
	if (changed & DPU_QOS_CHANGE_IO)
		schedule_work(&dpu_qos.io_apply);
	if (reap)
		schedule_work(&dpu_qos.reap);
	hrtimer_forward_now(t, ms_to_ktime(k));
	return HRTIMER_RESTART;
}

/* Start or stop the probe, the sampler and the I/O watch; lock held. */
static void dpu_qos_update_hooks(void)
{
	bool on = dpu_qos.eng.pol.enabled && !dpu_qos_exiting;
	bool want_probe = on && dpu_qos.ncgs;
	bool want_timer = on && (dpu_qos.ncgs || atomic_read(&dpu_qos.ntenants));
	int cpu, err;

	lockdep_assert_held(&dpu_qos.lock);
	if (want_probe && !dpu_qos.probe_on && dpu_qos_tp) {
		spin_lock_bh(&dpu_qos.eng_lock);
		for_each_possible_cpu(cpu) {
			memset(per_cpu_ptr(dpu_qos_pcpu, cpu), 0,
			       sizeof(struct dpu_qos_pcpu));
			seqcount_init(&per_cpu_ptr(dpu_qos_pcpu, cpu)->seq);
			memset(per_cpu_ptr(dpu_qos_seen, cpu), 0,
			       sizeof(struct dpu_qos_seen));
		}
		dpu_qos.primed = false;
		spin_unlock_bh(&dpu_qos.eng_lock);
		err = tracepoint_probe_register(dpu_qos_tp, dpu_qos_switch,
						NULL);
		if (err) {
			pr_warn("cannot hook sched_switch (%d): CPU use by class unknown\n",
				err);
		} else {
			dpu_qos.probe_on = true;
			/* optional: without it, moves are seen within 20 ms */
			if (dpu_qos_attach_tp &&
			    tracepoint_probe_register(dpu_qos_attach_tp,
						      dpu_qos_attach, NULL))
				pr_warn("cannot hook cgroup_attach_task\n");
		}
	} else if (!want_probe && dpu_qos.probe_on) {
		if (dpu_qos_attach_tp)
			tracepoint_probe_unregister(dpu_qos_attach_tp,
						    dpu_qos_attach, NULL);
		tracepoint_probe_unregister(dpu_qos_tp, dpu_qos_switch, NULL);
		tracepoint_synchronize_unregister();
		dpu_qos.probe_on = false;
	}
	if (want_timer && !dpu_qos.timer_on) {
		spin_lock_bh(&dpu_qos.eng_lock);
		dpu_qos.primed = false;
		spin_unlock_bh(&dpu_qos.eng_lock);
		hrtimer_start(&dpu_qos.timer,
			      ms_to_ktime(dpu_qos.eng.pol.interval_ms),
			      HRTIMER_MODE_REL_SOFT);
		dpu_qos.timer_on = true;
	} else if (!want_timer && dpu_qos.timer_on) {
		hrtimer_cancel(&dpu_qos.timer);
		dpu_qos.timer_on = false;
	}
	if (on && atomic_read(&dpu_qos.ntenants))
		queue_delayed_work(system_wq, &dpu_qos.io_watch, 0);
}

/**
 * dpu_qos_snapshot() - the policy, last sample and decision, consistent
 * @pol: the policy, or NULL
 * @s: the last sample, or NULL
 * @d: the decision in force, or NULL
 * @mem_be: bytes BE cgroups held at the last sample, or NULL
 */
void dpu_qos_snapshot(struct dpu_qos_policy *pol, struct dpu_qos_sample *s,
		      struct dpu_qos_decision *d, u64 *mem_be)
{
	spin_lock_bh(&dpu_qos.eng_lock);
	if (pol)
		*pol = dpu_qos.eng.pol;
	if (s) {
		*s = dpu_qos.last;
		if (!s->ncpus) {
			/* the sampler has not run: what is known without it */
			u64 avail = (u64)si_mem_available() << PAGE_SHIFT;

			s->ncpus = num_online_cpus();
			s->mem_total = (u64)totalram_pages() << PAGE_SHIFT;
			s->mem_used = s->mem_total > avail ?
				      s->mem_total - avail : 0;
		}
	}
	if (d)
		*d = dpu_qos.eng.d;
	if (mem_be)
		*mem_be = dpu_qos.mem_be;
	spin_unlock_bh(&dpu_qos.eng_lock);
}

/* An entry by cgroup id (@path NULL) or path; lock held. */
static struct dpu_qos_cg *dpu_qos_cg_lookup(const char *path, u64 id)
{
	struct dpu_qos_cg *c;

	list_for_each_entry(c, &dpu_qos.cgs, node)
		if (path ? !strcmp(c->path, path) : c->id == id)
			return c;
	return NULL;
}

/**
 * dpu_qos_cg_find() - a classified cgroup, for replies
 * @path: its path, or NULL to look up @id
 * @id: its id
 *
 * Return: the entry, valid while dpu_qos.lock is held, or NULL.
 */
struct dpu_qos_cg *dpu_qos_cg_find(const char *path, u64 id)
{
	lockdep_assert_held(&dpu_qos.lock);
	return dpu_qos_cg_lookup(path, id);
}

static void dpu_qos_cg_free_rcu(struct rcu_head *rcu)
{
	struct dpu_qos_cg *c = container_of(rcu, struct dpu_qos_cg, rcu);

	if (c->mem_css)
		css_put(c->mem_css);
	cgroup_put(c->cgrp);
	kfree(c);
}

/* Drop @c: announced, unlinked, freed after a grace period; lock held. */
static void dpu_qos_cg_remove(struct dpu_qos_cg *c)
{
	dpu_nl_qos_class_notify(c, DPU_CMD_QOS_CLASS_DEL);
	list_del_rcu(&c->node);
	xa_erase(&dpu_qos.xa, (u32)c->id);
	dpu_qos.ncgs--;
	atomic_inc(&dpu_qos.gen);
	call_rcu(&c->rcu, dpu_qos_cg_free_rcu);
}

/**
 * dpu_qos_class_set() - classify a cgroup v2 directory, or reclassify it
 * @path: its path from the cgroup2 root
 * @class: &enum dpu_qos_class, not NONE
 * @prio: eviction priority
 * @has_prio: @prio is given (else 0 for a new entry, kept for an old one)
 * @id: set to the cgroup's id
 * @extack: for error messages
 *
 * Return: 0 or a negative errno.
 */
int dpu_qos_class_set(const char *path, u8 class, u32 prio, bool has_prio,
		      u64 *id, struct netlink_ext_ack *extack)
{
	struct cgroup_subsys_state *css;
	struct dpu_qos_cg *c;
	struct cgroup *cgrp;
	int err;

	cgrp = cgroup_get_from_path(path);
	if (IS_ERR(cgrp)) {
		NL_SET_ERR_MSG(extack, "no such cgroup v2 directory");
		return PTR_ERR(cgrp) == -ENOENT ? -ENOENT : PTR_ERR(cgrp);
	}
	if (!cgroup_parent(cgrp)) {
		NL_SET_ERR_MSG(extack, "the root cgroup cannot be classified");
		cgroup_put(cgrp);
		return -EINVAL;
	}
	*id = cgroup_id(cgrp);
	mutex_lock(&dpu_qos.lock);
	if (dpu_qos_exiting) {
		NL_SET_ERR_MSG(extack, "dpu.ko is being unloaded");
		err = -ENODEV;
		goto err_unlock;
	}
	c = dpu_qos_cg_lookup(NULL, *id);
	if (c) {
		WRITE_ONCE(c->class, class);
		if (has_prio)
			WRITE_ONCE(c->prio, prio);
		atomic_inc(&dpu_qos.gen);
		dpu_nl_qos_class_notify(c, DPU_CMD_QOS_CLASS_SET);
		mutex_unlock(&dpu_qos.lock);
		cgroup_put(cgrp);
		return 0;
	}
	if (dpu_qos.ncgs >= DPU_QOS_MAX_CGROUPS) {
		NL_SET_ERR_MSG(extack, "too many classified cgroups");
		err = -ENOSPC;
		goto err_unlock;
	}
	if (xa_load(&dpu_qos.xa, (u32)*id)) {
		NL_SET_ERR_MSG(extack,
			       "another classified cgroup has an id with the same low 32 bits");
		err = -EBUSY;
		goto err_unlock;
	}
	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c) {
		err = -ENOMEM;
		goto err_unlock;
	}
	c->cgrp = cgrp;
	css = cgroup_get_e_css(cgrp, &memory_cgrp_subsys);
	if (css && css->cgroup != cgrp) {
		css_put(css);	/* an ancestor's: not this cgroup's memory */
		css = NULL;
	}
	c->mem_css = css;
	c->id = *id;
	c->class = class;
	c->prio = has_prio ? prio : 0;
	c->since = ktime_get_ns();
	strscpy(c->path, path, sizeof(c->path));
	err = xa_err(xa_store(&dpu_qos.xa, (u32)c->id, c, GFP_KERNEL));
	if (err) {
		if (c->mem_css)
			css_put(c->mem_css);
		kfree(c);
		goto err_unlock;
	}
	list_add_tail_rcu(&c->node, &dpu_qos.cgs);
	dpu_qos.ncgs++;
	atomic_inc(&dpu_qos.gen);
	dpu_qos_update_hooks();
	dpu_nl_qos_class_notify(c, DPU_CMD_QOS_CLASS_SET);
	mutex_unlock(&dpu_qos.lock);
	return 0;

err_unlock:
	mutex_unlock(&dpu_qos.lock);
	cgroup_put(cgrp);
	return err;
}

/**
 * dpu_qos_class_del() - clear a cgroup's class
 * @path: its path, or NULL to name it by @id
 * @id: its id
 * @extack: for error messages
 *
 * Return: 0 or -ENOENT.
 */
int dpu_qos_class_del(const char *path, u64 id, struct netlink_ext_ack *extack)
{
	struct dpu_qos_cg *c;

	mutex_lock(&dpu_qos.lock);
	c = dpu_qos_cg_lookup(path, id);
	if (!c) {
		mutex_unlock(&dpu_qos.lock);
		NL_SET_ERR_MSG(extack, "this cgroup has no QoS class");
		return -ENOENT;
	}
	dpu_qos_cg_remove(c);
	dpu_qos_update_hooks();
	mutex_unlock(&dpu_qos.lock);
	return 0;
}

static void dpu_qos_reap(struct work_struct *work)
{
	struct dpu_qos_cg *c, *tmp;

	mutex_lock(&dpu_qos.lock);
	list_for_each_entry_safe(c, tmp, &dpu_qos.cgs, node)
		if (READ_ONCE(c->dying))
			dpu_qos_cg_remove(c);
	dpu_qos_update_hooks();
	mutex_unlock(&dpu_qos.lock);
}

/**
 * dpu_qos_policy_set() - change the node policy
 * @pol: the whole new policy, checked
 * @extack: for error messages
 *
 * Return: 0 or -EINVAL.
 */
int dpu_qos_policy_set(const struct dpu_qos_policy *pol,
		       struct netlink_ext_ack *extack)
{
	const char *msg = dpu_qos_policy_check(pol);
	bool restart;

	if (msg) {
		dpu_extack_set(extack, NULL, msg);
		return -EINVAL;
	}
	mutex_lock(&dpu_qos.lock);
	restart = dpu_qos.timer_on &&
		  pol->interval_ms != dpu_qos.eng.pol.interval_ms;
	spin_lock_bh(&dpu_qos.eng_lock);
	dpu_qos_engine_set_policy(&dpu_qos.eng, pol);
	dpu_qos.eng.d.seq++;
	dpu_qos.eng.d.changed = DPU_QOS_CHANGE_POLICY;
	spin_unlock_bh(&dpu_qos.eng_lock);
	if (restart) {
		hrtimer_cancel(&dpu_qos.timer);
		dpu_qos.timer_on = false;
	}
	dpu_qos_update_hooks();
	mutex_unlock(&dpu_qos.lock);
	/* BE is released (or held) per the new policy from now on */
	dpu_nl_qos_decision_notify(GFP_KERNEL);
	schedule_work(&dpu_qos.io_apply);
	return 0;
}

/* ------------------------------------------------------------- tenants */

/**
 * dpu_qos_tenant_classified() - tenants with a class came or went
 * @delta: how many more (or fewer)
 *
 * Called without any DPU's locks held.
 */
void dpu_qos_tenant_classified(int delta)
{
	atomic_add(delta, &dpu_qos.ntenants);
	mutex_lock(&dpu_qos.lock);
	dpu_qos_update_hooks();
	mutex_unlock(&dpu_qos.lock);
}

static bool dpu_qos_online(u8 cls)
{
	return cls == DPU_QOS_CLASS_HLS || cls == DPU_QOS_CLASS_LS;
}

/* what the I/O watch gathers over all DPUs */
struct dpu_qos_io_look {
	u64 now;
	u64 throttled;		/* online tenants' throttle counts */
	bool contended;		/* a saturated DPU online tenants use */
	bool cap_on;		/* BE is capped now */
};

static u64 dpu_qos_per_sec(u64 delta, u64 ns)
{
	return ns ? mul_u64_u64_div_u64(delta, NSEC_PER_SEC, ns) : 0;
}

/*
 * dpu_qos_fn_io() - block I/O a disk function carried so far
 * @fn: the function; the caller holds @fn->ddev->lock
 * @ios: I/Os (reads and writes)
 * @bytes: their bytes
 *
 * A disk the backend does not own (PCI) is counted by the block layer; a
 * disk whose data path is here by the function's rate group, which counts
 * every request it passes.
 */
static void dpu_qos_fn_io(struct dpu_fn *fn, u64 *ios, u64 *bytes)
{
	struct dpu_rate_stats st;

	lockdep_assert_held(&fn->ddev->lock);
	if (fn->blk_dev) {
		struct block_device *part0 = dev_to_disk(fn->blk_dev)->part0;

		*ios = part_stat_read(part0, ios[STAT_READ]) +
		       part_stat_read(part0, ios[STAT_WRITE]);
		*bytes = (part_stat_read(part0, sectors[STAT_READ]) +
			  part_stat_read(part0, sectors[STAT_WRITE])) <<
			 SECTOR_SHIFT;
		return;
	}
	dpu_rate_group_stats(&fn->rate, &st);
	*ios = st.count[DPU_RATE_BLK];
	*bytes = st.bytes[DPU_RATE_BLK];
}

/* @ddev's load over the last samples; its lock held */
static void dpu_qos_io_load(struct dpu_dev *ddev, struct dpu_qos_io_look *lk)
{
	struct dpu_io_load *l = &ddev->io_load;
	u64 ios = 0, bytes = 0, online = 0, fi, fb, dt;
	unsigned int cur = l->pos, old;
	struct dpu_fn *fn;
	unsigned long i;

	/* the watch paused (no tenant had a class): start afresh */
	if (l->n && lk->now - l->t[(cur + DPU_IO_LOAD_SAMPLES - 1) %
				   DPU_IO_LOAD_SAMPLES] >
		    5 * DPU_QOS_IO_WATCH_MS * NSEC_PER_MSEC) {
		l->n = 0;
		l->contended = false;
	}

	xa_for_each(&ddev->fns, i, fn) {
		if (fn->type != DPU_FN_TYPE_BLK)
			continue;
		dpu_qos_fn_io(fn, &fi, &fb);
		ios += fi;
		bytes += fb;
		if (fn->tn && dpu_qos_online(dpu_tenant_qos_effective(fn->tn)))
			online += fi;
	}
	l->t[cur] = lk->now;
	l->ios[cur] = ios;
	l->bytes[cur] = bytes;
	l->online[cur] = online;
	l->pos = (cur + 1) % DPU_IO_LOAD_SAMPLES;
	if (l->n < DPU_IO_LOAD_SAMPLES)
		l->n++;
	if (l->n < 2)
		return;
	old = (cur + DPU_IO_LOAD_SAMPLES + 1 - l->n) % DPU_IO_LOAD_SAMPLES;
	dt = lk->now - l->t[old];
	/* functions that went take their counts along: never negative */
	WRITE_ONCE(l->iops, dpu_qos_per_sec(ios > l->ios[old] ?
					    ios - l->ios[old] : 0, dt));
	WRITE_ONCE(l->bps, dpu_qos_per_sec(bytes > l->bytes[old] ?
					   bytes - l->bytes[old] : 0, dt));
	WRITE_ONCE(l->saturated,
		   dpu_qos_io_saturated(l->iops, l->bps,
					READ_ONCE(ddev->io_capacity[0]),
					READ_ONCE(ddev->io_capacity[1])));
	l->contended = dpu_qos_io_contended(l->saturated,
					    online > l->online[old],
					    l->contended, lk->cap_on);
	WRITE_ONCE(l->stamp, lk->now);
	lk->contended |= l->contended;
}

static int dpu_qos_io_dev(struct dpu_dev *ddev, void *arg)
{
	struct dpu_qos_io_look *lk = arg;
	struct dpu_tenant *tn;
	unsigned long id;

	mutex_lock(&ddev->lock);
	xa_for_each(&ddev->tenants, id, tn)
		if (dpu_qos_online(dpu_tenant_qos_effective(tn)))
			lk->throttled += atomic64_read(&tn->rate.throttled);
	dpu_qos_io_load(ddev, lk);
	mutex_unlock(&ddev->lock);
	return 0;
}

/*
 * Were online tenants held back since the last look, or is a DPU they use
 * saturated?
 */
static void dpu_qos_io_watch(struct work_struct *work)
{
	struct dpu_qos_io_look lk = {
		.now = ktime_get_ns(),
		.cap_on = READ_ONCE(dpu_qos.cap_on),
	};
	unsigned long index = 0;
	bool held;

	dpu_dev_for_each(&index, dpu_qos_io_dev, &lk);
	held = dpu_qos.io_primed && lk.throttled > dpu_qos.io_throttled;
	WRITE_ONCE(dpu_qos.io_held, held);
	WRITE_ONCE(dpu_qos.io_saturated, lk.contended);
	dpu_qos.io_throttled = lk.throttled;
	dpu_qos.io_primed = true;
	if (atomic_read(&dpu_qos.ntenants) && !READ_ONCE(dpu_qos_exiting)) {
		queue_delayed_work(system_wq, &dpu_qos.io_watch,
				   msecs_to_jiffies(DPU_QOS_IO_WATCH_MS));
	} else {
		WRITE_ONCE(dpu_qos.io_held, false);
		WRITE_ONCE(dpu_qos.io_saturated, false);
	}
}

/**
 * dpu_qos_io_load_get() - @ddev's block I/O as last measured
 * @ddev: the DPU
 * @iops: I/Os per second
 * @bps: bytes per second
 * @saturated: at 95% or more of a capacity
 *
 * Return: false if the I/O watch did not measure it lately (it runs while
 * a tenant has a QoS class).
 */
bool dpu_qos_io_load_get(struct dpu_dev *ddev, u64 *iops, u64 *bps,
			 bool *saturated)
{
	u64 stamp = READ_ONCE(ddev->io_load.stamp);

	if (!stamp ||
	    ktime_get_ns() - stamp > 5 * DPU_QOS_IO_WATCH_MS * NSEC_PER_MSEC)
		return false;
	*iops = READ_ONCE(ddev->io_load.iops);
	*bps = READ_ONCE(ddev->io_load.bps);
	*saturated = READ_ONCE(ddev->io_load.saturated);
	return true;
}

static int dpu_qos_grab_dev(struct dpu_dev *ddev, void *arg)
{
	get_device(&ddev->dev);
	*(struct dpu_dev **)arg = ddev;
	return 1;
}

static void dpu_qos_io_apply(struct work_struct *work)
{
	struct dpu_qos_decision d;
	struct dpu_qos_policy pol;
	unsigned long index = 0;
	struct dpu_dev *ddev;

	dpu_qos_snapshot(&pol, NULL, &d, NULL);
	WRITE_ONCE(dpu_qos.cap_on, pol.enabled && d.io_cap &&
		   !READ_ONCE(dpu_qos_exiting));
	while (dpu_dev_for_each(&index, dpu_qos_grab_dev, &ddev) == 1) {
		dpu_tenant_qos_apply(ddev);
		put_device(&ddev->dev);
		index++;
	}
}

/* ---------------------------------------------------------- life cycle */

int dpu_qos_init(void)
{
	struct dpu_qos_policy pol;
	int cpu;

	mutex_init(&dpu_qos.lock);
	INIT_LIST_HEAD(&dpu_qos.cgs);
	xa_init(&dpu_qos.xa);
	spin_lock_init(&dpu_qos.eng_lock);
	dpu_qos_policy_default(&pol);
	dpu_qos_engine_init(&dpu_qos.eng, &pol);
	hrtimer_init(&dpu_qos.timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_SOFT);
	dpu_qos.timer.function = dpu_qos_tick;
	INIT_DELAYED_WORK(&dpu_qos.io_watch, dpu_qos_io_watch);
	INIT_WORK(&dpu_qos.io_apply, dpu_qos_io_apply);
	INIT_WORK(&dpu_qos.reap, dpu_qos_reap);
	for_each_possible_cpu(cpu)
		INIT_CSD(per_cpu_ptr(&dpu_qos_csd, cpu), dpu_qos_refresh, NULL);
	dpu_qos_pcpu = alloc_percpu(struct dpu_qos_pcpu);
	dpu_qos_seen = alloc_percpu(struct dpu_qos_seen);
	if (!dpu_qos_pcpu || !dpu_qos_seen) {
		free_percpu(dpu_qos_pcpu);
		free_percpu(dpu_qos_seen);
		return -ENOMEM;
	}
	for_each_kernel_tracepoint(dpu_qos_find_tp, NULL);
	if (!dpu_qos_tp)
		pr_warn("no sched_switch tracepoint: CPU use by class unknown\n");
	return 0;
}

/**
 * dpu_qos_stop() - stop deciding before the module goes
 *
 * The hooks stop, BE tenants are released and a last decision says QoS is
 * off, so that the node daemon releases BE cgroups too.
 */
void dpu_qos_stop(void)
{
	mutex_lock(&dpu_qos.lock);
	WRITE_ONCE(dpu_qos_exiting, true);
	dpu_qos_update_hooks();
	mutex_unlock(&dpu_qos.lock);
	cancel_delayed_work_sync(&dpu_qos.io_watch);
	cancel_work_sync(&dpu_qos.reap);
	spin_lock_bh(&dpu_qos.eng_lock);
	dpu_qos.eng.pol.enabled = false;
	dpu_qos.eng.d.io_cap = false;
	dpu_qos.eng.d.seq++;
	dpu_qos.eng.d.changed = DPU_QOS_CHANGE_POLICY | DPU_QOS_CHANGE_UNLOAD;
	spin_unlock_bh(&dpu_qos.eng_lock);
	flush_work(&dpu_qos.io_apply);
	dpu_qos_io_apply(&dpu_qos.io_apply);
	dpu_nl_qos_decision_notify(GFP_KERNEL);
}

/* After the netlink family is gone: free what is left. */
void dpu_qos_exit(void)
{
	struct dpu_qos_cg *c, *tmp;

	cancel_work_sync(&dpu_qos.io_apply);
	mutex_lock(&dpu_qos.lock);
	list_for_each_entry_safe(c, tmp, &dpu_qos.cgs, node) {
		list_del_rcu(&c->node);
		xa_erase(&dpu_qos.xa, (u32)c->id);
		call_rcu(&c->rcu, dpu_qos_cg_free_rcu);
	}
	dpu_qos.ncgs = 0;
	mutex_unlock(&dpu_qos.lock);
	xa_destroy(&dpu_qos.xa);
	/* a look the sampler asked for may still be queued: let it run */
	on_each_cpu(dpu_qos_noop, NULL, 1);
	free_percpu(dpu_qos_pcpu);
	free_percpu(dpu_qos_seen);
}
