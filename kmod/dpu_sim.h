/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dpu_sim: a software DPU, as netdevsim is for NICs.
 */
#ifndef _DPU_SIM_H
#define _DPU_SIM_H

#include <linux/device.h>
#include <linux/list.h>
#include <linux/types.h>

#define DPU_SIM_MAX_ID		65535
#define DPU_SIM_DEFAULT_FNS	4096
#define DPU_SIM_MAX_FNS		65536

/* Arguments of a write to /sys/bus/dpu_sim/new_device: "ID [MAX_FNS]" */
struct dpu_sim_new_args {
	u32 id;
	u32 max_fns;
};

int dpu_sim_parse_new(const char *buf, size_t count,
		      struct dpu_sim_new_args *args);
int dpu_sim_parse_del(const char *buf, size_t count, u32 *id);

struct dpu_dev;

/**
 * struct dpu_sim_dev - one simulated DPU on the dpu_sim bus
 * @dev: device on the bus, named dpu_simID
 * @id: the ID written to new_device
 * @max_fns: how many functions the simulated DPU offers
 * @list: entry in the bus's device list
 * @ddev: the DPU device the core created for it, set while bound
 */
struct dpu_sim_dev {
	struct device dev;
	u32 id;
	u32 max_fns;
	struct list_head list;
	struct dpu_dev *ddev;
};

#endif /* _DPU_SIM_H */
