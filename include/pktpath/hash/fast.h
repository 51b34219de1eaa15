/* SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only */
/*
 * The default flow hash: each 16-byte chunk is one 64x64->128-bit multiply
 * (high and low halves folded), the chunks are independent so they overlap
 * in the pipeline, and a last multiply mixes in length and seed.  Every
 * output bit depends on every input bit (open-addressing tables use the low
 * bits, shards the high ones).  C, C++ and kernel alike, so a kernel module
 * and userspace place a key in the same table slot.
 * Not keyed against adversaries: use it for placement, not for security.
 */
#ifndef PKTPATH_HASH_FAST_H
#define PKTPATH_HASH_FAST_H

#include "../config.h"

/* Multiplies and folds the 128-bit product: the mixing step. */
PKTPATH_INLINE uint64_t pktpath_mum64(uint64_t a, uint64_t b)
{
#if defined(__SIZEOF_INT128__) && !defined(PKTPATH_HASH_NO_INT128)
	__extension__ typedef unsigned __int128 pktpath_u128_;
	pktpath_u128_ r = (pktpath_u128_)a * b;
	return (uint64_t)r ^ (uint64_t)(r >> 64);
#else
	/* Schoolbook 32-bit halves where the compiler has no 128-bit type. */
	uint64_t ha = a >> 32, la = (uint32_t)a, hb = b >> 32, lb = (uint32_t)b;
	uint64_t ll = la * lb, lh = la * hb, hl = ha * lb, hh = ha * hb;
	uint64_t mid = (ll >> 32) + (uint32_t)lh + (uint32_t)hl;
	uint64_t lo = (mid << 32) | (uint32_t)ll;
	uint64_t hi = hh + (lh >> 32) + (hl >> 32) + (mid >> 32);
	return lo ^ hi;
#endif
}

PKTPATH_INLINE uint64_t pktpath_load64_(const uint8_t *p, size_t n)
{
	uint64_t w = 0;
	memcpy(&w, p, n); /* unaligned-safe; one load when n == 8 */
	return w;
}

PKTPATH_INLINE uint64_t pktpath_hash_fast64(const void *data, size_t len, uint64_t seed)
{
	/* Odd, bit-balanced constants; chunk i uses its own pair, so equal chunks
	 * at different positions (a flow's source and destination) do not cancel. */
	static const uint64_t k[8] = {0x5f8299ae183f4345ull, 0xfa0478e42c7a4473ull, 0xae6fdeed2a965a01ull,
				      0x14d45543acd15eb7ull, 0x6b5ba1d1fab329d9ull, 0xf5c36cc40baefa5bull,
				      0x6e6e37e6100aa67full, 0x580a2cbcc763ea37ull};
	const uint8_t *p = (const uint8_t *)data;
	uint64_t acc = 0;
	size_t left = len, i = 0;

	for (; left >= 16; left -= 16, p += 16, i++)
		acc ^= pktpath_mum64(pktpath_load64_(p, 8) ^ k[(2 * i) & 7] ^ i,
				     pktpath_load64_(p + 8, 8) ^ k[(2 * i + 1) & 7] ^ seed);
	if (left) {
		size_t n = left > 8 ? 8 : left;
		acc ^= pktpath_mum64(pktpath_load64_(p, n) ^ k[(2 * i) & 7] ^ i,
				     pktpath_load64_(p + n, left - n) ^ k[(2 * i + 1) & 7] ^ seed);
	}
	return pktpath_mum64(acc ^ k[1], (uint64_t)len ^ seed ^ k[6]);
}

PKTPATH_INLINE uint32_t pktpath_hash_fast32(const void *data, size_t len, uint64_t seed)
{
	uint64_t h = pktpath_hash_fast64(data, len, seed);
	return (uint32_t)(h ^ (h >> 32));
}

#endif /* PKTPATH_HASH_FAST_H */
