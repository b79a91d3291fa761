// SPDX-License-Identifier: GPL-2.0
/* dpu-provider inventory on SQLite (WAL, synchronous=FULL). */
#include "inventory.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sqlite3.h>

struct inv {
	sqlite3 *db;
};

static const char *schema =
	"CREATE TABLE IF NOT EXISTS groups ("
	"  id TEXT PRIMARY KEY,"
	"  active INTEGER NOT NULL DEFAULT 1,"
	"  min INTEGER NOT NULL,"
	"  max INTEGER NOT NULL,"
	"  target INTEGER NOT NULL DEFAULT 0,"
	"  next_seq INTEGER NOT NULL DEFAULT 1,"
	"  cpu_milli INTEGER NOT NULL DEFAULT 0,"
	"  mem_bytes INTEGER NOT NULL DEFAULT 0,"
	"  pods INTEGER NOT NULL DEFAULT 0,"
	"  labels TEXT NOT NULL DEFAULT '',"
	"  taints TEXT NOT NULL DEFAULT '',"
	"  resources TEXT NOT NULL DEFAULT '',"
	"  updated_at INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE IF NOT EXISTS instances ("
	"  serial TEXT PRIMARY KEY,"
	"  provider_id TEXT NOT NULL UNIQUE,"
	"  group_id TEXT NOT NULL REFERENCES groups(id),"
	"  state TEXT NOT NULL CHECK (state IN ('creating','running','deleting','deleted')),"
	"  error_class INTEGER NOT NULL DEFAULT 0,"
	"  error_code TEXT NOT NULL DEFAULT '',"
	"  error_msg TEXT NOT NULL DEFAULT '',"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL);"
	"CREATE INDEX IF NOT EXISTS instances_group ON instances(group_id, state);"
	"CREATE INDEX IF NOT EXISTS instances_state ON instances(state, created_at);"
	"CREATE TABLE IF NOT EXISTS reports ("
	"  serial TEXT PRIMARY KEY,"
	"  group_id TEXT NOT NULL DEFAULT '',"
	"  labels TEXT NOT NULL DEFAULT '',"
	"  cpu_milli INTEGER NOT NULL DEFAULT 0,"
	"  mem_bytes INTEGER NOT NULL DEFAULT 0,"
	"  pods INTEGER NOT NULL DEFAULT 0,"
	"  hr_cpu_milli INTEGER NOT NULL DEFAULT 0,"
	"  hr_mem_bytes INTEGER NOT NULL DEFAULT 0,"
	"  hr_pods INTEGER NOT NULL DEFAULT 0,"
	"  slots TEXT NOT NULL DEFAULT '',"
	"  registered_at INTEGER NOT NULL DEFAULT 0,"
	"  reported_at INTEGER NOT NULL,"
	"  reports INTEGER NOT NULL DEFAULT 0,"
	"  functions TEXT NOT NULL DEFAULT '',"
	"  functions_ready INTEGER NOT NULL DEFAULT 0,"
	"  functions_total INTEGER NOT NULL DEFAULT 0);";

/* Columns added after the first release: added to older databases. */
static const char *migrations[][2] = {
	{ "SELECT agent_wait FROM instances LIMIT 0",
	  "ALTER TABLE instances ADD COLUMN agent_wait INTEGER NOT NULL DEFAULT 0" },
	/* HostReport.functions (see join_functions) */
	{ "SELECT functions FROM reports LIMIT 0",
	  "ALTER TABLE reports ADD COLUMN functions TEXT NOT NULL DEFAULT ''" },
	{ "SELECT functions_ready FROM reports LIMIT 0",
	  "ALTER TABLE reports ADD COLUMN functions_ready INTEGER NOT NULL DEFAULT 0" },
	{ "SELECT functions_total FROM reports LIMIT 0",
	  "ALTER TABLE reports ADD COLUMN functions_total INTEGER NOT NULL DEFAULT 0" },
};

static const char *state_names[] = { "creating", "running", "deleting", "deleted" };

static enum inv_state state_from(const char *s)
{
	for (int i = 0; i < 4; i++)
		if (s && !strcmp(s, state_names[i]))
			return (enum inv_state)i;
	return INV_DELETED;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

__attribute__((format(printf, 3, 4)))
static int set(struct inv_status *st, enum inv_code code, const char *fmt, ...)
{
	va_list ap;
	st->code = code;
	va_start(ap, fmt);
	vsnprintf(st->msg, sizeof(st->msg), fmt, ap);
	va_end(ap);
	return code == INV_OK ? 0 : -1;
}

static int ok(struct inv_status *st)
{
	st->code = INV_OK;
	st->msg[0] = 0;
	return 0;
}

static int dberr(struct inv *inv, struct inv_status *st, const char *what)
{
	return set(st, INV_INTERNAL, "inventory: %s: %s", what, sqlite3_errmsg(inv->db));
}

static int exec(struct inv *inv, const char *sql, struct inv_status *st)
{
	char *msg = NULL;
	if (sqlite3_exec(inv->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		set(st, INV_INTERNAL, "inventory: %s", msg ? msg : "error");
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static int begin(struct inv *inv, struct inv_status *st)
{
	return exec(inv, "BEGIN IMMEDIATE", st);
}

static int commit(struct inv *inv, struct inv_status *st)
{
	if (exec(inv, "COMMIT", st)) {
		sqlite3_exec(inv->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return ok(st);
}

/* Roll back and keep the status already set by the failing step. */
static int rollback(struct inv *inv)
{
	sqlite3_exec(inv->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

static sqlite3_stmt *prep(struct inv *inv, const char *sql, struct inv_status *st)
{
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(inv->db, sql, -1, &s, NULL) != SQLITE_OK) {
		dberr(inv, st, "prepare");
		return NULL;
	}
	return s;
}

/* Run a statement expecting no rows; binds: "t" text, "i" int64. */
static int run(struct inv *inv, struct inv_status *st, const char *sql,
	       const char *types, ...)
{
	sqlite3_stmt *s = prep(inv, sql, st);
	if (!s)
		return -1;
	va_list ap;
	va_start(ap, types);
	for (int i = 0; types[i]; i++) {
		if (types[i] == 't')
			sqlite3_bind_text(s, i + 1, va_arg(ap, const char *), -1, SQLITE_TRANSIENT);
		else
			sqlite3_bind_int64(s, i + 1, va_arg(ap, int64_t));
	}
	va_end(ap);
	int rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return dberr(inv, st, "step");
	return 0;
}

static int migrate(struct inv *inv, struct inv_status *st)
{
	for (size_t i = 0; i < sizeof(migrations) / sizeof(migrations[0]); i++) {
		sqlite3_stmt *s = NULL;
		if (sqlite3_prepare_v2(inv->db, migrations[i][0], -1, &s, NULL) == SQLITE_OK) {
			sqlite3_finalize(s);
			continue;
		}
		if (exec(inv, migrations[i][1], st))
			return -1;
	}
	return 0;
}

int inv_open(struct inv **out, const char *path, struct inv_status *st)
{
	struct inv *inv = calloc(1, sizeof(*inv));
	if (!inv)
		return set(st, INV_INTERNAL, "out of memory");
	if (sqlite3_open_v2(path, &inv->db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			    SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK) {
		set(st, INV_INTERNAL, "%s: %s", path,
		    inv->db ? sqlite3_errmsg(inv->db) : "cannot open");
		sqlite3_close(inv->db);
		free(inv);
		return -1;
	}
	sqlite3_busy_timeout(inv->db, 5000);
	if (exec(inv, "PRAGMA journal_mode=WAL", st) ||
	    exec(inv, "PRAGMA synchronous=FULL", st) ||
	    exec(inv, "PRAGMA foreign_keys=ON", st) ||
	    exec(inv, schema, st) || migrate(inv, st)) {
		char m[sizeof(st->msg)];
		snprintf(m, sizeof(m), "%s", st->msg);
		set(st, INV_INTERNAL, "%s: %s", path, m);
		inv_close(inv);
		return -1;
	}
	*out = inv;
	return ok(st);
}

void inv_close(struct inv *inv)
{
	if (!inv)
		return;
	sqlite3_close(inv->db);
	free(inv);
}

static void join_kv(char *buf, size_t len, const struct pcfg_kv *kv, size_t n)
{
	size_t off = 0;
	buf[0] = 0;
	for (size_t i = 0; i < n && off < len; i++)
		off += snprintf(buf + off, len - off, "%s%s=%s", i ? "," : "",
				kv[i].key, kv[i].value);
}

/* Insert count new creating instances; caller holds the transaction. */
static int add_instances(struct inv *inv, const char *group, int count,
			 struct inv_status *st)
{
	sqlite3_stmt *s = prep(inv, "SELECT next_seq FROM groups WHERE id = ?", st);
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, group, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_finalize(s);
		return dberr(inv, st, "next_seq");
	}
	int64_t seq = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	int64_t now = now_ms();
	for (int i = 0; i < count; i++, seq++) {
		char serial[128], pid[160];
		snprintf(serial, sizeof(serial), "%s-%04lld", group, (long long)seq);
		snprintf(pid, sizeof(pid), INV_PROVIDER_PREFIX "%s", serial);
		if (run(inv, st, "INSERT INTO instances (serial, provider_id, group_id, state,"
			" created_at, updated_at) VALUES (?, ?, ?, 'creating', ?, ?)",
			"tttii", serial, pid, group, now, now) ||
		    /* a report made under this serial before it was ours is stale */
		    run(inv, st, "DELETE FROM reports WHERE serial = ?", "t", serial))
			return -1;
	}
	return run(inv, st, "UPDATE groups SET next_seq = ?, target = target + ?,"
		   " updated_at = ? WHERE id = ?", "iiit", seq, (int64_t)count, now, group);
}

int inv_sync_groups(struct inv *inv, const struct pcfg *cfg, struct inv_status *st)
{
	if (begin(inv, st))
		return -1;
	if (run(inv, st, "UPDATE groups SET active = 0", ""))
		return rollback(inv);
	for (size_t i = 0; i < cfg->ngroups; i++) {
		const struct pcfg_group *g = &cfg->groups[i];
		char labels[PCFG_KV_MAX * 2 * PCFG_STR_MAX], res[PCFG_KV_MAX * 2 * PCFG_STR_MAX];
		char taints[PCFG_KV_MAX * 2 * PCFG_STR_MAX];
		size_t off = 0;
		join_kv(labels, sizeof(labels), g->labels, g->nlabels);
		join_kv(res, sizeof(res), g->resources, g->nresources);
		taints[0] = 0;
		for (size_t t = 0; t < g->ntaints && off < sizeof(taints); t++)
			off += snprintf(taints + off, sizeof(taints) - off, "%s%s=%s:%s",
					t ? "," : "", g->taints[t].key, g->taints[t].value,
					g->taints[t].effect);
		if (run(inv, st,
			"INSERT INTO groups (id, active, min, max, cpu_milli, mem_bytes, pods,"
			" labels, taints, resources, updated_at)"
			" VALUES (?1, 1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
			" ON CONFLICT(id) DO UPDATE SET active = 1, min = ?2, max = ?3,"
			" cpu_milli = ?4, mem_bytes = ?5, pods = ?6, labels = ?7, taints = ?8,"
			" resources = ?9, updated_at = ?10",
			"tiiiiittti", g->id, (int64_t)g->min, (int64_t)g->max, g->cpu_milli,
			g->mem_bytes, g->pods, labels, taints, res, now_ms()))
			return rollback(inv);
		struct inv_group cur;
		if (inv_get_group(inv, g->id, &cur, st))
			return rollback(inv);
		/* min is a guarantee: bring a group below min up to it */
		if (cur.target < g->min && add_instances(inv, g->id, g->min - cur.target, st))
			return rollback(inv);
	}
	return commit(inv, st);
}

/* Step s to its end and finalize it: one element of size sz per row,
 * filled by rd, in a malloc'd array (NULL for no row).  0, or -1 with st
 * set (what names the query in a database error). */
static int collect_rows(struct inv *inv, sqlite3_stmt *s, size_t sz,
			void (*rd)(sqlite3_stmt *, void *), void **out, size_t *n,
			const char *what, struct inv_status *st)
{
	char *v = NULL;
	size_t cnt = 0, cap = 0;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (cnt == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			char *nv = realloc(v, ncap * sz);
			if (!nv) {
				free(v);
				sqlite3_finalize(s);
				return set(st, INV_INTERNAL, "out of memory");
			}
			v = nv;
			cap = ncap;
		}
		rd(s, v + cnt++ * sz);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		free(v);
		return dberr(inv, st, what);
	}
	*out = v;
	*n = cnt;
	return ok(st);
}

static void read_group(sqlite3_stmt *s, void *elem)
{
	struct inv_group *g = elem;
	snprintf(g->id, sizeof(g->id), "%s", (const char *)sqlite3_column_text(s, 0));
	g->min = sqlite3_column_int(s, 1);
	g->max = sqlite3_column_int(s, 2);
	g->target = sqlite3_column_int(s, 3);
}

int inv_list_groups(struct inv *inv, struct inv_group **out, size_t *n,
		    struct inv_status *st)
{
	sqlite3_stmt *s = prep(inv, "SELECT id, min, max, target FROM groups"
			       " WHERE active = 1 ORDER BY id", st);
	if (!s)
		return -1;
	void *v;
	if (collect_rows(inv, s, sizeof(**out), read_group, &v, n, "list groups", st))
		return -1;
	*out = v;
	return 0;
}

int inv_get_group(struct inv *inv, const char *id, struct inv_group *g,
		  struct inv_status *st)
{
	if (!id || !*id)
		return set(st, INV_INVALID, "node group id is empty");
	sqlite3_stmt *s = prep(inv, "SELECT id, min, max, target FROM groups"
			       " WHERE id = ? AND active = 1", st);
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		read_group(s, g);
	sqlite3_finalize(s);
	if (rc == SQLITE_ROW)
		return ok(st);
	if (rc == SQLITE_DONE)
		return set(st, INV_NOT_FOUND, "node group \"%s\" not found", id);
	return dberr(inv, st, "get group");
}

int inv_target_size(struct inv *inv, const char *group, int *target,
		    struct inv_status *st)
{
	struct inv_group g;
	if (inv_get_group(inv, group, &g, st))
		return -1;
	*target = g.target;
	return 0;
}

int inv_increase(struct inv *inv, const char *group, int delta,
		 struct inv_status *st)
{
	struct inv_group g;
	if (begin(inv, st))
		return -1;
	if (inv_get_group(inv, group, &g, st))
		return rollback(inv);
	if (delta <= 0) {
		set(st, INV_INVALID, "size increase must be positive, got delta %d", delta);
		return rollback(inv);
	}
	if ((int64_t)g.target + delta > g.max) {
		set(st, INV_PRECONDITION,
		    "size increase too large: target %d + delta %d exceeds max %d of node group \"%s\"",
		    g.target, delta, g.max, group);
		return rollback(inv);
	}
	if (add_instances(inv, group, delta, st))
		return rollback(inv);
	return commit(inv, st);
}

static int count_where(struct inv *inv, const char *sql, const char *group,
		       int *out, struct inv_status *st)
{
	sqlite3_stmt *s = prep(inv, sql, st);
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, group, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : dberr(inv, st, "count");
}

int inv_decrease_target(struct inv *inv, const char *group, int delta,
			struct inv_status *st)
{
	struct inv_group g;
	int pending = 0;
	if (begin(inv, st))
		return -1;
	if (inv_get_group(inv, group, &g, st))
		return rollback(inv);
	if (delta >= 0) {
		set(st, INV_INVALID, "size decrease must be negative, got delta %d", delta);
		return rollback(inv);
	}
	if ((int64_t)g.target + delta < g.min) {
		set(st, INV_PRECONDITION,
		    "size decrease too large: target %d - %d is below min %d of node group \"%s\"",
		    g.target, -delta, g.min, group);
		return rollback(inv);
	}
	if (count_where(inv, "SELECT count(*) FROM instances WHERE group_id = ?"
			" AND state = 'creating'", group, &pending, st))
		return rollback(inv);
	if (pending < -delta) {
		set(st, INV_PRECONDITION,
		    "attempt to delete existing nodes: target %d, only %d not yet provisioned, delta %d",
		    g.target, pending, delta);
		return rollback(inv);
	}
	/* Cancel unfulfilled requests: failed ones first, then never started,
	 * then the newest.  They go through deprovisioning like any other. */
	if (run(inv, st,
		"UPDATE instances SET state = 'deleting', updated_at = ?1 WHERE serial IN"
		" (SELECT serial FROM instances WHERE group_id = ?2 AND state = 'creating'"
		"  ORDER BY (error_class != 0) DESC, (attempts = 0) DESC, created_at DESC,"
		"  serial DESC LIMIT ?3)", "iti", now_ms(), group, (int64_t)-delta) ||
	    run(inv, st, "UPDATE groups SET target = target + ?, updated_at = ? WHERE id = ?",
		"iit", (int64_t)delta, now_ms(), group))
		return rollback(inv);
	return commit(inv, st);
}

static void read_instance(sqlite3_stmt *s, void *elem)
{
	struct inv_instance *in = elem;
	memset(in, 0, sizeof(*in));
	snprintf(in->serial, sizeof(in->serial), "%s", sqlite3_column_text(s, 0));
	snprintf(in->provider_id, sizeof(in->provider_id), "%s", sqlite3_column_text(s, 1));
	snprintf(in->group, sizeof(in->group), "%s", sqlite3_column_text(s, 2));
	in->state = state_from((const char *)sqlite3_column_text(s, 3));
	in->error_class = sqlite3_column_int(s, 4);
	snprintf(in->error_code, sizeof(in->error_code), "%s", sqlite3_column_text(s, 5));
	snprintf(in->error_msg, sizeof(in->error_msg), "%s", sqlite3_column_text(s, 6));
	in->attempts = sqlite3_column_int(s, 7);
	in->created_at = sqlite3_column_int64(s, 8);
	in->updated_at = sqlite3_column_int64(s, 9);
}

#define INST_COLS "serial, provider_id, group_id, state, error_class, error_code," \
		  " error_msg, attempts, created_at, updated_at"

static int list_query(struct inv *inv, const char *sql, const char *arg,
		      struct inv_instance **out, size_t *n, struct inv_status *st)
{
	sqlite3_stmt *s = prep(inv, sql, st);
	if (!s)
		return -1;
	if (arg)
		sqlite3_bind_text(s, 1, arg, -1, SQLITE_TRANSIENT);
	void *v;
	if (collect_rows(inv, s, sizeof(**out), read_instance, &v, n, "list instances", st))
		return -1;
	*out = v;
	return 0;
}

int inv_list_instances(struct inv *inv, const char *group,
		       struct inv_instance **out, size_t *n, struct inv_status *st)
{
	struct inv_group g;
	if (inv_get_group(inv, group, &g, st))
		return -1;
	return list_query(inv, "SELECT " INST_COLS " FROM instances WHERE group_id = ?"
			  " AND state != 'deleted' ORDER BY created_at, serial",
			  group, out, n, st);
}

int inv_get_instance(struct inv *inv, const char *serial,
		     struct inv_instance *out, struct inv_status *st)
{
	struct inv_instance *v;
	size_t n;
	if (list_query(inv, "SELECT " INST_COLS " FROM instances WHERE serial = ?",
		       serial, &v, &n, st))
		return -1;
	if (n)
		*out = v[0];
	free(v);
	if (!n)
		return set(st, INV_NOT_FOUND, "instance \"%s\" not found", serial);
	return 0;
}

static int find_by_pid(struct inv *inv, const char *pid, struct inv_instance *in,
		       int *found, struct inv_status *st)
{
	struct inv_instance *v;
	size_t n;
	if (list_query(inv, "SELECT " INST_COLS " FROM instances WHERE provider_id = ?"
		       " AND state != 'deleted'", pid, &v, &n, st))
		return -1;
	*found = n > 0;
	if (n)
		*in = v[0];
	free(v);
	return 0;
}

int inv_delete_nodes(struct inv *inv, const char *group,
		     const char *const *pids, size_t n, struct inv_status *st)
{
	struct inv_group g;
	int count = 0;
	if (begin(inv, st))
		return -1;
	if (inv_get_group(inv, group, &g, st))
		return rollback(inv);
	if (n == 0) {
		set(st, INV_INVALID, "no nodes to delete from node group \"%s\"", group);
		return rollback(inv);
	}
	for (size_t i = 0; i < n; i++) {
		struct inv_instance in;
		int found;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(pids[i], pids[j])) {
				set(st, INV_INVALID, "node \"%s\" listed twice", pids[i]);
				return rollback(inv);
			}
		if (!pids[i][0]) {
			set(st, INV_INVALID, "node without providerID");
			return rollback(inv);
		}
		if (find_by_pid(inv, pids[i], &in, &found, st))
			return rollback(inv);
		if (!found) {
			set(st, INV_NOT_FOUND, "node \"%s\" not found in the pool", pids[i]);
			return rollback(inv);
		}
		if (strcmp(in.group, group)) {
			set(st, INV_INVALID, "node \"%s\" belongs to node group \"%s\", not \"%s\"",
			    pids[i], in.group, group);
			return rollback(inv);
		}
		if (in.state != INV_DELETING)
			count++;
	}
	if (g.target - count < g.min) {
		set(st, INV_PRECONDITION,
		    "deleting %d node(s) would shrink node group \"%s\" to %d, below its min %d",
		    count, group, g.target - count, g.min);
		return rollback(inv);
	}
	int64_t now = now_ms();
	for (size_t i = 0; i < n; i++)
		if (run(inv, st, "UPDATE instances SET state = 'deleting', updated_at = ?"
			" WHERE provider_id = ? AND state IN ('creating', 'running')",
			"it", now, pids[i]))
			return rollback(inv);
	if (run(inv, st, "UPDATE groups SET target = target - ?, updated_at = ? WHERE id = ?",
		"iit", (int64_t)count, now, group))
		return rollback(inv);
	return commit(inv, st);
}

int inv_group_for_node(struct inv *inv, const char *pid, char *group, size_t glen,
		       struct inv_status *st)
{
	struct inv_instance in;
	struct inv_group g;
	int found = 0;
	group[0] = 0;
	if (!pid || strncmp(pid, INV_PROVIDER_PREFIX, strlen(INV_PROVIDER_PREFIX)))
		return ok(st);
	if (find_by_pid(inv, pid, &in, &found, st))
		return -1;
	if (!found)
		return ok(st);
	if (inv_get_group(inv, in.group, &g, st))
		return st->code == INV_NOT_FOUND ? ok(st) : -1;
	snprintf(group, glen, "%s", in.group);
	return ok(st);
}

int inv_pending(struct inv *inv, enum inv_state state,
		struct inv_instance **out, size_t *n, struct inv_status *st)
{
	if (state == INV_CREATING)
		return list_query(inv, "SELECT " INST_COLS " FROM instances WHERE"
				  " state = 'creating' AND error_class = 0 AND agent_wait = 0"
				  " ORDER BY created_at, serial", NULL, out, n, st);
	return list_query(inv, "SELECT " INST_COLS " FROM instances WHERE"
			  " state = 'deleting' ORDER BY updated_at, serial", NULL, out, n, st);
}

int inv_hook_started(struct inv *inv, const char *serial, struct inv_status *st)
{
	if (begin(inv, st))
		return -1;
	if (run(inv, st, "UPDATE instances SET attempts = attempts + 1, updated_at = ?"
		" WHERE serial = ?", "it", now_ms(), serial))
		return rollback(inv);
	return commit(inv, st);
}

int inv_provision_done(struct inv *inv, const char *serial, int error_class,
		       const char *code, const char *msg, struct inv_status *st)
{
	int rc;
	if (begin(inv, st))
		return -1;
	if (error_class == 0)
		rc = run(inv, st, "UPDATE instances SET state = 'running', error_class = 0,"
			 " error_code = '', error_msg = '', updated_at = ?"
			 " WHERE serial = ? AND state = 'creating'", "it", now_ms(), serial);
	else
		rc = run(inv, st, "UPDATE instances SET error_class = ?, error_code = ?,"
			 " error_msg = ?, updated_at = ? WHERE serial = ? AND state = 'creating'",
			 "ittit", (int64_t)error_class, code ? code : "",
			 msg ? msg : "", now_ms(), serial);
	if (rc)
		return rollback(inv);
	return commit(inv, st);
}

int inv_provision_awaits_agent(struct inv *inv, const char *serial,
			       struct inv_status *st)
{
	if (begin(inv, st))
		return -1;
	if (run(inv, st, "UPDATE instances SET agent_wait = 1, error_class = 0, error_code = '',"
		" error_msg = '', updated_at = ? WHERE serial = ? AND state = 'creating'",
		"it", now_ms(), serial))
		return rollback(inv);
	return commit(inv, st);
}

int inv_deprovision_done(struct inv *inv, const char *serial, struct inv_status *st)
{
	if (begin(inv, st))
		return -1;
	if (run(inv, st, "UPDATE instances SET state = 'deleted', updated_at = ?"
		" WHERE serial = ? AND state = 'deleting'", "it", now_ms(), serial))
		return rollback(inv);
	/* the instance leaves the inventory: its agent's report goes with it */
	if (sqlite3_changes(inv->db) > 0 &&
	    run(inv, st, "DELETE FROM reports WHERE serial = ?", "t", serial))
		return rollback(inv);
	return commit(inv, st);
}

int inv_recover(struct inv *inv, int max_attempts, int *failed, struct inv_status *st)
{
	char msg[128];
	snprintf(msg, sizeof(msg),
		 "provisioning interrupted by provider restarts (%d attempts)", max_attempts);
	if (begin(inv, st))
		return -1;
	if (run(inv, st, "UPDATE instances SET error_class = ?, error_code = 'provisionInterrupted',"
		" error_msg = ?, updated_at = ? WHERE state = 'creating' AND error_class = 0"
		" AND agent_wait = 0 AND attempts >= ?", "itii", (int64_t)INV_ERR_OTHER, msg, now_ms(),
		(int64_t)max_attempts))
		return rollback(inv);
	*failed = sqlite3_changes(inv->db);
	return commit(inv, st);
}

/* What a host serial may hold: it becomes a file name, an env value, a
 * log word and part of a provider id. */
int inv_serial_valid(const char *s)
{
	if (!*s || !isalnum((unsigned char)*s))
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("._-", *s))
			return 0;
	return 1;
}

/*
 * Serials that firmware ships when nobody set one: many hosts would share
 * them, so one could report as another. Compared without case, spaces,
 * dots, dashes and underscores ("To be filled by O.E.M." and
 * "TO_BE_FILLED_BY_OEM" alike); strings of one repeated character too.
 */
int inv_serial_placeholder(const char *s)
{
	static const char *const known[] = {
		"tobefilledbyoem", "defaultstring", "systemserialnumber",
		"chassisserialnumber", "serialnumber", "notspecified",
		"notapplicable", "na", "none", "null", "unknown", "invalid",
		"empty", "oem", "123456789", "0123456789", "1234567890",
		"12345678", "none0", "notavailable", "notset", "default",
	};
	char n[128];
	size_t k = 0, i;

	for (; *s && k < sizeof(n) - 1; s++)
		if (isalnum((unsigned char)*s))
			n[k++] = (char)tolower((unsigned char)*s);
	n[k] = '\0';
	if (!k)
		return 1;
	for (i = 1; i < k && n[i] == n[0]; i++)
		;
	if (i == k)	/* "0000000", "xxxxxxxx", "FFFFFFFF" */
		return 1;
	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (!strcmp(n, known[i]))
			return 1;
	return 0;
}

int inv_slot_type_valid(const char *t)
{
	size_t n = t ? strlen(t) : 0;
	if (n == 0 || n > INV_SLOT_TYPE_LEN)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)t[i]) && !strchr("._-", t[i]))
			return 0;
	return isalnum((unsigned char)t[0]) && isalnum((unsigned char)t[n - 1]);
}

/* At most 80 bytes of s for a message: control characters, '"' and '\\'
 * escaped, so a bad name cannot break the log line or the quoting. */
static const char *quoted(char *buf, size_t len, const char *s)
{
	size_t o = 0;
	s = s ? s : "";
	for (size_t i = 0; s[i] && i < 80 && o + 5 < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c >= 0x7f)	/* control and non-ASCII bytes */
			o += (size_t)snprintf(buf + o, len - o, "\\x%02x", c);
		else if (c == '"' || c == '\\')
			o += (size_t)snprintf(buf + o, len - o, "\\%c", c);
		else
			buf[o++] = (char)c;
	}
	buf[o] = 0;
	return buf;
}

/* "type=free/total,..." (column reports.slots); 0, or -1 with st set */
static int join_slots(char *buf, size_t len, const struct inv_report *r,
		      struct inv_status *st)
{
	char q[330];
	size_t off = 0;
	buf[0] = 0;
	if (r->nslots > INV_SLOT_TYPES_MAX)
		return set(st, INV_INVALID, "host \"%s\" reports %zu function slot types, at most %d",
			   r->serial, r->nslots, INV_SLOT_TYPES_MAX);
	for (size_t i = 0; i < r->nslots; i++) {
		const struct inv_slot *sl = &r->slots[i];
		if (!inv_slot_type_valid(sl->type))
			return set(st, INV_INVALID, "host \"%s\": invalid function slot type \"%s\"",
				   r->serial, quoted(q, sizeof(q), sl->type));
		for (size_t j = 0; j < i; j++)
			if (!strcmp(sl->type, r->slots[j].type))
				return set(st, INV_INVALID,
					   "host \"%s\": function slot type \"%s\" listed twice",
					   r->serial, sl->type);
		if (sl->total && sl->free > sl->total)
			return set(st, INV_INVALID,
				   "host \"%s\": function slots \"%s\": free %u exceeds total %u",
				   r->serial, sl->type, sl->free, sl->total);
		int w = snprintf(buf + off, len - off, "%s%s=%u/%u", i ? "," : "",
				 sl->type, sl->free, sl->total);
		if (w < 0 || (size_t)w >= len - off)
			return set(st, INV_INTERNAL, "function slots do not fit");
		off += (size_t)w;
	}
	return 0;
}

int inv_fn_token_valid(const char *t)
{
	size_t n = t ? strlen(t) : 0;
	if (n == 0 || n > INV_FN_TOKEN_LEN)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)t[i]) && !strchr("._-", t[i]))
			return 0;
	return 1;
}

/* no ',' or ':' (the separators of reports.functions), no control chars */
/* the kernel's tenant names: [A-Za-z0-9_.-], not starting with . or - */
static int fn_tenant_chars_valid(const char *t)
{
	if (*t == '.' || *t == '-')
		return 0;
	for (const unsigned char *p = (const unsigned char *)t; *p; p++)
		if (!isalnum(*p) && *p != '_' && *p != '.' && *p != '-')
			return 0;
	return 1;
}

static int fn_mac_valid(const char *m)
{
	if (!m[0])
		return 1;
	if (strlen(m) != 17)
		return 0;
	for (int i = 0; i < 17; i++)
		if (i % 3 == 2 ? m[i] != ':' : !isxdigit((unsigned char)m[i]))
			return 0;
	return 1;
}

static int fn_by_index(const void *a, const void *b)
{
	uint32_t x = (*(const struct inv_function *const *)a)->index;
	uint32_t y = (*(const struct inv_function *const *)b)->index;
	return x < y ? -1 : x > y;
}

/* longest "INDEX:TYPE:STATE:TENANT:SIZE:MAC," */
#define FN_ENTRY_MAX (10 + INV_FN_TOKEN_LEN * 2 + INV_FN_TENANT_LEN + 20 + 17 + 6)

/* Column reports.functions: "INDEX:TYPE:STATE:TENANT:SIZE:MAC" per
 * function, sorted by index, joined by ","; "" for none.  TENANT and MAC
 * may be empty; SIZE is decimal bytes (0 when not reported); MAC, the
 * last field, is everything after the fifth ':'.  *out is malloc'd; 0, or
 * -1 with st set. */
static int join_functions(char **out, int64_t *ready, const struct inv_report *r,
			  struct inv_status *st)
{
	char q[330];
	size_t n = r->nfunctions;
	*out = NULL;
	*ready = 0;
	if (n > INV_FUNCTIONS_MAX)
		return set(st, INV_INVALID, "host \"%s\" reports %zu functions, at most %d",
			   r->serial, n, INV_FUNCTIONS_MAX);
	for (size_t i = 0; i < n; i++) {
		const struct inv_function *f = &r->functions[i];
		const char *tenant = f->tenant ? f->tenant : "";
		if (!inv_fn_token_valid(f->type))
			return set(st, INV_INVALID, "host \"%s\": function %u: invalid type \"%s\"",
				   r->serial, f->index, quoted(q, sizeof(q), f->type));
		if (!inv_fn_token_valid(f->state))
			return set(st, INV_INVALID, "host \"%s\": function %u: invalid state \"%s\"",
				   r->serial, f->index, quoted(q, sizeof(q), f->state));
		if (strlen(tenant) > INV_FN_TENANT_LEN)
			return set(st, INV_INVALID,
				   "host \"%s\": function %u: tenant \"%s\" longer than %d characters",
				   r->serial, f->index, quoted(q, sizeof(q), tenant),
				   INV_FN_TENANT_LEN);
		if (!fn_tenant_chars_valid(tenant))
			return set(st, INV_INVALID, "host \"%s\": function %u: invalid tenant \"%s\"",
				   r->serial, f->index, quoted(q, sizeof(q), tenant));
		if (!fn_mac_valid(f->mac ? f->mac : ""))
			return set(st, INV_INVALID,
				   "host \"%s\": function %u: invalid MAC address \"%s\"",
				   r->serial, f->index, quoted(q, sizeof(q), f->mac));
	}
	const struct inv_function **by = malloc((n ? n : 1) * sizeof(*by));
	char *buf = malloc(n * FN_ENTRY_MAX + 1);
	if (!by || !buf) {
		free(by);
		free(buf);
		return set(st, INV_INTERNAL, "out of memory");
	}
	for (size_t i = 0; i < n; i++)
		by[i] = &r->functions[i];
	qsort(by, n, sizeof(*by), fn_by_index);
	size_t off = 0;
	buf[0] = 0;
	for (size_t i = 0; i < n; i++) {
		const struct inv_function *f = by[i];
		if (i && f->index == by[i - 1]->index) {
			free(by);
			free(buf);
			return set(st, INV_INVALID, "host \"%s\": function index %u listed twice",
				   r->serial, f->index);
		}
		off += (size_t)snprintf(buf + off, n * FN_ENTRY_MAX + 1 - off,
					"%s%u:%s:%s:%s:%llu:%s", i ? "," : "", f->index,
					f->type, f->state, f->tenant ? f->tenant : "",
					(unsigned long long)f->size_bytes, f->mac ? f->mac : "");
		if (!strcmp(f->state, "ready"))
			(*ready)++;
	}
	free(by);
	*out = buf;
	return 0;
}

/* inv_agent_report after validation: one transaction */
static int agent_report_tx(struct inv *inv, const struct inv_report *r, int is_register,
			   const char *slots, const char *fns, int64_t ready,
			   struct inv_directive *d, struct inv_status *st)
{
	struct inv_instance *v;
	size_t n;
	if (begin(inv, st))
		return -1;
	if (list_query(inv, "SELECT " INST_COLS " FROM instances WHERE serial = ?",
		       r->serial, &v, &n, st))
		return rollback(inv);
	struct inv_instance in;
	int found = n > 0 && v[0].state != INV_DELETED;
	if (n)
		in = v[0];
	free(v);
	const char *claim = r->group ? r->group : "";
	if (found && claim[0] && strcmp(claim, in.group)) {
		set(st, INV_INVALID, "host \"%s\" belongs to node group \"%s\", not \"%s\"",
		    r->serial, in.group, claim);
		return rollback(inv);
	}
	int64_t now = now_ms();
	if (!found) {
		d->disposition = INV_STAY_FREE;
	} else {
		snprintf(d->group, sizeof(d->group), "%s", in.group);
		snprintf(d->provider_id, sizeof(d->provider_id), "%s", in.provider_id);
		d->disposition = in.state == INV_DELETING ? INV_LEAVE : INV_JOIN;
		if (in.state == INV_CREATING) {
			if (run(inv, st, "UPDATE instances SET state = 'running', error_class = 0,"
				" error_code = '', error_msg = '', agent_wait = 0, updated_at = ?"
				" WHERE serial = ? AND state = 'creating'", "it", now, r->serial))
				return rollback(inv);
			d->became_running = 1;
		}
	}
	if (run(inv, st,
		"INSERT INTO reports (serial, group_id, labels, cpu_milli, mem_bytes, pods,"
		" hr_cpu_milli, hr_mem_bytes, hr_pods, slots, registered_at, reported_at, reports,"
		" functions, functions_ready, functions_total)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, 1, ?14, ?15, ?16)"
		" ON CONFLICT(serial) DO UPDATE SET group_id = ?2, labels = ?3, cpu_milli = ?4,"
		" mem_bytes = ?5, pods = ?6, hr_cpu_milli = ?7, hr_mem_bytes = ?8, hr_pods = ?9,"
		" slots = ?10, registered_at = CASE WHEN ?13 THEN ?12 ELSE registered_at END,"
		" reported_at = ?12, reports = reports + 1, functions = ?14,"
		" functions_ready = ?15, functions_total = ?16",
		"tttiiiiiitiiitii", r->serial, found ? in.group : claim, r->labels ? r->labels : "",
		r->cpu_milli, r->mem_bytes, r->pods, r->hr_cpu_milli, r->hr_mem_bytes,
		r->hr_pods, slots, is_register ? now : (int64_t)0, now,
		(int64_t)is_register, fns, ready, (int64_t)r->nfunctions))
		return rollback(inv);
	return commit(inv, st);
}

int inv_agent_report(struct inv *inv, const struct inv_report *r, int is_register,
		     struct inv_directive *d, struct inv_status *st)
{
	char slots[INV_SLOT_TYPES_MAX * (INV_SLOT_TYPE_LEN + 24)];
	char *fns;
	int64_t ready;
	memset(d, 0, sizeof(*d));
	if (!r->serial || !r->serial[0])
		return set(st, INV_INVALID, "host serial is empty");
	if (strlen(r->serial) >= sizeof(((struct inv_instance *)0)->serial))
		return set(st, INV_INVALID, "host serial is too long");
	if (!inv_serial_valid(r->serial))
		return set(st, INV_INVALID,
			   "host serial has characters other than A-Z a-z 0-9 . _ - (refused, not escaped)");
	if (inv_serial_placeholder(r->serial))
		return set(st, INV_INVALID,
			   "host serial \"%s\" is a firmware placeholder, not this host's: set serial in dpud.conf",
			   r->serial);
	if (r->group && r->group[0] && !inv_fn_token_valid(r->group))
		return set(st, INV_INVALID, "host \"%s\": invalid node group name", r->serial);
	if (join_slots(slots, sizeof(slots), r, st) ||
	    join_functions(&fns, &ready, r, st))
		return -1;
	int rc = agent_report_tx(inv, r, is_register, slots, fns, ready, d, st);
	free(fns);
	return rc;
}


struct slot_agg {
	char type[INV_SLOT_TYPE_LEN + 1];
	int64_t total, free;	/* smallest total, largest free */
	int hosts;		/* hosts listing the type */
	int last;		/* last host (1-based) that listed it */
};

/* Add one host's "type=free/total,..." (or the older "type=free") to the
 * per-type aggregate a[*na], kept sorted by type. */
static void add_slots(struct slot_agg *a, size_t *na, const char *text, int host)
{
	char buf[INV_SLOT_TYPES_MAX * (INV_SLOT_TYPE_LEN + 24)];
	char *save = NULL;
	snprintf(buf, sizeof(buf), "%s", text ? text : "");
	for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '='), *end;
		if (!eq)
			continue;
		*eq = 0;
		unsigned long long fr = strtoull(eq + 1, &end, 10), tot = 0;
		if (end == eq + 1 || (*end && *end != '/'))
			continue;
		if (*end == '/') {
			const char *t = end + 1;
			tot = strtoull(t, &end, 10);
			if (end == t || *end)
				continue;
		}
		if (!inv_slot_type_valid(tok) || fr > UINT32_MAX || tot > UINT32_MAX)
			continue;
		if (tot < fr)	/* total 0: not reported (older agents) */
			tot = fr;
		size_t i = 0;
		while (i < *na && strcmp(a[i].type, tok) < 0)
			i++;
		if (i == *na || strcmp(a[i].type, tok)) {
			if (*na == INV_SLOT_TYPES_MAX)
				continue;
			memmove(&a[i + 1], &a[i], (*na - i) * sizeof(a[0]));
			(*na)++;
			memset(&a[i], 0, sizeof(a[i]));
			snprintf(a[i].type, sizeof(a[i].type), "%s", tok);
			a[i].total = (int64_t)tot;
		} else if (a[i].last == host) {
			continue;	/* listed twice in one report */
		}
		if ((int64_t)tot < a[i].total)
			a[i].total = (int64_t)tot;
		if ((int64_t)fr > a[i].free)
			a[i].free = (int64_t)fr;
		a[i].hosts++;
		a[i].last = host;
	}
}

int inv_group_reported(struct inv *inv, const char *group, struct inv_reported *o,
		       struct inv_status *st)
{
	struct slot_agg a[INV_SLOT_TYPES_MAX];
	size_t na = 0;
	memset(o, 0, sizeof(*o));
	sqlite3_stmt *s = prep(inv,
		"SELECT r.cpu_milli, r.mem_bytes, r.pods, r.hr_cpu_milli, r.hr_mem_bytes, r.slots"
		" FROM reports r JOIN instances i ON i.serial = r.serial"
		" WHERE i.group_id = ? AND i.state = 'running'"
		" AND r.cpu_milli > 0 AND r.mem_bytes > 0", st);
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, group, -1, SQLITE_TRANSIENT);
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t cpu = sqlite3_column_int64(s, 0), mem = sqlite3_column_int64(s, 1);
		int64_t pods = sqlite3_column_int64(s, 2);
		int64_t hcpu = sqlite3_column_int64(s, 3), hmem = sqlite3_column_int64(s, 4);
		int host = ++o->hosts;
		if (host == 1 || cpu < o->cpu_milli)
			o->cpu_milli = cpu;
		if (host == 1 || mem < o->mem_bytes)
			o->mem_bytes = mem;
		if (pods > 0 && (o->pods == 0 || pods < o->pods))
			o->pods = pods;
		if (hcpu > o->hr_cpu_milli)
			o->hr_cpu_milli = hcpu;
		if (hmem > o->hr_mem_bytes)
			o->hr_mem_bytes = hmem;
		add_slots(a, &na, (const char *)sqlite3_column_text(s, 5), host);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		memset(o, 0, sizeof(*o));
		return dberr(inv, st, "reported capacity");
	}
	for (size_t i = 0; i < na; i++) {
		memcpy(o->slots[i].type, a[i].type, sizeof(o->slots[i].type));
		/* a host that does not list the type offers none of it */
		o->slots[i].total = a[i].hosts < o->hosts ? 0 : a[i].total;
		o->slots[i].free = a[i].free;
	}
	o->nslots = na;
	return ok(st);
}

int inv_purge_deleted(struct inv *inv, int64_t max_age_ms, int *purged,
		      struct inv_status *st)
{
	if (begin(inv, st))
		return -1;
	if (run(inv, st, "DELETE FROM instances WHERE state = 'deleted' AND updated_at <= ?",
		"i", now_ms() - max_age_ms))
		return rollback(inv);
	if (purged)
		*purged = sqlite3_changes(inv->db);
	return commit(inv, st);
}

int inv_expire_reports(struct inv *inv, int64_t max_age_ms, int *deleted,
		       struct inv_status *st)
{
	if (begin(inv, st))
		return -1;
	if (run(inv, st, "DELETE FROM reports WHERE reported_at <= ? AND NOT EXISTS"
		" (SELECT 1 FROM instances i WHERE i.serial = reports.serial"
		"  AND i.state != 'deleted')", "i", now_ms() - max_age_ms))
		return rollback(inv);
	if (deleted)
		*deleted = sqlite3_changes(inv->db);
	return commit(inv, st);
}
