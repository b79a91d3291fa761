// SPDX-License-Identifier: GPL-2.0
/*
 * dpupool selftest: races, from many threads for a bounded time
 * (DPU_RACE_SECONDS, default 4). Each test asserts what a user can see
 * (replies, events, the limits read back, dump flags); memory and lock
 * bugs they provoke are reported by the debug kernel (KASAN, lockdep),
 * which fails the guest run.
 */
#include <pthread.h>
#include <sys/syscall.h>
#include <stdatomic.h>
#include <time.h>

#include "kselftest_harness.h"
#include "dpu_test.h"

#define ID 7000
#define IDX 7		/* the index the racing threads fight over */
#define MiB (1024ULL * 1024)

static double race_seconds(void)
{
	const char *s = getenv("DPU_RACE_SECONDS");

	return s && atof(s) > 0 ? atof(s) : 4;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

struct race {
	char dev[32];
	double until;
	atomic_int stop;
	/* what the threads saw */
	atomic_long created, deleted, sets, bad, lost;
	char why[256];
	pthread_mutex_t why_lock;
};

static void race_bad(struct race *r, const char *fmt, ...)
{
	va_list ap;

	atomic_fetch_add(&r->bad, 1);
	pthread_mutex_lock(&r->why_lock);
	if (!r->why[0]) {
		va_start(ap, fmt);
		vsnprintf(r->why, sizeof(r->why), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&r->why_lock);
}

static int racing(struct race *r)
{
	return !atomic_load(&r->stop) && now_s() < r->until;
}

FIXTURE(race) {
	struct nl *nl;
	struct race r;
};

FIXTURE_SETUP(race)
{
	memset(&self->r, 0, sizeof(self->r));
	pthread_mutex_init(&self->r.why_lock, NULL);
	self->nl = nl_open();
	ASSERT_NE(NULL, self->nl);
	ASSERT_EQ(0, sysfs_write(SIM_BUS "/new_device", "7000 64"));
	ASSERT_EQ(0, sim_dpu_name(ID, self->r.dev, sizeof(self->r.dev)));
	ASSERT_EQ(0, sim_knob(ID, "attach_delay_ms", "0"));
	ASSERT_EQ(0, tenant_new(self->nl, self->r.dev, "acme", NULL));
	ASSERT_EQ(0, tenant_new(self->nl, self->r.dev, "globex", NULL));
	self->r.until = now_s() + race_seconds();
}

FIXTURE_TEARDOWN(race)
{
	sim_del(ID);
	nl_close(self->nl);
}

static void *creator(void *arg)
{
	struct race *r = arg;
	struct nl *nl = nl_open();
	struct fn_reply f;
	int err;

	if (!nl) {
		race_bad(r, "creator: nl_open");
		return NULL;
	}
	while (racing(r)) {
		err = fn_new_at(nl, r->dev, IDX, 4 * MiB, "acme", &f);
		if (err == -EEXIST)
			continue;
		if (err) {
			race_bad(r, "FN_NEW: %s (%s)", strerror(-err), nl->extack);
			continue;
		}
		atomic_fetch_add(&r->created, 1);
		/* the reply must be the function just made, not freed memory */
		/* (a setter may have moved it to globex already) */
		if (!f.has_index || f.index != IDX || f.size != 4 * MiB ||
		    (strcmp(f.tenant, "acme") && strcmp(f.tenant, "globex")) ||
		    strcmp(f.dev, r->dev))
			race_bad(r, "FN_NEW reply: index %u size %llu tenant '%s' dev '%s'",
				 f.index, (unsigned long long)f.size, f.tenant,
				 f.dev);
	}
	nl_close(nl);
	return NULL;
}

static void *deleter(void *arg)
{
	struct race *r = arg;
	struct nl *nl = nl_open();
	int err;

	if (!nl) {
		race_bad(r, "deleter: nl_open");
		return NULL;
	}
	while (racing(r)) {
		err = fn_del(nl, r->dev, IDX);
		if (!err)
			atomic_fetch_add(&r->deleted, 1);
		else if (err != -ENOENT)
			race_bad(r, "FN_DEL: %s (%s)", strerror(-err), nl->extack);
	}
	nl_close(nl);
	return NULL;
}

/* FN_SET (limits, tenant) of whatever function has the index now */
static void *setter(void *arg)
{
	struct race *r = arg;
	struct nl *nl = nl_open();
	uint64_t v = 1000;
	int err;

	if (!nl) {
		race_bad(r, "setter: nl_open");
		return NULL;
	}
	while (racing(r)) {
		err = fn_set_limit(nl, r->dev, IDX, DPU_A_LIMIT_BLK_IOPS, v++);
		if (!err)
			atomic_fetch_add(&r->sets, 1);
		else if (err != -ENOENT && err != -ENODEV)
			race_bad(r, "FN_SET: %s (%s)", strerror(-err), nl->extack);
		err = fn_move(nl, r->dev, IDX, v & 1 ? "globex" : "acme", NULL);
		if (err && err != -ENOENT && err != -ENODEV)
			race_bad(r, "FN_SET tenant: %s (%s)", strerror(-err),
				 nl->extack);
	}
	nl_close(nl);
	return NULL;
}

static int num_fns(const char *dev)
{
	char path[128], buf[32];

	snprintf(path, sizeof(path), "/sys/class/dpu/%s/num_fns", dev);
	if (sysfs_read(path, buf, sizeof(buf)))
		return -1;
	return atoi(buf);
}

static void run_threads(struct race *r, void *(*fns[])(void *), int n)
{
	pthread_t t[16];
	int i;

	for (i = 0; i < n; i++)
		pthread_create(&t[i], NULL, fns[i], r);
	for (i = 0; i < n; i++)
		pthread_join(t[i], NULL);
}

/* FN_NEW and FN_DEL of one index: replies never describe freed memory */
TEST_F(race, fn_new_vs_del)
{
	void *(*fns[])(void *) = { creator, creator, deleter, deleter };

	run_threads(&self->r, fns, 4);
	EXPECT_EQ(0, atomic_load(&self->r.bad)) TH_LOG("%s", self->r.why);
	TH_LOG("created %ld deleted %ld", atomic_load(&self->r.created),
	       atomic_load(&self->r.deleted));
	EXPECT_GT(atomic_load(&self->r.created), 10);
	EXPECT_GT(atomic_load(&self->r.deleted), 10);
	fn_del(self->nl, self->r.dev, IDX);
	EXPECT_EQ(0, num_fns(self->r.dev));
}

/* the events group, from another socket: per index NEW (SET)* DEL */
struct monitor {
	struct nl *nl;
	int state[64];		/* 0: none, 1: exists */
	long events, out_of_order;
	char why[160];
};

static int monitor_open(struct monitor *m)
{
	memset(m, 0, sizeof(*m));
	m->nl = nl_open();
	if (!m->nl || nl_join_events(m->nl))
		return -1;
	setsockopt(mnl_socket_get_fd(m->nl->sk), SOL_SOCKET, SO_RCVBUFFORCE,
		   &(int){ 8 << 20 }, sizeof(int));
	return 0;
}

static void monitor_drain(struct monitor *m)
{
	ssize_t len;

	while ((len = recv(mnl_socket_get_fd(m->nl->sk), m->nl->buf,
			   sizeof(m->nl->buf), MSG_DONTWAIT)) > 0) {
		struct nlmsghdr *nlh = (struct nlmsghdr *)m->nl->buf;
		int rest = len;

		for (; mnl_nlmsg_ok(nlh, rest); nlh = mnl_nlmsg_next(nlh, &rest)) {
			struct fn_reply f;

			parse_fn(nlh, &f);
			if (!f.has_index || f.index >= 64 ||
			    (f.cmd != DPU_CMD_FN_NEW && f.cmd != DPU_CMD_FN_SET &&
			     f.cmd != DPU_CMD_FN_DEL))
				continue;
			m->events++;
			switch (f.cmd) {
			case DPU_CMD_FN_NEW:
				if (m->state[f.index])
					goto bad;
				m->state[f.index] = 1;
				break;
			case DPU_CMD_FN_SET:
				if (!m->state[f.index])
					goto bad;
				break;
			case DPU_CMD_FN_DEL:
				if (!m->state[f.index])
					goto bad;
				m->state[f.index] = 0;
				break;
			}
			continue;
bad:
			if (!m->out_of_order++)
				snprintf(m->why, sizeof(m->why),
					 "event %u for fn %u after %s (event %ld)",
					 f.cmd, f.index,
					 m->state[f.index] ? "its NEW" : "its DEL",
					 m->events);
		}
	}
}

/* FN_SET against FN_DEL: no change event of a function after its removal */
TEST_F(race, set_vs_del_events)
{
	void *(*fns[])(void *) = { creator, deleter, setter, setter };
	struct monitor *m = calloc(1, sizeof(*m));

	ASSERT_NE(NULL, m);
	ASSERT_EQ(0, monitor_open(m));
	run_threads(&self->r, fns, 4);
	fn_del(self->nl, self->r.dev, IDX);
	usleep(100000);
	monitor_drain(m);
	EXPECT_EQ(0, atomic_load(&self->r.bad)) TH_LOG("%s", self->r.why);
	TH_LOG("created %ld deleted %ld sets %ld, %ld events",
	       atomic_load(&self->r.created), atomic_load(&self->r.deleted),
	       atomic_load(&self->r.sets), m->events);
	EXPECT_GT(atomic_load(&self->r.sets), 3);
	EXPECT_EQ(0, m->out_of_order) TH_LOG("%s", m->why);
	EXPECT_EQ(0, m->state[IDX]);
	nl_close(m->nl);
	free(m);
}

/*
 * Two writers of the same object's limits, each of its own kind: every
 * writer reads back its own last value. A merge outside the DPU's lock
 * wrote a stale copy of the other kind back (a lost update).
 */
struct writer {
	struct race *r;
	int tenant;		/* a tenant's limits, else function IDX's */
	uint16_t attr;
};

static void *limit_writer(void *arg)
{
	struct writer *w = arg;
	struct race *r = w->r;
	struct nl *nl = nl_open();
	uint64_t v = 1000 + w->attr * 1000000ULL, got;
	struct tenant_reply t;
	struct fn_reply f;
	int err;

	if (!nl) {
		race_bad(r, "writer: nl_open");
		return NULL;
	}
	while (racing(r)) {
		v++;
		if (w->tenant)
			err = tenant_set_limit(nl, r->dev, "acme", w->attr, v, NULL);
		else
			err = fn_set_limit(nl, r->dev, IDX, w->attr, v);
		if (err) {
			race_bad(r, "set %u: %s (%s)", w->attr, strerror(-err),
				 nl->extack);
			break;
		}
		atomic_fetch_add(&r->sets, 1);
		/* nobody else writes this kind: it must still be ours */
		if (w->tenant) {
			err = tenant_get(nl, r->dev, "acme", &t);
			got = t.limits.v[w->attr];
		} else {
			err = fn_get(nl, r->dev, IDX, &f);
			got = f.limits.v[w->attr];
		}
		if (err) {
			race_bad(r, "get: %s", strerror(-err));
			break;
		}
		if (got < v) {
			atomic_fetch_add(&r->lost, 1);
			race_bad(r, "limit %u reads %llu after %llu was set",
				 w->attr, (unsigned long long)got,
				 (unsigned long long)v);
		}
	}
	nl_close(nl);
	return NULL;
}

static void limit_race(struct __test_metadata *_metadata, struct race *r,
		       int tenant)
{
	struct writer w[4] = {
		{ r, tenant, DPU_A_LIMIT_BLK_IOPS },
		{ r, tenant, DPU_A_LIMIT_BLK_BPS },
		{ r, tenant, DPU_A_LIMIT_BLK_READ_IOPS },
		{ r, tenant, DPU_A_LIMIT_BLK_WRITE_BPS },
	};
	pthread_t t[4];
	int i;

	for (i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, limit_writer, &w[i]);
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	TH_LOG("%ld sets, %ld lost", atomic_load(&r->sets),
	       atomic_load(&r->lost));
	EXPECT_EQ(0, atomic_load(&r->bad)) TH_LOG("%s", r->why);
	EXPECT_GT(atomic_load(&r->sets), 40);
}

TEST_F(race, fn_limits_no_lost_update)
{
	struct fn_reply f;

	ASSERT_EQ(0, fn_new_at(self->nl, self->r.dev, IDX, 4 * MiB, "acme", &f));
	limit_race(_metadata, &self->r, 0);
}

TEST_F(race, tenant_limits_no_lost_update)
{
	limit_race(_metadata, &self->r, 1);
}

/*
 * Dumps while tenants come and go are flagged NLM_F_DUMP_INTR; a dump of
 * an unchanging set is not.
 */
static int dump_tenants(struct nl *nl, const char *dev, int *count, int *intr)
{
	struct nlmsghdr *nlh = nl_msg(nl, nl->family, DPU_CMD_TENANT_GET,
				      NLM_F_DUMP);
	ssize_t len;
	int done = 0;

	mnl_attr_put_strz(nlh, DPU_A_DEV_NAME, dev);
	nlh->nlmsg_flags |= NLM_F_REQUEST;
	nlh->nlmsg_seq = ++nl->seq;
	*count = 0;
	*intr = 0;
	if (mnl_socket_sendto(nl->sk, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	while (!done) {
		int rest;

		len = mnl_socket_recvfrom(nl->sk, nl->buf, sizeof(nl->buf));
		if (len < 0)
			return -errno;
		rest = len;
		for (nlh = (struct nlmsghdr *)nl->buf; mnl_nlmsg_ok(nlh, rest);
		     nlh = mnl_nlmsg_next(nlh, &rest)) {
			if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
				*intr = 1;
			if (nlh->nlmsg_type == NLMSG_DONE) {
				done = 1;
				break;
			}
			if (nlh->nlmsg_type == NLMSG_ERROR)
				return ((struct nlmsgerr *)mnl_nlmsg_get_payload(nlh))->error;
			(*count)++;
		}
	}
	return 0;
}

static void *tenant_churn(void *arg)
{
	struct race *r = arg;
	struct nl *nl = nl_open();

	if (!nl)
		return NULL;
	while (racing(r)) {
		if (tenant_new(nl, r->dev, "churn", NULL) ||
		    tenant_del(nl, r->dev, "churn"))
			race_bad(r, "churn: %s", nl->extack);
		atomic_fetch_add(&r->sets, 1);
	}
	nl_close(nl);
	return NULL;
}

TEST_F(race, dump_flags_interrupted)
{
	int i, count, intr, dumps = 0, flagged = 0;
	char name[32];
	pthread_t t;

	for (i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "t%03d", i);
		ASSERT_EQ(0, tenant_new(self->nl, self->r.dev, name, NULL));
	}
	/* quiet: 302 tenants, several rounds, no flag */
	ASSERT_EQ(0, dump_tenants(self->nl, self->r.dev, &count, &intr));
	EXPECT_EQ(302, count);
	EXPECT_EQ(0, intr);

	pthread_create(&t, NULL, tenant_churn, &self->r);
	while (racing(&self->r)) {
		ASSERT_EQ(0, dump_tenants(self->nl, self->r.dev, &count, &intr));
		dumps++;
		flagged += intr;
	}
	atomic_store(&self->r.stop, 1);
	pthread_join(t, NULL);
	TH_LOG("%d of %d dumps flagged NLM_F_DUMP_INTR (%ld changes)",
	       flagged, dumps, atomic_load(&self->r.sets));
	EXPECT_EQ(0, atomic_load(&self->r.bad)) TH_LOG("%s", self->r.why);
	EXPECT_GT(flagged, 0);
}

/*
 * FN_SET and TENANT_SET from several threads while dpu_sim is unloaded:
 * those that lose the race are told the function or the DPU is going
 * away; none reaches the backend after its functions were destroyed (that
 * answered "the DPU refused the limits", or called into an unloaded
 * module). The module is loaded again at the end.
 */
struct unload_ctx {
	struct race *r;
	atomic_int gone;
	atomic_long refused, ok;
};

static void *unload_setter(void *arg)
{
	struct unload_ctx *u = arg;
	struct race *r = u->r;
	struct nl *nl = nl_open();
	uint64_t v = 100;
	uint32_t i;
	int err;

	if (!nl)
		return NULL;
	while (!atomic_load(&u->gone)) {
		for (i = 0; i < 8; i++) {
			err = fn_set_limit(nl, r->dev, i, DPU_A_LIMIT_NET_TX_PPS, v++);
			if (!err) {
				atomic_fetch_add(&u->ok, 1);
				continue;
			}
			atomic_fetch_add(&u->refused, 1);
			if (!(err == -ENODEV &&
			      (!strcmp(nl->extack, "function is being removed") ||
			       !strcmp(nl->extack, "no DPU device with this name"))) &&
			    !(err == -ENOENT &&
			      !strcmp(nl->extack, "no function with this index on this DPU")))
				race_bad(r, "FN_SET during unload: %s (%s)",
					 strerror(-err), nl->extack);
			err = tenant_set_limit(nl, r->dev, "acme",
					       DPU_A_LIMIT_NET_TX_PPS, v, NULL);
			if (err && err != -ENODEV && err != -ENOENT)
				race_bad(r, "TENANT_SET during unload: %s (%s)",
					 strerror(-err), nl->extack);
		}
	}
	nl_close(nl);
	return NULL;
}

TEST_F(race, set_vs_rmmod)
{
	struct unload_ctx u = { .r = &self->r };
	const char *kmod = getenv("DPU_KMOD");
	const char *repo = getenv("DPU_REPO");
	char path[512];
	pthread_t t[3];
	struct fn_reply f;
	int i, fd;

	if (kmod)
		snprintf(path, sizeof(path), "%s/dpu_sim/dpu_sim.ko", kmod);
	else
		snprintf(path, sizeof(path), "%s/kmod/dpu_sim/dpu_sim.ko", repo ? repo : ".");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		SKIP(return, "no %s to load again", path);
	for (i = 0; i < 8; i++)
		ASSERT_EQ(0, fn_new(self->nl, self->r.dev, 0, "acme", &f));
	for (i = 0; i < 3; i++)
		pthread_create(&t[i], NULL, unload_setter, &u);
	usleep(200000);
	EXPECT_EQ(0, syscall(__NR_delete_module, "dpu_sim", O_NONBLOCK))
		TH_LOG("rmmod dpu_sim: %s", strerror(errno));
	atomic_store(&u.gone, 1);
	for (i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	TH_LOG("%ld sets passed, %ld refused", atomic_load(&u.ok),
	       atomic_load(&u.refused));
	EXPECT_EQ(0, atomic_load(&self->r.bad)) TH_LOG("%s", self->r.why);
	EXPECT_GT(atomic_load(&u.refused), 0);
	EXPECT_EQ(0, syscall(__NR_finit_module, fd, "", 0))
		TH_LOG("reload %s: %s", path, strerror(errno));
	close(fd);
}

TEST_HARNESS_MAIN
