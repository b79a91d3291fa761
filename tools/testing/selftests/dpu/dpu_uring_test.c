// SPDX-License-Identifier: GPL-2.0
/*
 * dpupool selftest: attach and detach functions as io_uring commands on
 * /dev/dpu-ctl.
 */
#include <fcntl.h>
#include <sys/wait.h>
#include <liburing.h>

#include "kselftest_harness.h"
#include "dpu_test.h"

#define ID 7000
#define CTL "/dev/dpu-ctl"

FIXTURE(ring) {
	struct io_uring ring;
	int fd;
	struct nl *nl;
	char dev[32];
	unsigned int dev_index;
};

FIXTURE_SETUP(ring)
{
	ASSERT_EQ(0, sysfs_write(SIM_BUS "/new_device", "7000 128"));
	ASSERT_EQ(0, sim_dpu_name(ID, self->dev, sizeof(self->dev)));
	self->dev_index = strtoul(self->dev + 3, NULL, 10);
	ASSERT_EQ(0, sim_knob(ID, "attach_delay_ms", "20"));
	self->fd = open(CTL, O_RDWR);
	ASSERT_GE(self->fd, 0);
	ASSERT_EQ(0, io_uring_queue_init(128, &self->ring, IORING_SETUP_SQE128));
	self->nl = nl_open();
	ASSERT_NE(NULL, self->nl);
	/* functions belong to existing tenants */
	ASSERT_EQ(0, tenant_new(self->nl, self->dev, "ringco", NULL));
}

FIXTURE_TEARDOWN(ring)
{
	io_uring_queue_exit(&self->ring);
	close(self->fd);
	sim_del(ID);
	sysfs_write("/sys/module/dpu/parameters/attach_timeout_ms", "30000");
	nl_close(self->nl);
}

static const char tenant[] = "ringco";

static void prep(struct io_uring *ring, int fd, __u32 op,
		 const struct dpu_uring_fn_cmd *c, __u64 data)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	io_uring_prep_rw(IORING_OP_URING_CMD, sqe, fd, NULL, 0, 0);
	sqe->cmd_op = op;
	memcpy(sqe->cmd, c, sizeof(*c));
	sqe->user_data = data;
}

static struct dpu_uring_fn_cmd new_cmd(unsigned int dev, __u8 type)
{
	struct dpu_uring_fn_cmd c = {
		.dev_index = dev,
		.type = type,
		.size = type == DPU_FN_TYPE_BLK ? 4 << 20 : 0,
		.tenant = (__u64)(uintptr_t)tenant,
		.tenant_len = sizeof(tenant) - 1,
	};
	return c;
}

/* submit everything queued, reap @n CQEs into res[user_data] */
static int reap(struct io_uring *ring, int n, int *res)
{
	struct io_uring_cqe *cqe;
	int i, got = 0;

	if (io_uring_submit(ring) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (io_uring_wait_cqe(ring, &cqe))
			break;
		res[cqe->user_data] = cqe->res;
		io_uring_cqe_seen(ring, cqe);
		got++;
	}
	return got;
}

TEST_F(ring, batch_of_64)
{
	struct dpu_uring_fn_cmd c;
	int res[64], seen[128] = {}, i;
	struct fn_reply f;

	for (i = 0; i < 64; i++) {
		c = new_cmd(self->dev_index, i % 2 ? DPU_FN_TYPE_NET : DPU_FN_TYPE_BLK);
		prep(&self->ring, self->fd, DPU_URING_CMD_FN_NEW, &c, i);
	}
	ASSERT_EQ(64, reap(&self->ring, 64, res));
	for (i = 0; i < 64; i++) {
		ASSERT_GE(res[i], 0) TH_LOG("command %d: %s", i, strerror(-res[i]));
		ASSERT_LT(res[i], 128);
		EXPECT_EQ(0, seen[res[i]]++);
		/* the CQE came when the function was ready */
		ASSERT_EQ(0, fn_get(self->nl, self->dev, res[i], &f));
		EXPECT_EQ(DPU_FN_STATE_READY, f.state);
		EXPECT_STREQ("ringco", f.tenant);
		EXPECT_EQ(i % 2 ? DPU_FN_TYPE_NET : DPU_FN_TYPE_BLK, f.type);
	}
	/* and detach them all in one batch */
	for (i = 0; i < 64; i++) {
		memset(&c, 0, sizeof(c));
		c.dev_index = self->dev_index;
		c.fn_index = res[i];
		prep(&self->ring, self->fd, DPU_URING_CMD_FN_DEL, &c, i);
	}
	ASSERT_EQ(64, reap(&self->ring, 64, res));
	for (i = 0; i < 64; i++)
		EXPECT_EQ(0, res[i]);
	EXPECT_EQ(-ENOENT, fn_get(self->nl, self->dev, 0, &f));
}

TEST_F(ring, failures_in_cqes)
{
	struct dpu_uring_fn_cmd c;
	int res[8], i, eio = 0, ok = 0;

	ASSERT_EQ(0, sim_knob(ID, "fail_attach", "3"));
	for (i = 0; i < 8; i++) {
		c = new_cmd(self->dev_index, DPU_FN_TYPE_BLK);
		prep(&self->ring, self->fd, DPU_URING_CMD_FN_NEW, &c, i);
	}
	ASSERT_EQ(8, reap(&self->ring, 8, res));
	for (i = 0; i < 8; i++) {
		if (res[i] == -EIO)
			eio++;
		else if (res[i] >= 0)
			ok++;
	}
	EXPECT_EQ(3, eio);
	EXPECT_EQ(5, ok);
}

TEST_F(ring, timeout_in_cqe)
{
	struct dpu_uring_fn_cmd c = new_cmd(self->dev_index, DPU_FN_TYPE_BLK);
	int res[1];

	ASSERT_EQ(0, sysfs_write("/sys/module/dpu/parameters/attach_timeout_ms", "300"));
	ASSERT_EQ(0, sim_knob(ID, "hang_attach", "1"));
	prep(&self->ring, self->fd, DPU_URING_CMD_FN_NEW, &c, 0);
	ASSERT_EQ(1, reap(&self->ring, 1, res));
	EXPECT_EQ(-ETIMEDOUT, res[0]);
}

TEST_F(ring, bad_payloads)
{
	struct dpu_uring_fn_cmd c;
	int res[8] = {};

	c = new_cmd(self->dev_index, 7);			/* bad type */
	prep(&self->ring, self->fd, DPU_URING_CMD_FN_NEW, &c, 0);
	c = new_cmd(self->dev_index, DPU_FN_TYPE_BLK);
	c.size = 4097;						/* unaligned */
	prep(&self->ring, self->fd, DPU_URING_CMD_FN_NEW, &c, 1);
	c = new_cmd(self->dev_index, DPU_FN_TYPE_BLK);
	c.tenant = 16;						/* bad pointer */
	prep(&self->ring, self->fd, DPU_URING_CMD_FN_NEW, &c, 2);
	c = new_cmd(self->dev_index, DPU_FN_TYPE_BLK);
	c.tenant_len = 0;
	prep(&self->ring, self->fd, DPU_URING_CMD_FN_NEW, &c, 3);
	c = new_cmd(99999, DPU_FN_TYPE_BLK);			/* no such DPU */
	prep(&self->ring, self->fd, DPU_URING_CMD_FN_NEW, &c, 4);
	c = new_cmd(self->dev_index, DPU_FN_TYPE_BLK);
	c.reserved = 1;
	prep(&self->ring, self->fd, DPU_URING_CMD_FN_NEW, &c, 5);
	c = new_cmd(self->dev_index, DPU_FN_TYPE_BLK);
	prep(&self->ring, self->fd, 77, &c, 6);			/* unknown op */
	memset(&c, 0, sizeof(c));
	c.dev_index = self->dev_index;
	c.fn_index = 5;						/* no such fn */
	prep(&self->ring, self->fd, DPU_URING_CMD_FN_DEL, &c, 7);
	ASSERT_EQ(8, reap(&self->ring, 8, res));
	EXPECT_EQ(-EINVAL, res[0]);
	EXPECT_EQ(-EINVAL, res[1]);
	EXPECT_EQ(-EFAULT, res[2]);
	EXPECT_EQ(-EINVAL, res[3]);
	EXPECT_EQ(-ENODEV, res[4]);
	EXPECT_EQ(-EINVAL, res[5]);
	EXPECT_EQ(-EOPNOTSUPP, res[6]);
	EXPECT_EQ(-ENOENT, res[7]);
}

TEST_F(ring, unknown_tenant)
{
	static const char other[] = "nosuch";
	struct dpu_uring_fn_cmd c = new_cmd(self->dev_index, DPU_FN_TYPE_BLK);
	struct fn_reply f;
	int res[1];

	c.tenant = (__u64)(uintptr_t)other;
	c.tenant_len = sizeof(other) - 1;
	prep(&self->ring, self->fd, DPU_URING_CMD_FN_NEW, &c, 0);
	ASSERT_EQ(1, reap(&self->ring, 1, res));
	EXPECT_EQ(-ENOENT, res[0]);
	EXPECT_EQ(-ENOENT, fn_get(self->nl, self->dev, 0, &f));
}

TEST_F(ring, needs_sqe128)
{
	struct dpu_uring_fn_cmd c = new_cmd(self->dev_index, DPU_FN_TYPE_BLK);
	struct io_uring small;
	struct io_uring_cqe *cqe;
	struct io_uring_sqe *sqe;

	ASSERT_EQ(0, io_uring_queue_init(4, &small, 0));
	sqe = io_uring_get_sqe(&small);
	io_uring_prep_rw(IORING_OP_URING_CMD, sqe, self->fd, NULL, 0, 0);
	sqe->cmd_op = DPU_URING_CMD_FN_NEW;
	memcpy(sqe->cmd, &c, 16);	/* only 16 bytes fit a 64-byte SQE */
	ASSERT_EQ(1, io_uring_submit(&small));
	ASSERT_EQ(0, io_uring_wait_cqe(&small, &cqe));
	EXPECT_EQ(-EINVAL, cqe->res);
	io_uring_cqe_seen(&small, cqe);
	io_uring_queue_exit(&small);
}

TEST_F(ring, close_with_commands_in_flight)
{
	struct dpu_uring_fn_cmd c;
	struct io_uring r2;
	struct fn_reply f;
	int i;

	ASSERT_EQ(0, sysfs_write("/sys/module/dpu/parameters/attach_timeout_ms", "500"));
	ASSERT_EQ(0, sim_knob(ID, "hang_attach", "4"));
	ASSERT_EQ(0, io_uring_queue_init(8, &r2, IORING_SETUP_SQE128));
	for (i = 0; i < 4; i++) {
		c = new_cmd(self->dev_index, DPU_FN_TYPE_BLK);
		prep(&r2, self->fd, DPU_URING_CMD_FN_NEW, &c, i);
	}
	ASSERT_EQ(4, io_uring_submit(&r2));
	usleep(100000);
	io_uring_queue_exit(&r2);	/* with all four still attaching */
	usleep(800000);
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, fn_get(self->nl, self->dev, i, &f));
		EXPECT_EQ(DPU_FN_STATE_FAILED, f.state);
		EXPECT_EQ(-ETIMEDOUT, f.error);
	}
}

TEST(unprivileged_refused)
{
	pid_t pid = fork();
	int status;

	ASSERT_GE(pid, 0);
	if (!pid) {
		if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
			_exit(10);
		_exit(open(CTL, O_RDWR) < 0 && errno == EACCES ? 0 : 11);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST_HARNESS_MAIN
