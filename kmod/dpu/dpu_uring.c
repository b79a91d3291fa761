// SPDX-License-Identifier: GPL-2.0
/*
 * dpupool: /dev/dpu-ctl, function attach and detach as io_uring commands.
 * A batch of FN_NEW commands attaches functions in parallel; each completes
 * when its function is ready or failed. The same core code as netlink.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/io_uring.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "dpu.h"

/* one FN_NEW waiting for its attach */
struct dpu_uring_wait {
	struct dpu_fn_waiter w;
	struct io_uring_cmd *ioucmd;
	int res;
};

/* in io_uring_cmd.pdu */
struct dpu_uring_pdu {
	struct dpu_uring_wait *wait;
};

static void dpu_uring_task_cb(struct io_uring_cmd *ioucmd,
			      unsigned int issue_flags)
{
	struct dpu_uring_pdu *pdu = (struct dpu_uring_pdu *)ioucmd->pdu;
	struct dpu_uring_wait *wait = pdu->wait;
	int res = wait->res;

	kfree(wait);
	io_uring_cmd_done(ioucmd, res, 0, issue_flags);
}

static void dpu_uring_attach_done(struct dpu_fn_waiter *w, int res)
{
	struct dpu_uring_wait *wait = container_of(w, struct dpu_uring_wait, w);

	wait->res = res;
	io_uring_cmd_complete_in_task(wait->ioucmd, dpu_uring_task_cb);
}

static int dpu_uring_fn_new(struct io_uring_cmd *ioucmd,
			    const struct dpu_uring_fn_cmd *c)
{
	struct dpu_uring_pdu *pdu = (struct dpu_uring_pdu *)ioucmd->pdu;
	struct dpu_fn_req req = { .type = c->type, .size = c->size };
	struct dpu_uring_wait *wait;
	struct dpu_dev *ddev;
	struct dpu_fn *fn;
	int ret;

	if (c->flags & ~(DPU_URING_F_INDEX | DPU_URING_F_MAC) || c->reserved)
		return -EINVAL;
	if (!c->tenant_len || c->tenant_len >= DPU_TENANT_LEN)
		return -EINVAL;
	if (copy_from_user(req.tenant, u64_to_user_ptr(c->tenant),
			   c->tenant_len))
		return -EFAULT;
	req.tenant[c->tenant_len] = '\0';
	if (c->type == DPU_FN_TYPE_NET && c->size)
		return -EINVAL;
	if (c->type != DPU_FN_TYPE_NET && (c->flags & DPU_URING_F_MAC))
		return -EINVAL;
	if (c->flags & DPU_URING_F_INDEX) {
		req.has_index = true;
		req.index = c->fn_index;
	}
	if (c->flags & DPU_URING_F_MAC) {
		req.has_mac = true;
		memcpy(req.mac, c->mac, ETH_ALEN);
	}

	wait = kzalloc(sizeof(*wait), GFP_KERNEL);
	if (!wait)
		return -ENOMEM;
	wait->w.done = dpu_uring_attach_done;
	wait->ioucmd = ioucmd;
	pdu->wait = wait;

	ddev = dpu_dev_get_by_index(c->dev_index);
	if (!ddev) {
		kfree(wait);
		return -ENODEV;
	}
	/* validation (type, size, MAC, tenant) happens here, as for netlink */
	fn = dpu_fn_new(ddev, &req, NULL);
	put_device(&ddev->dev);
	if (IS_ERR(fn)) {
		kfree(wait);
		return PTR_ERR(fn);
	}
	ret = dpu_fn_wait_attach(fn, &wait->w);
	dpu_fn_put(fn);
	if (ret != -EINPROGRESS) {
		kfree(wait);
		return ret;
	}
	return -EIOCBQUEUED;
}

static int dpu_uring_fn_del(const struct dpu_uring_fn_cmd *c)
{
	struct dpu_dev *ddev;
	int ret;

	if (c->flags || c->reserved)
		return -EINVAL;
	ddev = dpu_dev_get_by_index(c->dev_index);
	if (!ddev)
		return -ENODEV;
	ret = dpu_fn_del(ddev, c->fn_index, NULL);
	put_device(&ddev->dev);
	return ret;
}

static int dpu_uring_cmd(struct io_uring_cmd *ioucmd, unsigned int issue_flags)
{
	struct dpu_uring_fn_cmd c;

	if (!(issue_flags & IO_URING_F_SQE128))
		return -EINVAL;
	/* both commands take mutexes and may wait: not from the submitter */
	if (issue_flags & IO_URING_F_NONBLOCK)
		return -EAGAIN;
	if (!capable(CAP_NET_ADMIN))
		return -EPERM;
	memcpy(&c, ioucmd->cmd, sizeof(c));

	switch (ioucmd->cmd_op) {
	case DPU_URING_CMD_FN_NEW:
		return dpu_uring_fn_new(ioucmd, &c);
	case DPU_URING_CMD_FN_DEL:
		return dpu_uring_fn_del(&c);
	default:
		return -EOPNOTSUPP;
	}
}

static const struct file_operations dpu_ctl_fops = {
	.owner = THIS_MODULE,
	.open = nonseekable_open,
	.uring_cmd = dpu_uring_cmd,
	.llseek = no_llseek,
};

static struct miscdevice dpu_ctl_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "dpu-ctl",
	.fops = &dpu_ctl_fops,
	.mode = 0600,
};

int __init dpu_uring_init(void)
{
	BUILD_BUG_ON(sizeof(struct dpu_uring_fn_cmd) > 80);
	BUILD_BUG_ON(sizeof(struct dpu_uring_pdu) >
		     sizeof_field(struct io_uring_cmd, pdu));
	return misc_register(&dpu_ctl_dev);
}

void dpu_uring_exit(void)
{
	misc_deregister(&dpu_ctl_dev);
}
