// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libdpu: co-location QoS (DPU_CMD_QOS_*): classified cgroups, the node
 * policy, the last sample and the decisions.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>

#include "libdpu.h"
#include "nl_priv.h"

static const char *const class_names[] = {
	[DPU_QOS_CLASS_NONE] = "none",
	[DPU_QOS_CLASS_HLS] = "hls",
	[DPU_QOS_CLASS_LS] = "ls",
	[DPU_QOS_CLASS_BE] = "be",
};

const char *dpu_qos_class_str(uint8_t cls)
{
	return cls <= DPU_QOS_CLASS_MAX ? class_names[cls] : "unknown";
}

int dpu_qos_class_parse(const char *s)
{
	int i;

	for (i = 0; i <= DPU_QOS_CLASS_MAX; i++)
		if (!strcasecmp(s, class_names[i]))
			return i;
	return -EINVAL;
}

/* the policy's attributes: name, and whether the value is a rate */
static const struct {
	const char *name;
	bool u64;
	bool rate;
} pol_attrs[DPU_A_QOS_POL_MAX + 1] = {
	[DPU_A_QOS_POL_ENABLED] = { "enabled" },
	[DPU_A_QOS_POL_INTERVAL_MS] = { "interval-ms" },
	[DPU_A_QOS_POL_CPU_THRESHOLD] = { "cpu-threshold" },
	[DPU_A_QOS_POL_CPU_BE_MIN] = { "cpu-be-min" },
	[DPU_A_QOS_POL_CPU_HYSTERESIS] = { "cpu-hysteresis" },
	[DPU_A_QOS_POL_CPU_RELEASE_MS] = { "cpu-release-ms" },
	[DPU_A_QOS_POL_MEM_HIGH] = { "mem-high" },
	[DPU_A_QOS_POL_MEM_LOW] = { "mem-low" },
	[DPU_A_QOS_POL_MEM_RECLAIM_MS] = { "mem-reclaim-ms" },
	[DPU_A_QOS_POL_MEM_COOLDOWN_MS] = { "mem-cooldown-ms" },
	[DPU_A_QOS_POL_IO_BE_IOPS] = { "io-be-iops", true, true },
	[DPU_A_QOS_POL_IO_BE_BPS] = { "io-be-bps", true, true },
	[DPU_A_QOS_POL_CPU_WINDOW_MS] = { "cpu-window-ms" },
};

const char *dpu_qos_policy_name(int attr)
{
	if (attr <= DPU_A_QOS_POL_PAD || attr > DPU_A_QOS_POL_MAX)
		return NULL;
	return pol_attrs[attr].name;
}

int dpu_qos_policy_parse(const char *name, const char *val,
			 struct dpu_qos_policy_req *req)
{
	uint64_t v;
	uint32_t u;
	int a;

	for (a = DPU_A_QOS_POL_ENABLED; a <= DPU_A_QOS_POL_MAX; a++)
		if (!strcmp(name, pol_attrs[a].name))
			break;
	if (a > DPU_A_QOS_POL_MAX)
		return -ENOENT;
	if (a == DPU_A_QOS_POL_ENABLED) {
		if (!strcmp(val, "on") || !strcmp(val, "1") ||
		    !strcmp(val, "yes"))
			v = 1;
		else if (!strcmp(val, "off") || !strcmp(val, "0") ||
			 !strcmp(val, "no"))
			v = 0;
		else
			return -EINVAL;
	} else if (pol_attrs[a].rate) {
		if (dpu_parse_rate(val, &v))
			return -EINVAL;
	} else {
		char *end;

		errno = 0;
		v = strtoull(val, &end, 10);
		if (errno || end == val || *end || val[0] == '-' ||
		    v > UINT32_MAX)
			return -EINVAL;
		u = (uint32_t)v;
		v = u;
	}
	req->set |= 1u << a;
	req->v[a] = v;
	return 0;
}

/* ------------------------------------------------------------- parsing */

static int str_attr(const struct nlattr *a, char *dst, size_t len)
{
	if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) < 0)
		return -EBADMSG;
	snprintf(dst, len, "%s", mnl_attr_get_str(a));
	return 0;
}

/* an integer attribute of 1, 4 or 8 bytes */
static int int_attr(const struct nlattr *a, uint64_t *v)
{
	switch (mnl_attr_get_payload_len(a)) {
	case 1:
		*v = mnl_attr_get_u8(a);
		return 0;
	case 4:
		*v = mnl_attr_get_u32(a);
		return 0;
	case 8:
		*v = mnl_attr_get_u64(a);
		return 0;
	default:
		return -EBADMSG;
	}
}

static int cg_attr(const struct nlattr *a, struct dpu_qos_class_info *o)
{
	uint64_t v;

	switch (mnl_attr_get_type(a)) {
	case DPU_A_QOS_CGROUP:
		return str_attr(a, o->path, sizeof(o->path));
	case DPU_A_QOS_CGROUP_ID:
		if (int_attr(a, &o->id))
			return -EBADMSG;
		return 0;
	case DPU_A_QOS_CLASS:
		if (int_attr(a, &v))
			return -EBADMSG;
		o->qos_class = (uint8_t)v;
		return 0;
	case DPU_A_QOS_PRIORITY:
		if (int_attr(a, &v))
			return -EBADMSG;
		o->priority = (uint32_t)v;
		return 0;
	case DPU_A_QOS_AGE_MS:
		return int_attr(a, &o->age_ms);
	case DPU_A_QOS_MEM:
		return int_attr(a, &o->mem);
	case DPU_A_QOS_EVICTED:
		if (int_attr(a, &v))
			return -EBADMSG;
		o->evicted = v;
		return 0;
	default:
		return 0;
	}
}

int dpu_qos_class_parse_msg(const struct nlmsghdr *nlh,
			    struct dpu_qos_class_info *out)
{
	const struct genlmsghdr *g;
	const struct nlattr *a;
	int err;

	memset(out, 0, sizeof(*out));
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*g))
		return -EBADMSG;
	g = mnl_nlmsg_get_payload(nlh);
	out->cmd = g->cmd;
	mnl_attr_for_each(a, nlh, sizeof(*g)) {
		err = cg_attr(a, out);
		if (err)
			return err;
	}
	return out->path[0] ? 0 : -EBADMSG;
}

static int nest_ints(const struct nlattr *nest, uint64_t *v, uint32_t *has,
		     int max)
{
	const struct nlattr *a;
	int t;

	mnl_attr_for_each_nested(a, nest) {
		t = mnl_attr_get_type(a);
		if (t > max || t <= 1)
			continue;	/* newer kernel, or padding */
		if (int_attr(a, &v[t]))
			return -EBADMSG;
		*has |= 1u << t;
	}
	return 0;
}

static int decision_attr(const struct nlattr *nest, struct dpu_qos_info *o)
{
	const struct nlattr *a, *b;

	mnl_attr_for_each_nested(a, nest) {
		int t = mnl_attr_get_type(a);

		if (t == DPU_A_QOS_DEC_EVICT) {
			struct dpu_qos_class_info ci = { 0 };

			if (o->nevict >= DPU_QOS_INFO_MAX_EVICT)
				continue;
			mnl_attr_for_each_nested(b, a)
				if (cg_attr(b, &ci))
					return -EBADMSG;
			o->evict[o->nevict].id = ci.id;
			o->evict[o->nevict].mem = ci.mem;
			snprintf(o->evict[o->nevict].path,
				 sizeof(o->evict[0].path), "%s", ci.path);
			o->nevict++;
			continue;
		}
		if (t > DPU_A_QOS_DEC_MAX || t <= DPU_A_QOS_DEC_PAD)
			continue;
		if (int_attr(a, &o->dec[t]))
			return -EBADMSG;
		o->has_dec |= 1u << t;
	}
	return 0;
}

int dpu_qos_parse(const struct nlmsghdr *nlh, struct dpu_qos_info *out)
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
		case DPU_A_QOS_POLICY:
			err = nest_ints(a, out->pol, &out->has_pol,
					DPU_A_QOS_POL_MAX);
			break;
		case DPU_A_QOS_USAGE:
			err = nest_ints(a, out->use, &out->has_use,
					DPU_A_QOS_USE_MAX);
			break;
		case DPU_A_QOS_DECISION:
			err = decision_attr(a, out);
			break;
		default:
			break;
		}
		if (err)
			return err;
	}
	return out->has_dec ? 0 : -EBADMSG;
}

/* ------------------------------------------------------------ requests */

struct qos_ctx {
	struct dpu_qos_class_info *cls;
	dpu_qos_class_cb cb;
	void *arg;
	struct dpu_qos_info *info;
	int found;
};

static int class_msg_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct qos_ctx *ctx = arg;
	struct dpu_qos_class_info tmp;
	int err;

	err = dpu_qos_class_parse_msg(nlh, ctx->cls ? ctx->cls : &tmp);
	if (err)
		return err;
	ctx->found++;
	return ctx->cb ? ctx->cb(ctx->cls ? ctx->cls : &tmp, ctx->arg) : 0;
}

static int put_path(struct dpu_nl *nl, struct nlmsghdr *nlh, const char *path)
{
	if (!path || path[0] != '/') {
		snprintf(nl->errmsg, sizeof(nl->errmsg),
			 "cgroup path must start with / (from the cgroup2 root)");
		return -EINVAL;
	}
	if (strlen(path) >= DPU_CGROUP_PATH_LEN) {
		snprintf(nl->errmsg, sizeof(nl->errmsg),
			 "cgroup path longer than %d characters",
			 DPU_CGROUP_PATH_LEN - 1);
		return -EINVAL;
	}
	mnl_attr_put_strz(nlh, DPU_A_QOS_CGROUP, path);
	return 0;
}

int dpu_qos_class_set(struct dpu_nl *nl, const char *path, uint8_t cls,
		      const uint32_t *priority, struct dpu_qos_class_info *out)
{
	struct dpu_qos_class_info tmp;
	struct qos_ctx ctx = { .cls = out ? out : &tmp };
	struct nlmsghdr *nlh;
	int err;

	nlh = dpu_nl_msg(nl, DPU_CMD_QOS_CLASS_SET, 0);
	err = put_path(nl, nlh, path);
	if (err)
		return err;
	mnl_attr_put_u8(nlh, DPU_A_QOS_CLASS, cls);
	if (priority)
		mnl_attr_put_u32(nlh, DPU_A_QOS_PRIORITY, *priority);
	err = dpu_nl_talk(nl, nlh, class_msg_cb, &ctx);
	if (err)
		return err;
	return ctx.found == 1 ? 0 : -EBADMSG;
}

int dpu_qos_class_del(struct dpu_nl *nl, const char *path)
{
	struct nlmsghdr *nlh;
	int err;

	nlh = dpu_nl_msg(nl, DPU_CMD_QOS_CLASS_DEL, 0);
	err = put_path(nl, nlh, path);
	if (err)
		return err;
	return dpu_nl_talk(nl, nlh, NULL, NULL);
}

int dpu_qos_class_get(struct dpu_nl *nl, const char *path,
		      struct dpu_qos_class_info *out)
{
	struct qos_ctx ctx = { .cls = out };
	struct nlmsghdr *nlh;
	int err;

	nlh = dpu_nl_msg(nl, DPU_CMD_QOS_CLASS_GET, 0);
	err = put_path(nl, nlh, path);
	if (err)
		return err;
	err = dpu_nl_talk(nl, nlh, class_msg_cb, &ctx);
	if (err)
		return err;
	return ctx.found == 1 ? 0 : -EBADMSG;
}

int dpu_qos_class_dump(struct dpu_nl *nl, dpu_qos_class_cb cb, void *arg)
{
	struct qos_ctx ctx = { .cb = cb, .arg = arg };
	struct nlmsghdr *nlh;

	nlh = dpu_nl_msg(nl, DPU_CMD_QOS_CLASS_GET, NLM_F_DUMP);
	return dpu_nl_talk(nl, nlh, class_msg_cb, &ctx);
}

static int qos_msg_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct qos_ctx *ctx = arg;
	int err;

	err = dpu_qos_parse(nlh, ctx->info);
	if (err)
		return err;
	ctx->found++;
	return 0;
}

int dpu_qos_get(struct dpu_nl *nl, struct dpu_qos_info *out)
{
	struct qos_ctx ctx = { .info = out };
	struct nlmsghdr *nlh;
	int err;

	nlh = dpu_nl_msg(nl, DPU_CMD_QOS_GET, 0);
	err = dpu_nl_talk(nl, nlh, qos_msg_cb, &ctx);
	if (err)
		return err;
	return ctx.found == 1 ? 0 : -EBADMSG;
}

int dpu_qos_set(struct dpu_nl *nl, const struct dpu_qos_policy_req *req,
		struct dpu_qos_info *out)
{
	struct qos_ctx ctx = { .info = out };
	struct nlmsghdr *nlh;
	struct nlattr *nest;
	int a, err;

	nlh = dpu_nl_msg(nl, DPU_CMD_QOS_SET, 0);
	nest = mnl_attr_nest_start(nlh, DPU_A_QOS_POLICY);
	for (a = DPU_A_QOS_POL_ENABLED; a <= DPU_A_QOS_POL_MAX; a++) {
		if (!(req->set & (1u << a)))
			continue;
		if (a == DPU_A_QOS_POL_ENABLED)
			mnl_attr_put_u8(nlh, a, (uint8_t)req->v[a]);
		else if (pol_attrs[a].u64)
			mnl_attr_put_u64(nlh, a, req->v[a]);
		else
			mnl_attr_put_u32(nlh, a, (uint32_t)req->v[a]);
	}
	mnl_attr_nest_end(nlh, nest);
	err = dpu_nl_talk(nl, nlh, qos_msg_cb, &ctx);
	if (err)
		return err;
	return ctx.found == 1 ? 0 : -EBADMSG;
}

int dpu_qos_events_dispatch(const void *buf, size_t len, uint16_t family,
			    dpu_qos_cb qos_cb, dpu_qos_class_cb class_cb,
			    void *arg)
{
	const struct genlmsghdr *g;
	const struct nlmsghdr *nlh;
	int rem = (int)len, ret = 0;

	for (nlh = buf; mnl_nlmsg_ok(nlh, rem); nlh = mnl_nlmsg_next(nlh, &rem)) {
		if (nlh->nlmsg_type != family ||
		    mnl_nlmsg_get_payload_len(nlh) < sizeof(*g))
			continue;
		g = mnl_nlmsg_get_payload(nlh);
		if (g->cmd == DPU_CMD_QOS_DECISION) {
			struct dpu_qos_info *qi = malloc(sizeof(*qi));

			if (!qi)
				return -ENOMEM;
			if (qos_cb && !dpu_qos_parse(nlh, qi))
				ret = qos_cb(qi, arg);
			free(qi);
		} else if (g->cmd == DPU_CMD_QOS_CLASS_SET ||
			   g->cmd == DPU_CMD_QOS_CLASS_DEL) {
			struct dpu_qos_class_info ci;

			if (class_cb && !dpu_qos_class_parse_msg(nlh, &ci))
				ret = class_cb(&ci, arg);
		}
		if (ret)
			return ret;
	}
	return 0;
}
