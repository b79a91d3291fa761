// SPDX-License-Identifier: GPL-2.0
/*
 * dpu_sim: the "dpu_sim" bus. Writing "ID [MAX_FNS]" to
 * /sys/bus/dpu_sim/new_device creates a simulated DPU; the bus driver binds
 * to it and registers a DPU device (dpuN) with the core. Writing "ID" to
 * del_device removes it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>

#include "dpu.h"
#include "dpu_sim.h"

static LIST_HEAD(dpu_sim_devs);
static DEFINE_MUTEX(dpu_sim_devs_lock);
/* Cleared on module exit so that no new devices appear while tearing down. */
static bool dpu_sim_enable;

static struct dpu_sim_dev *to_dpu_sim_dev(struct device *dev)
{
	return container_of(dev, struct dpu_sim_dev, dev);
}

static ssize_t max_fns_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%u\n", to_dpu_sim_dev(dev)->max_fns);
}
static DEVICE_ATTR_RO(max_fns);

static struct attribute *dpu_sim_dev_attrs[] = {
	&dev_attr_max_fns.attr,
	NULL,
};
ATTRIBUTE_GROUPS(dpu_sim_dev);

static void dpu_sim_dev_release(struct device *dev)
{
	struct dpu_sim_dev *sdev = to_dpu_sim_dev(dev);

	mutex_destroy(&sdev->fn_lock);
	kfree(sdev);
}

static const struct device_type dpu_sim_dev_type = {
	.groups = dpu_sim_dev_groups,
	.release = dpu_sim_dev_release,
};

static struct bus_type dpu_sim_bus;

/* Called with dpu_sim_devs_lock held. */
static struct dpu_sim_dev *dpu_sim_find(u32 id)
{
	struct dpu_sim_dev *sdev;

	list_for_each_entry(sdev, &dpu_sim_devs, list)
		if (sdev->id == id)
			return sdev;
	return NULL;
}

static ssize_t new_device_store(struct bus_type *bus, const char *buf,
				size_t count)
{
	struct dpu_sim_new_args args;
	struct dpu_sim_dev *sdev;
	int err;

	err = dpu_sim_parse_new(buf, count, &args);
	if (err) {
		pr_err("new_device: expected \"ID [MAX_FNS]\" with ID 0..%u and MAX_FNS 1..%u\n",
		       DPU_SIM_MAX_ID, DPU_SIM_MAX_FNS);
		return err;
	}

	mutex_lock(&dpu_sim_devs_lock);
	if (!dpu_sim_enable) {
		err = -ENODEV;
		goto out_unlock;
	}
	if (dpu_sim_find(args.id)) {
		err = -EEXIST;
		goto out_unlock;
	}

	sdev = kzalloc(sizeof(*sdev), GFP_KERNEL);
	if (!sdev) {
		err = -ENOMEM;
		goto out_unlock;
	}
	sdev->id = args.id;
	sdev->max_fns = args.max_fns;
	sdev->attach_delay_ms = 10;
	mutex_init(&sdev->fn_lock);
	sdev->dev.bus = &dpu_sim_bus;
	sdev->dev.type = &dpu_sim_dev_type;
	device_initialize(&sdev->dev);
	err = dev_set_name(&sdev->dev, "dpu_sim%u", args.id);
	if (err)
		goto err_put;
	err = device_add(&sdev->dev);
	if (err)
		goto err_put;
	/* The driver binds synchronously; a failed probe leaves it unbound. */
	if (!sdev->ddev) {
		err = -EIO;
		device_del(&sdev->dev);
		goto err_put;
	}
	list_add_tail(&sdev->list, &dpu_sim_devs);
	mutex_unlock(&dpu_sim_devs_lock);
	return count;

err_put:
	put_device(&sdev->dev);
out_unlock:
	mutex_unlock(&dpu_sim_devs_lock);
	return err;
}

/* Called with dpu_sim_devs_lock held. */
static void dpu_sim_dev_del(struct dpu_sim_dev *sdev)
{
	list_del(&sdev->list);
	device_unregister(&sdev->dev);
}

static ssize_t del_device_store(struct bus_type *bus, const char *buf,
				size_t count)
{
	struct dpu_sim_dev *sdev;
	int err;
	u32 id;

	err = dpu_sim_parse_del(buf, count, &id);
	if (err) {
		pr_err("del_device: expected \"ID\" with ID 0..%u\n",
		       DPU_SIM_MAX_ID);
		return err;
	}

	mutex_lock(&dpu_sim_devs_lock);
	sdev = dpu_sim_enable ? dpu_sim_find(id) : NULL;
	if (sdev)
		dpu_sim_dev_del(sdev);
	mutex_unlock(&dpu_sim_devs_lock);
	return sdev ? count : -ENOENT;
}

static BUS_ATTR_WO(new_device);
static BUS_ATTR_WO(del_device);

static struct attribute *dpu_sim_bus_attrs[] = {
	&bus_attr_new_device.attr,
	&bus_attr_del_device.attr,
	NULL,
};
ATTRIBUTE_GROUPS(dpu_sim_bus);

static int dpu_sim_probe(struct device *dev)
{
	struct dpu_sim_dev *sdev = to_dpu_sim_dev(dev);
	struct dpu_dev *ddev;
	int err;

	ddev = dpu_dev_alloc(dev, &dpu_sim_backend_ops, 0);
	if (IS_ERR(ddev))
		return PTR_ERR(ddev);
	ddev->priv = sdev;
	ddev->max_fns = sdev->max_fns;

	err = dpu_dev_register(ddev);
	if (err) {
		dpu_dev_put(ddev);
		return err;
	}
	sdev->ddev = ddev;
	dpu_sim_dev_debugfs_add(sdev);
	return 0;
}

static int dpu_sim_remove(struct device *dev)
{
	struct dpu_sim_dev *sdev = to_dpu_sim_dev(dev);

	dpu_sim_dev_debugfs_del(sdev);
	dpu_dev_unregister(sdev->ddev);
	sdev->ddev = NULL;
	return 0;
}

static struct bus_type dpu_sim_bus = {
	.name = "dpu_sim",
	.dev_name = "dpu_sim",
	.bus_groups = dpu_sim_bus_groups,
};

static struct device_driver dpu_sim_driver = {
	.name = "dpu_sim",
	.bus = &dpu_sim_bus,
	.owner = THIS_MODULE,
	.probe = dpu_sim_probe,
	.remove = dpu_sim_remove,
};

static int __init dpu_sim_init(void)
{
	int err;

	err = bus_register(&dpu_sim_bus);
	if (err)
		return err;
	err = driver_register(&dpu_sim_driver);
	if (err)
		goto err_bus;
	dpu_sim_debugfs_init();

	mutex_lock(&dpu_sim_devs_lock);
	dpu_sim_enable = true;
	mutex_unlock(&dpu_sim_devs_lock);
	return 0;

err_bus:
	bus_unregister(&dpu_sim_bus);
	return err;
}

static void __exit dpu_sim_exit(void)
{
	struct dpu_sim_dev *sdev, *tmp;

	mutex_lock(&dpu_sim_devs_lock);
	dpu_sim_enable = false;
	list_for_each_entry_safe(sdev, tmp, &dpu_sim_devs, list)
		dpu_sim_dev_del(sdev);
	mutex_unlock(&dpu_sim_devs_lock);

	driver_unregister(&dpu_sim_driver);
	bus_unregister(&dpu_sim_bus);
	dpu_sim_debugfs_exit();
	/* pages that disks discarded are freed by RCU callbacks of ours */
	rcu_barrier();
}

module_init(dpu_sim_init);
module_exit(dpu_sim_exit);

MODULE_DESCRIPTION("dpupool: simulated DPU");
MODULE_AUTHOR("dpupool developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(DPUPOOL_VERSION);
