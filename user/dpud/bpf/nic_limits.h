/* SPDX-License-Identifier: (GPL-2.0-or-later OR BSD-2-Clause) */
/*
 * dpupool NIC limits in BPF: what the TC programs (nic_limits.bpf.c) and
 * their users (dpud, dpuctl) share. The maps are pinned in bpffs, so this
 * layout is an interface between one dpud and the next: a change must
 * bump DPU_NL_LAYOUT (dpud then starts with fresh maps).
 *
 * A function's packets are charged to a chain of levels: the function
 * itself, its tenant, the tenant's parent ... up to a root tenant. Each
 * level has four buckets (tx/rx bytes and packets per second) kept as
 * virtual times: egress packets leave at the latest of their levels'
 * virtual times (earliest departure time, paced by the fq qdisc),
 * ingress packets a level has no room for are dropped (policing).
 *
 * Fair shares: a level remembers which of its children sent lately
 * (DPU_NL_CHILDREN, within DPU_NL_ACTIVE_NS); while n of them do, each is
 * also paced at 1/n of the level's tx rates (share_vt, kept in the
 * child's state). Without it the first sender's reserved departure times
 * would crowd the others out of a shared rate.
 */
#ifndef DPU_NIC_LIMITS_H
#define DPU_NIC_LIMITS_H

#include <linux/types.h>
#include <linux/bpf.h>

#define DPU_NL_LAYOUT		2
#define DPU_NL_LEVELS		9	/* a function and 8 levels of tenants */
#define DPU_NL_SLOTS		1024	/* levels in use at once */
#define DPU_NL_FNS		4096	/* net devices limited at once */
#define DPU_NL_TENANT_LEN	64
#define DPU_NL_NO_FN		0xffffffffu	/* dpu_nl_ident of a tenant */

enum dpu_nl_bucket {
	DPU_NL_TX_BPS,
	DPU_NL_TX_PPS,
	DPU_NL_RX_BPS,
	DPU_NL_RX_PPS,
	DPU_NL_BUCKETS,
};

/* nl_conf[slot]: a level's limits; rate 0: none (written by dpud only) */
struct dpu_nl_conf {
	__u64 rate[DPU_NL_BUCKETS];	/* bytes or packets per second */
	__u64 tau_ns[DPU_NL_BUCKETS];	/* the burst, in ns of the rate */
};

/* nl_state[slot]: the virtual times, under the lock */
#define DPU_NL_CHILDREN		8
#define DPU_NL_ACTIVE_NS	50000000ULL	/* 50 ms */

struct dpu_nl_state {
	struct bpf_spin_lock lock;
	__u32 pad;
	__u64 vt[DPU_NL_BUCKETS];
	__u64 share_vt[2];		/* tx bytes, tx packets: the parent's 1/n */
	__u32 child[DPU_NL_CHILDREN];	/* slot + 1 of children seen, 0: none */
	__u64 child_seen[DPU_NL_CHILDREN];
};

/* nl_fns[ifindex]: the levels a net device's packets are charged to */
struct dpu_nl_fn {
	__u32 fn_index;
	__u32 nlevels;
	__u32 level[DPU_NL_LEVELS];	/* slots, the function's own first */
};

/* nl_stats[slot], per CPU: what went through the level */
struct dpu_nl_stats {
	__u64 tx_packets;	/* sent (on time or delayed) */
	__u64 tx_bytes;
	__u64 tx_delayed;	/* given a later departure time */
	__u64 tx_delay_ns;	/* the sum of those delays */
	__u64 tx_dropped;	/* beyond the horizon */
	__u64 tx_dropped_bytes;
	__u64 rx_packets;	/* received within the limits */
	__u64 rx_bytes;
	__u64 rx_dropped;	/* policed */
	__u64 rx_dropped_bytes;
};

#ifndef __bpf__
/* userspace: a level's per-CPU counters summed into @sum */
static inline void dpu_nl_stats_add(struct dpu_nl_stats *sum,
				    const struct dpu_nl_stats *x)
{
	sum->tx_packets += x->tx_packets;
	sum->tx_bytes += x->tx_bytes;
	sum->tx_delayed += x->tx_delayed;
	sum->tx_delay_ns += x->tx_delay_ns;
	sum->tx_dropped += x->tx_dropped;
	sum->tx_dropped_bytes += x->tx_dropped_bytes;
	sum->rx_packets += x->rx_packets;
	sum->rx_bytes += x->rx_bytes;
	sum->rx_dropped += x->rx_dropped;
	sum->rx_dropped_bytes += x->rx_dropped_bytes;
}
#endif

/* nl_ident[slot]: whose level it is (used by dpud and dpuctl only) */
struct dpu_nl_ident {
	__u32 used;
	__u32 fn_index;		/* DPU_NL_NO_FN: a tenant's level */
	char tenant[DPU_NL_TENANT_LEN];	/* the function's tenant, or the tenant */
};

/* nl_global[0] */
struct dpu_nl_global {
	__u64 layout;		/* DPU_NL_LAYOUT of whoever created the maps */
	__u64 horizon_ns;	/* egress packets delayed longer are dropped */
};

#endif /* DPU_NIC_LIMITS_H */
