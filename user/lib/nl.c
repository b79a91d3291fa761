// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libdpu: netlink socket, family resolution, request/reply engine with
 * extack parsing.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "libdpu.h"
#include "nl_priv.h"

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NETLINK_GET_STRICT_CHK
#define NETLINK_GET_STRICT_CHK 12
#endif

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

int dpu_nl_parse_err(const struct nlmsghdr *nlh, struct dpu_nl_err *out)
{
	const struct nlmsgerr *e;
	const struct nlattr *attr;
	size_t hlen;

	memset(out, 0, sizeof(*out));
	if (nlh->nlmsg_type != NLMSG_ERROR && nlh->nlmsg_type != NLMSG_DONE)
		return -EINVAL;

	if (nlh->nlmsg_type == NLMSG_DONE) {
		/* A dump's DONE carries an int error and possibly an extack */
		if (mnl_nlmsg_get_payload_len(nlh) < sizeof(int))
			return 0;
		out->error = *(const int *)mnl_nlmsg_get_payload(nlh);
		hlen = sizeof(int);
	} else {
		if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*e))
			return -EBADMSG;
		e = mnl_nlmsg_get_payload(nlh);
		out->error = e->error;
		hlen = sizeof(*e);
		/* Without NLM_F_CAPPED the original request follows in full. */
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED) &&
		    e->msg.nlmsg_len >= sizeof(struct nlmsghdr))
			hlen += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
	}
	if (out->error > 0)
		out->error = -out->error;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return 0;
	if (mnl_nlmsg_get_payload_len(nlh) < hlen)
		return -EBADMSG;

	mnl_attr_for_each(attr, nlh, hlen) {
		switch (mnl_attr_get_type(attr)) {
		case NLMSGERR_ATTR_MSG:
			if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0)
				return -EBADMSG;
			snprintf(out->msg, sizeof(out->msg), "%s",
				 mnl_attr_get_str(attr));
			break;
		case NLMSGERR_ATTR_OFFS:
			if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
				return -EBADMSG;
			out->offset = mnl_attr_get_u32(attr);
			out->has_offset = true;
			break;
		default:
			break;
		}
	}
	return 0;
}

struct talk_ctx {
	struct dpu_nl *nl;
	dpu_msg_cb cb;
	void *arg;
	int ret;		/* first non-zero from cb, or the kernel error */
	bool stopped;		/* cb asked to stop: discard the rest */
	bool done;
};

static int talk_data_cb(const struct nlmsghdr *nlh, void *data)
{
	struct talk_ctx *ctx = data;
	int ret;

	if (ctx->stopped || !ctx->cb)
		return MNL_CB_OK;
	ret = ctx->cb(nlh, ctx->arg);
	if (ret) {
		ctx->ret = ret;
		ctx->stopped = true;
	}
	return MNL_CB_OK;
}

static int talk_err_cb(const struct nlmsghdr *nlh, void *data)
{
	struct talk_ctx *ctx = data;
	struct dpu_nl_err e;

	ctx->done = true;
	if (dpu_nl_parse_err(nlh, &e) < 0) {
		ctx->ret = -EBADMSG;
		snprintf(ctx->nl->errmsg, sizeof(ctx->nl->errmsg),
			 "malformed netlink error message");
		return MNL_CB_STOP;
	}
	if (e.error && !ctx->ret) {
		ctx->ret = e.error;
		snprintf(ctx->nl->errmsg, sizeof(ctx->nl->errmsg), "%s", e.msg);
	}
	return MNL_CB_STOP;
}

static int talk_noop_cb(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	(void)data;
	return MNL_CB_OK;
}

int dpu_nl_talk(struct dpu_nl *nl, struct nlmsghdr *req, dpu_msg_cb cb,
		void *arg)
{
	mnl_cb_t ctl[NLMSG_MIN_TYPE] = {
		[NLMSG_NOOP] = talk_noop_cb,
		[NLMSG_ERROR] = talk_err_cb,
		[NLMSG_DONE] = talk_err_cb,
		[NLMSG_OVERRUN] = talk_noop_cb,
	};
	struct talk_ctx ctx = { .nl = nl, .cb = cb, .arg = arg };
	ssize_t len;
	int ret;

	nl->errmsg[0] = '\0';
	req->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	req->nlmsg_seq = ++nl->seq;

	if (mnl_socket_sendto(nl->sk, req, req->nlmsg_len) < 0)
		return -errno;

	while (!ctx.done) {
		len = mnl_socket_recvfrom(nl->sk, nl->buf, nl->buflen);
		if (len < 0)
			return -errno;
		ret = mnl_cb_run2(nl->buf, len, req->nlmsg_seq, nl->portid,
				  talk_data_cb, &ctx, ctl, NLMSG_MIN_TYPE);
		if (ret < 0 && !ctx.done)
			return errno ? -errno : -EBADMSG;
	}
	return ctx.ret;
}

struct nlmsghdr *dpu_nl_msg(struct dpu_nl *nl, uint8_t cmd, uint16_t flags)
{
	struct nlmsghdr *nlh;
	struct genlmsghdr *genl;

	nlh = mnl_nlmsg_put_header(nl->req);
	nlh->nlmsg_type = nl->family;
	nlh->nlmsg_flags = flags;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = cmd;
	genl->version = DPU_GENL_VERSION;
	return nlh;
}

static void family_groups(struct dpu_nl *nl, const struct nlattr *groups)
{
	const struct nlattr *grp, *a;

	mnl_attr_for_each_nested(grp, groups) {
		const char *name = NULL;
		uint32_t id = 0;

		mnl_attr_for_each_nested(a, grp) {
			if (mnl_attr_get_type(a) == CTRL_ATTR_MCAST_GRP_NAME &&
			    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) >= 0)
				name = mnl_attr_get_str(a);
			if (mnl_attr_get_type(a) == CTRL_ATTR_MCAST_GRP_ID &&
			    mnl_attr_validate(a, MNL_TYPE_U32) >= 0)
				id = mnl_attr_get_u32(a);
		}
		if (name && !strcmp(name, DPU_GENL_MCGRP_EVENTS))
			nl->mcgrp_events = id;
		if (name && !strcmp(name, DPU_GENL_MCGRP_QOS))
			nl->mcgrp_qos = id;
	}
}

static int family_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct dpu_nl *nl = arg;
	const struct nlattr *attr;

	mnl_attr_for_each(attr, nlh, sizeof(struct genlmsghdr)) {
		switch (mnl_attr_get_type(attr)) {
		case CTRL_ATTR_FAMILY_ID:
			if (mnl_attr_validate(attr, MNL_TYPE_U16) < 0)
				return -EBADMSG;
			nl->family = mnl_attr_get_u16(attr);
			break;
		case CTRL_ATTR_VERSION:
			if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
				return -EBADMSG;
			nl->version = mnl_attr_get_u32(attr);
			break;
		case CTRL_ATTR_MCAST_GROUPS:
			family_groups(nl, attr);
			break;
		default:
			break;
		}
	}
	return 0;
}

/* Look the family (id, version, groups) up; 0 or -1 with errno and err. */
static int resolve_family(struct dpu_nl *nl, char *err, size_t errlen)
{
	struct genlmsghdr *genl;
	struct nlmsghdr *nlh;
	int ret;

	nl->family = 0;
	nl->mcgrp_events = 0;
	nl->mcgrp_qos = 0;
	nlh = mnl_nlmsg_put_header(nl->req);
	nlh->nlmsg_type = GENL_ID_CTRL;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = CTRL_CMD_GETFAMILY;
	genl->version = 1;
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, DPU_GENL_NAME);
	ret = dpu_nl_talk(nl, nlh, family_cb, nl);
	if (ret == -ENOENT) {
		set_err(err, errlen,
			"generic netlink family \"%s\" not found: is dpu.ko loaded?",
			DPU_GENL_NAME);
		errno = ENOENT;
		return -1;
	}
	if (ret < 0 || !nl->family) {
		set_err(err, errlen, "cannot resolve netlink family \"%s\": %s",
			DPU_GENL_NAME, strerror(ret < 0 ? -ret : EBADMSG));
		errno = ret < 0 ? -ret : EBADMSG;
		return -1;
	}
	return 0;
}

struct dpu_nl *dpu_nl_open(char *err, size_t errlen)
{
	struct dpu_nl *nl;
	int one = 1, ret;

	nl = calloc(1, sizeof(*nl));
	if (!nl)
		goto fail_errno;
	nl->buflen = 32768;	/* what libmnl >= 1.0.5 calls MNL_SOCKET_DUMP_SIZE */
	nl->buf = malloc(nl->buflen);
	nl->req = malloc(MNL_SOCKET_BUFFER_SIZE);
	if (!nl->buf || !nl->req)
		goto fail_errno;

	nl->sk = mnl_socket_open2(NETLINK_GENERIC, SOCK_CLOEXEC);
	if (!nl->sk) {
		set_err(err, errlen, "cannot open a generic netlink socket: %s",
			strerror(errno));
		goto fail;
	}
	mnl_socket_setsockopt(nl->sk, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl->sk, NETLINK_CAP_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl->sk, NETLINK_GET_STRICT_CHK, &one, sizeof(one));
	if (mnl_socket_bind(nl->sk, 0, MNL_SOCKET_AUTOPID) < 0) {
		set_err(err, errlen, "cannot bind the netlink socket: %s",
			strerror(errno));
		goto fail;
	}
	nl->portid = mnl_socket_get_portid(nl->sk);
	nl->seq = (uint32_t)rand();

	if (resolve_family(nl, err, errlen))
		goto fail;
	return nl;

fail_errno:
	set_err(err, errlen, "%s", strerror(errno));
fail:
	ret = errno;
	dpu_nl_close(nl);
	errno = ret;
	return NULL;
}

int dpu_nl_reopen(struct dpu_nl *nl, char *err, size_t errlen)
{
	uint32_t old_family = nl->family, old_grp = nl->mcgrp_events;

	if (resolve_family(nl, err, errlen))
		return -errno;
	return nl->family != old_family || nl->mcgrp_events != old_grp;
}

/* the id, in nl's view of the family, of the group called name */
static uint32_t group_id(const struct dpu_nl *nl, const char *name)
{
	return !strcmp(name, DPU_GENL_MCGRP_QOS) ? nl->mcgrp_qos :
						   nl->mcgrp_events;
}

int dpu_nl_events_follow(struct dpu_nl *ev, const struct dpu_nl *nl,
			 char *err, size_t errlen)
{
	const char *name = ev->joined ? ev->joined : DPU_GENL_MCGRP_EVENTS;
	uint32_t id = group_id(nl, name);
	int grp;

	if (ev->family == nl->family && ev->mcgrp_joined == id)
		return 0;
	if (ev->mcgrp_joined) {
		grp = (int)ev->mcgrp_joined;
		mnl_socket_setsockopt(ev->sk, NETLINK_DROP_MEMBERSHIP, &grp,
				      sizeof(grp));
	}
	ev->family = nl->family;
	ev->version = nl->version;
	ev->mcgrp_events = nl->mcgrp_events;
	ev->mcgrp_qos = nl->mcgrp_qos;
	ev->mcgrp_joined = id;
	grp = (int)id;
	if (!grp || mnl_socket_setsockopt(ev->sk, NETLINK_ADD_MEMBERSHIP, &grp,
					  sizeof(grp)) < 0) {
		set_err(err, errlen, "cannot join the \"%s\" group again: %s",
			name, grp ? strerror(errno) : "no such group");
		return grp ? -errno : -ENOENT;
	}
	return 1;
}

int dpu_nl_events_rejoin(struct dpu_nl *ev, const struct dpu_nl *nl,
			 char *err, size_t errlen)
{
	/* the old family's membership went with it: nothing to drop */
	ev->family = 0;
	ev->mcgrp_joined = 0;
	return dpu_nl_events_follow(ev, nl, err, errlen);
}

void dpu_nl_close(struct dpu_nl *nl)
{
	if (!nl)
		return;
	if (nl->sk)
		mnl_socket_close(nl->sk);
	free(nl->buf);
	free(nl->req);
	free(nl);
}

int dpu_nl_fd(const struct dpu_nl *nl)
{
	return mnl_socket_get_fd(nl->sk);
}

struct dpu_nl *dpu_nl_open_group(const char *group, char *err, size_t errlen)
{
	struct dpu_nl *nl;
	int grp, ret;

	nl = dpu_nl_open(err, errlen);
	if (!nl)
		return NULL;
	nl->joined = !strcmp(group, DPU_GENL_MCGRP_QOS) ? DPU_GENL_MCGRP_QOS :
							   DPU_GENL_MCGRP_EVENTS;
	nl->mcgrp_joined = group_id(nl, nl->joined);
	if (!nl->mcgrp_joined) {
		set_err(err, errlen, "the dpu family has no \"%s\" group%s",
			nl->joined, !strcmp(nl->joined, DPU_GENL_MCGRP_QOS) ?
			" (dpu.ko older than netlink version 4?)" : "");
		dpu_nl_close(nl);
		errno = ENOENT;
		return NULL;
	}
	grp = (int)nl->mcgrp_joined;
	if (mnl_socket_setsockopt(nl->sk, NETLINK_ADD_MEMBERSHIP, &grp,
				  sizeof(grp)) < 0) {
		ret = errno;
		set_err(err, errlen, "cannot join the \"%s\" group: %s%s",
			nl->joined, strerror(ret),
			ret == EPERM ? " (needs CAP_NET_ADMIN)" : "");
		dpu_nl_close(nl);
		errno = ret;
		return NULL;
	}
	return nl;
}

struct dpu_nl *dpu_nl_open_events(char *err, size_t errlen)
{
	return dpu_nl_open_group(DPU_GENL_MCGRP_EVENTS, err, errlen);
}

uint16_t dpu_nl_family_id(const struct dpu_nl *nl)
{
	return nl->family;
}

uint32_t dpu_nl_family_version(const struct dpu_nl *nl)
{
	return nl->version;
}

const char *dpu_nl_errmsg(const struct dpu_nl *nl)
{
	return nl->errmsg;
}

const char *dpu_errno_name(int err)
{
	static const struct { int err; const char *name; } names[] = {
		{ EPERM, "EPERM" }, { ENOENT, "ENOENT" }, { EIO, "EIO" },
		{ ENOMEM, "ENOMEM" }, { EACCES, "EACCES" }, { EBUSY, "EBUSY" },
		{ EEXIST, "EEXIST" }, { ENODEV, "ENODEV" }, { EINVAL, "EINVAL" },
		{ ENOSPC, "ENOSPC" }, { ERANGE, "ERANGE" },
		{ EOPNOTSUPP, "EOPNOTSUPP" }, { EMSGSIZE, "EMSGSIZE" },
		{ ETIMEDOUT, "ETIMEDOUT" }, { EAGAIN, "EAGAIN" },
		{ ECANCELED, "ECANCELED" }, { EBADMSG, "EBADMSG" },
		{ ELOOP, "ELOOP" }, { E2BIG, "E2BIG" }, { ENOBUFS, "ENOBUFS" },
	};
	size_t i;

	if (err < 0)
		err = -err;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].err == err)
			return names[i].name;
	return NULL;
}
