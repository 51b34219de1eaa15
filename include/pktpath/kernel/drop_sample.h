/* SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only */
/*
 * A dropped frame's sample, as the kernel shim leaves it in its sample ring
 * (ring/ring.h, mapped by pktpath-kstat through /proc/NAME/samples): a
 * fixed header and the frame's first bytes from its MAC header.  Every
 * slot of the ring is one sample of pktpath_ksample_slot_size(snap) bytes,
 * the ring's elem_size; cap_len says how many of the bytes are the frame's.
 * Plain C on config.h: the module writes it, pktpath-kstat reads it.
 */
#ifndef PKTPATH_KERNEL_DROP_SAMPLE_H
#define PKTPATH_KERNEL_DROP_SAMPLE_H

#include "../config.h"

/* Module parameter snap's default and its bound (a slot stays small). */
#define PKTPATH_KSAMPLE_SNAP_DEFAULT 128u
#define PKTPATH_KSAMPLE_SNAP_MAX 2048u

/* stage when no probe of the stage set saw the skb on the CPU that freed it */
#define PKTPATH_KSAMPLE_NO_STAGE 0xffffu

struct pktpath_ksample {
	uint64_t ts_ns;    /* ktime_get_real_ns() when the kernel freed the skb */
	uint32_t ifindex;  /* the receiving device (skb_iif) */
	uint32_t reason;   /* enum skb_drop_reason of the running kernel */
	uint32_t wire_len; /* the skb's length from its MAC header (a GRO skb: all its segments) */
	uint32_t cap_len;  /* bytes of the frame that follow, at most the snap length */
	uint16_t stage;    /* the last stage of the set whose probe saw the skb, or PKTPATH_KSAMPLE_NO_STAGE */
	uint16_t segs;     /* wire frames the skb stands for (gso_segs, 1 without GRO) */
	uint32_t zero;
	/* cap_len bytes of the frame follow, the slot padded to a multiple of 8 */
};

PKTPATH_STATIC_ASSERT(sizeof(struct pktpath_ksample) == 32 && offsetof(struct pktpath_ksample, ifindex) == 8 &&
			      offsetof(struct pktpath_ksample, cap_len) == 20 &&
			      offsetof(struct pktpath_ksample, stage) == 24 &&
			      offsetof(struct pktpath_ksample, segs) == 26,
		      "drop sample header: 32 bytes, no padding");

/* A slot of the sample ring: the header and snap bytes, a multiple of 8 so every header stays aligned. */
PKTPATH_INLINE uint32_t pktpath_ksample_slot_size(uint32_t snap)
{
	return (uint32_t)sizeof(struct pktpath_ksample) + ((snap + 7u) & ~7u);
}

/* The frame bytes of a sample in its slot. */
PKTPATH_INLINE const uint8_t *pktpath_ksample_bytes(const struct pktpath_ksample *s)
{
	return (const uint8_t *)(s + 1);
}

#endif /* PKTPATH_KERNEL_DROP_SAMPLE_H */
