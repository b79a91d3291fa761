// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dpud: the dpupool node daemon. One io_uring event loop (no thread per
 * socket, no busy polling) over the dpu netlink events socket, a timerfd,
 * a signalfd and the /metrics TCP listener and its connections. Reconciles
 * the desired state directory with the DPU's functions and tenants at
 * start, on every netlink event, on SIGHUP and every 60 s.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <liburing.h>
#include <netdb.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dpud.h"

#define NL_BUF		(64 * 1024)
#define MAX_CONNS	64
#define MAX_PENDING	256
#define RESYNC_MS	60000	/* full reconcile without events */
#define AGENT_DEADLINE_MS (DPUD_AGENT_DEADLINE_S * 1000)

enum op_kind { OP_NL, OP_TIMER, OP_SIGNAL, OP_ACCEPT, OP_CONN, OP_ATIMER,
	       OP_LTIMEOUT, OP_AGENT = DPUD_OP_AGENT };

/* a connection's request, and each send, must make progress within this */
#define CONN_TIMEOUT_S	5

struct op {
	enum op_kind kind;
};

struct conn {
	struct op op;		/* first: user_data points here */
	int fd;
	bool sending;
	char in[4096];
	size_t inlen;
	char *out;
	size_t outlen, sent;
};

struct pending {
	uint32_t index;
	struct timespec start;
};

static struct dpud {
	const char *config_path;
	struct dpud_config cfg;
	struct dpud_desired desired;
	struct dpu_nl *nl, *ev;
	struct io_uring ring;
	int tfd, sfd, lfd;
	struct op op_nl, op_timer, op_signal, op_accept, op_ltimeout;
	uint8_t *nlbuf;
	uint64_t tbuf;
	struct signalfd_siginfo sinfo;
	int nconns;
	bool stop, dirty;
	bool state_bad;		/* a record is unreadable: no reconcile */
	bool dpu_up;		/* the last dump worked */
	bool have_dump_time;
	struct timespec dump_time;
	uint64_t conn_timeouts;
	bool seen_desired;	/* the desired state had something */
	bool empty_logged;
	int lock_fd;		/* flock of the state dir */
	struct timespec hook_start;

	struct dpud_actual actual;
	bool have_actual;
	uint32_t nrecs;
	struct dpud_hist attach;
	uint64_t attach_failures, reconciles, actions_failed;
	struct pending pending[MAX_PENDING];
	int npending;
	char last_err[256];

	/* headroom */
	struct dpud_dhist cpu_h, mem_h;
	uint64_t last_usage_usec, last_be_usec;
	struct timespec last_sample;
	bool have_sample, have_be;
	uint64_t since_resync_ms;
	struct dpud_headroom headroom;

	/* agent of dpu-provider */
	struct dpud_agent *agent;
	int atfd;			/* one-shot timer: next Register/Report */
	struct op op_atimer;
	uint64_t atbuf;
	bool registered;
	uint32_t backoff_s;
	struct dpud_directive directive;
	bool have_directive;
	char serial[128];
	uint64_t agent_calls[2][2];
	pid_t hook_pid;
	bool hook_again;
} D;

/* ------------------------------------------------------------------ logs */
void dpud_log(const char *level, const char *msg, const char *fmt, ...)
{
	struct timespec ts;
	struct tm tm;
	char t[32];
	va_list ap;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(stderr, "ts=%s.%03ldZ level=%s msg=\"%s\"", t,
		ts.tv_nsec / 1000000, level, msg);
	if (fmt && *fmt) {
		fputc(' ', stderr);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
	}
	fputc('\n', stderr);
}

void dpud_test_crash(const char *point)
{
	const char *at = getenv("DPUD_TEST_CRASH_AT");

	if (at && !strcmp(at, point)) {
		dpud_log("warn", "test crash", "at=%s", point);
		raise(SIGKILL);
	}
}

/* -------------------------------------------------------- actual state */
static int tenant_cb(const struct dpu_tenant_info *t, void *arg)
{
	struct dpud_actual *a = arg;
	struct dpud_actual_tenant *nt, *x;

	nt = realloc(a->tenants, (a->ntenants + 1) * sizeof(*nt));
	if (!nt)
		return -ENOMEM;
	a->tenants = nt;
	x = &nt[a->ntenants++];
	memset(x, 0, sizeof(*x));
	snprintf(x->name, sizeof(x->name), "%s", t->name);
	snprintf(x->parent, sizeof(x->parent), "%s", t->parent);
	memcpy(x->limit_rate, t->limit_rate, sizeof(x->limit_rate));
	memcpy(x->limit_burst, t->limit_burst, sizeof(x->limit_burst));
	if (t->has_stats)
		x->stats = t->stats;
	return 0;
}

static int fn_cb(const struct dpu_fn_info *f, void *arg)
{
	struct dpud_actual *a = arg;
	struct dpud_actual_fn *nf, *x;

	nf = realloc(a->fns, (a->nfns + 1) * sizeof(*nf));
	if (!nf)
		return -ENOMEM;
	a->fns = nf;
	x = &nf[a->nfns++];
	memset(x, 0, sizeof(*x));
	x->index = f->index;
	x->type = f->type;
	x->state = f->state;
	snprintf(x->tenant, sizeof(x->tenant), "%s", f->tenant);
	x->size = f->has_size ? f->size : 0;
	x->has_mac = f->has_mac;
	memcpy(x->mac, f->mac, 6);
	x->ifindex = f->ifindex;
	return 0;
}

static void actual_free(struct dpud_actual *a)
{
	free(a->fns);
	free(a->tenants);
	memset(a, 0, sizeof(*a));
}

static uint32_t read_max_fns(const char *dev)
{
	char path[128];
	unsigned int v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/dpu/%s/max_fns", dev);
	f = fopen(path, "re");
	if (f) {
		if (fscanf(f, "%u", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v ? v : 4096;
}

static int collect(struct dpud_actual *a)
{
	int ret;

	memset(a, 0, sizeof(*a));
	ret = dpu_tenant_dump(D.nl, D.cfg.device, tenant_cb, a);
	if (!ret)
		ret = dpu_fn_dump(D.nl, D.cfg.device, fn_cb, a);
	if (ret) {
		actual_free(a);
		return ret;
	}
	a->max_fns = read_max_fns(D.cfg.device);
	return 0;
}

/*
 * Dump the DPU into D.actual. On failure nothing stale is kept: the
 * metrics say dpud_dpu_up 0 and show no functions rather than old ones.
 * A family that went away (dpu.ko reloaded) is resolved again.
 */
static int refresh_actual(void)
{
	struct dpud_actual a;
	char err[DPUD_ERR_LEN];
	int ret;

	ret = collect(&a);
	if (ret == -ENOENT || ret == -EINVAL || ret == -EOPNOTSUPP) {
		/* dpu.ko reloaded: the family's ids may have changed */
		if (dpu_nl_reopen(D.nl, err, sizeof(err)) > 0) {
			dpud_log("info", "the dpu family came back, resolved again",
				 "family=%u", dpu_nl_family_id(D.nl));
			if (dpu_nl_reopen(D.ev, err, sizeof(err)) < 0)
				dpud_log("error", "cannot follow the events again",
					 "error=\"%s\"", err);
			ret = collect(&a);
		}
	}
	actual_free(&D.actual);
	D.have_actual = !ret;
	D.dpu_up = !ret;
	if (ret)
		return ret;
	D.actual = a;
	clock_gettime(CLOCK_MONOTONIC, &D.dump_time);
	D.have_dump_time = true;
	return 0;
}

/* ------------------------------------------------------------ reconcile */
static void random_mac(uint8_t mac[6], void *arg)
{
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

	(void)arg;
	if (fd < 0 || read(fd, mac, 6) != 6) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		memcpy(mac, &ts.tv_nsec, 4);
		mac[4] = (uint8_t)getpid();
		mac[5] = (uint8_t)ts.tv_sec;
	}
	if (fd >= 0)
		close(fd);
	mac[0] = (uint8_t)((mac[0] & 0xfe) | 0x02);	/* unicast, local */
}

double dpud_since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) +
	       (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

static void action_failed(const struct dpud_action *x, int err)
{
	D.actions_failed++;
	dpud_log("error", "action failed",
		 "action=%s name=%s index=%u error=%s extack=\"%s\"",
		 dpud_action_str(x->kind), x->name, x->index,
		 dpu_errno_name(err) ? dpu_errno_name(err) : strerror(-err),
		 dpu_nl_errmsg(D.nl));
}

static void execute(const struct dpud_action *x)
{
	const char *dev = D.cfg.device;
	char err[256];
	int ret = 0;

	switch (x->kind) {
	case DPUD_ACT_TENANT_NEW:
		ret = dpu_tenant_new(D.nl, dev, x->name,
				     x->tenant->parent[0] ? x->tenant->parent :
				     NULL, x->tenant->has_limits ?
				     &x->tenant->lim : NULL, NULL);
		break;
	case DPUD_ACT_TENANT_SET:
		ret = dpu_tenant_set(D.nl, dev, x->name, x->tenant->parent,
				     x->tenant->has_limits ? &x->tenant->lim :
				     NULL, NULL);
		break;
	case DPUD_ACT_FN_DEL:
		ret = dpu_fn_del(D.nl, dev, x->index);
		if (ret == -ENOENT)
			ret = 0;
		break;
	case DPUD_ACT_RECORD_DROP:
		ret = dpud_record_remove(D.cfg.state_dir, x->name);
		break;
	case DPUD_ACT_FN_NEW: {
		struct dpu_fn_new_args a = {
			.dev = dev, .type = x->att->type, .size = x->att->size,
			.has_mac = x->rec.has_mac, .tenant = x->att->tenant,
			.has_index = true, .index = x->index,
		};

		memcpy(a.mac, x->rec.mac, 6);
		/* the record first: a crash after this never duplicates,
		 * the next run finds the index taken by what it asked for */
		ret = dpud_record_save(D.cfg.state_dir, &x->rec);
		if (ret) {
			dpud_log("error", "cannot save state record",
				 "name=%s dir=%s error=\"%s\"", x->name,
				 D.cfg.state_dir, strerror(-ret));
			D.actions_failed++;
			return;
		}
		dpud_test_crash("record-saved");
		if (D.npending < MAX_PENDING) {
			D.pending[D.npending].index = x->index;
			clock_gettime(CLOCK_MONOTONIC,
				      &D.pending[D.npending].start);
			D.npending++;
		}
		ret = dpu_fn_new(D.nl, &a, NULL);
		if (ret && D.npending &&
		    D.pending[D.npending - 1].index == x->index)
			D.npending--;
		if (ret == -EEXIST) {
			/* someone else's function took that index: forget it */
			dpud_record_remove(D.cfg.state_dir, x->name);
			D.dirty = true;
		}
		break;
	}
	case DPUD_ACT_FN_SET_TENANT:
		ret = dpu_fn_set_tenant(D.nl, dev, x->index, x->att->tenant,
					NULL);
		break;
	case DPUD_ACT_NIC_SETUP: {
		struct dpud_record r;
		struct dpud_record *recs = NULL;
		size_t n = 0, i;

		ret = dpud_nic_setup(x->ifindex, x->att, err, sizeof(err));
		if (ret) {
			D.actions_failed++;
			dpud_log("error", "NIC setup failed",
				 "name=%s index=%u error=\"%s\"", x->name,
				 x->index, err);
			return;
		}
		if (!dpud_records_load(D.cfg.state_dir, &recs, &n, err,
				       sizeof(err))) {
			for (i = 0; i < n; i++)
				if (!strcmp(recs[i].name, x->name)) {
					r = recs[i];
					r.nic_done = true;
					ret = dpud_record_save(D.cfg.state_dir,
							       &r);
				}
			free(recs);
		}
		break;
	}
	case DPUD_ACT_BLOCKED:
		dpud_log("warn", "attachment blocked", "name=%s why=\"%s\"",
			 x->name, x->why);
		return;
	}
	if (ret) {
		action_failed(x, ret);
		return;
	}
	dpud_log("info", "action done", "action=%s name=%s index=%u",
		 dpud_action_str(x->kind), x->name, x->index);
}

static void reconcile(const char *why)
{
	char err[PATH_MAX + 64] = "";
	struct dpud_record *recs = NULL;
	struct dpud_action *acts = NULL;
	size_t nrecs = 0;
	int n, i, ret;

	D.reconciles++;
	ret = refresh_actual();
	if (ret) {
		snprintf(D.last_err, sizeof(D.last_err), "%s",
			 dpu_nl_errmsg(D.nl));
		dpud_log("error", "cannot dump the DPU", "device=%s error=%s extack=\"%s\"",
			 D.cfg.device, dpu_errno_name(ret) ?
			 dpu_errno_name(ret) : strerror(-ret), D.last_err);
		return;
	}
	ret = dpud_records_load(D.cfg.state_dir, &recs, &nrecs, err,
				sizeof(err));
	if (ret) {
		/* nothing is planned without knowing what is ours */
		D.state_bad = true;
		dpud_log("error", "cannot read the state directory, reconcile stopped",
			 "dir=%s error=\"%s\"", D.cfg.state_dir, err);
		return;
	}
	D.state_bad = false;
	D.nrecs = (uint32_t)nrecs;
	n = dpud_plan(&D.desired, &D.actual, recs, nrecs, random_mac, NULL,
		      &acts);
	if (n < 0) {
		dpud_log("error", "planner failed", "error=%d", n);
		free(recs);
		return;
	}
	if (D.desired.natt || D.desired.ntenants)
		D.seen_desired = true;
	if (n)
		dpud_log("info", "reconcile", "why=%s actions=%d functions=%zu records=%zu",
			 why, n, D.actual.nfns, nrecs);
	for (i = 0; i < n; i++) {
		/*
		 * An empty desired directory before it ever had anything
		 * (not mounted yet, a typo in desired_dir) would delete
		 * every attachment: keep them unless the config says so.
		 */
		if (!D.seen_desired && !D.cfg.delete_on_empty_start &&
		    (acts[i].kind == DPUD_ACT_FN_DEL ||
		     acts[i].kind == DPUD_ACT_RECORD_DROP)) {
			if (!D.empty_logged)
				dpud_log("warn", "desired state is empty: recorded attachments kept",
					 "dir=%s records=%zu hint=\"add attachments, or set delete_on_empty_start = yes\"",
					 D.cfg.desired_dir, nrecs);
			D.empty_logged = true;
			continue;
		}
		execute(&acts[i]);
	}
	free(acts);
	free(recs);
}

/* --------------------------------------------------------------- events */
static int ev_fn(const struct dpu_fn_info *f, void *arg)
{
	int i;

	(void)arg;
	if (strcmp(f->dev, D.cfg.device))
		return 0;
	for (i = 0; i < D.npending; i++) {
		if (D.pending[i].index != f->index)
			continue;
		if (f->state == DPU_FN_STATE_READY)
			dpud_hist_observe(&D.attach, dpud_since(&D.pending[i].start));
		else if (f->state == DPU_FN_STATE_FAILED ||
			 f->state == DPU_FN_STATE_GONE)
			D.attach_failures++;
		else
			return 0;
		dpud_log("info", "function attach finished",
			 "index=%u state=%s seconds=%.3f", f->index,
			 dpu_fn_state_str(f->state), dpud_since(&D.pending[i].start));
		D.pending[i] = D.pending[--D.npending];
		break;
	}
	D.dirty = true;
	return 0;
}

static int ev_tenant(const struct dpu_tenant_info *t, void *arg)
{
	(void)t;
	(void)arg;
	D.dirty = true;
	return 0;
}

/* ------------------------------------------------------------- headroom */
static bool read_u64_key(const char *path, const char *key, uint64_t *v)
{
	char line[256], fmt[64];
	unsigned long long x;
	bool ok = false;
	FILE *f = fopen(path, "re");

	if (!f)
		return false;
	if (!key) {
		ok = fscanf(f, "%llu", &x) == 1;
	} else {
		snprintf(fmt, sizeof(fmt), "%s %%llu", key);
		while (!ok && fgets(line, sizeof(line), f))
			ok = sscanf(line, fmt, &x) == 1;
	}
	fclose(f);
	if (ok)
		*v = x;
	return ok;
}

/* the machine's online CPUs (millicores) and physical memory */
static void node_capacity(uint64_t *cpu_milli, uint64_t *mem)
{
	*cpu_milli = (uint64_t)sysconf(_SC_NPROCESSORS_ONLN) * 1000;
	*mem = (uint64_t)sysconf(_SC_PHYS_PAGES) *
	       (uint64_t)sysconf(_SC_PAGESIZE);
}

/* usage_usec of cpu.stat and memory.current of a cgroup under /sys/fs/cgroup */
static bool cg_usage(const char *cg, uint64_t *usec, uint64_t *mem)
{
	char path[PATH_MAX + 64];

	snprintf(path, sizeof(path), "/sys/fs/cgroup/%s/cpu.stat", cg);
	if (!read_u64_key(path, "usage_usec", usec))
		return false;
	snprintf(path, sizeof(path), "/sys/fs/cgroup/%s/memory.current", cg);
	if (!read_u64_key(path, NULL, mem))
		*mem = 0;
	return true;
}

/* the best-effort root lies below the online root (kubelet's layout):
 * its usage is part of the root's and is taken off */
static bool be_inside(void)
{
	size_t n = strlen(D.cfg.cgroup_root);

	return !strncmp(D.cfg.besteffort_root, D.cfg.cgroup_root, n) &&
	       D.cfg.besteffort_root[n] == '/';
}

static void sample_headroom(void)
{
	struct dpud_hr_sample s = { 0 };
	uint64_t usec, mem, be_usec = 0, be_mem = 0;
	bool be = false;
	struct timespec now;
	double dt;

	if (!cg_usage(D.cfg.cgroup_root, &usec, &mem)) {
		D.headroom.valid = false;
		return;
	}
	if (D.cfg.besteffort_root[0])
		be = cg_usage(D.cfg.besteffort_root, &be_usec, &be_mem);
	clock_gettime(CLOCK_MONOTONIC, &now);
	/* a first sample, or counters that went back (the cgroup was
	 * recreated, or the roots changed on SIGHUP): start over */
	if (!D.have_sample || (be && !D.have_be) ||
	    usec < D.last_usage_usec || (be && be_usec < D.last_be_usec)) {
		D.have_sample = true;
		D.have_be = be;
		D.last_usage_usec = usec;
		D.last_be_usec = be_usec;
		D.last_sample = now;
		return;
	}
	dt = dpud_since(&D.last_sample);
	if (dt <= 0)
		return;
	/* usec per second / 1000 = millicores */
	s.cpu_online_milli = (uint64_t)((double)(usec - D.last_usage_usec) /
					1000.0 / dt);
	s.mem_online = mem;
	if (be) {
		s.cpu_besteffort_milli = (uint64_t)((double)(be_usec -
					 D.last_be_usec) / 1000.0 / dt);
		s.mem_besteffort = be_mem;
		if (be_inside()) {
			s.cpu_online_milli = s.cpu_online_milli >
				s.cpu_besteffort_milli ? s.cpu_online_milli -
				s.cpu_besteffort_milli : 0;
			s.mem_online = mem > be_mem ? mem - be_mem : 0;
		}
	}
	D.have_be = be;
	D.last_usage_usec = usec;
	D.last_be_usec = be_usec;
	D.last_sample = now;
	dpud_dhist_add(&D.cpu_h, (double)s.cpu_online_milli);
	dpud_dhist_add(&D.mem_h, (double)s.mem_online);

	node_capacity(&s.cpu_capacity_milli, &s.mem_capacity);
	s.reserve_cpu_milli = D.cfg.reserve_cpu_milli;
	s.reserve_mem = D.cfg.reserve_memory;
	s.cpu_estimate_milli = (uint64_t)(dpud_dhist_quantile(&D.cpu_h, 0.95) *
					  D.cfg.headroom_margin);
	s.mem_estimate = (uint64_t)(dpud_dhist_quantile(&D.mem_h, 0.98) *
				    D.cfg.headroom_margin);
	dpud_headroom_update(&D.headroom, &s);
}

/* ----------------------------------------------------------------- ring */
struct io_uring_sqe *dpud_sqe_get(struct io_uring *ring)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	if (!sqe) {
		io_uring_submit(ring);
		sqe = io_uring_get_sqe(ring);
	}
	return sqe;	/* never NULL right after a submit */
}

static struct io_uring_sqe *sqe_get(void)
{
	return dpud_sqe_get(&D.ring);
}

static void arm_nl(void)
{
	struct io_uring_sqe *sqe = sqe_get();

	io_uring_prep_recv(sqe, dpu_nl_fd(D.ev), D.nlbuf, NL_BUF, 0);
	io_uring_sqe_set_data(sqe, &D.op_nl);
}

static void arm_read(int fd, void *buf, unsigned int len, struct op *op)
{
	struct io_uring_sqe *sqe = sqe_get();

	io_uring_prep_read(sqe, fd, buf, len, 0);
	io_uring_sqe_set_data(sqe, op);
}

static void arm_accept(void)
{
	struct io_uring_sqe *sqe = sqe_get();

	io_uring_prep_accept(sqe, D.lfd, NULL, NULL, SOCK_CLOEXEC);
	io_uring_sqe_set_data(sqe, &D.op_accept);
}

/*
 * A connection's recv or send, linked to a timeout: a client that sends
 * nothing (or reads nothing) for CONN_TIMEOUT_S is dropped, so idle
 * sockets cannot hold the MAX_CONNS slots against Prometheus.
 */
static void conn_arm(struct conn *c)
{
	static struct __kernel_timespec ts = { .tv_sec = CONN_TIMEOUT_S };
	struct io_uring_sqe *sqe;

	/* both in one submission: a link cut by a full ring has no timeout */
	if (io_uring_sq_space_left(&D.ring) < 2)
		io_uring_submit(&D.ring);
	sqe = sqe_get();
	if (c->sending)
		io_uring_prep_send(sqe, c->fd, c->out + c->sent,
				   c->outlen - c->sent, MSG_NOSIGNAL);
	else
		io_uring_prep_recv(sqe, c->fd, c->in + c->inlen,
				   sizeof(c->in) - 1 - c->inlen, 0);
	io_uring_sqe_set_data(sqe, c);
	sqe->flags |= IOSQE_IO_LINK;
	sqe = sqe_get();
	io_uring_prep_link_timeout(sqe, &ts, 0);
	io_uring_sqe_set_data(sqe, &D.op_ltimeout);
}

static void conn_close(struct conn *c)
{
	close(c->fd);
	free(c->out);
	free(c);
	D.nconns--;
}

static void respond(struct conn *c)
{
	const char *status = "200 OK", *ctype = "text/plain; version=0.0.4; charset=utf-8";
	char *body = NULL, hdr[256], method[8] = "", path[256] = "";
	size_t blen = 0;
	int hlen;

	c->in[c->inlen] = '\0';
	if (sscanf(c->in, "%7s %255s", method, path) != 2 ||
	    (strcmp(method, "GET") && strcmp(method, "HEAD"))) {
		status = "405 Method Not Allowed";
	} else if (!strcmp(path, "/metrics")) {
		struct dpud_metrics m;

		/*
		 * the last dump (every sample tick and reconcile): a scrape
		 * never blocks the loop on the DPU
		 */
		m = (struct dpud_metrics){
			.device = D.cfg.device, .actual = &D.actual,
			.have_actual = D.have_actual, .attach = &D.attach,
			.attach_failures = D.attach_failures,
			.reconciles = D.reconciles,
			.actions_failed = D.actions_failed,
			.managed = D.nrecs, .headroom = &D.headroom,
			.agent = D.agent, .agent_registered = D.registered,
			.dpu_up = D.dpu_up, .state_ok = !D.state_bad,
			.dump_age_s = D.have_dump_time ?
				dpud_since(&D.dump_time) : -1,
			.conn_timeouts = D.conn_timeouts,
			.disposition = D.have_directive ?
				(int)D.directive.disposition : 0,
		};
		memcpy(m.agent_calls, D.agent_calls, sizeof(m.agent_calls));

		body = dpud_metrics_render(&m, &blen);
		if (!body)
			status = "500 Internal Server Error";
	} else if (!strcmp(path, "/healthz")) {
		body = strdup("ok\n");
		blen = body ? 3 : 0;
	} else {
		status = "404 Not Found";
	}
	if (strncmp(status, "200", 3)) {
		free(body);
		blen = strlen(status) + 1;
		body = malloc(blen + 1);
		if (body)
			snprintf(body, blen + 1, "%s\n", status);
		else
			blen = 0;
		ctype = "text/plain; charset=utf-8";
	}
	hlen = snprintf(hdr, sizeof(hdr),
			"HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
			status, ctype, blen);
	c->out = malloc((size_t)hlen + blen);
	if (!c->out) {
		free(body);
		conn_close(c);
		return;
	}
	memcpy(c->out, hdr, (size_t)hlen);
	if (body && strcmp(method, "HEAD"))
		memcpy(c->out + hlen, body, blen);
	else
		blen = 0;
	free(body);
	c->outlen = (size_t)hlen + blen;
	c->sent = 0;
	c->sending = true;
	conn_arm(c);
}

static void conn_done(struct conn *c, int res)
{
	if (res <= 0) {
		conn_close(c);
		return;
	}
	if (c->sending) {
		c->sent += (size_t)res;
		if (c->sent >= c->outlen)
			conn_close(c);
		else
			conn_arm(c);
		return;
	}
	c->inlen += (size_t)res;
	c->in[c->inlen] = '\0';
	if (strstr(c->in, "\r\n\r\n") || strstr(c->in, "\n\n"))
		respond(c);
	else if (c->inlen >= sizeof(c->in) - 1)
		conn_close(c);	/* headers too large */
	else
		conn_arm(c);
}

static int listen_on(const char *spec)
{
	struct addrinfo hints = { .ai_flags = AI_PASSIVE | AI_NUMERICSERV,
				  .ai_socktype = SOCK_STREAM };
	char host[128], port[8];
	struct addrinfo *res, *ai;
	int fd = -1, one = 1, ret;

	if (!strncmp(spec, "unix:", 5)) {
		struct sockaddr_un sun = { .sun_family = AF_UNIX };

		size_t n = strlen(spec + 5);

		if (n >= sizeof(sun.sun_path)) {
			dpud_log("error", "unix socket path too long",
				 "listen=%s", spec);
			return -1;
		}
		memcpy(sun.sun_path, spec + 5, n + 1);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		/* a stale socket of an earlier run */
		unlink(sun.sun_path);
		if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) ||
		    listen(fd, 64)) {
			dpud_log("error", "cannot listen", "listen=%s error=\"%s\"",
				 spec, strerror(errno));
			if (fd >= 0)
				close(fd);
			return -1;
		}
		return fd;
	}
	if (dpud_split_hostport(spec, host, sizeof(host), port,
				sizeof(port))) {
		dpud_log("error", "bad listen address", "listen=%s", spec);
		return -1;
	}
	ret = getaddrinfo(host, port, &hints, &res);
	if (ret) {
		dpud_log("error", "bad listen address", "listen=%s error=\"%s\"",
			 spec, gai_strerror(ret));
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (!bind(fd, ai->ai_addr, ai->ai_addrlen) && !listen(fd, 64))
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		dpud_log("error", "cannot listen", "listen=%s error=\"%s\"",
			 spec, strerror(errno));
	return fd;
}

/* ---------------------------------------------------------------- agent */
static void agent_arm_timer(uint32_t ms)
{
	struct itimerspec its = { 0 };

	its.it_value.tv_sec = ms / 1000;
	its.it_value.tv_nsec = (long)(ms % 1000) * 1000000L;
	if (!ms)
		its.it_value.tv_nsec = 1;
	timerfd_settime(D.atfd, 0, &its, NULL);
}

static bool serial_ok(const char *s)
{
	if (!*s || strlen(s) >= sizeof(D.serial))
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("-_.", *s))
			return false;
	return true;
}

/* config, else the DMI product serial (what a bare-metal host's BMC and
 * inventory know it by), else the host name */
static void host_serial(void)
{
	char buf[256] = "";
	FILE *f;

	if (D.cfg.serial[0]) {
		snprintf(D.serial, sizeof(D.serial), "%s", D.cfg.serial);
		return;
	}
	f = fopen("/sys/class/dmi/id/product_serial", "re");
	if (f) {
		if (fgets(buf, sizeof(buf), f))
			buf[strcspn(buf, "\n")] = '\0';
		fclose(f);
	}
	if (!serial_ok(buf) && (gethostname(buf, sizeof(buf) - 1) ||
				!serial_ok(buf)))
		snprintf(buf, sizeof(buf), "unknown");
	snprintf(D.serial, sizeof(D.serial), "%s", buf);
}

static void agent_send(void)
{
	static const uint8_t types[] = { DPU_FN_TYPE_BLK, DPU_FN_TYPE_NET };
	struct dpud_host_report r;
	uint8_t *buf;
	uint64_t cpu, mem;
	size_t len, i;
	int ret;

	if (dpud_agent_busy(D.agent))
		return;
	memset(&r, 0, sizeof(r));
	snprintf(r.serial, sizeof(r.serial), "%s", D.serial);
	snprintf(r.group, sizeof(r.group), "%s", D.cfg.node_group);
	dpud_parse_labels(D.cfg.labels, r.lkeys, r.lvals, &r.nlabels);
	node_capacity(&cpu, &mem);
	r.cpu_milli = (int64_t)cpu;
	r.mem_bytes = (int64_t)mem;
	r.pods = D.cfg.pods;
	if (D.headroom.valid) {
		r.hr_cpu_milli = (int64_t)D.headroom.cpu_reclaimable_milli;
		r.hr_mem_bytes = (int64_t)D.headroom.mem_reclaimable;
	}
	/* every type draws from the DPU's one index space */
	if (D.have_actual)
		for (i = 0; i < sizeof(types); i++) {
			struct dpud_slots *sl = &r.slots[r.nslots++];

			snprintf(sl->type, sizeof(sl->type), "%s",
				 dpu_fn_type_str(types[i]));
			sl->total = D.actual.max_fns;
			sl->free = D.actual.max_fns > D.actual.nfns ?
				   (uint32_t)(D.actual.max_fns - D.actual.nfns) : 0;
		}
	if (D.have_actual) {
		r.fns = D.actual.fns;
		r.nfns = D.actual.nfns;
	}
	if (dpud_report_pack(&r, !D.registered, &buf, &len)) {
		agent_arm_timer(1000);
		return;
	}
	ret = dpud_agent_call(D.agent, !D.registered, buf, len);
	free(buf);
	if (ret) {
		dpud_log("warn", "cannot start a provider call", "error=%d",
			 ret);
		agent_arm_timer(1000);
		return;
	}
	agent_arm_timer(AGENT_DEADLINE_MS);	/* the call's deadline */
}

extern char **environ;

static void run_hook(void)
{
	const struct dpud_directive *d = &D.directive;
	char e[4][256], *env[512];
	size_t n = 0;
	pid_t pid;

	if (!D.cfg.directive_hook[0])
		return;
	if (D.hook_pid > 0) {
		D.hook_again = true;	/* runs again when this one ends */
		return;
	}
	D.hook_again = false;
	snprintf(e[0], sizeof(e[0]), "DPUPOOL_DISPOSITION=%s",
		 dpud_disposition_str(d->disposition));
	snprintf(e[1], sizeof(e[1]), "DPUPOOL_GROUP=%s", d->group);
	snprintf(e[2], sizeof(e[2]), "DPUPOOL_PROVIDER_ID=%s",
		 d->provider_id);
	snprintf(e[3], sizeof(e[3]), "DPUPOOL_SERIAL=%s", D.serial);
	for (n = 0; n < 4; n++)
		env[n] = e[n];
	for (char **p = environ; *p && n < 511; p++)
		if (strncmp(*p, "DPUPOOL_", 8))
			env[n++] = *p;
	env[n] = NULL;
	pid = fork();
	if (pid == 0) {
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);	/* ignored here, not in the hook */
		setpgid(0, 0);			/* killed as a group on timeout */
		execve(D.cfg.directive_hook,
		       (char *[]){ D.cfg.directive_hook,
				   (char *)dpud_disposition_str(d->disposition),
				   NULL }, env);
		_exit(127);
	}
	if (pid < 0) {
		dpud_log("error", "cannot run the directive hook",
			 "hook=%s error=\"%s\"", D.cfg.directive_hook,
			 strerror(errno));
		return;
	}
	D.hook_pid = pid;
	clock_gettime(CLOCK_MONOTONIC, &D.hook_start);
	dpud_log("info", "directive hook started", "hook=%s pid=%d disposition=%s",
		 D.cfg.directive_hook, (int)pid,
		 dpud_disposition_str(d->disposition));
}

/* A hook (and whatever it started) past its time is killed. */
static void hook_deadline(void)
{
	if (D.hook_pid <= 0 ||
	    dpud_since(&D.hook_start) < D.cfg.hook_timeout_ms / 1000.0)
		return;
	dpud_log("error", "directive hook timed out, killed",
		 "hook=%s pid=%d timeout_ms=%u", D.cfg.directive_hook,
		 (int)D.hook_pid, D.cfg.hook_timeout_ms);
	kill(-D.hook_pid, SIGKILL);
	kill(D.hook_pid, SIGKILL);
}

static void reap_children(void)
{
	int st;
	pid_t pid;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		if (pid != D.hook_pid)
			continue;
		D.hook_pid = 0;
		if (WIFEXITED(st) && !WEXITSTATUS(st))
			dpud_log("info", "directive hook done", "pid=%d",
				 (int)pid);
		else
			dpud_log("warn", "directive hook failed",
				 "pid=%d status=%d", (int)pid,
				 WIFEXITED(st) ? WEXITSTATUS(st) :
				 128 + WTERMSIG(st));
		if (D.hook_again)
			run_hook();
	}
}

static void directive_apply(const struct dpud_directive *d)
{
	char buf[512];
	int n, ret;
	bool changed = !D.have_directive ||
		       d->disposition != D.directive.disposition ||
		       strcmp(d->group, D.directive.group) ||
		       strcmp(d->provider_id, D.directive.provider_id);

	D.directive = *d;
	D.have_directive = true;
	if (!changed)
		return;
	dpud_log("info", "directive", "disposition=%s group=%s provider_id=%s message=\"%s\"",
		 dpud_disposition_str(d->disposition), d->group,
		 d->provider_id, d->message);
	n = dpud_directive_format(d, buf, sizeof(buf));
	ret = n < 0 ? n : dpud_write_atomic(D.cfg.state_dir, "directive", buf,
				       (size_t)n);
	if (ret)
		dpud_log("error", "cannot write the directive file",
			 "dir=%s error=\"%s\"", D.cfg.state_dir,
			 strerror(-ret));
	run_hook();
}

static void agent_result(const struct dpud_agent_result *res)
{
	uint32_t interval;

	D.agent_calls[res->reg][res->code == 0]++;
	if (res->code) {
		/* Register is idempotent: after any failure, start over */
		D.registered = false;
		D.backoff_s = D.backoff_s ? D.backoff_s * 2 : 1;
		if (D.backoff_s > 30)
			D.backoff_s = 30;
		dpud_log("warn", "provider call failed",
			 "rpc=%s code=%d error=\"%s\" retry_in=%us",
			 res->reg ? "Register" : "Report", res->code,
			 res->msg, D.backoff_s);
		agent_arm_timer(D.backoff_s * 1000);
		return;
	}
	if (res->reg)
		dpud_log("info", "registered with the provider",
			 "serial=%s provider=%s disposition=%s seconds=%.3f",
			 D.serial, D.cfg.provider,
			 dpud_disposition_str(res->d.disposition),
			 res->seconds);
	D.registered = true;
	D.backoff_s = 0;
	directive_apply(&res->d);
	interval = res->d.interval_s > 0 && res->d.interval_s <= 3600 ?
		   (uint32_t)res->d.interval_s : 10;
	agent_arm_timer(interval * 1000);
}

/* --------------------------------------------------------------- reload */
static void reload(void)
{
	struct dpud_config c;
	struct dpud_desired d;
	char err[DPUD_ERR_LEN];

	dpud_config_defaults(&c);
	if (D.config_path && dpud_config_load(D.config_path, &c, err,
					      sizeof(err))) {
		dpud_log("error", "reload: bad config, kept the old one",
			 "error=\"%s\"", err);
		return;
	}
	if (dpud_desired_load(c.desired_dir, &d, err, sizeof(err))) {
		dpud_log("error", "reload: bad desired state, kept the old one",
			 "error=\"%s\"", err);
		return;
	}
	if (strcmp(c.listen, D.cfg.listen) || strcmp(c.device, D.cfg.device) ||
	    strcmp(c.state_dir, D.cfg.state_dir) ||
	    c.sample_interval_ms != D.cfg.sample_interval_ms ||
	    strcmp(c.provider, D.cfg.provider) ||
	    strcmp(c.provider_ca, D.cfg.provider_ca) ||
	    strcmp(c.provider_cert, D.cfg.provider_cert) ||
	    strcmp(c.provider_key, D.cfg.provider_key) ||
	    strcmp(c.serial, D.cfg.serial))
		dpud_log("warn", "reload: listen, device, state_dir, sample_interval, provider (and its TLS files) and serial change on restart only", NULL);
	snprintf(c.listen, sizeof(c.listen), "%s", D.cfg.listen);
	snprintf(c.device, sizeof(c.device), "%s", D.cfg.device);
	snprintf(c.state_dir, sizeof(c.state_dir), "%s", D.cfg.state_dir);
	c.sample_interval_ms = D.cfg.sample_interval_ms;
	if (strcmp(c.cgroup_root, D.cfg.cgroup_root) ||
	    strcmp(c.besteffort_root, D.cfg.besteffort_root))
		D.have_sample = false;	/* other counters: start over */
	snprintf(c.provider, sizeof(c.provider), "%s", D.cfg.provider);
	snprintf(c.provider_ca, sizeof(c.provider_ca), "%s", D.cfg.provider_ca);
	snprintf(c.provider_cert, sizeof(c.provider_cert), "%s",
		 D.cfg.provider_cert);
	snprintf(c.provider_key, sizeof(c.provider_key), "%s",
		 D.cfg.provider_key);
	snprintf(c.provider_server_name, sizeof(c.provider_server_name), "%s",
		 D.cfg.provider_server_name);
	snprintf(c.serial, sizeof(c.serial), "%s", D.cfg.serial);
	D.cfg = c;
	dpud_desired_free(&D.desired);
	D.desired = d;
	dpud_log("info", "reloaded", "tenants=%zu attachments=%zu",
		 d.ntenants, d.natt);
	reconcile("sighup");
}

/*
 * One dpud per state directory: two would each plan from the same
 * records and attach everything twice. The lock goes with the process.
 */
static int lock_state_dir(void)
{
	char path[PATH_MAX + 8], pid[32];
	int n;

	snprintf(path, sizeof(path), "%s/.lock", D.cfg.state_dir);
	D.lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (D.lock_fd < 0) {
		dpud_log("error", "cannot open the state directory's lock",
			 "file=%s error=\"%s\"", path, strerror(errno));
		return -errno;
	}
	if (flock(D.lock_fd, LOCK_EX | LOCK_NB)) {
		n = (int)pread(D.lock_fd, pid, sizeof(pid) - 1, 0);
		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		dpud_log("error", "another dpud uses this state directory",
			 "dir=%s pid=%s", D.cfg.state_dir, pid[0] ? pid : "?");
		return -EBUSY;
	}
	n = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	if (ftruncate(D.lock_fd, 0) || pwrite(D.lock_fd, pid, (size_t)n, 0) != n)
		dpud_log("warn", "cannot write the pid into the lock file",
			 "file=%s", path);
	return 0;
}

static int mkdir_p(const char *dir)
{
	char p[PATH_MAX];
	size_t i;

	snprintf(p, sizeof(p), "%s", dir);
	for (i = 1; p[i]; i++)
		if (p[i] == '/') {
			p[i] = '\0';
			if (mkdir(p, 0755) && errno != EEXIST)
				return -errno;
			p[i] = '/';
		}
	if (mkdir(p, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

/* ------------------------------------------------------------------ main */
static void usage(FILE *f)
{
	fprintf(f,
"usage: dpud [--config FILE] [--check]\n"
"\n"
"The dpupool node daemon: keeps the DPU's functions (disks, NICs) and\n"
"tenants as the desired-state directory says, sets NICs up, serves\n"
"Prometheus metrics on /metrics.\n"
"\n"
"  -c, --config FILE   config file (default /etc/dpud/dpud.conf; a missing\n"
"                      default file means all defaults)\n"
"      --check         parse the config and desired state, then exit\n"
"  -h, --help          this text\n"
"\n"
"Config (key = value, '#' comments):\n"
"  listen = 127.0.0.1:9477          /metrics and /healthz (HTTP); or\n"
"                                   unix:/run/dpud/metrics.sock\n"
"  desired_dir = /etc/dpud/desired.d\n"
"  state_dir = /var/lib/dpud        records of the functions dpud created\n"
"  device = dpu0\n"
"  cgroup_root = kubepods           under /sys/fs/cgroup, for headroom\n"
"  besteffort_root = kubepods/besteffort   the best-effort tier's cgroup\n"
"                                   (default none); below cgroup_root its\n"
"                                   usage is not online usage\n"
"  reserve_cpu = 500m               system reserve (Kubernetes quantities:\n"
"  reserve_memory = 1Gi             1Gi = 2^30, 1G = 10^9, 500m, 1.5)\n"
"  sample_interval = 10s            headroom sample period (reconcile runs on\n"
"                                   events, SIGHUP and every 60 s)\n"
"  headroom_margin = 1.2            usage estimate safety factor\n"
"  provider = HOST:PORT             dpu-provider to register with and report\n"
"                                   to (default: none, no agent)\n"
"  provider_ca, provider_cert, provider_key = FILE   mTLS (all three)\n"
"  provider_server_name = NAME      name in the provider's certificate\n"
"  serial = S                       default: DMI product serial, hostname\n"
"  node_group = G                   group this host claims (default: any)\n"
"  labels = k=v,k=v                 host labels reported\n"
"  pods = 110                       pod capacity reported\n"
"  directive_hook = FILE            run with join|leave|stay_free when the\n"
"                                   provider's directive changes\n"
"  hook_timeout = 60s               the hook's process group is killed after\n"
"  delete_on_empty_start = no       an empty desired dir at start deletes\n"
"                                   nothing unless yes\n"
"  drop_capabilities = yes          keep CAP_NET_ADMIN, CAP_SYS_ADMIN only\n"
"\n"
"Desired state: one file per attachment, NAME.conf:\n"
"  tenant = acme; type = blk; size = 10Gi\n"
"  tenant = acme; type = net; mac = 02:..; mtu = 9000;\n"
"    netns = /var/run/netns/x; ifname = eth1\n"
"and per tenant tenant-NAME.conf: limits = iops 5k bps 100M; parent = P\n"
"(one key per line). Errors are reported as FILE:LINE: reason.\n"
"\n"
"Signals: SIGTERM/SIGINT exit cleanly, SIGHUP reloads config and desired\n"
"state. Logs: key=value lines on stderr.\n"
"\n"
"Exit codes:\n"
"  0  clean exit (signal), or --check passed\n"
"  1  runtime error: netlink, listen socket, state directory (or another\n"
"     dpud holding it), capabilities, io_uring\n"
"  2  bad command line, config or desired state\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	char err[DPUD_ERR_LEN];
	struct itimerspec its = { 0 };
	bool check = false, explicit = false;
	sigset_t mask;
	int o, ret;

	D.config_path = "/etc/dpud/dpud.conf";
	while ((o = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (o) {
		case 'c':
			D.config_path = optarg;
			explicit = true;
			break;
		case 'C':
			check = true;
			break;
		case 'h':
			usage(stdout);
			return DPUD_EXIT_OK;
		default:
			usage(stderr);
			return DPUD_EXIT_CONFIG;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "dpud: unexpected argument '%s'\n", argv[optind]);
		return DPUD_EXIT_CONFIG;
	}
	dpud_config_defaults(&D.cfg);
	if (!explicit && access(D.config_path, F_OK))
		D.config_path = NULL;
	if (D.config_path &&
	    dpud_config_load(D.config_path, &D.cfg, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return DPUD_EXIT_CONFIG;
	}
	if (dpud_desired_load(D.cfg.desired_dir, &D.desired, err,
			      sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return DPUD_EXIT_CONFIG;
	}
	if (check) {
		printf("ok: %zu tenants, %zu attachments\n", D.desired.ntenants,
		       D.desired.natt);
		return DPUD_EXIT_OK;
	}
	ret = mkdir_p(D.cfg.state_dir);
	if (ret) {
		dpud_log("error", "cannot create the state directory",
			 "dir=%s error=\"%s\"", D.cfg.state_dir, strerror(-ret));
		return DPUD_EXIT_RUNTIME;
	}
	ret = lock_state_dir();
	if (ret)
		return DPUD_EXIT_RUNTIME;

	D.nl = dpu_nl_open(err, sizeof(err));
	if (D.nl)
		D.ev = dpu_nl_open_events(err, sizeof(err));
	if (!D.nl || !D.ev) {
		dpud_log("error", "cannot open the dpu netlink family",
			 "error=\"%s\"", err);
		return DPUD_EXIT_RUNTIME;
	}
	D.lfd = listen_on(D.cfg.listen);
	if (D.lfd < 0)
		return DPUD_EXIT_RUNTIME;
	if (D.cfg.drop_capabilities) {
		uint64_t kept;

		ret = dpud_drop_caps(&kept, err, sizeof(err));
		if (ret) {
			dpud_log("error", "cannot drop capabilities", "error=\"%s\"", err);
			return DPUD_EXIT_RUNTIME;
		}
		dpud_log("info", "capabilities dropped", "kept=%#llx (CAP_NET_ADMIN, CAP_SYS_ADMIN)",
			 (unsigned long long)kept);
	}

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	D.sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	D.tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	D.atfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	if (D.sfd < 0 || D.tfd < 0 || D.atfd < 0) {
		dpud_log("error", "signalfd/timerfd", "error=\"%s\"",
			 strerror(errno));
		return DPUD_EXIT_RUNTIME;
	}
	its.it_interval.tv_sec = D.cfg.sample_interval_ms / 1000;
	its.it_interval.tv_nsec = (long)(D.cfg.sample_interval_ms % 1000) *
				  1000000L;
	its.it_value = its.it_interval;
	timerfd_settime(D.tfd, 0, &its, NULL);

	ret = io_uring_queue_init(64, &D.ring, 0);
	if (ret) {
		dpud_log("error", "io_uring_queue_init", "error=\"%s\"",
			 strerror(-ret));
		return DPUD_EXIT_RUNTIME;
	}
	D.nlbuf = malloc(NL_BUF);
	if (!D.nlbuf)
		return DPUD_EXIT_RUNTIME;
	D.op_nl.kind = OP_NL;
	D.op_timer.kind = OP_TIMER;
	D.op_signal.kind = OP_SIGNAL;
	D.op_accept.kind = OP_ACCEPT;
	D.op_ltimeout.kind = OP_LTIMEOUT;
	D.op_atimer.kind = OP_ATIMER;
	if (D.cfg.provider[0]) {
		D.agent = dpud_agent_open(&D.cfg, &D.ring, err, sizeof(err));
		if (!D.agent) {
			dpud_log("error", "cannot set up the provider client",
				 "provider=%s error=\"%s\"", D.cfg.provider,
				 err);
			return DPUD_EXIT_RUNTIME;
		}
		host_serial();
	}
	dpud_dhist_init(&D.cpu_h, 1, 1e7, 3600000.0 / D.cfg.sample_interval_ms);
	dpud_dhist_init(&D.mem_h, 1 << 20, 1e13,
			3600000.0 / D.cfg.sample_interval_ms);

	dpud_log("info", "starting", "device=%s listen=%s desired_dir=%s state_dir=%s tenants=%zu attachments=%zu",
		 D.cfg.device, D.cfg.listen, D.cfg.desired_dir,
		 D.cfg.state_dir, D.desired.ntenants, D.desired.natt);
	/* events are joined before the first dump: nothing is missed */
	reconcile("start");
	sample_headroom();
	if (D.agent) {
		/* register once the host's own attachments are there */
		dpud_log("info", "agent", "provider=%s serial=%s tls=%s",
			 D.cfg.provider, D.serial,
			 D.cfg.provider_ca[0] ? "mtls" : "off");
		agent_arm_timer(0);
		arm_read(D.atfd, &D.atbuf, sizeof(D.atbuf), &D.op_atimer);
	}

	arm_nl();
	arm_read(D.tfd, &D.tbuf, sizeof(D.tbuf), &D.op_timer);
	arm_read(D.sfd, &D.sinfo, sizeof(D.sinfo), &D.op_signal);
	arm_accept();

	while (!D.stop) {
		struct io_uring_cqe *cqe;
		unsigned int head, seen = 0;
		int passes;

		io_uring_submit_and_wait(&D.ring, 1);
		io_uring_for_each_cqe(&D.ring, head, cqe) {
			struct op *op = io_uring_cqe_get_data(cqe);
			int res = cqe->res;

			seen++;
			switch (op->kind) {
			case OP_NL:
				if (res > 0)
					dpu_events_dispatch(D.nlbuf, (size_t)res,
							    dpu_nl_family_id(D.ev),
							    ev_fn, ev_tenant, NULL);
				else if (res == -ENOBUFS)
					dpud_log("warn", "events overrun, full resync", NULL);
				if (res == -ENOBUFS || res > 0)
					D.dirty = true;
				else if (res != -EINTR && res != -EAGAIN)
					dpud_log("error", "events recv", "error=%d", res);
				arm_nl();
				break;
			case OP_TIMER:
				sample_headroom();
				if (!D.dirty)
					refresh_actual();	/* for /metrics */
				hook_deadline();
				/*
				 * Events drive reconciles; a full resync (a
				 * dump of everything) runs only every
				 * RESYNC_MS, however often headroom is sampled.
				 */
				D.since_resync_ms += D.cfg.sample_interval_ms;
				if (D.since_resync_ms >= RESYNC_MS) {
					D.since_resync_ms = 0;
					D.dirty = true;
				}
				arm_read(D.tfd, &D.tbuf, sizeof(D.tbuf),
					 &D.op_timer);
				break;
			case OP_SIGNAL:
				if (res == (int)sizeof(D.sinfo)) {
					if (D.sinfo.ssi_signo == SIGCHLD) {
						reap_children();
					} else if (D.sinfo.ssi_signo == SIGHUP) {
						dpud_log("info", "SIGHUP: reloading", NULL);
						reload();
					} else {
						dpud_log("info", "exiting", "signal=%u",
							 D.sinfo.ssi_signo);
						D.stop = true;
					}
				}
				arm_read(D.sfd, &D.sinfo, sizeof(D.sinfo),
					 &D.op_signal);
				break;
			case OP_ACCEPT:
				if (res >= 0 && D.nconns >= MAX_CONNS) {
					close(res);
				} else if (res >= 0) {
					struct conn *c = calloc(1, sizeof(*c));

					if (!c) {
						close(res);
					} else {
						c->op.kind = OP_CONN;
						c->fd = res;
						D.nconns++;
						conn_arm(c);
					}
				}
				arm_accept();
				break;
			case OP_CONN:
				if (res == -ECANCELED)
					D.conn_timeouts++;
				conn_done((struct conn *)op, res);
				break;
			case OP_LTIMEOUT:
				break;	/* its recv or send reports -ECANCELED */
			case OP_AGENT: {
				struct dpud_agent_result ar;

				if (dpud_agent_cqe(D.agent, op, res, &ar))
					agent_result(&ar);
				break;
			}
			case OP_ATIMER: {
				struct dpud_agent_result ar;

				if (dpud_agent_busy(D.agent)) {
					if (dpud_agent_abort(D.agent, "no answer within "
							     DPUD_STR(DPUD_AGENT_DEADLINE_S) " s", &ar))
						agent_result(&ar);
				} else {
					agent_send();
					if (dpud_agent_poll(D.agent, &ar))
						agent_result(&ar);
				}
				arm_read(D.atfd, &D.atbuf, sizeof(D.atbuf),
					 &D.op_atimer);
				break;
			}
			}
		}
		io_uring_cq_advance(&D.ring, seen);
		/* one reconcile per batch of completions; again (bounded)
		 * if an action asked for it */
		for (passes = 0; D.dirty && passes < 3 && !D.stop; passes++) {
			D.dirty = false;
			reconcile("event");
		}
	}
	io_uring_queue_exit(&D.ring);
	dpud_agent_close(D.agent);
	dpu_nl_close(D.ev);
	dpu_nl_close(D.nl);
	close(D.lfd);
	actual_free(&D.actual);
	dpud_desired_free(&D.desired);
	free(D.nlbuf);
	return DPUD_EXIT_OK;
}
