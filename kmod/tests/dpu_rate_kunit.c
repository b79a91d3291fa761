// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for rate groups: the tightest limit on the chain applies,
 * hierarchy checks, the FIFO wait queues (no overtaking, fair share between
 * functions of one group), counters. Time is simulated: timers are armed
 * through a fake hook and expired by the test.
 */
#include <kunit/test.h>
#include <linux/rcupdate.h>

#include "dpu_rate.h"

#define MS	1000000ULL
#define S	1000000000ULL
#define NO_TIMER	U64_MAX

/* a simulated function: infinite demand of one kind of request */
struct sim_fn {
	struct dpu_rate_group g;
	struct dpu_rate_waiter w;
	bool stopped;
	u64 passed;
	u64 bytes;		/* size of its requests */
	bool write;
};

/* timers of the groups in a test: expiry per queue */
struct sim_timers {
	struct dpu_rate_queue *q[16];
	u64 expires[16];
	int n;
};

static struct sim_timers *timers;

static void fake_arm(struct dpu_rate_group *g, struct dpu_rate_queue *q,
		     u64 expires)
{
	int i;

	for (i = 0; i < timers->n; i++)
		if (timers->q[i] == q)
			break;
	if (i == timers->n) {
		if (WARN_ON(timers->n == ARRAY_SIZE(timers->q)))
			return;
		timers->q[timers->n++] = q;
	}
	timers->expires[i] = expires;	/* hrtimer_start() replaces */
}

static void fake_wake(struct dpu_rate_waiter *w)
{
	struct sim_fn *f = w->priv;

	f->stopped = false;
}

static void group_init(struct kunit *test, struct dpu_rate_group *g,
		       struct dpu_rate_group *parent)
{
	KUNIT_ASSERT_EQ(test, dpu_rate_group_init(g), 0);
	g->arm = fake_arm;
	rcu_assign_pointer(g->parent, parent);
}

static void fn_init(struct kunit *test, struct sim_fn *f,
		    struct dpu_rate_group *parent)
{
	memset(f, 0, sizeof(*f));
	group_init(test, &f->g, parent);
	dpu_rate_waiter_init(&f->w, fake_wake);
	f->w.priv = f;
	f->bytes = 4096;
}

static void set_limit(struct dpu_rate_group *g, unsigned int kind, u64 rate,
		      u64 burst, u64 now)
{
	struct dpu_limits lim = {};

	lim.l[kind].rate = rate;
	lim.l[kind].burst = burst;
	dpu_rate_group_set_limits(g, &lim, now);
}

static int charge(struct sim_fn *f, u64 now)
{
	struct dpu_rate_cost c;
	int ret;

	dpu_rate_cost_blk(&c, f->write, f->bytes);
	rcu_read_lock();
	ret = dpu_rate_charge(&f->g, &f->w, &c, now);
	rcu_read_unlock();
	return ret;
}

/* The data path of @f submits until held back, as sim_disk does. */
static void submit(struct sim_fn *f, u64 now)
{
	int i;

	for (i = 0; i < 100000 && !f->stopped; i++) {
		if (charge(f, now) == DPU_RATE_PASS) {
			f->passed++;
			continue;
		}
		f->stopped = true;
		if (!dpu_rate_waiter_pending(&f->w))
			f->stopped = false;	/* woken meanwhile */
		break;
	}
}

/*
 * Run @n functions with infinite demand from @start for @dur ns of
 * simulated time: each submits in index order, then the earliest timer
 * expires, and so on.
 */
static u64 run(struct sim_fn **f, int n, u64 start, u64 dur)
{
	u64 now = start;
	int i, next;

	for (;;) {
		for (i = 0; i < n; i++)
			submit(f[i], now);
		next = -1;
		for (i = 0; i < timers->n; i++)
			if (timers->expires[i] != NO_TIMER &&
			    (next < 0 || timers->expires[i] < timers->expires[next]))
				next = i;
		if (next < 0 || timers->expires[next] > start + dur)
			return start + dur;
		now = max(now, timers->expires[next]);
		timers->expires[next] = NO_TIMER;
		dpu_rate_queue_expire(timers->q[next]->g, timers->q[next], now);
	}
}

static int rate_test_init(struct kunit *test)
{
	int i;

	timers = kunit_kzalloc(test, sizeof(*timers), GFP_KERNEL);
	if (!timers)
		return -ENOMEM;
	for (i = 0; i < ARRAY_SIZE(timers->expires); i++)
		timers->expires[i] = NO_TIMER;
	return 0;
}

static bool within(u64 v, u64 target, u64 slack)
{
	return v + slack >= target && v <= target + slack;
}

static void rate_tightest_applies(struct kunit *test)
{
	struct dpu_rate_group parent, tenant;
	struct dpu_limits eff;
	struct sim_fn *f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);
	u64 t = S;

	KUNIT_ASSERT_NOT_NULL(test, f);
	group_init(test, &parent, NULL);
	group_init(test, &tenant, &parent);
	fn_init(test, f, &tenant);

	/* function 1000/s under a tenant of 5000/s: 1000 */
	set_limit(&f->g, DPU_LIM_BLK_IOPS, 1000, 1, t);
	set_limit(&tenant, DPU_LIM_BLK_IOPS, 5000, 1, t);
	dpu_rate_effective(&f->g, &eff);
	KUNIT_EXPECT_EQ(test, eff.l[DPU_LIM_BLK_IOPS].rate, 1000ULL);
	t = run(&f, 1, t, 10 * S);
	KUNIT_EXPECT_TRUE_MSG(test, within(f->passed, 10000, 2),
			      "passed %llu", f->passed);

	/* the tenant drops to 500/s: 500 */
	f->passed = 0;
	set_limit(&tenant, DPU_LIM_BLK_IOPS, 500, 1, t);
	dpu_rate_effective(&f->g, &eff);
	KUNIT_EXPECT_EQ(test, eff.l[DPU_LIM_BLK_IOPS].rate, 500ULL);
	t = run(&f, 1, t, 10 * S);
	KUNIT_EXPECT_TRUE_MSG(test, within(f->passed, 5000, 2),
			      "passed %llu", f->passed);

	/* the parent limits bytes: 200 requests of 4 KiB per second */
	f->passed = 0;
	set_limit(&parent, DPU_LIM_BLK_READ_BPS, 200 * 4096, 4096, t);
	dpu_rate_effective(&f->g, &eff);
	KUNIT_EXPECT_EQ(test, eff.l[DPU_LIM_BLK_READ_BPS].rate, 200ULL * 4096);
	KUNIT_EXPECT_EQ(test, eff.l[DPU_LIM_BLK_IOPS].rate, 500ULL);
	t = run(&f, 1, t, 10 * S);
	KUNIT_EXPECT_TRUE_MSG(test, within(f->passed, 2000, 2),
			      "passed %llu", f->passed);

	/* writes are not limited by a read limit */
	f->passed = 0;
	f->write = true;
	t = run(&f, 1, t, 10 * S);
	KUNIT_EXPECT_TRUE_MSG(test, within(f->passed, 5000, 2),
			      "passed %llu", f->passed);

	dpu_rate_group_destroy(&f->g);
	dpu_rate_group_destroy(&tenant);
	dpu_rate_group_destroy(&parent);
}

static u64 jain_x1000(struct sim_fn **f, int n)
{
	u64 sum = 0, sq = 0;
	int i;

	for (i = 0; i < n; i++) {
		sum += f[i]->passed;
		sq += f[i]->passed * f[i]->passed;
	}
	return sq ? sum * sum * 1000 / (n * sq) : 0;
}

static void rate_fair_share(struct kunit *test)
{
	struct dpu_rate_group tenant;
	struct sim_fn *f[3];
	u64 t = S, total;
	int i;

	group_init(test, &tenant, NULL);
	for (i = 0; i < 3; i++) {
		f[i] = kunit_kzalloc(test, sizeof(*f[i]), GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, f[i]);
		fn_init(test, f[i], &tenant);
	}
	set_limit(&tenant, DPU_LIM_BLK_IOPS, 3000, 0, t);

	/* the first submitter in every round does not get more */
	t = run(f, 3, t, 10 * S);
	total = f[0]->passed + f[1]->passed + f[2]->passed;
	KUNIT_EXPECT_TRUE_MSG(test, within(total, 30000, 300 + 3),
			      "total %llu", total);
	KUNIT_EXPECT_GE_MSG(test, jain_x1000(f, 3), 999ULL,
			    "%llu %llu %llu", f[0]->passed, f[1]->passed,
			    f[2]->passed);

	/* a function alone for a while, then another joins: both get half */
	for (i = 0; i < 3; i++)
		f[i]->passed = 0;
	t = run(f, 1, t, S);
	f[0]->passed = 0;
	t = run(f, 2, t, 10 * S);
	KUNIT_EXPECT_GE_MSG(test, jain_x1000(f, 2), 999ULL,
			    "%llu %llu", f[0]->passed, f[1]->passed);
	KUNIT_EXPECT_TRUE_MSG(test,
			      within(f[0]->passed + f[1]->passed, 30000, 3),
			      "total %llu", f[0]->passed + f[1]->passed);

	/* different request sizes under an IOPS limit: equal turns */
	f[0]->passed = 0;
	f[1]->passed = 0;
	f[1]->bytes = 1 << 20;
	t = run(f, 2, t, 10 * S);
	KUNIT_EXPECT_GE_MSG(test, jain_x1000(f, 2), 999ULL,
			    "%llu %llu", f[0]->passed, f[1]->passed);

	/*
	 * a bytes/s limit: small requests would always fit before a large
	 * one does; queueing behind the waiting gives both equal turns
	 */
	f[0]->passed = 0;
	f[1]->passed = 0;
	f[0]->bytes = 1 << 20;
	f[1]->bytes = 4096;
	set_limit(&tenant, DPU_LIM_BLK_BPS, 10 << 20, 1 << 20, t);
	t = run(f, 2, t, 10 * S);
	KUNIT_EXPECT_GE_MSG(test, jain_x1000(f, 2), 990ULL,
			    "%llu %llu", f[0]->passed, f[1]->passed);
	KUNIT_EXPECT_GE(test, f[0]->passed, 90ULL);

	for (i = 0; i < 3; i++)
		dpu_rate_group_destroy(&f[i]->g);
	dpu_rate_group_destroy(&tenant);
}

static void rate_no_overtaking(struct kunit *test)
{
	struct dpu_rate_group tenant;
	struct sim_fn *a = kunit_kzalloc(test, sizeof(*a), GFP_KERNEL);
	struct sim_fn *b = kunit_kzalloc(test, sizeof(*b), GFP_KERNEL);
	struct dpu_rate_stats st;
	u64 t = 5 * S;

	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_ASSERT_NOT_NULL(test, b);
	group_init(test, &tenant, NULL);
	fn_init(test, a, &tenant);
	fn_init(test, b, &tenant);
	set_limit(&tenant, DPU_LIM_BLK_IOPS, 10, 1, t);	/* 100 ms apart */

	KUNIT_EXPECT_EQ(test, charge(a, t), DPU_RATE_PASS);
	KUNIT_EXPECT_EQ(test, charge(a, t), DPU_RATE_QUEUED);
	KUNIT_EXPECT_TRUE(test, dpu_rate_waiter_pending(&a->w));
	KUNIT_EXPECT_EQ(test, timers->expires[0], t + 100 * MS);
	a->stopped = true;
	KUNIT_EXPECT_EQ(test, charge(b, t), DPU_RATE_QUEUED);
	b->stopped = true;
	/* a waits: queueing again is a no-op */
	KUNIT_EXPECT_EQ(test, charge(a, t + MS), DPU_RATE_QUEUED);
	dpu_rate_group_stats(&tenant, &st);
	KUNIT_EXPECT_EQ(test, st.queued, 2ULL);

	/* too early: nothing happens, the timer is armed again */
	dpu_rate_queue_expire(&tenant, &tenant.q[DPU_RATE_BLK], t + 50 * MS);
	KUNIT_EXPECT_TRUE(test, a->stopped);
	KUNIT_EXPECT_EQ(test, timers->expires[0], t + 100 * MS);

	/* a's turn: granted and woken, b still waits */
	dpu_rate_queue_expire(&tenant, &tenant.q[DPU_RATE_BLK], t + 100 * MS);
	KUNIT_EXPECT_FALSE(test, a->stopped);
	KUNIT_EXPECT_TRUE(test, b->stopped);
	KUNIT_EXPECT_EQ(test, timers->expires[0], t + 200 * MS);
	KUNIT_EXPECT_EQ(test, charge(a, t + 100 * MS), DPU_RATE_PASS);
	/* a's next request queues behind b although it is its turn later */
	KUNIT_EXPECT_EQ(test, charge(a, t + 150 * MS), DPU_RATE_QUEUED);
	dpu_rate_queue_expire(&tenant, &tenant.q[DPU_RATE_BLK], t + 200 * MS);
	KUNIT_EXPECT_FALSE(test, b->stopped);
	KUNIT_EXPECT_EQ(test, charge(b, t + 200 * MS), DPU_RATE_PASS);

	/* held-back requests are counted with the time they waited */
	dpu_rate_group_stats(&tenant, &st);
	KUNIT_EXPECT_EQ(test, st.count[DPU_RATE_BLK], 3ULL);
	KUNIT_EXPECT_EQ(test, st.bytes[DPU_RATE_BLK], 3ULL * 4096);
	KUNIT_EXPECT_EQ(test, st.throttled, 2ULL);
	KUNIT_EXPECT_EQ(test, st.throttled_ns, 300 * MS);
	KUNIT_EXPECT_EQ(test, st.queued, 1ULL);
	dpu_rate_group_stats(&b->g, &st);
	KUNIT_EXPECT_EQ(test, st.throttled_ns, 200 * MS);

	/* a function moved away while waiting leaves the queue */
	KUNIT_EXPECT_TRUE(test, dpu_rate_waiter_cancel(&a->w));
	KUNIT_EXPECT_FALSE(test, dpu_rate_waiter_pending(&a->w));
	KUNIT_EXPECT_FALSE(test, dpu_rate_waiter_cancel(&a->w));
	dpu_rate_group_stats(&tenant, &st);
	KUNIT_EXPECT_EQ(test, st.queued, 0ULL);

	dpu_rate_group_destroy(&a->g);
	dpu_rate_group_destroy(&b->g);
	dpu_rate_group_destroy(&tenant);
}

static void rate_small_does_not_overtake(struct kunit *test)
{
	struct dpu_rate_group tenant;
	struct sim_fn *a = kunit_kzalloc(test, sizeof(*a), GFP_KERNEL);
	struct sim_fn *b = kunit_kzalloc(test, sizeof(*b), GFP_KERNEL);
	u64 t = 5 * S;

	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_ASSERT_NOT_NULL(test, b);
	group_init(test, &tenant, NULL);
	fn_init(test, a, &tenant);
	fn_init(test, b, &tenant);
	a->bytes = 1 << 20;
	set_limit(&tenant, DPU_LIM_BLK_BPS, 1 << 20, 1 << 20, t);

	KUNIT_EXPECT_EQ(test, charge(a, t), DPU_RATE_PASS);
	/* a's next MiB needs the whole bucket: a second from now */
	KUNIT_EXPECT_EQ(test, charge(a, t), DPU_RATE_QUEUED);
	KUNIT_EXPECT_EQ(test, timers->expires[0], t + S);
	/*
	 * 10 ms later 4 KiB would fit, but a waits: b does not take a's
	 * tokens (small requests would starve large ones forever)
	 */
	KUNIT_EXPECT_EQ(test, charge(b, t + 10 * MS), DPU_RATE_QUEUED);
	dpu_rate_queue_expire(&tenant, &tenant.q[DPU_RATE_BLK], t + S);
	KUNIT_EXPECT_EQ(test, charge(a, t + S), DPU_RATE_PASS);
	KUNIT_EXPECT_TRUE(test, dpu_rate_waiter_pending(&b->w));

	dpu_rate_waiter_cancel(&b->w);
	dpu_rate_group_destroy(&a->g);
	dpu_rate_group_destroy(&b->g);
	dpu_rate_group_destroy(&tenant);
}

static void rate_limit_raised_under_load(struct kunit *test)
{
	struct dpu_rate_group tenant;
	struct sim_fn *f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);
	u64 t = S;

	KUNIT_ASSERT_NOT_NULL(test, f);
	group_init(test, &tenant, NULL);
	fn_init(test, f, &tenant);
	set_limit(&tenant, DPU_LIM_BLK_IOPS, 1, 1, t);	/* one a second */
	KUNIT_EXPECT_EQ(test, charge(f, t), DPU_RATE_PASS);
	KUNIT_EXPECT_EQ(test, charge(f, t), DPU_RATE_QUEUED);
	f->stopped = true;
	KUNIT_EXPECT_EQ(test, timers->expires[0], t + S);
	/*
	 * a new limit re-arms at once; debt beyond one bucket is forgiven:
	 * the held-back request goes one new interval later, not a second
	 */
	set_limit(&tenant, DPU_LIM_BLK_IOPS, 1000, 1, t + MS);
	KUNIT_EXPECT_EQ(test, timers->expires[0], t + MS);
	dpu_rate_queue_expire(&tenant, &tenant.q[DPU_RATE_BLK], t + MS);
	KUNIT_EXPECT_EQ(test, timers->expires[0], t + 2 * MS);
	dpu_rate_queue_expire(&tenant, &tenant.q[DPU_RATE_BLK], t + 2 * MS);
	KUNIT_EXPECT_FALSE(test, f->stopped);
	f->passed = 0;
	run(&f, 1, t + 2 * MS, S);
	KUNIT_EXPECT_TRUE_MSG(test, within(f->passed, 1000, 3),
			      "passed %llu", f->passed);
	dpu_rate_group_destroy(&f->g);
	dpu_rate_group_destroy(&tenant);
}

/*
 * A grant is paid for one request: another request of the same function
 * (another hardware queue, another size) that comes first must pay for
 * itself. It used to pass on the first one's tokens: a 100 KB request
 * charged 1 KB.
 */
static void rate_grant_is_for_its_request(struct kunit *test)
{
	struct sim_fn *f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);
	u64 t = S;

	KUNIT_ASSERT_NOT_NULL(test, f);
	fn_init(test, f, NULL);
	set_limit(&f->g, DPU_LIM_BLK_BPS, 1000, 1000, t);	/* 1 KB/s */
	f->bytes = 1000;
	KUNIT_EXPECT_EQ(test, charge(f, t), DPU_RATE_PASS);	/* the burst */
	KUNIT_EXPECT_EQ(test, charge(f, t), DPU_RATE_QUEUED);
	KUNIT_EXPECT_EQ(test, timers->expires[0], t + S);
	timers->expires[0] = NO_TIMER;
	dpu_rate_queue_expire(&f->g, &f->g.q[DPU_RATE_BLK], t + S);
	KUNIT_EXPECT_NE(test, f->w.paid, 0UL);	/* granted: 1 KB paid */

	/* a 100 KB request of another queue gets there first */
	f->bytes = 100000;
	KUNIT_EXPECT_EQ(test, charge(f, t + S), DPU_RATE_PASS);
	/* it paid its 100 s; the 1 KB one pays again and waits for that */
	f->bytes = 1000;
	KUNIT_EXPECT_EQ(test, charge(f, t + S), DPU_RATE_QUEUED);
	KUNIT_EXPECT_GE(test, timers->expires[0], t + 100 * S);
	dpu_rate_waiter_cancel(&f->w);
	dpu_rate_group_destroy(&f->g);
}

static void rate_rx_drops(struct kunit *test)
{
	struct dpu_rate_group tenant, leaf;
	struct dpu_rate_waiter w;
	struct dpu_rate_stats st;
	struct dpu_rate_cost c;
	int i, ok = 0;

	group_init(test, &tenant, NULL);
	group_init(test, &leaf, &tenant);
	set_limit(&tenant, DPU_LIM_NET_RX_PPS, 100, 10, S);
	dpu_rate_cost_net(&c, false, 1500);
	rcu_read_lock();
	for (i = 0; i < 50; i++)
		ok += dpu_rate_try(&leaf, &c, S);
	rcu_read_unlock();
	KUNIT_EXPECT_EQ(test, ok, 10);
	dpu_rate_group_stats(&leaf, &st);
	KUNIT_EXPECT_EQ(test, st.count[DPU_RATE_RX], 10ULL);
	KUNIT_EXPECT_EQ(test, st.bytes[DPU_RATE_RX], 15000ULL);
	KUNIT_EXPECT_EQ(test, st.rx_dropped, 40ULL);
	dpu_rate_group_stats(&tenant, &st);
	KUNIT_EXPECT_EQ(test, st.rx_dropped, 40ULL);
	/* tx is not touched by rx limits */
	dpu_rate_waiter_init(&w, fake_wake);
	dpu_rate_cost_net(&c, true, 1500);
	for (i = 0; i < 50; i++) {
		rcu_read_lock();
		KUNIT_EXPECT_EQ(test, dpu_rate_charge(&leaf, &w, &c, S),
				DPU_RATE_PASS);
		rcu_read_unlock();
	}
	dpu_rate_group_destroy(&leaf);
	dpu_rate_group_destroy(&tenant);
}

static void rate_hierarchy(struct kunit *test)
{
	struct dpu_rate_group *g = kunit_kcalloc(test, 4, sizeof(*g),
						 GFP_KERNEL);
	int i;

	KUNIT_ASSERT_NOT_NULL(test, g);
	for (i = 0; i < 4; i++)
		group_init(test, &g[i], i ? &g[i - 1] : NULL);
	KUNIT_EXPECT_EQ(test, dpu_rate_group_level(&g[0]), 0U);
	KUNIT_EXPECT_EQ(test, dpu_rate_group_level(&g[3]), 3U);
	/* g[0] above g[3]: making g[0] a child of g[3] would be a cycle */
	KUNIT_EXPECT_TRUE(test, dpu_rate_group_is_ancestor(&g[0], &g[3]));
	KUNIT_EXPECT_TRUE(test, dpu_rate_group_is_ancestor(&g[2], &g[2]));
	KUNIT_EXPECT_FALSE(test, dpu_rate_group_is_ancestor(&g[3], &g[0]));
	/* re-parenting cuts the chain */
	rcu_assign_pointer(g[2].parent, NULL);
	KUNIT_EXPECT_FALSE(test, dpu_rate_group_is_ancestor(&g[0], &g[3]));
	KUNIT_EXPECT_EQ(test, dpu_rate_group_level(&g[3]), 1U);
	for (i = 0; i < 4; i++)
		dpu_rate_group_destroy(&g[i]);
}

static struct kunit_case dpu_rate_cases[] = {
	KUNIT_CASE(rate_tightest_applies),
	KUNIT_CASE(rate_fair_share),
	KUNIT_CASE(rate_no_overtaking),
	KUNIT_CASE(rate_small_does_not_overtake),
	KUNIT_CASE(rate_limit_raised_under_load),
	KUNIT_CASE(rate_grant_is_for_its_request),
	KUNIT_CASE(rate_rx_drops),
	KUNIT_CASE(rate_hierarchy),
	{}
};

static struct kunit_suite dpu_rate_suite = {
	.name = "dpu_rate",
	.init = rate_test_init,
	.test_cases = dpu_rate_cases,
};

kunit_test_suite(dpu_rate_suite);
