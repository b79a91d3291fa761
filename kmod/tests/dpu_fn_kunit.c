// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the function state machine and attribute validation.
 */
#include <kunit/test.h>
#include <linux/string.h>

#include "dpu_fn_lib.h"

#define S_CREATING	DPU_FN_STATE_CREATING
#define S_READY		DPU_FN_STATE_READY
#define S_REMOVING	DPU_FN_STATE_REMOVING
#define S_FAILED	DPU_FN_STATE_FAILED
#define S_GONE		DPU_FN_STATE_GONE
#define S_UNBOUND	DPU_FN_STATE_UNBOUND
#define S_LAST		S_UNBOUND

static void fn_state_legal(struct kunit *test)
{
	static const u8 legal[][2] = {
		{ S_CREATING, S_READY }, { S_CREATING, S_FAILED },
		{ S_CREATING, S_GONE }, { S_CREATING, S_REMOVING },
		{ S_READY, S_REMOVING }, { S_READY, S_GONE },
		{ S_FAILED, S_REMOVING }, { S_GONE, S_REMOVING },
		{ S_READY, S_UNBOUND }, { S_UNBOUND, S_READY },
		{ S_UNBOUND, S_REMOVING }, { S_UNBOUND, S_GONE },
	};
	int i;

	for (i = 0; i < ARRAY_SIZE(legal); i++)
		KUNIT_EXPECT_TRUE_MSG(test,
				      dpu_fn_state_can_move(legal[i][0], legal[i][1]),
				      "%s -> %s", dpu_fn_state_name(legal[i][0]),
				      dpu_fn_state_name(legal[i][1]));
}

/* every pair not in the legal list is refused, including out of range */
static void fn_state_illegal(struct kunit *test)
{
	unsigned int from, to, n_legal = 0;

	for (from = 0; from <= S_LAST + 2; from++) {
		for (to = 0; to <= S_LAST + 2; to++) {
			bool ok = dpu_fn_state_can_move(from, to);

			if (ok)
				n_legal++;
			if (from == to)
				KUNIT_EXPECT_FALSE_MSG(test, ok, "%u -> itself", from);
			if (from == S_REMOVING)
				KUNIT_EXPECT_FALSE_MSG(test, ok, "removing -> %u", to);
			if (to == S_CREATING)
				KUNIT_EXPECT_FALSE_MSG(test, ok, "%u -> creating", from);
			if (from == 0 || to == 0 || from > S_LAST || to > S_LAST)
				KUNIT_EXPECT_FALSE_MSG(test, ok, "%u -> %u", from, to);
		}
	}
	/* exactly the twelve legal transitions */
	KUNIT_EXPECT_EQ(test, n_legal, 12U);
	KUNIT_EXPECT_FALSE(test, dpu_fn_state_can_move(S_UNBOUND, S_FAILED));
	KUNIT_EXPECT_FALSE(test, dpu_fn_state_can_move(S_CREATING, S_UNBOUND));
	KUNIT_EXPECT_FALSE(test, dpu_fn_state_can_move(S_READY, S_FAILED));
	KUNIT_EXPECT_FALSE(test, dpu_fn_state_can_move(S_FAILED, S_READY));
	KUNIT_EXPECT_FALSE(test, dpu_fn_state_can_move(S_GONE, S_READY));
	KUNIT_EXPECT_FALSE(test, dpu_fn_state_can_move(S_READY, S_CREATING));
	KUNIT_EXPECT_FALSE(test, dpu_fn_state_can_move(~0U, S_READY));
	KUNIT_EXPECT_FALSE(test, dpu_fn_state_can_move(S_CREATING, 64));
}

static void fn_names(struct kunit *test)
{
	KUNIT_EXPECT_STREQ(test, dpu_fn_state_name(S_CREATING), "creating");
	KUNIT_EXPECT_STREQ(test, dpu_fn_state_name(S_READY), "ready");
	KUNIT_EXPECT_STREQ(test, dpu_fn_state_name(S_REMOVING), "removing");
	KUNIT_EXPECT_STREQ(test, dpu_fn_state_name(S_FAILED), "failed");
	KUNIT_EXPECT_STREQ(test, dpu_fn_state_name(S_GONE), "gone");
	KUNIT_EXPECT_STREQ(test, dpu_fn_state_name(S_UNBOUND), "unbound");
	KUNIT_EXPECT_STREQ(test, dpu_fn_state_name(0), "unknown");
	KUNIT_EXPECT_STREQ(test, dpu_fn_state_name(99), "unknown");
	KUNIT_EXPECT_STREQ(test, dpu_fn_type_name(DPU_FN_TYPE_BLK), "blk");
	KUNIT_EXPECT_STREQ(test, dpu_fn_type_name(DPU_FN_TYPE_NET), "net");
	KUNIT_EXPECT_STREQ(test, dpu_fn_type_name(0), "unknown");
	KUNIT_EXPECT_STREQ(test, dpu_fn_type_name(3), "unknown");
}

static void tenant_names(struct kunit *test)
{
	char long_name[DPU_TENANT_LEN + 1];

	KUNIT_EXPECT_NULL(test, dpu_tenant_name_check("acme"));
	KUNIT_EXPECT_NULL(test, dpu_tenant_name_check("a"));
	KUNIT_EXPECT_NULL(test, dpu_tenant_name_check("team-1.prod_x"));
	KUNIT_EXPECT_STREQ(test, dpu_tenant_name_check(""), "tenant name is empty");
	KUNIT_EXPECT_NOT_NULL(test, dpu_tenant_name_check("-x"));
	KUNIT_EXPECT_NOT_NULL(test, dpu_tenant_name_check(".x"));
	KUNIT_EXPECT_NOT_NULL(test, dpu_tenant_name_check("a b"));
	KUNIT_EXPECT_NOT_NULL(test, dpu_tenant_name_check("a/b"));
	KUNIT_EXPECT_NOT_NULL(test, dpu_tenant_name_check("caf\xc3\xa9"));
	/* Latin-1 letters are alpha to the kernel's ctype: not to us */
	KUNIT_EXPECT_NOT_NULL(test, dpu_tenant_name_check("caf\xe9"));
	KUNIT_EXPECT_NOT_NULL(test, dpu_tenant_name_check("\xff"));
	KUNIT_EXPECT_NOT_NULL(test, dpu_tenant_name_check("a\xc0b"));

	memset(long_name, 'a', DPU_TENANT_LEN - 1);
	long_name[DPU_TENANT_LEN - 1] = '\0';
	KUNIT_EXPECT_NULL(test, dpu_tenant_name_check(long_name));
	long_name[DPU_TENANT_LEN - 1] = 'a';
	long_name[DPU_TENANT_LEN] = '\0';
	KUNIT_EXPECT_STREQ(test, dpu_tenant_name_check(long_name),
			   "tenant name is too long");
}

static void fn_sizes(struct kunit *test)
{
	KUNIT_EXPECT_NULL(test, dpu_fn_size_check(4096));
	KUNIT_EXPECT_NULL(test, dpu_fn_size_check(4ULL << 30));
	KUNIT_EXPECT_NULL(test, dpu_fn_size_check(DPU_FN_SIZE_MAX));
	KUNIT_EXPECT_STREQ(test, dpu_fn_size_check(0), "disk size is zero");
	KUNIT_EXPECT_NOT_NULL(test, dpu_fn_size_check(512));
	KUNIT_EXPECT_NOT_NULL(test, dpu_fn_size_check(4097));
	KUNIT_EXPECT_NOT_NULL(test, dpu_fn_size_check(DPU_FN_SIZE_MAX + 4096));
	KUNIT_EXPECT_NOT_NULL(test, dpu_fn_size_check(~0ULL & ~4095ULL));
}

static void fn_macs(struct kunit *test)
{
	static const u8 good[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
	static const u8 zero[6];
	static const u8 mcast[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };
	static const u8 bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

	KUNIT_EXPECT_NULL(test, dpu_fn_mac_check(good));
	KUNIT_EXPECT_STREQ(test, dpu_fn_mac_check(zero), "MAC address is all zeros");
	KUNIT_EXPECT_STREQ(test, dpu_fn_mac_check(mcast), "MAC address is multicast");
	KUNIT_EXPECT_STREQ(test, dpu_fn_mac_check(bcast), "MAC address is multicast");
}

static struct kunit_case dpu_fn_cases[] = {
	KUNIT_CASE(fn_state_legal),
	KUNIT_CASE(fn_state_illegal),
	KUNIT_CASE(fn_names),
	KUNIT_CASE(tenant_names),
	KUNIT_CASE(fn_sizes),
	KUNIT_CASE(fn_macs),
	{}
};

static struct kunit_suite dpu_fn_suite = {
	.name = "dpu_fn",
	.test_cases = dpu_fn_cases,
};

kunit_test_suite(dpu_fn_suite);
