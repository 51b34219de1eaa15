/* SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only */
/*
 * The kernel shim, kernel only: counts every skb a stage set's probe points
 * see into the library's table image (table/count.h, the same code
 * userspace runs), per flow and per stage, and every freed skb into a drop
 * table by the kernel's drop reason.  Any module can embed one:
 *
 *   struct pktpath_kshim *s = pktpath_kshim_create(&params, why, sizeof(why));
 *   pktpath_kshim_attach(s);       probe points one at a time, each with its status
 *   pktpath_kshim_control(s, "filter proto=udp", why, sizeof(why));
 *   pktpath_kshim_detach(s); pktpath_kshim_destroy(s);
 *
 * (procfs.h exports it as files.)  Everything is allocated by create; the
 * probe handlers only read the skb, parse a copy of its headers on the
 * stack and add to preallocated counters: no allocation, no sleeping, no
 * lock but the sample ring's (below).
 *
 * Drop samples: every frame freed with a reason (that counting and the
 * filter let through) also leaves its first snap bytes, with a header
 * (drop_sample.h), in a ring (ring/ring.h) of sample_capacity slots that a
 * reader maps and drains; a full ring counts the sample in its drops.
 *
 * Probe points: a stage's `probes` string (table/stages.h) is one or more
 * points joined by '+', all of them counted (ip_rcv and ip_list_rcv); a
 * point is one or more alternatives joined by '|', the first that attaches
 * is used (a tracepoint, else a kprobe).  An alternative is
 *   tp:NAME              a tracepoint whose first argument is the skb
 *   SYMBOL[@ARG[,dDEV]]  a kprobe; ARG is N (the skb is argument N, the
 *                        default 0), lN (argument N is a list_head of skbs)
 *                        or pN (argument N points to the skb pointer); dDEV:
 *                        the net_device is argument DEV (else skb->dev)
 * A kprobe tries SYMBOL, then SYMBOL with the suffixes GCC gives clones
 * (.constprop.0, .isra.0, .part.0): modules cannot resolve names through
 * kallsyms_lookup_name, but register_kprobe() takes the exact clone name.
 *
 * Units: hits count probe calls (skbs); every other figure counts frames,
 * an skb standing for gso_segs of them (GRO), so a flow's packets are
 * conserved across GRO.
 */
#ifndef PKTPATH_KERNEL_SHIM_H
#define PKTPATH_KERNEL_SHIM_H

#ifdef __KERNEL__

#include <linux/atomic.h>
#include <linux/inet.h>
#include <linux/kernel.h>
#include <linux/kprobes.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/netdevice.h>
#include <linux/percpu.h>
#include <linux/rcupdate.h>
#include <linux/sched/clock.h>
#include <linux/skbuff.h>
#include <linux/spinlock.h>
#include <linux/timekeeping.h>
#include <linux/tracepoint.h>
#include <linux/version.h>
#include <linux/vmalloc.h>

#include "../flow/filter.h"
#include "../flow/proto.h"
#include "../table/count.h"
#include "../table/stages.h"
#include "../ring/ring.h"
#include "abi.h"
#include "drop_sample.h"
#include "reasons.h"
#include "skb.h"

#define PKTPATH_KSHIM_POINTS_PER_STAGE 4
#define PKTPATH_KSHIM_POINTS (PKTPATH_TABLE_MAX_STAGES * PKTPATH_KSHIM_POINTS_PER_STAGE)
#define PKTPATH_KSHIM_SPEC_LEN 96
#define PKTPATH_KSHIM_SYMBOL_LEN 96
#define PKTPATH_KSHIM_WHY_LEN 64
#define PKTPATH_KSHIM_LOCATIONS 4 /* drop locations kept per reason */
#define PKTPATH_KSHIM_FILTER_LEN 160
#define PKTPATH_KSHIM_SEEN 64 /* skbs a CPU remembers the last stage of: a batch of 8 through 6 stages, and more */

enum pktpath_kpoint_state { PKTPATH_KPOINT_OFF, PKTPATH_KPOINT_ATTACHED, PKTPATH_KPOINT_FAILED };
enum pktpath_karg { PKTPATH_KARG_SKB, PKTPATH_KARG_LIST, PKTPATH_KARG_PSKB };

struct pktpath_kshim;

/* One probe point: a kprobe or a tracepoint probe, and what it found. */
struct pktpath_kpoint {
	struct pktpath_kshim *shim;
	struct kprobe kp;
	struct tracepoint *tp;
	void *tp_probe;   /* the tracepoint probe function; NULL: pktpath_kshim_tp_skb */
	u32 stage;        /* of the flow table; the drop table's stage for a free point */
	int layer;        /* PKTPATH_KSKB_L2 or L3 */
	int state;        /* enum pktpath_kpoint_state */
	int err;          /* of the last alternative tried */
	int arg_kind;     /* enum pktpath_karg */
	int arg, dev_arg; /* argument numbers; dev_arg -1: skb->dev */
	atomic64_t hits;
	char spec[PKTPATH_KSHIM_SPEC_LEN];
	char symbol[PKTPATH_KSHIM_SYMBOL_LEN]; /* what attached, or the last one tried */
	char why[PKTPATH_KSHIM_WHY_LEN];
};

/* Per stage (and per free tracepoint): what was seen and what was not counted, and why. */
struct pktpath_kstats {
	atomic64_t hits;        /* skbs */
	atomic64_t counted;     /* frames counted in the table (overflow row included) */
	atomic64_t overflow;    /* of them, in the overflow row: the table was full */
	atomic64_t copy_failed; /* not counted: the header bytes could not be copied */
	atomic64_t disabled;    /* not counted: counting was disabled */
	atomic64_t filtered;    /* not counted: the flow filter did not match */
	atomic64_t other_dev;   /* not ours: another device (a free: not a received skb of ours) */
	atomic64_t ns;          /* with timing on: time in the handler for the skbs of this device (local_clock) */
};

/* The control file's flow filter (flow/filter.h) and the text it was set from. */
struct pktpath_kfilter {
	struct pktpath_flow_filter f;
	char text[PKTPATH_KSHIM_FILTER_LEN];
};

struct pktpath_kloc {
	unsigned long ip; /* 0: free */
	atomic64_t count;
};

/*
 * Per CPU, the last probe hits (skb, stage), newest at next - 1: the stage
 * a dropped skb's sample names.  Drops happen in the softirq that carried
 * the skb through the stages, on its CPU; an skb freed elsewhere or later
 * (a timer, another CPU), or after more hits than the history holds, has
 * no stage (PKTPATH_KSAMPLE_NO_STAGE).
 */
struct pktpath_kseen {
	const struct sk_buff *skb[PKTPATH_KSHIM_SEEN];
	u16 stage[PKTPATH_KSHIM_SEEN];
	u32 next;
};

struct pktpath_kshim_params {
	const char *set;    /* stage set name (table/stages.h) */
	const char *stages; /* NULL or "": every stage with its probes; "none"; else NAME[=PROBES],... */
	u32 capacity;       /* flow table slots, a power of two */
	u32 drop_capacity;  /* drop table slots, a power of two */
	u64 seed;           /* both tables' hash seed */
	int ifindex;        /* 0: every device */
	bool enabled;
	bool frees;          /* attach skb:kfree_skb and skb:consume_skb (the drop table) */
	bool timing;         /* time the handlers (two local_clock() reads per skb) */
	u32 snap;            /* bytes of a dropped frame kept in its sample (at most PKTPATH_KSAMPLE_SNAP_MAX) */
	u32 sample_capacity; /* sample ring slots, a power of two; 0: no samples */
};

struct pktpath_kshim {
	const struct pktpath_stage_set *set;
	struct pktpath_table_params image_params, drop_params;
	const char *image_names[PKTPATH_TABLE_MAX_STAGES];
	u8 image_preds[PKTPATH_TABLE_MAX_STAGES];
	struct pktpath_table_header *image, *drops;
	u64 image_size, drops_size;
	int enabled;
	int ifindex;
	u32 stage_on; /* bit per stage that has probe points */
	bool frees;
	bool timing;
	u32 npoints;
	struct pktpath_kpoint points[PKTPATH_KSHIM_POINTS];
	struct pktpath_kpoint free_points[PKTPATH_KDROP_STAGES];
	struct pktpath_kstats stats[PKTPATH_TABLE_MAX_STAGES];
	struct pktpath_kstats free_stats[PKTPATH_KDROP_STAGES];
	struct pktpath_kloc locs[PKTPATH_KREASON_ROWS][PKTPATH_KSHIM_LOCATIONS];
	atomic64_t loc_other[PKTPATH_KREASON_ROWS]; /* drops at a location beyond the kept ones */
	struct pktpath_kfilter filters[2];
	struct pktpath_kfilter __rcu *filter;
	struct mutex lock;         /* control: reset, filter, enable, ifindex */
	void *samples;             /* the sample ring's image (vmalloc_user: the samples file maps it), or NULL */
	u64 samples_size;          /* bytes, whole pages */
	struct pktpath_ring sring; /* the producer's view: constants in kernel memory, not the mapped ones */
	u32 snap;
	u64 sampled; /* samples written since load or reset, under sample_lock */
	spinlock_t sample_lock;
	struct pktpath_kseen __percpu *seen;
};

static const char *const pktpath_kdrop_stage_names[PKTPATH_KDROP_STAGES] = {"kfree_skb", "consume_skb"};
static const u8 pktpath_kdrop_stage_preds[PKTPATH_KDROP_STAGES] = {PKTPATH_TABLE_NO_PRED, PKTPATH_TABLE_NO_PRED};

/* ------------------------------------------------------------ counting */

/* Packets of one key (or of its parse status, without one) at a table stage; true when it went to overflow. */
static inline bool pktpath_kshim_add(struct pktpath_table_header *t, const void *key, bool has_key, u32 status,
				     u32 stage, u32 segs, u32 bytes)
{
	struct pktpath_table_geom g;
	u64 row;

	pktpath_table_geom_of(t, &g);
	row = has_key ? pktpath_table_row_(&g, key, pktpath_table_hash_(&g, key)) : g.mask + 2 + status;
	pktpath_table_add_packets_(&g, 0, row, stage, segs, bytes);
	return row == g.mask + 1;
}

/* Where a reason's drops happened: the first PKTPATH_KSHIM_LOCATIONS call sites, then "other". */
static inline void pktpath_kshim_locate(struct pktpath_kshim *s, u32 reason, void *location, u32 segs)
{
	struct pktpath_kloc *l = s->locs[pktpath_kreason_row(reason)];
	unsigned long ip = (unsigned long)location;
	unsigned int i;

	for (i = 0; i < PKTPATH_KSHIM_LOCATIONS; i++) {
		unsigned long seen = READ_ONCE(l[i].ip);

		if (!seen)
			seen = cmpxchg(&l[i].ip, 0UL, ip) ?: ip;
		if (seen == ip) {
			atomic64_add(segs, &l[i].count);
			return;
		}
	}
	atomic64_add(segs, &s->loc_other[pktpath_kreason_row(reason)]);
}

/* The checks around the parse, in the order the stats report them: counting enabled, then the flow filter. */
static inline int pktpath_kshim_enabled(struct pktpath_kshim *s, struct pktpath_kstats *st, u32 segs)
{
	if (!READ_ONCE(s->enabled)) {
		atomic64_add(segs, &st->disabled);
		return 0;
	}
	return 1;
}

static inline int pktpath_kshim_admit(struct pktpath_kshim *s, struct pktpath_kstats *st, u32 segs,
				      const struct pktpath_parse_result *r)
{
	/* Probes run with preemption disabled: an RCU-sched read side, which the control file's swap waits for. */
	const struct pktpath_kfilter *f = rcu_dereference_sched(s->filter);

	if (!pktpath_flow_filter_match(&f->f, r)) {
		atomic64_add(segs, &st->filtered);
		return 0;
	}
	return 1;
}

/* A parsed frame into the flow table at a stage, with its stage's figures. */
static inline void pktpath_kshim_record(struct pktpath_kshim *s, struct pktpath_kstats *st, u32 stage,
					const struct pktpath_parse_result *r, u32 segs, u32 bytes)
{
	if (pktpath_kshim_add(s->image, &r->key, pktpath_status_has_key(r->status), r->status, stage, segs, bytes))
		atomic64_add(segs, &st->overflow);
	atomic64_add(segs, &st->counted);
}

/* Probes run with preemption disabled: this CPU's history stays ours while we write it. */
static inline void pktpath_kseen_note(struct pktpath_kshim *s, const struct sk_buff *skb, u32 stage)
{
	struct pktpath_kseen *h = this_cpu_ptr(s->seen);
	u32 i = h->next++ % PKTPATH_KSHIM_SEEN;

	h->skb[i] = skb;
	h->stage[i] = (u16)stage;
}

static inline u16 pktpath_kseen_stage(struct pktpath_kshim *s, const struct sk_buff *skb)
{
	const struct pktpath_kseen *h = this_cpu_ptr(s->seen);
	u32 k;

	for (k = 1; k <= PKTPATH_KSHIM_SEEN; k++) {
		u32 i = (h->next - k) % PKTPATH_KSHIM_SEEN;

		if (h->skb[i] == skb)
			return h->stage[i];
	}
	return PKTPATH_KSAMPLE_NO_STAGE;
}

/*
 * A dropped skb's sample, filled in place in the ring (zero copy: reserve,
 * copy from the skb, commit).  The ring is single-producer under a spinlock
 * rather than multi-producer: kfree_skb fires on any CPU, in softirq,
 * process or hard interrupt context, and ring.h's multi-producer publish
 * waits for the earlier claimer's tail, a word in memory the reader maps
 * writable, so a stray write there would stall every producer for good;
 * the lock's wait is bounded by one sample's copy.  Interrupts are off
 * while it is held, so an interrupt's drop on this CPU cannot wait for the
 * lock it interrupted.  Not inlined: its frame and the parser's copy of the
 * headers are not on the stack together.
 */
static noinline void pktpath_kshim_sample(struct pktpath_kshim *s, const struct sk_buff *skb, u32 reason, u32 segs)
{
	u16 stage = pktpath_kseen_stage(s, skb);
	int off = skb_mac_header_was_set(skb) ? skb_mac_offset(skb) : 0;
	int len = (int)skb->len - off;
	u32 wire = len > 0 ? (u32)len : 0;
	u32 cap = wire < s->snap ? wire : s->snap;
	struct pktpath_ksample *smp;
	unsigned long flags;
	u32 first;

	spin_lock_irqsave(&s->sample_lock, flags);
	if (pktpath_ring_reserve(&s->sring, 1, &first) == 1) {
		smp = pktpath_ring_slot(&s->sring, first);
		if (cap && skb_copy_bits(skb, off, smp + 1, cap))
			cap = 0;
		smp->ts_ns = ktime_get_real_ns();
		smp->ifindex = (u32)skb->skb_iif;
		smp->reason = reason;
		smp->wire_len = wire;
		smp->cap_len = cap;
		smp->stage = stage;
		smp->segs = segs < 0xffff ? (u16)segs : 0xffff;
		smp->zero = 0;
		pktpath_ring_commit(&s->sring, 1);
		s->sampled++;
	} else {
		pktpath_ring_count_drops(&s->sring, 1);
	}
	spin_unlock_irqrestore(&s->sample_lock, flags);
}

/* A frame's way into the tables: the checks every probe makes, in the order its stats report them. */
static inline int pktpath_kshim_classify(struct pktpath_kshim *s, struct pktpath_kstats *st, const struct sk_buff *skb,
					 int layer, u32 segs, struct pktpath_parse_result *r, u32 *bytes)
{
	if (!pktpath_kshim_enabled(s, st, segs))
		return -1;
	if (pktpath_kskb_parse(skb, layer, r, bytes)) {
		atomic64_add(segs, &st->copy_failed);
		return -1;
	}
	return pktpath_kshim_admit(s, st, segs, r) ? 0 : -1;
}

static inline void pktpath_kshim_count(struct pktpath_kpoint *pt, const struct sk_buff *skb,
				       const struct net_device *dev)
{
	struct pktpath_kshim *s = pt->shim;
	struct pktpath_kstats *st = &s->stats[pt->stage];
	struct pktpath_parse_result r;
	u32 segs, bytes;
	u64 t0;

	atomic64_inc(&pt->hits);
	atomic64_inc(&st->hits);
	if (!dev)
		dev = skb->dev;
	if (s->ifindex && (!dev || dev->ifindex != s->ifindex)) {
		atomic64_inc(&st->other_dev);
		return;
	}
	t0 = s->timing ? local_clock() : 0;
	segs = pktpath_kskb_segs(skb);
	if (!pktpath_kshim_classify(s, st, skb, pt->layer, segs, &r, &bytes)) {
		pktpath_kshim_record(s, st, pt->stage, &r, segs, bytes);
		if (s->seen)
			pktpath_kseen_note(s, skb, pt->stage);
	}
	if (t0)
		atomic64_add(local_clock() - t0, &st->ns);
}

/* A freed skb: kfree_skb with its reason, or consume_skb. */
static inline void pktpath_kshim_freed(struct pktpath_kpoint *pt, const struct sk_buff *skb, u32 reason, void *location)
{
	struct pktpath_kshim *s = pt->shim;
	struct pktpath_kstats *st = &s->free_stats[pt->stage];
	struct pktpath_parse_result r;
	struct pktpath_kdrop_key key;
	u32 segs, bytes;
	u64 t0;

	atomic64_inc(&pt->hits);
	atomic64_inc(&st->hits);
	/* skb_iif is set by __netif_receive_skb_core: skbs built here (replies) and drops before it have none. */
	if (s->ifindex ? skb->skb_iif != s->ifindex : !skb->skb_iif) {
		atomic64_inc(&st->other_dev);
		return;
	}
	t0 = s->timing ? local_clock() : 0;
	segs = pktpath_kskb_segs(skb);
	if (!pktpath_kshim_classify(s, st, skb, PKTPATH_KSKB_L3, segs, &r, &bytes)) {
		memset(&key, 0, sizeof(key));
		if (pktpath_status_has_key(r.status))
			key.flow = r.key;
		key.reason = reason;
		key.status = r.status;
		if (pktpath_kshim_add(s->drops, &key, true, 0, pt->stage, segs, bytes))
			atomic64_add(segs, &st->overflow);
		atomic64_add(segs, &st->counted);
		if (pt->stage == PKTPATH_KDROP_KFREE)
			pktpath_kshim_locate(s, reason, location, segs);
		if (pt->stage == PKTPATH_KDROP_KFREE && s->samples)
			pktpath_kshim_sample(s, skb, reason, segs);
	}
	if (t0)
		atomic64_add(local_clock() - t0, &st->ns);
}

/* ------------------------------------------------------- probe handlers */

static inline int pktpath_kshim_kprobe(struct kprobe *kp, struct pt_regs *regs)
{
	struct pktpath_kpoint *pt = container_of(kp, struct pktpath_kpoint, kp);
	unsigned long arg = regs_get_kernel_argument(regs, pt->arg);
	const struct net_device *dev = NULL;
	struct sk_buff *skb;

	if (pt->dev_arg >= 0)
		dev = (const struct net_device *)regs_get_kernel_argument(regs, pt->dev_arg);
	if (!arg)
		return 0;
	switch (pt->arg_kind) {
	case PKTPATH_KARG_SKB:
		pktpath_kshim_count(pt, (struct sk_buff *)arg, dev);
		break;
	case PKTPATH_KARG_PSKB:
		skb = *(struct sk_buff **)arg;
		if (skb)
			pktpath_kshim_count(pt, skb, dev);
		break;
	case PKTPATH_KARG_LIST:
		list_for_each_entry(skb, (struct list_head *)arg, list) pktpath_kshim_count(pt, skb, dev);
		break;
	}
	return 0;
}

/* Tracepoints whose first argument is the skb (net:napi_gro_receive_entry, net:netif_receive_skb). */
static inline void pktpath_kshim_tp_skb(void *data, const struct sk_buff *skb)
{
	pktpath_kshim_count(data, skb, NULL);
}

/* skb:kfree_skb and skb:consume_skb (include/trace/events/skb.h); 6.12 added rx_sk and consume's location. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
static inline void pktpath_kshim_tp_kfree(void *data, struct sk_buff *skb, void *location, enum skb_drop_reason reason,
					  struct sock *rx_sk)
#else
static inline void pktpath_kshim_tp_kfree(void *data, struct sk_buff *skb, void *location, enum skb_drop_reason reason)
#endif
{
	pktpath_kshim_freed(data, skb, (u32)reason, location);
}

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
static inline void pktpath_kshim_tp_consume(void *data, struct sk_buff *skb, void *location)
{
	pktpath_kshim_freed(data, skb, PKTPATH_KDROP_NO_REASON, location);
}
#else
static inline void pktpath_kshim_tp_consume(void *data, struct sk_buff *skb)
{
	pktpath_kshim_freed(data, skb, PKTPATH_KDROP_NO_REASON, NULL);
}
#endif

/* ---------------------------------------------------------- attaching */

struct pktpath_ktp_lookup {
	const char *name;
	struct tracepoint *tp;
};

static inline void pktpath_ktp_find(struct tracepoint *tp, void *priv)
{
	struct pktpath_ktp_lookup *l = priv;

	if (!strcmp(tp->name, l->name))
		l->tp = tp;
}

/* "SYMBOL[@ARG[,dDEV]]" into pt's symbol and arguments; -EINVAL when malformed. */
static inline int pktpath_kpoint_parse_kprobe(struct pktpath_kpoint *pt, const char *alt, size_t len)
{
	const char *at = strnchr(alt, len, '@');
	size_t sym = at ? (size_t)(at - alt) : len;
	char args[16];
	char *p = args, *dev;
	unsigned int n;

	if (!sym || sym >= sizeof(pt->symbol) - 16)
		return -EINVAL;
	memcpy(pt->symbol, alt, sym);
	pt->symbol[sym] = '\0';
	pt->arg_kind = PKTPATH_KARG_SKB;
	pt->arg = 0;
	pt->dev_arg = -1;
	if (!at)
		return 0;
	if (len - sym - 1 >= sizeof(args))
		return -EINVAL;
	memcpy(args, at + 1, len - sym - 1);
	args[len - sym - 1] = '\0';
	dev = strchr(args, ',');
	if (dev) {
		*dev++ = '\0';
		if (*dev++ != 'd' || kstrtouint(dev, 10, &n) || n > 5)
			return -EINVAL;
		pt->dev_arg = n;
	}
	if (*p == 'l' || *p == 'p')
		pt->arg_kind = *p++ == 'l' ? PKTPATH_KARG_LIST : PKTPATH_KARG_PSKB;
	if (kstrtouint(p, 10, &n) || n > 5)
		return -EINVAL;
	pt->arg = n;
	return 0;
}

static inline int pktpath_kpoint_try_kprobe(struct pktpath_kpoint *pt)
{
	static const char *const suffixes[] = {"", ".constprop.0", ".isra.0", ".part.0"};
	size_t base = strlen(pt->symbol);
	unsigned int i;
	int err = -ENOENT;

	for (i = 0; i < ARRAY_SIZE(suffixes); i++) {
		strscpy(pt->symbol + base, suffixes[i], sizeof(pt->symbol) - base);
		memset(&pt->kp, 0, sizeof(pt->kp));
		pt->kp.symbol_name = pt->symbol;
		pt->kp.pre_handler = pktpath_kshim_kprobe;
		err = register_kprobe(&pt->kp);
		if (!err)
			return 0;
		if (err != -ENOENT)
			break; /* the symbol exists but cannot be probed: no clone will do better */
	}
	if (err == -ENOENT)
		pt->symbol[base] = '\0';
	return err;
}

static inline int pktpath_kpoint_try_tp(struct pktpath_kpoint *pt, const char *name, size_t len)
{
	struct pktpath_ktp_lookup l = {.name = pt->symbol};

	if (len >= sizeof(pt->symbol))
		return -EINVAL;
	memcpy(pt->symbol, name, len);
	pt->symbol[len] = '\0';
	for_each_kernel_tracepoint(pktpath_ktp_find, &l);
	if (!l.tp)
		return -ENOENT;
	pt->tp = l.tp;
	return tracepoint_probe_register(l.tp, pt->tp_probe ? pt->tp_probe : (void *)pktpath_kshim_tp_skb, pt);
}

/* Attaches the first alternative of pt's spec that works; its state and reason say what happened. */
static inline void pktpath_kpoint_attach(struct pktpath_kpoint *pt)
{
	const char *alt = pt->spec;

	pt->state = PKTPATH_KPOINT_FAILED;
	while (*alt) {
		const char *bar = strchr(alt, '|');
		size_t len = bar ? (size_t)(bar - alt) : strlen(alt);
		bool tp = len > 3 && !strncmp(alt, "tp:", 3);
		int err;

		pt->tp = NULL;
		if (tp)
			err = pktpath_kpoint_try_tp(pt, alt + 3, len - 3);
		else
			err = pktpath_kpoint_parse_kprobe(pt, alt, len) ?: pktpath_kpoint_try_kprobe(pt);
		pt->err = err;
		if (!err) {
			pt->state = PKTPATH_KPOINT_ATTACHED;
			strscpy(pt->why, tp ? "tracepoint" : "kprobe", sizeof(pt->why));
			return;
		}
		if (tp && err == -ENOENT)
			strscpy(pt->why, "no_such_tracepoint", sizeof(pt->why));
		else if (err == -ENOENT)
			strscpy(pt->why, "no_such_symbol", sizeof(pt->why));
		else if (err == -EINVAL && !tp && !pt->symbol[0])
			strscpy(pt->why, "bad_spec", sizeof(pt->why));
		else
			snprintf(pt->why, sizeof(pt->why), "register_failed_%d", err);
		pt->tp = NULL;
		alt += len + (bar ? 1 : 0);
	}
}

static inline void pktpath_kpoint_detach(struct pktpath_kpoint *pt)
{
	if (pt->state != PKTPATH_KPOINT_ATTACHED)
		return;
	if (pt->tp)
		tracepoint_probe_unregister(pt->tp, pt->tp_probe ? pt->tp_probe : (void *)pktpath_kshim_tp_skb, pt);
	else
		unregister_kprobe(&pt->kp);
	pt->state = PKTPATH_KPOINT_OFF;
}

/* Registers every probe point one at a time: one that fails leaves the others counting. */
static inline void pktpath_kshim_attach(struct pktpath_kshim *s)
{
	unsigned int i;

	for (i = 0; i < s->npoints; i++)
		pktpath_kpoint_attach(&s->points[i]);
	for (i = 0; s->frees && i < PKTPATH_KDROP_STAGES; i++)
		pktpath_kpoint_attach(&s->free_points[i]);
}

static inline void pktpath_kshim_detach(struct pktpath_kshim *s)
{
	unsigned int i;

	for (i = 0; i < s->npoints; i++)
		pktpath_kpoint_detach(&s->points[i]);
	for (i = 0; i < PKTPATH_KDROP_STAGES; i++)
		pktpath_kpoint_detach(&s->free_points[i]);
	/* No tracepoint probe may still run when the caller frees the shim. */
	tracepoint_synchronize_unregister();
}

/* ------------------------------------------------------ create, control */

static inline int pktpath_kshim_add_points(struct pktpath_kshim *s, u32 stage, const char *probes, size_t len,
					   char *why, size_t why_len)
{
	while (len) {
		const char *plus = strnchr(probes, len, '+');
		size_t n = plus ? (size_t)(plus - probes) : len;
		struct pktpath_kpoint *pt = &s->points[s->npoints];

		if (!n || n >= sizeof(pt->spec) || s->npoints == PKTPATH_KSHIM_POINTS) {
			snprintf(why, why_len, "stage %s: bad or too many probe points", s->set->stages[stage].name);
			return -EINVAL;
		}
		pt->shim = s;
		pt->stage = stage;
		pt->layer = s->set->stages[stage].layer;
		memcpy(pt->spec, probes, n);
		pt->spec[n] = '\0';
		s->npoints++;
		s->stage_on |= 1u << stage;
		probes += n + (plus ? 1 : 0);
		len -= n + (plus ? 1 : 0);
	}
	return 0;
}

/* The stages spec: NULL or "" for every stage with its own probes, "none" for none, else NAME[=PROBES],... */
static inline int pktpath_kshim_plan(struct pktpath_kshim *s, const char *spec, char *why, size_t why_len)
{
	const struct pktpath_stage_set *set = s->set;
	u32 i;
	int err;

	if (spec && !strcmp(spec, "none"))
		return 0;

	if (!spec || !*spec) {
		for (i = 0; i < set->count; i++) {
			err = pktpath_kshim_add_points(s, i, set->stages[i].probes, strlen(set->stages[i].probes), why,
						       why_len);
			if (err)
				return err;
		}
		return 0;
	}
	while (*spec) {
		const char *comma = strchr(spec, ',');
		size_t len = comma ? (size_t)(comma - spec) : strlen(spec);
		const char *eq = strnchr(spec, len, '=');
		size_t name = eq ? (size_t)(eq - spec) : len;

		for (i = 0; i < set->count; i++)
			if (strlen(set->stages[i].name) == name && !strncmp(set->stages[i].name, spec, name))
				break;
		if (i == set->count) {
			snprintf(why, why_len, "no stage '%.*s' in set %s", (int)name, spec, set->name);
			return -EINVAL;
		}
		if (s->stage_on & (1u << i)) {
			snprintf(why, why_len, "stage %s listed twice", set->stages[i].name);
			return -EINVAL;
		}
		if (eq)
			err = pktpath_kshim_add_points(s, i, eq + 1, len - name - 1, why, why_len);
		else
			err = pktpath_kshim_add_points(s, i, set->stages[i].probes, strlen(set->stages[i].probes), why,
						       why_len);
		if (err)
			return err;
		spec += len + (comma ? 1 : 0);
	}
	return 0;
}

static inline void pktpath_kshim_destroy(struct pktpath_kshim *s)
{
	if (!s)
		return;
	vfree(s->image);
	vfree(s->drops);
	vfree(s->samples);
	free_percpu(s->seen);
	vfree(s);
}

static inline int pktpath_kshim_tables(struct pktpath_kshim *s)
{
	int err = pktpath_table_init(s->image, s->image_size, &s->image_params);

	return err ? err : pktpath_table_init(s->drops, s->drops_size, &s->drop_params);
}

/* The sample ring: its image in pages a reader can map, and the history of stages it names. */
static inline int pktpath_kshim_samples(struct pktpath_kshim *s, u32 capacity, u32 snap, char *why, size_t why_len)
{
	u32 slot = pktpath_ksample_slot_size(snap);
	enum pktpath_ring_error e;

	spin_lock_init(&s->sample_lock);
	if (!capacity)
		return 0;
	if (!pktpath_ring_valid_capacity(capacity) || capacity > (1u << 20) || !snap ||
	    snap > PKTPATH_KSAMPLE_SNAP_MAX) {
		snprintf(why, why_len, "sample_capacity %u / snap %u: a power of two up to 2^20, 1 to %u bytes",
			 capacity, snap, PKTPATH_KSAMPLE_SNAP_MAX);
		return -EINVAL;
	}
	s->snap = snap;
	s->samples_size = PAGE_ALIGN(pktpath_ring_bytes(capacity, slot));
	s->samples = vmalloc_user(s->samples_size);
	s->seen = alloc_percpu(struct pktpath_kseen);
	if (!s->samples || !s->seen) {
		snprintf(why, why_len, "cannot allocate %llu bytes of sample ring", s->samples_size);
		return -ENOMEM;
	}
	e = pktpath_ring_init(s->samples, s->samples_size, capacity, slot, 8, PKTPATH_RING_SINGLE, PKTPATH_RING_SINGLE,
			      &s->sring);
	if (e != PKTPATH_RING_OK) {
		snprintf(why, why_len, "sample ring: error %d", e);
		return -EINVAL;
	}
	return 0;
}

/* Everything the shim needs, allocated and formatted; NULL with a message in why on failure. */
static inline struct pktpath_kshim *pktpath_kshim_create(const struct pktpath_kshim_params *p, char *why,
							 size_t why_len)
{
	struct pktpath_kshim *s = vzalloc(sizeof(*s));
	u32 i;
	int err;

	if (!s) {
		snprintf(why, why_len, "out of memory");
		return NULL;
	}
	mutex_init(&s->lock);
	s->set = pktpath_stage_set_find(p->set ? p->set : "kernel_rx");
	if (!s->set) {
		snprintf(why, why_len, "no stage set '%s'", p->set);
		goto fail;
	}
	for (i = 0; i < s->set->count; i++) {
		s->image_names[i] = s->set->stages[i].name;
		s->image_preds[i] = s->set->stages[i].pred < 0 ? PKTPATH_TABLE_NO_PRED : (u8)s->set->stages[i].pred;
	}
	s->image_params = (struct pktpath_table_params){
		.capacity = p->capacity,
		.key_size = sizeof(struct pktpath_flow_key),
		.key_format = PKTPATH_TABLE_KEY_FLOW,
		.stage_count = s->set->count,
		.layout = PKTPATH_TABLE_SHARED_COUNTERS,
		.shard_count = 1,
		.hash_seed = p->seed,
		.stage_names = s->image_names,
		.stage_pred = s->image_preds,
	};
	s->drop_params = s->image_params;
	s->drop_params.capacity = p->drop_capacity;
	s->drop_params.key_size = sizeof(struct pktpath_kdrop_key);
	s->drop_params.key_format = PKTPATH_TABLE_KEY_OPAQUE;
	s->drop_params.stage_count = PKTPATH_KDROP_STAGES;
	s->drop_params.stage_names = pktpath_kdrop_stage_names;
	s->drop_params.stage_pred = pktpath_kdrop_stage_preds;
	s->image_size = pktpath_table_size(&s->image_params);
	s->drops_size = pktpath_table_size(&s->drop_params);
	if (!s->image_size || !s->drops_size) {
		snprintf(why, why_len, "capacity %u / drop_capacity %u: powers of two from 1 to 2^30", p->capacity,
			 p->drop_capacity);
		goto fail;
	}
	s->image = vmalloc(s->image_size);
	s->drops = vmalloc(s->drops_size);
	if (!s->image || !s->drops) {
		snprintf(why, why_len, "cannot allocate %llu + %llu bytes of tables", s->image_size, s->drops_size);
		goto fail;
	}
	err = pktpath_kshim_tables(s);
	if (err) {
		snprintf(why, why_len, "table: %s", pktpath_table_strerror(err));
		goto fail;
	}
	s->enabled = p->enabled;
	s->ifindex = p->ifindex;
	s->frees = p->frees;
	s->timing = p->timing;
	RCU_INIT_POINTER(s->filter, &s->filters[0]);
	strscpy(s->filters[0].text, "-", sizeof(s->filters[0].text));
	if (pktpath_kshim_plan(s, p->stages, why, why_len))
		goto fail;
	if (pktpath_kshim_samples(s, p->sample_capacity, p->snap, why, why_len))
		goto fail;
	for (i = 0; i < PKTPATH_KDROP_STAGES; i++) {
		struct pktpath_kpoint *pt = &s->free_points[i];

		pt->shim = s;
		pt->stage = i;
		pt->layer = PKTPATH_KSKB_L3;
		pt->tp_probe =
			i == PKTPATH_KDROP_KFREE ? (void *)pktpath_kshim_tp_kfree : (void *)pktpath_kshim_tp_consume;
		snprintf(pt->spec, sizeof(pt->spec), "tp:%s", pktpath_kdrop_stage_names[i]);
	}
	return s;
fail:
	pktpath_kshim_destroy(s);
	return NULL;
}

static inline void pktpath_kstats_zero(struct pktpath_kstats *st)
{
	atomic64_set(&st->hits, 0);
	atomic64_set(&st->counted, 0);
	atomic64_set(&st->overflow, 0);
	atomic64_set(&st->copy_failed, 0);
	atomic64_set(&st->disabled, 0);
	atomic64_set(&st->filtered, 0);
	atomic64_set(&st->other_dev, 0);
	atomic64_set(&st->ns, 0);
}

/* Empty tables and zero figures.  Counting pauses meanwhile, so no probe writes into a table being formatted. */
static inline void pktpath_kshim_reset(struct pktpath_kshim *s)
{
	int enabled = s->enabled;
	unsigned int i, j;

	WRITE_ONCE(s->enabled, 0);
	synchronize_rcu(); /* every probe that saw enabled set has returned */
	pktpath_kshim_tables(s);
	for (i = 0; i < PKTPATH_TABLE_MAX_STAGES; i++)
		pktpath_kstats_zero(&s->stats[i]);
	for (i = 0; i < PKTPATH_KDROP_STAGES; i++) {
		pktpath_kstats_zero(&s->free_stats[i]);
		atomic64_set(&s->free_points[i].hits, 0);
	}
	for (i = 0; i < s->npoints; i++)
		atomic64_set(&s->points[i].hits, 0);
	for (i = 0; i < PKTPATH_KREASON_ROWS; i++) {
		for (j = 0; j < PKTPATH_KSHIM_LOCATIONS; j++) {
			s->locs[i][j].ip = 0;
			atomic64_set(&s->locs[i][j].count, 0);
		}
		atomic64_set(&s->loc_other[i], 0);
	}
	/* Samples not yet read stay: the reader's side of the ring is the reader's to move. */
	if (s->samples) {
		spin_lock_irq(&s->sample_lock);
		s->sampled = 0;
		PKTPATH_STORE_RELAXED(&s->sring.h->drops, 0);
		spin_unlock_irq(&s->sample_lock);
	}
	WRITE_ONCE(s->enabled, enabled);
}

static inline int pktpath_kprefix_parse(struct pktpath_flow_filter *f, unsigned int c, const char *v)
{
	const char *slash = strchr(v, '/'), *end;
	size_t n = slash ? (size_t)(slash - v) : strlen(v);
	unsigned int ipver, len;
	u8 addr[16];

	if (in4_pton(v, n, addr, -1, &end) && end == v + n)
		ipver = 4;
	else if (in6_pton(v, n, addr, -1, &end) && end == v + n)
		ipver = 6;
	else
		return -EINVAL;
	len = ipver == 4 ? 32 : 128;
	if (slash && kstrtouint(slash + 1, 10, &len))
		return -EINVAL;
	return pktpath_flow_filter_set_prefix(f, c, addr, ipver, len) ? -EINVAL : 0;
}

/*
 * "proto=udp host=192.0.2.0/24 port=53" (space-separated criteria of
 * flow/filter.h, each at most once) into f.  Not vlan: by the probed stages
 * the tag is out of the frame's bytes (skb->vlan_tci), where the parser
 * does not see it.
 */
static inline int pktpath_kfilter_parse(struct pktpath_kfilter *f, char *text, char *why, size_t why_len)
{
	char *tok;

	memset(f, 0, sizeof(*f));
	strscpy(f->text, text, sizeof(f->text));
	while ((tok = strsep(&text, " \t"))) {
		char *v = strchr(tok, '=');
		int c, err = -EINVAL;
		u32 n;

		if (!*tok)
			continue;
		if (v)
			*v++ = '\0';
		c = pktpath_filter_criterion_from_name(tok);
		if (!v || c < 0 || c == PKTPATH_FILTER_VLAN) {
			err = -EINVAL;
		} else if (pktpath_filter_criterion_is_prefix(c)) {
			err = pktpath_kprefix_parse(&f->f, c, v);
		} else {
			n = c == PKTPATH_FILTER_PROTO ? (u32)pktpath_proto_from_name(v) : (u32)-1;
			if (n == (u32)-1 && kstrtou32(v, 10, &n))
				n = (u32)-1;
			err = pktpath_flow_filter_set_number(&f->f, c, n) ? -EINVAL : 0;
		}
		if (err) {
			snprintf(why, why_len, "bad filter criterion '%s%s%s'", tok, v ? "=" : "", v ? v : "");
			return err;
		}
	}
	return 0;
}

/*
 * One control command (see abi.h); 0 or a negative errno with a message in
 * why.  Sleeps (mutex, RCU grace periods): process context only.
 */
static inline int pktpath_kshim_control(struct pktpath_kshim *s, char *cmd, char *why, size_t why_len)
{
	struct pktpath_kfilter *next;
	int err = 0, n;

	cmd = strim(cmd);
	mutex_lock(&s->lock);
	if (!strcmp(cmd, "reset")) {
		pktpath_kshim_reset(s);
	} else if (!strcmp(cmd, "enable") || !strcmp(cmd, "disable")) {
		WRITE_ONCE(s->enabled, cmd[0] == 'e');
	} else if (!strncmp(cmd, "ifindex ", 8)) {
		err = kstrtoint(cmd + 8, 10, &n);
		if (!err && n >= 0)
			WRITE_ONCE(s->ifindex, n);
		else
			snprintf(why, why_len, "ifindex: a number >= 0");
	} else if (!strcmp(cmd, "filter off") || !strncmp(cmd, "filter ", 7)) {
		next = rcu_dereference_protected(s->filter, lockdep_is_held(&s->lock)) == &s->filters[0]
			       ? &s->filters[1]
			       : &s->filters[0];
		if (!strcmp(cmd, "filter off")) {
			memset(next, 0, sizeof(*next));
			strscpy(next->text, "-", sizeof(next->text));
		} else {
			err = pktpath_kfilter_parse(next, cmd + 7, why, why_len);
		}
		if (!err) {
			rcu_assign_pointer(s->filter, next);
			synchronize_rcu(); /* the previous filter is unused from here on: the next change may rewrite it */
		}
	} else {
		snprintf(why, why_len, "unknown command '%s'", cmd);
		err = -EINVAL;
	}
	mutex_unlock(&s->lock);
	return err ? (err < 0 ? err : -EINVAL) : 0;
}

#endif /* __KERNEL__ */
#endif /* PKTPATH_KERNEL_SHIM_H */
