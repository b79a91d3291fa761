// SPDX-License-Identifier: GPL-2.0
/*
 * dpu_pci: the command ring in BAR2. The host fills a free entry, marks it
 * POSTED and rings the DPU's doorbell; the DPU marks it RUNNING, then DONE
 * with the result and raises MSI-X vector DPU_PCI_VEC_CMD. A completion
 * whose tag or status makes no sense is refused (-EPROTO) and logged; a
 * command not answered in time fails with -ETIMEDOUT and its entry stays
 * reserved until the DPU completes it.
 */
#include <linux/errno.h>
#include <linux/io.h>
#include <linux/pci.h>
#include <linux/sched.h>

#include "dpu_pci.h"

static_assert(sizeof(struct dpu_pci_cmd) == 512);
static_assert(sizeof(struct dpu_pci_fn) == 256);
static_assert(sizeof(struct dpu_pci_tenant) == 320);
static_assert((int)DPU_PCI_LIM_NR == (int)DPU_LIM_NR);

#define CMD_FIELD(dp, e, f) \
	((void __iomem *)&(dp)->ring[e] + offsetof(struct dpu_pci_cmd, f))

/* Only the kinds the DPU enforces: those it leaves to the host stay here. */
void dpu_pci_limits_to_hw(struct dpu_pci_limit *hw, const struct dpu_limits *lim,
			  unsigned long kinds)
{
	unsigned int k;

	for (k = 0; k < DPU_LIM_NR; k++) {
		if (!(kinds & BIT(k)))
			continue;
		hw[k].rate = cpu_to_le64(lim->l[k].rate);
		hw[k].burst = cpu_to_le64(lim->l[k].burst);
	}
}

void dpu_pci_limits_from_hw(struct dpu_limits *lim,
			    const struct dpu_pci_limit __iomem *hw)
{
	unsigned int k;

	for (k = 0; k < DPU_LIM_NR; k++) {
		lim->l[k].rate = readq(&hw[k].rate);
		lim->l[k].burst = readq(&hw[k].burst);
	}
}

int dpu_pci_mbox_init(struct dpu_pci *dp)
{
	u32 e;

	spin_lock_init(&dp->ring_lock);
	init_waitqueue_head(&dp->ring_wait);
	/* entries the DPU still owns (a driver reload) stay reserved */
	for (e = 0; e < dp->ring_entries; e++) {
		u32 st = readl(CMD_FIELD(dp, e, state));

		if (st == DPU_PCI_CMD_DONE)
			writel(DPU_PCI_CMD_FREE, CMD_FIELD(dp, e, state));
	}
	return 0;
}

/* With ring_lock: a free entry, or -1. */
static int dpu_pci_entry_get(struct dpu_pci *dp)
{
	u32 e;

	for (e = 0; e < dp->ring_entries; e++)
		if (!dp->inflight[e] &&
		    readl(CMD_FIELD(dp, e, state)) == DPU_PCI_CMD_FREE)
			return e;
	return -1;
}

static bool dpu_pci_try_post(struct dpu_pci *dp, struct dpu_pci_req *req)
{
	unsigned long flags;
	int e;

	spin_lock_irqsave(&dp->ring_lock, flags);
	e = dpu_pci_entry_get(dp);
	if (e >= 0) {
		dp->inflight[e] = req;
		req->entry = e;
		req->cmd.tag = cpu_to_le32(++dp->tag);
		req->cmd.state = cpu_to_le32(DPU_PCI_CMD_FREE);
		memcpy_toio(&dp->ring[e], &req->cmd, sizeof(req->cmd));
		/* the body before the state that hands it over */
		wmb();
		writel(DPU_PCI_CMD_POSTED, CMD_FIELD(dp, e, state));
		writel((DPU_PCI_FW_PEER << 16) | DPU_PCI_DB_CMD,
		       dp->regs + DPU_PCI_REG_DOORBELL);
	}
	spin_unlock_irqrestore(&dp->ring_lock, flags);
	return e >= 0;
}

/**
 * dpu_pci_cmd_run() - post @req->cmd and wait for its completion
 * @dp: the DPU
 * @req: the command (state, tag set here); on return the result fields
 *	(status, slot, msg) are the DPU's, or msg says what went wrong
 *
 * Return: the DPU's status (0 or a negative errno), -ETIMEDOUT if it did
 * not answer in time, -EPROTO for a nonsensical answer.
 */
int dpu_pci_cmd_run(struct dpu_pci *dp, struct dpu_pci_req *req)
{
	unsigned int timeout_ms = READ_ONCE(dpu_pci_cmd_timeout_ms);
	unsigned long left = msecs_to_jiffies(timeout_ms);
	unsigned long flags;
	int ret;

	init_completion(&req->done);
	req->entry = -1;
	req->abandoned = false;
	req->cmd.msg[0] = '\0';
	ret = wait_event_timeout(dp->ring_wait, dpu_pci_try_post(dp, req), left);
	if (!ret) {
		strscpy(req->cmd.msg, "the DPU's command ring stayed full",
			sizeof(req->cmd.msg));
		return -ETIMEDOUT;
	}
	if (wait_for_completion_timeout(&req->done, ret))
		return (int)le32_to_cpu(req->cmd.status);

	spin_lock_irqsave(&dp->ring_lock, flags);
	if (completion_done(&req->done)) {
		spin_unlock_irqrestore(&dp->ring_lock, flags);
		return (int)le32_to_cpu(req->cmd.status);
	}
	/* the entry stays the DPU's; the handler frees it when it answers */
	dp->inflight[req->entry] = ERR_PTR(-ETIMEDOUT);
	spin_unlock_irqrestore(&dp->ring_lock, flags);
	strscpy(req->cmd.msg, "the DPU did not answer", sizeof(req->cmd.msg));
	dev_warn_ratelimited(&dp->pdev->dev, "command %u (fn %u) not answered in %u ms\n",
			     le32_to_cpu(req->cmd.opcode), le32_to_cpu(req->cmd.fn),
			     timeout_ms);
	return -ETIMEDOUT;
}

/* With ring_lock: entry @e is DONE. Hand the result over, free it. */
static void dpu_pci_complete(struct dpu_pci *dp, u32 e)
{
	struct dpu_pci_req *req = dp->inflight[e];
	struct dpu_pci_cmd *c;
	s32 status;

	dp->inflight[e] = NULL;
	if (IS_ERR_OR_NULL(req)) {
		writel(DPU_PCI_CMD_FREE, CMD_FIELD(dp, e, state));
		if (IS_ERR(req))	/* too late: what it did is reconciled */
			dpu_pci_resync(dp);
		return;
	}
	c = &req->cmd;
	/* the result fields only */
	c->slot = cpu_to_le32(readl(CMD_FIELD(dp, e, slot)));
	status = readl(CMD_FIELD(dp, e, status));
	memcpy_fromio(c->msg, CMD_FIELD(dp, e, msg), sizeof(c->msg));
	c->msg[sizeof(c->msg) - 1] = '\0';
	if (readl(CMD_FIELD(dp, e, tag)) != le32_to_cpu(c->tag)) {
		dev_err_ratelimited(&dp->pdev->dev,
				    "bad completion of entry %u: tag %#x, %#x expected\n",
				    e, readl(CMD_FIELD(dp, e, tag)), le32_to_cpu(c->tag));
		status = -EPROTO;
		strscpy(c->msg, "bad answer from the DPU (wrong tag)", sizeof(c->msg));
	} else if (status > 0 || status < -MAX_ERRNO) {
		dev_err_ratelimited(&dp->pdev->dev,
				    "bad completion of entry %u: status %d\n", e, status);
		status = -EPROTO;
		strscpy(c->msg, "bad answer from the DPU (status)", sizeof(c->msg));
	}
	c->status = cpu_to_le32(status);
	writel(DPU_PCI_CMD_FREE, CMD_FIELD(dp, e, state));
	complete(&req->done);
}

irqreturn_t dpu_pci_cmd_irq(int irq, void *data)
{
	struct dpu_pci *dp = data;
	bool any = false;
	u32 e, st;

	spin_lock(&dp->ring_lock);
	for (e = 0; e < dp->ring_entries; e++) {
		st = readl(CMD_FIELD(dp, e, state));
		if (st == DPU_PCI_CMD_DONE) {
			dpu_pci_complete(dp, e);
			any = true;
		} else if (st > DPU_PCI_CMD_DONE) {
			dev_err_ratelimited(&dp->pdev->dev,
					    "entry %u in unknown state %u\n", e, st);
		}
	}
	spin_unlock(&dp->ring_lock);
	if (any)
		wake_up(&dp->ring_wait);
	return IRQ_HANDLED;
}

/* The device goes: fail whatever waits (no interrupt will come). */
void dpu_pci_mbox_fail_all(struct dpu_pci *dp)
{
	unsigned long flags;
	u32 e;

	spin_lock_irqsave(&dp->ring_lock, flags);
	for (e = 0; e < dp->ring_entries; e++) {
		struct dpu_pci_req *req = dp->inflight[e];

		dp->inflight[e] = NULL;
		if (IS_ERR_OR_NULL(req))
			continue;
		req->cmd.status = cpu_to_le32(-ENODEV);
		strscpy(req->cmd.msg, "the DPU went away", sizeof(req->cmd.msg));
		complete(&req->done);
	}
	spin_unlock_irqrestore(&dp->ring_lock, flags);
	wake_up(&dp->ring_wait);
}
