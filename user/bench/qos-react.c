// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * qos-react: how fast best effort is held back when online load steps up.
 *
 *   qos-react ONLINE_CGROUP BE_CGROUP STEPS
 *
 *   qos-react latency CGROUP LOOPS
 *
 * latency: joins CGROUP, sleeps 1 ms LOOPS times (cyclictest style, as a
 * SCHED_OTHER online task) and prints how late each wakeup was ("avg p99
 * max" in us) and the time it waited runnable for a CPU per wakeup, from
 * the scheduler's own account (/proc/thread-self/schedstat run_delay):
 * the part of the latency that co-location decides.
 *
 * Each step: a child joins ONLINE_CGROUP and tells its start time, then
 * spins; we wait (inotify, no CPU) until BE_CGROUP/cpu.max is written with
 * a quota at least 200 mCPU below what it was (the first budget that
 * answers the step; it goes on falling as the step fills the module's
 * window), and take the time. Then
 * the child goes and we wait for the budget to come back. Prints one
 * "reaction_ms" line per step and "p50 p99 max" at the end.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/select.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* cpu.max as milli-CPUs; -1 for "max" or unreadable */
static long quota_mcpu(const char *path)
{
	char buf[64];
	long q, p;
	int fd, n;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = (int)read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	if (sscanf(buf, "%ld %ld", &q, &p) != 2 || p <= 0)
		return -1;
	return q * 1000 / p;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* wait until cpu.max says <= below (below < 0: >= -below); ms or -1 */
static int wait_quota(int in, const char *path, long limit, bool down,
		      double deadline)
{
	struct timeval tv;
	char ev[4096];
	fd_set fds;
	long v;

	for (;;) {
		v = quota_mcpu(path);
		if (v >= 0 && (down ? v <= limit : v >= limit))
			return 0;
		if (now_ms() > deadline)
			return -1;
		tv.tv_sec = 0;
		tv.tv_usec = 200000;
		FD_ZERO(&fds);
		FD_SET(in, &fds);
		if (select(in + 1, &fds, NULL, NULL, &tv) > 0 &&
		    read(in, ev, sizeof(ev)) < 0 && errno != EAGAIN)
			return -1;
	}
}

static int join(const char *cg)
{
	char path[PATH_MAX], s[32];
	int fd, ok;

	snprintf(path, sizeof(path), "%s/cgroup.procs", cg);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	snprintf(s, sizeof(s), "%d", getpid());
	ok = write(fd, s, strlen(s)) > 0;
	close(fd);
	return ok ? 0 : -1;
}

static int latency(const char *cg, int loops)
{
	unsigned long long run_ns, delay0 = 0, delay1 = 0, n0 = 0, n1 = 0;
	struct timespec next;
	double *late, sum = 0;
	FILE *f;
	int i;

	late = calloc((size_t)loops, sizeof(*late));
	if (!late || join(cg)) {
		perror("qos-react latency: joining the cgroup");
		return 1;
	}
	f = fopen("/proc/thread-self/schedstat", "re");
	if (!f || fscanf(f, "%llu %llu %llu", &run_ns, &delay0, &n0) != 3)
		return 1;
	fclose(f);
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (i = 0; i < loops; i++) {
		struct timespec now;

		next.tv_nsec += 1000000;
		if (next.tv_nsec >= 1000000000) {
			next.tv_nsec -= 1000000000;
			next.tv_sec++;
		}
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
		clock_gettime(CLOCK_MONOTONIC, &now);
		late[i] = (double)(now.tv_sec - next.tv_sec) * 1e6 +
			  (double)(now.tv_nsec - next.tv_nsec) / 1e3;
		sum += late[i];
		next = now;	/* a late wakeup does not make the next early */
	}
	f = fopen("/proc/thread-self/schedstat", "re");
	if (!f || fscanf(f, "%llu %llu %llu", &run_ns, &delay1, &n1) != 3)
		return 1;
	fclose(f);
	qsort(late, (size_t)loops, sizeof(*late), cmp);
	printf("avg %.0f p99 %.0f max %.0f us, runnable wait %.1f us per wakeup\n",
	       sum / loops, late[(int)((loops - 1) * 0.99)], late[loops - 1],
	       n1 > n0 ? (double)(delay1 - delay0) / 1e3 / (double)(n1 - n0) : 0.0);
	free(late);
	return 0;
}

int main(int argc, char **argv)
{
	char online[PATH_MAX], bemax[PATH_MAX];
	double *lat, t0, t1;
	int steps, i, n = 0, in, pfd[2];
	long before;

	if (argc == 4 && !strcmp(argv[1], "latency"))
		return latency(argv[2], atoi(argv[3]) > 0 ? atoi(argv[3]) : 1000);
	if (argc != 4 || (steps = atoi(argv[3])) <= 0) {
		fprintf(stderr, "usage: qos-react ONLINE_CGROUP BE_CGROUP STEPS\n");
		return 2;
	}
	snprintf(online, sizeof(online), "%s/cgroup.procs", argv[1]);
	snprintf(bemax, sizeof(bemax), "%s/cpu.max", argv[2]);
	lat = calloc((size_t)steps, sizeof(*lat));
	in = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (!lat || in < 0 || inotify_add_watch(in, bemax, IN_MODIFY) < 0) {
		perror("qos-react: inotify on cpu.max");
		return 1;
	}
	for (i = 0; i < steps; i++) {
		pid_t pid;

		before = quota_mcpu(bemax);
		if (before < 700) {
			fprintf(stderr, "qos-react: BE budget %ld mCPU at rest: nothing to hold back\n",
				before);
			return 1;
		}
		if (pipe(pfd))
			return 1;
		pid = fork();
		if (pid == 0) {
			char s[32];
			int fd = open(online, O_WRONLY | O_CLOEXEC);

			snprintf(s, sizeof(s), "%d", getpid());
			if (fd < 0 || write(fd, s, strlen(s)) < 0)
				_exit(1);
			close(fd);
			t0 = now_ms();
			if (write(pfd[1], &t0, sizeof(t0)) != sizeof(t0))
				_exit(1);
			for (;;)
				;	/* the online load: one CPU */
		}
		close(pfd[1]);
		if (read(pfd[0], &t0, sizeof(t0)) != sizeof(t0)) {
			fprintf(stderr, "qos-react: the online child failed\n");
			return 1;
		}
		close(pfd[0]);
		if (!wait_quota(in, bemax, before - 200, true, t0 + 5000)) {
			t1 = now_ms();
			lat[n++] = t1 - t0;
			printf("reaction_ms %.2f (budget %ld -> %ld mCPU)\n",
			       t1 - t0, before, quota_mcpu(bemax));
		} else {
			printf("reaction_ms timeout (budget %ld -> %ld mCPU)\n",
			       before, quota_mcpu(bemax));
		}
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		/* back to rest before the next step */
		wait_quota(in, bemax, before - 100, false, now_ms() + 10000);
		usleep(300000);
	}
	if (!n)
		return 1;
	qsort(lat, (size_t)n, sizeof(*lat), cmp);
	printf("steps %d p50 %.2f p99 %.2f max %.2f ms\n", n, lat[n / 2],
	       lat[(int)((n - 1) * 0.99)], lat[n - 1]);
	free(lat);
	return 0;
}
