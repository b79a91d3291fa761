/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dpud: gRPC over HTTP/2 cleartext on unix sockets, both ways, on dpud's
 * io_uring loop (grpcd.c). The kubelet's plugin APIs need a server (the
 * kubelet calls plugins) and one unary client call (device plugin
 * Register). Messages are opaque bytes here; callers pack and unpack them.
 */
#ifndef DPUD_GRPCD_H
#define DPUD_GRPCD_H

#include <liburing.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* the loop hands completions whose op starts with this int to grpcd_cqe */
#define DPUD_OP_GRPC 101

/* gRPC status codes used by dpud */
#define GRPC_OK			0
#define GRPC_UNKNOWN		2
#define GRPC_INVALID_ARGUMENT	3
#define GRPC_DEADLINE_EXCEEDED	4
#define GRPC_NOT_FOUND		5
#define GRPC_FAILED_PRECONDITION 9
#define GRPC_RESOURCE_EXHAUSTED	8
#define GRPC_UNIMPLEMENTED	12
#define GRPC_INTERNAL		13
#define GRPC_UNAVAILABLE	14

struct grpcd_server;
struct grpcd_call;

/* A method's handler gets the request message (without the 5-byte
 * prefix). It ends the call with grpcd_reply() or grpcd_fail(), now or
 * later; one that keeps the call must set grpcd_on_close() first. */
typedef void (*grpcd_handler)(struct grpcd_call *c, const uint8_t *msg,
			      size_t len, void *arg);
struct grpcd_method {
	const char *path;		/* "/v1beta1.DRAPlugin/NodePrepareResources" */
	grpcd_handler fn;
};

/* Listen on a unix socket (an old socket file there is replaced; the
 * directory is created). The table must outlive the server. */
struct grpcd_server *grpcd_listen(struct io_uring *ring, const char *path,
				  const struct grpcd_method *methods,
				  size_t n, void *arg, char *err,
				  size_t errlen);
/* Stop listening, close every connection (open calls see on_close),
 * remove the socket file. NULL is fine. */
void grpcd_server_close(struct grpcd_server *s);
const char *grpcd_server_path(const struct grpcd_server *s);
/* the socket file is still ours (same inode as created) */
bool grpcd_server_intact(const struct grpcd_server *s);

/* Unary: the answer and status OK; the call ends (and is freed). */
void grpcd_reply(struct grpcd_call *c, const uint8_t *msg, size_t len);
/* Any call: a status and message, no (further) answer; the call ends. */
void grpcd_fail(struct grpcd_call *c, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Server streaming: one more message; the call stays open. 0 or -errno */
int grpcd_send(struct grpcd_call *c, const uint8_t *msg, size_t len);
/* Called once if the peer goes before the call ended; the call is freed
 * right after fn returns, so fn must forget it. */
void grpcd_on_close(struct grpcd_call *c,
		    void (*fn)(struct grpcd_call *c, void *arg), void *arg);
const char *grpcd_call_path(const struct grpcd_call *c);

/* Client: one unary call on a new connection to a unix socket, closed
 * after the answer. done() runs exactly once (from grpcd_cqe or
 * grpcd_tick), code GRPC_OK with the answer, or a status and text. A
 * call without an answer within timeout_ms ends DEADLINE_EXCEEDED. */
typedef void (*grpcd_done)(int code, const char *msg, const uint8_t *resp,
			   size_t len, void *arg);
int grpcd_call_unix(struct io_uring *ring, const char *sock,
		    const char *method, const uint8_t *req, size_t len,
		    uint32_t timeout_ms, grpcd_done done, void *arg,
		    char *err, size_t errlen);

/* One header of a gRPC answer (headers or trailers): :status,
 * grpc-status, grpc-message (percent-decoded into msg); others ignored.
 * For every gRPC client of dpud (this one, the provider's agent). */
void grpcd_answer_header(const uint8_t *name, size_t nlen,
			 const uint8_t *value, size_t vlen, int *http_status,
			 int *grpc_status, char *msg, size_t msglen);

/* The loop: a completion of ours (op->kind == DPUD_OP_GRPC). */
void grpcd_cqe(void *op, int res);
/* The loop is over (no completion will be seen again): free everything
 * whose ring operations were still pending. */
void grpcd_shutdown(void);
/* Deadlines of client calls; call at least once a second. */
void grpcd_tick(void);
/* Statistics for /metrics */
struct grpcd_stats {
	uint64_t calls, failed, conns, client_calls, client_failed;
};
void grpcd_stats(struct grpcd_stats *st);

#endif /* DPUD_GRPCD_H */
