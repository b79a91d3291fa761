/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dpupool: token buckets for throttling, as a generic cell rate algorithm
 * (GCRA). A bucket keeps one number, the theoretical arrival time (TAT):
 * refill is computed from the clock, never accumulated, so nothing drifts
 * beyond the rounding of each request's cost up to a whole ns.
 * The fast path is one cmpxchg and a 64x64->128 multiplication, no division.
 */
#ifndef _DPU_TB_H
#define _DPU_TB_H

#include <linux/atomic.h>
#include <linux/limits.h>
#include <linux/types.h>

/**
 * struct dpu_tb - a token bucket
 * @tat: theoretical arrival time, ns: when the bucket is full again
 * @interval: ns per token in 32.32 fixed point; 0 means unlimited
 * @tolerance: ns of credit a full bucket holds: burst * interval
 * @rate: tokens per second as configured (0: unlimited)
 * @burst: bucket depth in tokens as configured
 */
struct dpu_tb {
	atomic64_t tat;
	u64 interval;
	u64 tolerance;
	u64 rate;
	u64 burst;
};

void dpu_tb_init(struct dpu_tb *tb);
void dpu_tb_set(struct dpu_tb *tb, u64 rate, u64 burst, u64 now);
/* TAT and the expiries derived from it never go past this (ktime_t's max) */
#define DPU_TB_TIME_MAX		((u64)S64_MAX)

u64 dpu_tb_take(struct dpu_tb *tb, u64 n, u64 now, u64 *charged);
void dpu_tb_refund(struct dpu_tb *tb, u64 charged);

static inline bool dpu_tb_unlimited(const struct dpu_tb *tb)
{
	return !READ_ONCE(tb->interval);
}

#endif /* _DPU_TB_H */
