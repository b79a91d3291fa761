// SPDX-License-Identifier: GPL-2.0
/*
 * dpupool generic netlink family "dpu": strict policies, extack on every
 * error, resumable dumps.
 */
#include <linux/module.h>
#include <net/genetlink.h>
#include <net/netlink.h>

#include "dpu.h"

#define DPU_NL_OUTPUT_ONLY \
	{ .type = NLA_REJECT, .reject_message = "attribute is output-only" }

static const struct nla_policy dpu_nl_policy[DPU_A_MAX + 1] = {
	[DPU_A_DEV_INDEX] = { .type = NLA_U32 },
	[DPU_A_DEV_NAME] = { .type = NLA_NUL_STRING, .len = DPU_NAME_LEN - 1 },
	[DPU_A_DEV_BACKEND] = DPU_NL_OUTPUT_ONLY,
	[DPU_A_DEV_BUS_NAME] = DPU_NL_OUTPUT_ONLY,
	[DPU_A_DEV_PARENT] = DPU_NL_OUTPUT_ONLY,
	[DPU_A_DEV_NUMA_NODE] = DPU_NL_OUTPUT_ONLY,
};

static struct genl_family dpu_nl_family;

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
	    nla_put_s32(msg, DPU_A_DEV_NUMA_NODE, dev_to_node(&ddev->dev)))
		goto nla_put_failure;
	if (parent && parent->bus &&
	    nla_put_string(msg, DPU_A_DEV_BUS_NAME, parent->bus->name))
		goto nla_put_failure;
	if (parent && nla_put_string(msg, DPU_A_DEV_PARENT, dev_name(parent)))
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

static int dpu_nl_dev_dump_one(struct dpu_dev *ddev, void *arg)
{
	struct dpu_nl_dump_ctx *ctx = arg;

	return dpu_nl_dev_fill(ctx->skb, ddev,
			       NETLINK_CB(ctx->cb->skb).portid,
			       ctx->cb->nlh->nlmsg_seq, NLM_F_MULTI);
}

/* cb->args[0]: index of the next device to dump */
static int dpu_nl_dev_get_dumpit(struct sk_buff *skb,
				 struct netlink_callback *cb)
{
	struct dpu_nl_dump_ctx ctx = { .skb = skb, .cb = cb };
	unsigned long index = cb->args[0];
	int err;

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

static const struct genl_ops dpu_nl_ops[] = {
	{
		.cmd = DPU_CMD_DEV_GET,
		.doit = dpu_nl_dev_get_doit,
		.dumpit = dpu_nl_dev_get_dumpit,
	},
};

static struct genl_family dpu_nl_family __ro_after_init = {
	.name = DPU_GENL_NAME,
	.version = DPU_GENL_VERSION,
	.maxattr = DPU_A_MAX,
	.policy = dpu_nl_policy,
	.netnsok = true,
	.parallel_ops = true,
	.module = THIS_MODULE,
	.ops = dpu_nl_ops,
	.n_ops = ARRAY_SIZE(dpu_nl_ops),
	.resv_start_op = DPU_CMD_DEV_GET,
};

int __init dpu_netlink_init(void)
{
	return genl_register_family(&dpu_nl_family);
}

void dpu_netlink_exit(void)
{
	genl_unregister_family(&dpu_nl_family);
}
MODULE_ALIAS_GENL_FAMILY(DPU_GENL_NAME);
