/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dpupool: co-location QoS inside dpu.ko, shared by the hooks (dpu_qos.c),
 * their netlink commands (dpu_qos_nl.c) and tenants (dpu_tenant.c).
 */
#ifndef _DPU_QOS_H
#define _DPU_QOS_H

#include <linux/hrtimer.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/netlink.h>
#include <linux/rcupdate.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include "dpu_limits.h"
#include "dpu_qos_engine.h"

struct cgroup;
struct cgroup_subsys_state;
struct dpu_dev;
struct dpu_tenant;
struct genl_info;
struct netlink_callback;
struct sk_buff;

/* classified cgroups at most */
#define DPU_QOS_MAX_CGROUPS	1024

/* per-CPU accounting slots: the classes, then idle */
#define DPU_QOS_SLOT_IDLE	(DPU_QOS_CLASS_MAX + 1)
#define DPU_QOS_NR_SLOTS	(DPU_QOS_SLOT_IDLE + 1)

/**
 * struct dpu_qos_cg - a classified cgroup
 * @node: in &dpu_qos_state.cgs (RCU for the sampler, the lock for changes)
 * @cgrp: the cgroup, held
 * @mem_css: its memory controller state, held; NULL if it has none of its
 *	own (the controller is not enabled in its parent)
 * @id: cgroup id
 * @class: &enum dpu_qos_class, READ_ONCE by the hooks
 * @prio: eviction order among BE cgroups, lower first
 * @since: when it was classified, ns monotonic
 * @evicted: a decision evicted it
 * @dying: removed (rmdir); the entry goes at the next reap
 * @path: as given
 * @rcu: freed after a grace period
 */
struct dpu_qos_cg {
	struct list_head node;
	struct cgroup *cgrp;
	struct cgroup_subsys_state *mem_css;
	u64 id;
	u8 class;
	u32 prio;
	u64 since;
	bool evicted;
	bool dying;
	char path[DPU_CGROUP_PATH_LEN];
	struct rcu_head rcu;
};

/**
 * struct dpu_qos_state - the node's QoS
 * @lock: serializes classification, policy changes and the hooks' start
 *	and stop
 * @cgs: &struct dpu_qos_cg
 * @xa: the same by the low 32 bits of their ids (the probe's lookup)
 * @ncgs: entries in @cgs
 * @ntenants: tenants with a class, on all DPUs
 * @gen: bumped on every classification change (invalidates the probe's
 *	per-CPU cache)
 * @probe_on: the sched_switch probe is registered
 * @timer_on: the sampler runs
 * @eng_lock: protects @eng, @last, @mem_be, @cands, the sampler's memory
 * @eng: the engine and the decision in force
 * @last: the last sample
 * @mem_be: bytes BE cgroups held at the last sample
 * @timer: the sampler, every policy interval
 * @primed: the sampler has a first snapshot
 * @last_ns: when it last ran
 * @io_held: online tenants' I/O was held back lately (io_watch)
 * @io_saturated: a DPU online tenants use is saturated
 * @io_throttled: their throttle count at the last watch
 * @io_primed: @io_throttled is valid
 * @io_watch: watches online tenants while tenants have classes
 * @io_apply: applies the I/O cap to BE tenants after a change
 * @reap: drops entries of removed cgroups
 * @cap_on: the I/O cap in force on BE tenants (written by @io_apply)
 */
struct dpu_qos_state {
	struct mutex lock;	/* classification, policy, start/stop */
	struct list_head cgs;
	struct xarray xa;
	u32 ncgs;
	atomic_t ntenants;
	atomic_t gen;
	bool probe_on;
	bool timer_on;
	spinlock_t eng_lock;	/* engine and sampler state */
	struct dpu_qos_engine eng;
	struct dpu_qos_sample last;
	u64 mem_be;
	struct hrtimer timer;
	bool primed;
	u64 last_ns;
	bool io_held;
	bool io_saturated;
	u64 io_throttled;
	bool io_primed;
	struct delayed_work io_watch;
	struct work_struct io_apply;
	struct work_struct reap;
	bool cap_on;
};

extern struct dpu_qos_state dpu_qos;

int dpu_qos_init(void);
void dpu_qos_stop(void);
void dpu_qos_exit(void);

/* classification and policy, for netlink; extack says what is wrong */
int dpu_qos_class_set(const char *path, u8 class, u32 prio, bool has_prio,
		      u64 *id, struct netlink_ext_ack *extack);
int dpu_qos_class_del(const char *path, u64 id, struct netlink_ext_ack *extack);
struct dpu_qos_cg *dpu_qos_cg_find(const char *path, u64 id);
u64 dpu_qos_cg_mem(const struct dpu_qos_cg *c);
bool dpu_qos_io_load_get(struct dpu_dev *ddev, u64 *iops, u64 *bps,
			 bool *saturated);
int dpu_qos_policy_set(const struct dpu_qos_policy *pol,
		       struct netlink_ext_ack *extack);
void dpu_qos_snapshot(struct dpu_qos_policy *pol, struct dpu_qos_sample *s,
		      struct dpu_qos_decision *d, u64 *mem_be);

/* tenants */
void dpu_qos_tenant_classified(int delta);
u8 dpu_tenant_qos_effective(const struct dpu_tenant *tn);
void dpu_tenant_qos_applied(const struct dpu_tenant *tn,
			    struct dpu_limits *lim);
void dpu_tenant_qos_apply(struct dpu_dev *ddev);

/* netlink (dpu_qos_nl.c) */
void dpu_nl_qos_class_notify(const struct dpu_qos_cg *c, u8 cmd);
void dpu_nl_qos_decision_notify(gfp_t gfp);
int dpu_nl_qos_class_set_doit(struct sk_buff *skb, struct genl_info *info);
int dpu_nl_qos_class_del_doit(struct sk_buff *skb, struct genl_info *info);
int dpu_nl_qos_class_get_doit(struct sk_buff *skb, struct genl_info *info);
int dpu_nl_qos_class_get_dumpit(struct sk_buff *skb,
				struct netlink_callback *cb);
int dpu_nl_qos_get_doit(struct sk_buff *skb, struct genl_info *info);
int dpu_nl_qos_set_doit(struct sk_buff *skb, struct genl_info *info);

#endif /* _DPU_QOS_H */
