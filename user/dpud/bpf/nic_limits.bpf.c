// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dpupool NIC limits at TC: egress shaping with earliest departure times
 * (the fq qdisc holds each packet until skb->tstamp), ingress policing.
 * Levels, buckets and maps: nic_limits.h. Only the __sk_buff context is
 * read (no kernel structure, so nothing to relocate with CO-RE).
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <stdbool.h>
#include <bpf/bpf_helpers.h>

#include "nic_limits.h"

#define NSEC_PER_SEC		1000000000ULL
#define DEFAULT_HORIZON_NS	(2 * NSEC_PER_SEC)

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, DPU_NL_FNS);
	__type(key, __u32);
	__type(value, struct dpu_nl_fn);
} nl_fns SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, DPU_NL_SLOTS);
	__type(key, __u32);
	__type(value, struct dpu_nl_conf);
} nl_conf SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, DPU_NL_SLOTS);
	__type(key, __u32);
	__type(value, struct dpu_nl_state);
} nl_state SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, DPU_NL_SLOTS);
	__type(key, __u32);
	__type(value, struct dpu_nl_stats);
} nl_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, DPU_NL_SLOTS);
	__type(key, __u32);
	__type(value, struct dpu_nl_ident);
} nl_ident SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct dpu_nl_global);
} nl_global SEC(".maps");

/* the cost of a packet in ns of a bucket's rate */
static __always_inline __u64 cost_ns(const struct dpu_nl_conf *c, int b,
				     __u64 bytes, __u64 segs)
{
	__u64 n = (b == DPU_NL_TX_BPS || b == DPU_NL_RX_BPS) ? bytes : segs;

	return n * NSEC_PER_SEC / c->rate[b];
}

/* where a bucket's virtual time starts for a packet at now: not before
 * now minus its burst (an idle bucket keeps no more credit than that) */
static __always_inline __u64 start_at(const struct dpu_nl_conf *c,
				      const struct dpu_nl_state *s, int b,
				      __u64 now)
{
	__u64 floor = now > c->tau_ns[b] ? now - c->tau_ns[b] : 0;
	__u64 vt = s->vt[b];

	return vt > floor ? vt : floor;
}

static __always_inline void count(__u32 slot, bool tx, bool passed,
				  __u64 bytes, __u64 segs, __u64 delay)
{
	struct dpu_nl_stats *st = bpf_map_lookup_elem(&nl_stats, &slot);

	if (!st)
		return;
	if (tx && passed) {
		st->tx_packets += segs;
		st->tx_bytes += bytes;
		if (delay) {
			st->tx_delayed += segs;
			st->tx_delay_ns += delay;
		}
	} else if (tx) {
		st->tx_dropped += segs;
		st->tx_dropped_bytes += bytes;
	} else if (passed) {
		st->rx_packets += segs;
		st->rx_bytes += bytes;
	} else {
		st->rx_dropped += segs;
		st->rx_dropped_bytes += bytes;
	}
}

static __always_inline void count_all(const struct dpu_nl_fn *f, bool tx,
				      bool passed, __u64 bytes, __u64 segs,
				      __u64 delay)
{
	int i;

	for (i = 0; i < DPU_NL_LEVELS; i++) {
		if (i >= f->nlevels)
			break;
		count(f->level[i], tx, passed, bytes, segs, delay);
	}
}

/*
 * Under @s's lock: note that @child sent at @now, and count the children
 * that sent within DPU_NL_ACTIVE_NS (the one sending now included).
 */
static __always_inline __u64 active_children(struct dpu_nl_state *s,
					     __u32 child, __u64 now)
{
	__u64 n = 0, oldest = ~0ULL;
	int j, hit = -1, victim = 0;

	for (j = 0; j < DPU_NL_CHILDREN; j++) {
		if (s->child[j] == child + 1)
			hit = j;
		if (s->child_seen[j] < oldest) {
			oldest = s->child_seen[j];
			victim = j;
		}
	}
	if (hit < 0)
		hit = victim;
	if (hit >= 0 && hit < DPU_NL_CHILDREN) {
		s->child[hit] = child + 1;
		s->child_seen[hit] = now;
	}
	for (j = 0; j < DPU_NL_CHILDREN; j++)
		if (s->child[j] && s->child_seen[j] + DPU_NL_ACTIVE_NS > now)
			n++;
	return n ? n : 1;
}

/*
 * Without the lock, for the horizon: how many children would share @s if
 * @child sent now (it included).
 */
static __always_inline __u64 would_share(const struct dpu_nl_state *s,
					 __u32 child, __u64 now)
{
	__u64 n = 1;
	int j;

	for (j = 0; j < DPU_NL_CHILDREN; j++)
		if (s->child[j] && s->child[j] != child + 1 &&
		    s->child_seen[j] + DPU_NL_ACTIVE_NS > now)
			n++;
	return n;
}

/* Without the lock, for the horizon: when @child's share would let a
 * packet go (its share's virtual times, as fair_share() takes them) */
static __always_inline __u64 share_start(__u32 child,
					 const struct dpu_nl_conf *pc,
					 __u64 now)
{
	struct dpu_nl_state *s = bpf_map_lookup_elem(&nl_state, &child);
	__u64 t = 0, floor;
	int b;

	if (!s)
		return 0;
	for (b = 0; b < 2; b++) {
		if (!pc->rate[b])	/* DPU_NL_TX_BPS, DPU_NL_TX_PPS */
			continue;
		floor = now > pc->tau_ns[b] ? now - pc->tau_ns[b] : 0;
		if (s->share_vt[b] > t)
			t = s->share_vt[b];
		if (floor > t)
			t = floor;
	}
	return t;
}

/*
 * Pace @child at its share of its parent's tx rates (@pc, the parent's
 * conf): costs already multiplied by the active children. Returns when
 * the packet may leave by that share.
 */
static __always_inline __u64 fair_share(__u32 child,
					const struct dpu_nl_conf *pc,
					__u64 c0, __u64 c1, __u64 now)
{
	struct dpu_nl_state *s = bpf_map_lookup_elem(&nl_state, &child);
	__u64 t0 = 0, t1 = 0, floor;

	if (!s)
		return 0;
	bpf_spin_lock(&s->lock);
	if (pc->rate[DPU_NL_TX_BPS]) {
		floor = now > pc->tau_ns[DPU_NL_TX_BPS] ?
			now - pc->tau_ns[DPU_NL_TX_BPS] : 0;
		t0 = s->share_vt[0] > floor ? s->share_vt[0] : floor;
		s->share_vt[0] = t0 + c0;
	}
	if (pc->rate[DPU_NL_TX_PPS]) {
		floor = now > pc->tau_ns[DPU_NL_TX_PPS] ?
			now - pc->tau_ns[DPU_NL_TX_PPS] : 0;
		t1 = s->share_vt[1] > floor ? s->share_vt[1] : floor;
		s->share_vt[1] = t1 + c1;
	}
	bpf_spin_unlock(&s->lock);
	return t0 > t1 ? t0 : t1;
}

#define NO_CHILD	0xffffffffu

/* level @i of @f: its limits and state (NULL if missing); false past the
 * last level */
static __always_inline bool level_at(const struct dpu_nl_fn *f, int i,
				     struct dpu_nl_conf **c,
				     struct dpu_nl_state **s)
{
	__u32 slot;

	if (i >= f->nlevels)
		return false;
	slot = f->level[i];
	*c = bpf_map_lookup_elem(&nl_conf, &slot);
	*s = bpf_map_lookup_elem(&nl_state, &slot);
	return true;
}

/*
 * Charge a level's buckets @b (bytes) and @b + 1 (packets), under its
 * lock; note that @child (the level below, or NO_CHILD) sent, and put in
 * *@n how many children share the level now. Returns the later of the
 * two buckets' start times.
 */
static __always_inline __u64 charge(const struct dpu_nl_conf *c,
				    struct dpu_nl_state *s, int b,
				    __u64 bytes, __u64 segs, __u64 now,
				    __u32 child, __u64 *n)
{
	__u64 t0 = 0, t1 = 0, c0 = 0, c1 = 0;

	if (c->rate[b])
		c0 = cost_ns(c, b, bytes, segs);
	if (c->rate[b + 1])
		c1 = cost_ns(c, b + 1, bytes, segs);
	bpf_spin_lock(&s->lock);
	if (c->rate[b]) {
		t0 = start_at(c, s, b, now);
		s->vt[b] = t0 + c0;
	}
	if (c->rate[b + 1]) {
		t1 = start_at(c, s, b + 1, now);
		s->vt[b + 1] = t1 + c1;
	}
	*n = child != NO_CHILD ? active_children(s, child, now) : 1;
	bpf_spin_unlock(&s->lock);
	return t0 > t1 ? t0 : t1;
}

SEC("tc")
int dpu_nl_egress(struct __sk_buff *skb)
{
	__u64 bytes = skb->len, segs = skb->gso_segs ? skb->gso_segs : 1;
	__u64 now, depart, horizon = DEFAULT_HORIZON_NS, share, delay;
	__u32 ifindex = skb->ifindex, zero = 0;
	struct dpu_nl_global *g;
	struct dpu_nl_fn *f;
	int i, b;

	f = bpf_map_lookup_elem(&nl_fns, &ifindex);
	if (!f)
		return TC_ACT_OK;
	g = bpf_map_lookup_elem(&nl_global, &zero);
	if (g && g->horizon_ns)
		horizon = g->horizon_ns;
	now = bpf_ktime_get_ns();

	/* the departure time, without charging: beyond the horizon it drops */
	depart = now;
	for (i = 0; i < DPU_NL_LEVELS; i++) {
		struct dpu_nl_state *s;
		struct dpu_nl_conf *c;

		if (!level_at(f, i, &c, &s))
			break;
		if (!c || !s)
			continue;
		for (b = DPU_NL_TX_BPS; b <= DPU_NL_TX_PPS; b++) {
			__u64 t;

			if (!c->rate[b])
				continue;
			t = start_at(c, s, b, now);
			if (t > depart)
				depart = t;
		}
		/* the share the child below would be paced at counts too */
		if (i && (c->rate[DPU_NL_TX_BPS] || c->rate[DPU_NL_TX_PPS]) &&
		    would_share(s, f->level[i - 1], now) > 1) {
			__u64 t = share_start(f->level[i - 1], c, now);

			if (t > depart)
				depart = t;
		}
	}
	if (depart - now > horizon) {
		count_all(f, true, false, bytes, segs, 0);
		return TC_ACT_SHOT;
	}

	/* charge each level from where its own buckets are */
	depart = now;
	share = 1;
	for (i = 0; i < DPU_NL_LEVELS; i++) {
		struct dpu_nl_state *s;
		struct dpu_nl_conf *c;
		__u64 t, c0 = 0, c1 = 0;

		if (!level_at(f, i, &c, &s))
			break;
		if (!c || !s || (!c->rate[DPU_NL_TX_BPS] && !c->rate[DPU_NL_TX_PPS]))
			continue;
		t = charge(c, s, DPU_NL_TX_BPS, bytes, segs, now,
			   i ? f->level[i - 1] : NO_CHILD, &share);
		if (t > depart)
			depart = t;
		/* the children sending now share this level's rates */
		if (share > 1) {
			if (c->rate[DPU_NL_TX_BPS])
				c0 = cost_ns(c, DPU_NL_TX_BPS, bytes, segs);
			if (c->rate[DPU_NL_TX_PPS])
				c1 = cost_ns(c, DPU_NL_TX_PPS, bytes, segs);
			t = fair_share(f->level[i - 1], c, c0 * share,
				       c1 * share, now);
			if (t > depart)
				depart = t;
		}
	}
	/* the delay the limits add (counted before TCP's own pacing) */
	delay = depart - now;
	/* a later departure time TCP's own pacing set is kept */
	if (skb->tstamp_type == BPF_SKB_TSTAMP_DELIVERY_MONO &&
	    skb->tstamp > depart)
		depart = skb->tstamp;
	if (depart > now)
		bpf_skb_set_tstamp(skb, depart, BPF_SKB_TSTAMP_DELIVERY_MONO);
	count_all(f, true, true, bytes, segs, delay);
	return TC_ACT_OK;
}

SEC("tc")
int dpu_nl_ingress(struct __sk_buff *skb)
{
	__u64 bytes = skb->len, segs = 1, now;
	__u32 ifindex = skb->ifindex;
	struct dpu_nl_fn *f;
	int i, b;

	f = bpf_map_lookup_elem(&nl_fns, &ifindex);
	if (!f)
		return TC_ACT_OK;
	if (skb->gso_segs)
		segs = skb->gso_segs;
	now = bpf_ktime_get_ns();

	/* room at every level? (checked before anything is charged) */
	for (i = 0; i < DPU_NL_LEVELS; i++) {
		struct dpu_nl_state *s;
		struct dpu_nl_conf *c;

		if (!level_at(f, i, &c, &s))
			break;
		if (!c || !s)
			continue;
		for (b = DPU_NL_RX_BPS; b <= DPU_NL_RX_PPS; b++) {
			if (c->rate[b] && start_at(c, s, b, now) > now) {
				count_all(f, false, false, bytes, segs, 0);
				return TC_ACT_SHOT;
			}
		}
	}
	for (i = 0; i < DPU_NL_LEVELS; i++) {
		struct dpu_nl_state *s;
		struct dpu_nl_conf *c;
		__u64 n;

		if (!level_at(f, i, &c, &s))
			break;
		if (!c || !s || (!c->rate[DPU_NL_RX_BPS] && !c->rate[DPU_NL_RX_PPS]))
			continue;
		charge(c, s, DPU_NL_RX_BPS, bytes, segs, now, NO_CHILD, &n);
	}
	count_all(f, false, true, bytes, segs, 0);
	return TC_ACT_OK;
}
