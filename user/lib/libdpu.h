/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libdpu: userspace client of the dpupool generic netlink family "dpu".
 */
#ifndef LIBDPU_H
#define LIBDPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/dpu.h>

struct nlmsghdr;
struct dpu_nl;

#define DPU_ERRMSG_LEN 256

/* Open a netlink socket and resolve the "dpu" family. NULL and errno set on
 * failure; a message naming the problem is written to err (if given). */
struct dpu_nl *dpu_nl_open(char *err, size_t errlen);
void dpu_nl_close(struct dpu_nl *nl);
uint16_t dpu_nl_family_id(const struct dpu_nl *nl);
uint32_t dpu_nl_family_version(const struct dpu_nl *nl);

/* The kernel's extack text for the last failed request ("" if none). */
const char *dpu_nl_errmsg(const struct dpu_nl *nl);

/* Error message parsing (public for tests and tools). */
struct dpu_nl_err {
	int error;			/* negative errno, 0 for an ACK */
	uint32_t offset;		/* NLMSGERR_ATTR_OFFS, if has_offset */
	bool has_offset;
	char msg[DPU_ERRMSG_LEN];	/* NLMSGERR_ATTR_MSG, or "" */
};
int dpu_nl_parse_err(const struct nlmsghdr *nlh, struct dpu_nl_err *out);

/* DPU devices */
struct dpu_dev_info {
	uint32_t index;
	char name[DPU_NAME_LEN];
	char backend[DPU_BACKEND_LEN];
	char bus[32];
	char parent[64];
	int32_t numa_node;
	bool has_numa_node;
};

int dpu_dev_parse(const struct nlmsghdr *nlh, struct dpu_dev_info *out);

/* Get one device by name ("dpu0") or, if name is NULL, by index.
 * Returns 0 or a negative errno (see dpu_nl_errmsg()). */
int dpu_dev_get(struct dpu_nl *nl, const char *name, uint32_t index,
		struct dpu_dev_info *out);

typedef int (*dpu_dev_cb)(const struct dpu_dev_info *dev, void *arg);
/* Dump all devices; cb returning non-zero stops the walk (returned). */
int dpu_dev_dump(struct dpu_nl *nl, dpu_dev_cb cb, void *arg);

/* Human-readable errno name ("ENODEV"), or NULL. */
const char *dpu_errno_name(int err);

#endif /* LIBDPU_H */
