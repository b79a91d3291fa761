// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dpuctl: iproute2-style command line for dpupool.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "cli.h"
#include "dpuctl.h"
#include "libdpu.h"
#include "out.h"

#ifndef DPUPOOL_VERSION
#error "DPUPOOL_VERSION comes from ../VERSION (user/Makefile)"
#endif

struct out out;
struct dpu_nl *nl;

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: dpuctl [OPTIONS] OBJECT COMMAND [ARGS]\n"
		"OBJECT := { dev | tenant | fn | qos | nic | monitor }\n"
		"OPTIONS := { -j[son] | -p[retty] | -s[tats] | -V[ersion] | -h[elp] }\n"
		"\n"
		"       dpuctl dev show [ DEV ]\n"
		"       dpuctl tenant add DEV/NAME [ parent PARENT ] [ LIMIT RATE ] [ LIMIT-burst N ]...\n"
		"                         [ qos CLASS ]\n"
		"       dpuctl tenant set DEV/NAME [ parent { PARENT | none } ] [ LIMIT RATE ]\n"
		"                         [ LIMIT-burst N ]... [ qos { CLASS | none } ]\n"
		"       dpuctl tenant del DEV/NAME\n"
		"       dpuctl tenant show [ DEV | DEV/NAME ]\n"
		"       dpuctl fn add dev DEV type blk size SIZE tenant NAME [ index N ] [ queues N ]\n"
		"                     [ wait [ timeout SEC ] | count N ]\n"
		"       dpuctl fn add dev DEV type net [ mac MAC ] tenant NAME [ index N ] [ mtu N ]\n"
		"                     [ wait [ timeout SEC ] ]\n"
		"       dpuctl fn del DEV/INDEX\n"
		"       dpuctl fn set DEV/INDEX [ tenant NAME ] [ LIMIT RATE ] [ LIMIT-burst N ]...\n"
		"       dpuctl fn show [ DEV | DEV/INDEX ]\n"
		"       dpuctl qos show\n"
		"       dpuctl qos set POLICY VALUE...\n"
		"       dpuctl qos class set CGROUP CLASS [ priority N ]\n"
		"       dpuctl qos class del CGROUP\n"
		"       dpuctl qos class show [ CGROUP ]\n"
		"       dpuctl qos monitor\n"
		"       dpuctl nic show [ DEV ]   (NIC limits the host enforces: dpud's BPF)\n"
		"       dpuctl monitor\n"
		"SIZE := NUMBER[K|M|G|T] (binary multiples), MAC := xx:xx:xx:xx:xx:xx\n"
		"LIMIT := { iops | read-iops | write-iops | bps | read-bps | write-bps |\n"
		"           tx-bps | rx-bps | tx-pps | rx-pps }, per second\n"
		"RATE := NUMBER[k|M|G|T] (decimal multiples), 0 removes the limit\n"
		"NAME := tenant name, [A-Za-z0-9_.-], 1..63 characters\n"
		"CLASS := { hls | ls | be }, CGROUP := cgroup v2 path from its root (/kubepods/besteffort)\n"
		"POLICY := { enabled on|off | interval-ms | cpu-threshold (%%) | cpu-be-min (mCPU) |\n"
		"            cpu-hysteresis (mCPU) | cpu-release-ms | mem-high (%%) | mem-low (%%) |\n"
		"            mem-reclaim-ms | mem-cooldown-ms | io-be-iops RATE | io-be-bps RATE }\n");
}

int fail(const char *what, int err)
{
	char buf[512];

	cli_format_error(buf, sizeof(buf), what, err,
			 nl ? dpu_nl_errmsg(nl) : NULL);
	fprintf(stderr, "dpuctl: %s\n", buf);
	return 1;
}

int nl_connect(void)
{
	char err[256];

	if (nl)
		return 0;
	nl = dpu_nl_open(err, sizeof(err));
	if (!nl) {
		fprintf(stderr, "dpuctl: %s\n", err);
		return 1;
	}
	return 0;
}

static int dev_print(const struct dpu_dev_info *d, void *arg)
{
	(void)arg;
	out_obj_open(&out, NULL);
	out_str(&out, "dev", "%s:", d->name);
	out_u64(&out, "index", " index %" PRIu64, d->index);
	out_str(&out, "backend", " backend %s", d->backend);
	if (d->bus[0])
		out_str(&out, "bus", " bus %s", d->bus);
	if (d->parent[0])
		out_str(&out, "parent", " parent %s", d->parent);
	if (d->has_numa_node)
		out_s64(&out, "numa_node", " numa %" PRId64, d->numa_node);
	if (d->has_caps) {
		char types[16], buf[32], fmt[48];
		bool any = false;
		int k;

		snprintf(types, sizeof(types), "%s%s%s",
			 d->fn_types & (1u << DPU_FN_TYPE_BLK) ? "blk" : "",
			 d->fn_types == ((1u << DPU_FN_TYPE_BLK) |
					 (1u << DPU_FN_TYPE_NET)) ? "," : "",
			 d->fn_types & (1u << DPU_FN_TYPE_NET) ? "net" : "");
		out_str(&out, "fn_types", "\n    types %s", types);
		out_u64(&out, "tenant_depth", " tenant-depth %" PRIu64,
			d->tenant_depth);
		if (d->burst_ms_max)
			out_u64(&out, "burst_ms_max", " burst-max %" PRIu64 "ms",
				d->burst_ms_max);
		if (d->max_queues)
			out_u64(&out, "max_queues", " max-queues %" PRIu64,
				d->max_queues);
		if (d->max_mtu)
			out_u64(&out, "max_mtu", " max-mtu %" PRIu64, d->max_mtu);
		/* the highest rate of each kind enforced; absent: not enforced */
		for (k = 0; k < DPU_LIMIT_KINDS; k++) {
			if (!d->limit_max[k])
				continue;
			if (!any) {
				out_obj_open(&out, "limit_max");
				out_text(&out, "\n    max");
			}
			any = true;
			dpu_format_rate(d->limit_max[k], buf, sizeof(buf));
			snprintf(fmt, sizeof(fmt), " %s %%s", dpu_limit_names[k]);
			out_str(&out, NULL, fmt, buf);
			out_u64(&out, dpu_limit_names[k], NULL, d->limit_max[k]);
		}
		if (any)
			out_obj_close(&out);
		else
			out_text(&out, "\n    no limits enforced");
		/* kinds the DPU leaves to the host: dpud enforces them (BPF) */
		if (d->host_limits) {
			out_arr_open(&out, "host_limits");
			out_text(&out, "\n    host-enforced");
			for (k = 0; k < DPU_LIMIT_KINDS; k++)
				if (d->host_limits & (1u << k))
					out_str(&out, NULL, " %s",
						dpu_limit_names[k]);
			out_arr_close(&out);
		}
	}
	if (d->io_capacity_iops || d->io_capacity_bps || d->has_io_load) {
		char buf[32];

		out_text(&out, "\n    io");
		if (d->io_capacity_iops) {
			dpu_format_rate(d->io_capacity_iops, buf, sizeof(buf));
			out_u64(&out, "io_capacity_iops", NULL, d->io_capacity_iops);
			out_str(&out, NULL, " capacity iops %s", buf);
		}
		if (d->io_capacity_bps) {
			dpu_format_rate(d->io_capacity_bps, buf, sizeof(buf));
			out_u64(&out, "io_capacity_bps", NULL, d->io_capacity_bps);
			out_str(&out, NULL, " bps %s", buf);
		}
		if (d->has_io_load) {
			dpu_format_rate(d->io_load_iops, buf, sizeof(buf));
			out_u64(&out, "io_load_iops", NULL, d->io_load_iops);
			out_str(&out, NULL, " load iops %s", buf);
			dpu_format_rate(d->io_load_bps, buf, sizeof(buf));
			out_u64(&out, "io_load_bps", NULL, d->io_load_bps);
			out_str(&out, NULL, " bps %s", buf);
			out_bool(&out, "io_saturated", NULL, d->io_saturated);
			if (d->io_saturated)
				out_text(&out, " saturated");
		}
	}
	out_text(&out, "\n");
	out_obj_close(&out);
	return 0;
}

static int cmd_dev_show(int argc, char **argv)
{
	struct dpu_dev_info info;
	const char *name = NULL;
	char what[64];
	int err;

	if (argc > 1) {
		fprintf(stderr, "dpuctl: dev show: unexpected argument \"%s\"\n",
			argv[1]);
		return 2;
	}
	if (argc == 1)
		name = argv[0];
	if (nl_connect())
		return 1;

	out_arr_open(&out, NULL);
	if (name) {
		err = dpu_dev_get(nl, name, 0, &info);
		if (!err)
			dev_print(&info, NULL);
	} else {
		err = dpu_dev_dump(nl, dev_print, NULL);
	}
	out_finish(&out);
	if (err) {
		snprintf(what, sizeof(what), "dev show%s%s",
			 name ? " " : "", name ? name : "");
		return fail(what, err);
	}
	return 0;
}


/* ------------------------------------------------------------ functions */

static bool show_stats;	/* -s: counters in text too */

/* DEV and NAME of DEV/NAME as given: libdpu names those too long */
#define CLI_ARG_LEN 256

static int fn_print(const struct dpu_fn_info *f, void *arg)
{
	(void)arg;
	cli_print_fn(&out, f, show_stats);
	return 0;
}

int need_arg(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "dpuctl: \"%s\" needs a value\n", argv[0]);
		return -1;
	}
	return 0;
}

/* LIMIT RATE or LIMIT-burst N into lim; -1 (message printed) if neither */
static int limit_arg(const char *cmd, char **argv, struct dpu_limits_req *lim)
{
	switch (cli_parse_limit(argv[0], argv[1], lim)) {
	case 0:
		return 0;
	case -EINVAL:
		fprintf(stderr, "dpuctl: %s: %s \"%s\" is not a rate (e.g. 2000, 5k, 100M)\n",
			cmd, argv[0], argv[1]);
		return -1;
	default:
		fprintf(stderr, "dpuctl: %s: unknown argument \"%s\"\n", cmd,
			argv[0]);
		return -1;
	}
}

/* count N: one io_uring batch, each command completing when ready */
static int fn_add_batch(const struct dpu_fn_new_args *a, uint32_t count)
{
	struct dpu_dev_info d;
	struct dpu_fn_info info;
	char err[256], what[64];
	int *res, ret, failed = 0;
	uint32_t i;

	ret = dpu_dev_get(nl, a->dev, 0, &d);
	if (ret) {
		snprintf(what, sizeof(what), "fn add dev %s", a->dev);
		return fail(what, ret);
	}
	res = calloc(count, sizeof(*res));
	if (!res)
		return fail("fn add", -ENOMEM);
	ret = dpu_fn_new_batch(d.index, a, count, res, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "dpuctl: fn add: %s\n", err);
		free(res);
		return 1;
	}
	out_arr_open(&out, NULL);
	for (i = 0; i < count; i++) {
		if (res[i] >= 0 && !dpu_fn_get(nl, d.name, (uint32_t)res[i], &info)) {
			fn_print(&info, NULL);
			continue;
		}
		failed++;
		fprintf(stderr, "dpuctl: fn add dev %s: attach %u of %u failed: %s (%s)\n",
			d.name, i + 1, count, strerror(res[i] < 0 ? -res[i] : EIO),
			dpu_errno_name(res[i]) ? dpu_errno_name(res[i]) : "?");
	}
	out_finish(&out);
	free(res);
	return failed ? 1 : 0;
}

static int cmd_fn_add(int argc, char **argv)
{
	struct dpu_fn_new_args a = { 0 };
	struct dpu_fn_info info;
	struct dpu_nl *ev = NULL;
	bool wait = false, has_size = false;
	uint32_t timeout_s = 30, count = 0;
	char err[256], what[128];
	int ret, t;

	for (; argc > 0; argc -= 2, argv += 2) {
		if (!strcmp(argv[0], "wait")) {
			wait = true;
			argc++, argv--;	/* a flag: no value */
			continue;
		}
		if (need_arg(argc, argv))
			return 2;
		if (!strcmp(argv[0], "dev")) {
			a.dev = argv[1];
		} else if (!strcmp(argv[0], "type")) {
			t = dpu_fn_type_parse(argv[1]);
			if (t < 0) {
				fprintf(stderr, "dpuctl: fn add: type \"%s\" is neither blk nor net\n",
					argv[1]);
				return 2;
			}
			a.type = (uint8_t)t;
		} else if (!strcmp(argv[0], "size")) {
			if (dpu_parse_size(argv[1], &a.size)) {
				fprintf(stderr, "dpuctl: fn add: size \"%s\" is not a size (e.g. 4096, 512M, 4G)\n",
					argv[1]);
				return 2;
			}
			has_size = true;
		} else if (!strcmp(argv[0], "mac")) {
			if (dpu_parse_mac(argv[1], a.mac)) {
				fprintf(stderr, "dpuctl: fn add: mac \"%s\" is not xx:xx:xx:xx:xx:xx\n",
					argv[1]);
				return 2;
			}
			a.has_mac = true;
		} else if (!strcmp(argv[0], "tenant")) {
			a.tenant = argv[1];
		} else if (!strcmp(argv[0], "index")) {
			if (cli_parse_u32(argv[1], &a.index)) {
				fprintf(stderr, "dpuctl: fn add: index \"%s\" is not a number\n",
					argv[1]);
				return 2;
			}
			a.has_index = true;
		} else if (!strcmp(argv[0], "queues")) {
			if (cli_parse_u32(argv[1], &a.queues) || !a.queues ||
			    a.queues > 65535) {
				fprintf(stderr, "dpuctl: fn add: queues \"%s\" is not 1..65535\n",
					argv[1]);
				return 2;
			}
		} else if (!strcmp(argv[0], "mtu")) {
			if (cli_parse_u32(argv[1], &a.mtu) || !a.mtu || a.mtu > 65535) {
				fprintf(stderr, "dpuctl: fn add: mtu \"%s\" is not 1..65535\n",
					argv[1]);
				return 2;
			}
		} else if (!strcmp(argv[0], "count")) {
			if (cli_parse_u32(argv[1], &count) || !count ||
			    count > 65536) {
				fprintf(stderr, "dpuctl: fn add: count \"%s\" is not 1..65536\n",
					argv[1]);
				return 2;
			}
		} else if (!strcmp(argv[0], "timeout")) {
			if (cli_parse_u32(argv[1], &timeout_s)) {
				fprintf(stderr, "dpuctl: fn add: timeout \"%s\" is not a number of seconds\n",
					argv[1]);
				return 2;
			}
		} else {
			fprintf(stderr, "dpuctl: fn add: unknown argument \"%s\"\n",
				argv[0]);
			return 2;
		}
	}
	if (!a.dev || !a.type || !a.tenant) {
		fprintf(stderr, "dpuctl: fn add: dev, type and tenant are required\n");
		return 2;
	}
	if (a.type == DPU_FN_TYPE_BLK && !has_size) {
		fprintf(stderr, "dpuctl: fn add: a blk function needs a size\n");
		return 2;
	}
	if (a.type == DPU_FN_TYPE_NET && has_size) {
		fprintf(stderr, "dpuctl: fn add: a net function has no size\n");
		return 2;
	}
	if (a.type == DPU_FN_TYPE_BLK && a.has_mac) {
		fprintf(stderr, "dpuctl: fn add: a blk function has no mac\n");
		return 2;
	}
	if (count && (wait || a.has_index || a.has_mac)) {
		fprintf(stderr, "dpuctl: fn add: count does not go with wait, index or mac (a batch waits anyway)\n");
		return 2;
	}
	if (count && (a.queues || a.mtu)) {
		fprintf(stderr, "dpuctl: fn add: count does not go with queues or mtu (a batch gets the DPU's defaults)\n");
		return 2;
	}
	if (nl_connect())
		return 1;
	if (count)
		return fn_add_batch(&a, count);
	if (wait) {
		/* subscribe before asking, so that no event is missed */
		ev = dpu_nl_open_events(err, sizeof(err));
		if (!ev) {
			fprintf(stderr, "dpuctl: fn add: %s\n", err);
			return 1;
		}
	}
	ret = dpu_fn_new(nl, &a, &info);
	if (ret) {
		dpu_nl_close(ev);
		snprintf(what, sizeof(what), "fn add dev %s", a.dev);
		return fail(what, ret);
	}
	if (wait && info.state == DPU_FN_STATE_CREATING) {
		ret = dpu_fn_wait(ev, info.dev, info.index,
				  (int)(timeout_s * 1000), &info);
		if (ret == -ETIMEDOUT) {
			fprintf(stderr, "dpuctl: fn add: %s/%u still creating after %u s\n",
				info.dev, info.index, timeout_s);
			dpu_nl_close(ev);
			return 1;
		}
	}
	dpu_nl_close(ev);
	out_arr_open(&out, NULL);
	fn_print(&info, NULL);
	out_finish(&out);
	if (wait && info.state != DPU_FN_STATE_READY) {
		fprintf(stderr, "dpuctl: fn add: %s/%u is %s%s%s\n", info.dev,
			info.index, dpu_fn_state_str(info.state),
			info.has_error ? ": " : "",
			info.has_error ? strerror(-info.error) : "");
		return 1;
	}
	return 0;
}

static int fn_id_arg(const char *cmd, const char *arg, char *dev,
		     size_t devlen, uint32_t *index)
{
	if (cli_parse_fn_id(arg, dev, devlen, index)) {
		fprintf(stderr, "dpuctl: fn %s: \"%s\" is not DEV/INDEX (e.g. dpu0/3)\n",
			cmd, arg);
		return -1;
	}
	return 0;
}

static int cmd_fn_del(int argc, char **argv)
{
	char dev[DPU_NAME_LEN + 8], what[128];
	uint32_t index;
	int ret;

	if (argc != 1) {
		fprintf(stderr, "dpuctl: fn del: expected DEV/INDEX\n");
		return 2;
	}
	if (fn_id_arg("del", argv[0], dev, sizeof(dev), &index))
		return 2;
	if (nl_connect())
		return 1;
	ret = dpu_fn_del(nl, dev, index);
	if (ret) {
		snprintf(what, sizeof(what), "fn del %s", argv[0]);
		return fail(what, ret);
	}
	return 0;
}

static int cmd_fn_set(int argc, char **argv)
{
	char dev[DPU_NAME_LEN + 8], what[128];
	struct dpu_limits_req lim = { 0 };
	struct dpu_fn_info info;
	const char *tenant = NULL;
	bool has_lim = false;
	uint32_t index;
	int ret;

	if (argc < 1 || fn_id_arg("set", argv[0], dev, sizeof(dev), &index))
		return 2;
	for (argc--, argv++; argc > 0; argc -= 2, argv += 2) {
		if (need_arg(argc, argv))
			return 2;
		if (!strcmp(argv[0], "tenant")) {
			tenant = argv[1];
			continue;
		}
		if (limit_arg("fn set", argv, &lim))
			return 2;
		has_lim = true;
	}
	if (!tenant && !has_lim) {
		fprintf(stderr, "dpuctl: fn set: nothing to set (tenant NAME, or a limit)\n");
		return 2;
	}
	if (nl_connect())
		return 1;
	ret = dpu_fn_set(nl, dev, index, tenant, has_lim ? &lim : NULL, &info);
	if (ret) {
		snprintf(what, sizeof(what), "fn set %s/%u", dev, index);
		return fail(what, ret);
	}
	out_arr_open(&out, NULL);
	fn_print(&info, NULL);
	out_finish(&out);
	return 0;
}

static int cmd_fn_show(int argc, char **argv)
{
	char dev[DPU_NAME_LEN + 8], what[128];
	struct dpu_fn_info info;
	uint32_t index;
	int ret;

	if (argc > 1) {
		fprintf(stderr, "dpuctl: fn show: unexpected argument \"%s\"\n",
			argv[1]);
		return 2;
	}
	if (nl_connect())
		return 1;
	out_arr_open(&out, NULL);
	if (argc == 1 && strchr(argv[0], '/')) {
		if (fn_id_arg("show", argv[0], dev, sizeof(dev), &index))
			return 2;
		ret = dpu_fn_get(nl, dev, index, &info);
		if (!ret)
			fn_print(&info, NULL);
	} else {
		ret = dpu_fn_dump(nl, argc ? argv[0] : NULL, fn_print, NULL);
	}
	out_finish(&out);
	if (ret) {
		snprintf(what, sizeof(what), "fn show%s%s", argc ? " " : "",
			 argc ? argv[0] : "");
		return fail(what, ret);
	}
	return 0;
}

static int cmd_fn(int argc, char **argv)
{
	if (argc == 0 || cli_matches(argv[0], "show") ||
	    cli_matches(argv[0], "list"))
		return cmd_fn_show(argc ? argc - 1 : 0, argv + 1);
	if (cli_matches(argv[0], "add"))
		return cmd_fn_add(argc - 1, argv + 1);
	if (cli_matches(argv[0], "del") || cli_matches(argv[0], "delete"))
		return cmd_fn_del(argc - 1, argv + 1);
	if (cli_matches(argv[0], "set"))
		return cmd_fn_set(argc - 1, argv + 1);
	fprintf(stderr, "dpuctl: fn: unknown command \"%s\", try \"dpuctl help\"\n",
		argv[0]);
	return 2;
}

/* -------------------------------------------------------------- tenants */

static int tenant_print(const struct dpu_tenant_info *t, void *arg)
{
	(void)arg;
	cli_print_tenant(&out, t, show_stats);
	return 0;
}

static int tenant_id_arg(const char *cmd, int argc, char **argv, char *dev,
			 size_t devlen, char *name, size_t namelen)
{
	if (argc < 1) {
		fprintf(stderr, "dpuctl: tenant %s: expected DEV/NAME (e.g. dpu0/acme)\n",
			cmd);
		return -1;
	}
	if (cli_parse_tenant_id(argv[0], dev, devlen, name, namelen)) {
		fprintf(stderr, "dpuctl: tenant %s: \"%s\" is not DEV/NAME (e.g. dpu0/acme)\n",
			cmd, argv[0]);
		return -1;
	}
	return 0;
}

/* "none" or "-" as a parent: a root tenant */
static const char *parent_arg(const char *s)
{
	return !strcmp(s, "none") || !strcmp(s, "-") ? "" : s;
}

/* tenant add|set DEV/NAME [parent PARENT|none] [LIMIT RATE | LIMIT-burst N]... */
static int cmd_tenant_add_set(bool add, int argc, char **argv)
{
	const char *cmd = add ? "add" : "set";
	char dev[CLI_ARG_LEN], name[CLI_ARG_LEN], what[2 * CLI_ARG_LEN + 16];
	char ctx[16];
	struct dpu_limits_req lim = { 0 };
	struct dpu_tenant_info info;
	const char *parent = NULL;
	bool has_lim = false;
	int ret, qos = -1;

	snprintf(ctx, sizeof(ctx), "tenant %s", cmd);
	if (tenant_id_arg(cmd, argc, argv, dev, sizeof(dev), name, sizeof(name)))
		return 2;
	for (argc--, argv++; argc > 0; argc -= 2, argv += 2) {
		if (need_arg(argc, argv))
			return 2;
		if (!strcmp(argv[0], "parent")) {
			parent = parent_arg(argv[1]);
			continue;
		}
		if (!strcmp(argv[0], "qos")) {
			qos = dpu_qos_class_parse(argv[1]);
			if (qos < 0 || (add && qos == DPU_QOS_CLASS_NONE)) {
				fprintf(stderr, "dpuctl: %s: \"%s\" is not a QoS class (hls, ls, be%s)\n",
					ctx, argv[1], add ? "" : " or none");
				return 2;
			}
			continue;
		}
		if (limit_arg(ctx, argv, &lim))
			return 2;
		has_lim = true;
	}
	if (!add && !parent && !has_lim && qos < 0) {
		fprintf(stderr, "dpuctl: tenant set: nothing to set (parent PARENT|none, a limit, or qos CLASS)\n");
		return 2;
	}
	if (nl_connect())
		return 1;
	if (add)
		ret = dpu_tenant_new(nl, dev, name, parent,
				     has_lim ? &lim : NULL, &info);
	else if (parent || has_lim)
		ret = dpu_tenant_set(nl, dev, name, parent,
				     has_lim ? &lim : NULL, &info);
	else
		ret = 0;
	if (!ret && qos >= 0)
		ret = dpu_tenant_set_qos(nl, dev, name, (uint8_t)qos, &info);
	if (ret) {
		snprintf(what, sizeof(what), "tenant %s %s/%s", cmd, dev, name);
		return fail(what, ret);
	}
	out_arr_open(&out, NULL);
	tenant_print(&info, NULL);
	out_finish(&out);
	return 0;
}

static int cmd_tenant_del(int argc, char **argv)
{
	char dev[CLI_ARG_LEN], name[CLI_ARG_LEN], what[2 * CLI_ARG_LEN + 16];
	int ret;

	if (tenant_id_arg("del", argc, argv, dev, sizeof(dev), name,
			  sizeof(name)))
		return 2;
	if (argc > 1) {
		fprintf(stderr, "dpuctl: tenant del: unexpected argument \"%s\"\n",
			argv[1]);
		return 2;
	}
	if (nl_connect())
		return 1;
	ret = dpu_tenant_del(nl, dev, name);
	if (ret) {
		snprintf(what, sizeof(what), "tenant del %s/%s", dev, name);
		return fail(what, ret);
	}
	return 0;
}

static int cmd_tenant_show(int argc, char **argv)
{
	char dev[CLI_ARG_LEN], name[CLI_ARG_LEN], what[2 * CLI_ARG_LEN + 16];
	struct dpu_tenant_info info;
	int ret;

	if (argc > 1) {
		fprintf(stderr, "dpuctl: tenant show: unexpected argument \"%s\"\n",
			argv[1]);
		return 2;
	}
	if (argc == 1 && strchr(argv[0], '/') &&
	    tenant_id_arg("show", argc, argv, dev, sizeof(dev), name,
			  sizeof(name)))
		return 2;
	if (nl_connect())
		return 1;
	out_arr_open(&out, NULL);
	if (argc == 1 && strchr(argv[0], '/')) {
		ret = dpu_tenant_get(nl, dev, name, &info);
		if (!ret)
			tenant_print(&info, NULL);
	} else {
		ret = dpu_tenant_dump(nl, argc ? argv[0] : NULL, tenant_print,
				      NULL);
	}
	out_finish(&out);
	if (ret) {
		snprintf(what, sizeof(what), "tenant show%s%s", argc ? " " : "",
			 argc ? argv[0] : "");
		return fail(what, ret);
	}
	return 0;
}

static int cmd_tenant(int argc, char **argv)
{
	if (argc == 0 || cli_matches(argv[0], "show") ||
	    cli_matches(argv[0], "list"))
		return cmd_tenant_show(argc ? argc - 1 : 0, argv + 1);
	if (cli_matches(argv[0], "add"))
		return cmd_tenant_add_set(true, argc - 1, argv + 1);
	if (cli_matches(argv[0], "del") || cli_matches(argv[0], "delete"))
		return cmd_tenant_del(argc - 1, argv + 1);
	if (cli_matches(argv[0], "set"))
		return cmd_tenant_add_set(false, argc - 1, argv + 1);
	if (cli_matches(argv[0], "help")) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "dpuctl: tenant: unknown command \"%s\", try \"dpuctl help\"\n",
		argv[0]);
	return 2;
}

/* -------------------------------------------------------------- monitor */

volatile sig_atomic_t stop;

void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static const char *event_name(uint8_t cmd)
{
	switch (cmd) {
	case DPU_CMD_FN_NEW:
	case DPU_CMD_TENANT_NEW:
		return "new";
	case DPU_CMD_FN_SET:
	case DPU_CMD_TENANT_SET:
	case DPU_CMD_QOS_CLASS_SET:
		return "change";
	case DPU_CMD_FN_DEL:
	case DPU_CMD_TENANT_DEL:
	case DPU_CMD_QOS_CLASS_DEL:
		return "del";
	case DPU_CMD_QOS_DECISION:
		return "decision";
	default:
		return "unknown";
	}
}

/* "[TIME] EVENT " of a monitor line, "time", "event", "object" in JSON */
void monitor_head(uint8_t cmd, const char *object)
{
	char ts[64];
	struct timeval tv;
	struct tm tm;

	out_init(&out, stdout, out.json, false);	/* one document per event */
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	snprintf(ts, sizeof(ts), "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, (long)tv.tv_usec);
	out_obj_open(&out, NULL);
	out_str(&out, "time", "[%s] ", ts);
	out_str(&out, "event", "%s ", event_name(cmd));
	out_str(&out, "object", NULL, object);
}

void monitor_tail(void)
{
	out_obj_close(&out);
	out_finish(&out);
	if (!out.json)
		fputc('\n', stdout);
	fflush(stdout);
}

/* one line per event: the counters only in JSON */
static int monitor_fn(const struct dpu_fn_info *f, void *arg)
{
	(void)arg;
	monitor_head(f->cmd, "fn");
	cli_print_fn_fields(&out, f);
	if (f->has_stats)
		cli_print_stats(&out, &f->stats, false);
	monitor_tail();
	return 0;
}

static int monitor_tenant(const struct dpu_tenant_info *t, void *arg)
{
	(void)arg;
	monitor_head(t->cmd, "tenant");
	out_text(&out, "tenant ");
	cli_print_tenant_fields(&out, t);
	if (t->has_stats)
		cli_print_stats(&out, &t->stats, false);
	monitor_tail();
	return 0;
}

static int cmd_monitor(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct dpu_nl *ev;
	struct pollfd pfd;
	char err[256];
	int ret = 0;

	if (argc > 0) {
		fprintf(stderr, "dpuctl: monitor: unexpected argument \"%s\"\n",
			argv[0]);
		return 2;
	}
	ev = dpu_nl_open_events(err, sizeof(err));
	if (!ev) {
		fprintf(stderr, "dpuctl: monitor: %s\n", err);
		return 1;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* one line per event; the JSON form is one object per line */
	out.pretty = false;
	pfd.fd = dpu_nl_fd(ev);
	pfd.events = POLLIN;
	while (!stop) {
		ret = poll(&pfd, 1, -1);
		if (ret < 0) {
			ret = errno == EINTR ? 0 : -errno;
			if (ret)
				break;
			continue;
		}
		ret = dpu_nl_read_events2(ev, monitor_fn, monitor_tenant, NULL);
		if (ret == -ENOBUFS) {
			fprintf(stderr, "dpuctl: monitor: events lost (receive buffer overrun)\n");
			ret = 0;
		} else if (ret < 0 && ret != -EINTR) {
			break;
		}
		ret = 0;
	}
	dpu_nl_close(ev);
	if (ret)
		return fail("monitor", ret);
	return 0;
}

static int cmd_dev(int argc, char **argv)
{
	if (argc == 0 || cli_matches(argv[0], "show") ||
	    cli_matches(argv[0], "list"))
		return cmd_dev_show(argc ? argc - 1 : 0, argv + 1);
	if (cli_matches(argv[0], "help")) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "dpuctl: dev: unknown command \"%s\", try \"dpuctl help\"\n",
		argv[0]);
	return 2;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "stats", no_argument, NULL, 's' },
		{ "statistics", no_argument, NULL, 's' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool json = false, pretty = false;
	int c, ret;

	while ((c = getopt_long(argc, argv, "+jpsVh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'p':
			pretty = true;
			break;
		case 's':
			show_stats = true;
			break;
		case 'V':
			printf("dpuctl %s (netlink family %s v%d)\n",
			       DPUPOOL_VERSION, DPU_GENL_NAME, DPU_GENL_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	out_init(&out, stdout, json, pretty);

	if (argc == 0) {
		usage(stderr);
		return 2;
	}
	if (cli_matches(argv[0], "help")) {
		usage(stdout);
		return 0;
	}
	if (cli_matches(argv[0], "dev")) {
		ret = cmd_dev(argc - 1, argv + 1);
	} else if (cli_matches(argv[0], "fn") ||
		   cli_matches(argv[0], "function")) {
		ret = cmd_fn(argc - 1, argv + 1);
	} else if (cli_matches(argv[0], "tenant")) {
		ret = cmd_tenant(argc - 1, argv + 1);
	} else if (cli_matches(argv[0], "qos")) {
		ret = cmd_qos(argc - 1, argv + 1);
	} else if (cli_matches(argv[0], "monitor")) {
		ret = cmd_monitor(argc - 1, argv + 1);
	} else if (cli_matches(argv[0], "nic")) {
		ret = cmd_nic(argc - 1, argv + 1);
	} else {
		fprintf(stderr, "dpuctl: unknown object \"%s\", try \"dpuctl help\"\n",
			argv[0]);
		ret = 2;
	}
	dpu_nl_close(nl);
	return ret;
}
