// SPDX-License-Identifier: GPL-2.0-or-later
/* dpud: config file, desired-state files and state records. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dpud.h"
#include "quantity.h"

static int fail(char *err, size_t errlen, const char *file, unsigned int line,
		const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int fail(char *err, size_t errlen, const char *file, unsigned int line,
		const char *fmt, ...)
{
	char msg[DPUD_ERR_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (err && errlen)
		snprintf(err, errlen, "%s:%u: %s", file, line, msg);
	return -EINVAL;
}

/* Iterate key = value lines. cb returns 0 or -EINVAL (err set). */
typedef int (*kv_cb)(const char *file, unsigned int line, const char *key,
		     const char *val, void *arg, char *err, size_t errlen);

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int kv_parse(const char *file, const char *text, kv_cb cb, void *arg,
		    unsigned int *nlines, char *err, size_t errlen)
{
	const char *p = text;
	unsigned int line = 0;
	char buf[1024];
	int ret = 0;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char *s, *eq, *key, *val;

		line++;
		if (len >= sizeof(buf))
			return fail(err, errlen, file, line, "line too long");
		memcpy(buf, p, len);
		buf[len] = '\0';
		p += len + (nl ? 1 : 0);
		s = trim(buf);
		if (!*s || *s == '#' || *s == ';')
			continue;
		eq = strchr(s, '=');
		if (!eq)
			return fail(err, errlen, file, line,
				    "expected 'key = value'");
		*eq = '\0';
		key = trim(s);
		val = trim(eq + 1);
		if (!*key)
			return fail(err, errlen, file, line, "missing key");
		if (!*val)
			return fail(err, errlen, file, line,
				    "missing value for '%s'", key);
		ret = cb(file, line, key, val, arg, err, errlen);
		if (ret)
			return ret;
	}
	if (nlines)
		*nlines = line;
	return 0;
}

bool dpud_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (!n || n >= DPUD_NAME_LEN || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("_.-", *s))
			return false;
	return true;
}

int dpud_parse_duration_ms(const char *s, uint32_t *ms)
{
	unsigned long long v;
	char *end;
	uint64_t mul;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	if (!strcmp(end, "ms"))
		mul = 1;
	else if (!strcmp(end, "s") || !*end)
		mul = 1000;
	else if (!strcmp(end, "m"))
		mul = 60000;
	else
		return -EINVAL;
	if (!v || v * mul > UINT32_MAX || v > UINT32_MAX)
		return -EINVAL;
	*ms = (uint32_t)(v * mul);
	return 0;
}

/* Kubernetes quantities (lib/quantity.c), as dpu-provider reads them */
int dpud_parse_cpu_milli(const char *s, uint64_t *milli)
{
	int64_t v;

	if (dpu_quantity_parse(s, 1000, &v))
		return -EINVAL;
	*milli = (uint64_t)v;
	return 0;
}

int dpud_parse_bytes(const char *s, uint64_t *bytes)
{
	int64_t v;

	if (dpu_quantity_parse(s, 1, &v))
		return -EINVAL;
	*bytes = (uint64_t)v;
	return 0;
}

/* ---------------------------------------------------------------- config */
void dpud_config_defaults(struct dpud_config *c)
{
	memset(c, 0, sizeof(*c));
	strcpy(c->listen, "127.0.0.1:9477");
	strcpy(c->desired_dir, "/etc/dpupool/desired.d");
	strcpy(c->state_dir, "/var/lib/dpud");
	strcpy(c->cgroup_root, "kubepods");
	c->sample_interval_ms = 10000;
	strcpy(c->device, "dpu0");
	c->headroom_margin = 1.2;
	c->pods = 110;
	c->hook_timeout_ms = 60000;
	c->drop_capabilities = true;
	c->qos = true;
	c->nic_limits = true;
	c->nic_horizon_ms = 2000;
	strcpy(c->bpf_dir, "/sys/fs/bpf/dpupool");
	strcpy(c->kubelet_dir, "/var/lib/kubelet");
	strcpy(c->cdi_dir, "/var/run/cdi");
	c->kube_api = true;
	c->k8s_slots[0] = 16;
	c->k8s_slots[1] = 16;
	c->k8s_disk_size = 10ULL << 30;
	c->k8s_max_disk_size = 1ULL << 40;
	c->prepare_timeout_ms = 60000;
	c->node_status_interval_ms = 30000;
}

/* "blk:16, net:8" (either may be left out: 0 then) */
static int parse_slots(const char *val, uint32_t slots[2])
{
	char buf[128], *save = NULL, *tok;

	if (strlen(val) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, val);
	slots[0] = slots[1] = 0;
	for (tok = strtok_r(buf, ", ", &save); tok;
	     tok = strtok_r(NULL, ", ", &save)) {
		char *colon = strchr(tok, ':'), *end;
		unsigned long v;
		int t;

		if (!colon)
			return -EINVAL;
		*colon = '\0';
		t = !strcmp(tok, "blk") ? 0 : !strcmp(tok, "net") ? 1 : -1;
		errno = 0;
		v = strtoul(colon + 1, &end, 10);
		if (t < 0 || errno || end == colon + 1 || *end || v > 128)
			return -EINVAL;
		slots[t] = (uint32_t)v;
	}
	return 0;
}

static int copy_str(char *dst, size_t len, const char *file, unsigned int line,
		    const char *key, const char *val, char *err, size_t errlen)
{
	if (strlen(val) >= len)
		return fail(err, errlen, file, line, "value of '%s' too long",
			    key);
	strcpy(dst, val);
	return 0;
}

int dpud_split_hostport(const char *t, char *host, size_t hlen, char *port,
			size_t plen)
{
	const char *colon = strrchr(t, ':');
	size_t n;

	if (!colon || !colon[1] || strlen(colon + 1) >= plen)
		return -EINVAL;
	n = (size_t)(colon - t);
	if (t[0] == '[') {		/* [v6]:port */
		if (n < 2 || t[n - 1] != ']')
			return -EINVAL;
		t++;
		n -= 2;
	}
	if (!n || n >= hlen)
		return -EINVAL;
	memcpy(host, t, n);
	host[n] = '\0';
	strcpy(port, colon + 1);
	return 0;
}

static int listen_ok(const char *v)
{
	char host[128], p[8], *end;
	long port;

	if (!strncmp(v, "unix:", 5))
		return v[5] == '/' && strlen(v + 5) < 108;
	if (dpud_split_hostport(v, host, sizeof(host), p, sizeof(p)))
		return 0;
	port = strtol(p, &end, 10);
	return !*end && port > 0 && port < 65536;
}

static bool label_key_ok(const char *k)
{
	const char *slash = strchr(k, '/');
	const char *name = slash ? slash + 1 : k;
	size_t i, n = strlen(name);

	if (!n || n > 63 || strlen(k) > 127 || !isalnum((unsigned char)name[0]) ||
	    !isalnum((unsigned char)name[n - 1]))
		return false;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)name[i]) && !strchr("-_.", name[i]))
			return false;
	if (slash) {
		if (slash == k)
			return false;
		for (i = 0; k + i < slash; i++)
			if (!isalnum((unsigned char)k[i]) && !strchr("-.", k[i]))
				return false;
	}
	return true;
}

static bool label_val_ok(const char *v)
{
	size_t i, n = strlen(v);

	if (n > 63)
		return false;
	if (n && (!isalnum((unsigned char)v[0]) ||
		  !isalnum((unsigned char)v[n - 1])))
		return false;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)v[i]) && !strchr("-_.", v[i]))
			return false;
	return true;
}

int dpud_parse_labels(const char *s, char keys[][128], char vals[][64],
		      size_t *n)
{
	char buf[1024], *save = NULL, *tok;

	*n = 0;
	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		char *k = trim(tok), *eq = strchr(k, '=');

		if (!eq || *n >= DPUD_MAX_LABELS)
			return -EINVAL;
		*eq = '\0';
		k = trim(k);
		if (!label_key_ok(k) || !label_val_ok(trim(eq + 1)))
			return -EINVAL;
		strcpy(keys[*n], k);
		strcpy(vals[*n], trim(eq + 1));
		(*n)++;
	}
	return 0;
}

static int agent_kv(const char *file, unsigned int line, const char *key,
		    const char *val, struct dpud_config *c, char *err,
		    size_t errlen)
{
	if (!strcmp(key, "provider")) {
		if (*val && (!strchr(val, ':') || strchr(val, ' ')))
			return fail(err, errlen, file, line,
				    "bad provider address '%s' (want HOST:PORT)",
				    val);
		return copy_str(c->provider, sizeof(c->provider), file, line,
				key, val, err, errlen);
	}
	if (!strcmp(key, "provider_ca") || !strcmp(key, "provider_cert") ||
	    !strcmp(key, "provider_key") || !strcmp(key, "directive_hook")) {
		char *dst = !strcmp(key, "provider_ca") ? c->provider_ca :
			    !strcmp(key, "provider_cert") ? c->provider_cert :
			    !strcmp(key, "provider_key") ? c->provider_key :
			    c->directive_hook;

		if (*val && val[0] != '/')
			return fail(err, errlen, file, line,
				    "'%s' must be an absolute path", key);
		return copy_str(dst, PATH_MAX, file, line, key, val, err,
				errlen);
	}
	if (!strcmp(key, "provider_server_name")) {
		const char *p;

		for (p = val; *p; p++)
			if (!isalnum((unsigned char)*p) && !strchr("-.", *p))
				return fail(err, errlen, file, line,
					    "bad provider_server_name '%s'",
					    val);
		return copy_str(c->provider_server_name,
				sizeof(c->provider_server_name), file, line,
				key, val, err, errlen);
	}
	if (!strcmp(key, "serial") || !strcmp(key, "node_group")) {
		const char *p;

		for (p = val; *p; p++)
			if (!isalnum((unsigned char)*p) && !strchr("-_.", *p))
				return fail(err, errlen, file, line,
					    "bad %s '%s' (letters, digits, '-', '_', '.')",
					    key, val);
		if (!strcmp(key, "serial"))
			return copy_str(c->serial, sizeof(c->serial), file,
					line, key, val, err, errlen);
		return copy_str(c->node_group, sizeof(c->node_group), file,
				line, key, val, err, errlen);
	}
	if (!strcmp(key, "labels")) {
		char k[DPUD_MAX_LABELS][128], v[DPUD_MAX_LABELS][64];
		size_t n;

		if (dpud_parse_labels(val, k, v, &n))
			return fail(err, errlen, file, line,
				    "bad labels '%s' (k=v,k=v with Kubernetes label syntax, at most %d)",
				    val, DPUD_MAX_LABELS);
		return copy_str(c->labels, sizeof(c->labels), file, line, key,
				val, err, errlen);
	}
	if (!strcmp(key, "pods")) {
		char *end;
		unsigned long v = strtoul(val, &end, 10);

		if (!*val || *end || v < 1 || v > 100000)
			return fail(err, errlen, file, line,
				    "bad pods '%s' (1 to 100000)", val);
		c->pods = (uint32_t)v;
		return 0;
	}
	return fail(err, errlen, file, line, "unknown key '%s'", key);
}

static int config_kv(const char *file, unsigned int line, const char *key,
		     const char *val, void *arg, char *err, size_t errlen)
{
	struct dpud_config *c = arg;

	if (!strcmp(key, "listen")) {
		if (!listen_ok(val))
			return fail(err, errlen, file, line,
				    "bad listen address '%s' (want HOST:PORT or unix:/PATH)",
				    val);
		return copy_str(c->listen, sizeof(c->listen), file, line, key,
				val, err, errlen);
	}
	if (!strcmp(key, "desired_dir") || !strcmp(key, "state_dir")) {
		if (val[0] != '/')
			return fail(err, errlen, file, line,
				    "'%s' must be an absolute path", key);
		if (!strcmp(key, "desired_dir"))
			return copy_str(c->desired_dir, sizeof(c->desired_dir),
					file, line, key, val, err, errlen);
		return copy_str(c->state_dir, sizeof(c->state_dir), file,
				line, key, val, err, errlen);
	}
	if (!strcmp(key, "cgroup_root") || !strcmp(key, "besteffort_root")) {
		if (strstr(val, ".."))
			return fail(err, errlen, file, line,
				    "bad %s '%s' (a path under /sys/fs/cgroup)",
				    key, val);
		return copy_str(!strcmp(key, "cgroup_root") ? c->cgroup_root :
				c->besteffort_root, PATH_MAX, file, line, key,
				val, err, errlen);
	}
	if (!strcmp(key, "reserve_cpu")) {
		if (dpud_parse_cpu_milli(val, &c->reserve_cpu_milli))
			return fail(err, errlen, file, line,
				    "bad cpu quantity '%s' (Kubernetes: 500m, 1.5)",
				    val);
		return 0;
	}
	if (!strcmp(key, "reserve_memory")) {
		if (dpud_parse_bytes(val, &c->reserve_memory))
			return fail(err, errlen, file, line,
				    "bad quantity '%s' (Kubernetes: 512Mi, 2Gi, 2G = 2*10^9)",
				    val);
		return 0;
	}
	if (!strcmp(key, "hook_timeout")) {
		if (dpud_parse_duration_ms(val, &c->hook_timeout_ms) ||
		    !c->hook_timeout_ms)
			return fail(err, errlen, file, line,
				    "bad duration '%s' (e.g. 30s, 5m)", val);
		return 0;
	}
	if (!strcmp(key, "qos_hls_cpus")) {
		if (strspn(val, "0123456789,-") != strlen(val))
			return fail(err, errlen, file, line,
				    "bad CPU list '%s' (e.g. 2-3,6)", val);
		return copy_str(c->qos_hls_cpus, sizeof(c->qos_hls_cpus), file,
				line, key, val, err, errlen);
	}
	if (!strcmp(key, "bpf_dir")) {
		if (val[0] != '/' || strstr(val, ".."))
			return fail(err, errlen, file, line,
				    "'bpf_dir' must be an absolute path on a BPF filesystem, not '%s'",
				    val);
		return copy_str(c->bpf_dir, sizeof(c->bpf_dir), file, line,
				key, val, err, errlen);
	}
	if (!strcmp(key, "kubelet_plugin")) {
		if (!strcmp(val, "none"))
			c->kubelet_plugin = DPUD_KUBELET_NONE;
		else if (!strcmp(val, "dra"))
			c->kubelet_plugin = DPUD_KUBELET_DRA;
		else if (!strcmp(val, "device-plugin"))
			c->kubelet_plugin = DPUD_KUBELET_DEVICE_PLUGIN;
		else
			return fail(err, errlen, file, line,
				    "'kubelet_plugin' takes none, dra or device-plugin, not '%s'",
				    val);
		return 0;
	}
	if (!strcmp(key, "kubelet_dir") || !strcmp(key, "cdi_dir") ||
	    !strcmp(key, "kubeconfig")) {
		char *dst = !strcmp(key, "kubelet_dir") ? c->kubelet_dir :
			    !strcmp(key, "cdi_dir") ? c->cdi_dir : c->kubeconfig;

		if (val[0] != '/' || strstr(val, ".."))
			return fail(err, errlen, file, line,
				    "'%s' must be an absolute path, not '%s'",
				    key, val);
		/* unix socket paths below kubelet_dir must fit sun_path */
		if (!strcmp(key, "kubelet_dir") && strlen(val) > 60)
			return fail(err, errlen, file, line,
				    "'kubelet_dir' is too long for the sockets below it (60 characters at most)");
		return copy_str(dst, PATH_MAX, file, line, key, val, err,
				errlen);
	}
	if (!strcmp(key, "node_name")) {
		size_t i;

		for (i = 0; val[i]; i++)
			if (!islower((unsigned char)val[i]) &&
			    !isdigit((unsigned char)val[i]) &&
			    !strchr(".-", val[i]))
				break;
		if (val[i] || i > 253 || !isalnum((unsigned char)val[0]))
			return fail(err, errlen, file, line,
				    "bad node_name '%s' (a DNS subdomain: lowercase letters, digits, '-', '.')",
				    val);
		return copy_str(c->node_name, sizeof(c->node_name), file,
				line, key, val, err, errlen);
	}
	if (!strcmp(key, "k8s_slots")) {
		if (parse_slots(val, c->k8s_slots) ||
		    c->k8s_slots[0] + c->k8s_slots[1] > 128)
			return fail(err, errlen, file, line,
				    "bad k8s_slots '%s' (e.g. blk:16, net:8; 128 in all at most: one ResourceSlice)",
				    val);
		return 0;
	}
	if (!strcmp(key, "k8s_disk_size") || !strcmp(key, "k8s_max_disk_size")) {
		uint64_t *dst = !strcmp(key, "k8s_disk_size") ?
				&c->k8s_disk_size : &c->k8s_max_disk_size;

		if (dpud_parse_bytes(val, dst) || !*dst || *dst % 4096)
			return fail(err, errlen, file, line,
				    "bad %s '%s' (a quantity, a multiple of 4096: 10Gi)",
				    key, val);
		return 0;
	}
	if (!strcmp(key, "prepare_timeout") ||
	    !strcmp(key, "node_status_interval")) {
		uint32_t *dst = !strcmp(key, "prepare_timeout") ?
				&c->prepare_timeout_ms :
				&c->node_status_interval_ms;

		if (dpud_parse_duration_ms(val, dst) || *dst < 1000 ||
		    *dst > 3600000)
			return fail(err, errlen, file, line,
				    "bad %s '%s' (1s to 1h)", key, val);
		return 0;
	}
	if (!strcmp(key, "nic_horizon")) {
		if (dpud_parse_duration_ms(val, &c->nic_horizon_ms) ||
		    c->nic_horizon_ms < 10 || c->nic_horizon_ms > 60000)
			return fail(err, errlen, file, line,
				    "bad nic_horizon '%s' (10ms to 60s)", val);
		return 0;
	}
	if (!strcmp(key, "drop_capabilities") || !strcmp(key, "nic_limits") ||
	    !strcmp(key, "delete_on_empty_start") || !strcmp(key, "qos") ||
	    !strcmp(key, "kube_api")) {
		bool *dst = !strcmp(key, "drop_capabilities") ?
			    &c->drop_capabilities : !strcmp(key, "kube_api") ?
			    &c->kube_api : !strcmp(key, "qos") ?
			    &c->qos : !strcmp(key, "nic_limits") ?
			    &c->nic_limits : &c->delete_on_empty_start;

		if (strcmp(val, "yes") && strcmp(val, "no"))
			return fail(err, errlen, file, line,
				    "'%s' takes yes or no, not '%s'", key, val);
		*dst = !strcmp(val, "yes");
		return 0;
	}
	if (!strcmp(key, "sample_interval")) {
		if (dpud_parse_duration_ms(val, &c->sample_interval_ms))
			return fail(err, errlen, file, line,
				    "bad duration '%s' (e.g. 500ms, 10s, 1m)",
				    val);
		return 0;
	}
	if (!strcmp(key, "device")) {
		if (strncmp(val, "dpu", 3) || strlen(val) >= DPU_NAME_LEN)
			return fail(err, errlen, file, line,
				    "bad device name '%s'", val);
		strcpy(c->device, val);
		return 0;
	}
	if (!strcmp(key, "headroom_margin")) {
		char *end;
		double v = strtod(val, &end);

		if (*end || !isfinite(v) || v < 1.0 || v > 10.0)
			return fail(err, errlen, file, line,
				    "bad headroom_margin '%s' (1.0 to 10.0)",
				    val);
		c->headroom_margin = v;
		return 0;
	}
	return agent_kv(file, line, key, val, c, err, errlen);
}

int dpud_config_parse(const char *fname, const char *text,
		      struct dpud_config *c, char *err, size_t errlen)
{
	int n, ret = kv_parse(fname, text, config_kv, c, NULL, err, errlen);

	if (ret)
		return ret;
	n = !!c->provider_ca[0] + !!c->provider_cert[0] + !!c->provider_key[0];
	if (n && n != 3)
		return fail(err, errlen, fname, 0,
			    "provider_ca, provider_cert and provider_key go together (mTLS) or not at all");
	if (n && !c->provider[0])
		return fail(err, errlen, fname, 0,
			    "provider_ca/cert/key given without provider");
	if (c->k8s_disk_size > c->k8s_max_disk_size)
		return fail(err, errlen, fname, 0,
			    "k8s_disk_size is larger than k8s_max_disk_size");
	return 0;
}

static char *slurp(const char *path, int *errp)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (!f) {
		*errp = -errno;
		return NULL;
	}
	do {
		if (cap - len < 4096) {
			char *nb;

			if (cap > (1 << 20)) {
				free(buf);
				fclose(f);
				*errp = -EFBIG;
				return NULL;
			}
			cap = cap ? cap * 2 : 8192;
			nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				fclose(f);
				*errp = -ENOMEM;
				return NULL;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
	} while (n);
	fclose(f);
	buf[len] = '\0';
	if (memchr(buf, '\0', len)) {
		free(buf);
		*errp = -EBADMSG;
		return NULL;
	}
	return buf;
}

int dpud_config_load(const char *path, struct dpud_config *c, char *err,
		     size_t errlen)
{
	int ret = 0;
	char *text = slurp(path, &ret);

	if (!text) {
		snprintf(err, errlen, "%s:0: cannot read: %s", path,
			 ret == -EBADMSG ? "binary file" : strerror(-ret));
		return -EINVAL;
	}
	ret = dpud_config_parse(path, text, c, err, errlen);
	free(text);
	return ret;
}

/* --------------------------------------------------------- desired state */
struct seen {
	const char *keys[16];
	unsigned int lines[16];
	int n;
};

static int seen_add(struct seen *s, const char *file, unsigned int line,
		    const char *key, const char *const *allowed, char *err,
		    size_t errlen)
{
	int i, k;

	for (k = 0; allowed[k]; k++)
		if (!strcmp(allowed[k], key))
			break;
	if (!allowed[k])
		return fail(err, errlen, file, line, "unknown key '%s'", key);
	for (i = 0; i < s->n; i++)
		if (!strcmp(s->keys[i], key))
			return fail(err, errlen, file, line,
				    "duplicate key '%s' (first on line %u)",
				    key, s->lines[i]);
	s->keys[s->n] = allowed[k];
	s->lines[s->n++] = line;
	return 0;
}

static unsigned int seen_line(const struct seen *s, const char *key)
{
	int i;

	for (i = 0; i < s->n; i++)
		if (!strcmp(s->keys[i], key))
			return s->lines[i];
	return 0;
}

struct tenant_ctx {
	struct dpud_tenant_spec *t;
	struct seen seen;
};

static const char *const tenant_keys[] = { "limits", "parent", NULL };

static int parse_limits(const char *file, unsigned int line, const char *val,
			struct dpu_limits_req *lim, char *err, size_t errlen)
{
	char buf[512], *save = NULL, *kw, *v;

	if (strlen(val) >= sizeof(buf))
		return fail(err, errlen, file, line, "limits too long");
	strcpy(buf, val);
	memset(lim, 0, sizeof(*lim));
	for (kw = strtok_r(buf, " \t", &save); kw;
	     kw = strtok_r(NULL, " \t", &save)) {
		char kind[32];
		size_t len = strlen(kw);
		bool burst = len > 6 && !strcmp(kw + len - 6, "-burst");
		uint64_t r;
		int k;

		if (len >= sizeof(kind))
			return fail(err, errlen, file, line,
				    "unknown limit '%s'", kw);
		strcpy(kind, kw);
		if (burst)
			kind[len - 6] = '\0';
		k = dpu_limit_kind_parse(kind);
		if (k < 0)
			return fail(err, errlen, file, line,
				    "unknown limit '%s'", kw);
		v = strtok_r(NULL, " \t", &save);
		if (!v)
			return fail(err, errlen, file, line,
				    "limit '%s' needs a value", kw);
		if (dpu_parse_rate(v, &r))
			return fail(err, errlen, file, line,
				    "bad rate '%s' for '%s'", v, kw);
		if (burst) {
			lim->has_burst[k] = true;
			lim->burst[k] = r;
		} else {
			lim->has_rate[k] = true;
			lim->rate[k] = r;
		}
	}
	return 0;
}

static int tenant_kv(const char *file, unsigned int line, const char *key,
		     const char *val, void *arg, char *err, size_t errlen)
{
	struct tenant_ctx *c = arg;
	int ret = seen_add(&c->seen, file, line, key, tenant_keys, err, errlen);

	if (ret)
		return ret;
	if (!strcmp(key, "parent")) {
		if (!dpud_name_ok(val))
			return fail(err, errlen, file, line,
				    "bad tenant name '%s'", val);
		if (!strcmp(val, c->t->name))
			return fail(err, errlen, file, line,
				    "tenant '%s' cannot be its own parent",
				    val);
		strcpy(c->t->parent, val);
		return 0;
	}
	c->t->has_limits = true;
	return parse_limits(file, line, val, &c->t->lim, err, errlen);
}

struct att_ctx {
	struct dpud_attach_spec *a;
	struct seen seen;
};

static const char *const att_keys[] = {
	"tenant", "type", "size", "mac", "mtu", "netns", "ifname", NULL
};

static int att_kv(const char *file, unsigned int line, const char *key,
		  const char *val, void *arg, char *err, size_t errlen)
{
	struct att_ctx *c = arg;
	struct dpud_attach_spec *a = c->a;
	int ret = seen_add(&c->seen, file, line, key, att_keys, err, errlen);

	if (ret)
		return ret;
	if (!strcmp(key, "tenant")) {
		if (!dpud_name_ok(val))
			return fail(err, errlen, file, line,
				    "bad tenant name '%s'", val);
		strcpy(a->tenant, val);
	} else if (!strcmp(key, "type")) {
		int t = dpu_fn_type_parse(val);

		if (t < 0)
			return fail(err, errlen, file, line,
				    "bad type '%s' (blk or net)", val);
		a->type = (uint8_t)t;
	} else if (!strcmp(key, "size")) {
		if (dpud_parse_bytes(val, &a->size) || !a->size)
			return fail(err, errlen, file, line,
				    "bad size '%s' (e.g. 10Gi)", val);
		if (a->size % 4096)
			return fail(err, errlen, file, line,
				    "size '%s' is %llu bytes, not a multiple of 4096 (Kubernetes quantities: 10G = 10^10 bytes, 10Gi = 10 * 2^30)",
				    val, (unsigned long long)a->size);
	} else if (!strcmp(key, "mac")) {
		if (dpu_parse_mac(val, a->mac) || (a->mac[0] & 1) ||
		    !memcmp(a->mac, "\0\0\0\0\0\0", 6))
			return fail(err, errlen, file, line,
				    "bad MAC address '%s'", val);
		a->has_mac = true;
	} else if (!strcmp(key, "mtu")) {
		char *end;
		unsigned long m = strtoul(val, &end, 10);

		if (*end || !isdigit((unsigned char)*val) || m < 68 ||
		    m > 65535)
			return fail(err, errlen, file, line,
				    "bad mtu '%s' (68 to 65535)", val);
		a->mtu = (uint32_t)m;
	} else if (!strcmp(key, "netns")) {
		if (val[0] != '/')
			return fail(err, errlen, file, line,
				    "netns must be the absolute path of a netns file");
		if (strlen(val) >= sizeof(a->netns))
			return fail(err, errlen, file, line, "netns too long");
		strcpy(a->netns, val);
	} else {	/* ifname */
		size_t i, n = strlen(val);

		if (n >= sizeof(a->ifname) || !strcmp(val, ".") ||
		    !strcmp(val, ".."))
			return fail(err, errlen, file, line,
				    "bad interface name '%s'", val);
		for (i = 0; i < n; i++)
			if (val[i] == '/' || val[i] == ':' ||
			    isspace((unsigned char)val[i]))
				return fail(err, errlen, file, line,
					    "bad interface name '%s'", val);
		strcpy(a->ifname, val);
	}
	return 0;
}

static void *grow(void *p, size_t n, size_t size)
{
	return realloc(p, (n + 1) * size);
}

int dpud_desired_parse(const char *path, const char *base, const char *text,
		       struct dpud_desired *d, char *err, size_t errlen)
{
	char name[DPUD_NAME_LEN + 16];
	size_t blen = strlen(base);
	unsigned int nlines = 0;
	int ret;

	if (blen < 6 || strcmp(base + blen - 5, ".conf") ||
	    blen - 5 >= sizeof(name))
		return fail(err, errlen, path, 0,
			    "name must be NAME.conf or tenant-NAME.conf");
	memcpy(name, base, blen - 5);
	name[blen - 5] = '\0';

	if (!strncmp(name, "tenant-", 7)) {
		struct tenant_ctx c = { 0 };
		struct dpud_tenant_spec t = { 0 }, *nt;
		size_t i;

		if (!dpud_name_ok(name + 7))
			return fail(err, errlen, path, 0,
				    "bad tenant name '%s' in the file name",
				    name + 7);
		strcpy(t.name, name + 7);
		c.t = &t;
		ret = kv_parse(path, text, tenant_kv, &c, &nlines, err, errlen);
		if (ret)
			return ret;
		for (i = 0; i < d->ntenants; i++)
			if (!strcmp(d->tenants[i].name, t.name))
				return fail(err, errlen, path, 1,
					    "duplicate tenant '%s'", t.name);
		nt = grow(d->tenants, d->ntenants, sizeof(*nt));
		if (!nt)
			return -ENOMEM;
		d->tenants = nt;
		d->tenants[d->ntenants++] = t;
		return 0;
	}

	struct att_ctx c = { 0 };
	struct dpud_attach_spec a = { 0 }, *na;
	unsigned int l;

	if (!dpud_name_ok(name))
		return fail(err, errlen, path, 0,
			    "bad attachment name '%s' in the file name", name);
	strcpy(a.name, name);
	c.a = &a;
	ret = kv_parse(path, text, att_kv, &c, &nlines, err, errlen);
	if (ret)
		return ret;
	if (!a.type)
		return fail(err, errlen, path, nlines,
			    "missing 'type' (blk or net)");
	if (!a.tenant[0])
		return fail(err, errlen, path, nlines, "missing 'tenant'");
	if (a.type == DPU_FN_TYPE_BLK) {
		static const char *const net_only[] = {
			"mac", "mtu", "netns", "ifname", NULL
		};
		int i;

		if (!a.size)
			return fail(err, errlen, path, nlines,
				    "missing 'size' for type blk");
		for (i = 0; net_only[i]; i++) {
			l = seen_line(&c.seen, net_only[i]);
			if (l)
				return fail(err, errlen, path, l,
					    "'%s' is only for type net",
					    net_only[i]);
		}
	} else {
		l = seen_line(&c.seen, "size");
		if (l)
			return fail(err, errlen, path, l,
				    "'size' is only for type blk");
	}
	na = grow(d->att, d->natt, sizeof(*na));
	if (!na)
		return -ENOMEM;
	d->att = na;
	d->att[d->natt++] = a;
	return 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int dpud_desired_load(const char *dir, struct dpud_desired *d, char *err,
		      size_t errlen)
{
	char **names = NULL, path[PATH_MAX + 256];
	size_t n = 0, i, j;
	struct dirent *de;
	DIR *dh;
	int ret = 0;

	memset(d, 0, sizeof(*d));
	dh = opendir(dir);
	if (!dh) {
		snprintf(err, errlen, "%s:0: cannot open directory: %s", dir,
			 strerror(errno));
		return -EINVAL;
	}
	while ((de = readdir(dh))) {
		size_t len = strlen(de->d_name);
		char **nn;

		if (de->d_name[0] == '.' || len < 6 ||
		    strcmp(de->d_name + len - 5, ".conf"))
			continue;
		nn = realloc(names, (n + 1) * sizeof(*names));
		if (!nn || !(nn[n] = strdup(de->d_name))) {
			names = nn ? nn : names;
			ret = -ENOMEM;
			break;
		}
		names = nn;
		n++;
	}
	closedir(dh);
	if (!ret && n)
		qsort(names, n, sizeof(*names), name_cmp);
	for (i = 0; !ret && i < n; i++) {
		char *text;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		text = slurp(path, &ret);
		if (!text) {
			snprintf(err, errlen, "%s:0: cannot read: %s", path,
				 ret == -EBADMSG ? "binary file" :
				 strerror(-ret));
			ret = -EINVAL;
			break;
		}
		ret = dpud_desired_parse(path, names[i], text, d, err, errlen);
		free(text);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	/* cross-file: parents that exist in the desired set must not loop */
	for (i = 0; !ret && i < d->ntenants; i++) {
		const char *p = d->tenants[i].parent;
		unsigned int depth = 0;

		while (*p && !ret) {
			for (j = 0; j < d->ntenants; j++)
				if (!strcmp(d->tenants[j].name, p))
					break;
			if (j == d->ntenants)
				break;
			if (++depth > DPU_TENANT_MAX_DEPTH) {
				snprintf(path, sizeof(path),
					 "%s/tenant-%s.conf", dir,
					 d->tenants[i].name);
				ret = fail(err, errlen, path, 1,
					   "tenant parents loop or nest deeper than %d",
					   DPU_TENANT_MAX_DEPTH);
			}
			p = d->tenants[j].parent;
		}
	}
	/* two NICs cannot take the same name in the same netns */
	for (i = 0; !ret && i < d->natt; i++)
		for (j = 0; j < i; j++)
			if (d->att[i].ifname[0] &&
			    !strcmp(d->att[i].ifname, d->att[j].ifname) &&
			    !strcmp(d->att[i].netns, d->att[j].netns)) {
				snprintf(path, sizeof(path), "%s/%s.conf", dir,
					 d->att[i].name);
				ret = fail(err, errlen, path, 1,
					   "ifname '%s' also used by '%s'",
					   d->att[i].ifname, d->att[j].name);
				break;
			}
	if (ret)
		dpud_desired_free(d);
	return ret;
}

void dpud_desired_free(struct dpud_desired *d)
{
	free(d->tenants);
	free(d->att);
	memset(d, 0, sizeof(*d));
}

/* ----------------------------------------------------------- state files */
int dpud_record_format(const struct dpud_record *r, char *buf, size_t len)
{
	char mac[32] = "-";

	if (r->has_mac)
		dpu_format_mac(r->mac, mac, sizeof(mac));
	return snprintf(buf, len,
			"# dpud: function created for attachment %s\n"
			"index = %u\ntype = %s\nsize = %llu\nmac = %s\nnic_done = %d\n",
			r->name, r->index, dpu_fn_type_str(r->type),
			(unsigned long long)r->size, mac, r->nic_done ? 1 : 0);
}

struct rec_ctx {
	struct dpud_record *r;
	unsigned int have;
};

static int rec_kv(const char *file, unsigned int line, const char *key,
		  const char *val, void *arg, char *err, size_t errlen)
{
	struct rec_ctx *c = arg;
	char *end;

	(void)file; (void)line; (void)err; (void)errlen;
	if (!strcmp(key, "index")) {
		unsigned long v = strtoul(val, &end, 10);

		if (*end || v > UINT32_MAX)
			return -EINVAL;
		c->r->index = (uint32_t)v;
		c->have |= 1;
	} else if (!strcmp(key, "type")) {
		int t = dpu_fn_type_parse(val);

		if (t < 0)
			return -EINVAL;
		c->r->type = (uint8_t)t;
		c->have |= 2;
	} else if (!strcmp(key, "size")) {
		c->r->size = strtoull(val, &end, 10);
		if (*end)
			return -EINVAL;
	} else if (!strcmp(key, "mac")) {
		if (strcmp(val, "-")) {
			if (dpu_parse_mac(val, c->r->mac))
				return -EINVAL;
			c->r->has_mac = true;
		}
	} else if (!strcmp(key, "nic_done")) {
		c->r->nic_done = !strcmp(val, "1");
	}
	return 0;
}

int dpud_record_parse(const char *name, const char *text,
		      struct dpud_record *r)
{
	struct rec_ctx c = { .r = r };

	memset(r, 0, sizeof(*r));
	if (!dpud_name_ok(name))
		return -EINVAL;
	strcpy(r->name, name);
	if (kv_parse(name, text, rec_kv, &c, NULL, NULL, 0) || c.have != 3)
		return -EINVAL;
	return 0;
}

int dpud_records_load(const char *dir, struct dpud_record **out, size_t *n,
		      char *err, size_t errlen)
{
	struct dpud_record *recs = NULL, r, *nr;
	char path[PATH_MAX + 256], name[DPUD_NAME_LEN + 8];
	struct dirent *de;
	size_t cnt = 0;
	DIR *dh;
	int ret = 0;

	dh = opendir(dir);
	if (!dh)
		return -errno;
	while ((de = readdir(dh))) {
		size_t len = strlen(de->d_name);
		char *text;

		if (de->d_name[0] == '.' || len < 4 || len - 3 >= sizeof(name) ||
		    strcmp(de->d_name + len - 3, ".fn"))
			continue;
		memcpy(name, de->d_name, len - 3);
		name[len - 3] = '\0';
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		text = slurp(path, &ret);
		if (text) {
			ret = dpud_record_parse(name, text, &r);
			free(text);
		}
		if (ret) {
			/*
			 * unreadable or unparsable: what dpud created is not
			 * known, so nothing may be planned (a skipped record
			 * made its function look foreign, then attached twice)
			 */
			snprintf(err, errlen, "%s: %s", path,
				 ret == -EINVAL ? "not a state record" :
				 strerror(-ret));
			ret = ret == -EINVAL ? -EBADMSG : ret;
			break;
		}
		nr = grow(recs, cnt, sizeof(*nr));
		if (!nr) {
			ret = -ENOMEM;
			break;
		}
		recs = nr;
		recs[cnt++] = r;
	}
	closedir(dh);
	if (ret) {
		free(recs);
		return ret;
	}
	*out = recs;
	*n = cnt;
	return 0;
}

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd))
		ret = -errno;
	close(fd);
	return ret;
}

int dpud_write_atomic(const char *dir, const char *name, const char *buf,
		      size_t len)
{
	char path[PATH_MAX + 256], tmp[PATH_MAX + 256];
	ssize_t n;
	int fd, ret = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	n = write(fd, buf, len);
	if (n < 0)
		ret = -errno;
	else if ((size_t)n != len)
		ret = -EIO;
	else if (fsync(fd))
		ret = -errno;
	close(fd);
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret) {
		unlink(tmp);
		return ret;
	}
	return fsync_dir(dir);
}

int dpud_record_save(const char *dir, const struct dpud_record *r)
{
	char name[DPUD_NAME_LEN + 8], buf[512];
	int len = dpud_record_format(r, buf, sizeof(buf));

	if (len < 0)
		return len;
	snprintf(name, sizeof(name), "%s.fn", r->name);
	return dpud_write_atomic(dir, name, buf, (size_t)len);
}

int dpud_record_remove(const char *dir, const char *name)
{
	char path[PATH_MAX + 256];

	snprintf(path, sizeof(path), "%s/%s.fn", dir, name);
	if (unlink(path) && errno != ENOENT)
		return -errno;
	return fsync_dir(dir);
}
