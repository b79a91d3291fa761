// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the GCRA token bucket.
 */
#include <kunit/test.h>
#include <linux/bits.h>
#include <linux/limits.h>
#include <linux/string.h>

#include "dpu_limits.h"
#include "dpu_tb.h"

#define MS	1000000ULL
#define S	1000000000ULL

/* take, forgetting what was charged */
static u64 take(struct dpu_tb *tb, u64 n, u64 now)
{
	u64 charged;

	return dpu_tb_take(tb, n, now, &charged);
}

static void tb_unlimited(struct kunit *test)
{
	struct dpu_tb tb;
	int i;

	dpu_tb_init(&tb);
	KUNIT_EXPECT_TRUE(test, dpu_tb_unlimited(&tb));
	for (i = 0; i < 1000; i++)
		KUNIT_EXPECT_EQ(test, take(&tb, 1ULL << 40, 5), 0ULL);
	dpu_tb_set(&tb, 100, 1, 0);
	dpu_tb_set(&tb, 0, 1, 0);	/* limit removed again */
	KUNIT_EXPECT_EQ(test, take(&tb, 1ULL << 40, 5), 0ULL);
}

static void tb_burst_then_rate(struct kunit *test)
{
	u64 now = 10 * S;
	struct dpu_tb tb;
	int i;

	dpu_tb_init(&tb);
	dpu_tb_set(&tb, 1000, 10, now);
	for (i = 0; i < 10; i++)
		KUNIT_EXPECT_EQ(test, take(&tb, 1, now), 0ULL);
	/* the 11th waits exactly one interval */
	KUNIT_EXPECT_EQ(test, take(&tb, 1, now), MS);
	KUNIT_EXPECT_EQ(test, take(&tb, 1, now + MS - 1), 1ULL);
	KUNIT_EXPECT_EQ(test, take(&tb, 1, now + MS), 0ULL);
	/* idle for a long time refills to the burst, not beyond */
	now += 100 * S;
	for (i = 0; i < 10; i++)
		KUNIT_EXPECT_EQ(test, take(&tb, 1, now), 0ULL);
	KUNIT_EXPECT_NE(test, take(&tb, 1, now), 0ULL);
}

static void tb_bigger_than_burst(struct kunit *test)
{
	struct dpu_tb tb;

	dpu_tb_init(&tb);
	dpu_tb_set(&tb, 1000, 4, 0);
	/* from a full bucket an oversized request passes, into debt */
	KUNIT_EXPECT_EQ(test, take(&tb, 100, S), 0ULL);
	KUNIT_EXPECT_EQ(test, take(&tb, 1, S), 97 * MS);
	/* and the next oversized one waits for a full bucket */
	KUNIT_EXPECT_EQ(test, take(&tb, 100, S), 100 * MS);
}

/* granting N tokens one by one takes N / rate seconds, to the ns */
static void tb_exact_long_run(struct kunit *test)
{
	const u64 rate = 3, burst = 1, n = 3000000;
	struct dpu_tb tb;
	u64 now = 0, w, i;

	dpu_tb_init(&tb);
	dpu_tb_set(&tb, rate, burst, now);
	for (i = 0; i < n; i++) {
		w = take(&tb, 1, now);
		if (w) {
			now += w;
			KUNIT_ASSERT_EQ(test, take(&tb, 1, now), 0ULL);
		}
	}
	/*
	 * first token free (full bucket), then (n - 1) / 3 s: 999999.666.. s,
	 * never faster, and slower by at most 1 ns per request
	 */
	KUNIT_EXPECT_GE(test, now, (n - 1) * S / rate);
	KUNIT_EXPECT_LE(test, now, (n - 1) * S / rate + n);
}

static void tb_bytes_long_run(struct kunit *test)
{
	/* 100 MB/s with 4 KiB requests for 600 simulated seconds */
	const u64 rate = 100000000, req = 4096;
	struct dpu_tb tb;
	u64 now = 0, bytes = 0, w;

	dpu_tb_init(&tb);
	dpu_tb_set(&tb, rate, 65536, now);
	while (now < 600 * S) {
		w = take(&tb, req, now);
		if (w)
			now += w;
		else
			bytes += req;
	}
	/* rate * time + the initial burst, within one request */
	KUNIT_EXPECT_LE(test, bytes, rate * 600 + 65536 + req);
	KUNIT_EXPECT_GE(test, bytes, rate * 600 + 65536 - req);
}

static void tb_extremes(struct kunit *test)
{
	u64 now = U64_MAX / 4;
	struct dpu_tb tb;

	dpu_tb_init(&tb);
	/* 1 token per second, 4 GiB burst: no overflow */
	dpu_tb_set(&tb, 1, 1ULL << 32, now);
	KUNIT_EXPECT_EQ(test, take(&tb, 1ULL << 32, now), 0ULL);
	KUNIT_EXPECT_EQ(test, take(&tb, 1, now), S);
	/* an absurd rate still limits, with a non-zero interval */
	dpu_tb_set(&tb, U64_MAX, 1, now);
	KUNIT_EXPECT_FALSE(test, dpu_tb_unlimited(&tb));
	KUNIT_EXPECT_EQ(test, take(&tb, 1, now + 2 * S), 0ULL);
	/* 1 TB/s with a 4 GiB request */
	dpu_tb_set(&tb, 1000000000000ULL, 1ULL << 32, now);
	KUNIT_EXPECT_EQ(test, take(&tb, 1ULL << 32, now + 4 * S), 0ULL);
	KUNIT_EXPECT_NE(test, take(&tb, 1ULL << 32, now + 4 * S), 0ULL);
}

static void tb_rate_change(struct kunit *test)
{
	struct dpu_tb tb;
	u64 now = S;

	dpu_tb_init(&tb);
	dpu_tb_set(&tb, 10, 1, now);
	KUNIT_EXPECT_EQ(test, take(&tb, 1000, now), 0ULL);	/* 100 s of debt */
	KUNIT_EXPECT_GT(test, take(&tb, 1, now), 99 * S);
	/* raising the rate forgives the old debt: effective at once */
	dpu_tb_set(&tb, 1000000, 1000, now);
	KUNIT_EXPECT_EQ(test, take(&tb, 1, now + MS), 0ULL);
	/* lowering it takes effect at the next request */
	dpu_tb_set(&tb, 1, 1, now + MS);
	KUNIT_EXPECT_EQ(test, take(&tb, 1, now + 2 * MS), 0ULL);
	KUNIT_EXPECT_GT(test, take(&tb, 1, now + 2 * MS), S / 2);
}

/*
 * A refund gives back exactly what was taken: an unlimited bucket took
 * nothing, so a limit set before the refund must not wrap TAT below 0 (it
 * made the next wait ~2^64 ns); a rate changed in between must not refund
 * at the new rate.
 */
static void tb_refund_after_limit_change(struct kunit *test)
{
	u64 now = 5 * S, charged, w;
	struct dpu_tb tb;

	dpu_tb_init(&tb);
	KUNIT_EXPECT_EQ(test, dpu_tb_take(&tb, 4096, now, &charged), 0ULL);
	KUNIT_EXPECT_EQ(test, charged, 0ULL);
	dpu_tb_set(&tb, 1000, 100, now);	/* limit enabled meanwhile */
	dpu_tb_refund(&tb, charged);
	KUNIT_EXPECT_LE(test, (u64)atomic64_read(&tb.tat), now);
	/* the bucket behaves as a fresh one: a burst, then 1 ms a token */
	KUNIT_EXPECT_EQ(test, take(&tb, 100, now), 0ULL);
	w = take(&tb, 1, now);
	KUNIT_EXPECT_EQ(test, w, MS);

	/* taken at 1000/s, refunded after a change to 10/s: exact */
	dpu_tb_init(&tb);
	dpu_tb_set(&tb, 1000, 10, now);
	KUNIT_EXPECT_EQ(test, take(&tb, 5, now), 0ULL);
	w = atomic64_read(&tb.tat);
	KUNIT_EXPECT_EQ(test, dpu_tb_take(&tb, 3, now, &charged), 0ULL);
	KUNIT_EXPECT_EQ(test, charged, 3 * MS);
	dpu_tb_set(&tb, 10, 10, now);
	dpu_tb_refund(&tb, charged);
	KUNIT_EXPECT_EQ(test, (u64)atomic64_read(&tb.tat), w);

	/* a refund larger than TAT (debt forgiven meanwhile) stops at 0 */
	atomic64_set(&tb.tat, 10);
	dpu_tb_refund(&tb, 1000);
	KUNIT_EXPECT_EQ(test, (u64)atomic64_read(&tb.tat), 0ULL);
}

/* TAT and waits saturate at the clock's range instead of wrapping */
static void tb_saturates(struct kunit *test)
{
	u64 now = DPU_TB_TIME_MAX - S, charged, w;
	struct dpu_tb tb;

	dpu_tb_init(&tb);
	dpu_tb_set(&tb, 1, 1ULL << 32, now);
	KUNIT_EXPECT_EQ(test, dpu_tb_take(&tb, 1ULL << 34, now, &charged), 0ULL);
	KUNIT_EXPECT_EQ(test, (u64)atomic64_read(&tb.tat), DPU_TB_TIME_MAX);
	KUNIT_EXPECT_EQ(test, charged, S);
	w = take(&tb, 1ULL << 34, now);
	KUNIT_EXPECT_GT(test, w, 0ULL);
	KUNIT_EXPECT_LE(test, w, DPU_TB_TIME_MAX - now);
	/* a corrupt TAT never yields a wait past the clock's range */
	atomic64_set(&tb.tat, -1LL);
	w = take(&tb, 1, S);
	KUNIT_EXPECT_LE(test, w, DPU_TB_TIME_MAX - S);
}

static void limits_check_and_burst(struct kunit *test)
{
	struct dpu_limit l = { .rate = 2000 };
	struct dpu_limits lim = {};

	KUNIT_EXPECT_NULL(test, dpu_limit_check(DPU_LIM_BLK_IOPS, &l));
	KUNIT_EXPECT_EQ(test, dpu_limit_burst(DPU_LIM_BLK_IOPS, &l), 200ULL);
	l.rate = 5;
	KUNIT_EXPECT_EQ(test, dpu_limit_burst(DPU_LIM_BLK_IOPS, &l), 1ULL);
	KUNIT_EXPECT_EQ(test, dpu_limit_burst(DPU_LIM_BLK_BPS, &l), 131072ULL);
	l.burst = 300;
	KUNIT_EXPECT_NULL(test, dpu_limit_check(DPU_LIM_BLK_IOPS, &l));
	KUNIT_EXPECT_EQ(test, dpu_limit_burst(DPU_LIM_BLK_IOPS, &l), 300ULL);
	l.burst = 301;
	KUNIT_EXPECT_STREQ(test, dpu_limit_check(DPU_LIM_BLK_IOPS, &l),
			   "limit burst larger than a minute at the rate");
	l.rate = 0;
	KUNIT_EXPECT_STREQ(test, dpu_limit_check(DPU_LIM_BLK_IOPS, &l),
			   "limit burst given without a rate");
	l.rate = DPU_LIMIT_RATE_MAX + 1;
	l.burst = 0;
	KUNIT_EXPECT_NOT_NULL(test, dpu_limit_check(DPU_LIM_NET_TX_BPS, &l));
	KUNIT_EXPECT_NOT_NULL(test, dpu_limit_check(DPU_LIM_NR, &l));

	KUNIT_EXPECT_FALSE(test, dpu_limits_any(&lim, true));
	lim.l[DPU_LIM_NET_RX_PPS].rate = 1;
	KUNIT_EXPECT_FALSE(test, dpu_limits_any(&lim, true));
	KUNIT_EXPECT_TRUE(test, dpu_limits_any(&lim, false));
	/* uapi numbers come from a table, not from the enum's order */
	KUNIT_EXPECT_EQ(test, dpu_limit_rate_attr(DPU_LIM_BLK_IOPS),
			(unsigned int)DPU_A_LIMIT_BLK_IOPS);
	KUNIT_EXPECT_EQ(test, dpu_limit_rate_attr(DPU_LIM_BLK_WRITE_BPS),
			(unsigned int)DPU_A_LIMIT_BLK_WRITE_BPS);
	KUNIT_EXPECT_EQ(test, dpu_limit_burst_attr(DPU_LIM_NET_RX_PPS),
			(unsigned int)DPU_A_LIMIT_NET_RX_PPS_BURST);
	KUNIT_EXPECT_EQ(test, dpu_limit_burst_attr(DPU_LIM_NET_TX_BPS),
			(unsigned int)DPU_A_LIMIT_NET_TX_BPS_BURST);
}

/* a change applies to the limits in force: only what it names, or nothing */
static void limits_apply(struct kunit *test)
{
	struct dpu_limits lim = {}, before;
	struct dpu_limits_change chg = {};
	const struct nlattr *bad = NULL;
	const struct nlattr *marker = (const struct nlattr *)&chg;

	lim.l[DPU_LIM_BLK_BPS].rate = 1000000;
	lim.l[DPU_LIM_BLK_BPS].burst = 2000000;
	/* iops set: bps untouched */
	chg.lim.l[DPU_LIM_BLK_IOPS].rate = 500;
	chg.rate = BIT(DPU_LIM_BLK_IOPS);
	KUNIT_EXPECT_NULL(test, dpu_limits_apply(&lim, &chg, &bad));
	KUNIT_EXPECT_EQ(test, lim.l[DPU_LIM_BLK_IOPS].rate, 500ULL);
	KUNIT_EXPECT_EQ(test, lim.l[DPU_LIM_BLK_BPS].rate, 1000000ULL);
	KUNIT_EXPECT_EQ(test, lim.l[DPU_LIM_BLK_BPS].burst, 2000000ULL);
	/* a rate of 0 removes the limit and its burst */
	memset(&chg, 0, sizeof(chg));
	chg.rate = BIT(DPU_LIM_BLK_BPS);
	KUNIT_EXPECT_NULL(test, dpu_limits_apply(&lim, &chg, &bad));
	KUNIT_EXPECT_EQ(test, lim.l[DPU_LIM_BLK_BPS].rate, 0ULL);
	KUNIT_EXPECT_EQ(test, lim.l[DPU_LIM_BLK_BPS].burst, 0ULL);
	/* a burst alone on a kind with a rate keeps the rate */
	memset(&chg, 0, sizeof(chg));
	chg.lim.l[DPU_LIM_BLK_IOPS].burst = 50;
	chg.burst = BIT(DPU_LIM_BLK_IOPS);
	KUNIT_EXPECT_NULL(test, dpu_limits_apply(&lim, &chg, &bad));
	KUNIT_EXPECT_EQ(test, lim.l[DPU_LIM_BLK_IOPS].rate, 500ULL);
	KUNIT_EXPECT_EQ(test, lim.l[DPU_LIM_BLK_IOPS].burst, 50ULL);
	/* one bad kind: nothing changes, the bad attribute is named */
	before = lim;
	memset(&chg, 0, sizeof(chg));
	chg.lim.l[DPU_LIM_BLK_IOPS].rate = 700;
	chg.lim.l[DPU_LIM_NET_TX_BPS].burst = 10;	/* burst without a rate */
	chg.rate = BIT(DPU_LIM_BLK_IOPS);
	chg.burst = BIT(DPU_LIM_NET_TX_BPS);
	chg.attr[DPU_LIM_NET_TX_BPS] = marker;
	KUNIT_EXPECT_STREQ(test, dpu_limits_apply(&lim, &chg, &bad),
			   "limit burst given without a rate");
	KUNIT_EXPECT_PTR_EQ(test, bad, marker);
	KUNIT_EXPECT_EQ(test, memcmp(&lim, &before, sizeof(lim)), 0);
}

static struct kunit_case dpu_tb_cases[] = {
	KUNIT_CASE(tb_unlimited),
	KUNIT_CASE(tb_burst_then_rate),
	KUNIT_CASE(tb_bigger_than_burst),
	KUNIT_CASE(tb_exact_long_run),
	KUNIT_CASE(tb_bytes_long_run),
	KUNIT_CASE(tb_extremes),
	KUNIT_CASE(tb_rate_change),
	KUNIT_CASE(tb_refund_after_limit_change),
	KUNIT_CASE(tb_saturates),
	KUNIT_CASE(limits_check_and_burst),
	KUNIT_CASE(limits_apply),
	{}
};

static struct kunit_suite dpu_tb_suite = {
	.name = "dpu_tb",
	.test_cases = dpu_tb_cases,
};

kunit_test_suite(dpu_tb_suite);
