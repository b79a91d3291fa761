// SPDX-License-Identifier: GPL-2.0
/*
 * dpupool selftest: functions over netlink: life cycle of disks and NICs,
 * events, uevents, errors with extack, privileges, dumps, fault injection,
 * leaks.
 */
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <linux/netlink.h>

#include "kselftest_harness.h"
#include "dpu_test.h"

#define ID 5000
#define MiB (1024ULL * 1024)

FIXTURE(fn) {
	struct nl *nl;
	char dev[32];
};

FIXTURE_SETUP(fn)
{
	self->nl = nl_open();
	ASSERT_NE(NULL, self->nl);
	ASSERT_EQ(0, sysfs_write(SIM_BUS "/new_device", "5000 64"));
	ASSERT_EQ(0, sim_dpu_name(ID, self->dev, sizeof(self->dev)));
	ASSERT_EQ(0, sim_knob(ID, "attach_delay_ms", "5"));
	/* functions belong to existing tenants */
	ASSERT_EQ(0, tenant_new(self->nl, self->dev, "acme", NULL));
	ASSERT_EQ(0, tenant_new(self->nl, self->dev, "globex", NULL));
	ASSERT_EQ(0, tenant_new(self->nl, self->dev, "initech", NULL));
	ASSERT_EQ(0, tenant_new(self->nl, self->dev, "a", NULL));
}

FIXTURE_TEARDOWN(fn)
{
	sim_del(ID);
	sysfs_write("/sys/module/dpu/parameters/attach_timeout_ms", "30000");
	nl_close(self->nl);
}

static int fn_attr(const char *dev, uint32_t index, const char *attr,
		   char *buf, size_t len)
{
	char path[160];

	snprintf(path, sizeof(path), "/sys/class/dpu_fn/%sfn%u/%s", dev, index,
		 attr);
	return sysfs_read(path, buf, len);
}

TEST_F(fn, blk_lifecycle)
{
	struct fn_reply f;
	char path[128], buf[64];
	struct stat st;

	ASSERT_EQ(0, fn_new(self->nl, self->dev, 64 * MiB, "acme", &f));
	EXPECT_EQ(DPU_FN_STATE_CREATING, f.state);
	EXPECT_EQ(DPU_FN_TYPE_BLK, f.type);
	EXPECT_EQ(64 * MiB, f.size);
	EXPECT_STREQ("acme", f.tenant);
	EXPECT_STREQ(self->dev, f.dev);

	ASSERT_EQ(DPU_FN_STATE_READY, fn_wait(self->nl, self->dev, f.index, 5000, &f));
	ASSERT_NE(0, strlen(f.blkdev));
	snprintf(path, sizeof(path), "/sys/block/%s/size", f.blkdev);
	ASSERT_EQ(0, sysfs_read(path, buf, sizeof(buf)));
	EXPECT_STREQ("131072", buf);
	snprintf(path, sizeof(path), "/dev/%s", f.blkdev);
	EXPECT_EQ(0, stat(path, &st));

	ASSERT_EQ(0, fn_attr(self->dev, f.index, "state", buf, sizeof(buf)));
	EXPECT_STREQ("ready", buf);
	ASSERT_EQ(0, fn_attr(self->dev, f.index, "type", buf, sizeof(buf)));
	EXPECT_STREQ("blk", buf);
	ASSERT_EQ(0, fn_attr(self->dev, f.index, "tenant", buf, sizeof(buf)));
	EXPECT_STREQ("acme", buf);
	ASSERT_EQ(0, fn_attr(self->dev, f.index, "blkdev", buf, sizeof(buf)));
	EXPECT_STREQ(f.blkdev, buf);
	/* the disk is a child of the function: sysfs shows what it became */
	snprintf(path, sizeof(path), "/sys/class/dpu_fn/%sfn%u/%s/dev",
		 self->dev, f.index, f.blkdev);
	EXPECT_EQ(0, stat(path, &st));

	ASSERT_EQ(0, fn_del(self->nl, self->dev, f.index));
	EXPECT_EQ(-ENOENT, fn_get(self->nl, self->dev, f.index, &f));
	EXPECT_STREQ("no function with this index on this DPU", self->nl->extack);
	snprintf(path, sizeof(path), "/sys/block/%s", f.blkdev);
	EXPECT_NE(0, stat(path, &st));
}

TEST_F(fn, net_lifecycle_with_mac)
{
	static const uint8_t mac[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };
	struct nlmsghdr *nlh;
	struct fn_reply f;
	char path[128], buf[64];

	nlh = nl_msg(self->nl, self->nl->family, DPU_CMD_FN_NEW, 0);
	mnl_attr_put_strz(nlh, DPU_A_DEV_NAME, self->dev);
	mnl_attr_put_u8(nlh, DPU_A_FN_TYPE, DPU_FN_TYPE_NET);
	mnl_attr_put(nlh, DPU_A_FN_MAC, 6, mac);
	mnl_attr_put_strz(nlh, DPU_A_FN_TENANT, "globex");
	self->nl->cb = grab_fn;
	self->nl->arg = &f;
	ASSERT_EQ(0, nl_talk(self->nl, nlh));
	ASSERT_EQ(DPU_FN_STATE_READY, fn_wait(self->nl, self->dev, f.index, 5000, &f));
	EXPECT_EQ(0, memcmp(mac, f.mac, 6));
	ASSERT_NE(0, strlen(f.netdev));
	snprintf(path, sizeof(path), "/sys/class/net/%s/address", f.netdev);
	ASSERT_EQ(0, sysfs_read(path, buf, sizeof(buf)));
	EXPECT_STREQ("02:11:22:33:44:55", buf);
	ASSERT_EQ(0, fn_attr(self->dev, f.index, "mac", buf, sizeof(buf)));
	EXPECT_STREQ("02:11:22:33:44:55", buf);
	ASSERT_EQ(0, fn_del(self->nl, self->dev, f.index));
	snprintf(path, sizeof(path), "/sys/class/net/%s", f.netdev);
	EXPECT_NE(0, access(path, F_OK));
}

TEST_F(fn, random_mac_is_unicast)
{
	struct fn_reply f;

	ASSERT_EQ(0, fn_new(self->nl, self->dev, 0, "acme", &f));
	EXPECT_TRUE(f.has_mac);
	EXPECT_EQ(0, f.mac[0] & 1);
	EXPECT_EQ(2, f.mac[0] & 2);	/* locally administered */
	EXPECT_EQ(0, fn_del(self->nl, self->dev, f.index));
}

TEST_F(fn, set_tenant)
{
	struct nlmsghdr *nlh;
	struct fn_reply f;
	char buf[64];

	ASSERT_EQ(0, fn_new(self->nl, self->dev, 4 * MiB, "acme", &f));
	nlh = nl_msg(self->nl, self->nl->family, DPU_CMD_FN_SET, 0);
	mnl_attr_put_strz(nlh, DPU_A_DEV_NAME, self->dev);
	mnl_attr_put_u32(nlh, DPU_A_FN_INDEX, f.index);
	mnl_attr_put_strz(nlh, DPU_A_FN_TENANT, "initech");
	self->nl->cb = grab_fn;
	self->nl->arg = &f;
	ASSERT_EQ(0, nl_talk(self->nl, nlh));
	EXPECT_STREQ("initech", f.tenant);
	ASSERT_EQ(0, fn_attr(self->dev, f.index, "tenant", buf, sizeof(buf)));
	EXPECT_STREQ("initech", buf);
	EXPECT_EQ(0, fn_del(self->nl, self->dev, f.index));
}

TEST_F(fn, indices)
{
	struct nlmsghdr *nlh;
	struct fn_reply f;
	uint32_t i;

	/* lowest free first */
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, fn_new(self->nl, self->dev, 4 * MiB, "acme", &f));
		EXPECT_EQ(i, f.index);
	}
	ASSERT_EQ(0, fn_del(self->nl, self->dev, 1));
	ASSERT_EQ(0, fn_new(self->nl, self->dev, 4 * MiB, "acme", &f));
	EXPECT_EQ(1U, f.index);

	/* a requested index */
	nlh = nl_msg(self->nl, self->nl->family, DPU_CMD_FN_NEW, 0);
	mnl_attr_put_strz(nlh, DPU_A_DEV_NAME, self->dev);
	mnl_attr_put_u8(nlh, DPU_A_FN_TYPE, DPU_FN_TYPE_NET);
	mnl_attr_put_strz(nlh, DPU_A_FN_TENANT, "acme");
	mnl_attr_put_u32(nlh, DPU_A_FN_INDEX, 40);
	self->nl->cb = grab_fn;
	self->nl->arg = &f;
	ASSERT_EQ(0, nl_talk(self->nl, nlh));
	EXPECT_EQ(40U, f.index);

	/* taken */
	nlh = nl_msg(self->nl, self->nl->family, DPU_CMD_FN_NEW, 0);
	mnl_attr_put_strz(nlh, DPU_A_DEV_NAME, self->dev);
	mnl_attr_put_u8(nlh, DPU_A_FN_TYPE, DPU_FN_TYPE_NET);
	mnl_attr_put_strz(nlh, DPU_A_FN_TENANT, "acme");
	mnl_attr_put_u32(nlh, DPU_A_FN_INDEX, 40);
	EXPECT_EQ(-EEXIST, nl_talk(self->nl, nlh));
	EXPECT_STREQ("function index in use", self->nl->extack);

	/* beyond max_fns (64) */
	nlh = nl_msg(self->nl, self->nl->family, DPU_CMD_FN_NEW, 0);
	mnl_attr_put_strz(nlh, DPU_A_DEV_NAME, self->dev);
	mnl_attr_put_u8(nlh, DPU_A_FN_TYPE, DPU_FN_TYPE_NET);
	mnl_attr_put_strz(nlh, DPU_A_FN_TENANT, "acme");
	mnl_attr_put_u32(nlh, DPU_A_FN_INDEX, 64);
	EXPECT_EQ(-ERANGE, nl_talk(self->nl, nlh));
	EXPECT_STREQ("function index beyond the DPU's maximum", self->nl->extack);
}

TEST(no_free_slot)
{
	char dev[32];
	struct fn_reply f;
	struct nl *nl = nl_open();

	ASSERT_NE(NULL, nl);
	ASSERT_EQ(0, sysfs_write(SIM_BUS "/new_device", "5001 2"));
	ASSERT_EQ(0, sim_dpu_name(5001, dev, sizeof(dev)));
	ASSERT_EQ(0, tenant_new(nl, dev, "acme", NULL));
	struct fn_reply f0;

	ASSERT_EQ(0, fn_new(nl, dev, 4 * MiB, "acme", &f0));
	ASSERT_EQ(0, fn_new(nl, dev, 4 * MiB, "acme", &f));
	EXPECT_EQ(-ENOSPC, fn_new(nl, dev, 4 * MiB, "acme", &f));
	EXPECT_STREQ("no free function slot on this DPU", nl->extack);
	/* deleting the DPU deletes its functions */
	{
		char path[96];

		char path2[96];

		snprintf(path, sizeof(path), "/sys/class/dpu_fn/%sfn%u", dev, f0.index);
		snprintf(path2, sizeof(path2), "/sys/class/dpu_fn/%sfn%u", dev, f.index);
		EXPECT_EQ(0, access(path, F_OK));
		EXPECT_EQ(0, access(path2, F_OK));
		EXPECT_EQ(0, sim_del(5001));
		EXPECT_NE(0, access(path, F_OK));
		EXPECT_NE(0, access(path2, F_OK));
	}
	nl_close(nl);
}

/* bad input: every case gets an errno and an extack text */
struct bad_case {
	const char *name;
	int err;
	const char *extack;	/* NULL: any non-empty text */
	void (*build)(struct nlmsghdr *nlh, const char *dev);
};

#define B(fn_name) static void fn_name(struct nlmsghdr *nlh, const char *dev)
B(no_dev) { (void)dev; mnl_attr_put_u8(nlh, DPU_A_FN_TYPE, 1); mnl_attr_put_strz(nlh, DPU_A_FN_TENANT, "a"); mnl_attr_put_u64(nlh, DPU_A_FN_SIZE, 4096); }
B(no_type) { mnl_attr_put_strz(nlh, DPU_A_DEV_NAME, dev); mnl_attr_put_strz(nlh, DPU_A_FN_TENANT, "a"); }
B(no_tenant) { mnl_attr_put_strz(nlh, DPU_A_DEV_NAME, dev); mnl_attr_put_u8(nlh, DPU_A_FN_TYPE, 2); }
B(no_size) { mnl_attr_put_strz(nlh, DPU_A_DEV_NAME, dev); mnl_attr_put_u8(nlh, DPU_A_FN_TYPE, 1); mnl_attr_put_strz(nlh, DPU_A_FN_TENANT, "a"); }
B(type_range) { mnl_attr_put_strz(nlh, DPU_A_DEV_NAME, dev); mnl_attr_put_u8(nlh, DPU_A_FN_TYPE, 3); mnl_attr_put_strz(nlh, DPU_A_FN_TENANT, "a"); }
B(type_u32) { mnl_attr_put_strz(nlh, DPU_A_DEV_NAME, dev); mnl_attr_put_u32(nlh, DPU_A_FN_TYPE, 1); mnl_attr_put_strz(nlh, DPU_A_FN_TENANT, "a"); }
B(size_u32) { mnl_attr_put_strz(nlh, DPU_A_DEV_NAME, dev); mnl_attr_put_u8(nlh, DPU_A_FN_TYPE, 1); mnl_attr_put_strz(nlh, DPU_A_FN_TENANT, "a"); mnl_attr_put_u32(nlh, DPU_A_FN_SIZE, 4096); }
B(size_zero) { mnl_attr_put_strz(nlh, DPU_A_DEV_NAME, dev); mnl_attr_put_u8(nlh, DPU_A_FN_TYPE, 1); mnl_attr_put_strz(nlh, DPU_A_FN_TENANT, "a"); mnl_attr_put_u64(nlh, DPU_A_FN_SIZE, 0); }
B(size_odd) { mnl_attr_put_strz(nlh, DPU_A_DEV_NAME, dev); mnl_attr_put_u8(nlh, DPU_A_FN_TYPE, 1); mnl_attr_put_strz(nlh, DPU_A_FN_TENANT, "a"); mnl_attr_put_u64(nlh, DPU_A_FN_SIZE, 4097); }
B(size_huge) { mnl_attr_put_strz(nlh, DPU_A_DEV_NAME, dev); mnl_attr_put_u8(nlh, DPU_A_FN_TYPE, 1); mnl_attr_put_strz(nlh, DPU_A_FN_TENANT, "a"); mnl_attr_put_u64(nlh, DPU_A_FN_SIZE, 1ULL << 50); }
B(size_on_net) { mnl_attr_put_strz(nlh, DPU_A_DEV_NAME, dev); mnl_attr_put_u8(nlh, DPU_A_FN_TYPE, 2); mnl_attr_put_strz(nlh, DPU_A_FN_TENANT, "a"); mnl_attr_put_u64(nlh, DPU_A_FN_SIZE, 4096); }
B(mac_on_blk) { static const uint8_t m[6] = { 2, 0, 0, 0, 0, 1 }; mnl_attr_put_strz(nlh, DPU_A_DEV_NAME, dev); mnl_attr_put_u8(nlh, DPU_A_FN_TYPE, 1); mnl_attr_put_strz(nlh, DPU_A_FN_TENANT, "a"); mnl_attr_put_u64(nlh, DPU_A_FN_SIZE, 4096); mnl_attr_put(nlh, DPU_A_FN_MAC, 6, m); }
B(mac_short) { static const uint8_t m[5] = { 2, 0, 0, 0, 1 }; mnl_attr_put_strz(nlh, DPU_A_DEV_NAME, dev); mnl_attr_put_u8(nlh, DPU_A_FN_TYPE, 2); mnl_attr_put_strz(nlh, DPU_A_FN_TENANT, "a"); mnl_attr_put(nlh, DPU_A_FN_MAC, 5, m); }
B(mac_mcast) { static const uint8_t m[6] = { 1, 0, 0x5e, 0, 0, 1 }; mnl_attr_put_strz(nlh, DPU_A_DEV_NAME, dev); mnl_attr_put_u8(nlh, DPU_A_FN_TYPE, 2); mnl_attr_put_strz(nlh, DPU_A_FN_TENANT, "a"); mnl_attr_put(nlh, DPU_A_FN_MAC, 6, m); }
B(mac_zero) { static const uint8_t m[6]; mnl_attr_put_strz(nlh, DPU_A_DEV_NAME, dev); mnl_attr_put_u8(nlh, DPU_A_FN_TYPE, 2); mnl_attr_put_strz(nlh, DPU_A_FN_TENANT, "a"); mnl_attr_put(nlh, DPU_A_FN_MAC, 6, m); }
B(tenant_bad) { mnl_attr_put_strz(nlh, DPU_A_DEV_NAME, dev); mnl_attr_put_u8(nlh, DPU_A_FN_TYPE, 2); mnl_attr_put_strz(nlh, DPU_A_FN_TENANT, "a b"); }
B(tenant_empty) { mnl_attr_put_strz(nlh, DPU_A_DEV_NAME, dev); mnl_attr_put_u8(nlh, DPU_A_FN_TYPE, 2); mnl_attr_put_strz(nlh, DPU_A_FN_TENANT, ""); }
B(tenant_long) { mnl_attr_put_strz(nlh, DPU_A_DEV_NAME, dev); mnl_attr_put_u8(nlh, DPU_A_FN_TYPE, 2); mnl_attr_put_strz(nlh, DPU_A_FN_TENANT, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"); }
B(state_given) { mnl_attr_put_strz(nlh, DPU_A_DEV_NAME, dev); mnl_attr_put_u8(nlh, DPU_A_FN_TYPE, 2); mnl_attr_put_strz(nlh, DPU_A_FN_TENANT, "a"); mnl_attr_put_u8(nlh, DPU_A_FN_STATE, 2); }
B(tenant_unknown) { mnl_attr_put_strz(nlh, DPU_A_DEV_NAME, dev); mnl_attr_put_u8(nlh, DPU_A_FN_TYPE, 2); mnl_attr_put_strz(nlh, DPU_A_FN_TENANT, "nosuch"); }
B(tenant_unknown_blk) { mnl_attr_put_strz(nlh, DPU_A_DEV_NAME, dev); mnl_attr_put_u8(nlh, DPU_A_FN_TYPE, 1); mnl_attr_put_u64(nlh, DPU_A_FN_SIZE, 4096); mnl_attr_put_strz(nlh, DPU_A_FN_TENANT, "Acme"); }
B(tenant_latin1) { mnl_attr_put_strz(nlh, DPU_A_DEV_NAME, dev); mnl_attr_put_u8(nlh, DPU_A_FN_TYPE, 2); mnl_attr_put_strz(nlh, DPU_A_FN_TENANT, "caf\xe9"); }
B(tenant_ff) { mnl_attr_put_strz(nlh, DPU_A_DEV_NAME, dev); mnl_attr_put_u8(nlh, DPU_A_FN_TYPE, 2); mnl_attr_put_strz(nlh, DPU_A_FN_TENANT, "a\xff"); }
B(tenant_attr) { mnl_attr_put_strz(nlh, DPU_A_DEV_NAME, dev); mnl_attr_put_u8(nlh, DPU_A_FN_TYPE, 2); mnl_attr_put_strz(nlh, DPU_A_FN_TENANT, "a"); mnl_attr_put_strz(nlh, DPU_A_TENANT_NAME, "a"); }
B(dev_unknown) { (void)dev; mnl_attr_put_strz(nlh, DPU_A_DEV_NAME, "dpu9999"); mnl_attr_put_u8(nlh, DPU_A_FN_TYPE, 2); mnl_attr_put_strz(nlh, DPU_A_FN_TENANT, "a"); }

static const struct bad_case bad_new[] = {
	{ "no device", -EINVAL, "DPU device name or index required", no_dev },
	{ "no type", -EINVAL, "function type required", no_type },
	{ "no tenant", -EINVAL, "tenant required", no_tenant },
	{ "no size", -EINVAL, "a blk function needs a size", no_size },
	{ "type out of range", -ERANGE, "integer out of range", type_range },
	{ "type as u32", -EINVAL, "invalid attribute length", type_u32 },
	{ "size as u32", -EINVAL, "invalid attribute length", size_u32 },
	{ "size zero", -EINVAL, "disk size is zero", size_zero },
	{ "size unaligned", -EINVAL, "disk size is not a multiple of 4096 bytes", size_odd },
	{ "size huge", -EINVAL, "disk size is larger than 64 TiB", size_huge },
	{ "size on net", -EINVAL, "a net function has no size", size_on_net },
	{ "mac on blk", -EINVAL, "a blk function has no MAC address", mac_on_blk },
	{ "mac short", -ERANGE, NULL, mac_short },
	{ "mac multicast", -EINVAL, "MAC address is multicast", mac_mcast },
	{ "mac zero", -EINVAL, "MAC address is all zeros", mac_zero },
	{ "tenant bad chars", -EINVAL, "tenant name may only contain A-Z a-z 0-9 _ . -", tenant_bad },
	{ "tenant empty", -EINVAL, "tenant name is empty", tenant_empty },
	{ "tenant latin-1", -EINVAL, "tenant name may only contain A-Z a-z 0-9 _ . -", tenant_latin1 },
	{ "tenant byte 0xff", -EINVAL, "tenant name may only contain A-Z a-z 0-9 _ . -", tenant_ff },
	{ "a tenant command's attribute", -EINVAL, "attribute does not belong to this command", tenant_attr },
	{ "tenant too long", -EINVAL, "Attribute failed policy validation", tenant_long },
	{ "state is output-only", -EINVAL, "attribute is output-only", state_given },
	{ "unknown device", -ENODEV, "no DPU device with this name", dev_unknown },
	{ "unknown tenant", -ENOENT, "no tenant with this name on this DPU", tenant_unknown },
	{ "unknown tenant (names are case-sensitive)", -ENOENT, "no tenant with this name on this DPU", tenant_unknown_blk },
};

TEST_F(fn, bad_fn_new)
{
	struct nlmsghdr *nlh;
	unsigned int i;

	for (i = 0; i < sizeof(bad_new) / sizeof(bad_new[0]); i++) {
		const struct bad_case *c = &bad_new[i];

		nlh = nl_msg(self->nl, self->nl->family, DPU_CMD_FN_NEW, 0);
		c->build(nlh, self->dev);
		self->nl->cb = NULL;
		EXPECT_EQ(c->err, nl_talk(self->nl, nlh)) TH_LOG("case: %s", c->name);
		if (c->extack) {
			EXPECT_STREQ(c->extack, self->nl->extack) TH_LOG("case: %s", c->name);
		} else {
			EXPECT_NE(0, strlen(self->nl->extack)) TH_LOG("case: %s", c->name);
		}
	}
	/* nothing was created by any of them */
	{
		char buf[16], path[96];

		snprintf(path, sizeof(path), "/sys/class/dpu/%s/num_fns", self->dev);
		ASSERT_EQ(0, sysfs_read(path, buf, sizeof(buf)));
		EXPECT_STREQ("0", buf);
	}
}

TEST_F(fn, bad_del_get_set)
{
	struct nlmsghdr *nlh;
	struct fn_reply f;

	EXPECT_EQ(-ENOENT, fn_del(self->nl, self->dev, 7));
	EXPECT_STREQ("no function with this index on this DPU", self->nl->extack);
	EXPECT_EQ(-ENOENT, fn_get(self->nl, self->dev, 7, &f));

	nlh = nl_msg(self->nl, self->nl->family, DPU_CMD_FN_DEL, 0);
	mnl_attr_put_strz(nlh, DPU_A_DEV_NAME, self->dev);
	EXPECT_EQ(-EINVAL, nl_talk(self->nl, nlh));
	EXPECT_STREQ("function index required", self->nl->extack);

	nlh = nl_msg(self->nl, self->nl->family, DPU_CMD_FN_GET, 0);
	mnl_attr_put_strz(nlh, DPU_A_DEV_NAME, self->dev);
	EXPECT_EQ(-EINVAL, nl_talk(self->nl, nlh));
	EXPECT_STREQ("function index required", self->nl->extack);

	ASSERT_EQ(0, fn_new(self->nl, self->dev, 4 * MiB, "acme", &f));
	nlh = nl_msg(self->nl, self->nl->family, DPU_CMD_FN_SET, 0);
	mnl_attr_put_strz(nlh, DPU_A_DEV_NAME, self->dev);
	mnl_attr_put_u32(nlh, DPU_A_FN_INDEX, f.index);
	EXPECT_EQ(-EINVAL, nl_talk(self->nl, nlh));
	EXPECT_STREQ("nothing to set: tenant or limits required", self->nl->extack);

	nlh = nl_msg(self->nl, self->nl->family, DPU_CMD_FN_SET, 0);
	mnl_attr_put_strz(nlh, DPU_A_DEV_NAME, self->dev);
	mnl_attr_put_u32(nlh, DPU_A_FN_INDEX, f.index);
	mnl_attr_put_strz(nlh, DPU_A_FN_TENANT, "no/slash");
	EXPECT_EQ(-EINVAL, nl_talk(self->nl, nlh));
	EXPECT_STREQ("tenant name may only contain A-Z a-z 0-9 _ . -", self->nl->extack);
	EXPECT_EQ(0, fn_get(self->nl, self->dev, f.index, &f));
	EXPECT_STREQ("acme", f.tenant);
	EXPECT_EQ(-EINVAL, fn_move(self->nl, self->dev, f.index, "\xe9t\xe9", NULL));
	EXPECT_STREQ("tenant name may only contain A-Z a-z 0-9 _ . -", self->nl->extack);

	/* FN_NEW's size is not FN_SET's: refused, not ignored */
	nlh = nl_msg(self->nl, self->nl->family, DPU_CMD_FN_SET, 0);
	mnl_attr_put_strz(nlh, DPU_A_DEV_NAME, self->dev);
	mnl_attr_put_u32(nlh, DPU_A_FN_INDEX, f.index);
	mnl_attr_put_strz(nlh, DPU_A_FN_TENANT, "globex");
	mnl_attr_put_u64(nlh, DPU_A_FN_SIZE, 8 * MiB);
	EXPECT_EQ(-EINVAL, nl_talk(self->nl, nlh));
	EXPECT_STREQ("attribute does not belong to this command", self->nl->extack);
	EXPECT_EQ(0, fn_get(self->nl, self->dev, f.index, &f));
	EXPECT_STREQ("acme", f.tenant);

	/* moving to a tenant that does not exist changes nothing */
	EXPECT_EQ(-ENOENT, fn_move(self->nl, self->dev, f.index, "nosuch", NULL));
	EXPECT_STREQ("no tenant with this name on this DPU", self->nl->extack);
	EXPECT_EQ(0, fn_get(self->nl, self->dev, f.index, &f));
	EXPECT_STREQ("acme", f.tenant);
	/* nor do limits given along with it */
	nlh = nl_msg(self->nl, self->nl->family, DPU_CMD_FN_SET, 0);
	mnl_attr_put_strz(nlh, DPU_A_DEV_NAME, self->dev);
	mnl_attr_put_u32(nlh, DPU_A_FN_INDEX, f.index);
	mnl_attr_put_strz(nlh, DPU_A_FN_TENANT, "nosuch");
	{
		struct nlattr *nest = mnl_attr_nest_start(nlh, DPU_A_FN_LIMITS);

		mnl_attr_put_u64(nlh, DPU_A_LIMIT_BLK_IOPS, 1234);
		mnl_attr_nest_end(nlh, nest);
	}
	EXPECT_EQ(-ENOENT, nl_talk(self->nl, nlh));
	EXPECT_STREQ("no tenant with this name on this DPU", self->nl->extack);
	EXPECT_EQ(0, fn_get(self->nl, self->dev, f.index, &f));
	EXPECT_STREQ("acme", f.tenant);
	EXPECT_FALSE(f.limits.has[DPU_A_LIMIT_BLK_IOPS]) TH_LOG("a failed FN_SET applied its limits");
}

/* limits of a kind the backend does not enforce are refused, not ignored */
TEST_F(fn, limits_the_dpu_cannot_enforce)
{
	const char *msg = "this DPU cannot enforce these function limits";
	struct nlmsghdr *nlh;
	struct nlattr *nest;
	struct fn_reply f;

	/* the "hardware" enforces only blk IOPS (bit 0) */
	ASSERT_EQ(0, sim_knob(ID, "limit_kinds", "1"));
	nlh = nl_msg(self->nl, self->nl->family, DPU_CMD_FN_NEW, 0);
	mnl_attr_put_strz(nlh, DPU_A_DEV_NAME, self->dev);
	mnl_attr_put_u8(nlh, DPU_A_FN_TYPE, DPU_FN_TYPE_BLK);
	mnl_attr_put_u64(nlh, DPU_A_FN_SIZE, 4 * MiB);
	mnl_attr_put_strz(nlh, DPU_A_FN_TENANT, "acme");
	nest = mnl_attr_nest_start(nlh, DPU_A_FN_LIMITS);
	mnl_attr_put_u64(nlh, DPU_A_LIMIT_BLK_BPS, 1000000);
	mnl_attr_nest_end(nlh, nest);
	self->nl->cb = NULL;
	EXPECT_EQ(-EOPNOTSUPP, nl_talk(self->nl, nlh));
	EXPECT_STREQ(msg, self->nl->extack);
	{
		char buf[16], path[96];

		snprintf(path, sizeof(path), "/sys/class/dpu/%s/num_fns", self->dev);
		ASSERT_EQ(0, sysfs_read(path, buf, sizeof(buf)));
		EXPECT_STREQ("0", buf);
	}

	ASSERT_EQ(0, fn_new(self->nl, self->dev, 4 * MiB, "acme", &f));
	EXPECT_EQ(0, fn_set_limit(self->nl, self->dev, f.index,
				  DPU_A_LIMIT_BLK_IOPS, 500));
	EXPECT_EQ(-EOPNOTSUPP, fn_set_limit(self->nl, self->dev, f.index,
					    DPU_A_LIMIT_BLK_WRITE_BPS, 1000000));
	EXPECT_STREQ(msg, self->nl->extack);
	ASSERT_EQ(0, fn_get(self->nl, self->dev, f.index, &f));
	EXPECT_EQ(500, f.limits.v[DPU_A_LIMIT_BLK_IOPS]);
	EXPECT_FALSE(f.limits.has[DPU_A_LIMIT_BLK_WRITE_BPS]);
	/* the DPU enforces everything again */
	ASSERT_EQ(0, sim_knob(ID, "limit_kinds", "1023"));
	EXPECT_EQ(0, fn_set_limit(self->nl, self->dev, f.index,
				  DPU_A_LIMIT_BLK_WRITE_BPS, 1000000));
}

static int grab_host_limits(const struct nlmsghdr *nlh, void *arg)
{
	struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr))
		if (mnl_attr_get_type(a) == DPU_A_DEV_HOST_LIMITS)
			*(int64_t *)arg = mnl_attr_get_u32(a);
	return 0;
}

static int64_t host_limits(struct nl *nl, const char *dev)
{
	struct nlmsghdr *nlh = nl_msg(nl, nl->family, DPU_CMD_DEV_GET, 0);
	int64_t v = -1;

	mnl_attr_put_strz(nlh, DPU_A_DEV_NAME, dev);
	nl->cb = grab_host_limits;
	nl->arg = &v;
	if (nl_talk(nl, nlh))
		return -2;
	return v;
}

/* limits a DPU leaves to the host (dpud's BPF) are accepted, not enforced */
TEST_F(fn, limits_left_to_the_host)
{
	const char *msg = "this DPU cannot enforce these function limits";
	struct fn_reply f;

	EXPECT_EQ(0, host_limits(self->nl, self->dev)) TH_LOG("reported: none");
	/* a NIC function; the "hardware" then enforces the blk kinds only */
	ASSERT_EQ(0, fn_new(self->nl, self->dev, 0, "acme", &f));
	ASSERT_EQ(0, sim_knob(ID, "limit_kinds", "63"));
	EXPECT_EQ(-EOPNOTSUPP, fn_set_limit(self->nl, self->dev, f.index,
					    DPU_A_LIMIT_NET_TX_BPS, 1000000));
	EXPECT_STREQ(msg, self->nl->extack);
	/* it leaves tx-bps rx-bps tx-pps rx-pps (bits 6 to 9) to the host */
	ASSERT_EQ(0, sim_knob(ID, "host_limit_kinds", "960"));
	EXPECT_EQ(960, host_limits(self->nl, self->dev));
	EXPECT_EQ(0, fn_set_limit(self->nl, self->dev, f.index,
				  DPU_A_LIMIT_NET_TX_BPS, 1000000));
	EXPECT_EQ(0, fn_set_limit(self->nl, self->dev, f.index,
				  DPU_A_LIMIT_NET_RX_PPS, 5000));
	ASSERT_EQ(0, fn_get(self->nl, self->dev, f.index, &f));
	EXPECT_EQ(1000000, f.limits.v[DPU_A_LIMIT_NET_TX_BPS]);
	EXPECT_EQ(5000, f.limits.v[DPU_A_LIMIT_NET_RX_PPS]);
	/* a kind neither the DPU nor the host enforces is still refused */
	ASSERT_EQ(0, sim_knob(ID, "host_limit_kinds", "64"));
	EXPECT_EQ(64, host_limits(self->nl, self->dev));
	EXPECT_EQ(-EOPNOTSUPP, fn_set_limit(self->nl, self->dev, f.index,
					    DPU_A_LIMIT_NET_RX_BPS, 1000000));
	EXPECT_STREQ(msg, self->nl->extack);
	ASSERT_EQ(0, sim_knob(ID, "limit_kinds", "1023"));
	ASSERT_EQ(0, sim_knob(ID, "host_limit_kinds", "0"));
}

TEST_F(fn, unprivileged_refused)
{
	struct fn_reply f;
	pid_t pid;
	int status;

	ASSERT_EQ(0, fn_new(self->nl, self->dev, 4 * MiB, "acme", &f));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		struct nl *nl;
		int ok = 1;

		if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
			_exit(10);
		nl = nl_open();
		if (!nl)
			_exit(11);
		ok &= fn_new(nl, "dpu0", 4 * MiB, "acme", &f) == -EPERM;
		ok &= fn_del(nl, "dpu0", 0) == -EPERM;
		/* reading is allowed */
		ok &= fn_get(nl, self->dev, 0, &f) == 0;
		_exit(ok ? 0 : 12);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(0, fn_get(self->nl, self->dev, f.index, &f));
}

/* events and uevents */

/* next event within timeout; 0 or -ETIMEDOUT */
static int next_event(struct nl *ev, struct fn_reply *f, int timeout_ms)
{
	struct pollfd pfd = { .fd = mnl_socket_get_fd(ev->sk), .events = POLLIN };
	static char buf[8192];
	static ssize_t len, off;
	struct nlmsghdr *nlh;

	if (off >= len) {
		if (poll(&pfd, 1, timeout_ms) <= 0)
			return -ETIMEDOUT;
		len = recv(pfd.fd, buf, sizeof(buf), 0);
		off = 0;
		if (len <= 0)
			return -EIO;
	}
	nlh = (struct nlmsghdr *)(buf + off);
	off += NLMSG_ALIGN(nlh->nlmsg_len);
	return parse_fn(nlh, f);
}

TEST_F(fn, events)
{
	struct fn_reply f, e;
	struct nl *ev = nl_open();

	ASSERT_NE(NULL, ev);
	ASSERT_EQ(0, nl_join_events(ev));
	ASSERT_EQ(0, fn_new(self->nl, self->dev, 4 * MiB, "acme", &f));

	ASSERT_EQ(0, next_event(ev, &e, 2000));
	EXPECT_EQ(DPU_CMD_FN_NEW, e.cmd);
	EXPECT_EQ(DPU_FN_STATE_CREATING, e.state);
	EXPECT_EQ(f.index, e.index);
	EXPECT_STREQ("acme", e.tenant);
	ASSERT_EQ(0, next_event(ev, &e, 5000));
	EXPECT_EQ(DPU_CMD_FN_SET, e.cmd);
	EXPECT_EQ(DPU_FN_STATE_READY, e.state);
	EXPECT_NE(0, strlen(e.blkdev));

	ASSERT_EQ(0, fn_del(self->nl, self->dev, f.index));
	ASSERT_EQ(0, next_event(ev, &e, 2000));
	EXPECT_EQ(DPU_CMD_FN_SET, e.cmd);
	EXPECT_EQ(DPU_FN_STATE_REMOVING, e.state);
	ASSERT_EQ(0, next_event(ev, &e, 2000));
	EXPECT_EQ(DPU_CMD_FN_DEL, e.cmd);
	EXPECT_EQ(f.index, e.index);
	nl_close(ev);
}

/* read uevents for "dpu_fn" devices; returns the number collected */
static int read_uevents(int fd, char out[][512], int max, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char buf[4096];
	int n = 0;

	while (n < max && poll(&pfd, 1, timeout_ms) > 0) {
		ssize_t len = recv(fd, buf, sizeof(buf) - 1, 0);
		char *p, *action = NULL, *subsys = NULL, *state = NULL;
		char *tenant = NULL, *type = NULL, *index = NULL, *devv = NULL;

		if (len <= 0)
			break;
		buf[len] = '\0';
		for (p = buf; p < buf + len; p += strlen(p) + 1) {
			if (!strncmp(p, "ACTION=", 7)) action = p + 7;
			if (!strncmp(p, "SUBSYSTEM=", 10)) subsys = p + 10;
			if (!strncmp(p, "DPU_FN_STATE=", 13)) state = p + 13;
			if (!strncmp(p, "DPU_TENANT=", 11)) tenant = p + 11;
			if (!strncmp(p, "DPU_FN_TYPE=", 12)) type = p + 12;
			if (!strncmp(p, "DPU_FN_INDEX=", 13)) index = p + 13;
			if (!strncmp(p, "DPU_DEV=", 8)) devv = p + 8;
		}
		if (!subsys || strcmp(subsys, "dpu_fn"))
			continue;
		snprintf(out[n++], 512, "%s %s %s %s %s %s", action, devv,
			 type, index, tenant, state);
	}
	return n;
}

TEST_F(fn, uevents)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = 1 };
	char ev[8][512], want[512];
	struct fn_reply f;
	int fd, n;

	fd = socket(AF_NETLINK, SOCK_RAW, NETLINK_KOBJECT_UEVENT);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, bind(fd, (struct sockaddr *)&sa, sizeof(sa)));

	ASSERT_EQ(0, fn_new(self->nl, self->dev, 4 * MiB, "acme", &f));
	ASSERT_EQ(DPU_FN_STATE_READY, fn_wait(self->nl, self->dev, f.index, 5000, &f));
	ASSERT_EQ(0, fn_del(self->nl, self->dev, f.index));
	n = read_uevents(fd, ev, 8, 1000);
	ASSERT_EQ(4, n);
	snprintf(want, sizeof(want), "add %s blk %u acme creating", self->dev, f.index);
	EXPECT_STREQ(want, ev[0]);
	snprintf(want, sizeof(want), "change %s blk %u acme ready", self->dev, f.index);
	EXPECT_STREQ(want, ev[1]);
	snprintf(want, sizeof(want), "change %s blk %u acme removing", self->dev, f.index);
	EXPECT_STREQ(want, ev[2]);
	snprintf(want, sizeof(want), "remove %s blk %u acme removing", self->dev, f.index);
	EXPECT_STREQ(want, ev[3]);
	close(fd);
}

/* fault injection */

TEST_F(fn, failed_attach)
{
	struct fn_reply f;
	char buf[16];

	ASSERT_EQ(0, sim_knob(ID, "fail_attach", "1"));
	ASSERT_EQ(0, fn_new(self->nl, self->dev, 4 * MiB, "acme", &f));
	ASSERT_EQ(DPU_FN_STATE_FAILED, fn_wait(self->nl, self->dev, f.index, 5000, &f));
	EXPECT_TRUE(f.has_error);
	EXPECT_EQ(-EIO, f.error);
	EXPECT_EQ(0, strlen(f.blkdev));
	ASSERT_EQ(0, fn_attr(self->dev, f.index, "error", buf, sizeof(buf)));
	EXPECT_STREQ("-5", buf);
	/* the next one works again */
	ASSERT_EQ(0, fn_new(self->nl, self->dev, 4 * MiB, "acme", &f));
	EXPECT_EQ(DPU_FN_STATE_READY, fn_wait(self->nl, self->dev, f.index, 5000, &f));
	EXPECT_EQ(0, fn_del(self->nl, self->dev, 0));
	EXPECT_EQ(0, fn_del(self->nl, self->dev, 1));
}

TEST_F(fn, hung_attach_times_out)
{
	struct fn_reply f;

	ASSERT_EQ(0, sysfs_write("/sys/module/dpu/parameters/attach_timeout_ms", "300"));
	ASSERT_EQ(0, sim_knob(ID, "hang_attach", "1"));
	ASSERT_EQ(0, fn_new(self->nl, self->dev, 4 * MiB, "acme", &f));
	usleep(100000);
	EXPECT_EQ(0, fn_get(self->nl, self->dev, f.index, &f));
	EXPECT_EQ(DPU_FN_STATE_CREATING, f.state);
	ASSERT_EQ(DPU_FN_STATE_FAILED, fn_wait(self->nl, self->dev, f.index, 3000, &f));
	EXPECT_EQ(-ETIMEDOUT, f.error);
	/* deleting a hung function cancels its attach */
	EXPECT_EQ(0, fn_del(self->nl, self->dev, f.index));
}

TEST_F(fn, surprise_removal_idle)
{
	struct fn_reply f;
	char idx[16];

	ASSERT_EQ(0, fn_new(self->nl, self->dev, 0, "acme", &f));
	ASSERT_EQ(DPU_FN_STATE_READY, fn_wait(self->nl, self->dev, f.index, 5000, &f));
	snprintf(idx, sizeof(idx), "%u", f.index);
	ASSERT_EQ(0, sim_knob(ID, "surprise_remove", idx));
	EXPECT_EQ(0, fn_get(self->nl, self->dev, f.index, &f));
	EXPECT_EQ(DPU_FN_STATE_GONE, f.state);
	EXPECT_EQ(-EALREADY, sim_knob(ID, "surprise_remove", idx));
	EXPECT_EQ(-ENOENT, sim_knob(ID, "surprise_remove", "63"));
	EXPECT_EQ(0, fn_del(self->nl, self->dev, f.index));
}

/* dumps */

struct dump_ctx { int n; uint32_t seen[1024]; int dup; int bad; };

static int dump_fn_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct dump_ctx *c = arg;
	struct fn_reply f;

	parse_fn(nlh, &f);
	if (!f.has_index || f.index >= 1024 || !f.dev[0]) {
		c->bad++;
		return 0;
	}
	if (c->seen[f.index]++)
		c->dup++;
	c->n++;
	return 0;
}

TEST(dump_1000)
{
	struct dump_ctx *c = calloc(1, sizeof(*c));
	struct nlmsghdr *nlh;
	struct fn_reply f;
	char dev[32];
	struct nl *nl = nl_open();
	int i;

	ASSERT_NE(NULL, nl);
	ASSERT_EQ(0, sysfs_write(SIM_BUS "/new_device", "5002 1024"));
	ASSERT_EQ(0, sim_dpu_name(5002, dev, sizeof(dev)));
	/* failed attaches keep the objects cheap: no disks behind them */
	ASSERT_EQ(0, sim_knob(5002, "fail_attach", "1000"));
	ASSERT_EQ(0, sim_knob(5002, "attach_delay_ms", "0"));
	ASSERT_EQ(0, tenant_new(nl, dev, "bulk", NULL));
	for (i = 0; i < 1000; i++)
		ASSERT_EQ(0, fn_new(nl, dev, 4 * MiB, "bulk", &f));

	nlh = nl_msg(nl, nl->family, DPU_CMD_FN_GET, NLM_F_DUMP);
	mnl_attr_put_strz(nlh, DPU_A_DEV_NAME, dev);
	nl->cb = dump_fn_cb;
	nl->arg = c;
	ASSERT_EQ(0, nl_talk(nl, nlh));
	EXPECT_EQ(1000, c->n);
	EXPECT_EQ(0, c->dup);
	EXPECT_EQ(0, c->bad);
	for (i = 0; i < 1000; i++)
		EXPECT_EQ(1U, c->seen[i]);

	/* the unfiltered dump has them too */
	memset(c, 0, sizeof(*c));
	nlh = nl_msg(nl, nl->family, DPU_CMD_FN_GET, NLM_F_DUMP);
	ASSERT_EQ(0, nl_talk(nl, nlh));
	EXPECT_GE(c->n, 1000);
	EXPECT_EQ(0, sim_del(5002));
	free(c);
	nl_close(nl);
}

/* leaks */

/* objects in use in cache @name, per-CPU slabs flushed first */
static long slab_active(const char *name)
{
	char line[512], n[64];
	long active = -1, a;
	FILE *f;

	snprintf(line, sizeof(line), "/sys/kernel/slab/%s/shrink", name);
	sysfs_write(line, "1");
	f = fopen("/proc/slabinfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %ld", n, &a) == 2 && !strcmp(n, name))
			active = a;
	fclose(f);
	return active;
}

static long refcnt(const char *mod)
{
	char path[96], buf[32];

	snprintf(path, sizeof(path), "/sys/module/%s/refcnt", mod);
	if (sysfs_read(path, buf, sizeof(buf)))
		return -1;
	return strtol(buf, NULL, 10);
}

TEST_F(fn, cycles_leak_nothing)
{
	long slab0, ref0, ref_sim0;
	struct fn_reply f;
	int i;

	ASSERT_EQ(0, sim_knob(ID, "attach_delay_ms", "0"));
	slab0 = slab_active("dpu_fn");
	ref0 = refcnt("dpu");
	ref_sim0 = refcnt("dpu_sim");
	ASSERT_GE(slab0, 0) TH_LOG("no dpu_fn cache in /proc/slabinfo (boot with slab_nomerge)");
	for (i = 0; i < 500; i++) {
		ASSERT_EQ(0, fn_new(self->nl, self->dev, i % 2 ? 0 : 4 * MiB, "acme", &f));
		if (i % 3 == 0)
			ASSERT_EQ(DPU_FN_STATE_READY,
				  fn_wait(self->nl, self->dev, f.index, 5000, &f));
		ASSERT_EQ(0, fn_del(self->nl, self->dev, f.index));
	}
	EXPECT_EQ(slab0, slab_active("dpu_fn"));
	EXPECT_EQ(ref0, refcnt("dpu"));
	EXPECT_EQ(ref_sim0, refcnt("dpu_sim"));
}

TEST_HARNESS_MAIN
