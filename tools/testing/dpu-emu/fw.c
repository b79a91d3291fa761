// SPDX-License-Identifier: GPL-2.0
/*
 * dpu-emu: the firmware. Executes the commands the host posts in the ring
 * by driving QEMU over QMP:
 *
 *   blk: a raw node on a sparse file in --data-dir, below a chain of
 *	throttle filter nodes, one per level (the function's own group, then
 *	its tenant's, its parent's ... up to EMU_DEPTH, "dpu-free" above the
 *	top), and a virtio-blk-pci device in a free downstream port
 *   net: a hubport netdev on hub --hub (all NICs of the DPU share it) and
 *	a virtio-net-pci device
 *
 * State that must survive a firmware restart lives in the shared memory
 * (function and tenant tables), like a DPU's persistent records.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "emu.h"

#define FREE_GROUP	"dpu-free"

static struct emu *E;
static struct qmp *Q;
static char qerr[512];

static const char *const thr_keys[DPU_PCI_LIM_NR] = {
	[DPU_PCI_LIM_BLK_IOPS] = "iops-total",
	[DPU_PCI_LIM_BLK_READ_IOPS] = "iops-read",
	[DPU_PCI_LIM_BLK_WRITE_IOPS] = "iops-write",
	[DPU_PCI_LIM_BLK_BPS] = "bps-total",
	[DPU_PCI_LIM_BLK_READ_BPS] = "bps-read",
	[DPU_PCI_LIM_BLK_WRITE_BPS] = "bps-write",
};

static json_object *js(const char *s)
{
	return json_object_new_string(s);
}

static int call(const char *cmd, json_object *args)
{
	int rc = qmp_call(Q, cmd, args, NULL, qerr, sizeof(qerr));

	if (rc)
		emu_log("qmp %s: %s", cmd, qerr);
	return rc;
}

/* QEMU throttle limits of @lim: bursts are buckets of `burst` units */
static json_object *thr_limits(const struct dpu_pci_limit *lim)
{
	json_object *o = json_object_new_object();
	char key[64];

	for (unsigned int k = 0; k < DPU_PCI_LIM_NR; k++) {
		uint64_t rate = lim[k].rate, burst = lim[k].burst;

		if (!thr_keys[k])
			continue;
		json_object_object_add(o, thr_keys[k], json_object_new_int64(rate));
		snprintf(key, sizeof(key), "%s-max", thr_keys[k]);
		/* a bucket of `burst` units: max = burst for 1 s, >= rate */
		json_object_object_add(o, key, json_object_new_int64(
			rate && burst >= rate ? burst : 0));
		snprintf(key, sizeof(key), "%s-max-length", thr_keys[k]);
		json_object_object_add(o, key, json_object_new_int64(1));
	}
	return o;
}

static int group_add(const char *id, const struct dpu_pci_limit *lim)
{
	json_object *a = json_object_new_object();

	json_object_object_add(a, "qom-type", js("throttle-group"));
	json_object_object_add(a, "id", js(id));
	json_object_object_add(a, "limits", thr_limits(lim));
	return call("object-add", a);
}

static int group_set(const char *id, const struct dpu_pci_limit *lim)
{
	json_object *a = json_object_new_object();

	json_object_object_add(a, "path", js(id));
	json_object_object_add(a, "property", js("limits"));
	json_object_object_add(a, "value", thr_limits(lim));
	return call("qom-set", a);
}

static void del_object(const char *id)
{
	json_object *a = json_object_new_object();

	json_object_object_add(a, "id", js(id));
	call("object-del", a);
}

static void tn_group(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "dputn-%s", name);
}

static struct dpu_pci_tenant *tenant_find(const char *name)
{
	for (unsigned int i = 0; i < E->hdr->max_tenants; i++)
		if (E->tenants[i].used && !strcmp(E->tenants[i].name, name))
			return &E->tenants[i];
	return NULL;
}

/*
 * The groups of the tenant levels above a function of @tenant, bottom up:
 * @groups gets EMU_DEPTH names. Returns the number of real levels, or -1
 * if the chain is deeper than the DPU supports or broken.
 */
static int tenant_chain(const char *tenant, char groups[][96])
{
	struct dpu_pci_tenant *t = tenant[0] ? tenant_find(tenant) : NULL;
	int n = 0;

	if (tenant[0] && !t)
		return -2;
	for (; t; t = t->parent[0] ? tenant_find(t->parent) : NULL) {
		if (n == EMU_DEPTH)
			return -1;
		tn_group(groups[n++], 96, t->name);
	}
	for (int i = n; i < EMU_DEPTH; i++)
		snprintf(groups[i], 96, FREE_GROUP);
	return n;
}

static void node_name(char *buf, size_t len, unsigned int fn, int level)
{
	if (level > EMU_DEPTH)
		snprintf(buf, len, "dpufn%u-disk", fn);
	else
		snprintf(buf, len, "dpufn%u-t%d", fn, level);
}

static json_object *thr_node(unsigned int fn, int level, const char *group)
{
	json_object *o = json_object_new_object();
	char name[64], below[64];

	node_name(name, sizeof(name), fn, level);
	node_name(below, sizeof(below), fn, level + 1);
	json_object_object_add(o, "driver", js("throttle"));
	json_object_object_add(o, "node-name", js(name));
	json_object_object_add(o, "throttle-group", js(group));
	json_object_object_add(o, "file", js(below));
	return o;
}

/* Level 0 is the function's own group, 1..EMU_DEPTH its tenants'. */
static void fn_group(char *buf, size_t len, unsigned int fn)
{
	snprintf(buf, len, "dpufn%u-g", fn);
}

/* Point a present blk function's throttle nodes at its tenant chain. */
static int fn_rechain(unsigned int fn, char *msg, size_t len)
{
	char groups[EMU_DEPTH][96];
	json_object *a, *opts;
	int n;

	n = tenant_chain(E->fns[fn].tenant, groups);
	if (n < 0) {
		snprintf(msg, len, n == -2 ? "no such tenant on the DPU" :
			 "the DPU chains at most %d tenant levels", EMU_DEPTH);
		return n == -2 ? -ENOENT : -E2BIG;
	}
	opts = json_object_new_array();
	for (int l = 1; l <= EMU_DEPTH; l++)
		json_object_array_add(opts, thr_node(fn, l, groups[l - 1]));
	a = json_object_new_object();
	json_object_object_add(a, "options", opts);
	if (call("blockdev-reopen", a)) {
		snprintf(msg, len, "blockdev-reopen: %.70s", qerr);
		return -EIO;
	}
	return 0;
}

static bool device_exists(const char *id)
{
	json_object *a = json_object_new_object(), *r = NULL;
	char path[128];
	int rc;

	snprintf(path, sizeof(path), "/machine/peripheral/%s", id);
	json_object_object_add(a, "path", js(path));
	json_object_object_add(a, "property", js("type"));
	rc = qmp_call(Q, "qom-get", a, &r, qerr, sizeof(qerr));
	json_object_put(r);
	return rc == 0;
}

static void blk_path(char *buf, size_t len, unsigned int fn)
{
	snprintf(buf, len, "%s/dpu-emu%u-fn%u.img", E->cfg.data_dir, E->cfg.id, fn);
}

/* Remove whatever QEMU objects function @fn has; quiet about missing ones. */
static void fn_cleanup(unsigned int fn, unsigned int type)
{
	char name[96];
	json_object *a;

	if (type == 1) {
		for (int l = 0; l <= EMU_DEPTH + 1; l++) {
			node_name(name, sizeof(name), fn, l);
			/* a device just unplugged lets go of its node a bit later */
			for (int try = 0; try < 40; try++) {
				a = json_object_new_object();
				json_object_object_add(a, "node-name", js(name));
				if (!qmp_call(Q, "blockdev-del", a, NULL, qerr, sizeof(qerr)) ||
				    strstr(qerr, "Failed to find") || strstr(qerr, "Cannot find"))
					break;
				emu_log("blockdev-del %s: %s", name, qerr);
				usleep(50000);
			}
		}
		fn_group(name, sizeof(name), fn);
		a = json_object_new_object();
		json_object_object_add(a, "id", js(name));
		qmp_call(Q, "object-del", a, NULL, qerr, sizeof(qerr));
		blk_path(name, sizeof(name), fn);
		unlink(name);
	} else {
		snprintf(name, sizeof(name), "dpufn%u-nd", fn);
		a = json_object_new_object();
		json_object_object_add(a, "id", js(name));
		qmp_call(Q, "netdev_del", a, NULL, qerr, sizeof(qerr));
	}
}

static int slot_free(void)
{
	bool used[EMU_MAX_SLOTS] = { 0 };

	for (unsigned int i = 0; i < E->hdr->max_fns; i++)
		if (E->fns[i].state != DPU_PCI_FN_FREE &&
		    E->fns[i].slot < E->cfg.slots)
			used[E->fns[i].slot] = true;
	for (unsigned int s = 0; s < E->cfg.slots; s++)
		if (!used[s])
			return s;
	return -1;
}

static int do_attach(struct dpu_pci_cmd *c, char *msg, size_t len)
{
	unsigned int fn = c->fn, type = c->type;
	struct dpu_pci_fn *f;
	char id[64], name[128], groups[EMU_DEPTH][96], port[64];
	json_object *a;
	int slot, n, fd;

	if (fn >= E->hdr->max_fns) {
		snprintf(msg, len, "function index %u out of range", fn);
		return -EINVAL;
	}
	f = &E->fns[fn];
	if (f->state == DPU_PCI_FN_PRESENT && f->type == type) {
		c->slot = f->slot;	/* executed again after a restart */
		return 0;
	}
	if (f->state != DPU_PCI_FN_FREE) {
		snprintf(msg, len, "function index %u in use on the DPU", fn);
		return -EBUSY;
	}
	if (type != 1 && type != 2) {
		snprintf(msg, len, "function type %u not offered", type);
		return -EOPNOTSUPP;
	}
	c->tenant[DPU_PCI_NAME_LEN - 1] = '\0';
	n = tenant_chain(c->tenant, groups);
	if (n < 0) {
		snprintf(msg, len, n == -2 ? "no such tenant on the DPU" :
			 "the DPU chains at most %d tenant levels", EMU_DEPTH);
		return n == -2 ? -ENOENT : -E2BIG;
	}
	if (c->queues > E->hdr->max_queues || (type == 2 && c->queues > 1)) {
		snprintf(msg, len, type == 2 ? "this DPU gives a NIC function one queue pair" :
			 "at most %u queues", E->hdr->max_queues);
		return -ERANGE;
	}
	if (c->mtu > E->hdr->max_mtu || (c->mtu && c->mtu < 68)) {
		snprintf(msg, len, "MTU %u outside 68..%u", c->mtu, E->hdr->max_mtu);
		return -ERANGE;
	}
	if (type == 2) {
		for (unsigned int k = DPU_PCI_LIM_NET_TX_BPS; k < DPU_PCI_LIM_NR; k++)
			if (c->limits[k].rate) {
				snprintf(msg, len, "NIC limits are not enforced by this DPU");
				return -EOPNOTSUPP;
			}
	}
	slot = slot_free();
	if (slot < 0) {
		snprintf(msg, len, "no free hot-plug slot on the DPU");
		return -ENOSPC;
	}
	memset(f, 0, sizeof(*f));
	f->type = type;
	f->slot = slot;
	f->size = c->size;
	f->queues = c->queues;
	f->mtu = c->mtu;
	memcpy(f->mac, c->mac, 6);
	memcpy(f->tenant, c->tenant, sizeof(f->tenant));
	memcpy(f->limits, c->limits, sizeof(f->limits));
	__atomic_store_n(&f->state, DPU_PCI_FN_PLUGGING, __ATOMIC_SEQ_CST);

	snprintf(id, sizeof(id), "dpufn%u", fn);
	snprintf(port, sizeof(port), "%s%d", E->cfg.port_prefix, slot);
	qmp_forget(Q, id);
	if (type == 1) {
		json_object *file;

		blk_path(name, sizeof(name), fn);
		fd = open(name, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd < 0 || ftruncate(fd, c->size)) {
			snprintf(msg, len, "backing file: %s", strerror(errno));
			if (fd >= 0)
				close(fd);
			goto err;
		}
		close(fd);
		a = json_object_new_object();
		file = json_object_new_object();
		json_object_object_add(file, "driver", js("file"));
		json_object_object_add(file, "filename", js(name));
		json_object_object_add(a, "driver", js("raw"));
		node_name(name, sizeof(name), fn, EMU_DEPTH + 1);
		json_object_object_add(a, "node-name", js(name));
		json_object_object_add(a, "file", file);
		if (call("blockdev-add", a))
			goto err_qmp;
		fn_group(name, sizeof(name), fn);
		if (group_add(name, c->limits))
			goto err_qmp;
		for (int l = EMU_DEPTH; l >= 0; l--) {
			a = l ? thr_node(fn, l, groups[l - 1]) :
				thr_node(fn, 0, name);
			if (call("blockdev-add", a))
				goto err_qmp;
		}
		a = json_object_new_object();
		json_object_object_add(a, "driver", js("virtio-blk-pci"));
		json_object_object_add(a, "id", js(id));
		node_name(name, sizeof(name), fn, 0);
		json_object_object_add(a, "drive", js(name));
		json_object_object_add(a, "bus", js(port));
		snprintf(name, sizeof(name), "dpuemu%u-fn%u", E->cfg.id, fn);
		json_object_object_add(a, "serial", js(name));
		if (c->queues)
			json_object_object_add(a, "num-queues", json_object_new_int(c->queues));
		if (call("device_add", a))
			goto err_qmp;
	} else {
		char mac[32];

		a = json_object_new_object();
		snprintf(name, sizeof(name), "dpufn%u-nd", fn);
		json_object_object_add(a, "type", js("hubport"));
		json_object_object_add(a, "id", js(name));
		json_object_object_add(a, "hubid", json_object_new_int(atoi(E->cfg.hub)));
		if (call("netdev_add", a))
			goto err_qmp;
		a = json_object_new_object();
		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x",
			 c->mac[0], c->mac[1], c->mac[2], c->mac[3], c->mac[4],
			 c->mac[5]);
		json_object_object_add(a, "driver", js("virtio-net-pci"));
		json_object_object_add(a, "id", js(id));
		json_object_object_add(a, "netdev", js(name));
		json_object_object_add(a, "mac", js(mac));
		json_object_object_add(a, "bus", js(port));
		if (c->mtu)
			json_object_object_add(a, "host_mtu", json_object_new_int(c->mtu));
		if (call("device_add", a))
			goto err_qmp;
	}
	__atomic_store_n(&f->state, DPU_PCI_FN_PRESENT, __ATOMIC_SEQ_CST);
	E->ctl->attaches++;
	c->slot = slot;
	emu_log("fn %u: %s attached in slot %d (%s)", fn, type == 1 ? "blk" : "net",
		slot, port);
	return 0;

err_qmp:
	snprintf(msg, len, "QEMU: %.88s", qerr);
err:
	fn_cleanup(fn, type);
	memset(f, 0, sizeof(*f));
	return -EIO;
}

static int do_detach(struct dpu_pci_cmd *c, char *msg, size_t len)
{
	unsigned int fn = c->fn;
	struct dpu_pci_fn *f;
	char id[64];

	if (fn >= E->hdr->max_fns) {
		snprintf(msg, len, "function index %u out of range", fn);
		return -EINVAL;
	}
	f = &E->fns[fn];
	if (f->state == DPU_PCI_FN_FREE)
		return 0;
	__atomic_store_n(&f->state, DPU_PCI_FN_UNPLUGGING, __ATOMIC_SEQ_CST);
	snprintf(id, sizeof(id), "dpufn%u", fn);
	/* the host normally let go and powered the slot off: QEMU unplugged */
	if (device_exists(id)) {
		json_object *a = json_object_new_object();

		json_object_object_add(a, "id", js(id));
		call("device_del", a);
		if (!qmp_wait_deleted(Q, id, 15000)) {
			f->state = DPU_PCI_FN_PRESENT;
			snprintf(msg, len, "the host did not release slot %u", f->slot);
			return -EBUSY;
		}
	}
	fn_cleanup(fn, f->type);
	memset(f, 0, sizeof(*f));
	E->ctl->detaches++;
	emu_log("fn %u: detached", fn);
	return 0;
}

static int do_fn_limits(struct dpu_pci_cmd *c, char *msg, size_t len)
{
	struct dpu_pci_fn *f;
	char g[64];

	if (c->fn >= E->hdr->max_fns || E->fns[c->fn].state != DPU_PCI_FN_PRESENT) {
		snprintf(msg, len, "no function %u on the DPU", c->fn);
		return -ENOENT;
	}
	f = &E->fns[c->fn];
	for (unsigned int k = 0; k < DPU_PCI_LIM_NR; k++)
		if (c->limits[k].rate && (!thr_keys[k] || f->type != 1)) {
			snprintf(msg, len, "this DPU enforces disk limits only");
			return -EOPNOTSUPP;
		}
	if (f->type == 1) {
		fn_group(g, sizeof(g), c->fn);
		if (group_set(g, c->limits)) {
			snprintf(msg, len, "QEMU: %.88s", qerr);
			return -EIO;
		}
	}
	memcpy(f->limits, c->limits, sizeof(f->limits));
	return 0;
}

static int do_fn_tenant(struct dpu_pci_cmd *c, char *msg, size_t len)
{
	struct dpu_pci_fn *f;
	char old[DPU_PCI_NAME_LEN];
	int rc;

	if (c->fn >= E->hdr->max_fns || E->fns[c->fn].state != DPU_PCI_FN_PRESENT) {
		snprintf(msg, len, "no function %u on the DPU", c->fn);
		return -ENOENT;
	}
	f = &E->fns[c->fn];
	c->tenant[DPU_PCI_NAME_LEN - 1] = '\0';
	memcpy(old, f->tenant, sizeof(old));
	memcpy(f->tenant, c->tenant, sizeof(f->tenant));
	if (f->type != 1)
		return 0;
	rc = fn_rechain(c->fn, msg, len);
	if (rc)
		memcpy(f->tenant, old, sizeof(old));
	return rc;
}

/* Is @t, or an ancestor of it, named @name? */
static bool tenant_below(struct dpu_pci_tenant *t, const char *name)
{
	int guard = 0;

	for (; t && guard++ < 64; t = t->parent[0] ? tenant_find(t->parent) : NULL)
		if (!strcmp(t->name, name))
			return true;
	return false;
}

static int do_tenant_set(struct dpu_pci_cmd *c, char *msg, size_t len)
{
	struct dpu_pci_tenant *t, *p = NULL, saved;
	char g[96];
	unsigned int i;
	int rc = 0;

	c->tenant[DPU_PCI_NAME_LEN - 1] = '\0';
	c->parent[DPU_PCI_NAME_LEN - 1] = '\0';
	for (unsigned int k = 0; k < DPU_PCI_LIM_NR; k++)
		if (c->limits[k].rate && !thr_keys[k]) {
			snprintf(msg, len, "this DPU enforces disk limits only");
			return -EOPNOTSUPP;
		}
	if (c->parent[0]) {
		p = tenant_find(c->parent);
		if (!p) {
			snprintf(msg, len, "no parent tenant %s on the DPU", c->parent);
			return -ENOENT;
		}
	}
	tn_group(g, sizeof(g), c->tenant);
	t = tenant_find(c->tenant);
	if (!t) {
		for (i = 0; i < E->hdr->max_tenants && E->tenants[i].used; i++)
			;
		if (i == E->hdr->max_tenants) {
			snprintf(msg, len, "the DPU holds at most %u tenants", i);
			return -ENOSPC;
		}
		if (group_add(g, c->limits)) {
			snprintf(msg, len, "QEMU: %.88s", qerr);
			return -EIO;
		}
		t = &E->tenants[i];
		memset(t, 0, sizeof(*t));
		memcpy(t->name, c->tenant, sizeof(t->name));
		memcpy(t->parent, c->parent, sizeof(t->parent));
		memcpy(t->limits, c->limits, sizeof(t->limits));
		t->used = 1;
		/* a depth check: a chain above a function of this tenant */
		if (tenant_chain(t->name, (char (*)[96])alloca(EMU_DEPTH * 96)) < 0) {
			t->used = 0;
			del_object(g);
			snprintf(msg, len, "the DPU chains at most %d tenant levels",
				 EMU_DEPTH);
			return -E2BIG;
		}
		return 0;
	}
	saved = *t;
	if (group_set(g, c->limits)) {
		snprintf(msg, len, "QEMU: %.88s", qerr);
		return -EIO;
	}
	memcpy(t->limits, c->limits, sizeof(t->limits));
	if (strcmp(t->parent, c->parent)) {
		memcpy(t->parent, c->parent, sizeof(t->parent));
		for (i = 0; i < E->hdr->max_fns && !rc; i++)
			if (E->fns[i].state == DPU_PCI_FN_PRESENT &&
			    E->fns[i].type == 1 && E->fns[i].tenant[0] &&
			    tenant_below(tenant_find(E->fns[i].tenant), t->name))
				rc = fn_rechain(i, msg, len);
		if (rc) {	/* back to the old chain */
			*t = saved;
			group_set(g, t->limits);
			for (i = 0; i < E->hdr->max_fns; i++)
				if (E->fns[i].state == DPU_PCI_FN_PRESENT &&
				    E->fns[i].type == 1 && E->fns[i].tenant[0] &&
				    tenant_below(tenant_find(E->fns[i].tenant), t->name))
					fn_rechain(i, g, sizeof(g));
		}
	}
	(void)p;
	return rc;
}

static int do_tenant_del(struct dpu_pci_cmd *c, char *msg, size_t len)
{
	struct dpu_pci_tenant *t;
	char g[96];

	c->tenant[DPU_PCI_NAME_LEN - 1] = '\0';
	t = tenant_find(c->tenant);
	if (!t)
		return 0;
	for (unsigned int i = 0; i < E->hdr->max_tenants; i++)
		if (E->tenants[i].used && !strcmp(E->tenants[i].parent, t->name)) {
			snprintf(msg, len, "tenant has child tenants on the DPU");
			return -EBUSY;
		}
	for (unsigned int i = 0; i < E->hdr->max_fns; i++)
		if (E->fns[i].state != DPU_PCI_FN_FREE &&
		    !strcmp(E->fns[i].tenant, t->name)) {
			snprintf(msg, len, "tenant has functions on the DPU");
			return -EBUSY;
		}
	tn_group(g, sizeof(g), t->name);
	del_object(g);
	memset(t, 0, sizeof(*t));
	return 0;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void complete(struct dpu_pci_cmd *c, int status, const char *msg)
{
	struct emu_ctl *ctl = E->ctl;

	c->status = status;
	snprintf(c->msg, sizeof(c->msg), "%s", status ? msg : "");
	if (c->opcode == DPU_PCI_OP_ATTACH && !status && ctl->bad_slot > 0) {
		ctl->bad_slot--;
		c->slot = E->cfg.slots + 7;
		emu_log("fault: ATTACH of fn %u completes with slot %u", c->fn, c->slot);
	}
	if (ctl->garbage > 0) {
		ctl->garbage--;
		c->tag ^= 0x5a5a5a5a;
		c->status = 0x7fff1234;
		emu_log("fault: completion of fn %u with a wrong tag", c->fn);
	}
	ctl->completions++;
	__atomic_store_n(&c->state, DPU_PCI_CMD_DONE, __ATOMIC_SEQ_CST);
	emu_interrupt(E, DPU_PCI_VEC_CMD);
}

static void run(struct dpu_pci_cmd *c)
{
	char msg[DPU_PCI_MSG_LEN] = "";
	int rc;

	switch (c->opcode) {
	case DPU_PCI_OP_NOP:
		rc = 0;
		break;
	case DPU_PCI_OP_ATTACH:
		if (E->ctl->hang_attach > 0) {
			E->ctl->hang_attach--;
			emu_log("fault: ATTACH of fn %u never completes", c->fn);
			return;
		}
		if (E->ctl->fail_attach > 0) {
			E->ctl->fail_attach--;
			complete(c, -EIO, "injected attach failure");
			return;
		}
		if (E->ctl->attach_delay_ms > 0)
			usleep(E->ctl->attach_delay_ms * 1000);
		rc = do_attach(c, msg, sizeof(msg));
		break;
	case DPU_PCI_OP_DETACH:
		rc = do_detach(c, msg, sizeof(msg));
		break;
	case DPU_PCI_OP_FN_LIMITS:
		rc = do_fn_limits(c, msg, sizeof(msg));
		break;
	case DPU_PCI_OP_FN_TENANT:
		rc = do_fn_tenant(c, msg, sizeof(msg));
		break;
	case DPU_PCI_OP_TENANT_SET:
		rc = do_tenant_set(c, msg, sizeof(msg));
		break;
	case DPU_PCI_OP_TENANT_DEL:
		rc = do_tenant_del(c, msg, sizeof(msg));
		break;
	default:
		snprintf(msg, sizeof(msg), "unknown opcode %u", c->opcode);
		rc = -EOPNOTSUPP;
		break;
	}
	complete(c, rc, msg);
}

static void surprises(void)
{
	for (unsigned int i = 0; i < E->hdr->max_fns && i < EMU_MAX_FNS; i++) {
		json_object *a;
		char id[64];

		if (!__atomic_exchange_n(&E->ctl->surprise[i], 0, __ATOMIC_SEQ_CST))
			continue;
		if (E->fns[i].state != DPU_PCI_FN_PRESENT)
			continue;
		snprintf(id, sizeof(id), "dpufn%u", i);
		emu_log("fault: surprise removal of fn %u", i);
		a = json_object_new_object();
		json_object_object_add(a, "id", js(id));
		call("device_del", a);
	}
}

/* Benchmarks: a plain hot-plug (and device_del) without the mailbox. */
static void raw_ops(void)
{
	int add = __atomic_exchange_n(&E->ctl->raw_add, 0, __ATOMIC_SEQ_CST);
	int del = __atomic_exchange_n(&E->ctl->raw_del, 0, __ATOMIC_SEQ_CST);
	char id[32], node[32], port[64], path[256];
	json_object *a, *file;
	int fd;

	if (add) {
		snprintf(id, sizeof(id), "raw%d", add - 1);
		snprintf(node, sizeof(node), "raw%d-disk", add - 1);
		snprintf(port, sizeof(port), "%s%d", E->cfg.port_prefix, add - 1);
		snprintf(path, sizeof(path), "%s/raw%d.img", E->cfg.data_dir, add - 1);
		fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd < 0 || ftruncate(fd, 1 << 30))
			emu_log("raw: %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		a = json_object_new_object();
		file = json_object_new_object();
		json_object_object_add(file, "driver", js("file"));
		json_object_object_add(file, "filename", js(path));
		json_object_object_add(a, "driver", js("raw"));
		json_object_object_add(a, "node-name", js(node));
		json_object_object_add(a, "file", file);
		call("blockdev-add", a);
		a = json_object_new_object();
		json_object_object_add(a, "driver", js("virtio-blk-pci"));
		json_object_object_add(a, "id", js(id));
		json_object_object_add(a, "drive", js(node));
		json_object_object_add(a, "bus", js(port));
		qmp_forget(Q, id);
		call("device_add", a);
	}
	if (del) {
		snprintf(id, sizeof(id), "raw%d", del - 1);
		snprintf(node, sizeof(node), "raw%d-disk", del - 1);
		a = json_object_new_object();
		json_object_object_add(a, "id", js(id));
		call("device_del", a);
		qmp_wait_deleted(Q, id, 15000);
		for (int try = 0; try < 40; try++) {
			a = json_object_new_object();
			json_object_object_add(a, "node-name", js(node));
			if (!qmp_call(Q, "blockdev-del", a, NULL, qerr, sizeof(qerr)))
				break;
			usleep(50000);
		}
		snprintf(path, sizeof(path), "%s/raw%d.img", E->cfg.data_dir, del - 1);
		unlink(path);
	}
}

/* A (re)start: make the records and QEMU agree, pick up where we died. */
static void recover(void)
{
	struct dpu_pci_limit none[DPU_PCI_LIM_NR] = { 0 };
	char id[64];

	if (group_add(FREE_GROUP, none))
		emu_log("group %s: %s (kept)", FREE_GROUP, qerr);
	for (unsigned int i = 0; i < E->hdr->max_fns; i++) {
		struct dpu_pci_fn *f = &E->fns[i];

		if (f->state == DPU_PCI_FN_FREE)
			continue;
		snprintf(id, sizeof(id), "dpufn%u", i);
		if (f->state == DPU_PCI_FN_PLUGGING && !device_exists(id)) {
			emu_log("recover: fn %u was being plugged: dropped", i);
			fn_cleanup(i, f->type);
			memset(f, 0, sizeof(*f));
		} else if (f->state == DPU_PCI_FN_PLUGGING) {
			f->state = DPU_PCI_FN_PRESENT;
		} else if (f->state == DPU_PCI_FN_UNPLUGGING) {
			f->state = DPU_PCI_FN_PRESENT;	/* DETACH runs again */
		}
	}
	for (unsigned int i = 0; i < E->hdr->ring_entries; i++)
		if (E->ring[i].state == DPU_PCI_CMD_RUNNING)
			E->ring[i].state = DPU_PCI_CMD_POSTED;
}

int fw_main(struct emu *e)
{
	uint64_t v;

	E = e;
	Q = qmp_connect(e->cfg.qmp_path, 30000);
	if (!Q) {
		emu_log("firmware: no QMP at %s", e->cfg.qmp_path);
		return 1;
	}
	recover();
	e->hdr->generation++;
	__atomic_or_fetch(&e->hdr->status, DPU_PCI_STATUS_READY, __ATOMIC_SEQ_CST);
	emu_interrupt(e, DPU_PCI_VEC_EVENT);
	emu_log("firmware up, generation %u", e->hdr->generation);
	for (;;) {
		struct pollfd p[3] = {
			{ .fd = e->to_fw[DPU_PCI_DB_CMD], .events = POLLIN },
			{ .fd = e->ctl_efd, .events = POLLIN },
			{ .fd = qmp_fd(Q), .events = POLLIN },
		};
		bool busy = true;

		poll(p, 3, 200);
		if (read(e->to_fw[DPU_PCI_DB_CMD], &v, sizeof(v)) < 0 && errno != EAGAIN)
			emu_log("doorbell: %s", strerror(errno));
		if (read(e->ctl_efd, &v, sizeof(v)) < 0 && errno != EAGAIN)
			emu_log("ctl: %s", strerror(errno));
		if (p[2].revents & POLLHUP) {
			emu_log("firmware: QMP closed");
			return 0;
		}
		qmp_poll_events(Q);
		surprises();
		raw_ops();
		while (busy) {
			busy = false;
			for (unsigned int i = 0; i < e->hdr->ring_entries; i++) {
				struct dpu_pci_cmd *c = &e->ring[i];

				if (__atomic_load_n(&c->state, __ATOMIC_ACQUIRE) !=
				    DPU_PCI_CMD_POSTED)
					continue;
				c->state = DPU_PCI_CMD_RUNNING;
				run(c);
				busy = true;
			}
		}
		(void)now_ms;
	}
}
