// SPDX-License-Identifier: GPL-2.0
/*
 * dpupool: netlink commands and notifications of co-location QoS.
 */
#include <linux/ktime.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <net/genetlink.h>
#include <net/netlink.h>

#include "dpu.h"
#include "dpu_nl.h"
#include "dpu_qos.h"

static int dpu_nl_qos_cg_fill(struct sk_buff *msg, const struct dpu_qos_cg *c,
			      u8 cmd, u32 portid, u32 seq, int flags)
{
	void *hdr;

	hdr = genlmsg_put(msg, portid, seq, &dpu_nl_family, flags, cmd);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_string(msg, DPU_A_QOS_CGROUP, c->path) ||
	    nla_put_u64_64bit(msg, DPU_A_QOS_CGROUP_ID, c->id, DPU_A_PAD) ||
	    nla_put_u8(msg, DPU_A_QOS_CLASS, READ_ONCE(c->class)) ||
	    nla_put_u32(msg, DPU_A_QOS_PRIORITY, READ_ONCE(c->prio)) ||
	    nla_put_u64_64bit(msg, DPU_A_QOS_AGE_MS,
			      div_u64(ktime_get_ns() - c->since, NSEC_PER_MSEC),
			      DPU_A_PAD) ||
	    nla_put_u64_64bit(msg, DPU_A_QOS_MEM, dpu_qos_cg_mem(c),
			      DPU_A_PAD) ||
	    nla_put_u8(msg, DPU_A_QOS_EVICTED, READ_ONCE(c->evicted)))
		goto nla_put_failure;
	genlmsg_end(msg, hdr);
	return 0;

nla_put_failure:
	genlmsg_cancel(msg, hdr);
	return -EMSGSIZE;
}

/**
 * dpu_nl_qos_class_notify() - announce a classification on the qos group
 * @c: the entry, dpu_qos.lock held
 * @cmd: DPU_CMD_QOS_CLASS_SET or DPU_CMD_QOS_CLASS_DEL
 */
void dpu_nl_qos_class_notify(const struct dpu_qos_cg *c, u8 cmd)
{
	struct sk_buff *msg;

	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return;
	if (dpu_nl_qos_cg_fill(msg, c, cmd, 0, 0, 0)) {
		nlmsg_free(msg);
		return;
	}
	genlmsg_multicast_netns(&dpu_nl_family, &init_net, msg, 0,
				DPU_NL_MCGRP_QOS, GFP_KERNEL);
}

static int dpu_nl_qos_policy_fill(struct sk_buff *msg,
				  const struct dpu_qos_policy *p)
{
	struct nlattr *nest = nla_nest_start(msg, DPU_A_QOS_POLICY);

	if (!nest ||
	    nla_put_u8(msg, DPU_A_QOS_POL_ENABLED, p->enabled) ||
	    nla_put_u32(msg, DPU_A_QOS_POL_INTERVAL_MS, p->interval_ms) ||
	    nla_put_u32(msg, DPU_A_QOS_POL_CPU_THRESHOLD, p->cpu_threshold) ||
	    nla_put_u32(msg, DPU_A_QOS_POL_CPU_BE_MIN, p->cpu_be_min) ||
	    nla_put_u32(msg, DPU_A_QOS_POL_CPU_HYSTERESIS, p->cpu_hysteresis) ||
	    nla_put_u32(msg, DPU_A_QOS_POL_CPU_RELEASE_MS, p->cpu_release_ms) ||
	    nla_put_u32(msg, DPU_A_QOS_POL_MEM_HIGH, p->mem_high) ||
	    nla_put_u32(msg, DPU_A_QOS_POL_MEM_LOW, p->mem_low) ||
	    nla_put_u32(msg, DPU_A_QOS_POL_MEM_RECLAIM_MS, p->mem_reclaim_ms) ||
	    nla_put_u32(msg, DPU_A_QOS_POL_MEM_COOLDOWN_MS,
			p->mem_cooldown_ms) ||
	    nla_put_u64_64bit(msg, DPU_A_QOS_POL_IO_BE_IOPS, p->io_be_iops,
			      DPU_A_QOS_POL_PAD) ||
	    nla_put_u64_64bit(msg, DPU_A_QOS_POL_IO_BE_BPS, p->io_be_bps,
			      DPU_A_QOS_POL_PAD) ||
	    nla_put_u32(msg, DPU_A_QOS_POL_CPU_WINDOW_MS, p->cpu_window_ms))
		return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

static u32 dpu_nl_mcpu(u64 ns, u64 window)
{
	return window ? (u32)div64_u64(ns * 1000 + window / 2, window) : 0;
}

static int dpu_nl_qos_usage_fill(struct sk_buff *msg,
				 const struct dpu_qos_sample *s, u64 mem_be,
				 bool stalls)
{
	struct nlattr *nest = nla_nest_start(msg, DPU_A_QOS_USAGE);
	u64 w = s->window_ns;

	if (!nest ||
	    nla_put_u64_64bit(msg, DPU_A_QOS_USE_WINDOW_NS, w,
			      DPU_A_QOS_USE_PAD) ||
	    nla_put_u32(msg, DPU_A_QOS_USE_NCPUS, s->ncpus) ||
	    nla_put_u32(msg, DPU_A_QOS_USE_HLS_MCPU,
			dpu_nl_mcpu(s->class_ns[DPU_QOS_CLASS_HLS], w)) ||
	    nla_put_u32(msg, DPU_A_QOS_USE_LS_MCPU,
			dpu_nl_mcpu(s->class_ns[DPU_QOS_CLASS_LS], w)) ||
	    nla_put_u32(msg, DPU_A_QOS_USE_BE_MCPU,
			dpu_nl_mcpu(s->class_ns[DPU_QOS_CLASS_BE], w)) ||
	    nla_put_u32(msg, DPU_A_QOS_USE_SYSTEM_MCPU,
			dpu_nl_mcpu(s->class_ns[DPU_QOS_CLASS_NONE], w)) ||
	    nla_put_u64_64bit(msg, DPU_A_QOS_USE_MEM_TOTAL, s->mem_total,
			      DPU_A_QOS_USE_PAD) ||
	    nla_put_u64_64bit(msg, DPU_A_QOS_USE_MEM_USED, s->mem_used,
			      DPU_A_QOS_USE_PAD) ||
	    nla_put_u64_64bit(msg, DPU_A_QOS_USE_MEM_BE, mem_be,
			      DPU_A_QOS_USE_PAD) ||
	    nla_put_u8(msg, DPU_A_QOS_USE_IO_ONLINE_HELD, s->io_online_held) ||
	    nla_put_u8(msg, DPU_A_QOS_USE_IO_SATURATED, s->io_saturated))
		return -EMSGSIZE;
#ifdef CONFIG_VM_EVENT_COUNTERS
	if (stalls) {
		unsigned long *ev = kcalloc(NR_VM_EVENT_ITEMS, sizeof(*ev),
					    GFP_KERNEL);
		u64 st = 0;
		int z;

		if (ev) {
			all_vm_events(ev);
			for (z = 0; z < MAX_NR_ZONES; z++)
				st += ev[ALLOCSTALL_NORMAL - ZONE_NORMAL + z];
			kfree(ev);
			if (nla_put_u64_64bit(msg, DPU_A_QOS_USE_ALLOCSTALL,
					      st, DPU_A_QOS_USE_PAD))
				return -EMSGSIZE;
		}
	}
#endif
	nla_nest_end(msg, nest);
	return 0;
}

static int dpu_nl_qos_decision_fill(struct sk_buff *msg,
				    const struct dpu_qos_decision *d,
				    bool enabled)
{
	struct nlattr *nest = nla_nest_start(msg, DPU_A_QOS_DECISION);
	struct nlattr *ev;
	struct dpu_qos_cg *c;
	u32 i;

	if (!nest ||
	    nla_put_u32(msg, DPU_A_QOS_DEC_SEQ, d->seq) ||
	    nla_put_u32(msg, DPU_A_QOS_DEC_CHANGED, d->changed) ||
	    nla_put_u8(msg, DPU_A_QOS_DEC_ENABLED, enabled) ||
	    nla_put_u32(msg, DPU_A_QOS_DEC_BE_CPU_MCPU, d->be_cpu) ||
	    nla_put_u32(msg, DPU_A_QOS_DEC_ONLINE_MCPU, d->online_cpu) ||
	    nla_put_u32(msg, DPU_A_QOS_DEC_SYSTEM_MCPU, d->system_cpu) ||
	    nla_put_u64_64bit(msg, DPU_A_QOS_DEC_RECLAIM, d->reclaim,
			      DPU_A_QOS_DEC_PAD) ||
	    nla_put_u8(msg, DPU_A_QOS_DEC_IO_CAP, d->io_cap))
		return -EMSGSIZE;
	for (i = 0; i < d->nevict; i++) {
		ev = nla_nest_start(msg, DPU_A_QOS_DEC_EVICT);
		if (!ev ||
		    nla_put_u64_64bit(msg, DPU_A_QOS_CGROUP_ID, d->evict[i],
				      DPU_A_PAD) ||
		    nla_put_u64_64bit(msg, DPU_A_QOS_MEM, d->evict_mem[i],
				      DPU_A_PAD))
			return -EMSGSIZE;
		rcu_read_lock();
		list_for_each_entry_rcu(c, &dpu_qos.cgs, node) {
			if (c->id == d->evict[i]) {
				if (nla_put_string(msg, DPU_A_QOS_CGROUP,
						   c->path)) {
					rcu_read_unlock();
					return -EMSGSIZE;
				}
				break;
			}
		}
		rcu_read_unlock();
		nla_nest_end(msg, ev);
	}
	nla_nest_end(msg, nest);
	return 0;
}

/* policy, usage and decision in one message */
static struct sk_buff *dpu_nl_qos_msg(u8 cmd, u32 portid, u32 seq,
				      bool policy, gfp_t gfp)
{
	struct dpu_qos_decision d;
	struct dpu_qos_policy pol;
	struct dpu_qos_sample s;
	struct sk_buff *msg;
	u64 mem_be;
	void *hdr;

	dpu_qos_snapshot(&pol, &s, &d, &mem_be);
	msg = genlmsg_new(1024 + d.nevict * (DPU_CGROUP_PATH_LEN + 64), gfp);
	if (!msg)
		return NULL;
	hdr = genlmsg_put(msg, portid, seq, &dpu_nl_family, 0, cmd);
	if (!hdr)
		goto err;
	if ((policy && dpu_nl_qos_policy_fill(msg, &pol)) ||
	    dpu_nl_qos_usage_fill(msg, &s, mem_be, gfpflags_allow_blocking(gfp)) ||
	    dpu_nl_qos_decision_fill(msg, &d, pol.enabled))
		goto err;
	genlmsg_end(msg, hdr);
	return msg;
err:
	nlmsg_free(msg);
	return NULL;
}

/**
 * dpu_nl_qos_decision_notify() - announce the decision in force
 * @gfp: allocation context (the sampler runs in softirq)
 */
void dpu_nl_qos_decision_notify(gfp_t gfp)
{
	struct sk_buff *msg;

	msg = dpu_nl_qos_msg(DPU_CMD_QOS_DECISION, 0, 0, true, gfp);
	if (msg)
		genlmsg_multicast_netns(&dpu_nl_family, &init_net, msg, 0,
					DPU_NL_MCGRP_QOS, gfp);
}

/* Does @p have a "." or ".." component? */
static bool dpu_nl_qos_dots(const char *p)
{
	while ((p = strchr(p, '/'))) {
		p++;
		if (p[0] == '.' && p[1] == '.')
			p++;
		if (p[0] == '.' && (p[1] == '/' || !p[1]))
			return true;
	}
	return false;
}

/* The path of a request: from the cgroup2 root, "/a/b". */
static int dpu_nl_qos_path(struct genl_info *info, char *path)
{
	struct nlattr *attr = info->attrs[DPU_A_QOS_CGROUP];
	size_t len;

	nla_strscpy(path, attr, DPU_CGROUP_PATH_LEN);
	if (path[0] != '/') {
		NL_SET_ERR_MSG_ATTR(info->extack, attr,
				    "cgroup path must start with / (from the cgroup2 root)");
		return -EINVAL;
	}
	if (dpu_nl_qos_dots(path)) {
		NL_SET_ERR_MSG_ATTR(info->extack, attr,
				    "cgroup path must not contain . or .. components");
		return -EINVAL;
	}
	/* one spelling per cgroup: "/a/b/" and "/a/b" are the same */
	len = strlen(path);
	while (len > 1 && path[len - 1] == '/')
		path[--len] = '\0';
	return 0;
}

static int dpu_nl_qos_cg_reply(struct genl_info *info, const char *path,
			       u64 id, u8 cmd)
{
	struct dpu_qos_cg *c;
	struct sk_buff *msg;
	int err;

	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	mutex_lock(&dpu_qos.lock);
	c = dpu_qos_cg_find(path, id);
	if (c) {
		err = dpu_nl_qos_cg_fill(msg, c, cmd, info->snd_portid,
					 info->snd_seq, 0);
	} else {
		NL_SET_ERR_MSG(info->extack, "this cgroup has no QoS class");
		err = -ENOENT;
	}
	mutex_unlock(&dpu_qos.lock);
	if (err) {
		nlmsg_free(msg);
		return err;
	}
	return genlmsg_reply(msg, info);
}

int dpu_nl_qos_class_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	char *path;
	u32 prio = 0;
	u64 id;
	int err;

	if (DPU_NL_REQUIRE(info, DPU_A_QOS_CGROUP, "cgroup path required") ||
	    DPU_NL_REQUIRE(info, DPU_A_QOS_CLASS,
			   "QoS class required (hls, ls or be)"))
		return -EINVAL;
	path = kmalloc(DPU_CGROUP_PATH_LEN, GFP_KERNEL);
	if (!path)
		return -ENOMEM;
	err = dpu_nl_qos_path(info, path);
	if (err)
		goto out;
	if (info->attrs[DPU_A_QOS_PRIORITY])
		prio = nla_get_u32(info->attrs[DPU_A_QOS_PRIORITY]);
	err = dpu_qos_class_set(path, nla_get_u8(info->attrs[DPU_A_QOS_CLASS]),
				prio, info->attrs[DPU_A_QOS_PRIORITY], &id,
				info->extack);
	if (err) {
		if (err == -ENOENT)
			info->extack->bad_attr = info->attrs[DPU_A_QOS_CGROUP];
		goto out;
	}
	err = dpu_nl_qos_cg_reply(info, NULL, id, DPU_CMD_QOS_CLASS_SET);
out:
	kfree(path);
	return err;
}

/* DEL and GET name a cgroup by path or id */
static int dpu_nl_qos_cg_name(struct genl_info *info, char **path, u64 *id)
{
	int err;

	*path = NULL;
	*id = 0;
	if (info->attrs[DPU_A_QOS_CGROUP]) {
		*path = kmalloc(DPU_CGROUP_PATH_LEN, GFP_KERNEL);
		if (!*path)
			return -ENOMEM;
		err = dpu_nl_qos_path(info, *path);
		if (err) {
			kfree(*path);
			*path = NULL;
		}
		return err;
	}
	if (info->attrs[DPU_A_QOS_CGROUP_ID]) {
		*id = nla_get_u64(info->attrs[DPU_A_QOS_CGROUP_ID]);
		return 0;
	}
	NL_SET_ERR_MSG(info->extack, "cgroup path or id required");
	return -EINVAL;
}

int dpu_nl_qos_class_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	char *path;
	u64 id;
	int err;

	err = dpu_nl_qos_cg_name(info, &path, &id);
	if (err)
		return err;
	err = dpu_qos_class_del(path, id, info->extack);
	kfree(path);
	return err;
}

int dpu_nl_qos_class_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	char *path;
	u64 id;
	int err;

	err = dpu_nl_qos_cg_name(info, &path, &id);
	if (err)
		return err;
	err = dpu_nl_qos_cg_reply(info, path, id, DPU_CMD_QOS_CLASS_GET);
	kfree(path);
	return err;
}

/* cb->args[0]: entries already sent */
int dpu_nl_qos_class_get_dumpit(struct sk_buff *skb,
				struct netlink_callback *cb)
{
	long skip = cb->args[0], n = 0;
	struct dpu_qos_cg *c;
	int err;

	err = dpu_nl_dump_check_net(cb);
	if (err)
		return err;
	mutex_lock(&dpu_qos.lock);
	list_for_each_entry(c, &dpu_qos.cgs, node) {
		if (n++ < skip)
			continue;
		if (dpu_nl_qos_cg_fill(skb, c, DPU_CMD_QOS_CLASS_GET,
				       NETLINK_CB(cb->skb).portid,
				       cb->nlh->nlmsg_seq, NLM_F_MULTI)) {
			n--;
			break;
		}
	}
	mutex_unlock(&dpu_qos.lock);
	cb->args[0] = n;
	return skb->len;
}

int dpu_nl_qos_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct sk_buff *msg;

	msg = dpu_nl_qos_msg(DPU_CMD_QOS_GET, info->snd_portid, info->snd_seq,
			     true, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	return genlmsg_reply(msg, info);
}

int dpu_nl_qos_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[DPU_A_QOS_POL_MAX + 1];
	struct dpu_qos_policy pol;
	int err;

	if (DPU_NL_REQUIRE(info, DPU_A_QOS_POLICY, "QoS policy required"))
		return -EINVAL;
	err = nla_parse_nested(tb, DPU_A_QOS_POL_MAX,
			       info->attrs[DPU_A_QOS_POLICY],
			       dpu_nl_qos_policy_policy, info->extack);
	if (err)
		return err;
	dpu_qos_snapshot(&pol, NULL, NULL, NULL);
	if (tb[DPU_A_QOS_POL_ENABLED])
		pol.enabled = nla_get_u8(tb[DPU_A_QOS_POL_ENABLED]);
	if (tb[DPU_A_QOS_POL_INTERVAL_MS])
		pol.interval_ms = nla_get_u32(tb[DPU_A_QOS_POL_INTERVAL_MS]);
	if (tb[DPU_A_QOS_POL_CPU_THRESHOLD])
		pol.cpu_threshold = nla_get_u32(tb[DPU_A_QOS_POL_CPU_THRESHOLD]);
	if (tb[DPU_A_QOS_POL_CPU_BE_MIN])
		pol.cpu_be_min = nla_get_u32(tb[DPU_A_QOS_POL_CPU_BE_MIN]);
	if (tb[DPU_A_QOS_POL_CPU_HYSTERESIS])
		pol.cpu_hysteresis =
			nla_get_u32(tb[DPU_A_QOS_POL_CPU_HYSTERESIS]);
	if (tb[DPU_A_QOS_POL_CPU_RELEASE_MS])
		pol.cpu_release_ms =
			nla_get_u32(tb[DPU_A_QOS_POL_CPU_RELEASE_MS]);
	if (tb[DPU_A_QOS_POL_MEM_HIGH])
		pol.mem_high = nla_get_u32(tb[DPU_A_QOS_POL_MEM_HIGH]);
	if (tb[DPU_A_QOS_POL_MEM_LOW])
		pol.mem_low = nla_get_u32(tb[DPU_A_QOS_POL_MEM_LOW]);
	if (tb[DPU_A_QOS_POL_MEM_RECLAIM_MS])
		pol.mem_reclaim_ms =
			nla_get_u32(tb[DPU_A_QOS_POL_MEM_RECLAIM_MS]);
	if (tb[DPU_A_QOS_POL_MEM_COOLDOWN_MS])
		pol.mem_cooldown_ms =
			nla_get_u32(tb[DPU_A_QOS_POL_MEM_COOLDOWN_MS]);
	if (tb[DPU_A_QOS_POL_IO_BE_IOPS])
		pol.io_be_iops = nla_get_u64(tb[DPU_A_QOS_POL_IO_BE_IOPS]);
	if (tb[DPU_A_QOS_POL_IO_BE_BPS])
		pol.io_be_bps = nla_get_u64(tb[DPU_A_QOS_POL_IO_BE_BPS]);
	if (tb[DPU_A_QOS_POL_CPU_WINDOW_MS])
		pol.cpu_window_ms = nla_get_u32(tb[DPU_A_QOS_POL_CPU_WINDOW_MS]);
	err = dpu_qos_policy_set(&pol, info->extack);
	if (err) {
		info->extack->bad_attr = info->attrs[DPU_A_QOS_POLICY];
		return err;
	}
	return dpu_nl_qos_get_doit(skb, info);
}
