/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dpupool core: what a backend (simulator, PCIe) sees of dpu.ko.
 */
#ifndef _DPU_H
#define _DPU_H

#include <linux/completion.h>
#include <linux/device.h>
#include <linux/etherdevice.h>
#include <linux/mutex.h>
#include <linux/netdevice.h>
#include <linux/netlink.h>
#include <linux/types.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include <linux/dpu.h>

#include "dpu_fn_lib.h"
#include "dpu_limits.h"
#include "dpu_rate.h"

struct dpu_dev;
struct dpu_fn;
struct dpu_tenant;

/**
 * struct dpu_backend_ops - what a backend provides to the core
 * @name: short backend name reported to userspace ("sim", "pci")
 * @fn_create: start attaching @fn (type, size or MAC, index are set;
 *	@fn->adopted if the DPU already has it, see dpu_fn_adopt()). Must
 *	not wait for the attach: report the outcome with dpu_fn_attach_done()
 *	or dpu_fn_attach_failed(), from any process context, possibly before
 *	returning. A non-zero return fails the function at once and no
 *	outcome must be reported.
 * @fn_attach_timeout: optional; the attach deadline passed and @fn is now
 *	failed: cancel the attach so that a late hot-plug brings nothing up
 *	and the DPU's slot is released. Process context, without locks.
 * @fn_destroy: detach @fn, whatever state it is in (an attach may still be
 *	pending: cancel it). Returns 0 once done, or -EINPROGRESS and calls
 *	dpu_fn_detach_done() later (a slow unplug must not hold the DPU's
 *	other commands). After that the backend never touches @fn again.
 * @set_limits: @fn's own limits change to @lim: a hardware DPU pushes them
 *	to the device and returns an error if it cannot enforce them. The
 *	limits a function is created with are in @fn->limits at fn_create.
 *	Optional: without it the core's software rate groups are the only
 *	enforcement; a backend whose data path runs in the host (the
 *	simulator) calls dpu_fn_rate_charge() for each request.
 * @tenant_set: optional; tenant @tn is created or changed: its parent
 *	becomes @parent (NULL: a root) and its limits @lim. Called before the
 *	change is made in the core: an error refuses it (message in @extack).
 * @tenant_del: optional; tenant @tn (no functions, no children) goes.
 * @fn_set_tenant: optional; @fn moves to tenant @tn, before the core moves
 *	it: an error refuses the move.
 *
 * The core serializes these per DPU (op_lock), except fn_attach_timeout
 * and the completion of an asynchronous fn_destroy.
 */
struct dpu_backend_ops {
	const char *name;
	int (*fn_create)(struct dpu_dev *ddev, struct dpu_fn *fn);
	void (*fn_attach_timeout)(struct dpu_dev *ddev, struct dpu_fn *fn);
	int (*fn_destroy)(struct dpu_dev *ddev, struct dpu_fn *fn);
	int (*set_limits)(struct dpu_dev *ddev, struct dpu_fn *fn,
			  const struct dpu_limits *lim);
	int (*tenant_set)(struct dpu_dev *ddev, struct dpu_tenant *tn,
			  struct dpu_tenant *parent, const struct dpu_limits *lim,
			  struct netlink_ext_ack *extack);
	void (*tenant_del)(struct dpu_dev *ddev, struct dpu_tenant *tn);
	int (*fn_set_tenant)(struct dpu_dev *ddev, struct dpu_fn *fn,
			     struct dpu_tenant *tn,
			     struct netlink_ext_ack *extack);
};

/**
 * struct dpu_caps - what a DPU can do, reported by DEV_GET and enforced
 *	on requests; set by the backend before registering
 * @fn_types: bit (1 << &enum dpu_fn_type) per type offered
 * @rate_max: per &enum dpu_limit_kind, the highest rate enforced
 * @tenant_depth: tenant levels enforced above a function
 * @burst_ms_max: longest burst in ms of the rate, 0: any
 * @max_queues: most queues a function may ask for, 0: not settable
 * @max_mtu: highest MTU of a NIC function, 0: not settable
 */
struct dpu_caps {
	u32 fn_types;
	u64 rate_max[DPU_LIM_NR];
	u32 tenant_depth;
	u32 burst_ms_max;
	u32 max_queues;
	u32 max_mtu;
};

/* samples of &struct dpu_io_load: 100 ms at the I/O watch's 20 ms */
#define DPU_IO_LOAD_SAMPLES	6

/**
 * struct dpu_io_load - a DPU's block I/O over the last samples, written
 *	by the QoS I/O watch under the DPU's lock (dpu_qos.c)
 * @t: when each sample was taken (ns, monotonic)
 * @ios: I/Os of all block functions so far, per sample
 * @bytes: their bytes
 * @online: I/Os of functions of online (HLS, LS) tenants
 * @pos: the next sample's slot
 * @n: samples held
 * @stamp: when @iops, @bps and @saturated were last computed, 0: never
 * @iops: I/Os per second over the samples held
 * @bps: bytes per second
 * @saturated: the load is at 95% or more of a capacity
 * @contended: online tenants do I/O on the saturated DPU (or did when
 *	it saturated and BE is capped since)
 */
struct dpu_io_load {
	u64 t[DPU_IO_LOAD_SAMPLES];
	u64 ios[DPU_IO_LOAD_SAMPLES];
	u64 bytes[DPU_IO_LOAD_SAMPLES];
	u64 online[DPU_IO_LOAD_SAMPLES];
	unsigned int pos;
	unsigned int n;
	u64 stamp;
	u64 iops;
	u64 bps;
	bool saturated;
	bool contended;
};

/**
 * struct dpu_dev - one DPU, a device of class "dpu" named dpuN
 * @dev: the class device; its parent is the backend's device
 * @index: N of dpuN, unique while the structure lives
 * @ops: backend operations, valid while registered
 * @backend: copy of @ops->name, valid for the structure's whole life
 * @max_fns: how many functions the DPU offers; set before registering
 * @limit_kinds: bit per &enum dpu_limit_kind of the function limits the
 *	backend enforces (all if it has @ops->set_limits, else none); may
 *	be narrowed before registering
 * @host_kinds: bit per &enum dpu_limit_kind of the limits the DPU leaves
 *	to the host (dpud's BPF on the function's net device): accepted
 *	like those in @limit_kinds, enforced by neither the DPU nor the core
 * @op_lock: serializes function creation and removal on this DPU
 * @lock: protects @fns, @num_fns, @dead and the functions' state
 * @fns: the functions by index
 * @num_fns: how many are in @fns
 * @dead: being unregistered: no new functions
 * @tenants: &struct dpu_tenant by id, under @lock
 * @num_tenants: how many
 * @caps: capabilities, see &struct dpu_caps
 * @io_capacity: block I/O the DPU can carry, I/Os (0) and bytes (1) per
 *	second, 0: unknown; the backend may change it at any time
 * @io_load: its block I/O as the QoS I/O watch measures it, see
 *	&struct dpu_io_load
 * @priv: backend private data (allocated with the device)
 */
struct dpu_dev {
	struct device dev;
	u32 index;
	const struct dpu_backend_ops *ops;
	char backend[DPU_BACKEND_LEN];
	u32 max_fns;
	unsigned long limit_kinds;
	unsigned long host_kinds;
	struct mutex op_lock;	/* serializes creation and removal */
	struct mutex lock;	/* protects fns, num_fns, dead, fn state */
	struct xarray fns;
	u32 num_fns;
	bool dead;
	struct xarray tenants;
	u32 num_tenants;
	struct dpu_caps caps;
	u64 io_capacity[2];
	struct dpu_io_load io_load;
	void *priv;
};

/* tenants a DPU may have */
#define DPU_MAX_TENANTS		4096

/**
 * struct dpu_tenant - a rate group of functions on one DPU
 * @rate: its buckets; @rate.parent is the parent tenant's
 * @ddev: the DPU
 * @parent: the parent tenant, NULL for a root
 * @id: key in @ddev->tenants
 * @name: unique on the DPU
 * @num_fns: functions that belong to it
 * @num_children: child tenants
 * @limits: as configured
 * @qos_class: &enum dpu_qos_class, 0: the parent's (if any)
 * @qos_capped: a QoS decision caps its I/O (BE tenants), see dpu_qos.c
 * @rcu: freed after a grace period: data paths may still look at @rate
 *
 * All fields but @rate are under @ddev->lock.
 */
struct dpu_tenant {
	struct dpu_rate_group rate;
	struct dpu_dev *ddev;
	struct dpu_tenant *parent;
	u32 id;
	char name[DPU_TENANT_LEN];
	u32 num_fns;
	u32 num_children;
	struct dpu_limits limits;
	u8 qos_class;
	bool qos_capped;
	struct rcu_head rcu;
};

/**
 * struct dpu_fn_waiter - notified when a function's attach ends
 * @node: in &dpu_fn.waiters
 * @done: called once, in process context, without locks held, with the
 *	function's index (ready) or a negative errno
 */
struct dpu_fn_waiter {
	struct list_head node;
	void (*done)(struct dpu_fn_waiter *w, int res);
};

/**
 * struct dpu_fn - a PCIe function of a DPU: a disk or a NIC
 * @dev: device of class "dpu_fn" named dpuNfnM, child of the DPU
 * @ddev: the DPU (a reference is held)
 * @index: M of dpuNfnM
 * @type: &enum dpu_fn_type
 * @state: &enum dpu_fn_state, under @ddev->lock
 * @error: negative errno of a failed attach
 * @size: disk size in bytes (blk)
 * @mac: MAC address (net)
 * @tenant: name of @tn, under @ddev->lock
 * @tn: the tenant it belongs to, under @ddev->lock
 * @blkdev: name of the block device once ready (blk)
 * @netdev: the net device once ready (net), held; written under RTNL and
 *	@ddev->lock
 * @netdev_tracker: for @netdev's reference
 * @netdev_node: in the list of functions with a net device, under RTNL
 * @netdev_linked: "nic" links to @netdev (PCI backend), under RTNL
 * @ifname: @netdev's name, kept current on renames, under @ddev->lock
 * @ifindex: its ifindex (0: none), under @ddev->lock
 * @ifnet: its network namespace, NULL while it has none (being moved),
 *	under @ddev->lock; only compared and passed to peernet2id()
 * @limits: the function's own limits, under @ddev->lock
 * @rate: the function's own rate group; its parent is @tn's
 * @rate_waiter: the data path, as @rate's wait queues see it
 * @waiters: &struct dpu_fn_waiter waiting for the attach, under @ddev->lock
 * @timeout_work: fails the attach after attach_timeout_ms
 * @reason: why it is failed, gone or unbound, under @ddev->lock
 * @blk_dev: the disk's device when the backend does not own it (PCI),
 *	held; its name is read when reported
 * @bus_dev: the function's own device on its bus (PCI function), held
 * @adopted: the DPU already had it (dpu_fn_new() with adopt)
 * @queues: queues asked for, 0: the DPU's default
 * @mtu: MTU asked for (net), 0: the DPU's default
 * @detached: completed when the function is gone for good
 * @priv: backend private data
 */
struct dpu_fn {
	struct device dev;
	struct dpu_dev *ddev;
	u32 index;
	u8 type;
	u8 state;
	int error;
	u64 size;
	u8 mac[ETH_ALEN];
	char tenant[DPU_TENANT_LEN];
	struct dpu_tenant *tn;
	char blkdev[DPU_DISK_NAME_LEN];
	struct net_device *netdev;
	netdevice_tracker netdev_tracker;
	struct list_head netdev_node;
	bool netdev_linked;
	char ifname[IFNAMSIZ];
	int ifindex;
	struct net *ifnet;
	struct dpu_limits limits;
	struct dpu_rate_group rate;
	struct dpu_rate_waiter rate_waiter;
	struct list_head waiters;
	struct delayed_work timeout_work;
	char reason[DPU_REASON_LEN];
	struct device *blk_dev;
	struct device *bus_dev;
	bool adopted;
	u32 queues;
	u32 mtu;
	struct completion detached;
	void *priv;
};

static inline struct dpu_dev *to_dpu_dev(struct device *dev)
{
	return container_of(dev, struct dpu_dev, dev);
}

static inline struct dpu_fn *to_dpu_fn(struct device *dev)
{
	return container_of(dev, struct dpu_fn, dev);
}

/* DPU devices, for backends */
struct dpu_dev *dpu_dev_alloc(struct device *parent,
			      const struct dpu_backend_ops *ops,
			      size_t priv_size);
int dpu_dev_register(struct dpu_dev *ddev);
void dpu_dev_unregister(struct dpu_dev *ddev);
void dpu_dev_put(struct dpu_dev *ddev);

extern const struct block_device_operations dpu_blk_fops;

/* Functions, for backends */
void dpu_fn_attach_done(struct dpu_fn *fn, int err);
void dpu_fn_attach_failed(struct dpu_fn *fn, int err, const char *reason);
void dpu_fn_surprise_removed(struct dpu_fn *fn);
void dpu_fn_gone(struct dpu_fn *fn, const char *reason);
void dpu_fn_set_bound(struct dpu_fn *fn, bool bound, const char *reason);
void dpu_fn_detach_done(struct dpu_fn *fn);
void dpu_fn_set_blkdev(struct dpu_fn *fn, const char *name);
void dpu_fn_set_blk_dev(struct dpu_fn *fn, struct device *disk);
void dpu_fn_set_netdev(struct dpu_fn *fn, struct net_device *netdev);
int dpu_fn_set_bus_dev(struct dpu_fn *fn, struct device *dev);

/* Software enforcement of limits, for backends whose data path is here */
void dpu_fn_rate_start(struct dpu_fn *fn,
		       void (*wake)(struct dpu_rate_waiter *w), void *priv);
void dpu_fn_rate_stop(struct dpu_fn *fn);
int dpu_fn_rate_charge(struct dpu_fn *fn, const struct dpu_rate_cost *c);
bool dpu_fn_rate_try(struct dpu_fn *fn, const struct dpu_rate_cost *c);

/* Lookups for the control paths; the caller owns a reference on success. */
struct dpu_dev *dpu_dev_get_by_index(u32 index);
struct dpu_dev *dpu_dev_get_by_name(const char *name);
struct dpu_fn *dpu_fn_get(struct dpu_dev *ddev, u32 index);

/*
 * Iterate registered devices from *index on, under the registry lock.
 * @fn returns non-zero to stop; *index is left at the device it stopped on.
 */
int dpu_dev_for_each(unsigned long *index,
		     int (*fn)(struct dpu_dev *ddev, void *arg), void *arg);

/* Control operations shared by netlink and io_uring */
struct dpu_fn_req {
	u8 type;
	bool has_index;
	u32 index;
	u64 size;
	bool has_mac;
	u8 mac[ETH_ALEN];
	char tenant[DPU_TENANT_LEN];
	struct dpu_limits limits;
	bool adopt;
	u32 queues;
	u32 mtu;
};

/* Report a message that is not a literal (NL_SET_ERR_MSG needs one). */
static inline void dpu_extack_set(struct netlink_ext_ack *extack,
				  const struct nlattr *attr, const char *msg)
{
	if (extack) {
		extack->_msg = msg;
		extack->bad_attr = attr;
	}
}

struct dpu_fn *dpu_fn_new(struct dpu_dev *ddev, const struct dpu_fn_req *req,
			  struct netlink_ext_ack *extack);
int dpu_fn_del(struct dpu_dev *ddev, u32 index,
	       struct netlink_ext_ack *extack);
int dpu_limits_caps_check(struct dpu_dev *ddev, const struct dpu_limits *lim,
			  bool fn, struct netlink_ext_ack *extack);
int dpu_fn_set(struct dpu_fn *fn, const char *tenant,
	       const struct dpu_limits_change *chg,
	       struct netlink_ext_ack *extack);

/* Tenants; names are validated by the callers */
int dpu_tenant_new(struct dpu_dev *ddev, const char *name, const char *parent,
		   const struct dpu_limits_change *chg,
		   struct netlink_ext_ack *extack);
int dpu_tenant_del(struct dpu_dev *ddev, const char *name,
		   struct netlink_ext_ack *extack);
int dpu_tenant_set(struct dpu_dev *ddev, const char *name, const char *parent,
		   const struct dpu_limits_change *chg,
		   struct netlink_ext_ack *extack);
int dpu_tenant_set_qos(struct dpu_dev *ddev, const char *name, u8 qos_class,
		       struct netlink_ext_ack *extack);
struct dpu_tenant *dpu_tenant_find(struct dpu_dev *ddev, const char *name);
void dpu_dev_del_tenants(struct dpu_dev *ddev);
void dpu_fn_put(struct dpu_fn *fn);
int dpu_fn_wait_attach(struct dpu_fn *fn, struct dpu_fn_waiter *w);
int dpu_uring_init(void);
void dpu_uring_exit(void);

/* Internal to dpu.ko */
void dpu_generation_bump(void);
unsigned int dpu_generation(void);
int dpu_fn_init(void);
void dpu_fn_exit(void);
void dpu_dev_del_fns(struct dpu_dev *ddev);
int dpu_netlink_init(void);
void dpu_netlink_exit(void);
void dpu_nl_fn_notify(struct dpu_fn *fn, u8 cmd);
void dpu_nl_tenant_notify(struct dpu_tenant *tn, u8 cmd);
extern struct class dpu_fn_class;

#endif /* _DPU_H */
