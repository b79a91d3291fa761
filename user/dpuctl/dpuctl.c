// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dpuctl: iproute2-style command line for dpupool.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "libdpu.h"
#include "out.h"

#define DPUCTL_VERSION "0.1.0"

static struct out out;
static struct dpu_nl *nl;

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: dpuctl [OPTIONS] OBJECT COMMAND [ARGS]\n"
		"OBJECT := { dev }\n"
		"OPTIONS := { -j[son] | -p[retty] | -V[ersion] | -h[elp] }\n"
		"\n"
		"       dpuctl dev show [ DEV ]\n");
}

static int fail(const char *what, int err)
{
	char buf[512];

	cli_format_error(buf, sizeof(buf), what, err,
			 nl ? dpu_nl_errmsg(nl) : NULL);
	fprintf(stderr, "dpuctl: %s\n", buf);
	return 1;
}

static int nl_connect(void)
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
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool json = false, pretty = false;
	int c, ret;

	while ((c = getopt_long(argc, argv, "+jpVh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'p':
			pretty = true;
			break;
		case 'V':
			printf("dpuctl %s (netlink family %s v%d)\n",
			       DPUCTL_VERSION, DPU_GENL_NAME, DPU_GENL_VERSION);
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
	} else {
		fprintf(stderr, "dpuctl: unknown object \"%s\", try \"dpuctl help\"\n",
			argv[0]);
		ret = 2;
	}
	dpu_nl_close(nl);
	return ret;
}
