// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests: libdpu's co-location QoS (names, policy words, messages). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>

#include "libdpu.h"

static void class_names(void **state)
{
	(void)state;
	assert_int_equal(dpu_qos_class_parse("hls"), DPU_QOS_CLASS_HLS);
	assert_int_equal(dpu_qos_class_parse("LS"), DPU_QOS_CLASS_LS);
	assert_int_equal(dpu_qos_class_parse("be"), DPU_QOS_CLASS_BE);
	assert_int_equal(dpu_qos_class_parse("none"), DPU_QOS_CLASS_NONE);
	assert_int_equal(dpu_qos_class_parse("best"), -EINVAL);
	assert_int_equal(dpu_qos_class_parse(""), -EINVAL);
	assert_string_equal(dpu_qos_class_str(DPU_QOS_CLASS_BE), "be");
	assert_string_equal(dpu_qos_class_str(200), "unknown");
}

static void policy_words(void **state)
{
	struct dpu_qos_policy_req r = { 0 };

	(void)state;
	assert_int_equal(dpu_qos_policy_parse("cpu-threshold", "65", &r), 0);
	assert_int_equal(r.v[DPU_A_QOS_POL_CPU_THRESHOLD], 65);
	assert_true(r.set & (1u << DPU_A_QOS_POL_CPU_THRESHOLD));
	assert_int_equal(dpu_qos_policy_parse("enabled", "off", &r), 0);
	assert_int_equal(r.v[DPU_A_QOS_POL_ENABLED], 0);
	assert_int_equal(dpu_qos_policy_parse("enabled", "on", &r), 0);
	assert_int_equal(r.v[DPU_A_QOS_POL_ENABLED], 1);
	assert_int_equal(dpu_qos_policy_parse("io-be-bps", "20M", &r), 0);
	assert_int_equal(r.v[DPU_A_QOS_POL_IO_BE_BPS], 20000000);
	assert_int_equal(dpu_qos_policy_parse("cpu-window-ms", "10", &r), 0);
	/* bad names and values */
	assert_int_equal(dpu_qos_policy_parse("cpu-treshold", "65", &r), -ENOENT);
	assert_int_equal(dpu_qos_policy_parse("enabled", "maybe", &r), -EINVAL);
	assert_int_equal(dpu_qos_policy_parse("mem-high", "-1", &r), -EINVAL);
	assert_int_equal(dpu_qos_policy_parse("mem-high", "70%", &r), -EINVAL);
	assert_int_equal(dpu_qos_policy_parse("interval-ms", "4294967296", &r), -EINVAL);
	assert_int_equal(dpu_qos_policy_parse("interval-ms", "", &r), -EINVAL);
	assert_false(r.set & (1u << DPU_A_QOS_POL_MEM_HIGH));
	assert_string_equal(dpu_qos_policy_name(DPU_A_QOS_POL_MEM_LOW), "mem-low");
	assert_null(dpu_qos_policy_name(DPU_A_QOS_POL_PAD));
	assert_null(dpu_qos_policy_name(DPU_A_QOS_POL_MAX + 1));
}

static struct nlmsghdr *msg(char *buf, uint8_t cmd)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));

	nlh->nlmsg_type = 30;
	g->cmd = cmd;
	return nlh;
}

static void decision_msg(void **state)
{
	char *buf = calloc(1, 8192);
	struct dpu_qos_info *q = calloc(1, sizeof(*q));
	struct nlmsghdr *nlh;
	struct nlattr *d, *e, *p;

	(void)state;
	assert_non_null(buf);
	assert_non_null(q);
	nlh = msg(buf, DPU_CMD_QOS_DECISION);
	p = mnl_attr_nest_start(nlh, DPU_A_QOS_POLICY);
	mnl_attr_put_u8(nlh, DPU_A_QOS_POL_ENABLED, 1);
	mnl_attr_put_u32(nlh, DPU_A_QOS_POL_CPU_THRESHOLD, 65);
	mnl_attr_put_u64(nlh, DPU_A_QOS_POL_IO_BE_BPS, 1ULL << 40);
	mnl_attr_put_u32(nlh, DPU_A_QOS_POL_MAX + 5, 7);	/* newer kernel */
	mnl_attr_nest_end(nlh, p);
	d = mnl_attr_nest_start(nlh, DPU_A_QOS_DECISION);
	mnl_attr_put_u32(nlh, DPU_A_QOS_DEC_SEQ, 12);
	mnl_attr_put_u32(nlh, DPU_A_QOS_DEC_CHANGED, DPU_QOS_CHANGE_EVICT);
	mnl_attr_put_u32(nlh, DPU_A_QOS_DEC_BE_CPU_MCPU, 300);
	mnl_attr_put_u8(nlh, DPU_A_QOS_DEC_ENABLED, 1);
	mnl_attr_put_u64(nlh, DPU_A_QOS_DEC_RECLAIM, 5 << 20);
	e = mnl_attr_nest_start(nlh, DPU_A_QOS_DEC_EVICT);
	mnl_attr_put_u64(nlh, DPU_A_QOS_CGROUP_ID, 4242);
	mnl_attr_put_strz(nlh, DPU_A_QOS_CGROUP, "/kubepods/besteffort/pod1");
	mnl_attr_put_u64(nlh, DPU_A_QOS_MEM, 3 << 20);
	mnl_attr_nest_end(nlh, e);
	mnl_attr_nest_end(nlh, d);
	assert_int_equal(dpu_qos_parse(nlh, q), 0);
	assert_int_equal(q->cmd, DPU_CMD_QOS_DECISION);
	assert_int_equal(q->pol[DPU_A_QOS_POL_CPU_THRESHOLD], 65);
	assert_int_equal(q->pol[DPU_A_QOS_POL_IO_BE_BPS], 1ULL << 40);
	assert_int_equal(q->dec[DPU_A_QOS_DEC_SEQ], 12);
	assert_int_equal(q->dec[DPU_A_QOS_DEC_BE_CPU_MCPU], 300);
	assert_int_equal(q->dec[DPU_A_QOS_DEC_RECLAIM], 5 << 20);
	assert_int_equal(q->nevict, 1);
	assert_int_equal(q->evict[0].id, 4242);
	assert_int_equal(q->evict[0].mem, 3 << 20);
	assert_string_equal(q->evict[0].path, "/kubepods/besteffort/pod1");

	/* no decision nest: not a QoS message */
	nlh = msg(buf, DPU_CMD_QOS_GET);
	mnl_attr_put_u32(nlh, DPU_A_DEV_INDEX, 1);
	assert_int_equal(dpu_qos_parse(nlh, q), -EBADMSG);
	/* a malformed integer (3 bytes) */
	nlh = msg(buf, DPU_CMD_QOS_DECISION);
	d = mnl_attr_nest_start(nlh, DPU_A_QOS_DECISION);
	mnl_attr_put(nlh, DPU_A_QOS_DEC_SEQ, 3, "abc");
	mnl_attr_nest_end(nlh, d);
	assert_int_equal(dpu_qos_parse(nlh, q), -EBADMSG);
	free(q);
	free(buf);
}

static void class_msg(void **state)
{
	char *buf = calloc(1, 4096);
	struct dpu_qos_class_info c;
	struct nlmsghdr *nlh;

	(void)state;
	assert_non_null(buf);
	nlh = msg(buf, DPU_CMD_QOS_CLASS_SET);
	mnl_attr_put_strz(nlh, DPU_A_QOS_CGROUP, "/kubepods/besteffort");
	mnl_attr_put_u64(nlh, DPU_A_QOS_CGROUP_ID, 77);
	mnl_attr_put_u8(nlh, DPU_A_QOS_CLASS, DPU_QOS_CLASS_BE);
	mnl_attr_put_u32(nlh, DPU_A_QOS_PRIORITY, 5);
	mnl_attr_put_u8(nlh, DPU_A_QOS_EVICTED, 1);
	assert_int_equal(dpu_qos_class_parse_msg(nlh, &c), 0);
	assert_string_equal(c.path, "/kubepods/besteffort");
	assert_int_equal(c.id, 77);
	assert_int_equal(c.qos_class, DPU_QOS_CLASS_BE);
	assert_int_equal(c.priority, 5);
	assert_true(c.evicted);
	/* a path that is not a string */
	nlh = msg(buf, DPU_CMD_QOS_CLASS_SET);
	mnl_attr_put(nlh, DPU_A_QOS_CGROUP, 3, "abc");
	assert_int_equal(dpu_qos_class_parse_msg(nlh, &c), -EBADMSG);
	/* no path at all */
	nlh = msg(buf, DPU_CMD_QOS_CLASS_DEL);
	mnl_attr_put_u64(nlh, DPU_A_QOS_CGROUP_ID, 77);
	assert_int_equal(dpu_qos_class_parse_msg(nlh, &c), -EBADMSG);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(class_names),
		cmocka_unit_test(policy_words),
		cmocka_unit_test(decision_msg),
		cmocka_unit_test(class_msg),
	};

	return cmocka_run_group_tests_name("qos", tests, NULL, NULL);
}
