// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// Field loads in a capture file's byte order.  Records sit at any offset, so
// every load goes through memcpy (one unaligned mov on x86), swapped when the
// file was written by a host of the other byte order.
#ifndef PKTPATH_CAPTURE_DETAIL_BYTE_ORDER_HPP
#define PKTPATH_CAPTURE_DETAIL_BYTE_ORDER_HPP

#include <cstdint>
#include <cstring>

namespace pktpath::capture::detail {

struct byte_order {
	bool swap = false; // file order differs from the host's

	std::uint16_t u16(const std::uint8_t *p) const
	{
		std::uint16_t v;
		std::memcpy(&v, p, sizeof v);
		return swap ? __builtin_bswap16(v) : v;
	}
	std::uint32_t u32(const std::uint8_t *p) const
	{
		std::uint32_t v;
		std::memcpy(&v, p, sizeof v);
		return swap ? __builtin_bswap32(v) : v;
	}
	std::uint64_t u64(const std::uint8_t *p) const
	{
		std::uint64_t v;
		std::memcpy(&v, p, sizeof v);
		return swap ? __builtin_bswap64(v) : v;
	}
};

// A magic number as the host reads it: which byte order (if any) makes `raw`
// equal `magic`.  Returns false when neither does.
inline bool match_magic(std::uint32_t raw, std::uint32_t magic, byte_order &order)
{
	if (raw == magic) {
		order.swap = false;
		return true;
	}
	if (__builtin_bswap32(raw) == magic) {
		order.swap = true;
		return true;
	}
	return false;
}

} // namespace pktpath::capture::detail

#endif
