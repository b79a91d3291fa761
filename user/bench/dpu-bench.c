// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dpu-bench: control-path benchmarks over netlink, used by make bench.
 *
 *   dpu-bench addel DEV N     N times: create a blk function, delete it
 *   dpu-bench attach DEV N    N times: create, wait until ready, delete
 *   dpu-bench dump DEV N      create N functions, time one full dump
 *   dpu-bench batch DEV N     attach N in one io_uring batch, delete them
 *
 * Prints one line "name value unit".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "libdpu.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int die(struct dpu_nl *nl, const char *what, int err)
{
	fprintf(stderr, "dpu-bench: %s: %s (%s)\n", what,
		nl && *dpu_nl_errmsg(nl) ? dpu_nl_errmsg(nl) : strerror(-err),
		dpu_errno_name(err) ? dpu_errno_name(err) : "?");
	return 1;
}

static int count_cb(const struct dpu_fn_info *fn, void *arg)
{
	(void)fn;
	(*(long *)arg)++;
	return 0;
}

int main(int argc, char **argv)
{
	struct dpu_fn_new_args a = { .type = DPU_FN_TYPE_BLK, .size = 1 << 20,
				     .tenant = "bench" };
	struct dpu_fn_info info;
	struct dpu_nl *nl, *ev = NULL;
	char err[256];
	long i, n, count = 0;
	double t0, t;
	int ret;

	if (argc != 4 || (n = strtol(argv[3], NULL, 10)) <= 0) {
		fprintf(stderr, "usage: dpu-bench {addel|attach|batch|dump} DEV N\n");
		return 2;
	}
	a.dev = argv[2];
	nl = dpu_nl_open(err, sizeof(err));
	if (!nl) {
		fprintf(stderr, "dpu-bench: %s\n", err);
		return 1;
	}
	/* functions belong to an existing tenant */
	ret = dpu_tenant_new(nl, a.dev, a.tenant, NULL, NULL, NULL);
	if (ret && ret != -EEXIST)
		return die(nl, "tenant add", ret);

	if (!strcmp(argv[1], "addel") || !strcmp(argv[1], "attach")) {
		bool wait = !strcmp(argv[1], "attach");

		if (wait) {
			ev = dpu_nl_open_events(err, sizeof(err));
			if (!ev) {
				fprintf(stderr, "dpu-bench: %s\n", err);
				return 1;
			}
		}
		/* add_delete: whole cycles; attach: only add + wait ready */
		double t_attach = 0, t1;

		t0 = now();
		for (i = 0; i < n; i++) {
			t1 = now();
			ret = dpu_fn_new(nl, &a, &info);
			if (ret)
				return die(nl, "fn add", ret);
			if (wait && info.state == DPU_FN_STATE_CREATING) {
				ret = dpu_fn_wait(ev, info.dev, info.index, 10000, &info);
				if (ret)
					return die(NULL, "fn wait", ret);
			}
			t_attach += now() - t1;
			ret = dpu_fn_del(nl, a.dev, info.index);
			if (ret)
				return die(nl, "fn del", ret);
		}
		t = wait ? t_attach : now() - t0;
		printf("%s %.0f ops/s\n", wait ? "attach_ready" : "add_delete",
		       n / t);
	} else if (!strcmp(argv[1], "batch")) {
		struct dpu_dev_info d;
		int *res = calloc(n, sizeof(*res));

		ret = dpu_dev_get(nl, a.dev, 0, &d);
		if (ret || !res)
			return die(nl, "dev get", ret ? ret : -ENOMEM);
		t0 = now();
		ret = dpu_fn_new_batch(d.index, &a, n, res, err, sizeof(err));
		t = now() - t0;
		if (ret) {
			fprintf(stderr, "dpu-bench: %s\n", err);
			return 1;
		}
		for (i = 0; i < n; i++) {
			if (res[i] < 0)
				return die(NULL, "batch attach", res[i]);
			ret = dpu_fn_del(nl, a.dev, res[i]);
			if (ret)
				return die(nl, "fn del", ret);
		}
		printf("batch_attach_%ld %.0f ops/s\n", n, n / t);
		free(res);
	} else if (!strcmp(argv[1], "dump")) {
		for (i = 0; i < n; i++) {
			ret = dpu_fn_new(nl, &a, &info);
			if (ret)
				return die(nl, "fn add", ret);
		}
		t0 = now();
		ret = dpu_fn_dump(nl, a.dev, count_cb, &count);
		t = now() - t0;
		if (ret)
			return die(nl, "fn dump", ret);
		if (count != n) {
			fprintf(stderr, "dpu-bench: dump returned %ld of %ld\n",
				count, n);
			return 1;
		}
		printf("dump_%ld %.1f ms\n", n, t * 1e3);
	} else {
		fprintf(stderr, "dpu-bench: unknown benchmark %s\n", argv[1]);
		return 2;
	}
	dpu_nl_close(ev);
	dpu_nl_close(nl);
	return 0;
}
