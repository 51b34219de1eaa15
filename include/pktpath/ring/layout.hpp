// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// The memory image of a ring, as C++ names it: ring.h's struct
// pktpath_ring_header (a header of constants, then the producer's and the
// consumer's indices on separate cache-line pairs, followed by the slot
// array) with its constants as members.  The image lives in memory the
// caller provides, so two processes (or a module and a process) mapping the
// same pages share one ring; the header records what the creator chose and
// attach() refuses memory that disagrees.  ring.h pins the layout for C and
// C++ alike: it is an interface between processes, not an implementation
// detail.
#ifndef PKTPATH_RING_LAYOUT_HPP
#define PKTPATH_RING_LAYOUT_HPP

#include <cstddef>
#include <cstdint>

#include "../sync.hpp"
#include "ring.h"

namespace pktpath {

// Why create()/attach() refused memory (ring.h's enum pktpath_ring_error).
enum class ring_error : std::uint8_t {
	none = PKTPATH_RING_OK,
	null_memory = PKTPATH_RING_NULL_MEMORY,
	misaligned = PKTPATH_RING_MISALIGNED,     // memory not aligned to ring_header::line_pair
	too_small = PKTPATH_RING_TOO_SMALL,       // fewer bytes than required_bytes(capacity)
	bad_capacity = PKTPATH_RING_BAD_CAPACITY, // zero, not a power of two, or above max_capacity
	bad_magic = PKTPATH_RING_BAD_MAGIC,       // not a ring, or its creator has not finished create()
	bad_version = PKTPATH_RING_BAD_VERSION,   // created by an incompatible pktpath
	mismatch = PKTPATH_RING_MISMATCH,         // element size/alignment or a side's sync differs
};

static_assert(static_cast<std::uint32_t>(sync::single) == PKTPATH_RING_SINGLE &&
		      static_cast<std::uint32_t>(sync::multi) == PKTPATH_RING_MULTI,
	      "the image stores sync as ring.h numbers it");

struct ring_header : pktpath_ring_header {
	using side = pktpath_ring_side;

	// Two cache lines: on x86 the adjacent-line prefetcher pulls lines in
	// pairs, so data written by different threads is kept 128 bytes apart.
	static constexpr std::size_t line_pair = PKTPATH_RING_LINE_PAIR;
	static constexpr std::uint32_t magic_value = PKTPATH_RING_MAGIC;
	static constexpr std::uint32_t version_value = PKTPATH_RING_VERSION;
	// Indices run freely over 32 bits; capacity may not exceed half that range.
	static constexpr std::uint32_t max_capacity = PKTPATH_RING_MAX_CAPACITY;

	static bool valid_capacity(std::uint32_t capacity) { return pktpath_ring_valid_capacity(capacity) != 0; }

	// Smallest power of two >= n (1 for 0); 0 when n exceeds max_capacity.
	static std::uint32_t round_up_capacity(std::uint32_t n) { return pktpath_ring_round_up_capacity(n); }

	// Bytes for the header plus `capacity` slots of `elem_size` bytes.
	static std::size_t bytes_for(std::uint32_t capacity, std::size_t elem_size)
	{
		return pktpath_ring_bytes(capacity, elem_size);
	}
};

static_assert(sizeof(ring_header) == sizeof(pktpath_ring_header) && alignof(ring_header) == ring_header::line_pair,
	      "ring_header is the C image, nothing added");

} // namespace pktpath

#endif // PKTPATH_RING_LAYOUT_HPP
