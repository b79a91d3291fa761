// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dpuctl qos: classified cgroups, the node policy, what the hooks see and
 * what the module decided.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cli.h"
#include "dpuctl.h"

/* "0.512" from milli-CPUs */
static void cores(char *buf, size_t len, uint64_t mcpu)
{
	snprintf(buf, len, "%" PRIu64 ".%03" PRIu64, mcpu / 1000, mcpu % 1000);
}

/* a JSON key from a policy name: "cpu-threshold" -> "cpu_threshold" */
static void json_key(char *buf, size_t len, const char *name)
{
	char *p;

	snprintf(buf, len, "%s", name);
	for (p = buf; *p; p++)
		if (*p == '-')
			*p = '_';
}

static void print_policy(const struct dpu_qos_info *q)
{
	char key[32], fmt[48], v[32];
	const char *name;
	int a;

	out_obj_open(&out, "policy");
	out_text(&out, "policy:");
	for (a = DPU_A_QOS_POL_ENABLED; a <= DPU_A_QOS_POL_MAX; a++) {
		name = dpu_qos_policy_name(a);
		if (!name || !(q->has_pol & (1u << a)))
			continue;
		json_key(key, sizeof(key), name);
		if (a == DPU_A_QOS_POL_ENABLED) {
			out_bool(&out, key, NULL, q->pol[a]);
			out_text(&out, q->pol[a] ? " enabled on" : " enabled off");
		} else if (a == DPU_A_QOS_POL_IO_BE_IOPS ||
			   a == DPU_A_QOS_POL_IO_BE_BPS) {
			dpu_format_rate(q->pol[a], v, sizeof(v));
			out_u64(&out, key, NULL, q->pol[a]);
			snprintf(fmt, sizeof(fmt), " %s %s", name, v);
			out_text(&out, fmt);
		} else {
			snprintf(fmt, sizeof(fmt), " %s %%" PRIu64, name);
			out_u64(&out, key, fmt, q->pol[a]);
		}
	}
	out_text(&out, "\n");
	out_obj_close(&out);
}

static void print_mcpu(const char *key, const char *label, uint64_t mcpu)
{
	char v[32], fmt[48];

	cores(v, sizeof(v), mcpu);
	out_u64(&out, key, NULL, mcpu);
	snprintf(fmt, sizeof(fmt), " %s %s", label, v);
	out_text(&out, fmt);
}

static void print_bytes(const char *key, const char *label, uint64_t b)
{
	char v[32], fmt[64];

	dpu_format_size(b, v, sizeof(v));
	out_u64(&out, key, NULL, b);
	snprintf(fmt, sizeof(fmt), " %s %s", label, v);
	out_text(&out, fmt);
}

static void print_usage(const struct dpu_qos_info *q)
{
	const uint64_t *u = q->use;

	out_obj_open(&out, "usage");
	out_text(&out, "usage:");
	out_u64(&out, "ncpus", " cpus %" PRIu64, u[DPU_A_QOS_USE_NCPUS]);
	out_u64(&out, "window_us", " window-us %" PRIu64,
		u[DPU_A_QOS_USE_WINDOW_NS] / 1000);
	print_mcpu("hls_mcpu", "hls", u[DPU_A_QOS_USE_HLS_MCPU]);
	print_mcpu("ls_mcpu", "ls", u[DPU_A_QOS_USE_LS_MCPU]);
	print_mcpu("be_mcpu", "be", u[DPU_A_QOS_USE_BE_MCPU]);
	print_mcpu("system_mcpu", "system", u[DPU_A_QOS_USE_SYSTEM_MCPU]);
	print_bytes("mem_total", "mem-total", u[DPU_A_QOS_USE_MEM_TOTAL]);
	print_bytes("mem_used", "mem-used", u[DPU_A_QOS_USE_MEM_USED]);
	print_bytes("mem_be", "mem-be", u[DPU_A_QOS_USE_MEM_BE]);
	if (q->has_use & (1u << DPU_A_QOS_USE_ALLOCSTALL))
		out_u64(&out, "allocstall", " allocstall %" PRIu64,
			u[DPU_A_QOS_USE_ALLOCSTALL]);
	out_bool(&out, "io_online_held", NULL, u[DPU_A_QOS_USE_IO_ONLINE_HELD]);
	out_text(&out, u[DPU_A_QOS_USE_IO_ONLINE_HELD] ?
		 " io-online-held yes" : " io-online-held no");
	if (q->has_use & (1u << DPU_A_QOS_USE_IO_SATURATED)) {
		out_bool(&out, "io_saturated", NULL,
			 u[DPU_A_QOS_USE_IO_SATURATED]);
		out_text(&out, u[DPU_A_QOS_USE_IO_SATURATED] ?
			 " io-saturated yes" : " io-saturated no");
	}
	out_text(&out, "\n");
	out_obj_close(&out);
}

static void print_decision(const struct dpu_qos_info *q)
{
	const uint64_t *d = q->dec;
	char v[32], line[DPU_CGROUP_PATH_LEN + 64];
	uint32_t i;

	out_obj_open(&out, "decision");
	out_text(&out, "decision:");
	out_u64(&out, "seq", " seq %" PRIu64, d[DPU_A_QOS_DEC_SEQ]);
	out_u64(&out, "changed", NULL, d[DPU_A_QOS_DEC_CHANGED]);
	out_bool(&out, "enabled", NULL, d[DPU_A_QOS_DEC_ENABLED]);
	if (!d[DPU_A_QOS_DEC_ENABLED])
		out_text(&out, " qos off (best effort released)");
	print_mcpu("be_cpu_mcpu", "be-cpu", d[DPU_A_QOS_DEC_BE_CPU_MCPU]);
	print_mcpu("online_mcpu", "online", d[DPU_A_QOS_DEC_ONLINE_MCPU]);
	print_mcpu("system_mcpu", "system", d[DPU_A_QOS_DEC_SYSTEM_MCPU]);
	print_bytes("reclaim", "reclaim", d[DPU_A_QOS_DEC_RECLAIM]);
	out_bool(&out, "io_cap", NULL, d[DPU_A_QOS_DEC_IO_CAP]);
	out_text(&out, d[DPU_A_QOS_DEC_IO_CAP] ? " io-cap on" : " io-cap off");
	out_arr_open(&out, "evict");
	for (i = 0; i < q->nevict; i++) {
		out_obj_open(&out, NULL);
		out_str(&out, "cgroup", NULL, q->evict[i].path);
		out_u64(&out, "id", NULL, q->evict[i].id);
		out_u64(&out, "mem", NULL, q->evict[i].mem);
		dpu_format_size(q->evict[i].mem, v, sizeof(v));
		snprintf(line, sizeof(line), " evict %s (%s)",
			 q->evict[i].path, v);
		out_text(&out, line);
		out_obj_close(&out);
	}
	out_arr_close(&out);
	out_text(&out, "\n");
	out_obj_close(&out);
}

static int cmd_qos_show(int argc, char **argv)
{
	struct dpu_qos_info *q;
	int ret;

	if (argc > 0) {
		fprintf(stderr, "dpuctl: qos show: unexpected argument \"%s\"\n",
			argv[0]);
		return 2;
	}
	if (nl_connect())
		return 1;
	q = calloc(1, sizeof(*q));
	if (!q)
		return fail("qos show", -ENOMEM);
	ret = dpu_qos_get(nl, q);
	if (ret) {
		free(q);
		return fail("qos show", ret);
	}
	out_obj_open(&out, NULL);
	print_policy(q);
	print_usage(q);
	print_decision(q);
	out_obj_close(&out);
	out_finish(&out);
	free(q);
	return 0;
}

static int cmd_qos_set(int argc, char **argv)
{
	struct dpu_qos_policy_req req = { 0 };
	struct dpu_qos_info *q;
	int ret;

	if (argc == 0) {
		fprintf(stderr, "dpuctl: qos set: nothing to set (POLICY VALUE...)\n");
		return 2;
	}
	for (; argc > 0; argc -= 2, argv += 2) {
		if (need_arg(argc, argv))
			return 2;
		ret = dpu_qos_policy_parse(argv[0], argv[1], &req);
		if (ret == -ENOENT) {
			fprintf(stderr, "dpuctl: qos set: unknown policy \"%s\", try \"dpuctl help\"\n",
				argv[0]);
			return 2;
		}
		if (ret) {
			fprintf(stderr, "dpuctl: qos set: \"%s\" is not a valid %s\n",
				argv[1], argv[0]);
			return 2;
		}
	}
	if (nl_connect())
		return 1;
	q = calloc(1, sizeof(*q));
	if (!q)
		return fail("qos set", -ENOMEM);
	ret = dpu_qos_set(nl, &req, q);
	if (ret) {
		free(q);
		return fail("qos set", ret);
	}
	out_obj_open(&out, NULL);
	print_policy(q);
	out_obj_close(&out);
	out_finish(&out);
	free(q);
	return 0;
}

static void print_class_fields(const struct dpu_qos_class_info *c)
{
	char v[32], fmt[48];

	out_str(&out, "cgroup", "%s:", c->path);
	out_u64(&out, "id", " id %" PRIu64, c->id);
	out_str(&out, "class", " class %s", dpu_qos_class_str(c->qos_class));
	out_u64(&out, "priority", " priority %" PRIu64, c->priority);
	if (c->cmd != DPU_CMD_QOS_CLASS_DEL) {
		dpu_format_size(c->mem, v, sizeof(v));
		out_u64(&out, "mem", NULL, c->mem);
		snprintf(fmt, sizeof(fmt), " mem %s", v);
		out_text(&out, fmt);
		out_u64(&out, "age_ms", " age-ms %" PRIu64, c->age_ms);
	}
	out_bool(&out, "evicted", NULL, c->evicted);
	if (c->evicted)
		out_text(&out, " evicted");
}

static int class_print(const struct dpu_qos_class_info *c, void *arg)
{
	(void)arg;
	out_obj_open(&out, NULL);
	print_class_fields(c);
	out_text(&out, "\n");
	out_obj_close(&out);
	return 0;
}

static int cmd_qos_class(int argc, char **argv)
{
	struct dpu_qos_class_info c;
	char what[DPU_CGROUP_PATH_LEN + 32];
	uint32_t prio;
	bool has_prio = false;
	int cls, ret;

	if (argc == 0 || cli_matches(argv[0], "show") ||
	    cli_matches(argv[0], "list")) {
		if (argc > 2) {
			fprintf(stderr, "dpuctl: qos class show: unexpected argument \"%s\"\n",
				argv[2]);
			return 2;
		}
		if (nl_connect())
			return 1;
		out_arr_open(&out, NULL);
		if (argc == 2) {
			ret = dpu_qos_class_get(nl, argv[1], &c);
			if (!ret)
				class_print(&c, NULL);
		} else {
			ret = dpu_qos_class_dump(nl, class_print, NULL);
		}
		if (ret) {
			snprintf(what, sizeof(what), "qos class show%s%s",
				 argc == 2 ? " " : "", argc == 2 ? argv[1] : "");
			return fail(what, ret);
		}
		out_finish(&out);
		return 0;
	}
	if (cli_matches(argv[0], "set") || cli_matches(argv[0], "add")) {
		const char *path = argc > 1 ? argv[1] : NULL;

		if (argc < 3) {
			fprintf(stderr, "dpuctl: qos class set: expected CGROUP CLASS (e.g. /kubepods/besteffort be)\n");
			return 2;
		}
		cls = dpu_qos_class_parse(argv[2]);
		if (cls <= DPU_QOS_CLASS_NONE) {
			fprintf(stderr, "dpuctl: qos class set: \"%s\" is not a QoS class (hls, ls, be)\n",
				argv[2]);
			return 2;
		}
		for (argc -= 3, argv += 3; argc > 0; argc -= 2, argv += 2) {
			if (need_arg(argc, argv))
				return 2;
			if (strcmp(argv[0], "priority") ||
			    cli_parse_u32(argv[1], &prio)) {
				fprintf(stderr, "dpuctl: qos class set: unexpected \"%s %s\" (priority N)\n",
					argv[0], argv[1]);
				return 2;
			}
			has_prio = true;
		}
		if (nl_connect())
			return 1;
		ret = dpu_qos_class_set(nl, path, (uint8_t)cls,
					has_prio ? &prio : NULL, &c);
		if (ret) {
			snprintf(what, sizeof(what), "qos class set %s", path);
			return fail(what, ret);
		}
		out_arr_open(&out, NULL);
		class_print(&c, NULL);
		out_finish(&out);
		return 0;
	}
	if (cli_matches(argv[0], "del") || cli_matches(argv[0], "delete")) {
		if (argc != 2) {
			fprintf(stderr, "dpuctl: qos class del: expected CGROUP\n");
			return 2;
		}
		if (nl_connect())
			return 1;
		ret = dpu_qos_class_del(nl, argv[1]);
		if (ret) {
			snprintf(what, sizeof(what), "qos class del %s", argv[1]);
			return fail(what, ret);
		}
		return 0;
	}
	fprintf(stderr, "dpuctl: qos class: unknown command \"%s\", try \"dpuctl help\"\n",
		argv[0]);
	return 2;
}

/* ------------------------------------------------------------- monitor */

static int monitor_decision(const struct dpu_qos_info *q, void *arg)
{
	(void)arg;
	monitor_head(DPU_CMD_QOS_DECISION, "qos");
	out_text(&out, " ");
	print_decision(q);
	monitor_tail();
	return 0;
}

static int monitor_class(const struct dpu_qos_class_info *c, void *arg)
{
	(void)arg;
	monitor_head(c->cmd, "qos-class");
	out_text(&out, " ");
	print_class_fields(c);
	monitor_tail();
	return 0;
}

static int cmd_qos_monitor(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	char err[256], *buf;
	struct dpu_nl *ev;
	struct pollfd pfd;
	ssize_t n;
	int ret = 0;

	if (argc > 0) {
		fprintf(stderr, "dpuctl: qos monitor: unexpected argument \"%s\"\n",
			argv[0]);
		return 2;
	}
	ev = dpu_nl_open_group(DPU_GENL_MCGRP_QOS, err, sizeof(err));
	if (!ev) {
		fprintf(stderr, "dpuctl: qos monitor: %s\n", err);
		return 1;
	}
	buf = malloc(65536);
	if (!buf) {
		dpu_nl_close(ev);
		return fail("qos monitor", -ENOMEM);
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	out.pretty = false;
	pfd.fd = dpu_nl_fd(ev);
	pfd.events = POLLIN;
	while (!stop) {
		if (poll(&pfd, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			break;
		}
		n = recv(pfd.fd, buf, 65536, 0);
		if (n < 0) {
			if (errno == ENOBUFS) {
				fprintf(stderr, "dpuctl: qos monitor: decisions lost (receive buffer overrun)\n");
				continue;
			}
			if (errno == EINTR || errno == EAGAIN)
				continue;
			ret = -errno;
			break;
		}
		dpu_qos_events_dispatch(buf, (size_t)n, dpu_nl_family_id(ev),
					monitor_decision, monitor_class, NULL);
	}
	free(buf);
	dpu_nl_close(ev);
	if (ret)
		return fail("qos monitor", ret);
	return 0;
}

int cmd_qos(int argc, char **argv)
{
	if (argc == 0 || cli_matches(argv[0], "show"))
		return cmd_qos_show(argc ? argc - 1 : 0, argv + 1);
	if (cli_matches(argv[0], "set"))
		return cmd_qos_set(argc - 1, argv + 1);
	if (cli_matches(argv[0], "class"))
		return cmd_qos_class(argc - 1, argv + 1);
	if (cli_matches(argv[0], "monitor"))
		return cmd_qos_monitor(argc - 1, argv + 1);
	fprintf(stderr, "dpuctl: qos: unknown command \"%s\", try \"dpuctl help\"\n",
		argv[0]);
	return 2;
}
