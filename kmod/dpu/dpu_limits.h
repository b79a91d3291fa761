/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dpupool: rate limits of functions (and, later, tenants). PCI-free, built
 * on UML for KUnit.
 */
#ifndef _DPU_LIMITS_H
#define _DPU_LIMITS_H

#include <linux/types.h>
#include <linux/dpu.h>

struct nlattr;

enum dpu_limit_kind {
	DPU_LIM_BLK_IOPS,
	DPU_LIM_BLK_READ_IOPS,
	DPU_LIM_BLK_WRITE_IOPS,
	DPU_LIM_BLK_BPS,
	DPU_LIM_BLK_READ_BPS,
	DPU_LIM_BLK_WRITE_BPS,
	DPU_LIM_NET_TX_BPS,
	DPU_LIM_NET_RX_BPS,
	DPU_LIM_NET_TX_PPS,
	DPU_LIM_NET_RX_PPS,
	DPU_LIM_NR,
};

#define DPU_LIMIT_RATE_MAX	1000000000000ULL	/* 1e12 per second */

/**
 * struct dpu_limit - one limit
 * @rate: per second; 0 means no limit
 * @burst: as configured; 0 means the default (dpu_limit_burst())
 */
struct dpu_limit {
	u64 rate;
	u64 burst;
};

struct dpu_limits {
	struct dpu_limit l[DPU_LIM_NR];
};

/* netlink attributes (enum dpu_limit_attr) of a kind's rate and burst */
unsigned int dpu_limit_rate_attr(unsigned int kind);
unsigned int dpu_limit_burst_attr(unsigned int kind);

static inline bool dpu_limit_is_bytes(unsigned int kind)
{
	return kind == DPU_LIM_BLK_BPS || kind == DPU_LIM_BLK_READ_BPS ||
	       kind == DPU_LIM_BLK_WRITE_BPS || kind == DPU_LIM_NET_TX_BPS ||
	       kind == DPU_LIM_NET_RX_BPS;
}

static inline bool dpu_limit_is_blk(unsigned int kind)
{
	return kind <= DPU_LIM_BLK_WRITE_BPS;
}

/**
 * struct dpu_limits_change - what a request changes of some limits
 * @lim: the values given
 * @rate: bit per kind whose rate is given (0 removes the limit)
 * @burst: bit per kind whose burst is given
 * @attr: per kind, the request's attribute, for error messages
 *
 * Applied to the limits in force under the owner's lock, so that two
 * changes of different kinds never undo each other.
 */
struct dpu_limits_change {
	struct dpu_limits lim;
	unsigned long rate;
	unsigned long burst;
	const struct nlattr *attr[DPU_LIM_NR];
};

const char *dpu_limits_apply(struct dpu_limits *lim,
			     const struct dpu_limits_change *chg,
			     const struct nlattr **bad);
u64 dpu_limit_burst(unsigned int kind, const struct dpu_limit *l);
const char *dpu_limit_check(unsigned int kind, const struct dpu_limit *l);
bool dpu_limits_any(const struct dpu_limits *lim, bool blk);

#endif /* _DPU_LIMITS_H */
