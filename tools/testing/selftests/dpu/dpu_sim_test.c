// SPDX-License-Identifier: GPL-2.0
/*
 * dpupool selftest: the dpu_sim bus (new_device / del_device) and the dpu
 * class devices it creates.
 */
#include <sys/stat.h>

#include "kselftest_harness.h"
#include "dpu_test.h"

#define ID 3000

static int exists(const char *path)
{
	struct stat st;

	return !stat(path, &st);
}

TEST(new_and_del)
{
	char name[32], path[128], buf[64];

	ASSERT_EQ(0, sim_new(ID));
	ASSERT_TRUE(exists(SIM_BUS "/devices/dpu_sim3000"));
	ASSERT_EQ(0, sim_dpu_name(ID, name, sizeof(name)));

	snprintf(path, sizeof(path), "/sys/class/dpu/%s/backend", name);
	ASSERT_EQ(0, sysfs_read(path, buf, sizeof(buf)));
	EXPECT_STREQ("sim", buf);
	snprintf(path, sizeof(path), "/sys/class/dpu/%s/index", name);
	ASSERT_EQ(0, sysfs_read(path, buf, sizeof(buf)));
	EXPECT_STREQ(name + 3, buf);
	ASSERT_EQ(0, sysfs_read(SIM_BUS "/devices/dpu_sim3000/max_fns",
				buf, sizeof(buf)));
	EXPECT_STREQ("4096", buf);

	ASSERT_EQ(0, sim_del(ID));
	EXPECT_FALSE(exists(SIM_BUS "/devices/dpu_sim3000"));
	snprintf(path, sizeof(path), "/sys/class/dpu/%s", name);
	EXPECT_FALSE(exists(path));
}

TEST(max_fns_argument)
{
	char buf[32];

	ASSERT_EQ(0, sysfs_write(SIM_BUS "/new_device", "3001 64\n"));
	ASSERT_EQ(0, sysfs_read(SIM_BUS "/devices/dpu_sim3001/max_fns",
				buf, sizeof(buf)));
	EXPECT_STREQ("64", buf);
	EXPECT_EQ(0, sim_del(3001));
}

TEST(duplicate_id)
{
	ASSERT_EQ(0, sim_new(ID));
	EXPECT_EQ(-EEXIST, sim_new(ID));
	EXPECT_EQ(0, sim_del(ID));
	/* the ID is free again */
	EXPECT_EQ(0, sim_new(ID));
	EXPECT_EQ(0, sim_del(ID));
}

TEST(bad_new_device)
{
	static const char * const bad[] = {
		"abc", "\n", " ", "-1", "0x10", "65536", "1 2 3", "1 0",
		"1 65537", "3002x",
	};
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *in = bad[i];

		EXPECT_EQ(-EINVAL, sysfs_write(SIM_BUS "/new_device", in))
			TH_LOG("input \"%s\"", in);
	}
	EXPECT_FALSE(exists(SIM_BUS "/devices/dpu_sim3002"));
}

TEST(bad_del_device)
{
	EXPECT_EQ(-ENOENT, sim_del(3999));
	EXPECT_EQ(-EINVAL, sysfs_write(SIM_BUS "/del_device", "x"));
	EXPECT_EQ(-EINVAL, sysfs_write(SIM_BUS "/del_device", "1 2"));
}

TEST(indices_reused_after_release)
{
	char a[32], b[32];

	ASSERT_EQ(0, sim_new(ID));
	ASSERT_EQ(0, sim_dpu_name(ID, a, sizeof(a)));
	ASSERT_EQ(0, sim_del(ID));
	ASSERT_EQ(0, sim_new(ID));
	ASSERT_EQ(0, sim_dpu_name(ID, b, sizeof(b)));
	/* the lowest free index is taken again, no leak of indices */
	EXPECT_STREQ(a, b);
	EXPECT_EQ(0, sim_del(ID));
}

TEST(many_cycles)
{
	int i;

	for (i = 0; i < 200; i++) {
		ASSERT_EQ(0, sim_new(ID + (i % 7)));
		ASSERT_EQ(0, sim_del(ID + (i % 7)));
	}
	EXPECT_FALSE(exists(SIM_BUS "/devices/dpu_sim3000"));
}

TEST_HARNESS_MAIN
