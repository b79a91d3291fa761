// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dpud: the dpupool node daemon. One io_uring event loop (no thread per
 * socket, no busy polling) over the dpu netlink events socket, a timerfd,
 * a signalfd and the /metrics TCP listener and its connections. Reconciles
 * the desired state directory with the DPU's functions and tenants at
 * start, on every netlink event, on SIGHUP and every 60 s.
 */
#include "dpud_int.h"

struct dpud_ctx D;

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

double dpud_since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) +
	       (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
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

struct io_uring_sqe *sqe_get(void)
{
	return dpud_sqe_get(&D.ring);
}

static void arm_nl(void)
{
	struct io_uring_sqe *sqe = sqe_get();

	io_uring_prep_recv(sqe, dpu_nl_fd(D.ev), D.nlbuf, NL_BUF, 0);
	io_uring_sqe_set_data(sqe, &D.op_nl);
}

static void arm_qos(void)
{
	struct io_uring_sqe *sqe;

	if (dpud_qos_fd() < 0)
		return;
	sqe = sqe_get();
	io_uring_prep_recv(sqe, dpud_qos_fd(), D.qosbuf, NL_BUF, 0);
	io_uring_sqe_set_data(sqe, &D.op_qos);
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
	if (c.nic_limits != D.cfg.nic_limits ||
	    c.nic_horizon_ms != D.cfg.nic_horizon_ms ||
	    strcmp(c.bpf_dir, D.cfg.bpf_dir))
		dpud_log("warn", "reload: nic_limits, nic_horizon and bpf_dir change on restart only", NULL);
	if (c.kubelet_plugin != D.cfg.kubelet_plugin ||
	    c.kube_api != D.cfg.kube_api ||
	    strcmp(c.kubelet_dir, D.cfg.kubelet_dir) ||
	    strcmp(c.cdi_dir, D.cfg.cdi_dir) ||
	    strcmp(c.node_name, D.cfg.node_name) ||
	    strcmp(c.kubeconfig, D.cfg.kubeconfig))
		dpud_log("warn", "reload: kubelet_plugin, kube_api, kubelet_dir, cdi_dir, node_name and kubeconfig change on restart only", NULL);
	c.kubelet_plugin = D.cfg.kubelet_plugin;
	c.kube_api = D.cfg.kube_api;
	snprintf(c.kubelet_dir, sizeof(c.kubelet_dir), "%s", D.cfg.kubelet_dir);
	snprintf(c.cdi_dir, sizeof(c.cdi_dir), "%s", D.cfg.cdi_dir);
	snprintf(c.node_name, sizeof(c.node_name), "%s", D.cfg.node_name);
	snprintf(c.kubeconfig, sizeof(c.kubeconfig), "%s", D.cfg.kubeconfig);
	c.nic_limits = D.cfg.nic_limits;
	c.nic_horizon_ms = D.cfg.nic_horizon_ms;
	snprintf(c.bpf_dir, sizeof(c.bpf_dir), "%s", D.cfg.bpf_dir);
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
"  -c, --config FILE   config file (default /etc/dpupool/dpud.conf; a missing\n"
"                      default file means all defaults)\n"
"      --check         parse the config and desired state, then exit\n"
"  -h, --help          this text\n"
"\n"
"Config (key = value, '#' comments):\n"
"  listen = 127.0.0.1:9477          /metrics and /healthz (HTTP); or\n"
"                                   unix:/run/dpud/metrics.sock\n"
"  desired_dir = /etc/dpupool/desired.d\n"
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
"  nic_limits = yes                 enforce the NIC limits the DPU leaves to\n"
"                                   the host (BPF at TC, EDT + fq)\n"
"  nic_horizon = 2s                 egress packets that would wait longer\n"
"                                   are dropped (10ms to 60s)\n"
"  bpf_dir = /sys/fs/bpf/dpupool    where its maps and programs are pinned\n"
"  kubelet_plugin = none            dra (DRA driver dpu.dpupool.io) or\n"
"                                   device-plugin (dpupool.io/dpu-blk, -net)\n"
"  kubelet_dir = /var/lib/kubelet   the kubelet's plugin directories\n"
"  cdi_dir = /var/run/cdi           CDI specs of what pods get\n"
"  node_name = NAME                 the Node (default: the host name)\n"
"  kubeconfig = FILE                API server access (default: the pod's\n"
"                                   service account, if any)\n"
"  kube_api = yes                   ResourceSlices, claims, Node status\n"
"  k8s_slots = blk:16, net:16       functions offered to pods (128 in all)\n"
"  k8s_disk_size = 10Gi             a claim's disk unless it says\n"
"  k8s_max_disk_size = 1Ti          the largest disk a claim may ask for\n"
"  prepare_timeout = 60s            a claim's function not ready: an error\n"
"  node_status_interval = 30s       shortest gap between batch capacity\n"
"                                   patches of the Node's status\n"
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

	D.config_path = "/etc/dpupool/dpud.conf";
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
	D.k8sfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	if (D.sfd < 0 || D.tfd < 0 || D.atfd < 0 || D.k8sfd < 0) {
		dpud_log("error", "signalfd/timerfd", "error=\"%s\"",
			 strerror(errno));
		return DPUD_EXIT_RUNTIME;
	}
	its.it_interval.tv_sec = D.cfg.sample_interval_ms / 1000;
	its.it_interval.tv_nsec = (long)(D.cfg.sample_interval_ms % 1000) *
				  1000000L;
	its.it_value = its.it_interval;
	timerfd_settime(D.tfd, 0, &its, NULL);

	ret = io_uring_queue_init(256, &D.ring, 0);
	if (ret) {
		dpud_log("error", "io_uring_queue_init", "error=\"%s\"",
			 strerror(-ret));
		return DPUD_EXIT_RUNTIME;
	}
	D.nlbuf = malloc(NL_BUF);
	D.qosbuf = malloc(NL_BUF);
	if (!D.nlbuf || !D.qosbuf)
		return DPUD_EXIT_RUNTIME;
	D.op_nl.kind = OP_NL;
	D.op_qos.kind = OP_QOS;
	D.op_timer.kind = OP_TIMER;
	D.op_signal.kind = OP_SIGNAL;
	D.op_accept.kind = OP_ACCEPT;
	D.op_ltimeout.kind = OP_LTIMEOUT;
	D.op_atimer.kind = OP_ATIMER;
	D.op_k8s.kind = OP_K8S;
	D.op_kube.kind = OP_KUBE;
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
	/* before the first dump: its sync takes over what a previous dpud left */
	if (niclim_open(&D.cfg, err, sizeof(err)))
		dpud_log("error", "NIC limits the DPU leaves to the host cannot be enforced",
			 "error=\"%s\"", err);
	/*
	 * The pods' claims join the desired state before the first plan:
	 * planned without them, their functions would look like strays.
	 * Nothing the kubelet sends is read before the loop runs, after the
	 * first dump.
	 */
	if (k8s_open(err, sizeof(err))) {
		dpud_log("error", "cannot serve Kubernetes", "error=\"%s\"", err);
		return DPUD_EXIT_RUNTIME;
	}
	/* events are joined before the first dump: nothing is missed */
	reconcile("start");
	/* the kubelet plugin's and the API client's second (only if used) */
	its.it_interval.tv_sec = k8s_active() ? 1 : 0;
	its.it_interval.tv_nsec = 0;
	its.it_value = its.it_interval;
	timerfd_settime(D.k8sfd, 0, &its, NULL);
	/* QoS after the first dump: the family is resolved (or known gone) */
	dpud_qos_start();
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
	arm_qos();
	arm_read(D.tfd, &D.tbuf, sizeof(D.tbuf), &D.op_timer);
	arm_read(D.sfd, &D.sinfo, sizeof(D.sinfo), &D.op_signal);
	arm_read(D.k8sfd, &D.k8sbuf, sizeof(D.k8sbuf), &D.op_k8s);
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
			case OP_QOS:
				/* decisions first: they are what is urgent */
				if (res > 0)
					dpud_qos_dispatch(D.qosbuf, (size_t)res);
				else if (res == -ENOBUFS)
					dpud_qos_follow();	/* lost some: resync */
				else if (res < 0 && res != -EINTR && res != -EAGAIN)
					dpud_log("error", "qos recv", "error=%d", res);
				arm_qos();
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
			case OP_GRPC:
				grpcd_cqe(op, res);
				break;
			case OP_K8S:
				k8s_tick();
				arm_read(D.k8sfd, &D.k8sbuf, sizeof(D.k8sbuf),
					 &D.op_k8s);
				break;
			case OP_KUBE:
				k8s_kube_poll();
				break;
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
	k8s_close();
	/* no completion is seen after this: then free what waited for one */
	io_uring_queue_exit(&D.ring);
	grpcd_shutdown();
	dpud_agent_close(D.agent);
	dpud_qos_close();
	niclim_close();
	dpu_nl_close(D.ev);
	dpu_nl_close(D.nl);
	close(D.lfd);
	actual_free(&D.actual);
	dpud_desired_free(&D.desired);
	free(D.nlbuf);
	free(D.qosbuf);
	return DPUD_EXIT_OK;
}
