// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libdpu: DPU devices (DPU_CMD_DEV_GET).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>

#include "libdpu.h"
#include "nl_priv.h"

static int copy_u64(const struct nlattr *attr, uint64_t *dst)
{
	if (mnl_attr_validate(attr, MNL_TYPE_U64) < 0)
		return -EBADMSG;
	*dst = mnl_attr_get_u64(attr);
	return 0;
}

static int copy_str(const struct nlattr *attr, char *dst, size_t len)
{
	if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0)
		return -EBADMSG;
	if (strlen(mnl_attr_get_str(attr)) >= len)
		return -EBADMSG;
	strcpy(dst, mnl_attr_get_str(attr));
	return 0;
}

int dpu_dev_parse(const struct nlmsghdr *nlh, struct dpu_dev_info *out)
{
	const struct nlattr *attr;
	bool has_index = false;
	int err = 0;

	memset(out, 0, sizeof(*out));
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(struct genlmsghdr))
		return -EBADMSG;

	mnl_attr_for_each(attr, nlh, sizeof(struct genlmsghdr)) {
		switch (mnl_attr_get_type(attr)) {
		case DPU_A_DEV_INDEX:
			if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
				return -EBADMSG;
			out->index = mnl_attr_get_u32(attr);
			has_index = true;
			break;
		case DPU_A_DEV_NAME:
			err = copy_str(attr, out->name, sizeof(out->name));
			break;
		case DPU_A_DEV_BACKEND:
			err = copy_str(attr, out->backend, sizeof(out->backend));
			break;
		case DPU_A_DEV_BUS_NAME:
			err = copy_str(attr, out->bus, sizeof(out->bus));
			break;
		case DPU_A_DEV_PARENT:
			err = copy_str(attr, out->parent, sizeof(out->parent));
			break;
		case DPU_A_DEV_NUMA_NODE:
			if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
				return -EBADMSG;
			out->numa_node = (int32_t)mnl_attr_get_u32(attr);
			out->has_numa_node = true;
			break;
		case DPU_A_DEV_FN_TYPES:
			if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
				return -EBADMSG;
			out->fn_types = mnl_attr_get_u32(attr);
			out->has_caps = true;
			break;
		case DPU_A_DEV_TENANT_DEPTH:
			if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
				return -EBADMSG;
			out->tenant_depth = mnl_attr_get_u32(attr);
			break;
		case DPU_A_DEV_MAX_QUEUES:
			if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
				return -EBADMSG;
			out->max_queues = mnl_attr_get_u32(attr);
			break;
		case DPU_A_DEV_MAX_MTU:
			if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
				return -EBADMSG;
			out->max_mtu = mnl_attr_get_u32(attr);
			break;
		case DPU_A_DEV_BURST_MS_MAX:
			if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
				return -EBADMSG;
			out->burst_ms_max = mnl_attr_get_u32(attr);
			break;
		case DPU_A_DEV_IO_CAPACITY_IOPS:
			err = copy_u64(attr, &out->io_capacity_iops);
			break;
		case DPU_A_DEV_IO_CAPACITY_BPS:
			err = copy_u64(attr, &out->io_capacity_bps);
			break;
		case DPU_A_DEV_IO_LOAD_IOPS:
			err = copy_u64(attr, &out->io_load_iops);
			break;
		case DPU_A_DEV_IO_LOAD_BPS:
			err = copy_u64(attr, &out->io_load_bps);
			break;
		case DPU_A_DEV_IO_SATURATED:
			if (mnl_attr_validate(attr, MNL_TYPE_U8) < 0)
				return -EBADMSG;
			out->io_saturated = mnl_attr_get_u8(attr);
			out->has_io_load = true;
			break;
		case DPU_A_DEV_HOST_LIMITS:
			if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
				return -EBADMSG;
			out->host_limits = mnl_attr_get_u32(attr);
			break;
		case DPU_A_DEV_LIMIT_MAX: {
			uint64_t unused[DPU_LIMIT_KINDS] = { 0 };

			err = dpu_parse_limits(attr, out->limit_max, unused);
			break;
		}
		default:	/* newer kernel: ignore what we do not know */
			break;
		}
		if (err)
			return err;
	}
	if (!has_index || !out->name[0])
		return -EBADMSG;
	return 0;
}

struct dev_get_ctx {
	struct dpu_dev_info *out;
	dpu_dev_cb cb;
	void *arg;
	int found;
};

static int dev_msg_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct dev_get_ctx *ctx = arg;
	struct dpu_dev_info info;
	int err;

	err = dpu_dev_parse(nlh, ctx->out ? ctx->out : &info);
	if (err)
		return err;
	ctx->found++;
	if (ctx->cb)
		return ctx->cb(&info, ctx->arg);
	return 0;
}

int dpu_dev_get(struct dpu_nl *nl, const char *name, uint32_t index,
		struct dpu_dev_info *out)
{
	struct dev_get_ctx ctx = { .out = out };
	struct nlmsghdr *nlh;
	int err;

	nlh = dpu_nl_msg(nl, DPU_CMD_DEV_GET, 0);
	if (name) {
		if (strlen(name) >= DPU_NAME_LEN) {
			snprintf(nl->errmsg, sizeof(nl->errmsg),
				 "device name \"%s\" is longer than %d characters",
				 name, DPU_NAME_LEN - 1);
			return -EINVAL;
		}
		mnl_attr_put_strz(nlh, DPU_A_DEV_NAME, name);
	} else {
		mnl_attr_put_u32(nlh, DPU_A_DEV_INDEX, index);
	}
	err = dpu_nl_talk(nl, nlh, dev_msg_cb, &ctx);
	if (err)
		return err;
	return ctx.found == 1 ? 0 : -EBADMSG;
}

int dpu_dev_dump(struct dpu_nl *nl, dpu_dev_cb cb, void *arg)
{
	struct dev_get_ctx ctx = { .cb = cb, .arg = arg };
	struct nlmsghdr *nlh;

	nlh = dpu_nl_msg(nl, DPU_CMD_DEV_GET, NLM_F_DUMP);
	return dpu_nl_talk(nl, nlh, dev_msg_cb, &ctx);
}
