/* dpu-provider inventory: node groups and instances in SQLite (WAL).
 * Every mutating call runs in one IMMEDIATE transaction and is committed
 * (synchronous=FULL) before it returns, so a reply is only sent for state
 * that survives kill -9. */
#ifndef DPUPOOL_PROVIDER_INVENTORY_H
#define DPUPOOL_PROVIDER_INVENTORY_H

#include <stddef.h>
#include <stdint.h>
#include "config.h"

struct inv;

enum inv_code {
	INV_OK = 0,
	INV_NOT_FOUND,		/* unknown group or node */
	INV_INVALID,		/* bad argument (delta sign, foreign node...) */
	INV_PRECONDITION,	/* would break min/max or delete existing nodes */
	INV_INTERNAL,		/* SQLite failure */
};

struct inv_status {
	enum inv_code code;
	char msg[512];
};

enum inv_state { INV_CREATING, INV_RUNNING, INV_DELETING, INV_DELETED };

/* cluster-autoscaler InstanceErrorClass values */
#define INV_ERR_OUT_OF_RESOURCES 1
#define INV_ERR_OTHER 99

#define INV_PROVIDER_PREFIX "dpupool://"

struct inv_group {
	char id[PCFG_NAME_MAX];
	int min, max, target;
};

struct inv_instance {
	char serial[128];
	char provider_id[160];
	char group[PCFG_NAME_MAX];
	enum inv_state state;
	int error_class;		/* 0: none */
	char error_code[64];
	char error_msg[256];
	int attempts;
	int64_t created_at, updated_at;
};

int inv_open(struct inv **out, const char *path, struct inv_status *st);
void inv_close(struct inv *inv);

/* Make the groups table match the config (new groups added with target =
 * min, min/max/shape updated, groups no longer configured deactivated). */
int inv_sync_groups(struct inv *inv, const struct pcfg *cfg, struct inv_status *st);

int inv_list_groups(struct inv *inv, struct inv_group **out, size_t *n,
		    struct inv_status *st);
int inv_get_group(struct inv *inv, const char *id, struct inv_group *g,
		  struct inv_status *st);
int inv_target_size(struct inv *inv, const char *group, int *target,
		    struct inv_status *st);
int inv_increase(struct inv *inv, const char *group, int delta,
		 struct inv_status *st);
int inv_decrease_target(struct inv *inv, const char *group, int delta,
			struct inv_status *st);
int inv_delete_nodes(struct inv *inv, const char *group,
		     const char *const *provider_ids, size_t n,
		     struct inv_status *st);
/* group[0] = 0 (and INV_OK) when the node is not one of ours */
int inv_group_for_node(struct inv *inv, const char *provider_id, char *group,
		       size_t glen, struct inv_status *st);
/* Instances of a group that are not yet deleted, oldest first. */
int inv_list_instances(struct inv *inv, const char *group,
		       struct inv_instance **out, size_t *n,
		       struct inv_status *st);
int inv_get_instance(struct inv *inv, const char *serial,
		     struct inv_instance *out, struct inv_status *st);

/* Provisioning worker side. */
/* Instances waiting for a hook run (creating, no error), or deleting. */
int inv_pending(struct inv *inv, enum inv_state state,
		struct inv_instance **out, size_t *n, struct inv_status *st);
/* Record that a hook run starts (attempts + 1). */
int inv_hook_started(struct inv *inv, const char *serial, struct inv_status *st);
/* Outcome of a provision hook: error_class 0 = success (-> running). */
int inv_provision_done(struct inv *inv, const char *serial, int error_class,
		       const char *code, const char *msg, struct inv_status *st);
/* Provision hook succeeded but the instance waits for its agent to
 * register (hook_waits_for_agent): stays creating, never re-run. */
int inv_provision_awaits_agent(struct inv *inv, const char *serial,
			       struct inv_status *st);
/* Deprovision finished: the instance leaves the group (state deleted). */
int inv_deprovision_done(struct inv *inv, const char *serial, struct inv_status *st);
/* After a restart: creating instances whose hook had started but never
 * reported are retried; those that already used max_attempts are marked
 * failed (OtherErrorClass).  Returns the number marked failed in *failed. */
int inv_recover(struct inv *inv, int max_attempts, int *failed,
		struct inv_status *st);

/* Agent registration and reports (agent.proto). */
#define INV_SLOT_TYPES_MAX 32	/* function types per report */
#define INV_SLOT_TYPE_LEN 59	/* so "dpu-<type>" is a valid resource name */

/* DPU function slots of one type.  On current backends all types draw
 * from one shared index space: counts of different types overlap. */
struct inv_slot {
	const char *type;	/* [A-Za-z0-9._-], alnum at both ends */
	uint32_t free;
	uint32_t total;		/* 0 = not reported: read as total = free */
};

#define INV_FUNCTIONS_MAX 4096	/* functions per report */
#define INV_FN_TOKEN_LEN 32	/* function type and state */
#define INV_FN_TENANT_LEN 63

/* One function of the host's DPU (HostReport.functions).  Stored in
 * reports.functions as "INDEX:TYPE:STATE:TENANT:SIZE:MAC" entries joined
 * by ",", sorted by index; MAC (with its own ':') is everything after the
 * fifth ':'. */
struct inv_function {
	uint32_t index;		/* unique in a report */
	const char *type;	/* 1..32 of [A-Za-z0-9._-] ("blk", "net") */
	const char *state;	/* the same ("creating", "ready", ...) */
	const char *tenant;	/* "" or at most 63, no ',' ':' or control chars */
	uint64_t size_bytes;
	const char *mac;	/* "" or xx:xx:xx:xx:xx:xx (hex digits) */
};

struct inv_report {
	const char *serial;
	const char *group;	/* claimed by the agent, "" = unknown */
	const char *labels;	/* "k=v,k=v" */
	const struct inv_slot *slots;	/* stored as "type=free/total,..." */
	size_t nslots;
	/* stored as functions (see struct inv_function), functions_total
	 * and functions_ready (state "ready") */
	const struct inv_function *functions;
	size_t nfunctions;
	int64_t cpu_milli, mem_bytes, pods;
	int64_t hr_cpu_milli, hr_mem_bytes, hr_pods;
};

enum inv_disposition { INV_JOIN = 1, INV_LEAVE = 2, INV_STAY_FREE = 3 };

struct inv_directive {
	enum inv_disposition disposition;
	char group[PCFG_NAME_MAX];
	char provider_id[160];
	int became_running;	/* this call moved the instance creating -> running */
};

/* 1 if type is a valid function slot type (see struct inv_slot). */
int inv_slot_type_valid(const char *type);
/* A host serial: [A-Za-z0-9._-], starting with a letter or digit */
int inv_serial_valid(const char *s);
/* A serial firmware ships when nobody set one ("To Be Filled By O.E.M.") */
int inv_serial_placeholder(const char *s);

/* 1 if s is a valid function type or state (see struct inv_function). */
int inv_fn_token_valid(const char *s);

/* Store the report (last one per serial) and decide what the host should
 * be; an instance still creating becomes running.  INV_INVALID for an
 * empty serial, a group claim that contradicts the inventory, bad
 * slots (invalid or repeated type, free > total, more than
 * INV_SLOT_TYPES_MAX types) or bad functions (invalid type, state,
 * tenant or MAC, repeated index, more than INV_FUNCTIONS_MAX). */
int inv_agent_report(struct inv *inv, const struct inv_report *r, int is_register,
		     struct inv_directive *d, struct inv_status *st);

/* What the group's hosts report: the group's running instances whose
 * agent has reported a capacity. */
struct inv_reported {
	int hosts;			/* 0: none has reported, rest is 0 */
	int64_t cpu_milli, mem_bytes;	/* smallest capacity */
	int64_t pods;			/* smallest non-zero, 0 = none reported */
	int64_t hr_cpu_milli, hr_mem_bytes;	/* largest headroom */
	size_t nslots;			/* function types, sorted by name */
	struct inv_slot_agg {
		char type[INV_SLOT_TYPE_LEN + 1];
		/* smallest total (max(total, free) per host; a host that
		 * does not list the type counts 0) */
		int64_t total;
		int64_t free;		/* largest free */
	} slots[INV_SLOT_TYPES_MAX];
};

int inv_group_reported(struct inv *inv, const char *group, struct inv_reported *out,
		       struct inv_status *st);

/* Forget reports of serials that are no instance of the inventory (or a
 * deleted one: hosts told STAY_FREE) last reported max_age_ms or more
 * ago.  Reports of live instances are kept however old; an instance's
 * report is deleted with it (inv_deprovision_done). */
/* Forget instances deleted more than max_age_ms ago (their serials are
 * never reused: the group's sequence goes on). */
int inv_purge_deleted(struct inv *inv, int64_t max_age_ms, int *purged,
		      struct inv_status *st);
int inv_expire_reports(struct inv *inv, int64_t max_age_ms, int *deleted,
		       struct inv_status *st);

#endif
