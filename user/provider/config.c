// SPDX-License-Identifier: GPL-2.0
/* dpu-provider config parser: "key = value" lines, '#' or ';' comments,
 * "[group NAME]" sections.  Every error names file:line and the reason. */
#include "config.h"
#include "quantity.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void pcfg_defaults(struct pcfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->listen, sizeof(cfg->listen), "127.0.0.1:8086");
	snprintf(cfg->db, sizeof(cfg->db), "dpu-provider.db");
	snprintf(cfg->gpu_label, sizeof(cfg->gpu_label), "dpupool.io/accelerator");
	cfg->hook_timeout_s = 600;
	cfg->max_attempts = 3;
	cfg->agent_report_interval_s = 30;
	cfg->max_parallel_hooks = 16;
	cfg->nautoscaler_names = 1;
	snprintf(cfg->autoscaler_names[0], PCFG_NAME_MAX, "cluster-autoscaler");
}

void pcfg_free(struct pcfg *cfg)
{
	free(cfg->groups);
	cfg->groups = NULL;
	cfg->ngroups = 0;
}

const struct pcfg_group *pcfg_group(const struct pcfg *cfg, const char *id)
{
	for (size_t i = 0; i < cfg->ngroups; i++)
		if (!strcmp(cfg->groups[i].id, id))
			return &cfg->groups[i];
	return NULL;
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	char *e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = 0;
	return s;
}

/* Kubernetes quantities, the same parser as dpud's (lib/quantity.c) */
int pcfg_parse_cpu(const char *s, int64_t *milli)
{
	/* "16" -> 16000, "500m" -> 500, "1.5" -> 1500 */
	return dpu_quantity_parse(s, 1000, milli) ? -1 : 0;
}

int pcfg_parse_bytes(const char *s, int64_t *bytes)
{
	/* "64Gi" -> 64 * 2^30, "64G" -> 64 * 10^9 */
	return dpu_quantity_parse(s, 1, bytes) ? -1 : 0;
}

int pcfg_parse_duration(const char *s, int64_t *seconds)
{
	char *end;
	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || v < 0)
		return -1;
	if (!*end || !strcmp(end, "s"))
		*seconds = v;
	else if (!strcmp(end, "m"))
		*seconds = v * 60;
	else if (!strcmp(end, "h"))
		*seconds = v * 3600;
	else
		return -1;
	return 0;
}

void pcfg_fmt_cpu(int64_t milli, char *buf, size_t len)
{
	if (milli % 1000 == 0)
		snprintf(buf, len, "%lld", (long long)(milli / 1000));
	else
		snprintf(buf, len, "%lldm", (long long)milli);
}

void pcfg_fmt_bytes(int64_t bytes, char *buf, size_t len)
{
	static const char *sfx[] = { "Ki", "Mi", "Gi", "Ti", "Pi" };
	int i = -1;
	while (i < 4 && bytes != 0 && bytes % 1024 == 0) {
		bytes /= 1024;
		i++;
	}
	if (i < 0)
		snprintf(buf, len, "%lld", (long long)bytes);
	else
		snprintf(buf, len, "%lld%s", (long long)bytes, sfx[i]);
}

struct parser {
	struct pcfg *cfg;
	const char *name;
	int line;
	char *err;
	size_t errlen;
};

__attribute__((format(printf, 3, 4)))
static int fail(struct parser *p, int line, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(p->err, p->errlen, "%s:%d: ", p->name, line);
	if (n < 0 || (size_t)n >= p->errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(p->err + n, p->errlen - n, fmt, ap);
	va_end(ap);
	return -1;
}

static int valid_name(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n >= PCFG_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!islower((unsigned char)s[i]) && !isdigit((unsigned char)s[i]) &&
		    s[i] != '-')
			return 0;
	return s[0] != '-' && s[n - 1] != '-';
}

/* Kubernetes label key: optional "prefix/" then [A-Za-z0-9._-], 1..63 */
static int valid_key(const char *s)
{
	const char *slash = strrchr(s, '/');
	const char *name = slash ? slash + 1 : s;
	if (slash && (slash == s || slash - s > 253))
		return 0;
	size_t n = strlen(name);
	if (n == 0 || n > 63)
		return 0;
	for (const char *c = s; *c; c++)
		if (!isalnum((unsigned char)*c) && !strchr("._-/", *c))
			return 0;
	return isalnum((unsigned char)name[0]) && isalnum((unsigned char)name[n - 1]);
}

static int valid_value(const char *s)
{
	size_t n = strlen(s);
	if (n > 63)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("._-", s[i]))
			return 0;
	return 1;
}

int pcfg_label_key_valid(const char *s)
{
	return valid_key(s);
}

int pcfg_label_value_valid(const char *s)
{
	return valid_value(s);
}

/* "a, b, c": names of [A-Za-z0-9._-] into out (replacing what was there) */
static int parse_names(struct parser *p, const char *k, char *v,
		       char (*out)[PCFG_NAME_MAX], size_t *n)
{
	char *save = NULL;
	*n = 0;
	for (char *t = strtok_r(v, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		t = trim(t);
		if (!*t)
			continue;
		if (!valid_value(t) || strlen(t) >= PCFG_NAME_MAX)
			return fail(p, p->line, "\"%s\": invalid entry \"%s\"", k, t);
		if (*n >= PCFG_KV_MAX)
			return fail(p, p->line, "\"%s\": more than %d entries", k, PCFG_KV_MAX);
		strcpy(out[(*n)++], t);
	}
	return 0;
}

static int copy_str(struct parser *p, char *dst, size_t dlen, const char *key,
		    const char *v)
{
	if (strlen(v) >= dlen)
		return fail(p, p->line, "value of \"%s\" too long (max %zu)", key, dlen - 1);
	strcpy(dst, v);
	return 0;
}

static int parse_int(struct parser *p, const char *key, const char *v,
		     long long lo, long long hi, long long *out)
{
	char *end;
	errno = 0;
	long long x = strtoll(v, &end, 10);
	if (!*v || *end || errno)
		return fail(p, p->line, "\"%s\": \"%s\" is not an integer", key, v);
	if (x < lo || x > hi)
		return fail(p, p->line, "\"%s\": %lld out of range [%lld, %lld]",
			    key, x, lo, hi);
	*out = x;
	return 0;
}

static int parse_bool(struct parser *p, const char *key, const char *v, int *out)
{
	if (!strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "1"))
		*out = 1;
	else if (!strcmp(v, "false") || !strcmp(v, "no") || !strcmp(v, "0"))
		*out = 0;
	else
		return fail(p, p->line, "\"%s\": \"%s\" is not a boolean", key, v);
	return 0;
}

/* "a=b, c=d" -> kv list; check_value selects label-value syntax */
static int parse_kvlist(struct parser *p, const char *key, char *v,
			struct pcfg_kv *kv, size_t *n, int resource)
{
	char *save = NULL;
	*n = 0;
	for (char *tok = strtok_r(v, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		tok = trim(tok);
		if (!*tok)
			continue;
		char *eq = strchr(tok, '=');
		if (!eq)
			return fail(p, p->line, "\"%s\": \"%s\" is not KEY=VALUE", key, tok);
		*eq = 0;
		char *k = trim(tok), *val = trim(eq + 1);
		if (!valid_key(k))
			return fail(p, p->line, "\"%s\": invalid key \"%s\"", key, k);
		if (resource) {
			long long x;
			if (parse_int(p, key, val, 0, INT32_MAX, &x))
				return -1;
		} else if (!valid_value(val)) {
			return fail(p, p->line, "\"%s\": invalid value \"%s\" for \"%s\"",
				    key, val, k);
		}
		for (size_t i = 0; i < *n; i++)
			if (!strcmp(kv[i].key, k))
				return fail(p, p->line, "\"%s\": duplicate key \"%s\"", key, k);
		if (*n >= PCFG_KV_MAX)
			return fail(p, p->line, "\"%s\": more than %d entries", key, PCFG_KV_MAX);
		strcpy(kv[*n].key, k);
		strcpy(kv[*n].value, val);
		(*n)++;
	}
	return 0;
}

/* "key=value:Effect, key:Effect" */
static int parse_taints(struct parser *p, char *v, struct pcfg_group *g)
{
	char *save = NULL;
	g->ntaints = 0;
	for (char *tok = strtok_r(v, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		tok = trim(tok);
		if (!*tok)
			continue;
		char *colon = strrchr(tok, ':');
		if (!colon)
			return fail(p, p->line, "\"taints\": \"%s\" lacks \":EFFECT\"", tok);
		*colon = 0;
		const char *eff = trim(colon + 1);
		if (strcmp(eff, "NoSchedule") && strcmp(eff, "PreferNoSchedule") &&
		    strcmp(eff, "NoExecute"))
			return fail(p, p->line,
				    "\"taints\": effect \"%s\" is not NoSchedule, PreferNoSchedule or NoExecute",
				    eff);
		char *eq = strchr(tok, '=');
		const char *val = "";
		if (eq) {
			*eq = 0;
			val = trim(eq + 1);
		}
		const char *k = trim(tok);
		if (!valid_key(k))
			return fail(p, p->line, "\"taints\": invalid key \"%s\"", k);
		if (!valid_value(val))
			return fail(p, p->line, "\"taints\": invalid value \"%s\"", val);
		if (g->ntaints >= PCFG_KV_MAX)
			return fail(p, p->line, "\"taints\": more than %d entries", PCFG_KV_MAX);
		struct pcfg_taint *t = &g->taints[g->ntaints++];
		strcpy(t->key, k);
		strcpy(t->value, val);
		strcpy(t->effect, eff);
	}
	return 0;
}

static int global_key(struct parser *p, const char *k, char *v)
{
	struct pcfg *c = p->cfg;
	long long x;

	if (!strcmp(k, "listen"))
		return copy_str(p, c->listen, sizeof(c->listen), k, v);
	if (!strcmp(k, "db"))
		return copy_str(p, c->db, sizeof(c->db), k, v);
	if (!strcmp(k, "provision_hook"))
		return copy_str(p, c->provision_hook, sizeof(c->provision_hook), k, v);
	if (!strcmp(k, "deprovision_hook"))
		return copy_str(p, c->deprovision_hook, sizeof(c->deprovision_hook), k, v);
	if (!strcmp(k, "tls_cert"))
		return copy_str(p, c->tls_cert, sizeof(c->tls_cert), k, v);
	if (!strcmp(k, "tls_key"))
		return copy_str(p, c->tls_key, sizeof(c->tls_key), k, v);
	if (!strcmp(k, "tls_ca"))
		return copy_str(p, c->tls_ca, sizeof(c->tls_ca), k, v);
	if (!strcmp(k, "gpu_label")) {
		if (!valid_key(v))
			return fail(p, p->line, "\"gpu_label\": invalid label key \"%s\"", v);
		return copy_str(p, c->gpu_label, sizeof(c->gpu_label), k, v);
	}
	if (!strcmp(k, "gpu_types"))
		return parse_names(p, k, v, c->gpu_types, &c->ngpu_types);
	if (!strcmp(k, "hook_timeout")) {
		int64_t s;
		if (pcfg_parse_duration(v, &s) || s <= 0 || s > 86400)
			return fail(p, p->line, "\"hook_timeout\": \"%s\" is not a duration between 1s and 24h", v);
		c->hook_timeout_s = (int)s;
		return 0;
	}
	if (!strcmp(k, "hook_waits_for_agent"))
		return parse_bool(p, k, v, &c->hook_waits_for_agent);
	if (!strcmp(k, "insecure_agents"))
		return parse_bool(p, k, v, &c->insecure_agents);
	if (!strcmp(k, "autoscaler_names")) {
		if (parse_names(p, k, v, c->autoscaler_names, &c->nautoscaler_names))
			return -1;
		if (!c->nautoscaler_names)
			return fail(p, p->line, "\"autoscaler_names\": no name");
		return 0;
	}
	if (!strcmp(k, "agent_report_interval")) {
		int64_t s;
		if (pcfg_parse_duration(v, &s) || s <= 0 || s > 3600)
			return fail(p, p->line, "\"agent_report_interval\": \"%s\" is not a duration between 1s and 1h", v);
		c->agent_report_interval_s = (int)s;
		return 0;
	}
	if (!strcmp(k, "max_attempts")) {
		if (parse_int(p, k, v, 1, 100, &x))
			return -1;
		c->max_attempts = (int)x;
		return 0;
	}
	if (!strcmp(k, "max_parallel_hooks")) {
		if (parse_int(p, k, v, 1, 1024, &x))
			return -1;
		c->max_parallel_hooks = (int)x;
		return 0;
	}
	return fail(p, p->line, "unknown key \"%s\"", k);
}

static int opt_double(struct parser *p, const char *k, const char *v, double *out)
{
	char *end;
	errno = 0;
	double d = strtod(v, &end);
	if (!*v || *end || errno || d < 0 || d > 1)
		return fail(p, p->line, "\"%s\": \"%s\" is not a number between 0 and 1", k, v);
	*out = d;
	return 0;
}

static int group_key(struct parser *p, struct pcfg_group *g, const char *k, char *v)
{
	long long x;
	int64_t q;

	if (!strcmp(k, "min") || !strcmp(k, "max")) {
		if (parse_int(p, k, v, 0, 100000, &x))
			return -1;
		*(k[1] == 'i' ? &g->min : &g->max) = (int)x;
		return 0;
	}
	if (!strcmp(k, "cpu") || !strcmp(k, "reserved_cpu")) {
		if (pcfg_parse_cpu(v, &q))
			return fail(p, p->line, "\"%s\": \"%s\" is not a CPU quantity (e.g. 16 or 500m)", k, v);
		*(k[0] == 'c' ? &g->cpu_milli : &g->reserved_cpu_milli) = q;
		return 0;
	}
	if (!strcmp(k, "memory") || !strcmp(k, "reserved_memory")) {
		if (pcfg_parse_bytes(v, &q))
			return fail(p, p->line, "\"%s\": \"%s\" is not a memory quantity (e.g. 64Gi)", k, v);
		*(k[0] == 'm' ? &g->mem_bytes : &g->reserved_mem_bytes) = q;
		return 0;
	}
	if (!strcmp(k, "pods")) {
		if (parse_int(p, k, v, 1, 100000, &x))
			return -1;
		g->pods = x;
		return 0;
	}
	if (!strcmp(k, "arch"))
		return copy_str(p, g->arch, sizeof(g->arch), k, v);
	if (!strcmp(k, "os"))
		return copy_str(p, g->os, sizeof(g->os), k, v);
	if (!strcmp(k, "labels"))
		return parse_kvlist(p, k, v, g->labels, &g->nlabels, 0);
	if (!strcmp(k, "resources"))
		return parse_kvlist(p, k, v, g->resources, &g->nresources, 1);
	if (!strcmp(k, "taints"))
		return parse_taints(p, v, g);
	if (!strcmp(k, "price_per_hour")) {
		char *end;
		errno = 0;
		double d = strtod(v, &end);
		if (!*v || *end || errno || d < 0)
			return fail(p, p->line, "\"price_per_hour\": \"%s\" is not a non-negative number", v);
		g->price_per_hour = d;
		g->has_price = 1;
		return 0;
	}
	if (!strcmp(k, "scale_down_utilization_threshold")) {
		g->has_options = 1;
		return opt_double(p, k, v, &g->opt_util);
	}
	if (!strcmp(k, "scale_down_gpu_utilization_threshold")) {
		g->has_options = 1;
		return opt_double(p, k, v, &g->opt_gpu_util);
	}
	if (!strcmp(k, "scale_down_unneeded_time") || !strcmp(k, "scale_down_unready_time") ||
	    !strcmp(k, "max_node_provision_time")) {
		int64_t s;
		if (pcfg_parse_duration(v, &s))
			return fail(p, p->line, "\"%s\": \"%s\" is not a duration (e.g. 90s, 10m, 1h)", k, v);
		g->has_options = 1;
		if (!strcmp(k, "scale_down_unneeded_time"))
			g->opt_unneeded_s = s;
		else if (!strcmp(k, "scale_down_unready_time"))
			g->opt_unready_s = s;
		else
			g->opt_provision_s = s;
		return 0;
	}
	if (!strcmp(k, "zero_or_max_node_scaling")) {
		g->has_options = 1;
		return parse_bool(p, k, v, &g->opt_zero_or_max);
	}
	if (!strcmp(k, "ignore_daemonsets_utilization")) {
		g->has_options = 1;
		return parse_bool(p, k, v, &g->opt_ignore_ds);
	}
	return fail(p, p->line, "unknown key \"%s\" in group \"%s\"", k, g->id);
}

static int finish_group(struct parser *p, struct pcfg_group *g)
{
	if (!g)
		return 0;
	if (g->max < 1)
		return fail(p, g->line, "group \"%s\": \"max\" missing or 0", g->id);
	if (g->min > g->max)
		return fail(p, g->line, "group \"%s\": min %d greater than max %d",
			    g->id, g->min, g->max);
	if (!g->cpu_milli)
		return fail(p, g->line, "group \"%s\": \"cpu\" missing", g->id);
	if (!g->mem_bytes)
		return fail(p, g->line, "group \"%s\": \"memory\" missing", g->id);
	if (g->reserved_cpu_milli >= g->cpu_milli)
		return fail(p, g->line, "group \"%s\": reserved_cpu not below cpu", g->id);
	if (g->reserved_mem_bytes >= g->mem_bytes)
		return fail(p, g->line, "group \"%s\": reserved_memory not below memory", g->id);
	return 0;
}

static struct pcfg_group *new_group(struct parser *p, const char *id)
{
	struct pcfg *c = p->cfg;
	struct pcfg_group *ng = realloc(c->groups, (c->ngroups + 1) * sizeof(*ng));
	if (!ng) {
		fail(p, p->line, "out of memory");
		return NULL;
	}
	c->groups = ng;
	struct pcfg_group *g = &c->groups[c->ngroups++];
	memset(g, 0, sizeof(*g));
	strcpy(g->id, id);
	g->line = p->line;
	g->pods = 110;
	snprintf(g->arch, sizeof(g->arch), "amd64");
	snprintf(g->os, sizeof(g->os), "linux");
	g->opt_util = g->opt_gpu_util = -1;
	g->opt_unneeded_s = g->opt_unready_s = g->opt_provision_s = -1;
	g->opt_zero_or_max = g->opt_ignore_ds = -1;
	return g;
}

int pcfg_parse_string(struct pcfg *cfg, const char *name, const char *text,
		      char *err, size_t errlen)
{
	struct parser p = { .cfg = cfg, .name = name, .err = err, .errlen = errlen };
	struct pcfg_group *g = NULL;
	size_t gi = 0;
	int in_group = 0;
	const char *s = text;

	if (errlen)
		err[0] = 0;
	while (*s) {
		const char *nl = strchr(s, '\n');
		size_t n = nl ? (size_t)(nl - s) : strlen(s);
		char buf[4096];
		p.line++;
		if (n >= sizeof(buf))
			return fail(&p, p.line, "line too long (max %zu bytes)", sizeof(buf) - 1);
		memcpy(buf, s, n);
		buf[n] = 0;
		s += n + (nl ? 1 : 0);

		char *l = trim(buf);
		if (!*l || *l == '#' || *l == ';')
			continue;
		if (*l == '[') {
			char *close = strchr(l, ']');
			if (!close || close[1])
				return fail(&p, p.line, "malformed section header \"%s\"", l);
			*close = 0;
			char *sec = trim(l + 1);
			char *sp = strpbrk(sec, " \t");
			if (!sp)
				return fail(&p, p.line, "section \"%s\": expected [group NAME]", sec);
			*sp = 0;
			char *id = trim(sp + 1);
			if (strcmp(sec, "group"))
				return fail(&p, p.line, "unknown section type \"%s\" (expected group)", sec);
			if (!valid_name(id))
				return fail(&p, p.line, "invalid group name \"%s\" (lowercase letters, digits and '-', at most %d)",
					    id, PCFG_NAME_MAX - 1);
			if (pcfg_group(cfg, id))
				return fail(&p, p.line, "duplicate group \"%s\"", id);
			if (in_group && finish_group(&p, &cfg->groups[gi]))
				return -1;
			g = new_group(&p, id);
			if (!g)
				return -1;
			gi = cfg->ngroups - 1;
			in_group = 1;
			continue;
		}
		char *eq = strchr(l, '=');
		if (!eq)
			return fail(&p, p.line, "expected KEY = VALUE, got \"%s\"", l);
		*eq = 0;
		char *k = trim(l), *v = trim(eq + 1);
		if (!*k)
			return fail(&p, p.line, "missing key before '='");
		if (!*v)
			return fail(&p, p.line, "\"%s\": empty value", k);
		if (in_group ? group_key(&p, &cfg->groups[gi], k, v) : global_key(&p, k, v))
			return -1;
	}
	if (in_group && finish_group(&p, &cfg->groups[gi]))
		return -1;
	return 0;
}

char *pcfg_slurp(const char *path, size_t *lenp, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	char *text = NULL;
	size_t cap = 0, len = 0;
	for (;;) {
		if (len + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 8192;
			char *nt = realloc(text, cap);
			if (!nt) {
				free(text);
				fclose(f);
				snprintf(err, errlen, "%s: out of memory", path);
				return NULL;
			}
			text = nt;
		}
		size_t r = fread(text + len, 1, 4096, f);
		len += r;
		if (r < 4096)
			break;
	}
	int rerr = ferror(f);
	fclose(f);
	if (rerr) {
		free(text);
		snprintf(err, errlen, "%s: read error", path);
		return NULL;
	}
	text[len] = 0;
	*lenp = len;
	return text;
}

int pcfg_parse_file(struct pcfg *cfg, const char *path, char *err, size_t errlen)
{
	size_t len;
	char *text = pcfg_slurp(path, &len, err, errlen);
	if (!text)
		return -1;
	if (memchr(text, 0, len)) {
		free(text);
		snprintf(err, errlen, "%s: contains a NUL byte", path);
		return -1;
	}
	int rc = pcfg_parse_string(cfg, path, text, err, errlen);
	free(text);
	return rc;
}
