// SPDX-License-Identifier: GPL-2.0
/*
 * dpu_sim: the backend operations. Attaching a function takes
 * attach_delay_ms (as a hot-plug would), then makes a real block device or
 * a real pair of net devices. debugfs knobs inject faults:
 *
 *   /sys/kernel/debug/dpu_sim/dpu_simID/attach_delay_ms  delay of attaches
 *   .../fail_attach      the next N attaches fail with -EIO
 *   .../hang_attach      the next N attaches never complete (the core's
 *                        attach timeout fails them)
 *   .../surprise_remove  write a function index: the "hardware" loses it
 *   .../functions        what the "hardware" was asked to attach
 *   .../max_fns          function slots (indexes 0 .. max_fns - 1)
 *   .../io_capacity_iops, io_capacity_bps
 *                        the block I/O the DPU reports it can carry (0:
 *                        unknown); it reports the rating, it does not slow
 *                        down to it
 */
#include <linux/debugfs.h>
#include <linux/module.h>
#include <linux/netdevice.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include "dpu.h"
#include "dpu_sim.h"

static struct dentry *dpu_sim_ddir;

static int dpu_sim_fn_attach(struct dpu_sim_fn *sfn)
{
	struct dpu_fn *fn = sfn->fn;
	u32 didx = fn->ddev->index;
	char name[DPU_IFNAME_LEN], rep[DPU_IFNAME_LEN];
	struct dpu_sim_blk *blk;
	struct dpu_sim_net *net;

	if (fn->type == DPU_FN_TYPE_BLK) {
		snprintf(name, sizeof(name), "dpu%ub%u", didx, fn->index);
		blk = dpu_sim_blk_create(fn, name, fn->size,
					 dev_to_node(&fn->dev), &fn->dev);
		if (IS_ERR(blk))
			return PTR_ERR(blk);
		sfn->blk = blk;
		dpu_fn_set_blkdev(fn, dpu_sim_blk_name(blk));
		return 0;
	}

	snprintf(name, sizeof(name), "dpu%un%u", didx, fn->index);
	snprintf(rep, sizeof(rep), "dpu%ur%u", didx, fn->index);
	net = dpu_sim_net_create(fn, name, rep, fn->mac, &fn->dev);
	if (IS_ERR(net))
		return PTR_ERR(net);
	sfn->net = net;
	dpu_fn_set_netdev(fn, dpu_sim_net_dev(net));
	return 0;
}

static void dpu_sim_attach_work(struct work_struct *work)
{
	struct dpu_sim_fn *sfn = container_of(to_delayed_work(work),
					      struct dpu_sim_fn, attach_work);
	struct dpu_sim_dev *sdev = sfn->sdev;
	int err;

	if (atomic_dec_if_positive(&sdev->hang_attach) >= 0)
		return;		/* never completes */
	if (atomic_dec_if_positive(&sdev->fail_attach) >= 0) {
		dpu_fn_attach_done(sfn->fn, -EIO);
		return;
	}

	mutex_lock(&sdev->fn_lock);
	err = sfn->removed ? -ENODEV : dpu_sim_fn_attach(sfn);
	mutex_unlock(&sdev->fn_lock);
	dpu_fn_attach_done(sfn->fn, err);
}

static int dpu_sim_fn_create(struct dpu_dev *ddev, struct dpu_fn *fn)
{
	struct dpu_sim_dev *sdev = ddev->priv;
	struct dpu_sim_fn *sfn;

	sfn = kzalloc(sizeof(*sfn), GFP_KERNEL);
	if (!sfn)
		return -ENOMEM;
	sfn->sdev = sdev;
	sfn->fn = fn;
	sfn->limits = fn->limits;
	INIT_DELAYED_WORK(&sfn->attach_work, dpu_sim_attach_work);
	fn->priv = sfn;
	queue_delayed_work(system_unbound_wq, &sfn->attach_work,
			   msecs_to_jiffies(READ_ONCE(sdev->attach_delay_ms)));
	return 0;
}

static int dpu_sim_fn_destroy(struct dpu_dev *ddev, struct dpu_fn *fn)
{
	struct dpu_sim_dev *sdev = ddev->priv;
	struct dpu_sim_fn *sfn = fn->priv;

	if (!sfn)
		return 0;
	cancel_delayed_work_sync(&sfn->attach_work);

	mutex_lock(&sdev->fn_lock);
	if (sfn->blk) {
		dpu_fn_set_blkdev(fn, NULL);
		dpu_sim_blk_destroy(sfn->blk);
	}
	if (sfn->net) {
		dpu_fn_set_netdev(fn, NULL);
		dpu_sim_net_destroy(sfn->net);
	}
	fn->priv = NULL;
	mutex_unlock(&sdev->fn_lock);
	kfree(sfn);
	return 0;
}

/*
 * The "hardware" accepts the limits and records them (debugfs functions
 * shows them); its data paths charge every request to the core's rate
 * groups, which enforce the function's, its tenant's and the ancestors'.
 */
static int dpu_sim_set_limits(struct dpu_dev *ddev, struct dpu_fn *fn,
			      const struct dpu_limits *lim)
{
	struct dpu_sim_dev *sdev = ddev->priv;
	struct dpu_sim_fn *sfn = fn->priv;

	if (!sfn)
		return -ENODEV;
	mutex_lock(&sdev->fn_lock);
	sfn->limits = *lim;
	mutex_unlock(&sdev->fn_lock);
	return 0;
}

const struct dpu_backend_ops dpu_sim_backend_ops = {
	.name = "sim",
	.fn_create = dpu_sim_fn_create,
	.fn_destroy = dpu_sim_fn_destroy,
	.set_limits = dpu_sim_set_limits,
};

/* ---------------------------------------------------------------- debugfs */

static ssize_t surprise_remove_write(struct file *file,
				     const char __user *ubuf, size_t count,
				     loff_t *ppos)
{
	struct dpu_sim_dev *sdev = file->private_data;
	struct dpu_sim_fn *sfn;
	struct dpu_fn *fn;
	u32 index;
	int err;

	err = kstrtou32_from_user(ubuf, count, 10, &index);
	if (err)
		return err;
	if (!sdev->ddev)
		return -ENODEV;
	fn = dpu_fn_get(sdev->ddev, index);
	if (!fn)
		return -ENOENT;

	mutex_lock(&sdev->fn_lock);
	sfn = fn->priv;
	if (sfn && !sfn->removed) {
		sfn->removed = true;
		if (sfn->blk)
			dpu_sim_blk_kill(sfn->blk);
		if (sfn->net)
			dpu_sim_net_kill(sfn->net);
		err = 0;
	} else {
		err = -EALREADY;
	}
	mutex_unlock(&sdev->fn_lock);
	if (!err)
		dpu_fn_surprise_removed(fn);
	dpu_fn_put(fn);
	return err ? err : count;
}

static const struct file_operations surprise_remove_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = surprise_remove_write,
	.llseek = no_llseek,
};

static int functions_show(struct seq_file *m, void *v)
{
	struct dpu_sim_dev *sdev = m->private;
	struct dpu_dev *ddev = sdev->ddev;
	unsigned long index;
	struct dpu_fn *fn;
	unsigned int k;

	if (!ddev)
		return 0;
	mutex_lock(&ddev->lock);
	xa_for_each(&ddev->fns, index, fn) {
		struct dpu_sim_fn *sfn = fn->priv;

		seq_printf(m, "%u %s %s tenant %s", fn->index,
			   dpu_fn_type_name(fn->type),
			   dpu_fn_state_name(fn->state), fn->tenant);
		if (fn->type == DPU_FN_TYPE_BLK)
			seq_printf(m, " size %llu", fn->size);
		else
			seq_printf(m, " mac %pM", fn->mac);
		seq_printf(m, " attached %s%s",
			   sfn && (sfn->blk || sfn->net) ? "yes" : "no",
			   sfn && sfn->removed ? " removed" : "");
		for (k = 0; sfn && k < DPU_LIM_NR; k++)
			if (sfn->limits.l[k].rate)
				seq_printf(m, " limit%u %llu/%llu", k,
					   sfn->limits.l[k].rate,
					   dpu_limit_burst(k, &sfn->limits.l[k]));
		seq_putc(m, '\n');
	}
	mutex_unlock(&ddev->lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(functions);

void dpu_sim_dev_debugfs_add(struct dpu_sim_dev *sdev)
{
	struct dentry *d;

	d = debugfs_create_dir(dev_name(&sdev->dev), dpu_sim_ddir);
	sdev->ddir = d;
	debugfs_create_u32("attach_delay_ms", 0600, d, &sdev->attach_delay_ms);
	debugfs_create_u32("fail_attach", 0600, d,
			   (u32 *)&sdev->fail_attach.counter);
	debugfs_create_u32("hang_attach", 0600, d,
			   (u32 *)&sdev->hang_attach.counter);
	debugfs_create_file("surprise_remove", 0200, d, sdev,
			    &surprise_remove_fops);
	debugfs_create_file("functions", 0400, d, sdev, &functions_fops);
	/* fewer function slots, to test a full DPU */
	debugfs_create_u32("max_fns", 0600, d, &sdev->ddev->max_fns);
	/* narrow what the "hardware" enforces, to test refusals */
	debugfs_create_ulong("limit_kinds", 0600, d, &sdev->ddev->limit_kinds);
	/* kinds left to the host, as a DPU without NIC limiters does */
	debugfs_create_ulong("host_limit_kinds", 0600, d,
			     &sdev->ddev->host_kinds);
	/* the capacity QoS judges saturation against */
	debugfs_create_u64("io_capacity_iops", 0600, d,
			   &sdev->ddev->io_capacity[0]);
	debugfs_create_u64("io_capacity_bps", 0600, d,
			   &sdev->ddev->io_capacity[1]);
}

void dpu_sim_dev_debugfs_del(struct dpu_sim_dev *sdev)
{
	debugfs_remove_recursive(sdev->ddir);
	sdev->ddir = NULL;
}

void dpu_sim_debugfs_init(void)
{
	dpu_sim_ddir = debugfs_create_dir("dpu_sim", NULL);
}

void dpu_sim_debugfs_exit(void)
{
	debugfs_remove_recursive(dpu_sim_ddir);
}
