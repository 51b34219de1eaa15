/* SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only */
/*
 * The default flow hash: 64-bit multiply/rotate per 8-byte word and a final
 * avalanche, so every output bit depends on every input bit (open-addressing
 * tables use the low bits, shards the high ones).  C, C++ and kernel alike,
 * so a kernel module and userspace place a key in the same table slot.
 * Not keyed against adversaries: use it for placement, not for security.
 */
#ifndef PKTPATH_HASH_FAST_H
#define PKTPATH_HASH_FAST_H

#include "../config.h"

#define PKTPATH_HASH_P1 0x87c37b91114253d5ull
#define PKTPATH_HASH_P2 0x4cf5ad432745937full

PKTPATH_INLINE uint64_t pktpath_rotl64(uint64_t x, unsigned r)
{
	return (x << r) | (x >> (64u - r));
}

/* Final avalanche (the murmur3 finaliser constants). */
PKTPATH_INLINE uint64_t pktpath_hash_mix64(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}

PKTPATH_INLINE uint64_t pktpath_hash_fast64(const void *data, size_t len, uint64_t seed)
{
	const uint8_t *p = (const uint8_t *)data;
	uint64_t h = seed ^ ((uint64_t)len * PKTPATH_HASH_P2);
	uint64_t w;

	for (; len >= 8; len -= 8, p += 8) {
		memcpy(&w, p, 8); /* unaligned-safe; compiles to one load */
		h ^= pktpath_rotl64(w * PKTPATH_HASH_P1, 31) * PKTPATH_HASH_P2;
		h = pktpath_rotl64(h, 27) * 5u + 0x52dce729u;
	}
	if (len) {
		w = 0;
		memcpy(&w, p, len);
		h ^= pktpath_rotl64(w * PKTPATH_HASH_P1, 31) * PKTPATH_HASH_P2;
	}
	return pktpath_hash_mix64(h);
}

PKTPATH_INLINE uint32_t pktpath_hash_fast32(const void *data, size_t len, uint64_t seed)
{
	uint64_t h = pktpath_hash_fast64(data, len, seed);
	return (uint32_t)(h ^ (h >> 32));
}

#endif /* PKTPATH_HASH_FAST_H */
