// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libdpu: names, sizes and MAC addresses.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "libdpu.h"

const char *dpu_fn_type_str(uint8_t type)
{
	switch (type) {
	case DPU_FN_TYPE_BLK: return "blk";
	case DPU_FN_TYPE_NET: return "net";
	default: return "unknown";
	}
}

const char *dpu_fn_state_str(uint8_t state)
{
	switch (state) {
	case DPU_FN_STATE_CREATING: return "creating";
	case DPU_FN_STATE_READY: return "ready";
	case DPU_FN_STATE_REMOVING: return "removing";
	case DPU_FN_STATE_FAILED: return "failed";
	case DPU_FN_STATE_GONE: return "gone";
	case DPU_FN_STATE_UNBOUND: return "unbound";
	default: return "unknown";
	}
}

int dpu_fn_type_parse(const char *s)
{
	if (!strcmp(s, "blk"))
		return DPU_FN_TYPE_BLK;
	if (!strcmp(s, "net"))
		return DPU_FN_TYPE_NET;
	return -EINVAL;
}

/* Leading decimal digits of *p into *v, *p moved past them. */
static int parse_decimal(const char **p, uint64_t *v)
{
	const char *c = *p;

	if (!isdigit((unsigned char)*c))
		return -EINVAL;
	for (*v = 0; isdigit((unsigned char)*c); c++) {
		if (*v > (UINT64_MAX - 9) / 10)
			return -ERANGE;
		*v = *v * 10 + (uint64_t)(*c - '0');
	}
	*p = c;
	return 0;
}

int dpu_parse_size(const char *s, uint64_t *out)
{
	static const char units[] = "KMGTPE";
	const char *p = s, *u;
	uint64_t v;
	int shift = 0, ret;

	ret = parse_decimal(&p, &v);
	if (ret)
		return ret;
	if (*p) {
		u = strchr(units, toupper((unsigned char)*p));
		if (!u)
			return -EINVAL;
		shift = 10 * (int)(u - units + 1);
		p++;
		if (!strcasecmp(p, "ib") || !strcasecmp(p, "b"))
			p += strlen(p);
		if (*p)
			return -EINVAL;
	}
	if (shift && v > (UINT64_MAX >> shift))
		return -ERANGE;
	*out = v << shift;
	return 0;
}

void dpu_format_size(uint64_t v, char *buf, size_t len)
{
	static const char units[] = "KMGTPE";
	int i = -1;

	while (v && !(v & 1023) && i < 5) {
		v >>= 10;
		i++;
	}
	if (i < 0)
		snprintf(buf, len, "%" PRIu64, v);
	else
		snprintf(buf, len, "%" PRIu64 "%c", v, units[i]);
}

int dpu_parse_mac(const char *s, uint8_t mac[6])
{
	unsigned int b[6];
	char end;
	int i;

	if (strlen(s) != 17)
		return -EINVAL;
	for (i = 0; i < 17; i++) {
		if (i % 3 == 2 ? s[i] != ':' : !isxdigit((unsigned char)s[i]))
			return -EINVAL;
	}
	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2],
		   &b[3], &b[4], &b[5], &end) != 6)
		return -EINVAL;
	for (i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return 0;
}

void dpu_format_mac(const uint8_t mac[6], char *buf, size_t len)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x",
		 mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
}

const char *const dpu_limit_names[DPU_LIMIT_KINDS] = {
	"iops", "read-iops", "write-iops", "bps", "read-bps", "write-bps",
	"tx-bps", "rx-bps", "tx-pps", "rx-pps",
};

int dpu_limit_kind_parse(const char *name)
{
	int k;

	for (k = 0; k < DPU_LIMIT_KINDS; k++)
		if (!strcmp(name, dpu_limit_names[k]))
			return k;
	return -EINVAL;
}

bool dpu_limit_is_bytes(int kind)
{
	return strstr(dpu_limit_names[kind], "bps") != NULL;
}

int dpu_parse_rate(const char *s, uint64_t *out)
{
	static const char units[] = "kMGT";
	uint64_t v, mul = 1;
	const char *p = s, *u;
	int ret;

	ret = parse_decimal(&p, &v);
	if (ret)
		return ret;
	if (*p) {
		u = strchr(units, *p == 'K' ? 'k' : *p);
		if (!u || p[1])
			return -EINVAL;
		for (int i = 0; i <= u - units; i++)
			mul *= 1000;
	}
	if (v > UINT64_MAX / mul)
		return -ERANGE;
	*out = v * mul;
	return 0;
}

void dpu_format_rate(uint64_t v, char *buf, size_t len)
{
	static const char units[] = "kMGT";
	int i = -1;

	while (v && !(v % 1000) && i < 3) {
		v /= 1000;
		i++;
	}
	if (i < 0)
		snprintf(buf, len, "%" PRIu64, v);
	else
		snprintf(buf, len, "%" PRIu64 "%c", v, units[i]);
}

void dpu_format_count(uint64_t v, char *buf, size_t len)
{
	static const char units[] = "kMGTPE";
	uint64_t div = 1;
	int i = -1;

	if (v < 1000) {
		snprintf(buf, len, "%" PRIu64, v);
		return;
	}
	/* the largest unit under which it still reads >= 1.0, then move up
	 * when rounding to a tenth would print 1000.0 */
	while (i < 5 && v / div >= 1000) {
		div *= 1000;
		i++;
	}
	if (i < 5 && (v / (div / 10) + (v % (div / 10) >= div / 20)) >= 10000) {
		div *= 1000;
		i++;
	}
	snprintf(buf, len, "%.1f%c", (double)v / (double)div, units[i]);
}

void dpu_format_ns(uint64_t ns, char *buf, size_t len)
{
	if (!ns)
		snprintf(buf, len, "0s");
	else if (ns < 1000)
		snprintf(buf, len, "%" PRIu64 "ns", ns);
	else if (ns < 999995ULL)
		snprintf(buf, len, "%.2fus", (double)ns / 1e3);
	else if (ns < 999995000ULL)
		snprintf(buf, len, "%.2fms", (double)ns / 1e6);
	else
		snprintf(buf, len, "%.2fs", (double)ns / 1e9);
}
