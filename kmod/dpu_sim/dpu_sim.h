/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dpu_sim: a software DPU, as netdevsim is for NICs.
 */
#ifndef _DPU_SIM_H
#define _DPU_SIM_H

#include <linux/device.h>
#include <linux/atomic.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/types.h>
#include <linux/workqueue.h>

#include "dpu_limits.h"

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
	/* fault injection and timing, set through debugfs */
	struct dentry *ddir;
	u32 attach_delay_ms;
	atomic_t fail_attach;
	atomic_t hang_attach;
	/* serializes data path creation/teardown with surprise removal */
	struct mutex fn_lock;
};

struct dpu_fn;

/**
 * struct dpu_sim_fn - the simulator's side of a function
 * @sdev: the simulated DPU
 * @fn: the core's function
 * @attach_work: completes the attach after attach_delay_ms
 * @blk: the disk, once attached (blk)
 * @net: the NIC pair, once attached (net)
 * @removed: surprise-removed: the data path is dead
 * @limits: the limits the core pushed (the core's rate groups enforce them)
 */
struct dpu_sim_fn {
	struct dpu_sim_dev *sdev;
	struct dpu_fn *fn;
	struct delayed_work attach_work;
	struct dpu_sim_blk *blk;
	struct dpu_sim_net *net;
	bool removed;
	struct dpu_limits limits;
};

extern const struct dpu_backend_ops dpu_sim_backend_ops;
void dpu_sim_debugfs_init(void);
void dpu_sim_debugfs_exit(void);
void dpu_sim_dev_debugfs_add(struct dpu_sim_dev *sdev);
void dpu_sim_dev_debugfs_del(struct dpu_sim_dev *sdev);

#endif /* _DPU_SIM_H */

/*
 * Data path of simulated functions, charging each request to the
 * function's rate groups in the core. Each create returns an ERR_PTR on
 * failure. kill() is a surprise removal: I/O and traffic fail from then on,
 * nothing is freed. destroy() removes and frees, and is safe after kill(),
 * with the device open and with I/O in flight. All may sleep.
 */
struct dpu_sim_blk;
struct dpu_sim_blk *dpu_sim_blk_create(struct dpu_fn *fn, const char *name,
				       u64 size, int numa_node,
				       struct device *parent);
const char *dpu_sim_blk_name(struct dpu_sim_blk *blk);
void dpu_sim_blk_kill(struct dpu_sim_blk *blk);
void dpu_sim_blk_destroy(struct dpu_sim_blk *blk);

struct net_device;
struct dpu_sim_net;
struct dpu_sim_net *dpu_sim_net_create(struct dpu_fn *fn, const char *name,
				       const char *rep_name, const u8 *mac,
				       struct device *parent);
struct net_device *dpu_sim_net_dev(struct dpu_sim_net *net);
struct net_device *dpu_sim_net_rep(struct dpu_sim_net *net);
void dpu_sim_net_kill(struct dpu_sim_net *net);
void dpu_sim_net_destroy(struct dpu_sim_net *net);
