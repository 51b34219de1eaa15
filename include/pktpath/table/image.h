/* SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only */
/*
 * The per-stage flow counter table as one flat, self-describing image: its
 * format, how it is laid out (init) and how a reader validates it (check).
 * Kernel C (gnu11), userspace C and the C++ template (stage_table.hpp) all
 * use these definitions on the same bytes, so an image written by a module
 * can be mmap'ed, copied to a file and read by another process.  The
 * algorithm that fills it, find-or-insert and count, is count.h.
 *
 * Image (every offset 64-byte aligned, all integers native byte order):
 *
 *   header   struct pktpath_table_header: magic, version, geometry,
 *            stage names and predecessors
 *   slots    capacity x slot_size: u64 meta | key (padded to 8) |
 *            [shared counters] stage_count x struct pktpath_counter
 *   rows     shard_count planes of counter rows (stage_count counters each):
 *            shared counters:     overflow row, then one unclassified row
 *                                 per parse status (one plane)
 *            per-writer counters: capacity slot rows, overflow,
 *                                 unclassified rows (one plane per writer,
 *                                 its shard)
 *
 * Row numbers: 0..capacity-1 are slots, capacity is the overflow row and
 * capacity + 1 + s the unclassified row of parse status s.
 *
 * Bytes per slot, default key (40 bytes) and the six-stage Linux RX set:
 * shared counters 8 + 40 + 6 x 16 = 144; per-writer counters 48 per slot
 * + 96 per slot per shard.
 */
#ifndef PKTPATH_TABLE_IMAGE_H
#define PKTPATH_TABLE_IMAGE_H

#include "../config.h"
#include "../flow/key.h"
#include "../flow/status.h"

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
/* header.layout: where the counters live and who may write them */
#define PKTPATH_TABLE_SHARED_COUNTERS 1u     /* in each slot, beside its key; any writer, atomic adds */
#define PKTPATH_TABLE_PER_WRITER_COUNTERS 2u /* one plane per writer (its shard), plain stores */

/* header.key_format: how readers print a key */
#define PKTPATH_TABLE_KEY_OPAQUE 0u /* raw bytes */
#define PKTPATH_TABLE_KEY_FLOW 1u   /* struct pktpath_flow_key (40 bytes) */
#define PKTPATH_TABLE_KEY_IPV4 2u   /* pktpath::ipv4_5tuple (16 bytes) */

#define PKTPATH_SLOT_EMPTY 0ull
#define PKTPATH_SLOT_BUSY 1ull
#define PKTPATH_SLOT_FULL 2ull
#define PKTPATH_SLOT_STATE 3ull

/* Geometry, usable in constant expressions. */
#define PKTPATH_TABLE_ALIGN8(n) (((n) + 7u) & ~7u)
#define PKTPATH_TABLE_ALIGN64(n) (((n) + 63ull) & ~63ull)
#define PKTPATH_TABLE_KEY_OFFSET 8u
#define PKTPATH_TABLE_COUNTERS_OFFSET(key_size) (PKTPATH_TABLE_KEY_OFFSET + PKTPATH_TABLE_ALIGN8(key_size))
#define PKTPATH_TABLE_SLOT_SIZE(key_size, stages, layout) \
	(PKTPATH_TABLE_COUNTERS_OFFSET(key_size) + ((layout) == PKTPATH_TABLE_SHARED_COUNTERS ? (stages)*16u : 0u))

/* Packets and bytes of one flow (or row) at one stage. */
struct pktpath_counter {
	uint64_t packets;
	uint64_t bytes;
};

/* The default slot: what the C++ default instantiation static_asserts. */
struct pktpath_table_slot {
	uint64_t meta;               /* PKTPATH_SLOT_* | tag */
	struct pktpath_flow_key key; /* readable once meta is FULL; never changes after */
				     /* shared counters: struct pktpath_counter counters[stage_count] */
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
	uint32_t counters_offset; /* of the counters in a slot (shared counters), else 0 */
	uint32_t stage_count;     /* 1..PKTPATH_TABLE_MAX_STAGES */
	uint32_t status_count;    /* unclassified rows */
	uint32_t layout;          /* PKTPATH_TABLE_SHARED_COUNTERS or PKTPATH_TABLE_PER_WRITER_COUNTERS */
	uint32_t shard_count;     /* counter planes (1 with shared counters) */
	uint32_t row_size;        /* stage_count * sizeof(struct pktpath_counter) */
	uint32_t reserved0;       /* zero */
	uint64_t slots_offset;    /* from the header start */
	uint64_t rows_offset;     /* first plane */
	uint64_t plane_size;      /* bytes between planes */
	uint8_t stage_pred[PKTPATH_TABLE_MAX_STAGES];                       /* index of the stage before, or NO_PRED */
	char stage_names[PKTPATH_TABLE_MAX_STAGES][PKTPATH_TABLE_NAME_LEN]; /* NUL-terminated */
	uint8_t reserved1[8];                                               /* zero; pads the header to 640 bytes */
};

/* The layout every reader and writer shares (C and C++ see the same checks). */
PKTPATH_STATIC_ASSERT(offsetof(struct pktpath_table_slot, key) == PKTPATH_TABLE_KEY_OFFSET, "slot key offset");
PKTPATH_STATIC_ASSERT(sizeof(struct pktpath_table_slot) ==
			      PKTPATH_TABLE_COUNTERS_OFFSET(sizeof(struct pktpath_flow_key)),
		      "counters follow the key");
PKTPATH_STATIC_ASSERT(sizeof(struct pktpath_counter) == 16 && offsetof(struct pktpath_counter, bytes) == 8,
		      "counter layout");
PKTPATH_STATIC_ASSERT(sizeof(struct pktpath_table_header) == 640 &&
			      offsetof(struct pktpath_table_header, stage_pred) == 104 &&
			      offsetof(struct pktpath_table_header, stage_names) == 120,
		      "header layout");

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
	uint32_t capacity;    /* power of two */
	uint32_t probe_limit; /* 0: min(PKTPATH_TABLE_DEFAULT_PROBE_LIMIT, capacity) */
	uint32_t key_size;
	uint32_t key_format; /* PKTPATH_TABLE_KEY_* */
	uint32_t stage_count;
	uint32_t layout;      /* PKTPATH_TABLE_SHARED_COUNTERS or PKTPATH_TABLE_PER_WRITER_COUNTERS */
	uint32_t shard_count; /* 1 with shared counters */
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
	if (h->layout != PKTPATH_TABLE_SHARED_COUNTERS && h->layout != PKTPATH_TABLE_PER_WRITER_COUNTERS)
		return PKTPATH_TABLE_E_LAYOUT;
	if (h->shard_count == 0 || h->shard_count > PKTPATH_TABLE_MAX_SHARDS ||
	    (h->layout == PKTPATH_TABLE_SHARED_COUNTERS && h->shard_count != 1))
		return PKTPATH_TABLE_E_SHARDS;

	h->slot_size = PKTPATH_TABLE_SLOT_SIZE(h->key_size, h->stage_count, h->layout);
	h->counters_offset =
		h->layout == PKTPATH_TABLE_SHARED_COUNTERS ? PKTPATH_TABLE_COUNTERS_OFFSET(h->key_size) : 0;
	h->row_size = h->stage_count * (uint32_t)sizeof(struct pktpath_counter);
	h->slots_offset = PKTPATH_TABLE_ALIGN64(sizeof(struct pktpath_table_header));
	h->rows_offset = PKTPATH_TABLE_ALIGN64(h->slots_offset + (uint64_t)h->capacity * h->slot_size);
	rows = (h->layout == PKTPATH_TABLE_PER_WRITER_COUNTERS ? (uint64_t)h->capacity : 0) + 1 + h->status_count;
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
	h->probe_limit =
		p->probe_limit ? p->probe_limit
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

#endif /* PKTPATH_TABLE_IMAGE_H */
