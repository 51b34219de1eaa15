// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
/*
 * ring.h's whole C API in kernel code, so the kernel's compiler generates
 * each function with its atomics and barriers (an unused inline function is
 * never generated, and some of the kernel's checks act only on generated
 * code).  The module is built, never loaded.
 */
#include <linux/module.h>

#include <pktpath/ring/ring.h>

struct pktpath_headers_desc {
	u64 addr;
	u32 len;
	u32 flags;
};

static struct pktpath_headers_desc
	ring_mem[8 + sizeof(struct pktpath_ring_header) / sizeof(struct pktpath_headers_desc)] __aligned(
		PKTPATH_RING_LINE_PAIR);

static int __init pktpath_headers_init(void)
{
	struct pktpath_headers_desc d[4] = {{0}};
	struct pktpath_ring zc, mp;
	uint32_t first, n;

	/* Zero-copy on single sides, as a descriptor ring uses it... */
	if (pktpath_ring_init(ring_mem, sizeof(ring_mem), 8, sizeof(d[0]), __alignof__(d[0]), PKTPATH_RING_SINGLE,
			      PKTPATH_RING_SINGLE, &zc) != PKTPATH_RING_OK)
		return -EINVAL;
	n = pktpath_ring_reserve(&zc, 4, &first);
	if (n != 0)
		memcpy(pktpath_ring_slot(&zc, first), &d[0], sizeof(d[0]));
	pktpath_ring_commit(&zc, n != 0);
	n = pktpath_ring_peek(&zc, 4, &first);
	pktpath_ring_release(&zc, n);

	/* ...then copies on multi sides, attached as a second user attaches. */
	if (pktpath_ring_init(ring_mem, sizeof(ring_mem), 8, sizeof(d[0]), __alignof__(d[0]), PKTPATH_RING_MULTI,
			      PKTPATH_RING_MULTI, NULL) != PKTPATH_RING_OK ||
	    pktpath_ring_attach(ring_mem, sizeof(ring_mem), sizeof(d[0]), 0, PKTPATH_RING_MULTI, PKTPATH_RING_MULTI,
				&mp) != PKTPATH_RING_OK)
		return -EINVAL;
	n = pktpath_ring_enqueue_bulk(&mp, d, 4) + pktpath_ring_enqueue_burst(&mp, d, 4);
	pktpath_ring_count_drops(&mp, 1); /* one the producer dropped before enqueueing */
	n += pktpath_ring_dequeue_bulk(&mp, d, 2) + pktpath_ring_dequeue_burst(&mp, d, 4);
	pr_debug("pktpath_headers: %u moved, %u queued, %llu dropped\n", n, pktpath_ring_count(&mp),
		 (unsigned long long)pktpath_ring_drops(&mp));
	return 0;
}

static void __exit pktpath_headers_exit(void) {}

module_init(pktpath_headers_init);
module_exit(pktpath_headers_exit);
MODULE_LICENSE("Dual BSD/GPL");
