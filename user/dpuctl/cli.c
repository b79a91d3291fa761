// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "libdpu.h"

bool cli_matches(const char *arg, const char *word)
{
	size_t len = strlen(arg);

	return len && len <= strlen(word) && !strncmp(arg, word, len);
}

void cli_format_error(char *buf, size_t len, const char *what, int err,
		      const char *extack)
{
	const char *name = dpu_errno_name(err);
	const char *text = extack && *extack ? extack :
			   strerror(err < 0 ? -err : err);

	if (name)
		snprintf(buf, len, "%s: %s (%s)", what, text, name);
	else
		snprintf(buf, len, "%s: %s", what, text);
}

int cli_parse_fn_id(const char *s, char *dev, size_t devlen, uint32_t *index)
{
	const char *slash = strchr(s, '/');
	unsigned long v;
	char *end;

	if (!slash || slash == s || (size_t)(slash - s) >= devlen ||
	    !slash[1] || slash[1] == '-' || slash[1] == '+')
		return -1;
	errno = 0;
	v = strtoul(slash + 1, &end, 10);
	if (errno || *end || v > UINT32_MAX)
		return -1;
	memcpy(dev, s, (size_t)(slash - s));
	dev[slash - s] = '\0';
	*index = (uint32_t)v;
	return 0;
}

int cli_parse_u32(const char *s, uint32_t *out)
{
	unsigned long v;
	char *end;

	if (!*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > UINT32_MAX)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

int cli_parse_tenant_id(const char *s, char *dev, size_t devlen, char *name,
			size_t namelen)
{
	const char *slash = strchr(s, '/');

	if (!slash || slash == s || (size_t)(slash - s) >= devlen ||
	    !slash[1] || strchr(slash + 1, '/') || strlen(slash + 1) >= namelen)
		return -1;
	memcpy(dev, s, (size_t)(slash - s));
	dev[slash - s] = '\0';
	strcpy(name, slash + 1);
	return 0;
}

int cli_parse_limit(const char *kw, const char *val,
		    struct dpu_limits_req *lim)
{
	char kind[32];
	size_t len = strlen(kw);
	bool burst = len > 6 && !strcmp(kw + len - 6, "-burst");
	uint64_t v;
	int k;

	if (len >= sizeof(kind))
		return -ENOENT;
	memcpy(kind, kw, len + 1);
	if (burst)
		kind[len - 6] = '\0';
	k = dpu_limit_kind_parse(kind);
	if (k < 0)
		return -ENOENT;
	if (dpu_parse_rate(val, &v))
		return -EINVAL;
	if (burst) {
		lim->has_burst[k] = true;
		lim->burst[k] = v;
	} else {
		lim->has_rate[k] = true;
		lim->rate[k] = v;
	}
	return 0;
}

/* ------------------------------------------------------------- printing */

void cli_print_limits(struct out *o, const char *key, const char *text,
		      const uint64_t *rate, const uint64_t *burst)
{
	char buf[32], fmt[48];
	bool any = false;
	int k;

	for (k = 0; k < DPU_LIMIT_KINDS; k++) {
		if (!rate[k])
			continue;
		if (!any) {
			out_obj_open(o, key);
			if (text)
				out_text(o, text);
		}
		any = true;
		dpu_format_rate(rate[k], buf, sizeof(buf));
		snprintf(fmt, sizeof(fmt), " %s %%s", dpu_limit_names[k]);
		out_str(o, NULL, fmt, buf);
		out_u64(o, dpu_limit_names[k], NULL, rate[k]);
		dpu_format_rate(burst[k], buf, sizeof(buf));
		snprintf(fmt, sizeof(fmt), "%s-burst", dpu_limit_names[k]);
		out_u64(o, fmt, NULL, burst[k]);
		snprintf(fmt, sizeof(fmt), " %s-burst %%s", dpu_limit_names[k]);
		out_str(o, NULL, fmt, buf);
	}
	if (any)
		out_obj_close(o);
}

static void stat_count(struct out *o, const char *key, const char *fmt,
		       uint64_t v)
{
	out_u64(o, key, fmt, v);
}

static void stat_bytes(struct out *o, const char *key, const char *fmt,
		       uint64_t v)
{
	char buf[32];

	dpu_format_count(v, buf, sizeof(buf));
	out_str(o, NULL, fmt, buf);
	out_u64(o, key, NULL, v);
}

void cli_print_stats(struct out *o, const struct dpu_stats *st, bool text)
{
	char buf[32];

	out_obj_open(o, "stats");
	if (text)
		out_text(o, "\n    ");
	stat_count(o, "ios", text ? "ios %" PRIu64 : NULL, st->blk_ios);
	stat_bytes(o, "bytes", text ? " bytes %s" : NULL, st->blk_bytes);
	stat_count(o, "tx-packets", text ? " tx-packets %" PRIu64 : NULL,
		   st->tx_packets);
	stat_bytes(o, "tx-bytes", text ? " tx-bytes %s" : NULL, st->tx_bytes);
	stat_count(o, "rx-packets", text ? " rx-packets %" PRIu64 : NULL,
		   st->rx_packets);
	stat_bytes(o, "rx-bytes", text ? " rx-bytes %s" : NULL, st->rx_bytes);
	stat_count(o, "rx-dropped", text ? " rx-dropped %" PRIu64 : NULL,
		   st->rx_dropped);
	stat_count(o, "throttled", text ? " throttled %" PRIu64 : NULL,
		   st->throttled);
	dpu_format_ns(st->throttled_ns, buf, sizeof(buf));
	out_str(o, NULL, text ? " throttled-time %s" : NULL, buf);
	out_u64(o, "throttled-ns", NULL, st->throttled_ns);
	stat_count(o, "queued", text ? " queued %" PRIu64 : NULL, st->queued);
	out_obj_close(o);
}

void cli_print_fn_fields(struct out *o, const struct dpu_fn_info *f)
{
	char id[64], buf[64];

	snprintf(id, sizeof(id), "%s/%u", f->dev, f->index);
	out_str(o, "fn", "%s:", id);
	out_str(o, "dev", NULL, f->dev);
	out_u64(o, "index", NULL, f->index);
	out_str(o, "type", " type %s", dpu_fn_type_str(f->type));
	out_str(o, "state", " state %s", dpu_fn_state_str(f->state));
	out_str(o, "tenant", " tenant %s", f->tenant);
	if (f->has_size) {
		dpu_format_size(f->size, buf, sizeof(buf));
		out_str(o, NULL, " size %s", buf);
		out_u64(o, "size", NULL, f->size);
	}
	if (f->has_mac) {
		dpu_format_mac(f->mac, buf, sizeof(buf));
		out_str(o, "mac", " mac %s", buf);
	}
	if (f->blkdev[0])
		out_str(o, "blkdev", " blkdev %s", f->blkdev);
	if (f->netdev[0]) {
		out_str(o, "netdev", " netdev %s", f->netdev);
		out_u64(o, "ifindex", NULL, f->ifindex);
	} else if (f->has_netns_id) {
		/* in a pod's namespace: its ifindex there, no name here */
		out_u64(o, "ifindex", " ifindex %" PRIu64, f->ifindex);
		out_s64(o, "netns_id", " netns-id %" PRId64, f->netns_id);
	}
	if (f->has_error) {
		out_s64(o, "error", " error %" PRId64, f->error);
		if (dpu_errno_name(f->error))
			out_str(o, "error_name", " (%s)",
				dpu_errno_name(f->error));
	}
	if (f->has_numa_node)
		out_s64(o, "numa_node", " numa %" PRId64, f->numa_node);
	if (f->queues)
		out_u64(o, "queues", " queues %" PRIu64, f->queues);
	if (f->mtu)
		out_u64(o, "mtu", " mtu %" PRIu64, f->mtu);
	if (f->bus_addr[0])
		out_str(o, "bus_addr", " pci %s", f->bus_addr);
	if (f->reason[0])
		out_str(o, "reason", " reason \"%s\"", f->reason);
	cli_print_limits(o, "limits", NULL, f->limit_rate, f->limit_burst);
	cli_print_limits(o, "effective-limits", " effective", f->eff_rate,
			 f->eff_burst);
}

void cli_print_fn(struct out *o, const struct dpu_fn_info *f, bool stats_text)
{
	out_obj_open(o, NULL);
	cli_print_fn_fields(o, f);
	if (f->has_stats)
		cli_print_stats(o, &f->stats, stats_text);
	out_text(o, "\n");
	out_obj_close(o);
}

void cli_print_tenant_fields(struct out *o, const struct dpu_tenant_info *t)
{
	char id[DPU_NAME_LEN + DPU_TENANT_LEN + 1];

	snprintf(id, sizeof(id), "%s/%s", t->dev, t->name);
	out_str(o, NULL, "%s:", id);
	out_str(o, "dev", NULL, t->dev);
	out_str(o, "name", NULL, t->name);
	if (t->parent[0])
		out_str(o, "parent", " parent %s", t->parent);
	else
		out_text(o, " parent -");
	out_u64(o, "depth", " depth %" PRIu64, t->depth);
	out_u64(o, "fns", " fns %" PRIu64, t->num_fns);
	out_u64(o, "children", " children %" PRIu64, t->num_children);
	cli_print_limits(o, "limits", " limits", t->limit_rate,
			 t->limit_burst);
	if (t->qos_class)
		out_str(o, "qos", " qos %s", dpu_qos_class_str(t->qos_class));
	if (t->qos_capped) {
		out_bool(o, "qos_capped", NULL, true);
		out_text(o, " io-capped");
	}
}

void cli_print_tenant(struct out *o, const struct dpu_tenant_info *t,
		      bool stats_text)
{
	out_obj_open(o, NULL);
	cli_print_tenant_fields(o, t);
	if (t->has_stats)
		cli_print_stats(o, &t->stats, stats_text);
	out_text(o, "\n");
	out_obj_close(o);
}
