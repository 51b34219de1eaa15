/* SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only */
/*
 * One ring operation, as test_ring_image.cpp scripts it: ring_image.c
 * applies it through ring.h's C API, the test through ring_view, and the
 * two images must stay byte for byte the same.
 */
#ifndef PKTPATH_TEST_RING_IMAGE_H
#define PKTPATH_TEST_RING_IMAGE_H

#include <pktpath/ring/ring.h>

/* 12 bytes, 4-aligned: neither a power of two nor a word, so sizes are not guessed. */
struct ring_image_elem {
	uint32_t w[3];
};

enum ring_image_opcode {
	RING_IMAGE_ENQUEUE, /* one element */
	RING_IMAGE_DEQUEUE,
	RING_IMAGE_ENQUEUE_BULK,
	RING_IMAGE_ENQUEUE_BURST,
	RING_IMAGE_DEQUEUE_BULK,
	RING_IMAGE_DEQUEUE_BURST,
	RING_IMAGE_RESERVE_COMMIT, /* reserve n, fill, commit min(keep, reserved) */
	RING_IMAGE_PEEK_RELEASE,   /* peek n, copy out, release min(keep, peeked) */
	RING_IMAGE_COUNT_DROPS,    /* count_drops(n) */
	RING_IMAGE_OPCODES
};

struct ring_image_op {
	enum ring_image_opcode code;
	uint32_t n;
	uint32_t keep;
};

PKTPATH_EXTERN_C_BEGIN

/* pktpath_ring_init() for ring_image_elem slots, from a C translation unit. */
enum pktpath_ring_error ring_image_c_init(void *mem, size_t bytes, uint32_t capacity, uint32_t prod_sync,
					  uint32_t cons_sync, struct pktpath_ring *r);

/*
 * Applies op to r: enqueues (and reservations) take their elements from
 * buf, dequeues (and peeks) copy theirs to it.  Returns how many elements
 * moved (for RESERVE_COMMIT and PEEK_RELEASE: how many were reserved or
 * peeked; 0 for COUNT_DROPS).
 */
uint32_t ring_image_c_apply(const struct pktpath_ring *r, struct ring_image_op op, struct ring_image_elem *buf);

PKTPATH_EXTERN_C_END

#endif /* PKTPATH_TEST_RING_IMAGE_H */
