// SPDX-License-Identifier: GPL-2.0
/* cmocka unit tests for dpu-provider: config parser (good file, every bad
 * line with its exact file:line message), inventory semantics against a
 * temporary SQLite database, and the template Node. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "config.h"
#include "inventory.h"
#include "template.h"
#include "k8s/core_v1.pb-c.h"

static const char good[] =
	"# comment\n"
	"; another comment\n"
	"listen = 0.0.0.0:9000\n"
	"db = /var/lib/dpupool/provider.db\n"
	"provision_hook = /usr/lib/dpupool/provision\n"
	"gpu_label = dpupool.io/gpu\n"
	"gpu_types = a100 , l4\n"
	"hook_timeout = 10m\n"
	"max_attempts = 5\n"
	"\n"
	"[group small]\n"
	"min = 1\n"
	"max = 10\n"
	"cpu = 16\n"
	"memory = 64Gi\n"
	"reserved_cpu = 250m\n"
	"reserved_memory = 512Mi\n"
	"labels = a.io/x=1, b=two\n"
	"taints = dedicated=dpu:NoSchedule, spot:PreferNoSchedule\n"
	"resources = dpupool.io/nvme=8\n"
	"price_per_hour = 1.5\n"
	"scale_down_unneeded_time = 90s\n"
	"zero_or_max_node_scaling = yes\n"
	"[group big-2]\n"
	"max = 3\n"
	"cpu = 1500m\n"
	"memory = 1G\n";

static void test_config_good(void **state)
{
	(void)state;
	struct pcfg c;
	char err[512];
	pcfg_defaults(&c);
	assert_int_equal(pcfg_parse_string(&c, "good.conf", good, err, sizeof(err)), 0);
	assert_string_equal(c.listen, "0.0.0.0:9000");
	assert_string_equal(c.db, "/var/lib/dpupool/provider.db");
	assert_string_equal(c.provision_hook, "/usr/lib/dpupool/provision");
	assert_string_equal(c.gpu_label, "dpupool.io/gpu");
	assert_int_equal(c.ngpu_types, 2);
	assert_string_equal(c.gpu_types[1], "l4");
	assert_int_equal(c.hook_timeout_s, 600);
	assert_int_equal(c.max_attempts, 5);
	assert_int_equal(c.ngroups, 2);
	const struct pcfg_group *g = pcfg_group(&c, "small");
	assert_non_null(g);
	assert_int_equal(g->line, 11);
	assert_int_equal(g->min, 1);
	assert_int_equal(g->max, 10);
	assert_int_equal(g->cpu_milli, 16000);
	assert_int_equal(g->mem_bytes, 64LL << 30);
	assert_int_equal(g->reserved_cpu_milli, 250);
	assert_int_equal(g->reserved_mem_bytes, 512LL << 20);
	assert_int_equal(g->pods, 110);
	assert_int_equal(g->nlabels, 2);
	assert_string_equal(g->labels[0].key, "a.io/x");
	assert_string_equal(g->labels[1].value, "two");
	assert_int_equal(g->ntaints, 2);
	assert_string_equal(g->taints[0].key, "dedicated");
	assert_string_equal(g->taints[0].value, "dpu");
	assert_string_equal(g->taints[0].effect, "NoSchedule");
	assert_string_equal(g->taints[1].key, "spot");
	assert_string_equal(g->taints[1].value, "");
	assert_int_equal(g->nresources, 1);
	assert_true(g->has_price);
	assert_true(g->has_options);
	assert_int_equal(g->opt_unneeded_s, 90);
	assert_int_equal(g->opt_zero_or_max, 1);
	assert_int_equal(g->opt_ignore_ds, -1);
	g = pcfg_group(&c, "big-2");
	assert_non_null(g);
	assert_int_equal(g->min, 0);
	assert_int_equal(g->cpu_milli, 1500);
	assert_int_equal(g->mem_bytes, 1000000000LL);
	assert_false(g->has_options);
	assert_null(pcfg_group(&c, "nosuch"));
	pcfg_free(&c);
}

static const struct bad {
	const char *text;
	const char *msg;
} bad[] = {
	{ "listen 127.0.0.1:1\n", "t.conf:1: expected KEY = VALUE, got \"listen 127.0.0.1:1\"" },
	{ "\n\nfoo = 1\n", "t.conf:3: unknown key \"foo\"" },
	{ "= 1\n", "t.conf:1: missing key before '='" },
	{ "db =\n", "t.conf:1: \"db\": empty value" },
	{ "max_attempts = x\n", "t.conf:1: \"max_attempts\": \"x\" is not an integer" },
	{ "max_attempts = 0\n", "t.conf:1: \"max_attempts\": 0 out of range [1, 100]" },
	{ "hook_timeout = 5d\n", "t.conf:1: \"hook_timeout\": \"5d\" is not a duration between 1s and 24h" },
	{ "gpu_label = -bad\n", "t.conf:1: \"gpu_label\": invalid label key \"-bad\"" },
	{ "[group a\n", "t.conf:1: malformed section header \"[group a\"" },
	{ "[pool a]\n", "t.conf:1: unknown section type \"pool\" (expected group)" },
	{ "[group]\n", "t.conf:1: section \"group\": expected [group NAME]" },
	{ "[group Big]\n", "t.conf:1: invalid group name \"Big\" (lowercase letters, digits and '-', at most 63)" },
	{ "[group a]\nmax=1\ncpu=1\nmemory=1Gi\n[group a]\n", "t.conf:5: duplicate group \"a\"" },
	{ "[group a]\nmax = 2\ncpu = 1\nmemory = 1Gi\ncolor = red\n", "t.conf:5: unknown key \"color\" in group \"a\"" },
	{ "[group a]\nmax = 2\ncpu = lots\n", "t.conf:3: \"cpu\": \"lots\" is not a CPU quantity (e.g. 16 or 500m)" },
	{ "[group a]\nmemory = 4Q\n", "t.conf:2: \"memory\": \"4Q\" is not a memory quantity (e.g. 64Gi)" },
	{ "[group a]\nmin = -1\n", "t.conf:2: \"min\": -1 out of range [0, 100000]" },
	{ "[group a]\nlabels = a=b, c\n", "t.conf:2: \"labels\": \"c\" is not KEY=VALUE" },
	{ "[group a]\nlabels = a=b c\n", "t.conf:2: \"labels\": invalid value \"b c\" for \"a\"" },
	{ "[group a]\nlabels = a=1, a=2\n", "t.conf:2: \"labels\": duplicate key \"a\"" },
	{ "[group a]\ntaints = x=y\n", "t.conf:2: \"taints\": \"x=y\" lacks \":EFFECT\"" },
	{ "[group a]\ntaints = x=y:Never\n", "t.conf:2: \"taints\": effect \"Never\" is not NoSchedule, PreferNoSchedule or NoExecute" },
	{ "[group a]\nresources = dpupool.io/nvme=many\n", "t.conf:2: \"resources\": \"many\" is not an integer" },
	{ "[group a]\nprice_per_hour = -1\n", "t.conf:2: \"price_per_hour\": \"-1\" is not a non-negative number" },
	{ "[group a]\nscale_down_utilization_threshold = 2\n", "t.conf:2: \"scale_down_utilization_threshold\": \"2\" is not a number between 0 and 1" },
	{ "[group a]\nzero_or_max_node_scaling = maybe\n", "t.conf:2: \"zero_or_max_node_scaling\": \"maybe\" is not a boolean" },
	{ "[group a]\ncpu = 1\nmemory = 1Gi\n", "t.conf:1: group \"a\": \"max\" missing or 0" },
	{ "# x\n[group a]\nmin = 3\nmax = 2\ncpu = 1\nmemory = 1Gi\n[group b]\n", "t.conf:2: group \"a\": min 3 greater than max 2" },
	{ "[group a]\nmax = 2\nmemory = 1Gi\n", "t.conf:1: group \"a\": \"cpu\" missing" },
	{ "[group a]\nmax = 2\ncpu = 1\n", "t.conf:1: group \"a\": \"memory\" missing" },
	{ "[group a]\nmax = 2\ncpu = 1\nmemory = 1Gi\nreserved_cpu = 1\n", "t.conf:1: group \"a\": reserved_cpu not below cpu" },
};

static void test_config_bad(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct pcfg c;
		char err[512];
		pcfg_defaults(&c);
		int rc = pcfg_parse_string(&c, "t.conf", bad[i].text, err, sizeof(err));
		if (rc != -1 || strcmp(err, bad[i].msg))
			fail_msg("case %zu: rc %d\n  got  \"%s\"\n  want \"%s\"", i, rc, err, bad[i].msg);
		pcfg_free(&c);
	}
}

static void test_config_file(void **state)
{
	(void)state;
	char path[] = "/tmp/dpu-provider-test.XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char text[] = "listen = 127.0.0.1:1\n\n[group a]\nmax = 1\ncpu = 1\nmemory = 1Gi\nbogus = 1\n";
	assert_int_equal(write(fd, text, sizeof(text) - 1), (ssize_t)sizeof(text) - 1);
	close(fd);
	struct pcfg c;
	char err[512], want[600];
	pcfg_defaults(&c);
	assert_int_equal(pcfg_parse_file(&c, path, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:7: unknown key \"bogus\" in group \"a\"", path);
	assert_string_equal(err, want);
	pcfg_free(&c);
	unlink(path);
	pcfg_defaults(&c);
	assert_int_equal(pcfg_parse_file(&c, "/nonexistent/x.conf", err, sizeof(err)), -1);
	assert_string_equal(err, "/nonexistent/x.conf: No such file or directory");
	pcfg_free(&c);
}

static void test_quantities(void **state)
{
	(void)state;
	int64_t v;
	char buf[32];
	assert_int_equal(pcfg_parse_cpu("2", &v), 0);
	assert_int_equal(v, 2000);
	assert_int_equal(pcfg_parse_cpu("250m", &v), 0);
	assert_int_equal(v, 250);
	/* Kubernetes quantities, the same as dpud's (lib/quantity.c) */
	assert_int_equal(pcfg_parse_cpu("1.5", &v), 0);
	assert_int_equal(v, 1500);
	assert_int_equal(pcfg_parse_cpu("1.5x", &v), -1);
	assert_int_equal(pcfg_parse_bytes("3Ki", &v), 0);
	assert_int_equal(v, 3072);
	assert_int_equal(pcfg_parse_bytes("1G", &v), 0);
	assert_int_equal(v, 1000000000);
	assert_int_equal(pcfg_parse_bytes("1.5Gi", &v), 0);
	assert_int_equal(v, 3LL << 29);
	/* a milli-byte rounds up to one byte, as Kubernetes' Value() does */
	assert_int_equal(pcfg_parse_bytes("1m", &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(pcfg_parse_bytes("-1", &v), -1);
	assert_int_equal(pcfg_parse_bytes("99999999999999999999", &v), -1);
	assert_int_equal(pcfg_parse_duration("2h", &v), 0);
	assert_int_equal(v, 7200);
	pcfg_fmt_cpu(15500, buf, sizeof(buf));
	assert_string_equal(buf, "15500m");
	pcfg_fmt_cpu(3000, buf, sizeof(buf));
	assert_string_equal(buf, "3");
	pcfg_fmt_bytes(63LL << 30, buf, sizeof(buf));
	assert_string_equal(buf, "63Gi");
	pcfg_fmt_bytes(1000000000, buf, sizeof(buf));
	assert_string_equal(buf, "1000000000");
	pcfg_fmt_bytes(1536LL << 20, buf, sizeof(buf));
	assert_string_equal(buf, "1536Mi");
}

/* ---- inventory ---- */

struct fx {
	char dir[64];
	char db[128];
	struct pcfg cfg;
	struct inv *inv;
};

static const char inv_conf[] =
	"[group g]\nmin = 1\nmax = 4\ncpu = 8\nmemory = 32Gi\n"
	"[group h]\nmax = 2\ncpu = 8\nmemory = 32Gi\n";

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char err[256];
	struct inv_status st;
	snprintf(f->dir, sizeof(f->dir), "/tmp/dpu-provider-inv.XXXXXX");
	if (!f || !mkdtemp(f->dir))
		return -1;
	snprintf(f->db, sizeof(f->db), "%s/inv.db", f->dir);
	pcfg_defaults(&f->cfg);
	if (pcfg_parse_string(&f->cfg, "inv.conf", inv_conf, err, sizeof(err)) ||
	    inv_open(&f->inv, f->db, &st) || inv_sync_groups(f->inv, &f->cfg, &st))
		return -1;
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;
	char p[160];
	inv_close(f->inv);
	pcfg_free(&f->cfg);
	const char *sfx[] = { "", "-wal", "-shm" };
	for (int i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s%s", f->db, sfx[i]);
		unlink(p);
	}
	rmdir(f->dir);
	free(f);
	return 0;
}

static int target(struct fx *f, const char *g)
{
	struct inv_status st;
	int t = -1;
	assert_int_equal(inv_target_size(f->inv, g, &t, &st), 0);
	return t;
}

static size_t count(struct fx *f, const char *g)
{
	struct inv_status st;
	struct inv_instance *v;
	size_t n;
	assert_int_equal(inv_list_instances(f->inv, g, &v, &n, &st), 0);
	free(v);
	return n;
}


static void check_status(int rc, const struct inv_status *st, enum inv_code code,
			 const char *msg)
{
	assert_int_equal(rc, code == INV_OK ? 0 : -1);
	assert_int_equal(st->code, code);
	assert_string_equal(st->msg, msg);
}

static void test_inv_min_and_increase(void **state)
{
	struct fx *f = *state;
	struct inv_status st;
	struct inv_group *gs;
	size_t n;

	assert_int_equal(inv_list_groups(f->inv, &gs, &n, &st), 0);
	assert_int_equal(n, 2);
	assert_string_equal(gs[0].id, "g");
	assert_int_equal(gs[0].min, 1);
	assert_int_equal(gs[0].max, 4);
	free(gs);
	/* min is provisioned at sync */
	assert_int_equal(target(f, "g"), 1);
	assert_int_equal(count(f, "g"), 1);
	assert_int_equal(target(f, "h"), 0);

	check_status(inv_increase(f->inv, "g", 2, &st), &st, INV_OK, "");
	assert_int_equal(target(f, "g"), 3);
	check_status(inv_increase(f->inv, "g", 0, &st), &st, INV_INVALID,
		     "size increase must be positive, got delta 0");
	check_status(inv_increase(f->inv, "g", 2, &st), &st, INV_PRECONDITION,
		     "size increase too large: target 3 + delta 2 exceeds max 4 of node group \"g\"");
	check_status(inv_increase(f->inv, "x", 1, &st), &st, INV_NOT_FOUND,
		     "node group \"x\" not found");
	check_status(inv_increase(f->inv, "", 1, &st), &st, INV_INVALID,
		     "node group id is empty");
	assert_int_equal(target(f, "g"), 3);

	struct inv_instance *v;
	assert_int_equal(inv_list_instances(f->inv, "g", &v, &n, &st), 0);
	assert_int_equal(n, 3);
	assert_string_equal(v[0].provider_id, "dpupool://g-0001");
	assert_string_equal(v[2].provider_id, "dpupool://g-0003");
	assert_int_equal(v[2].state, INV_CREATING);
	free(v);

	/* sync again does not re-add min instances */
	assert_int_equal(inv_sync_groups(f->inv, &f->cfg, &st), 0);
	assert_int_equal(target(f, "g"), 3);
}

static void sql_exec(struct fx *f, const char *sql);

static void test_inv_provision_and_decrease(void **state)
{
	struct fx *f = *state;
	struct inv_status st;
	struct inv_instance in;

	assert_int_equal(inv_increase(f->inv, "g", 3, &st), 0);	/* 0002..0004 */
	assert_int_equal(inv_provision_done(f->inv, "g-0001", 0, NULL, NULL, &st), 0);
	assert_int_equal(inv_provision_done(f->inv, "g-0002", 0, NULL, NULL, &st), 0);
	assert_int_equal(inv_provision_done(f->inv, "g-0003", INV_ERR_OUT_OF_RESOURCES,
					    "OutOfResources", "no host", &st), 0);
	assert_int_equal(inv_get_instance(f->inv, "g-0002", &in, &st), 0);
	assert_int_equal(in.state, INV_RUNNING);
	assert_int_equal(inv_get_instance(f->inv, "g-0003", &in, &st), 0);
	assert_int_equal(in.state, INV_CREATING);
	assert_int_equal(in.error_class, INV_ERR_OUT_OF_RESOURCES);
	assert_string_equal(in.error_msg, "no host");

	/* pending: only creating without error */
	struct inv_instance *v;
	size_t n;
	assert_int_equal(inv_pending(f->inv, INV_CREATING, &v, &n, &st), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].serial, "g-0004");
	free(v);

	check_status(inv_decrease_target(f->inv, "g", 1, &st), &st, INV_INVALID,
		     "size decrease must be negative, got delta 1");
	check_status(inv_decrease_target(f->inv, "g", -4, &st), &st, INV_PRECONDITION,
		     "size decrease too large: target 4 - 4 is below min 1 of node group \"g\"");
	check_status(inv_decrease_target(f->inv, "g", -3, &st), &st, INV_PRECONDITION,
		     "attempt to delete existing nodes: target 4, only 2 not yet provisioned, delta -3");
	check_status(inv_increase(f->inv, "h", 2, &st), &st, INV_OK, "");
	assert_int_equal(inv_provision_done(f->inv, "h-0001", 0, NULL, NULL, &st), 0);
	check_status(inv_decrease_target(f->inv, "h", -2, &st), &st, INV_PRECONDITION,
		     "attempt to delete existing nodes: target 2, only 1 not yet provisioned, delta -2");
	/* the failed instance is cancelled first */
	check_status(inv_decrease_target(f->inv, "g", -1, &st), &st, INV_OK, "");
	assert_int_equal(target(f, "g"), 3);
	assert_int_equal(inv_get_instance(f->inv, "g-0003", &in, &st), 0);
	assert_int_equal(in.state, INV_DELETING);
	assert_int_equal(inv_get_instance(f->inv, "g-0004", &in, &st), 0);
	assert_int_equal(in.state, INV_CREATING);
	/* deprovisioned: gone from the listing */
	assert_int_equal(inv_deprovision_done(f->inv, "g-0003", &st), 0);
	assert_int_equal(count(f, "g"), 3);
	/* a late hook result for a cancelled instance changes nothing */
	assert_int_equal(inv_provision_done(f->inv, "g-0003", 0, NULL, NULL, &st), 0);
	assert_int_equal(inv_get_instance(f->inv, "g-0003", &in, &st), 0);
	assert_int_equal(in.state, INV_DELETED);
	/* deleted instances are purged once old enough, not before */
	int purged = -1;
	assert_int_equal(inv_purge_deleted(f->inv, 3600000, &purged, &st), 0);
	assert_int_equal(purged, 0);
	sql_exec(f, "UPDATE instances SET updated_at = 0 WHERE serial = 'g-0003'");
	assert_int_equal(inv_purge_deleted(f->inv, 3600000, &purged, &st), 0);
	assert_int_equal(purged, 1);
	check_status(inv_get_instance(f->inv, "g-0003", &in, &st), &st, INV_NOT_FOUND,
		     "instance \"g-0003\" not found");
	/* and its serial is not handed out again */
	assert_int_equal(inv_increase(f->inv, "g", 1, &st), 0);
	assert_int_equal(inv_get_instance(f->inv, "g-0005", &in, &st), 0);
}

static void test_inv_delete_nodes(void **state)
{
	struct fx *f = *state;
	struct inv_status st;
	char grp[PCFG_NAME_MAX];

	assert_int_equal(inv_increase(f->inv, "g", 2, &st), 0);	/* target 3 */
	assert_int_equal(inv_increase(f->inv, "h", 1, &st), 0);
	const char *other[] = { "dpupool://h-0001" };
	check_status(inv_delete_nodes(f->inv, "g", other, 1, &st), &st, INV_INVALID,
		     "node \"dpupool://h-0001\" belongs to node group \"h\", not \"g\"");
	const char *unknown[] = { "dpupool://g-0042" };
	check_status(inv_delete_nodes(f->inv, "g", unknown, 1, &st), &st, INV_NOT_FOUND,
		     "node \"dpupool://g-0042\" not found in the pool");
	const char *twice[] = { "dpupool://g-0001", "dpupool://g-0001" };
	check_status(inv_delete_nodes(f->inv, "g", twice, 2, &st), &st, INV_INVALID,
		     "node \"dpupool://g-0001\" listed twice");
	const char *all[] = { "dpupool://g-0001", "dpupool://g-0002", "dpupool://g-0003" };
	check_status(inv_delete_nodes(f->inv, "g", all, 3, &st), &st, INV_PRECONDITION,
		     "deleting 3 node(s) would shrink node group \"g\" to 0, below its min 1");
	check_status(inv_delete_nodes(f->inv, "g", all, 0, &st), &st, INV_INVALID,
		     "no nodes to delete from node group \"g\"");
	check_status(inv_delete_nodes(f->inv, "nope", all, 1, &st), &st, INV_NOT_FOUND,
		     "node group \"nope\" not found");
	assert_int_equal(target(f, "g"), 3);	/* failed requests changed nothing */

	check_status(inv_delete_nodes(f->inv, "g", all + 1, 2, &st), &st, INV_OK, "");
	assert_int_equal(target(f, "g"), 1);
	assert_int_equal(count(f, "g"), 3);	/* still listed as deleting */
	/* deleting again is idempotent and does not lower the target twice */
	check_status(inv_delete_nodes(f->inv, "g", all + 1, 1, &st), &st, INV_OK, "");
	assert_int_equal(target(f, "g"), 1);
	assert_int_equal(inv_group_for_node(f->inv, "dpupool://g-0002", grp, sizeof(grp), &st), 0);
	assert_string_equal(grp, "g");
	assert_int_equal(inv_deprovision_done(f->inv, "g-0002", &st), 0);
	assert_int_equal(inv_group_for_node(f->inv, "dpupool://g-0002", grp, sizeof(grp), &st), 0);
	assert_string_equal(grp, "");
	assert_int_equal(inv_group_for_node(f->inv, "gce://p/z/i", grp, sizeof(grp), &st), 0);
	assert_string_equal(grp, "");
	assert_int_equal(count(f, "g"), 2);
	/* serials are never reused */
	assert_int_equal(inv_increase(f->inv, "g", 1, &st), 0);
	struct inv_instance in;
	assert_int_equal(inv_get_instance(f->inv, "g-0004", &in, &st), 0);
}

static void test_inv_recover_and_reopen(void **state)
{
	struct fx *f = *state;
	struct inv_status st;
	struct inv_instance in;
	int failed = -1;

	assert_int_equal(inv_increase(f->inv, "g", 2, &st), 0);	/* g-0002, g-0003 */
	for (int i = 0; i < 3; i++)
		assert_int_equal(inv_hook_started(f->inv, "g-0002", &st), 0);
	assert_int_equal(inv_hook_started(f->inv, "g-0003", &st), 0);
	/* "restart": reopen the database */
	inv_close(f->inv);
	assert_int_equal(inv_open(&f->inv, f->db, &st), 0);
	assert_int_equal(inv_sync_groups(f->inv, &f->cfg, &st), 0);
	assert_int_equal(inv_recover(f->inv, 3, &failed, &st), 0);
	assert_int_equal(failed, 1);
	assert_int_equal(target(f, "g"), 3);
	assert_int_equal(inv_get_instance(f->inv, "g-0002", &in, &st), 0);
	assert_int_equal(in.state, INV_CREATING);
	assert_int_equal(in.error_class, INV_ERR_OTHER);
	assert_string_equal(in.error_code, "provisionInterrupted");
	assert_int_equal(inv_get_instance(f->inv, "g-0003", &in, &st), 0);
	assert_int_equal(in.error_class, 0);
	assert_int_equal(in.attempts, 1);

	/* a group dropped from the config disappears */
	struct pcfg c2;
	char err[256];
	pcfg_defaults(&c2);
	assert_int_equal(pcfg_parse_string(&c2, "c2", "[group h]\nmax = 2\ncpu = 1\nmemory = 1Gi\n",
					   err, sizeof(err)), 0);
	assert_int_equal(inv_sync_groups(f->inv, &c2, &st), 0);
	int t;
	check_status(inv_target_size(f->inv, "g", &t, &st), &st, INV_NOT_FOUND,
		     "node group \"g\" not found");
	pcfg_free(&c2);
}

static void test_inv_agent(void **state)
{
	struct fx *f = *state;
	struct inv_status st;
	struct inv_instance in;
	struct inv_directive d;
	struct inv_instance *v;
	size_t n;
	struct inv_reported rp;
	int failed;

	/* g-0001 (min) hook done, waiting for its agent: not pending, not
	 * failed by recovery however many attempts it used */
	assert_int_equal(inv_hook_started(f->inv, "g-0001", &st), 0);
	assert_int_equal(inv_provision_awaits_agent(f->inv, "g-0001", &st), 0);
	assert_int_equal(inv_pending(f->inv, INV_CREATING, &v, &n, &st), 0);
	assert_int_equal(n, 0);
	free(v);
	assert_int_equal(inv_recover(f->inv, 1, &failed, &st), 0);
	assert_int_equal(failed, 0);
	assert_int_equal(inv_group_reported(f->inv, "g", &rp, &st), 0);
	assert_int_equal(rp.hosts, 0);

	const struct inv_slot sl[] = { { "nvme", 2, 0 } };
	struct inv_report r = { .serial = "g-0001", .group = "g", .labels = "a=b",
				.slots = sl, .nslots = 1, .cpu_milli = 12000, .mem_bytes = 1 << 30 };
	assert_int_equal(inv_agent_report(f->inv, &r, 1, &d, &st), 0);
	assert_int_equal(d.disposition, INV_JOIN);
	assert_int_equal(d.became_running, 1);
	assert_string_equal(d.provider_id, "dpupool://g-0001");
	assert_int_equal(inv_get_instance(f->inv, "g-0001", &in, &st), 0);
	assert_int_equal(in.state, INV_RUNNING);
	assert_int_equal(inv_agent_report(f->inv, &r, 0, &d, &st), 0);
	assert_int_equal(d.became_running, 0);
	assert_int_equal(inv_group_reported(f->inv, "g", &rp, &st), 0);
	assert_int_equal(rp.hosts, 1);
	assert_int_equal(rp.cpu_milli, 12000);
	assert_int_equal(rp.pods, 0);	/* not reported */
	assert_int_equal(rp.nslots, 1);	/* total not reported: read as free */
	assert_string_equal(rp.slots[0].type, "nvme");
	assert_int_equal(rp.slots[0].total, 2);
	assert_int_equal(rp.slots[0].free, 2);

	r.group = "h";
	check_status(inv_agent_report(f->inv, &r, 0, &d, &st), &st, INV_INVALID,
		     "host \"g-0001\" belongs to node group \"g\", not \"h\"");
	r.serial = "";
	check_status(inv_agent_report(f->inv, &r, 0, &d, &st), &st, INV_INVALID,
		     "host serial is empty");
	r.serial = "elsewhere";
	assert_int_equal(inv_agent_report(f->inv, &r, 0, &d, &st), 0);
	assert_int_equal(d.disposition, INV_STAY_FREE);
	assert_string_equal(d.group, "");
	/* a free host does not shape any group's template */
	assert_int_equal(inv_group_reported(f->inv, "h", &rp, &st), 0);
	assert_int_equal(rp.hosts, 0);

	assert_int_equal(inv_increase(f->inv, "g", 1, &st), 0);	/* g-0002 */
	const char *pid = "dpupool://g-0002";
	assert_int_equal(inv_delete_nodes(f->inv, "g", &pid, 1, &st), 0);
	r.serial = "g-0002";
	r.group = "";
	assert_int_equal(inv_agent_report(f->inv, &r, 1, &d, &st), 0);
	assert_int_equal(d.disposition, INV_LEAVE);
	assert_int_equal(inv_deprovision_done(f->inv, "g-0002", &st), 0);
	assert_int_equal(inv_agent_report(f->inv, &r, 0, &d, &st), 0);
	assert_int_equal(d.disposition, INV_STAY_FREE);
}

/* One integer from the database through a connection of its own. */
static int64_t sql_int(struct fx *f, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	int64_t v = -1;
	assert_int_equal(sqlite3_open_v2(f->db, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

static void sql_exec(struct fx *f, const char *sql)
{
	sqlite3 *db;
	assert_int_equal(sqlite3_open_v2(f->db, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static void report(struct fx *f, const char *serial, int64_t cpu, int64_t mem, int64_t pods,
		   int64_t hr_cpu, int64_t hr_mem, const struct inv_slot *sl, size_t nsl,
		   enum inv_disposition want)
{
	struct inv_status st;
	struct inv_directive d;
	struct inv_report r = { .serial = serial, .group = "", .labels = "",
				.slots = sl, .nslots = nsl, .cpu_milli = cpu,
				.mem_bytes = mem, .pods = pods, .hr_cpu_milli = hr_cpu,
				.hr_mem_bytes = hr_mem };
	assert_int_equal(inv_agent_report(f->inv, &r, 0, &d, &st), 0);
	assert_int_equal(d.disposition, want);
}

#define GI (1LL << 30)

/* Two running hosts of g report different slots and headroom; a third
 * instance (deleting), a creating one and a free host do not count. */
static void two_hosts(struct fx *f)
{
	struct inv_status st;
	assert_int_equal(inv_increase(f->inv, "g", 3, &st), 0);	/* g-0002..g-0004 */
	const struct inv_slot a[] = { { "blk", 10, 16 }, { "net", 2, 16 }, { "crypto", 4, 4 } };
	const struct inv_slot b[] = { { "net", 7, 0 }, { "blk", 4, 12 } };
	const struct inv_slot big[] = { { "blk", 99, 99 }, { "net", 99, 99 } };
	report(f, "g-0001", 16000, 64 * GI, 200, 3000, 8 * GI, a, 3, INV_JOIN);
	report(f, "g-0002", 12000, 48 * GI, 0, 5500, 2 * GI, b, 2, INV_JOIN);
	/* g-0003 reported, then is being deleted: no longer counts */
	report(f, "g-0003", 64000, 256 * GI, 500, 60000, 200 * GI, big, 2, INV_JOIN);
	const char *pid = "dpupool://g-0003";
	assert_int_equal(inv_delete_nodes(f->inv, "g", &pid, 1, &st), 0);
	report(f, "spare-7", 64000, 256 * GI, 500, 60000, 200 * GI, big, 2, INV_STAY_FREE);
}

static void test_inv_reported_aggregate(void **state)
{
	struct fx *f = *state;
	struct inv_status st;
	struct inv_reported rp;

	two_hosts(f);
	assert_int_equal(inv_group_reported(f->inv, "g", &rp, &st), 0);
	assert_int_equal(rp.hosts, 2);
	assert_int_equal(rp.cpu_milli, 12000);		/* smallest capacity */
	assert_int_equal(rp.mem_bytes, 48 * GI);
	assert_int_equal(rp.pods, 200);			/* smallest reported */
	assert_int_equal(rp.hr_cpu_milli, 5500);	/* largest headroom */
	assert_int_equal(rp.hr_mem_bytes, 8 * GI);
	assert_int_equal(rp.nslots, 3);			/* sorted by type */
	assert_string_equal(rp.slots[0].type, "blk");
	assert_int_equal(rp.slots[0].total, 12);	/* smallest total */
	assert_int_equal(rp.slots[0].free, 10);		/* largest free */
	assert_string_equal(rp.slots[1].type, "crypto");
	assert_int_equal(rp.slots[1].total, 0);		/* g-0002 lacks it */
	assert_int_equal(rp.slots[1].free, 4);
	assert_string_equal(rp.slots[2].type, "net");
	assert_int_equal(rp.slots[2].total, 7);		/* g-0002: total 0 = free */
	assert_int_equal(rp.slots[2].free, 7);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM reports WHERE serial = 'g-0001'"
				 " AND slots = 'blk=10/16,net=2/16,crypto=4/4'"), 1);

	/* a row of the previous format ("type=free") still reads */
	sql_exec(f, "UPDATE reports SET slots = 'blk=5,net=1' WHERE serial = 'g-0002'");
	assert_int_equal(inv_group_reported(f->inv, "g", &rp, &st), 0);
	assert_int_equal(rp.slots[0].total, 5);
	assert_int_equal(rp.slots[0].free, 10);
	assert_int_equal(rp.slots[2].total, 1);
	assert_int_equal(rp.slots[2].free, 2);
}

static void test_inv_report_bad_slots(void **state)
{
	struct fx *f = *state;
	struct inv_status st;
	struct inv_directive d;
	struct inv_slot sl[INV_SLOT_TYPES_MAX + 1];
	char names[INV_SLOT_TYPES_MAX + 1][8];
	struct inv_report r = { .serial = "g-0001", .group = "g", .slots = sl, .nslots = 1,
				.cpu_milli = 1000, .mem_bytes = GI };

	sl[0] = (struct inv_slot){ "blk/x", 1, 1 };
	check_status(inv_agent_report(f->inv, &r, 1, &d, &st), &st, INV_INVALID,
		     "host \"g-0001\": invalid function slot type \"blk/x\"");
	sl[0] = (struct inv_slot){ "", 1, 1 };
	check_status(inv_agent_report(f->inv, &r, 1, &d, &st), &st, INV_INVALID,
		     "host \"g-0001\": invalid function slot type \"\"");
	sl[0] = (struct inv_slot){ "blk", 5, 3 };
	check_status(inv_agent_report(f->inv, &r, 1, &d, &st), &st, INV_INVALID,
		     "host \"g-0001\": function slots \"blk\": free 5 exceeds total 3");
	sl[0] = (struct inv_slot){ "blk", 1, 3 };
	sl[1] = (struct inv_slot){ "blk", 2, 3 };
	r.nslots = 2;
	check_status(inv_agent_report(f->inv, &r, 1, &d, &st), &st, INV_INVALID,
		     "host \"g-0001\": function slot type \"blk\" listed twice");
	for (int i = 0; i <= INV_SLOT_TYPES_MAX; i++) {
		snprintf(names[i], sizeof(names[i]), "t%d", i);
		sl[i] = (struct inv_slot){ names[i], 1, 1 };
	}
	r.nslots = INV_SLOT_TYPES_MAX + 1;
	check_status(inv_agent_report(f->inv, &r, 1, &d, &st), &st, INV_INVALID,
		     "host \"g-0001\" reports 33 function slot types, at most 32");
	/* nothing stored, the instance is still creating */
	assert_int_equal(sql_int(f, "SELECT count(*) FROM reports"), 0);
	struct inv_instance in;
	assert_int_equal(inv_get_instance(f->inv, "g-0001", &in, &st), 0);
	assert_int_equal(in.state, INV_CREATING);
	r.nslots = INV_SLOT_TYPES_MAX;
	check_status(inv_agent_report(f->inv, &r, 1, &d, &st), &st, INV_OK, "");
	assert_true(inv_slot_type_valid("Blk_2.x-y"));
	assert_false(inv_slot_type_valid("-blk"));
	assert_false(inv_slot_type_valid("blk,net"));
	char longest[INV_SLOT_TYPE_LEN + 2];
	memset(longest, 'x', sizeof(longest));
	longest[INV_SLOT_TYPE_LEN] = 0;		/* 59 characters */
	assert_true(inv_slot_type_valid(longest));
	longest[INV_SLOT_TYPE_LEN] = 'x';
	longest[INV_SLOT_TYPE_LEN + 1] = 0;	/* 60 */
	assert_false(inv_slot_type_valid(longest));
}

static void test_inv_report_cleanup(void **state)
{
	struct fx *f = *state;
	struct inv_status st;
	int n = -1;

	two_hosts(f);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM reports"), 4);
	/* the deleted instance's report goes in the same transaction */
	assert_int_equal(inv_deprovision_done(f->inv, "g-0003", &st), 0);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM reports WHERE serial = 'g-0003'"), 0);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM reports"), 3);
	/* a late hook result for a running instance removes nothing */
	assert_int_equal(inv_deprovision_done(f->inv, "g-0001", &st), 0);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM reports WHERE serial = 'g-0001'"), 1);

	/* the deleted host reports on: a free host now */
	report(f, "g-0003", 1000, GI, 0, 0, 0, NULL, 0, INV_STAY_FREE);
	/* a free host reporting the serial of a future instance */
	report(f, "g-0005", 1000, GI, 0, 0, 0, NULL, 0, INV_STAY_FREE);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM reports"), 5);
	assert_int_equal(inv_increase(f->inv, "g", 1, &st), 0);	/* g-0005 */
	assert_int_equal(sql_int(f, "SELECT count(*) FROM reports WHERE serial = 'g-0005'"), 0);

	/* recent reports of free hosts are kept, old ones go */
	assert_int_equal(inv_expire_reports(f->inv, 60000, &n, &st), 0);
	assert_int_equal(n, 0);
	sql_exec(f, "UPDATE reports SET reported_at = reported_at - 120000"
		 " WHERE serial IN ('spare-7', 'g-0002')");
	assert_int_equal(inv_expire_reports(f->inv, 60000, &n, &st), 0);
	assert_int_equal(n, 1);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM reports WHERE serial = 'spare-7'"), 0);
	/* an old report of a live instance stays */
	assert_int_equal(sql_int(f, "SELECT count(*) FROM reports WHERE serial = 'g-0002'"), 1);
	assert_int_equal(inv_expire_reports(f->inv, 0, &n, &st), 0);
	assert_int_equal(n, 1);		/* g-0003 (deleted instance) */
	assert_int_equal(sql_int(f, "SELECT count(*) FROM reports"), 2);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM reports"
				 " WHERE serial IN ('g-0001', 'g-0002')"), 2);
}

/* One text value from the database through a connection of its own
 * (malloc'd; NULL without a row). */
static char *sql_text(struct fx *f, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	char *v = NULL;
	assert_int_equal(sqlite3_open_v2(f->db, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = strdup((const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

static void assert_sql_text(struct fx *f, const char *sql, const char *want)
{
	char *v = sql_text(f, sql);
	assert_non_null(v);
	assert_string_equal(v, want);
	free(v);
}

static const struct inv_function host_fns[] = {
	{ .index = 7, .type = "net", .state = "creating", .tenant = "t-a.1",
	  .mac = "02:00:00:00:00:07" },
	{ .index = 0, .type = "blk", .state = "ready", .tenant = "host",
	  .size_bytes = 268435456 },
	{ .index = 1, .type = "net", .state = "ready", .tenant = "host",
	  .mac = "02:DD:00:00:00:01" },
	{ .index = 4294967295u, .type = "blk", .state = "failed", .tenant = "",
	  .size_bytes = UINT64_MAX, .mac = "" },
	{ .index = 3, .type = "x_y.z-9", .state = "ready", .tenant = NULL, .mac = NULL },
};

static void test_inv_report_functions(void **state)
{
	struct fx *f = *state;
	struct inv_status st;
	struct inv_directive d;
	struct inv_report r = { .serial = "g-0001", .group = "g", .labels = "",
				.functions = host_fns, .nfunctions = 5,
				.cpu_milli = 1000, .mem_bytes = GI };

	check_status(inv_agent_report(f->inv, &r, 1, &d, &st), &st, INV_OK, "");
	assert_int_equal(d.disposition, INV_JOIN);
	/* sorted by index; empty tenant and MAC as empty fields */
	assert_sql_text(f, "SELECT functions FROM reports WHERE serial = 'g-0001'",
			"0:blk:ready:host:268435456:,"
			"1:net:ready:host:0:02:DD:00:00:00:01,"
			"3:x_y.z-9:ready::0:,"
			"7:net:creating:t-a.1:0:02:00:00:00:00:07,"
			"4294967295:blk:failed::18446744073709551615:");
	assert_int_equal(sql_int(f, "SELECT functions_ready FROM reports WHERE serial = 'g-0001'"), 3);
	assert_int_equal(sql_int(f, "SELECT functions_total FROM reports WHERE serial = 'g-0001'"), 5);

	/* the last report wins: one function, then none */
	r.functions = host_fns + 1;
	r.nfunctions = 1;
	check_status(inv_agent_report(f->inv, &r, 0, &d, &st), &st, INV_OK, "");
	assert_sql_text(f, "SELECT functions || '/' || functions_ready || '/' || functions_total"
			" FROM reports WHERE serial = 'g-0001'", "0:blk:ready:host:268435456:/1/1");
	r.functions = NULL;
	r.nfunctions = 0;
	check_status(inv_agent_report(f->inv, &r, 0, &d, &st), &st, INV_OK, "");
	assert_sql_text(f, "SELECT functions || '/' || functions_ready || '/' || functions_total"
			" FROM reports WHERE serial = 'g-0001'", "/0/0");

	/* INV_FUNCTIONS_MAX functions, the longest entries there are */
	struct inv_function *many = calloc(INV_FUNCTIONS_MAX, sizeof(*many));
	char tenant[INV_FN_TENANT_LEN + 1], token[INV_FN_TOKEN_LEN + 1];
	assert_non_null(many);
	memset(tenant, 't', INV_FN_TENANT_LEN);
	tenant[INV_FN_TENANT_LEN] = 0;
	memset(token, 'k', INV_FN_TOKEN_LEN);
	token[INV_FN_TOKEN_LEN] = 0;
	for (int i = 0; i < INV_FUNCTIONS_MAX; i++)
		many[i] = (struct inv_function){ .index = 4294967295u - (uint32_t)i,
			.type = token, .state = i % 2 ? "ready" : token, .tenant = tenant,
			.size_bytes = UINT64_MAX, .mac = "ff:ff:ff:ff:ff:ff" };
	r.serial = "spare-1";
	r.group = "";
	r.functions = many;
	r.nfunctions = INV_FUNCTIONS_MAX;
	check_status(inv_agent_report(f->inv, &r, 1, &d, &st), &st, INV_OK, "");
	assert_int_equal(d.disposition, INV_STAY_FREE);
	assert_int_equal(sql_int(f, "SELECT functions_ready FROM reports WHERE serial = 'spare-1'"),
			 INV_FUNCTIONS_MAX / 2);
	assert_int_equal(sql_int(f, "SELECT functions_total FROM reports WHERE serial = 'spare-1'"),
			 INV_FUNCTIONS_MAX);
	/* 4096 entries: 4095 commas, 5 colons + 5 in the MAC each */
	assert_int_equal(sql_int(f, "SELECT length(functions) - length(replace(functions, ',', ''))"
				 " FROM reports WHERE serial = 'spare-1'"), INV_FUNCTIONS_MAX - 1);
	assert_int_equal(sql_int(f, "SELECT length(functions) FROM reports WHERE serial = 'spare-1'"),
			 INV_FUNCTIONS_MAX * (10 + 2 * INV_FN_TOKEN_LEN + INV_FN_TENANT_LEN + 20 + 17 + 5)
			 - INV_FUNCTIONS_MAX / 2 * (INV_FN_TOKEN_LEN - 5) + INV_FUNCTIONS_MAX - 1);
	char *all = sql_text(f, "SELECT functions FROM reports WHERE serial = 'spare-1'");
	assert_non_null(all);
	char want[256];
	snprintf(want, sizeof(want), "%u:%s:%s:%s:18446744073709551615:ff:ff:ff:ff:ff:ff,",
		 4294967295u - (INV_FUNCTIONS_MAX - 1), token, "ready", tenant);
	assert_memory_equal(all, want, strlen(want));	/* lowest index first */
	free(all);
	free(many);
	assert_true(inv_fn_token_valid("creating"));
	assert_true(inv_fn_token_valid("-._"));
	assert_false(inv_fn_token_valid(""));
	assert_false(inv_fn_token_valid(NULL));
	assert_false(inv_fn_token_valid("a:b"));
	assert_false(inv_fn_token_valid("a,b"));
	assert_false(inv_fn_token_valid("a b"));
	token[INV_FN_TOKEN_LEN - 1] = 0;
	assert_true(inv_fn_token_valid(token));
}

static void test_inv_report_bad_functions(void **state)
{
	struct fx *f = *state;
	struct inv_status st;
	struct inv_directive d;
	struct inv_function fn[2] = {
		{ .index = 3, .type = "blk", .state = "ready", .tenant = "t", .mac = "" },
		{ .index = 5, .type = "net", .state = "ready", .tenant = "t",
		  .mac = "02:00:00:00:00:05" },
	};
	struct inv_report r = { .serial = "g-0001", .group = "g", .functions = fn,
				.nfunctions = 2, .cpu_milli = 1000, .mem_bytes = GI };
	char long_tenant[INV_FN_TENANT_LEN + 2];
	memset(long_tenant, 'a', sizeof(long_tenant));
	long_tenant[INV_FN_TENANT_LEN + 1] = 0;		/* 64 characters */
	static const struct {
		int which;		/* 0 type, 1 state, 2 tenant, 3 mac */
		const char *value, *msg;
	} bad[] = {
		{ 0, "", "host \"g-0001\": function 5: invalid type \"\"" },
		{ 0, "blk:x", "host \"g-0001\": function 5: invalid type \"blk:x\"" },
		{ 0, "ne t", "host \"g-0001\": function 5: invalid type \"ne t\"" },
		{ 0, "abcdefghijklmnopqrstuvwxyz0123456",	/* 33 */
		  "host \"g-0001\": function 5: invalid type \"abcdefghijklmnopqrstuvwxyz0123456\"" },
		{ 1, "", "host \"g-0001\": function 5: invalid state \"\"" },
		{ 1, "re,ady", "host \"g-0001\": function 5: invalid state \"re,ady\"" },
		{ 1, "ready\n", "host \"g-0001\": function 5: invalid state \"ready\\x0a\"" },
		{ 2, "a:b", "host \"g-0001\": function 5: invalid tenant \"a:b\"" },
		{ 2, "a,b", "host \"g-0001\": function 5: invalid tenant \"a,b\"" },
		{ 2, "a\tb\x7f\"\\", "host \"g-0001\": function 5: invalid tenant \"a\\x09b\\x7f\\\"\\\\\"" },
		/* the kernel's set only: no Latin-1 or UTF-8 letters, no space */
		{ 2, "caf\xe9", "host \"g-0001\": function 5: invalid tenant \"caf\\xe9\"" },
		{ 2, "a b", "host \"g-0001\": function 5: invalid tenant \"a b\"" },
		{ 2, "-x", "host \"g-0001\": function 5: invalid tenant \"-x\"" },
		{ 2, NULL, "host \"g-0001\": function 5: tenant \""
		  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		  "\" longer than 63 characters" },
		{ 3, "02:00:00:00:00", "host \"g-0001\": function 5: invalid MAC address \"02:00:00:00:00\"" },
		{ 3, "02:00:00:00:00:0g", "host \"g-0001\": function 5: invalid MAC address \"02:00:00:00:00:0g\"" },
		{ 3, "02-00-00-00-00-05", "host \"g-0001\": function 5: invalid MAC address \"02-00-00-00-00-05\"" },
		{ 3, "02:00:00:00:00:05 ", "host \"g-0001\": function 5: invalid MAC address \"02:00:00:00:00:05 \"" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct inv_function *g = &fn[1];
		*g = (struct inv_function){ .index = 5, .type = "net", .state = "ready",
					    .tenant = "t", .mac = "02:00:00:00:00:05" };
		const char *v = bad[i].value;
		switch (bad[i].which) {
		case 0: g->type = v; break;
		case 1: g->state = v; break;
		case 2: g->tenant = v ? v : long_tenant; break;
		default: g->mac = v; break;
		}
		check_status(inv_agent_report(f->inv, &r, 1, &d, &st), &st, INV_INVALID, bad[i].msg);
	}
	fn[1] = (struct inv_function){ .index = 3, .type = "net", .state = "ready", .tenant = "t",
				       .mac = "" };
	check_status(inv_agent_report(f->inv, &r, 1, &d, &st), &st, INV_INVALID,
		     "host \"g-0001\": function index 3 listed twice");
	struct inv_function *many = calloc(INV_FUNCTIONS_MAX + 1, sizeof(*many));
	assert_non_null(many);
	for (int i = 0; i <= INV_FUNCTIONS_MAX; i++)
		many[i] = (struct inv_function){ .index = (uint32_t)i, .type = "blk",
						 .state = "ready", .tenant = "", .mac = "" };
	r.functions = many;
	r.nfunctions = INV_FUNCTIONS_MAX + 1;
	check_status(inv_agent_report(f->inv, &r, 1, &d, &st), &st, INV_INVALID,
		     "host \"g-0001\" reports 4097 functions, at most 4096");
	/* nothing stored, the instance is still creating */
	assert_int_equal(sql_int(f, "SELECT count(*) FROM reports"), 0);
	struct inv_instance in;
	assert_int_equal(inv_get_instance(f->inv, "g-0001", &in, &st), 0);
	assert_int_equal(in.state, INV_CREATING);
	/* a good report, then a bad one leaves it as it was */
	r.nfunctions = 2;
	check_status(inv_agent_report(f->inv, &r, 1, &d, &st), &st, INV_OK, "");
	many[1].index = 0;
	check_status(inv_agent_report(f->inv, &r, 0, &d, &st), &st, INV_INVALID,
		     "host \"g-0001\": function index 0 listed twice");
	assert_sql_text(f, "SELECT functions || '/' || functions_ready || '/' || functions_total"
			" || '/' || reports FROM reports WHERE serial = 'g-0001'",
			"0:blk:ready::0:,1:blk:ready::0:/2/2/1");
	free(many);
}

/* A database of the release before reports.functions still opens: the
 * columns are added, rows kept with no functions. */
static void test_inv_reports_migration(void **state)
{
	struct fx *f = *state;
	struct inv_status st;
	struct inv_directive d;

	inv_close(f->inv);
	f->inv = NULL;
	sql_exec(f, "DROP TABLE reports;"
		 "CREATE TABLE reports (serial TEXT PRIMARY KEY,"
		 "  group_id TEXT NOT NULL DEFAULT '', labels TEXT NOT NULL DEFAULT '',"
		 "  cpu_milli INTEGER NOT NULL DEFAULT 0, mem_bytes INTEGER NOT NULL DEFAULT 0,"
		 "  pods INTEGER NOT NULL DEFAULT 0, hr_cpu_milli INTEGER NOT NULL DEFAULT 0,"
		 "  hr_mem_bytes INTEGER NOT NULL DEFAULT 0, hr_pods INTEGER NOT NULL DEFAULT 0,"
		 "  slots TEXT NOT NULL DEFAULT '', registered_at INTEGER NOT NULL DEFAULT 0,"
		 "  reported_at INTEGER NOT NULL, reports INTEGER NOT NULL DEFAULT 0);"
		 "INSERT INTO reports (serial, cpu_milli, slots, reported_at, reports)"
		 "  VALUES ('old-1', 4000, 'blk=1/2', 5, 9)");
	assert_int_equal(sql_int(f, "SELECT count(*) FROM pragma_table_info('reports')"
				 " WHERE name LIKE 'functions%'"), 0);
	check_status(inv_open(&f->inv, f->db, &st), &st, INV_OK, "");
	assert_int_equal(sql_int(f, "SELECT count(*) FROM pragma_table_info('reports')"
				 " WHERE name LIKE 'functions%'"), 3);
	assert_sql_text(f, "SELECT serial || '/' || slots || '/' || reports || '/' || functions"
			" || '/' || functions_ready || '/' || functions_total FROM reports",
			"old-1/blk=1/2/9//0/0");
	/* reopening a migrated database changes nothing */
	inv_close(f->inv);
	check_status(inv_open(&f->inv, f->db, &st), &st, INV_OK, "");
	struct inv_report r = { .serial = "old-1", .group = "", .functions = host_fns + 1,
				.nfunctions = 2, .cpu_milli = 1000, .mem_bytes = GI };
	check_status(inv_agent_report(f->inv, &r, 0, &d, &st), &st, INV_OK, "");
	assert_sql_text(f, "SELECT reports || '/' || functions || '/' || functions_ready"
			" || '/' || functions_total FROM reports",
			"10/0:blk:ready:host:268435456:,1:net:ready:host:0:02:DD:00:00:00:01/2/2");
}

/* value of key in a capacity or allocatable list; fails on duplicates */
#define QTY(entries, n, k) ({						\
	const char *v_ = NULL;						\
	for (size_t i_ = 0; i_ < (n); i_++)				\
		if (!strcmp((entries)[i_]->key, (k))) {			\
			if (v_)						\
				fail_msg("%s listed twice", (k));	\
			v_ = (entries)[i_]->value->string;		\
		}							\
	v_;								\
})

struct want { const char *key, *cap, *alloc; };

static void check_template(const struct pcfg_group *g, const struct inv_reported *rp,
			   const struct want *w, size_t nw, size_t nres)
{
	uint8_t *buf;
	size_t len;
	assert_int_equal(tmpl_node(g, rp, &buf, &len), 0);
	K8s__Io__Api__Core__V1__Node *n = k8s__io__api__core__v1__node__unpack(NULL, len, buf);
	assert_non_null(n);
	K8s__Io__Api__Core__V1__NodeStatus *s = n->status;
	assert_int_equal(s->n_capacity, nres);
	assert_int_equal(s->n_allocatable, nres);
	for (size_t i = 0; i < nw; i++) {
		const char *c = QTY(s->capacity, s->n_capacity, w[i].key);
		const char *a = QTY(s->allocatable, s->n_allocatable, w[i].key);
		if (!w[i].cap) {
			if (c || a)
				fail_msg("%s published: %s / %s", w[i].key, c, a);
			continue;
		}
		if (!c || !a || strcmp(c, w[i].cap) || strcmp(a, w[i].alloc))
			fail_msg("%s: capacity %s allocatable %s, want %s %s", w[i].key,
				 c ? c : "(none)", a ? a : "(none)", w[i].cap, w[i].alloc);
	}
	k8s__io__api__core__v1__node__free_unpacked(n, NULL);
	free(buf);
}

static void test_template_reported(void **state)
{
	struct fx *f = *state;
	struct inv_status st;
	struct inv_reported rp;

	/* nothing reported: the configured shape and resources only */
	assert_int_equal(inv_group_reported(f->inv, "g", &rp, &st), 0);
	const struct want none[] = {
		{ "cpu", "8", "8" }, { "memory", "32Gi", "32Gi" }, { "pods", "110", "110" },
		{ "dpupool.io/dpu-blk", NULL, NULL }, { "dpupool.io/batch-cpu", NULL, NULL },
		{ "dpupool.io/batch-memory", NULL, NULL },
	};
	check_template(pcfg_group(&f->cfg, "g"), &rp, none, 6, 3);

	two_hosts(f);
	assert_int_equal(inv_group_reported(f->inv, "g", &rp, &st), 0);
	const struct want got[] = {
		{ "cpu", "12", "12" }, { "memory", "48Gi", "48Gi" }, { "pods", "200", "200" },
		{ "dpupool.io/dpu-blk", "12", "10" },
		{ "dpupool.io/dpu-crypto", "0", "0" },	/* free capped at capacity */
		{ "dpupool.io/dpu-net", "7", "7" },
		{ "dpupool.io/batch-cpu", "5500", "5500" },
		{ "dpupool.io/batch-memory", "8589934592", "8589934592" },
	};
	check_template(pcfg_group(&f->cfg, "g"), &rp, got, 8, 8);

	/* configured resources win; headroom capped at allocatable */
	struct pcfg c;
	char err[256];
	pcfg_defaults(&c);
	assert_int_equal(pcfg_parse_string(&c, "o", "[group g]\nmax = 4\ncpu = 8\nmemory = 32Gi\n"
					   "reserved_cpu = 7\nreserved_memory = 1Gi\n"
					   "resources = dpupool.io/dpu-blk=3, dpupool.io/batch-memory=1,"
					   " example.com/fpga=2\n", err, sizeof(err)), 0);
	const struct want over[] = {
		{ "cpu", "12", "5" }, { "memory", "48Gi", "47Gi" },
		{ "dpupool.io/dpu-blk", "3", "3" },
		{ "dpupool.io/dpu-net", "7", "7" },
		{ "dpupool.io/batch-cpu", "5000", "5000" },
		{ "dpupool.io/batch-memory", "1", "1" },
		{ "example.com/fpga", "2", "2" },
	};
	check_template(pcfg_group(&c, "g"), &rp, over, 7, 9);
	/* headroom above allocatable memory is capped too */
	rp.mem_bytes = 45 * GI;
	rp.hr_mem_bytes = 100 * GI;
	const struct want mem[] = {
		{ "memory", "45Gi", "45Gi" },
		{ "dpupool.io/batch-memory", "48318382080", "48318382080" },	/* 45Gi */
	};
	check_template(pcfg_group(&f->cfg, "g"), &rp, mem, 2, 8);
	pcfg_free(&c);
}

static void test_template(void **state)
{
	(void)state;
	struct pcfg c;
	char err[256];
	pcfg_defaults(&c);
	assert_int_equal(pcfg_parse_string(&c, "t", good, err, sizeof(err)), 0);
	uint8_t *buf;
	size_t len;
	assert_int_equal(tmpl_node(pcfg_group(&c, "small"), NULL, &buf, &len), 0);
	K8s__Io__Api__Core__V1__Node *n = k8s__io__api__core__v1__node__unpack(NULL, len, buf);
	assert_non_null(n);
	assert_string_equal(n->metadata->name, "dpupool-template-small");
	int seen = 0;
	for (size_t i = 0; i < n->status->n_allocatable; i++) {
		const char *k = n->status->allocatable[i]->key;
		const char *v = n->status->allocatable[i]->value->string;
		if (!strcmp(k, "cpu"))
			seen++, assert_string_equal(v, "15750m");
		if (!strcmp(k, "memory"))
			seen++, assert_string_equal(v, "65024Mi");
		if (!strcmp(k, "pods"))
			seen++, assert_string_equal(v, "110");
		if (!strcmp(k, "dpupool.io/nvme"))
			seen++, assert_string_equal(v, "8");
	}
	assert_int_equal(seen, 4);
	assert_int_equal(n->spec->n_taints, 2);
	assert_string_equal(n->spec->taints[1]->effect, "PreferNoSchedule");
	assert_int_equal(n->status->n_conditions, 1);
	assert_string_equal(n->status->conditions[0]->type, "Ready");
	assert_string_equal(n->status->conditions[0]->status, "True");
	k8s__io__api__core__v1__node__free_unpacked(n, NULL);
	free(buf);
	pcfg_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_good),
		cmocka_unit_test(test_config_bad),
		cmocka_unit_test(test_config_file),
		cmocka_unit_test(test_quantities),
		cmocka_unit_test_setup_teardown(test_inv_min_and_increase, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_inv_provision_and_decrease, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_inv_delete_nodes, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_inv_recover_and_reopen, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_inv_agent, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_inv_reported_aggregate, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_inv_report_bad_slots, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_inv_report_cleanup, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_inv_report_functions, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_inv_report_bad_functions, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_inv_reports_migration, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_template_reported, fx_setup, fx_teardown),
		cmocka_unit_test(test_template),
	};
	return cmocka_run_group_tests_name("dpu-provider", tests, NULL, NULL);
}
