/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * The device interface of a DPU's management PF, as dpu_pci.ko drives it
 * and as a DPU (or tools/testing/dpu-emu) implements it.
 * Documentation/design/dpu-pci.rst describes the protocol.
 *
 * The PF is an ivshmem-doorbell style PCI function: BAR0 registers
 * (interrupt mask and status, IVPosition, Doorbell), MSI-X, and BAR2 shared
 * memory laid out as below, all little-endian. The host rings the DPU with
 * Doorbell = (DPU_PCI_FW_PEER << 16) | vector, the DPU interrupts the host
 * on MSI-X vector DPU_PCI_VEC_*.
 *
 * Versioning: the major version changes only when an existing field or
 * command changes meaning; a host refuses a major it does not know. Minor
 * versions add fields at the end of structures (header_size says how much
 * is there), opcodes and capability bits.
 */
#ifndef _UAPI_LINUX_DPU_PCI_H
#define _UAPI_LINUX_DPU_PCI_H

#include <linux/types.h>

#define DPU_PCI_MAGIC		0x50555044	/* "DPUP" */
#define DPU_PCI_MAJOR		1
#define DPU_PCI_MINOR		2

/* the DPU firmware's peer id for the Doorbell register */
#define DPU_PCI_FW_PEER		0
/* doorbell vectors towards the DPU */
#define DPU_PCI_DB_CMD		0	/* commands were posted */
/* MSI-X vectors towards the host */
#define DPU_PCI_VEC_CMD		0	/* commands completed */
#define DPU_PCI_VEC_EVENT	1	/* status, generation or events changed */
#define DPU_PCI_NR_VECS		2

/* dpu_pci_header.status */
#define DPU_PCI_STATUS_READY	(1U << 0)	/* the firmware serves commands */

/* dpu_pci_header.caps */
#define DPU_PCI_CAP_TENANTS	(1U << 0)	/* tenant limits, hierarchy */
#define DPU_PCI_CAP_LIVE_LIMITS	(1U << 1)	/* limits change while attached */
#define DPU_PCI_CAP_ADOPT	(1U << 2)	/* function table is kept */

/* limit kinds, bit numbers of dpu_pci_header.limit_kinds */
enum dpu_pci_limit_kind {
	DPU_PCI_LIM_BLK_IOPS,
	DPU_PCI_LIM_BLK_READ_IOPS,
	DPU_PCI_LIM_BLK_WRITE_IOPS,
	DPU_PCI_LIM_BLK_BPS,
	DPU_PCI_LIM_BLK_READ_BPS,
	DPU_PCI_LIM_BLK_WRITE_BPS,
	DPU_PCI_LIM_NET_TX_BPS,
	DPU_PCI_LIM_NET_RX_BPS,
	DPU_PCI_LIM_NET_TX_PPS,
	DPU_PCI_LIM_NET_RX_PPS,
	DPU_PCI_LIM_NR,
};

/**
 * struct dpu_pci_limit - one limit
 * @rate: per second, 0 for none
 * @burst: bucket size in the limit's unit (requests or bytes); 0: the
 *	DPU's default (one second of @rate)
 */
struct dpu_pci_limit {
	__le64 rate;
	__le64 burst;
};

/**
 * struct dpu_pci_header - at offset 0 of BAR2, written by the DPU
 * @magic: %DPU_PCI_MAGIC: the host binds no other ivshmem device
 * @major: %DPU_PCI_MAJOR
 * @minor: %DPU_PCI_MINOR or higher
 * @header_size: bytes of this structure the DPU filled
 * @status: %DPU_PCI_STATUS_*
 * @generation: bumped every time the firmware (re)starts; a restarted
 *	firmware executes again every command it finds posted or running
 *	(commands are idempotent) and completes it
 * @fn_types: bit per function type (1 blk, 2 net, as in linux/dpu.h)
 * @limit_kinds: bit per &enum dpu_pci_limit_kind the DPU enforces
 * @caps: %DPU_PCI_CAP_*
 * @max_fns: function indexes 0 .. max_fns - 1
 * @num_slots: hot-plug slots for functions
 * @slot_base: physical slot number (PCIe Slot Capabilities) of slot 0;
 *	slot s is the downstream port, beside the PF's, whose physical
 *	slot number is slot_base + s
 * @max_depth: tenant levels the DPU chains above a function
 * @ring_off: offset of the command ring in BAR2
 * @ring_entries: its &struct dpu_pci_cmd entries
 * @fn_table_off: offset of max_fns &struct dpu_pci_fn
 * @tenant_table_off: offset of max_tenants &struct dpu_pci_tenant
 * @max_tenants: entries of the tenant table
 * @burst_ms_max: the longest burst the DPU keeps, in ms of the rate
 * @rate_max: per &enum dpu_pci_limit_kind, the highest rate it enforces
 * @max_queues: (1.1) the most queues a function may get, 0: not settable
 * @max_mtu: (1.1) the highest MTU of a NIC function, 0: not settable
 * @io_capacity_iops: (1.2) block I/O the DPU can carry over all its
 *	functions, I/Os per second, 0: unknown
 * @io_capacity_bps: (1.2) the same in bytes per second
 */
struct dpu_pci_header {
	__le32 magic;
	__le16 major;
	__le16 minor;
	__le32 header_size;
	__le32 status;
	__le32 generation;
	__le32 fn_types;
	__le32 limit_kinds;
	__le32 caps;
	__le32 max_fns;
	__le32 num_slots;
	__le32 slot_base;
	__le32 max_depth;
	__le32 ring_off;
	__le32 ring_entries;
	__le32 fn_table_off;
	__le32 tenant_table_off;
	__le32 max_tenants;
	__le32 burst_ms_max;
	__le64 rate_max[DPU_PCI_LIM_NR];
	__le32 max_queues;
	__le32 max_mtu;
	__le64 io_capacity_iops;
	__le64 io_capacity_bps;
};

/* command opcodes */
enum dpu_pci_op {
	DPU_PCI_OP_NOP,		/* completes at once: a liveness probe */
	DPU_PCI_OP_ATTACH,	/* hot-plug function @fn into a free slot */
	DPU_PCI_OP_DETACH,	/* unplug it (the host let go) and forget it */
	DPU_PCI_OP_FN_LIMITS,	/* @limits become @fn's own */
	DPU_PCI_OP_FN_TENANT,	/* @fn moves to tenant @tenant */
	DPU_PCI_OP_TENANT_SET,	/* create or change @tenant (@parent, @limits) */
	DPU_PCI_OP_TENANT_DEL,	/* delete @tenant (no functions, no children) */
	DPU_PCI_OP_NR,
};

/* dpu_pci_cmd.state: who owns the entry */
enum dpu_pci_cmd_state {
	DPU_PCI_CMD_FREE,	/* the host's */
	DPU_PCI_CMD_POSTED,	/* the DPU's: to execute */
	DPU_PCI_CMD_RUNNING,	/* the DPU's: taken */
	DPU_PCI_CMD_DONE,	/* the host's: result fields are valid */
};

#define DPU_PCI_NAME_LEN	64
#define DPU_PCI_MSG_LEN		96

/**
 * struct dpu_pci_cmd - an entry of the command ring (512 bytes)
 * @state: &enum dpu_pci_cmd_state; written last by its writer
 * @opcode: &enum dpu_pci_op
 * @tag: chosen by the host, echoed: a completion of another tag is stale
 * @fn: function index
 * @type: function type (ATTACH)
 * @slot: result of ATTACH: the slot the function was plugged into
 * @status: result: 0 or a negative errno
 * @queues: queues of the function (ATTACH), 0: the DPU's default (1.1)
 * @mtu: MTU of a NIC function (ATTACH), 0: the DPU's default (1.1)
 * @size: disk size in bytes (ATTACH of blk)
 * @mac: MAC address (ATTACH of net), 6 bytes used
 * @tenant: tenant name (ATTACH, FN_TENANT, TENANT_*)
 * @parent: parent tenant name, empty for a root (TENANT_SET)
 * @limits: per &enum dpu_pci_limit_kind (ATTACH, FN_LIMITS, TENANT_SET)
 * @msg: result: why it failed, NUL-terminated
 */
struct dpu_pci_cmd {
	__le32 state;
	__le32 opcode;
	__le32 tag;
	__le32 fn;
	__le32 type;
	__le32 slot;
	__le32 status;
	__le16 queues;
	__le16 mtu;
	__le64 size;
	__u8 mac[8];
	char tenant[DPU_PCI_NAME_LEN];
	char parent[DPU_PCI_NAME_LEN];
	struct dpu_pci_limit limits[DPU_PCI_LIM_NR];
	char msg[DPU_PCI_MSG_LEN];
	__u8 pad[80];
};

/* dpu_pci_fn.state */
enum dpu_pci_fn_state {
	DPU_PCI_FN_FREE,	/* index unused */
	DPU_PCI_FN_PLUGGING,	/* being hot-plugged */
	DPU_PCI_FN_PRESENT,	/* plugged into @slot */
	DPU_PCI_FN_UNPLUGGING,	/* being unplugged */
};

/**
 * struct dpu_pci_fn - the DPU's record of function index i (256 bytes),
 *	kept across host driver reloads and firmware restarts: a host
 *	adopts the functions it finds present
 * @state: &enum dpu_pci_fn_state
 * @type: function type
 * @slot: slot while present
 * @queues: its queues, 0: default (1.1)
 * @mtu: its MTU, 0: default (1.1)
 * @size: blk size
 * @mac: net MAC
 * @tenant: its tenant
 * @limits: its own limits
 */
struct dpu_pci_fn {
	__le32 state;
	__le32 type;
	__le32 slot;
	__le16 queues;
	__le16 mtu;
	__le64 size;
	__u8 mac[8];
	char tenant[DPU_PCI_NAME_LEN];
	struct dpu_pci_limit limits[DPU_PCI_LIM_NR];
};

/**
 * struct dpu_pci_tenant - the DPU's record of a tenant (320 bytes)
 * @used: non-zero if the entry holds a tenant
 * @reserved: zero
 * @name: its name
 * @parent: its parent's name, empty for a root
 * @limits: its limits
 * @pad: zero
 */
struct dpu_pci_tenant {
	__le32 used;
	__le32 reserved;
	char name[DPU_PCI_NAME_LEN];
	char parent[DPU_PCI_NAME_LEN];
	struct dpu_pci_limit limits[DPU_PCI_LIM_NR];
	__u8 pad[24];
};

#endif /* _UAPI_LINUX_DPU_PCI_H */
