// SPDX-License-Identifier: GPL-2.0
/*
 * dpupool: rate limit helpers. Pure logic, unit tested with KUnit on UML.
 */
#include <linux/bits.h>
#include <linux/export.h>
#include <linux/kernel.h>
#include <linux/minmax.h>

#include "dpu_limits.h"

/* smallest default burst of a byte limit: one large request passes */
#define DPU_LIMIT_MIN_BYTE_BURST	(128 * 1024ULL)

/*
 * The uapi's attribute numbers per kind, spelled out: the internal enum
 * may be reordered or grow without touching the ABI.
 */
static const struct {
	u16 rate;
	u16 burst;
} dpu_limit_attrs[DPU_LIM_NR] = {
	[DPU_LIM_BLK_IOPS] = { DPU_A_LIMIT_BLK_IOPS, DPU_A_LIMIT_BLK_IOPS_BURST },
	[DPU_LIM_BLK_READ_IOPS] = { DPU_A_LIMIT_BLK_READ_IOPS,
				    DPU_A_LIMIT_BLK_READ_IOPS_BURST },
	[DPU_LIM_BLK_WRITE_IOPS] = { DPU_A_LIMIT_BLK_WRITE_IOPS,
				     DPU_A_LIMIT_BLK_WRITE_IOPS_BURST },
	[DPU_LIM_BLK_BPS] = { DPU_A_LIMIT_BLK_BPS, DPU_A_LIMIT_BLK_BPS_BURST },
	[DPU_LIM_BLK_READ_BPS] = { DPU_A_LIMIT_BLK_READ_BPS,
				   DPU_A_LIMIT_BLK_READ_BPS_BURST },
	[DPU_LIM_BLK_WRITE_BPS] = { DPU_A_LIMIT_BLK_WRITE_BPS,
				    DPU_A_LIMIT_BLK_WRITE_BPS_BURST },
	[DPU_LIM_NET_TX_BPS] = { DPU_A_LIMIT_NET_TX_BPS,
				 DPU_A_LIMIT_NET_TX_BPS_BURST },
	[DPU_LIM_NET_RX_BPS] = { DPU_A_LIMIT_NET_RX_BPS,
				 DPU_A_LIMIT_NET_RX_BPS_BURST },
	[DPU_LIM_NET_TX_PPS] = { DPU_A_LIMIT_NET_TX_PPS,
				 DPU_A_LIMIT_NET_TX_PPS_BURST },
	[DPU_LIM_NET_RX_PPS] = { DPU_A_LIMIT_NET_RX_PPS,
				 DPU_A_LIMIT_NET_RX_PPS_BURST },
};

unsigned int dpu_limit_rate_attr(unsigned int kind)
{
	return dpu_limit_attrs[kind].rate;
}
EXPORT_SYMBOL_GPL(dpu_limit_rate_attr);

unsigned int dpu_limit_burst_attr(unsigned int kind)
{
	return dpu_limit_attrs[kind].burst;
}
EXPORT_SYMBOL_GPL(dpu_limit_burst_attr);

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

/**
 * dpu_limits_apply() - apply a change to limits, all or nothing
 * @lim: the limits in force; changed only if the result is valid
 * @chg: the change: a rate of 0 removes a limit (and its burst)
 * @bad: set to the attribute of the first invalid kind, if any
 *
 * Return: NULL, or a message saying what is wrong (@lim unchanged).
 */
const char *dpu_limits_apply(struct dpu_limits *lim,
			     const struct dpu_limits_change *chg,
			     const struct nlattr **bad)
{
	struct dpu_limits res = *lim;
	const char *msg;
	unsigned int k;

	for (k = 0; k < DPU_LIM_NR; k++) {
		struct dpu_limit *l = &res.l[k];

		if (!(chg->rate & BIT(k)) && !(chg->burst & BIT(k)))
			continue;
		if (chg->rate & BIT(k)) {
			l->rate = chg->lim.l[k].rate;
			if (!l->rate)
				l->burst = 0;
		}
		if (chg->burst & BIT(k))
			l->burst = chg->lim.l[k].burst;
		msg = dpu_limit_check(k, l);
		if (msg) {
			if (bad)
				*bad = chg->attr[k];
			return msg;
		}
	}
	*lim = res;
	return NULL;
}
EXPORT_SYMBOL_GPL(dpu_limits_apply);

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
