// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dpud: the /metrics and /healthz listener, on the ring.
 */
#include "dpud_int.h"

/*
 * A connection's recv or send, linked to a timeout: a client that sends
 * nothing (or reads nothing) for CONN_TIMEOUT_S is dropped, so idle
 * sockets cannot hold the MAX_CONNS slots against Prometheus.
 */
void conn_arm(struct conn *c)
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

static void niclim_metrics_dev(FILE *f)
{
	niclim_metrics(f, D.cfg.device);
}

/* what @write prints after the rest; frees body on failure */
static char *metrics_append(char *body, size_t *blen, void (*write)(FILE *))
{
	char *more = NULL, *all;
	size_t mlen = 0;
	FILE *f;

	f = open_memstream(&more, &mlen);
	if (!f) {
		free(body);
		return NULL;
	}
	write(f);
	if (fclose(f)) {
		free(more);
		free(body);
		return NULL;
	}
	all = realloc(body, *blen + mlen + 1);
	if (!all) {
		free(more);
		free(body);
		return NULL;
	}
	memcpy(all + *blen, more, mlen + 1);
	*blen += mlen;
	free(more);
	return all;
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
		if (body)
			body = metrics_append(body, &blen, dpud_qos_metrics);
		if (body)
			body = metrics_append(body, &blen, niclim_metrics_dev);
		if (body)
			body = metrics_append(body, &blen, k8s_metrics);
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

void conn_done(struct conn *c, int res)
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

int listen_on(const char *spec)
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
