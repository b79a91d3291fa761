// SPDX-License-Identifier: GPL-2.0
/*
 * dpupool core: the "dpu" device class and the registry of DPU devices.
 *
 * Lifetime: a backend allocates a dpu_dev (index reserved, reference held),
 * registers it (visible in sysfs and netlink), and unregisters it (hidden,
 * then its reference dropped). The structure and its index are released in
 * the device release callback, when the last reference goes.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/blkdev.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include "dpu.h"
#include "dpu_qos.h"

/*
 * Bumped whenever a device, function or tenant comes or goes: dumps flag
 * their messages NLM_F_DUMP_INTR when it moved between two rounds.
 */
static atomic_t dpu_gen = ATOMIC_INIT(1);

void dpu_generation_bump(void)
{
	atomic_inc(&dpu_gen);
}

/* never 0: netlink takes a zero sequence for "not tracked" */
unsigned int dpu_generation(void)
{
	return atomic_read(&dpu_gen) ?: 1;
}

/* Registered devices; reserved (NULL) entries are allocated, not visible. */
static DEFINE_XARRAY_ALLOC(dpu_devs);
static DEFINE_MUTEX(dpu_devs_lock);

static ssize_t backend_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%s\n", to_dpu_dev(dev)->backend);
}
static DEVICE_ATTR_RO(backend);

static ssize_t index_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	return sysfs_emit(buf, "%u\n", to_dpu_dev(dev)->index);
}
static DEVICE_ATTR_RO(index);

static ssize_t max_fns_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%u\n", to_dpu_dev(dev)->max_fns);
}
static DEVICE_ATTR_RO(max_fns);

static ssize_t num_fns_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(to_dpu_dev(dev)->num_fns));
}
static DEVICE_ATTR_RO(num_fns);

static struct attribute *dpu_dev_attrs[] = {
	&dev_attr_backend.attr,
	&dev_attr_index.attr,
	&dev_attr_max_fns.attr,
	&dev_attr_num_fns.attr,
	NULL,
};
ATTRIBUTE_GROUPS(dpu_dev);

static int dpu_dev_uevent(struct device *dev, struct kobj_uevent_env *env)
{
	struct dpu_dev *ddev = to_dpu_dev(dev);
	int err;

	err = add_uevent_var(env, "DPU_DEV=%s", dev_name(dev));
	if (err)
		return err;
	return add_uevent_var(env, "DPU_BACKEND=%s", ddev->backend);
}

static struct class dpu_class = {
	.name = "dpu",
	.owner = THIS_MODULE,
	.dev_groups = dpu_dev_groups,
	.dev_uevent = dpu_dev_uevent,
};

static void dpu_dev_release(struct device *dev)
{
	struct dpu_dev *ddev = to_dpu_dev(dev);

	mutex_lock(&dpu_devs_lock);
	xa_erase(&dpu_devs, ddev->index);
	mutex_unlock(&dpu_devs_lock);
	WARN_ON(!xa_empty(&ddev->fns));
	xa_destroy(&ddev->fns);
	WARN_ON(!xa_empty(&ddev->tenants));
	xa_destroy(&ddev->tenants);
	mutex_destroy(&ddev->op_lock);
	mutex_destroy(&ddev->lock);
	kfree(ddev);
}

/**
 * dpu_dev_alloc() - allocate a DPU device and reserve its index
 * @parent: the backend's device
 * @ops: backend operations; the backend unregisters its devices before
 *	its module goes, so no module reference is taken
 * @priv_size: bytes of backend private data to allocate with it
 *
 * Return: the device with one reference held, or an ERR_PTR. Drop it with
 * dpu_dev_put() if dpu_dev_register() is not called or fails.
 */
struct dpu_dev *dpu_dev_alloc(struct device *parent,
			      const struct dpu_backend_ops *ops,
			      size_t priv_size)
{
	struct dpu_dev *ddev;
	unsigned int k;
	u32 index;
	int err;

	if (!parent || !ops || !ops->name)
		return ERR_PTR(-EINVAL);
	ddev = kzalloc(sizeof(*ddev) + priv_size, GFP_KERNEL);
	if (!ddev)
		return ERR_PTR(-ENOMEM);

	mutex_lock(&dpu_devs_lock);
	err = xa_alloc(&dpu_devs, &index, NULL, xa_limit_31b, GFP_KERNEL);
	mutex_unlock(&dpu_devs_lock);
	if (err)
		goto err_free;

	ddev->index = index;
	ddev->ops = ops;
	strscpy(ddev->backend, ops->name, sizeof(ddev->backend));
	ddev->priv = priv_size ? ddev + 1 : NULL;
	ddev->max_fns = 4096;
	ddev->limit_kinds = ops->set_limits ? GENMASK(DPU_LIM_NR - 1, 0) : 0;
	ddev->caps.fn_types = BIT(DPU_FN_TYPE_BLK) | BIT(DPU_FN_TYPE_NET);
	for (k = 0; k < DPU_LIM_NR; k++)
		ddev->caps.rate_max[k] = DPU_LIMIT_RATE_MAX;
	ddev->caps.tenant_depth = DPU_TENANT_MAX_DEPTH;
	mutex_init(&ddev->op_lock);
	mutex_init(&ddev->lock);
	xa_init_flags(&ddev->fns, XA_FLAGS_ALLOC);
	xa_init_flags(&ddev->tenants, XA_FLAGS_ALLOC);
	device_initialize(&ddev->dev);
	ddev->dev.class = &dpu_class;
	ddev->dev.parent = parent;
	ddev->dev.release = dpu_dev_release;
	set_dev_node(&ddev->dev, dev_to_node(parent));
	err = dev_set_name(&ddev->dev, "dpu%u", index);
	if (err) {
		/* release() erases the index */
		put_device(&ddev->dev);
		return ERR_PTR(err);
	}
	return ddev;

err_free:
	kfree(ddev);
	return ERR_PTR(err);
}
EXPORT_SYMBOL_GPL(dpu_dev_alloc);

/**
 * dpu_dev_register() - make an allocated DPU device visible
 * @ddev: from dpu_dev_alloc()
 *
 * Return: 0 or a negative errno; on error the caller still owns its
 * reference and drops it with dpu_dev_put().
 */
int dpu_dev_register(struct dpu_dev *ddev)
{
	int err;

	err = device_add(&ddev->dev);
	if (err)
		return err;

	mutex_lock(&dpu_devs_lock);
	xa_store(&dpu_devs, ddev->index, ddev, GFP_KERNEL);
	mutex_unlock(&dpu_devs_lock);
	dpu_generation_bump();
	return 0;
}
EXPORT_SYMBOL_GPL(dpu_dev_register);

/**
 * dpu_dev_unregister() - delete a DPU device's functions, hide it and drop
 * the backend's reference
 * @ddev: a registered device
 */
void dpu_dev_unregister(struct dpu_dev *ddev)
{
	/* Storing NULL keeps the index reserved until release. */
	mutex_lock(&dpu_devs_lock);
	xa_store(&dpu_devs, ddev->index, NULL, GFP_KERNEL);
	mutex_unlock(&dpu_devs_lock);
	dpu_generation_bump();

	dpu_dev_del_fns(ddev);
	dpu_dev_del_tenants(ddev);

	device_del(&ddev->dev);
	put_device(&ddev->dev);
}
EXPORT_SYMBOL_GPL(dpu_dev_unregister);

void dpu_dev_put(struct dpu_dev *ddev)
{
	put_device(&ddev->dev);
}
EXPORT_SYMBOL_GPL(dpu_dev_put);

struct dpu_dev *dpu_dev_get_by_index(u32 index)
{
	struct dpu_dev *ddev;

	mutex_lock(&dpu_devs_lock);
	ddev = xa_load(&dpu_devs, index);
	if (ddev)
		get_device(&ddev->dev);
	mutex_unlock(&dpu_devs_lock);
	return ddev;
}

struct dpu_dev *dpu_dev_get_by_name(const char *name)
{
	struct dpu_dev *ddev, *found = NULL;
	unsigned long index;

	mutex_lock(&dpu_devs_lock);
	xa_for_each(&dpu_devs, index, ddev) {
		if (!strcmp(dev_name(&ddev->dev), name)) {
			found = ddev;
			get_device(&found->dev);
			break;
		}
	}
	mutex_unlock(&dpu_devs_lock);
	return found;
}

int dpu_dev_for_each(unsigned long *index,
		     int (*fn)(struct dpu_dev *ddev, void *arg), void *arg)
{
	struct dpu_dev *ddev;
	int ret = 0;

	mutex_lock(&dpu_devs_lock);
	xa_for_each_start(&dpu_devs, *index, ddev, *index) {
		ret = fn(ddev, arg);
		if (ret)
			break;
	}
	mutex_unlock(&dpu_devs_lock);
	return ret;
}

/*
 * Block device operations for backends' disks. They belong to dpu.ko so
 * that an open disk pins the core and not the backend: the backend can be
 * unloaded while its disks are open and busy (it deletes them first; I/O
 * then fails), and the core stays until the last opener closes.
 */
const struct block_device_operations dpu_blk_fops = {
	.owner = THIS_MODULE,
};
EXPORT_SYMBOL_GPL(dpu_blk_fops);

static int __init dpu_init(void)
{
	int err;

	err = class_register(&dpu_class);
	if (err)
		return err;

	err = dpu_fn_init();
	if (err)
		goto err_class;

	err = dpu_qos_init();
	if (err)
		goto err_fn;

	err = dpu_netlink_init();
	if (err)
		goto err_qos;

	err = dpu_uring_init();
	if (err)
		goto err_netlink;

	pr_info("dpupool core loaded (netlink family %s v%u)\n",
		DPU_GENL_NAME, DPU_GENL_VERSION);
	return 0;

err_netlink:
	dpu_qos_stop();
	dpu_netlink_exit();
err_qos:
	dpu_qos_exit();
err_fn:
	dpu_fn_exit();
err_class:
	class_unregister(&dpu_class);
	return err;
}

static void __exit dpu_exit(void)
{
	dpu_uring_exit();
	dpu_qos_stop();
	dpu_netlink_exit();
	dpu_qos_exit();
	dpu_fn_exit();
	class_unregister(&dpu_class);
	WARN_ON(!xa_empty(&dpu_devs));
	/* tenants are freed after a grace period, by code of this module */
	rcu_barrier();
}

module_init(dpu_init);
module_exit(dpu_exit);

MODULE_DESCRIPTION("dpupool: DPU function pool core");
MODULE_AUTHOR("dpupool developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(DPUPOOL_VERSION);
