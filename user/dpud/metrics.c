// SPDX-License-Identifier: GPL-2.0-or-later
/* dpud: Prometheus text exposition, attach histogram, headroom math. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dpud.h"

const double dpud_attach_bounds[DPUD_ATTACH_BUCKETS] = {
	0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
};

void dpud_hist_observe(struct dpud_hist *h, double v)
{
	int i;

	for (i = 0; i < DPUD_ATTACH_BUCKETS; i++)
		if (v <= dpud_attach_bounds[i]) {
			h->bucket[i]++;
			break;
		}
	h->count++;
	h->sum += v;
}

/* label value escaping: backslash, double quote, newline */
static void put_label(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fprintf(f, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

static void head(FILE *f, const char *name, const char *type,
		 const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* %g prints integers without a fraction and small bounds exactly */
static void put_double(FILE *f, double v)
{
	if (v == floor(v) && fabs(v) < 1e15)
		fprintf(f, "%.0f", v);
	else
		fprintf(f, "%.9g", v);
}

char *dpud_metrics_render(const struct dpud_metrics *m, size_t *len)
{
	static const uint8_t states[] = {
		DPU_FN_STATE_CREATING, DPU_FN_STATE_READY,
		DPU_FN_STATE_REMOVING, DPU_FN_STATE_FAILED,
	};
	static const uint8_t types[] = { DPU_FN_TYPE_BLK, DPU_FN_TYPE_NET };
	const struct dpud_actual *a = m->actual;
	char *buf = NULL;
	uint64_t cum;
	size_t i, s, t;
	FILE *f;

	f = open_memstream(&buf, len);
	if (!f)
		return NULL;

	head(f, "dpud_dpu_up", "gauge",
	     "1 if the last dump of the DPU worked (functions and tenants below are from it).");
	fprintf(f, "dpud_dpu_up %d\n", m->dpu_up);
	if (m->dump_age_s >= 0) {
		head(f, "dpud_dpu_dump_age_seconds", "gauge",
		     "Seconds since the last good dump of the DPU.");
		fprintf(f, "dpud_dpu_dump_age_seconds ");
		put_double(f, floor(m->dump_age_s * 1000) / 1000);
		fprintf(f, "\n");
	}
	head(f, "dpud_state_ok", "gauge",
	     "0 while a state record is unreadable: reconciles are stopped.");
	fprintf(f, "dpud_state_ok %d\n", m->state_ok);
	head(f, "dpud_http_timeouts_total", "counter",
	     "Metrics connections dropped for sending or reading nothing in time.");
	fprintf(f, "dpud_http_timeouts_total %llu\n",
		(unsigned long long)m->conn_timeouts);

	if (m->have_actual && a) {
		head(f, "dpu_functions", "gauge",
		     "Functions of the DPU by type and state.");
		for (t = 0; t < sizeof(types); t++)
			for (s = 0; s < sizeof(states); s++) {
				uint64_t n = 0;

				for (i = 0; i < a->nfns; i++)
					n += a->fns[i].type == types[t] &&
					     a->fns[i].state == states[s];
				fprintf(f, "dpu_functions{device=\"");
				put_label(f, m->device);
				fprintf(f, "\",type=\"%s\",state=\"%s\"} %llu\n",
					dpu_fn_type_str(types[t]),
					dpu_fn_state_str(states[s]),
					(unsigned long long)n);
			}
		head(f, "dpu_function_slots_free", "gauge",
		     "Function indexes still free on the DPU.");
		fprintf(f, "dpu_function_slots_free{device=\"");
		put_label(f, m->device);
		fprintf(f, "\"} %llu\n", (unsigned long long)
			(a->max_fns > a->nfns ? a->max_fns - a->nfns : 0));

		head(f, "dpu_tenant_io_total", "counter",
		     "Block I/Os completed by the functions of a tenant.");
		for (i = 0; i < a->ntenants; i++) {
			fprintf(f, "dpu_tenant_io_total{device=\"");
			put_label(f, m->device);
			fprintf(f, "\",tenant=\"");
			put_label(f, a->tenants[i].name);
			fprintf(f, "\"} %llu\n", (unsigned long long)
				a->tenants[i].stats.blk_ios);
		}
		head(f, "dpu_tenant_bytes_total", "counter",
		     "Bytes moved by the functions of a tenant, by kind.");
		for (i = 0; i < a->ntenants; i++) {
			const struct dpu_stats *st = &a->tenants[i].stats;
			const struct { const char *k; uint64_t v; } kinds[] = {
				{ "blk", st->blk_bytes },
				{ "tx", st->tx_bytes },
				{ "rx", st->rx_bytes },
			};

			for (s = 0; s < 3; s++) {
				fprintf(f, "dpu_tenant_bytes_total{device=\"");
				put_label(f, m->device);
				fprintf(f, "\",tenant=\"");
				put_label(f, a->tenants[i].name);
				fprintf(f, "\",kind=\"%s\"} %llu\n", kinds[s].k,
					(unsigned long long)kinds[s].v);
			}
		}
		head(f, "dpu_tenant_throttled_seconds_total", "counter",
		     "Time requests of a tenant spent held back by its limits.");
		for (i = 0; i < a->ntenants; i++) {
			fprintf(f, "dpu_tenant_throttled_seconds_total{device=\"");
			put_label(f, m->device);
			fprintf(f, "\",tenant=\"");
			put_label(f, a->tenants[i].name);
			fprintf(f, "\"} ");
			put_double(f, (double)a->tenants[i].stats.throttled_ns /
					 1e9);
			fputc('\n', f);
		}
	}

	head(f, "dpu_function_attach_seconds", "histogram",
	     "Time from FN_NEW to the function being ready, for functions dpud created.");
	cum = 0;
	for (i = 0; i < DPUD_ATTACH_BUCKETS; i++) {
		cum += m->attach->bucket[i];
		fprintf(f, "dpu_function_attach_seconds_bucket{le=\"");
		put_double(f, dpud_attach_bounds[i]);
		fprintf(f, "\"} %llu\n", (unsigned long long)cum);
	}
	fprintf(f, "dpu_function_attach_seconds_bucket{le=\"+Inf\"} %llu\n",
		(unsigned long long)m->attach->count);
	fprintf(f, "dpu_function_attach_seconds_sum ");
	put_double(f, m->attach->sum);
	fprintf(f, "\ndpu_function_attach_seconds_count %llu\n",
		(unsigned long long)m->attach->count);

	head(f, "dpud_attach_failures_total", "counter",
	     "Functions dpud created that ended failed.");
	fprintf(f, "dpud_attach_failures_total %llu\n",
		(unsigned long long)m->attach_failures);
	head(f, "dpud_reconciles_total", "counter",
	     "Reconcile passes run.");
	fprintf(f, "dpud_reconciles_total %llu\n",
		(unsigned long long)m->reconciles);
	head(f, "dpud_actions_failed_total", "counter",
	     "Reconcile actions that failed.");
	fprintf(f, "dpud_actions_failed_total %llu\n",
		(unsigned long long)m->actions_failed);
	head(f, "dpud_managed_functions", "gauge",
	     "Attachments dpud holds a record of.");
	fprintf(f, "dpud_managed_functions %u\n", m->managed);

	if (m->headroom && m->headroom->valid) {
		const struct dpud_headroom *h = m->headroom;
		const struct { const char *n, *help; uint64_t cpu, mem; } r[] = {
			{ "dpud_node_capacity", "Node capacity.",
			  h->cpu_capacity_milli, h->mem_capacity },
			{ "dpud_node_allocatable",
			  "Node capacity minus the system reserve.",
			  h->cpu_allocatable_milli, h->mem_allocatable },
			{ "dpud_workload_usage",
			  "Current usage of the workloads under the cgroup root.",
			  h->cpu_usage_milli, h->mem_usage },
			{ "dpud_workload_usage_estimate",
			  "Peak usage estimate (p95 cpu, p98 memory, decaying) times the margin.",
			  h->cpu_estimate_milli, h->mem_estimate },
			{ "dpud_headroom_reclaimable",
			  "Allocatable minus the usage estimate, never less than the best-effort tier uses now: what it could use.",
			  h->cpu_reclaimable_milli, h->mem_reclaimable },
			{ "dpud_besteffort_usage",
			  "Current usage of the best-effort tier (besteffort_root).",
			  h->cpu_besteffort_milli, h->mem_besteffort },
		};
		char name[96];

		for (i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
			snprintf(name, sizeof(name), "%s_cpu_cores", r[i].n);
			head(f, name, "gauge", r[i].help);
			fprintf(f, "%s ", name);
			put_double(f, (double)r[i].cpu / 1000.0);
			fputc('\n', f);
			snprintf(name, sizeof(name), "%s_memory_bytes", r[i].n);
			head(f, name, "gauge", r[i].help);
			fprintf(f, "%s %llu\n", name,
				(unsigned long long)r[i].mem);
		}
	}
	if (m->agent) {
		static const int disp[] = {
			DPUD_DISP_JOIN, DPUD_DISP_LEAVE, DPUD_DISP_STAY_FREE,
			DPUD_DISP_UNKNOWN,
		};
		int rg, ok;

		head(f, "dpud_agent_registered", "gauge",
		     "1 once dpu-provider accepted this host's registration.");
		fprintf(f, "dpud_agent_registered %d\n", m->agent_registered);
		head(f, "dpud_agent_disposition", "gauge",
		     "What dpu-provider last said this host should be (1 = current).");
		for (i = 0; i < sizeof(disp) / sizeof(disp[0]); i++)
			fprintf(f, "dpud_agent_disposition{disposition=\"%s\"} %d\n",
				dpud_disposition_str(disp[i]),
				m->disposition == disp[i]);
		head(f, "dpud_agent_calls_total", "counter",
		     "Calls to dpu-provider's Agent service by RPC and result.");
		for (rg = 1; rg >= 0; rg--)
			for (ok = 1; ok >= 0; ok--)
				fprintf(f, "dpud_agent_calls_total{rpc=\"%s\",result=\"%s\"} %llu\n",
					rg ? "register" : "report",
					ok ? "ok" : "error",
					(unsigned long long)m->agent_calls[rg][ok]);
	}
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* ------------------------------------------------- decaying histogram */
void dpud_dhist_init(struct dpud_dhist *h, double lo, double hi,
		     double half_life_samples)
{
	memset(h, 0, sizeof(*h));
	h->lo = lo;
	h->hi = hi;
	h->decay = pow(0.5, 1.0 / half_life_samples);
}

static double bucket_upper(const struct dpud_dhist *h, int i)
{
	/* bucket 0 holds [0, lo]; then log-spaced up to hi */
	if (i == 0)
		return h->lo;
	return h->lo * pow(h->hi / h->lo, (double)i / (DPUD_DH_BUCKETS - 1));
}

void dpud_dhist_add(struct dpud_dhist *h, double v)
{
	int i;

	for (i = 0; i < DPUD_DH_BUCKETS; i++)
		h->w[i] *= h->decay;
	for (i = 0; i < DPUD_DH_BUCKETS - 1; i++)
		if (v <= bucket_upper(h, i))
			break;
	h->w[i] += 1.0;
}

double dpud_dhist_quantile(const struct dpud_dhist *h, double q)
{
	double total = 0, acc = 0;
	int i;

	for (i = 0; i < DPUD_DH_BUCKETS; i++)
		total += h->w[i];
	if (total <= 0)
		return 0;
	for (i = 0; i < DPUD_DH_BUCKETS; i++) {
		acc += h->w[i];
		if (acc >= q * total * (1 - 1e-12))
			return bucket_upper(h, i);
	}
	return bucket_upper(h, DPUD_DH_BUCKETS - 1);
}

static uint64_t sub0(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

static uint64_t max64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

void dpud_headroom_update(struct dpud_headroom *h,
			  const struct dpud_hr_sample *s)
{
	uint64_t est_cpu = max64(s->cpu_estimate_milli, s->cpu_online_milli);
	uint64_t est_mem = max64(s->mem_estimate, s->mem_online);
	uint64_t rc, rm;

	h->cpu_capacity_milli = s->cpu_capacity_milli;
	h->mem_capacity = s->mem_capacity;
	h->cpu_allocatable_milli = sub0(s->cpu_capacity_milli,
					s->reserve_cpu_milli);
	h->mem_allocatable = sub0(s->mem_capacity, s->reserve_mem);
	h->cpu_usage_milli = s->cpu_online_milli;
	h->mem_usage = s->mem_online;
	h->cpu_estimate_milli = est_cpu;
	h->mem_estimate = est_mem;
	h->cpu_besteffort_milli = s->cpu_besteffort_milli;
	h->mem_besteffort = s->mem_besteffort;
	rc = sub0(h->cpu_allocatable_milli, est_cpu);
	rm = sub0(h->mem_allocatable, est_mem);
	if (h->valid) {
		rc = dpud_damp(h->cpu_reclaimable_milli, rc);
		rm = dpud_damp(h->mem_reclaimable, rm);
	}
	/* what best-effort pods run on now is not taken from under them */
	h->cpu_reclaimable_milli = max64(rc, s->cpu_besteffort_milli);
	h->mem_reclaimable = max64(rm, s->mem_besteffort);
	h->valid = true;
}

uint64_t dpud_damp(uint64_t old, uint64_t now)
{
	uint64_t diff = old > now ? old - now : now - old;

	if (!old)
		return now;
	/* keep old unless the change is 10% of it or more */
	return diff * 10 < old ? old : now;
}
