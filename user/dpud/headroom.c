// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dpud: headroom, what the node could lend best-effort pods, sampled
 * from cgroup v2.
 */
#include "dpud_int.h"

/* ------------------------------------------------------------- headroom */
static bool read_u64_key(const char *path, const char *key, uint64_t *v)
{
	char line[256], fmt[64];
	unsigned long long x;
	bool ok = false;
	FILE *f = fopen(path, "re");

	if (!f)
		return false;
	if (!key) {
		ok = fscanf(f, "%llu", &x) == 1;
	} else {
		snprintf(fmt, sizeof(fmt), "%s %%llu", key);
		while (!ok && fgets(line, sizeof(line), f))
			ok = sscanf(line, fmt, &x) == 1;
	}
	fclose(f);
	if (ok)
		*v = x;
	return ok;
}

/* the machine's online CPUs (millicores) and physical memory */
void node_capacity(uint64_t *cpu_milli, uint64_t *mem)
{
	*cpu_milli = (uint64_t)sysconf(_SC_NPROCESSORS_ONLN) * 1000;
	*mem = (uint64_t)sysconf(_SC_PHYS_PAGES) *
	       (uint64_t)sysconf(_SC_PAGESIZE);
}

/* usage_usec of cpu.stat and memory.current of a cgroup under /sys/fs/cgroup */
static bool cg_usage(const char *cg, uint64_t *usec, uint64_t *mem)
{
	char path[PATH_MAX + 64];

	snprintf(path, sizeof(path), "/sys/fs/cgroup/%s/cpu.stat", cg);
	if (!read_u64_key(path, "usage_usec", usec))
		return false;
	snprintf(path, sizeof(path), "/sys/fs/cgroup/%s/memory.current", cg);
	if (!read_u64_key(path, NULL, mem))
		*mem = 0;
	return true;
}

/* the best-effort root lies below the online root (kubelet's layout):
 * its usage is part of the root's and is taken off */
static bool be_inside(void)
{
	size_t n = strlen(D.cfg.cgroup_root);

	return !strncmp(D.cfg.besteffort_root, D.cfg.cgroup_root, n) &&
	       D.cfg.besteffort_root[n] == '/';
}

void sample_headroom(void)
{
	struct dpud_hr_sample s = { 0 };
	uint64_t usec, mem, be_usec = 0, be_mem = 0, budget;
	bool be = false;
	struct timespec now;
	double dt;

	if (!cg_usage(D.cfg.cgroup_root, &usec, &mem)) {
		D.headroom.valid = false;
		return;
	}
	if (D.cfg.besteffort_root[0])
		be = cg_usage(D.cfg.besteffort_root, &be_usec, &be_mem);
	clock_gettime(CLOCK_MONOTONIC, &now);
	/* a first sample, or counters that went back (the cgroup was
	 * recreated, or the roots changed on SIGHUP): start over */
	if (!D.have_sample || (be && !D.have_be) ||
	    usec < D.last_usage_usec || (be && be_usec < D.last_be_usec)) {
		D.have_sample = true;
		D.have_be = be;
		D.last_usage_usec = usec;
		D.last_be_usec = be_usec;
		D.last_sample = now;
		return;
	}
	dt = dpud_since(&D.last_sample);
	if (dt <= 0)
		return;
	/* usec per second / 1000 = millicores */
	s.cpu_online_milli = (uint64_t)((double)(usec - D.last_usage_usec) /
					1000.0 / dt);
	s.mem_online = mem;
	if (be) {
		s.cpu_besteffort_milli = (uint64_t)((double)(be_usec -
					 D.last_be_usec) / 1000.0 / dt);
		s.mem_besteffort = be_mem;
		if (be_inside()) {
			s.cpu_online_milli = s.cpu_online_milli >
				s.cpu_besteffort_milli ? s.cpu_online_milli -
				s.cpu_besteffort_milli : 0;
			s.mem_online = mem > be_mem ? mem - be_mem : 0;
		}
	}
	D.have_be = be;
	D.last_usage_usec = usec;
	D.last_be_usec = be_usec;
	D.last_sample = now;
	dpud_dhist_add(&D.cpu_h, (double)s.cpu_online_milli);
	dpud_dhist_add(&D.mem_h, (double)s.mem_online);

	node_capacity(&s.cpu_capacity_milli, &s.mem_capacity);
	s.reserve_cpu_milli = D.cfg.reserve_cpu_milli;
	s.reserve_mem = D.cfg.reserve_memory;
	s.cpu_estimate_milli = (uint64_t)(dpud_dhist_quantile(&D.cpu_h, 0.95) *
					  D.cfg.headroom_margin);
	s.mem_estimate = (uint64_t)(dpud_dhist_quantile(&D.mem_h, 0.98) *
				    D.cfg.headroom_margin);
	dpud_headroom_update(&D.headroom, &s);
	/* what best effort may use is what dpu.ko lets it: report no more */
	if (dpud_qos_budget(&budget) &&
	    D.headroom.cpu_reclaimable_milli > budget)
		D.headroom.cpu_reclaimable_milli = budget;
}
