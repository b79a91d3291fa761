// SPDX-License-Identifier: GPL-2.0
/*
 * dpu_pci: functions. Attaching posts ATTACH; the DPU hot-plugs the
 * function into a slot and says which; the backend follows the PCI bus to
 * the function in that slot, waits for its virtio driver and for the disk
 * or NIC, and only then reports the function ready. Detaching is the other
 * way round: the host lets go first (removes the PCI function and powers
 * the slot off through its hot-plug controller), then the DPU unplugs it
 * and frees the slot. Both run in work items: the core's other commands do
 * not wait for them.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/netdevice.h>
#include <linux/pci.h>
#include <linux/pci_hotplug.h>
#include <linux/slab.h>

#include "dpu_pci.h"

/* The slot whose downstream port is @port, or -1. */
static int dpu_pci_port_slot(struct dpu_pci *dp, struct pci_dev *port)
{
	u32 s;

	for (s = 0; s < dp->num_slots; s++)
		if (dp->ports[s] && dp->ports[s] == port)
			return s;
	return -1;
}

/* A command @op about function index @fn (ignored by tenant commands). */
static struct dpu_pci_req *dpu_pci_req_new(u32 op, u32 fn, const char *tenant)
{
	struct dpu_pci_req *req = kzalloc(sizeof(*req), GFP_KERNEL);

	if (!req)
		return NULL;
	req->cmd.opcode = cpu_to_le32(op);
	req->cmd.fn = cpu_to_le32(fn);
	if (tenant)
		strscpy(req->cmd.tenant, tenant, sizeof(req->cmd.tenant));
	return req;
}

static int dpu_pci_match_bus(struct device *dev, void *bus)
{
	return dev->bus && !strcmp(dev->bus->name, bus);
}

static int dpu_pci_match_class(struct device *dev, void *class)
{
	return dev->class && !strcmp(dev->class->name, class);
}

/*
 * Is @pfn's PCI function up: a driver bound, its virtio device driven,
 * the disk or NIC there? Hands them to the core and returns true if so.
 */
static bool dpu_pci_pfn_up(struct dpu_pci_pfn *pfn, struct pci_dev *pdev,
			   char *why, size_t len)
{
	struct dpu_fn *fn = pfn->fn;
	struct device *vdev, *child;
	bool blk = fn->type == DPU_FN_TYPE_BLK;

	if (!pdev->dev.driver) {
		snprintf(why, len, "no driver bound to %s", pci_name(pdev));
		return false;
	}
	vdev = device_find_child(&pdev->dev, (void *)"virtio", dpu_pci_match_bus);
	if (!vdev) {
		snprintf(why, len, "%s has no virtio device", pci_name(pdev));
		return false;
	}
	if (!vdev->driver) {
		snprintf(why, len, "no %s driver bound to %s",
			 blk ? "virtio_blk" : "virtio_net", dev_name(vdev));
		put_device(vdev);
		return false;
	}
	child = device_find_child(vdev, blk ? (void *)"block" : (void *)"net",
				  dpu_pci_match_class);
	put_device(vdev);
	if (!child) {
		snprintf(why, len, "%s has no %s yet", pci_name(pdev),
			 blk ? "disk" : "net device");
		return false;
	}
	dpu_fn_set_bus_dev(fn, &pdev->dev);
	if (blk)
		dpu_fn_set_blk_dev(fn, child);
	else
		dpu_fn_set_netdev(fn, container_of(child, struct net_device, dev));
	put_device(child);
	return true;
}

/* The host lets go of @fn's disk or NIC (they stay with their drivers). */
static void dpu_pci_fn_drop(struct dpu_fn *fn)
{
	if (fn->type == DPU_FN_TYPE_BLK)
		dpu_fn_set_blk_dev(fn, NULL);
	else
		dpu_fn_set_netdev(fn, NULL);
}

static void dpu_pci_check_work(struct work_struct *work)
{
	struct dpu_pci_pfn *pfn = container_of(to_delayed_work(work),
					       struct dpu_pci_pfn, check_work);
	struct dpu_pci *dp = pfn->dp;
	struct dpu_fn *fn = pfn->fn;
	struct pci_dev *pdev;
	char why[DPU_REASON_LEN];
	int state;

	mutex_lock(&dp->fn_lock);
	state = pfn->state;
	pdev = pfn->pdev ? pci_dev_get(pfn->pdev) : NULL;
	if (!pdev && pfn->slot >= 0 && dp->ports[pfn->slot] &&
	    dp->ports[pfn->slot]->subordinate && state == DPU_PCI_PFN_PLUGGED) {
		pdev = pci_get_slot(dp->ports[pfn->slot]->subordinate,
				    PCI_DEVFN(0, 0));
		if (pdev)
			pfn->pdev = pci_dev_get(pdev);
	}
	mutex_unlock(&dp->fn_lock);
	if (!pdev || state == DPU_PCI_PFN_DOWN || pfn->cancelled)
		goto out;

	set_dev_node(&fn->dev, dev_to_node(&pdev->dev));
	if (dpu_pci_pfn_up(pfn, pdev, why, sizeof(why))) {
		mutex_lock(&dp->fn_lock);
		if (pfn->state == DPU_PCI_PFN_PLUGGED)
			pfn->state = DPU_PCI_PFN_UP;
		mutex_unlock(&dp->fn_lock);
		if (READ_ONCE(fn->state) == DPU_FN_STATE_CREATING)
			dpu_fn_attach_done(fn, 0);
		else
			dpu_fn_set_bound(fn, true, NULL);
	} else if (state == DPU_PCI_PFN_UP) {
		/* an administrator unbound the driver */
		dpu_pci_fn_drop(pfn->fn);
		mutex_lock(&dp->fn_lock);
		if (pfn->state == DPU_PCI_PFN_UP)
			pfn->state = DPU_PCI_PFN_PLUGGED;
		mutex_unlock(&dp->fn_lock);
		dpu_fn_set_bound(fn, false, why);
	} else if (READ_ONCE(fn->state) == DPU_FN_STATE_CREATING) {
		/* the driver may still be loading: look again */
		mutex_lock(&fn->ddev->lock);
		strscpy(fn->reason, why, sizeof(fn->reason));
		mutex_unlock(&fn->ddev->lock);
		queue_delayed_work(dp->wq, &pfn->check_work, msecs_to_jiffies(50));
	}
out:
	pci_dev_put(pdev);
}

static void dpu_pci_attach_work(struct work_struct *work)
{
	struct dpu_pci_pfn *pfn = container_of(work, struct dpu_pci_pfn,
					       attach_work);
	struct dpu_pci *dp = pfn->dp;
	struct dpu_fn *fn = pfn->fn;
	struct dpu_pci_req *req;
	char why[DPU_REASON_LEN];
	int err, slot;

	if (READ_ONCE(pfn->cancelled))
		return;
	if (fn->adopted) {
		slot = pfn->slot;
		if (slot < 0) {
			dpu_fn_gone(fn, "adopted, but the DPU's slot is not below the switch");
			return;
		}
		goto plugged;
	}
	req = dpu_pci_req_new(DPU_PCI_OP_ATTACH, fn->index, NULL);
	if (!req) {
		dpu_fn_attach_failed(fn, -ENOMEM, "out of memory");
		return;
	}
	req->cmd.type = cpu_to_le32(fn->type);
	req->cmd.size = cpu_to_le64(fn->size);
	req->cmd.queues = cpu_to_le16(fn->queues);
	req->cmd.mtu = cpu_to_le16(fn->mtu);
	memcpy(req->cmd.mac, fn->mac, ETH_ALEN);
	mutex_lock(&fn->ddev->lock);
	strscpy(req->cmd.tenant, fn->tenant, sizeof(req->cmd.tenant));
	dpu_pci_limits_to_hw(req->cmd.limits, &fn->limits,
			     fn->ddev->limit_kinds);
	mutex_unlock(&fn->ddev->lock);

	err = dpu_pci_cmd_run(dp, req);
	slot = le32_to_cpu(req->cmd.slot);
	if (err) {
		dpu_fn_attach_failed(fn, err, req->cmd.msg);
		kfree(req);
		/* a bad answer may hide a function the DPU did plug */
		if (err == -EPROTO)
			dpu_pci_resync(dp);
		return;
	}
	kfree(req);
	if (slot >= dp->num_slots || !dp->ports[slot]) {
		snprintf(why, sizeof(why),
			 "the DPU reported slot %d, it has %u", slot,
			 dp->num_slots);
		dev_err(&dp->pdev->dev, "fn %u: %s\n", fn->index, why);
		dpu_fn_attach_failed(fn, -EPROTO, why);
		/* nothing stays plugged behind the failed function */
		dpu_pci_resync(dp);
		return;
	}
plugged:
	mutex_lock(&dp->fn_lock);
	if (pfn->cancelled) {
		/* the release work lets go of what the DPU plugged */
		pfn->slot = slot;
		pfn->rejected = true;
		set_bit(slot, dp->reject_slots);
		mutex_unlock(&dp->fn_lock);
		return;
	}
	if (pfn->state != DPU_PCI_PFN_ATTACHING ||
	    (dp->slot_fn[slot] && dp->slot_fn[slot] != pfn)) {
		err = dp->slot_fn[slot] && dp->slot_fn[slot] != pfn;
		mutex_unlock(&dp->fn_lock);
		if (err)
			dpu_fn_attach_failed(fn, -EPROTO,
					     "the DPU reported a slot in use");
		return;
	}
	pfn->slot = slot;
	pfn->state = DPU_PCI_PFN_PLUGGED;
	dp->slot_fn[slot] = pfn;
	mutex_unlock(&dp->fn_lock);
	if (fn->adopted && dp->ports[slot]->subordinate) {
		struct pci_dev *pdev = pci_get_slot(dp->ports[slot]->subordinate,
						    PCI_DEVFN(0, 0));

		if (!pdev) {
			snprintf(why, sizeof(why),
				 "adopted, but no PCI function in slot %d", slot);
			dpu_fn_gone(fn, why);
			return;
		}
		pci_dev_put(pdev);
	}
	/* it may be enumerated already; else the bus notifier calls again */
	queue_delayed_work(dp->wq, &pfn->check_work, 0);
}

/* Power @pdev's slot off through its hot-plug controller; remove it. */
static void dpu_pci_let_go(struct dpu_pci *dp, struct pci_dev *pdev)
{
	struct pci_slot *slot = pdev->slot;
	int err = -ENODEV;

	/*
	 * pciehp's disable removes the function and powers the slot off: the
	 * DPU (QEMU) completes the unplug at once, without the 5 s of the
	 * attention button
	 */
	if (slot && slot->hotplug && slot->hotplug->ops &&
	    slot->hotplug->ops->disable_slot)
		err = slot->hotplug->ops->disable_slot(slot->hotplug);
	if (err) {
		dev_dbg(&dp->pdev->dev, "slot of %s: no power control (%d)\n",
			pci_name(pdev), err);
		pci_stop_and_remove_bus_device_locked(pdev);
	}
}

/*
 * The DPU plugged something into @slot that nobody wants (a cancelled or
 * refused attach): keep drivers off it, wait for it to be enumerated (the
 * DPU answered before the host saw the hot-plug), and let go of it.
 */
static void dpu_pci_release_slot(struct dpu_pci *dp, int slot)
{
	struct pci_bus *bus;
	struct pci_dev *pdev = NULL;
	int i;

	if (slot < 0 || slot >= dp->num_slots || !dp->ports[slot])
		return;
	set_bit(slot, dp->reject_slots);
	bus = dp->ports[slot]->subordinate;
	for (i = 0; bus && i < 150; i++) {
		pdev = pci_get_slot(bus, PCI_DEVFN(0, 0));
		if (pdev)
			break;
		msleep(20);
	}
	if (pdev) {
		if (pci_device_is_present(pdev))
			dpu_pci_let_go(dp, pdev);
		pci_dev_put(pdev);
	}
	clear_bit(slot, dp->reject_slots);
}

static void dpu_pci_release_work(struct work_struct *work)
{
	struct dpu_pci_pfn *pfn = container_of(work, struct dpu_pci_pfn,
					       release_work);
	struct dpu_pci *dp = pfn->dp;
	struct dpu_fn *fn = pfn->fn;
	struct pci_dev *pdev = NULL;
	struct dpu_pci_req *req;
	bool done, rejected;
	int slot, err;

	mutex_lock(&dp->fn_lock);
	pfn->releasing = true;
	done = pfn->released;
	mutex_unlock(&dp->fn_lock);
	if (done)	/* a cancel let go already: only the end is left */
		goto end;

	/* an ATTACH in flight ends (answer or timeout) before we go on */
	flush_work(&pfn->attach_work);
	/* down first: the bus notifier queues no check after the cancel */
	mutex_lock(&dp->fn_lock);
	pfn->state = DPU_PCI_PFN_DOWN;
	mutex_unlock(&dp->fn_lock);
	cancel_delayed_work_sync(&pfn->check_work);

	dpu_pci_fn_drop(pfn->fn);
	dpu_fn_set_bus_dev(fn, NULL);
	mutex_lock(&dp->fn_lock);
	pdev = pfn->pdev;
	pfn->pdev = NULL;
	slot = pfn->slot;
	if (!pdev && slot >= 0 && dp->ports[slot] && dp->ports[slot]->subordinate)
		pdev = pci_get_slot(dp->ports[slot]->subordinate, PCI_DEVFN(0, 0));
	pfn->host_removing = true;
	mutex_unlock(&dp->fn_lock);

	/* a driver unbinding: the functions stay for the next one to adopt */
	if (READ_ONCE(dp->dying))
		goto out;
	if (pdev && pci_device_is_present(pdev))
		dpu_pci_let_go(dp, pdev);
	else if (!pdev && pfn->cancelled && slot >= 0)
		dpu_pci_release_slot(dp, slot);	/* plugged late, or not yet */

	req = dpu_pci_req_new(DPU_PCI_OP_DETACH, fn->index, NULL);
	if (req) {
		err = dpu_pci_cmd_run(dp, req);
		if (err)
			dev_warn(&dp->pdev->dev, "fn %u: detach: %s (%d)\n",
				 fn->index, req->cmd.msg, err);
		kfree(req);
	}
out:
	pci_dev_put(pdev);
	mutex_lock(&dp->fn_lock);
	if (slot >= 0 && dp->slot_fn[slot] == pfn)
		dp->slot_fn[slot] = NULL;
	rejected = slot >= 0 && pfn->rejected;
	pfn->rejected = false;
	/* the slot is the DPU's again: nothing of it is ours any more */
	pfn->slot = -1;
	pfn->released = true;
	mutex_unlock(&dp->fn_lock);
	if (rejected)
		clear_bit(slot, dp->reject_slots);
end:
	mutex_lock(&dp->fn_lock);
	pfn->releasing = false;
	done = pfn->destroying;
	mutex_unlock(&dp->fn_lock);
	if (done) {
		fn->priv = NULL;
		kfree(pfn);
		dpu_fn_detach_done(fn);
	}
}

static int dpu_pci_fn_create(struct dpu_dev *ddev, struct dpu_fn *fn)
{
	struct dpu_pci *dp = ddev->priv;
	struct dpu_pci_pfn *pfn;

	pfn = kzalloc(sizeof(*pfn), GFP_KERNEL);
	if (!pfn)
		return -ENOMEM;
	pfn->dp = dp;
	pfn->fn = fn;
	pfn->slot = -1;
	pfn->state = DPU_PCI_PFN_ATTACHING;
	INIT_WORK(&pfn->attach_work, dpu_pci_attach_work);
	INIT_DELAYED_WORK(&pfn->check_work, dpu_pci_check_work);
	INIT_WORK(&pfn->release_work, dpu_pci_release_work);
	if (fn->adopted) {
		u32 slot = readl(&dp->fn_table[fn->index].slot);

		/* -1: attach_work reports it gone */
		pfn->slot = slot < dp->num_slots && dp->ports[slot] ? slot : -1;
	}
	fn->priv = pfn;
	queue_work(dp->wq, &pfn->attach_work);
	return 0;
}

/* The deadline passed: nothing may come up behind the failed function. */
static void dpu_pci_fn_attach_timeout(struct dpu_dev *ddev, struct dpu_fn *fn)
{
	struct dpu_pci_pfn *pfn = fn->priv;

	if (!pfn)
		return;
	mutex_lock(&pfn->dp->fn_lock);
	pfn->cancelled = true;
	mutex_unlock(&pfn->dp->fn_lock);
	queue_work(pfn->dp->rel_wq, &pfn->release_work);
}

static int dpu_pci_fn_destroy(struct dpu_dev *ddev, struct dpu_fn *fn)
{
	struct dpu_pci_pfn *pfn = fn->priv;
	bool running;

	if (!pfn)
		return 0;
	/*
	 * A cancel's release may be running: it ends the function when it
	 * sees destroying; else (pending or not queued) one run does it all.
	 * Nothing here waits: op_lock is held.
	 */
	mutex_lock(&pfn->dp->fn_lock);
	pfn->cancelled = true;
	pfn->destroying = true;
	running = pfn->releasing;
	mutex_unlock(&pfn->dp->fn_lock);
	if (!running)
		queue_work(pfn->dp->rel_wq, &pfn->release_work);
	return -EINPROGRESS;
}

static int dpu_pci_simple_cmd(struct dpu_pci *dp, struct dpu_pci_req *req,
			      struct netlink_ext_ack *extack)
{
	int err = dpu_pci_cmd_run(dp, req);
	char *buf;

	if (err && extack) {
		/*
		 * The DPU's own words: extack keeps a pointer until the reply
		 * is sent, so they go to one of the DPU's message buffers
		 * (reused round robin, far less often than replies go out).
		 */
		buf = dp->msgs[atomic_inc_return(&dp->msg_next) % DPU_PCI_MSGS];
		strscpy(buf, req->cmd.msg[0] ? req->cmd.msg : "the DPU refused",
			DPU_PCI_MSG_LEN);
		extack->_msg = buf;
	}
	return err;
}

static int dpu_pci_set_limits(struct dpu_dev *ddev, struct dpu_fn *fn,
			      const struct dpu_limits *lim)
{
	struct dpu_pci *dp = ddev->priv;
	struct dpu_pci_req *req;
	int err;

	req = dpu_pci_req_new(DPU_PCI_OP_FN_LIMITS, fn->index, NULL);
	if (!req)
		return -ENOMEM;
	dpu_pci_limits_to_hw(req->cmd.limits, lim, ddev->limit_kinds);
	err = dpu_pci_cmd_run(dp, req);
	if (err)
		dev_warn(&fn->dev, "limits refused by the DPU: %s\n", req->cmd.msg);
	kfree(req);
	return err;
}

static int dpu_pci_fn_set_tenant(struct dpu_dev *ddev, struct dpu_fn *fn,
				 struct dpu_tenant *tn,
				 struct netlink_ext_ack *extack)
{
	struct dpu_pci_req *req;
	int err;

	req = dpu_pci_req_new(DPU_PCI_OP_FN_TENANT, fn->index, tn->name);
	if (!req)
		return -ENOMEM;
	err = dpu_pci_simple_cmd(ddev->priv, req, extack);
	kfree(req);
	return err;
}

static int dpu_pci_tenant_set(struct dpu_dev *ddev, struct dpu_tenant *tn,
			      struct dpu_tenant *parent,
			      const struct dpu_limits *lim,
			      struct netlink_ext_ack *extack)
{
	struct dpu_pci_req *req;
	int err;

	req = dpu_pci_req_new(DPU_PCI_OP_TENANT_SET, 0, tn->name);
	if (!req)
		return -ENOMEM;
	if (parent)
		strscpy(req->cmd.parent, parent->name, sizeof(req->cmd.parent));
	dpu_pci_limits_to_hw(req->cmd.limits, lim, ddev->limit_kinds);
	err = dpu_pci_simple_cmd(ddev->priv, req, extack);
	kfree(req);
	return err;
}

static void dpu_pci_tenant_del(struct dpu_dev *ddev, struct dpu_tenant *tn)
{
	struct dpu_pci_req *req;
	int err;

	req = dpu_pci_req_new(DPU_PCI_OP_TENANT_DEL, 0, tn->name);
	if (!req)
		return;
	err = dpu_pci_cmd_run(ddev->priv, req);
	if (err)
		dev_warn(&ddev->dev, "tenant %s: the DPU kept it: %s (%d)\n",
			 tn->name, req->cmd.msg, err);
	kfree(req);
}

const struct dpu_backend_ops dpu_pci_backend_ops = {
	.name = "pci",
	.fn_create = dpu_pci_fn_create,
	.fn_attach_timeout = dpu_pci_fn_attach_timeout,
	.fn_destroy = dpu_pci_fn_destroy,
	.set_limits = dpu_pci_set_limits,
	.tenant_set = dpu_pci_tenant_set,
	.tenant_del = dpu_pci_tenant_del,
	.fn_set_tenant = dpu_pci_fn_set_tenant,
};

void dpu_pci_resync(struct dpu_pci *dp)
{
	atomic_set(&dp->resync, 1);
	/* not before adoption, not while the driver unbinds */
	if (smp_load_acquire(&dp->ready))
		queue_work(dp->wq, &dp->event_work);
}

/* ------------------------------------------------------------ PCI bus */

int dpu_pci_bus_event(struct notifier_block *nb, unsigned long action,
		      void *data)
{
	struct dpu_pci *dp = container_of(nb, struct dpu_pci, pci_nb);
	struct pci_dev *pdev = to_pci_dev(data);
	struct dpu_pci_pfn *pfn;
	struct dpu_fn *fn;
	char why[DPU_REASON_LEN];
	bool gone = false;
	int slot;

	if (!pdev->bus->self)
		return NOTIFY_DONE;
	slot = dpu_pci_port_slot(dp, pdev->bus->self);
	if (slot < 0)
		return NOTIFY_DONE;
	if (action == BUS_NOTIFY_ADD_DEVICE && test_bit(slot, dp->reject_slots)) {
		/* plugged behind a failed function: no driver may take it */
		kfree(pdev->driver_override);
		pdev->driver_override = kstrdup("none", GFP_KERNEL);
		return NOTIFY_OK;
	}

	mutex_lock(&dp->fn_lock);
	pfn = dp->slot_fn[slot];
	if (!pfn || pfn->state == DPU_PCI_PFN_DOWN) {
		mutex_unlock(&dp->fn_lock);
		return NOTIFY_DONE;
	}
	fn = pfn->fn;
	switch (action) {
	case BUS_NOTIFY_ADD_DEVICE:
		if (!pfn->pdev)
			pfn->pdev = pci_dev_get(pdev);
		queue_delayed_work(dp->wq, &pfn->check_work, 0);
		break;
	case BUS_NOTIFY_BOUND_DRIVER:
	case BUS_NOTIFY_UNBOUND_DRIVER:
		/* under fn_lock: a release cancels after marking it down */
		queue_delayed_work(dp->wq, &pfn->check_work, 0);
		break;
	case BUS_NOTIFY_DEL_DEVICE:
		if (pfn->pdev == pdev && !pfn->host_removing) {
			pfn->state = DPU_PCI_PFN_DOWN;
			/* the function outlives pfn until we are done */
			get_device(&fn->dev);
			gone = true;
		}
		break;
	default:
		break;
	}
	mutex_unlock(&dp->fn_lock);

	if (gone) {
		/* the DPU took it away, with whatever I/O was in flight */
		snprintf(why, sizeof(why), "PCI function %s removed without a request",
			 pci_name(pdev));
		dev_warn(&dp->pdev->dev, "fn %u: %s\n", fn->index, why);
		dpu_pci_fn_drop(fn);
		dpu_fn_set_bus_dev(fn, NULL);
		dpu_fn_gone(fn, why);
		dpu_fn_put(fn);
	}
	return NOTIFY_OK;
}

/* ------------------------------------------------------------ adoption */

/* Register again the tenants and functions the DPU reports. */
int dpu_pci_adopt(struct dpu_pci *dp)
{
	struct dpu_pci_header __iomem *h = dp->shm;
	struct dpu_pci_tenant __iomem *tt;
	u32 ntn, i, adopted = 0, pass;
	struct dpu_fn_req *req;
	bool progress = true;
	unsigned long *done;

	tt = dp->shm + readl(&h->tenant_table_off);
	ntn = readl(&h->max_tenants);
	done = bitmap_zalloc(ntn, GFP_KERNEL);
	req = kzalloc(sizeof(*req), GFP_KERNEL);
	if (!done || !req) {
		bitmap_free(done);
		kfree(req);
		return -ENOMEM;
	}
	/* parents before children */
	for (pass = 0; progress && pass < 16; pass++) {
		progress = false;
		for (i = 0; i < ntn; i++) {
			struct dpu_limits_change chg = {};
			char name[DPU_TENANT_LEN], parent[DPU_TENANT_LEN];
			struct dpu_tenant *p;
			unsigned int k;

			if (test_bit(i, done) || !readl(&tt[i].used))
				continue;
			memcpy_fromio(name, tt[i].name, sizeof(name));
			memcpy_fromio(parent, tt[i].parent, sizeof(parent));
			name[sizeof(name) - 1] = '\0';
			parent[sizeof(parent) - 1] = '\0';
			if (parent[0]) {
				mutex_lock(&dp->ddev->lock);
				p = dpu_tenant_find(dp->ddev, parent);
				mutex_unlock(&dp->ddev->lock);
				if (!p)
					continue;
			}
			dpu_pci_limits_from_hw(&chg.lim, tt[i].limits);
			for (k = 0; k < DPU_LIM_NR; k++) {
				chg.rate |= BIT(k);
				chg.burst |= BIT(k);
			}
			if (dpu_tenant_name_check(name) ||
			    dpu_tenant_new(dp->ddev, name, parent, &chg, NULL))
				dev_warn(&dp->pdev->dev, "cannot adopt tenant %s\n", name);
			set_bit(i, done);
			progress = true;
		}
	}
	for (i = 0; i < dp->max_fns; i++) {
		struct dpu_pci_fn __iomem *f = &dp->fn_table[i];
		u32 st = readl(&f->state);
		struct dpu_fn *fn;

		if (st != DPU_PCI_FN_PRESENT)
			continue;
		memset(req, 0, sizeof(*req));
		req->type = readl(&f->type);
		req->has_index = true;
		req->index = i;
		req->size = readq(&f->size);
		req->queues = readw(&f->queues);
		req->mtu = readw(&f->mtu);
		memcpy_fromio(req->mac, f->mac, ETH_ALEN);
		req->has_mac = req->type == DPU_FN_TYPE_NET;
		memcpy_fromio(req->tenant, f->tenant, sizeof(req->tenant));
		req->tenant[sizeof(req->tenant) - 1] = '\0';
		dpu_pci_limits_from_hw(&req->limits, f->limits);
		req->adopt = true;
		fn = dpu_fn_new(dp->ddev, req, NULL);
		if (IS_ERR(fn)) {
			dev_warn(&dp->pdev->dev, "cannot adopt function %u: %ld\n",
				 i, PTR_ERR(fn));
			continue;
		}
		dpu_fn_put(fn);
		adopted++;
	}
	if (adopted)
		dev_info(&dp->pdev->dev, "adopted %u functions present on the DPU\n",
			 adopted);
	bitmap_free(done);
	kfree(req);
	return 0;
}

/*
 * The firmware restarted, or answered a command too late: functions it no
 * longer has are gone; functions it has that the host does not follow (an
 * attach that failed on the host's side) are let go of and detached, so
 * that no disk or NIC stays up behind them and their slots come back.
 */
void dpu_pci_reconcile(struct dpu_pci *dp)
{
	struct dpu_pci_req *req;
	u32 i;

	req = kzalloc(sizeof(*req), GFP_KERNEL);
	if (!req)
		return;
	for (i = 0; i < dp->max_fns; i++) {
		u32 st = readl(&dp->fn_table[i].state);
		u32 slot = readl(&dp->fn_table[i].slot);
		struct dpu_fn *fn = dpu_fn_get(dp->ddev, i);
		u8 fst = fn ? READ_ONCE(fn->state) : 0;

		if (fn && st == DPU_PCI_FN_FREE && fst == DPU_FN_STATE_READY)
			dpu_fn_gone(fn, "the DPU lost the function (firmware restart)");
		if (st == DPU_PCI_FN_PRESENT &&
		    (!fn || fst == DPU_FN_STATE_FAILED)) {
			bool free_slot;

			mutex_lock(&dp->fn_lock);
			free_slot = slot < dp->num_slots && !dp->slot_fn[slot];
			mutex_unlock(&dp->fn_lock);
			dev_info(&dp->pdev->dev,
				 "fn %u: on the DPU but %s on the host: detaching it\n",
				 i, fn ? "failed" : "unknown");
			if (free_slot)
				dpu_pci_release_slot(dp, slot);
			memset(req, 0, sizeof(*req));
			req->cmd.opcode = cpu_to_le32(DPU_PCI_OP_DETACH);
			req->cmd.fn = cpu_to_le32(i);
			dpu_pci_cmd_run(dp, req);
		}
		if (fn)
			dpu_fn_put(fn);
	}
	kfree(req);
}
