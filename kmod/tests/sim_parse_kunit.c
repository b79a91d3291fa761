// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for dpu_sim's bus control file parsing.
 */
#include <kunit/test.h>
#include <linux/string.h>

#include "dpu_sim.h"

static int parse_new(const char *s, struct dpu_sim_new_args *args)
{
	return dpu_sim_parse_new(s, strlen(s), args);
}

static void sim_parse_new_id_only(struct kunit *test)
{
	struct dpu_sim_new_args args;

	KUNIT_ASSERT_EQ(test, parse_new("3\n", &args), 0);
	KUNIT_EXPECT_EQ(test, args.id, 3U);
	KUNIT_EXPECT_EQ(test, args.max_fns, (u32)DPU_SIM_DEFAULT_FNS);

	KUNIT_ASSERT_EQ(test, parse_new("0", &args), 0);
	KUNIT_EXPECT_EQ(test, args.id, 0U);
}

static void sim_parse_new_id_and_fns(struct kunit *test)
{
	struct dpu_sim_new_args args;

	KUNIT_ASSERT_EQ(test, parse_new("  12   64\n", &args), 0);
	KUNIT_EXPECT_EQ(test, args.id, 12U);
	KUNIT_EXPECT_EQ(test, args.max_fns, 64U);

	KUNIT_ASSERT_EQ(test, parse_new("1\t1", &args), 0);
	KUNIT_EXPECT_EQ(test, args.max_fns, 1U);
}

static void sim_parse_new_limits(struct kunit *test)
{
	struct dpu_sim_new_args args;
	char buf[32];

	snprintf(buf, sizeof(buf), "%u %u", DPU_SIM_MAX_ID, DPU_SIM_MAX_FNS);
	KUNIT_ASSERT_EQ(test, parse_new(buf, &args), 0);
	KUNIT_EXPECT_EQ(test, args.id, (u32)DPU_SIM_MAX_ID);
	KUNIT_EXPECT_EQ(test, args.max_fns, (u32)DPU_SIM_MAX_FNS);

	snprintf(buf, sizeof(buf), "%u", DPU_SIM_MAX_ID + 1);
	KUNIT_EXPECT_EQ(test, parse_new(buf, &args), -EINVAL);
	snprintf(buf, sizeof(buf), "1 %u", DPU_SIM_MAX_FNS + 1);
	KUNIT_EXPECT_EQ(test, parse_new(buf, &args), -EINVAL);
	KUNIT_EXPECT_EQ(test, parse_new("1 0", &args), -EINVAL);
	/* u32 overflow is an error, not a wrap */
	KUNIT_EXPECT_EQ(test, parse_new("4294967296", &args), -EINVAL);
}

static void sim_parse_new_garbage(struct kunit *test)
{
	static const char * const bad[] = {
		"", "\n", "   ", "abc", "1a", "-1", "+1", "0x10", "1 2 3",
		"1,2", "1 abc", "12345678901234567890123456789012345",
	};
	struct dpu_sim_new_args args = { .id = 77, .max_fns = 88 };
	int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++)
		KUNIT_EXPECT_EQ_MSG(test, parse_new(bad[i], &args), -EINVAL,
				    "input \"%s\"", bad[i]);
	/* failed parses leave the output alone */
	KUNIT_EXPECT_EQ(test, args.id, 77U);
}

static void sim_parse_new_embedded_nul(struct kunit *test)
{
	struct dpu_sim_new_args args;
	static const char buf[] = { '1', '\0', '2' };

	KUNIT_EXPECT_EQ(test, dpu_sim_parse_new(buf, sizeof(buf), &args),
			-EINVAL);
	/* the count bounds the read: "12" with count 1 is "1" */
	KUNIT_ASSERT_EQ(test, dpu_sim_parse_new("12", 1, &args), 0);
	KUNIT_EXPECT_EQ(test, args.id, 1U);
}

static void sim_parse_del(struct kunit *test)
{
	u32 id = 99;

	KUNIT_ASSERT_EQ(test, dpu_sim_parse_del("5\n", 2, &id), 0);
	KUNIT_EXPECT_EQ(test, id, 5U);
	KUNIT_EXPECT_EQ(test, dpu_sim_parse_del("5 6", 3, &id), -EINVAL);
	KUNIT_EXPECT_EQ(test, dpu_sim_parse_del("x", 1, &id), -EINVAL);
	KUNIT_EXPECT_EQ(test, dpu_sim_parse_del("", 0, &id), -EINVAL);
	KUNIT_EXPECT_EQ(test, dpu_sim_parse_del("65536", 5, &id), -EINVAL);
	KUNIT_EXPECT_EQ(test, id, 5U);
}

static struct kunit_case sim_parse_cases[] = {
	KUNIT_CASE(sim_parse_new_id_only),
	KUNIT_CASE(sim_parse_new_id_and_fns),
	KUNIT_CASE(sim_parse_new_limits),
	KUNIT_CASE(sim_parse_new_garbage),
	KUNIT_CASE(sim_parse_new_embedded_nul),
	KUNIT_CASE(sim_parse_del),
	{}
};

static struct kunit_suite sim_parse_suite = {
	.name = "dpu_sim_parse",
	.test_cases = sim_parse_cases,
};

kunit_test_suite(sim_parse_suite);

MODULE_LICENSE("GPL");
