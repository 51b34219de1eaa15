/* SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only */
/*
 * The C side of test_ring_image.cpp: ring.h used as kernel code uses it
 * (compiled as GNU C11, freestanding), through the public C API only.
 */
#include "ring_image.h"

enum pktpath_ring_error ring_image_c_init(void *mem, size_t bytes, uint32_t capacity, uint32_t prod_sync,
					  uint32_t cons_sync, struct pktpath_ring *r)
{
	return pktpath_ring_init(mem, bytes, capacity, sizeof(struct ring_image_elem), _Alignof(struct ring_image_elem),
				 prod_sync, cons_sync, r);
}

static uint32_t min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

uint32_t ring_image_c_apply(const struct pktpath_ring *r, struct ring_image_op op, struct ring_image_elem *buf)
{
	uint32_t first, k, i;

	switch (op.code) {
	case RING_IMAGE_ENQUEUE:
		return pktpath_ring_enqueue_bulk(r, buf, 1);
	case RING_IMAGE_DEQUEUE:
		return pktpath_ring_dequeue_bulk(r, buf, 1);
	case RING_IMAGE_ENQUEUE_BULK:
		return pktpath_ring_enqueue_bulk(r, buf, op.n);
	case RING_IMAGE_ENQUEUE_BURST:
		return pktpath_ring_enqueue_burst(r, buf, op.n);
	case RING_IMAGE_DEQUEUE_BULK:
		return pktpath_ring_dequeue_bulk(r, buf, op.n);
	case RING_IMAGE_DEQUEUE_BURST:
		return pktpath_ring_dequeue_burst(r, buf, op.n);
	case RING_IMAGE_RESERVE_COMMIT:
		k = pktpath_ring_reserve(r, op.n, &first);
		for (i = 0; i < min_u32(op.keep, k); i++)
			memcpy(pktpath_ring_slot(r, first + i), &buf[i], sizeof(buf[i]));
		pktpath_ring_commit(r, min_u32(op.keep, k));
		return k;
	case RING_IMAGE_PEEK_RELEASE:
		k = pktpath_ring_peek(r, op.n, &first);
		for (i = 0; i < k; i++)
			memcpy(&buf[i], pktpath_ring_slot(r, first + i), sizeof(buf[i]));
		pktpath_ring_release(r, min_u32(op.keep, k));
		return k;
	case RING_IMAGE_COUNT_DROPS:
		pktpath_ring_count_drops(r, op.n);
		return 0;
	case RING_IMAGE_OPCODES:
		break;
	}
	return 0;
}
