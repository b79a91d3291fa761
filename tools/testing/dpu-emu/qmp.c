// SPDX-License-Identifier: GPL-2.0
/*
 * dpu-emu: a small synchronous QMP client (json-c). Events that arrive
 * while waiting for a reply are kept: DEVICE_DELETED ids are remembered.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "emu.h"

#define QMP_MAX_DELETED	512

struct qmp {
	int fd;
	char buf[1 << 16];
	size_t len;
	char *deleted[QMP_MAX_DELETED];
	unsigned int ndeleted;
};

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int qmp_fd(struct qmp *q)
{
	return q->fd;
}

/* Next line into @line (NUL-terminated), waiting up to @ms (-1: forever). */
static int qmp_readline(struct qmp *q, char **line, int ms)
{
	long end = ms < 0 ? 0 : now_ms() + ms;

	for (;;) {
		char *nl = memchr(q->buf, '\n', q->len);
		struct pollfd p = { .fd = q->fd, .events = POLLIN };
		ssize_t n;
		int left;

		if (nl) {
			size_t l = nl - q->buf + 1;

			*line = strndup(q->buf, l - 1);
			memmove(q->buf, q->buf + l, q->len - l);
			q->len -= l;
			return *line ? 0 : -ENOMEM;
		}
		if (q->len == sizeof(q->buf))
			return -E2BIG;
		left = ms < 0 ? -1 : (int)(end - now_ms());
		if (ms >= 0 && left <= 0)
			return -ETIMEDOUT;
		if (poll(&p, 1, left) == 0)
			return -ETIMEDOUT;
		n = read(q->fd, q->buf + q->len, sizeof(q->buf) - q->len);
		if (n == 0)
			return -EPIPE;
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		q->len += n;
	}
}

static void qmp_event(struct qmp *q, json_object *msg)
{
	json_object *ev, *data, *dev;
	const char *name;

	if (!json_object_object_get_ex(msg, "event", &ev))
		return;
	name = json_object_get_string(ev);
	if (strcmp(name, "DEVICE_DELETED"))
		return;
	if (!json_object_object_get_ex(msg, "data", &data) ||
	    !json_object_object_get_ex(data, "device", &dev))
		return;
	if (q->ndeleted == QMP_MAX_DELETED) {
		free(q->deleted[0]);
		memmove(q->deleted, q->deleted + 1,
			sizeof(q->deleted[0]) * (QMP_MAX_DELETED - 1));
		q->ndeleted--;
	}
	q->deleted[q->ndeleted++] = strdup(json_object_get_string(dev));
	emu_log("qmp: device %s deleted", json_object_get_string(dev));
}

bool qmp_deleted(struct qmp *q, const char *id)
{
	for (unsigned int i = 0; i < q->ndeleted; i++)
		if (q->deleted[i] && !strcmp(q->deleted[i], id))
			return true;
	return false;
}

void qmp_forget(struct qmp *q, const char *id)
{
	for (unsigned int i = 0; i < q->ndeleted; i++)
		if (q->deleted[i] && !strcmp(q->deleted[i], id)) {
			free(q->deleted[i]);
			q->deleted[i] = NULL;
		}
}

int qmp_poll_events(struct qmp *q)
{
	int n = 0;
	char *line;

	while (qmp_readline(q, &line, 0) == 0) {
		json_object *msg = json_tokener_parse(line);

		free(line);
		if (msg) {
			qmp_event(q, msg);
			json_object_put(msg);
			n++;
		}
	}
	return n;
}

bool qmp_wait_deleted(struct qmp *q, const char *id, int ms)
{
	long end = now_ms() + ms;
	char *line;

	while (!qmp_deleted(q, id)) {
		long left = end - now_ms();
		json_object *msg;

		if (left <= 0 || qmp_readline(q, &line, left))
			return qmp_deleted(q, id);
		msg = json_tokener_parse(line);
		free(line);
		if (msg) {
			qmp_event(q, msg);
			json_object_put(msg);
		}
	}
	return true;
}

int qmp_call(struct qmp *q, const char *cmd, json_object *args,
	     json_object **ret, char *err, size_t errlen)
{
	json_object *req = json_object_new_object();
	const char *s;
	char *line;
	int rc;

	json_object_object_add(req, "execute", json_object_new_string(cmd));
	if (args)
		json_object_object_add(req, "arguments", args);
	s = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
	if (write(q->fd, s, strlen(s)) != (ssize_t)strlen(s) ||
	    write(q->fd, "\n", 1) != 1) {
		snprintf(err, errlen, "QMP write: %s", strerror(errno));
		json_object_put(req);
		return -1;
	}
	json_object_put(req);
	for (;;) {
		json_object *msg, *v;

		rc = qmp_readline(q, &line, 30000);
		if (rc) {
			snprintf(err, errlen, "QMP read: %s", strerror(-rc));
			return -1;
		}
		msg = json_tokener_parse(line);
		free(line);
		if (!msg)
			continue;
		if (json_object_object_get_ex(msg, "return", &v)) {
			if (ret)
				*ret = json_object_get(v);
			json_object_put(msg);
			return 0;
		}
		if (json_object_object_get_ex(msg, "error", &v)) {
			json_object *d;

			if (json_object_object_get_ex(v, "desc", &d))
				snprintf(err, errlen, "%s", json_object_get_string(d));
			else
				snprintf(err, errlen, "QMP error");
			json_object_put(msg);
			return -1;
		}
		qmp_event(q, msg);
		json_object_put(msg);
	}
}

struct qmp *qmp_connect(const char *path, int timeout_ms)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	long end = now_ms() + timeout_ms;
	struct qmp *q;
	char err[256], *line;

	q = calloc(1, sizeof(*q));
	if (!q)
		return NULL;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	for (;;) {
		q->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (q->fd < 0)
			goto err;
		if (!connect(q->fd, (struct sockaddr *)&sa, sizeof(sa)))
			break;
		close(q->fd);
		if (now_ms() > end)
			goto err;
		usleep(50000);
	}
	if (qmp_readline(q, &line, 10000))	/* the greeting */
		goto err_fd;
	free(line);
	if (qmp_call(q, "qmp_capabilities", NULL, NULL, err, sizeof(err))) {
		emu_log("qmp: %s", err);
		goto err_fd;
	}
	return q;

err_fd:
	close(q->fd);
err:
	free(q);
	return NULL;
}

void qmp_close(struct qmp *q)
{
	if (!q)
		return;
	close(q->fd);
	for (unsigned int i = 0; i < q->ndeleted; i++)
		free(q->deleted[i]);
	free(q);
}
