/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libdpu: userspace client of the dpupool generic netlink family "dpu".
 */
#ifndef LIBDPU_H
#define LIBDPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/dpu.h>

struct nlmsghdr;
struct dpu_nl;

#define DPU_ERRMSG_LEN 256
#define DPU_LIMIT_KINDS 10	/* rate limit kinds, see dpu_limit_names */

/* Open a netlink socket and resolve the "dpu" family. NULL and errno set on
 * failure; a message naming the problem is written to err (if given). */
struct dpu_nl *dpu_nl_open(char *err, size_t errlen);
void dpu_nl_close(struct dpu_nl *nl);
/* Resolve the family again on the same socket (dpu.ko was reloaded: its
 * id and group ids may have changed). 1 if anything changed, 0 if not,
 * -errno with err set. An events socket follows with
 * dpu_nl_events_follow(). */
int dpu_nl_reopen(struct dpu_nl *nl, char *err, size_t errlen);
/* An events socket follows what dpu_nl_reopen() found on another socket
 * (no request on it: its receives may be in flight elsewhere). 1 if it
 * joined the new group, 0 if nothing changed, -errno with err set. */
int dpu_nl_events_follow(struct dpu_nl *ev, const struct dpu_nl *nl,
			 char *err, size_t errlen);
/* the same after the family went away and came back (dpu.ko reloaded,
 * possibly with the same ids): joins again whatever the ids */
int dpu_nl_events_rejoin(struct dpu_nl *ev, const struct dpu_nl *nl,
			 char *err, size_t errlen);
uint16_t dpu_nl_family_id(const struct dpu_nl *nl);
uint32_t dpu_nl_family_version(const struct dpu_nl *nl);

/* The kernel's extack text for the last failed request ("" if none). */
const char *dpu_nl_errmsg(const struct dpu_nl *nl);

/* Error message parsing (public for tests and tools). */
struct dpu_nl_err {
	int error;			/* negative errno, 0 for an ACK */
	uint32_t offset;		/* NLMSGERR_ATTR_OFFS, if has_offset */
	bool has_offset;
	char msg[DPU_ERRMSG_LEN];	/* NLMSGERR_ATTR_MSG, or "" */
};
int dpu_nl_parse_err(const struct nlmsghdr *nlh, struct dpu_nl_err *out);

/* DPU devices */
struct dpu_dev_info {
	uint32_t index;
	char name[DPU_NAME_LEN];
	char backend[DPU_BACKEND_LEN];
	char bus[32];
	char parent[64];
	int32_t numa_node;
	bool has_numa_node;
	/* capabilities (family version 3) */
	bool has_caps;
	uint32_t fn_types;		/* bit (1 << enum dpu_fn_type) */
	uint64_t limit_max[DPU_LIMIT_KINDS];	/* 0: kind not enforced */
	uint32_t tenant_depth;
	uint32_t burst_ms_max;		/* 0: any */
	uint32_t max_queues;		/* 0: cannot be set */
	uint32_t max_mtu;		/* 0: cannot be set */
	/* block I/O (family version 5) */
	uint64_t io_capacity_iops;	/* what the DPU can carry, 0: unknown */
	uint64_t io_capacity_bps;
	bool has_io_load;		/* measured: a tenant has a QoS class */
	uint64_t io_load_iops;		/* over the last 100 ms */
	uint64_t io_load_bps;
	bool io_saturated;		/* at 95% of a capacity or more */
	/* family version 6: bit (1 << DPU_LIMIT_KIND(rate attr)) per limit
	 * kind the host enforces for the DPU (dpud's BPF), 0: none */
	uint32_t host_limits;
};

int dpu_dev_parse(const struct nlmsghdr *nlh, struct dpu_dev_info *out);

/* Get one device by name ("dpu0") or, if name is NULL, by index.
 * Returns 0 or a negative errno (see dpu_nl_errmsg()). */
int dpu_dev_get(struct dpu_nl *nl, const char *name, uint32_t index,
		struct dpu_dev_info *out);

typedef int (*dpu_dev_cb)(const struct dpu_dev_info *dev, void *arg);
/* Dump all devices; cb returning non-zero stops the walk (returned). */
int dpu_dev_dump(struct dpu_nl *nl, dpu_dev_cb cb, void *arg);

/* Human-readable errno name ("ENODEV"), or NULL. */
const char *dpu_errno_name(int err);

/* Rate limits, in the order of enum dpu_limit_attr (rate, burst pairs) */
extern const char *const dpu_limit_names[DPU_LIMIT_KINDS];
int dpu_limit_kind_parse(const char *name);	/* index or -EINVAL */
bool dpu_limit_is_bytes(int kind);

struct dpu_limits_req {
	bool has_rate[DPU_LIMIT_KINDS];
	uint64_t rate[DPU_LIMIT_KINDS];
	bool has_burst[DPU_LIMIT_KINDS];
	uint64_t burst[DPU_LIMIT_KINDS];
};

/* Append lim as a nest of type attr (DPU_A_FN_LIMITS, DPU_A_TENANT_LIMITS)
 * with the rates and bursts it has (public for tests and tools). */
void dpu_limits_put(struct nlmsghdr *nlh, uint16_t attr,
		    const struct dpu_limits_req *lim);

/* Traffic counters (enum dpu_stat_attr) of a function or a tenant */
struct dpu_stats {
	uint64_t blk_ios;
	uint64_t blk_bytes;
	uint64_t tx_packets;
	uint64_t tx_bytes;
	uint64_t rx_packets;
	uint64_t rx_bytes;
	uint64_t rx_dropped;
	uint64_t throttled;
	uint64_t throttled_ns;
	uint64_t queued;
};

/* Functions */
struct dpu_fn_info {
	uint8_t cmd;			/* DPU_CMD_FN_* of the message */
	uint32_t dev_index;
	char dev[DPU_NAME_LEN];
	uint32_t index;
	uint8_t type;			/* enum dpu_fn_type */
	uint8_t state;			/* enum dpu_fn_state */
	char tenant[DPU_TENANT_LEN];
	bool has_error;
	int32_t error;
	bool has_size;
	uint64_t size;
	bool has_mac;
	uint8_t mac[6];
	char blkdev[DPU_DISK_NAME_LEN];
	char netdev[DPU_IFNAME_LEN];	/* "" in another netns */
	uint32_t ifindex;		/* in the netns of netns_id, if set */
	bool has_netns_id;		/* the NIC is in another namespace */
	int32_t netns_id;		/* its id there, -1 if none */
	bool has_numa_node;
	int32_t numa_node;
	uint64_t limit_rate[DPU_LIMIT_KINDS];	/* 0: none */
	uint64_t limit_burst[DPU_LIMIT_KINDS];
	/* per kind the tightest of its own, its tenant's and ancestors' */
	uint64_t eff_rate[DPU_LIMIT_KINDS];	/* 0: not limited anywhere */
	uint64_t eff_burst[DPU_LIMIT_KINDS];
	bool has_stats;
	struct dpu_stats stats;
	char reason[DPU_REASON_LEN];	/* why failed, gone or unbound */
	char bus_addr[DPU_BUS_ADDR_LEN];	/* PCI function, "" if none */
	uint32_t queues;		/* as asked for, 0: default */
	uint32_t mtu;
};

int dpu_fn_parse(const struct nlmsghdr *nlh, struct dpu_fn_info *out);

struct dpu_fn_new_args {
	const char *dev;		/* "dpu0" */
	uint8_t type;
	uint64_t size;			/* blk */
	bool has_mac;			/* net; random if not given */
	uint8_t mac[6];
	const char *tenant;
	bool has_index;			/* ask for this index */
	uint32_t index;
	uint32_t queues;		/* 0: the DPU's default */
	uint32_t mtu;			/* net; 0: the DPU's default */
};

/* Each returns 0 or a negative errno (see dpu_nl_errmsg()). */
int dpu_fn_new(struct dpu_nl *nl, const struct dpu_fn_new_args *args,
	       struct dpu_fn_info *out);
int dpu_fn_del(struct dpu_nl *nl, const char *dev, uint32_t index);
int dpu_fn_get(struct dpu_nl *nl, const char *dev, uint32_t index,
	       struct dpu_fn_info *out);
int dpu_fn_set_tenant(struct dpu_nl *nl, const char *dev, uint32_t index,
		      const char *tenant, struct dpu_fn_info *out);
/* Change tenant (if not NULL) and/or limits (if not NULL) at once. */
int dpu_fn_set(struct dpu_nl *nl, const char *dev, uint32_t index,
	       const char *tenant, const struct dpu_limits_req *lim,
	       struct dpu_fn_info *out);
typedef int (*dpu_fn_cb)(const struct dpu_fn_info *fn, void *arg);
/* Dump the functions of one device (dev) or of all (dev NULL). */
int dpu_fn_dump(struct dpu_nl *nl, const char *dev, dpu_fn_cb cb, void *arg);

/* Tenants (DPU_CMD_TENANT_*) */
struct dpu_tenant_info {
	uint8_t cmd;			/* DPU_CMD_TENANT_* of the message */
	uint32_t dev_index;
	char dev[DPU_NAME_LEN];
	char name[DPU_TENANT_LEN];
	char parent[DPU_TENANT_LEN];	/* "" for a root tenant */
	uint32_t depth;
	uint32_t num_fns;
	uint32_t num_children;
	uint64_t limit_rate[DPU_LIMIT_KINDS];	/* 0: none */
	uint64_t limit_burst[DPU_LIMIT_KINDS];
	bool has_stats;			/* not in TENANT_DEL notifications */
	struct dpu_stats stats;
	/* netlink version 4 */
	uint8_t qos_class;		/* enum dpu_qos_class, its own */
	bool qos_capped;		/* its I/O capped by a QoS decision */
};

/* 0, or -EBADMSG if nlh is not a well-formed tenant message */
int dpu_tenant_parse(const struct nlmsghdr *nlh, struct dpu_tenant_info *out);

/*
 * Append the attributes of a tenant request (cmd DPU_CMD_TENANT_*) to nlh,
 * whose generic netlink header is in place: device dev, tenant name
 * (NULL only for a GET dump), parent (NULL: none given; "" in TENANT_SET:
 * make it a root) and limits (NULL: none). 0, or -EINVAL with err saying
 * why (public for tests and tools).
 */
int dpu_tenant_msg_put(struct nlmsghdr *nlh, uint8_t cmd, const char *dev,
		       const char *name, const char *parent,
		       const struct dpu_limits_req *lim, char *err,
		       size_t errlen);

/* Each returns 0 or a negative errno (see dpu_nl_errmsg()). */
int dpu_tenant_new(struct dpu_nl *nl, const char *dev, const char *name,
		   const char *parent, const struct dpu_limits_req *lim,
		   struct dpu_tenant_info *out);
/* parent: NULL leaves it, "" makes the tenant a root; lim: NULL leaves
 * the limits, else only those it has change (a rate of 0 removes one). */
int dpu_tenant_set(struct dpu_nl *nl, const char *dev, const char *name,
		   const char *parent, const struct dpu_limits_req *lim,
		   struct dpu_tenant_info *out);
int dpu_tenant_del(struct dpu_nl *nl, const char *dev, const char *name);
/* give the tenant a QoS class (enum dpu_qos_class; NONE clears it) */
int dpu_tenant_set_qos(struct dpu_nl *nl, const char *dev, const char *name,
		       uint8_t qos_class, struct dpu_tenant_info *out);
int dpu_tenant_get(struct dpu_nl *nl, const char *dev, const char *name,
		   struct dpu_tenant_info *out);
typedef int (*dpu_tenant_cb)(const struct dpu_tenant_info *t, void *arg);
/* Dump the tenants of one device (dev) or of all (dev NULL). */
int dpu_tenant_dump(struct dpu_nl *nl, const char *dev, dpu_tenant_cb cb,
		    void *arg);

/* Attach @count functions like @args (dev is ignored: @dev_index) in one
 * io_uring batch on /dev/dpu-ctl. results[i] gets the i-th function's
 * index once ready, or a negative errno. Returns 0 or a negative errno
 * (err says what) if the batch itself could not run. */
int dpu_fn_new_batch(uint32_t dev_index, const struct dpu_fn_new_args *args,
		     unsigned int count, int *results, char *err, size_t errlen);

/* Events: a separate handle joined to the "events" group. */
struct dpu_nl *dpu_nl_open_events(char *err, size_t errlen);
/* the same for a group by name (DPU_GENL_MCGRP_EVENTS or _QOS) */
struct dpu_nl *dpu_nl_open_group(const char *group, char *err, size_t errlen);
int dpu_nl_fd(const struct dpu_nl *nl);
/* Read what is pending (blocks if nothing is) and call cb for each
 * function event (tenant events are skipped). Returns 0, cb's non-zero,
 * or a negative errno. */
int dpu_nl_read_events(struct dpu_nl *nl, dpu_fn_cb cb, void *arg);
/* The same with tenant events to tenant_cb; either callback may be NULL
 * to skip those events. */
int dpu_nl_read_events2(struct dpu_nl *nl, dpu_fn_cb fn_cb,
			dpu_tenant_cb tenant_cb, void *arg);
/* Hand each "dpu" family (id family) message of buf, as received, to
 * fn_cb or tenant_cb by its command; other and malformed messages are
 * skipped. Returns 0 or a callback's non-zero (public for tests). */
int dpu_events_dispatch(const void *buf, size_t len, uint16_t family,
			dpu_fn_cb fn_cb, dpu_tenant_cb tenant_cb, void *arg);
/* Wait until function dev/index leaves state creating, up to timeout_ms
 * (-1: forever). out gets its last event. -ETIMEDOUT on timeout. The
 * events handle must have been opened before the function was created:
 * only events after its creation event count. */
int dpu_fn_wait(struct dpu_nl *ev, const char *dev, uint32_t index,
		int timeout_ms, struct dpu_fn_info *out);

/* Names and units */
const char *dpu_fn_type_str(uint8_t type);
const char *dpu_fn_state_str(uint8_t state);
int dpu_fn_type_parse(const char *s);		/* DPU_FN_TYPE_* or -EINVAL */
/* "4096", "4k", "100M", "4G", "1T" (binary multiples, optional "iB"/"B") */
int dpu_parse_size(const char *s, uint64_t *out);
/* rates: "5000", "5k", "100M", "2G" (decimal multiples) */
int dpu_parse_rate(const char *s, uint64_t *out);
/* shortest exact decimal form: 5000 -> "5k", 100000000 -> "100M" */
void dpu_format_rate(uint64_t v, char *buf, size_t len);
/* shortest exact form: 4294967296 -> "4G", 4097 -> "4097" */
void dpu_format_size(uint64_t v, char *buf, size_t len);
/* counters of traffic: 999 -> "999", 5000000 -> "5.0M" (decimal, one
 * decimal digit) */
void dpu_format_count(uint64_t v, char *buf, size_t len);
/* nanoseconds: 0 -> "0s", 1200000000 -> "1.20s", 1500000 -> "1.50ms",
 * 2500 -> "2.50us", 800 -> "800ns" */
void dpu_format_ns(uint64_t ns, char *buf, size_t len);
/* "02:00:00:00:00:01" */
int dpu_parse_mac(const char *s, uint8_t mac[6]);
void dpu_format_mac(const uint8_t mac[6], char *buf, size_t len);


/* ------------------------------------------------ co-location QoS (v4) */
const char *dpu_qos_class_str(uint8_t cls);	/* "hls", "ls", "be", "none" */
int dpu_qos_class_parse(const char *s);		/* DPU_QOS_CLASS_* or -EINVAL */

/* a classified cgroup (DPU_CMD_QOS_CLASS_*) */
struct dpu_qos_class_info {
	uint8_t cmd;
	char path[DPU_CGROUP_PATH_LEN];
	uint64_t id;
	uint8_t qos_class;
	uint32_t priority;
	uint64_t age_ms;
	uint64_t mem;		/* bytes it holds */
	bool evicted;
};

int dpu_qos_class_parse_msg(const struct nlmsghdr *nlh,
			    struct dpu_qos_class_info *out);
/* priority: NULL keeps it (0 for a new entry) */
int dpu_qos_class_set(struct dpu_nl *nl, const char *path, uint8_t cls,
		      const uint32_t *priority, struct dpu_qos_class_info *out);
int dpu_qos_class_del(struct dpu_nl *nl, const char *path);
int dpu_qos_class_get(struct dpu_nl *nl, const char *path,
		      struct dpu_qos_class_info *out);
typedef int (*dpu_qos_class_cb)(const struct dpu_qos_class_info *c, void *arg);
int dpu_qos_class_dump(struct dpu_nl *nl, dpu_qos_class_cb cb, void *arg);

/* the policy: values by enum dpu_qos_policy_attr, bit per one given */
struct dpu_qos_policy_req {
	uint32_t set;
	uint64_t v[DPU_A_QOS_POL_MAX + 1];
};

/* "cpu-threshold" of DPU_A_QOS_POL_CPU_THRESHOLD..., NULL if none */
const char *dpu_qos_policy_name(int attr);
/* NAME VALUE into req: 0, -ENOENT (no such name), -EINVAL (bad value) */
int dpu_qos_policy_parse(const char *name, const char *val,
			 struct dpu_qos_policy_req *req);

#define DPU_QOS_INFO_MAX_EVICT	16

/* QOS_GET / QOS_SET replies and QOS_DECISION notifications */
struct dpu_qos_info {
	uint8_t cmd;
	uint32_t has_pol, has_use, has_dec;	/* bit per attribute */
	uint64_t pol[DPU_A_QOS_POL_MAX + 1];
	uint64_t use[DPU_A_QOS_USE_MAX + 1];
	uint64_t dec[DPU_A_QOS_DEC_MAX + 1];
	uint32_t nevict;
	struct {
		uint64_t id;
		uint64_t mem;
		char path[DPU_CGROUP_PATH_LEN];
	} evict[DPU_QOS_INFO_MAX_EVICT];
};

int dpu_qos_parse(const struct nlmsghdr *nlh, struct dpu_qos_info *out);
int dpu_qos_get(struct dpu_nl *nl, struct dpu_qos_info *out);
int dpu_qos_set(struct dpu_nl *nl, const struct dpu_qos_policy_req *req,
		struct dpu_qos_info *out);
typedef int (*dpu_qos_cb)(const struct dpu_qos_info *q, void *arg);
/* the messages of the qos group in buf, as dpu_events_dispatch() */
int dpu_qos_events_dispatch(const void *buf, size_t len, uint16_t family,
			    dpu_qos_cb qos_cb, dpu_qos_class_cb class_cb,
			    void *arg);

#endif /* LIBDPU_H */
