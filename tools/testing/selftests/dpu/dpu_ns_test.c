// SPDX-License-Identifier: GPL-2.0
/*
 * dpupool selftest: network namespaces. DPU objects belong to the initial
 * namespace: from any other (an unprivileged user's after unshare -Urn, or
 * root's) nothing is shown, changed or announced. A NIC moved into a
 * namespace is reported by ifindex and namespace id, its name only while
 * it is in the initial one; renames and moves are followed.
 */
#include <poll.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "dpu_test.h"

#define ID 7100
#define MiB (1024ULL * 1024)
#define FOREIGN "DPU devices are managed from the initial network namespace"

FIXTURE(ns) {
	struct nl *nl;
	char dev[32];
};

FIXTURE_SETUP(ns)
{
	self->nl = nl_open();
	ASSERT_NE(NULL, self->nl);
	ASSERT_EQ(0, sysfs_write(SIM_BUS "/new_device", "7100 16"));
	ASSERT_EQ(0, sim_dpu_name(ID, self->dev, sizeof(self->dev)));
	ASSERT_EQ(0, sim_knob(ID, "attach_delay_ms", "0"));
	ASSERT_EQ(0, tenant_new(self->nl, self->dev, "acme", NULL));
}

FIXTURE_TEARDOWN(ns)
{
	/* left over by a failed check, if any */
	sim_del(ID);
	if (!access("/run/netns/dpu_nsa", F_OK))
		EXPECT_EQ(0, system("ip netns del dpu_nsa"));
	nl_close(self->nl);
}

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -EIO;
}

/* a dump of @cmd; 0 or -errno, nl->extack set */
static int dump(struct nl *nl, uint8_t cmd)
{
	struct nlmsghdr *nlh = nl_msg(nl, nl->family, cmd, NLM_F_DUMP);

	nl->cb = NULL;
	return nl_talk(nl, nlh);
}

/*
 * In the child: every command refused with the message, and (if joining
 * the events group is allowed at all) no event arrives while the parent
 * creates and deletes objects. Returns the number of the first check that
 * failed, 0 if none.
 */
static int foreign_checks(const char *dev, int go_fd, int done_fd)
{
	struct pollfd pfd;
	struct fn_reply f;
	struct nl *nl, *ev;
	char c = 0;

	nl = nl_open();
	if (!nl)
		return 1;	/* the family is visible (netnsok) */
	if (dump(nl, DPU_CMD_DEV_GET) != -EPERM || strcmp(nl->extack, FOREIGN))
		return 2;
	if (dump(nl, DPU_CMD_FN_GET) != -EPERM || strcmp(nl->extack, FOREIGN))
		return 3;
	if (dump(nl, DPU_CMD_TENANT_GET) != -EPERM)
		return 4;
	if (fn_get(nl, dev, 0, &f) != -EPERM || strcmp(nl->extack, FOREIGN))
		return 5;
	if (fn_new(nl, dev, 4 * MiB, "acme", &f) != -EPERM)
		return 6;
	if (tenant_new(nl, dev, "evil", NULL) != -EPERM)
		return 7;
	ev = nl_open();
	if (!ev)
		return 8;
	if (nl_join_events(ev) == 0) {
		/* joined: the parent now makes events; none may come here */
		if (write(go_fd, &c, 1) != 1)
			return 9;
		pfd.fd = mnl_socket_get_fd(ev->sk);
		pfd.events = POLLIN;
		if (read(done_fd, &c, 1) != 1)
			return 10;
		if (poll(&pfd, 1, 300) != 0)
			return 11;
	} else if (write(go_fd, &c, 1) != 1 || read(done_fd, &c, 1) != 1) {
		return 12;
	} else {
		return 50;	/* could not join: nothing to listen to */
	}
	return 0;
}

/* fork a child in new namespaces (as @uid, mapped to root in a user ns) */
static void run_foreign(struct __test_metadata *_metadata,
			FIXTURE_DATA(ns) *self, int userns)
{
	int go[2], done[2], status;
	struct fn_reply f;
	char c;
	pid_t pid;

	ASSERT_EQ(0, fn_new(self->nl, self->dev, 4 * MiB, "acme", &f));
	ASSERT_EQ(0, pipe(go));
	ASSERT_EQ(0, pipe(done));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		char map[64];

		if (userns) {
			if (setresgid(65534, 65534, 65534) ||
			    setresuid(65534, 65534, 65534))
				_exit(100);
			/* a uid change made /proc/self root's: take it back */
			prctl(PR_SET_DUMPABLE, 1);
			if (unshare(CLONE_NEWUSER | CLONE_NEWNET))
				_exit(101);
			snprintf(map, sizeof(map), "0 65534 1");
			if (write_file("/proc/self/setgroups", "deny") ||
			    write_file("/proc/self/uid_map", map) ||
			    write_file("/proc/self/gid_map", map))
				_exit(102);
		} else if (unshare(CLONE_NEWNET)) {
			_exit(103);
		}
		_exit(foreign_checks(self->dev, go[1], done[0]));
	}
	close(go[1]);
	close(done[0]);
	/* once the child listens: a tenant and a function come and go */
	if (read(go[0], &c, 1) != 1) {
		waitpid(pid, &status, 0);
		ASSERT_TRUE(0) TH_LOG("the child ended early: status %d",
				      WEXITSTATUS(status));
	}
	EXPECT_EQ(0, tenant_new(self->nl, self->dev, "globex", NULL));
	EXPECT_EQ(0, fn_new(self->nl, self->dev, 4 * MiB, "globex", &f));
	EXPECT_EQ(0, fn_del(self->nl, self->dev, f.index));
	EXPECT_EQ(0, tenant_del(self->nl, self->dev, "globex"));
	ASSERT_EQ(1, write(done[1], &c, 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	if (WEXITSTATUS(status) == 50)
		SKIP(return, "the events group could not be joined there: no event check");
	EXPECT_EQ(0, WEXITSTATUS(status))
		TH_LOG("check %d failed in the other namespace", WEXITSTATUS(status));
}

TEST_F(ns, unprivileged_user_namespace_sees_nothing)
{
	run_foreign(_metadata, self, 1);
}

TEST_F(ns, root_in_other_netns_refused)
{
	run_foreign(_metadata, self, 0);
}

static int sh(const char *fmt, ...)
{
	char cmd[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

static void fn_sysfs(const char *dev, uint32_t index, const char *attr,
		     char *buf, size_t len)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/class/dpu_fn/%sfn%u/%s", dev, index,
		 attr);
	if (sysfs_read(path, buf, len))
		buf[0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
}

TEST_F(ns, netdev_renames_and_moves_followed)
{
	struct fn_reply f;
	uint32_t idx, ifindex;
	char name[32], buf[160];
	int i;

	ASSERT_EQ(0, fn_new(self->nl, self->dev, 0, "acme", &f));
	idx = f.index;
	ASSERT_EQ(DPU_FN_STATE_READY, fn_wait(self->nl, self->dev, idx, 5000, &f));
	ASSERT_NE(0, f.netdev[0]);
	ASSERT_TRUE(f.has_ifindex);
	EXPECT_FALSE(f.has_netns_id);
	ifindex = f.ifindex;

	/* renamed in the initial namespace: the new name is reported */
	snprintf(name, sizeof(name), "dpuren%u", idx);
	ASSERT_EQ(0, sh("ip link set dev %s name %s", f.netdev, name));
	ASSERT_EQ(0, fn_get(self->nl, self->dev, idx, &f));
	EXPECT_STREQ(name, f.netdev);
	EXPECT_EQ(ifindex, f.ifindex);
	fn_sysfs(self->dev, idx, "netdev", buf, sizeof(buf));
	EXPECT_STREQ(name, buf);

	/* moved to a namespace with id 17: ifindex and id, no name */
	ASSERT_EQ(0, sh("ip netns add dpu_nsa && ip netns set dpu_nsa 17 && "
			"ip link set dev %s netns dpu_nsa", name));
	ASSERT_EQ(0, fn_get(self->nl, self->dev, idx, &f));
	EXPECT_STREQ("", f.netdev);
	ASSERT_TRUE(f.has_netns_id);
	EXPECT_EQ(17, f.netns_id);
	ASSERT_TRUE(f.has_ifindex);
	snprintf(buf, sizeof(buf),
		 "ip -n dpu_nsa -o link show | grep -q '^%u: %s[:@]'", f.ifindex,
		 name);
	EXPECT_EQ(0, system(buf)) TH_LOG("ifindex %u is not %s in dpu_nsa",
					 f.ifindex, name);

	/* renamed there, then the namespace goes: back home, followed */
	ASSERT_EQ(0, sh("ip -n dpu_nsa link set dev %s name dpuaway0", name));
	ASSERT_EQ(0, sh("ip netns del dpu_nsa"));
	for (i = 0; i < 300; i++) {
		ASSERT_EQ(0, fn_get(self->nl, self->dev, idx, &f));
		if (f.netdev[0])
			break;
		usleep(10000);
	}
	EXPECT_NE(0, f.netdev[0]) TH_LOG("not back in the initial namespace");
	EXPECT_FALSE(f.has_netns_id);
	snprintf(buf, sizeof(buf), "ip -o link show dev %s >/dev/null", f.netdev);
	EXPECT_EQ(0, system(buf)) TH_LOG("%s is not a device here", f.netdev);
	EXPECT_EQ(0, fn_del(self->nl, self->dev, idx));
}

TEST_HARNESS_MAIN
