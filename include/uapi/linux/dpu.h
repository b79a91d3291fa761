/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * dpupool kernel/user interface: generic netlink family "dpu".
 *
 * Stability: numbers are never reused or renumbered; new commands and
 * attributes are appended before the __DPU_*_MAX sentinels. Userspace should
 * check DPU_GENL_VERSION (the family version) and ignore attributes it does
 * not know. See Documentation/netlink/dpu.rst.
 */
#ifndef _UAPI_LINUX_DPU_H
#define _UAPI_LINUX_DPU_H

#include <linux/types.h>

#define DPU_GENL_NAME		"dpu"
#define DPU_GENL_VERSION	6

/* Length limits, including the terminating NUL. */
#define DPU_NAME_LEN		16	/* "dpu4294967295" fits */
#define DPU_BACKEND_LEN		16
#define DPU_TENANT_LEN		64	/* [A-Za-z0-9_.-], 1..63 characters */
#define DPU_IFNAME_LEN		16	/* IFNAMSIZ */
#define DPU_DISK_NAME_LEN	32	/* DISK_NAME_LEN */
#define DPU_REASON_LEN		96	/* DPU_A_FN_REASON */
#define DPU_BUS_ADDR_LEN	32	/* DPU_A_FN_BUS_ADDR */
#define DPU_CGROUP_PATH_LEN	512	/* DPU_A_QOS_CGROUP */

/* Multicast group announcing function creation, state changes, removal */
#define DPU_GENL_MCGRP_EVENTS	"events"
/* Multicast group announcing QoS decisions and classification changes */
#define DPU_GENL_MCGRP_QOS	"qos"

/**
 * enum dpu_fn_type - kind of PCIe function a DPU exposes
 * @DPU_FN_TYPE_BLK: a cloud disk (virtio-blk); has a size
 * @DPU_FN_TYPE_NET: a NIC (virtio-net); has a MAC address
 */
enum dpu_fn_type {
	DPU_FN_TYPE_BLK = 1,
	DPU_FN_TYPE_NET = 2,
};

/**
 * enum dpu_fn_state - life cycle of a function
 * @DPU_FN_STATE_CREATING: requested; the backend is attaching it
 * @DPU_FN_STATE_READY: attached; its block or net device exists
 * @DPU_FN_STATE_REMOVING: detach requested; going away
 * @DPU_FN_STATE_FAILED: the attach failed or timed out; delete it to
 *	release the slot (%DPU_A_FN_ERROR says why)
 * @DPU_FN_STATE_GONE: the backend lost it (surprise removal); delete it
 * @DPU_FN_STATE_UNBOUND: attached, but no driver is bound to its PCIe
 *	function (unbound by an administrator): no block or net device;
 *	back to ready when a driver binds again (PCI backend; version 3)
 *
 * Legal transitions: creating -> ready | failed | gone | removing;
 * ready -> removing | gone | unbound; unbound -> ready | removing | gone;
 * failed -> removing; gone -> removing.
 * A function in removing disappears (FN_DEL notification) when done; with
 * a PCI backend that is once the DPU has unplugged it and freed its slot.
 * %DPU_A_FN_REASON says in words why a function is failed, gone or
 * unbound.
 */
enum dpu_fn_state {
	DPU_FN_STATE_CREATING = 1,
	DPU_FN_STATE_READY,
	DPU_FN_STATE_REMOVING,
	DPU_FN_STATE_FAILED,
	DPU_FN_STATE_GONE,
	DPU_FN_STATE_UNBOUND,
};

/**
 * enum dpu_cmd - generic netlink commands of the "dpu" family
 * @DPU_CMD_UNSPEC: unused
 * @DPU_CMD_DEV_GET: get one DPU device (do: by %DPU_A_DEV_INDEX or
 *	%DPU_A_DEV_NAME) or all of them (dump); replies carry DPU_A_DEV_*
 * @DPU_CMD_FN_NEW: create a function on a device (CAP_NET_ADMIN): device,
 *	%DPU_A_FN_TYPE, %DPU_A_FN_SIZE (blk) or %DPU_A_FN_MAC (net, optional),
 *	%DPU_A_FN_TENANT; optional %DPU_A_FN_INDEX asks for a given index.
 *	The reply carries the new function in state creating; completion is
 *	announced on the events group. Also the notification of a creation.
 * @DPU_CMD_FN_DEL: delete a function (CAP_NET_ADMIN): device and
 *	%DPU_A_FN_INDEX. Also the notification of a removal.
 * @DPU_CMD_FN_GET: get one function (do: device and %DPU_A_FN_INDEX) or all
 *	(dump, optionally only those of one device)
 * @DPU_CMD_FN_SET: change a function (CAP_NET_ADMIN): device,
 *	%DPU_A_FN_INDEX and %DPU_A_FN_TENANT (moves it, live, to another
 *	existing tenant) and/or %DPU_A_FN_LIMITS. Also the notification of
 *	any change, state changes included.
 * @DPU_CMD_TENANT_NEW: create a tenant on a device (CAP_NET_ADMIN): device,
 *	%DPU_A_TENANT_NAME, optional %DPU_A_TENANT_PARENT and
 *	%DPU_A_TENANT_LIMITS. Also the notification of a creation.
 * @DPU_CMD_TENANT_DEL: delete a tenant (CAP_NET_ADMIN): device and
 *	%DPU_A_TENANT_NAME; refused (-EBUSY) while it has functions or child
 *	tenants. Also the notification of a removal.
 * @DPU_CMD_TENANT_GET: get one tenant (do: device and %DPU_A_TENANT_NAME)
 *	or all (dump, optionally only those of one device), with
 *	%DPU_A_TENANT_STATS
 * @DPU_CMD_TENANT_SET: change a tenant (CAP_NET_ADMIN): device,
 *	%DPU_A_TENANT_NAME and %DPU_A_TENANT_PARENT (an empty string makes it
 *	a root) and/or %DPU_A_TENANT_LIMITS (only the limits given change).
 *	A parent that would make a cycle is refused (-ELOOP). Also the
 *	notification of a change.
 * @DPU_CMD_QOS_CLASS_SET: give a cgroup v2 directory a QoS class
 *	(CAP_NET_ADMIN): %DPU_A_QOS_CGROUP, %DPU_A_QOS_CLASS, optional
 *	%DPU_A_QOS_PRIORITY; its descendants inherit it. Setting it again
 *	changes class and priority. Also the notification (qos group).
 * @DPU_CMD_QOS_CLASS_DEL: clear a cgroup's class (CAP_NET_ADMIN):
 *	%DPU_A_QOS_CGROUP or %DPU_A_QOS_CGROUP_ID. Also the notification,
 *	sent as well when a classified cgroup is removed (rmdir).
 * @DPU_CMD_QOS_CLASS_GET: get one classified cgroup (do: by
 *	%DPU_A_QOS_CGROUP or %DPU_A_QOS_CGROUP_ID) or all (dump)
 * @DPU_CMD_QOS_GET: the node policy (%DPU_A_QOS_POLICY), the last sample
 *	(%DPU_A_QOS_USAGE) and the decision in force (%DPU_A_QOS_DECISION)
 * @DPU_CMD_QOS_SET: change the node policy (CAP_NET_ADMIN): the attributes
 *	of %DPU_A_QOS_POLICY given change, the result must be consistent
 *	(mem_low below mem_high...). Also the notification (qos group).
 * @DPU_CMD_QOS_DECISION: notification only (qos group): the decision
 *	changed, %DPU_A_QOS_DECISION and the sample it was made on
 */
enum dpu_cmd {
	DPU_CMD_UNSPEC,
	DPU_CMD_DEV_GET,
	DPU_CMD_FN_NEW,
	DPU_CMD_FN_DEL,
	DPU_CMD_FN_GET,
	DPU_CMD_FN_SET,
	DPU_CMD_TENANT_NEW,
	DPU_CMD_TENANT_DEL,
	DPU_CMD_TENANT_GET,
	DPU_CMD_TENANT_SET,
	DPU_CMD_QOS_CLASS_SET,
	DPU_CMD_QOS_CLASS_DEL,
	DPU_CMD_QOS_CLASS_GET,
	DPU_CMD_QOS_GET,
	DPU_CMD_QOS_SET,
	DPU_CMD_QOS_DECISION,

	__DPU_CMD_MAX,
	DPU_CMD_MAX = __DPU_CMD_MAX - 1
};

/**
 * enum dpu_attr - attributes of the "dpu" family
 * @DPU_A_UNSPEC: unused
 * @DPU_A_PAD: padding for 64-bit attributes
 * @DPU_A_DEV_INDEX: u32, the N of dpuN
 * @DPU_A_DEV_NAME: string, "dpuN"
 * @DPU_A_DEV_BACKEND: string, the backend driving the device ("sim", "pci")
 * @DPU_A_DEV_BUS_NAME: string, bus of the backend's device ("dpu_sim", "pci")
 * @DPU_A_DEV_PARENT: string, name of the backend's device on that bus
 * @DPU_A_DEV_NUMA_NODE: s32, NUMA node of the backend's device, -1 if none
 * @DPU_A_DEV_MAX_FNS: u32, how many functions the device offers
 * @DPU_A_DEV_NUM_FNS: u32, how many it has now
 * @DPU_A_FN_INDEX: u32, index of a function within its device
 * @DPU_A_FN_TYPE: u8, &enum dpu_fn_type
 * @DPU_A_FN_STATE: u8, &enum dpu_fn_state
 * @DPU_A_FN_SIZE: u64, disk size in bytes, a multiple of 4096 (blk)
 * @DPU_A_FN_MAC: binary, 6 bytes, unicast, non-zero (net); random if
 *	not given
 * @DPU_A_FN_TENANT: string, the tenant the function belongs to: a tenant
 *	of the same device, which must exist
 * @DPU_A_FN_ERROR: s32, negative errno of a failed attach
 * @DPU_A_FN_BLKDEV: string, name of the block device ("dpusim0n3")
 * @DPU_A_FN_NETDEV: string, name of the net device, when it is in the
 *	requester's network namespace
 * @DPU_A_FN_IFINDEX: u32, ifindex of the net device (in its namespace, see
 *	%DPU_A_FN_NETNS_ID)
 * @DPU_A_FN_NUMA_NODE: s32, NUMA node of the function's backing device
 * @DPU_A_FN_LIMITS: nested, &enum dpu_limit_attr: the function's own limits;
 *	in FN_SET only the limits given change (a rate of 0 removes one)
 * @DPU_A_TENANT_NAME: string, [A-Za-z0-9_.-], 1..63 characters, unique per
 *	device
 * @DPU_A_TENANT_PARENT: string, the parent tenant; absent (or empty) for a
 *	root tenant
 * @DPU_A_TENANT_LIMITS: nested, &enum dpu_limit_attr: limits shared by all
 *	functions of the tenant and of its descendants
 * @DPU_A_TENANT_STATS: nested, &enum dpu_stat_attr: traffic of the
 *	tenant's functions and its descendants' (output only)
 * @DPU_A_TENANT_NUM_FNS: u32, functions the tenant has (output only)
 * @DPU_A_TENANT_NUM_CHILDREN: u32, child tenants (output only)
 * @DPU_A_TENANT_DEPTH: u32, 0 for a root tenant (output only)
 * @DPU_A_FN_EFFECTIVE_LIMITS: nested, &enum dpu_limit_attr: for each kind,
 *	the tightest of the function's own limit and those of its tenant and
 *	the tenant's ancestors (output only)
 * @DPU_A_FN_STATS: nested, &enum dpu_stat_attr: the function's traffic
 *	(output only)
 * @DPU_A_FN_NETNS_ID: s32, the net device is in another network namespace
 *	than the requester's: its id there (peernet2id, -1 if it has none);
 *	%DPU_A_FN_IFINDEX is then that namespace's and %DPU_A_FN_NETDEV is
 *	not reported (output only)
 * @DPU_A_FN_REASON: string, why the function is failed, gone or unbound,
 *	in words ("no PCI function appeared in slot 3") (output only)
 * @DPU_A_FN_BUS_ADDR: string, the function's own device on its bus, e.g.
 *	the PCI address "0000:05:00.0" of a hot-plugged function (output
 *	only; the simulator's functions have none)
 * @DPU_A_DEV_FN_TYPES: u32, bit (1 << &enum dpu_fn_type) per type of
 *	function the DPU offers (output only)
 * @DPU_A_DEV_LIMIT_MAX: nested, &enum dpu_limit_attr: the rate attribute
 *	of each limit kind the DPU enforces, carrying the highest rate it
 *	takes; kinds it does not enforce are absent (output only)
 * @DPU_A_DEV_TENANT_DEPTH: u32, levels of tenants the DPU enforces above
 *	a function (output only)
 * @DPU_A_DEV_BURST_MS_MAX: u32, the longest burst, in ms of the rate, the
 *	DPU keeps; 0: any (output only)
 * @DPU_A_FN_QUEUES: u32, FN_NEW: how many queues the function gets (1..the
 *	DPU's %DPU_A_DEV_MAX_QUEUES); 0 or absent: the DPU's default
 * @DPU_A_FN_MTU: u32, FN_NEW of a net function: its MTU (68..the DPU's
 *	%DPU_A_DEV_MAX_MTU); 0 or absent: the DPU's default
 * @DPU_A_DEV_MAX_QUEUES: u32, the most queues a function may ask for; 0:
 *	the DPU cannot set them (output only)
 * @DPU_A_DEV_MAX_MTU: u32, the highest MTU a NIC function may ask for; 0:
 *	the DPU cannot set it (output only)
 * @DPU_A_QOS_CGROUP: string, a cgroup v2 directory, its path from the
 *	root of the cgroup2 hierarchy ("/kubepods/besteffort"), as
 *	/proc/PID/cgroup shows it (version 4)
 * @DPU_A_QOS_CGROUP_ID: u64, its id (the inode number of its directory)
 * @DPU_A_QOS_CLASS: u8, &enum dpu_qos_class
 * @DPU_A_QOS_PRIORITY: u32, order of eviction among BE cgroups, lower
 *	first (default 0)
 * @DPU_A_QOS_POLICY: nested, &enum dpu_qos_policy_attr
 * @DPU_A_QOS_USAGE: nested, &enum dpu_qos_usage_attr (output only)
 * @DPU_A_QOS_DECISION: nested, &enum dpu_qos_decision_attr (output only)
 * @DPU_A_QOS_AGE_MS: u64, how long ago the cgroup was classified (output
 *	only)
 * @DPU_A_QOS_MEM: u64, bytes the cgroup holds (memory.current; output
 *	only, 0 without the memory controller)
 * @DPU_A_QOS_EVICTED: u8, 1 once a decision evicted the cgroup (output
 *	only)
 * @DPU_A_TENANT_QOS_CLASS: u8, TENANT_NEW/SET: the tenant's
 *	&enum dpu_qos_class (0 clears it); functions of its descendants
 *	follow it unless a descendant has a class of its own
 * @DPU_A_TENANT_QOS_CAPPED: u8, 1 while a BE tenant's I/O is capped by a
 *	QoS decision (output only); its own limits are reported unchanged
 * @DPU_A_DEV_IO_CAPACITY_IOPS: u64, block I/O the DPU can carry, I/Os
 *	per second, as it reports it; absent: unknown (output only;
 *	version 5)
 * @DPU_A_DEV_IO_CAPACITY_BPS: u64, the same in bytes per second
 * @DPU_A_DEV_IO_LOAD_IOPS: u64, block I/O of all its functions over the
 *	last 100 ms, per second; present while the QoS I/O watch runs (a
 *	tenant has a QoS class) (output only)
 * @DPU_A_DEV_IO_LOAD_BPS: u64, the same in bytes per second
 * @DPU_A_DEV_IO_SATURATED: u8, 1 while the load is at 95% or more of a
 *	capacity (output only, with the load)
 * @DPU_A_DEV_HOST_LIMITS: u32 (version 6), bit (1 << k) per limit kind the
 *	DPU leaves to the host: k is the kind's rate attribute's position in
 *	&enum dpu_limit_attr, (attr - %DPU_A_LIMIT_BLK_IOPS) / 2, so bit 6 is
 *	%DPU_A_LIMIT_NET_TX_BPS. Such limits are accepted and reported as
 *	the others but the DPU does not enforce them: dpud does, with BPF on
 *	the host's net devices (Documentation/dpupool/nic-limits.rst)
 */
enum dpu_attr {
	DPU_A_UNSPEC,
	DPU_A_PAD,
	DPU_A_DEV_INDEX,
	DPU_A_DEV_NAME,
	DPU_A_DEV_BACKEND,
	DPU_A_DEV_BUS_NAME,
	DPU_A_DEV_PARENT,
	DPU_A_DEV_NUMA_NODE,
	DPU_A_DEV_MAX_FNS,
	DPU_A_DEV_NUM_FNS,
	DPU_A_FN_INDEX,
	DPU_A_FN_TYPE,
	DPU_A_FN_STATE,
	DPU_A_FN_SIZE,
	DPU_A_FN_MAC,
	DPU_A_FN_TENANT,
	DPU_A_FN_ERROR,
	DPU_A_FN_BLKDEV,
	DPU_A_FN_NETDEV,
	DPU_A_FN_IFINDEX,
	DPU_A_FN_NUMA_NODE,
	DPU_A_FN_LIMITS,
	DPU_A_TENANT_NAME,
	DPU_A_TENANT_PARENT,
	DPU_A_TENANT_LIMITS,
	DPU_A_TENANT_STATS,
	DPU_A_TENANT_NUM_FNS,
	DPU_A_TENANT_NUM_CHILDREN,
	DPU_A_TENANT_DEPTH,
	DPU_A_FN_EFFECTIVE_LIMITS,
	DPU_A_FN_STATS,
	DPU_A_FN_NETNS_ID,
	DPU_A_FN_REASON,
	DPU_A_FN_BUS_ADDR,
	DPU_A_DEV_FN_TYPES,
	DPU_A_DEV_LIMIT_MAX,
	DPU_A_DEV_TENANT_DEPTH,
	DPU_A_DEV_BURST_MS_MAX,
	DPU_A_FN_QUEUES,
	DPU_A_FN_MTU,
	DPU_A_DEV_MAX_QUEUES,
	DPU_A_DEV_MAX_MTU,
	DPU_A_QOS_CGROUP,
	DPU_A_QOS_CGROUP_ID,
	DPU_A_QOS_CLASS,
	DPU_A_QOS_PRIORITY,
	DPU_A_QOS_POLICY,
	DPU_A_QOS_USAGE,
	DPU_A_QOS_DECISION,
	DPU_A_QOS_AGE_MS,
	DPU_A_QOS_MEM,
	DPU_A_QOS_EVICTED,
	DPU_A_TENANT_QOS_CLASS,
	DPU_A_TENANT_QOS_CAPPED,
	DPU_A_DEV_IO_CAPACITY_IOPS,
	DPU_A_DEV_IO_CAPACITY_BPS,
	DPU_A_DEV_IO_LOAD_IOPS,
	DPU_A_DEV_IO_LOAD_BPS,
	DPU_A_DEV_IO_SATURATED,
	DPU_A_DEV_HOST_LIMITS,

	__DPU_A_MAX,
	DPU_A_MAX = __DPU_A_MAX - 1
};

/**
 * enum dpu_limit_attr - rate limits, nested in %DPU_A_FN_LIMITS,
 *	%DPU_A_TENANT_LIMITS and %DPU_A_FN_EFFECTIVE_LIMITS
 *
 * Each limit is a u64 rate per second (0: none) and a u64 burst (how much
 * may pass at once from an idle bucket; 0 picks a tenth of a second's
 * worth, at least one request). Block limits count I/Os or bytes of reads,
 * writes or both; net limits count packets or bytes sent (tx) or received
 * (rx) by the host.
 */
enum dpu_limit_attr {
	DPU_A_LIMIT_UNSPEC,
	DPU_A_LIMIT_PAD,
	DPU_A_LIMIT_BLK_IOPS,
	DPU_A_LIMIT_BLK_IOPS_BURST,
	DPU_A_LIMIT_BLK_READ_IOPS,
	DPU_A_LIMIT_BLK_READ_IOPS_BURST,
	DPU_A_LIMIT_BLK_WRITE_IOPS,
	DPU_A_LIMIT_BLK_WRITE_IOPS_BURST,
	DPU_A_LIMIT_BLK_BPS,
	DPU_A_LIMIT_BLK_BPS_BURST,
	DPU_A_LIMIT_BLK_READ_BPS,
	DPU_A_LIMIT_BLK_READ_BPS_BURST,
	DPU_A_LIMIT_BLK_WRITE_BPS,
	DPU_A_LIMIT_BLK_WRITE_BPS_BURST,
	DPU_A_LIMIT_NET_TX_BPS,
	DPU_A_LIMIT_NET_TX_BPS_BURST,
	DPU_A_LIMIT_NET_RX_BPS,
	DPU_A_LIMIT_NET_RX_BPS_BURST,
	DPU_A_LIMIT_NET_TX_PPS,
	DPU_A_LIMIT_NET_TX_PPS_BURST,
	DPU_A_LIMIT_NET_RX_PPS,
	DPU_A_LIMIT_NET_RX_PPS_BURST,

	__DPU_A_LIMIT_MAX,
	DPU_A_LIMIT_MAX = __DPU_A_LIMIT_MAX - 1
};

/* The kind of a rate attribute, for %DPU_A_DEV_HOST_LIMITS */
#define DPU_LIMIT_KIND(rate_attr)	(((rate_attr) - DPU_A_LIMIT_BLK_IOPS) / 2)

/* How deep tenants nest: a root tenant is at depth 0. */
#define DPU_TENANT_MAX_DEPTH	7

/**
 * enum dpu_stat_attr - traffic counters, nested in %DPU_A_TENANT_STATS and
 *	%DPU_A_FN_STATS; all u64, counting since creation
 * @DPU_A_STAT_BLK_IOS: block I/Os passed (reads and writes)
 * @DPU_A_STAT_BLK_BYTES: bytes of those I/Os
 * @DPU_A_STAT_NET_TX_PACKETS: packets the host sent, passed
 * @DPU_A_STAT_NET_TX_BYTES: their bytes
 * @DPU_A_STAT_NET_RX_PACKETS: packets the host received, passed
 * @DPU_A_STAT_NET_RX_BYTES: their bytes
 * @DPU_A_STAT_NET_RX_DROPPED: received packets dropped over an rx limit
 * @DPU_A_STAT_THROTTLED: how many times a request (I/O or packet to send)
 *	was held back by a limit
 * @DPU_A_STAT_THROTTLED_NS: total time functions spent held back, ns
 * @DPU_A_STAT_QUEUED: functions held back right now waiting for this
 *	tenant's (or this function's own) limits
 */
enum dpu_stat_attr {
	DPU_A_STAT_UNSPEC,
	DPU_A_STAT_PAD,
	DPU_A_STAT_BLK_IOS,
	DPU_A_STAT_BLK_BYTES,
	DPU_A_STAT_NET_TX_PACKETS,
	DPU_A_STAT_NET_TX_BYTES,
	DPU_A_STAT_NET_RX_PACKETS,
	DPU_A_STAT_NET_RX_BYTES,
	DPU_A_STAT_NET_RX_DROPPED,
	DPU_A_STAT_THROTTLED,
	DPU_A_STAT_THROTTLED_NS,
	DPU_A_STAT_QUEUED,

	__DPU_A_STAT_MAX,
	DPU_A_STAT_MAX = __DPU_A_STAT_MAX - 1
};

/**
 * enum dpu_qos_class - co-location classes of cgroups and tenants
 * @DPU_QOS_CLASS_NONE: no class (clears a tenant's)
 * @DPU_QOS_CLASS_HLS: highly latency-sensitive (online): exclusive CPUs
 * @DPU_QOS_CLASS_LS: latency-sensitive (online): shared CPUs
 * @DPU_QOS_CLASS_BE: best effort (offline): runs on what online work
 *	leaves, suppressed, reclaimed and evicted first
 */
enum dpu_qos_class {
	DPU_QOS_CLASS_NONE,
	DPU_QOS_CLASS_HLS,
	DPU_QOS_CLASS_LS,
	DPU_QOS_CLASS_BE,

	__DPU_QOS_CLASS_MAX,
	DPU_QOS_CLASS_MAX = __DPU_QOS_CLASS_MAX - 1
};

/**
 * enum dpu_qos_policy_attr - the node policy, nested in %DPU_A_QOS_POLICY
 * @DPU_A_QOS_POL_ENABLED: u8, decisions are made (default 1)
 * @DPU_A_QOS_POL_INTERVAL_MS: u32, sampling period, 1..1000 (default 5)
 * @DPU_A_QOS_POL_CPU_THRESHOLD: u32, percent of the node's CPUs that
 *	online, system and BE together may use, 1..100 (default 65)
 * @DPU_A_QOS_POL_CPU_BE_MIN: u32, BE's CPU floor in milli-CPUs (default
 *	100)
 * @DPU_A_QOS_POL_CPU_HYSTERESIS: u32, milli-CPUs BE's budget must be able
 *	to rise by before it is raised (default 100)
 * @DPU_A_QOS_POL_CPU_RELEASE_MS: u32, how long a higher budget must hold
 *	before it applies, 0..60000 (default 500); lower ones apply at once
 * @DPU_A_QOS_POL_MEM_HIGH: u32, percent of memory in use from which BE
 *	memory is reclaimed, 0..99 (0: no memory management; default 70)
 * @DPU_A_QOS_POL_MEM_LOW: u32, percent reclaim and eviction bring use down
 *	to, below MEM_HIGH (default 68)
 * @DPU_A_QOS_POL_MEM_RECLAIM_MS: u32, how long reclaim has before BE
 *	cgroups are evicted, 0..60000 (default 500)
 * @DPU_A_QOS_POL_MEM_COOLDOWN_MS: u32, least time between two evictions,
 *	0..600000 (default 3000)
 * @DPU_A_QOS_POL_IO_BE_IOPS: u64, while online tenants' I/O is held back,
 *	each BE tenant's IOPS is capped to this (0: not capped; default 500)
 * @DPU_A_QOS_POL_IO_BE_BPS: u64, the same in bytes/s (default 20971520)
 * @DPU_A_QOS_POL_CPU_WINDOW_MS: u32, online CPU use is averaged over
 *	this long for the budget, at least one interval and at most 256
 *	(default 10); system use is averaged over the last 256 intervals
 */
enum dpu_qos_policy_attr {
	DPU_A_QOS_POL_UNSPEC,
	DPU_A_QOS_POL_PAD,
	DPU_A_QOS_POL_ENABLED,
	DPU_A_QOS_POL_INTERVAL_MS,
	DPU_A_QOS_POL_CPU_THRESHOLD,
	DPU_A_QOS_POL_CPU_BE_MIN,
	DPU_A_QOS_POL_CPU_HYSTERESIS,
	DPU_A_QOS_POL_CPU_RELEASE_MS,
	DPU_A_QOS_POL_MEM_HIGH,
	DPU_A_QOS_POL_MEM_LOW,
	DPU_A_QOS_POL_MEM_RECLAIM_MS,
	DPU_A_QOS_POL_MEM_COOLDOWN_MS,
	DPU_A_QOS_POL_IO_BE_IOPS,
	DPU_A_QOS_POL_IO_BE_BPS,
	DPU_A_QOS_POL_CPU_WINDOW_MS,

	__DPU_A_QOS_POL_MAX,
	DPU_A_QOS_POL_MAX = __DPU_A_QOS_POL_MAX - 1
};

/**
 * enum dpu_qos_usage_attr - the last sample, nested in %DPU_A_QOS_USAGE
 * @DPU_A_QOS_USE_WINDOW_NS: u64, its length
 * @DPU_A_QOS_USE_NCPUS: u32, CPUs online
 * @DPU_A_QOS_USE_HLS_MCPU: u32, CPU used by HLS cgroups, milli-CPUs
 * @DPU_A_QOS_USE_LS_MCPU: u32, by LS cgroups
 * @DPU_A_QOS_USE_BE_MCPU: u32, by BE cgroups
 * @DPU_A_QOS_USE_SYSTEM_MCPU: u32, by everything else (kernel included)
 * @DPU_A_QOS_USE_MEM_TOTAL: u64, bytes of memory
 * @DPU_A_QOS_USE_MEM_USED: u64, bytes in use (total less available)
 * @DPU_A_QOS_USE_MEM_BE: u64, bytes held by BE cgroups
 * @DPU_A_QOS_USE_IO_ONLINE_HELD: u8, online tenants' I/O held back
 * @DPU_A_QOS_USE_ALLOCSTALL: u64, direct reclaim stalls since boot
 *	(memory pressure)
 * @DPU_A_QOS_USE_IO_SATURATED: u8, a DPU whose online tenants do I/O is
 *	saturated (%DPU_A_DEV_IO_SATURATED; version 5)
 */
enum dpu_qos_usage_attr {
	DPU_A_QOS_USE_UNSPEC,
	DPU_A_QOS_USE_PAD,
	DPU_A_QOS_USE_WINDOW_NS,
	DPU_A_QOS_USE_NCPUS,
	DPU_A_QOS_USE_HLS_MCPU,
	DPU_A_QOS_USE_LS_MCPU,
	DPU_A_QOS_USE_BE_MCPU,
	DPU_A_QOS_USE_SYSTEM_MCPU,
	DPU_A_QOS_USE_MEM_TOTAL,
	DPU_A_QOS_USE_MEM_USED,
	DPU_A_QOS_USE_MEM_BE,
	DPU_A_QOS_USE_IO_ONLINE_HELD,
	DPU_A_QOS_USE_ALLOCSTALL,
	DPU_A_QOS_USE_IO_SATURATED,

	__DPU_A_QOS_USE_MAX,
	DPU_A_QOS_USE_MAX = __DPU_A_QOS_USE_MAX - 1
};

/* what changed in a decision, DPU_A_QOS_DEC_CHANGED bits */
#define DPU_QOS_CHANGE_CPU	(1 << 0)	/* BE CPU budget */
#define DPU_QOS_CHANGE_RECLAIM	(1 << 1)	/* reclaim started or ended */
#define DPU_QOS_CHANGE_EVICT	(1 << 2)	/* cgroups to evict */
#define DPU_QOS_CHANGE_IO	(1 << 3)	/* BE I/O cap on or off */
#define DPU_QOS_CHANGE_POLICY	(1 << 4)	/* the policy changed */
/* dpu.ko is being unloaded: QoS is off, BE released */
#define DPU_QOS_CHANGE_UNLOAD	(1 << 5)

/**
 * enum dpu_qos_decision_attr - a decision, nested in %DPU_A_QOS_DECISION
 * @DPU_A_QOS_DEC_SEQ: u32, bumped on every change
 * @DPU_A_QOS_DEC_CHANGED: u32, DPU_QOS_CHANGE_* bits of this change
 * @DPU_A_QOS_DEC_BE_CPU_MCPU: u32, CPU BE cgroups may use together,
 *	milli-CPUs
 * @DPU_A_QOS_DEC_ONLINE_MCPU: u32, online use the budget was computed
 *	from
 * @DPU_A_QOS_DEC_SYSTEM_MCPU: u32, system use the budget was computed from
 * @DPU_A_QOS_DEC_RECLAIM: u64, bytes BE cgroups should give back (0: none)
 * @DPU_A_QOS_DEC_EVICT: nested, one per cgroup to evict now, carrying
 *	%DPU_A_QOS_CGROUP_ID, %DPU_A_QOS_CGROUP and %DPU_A_QOS_MEM
 * @DPU_A_QOS_DEC_IO_CAP: u8, BE tenants' I/O is capped
 * @DPU_A_QOS_DEC_ENABLED: u8, 0 when QoS is off: BE is not held back
 */
enum dpu_qos_decision_attr {
	DPU_A_QOS_DEC_UNSPEC,
	DPU_A_QOS_DEC_PAD,
	DPU_A_QOS_DEC_SEQ,
	DPU_A_QOS_DEC_CHANGED,
	DPU_A_QOS_DEC_BE_CPU_MCPU,
	DPU_A_QOS_DEC_ONLINE_MCPU,
	DPU_A_QOS_DEC_SYSTEM_MCPU,
	DPU_A_QOS_DEC_RECLAIM,
	DPU_A_QOS_DEC_EVICT,
	DPU_A_QOS_DEC_IO_CAP,
	DPU_A_QOS_DEC_ENABLED,

	__DPU_A_QOS_DEC_MAX,
	DPU_A_QOS_DEC_MAX = __DPU_A_QOS_DEC_MAX - 1
};

/*
 * Asynchronous commands through io_uring: IORING_OP_URING_CMD on
 * /dev/dpu-ctl (mode 0600, CAP_NET_ADMIN), rings set up with
 * IORING_SETUP_SQE128, the command in sqe->cmd, sqe->cmd_op one of:
 *
 * %DPU_URING_CMD_FN_NEW: create a function and complete when it is ready
 *	(CQE res: its index) or not (res: negative errno: the attach error,
 *	-ETIMEDOUT, -ENODEV if the DPU lost it, -ECANCELED if it was deleted
 *	meanwhile). Validation errors complete at once with -EINVAL, -ENODEV...
 * %DPU_URING_CMD_FN_DEL: delete function @fn_index (CQE res 0 or -errno).
 *
 * Netlink remains the configuration and event interface; both paths share
 * the core's implementation and raise the same events.
 */
#define DPU_URING_CMD_FN_NEW	1
#define DPU_URING_CMD_FN_DEL	2

#define DPU_URING_F_INDEX	(1 << 0)	/* FN_NEW: use @fn_index */
#define DPU_URING_F_MAC		(1 << 1)	/* FN_NEW: use @mac */

/**
 * struct dpu_uring_fn_cmd - payload of the io_uring commands (40 bytes)
 * @dev_index: the DPU, N of dpuN
 * @fn_index: FN_DEL: the function; FN_NEW: with %DPU_URING_F_INDEX
 * @type: FN_NEW: &enum dpu_fn_type
 * @flags: %DPU_URING_F_*
 * @mac: FN_NEW of a net function: with %DPU_URING_F_MAC
 * @size: FN_NEW of a blk function: bytes
 * @tenant: FN_NEW: user pointer to the tenant name (not NUL-terminated
 *	necessarily), @tenant_len bytes
 * @tenant_len: 1 .. %DPU_TENANT_LEN - 1
 * @reserved: must be 0
 */
struct dpu_uring_fn_cmd {
	__u32 dev_index;
	__u32 fn_index;
	__u8 type;
	__u8 flags;
	__u8 mac[6];
	__u64 size;
	__u64 tenant;
	__u32 tenant_len;
	__u32 reserved;
};

#endif /* _UAPI_LINUX_DPU_H */
