/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dpud's Kubernetes side: what k8s.c (claims, slots, CDI, the API server's
 * objects), dra.c (the DRA driver) and devplugin.c (the device plugin)
 * share. Not a library interface.
 */
#ifndef DPUD_K8S_INT_H
#define DPUD_K8S_INT_H

#include "dpud_int.h"
#include "grpcd.h"
#include "kube.h"
#include "k8s.h"

#define K8S_DRIVER	"dpu.dpupool.io"
#define K8S_CDI_KIND	"dpupool.io/dpu"
#define K8S_MAX_ATT	8
#define K8S_KEY_LEN	80

/* one function a claim (or an allocated device plugin device) has */
struct k8s_att {
	char name[DPUD_NAME_LEN];	/* the attachment (record) name */
	uint8_t type;			/* DPU_FN_TYPE_* */
	uint64_t size;			/* blk */
	char device[32];		/* the published device: "blk-3" */
	char request[64];		/* DRA: the claim's request */
	/* from the DPU, once ready */
	bool ready;
	uint32_t index;
	char node[64];			/* "/dev/vdb", or the NIC's name */
	bool failed;			/* gone or failed after it was ready */
};

/* A prepared claim: the file <state_dir>/claims/<key>.claim is written
 * before its functions are asked for, removed when it is unprepared. */
struct k8s_claim {
	char key[K8S_KEY_LEN];		/* DRA: the claim's UID; "dp-blk-3" */
	bool dp;			/* the device plugin's */
	char ns[64], name[254], uid[64];
	char tenant[DPUD_NAME_LEN];
	char pool[128];
	uint32_t gen;			/* device plugin: allocations so far */
	bool delivered;			/* an answer named its functions */
	int natt;
	struct k8s_att att[K8S_MAX_ATT];
	bool ready;			/* every function ready, CDI written */
	char error[256];		/* why it cannot become ready */
	struct k8s_claim *next;
};

/* A kubelet call waiting for claims to be ready (or gone) */
enum k8s_item_state { ITEM_PENDING, ITEM_OK, ITEM_FAILED };
struct k8s_item {
	char key[K8S_KEY_LEN];
	char ns[64], name[254], uid[64];
	enum k8s_item_state state;
	bool fetching;			/* reading the ResourceClaim */
	bool gone_wait;			/* unprepare: until its functions go */
	char error[512];
};

struct k8s_wait {
	uint32_t serial;		/* tells a finished wait from a new one */
	struct grpcd_call *call;	/* NULL: the kubelet went away */
	int n;
	struct k8s_item *items;
	struct timespec start;
	void (*finish)(struct k8s_wait *w);	/* all items decided */
	void *extra;			/* the protocol's */
	struct k8s_wait *next;
};

struct k8s_ctx {
	bool on;
	struct k8s_claim *claims;
	struct k8s_wait *waits;
	char node[254];
	char claims_dir[PATH_MAX + 16];
	uint32_t slots[2];		/* published now: [blk, net] */
	bool slots_known;
	int32_t numa_node;
	char backend[DPU_BACKEND_LEN];
	uint64_t prepared, prepare_failed, unprepared;
	uint64_t node_patches, node_patch_failed, slice_writes;
};

extern struct k8s_ctx K8;

/* bounded copy, always terminated (names are checked before) */
static inline void scopy(char *dst, size_t len, const char *src)
{
	size_t n = strlen(src);

	if (n >= len)
		n = len - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* k8s.c */
struct k8s_claim *k8s_claim_find(const char *key);
int k8s_claim_save(struct k8s_claim *c);	/* new or changed */
int k8s_claim_drop(const char *key);		/* file, CDI spec, memory */
int k8s_slot_check(int ntypes[2], char *err, size_t errlen);
const char *k8s_type_str(uint8_t type);
void k8s_cdi_id(const struct k8s_claim *c, int i, char *buf, size_t len);
struct k8s_wait *k8s_wait_new(struct grpcd_call *call, int n,
			      void (*finish)(struct k8s_wait *w));
void k8s_wait_check(void);
/* on_close of a kubelet call a wait answers: the wait goes on without it */
void k8s_wait_call_gone(struct grpcd_call *c, void *arg);
void k8s_kube_kick(void);
bool k8s_device_ok(const char *dev, uint8_t *type);
void k8s_env_name(const char *dev, char *buf, size_t len);

/* dra.c */
int dra_start(char *err, size_t errlen);
void dra_stop(void);
void dra_tick(void);
void dra_slots_changed(void);

/* devplugin.c */
int dp_start(char *err, size_t errlen);
void dp_stop(void);
void dp_tick(void);
void dp_devices_changed(void);

#endif /* DPUD_K8S_INT_H */
