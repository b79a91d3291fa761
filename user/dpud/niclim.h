/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dpud's NIC limits in BPF (niclim.c), and the pure arithmetic it shares
 * with its tests.
 */
#ifndef DPUD_NICLIM_H
#define DPUD_NICLIM_H

#include <stdint.h>

#include "bpf/nic_limits.h"
#include "dpud.h"

/* 0, or a negative errno with err saying why (bpffs missing, load failed) */
int niclim_open(const struct dpud_config *cfg, char *err, size_t errlen);
/* the functions and tenants of a dump, for a DPU leaving host_kinds (bit
 * per DPU_LIMIT_KIND) to the host */
void niclim_sync(const struct dpud_actual *a, uint32_t host_kinds);
/* a tenant's (fn DPU_NL_NO_FN) or function's limits, from its event */
void niclim_limits_event(uint32_t fn, const char *tenant,
			 const uint64_t *rate, const uint64_t *burst);
/* keeps filters, programs and maps: the limits outlive the daemon */
void niclim_close(void);
/* its Prometheus lines (nothing before the programs are loaded) */
void niclim_metrics(FILE *f, const char *device);
int niclim_level_stats(uint32_t slot, struct dpu_nl_stats *sum);

/*
 * The burst of a level as time at its rate: burst units at rate per
 * second; a burst of 0 is a tenth of a second (as the kernel's limits),
 * at least one packet or 1500 bytes' worth. Saturates, never divides by 0.
 */
static inline uint64_t niclim_tau_ns(uint64_t rate, uint64_t burst)
{
	uint64_t ns;

	if (!rate)
		return 0;
	if (!burst)
		return 100000000ULL;
	if (burst > UINT64_MAX / 1000000000ULL)
		return UINT64_MAX / 2;
	ns = burst * 1000000000ULL / rate;
	return ns > UINT64_MAX / 2 ? UINT64_MAX / 2 : ns;
}


#endif /* DPUD_NICLIM_H */
