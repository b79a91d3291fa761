// SPDX-License-Identifier: GPL-2.0
/*
 * dpupool: rate groups, their wait queues and counters. Pure logic (the
 * clock is passed in, timers are armed through a hook), unit tested with
 * KUnit on UML.
 */
#include <linux/bitops.h>
#include <linux/export.h>
#include <linux/kernel.h>
#include <linux/minmax.h>
#include <linux/percpu.h>

#include "dpu_rate.h"

/**
 * dpu_rate_cost_blk() - the cost of a block I/O
 * @c: filled in
 * @write: a write (else a read)
 * @bytes: its size
 */
void dpu_rate_cost_blk(struct dpu_rate_cost *c, bool write, u64 bytes)
{
	c->cls = DPU_RATE_BLK;
	c->nr = 4;
	c->kind[0] = DPU_LIM_BLK_IOPS;
	c->n[0] = 1;
	c->kind[1] = write ? DPU_LIM_BLK_WRITE_IOPS : DPU_LIM_BLK_READ_IOPS;
	c->n[1] = 1;
	c->kind[2] = DPU_LIM_BLK_BPS;
	c->n[2] = bytes;
	c->kind[3] = write ? DPU_LIM_BLK_WRITE_BPS : DPU_LIM_BLK_READ_BPS;
	c->n[3] = bytes;
	c->bytes = bytes;
}
EXPORT_SYMBOL_GPL(dpu_rate_cost_blk);

/**
 * dpu_rate_cost_net() - the cost of a packet
 * @c: filled in
 * @tx: sent by the host (else received)
 * @bytes: its length
 */
void dpu_rate_cost_net(struct dpu_rate_cost *c, bool tx, u64 bytes)
{
	c->cls = tx ? DPU_RATE_TX : DPU_RATE_RX;
	c->nr = 2;
	c->kind[0] = tx ? DPU_LIM_NET_TX_BPS : DPU_LIM_NET_RX_BPS;
	c->n[0] = bytes;
	c->kind[1] = tx ? DPU_LIM_NET_TX_PPS : DPU_LIM_NET_RX_PPS;
	c->n[1] = 1;
	c->bytes = bytes;
}
EXPORT_SYMBOL_GPL(dpu_rate_cost_net);

static enum hrtimer_restart dpu_rate_timer(struct hrtimer *timer);

/* default timer hook: an hrtimer on CLOCK_MONOTONIC (ktime_get_ns()) */
static void dpu_rate_arm_hrtimer(struct dpu_rate_group *g,
				 struct dpu_rate_queue *q, u64 expires)
{
	hrtimer_start(&q->timer, ns_to_ktime(min(expires, DPU_TB_TIME_MAX)),
		      HRTIMER_MODE_ABS);
}

/**
 * dpu_rate_group_init() - set up a group without limits, parent or waiters
 * @g: the group
 *
 * Return: 0 or -ENOMEM.
 */
int dpu_rate_group_init(struct dpu_rate_group *g)
{
	unsigned int i;

	for (i = 0; i < DPU_LIM_NR; i++)
		dpu_tb_init(&g->tb[i]);
	g->limited = 0;
	RCU_INIT_POINTER(g->parent, NULL);
	spin_lock_init(&g->lock);
	for (i = 0; i < DPU_RATE_NR_QUEUES; i++) {
		INIT_LIST_HEAD(&g->q[i].waiters);
		g->q[i].nr = 0;
		g->q[i].g = g;
		hrtimer_init(&g->q[i].timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS);
		g->q[i].timer.function = dpu_rate_timer;
	}
	atomic64_set(&g->throttled, 0);
	atomic64_set(&g->throttled_ns, 0);
	g->arm = dpu_rate_arm_hrtimer;
	g->pcpu = alloc_percpu(struct dpu_rate_pcpu);
	return g->pcpu ? 0 : -ENOMEM;
}
EXPORT_SYMBOL_GPL(dpu_rate_group_init);

/**
 * dpu_rate_group_destroy() - stop a group's timers and free its counters
 * @g: the group; nobody waits in it, no data path reaches it any more (an
 *	RCU grace period passed since it was unlinked)
 */
void dpu_rate_group_destroy(struct dpu_rate_group *g)
{
	unsigned int i;

	for (i = 0; i < DPU_RATE_NR_QUEUES; i++)
		hrtimer_cancel(&g->q[i].timer);
	free_percpu(g->pcpu);
	g->pcpu = NULL;
}
EXPORT_SYMBOL_GPL(dpu_rate_group_destroy);

/**
 * dpu_rate_group_set_limits() - change a group's limits, also under load
 * @g: the group
 * @lim: the new limits, validated
 * @now: the clock, ns
 *
 * Functions held back at @g are looked at again at once, so a raised limit
 * applies without waiting for the old one's timer. The owner serializes
 * calls.
 */
void dpu_rate_group_set_limits(struct dpu_rate_group *g,
			       const struct dpu_limits *lim, u64 now)
{
	unsigned long limited = 0, flags;
	unsigned int k;

	for (k = 0; k < DPU_LIM_NR; k++) {
		dpu_tb_set(&g->tb[k], lim->l[k].rate,
			   dpu_limit_burst(k, &lim->l[k]), now);
		if (lim->l[k].rate)
			limited |= BIT(k);
	}
	WRITE_ONCE(g->limited, limited);

	spin_lock_irqsave(&g->lock, flags);
	for (k = 0; k < DPU_RATE_NR_QUEUES; k++)
		if (g->q[k].nr)
			g->arm(g, &g->q[k], now);
	spin_unlock_irqrestore(&g->lock, flags);
}
EXPORT_SYMBOL_GPL(dpu_rate_group_set_limits);

/**
 * dpu_rate_group_stats() - read a group's counters
 * @g: the group
 * @s: filled in
 */
void dpu_rate_group_stats(struct dpu_rate_group *g, struct dpu_rate_stats *s)
{
	unsigned long flags;
	unsigned int i;
	int cpu;

	memset(s, 0, sizeof(*s));
	for_each_possible_cpu(cpu) {
		const struct dpu_rate_pcpu *p = per_cpu_ptr(g->pcpu, cpu);

		for (i = 0; i < DPU_RATE_NR_CLASS; i++) {
			s->count[i] += READ_ONCE(p->count[i]);
			s->bytes[i] += READ_ONCE(p->bytes[i]);
		}
		s->rx_dropped += READ_ONCE(p->rx_dropped);
	}
	s->throttled = atomic64_read(&g->throttled);
	s->throttled_ns = atomic64_read(&g->throttled_ns);
	spin_lock_irqsave(&g->lock, flags);
	for (i = 0; i < DPU_RATE_NR_QUEUES; i++)
		s->queued += g->q[i].nr;
	spin_unlock_irqrestore(&g->lock, flags);
}
EXPORT_SYMBOL_GPL(dpu_rate_group_stats);

/*
 * Take what @c costs from @g's buckets, all or nothing; @charged gets what
 * each bucket took, for dpu_rate_refund(). Returns 0, or the ns until the
 * bucket that was short has the tokens.
 */
static u64 dpu_rate_take(struct dpu_rate_group *g,
			 const struct dpu_rate_cost *c, u64 now, u64 *charged)
{
	unsigned long limited = READ_ONCE(g->limited);
	u64 wait = 0;
	int i;

	memset(charged, 0, sizeof(u64) * DPU_RATE_COST_MAX);
	if (!limited)
		return 0;
	for (i = 0; i < c->nr; i++) {
		wait = dpu_tb_take(&g->tb[c->kind[i]], c->n[i], now,
				   &charged[i]);
		if (wait)
			break;
	}
	if (wait)
		while (i--)
			dpu_tb_refund(&g->tb[c->kind[i]], charged[i]);
	return wait;
}

/* Give back what dpu_rate_take() took for @c. */
static void dpu_rate_refund(struct dpu_rate_group *g,
			    const struct dpu_rate_cost *c, const u64 *charged)
{
	int i;

	for (i = 0; i < c->nr; i++)
		dpu_tb_refund(&g->tb[c->kind[i]], charged[i]);
}

static bool dpu_rate_cost_eq(const struct dpu_rate_cost *a,
			     const struct dpu_rate_cost *b)
{
	int i;

	if (a->cls != b->cls || a->nr != b->nr || a->bytes != b->bytes)
		return false;
	for (i = 0; i < a->nr; i++)
		if (a->kind[i] != b->kind[i] || a->n[i] != b->n[i])
			return false;
	return true;
}

static void dpu_rate_account(struct dpu_rate_group **chain, int n,
			     const struct dpu_rate_cost *c, u64 held_ns)
{
	int i;

	for (i = 0; i < n; i++) {
		struct dpu_rate_pcpu __percpu *p = chain[i]->pcpu;

		this_cpu_inc(p->count[c->cls]);
		this_cpu_add(p->bytes[c->cls], c->bytes);
		if (held_ns) {
			atomic64_inc(&chain[i]->throttled);
			atomic64_add(held_ns, &chain[i]->throttled_ns);
		}
	}
}

/*
 * Slow path: this function waits somewhere, or holds tokens of some levels
 * for its current request, or was just found short. Serialized per
 * function by w->lock.
 */
static int dpu_rate_charge_slow(struct dpu_rate_group *leaf,
				struct dpu_rate_waiter *w,
				const struct dpu_rate_cost *c, u64 now)
{
	struct dpu_rate_group *chain[DPU_RATE_MAX_LEVELS];
	struct dpu_rate_group *g;
	struct dpu_rate_queue *q;
	unsigned long flags;
	u64 wait, held = 0;
	int lv = 0;

	spin_lock_irqsave(&w->lock, flags);
	if (READ_ONCE(w->wait_group)) {
		spin_unlock_irqrestore(&w->lock, flags);
		return DPU_RATE_QUEUED;
	}
	/*
	 * The tokens held were paid for another request of this function
	 * (another hardware queue got here first): give them back, this one
	 * pays for itself.
	 */
	if (w->paid && !dpu_rate_cost_eq(&w->cost, c)) {
		for (g = leaf; g && lv < DPU_RATE_MAX_LEVELS;
		     g = rcu_dereference(g->parent), lv++)
			if (test_bit(lv, &w->paid))
				dpu_rate_refund(g, &w->cost, w->charged[lv]);
		WRITE_ONCE(w->paid, 0);
		lv = 0;
	}
	for (g = leaf; g && lv < DPU_RATE_MAX_LEVELS;
	     g = rcu_dereference(g->parent), lv++) {
		chain[lv] = g;
		if (test_bit(lv, &w->paid))
			continue;
		q = &g->q[c->cls];
		spin_lock(&g->lock);
		/* nobody overtakes those already waiting here */
		wait = q->nr ? 1 : dpu_rate_take(g, c, now, w->charged[lv]);
		w->cost = *c;
		if (!wait) {
			spin_unlock(&g->lock);
			set_bit(lv, &w->paid);
			continue;
		}
		w->wait_level = lv;
		if (!w->since)
			w->since = now;
		list_add_tail(&w->node, &q->waiters);
		WRITE_ONCE(w->wait_group, g);
		if (q->nr++ == 0)
			g->arm(g, q, now + wait);
		spin_unlock(&g->lock);
		spin_unlock_irqrestore(&w->lock, flags);
		return DPU_RATE_QUEUED;
	}
	if (w->since) {
		held = max_t(u64, now - w->since, 1);
		w->since = 0;
	}
	WRITE_ONCE(w->paid, 0);
	spin_unlock_irqrestore(&w->lock, flags);
	dpu_rate_account(chain, lv, c, held);
	return DPU_RATE_PASS;
}

/**
 * dpu_rate_charge() - may a function's request pass now?
 * @leaf: the function's own group; the caller holds rcu_read_lock()
 * @w: the function's waiter
 * @c: what the request costs (&enum dpu_rate_class blk or tx)
 * @now: the clock, ns
 *
 * Return: %DPU_RATE_PASS (the request's tokens are taken and counted), or
 * %DPU_RATE_QUEUED: hold the request back and stop submitting until
 * @w->wake runs. To close the race with the wake, stop first, then check
 * dpu_rate_waiter_pending() and restart if it is false.
 */
int dpu_rate_charge(struct dpu_rate_group *leaf, struct dpu_rate_waiter *w,
		    const struct dpu_rate_cost *c, u64 now)
{
	struct dpu_rate_group *chain[DPU_RATE_MAX_LEVELS];
	u64 charged[DPU_RATE_MAX_LEVELS][DPU_RATE_COST_MAX];
	struct dpu_rate_group *g;
	int n = 0;

	if (READ_ONCE(w->paid) || READ_ONCE(w->wait_group))
		return dpu_rate_charge_slow(leaf, w, c, now);

	for (g = leaf; g && n < DPU_RATE_MAX_LEVELS;
	     g = rcu_dereference(g->parent)) {
		if (READ_ONCE(g->q[c->cls].nr) ||
		    dpu_rate_take(g, c, now, charged[n]))
			goto held;
		chain[n++] = g;
	}
	dpu_rate_account(chain, n, c, 0);
	return DPU_RATE_PASS;

held:
	while (n--)
		dpu_rate_refund(chain[n], c, charged[n]);
	return dpu_rate_charge_slow(leaf, w, c, now);
}
EXPORT_SYMBOL_GPL(dpu_rate_charge);

/**
 * dpu_rate_try() - take what @c costs on the whole chain, or nothing
 * @leaf: the function's own group; the caller holds rcu_read_lock()
 * @c: what the request costs (received packets: nothing waits for them)
 * @now: the clock, ns
 *
 * Return: true if it passed (and was counted), false if a limit refused it
 * (counted as dropped on the whole chain).
 */
bool dpu_rate_try(struct dpu_rate_group *leaf, const struct dpu_rate_cost *c,
		  u64 now)
{
	struct dpu_rate_group *chain[DPU_RATE_MAX_LEVELS];
	u64 charged[DPU_RATE_MAX_LEVELS][DPU_RATE_COST_MAX];
	struct dpu_rate_group *g;
	int n = 0, i;
	bool ok = true;

	for (g = leaf; g && n < DPU_RATE_MAX_LEVELS;
	     g = rcu_dereference(g->parent)) {
		if (ok && dpu_rate_take(g, c, now, charged[n])) {
			ok = false;
			for (i = 0; i < n; i++)
				dpu_rate_refund(chain[i], c, charged[i]);
		}
		chain[n++] = g;
	}
	if (ok) {
		dpu_rate_account(chain, n, c, 0);
		return true;
	}
	for (i = 0; i < n; i++)
		this_cpu_inc(chain[i]->pcpu->rx_dropped);
	return false;
}
EXPORT_SYMBOL_GPL(dpu_rate_try);

/**
 * dpu_rate_queue_expire() - grant the waiters of @q whose requests conform
 * @g: the group
 * @q: one of its queues
 * @now: the clock, ns
 *
 * The head's tokens are taken for it at this level and it is woken to
 * retry; then the next, until one has to wait: the timer is armed for it.
 */
void dpu_rate_queue_expire(struct dpu_rate_group *g, struct dpu_rate_queue *q,
			   u64 now)
{
	struct dpu_rate_waiter *w;
	unsigned long flags;
	u64 wait;

	spin_lock_irqsave(&g->lock, flags);
	while ((w = list_first_entry_or_null(&q->waiters,
					     struct dpu_rate_waiter, node))) {
		wait = dpu_rate_take(g, &w->cost, now,
				     w->charged[w->wait_level]);
		if (wait) {
			g->arm(g, q, now + wait);
			break;
		}
		list_del_init(&w->node);
		q->nr--;
		set_bit(w->wait_level, &w->paid);
		WRITE_ONCE(w->wait_group, NULL);
		/* pairs with the barrier between stopping and checking */
		smp_mb();
		w->wake(w);
	}
	spin_unlock_irqrestore(&g->lock, flags);
}
EXPORT_SYMBOL_GPL(dpu_rate_queue_expire);

static enum hrtimer_restart dpu_rate_timer(struct hrtimer *timer)
{
	struct dpu_rate_queue *q = container_of(timer, struct dpu_rate_queue,
						timer);

	dpu_rate_queue_expire(q->g, q, ktime_get_ns());
	return HRTIMER_NORESTART;
}

void dpu_rate_waiter_init(struct dpu_rate_waiter *w,
			  void (*wake)(struct dpu_rate_waiter *w))
{
	INIT_LIST_HEAD(&w->node);
	spin_lock_init(&w->lock);
	w->wait_group = NULL;
	w->wait_level = 0;
	w->paid = 0;
	w->since = 0;
	w->wake = wake;
	w->priv = NULL;
}
EXPORT_SYMBOL_GPL(dpu_rate_waiter_init);

/**
 * dpu_rate_waiter_cancel() - take @w out of any wait queue
 * @w: the waiter
 *
 * Tokens it holds for its current request are forgotten. Its wake hook is
 * not called; once this returns no timer calls it either, except one that
 * already runs: wait for an RCU grace period before freeing the data path.
 *
 * Return: true if it was waiting (its data path is stopped: restart it).
 */
bool dpu_rate_waiter_cancel(struct dpu_rate_waiter *w)
{
	struct dpu_rate_group *g;
	unsigned long flags;
	bool was = false;

	spin_lock_irqsave(&w->lock, flags);
	g = READ_ONCE(w->wait_group);
	if (g) {
		spin_lock(&g->lock);
		if (w->wait_group == g) {
			list_del_init(&w->node);
			g->q[w->cost.cls].nr--;
			WRITE_ONCE(w->wait_group, NULL);
			was = true;
		}
		spin_unlock(&g->lock);
	}
	WRITE_ONCE(w->paid, 0);
	w->since = 0;
	spin_unlock_irqrestore(&w->lock, flags);
	return was;
}
EXPORT_SYMBOL_GPL(dpu_rate_waiter_cancel);

static struct dpu_rate_group *dpu_rate_parent(const struct dpu_rate_group *g)
{
	return rcu_dereference_raw(g->parent);
}

/* How many groups are above @g. */
unsigned int dpu_rate_group_level(const struct dpu_rate_group *g)
{
	unsigned int n = 0;

	while ((g = dpu_rate_parent(g)))
		n++;
	return n;
}
EXPORT_SYMBOL_GPL(dpu_rate_group_level);

/* Is @a @g or above it? */
bool dpu_rate_group_is_ancestor(const struct dpu_rate_group *a,
				const struct dpu_rate_group *g)
{
	for (; g; g = dpu_rate_parent(g))
		if (g == a)
			return true;
	return false;
}
EXPORT_SYMBOL_GPL(dpu_rate_group_is_ancestor);

/**
 * dpu_rate_effective() - the limits that apply to a function
 * @leaf: its group
 * @out: per kind, the lowest rate on the chain with its bucket's burst
 */
void dpu_rate_effective(const struct dpu_rate_group *leaf,
			struct dpu_limits *out)
{
	const struct dpu_rate_group *g;
	unsigned int k;

	memset(out, 0, sizeof(*out));
	for (g = leaf; g; g = dpu_rate_parent(g)) {
		for (k = 0; k < DPU_LIM_NR; k++) {
			u64 rate = READ_ONCE(g->tb[k].rate);
			struct dpu_limit *l = &out->l[k];

			if (rate && (!l->rate || rate < l->rate)) {
				l->rate = rate;
				l->burst = READ_ONCE(g->tb[k].burst);
			}
		}
	}
}
EXPORT_SYMBOL_GPL(dpu_rate_effective);
