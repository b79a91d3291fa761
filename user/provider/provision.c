// SPDX-License-Identifier: GPL-2.0
/* Hook runner.  A hook is started as
 *     HOOK provision|deprovision SERIAL PROVIDER_ID GROUP
 * with DPUPOOL_ACTION, DPUPOOL_SERIAL, DPUPOOL_PROVIDER_ID, DPUPOOL_GROUP,
 * DPUPOOL_ATTEMPT and the group's shape (DPUPOOL_CPU, DPUPOOL_MEMORY,
 * DPUPOOL_PODS) in its environment, stdin on /dev/null, stdout+stderr
 * captured (the last line becomes the error message).  Exit 0: success;
 * exit 3: out of resources; anything else, a signal or the timeout: other
 * error.  Hooks die with the provider (PR_SET_PDEATHSIG); after a restart
 * interrupted provisions are run again (hooks must be idempotent). */
#include "provision.h"
#include "inventory.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

struct job {
	int used;
	int deprovision;
	pid_t pid;
	int fd;
	time_t started;
	char serial[128];
	char out[512];		/* tail of the hook's output */
	size_t outlen;
};

struct backoff {
	char serial[128];
	time_t until;
};

struct prov {
	const struct pcfg *cfg;
	struct inv *inv;
	pthread_t th;
	int efd;
	volatile int stop;
	int njobs;
	struct job *jobs;
	struct backoff bo[64];
};

void prov_log(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "dpu-provider: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static struct job *find_job(struct prov *p, const char *serial)
{
	for (int i = 0; i < p->njobs; i++)
		if (p->jobs[i].used && !strcmp(p->jobs[i].serial, serial))
			return &p->jobs[i];
	return NULL;
}

static struct job *free_job(struct prov *p)
{
	for (int i = 0; i < p->njobs; i++)
		if (!p->jobs[i].used)
			return &p->jobs[i];
	return NULL;
}

static int backed_off(struct prov *p, const char *serial)
{
	time_t now = time(NULL);
	for (size_t i = 0; i < 64; i++)
		if (p->bo[i].until > now && !strcmp(p->bo[i].serial, serial))
			return 1;
	return 0;
}

static void back_off(struct prov *p, const char *serial, int secs)
{
	size_t pick = 0;
	for (size_t i = 0; i < 64; i++)
		if (p->bo[i].until < p->bo[pick].until)
			pick = i;
	snprintf(p->bo[pick].serial, sizeof(p->bo[pick].serial), "%s", serial);
	p->bo[pick].until = time(NULL) + secs;
}

static int spawn(struct prov *p, struct job *j, const char *hook,
		 const struct inv_instance *in)
{
	const struct pcfg_group *g = pcfg_group(p->cfg, in->group);
	char env[10][PCFG_STR_MAX + 32];
	size_t nenv = 0, nold = 0;
	while (environ[nold])
		nold++;
	char **envp = calloc(nold + 11, sizeof(char *));
	if (!envp)
		return -1;
	size_t k = 0;
	for (size_t i = 0; i < nold; i++)
		if (strncmp(environ[i], "DPUPOOL_", 8))
			envp[k++] = environ[i];
	const char *action = j->deprovision ? "deprovision" : "provision";
	snprintf(env[nenv++], sizeof(env[0]), "DPUPOOL_ACTION=%s", action);
	snprintf(env[nenv++], sizeof(env[0]), "DPUPOOL_SERIAL=%s", in->serial);
	snprintf(env[nenv++], sizeof(env[0]), "DPUPOOL_PROVIDER_ID=%s", in->provider_id);
	snprintf(env[nenv++], sizeof(env[0]), "DPUPOOL_GROUP=%s", in->group);
	snprintf(env[nenv++], sizeof(env[0]), "DPUPOOL_ATTEMPT=%d", in->attempts + 1);
	if (g) {
		char q[64];
		pcfg_fmt_cpu(g->cpu_milli, q, sizeof(q));
		snprintf(env[nenv++], sizeof(env[0]), "DPUPOOL_CPU=%s", q);
		pcfg_fmt_bytes(g->mem_bytes, q, sizeof(q));
		snprintf(env[nenv++], sizeof(env[0]), "DPUPOOL_MEMORY=%s", q);
		snprintf(env[nenv++], sizeof(env[0]), "DPUPOOL_PODS=%lld", (long long)g->pods);
	}
	for (size_t i = 0; i < nenv; i++)
		envp[k++] = env[i];
	envp[k] = NULL;

	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC)) {
		free(envp);
		return -1;
	}
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		free(envp);
		return -1;
	}
	if (pid == 0) {
		/*
		 * A guardian: leader of the hook's process group, it runs the
		 * hook and takes the whole group down when the provider dies
		 * (even by kill -9: PR_SET_PDEATHSIG), so what a hook started
		 * in its group does not outlive the provider. Only
		 * async-signal-safe calls from here on.
		 */
		setpgid(0, 0);
		sigset_t term, none;
		sigemptyset(&term);
		sigaddset(&term, SIGTERM);
		sigaddset(&term, SIGCHLD);
		sigprocmask(SIG_BLOCK, &term, NULL);
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(127);
		/* no O_CLOEXEC: it may itself land on fd 0 */
		int nul = open("/dev/null", O_RDONLY);
		if (nul >= 0)
			dup2(nul, 0);
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		if (nul > 2)
			close(nul);
		pid_t hook_pid = fork();
		if (hook_pid == 0) {
			sigemptyset(&none);
			sigprocmask(SIG_SETMASK, &none, NULL);
			char *argv[] = { (char *)hook, (char *)action, (char *)in->serial,
					 (char *)in->provider_id, (char *)in->group, NULL };
			execve(hook, argv, envp);
			static const char m[] = "cannot execute hook\n";
			ssize_t w = write(2, m, sizeof(m) - 1);
			(void)w;
			_exit(126);
		}
		if (hook_pid < 0)
			_exit(126);
		for (;;) {
			int sig = 0, st;
			sigwait(&term, &sig);
			if (sig == SIGTERM) {
				/* the provider died or stops: the group goes */
				kill(0, SIGKILL);
				_exit(128 + SIGKILL);
			}
			if (waitpid(hook_pid, &st, WNOHANG) != hook_pid)
				continue;
			if (WIFEXITED(st))
				_exit(WEXITSTATUS(st));
			/* killed: die the same way, for the provider to see */
			signal(WTERMSIG(st), SIG_DFL);
			sigemptyset(&none);
			sigprocmask(SIG_SETMASK, &none, NULL);
			kill(getpid(), WTERMSIG(st));
			_exit(128 + WTERMSIG(st));
		}
	}
	close(pfd[1]);
	free(envp);
	fcntl(pfd[0], F_SETFL, O_NONBLOCK);
	j->used = 1;
	j->pid = pid;
	j->fd = pfd[0];
	j->started = time(NULL);
	j->outlen = 0;
	j->out[0] = 0;
	snprintf(j->serial, sizeof(j->serial), "%s", in->serial);
	prov_log("%s %s: hook started (pid %d, attempt %d)", action, in->serial,
	         (int)pid, in->attempts + 1);
	return 0;
}

static void drain(struct job *j)
{
	char buf[1024];
	ssize_t n = -1;
	while (j->fd >= 0 && (n = read(j->fd, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			if (j->outlen + 1 >= sizeof(j->out)) {
				memmove(j->out, j->out + 256, j->outlen - 256);
				j->outlen -= 256;
			}
			j->out[j->outlen++] = buf[i];
		}
		j->out[j->outlen] = 0;
	}
	if (n == 0 && j->fd >= 0) {
		close(j->fd);
		j->fd = -1;
	}
}

static void last_line(const struct job *j, char *dst, size_t len)
{
	char tmp[sizeof(j->out)];
	snprintf(tmp, sizeof(tmp), "%s", j->out);
	char *e = tmp + strlen(tmp);
	while (e > tmp && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' '))
		*--e = 0;
	const char *s = strrchr(tmp, '\n');
	s = s ? s + 1 : tmp;
	size_t l = strlen(s);
	if (len == 0)
		return;
	if (l >= len)
		l = len - 1;
	memcpy(dst, s, l);
	dst[l] = 0;
}

static void finish(struct prov *p, struct job *j, int wstatus, int timed_out)
{
	struct inv_status st;
	char line[200], msg[300];
	drain(j);
	last_line(j, line, sizeof(line));
	int success = !timed_out && WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0;
	int cls = INV_ERR_OTHER;
	const char *code = "ProvisionFailed";
	if (timed_out) {
		snprintf(msg, sizeof(msg), "hook timed out after %ds%s%s",
			 p->cfg->hook_timeout_s, *line ? ": " : "", line);
		code = "ProvisionTimeout";
	} else if (WIFEXITED(wstatus)) {
		if (WEXITSTATUS(wstatus) == PROV_EXIT_OUT_OF_RESOURCES) {
			cls = INV_ERR_OUT_OF_RESOURCES;
			code = "OutOfResources";
		}
		snprintf(msg, sizeof(msg), "hook exited with status %d%s%s",
			 WEXITSTATUS(wstatus), *line ? ": " : "", line);
	} else {
		snprintf(msg, sizeof(msg), "hook killed by signal %d%s%s",
			 WTERMSIG(wstatus), *line ? ": " : "", line);
	}
	if (j->deprovision) {
		if (success) {
			if (inv_deprovision_done(p->inv, j->serial, &st))
				prov_log("%s: %s", j->serial, st.msg);
			else
				prov_log("deprovision %s: done", j->serial);
		} else {
			prov_log("deprovision %s failed (%s); retrying in 10s", j->serial, msg);
			back_off(p, j->serial, 10);
		}
	} else {
		if (success && p->cfg->hook_waits_for_agent) {
			if (inv_provision_awaits_agent(p->inv, j->serial, &st))
				prov_log("%s: %s", j->serial, st.msg);
			else
				prov_log("provision %s: hook done, waiting for the agent", j->serial);
		} else if (inv_provision_done(p->inv, j->serial, success ? 0 : cls,
					      success ? NULL : code, success ? NULL : msg, &st)) {
			prov_log("%s: %s", j->serial, st.msg);
		} else {
			prov_log("provision %s: %s", j->serial, success ? "running" : msg);
		}
	}
	if (j->fd >= 0)
		close(j->fd);
	j->fd = -1;
	j->used = 0;
}

static void reap(struct prov *p)
{
	time_t now = time(NULL);
	for (int i = 0; i < p->njobs; i++) {
		struct job *j = &p->jobs[i];
		if (!j->used)
			continue;
		drain(j);
		int ws;
		pid_t r = waitpid(j->pid, &ws, WNOHANG);
		if (r == j->pid) {
			finish(p, j, ws, 0);
		} else if (now - j->started >= p->cfg->hook_timeout_s) {
			kill(-j->pid, SIGKILL);
			kill(j->pid, SIGKILL);
			waitpid(j->pid, &ws, 0);
			finish(p, j, ws, 1);
		}
	}
}

static void schedule(struct prov *p)
{
	struct inv_status st;
	struct inv_instance *v;
	size_t n;

	if (inv_pending(p->inv, INV_CREATING, &v, &n, &st) == 0) {
		for (size_t i = 0; i < n; i++) {
			if (find_job(p, v[i].serial))
				continue;
			if (!p->cfg->provision_hook[0]) {
				/* hosts are booted by someone else */
				if (p->cfg->hook_waits_for_agent)
					inv_provision_awaits_agent(p->inv, v[i].serial, &st);
				else
					inv_provision_done(p->inv, v[i].serial, 0, NULL, NULL, &st);
				continue;
			}
			struct job *j = free_job(p);
			if (!j)
				break;
			if (inv_hook_started(p->inv, v[i].serial, &st)) {
				prov_log("%s", st.msg);
				break;
			}
			j->deprovision = 0;
			if (spawn(p, j, p->cfg->provision_hook, &v[i])) {
				prov_log("provision %s: cannot start hook: %s", v[i].serial,
				         strerror(errno));
				inv_provision_done(p->inv, v[i].serial, INV_ERR_OTHER,
						   "ProvisionFailed", "cannot start provision hook", &st);
			}
		}
		free(v);
	} else {
		prov_log("%s", st.msg);
	}
	if (inv_pending(p->inv, INV_DELETING, &v, &n, &st) == 0) {
		for (size_t i = 0; i < n; i++) {
			/* a cancelled provision still running: wait for it */
			if (find_job(p, v[i].serial) || backed_off(p, v[i].serial))
				continue;
			if (!p->cfg->deprovision_hook[0]) {
				inv_deprovision_done(p->inv, v[i].serial, &st);
				continue;
			}
			struct job *j = free_job(p);
			if (!j)
				break;
			j->deprovision = 1;
			if (spawn(p, j, p->cfg->deprovision_hook, &v[i])) {
				prov_log("deprovision %s: cannot start hook: %s", v[i].serial,
				         strerror(errno));
				back_off(p, v[i].serial, 10);
			}
		}
		free(v);
	} else {
		prov_log("%s", st.msg);
	}
}

/*
 * How long the worker may sleep: it wakes for a kick (IncreaseSize,
 * DeleteNodes, a decrease, shutdown) and for hook output. While hooks run
 * it checks their timeouts each second; a back-off wakes it when it ends;
 * otherwise it rescans the inventory only every 30 s, not 10 times a
 * second.
 */
static int worker_timeout_ms(struct prov *p)
{
	time_t now = time(NULL), next = 0;
	for (int i = 0; i < p->njobs; i++)
		if (p->jobs[i].used)
			return 1000;
	for (size_t i = 0; i < 64; i++)
		if (p->bo[i].until > now && (!next || p->bo[i].until < next))
			next = p->bo[i].until;
	if (next)
		return (int)(next - now) * 1000 + 50;
	return 30000;
}

static void *worker(void *arg)
{
	struct prov *p = arg;
	while (!p->stop) {
		reap(p);
		schedule(p);
		struct pollfd pf[1 + 1024];
		int n = 0;
		pf[n].fd = p->efd;
		pf[n++].events = POLLIN;
		for (int i = 0; i < p->njobs && n < 1025; i++)
			if (p->jobs[i].used && p->jobs[i].fd >= 0) {
				pf[n].fd = p->jobs[i].fd;
				pf[n++].events = POLLIN;
			}
		if (poll(pf, n, worker_timeout_ms(p)) > 0 && (pf[0].revents & POLLIN)) {
			uint64_t x;
			ssize_t r = read(p->efd, &x, sizeof(x));
			(void)r;
		}
	}
	for (int i = 0; i < p->njobs; i++) {
		struct job *j = &p->jobs[i];
		if (!j->used)
			continue;
		kill(-j->pid, SIGKILL);
		kill(j->pid, SIGKILL);
		waitpid(j->pid, NULL, 0);
		if (j->fd >= 0)
			close(j->fd);
	}
	return NULL;
}

int prov_start(struct prov **out, const struct pcfg *cfg, const char *db_path)
{
	struct inv_status st;
	struct prov *p = calloc(1, sizeof(*p));
	if (!p)
		return -1;
	p->cfg = cfg;
	p->njobs = cfg->max_parallel_hooks;
	p->jobs = calloc(p->njobs, sizeof(*p->jobs));
	p->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (!p->jobs || p->efd < 0 || inv_open(&p->inv, db_path, &st)) {
		if (p->efd >= 0)
			close(p->efd);
		free(p->jobs);
		free(p);
		return -1;
	}
	if (pthread_create(&p->th, NULL, worker, p)) {
		inv_close(p->inv);
		close(p->efd);
		free(p->jobs);
		free(p);
		return -1;
	}
	*out = p;
	return 0;
}

void prov_kick(struct prov *p)
{
	uint64_t one = 1;
	ssize_t r = write(p->efd, &one, sizeof(one));
	(void)r;
}

void prov_stop(struct prov *p)
{
	if (!p)
		return;
	p->stop = 1;
	prov_kick(p);
	pthread_join(p->th, NULL);
	inv_close(p->inv);
	close(p->efd);
	free(p->jobs);
	free(p);
}
