// SPDX-License-Identifier: GPL-2.0
/*
 * dpupool: token buckets (GCRA). Pure logic, unit tested with KUnit on UML.
 */
#include <linux/export.h>
#include <linux/kernel.h>
#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/time64.h>

#include "dpu_tb.h"

void dpu_tb_init(struct dpu_tb *tb)
{
	atomic64_set(&tb->tat, 0);
	tb->interval = 0;
	tb->tolerance = 0;
	tb->rate = 0;
	tb->burst = 0;
}
EXPORT_SYMBOL_GPL(dpu_tb_init);

/*
 * ns that @n tokens cost, rounded up: the bucket may err below its rate by
 * at most 1 ns per request, never above it.
 */
static u64 dpu_tb_cost(u64 interval, u64 n)
{
	return mul_u64_u64_shr(n, interval, 32) +
	       !!((n * interval) & 0xffffffffULL);
}

/**
 * dpu_tb_set() - change rate and burst, also while the bucket is in use
 * @tb: the bucket
 * @rate: tokens per second; 0 removes the limit
 * @burst: tokens that may pass at once from a full bucket (at least 1)
 * @now: the clock, ns
 *
 * Debt beyond one full bucket at the new rate is forgiven, so a new limit
 * takes effect at once. Not for concurrent callers: serialize changes.
 */
void dpu_tb_set(struct dpu_tb *tb, u64 rate, u64 burst, u64 now)
{
	u64 interval = 0, tolerance = 0, tat;

	burst = max_t(u64, burst, 1);
	if (rate) {
		/* ns per token, 32.32; a rate of 1/s fits (2^62 > 1e9 << 32) */
		interval = div64_u64(NSEC_PER_SEC << 32, rate);
		interval = max_t(u64, interval, 1);
		tolerance = dpu_tb_cost(interval, burst);
	}
	WRITE_ONCE(tb->rate, rate);
	WRITE_ONCE(tb->burst, burst);
	WRITE_ONCE(tb->tolerance, tolerance);
	WRITE_ONCE(tb->interval, interval);

	tat = atomic64_read(&tb->tat);
	if (tat > now + tolerance)
		atomic64_set(&tb->tat, now + tolerance);
}
EXPORT_SYMBOL_GPL(dpu_tb_set);

/**
 * dpu_tb_take() - take @n tokens if the bucket has them
 * @tb: the bucket
 * @n: tokens (I/Os, bytes, packets); more than the burst passes from a full
 *	bucket and leaves it in debt
 * @now: the clock, ns (monotonic)
 * @charged: set to what was taken, in ns of the bucket's time (0 if the
 *	bucket is unlimited or nothing was taken): the exact amount to give
 *	back with dpu_tb_refund(), whatever the rate is by then
 *
 * Return: 0 if the tokens were taken, else how many ns to wait before they
 * can be (nothing is taken then); never more than %DPU_TB_TIME_MAX - @now.
 * Lock-free.
 */
u64 dpu_tb_take(struct dpu_tb *tb, u64 n, u64 now, u64 *charged)
{
	u64 interval = READ_ONCE(tb->interval);
	u64 tolerance, cost, room, base, tat;
	s64 old;

	*charged = 0;
	if (!interval)
		return 0;
	now = min(now, DPU_TB_TIME_MAX);
	tolerance = READ_ONCE(tb->tolerance);
	cost = dpu_tb_cost(interval, n);
	/* backlog the bucket may hold before this request */
	room = tolerance - min(cost, tolerance);

	old = atomic64_read(&tb->tat);
	do {
		base = max_t(u64, old, now);
		if (base - now > room)
			return min(base - now - room, DPU_TB_TIME_MAX - now);
		/* saturate: a TAT past the clock's range would wrap */
		tat = base + min(cost, DPU_TB_TIME_MAX - base);
	} while (!atomic64_try_cmpxchg(&tb->tat, &old, tat));
	*charged = tat - base;
	return 0;
}
EXPORT_SYMBOL_GPL(dpu_tb_take);

/**
 * dpu_tb_refund() - give back what dpu_tb_take() took
 * @tb: the bucket
 * @charged: what dpu_tb_take() reported it took
 *
 * For a request that passed one bucket and was then held back by another.
 * The rate may have changed in between: the refund is what was taken, not
 * what @n tokens cost now, and TAT never goes below 0.
 */
void dpu_tb_refund(struct dpu_tb *tb, u64 charged)
{
	s64 old;

	if (!charged)
		return;
	old = atomic64_read(&tb->tat);
	do {
	} while (!atomic64_try_cmpxchg(&tb->tat, &old,
				       (u64)old - min_t(u64, old, charged)));
}
EXPORT_SYMBOL_GPL(dpu_tb_refund);
