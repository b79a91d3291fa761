/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dpupool: what the files implementing commands of the "dpu" generic
 * netlink family share (dpu_netlink.c owns the family).
 */
#ifndef _DPU_NL_H
#define _DPU_NL_H

#include <net/genetlink.h>
#include <linux/dpu.h>

enum dpu_nl_mcgrp {
	DPU_NL_MCGRP_EVENTS,
	DPU_NL_MCGRP_QOS,
};

extern struct genl_family dpu_nl_family;
extern const struct nla_policy dpu_nl_qos_policy_policy[DPU_A_QOS_POL_MAX + 1];

/*
 * GENL_REQ_ATTR_CHECK() reports the missing attribute's type but no text;
 * say in words what is missing as well.
 */
#define DPU_NL_REQUIRE(info, attr, msg) ({				\
	struct genl_info *__dpu_info = (info);				\
	bool __missing = GENL_REQ_ATTR_CHECK(__dpu_info, attr);		\
									\
	if (__missing)							\
		NL_SET_ERR_MSG(__dpu_info->extack, msg);			\
	__missing;							\
})

int dpu_nl_dump_check_net(struct netlink_callback *cb);

#endif /* _DPU_NL_H */
