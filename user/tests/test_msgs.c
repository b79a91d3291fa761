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
	/* no capacity, no load: none reported */
	assert_int_equal(d.io_capacity_iops, 0);
	assert_false(d.has_io_load);

	/* block I/O capacity and load (version 5) */
	nlh = genl_msg(DPU_CMD_DEV_GET);
	mnl_attr_put_u32(nlh, DPU_A_DEV_INDEX, 3);
	mnl_attr_put_strz(nlh, DPU_A_DEV_NAME, "dpu3");
	mnl_attr_put_u64(nlh, DPU_A_DEV_IO_CAPACITY_IOPS, 20000);
	mnl_attr_put_u64(nlh, DPU_A_DEV_IO_CAPACITY_BPS, 400ull << 20);
	mnl_attr_put_u64(nlh, DPU_A_DEV_IO_LOAD_IOPS, 19500);
	mnl_attr_put_u64(nlh, DPU_A_DEV_IO_LOAD_BPS, 80ull << 20);
	mnl_attr_put_u8(nlh, DPU_A_DEV_IO_SATURATED, 1);
	assert_int_equal(dpu_dev_parse(nlh, &d), 0);
	assert_int_equal(d.io_capacity_iops, 20000);
	assert_int_equal(d.io_capacity_bps, 400ull << 20);
	assert_int_equal(d.io_load_iops, 19500);
	assert_int_equal(d.io_load_bps, 80ull << 20);
	assert_true(d.has_io_load);
	assert_true(d.io_saturated);
	/* a load that is not a u64 */
	nlh = genl_msg(DPU_CMD_DEV_GET);
	mnl_attr_put_u32(nlh, DPU_A_DEV_INDEX, 3);
	mnl_attr_put_strz(nlh, DPU_A_DEV_NAME, "dpu3");
	mnl_attr_put_u32(nlh, DPU_A_DEV_IO_LOAD_IOPS, 1);
	assert_int_equal(dpu_dev_parse(nlh, &d), -EBADMSG);

	/* limits left to the host (version 6): none unless reported */
	assert_int_equal(d.host_limits, 0);
	nlh = genl_msg(DPU_CMD_DEV_GET);
	mnl_attr_put_u32(nlh, DPU_A_DEV_INDEX, 3);
	mnl_attr_put_strz(nlh, DPU_A_DEV_NAME, "dpu3");
	mnl_attr_put_u32(nlh, DPU_A_DEV_HOST_LIMITS,
			 1u << DPU_LIMIT_KIND(DPU_A_LIMIT_NET_TX_BPS) |
			 1u << DPU_LIMIT_KIND(DPU_A_LIMIT_NET_RX_PPS));
	assert_int_equal(dpu_dev_parse(nlh, &d), 0);
	assert_int_equal(d.host_limits, (1u << 6) | (1u << 9));
	assert_string_equal(dpu_limit_names[6], "tx-bps");
	assert_string_equal(dpu_limit_names[9], "rx-pps");
	nlh = genl_msg(DPU_CMD_DEV_GET);
	mnl_attr_put_u32(nlh, DPU_A_DEV_INDEX, 3);
	mnl_attr_put_u8(nlh, DPU_A_DEV_HOST_LIMITS, 1);
	assert_int_equal(dpu_dev_parse(nlh, &d), -EBADMSG);	/* not a u32 */

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

/* ------------------------------------------------------------ tenants */

/* Attributes of a request (after its generic header) by type; fails the
 * test on a duplicate or an attribute type beyond the family's. */
static void req_attrs(const struct nlmsghdr *nlh,
		      const struct nlattr *tb[DPU_A_MAX + 1])
{
	const struct nlattr *a;

	memset(tb, 0, sizeof(*tb) * (DPU_A_MAX + 1));
	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		assert_in_range(mnl_attr_get_type(a), 1, DPU_A_MAX);
		assert_null(tb[mnl_attr_get_type(a)]);
		tb[mnl_attr_get_type(a)] = a;
	}
}

static int count_attrs(const struct nlattr *const tb[DPU_A_MAX + 1])
{
	int i, n = 0;

	for (i = 0; i <= DPU_A_MAX; i++)
		n += tb[i] != NULL;
	return n;
}

static void tenant_req_new(void **state)
{
	struct nlmsghdr *nlh = genl_msg(DPU_CMD_TENANT_NEW);
	const struct nlattr *tb[DPU_A_MAX + 1], *l;
	struct dpu_limits_req lim = { 0 };
	char err[128];
	int n = 0;

	(void)state;
	lim.has_rate[0] = true;			/* iops 5k iops-burst 500 */
	lim.rate[0] = 5000;
	lim.has_burst[0] = true;
	lim.burst[0] = 500;
	lim.has_rate[6] = true;			/* tx-bps 0: remove */
	lim.rate[6] = 0;
	assert_int_equal(dpu_tenant_msg_put(nlh, DPU_CMD_TENANT_NEW, "dpu0",
					    "acme", "root", &lim, err,
					    sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(((struct genlmsghdr *)mnl_nlmsg_get_payload(nlh))->cmd,
			 DPU_CMD_TENANT_NEW);
	req_attrs(nlh, tb);
	assert_int_equal(count_attrs(tb), 4);
	assert_string_equal(mnl_attr_get_str(tb[DPU_A_DEV_NAME]), "dpu0");
	assert_string_equal(mnl_attr_get_str(tb[DPU_A_TENANT_NAME]), "acme");
	assert_string_equal(mnl_attr_get_str(tb[DPU_A_TENANT_PARENT]), "root");
	assert_non_null(tb[DPU_A_TENANT_LIMITS]);
	assert_true(tb[DPU_A_TENANT_LIMITS]->nla_type & NLA_F_NESTED);
	mnl_attr_for_each_nested(l, tb[DPU_A_TENANT_LIMITS]) {
		assert_int_equal(mnl_attr_get_payload_len(l), 8);
		switch (n++) {
		case 0:
			assert_int_equal(mnl_attr_get_type(l), DPU_A_LIMIT_BLK_IOPS);
			assert_int_equal(mnl_attr_get_u64(l), 5000);
			break;
		case 1:
			assert_int_equal(mnl_attr_get_type(l),
					 DPU_A_LIMIT_BLK_IOPS_BURST);
			assert_int_equal(mnl_attr_get_u64(l), 500);
			break;
		case 2:
			assert_int_equal(mnl_attr_get_type(l),
					 DPU_A_LIMIT_NET_TX_BPS);
			assert_int_equal(mnl_attr_get_u64(l), 0);
			break;
		}
	}
	assert_int_equal(n, 3);
	/* and dpu_fn_set's nest is the same builder */
	nlh = genl_msg(DPU_CMD_FN_SET);
	dpu_limits_put(nlh, DPU_A_FN_LIMITS, &lim);
	req_attrs(nlh, tb);
	assert_int_equal(count_attrs(tb), 1);
	n = 0;
	mnl_attr_for_each_nested(l, tb[DPU_A_FN_LIMITS])
		n++;
	assert_int_equal(n, 3);
}

static void tenant_req_parent(void **state)
{
	const struct nlattr *tb[DPU_A_MAX + 1];
	struct dpu_limits_req lim = { 0 };
	struct nlmsghdr *nlh;
	char err[128];

	(void)state;
	/* SET parent "": make it a root, sent as an empty string */
	nlh = genl_msg(DPU_CMD_TENANT_SET);
	assert_int_equal(dpu_tenant_msg_put(nlh, DPU_CMD_TENANT_SET, "dpu1",
					    "web", "", NULL, err, sizeof(err)), 0);
	req_attrs(nlh, tb);
	assert_int_equal(count_attrs(tb), 3);
	assert_string_equal(mnl_attr_get_str(tb[DPU_A_DEV_NAME]), "dpu1");
	assert_string_equal(mnl_attr_get_str(tb[DPU_A_TENANT_NAME]), "web");
	assert_non_null(tb[DPU_A_TENANT_PARENT]);
	assert_int_equal(mnl_attr_get_payload_len(tb[DPU_A_TENANT_PARENT]), 1);
	assert_string_equal(mnl_attr_get_str(tb[DPU_A_TENANT_PARENT]), "");
	assert_null(tb[DPU_A_TENANT_LIMITS]);

	/* SET limits only: no parent attribute */
	lim.has_rate[9] = true;		/* rx-pps */
	lim.rate[9] = 100000;
	nlh = genl_msg(DPU_CMD_TENANT_SET);
	assert_int_equal(dpu_tenant_msg_put(nlh, DPU_CMD_TENANT_SET, "dpu1",
					    "web", NULL, &lim, err, sizeof(err)), 0);
	req_attrs(nlh, tb);
	assert_null(tb[DPU_A_TENANT_PARENT]);
	assert_non_null(tb[DPU_A_TENANT_LIMITS]);
	assert_int_equal(mnl_attr_get_type(mnl_attr_get_payload(tb[DPU_A_TENANT_LIMITS])),
			 DPU_A_LIMIT_NET_RX_PPS);
	assert_int_equal(mnl_attr_get_u64(mnl_attr_get_payload(tb[DPU_A_TENANT_LIMITS])),
			 100000);

	/* NEW parent "": a root, nothing sent */
	nlh = genl_msg(DPU_CMD_TENANT_NEW);
	assert_int_equal(dpu_tenant_msg_put(nlh, DPU_CMD_TENANT_NEW, "dpu1",
					    "web", "", NULL, err, sizeof(err)), 0);
	req_attrs(nlh, tb);
	assert_int_equal(count_attrs(tb), 2);
	assert_null(tb[DPU_A_TENANT_PARENT]);
}

static void tenant_req_del_get(void **state)
{
	const struct nlattr *tb[DPU_A_MAX + 1];
	struct dpu_limits_req lim = { .has_rate = { true }, .rate = { 1 } };
	struct nlmsghdr *nlh;
	char err[128];

	(void)state;
	/* DEL and GET carry device and name only, whatever else is given */
	nlh = genl_msg(DPU_CMD_TENANT_DEL);
	assert_int_equal(dpu_tenant_msg_put(nlh, DPU_CMD_TENANT_DEL, "dpu0",
					    "acme", "x", &lim, err, sizeof(err)), 0);
	req_attrs(nlh, tb);
	assert_int_equal(count_attrs(tb), 2);
	assert_string_equal(mnl_attr_get_str(tb[DPU_A_DEV_NAME]), "dpu0");
	assert_string_equal(mnl_attr_get_str(tb[DPU_A_TENANT_NAME]), "acme");

	nlh = genl_msg(DPU_CMD_TENANT_GET);
	assert_int_equal(dpu_tenant_msg_put(nlh, DPU_CMD_TENANT_GET, "dpu0",
					    "acme", NULL, NULL, err, sizeof(err)), 0);
	req_attrs(nlh, tb);
	assert_int_equal(count_attrs(tb), 2);

	/* a dump: all devices (nothing), or one */
	nlh = genl_msg(DPU_CMD_TENANT_GET);
	nlh->nlmsg_flags |= NLM_F_DUMP;
	assert_int_equal(dpu_tenant_msg_put(nlh, DPU_CMD_TENANT_GET, NULL,
					    NULL, NULL, NULL, err, sizeof(err)), 0);
	assert_int_equal(nlh->nlmsg_len,
			 MNL_ALIGN(sizeof(*nlh)) + MNL_ALIGN(sizeof(struct genlmsghdr)));
	nlh = genl_msg(DPU_CMD_TENANT_GET);
	nlh->nlmsg_flags |= NLM_F_DUMP;
	assert_int_equal(dpu_tenant_msg_put(nlh, DPU_CMD_TENANT_GET, "dpu3",
					    NULL, NULL, NULL, err, sizeof(err)), 0);
	req_attrs(nlh, tb);
	assert_int_equal(count_attrs(tb), 1);
	assert_string_equal(mnl_attr_get_str(tb[DPU_A_DEV_NAME]), "dpu3");
}

static void tenant_req_bad(void **state)
{
	char err[128], longname[DPU_TENANT_LEN + 1];
	struct nlmsghdr *nlh;

	(void)state;
	nlh = genl_msg(DPU_CMD_TENANT_NEW);
	assert_int_equal(dpu_tenant_msg_put(nlh, DPU_CMD_TENANT_NEW, "dpu0",
					    NULL, NULL, NULL, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "tenant name required");

	nlh = genl_msg(DPU_CMD_TENANT_GET);	/* not a dump: name needed */
	assert_int_equal(dpu_tenant_msg_put(nlh, DPU_CMD_TENANT_GET, "dpu0",
					    NULL, NULL, NULL, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "tenant name required");

	nlh = genl_msg(DPU_CMD_TENANT_DEL);
	assert_int_equal(dpu_tenant_msg_put(nlh, DPU_CMD_TENANT_DEL, "", "a",
					    NULL, NULL, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "no DPU device given");

	memset(longname, 'a', DPU_TENANT_LEN);
	longname[DPU_TENANT_LEN] = '\0';
	nlh = genl_msg(DPU_CMD_TENANT_NEW);
	assert_int_equal(dpu_tenant_msg_put(nlh, DPU_CMD_TENANT_NEW, "dpu0",
					    longname, NULL, NULL, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "tenant name \"aaaa"));
	assert_non_null(strstr(err, "is longer than 63 characters"));

	nlh = genl_msg(DPU_CMD_TENANT_SET);
	assert_int_equal(dpu_tenant_msg_put(nlh, DPU_CMD_TENANT_SET, "dpu0",
					    "ok", longname, NULL, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "parent tenant name"));

	nlh = genl_msg(DPU_CMD_TENANT_SET);
	assert_int_equal(dpu_tenant_msg_put(nlh, DPU_CMD_TENANT_SET,
					    "dpu0123456789abcdef", "ok", NULL,
					    NULL, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "device name \"dpu0123456789abcdef\" is longer than 15 characters");

	/* 63 characters are fine */
	longname[DPU_TENANT_LEN - 1] = '\0';
	nlh = genl_msg(DPU_CMD_TENANT_NEW);
	assert_int_equal(dpu_tenant_msg_put(nlh, DPU_CMD_TENANT_NEW, "dpu0",
					    longname, NULL, NULL, err, sizeof(err)), 0);
}

static void put_stats(struct nlmsghdr *nlh, uint16_t type, uint64_t base)
{
	struct nlattr *nest = mnl_attr_nest_start(nlh, type);
	uint16_t t;

	for (t = DPU_A_STAT_BLK_IOS; t <= DPU_A_STAT_QUEUED; t++)
		mnl_attr_put_u64(nlh, t, base + t);
	mnl_attr_put_u64(nlh, 99, 1);	/* a newer counter: ignored */
	mnl_attr_nest_end(nlh, nest);
}

static struct nlmsghdr *tenant_msg(uint8_t cmd)
{
	struct nlmsghdr *nlh = genl_msg(cmd);
	struct nlattr *nest;

	mnl_attr_put_u32(nlh, DPU_A_DEV_INDEX, 1);
	mnl_attr_put_strz(nlh, DPU_A_DEV_NAME, "dpu1");
	mnl_attr_put_strz(nlh, DPU_A_TENANT_NAME, "acme.web");
	mnl_attr_put_strz(nlh, DPU_A_TENANT_PARENT, "acme");
	mnl_attr_put_u32(nlh, DPU_A_TENANT_DEPTH, 1);
	mnl_attr_put_u32(nlh, DPU_A_TENANT_NUM_FNS, 2);
	mnl_attr_put_u32(nlh, DPU_A_TENANT_NUM_CHILDREN, 3);
	nest = mnl_attr_nest_start(nlh, DPU_A_TENANT_LIMITS);
	mnl_attr_put_u64(nlh, DPU_A_LIMIT_BLK_IOPS, 5000);
	mnl_attr_put_u64(nlh, DPU_A_LIMIT_BLK_IOPS_BURST, 500);
	mnl_attr_put_u64(nlh, DPU_A_LIMIT_NET_RX_PPS, 200000);
	mnl_attr_put_u64(nlh, DPU_A_LIMIT_NET_RX_PPS_BURST, 20000);
	mnl_attr_put_u64(nlh, 77, 1);	/* a newer kind: ignored */
	mnl_attr_nest_end(nlh, nest);
	put_stats(nlh, DPU_A_TENANT_STATS, 1000);
	mnl_attr_put_u32(nlh, 201, 1);	/* from a newer kernel: ignored */
	return nlh;
}

static void tenant_parse_full(void **state)
{
	struct dpu_tenant_info t;
	int k;

	(void)state;
	assert_int_equal(dpu_tenant_parse(tenant_msg(DPU_CMD_TENANT_GET), &t), 0);
	assert_int_equal(t.cmd, DPU_CMD_TENANT_GET);
	assert_int_equal(t.dev_index, 1);
	assert_string_equal(t.dev, "dpu1");
	assert_string_equal(t.name, "acme.web");
	assert_string_equal(t.parent, "acme");
	assert_int_equal(t.depth, 1);
	assert_int_equal(t.num_fns, 2);
	assert_int_equal(t.num_children, 3);
	assert_int_equal(t.limit_rate[0], 5000);
	assert_int_equal(t.limit_burst[0], 500);
	k = dpu_limit_kind_parse("rx-pps");
	assert_int_equal(t.limit_rate[k], 200000);
	assert_int_equal(t.limit_burst[k], 20000);
	for (k = 1; k < DPU_LIMIT_KINDS - 1; k++) {
		assert_int_equal(t.limit_rate[k], 0);
		assert_int_equal(t.limit_burst[k], 0);
	}
	assert_true(t.has_stats);
	assert_int_equal(t.stats.blk_ios, 1000 + DPU_A_STAT_BLK_IOS);
	assert_int_equal(t.stats.blk_bytes, 1000 + DPU_A_STAT_BLK_BYTES);
	assert_int_equal(t.stats.tx_packets, 1000 + DPU_A_STAT_NET_TX_PACKETS);
	assert_int_equal(t.stats.tx_bytes, 1000 + DPU_A_STAT_NET_TX_BYTES);
	assert_int_equal(t.stats.rx_packets, 1000 + DPU_A_STAT_NET_RX_PACKETS);
	assert_int_equal(t.stats.rx_bytes, 1000 + DPU_A_STAT_NET_RX_BYTES);
	assert_int_equal(t.stats.rx_dropped, 1000 + DPU_A_STAT_NET_RX_DROPPED);
	assert_int_equal(t.stats.throttled, 1000 + DPU_A_STAT_THROTTLED);
	assert_int_equal(t.stats.throttled_ns, 1000 + DPU_A_STAT_THROTTLED_NS);
	assert_int_equal(t.stats.queued, 1000 + DPU_A_STAT_QUEUED);
}

static void tenant_parse_root_del(void **state)
{
	struct nlmsghdr *nlh = genl_msg(DPU_CMD_TENANT_DEL);
	struct dpu_tenant_info t;

	(void)state;
	/* a DEL notification of a root: no parent, no limits, no stats */
	mnl_attr_put_u32(nlh, DPU_A_DEV_INDEX, 0);
	mnl_attr_put_strz(nlh, DPU_A_DEV_NAME, "dpu0");
	mnl_attr_put_strz(nlh, DPU_A_TENANT_NAME, "acme");
	mnl_attr_put_u32(nlh, DPU_A_TENANT_DEPTH, 0);
	mnl_attr_put_u32(nlh, DPU_A_TENANT_NUM_FNS, 0);
	mnl_attr_put_u32(nlh, DPU_A_TENANT_NUM_CHILDREN, 0);
	assert_int_equal(dpu_tenant_parse(nlh, &t), 0);
	assert_int_equal(t.cmd, DPU_CMD_TENANT_DEL);
	assert_string_equal(t.name, "acme");
	assert_string_equal(t.parent, "");
	assert_false(t.has_stats);
	assert_int_equal(t.limit_rate[0], 0);
}

static void tenant_parse_bad(void **state)
{
	struct nlmsghdr *nlh;
	struct nlattr *nest;
	struct dpu_tenant_info t;

	(void)state;
	/* no name */
	nlh = genl_msg(DPU_CMD_TENANT_GET);
	mnl_attr_put_strz(nlh, DPU_A_DEV_NAME, "dpu0");
	assert_int_equal(dpu_tenant_parse(nlh, &t), -EBADMSG);
	/* no device */
	nlh = genl_msg(DPU_CMD_TENANT_GET);
	mnl_attr_put_strz(nlh, DPU_A_TENANT_NAME, "acme");
	assert_int_equal(dpu_tenant_parse(nlh, &t), -EBADMSG);
	/* u16 depth */
	nlh = tenant_msg(DPU_CMD_TENANT_GET);
	mnl_attr_put_u16(nlh, DPU_A_TENANT_DEPTH, 1);
	assert_int_equal(dpu_tenant_parse(nlh, &t), -EBADMSG);
	/* a u32 counter */
	nlh = tenant_msg(DPU_CMD_TENANT_GET);
	nest = mnl_attr_nest_start(nlh, DPU_A_TENANT_STATS);
	mnl_attr_put_u32(nlh, DPU_A_STAT_QUEUED, 1);
	mnl_attr_nest_end(nlh, nest);
	assert_int_equal(dpu_tenant_parse(nlh, &t), -EBADMSG);
	/* a u32 limit */
	nlh = tenant_msg(DPU_CMD_TENANT_GET);
	nest = mnl_attr_nest_start(nlh, DPU_A_TENANT_LIMITS);
	mnl_attr_put_u32(nlh, DPU_A_LIMIT_BLK_BPS, 1);
	mnl_attr_nest_end(nlh, nest);
	assert_int_equal(dpu_tenant_parse(nlh, &t), -EBADMSG);
	/* a parent longer than the ABI allows */
	nlh = tenant_msg(DPU_CMD_TENANT_GET);
	mnl_attr_put_strz(nlh, DPU_A_TENANT_PARENT,
			  "0123456789012345678901234567890123456789012345678901234567890123456789");
	assert_int_equal(dpu_tenant_parse(nlh, &t), -EBADMSG);
	/* unterminated name */
	nlh = genl_msg(DPU_CMD_TENANT_GET);
	mnl_attr_put_strz(nlh, DPU_A_DEV_NAME, "dpu0");
	mnl_attr_put(nlh, DPU_A_TENANT_NAME, 4, "acme");
	assert_int_equal(dpu_tenant_parse(nlh, &t), -EBADMSG);
	/* shorter than a generic header */
	nlh = mnl_nlmsg_put_header(buf);
	assert_int_equal(dpu_tenant_parse(nlh, &t), -EBADMSG);
}

static void fn_parse_effective_stats(void **state)
{
	struct nlmsghdr *nlh = fn_msg();
	struct nlattr *nest;
	struct dpu_fn_info f;
	int tx = dpu_limit_kind_parse("tx-bps");

	(void)state;
	nest = mnl_attr_nest_start(nlh, DPU_A_FN_LIMITS);
	mnl_attr_put_u64(nlh, DPU_A_LIMIT_NET_TX_BPS, 100000000);
	mnl_attr_put_u64(nlh, DPU_A_LIMIT_NET_TX_BPS_BURST, 10000000);
	mnl_attr_nest_end(nlh, nest);
	nest = mnl_attr_nest_start(nlh, DPU_A_FN_EFFECTIVE_LIMITS);
	mnl_attr_put_u64(nlh, DPU_A_LIMIT_NET_TX_BPS, 50000000);
	mnl_attr_put_u64(nlh, DPU_A_LIMIT_NET_TX_BPS_BURST, 5000000);
	mnl_attr_put_u64(nlh, DPU_A_LIMIT_NET_RX_PPS, 1000);
	mnl_attr_put_u64(nlh, DPU_A_LIMIT_NET_RX_PPS_BURST, 100);
	mnl_attr_nest_end(nlh, nest);
	put_stats(nlh, DPU_A_FN_STATS, 0);
	assert_int_equal(dpu_fn_parse(nlh, &f), 0);
	assert_int_equal(f.limit_rate[tx], 100000000);
	assert_int_equal(f.limit_burst[tx], 10000000);
	assert_int_equal(f.eff_rate[tx], 50000000);
	assert_int_equal(f.eff_burst[tx], 5000000);
	assert_int_equal(f.eff_rate[dpu_limit_kind_parse("rx-pps")], 1000);
	assert_int_equal(f.eff_burst[dpu_limit_kind_parse("rx-pps")], 100);
	assert_int_equal(f.limit_rate[dpu_limit_kind_parse("rx-pps")], 0);
	assert_int_equal(f.eff_rate[0], 0);
	assert_true(f.has_stats);
	assert_int_equal(f.stats.blk_ios, DPU_A_STAT_BLK_IOS);
	assert_int_equal(f.stats.rx_dropped, DPU_A_STAT_NET_RX_DROPPED);
	assert_int_equal(f.stats.queued, DPU_A_STAT_QUEUED);

	/* without them: none */
	assert_int_equal(dpu_fn_parse(fn_msg(), &f), 0);
	assert_false(f.has_stats);
	assert_int_equal(f.eff_rate[tx], 0);

	nlh = fn_msg();
	nest = mnl_attr_nest_start(nlh, DPU_A_FN_EFFECTIVE_LIMITS);
	mnl_attr_put_u32(nlh, DPU_A_LIMIT_NET_TX_BPS, 1);
	mnl_attr_nest_end(nlh, nest);
	assert_int_equal(dpu_fn_parse(nlh, &f), -EBADMSG);
}

/* events: several messages in one buffer, as read from the socket */
struct ev_log {
	int fns, tenants;
	char what[8][192];
	int stop_at;		/* stop (return 7) at this event, 1-based */
};

static int ev_fn(const struct dpu_fn_info *f, void *arg)
{
	struct ev_log *log = arg;
	int n = log->fns + log->tenants;

	snprintf(log->what[n], sizeof(log->what[n]), "fn %u %s/%u %s", f->cmd,
		 f->dev, f->index, f->tenant);
	log->fns++;
	return n + 1 == log->stop_at ? 7 : 0;
}

static int ev_tenant(const struct dpu_tenant_info *t, void *arg)
{
	struct ev_log *log = arg;
	int n = log->fns + log->tenants;

	snprintf(log->what[n], sizeof(log->what[n]), "tenant %u %s/%s %s %d",
		 t->cmd, t->dev, t->name, t->parent, t->has_stats);
	log->tenants++;
	return n + 1 == log->stop_at ? 7 : 0;
}

static char evbuf[16384];

/* copy the message built in buf to evbuf at *len */
static void ev_add(size_t *len, const struct nlmsghdr *nlh)
{
	assert_true(*len + nlh->nlmsg_len <= sizeof(evbuf));
	memcpy(evbuf + *len, nlh, nlh->nlmsg_len);
	*len += MNL_ALIGN(nlh->nlmsg_len);
}

static size_t ev_buffer(void)
{
	struct nlmsghdr *nlh;
	size_t len = 0;

	ev_add(&len, tenant_msg(DPU_CMD_TENANT_NEW));
	ev_add(&len, fn_msg());				/* FN_SET */
	nlh = tenant_msg(DPU_CMD_TENANT_SET);
	nlh->nlmsg_type = 0x21;				/* another family */
	ev_add(&len, nlh);
	nlh = genl_msg(DPU_CMD_TENANT_DEL);		/* malformed: no name */
	mnl_attr_put_strz(nlh, DPU_A_DEV_NAME, "dpu0");
	ev_add(&len, nlh);
	ev_add(&len, genl_msg(42));			/* a newer command */
	nlh = genl_msg(DPU_CMD_TENANT_DEL);
	mnl_attr_put_strz(nlh, DPU_A_DEV_NAME, "dpu0");
	mnl_attr_put_strz(nlh, DPU_A_TENANT_NAME, "old");
	ev_add(&len, nlh);
	return len;
}

static void events_dispatch(void **state)
{
	struct ev_log log = { 0 };
	size_t len = ev_buffer();
	char want[192];

	(void)state;
	assert_int_equal(dpu_events_dispatch(evbuf, len, 0x20, ev_fn,
					     ev_tenant, &log), 0);
	assert_int_equal(log.fns, 1);
	assert_int_equal(log.tenants, 2);
	snprintf(want, sizeof(want), "tenant %d dpu1/acme.web acme 1",
		 DPU_CMD_TENANT_NEW);
	assert_string_equal(log.what[0], want);
	snprintf(want, sizeof(want), "fn %d dpu2/7 acme", DPU_CMD_FN_SET);
	assert_string_equal(log.what[1], want);
	snprintf(want, sizeof(want), "tenant %d dpu0/old  0", DPU_CMD_TENANT_DEL);
	assert_string_equal(log.what[2], want);

	/* function events only, as dpu_nl_read_events() delivers them */
	memset(&log, 0, sizeof(log));
	assert_int_equal(dpu_events_dispatch(evbuf, len, 0x20, ev_fn, NULL,
					     &log), 0);
	assert_int_equal(log.fns, 1);
	assert_int_equal(log.tenants, 0);
	snprintf(want, sizeof(want), "fn %d dpu2/7 acme", DPU_CMD_FN_SET);
	assert_string_equal(log.what[0], want);

	/* a callback's non-zero stops the walk and is returned */
	memset(&log, 0, sizeof(log));
	log.stop_at = 2;
	assert_int_equal(dpu_events_dispatch(evbuf, len, 0x20, ev_fn,
					     ev_tenant, &log), 7);
	assert_int_equal(log.fns + log.tenants, 2);

	/* a tenant message is no function event */
	{
		struct dpu_fn_info f;

		assert_int_equal(dpu_fn_parse(tenant_msg(DPU_CMD_TENANT_NEW), &f),
				 -EBADMSG);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fn_parse_full),
		cmocka_unit_test(fn_parse_blk_failed),
		cmocka_unit_test(fn_parse_bad),
		cmocka_unit_test(dev_parse),
		cmocka_unit_test(errors),
		cmocka_unit_test(tenant_req_new),
		cmocka_unit_test(tenant_req_parent),
		cmocka_unit_test(tenant_req_del_get),
		cmocka_unit_test(tenant_req_bad),
		cmocka_unit_test(tenant_parse_full),
		cmocka_unit_test(tenant_parse_root_del),
		cmocka_unit_test(tenant_parse_bad),
		cmocka_unit_test(fn_parse_effective_stats),
		cmocka_unit_test(events_dispatch),
	};

	return cmocka_run_group_tests_name("messages", tests, NULL, NULL);
}
