// SPDX-License-Identifier: GPL-2.0
/*
 * dpupool: a generic netlink fuzzer of the "dpu" family, for a bounded
 * time. Random messages, mutated valid ones and valid operations (which
 * build up tenants, hierarchies, functions and limits, so the random ones
 * reach deep states) on every command; then an unprivileged phase that
 * must change nothing. Checks: every request is answered (no hang), every
 * answer is well formed, errors are errnos with a message, the objects the
 * family reports agree with sysfs and with each other at the end, and the
 * DPU can be emptied and removed. Memory and lock bugs are the debug
 * kernel's to report.
 *
 *   dpu_fuzz [-t SECONDS] [-s SEED]     (DPU_FUZZ_SECONDS, default 20)
 */
#include <getopt.h>
#include <stdarg.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>

#include "dpu_test.h"

#define ID 7300
#define NFNS 16
#define MiB (1024ULL * 1024)

static unsigned int n_test, n_fail;

static void tap(int ok, const char *fmt, ...)
{
	va_list ap;

	n_test++;
	if (!ok)
		n_fail++;
	printf("%sok %u ", ok ? "" : "not ", n_test);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static uint64_t rng_state;

static uint32_t rnd(void)
{
	/* xorshift64*: reproducible from the seed */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545F4914F6CDD1DULL) >> 32);
}

static uint32_t pick(uint32_t n)
{
	return n ? rnd() % n : 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static const char *const names[] = {
	"a", "b", "c", "acme", "globex", "t.1", "t-2", "x_y", "deep1", "deep2",
};

static const char *rname(void)
{
	return names[pick(sizeof(names) / sizeof(names[0]))];
}

static uint64_t rval(void)
{
	static const uint64_t edge[] = {
		0, 1, 2, 9, 10, 100, 4095, 4096, 65536, 1000000,
		999999999999ULL, 1000000000000ULL, 1000000000001ULL,
		~0ULL, 1ULL << 63, 1ULL << 32, (1ULL << 32) - 1,
	};

	if (pick(2))
		return edge[pick(sizeof(edge) / sizeof(edge[0]))];
	return ((uint64_t)rnd() << 32 | rnd()) >> pick(64);
}

struct stats {
	long sent, acked, refused, replies, no_msg, odd_errno, hangs, bad_reply;
	char first_bad[200];
};

static void note_bad(struct stats *st, const char *what)
{
	if (!st->first_bad[0])
		snprintf(st->first_bad, sizeof(st->first_bad), "%s", what);
}

/* a reply of the family: genl header and attributes within bounds */
static int reply_ok(const struct nlmsghdr *nlh)
{
	const struct nlattr *a;

	if (nlh->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN)
		return 0;
	mnl_attr_for_each(a, nlh, GENL_HDRLEN) {
		if (mnl_attr_get_type(a) == 0 || mnl_attr_get_type(a) > DPU_A_MAX)
			return 0;
	}
	/* mnl_attr_for_each stops at the first attribute out of bounds */
	return (const char *)a == (const char *)nlh + NLMSG_ALIGN(nlh->nlmsg_len) ||
	       (const char *)a == (const char *)nlh + nlh->nlmsg_len;
}

/*
 * Send @len bytes at @buf as one request and read the answers until the
 * ACK, the error or the end of the dump. Returns the errno (0: acked).
 */
static int talk_raw(struct nl *nl, void *buf, size_t len, struct stats *st,
		    int *was_acked)
{
	struct nlmsghdr *req = buf;
	uint8_t req_cmd = ((struct genlmsghdr *)(req + 1))->cmd;
	int err = 0, done = 0;
	ssize_t n;

	*was_acked = 0;
	req->nlmsg_seq = ++nl->seq;
	req->nlmsg_pid = 0;
	st->sent++;
	if (send(mnl_socket_get_fd(nl->sk), buf, len, 0) < 0)
		return -errno;
	while (!done) {
		struct nlmsghdr *nlh;
		int rest;

		n = recv(mnl_socket_get_fd(nl->sk), nl->buf, sizeof(nl->buf), 0);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				st->hangs++;
				note_bad(st, "no answer within 10 s");
				return -ETIMEDOUT;
			}
			return -errno;
		}
		rest = n;
		for (nlh = (struct nlmsghdr *)nl->buf; mnl_nlmsg_ok(nlh, rest);
		     nlh = mnl_nlmsg_next(nlh, &rest)) {
			if (nlh->nlmsg_seq != req->nlmsg_seq)
				continue;
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
				const struct nlattr *a;
				int has_msg = 0;

				err = e->error;
				if (nlh->nlmsg_flags & NLM_F_ACK_TLVS)
					mnl_attr_for_each(a, nlh, sizeof(*e))
						if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG ||
						    mnl_attr_get_type(a) == NLMSGERR_ATTR_OFFS)
							has_msg = 1;
				if (err > 0 || err < -4095) {
					st->odd_errno++;
					note_bad(st, "an error that is no errno");
				}
				/*
				 * unknown commands, and dumps of commands
				 * that have none, are the genl core's
				 */
				if (err && !has_msg && req_cmd >= 1 &&
				    req_cmd <= DPU_CMD_MAX &&
				    (!(req->nlmsg_flags & NLM_F_DUMP) ||
				     req_cmd == DPU_CMD_DEV_GET ||
				     req_cmd == DPU_CMD_FN_GET ||
				     req_cmd == DPU_CMD_TENANT_GET ||
				     req_cmd == DPU_CMD_QOS_CLASS_GET) &&
				    st->no_msg++ < 5)
					printf("# no message: cmd %u flags %#x len %u: %s\n",
					       ((struct genlmsghdr *)(req + 1))->cmd,
					       req->nlmsg_flags, req->nlmsg_len,
					       strerror(-err));
				if (!err)
					*was_acked = 1;
				done = 1;
				break;
			}
			if (nlh->nlmsg_type == NLMSG_DONE) {
				if (nlh->nlmsg_len >= NLMSG_HDRLEN + sizeof(int))
					err = *(int *)mnl_nlmsg_get_payload(nlh);
				if (!err)
					*was_acked = 1;
				done = 1;
				break;
			}
			st->replies++;
			if (nlh->nlmsg_type != nl->family || !reply_ok(nlh)) {
				st->bad_reply++;
				note_bad(st, "a malformed reply");
			}
		}
	}
	if (err)
		st->refused++;
	else
		st->acked++;
	return err;
}

static struct nlmsghdr *start(struct nl *nl, uint8_t cmd, uint16_t flags)
{
	struct nlmsghdr *nlh = nl_msg(nl, nl->family, cmd, flags);

	nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	return nlh;
}

static void put_dev(struct nlmsghdr *nlh, const char *dev)
{
	if (pick(4))
		mnl_attr_put_strz(nlh, DPU_A_DEV_NAME, dev);
	else
		mnl_attr_put_u32(nlh, DPU_A_DEV_INDEX, pick(3));
}

static void put_limits(struct nlmsghdr *nlh, uint16_t type, int blk_only)
{
	struct nlattr *nest = mnl_attr_nest_start(nlh, type);
	int i, n = 1 + pick(3);

	for (i = 0; i < n; i++) {
		uint16_t a = DPU_A_LIMIT_BLK_IOPS + pick(blk_only ? 12 : 20);

		mnl_attr_put_u64(nlh, a, pick(3) ? 1 + pick(100000) : rval());
	}
	mnl_attr_nest_end(nlh, nest);
}

/* a request that may well succeed: it grows and changes the state */
static struct nlmsghdr *valid_op(struct nl *nl, const char *dev)
{
	struct nlmsghdr *nlh;

	switch (pick(10)) {
	case 0:
	case 1:
		nlh = start(nl, DPU_CMD_TENANT_NEW, 0);
		put_dev(nlh, dev);
		mnl_attr_put_strz(nlh, DPU_A_TENANT_NAME, rname());
		if (pick(2))
			mnl_attr_put_strz(nlh, DPU_A_TENANT_PARENT, rname());
		if (pick(2))
			put_limits(nlh, DPU_A_TENANT_LIMITS, 0);
		return nlh;
	case 2:
		nlh = start(nl, DPU_CMD_TENANT_DEL, 0);
		put_dev(nlh, dev);
		mnl_attr_put_strz(nlh, DPU_A_TENANT_NAME, rname());
		return nlh;
	case 3:
		nlh = start(nl, DPU_CMD_TENANT_SET, 0);
		put_dev(nlh, dev);
		mnl_attr_put_strz(nlh, DPU_A_TENANT_NAME, rname());
		if (pick(2))
			mnl_attr_put_strz(nlh, DPU_A_TENANT_PARENT,
					  pick(3) ? rname() : "");
		if (pick(2))
			put_limits(nlh, DPU_A_TENANT_LIMITS, 0);
		return nlh;
	case 4:
	case 5:
		nlh = start(nl, DPU_CMD_FN_NEW, 0);
		put_dev(nlh, dev);
		if (pick(2)) {
			mnl_attr_put_u8(nlh, DPU_A_FN_TYPE, DPU_FN_TYPE_BLK);
			mnl_attr_put_u64(nlh, DPU_A_FN_SIZE, (1 + pick(8)) * MiB);
			if (pick(3) == 0)
				put_limits(nlh, DPU_A_FN_LIMITS, 1);
		} else {
			mnl_attr_put_u8(nlh, DPU_A_FN_TYPE, DPU_FN_TYPE_NET);
		}
		if (pick(2))
			mnl_attr_put_u32(nlh, DPU_A_FN_INDEX, pick(NFNS + 2));
		mnl_attr_put_strz(nlh, DPU_A_FN_TENANT, rname());
		return nlh;
	case 6:
		nlh = start(nl, DPU_CMD_FN_DEL, 0);
		put_dev(nlh, dev);
		mnl_attr_put_u32(nlh, DPU_A_FN_INDEX, pick(NFNS));
		return nlh;
	case 7:
		nlh = start(nl, DPU_CMD_FN_SET, 0);
		put_dev(nlh, dev);
		mnl_attr_put_u32(nlh, DPU_A_FN_INDEX, pick(NFNS));
		if (pick(2))
			mnl_attr_put_strz(nlh, DPU_A_FN_TENANT, rname());
		if (pick(2))
			put_limits(nlh, DPU_A_FN_LIMITS, pick(2));
		return nlh;
	case 8:
		nlh = start(nl, pick(2) ? DPU_CMD_FN_GET : DPU_CMD_TENANT_GET,
			    NLM_F_DUMP);
		if (pick(2))
			put_dev(nlh, dev);
		return nlh;
	default:
		nlh = start(nl, DPU_CMD_DEV_GET, pick(2) ? NLM_F_DUMP : 0);
		put_dev(nlh, dev);
		return nlh;
	}
}

/* attributes of random types and lengths, now and then nested */
static void random_attrs(struct nlmsghdr *nlh, size_t room)
{
	int i, n = pick(8);
	uint8_t data[96];

	for (i = 0; i < n && nlh->nlmsg_len + 200 < room; i++) {
		uint16_t type = pick(DPU_A_MAX + 3);
		size_t len = pick(5) ? (size_t[]){ 0, 1, 4, 8, 6, 16, 63, 64, 65 }[pick(9)]
				     : pick(sizeof(data));
		size_t j;

		if (pick(4) == 0) {
			struct nlattr *nest = mnl_attr_nest_start(nlh, type);
			int k;

			for (k = pick(5); k > 0; k--)
				mnl_attr_put_u64(nlh, pick(DPU_A_LIMIT_MAX + 3), rval());
			mnl_attr_nest_end(nlh, nest);
			continue;
		}
		for (j = 0; j < len; j++)
			data[j] = pick(3) ? 'a' + pick(26) : rnd();
		if (len && pick(2))
			data[len - 1] = 0;
		mnl_attr_put(nlh, type, len, data);
	}
}

/* flip, truncate or inflate a built request; returns the length to send */
static size_t mutate(struct nlmsghdr *nlh, size_t room)
{
	uint8_t *b = (uint8_t *)nlh;
	size_t len = nlh->nlmsg_len, hdr = NLMSG_HDRLEN + GENL_HDRLEN;
	int i, n = 1 + pick(4);

	for (i = 0; i < n; i++) {
		switch (pick(6)) {
		case 0:		/* flip a byte of the payload */
			if (len > hdr)
				b[hdr + pick(len - hdr)] ^= 1 << pick(8);
			break;
		case 1:		/* a random byte anywhere after the nlmsghdr */
			if (len > NLMSG_HDRLEN)
				b[NLMSG_HDRLEN + pick(len - NLMSG_HDRLEN)] = rnd();
			break;
		case 2:		/* cut it short */
			if (len > hdr)
				len = hdr + pick(len - hdr);
			nlh->nlmsg_len = len;
			break;
		case 3:		/* an attribute's length lies */
			if (len >= hdr + 4) {
				struct nlattr *a = (struct nlattr *)(b + hdr);

				a->nla_len = pick(2) ? pick(0xffff) : a->nla_len + 4U;
			}
			break;
		case 4:		/* more attributes after it */
			random_attrs(nlh, room);
			len = nlh->nlmsg_len;
			break;
		default:	/* another command or version */
			((struct genlmsghdr *)(b + NLMSG_HDRLEN))->cmd = pick(DPU_CMD_MAX + 3);
			if (pick(4) == 0)
				((struct genlmsghdr *)(b + NLMSG_HDRLEN))->version = rnd();
			break;
		}
	}
	return len;
}

static int is_change(uint8_t cmd)
{
	return cmd == DPU_CMD_FN_NEW || cmd == DPU_CMD_FN_DEL ||
	       cmd == DPU_CMD_FN_SET || cmd == DPU_CMD_TENANT_NEW ||
	       cmd == DPU_CMD_TENANT_DEL || cmd == DPU_CMD_TENANT_SET;
}

/* one message of the mix; *changed set if an unprivileged change passed */
static void fuzz_one(struct nl *nl, const char *dev, struct stats *st,
		     int *changed)
{
	struct nlmsghdr *nlh;
	size_t len;
	int acked;
	uint8_t cmd;

	switch (pick(3)) {
	case 0:
		nlh = valid_op(nl, dev);
		len = nlh->nlmsg_len;
		break;
	case 1:
		nlh = start(nl, pick(DPU_CMD_MAX + 3),
			    pick(4) ? 0 : (uint16_t)NLM_F_DUMP);
		if (pick(2))
			put_dev(nlh, dev);
		random_attrs(nlh, sizeof(nl->req));
		len = nlh->nlmsg_len;
		break;
	default:
		nlh = valid_op(nl, dev);
		len = mutate(nlh, sizeof(nl->req));
		break;
	}
	cmd = ((struct genlmsghdr *)mnl_nlmsg_get_payload(nlh))->cmd;
	talk_raw(nl, nlh, len, st, &acked);
	if (changed && acked && is_change(cmd) &&
	    !(nlh->nlmsg_flags & NLM_F_DUMP))
		*changed = 1;
}

/* ---------------------------------------------------------------- checks */

struct census {
	int fns, tenants, fn_refs, bad;
	char tenant[64][80];
	uint32_t tenant_fns[64];
	char fn_tenant[NFNS + 8][80];
};

static int census_fn(const struct nlmsghdr *nlh, void *arg)
{
	struct census *c = arg;
	struct fn_reply f;

	parse_fn(nlh, &f);
	if (!f.has_index || f.index >= NFNS + 8) {
		c->bad++;
		return 0;
	}
	snprintf(c->fn_tenant[c->fns % (NFNS + 8)], sizeof(c->fn_tenant[0]), "%s",
		 f.tenant);
	c->fns++;
	return 0;
}

static int census_tenant(const struct nlmsghdr *nlh, void *arg)
{
	struct census *c = arg;
	struct tenant_reply t;

	parse_tenant(nlh, &t);
	if (c->tenants < 64) {
		snprintf(c->tenant[c->tenants], sizeof(c->tenant[0]), "%s", t.name);
		c->tenant_fns[c->tenants] = t.num_fns;
	}
	c->fn_refs += t.num_fns;
	c->tenants++;
	return 0;
}

static int census(struct nl *nl, const char *dev, struct census *c)
{
	struct nlmsghdr *nlh;
	int err;

	memset(c, 0, sizeof(*c));
	nlh = nl_msg(nl, nl->family, DPU_CMD_FN_GET, NLM_F_DUMP);
	mnl_attr_put_strz(nlh, DPU_A_DEV_NAME, dev);
	nl->cb = census_fn;
	nl->arg = c;
	err = nl_talk(nl, nlh);
	if (err)
		return err;
	nlh = nl_msg(nl, nl->family, DPU_CMD_TENANT_GET, NLM_F_DUMP);
	mnl_attr_put_strz(nlh, DPU_A_DEV_NAME, dev);
	nl->cb = census_tenant;
	nl->arg = c;
	return nl_talk(nl, nlh);
}

static int sysfs_num_fns(const char *dev)
{
	char path[96], buf[32];

	snprintf(path, sizeof(path), "/sys/class/dpu/%s/num_fns", dev);
	return sysfs_read(path, buf, sizeof(buf)) ? -1 : atoi(buf);
}

/* every function names a listed tenant; counts agree */
static int census_consistent(const struct census *c, const char *dev,
			     char *why, size_t len)
{
	int i, j;

	if (c->bad) {
		snprintf(why, len, "%d function replies without a valid index", c->bad);
		return 0;
	}
	if (c->fns != sysfs_num_fns(dev)) {
		snprintf(why, len, "dump has %d functions, sysfs num_fns %d",
			 c->fns, sysfs_num_fns(dev));
		return 0;
	}
	if (c->fn_refs != c->fns) {
		snprintf(why, len, "tenants count %d functions, the dump has %d",
			 c->fn_refs, c->fns);
		return 0;
	}
	for (i = 0; i < c->fns && i < NFNS + 8; i++) {
		for (j = 0; j < c->tenants && j < 64; j++)
			if (!strcmp(c->fn_tenant[i], c->tenant[j]))
				break;
		if (j == c->tenants || j == 64) {
			snprintf(why, len, "a function's tenant '%s' is not listed",
				 c->fn_tenant[i]);
			return 0;
		}
	}
	return 1;
}

static int empty_dpu(struct nl *nl, const char *dev)
{
	struct census c;
	int i, round;

	for (i = 0; i < NFNS + 2; i++)
		fn_del(nl, dev, i);
	/* children before parents: retry until nothing is left */
	for (round = 0; round < 10; round++) {
		if (census(nl, dev, &c))
			return -1;
		if (!c.tenants)
			return c.fns ? -1 : 0;
		for (i = 0; i < c.tenants && i < 64; i++)
			tenant_del(nl, dev, c.tenant[i]);
	}
	return -1;
}

int main(int argc, char **argv)
{
	double secs = getenv("DPU_FUZZ_SECONDS") ? atof(getenv("DPU_FUZZ_SECONDS")) : 20;
	uint64_t seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	struct stats st = {}, ust = {};
	struct census before, after, c;
	struct timeval tv = { .tv_sec = 10 };
	char dev[32], why[200] = "";
	double end;
	int opt, status, changed = 0;
	struct nl *nl;
	pid_t pid;

	while ((opt = getopt(argc, argv, "t:s:")) != -1) {
		if (opt == 't')
			secs = atof(optarg);
		else if (opt == 's')
			seed = strtoull(optarg, NULL, 0);
		else
			return 2;
	}
	rng_state = seed ? seed : 1;
	printf("TAP version 13\n1..7\n# seed %llu, %.0f s\n",
	       (unsigned long long)seed, secs);

	nl = nl_open();
	if (!nl || sysfs_write(SIM_BUS "/new_device", "7300 16") ||
	    sim_dpu_name(ID, dev, sizeof(dev))) {
		printf("# SKIP: no dpu family or dpu_sim\n");
		return 4;
	}
	sim_knob(ID, "attach_delay_ms", "0");
	setsockopt(mnl_socket_get_fd(nl->sk), SOL_SOCKET, SO_RCVTIMEO, &tv,
		   sizeof(tv));

	/* privileged: random, mutated and valid, interleaved */
	end = now_s() + secs * 0.8;
	while (now_s() < end)
		fuzz_one(nl, dev, &st, NULL);
	printf("# privileged: %ld sent, %ld acked, %ld refused, %ld replies\n",
	       st.sent, st.acked, st.refused, st.replies);
	tap(!st.hangs, "every request answered (%ld without an answer)", st.hangs);
	tap(!st.bad_reply && !st.odd_errno,
	    "answers well formed, errors are errnos%s%s",
	    st.first_bad[0] ? ": first problem: " : "", st.first_bad);
	tap(!st.no_msg, "refusals of the family's commands carry a message or an offset (%ld of %ld without)",
	    st.no_msg, st.refused);

	/* unprivileged: the same mix, nothing may change */
	if (census(nl, dev, &before)) {
		tap(0, "census before the unprivileged phase");
	} else {
		pid = fork();
		if (!pid) {
			struct nl *unl;

			if (setresgid(65534, 65534, 65534) ||
			    setresuid(65534, 65534, 65534))
				_exit(100);
			unl = nl_open();
			if (!unl)
				_exit(101);
			setsockopt(mnl_socket_get_fd(unl->sk), SOL_SOCKET,
				   SO_RCVTIMEO, &tv, sizeof(tv));
			end = now_s() + secs * 0.2;
			while (now_s() < end)
				fuzz_one(unl, dev, &ust, &changed);
			printf("# unprivileged: %ld sent, %ld acked, %ld refused, %ld without a message\n",
			       ust.sent, ust.acked, ust.refused, ust.no_msg);
			fflush(stdout);
			_exit(changed ? 1 : ust.hangs ? 2 : ust.no_msg ? 3 : 0);
		}
		waitpid(pid, &status, 0);
		census(nl, dev, &after);
		tap(WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
		    before.fns == after.fns && before.tenants == after.tenants,
		    "unprivileged: no change accepted (exit %d, functions %d -> %d, tenants %d -> %d)",
		    WEXITSTATUS(status), before.fns, after.fns, before.tenants,
		    after.tenants);
	}

	/*
	 * The fuzz may have changed the node's QoS policy (it is global):
	 * put back the documented defaults for the tests that follow.
	 */
	{
		struct nlmsghdr *q = nl_msg(nl, nl->family, DPU_CMD_QOS_SET, 0);
		struct nlattr *n = mnl_attr_nest_start(q, DPU_A_QOS_POLICY);

		mnl_attr_put_u8(q, DPU_A_QOS_POL_ENABLED, 1);
		mnl_attr_put_u32(q, DPU_A_QOS_POL_INTERVAL_MS, 5);
		mnl_attr_put_u32(q, DPU_A_QOS_POL_CPU_WINDOW_MS, 10);
		mnl_attr_put_u32(q, DPU_A_QOS_POL_CPU_THRESHOLD, 65);
		mnl_attr_put_u32(q, DPU_A_QOS_POL_CPU_BE_MIN, 100);
		mnl_attr_put_u32(q, DPU_A_QOS_POL_CPU_HYSTERESIS, 100);
		mnl_attr_put_u32(q, DPU_A_QOS_POL_CPU_RELEASE_MS, 500);
		mnl_attr_put_u32(q, DPU_A_QOS_POL_MEM_HIGH, 70);
		mnl_attr_put_u32(q, DPU_A_QOS_POL_MEM_LOW, 68);
		mnl_attr_put_u32(q, DPU_A_QOS_POL_MEM_RECLAIM_MS, 500);
		mnl_attr_put_u32(q, DPU_A_QOS_POL_MEM_COOLDOWN_MS, 3000);
		mnl_attr_put_u64(q, DPU_A_QOS_POL_IO_BE_IOPS, 500);
		mnl_attr_put_u64(q, DPU_A_QOS_POL_IO_BE_BPS, 20 << 20);
		mnl_attr_nest_end(q, n);
		nl->cb = NULL;
		tap(!nl_talk(nl, q), "the QoS policy set back to its defaults");
	}

	/* the state the family reports is whole */
	opt = !census(nl, dev, &c) && census_consistent(&c, dev, why, sizeof(why));
	tap(opt,
	    "functions (%d) and tenants (%d) consistent with each other and sysfs%s%s",
	    c.fns, c.tenants, why[0] ? ": " : "", why);
	tap(!empty_dpu(nl, dev) && !sim_del(ID),
	    "the DPU empties and goes away");
	nl_close(nl);
	printf("# %u passed, %u failed\n", n_test - n_fail, n_fail);
	return n_fail ? 1 : 0;
}
