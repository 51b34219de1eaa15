/* SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only */
/*
 * Counters for a network driver's own receive path, kernel only: a driver
 * counts each frame at the stages of its RX loop into the library's table
 * (per flow, per stage), with no probe on its code, and exports it as the
 * shim does (procfs.h), so pktpath-kstat --dir /proc/NAME reads it.
 *
 *   struct pktpath_kdrv d;
 *   pktpath_kdrv_create(&d, "driver_rx", 4096, why, sizeof(why));   in probe()
 *   pktpath_kdrv_export(&d, "mydrv", netdev->ifindex);               after register_netdev()
 *   pktpath_kdrv_count_skb(&d, PKTPATH_DRIVER_RX_to_stack, skb);     in the poll loop
 *   pktpath_kdrv_destroy(&d);                                        in remove()
 *
 * The stage set's stages without probe points (table/stages.h) are the
 * driver's; the others (driver_rx: the stack's L3 entry points) are probed
 * by the shim on the driver's device alone, and the drop table holds the
 * skbs received on that device that the kernel freed, by drop reason.  Counting takes no lock and
 * allocates nothing: call it from any context, hard IRQ included.  A frame
 * not counted is still accounted for in the status file (disabled,
 * filtered, copy_failed), as for the shim's probes.
 */
#ifndef PKTPATH_KERNEL_DRIVER_H
#define PKTPATH_KERNEL_DRIVER_H

#ifdef __KERNEL__

#include "procfs.h"
#include "shim.h"

struct pktpath_kdrv {
	struct pktpath_kshim *shim;
	struct proc_dir_entry *dir; /* NULL until exported */
};

/* One frame in a contiguous buffer, for pktpath_kdrv_count_burst(). */
struct pktpath_kdrv_buf {
	const void *data; /* the Ethernet header on */
	u32 len;
};

/*
 * A flow table and a drop table of `flows` slots each (a power of two) for
 * stage set `set`, counting from now on; its probes and the free
 * tracepoints attach at export.  0, or a negative errno with a message in why.
 */
static inline int pktpath_kdrv_create(struct pktpath_kdrv *d, const char *set, u32 flows, char *why, size_t why_len)
{
	const struct pktpath_kshim_params p = {
		.set = set,
		.capacity = flows,
		.drop_capacity = flows,
		.enabled = true,
		.frees = true,
	};
	u32 i;

	d->dir = NULL;
	d->shim = pktpath_kshim_create(&p, why, why_len);
	if (!d->shim)
		return -EINVAL;
	for (i = 0; i < d->shim->set->count; i++)
		if (!d->shim->set->stages[i].probes[0])
			d->shim->stage_on |= 1u << i;
	return 0;
}

/* Attaches the probes and free tracepoints to ifindex's frames, makes /proc/NAME (procfs.h); 0 or -ENOMEM. */
static inline int pktpath_kdrv_export(struct pktpath_kdrv *d, const char *name, int ifindex)
{
	WRITE_ONCE(d->shim->ifindex, ifindex);
	pktpath_kshim_attach(d->shim);
	d->dir = pktpath_kproc_create(name, d->shim);
	return d->dir ? 0 : -ENOMEM;
}

/* Removes the files and the probes, then frees the table: the driver counts no more by then. */
static inline void pktpath_kdrv_destroy(struct pktpath_kdrv *d)
{
	if (!d->shim)
		return;
	proc_remove(d->dir);
	pktpath_kshim_detach(d->shim);
	pktpath_kshim_destroy(d->shim);
	d->shim = NULL;
	d->dir = NULL;
}

/*
 * n frames at `stage`, one call for a burst taken from or refused by a
 * ring.  Preemption is off meanwhile: the shim's reset and filter swap wait for it.
 */
static inline void pktpath_kdrv_count_burst(struct pktpath_kdrv *d, u32 stage, const struct pktpath_kdrv_buf *b,
					    unsigned int n)
{
	struct pktpath_kshim *s = d->shim;
	struct pktpath_kstats *st = &s->stats[stage];
	struct pktpath_parse_result r;
	unsigned int i;

	atomic64_add(n, &st->hits);
	rcu_read_lock_sched();
	for (i = 0; i < n; i++) {
		if (!pktpath_kshim_enabled(s, st, 1))
			continue;
		pktpath_parse(b[i].data, b[i].len, PKTPATH_LINKTYPE_ETHERNET, 0, &r);
		if (pktpath_kshim_admit(s, st, 1, &r))
			pktpath_kshim_record(s, st, stage, &r, 1, b[i].len);
	}
	rcu_read_unlock_sched();
}

/* A frame at `stage` from its bytes (the Ethernet header on): a descriptor's buffer before any skb exists. */
static inline void pktpath_kdrv_count_buf(struct pktpath_kdrv *d, u32 stage, const void *data, u32 len)
{
	const struct pktpath_kdrv_buf b = {data, len};

	pktpath_kdrv_count_burst(d, stage, &b, 1);
}

/*
 * An skb at `stage`, from its MAC header (or skb->data before
 * eth_type_trans), standing for gso_segs frames.
 */
static inline void pktpath_kdrv_count_skb(struct pktpath_kdrv *d, u32 stage, const struct sk_buff *skb)
{
	struct pktpath_kshim *s = d->shim;
	struct pktpath_kstats *st = &s->stats[stage];
	struct pktpath_parse_result r;
	u32 segs = pktpath_kskb_segs(skb), bytes;

	atomic64_inc(&st->hits);
	rcu_read_lock_sched();
	if (pktpath_kshim_classify(s, st, skb, PKTPATH_KSKB_L2, segs, &r, &bytes) == 0)
		pktpath_kshim_record(s, st, stage, &r, segs, bytes);
	rcu_read_unlock_sched();
}

#endif /* __KERNEL__ */
#endif /* PKTPATH_KERNEL_DRIVER_H */
