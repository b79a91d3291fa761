// SPDX-License-Identifier: GPL-2.0
/*
 * dpupool selftest: the "dpu" generic netlink family, DPU_CMD_DEV_GET.
 */
#include <dirent.h>

#include "kselftest_harness.h"
#include "dpu_test.h"

#define SIM_ID 1000

FIXTURE(dev) {
	struct nl *nl;
	char name[32];
};

FIXTURE_SETUP(dev)
{
	self->nl = nl_open();
	ASSERT_NE(NULL, self->nl) TH_LOG("dpu family not found: is dpu.ko loaded?");
	ASSERT_EQ(0, sim_new(SIM_ID));
	ASSERT_EQ(0, sim_dpu_name(SIM_ID, self->name, sizeof(self->name)));
}

FIXTURE_TEARDOWN(dev)
{
	sim_del(SIM_ID);
	nl_close(self->nl);
}

static int grab_dev(const struct nlmsghdr *nlh, void *arg)
{
	return parse_dev(nlh, arg);
}

TEST_F(dev, family_version)
{
	EXPECT_EQ(DPU_GENL_VERSION, self->nl->version);
}

TEST_F(dev, get_by_name)
{
	struct dev_reply d;
	struct nlmsghdr *nlh;
	char parent[32];

	nlh = nl_msg(self->nl, self->nl->family, DPU_CMD_DEV_GET, 0);
	mnl_attr_put_strz(nlh, DPU_A_DEV_NAME, self->name);
	self->nl->cb = grab_dev;
	self->nl->arg = &d;
	ASSERT_EQ(0, nl_talk(self->nl, nlh));
	ASSERT_EQ(1, self->nl->replies);
	EXPECT_STREQ(self->name, d.name);
	EXPECT_TRUE(d.has_index);
	EXPECT_EQ(strtoul(self->name + 3, NULL, 10), d.index);
	EXPECT_STREQ("sim", d.backend);
	EXPECT_STREQ("dpu_sim", d.bus);
	snprintf(parent, sizeof(parent), "dpu_sim%d", SIM_ID);
	EXPECT_STREQ(parent, d.parent);
	EXPECT_TRUE(d.has_numa);
}

TEST_F(dev, get_by_index_matches_sysfs)
{
	char path[128], idx[32];
	struct dev_reply d;
	struct nlmsghdr *nlh;

	snprintf(path, sizeof(path), "/sys/class/dpu/%s/index", self->name);
	ASSERT_EQ(0, sysfs_read(path, idx, sizeof(idx)));

	nlh = nl_msg(self->nl, self->nl->family, DPU_CMD_DEV_GET, 0);
	mnl_attr_put_u32(nlh, DPU_A_DEV_INDEX, strtoul(idx, NULL, 10));
	self->nl->cb = grab_dev;
	self->nl->arg = &d;
	ASSERT_EQ(0, nl_talk(self->nl, nlh));
	EXPECT_STREQ(self->name, d.name);
	EXPECT_EQ(strtoul(idx, NULL, 10), d.index);
}

TEST_F(dev, unknown_name)
{
	struct nlmsghdr *nlh;

	nlh = nl_msg(self->nl, self->nl->family, DPU_CMD_DEV_GET, 0);
	mnl_attr_put_strz(nlh, DPU_A_DEV_NAME, "dpu99999");
	EXPECT_EQ(-ENODEV, nl_talk(self->nl, nlh));
	EXPECT_STREQ("no DPU device with this name", self->nl->extack);
}

TEST_F(dev, unknown_index)
{
	struct nlmsghdr *nlh;

	nlh = nl_msg(self->nl, self->nl->family, DPU_CMD_DEV_GET, 0);
	mnl_attr_put_u32(nlh, DPU_A_DEV_INDEX, 0x7ffffff0);
	EXPECT_EQ(-ENODEV, nl_talk(self->nl, nlh));
	EXPECT_STREQ("no DPU device with this index", self->nl->extack);
}

TEST_F(dev, missing_attrs)
{
	struct nlmsghdr *nlh;

	nlh = nl_msg(self->nl, self->nl->family, DPU_CMD_DEV_GET, 0);
	EXPECT_EQ(-EINVAL, nl_talk(self->nl, nlh));
	EXPECT_STREQ("DPU device name or index required", self->nl->extack);
}

TEST_F(dev, name_index_disagree)
{
	struct nlmsghdr *nlh;
	char path[128], idx[32];

	snprintf(path, sizeof(path), "/sys/class/dpu/%s/index", self->name);
	ASSERT_EQ(0, sysfs_read(path, idx, sizeof(idx)));
	nlh = nl_msg(self->nl, self->nl->family, DPU_CMD_DEV_GET, 0);
	mnl_attr_put_u32(nlh, DPU_A_DEV_INDEX, strtoul(idx, NULL, 10));
	mnl_attr_put_strz(nlh, DPU_A_DEV_NAME, "dpu12345");
	EXPECT_EQ(-EINVAL, nl_talk(self->nl, nlh));
	EXPECT_STREQ("DPU device name and index disagree", self->nl->extack);
}

TEST_F(dev, wrong_type)
{
	struct nlmsghdr *nlh;

	/* a u16 where the policy says u32 */
	nlh = nl_msg(self->nl, self->nl->family, DPU_CMD_DEV_GET, 0);
	mnl_attr_put_u16(nlh, DPU_A_DEV_INDEX, 0);
	EXPECT_EQ(-EINVAL, nl_talk(self->nl, nlh));
	EXPECT_STREQ("invalid attribute length", self->nl->extack);
}

TEST_F(dev, name_too_long)
{
	struct nlmsghdr *nlh;

	nlh = nl_msg(self->nl, self->nl->family, DPU_CMD_DEV_GET, 0);
	mnl_attr_put_strz(nlh, DPU_A_DEV_NAME, "dpu0123456789012345678");
	EXPECT_EQ(-EINVAL, nl_talk(self->nl, nlh));
	EXPECT_STREQ("Attribute failed policy validation", self->nl->extack);
}

TEST_F(dev, name_not_terminated)
{
	struct nlmsghdr *nlh;

	nlh = nl_msg(self->nl, self->nl->family, DPU_CMD_DEV_GET, 0);
	mnl_attr_put(nlh, DPU_A_DEV_NAME, 4, "dpu0");
	EXPECT_EQ(-EINVAL, nl_talk(self->nl, nlh));
	EXPECT_STREQ("Attribute failed policy validation", self->nl->extack);
}

TEST_F(dev, output_only_attr_rejected)
{
	struct nlmsghdr *nlh;

	nlh = nl_msg(self->nl, self->nl->family, DPU_CMD_DEV_GET, 0);
	mnl_attr_put_strz(nlh, DPU_A_DEV_NAME, self->name);
	mnl_attr_put_strz(nlh, DPU_A_DEV_BACKEND, "sim");
	EXPECT_EQ(-EINVAL, nl_talk(self->nl, nlh));
	EXPECT_STREQ("attribute is output-only", self->nl->extack);
}

TEST_F(dev, unknown_attr_rejected)
{
	struct nlmsghdr *nlh;

	nlh = nl_msg(self->nl, self->nl->family, DPU_CMD_DEV_GET, 0);
	mnl_attr_put_strz(nlh, DPU_A_DEV_NAME, self->name);
	mnl_attr_put_u32(nlh, DPU_A_MAX + 1, 1);
	EXPECT_EQ(-EINVAL, nl_talk(self->nl, nlh));
	EXPECT_STREQ("Unknown attribute type", self->nl->extack);
}

TEST_F(dev, unknown_command)
{
	struct nlmsghdr *nlh;

	nlh = nl_msg(self->nl, self->nl->family, DPU_CMD_MAX + 1, 0);
	EXPECT_EQ(-EOPNOTSUPP, nl_talk(self->nl, nlh));
}

/* dump */

#define DUMP_DEVS 300
#define DUMP_BASE 2000

struct dump_ctx {
	int count;
	int ours;
	long last;
	int ordered;
	int bad;
};

static int dump_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct dump_ctx *c = arg;
	struct dev_reply d;
	unsigned int id;

	parse_dev(nlh, &d);
	if (!d.has_index || !d.name[0] || strcmp(d.backend, "sim"))
		c->bad++;
	if ((long)d.index <= c->last)
		c->ordered = 0;
	c->last = d.index;
	c->count++;
	if (sscanf(d.parent, "dpu_sim%u", &id) == 1 &&
	    id >= DUMP_BASE && id < DUMP_BASE + DUMP_DEVS)
		c->ours++;
	return 0;
}

static int count_class_devs(void)
{
	struct dirent *de;
	DIR *d = opendir("/sys/class/dpu");
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, "dpu", 3))
			n++;
	closedir(d);
	return n;
}

TEST(dump_many)
{
	struct dump_ctx c = { .last = -1, .ordered = 1 };
	struct nlmsghdr *nlh;
	struct nl *nl;
	int i;

	nl = nl_open();
	ASSERT_NE(NULL, nl);
	for (i = 0; i < DUMP_DEVS; i++)
		ASSERT_EQ(0, sim_new(DUMP_BASE + i));

	nlh = nl_msg(nl, nl->family, DPU_CMD_DEV_GET, NLM_F_DUMP);
	nl->cb = dump_cb;
	nl->arg = &c;
	/* a small receive buffer forces several dump rounds */
	EXPECT_EQ(0, nl_talk(nl, nlh));
	EXPECT_EQ(DUMP_DEVS, c.ours);
	EXPECT_EQ(count_class_devs(), c.count);
	EXPECT_EQ(0, c.bad);
	EXPECT_TRUE(c.ordered) TH_LOG("indices not strictly increasing: a resumed dump repeated or reordered");

	for (i = 0; i < DUMP_DEVS; i++)
		EXPECT_EQ(0, sim_del(DUMP_BASE + i));

	/* after deletion the dump is back to what was there before */
	memset(&c, 0, sizeof(c));
	c.last = -1;
	c.ordered = 1;
	nlh = nl_msg(nl, nl->family, DPU_CMD_DEV_GET, NLM_F_DUMP);
	EXPECT_EQ(0, nl_talk(nl, nlh));
	EXPECT_EQ(0, c.ours);
	EXPECT_EQ(count_class_devs(), c.count);
	nl_close(nl);
}

TEST(dump_rejects_bad_attrs)
{
	struct nlmsghdr *nlh;
	struct nl *nl;

	nl = nl_open();
	ASSERT_NE(NULL, nl);
	/* strict checking applies to dump requests as well */
	nlh = nl_msg(nl, nl->family, DPU_CMD_DEV_GET, NLM_F_DUMP);
	mnl_attr_put_u32(nlh, DPU_A_MAX + 1, 1);
	EXPECT_EQ(-EINVAL, nl_talk(nl, nlh));
	EXPECT_EQ(0, nl->replies);
	nl_close(nl);
}

TEST_HARNESS_MAIN
