// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dpud: tenants' NIC limits, enforced by the host for DPUs that leave them
 * to it (DPU_A_DEV_HOST_LIMITS): BPF at the TC hooks of each NIC
 * function's net device (bpf/nic_limits.bpf.c), EDT shaping paced by the
 * fq qdisc on egress, policing on ingress.
 *
 * Everything the programs use lives in maps pinned under
 * <bpf_dir>/<device>/maps, and each function's programs are pinned under
 * <bpf_dir>/<device>/fns/<index>. The TC filters hold the programs and
 * the programs the maps: a dpud that dies leaves the limits enforced, and
 * the next one opens the same maps, so there is no gap.
 *
 * niclim_sync() runs after every dump of the DPU (every event): it turns
 * the functions and tenants into levels (a slot each in the maps), chains
 * of levels per net device, TC filters and pins, and removes what is no
 * longer there.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>
#include <linux/magic.h>
#include <linux/pkt_sched.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/tc.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>

#include "dpud_int.h"
#include "niclim.h"
#include "nic_limits.skel.h"

#define NL_TC_HANDLE	0xd9u	/* our filters' handle, priority 1 */
#define NL_MQ_MAJOR	0xd9u	/* an mq root we create: d9: */
/*
 * fq's packet limits: high enough that our horizon decides (2 s at 1 Gbit/s
 * is 166k full-size packets); senders' socket buffers bound the memory.
 */
#define NL_FQ_PLIMIT		1000000
#define NL_FQ_FLOW_PLIMIT	200000

#define NET_KINDS	((1u << DPU_LIMIT_KIND(DPU_A_LIMIT_NET_TX_BPS)) | \
			 (1u << DPU_LIMIT_KIND(DPU_A_LIMIT_NET_RX_BPS)) | \
			 (1u << DPU_LIMIT_KIND(DPU_A_LIMIT_NET_TX_PPS)) | \
			 (1u << DPU_LIMIT_KIND(DPU_A_LIMIT_NET_RX_PPS)))

static const char *const map_names[] = {
	"nl_fns", "nl_conf", "nl_state", "nl_stats", "nl_ident", "nl_global",
};

struct nl_dev {
	uint32_t ifindex;
	uint32_t fn;
	bool ok;	/* filters, pins and map entry in place */
};

static struct {
	bool ready;	/* bpf_dir usable: programs load when needed */
	bool on;	/* programs loaded */
	bool load_failed;	/* reported once */
	struct nic_limits *skel;
	char dir[PATH_MAX + DPU_NAME_LEN + 2];	/* <bpf_dir>/<device> */
	int ncpus;
	uint32_t eg_id, in_id;	/* our programs' ids */
	struct dpu_nl_ident ident[DPU_NL_SLOTS];
	struct dpu_nl_conf conf[DPU_NL_SLOTS];
	struct nl_dev *devs;	/* net devices our filters are on */
	size_t ndevs;
	uint32_t host_kinds;
	uint32_t horizon_ms;
	uint64_t errors;
	char last_err[256];
} N;

static void nl_err(const char *what, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void nl_err(const char *what, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(N.last_err, sizeof(N.last_err), fmt, ap);
	va_end(ap);
	N.errors++;
	dpud_log("error", what, "error=\"%s\"", N.last_err);
}

static int mkdirs(const char *path)
{
	char tmp[PATH_MAX], *p;

	snprintf(tmp, sizeof(tmp), "%s", path);
	for (p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0700) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

static int fd_of(int i)
{
	struct bpf_map *m = bpf_object__find_map_by_name(N.skel->obj,
							 map_names[i]);

	return m ? bpf_map__fd(m) : -1;
}

#define FD_FNS		fd_of(0)
#define FD_CONF		fd_of(1)
#define FD_STATE	fd_of(2)
#define FD_STATS	fd_of(3)
#define FD_IDENT	fd_of(4)
#define FD_GLOBAL	fd_of(5)

static void unpin_maps(void)
{
	char p[sizeof(N.dir) + 32];
	size_t i;

	for (i = 0; i < sizeof(map_names) / sizeof(map_names[0]); i++) {
		snprintf(p, sizeof(p), "%s/maps/%s", N.dir, map_names[i]);
		unlink(p);
	}
}

/* open the skeleton on the pinned maps (created and pinned if none) */
static int load(bool fresh)
{
	char p[sizeof(N.dir) + 32];
	struct bpf_map *m;
	int ret;

	if (fresh)
		unpin_maps();
	N.skel = nic_limits__open();
	if (!N.skel)
		return -errno ? -errno : -ENOMEM;
	bpf_object__for_each_map(m, N.skel->obj) {
		snprintf(p, sizeof(p), "%s/maps/%s", N.dir, bpf_map__name(m));
		ret = bpf_map__set_pin_path(m, p);
		if (ret)
			goto fail;
	}
	ret = nic_limits__load(N.skel);
	if (ret)
		goto fail;
	return 0;
fail:
	nic_limits__destroy(N.skel);
	N.skel = NULL;
	return ret;
}

/*
 * Do maps pinned by an earlier dpud differ from this program's (type, key
 * or value size, entries)? Only then are they replaced: a load that fails
 * for another reason must not unpin maps live filters still use.
 */
static bool pins_incompatible(void)
{
	struct nic_limits *skel = nic_limits__open();
	char p[sizeof(N.dir) + 32];
	bool bad = false;
	struct bpf_map *m;

	if (!skel)
		return false;
	bpf_object__for_each_map(m, skel->obj) {
		struct bpf_map_info info;
		uint32_t len = sizeof(info);
		int fd;

		snprintf(p, sizeof(p), "%s/maps/%s", N.dir, bpf_map__name(m));
		fd = bpf_obj_get(p);
		if (fd < 0)
			continue;
		memset(&info, 0, sizeof(info));
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) &&
		    (info.type != (uint32_t)bpf_map__type(m) ||
		     info.key_size != bpf_map__key_size(m) ||
		     info.value_size != bpf_map__value_size(m) ||
		     info.max_entries != bpf_map__max_entries(m)))
			bad = true;
		close(fd);
	}
	nic_limits__destroy(skel);
	return bad;
}

static uint32_t prog_id(int fd)
{
	struct bpf_prog_info info;
	uint32_t len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return 0;
	return info.id;
}

/* a level's limits, virtual times and counters back to nothing */
static int zero_slot(uint32_t slot)
{
	struct dpu_nl_stats *st = calloc((size_t)N.ncpus, sizeof(*st));
	struct dpu_nl_state s;
	struct dpu_nl_conf c;
	int ret = 0;

	memset(&s, 0, sizeof(s));
	memset(&c, 0, sizeof(c));
	if (!st)
		return -ENOMEM;
	if (bpf_map_update_elem(FD_CONF, &slot, &c, BPF_ANY) ||
	    bpf_map_update_elem(FD_STATE, &slot, &s, BPF_F_LOCK) ||
	    bpf_map_update_elem(FD_STATS, &slot, st, BPF_ANY))
		ret = -errno;
	free(st);
	if (ret)
		nl_err("nic limits: level reset", "slot %u: %s", slot,
		       strerror(-ret));
	else
		N.conf[slot] = c;
	return ret;
}

/*
 * libbpf's messages, in dpud's log format. The kernel's answers to probes
 * whose failure is expected (no filter yet, clsact already there) are
 * dropped: what matters is reported by the callers, with its context.
 */
static int libbpf_log(enum libbpf_print_level level, const char *fmt,
		      va_list ap)
{
	char msg[512];
	size_t n;

	if (level == LIBBPF_DEBUG)
		return 0;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (strstr(msg, "Kernel error message:"))
		return 0;
	n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = '\0';
	dpud_log(level == LIBBPF_WARN ? "warn" : "info", "libbpf",
		 "message=\"%s\"", msg);
	return 0;
}

static void tc_detach(int ifindex);

/*
 * nic_limits = no: what an earlier dpud set up goes, filters included, so
 * that no limit stays enforced that nobody keeps up to date.
 */
static void release_all(void)
{
	char p[sizeof(N.dir) + 300];
	struct dirent *de;
	uint32_t key, next;
	unsigned int n = 0;
	bool more;
	DIR *dir;
	int fd;

	snprintf(p, sizeof(p), "%s/maps/nl_fns", N.dir);
	fd = bpf_obj_get(p);
	if (fd < 0)
		return;
	more = !bpf_map_get_next_key(fd, NULL, &key);
	while (more) {
		char name[IF_NAMESIZE];

		more = !bpf_map_get_next_key(fd, &key, &next);
		if (if_indextoname(key, name))
			tc_detach((int)key);
		n++;
		key = next;
	}
	close(fd);
	snprintf(p, sizeof(p), "%s/fns", N.dir);
	dir = opendir(p);
	while (dir && (de = readdir(dir))) {
		char q[sizeof(p) + 300];

		if (de->d_name[0] == '.')
			continue;
		snprintf(q, sizeof(q), "%s/%s/egress", p, de->d_name);
		unlink(q);
		snprintf(q, sizeof(q), "%s/%s/ingress", p, de->d_name);
		unlink(q);
		snprintf(q, sizeof(q), "%s/%s", p, de->d_name);
		rmdir(q);
	}
	if (dir)
		closedir(dir);
	rmdir(p);
	unpin_maps();
	snprintf(p, sizeof(p), "%s/maps", N.dir);
	rmdir(p);
	rmdir(N.dir);
	dpud_log("info", "nic limits off: what an earlier dpud set up is released",
		 "dir=%s devices=%u", N.dir, n);
}

static int start_bpf(char *err, size_t errlen);

int niclim_open(const struct dpud_config *cfg, char *err, size_t errlen)
{
	struct statfs sfs;
	int ret;

	memset(&N, 0, sizeof(N));
	libbpf_set_print(libbpf_log);
	snprintf(N.dir, sizeof(N.dir), "%s/%s", cfg->bpf_dir, cfg->device);
	if (!cfg->nic_limits) {
		release_all();
		memset(&N, 0, sizeof(N));
		return 0;
	}
	if (statfs(cfg->bpf_dir, &sfs) && errno == ENOENT)
		mkdirs(cfg->bpf_dir);
	if (statfs(cfg->bpf_dir, &sfs) ||
	    sfs.f_type != (typeof(sfs.f_type))BPF_FS_MAGIC) {
		snprintf(err, errlen,
			 "%s is not on a BPF filesystem (mount -t bpf bpf /sys/fs/bpf)",
			 cfg->bpf_dir);
		return -ENOTDIR;
	}
	ret = mkdirs(N.dir);
	if (!ret) {
		char p[sizeof(N.dir) + 16];

		snprintf(p, sizeof(p), "%s/maps", N.dir);
		ret = mkdirs(p);
		snprintf(p, sizeof(p), "%s/fns", N.dir);
		if (!ret)
			ret = mkdirs(p);
	}
	if (ret) {
		snprintf(err, errlen, "%s: %s", N.dir, strerror(-ret));
		return ret;
	}
	N.ncpus = libbpf_num_possible_cpus();
	if (N.ncpus <= 0) {
		snprintf(err, errlen, "possible CPUs: %s", strerror(-N.ncpus));
		return N.ncpus ? N.ncpus : -EINVAL;
	}
	N.horizon_ms = cfg->nic_horizon_ms;
	N.ready = true;
	/*
	 * The programs load when a DPU first leaves NIC limits to the host,
	 * or now if an earlier dpud left maps: this one takes them over
	 */
	{
		char p[sizeof(N.dir) + 32];

		snprintf(p, sizeof(p), "%s/maps/nl_fns", N.dir);
		if (access(p, F_OK))
			return 0;
	}
	return start_bpf(err, errlen);
}

/* load the programs on the pinned maps (or new ones), read their slots */
static int start_bpf(char *err, size_t errlen)
{
	struct dpu_nl_global g;
	uint32_t zero = 0, slot;
	int ret;

	ret = load(false);
	if (ret && pins_incompatible()) {
		/* pinned maps of another layout (an upgrade): start afresh */
		dpud_log("warn", "nic limits: pinned maps not reusable, new ones",
			 "dir=%s error=\"%s\"", N.dir, strerror(-ret));
		ret = load(true);
	}
	if (!ret && (bpf_map_lookup_elem(FD_GLOBAL, &zero, &g) ||
		     (g.layout && g.layout != DPU_NL_LAYOUT))) {
		dpud_log("warn", "nic limits: maps of another layout, new ones",
			 "dir=%s layout=%llu", N.dir,
			 (unsigned long long)g.layout);
		nic_limits__destroy(N.skel);
		ret = load(true);
	}
	if (ret) {
		snprintf(err, errlen,
			 "cannot load the NIC limits program: %s (the kernel log or 'bpftool prog load' tell why)",
			 strerror(-ret));
		return ret;
	}
	g.layout = DPU_NL_LAYOUT;
	g.horizon_ns = (uint64_t)N.horizon_ms * 1000000ULL;
	if (bpf_map_update_elem(FD_GLOBAL, &zero, &g, BPF_ANY)) {
		snprintf(err, errlen, "setting the horizon: %s", strerror(errno));
		nic_limits__destroy(N.skel);
		N.skel = NULL;
		return -EIO;
	}
	N.eg_id = prog_id(bpf_program__fd(N.skel->progs.dpu_nl_egress));
	N.in_id = prog_id(bpf_program__fd(N.skel->progs.dpu_nl_ingress));
	/* what the previous dpud left: its levels stay where they are */
	for (slot = 0; slot < DPU_NL_SLOTS; slot++) {
		if (bpf_map_lookup_elem(FD_IDENT, &slot, &N.ident[slot]) ||
		    bpf_map_lookup_elem(FD_CONF, &slot, &N.conf[slot]))
			memset(&N.ident[slot], 0, sizeof(N.ident[slot]));
		N.ident[slot].tenant[DPU_NL_TENANT_LEN - 1] = '\0';
	}
	N.on = true;
	dpud_log("info", "nic limits ready", "dir=%s horizon_ms=%u egress_prog=%u ingress_prog=%u",
		 N.dir, N.horizon_ms, N.eg_id, N.in_id);
	return 0;
}

void niclim_close(void)
{
	/* filters, programs and maps stay: the limits hold until the next dpud */
	if (N.skel)
		nic_limits__destroy(N.skel);
	free(N.devs);
	memset(&N, 0, sizeof(N));
}

/* ------------------------------------------------------------ levels */
static const struct dpud_actual_tenant *
tenant_of(const struct dpud_actual *a, const char *name)
{
	size_t i;

	for (i = 0; i < a->ntenants; i++)
		if (!strcmp(a->tenants[i].name, name))
			return &a->tenants[i];
	return NULL;
}

static int find_slot(uint32_t fn, const char *tenant)
{
	int s;

	for (s = 0; s < DPU_NL_SLOTS; s++) {
		const struct dpu_nl_ident *id = &N.ident[s];

		if (!id->used || id->fn_index != fn)
			continue;
		/* a function's level is its own, whatever its tenant */
		if (fn != DPU_NL_NO_FN || !strcmp(id->tenant, tenant))
			return s;
	}
	return -1;
}

static int new_slot(uint32_t fn, const char *tenant)
{
	struct dpu_nl_ident id;
	int s;

	for (s = 0; s < DPU_NL_SLOTS; s++)
		if (!N.ident[s].used)
			break;
	if (s == DPU_NL_SLOTS)
		return -ENOSPC;
	memset(&id, 0, sizeof(id));
	id.used = 1;
	id.fn_index = fn;
	snprintf(id.tenant, sizeof(id.tenant), "%s", tenant);
	if (zero_slot((uint32_t)s))
		return -EIO;
	if (bpf_map_update_elem(FD_IDENT, &s, &id, BPF_ANY))
		return -errno;
	N.ident[s] = id;
	return s;
}

/* rates and bursts of the limit kinds the host enforces */
static void conf_of(struct dpu_nl_conf *c, const uint64_t *rate,
		    const uint64_t *burst)
{
	static const int attr[DPU_NL_BUCKETS] = {
		[DPU_NL_TX_BPS] = DPU_A_LIMIT_NET_TX_BPS,
		[DPU_NL_TX_PPS] = DPU_A_LIMIT_NET_TX_PPS,
		[DPU_NL_RX_BPS] = DPU_A_LIMIT_NET_RX_BPS,
		[DPU_NL_RX_PPS] = DPU_A_LIMIT_NET_RX_PPS,
	};
	int b;

	memset(c, 0, sizeof(*c));
	for (b = 0; b < DPU_NL_BUCKETS; b++) {
		int k = DPU_LIMIT_KIND(attr[b]);

		if (!(N.host_kinds & (1u << k)) || !rate[k])
			continue;
		c->rate[b] = rate[k];
		c->tau_ns[b] = niclim_tau_ns(rate[k], burst[k]);
	}
}

/* a level's limits to its map, if they changed; logged (0 or -1, errno) */
static int write_conf(int s, const struct dpu_nl_conf *c, bool event)
{
	const struct dpu_nl_ident *id = &N.ident[s];

	if (!memcmp(c, &N.conf[s], sizeof(*c)))
		return 0;
	if (bpf_map_update_elem(FD_CONF, &s, c, BPF_ANY))
		return -1;
	N.conf[s] = *c;
	dpud_log("info", "nic limits: level set",
		 "slot=%d tenant=%s function=%d tx_bps=%llu tx_pps=%llu rx_bps=%llu rx_pps=%llu event=%d",
		 s, id->tenant, id->fn_index == DPU_NL_NO_FN ? -1 : (int)id->fn_index,
		 (unsigned long long)c->rate[DPU_NL_TX_BPS],
		 (unsigned long long)c->rate[DPU_NL_TX_PPS],
		 (unsigned long long)c->rate[DPU_NL_RX_BPS],
		 (unsigned long long)c->rate[DPU_NL_RX_PPS], event);
	return 0;
}

static int set_level(uint32_t fn, const char *tenant, const uint64_t *rate,
		     const uint64_t *burst, bool *ref)
{
	struct dpu_nl_conf c;
	int s = find_slot(fn, tenant);

	if (s < 0)
		s = new_slot(fn, tenant);
	if (s < 0)
		return s;
	if (fn != DPU_NL_NO_FN && strcmp(N.ident[s].tenant, tenant)) {
		/* moved to another tenant: the ident says where it is now */
		snprintf(N.ident[s].tenant, sizeof(N.ident[s].tenant), "%s",
			 tenant);
		if (bpf_map_update_elem(FD_IDENT, &s, &N.ident[s], BPF_ANY))
			nl_err("nic limits: level", "slot %d: %s", s,
			       strerror(errno));
	}
	conf_of(&c, rate, burst);
	if (write_conf(s, &c, false))
		return -errno;
	ref[s] = true;
	return s;
}

/*
 * A tenant's or function's limits changed (its event): its level, if it
 * has one, takes them at once, before the dump the event also triggers
 * (which handles moves, new and gone functions).
 */
void niclim_limits_event(uint32_t fn, const char *tenant,
			 const uint64_t *rate, const uint64_t *burst)
{
	struct dpu_nl_conf c;
	int s;

	if (!N.on || !N.host_kinds)
		return;
	s = find_slot(fn, tenant);
	if (s < 0)
		return;
	conf_of(&c, rate, burst);
	if (write_conf(s, &c, true))
		nl_err("nic limits: level", "slot %d: %s", s, strerror(errno));
}

/* ------------------------------------------------------ net devices */
static struct nl_sock *rt_sock(void)
{
	struct nl_sock *sk = nl_socket_alloc();

	if (sk && nl_connect(sk, NETLINK_ROUTE) < 0) {
		nl_socket_free(sk);
		sk = NULL;
	}
	return sk;
}

static const char *qdisc_kind(struct nl_cache *cache, int ifindex,
			      uint32_t parent)
{
	struct rtnl_qdisc *q = rtnl_qdisc_get_by_parent(cache, ifindex, parent);
	const char *kind;

	if (!q)
		return "";
	kind = rtnl_tc_get_kind(TC_CAST(q));
	rtnl_qdisc_put(q);	/* the cache keeps the object, and the kind */
	return kind ? kind : "";
}

/*
 * A qdisc over raw rtnetlink (libnl knows no fq options). fq's own
 * horizon is set to ours, and its per-flow limit high enough that a
 * flow over its rate meets our horizon (dropped and counted) before
 * fq's limit (dropped after we charged it, an undershoot).
 */
static int add_qdisc(int ifindex, uint32_t parent, uint32_t handle,
		     const char *kind)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	struct tcmsg *tcm;
	uint32_t seq = 1;
	int ret;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWQDISC;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE |
			   NLM_F_REPLACE;
	nlh->nlmsg_seq = seq;
	tcm = mnl_nlmsg_put_extra_header(nlh, sizeof(*tcm));
	tcm->tcm_family = AF_UNSPEC;
	tcm->tcm_ifindex = ifindex;
	tcm->tcm_parent = parent;
	tcm->tcm_handle = handle;
	mnl_attr_put_strz(nlh, TCA_KIND, kind);
	if (!strcmp(kind, "fq")) {
		struct nlattr *opt = mnl_attr_nest_start(nlh, TCA_OPTIONS);

		mnl_attr_put_u32(nlh, TCA_FQ_PLIMIT, NL_FQ_PLIMIT);
		mnl_attr_put_u32(nlh, TCA_FQ_FLOW_PLIMIT, NL_FQ_FLOW_PLIMIT);
		mnl_attr_put_u32(nlh, TCA_FQ_HORIZON,
				 N.horizon_ms * 1000 + 1000);
		mnl_attr_put_u8(nlh, TCA_FQ_HORIZON_DROP, 1);
		mnl_attr_nest_end(nlh, opt);
	}
	nl = mnl_socket_open(NETLINK_ROUTE);
	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		ret = -errno;
		goto out;
	}
	ret = (int)mnl_socket_recvfrom(nl, buf, sizeof(buf));
	if (ret < 0) {
		ret = -errno;
		goto out;
	}
	nlh = (struct nlmsghdr *)buf;
	ret = 0;
	if (nlh->nlmsg_type == NLMSG_ERROR) {
		const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

		ret = e->error;
	}
out:
	mnl_socket_close(nl);
	return ret;
}

/*
 * fq paces the departure times: the root qdisc, or under an mq root one
 * per transmit queue. An fq already there gets our options as a change,
 * which keeps its queues (a restarted dpud must not reset them); the
 * kernel's default mq (handle 0) cannot be addressed, so it is replaced
 * by ours, d9:.
 */
static int ensure_fq(struct nl_sock *sk, int ifindex, const char *name)
{
	struct rtnl_link *link = NULL;
	struct nl_cache *cache = NULL;
	struct rtnl_qdisc *q;
	uint32_t ntx = 1, i, major = 0;
	const char *root;
	int ret;

	ret = rtnl_qdisc_alloc_cache(sk, &cache);
	if (ret < 0) {
		nl_err("nic limits: qdiscs", "%s: %s", name, nl_geterror(ret));
		return -EIO;
	}
	root = qdisc_kind(cache, ifindex, TC_H_ROOT);
	q = rtnl_qdisc_get_by_parent(cache, ifindex, TC_H_ROOT);
	if (q) {
		major = rtnl_tc_get_handle(TC_CAST(q)) & TC_H_MAJ_MASK;
		rtnl_qdisc_put(q);
	}
	if (!rtnl_link_get_kernel(sk, ifindex, NULL, &link))
		ntx = rtnl_link_get_num_tx_queues(link);
	if (ntx <= 1) {
		ret = add_qdisc(ifindex, TC_H_ROOT, 0, "fq");
		goto out;
	}
	if (strcmp(root, "mq") || !major) {
		major = NL_MQ_MAJOR << 16;
		ret = add_qdisc(ifindex, TC_H_ROOT, major, "mq");
	}
	for (i = 1; i <= ntx && ret >= 0; i++)
		ret = add_qdisc(ifindex, major | i, 0, "fq");
out:
	if (ret < 0)
		nl_err("nic limits: fq qdisc", "%s: %s", name, strerror(-ret));
	if (link)
		rtnl_link_put(link);
	nl_cache_free(cache);
	return ret < 0 ? -EIO : 0;
}

static int tc_attach(int ifindex, enum bpf_tc_attach_point where, int prog_fd,
		     uint32_t id)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = where);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = NL_TC_HANDLE, .priority = 1);
	int ret;

	ret = bpf_tc_hook_create(&hook);
	if (ret && ret != -EEXIST)
		return ret;
	if (!bpf_tc_query(&hook, &opts) && opts.prog_id == id)
		return 0;	/* already ours */
	opts.prog_fd = prog_fd;
	opts.prog_id = 0;
	opts.flags = BPF_TC_F_REPLACE;
	return bpf_tc_attach(&hook, &opts);
}

static void tc_detach(int ifindex)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = NL_TC_HANDLE, .priority = 1);

	hook.attach_point = BPF_TC_EGRESS;
	bpf_tc_detach(&hook, &opts);
	hook.attach_point = BPF_TC_INGRESS;
	bpf_tc_detach(&hook, &opts);
}

/* <dir>/fns/<index>/{egress,ingress}: pins of the programs it runs */
static int pin_fn(uint32_t fn)
{
	static const char *const names[] = { "egress", "ingress" };
	char p[sizeof(N.dir) + 64];
	int i, fd;

	snprintf(p, sizeof(p), "%s/fns/%u", N.dir, fn);
	if (mkdir(p, 0700) && errno != EEXIST)
		return -errno;
	for (i = 0; i < 2; i++) {
		struct bpf_program *prog = i ? N.skel->progs.dpu_nl_ingress :
					       N.skel->progs.dpu_nl_egress;
		uint32_t want = i ? N.in_id : N.eg_id;

		snprintf(p, sizeof(p), "%s/fns/%u/%s", N.dir, fn, names[i]);
		fd = bpf_obj_get(p);
		if (fd >= 0) {
			uint32_t id = prog_id(fd);

			close(fd);
			if (id == want)
				continue;
			unlink(p);
		}
		if (bpf_obj_pin(bpf_program__fd(prog), p))
			return -errno;
	}
	return 0;
}

static void unpin_fn(const char *name)
{
	char p[sizeof(N.dir) + 300];

	snprintf(p, sizeof(p), "%s/fns/%s/egress", N.dir, name);
	unlink(p);
	snprintf(p, sizeof(p), "%s/fns/%s/ingress", N.dir, name);
	unlink(p);
	snprintf(p, sizeof(p), "%s/fns/%s", N.dir, name);
	if (rmdir(p) && errno != ENOENT)
		nl_err("nic limits: stale pins", "%s: %s", p, strerror(errno));
	else
		dpud_log("info", "nic limits: pins removed", "path=%s", p);
}

static int attach_dev(struct nl_sock *sk, const struct dpud_actual_fn *f)
{
	char name[IF_NAMESIZE] = "";
	int ret;

	if (!if_indextoname(f->ifindex, name))
		snprintf(name, sizeof(name), "ifindex %u", f->ifindex);
	ret = ensure_fq(sk, (int)f->ifindex, name);
	if (!ret) {
		ret = tc_attach((int)f->ifindex, BPF_TC_EGRESS,
				bpf_program__fd(N.skel->progs.dpu_nl_egress),
				N.eg_id);
		if (!ret)
			ret = tc_attach((int)f->ifindex, BPF_TC_INGRESS,
					bpf_program__fd(N.skel->progs.dpu_nl_ingress),
					N.in_id);
		if (ret)
			nl_err("nic limits: attach", "%s: %s", name,
			       strerror(-ret));
	}
	if (!ret) {
		ret = pin_fn(f->index);
		if (ret)
			nl_err("nic limits: pin", "function %u: %s", f->index,
			       strerror(-ret));
	}
	return ret;
}

/* the levels @ifindex's packets are charged to now stay referenced */
static void keep_levels(uint32_t ifindex, bool *ref)
{
	struct dpu_nl_fn have;
	uint32_t j;

	if (bpf_map_lookup_elem(FD_FNS, &ifindex, &have))
		return;
	for (j = 0; j < have.nlevels && j < DPU_NL_LEVELS; j++)
		if (have.level[j] < DPU_NL_SLOTS)
			ref[have.level[j]] = true;
}

/* set up by this dpud already (a restarted one checks every device once) */
static bool was_attached(const struct dpud_actual_fn *f)
{
	size_t i;

	for (i = 0; i < N.ndevs; i++)
		if (N.devs[i].ifindex == f->ifindex && N.devs[i].fn == f->index)
			return N.devs[i].ok;
	return false;
}

static bool fn_limited(const struct dpud_actual_fn *f)
{
	return f->type == DPU_FN_TYPE_NET && f->state == DPU_FN_STATE_READY &&
	       f->ifindex && !f->in_netns;
}

void niclim_sync(const struct dpud_actual *a, uint32_t host_kinds)
{
	static bool ref[DPU_NL_SLOTS];
	struct nl_dev *devs = NULL;
	struct nl_sock *sk = NULL;
	size_t i, ndevs = 0;
	uint32_t key, next;
	bool more;
	DIR *dir;
	int s;

	if (!N.ready)
		return;
	if (!N.on) {
		char err[256];

		if (!(host_kinds & NET_KINDS) || N.load_failed)
			return;
		if (start_bpf(err, sizeof(err))) {
			N.load_failed = true;
			nl_err("NIC limits the DPU leaves to the host cannot be enforced",
			       "%s", err);
			return;
		}
	}
	N.host_kinds = host_kinds & NET_KINDS;
	memset(ref, 0, sizeof(ref));
	devs = calloc(a->nfns ? a->nfns : 1, sizeof(*devs));
	if (!devs)
		return;		/* nothing is released on a failed sync */

	for (i = 0; N.host_kinds && i < a->nfns; i++) {
		const struct dpud_actual_fn *f = &a->fns[i];
		const struct dpud_actual_tenant *t;
		struct dpu_nl_fn want, have;
		struct nl_dev *d;

		if (!fn_limited(f))
			continue;
		/*
		 * Wanted: kept whatever fails below (what an earlier sync or
		 * dpud set up stays in force rather than being released)
		 */
		d = &devs[ndevs++];
		d->ifindex = f->ifindex;
		d->fn = f->index;
		memset(&want, 0, sizeof(want));
		want.fn_index = f->index;
		s = set_level(f->index, f->tenant, f->limit_rate,
			      f->limit_burst, ref);
		if (s >= 0)
			want.level[want.nlevels++] = (uint32_t)s;
		t = tenant_of(a, f->tenant);
		while (s >= 0 && t && want.nlevels < DPU_NL_LEVELS) {
			s = set_level(DPU_NL_NO_FN, t->name, t->limit_rate,
				      t->limit_burst, ref);
			if (s >= 0)
				want.level[want.nlevels++] = (uint32_t)s;
			t = t->parent[0] ? tenant_of(a, t->parent) : NULL;
		}
		if (s < 0) {
			nl_err("nic limits: no free level", "function %u: %s",
			       f->index, strerror(-s));
			keep_levels(f->ifindex, ref);
			continue;
		}
		if (!was_attached(f)) {
			if (!sk)
				sk = rt_sock();
			if (!sk) {
				nl_err("nic limits: rtnetlink", "cannot open a socket");
				keep_levels(f->ifindex, ref);
				continue;
			}
			if (attach_dev(sk, f)) {
				keep_levels(f->ifindex, ref);
				continue;
			}
		}
		key = f->ifindex;
		if (bpf_map_lookup_elem(FD_FNS, &key, &have) ||
		    memcmp(&have, &want, sizeof(want))) {
			if (bpf_map_update_elem(FD_FNS, &key, &want, BPF_ANY)) {
				nl_err("nic limits: function map", "function %u: %s",
				       f->index, strerror(errno));
				keep_levels(f->ifindex, ref);
				continue;
			}
			dpud_log("info", "nic limits: function limited",
				 "index=%u ifindex=%u levels=%u", f->index,
				 f->ifindex, want.nlevels);
		}
		d->ok = true;
	}

	/* net devices no longer limited: their entry, and our filters if
	 * the device is still there (moved away, no longer host-limited) */
	more = !bpf_map_get_next_key(FD_FNS, NULL, &key);
	while (more) {
		bool keep = false;

		more = !bpf_map_get_next_key(FD_FNS, &key, &next);
		for (i = 0; i < ndevs; i++)
			keep |= devs[i].ifindex == key;
		if (!keep) {
			char name[IF_NAMESIZE];

			bpf_map_delete_elem(FD_FNS, &key);
			if (if_indextoname(key, name))
				tc_detach((int)key);
			dpud_log("info", "nic limits: net device released",
				 "ifindex=%u", key);
		}
		key = next;
	}
	/* levels nobody uses now */
	for (s = 0; s < DPU_NL_SLOTS; s++) {
		if (!N.ident[s].used || ref[s])
			continue;
		memset(&N.ident[s], 0, sizeof(N.ident[s]));
		bpf_map_update_elem(FD_IDENT, &s, &N.ident[s], BPF_ANY);
		zero_slot((uint32_t)s);
	}
	/* pins of functions that are gone */
	{
		struct dirent *de;
		char p[sizeof(N.dir) + 16];

		snprintf(p, sizeof(p), "%s/fns", N.dir);
		dir = opendir(p);
		while (dir && (de = readdir(dir))) {
			char *end;
			unsigned long fn;
			bool keep = false;

			if (de->d_name[0] == '.')
				continue;
			fn = strtoul(de->d_name, &end, 10);
			for (i = 0; !*end && i < ndevs; i++)
				keep |= devs[i].fn == fn;
			if (!keep)
				unpin_fn(de->d_name);
		}
		if (dir)
			closedir(dir);
	}
	if (sk)
		nl_socket_free(sk);
	free(N.devs);
	N.devs = devs;
	N.ndevs = ndevs;
}

/* ----------------------------------------------------------- metrics */
int niclim_level_stats(uint32_t slot, struct dpu_nl_stats *sum)
{
	struct dpu_nl_stats *pc;
	int c;

	memset(sum, 0, sizeof(*sum));
	if (!N.on || slot >= DPU_NL_SLOTS)
		return -ENOENT;
	pc = calloc((size_t)N.ncpus, sizeof(*pc));
	if (!pc)
		return -ENOMEM;
	if (bpf_map_lookup_elem(FD_STATS, &slot, pc)) {
		free(pc);
		return -errno;
	}
	for (c = 0; c < N.ncpus; c++)
		dpu_nl_stats_add(sum, &pc[c]);
	free(pc);
	return 0;
}

static size_t limited_count(void)
{
	size_t i, n = 0;

	for (i = 0; i < N.ndevs; i++)
		n += N.devs[i].ok;
	return n;
}

static void level_labels(char *lbl, size_t len, const char *device, int s)
{
	const struct dpu_nl_ident *id = &N.ident[s];

	if (id->fn_index == DPU_NL_NO_FN)
		snprintf(lbl, len, "device=\"%s\",level=\"tenant\",tenant=\"%s\",function=\"\"",
			 device, id->tenant);
	else
		snprintf(lbl, len, "device=\"%s\",level=\"function\",tenant=\"%s\",function=\"%u\"",
			 device, id->tenant, id->fn_index);
}

void niclim_metrics(FILE *f, const char *device)
{
	static struct dpu_nl_stats st[DPU_NL_SLOTS];
	static bool have[DPU_NL_SLOTS];
	char lbl[256];
	int s, fam;

	if (!N.on)
		return;
	fprintf(f,
		      "# HELP dpud_nic_limited_functions Net devices the host's NIC limits are attached to\n"
		      "# TYPE dpud_nic_limited_functions gauge\n"
		      "dpud_nic_limited_functions{device=\"%s\"} %zu\n"
		      "# HELP dpud_nic_limit_errors_total Failures setting up NIC limits (qdisc, filter, map, pin)\n"
		      "# TYPE dpud_nic_limit_errors_total counter\n"
		      "dpud_nic_limit_errors_total{device=\"%s\"} %llu\n",
		      device, limited_count(), device,
		      (unsigned long long)N.errors);
	for (s = 0; s < DPU_NL_SLOTS; s++)
		have[s] = N.ident[s].used &&
			  !niclim_level_stats((uint32_t)s, &st[s]);
	for (fam = 0; fam < 3; fam++) {
		static const char *const head[] = {
			"# HELP dpud_nic_packets_total Packets through the host's NIC limits (BPF) by level: a function's own, or a tenant's (its functions' and its children's)\n"
			"# TYPE dpud_nic_packets_total counter\n",
			"# HELP dpud_nic_bytes_total Bytes through the host's NIC limits (BPF) by level\n"
			"# TYPE dpud_nic_bytes_total counter\n",
			"# HELP dpud_nic_delay_seconds_total Time egress packets were held back by the level's departure times\n"
			"# TYPE dpud_nic_delay_seconds_total counter\n",
		};

		fputs(head[fam], f);
		for (s = 0; s < DPU_NL_SLOTS; s++) {
			const struct dpu_nl_stats *x = &st[s];

			if (!have[s])
				continue;
			level_labels(lbl, sizeof(lbl), device, s);
			if (fam == 0)
				fprintf(f,
					      "dpud_nic_packets_total{%s,direction=\"tx\",result=\"passed\"} %llu\n"
					      "dpud_nic_packets_total{%s,direction=\"tx\",result=\"delayed\"} %llu\n"
					      "dpud_nic_packets_total{%s,direction=\"tx\",result=\"dropped\"} %llu\n"
					      "dpud_nic_packets_total{%s,direction=\"rx\",result=\"passed\"} %llu\n"
					      "dpud_nic_packets_total{%s,direction=\"rx\",result=\"dropped\"} %llu\n",
					      lbl, (unsigned long long)x->tx_packets,
					      lbl, (unsigned long long)x->tx_delayed,
					      lbl, (unsigned long long)x->tx_dropped,
					      lbl, (unsigned long long)x->rx_packets,
					      lbl, (unsigned long long)x->rx_dropped);
			else if (fam == 1)
				fprintf(f,
					      "dpud_nic_bytes_total{%s,direction=\"tx\",result=\"passed\"} %llu\n"
					      "dpud_nic_bytes_total{%s,direction=\"tx\",result=\"dropped\"} %llu\n"
					      "dpud_nic_bytes_total{%s,direction=\"rx\",result=\"passed\"} %llu\n"
					      "dpud_nic_bytes_total{%s,direction=\"rx\",result=\"dropped\"} %llu\n",
					      lbl, (unsigned long long)x->tx_bytes,
					      lbl, (unsigned long long)x->tx_dropped_bytes,
					      lbl, (unsigned long long)x->rx_bytes,
					      lbl, (unsigned long long)x->rx_dropped_bytes);
			else
				fprintf(f,
					      "dpud_nic_delay_seconds_total{%s} %.9f\n",
					      lbl, (double)x->tx_delay_ns / 1e9);
		}
	}
}
