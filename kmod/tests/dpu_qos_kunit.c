// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the co-location QoS policy engine.
 */
#include <kunit/test.h>
#include <linux/kernel.h>
#include <linux/limits.h>
#include <linux/string.h>

#include "dpu_qos_engine.h"

#define MS	1000000ULL
#define MB	(1024ULL * 1024)

/* a 10 ms window on @ncpus CPUs with online, system and BE use in mCPU */
static struct dpu_qos_sample cpu_sample(u64 now, u32 ncpus, u32 online,
					u32 system, u32 be)
{
	struct dpu_qos_sample s = {
		.now_ns = now, .window_ns = 10 * MS, .ncpus = ncpus,
		.mem_total = 1000 * MB, .mem_used = 100 * MB,
	};

	s.class_ns[DPU_QOS_CLASS_LS] = (u64)online * 10 * MS / 1000;
	s.class_ns[DPU_QOS_CLASS_NONE] = (u64)system * 10 * MS / 1000;
	s.class_ns[DPU_QOS_CLASS_BE] = (u64)be * 10 * MS / 1000;
	return s;
}

/* the default policy, CPU use not averaged (the samples are 10 ms) */
static void engine(struct dpu_qos_engine *e)
{
	struct dpu_qos_policy p;

	dpu_qos_policy_default(&p);
	p.cpu_window_ms = 10;
	dpu_qos_engine_init(e, &p);
}

static void qos_formula(struct kunit *test)
{
	struct dpu_qos_policy p;
	struct dpu_qos_sample s;
	u32 online, system;

	dpu_qos_policy_default(&p);
	/* 2 CPUs at 65%: 1300 - 500 online - 100 system */
	s = cpu_sample(MS, 2, 500, 100, 900);
	KUNIT_EXPECT_EQ(test, dpu_qos_cpu_target(&p, &s, &online, &system), 700U);
	KUNIT_EXPECT_EQ(test, online, 500U);
	KUNIT_EXPECT_EQ(test, system, 100U);
	/* HLS counts as online too */
	s.class_ns[DPU_QOS_CLASS_HLS] = 2 * MS;	/* 200 mCPU */
	KUNIT_EXPECT_EQ(test, dpu_qos_cpu_target(&p, &s, &online, &system), 500U);
	KUNIT_EXPECT_EQ(test, online, 700U);
	/* BE's own use does not lower its budget */
	s = cpu_sample(MS, 2, 0, 0, 2000);
	KUNIT_EXPECT_EQ(test, dpu_qos_cpu_target(&p, &s, &online, &system), 1300U);
	/* never below the floor */
	s = cpu_sample(MS, 2, 1900, 100, 0);
	KUNIT_EXPECT_EQ(test, dpu_qos_cpu_target(&p, &s, &online, &system), 100U);
	/* never above the node */
	p.cpu_threshold = 100;
	s = cpu_sample(MS, 4, 0, 0, 0);
	KUNIT_EXPECT_EQ(test, dpu_qos_cpu_target(&p, &s, &online, &system), 4000U);
	/* a floor above the node is the node */
	p.cpu_be_min = 9000;
	KUNIT_EXPECT_EQ(test, dpu_qos_cpu_target(&p, &s, &online, &system), 4000U);
}

static void qos_first_decision(struct kunit *test)
{
	struct dpu_qos_engine *e = kunit_kzalloc(test, sizeof(*e), GFP_KERNEL);
	struct dpu_qos_sample s;

	KUNIT_ASSERT_NOT_NULL(test, e);
	engine(e);
	s = cpu_sample(10 * MS, 2, 300, 0, 0);
	KUNIT_EXPECT_EQ(test, dpu_qos_step(e, &s, NULL, 0),
			(u32)DPU_QOS_CHANGE_CPU);
	KUNIT_EXPECT_EQ(test, e->d.be_cpu, 1000U);
	KUNIT_EXPECT_EQ(test, e->d.online_cpu, 300U);
	KUNIT_EXPECT_EQ(test, e->d.seq, 1U);
	/* the same again: nothing to announce */
	s.now_ns += 10 * MS;
	KUNIT_EXPECT_EQ(test, dpu_qos_step(e, &s, NULL, 0), 0U);
	KUNIT_EXPECT_EQ(test, e->d.seq, 1U);
}

static void qos_hysteresis(struct kunit *test)
{
	struct dpu_qos_engine *e = kunit_kzalloc(test, sizeof(*e), GFP_KERNEL);
	struct dpu_qos_sample s;
	u64 now = 10 * MS;

	KUNIT_ASSERT_NOT_NULL(test, e);
	engine(e);
	s = cpu_sample(now, 2, 600, 0, 0);
	dpu_qos_step(e, &s, NULL, 0);
	KUNIT_ASSERT_EQ(test, e->d.be_cpu, 700U);
	/* small wobble either way: no change (dead band 25, hysteresis 100) */
	s = cpu_sample(now += 10 * MS, 2, 620, 0, 0);
	KUNIT_EXPECT_EQ(test, dpu_qos_step(e, &s, NULL, 0), 0U);
	s = cpu_sample(now += 10 * MS, 2, 520, 0, 0);
	KUNIT_EXPECT_EQ(test, dpu_qos_step(e, &s, NULL, 0), 0U);
	KUNIT_EXPECT_EQ(test, e->d.be_cpu, 700U);
	/* online rises: lower at once */
	s = cpu_sample(now += 10 * MS, 2, 1000, 0, 0);
	KUNIT_EXPECT_EQ(test, dpu_qos_step(e, &s, NULL, 0),
			(u32)DPU_QOS_CHANGE_CPU);
	KUNIT_EXPECT_EQ(test, e->d.be_cpu, 300U);
	/* online falls: only after 500 ms, to the least asked meanwhile */
	s = cpu_sample(now += 10 * MS, 2, 100, 0, 0);	/* wants 1200 */
	KUNIT_EXPECT_EQ(test, dpu_qos_step(e, &s, NULL, 0), 0U);
	s = cpu_sample(now += 200 * MS, 2, 200, 0, 0);	/* wants 1100 */
	KUNIT_EXPECT_EQ(test, dpu_qos_step(e, &s, NULL, 0), 0U);
	s = cpu_sample(now += 299 * MS, 2, 100, 0, 0);
	KUNIT_EXPECT_EQ(test, dpu_qos_step(e, &s, NULL, 0), 0U);
	KUNIT_EXPECT_EQ(test, e->d.be_cpu, 300U);
	s = cpu_sample(now += 1 * MS, 2, 100, 0, 0);
	KUNIT_EXPECT_EQ(test, dpu_qos_step(e, &s, NULL, 0),
			(u32)DPU_QOS_CHANGE_CPU);
	KUNIT_EXPECT_EQ(test, e->d.be_cpu, 1100U);
}

static void qos_release_interrupted(struct kunit *test)
{
	struct dpu_qos_engine *e = kunit_kzalloc(test, sizeof(*e), GFP_KERNEL);
	struct dpu_qos_sample s;
	u64 now = 10 * MS;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, e);
	engine(e);
	s = cpu_sample(now, 2, 1000, 0, 0);
	dpu_qos_step(e, &s, NULL, 0);
	KUNIT_ASSERT_EQ(test, e->d.be_cpu, 300U);
	/* a flapping online load never lets the budget flap */
	for (i = 0; i < 100; i++) {
		s = cpu_sample(now += 10 * MS, 2, i % 2 ? 1000 : 0, 0, 0);
		KUNIT_EXPECT_EQ(test, dpu_qos_step(e, &s, NULL, 0), 0U);
	}
	KUNIT_EXPECT_EQ(test, e->d.be_cpu, 300U);
	KUNIT_EXPECT_EQ(test, e->d.seq, 1U);
}

static void qos_release_zero(struct kunit *test)
{
	struct dpu_qos_engine *e = kunit_kzalloc(test, sizeof(*e), GFP_KERNEL);
	struct dpu_qos_sample s;

	KUNIT_ASSERT_NOT_NULL(test, e);
	engine(e);
	e->pol.cpu_release_ms = 0;
	s = cpu_sample(10 * MS, 2, 1000, 0, 0);
	dpu_qos_step(e, &s, NULL, 0);
	s = cpu_sample(20 * MS, 2, 0, 0, 0);
	KUNIT_EXPECT_EQ(test, dpu_qos_step(e, &s, NULL, 0),
			(u32)DPU_QOS_CHANGE_CPU);
	KUNIT_EXPECT_EQ(test, e->d.be_cpu, 1300U);
}

static struct dpu_qos_sample mem_sample(u64 now, u64 used)
{
	struct dpu_qos_sample s = cpu_sample(now, 2, 0, 0, 0);

	s.mem_used = used;
	return s;
}

static void qos_watermarks(struct kunit *test)
{
	struct dpu_qos_engine *e = kunit_kzalloc(test, sizeof(*e), GFP_KERNEL);
	struct dpu_qos_sample s;
	u64 now = 10 * MS;
	struct dpu_qos_cand c[1] = { { .id = 7, .mem = 50 * MB } };

	KUNIT_ASSERT_NOT_NULL(test, e);
	engine(e);
	e->pol.cpu_be_min = 1300;	/* keep the CPU budget out of the way */
	s = mem_sample(now, 690 * MB);
	dpu_qos_step(e, &s, c, 1);
	KUNIT_EXPECT_EQ(test, e->d.reclaim, 0ULL);
	/* 70% of 1000 MiB, rounded as the engine does: reclaim starts */
	s = mem_sample(now += 10 * MS, 700 * MB);
	KUNIT_EXPECT_EQ(test, dpu_qos_step(e, &s, c, 1),
			(u32)DPU_QOS_CHANGE_RECLAIM);
	KUNIT_EXPECT_EQ(test, e->d.reclaim, 700 * MB - (1000 * MB / 100) * 68);
	KUNIT_EXPECT_EQ(test, e->d.nevict, 0U);
	/* between the watermarks: reclaim goes on, no eviction yet */
	s = mem_sample(now += 100 * MS, 690 * MB);
	KUNIT_EXPECT_EQ(test, dpu_qos_step(e, &s, c, 1), 0U);
	/* below the low watermark: reclaim ends */
	s = mem_sample(now += 10 * MS, 600 * MB);
	KUNIT_EXPECT_EQ(test, dpu_qos_step(e, &s, c, 1),
			(u32)DPU_QOS_CHANGE_RECLAIM);
	KUNIT_EXPECT_EQ(test, e->d.reclaim, 0ULL);
	/* watermarks at 0: memory is not managed */
	e->pol.mem_high = 0;
	s = mem_sample(now += 10 * MS, 999 * MB);
	KUNIT_EXPECT_EQ(test, dpu_qos_step(e, &s, c, 1), 0U);
}

static void qos_eviction_order(struct kunit *test)
{
	struct dpu_qos_cand c[] = {
		{ .id = 1, .prio = 5, .since = 100, .mem = 40 * MB },
		{ .id = 2, .prio = 0, .since = 100, .mem = 10 * MB },
		{ .id = 3, .prio = 0, .since = 300, .mem = 10 * MB },
		{ .id = 4, .prio = 0, .since = 200, .mem = 0 },
		{ .id = 5, .prio = 9, .since = 900, .mem = 90 * MB },
	};
	struct dpu_qos_engine *e = kunit_kzalloc(test, sizeof(*e), GFP_KERNEL);
	struct dpu_qos_sample s;
	u64 now = 10 * MS;

	KUNIT_ASSERT_NOT_NULL(test, e);
	engine(e);
	e->pol.cpu_be_min = 1300;
	s = mem_sample(now, 730 * MB);	/* 50 MiB over the low watermark */
	dpu_qos_step(e, &s, c, ARRAY_SIZE(c));
	s = mem_sample(now += 499 * MS, 730 * MB);
	KUNIT_EXPECT_EQ(test, dpu_qos_step(e, &s, c, ARRAY_SIZE(c)), 0U);
	s = mem_sample(now += 1 * MS, 730 * MB);
	KUNIT_EXPECT_EQ(test, dpu_qos_step(e, &s, c, ARRAY_SIZE(c)),
			(u32)DPU_QOS_CHANGE_EVICT);
	/*
	 * lowest priority first, newest first among equals, empty skipped,
	 * until what goes covers the 50 MiB: 3 (10), 2 (10), 1 (40)
	 */
	KUNIT_ASSERT_EQ(test, e->d.nevict, 3U);
	KUNIT_EXPECT_EQ(test, e->d.evict[0], 3ULL);
	KUNIT_EXPECT_EQ(test, e->d.evict[1], 2ULL);
	KUNIT_EXPECT_EQ(test, e->d.evict[2], 1ULL);
	KUNIT_EXPECT_EQ(test, e->d.evict_mem[2], 40 * MB);
	/* announced once: the next step carries no eviction */
	s = mem_sample(now += 10 * MS, 730 * MB);
	KUNIT_EXPECT_EQ(test, dpu_qos_step(e, &s, c, ARRAY_SIZE(c)), 0U);
	KUNIT_EXPECT_EQ(test, e->d.nevict, 0U);
}

static void qos_cooldown(struct kunit *test)
{
	struct dpu_qos_cand c[2] = {
		{ .id = 1, .since = 1, .mem = 5 * MB },
		{ .id = 2, .since = 2, .mem = 5 * MB },
	};
	struct dpu_qos_engine *e = kunit_kzalloc(test, sizeof(*e), GFP_KERNEL);
	struct dpu_qos_sample s;
	u64 now = 10 * MS;

	KUNIT_ASSERT_NOT_NULL(test, e);
	engine(e);
	e->pol.cpu_be_min = 1300;
	s = mem_sample(now, 800 * MB);
	dpu_qos_step(e, &s, c, 2);
	s = mem_sample(now += 500 * MS, 800 * MB);
	KUNIT_EXPECT_EQ(test, dpu_qos_step(e, &s, c, 2),
			(u32)DPU_QOS_CHANGE_EVICT);
	KUNIT_EXPECT_EQ(test, e->d.nevict, 2U);	/* not enough, both go */
	/* still high (the cgroups are dying): nothing until 3 s passed */
	s = mem_sample(now += 2999 * MS, 800 * MB);
	KUNIT_EXPECT_EQ(test, dpu_qos_step(e, &s, c + 1, 1), 0U);
	s = mem_sample(now += 1 * MS, 800 * MB);
	KUNIT_EXPECT_EQ(test, dpu_qos_step(e, &s, c + 1, 1),
			(u32)DPU_QOS_CHANGE_EVICT);
	/* nothing left to evict: no announcement */
	s = mem_sample(now += 4000 * MS, 800 * MB);
	KUNIT_EXPECT_EQ(test, dpu_qos_step(e, &s, NULL, 0), 0U);
}

/* *@cause set: BE capped at once; cleared: released 500 ms later, not before */
static void io_cap_cycle(struct kunit *test, struct dpu_qos_engine *e,
			 struct dpu_qos_sample *s, u64 *now, bool *cause)
{
	*cause = true;
	s->now_ns = *now += 10 * MS;
	KUNIT_EXPECT_EQ(test, dpu_qos_step(e, s, NULL, 0),
			(u32)DPU_QOS_CHANGE_IO);
	KUNIT_EXPECT_TRUE(test, e->d.io_cap);
	*cause = false;
	s->now_ns = *now += 499 * MS;
	KUNIT_EXPECT_EQ(test, dpu_qos_step(e, s, NULL, 0), 0U);
	s->now_ns = *now += 1 * MS;
	KUNIT_EXPECT_EQ(test, dpu_qos_step(e, s, NULL, 0),
			(u32)DPU_QOS_CHANGE_IO);
	KUNIT_EXPECT_FALSE(test, e->d.io_cap);
}

static void qos_io_cap(struct kunit *test)
{
	struct dpu_qos_engine *e = kunit_kzalloc(test, sizeof(*e), GFP_KERNEL);
	struct dpu_qos_sample s;
	u64 now = 10 * MS;

	KUNIT_ASSERT_NOT_NULL(test, e);
	engine(e);
	e->pol.cpu_be_min = 1300;
	s = cpu_sample(now, 2, 0, 0, 0);
	dpu_qos_step(e, &s, NULL, 0);
	io_cap_cycle(test, e, &s, &now, &s.io_online_held);
	/* no cap configured: never capped */
	e->pol.io_be_iops = 0;
	e->pol.io_be_bps = 0;
	s.io_online_held = true;
	s.now_ns = now += 10 * MS;
	KUNIT_EXPECT_EQ(test, dpu_qos_step(e, &s, NULL, 0), 0U);
}

static void qos_io_saturation(struct kunit *test)
{
	struct dpu_qos_engine *e = kunit_kzalloc(test, sizeof(*e), GFP_KERNEL);
	struct dpu_qos_sample s;
	u64 now = 10 * MS;

	/* 95% of a known capacity, of either kind */
	KUNIT_EXPECT_FALSE(test, dpu_qos_io_saturated(949, 0, 1000, 0));
	KUNIT_EXPECT_TRUE(test, dpu_qos_io_saturated(950, 0, 1000, 0));
	KUNIT_EXPECT_TRUE(test, dpu_qos_io_saturated(10, 95 << 20, 1000,
						     100 << 20));
	KUNIT_EXPECT_FALSE(test, dpu_qos_io_saturated(10, (95 << 20) - 1, 1000,
						      100 << 20));
	/* unknown capacity: never saturated */
	KUNIT_EXPECT_FALSE(test, dpu_qos_io_saturated(U64_MAX, U64_MAX, 0, 0));
	/* no overflow at the extremes */
	KUNIT_EXPECT_FALSE(test, dpu_qos_io_saturated(U64_MAX / 2, 0,
						      U64_MAX, 0));
	KUNIT_EXPECT_TRUE(test, dpu_qos_io_saturated(U64_MAX, 0, U64_MAX, 0));
	KUNIT_EXPECT_FALSE(test, dpu_qos_io_saturated(0, 0, 1, 0));
	KUNIT_EXPECT_TRUE(test, dpu_qos_io_saturated(1, 0, 1, 0));

	/* contended: online I/O on a saturated DPU, held while BE is capped */
	KUNIT_EXPECT_TRUE(test, dpu_qos_io_contended(true, true, false, false));
	KUNIT_EXPECT_FALSE(test, dpu_qos_io_contended(true, false, true, true));
	KUNIT_EXPECT_FALSE(test, dpu_qos_io_contended(false, true, false, true));
	KUNIT_EXPECT_TRUE(test, dpu_qos_io_contended(false, true, true, true));
	KUNIT_EXPECT_FALSE(test, dpu_qos_io_contended(false, true, true, false));

	/* the engine caps BE while a DPU is contended, releases after */
	KUNIT_ASSERT_NOT_NULL(test, e);
	engine(e);
	s = cpu_sample(now, 2, 0, 0, 0);
	dpu_qos_step(e, &s, NULL, 0);
	io_cap_cycle(test, e, &s, &now, &s.io_saturated);
}

static void qos_bad_samples(struct kunit *test)
{
	struct dpu_qos_engine *e = kunit_kzalloc(test, sizeof(*e), GFP_KERNEL);
	struct dpu_qos_sample s;

	KUNIT_ASSERT_NOT_NULL(test, e);
	engine(e);
	s = cpu_sample(10 * MS, 2, 0, 0, 0);
	s.window_ns = 0;
	KUNIT_EXPECT_EQ(test, dpu_qos_step(e, &s, NULL, 0), 0U);
	s = cpu_sample(10 * MS, 0, 0, 0, 0);
	KUNIT_EXPECT_EQ(test, dpu_qos_step(e, &s, NULL, 0), 0U);
	/* more CPU time than the window holds (clock skew): clamped */
	s = cpu_sample(10 * MS, 2, 0, 0, 0);
	s.class_ns[DPU_QOS_CLASS_LS] = U64_MAX / 2000;
	KUNIT_EXPECT_NE(test, dpu_qos_step(e, &s, NULL, 0), 0U);
	KUNIT_EXPECT_EQ(test, e->d.be_cpu, 100U);
	KUNIT_EXPECT_EQ(test, e->d.online_cpu, 2000U);
	/* more memory used than there is: all of it */
	s = mem_sample(20 * MS, 5000 * MB);
	dpu_qos_step(e, &s, NULL, 0);
	KUNIT_EXPECT_EQ(test, e->d.reclaim, 1000 * MB - (1000 * MB / 100) * 68);
	/* switched off: nothing decided */
	e->pol.enabled = false;
	s = cpu_sample(30 * MS, 2, 1500, 0, 0);
	KUNIT_EXPECT_EQ(test, dpu_qos_step(e, &s, NULL, 0), 0U);
}

static void qos_policy_check(struct kunit *test)
{
	struct dpu_qos_policy p, q;

	dpu_qos_policy_default(&p);
	KUNIT_EXPECT_NULL(test, dpu_qos_policy_check(&p));
	q = p;
	q.interval_ms = 0;
	KUNIT_EXPECT_NOT_NULL(test, dpu_qos_policy_check(&q));
	q = p;
	q.cpu_threshold = 101;
	KUNIT_EXPECT_NOT_NULL(test, dpu_qos_policy_check(&q));
	q = p;
	q.mem_high = 100;
	KUNIT_EXPECT_NOT_NULL(test, dpu_qos_policy_check(&q));
	q = p;
	q.mem_low = q.mem_high;
	KUNIT_EXPECT_STREQ(test, dpu_qos_policy_check(&q),
			   "memory low watermark must be below the high watermark");
	q = p;
	q.mem_high = 0;	/* off: the low watermark does not matter */
	q.mem_low = 90;
	KUNIT_EXPECT_NULL(test, dpu_qos_policy_check(&q));
	q = p;
	q.mem_cooldown_ms = 600001;
	KUNIT_EXPECT_NOT_NULL(test, dpu_qos_policy_check(&q));
	q = p;
	q.cpu_window_ms = 4;	/* shorter than the 5 ms interval */
	KUNIT_EXPECT_NOT_NULL(test, dpu_qos_policy_check(&q));
	q.cpu_window_ms = 1281;	/* more than 256 intervals */
	KUNIT_EXPECT_NOT_NULL(test, dpu_qos_policy_check(&q));
	q = p;
	q.io_be_bps = U64_MAX;
	KUNIT_EXPECT_NOT_NULL(test, dpu_qos_policy_check(&q));
}

static void qos_set_policy(struct kunit *test)
{
	struct dpu_qos_engine *e = kunit_kzalloc(test, sizeof(*e), GFP_KERNEL);
	struct dpu_qos_policy p;
	struct dpu_qos_sample s;

	KUNIT_ASSERT_NOT_NULL(test, e);
	engine(e);
	s = cpu_sample(10 * MS, 2, 500, 0, 0);
	dpu_qos_step(e, &s, NULL, 0);
	KUNIT_ASSERT_EQ(test, e->d.be_cpu, 800U);
	/* a higher threshold applies on the next sample, without delay */
	p = e->pol;
	p.cpu_threshold = 90;
	dpu_qos_engine_set_policy(e, &p);
	s.now_ns += 10 * MS;
	KUNIT_EXPECT_EQ(test, dpu_qos_step(e, &s, NULL, 0),
			(u32)DPU_QOS_CHANGE_CPU);
	KUNIT_EXPECT_EQ(test, e->d.be_cpu, 1300U);
}

static void qos_window(struct kunit *test)
{
	struct dpu_qos_engine *e = kunit_kzalloc(test, sizeof(*e), GFP_KERNEL);
	struct dpu_qos_sample s;
	u64 now = 10 * MS;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, e);
	engine(e);
	e->pol.cpu_window_ms = 40;	/* four samples */
	for (i = 0; i < 8; i++) {
		s = cpu_sample(now += 10 * MS, 2, 0, 0, 0);
		dpu_qos_step(e, &s, NULL, 0);
	}
	KUNIT_ASSERT_EQ(test, e->d.be_cpu, 1300U);
	/* a 10 ms burst of system use counts over all 9 samples kept */
	s = cpu_sample(now += 10 * MS, 2, 0, 1000, 0);
	KUNIT_EXPECT_EQ(test, dpu_qos_step(e, &s, NULL, 0),
			(u32)DPU_QOS_CHANGE_CPU);
	KUNIT_EXPECT_EQ(test, e->d.system_cpu, 111U);
	KUNIT_EXPECT_EQ(test, e->d.be_cpu, 1189U);
	/* online use: over the 40 ms window, a quarter at the first sample */
	s = cpu_sample(now += 10 * MS, 2, 1000, 0, 0);
	dpu_qos_step(e, &s, NULL, 0);
	KUNIT_EXPECT_EQ(test, e->d.online_cpu, 250U);
	for (i = 0; i < 3; i++) {
		s = cpu_sample(now += 10 * MS, 2, 1000, 0, 0);
		dpu_qos_step(e, &s, NULL, 0);
	}
	/* all of it once it lasts the window: 1300 - 1000 - 10/130 of 1000 */
	KUNIT_EXPECT_EQ(test, e->d.online_cpu, 1000U);
	KUNIT_EXPECT_EQ(test, e->d.be_cpu, 223U);
}

static struct kunit_case dpu_qos_cases[] = {
	KUNIT_CASE(qos_formula),
	KUNIT_CASE(qos_first_decision),
	KUNIT_CASE(qos_hysteresis),
	KUNIT_CASE(qos_release_interrupted),
	KUNIT_CASE(qos_release_zero),
	KUNIT_CASE(qos_watermarks),
	KUNIT_CASE(qos_eviction_order),
	KUNIT_CASE(qos_cooldown),
	KUNIT_CASE(qos_io_cap),
	KUNIT_CASE(qos_io_saturation),
	KUNIT_CASE(qos_bad_samples),
	KUNIT_CASE(qos_policy_check),
	KUNIT_CASE(qos_set_policy),
	KUNIT_CASE(qos_window),
	{}
};

static struct kunit_suite dpu_qos_suite = {
	.name = "dpu_qos",
	.test_cases = dpu_qos_cases,
};

kunit_test_suite(dpu_qos_suite);

MODULE_LICENSE("GPL");
