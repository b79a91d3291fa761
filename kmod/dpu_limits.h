/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dpupool: rate limits of functions (and, later, tenants). PCI-free, built
 * on UML for KUnit.
 */
#ifndef _DPU_LIMITS_H
#define _DPU_LIMITS_H

#include <linux/types.h>
#include <linux/dpu.h>

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

/* netlink attribute of a kind's rate; its burst is the next one */
static inline unsigned int dpu_limit_attr(unsigned int kind)
{
	return DPU_A_LIMIT_BLK_IOPS + 2 * kind;
}

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

u64 dpu_limit_burst(unsigned int kind, const struct dpu_limit *l);
const char *dpu_limit_check(unsigned int kind, const struct dpu_limit *l);
bool dpu_limits_any(const struct dpu_limits *lim, bool blk);

#endif /* _DPU_LIMITS_H */
