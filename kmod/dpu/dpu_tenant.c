// SPDX-License-Identifier: GPL-2.0
/*
 * dpupool tenants: rate groups of functions on one DPU, in a hierarchy.
 * A function's requests pass when its own limits, its tenant's and every
 * ancestor's allow; the groups and their wait queues are in dpu_rate.c.
 */
#include <linux/slab.h>
#include <linux/timekeeping.h>

#include "dpu.h"
#include "dpu_qos.h"

struct dpu_tenant *dpu_tenant_find(struct dpu_dev *ddev, const char *name)
{
	struct dpu_tenant *tn;
	unsigned long id;

	lockdep_assert_held(&ddev->lock);
	xa_for_each(&ddev->tenants, id, tn)
		if (!strcmp(tn->name, name))
			return tn;
	return NULL;
}
EXPORT_SYMBOL_GPL(dpu_tenant_find);

/* How many levels of tenants are below @tn. */
static unsigned int dpu_tenant_height(struct dpu_dev *ddev,
				      struct dpu_tenant *tn)
{
	unsigned int h = 0, d;
	struct dpu_tenant *t, *a;
	unsigned long id;

	xa_for_each(&ddev->tenants, id, t) {
		for (a = t, d = 0; a && a != tn; a = a->parent)
			d++;
		if (a == tn)
			h = max(h, d);
	}
	return h;
}

/*
 * May @tn (NULL: a new tenant) get @parent? Checks cycles and depth, with
 * extack; 0 or a negative errno.
 */
static int dpu_tenant_check_parent(struct dpu_dev *ddev, struct dpu_tenant *tn,
				   struct dpu_tenant *parent,
				   struct netlink_ext_ack *extack)
{
	unsigned int height = 0;

	if (!parent)
		return 0;
	if (tn) {
		if (parent == tn) {
			NL_SET_ERR_MSG(extack, "a tenant cannot be its own parent");
			return -ELOOP;
		}
		if (dpu_rate_group_is_ancestor(&tn->rate, &parent->rate)) {
			NL_SET_ERR_MSG(extack,
				       "the parent is a descendant of the tenant");
			return -ELOOP;
		}
		height = dpu_tenant_height(ddev, tn);
	}
	if (dpu_rate_group_level(&parent->rate) + 1 + height > DPU_TENANT_MAX_DEPTH) {
		NL_SET_ERR_MSG(extack, "tenant hierarchy deeper than 7 levels");
		return -E2BIG;
	}
	/* a DPU that enforces tenants itself may chain fewer levels */
	if (ddev->ops->tenant_set && ddev->caps.tenant_depth &&
	    dpu_rate_group_level(&parent->rate) + 2 + height > ddev->caps.tenant_depth) {
		NL_SET_ERR_MSG(extack, "tenant hierarchy deeper than this DPU enforces");
		return -E2BIG;
	}
	return 0;
}

static struct dpu_tenant *dpu_tenant_parent_find(struct dpu_dev *ddev,
						 const char *parent,
						 struct netlink_ext_ack *extack)
{
	struct dpu_tenant *p = dpu_tenant_find(ddev, parent);

	if (!p)
		NL_SET_ERR_MSG(extack,
			       "no parent tenant with this name on this DPU");
	return p;
}

static void dpu_tenant_free_rcu(struct rcu_head *head)
{
	struct dpu_tenant *tn = container_of(head, struct dpu_tenant, rcu);

	dpu_rate_group_destroy(&tn->rate);
	kfree(tn);
}

/**
 * dpu_tenant_new() - create a tenant
 * @ddev: the DPU
 * @name: its name, valid
 * @parent: name of its parent, or NULL or "" for a root tenant
 * @chg: its limits (a change from none), or NULL for none
 * @extack: for error messages
 *
 * Return: 0 or a negative errno.
 */
int dpu_tenant_new(struct dpu_dev *ddev, const char *name, const char *parent,
		   const struct dpu_limits_change *chg,
		   struct netlink_ext_ack *extack)
{
	struct dpu_tenant *tn, *p = NULL;
	const struct nlattr *bad = NULL;
	struct dpu_limits lim = {};
	const char *msg;
	int err;

	msg = chg ? dpu_limits_apply(&lim, chg, &bad) : NULL;
	if (msg) {
		dpu_extack_set(extack, bad, msg);
		return -EINVAL;
	}
	tn = kzalloc(sizeof(*tn), GFP_KERNEL);
	if (!tn)
		return -ENOMEM;
	err = dpu_rate_group_init(&tn->rate);
	if (err) {
		kfree(tn);
		return err;
	}
	tn->ddev = ddev;
	strscpy(tn->name, name, sizeof(tn->name));
	tn->limits = lim;
	dpu_rate_group_set_limits(&tn->rate, &lim, ktime_get_ns());

	/* op_lock: tenants change one at a time, the DPU told in order */
	mutex_lock(&ddev->op_lock);
	mutex_lock(&ddev->lock);
	if (ddev->dead) {
		NL_SET_ERR_MSG(extack, "DPU device is going away");
		err = -ENODEV;
		goto err_unlock;
	}
	if (parent && !strcmp(parent, name)) {
		NL_SET_ERR_MSG(extack, "a tenant cannot be its own parent");
		err = -ELOOP;
		goto err_unlock;
	}
	if (dpu_tenant_find(ddev, name)) {
		NL_SET_ERR_MSG(extack, "tenant already exists on this DPU");
		err = -EEXIST;
		goto err_unlock;
	}
	if (parent && parent[0]) {
		p = dpu_tenant_parent_find(ddev, parent, extack);
		err = p ? dpu_tenant_check_parent(ddev, NULL, p, extack) :
			  -ENOENT;
		if (err)
			goto err_unlock;
	}
	if (ddev->num_tenants >= DPU_MAX_TENANTS) {
		NL_SET_ERR_MSG(extack, "too many tenants on this DPU");
		err = -ENOSPC;
		goto err_unlock;
	}
	if (ddev->ops->tenant_set) {
		err = dpu_limits_caps_check(ddev, &lim, false, extack);
		if (err)
			goto err_unlock;
		/* op_lock keeps what was checked; the DPU may sleep */
		mutex_unlock(&ddev->lock);
		err = ddev->ops->tenant_set(ddev, tn, p, &lim, extack);
		mutex_lock(&ddev->lock);
		if (err)
			goto err_unlock;
	}
	err = xa_alloc(&ddev->tenants, &tn->id, tn, xa_limit_32b, GFP_KERNEL);
	if (err) {
		if (ddev->ops->tenant_del) {
			mutex_unlock(&ddev->lock);
			ddev->ops->tenant_del(ddev, tn);
			mutex_lock(&ddev->lock);
		}
		goto err_unlock;
	}
	ddev->num_tenants++;
	if (p) {
		tn->parent = p;
		p->num_children++;
		rcu_assign_pointer(tn->rate.parent, &p->rate);
	}
	dpu_nl_tenant_notify(tn, DPU_CMD_TENANT_NEW);
	mutex_unlock(&ddev->lock);
	mutex_unlock(&ddev->op_lock);
	return 0;

err_unlock:
	mutex_unlock(&ddev->lock);
	mutex_unlock(&ddev->op_lock);
	dpu_rate_group_destroy(&tn->rate);
	kfree(tn);
	return err;
}
EXPORT_SYMBOL_GPL(dpu_tenant_new);

/* With ddev->lock held; @tn has no functions and no children. */
static void dpu_tenant_remove(struct dpu_dev *ddev, struct dpu_tenant *tn)
{
	xa_erase(&ddev->tenants, tn->id);
	ddev->num_tenants--;
	if (tn->parent)
		tn->parent->num_children--;
	call_rcu(&tn->rcu, dpu_tenant_free_rcu);
}

/**
 * dpu_tenant_del() - delete a tenant without functions and children
 * @ddev: the DPU
 * @name: the tenant
 * @extack: for error messages
 *
 * Return: 0 or a negative errno.
 */
int dpu_tenant_del(struct dpu_dev *ddev, const char *name,
		   struct netlink_ext_ack *extack)
{
	bool classified = false;
	struct dpu_tenant *tn;
	int err = 0;

	/* op_lock: a function being moved to it holds it */
	mutex_lock(&ddev->op_lock);
	mutex_lock(&ddev->lock);
	tn = ddev->dead ? NULL : dpu_tenant_find(ddev, name);
	if (ddev->dead) {
		NL_SET_ERR_MSG(extack, "DPU device is going away");
		err = -ENODEV;
	} else if (!tn) {
		NL_SET_ERR_MSG(extack, "no tenant with this name on this DPU");
		err = -ENOENT;
	} else if (tn->num_children) {
		NL_SET_ERR_MSG(extack, "tenant has child tenants");
		err = -EBUSY;
	} else if (tn->num_fns) {
		NL_SET_ERR_MSG(extack, "tenant has functions");
		err = -EBUSY;
	} else {
		if (ddev->ops->tenant_del) {
			/* no function can join it: op_lock is held */
			mutex_unlock(&ddev->lock);
			ddev->ops->tenant_del(ddev, tn);
			mutex_lock(&ddev->lock);
		}
		classified = tn->qos_class != DPU_QOS_CLASS_NONE;
		dpu_nl_tenant_notify(tn, DPU_CMD_TENANT_DEL);
		dpu_tenant_remove(ddev, tn);
	}
	mutex_unlock(&ddev->lock);
	mutex_unlock(&ddev->op_lock);
	if (classified)
		dpu_qos_tenant_classified(-1);
	return err;
}

/*
 * @tn's chain of ancestors changed: functions below it held back at a
 * group of the old chain (or holding its tokens) charge again against the
 * new one. With op_lock (the data paths stay) and ddev->lock held.
 */
static void dpu_tenant_rewait(struct dpu_dev *ddev, struct dpu_tenant *tn)
{
	struct dpu_tenant *t;
	struct dpu_fn *fn;
	unsigned long index;

	lockdep_assert_held(&ddev->op_lock);
	xa_for_each(&ddev->fns, index, fn) {
		for (t = fn->tn; t && t != tn; t = t->parent)
			;
		if (t && dpu_rate_waiter_cancel(&fn->rate_waiter))
			fn->rate_waiter.wake(&fn->rate_waiter);
	}
}

/**
 * dpu_tenant_set() - change a tenant's parent and/or limits
 * @ddev: the DPU
 * @name: the tenant
 * @parent: NULL to keep it, "" to make it a root, or the new parent's name
 * @chg: NULL to keep its limits, or what changes of them, applied to those
 *	in force
 * @extack: for error messages
 *
 * Return: 0 or a negative errno; nothing changes on error.
 */
int dpu_tenant_set(struct dpu_dev *ddev, const char *name, const char *parent,
		   const struct dpu_limits_change *chg,
		   struct netlink_ext_ack *extack)
{
	struct dpu_tenant *tn, *p = NULL;
	const struct nlattr *bad = NULL;
	struct dpu_limits lim, applied;
	const char *msg;
	int err = 0;

	mutex_lock(&ddev->op_lock);
	mutex_lock(&ddev->lock);
	if (ddev->dead) {
		NL_SET_ERR_MSG(extack, "DPU device is going away");
		err = -ENODEV;
		goto out;
	}
	tn = dpu_tenant_find(ddev, name);
	if (!tn) {
		NL_SET_ERR_MSG(extack, "no tenant with this name on this DPU");
		err = -ENOENT;
		goto out;
	}
	if (parent && parent[0]) {
		p = dpu_tenant_parent_find(ddev, parent, extack);
		err = p ? dpu_tenant_check_parent(ddev, tn, p, extack) :
			  -ENOENT;
		if (err)
			goto out;
	}
	lim = tn->limits;
	msg = chg ? dpu_limits_apply(&lim, chg, &bad) : NULL;
	if (msg) {
		dpu_extack_set(extack, bad, msg);
		err = -EINVAL;
		goto out;
	}
	applied = lim;
	dpu_tenant_qos_applied(tn, &applied);
	if (ddev->ops->tenant_set) {
		err = dpu_limits_caps_check(ddev, &lim, false, extack);
		if (err)
			goto out;
		/* op_lock keeps what was checked; the DPU may sleep */
		mutex_unlock(&ddev->lock);
		err = ddev->ops->tenant_set(ddev, tn, parent ? p : tn->parent,
					    &applied, extack);
		mutex_lock(&ddev->lock);
		if (err)
			goto out;
	}
	if (parent && p != tn->parent) {
		if (tn->parent)
			tn->parent->num_children--;
		if (p)
			p->num_children++;
		tn->parent = p;
		rcu_assign_pointer(tn->rate.parent, p ? &p->rate : NULL);
		dpu_tenant_rewait(ddev, tn);
	}
	if (chg) {
		tn->limits = lim;
		dpu_rate_group_set_limits(&tn->rate, &applied, ktime_get_ns());
	}
	dpu_nl_tenant_notify(tn, DPU_CMD_TENANT_SET);
out:
	mutex_unlock(&ddev->lock);
	mutex_unlock(&ddev->op_lock);
	return err;
}

/* Unregistering @ddev, its functions are gone: delete the tenants. */
void dpu_dev_del_tenants(struct dpu_dev *ddev)
{
	struct dpu_tenant *tn;
	int classified = 0;
	unsigned long id;

	/* op_lock: a TENANT_SET or _DEL calling the backend is over */
	mutex_lock(&ddev->op_lock);
	mutex_lock(&ddev->lock);
	/*
	 * Unlink them all first: a child's DEL event (its depth) must not
	 * walk to a parent removed, and freed after a grace period, before it.
	 */
	xa_for_each(&ddev->tenants, id, tn) {
		tn->parent = NULL;
		tn->num_children = 0;
		RCU_INIT_POINTER(tn->rate.parent, NULL);
	}
	xa_for_each(&ddev->tenants, id, tn) {
		classified += tn->qos_class != DPU_QOS_CLASS_NONE;
		dpu_nl_tenant_notify(tn, DPU_CMD_TENANT_DEL);
		dpu_tenant_remove(ddev, tn);
	}
	mutex_unlock(&ddev->lock);
	mutex_unlock(&ddev->op_lock);
	if (classified)
		dpu_qos_tenant_classified(-classified);
}

/* The class @tn follows: its own, else its nearest ancestor's. */
u8 dpu_tenant_qos_effective(const struct dpu_tenant *tn)
{
	for (; tn; tn = tn->parent)
		if (tn->qos_class)
			return tn->qos_class;
	return DPU_QOS_CLASS_NONE;
}

/*
 * The limits to enforce for @tn, given those configured in @lim: while a
 * QoS decision caps it, its block IOPS and bytes/s are at most the cap.
 */
void dpu_tenant_qos_applied(const struct dpu_tenant *tn, struct dpu_limits *lim)
{
	struct dpu_qos_policy pol;
	struct dpu_limit *l;

	if (!tn->qos_capped)
		return;
	dpu_qos_snapshot(&pol, NULL, NULL, NULL);
	l = &lim->l[DPU_LIM_BLK_IOPS];
	if (pol.io_be_iops && (!l->rate || l->rate > pol.io_be_iops)) {
		l->rate = pol.io_be_iops;
		l->burst = 0;
	}
	l = &lim->l[DPU_LIM_BLK_BPS];
	if (pol.io_be_bps && (!l->rate || l->rate > pol.io_be_bps)) {
		l->rate = pol.io_be_bps;
		l->burst = 0;
	}
}

/* Enforce @lim (configured, cap applied) for @tn; both locks held. */
static int dpu_tenant_enforce(struct dpu_dev *ddev, struct dpu_tenant *tn,
			      bool capped)
{
	struct dpu_limits lim = tn->limits;
	bool was = tn->qos_capped;
	int err = 0;

	tn->qos_capped = capped;
	dpu_tenant_qos_applied(tn, &lim);
	if (ddev->ops->tenant_set) {
		mutex_unlock(&ddev->lock);
		err = ddev->ops->tenant_set(ddev, tn, tn->parent, &lim, NULL);
		mutex_lock(&ddev->lock);
		if (err) {
			tn->qos_capped = was;
			return err;
		}
	}
	dpu_rate_group_set_limits(&tn->rate, &lim, ktime_get_ns());
	return 0;
}

/**
 * dpu_tenant_qos_apply() - cap or release BE tenants per the decision
 * @ddev: the DPU
 *
 * Tenants with class BE of their own are capped while dpu_qos.cap_on;
 * the others never are.
 */
void dpu_tenant_qos_apply(struct dpu_dev *ddev)
{
	bool cap = READ_ONCE(dpu_qos.cap_on), want;
	struct dpu_tenant *tn;
	unsigned long id;
	int err;

	mutex_lock(&ddev->op_lock);
	mutex_lock(&ddev->lock);
	if (ddev->dead)
		goto out;
	xa_for_each(&ddev->tenants, id, tn) {
		want = cap && tn->qos_class == DPU_QOS_CLASS_BE;
		if (want == tn->qos_capped && !want)
			continue;
		err = dpu_tenant_enforce(ddev, tn, want);
		if (err)
			dev_warn_ratelimited(&ddev->dev,
					     "cannot %s the I/O of tenant %s: %d\n",
					     want ? "cap" : "release", tn->name,
					     err);
		else
			dpu_nl_tenant_notify(tn, DPU_CMD_TENANT_SET);
	}
out:
	mutex_unlock(&ddev->lock);
	mutex_unlock(&ddev->op_lock);
}

/**
 * dpu_tenant_set_qos() - give a tenant a QoS class, or clear it
 * @ddev: the DPU
 * @name: the tenant
 * @qos_class: &enum dpu_qos_class, NONE clears it
 * @extack: for error messages
 *
 * Return: 0 or a negative errno.
 */
int dpu_tenant_set_qos(struct dpu_dev *ddev, const char *name, u8 qos_class,
		       struct netlink_ext_ack *extack)
{
	struct dpu_tenant *tn;
	int delta = 0, err = 0;
	bool want;

	mutex_lock(&ddev->op_lock);
	mutex_lock(&ddev->lock);
	tn = ddev->dead ? NULL : dpu_tenant_find(ddev, name);
	if (!tn) {
		NL_SET_ERR_MSG(extack, "no tenant with this name on this DPU");
		err = -ENOENT;
		goto out;
	}
	delta = (qos_class != DPU_QOS_CLASS_NONE) -
		(tn->qos_class != DPU_QOS_CLASS_NONE);
	tn->qos_class = qos_class;
	want = READ_ONCE(dpu_qos.cap_on) && qos_class == DPU_QOS_CLASS_BE;
	if (want != tn->qos_capped && dpu_tenant_enforce(ddev, tn, want))
		dev_warn_ratelimited(&ddev->dev,
				     "cannot %s the I/O of tenant %s\n",
				     want ? "cap" : "release", tn->name);
	dpu_nl_tenant_notify(tn, DPU_CMD_TENANT_SET);
out:
	mutex_unlock(&ddev->lock);
	mutex_unlock(&ddev->op_lock);
	if (delta)
		dpu_qos_tenant_classified(delta);
	return err;
}
