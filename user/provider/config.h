/* dpu-provider configuration: global keys, then one [group NAME] section
 * per node group.  See provider.conf.example for the format. */
#ifndef DPUPOOL_PROVIDER_CONFIG_H
#define DPUPOOL_PROVIDER_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <limits.h>

#define PCFG_NAME_MAX   64
#define PCFG_STR_MAX    256
#define PCFG_KV_MAX     32

struct pcfg_kv {
	char key[PCFG_STR_MAX];
	char value[PCFG_STR_MAX];
};

struct pcfg_taint {
	char key[PCFG_STR_MAX];
	char value[PCFG_STR_MAX];
	char effect[32];	/* NoSchedule, PreferNoSchedule, NoExecute */
};

struct pcfg_group {
	char id[PCFG_NAME_MAX];
	int line;		/* line of the [group] header */
	int min, max;
	int64_t cpu_milli;	/* capacity */
	int64_t mem_bytes;
	int64_t pods;
	int64_t reserved_cpu_milli;
	int64_t reserved_mem_bytes;
	char arch[32], os[32];
	size_t nlabels;
	struct pcfg_kv labels[PCFG_KV_MAX];
	size_t ntaints;
	struct pcfg_taint taints[PCFG_KV_MAX];
	size_t nresources;	/* extended resources, value = integer count */
	struct pcfg_kv resources[PCFG_KV_MAX];
	int has_price;
	double price_per_hour;
	/* autoscaling options; has_options set when any is given */
	int has_options;
	double opt_util, opt_gpu_util;		/* < 0: not set */
	int64_t opt_unneeded_s, opt_unready_s, opt_provision_s; /* < 0: not set */
	int opt_zero_or_max;			/* -1 not set, else 0/1 */
	int opt_ignore_ds;			/* -1 not set, else 0/1 */
};

struct pcfg {
	char listen[PCFG_STR_MAX];
	char db[PATH_MAX];
	char provision_hook[PATH_MAX];
	char deprovision_hook[PATH_MAX];
	char tls_cert[PATH_MAX];	/* all three set: mTLS; none: plaintext */
	char tls_key[PATH_MAX];
	char tls_ca[PATH_MAX];
	int hook_timeout_s;
	int hook_waits_for_agent;	/* hook exit 0 leaves the instance creating
					 * until its agent registers */
	int agent_report_interval_s;
	/* mTLS: certificate names (CN or a SAN) that may call the autoscaler's
	 * methods; an agent's certificate must name the serial it reports */
	size_t nautoscaler_names;
	char autoscaler_names[PCFG_KV_MAX][PCFG_NAME_MAX];
	int insecure_agents;		/* plaintext: agents accepted anyway */
	int max_attempts;
	int max_parallel_hooks;
	char gpu_label[PCFG_STR_MAX];
	size_t ngpu_types;
	char gpu_types[PCFG_KV_MAX][PCFG_NAME_MAX];
	size_t ngroups;
	struct pcfg_group *groups;
};

void pcfg_defaults(struct pcfg *cfg);
/* Parse text (name is used in messages).  0 on success; otherwise -1 and
 * err holds "name:line: reason". */
int pcfg_parse_string(struct pcfg *cfg, const char *name, const char *text,
		      char *err, size_t errlen);
int pcfg_parse_file(struct pcfg *cfg, const char *path, char *err, size_t errlen);
/* Whole file, NUL-terminated (*len excludes the NUL; the text may hold
 * NUL bytes).  NULL on error with err = "path: reason". */
char *pcfg_slurp(const char *path, size_t *len, char *err, size_t errlen);
void pcfg_free(struct pcfg *cfg);
const struct pcfg_group *pcfg_group(const struct pcfg *cfg, const char *id);

/* Kubernetes label syntax: [prefix/]name, and values */
int pcfg_label_key_valid(const char *s);
int pcfg_label_value_valid(const char *s);

/* Kubernetes quantity helpers (exported for tests and the template). */
int pcfg_parse_cpu(const char *s, int64_t *milli);
int pcfg_parse_bytes(const char *s, int64_t *bytes);
int pcfg_parse_duration(const char *s, int64_t *seconds);
void pcfg_fmt_cpu(int64_t milli, char *buf, size_t len);
void pcfg_fmt_bytes(int64_t bytes, char *buf, size_t len);

#endif
