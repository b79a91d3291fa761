// SPDX-License-Identifier: GPL-2.0
/*
 * dpupool: rate limit helpers. Pure logic, unit tested with KUnit on UML.
 */
#include <linux/export.h>
#include <linux/kernel.h>
#include <linux/minmax.h>

#include "dpu_limits.h"

/* smallest default burst of a byte limit: one large request passes */
#define DPU_LIMIT_MIN_BYTE_BURST	(128 * 1024ULL)

/**
 * dpu_limit_burst() - the burst a limit runs with
 * @kind: &enum dpu_limit_kind
 * @l: the limit
 *
 * Return: the configured burst, or a tenth of a second's worth, at least
 * one request (one I/O, one packet, 128 KiB).
 */
u64 dpu_limit_burst(unsigned int kind, const struct dpu_limit *l)
{
	u64 min = dpu_limit_is_bytes(kind) ? DPU_LIMIT_MIN_BYTE_BURST : 1;

	if (l->burst)
		return l->burst;
	return max(l->rate / 10, min);
}
EXPORT_SYMBOL_GPL(dpu_limit_burst);

/**
 * dpu_limit_check() - is @l a valid limit?
 * @kind: &enum dpu_limit_kind
 * @l: the limit
 *
 * Return: NULL if valid, else a message saying what is wrong.
 */
const char *dpu_limit_check(unsigned int kind, const struct dpu_limit *l)
{
	if (kind >= DPU_LIM_NR)
		return "unknown limit";
	if (l->rate > DPU_LIMIT_RATE_MAX)
		return "limit rate above 10^12 per second";
	if (!l->rate && l->burst)
		return "limit burst given without a rate";
	if (l->burst > l->rate * 60)
		return "limit burst larger than a minute at the rate";
	return NULL;
}
EXPORT_SYMBOL_GPL(dpu_limit_check);

/* Does @lim limit anything of the blk (or else net) kinds? */
bool dpu_limits_any(const struct dpu_limits *lim, bool blk)
{
	unsigned int k;

	for (k = 0; k < DPU_LIM_NR; k++)
		if (dpu_limit_is_blk(k) == blk && lim->l[k].rate)
			return true;
	return false;
}
EXPORT_SYMBOL_GPL(dpu_limits_any);
