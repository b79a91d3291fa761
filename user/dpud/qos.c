// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dpud: acting on the module's co-location QoS decisions through cgroup v2.
 *
 * dpu.ko measures and decides; dpud listens on the "qos" group and writes
 * at once: BE cgroups get cpu.max (the budget, shared equally among the
 * top BE cgroups) and cpu.idle 1; memory.high is lowered by the bytes to
 * reclaim and lifted when reclaim ends; evicted cgroups get cgroup.kill.
 * HLS cgroups get exclusive CPUs (a cpuset partition of qos_hls_cpus); LS
 * cgroups prefer the DPU's NUMA node (cpuset.mems).
 *
 * Crash safety: what was written is recorded in STATE_DIR/qos.applied, so
 * that a restart (or a start without the module) can release it; a QoS-off
 * decision (the module unloading, or the policy disabled) releases at
 * once. A restart with the module re-applies the decision in force.
 */
#include <inttypes.h>

#include "dpud_int.h"
#include "dpud_qos.h"

#define CG_ROOT		"/sys/fs/cgroup"
#define CPU_PERIOD_US	100000
#define MAX_CGS		256

struct qcg {
	char path[DPU_CGROUP_PATH_LEN];
	uint8_t cls;
	bool evicted;
};

static struct {
	struct dpu_nl *ev;
	bool on;			/* the module has QoS and we follow it */
	bool enabled;			/* the decision in force says enabled */
	struct qcg cgs[MAX_CGS];
	int ncgs;
	struct dpu_qos_info *last;	/* the decision in force */
	bool have_last;
	uint64_t decisions, evictions, errors, applies;
	uint32_t seq;
	double last_apply_ms;
	int numa;			/* the DPU's node, -1 none */
} Q = { .numa = -1 };

static int cg_write(const char *cg, const char *file, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* write a cgroup file; 0 or -errno (logged once per call) */
static int cg_write(const char *cg, const char *file, const char *fmt, ...)
{
	char path[PATH_MAX], val[128];
	va_list ap;
	int fd, ret = 0;
	ssize_t n;

	va_start(ap, fmt);
	vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	snprintf(path, sizeof(path), CG_ROOT "%s/%s", cg, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
	} else {
		n = write(fd, val, strlen(val));
		if (n < 0)
			ret = -errno;
		close(fd);
	}
	if (ret) {
		Q.errors++;
		dpud_log("warn", "qos: cannot write cgroup file",
			 "cgroup=%s file=%s value=\"%s\" error=\"%s\"", cg,
			 file, val, strerror(-ret));
	}
	return ret;
}

static uint64_t cg_read_u64(const char *cg, const char *file)
{
	char path[PATH_MAX], buf[64];
	uint64_t v = 0;
	FILE *f;

	snprintf(path, sizeof(path), CG_ROOT "%s/%s", cg, file);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (fgets(buf, sizeof(buf), f))
		v = strtoull(buf, NULL, 10);
	fclose(f);
	return v;
}

static bool cg_exists(const char *cg)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), CG_ROOT "%s", cg);
	return !stat(path, &st) && S_ISDIR(st.st_mode);
}

/* ------------------------------------------------- the applied record */

static void applied_path(char *buf, size_t len)
{
	snprintf(buf, len, "%s/qos.applied", D.cfg.state_dir);
}

/* what we wrote to, so that a restart can undo it */
static void applied_save(void)
{
	char path[PATH_MAX + 32], tmp[PATH_MAX + 40];
	FILE *f;
	int i;

	applied_path(path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "we");
	if (!f)
		return;
	for (i = 0; i < Q.ncgs; i++)
		fprintf(f, "%s %s\n", dpu_qos_class_str(Q.cgs[i].cls),
			Q.cgs[i].path);
	if (fflush(f) || fsync(fileno(f))) {
		fclose(f);
		unlink(tmp);
		return;
	}
	fclose(f);
	if (rename(tmp, path))
		unlink(tmp);
}

static void release_one(const char *path, uint8_t cls)
{
	if (!cg_exists(path))
		return;
	if (cls == DPU_QOS_CLASS_BE) {
		cg_write(path, "cpu.max", "max %d", CPU_PERIOD_US);
		cg_write(path, "cpu.idle", "0");
		cg_write(path, "memory.high", "max");
	}
}

/*
 * Release everything recorded (QoS off, module gone, or not there); with
 * forget, the classification is dropped too (the module that had it is
 * gone).
 */
static void release_recorded(const char *why, bool forget)
{
	char path[PATH_MAX + 32], line[DPU_CGROUP_PATH_LEN + 16];
	char cg[DPU_CGROUP_PATH_LEN];
	char cls[8];
	int n = 0;
	FILE *f;

	applied_path(path, sizeof(path));
	f = fopen(path, "re");
	if (f) {
		while (fgets(line, sizeof(line), f)) {
			if (sscanf(line, "%7s %511s", cls, cg) != 2 ||
			    cg[0] != '/')
				continue;
			release_one(cg, (uint8_t)dpu_qos_class_parse(cls));
			n++;
		}
		fclose(f);
	}
	Q.enabled = false;
	if (forget) {
		Q.ncgs = 0;
		applied_save();
	}
	if (n)
		dpud_log("info", "qos: best effort released", "why=\"%s\" cgroups=%d",
			 why, n);
}

/* --------------------------------------------------------- applying */

static struct qcg *qcg_find(const char *path)
{
	int i;

	for (i = 0; i < Q.ncgs; i++)
		if (!strcmp(Q.cgs[i].path, path))
			return &Q.cgs[i];
	return NULL;
}

/* a BE cgroup below another BE cgroup shares its parent's budget */
static bool be_top(const struct qcg *c)
{
	size_t n;
	int i;

	for (i = 0; i < Q.ncgs; i++) {
		if (&Q.cgs[i] == c || Q.cgs[i].cls != DPU_QOS_CLASS_BE)
			continue;
		n = strlen(Q.cgs[i].path);
		if (!strncmp(Q.cgs[i].path, c->path, n) && c->path[n] == '/')
			return false;
	}
	return true;
}

/* class-wide settings of a newly seen (or reclassified) cgroup */
static void apply_class(struct qcg *c)
{
	if (!cg_exists(c->path))
		return;
	switch (c->cls) {
	case DPU_QOS_CLASS_BE:
		if (Q.enabled)
			cg_write(c->path, "cpu.idle", "1");
		break;
	case DPU_QOS_CLASS_HLS:
		if (!D.cfg.qos_hls_cpus[0]) {
			dpud_log("warn", "qos: HLS cgroup without exclusive CPUs",
				 "cgroup=%s hint=\"set qos_hls_cpus in dpud.conf\"",
				 c->path);
			break;
		}
		if (!cg_write(c->path, "cpuset.cpus", "%s", D.cfg.qos_hls_cpus))
			cg_write(c->path, "cpuset.cpus.partition", "root");
		break;
	case DPU_QOS_CLASS_LS:
		if (Q.numa >= 0)
			cg_write(c->path, "cpuset.mems", "%d", Q.numa);
		break;
	default:
		break;
	}
}

static void apply_cpu(const struct dpu_qos_info *q)
{
	uint64_t budget = q->dec[DPU_A_QOS_DEC_BE_CPU_MCPU], quota;
	int i, ntop = 0;

	for (i = 0; i < Q.ncgs; i++)
		if (Q.cgs[i].cls == DPU_QOS_CLASS_BE && be_top(&Q.cgs[i]))
			ntop++;
	if (!ntop)
		return;
	/* mCPU -> us per period, shared equally; at least 1 ms */
	quota = budget * CPU_PERIOD_US / 1000 / (uint64_t)ntop;
	if (quota < 1000)
		quota = 1000;
	for (i = 0; i < Q.ncgs; i++) {
		struct qcg *c = &Q.cgs[i];

		if (c->cls != DPU_QOS_CLASS_BE || !be_top(c) ||
		    !cg_exists(c->path))
			continue;
		cg_write(c->path, "cpu.max", "%" PRIu64 " %d", quota,
			 CPU_PERIOD_US);
	}
}

static void apply_mem(const struct dpu_qos_info *q)
{
	uint64_t reclaim = q->dec[DPU_A_QOS_DEC_RECLAIM], total = 0, cur, share;
	int i;

	for (i = 0; i < Q.ncgs; i++)
		if (Q.cgs[i].cls == DPU_QOS_CLASS_BE && be_top(&Q.cgs[i]))
			total += cg_read_u64(Q.cgs[i].path, "memory.current");
	for (i = 0; i < Q.ncgs; i++) {
		struct qcg *c = &Q.cgs[i];

		if (c->cls != DPU_QOS_CLASS_BE || !be_top(c) ||
		    !cg_exists(c->path))
			continue;
		if (!reclaim || !total) {
			cg_write(c->path, "memory.high", "max");
			continue;
		}
		/* each gives back its share of what BE holds */
		cur = cg_read_u64(c->path, "memory.current");
		share = (uint64_t)((double)reclaim * (double)cur / (double)total);
		cg_write(c->path, "memory.high", "%" PRIu64,
			 cur > share + (4 << 20) ? cur - share : 4 << 20);
	}
}

static void apply_evict(const struct dpu_qos_info *q)
{
	struct qcg *c;
	uint32_t i;

	for (i = 0; i < q->nevict; i++) {
		const char *p = q->evict[i].path;

		if (!p[0] || !cg_exists(p))
			continue;
		c = qcg_find(p);
		if (c && c->cls != DPU_QOS_CLASS_BE) {
			/* the module only names BE cgroups: never an online one */
			dpud_log("error", "qos: refusing to evict a non-BE cgroup",
				 "cgroup=%s class=%s", p, dpu_qos_class_str(c->cls));
			continue;
		}
		cg_write(p, "memory.high", "%d", 4 << 20);
		if (!cg_write(p, "cgroup.kill", "1")) {
			Q.evictions++;
			if (c)
				c->evicted = true;
			dpud_log("info", "qos: evicted", "cgroup=%s mem=%" PRIu64,
				 p, q->evict[i].mem);
		}
	}
}

static double ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 +
	       (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

static void apply(const struct dpu_qos_info *q, bool all)
{
	uint32_t changed = (uint32_t)q->dec[DPU_A_QOS_DEC_CHANGED];
	bool enabled = q->dec[DPU_A_QOS_DEC_ENABLED];
	struct timespec t0;
	int i;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	Q.seq = (uint32_t)q->dec[DPU_A_QOS_DEC_SEQ];
	if (changed & DPU_QOS_CHANGE_UNLOAD)
		D.family_lost = true;	/* the next refresh joins again */
	if (!enabled) {
		if (Q.enabled || all)
			release_recorded("qos is off in the module", false);
		memcpy(Q.last, q, sizeof(*q));
		Q.have_last = true;
		return;
	}
	if (!Q.enabled) {
		Q.enabled = true;
		for (i = 0; i < Q.ncgs; i++)
			apply_class(&Q.cgs[i]);
		all = true;
	}
	if (all || (changed & (DPU_QOS_CHANGE_CPU | DPU_QOS_CHANGE_POLICY)))
		apply_cpu(q);
	if (all || (changed & (DPU_QOS_CHANGE_RECLAIM | DPU_QOS_CHANGE_EVICT |
			       DPU_QOS_CHANGE_POLICY)))
		apply_mem(q);
	if (changed & DPU_QOS_CHANGE_EVICT)
		apply_evict(q);
	memcpy(Q.last, q, sizeof(*q));
	Q.have_last = true;
	Q.applies++;
	Q.last_apply_ms = ms_since(&t0);
}

/* ------------------------------------------------------ the messages */

static int on_class(const struct dpu_qos_class_info *ci, void *arg)
{
	struct qcg *c = qcg_find(ci->path);

	(void)arg;
	if (ci->cmd == DPU_CMD_QOS_CLASS_DEL) {
		if (!c)
			return 0;
		if (Q.enabled)
			release_one(c->path, c->cls);
		*c = Q.cgs[--Q.ncgs];
		applied_save();
		if (Q.have_last && Q.enabled)
			apply_cpu(Q.last);	/* the budget's shares change */
		return 0;
	}
	if (!c) {
		if (Q.ncgs >= MAX_CGS) {
			dpud_log("warn", "qos: too many classified cgroups", "max=%d", MAX_CGS);
			return 0;
		}
		c = &Q.cgs[Q.ncgs++];
		memset(c, 0, sizeof(*c));
		snprintf(c->path, sizeof(c->path), "%s", ci->path);
	} else if (c->cls == DPU_QOS_CLASS_BE && ci->qos_class != c->cls &&
		   Q.enabled) {
		release_one(c->path, c->cls);	/* no longer BE */
	}
	c->cls = ci->qos_class;
	c->evicted = ci->evicted;
	applied_save();
	if (Q.enabled) {
		apply_class(c);
		if (Q.have_last)
			apply(Q.last, true);
	}
	return 0;
}

static int on_decision(const struct dpu_qos_info *q, void *arg)
{
	(void)arg;
	Q.decisions++;
	apply(q, false);
	return 0;
}

int dpud_qos_dispatch(const void *buf, size_t len)
{
	if (!Q.ev)
		return 0;
	return dpu_qos_events_dispatch(buf, len, dpu_nl_family_id(Q.ev),
				       on_decision, on_class, NULL);
}

int dpud_qos_fd(void)
{
	return Q.ev ? dpu_nl_fd(Q.ev) : -1;
}

static int dump_class(const struct dpu_qos_class_info *ci, void *arg)
{
	return on_class(ci, arg);
}

/* what the module has now: classes, then the decision in force */
static int resync(const char *why)
{
	struct dpu_qos_info *q = Q.last;
	int ret;

	Q.ncgs = 0;
	ret = dpu_qos_class_dump(D.nl, dump_class, NULL);
	if (!ret)
		ret = dpu_qos_get(D.nl, q);
	if (ret)
		return ret;
	Q.decisions++;
	Q.enabled = false;	/* apply() sets classes up again */
	apply(q, true);
	dpud_log("info", "qos: following the module's decisions",
		 "why=%s cgroups=%d seq=%u be_cpu_mcpu=%" PRIu64 " enabled=%d",
		 why, Q.ncgs, Q.seq, q->dec[DPU_A_QOS_DEC_BE_CPU_MCPU],
		 (int)q->dec[DPU_A_QOS_DEC_ENABLED]);
	return 0;
}

void dpud_qos_start(void)
{
	char err[256];
	struct dpu_dev_info di;

	if (!D.cfg.qos) {
		release_recorded("qos = no in the configuration", true);
		return;
	}
	if (!Q.last)
		Q.last = calloc(1, sizeof(*Q.last));
	if (!Q.last)
		return;
	if (!dpu_dev_get(D.nl, D.cfg.device, 0, &di) && di.numa_node >= 0)
		Q.numa = di.numa_node;
	Q.ev = dpu_nl_open_group(DPU_GENL_MCGRP_QOS, err, sizeof(err));
	if (!Q.ev) {
		dpud_log("warn", "qos: not following the module", "error=\"%s\"", err);
		release_recorded("the module has no QoS", true);
		return;
	}
	Q.on = true;
	if (resync("start")) {
		dpud_log("warn", "qos: cannot read the module's QoS state",
			 "error=\"%s\"", dpu_nl_errmsg(D.nl));
		release_recorded("the module's QoS state is unreadable", true);
	}
}

/* the family came back (dpu.ko reloaded): join again, start over */
void dpud_qos_follow(void)
{
	char err[256];

	if (!Q.ev)
		return;
	if (dpu_nl_events_rejoin(Q.ev, D.nl, err, sizeof(err)) < 0) {
		dpud_log("error", "qos: cannot follow the decisions again",
			 "error=\"%s\"", err);
		return;
	}
	resync("dpu.ko reloaded");
}

/* the family went away: nothing decides any more, release BE */
void dpud_qos_lost(void)
{
	if (Q.on && Q.enabled)
		release_recorded("dpu.ko is gone", true);
}

bool dpud_qos_budget(uint64_t *mcpu)
{
	int i;

	if (!Q.on || !Q.enabled || !Q.have_last || !Q.seq)
		return false;
	for (i = 0; i < Q.ncgs && Q.cgs[i].cls != DPU_QOS_CLASS_BE; i++)
		;
	if (i == Q.ncgs)
		return false;	/* no BE cgroup: nothing is held back */
	*mcpu = Q.last->dec[DPU_A_QOS_DEC_BE_CPU_MCPU];
	return true;
}

void dpud_qos_metrics(FILE *f)
{
	int i, n[DPU_QOS_CLASS_MAX + 1] = { 0 };

	fprintf(f, "# HELP dpud_qos_enabled 1 while dpud applies the module's QoS decisions\n"
		   "# TYPE dpud_qos_enabled gauge\ndpud_qos_enabled %d\n",
		Q.on && Q.enabled);
	if (!Q.on)
		return;
	for (i = 0; i < Q.ncgs; i++)
		if (Q.cgs[i].cls <= DPU_QOS_CLASS_MAX)
			n[Q.cgs[i].cls]++;
	fprintf(f, "# HELP dpud_qos_cgroups classified cgroups by class\n"
		   "# TYPE dpud_qos_cgroups gauge\n");
	for (i = DPU_QOS_CLASS_HLS; i <= DPU_QOS_CLASS_MAX; i++)
		fprintf(f, "dpud_qos_cgroups{class=\"%s\"} %d\n",
			dpu_qos_class_str((uint8_t)i), n[i]);
	fprintf(f, "# HELP dpud_qos_decisions_total decisions received from dpu.ko\n"
		   "# TYPE dpud_qos_decisions_total counter\n"
		   "dpud_qos_decisions_total %" PRIu64 "\n", Q.decisions);
	fprintf(f, "# HELP dpud_qos_evictions_total best-effort cgroups killed\n"
		   "# TYPE dpud_qos_evictions_total counter\n"
		   "dpud_qos_evictions_total %" PRIu64 "\n", Q.evictions);
	fprintf(f, "# HELP dpud_qos_write_errors_total cgroup writes that failed\n"
		   "# TYPE dpud_qos_write_errors_total counter\n"
		   "dpud_qos_write_errors_total %" PRIu64 "\n", Q.errors);
	if (!Q.have_last)
		return;
	fprintf(f, "# HELP dpud_qos_decision_seq sequence number of the decision in force\n"
		   "# TYPE dpud_qos_decision_seq gauge\n"
		   "dpud_qos_decision_seq %u\n", Q.seq);
	fprintf(f, "# HELP dpud_qos_be_cpu_budget_cores CPU best-effort cgroups may use together\n"
		   "# TYPE dpud_qos_be_cpu_budget_cores gauge\n"
		   "dpud_qos_be_cpu_budget_cores %.3f\n",
		(double)Q.last->dec[DPU_A_QOS_DEC_BE_CPU_MCPU] / 1000.0);
	fprintf(f, "# HELP dpud_qos_online_cpu_cores online CPU use the budget was computed from\n"
		   "# TYPE dpud_qos_online_cpu_cores gauge\n"
		   "dpud_qos_online_cpu_cores %.3f\n",
		(double)Q.last->dec[DPU_A_QOS_DEC_ONLINE_MCPU] / 1000.0);
	fprintf(f, "# HELP dpud_qos_reclaim_bytes memory best effort is asked to give back\n"
		   "# TYPE dpud_qos_reclaim_bytes gauge\n"
		   "dpud_qos_reclaim_bytes %" PRIu64 "\n",
		Q.last->dec[DPU_A_QOS_DEC_RECLAIM]);
	fprintf(f, "# HELP dpud_qos_io_capped 1 while best-effort tenants' I/O is capped\n"
		   "# TYPE dpud_qos_io_capped gauge\n"
		   "dpud_qos_io_capped %d\n", (int)Q.last->dec[DPU_A_QOS_DEC_IO_CAP]);
	fprintf(f, "# HELP dpud_qos_apply_seconds time the last decision took to write\n"
		   "# TYPE dpud_qos_apply_seconds gauge\n"
		   "dpud_qos_apply_seconds %.6f\n", Q.last_apply_ms / 1e3);
}

void dpud_qos_close(void)
{
	dpu_nl_close(Q.ev);
	Q.ev = NULL;
	free(Q.last);
	Q.last = NULL;
}
