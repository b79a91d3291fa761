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

#define DPU_GENL_NAME		"dpu"
#define DPU_GENL_VERSION	1

/* Length limits, including the terminating NUL. */
#define DPU_NAME_LEN		16	/* "dpu4294967295" fits */
#define DPU_BACKEND_LEN		16

/**
 * enum dpu_cmd - generic netlink commands of the "dpu" family
 * @DPU_CMD_UNSPEC: unused
 * @DPU_CMD_DEV_GET: get one DPU device (do: by %DPU_A_DEV_INDEX or
 *	%DPU_A_DEV_NAME) or all of them (dump); replies carry DPU_A_DEV_*
 */
enum dpu_cmd {
	DPU_CMD_UNSPEC,
	DPU_CMD_DEV_GET,

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

	__DPU_A_MAX,
	DPU_A_MAX = __DPU_A_MAX - 1
};

#endif /* _UAPI_LINUX_DPU_H */
