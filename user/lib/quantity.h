/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Kubernetes resource quantities, one parser for dpud's configuration and
 * dpu-provider's: "64Mi" = 64 * 2^20, "64M" = 64 * 10^6, "1.5Gi", "500m",
 * "2", "1e3", "100k" (the suffixes of k8s.io/apimachinery resource.Quantity:
 * Ki Mi Gi Ti Pi Ei, n u m k M G T P E, and decimal exponents). Pure C,
 * shared by libdpu and the provider.
 */
#ifndef DPU_QUANTITY_H
#define DPU_QUANTITY_H

#include <stdint.h>

/*
 * Parse @s into *out: the value itself (scale 1), or in thousandths
 * (scale 1000: "500m" -> 500, "2" -> 2000, for CPU). A fraction left below
 * one unit of the scale rounds up, as Kubernetes' Value()/MilliValue() do.
 * Negative quantities are refused. 0, -EINVAL (not a quantity) or -ERANGE
 * (beyond int64).
 */
int dpu_quantity_parse(const char *s, int64_t scale, int64_t *out);

#endif
