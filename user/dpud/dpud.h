/* SPDX-License-Identifier: GPL-2.0-or-later */
/* dpud: the dpupool node daemon. Shared types of its pure parts (config,
 * desired state, reconcile planner, metrics, headroom) and its I/O parts. */
#ifndef DPUD_H
#define DPUD_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include "libdpu.h"

#define DPUD_ERR_LEN 512
#define DPUD_NAME_LEN 64	/* attachment and tenant names, NUL included */

/* Exit codes (also in --help) */
#define DPUD_EXIT_OK		0	/* clean exit on SIGTERM/SIGINT, --check ok */
#define DPUD_EXIT_RUNTIME	1	/* cannot start: netlink, listen, state dir */
#define DPUD_EXIT_CONFIG	2	/* bad command line, config or desired state */

/* ---------------------------------------------------------------- config */
struct dpud_config {
	char listen[128];		/* "127.0.0.1:9477" */
	char desired_dir[PATH_MAX];
	char state_dir[PATH_MAX];
	char cgroup_root[PATH_MAX];	/* under /sys/fs/cgroup, e.g. kubepods */
	char besteffort_root[PATH_MAX];	/* "" = none, e.g. kubepods/besteffort */
	uint64_t reserve_cpu_milli;	/* millicores */
	uint64_t reserve_memory;	/* bytes */
	uint32_t sample_interval_ms;
	char device[DPU_NAME_LEN];	/* "dpu0" */
	double headroom_margin;		/* usage estimate multiplied by this */

	/* agent of dpu-provider (agent.proto); provider "" = no agent */
	char provider[256];		/* gRPC target, "10.0.0.1:9900" */
	char provider_ca[PATH_MAX];	/* all three: mTLS; none: plaintext */
	char provider_cert[PATH_MAX];
	char provider_key[PATH_MAX];
	char provider_server_name[128];	/* TLS name to expect ("" = host) */
	char serial[128];		/* "": DMI product serial, else hostname */
	char node_group[64];		/* group claimed ("" = let it say) */
	char labels[512];		/* "k=v,k=v" reported as host labels */
	uint32_t pods;			/* pod capacity reported */
	char directive_hook[PATH_MAX];	/* run when the directive changes */
	uint32_t hook_timeout_ms;	/* the hook is killed after this */
	bool delete_on_empty_start;	/* an empty desired dir deletes */
	bool drop_capabilities;		/* keep only what dpud uses (default) */
	bool qos;			/* apply dpu.ko's QoS decisions (default) */
	char qos_hls_cpus[64];		/* cpulist HLS cgroups get exclusively */
	bool nic_limits;		/* enforce NIC limits the DPU leaves to us */
	uint32_t nic_horizon_ms;	/* egress packets delayed longer drop */
	char bpf_dir[PATH_MAX];		/* pins: <bpf_dir>/<device>/ */

	/* Kubernetes (k8s.c): the kubelet plugin and the API server */
	uint8_t kubelet_plugin;		/* enum dpud_kubelet_plugin */
	char kubelet_dir[PATH_MAX];	/* /var/lib/kubelet */
	char cdi_dir[PATH_MAX];		/* /var/run/cdi */
	char node_name[254];		/* "": the host name */
	char kubeconfig[PATH_MAX];	/* "": in-cluster, if in a pod */
	bool kube_api;			/* use the API server (default yes) */
	uint32_t k8s_slots[2];		/* [blk, net] functions offered */
	uint64_t k8s_disk_size;		/* a claim's disk unless it says */
	uint64_t k8s_max_disk_size;	/* published, enforced */
	uint32_t prepare_timeout_ms;	/* a function not ready: fails */
	uint32_t node_status_interval_ms; /* batch capacity patches */
};

enum dpud_kubelet_plugin {
	DPUD_KUBELET_NONE,
	DPUD_KUBELET_DRA,		/* DRA driver dpu.dpupool.io */
	DPUD_KUBELET_DEVICE_PLUGIN,	/* dpupool.io/dpu-blk, dpu-net */
};

void dpud_config_defaults(struct dpud_config *c);
/* Parse text (the content of file fname) over c. 0, or -EINVAL with
 * err = "FILE:LINE: reason". */
int dpud_config_parse(const char *fname, const char *text,
		      struct dpud_config *c, char *err, size_t errlen);
int dpud_config_load(const char *path, struct dpud_config *c, char *err,
		     size_t errlen);

/* Small parsers (public for tests): 0 or -EINVAL */
int dpud_parse_duration_ms(const char *s, uint32_t *ms);	/* 500ms 10s 1m */
/* Kubernetes quantities, as dpu-provider reads them (lib/quantity.h) */
int dpud_parse_cpu_milli(const char *s, uint64_t *milli);	/* 500m 1.5 2 */
int dpud_parse_bytes(const char *s, uint64_t *bytes);	/* 64Mi, 1G = 10^9 */
/* "host:port" or "[v6]:port" -> host, port; 0 or -EINVAL */
int dpud_split_hostport(const char *t, char *host, size_t hlen, char *port,
			size_t plen);
/* "k=v,k=v" (Kubernetes label syntax, at most DPUD_MAX_LABELS) */
#define DPUD_MAX_LABELS 16
int dpud_parse_labels(const char *s, char keys[][128], char vals[][64],
		      size_t *n);
bool dpud_name_ok(const char *s);

/* --------------------------------------------------------- desired state */
struct dpud_tenant_spec {
	char name[DPUD_NAME_LEN];
	char parent[DPUD_NAME_LEN];	/* "" for a root */
	bool has_limits;
	struct dpu_limits_req lim;
};

struct dpud_attach_spec {
	char name[DPUD_NAME_LEN];	/* file name without .conf */
	char tenant[DPUD_NAME_LEN];
	uint8_t type;			/* DPU_FN_TYPE_* */
	uint64_t size;			/* blk */
	bool has_mac;			/* net */
	uint8_t mac[6];
	uint32_t mtu;			/* 0: leave */
	char netns[PATH_MAX];		/* "": stay in the init netns */
	char ifname[16];		/* "": keep the kernel's name */
};

struct dpud_desired {
	struct dpud_tenant_spec *tenants;
	size_t ntenants;
	struct dpud_attach_spec *att;
	size_t natt;
};

/* Parse one desired-state file, whose base name is base ("tenant-x.conf"
 * or "disk-db.conf"), into d. path names it in errors. */
int dpud_desired_parse(const char *path, const char *base, const char *text,
		       struct dpud_desired *d, char *err, size_t errlen);
/* Every *.conf of dir, in name order, then cross-file checks. */
int dpud_desired_load(const char *dir, struct dpud_desired *d, char *err,
		      size_t errlen);
void dpud_desired_free(struct dpud_desired *d);

/* ------------------------------------------------------- actual + records */
struct dpud_actual_fn {
	uint32_t index;
	uint8_t type;
	uint8_t state;
	char tenant[DPUD_NAME_LEN];
	uint64_t size;
	bool has_mac;
	uint8_t mac[6];
	uint32_t ifindex;
	bool in_netns;			/* the NIC is in another namespace */
	uint64_t limit_rate[DPU_LIMIT_KINDS];	/* its own limits */
	uint64_t limit_burst[DPU_LIMIT_KINDS];
};

struct dpud_actual_tenant {
	char name[DPUD_NAME_LEN];
	char parent[DPUD_NAME_LEN];
	uint64_t limit_rate[DPU_LIMIT_KINDS];
	uint64_t limit_burst[DPU_LIMIT_KINDS];
	struct dpu_stats stats;
};

struct dpud_actual {
	struct dpud_actual_fn *fns;
	size_t nfns;
	struct dpud_actual_tenant *tenants;
	size_t ntenants;
	uint32_t max_fns;
	uint32_t host_kinds;		/* DPU_A_DEV_HOST_LIMITS */
	bool host_known;		/* DEV_GET answered */
	uint32_t fn_types;		/* bit (1 << DPU_FN_TYPE_*) it makes */
	int32_t numa_node;		/* -1: none */
	char backend[DPU_BACKEND_LEN];
};

/* What dpud created: one record per attachment name, written atomically
 * before FN_NEW with the index it asks for. */
struct dpud_record {
	char name[DPUD_NAME_LEN];
	uint32_t index;
	uint8_t type;
	uint64_t size;			/* blk: identity check */
	bool has_mac;
	uint8_t mac[6];			/* net: identity check */
	bool nic_done;			/* NIC set up (renamed, moved, up) */
};

int dpud_record_format(const struct dpud_record *r, char *buf, size_t len);
int dpud_record_parse(const char *name, const char *text,
		      struct dpud_record *r);
/* state dir I/O: atomic write (tmp + fsync + rename + dir fsync).  A
 * record that cannot be read or parsed fails the whole load (-EBADMSG or
 * the read's errno, err naming the file): nothing may be planned then. */
int dpud_records_load(const char *dir, struct dpud_record **out, size_t *n,
		      char *err, size_t errlen);
int dpud_record_save(const char *dir, const struct dpud_record *r);
/* DIR/NAME replaced atomically and durably (the records, the directive) */
int dpud_write_atomic(const char *dir, const char *name, const char *buf,
		      size_t len);
int dpud_record_remove(const char *dir, const char *name);
/* the record of attachment name, or NULL */
const struct dpud_record *dpud_record_find(const struct dpud_record *r,
					   size_t n, const char *name);

/* Function slots offered to pods (k8s.c): [blk, net] */
void dpud_slots_split(uint32_t free_slots, const uint32_t want[2],
		      uint32_t out[2]);

/* --------------------------------------------------------------- planner */
enum dpud_action_kind {
	DPUD_ACT_TENANT_NEW = 1,	/* tenant */
	DPUD_ACT_TENANT_SET,		/* tenant: limits differ */
	DPUD_ACT_FN_DEL,		/* index, name (record) */
	DPUD_ACT_RECORD_DROP,		/* name: record of nothing of ours */
	DPUD_ACT_FN_NEW,		/* att, index, record to save first */
	DPUD_ACT_FN_SET_TENANT,		/* att, index */
	DPUD_ACT_NIC_SETUP,		/* att, index, ifindex */
	DPUD_ACT_BLOCKED,		/* name, why */
};

struct dpud_action {
	enum dpud_action_kind kind;
	char name[DPUD_NAME_LEN];
	uint32_t index;
	uint32_t ifindex;
	const struct dpud_tenant_spec *tenant;
	const struct dpud_attach_spec *att;
	struct dpud_record rec;		/* FN_NEW */
	char why[96];			/* BLOCKED */
};

/* mac_gen fills a MAC for a net attachment without one (NULL: zeros +
 * locally administered; tests pass a deterministic one). */
typedef void (*dpud_mac_gen)(uint8_t mac[6], void *arg);

/* Pure: desired + actual + records -> actions, in execution order.
 * Returns the number of actions (*out malloc'ed) or -ENOMEM. */
int dpud_plan(const struct dpud_desired *d, const struct dpud_actual *a,
	      const struct dpud_record *recs, size_t nrecs,
	      dpud_mac_gen gen, void *gen_arg, struct dpud_action **out);
const char *dpud_action_str(enum dpud_action_kind k);

/* --------------------------------------------------------------- metrics */
#define DPUD_ATTACH_BUCKETS 12
extern const double dpud_attach_bounds[DPUD_ATTACH_BUCKETS];

struct dpud_hist {
	uint64_t bucket[DPUD_ATTACH_BUCKETS];	/* not cumulative */
	uint64_t count;				/* including > last bound */
	double sum;
};
void dpud_hist_observe(struct dpud_hist *h, double v);

struct dpud_headroom {
	bool valid;
	uint64_t cpu_capacity_milli, mem_capacity;
	uint64_t cpu_allocatable_milli, mem_allocatable;
	uint64_t cpu_usage_milli, mem_usage;		/* now */
	uint64_t cpu_estimate_milli, mem_estimate;	/* p95/p98 x margin */
	uint64_t cpu_reclaimable_milli, mem_reclaimable;
	uint64_t cpu_besteffort_milli, mem_besteffort;	/* now */
};

/* One headroom sample, pure (metrics.c): usage figures of
 * the online workloads (best-effort ones excluded) and of the best-effort
 * tier, the estimate of online usage (quantile x margin).  Reclaimable =
 * allocatable - max(estimate, online now), damped (changes under 10% are
 * ignored), and never below what best-effort pods use right now. */
struct dpud_hr_sample {
	uint64_t cpu_capacity_milli, mem_capacity;
	uint64_t reserve_cpu_milli, reserve_mem;
	uint64_t cpu_online_milli, mem_online;
	uint64_t cpu_estimate_milli, mem_estimate;
	uint64_t cpu_besteffort_milli, mem_besteffort;
};
void dpud_headroom_update(struct dpud_headroom *h,
			  const struct dpud_hr_sample *s);

struct dpud_metrics {
	const char *device;
	const struct dpud_actual *actual;	/* functions and tenants */
	bool have_actual;
	const struct dpud_hist *attach;
	uint64_t attach_failures;
	uint64_t reconciles;
	uint64_t actions_failed;
	uint32_t managed;			/* records */
	const struct dpud_headroom *headroom;
	/* agent: shown when agent is set */
	bool agent, agent_registered;
	int disposition;			/* enum dpud_disposition */
	bool dpu_up;				/* the last dump worked */
	bool state_ok;				/* records readable */
	double dump_age_s;			/* < 0: never dumped */
	uint64_t conn_timeouts;
	uint64_t agent_calls[2][2];		/* [register][ok] */
};

/* Prometheus text exposition (version 0.0.4). malloc'ed, *len set. */
char *dpud_metrics_render(const struct dpud_metrics *m, size_t *len);

/* -------------------------------------------------------------- headroom */
/* Exponentially decaying histogram over fixed log-spaced buckets. */
#define DPUD_DH_BUCKETS 64
struct dpud_dhist {
	double w[DPUD_DH_BUCKETS];
	double lo, hi;			/* value range of the buckets */
	double decay;			/* weight factor per observation */
};
void dpud_dhist_init(struct dpud_dhist *h, double lo, double hi,
		     double half_life_samples);
void dpud_dhist_add(struct dpud_dhist *h, double v);
/* The upper bound of the bucket holding quantile q (0..1); 0 if empty */
double dpud_dhist_quantile(const struct dpud_dhist *h, double q);
/* Damping: keep old unless new differs from it by 10% or more */
uint64_t dpud_damp(uint64_t old, uint64_t now);

/* ----------------------------------------------------------------- agent */
/* dpud registers with dpu-provider's Agent service and reports; the answer
 * (a directive) says whether the host should join the cluster. */
struct dpud_slots {
	char type[8];			/* "blk", "net" */
	uint32_t free, total;
};

struct dpud_host_report {
	char serial[128];
	char group[64];
	size_t nlabels;
	char lkeys[DPUD_MAX_LABELS][128];
	char lvals[DPUD_MAX_LABELS][64];
	int64_t cpu_milli, mem_bytes, pods;		/* capacity */
	int64_t hr_cpu_milli, hr_mem_bytes, hr_pods;	/* headroom */
	size_t nslots;
	struct dpud_slots slots[4];
	const struct dpud_actual_fn *fns;		/* every function */
	size_t nfns;
};

enum dpud_disposition {
	DPUD_DISP_UNKNOWN = 0,
	DPUD_DISP_JOIN = 1,
	DPUD_DISP_LEAVE = 2,
	DPUD_DISP_STAY_FREE = 3,
};

struct dpud_directive {
	enum dpud_disposition disposition;
	char group[64];
	char provider_id[160];
	int32_t interval_s;
	char message[256];
};

/* agent_msg.c, pure: the wire messages (RegisterRequest/ReportRequest,
 * Directive) to and from bytes.  0, -ENOMEM or -EBADMSG; a Directive whose
 * group is no Kubernetes name, whose provider id is not printable ASCII
 * without spaces, or whose message is not printable: -EINVAL. */
int dpud_report_pack(const struct dpud_host_report *r, bool reg,
		     uint8_t **buf, size_t *len);
int dpud_directive_unpack(const uint8_t *buf, size_t len,
			  struct dpud_directive *d);
const char *dpud_disposition_str(enum dpud_disposition d);
/* The directive file in state_dir ("key = value" lines) */
int dpud_directive_format(const struct dpud_directive *d, char *buf,
			  size_t len);

/* agent.c: the gRPC client, on dpud's ring: HTTP/2 (nghttp2), TLS in
 * memory BIOs (OpenSSL).  Its ring operations carry user data whose first
 * int is DPUD_OP_AGENT; the loop hands their completions to
 * dpud_agent_cqe(). */
struct io_uring;
struct dpud_agent;
#define DPUD_OP_AGENT 100
#define DPUD_AGENT_DEADLINE_S 5	/* a Register or Report call */
#define DPUD_STR_(x) #x
#define DPUD_STR(x) DPUD_STR_(x)
/* dpud.c, for the agent: an SQE (submitting when the ring is full) and
 * seconds since t0 (CLOCK_MONOTONIC) */
struct io_uring_sqe *dpud_sqe_get(struct io_uring *ring);
double dpud_since(const struct timespec *t0);
struct dpud_agent_result {
	bool reg;			/* Register (else Report) */
	int code;			/* gRPC status code, 0 = OK */
	char msg[256];			/* status message */
	double seconds;			/* call latency */
	struct dpud_directive d;	/* code 0 */
};
struct dpud_agent *dpud_agent_open(const struct dpud_config *c,
				   struct io_uring *ring, char *err,
				   size_t errlen);
bool dpud_agent_busy(const struct dpud_agent *a);
/* Start a call (one at a time: -EBUSY).  Its end is reported by
 * dpud_agent_cqe() or, if it failed at once, by dpud_agent_poll(). */
int dpud_agent_call(struct dpud_agent *a, bool reg, const uint8_t *buf,
		    size_t len);
/* 1 when the call ended (*res set), else 0 */
int dpud_agent_poll(struct dpud_agent *a, struct dpud_agent_result *res);
int dpud_agent_cqe(struct dpud_agent *a, void *op, int res,
		   struct dpud_agent_result *out);
/* The deadline passed: the call ends with DEADLINE_EXCEEDED */
int dpud_agent_abort(struct dpud_agent *a, const char *why,
		     struct dpud_agent_result *out);
/* After io_uring_queue_exit() */
void dpud_agent_close(struct dpud_agent *a);

/* ----------------------------------------------------------------- NIC */
int dpud_nic_setup(uint32_t ifindex, const struct dpud_attach_spec *a,
		   char *err, size_t errlen);

/* caps.c: keep CAP_NET_ADMIN and CAP_SYS_ADMIN only (bounding set too;
 * securebits so that exec gives nothing back; no_new_privs). 0 with the
 * mask kept, or -errno with err set. */
int dpud_drop_caps(uint64_t *kept, char *err, size_t errlen);

/* Test hook: if $DPUD_TEST_CRASH_AT names this point ("record-saved",
 * "nic-moved"), die by SIGKILL right there, as a kill -9 would. */
void dpud_test_crash(const char *point);

/* ----------------------------------------------------------------- logs */
void dpud_log(const char *level, const char *msg, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif /* DPUD_H */
