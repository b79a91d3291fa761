// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libdpu: functions (DPU_CMD_FN_*), tenants (DPU_CMD_TENANT_*) and their
 * events.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>

#include "libdpu.h"
#include "nl_priv.h"

static int fn_str(const struct nlattr *a, char *dst, size_t len)
{
	if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) < 0 ||
	    strlen(mnl_attr_get_str(a)) >= len)
		return -EBADMSG;
	strcpy(dst, mnl_attr_get_str(a));
	return 0;
}

/* A nest of enum dpu_limit_attr into rate/burst arrays; unknown kinds
 * (from a newer kernel) are ignored. */
int dpu_parse_limits(const struct nlattr *nest, uint64_t *rate,
		     uint64_t *burst)
{
	const struct nlattr *l;

	mnl_attr_for_each_nested(l, nest) {
		unsigned int t = mnl_attr_get_type(l);
		unsigned int k = (t - DPU_A_LIMIT_BLK_IOPS) / 2;

		if (t < DPU_A_LIMIT_BLK_IOPS || k >= DPU_LIMIT_KINDS)
			continue;
		if (mnl_attr_validate(l, MNL_TYPE_U64) < 0)
			return -EBADMSG;
		if ((t - DPU_A_LIMIT_BLK_IOPS) % 2)
			burst[k] = mnl_attr_get_u64(l);
		else
			rate[k] = mnl_attr_get_u64(l);
	}
	return 0;
}

/* A nest of enum dpu_stat_attr; unknown counters are ignored. */
static int parse_stats(const struct nlattr *nest, struct dpu_stats *st)
{
	const struct nlattr *a;
	uint64_t *v;

	mnl_attr_for_each_nested(a, nest) {
		switch (mnl_attr_get_type(a)) {
		case DPU_A_STAT_BLK_IOS: v = &st->blk_ios; break;
		case DPU_A_STAT_BLK_BYTES: v = &st->blk_bytes; break;
		case DPU_A_STAT_NET_TX_PACKETS: v = &st->tx_packets; break;
		case DPU_A_STAT_NET_TX_BYTES: v = &st->tx_bytes; break;
		case DPU_A_STAT_NET_RX_PACKETS: v = &st->rx_packets; break;
		case DPU_A_STAT_NET_RX_BYTES: v = &st->rx_bytes; break;
		case DPU_A_STAT_NET_RX_DROPPED: v = &st->rx_dropped; break;
		case DPU_A_STAT_THROTTLED: v = &st->throttled; break;
		case DPU_A_STAT_THROTTLED_NS: v = &st->throttled_ns; break;
		case DPU_A_STAT_QUEUED: v = &st->queued; break;
		default: continue;	/* DPU_A_STAT_PAD or newer */
		}
		if (mnl_attr_validate(a, MNL_TYPE_U64) < 0)
			return -EBADMSG;
		*v = mnl_attr_get_u64(a);
	}
	return 0;
}

int dpu_fn_parse(const struct nlmsghdr *nlh, struct dpu_fn_info *out)
{
	const struct genlmsghdr *g;
	const struct nlattr *a;
	bool has_index = false;
	int err = 0;

	memset(out, 0, sizeof(*out));
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*g))
		return -EBADMSG;
	g = mnl_nlmsg_get_payload(nlh);
	out->cmd = g->cmd;

	mnl_attr_for_each(a, nlh, sizeof(*g)) {
		switch (mnl_attr_get_type(a)) {
		case DPU_A_DEV_INDEX:
			if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
				return -EBADMSG;
			out->dev_index = mnl_attr_get_u32(a);
			break;
		case DPU_A_DEV_NAME:
			err = fn_str(a, out->dev, sizeof(out->dev));
			break;
		case DPU_A_FN_INDEX:
			if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
				return -EBADMSG;
			out->index = mnl_attr_get_u32(a);
			has_index = true;
			break;
		case DPU_A_FN_TYPE:
			if (mnl_attr_validate(a, MNL_TYPE_U8) < 0)
				return -EBADMSG;
			out->type = mnl_attr_get_u8(a);
			break;
		case DPU_A_FN_STATE:
			if (mnl_attr_validate(a, MNL_TYPE_U8) < 0)
				return -EBADMSG;
			out->state = mnl_attr_get_u8(a);
			break;
		case DPU_A_FN_TENANT:
			err = fn_str(a, out->tenant, sizeof(out->tenant));
			break;
		case DPU_A_FN_ERROR:
			if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
				return -EBADMSG;
			out->error = (int32_t)mnl_attr_get_u32(a);
			out->has_error = true;
			break;
		case DPU_A_FN_SIZE:
			if (mnl_attr_validate(a, MNL_TYPE_U64) < 0)
				return -EBADMSG;
			out->size = mnl_attr_get_u64(a);
			out->has_size = true;
			break;
		case DPU_A_FN_MAC:
			if (mnl_attr_get_payload_len(a) != 6)
				return -EBADMSG;
			memcpy(out->mac, mnl_attr_get_payload(a), 6);
			out->has_mac = true;
			break;
		case DPU_A_FN_BLKDEV:
			err = fn_str(a, out->blkdev, sizeof(out->blkdev));
			break;
		case DPU_A_FN_NETDEV:
			err = fn_str(a, out->netdev, sizeof(out->netdev));
			break;
		case DPU_A_FN_REASON:
			err = fn_str(a, out->reason, sizeof(out->reason));
			break;
		case DPU_A_FN_BUS_ADDR:
			err = fn_str(a, out->bus_addr, sizeof(out->bus_addr));
			break;
		case DPU_A_FN_QUEUES:
			if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
				return -EBADMSG;
			out->queues = mnl_attr_get_u32(a);
			break;
		case DPU_A_FN_MTU:
			if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
				return -EBADMSG;
			out->mtu = mnl_attr_get_u32(a);
			break;
		case DPU_A_FN_IFINDEX:
			if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
				return -EBADMSG;
			out->ifindex = mnl_attr_get_u32(a);
			break;
		case DPU_A_FN_NETNS_ID:
			if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
				return -EBADMSG;
			out->has_netns_id = true;
			out->netns_id = (int32_t)mnl_attr_get_u32(a);
			break;
		case DPU_A_FN_LIMITS:
			err = dpu_parse_limits(a, out->limit_rate, out->limit_burst);
			break;
		case DPU_A_FN_EFFECTIVE_LIMITS:
			err = dpu_parse_limits(a, out->eff_rate, out->eff_burst);
			break;
		case DPU_A_FN_STATS:
			err = parse_stats(a, &out->stats);
			out->has_stats = true;
			break;
		case DPU_A_FN_NUMA_NODE:
			if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
				return -EBADMSG;
			out->numa_node = (int32_t)mnl_attr_get_u32(a);
			out->has_numa_node = true;
			break;
		default:
			break;
		}
		if (err)
			return err;
	}
	if (!has_index || !out->dev[0] || !out->type || !out->state)
		return -EBADMSG;
	return 0;
}

struct fn_ctx {
	struct dpu_fn_info *out;
	dpu_fn_cb cb;
	void *arg;
	int found;
};

static int fn_msg_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct fn_ctx *ctx = arg;
	struct dpu_fn_info info;
	int err;

	err = dpu_fn_parse(nlh, ctx->out ? ctx->out : &info);
	if (err)
		return err;
	ctx->found++;
	return ctx->cb ? ctx->cb(&info, ctx->arg) : 0;
}

static int put_dev(struct dpu_nl *nl, struct nlmsghdr *nlh, const char *dev)
{
	if (!dev || !*dev) {
		snprintf(nl->errmsg, sizeof(nl->errmsg), "no DPU device given");
		return -EINVAL;
	}
	if (strlen(dev) >= DPU_NAME_LEN) {
		snprintf(nl->errmsg, sizeof(nl->errmsg),
			 "device name \"%s\" is longer than %d characters",
			 dev, DPU_NAME_LEN - 1);
		return -EINVAL;
	}
	mnl_attr_put_strz(nlh, DPU_A_DEV_NAME, dev);
	return 0;
}

static int put_tenant(struct dpu_nl *nl, struct nlmsghdr *nlh,
		      const char *tenant)
{
	if (!tenant || strlen(tenant) >= DPU_TENANT_LEN) {
		snprintf(nl->errmsg, sizeof(nl->errmsg),
			 tenant ? "tenant name is longer than %d characters" :
				  "no tenant given", DPU_TENANT_LEN - 1);
		return -EINVAL;
	}
	mnl_attr_put_strz(nlh, DPU_A_FN_TENANT, tenant);
	return 0;
}

static int fn_do(struct dpu_nl *nl, struct nlmsghdr *nlh,
		 struct dpu_fn_info *out)
{
	struct dpu_fn_info tmp;
	struct fn_ctx ctx = { .out = out ? out : &tmp };
	int err;

	err = dpu_nl_talk(nl, nlh, fn_msg_cb, &ctx);
	if (err)
		return err;
	return ctx.found == 1 ? 0 : -EBADMSG;
}

int dpu_fn_new(struct dpu_nl *nl, const struct dpu_fn_new_args *args,
	       struct dpu_fn_info *out)
{
	struct nlmsghdr *nlh;
	int err;

	nlh = dpu_nl_msg(nl, DPU_CMD_FN_NEW, 0);
	err = put_dev(nl, nlh, args->dev);
	if (!err)
		err = put_tenant(nl, nlh, args->tenant);
	if (err)
		return err;
	mnl_attr_put_u8(nlh, DPU_A_FN_TYPE, args->type);
	if (args->type == DPU_FN_TYPE_BLK)
		mnl_attr_put_u64(nlh, DPU_A_FN_SIZE, args->size);
	if (args->has_mac)
		mnl_attr_put(nlh, DPU_A_FN_MAC, 6, args->mac);
	if (args->has_index)
		mnl_attr_put_u32(nlh, DPU_A_FN_INDEX, args->index);
	if (args->queues)
		mnl_attr_put_u32(nlh, DPU_A_FN_QUEUES, args->queues);
	if (args->mtu)
		mnl_attr_put_u32(nlh, DPU_A_FN_MTU, args->mtu);
	return fn_do(nl, nlh, out);
}

int dpu_fn_del(struct dpu_nl *nl, const char *dev, uint32_t index)
{
	struct nlmsghdr *nlh;
	int err;

	nlh = dpu_nl_msg(nl, DPU_CMD_FN_DEL, 0);
	err = put_dev(nl, nlh, dev);
	if (err)
		return err;
	mnl_attr_put_u32(nlh, DPU_A_FN_INDEX, index);
	return dpu_nl_talk(nl, nlh, NULL, NULL);
}

int dpu_fn_get(struct dpu_nl *nl, const char *dev, uint32_t index,
	       struct dpu_fn_info *out)
{
	struct nlmsghdr *nlh;
	int err;

	nlh = dpu_nl_msg(nl, DPU_CMD_FN_GET, 0);
	err = put_dev(nl, nlh, dev);
	if (err)
		return err;
	mnl_attr_put_u32(nlh, DPU_A_FN_INDEX, index);
	return fn_do(nl, nlh, out);
}

void dpu_limits_put(struct nlmsghdr *nlh, uint16_t attr,
		    const struct dpu_limits_req *lim)
{
	struct nlattr *nest;
	int k;

	nest = mnl_attr_nest_start(nlh, attr);
	for (k = 0; k < DPU_LIMIT_KINDS; k++) {
		if (lim->has_rate[k])
			mnl_attr_put_u64(nlh, DPU_A_LIMIT_BLK_IOPS + 2 * k,
					 lim->rate[k]);
		if (lim->has_burst[k])
			mnl_attr_put_u64(nlh, DPU_A_LIMIT_BLK_IOPS + 2 * k + 1,
					 lim->burst[k]);
	}
	mnl_attr_nest_end(nlh, nest);
}

int dpu_fn_set(struct dpu_nl *nl, const char *dev, uint32_t index,
	       const char *tenant, const struct dpu_limits_req *lim,
	       struct dpu_fn_info *out)
{
	struct nlmsghdr *nlh;
	int err;

	nlh = dpu_nl_msg(nl, DPU_CMD_FN_SET, 0);
	err = put_dev(nl, nlh, dev);
	if (!err && tenant)
		err = put_tenant(nl, nlh, tenant);
	if (err)
		return err;
	mnl_attr_put_u32(nlh, DPU_A_FN_INDEX, index);
	if (lim)
		dpu_limits_put(nlh, DPU_A_FN_LIMITS, lim);
	return fn_do(nl, nlh, out);
}

int dpu_fn_set_tenant(struct dpu_nl *nl, const char *dev, uint32_t index,
		      const char *tenant, struct dpu_fn_info *out)
{
	return dpu_fn_set(nl, dev, index, tenant, NULL, out);
}

int dpu_fn_dump(struct dpu_nl *nl, const char *dev, dpu_fn_cb cb, void *arg)
{
	struct fn_ctx ctx = { .cb = cb, .arg = arg };
	struct nlmsghdr *nlh;
	int err;

	nlh = dpu_nl_msg(nl, DPU_CMD_FN_GET, NLM_F_DUMP);
	if (dev) {
		err = put_dev(nl, nlh, dev);
		if (err)
			return err;
	}
	return dpu_nl_talk(nl, nlh, fn_msg_cb, &ctx);
}

/* ------------------------------------------------------------ tenants */

static int put_str(const char *what, uint16_t type, size_t max,
		   struct nlmsghdr *nlh, const char *s, char *err,
		   size_t errlen)
{
	if (strlen(s) >= max) {
		snprintf(err, errlen, "%s \"%s\" is longer than %zu characters",
			 what, s, max - 1);
		return -EINVAL;
	}
	mnl_attr_put_strz(nlh, type, s);
	return 0;
}

int dpu_tenant_msg_put(struct nlmsghdr *nlh, uint8_t cmd, const char *dev,
		       const char *name, const char *parent,
		       const struct dpu_limits_req *lim, char *err,
		       size_t errlen)
{
	bool dump = cmd == DPU_CMD_TENANT_GET &&
		    (nlh->nlmsg_flags & NLM_F_DUMP);
	int ret;

	if (err && errlen)
		err[0] = '\0';
	if (!dump && (!dev || !*dev)) {
		snprintf(err, errlen, "no DPU device given");
		return -EINVAL;
	}
	if (!dump && !name) {
		snprintf(err, errlen, "tenant name required");
		return -EINVAL;
	}
	if (dev) {
		ret = put_str("device name", DPU_A_DEV_NAME, DPU_NAME_LEN, nlh,
			      dev, err, errlen);
		if (ret)
			return ret;
	}
	if (name) {
		ret = put_str("tenant name", DPU_A_TENANT_NAME, DPU_TENANT_LEN,
			      nlh, name, err, errlen);
		if (ret)
			return ret;
	}
	if (cmd != DPU_CMD_TENANT_NEW && cmd != DPU_CMD_TENANT_SET)
		return 0;
	/* NEW: no parent is a root; SET: "" makes it one */
	if (parent && (*parent || cmd == DPU_CMD_TENANT_SET)) {
		ret = put_str("parent tenant name", DPU_A_TENANT_PARENT,
			      DPU_TENANT_LEN, nlh, parent, err, errlen);
		if (ret)
			return ret;
	}
	if (lim)
		dpu_limits_put(nlh, DPU_A_TENANT_LIMITS, lim);
	return 0;
}

int dpu_tenant_parse(const struct nlmsghdr *nlh, struct dpu_tenant_info *out)
{
	const struct genlmsghdr *g;
	const struct nlattr *a;
	int err = 0;

	memset(out, 0, sizeof(*out));
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*g))
		return -EBADMSG;
	g = mnl_nlmsg_get_payload(nlh);
	out->cmd = g->cmd;

	mnl_attr_for_each(a, nlh, sizeof(*g)) {
		switch (mnl_attr_get_type(a)) {
		case DPU_A_DEV_INDEX:
			if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
				return -EBADMSG;
			out->dev_index = mnl_attr_get_u32(a);
			break;
		case DPU_A_DEV_NAME:
			err = fn_str(a, out->dev, sizeof(out->dev));
			break;
		case DPU_A_TENANT_NAME:
			err = fn_str(a, out->name, sizeof(out->name));
			break;
		case DPU_A_TENANT_PARENT:
			err = fn_str(a, out->parent, sizeof(out->parent));
			break;
		case DPU_A_TENANT_DEPTH:
			if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
				return -EBADMSG;
			out->depth = mnl_attr_get_u32(a);
			break;
		case DPU_A_TENANT_NUM_FNS:
			if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
				return -EBADMSG;
			out->num_fns = mnl_attr_get_u32(a);
			break;
		case DPU_A_TENANT_NUM_CHILDREN:
			if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
				return -EBADMSG;
			out->num_children = mnl_attr_get_u32(a);
			break;
		case DPU_A_TENANT_LIMITS:
			err = dpu_parse_limits(a, out->limit_rate, out->limit_burst);
			break;
		case DPU_A_TENANT_STATS:
			err = parse_stats(a, &out->stats);
			out->has_stats = true;
			break;
		case DPU_A_TENANT_QOS_CLASS:
			if (mnl_attr_validate(a, MNL_TYPE_U8) < 0)
				return -EBADMSG;
			out->qos_class = mnl_attr_get_u8(a);
			break;
		case DPU_A_TENANT_QOS_CAPPED:
			if (mnl_attr_validate(a, MNL_TYPE_U8) < 0)
				return -EBADMSG;
			out->qos_capped = mnl_attr_get_u8(a);
			break;
		default:	/* newer kernel: ignore what we do not know */
			break;
		}
		if (err)
			return err;
	}
	if (!out->dev[0] || !out->name[0])
		return -EBADMSG;
	return 0;
}

struct tenant_ctx {
	struct dpu_tenant_info *out;
	dpu_tenant_cb cb;
	void *arg;
	int found;
};

static int tenant_msg_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct tenant_ctx *ctx = arg;
	struct dpu_tenant_info info;
	int err;

	err = dpu_tenant_parse(nlh, ctx->out ? ctx->out : &info);
	if (err)
		return err;
	ctx->found++;
	return ctx->cb ? ctx->cb(&info, ctx->arg) : 0;
}

static int tenant_req(struct dpu_nl *nl, uint8_t cmd, uint16_t flags,
		      const char *dev, const char *name, const char *parent,
		      const struct dpu_limits_req *lim,
		      struct dpu_tenant_info *out, dpu_tenant_cb cb, void *arg)
{
	struct dpu_tenant_info tmp;
	struct tenant_ctx ctx = { .cb = cb, .arg = arg };
	struct nlmsghdr *nlh;
	int err;

	nlh = dpu_nl_msg(nl, cmd, flags);
	err = dpu_tenant_msg_put(nlh, cmd, dev, name, parent, lim,
				 nl->errmsg, sizeof(nl->errmsg));
	if (err)
		return err;
	if (flags & NLM_F_DUMP)
		return dpu_nl_talk(nl, nlh, tenant_msg_cb, &ctx);
	if (cmd == DPU_CMD_TENANT_DEL)
		return dpu_nl_talk(nl, nlh, NULL, NULL);
	ctx.out = out ? out : &tmp;
	err = dpu_nl_talk(nl, nlh, tenant_msg_cb, &ctx);
	if (err)
		return err;
	return ctx.found == 1 ? 0 : -EBADMSG;
}

int dpu_tenant_new(struct dpu_nl *nl, const char *dev, const char *name,
		   const char *parent, const struct dpu_limits_req *lim,
		   struct dpu_tenant_info *out)
{
	return tenant_req(nl, DPU_CMD_TENANT_NEW, 0, dev, name, parent, lim,
			  out, NULL, NULL);
}

int dpu_tenant_set(struct dpu_nl *nl, const char *dev, const char *name,
		   const char *parent, const struct dpu_limits_req *lim,
		   struct dpu_tenant_info *out)
{
	return tenant_req(nl, DPU_CMD_TENANT_SET, 0, dev, name, parent, lim,
			  out, NULL, NULL);
}

int dpu_tenant_del(struct dpu_nl *nl, const char *dev, const char *name)
{
	return tenant_req(nl, DPU_CMD_TENANT_DEL, 0, dev, name, NULL, NULL,
			  NULL, NULL, NULL);
}

int dpu_tenant_set_qos(struct dpu_nl *nl, const char *dev, const char *name,
		       uint8_t qos_class, struct dpu_tenant_info *out)
{
	struct dpu_tenant_info tmp;
	struct tenant_ctx ctx = { .out = out ? out : &tmp };
	struct nlmsghdr *nlh;
	int err;

	nlh = dpu_nl_msg(nl, DPU_CMD_TENANT_SET, 0);
	err = dpu_tenant_msg_put(nlh, DPU_CMD_TENANT_SET, dev, name, NULL,
				 NULL, nl->errmsg, sizeof(nl->errmsg));
	if (err)
		return err;
	mnl_attr_put_u8(nlh, DPU_A_TENANT_QOS_CLASS, qos_class);
	err = dpu_nl_talk(nl, nlh, tenant_msg_cb, &ctx);
	if (err)
		return err;
	return ctx.found == 1 ? 0 : -EBADMSG;
}

int dpu_tenant_get(struct dpu_nl *nl, const char *dev, const char *name,
		   struct dpu_tenant_info *out)
{
	return tenant_req(nl, DPU_CMD_TENANT_GET, 0, dev, name, NULL, NULL,
			  out, NULL, NULL);
}

int dpu_tenant_dump(struct dpu_nl *nl, const char *dev, dpu_tenant_cb cb,
		    void *arg)
{
	return tenant_req(nl, DPU_CMD_TENANT_GET, NLM_F_DUMP, dev, NULL, NULL,
			  NULL, NULL, cb, arg);
}

/* ------------------------------------------------------------- events */

int dpu_events_dispatch(const void *buf, size_t len, uint16_t family,
			dpu_fn_cb fn_cb, dpu_tenant_cb tenant_cb, void *arg)
{
	const struct genlmsghdr *g;
	const struct nlmsghdr *nlh;
	int rem = (int)len, ret;

	for (nlh = buf; mnl_nlmsg_ok(nlh, rem); nlh = mnl_nlmsg_next(nlh, &rem)) {
		if (nlh->nlmsg_type != family ||
		    mnl_nlmsg_get_payload_len(nlh) < sizeof(*g))
			continue;
		g = mnl_nlmsg_get_payload(nlh);
		switch (g->cmd) {
		case DPU_CMD_FN_NEW:
		case DPU_CMD_FN_SET:
		case DPU_CMD_FN_DEL: {
			struct dpu_fn_info fn;

			if (!fn_cb || dpu_fn_parse(nlh, &fn))
				continue;
			ret = fn_cb(&fn, arg);
			break;
		}
		case DPU_CMD_TENANT_NEW:
		case DPU_CMD_TENANT_SET:
		case DPU_CMD_TENANT_DEL: {
			struct dpu_tenant_info t;

			if (!tenant_cb || dpu_tenant_parse(nlh, &t))
				continue;
			ret = tenant_cb(&t, arg);
			break;
		}
		default:	/* a newer kernel's event: skip it */
			continue;
		}
		if (ret)
			return ret;
	}
	return 0;
}

int dpu_nl_read_events2(struct dpu_nl *nl, dpu_fn_cb fn_cb,
			dpu_tenant_cb tenant_cb, void *arg)
{
	ssize_t len;

	len = mnl_socket_recvfrom(nl->sk, nl->buf, nl->buflen);
	if (len < 0)
		return -errno;
	return dpu_events_dispatch(nl->buf, (size_t)len, nl->family, fn_cb,
				   tenant_cb, arg);
}

int dpu_nl_read_events(struct dpu_nl *nl, dpu_fn_cb cb, void *arg)
{
	return dpu_nl_read_events2(nl, cb, NULL, arg);
}

struct wait_ctx {
	const char *dev;
	uint32_t index;
	struct dpu_fn_info *out;
	bool created;
	bool done;
};

static int wait_cb(const struct dpu_fn_info *fn, void *arg)
{
	struct wait_ctx *w = arg;

	if (strcmp(fn->dev, w->dev) || fn->index != w->index)
		return 0;
	/*
	 * Events of an earlier function with the same index may still be
	 * queued: only what follows this function's creation counts.
	 */
	if (fn->cmd == DPU_CMD_FN_NEW)
		w->created = true;
	if (!w->created)
		return 0;
	*w->out = *fn;
	if (fn->cmd == DPU_CMD_FN_DEL || fn->state != DPU_FN_STATE_CREATING)
		w->done = true;
	return 0;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

int dpu_fn_wait(struct dpu_nl *ev, const char *dev, uint32_t index,
		int timeout_ms, struct dpu_fn_info *out)
{
	struct wait_ctx w = { .dev = dev, .index = index, .out = out };
	long long end = now_ms() + timeout_ms;
	struct pollfd pfd = { .fd = dpu_nl_fd(ev), .events = POLLIN };
	int ret, left;

	while (!w.done) {
		left = timeout_ms < 0 ? -1 : (int)(end - now_ms());
		if (timeout_ms >= 0 && left <= 0)
			return -ETIMEDOUT;
		ret = poll(&pfd, 1, left);
		if (ret < 0 && errno != EINTR)
			return -errno;
		if (ret <= 0)
			continue;
		ret = dpu_nl_read_events(ev, wait_cb, &w);
		if (ret < 0 && ret != -ENOBUFS)
			return ret;
	}
	return 0;
}
