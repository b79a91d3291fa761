/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dpupool core: what a backend (simulator, PCIe) sees of dpu.ko.
 */
#ifndef _DPU_H
#define _DPU_H

#include <linux/device.h>
#include <linux/types.h>
#include <linux/dpu.h>

struct dpu_dev;

/**
 * struct dpu_backend_ops - what a backend provides to the core
 * @name: short backend name reported to userspace ("sim", "pci")
 */
struct dpu_backend_ops {
	const char *name;
};

/**
 * struct dpu_dev - one DPU, a device of class "dpu" named dpuN
 * @dev: the class device; its parent is the backend's device
 * @index: N of dpuN, unique while the structure lives
 * @ops: backend operations, valid while registered
 * @backend: copy of @ops->name, valid for the structure's whole life
 * @priv: backend private data (allocated with the device)
 */
struct dpu_dev {
	struct device dev;
	u32 index;
	const struct dpu_backend_ops *ops;
	char backend[DPU_BACKEND_LEN];
	void *priv;
};

static inline struct dpu_dev *to_dpu_dev(struct device *dev)
{
	return container_of(dev, struct dpu_dev, dev);
}

struct dpu_dev *dpu_dev_alloc(struct device *parent,
			      const struct dpu_backend_ops *ops,
			      size_t priv_size);
int dpu_dev_register(struct dpu_dev *ddev);
void dpu_dev_unregister(struct dpu_dev *ddev);
void dpu_dev_put(struct dpu_dev *ddev);

/* Lookups for the control paths; the caller owns a reference on success. */
struct dpu_dev *dpu_dev_get_by_index(u32 index);
struct dpu_dev *dpu_dev_get_by_name(const char *name);

/*
 * Iterate registered devices from *index on, under the registry lock.
 * @fn returns non-zero to stop; *index is left at the device it stopped on.
 */
int dpu_dev_for_each(unsigned long *index,
		     int (*fn)(struct dpu_dev *ddev, void *arg), void *arg);

int dpu_netlink_init(void);
void dpu_netlink_exit(void);

#endif /* _DPU_H */
