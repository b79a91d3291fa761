/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dpud internals: the one context of the daemon and what its parts
 * (dpud.c the loop, reconcile.c, headroom.c, http.c, directive.c) call
 * of each other. Not a library interface: see dpud.h for that.
 */
#ifndef DPUD_INT_H
#define DPUD_INT_H

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
#include "dpud_qos.h"
#include "niclim.h"
#include "grpcd.h"
#include "k8s.h"

#define NL_BUF		(64 * 1024)
#define MAX_CONNS	64
#define MAX_PENDING	256
#define RESYNC_MS	60000	/* full reconcile without events */
#define AGENT_DEADLINE_MS (DPUD_AGENT_DEADLINE_S * 1000)

enum op_kind { OP_NL, OP_TIMER, OP_SIGNAL, OP_ACCEPT, OP_CONN, OP_ATIMER,
	       OP_LTIMEOUT, OP_QOS, OP_K8S, OP_KUBE,
	       OP_AGENT = DPUD_OP_AGENT, OP_GRPC = DPUD_OP_GRPC };

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

/* the daemon: one, global (D) */
struct dpud_ctx {
	const char *config_path;
	struct dpud_config cfg;
	struct dpud_desired desired;
	struct dpu_nl *nl, *ev;
	struct io_uring ring;
	int tfd, sfd, lfd;
	struct op op_nl, op_timer, op_signal, op_accept, op_ltimeout, op_qos;
	uint8_t *nlbuf;
	uint8_t *qosbuf;		/* the qos group's messages */
	uint64_t tbuf;
	struct signalfd_siginfo sinfo;
	int nconns;
	bool stop, dirty;
	bool state_bad;		/* a record is unreadable: no reconcile */
	bool dpu_up;		/* the last dump worked */
	bool family_lost;	/* dpu.ko went: resolve and join again */
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

	/* Kubernetes (k8s.c): a 1 s timer, the API client's poll */
	int k8sfd;
	struct op op_k8s, op_kube;
	uint64_t k8sbuf;
	bool kube_armed;
	struct __kernel_timespec kube_ts;
};

extern struct dpud_ctx D;

/* dpud.c: the ring */
struct io_uring_sqe *sqe_get(void);

/* reconcile.c */
void actual_free(struct dpud_actual *a);
int refresh_actual(void);
void reconcile(const char *why);
int ev_fn(const struct dpu_fn_info *f, void *arg);
int ev_tenant(const struct dpu_tenant_info *t, void *arg);

/* headroom.c */
void node_capacity(uint64_t *cpu_milli, uint64_t *mem);
void sample_headroom(void);

/* http.c */
void conn_arm(struct conn *c);
void conn_done(struct conn *c, int res);
int listen_on(const char *spec);

/* directive.c */
void agent_arm_timer(uint32_t ms);
void host_serial(void);
void agent_send(void);
void hook_deadline(void);
void reap_children(void);
void agent_result(const struct dpud_agent_result *res);

#endif /* DPUD_INT_H */
