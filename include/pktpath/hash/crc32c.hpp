// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// CRC32C (Castagnoli, iSCSI): reflected polynomial 0x82F63B78, initial value
// and final xor ~0.  x86-64 has it as an instruction (SSE4.2 `crc32`), which
// makes it the cheapest well-mixing hash of a short key there; elsewhere a
// slice-by-8 table gives the same values.
#ifndef PKTPATH_HASH_CRC32C_HPP
#define PKTPATH_HASH_CRC32C_HPP

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "../config.h"

// PKTPATH_CRC32C_HW: crc32c_hardware() exists.  Built with -msse4.2 (or a
// -march that has it) the instruction is used unconditionally and inlines;
// otherwise the hardware function is compiled for SSE4.2 alone and chosen at
// run time.
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <nmmintrin.h>
#define PKTPATH_CRC32C_HW 1
#if defined(__SSE4_2__)
#define PKTPATH_CRC32C_TARGET
#else
#define PKTPATH_CRC32C_TARGET __attribute__((target("sse4.2")))
#endif
#endif

namespace pktpath {

namespace detail {

struct crc32c_tables {
	std::uint32_t t[8][256];
};

// t[0] is the classic byte table; t[k][b] is b followed by k zero bytes,
// which lets slice-by-8 fold eight input bytes with eight independent loads.
constexpr crc32c_tables make_crc32c_tables() noexcept
{
	crc32c_tables r{};
	for (std::uint32_t b = 0; b < 256; ++b) {
		std::uint32_t c = b;
		for (int i = 0; i < 8; ++i)
			c = (c >> 1) ^ ((c & 1u) ? 0x82F63B78u : 0u);
		r.t[0][b] = c;
	}
	for (int k = 1; k < 8; ++k)
		for (std::uint32_t b = 0; b < 256; ++b)
			r.t[k][b] = (r.t[k - 1][b] >> 8) ^ r.t[0][r.t[k - 1][b] & 0xffu];
	return r;
}

inline constexpr crc32c_tables crc32c_table = make_crc32c_tables();

// Little-endian load from bytes: the reflected CRC consumes the lowest
// address first on every host.
inline std::uint32_t crc32c_load_le32(const std::uint8_t *p) noexcept
{
	return std::uint32_t(p[0]) | std::uint32_t(p[1]) << 8 | std::uint32_t(p[2]) << 16 | std::uint32_t(p[3]) << 24;
}

} // namespace detail

// Portable CRC32C.  `crc` is the result for the preceding bytes (0 to
// start), so crc32c_software(b, nb, crc32c_software(a, na)) is the CRC of a
// followed by b.
inline std::uint32_t crc32c_software(const void *data, std::size_t len, std::uint32_t crc = 0) noexcept
{
	const auto &t = detail::crc32c_table.t;
	const auto *p = static_cast<const std::uint8_t *>(data);
	crc = ~crc;
	for (; len >= 8; len -= 8, p += 8) {
		const std::uint32_t lo = crc ^ detail::crc32c_load_le32(p);
		const std::uint32_t hi = detail::crc32c_load_le32(p + 4);
		crc = t[7][lo & 0xffu] ^ t[6][(lo >> 8) & 0xffu] ^ t[5][(lo >> 16) & 0xffu] ^ t[4][lo >> 24] ^
		      t[3][hi & 0xffu] ^ t[2][(hi >> 8) & 0xffu] ^ t[1][(hi >> 16) & 0xffu] ^ t[0][hi >> 24];
	}
	for (; len; --len, ++p)
		crc = t[0][(crc ^ *p) & 0xffu] ^ (crc >> 8);
	return ~crc;
}

#ifdef PKTPATH_CRC32C_HW
namespace detail {

// The SSE4.2 loop.  Len is std::size_t, or std::integral_constant for a
// length known at compile time (keys): each such instantiation is
// straight-line code, which matters most when it is reached through the
// run-time dispatch and cannot be inlined into its caller.
template <class Len>
PKTPATH_CRC32C_TARGET inline std::uint32_t crc32c_sse42(const void *data, Len length, std::uint32_t crc) noexcept
{
	const auto *p = static_cast<const std::uint8_t *>(data);
	std::size_t len = length;
	std::uint64_t c = ~crc;
	// Keys are a few words long: unrolled, a 40-byte key is five crc32q in a
	// row instead of a loop (clang does this unasked, GCC does not).
#pragma GCC unroll 8
	for (; len >= 8; len -= 8, p += 8) {
		std::uint64_t w;
		std::memcpy(&w, p, 8); // x86 loads unaligned for free
		c = _mm_crc32_u64(c, w);
	}
	auto c32 = static_cast<std::uint32_t>(c);
	if (len & 4) {
		std::uint32_t w;
		std::memcpy(&w, p, 4);
		c32 = _mm_crc32_u32(c32, w);
		p += 4;
	}
	if (len & 2) {
		std::uint16_t w;
		std::memcpy(&w, p, 2);
		c32 = _mm_crc32_u16(c32, w);
		p += 2;
	}
	if (len & 1)
		c32 = _mm_crc32_u8(c32, *p);
	return ~c32;
}

} // namespace detail

// The SSE4.2 instruction; same contract as crc32c_software.  Call it only
// when crc32c_hardware_available().
PKTPATH_CRC32C_TARGET inline std::uint32_t crc32c_hardware(const void *data, std::size_t len,
							   std::uint32_t crc = 0) noexcept
{
	return detail::crc32c_sse42(data, len, crc);
}

// A false answer is only ever slower, never different: the CPU model is
// filled by a libgcc constructor, so code running before it sees "no".
inline bool crc32c_hardware_available() noexcept
{
#if defined(__SSE4_2__)
	return true;
#else
	return __builtin_cpu_supports("sse4.2");
#endif
}
#endif // PKTPATH_CRC32C_HW

namespace detail {

#if defined(PKTPATH_CRC32C_HW) && !defined(__SSE4_2__)
// Only x86-64 CPUs from before 2008 get here: out of line, so the dispatch
// stays small enough to inline into every caller.
PKTPATH_NOINLINE_COLD inline std::uint32_t crc32c_software_cold(const void *data, std::size_t len,
								std::uint32_t crc) noexcept
{
	return crc32c_software(data, len, crc);
}
#endif

// The fastest available route; Len as for crc32c_sse42.
template <class Len>
inline std::uint32_t crc32c_route(const void *data, Len len, std::uint32_t crc) noexcept
{
#if defined(PKTPATH_CRC32C_HW) && defined(__SSE4_2__)
	return crc32c_sse42(data, len, crc);
#elif defined(PKTPATH_CRC32C_HW)
	return PKTPATH_LIKELY(crc32c_hardware_available()) ? crc32c_sse42(data, len, crc)
							   : crc32c_software_cold(data, len, crc);
#else
	return crc32c_software(data, len, crc);
#endif
}

} // namespace detail

// Standard CRC32C of the bytes, by the fastest available route.
inline std::uint32_t crc32c(const void *data, std::size_t len, std::uint32_t crc = 0) noexcept
{
	return detail::crc32c_route(data, len, crc);
}

// Hash policy: CRC32C of the key's bytes.  Keys are padding-free, so equal
// keys have equal bytes; `seed` is the starting CRC (0: the standard value).
class crc32c_hash {
public:
	constexpr explicit crc32c_hash(std::uint32_t seed = 0) noexcept : seed_(seed) {}

	std::uint32_t bytes(const void *data, std::size_t len) const noexcept { return crc32c(data, len, seed_); }

	template <class Key, class = std::enable_if_t<std::has_unique_object_representations<Key>::value>>
	std::uint32_t operator()(const Key &k) const noexcept
	{
		return detail::crc32c_route(&k, std::integral_constant<std::size_t, sizeof(Key)>(), seed_);
	}

private:
	std::uint32_t seed_;
};

} // namespace pktpath

#endif // PKTPATH_HASH_CRC32C_HPP
