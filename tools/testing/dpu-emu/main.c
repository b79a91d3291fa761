// SPDX-License-Identifier: GPL-2.0
/*
 * dpu-emu: the emulated DPU's "hardware" process and the guest-side control
 * client.
 *
 *   dpu-emu serve --ivshmem SOCK --qmp SOCK [--ctl SOCK] [options]
 *	serve the management PF (ivshmem-doorbell server side: shared
 *	memory and doorbells) to QEMU, run the firmware (a child process,
 *	restarted when it dies), and take test commands from --ctl (a QEMU
 *	virtio-serial chardev socket, so that the guest can send them)
 *   dpu-emu ctl [--port PATH] COMMAND [ARGS]
 *	in the guest: send a command over the virtio-serial port and print
 *	the answer (exit 1 if it is an error)
 *
 * Commands: fail-attach N, hang-attach N, bad-slot N, garbage N,
 * attach-delay MS, surprise FN, kill [RESTART_MS], start, version MAJOR,
 * status, fns, and for benchmarks raw-add SLOT / raw-del SLOT (a plain
 * QMP hot-plug of a 1 GiB virtio-blk disk, and its device_del, beside the
 * DPU's own functions).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "emu.h"

static FILE *emu_logf;

void emu_log(const char *fmt, ...)
{
	struct timespec ts;
	va_list ap;

	if (!emu_logf)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	fprintf(emu_logf, "[%ld.%03ld %d] ", (long)ts.tv_sec, ts.tv_nsec / 1000000,
		getpid());
	va_start(ap, fmt);
	vfprintf(emu_logf, fmt, ap);
	va_end(ap);
	fputc('\n', emu_logf);
	fflush(emu_logf);
}

void emu_interrupt(struct emu *e, unsigned int vec)
{
	uint64_t one = 1;

	if (vec < DPU_PCI_NR_VECS &&
	    write(e->to_guest[vec], &one, sizeof(one)) != sizeof(one))
		emu_log("interrupt %u: %s", vec, strerror(errno));
}

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "dpu-emu: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* ------------------------------------------------------------ ivshmem */

static int send_msg(int sock, int64_t v, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = &v, .iov_len = sizeof(v) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;

	/* the protocol is little-endian; so is every host we run on */
	if (fd >= 0) {
		m.msg_control = cbuf;
		m.msg_controllen = sizeof(cbuf);
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	return sendmsg(sock, &m, MSG_NOSIGNAL) == sizeof(v) ? 0 : -1;
}

/* Peer DPU_PCI_FW_PEER is the firmware; the guest is peer 1. */
static int ivshmem_handshake(struct emu *e, int c)
{
	const int64_t guest = 1;
	int v;

	if (send_msg(c, 0, -1) || send_msg(c, guest, -1) ||
	    send_msg(c, -1, e->shm_fd))
		return -1;
	for (v = 0; v < DPU_PCI_NR_VECS; v++)
		if (send_msg(c, DPU_PCI_FW_PEER, e->to_fw[v]))
			return -1;
	for (v = 0; v < DPU_PCI_NR_VECS; v++)
		if (send_msg(c, guest, e->to_guest[v]))
			return -1;
	return 0;
}

static int listen_unix(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		die("socket path too long: %s", path);
	strcpy(sa.sun_path, path);
	unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(fd, 4))
		die("listen on %s: %s", path, strerror(errno));
	return fd;
}

static int connect_unix(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* ------------------------------------------------------------ layout */

static void layout(struct emu *e)
{
	struct dpu_pci_header *h = e->shm;
	size_t ring_off = 4096;
	size_t fn_off = ring_off + EMU_RING * sizeof(struct dpu_pci_cmd);
	size_t tn_off = fn_off + e->cfg.max_fns * sizeof(struct dpu_pci_fn);
	size_t end = tn_off + EMU_MAX_TENANTS * sizeof(struct dpu_pci_tenant);
	unsigned int k;

	_Static_assert(sizeof(struct dpu_pci_cmd) == 512, "cmd layout");
	_Static_assert(sizeof(struct dpu_pci_fn) == 256, "fn layout");
	_Static_assert(sizeof(struct dpu_pci_tenant) == 320, "tenant layout");
	if (end > e->cfg.shm_size)
		die("shared memory of %zu bytes is too small (%zu needed)",
		    e->cfg.shm_size, end);
	memset(e->shm, 0, e->cfg.shm_size);
	h->magic = DPU_PCI_MAGIC;
	h->major = DPU_PCI_MAJOR;
	h->minor = DPU_PCI_MINOR;
	h->header_size = sizeof(*h);
	h->fn_types = (1u << 1) | (1u << 2);
	/* blk limits through QEMU throttle groups; NIC limits: later */
	h->limit_kinds = (1u << DPU_PCI_LIM_BLK_IOPS) |
			 (1u << DPU_PCI_LIM_BLK_READ_IOPS) |
			 (1u << DPU_PCI_LIM_BLK_WRITE_IOPS) |
			 (1u << DPU_PCI_LIM_BLK_BPS) |
			 (1u << DPU_PCI_LIM_BLK_READ_BPS) |
			 (1u << DPU_PCI_LIM_BLK_WRITE_BPS);
	h->caps = DPU_PCI_CAP_TENANTS | DPU_PCI_CAP_LIVE_LIMITS |
		  DPU_PCI_CAP_ADOPT;
	h->max_fns = e->cfg.max_fns;
	h->num_slots = e->cfg.slots;
	h->slot_base = e->cfg.slot_base;
	h->max_depth = EMU_DEPTH;
	h->ring_off = ring_off;
	h->ring_entries = EMU_RING;
	h->fn_table_off = fn_off;
	h->tenant_table_off = tn_off;
	h->max_tenants = EMU_MAX_TENANTS;
	h->burst_ms_max = 60000;
	h->max_queues = 8;
	h->max_mtu = 9000;
	h->io_capacity_iops = e->cfg.io_iops;
	h->io_capacity_bps = e->cfg.io_bps;
	for (k = 0; k < DPU_PCI_LIM_NR; k++)
		h->rate_max[k] = (h->limit_kinds & (1u << k)) ?
				 (k == DPU_PCI_LIM_BLK_IOPS ||
				  k == DPU_PCI_LIM_BLK_READ_IOPS ||
				  k == DPU_PCI_LIM_BLK_WRITE_IOPS ?
				  1000000ULL : 100ULL << 30) : 0;
}

static void emu_map(struct emu *e)
{
	struct dpu_pci_header *h = e->shm;

	e->hdr = h;
	e->ring = (void *)((char *)e->shm + h->ring_off);
	e->fns = (void *)((char *)e->shm + h->fn_table_off);
	e->tenants = (void *)((char *)e->shm + h->tenant_table_off);
}

/* ------------------------------------------------------------ serve */

static pid_t fw_pid;
static long restart_at;	/* ms, 0: not scheduled */
static struct emu *the_emu;

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void fw_start(struct emu *e)
{
	pid_t pid;

	if (fw_pid > 0)
		return;
	pid = fork();
	if (pid < 0) {
		emu_log("fork: %s", strerror(errno));
		return;
	}
	if (pid == 0) {
		signal(SIGTERM, SIG_DFL);
		exit(fw_main(e));
	}
	fw_pid = pid;
	restart_at = 0;
	emu_log("firmware started, pid %d", pid);
}

/* The firmware is gone: the PF stays, the status says it is not serving. */
static void fw_gone(struct emu *e, int status)
{
	emu_log("firmware pid %d ended (status 0x%x)", fw_pid, status);
	fw_pid = 0;
	__atomic_and_fetch(&e->hdr->status, ~DPU_PCI_STATUS_READY,
			   __ATOMIC_SEQ_CST);
	emu_interrupt(e, DPU_PCI_VEC_EVENT);
	if (e->cfg.restart_ms != ~0u)
		restart_at = now_ms() + e->cfg.restart_ms;
}

static void fw_kill(struct emu *e, long restart_ms)
{
	int status;

	if (fw_pid > 0) {
		kill(fw_pid, SIGKILL);
		if (waitpid(fw_pid, &status, 0) == fw_pid)
			fw_gone(e, status);
	}
	restart_at = restart_ms < 0 ? 0 : now_ms() + restart_ms;
}

static void ctl_signal(struct emu *e)
{
	uint64_t one = 1;

	if (write(e->ctl_efd, &one, sizeof(one)) != sizeof(one))
		emu_log("ctl signal: %s", strerror(errno));
}

/* One command line from the guest; the answer in @out. */
static void ctl_command(struct emu *e, char *line, char *out, size_t len)
{
	struct emu_ctl *c = e->ctl;
	char *cmd = strtok(line, " \t\r\n"), *arg = strtok(NULL, " \t\r\n");
	long n = arg ? strtol(arg, NULL, 0) : 0;
	size_t o;

	if (!cmd) {
		snprintf(out, len, "error empty command");
		return;
	}
	emu_log("ctl: %s %s", cmd, arg ? arg : "");
	if (!strcmp(cmd, "fail-attach")) {
		c->fail_attach = n;
	} else if (!strcmp(cmd, "hang-attach")) {
		c->hang_attach = n;
	} else if (!strcmp(cmd, "bad-slot")) {
		c->bad_slot = n;
	} else if (!strcmp(cmd, "garbage")) {
		c->garbage = n;
	} else if (!strcmp(cmd, "attach-delay")) {
		c->attach_delay_ms = n;
	} else if (!strcmp(cmd, "surprise")) {
		if (!arg || n < 0 || n >= EMU_MAX_FNS) {
			snprintf(out, len, "error surprise takes a function index");
			return;
		}
		__atomic_store_n(&c->surprise[n], 1, __ATOMIC_SEQ_CST);
		ctl_signal(e);
	} else if (!strcmp(cmd, "raw-add") || !strcmp(cmd, "raw-del")) {
		if (!arg || n < 0 || n >= (long)e->cfg.slots) {
			snprintf(out, len, "error %s takes a slot", cmd);
			return;
		}
		if (cmd[4] == 'a')
			__atomic_store_n(&c->raw_add, n + 1, __ATOMIC_SEQ_CST);
		else
			__atomic_store_n(&c->raw_del, n + 1, __ATOMIC_SEQ_CST);
		ctl_signal(e);
	} else if (!strcmp(cmd, "kill")) {
		long was = fw_pid;

		fw_kill(e, arg ? n : -1);
		snprintf(out, len, "ok killed %ld", was);
		return;
	} else if (!strcmp(cmd, "start")) {
		fw_start(e);
	} else if (!strcmp(cmd, "version")) {
		e->hdr->major = n;
	} else if (!strcmp(cmd, "status")) {
		snprintf(out, len,
			 "ok fw %d generation %u status %u attaches %lu detaches %lu",
			 fw_pid, e->hdr->generation, e->hdr->status,
			 c->attaches, c->detaches);
		return;
	} else if (!strcmp(cmd, "fns")) {
		o = snprintf(out, len, "ok");
		for (unsigned int i = 0; i < e->hdr->max_fns && o < len; i++)
			if (e->fns[i].state != DPU_PCI_FN_FREE)
				o += snprintf(out + o, len - o, " %u:%u:%u:%u", i,
					      e->fns[i].type, e->fns[i].state,
					      e->fns[i].slot);
		return;
	} else {
		snprintf(out, len, "error unknown command %s", cmd);
		return;
	}
	snprintf(out, len, "ok");
}

static void on_term(int sig)
{
	(void)sig;
	if (fw_pid > 0)
		kill(fw_pid, SIGKILL);
	_exit(0);
}

static int serve(struct emu *e)
{
	int lfd = listen_unix(e->cfg.ivshmem_path);
	int client = -1, ctl = -1;
	char cbuf[4096];
	size_t clen = 0;
	long next_ctl_try = 0;

	the_emu = e;
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	signal(SIGPIPE, SIG_IGN);
	fw_start(e);
	for (;;) {
		struct pollfd p[3] = {
			{ .fd = lfd, .events = POLLIN },
			{ .fd = client, .events = POLLIN },
			{ .fd = ctl, .events = POLLIN },
		};
		int status;
		pid_t pid;

		poll(p, 3, 100);
		if (p[0].revents & POLLIN) {
			int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

			if (c >= 0 && client < 0 && !ivshmem_handshake(e, c)) {
				client = c;
				emu_log("QEMU connected to the PF");
			} else if (c >= 0) {
				close(c);
			}
		}
		if (client >= 0 && (p[1].revents & (POLLIN | POLLHUP))) {
			char b[64];

			if (read(client, b, sizeof(b)) <= 0) {
				emu_log("QEMU went away: exiting");
				if (fw_pid > 0)
					kill(fw_pid, SIGKILL);
				return 0;
			}
		}
		if (ctl < 0 && e->cfg.ctl_path && now_ms() >= next_ctl_try) {
			ctl = connect_unix(e->cfg.ctl_path);
			next_ctl_try = now_ms() + 200;
		}
		if (ctl >= 0 && (p[2].revents & (POLLIN | POLLHUP))) {
			ssize_t n = read(ctl, cbuf + clen, sizeof(cbuf) - clen - 1);
			char *nl;

			if (n <= 0) {
				close(ctl);
				ctl = -1;
				clen = 0;
			} else {
				clen += n;
				while ((nl = memchr(cbuf, '\n', clen))) {
					char out[4096];
					size_t l = nl - cbuf + 1;

					*nl = '\0';
					ctl_command(e, cbuf, out, sizeof(out) - 1);
					strcat(out, "\n");
					if (write(ctl, out, strlen(out)) < 0)
						emu_log("ctl write: %s", strerror(errno));
					memmove(cbuf, cbuf + l, clen - l);
					clen -= l;
				}
				if (clen == sizeof(cbuf) - 1)
					clen = 0;
			}
		}
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
			if (pid == fw_pid)
				fw_gone(e, status);
		if (!fw_pid && restart_at && now_ms() >= restart_at)
			fw_start(e);
	}
}

/* ------------------------------------------------------------ ctl client */

/* Without udev there is no /dev/virtio-ports/NAME: find the vport by name. */
static int ctl_open(const char *port)
{
	char path[512], name[128], dev[300];
	int fd = open(port, O_RDWR | O_CLOEXEC);
	const char *want = strrchr(port, '/');

	if (fd >= 0 || errno != ENOENT)
		return fd;
	want = want ? want + 1 : port;
	for (int a = 0; a < 8; a++)
		for (int b = 0; b < 32; b++) {
			FILE *f;

			snprintf(path, sizeof(path),
				 "/sys/class/virtio-ports/vport%dp%d/name", a, b);
			f = fopen(path, "r");
			if (!f)
				continue;
			if (fgets(name, sizeof(name), f)) {
				name[strcspn(name, "\n")] = '\0';
				if (!strcmp(name, want)) {
					fclose(f);
					snprintf(dev, sizeof(dev), "/dev/vport%dp%d", a, b);
					return open(dev, O_RDWR | O_CLOEXEC);
				}
			}
			fclose(f);
		}
	errno = ENOENT;
	return -1;
}

static int ctl_client(const char *port, int argc, char **argv)
{
	char line[4096], reply[8192];
	size_t o = 0, r = 0;
	int fd, i;

	fd = ctl_open(port);
	if (fd < 0) {
		fprintf(stderr, "dpu-emu: %s: %s\n", port, strerror(errno));
		return 2;
	}
	for (i = 0; i < argc; i++)
		o += snprintf(line + o, sizeof(line) - o, "%s%s", i ? " " : "",
			      argv[i]);
	o += snprintf(line + o, sizeof(line) - o, "\n");
	if (write(fd, line, o) != (ssize_t)o) {
		fprintf(stderr, "dpu-emu: write: %s\n", strerror(errno));
		return 2;
	}
	while (r < sizeof(reply) - 1) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 10000) <= 0) {
			fprintf(stderr, "dpu-emu: no answer from the emulator\n");
			return 2;
		}
		n = read(fd, reply + r, sizeof(reply) - 1 - r);
		if (n <= 0)
			break;
		r += n;
		if (memchr(reply, '\n', r))
			break;
	}
	reply[r] = '\0';
	fputs(reply, stdout);
	return strncmp(reply, "ok", 2) ? 1 : 0;
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: dpu-emu serve --ivshmem SOCK --qmp SOCK [--ctl SOCK] [--slots N]\n"
"                     [--slot-base N] [--max-fns N] [--port-prefix P]\n"
"                     [--data-dir DIR] [--id N] [--restart-ms MS]\n"
"                     [--shm-size BYTES] [--log FILE]\n"
"                     [--io-capacity IOPS:BYTES_PER_S]\n"
"       dpu-emu ctl [--port PATH] COMMAND [ARG]\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ivshmem", required_argument, NULL, 'i' },
		{ "qmp", required_argument, NULL, 'q' },
		{ "ctl", required_argument, NULL, 'c' },
		{ "slots", required_argument, NULL, 's' },
		{ "slot-base", required_argument, NULL, 'b' },
		{ "max-fns", required_argument, NULL, 'm' },
		{ "port-prefix", required_argument, NULL, 'P' },
		{ "data-dir", required_argument, NULL, 'd' },
		{ "id", required_argument, NULL, 'I' },
		{ "restart-ms", required_argument, NULL, 'r' },
		{ "shm-size", required_argument, NULL, 'S' },
		{ "log", required_argument, NULL, 'l' },
		{ "io-capacity", required_argument, NULL, 'C' },
		{ "port", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	static struct emu e = {
		.cfg = {
			.slots = 8, .slot_base = 1, .max_fns = 256,
			.port_prefix = "dpup", .data_dir = "/dev/shm",
			.restart_ms = 500, .shm_size = 1 << 20,
			/* QEMU's virtio-blk in a TCG guest, roughly */
			.io_iops = 20000, .io_bps = 400ull << 20,
			.hub = "0",
		},
	};
	const char *port = "/dev/virtio-ports/dpu-emu.ctl";
	const char *mode;
	int o, v;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	mode = argv[1];
	argv++;
	argc--;
	while ((o = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (o) {
		case 'i': e.cfg.ivshmem_path = optarg; break;
		case 'q': e.cfg.qmp_path = optarg; break;
		case 'c': e.cfg.ctl_path = optarg; break;
		case 's': e.cfg.slots = strtoul(optarg, NULL, 0); break;
		case 'b': e.cfg.slot_base = strtoul(optarg, NULL, 0); break;
		case 'm': e.cfg.max_fns = strtoul(optarg, NULL, 0); break;
		case 'P': e.cfg.port_prefix = optarg; break;
		case 'd': e.cfg.data_dir = optarg; break;
		case 'I': e.cfg.id = strtoul(optarg, NULL, 0); break;
		case 'r': e.cfg.restart_ms = strtol(optarg, NULL, 0); break;
		case 'S': e.cfg.shm_size = strtoull(optarg, NULL, 0); break;
		case 'l': e.cfg.log_path = optarg; break;
		case 'C':
			if (sscanf(optarg, "%llu:%llu", &e.cfg.io_iops,
				   &e.cfg.io_bps) != 2)
				die("--io-capacity takes IOPS:BYTES_PER_S");
			break;
		case 'p': port = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!strcmp(mode, "ctl"))
		return ctl_client(port, argc - optind, argv + optind);
	if (strcmp(mode, "serve")) {
		usage(stderr);
		return 2;
	}
	if (!e.cfg.ivshmem_path || !e.cfg.qmp_path)
		die("serve needs --ivshmem and --qmp");
	if (!e.cfg.slots || e.cfg.slots > EMU_MAX_SLOTS)
		die("--slots takes 1..%d", EMU_MAX_SLOTS);
	if (!e.cfg.max_fns || e.cfg.max_fns > EMU_MAX_FNS)
		die("--max-fns takes 1..%d", EMU_MAX_FNS);
	if (e.cfg.shm_size & (e.cfg.shm_size - 1))
		die("--shm-size must be a power of 2");
	emu_logf = e.cfg.log_path ? fopen(e.cfg.log_path, "a") : stderr;
	if (!emu_logf)
		die("%s: %s", e.cfg.log_path, strerror(errno));
	setvbuf(emu_logf, NULL, _IOLBF, 0);

	e.shm_fd = memfd_create("dpu-emu-bar2", MFD_CLOEXEC);
	if (e.shm_fd < 0 || ftruncate(e.shm_fd, e.cfg.shm_size))
		die("memfd: %s", strerror(errno));
	e.shm = mmap(NULL, e.cfg.shm_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		     e.shm_fd, 0);
	e.ctl = mmap(NULL, sizeof(*e.ctl), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (e.shm == MAP_FAILED || e.ctl == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	memset(e.ctl, 0, sizeof(*e.ctl));
	for (v = 0; v < DPU_PCI_NR_VECS; v++) {
		e.to_fw[v] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		e.to_guest[v] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (e.to_fw[v] < 0 || e.to_guest[v] < 0)
			die("eventfd: %s", strerror(errno));
	}
	e.ctl_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	layout(&e);
	emu_map(&e);
	return serve(&e);
}
