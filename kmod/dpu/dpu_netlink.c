// SPDX-License-Identifier: GPL-2.0
/*
 * dpupool generic netlink family "dpu": strict policies, extack on every
 * error, resumable dumps.
 */
#include <linux/module.h>
#include <net/genetlink.h>
#include <net/netlink.h>
#include <net/sock.h>

#include "dpu.h"
#include "dpu_nl.h"
#include "dpu_qos.h"

static const struct nla_policy dpu_nl_limit_policy[DPU_A_LIMIT_MAX + 1] = {
	[DPU_A_LIMIT_BLK_IOPS ... DPU_A_LIMIT_NET_RX_PPS_BURST] = { .type = NLA_U64 },
};

/* delays of the QoS policy: u32 ms up to a minute, or ten */
static struct netlink_range_validation dpu_nl_minute_range = {
	.max = 60000,
};

static struct netlink_range_validation dpu_nl_ten_minutes_range = {
	.max = 600000,
};

/* the node's QoS policy; consistency is checked as a whole afterwards */
const struct nla_policy dpu_nl_qos_policy_policy[DPU_A_QOS_POL_MAX + 1] = {
	[DPU_A_QOS_POL_ENABLED] = NLA_POLICY_MAX(NLA_U8, 1),
	[DPU_A_QOS_POL_INTERVAL_MS] = NLA_POLICY_RANGE(NLA_U32, 1, 1000),
	[DPU_A_QOS_POL_CPU_THRESHOLD] = NLA_POLICY_RANGE(NLA_U32, 1, 100),
	[DPU_A_QOS_POL_CPU_BE_MIN] = { .type = NLA_U32 },
	[DPU_A_QOS_POL_CPU_HYSTERESIS] = { .type = NLA_U32 },
	[DPU_A_QOS_POL_CPU_RELEASE_MS] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &dpu_nl_minute_range),
	[DPU_A_QOS_POL_MEM_HIGH] = NLA_POLICY_MAX(NLA_U32, 99),
	[DPU_A_QOS_POL_MEM_LOW] = NLA_POLICY_MAX(NLA_U32, 98),
	[DPU_A_QOS_POL_MEM_RECLAIM_MS] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &dpu_nl_minute_range),
	[DPU_A_QOS_POL_MEM_COOLDOWN_MS] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &dpu_nl_ten_minutes_range),
	[DPU_A_QOS_POL_IO_BE_IOPS] = { .type = NLA_U64 },
	[DPU_A_QOS_POL_IO_BE_BPS] = { .type = NLA_U64 },
	[DPU_A_QOS_POL_CPU_WINDOW_MS] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &dpu_nl_minute_range),
};

/* queues and MTU: u32 attributes of at most 65535 */
static struct netlink_range_validation dpu_nl_u16_range = {
	.max = 65535,
};

/* What a request may carry: the policy of every input attribute. */
static const struct nla_policy dpu_nl_inputs[DPU_A_MAX + 1] = {
	[DPU_A_DEV_INDEX] = { .type = NLA_U32 },
	[DPU_A_DEV_NAME] = { .type = NLA_NUL_STRING, .len = DPU_NAME_LEN - 1 },
	[DPU_A_FN_INDEX] = { .type = NLA_U32 },
	[DPU_A_FN_TYPE] = NLA_POLICY_RANGE(NLA_U8, DPU_FN_TYPE_BLK,
					   DPU_FN_TYPE_NET),
	[DPU_A_FN_SIZE] = { .type = NLA_U64 },
	[DPU_A_FN_MAC] = NLA_POLICY_EXACT_LEN(ETH_ALEN),
	[DPU_A_FN_TENANT] = { .type = NLA_NUL_STRING,
			      .len = DPU_TENANT_LEN - 1 },
	[DPU_A_FN_LIMITS] = NLA_POLICY_NESTED(dpu_nl_limit_policy),
	[DPU_A_FN_QUEUES] = NLA_POLICY_FULL_RANGE(NLA_U32, &dpu_nl_u16_range),
	[DPU_A_FN_MTU] = NLA_POLICY_FULL_RANGE(NLA_U32, &dpu_nl_u16_range),
	[DPU_A_TENANT_NAME] = { .type = NLA_NUL_STRING,
				.len = DPU_TENANT_LEN - 1 },
	[DPU_A_TENANT_PARENT] = { .type = NLA_NUL_STRING,
				  .len = DPU_TENANT_LEN - 1 },
	[DPU_A_TENANT_LIMITS] = NLA_POLICY_NESTED(dpu_nl_limit_policy),
	[DPU_A_QOS_CGROUP] = { .type = NLA_NUL_STRING,
			       .len = DPU_CGROUP_PATH_LEN - 1 },
	[DPU_A_QOS_CGROUP_ID] = { .type = NLA_U64 },
	[DPU_A_QOS_CLASS] = NLA_POLICY_RANGE(NLA_U8, DPU_QOS_CLASS_HLS,
					     DPU_QOS_CLASS_BE),
	[DPU_A_QOS_PRIORITY] = { .type = NLA_U32 },
	[DPU_A_QOS_POLICY] = NLA_POLICY_NESTED(dpu_nl_qos_policy_policy),
	[DPU_A_TENANT_QOS_CLASS] = NLA_POLICY_MAX(NLA_U8, DPU_QOS_CLASS_BE),
};

#define DPU_NL_DEV	(BIT_ULL(DPU_A_DEV_INDEX) | BIT_ULL(DPU_A_DEV_NAME))

/* The input attributes each command takes; all others are refused. */
static const u64 dpu_nl_cmd_inputs[DPU_CMD_MAX + 1] = {
	[DPU_CMD_DEV_GET] = DPU_NL_DEV,
	[DPU_CMD_FN_NEW] = DPU_NL_DEV | BIT_ULL(DPU_A_FN_INDEX) |
		BIT_ULL(DPU_A_FN_TYPE) | BIT_ULL(DPU_A_FN_SIZE) |
		BIT_ULL(DPU_A_FN_MAC) | BIT_ULL(DPU_A_FN_TENANT) |
		BIT_ULL(DPU_A_FN_LIMITS) | BIT_ULL(DPU_A_FN_QUEUES) |
		BIT_ULL(DPU_A_FN_MTU),
	[DPU_CMD_FN_DEL] = DPU_NL_DEV | BIT_ULL(DPU_A_FN_INDEX),
	[DPU_CMD_FN_GET] = DPU_NL_DEV | BIT_ULL(DPU_A_FN_INDEX),
	[DPU_CMD_FN_SET] = DPU_NL_DEV | BIT_ULL(DPU_A_FN_INDEX) |
		BIT_ULL(DPU_A_FN_TENANT) | BIT_ULL(DPU_A_FN_LIMITS),
	[DPU_CMD_TENANT_NEW] = DPU_NL_DEV | BIT_ULL(DPU_A_TENANT_NAME) |
		BIT_ULL(DPU_A_TENANT_PARENT) | BIT_ULL(DPU_A_TENANT_LIMITS) |
		BIT_ULL(DPU_A_TENANT_QOS_CLASS),
	[DPU_CMD_TENANT_DEL] = DPU_NL_DEV | BIT_ULL(DPU_A_TENANT_NAME),
	[DPU_CMD_TENANT_GET] = DPU_NL_DEV | BIT_ULL(DPU_A_TENANT_NAME),
	[DPU_CMD_TENANT_SET] = DPU_NL_DEV | BIT_ULL(DPU_A_TENANT_NAME) |
		BIT_ULL(DPU_A_TENANT_PARENT) | BIT_ULL(DPU_A_TENANT_LIMITS) |
		BIT_ULL(DPU_A_TENANT_QOS_CLASS),
	[DPU_CMD_QOS_CLASS_SET] = BIT_ULL(DPU_A_QOS_CGROUP) |
		BIT_ULL(DPU_A_QOS_CLASS) | BIT_ULL(DPU_A_QOS_PRIORITY),
	[DPU_CMD_QOS_CLASS_DEL] = BIT_ULL(DPU_A_QOS_CGROUP) |
		BIT_ULL(DPU_A_QOS_CGROUP_ID),
	[DPU_CMD_QOS_CLASS_GET] = BIT_ULL(DPU_A_QOS_CGROUP) |
		BIT_ULL(DPU_A_QOS_CGROUP_ID),
	[DPU_CMD_QOS_GET] = 0,
	[DPU_CMD_QOS_SET] = BIT_ULL(DPU_A_QOS_POLICY),
};

/*
 * One strict policy per command, from the two tables above: an attribute
 * of another command is refused with a message instead of being ignored.
 */
static struct nla_policy dpu_nl_policies[DPU_CMD_MAX + 1][DPU_A_MAX + 1]
	__ro_after_init;

static void __init dpu_nl_policies_init(void)
{
	static const struct nla_policy output_only = {
		.type = NLA_REJECT,
		.reject_message = "attribute is output-only",
	};
	static const struct nla_policy elsewhere = {
		.type = NLA_REJECT,
		.reject_message = "attribute does not belong to this command",
	};
	unsigned int cmd, a;

	for (cmd = 1; cmd <= DPU_CMD_MAX; cmd++) {
		for (a = DPU_A_PAD; a <= DPU_A_MAX; a++) {
			struct nla_policy *p = &dpu_nl_policies[cmd][a];

			/* struct copies: the union's members are const */
			if (dpu_nl_cmd_inputs[cmd] & BIT_ULL(a))
				memcpy(p, &dpu_nl_inputs[a], sizeof(*p));
			else if (dpu_nl_inputs[a].type || a == DPU_A_PAD)
				memcpy(p, &elsewhere, sizeof(*p));
			else
				memcpy(p, &output_only, sizeof(*p));
		}
	}
}

static const struct genl_multicast_group dpu_nl_mcgrps[] = {
	[DPU_NL_MCGRP_EVENTS] = {
		.name = DPU_GENL_MCGRP_EVENTS,
#ifdef GENL_MCAST_CAP_NET_ADMIN
		/* later 6.1.y: events name tenants, keep them to admins */
		.flags = GENL_MCAST_CAP_NET_ADMIN,
#endif
	},
	[DPU_NL_MCGRP_QOS] = {
		.name = DPU_GENL_MCGRP_QOS,
#ifdef GENL_MCAST_CAP_NET_ADMIN
		/* decisions name cgroups to evict */
		.flags = GENL_MCAST_CAP_NET_ADMIN,
#endif
	},
};

/*
 * The objects belong to the initial network namespace, as the devices of
 * the host do: from any other (a container, an unprivileged user
 * namespace) nothing is shown, changed or announced.
 */
static int dpu_nl_check_net(struct net *net, struct netlink_ext_ack *extack)
{
	if (net_eq(net, &init_net))
		return 0;
	NL_SET_ERR_MSG(extack,
		       "DPU devices are managed from the initial network namespace");
	return -EPERM;
}

/* genl_ops.internal_flags: the command changes objects */
#define DPU_NL_CHANGE	BIT(0)

/*
 * Instead of GENL_ADMIN_PERM, whose EPERM comes without a message: the
 * same check (CAP_NET_ADMIN in the initial user namespace), with one.
 */
static int dpu_nl_pre_doit(const struct genl_ops *ops, struct sk_buff *skb,
			   struct genl_info *info)
{
	int err;

	err = dpu_nl_check_net(genl_info_net(info), info->extack);
	if (err)
		return err;
	if ((ops->internal_flags & DPU_NL_CHANGE) &&
	    !netlink_capable(skb, CAP_NET_ADMIN)) {
		NL_SET_ERR_MSG(info->extack,
			       "changing DPU objects needs CAP_NET_ADMIN");
		return -EPERM;
	}
	return 0;
}

/*
 * Dumps check in their rounds: a start callback has no extack in 6.1, a
 * round's error reaches the requester in NLMSG_DONE with its message.
 */
int dpu_nl_dump_check_net(struct netlink_callback *cb)
{
	return dpu_nl_check_net(sock_net(cb->skb->sk), cb->extack);
}

/* What the DPU can do: types, limit kinds and their maxima, depth. */
static int dpu_nl_caps_fill(struct sk_buff *msg, struct dpu_dev *ddev)
{
	unsigned long host = READ_ONCE(ddev->host_kinds);
	unsigned long kinds = READ_ONCE(ddev->limit_kinds) | host;
	const struct dpu_caps *caps = &ddev->caps;
	struct nlattr *nest;
	unsigned int k;

	if (nla_put_u32(msg, DPU_A_DEV_FN_TYPES, caps->fn_types) ||
	    nla_put_u32(msg, DPU_A_DEV_HOST_LIMITS, (u32)host) ||
	    nla_put_u32(msg, DPU_A_DEV_TENANT_DEPTH, caps->tenant_depth) ||
	    nla_put_u32(msg, DPU_A_DEV_BURST_MS_MAX, caps->burst_ms_max) ||
	    nla_put_u32(msg, DPU_A_DEV_MAX_QUEUES, caps->max_queues) ||
	    nla_put_u32(msg, DPU_A_DEV_MAX_MTU, caps->max_mtu))
		return -EMSGSIZE;
	nest = nla_nest_start(msg, DPU_A_DEV_LIMIT_MAX);
	if (!nest)
		return -EMSGSIZE;
	for (k = 0; k < DPU_LIM_NR; k++)
		if ((kinds & BIT(k)) &&
		    nla_put_u64_64bit(msg, dpu_limit_rate_attr(k),
				      caps->rate_max[k] ?: DPU_LIMIT_RATE_MAX,
				      DPU_A_LIMIT_PAD))
			return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

/* The block I/O the DPU can carry and, while measured, what it carries. */
static int dpu_nl_io_fill(struct sk_buff *msg, struct dpu_dev *ddev)
{
	u64 cap_iops = READ_ONCE(ddev->io_capacity[0]);
	u64 cap_bps = READ_ONCE(ddev->io_capacity[1]);
	u64 iops, bps;
	bool sat;

	if ((cap_iops &&
	     nla_put_u64_64bit(msg, DPU_A_DEV_IO_CAPACITY_IOPS, cap_iops,
			       DPU_A_PAD)) ||
	    (cap_bps &&
	     nla_put_u64_64bit(msg, DPU_A_DEV_IO_CAPACITY_BPS, cap_bps,
			       DPU_A_PAD)))
		return -EMSGSIZE;
	if (!dpu_qos_io_load_get(ddev, &iops, &bps, &sat))
		return 0;
	if (nla_put_u64_64bit(msg, DPU_A_DEV_IO_LOAD_IOPS, iops, DPU_A_PAD) ||
	    nla_put_u64_64bit(msg, DPU_A_DEV_IO_LOAD_BPS, bps, DPU_A_PAD) ||
	    nla_put_u8(msg, DPU_A_DEV_IO_SATURATED, sat))
		return -EMSGSIZE;
	return 0;
}

static int dpu_nl_dev_fill(struct sk_buff *msg, struct dpu_dev *ddev,
			   u32 portid, u32 seq, int flags)
{
	struct device *parent = ddev->dev.parent;
	void *hdr;

	hdr = genlmsg_put(msg, portid, seq, &dpu_nl_family, flags,
			  DPU_CMD_DEV_GET);
	if (!hdr)
		return -EMSGSIZE;

	if (nla_put_u32(msg, DPU_A_DEV_INDEX, ddev->index) ||
	    nla_put_string(msg, DPU_A_DEV_NAME, dev_name(&ddev->dev)) ||
	    nla_put_string(msg, DPU_A_DEV_BACKEND, ddev->backend) ||
	    nla_put_s32(msg, DPU_A_DEV_NUMA_NODE, dev_to_node(&ddev->dev)) ||
	    nla_put_u32(msg, DPU_A_DEV_MAX_FNS, ddev->max_fns) ||
	    nla_put_u32(msg, DPU_A_DEV_NUM_FNS, READ_ONCE(ddev->num_fns)))
		goto nla_put_failure;
	if (parent && parent->bus &&
	    nla_put_string(msg, DPU_A_DEV_BUS_NAME, parent->bus->name))
		goto nla_put_failure;
	if (parent && nla_put_string(msg, DPU_A_DEV_PARENT, dev_name(parent)))
		goto nla_put_failure;
	if (dpu_nl_caps_fill(msg, ddev) || dpu_nl_io_fill(msg, ddev))
		goto nla_put_failure;

	genlmsg_end(msg, hdr);
	return 0;

nla_put_failure:
	genlmsg_cancel(msg, hdr);
	return -EMSGSIZE;
}

/*
 * Find the device a request names, by index or name (both must agree when
 * both are given). Returns a referenced device or an ERR_PTR, with extack.
 */
static struct dpu_dev *dpu_nl_dev_from_attrs(struct genl_info *info)
{
	struct nlattr **attrs = info->attrs;
	struct netlink_ext_ack *extack = info->extack;
	struct dpu_dev *ddev;

	if (attrs[DPU_A_DEV_INDEX]) {
		ddev = dpu_dev_get_by_index(nla_get_u32(attrs[DPU_A_DEV_INDEX]));
		if (!ddev) {
			NL_SET_ERR_MSG_ATTR(extack, attrs[DPU_A_DEV_INDEX],
					    "no DPU device with this index");
			return ERR_PTR(-ENODEV);
		}
		if (attrs[DPU_A_DEV_NAME] &&
		    strcmp(nla_data(attrs[DPU_A_DEV_NAME]),
			   dev_name(&ddev->dev))) {
			put_device(&ddev->dev);
			NL_SET_ERR_MSG_ATTR(extack, attrs[DPU_A_DEV_NAME],
					    "DPU device name and index disagree");
			return ERR_PTR(-EINVAL);
		}
		return ddev;
	}
	if (attrs[DPU_A_DEV_NAME]) {
		ddev = dpu_dev_get_by_name(nla_data(attrs[DPU_A_DEV_NAME]));
		if (!ddev) {
			NL_SET_ERR_MSG_ATTR(extack, attrs[DPU_A_DEV_NAME],
					    "no DPU device with this name");
			return ERR_PTR(-ENODEV);
		}
		return ddev;
	}
	NL_SET_ERR_MSG(extack, "DPU device name or index required");
	return ERR_PTR(-EINVAL);
}

static int dpu_nl_dev_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct dpu_dev *ddev;
	struct sk_buff *msg;
	int err;

	ddev = dpu_nl_dev_from_attrs(info);
	if (IS_ERR(ddev))
		return PTR_ERR(ddev);

	msg = nlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg) {
		err = -ENOMEM;
		goto out_put;
	}
	err = dpu_nl_dev_fill(msg, ddev, info->snd_portid, info->snd_seq, 0);
	if (err) {
		nlmsg_free(msg);
		goto out_put;
	}
	err = genlmsg_reply(msg, info);
out_put:
	put_device(&ddev->dev);
	return err;
}

struct dpu_nl_dump_ctx {
	struct sk_buff *skb;
	struct netlink_callback *cb;
};

/*
 * A dump added the message at @start of @msg: flag it NLM_F_DUMP_INTR if
 * objects were added or removed since the dump's previous round
 * (cb->seq is the generation the round started at).
 */
static void dpu_nl_dump_check(struct sk_buff *msg, unsigned int start,
			      struct netlink_callback *cb)
{
	nl_dump_check_consistent(cb, (struct nlmsghdr *)(msg->data + start));
}

static int dpu_nl_dev_dump_one(struct dpu_dev *ddev, void *arg)
{
	struct dpu_nl_dump_ctx *ctx = arg;
	unsigned int start = ctx->skb->len;
	int err;

	err = dpu_nl_dev_fill(ctx->skb, ddev,
			      NETLINK_CB(ctx->cb->skb).portid,
			      ctx->cb->nlh->nlmsg_seq, NLM_F_MULTI);
	if (!err)
		dpu_nl_dump_check(ctx->skb, start, ctx->cb);
	return err;
}

/* cb->args[0]: index of the next device to dump */
static int dpu_nl_dev_get_dumpit(struct sk_buff *skb,
				 struct netlink_callback *cb)
{
	struct dpu_nl_dump_ctx ctx = { .skb = skb, .cb = cb };
	unsigned long index = cb->args[0];
	int err;

	err = dpu_nl_dump_check_net(cb);
	if (err)
		return err;
	cb->seq = dpu_generation();
	err = dpu_dev_for_each(&index, dpu_nl_dev_dump_one, &ctx);
	if (err == -EMSGSIZE && skb->len) {
		cb->args[0] = index;
		return skb->len;
	}
	if (err)
		return err;
	cb->args[0] = ULONG_MAX;
	return skb->len;
}

/* ------------------------------------------------------------ functions */

static int dpu_nl_limits_fill(struct sk_buff *msg, int attrtype,
			      const struct dpu_limits *lim)
{
	struct nlattr *nest;
	unsigned int k;

	if (!dpu_limits_any(lim, true) && !dpu_limits_any(lim, false))
		return 0;
	nest = nla_nest_start(msg, attrtype);
	if (!nest)
		return -EMSGSIZE;
	for (k = 0; k < DPU_LIM_NR; k++) {
		const struct dpu_limit *l = &lim->l[k];

		if (!l->rate)
			continue;
		if (nla_put_u64_64bit(msg, dpu_limit_rate_attr(k), l->rate,
				      DPU_A_LIMIT_PAD) ||
		    nla_put_u64_64bit(msg, dpu_limit_burst_attr(k),
				      dpu_limit_burst(k, l), DPU_A_LIMIT_PAD)) {
			nla_nest_cancel(msg, nest);
			return -EMSGSIZE;
		}
	}
	nla_nest_end(msg, nest);
	return 0;
}

static int dpu_nl_stats_fill(struct sk_buff *msg, int attrtype,
			     struct dpu_rate_group *g)
{
	struct dpu_rate_stats st;
	struct nlattr *nest;
	unsigned int i;

	dpu_rate_group_stats(g, &st);
	{
		const struct { int attr; u64 val; } v[] = {
			{ DPU_A_STAT_BLK_IOS, st.count[DPU_RATE_BLK] },
			{ DPU_A_STAT_BLK_BYTES, st.bytes[DPU_RATE_BLK] },
			{ DPU_A_STAT_NET_TX_PACKETS, st.count[DPU_RATE_TX] },
			{ DPU_A_STAT_NET_TX_BYTES, st.bytes[DPU_RATE_TX] },
			{ DPU_A_STAT_NET_RX_PACKETS, st.count[DPU_RATE_RX] },
			{ DPU_A_STAT_NET_RX_BYTES, st.bytes[DPU_RATE_RX] },
			{ DPU_A_STAT_NET_RX_DROPPED, st.rx_dropped },
			{ DPU_A_STAT_THROTTLED, st.throttled },
			{ DPU_A_STAT_THROTTLED_NS, st.throttled_ns },
			{ DPU_A_STAT_QUEUED, st.queued },
		};

		nest = nla_nest_start(msg, attrtype);
		if (!nest)
			return -EMSGSIZE;
		for (i = 0; i < ARRAY_SIZE(v); i++) {
			if (nla_put_u64_64bit(msg, v[i].attr, v[i].val,
					      DPU_A_STAT_PAD)) {
				nla_nest_cancel(msg, nest);
				return -EMSGSIZE;
			}
		}
	}
	nla_nest_end(msg, nest);
	return 0;
}

/* Limits of one family of kinds (blk or net) of @lim. */
static void dpu_nl_limits_only(struct dpu_limits *lim, bool blk)
{
	unsigned int k;

	for (k = 0; k < DPU_LIM_NR; k++)
		if (dpu_limit_is_blk(k) != blk)
			lim->l[k] = (struct dpu_limit){};
}

/*
 * The limits a request changes (nested DPU_A_LIMIT_*), into @chg: applied
 * by the core to those in force, under its lock. Checks the kinds against
 * @type, the function type whose kinds are allowed (0 for a tenant: all).
 */
static int dpu_nl_limits_parse(struct nlattr *attr, u8 type,
			       struct dpu_limits_change *chg,
			       struct netlink_ext_ack *extack)
{
	struct nlattr *tb[DPU_A_LIMIT_MAX + 1];
	bool blk = type == DPU_FN_TYPE_BLK;
	unsigned int k;
	int err;

	memset(chg, 0, sizeof(*chg));
	err = nla_parse_nested(tb, DPU_A_LIMIT_MAX, attr, dpu_nl_limit_policy,
			       extack);
	if (err)
		return err;
	for (k = 0; k < DPU_LIM_NR; k++) {
		struct nlattr *r = tb[dpu_limit_rate_attr(k)];
		struct nlattr *b = tb[dpu_limit_burst_attr(k)];

		if (!r && !b)
			continue;
		if (type && dpu_limit_is_blk(k) != blk) {
			if (blk)
				NL_SET_ERR_MSG_ATTR(extack, r ? r : b,
						    "a blk function has no net limits");
			else
				NL_SET_ERR_MSG_ATTR(extack, r ? r : b,
						    "a net function has no blk limits");
			return -EINVAL;
		}
		if (r) {
			chg->lim.l[k].rate = nla_get_u64(r);
			chg->rate |= BIT(k);
		}
		if (b) {
			chg->lim.l[k].burst = nla_get_u64(b);
			chg->burst |= BIT(k);
		}
		chg->attr[k] = r ? r : b;
	}
	return 0;
}

/* With fn->ddev->lock held. */
static int dpu_nl_fn_fill(struct sk_buff *msg, struct dpu_fn *fn, u8 cmd,
			  u32 portid, u32 seq, int flags)
{
	struct dpu_dev *ddev = fn->ddev;
	void *hdr;

	hdr = genlmsg_put(msg, portid, seq, &dpu_nl_family, flags, cmd);
	if (!hdr)
		return -EMSGSIZE;

	if (nla_put_u32(msg, DPU_A_DEV_INDEX, ddev->index) ||
	    nla_put_string(msg, DPU_A_DEV_NAME, dev_name(&ddev->dev)) ||
	    nla_put_u32(msg, DPU_A_FN_INDEX, fn->index) ||
	    nla_put_u8(msg, DPU_A_FN_TYPE, fn->type) ||
	    nla_put_u8(msg, DPU_A_FN_STATE, fn->state) ||
	    nla_put_string(msg, DPU_A_FN_TENANT, fn->tenant) ||
	    nla_put_s32(msg, DPU_A_FN_NUMA_NODE, dev_to_node(&fn->dev)))
		goto nla_put_failure;
	if (fn->state == DPU_FN_STATE_FAILED &&
	    nla_put_s32(msg, DPU_A_FN_ERROR, fn->error))
		goto nla_put_failure;
	if (fn->reason[0] && nla_put_string(msg, DPU_A_FN_REASON, fn->reason))
		goto nla_put_failure;
	if (fn->queues && nla_put_u32(msg, DPU_A_FN_QUEUES, fn->queues))
		goto nla_put_failure;
	if (fn->mtu && nla_put_u32(msg, DPU_A_FN_MTU, fn->mtu))
		goto nla_put_failure;
	if (fn->bus_dev &&
	    nla_put_string(msg, DPU_A_FN_BUS_ADDR, dev_name(fn->bus_dev)))
		goto nla_put_failure;
	if (dpu_nl_limits_fill(msg, DPU_A_FN_LIMITS, &fn->limits))
		goto nla_put_failure;
	if (fn->tn) {
		struct dpu_limits eff;

		dpu_rate_effective(&fn->rate, &eff);
		dpu_nl_limits_only(&eff, fn->type == DPU_FN_TYPE_BLK);
		if (dpu_nl_limits_fill(msg, DPU_A_FN_EFFECTIVE_LIMITS, &eff))
			goto nla_put_failure;
	}
	if (dpu_nl_stats_fill(msg, DPU_A_FN_STATS, &fn->rate))
		goto nla_put_failure;
	if (fn->type == DPU_FN_TYPE_BLK) {
		if (nla_put_u64_64bit(msg, DPU_A_FN_SIZE, fn->size, DPU_A_PAD))
			goto nla_put_failure;
		if (fn->blk_dev &&
		    nla_put_string(msg, DPU_A_FN_BLKDEV, dev_name(fn->blk_dev)))
			goto nla_put_failure;
		if (!fn->blk_dev && fn->blkdev[0] &&
		    nla_put_string(msg, DPU_A_FN_BLKDEV, fn->blkdev))
			goto nla_put_failure;
	} else {
		if (nla_put(msg, DPU_A_FN_MAC, ETH_ALEN, fn->mac))
			goto nla_put_failure;
		if (fn->ifindex &&
		    nla_put_u32(msg, DPU_A_FN_IFINDEX, fn->ifindex))
			goto nla_put_failure;
		/*
		 * requests come from the initial namespace: a NIC moved
		 * elsewhere is named there, not here
		 */
		if (fn->ifnet && net_eq(fn->ifnet, &init_net) &&
		    nla_put_string(msg, DPU_A_FN_NETDEV, fn->ifname))
			goto nla_put_failure;
		if (fn->ifnet && !net_eq(fn->ifnet, &init_net) &&
		    nla_put_s32(msg, DPU_A_FN_NETNS_ID,
				peernet2id(&init_net, fn->ifnet)))
			goto nla_put_failure;
	}
	genlmsg_end(msg, hdr);
	return 0;

nla_put_failure:
	genlmsg_cancel(msg, hdr);
	return -EMSGSIZE;
}

static int dpu_nl_fn_fill_locked(struct sk_buff *msg, struct dpu_fn *fn,
				 u8 cmd, u32 portid, u32 seq, int flags)
{
	int err;

	mutex_lock(&fn->ddev->lock);
	err = dpu_nl_fn_fill(msg, fn, cmd, portid, seq, flags);
	mutex_unlock(&fn->ddev->lock);
	return err;
}

/**
 * dpu_nl_fn_notify() - announce @fn on the events group
 * @fn: the function
 * @cmd: DPU_CMD_FN_NEW (created), DPU_CMD_FN_SET (changed) or
 *	DPU_CMD_FN_DEL (removed)
 */
void dpu_nl_fn_notify(struct dpu_fn *fn, u8 cmd)
{
	struct sk_buff *msg;

	if (cmd != DPU_CMD_FN_SET)
		dpu_generation_bump();

	msg = nlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return;
	if (dpu_nl_fn_fill_locked(msg, fn, cmd, 0, 0, 0)) {
		nlmsg_free(msg);
		return;
	}
	genlmsg_multicast_netns(&dpu_nl_family, &init_net, msg, 0,
				DPU_NL_MCGRP_EVENTS, GFP_KERNEL);
}

static int dpu_nl_fn_reply(struct dpu_fn *fn, u8 cmd, struct genl_info *info)
{
	struct sk_buff *msg;
	int err;

	msg = nlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	err = dpu_nl_fn_fill_locked(msg, fn, cmd, info->snd_portid,
				    info->snd_seq, 0);
	if (err) {
		nlmsg_free(msg);
		return err;
	}
	return genlmsg_reply(msg, info);
}

/* The function a request names (device + DPU_A_FN_INDEX), referenced. */
static struct dpu_fn *dpu_nl_fn_from_attrs(struct genl_info *info,
					   struct dpu_dev **ddevp)
{
	struct dpu_dev *ddev;
	struct dpu_fn *fn;

	if (DPU_NL_REQUIRE(info, DPU_A_FN_INDEX, "function index required"))
		return ERR_PTR(-EINVAL);
	ddev = dpu_nl_dev_from_attrs(info);
	if (IS_ERR(ddev))
		return ERR_CAST(ddev);
	fn = dpu_fn_get(ddev, nla_get_u32(info->attrs[DPU_A_FN_INDEX]));
	if (!fn) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[DPU_A_FN_INDEX],
				    "no function with this index on this DPU");
		put_device(&ddev->dev);
		return ERR_PTR(-ENOENT);
	}
	*ddevp = ddev;
	return fn;
}

static int dpu_nl_fn_new_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr **attrs = info->attrs;
	struct netlink_ext_ack *extack = info->extack;
	struct dpu_fn_req req = {};
	struct dpu_dev *ddev;
	struct dpu_fn *fn;
	int err;

	if (DPU_NL_REQUIRE(info, DPU_A_FN_TYPE, "function type required") ||
	    DPU_NL_REQUIRE(info, DPU_A_FN_TENANT, "tenant required"))
		return -EINVAL;
	req.type = nla_get_u8(attrs[DPU_A_FN_TYPE]);
	if (req.type == DPU_FN_TYPE_BLK) {
		if (DPU_NL_REQUIRE(info, DPU_A_FN_SIZE,
				   "a blk function needs a size"))
			return -EINVAL;
		if (attrs[DPU_A_FN_MAC]) {
			NL_SET_ERR_MSG_ATTR(extack, attrs[DPU_A_FN_MAC],
					    "a blk function has no MAC address");
			return -EINVAL;
		}
		req.size = nla_get_u64(attrs[DPU_A_FN_SIZE]);
	} else {
		if (attrs[DPU_A_FN_SIZE]) {
			NL_SET_ERR_MSG_ATTR(extack, attrs[DPU_A_FN_SIZE],
					    "a net function has no size");
			return -EINVAL;
		}
		if (attrs[DPU_A_FN_MAC]) {
			req.has_mac = true;
			nla_memcpy(req.mac, attrs[DPU_A_FN_MAC], ETH_ALEN);
		}
	}
	if (attrs[DPU_A_FN_INDEX]) {
		req.has_index = true;
		req.index = nla_get_u32(attrs[DPU_A_FN_INDEX]);
	}
	nla_strscpy(req.tenant, attrs[DPU_A_FN_TENANT], sizeof(req.tenant));
	if (attrs[DPU_A_FN_QUEUES])
		req.queues = nla_get_u32(attrs[DPU_A_FN_QUEUES]);
	if (attrs[DPU_A_FN_MTU])
		req.mtu = nla_get_u32(attrs[DPU_A_FN_MTU]);
	if (attrs[DPU_A_FN_LIMITS]) {
		struct dpu_limits_change chg;
		const struct nlattr *bad = NULL;
		const char *msg;

		err = dpu_nl_limits_parse(attrs[DPU_A_FN_LIMITS], req.type,
					  &chg, extack);
		if (err)
			return err;
		msg = dpu_limits_apply(&req.limits, &chg, &bad);
		if (msg) {
			dpu_extack_set(extack, bad, msg);
			return -EINVAL;
		}
	}

	ddev = dpu_nl_dev_from_attrs(info);
	if (IS_ERR(ddev))
		return PTR_ERR(ddev);
	fn = dpu_fn_new(ddev, &req, extack);
	put_device(&ddev->dev);
	if (IS_ERR(fn))
		return PTR_ERR(fn);
	err = dpu_nl_fn_reply(fn, DPU_CMD_FN_NEW, info);
	dpu_fn_put(fn);
	return err;
}

static int dpu_nl_fn_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct dpu_dev *ddev;
	int err;

	if (DPU_NL_REQUIRE(info, DPU_A_FN_INDEX, "function index required"))
		return -EINVAL;
	ddev = dpu_nl_dev_from_attrs(info);
	if (IS_ERR(ddev))
		return PTR_ERR(ddev);
	err = dpu_fn_del(ddev, nla_get_u32(info->attrs[DPU_A_FN_INDEX]),
			 info->extack);
	put_device(&ddev->dev);
	return err;
}

static int dpu_nl_fn_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tattr = info->attrs[DPU_A_FN_TENANT];
	struct nlattr *lattr = info->attrs[DPU_A_FN_LIMITS];
	struct dpu_limits_change chg;
	char tenant[DPU_TENANT_LEN];
	struct dpu_dev *ddev;
	struct dpu_fn *fn;
	const char *msg;
	int err = 0;

	if (!tattr && !lattr) {
		NL_SET_ERR_MSG(info->extack,
			       "nothing to set: tenant or limits required");
		return -EINVAL;
	}
	if (tattr) {
		nla_strscpy(tenant, tattr, sizeof(tenant));
		msg = dpu_tenant_name_check(tenant);
		if (msg) {
			dpu_extack_set(info->extack, tattr, msg);
			return -EINVAL;
		}
	}
	fn = dpu_nl_fn_from_attrs(info, &ddev);
	if (IS_ERR(fn))
		return PTR_ERR(fn);
	if (lattr)
		err = dpu_nl_limits_parse(lattr, fn->type, &chg, info->extack);
	/* the core checks and applies both under one lock, or neither */
	if (!err)
		err = dpu_fn_set(fn, tattr ? tenant : NULL, lattr ? &chg : NULL,
				 info->extack);
	if (!err)
		err = dpu_nl_fn_reply(fn, DPU_CMD_FN_SET, info);
	dpu_fn_put(fn);
	put_device(&ddev->dev);
	return err;
}

static int dpu_nl_fn_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct dpu_dev *ddev;
	struct dpu_fn *fn;
	int err;

	fn = dpu_nl_fn_from_attrs(info, &ddev);
	if (IS_ERR(fn))
		return PTR_ERR(fn);
	err = dpu_nl_fn_reply(fn, DPU_CMD_FN_GET, info);
	dpu_fn_put(fn);
	put_device(&ddev->dev);
	return err;
}

/*
 * Fill the objects of @xa (functions or tenants of @ddev) from the key where
 * the previous round stopped. Dump state: cb->args[0] device index,
 * cb->args[1] next key within it, cb->args[2] device filter + 1 (0: all),
 * cb->args[3] set after the first round.
 */
static int dpu_nl_dump_xa(struct dpu_nl_dump_ctx *ctx, struct dpu_dev *ddev,
			  struct xarray *xa,
			  int (*fill)(struct sk_buff *msg, void *entry,
				      struct netlink_callback *cb))
{
	struct netlink_callback *cb = ctx->cb;
	unsigned long key;
	void *entry;
	int err = 0;

	if (cb->args[2] && cb->args[2] - 1 != ddev->index)
		return 0;
	if (cb->args[0] != ddev->index) {
		cb->args[0] = ddev->index;
		cb->args[1] = 0;
	}
	mutex_lock(&ddev->lock);
	xa_for_each_start(xa, key, entry, cb->args[1]) {
		err = fill(ctx->skb, entry, cb);
		if (err)
			break;
		cb->args[1] = key + 1;
	}
	mutex_unlock(&ddev->lock);
	return err;
}

static int dpu_nl_fn_dump_fill(struct sk_buff *msg, void *entry,
			       struct netlink_callback *cb)
{
	unsigned int start = msg->len;
	int err;

	err = dpu_nl_fn_fill(msg, entry, DPU_CMD_FN_GET,
			     NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			     NLM_F_MULTI);
	if (!err)
		dpu_nl_dump_check(msg, start, cb);
	return err;
}

static int dpu_nl_fn_dump_dev(struct dpu_dev *ddev, void *arg)
{
	return dpu_nl_dump_xa(arg, ddev, &ddev->fns, dpu_nl_fn_dump_fill);
}

/*
 * A dump over the devices (all of them, or the one the request names),
 * @dump_dev filling the objects of one device from where the previous
 * round stopped.
 */
static int dpu_nl_dump_devs(struct sk_buff *skb, struct netlink_callback *cb,
			    int (*dump_dev)(struct dpu_dev *ddev, void *arg))
{
	const struct genl_dumpit_info *info = genl_dumpit_info(cb);
	struct dpu_nl_dump_ctx ctx = { .skb = skb, .cb = cb };
	unsigned long index;
	struct dpu_dev *ddev;
	int err;

	err = dpu_nl_dump_check_net(cb);
	if (err)
		return err;
	if (!cb->args[3]) {
		/* first round: resolve the optional device filter */
		cb->args[3] = 1;
		if (info->attrs[DPU_A_DEV_INDEX] || info->attrs[DPU_A_DEV_NAME]) {
			struct genl_info ginfo = {
				.attrs = info->attrs,
				.extack = cb->extack,
			};

			ddev = dpu_nl_dev_from_attrs(&ginfo);
			if (IS_ERR(ddev))
				return PTR_ERR(ddev);
			cb->args[2] = ddev->index + 1;
			cb->args[0] = ddev->index;
			put_device(&ddev->dev);
		}
	}
	/* NLM_F_DUMP_INTR on the messages of a round after a change */
	cb->seq = dpu_generation();
	index = cb->args[0];
	err = dpu_dev_for_each(&index, dump_dev, &ctx);
	if (err == -EMSGSIZE && skb->len)
		return skb->len;
	if (err)
		return err;
	return 0;
}

static int dpu_nl_fn_get_dumpit(struct sk_buff *skb,
				struct netlink_callback *cb)
{
	return dpu_nl_dump_devs(skb, cb, dpu_nl_fn_dump_dev);
}

/* -------------------------------------------------------------- tenants */

/* With tn->ddev->lock held. */
static int dpu_nl_tenant_fill(struct sk_buff *msg, struct dpu_tenant *tn,
			      u8 cmd, u32 portid, u32 seq, int flags)
{
	struct dpu_dev *ddev = tn->ddev;
	void *hdr;

	lockdep_assert_held(&ddev->lock);
	hdr = genlmsg_put(msg, portid, seq, &dpu_nl_family, flags, cmd);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u32(msg, DPU_A_DEV_INDEX, ddev->index) ||
	    nla_put_string(msg, DPU_A_DEV_NAME, dev_name(&ddev->dev)) ||
	    nla_put_string(msg, DPU_A_TENANT_NAME, tn->name) ||
	    (tn->parent &&
	     nla_put_string(msg, DPU_A_TENANT_PARENT, tn->parent->name)) ||
	    nla_put_u32(msg, DPU_A_TENANT_DEPTH,
			dpu_rate_group_level(&tn->rate)) ||
	    nla_put_u32(msg, DPU_A_TENANT_NUM_FNS, tn->num_fns) ||
	    nla_put_u32(msg, DPU_A_TENANT_NUM_CHILDREN, tn->num_children) ||
	    dpu_nl_limits_fill(msg, DPU_A_TENANT_LIMITS, &tn->limits) ||
	    (tn->qos_class &&
	     nla_put_u8(msg, DPU_A_TENANT_QOS_CLASS, tn->qos_class)) ||
	    nla_put_u8(msg, DPU_A_TENANT_QOS_CAPPED, tn->qos_capped))
		goto nla_put_failure;
	if (cmd != DPU_CMD_TENANT_DEL &&
	    dpu_nl_stats_fill(msg, DPU_A_TENANT_STATS, &tn->rate))
		goto nla_put_failure;
	genlmsg_end(msg, hdr);
	return 0;

nla_put_failure:
	genlmsg_cancel(msg, hdr);
	return -EMSGSIZE;
}

/**
 * dpu_nl_tenant_notify() - announce @tn on the events group
 * @tn: the tenant, its DPU's lock held
 * @cmd: DPU_CMD_TENANT_NEW, _SET or _DEL
 */
void dpu_nl_tenant_notify(struct dpu_tenant *tn, u8 cmd)
{
	struct sk_buff *msg;

	if (cmd != DPU_CMD_TENANT_SET)
		dpu_generation_bump();

	msg = nlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return;
	if (dpu_nl_tenant_fill(msg, tn, cmd, 0, 0, 0)) {
		nlmsg_free(msg);
		return;
	}
	genlmsg_multicast_netns(&dpu_nl_family, &init_net, msg, 0,
				DPU_NL_MCGRP_EVENTS, GFP_KERNEL);
}

/* Reply with tenant @name of @ddev, as it is now. */
static int dpu_nl_tenant_reply(struct dpu_dev *ddev, const char *name, u8 cmd,
			       struct genl_info *info)
{
	struct dpu_tenant *tn;
	struct sk_buff *msg;
	int err;

	msg = nlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	mutex_lock(&ddev->lock);
	tn = dpu_tenant_find(ddev, name);
	if (tn) {
		err = dpu_nl_tenant_fill(msg, tn, cmd, info->snd_portid,
					 info->snd_seq, 0);
	} else {
		NL_SET_ERR_MSG(info->extack,
			       "no tenant with this name on this DPU");
		err = -ENOENT;
	}
	mutex_unlock(&ddev->lock);
	if (err) {
		nlmsg_free(msg);
		return err;
	}
	return genlmsg_reply(msg, info);
}

/* The tenant name of a request, validated, into @name. */
static int dpu_nl_tenant_name(struct genl_info *info, char *name)
{
	struct nlattr *attr = info->attrs[DPU_A_TENANT_NAME];
	const char *msg;

	if (DPU_NL_REQUIRE(info, DPU_A_TENANT_NAME, "tenant name required"))
		return -EINVAL;
	nla_strscpy(name, attr, DPU_TENANT_LEN);
	msg = dpu_tenant_name_check(name);
	if (msg) {
		dpu_extack_set(info->extack, attr, msg);
		return -EINVAL;
	}
	return 0;
}

/* The parent a request names: NULL if absent, "" for none. */
static int dpu_nl_tenant_parent(struct genl_info *info, char *parent,
				const char **out)
{
	struct nlattr *attr = info->attrs[DPU_A_TENANT_PARENT];
	const char *msg;

	*out = NULL;
	if (!attr)
		return 0;
	nla_strscpy(parent, attr, DPU_TENANT_LEN);
	if (parent[0]) {
		msg = dpu_tenant_name_check(parent);
		if (msg) {
			dpu_extack_set(info->extack, attr, msg);
			return -EINVAL;
		}
	}
	*out = parent;
	return 0;
}

static int dpu_nl_tenant_new_doit(struct sk_buff *skb, struct genl_info *info)
{
	char name[DPU_TENANT_LEN], pbuf[DPU_TENANT_LEN];
	struct nlattr *lattr = info->attrs[DPU_A_TENANT_LIMITS];
	struct nlattr *qattr = info->attrs[DPU_A_TENANT_QOS_CLASS];
	struct dpu_limits_change chg;
	struct dpu_dev *ddev;
	const char *parent;
	int err;

	err = dpu_nl_tenant_name(info, name);
	if (!err)
		err = dpu_nl_tenant_parent(info, pbuf, &parent);
	if (!err && lattr)
		err = dpu_nl_limits_parse(lattr, 0, &chg, info->extack);
	if (err)
		return err;
	ddev = dpu_nl_dev_from_attrs(info);
	if (IS_ERR(ddev))
		return PTR_ERR(ddev);
	err = dpu_tenant_new(ddev, name, parent, lattr ? &chg : NULL,
			     info->extack);
	if (!err && qattr)
		err = dpu_tenant_set_qos(ddev, name, nla_get_u8(qattr),
					 info->extack);
	if (!err)
		err = dpu_nl_tenant_reply(ddev, name, DPU_CMD_TENANT_NEW, info);
	put_device(&ddev->dev);
	return err;
}

static int dpu_nl_tenant_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	char name[DPU_TENANT_LEN];
	struct dpu_dev *ddev;
	int err;

	err = dpu_nl_tenant_name(info, name);
	if (err)
		return err;
	ddev = dpu_nl_dev_from_attrs(info);
	if (IS_ERR(ddev))
		return PTR_ERR(ddev);
	err = dpu_tenant_del(ddev, name, info->extack);
	put_device(&ddev->dev);
	return err;
}

static int dpu_nl_tenant_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	char name[DPU_TENANT_LEN], pbuf[DPU_TENANT_LEN];
	struct nlattr *lattr = info->attrs[DPU_A_TENANT_LIMITS];
	struct nlattr *qattr = info->attrs[DPU_A_TENANT_QOS_CLASS];
	struct dpu_limits_change chg;
	struct dpu_dev *ddev;
	const char *parent;
	int err;

	err = dpu_nl_tenant_name(info, name);
	if (!err)
		err = dpu_nl_tenant_parent(info, pbuf, &parent);
	if (err)
		return err;
	if (!parent && !lattr && !qattr) {
		NL_SET_ERR_MSG(info->extack,
			       "nothing to set: parent, limits or QoS class required");
		return -EINVAL;
	}
	if (lattr) {
		err = dpu_nl_limits_parse(lattr, 0, &chg, info->extack);
		if (err)
			return err;
	}
	ddev = dpu_nl_dev_from_attrs(info);
	if (IS_ERR(ddev))
		return PTR_ERR(ddev);
	/* merged with the limits in force under the DPU's lock */
	if (parent || lattr)
		err = dpu_tenant_set(ddev, name, parent, lattr ? &chg : NULL,
				     info->extack);
	if (!err && qattr)
		err = dpu_tenant_set_qos(ddev, name, nla_get_u8(qattr),
					 info->extack);
	if (!err)
		err = dpu_nl_tenant_reply(ddev, name, DPU_CMD_TENANT_SET, info);
	put_device(&ddev->dev);
	return err;
}

static int dpu_nl_tenant_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	char name[DPU_TENANT_LEN];
	struct dpu_dev *ddev;
	int err;

	err = dpu_nl_tenant_name(info, name);
	if (err)
		return err;
	ddev = dpu_nl_dev_from_attrs(info);
	if (IS_ERR(ddev))
		return PTR_ERR(ddev);
	err = dpu_nl_tenant_reply(ddev, name, DPU_CMD_TENANT_GET, info);
	put_device(&ddev->dev);
	return err;
}

static int dpu_nl_tenant_dump_fill(struct sk_buff *msg, void *entry,
				   struct netlink_callback *cb)
{
	unsigned int start = msg->len;
	int err;

	err = dpu_nl_tenant_fill(msg, entry, DPU_CMD_TENANT_GET,
				 NETLINK_CB(cb->skb).portid,
				 cb->nlh->nlmsg_seq, NLM_F_MULTI);
	if (!err)
		dpu_nl_dump_check(msg, start, cb);
	return err;
}

static int dpu_nl_tenant_dump_dev(struct dpu_dev *ddev, void *arg)
{
	return dpu_nl_dump_xa(arg, ddev, &ddev->tenants,
			      dpu_nl_tenant_dump_fill);
}

static int dpu_nl_tenant_get_dumpit(struct sk_buff *skb,
				    struct netlink_callback *cb)
{
	return dpu_nl_dump_devs(skb, cb, dpu_nl_tenant_dump_dev);
}

static int dpu_nl_notification_doit(struct sk_buff *skb,
				    struct genl_info *info)
{
	NL_SET_ERR_MSG(info->extack,
		       "this command is a notification of the qos group, not a request");
	return -EOPNOTSUPP;
}

/* Changes need CAP_NET_ADMIN (pre_doit); each command has its own policy. */
static const struct genl_ops dpu_nl_ops[] = {
	{
		.cmd = DPU_CMD_DEV_GET,
		.doit = dpu_nl_dev_get_doit,
		.dumpit = dpu_nl_dev_get_dumpit,
		.policy = dpu_nl_policies[DPU_CMD_DEV_GET],
		.maxattr = DPU_A_MAX,
	},
	{
		.cmd = DPU_CMD_FN_NEW,
		.doit = dpu_nl_fn_new_doit,
		.internal_flags = DPU_NL_CHANGE,
		.policy = dpu_nl_policies[DPU_CMD_FN_NEW],
		.maxattr = DPU_A_MAX,
	},
	{
		.cmd = DPU_CMD_FN_DEL,
		.doit = dpu_nl_fn_del_doit,
		.internal_flags = DPU_NL_CHANGE,
		.policy = dpu_nl_policies[DPU_CMD_FN_DEL],
		.maxattr = DPU_A_MAX,
	},
	{
		.cmd = DPU_CMD_FN_GET,
		.doit = dpu_nl_fn_get_doit,
		.dumpit = dpu_nl_fn_get_dumpit,
		.policy = dpu_nl_policies[DPU_CMD_FN_GET],
		.maxattr = DPU_A_MAX,
	},
	{
		.cmd = DPU_CMD_FN_SET,
		.doit = dpu_nl_fn_set_doit,
		.internal_flags = DPU_NL_CHANGE,
		.policy = dpu_nl_policies[DPU_CMD_FN_SET],
		.maxattr = DPU_A_MAX,
	},
	{
		.cmd = DPU_CMD_TENANT_NEW,
		.doit = dpu_nl_tenant_new_doit,
		.internal_flags = DPU_NL_CHANGE,
		.policy = dpu_nl_policies[DPU_CMD_TENANT_NEW],
		.maxattr = DPU_A_MAX,
	},
	{
		.cmd = DPU_CMD_TENANT_DEL,
		.doit = dpu_nl_tenant_del_doit,
		.internal_flags = DPU_NL_CHANGE,
		.policy = dpu_nl_policies[DPU_CMD_TENANT_DEL],
		.maxattr = DPU_A_MAX,
	},
	{
		.cmd = DPU_CMD_TENANT_GET,
		.doit = dpu_nl_tenant_get_doit,
		.dumpit = dpu_nl_tenant_get_dumpit,
		.policy = dpu_nl_policies[DPU_CMD_TENANT_GET],
		.maxattr = DPU_A_MAX,
	},
	{
		.cmd = DPU_CMD_TENANT_SET,
		.doit = dpu_nl_tenant_set_doit,
		.internal_flags = DPU_NL_CHANGE,
		.policy = dpu_nl_policies[DPU_CMD_TENANT_SET],
		.maxattr = DPU_A_MAX,
	},
	{
		.cmd = DPU_CMD_QOS_CLASS_SET,
		.doit = dpu_nl_qos_class_set_doit,
		.internal_flags = DPU_NL_CHANGE,
		.policy = dpu_nl_policies[DPU_CMD_QOS_CLASS_SET],
		.maxattr = DPU_A_MAX,
	},
	{
		.cmd = DPU_CMD_QOS_CLASS_DEL,
		.doit = dpu_nl_qos_class_del_doit,
		.internal_flags = DPU_NL_CHANGE,
		.policy = dpu_nl_policies[DPU_CMD_QOS_CLASS_DEL],
		.maxattr = DPU_A_MAX,
	},
	{
		.cmd = DPU_CMD_QOS_CLASS_GET,
		.doit = dpu_nl_qos_class_get_doit,
		.dumpit = dpu_nl_qos_class_get_dumpit,
		.policy = dpu_nl_policies[DPU_CMD_QOS_CLASS_GET],
		.maxattr = DPU_A_MAX,
	},
	{
		.cmd = DPU_CMD_QOS_GET,
		.doit = dpu_nl_qos_get_doit,
		.policy = dpu_nl_policies[DPU_CMD_QOS_GET],
		.maxattr = DPU_A_MAX,
	},
	{
		.cmd = DPU_CMD_QOS_SET,
		.doit = dpu_nl_qos_set_doit,
		.internal_flags = DPU_NL_CHANGE,
		.policy = dpu_nl_policies[DPU_CMD_QOS_SET],
		.maxattr = DPU_A_MAX,
	},
	{
		/* a notification only: say so rather than the core's bare error */
		.cmd = DPU_CMD_QOS_DECISION,
		.doit = dpu_nl_notification_doit,
		.policy = dpu_nl_policies[DPU_CMD_QOS_DECISION],
		.maxattr = DPU_A_MAX,
	},
};

struct genl_family dpu_nl_family __ro_after_init = {
	.name = DPU_GENL_NAME,
	.version = DPU_GENL_VERSION,
	.maxattr = DPU_A_MAX,
	.netnsok = true,
	.parallel_ops = true,
	.pre_doit = dpu_nl_pre_doit,
	.module = THIS_MODULE,
	.ops = dpu_nl_ops,
	.n_ops = ARRAY_SIZE(dpu_nl_ops),
	.mcgrps = dpu_nl_mcgrps,
	.n_mcgrps = ARRAY_SIZE(dpu_nl_mcgrps),
	.resv_start_op = DPU_CMD_DEV_GET,
};

int __init dpu_netlink_init(void)
{
	dpu_nl_policies_init();
	return genl_register_family(&dpu_nl_family);
}

void dpu_netlink_exit(void)
{
	genl_unregister_family(&dpu_nl_family);
}
MODULE_ALIAS_GENL_FAMILY(DPU_GENL_NAME);
