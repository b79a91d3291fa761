/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef LIBDPU_NL_PRIV_H
#define LIBDPU_NL_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

struct mnl_socket;
struct nlmsghdr;

struct dpu_nl {
	struct mnl_socket *sk;
	uint32_t portid;
	uint32_t seq;
	uint16_t family;
	uint32_t version;
	uint32_t mcgrp_events;	/* group id of "events", 0 if unknown */
	uint32_t mcgrp_qos;	/* group id of "qos", 0 if unknown */
	const char *joined;	/* the group this socket listens to, or NULL */
	uint32_t mcgrp_joined;	/* its id */
	char *buf;		/* receive buffer */
	size_t buflen;
	char *req;		/* request being built */
	char errmsg[256];
};

/* Each message of a reply; return 0 to go on, non-zero to stop (the value
 * is what dpu_nl_talk() returns). */
typedef int (*dpu_msg_cb)(const struct nlmsghdr *nlh, void *arg);

/* A request with a "dpu" generic header; attributes go after it. */
struct nlmsghdr *dpu_nl_msg(struct dpu_nl *nl, uint8_t cmd, uint16_t flags);

/* Send req, feed each reply message to cb, wait for the ACK or DONE.
 * Returns 0, the cb's stop value, or a negative errno (errmsg set). */
int dpu_nl_talk(struct dpu_nl *nl, struct nlmsghdr *req, dpu_msg_cb cb,
		void *arg);

/* A nest of enum dpu_limit_attr into rate/burst arrays (fn.c). */
struct nlattr;
int dpu_parse_limits(const struct nlattr *nest, uint64_t *rate,
		     uint64_t *burst);

#endif
