/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dpupool: rate groups. A function's own limits and those of its tenant and
 * the tenant's ancestors form a chain of groups, each a set of token
 * buckets; a request passes when every group on the chain has its tokens.
 * PCI-free, built on UML for KUnit.
 *
 * Fast path: no function waits anywhere on the chain, every bucket has the
 * tokens: lock-free takes, per-CPU counters. Slow path: a function held
 * back at a group joins the group's FIFO wait queue; the group's timer,
 * armed for when the head's request conforms, takes the head's tokens for
 * it (a grant) and wakes it; whoever arrives while the queue is not empty
 * queues behind. Functions of one group are served round-robin, one
 * request per turn.
 */
#ifndef _DPU_RATE_H
#define _DPU_RATE_H

#include <linux/hrtimer.h>
#include <linux/list.h>
#include <linux/rcupdate.h>
#include <linux/spinlock.h>
#include <linux/types.h>

#include "dpu_limits.h"
#include "dpu_tb.h"

/* the function's own group plus the tenants */
#define DPU_RATE_MAX_LEVELS	(DPU_TENANT_MAX_DEPTH + 2)

/* wait queues of a group: what a function's data path is held back for */
enum dpu_rate_class {
	DPU_RATE_BLK,		/* block I/O */
	DPU_RATE_TX,		/* packets the host sends */
	DPU_RATE_RX,		/* packets the host receives: never queued */
	DPU_RATE_NR_CLASS,
};

#define DPU_RATE_NR_QUEUES	DPU_RATE_RX

/**
 * struct dpu_rate_cost - what one request takes
 * @cls: &enum dpu_rate_class, selects the counters
 * @nr: entries used in @kind and @n
 * @kind: &enum dpu_limit_kind of each bucket the request takes from
 * @n: tokens taken from each
 * @bytes: size of the request, for the counters
 */
#define DPU_RATE_COST_MAX	4

struct dpu_rate_cost {
	u8 cls;
	u8 nr;
	u8 kind[DPU_RATE_COST_MAX];
	u64 n[DPU_RATE_COST_MAX];
	u64 bytes;
};

void dpu_rate_cost_blk(struct dpu_rate_cost *c, bool write, u64 bytes);
void dpu_rate_cost_net(struct dpu_rate_cost *c, bool tx, u64 bytes);

struct dpu_rate_group;

/**
 * struct dpu_rate_waiter - a function's data path, as the wait queues see it
 * @node: in the wait queue of @wait_group
 * @lock: serializes the slow path of this function's submitters
 * @wait_group: the group whose queue holds us, NULL if none; written under
 *	that group's lock
 * @wait_level: level of @wait_group on our chain (0: our own group)
 * @paid: bit per level of the chain whose tokens the current request holds
 * @charged: per level in @paid, what each bucket took (dpu_tb_take()), to
 *	give it back if another request of the function comes first
 * @since: when the current request was first held back, ns (0: it was not)
 * @cost: the request held back (its class selects the queue), and the one
 *	@paid was paid for
 * @wake: restarts the data path; called with a group's lock held and
 *	interrupts off, must not sleep
 * @priv: for @wake
 */
struct dpu_rate_waiter {
	struct list_head node;
	spinlock_t lock;	/* serializes the slow path */
	struct dpu_rate_group *wait_group;
	u8 wait_level;
	unsigned long paid;
	u64 charged[DPU_RATE_MAX_LEVELS][DPU_RATE_COST_MAX];
	u64 since;
	struct dpu_rate_cost cost;
	void (*wake)(struct dpu_rate_waiter *w);
	void *priv;
};

/* counters of a group, per CPU */
struct dpu_rate_pcpu {
	u64 count[DPU_RATE_NR_CLASS];	/* I/Os, packets passed */
	u64 bytes[DPU_RATE_NR_CLASS];
	u64 rx_dropped;
};

/**
 * struct dpu_rate_stats - counters of a group, summed
 * @count: I/Os or packets passed, per &enum dpu_rate_class
 * @bytes: their bytes
 * @rx_dropped: received packets dropped over a limit
 * @throttled: requests held back
 * @throttled_ns: time functions spent held back
 * @queued: functions waiting in the group's queues now
 */
struct dpu_rate_stats {
	u64 count[DPU_RATE_NR_CLASS];
	u64 bytes[DPU_RATE_NR_CLASS];
	u64 rx_dropped;
	u64 throttled;
	u64 throttled_ns;
	u64 queued;
};

/**
 * struct dpu_rate_queue - functions held back at a group, first come first
 *	served
 * @waiters: &struct dpu_rate_waiter, under the group's lock
 * @nr: how many
 * @timer: runs while @waiters is not empty, for when the head conforms
 * @g: the group
 */
struct dpu_rate_queue {
	struct list_head waiters;
	unsigned int nr;
	struct hrtimer timer;
	struct dpu_rate_group *g;
};

/**
 * struct dpu_rate_group - the buckets of one function or tenant
 * @tb: a bucket per &enum dpu_limit_kind
 * @limited: bit per kind with a rate
 * @parent: the next group up the chain, NULL at the top; readers hold RCU
 * @lock: protects the wait queues
 * @q: wait queues per &enum dpu_rate_class (rx never waits)
 * @pcpu: counters
 * @throttled: requests held back
 * @throttled_ns: time functions spent held back
 * @arm: starts @q's timer to expire at @expires (ns, monotonic); tests
 *	replace it
 */
struct dpu_rate_group {
	struct dpu_tb tb[DPU_LIM_NR];
	unsigned long limited;
	struct dpu_rate_group __rcu *parent;
	spinlock_t lock;	/* protects q */
	struct dpu_rate_queue q[DPU_RATE_NR_QUEUES];
	struct dpu_rate_pcpu __percpu *pcpu;
	atomic64_t throttled;
	atomic64_t throttled_ns;
	void (*arm)(struct dpu_rate_group *g, struct dpu_rate_queue *q,
		    u64 expires);
};

int dpu_rate_group_init(struct dpu_rate_group *g);
void dpu_rate_group_destroy(struct dpu_rate_group *g);
void dpu_rate_group_set_limits(struct dpu_rate_group *g,
			       const struct dpu_limits *lim, u64 now);
void dpu_rate_group_stats(struct dpu_rate_group *g, struct dpu_rate_stats *s);
void dpu_rate_queue_expire(struct dpu_rate_group *g, struct dpu_rate_queue *q,
			   u64 now);

void dpu_rate_waiter_init(struct dpu_rate_waiter *w,
			  void (*wake)(struct dpu_rate_waiter *w));
bool dpu_rate_waiter_cancel(struct dpu_rate_waiter *w);

static inline bool dpu_rate_waiter_pending(const struct dpu_rate_waiter *w)
{
	return READ_ONCE(w->wait_group);
}

/* dpu_rate_charge() results */
#define DPU_RATE_PASS	0
#define DPU_RATE_QUEUED	1

int dpu_rate_charge(struct dpu_rate_group *leaf, struct dpu_rate_waiter *w,
		    const struct dpu_rate_cost *c, u64 now);
bool dpu_rate_try(struct dpu_rate_group *leaf, const struct dpu_rate_cost *c,
		  u64 now);

/* Hierarchy checks, for the owner of the groups (under its lock). */
unsigned int dpu_rate_group_level(const struct dpu_rate_group *g);
bool dpu_rate_group_is_ancestor(const struct dpu_rate_group *a,
				const struct dpu_rate_group *g);
void dpu_rate_effective(const struct dpu_rate_group *leaf,
			struct dpu_limits *out);

#endif /* _DPU_RATE_H */
