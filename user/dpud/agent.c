// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dpud: client of dpu-provider's Agent service.
 *
 * A unary gRPC call is an HTTP/2 POST (RFC 7540, nghttp2 keeps the framing)
 * whose body is the protobuf message behind a 5-byte prefix, answered by a
 * body in the same framing and grpc-status/grpc-message trailers.  That is
 * all the agent needs, so it speaks it directly: the socket's connect,
 * sends and receives are io_uring operations of dpud's one event loop, TLS
 * runs in memory BIOs (OpenSSL) between the socket and nghttp2, and no
 * thread is involved.  One connection is kept and reused; one call at a
 * time.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <liburing.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <nghttp2/nghttp2.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "dpud.h"
#include "grpcd.h"

#define RX_BUF		16384
#define MAX_RESP	(1 << 20)

enum aop_kind { AOP_CONNECT, AOP_SEND, AOP_RECV };

struct conn;

struct aop {
	int kind;		/* DPUD_OP_AGENT: the loop's dispatch key */
	enum aop_kind what;
	struct conn *c;
};

struct conn {
	struct aop op_connect, op_send, op_recv;
	int pending;			/* ring operations in flight */
	bool dead;			/* shut down: freed when pending is 0 */
	int fd;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	bool connected, tls_done;
	SSL *ssl;
	BIO *net;			/* our end of the BIO pair */
	nghttp2_session *h2;
	uint8_t *out;			/* being sent: fixed while in flight */
	size_t outlen, outcap, outsent;
	uint8_t *nx;			/* queued behind it */
	size_t nxlen, nxcap;
	bool sending, receiving;
	uint8_t rx[RX_BUF];
	struct conn *next_dead;
};

struct dpud_agent {
	struct io_uring *ring;
	char host[256], port[16], authority[280], name[256];
	SSL_CTX *ctx;			/* NULL: plaintext (h2c) */
	struct conn *conn;
	struct conn *dead;		/* shut down, ops still pending */

	/* the call in flight */
	bool busy, done;
	bool reg;
	int32_t stream;
	uint8_t *req;
	size_t reqlen, reqoff;
	uint8_t *resp;
	size_t resplen;
	int http_status, grpc_status;	/* -1: not seen */
	char grpc_msg[256];
	struct timespec t0;
	struct dpud_agent_result result;
};

/* gRPC status codes used here */
#define ST_OK			0
#define ST_UNKNOWN		2
#define ST_DEADLINE		4
#define ST_INTERNAL		13
#define ST_UNAVAILABLE		14

/* ------------------------------------------------------------ the call */
static void finish(struct dpud_agent *a, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void finish(struct dpud_agent *a, int code, const char *fmt, ...)
{
	struct dpud_agent_result *r = &a->result;
	va_list ap;

	if (!a->busy || a->done)
		return;
	memset(r, 0, sizeof(*r));
	r->reg = a->reg;
	r->code = code;
	va_start(ap, fmt);
	vsnprintf(r->msg, sizeof(r->msg), fmt, ap);
	va_end(ap);
	r->seconds = dpud_since(&a->t0);
	a->done = true;
}

static void call_reset(struct dpud_agent *a)
{
	free(a->req);
	free(a->resp);
	a->req = a->resp = NULL;
	a->reqlen = a->reqoff = a->resplen = 0;
	a->busy = a->done = false;
	a->stream = 0;
}

static void stream_done(struct dpud_agent *a, uint32_t error_code)
{
	uint32_t mlen;

	if (a->grpc_status < 0) {
		if (error_code)
			finish(a, ST_UNAVAILABLE, "stream reset (HTTP/2 error %u)",
			       error_code);
		else
			finish(a, a->http_status == 200 ? ST_UNKNOWN :
			       ST_UNAVAILABLE,
			       "no grpc-status (HTTP status %d)", a->http_status);
		return;
	}
	if (a->grpc_status != ST_OK) {
		finish(a, a->grpc_status, "%s", a->grpc_msg);
		return;
	}
	/* one message: compressed flag, 4-byte big-endian length, bytes */
	if (a->resplen < 5 || a->resp[0] != 0) {
		finish(a, ST_INTERNAL, "bad response framing");
		return;
	}
	mlen = (uint32_t)a->resp[1] << 24 | (uint32_t)a->resp[2] << 16 |
	       (uint32_t)a->resp[3] << 8 | a->resp[4];
	if (mlen != a->resplen - 5) {
		finish(a, ST_INTERNAL, "bad response length");
		return;
	}
	finish(a, ST_OK, "%s", "");
	switch (dpud_directive_unpack(a->resp + 5, mlen, &a->result.d)) {
	case 0:
		break;
	case -EINVAL:
		a->result.code = ST_INTERNAL;
		snprintf(a->result.msg, sizeof(a->result.msg),
			 "Directive refused: a group, provider id or message with characters or a length not allowed");
		break;
	default:
		a->result.code = ST_INTERNAL;
		snprintf(a->result.msg, sizeof(a->result.msg),
			 "undecodable Directive");
		break;
	}
}

/* ------------------------------------------------------- nghttp2 hooks */
static int on_header(nghttp2_session *s, const nghttp2_frame *f,
		     const uint8_t *name, size_t namelen, const uint8_t *value,
		     size_t valuelen, uint8_t flags, void *user)
{
	struct dpud_agent *a = user;
	(void)s;
	(void)flags;
	if (f->hd.stream_id != a->stream)
		return 0;
	grpcd_answer_header(name, namelen, value, valuelen, &a->http_status,
			    &a->grpc_status, a->grpc_msg, sizeof(a->grpc_msg));
	return 0;
}

static int on_data(nghttp2_session *s, uint8_t flags, int32_t stream,
		   const uint8_t *data, size_t len, void *user)
{
	struct dpud_agent *a = user;
	uint8_t *n;

	(void)s;
	(void)flags;
	if (stream != a->stream)
		return 0;
	if (a->resplen + len > MAX_RESP)
		return NGHTTP2_ERR_CALLBACK_FAILURE;
	n = realloc(a->resp, a->resplen + len);
	if (!n)
		return NGHTTP2_ERR_CALLBACK_FAILURE;
	memcpy(n + a->resplen, data, len);
	a->resp = n;
	a->resplen += len;
	return 0;
}

static int on_close(nghttp2_session *s, int32_t stream, uint32_t error_code,
		    void *user)
{
	struct dpud_agent *a = user;

	(void)s;
	if (a->busy && stream == a->stream)
		stream_done(a, error_code);
	return 0;
}

static ssize_t req_read(nghttp2_session *s, int32_t stream, uint8_t *buf,
			size_t len, uint32_t *flags, nghttp2_data_source *src,
			void *user)
{
	struct dpud_agent *a = user;
	size_t n = a->reqlen - a->reqoff;

	(void)s;
	(void)stream;
	(void)src;
	if (n > len)
		n = len;
	memcpy(buf, a->req + a->reqoff, n);
	a->reqoff += n;
	if (a->reqoff == a->reqlen)
		*flags |= NGHTTP2_DATA_FLAG_EOF;
	return (ssize_t)n;
}

/* --------------------------------------------------------- connection */
static void conn_free(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	if (c->h2)
		nghttp2_session_del(c->h2);
	if (c->ssl)
		SSL_free(c->ssl);	/* frees the internal BIO too */
	if (c->net)
		BIO_free(c->net);
	free(c->out);
	free(c->nx);
	free(c);
}

static void dead_free(struct dpud_agent *a, struct conn *c)
{
	struct conn **pp;

	for (pp = &a->dead; *pp; pp = &(*pp)->next_dead)
		if (*pp == c) {
			*pp = c->next_dead;
			break;
		}
	conn_free(c);
}

/* Drop the connection: the call (if any) fails with code/why. */
static void conn_kill(struct dpud_agent *a, int code, const char *why)
{
	struct conn *c = a->conn;

	if (!c)
		return;
	a->conn = NULL;
	if (a->busy)
		finish(a, code, "%s", why);
	c->dead = true;
	if (c->fd >= 0)
		shutdown(c->fd, SHUT_RDWR);	/* pending ops complete */
	if (!c->pending) {
		conn_free(c);
	} else {
		c->next_dead = a->dead;
		a->dead = c;
	}
}

/* queue bytes for the socket (never into the buffer a send is using) */
static int out_add(struct conn *c, const uint8_t *p, size_t n)
{
	if (c->nxlen + n > c->nxcap) {
		size_t cap = c->nxcap ? c->nxcap : 16384;
		uint8_t *o;

		while (cap < c->nxlen + n)
			cap *= 2;
		o = realloc(c->nx, cap);
		if (!o)
			return -ENOMEM;
		c->nx = o;
		c->nxcap = cap;
	}
	memcpy(c->nx + c->nxlen, p, n);
	c->nxlen += n;
	return 0;
}

/* TLS records the engine produced -> the socket queue */
static int drain_tls(struct conn *c)
{
	uint8_t buf[16384];
	int n;

	while ((n = BIO_read(c->net, buf, sizeof(buf))) > 0)
		if (out_add(c, buf, (size_t)n))
			return -ENOMEM;
	return 0;
}

static void tls_error(struct dpud_agent *a, const char *what)
{
	char buf[200] = "";
	unsigned long e = ERR_get_error();
	long vr = a->conn && a->conn->ssl ?
		  SSL_get_verify_result(a->conn->ssl) : X509_V_OK;
	char why[256];

	if (vr != X509_V_OK)
		snprintf(buf, sizeof(buf), "%s",
			 X509_verify_cert_error_string(vr));
	else if (e)
		ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	snprintf(why, sizeof(why), "TLS %s: %s", what, buf[0] ? buf : "failed");
	conn_kill(a, ST_UNAVAILABLE, why);
}

/* Move bytes: nghttp2 -> (TLS) -> out buffer -> socket; keep a recv armed. */
static void pump(struct dpud_agent *a)
{
	struct conn *c = a->conn;
	struct io_uring_sqe *sqe;
	int n;

	if (!c || !c->connected)
		return;
	if (c->ssl && !c->tls_done) {
		n = SSL_do_handshake(c->ssl);
		if (n == 1) {
			const unsigned char *alpn;
			unsigned int alen;

			SSL_get0_alpn_selected(c->ssl, &alpn, &alen);
			if (alen != 2 || memcmp(alpn, "h2", 2)) {
				conn_kill(a, ST_UNAVAILABLE,
					  "TLS: the provider did not select ALPN h2");
				return;
			}
			c->tls_done = true;
		} else if (SSL_get_error(c->ssl, n) != SSL_ERROR_WANT_READ) {
			tls_error(a, "handshake");
			return;
		}
	}
	if (!c->ssl || c->tls_done) {
		for (;;) {
			const uint8_t *p;
			ssize_t len = nghttp2_session_mem_send(c->h2, &p);

			if (len < 0) {
				conn_kill(a, ST_INTERNAL, nghttp2_strerror((int)len));
				return;
			}
			if (!len)
				break;
			if (c->ssl) {
				while (len > 0) {
					n = SSL_write(c->ssl, p, (int)len);
					if (n <= 0 && SSL_get_error(c->ssl, n) !=
						      SSL_ERROR_WANT_WRITE) {
						tls_error(a, "write");
						return;
					}
					if (n > 0) {
						p += n;
						len -= n;
					}
					if (drain_tls(c)) {
						conn_kill(a, ST_INTERNAL,
							  "out of memory");
						return;
					}
				}
			} else if (out_add(c, p, (size_t)len)) {
				conn_kill(a, ST_INTERNAL, "out of memory");
				return;
			}
		}
	}
	if (c->ssl && drain_tls(c)) {
		conn_kill(a, ST_INTERNAL, "out of memory");
		return;
	}
	if (!c->sending && c->outsent == c->outlen && c->nxlen) {
		uint8_t *t = c->out;
		size_t cap = c->outcap;

		c->out = c->nx;
		c->outcap = c->nxcap;
		c->outlen = c->nxlen;
		c->outsent = 0;
		c->nx = t;
		c->nxcap = cap;
		c->nxlen = 0;
	}
	if (!c->sending && c->outsent < c->outlen) {
		sqe = dpud_sqe_get(a->ring);
		io_uring_prep_send(sqe, c->fd, c->out + c->outsent,
				   c->outlen - c->outsent, MSG_NOSIGNAL);
		io_uring_sqe_set_data(sqe, &c->op_send);
		c->sending = true;
		c->pending++;
	}
	if (!c->receiving) {
		sqe = dpud_sqe_get(a->ring);
		io_uring_prep_recv(sqe, c->fd, c->rx, sizeof(c->rx), 0);
		io_uring_sqe_set_data(sqe, &c->op_recv);
		c->receiving = true;
		c->pending++;
	}
}

static int h2_start(struct dpud_agent *a, struct conn *c)
{
	nghttp2_session_callbacks *cb;
	nghttp2_settings_entry iv[] = {
		{ NGHTTP2_SETTINGS_ENABLE_PUSH, 0 },
		{ NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 8 },
	};
	int ret;

	if (nghttp2_session_callbacks_new(&cb))
		return -ENOMEM;
	nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
	nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data);
	nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_close);
	ret = nghttp2_session_client_new(&c->h2, cb, a);
	nghttp2_session_callbacks_del(cb);
	if (ret)
		return -ENOMEM;
	return nghttp2_submit_settings(c->h2, NGHTTP2_FLAG_NONE, iv, 2) ?
	       -EIO : 0;
}

static bool is_ip(const char *s)
{
	struct in6_addr x;

	return inet_pton(AF_INET, s, &x) == 1 || inet_pton(AF_INET6, s, &x) == 1;
}

static int tls_start(struct dpud_agent *a, struct conn *c)
{
	BIO *inner;

	c->ssl = SSL_new(a->ctx);
	if (!c->ssl || !BIO_new_bio_pair(&inner, 0, &c->net, 0))
		return -ENOMEM;
	SSL_set_bio(c->ssl, inner, inner);
	SSL_set_connect_state(c->ssl);
	if (is_ip(a->name)) {
		X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), a->name);
	} else {
		SSL_set_tlsext_host_name(c->ssl, a->name);
		SSL_set1_host(c->ssl, a->name);
	}
	return 0;
}

static void submit_request(struct dpud_agent *a)
{
	struct conn *c = a->conn;
	const char *path = a->reg ? "/dpupool.agent.v1.Agent/Register" :
				    "/dpupool.agent.v1.Agent/Report";
#define NV(n, v) { (uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, strlen(v), \
		   NGHTTP2_NV_FLAG_NONE }
	nghttp2_nv nva[] = {
		NV(":method", "POST"),
		NV(":scheme", a->ctx ? "https" : "http"),
		NV(":path", path),
		NV(":authority", a->authority),
		NV("content-type", "application/grpc+proto"),
		NV("te", "trailers"),
		NV("grpc-timeout", DPUD_STR(DPUD_AGENT_DEADLINE_S) "S"),
		NV("user-agent", "dpud/1"),
	};
#undef NV
	nghttp2_data_provider prd = { .read_callback = req_read };
	int32_t id = nghttp2_submit_request(c->h2, NULL, nva,
					    sizeof(nva) / sizeof(nva[0]), &prd,
					    NULL);

	if (id < 0) {
		conn_kill(a, ST_INTERNAL, nghttp2_strerror(id));
		return;
	}
	a->stream = id;
	pump(a);
}

static struct conn *conn_new(struct dpud_agent *a, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM };
	struct addrinfo *res;
	struct io_uring_sqe *sqe;
	struct conn *c;
	int ret;

	ret = getaddrinfo(a->host, a->port, &hints, &res);
	if (ret) {
		snprintf(err, errlen, "resolve %.200s: %s", a->host,
			 gai_strerror(ret));
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		freeaddrinfo(res);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->op_connect = (struct aop){ DPUD_OP_AGENT, AOP_CONNECT, c };
	c->op_send = (struct aop){ DPUD_OP_AGENT, AOP_SEND, c };
	c->op_recv = (struct aop){ DPUD_OP_AGENT, AOP_RECV, c };
	memcpy(&c->addr, res->ai_addr, res->ai_addrlen);
	c->addrlen = res->ai_addrlen;
	c->fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	freeaddrinfo(res);
	if (c->fd < 0 || h2_start(a, c) || (a->ctx && tls_start(a, c))) {
		snprintf(err, errlen, "connection setup: %s", strerror(errno));
		conn_free(c);
		return NULL;
	}
	sqe = dpud_sqe_get(a->ring);
	io_uring_prep_connect(sqe, c->fd, (struct sockaddr *)&c->addr,
			      c->addrlen);
	io_uring_sqe_set_data(sqe, &c->op_connect);
	c->pending++;
	return c;
}

/* ------------------------------------------------------------------ API */
struct dpud_agent *dpud_agent_open(const struct dpud_config *c,
				   struct io_uring *ring, char *err,
				   size_t errlen)
{
	struct dpud_agent *a = calloc(1, sizeof(*a));

	if (!a) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	a->ring = ring;
	if (dpud_split_hostport(c->provider, a->host, sizeof(a->host), a->port,
			 sizeof(a->port))) {
		snprintf(err, errlen, "bad provider address '%s'", c->provider);
		free(a);
		return NULL;
	}
	snprintf(a->authority, sizeof(a->authority), "%s", c->provider);
	snprintf(a->name, sizeof(a->name), "%s",
		 c->provider_server_name[0] ? c->provider_server_name : a->host);
	if (!c->provider_ca[0])
		return a;

	a->ctx = SSL_CTX_new(TLS_client_method());
	if (!a->ctx ||
	    !SSL_CTX_set_min_proto_version(a->ctx, TLS1_2_VERSION) ||
	    !SSL_CTX_load_verify_locations(a->ctx, c->provider_ca, NULL) ||
	    !SSL_CTX_use_certificate_chain_file(a->ctx, c->provider_cert) ||
	    !SSL_CTX_use_PrivateKey_file(a->ctx, c->provider_key,
					 SSL_FILETYPE_PEM) ||
	    !SSL_CTX_check_private_key(a->ctx) ||
	    SSL_CTX_set_alpn_protos(a->ctx, (const unsigned char *)"\x02h2", 3)) {
		char buf[200];

		ERR_error_string_n(ERR_get_error(), buf, sizeof(buf));
		snprintf(err, errlen, "TLS material (%s, %s, %s): %s",
			 c->provider_ca, c->provider_cert, c->provider_key, buf);
		SSL_CTX_free(a->ctx);
		free(a);
		return NULL;
	}
	SSL_CTX_set_verify(a->ctx, SSL_VERIFY_PEER, NULL);
	return a;
}

bool dpud_agent_busy(const struct dpud_agent *a)
{
	return a->busy;
}

int dpud_agent_call(struct dpud_agent *a, bool reg, const uint8_t *buf,
		    size_t len)
{
	char err[256];

	if (a->busy)
		return -EBUSY;
	a->req = malloc(len + 5);
	if (!a->req)
		return -ENOMEM;
	a->req[0] = 0;			/* not compressed */
	a->req[1] = (uint8_t)(len >> 24);
	a->req[2] = (uint8_t)(len >> 16);
	a->req[3] = (uint8_t)(len >> 8);
	a->req[4] = (uint8_t)len;
	memcpy(a->req + 5, buf, len);
	a->reqlen = len + 5;
	a->reqoff = 0;
	a->busy = true;
	a->done = false;
	a->reg = reg;
	a->http_status = a->grpc_status = -1;
	a->grpc_msg[0] = '\0';
	clock_gettime(CLOCK_MONOTONIC, &a->t0);
	if (!a->conn) {
		a->conn = conn_new(a, err, sizeof(err));
		if (!a->conn) {
			finish(a, ST_UNAVAILABLE, "%s", err);
			return 0;	/* the result is ready: dpud_agent_poll */
		}
		return 0;		/* request submitted once connected */
	}
	if (a->conn->connected)
		submit_request(a);
	return 0;
}

int dpud_agent_poll(struct dpud_agent *a, struct dpud_agent_result *res)
{
	if (!a->busy || !a->done)
		return 0;
	*res = a->result;
	call_reset(a);
	return 1;
}

/* Received TLS bytes: through the engine into nghttp2.  -1: conn killed */
static int tls_in(struct dpud_agent *a, struct conn *c, int res)
{
	uint8_t plain[RX_BUF];
	int off = 0, n;

	while (off < res) {
		n = BIO_write(c->net, c->rx + off, res - off);
		if (n <= 0) {
			tls_error(a, "buffer");
			return -1;
		}
		off += n;
		if (!c->tls_done) {
			pump(a);	/* the handshake; may finish it */
			if (a->conn != c)
				return -1;
			if (!c->tls_done)
				continue;
		}
		while ((n = SSL_read(c->ssl, plain, sizeof(plain))) > 0)
			if (nghttp2_session_mem_recv(c->h2, plain,
						     (size_t)n) < 0) {
				conn_kill(a, ST_UNAVAILABLE,
					  "HTTP/2 protocol error");
				return -1;
			}
		n = SSL_get_error(c->ssl, n);
		if (n != SSL_ERROR_WANT_READ) {
			if (n == SSL_ERROR_ZERO_RETURN)
				conn_kill(a, ST_UNAVAILABLE,
					  "TLS closed by the provider");
			else
				tls_error(a, "read");
			return -1;
		}
	}
	return 0;
}

int dpud_agent_cqe(struct dpud_agent *a, void *opp, int res,
		   struct dpud_agent_result *out)
{
	struct aop *op = opp;
	struct conn *c = op->c;
	char why[320];

	c->pending--;
	if (c->dead || c != a->conn) {
		if (!c->pending)
			dead_free(a, c);
		return dpud_agent_poll(a, out);
	}
	switch (op->what) {
	case AOP_CONNECT:
		if (res < 0) {
			snprintf(why, sizeof(why), "connect %.200s: %s",
				 a->authority, strerror(-res));
			conn_kill(a, ST_UNAVAILABLE, why);
			break;
		}
		c->connected = true;
		if (a->busy && !a->stream)
			submit_request(a);
		else
			pump(a);
		break;
	case AOP_SEND:
		c->sending = false;
		if (res <= 0) {
			snprintf(why, sizeof(why), "send: %s",
				 res ? strerror(-res) : "closed");
			conn_kill(a, ST_UNAVAILABLE, why);
			break;
		}
		c->outsent += (size_t)res;
		if (c->outsent == c->outlen)
			c->outsent = c->outlen = 0;
		pump(a);
		break;
	case AOP_RECV:
		c->receiving = false;
		if (res <= 0) {
			snprintf(why, sizeof(why), "connection to %.200s %s",
				 a->authority, res ? strerror(-res) : "closed");
			conn_kill(a, ST_UNAVAILABLE, why);
			break;
		}
		if (c->ssl) {
			if (tls_in(a, c, res))
				break;
		} else if (nghttp2_session_mem_recv(c->h2, c->rx,
						    (size_t)res) < 0) {
			conn_kill(a, ST_UNAVAILABLE, "HTTP/2 protocol error");
			break;
		}
		if (!nghttp2_session_want_read(c->h2) &&
		    !nghttp2_session_want_write(c->h2)) {
			conn_kill(a, ST_UNAVAILABLE, "closed by the provider (GOAWAY)");
			break;
		}
		pump(a);
		break;
	}
	return dpud_agent_poll(a, out);
}

int dpud_agent_abort(struct dpud_agent *a, const char *why,
		     struct dpud_agent_result *out)
{
	if (!a->busy)
		return 0;
	/* a stuck connection is not reused */
	conn_kill(a, ST_DEADLINE, why);
	finish(a, ST_DEADLINE, "%s", why);
	return dpud_agent_poll(a, out);
}

void dpud_agent_close(struct dpud_agent *a)
{
	if (!a)
		return;
	/* the ring is gone (io_uring_queue_exit): nothing is pending */
	if (a->conn)
		conn_free(a->conn);
	while (a->dead)
		dead_free(a, a->dead);
	call_reset(a);
	SSL_CTX_free(a->ctx);
	free(a);
}
