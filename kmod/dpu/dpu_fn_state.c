// SPDX-License-Identifier: GPL-2.0
/*
 * dpupool: the function state machine and names of types and states.
 * Pure logic, unit tested with KUnit on UML.
 */
#include <linux/export.h>
#include <linux/kernel.h>

#include "dpu_fn_lib.h"

/* allowed[from] is the set of states reachable from @from */
static const u8 dpu_fn_allowed[] = {
	[DPU_FN_STATE_CREATING] = BIT(DPU_FN_STATE_READY) |
				  BIT(DPU_FN_STATE_FAILED) |
				  BIT(DPU_FN_STATE_GONE) |
				  BIT(DPU_FN_STATE_REMOVING),
	[DPU_FN_STATE_READY] = BIT(DPU_FN_STATE_REMOVING) |
			       BIT(DPU_FN_STATE_GONE) |
			       BIT(DPU_FN_STATE_UNBOUND),
	[DPU_FN_STATE_FAILED] = BIT(DPU_FN_STATE_REMOVING),
	[DPU_FN_STATE_GONE] = BIT(DPU_FN_STATE_REMOVING),
	[DPU_FN_STATE_REMOVING] = 0,
	[DPU_FN_STATE_UNBOUND] = BIT(DPU_FN_STATE_READY) |
				 BIT(DPU_FN_STATE_REMOVING) |
				 BIT(DPU_FN_STATE_GONE),
};

/**
 * dpu_fn_state_can_move() - is @from -> @to a legal transition?
 * @from: current state
 * @to: wanted state
 *
 * Return: true if legal; false for illegal moves, unknown states and
 * staying in place.
 */
bool dpu_fn_state_can_move(unsigned int from, unsigned int to)
{
	if (from >= ARRAY_SIZE(dpu_fn_allowed) || !from)
		return false;
	if (to >= BITS_PER_BYTE * sizeof(dpu_fn_allowed[0]))
		return false;
	return dpu_fn_allowed[from] & BIT(to);
}

static const char * const dpu_fn_state_names[] = {
	[DPU_FN_STATE_CREATING] = "creating",
	[DPU_FN_STATE_READY] = "ready",
	[DPU_FN_STATE_REMOVING] = "removing",
	[DPU_FN_STATE_FAILED] = "failed",
	[DPU_FN_STATE_GONE] = "gone",
	[DPU_FN_STATE_UNBOUND] = "unbound",
};

const char *dpu_fn_state_name(unsigned int state)
{
	if (state >= ARRAY_SIZE(dpu_fn_state_names) ||
	    !dpu_fn_state_names[state])
		return "unknown";
	return dpu_fn_state_names[state];
}
EXPORT_SYMBOL_GPL(dpu_fn_state_name);

static const char * const dpu_fn_type_names[] = {
	[DPU_FN_TYPE_BLK] = "blk",
	[DPU_FN_TYPE_NET] = "net",
};

const char *dpu_fn_type_name(unsigned int type)
{
	if (type >= ARRAY_SIZE(dpu_fn_type_names) || !dpu_fn_type_names[type])
		return "unknown";
	return dpu_fn_type_names[type];
}
EXPORT_SYMBOL_GPL(dpu_fn_type_name);
