/* SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only */
/*
 * The only implementation of the counter table's lock-free find-or-insert
 * and increment algorithm, on an image formatted by image.h.  Kernel C
 * (gnu11), userspace C and the C++ template (stage_table.hpp) all run these
 * inline functions, so a module and a process counting the same keys leave
 * byte-identical images.
 *
 * Slot protocol (the meta word; slots are never freed, so a key never moves):
 *   EMPTY (0) --CAS--> BUSY|tag --release store--> FULL|tag
 * tag = the key's 64-bit hash with the two state bits cleared.  The inserter
 * that wins the CAS owns the slot, writes the key with plain stores and
 * publishes it with a release store; any thread that sees FULL with acquire
 * may read the key.  A prober that meets BUSY with another tag knows the key
 * being written is not its own and probes on; BUSY with its own tag may be
 * its own key, so it waits (bounded) for FULL rather than insert a duplicate
 * further along.  No duplicates: a slot only ever holds the key its claimer
 * wrote, an inserter of K passes a slot only when it holds (or is being
 * given) another key, and so every inserter of K reaches the first slot
 * claimed for K before any empty slot, and finds K there.
 */
#ifndef PKTPATH_TABLE_COUNT_H
#define PKTPATH_TABLE_COUNT_H

#include "../config.h"
#include "../hash/fast.h"
#include "image.h"

/* Pauses a prober waits for an insert of its own hash before giving up. */
#define PKTPATH_TABLE_SPIN_LIMIT 1024u
/* Keys hashed and prefetched ahead in the burst calls (rows, count). */
#define PKTPATH_TABLE_BURST 32u

/* pktpath_table_probe() results other than a slot index */
#define PKTPATH_TABLE_NO_SLOT (-1)   /* key absent (lookup) or no free slot within the probe limit */
#define PKTPATH_TABLE_CONTENDED (-2) /* an insert of the same hash stayed unpublished for the spin limit */

#define PKTPATH_TABLE_HOT static inline PKTPATH_ALWAYS_INLINE
#define PKTPATH_TABLE_COLD static PKTPATH_NOINLINE_COLD

/*
 * Called when an insert of the same hash stays unpublished past the spin
 * limit: nonzero to probe again (userspace may yield to the preempted
 * inserter).  Without one the packet goes to the overflow row.
 */
typedef int (*pktpath_table_wait_fn)(unsigned attempt);

/*
 * What the hot path needs, gathered once.  C callers fill it from the header
 * with pktpath_table_geom_of(); the C++ template fills key_size, slot_size,
 * counters_offset, row_size and layout with constants, which the compiler
 * propagates through these always-inline functions.
 */
struct pktpath_table_geom {
	uint8_t *slots;
	uint8_t *rows;
	uint64_t mask; /* capacity - 1; capacity is also the overflow row */
	uint64_t plane_size;
	uint64_t hash_seed;
	uint32_t probe_limit;
	uint32_t key_size;
	uint32_t slot_size;
	uint32_t counters_offset;
	uint32_t row_size;
	uint32_t layout;
	pktpath_table_wait_fn wait; /* NULL from pktpath_table_geom_of() */
};

PKTPATH_INLINE void pktpath_table_geom_of(struct pktpath_table_header *t, struct pktpath_table_geom *g)
{
	g->slots = (uint8_t *)t + t->slots_offset;
	g->rows = (uint8_t *)t + t->rows_offset;
	g->mask = (uint64_t)t->capacity - 1;
	g->plane_size = t->plane_size;
	g->hash_seed = t->hash_seed;
	g->probe_limit = t->probe_limit;
	g->key_size = t->key_size;
	g->slot_size = t->slot_size;
	g->counters_offset = t->counters_offset;
	g->row_size = t->row_size;
	g->layout = t->layout;
	g->wait = NULL;
}

PKTPATH_TABLE_HOT uint64_t pktpath_table_hash_(const struct pktpath_table_geom *g, const void *key)
{
	return pktpath_hash_fast64(key, g->key_size, g->hash_seed);
}

/*
 * Finds key's slot, inserting it when insert is set and a free slot lies
 * within the probe limit.  Returns the slot index, PKTPATH_TABLE_NO_SLOT or
 * PKTPATH_TABLE_CONTENDED.  Wait-free: at most probe_limit slots, and at most
 * PKTPATH_TABLE_SPIN_LIMIT pauses on one slot whose insert of the same hash
 * is unpublished (its inserter preempted, or interrupted by us on its CPU).
 * With insert clear it never writes, so it may run on a read-only mapping.
 */
PKTPATH_TABLE_HOT int64_t pktpath_table_probe(const struct pktpath_table_geom *g, const void *key, uint64_t hash,
					      int insert)
{
	const uint64_t tag = hash & ~PKTPATH_SLOT_STATE;
	const uint64_t busy = tag | PKTPATH_SLOT_BUSY;
	const uint64_t full = tag | PKTPATH_SLOT_FULL;
	uint64_t i = hash & g->mask;
	uint32_t n;

	for (n = 0; n < g->probe_limit; n++, i = (i + 1) & g->mask) {
		uint8_t *slot = g->slots + i * g->slot_size;
		uint64_t *meta = (uint64_t *)(void *)slot;
		/* Acquire pairs with the release that publishes FULL below: a FULL word means readable key bytes. */
		uint64_t m = PKTPATH_LOAD_ACQUIRE(meta);

		if (m == PKTPATH_SLOT_EMPTY) {
			/* Slots are never freed, so a stored key never lies beyond an empty slot. */
			if (!insert)
				return PKTPATH_TABLE_NO_SLOT;
			/*
			 * Claim.  The failure order is acquire because m may then be the winner's
			 * FULL word, whose key we compare; GCC requires success >= failure.
			 */
			if (PKTPATH_CAS_ACQUIRE(meta, &m, busy)) {
				memcpy(slot + PKTPATH_TABLE_KEY_OFFSET, key, g->key_size);
				/* Release pairs with the acquire loads of probers, readers and image copies. */
				PKTPATH_STORE_RELEASE(meta, full);
				return (int64_t)i;
			}
		}
		if (m == busy) {
			/* Maybe our key: passing it could insert a duplicate further on. */
			uint32_t spin = 0;
			do {
				if (++spin > PKTPATH_TABLE_SPIN_LIMIT)
					return PKTPATH_TABLE_CONTENDED;
				pktpath_cpu_relax();
				m = PKTPATH_LOAD_ACQUIRE(meta); /* pairs with the publishing release */
			} while (m == busy);
		}
		if (m == full && memcmp(slot + PKTPATH_TABLE_KEY_OFFSET, key, g->key_size) == 0)
			return (int64_t)i;
		/* FULL or BUSY with another tag: another key. */
	}
	return PKTPATH_TABLE_NO_SLOT;
}

/*
 * The contended case, out of line.  g by value: its address never escapes
 * the hot path, so the compiler keeps the caller's constant geometry.
 */
PKTPATH_TABLE_COLD int64_t pktpath_table_retry_(struct pktpath_table_geom g, const void *key, uint64_t hash)
{
	unsigned attempt = 0;
	int64_t s = PKTPATH_TABLE_CONTENDED;
	while (s == PKTPATH_TABLE_CONTENDED && g.wait(attempt++))
		s = pktpath_table_probe(&g, key, hash, 1);
	return s;
}

/* Row of a key: its slot (inserted if new) or, when none is available, the overflow row. */
PKTPATH_TABLE_HOT uint64_t pktpath_table_row_(const struct pktpath_table_geom *g, const void *key, uint64_t hash)
{
	int64_t s = pktpath_table_probe(g, key, hash, 1);
	if (PKTPATH_UNLIKELY(s == PKTPATH_TABLE_CONTENDED) && g->wait)
		s = pktpath_table_retry_(*g, key, hash);
	return s >= 0 ? (uint64_t)s : g->mask + 1;
}

/* The stage_count counters of a row in a shard's plane (shared counters have one plane). */
PKTPATH_TABLE_HOT struct pktpath_counter *pktpath_table_counters_(const struct pktpath_table_geom *g, uint32_t shard,
								  uint64_t row)
{
	if (g->layout == PKTPATH_TABLE_SHARED_COUNTERS) {
		if (row <= g->mask)
			return (struct pktpath_counter *)(void *)(g->slots + row * g->slot_size + g->counters_offset);
		row -= g->mask + 1;
		shard = 0;
	}
	return (struct pktpath_counter *)(void *)(g->rows + shard * g->plane_size + row * g->row_size);
}

/*
 * Increments by `packets` packets of `bytes` bytes in all (more than one
 * for a kernel skb that GRO made of several wire frames).  Release on both
 * adds, packets first: a reader that loads bytes and then packets with
 * acquire, and a stage before its predecessor, sees every packet whose
 * bytes (or downstream count) it saw.  On x86 this is the same lock xadd /
 * mov as relaxed.
 */
PKTPATH_TABLE_HOT void pktpath_counter_add_packets(struct pktpath_counter *c, uint64_t packets, uint64_t bytes)
{
	PKTPATH_FETCH_ADD_RELEASE(&c->packets, packets);
	PKTPATH_FETCH_ADD_RELEASE(&c->bytes, bytes);
}

PKTPATH_TABLE_HOT void pktpath_counter_add(struct pktpath_counter *c, uint64_t bytes)
{
	pktpath_counter_add_packets(c, 1, bytes);
}

/* Single writer per counter (a per-thread or per-CPU shard): no read-modify-write. */
PKTPATH_TABLE_HOT void pktpath_counter_add_owned_packets(struct pktpath_counter *c, uint64_t packets, uint64_t bytes)
{
	PKTPATH_STORE_RELEASE(&c->packets, PKTPATH_LOAD_RELAXED(&c->packets) + packets);
	PKTPATH_STORE_RELEASE(&c->bytes, PKTPATH_LOAD_RELAXED(&c->bytes) + bytes);
}

PKTPATH_TABLE_HOT void pktpath_counter_add_owned(struct pktpath_counter *c, uint64_t bytes)
{
	pktpath_counter_add_owned_packets(c, 1, bytes);
}

/* Adds a counter into *sum: bytes first, then packets, both acquire (pairs with the release adds). */
PKTPATH_TABLE_HOT void pktpath_counter_read(const struct pktpath_counter *c, struct pktpath_counter *sum)
{
	uint64_t bytes = PKTPATH_LOAD_ACQUIRE(&c->bytes);
	sum->packets += PKTPATH_LOAD_ACQUIRE(&c->packets);
	sum->bytes += bytes;
}

/* Packets of `bytes` on one counter: shared by any writer (shared counters) or its shard's alone. */
PKTPATH_TABLE_HOT void pktpath_table_bump_packets_(const struct pktpath_table_geom *g, struct pktpath_counter *c,
						   uint64_t packets, uint64_t bytes)
{
	if (g->layout == PKTPATH_TABLE_SHARED_COUNTERS)
		pktpath_counter_add_packets(c, packets, bytes);
	else
		pktpath_counter_add_owned_packets(c, packets, bytes);
}

PKTPATH_TABLE_HOT void pktpath_table_bump_(const struct pktpath_table_geom *g, struct pktpath_counter *c,
					   uint64_t bytes)
{
	pktpath_table_bump_packets_(g, c, 1, bytes);
}

PKTPATH_TABLE_HOT void pktpath_table_add_packets_(const struct pktpath_table_geom *g, uint32_t shard, uint64_t row,
						  uint32_t stage, uint64_t packets, uint64_t bytes)
{
	pktpath_table_bump_packets_(g, pktpath_table_counters_(g, shard, row) + stage, packets, bytes);
}

PKTPATH_TABLE_HOT void pktpath_table_add_(const struct pktpath_table_geom *g, uint32_t shard, uint64_t row,
					  uint32_t stage, uint64_t bytes)
{
	pktpath_table_add_packets_(g, shard, row, stage, 1, bytes);
}

/*
 * Requests a row's counters (every stage) in shard's plane for writing, for a
 * caller that knows the row a while before it counts there: the miss then
 * overlaps with its other work.
 */
PKTPATH_TABLE_HOT void pktpath_table_prefetch_row_(const struct pktpath_table_geom *g, uint32_t shard, uint64_t row)
{
	const uint8_t *c = (const uint8_t *)pktpath_table_counters_(g, shard, row);
	const uint32_t len = g->layout == PKTPATH_TABLE_SHARED_COUNTERS && row <= g->mask
				     ? g->slot_size - g->counters_offset
				     : g->row_size;
	uint32_t off;
	for (off = 0; off < len; off += 64)
		__builtin_prefetch(c + off, 1, 3);
}

/*
 * One packet of `bytes` at every stage whose bit is set in stage_mask (below
 * 1 << stage_count), in stage order: the row's counters are located once.
 */
PKTPATH_TABLE_HOT void pktpath_table_add_stages_(const struct pktpath_table_geom *g, uint32_t shard, uint64_t row,
						 uint32_t stage_mask, uint64_t bytes)
{
	struct pktpath_counter *c = pktpath_table_counters_(g, shard, row);
	/* Stage by stage rather than bit by bit: the stages a packet passed are
	 * mostly a run, so the test predicts well and no index is recomputed. */
	for (; stage_mask; stage_mask >>= 1, c++)
		if (stage_mask & 1)
			pktpath_table_bump_(g, c, bytes);
}

/*
 * The burst engine under both burst calls.  Hashes and prefetches up to
 * PKTPATH_TABLE_BURST home slots ahead, so their cache misses overlap, then
 * finds or inserts the keys (key_size bytes each, contiguous) in order, each
 * as pktpath_table_row_() would: a key repeated within a burst is inserted
 * by its first occurrence and found by the others.  Without bytes it stores
 * the rows in rows[]; with bytes it counts key i (bytes[i]) at stage in
 * shard's plane instead, having prefetched that counter of its home row.
 */
PKTPATH_TABLE_HOT void pktpath_table_burst_(const struct pktpath_table_geom *g, const void *keys, uint32_t n,
					    uint64_t *rows, uint32_t shard, uint32_t stage, const uint32_t *bytes)
{
	const uint8_t *k = (const uint8_t *)keys;
	uint64_t hash[PKTPATH_TABLE_BURST];
	uint32_t done, i, m;

	for (done = 0; done < n; done += m) {
		m = n - done < PKTPATH_TABLE_BURST ? n - done : PKTPATH_TABLE_BURST;
		for (i = 0; i < m; i++) {
			uint64_t home;
			const uint8_t *slot;
			hash[i] = pktpath_table_hash_(g, k + (uint64_t)(done + i) * g->key_size);
			home = hash[i] & g->mask;
			slot = g->slots + home * g->slot_size;
			__builtin_prefetch(slot, 0, 3);
			__builtin_prefetch(slot + PKTPATH_TABLE_KEY_OFFSET + g->key_size - 1, 0, 3);
			if (bytes)
				__builtin_prefetch(pktpath_table_counters_(g, shard, home) + stage, 1, 3);
		}
		for (i = 0; i < m; i++) {
			const uint64_t row = pktpath_table_row_(g, k + (uint64_t)(done + i) * g->key_size, hash[i]);
			if (bytes)
				pktpath_table_add_(g, shard, row, stage, bytes[done + i]);
			else
				rows[done + i] = row;
		}
	}
}

/* rows[i] = the row of key i, for i in 0..n: see pktpath_table_burst_. */
PKTPATH_TABLE_HOT void pktpath_table_rows_burst_(const struct pktpath_table_geom *g, const void *keys, uint32_t n,
						 uint64_t *rows)
{
	pktpath_table_burst_(g, keys, n, rows, 0, 0, NULL);
}

/* Counts n keys at one stage, each as pktpath_table_count() would: see pktpath_table_burst_. */
PKTPATH_TABLE_HOT void pktpath_table_count_burst_(const struct pktpath_table_geom *g, uint32_t shard, uint32_t stage,
						  const void *keys, const uint32_t *bytes, uint32_t n)
{
	pktpath_table_burst_(g, keys, n, NULL, shard, stage, bytes);
}

/*
 * The C API on a formatted image.  shard: 0 with shared counters; with
 * per-writer counters the caller's shard, written by no one else meanwhile (its
 * thread, or its CPU with the counting always in one context such as softirq).
 * Return 0, or -1 when stage, shard or status is out of range.
 */
PKTPATH_INLINE int pktpath_table_count_packets(struct pktpath_table_header *t, uint32_t shard, uint32_t stage,
					       const void *key, uint64_t packets, uint64_t bytes)
{
	struct pktpath_table_geom g;
	if (stage >= t->stage_count || shard >= t->shard_count)
		return -1;
	pktpath_table_geom_of(t, &g);
	pktpath_table_add_packets_(&g, shard, pktpath_table_row_(&g, key, pktpath_table_hash_(&g, key)), stage, packets,
				   bytes);
	return 0;
}

PKTPATH_INLINE int pktpath_table_count(struct pktpath_table_header *t, uint32_t shard, uint32_t stage, const void *key,
				       uint64_t bytes)
{
	return pktpath_table_count_packets(t, shard, stage, key, 1, bytes);
}

/* Packets without a key: counted in the unclassified row of their parse status. */
PKTPATH_INLINE int pktpath_table_count_unclassified_packets(struct pktpath_table_header *t, uint32_t shard,
							    uint32_t stage, uint32_t status, uint64_t packets,
							    uint64_t bytes)
{
	struct pktpath_table_geom g;
	if (stage >= t->stage_count || shard >= t->shard_count || status >= t->status_count)
		return -1;
	pktpath_table_geom_of(t, &g);
	pktpath_table_add_packets_(&g, shard, (uint64_t)t->capacity + 1 + status, stage, packets, bytes);
	return 0;
}

PKTPATH_INLINE int pktpath_table_count_unclassified(struct pktpath_table_header *t, uint32_t shard, uint32_t stage,
						    uint32_t status, uint64_t bytes)
{
	return pktpath_table_count_unclassified_packets(t, shard, stage, status, 1, bytes);
}

PKTPATH_INLINE int pktpath_table_count_burst(struct pktpath_table_header *t, uint32_t shard, uint32_t stage,
					     const void *keys, const uint32_t *bytes, uint32_t n)
{
	struct pktpath_table_geom g;
	if (stage >= t->stage_count || shard >= t->shard_count)
		return -1;
	pktpath_table_geom_of(t, &g);
	pktpath_table_count_burst_(&g, shard, stage, keys, bytes, n);
	return 0;
}

/*
 * Rows of n keys, as pktpath_table_rows_burst_(): slots, inserted if new,
 * or the overflow row (capacity).  For pktpath_table_add_stages().
 */
PKTPATH_INLINE void pktpath_table_rows_burst(struct pktpath_table_header *t, const void *keys, uint32_t n,
					     uint64_t *rows)
{
	struct pktpath_table_geom g;
	pktpath_table_geom_of(t, &g);
	pktpath_table_rows_burst_(&g, keys, n, rows);
}

/*
 * One packet of `bytes` at every stage of stage_mask in a row: a slot or the
 * overflow row from pktpath_table_rows_burst(), or capacity + 1 + status.
 */
PKTPATH_INLINE int pktpath_table_add_stages(struct pktpath_table_header *t, uint32_t shard, uint64_t row,
					    uint32_t stage_mask, uint64_t bytes)
{
	struct pktpath_table_geom g;
	if ((stage_mask >> t->stage_count) || shard >= t->shard_count || row > (uint64_t)t->capacity + t->status_count)
		return -1;
	pktpath_table_geom_of(t, &g);
	pktpath_table_add_stages_(&g, shard, row, stage_mask, bytes);
	return 0;
}

/*
 * Zeroes every counter while writers run: the flows' (their keys stay, as
 * slots are never freed), the overflow row and the unclassified rows.  Each
 * counter is exchanged with zero, so an increment racing with the reset
 * counts wholly before it or wholly after it, never lost; with `taken`
 * (capacity + 1 + status_count rows of stage_count counters, in row order,
 * zeroed by the caller) what each counter held is added there.  A packet's
 * packets and bytes are two counters: one increment racing with a reset
 * may put its packet on one side and its bytes on the other.  A slot still
 * EMPTY holds no counts (a new flow's counters are written only once its
 * slot is FULL), so only published slots are visited.  Shared counters
 * only: a per-writer plane is written with plain stores that a reset from
 * another thread would race with; subtract a baseline there instead
 * (interval_reader in table/snapshot.hpp).  0, or -1 for per-writer counters.
 */
PKTPATH_INLINE int pktpath_table_reset(struct pktpath_table_header *t, struct pktpath_counter *taken)
{
	struct pktpath_table_geom g;
	const uint64_t rows = (uint64_t)t->capacity + 1 + t->status_count;
	uint64_t row;
	uint32_t s;

	if (t->layout != PKTPATH_TABLE_SHARED_COUNTERS)
		return -1;
	pktpath_table_geom_of(t, &g);
	for (row = 0; row < rows; row++) {
		struct pktpath_counter *c = pktpath_table_counters_(&g, 0, row);
		/* Acquire: pairs with the inserter's release of FULL, as a prober's. */
		if (row <= g.mask && (PKTPATH_LOAD_ACQUIRE((uint64_t *)(void *)(g.slots + row * g.slot_size)) &
				      PKTPATH_SLOT_STATE) != PKTPATH_SLOT_FULL)
			continue;
		for (s = 0; s < t->stage_count; s++) {
			const uint64_t packets = PKTPATH_EXCHANGE(&c[s].packets, 0);
			const uint64_t bytes = PKTPATH_EXCHANGE(&c[s].bytes, 0);
			if (taken) {
				taken[row * t->stage_count + s].packets += packets;
				taken[row * t->stage_count + s].bytes += bytes;
			}
		}
	}
	return 0;
}

/* Slot of key, or -1 when absent; never inserts or writes. */
PKTPATH_INLINE int64_t pktpath_table_lookup(const struct pktpath_table_header *t, const void *key)
{
	struct pktpath_table_geom g;
	int64_t s;
	pktpath_table_geom_of((struct pktpath_table_header *)(uintptr_t)t, &g);
	s = pktpath_table_probe(&g, key, pktpath_table_hash_(&g, key), 0);
	return s >= 0 ? s : -1;
}

#endif /* PKTPATH_TABLE_COUNT_H */
