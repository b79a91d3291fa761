/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dpupool: the co-location QoS policy engine. Pure computation on samples
 * (CPU time by class, memory in use, online tenants held back): no locks,
 * no cgroups, no PCI. Built on UML for KUnit.
 *
 * CPU: best-effort (BE) may use total * threshold - online - system, never
 * less than a floor; online use is averaged over a short window, system
 * use over the last 256 samples. A lower budget applies at once (online work is
 * protected within one sample); a higher one only once every sample for
 * release_ms asked for more than the current budget plus the hysteresis,
 * and then the least of what they asked for.
 *
 * Memory: at or above the high watermark BE memory is reclaimed (the bytes
 * to bring use down to the low watermark); if use is still above the low
 * watermark after reclaim_ms, BE cgroups are evicted, lowest priority
 * first, most recently classified first among equals, until what they hold
 * covers the excess; no further eviction for cooldown_ms. Below the low
 * watermark reclaim stops.
 *
 * I/O: while online tenants are held back by their limits, BE tenants are
 * capped; the cap is lifted once that has not been so for release_ms.
 */
#ifndef _DPU_QOS_ENGINE_H
#define _DPU_QOS_ENGINE_H

#include <linux/types.h>
#include <linux/dpu.h>

/* how many cgroups one decision evicts at most */
#define DPU_QOS_MAX_EVICT	16

/**
 * struct dpu_qos_policy - the node policy (&enum dpu_qos_policy_attr)
 * @enabled: decisions are made at all
 * @interval_ms: sampling period
 * @cpu_threshold: percent of the node's CPUs online + system + BE may use
 * @cpu_be_min: BE's floor, milli-CPUs
 * @cpu_hysteresis: milli-CPUs a budget must rise by to be raised
 * @cpu_release_ms: how long a higher budget must hold before it applies
 * @mem_high: percent of memory in use that starts reclaim; 0: no memory
 *	management
 * @mem_low: percent reclaim and eviction bring use down to
 * @mem_reclaim_ms: how long reclaim has before cgroups are evicted
 * @mem_cooldown_ms: least time between two evictions
 * @io_be_iops: cap of each BE tenant's IOPS while online I/O is held back
 * @io_be_bps: the same, bytes per second
 * @cpu_window_ms: CPU use is averaged over this long for the budget
 */
struct dpu_qos_policy {
	bool enabled;
	u32 interval_ms;
	u32 cpu_threshold;
	u32 cpu_be_min;
	u32 cpu_hysteresis;
	u32 cpu_release_ms;
	u32 mem_high;
	u32 mem_low;
	u32 mem_reclaim_ms;
	u32 mem_cooldown_ms;
	u64 io_be_iops;
	u64 io_be_bps;
	u32 cpu_window_ms;
};

/* samples the CPU averages span at most (system use: all of them) */
#define DPU_QOS_RING		256

void dpu_qos_policy_default(struct dpu_qos_policy *p);
const char *dpu_qos_policy_check(const struct dpu_qos_policy *p);

/**
 * struct dpu_qos_sample - what the hooks saw over one window
 * @now_ns: end of the window, monotonic
 * @window_ns: its length
 * @ncpus: CPUs online
 * @class_ns: CPU time per &enum dpu_qos_class (index 0: unclassified
 *	tasks and the kernel, the "system")
 * @mem_total: bytes of memory
 * @mem_used: bytes in use (total less available)
 * @io_online_held: online tenants' I/O was held back by their limits
 * @io_saturated: a DPU online tenants do I/O on is saturated, see
 *	dpu_qos_io_contended()
 */
struct dpu_qos_sample {
	u64 now_ns;
	u64 window_ns;
	u32 ncpus;
	u64 class_ns[DPU_QOS_CLASS_MAX + 1];
	u64 mem_total;
	u64 mem_used;
	bool io_online_held;
	bool io_saturated;
};

/**
 * struct dpu_qos_cand - a BE cgroup that may be evicted
 * @id: its cgroup id
 * @prio: its priority (lower goes first)
 * @since: when it was classified, ns (later goes first among equals)
 * @mem: bytes it holds
 */
struct dpu_qos_cand {
	u64 id;
	u32 prio;
	u64 since;
	u64 mem;
};

/**
 * struct dpu_qos_decision - what to do, as announced
 * @seq: bumped on every change
 * @changed: &enum dpu_qos_change bits of the last change
 * @be_cpu: BE's CPU budget, milli-CPUs
 * @online_cpu: online use the budget was computed from, milli-CPUs
 * @system_cpu: system use, milli-CPUs
 * @reclaim: bytes BE should give back, 0: none
 * @nevict: entries in @evict
 * @evict: cgroup ids to evict now
 * @evict_mem: what each holds
 * @io_cap: BE tenants' I/O is capped
 */
struct dpu_qos_decision {
	u32 seq;
	u32 changed;
	u32 be_cpu;
	u32 online_cpu;
	u32 system_cpu;
	u64 reclaim;
	u32 nevict;
	u64 evict[DPU_QOS_MAX_EVICT];
	u64 evict_mem[DPU_QOS_MAX_EVICT];
	bool io_cap;
};

/**
 * struct dpu_qos_engine - the policy and what it remembers
 * @pol: the policy
 * @d: the decision in force
 * @have_cpu: @d.be_cpu was decided once
 * @up_pending: budgets above the current one (plus hysteresis) since @up_since
 * @up_min: the least of them
 * @reclaiming: memory above the high watermark, not yet below the low one
 * @reclaim_since: when reclaim started
 * @evicted_once: @last_evict is valid
 * @last_evict: when cgroups were last evicted
 * @io_last_held: when online I/O was last held back
 * @ring: the last samples' window, online and system time, for the average
 * @ring_head: next slot to write
 * @ring_n: slots in use
 * @ring_window: sum of the window of the slots in use
 * @ring_system: sum of their system time
 */
struct dpu_qos_engine {
	struct dpu_qos_policy pol;
	struct dpu_qos_decision d;
	bool have_cpu;
	bool up_pending;
	u64 up_since;
	u32 up_min;
	bool reclaiming;
	u64 reclaim_since;
	bool evicted_once;
	u64 last_evict;
	u64 io_last_held;
	struct {
		u64 window_ns, online_ns, system_ns;
	} ring[DPU_QOS_RING];
	u32 ring_head;
	u32 ring_n;
	u64 ring_window;
	u64 ring_system;
};

void dpu_qos_engine_init(struct dpu_qos_engine *e,
			 const struct dpu_qos_policy *pol);
void dpu_qos_engine_set_policy(struct dpu_qos_engine *e,
			       const struct dpu_qos_policy *pol);
u32 dpu_qos_step(struct dpu_qos_engine *e, const struct dpu_qos_sample *s,
		 struct dpu_qos_cand *cands, u32 ncands);
bool dpu_qos_io_saturated(u64 iops, u64 bps, u64 cap_iops, u64 cap_bps);
bool dpu_qos_io_contended(bool saturated, bool online_active, bool was,
			  bool capped);
u32 dpu_qos_cpu_target(const struct dpu_qos_policy *p,
		       const struct dpu_qos_sample *s, u32 *online,
		       u32 *system);

#endif /* _DPU_QOS_ENGINE_H */
