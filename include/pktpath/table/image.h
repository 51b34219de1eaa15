/* SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only */
/*
 * The per-stage flow counter table as one flat, self-describing image, and
 * the only implementation of its find-or-insert and increment algorithm.
 * Kernel C (gnu11), userspace C and the C++ template (stage_table.hpp) all
 * run these inline functions on the same bytes, so an image written by a
 * module can be mmap'ed, copied to a file and read by another process.
 *
 * Image (every offset 64-byte aligned, all integers native byte order):
 *
 *   header   struct pktpath_table_header: magic, version, geometry,
 *            stage names and predecessors
 *   slots    capacity x slot_size: u64 meta | key (padded to 8) |
 *            [inline layout] stage_count x struct pktpath_counter
 *   rows     shard_count planes of counter rows (stage_count counters each):
 *            inline layout:  overflow row, then one unclassified row per
 *                            parse status (one plane)
 *            sharded layout: capacity slot rows, overflow, unclassified
 *                            rows (one plane per shard)
 *
 * Row numbers: 0..capacity-1 are slots, capacity is the overflow row and
 * capacity + 1 + s the unclassified row of parse status s.
 *
 * Bytes per slot, default key (40 bytes) and the six-stage Linux RX set:
 * inline 8 + 40 + 6 x 16 = 144; sharded 48 per slot + 96 per slot per shard.
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
#ifndef PKTPATH_TABLE_IMAGE_H
#define PKTPATH_TABLE_IMAGE_H

#include "../config.h"
#include "../flow/key.h"
#include "../flow/parse.h"
#include "../hash/fast.h"

#define PKTPATH_TABLE_MAGIC 0x3142415450544b50ull /* "PKTPTAB1" in memory, little-endian */
#define PKTPATH_TABLE_VERSION 1u
#define PKTPATH_TABLE_MAX_STAGES 16u
#define PKTPATH_TABLE_NAME_LEN 32u /* stage name bytes including the NUL */
#define PKTPATH_TABLE_NO_PRED 0xffu
#define PKTPATH_TABLE_MAX_KEY 256u
#define PKTPATH_TABLE_MAX_SHARDS 1024u
#define PKTPATH_TABLE_MAX_CAPACITY (1u << 30)
#define PKTPATH_TABLE_MAX_STATUS 64u
/* Unclassified rows per stage: one per parse status. */
#define PKTPATH_TABLE_STATUS_COUNT ((uint32_t)PKTPATH_STATUS_COUNT)
/*
 * Probe limit.  Measured over 64k slots (tests/unit/test_table_probe.cpp):
 * mean probe length 1.5 at load 0.5 and 2.5 at 0.75, as linear probing
 * predicts; longest 22-27 at 0.5 and 125-131 at 0.75.  With 256 the first
 * key went to the overflow row at load 0.85.  Size tables for load <= 0.75
 * (capacity >= 4/3 of the flows); the limit bounds the work per packet once
 * a table is full.
 */
#define PKTPATH_TABLE_DEFAULT_PROBE_LIMIT 256u
/* Pauses a prober waits for an insert of its own hash before giving up. */
#define PKTPATH_TABLE_SPIN_LIMIT 1024u
/* Keys hashed and prefetched ahead in the burst calls (rows, count). */
#define PKTPATH_TABLE_BURST 32u

#define PKTPATH_TABLE_LAYOUT_INLINE 1u  /* counters inside each slot, shared by all writers */
#define PKTPATH_TABLE_LAYOUT_SHARDED 2u /* one counter plane per shard, one writer per shard */

/* header.key_format: how readers print a key */
#define PKTPATH_TABLE_KEY_OPAQUE 0u /* raw bytes */
#define PKTPATH_TABLE_KEY_FLOW 1u   /* struct pktpath_flow_key (40 bytes) */
#define PKTPATH_TABLE_KEY_IPV4 2u   /* pktpath::ipv4_5tuple (16 bytes) */

#define PKTPATH_SLOT_EMPTY 0ull
#define PKTPATH_SLOT_BUSY 1ull
#define PKTPATH_SLOT_FULL 2ull
#define PKTPATH_SLOT_STATE 3ull

/* pktpath_table_probe() results other than a slot index */
#define PKTPATH_TABLE_NO_SLOT (-1)   /* key absent (lookup) or no free slot within the probe limit */
#define PKTPATH_TABLE_CONTENDED (-2) /* an insert of the same hash stayed unpublished for the spin limit */

/* Geometry, usable in constant expressions. */
#define PKTPATH_TABLE_ALIGN8(n) (((n) + 7u) & ~7u)
#define PKTPATH_TABLE_ALIGN64(n) (((n) + 63ull) & ~63ull)
#define PKTPATH_TABLE_KEY_OFFSET 8u
#define PKTPATH_TABLE_COUNTERS_OFFSET(key_size) (PKTPATH_TABLE_KEY_OFFSET + PKTPATH_TABLE_ALIGN8(key_size))
#define PKTPATH_TABLE_SLOT_SIZE(key_size, stages, layout) \
	(PKTPATH_TABLE_COUNTERS_OFFSET(key_size) +        \
	 ((layout) == PKTPATH_TABLE_LAYOUT_INLINE ? (stages) * 16u : 0u))

#if defined(__GNUC__) || defined(__clang__)
#define PKTPATH_TABLE_HOT static inline __attribute__((always_inline))
#define PKTPATH_TABLE_COLD static __attribute__((noinline, cold, unused))
#else
#define PKTPATH_TABLE_HOT static inline
#define PKTPATH_TABLE_COLD static inline
#endif

/* Packets and bytes of one flow (or row) at one stage. */
struct pktpath_counter {
	uint64_t packets;
	uint64_t bytes;
};

/* The default slot: what the C++ default instantiation static_asserts. */
struct pktpath_table_slot {
	uint64_t meta;               /* PKTPATH_SLOT_* | tag */
	struct pktpath_flow_key key; /* readable once meta is FULL; never changes after */
	/* inline layout: struct pktpath_counter counters[stage_count] */
};

struct pktpath_table_header {
	uint64_t magic;           /* PKTPATH_TABLE_MAGIC */
	uint32_t version;         /* PKTPATH_TABLE_VERSION */
	uint32_t header_size;     /* sizeof(struct pktpath_table_header) */
	uint64_t image_size;      /* bytes from the header to the end of the last plane */
	uint64_t hash_seed;       /* placement: pktpath_hash_fast64(key, key_size, hash_seed) */
	uint32_t capacity;        /* slots, a power of two */
	uint32_t probe_limit;     /* slots examined per lookup, 1..capacity */
	uint32_t key_size;        /* bytes compared and stored */
	uint32_t key_format;      /* PKTPATH_TABLE_KEY_* */
	uint32_t slot_size;       /* PKTPATH_TABLE_SLOT_SIZE(key_size, stage_count, layout) */
	uint32_t counters_offset; /* of the counters in a slot (inline layout), else 0 */
	uint32_t stage_count;     /* 1..PKTPATH_TABLE_MAX_STAGES */
	uint32_t status_count;    /* unclassified rows */
	uint32_t layout;          /* PKTPATH_TABLE_LAYOUT_* */
	uint32_t shard_count;     /* counter planes (1 for the inline layout) */
	uint32_t row_size;        /* stage_count * sizeof(struct pktpath_counter) */
	uint32_t reserved0;       /* zero */
	uint64_t slots_offset;    /* from the header start */
	uint64_t rows_offset;     /* first plane */
	uint64_t plane_size;      /* bytes between planes */
	uint8_t stage_pred[PKTPATH_TABLE_MAX_STAGES];            /* index of the stage before, or NO_PRED */
	char stage_names[PKTPATH_TABLE_MAX_STAGES][PKTPATH_TABLE_NAME_LEN]; /* NUL-terminated */
	uint8_t reserved1[8];     /* zero; pads the header to 640 bytes */
};

/* Errors of init and validation (and of the C++ readers). */
enum pktpath_table_error {
	PKTPATH_TABLE_OK = 0,
	PKTPATH_TABLE_E_SHORT,       /* buffer shorter than the header or the image it declares */
	PKTPATH_TABLE_E_ALIGN,       /* image not 8-byte aligned */
	PKTPATH_TABLE_E_MAGIC,       /* not a table image */
	PKTPATH_TABLE_E_BYTE_ORDER,  /* written on a machine of the other byte order */
	PKTPATH_TABLE_E_VERSION,     /* unknown format version */
	PKTPATH_TABLE_E_HEADER,      /* header size or reserved fields */
	PKTPATH_TABLE_E_CAPACITY,    /* not a power of two in 1..2^30 */
	PKTPATH_TABLE_E_PROBE_LIMIT, /* not in 1..capacity */
	PKTPATH_TABLE_E_KEY,         /* key size or format */
	PKTPATH_TABLE_E_STAGES,      /* stage count */
	PKTPATH_TABLE_E_STAGE_NAME,  /* empty, too long, unterminated or not printable */
	PKTPATH_TABLE_E_STAGE_PRED,  /* predecessor not an earlier stage */
	PKTPATH_TABLE_E_STATUS,      /* unclassified row count */
	PKTPATH_TABLE_E_LAYOUT,      /* unknown layout */
	PKTPATH_TABLE_E_SHARDS,      /* shard count */
	PKTPATH_TABLE_E_GEOMETRY,    /* stored sizes or offsets disagree with the parameters */
	PKTPATH_TABLE_E_MISMATCH,    /* valid image of another key, stage set or layout */
	PKTPATH_TABLE_E_NOMEM,
	PKTPATH_TABLE_E_IO,
	PKTPATH_TABLE_E_COUNT
};

PKTPATH_INLINE const char *pktpath_table_strerror(int e)
{
	static const char *const text[PKTPATH_TABLE_E_COUNT] = {
		"ok",
		"image shorter than its header or declared size",
		"image not 8-byte aligned",
		"bad magic: not a pktpath table image",
		"image written with the other byte order",
		"unsupported image version",
		"bad header size or reserved field",
		"capacity not a power of two in 1..2^30",
		"probe limit not in 1..capacity",
		"bad key size or key format",
		"stage count not in 1..16",
		"stage name empty, too long, unterminated or not printable",
		"stage predecessor is not an earlier stage",
		"bad unclassified row count",
		"unknown counter layout",
		"bad shard count for the layout",
		"stored sizes or offsets disagree with the geometry",
		"image does not match the expected key, stages or layout",
		"out of memory",
		"I/O error",
	};
	return e >= 0 && e < PKTPATH_TABLE_E_COUNT ? text[e] : "unknown error";
}

/* What pktpath_table_init() formats. */
struct pktpath_table_params {
	uint32_t capacity;              /* power of two */
	uint32_t probe_limit;           /* 0: min(PKTPATH_TABLE_DEFAULT_PROBE_LIMIT, capacity) */
	uint32_t key_size;
	uint32_t key_format;            /* PKTPATH_TABLE_KEY_* */
	uint32_t stage_count;
	uint32_t layout;                /* PKTPATH_TABLE_LAYOUT_* */
	uint32_t shard_count;           /* 1 for the inline layout */
	uint64_t hash_seed;
	const char *const *stage_names; /* stage_count names */
	const uint8_t *stage_pred;      /* stage_count predecessors; NULL: a chain (stage i after i - 1) */
};

/*
 * Derives slot_size, counters_offset, row_size and the offsets from the
 * parameter fields of h (capacity, probe_limit, key_size, key_format,
 * stage_count, status_count, layout, shard_count).  The one geometry used by
 * init and validation.  Bounds keep every product below 2^63.
 */
PKTPATH_INLINE int pktpath_table_geometry(struct pktpath_table_header *h)
{
	uint64_t rows;

	if (h->capacity == 0 || h->capacity > PKTPATH_TABLE_MAX_CAPACITY || (h->capacity & (h->capacity - 1)))
		return PKTPATH_TABLE_E_CAPACITY;
	if (h->probe_limit == 0 || h->probe_limit > h->capacity)
		return PKTPATH_TABLE_E_PROBE_LIMIT;
	if (h->key_size == 0 || h->key_size > PKTPATH_TABLE_MAX_KEY || h->key_format > PKTPATH_TABLE_KEY_IPV4 ||
	    (h->key_format == PKTPATH_TABLE_KEY_FLOW && h->key_size != sizeof(struct pktpath_flow_key)) ||
	    (h->key_format == PKTPATH_TABLE_KEY_IPV4 && h->key_size != 16))
		return PKTPATH_TABLE_E_KEY;
	if (h->stage_count == 0 || h->stage_count > PKTPATH_TABLE_MAX_STAGES)
		return PKTPATH_TABLE_E_STAGES;
	if (h->status_count == 0 || h->status_count > PKTPATH_TABLE_MAX_STATUS)
		return PKTPATH_TABLE_E_STATUS;
	if (h->layout != PKTPATH_TABLE_LAYOUT_INLINE && h->layout != PKTPATH_TABLE_LAYOUT_SHARDED)
		return PKTPATH_TABLE_E_LAYOUT;
	if (h->shard_count == 0 || h->shard_count > PKTPATH_TABLE_MAX_SHARDS ||
	    (h->layout == PKTPATH_TABLE_LAYOUT_INLINE && h->shard_count != 1))
		return PKTPATH_TABLE_E_SHARDS;

	h->slot_size = PKTPATH_TABLE_SLOT_SIZE(h->key_size, h->stage_count, h->layout);
	h->counters_offset = h->layout == PKTPATH_TABLE_LAYOUT_INLINE ? PKTPATH_TABLE_COUNTERS_OFFSET(h->key_size) : 0;
	h->row_size = h->stage_count * (uint32_t)sizeof(struct pktpath_counter);
	h->slots_offset = PKTPATH_TABLE_ALIGN64(sizeof(struct pktpath_table_header));
	h->rows_offset = PKTPATH_TABLE_ALIGN64(h->slots_offset + (uint64_t)h->capacity * h->slot_size);
	rows = (h->layout == PKTPATH_TABLE_LAYOUT_SHARDED ? (uint64_t)h->capacity : 0) + 1 + h->status_count;
	h->plane_size = PKTPATH_TABLE_ALIGN64(rows * h->row_size);
	h->image_size = h->rows_offset + (uint64_t)h->shard_count * h->plane_size;
	return PKTPATH_TABLE_OK;
}

PKTPATH_INLINE int pktpath_table_name_ok_(const char *name)
{
	uint32_t i;
	for (i = 0; i < PKTPATH_TABLE_NAME_LEN && name[i]; i++)
		if (name[i] <= ' ' || name[i] > '~')
			return 0;
	return i > 0 && i < PKTPATH_TABLE_NAME_LEN;
}

/* The header pktpath_table_init() writes for p; 0 or an error. */
PKTPATH_INLINE int pktpath_table_plan_(const struct pktpath_table_params *p, struct pktpath_table_header *h)
{
	uint32_t i;
	int err;

	memset(h, 0, sizeof(*h));
	h->magic = PKTPATH_TABLE_MAGIC;
	h->version = PKTPATH_TABLE_VERSION;
	h->header_size = (uint32_t)sizeof(*h);
	h->hash_seed = p->hash_seed;
	h->capacity = p->capacity;
	h->probe_limit = p->probe_limit ? p->probe_limit
					: (p->capacity < PKTPATH_TABLE_DEFAULT_PROBE_LIMIT ? p->capacity
											 : PKTPATH_TABLE_DEFAULT_PROBE_LIMIT);
	h->key_size = p->key_size;
	h->key_format = p->key_format;
	h->stage_count = p->stage_count;
	h->status_count = PKTPATH_TABLE_STATUS_COUNT;
	h->layout = p->layout;
	h->shard_count = p->shard_count;
	err = pktpath_table_geometry(h);
	if (err)
		return err;
	for (i = 0; i < h->stage_count; i++) {
		if (!p->stage_names || !p->stage_names[i] || !pktpath_table_name_ok_(p->stage_names[i]))
			return PKTPATH_TABLE_E_STAGE_NAME;
		memcpy(h->stage_names[i], p->stage_names[i], strlen(p->stage_names[i]));
		h->stage_pred[i] = p->stage_pred ? p->stage_pred[i] : (uint8_t)(i ? i - 1 : PKTPATH_TABLE_NO_PRED);
		if (h->stage_pred[i] != PKTPATH_TABLE_NO_PRED && h->stage_pred[i] >= i)
			return PKTPATH_TABLE_E_STAGE_PRED;
	}
	return PKTPATH_TABLE_OK;
}

/* Bytes an image of these parameters needs, or 0 when they are invalid. */
PKTPATH_INLINE uint64_t pktpath_table_size(const struct pktpath_table_params *p)
{
	struct pktpath_table_header h;
	return pktpath_table_plan_(p, &h) == PKTPATH_TABLE_OK ? h.image_size : 0;
}

/*
 * Formats mem (len bytes, 8-byte aligned, 64 recommended) as an empty table.
 * Zeroes the whole image: in the kernel, vmalloc memory; in userspace,
 * shared memory, a hugepage or a DPDK memzone.  Not concurrent with users.
 */
PKTPATH_INLINE int pktpath_table_init(void *mem, uint64_t len, const struct pktpath_table_params *p)
{
	struct pktpath_table_header h;
	int err;

	if ((uintptr_t)mem & 7u)
		return PKTPATH_TABLE_E_ALIGN;
	err = pktpath_table_plan_(p, &h);
	if (err)
		return err;
	if (len < h.image_size)
		return PKTPATH_TABLE_E_SHORT;
	memset(mem, 0, (size_t)h.image_size);
	memcpy(mem, &h, sizeof(h));
	return PKTPATH_TABLE_OK;
}

PKTPATH_INLINE uint64_t pktpath_table_bswap64_(uint64_t v)
{
	return __builtin_bswap64(v);
}

/*
 * Validates an image of len bytes before anyone reads it: every field a
 * reader uses is checked against the geometry, and image_size against len,
 * so no later access can fall outside the buffer.
 */
PKTPATH_INLINE int pktpath_table_check(const void *mem, uint64_t len)
{
	struct pktpath_table_header h, g;
	uint32_t i;
	int err;

	if (len < sizeof(h.magic))
		return PKTPATH_TABLE_E_SHORT;
	if ((uintptr_t)mem & 7u)
		return PKTPATH_TABLE_E_ALIGN;
	memcpy(&h.magic, mem, sizeof(h.magic));
	if (h.magic != PKTPATH_TABLE_MAGIC)
		return h.magic == pktpath_table_bswap64_(PKTPATH_TABLE_MAGIC) ? PKTPATH_TABLE_E_BYTE_ORDER
									      : PKTPATH_TABLE_E_MAGIC;
	if (len < sizeof(h))
		return PKTPATH_TABLE_E_SHORT;
	memcpy(&h, mem, sizeof(h));
	if (h.version != PKTPATH_TABLE_VERSION)
		return PKTPATH_TABLE_E_VERSION;
	if (h.header_size != sizeof(h) || h.reserved0)
		return PKTPATH_TABLE_E_HEADER;
	for (i = 0; i < sizeof(h.reserved1); i++)
		if (h.reserved1[i])
			return PKTPATH_TABLE_E_HEADER;
	g = h;
	err = pktpath_table_geometry(&g);
	if (err)
		return err;
	if (g.slot_size != h.slot_size || g.counters_offset != h.counters_offset || g.row_size != h.row_size ||
	    g.slots_offset != h.slots_offset || g.rows_offset != h.rows_offset || g.plane_size != h.plane_size ||
	    g.image_size != h.image_size)
		return PKTPATH_TABLE_E_GEOMETRY;
	for (i = 0; i < h.stage_count; i++) {
		if (!pktpath_table_name_ok_(h.stage_names[i]))
			return PKTPATH_TABLE_E_STAGE_NAME;
		if (h.stage_pred[i] != PKTPATH_TABLE_NO_PRED && h.stage_pred[i] >= i)
			return PKTPATH_TABLE_E_STAGE_PRED;
	}
	if (len < h.image_size)
		return PKTPATH_TABLE_E_SHORT;
	return PKTPATH_TABLE_OK;
}

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
	uint64_t mask;       /* capacity - 1; capacity is also the overflow row */
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

PKTPATH_TABLE_HOT void pktpath_table_relax_(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__asm__ __volatile__("pause" ::: "memory");
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#endif
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
		uint64_t m = __atomic_load_n(meta, __ATOMIC_ACQUIRE);

		if (m == PKTPATH_SLOT_EMPTY) {
			/* Slots are never freed, so a stored key never lies beyond an empty slot. */
			if (!insert)
				return PKTPATH_TABLE_NO_SLOT;
			/*
			 * Claim.  The failure order is acquire because m may then be the winner's
			 * FULL word, whose key we compare; GCC requires success >= failure.
			 */
			if (__atomic_compare_exchange_n(meta, &m, busy, 0, __ATOMIC_ACQUIRE, __ATOMIC_ACQUIRE)) {
				memcpy(slot + PKTPATH_TABLE_KEY_OFFSET, key, g->key_size);
				/* Release pairs with the acquire loads of probers, readers and image copies. */
				__atomic_store_n(meta, full, __ATOMIC_RELEASE);
				return (int64_t)i;
			}
		}
		if (m == busy) {
			/* Maybe our key: passing it could insert a duplicate further on. */
			uint32_t spin = 0;
			do {
				if (++spin > PKTPATH_TABLE_SPIN_LIMIT)
					return PKTPATH_TABLE_CONTENDED;
				pktpath_table_relax_();
				m = __atomic_load_n(meta, __ATOMIC_ACQUIRE); /* pairs with the publishing release */
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

/* The stage_count counters of a row in a shard's plane (the inline layout has one plane). */
PKTPATH_TABLE_HOT struct pktpath_counter *pktpath_table_counters_(const struct pktpath_table_geom *g, uint32_t shard,
								 uint64_t row)
{
	if (g->layout == PKTPATH_TABLE_LAYOUT_INLINE) {
		if (row <= g->mask)
			return (struct pktpath_counter *)(void *)(g->slots + row * g->slot_size + g->counters_offset);
		row -= g->mask + 1;
		shard = 0;
	}
	return (struct pktpath_counter *)(void *)(g->rows + shard * g->plane_size + row * g->row_size);
}

/*
 * Increments.  Release on both adds, packets first: a reader that loads
 * bytes and then packets with acquire, and a stage before its predecessor,
 * sees every packet whose bytes (or downstream count) it saw.  On x86 this
 * is the same lock xadd / mov as relaxed.
 */
PKTPATH_TABLE_HOT void pktpath_counter_add(struct pktpath_counter *c, uint64_t bytes)
{
	__atomic_fetch_add(&c->packets, 1, __ATOMIC_RELEASE);
	__atomic_fetch_add(&c->bytes, bytes, __ATOMIC_RELEASE);
}

/* Single writer per counter (a per-thread or per-CPU shard): no read-modify-write. */
PKTPATH_TABLE_HOT void pktpath_counter_add_owned(struct pktpath_counter *c, uint64_t bytes)
{
	__atomic_store_n(&c->packets, __atomic_load_n(&c->packets, __ATOMIC_RELAXED) + 1, __ATOMIC_RELEASE);
	__atomic_store_n(&c->bytes, __atomic_load_n(&c->bytes, __ATOMIC_RELAXED) + bytes, __ATOMIC_RELEASE);
}

/* Adds a counter into *sum: bytes first, then packets, both acquire (pairs with the release adds). */
PKTPATH_TABLE_HOT void pktpath_counter_read(const struct pktpath_counter *c, struct pktpath_counter *sum)
{
	uint64_t bytes = __atomic_load_n(&c->bytes, __ATOMIC_ACQUIRE);
	sum->packets += __atomic_load_n(&c->packets, __ATOMIC_ACQUIRE);
	sum->bytes += bytes;
}

/* One packet of `bytes` on one counter: shared by any writer (inline layout) or its shard's alone. */
PKTPATH_TABLE_HOT void pktpath_table_bump_(const struct pktpath_table_geom *g, struct pktpath_counter *c,
					   uint64_t bytes)
{
	if (g->layout == PKTPATH_TABLE_LAYOUT_INLINE)
		pktpath_counter_add(c, bytes);
	else
		pktpath_counter_add_owned(c, bytes);
}

PKTPATH_TABLE_HOT void pktpath_table_add_(const struct pktpath_table_geom *g, uint32_t shard, uint64_t row,
					  uint32_t stage, uint64_t bytes)
{
	pktpath_table_bump_(g, pktpath_table_counters_(g, shard, row) + stage, bytes);
}

/*
 * Requests a row's counters (every stage) in shard's plane for writing, for a
 * caller that knows the row a while before it counts there: the miss then
 * overlaps with its other work.
 */
PKTPATH_TABLE_HOT void pktpath_table_prefetch_row_(const struct pktpath_table_geom *g, uint32_t shard, uint64_t row)
{
	const uint8_t *c = (const uint8_t *)pktpath_table_counters_(g, shard, row);
	const uint32_t len =
		g->layout == PKTPATH_TABLE_LAYOUT_INLINE && row <= g->mask ? g->slot_size - g->counters_offset : g->row_size;
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
 * The C API on a formatted image.  shard: 0 for the inline layout; for the
 * sharded layout the caller's shard, written by no one else meanwhile (its
 * thread, or its CPU with the counting always in one context such as softirq).
 * Return 0, or -1 when stage, shard or status is out of range.
 */
PKTPATH_INLINE int pktpath_table_count(struct pktpath_table_header *t, uint32_t shard, uint32_t stage,
				       const void *key, uint64_t bytes)
{
	struct pktpath_table_geom g;
	if (stage >= t->stage_count || shard >= t->shard_count)
		return -1;
	pktpath_table_geom_of(t, &g);
	pktpath_table_add_(&g, shard, pktpath_table_row_(&g, key, pktpath_table_hash_(&g, key)), stage, bytes);
	return 0;
}

/* A packet without a key: counted in the unclassified row of its parse status. */
PKTPATH_INLINE int pktpath_table_count_unclassified(struct pktpath_table_header *t, uint32_t shard, uint32_t stage,
						    uint32_t status, uint64_t bytes)
{
	struct pktpath_table_geom g;
	if (stage >= t->stage_count || shard >= t->shard_count || status >= t->status_count)
		return -1;
	pktpath_table_geom_of(t, &g);
	pktpath_table_add_(&g, shard, (uint64_t)t->capacity + 1 + status, stage, bytes);
	return 0;
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

/* Slot of key, or -1 when absent; never inserts or writes. */
PKTPATH_INLINE int64_t pktpath_table_lookup(const struct pktpath_table_header *t, const void *key)
{
	struct pktpath_table_geom g;
	int64_t s;
	pktpath_table_geom_of((struct pktpath_table_header *)(uintptr_t)t, &g);
	s = pktpath_table_probe(&g, key, pktpath_table_hash_(&g, key), 0);
	return s >= 0 ? s : -1;
}

#endif /* PKTPATH_TABLE_IMAGE_H */
