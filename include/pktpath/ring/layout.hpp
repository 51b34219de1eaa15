// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// The memory image of a ring: a header (constants, then the producer's and
// the consumer's indices on separate cache-line pairs) followed by the slot
// array.  The image lives in memory the caller provides, so two processes
// mapping the same pages share one ring; the header records what the creator
// chose (capacity, element size, synchronisation of each side) and attach()
// refuses memory that disagrees.  The layout is pinned by static_asserts: it
// is an interface between processes, not an implementation detail.
#ifndef PKTPATH_RING_LAYOUT_HPP
#define PKTPATH_RING_LAYOUT_HPP

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "../sync.hpp"

namespace pktpath {

// Why create()/attach() refused memory.
enum class ring_error : std::uint8_t {
	none,
	null_memory,
	misaligned,   // memory not aligned to ring_header::line_pair
	too_small,    // fewer bytes than required_bytes(capacity)
	bad_capacity, // zero, not a power of two, or above max_capacity
	bad_magic,    // not a ring, or its creator has not finished create()
	bad_version,  // created by an incompatible pktpath
	mismatch,     // element size/alignment or a side's sync differs
};

// Two cache lines: on x86 the adjacent-line prefetcher pulls lines in pairs,
// so data written by different threads is kept 128 bytes apart.
struct ring_header {
	static constexpr std::size_t line_pair = 128;
	static constexpr std::uint32_t magic_value = 0x52544b50u; // "PKTR" in memory order
	static constexpr std::uint32_t version_value = 1;
	// Indices run freely over 32 bits; capacity may not exceed half that range.
	static constexpr std::uint32_t max_capacity = 1u << 31;

	// One side's indices, written by that side only.  head: end of what the
	// side has claimed (multi) or, for a single producer, reserved for
	// zero-copy; tail: end of what it has published to the other side.
	struct alignas(line_pair) side {
		std::atomic<std::uint32_t> head;
		std::atomic<std::uint32_t> tail;
		// The other side's tail as this side last read it: most claims
		// are decided from this copy, without touching the other side's
		// line.  Never ahead of the real tail.
		std::atomic<std::uint32_t> cached_other_tail;
	};

	// Constant after create(); magic is stored last (release) so an
	// attacher that sees it (acquire) sees the other fields too.  The hot
	// path never reads this line (views keep copies of the constants), so
	// the drops counter lives here: a producer retrying on a full ring
	// writes it without disturbing the line the consumer polls.
	std::atomic<std::uint32_t> magic;
	std::uint32_t version;
	std::uint32_t capacity;
	std::uint32_t elem_size;
	std::uint32_t elem_align;
	std::uint8_t prod_sync;
	std::uint8_t cons_sync;
	std::uint16_t reserved;
	std::atomic<std::uint64_t> drops;
	side prod;
	side cons;

	static constexpr bool valid_capacity(std::uint32_t capacity)
	{
		return capacity != 0 && capacity <= max_capacity && (capacity & (capacity - 1)) == 0;
	}

	// Smallest power of two >= n (1 for 0); 0 when n exceeds max_capacity.
	static constexpr std::uint32_t round_up_capacity(std::uint32_t n)
	{
		if (n > max_capacity)
			return 0;
		std::uint32_t c = 1;
		while (c < n)
			c <<= 1;
		return c;
	}

	// Bytes for the header plus `capacity` slots of `elem_size` bytes.
	static constexpr std::size_t bytes_for(std::uint32_t capacity, std::size_t elem_size)
	{
		return sizeof(ring_header) + std::size_t{capacity} * elem_size;
	}
};

// The cross-process contract: every offset is fixed, the atomics are plain
// words that need no lock (so they work between processes).
static_assert(std::atomic<std::uint32_t>::is_always_lock_free && std::atomic<std::uint64_t>::is_always_lock_free,
	      "ring indices must be address-free atomics to be shared between processes");
static_assert(sizeof(std::atomic<std::uint32_t>) == 4 && sizeof(std::atomic<std::uint64_t>) == 8,
	      "atomics are plain words");
static_assert(offsetof(ring_header, capacity) == 8 && offsetof(ring_header, prod_sync) == 20, "ring header constants");
static_assert(offsetof(ring_header, prod) == 128 && offsetof(ring_header, cons) == 256, "sides are line pairs apart");
static_assert(offsetof(ring_header, drops) == 24, "drops counter");
static_assert(sizeof(ring_header) == 384 && alignof(ring_header) == ring_header::line_pair,
	      "slots start on their own line pair");

} // namespace pktpath

#endif // PKTPATH_RING_LAYOUT_HPP
