// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests: parsing netlink replies, errors and events built with libmnl. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "libdpu.h"

static char buf[8192];

static struct nlmsghdr *genl_msg(uint8_t cmd)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = 0x20;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = DPU_GENL_VERSION;
	return nlh;
}

static struct nlmsghdr *fn_msg(void)
{
	static const uint8_t mac[6] = { 2, 1, 2, 3, 4, 5 };
	struct nlmsghdr *nlh = genl_msg(DPU_CMD_FN_SET);

	mnl_attr_put_u32(nlh, DPU_A_DEV_INDEX, 2);
	mnl_attr_put_strz(nlh, DPU_A_DEV_NAME, "dpu2");
	mnl_attr_put_u32(nlh, DPU_A_FN_INDEX, 7);
	mnl_attr_put_u8(nlh, DPU_A_FN_TYPE, DPU_FN_TYPE_NET);
	mnl_attr_put_u8(nlh, DPU_A_FN_STATE, DPU_FN_STATE_READY);
	mnl_attr_put_strz(nlh, DPU_A_FN_TENANT, "acme");
	mnl_attr_put(nlh, DPU_A_FN_MAC, 6, mac);
	mnl_attr_put_strz(nlh, DPU_A_FN_NETDEV, "dpu2n7");
	mnl_attr_put_u32(nlh, DPU_A_FN_IFINDEX, 12);
	mnl_attr_put_u32(nlh, DPU_A_FN_NUMA_NODE, (uint32_t)-1);
	return nlh;
}

static void fn_parse_full(void **state)
{
	struct dpu_fn_info f;

	(void)state;
	assert_int_equal(dpu_fn_parse(fn_msg(), &f), 0);
	assert_int_equal(f.cmd, DPU_CMD_FN_SET);
	assert_string_equal(f.dev, "dpu2");
	assert_int_equal(f.dev_index, 2);
	assert_int_equal(f.index, 7);
	assert_int_equal(f.type, DPU_FN_TYPE_NET);
	assert_int_equal(f.state, DPU_FN_STATE_READY);
	assert_string_equal(f.tenant, "acme");
	assert_true(f.has_mac);
	assert_memory_equal(f.mac, ((uint8_t[]){ 2, 1, 2, 3, 4, 5 }), 6);
	assert_string_equal(f.netdev, "dpu2n7");
	assert_int_equal(f.ifindex, 12);
	assert_true(f.has_numa_node);
	assert_int_equal(f.numa_node, -1);
	assert_false(f.has_size);
	assert_false(f.has_error);
}

static void fn_parse_blk_failed(void **state)
{
	struct nlmsghdr *nlh = genl_msg(DPU_CMD_FN_GET);
	struct dpu_fn_info f;

	(void)state;
	mnl_attr_put_strz(nlh, DPU_A_DEV_NAME, "dpu0");
	mnl_attr_put_u32(nlh, DPU_A_FN_INDEX, 0);
	mnl_attr_put_u8(nlh, DPU_A_FN_TYPE, DPU_FN_TYPE_BLK);
	mnl_attr_put_u8(nlh, DPU_A_FN_STATE, DPU_FN_STATE_FAILED);
	mnl_attr_put_u64(nlh, DPU_A_FN_SIZE, 4ULL << 30);
	mnl_attr_put_u32(nlh, DPU_A_FN_ERROR, (uint32_t)-ETIMEDOUT);
	mnl_attr_put_u32(nlh, 200, 1);	/* from a newer kernel: ignored */
	{
		struct nlattr *nest = mnl_attr_nest_start(nlh, DPU_A_FN_LIMITS);

		mnl_attr_put_u64(nlh, DPU_A_LIMIT_BLK_WRITE_BPS, 20000000);
		mnl_attr_put_u64(nlh, DPU_A_LIMIT_BLK_WRITE_BPS_BURST, 2000000);
		mnl_attr_nest_end(nlh, nest);
	}
	assert_int_equal(dpu_fn_parse(nlh, &f), 0);
	assert_true(f.has_size);
	assert_int_equal(f.size, 4ULL << 30);
	assert_true(f.has_error);
	assert_int_equal(f.error, -ETIMEDOUT);
	assert_int_equal(f.limit_rate[dpu_limit_kind_parse("write-bps")], 20000000);
	assert_int_equal(f.limit_burst[dpu_limit_kind_parse("write-bps")], 2000000);
	assert_int_equal(f.limit_rate[dpu_limit_kind_parse("iops")], 0);
}

static void fn_parse_bad(void **state)
{
	struct nlmsghdr *nlh;
	struct dpu_fn_info f;

	(void)state;
	/* no index */
	nlh = genl_msg(DPU_CMD_FN_GET);
	mnl_attr_put_strz(nlh, DPU_A_DEV_NAME, "dpu0");
	mnl_attr_put_u8(nlh, DPU_A_FN_TYPE, 1);
	mnl_attr_put_u8(nlh, DPU_A_FN_STATE, 1);
	assert_int_equal(dpu_fn_parse(nlh, &f), -EBADMSG);
	/* u16 where a u32 belongs */
	nlh = genl_msg(DPU_CMD_FN_GET);
	mnl_attr_put_u16(nlh, DPU_A_FN_INDEX, 1);
	assert_int_equal(dpu_fn_parse(nlh, &f), -EBADMSG);
	/* unterminated string */
	nlh = genl_msg(DPU_CMD_FN_GET);
	mnl_attr_put(nlh, DPU_A_DEV_NAME, 4, "dpu0");
	assert_int_equal(dpu_fn_parse(nlh, &f), -EBADMSG);
	/* a MAC of 5 bytes */
	nlh = genl_msg(DPU_CMD_FN_GET);
	mnl_attr_put(nlh, DPU_A_FN_MAC, 5, "abcde");
	assert_int_equal(dpu_fn_parse(nlh, &f), -EBADMSG);
	/* a tenant longer than the ABI allows */
	nlh = fn_msg();
	mnl_attr_put_strz(nlh, DPU_A_FN_TENANT,
			  "0123456789012345678901234567890123456789012345678901234567890123456789");
	assert_int_equal(dpu_fn_parse(nlh, &f), -EBADMSG);
	/* shorter than a generic header */
	nlh = mnl_nlmsg_put_header(buf);
	assert_int_equal(dpu_fn_parse(nlh, &f), -EBADMSG);
}

static void dev_parse(void **state)
{
	struct nlmsghdr *nlh = genl_msg(DPU_CMD_DEV_GET);
	struct dpu_dev_info d;

	(void)state;
	mnl_attr_put_u32(nlh, DPU_A_DEV_INDEX, 3);
	mnl_attr_put_strz(nlh, DPU_A_DEV_NAME, "dpu3");
	mnl_attr_put_strz(nlh, DPU_A_DEV_BACKEND, "sim");
	mnl_attr_put_strz(nlh, DPU_A_DEV_BUS_NAME, "dpu_sim");
	mnl_attr_put_strz(nlh, DPU_A_DEV_PARENT, "dpu_sim9");
	mnl_attr_put_u32(nlh, DPU_A_DEV_NUMA_NODE, 1);
	assert_int_equal(dpu_dev_parse(nlh, &d), 0);
	assert_int_equal(d.index, 3);
	assert_string_equal(d.name, "dpu3");
	assert_string_equal(d.backend, "sim");
	assert_string_equal(d.bus, "dpu_sim");
	assert_string_equal(d.parent, "dpu_sim9");
	assert_int_equal(d.numa_node, 1);

	nlh = genl_msg(DPU_CMD_DEV_GET);
	mnl_attr_put_strz(nlh, DPU_A_DEV_NAME, "dpu3");
	assert_int_equal(dpu_dev_parse(nlh, &d), -EBADMSG);	/* no index */
}

static struct nlmsghdr *err_msg(int error, uint16_t flags, const char *text,
				bool offs)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nlmsgerr *e;

	nlh->nlmsg_type = NLMSG_ERROR;
	nlh->nlmsg_flags = flags;
	e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));
	e->error = error;
	e->msg.nlmsg_len = sizeof(struct nlmsghdr);
	if (text)
		mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, text);
	if (offs)
		mnl_attr_put_u32(nlh, NLMSGERR_ATTR_OFFS, 28);
	return nlh;
}

static void errors(void **state)
{
	struct dpu_nl_err e;
	struct nlmsghdr *nlh;

	(void)state;
	assert_int_equal(dpu_nl_parse_err(err_msg(0, 0, NULL, false), &e), 0);
	assert_int_equal(e.error, 0);
	assert_string_equal(e.msg, "");

	nlh = err_msg(-ENOENT, NLM_F_CAPPED | NLM_F_ACK_TLVS,
		      "no function with this index on this DPU", true);
	assert_int_equal(dpu_nl_parse_err(nlh, &e), 0);
	assert_int_equal(e.error, -ENOENT);
	assert_string_equal(e.msg, "no function with this index on this DPU");
	assert_true(e.has_offset);
	assert_int_equal(e.offset, 28);

	/* without CAPPED the request is echoed before the TLVs */
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = NLMSG_ERROR;
	nlh->nlmsg_flags = NLM_F_ACK_TLVS;
	{
		struct nlmsgerr *er = mnl_nlmsg_put_extra_header(nlh, sizeof(*er) + 8);

		er->error = -EINVAL;
		er->msg.nlmsg_len = sizeof(struct nlmsghdr) + 8;
	}
	mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, "echoed");
	assert_int_equal(dpu_nl_parse_err(nlh, &e), 0);
	assert_int_equal(e.error, -EINVAL);
	assert_string_equal(e.msg, "echoed");

	/* DONE of a dump with an error */
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = NLMSG_DONE;
	*(int *)mnl_nlmsg_put_extra_header(nlh, sizeof(int)) = -EMSGSIZE;
	assert_int_equal(dpu_nl_parse_err(nlh, &e), 0);
	assert_int_equal(e.error, -EMSGSIZE);

	/* truncated */
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = NLMSG_ERROR;
	assert_int_equal(dpu_nl_parse_err(nlh, &e), -EBADMSG);
	/* not an error at all */
	assert_int_equal(dpu_nl_parse_err(fn_msg(), &e), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fn_parse_full),
		cmocka_unit_test(fn_parse_blk_failed),
		cmocka_unit_test(fn_parse_bad),
		cmocka_unit_test(dev_parse),
		cmocka_unit_test(errors),
	};

	return cmocka_run_group_tests_name("messages", tests, NULL, NULL);
}
