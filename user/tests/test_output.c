// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests: the text/JSON writer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include <string.h>

#include "cli.h"
#include "libdpu.h"
#include "out.h"

struct buf {
	char *s;
	size_t len;
	FILE *f;
};

static void open_buf(struct buf *b)
{
	b->f = open_memstream(&b->s, &b->len);
	assert_non_null(b->f);
}

static const char *close_buf(struct buf *b)
{
	fclose(b->f);
	return b->s;
}

static void json_escape(void **state)
{
	struct buf b;

	(void)state;
	open_buf(&b);
	out_json_string(b.f, "a\"b\\c\nd\te\x01" "f\x7f");
	assert_string_equal(close_buf(&b), "\"a\\\"b\\\\c\\nd\\te\\u0001f\\u007f\"");
	free(b.s);
}

static void json_nested(void **state)
{
	struct out o;
	struct buf b;

	(void)state;
	open_buf(&b);
	out_init(&o, b.f, true, false);
	out_arr_open(&o, NULL);
	out_obj_open(&o, NULL);
	out_str(&o, "dev", "%s:", "dpu0");
	out_u64(&o, "index", " %llu", 0);
	out_str(&o, NULL, " text-only %s", "x");	/* skipped in JSON */
	out_s64(&o, "numa", NULL, -1);
	out_bool(&o, "up", NULL, true);
	out_arr_open(&o, "list");
	out_u64(&o, NULL, NULL, 1);
	out_u64(&o, NULL, NULL, 2);
	out_arr_close(&o);
	out_obj_close(&o);
	out_obj_open(&o, NULL);
	out_obj_close(&o);
	out_finish(&o);
	assert_string_equal(close_buf(&b),
		"[{\"dev\":\"dpu0\",\"index\":0,\"numa\":-1,\"up\":true,\"list\":[1,2]},{}]\n");
	free(b.s);
}

static void json_empty_and_finish(void **state)
{
	struct out o;
	struct buf b;

	(void)state;
	open_buf(&b);
	out_init(&o, b.f, true, false);
	out_arr_open(&o, NULL);
	out_finish(&o);
	assert_string_equal(close_buf(&b), "[]\n");
	free(b.s);

	/* finish closes what is open */
	open_buf(&b);
	out_init(&o, b.f, true, false);
	out_arr_open(&o, NULL);
	out_obj_open(&o, NULL);
	out_str(&o, "k", NULL, "v");
	out_finish(&o);
	assert_string_equal(close_buf(&b), "[{\"k\":\"v\"}]\n");
	free(b.s);
}

static void json_pretty(void **state)
{
	struct out o;
	struct buf b;

	(void)state;
	open_buf(&b);
	out_init(&o, b.f, true, true);
	out_arr_open(&o, NULL);
	out_obj_open(&o, NULL);
	out_str(&o, "a", NULL, "b");
	out_u64(&o, "n", NULL, 7);
	out_finish(&o);
	assert_string_equal(close_buf(&b),
		"[\n    {\n        \"a\": \"b\",\n        \"n\": 7\n    }\n]\n");
	free(b.s);
}

static void text_mode(void **state)
{
	struct out o;
	struct buf b;

	(void)state;
	open_buf(&b);
	out_init(&o, b.f, false, false);
	out_arr_open(&o, NULL);
	out_obj_open(&o, NULL);
	out_str(&o, "dev", "%s:", "dpu0");
	out_u64(&o, "index", " index %llu", 3);
	out_s64(&o, "numa", " numa %lld", -1);
	out_str(&o, "json-only", NULL, "hidden");
	out_bool(&o, "up", " up %s", false);
	out_text(&o, "\n");
	out_obj_close(&o);
	out_finish(&o);
	assert_string_equal(close_buf(&b), "dpu0: index 3 numa -1 up false\n");
	free(b.s);
}

static void sample_tenant(struct dpu_tenant_info *t, bool child)
{
	memset(t, 0, sizeof(*t));
	t->cmd = DPU_CMD_TENANT_GET;
	snprintf(t->dev, sizeof(t->dev), "dpu0");
	snprintf(t->name, sizeof(t->name), child ? "web" : "acme");
	if (child)
		snprintf(t->parent, sizeof(t->parent), "acme");
	t->depth = child;
	t->num_fns = 2;
	t->num_children = !child;
	if (!child) {
		t->limit_rate[0] = 5000;		/* iops */
		t->limit_burst[0] = 500;
		t->limit_rate[6] = 100000000;		/* tx-bps */
		t->limit_burst[6] = 10000000;
	}
	t->has_stats = true;
	t->stats.blk_ios = 1234;
	t->stats.blk_bytes = 5000000;
	t->stats.tx_packets = 0;
	t->stats.tx_bytes = 0;
	t->stats.rx_packets = 7;
	t->stats.rx_bytes = 999;
	t->stats.rx_dropped = 3;
	t->stats.throttled = 12;
	t->stats.throttled_ns = 1200000000;
	t->stats.queued = 1;
}

static const char *print_tenants(struct buf *b, bool json, bool stats_text)
{
	struct dpu_tenant_info t;
	struct out o;

	open_buf(b);
	out_init(&o, b->f, json, false);
	out_arr_open(&o, NULL);
	sample_tenant(&t, false);
	cli_print_tenant(&o, &t, stats_text);
	sample_tenant(&t, true);
	cli_print_tenant(&o, &t, stats_text);
	out_finish(&o);
	return close_buf(b);
}

static void tenant_text(void **state)
{
	struct buf b;

	(void)state;
	assert_string_equal(print_tenants(&b, false, false),
		"dpu0/acme: parent - depth 0 fns 2 children 1 limits iops 5k iops-burst 500 tx-bps 100M tx-bps-burst 10M\n"
		"dpu0/web: parent acme depth 1 fns 2 children 0\n");
	free(b.s);
	assert_string_equal(print_tenants(&b, false, true),
		"dpu0/acme: parent - depth 0 fns 2 children 1 limits iops 5k iops-burst 500 tx-bps 100M tx-bps-burst 10M\n"
		"    ios 1234 bytes 5.0M tx-packets 0 tx-bytes 0 rx-packets 7 rx-bytes 999 rx-dropped 3 throttled 12 throttled-time 1.20s queued 1\n"
		"dpu0/web: parent acme depth 1 fns 2 children 0\n"
		"    ios 1234 bytes 5.0M tx-packets 0 tx-bytes 0 rx-packets 7 rx-bytes 999 rx-dropped 3 throttled 12 throttled-time 1.20s queued 1\n");
	free(b.s);
}

#define STATS_JSON "\"stats\":{\"ios\":1234,\"bytes\":5000000,\"tx-packets\":0," \
	"\"tx-bytes\":0,\"rx-packets\":7,\"rx-bytes\":999,\"rx-dropped\":3," \
	"\"throttled\":12,\"throttled-ns\":1200000000,\"queued\":1}"

static void tenant_json(void **state)
{
	static const char want[] =
		"[{\"dev\":\"dpu0\",\"name\":\"acme\",\"depth\":0,\"fns\":2,\"children\":1,"
		"\"limits\":{\"iops\":5000,\"iops-burst\":500,\"tx-bps\":100000000,"
		"\"tx-bps-burst\":10000000}," STATS_JSON "},"
		"{\"dev\":\"dpu0\",\"name\":\"web\",\"parent\":\"acme\",\"depth\":1,"
		"\"fns\":2,\"children\":0," STATS_JSON "}]\n";
	struct buf b;

	(void)state;
	/* the stats are in JSON with or without -s */
	assert_string_equal(print_tenants(&b, true, false), want);
	free(b.s);
	assert_string_equal(print_tenants(&b, true, true), want);
	free(b.s);
}

static void tenant_no_stats(void **state)
{
	struct dpu_tenant_info t;
	struct out o;
	struct buf b;

	(void)state;
	/* a DEL notification has no stats: none printed, -s or not */
	sample_tenant(&t, true);
	t.has_stats = false;
	open_buf(&b);
	out_init(&o, b.f, true, false);
	cli_print_tenant(&o, &t, true);
	out_finish(&o);
	assert_string_equal(close_buf(&b),
		"{\"dev\":\"dpu0\",\"name\":\"web\",\"parent\":\"acme\",\"depth\":1,"
		"\"fns\":2,\"children\":0}\n");
	free(b.s);
	open_buf(&b);
	out_init(&o, b.f, false, false);
	cli_print_tenant(&o, &t, true);
	out_finish(&o);
	assert_string_equal(close_buf(&b),
		"dpu0/web: parent acme depth 1 fns 2 children 0\n");
	free(b.s);
}

static void sample_fn(struct dpu_fn_info *f)
{
	memset(f, 0, sizeof(*f));
	snprintf(f->dev, sizeof(f->dev), "dpu0");
	f->index = 3;
	f->type = DPU_FN_TYPE_BLK;
	f->state = DPU_FN_STATE_READY;
	snprintf(f->tenant, sizeof(f->tenant), "web");
	f->has_size = true;
	f->size = 1ULL << 30;
	snprintf(f->blkdev, sizeof(f->blkdev), "dpu0b3");
	f->limit_rate[3] = 100000000;		/* bps */
	f->limit_burst[3] = 10000000;
	f->eff_rate[0] = 2000;			/* iops, from the tenant */
	f->eff_burst[0] = 200;
	f->eff_rate[3] = 100000000;
	f->eff_burst[3] = 10000000;
	f->has_stats = true;
	f->stats.blk_ios = 42;
	f->stats.blk_bytes = 172032;
	f->stats.throttled = 5;
	f->stats.throttled_ns = 2500;
}

static void fn_effective_stats(void **state)
{
	struct dpu_fn_info f;
	struct out o;
	struct buf b;

	(void)state;
	sample_fn(&f);
	open_buf(&b);
	out_init(&o, b.f, false, false);
	cli_print_fn(&o, &f, false);
	cli_print_fn(&o, &f, true);
	out_finish(&o);
	assert_string_equal(close_buf(&b),
		"dpu0/3: type blk state ready tenant web size 1G blkdev dpu0b3 bps 100M bps-burst 10M effective iops 2k iops-burst 200 bps 100M bps-burst 10M\n"
		"dpu0/3: type blk state ready tenant web size 1G blkdev dpu0b3 bps 100M bps-burst 10M effective iops 2k iops-burst 200 bps 100M bps-burst 10M\n"
		"    ios 42 bytes 172.0k tx-packets 0 tx-bytes 0 rx-packets 0 rx-bytes 0 rx-dropped 0 throttled 5 throttled-time 2.50us queued 0\n");
	free(b.s);

	open_buf(&b);
	out_init(&o, b.f, true, false);
	cli_print_fn(&o, &f, false);
	out_finish(&o);
	assert_string_equal(close_buf(&b),
		"{\"fn\":\"dpu0/3\",\"dev\":\"dpu0\",\"index\":3,\"type\":\"blk\",\"state\":\"ready\","
		"\"tenant\":\"web\",\"size\":1073741824,\"blkdev\":\"dpu0b3\","
		"\"limits\":{\"bps\":100000000,\"bps-burst\":10000000},"
		"\"effective-limits\":{\"iops\":2000,\"iops-burst\":200,\"bps\":100000000,\"bps-burst\":10000000},"
		"\"stats\":{\"ios\":42,\"bytes\":172032,\"tx-packets\":0,\"tx-bytes\":0,"
		"\"rx-packets\":0,\"rx-bytes\":0,\"rx-dropped\":0,\"throttled\":5,"
		"\"throttled-ns\":2500,\"queued\":0}}\n");
	free(b.s);

	/* no limits anywhere, no stats (an older kernel): the old line */
	memset(f.limit_rate, 0, sizeof(f.limit_rate));
	memset(f.eff_rate, 0, sizeof(f.eff_rate));
	f.has_stats = false;
	open_buf(&b);
	out_init(&o, b.f, false, false);
	cli_print_fn(&o, &f, true);
	out_finish(&o);
	assert_string_equal(close_buf(&b),
		"dpu0/3: type blk state ready tenant web size 1G blkdev dpu0b3\n");
	free(b.s);
	open_buf(&b);
	out_init(&o, b.f, true, false);
	cli_print_fn(&o, &f, true);
	out_finish(&o);
	close_buf(&b);
	assert_null(strstr(b.s, "limits"));
	assert_null(strstr(b.s, "stats"));
	assert_non_null(strstr(b.s, "\"blkdev\":\"dpu0b3\"}"));
	free(b.s);
}

static void tenant_pretty(void **state)
{
	struct dpu_tenant_info t;
	struct out o;
	struct buf b;

	(void)state;
	sample_tenant(&t, false);
	t.has_stats = false;
	t.limit_rate[6] = 0;
	open_buf(&b);
	out_init(&o, b.f, true, true);
	out_arr_open(&o, NULL);
	cli_print_tenant(&o, &t, false);
	out_finish(&o);
	assert_string_equal(close_buf(&b),
		"[\n"
		"    {\n"
		"        \"dev\": \"dpu0\",\n"
		"        \"name\": \"acme\",\n"
		"        \"depth\": 0,\n"
		"        \"fns\": 2,\n"
		"        \"children\": 1,\n"
		"        \"limits\": {\n"
		"            \"iops\": 5000,\n"
		"            \"iops-burst\": 500\n"
		"        }\n"
		"    }\n"
		"]\n");
	free(b.s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(json_escape),
		cmocka_unit_test(json_nested),
		cmocka_unit_test(json_empty_and_finish),
		cmocka_unit_test(json_pretty),
		cmocka_unit_test(text_mode),
		cmocka_unit_test(tenant_text),
		cmocka_unit_test(tenant_json),
		cmocka_unit_test(tenant_no_stats),
		cmocka_unit_test(fn_effective_stats),
		cmocka_unit_test(tenant_pretty),
	};

	return cmocka_run_group_tests_name("output", tests, NULL, NULL);
}
