// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dpud: client of dpu-provider's Agent service, on the gRPC C core.
 *
 * gRPC core owns its connection (its own poller); what dpud's event loop
 * needs is the completion of each call.  A thread blocks in
 * grpc_completion_queue_next() and writes every event (tag, success) to a
 * pipe; the loop reads the pipe through io_uring like any other fd, so the
 * daemon's state is only ever touched from the loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/support/time.h>

#include "dpud.h"

struct agent_call {
	grpc_call *call;
	grpc_metadata_array md_init, md_trail;
	grpc_byte_buffer *req, *resp;
	grpc_status_code status;
	grpc_slice details;
	bool reg;
	struct timespec t0;
};

struct dpud_agent {
	grpc_channel *ch;
	grpc_completion_queue *cq;
	pthread_t thr;
	bool thr_started;
	int pfd[2];
	struct agent_call *inflight;
};

struct agent_msg {
	void *tag;
	int64_t ok;
};

_Static_assert(sizeof(struct agent_msg) == DPUD_AGENT_MSG, "agent msg");

static void *cq_thread(void *arg)
{
	struct dpud_agent *a = arg;

	for (;;) {
		grpc_event ev = grpc_completion_queue_next(a->cq,
				gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
		struct agent_msg m;

		if (ev.type == GRPC_QUEUE_SHUTDOWN)
			break;
		if (ev.type != GRPC_OP_COMPLETE)
			continue;
		m.tag = ev.tag;
		m.ok = ev.success;
		/* 16 bytes < PIPE_BUF: atomic, and read whole by the loop */
		while (write(a->pfd[1], &m, sizeof(m)) < 0 && errno == EINTR)
			;
	}
	return NULL;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || n > (1 << 20) ||
	    fseek(f, 0, SEEK_SET)) {
		fclose(f);
		return NULL;
	}
	buf = malloc((size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	if (buf)
		buf[n] = '\0';
	fclose(f);
	return buf;
}

static grpc_channel_credentials *creds(const struct dpud_config *c,
				       char *err, size_t errlen)
{
	grpc_ssl_pem_key_cert_pair pair;
	grpc_channel_credentials *cr;
	char *ca, *cert, *key;

	if (!c->provider_ca[0])
		return grpc_insecure_credentials_create();
	ca = slurp(c->provider_ca);
	cert = slurp(c->provider_cert);
	key = slurp(c->provider_key);
	if (!ca || !cert || !key) {
		snprintf(err, errlen, "cannot read %s: %s",
			 !ca ? c->provider_ca : !cert ? c->provider_cert :
			 c->provider_key, strerror(errno));
		cr = NULL;
	} else {
		pair.private_key = key;
		pair.cert_chain = cert;
		cr = grpc_ssl_credentials_create(ca, &pair, NULL, NULL);
		if (!cr)
			snprintf(err, errlen, "bad TLS material (%s, %s, %s)",
				 c->provider_ca, c->provider_cert,
				 c->provider_key);
	}
	free(ca);
	free(cert);
	free(key);
	return cr;
}

struct dpud_agent *dpud_agent_open(const struct dpud_config *c, char *err,
				   size_t errlen)
{
	struct dpud_agent *a = calloc(1, sizeof(*a));
	grpc_channel_credentials *cr;
	grpc_arg args[2];
	grpc_channel_args ca = { .num_args = 0, .args = args };

	if (!a) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	a->pfd[0] = a->pfd[1] = -1;
	if (pipe2(a->pfd, O_CLOEXEC)) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		free(a);
		return NULL;
	}
	grpc_init();
	cr = creds(c, err, errlen);
	if (!cr) {
		close(a->pfd[0]);
		close(a->pfd[1]);
		grpc_shutdown();
		free(a);
		return NULL;
	}
	/* reconnect quickly once the provider is back */
	args[ca.num_args].type = GRPC_ARG_INTEGER;
	args[ca.num_args].key = GRPC_ARG_MAX_RECONNECT_BACKOFF_MS;
	args[ca.num_args++].value.integer = 5000;
	if (c->provider_server_name[0]) {
		args[ca.num_args].type = GRPC_ARG_STRING;
		args[ca.num_args].key = GRPC_SSL_TARGET_NAME_OVERRIDE_ARG;
		args[ca.num_args++].value.string =
			(char *)c->provider_server_name;
	}
	a->ch = grpc_channel_create(c->provider, cr, &ca);
	grpc_channel_credentials_release(cr);
	a->cq = grpc_completion_queue_create_for_next(NULL);
	if (pthread_create(&a->thr, NULL, cq_thread, a)) {
		snprintf(err, errlen, "cannot start the gRPC thread");
		dpud_agent_close(a);
		return NULL;
	}
	a->thr_started = true;
	return a;
}

int dpud_agent_fd(const struct dpud_agent *a)
{
	return a->pfd[0];
}

bool dpud_agent_busy(const struct dpud_agent *a)
{
	return a->inflight;
}

static void call_free(struct agent_call *c)
{
	if (c->req)
		grpc_byte_buffer_destroy(c->req);
	if (c->resp)
		grpc_byte_buffer_destroy(c->resp);
	grpc_slice_unref(c->details);
	grpc_metadata_array_destroy(&c->md_init);
	grpc_metadata_array_destroy(&c->md_trail);
	if (c->call)
		grpc_call_unref(c->call);
	free(c);
}

int dpud_agent_call(struct dpud_agent *a, bool reg, const uint8_t *buf,
		    size_t len, int timeout_ms)
{
	struct agent_call *c;
	grpc_slice method, sl;
	gpr_timespec dl;
	grpc_op ops[6];

	if (a->inflight)
		return -EBUSY;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->reg = reg;
	c->details = grpc_empty_slice();
	grpc_metadata_array_init(&c->md_init);
	grpc_metadata_array_init(&c->md_trail);
	clock_gettime(CLOCK_MONOTONIC, &c->t0);
	method = grpc_slice_from_static_string(reg ?
			"/dpupool.agent.v1.Agent/Register" :
			"/dpupool.agent.v1.Agent/Report");
	dl = gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
			  gpr_time_from_millis(timeout_ms, GPR_TIMESPAN));
	c->call = grpc_channel_create_call(a->ch, NULL, GRPC_PROPAGATE_DEFAULTS,
					   a->cq, method, NULL, dl, NULL);
	grpc_slice_unref(method);
	sl = grpc_slice_from_copied_buffer((const char *)buf, len);
	c->req = grpc_raw_byte_buffer_create(&sl, 1);
	grpc_slice_unref(sl);

	memset(ops, 0, sizeof(ops));
	ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
	ops[1].op = GRPC_OP_SEND_MESSAGE;
	ops[1].data.send_message.send_message = c->req;
	ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
	ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
	ops[3].data.recv_initial_metadata.recv_initial_metadata = &c->md_init;
	ops[4].op = GRPC_OP_RECV_MESSAGE;
	ops[4].data.recv_message.recv_message = &c->resp;
	ops[5].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
	ops[5].data.recv_status_on_client.trailing_metadata = &c->md_trail;
	ops[5].data.recv_status_on_client.status = &c->status;
	ops[5].data.recv_status_on_client.status_details = &c->details;
	if (!c->call ||
	    grpc_call_start_batch(c->call, ops, 6, c, NULL) != GRPC_CALL_OK) {
		call_free(c);
		return -EIO;
	}
	a->inflight = c;
	return 0;
}

int dpud_agent_done(struct dpud_agent *a, const void *msg,
		    struct dpud_agent_result *res)
{
	struct agent_msg mm, *m = &mm;
	struct agent_call *c;
	struct timespec now;

	memcpy(&mm, msg, sizeof(mm));	/* the loop's buffer may be unaligned */
	c = m->tag;
	if (!c || c != a->inflight)
		return 0;
	a->inflight = NULL;
	memset(res, 0, sizeof(*res));
	res->reg = c->reg;
	clock_gettime(CLOCK_MONOTONIC, &now);
	res->seconds = (double)(now.tv_sec - c->t0.tv_sec) +
		       (double)(now.tv_nsec - c->t0.tv_nsec) / 1e9;
	res->code = m->ok ? (int)c->status : GRPC_STATUS_UNKNOWN;
	snprintf(res->msg, sizeof(res->msg), "%.*s",
		 (int)GRPC_SLICE_LENGTH(c->details),
		 (const char *)GRPC_SLICE_START_PTR(c->details));
	if (res->code == GRPC_STATUS_OK) {
		grpc_byte_buffer_reader rd;
		grpc_slice sl;

		if (!c->resp || !grpc_byte_buffer_reader_init(&rd, c->resp)) {
			res->code = GRPC_STATUS_INTERNAL;
			snprintf(res->msg, sizeof(res->msg), "no answer");
		} else {
			sl = grpc_byte_buffer_reader_readall(&rd);
			grpc_byte_buffer_reader_destroy(&rd);
			if (dpud_directive_unpack(GRPC_SLICE_START_PTR(sl),
						  GRPC_SLICE_LENGTH(sl),
						  &res->d)) {
				res->code = GRPC_STATUS_INTERNAL;
				snprintf(res->msg, sizeof(res->msg),
					 "undecodable Directive");
			}
			grpc_slice_unref(sl);
		}
	}
	call_free(c);
	return 1;
}

void dpud_agent_close(struct dpud_agent *a)
{
	if (!a)
		return;
	if (a->inflight)
		grpc_call_cancel(a->inflight->call, NULL);
	if (a->ch)
		grpc_channel_destroy(a->ch);
	grpc_completion_queue_shutdown(a->cq);
	if (a->thr_started)
		pthread_join(a->thr, NULL);
	else
		while (grpc_completion_queue_next(a->cq,
				gpr_inf_future(GPR_CLOCK_REALTIME),
				NULL).type != GRPC_QUEUE_SHUTDOWN)
			;
	if (a->inflight)
		call_free(a->inflight);
	grpc_completion_queue_destroy(a->cq);
	close(a->pfd[0]);
	close(a->pfd[1]);
	grpc_shutdown();
	free(a);
}
