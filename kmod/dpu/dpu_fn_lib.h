/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dpupool: PCI-free helpers of the function code, built on UML for KUnit.
 */
#ifndef _DPU_FN_LIB_H
#define _DPU_FN_LIB_H

#include <linux/types.h>
#include <linux/dpu.h>

#define DPU_FN_SIZE_ALIGN	4096ULL
#define DPU_FN_SIZE_MAX		(64ULL << 40)

bool dpu_fn_state_can_move(unsigned int from, unsigned int to);
const char *dpu_fn_state_name(unsigned int state);
const char *dpu_fn_type_name(unsigned int type);

const char *dpu_tenant_name_check(const char *name);
const char *dpu_fn_size_check(u64 size);
const char *dpu_fn_mac_check(const u8 *mac);

#endif /* _DPU_FN_LIB_H */
