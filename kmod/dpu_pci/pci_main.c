// SPDX-License-Identifier: GPL-2.0
/*
 * dpu_pci: PCI driver for a DPU's management PF (include/uapi/linux/
 * dpu_pci.h, Documentation/design/dpu-pci.rst). The PF is an ivshmem-style
 * function with a generic ID: only one whose BAR2 header carries the DPU
 * magic is taken, and only a major version this driver speaks.
 *
 * Unbinding the driver (rmmod, PF removal) lets go of the functions
 * without detaching them: they keep working with their virtio drivers and
 * the next probe adopts them from the DPU's function table.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/interrupt.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/slab.h>

#include "dpu_pci.h"

unsigned int dpu_pci_cmd_timeout_ms = 20000;
module_param_named(cmd_timeout_ms, dpu_pci_cmd_timeout_ms, uint, 0644);
MODULE_PARM_DESC(cmd_timeout_ms,
		 "fail a command the DPU has not answered after this many ms");

#define PCI_VENDOR_ID_REDHAT_QUMRANET_	0x1af4
#define PCI_DEVICE_ID_IVSHMEM		0x1110

/* Find the downstream ports of the slots, beside the PF's own port. */
static int dpu_pci_find_ports(struct dpu_pci *dp)
{
	struct pci_dev *up = pci_upstream_bridge(dp->pdev), *br;
	unsigned int found = 0, devfn;
	u32 cap, psn;

	if (!up || !pci_is_pcie(up) ||
	    pci_pcie_type(up) != PCI_EXP_TYPE_DOWNSTREAM) {
		dev_err(&dp->pdev->dev, "the PF is not below a PCIe switch: no hot-plug slots\n");
		return -ENODEV;
	}
	for (devfn = 0; devfn < 256; devfn++) {
		br = pci_get_slot(up->bus, devfn);
		if (!br)
			continue;
		if (!pci_is_pcie(br) ||
		    pci_pcie_type(br) != PCI_EXP_TYPE_DOWNSTREAM ||
		    pcie_capability_read_dword(br, PCI_EXP_SLTCAP, &cap) ||
		    !(cap & PCI_EXP_SLTCAP_HPC)) {
			pci_dev_put(br);
			continue;
		}
		psn = (cap & PCI_EXP_SLTCAP_PSN) >> 19;
		if (psn >= dp->slot_base && psn - dp->slot_base < dp->num_slots &&
		    !dp->ports[psn - dp->slot_base]) {
			dp->ports[psn - dp->slot_base] = br;
			found++;
		} else {
			pci_dev_put(br);
		}
	}
	if (found < dp->num_slots)
		dev_warn(&dp->pdev->dev, "%u of %u hot-plug slots found below the switch\n",
			 found, dp->num_slots);
	return found ? 0 : -ENODEV;
}

static void dpu_pci_put_ports(struct dpu_pci *dp)
{
	unsigned int s;

	for (s = 0; s < DPU_PCI_MAX_SLOTS; s++) {
		pci_dev_put(dp->ports[s]);
		dp->ports[s] = NULL;
	}
}

/* Check the header and map the tables; messages say what is wrong. */
static int dpu_pci_header(struct dpu_pci *dp)
{
	struct dpu_pci_header __iomem *h = dp->shm;
	struct device *dev = &dp->pdev->dev;
	u32 ring_off, fn_off, tn_off, ntn;
	u16 major, minor;

	if (dp->shm_len < sizeof(*h) || readl(&h->magic) != DPU_PCI_MAGIC) {
		dev_dbg(dev, "no DPU header in BAR2: not a DPU\n");
		return -ENODEV;
	}
	major = readw(&h->major);
	minor = readw(&h->minor);
	if (major != DPU_PCI_MAJOR) {
		dev_err(dev, "DPU interface version %u.%u is not supported (this driver speaks %u.x)\n",
			major, minor, DPU_PCI_MAJOR);
		return -EPROTONOSUPPORT;
	}
	dp->ring_entries = readl(&h->ring_entries);
	dp->max_fns = readl(&h->max_fns);
	dp->num_slots = readl(&h->num_slots);
	dp->slot_base = readl(&h->slot_base);
	ring_off = readl(&h->ring_off);
	fn_off = readl(&h->fn_table_off);
	tn_off = readl(&h->tenant_table_off);
	ntn = readl(&h->max_tenants);
	/* 1.0 headers end before the provisioning parameters */
	if (readl(&h->header_size) < offsetof(struct dpu_pci_header, max_queues) ||
	    !dp->ring_entries ||
	    dp->ring_entries > DPU_PCI_MAX_RING || !dp->max_fns ||
	    dp->max_fns > DPU_PCI_MAX_FNS || !dp->num_slots ||
	    dp->num_slots > DPU_PCI_MAX_SLOTS || ntn > DPU_MAX_TENANTS ||
	    (u64)ring_off + (u64)dp->ring_entries * sizeof(struct dpu_pci_cmd) > dp->shm_len ||
	    (u64)fn_off + (u64)dp->max_fns * sizeof(struct dpu_pci_fn) > dp->shm_len ||
	    (u64)tn_off + (u64)ntn * sizeof(struct dpu_pci_tenant) > dp->shm_len ||
	    !IS_ALIGNED(ring_off | fn_off | tn_off, 8)) {
		dev_err(dev, "inconsistent DPU header (ring %u x %u at %#x, %u functions at %#x, %u tenants at %#x, %u slots, BAR2 %pa)\n",
			dp->ring_entries, (u32)sizeof(struct dpu_pci_cmd), ring_off,
			dp->max_fns, fn_off, ntn, tn_off, dp->num_slots, &dp->shm_len);
		return -EINVAL;
	}
	dp->ring = dp->shm + ring_off;
	dp->fn_table = dp->shm + fn_off;
	dp->generation = readl(&h->generation);
	dev_info(dev, "DPU interface %u.%u: %u slots from physical slot %u, %u functions, generation %u%s\n",
		 major, minor, dp->num_slots, dp->slot_base, dp->max_fns,
		 dp->generation,
		 readl(&h->status) & DPU_PCI_STATUS_READY ? "" : ", firmware not ready");
	return 0;
}

/* Capabilities of the DPU, for the core's checks and DEV_GET. */
static void dpu_pci_caps(struct dpu_pci *dp, struct dpu_dev *ddev)
{
	struct dpu_pci_header __iomem *h = dp->shm;
	unsigned int k;

	ddev->max_fns = dp->max_fns;
	ddev->limit_kinds = readl(&h->limit_kinds) & GENMASK(DPU_LIM_NR - 1, 0);
	ddev->caps.fn_types = readl(&h->fn_types) &
			      (BIT(DPU_FN_TYPE_BLK) | BIT(DPU_FN_TYPE_NET));
	/*
	 * Its NICs are virtio-net devices of this host: the NIC limits the
	 * DPU cannot enforce, the host does (dpud's BPF at their TC hooks).
	 */
	if (ddev->caps.fn_types & BIT(DPU_FN_TYPE_NET))
		ddev->host_kinds = (BIT(DPU_LIM_NET_TX_BPS) |
				    BIT(DPU_LIM_NET_RX_BPS) |
				    BIT(DPU_LIM_NET_TX_PPS) |
				    BIT(DPU_LIM_NET_RX_PPS)) & ~ddev->limit_kinds;
	for (k = 0; k < DPU_LIM_NR; k++)
		ddev->caps.rate_max[k] = readq(&h->rate_max[k]);
	ddev->caps.tenant_depth = readl(&h->caps) & DPU_PCI_CAP_TENANTS ?
				  readl(&h->max_depth) : 0;
	ddev->caps.burst_ms_max = readl(&h->burst_ms_max);
	/* 1.1: provisioning parameters */
	if (readl(&h->header_size) >= offsetofend(struct dpu_pci_header, max_mtu)) {
		ddev->caps.max_queues = min(readl(&h->max_queues), 65535U);
		ddev->caps.max_mtu = min(readl(&h->max_mtu), 65535U);
	}
	/* 1.2: the block I/O the DPU can carry (QoS judges saturation) */
	if (readl(&h->header_size) >=
	    offsetofend(struct dpu_pci_header, io_capacity_bps)) {
		ddev->io_capacity[0] = readq(&h->io_capacity_iops);
		ddev->io_capacity[1] = readq(&h->io_capacity_bps);
	}
}

static void dpu_pci_event_work(struct work_struct *work)
{
	struct dpu_pci *dp = container_of(work, struct dpu_pci, event_work);
	struct dpu_pci_header __iomem *h = dp->shm;
	u32 gen = readl(&h->generation), status = readl(&h->status);

	/* pairs with the release in probe: adoption is over */
	if (!smp_load_acquire(&dp->ready))
		return;
	if (!(status & DPU_PCI_STATUS_READY)) {
		dev_warn(&dp->pdev->dev, "DPU firmware stopped serving\n");
		return;
	}
	if (gen != dp->generation) {
		dev_info(&dp->pdev->dev, "DPU firmware restarted (generation %u)\n",
			 gen);
		dp->generation = gen;
	} else if (!atomic_xchg(&dp->resync, 0)) {
		return;
	}
	dpu_pci_reconcile(dp);
}

static irqreturn_t dpu_pci_event_irq(int irq, void *data)
{
	struct dpu_pci *dp = data;

	queue_work(dp->wq, &dp->event_work);
	return IRQ_HANDLED;
}

static int dpu_pci_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct dpu_dev *ddev;
	struct dpu_pci *dp;
	int err;

	err = pcim_enable_device(pdev);
	if (err)
		return err;
	err = pcim_iomap_regions(pdev, BIT(0) | BIT(2), KBUILD_MODNAME);
	if (err)
		return err;
	dp = devm_kzalloc(&pdev->dev, sizeof(*dp), GFP_KERNEL);
	if (!dp)
		return -ENOMEM;
	dp->pdev = pdev;
	dp->regs = pcim_iomap_table(pdev)[0];
	dp->shm = pcim_iomap_table(pdev)[2];
	dp->shm_len = pci_resource_len(pdev, 2);
	mutex_init(&dp->fn_lock);
	INIT_WORK(&dp->event_work, dpu_pci_event_work);
	err = dpu_pci_header(dp);
	if (err)
		return err;
	if ((int)readl(dp->regs + DPU_PCI_REG_IVPOSITION) < 0) {
		dev_err(&pdev->dev, "the PF has no doorbell peer id: is the DPU firmware connected?\n");
		return -ENODEV;
	}
	err = dpu_pci_find_ports(dp);
	if (err)
		goto err_ports;
	dpu_pci_mbox_init(dp);

	dp->wq = alloc_workqueue("dpu_pci/%s", WQ_UNBOUND | WQ_MEM_RECLAIM, 0,
				 pci_name(pdev));
	if (!dp->wq) {
		err = -ENOMEM;
		goto err_ports;
	}
	dp->rel_wq = alloc_workqueue("dpu_pci_rel/%s", WQ_UNBOUND | WQ_MEM_RECLAIM,
				     0, pci_name(pdev));
	if (!dp->rel_wq) {
		err = -ENOMEM;
		goto err_wq;
	}
	err = pci_alloc_irq_vectors(pdev, DPU_PCI_NR_VECS, DPU_PCI_NR_VECS,
				    PCI_IRQ_MSIX);
	if (err < 0) {
		dev_err(&pdev->dev, "no MSI-X vectors: %d\n", err);
		goto err_wq;
	}
	err = request_irq(pci_irq_vector(pdev, DPU_PCI_VEC_CMD), dpu_pci_cmd_irq,
			  0, "dpu_pci-cmd", dp);
	if (err)
		goto err_vecs;
	err = request_irq(pci_irq_vector(pdev, DPU_PCI_VEC_EVENT),
			  dpu_pci_event_irq, 0, "dpu_pci-event", dp);
	if (err)
		goto err_irq_cmd;
	pci_set_master(pdev);

	ddev = dpu_dev_alloc(&pdev->dev, &dpu_pci_backend_ops, 0);
	if (IS_ERR(ddev)) {
		err = PTR_ERR(ddev);
		goto err_irq_event;
	}
	ddev->priv = dp;
	dp->ddev = ddev;
	dpu_pci_caps(dp, ddev);
	dp->pci_nb.notifier_call = dpu_pci_bus_event;
	err = bus_register_notifier(&pci_bus_type, &dp->pci_nb);
	if (err)
		goto err_ddev;
	err = dpu_dev_register(ddev);
	if (err)
		goto err_nb;
	pci_set_drvdata(pdev, dp);
	dpu_pci_adopt(dp);
	/* from now on events count; one that came meanwhile is looked at */
	dp->generation = readl(&((struct dpu_pci_header __iomem *)dp->shm)->generation);
	/* pairs with the acquires in the event work and resync */
	smp_store_release(&dp->ready, true);
	queue_work(dp->wq, &dp->event_work);
	return 0;

err_nb:
	bus_unregister_notifier(&pci_bus_type, &dp->pci_nb);
err_ddev:
	dpu_dev_put(ddev);
err_irq_event:
	free_irq(pci_irq_vector(pdev, DPU_PCI_VEC_EVENT), dp);
err_irq_cmd:
	free_irq(pci_irq_vector(pdev, DPU_PCI_VEC_CMD), dp);
err_vecs:
	pci_free_irq_vectors(pdev);
err_wq:
	if (dp->rel_wq)
		destroy_workqueue(dp->rel_wq);
	destroy_workqueue(dp->wq);
err_ports:
	dpu_pci_put_ports(dp);
	return err;
}

static void dpu_pci_remove(struct pci_dev *pdev)
{
	struct dpu_pci *dp = pci_get_drvdata(pdev);

	/* let go of the functions; the DPU keeps them for the next probe */
	WRITE_ONCE(dp->dying, true);
	/* pairs with the acquire in resync: no new event work queued */
	smp_store_release(&dp->ready, false);
	free_irq(pci_irq_vector(pdev, DPU_PCI_VEC_EVENT), dp);
	cancel_work_sync(&dp->event_work);
	/* nobody waits for an answer that may never come */
	dpu_pci_mbox_fail_all(dp);
	dpu_dev_unregister(dp->ddev);
	bus_unregister_notifier(&pci_bus_type, &dp->pci_nb);
	dpu_pci_mbox_fail_all(dp);
	free_irq(pci_irq_vector(pdev, DPU_PCI_VEC_CMD), dp);
	cancel_work_sync(&dp->event_work);
	pci_free_irq_vectors(pdev);
	destroy_workqueue(dp->rel_wq);
	destroy_workqueue(dp->wq);
	dpu_pci_put_ports(dp);
}

static const struct pci_device_id dpu_pci_ids[] = {
	{ PCI_DEVICE(PCI_VENDOR_ID_REDHAT_QUMRANET_, PCI_DEVICE_ID_IVSHMEM) },
	{ }
};
MODULE_DEVICE_TABLE(pci, dpu_pci_ids);

static struct pci_driver dpu_pci_driver = {
	.name = "dpu_pci",
	.id_table = dpu_pci_ids,
	.probe = dpu_pci_probe,
	.remove = dpu_pci_remove,
};
module_pci_driver(dpu_pci_driver);

MODULE_DESCRIPTION("dpupool: PCI backend for DPUs that hot-plug virtio functions");
MODULE_AUTHOR("dpupool developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(DPUPOOL_VERSION);
