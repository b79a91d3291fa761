// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dpud: gRPC on unix sockets, server and client, on the io_uring loop.
 *
 * A gRPC call is an HTTP/2 stream (RFC 7540): a POST whose :path names the
 * method and whose body is length-prefixed messages (1 byte "compressed"
 * flag, 4 bytes big-endian length), answered by headers, messages and
 * trailers carrying grpc-status and grpc-message. nghttp2 keeps the
 * HTTP/2 state; every accept, connect, send and receive is a ring
 * operation of dpud's one loop, so no thread is involved. The kubelet
 * talks plaintext HTTP/2 (prior knowledge) on unix sockets.
 *
 * Lifetimes: a connection is freed once it is closed and none of its ring
 * operations is pending. A call belongs to its stream until a handler gets
 * it; from then on the handler must end it (reply, fail) or have set
 * on_close, which runs if the stream goes first.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <nghttp2/nghttp2.h>

#include "grpcd.h"

#define RX_BUF		16384
#define MAX_MSG		(4u << 20)	/* gRPC's default receive limit */
#define MAX_CONNS	32		/* per server */

enum gop_what { G_ACCEPT, G_RECV, G_SEND, G_CONNECT, G_CANCEL };

struct gop {
	int kind;			/* DPUD_OP_GRPC */
	enum gop_what what;
	void *p;
};

struct gconn;
struct gclient;

struct grpcd_call {
	struct gconn *conn;		/* NULL: the stream is gone */
	int32_t id;
	char path[160];
	bool bad_type;			/* content-type is not application/grpc */
	uint8_t *in;			/* request body */
	size_t inlen;
	bool handed;			/* a handler has it */
	bool ended;			/* status submitted */
	bool started;			/* response headers submitted */
	uint8_t *data;			/* response messages not yet read */
	size_t datalen, dataoff;
	bool deferred;			/* the data source waits for more */
	int code;
	char msg[256];
	void (*on_close)(struct grpcd_call *c, void *arg);
	void *close_arg;
	struct grpcd_call *next;
};

struct gconn {
	struct gop op_recv, op_send, op_connect;
	struct io_uring *ring;
	int fd;
	int pending;			/* ring operations in flight */
	bool closed;
	nghttp2_session *h2;
	struct grpcd_server *srv;	/* server side */
	struct gclient *cli;		/* client side */
	struct grpcd_call *calls;
	uint8_t *out;			/* being sent: fixed while in flight */
	size_t outlen, outsent;
	uint8_t *nx;			/* queued behind it */
	size_t nxlen, nxcap;
	bool sending;
	bool in_recv;			/* inside nghttp2_session_mem_recv() */
	bool close_pending;		/* conn_close() asked for in there */
	uint8_t rx[RX_BUF];
	struct gconn *next;		/* the server's list */
	struct gconn *anext;		/* every connection */
};

struct grpcd_server {
	struct gop op_accept;
	struct io_uring *ring;
	char path[108];
	dev_t dev;
	ino_t ino;
	int fd;
	bool accepting, closing;
	bool accept_failed;		/* re-armed by grpcd_tick() */
	struct grpcd_server *snext;	/* every open server */
	const struct grpcd_method *methods;
	size_t nmethods;
	void *arg;
	struct gconn *conns;
	int nconns;
	struct grpcd_server *znext;	/* closed, its accept still pending */
};

struct gclient {
	struct gconn *conn;
	struct sockaddr_un addr;
	char method[160];
	uint8_t *req;			/* framed */
	size_t reqlen, reqoff;
	uint8_t *resp;
	size_t resplen;
	int http_status, grpc_status;
	char grpc_msg[256];
	struct timespec deadline;
	grpcd_done done;
	void *arg;
	bool finished;
	struct gclient *next;
};

static struct gclient *clients;
static struct gconn *all_conns;
static struct grpcd_server *zombies;
static struct grpcd_server *servers;
static struct grpcd_stats stats;

static struct io_uring_sqe *get_sqe(struct io_uring *ring)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	if (!sqe) {
		io_uring_submit(ring);
		sqe = io_uring_get_sqe(ring);
	}
	return sqe;
}

static void frame_hdr(uint8_t *p, size_t len)
{
	p[0] = 0;
	p[1] = (uint8_t)(len >> 24);
	p[2] = (uint8_t)(len >> 16);
	p[3] = (uint8_t)(len >> 8);
	p[4] = (uint8_t)len;
}

/* percent-encoding of grpc-message ("Status-Message" in the gRPC spec) */
static size_t pct_encode(char *dst, size_t len, const char *s)
{
	size_t o = 0;

	for (; *s && o + 4 < len; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch >= 0x20 && ch <= 0x7e && ch != '%') {
			dst[o++] = (char)ch;
		} else {
			snprintf(dst + o, 4, "%%%02X", ch);
			o += 3;
		}
	}
	dst[o] = '\0';
	return o;
}

static void pct_decode(char *dst, size_t len, const uint8_t *s, size_t n)
{
	size_t i, o = 0;

	for (i = 0; i < n && o + 1 < len; i++) {
		unsigned int v;

		if (s[i] == '%' && i + 2 < n &&
		    sscanf((const char *)s + i + 1, "%2x", &v) == 1) {
			dst[o++] = (char)v;
			i += 2;
		} else {
			dst[o++] = (char)s[i];
		}
	}
	dst[o] = '\0';
}

/* ------------------------------------------------------------ conn I/O */
static void conn_close(struct gconn *c);

static void arm_recv(struct gconn *c)
{
	struct io_uring_sqe *sqe;

	if (c->closed)
		return;
	sqe = get_sqe(c->ring);
	io_uring_prep_recv(sqe, c->fd, c->rx, sizeof(c->rx), 0);
	io_uring_sqe_set_data(sqe, &c->op_recv);
	c->pending++;
}

static void arm_send(struct gconn *c)
{
	struct io_uring_sqe *sqe;

	sqe = get_sqe(c->ring);
	io_uring_prep_send(sqe, c->fd, c->out + c->outsent,
			   c->outlen - c->outsent, MSG_NOSIGNAL);
	io_uring_sqe_set_data(sqe, &c->op_send);
	c->pending++;
	c->sending = true;
}

/* nghttp2's output into the send queue, and a send if none is running */
static void pump(struct gconn *c)
{
	if (c->closed || c->in_recv)
		return;	/* after nghttp2_session_mem_recv() returns */
	for (;;) {
		const uint8_t *p;
		ssize_t n = nghttp2_session_mem_send(c->h2, &p);

		if (n < 0) {
			conn_close(c);
			return;
		}
		if (!n)
			break;
		if (c->nxlen + (size_t)n > c->nxcap) {
			size_t cap = (c->nxlen + (size_t)n) * 2;
			uint8_t *b = realloc(c->nx, cap);

			if (!b) {
				conn_close(c);
				return;
			}
			c->nx = b;
			c->nxcap = cap;
		}
		memcpy(c->nx + c->nxlen, p, (size_t)n);
		c->nxlen += (size_t)n;
	}
	if (!c->sending && c->nxlen) {
		free(c->out);
		c->out = c->nx;
		c->outlen = c->nxlen;
		c->outsent = 0;
		c->nx = NULL;
		c->nxlen = c->nxcap = 0;
		arm_send(c);
	}
	if (!c->sending && !nghttp2_session_want_read(c->h2) &&
	    !nghttp2_session_want_write(c->h2))
		conn_close(c);
}

static void call_free(struct grpcd_call *k)
{
	free(k->in);
	free(k->data);
	free(k);
}

static void call_unlink(struct gconn *c, struct grpcd_call *k)
{
	struct grpcd_call **pp;

	for (pp = &c->calls; *pp; pp = &(*pp)->next)
		if (*pp == k) {
			*pp = k->next;
			return;
		}
}

/* the stream is gone: tell a handler that still holds the call */
static void call_gone(struct grpcd_call *k)
{
	k->conn = NULL;
	if (k->handed && !k->ended) {
		if (k->on_close)
			k->on_close(k, k->close_arg);
	}
	call_free(k);
}

static void client_finish(struct gclient *g, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void conn_close(struct gconn *c)
{
	if (c->closed)
		return;
	if (c->in_recv) {
		/* nghttp2 still holds the calls as stream data: after it */
		c->close_pending = true;
		return;
	}
	c->closed = true;
	shutdown(c->fd, SHUT_RDWR);
	while (c->calls) {
		struct grpcd_call *k = c->calls;

		c->calls = k->next;
		call_gone(k);
	}
	if (c->cli)
		client_finish(c->cli, GRPC_UNAVAILABLE,
			      "connection closed before the answer");
}

static void server_conn_unlink(struct gconn *c)
{
	struct grpcd_server *s = c->srv;
	struct gconn **pp;

	if (!s)
		return;
	for (pp = &s->conns; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			s->nconns--;
			break;
		}
}

static void client_free(struct gclient *g);

static void conn_destroy(struct gconn *c)
{
	struct gconn **pp;

	for (pp = &all_conns; *pp; pp = &(*pp)->anext)
		if (*pp == c) {
			*pp = c->anext;
			break;
		}
	if (c->cli) {
		c->cli->conn = NULL;
		client_free(c->cli);
	}
	nghttp2_session_del(c->h2);
	close(c->fd);
	free(c->out);
	free(c->nx);
	free(c);
}

/* closed and nothing pending: free */
static void conn_maybe_free(struct gconn *c)
{
	if (!c->closed || c->pending)
		return;
	server_conn_unlink(c);
	conn_destroy(c);
}

/* --------------------------------------------------------- server side */
static const struct grpcd_method *find_method(struct grpcd_server *s,
					      const char *path)
{
	size_t i;

	for (i = 0; i < s->nmethods; i++)
		if (!strcmp(s->methods[i].path, path))
			return &s->methods[i];
	return NULL;
}

static ssize_t resp_read(nghttp2_session *h2, int32_t id, uint8_t *buf,
			 size_t len, uint32_t *flags,
			 nghttp2_data_source *src, void *user)
{
	struct grpcd_call *k = src->ptr;
	size_t n = k->datalen - k->dataoff;

	(void)user;
	if (n > len)
		n = len;
	memcpy(buf, k->data + k->dataoff, n);
	k->dataoff += n;
	if (k->dataoff < k->datalen || n)
		return (ssize_t)n;
	if (!k->ended) {
		k->deferred = true;
		return NGHTTP2_ERR_DEFERRED;
	}
	{
		char m[800];
		char st[16];
		nghttp2_nv tr[2] = {
			{ (uint8_t *)"grpc-status", (uint8_t *)st, 11, 0,
			  NGHTTP2_NV_FLAG_NONE },
			{ (uint8_t *)"grpc-message", (uint8_t *)m, 12, 0,
			  NGHTTP2_NV_FLAG_NONE },
		};

		snprintf(st, sizeof(st), "%d", k->code);
		tr[0].valuelen = strlen(st);
		tr[1].valuelen = pct_encode(m, sizeof(m), k->msg);
		*flags |= NGHTTP2_DATA_FLAG_EOF | NGHTTP2_DATA_FLAG_NO_END_STREAM;
		if (nghttp2_submit_trailer(h2, id, tr, k->msg[0] ? 2 : 1))
			return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
	}
	return 0;
}

#define NV(n, v) { (uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, \
		   sizeof(v) - 1, NGHTTP2_NV_FLAG_NONE }

static int start_response(struct grpcd_call *k)
{
	nghttp2_nv hdr[] = {
		NV(":status", "200"),
		NV("content-type", "application/grpc"),
	};
	nghttp2_data_provider dp = { .source.ptr = k, .read_callback = resp_read };

	k->started = true;
	return nghttp2_submit_response(k->conn->h2, k->id, hdr, 2, &dp);
}

/* trailers-only: an error before any answer */
static int trailers_only(struct grpcd_call *k)
{
	char m[800], st[16];
	nghttp2_nv hdr[] = {
		NV(":status", "200"),
		NV("content-type", "application/grpc"),
		{ (uint8_t *)"grpc-status", (uint8_t *)st, 11, 0,
		  NGHTTP2_NV_FLAG_NONE },
		{ (uint8_t *)"grpc-message", (uint8_t *)m, 12, 0,
		  NGHTTP2_NV_FLAG_NONE },
	};

	snprintf(st, sizeof(st), "%d", k->code);
	hdr[2].valuelen = strlen(st);
	hdr[3].valuelen = pct_encode(m, sizeof(m), k->msg);
	k->started = true;
	return nghttp2_submit_response(k->conn->h2, k->id, hdr,
				       k->msg[0] ? 4 : 3, NULL);
}

static int queue_msg(struct grpcd_call *k, const uint8_t *msg, size_t len)
{
	size_t need = k->datalen - k->dataoff + 5 + len;
	uint8_t *b;

	if (k->dataoff) {
		memmove(k->data, k->data + k->dataoff, k->datalen - k->dataoff);
		k->datalen -= k->dataoff;
		k->dataoff = 0;
	}
	b = realloc(k->data, need ? need : 1);
	if (!b)
		return -ENOMEM;
	k->data = b;
	frame_hdr(b + k->datalen, len);
	if (len)
		memcpy(b + k->datalen + 5, msg, len);
	k->datalen += 5 + len;
	return 0;
}

static void call_end(struct grpcd_call *k)
{
	struct gconn *c = k->conn;

	k->ended = true;
	if (!c) {
		call_free(k);	/* the handler's: the stream is gone */
		return;
	}
	stats.calls++;
	if (k->code)
		stats.failed++;
	if (!k->started)
		trailers_only(k);
	else if (k->deferred) {
		k->deferred = false;
		nghttp2_session_resume_data(c->h2, k->id);
	}
	pump(c);
}

void grpcd_reply(struct grpcd_call *k, const uint8_t *msg, size_t len)
{
	if (!k->conn) {
		call_free(k);
		return;
	}
	if (queue_msg(k, msg, len)) {
		grpcd_fail(k, GRPC_RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	k->code = GRPC_OK;
	k->msg[0] = '\0';
	if (!k->started)
		start_response(k);
	call_end(k);
}

void grpcd_fail(struct grpcd_call *k, int code, const char *fmt, ...)
{
	va_list ap;

	k->code = code;
	va_start(ap, fmt);
	vsnprintf(k->msg, sizeof(k->msg), fmt, ap);
	va_end(ap);
	call_end(k);
}

int grpcd_send(struct grpcd_call *k, const uint8_t *msg, size_t len)
{
	if (!k->conn || k->ended)
		return -EPIPE;
	if (queue_msg(k, msg, len))
		return -ENOMEM;
	if (!k->started) {
		if (start_response(k))
			return -EIO;
	} else if (k->deferred) {
		k->deferred = false;
		nghttp2_session_resume_data(k->conn->h2, k->id);
	}
	pump(k->conn);
	return 0;
}

void grpcd_on_close(struct grpcd_call *k,
		    void (*fn)(struct grpcd_call *c, void *arg), void *arg)
{
	k->on_close = fn;
	k->close_arg = arg;
}

const char *grpcd_call_path(const struct grpcd_call *k)
{
	return k->path;
}

/* the request is complete: check it and hand it to its method */
static void dispatch(struct gconn *c, struct grpcd_call *k)
{
	const struct grpcd_method *m = find_method(c->srv, k->path);
	uint32_t mlen;

	k->handed = true;	/* from here on, ended by us or the handler */
	if (k->bad_type) {
		grpcd_fail(k, GRPC_INVALID_ARGUMENT,
			   "content-type must be application/grpc");
		return;
	}
	if (!m) {
		grpcd_fail(k, GRPC_UNIMPLEMENTED, "unknown method %s", k->path);
		return;
	}
	if (k->inlen < 5) {
		grpcd_fail(k, GRPC_INVALID_ARGUMENT,
			   "the request has no message");
		return;
	}
	if (k->in[0]) {
		grpcd_fail(k, GRPC_UNIMPLEMENTED,
			   "compressed messages are not supported");
		return;
	}
	mlen = (uint32_t)k->in[1] << 24 | (uint32_t)k->in[2] << 16 |
	       (uint32_t)k->in[3] << 8 | k->in[4];
	if (mlen != k->inlen - 5) {
		grpcd_fail(k, GRPC_INVALID_ARGUMENT,
			   "a unary request has exactly one message");
		return;
	}
	m->fn(k, k->in + 5, mlen, c->srv->arg);
}

static int s_begin_headers(nghttp2_session *h2, const nghttp2_frame *f,
			   void *user)
{
	struct gconn *c = user;
	struct grpcd_call *k;

	if (f->hd.type != NGHTTP2_HEADERS ||
	    f->headers.cat != NGHTTP2_HCAT_REQUEST)
		return 0;
	k = calloc(1, sizeof(*k));
	if (!k)
		return NGHTTP2_ERR_CALLBACK_FAILURE;
	k->conn = c;
	k->id = f->hd.stream_id;
	k->next = c->calls;
	c->calls = k;
	nghttp2_session_set_stream_user_data(h2, k->id, k);
	return 0;
}

static int s_header(nghttp2_session *h2, const nghttp2_frame *f,
		    const uint8_t *name, size_t nlen, const uint8_t *value,
		    size_t vlen, uint8_t flags, void *user)
{
	struct grpcd_call *k;

	(void)flags;
	(void)user;
	if (f->hd.type != NGHTTP2_HEADERS)
		return 0;
	k = nghttp2_session_get_stream_user_data(h2, f->hd.stream_id);
	if (!k)
		return 0;
	if (nlen == 5 && !memcmp(name, ":path", 5))
		snprintf(k->path, sizeof(k->path), "%.*s", (int)vlen, value);
	else if (nlen == 12 && !memcmp(name, "content-type", 12))
		k->bad_type = vlen < 16 ||
			      memcmp(value, "application/grpc", 16) ||
			      (vlen > 16 && value[16] != '+' && value[16] != ';');
	return 0;
}

static int s_data(nghttp2_session *h2, uint8_t flags, int32_t id,
		  const uint8_t *data, size_t len, void *user)
{
	struct grpcd_call *k = nghttp2_session_get_stream_user_data(h2, id);
	uint8_t *b;

	(void)flags;
	(void)user;
	if (!k || k->handed)
		return 0;
	if (k->inlen + len > MAX_MSG + 5) {
		nghttp2_submit_rst_stream(h2, NGHTTP2_FLAG_NONE, id,
					  NGHTTP2_REFUSED_STREAM);
		return 0;
	}
	b = realloc(k->in, k->inlen + len);
	if (!b)
		return NGHTTP2_ERR_CALLBACK_FAILURE;
	k->in = b;
	memcpy(b + k->inlen, data, len);
	k->inlen += len;
	return 0;
}

static int s_frame(nghttp2_session *h2, const nghttp2_frame *f, void *user)
{
	struct gconn *c = user;
	struct grpcd_call *k;

	if ((f->hd.type != NGHTTP2_DATA && f->hd.type != NGHTTP2_HEADERS) ||
	    !(f->hd.flags & NGHTTP2_FLAG_END_STREAM))
		return 0;
	k = nghttp2_session_get_stream_user_data(h2, f->hd.stream_id);
	if (k && !k->handed)
		dispatch(c, k);
	return 0;
}

static int s_close(nghttp2_session *h2, int32_t id, uint32_t code, void *user)
{
	struct gconn *c = user;
	struct grpcd_call *k = nghttp2_session_get_stream_user_data(h2, id);

	(void)code;
	if (!k)
		return 0;
	nghttp2_session_set_stream_user_data(h2, id, NULL);
	call_unlink(c, k);
	if (k->handed && !k->ended) {
		call_gone(k);	/* the handler is told, then it is freed */
		return 0;
	}
	if (!k->handed || k->ended)
		call_free(k);
	return 0;
}

static nghttp2_session_callbacks *server_cbs(void)
{
	static nghttp2_session_callbacks *cbs;

	if (!cbs && !nghttp2_session_callbacks_new(&cbs)) {
		nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, s_begin_headers);
		nghttp2_session_callbacks_set_on_header_callback(cbs, s_header);
		nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, s_data);
		nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, s_frame);
		nghttp2_session_callbacks_set_on_stream_close_callback(cbs, s_close);
	}
	return cbs;
}

static struct gconn *conn_new(struct io_uring *ring, int fd)
{
	struct gconn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->ring = ring;
	c->fd = fd;
	c->op_recv = (struct gop){ DPUD_OP_GRPC, G_RECV, c };
	c->op_send = (struct gop){ DPUD_OP_GRPC, G_SEND, c };
	c->op_connect = (struct gop){ DPUD_OP_GRPC, G_CONNECT, c };
	return c;
}

/* on the list of every connection once its session exists */
static void conn_link(struct gconn *c)
{
	c->anext = all_conns;
	all_conns = c;
}

static void arm_accept(struct grpcd_server *s)
{
	struct io_uring_sqe *sqe = get_sqe(s->ring);

	io_uring_prep_accept(sqe, s->fd, NULL, NULL, SOCK_CLOEXEC);
	io_uring_sqe_set_data(sqe, &s->op_accept);
	s->accepting = true;
}

static void server_free(struct grpcd_server *s)
{
	struct grpcd_server **pp;

	for (pp = &zombies; *pp; pp = &(*pp)->znext)
		if (*pp == s) {
			*pp = s->znext;
			break;
		}
	free(s);
}

static void on_accept(struct grpcd_server *s, int res)
{
	nghttp2_settings_entry set[] = {
		{ NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 100 },
	};
	struct gconn *c;

	s->accepting = false;
	if (s->closing) {
		if (res >= 0)
			close(res);
		server_free(s);
		return;
	}
	if (res < 0) {
		if (res == -EINTR || res == -ECONNABORTED) {
			arm_accept(s);
			return;
		}
		/* out of descriptors, or worse: again from the next tick,
		 * not in a loop that would spin */
		if (!s->accept_failed)
			fprintf(stderr, "grpcd: accept on %s: %s (retrying every second)\n",
				s->path, strerror(-res));
		s->accept_failed = true;
		return;
	}
	s->accept_failed = false;
	arm_accept(s);
	if (s->nconns >= MAX_CONNS) {
		close(res);
		return;
	}
	c = conn_new(s->ring, res);
	if (!c || nghttp2_session_server_new(&c->h2, server_cbs(), c)) {
		free(c);
		close(res);
		return;
	}
	conn_link(c);
	c->srv = s;
	c->next = s->conns;
	s->conns = c;
	s->nconns++;
	stats.conns++;
	nghttp2_submit_settings(c->h2, NGHTTP2_FLAG_NONE, set, 1);
	pump(c);
	arm_recv(c);
}

struct grpcd_server *grpcd_listen(struct io_uring *ring, const char *path,
				  const struct grpcd_method *methods,
				  size_t n, void *arg, char *err,
				  size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct grpcd_server *s;
	struct stat st;
	char dir[108];
	char *slash;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "socket path too long: %s", path);
		return NULL;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0750) && errno != EEXIST) {
			snprintf(err, errlen, "cannot create %s: %s", dir,
				 strerror(errno));
			return NULL;
		}
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	strcpy(sa.sun_path, path);
	snprintf(s->path, sizeof(s->path), "%s", path);
	if (s->fd >= 0 && !lstat(path, &st) && S_ISSOCK(st.st_mode))
		unlink(path);
	if (s->fd < 0 || bind(s->fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(s->fd, 16) || stat(path, &st)) {
		snprintf(err, errlen, "cannot listen on %s: %s", path,
			 strerror(errno));
		if (s->fd >= 0)
			close(s->fd);
		free(s);
		return NULL;
	}
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	s->ring = ring;
	s->methods = methods;
	s->nmethods = n;
	s->arg = arg;
	s->op_accept = (struct gop){ DPUD_OP_GRPC, G_ACCEPT, s };
	arm_accept(s);
	s->snext = servers;
	servers = s;
	return s;
}

const char *grpcd_server_path(const struct grpcd_server *s)
{
	return s->path;
}

bool grpcd_server_intact(const struct grpcd_server *s)
{
	struct stat st;

	return !stat(s->path, &st) && st.st_dev == s->dev &&
	       st.st_ino == s->ino;
}

void grpcd_server_close(struct grpcd_server *s)
{
	struct grpcd_server **pp;
	struct gconn *c, *next;

	if (!s)
		return;
	for (pp = &servers; *pp; pp = &(*pp)->snext)
		if (*pp == s) {
			*pp = s->snext;
			break;
		}
	if (grpcd_server_intact(s))
		unlink(s->path);
	for (c = s->conns; c; c = next) {
		next = c->next;
		c->srv = NULL;	/* freed on its own once its ops are done */
		c->next = NULL;
		conn_close(c);
		conn_maybe_free(c);
	}
	s->conns = NULL;
	s->closing = true;
	/* the pending accept completes with an error once the fd is shut */
	shutdown(s->fd, SHUT_RDWR);
	close(s->fd);
	if (!s->accepting) {
		server_free(s);
	} else {
		struct io_uring_sqe *sqe = get_sqe(s->ring);

		static struct gop op_cancel = { DPUD_OP_GRPC, G_CANCEL, NULL };

		io_uring_prep_cancel(sqe, &s->op_accept, 0);
		io_uring_sqe_set_data(sqe, &op_cancel);
		s->znext = zombies;
		zombies = s;
	}
}

void grpcd_shutdown(void)
{
	while (all_conns) {
		struct gconn *c = all_conns;

		if (!c->closed)
			conn_close(c);
		c->srv = NULL;
		conn_destroy(c);
	}
	while (zombies)
		server_free(zombies);
	while (clients) {
		clients->conn = NULL;
		client_free(clients);
	}
}

/* --------------------------------------------------------- client side */
static void client_unlink(struct gclient *g)
{
	struct gclient **pp;

	for (pp = &clients; *pp; pp = &(*pp)->next)
		if (*pp == g) {
			*pp = g->next;
			return;
		}
}

static void client_free(struct gclient *g)
{
	if (g->conn)
		return;		/* freed with its connection */
	client_unlink(g);
	free(g->req);
	free(g->resp);
	free(g);
}

static void client_finish(struct gclient *g, int code, const char *fmt, ...)
{
	char msg[300];
	va_list ap;

	if (g->finished)
		return;
	g->finished = true;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	stats.client_calls++;
	if (code)
		stats.client_failed++;
	g->done(code, msg, g->resp, g->resplen, g->arg);
	if (g->conn)
		conn_close(g->conn);
}

static ssize_t req_read(nghttp2_session *h2, int32_t id, uint8_t *buf,
			size_t len, uint32_t *flags, nghttp2_data_source *src,
			void *user)
{
	struct gclient *g = src->ptr;
	size_t n = g->reqlen - g->reqoff;

	(void)h2;
	(void)id;
	(void)user;
	if (n > len)
		n = len;
	memcpy(buf, g->req + g->reqoff, n);
	g->reqoff += n;
	if (g->reqoff == g->reqlen)
		*flags |= NGHTTP2_DATA_FLAG_EOF;
	return (ssize_t)n;
}

void grpcd_answer_header(const uint8_t *name, size_t nlen,
			 const uint8_t *value, size_t vlen, int *http_status,
			 int *grpc_status, char *msg, size_t msglen)
{
	char v[16];

	if ((nlen == 7 && !memcmp(name, ":status", 7)) ||
	    (nlen == 11 && !memcmp(name, "grpc-status", 11))) {
		snprintf(v, sizeof(v), "%.*s", (int)(vlen < 15 ? vlen : 15),
			 value);
		*(nlen == 7 ? http_status : grpc_status) = atoi(v);
	} else if (nlen == 12 && !memcmp(name, "grpc-message", 12)) {
		pct_decode(msg, msglen, value, vlen);
	}
}

static int c_header(nghttp2_session *h2, const nghttp2_frame *f,
		    const uint8_t *name, size_t nlen, const uint8_t *value,
		    size_t vlen, uint8_t flags, void *user)
{
	struct gconn *c = user;
	struct gclient *g = c->cli;

	(void)h2;
	(void)f;
	(void)flags;
	if (g)
		grpcd_answer_header(name, nlen, value, vlen, &g->http_status,
				    &g->grpc_status, g->grpc_msg,
				    sizeof(g->grpc_msg));
	return 0;
}

static int c_data(nghttp2_session *h2, uint8_t flags, int32_t id,
		  const uint8_t *data, size_t len, void *user)
{
	struct gconn *c = user;
	struct gclient *g = c->cli;
	uint8_t *b;

	(void)h2;
	(void)flags;
	(void)id;
	if (!g || g->resplen + len > MAX_MSG + 5)
		return NGHTTP2_ERR_CALLBACK_FAILURE;
	b = realloc(g->resp, g->resplen + len);
	if (!b)
		return NGHTTP2_ERR_CALLBACK_FAILURE;
	g->resp = b;
	memcpy(b + g->resplen, data, len);
	g->resplen += len;
	return 0;
}

static int c_close(nghttp2_session *h2, int32_t id, uint32_t code, void *user)
{
	struct gconn *c = user;
	struct gclient *g = c->cli;

	(void)h2;
	(void)id;
	if (!g)
		return 0;
	if (code)
		client_finish(g, GRPC_UNAVAILABLE, "stream reset (HTTP/2 error %u)",
			      code);
	else if (g->http_status != 200)
		client_finish(g, GRPC_UNKNOWN, "HTTP status %d", g->http_status);
	else if (g->grpc_status < 0)
		client_finish(g, GRPC_UNKNOWN, "no grpc-status in the answer");
	else if (g->grpc_status)
		client_finish(g, g->grpc_status, "%s", g->grpc_msg);
	else if (g->resplen < 5 || g->resp[0] ||
		 ((uint32_t)g->resp[1] << 24 | (uint32_t)g->resp[2] << 16 |
		  (uint32_t)g->resp[3] << 8 | g->resp[4]) != g->resplen - 5)
		client_finish(g, GRPC_INTERNAL, "malformed answer (%zu bytes)",
			      g->resplen);
	else {
		memmove(g->resp, g->resp + 5, g->resplen - 5);
		g->resplen -= 5;
		client_finish(g, GRPC_OK, "%s", "");
	}
	return 0;
}

static nghttp2_session_callbacks *client_cbs(void)
{
	static nghttp2_session_callbacks *cbs;

	if (!cbs && !nghttp2_session_callbacks_new(&cbs)) {
		nghttp2_session_callbacks_set_on_header_callback(cbs, c_header);
		nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, c_data);
		nghttp2_session_callbacks_set_on_stream_close_callback(cbs, c_close);
	}
	return cbs;
}

int grpcd_call_unix(struct io_uring *ring, const char *sock,
		    const char *method, const uint8_t *req, size_t len,
		    uint32_t timeout_ms, grpcd_done done, void *arg,
		    char *err, size_t errlen)
{
	struct io_uring_sqe *sqe;
	struct gclient *g;
	struct gconn *c;
	int fd;

	if (strlen(sock) >= sizeof(g->addr.sun_path)) {
		snprintf(err, errlen, "socket path too long: %s", sock);
		return -ENAMETOOLONG;
	}
	g = calloc(1, sizeof(*g));
	if (!g || !(g->req = malloc(len + 5))) {
		free(g);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	c = fd < 0 ? NULL : conn_new(ring, fd);
	if (!c || nghttp2_session_client_new(&c->h2, client_cbs(), c)) {
		snprintf(err, errlen, "cannot set up a connection: %s",
			 fd < 0 ? strerror(errno) : "out of memory");
		if (fd >= 0)
			close(fd);
		free(c);
		free(g->req);
		free(g);
		return -ENOMEM;
	}
	conn_link(c);
	g->addr.sun_family = AF_UNIX;
	strcpy(g->addr.sun_path, sock);
	snprintf(g->method, sizeof(g->method), "%s", method);
	frame_hdr(g->req, len);
	if (len)
		memcpy(g->req + 5, req, len);
	g->reqlen = len + 5;
	g->http_status = g->grpc_status = -1;
	g->done = done;
	g->arg = arg;
	clock_gettime(CLOCK_MONOTONIC, &g->deadline);
	g->deadline.tv_sec += timeout_ms / 1000;
	g->deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (g->deadline.tv_nsec >= 1000000000L) {
		g->deadline.tv_sec++;
		g->deadline.tv_nsec -= 1000000000L;
	}
	g->conn = c;
	c->cli = g;
	g->next = clients;
	clients = g;
	sqe = get_sqe(ring);
	io_uring_prep_connect(sqe, fd, (struct sockaddr *)&g->addr,
			      sizeof(g->addr));
	io_uring_sqe_set_data(sqe, &c->op_connect);
	c->pending++;
	return 0;
}

static void on_connect(struct gconn *c, int res)
{
	struct gclient *g = c->cli;
	nghttp2_nv hdr[] = {
		NV(":method", "POST"),
		NV(":scheme", "http"),
		NV(":authority", "localhost"),
		{ (uint8_t *)":path", (uint8_t *)g->method, 5,
		  strlen(g->method), NGHTTP2_NV_FLAG_NONE },
		NV("content-type", "application/grpc"),
		NV("te", "trailers"),
		NV("user-agent", "dpud"),
	};
	nghttp2_data_provider dp = { .source.ptr = g, .read_callback = req_read };

	if (res < 0) {
		client_finish(g, GRPC_UNAVAILABLE, "cannot connect to %s: %s",
			      g->addr.sun_path, strerror(-res));
		conn_close(c);
		return;
	}
	nghttp2_submit_settings(c->h2, NGHTTP2_FLAG_NONE, NULL, 0);
	if (nghttp2_submit_request(c->h2, NULL, hdr,
				   sizeof(hdr) / sizeof(hdr[0]), &dp, g) < 0) {
		client_finish(g, GRPC_INTERNAL, "cannot submit the request");
		conn_close(c);
		return;
	}
	pump(c);
	arm_recv(c);
}

void grpcd_tick(void)
{
	struct grpcd_server *s;
	struct gclient *g, *next;
	struct timespec now;

	for (s = servers; s; s = s->snext)
		if (s->accept_failed && !s->accepting)
			arm_accept(s);

	clock_gettime(CLOCK_MONOTONIC, &now);
	for (g = clients; g; g = next) {
		next = g->next;
		if (!g->finished && (now.tv_sec > g->deadline.tv_sec ||
				     (now.tv_sec == g->deadline.tv_sec &&
				      now.tv_nsec >= g->deadline.tv_nsec)))
			client_finish(g, GRPC_DEADLINE_EXCEEDED,
				      "no answer from %s in time",
				      g->addr.sun_path);
	}
}

/* ----------------------------------------------------------- the loop */
void grpcd_cqe(void *opp, int res)
{
	struct gop *op = opp;
	struct gconn *c;

	if (op->what == G_ACCEPT) {
		on_accept(op->p, res);
		return;
	}
	if (op->what == G_CANCEL)
		return;
	c = op->p;
	c->pending--;
	switch (op->what) {
	case G_CONNECT:
		if (!c->closed)
			on_connect(c, res);
		break;
	case G_RECV:
		if (c->closed)
			break;
		if (res <= 0) {
			conn_close(c);
			break;
		}
		c->in_recv = true;
		res = (int)nghttp2_session_mem_recv(c->h2, c->rx, (size_t)res);
		c->in_recv = false;
		if (res < 0 || c->close_pending) {
			conn_close(c);
			break;
		}
		pump(c);
		arm_recv(c);
		break;
	case G_SEND:
		c->sending = false;
		if (c->closed)
			break;
		if (res < 0) {
			conn_close(c);
			break;
		}
		c->outsent += (size_t)res;
		if (c->outsent < c->outlen) {
			arm_send(c);
			break;
		}
		pump(c);
		break;
	default:
		break;
	}
	conn_maybe_free(c);
}

void grpcd_stats(struct grpcd_stats *st)
{
	*st = stats;
}
