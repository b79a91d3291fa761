// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libdpu: batched function attach through io_uring on /dev/dpu-ctl.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <liburing.h>

#include "libdpu.h"

int dpu_fn_new_batch(uint32_t dev_index, const struct dpu_fn_new_args *args,
		     unsigned int count, int *results, char *err, size_t errlen)
{
	struct dpu_uring_fn_cmd c = {
		.dev_index = dev_index,
		.type = args->type,
		.size = args->type == DPU_FN_TYPE_BLK ? args->size : 0,
		.tenant = (uint64_t)(uintptr_t)args->tenant,
		.tenant_len = (uint32_t)strlen(args->tenant),
	};
	struct io_uring_cqe *cqe;
	struct io_uring_sqe *sqe;
	struct io_uring ring;
	unsigned int i, done = 0, depth = count < 256 ? count : 256;
	int fd, ret;

	if (!count)
		return 0;
	if (args->has_mac) {
		snprintf(err, errlen, "a batch cannot share one MAC address");
		return -EINVAL;
	}
	fd = open("/dev/dpu-ctl", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot open /dev/dpu-ctl: %s", strerror(-ret));
		return ret;
	}
	ret = io_uring_queue_init(depth, &ring, IORING_SETUP_SQE128);
	if (ret) {
		snprintf(err, errlen, "cannot set up io_uring: %s", strerror(-ret));
		close(fd);
		return ret;
	}
	for (i = 0; i < count || done < count;) {
		/* keep the ring full, reap as completions come */
		while (i < count && (sqe = io_uring_get_sqe(&ring))) {
			io_uring_prep_rw(IORING_OP_URING_CMD, sqe, fd, NULL, 0, 0);
			sqe->cmd_op = DPU_URING_CMD_FN_NEW;
			memcpy(sqe->cmd, &c, sizeof(c));
			sqe->user_data = i++;
		}
		ret = io_uring_submit_and_wait(&ring, 1);
		if (ret < 0) {
			snprintf(err, errlen, "io_uring submit: %s", strerror(-ret));
			break;
		}
		while (!io_uring_peek_cqe(&ring, &cqe)) {
			results[cqe->user_data] = cqe->res;
			io_uring_cqe_seen(&ring, cqe);
			done++;
		}
		ret = 0;
	}
	io_uring_queue_exit(&ring);
	close(fd);
	return ret;
}
