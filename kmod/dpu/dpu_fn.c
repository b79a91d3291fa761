// SPDX-License-Identifier: GPL-2.0
/*
 * dpupool core: functions (disks and NICs) of a DPU and their life cycle.
 *
 * A function is a device of class "dpu_fn" named dpuNfnM under its DPU.
 * Creation is asynchronous: the backend reports the outcome with
 * dpu_fn_attach_done(), or the attach times out. Every state change is
 * announced as a uevent and on the netlink "events" group.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/netdevice.h>
#include <linux/rtnetlink.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <net/netlink.h>

#include "dpu.h"

static unsigned int attach_timeout_ms = 30000;
module_param(attach_timeout_ms, uint, 0644);
MODULE_PARM_DESC(attach_timeout_ms,
		 "fail an attach the backend has not completed after this many ms (0: never)");

static struct kmem_cache *dpu_fn_cache;

static ssize_t type_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%s\n", dpu_fn_type_name(to_dpu_fn(dev)->type));
}
static DEVICE_ATTR_RO(type);

static ssize_t index_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	return sysfs_emit(buf, "%u\n", to_dpu_fn(dev)->index);
}
static DEVICE_ATTR_RO(index);

static ssize_t state_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	return sysfs_emit(buf, "%s\n",
			  dpu_fn_state_name(READ_ONCE(to_dpu_fn(dev)->state)));
}
static DEVICE_ATTR_RO(state);

static ssize_t error_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	return sysfs_emit(buf, "%d\n", READ_ONCE(to_dpu_fn(dev)->error));
}
static DEVICE_ATTR_RO(error);

static ssize_t tenant_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	struct dpu_fn *fn = to_dpu_fn(dev);
	ssize_t ret;

	mutex_lock(&fn->ddev->lock);
	ret = sysfs_emit(buf, "%s\n", fn->tenant);
	mutex_unlock(&fn->ddev->lock);
	return ret;
}
static DEVICE_ATTR_RO(tenant);

static ssize_t size_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%llu\n", to_dpu_fn(dev)->size);
}
static DEVICE_ATTR_RO(size);

static ssize_t mac_show(struct device *dev, struct device_attribute *attr,
			char *buf)
{
	return sysfs_emit(buf, "%pM\n", to_dpu_fn(dev)->mac);
}
static DEVICE_ATTR_RO(mac);

static ssize_t blkdev_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	struct dpu_fn *fn = to_dpu_fn(dev);
	ssize_t ret;

	mutex_lock(&fn->ddev->lock);
	ret = sysfs_emit(buf, "%s\n",
			 fn->blk_dev ? dev_name(fn->blk_dev) : fn->blkdev);
	mutex_unlock(&fn->ddev->lock);
	return ret;
}
static DEVICE_ATTR_RO(blkdev);

static ssize_t reason_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	struct dpu_fn *fn = to_dpu_fn(dev);
	ssize_t ret;

	mutex_lock(&fn->ddev->lock);
	ret = sysfs_emit(buf, "%s\n", fn->reason);
	mutex_unlock(&fn->ddev->lock);
	return ret;
}
static DEVICE_ATTR_RO(reason);

static ssize_t netdev_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	struct dpu_fn *fn = to_dpu_fn(dev);
	ssize_t ret;

	mutex_lock(&fn->ddev->lock);
	ret = sysfs_emit(buf, "%s\n", fn->ifname);
	mutex_unlock(&fn->ddev->lock);
	return ret;
}
static DEVICE_ATTR_RO(netdev);

static struct attribute *dpu_fn_attrs[] = {
	&dev_attr_type.attr,
	&dev_attr_index.attr,
	&dev_attr_state.attr,
	&dev_attr_error.attr,
	&dev_attr_tenant.attr,
	&dev_attr_size.attr,
	&dev_attr_mac.attr,
	&dev_attr_blkdev.attr,
	&dev_attr_netdev.attr,
	&dev_attr_reason.attr,
	NULL,
};

static umode_t dpu_fn_attr_visible(struct kobject *kobj, struct attribute *a,
				   int n)
{
	struct dpu_fn *fn = to_dpu_fn(kobj_to_dev(kobj));
	bool blk = fn->type == DPU_FN_TYPE_BLK;

	if (a == &dev_attr_size.attr || a == &dev_attr_blkdev.attr)
		return blk ? a->mode : 0;
	if (a == &dev_attr_mac.attr || a == &dev_attr_netdev.attr)
		return blk ? 0 : a->mode;
	return a->mode;
}

static const struct attribute_group dpu_fn_group = {
	.attrs = dpu_fn_attrs,
	.is_visible = dpu_fn_attr_visible,
};

static const struct attribute_group *dpu_fn_groups[] = {
	&dpu_fn_group,
	NULL,
};

static int dpu_fn_uevent(struct device *dev, struct kobj_uevent_env *env)
{
	struct dpu_fn *fn = to_dpu_fn(dev);
	char tenant[DPU_TENANT_LEN];

	mutex_lock(&fn->ddev->lock);
	strscpy(tenant, fn->tenant, sizeof(tenant));
	mutex_unlock(&fn->ddev->lock);

	if (add_uevent_var(env, "DPU_DEV=%s", dev_name(&fn->ddev->dev)) ||
	    add_uevent_var(env, "DPU_FN_TYPE=%s", dpu_fn_type_name(fn->type)) ||
	    add_uevent_var(env, "DPU_FN_INDEX=%u", fn->index) ||
	    add_uevent_var(env, "DPU_TENANT=%s", tenant) ||
	    add_uevent_var(env, "DPU_FN_STATE=%s",
			   dpu_fn_state_name(READ_ONCE(fn->state))))
		return -ENOMEM;
	return 0;
}

struct class dpu_fn_class = {
	.name = "dpu_fn",
	.owner = THIS_MODULE,
	.dev_groups = dpu_fn_groups,
	.dev_uevent = dpu_fn_uevent,
};

static void dpu_fn_release(struct device *dev)
{
	struct dpu_fn *fn = to_dpu_fn(dev);

	dpu_rate_group_destroy(&fn->rate);
	put_device(fn->blk_dev);
	put_device(fn->bus_dev);
	put_device(&fn->ddev->dev);
	kmem_cache_free(dpu_fn_cache, fn);
}

void dpu_fn_put(struct dpu_fn *fn)
{
	put_device(&fn->dev);
}
EXPORT_SYMBOL_GPL(dpu_fn_put);

struct dpu_fn *dpu_fn_get(struct dpu_dev *ddev, u32 index)
{
	struct dpu_fn *fn;

	mutex_lock(&ddev->lock);
	fn = xa_load(&ddev->fns, index);
	if (fn)
		get_device(&fn->dev);
	mutex_unlock(&ddev->lock);
	return fn;
}
EXPORT_SYMBOL_GPL(dpu_fn_get);

/*
 * Move @fn to @to if that is legal from where it is; with ddev->lock held.
 * Returns true if it moved.
 */
static bool dpu_fn_move_locked(struct dpu_fn *fn, u8 to, int error,
			       const char *reason)
{
	lockdep_assert_held(&fn->ddev->lock);
	if (!dpu_fn_state_can_move(fn->state, to))
		return false;
	WRITE_ONCE(fn->state, to);
	if (to == DPU_FN_STATE_FAILED)
		WRITE_ONCE(fn->error, error);
	if (reason || to == DPU_FN_STATE_READY)
		strscpy(fn->reason, reason ? reason : "", sizeof(fn->reason));
	return true;
}

/* What a waiter learns about @fn once it left creating. */
static int dpu_fn_attach_result(struct dpu_fn *fn)
{
	switch (fn->state) {
	case DPU_FN_STATE_READY:
		return fn->index;
	case DPU_FN_STATE_FAILED:
		return fn->error;
	case DPU_FN_STATE_GONE:
		return -ENODEV;
	default:
		return -ECANCELED;
	}
}

/**
 * dpu_fn_wait_attach() - be told when @fn's attach ends
 * @fn: the function
 * @w: the waiter; its done() is called once unless this returns >= 0 or
 *	an error
 *
 * Return: -EINPROGRESS if @w was queued, else the result at once (the
 * function's index, or a negative errno).
 */
int dpu_fn_wait_attach(struct dpu_fn *fn, struct dpu_fn_waiter *w)
{
	int ret = -EINPROGRESS;

	mutex_lock(&fn->ddev->lock);
	if (fn->state == DPU_FN_STATE_CREATING)
		list_add_tail(&w->node, &fn->waiters);
	else
		ret = dpu_fn_attach_result(fn);
	mutex_unlock(&fn->ddev->lock);
	return ret;
}

static void dpu_fn_wake(struct list_head *waiters, int res)
{
	struct dpu_fn_waiter *w, *tmp;

	list_for_each_entry_safe(w, tmp, waiters, node) {
		list_del(&w->node);
		w->done(w, res);
	}
}

/* Announce a change of @fn (state or attributes) everywhere. */
static void dpu_fn_announce(struct dpu_fn *fn)
{
	kobject_uevent(&fn->dev.kobj, KOBJ_CHANGE);
	dpu_nl_fn_notify(fn, DPU_CMD_FN_SET);
}

static bool dpu_fn_move_reason(struct dpu_fn *fn, u8 to, int error,
			       const char *reason)
{
	LIST_HEAD(waiters);
	bool moved;
	int res = 0;

	mutex_lock(&fn->ddev->lock);
	moved = dpu_fn_move_locked(fn, to, error, reason);
	if (moved) {
		/* the attach ended (a move from creating is for good) */
		list_splice_init(&fn->waiters, &waiters);
		res = dpu_fn_attach_result(fn);
	}
	mutex_unlock(&fn->ddev->lock);
	if (moved) {
		dpu_fn_announce(fn);
		dpu_fn_wake(&waiters, res);
	}
	return moved;
}

static bool dpu_fn_move(struct dpu_fn *fn, u8 to, int error)
{
	return dpu_fn_move_reason(fn, to, error, NULL);
}

/**
 * dpu_fn_attach_done() - the backend finished attaching @fn
 * @fn: a function in state creating (otherwise the report is ignored: the
 *	attach timed out or the function is being removed)
 * @err: 0 on success or a negative errno
 */
void dpu_fn_attach_done(struct dpu_fn *fn, int err)
{
	if (dpu_fn_move(fn, err ? DPU_FN_STATE_FAILED : DPU_FN_STATE_READY,
			err))
		cancel_delayed_work(&fn->timeout_work);
}
EXPORT_SYMBOL_GPL(dpu_fn_attach_done);

/**
 * dpu_fn_attach_failed() - the backend's attach of @fn failed
 * @fn: a function in state creating (otherwise ignored)
 * @err: a negative errno
 * @reason: why, in words (DPU_A_FN_REASON)
 */
void dpu_fn_attach_failed(struct dpu_fn *fn, int err, const char *reason)
{
	if (dpu_fn_move_reason(fn, DPU_FN_STATE_FAILED, err, reason))
		cancel_delayed_work(&fn->timeout_work);
}
EXPORT_SYMBOL_GPL(dpu_fn_attach_failed);

/**
 * dpu_fn_surprise_removed() - the backend lost @fn without being asked
 * @fn: the function; it stays, in state gone, until deleted
 */
void dpu_fn_surprise_removed(struct dpu_fn *fn)
{
	dpu_fn_gone(fn, "removed by the DPU");
}
EXPORT_SYMBOL_GPL(dpu_fn_surprise_removed);

/**
 * dpu_fn_gone() - @fn vanished (surprise removal, the DPU lost it)
 * @fn: the function; it stays, in state gone, until deleted
 * @reason: why, in words
 */
void dpu_fn_gone(struct dpu_fn *fn, const char *reason)
{
	if (dpu_fn_move_reason(fn, DPU_FN_STATE_GONE, 0, reason))
		cancel_delayed_work(&fn->timeout_work);
}
EXPORT_SYMBOL_GPL(dpu_fn_gone);

/**
 * dpu_fn_set_bound() - a driver bound to, or left, @fn's bus device
 * @fn: a ready or unbound function (otherwise ignored)
 * @bound: true: back to ready; false: unbound
 * @reason: why it is unbound, in words
 */
void dpu_fn_set_bound(struct dpu_fn *fn, bool bound, const char *reason)
{
	dpu_fn_move_reason(fn, bound ? DPU_FN_STATE_READY :
			   DPU_FN_STATE_UNBOUND, 0, bound ? NULL : reason);
}
EXPORT_SYMBOL_GPL(dpu_fn_set_bound);

/**
 * dpu_fn_set_blk_dev() - @fn's disk is a device the backend does not own
 * @fn: the function
 * @disk: the gendisk's device (held until replaced or the function goes),
 *	or NULL; its name is read whenever reported. Linked as "disk".
 */
void dpu_fn_set_blk_dev(struct dpu_fn *fn, struct device *disk)
{
	struct device *old;

	if (disk)
		get_device(disk);
	mutex_lock(&fn->ddev->lock);
	old = fn->blk_dev;
	fn->blk_dev = disk;
	mutex_unlock(&fn->ddev->lock);
	if (old) {
		sysfs_remove_link(&fn->dev.kobj, "disk");
		put_device(old);
	}
	if (disk && sysfs_create_link(&fn->dev.kobj, &disk->kobj, "disk"))
		dev_warn(&fn->dev, "cannot link to %s\n", dev_name(disk));
}
EXPORT_SYMBOL_GPL(dpu_fn_set_blk_dev);

/**
 * dpu_fn_set_bus_dev() - @fn's own device on its bus (a PCI function)
 * @fn: the function
 * @dev: the device (held until replaced or the function goes), or NULL.
 *	Linked as "function"; its name is DPU_A_FN_BUS_ADDR.
 *
 * Return: 0 or a negative errno from the link.
 */
int dpu_fn_set_bus_dev(struct dpu_fn *fn, struct device *dev)
{
	struct device *old;
	int err = 0;

	if (dev)
		get_device(dev);
	mutex_lock(&fn->ddev->lock);
	old = fn->bus_dev;
	fn->bus_dev = dev;
	mutex_unlock(&fn->ddev->lock);
	if (old) {
		sysfs_remove_link(&fn->dev.kobj, "function");
		put_device(old);
	}
	if (dev)
		err = sysfs_create_link(&fn->dev.kobj, &dev->kobj, "function");
	return err;
}
EXPORT_SYMBOL_GPL(dpu_fn_set_bus_dev);

void dpu_fn_set_blkdev(struct dpu_fn *fn, const char *name)
{
	mutex_lock(&fn->ddev->lock);
	strscpy(fn->blkdev, name ? name : "", sizeof(fn->blkdev));
	mutex_unlock(&fn->ddev->lock);
}
EXPORT_SYMBOL_GPL(dpu_fn_set_blkdev);

/* Functions with a net device, under RTNL, for the notifier. */
static LIST_HEAD(dpu_fn_netdevs);

/* With RTNL and ddev->lock: refresh what @fn reports of its net device. */
static void dpu_fn_netdev_snap(struct dpu_fn *fn, bool present)
{
	struct net_device *nd = fn->netdev;

	if (nd && present) {
		strscpy(fn->ifname, nd->name, sizeof(fn->ifname));
		fn->ifindex = nd->ifindex;
		fn->ifnet = dev_net(nd);
	} else {
		fn->ifname[0] = '\0';
		fn->ifindex = 0;
		fn->ifnet = NULL;
	}
}

/* With RTNL: @fn lets go of its net device. */
static void dpu_fn_netdev_drop(struct dpu_fn *fn)
{
	ASSERT_RTNL();
	if (!fn->netdev)
		return;
	if (fn->netdev_linked)
		sysfs_remove_link(&fn->dev.kobj, "nic");
	fn->netdev_linked = false;
	mutex_lock(&fn->ddev->lock);
	list_del(&fn->netdev_node);
	netdev_put(fn->netdev, &fn->netdev_tracker);
	fn->netdev = NULL;
	dpu_fn_netdev_snap(fn, false);
	mutex_unlock(&fn->ddev->lock);
}

/**
 * dpu_fn_set_netdev() - the backend's net device of @fn, or NULL
 * @fn: the function
 * @netdev: registered (else ignored); the core holds a reference until
 *	it is replaced, cleared, or unregistered. Name, ifindex and namespace are followed
 *	through renames and namespace moves.
 *
 * Call without RTNL.
 */
void dpu_fn_set_netdev(struct dpu_fn *fn, struct net_device *netdev)
{
	rtnl_lock();
	dpu_fn_netdev_drop(fn);
	/* one being unregistered would never be let go of */
	if (netdev && netdev->reg_state == NETREG_REGISTERED) {
		mutex_lock(&fn->ddev->lock);
		fn->netdev = netdev;
		netdev_hold(netdev, &fn->netdev_tracker, GFP_KERNEL);
		list_add(&fn->netdev_node, &dpu_fn_netdevs);
		dpu_fn_netdev_snap(fn, true);
		mutex_unlock(&fn->ddev->lock);
		/* a backend's own NIC is a child of the function already */
		if (fn->bus_dev) {
			fn->netdev_linked = !sysfs_create_link(&fn->dev.kobj,
							       &netdev->dev.kobj,
							       "nic");
			if (!fn->netdev_linked)
				dev_warn(&fn->dev, "cannot link to %s\n", netdev->name);
		}
	}
	rtnl_unlock();
}
EXPORT_SYMBOL_GPL(dpu_fn_set_netdev);

/*
 * Renames and namespace moves (an unregister in the old namespace, a
 * register in the new one) keep the reported name, ifindex and namespace
 * current; a device really unregistered is let go of.
 */
static int dpu_fn_netdev_event(struct notifier_block *nb,
			       unsigned long event, void *ptr)
{
	struct net_device *nd = netdev_notifier_info_to_dev(ptr);
	struct dpu_fn *fn, *tmp;

	if (event != NETDEV_REGISTER && event != NETDEV_CHANGENAME &&
	    event != NETDEV_UNREGISTER)
		return NOTIFY_DONE;
	list_for_each_entry_safe(fn, tmp, &dpu_fn_netdevs, netdev_node) {
		if (fn->netdev != nd)
			continue;
		if (event == NETDEV_UNREGISTER &&
		    nd->reg_state == NETREG_UNREGISTERING) {
			dpu_fn_netdev_drop(fn);
			continue;
		}
		mutex_lock(&fn->ddev->lock);
		dpu_fn_netdev_snap(fn, event != NETDEV_UNREGISTER);
		mutex_unlock(&fn->ddev->lock);
	}
	return NOTIFY_DONE;
}

static struct notifier_block dpu_fn_netdev_nb = {
	.notifier_call = dpu_fn_netdev_event,
};

/* With ddev->lock held: @fn leaves its tenant for good (being removed). */
static void dpu_fn_unlink_tenant(struct dpu_fn *fn)
{
	lockdep_assert_held(&fn->ddev->lock);
	if (fn->tn)
		fn->tn->num_fns--;
	fn->tn = NULL;
	RCU_INIT_POINTER(fn->rate.parent, NULL);
}

/**
 * dpu_fn_rate_start() - a backend's data path of @fn starts charging
 * @fn: the function
 * @wake: restarts the data path after it was held back; called with
 *	interrupts off, must not sleep
 * @priv: the data path, for @wake (in the waiter's priv)
 *
 * Call before the data path takes requests.
 */
void dpu_fn_rate_start(struct dpu_fn *fn,
		       void (*wake)(struct dpu_rate_waiter *w), void *priv)
{
	fn->rate_waiter.priv = priv;
	fn->rate_waiter.wake = wake;
}
EXPORT_SYMBOL_GPL(dpu_fn_rate_start);

/**
 * dpu_fn_rate_stop() - the data path of @fn is gone (no more charges)
 * @fn: the function
 *
 * Once this returns, the wake hook is not running and is not called again.
 */
void dpu_fn_rate_stop(struct dpu_fn *fn)
{
	dpu_rate_waiter_cancel(&fn->rate_waiter);
	/* a timer may be in the wake hook, with interrupts off */
	synchronize_rcu();
}
EXPORT_SYMBOL_GPL(dpu_fn_rate_stop);

/**
 * dpu_fn_rate_charge() - may a request of @fn pass?
 * @fn: the function, its data path started
 * @c: the request (block I/O or a packet to send)
 *
 * Return: %DPU_RATE_PASS, or %DPU_RATE_QUEUED: hold it back, stop, then
 * restart at once unless dpu_rate_waiter_pending(); the wake hook runs when
 * it may go (see dpu_rate_charge()).
 */
int dpu_fn_rate_charge(struct dpu_fn *fn, const struct dpu_rate_cost *c)
{
	int ret;

	rcu_read_lock();
	ret = dpu_rate_charge(&fn->rate, &fn->rate_waiter, c, ktime_get_ns());
	rcu_read_unlock();
	return ret;
}
EXPORT_SYMBOL_GPL(dpu_fn_rate_charge);

/**
 * dpu_fn_rate_try() - take a received packet's tokens, or drop it
 * @fn: the function
 * @c: the packet
 *
 * Return: true if it passes.
 */
bool dpu_fn_rate_try(struct dpu_fn *fn, const struct dpu_rate_cost *c)
{
	bool ret;

	rcu_read_lock();
	ret = dpu_rate_try(&fn->rate, c, ktime_get_ns());
	rcu_read_unlock();
	return ret;
}
EXPORT_SYMBOL_GPL(dpu_fn_rate_try);

static void dpu_fn_timeout_work(struct work_struct *work)
{
	struct dpu_fn *fn = container_of(to_delayed_work(work), struct dpu_fn,
					 timeout_work);

	char reason[DPU_REASON_LEN];

	snprintf(reason, sizeof(reason), "attach not complete after %u ms",
		 attach_timeout_ms);
	if (dpu_fn_move_reason(fn, DPU_FN_STATE_FAILED, -ETIMEDOUT, reason)) {
		dev_warn(&fn->dev, "%s\n", reason);
		if (fn->ddev->ops->fn_attach_timeout)
			fn->ddev->ops->fn_attach_timeout(fn->ddev, fn);
	}
}

/* Does @ddev's backend, or the host for it, enforce every kind @lim limits? */
static bool dpu_fn_limits_supported(struct dpu_dev *ddev,
				    const struct dpu_limits *lim)
{
	unsigned long kinds = READ_ONCE(ddev->limit_kinds) |
			      READ_ONCE(ddev->host_kinds);
	unsigned int k;

	for (k = 0; k < DPU_LIM_NR; k++)
		if (lim->l[k].rate && !(kinds & BIT(k)))
			return false;
	return true;
}

/**
 * dpu_limits_caps_check() - are @lim within what @ddev enforces?
 * @ddev: the DPU
 * @lim: function or tenant limits
 * @fn: @lim are a function's (for the message)
 * @extack: for the message
 *
 * Return: 0, -EOPNOTSUPP (a kind not enforced) or -ERANGE (above the
 * DPU's maximum, or a burst longer than it keeps).
 */
int dpu_limits_caps_check(struct dpu_dev *ddev, const struct dpu_limits *lim,
			  bool fn, struct netlink_ext_ack *extack)
{
	const struct dpu_caps *caps = &ddev->caps;
	unsigned int k;

	if (!dpu_fn_limits_supported(ddev, lim)) {
		if (fn)
			NL_SET_ERR_MSG(extack, "this DPU cannot enforce these function limits");
		else
			NL_SET_ERR_MSG(extack, "this DPU cannot enforce these tenant limits");
		return -EOPNOTSUPP;
	}
	for (k = 0; k < DPU_LIM_NR; k++) {
		const struct dpu_limit *l = &lim->l[k];

		if (!l->rate)
			continue;
		if (caps->rate_max[k] && l->rate > caps->rate_max[k]) {
			NL_SET_ERR_MSG(extack, "limit above the highest rate this DPU enforces");
			return -ERANGE;
		}
		if (caps->burst_ms_max && l->burst &&
		    div64_u64(l->burst * 1000, l->rate) > caps->burst_ms_max) {
			NL_SET_ERR_MSG(extack, "burst longer than this DPU keeps");
			return -ERANGE;
		}
	}
	return 0;
}

/**
 * dpu_fn_new() - create a function and start attaching it
 * @ddev: the DPU
 * @req: what to create; validated here
 * @extack: for error messages
 *
 * Return: the function (state creating, or already ready/failed if the
 * backend was quick) with a reference for the caller, or an ERR_PTR.
 */
struct dpu_fn *dpu_fn_new(struct dpu_dev *ddev, const struct dpu_fn_req *req,
			  struct netlink_ext_ack *extack)
{
	struct dpu_tenant *tn;
	struct xa_limit limit;
	struct dpu_fn *fn;
	const char *msg;
	u32 index;
	int err;

	msg = dpu_tenant_name_check(req->tenant);
	if (msg) {
		dpu_extack_set(extack, NULL, msg);
		return ERR_PTR(-EINVAL);
	}
	switch (req->type) {
	case DPU_FN_TYPE_BLK:
		msg = dpu_fn_size_check(req->size);
		break;
	case DPU_FN_TYPE_NET:
		msg = req->has_mac ? dpu_fn_mac_check(req->mac) : NULL;
		break;
	default:
		msg = "unknown function type";
		break;
	}
	if (msg) {
		dpu_extack_set(extack, NULL, msg);
		return ERR_PTR(-EINVAL);
	}
	if (!(ddev->caps.fn_types & BIT(req->type))) {
		NL_SET_ERR_MSG(extack, "this DPU does not offer functions of this type");
		return ERR_PTR(-EOPNOTSUPP);
	}
	err = dpu_limits_caps_check(ddev, &req->limits, true, extack);
	if (err)
		return ERR_PTR(err);
	if (req->queues && !ddev->caps.max_queues) {
		NL_SET_ERR_MSG(extack, "this DPU cannot set the number of queues");
		return ERR_PTR(-EOPNOTSUPP);
	}
	if (req->queues > ddev->caps.max_queues) {
		NL_SET_ERR_MSG(extack, "more queues than this DPU offers");
		return ERR_PTR(-ERANGE);
	}
	if (req->mtu && req->type != DPU_FN_TYPE_NET) {
		NL_SET_ERR_MSG(extack, "only a NIC function has an MTU");
		return ERR_PTR(-EINVAL);
	}
	if (req->mtu && !ddev->caps.max_mtu) {
		NL_SET_ERR_MSG(extack, "this DPU cannot set the MTU");
		return ERR_PTR(-EOPNOTSUPP);
	}
	if (req->mtu && (req->mtu < ETH_MIN_MTU || req->mtu > ddev->caps.max_mtu)) {
		NL_SET_ERR_MSG(extack, "MTU out of the range this DPU offers");
		return ERR_PTR(-ERANGE);
	}

	fn = kmem_cache_zalloc(dpu_fn_cache, GFP_KERNEL);
	if (!fn)
		return ERR_PTR(-ENOMEM);
	if (dpu_rate_group_init(&fn->rate)) {
		kmem_cache_free(dpu_fn_cache, fn);
		return ERR_PTR(-ENOMEM);
	}
	dpu_rate_waiter_init(&fn->rate_waiter, NULL);
	dpu_rate_group_set_limits(&fn->rate, &req->limits, ktime_get_ns());
	get_device(&ddev->dev);
	fn->ddev = ddev;
	fn->type = req->type;
	fn->state = DPU_FN_STATE_CREATING;
	fn->size = req->type == DPU_FN_TYPE_BLK ? req->size : 0;
	if (req->type == DPU_FN_TYPE_NET) {
		if (req->has_mac)
			ether_addr_copy(fn->mac, req->mac);
		else
			eth_random_addr(fn->mac);
	}
	strscpy(fn->tenant, req->tenant, sizeof(fn->tenant));
	fn->limits = req->limits;
	INIT_LIST_HEAD(&fn->waiters);
	INIT_LIST_HEAD(&fn->netdev_node);
	INIT_DELAYED_WORK(&fn->timeout_work, dpu_fn_timeout_work);
	init_completion(&fn->detached);
	fn->adopted = req->adopt;
	fn->queues = req->queues;
	fn->mtu = req->mtu;
	device_initialize(&fn->dev);
	fn->dev.class = &dpu_fn_class;
	fn->dev.parent = &ddev->dev;
	fn->dev.release = dpu_fn_release;
	set_dev_node(&fn->dev, dev_to_node(&ddev->dev));

	mutex_lock(&ddev->op_lock);
	mutex_lock(&ddev->lock);
	if (ddev->dead) {
		NL_SET_ERR_MSG(extack, "DPU device is going away");
		err = -ENODEV;
		goto err_unlock;
	}
	tn = dpu_tenant_find(ddev, req->tenant);
	if (!tn) {
		NL_SET_ERR_MSG(extack, "no tenant with this name on this DPU");
		err = -ENOENT;
		goto err_unlock;
	}
	if (req->has_index) {
		if (req->index >= ddev->max_fns) {
			NL_SET_ERR_MSG(extack, "function index beyond the DPU's maximum");
			err = -ERANGE;
			goto err_unlock;
		}
		limit = XA_LIMIT(req->index, req->index);
	} else {
		limit = XA_LIMIT(0, ddev->max_fns - 1);
	}
	err = xa_alloc(&ddev->fns, &index, fn, limit, GFP_KERNEL);
	if (err == -EBUSY) {
		if (req->has_index) {
			NL_SET_ERR_MSG(extack, "function index in use");
			err = -EEXIST;
		} else {
			NL_SET_ERR_MSG(extack, "no free function slot on this DPU");
			err = -ENOSPC;
		}
	}
	if (err)
		goto err_unlock;
	fn->index = index;
	ddev->num_fns++;
	fn->tn = tn;
	tn->num_fns++;
	rcu_assign_pointer(fn->rate.parent, &tn->rate);
	mutex_unlock(&ddev->lock);

	err = dev_set_name(&fn->dev, "%sfn%u", dev_name(&ddev->dev), index);
	if (!err)
		err = device_add(&fn->dev);
	if (err) {
		NL_SET_ERR_MSG(extack, "cannot add the function's device");
		mutex_lock(&ddev->lock);
		xa_erase(&ddev->fns, index);
		ddev->num_fns--;
		dpu_fn_unlink_tenant(fn);
		goto err_unlock;
	}
	/*
	 * The caller's reference, taken while op_lock keeps FN_DEL out: the
	 * index is predictable and a delete may come as soon as it drops.
	 */
	get_device(&fn->dev);
	dpu_nl_fn_notify(fn, DPU_CMD_FN_NEW);

	if (attach_timeout_ms)
		schedule_delayed_work(&fn->timeout_work,
				      msecs_to_jiffies(attach_timeout_ms));
	err = ddev->ops->fn_create(ddev, fn);
	if (err && dpu_fn_move(fn, DPU_FN_STATE_FAILED, err))
		cancel_delayed_work(&fn->timeout_work);
	mutex_unlock(&ddev->op_lock);
	return fn;

err_unlock:
	mutex_unlock(&ddev->lock);
	mutex_unlock(&ddev->op_lock);
	put_device(&fn->dev);
	return ERR_PTR(err);
}
EXPORT_SYMBOL_GPL(dpu_fn_new);

/* @fn's detach is over: it leaves the DPU. Drops the registry's reference. */
static void dpu_fn_finish(struct dpu_fn *fn)
{
	struct dpu_dev *ddev = fn->ddev;

	dpu_fn_set_netdev(fn, NULL);	/* if the backend did not */
	dpu_fn_set_blk_dev(fn, NULL);
	dpu_fn_set_bus_dev(fn, NULL);

	mutex_lock(&ddev->lock);
	xa_erase(&ddev->fns, fn->index);
	ddev->num_fns--;
	dpu_fn_unlink_tenant(fn);
	mutex_unlock(&ddev->lock);

	dpu_nl_fn_notify(fn, DPU_CMD_FN_DEL);
	complete_all(&fn->detached);
	device_unregister(&fn->dev);
}

/**
 * dpu_fn_detach_done() - an asynchronous fn_destroy of @fn finished
 * @fn: the function; the backend must not touch it afterwards
 */
void dpu_fn_detach_done(struct dpu_fn *fn)
{
	dpu_fn_finish(fn);
}
EXPORT_SYMBOL_GPL(dpu_fn_detach_done);

/*
 * With op_lock held; @fn is in ddev->fns and not yet removing. Starts the
 * detach; the registry's reference goes when it is over (at once unless
 * the backend detaches asynchronously).
 */
static void dpu_fn_remove(struct dpu_dev *ddev, struct dpu_fn *fn)
{
	lockdep_assert_held(&ddev->op_lock);

	dpu_fn_move(fn, DPU_FN_STATE_REMOVING, 0);
	cancel_delayed_work_sync(&fn->timeout_work);
	if (ddev->ops->fn_destroy(ddev, fn) != -EINPROGRESS)
		dpu_fn_finish(fn);
}

/* With ddev->lock held: is @fn's removal already under way? */
static bool dpu_fn_removing(struct dpu_fn *fn)
{
	lockdep_assert_held(&fn->ddev->lock);
	return fn->state == DPU_FN_STATE_REMOVING;
}

/**
 * dpu_fn_del() - detach and delete a function
 * @ddev: the DPU
 * @index: the function
 * @extack: for error messages
 *
 * Returns once the function is gone and its slot free. The DPU's other
 * commands go on meanwhile (a slow unplug holds no lock of the DPU); a
 * second delete of the same function waits for the same end.
 *
 * Return: 0 or a negative errno (-EINTR: a fatal signal came while
 * waiting; the detach goes on).
 */
int dpu_fn_del(struct dpu_dev *ddev, u32 index, struct netlink_ext_ack *extack)
{
	struct dpu_fn *fn;
	bool removing;
	int err;

	mutex_lock(&ddev->op_lock);
	mutex_lock(&ddev->lock);
	fn = xa_load(&ddev->fns, index);
	if (fn) {
		get_device(&fn->dev);
		removing = dpu_fn_removing(fn);
	}
	mutex_unlock(&ddev->lock);
	if (!fn) {
		mutex_unlock(&ddev->op_lock);
		NL_SET_ERR_MSG(extack, "no function with this index on this DPU");
		return -ENOENT;
	}
	if (!removing)
		dpu_fn_remove(ddev, fn);
	mutex_unlock(&ddev->op_lock);

	err = wait_for_completion_killable(&fn->detached);
	put_device(&fn->dev);
	if (err)
		NL_SET_ERR_MSG(extack, "interrupted; the function is still being removed");
	return err;
}

/**
 * dpu_fn_set() - move a function to another tenant and/or change its own
 *	limits, live, all or nothing
 * @fn: the function
 * @tenant: the name of an existing tenant of its DPU, or NULL to stay
 * @chg: what changes of its limits, applied to those in force, or NULL
 * @extack: for error messages
 *
 * A request held back by the old tenant's limits is charged again against
 * the new tenant's. Everything is checked, and the backend told, before
 * anything changes; the change is announced before op_lock is released,
 * so no event of it can follow the function's removal.
 *
 * Return: 0 or a negative errno; nothing changes on error.
 */
int dpu_fn_set(struct dpu_fn *fn, const char *tenant,
	       const struct dpu_limits_change *chg,
	       struct netlink_ext_ack *extack)
{
	struct dpu_dev *ddev = fn->ddev;
	const struct nlattr *bad = NULL;
	struct dpu_tenant *tn = NULL;
	struct dpu_limits lim;
	const char *msg;
	int err = 0;

	/* op_lock: no removal, no tenant deletion, the data path stays */
	mutex_lock(&ddev->op_lock);
	mutex_lock(&ddev->lock);
	if (ddev->dead || !fn->tn || fn->state == DPU_FN_STATE_REMOVING) {
		NL_SET_ERR_MSG(extack, "function is being removed");
		err = -ENODEV;
		goto out_unlock;
	}
	if (tenant) {
		tn = dpu_tenant_find(ddev, tenant);
		if (!tn) {
			NL_SET_ERR_MSG(extack, "no tenant with this name on this DPU");
			err = -ENOENT;
			goto out_unlock;
		}
	}
	lim = fn->limits;
	if (chg) {
		msg = dpu_limits_apply(&lim, chg, &bad);
		if (msg) {
			dpu_extack_set(extack, bad, msg);
			err = -EINVAL;
			goto out_unlock;
		}
	}
	mutex_unlock(&ddev->lock);

	/* the backend may sleep: talk to the DPU without the lock */
	if (chg) {
		err = dpu_limits_caps_check(ddev, &lim, true, extack);
		if (err)
			goto out;
	}
	if (tn && tn != fn->tn && ddev->ops->fn_set_tenant) {
		err = ddev->ops->fn_set_tenant(ddev, fn, tn, extack);
		if (err)
			goto out;
	}
	if (chg && ddev->ops->set_limits) {
		err = ddev->ops->set_limits(ddev, fn, &lim);
		if (err) {
			if (!extack || !extack->_msg)
				NL_SET_ERR_MSG(extack, "the DPU refused the limits");
			/* all or nothing: back to the tenant it had */
			if (tn && tn != fn->tn && ddev->ops->fn_set_tenant)
				ddev->ops->fn_set_tenant(ddev, fn, fn->tn, NULL);
			goto out;
		}
	}

	mutex_lock(&ddev->lock);
	if (chg) {
		fn->limits = lim;
		dpu_rate_group_set_limits(&fn->rate, &lim, ktime_get_ns());
	}
	if (tn && tn != fn->tn) {
		fn->tn->num_fns--;
		tn->num_fns++;
		fn->tn = tn;
		strscpy(fn->tenant, tn->name, sizeof(fn->tenant));
		rcu_assign_pointer(fn->rate.parent, &tn->rate);
		if (dpu_rate_waiter_cancel(&fn->rate_waiter))
			fn->rate_waiter.wake(&fn->rate_waiter);
	}
	mutex_unlock(&ddev->lock);
	dpu_fn_announce(fn);
	goto out;

out_unlock:
	mutex_unlock(&ddev->lock);
out:
	mutex_unlock(&ddev->op_lock);
	return err;
}

/* Unregistering @ddev: no new functions, delete all there are. */
void dpu_dev_del_fns(struct dpu_dev *ddev)
{
	struct dpu_fn *fn;
	unsigned long index;

	mutex_lock(&ddev->op_lock);
	mutex_lock(&ddev->lock);
	ddev->dead = true;
	mutex_unlock(&ddev->lock);
	/*
	 * op_lock held: nobody else adds; detaches run in parallel and an
	 * asynchronous one may end (and free its function) at any time
	 */
	for (index = 0;; index++) {
		bool removing;

		mutex_lock(&ddev->lock);
		fn = xa_find(&ddev->fns, &index, ULONG_MAX, XA_PRESENT);
		if (fn) {
			get_device(&fn->dev);
			removing = dpu_fn_removing(fn);
		}
		mutex_unlock(&ddev->lock);
		if (!fn)
			break;
		if (!removing)
			dpu_fn_remove(ddev, fn);
		put_device(&fn->dev);
	}
	mutex_unlock(&ddev->op_lock);
	/* and wait for every one of them, ours or a FN_DEL's */
	for (;;) {
		mutex_lock(&ddev->lock);
		index = 0;
		fn = xa_find(&ddev->fns, &index, ULONG_MAX, XA_PRESENT);
		if (fn)
			get_device(&fn->dev);
		mutex_unlock(&ddev->lock);
		if (!fn)
			break;
		wait_for_completion(&fn->detached);
		put_device(&fn->dev);
	}
}

int __init dpu_fn_init(void)
{
	int err;

	dpu_fn_cache = KMEM_CACHE(dpu_fn, 0);
	if (!dpu_fn_cache)
		return -ENOMEM;
	err = class_register(&dpu_fn_class);
	if (err)
		goto err_cache;
	err = register_netdevice_notifier(&dpu_fn_netdev_nb);
	if (err)
		goto err_class;
	return 0;

err_class:
	class_unregister(&dpu_fn_class);
err_cache:
	kmem_cache_destroy(dpu_fn_cache);
	return err;
}

void dpu_fn_exit(void)
{
	unregister_netdevice_notifier(&dpu_fn_netdev_nb);
	class_unregister(&dpu_fn_class);
	kmem_cache_destroy(dpu_fn_cache);
}
