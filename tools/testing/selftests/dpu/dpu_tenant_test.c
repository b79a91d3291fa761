// SPDX-License-Identifier: GPL-2.0
/*
 * dpupool selftest: tenants over netlink: create, get, resumable dumps,
 * set, the hierarchy's depth and cycle rules, deletion rules, errors with
 * extack on every command, privileges, events, effective limits of
 * functions and the traffic counters of functions and tenants.
 */
#include <poll.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <linux/netlink.h>

#include <liburing.h>

#include "kselftest_harness.h"
#include "dpu_test.h"

#define ID 8000
#define ID2 8001
#define MiB (1024ULL * 1024)

FIXTURE(tn) {
	struct nl *nl;
	char dev[32];
	uint32_t dev_index;
};

FIXTURE_SETUP(tn)
{
	self->nl = nl_open();
	ASSERT_NE(NULL, self->nl) TH_LOG("dpu family not found: is dpu.ko loaded?");
	ASSERT_EQ(0, sysfs_write(SIM_BUS "/new_device", "8000 64"));
	ASSERT_EQ(0, sim_dpu_name(ID, self->dev, sizeof(self->dev)));
	self->dev_index = strtoul(self->dev + 3, NULL, 10);
	ASSERT_EQ(0, sim_knob(ID, "attach_delay_ms", "5"));
}

FIXTURE_TEARDOWN(tn)
{
	sim_del(ID);
	sim_del(ID2);
	nl_close(self->nl);
}

/* a TENANT_* request naming the device (if dev) and the tenant (if name) */
static struct nlmsghdr *tmsg(struct nl *nl, uint8_t cmd, const char *dev,
			     const char *name)
{
	struct nlmsghdr *nlh = nl_msg(nl, nl->family, cmd, 0);

	if (dev)
		mnl_attr_put_strz(nlh, DPU_A_DEV_NAME, dev);
	if (name)
		mnl_attr_put_strz(nlh, DPU_A_TENANT_NAME, name);
	return nlh;
}

/* TENANT_NEW with one limit (rate, and burst if not 0) */
static int tenant_new_limit(struct nl *nl, const char *dev, const char *name,
			    const char *parent, uint16_t limit, uint64_t rate,
			    uint64_t burst)
{
	struct nlmsghdr *nlh = tmsg(nl, DPU_CMD_TENANT_NEW, dev, name);
	struct nlattr *nest;

	if (parent)
		mnl_attr_put_strz(nlh, DPU_A_TENANT_PARENT, parent);
	nest = mnl_attr_nest_start(nlh, DPU_A_TENANT_LIMITS);
	mnl_attr_put_u64(nlh, limit, rate);
	if (burst)
		mnl_attr_put_u64(nlh, limit + 1, burst);
	mnl_attr_nest_end(nlh, nest);
	nl->cb = NULL;
	return nl_talk(nl, nlh);
}

static int count_has(const struct u64_nest *n)
{
	int i, c = 0;

	for (i = 0; i < DPU_NEST_MAX; i++)
		c += n->has[i];
	return c;
}

/* every counter present, each 0 */
static int stats_all_zero(const struct u64_nest *s)
{
	int t;

	if (!s->present || s->bad)
		return 0;
	for (t = DPU_A_STAT_BLK_IOS; t <= DPU_A_STAT_MAX; t++)
		if (!s->has[t] || s->v[t])
			return 0;
	return 1;
}

/* a blk function of @tenant, ready */
static int blk_fn(struct nl *nl, const char *dev, const char *tenant,
		  uint64_t size, struct fn_reply *f)
{
	int err = fn_new(nl, dev, size, tenant, f);

	if (err)
		return err;
	err = fn_wait(nl, dev, f->index, 5000, f);
	return err == DPU_FN_STATE_READY ? 0 : -EIO;
}

TEST_F(tn, create_get)
{
	struct tenant_reply t, g;
	struct nlmsghdr *nlh;
	struct nlattr *nest;
	char dev2[32];

	nlh = tmsg(self->nl, DPU_CMD_TENANT_NEW, self->dev, "acme");
	nest = mnl_attr_nest_start(nlh, DPU_A_TENANT_LIMITS);
	mnl_attr_put_u64(nlh, DPU_A_LIMIT_BLK_IOPS, 5000);
	/* a tenant may carry blk and net limits at once */
	mnl_attr_put_u64(nlh, DPU_A_LIMIT_NET_TX_BPS, 12500000);
	mnl_attr_put_u64(nlh, DPU_A_LIMIT_NET_TX_BPS_BURST, 1000000);
	mnl_attr_nest_end(nlh, nest);
	self->nl->cb = grab_tenant;
	self->nl->arg = &t;
	ASSERT_EQ(0, nl_talk(self->nl, nlh)) TH_LOG("%s", self->nl->extack);
	EXPECT_EQ(1, self->nl->replies);
	EXPECT_EQ(DPU_CMD_TENANT_NEW, t.cmd);
	EXPECT_STREQ(self->dev, t.dev);
	EXPECT_TRUE(t.has_dev_index);
	EXPECT_EQ(self->dev_index, t.dev_index);
	EXPECT_STREQ("acme", t.name);
	EXPECT_FALSE(t.has_parent);
	EXPECT_TRUE(t.has_depth);
	EXPECT_EQ(0U, t.depth);
	EXPECT_TRUE(t.has_num_fns);
	EXPECT_EQ(0U, t.num_fns);
	EXPECT_TRUE(t.has_num_children);
	EXPECT_EQ(0U, t.num_children);
	ASSERT_TRUE(t.limits.present);
	EXPECT_EQ(0, t.limits.bad);
	/* only limits with a rate, each with its effective burst */
	EXPECT_EQ(4, count_has(&t.limits));
	EXPECT_EQ(5000ULL, t.limits.v[DPU_A_LIMIT_BLK_IOPS]);
	EXPECT_TRUE(t.limits.has[DPU_A_LIMIT_BLK_IOPS_BURST]);
	EXPECT_EQ(500ULL, t.limits.v[DPU_A_LIMIT_BLK_IOPS_BURST]);
	EXPECT_EQ(12500000ULL, t.limits.v[DPU_A_LIMIT_NET_TX_BPS]);
	EXPECT_EQ(1000000ULL, t.limits.v[DPU_A_LIMIT_NET_TX_BPS_BURST]);
	EXPECT_TRUE(stats_all_zero(&t.stats));

	ASSERT_EQ(0, tenant_get(self->nl, self->dev, "acme", &g));
	EXPECT_EQ(1, self->nl->replies);
	EXPECT_EQ(DPU_CMD_TENANT_GET, g.cmd);
	EXPECT_STREQ("acme", g.name);
	EXPECT_STREQ(self->dev, g.dev);
	EXPECT_EQ(0U, g.depth);
	EXPECT_EQ(4, count_has(&g.limits));
	EXPECT_EQ(5000ULL, g.limits.v[DPU_A_LIMIT_BLK_IOPS]);
	EXPECT_TRUE(stats_all_zero(&g.stats));

	/* by device index instead of name */
	nlh = nl_msg(self->nl, self->nl->family, DPU_CMD_TENANT_GET, 0);
	mnl_attr_put_u32(nlh, DPU_A_DEV_INDEX, self->dev_index);
	mnl_attr_put_strz(nlh, DPU_A_TENANT_NAME, "acme");
	self->nl->cb = grab_tenant;
	self->nl->arg = &g;
	ASSERT_EQ(0, nl_talk(self->nl, nlh));
	EXPECT_STREQ("acme", g.name);
	EXPECT_STREQ(self->dev, g.dev);

	/* a root tenant without limits has no limits attribute */
	ASSERT_EQ(0, tenant_new(self->nl, self->dev, "plain", NULL));
	ASSERT_EQ(0, tenant_get(self->nl, self->dev, "plain", &g));
	EXPECT_EQ(0, count_has(&g.limits));
	EXPECT_FALSE(g.has_parent);

	/* taken */
	EXPECT_EQ(-EEXIST, tenant_new(self->nl, self->dev, "acme", NULL));
	EXPECT_STREQ("tenant already exists on this DPU", self->nl->extack);

	/* names are per device */
	ASSERT_EQ(0, sysfs_write(SIM_BUS "/new_device", "8001 4"));
	ASSERT_EQ(0, sim_dpu_name(ID2, dev2, sizeof(dev2)));
	EXPECT_EQ(-ENOENT, tenant_get(self->nl, dev2, "acme", &g));
	EXPECT_STREQ("no tenant with this name on this DPU", self->nl->extack);
	ASSERT_EQ(0, tenant_new(self->nl, dev2, "acme", NULL));
	ASSERT_EQ(0, tenant_get(self->nl, dev2, "acme", &g));
	EXPECT_STREQ(dev2, g.dev);
	EXPECT_EQ(0, count_has(&g.limits));
	/* removing a DPU removes its tenants */
	ASSERT_EQ(0, sim_del(ID2));
	ASSERT_EQ(0, sysfs_write(SIM_BUS "/new_device", "8001 4"));
	ASSERT_EQ(0, sim_dpu_name(ID2, dev2, sizeof(dev2)));
	EXPECT_EQ(-ENOENT, tenant_get(self->nl, dev2, "acme", &g));
	EXPECT_EQ(0, tenant_get(self->nl, self->dev, "acme", &g));
}

TEST_F(tn, names_accepted)
{
	static const char * const ok[] = {
		"0", "A", "Z.z_9-x", "a..b", "x-", "under_score",
		/* 63 characters */
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_",
	};
	struct tenant_reply g;
	unsigned int i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		EXPECT_EQ(0, tenant_new(self->nl, self->dev, ok[i], NULL))
			TH_LOG("name \"%s\": %s", ok[i], self->nl->extack);
		EXPECT_EQ(0, tenant_get(self->nl, self->dev, ok[i], &g));
		EXPECT_STREQ(ok[i], g.name);
	}
}

/* dumps */

#define DUMP_N 300

struct tdump {
	int n, ours, dup, bad, other;
	int seen[DUMP_N];
	const char *dev, *dev2;
};

static int tdump_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct tdump *c = arg;
	struct tenant_reply t;
	unsigned int i;

	parse_tenant(nlh, &t);
	c->n++;
	if (t.cmd != DPU_CMD_TENANT_GET || !t.name[0] || !t.dev[0] ||
	    !t.has_depth || !t.stats.present) {
		c->bad++;
		return 0;
	}
	if (c->dev2 && !strcmp(t.dev, c->dev2) && !strcmp(t.name, "other"))
		c->other++;
	if (strcmp(t.dev, c->dev))
		return 0;
	if (sscanf(t.name, "tenant-with-a-fairly-long-name-%u", &i) != 1 ||
	    i >= DUMP_N || t.limits.v[DPU_A_LIMIT_BLK_IOPS] != 1000 + i) {
		c->bad++;
		return 0;
	}
	if (c->seen[i]++)
		c->dup++;
	c->ours++;
	return 0;
}

TEST_F(tn, dump_300)
{
	struct tdump *c = calloc(1, sizeof(*c));
	struct nlmsghdr *nlh;
	char name[80], dev2[32];
	int i;

	ASSERT_NE(NULL, c);
	ASSERT_EQ(0, sysfs_write(SIM_BUS "/new_device", "8001 4"));
	ASSERT_EQ(0, sim_dpu_name(ID2, dev2, sizeof(dev2)));
	ASSERT_EQ(0, tenant_new(self->nl, dev2, "other", NULL));
	/*
	 * about 300 bytes each with limits and stats: 300 of them take several
	 * rounds of a dump (and several datagrams of our 32 KiB buffer)
	 */
	for (i = 0; i < DUMP_N; i++) {
		snprintf(name, sizeof(name), "tenant-with-a-fairly-long-name-%03d", i);
		ASSERT_EQ(0, tenant_new_limit(self->nl, self->dev, name,
					      i ? "tenant-with-a-fairly-long-name-000" : NULL,
					      DPU_A_LIMIT_BLK_IOPS, 1000 + i, 0))
			TH_LOG("%s: %s", name, self->nl->extack);
	}

	/* of one device, by name */
	c->dev = self->dev;
	c->dev2 = dev2;
	nlh = nl_msg(self->nl, self->nl->family, DPU_CMD_TENANT_GET, NLM_F_DUMP);
	mnl_attr_put_strz(nlh, DPU_A_DEV_NAME, self->dev);
	self->nl->cb = tdump_cb;
	self->nl->arg = c;
	ASSERT_EQ(0, nl_talk(self->nl, nlh));
	/* the dump was resumed: several rounds, several datagrams */
	EXPECT_GE(self->nl->rounds, 3);
	EXPECT_EQ(DUMP_N, c->ours);
	EXPECT_EQ(DUMP_N, c->n);
	EXPECT_EQ(0, c->dup);
	EXPECT_EQ(0, c->bad);
	EXPECT_EQ(0, c->other);
	for (i = 0; i < DUMP_N; i++)
		EXPECT_EQ(1, c->seen[i]) TH_LOG("tenant %d seen %d times", i, c->seen[i]);

	/* of one device, by index */
	memset(c, 0, sizeof(*c));
	c->dev = self->dev;
	c->dev2 = dev2;
	nlh = nl_msg(self->nl, self->nl->family, DPU_CMD_TENANT_GET, NLM_F_DUMP);
	mnl_attr_put_u32(nlh, DPU_A_DEV_INDEX, self->dev_index);
	ASSERT_EQ(0, nl_talk(self->nl, nlh));
	EXPECT_EQ(DUMP_N, c->ours);
	EXPECT_EQ(DUMP_N, c->n);
	EXPECT_EQ(0, c->dup);

	/* of all devices */
	memset(c, 0, sizeof(*c));
	c->dev = self->dev;
	c->dev2 = dev2;
	nlh = nl_msg(self->nl, self->nl->family, DPU_CMD_TENANT_GET, NLM_F_DUMP);
	ASSERT_EQ(0, nl_talk(self->nl, nlh));
	EXPECT_EQ(DUMP_N, c->ours);
	EXPECT_EQ(0, c->dup);
	EXPECT_EQ(0, c->bad);
	EXPECT_EQ(1, c->other);
	EXPECT_GE(c->n, DUMP_N + 1);

	/* of the other device only */
	memset(c, 0, sizeof(*c));
	c->dev = self->dev;
	c->dev2 = dev2;
	nlh = nl_msg(self->nl, self->nl->family, DPU_CMD_TENANT_GET, NLM_F_DUMP);
	mnl_attr_put_strz(nlh, DPU_A_DEV_NAME, dev2);
	ASSERT_EQ(0, nl_talk(self->nl, nlh));
	EXPECT_EQ(1, c->n);
	EXPECT_EQ(1, c->other);
	EXPECT_EQ(0, c->ours);

	/* of an unknown device */
	nlh = nl_msg(self->nl, self->nl->family, DPU_CMD_TENANT_GET, NLM_F_DUMP);
	mnl_attr_put_strz(nlh, DPU_A_DEV_NAME, "dpu9999");
	EXPECT_EQ(-ENODEV, nl_talk(self->nl, nlh));
	EXPECT_STREQ("no DPU device with this name", self->nl->extack);

	/* the parent counts its 299 children */
	{
		struct tenant_reply t;

		ASSERT_EQ(0, tenant_get(self->nl, self->dev,
					"tenant-with-a-fairly-long-name-000", &t));
		EXPECT_EQ((uint32_t)DUMP_N - 1, t.num_children);
	}
	free(c);
}

TEST_F(tn, set_limits_and_parent)
{
	struct tenant_reply t, p;
	struct nlmsghdr *nlh;
	struct nlattr *nest;

	ASSERT_EQ(0, tenant_new(self->nl, self->dev, "acme", NULL));
	ASSERT_EQ(0, tenant_new(self->nl, self->dev, "holding", NULL));

	ASSERT_EQ(0, tenant_set_limit(self->nl, self->dev, "acme",
				      DPU_A_LIMIT_BLK_IOPS, 3000, &t));
	EXPECT_EQ(1, self->nl->replies);
	EXPECT_EQ(DPU_CMD_TENANT_SET, t.cmd);
	EXPECT_STREQ("acme", t.name);
	EXPECT_EQ(2, count_has(&t.limits));
	EXPECT_EQ(3000ULL, t.limits.v[DPU_A_LIMIT_BLK_IOPS]);
	EXPECT_EQ(300ULL, t.limits.v[DPU_A_LIMIT_BLK_IOPS_BURST]);

	/* only the limits given change */
	ASSERT_EQ(0, tenant_set_limit(self->nl, self->dev, "acme",
				      DPU_A_LIMIT_BLK_READ_BPS, 10000000, &t));
	EXPECT_EQ(4, count_has(&t.limits));
	EXPECT_EQ(3000ULL, t.limits.v[DPU_A_LIMIT_BLK_IOPS]);
	EXPECT_EQ(10000000ULL, t.limits.v[DPU_A_LIMIT_BLK_READ_BPS]);
	EXPECT_EQ(1000000ULL, t.limits.v[DPU_A_LIMIT_BLK_READ_BPS_BURST]);
	/* a burst alone for a limit that has a rate */
	ASSERT_EQ(0, tenant_set_limit(self->nl, self->dev, "acme",
				      DPU_A_LIMIT_BLK_READ_BPS_BURST, 4000000, &t));
	EXPECT_EQ(10000000ULL, t.limits.v[DPU_A_LIMIT_BLK_READ_BPS]);
	EXPECT_EQ(4000000ULL, t.limits.v[DPU_A_LIMIT_BLK_READ_BPS_BURST]);
	/* rate 0 removes one */
	ASSERT_EQ(0, tenant_set_limit(self->nl, self->dev, "acme",
				      DPU_A_LIMIT_BLK_IOPS, 0, &t));
	EXPECT_EQ(2, count_has(&t.limits));
	EXPECT_FALSE(t.limits.has[DPU_A_LIMIT_BLK_IOPS]);
	EXPECT_FALSE(t.limits.has[DPU_A_LIMIT_BLK_IOPS_BURST]);
	/* net kinds next to blk kinds */
	ASSERT_EQ(0, tenant_set_limit(self->nl, self->dev, "acme",
				      DPU_A_LIMIT_NET_RX_PPS, 1000, &t));
	EXPECT_EQ(4, count_has(&t.limits));
	EXPECT_EQ(1000ULL, t.limits.v[DPU_A_LIMIT_NET_RX_PPS]);
	EXPECT_EQ(100ULL, t.limits.v[DPU_A_LIMIT_NET_RX_PPS_BURST]);
	ASSERT_EQ(0, tenant_get(self->nl, self->dev, "acme", &t));
	EXPECT_EQ(4, count_has(&t.limits));

	/* parent */
	ASSERT_EQ(0, tenant_set_parent(self->nl, self->dev, "acme", "holding", &t));
	EXPECT_TRUE(t.has_parent);
	EXPECT_STREQ("holding", t.parent);
	EXPECT_EQ(1U, t.depth);
	EXPECT_EQ(4, count_has(&t.limits));
	ASSERT_EQ(0, tenant_get(self->nl, self->dev, "holding", &p));
	EXPECT_EQ(1U, p.num_children);
	EXPECT_EQ(0U, p.depth);
	ASSERT_EQ(0, tenant_get(self->nl, self->dev, "acme", &t));
	EXPECT_STREQ("holding", t.parent);
	/* setting the same parent again is fine */
	ASSERT_EQ(0, tenant_set_parent(self->nl, self->dev, "acme", "holding", &t));
	ASSERT_EQ(0, tenant_get(self->nl, self->dev, "holding", &p));
	EXPECT_EQ(1U, p.num_children);

	/* "" makes it a root again */
	ASSERT_EQ(0, tenant_set_parent(self->nl, self->dev, "acme", "", &t));
	EXPECT_FALSE(t.has_parent);
	EXPECT_EQ(0U, t.depth);
	ASSERT_EQ(0, tenant_get(self->nl, self->dev, "holding", &p));
	EXPECT_EQ(0U, p.num_children);

	/* parent and limits in one request */
	nlh = tmsg(self->nl, DPU_CMD_TENANT_SET, self->dev, "acme");
	mnl_attr_put_strz(nlh, DPU_A_TENANT_PARENT, "holding");
	nest = mnl_attr_nest_start(nlh, DPU_A_TENANT_LIMITS);
	mnl_attr_put_u64(nlh, DPU_A_LIMIT_BLK_WRITE_IOPS, 700);
	mnl_attr_put_u64(nlh, DPU_A_LIMIT_BLK_WRITE_IOPS_BURST, 7);
	mnl_attr_nest_end(nlh, nest);
	self->nl->cb = grab_tenant;
	self->nl->arg = &t;
	ASSERT_EQ(0, nl_talk(self->nl, nlh)) TH_LOG("%s", self->nl->extack);
	EXPECT_STREQ("holding", t.parent);
	EXPECT_EQ(700ULL, t.limits.v[DPU_A_LIMIT_BLK_WRITE_IOPS]);
	EXPECT_EQ(7ULL, t.limits.v[DPU_A_LIMIT_BLK_WRITE_IOPS_BURST]);
	EXPECT_EQ(6, count_has(&t.limits));

	/* a new tenant under a parent */
	ASSERT_EQ(0, tenant_new(self->nl, self->dev, "acme-eu", "acme"));
	ASSERT_EQ(0, tenant_get(self->nl, self->dev, "acme-eu", &t));
	EXPECT_STREQ("acme", t.parent);
	EXPECT_EQ(2U, t.depth);
	ASSERT_EQ(0, tenant_get(self->nl, self->dev, "acme", &t));
	EXPECT_EQ(1U, t.num_children);
}

TEST_F(tn, hierarchy_depth)
{
	struct tenant_reply t;
	char name[16], parent[16];
	int i;

	/* d0 (depth 0) ... d7 (depth 7) */
	for (i = 0; i <= DPU_TENANT_MAX_DEPTH; i++) {
		snprintf(name, sizeof(name), "d%d", i);
		snprintf(parent, sizeof(parent), "d%d", i - 1);
		ASSERT_EQ(0, tenant_new(self->nl, self->dev, name, i ? parent : NULL))
			TH_LOG("%s: %s", name, self->nl->extack);
	}
	ASSERT_EQ(0, tenant_get(self->nl, self->dev, "d7", &t));
	EXPECT_EQ(7U, t.depth);
	EXPECT_STREQ("d6", t.parent);

	/* depth 8 */
	EXPECT_EQ(-E2BIG, tenant_new(self->nl, self->dev, "d8", "d7"));
	EXPECT_STREQ("tenant hierarchy deeper than 7 levels", self->nl->extack);
	EXPECT_EQ(-ENOENT, tenant_get(self->nl, self->dev, "d8", &t));

	/* a root with a child: moving it under d6 puts the child at 8 */
	ASSERT_EQ(0, tenant_new(self->nl, self->dev, "r", NULL));
	ASSERT_EQ(0, tenant_new(self->nl, self->dev, "rc", "r"));
	EXPECT_EQ(-E2BIG, tenant_set_parent(self->nl, self->dev, "r", "d6", NULL));
	EXPECT_STREQ("tenant hierarchy deeper than 7 levels", self->nl->extack);
	ASSERT_EQ(0, tenant_get(self->nl, self->dev, "r", &t));
	EXPECT_FALSE(t.has_parent);
	ASSERT_EQ(0, tenant_get(self->nl, self->dev, "d6", &t));
	EXPECT_EQ(1U, t.num_children);
	/* a single tenant fits under d6 */
	ASSERT_EQ(0, tenant_set_parent(self->nl, self->dev, "rc", "d6", &t));
	EXPECT_EQ(7U, t.depth);
	ASSERT_EQ(0, tenant_set_parent(self->nl, self->dev, "rc", "r", &t));
	EXPECT_EQ(1U, t.depth);
	/* and r with its child under d5: the child lands at 7, its depth follows */
	ASSERT_EQ(0, tenant_set_parent(self->nl, self->dev, "r", "d5", &t));
	EXPECT_EQ(6U, t.depth);
	ASSERT_EQ(0, tenant_get(self->nl, self->dev, "rc", &t));
	EXPECT_EQ(7U, t.depth);
	EXPECT_EQ(-E2BIG, tenant_new(self->nl, self->dev, "rcc", "rc"));
	EXPECT_STREQ("tenant hierarchy deeper than 7 levels", self->nl->extack);
	ASSERT_EQ(0, tenant_set_parent(self->nl, self->dev, "r", "", &t));
	ASSERT_EQ(0, tenant_get(self->nl, self->dev, "rc", &t));
	EXPECT_EQ(1U, t.depth);

	/* cycles */
	EXPECT_EQ(-ELOOP, tenant_set_parent(self->nl, self->dev, "d0", "d0", NULL));
	EXPECT_STREQ("a tenant cannot be its own parent", self->nl->extack);
	EXPECT_EQ(-ELOOP, tenant_set_parent(self->nl, self->dev, "d3", "d3", NULL));
	EXPECT_STREQ("a tenant cannot be its own parent", self->nl->extack);
	EXPECT_EQ(-ELOOP, tenant_set_parent(self->nl, self->dev, "d0", "d1", NULL));
	EXPECT_STREQ("the parent is a descendant of the tenant", self->nl->extack);
	EXPECT_EQ(-ELOOP, tenant_set_parent(self->nl, self->dev, "d2", "d7", NULL));
	EXPECT_STREQ("the parent is a descendant of the tenant", self->nl->extack);
	EXPECT_EQ(-ELOOP, tenant_new(self->nl, self->dev, "x", "x"));
	EXPECT_STREQ("a tenant cannot be its own parent", self->nl->extack);
	EXPECT_EQ(-ENOENT, tenant_get(self->nl, self->dev, "x", &t));
	/* nothing changed */
	ASSERT_EQ(0, tenant_get(self->nl, self->dev, "d0", &t));
	EXPECT_FALSE(t.has_parent);
	EXPECT_EQ(1U, t.num_children);
	ASSERT_EQ(0, tenant_get(self->nl, self->dev, "d2", &t));
	EXPECT_STREQ("d1", t.parent);
	EXPECT_EQ(2U, t.depth);
	/* moving a middle tenant up shortens the chain below it */
	ASSERT_EQ(0, tenant_set_parent(self->nl, self->dev, "d4", "d0", &t));
	EXPECT_EQ(1U, t.depth);
	ASSERT_EQ(0, tenant_get(self->nl, self->dev, "d7", &t));
	EXPECT_EQ(4U, t.depth);
	ASSERT_EQ(0, tenant_get(self->nl, self->dev, "d0", &t));
	EXPECT_EQ(2U, t.num_children);
}

TEST_F(tn, delete_rules)
{
	struct tenant_reply t;
	struct fn_reply f;

	ASSERT_EQ(0, tenant_new(self->nl, self->dev, "p", NULL));
	ASSERT_EQ(0, tenant_new(self->nl, self->dev, "c", "p"));
	ASSERT_EQ(0, tenant_new(self->nl, self->dev, "other", NULL));

	EXPECT_EQ(-EBUSY, tenant_del(self->nl, self->dev, "p"));
	EXPECT_STREQ("tenant has child tenants", self->nl->extack);

	ASSERT_EQ(0, fn_new(self->nl, self->dev, 4 * MiB, "c", &f));
	EXPECT_STREQ("c", f.tenant);
	ASSERT_EQ(0, tenant_get(self->nl, self->dev, "c", &t));
	EXPECT_EQ(1U, t.num_fns);
	ASSERT_EQ(0, tenant_get(self->nl, self->dev, "p", &t));
	EXPECT_EQ(0U, t.num_fns);	/* its own only */
	EXPECT_EQ(-EBUSY, tenant_del(self->nl, self->dev, "c"));
	EXPECT_STREQ("tenant has functions", self->nl->extack);
	/* creating or ready alike */
	ASSERT_EQ(DPU_FN_STATE_READY, fn_wait(self->nl, self->dev, f.index, 5000, &f));
	EXPECT_EQ(-EBUSY, tenant_del(self->nl, self->dev, "c"));

	/* move the function away: c can go, then p */
	ASSERT_EQ(0, fn_move(self->nl, self->dev, f.index, "other", &f));
	EXPECT_STREQ("other", f.tenant);
	ASSERT_EQ(0, tenant_get(self->nl, self->dev, "c", &t));
	EXPECT_EQ(0U, t.num_fns);
	ASSERT_EQ(0, tenant_get(self->nl, self->dev, "other", &t));
	EXPECT_EQ(1U, t.num_fns);
	EXPECT_EQ(-EBUSY, tenant_del(self->nl, self->dev, "p"));
	EXPECT_EQ(0, tenant_del(self->nl, self->dev, "c"));
	EXPECT_EQ(-ENOENT, tenant_get(self->nl, self->dev, "c", &t));
	ASSERT_EQ(0, tenant_get(self->nl, self->dev, "p", &t));
	EXPECT_EQ(0U, t.num_children);
	EXPECT_EQ(0, tenant_del(self->nl, self->dev, "p"));
	EXPECT_EQ(-ENOENT, tenant_del(self->nl, self->dev, "p"));
	EXPECT_STREQ("no tenant with this name on this DPU", self->nl->extack);

	/* a failed function still belongs to its tenant until deleted */
	ASSERT_EQ(0, sim_knob(ID, "fail_attach", "1"));
	ASSERT_EQ(0, fn_new(self->nl, self->dev, 0, "other", &f));
	ASSERT_EQ(DPU_FN_STATE_FAILED, fn_wait(self->nl, self->dev, f.index, 5000, &f));
	ASSERT_EQ(0, tenant_get(self->nl, self->dev, "other", &t));
	EXPECT_EQ(2U, t.num_fns);
	EXPECT_EQ(-EBUSY, tenant_del(self->nl, self->dev, "other"));
	EXPECT_EQ(0, fn_del(self->nl, self->dev, f.index));
	EXPECT_EQ(0, fn_del(self->nl, self->dev, 0));
	ASSERT_EQ(0, tenant_get(self->nl, self->dev, "other", &t));
	EXPECT_EQ(0U, t.num_fns);
	EXPECT_EQ(0, tenant_del(self->nl, self->dev, "other"));
	/* the name can be used again */
	EXPECT_EQ(0, tenant_new(self->nl, self->dev, "other", NULL));
}

/* bad input: every case gets an errno and an extack text */

struct tbad {
	const char *name;
	uint8_t cmd;
	int err;
	const char *extack;	/* NULL: any non-empty text */
	void (*build)(struct nlmsghdr *nlh, const char *dev);
};

#define LONG64 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

static void put_dev(struct nlmsghdr *nlh, const char *dev)
{
	mnl_attr_put_strz(nlh, DPU_A_DEV_NAME, dev);
}

static void put_name(struct nlmsghdr *nlh, const char *name)
{
	mnl_attr_put_strz(nlh, DPU_A_TENANT_NAME, name);
}

static void put_lim(struct nlmsghdr *nlh, uint16_t t1, uint64_t v1,
		    uint16_t t2, uint64_t v2)
{
	struct nlattr *nest = mnl_attr_nest_start(nlh, DPU_A_TENANT_LIMITS);

	if (t1)
		mnl_attr_put_u64(nlh, t1, v1);
	if (t2)
		mnl_attr_put_u64(nlh, t2, v2);
	mnl_attr_nest_end(nlh, nest);
}

#define B(fn_name) static void fn_name(struct nlmsghdr *nlh, const char *dev)
B(b_no_name) { put_dev(nlh, dev); }
B(b_no_name_lim) { put_dev(nlh, dev); put_lim(nlh, DPU_A_LIMIT_BLK_IOPS, 10, 0, 0); }
B(b_empty) { put_dev(nlh, dev); put_name(nlh, ""); }
B(b_space) { put_dev(nlh, dev); put_name(nlh, "a b"); }
B(b_slash) { put_dev(nlh, dev); put_name(nlh, "acme/x"); }
B(b_utf8) { put_dev(nlh, dev); put_name(nlh, "caf\xc3\xa9"); }
/* Latin-1 letters: alpha to the kernel's ctype, not tenant characters */
B(b_latin1) { put_dev(nlh, dev); put_name(nlh, "caf\xe9"); }
B(b_byte_ff) { put_dev(nlh, dev); put_name(nlh, "\xff"); }
B(b_latin1_parent) { put_dev(nlh, dev); put_name(nlh, "acme"); mnl_attr_put_strz(nlh, DPU_A_TENANT_PARENT, "\xc0x"); }
/* attributes of another command: refused, not ignored */
B(b_fn_limits) { put_dev(nlh, dev); put_name(nlh, "beta"); { struct nlattr *n = mnl_attr_nest_start(nlh, DPU_A_FN_LIMITS); mnl_attr_put_u64(nlh, DPU_A_LIMIT_BLK_IOPS, 10); mnl_attr_nest_end(nlh, n); } }
B(b_fn_tenant) { put_dev(nlh, dev); put_name(nlh, "acme"); mnl_attr_put_strz(nlh, DPU_A_FN_TENANT, "acme"); }
B(b_limits_get) { put_dev(nlh, dev); put_name(nlh, "acme"); put_lim(nlh, DPU_A_LIMIT_BLK_IOPS, 10, 0, 0); }
B(b_dot) { put_dev(nlh, dev); put_name(nlh, ".acme"); }
B(b_dash) { put_dev(nlh, dev); put_name(nlh, "-acme"); }
B(b_long) { put_dev(nlh, dev); put_name(nlh, LONG64); }
B(b_unterminated) { put_dev(nlh, dev); mnl_attr_put(nlh, DPU_A_TENANT_NAME, 4, "acme"); }
B(b_no_dev) { (void)dev; put_name(nlh, "acme"); }
B(b_unknown_dev) { (void)dev; mnl_attr_put_strz(nlh, DPU_A_DEV_NAME, "dpu9999"); put_name(nlh, "acme"); }
B(b_no_dev_lim) { (void)dev; put_name(nlh, "acme"); put_lim(nlh, DPU_A_LIMIT_BLK_IOPS, 10, 0, 0); }
B(b_unknown_dev_lim) { (void)dev; mnl_attr_put_strz(nlh, DPU_A_DEV_NAME, "dpu9999"); put_name(nlh, "acme"); mnl_attr_put_strz(nlh, DPU_A_TENANT_PARENT, ""); }
B(b_unknown_dev_idx) { (void)dev; mnl_attr_put_u32(nlh, DPU_A_DEV_INDEX, 0x7ffffff0); put_name(nlh, "acme"); }
B(b_exists) { put_dev(nlh, dev); put_name(nlh, "acme"); }
B(b_unknown) { put_dev(nlh, dev); put_name(nlh, "nosuch"); }
B(b_unknown_lim) { put_dev(nlh, dev); put_name(nlh, "nosuch"); put_lim(nlh, DPU_A_LIMIT_BLK_IOPS, 10, 0, 0); }
B(b_unknown_parent_new) { put_dev(nlh, dev); put_name(nlh, "fresh"); mnl_attr_put_strz(nlh, DPU_A_TENANT_PARENT, "nosuch"); }
B(b_unknown_parent_set) { put_dev(nlh, dev); put_name(nlh, "acme"); mnl_attr_put_strz(nlh, DPU_A_TENANT_PARENT, "nosuch"); }
B(b_bad_parent_new) { put_dev(nlh, dev); put_name(nlh, "fresh"); mnl_attr_put_strz(nlh, DPU_A_TENANT_PARENT, "a b"); }
B(b_bad_parent_set) { put_dev(nlh, dev); put_name(nlh, "acme"); mnl_attr_put_strz(nlh, DPU_A_TENANT_PARENT, "a/b"); }
B(b_long_parent) { put_dev(nlh, dev); put_name(nlh, "fresh"); mnl_attr_put_strz(nlh, DPU_A_TENANT_PARENT, LONG64); }
B(b_self_parent_new) { put_dev(nlh, dev); put_name(nlh, "fresh"); mnl_attr_put_strz(nlh, DPU_A_TENANT_PARENT, "fresh"); }
B(b_self_parent_set) { put_dev(nlh, dev); put_name(nlh, "acme"); mnl_attr_put_strz(nlh, DPU_A_TENANT_PARENT, "acme"); }
/*
 * stats as the kernel sends them, a nest of u64s; without NLA_F_NESTED,
 * which strict validation would refuse first for a non-nested policy
 */
static void put_stats(struct nlmsghdr *nlh)
{
	struct nlattr *n = mnl_attr_nest_start(nlh, DPU_A_TENANT_STATS);

	mnl_attr_put_u64(nlh, DPU_A_STAT_BLK_IOS, 1);
	mnl_attr_nest_end(nlh, n);
	n->nla_type &= ~NLA_F_NESTED;
}
B(b_stats_new) { put_dev(nlh, dev); put_name(nlh, "fresh"); put_stats(nlh); }
B(b_stats_set) { put_dev(nlh, dev); put_name(nlh, "acme"); put_lim(nlh, DPU_A_LIMIT_BLK_IOPS, 10, 0, 0); put_stats(nlh); }
B(b_stats_get) { put_dev(nlh, dev); put_name(nlh, "acme"); put_stats(nlh); }
B(b_num_fns) { put_dev(nlh, dev); put_name(nlh, "fresh"); mnl_attr_put_u32(nlh, DPU_A_TENANT_NUM_FNS, 0); }
B(b_num_fns_acme) { put_dev(nlh, dev); put_name(nlh, "acme"); mnl_attr_put_u32(nlh, DPU_A_TENANT_NUM_FNS, 0); }
B(b_num_children) { put_dev(nlh, dev); put_name(nlh, "fresh"); mnl_attr_put_u32(nlh, DPU_A_TENANT_NUM_CHILDREN, 0); }
B(b_num_children_set) { put_dev(nlh, dev); put_name(nlh, "acme"); put_lim(nlh, DPU_A_LIMIT_BLK_IOPS, 10, 0, 0); mnl_attr_put_u32(nlh, DPU_A_TENANT_NUM_CHILDREN, 0); }
B(b_depth) { put_dev(nlh, dev); put_name(nlh, "fresh"); mnl_attr_put_u32(nlh, DPU_A_TENANT_DEPTH, 0); }
B(b_depth_acme) { put_dev(nlh, dev); put_name(nlh, "acme"); mnl_attr_put_u32(nlh, DPU_A_TENANT_DEPTH, 3); }
B(b_lim_u32_new) { struct nlattr *n; put_dev(nlh, dev); put_name(nlh, "fresh"); n = mnl_attr_nest_start(nlh, DPU_A_TENANT_LIMITS); mnl_attr_put_u32(nlh, DPU_A_LIMIT_BLK_IOPS, 1000); mnl_attr_nest_end(nlh, n); }
B(b_lim_u32_set) { struct nlattr *n; put_dev(nlh, dev); put_name(nlh, "acme"); n = mnl_attr_nest_start(nlh, DPU_A_TENANT_LIMITS); mnl_attr_put_u32(nlh, DPU_A_LIMIT_NET_TX_BPS, 1000); mnl_attr_nest_end(nlh, n); }
B(b_lim_unknown) { struct nlattr *n; put_dev(nlh, dev); put_name(nlh, "acme"); n = mnl_attr_nest_start(nlh, DPU_A_TENANT_LIMITS); mnl_attr_put_u64(nlh, DPU_A_LIMIT_MAX + 1, 1000); mnl_attr_nest_end(nlh, n); }
B(b_burst_only_new) { put_dev(nlh, dev); put_name(nlh, "fresh"); put_lim(nlh, DPU_A_LIMIT_BLK_IOPS_BURST, 10, 0, 0); }
B(b_burst_only_set) { put_dev(nlh, dev); put_name(nlh, "acme"); put_lim(nlh, DPU_A_LIMIT_NET_RX_PPS_BURST, 10, 0, 0); }
B(b_rate_huge_new) { put_dev(nlh, dev); put_name(nlh, "fresh"); put_lim(nlh, DPU_A_LIMIT_BLK_BPS, 1000000000001ULL, 0, 0); }
B(b_rate_huge_set) { put_dev(nlh, dev); put_name(nlh, "acme"); put_lim(nlh, DPU_A_LIMIT_NET_TX_PPS, ~0ULL, 0, 0); }
B(b_burst_big_new) { put_dev(nlh, dev); put_name(nlh, "fresh"); put_lim(nlh, DPU_A_LIMIT_BLK_IOPS, 5, DPU_A_LIMIT_BLK_IOPS_BURST, 301); }
B(b_burst_big_set) { put_dev(nlh, dev); put_name(nlh, "acme"); put_lim(nlh, DPU_A_LIMIT_BLK_WRITE_BPS, 1000, DPU_A_LIMIT_BLK_WRITE_BPS_BURST, 60001); }
B(b_nothing) { put_dev(nlh, dev); put_name(nlh, "acme"); }
B(b_unknown_attr) { put_dev(nlh, dev); put_name(nlh, "acme"); mnl_attr_put_u32(nlh, DPU_A_MAX + 1, 1); }

#define N DPU_CMD_TENANT_NEW
#define D DPU_CMD_TENANT_DEL
#define G DPU_CMD_TENANT_GET
#define S DPU_CMD_TENANT_SET

static const char NAME_REQ[] = "tenant name required";
static const char EMPTY[] = "tenant name is empty";
static const char CHARS[] = "tenant name may only contain A-Z a-z 0-9 _ . -";
static const char START[] = "tenant name must not start with '.' or '-'";
static const char POLICY[] = "Attribute failed policy validation";
static const char NO_DEV[] = "DPU device name or index required";
static const char UNK_DEV[] = "no DPU device with this name";
static const char UNK_IDX[] = "no DPU device with this index";
static const char UNK_TN[] = "no tenant with this name on this DPU";
static const char UNK_PARENT[] = "no parent tenant with this name on this DPU";
static const char OUT_ONLY[] = "attribute is output-only";
static const char LEN[] = "invalid attribute length";
static const char OTHER_CMD[] = "attribute does not belong to this command";
/* a nest of another command fails validation before its policy is read */
static const char OTHER_NEST[] = "NLA_F_NESTED not expected";

static const struct tbad bad[] = {
	/* TENANT_NEW */
	{ "new: no name", N, -EINVAL, NAME_REQ, b_no_name },
	{ "new: no name, limits", N, -EINVAL, NAME_REQ, b_no_name_lim },
	{ "new: empty name", N, -EINVAL, EMPTY, b_empty },
	{ "new: space", N, -EINVAL, CHARS, b_space },
	{ "new: slash", N, -EINVAL, CHARS, b_slash },
	{ "new: utf-8", N, -EINVAL, CHARS, b_utf8 },
	{ "new: latin-1 0xe9", N, -EINVAL, CHARS, b_latin1 },
	{ "new: byte 0xff", N, -EINVAL, CHARS, b_byte_ff },
	{ "new: function limits", N, -EINVAL, OTHER_NEST, b_fn_limits },
	{ "new: function tenant", N, -EINVAL, OTHER_CMD, b_fn_tenant },
	{ "new: leading dot", N, -EINVAL, START, b_dot },
	{ "new: leading dash", N, -EINVAL, START, b_dash },
	{ "new: 64 characters", N, -EINVAL, POLICY, b_long },
	{ "new: not terminated", N, -EINVAL, POLICY, b_unterminated },
	{ "new: no device", N, -EINVAL, NO_DEV, b_no_dev },
	{ "new: unknown device", N, -ENODEV, UNK_DEV, b_unknown_dev },
	{ "new: unknown device index", N, -ENODEV, UNK_IDX, b_unknown_dev_idx },
	{ "new: exists", N, -EEXIST, "tenant already exists on this DPU", b_exists },
	{ "new: unknown parent", N, -ENOENT, UNK_PARENT, b_unknown_parent_new },
	{ "new: bad parent name", N, -EINVAL, NULL, b_bad_parent_new },
	{ "new: parent 64 characters", N, -EINVAL, POLICY, b_long_parent },
	{ "new: own parent", N, -ELOOP, "a tenant cannot be its own parent", b_self_parent_new },
	{ "new: stats", N, -EINVAL, OUT_ONLY, b_stats_new },
	{ "new: num_fns", N, -EINVAL, OUT_ONLY, b_num_fns },
	{ "new: num_children", N, -EINVAL, OUT_ONLY, b_num_children },
	{ "new: depth", N, -EINVAL, OUT_ONLY, b_depth },
	{ "new: limit as u32", N, -EINVAL, LEN, b_lim_u32_new },
	{ "new: burst without rate", N, -EINVAL, "limit burst given without a rate", b_burst_only_new },
	{ "new: rate above 10^12", N, -EINVAL, "limit rate above 10^12 per second", b_rate_huge_new },
	{ "new: burst over a minute", N, -EINVAL, "limit burst larger than a minute at the rate", b_burst_big_new },
	{ "new: unknown attribute", N, -EINVAL, "Unknown attribute type", b_unknown_attr },

	/* TENANT_DEL */
	{ "del: no name", D, -EINVAL, NAME_REQ, b_no_name },
	{ "del: empty name", D, -EINVAL, EMPTY, b_empty },
	{ "del: slash", D, -EINVAL, CHARS, b_slash },
	{ "del: leading dash", D, -EINVAL, START, b_dash },
	{ "del: 64 characters", D, -EINVAL, POLICY, b_long },
	{ "del: no device", D, -EINVAL, NO_DEV, b_no_dev },
	{ "del: unknown device", D, -ENODEV, UNK_DEV, b_unknown_dev },
	{ "del: unknown device index", D, -ENODEV, UNK_IDX, b_unknown_dev_idx },
	{ "del: unknown tenant", D, -ENOENT, UNK_TN, b_unknown },
	{ "del: depth", D, -EINVAL, OUT_ONLY, b_depth_acme },
	{ "del: num_fns", D, -EINVAL, OUT_ONLY, b_num_fns_acme },
	{ "del: limits", D, -EINVAL, OTHER_NEST, b_limits_get },

	/* TENANT_GET */
	{ "get: no name", G, -EINVAL, NAME_REQ, b_no_name },
	{ "get: empty name", G, -EINVAL, EMPTY, b_empty },
	{ "get: space", G, -EINVAL, CHARS, b_space },
	{ "get: leading dot", G, -EINVAL, START, b_dot },
	{ "get: 64 characters", G, -EINVAL, POLICY, b_long },
	{ "get: no device", G, -EINVAL, NO_DEV, b_no_dev },
	{ "get: unknown device", G, -ENODEV, UNK_DEV, b_unknown_dev },
	{ "get: unknown tenant", G, -ENOENT, UNK_TN, b_unknown },
	{ "get: stats", G, -EINVAL, OUT_ONLY, b_stats_get },
	{ "get: limits", G, -EINVAL, OTHER_NEST, b_limits_get },
	{ "get: byte 0xff", G, -EINVAL, CHARS, b_byte_ff },
	{ "get: unknown attribute", G, -EINVAL, "Unknown attribute type", b_unknown_attr },

	/* TENANT_SET */
	{ "set: no name", S, -EINVAL, NAME_REQ, b_no_name_lim },
	{ "set: empty name", S, -EINVAL, EMPTY, b_empty },
	{ "set: utf-8", S, -EINVAL, CHARS, b_utf8 },
	{ "set: latin-1 parent", S, -EINVAL, CHARS, b_latin1_parent },
	{ "set: function tenant", S, -EINVAL, OTHER_CMD, b_fn_tenant },
	{ "set: leading dot", S, -EINVAL, START, b_dot },
	{ "set: 64 characters", S, -EINVAL, POLICY, b_long },
	{ "set: no device", S, -EINVAL, NO_DEV, b_no_dev_lim },
	{ "set: unknown device", S, -ENODEV, UNK_DEV, b_unknown_dev_lim },
	{ "set: unknown tenant", S, -ENOENT, UNK_TN, b_unknown_lim },
	{ "set: nothing to set", S, -EINVAL, "nothing to set: parent, limits or QoS class required", b_nothing },
	{ "set: unknown parent", S, -ENOENT, UNK_PARENT, b_unknown_parent_set },
	{ "set: bad parent name", S, -EINVAL, NULL, b_bad_parent_set },
	{ "set: own parent", S, -ELOOP, "a tenant cannot be its own parent", b_self_parent_set },
	{ "set: stats", S, -EINVAL, OUT_ONLY, b_stats_set },
	{ "set: num_children", S, -EINVAL, OUT_ONLY, b_num_children_set },
	{ "set: depth", S, -EINVAL, OUT_ONLY, b_depth_acme },
	{ "set: limit as u32", S, -EINVAL, LEN, b_lim_u32_set },
	{ "set: unknown limit", S, -EINVAL, "Unknown attribute type", b_lim_unknown },
	{ "set: burst without rate", S, -EINVAL, "limit burst given without a rate", b_burst_only_set },
	{ "set: rate above 10^12", S, -EINVAL, "limit rate above 10^12 per second", b_rate_huge_set },
	{ "set: burst over a minute", S, -EINVAL, "limit burst larger than a minute at the rate", b_burst_big_set },
};

#undef N
#undef D
#undef G
#undef S
#undef B

static int count_cb(const struct nlmsghdr *nlh, void *arg)
{
	(void)nlh;
	(*(int *)arg)++;
	return 0;
}

TEST_F(tn, bad_input)
{
	struct tenant_reply t;
	struct nlmsghdr *nlh;
	unsigned int i;
	int n = 0;

	ASSERT_EQ(0, tenant_new(self->nl, self->dev, "acme", NULL));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const struct tbad *c = &bad[i];

		nlh = nl_msg(self->nl, self->nl->family, c->cmd, 0);
		c->build(nlh, self->dev);
		self->nl->cb = NULL;
		EXPECT_EQ(c->err, nl_talk(self->nl, nlh)) TH_LOG("case: %s (extack \"%s\")",
								 c->name, self->nl->extack);
		if (c->extack) {
			EXPECT_STREQ(c->extack, self->nl->extack) TH_LOG("case: %s", c->name);
		} else {
			EXPECT_NE(0, strlen(self->nl->extack)) TH_LOG("case: %s", c->name);
		}
	}
	/* nothing was created, nothing changed */
	ASSERT_EQ(0, tenant_get(self->nl, self->dev, "acme", &t));
	EXPECT_FALSE(t.has_parent);
	EXPECT_EQ(0, count_has(&t.limits));
	nlh = nl_msg(self->nl, self->nl->family, DPU_CMD_TENANT_GET, NLM_F_DUMP);
	mnl_attr_put_strz(nlh, DPU_A_DEV_NAME, self->dev);
	self->nl->cb = count_cb;
	self->nl->arg = &n;
	ASSERT_EQ(0, nl_talk(self->nl, nlh));
	EXPECT_EQ(1, n);
}

TEST_F(tn, unprivileged_refused)
{
	struct tenant_reply t;
	pid_t pid;
	int status;

	ASSERT_EQ(0, tenant_new(self->nl, self->dev, "acme", NULL));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		struct nl *nl;
		int n = 0, bits = 0;

		/* leaving uid 0 drops every capability, CAP_NET_ADMIN with it */
		if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
			_exit(100);
		nl = nl_open();
		if (!nl)
			_exit(101);
		if (tenant_new(nl, self->dev, "evil", NULL) != -EPERM)
			bits |= 1;
		if (tenant_set_limit(nl, self->dev, "acme", DPU_A_LIMIT_BLK_IOPS, 1, NULL) != -EPERM)
			bits |= 2;
		if (tenant_set_parent(nl, self->dev, "acme", "", NULL) != -EPERM)
			bits |= 4;
		if (tenant_del(nl, self->dev, "acme") != -EPERM)
			bits |= 8;
		/* reading is allowed */
		if (tenant_get(nl, self->dev, "acme", &t) || strcmp(t.name, "acme"))
			bits |= 16;
		{
			struct nlmsghdr *nlh = nl_msg(nl, nl->family, DPU_CMD_TENANT_GET, NLM_F_DUMP);

			mnl_attr_put_strz(nlh, DPU_A_DEV_NAME, self->dev);
			nl->cb = count_cb;
			nl->arg = &n;
			if (nl_talk(nl, nlh) || n != 1)
				bits |= 32;
		}
		_exit(bits);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status))
		TH_LOG("failed checks (bits): 1 NEW 2 SET limits 4 SET parent 8 DEL 16 GET 32 dump");
	ASSERT_EQ(0, tenant_get(self->nl, self->dev, "acme", &t));
	EXPECT_EQ(0, count_has(&t.limits));
	EXPECT_EQ(-ENOENT, tenant_get(self->nl, self->dev, "evil", &t));
}

/* events */

struct evq {
	char buf[65536];
	ssize_t len, off;
};

/* next event message within timeout; NULL on timeout */
static const struct nlmsghdr *next_msg(struct nl *ev, struct evq *q, int timeout_ms)
{
	struct pollfd pfd = { .fd = mnl_socket_get_fd(ev->sk), .events = POLLIN };
	const struct nlmsghdr *nlh;

	if (q->off >= q->len) {
		if (poll(&pfd, 1, timeout_ms) <= 0)
			return NULL;
		q->len = recv(pfd.fd, q->buf, sizeof(q->buf), 0);
		q->off = 0;
		if (q->len <= 0)
			return NULL;
	}
	nlh = (const struct nlmsghdr *)(q->buf + q->off);
	q->off += NLMSG_ALIGN(nlh->nlmsg_len);
	return nlh;
}

static uint8_t msg_cmd(const struct nlmsghdr *nlh)
{
	return ((const struct genlmsghdr *)mnl_nlmsg_get_payload(nlh))->cmd;
}

static int is_tenant_cmd(uint8_t cmd)
{
	return cmd >= DPU_CMD_TENANT_NEW && cmd <= DPU_CMD_TENANT_SET;
}

/*
 * the next tenant event (function events in between are skipped); 0 or
 * -ETIMEDOUT
 */
static int next_tenant_event(struct nl *ev, struct evq *q,
			     struct tenant_reply *t, int timeout_ms)
{
	const struct nlmsghdr *nlh;

	while ((nlh = next_msg(ev, q, timeout_ms))) {
		if (is_tenant_cmd(msg_cmd(nlh)))
			return parse_tenant(nlh, t);
	}
	return -ETIMEDOUT;
}

/* the next FN_SET event of function @index that names @tenant */
static int wait_fn_moved(struct nl *ev, struct evq *q, uint32_t index,
			 const char *tenant, struct fn_reply *f, int timeout_ms)
{
	const struct nlmsghdr *nlh;

	while ((nlh = next_msg(ev, q, timeout_ms))) {
		if (msg_cmd(nlh) != DPU_CMD_FN_SET)
			continue;
		parse_fn(nlh, f);
		if (f->index == index && !strcmp(f->tenant, tenant))
			return 0;
	}
	return -ETIMEDOUT;
}

TEST_F(tn, events)
{
	struct evq *q = calloc(1, sizeof(*q));
	struct tenant_reply t;
	struct fn_reply f, e;
	struct nl *ev = nl_open();

	ASSERT_NE(NULL, q);
	ASSERT_NE(NULL, ev);
	ASSERT_EQ(0, nl_join_events(ev));

	ASSERT_EQ(0, tenant_new(self->nl, self->dev, "ev1", NULL));
	ASSERT_EQ(0, next_tenant_event(ev, q, &t, 2000));
	EXPECT_EQ(DPU_CMD_TENANT_NEW, t.cmd);
	EXPECT_STREQ("ev1", t.name);
	EXPECT_STREQ(self->dev, t.dev);
	EXPECT_TRUE(t.has_dev_index);
	EXPECT_TRUE(t.has_depth);
	EXPECT_EQ(0U, t.depth);
	EXPECT_FALSE(t.has_parent);
	EXPECT_TRUE(t.has_num_fns);
	EXPECT_TRUE(t.has_num_children);
	EXPECT_TRUE(stats_all_zero(&t.stats));

	ASSERT_EQ(0, tenant_set_limit(self->nl, self->dev, "ev1",
				      DPU_A_LIMIT_BLK_IOPS, 100, NULL));
	ASSERT_EQ(0, next_tenant_event(ev, q, &t, 2000));
	EXPECT_EQ(DPU_CMD_TENANT_SET, t.cmd);
	EXPECT_STREQ("ev1", t.name);
	EXPECT_EQ(100ULL, t.limits.v[DPU_A_LIMIT_BLK_IOPS]);
	EXPECT_EQ(10ULL, t.limits.v[DPU_A_LIMIT_BLK_IOPS_BURST]);

	ASSERT_EQ(0, tenant_new(self->nl, self->dev, "ev2", "ev1"));
	ASSERT_EQ(0, next_tenant_event(ev, q, &t, 2000));
	EXPECT_EQ(DPU_CMD_TENANT_NEW, t.cmd);
	EXPECT_STREQ("ev2", t.name);
	EXPECT_STREQ("ev1", t.parent);
	EXPECT_EQ(1U, t.depth);

	ASSERT_EQ(0, tenant_set_parent(self->nl, self->dev, "ev2", "", NULL));
	ASSERT_EQ(0, next_tenant_event(ev, q, &t, 2000));
	EXPECT_EQ(DPU_CMD_TENANT_SET, t.cmd);
	EXPECT_STREQ("ev2", t.name);
	EXPECT_FALSE(t.has_parent);
	EXPECT_EQ(0U, t.depth);

	/* a function moving announces itself with its new tenant */
	ASSERT_EQ(0, blk_fn(self->nl, self->dev, "ev1", 4 * MiB, &f));
	ASSERT_EQ(0, fn_move(self->nl, self->dev, f.index, "ev2", NULL));
	ASSERT_EQ(0, wait_fn_moved(ev, q, f.index, "ev2", &e, 2000))
		TH_LOG("no FN_SET event naming tenant ev2");
	EXPECT_EQ(DPU_CMD_FN_SET, e.cmd);
	EXPECT_EQ(DPU_FN_STATE_READY, e.state);
	EXPECT_STREQ(self->dev, e.dev);
	ASSERT_EQ(0, fn_move(self->nl, self->dev, f.index, "ev1", NULL));
	ASSERT_EQ(0, wait_fn_moved(ev, q, f.index, "ev1", &e, 2000));
	ASSERT_EQ(0, fn_del(self->nl, self->dev, f.index));

	/* drain what the function's life cycle announced */
	while (next_msg(ev, q, 300))
		;

	ASSERT_EQ(0, tenant_del(self->nl, self->dev, "ev2"));
	ASSERT_EQ(0, next_tenant_event(ev, q, &t, 2000));
	EXPECT_EQ(DPU_CMD_TENANT_DEL, t.cmd);
	EXPECT_STREQ("ev2", t.name);
	EXPECT_STREQ(self->dev, t.dev);
	EXPECT_FALSE(t.stats.present);

	/* refused requests announce nothing */
	EXPECT_EQ(-EEXIST, tenant_new(self->nl, self->dev, "ev1", NULL));
	EXPECT_EQ(-ELOOP, tenant_set_parent(self->nl, self->dev, "ev1", "ev1", NULL));
	EXPECT_EQ(-EINVAL, tenant_set_limit(self->nl, self->dev, "ev1",
					    DPU_A_LIMIT_BLK_IOPS, 2000000000000ULL, NULL));
	EXPECT_EQ(-ENOENT, tenant_del(self->nl, self->dev, "ev2"));
	EXPECT_EQ(-ETIMEDOUT, next_tenant_event(ev, q, &t, 300))
		TH_LOG("unexpected event %u for %s", t.cmd, t.name);

	ASSERT_EQ(0, tenant_del(self->nl, self->dev, "ev1"));
	ASSERT_EQ(0, next_tenant_event(ev, q, &t, 2000));
	EXPECT_EQ(DPU_CMD_TENANT_DEL, t.cmd);
	EXPECT_STREQ("ev1", t.name);
	nl_close(ev);
	free(q);
}

/* effective limits */

TEST_F(tn, effective_limits)
{
	struct fn_reply f, n;

	ASSERT_EQ(0, tenant_new_limit(self->nl, self->dev, "par", NULL,
				      DPU_A_LIMIT_BLK_IOPS, 1000, 0));
	ASSERT_EQ(0, tenant_new_limit(self->nl, self->dev, "kid", "par",
				      DPU_A_LIMIT_BLK_IOPS, 2000, 0));
	ASSERT_EQ(0, tenant_new_limit(self->nl, self->dev, "other", NULL,
				      DPU_A_LIMIT_BLK_IOPS, 3000, 0));
	ASSERT_EQ(0, blk_fn(self->nl, self->dev, "kid", 4 * MiB, &f));
	ASSERT_EQ(0, fn_set_limit(self->nl, self->dev, f.index, DPU_A_LIMIT_BLK_IOPS, 5000));

	/* fn 5000, tenant 2000, parent 1000: the parent's */
	ASSERT_EQ(0, fn_get(self->nl, self->dev, f.index, &f));
	EXPECT_EQ(5000ULL, f.limits.v[DPU_A_LIMIT_BLK_IOPS]);
	ASSERT_TRUE(f.eff.present);
	EXPECT_EQ(0, f.eff.bad);
	EXPECT_EQ(2, count_has(&f.eff));
	EXPECT_EQ(1000ULL, f.eff.v[DPU_A_LIMIT_BLK_IOPS]);
	EXPECT_EQ(100ULL, f.eff.v[DPU_A_LIMIT_BLK_IOPS_BURST]);

	/* without the parent's: the tenant's */
	ASSERT_EQ(0, tenant_set_limit(self->nl, self->dev, "par", DPU_A_LIMIT_BLK_IOPS, 0, NULL));
	ASSERT_EQ(0, fn_get(self->nl, self->dev, f.index, &f));
	EXPECT_EQ(2000ULL, f.eff.v[DPU_A_LIMIT_BLK_IOPS]);
	EXPECT_EQ(200ULL, f.eff.v[DPU_A_LIMIT_BLK_IOPS_BURST]);

	/* without the tenant's: the function's own */
	ASSERT_EQ(0, tenant_set_limit(self->nl, self->dev, "kid", DPU_A_LIMIT_BLK_IOPS, 0, NULL));
	ASSERT_EQ(0, fn_get(self->nl, self->dev, f.index, &f));
	EXPECT_EQ(5000ULL, f.eff.v[DPU_A_LIMIT_BLK_IOPS]);
	EXPECT_EQ(500ULL, f.eff.v[DPU_A_LIMIT_BLK_IOPS_BURST]);

	/* the parent's again, with its own burst */
	ASSERT_EQ(0, tenant_set_limit(self->nl, self->dev, "par", DPU_A_LIMIT_BLK_IOPS, 800, NULL));
	ASSERT_EQ(0, tenant_set_limit(self->nl, self->dev, "par", DPU_A_LIMIT_BLK_IOPS_BURST, 33, NULL));
	ASSERT_EQ(0, fn_get(self->nl, self->dev, f.index, &f));
	EXPECT_EQ(800ULL, f.eff.v[DPU_A_LIMIT_BLK_IOPS]);
	EXPECT_EQ(33ULL, f.eff.v[DPU_A_LIMIT_BLK_IOPS_BURST]);

	/* kinds combine per kind; net kinds never show on a blk function */
	ASSERT_EQ(0, tenant_set_limit(self->nl, self->dev, "kid", DPU_A_LIMIT_BLK_READ_BPS, 10000000, NULL));
	ASSERT_EQ(0, tenant_set_limit(self->nl, self->dev, "par", DPU_A_LIMIT_NET_TX_BPS, 1000000, NULL));
	ASSERT_EQ(0, fn_get(self->nl, self->dev, f.index, &f));
	EXPECT_EQ(4, count_has(&f.eff));
	EXPECT_EQ(800ULL, f.eff.v[DPU_A_LIMIT_BLK_IOPS]);
	EXPECT_EQ(10000000ULL, f.eff.v[DPU_A_LIMIT_BLK_READ_BPS]);
	EXPECT_EQ(1000000ULL, f.eff.v[DPU_A_LIMIT_BLK_READ_BPS_BURST]);
	EXPECT_FALSE(f.eff.has[DPU_A_LIMIT_NET_TX_BPS]);

	/* moving the function takes the other tenant's (3000 < own 5000) */
	ASSERT_EQ(0, fn_move(self->nl, self->dev, f.index, "other", NULL));
	ASSERT_EQ(0, fn_get(self->nl, self->dev, f.index, &f));
	EXPECT_EQ(2, count_has(&f.eff));
	EXPECT_EQ(3000ULL, f.eff.v[DPU_A_LIMIT_BLK_IOPS]);
	EXPECT_EQ(300ULL, f.eff.v[DPU_A_LIMIT_BLK_IOPS_BURST]);
	EXPECT_FALSE(f.eff.has[DPU_A_LIMIT_BLK_READ_BPS]);

	/* nothing limited anywhere: no effective limits */
	ASSERT_EQ(0, tenant_set_limit(self->nl, self->dev, "other", DPU_A_LIMIT_BLK_IOPS, 0, NULL));
	ASSERT_EQ(0, fn_set_limit(self->nl, self->dev, f.index, DPU_A_LIMIT_BLK_IOPS, 0));
	ASSERT_EQ(0, fn_get(self->nl, self->dev, f.index, &f));
	EXPECT_EQ(0, count_has(&f.eff));
	EXPECT_EQ(0, count_has(&f.limits));

	/* a net function under par sees its net limit and none of the blk ones */
	ASSERT_EQ(0, fn_new(self->nl, self->dev, 0, "kid", &n));
	ASSERT_EQ(0, fn_get(self->nl, self->dev, n.index, &n));
	EXPECT_EQ(2, count_has(&n.eff));
	EXPECT_EQ(1000000ULL, n.eff.v[DPU_A_LIMIT_NET_TX_BPS]);
	EXPECT_EQ(128 * 1024ULL, n.eff.v[DPU_A_LIMIT_NET_TX_BPS_BURST]);
	EXPECT_FALSE(n.eff.has[DPU_A_LIMIT_BLK_IOPS]);
}

/* stats */

static int stats_of(struct nl *nl, const char *dev, const char *tenant,
		    struct u64_nest *s)
{
	struct tenant_reply t;
	int err = tenant_get(nl, dev, tenant, &t);

	*s = t.stats;
	return err ?: (t.stats.present && !t.stats.bad ? 0 : -EBADMSG);
}

static int fn_stats_of(struct nl *nl, const char *dev, uint32_t index,
		       struct u64_nest *s)
{
	struct fn_reply f;
	int err = fn_get(nl, dev, index, &f);

	*s = f.stats;
	return err ?: (f.stats.present && !f.stats.bad ? 0 : -EBADMSG);
}

/* write @n 4 KiB blocks with O_DIRECT, one at a time; 0 or -errno */
static int write_blocks(const char *blkdev, int n)
{
	char path[64];
	void *buf;
	int fd, i, err = 0;

	snprintf(path, sizeof(path), "/dev/%s", blkdev);
	fd = open(path, O_WRONLY | O_DIRECT);
	if (fd < 0)
		return -errno;
	if (posix_memalign(&buf, 4096, 4096)) {
		close(fd);
		return -ENOMEM;
	}
	memset(buf, 0x5a, 4096);
	for (i = 0; i < n && !err; i++)
		if (pwrite(fd, buf, 4096, (off_t)i * 4096) != 4096)
			err = errno ? -errno : -EIO;
	free(buf);
	close(fd);
	return err;
}

#define DELTA(a, b, t) ((a).v[t] - (b).v[t])

TEST_F(tn, stats)
{
	struct u64_nest f0, f1, k0, k1, p0, p1, s0, s1;
	struct fn_reply f;
	int t;

	ASSERT_EQ(0, tenant_new(self->nl, self->dev, "sp", NULL));
	ASSERT_EQ(0, tenant_new(self->nl, self->dev, "sk", "sp"));
	ASSERT_EQ(0, tenant_new(self->nl, self->dev, "sibling", "sp"));
	ASSERT_EQ(0, blk_fn(self->nl, self->dev, "sk", 64 * MiB, &f));
	ASSERT_NE(0, strlen(f.blkdev));
	usleep(200000);	/* let the partition scan of the new disk settle */

	ASSERT_EQ(0, fn_stats_of(self->nl, self->dev, f.index, &f0));
	ASSERT_EQ(0, stats_of(self->nl, self->dev, "sk", &k0));
	ASSERT_EQ(0, stats_of(self->nl, self->dev, "sp", &p0));
	ASSERT_EQ(0, stats_of(self->nl, self->dev, "sibling", &s0));
	ASSERT_EQ(0, write_blocks(f.blkdev, 256));	/* 1 MiB */
	ASSERT_EQ(0, fn_stats_of(self->nl, self->dev, f.index, &f1));
	ASSERT_EQ(0, stats_of(self->nl, self->dev, "sk", &k1));
	ASSERT_EQ(0, stats_of(self->nl, self->dev, "sp", &p1));
	ASSERT_EQ(0, stats_of(self->nl, self->dev, "sibling", &s1));

	TH_LOG("1 MiB written: fn ios +%llu bytes +%llu, tenant +%llu/+%llu, parent +%llu/+%llu",
	       (unsigned long long)DELTA(f1, f0, DPU_A_STAT_BLK_IOS),
	       (unsigned long long)DELTA(f1, f0, DPU_A_STAT_BLK_BYTES),
	       (unsigned long long)DELTA(k1, k0, DPU_A_STAT_BLK_IOS),
	       (unsigned long long)DELTA(k1, k0, DPU_A_STAT_BLK_BYTES),
	       (unsigned long long)DELTA(p1, p0, DPU_A_STAT_BLK_IOS),
	       (unsigned long long)DELTA(p1, p0, DPU_A_STAT_BLK_BYTES));
	EXPECT_GE(DELTA(f1, f0, DPU_A_STAT_BLK_IOS), 256ULL);
	EXPECT_EQ(MiB, DELTA(f1, f0, DPU_A_STAT_BLK_BYTES));
	EXPECT_GE(DELTA(k1, k0, DPU_A_STAT_BLK_IOS), 256ULL);
	EXPECT_EQ(MiB, DELTA(k1, k0, DPU_A_STAT_BLK_BYTES));
	EXPECT_GE(DELTA(p1, p0, DPU_A_STAT_BLK_IOS), 256ULL);
	EXPECT_EQ(MiB, DELTA(p1, p0, DPU_A_STAT_BLK_BYTES));
	/* the tenant's and its parent's totals are the function's */
	EXPECT_EQ(f1.v[DPU_A_STAT_BLK_IOS], k1.v[DPU_A_STAT_BLK_IOS]);
	EXPECT_EQ(f1.v[DPU_A_STAT_BLK_BYTES], p1.v[DPU_A_STAT_BLK_BYTES]);
	/* a sibling sees none of it; nothing was throttled or sent */
	for (t = DPU_A_STAT_BLK_IOS; t <= DPU_A_STAT_MAX; t++) {
		EXPECT_TRUE(s1.has[t]);
		EXPECT_EQ(0ULL, s1.v[t]) TH_LOG("sibling stat %d", t);
		EXPECT_TRUE(f1.has[t]);
	}
	for (t = DPU_A_STAT_NET_TX_PACKETS; t <= DPU_A_STAT_MAX; t++)
		EXPECT_EQ(0ULL, p1.v[t]) TH_LOG("parent stat %d", t);

	/* a moved function takes its future traffic along, not its past */
	ASSERT_EQ(0, fn_move(self->nl, self->dev, f.index, "sibling", NULL));
	ASSERT_EQ(0, write_blocks(f.blkdev, 16));
	ASSERT_EQ(0, stats_of(self->nl, self->dev, "sibling", &s1));
	ASSERT_EQ(0, stats_of(self->nl, self->dev, "sk", &k0));
	EXPECT_EQ(16 * 4096ULL, s1.v[DPU_A_STAT_BLK_BYTES]);
	EXPECT_EQ(k1.v[DPU_A_STAT_BLK_BYTES], k0.v[DPU_A_STAT_BLK_BYTES]);
	ASSERT_EQ(0, stats_of(self->nl, self->dev, "sp", &p0));
	EXPECT_EQ(p1.v[DPU_A_STAT_BLK_BYTES] + 16 * 4096, p0.v[DPU_A_STAT_BLK_BYTES]);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

TEST_F(tn, stats_throttled)
{
	struct u64_nest f0, f1, k0, k1, p1;
	struct fn_reply f;
	uint64_t t0, ms;

	ASSERT_EQ(0, tenant_new(self->nl, self->dev, "tp", NULL));
	/* 200 IOPS with a burst of 20: 100 writes take about 0.4 s */
	ASSERT_EQ(0, tenant_new_limit(self->nl, self->dev, "slow", "tp",
				      DPU_A_LIMIT_BLK_IOPS, 200, 20));
	ASSERT_EQ(0, blk_fn(self->nl, self->dev, "slow", 16 * MiB, &f));
	usleep(200000);
	ASSERT_EQ(0, fn_stats_of(self->nl, self->dev, f.index, &f0));
	ASSERT_EQ(0, stats_of(self->nl, self->dev, "slow", &k0));
	t0 = now_ns();
	ASSERT_EQ(0, write_blocks(f.blkdev, 100));
	ms = (now_ns() - t0) / 1000000;
	ASSERT_EQ(0, fn_stats_of(self->nl, self->dev, f.index, &f1));
	ASSERT_EQ(0, stats_of(self->nl, self->dev, "slow", &k1));
	ASSERT_EQ(0, stats_of(self->nl, self->dev, "tp", &p1));
	TH_LOG("100 writes at 200 IOPS took %llu ms; tenant throttled +%llu, %llu ms held back",
	       (unsigned long long)ms,
	       (unsigned long long)DELTA(k1, k0, DPU_A_STAT_THROTTLED),
	       (unsigned long long)DELTA(k1, k0, DPU_A_STAT_THROTTLED_NS) / 1000000);
	EXPECT_GE(ms, 300ULL);
	EXPECT_GE(DELTA(k1, k0, DPU_A_STAT_THROTTLED), 50ULL);
	EXPECT_GE(DELTA(k1, k0, DPU_A_STAT_THROTTLED_NS), 200000000ULL);
	EXPECT_LE(DELTA(k1, k0, DPU_A_STAT_THROTTLED_NS), ms * 1000000);
	EXPECT_GE(DELTA(f1, f0, DPU_A_STAT_THROTTLED), 50ULL);
	EXPECT_GE(DELTA(f1, f0, DPU_A_STAT_THROTTLED_NS), 200000000ULL);
	EXPECT_EQ(0ULL, k1.v[DPU_A_STAT_QUEUED]);
	EXPECT_EQ(0ULL, f1.v[DPU_A_STAT_QUEUED]);
	EXPECT_EQ(100 * 4096ULL, DELTA(k1, k0, DPU_A_STAT_BLK_BYTES));
	/* the parent counts its descendants' */
	EXPECT_EQ(k1.v[DPU_A_STAT_BLK_BYTES], p1.v[DPU_A_STAT_BLK_BYTES]);
	EXPECT_GE(p1.v[DPU_A_STAT_THROTTLED], k1.v[DPU_A_STAT_THROTTLED]);
}

/*
 * I/O held back at a tenant follows its function when the function moves,
 * and the old tenant can go at once.
 */
TEST_F(tn, move_with_queued_io)
{
	struct io_uring ring;
	struct io_uring_cqe *cqe;
	struct __kernel_timespec ts = { .tv_sec = 3 };
	struct u64_nest s;
	struct fn_reply f;
	char path[64];
	void *buf;
	int fd, i, done = 0, bad = 0;
	uint64_t t0, ms;

	/* 2 IOPS, a burst of 1: 32 reads would take 16 s */
	ASSERT_EQ(0, tenant_new_limit(self->nl, self->dev, "slow", NULL,
				      DPU_A_LIMIT_BLK_IOPS, 2, 1));
	ASSERT_EQ(0, tenant_new(self->nl, self->dev, "fast", NULL));
	ASSERT_EQ(0, blk_fn(self->nl, self->dev, "slow", 16 * MiB, &f));
	snprintf(path, sizeof(path), "/dev/%s", f.blkdev);
	fd = open(path, O_RDONLY | O_DIRECT);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, posix_memalign(&buf, 4096, 32 * 4096));
	ASSERT_EQ(0, io_uring_queue_init(64, &ring, 0));
	for (i = 0; i < 32; i++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);

		/* a gap between them: adjacent reads would merge into one request */
		io_uring_prep_read(sqe, fd, (char *)buf + i * 4096, 4096, (off_t)i * 8192);
	}
	ASSERT_EQ(32, io_uring_submit(&ring));
	usleep(300000);
	while (!io_uring_peek_cqe(&ring, &cqe)) {
		bad += cqe->res != 4096;
		done++;
		io_uring_cqe_seen(&ring, cqe);
	}
	EXPECT_LE(done, 2) TH_LOG("the 2 IOPS limit let %d of 32 through in 0.3 s", done);
	ASSERT_EQ(0, stats_of(self->nl, self->dev, "slow", &s));
	EXPECT_EQ(1ULL, s.v[DPU_A_STAT_QUEUED]) TH_LOG("one function waits at the tenant");

	t0 = now_ns();
	ASSERT_EQ(0, fn_move(self->nl, self->dev, f.index, "fast", NULL));
	EXPECT_EQ(0, tenant_del(self->nl, self->dev, "slow"));
	while (done < 32 && !io_uring_wait_cqe_timeout(&ring, &cqe, &ts)) {
		bad += cqe->res != 4096;
		done++;
		io_uring_cqe_seen(&ring, cqe);
	}
	ms = (now_ns() - t0) / 1000000;
	TH_LOG("after the move the held-back reads completed in %llu ms",
	       (unsigned long long)ms);
	EXPECT_EQ(32, done);
	EXPECT_EQ(0, bad);
	EXPECT_LT(ms, 2000ULL);
	ASSERT_EQ(0, stats_of(self->nl, self->dev, "fast", &s));
	EXPECT_EQ(0ULL, s.v[DPU_A_STAT_QUEUED]);
	io_uring_queue_exit(&ring);
	close(fd);
	free(buf);
}

TEST_HARNESS_MAIN
