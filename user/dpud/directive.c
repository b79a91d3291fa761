// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dpud: the agent side: Register/Report timing, the host serial, the
 * provider's directive, its file and its hook.
 */
#include "dpud_int.h"

/* ---------------------------------------------------------------- agent */
void agent_arm_timer(uint32_t ms)
{
	struct itimerspec its = { 0 };

	its.it_value.tv_sec = ms / 1000;
	its.it_value.tv_nsec = (long)(ms % 1000) * 1000000L;
	if (!ms)
		its.it_value.tv_nsec = 1;
	timerfd_settime(D.atfd, 0, &its, NULL);
}

static bool serial_ok(const char *s)
{
	if (!*s || strlen(s) >= sizeof(D.serial))
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("-_.", *s))
			return false;
	return true;
}

/* config, else the DMI product serial (what a bare-metal host's BMC and
 * inventory know it by), else the host name */
void host_serial(void)
{
	char buf[256] = "";
	FILE *f;

	if (D.cfg.serial[0]) {
		snprintf(D.serial, sizeof(D.serial), "%s", D.cfg.serial);
		return;
	}
	f = fopen("/sys/class/dmi/id/product_serial", "re");
	if (f) {
		if (fgets(buf, sizeof(buf), f))
			buf[strcspn(buf, "\n")] = '\0';
		fclose(f);
	}
	if (!serial_ok(buf) && (gethostname(buf, sizeof(buf) - 1) ||
				!serial_ok(buf)))
		snprintf(buf, sizeof(buf), "unknown");
	snprintf(D.serial, sizeof(D.serial), "%s", buf);
}

void agent_send(void)
{
	static const uint8_t types[] = { DPU_FN_TYPE_BLK, DPU_FN_TYPE_NET };
	struct dpud_host_report r;
	uint8_t *buf;
	uint64_t cpu, mem;
	size_t len, i;
	int ret;

	if (dpud_agent_busy(D.agent))
		return;
	memset(&r, 0, sizeof(r));
	snprintf(r.serial, sizeof(r.serial), "%s", D.serial);
	snprintf(r.group, sizeof(r.group), "%s", D.cfg.node_group);
	dpud_parse_labels(D.cfg.labels, r.lkeys, r.lvals, &r.nlabels);
	node_capacity(&cpu, &mem);
	r.cpu_milli = (int64_t)cpu;
	r.mem_bytes = (int64_t)mem;
	r.pods = D.cfg.pods;
	if (D.headroom.valid) {
		r.hr_cpu_milli = (int64_t)D.headroom.cpu_reclaimable_milli;
		r.hr_mem_bytes = (int64_t)D.headroom.mem_reclaimable;
	}
	/* every type draws from the DPU's one index space */
	if (D.have_actual)
		for (i = 0; i < sizeof(types); i++) {
			struct dpud_slots *sl = &r.slots[r.nslots++];

			snprintf(sl->type, sizeof(sl->type), "%s",
				 dpu_fn_type_str(types[i]));
			sl->total = D.actual.max_fns;
			sl->free = D.actual.max_fns > D.actual.nfns ?
				   (uint32_t)(D.actual.max_fns - D.actual.nfns) : 0;
		}
	if (D.have_actual) {
		r.fns = D.actual.fns;
		r.nfns = D.actual.nfns;
	}
	if (dpud_report_pack(&r, !D.registered, &buf, &len)) {
		agent_arm_timer(1000);
		return;
	}
	ret = dpud_agent_call(D.agent, !D.registered, buf, len);
	free(buf);
	if (ret) {
		dpud_log("warn", "cannot start a provider call", "error=%d",
			 ret);
		agent_arm_timer(1000);
		return;
	}
	agent_arm_timer(AGENT_DEADLINE_MS);	/* the call's deadline */
}

extern char **environ;

static void run_hook(void)
{
	const struct dpud_directive *d = &D.directive;
	char e[4][256], *env[512];
	size_t n = 0;
	pid_t pid;

	if (!D.cfg.directive_hook[0])
		return;
	if (D.hook_pid > 0) {
		D.hook_again = true;	/* runs again when this one ends */
		return;
	}
	D.hook_again = false;
	snprintf(e[0], sizeof(e[0]), "DPUPOOL_DISPOSITION=%s",
		 dpud_disposition_str(d->disposition));
	snprintf(e[1], sizeof(e[1]), "DPUPOOL_GROUP=%s", d->group);
	snprintf(e[2], sizeof(e[2]), "DPUPOOL_PROVIDER_ID=%s",
		 d->provider_id);
	snprintf(e[3], sizeof(e[3]), "DPUPOOL_SERIAL=%s", D.serial);
	for (n = 0; n < 4; n++)
		env[n] = e[n];
	for (char **p = environ; *p && n < 511; p++)
		if (strncmp(*p, "DPUPOOL_", 8))
			env[n++] = *p;
	env[n] = NULL;
	pid = fork();
	if (pid == 0) {
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);	/* ignored here, not in the hook */
		setpgid(0, 0);			/* killed as a group on timeout */
		execve(D.cfg.directive_hook,
		       (char *[]){ D.cfg.directive_hook,
				   (char *)dpud_disposition_str(d->disposition),
				   NULL }, env);
		_exit(127);
	}
	if (pid < 0) {
		dpud_log("error", "cannot run the directive hook",
			 "hook=%s error=\"%s\"", D.cfg.directive_hook,
			 strerror(errno));
		return;
	}
	D.hook_pid = pid;
	clock_gettime(CLOCK_MONOTONIC, &D.hook_start);
	dpud_log("info", "directive hook started", "hook=%s pid=%d disposition=%s",
		 D.cfg.directive_hook, (int)pid,
		 dpud_disposition_str(d->disposition));
}

/* A hook (and whatever it started) past its time is killed. */
void hook_deadline(void)
{
	if (D.hook_pid <= 0 ||
	    dpud_since(&D.hook_start) < D.cfg.hook_timeout_ms / 1000.0)
		return;
	dpud_log("error", "directive hook timed out, killed",
		 "hook=%s pid=%d timeout_ms=%u", D.cfg.directive_hook,
		 (int)D.hook_pid, D.cfg.hook_timeout_ms);
	kill(-D.hook_pid, SIGKILL);
	kill(D.hook_pid, SIGKILL);
}

void reap_children(void)
{
	int st;
	pid_t pid;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		if (pid != D.hook_pid)
			continue;
		D.hook_pid = 0;
		if (WIFEXITED(st) && !WEXITSTATUS(st))
			dpud_log("info", "directive hook done", "pid=%d",
				 (int)pid);
		else
			dpud_log("warn", "directive hook failed",
				 "pid=%d status=%d", (int)pid,
				 WIFEXITED(st) ? WEXITSTATUS(st) :
				 128 + WTERMSIG(st));
		if (D.hook_again)
			run_hook();
	}
}

static void directive_apply(const struct dpud_directive *d)
{
	char buf[512];
	int n, ret;
	bool changed = !D.have_directive ||
		       d->disposition != D.directive.disposition ||
		       strcmp(d->group, D.directive.group) ||
		       strcmp(d->provider_id, D.directive.provider_id);

	D.directive = *d;
	D.have_directive = true;
	if (!changed)
		return;
	dpud_log("info", "directive", "disposition=%s group=%s provider_id=%s message=\"%s\"",
		 dpud_disposition_str(d->disposition), d->group,
		 d->provider_id, d->message);
	n = dpud_directive_format(d, buf, sizeof(buf));
	ret = n < 0 ? n : dpud_write_atomic(D.cfg.state_dir, "directive", buf,
				       (size_t)n);
	if (ret)
		dpud_log("error", "cannot write the directive file",
			 "dir=%s error=\"%s\"", D.cfg.state_dir,
			 strerror(-ret));
	run_hook();
}

void agent_result(const struct dpud_agent_result *res)
{
	uint32_t interval;

	D.agent_calls[res->reg][res->code == 0]++;
	if (res->code) {
		/* Register is idempotent: after any failure, start over */
		D.registered = false;
		D.backoff_s = D.backoff_s ? D.backoff_s * 2 : 1;
		if (D.backoff_s > 30)
			D.backoff_s = 30;
		dpud_log("warn", "provider call failed",
			 "rpc=%s code=%d error=\"%s\" retry_in=%us",
			 res->reg ? "Register" : "Report", res->code,
			 res->msg, D.backoff_s);
		agent_arm_timer(D.backoff_s * 1000);
		return;
	}
	if (res->reg)
		dpud_log("info", "registered with the provider",
			 "serial=%s provider=%s disposition=%s seconds=%.3f",
			 D.serial, D.cfg.provider,
			 dpud_disposition_str(res->d.disposition),
			 res->seconds);
	D.registered = true;
	D.backoff_s = 0;
	directive_apply(&res->d);
	interval = res->d.interval_s > 0 && res->d.interval_s <= 3600 ?
		   (uint32_t)res->d.interval_s : 10;
	agent_arm_timer(interval * 1000);
}
