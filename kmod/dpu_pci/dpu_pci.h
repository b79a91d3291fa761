/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dpu_pci: the PCI backend of dpupool, for a DPU whose management PF
 * speaks include/uapi/linux/dpu_pci.h and which hot-plugs virtio-blk and
 * virtio-net functions into downstream ports beside the PF.
 */
#ifndef _DPU_PCI_H
#define _DPU_PCI_H

#include <linux/completion.h>
#include <linux/mutex.h>
#include <linux/notifier.h>
#include <linux/pci.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/dpu_pci.h>

#include "dpu.h"

#define DPU_PCI_MAX_SLOTS	64
#define DPU_PCI_MAX_RING	256
#define DPU_PCI_MAX_FNS		4096
#define DPU_PCI_MSGS		64

/* ivshmem-doorbell BAR0 registers */
#define DPU_PCI_REG_INTRMASK	0
#define DPU_PCI_REG_INTRSTATUS	4
#define DPU_PCI_REG_IVPOSITION	8
#define DPU_PCI_REG_DOORBELL	12

struct dpu_pci_pfn;

/**
 * struct dpu_pci_req - a command waiting for its completion
 * @cmd: what to post; the result fields are filled in on completion
 * @done: completed by the interrupt handler
 * @entry: ring entry, -1 while not posted
 * @abandoned: the waiter timed out; the entry is released on completion
 */
struct dpu_pci_req {
	struct dpu_pci_cmd cmd;
	struct completion done;
	int entry;
	bool abandoned;
};

/**
 * struct dpu_pci - one DPU management PF
 * @pdev: the PF
 * @regs: BAR0
 * @shm: BAR2
 * @shm_len: its length
 * @ddev: the core's DPU device
 * @ring: command ring in BAR2
 * @ring_entries: its size
 * @fn_table: the DPU's function records in BAR2
 * @max_fns: entries of @fn_table
 * @num_slots: hot-plug slots
 * @slot_base: physical slot number of slot 0
 * @ports: the downstream port of each slot (referenced), NULL if missing
 * @ring_lock: protects @inflight and @tag
 * @inflight: per ring entry, the request it carries (or an abandoned one)
 * @tag: next command tag
 * @ring_wait: waiters for a free entry
 * @generation: the firmware generation last seen
 * @fn_lock: protects @slot_fn and the per-function states
 * @slot_fn: per slot, the function expected or present there
 * @wq: attach and check work, events
 * @rel_wq: release work: it flushes and cancels the work of @wq
 * @event_work: reacts to the event vector
 * @pci_nb: follows hot-plug on the PCI bus
 * @dying: the driver is unbinding: functions are let go, not detached
 * @resync: a command answered after its waiter gave up: reconcile
 * @reject_slots: slots whose next function no driver may take
 * @ready: adopted, and not unbinding: events and resyncs are acted on
 * @msgs: the DPU's refusals, for extack (see dpu_pci_simple_cmd())
 * @msg_next: next of @msgs
 */
struct dpu_pci {
	struct pci_dev *pdev;
	void __iomem *regs;
	void __iomem *shm;
	resource_size_t shm_len;
	struct dpu_dev *ddev;
	struct dpu_pci_cmd __iomem *ring;
	u32 ring_entries;
	struct dpu_pci_fn __iomem *fn_table;
	u32 max_fns;
	u32 num_slots;
	u32 slot_base;
	struct pci_dev *ports[DPU_PCI_MAX_SLOTS];
	spinlock_t ring_lock;	/* inflight, tag */
	struct dpu_pci_req *inflight[DPU_PCI_MAX_RING];
	u32 tag;
	wait_queue_head_t ring_wait;
	u32 generation;
	struct mutex fn_lock;	/* slot_fn, pfn states */
	struct dpu_pci_pfn *slot_fn[DPU_PCI_MAX_SLOTS];
	struct workqueue_struct *wq;
	struct workqueue_struct *rel_wq;
	struct work_struct event_work;
	struct notifier_block pci_nb;
	bool dying;
	atomic_t resync;
	DECLARE_BITMAP(reject_slots, DPU_PCI_MAX_SLOTS);
	bool ready;
	char msgs[DPU_PCI_MSGS][DPU_PCI_MSG_LEN];
	atomic_t msg_next;
};

/* where a function of the PCI backend is */
enum dpu_pci_pfn_state {
	DPU_PCI_PFN_ATTACHING,	/* ATTACH posted */
	DPU_PCI_PFN_PLUGGED,	/* in a slot, waiting for driver and device */
	DPU_PCI_PFN_UP,		/* its disk or NIC exists */
	DPU_PCI_PFN_DOWN,	/* cancelled, failed or gone: nothing to follow */
};

/**
 * struct dpu_pci_pfn - the backend's side of a function (fn->priv)
 * @dp: the DPU
 * @fn: the core's function
 * @state: &enum dpu_pci_pfn_state, under @dp->fn_lock
 * @slot: the slot, -1 while unknown
 * @pdev: the PCI function once enumerated (referenced), under fn_lock
 * @host_removing: the host itself removes @pdev: not a surprise
 * @cancelled: attach deadline passed or being destroyed
 * @attach_work: posts ATTACH (or adopts) and finds the slot
 * @check_work: looks at the PCI function: driver, disk or NIC
 * @release_work: the host lets go and the DPU unplugs (destroy, cancel)
 * @destroying: release_work ends the function (dpu_fn_detach_done())
 * @releasing: release_work is running, under @dp->fn_lock
 * @released: the host let go and the DPU was told: a later run only ends
 * @rejected: this function set its slot's bit in @dp->reject_slots
 */
struct dpu_pci_pfn {
	struct dpu_pci *dp;
	struct dpu_fn *fn;
	int state;
	int slot;
	struct pci_dev *pdev;
	bool host_removing;
	bool cancelled;
	struct work_struct attach_work;
	struct delayed_work check_work;
	struct work_struct release_work;
	bool destroying;
	bool releasing;
	bool released;
	bool rejected;
};

extern unsigned int dpu_pci_cmd_timeout_ms;

/* pci_mbox.c */
int dpu_pci_mbox_init(struct dpu_pci *dp);
int dpu_pci_cmd_run(struct dpu_pci *dp, struct dpu_pci_req *req);
irqreturn_t dpu_pci_cmd_irq(int irq, void *data);
void dpu_pci_mbox_fail_all(struct dpu_pci *dp);
void dpu_pci_limits_to_hw(struct dpu_pci_limit *hw, const struct dpu_limits *lim,
			  unsigned long kinds);
void dpu_pci_limits_from_hw(struct dpu_limits *lim,
			    const struct dpu_pci_limit __iomem *hw);

/* pci_fn.c */
extern const struct dpu_backend_ops dpu_pci_backend_ops;
int dpu_pci_bus_event(struct notifier_block *nb, unsigned long action,
		      void *data);
int dpu_pci_adopt(struct dpu_pci *dp);
void dpu_pci_reconcile(struct dpu_pci *dp);
void dpu_pci_resync(struct dpu_pci *dp);

#endif /* _DPU_PCI_H */
