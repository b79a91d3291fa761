/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the dpupool selftests: simulated DPUs through sysfs and
 * raw requests to the "dpu" generic netlink family with libmnl.
 */
#ifndef DPU_TEST_H
#define DPU_TEST_H

/*
 * Tests are run on the debug kernel too (KASAN, lockdep), several times
 * slower than Debian's: the harness's 30 s per test is not enough there.
 */
#ifdef TEST_TIMEOUT_DEFAULT
#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT 300
#endif

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/dpu.h>

#define SIM_BUS "/sys/bus/dpu_sim"

/* write s to path; 0 or -errno */
static inline int sysfs_write(const char *path, const char *s)
{
	ssize_t n;
	int fd, err = 0;

	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	if (n < 0)
		err = -errno;
	else if ((size_t)n != strlen(s))
		err = -EIO;
	close(fd);
	return err;
}

/* read path into buf, newline stripped; 0 or -errno */
static inline int sysfs_read(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	if (n && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	return 0;
}

static inline int sim_new(unsigned int id)
{
	char s[32];

	snprintf(s, sizeof(s), "%u", id);
	return sysfs_write(SIM_BUS "/new_device", s);
}

static inline int sim_del(unsigned int id)
{
	char s[32];

	snprintf(s, sizeof(s), "%u", id);
	return sysfs_write(SIM_BUS "/del_device", s);
}

/* name of the dpuN bound to simulated device id, from sysfs; 0 or -errno */
static inline int sim_dpu_name(unsigned int id, char *name, size_t len)
{
	char path[128], link[256], *base;
	ssize_t n;
	int i;

	for (i = 0; i < 4096; i++) {
		snprintf(path, sizeof(path), "/sys/class/dpu/dpu%d/device", i);
		n = readlink(path, link, sizeof(link) - 1);
		if (n < 0)
			continue;
		link[n] = '\0';
		base = strrchr(link, '/');
		base = base ? base + 1 : link;
		snprintf(path, sizeof(path), "dpu_sim%u", id);
		if (!strcmp(base, path)) {
			snprintf(name, len, "dpu%d", i);
			return 0;
		}
	}
	return -ENOENT;
}

struct nl {
	struct mnl_socket *sk;
	uint32_t portid, seq;
	uint16_t family;
	uint32_t version;
	char buf[32768];
	char req[8192];
	/* result of the last request */
	int error;
	char extack[256];
	int replies;
	int rounds;	/* datagrams received */
	int (*cb)(const struct nlmsghdr *nlh, void *arg);
	void *arg;
};

static int nl_data_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nl *nl = data;

	nl->replies++;
	if (nl->cb)
		return nl->cb(nlh, nl->arg) ? MNL_CB_ERROR : MNL_CB_OK;
	return MNL_CB_OK;
}

static int nl_err_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nl *nl = data;
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *attr;
	size_t off = sizeof(*e);

	if (nlh->nlmsg_type == NLMSG_DONE) {
		nl->error = *(const int *)mnl_nlmsg_get_payload(nlh);
		off = sizeof(int);
	} else {
		nl->error = e->error;
	}
	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
		mnl_attr_for_each(attr, nlh, off)
			if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG)
				snprintf(nl->extack, sizeof(nl->extack), "%s",
					 mnl_attr_get_str(attr));
	}
	return MNL_CB_STOP;
}

/* send the request in nl->req; returns nl->error (0 or -errno) */
static inline int nl_talk(struct nl *nl, struct nlmsghdr *nlh)
{
	mnl_cb_t ctl[NLMSG_MIN_TYPE] = {
		[NLMSG_ERROR] = nl_err_cb,
		[NLMSG_DONE] = nl_err_cb,
	};
	ssize_t len;
	int ret;

	nl->error = 0;
	nl->extack[0] = '\0';
	nl->replies = 0;
	nl->rounds = 0;
	nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = ++nl->seq;
	if (mnl_socket_sendto(nl->sk, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		len = mnl_socket_recvfrom(nl->sk, nl->buf, sizeof(nl->buf));
		if (len < 0)
			return -errno;
		nl->rounds++;
		ret = mnl_cb_run2(nl->buf, len, nlh->nlmsg_seq, nl->portid,
				  nl_data_cb, nl, ctl, NLMSG_MIN_TYPE);
	} while (ret > 0);
	if (ret < 0 && !nl->error)
		return -EBADMSG;
	return nl->error;
}

static inline struct nlmsghdr *nl_msg(struct nl *nl, uint16_t type,
				      uint8_t cmd, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(nl->req);
	struct genlmsghdr *g;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = DPU_GENL_VERSION;
	return nlh;
}

static int nl_family_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct nl *nl = arg;
	const struct nlattr *attr;

	mnl_attr_for_each(attr, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(attr) == CTRL_ATTR_FAMILY_ID)
			nl->family = mnl_attr_get_u16(attr);
		if (mnl_attr_get_type(attr) == CTRL_ATTR_VERSION)
			nl->version = mnl_attr_get_u32(attr);
	}
	return 0;
}

/* open and resolve the family; NULL on failure */
static inline struct nl *nl_open(void)
{
	struct nlmsghdr *nlh;
	struct nl *nl;
	int one = 1;

	nl = calloc(1, sizeof(*nl));
	if (!nl)
		return NULL;
	nl->sk = mnl_socket_open(NETLINK_GENERIC);
	if (!nl->sk || mnl_socket_bind(nl->sk, 0, MNL_SOCKET_AUTOPID) < 0)
		goto fail;
	mnl_socket_setsockopt(nl->sk, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl->sk, NETLINK_CAP_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl->sk, NETLINK_GET_STRICT_CHK, &one, sizeof(one));
	nl->portid = mnl_socket_get_portid(nl->sk);

	nlh = nl_msg(nl, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 0);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, DPU_GENL_NAME);
	nl->cb = nl_family_cb;
	nl->arg = nl;
	if (nl_talk(nl, nlh) || !nl->family)
		goto fail;
	nl->cb = NULL;
	return nl;
fail:
	if (nl->sk)
		mnl_socket_close(nl->sk);
	free(nl);
	return NULL;
}

static inline void nl_close(struct nl *nl)
{
	if (!nl)
		return;
	mnl_socket_close(nl->sk);
	free(nl);
}

/* parsed DPU_CMD_DEV_GET reply */
struct dev_reply {
	int has_index;
	uint32_t index;
	char name[64], backend[64], bus[64], parent[64];
	int has_numa;
	int32_t numa;
};

static inline int parse_dev(const struct nlmsghdr *nlh, struct dev_reply *d)
{
	const struct nlattr *a;

	memset(d, 0, sizeof(*d));
	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		switch (mnl_attr_get_type(a)) {
		case DPU_A_DEV_INDEX:
			d->has_index = 1;
			d->index = mnl_attr_get_u32(a);
			break;
		case DPU_A_DEV_NAME:
			snprintf(d->name, sizeof(d->name), "%s", mnl_attr_get_str(a));
			break;
		case DPU_A_DEV_BACKEND:
			snprintf(d->backend, sizeof(d->backend), "%s", mnl_attr_get_str(a));
			break;
		case DPU_A_DEV_BUS_NAME:
			snprintf(d->bus, sizeof(d->bus), "%s", mnl_attr_get_str(a));
			break;
		case DPU_A_DEV_PARENT:
			snprintf(d->parent, sizeof(d->parent), "%s", mnl_attr_get_str(a));
			break;
		case DPU_A_DEV_NUMA_NODE:
			d->has_numa = 1;
			d->numa = (int32_t)mnl_attr_get_u32(a);
			break;
		}
	}
	return 0;
}

/*
 * u64 values of a nested attribute (DPU_A_*_LIMITS or DPU_A_*_STATS) by
 * type; has[t] marks those present, bad counts attributes that were not
 * 8 bytes long or of a type above max.
 */
#define DPU_NEST_MAX	32
struct u64_nest {
	int present;
	int has[DPU_NEST_MAX];
	uint64_t v[DPU_NEST_MAX];
	int bad;
};

static inline void parse_u64_nest(const struct nlattr *nest, int max,
				  struct u64_nest *n)
{
	const struct nlattr *a;

	n->present = 1;
	mnl_attr_for_each_nested(a, nest) {
		uint16_t t = mnl_attr_get_type(a);

		/* the PAD types (1) carry no value */
		if (t == 1)
			continue;
		if (t > max || t >= DPU_NEST_MAX ||
		    mnl_attr_get_payload_len(a) != sizeof(uint64_t)) {
			n->bad++;
			continue;
		}
		n->has[t] = 1;
		n->v[t] = mnl_attr_get_u64(a);
	}
}

/* parsed function message (reply or event) */
struct fn_reply {
	uint8_t cmd;
	char dev[32];
	int has_index;
	uint32_t index;
	uint8_t type, state;
	char tenant[64];
	int has_error;
	int32_t error;
	uint64_t size;
	int has_mac;
	uint8_t mac[6];
	char blkdev[32], netdev[32];
	int has_ifindex, has_netns_id;
	uint32_t ifindex;
	int32_t netns_id;
	struct u64_nest limits, eff, stats;
};

static inline int parse_fn(const struct nlmsghdr *nlh, struct fn_reply *f)
{
	const struct genlmsghdr *g = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;

	memset(f, 0, sizeof(*f));
	f->cmd = g->cmd;
	mnl_attr_for_each(a, nlh, sizeof(*g)) {
		switch (mnl_attr_get_type(a)) {
		case DPU_A_DEV_NAME:
			snprintf(f->dev, sizeof(f->dev), "%s", mnl_attr_get_str(a));
			break;
		case DPU_A_FN_INDEX:
			f->has_index = 1;
			f->index = mnl_attr_get_u32(a);
			break;
		case DPU_A_FN_TYPE:
			f->type = mnl_attr_get_u8(a);
			break;
		case DPU_A_FN_STATE:
			f->state = mnl_attr_get_u8(a);
			break;
		case DPU_A_FN_TENANT:
			snprintf(f->tenant, sizeof(f->tenant), "%s", mnl_attr_get_str(a));
			break;
		case DPU_A_FN_ERROR:
			f->has_error = 1;
			f->error = (int32_t)mnl_attr_get_u32(a);
			break;
		case DPU_A_FN_SIZE:
			f->size = mnl_attr_get_u64(a);
			break;
		case DPU_A_FN_MAC:
			f->has_mac = 1;
			memcpy(f->mac, mnl_attr_get_payload(a), 6);
			break;
		case DPU_A_FN_BLKDEV:
			snprintf(f->blkdev, sizeof(f->blkdev), "%s", mnl_attr_get_str(a));
			break;
		case DPU_A_FN_NETDEV:
			snprintf(f->netdev, sizeof(f->netdev), "%s", mnl_attr_get_str(a));
			break;
		case DPU_A_FN_IFINDEX:
			f->has_ifindex = 1;
			f->ifindex = mnl_attr_get_u32(a);
			break;
		case DPU_A_FN_NETNS_ID:
			f->has_netns_id = 1;
			f->netns_id = (int32_t)mnl_attr_get_u32(a);
			break;
		case DPU_A_FN_LIMITS:
			parse_u64_nest(a, DPU_A_LIMIT_MAX, &f->limits);
			break;
		case DPU_A_FN_EFFECTIVE_LIMITS:
			parse_u64_nest(a, DPU_A_LIMIT_MAX, &f->eff);
			break;
		case DPU_A_FN_STATS:
			parse_u64_nest(a, DPU_A_STAT_MAX, &f->stats);
			break;
		}
	}
	return 0;
}

static int grab_fn(const struct nlmsghdr *nlh, void *arg)
{
	return parse_fn(nlh, arg);
}

/* FN_NEW of a blk (size != 0) or net (size == 0) function, at index
 * (or anywhere: index < 0) */
static inline int fn_new_at(struct nl *nl, const char *dev, long index,
			    uint64_t size, const char *tenant, struct fn_reply *f)
{
	struct nlmsghdr *nlh = nl_msg(nl, nl->family, DPU_CMD_FN_NEW, 0);

	mnl_attr_put_strz(nlh, DPU_A_DEV_NAME, dev);
	if (index >= 0)
		mnl_attr_put_u32(nlh, DPU_A_FN_INDEX, (uint32_t)index);
	mnl_attr_put_u8(nlh, DPU_A_FN_TYPE, size ? DPU_FN_TYPE_BLK : DPU_FN_TYPE_NET);
	if (size)
		mnl_attr_put_u64(nlh, DPU_A_FN_SIZE, size);
	mnl_attr_put_strz(nlh, DPU_A_FN_TENANT, tenant);
	nl->cb = grab_fn;
	nl->arg = f;
	return nl_talk(nl, nlh);
}

static inline int fn_new(struct nl *nl, const char *dev, uint64_t size,
			 const char *tenant, struct fn_reply *f)
{
	return fn_new_at(nl, dev, -1, size, tenant, f);
}

static inline int fn_get(struct nl *nl, const char *dev, uint32_t index,
			 struct fn_reply *f)
{
	struct nlmsghdr *nlh = nl_msg(nl, nl->family, DPU_CMD_FN_GET, 0);

	mnl_attr_put_strz(nlh, DPU_A_DEV_NAME, dev);
	mnl_attr_put_u32(nlh, DPU_A_FN_INDEX, index);
	nl->cb = grab_fn;
	nl->arg = f;
	return nl_talk(nl, nlh);
}

static inline int fn_del(struct nl *nl, const char *dev, uint32_t index)
{
	struct nlmsghdr *nlh = nl_msg(nl, nl->family, DPU_CMD_FN_DEL, 0);

	mnl_attr_put_strz(nlh, DPU_A_DEV_NAME, dev);
	mnl_attr_put_u32(nlh, DPU_A_FN_INDEX, index);
	nl->cb = NULL;
	return nl_talk(nl, nlh);
}

/* poll FN_GET until the function leaves "creating"; its state or -errno */
static inline int fn_wait(struct nl *nl, const char *dev, uint32_t index,
			  int timeout_ms, struct fn_reply *f)
{
	int err, waited;

	for (waited = 0; waited <= timeout_ms; waited += 10) {
		err = fn_get(nl, dev, index, f);
		if (err)
			return err;
		if (f->state != DPU_FN_STATE_CREATING)
			return f->state;
		usleep(10000);
	}
	return -ETIMEDOUT;
}

/* FN_SET of one limit (a DPU_A_LIMIT_* rate or burst) of a function */
static inline int fn_set_limit(struct nl *nl, const char *dev, uint32_t index,
			       uint16_t limit, uint64_t value)
{
	struct nlmsghdr *nlh = nl_msg(nl, nl->family, DPU_CMD_FN_SET, 0);
	struct nlattr *nest;

	mnl_attr_put_strz(nlh, DPU_A_DEV_NAME, dev);
	mnl_attr_put_u32(nlh, DPU_A_FN_INDEX, index);
	nest = mnl_attr_nest_start(nlh, DPU_A_FN_LIMITS);
	mnl_attr_put_u64(nlh, limit, value);
	mnl_attr_nest_end(nlh, nest);
	nl->cb = NULL;
	return nl_talk(nl, nlh);
}

/* FN_SET moving a function to another tenant; f (if not NULL) gets the reply */
static inline int fn_move(struct nl *nl, const char *dev, uint32_t index,
				const char *tenant, struct fn_reply *f)
{
	struct nlmsghdr *nlh = nl_msg(nl, nl->family, DPU_CMD_FN_SET, 0);

	mnl_attr_put_strz(nlh, DPU_A_DEV_NAME, dev);
	mnl_attr_put_u32(nlh, DPU_A_FN_INDEX, index);
	mnl_attr_put_strz(nlh, DPU_A_FN_TENANT, tenant);
	nl->cb = f ? grab_fn : NULL;
	nl->arg = f;
	return nl_talk(nl, nlh);
}

/* parsed tenant message (reply or event) */
struct tenant_reply {
	uint8_t cmd;
	int has_dev_index;
	uint32_t dev_index;
	char dev[32];
	char name[80];
	int has_parent;
	char parent[80];
	int has_depth, has_num_fns, has_num_children;
	uint32_t depth, num_fns, num_children;
	struct u64_nest limits, stats;
};

static inline int parse_tenant(const struct nlmsghdr *nlh, struct tenant_reply *t)
{
	const struct genlmsghdr *g = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;

	memset(t, 0, sizeof(*t));
	t->cmd = g->cmd;
	mnl_attr_for_each(a, nlh, sizeof(*g)) {
		switch (mnl_attr_get_type(a)) {
		case DPU_A_DEV_INDEX:
			t->has_dev_index = 1;
			t->dev_index = mnl_attr_get_u32(a);
			break;
		case DPU_A_DEV_NAME:
			snprintf(t->dev, sizeof(t->dev), "%s", mnl_attr_get_str(a));
			break;
		case DPU_A_TENANT_NAME:
			snprintf(t->name, sizeof(t->name), "%s", mnl_attr_get_str(a));
			break;
		case DPU_A_TENANT_PARENT:
			t->has_parent = 1;
			snprintf(t->parent, sizeof(t->parent), "%s", mnl_attr_get_str(a));
			break;
		case DPU_A_TENANT_DEPTH:
			t->has_depth = 1;
			t->depth = mnl_attr_get_u32(a);
			break;
		case DPU_A_TENANT_NUM_FNS:
			t->has_num_fns = 1;
			t->num_fns = mnl_attr_get_u32(a);
			break;
		case DPU_A_TENANT_NUM_CHILDREN:
			t->has_num_children = 1;
			t->num_children = mnl_attr_get_u32(a);
			break;
		case DPU_A_TENANT_LIMITS:
			parse_u64_nest(a, DPU_A_LIMIT_MAX, &t->limits);
			break;
		case DPU_A_TENANT_STATS:
			parse_u64_nest(a, DPU_A_STAT_MAX, &t->stats);
			break;
		}
	}
	return 0;
}

static int grab_tenant(const struct nlmsghdr *nlh, void *arg)
{
	return parse_tenant(nlh, arg);
}

/*
 * TENANT_NEW of a tenant without limits; parent NULL for a root. Tests of
 * functions call it before FN_NEW: functions need an existing tenant.
 */
static inline int tenant_new(struct nl *nl, const char *dev, const char *name,
			     const char *parent)
{
	struct nlmsghdr *nlh = nl_msg(nl, nl->family, DPU_CMD_TENANT_NEW, 0);

	mnl_attr_put_strz(nlh, DPU_A_DEV_NAME, dev);
	mnl_attr_put_strz(nlh, DPU_A_TENANT_NAME, name);
	if (parent)
		mnl_attr_put_strz(nlh, DPU_A_TENANT_PARENT, parent);
	nl->cb = NULL;
	return nl_talk(nl, nlh);
}

static inline int tenant_get(struct nl *nl, const char *dev, const char *name,
			     struct tenant_reply *t)
{
	struct nlmsghdr *nlh = nl_msg(nl, nl->family, DPU_CMD_TENANT_GET, 0);

	mnl_attr_put_strz(nlh, DPU_A_DEV_NAME, dev);
	mnl_attr_put_strz(nlh, DPU_A_TENANT_NAME, name);
	nl->cb = grab_tenant;
	nl->arg = t;
	return nl_talk(nl, nlh);
}

static inline int tenant_del(struct nl *nl, const char *dev, const char *name)
{
	struct nlmsghdr *nlh = nl_msg(nl, nl->family, DPU_CMD_TENANT_DEL, 0);

	mnl_attr_put_strz(nlh, DPU_A_DEV_NAME, dev);
	mnl_attr_put_strz(nlh, DPU_A_TENANT_NAME, name);
	nl->cb = NULL;
	return nl_talk(nl, nlh);
}

/* TENANT_SET of the parent ("" makes it a root); t (if not NULL) gets the reply */
static inline int tenant_set_parent(struct nl *nl, const char *dev,
				    const char *name, const char *parent,
				    struct tenant_reply *t)
{
	struct nlmsghdr *nlh = nl_msg(nl, nl->family, DPU_CMD_TENANT_SET, 0);

	mnl_attr_put_strz(nlh, DPU_A_DEV_NAME, dev);
	mnl_attr_put_strz(nlh, DPU_A_TENANT_NAME, name);
	mnl_attr_put_strz(nlh, DPU_A_TENANT_PARENT, parent);
	nl->cb = t ? grab_tenant : NULL;
	nl->arg = t;
	return nl_talk(nl, nlh);
}

/* TENANT_SET of one limit (a DPU_A_LIMIT_* rate or burst) */
static inline int tenant_set_limit(struct nl *nl, const char *dev,
				   const char *name, uint16_t limit,
				   uint64_t value, struct tenant_reply *t)
{
	struct nlmsghdr *nlh = nl_msg(nl, nl->family, DPU_CMD_TENANT_SET, 0);
	struct nlattr *nest;

	mnl_attr_put_strz(nlh, DPU_A_DEV_NAME, dev);
	mnl_attr_put_strz(nlh, DPU_A_TENANT_NAME, name);
	nest = mnl_attr_nest_start(nlh, DPU_A_TENANT_LIMITS);
	mnl_attr_put_u64(nlh, limit, value);
	mnl_attr_nest_end(nlh, nest);
	nl->cb = t ? grab_tenant : NULL;
	nl->arg = t;
	return nl_talk(nl, nlh);
}

/* join the events group with @nl's socket; 0 or -errno */
static inline int nl_join_events(struct nl *nl)
{
	/* resolve the group id with CTRL_CMD_GETFAMILY and join it */
	struct nlmsghdr *nlh;
	int grp = 0;
	const struct nlattr *a;
	char buf[8192];
	ssize_t len;
	struct mnl_socket *s = nl->sk;

	nlh = nl_msg(nl, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, NLM_F_REQUEST);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, DPU_GENL_NAME);
	nlh->nlmsg_seq = ++nl->seq;
	if (mnl_socket_sendto(s, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	len = mnl_socket_recvfrom(s, buf, sizeof(buf));
	if (len < 0)
		return -errno;
	nlh = (struct nlmsghdr *)buf;
	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		const struct nlattr *g, *x;

		if (mnl_attr_get_type(a) != CTRL_ATTR_MCAST_GROUPS)
			continue;
		mnl_attr_for_each_nested(g, a) {
			const char *name = NULL;
			int id = 0;

			mnl_attr_for_each_nested(x, g) {
				if (mnl_attr_get_type(x) == CTRL_ATTR_MCAST_GRP_NAME)
					name = mnl_attr_get_str(x);
				if (mnl_attr_get_type(x) == CTRL_ATTR_MCAST_GRP_ID)
					id = mnl_attr_get_u32(x);
			}
			if (name && !strcmp(name, DPU_GENL_MCGRP_EVENTS))
				grp = id;
		}
	}
	if (!grp)
		return -ENOENT;
	return mnl_socket_setsockopt(s, NETLINK_ADD_MEMBERSHIP, &grp, sizeof(grp));
}

/* write a debugfs knob of simulated device id */
static inline int sim_knob(unsigned int id, const char *knob, const char *val)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/kernel/debug/dpu_sim/dpu_sim%u/%s",
		 id, knob);
	return sysfs_write(path, val);
}

#endif
