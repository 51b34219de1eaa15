// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// The default hash without a 128-bit integer type (32-bit and exotic targets,
// forced here) must give the values of the native path, or a kernel and a
// userspace built for different targets would place keys differently.
#define PKTPATH_HASH_NO_INT128 1
#include <pktpath/hash/fast.h>

#include <catch2/catch.hpp>

#include <random>

TEST_CASE("fast hash: the portable multiply gives the pinned values", "[hash]")
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	const std::uint8_t zeros[40] = {};
	CHECK(pktpath_hash_fast32("123456789", 9, 0) == 0x14eecf3cu);
	CHECK(pktpath_hash_fast32("123456789", 9, 1) == 0x3c2e4e6du);
	CHECK(pktpath_hash_fast64(zeros, sizeof(zeros), 0) == 0x23a7fb2e576ce139ull);
#endif
}

TEST_CASE("fast hash: the portable multiply is the full 128-bit product folded", "[hash]")
{
	// Reference: 128-bit product from four 32x32 products with explicit carries.
	std::mt19937_64 rng(3);
	for (int i = 0; i < 100000; i++) {
		std::uint64_t a = rng(), b = rng();
		if (i < 4) {
			a = i & 1 ? ~0ull : a;
			b = i & 2 ? ~0ull : b;
		}
		std::uint64_t lo = a * b;
		std::uint64_t a0 = a & 0xffffffffu, a1 = a >> 32, b0 = b & 0xffffffffu, b1 = b >> 32;
		std::uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
		std::uint64_t carry = ((p00 >> 32) + (p01 & 0xffffffffu) + (p10 & 0xffffffffu)) >> 32;
		std::uint64_t hi = p11 + (p01 >> 32) + (p10 >> 32) + carry;
		REQUIRE(pktpath_mum64(a, b) == (lo ^ hi));
	}
}
