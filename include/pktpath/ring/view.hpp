// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// A bounded lock-free ring over caller-provided memory: the C core of
// ring.h (image and algorithm, shared with kernel code) with the element
// type and each side's synchronisation as template parameters, which fold
// into the core's always-inline functions as constants.  The operations
// are always inlined too, as rte_ring's are: a call and its stack frame
// cost as much as the work of a short burst.  Operations come
// in the flavours DPDK users know: single element, bulk (all or nothing)
// and burst (as many as fit), plus a zero-copy form for descriptor rings
// (reserve/commit on a single producer, peek/release on a single consumer).
//
// Elements are trivially copyable (pointers, descriptors) and are copied as
// bytes.  An enqueue that finds no room counts the refused elements in
// drops(): a full ring is an accounted loss, never a silent one.  ring.h
// holds the memory ordering, each choice with the operation it pairs with.
#ifndef PKTPATH_RING_VIEW_HPP
#define PKTPATH_RING_VIEW_HPP

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "backoff.hpp"
#include "layout.hpp"
#include "ring.h"

namespace pktpath {

// Up to two runs of consecutive slots (a reservation or a peek may wrap
// around the end of the slot array).
template <class T>
struct ring_span {
	T *first = nullptr;
	std::uint32_t first_len = 0;
	T *second = nullptr;
	std::uint32_t len = 0; // total elements in both runs

	std::uint32_t size() const { return len; }
	bool empty() const { return len == 0; }
	T &operator[](std::uint32_t i) const { return i < first_len ? first[i] : second[i - first_len]; }
};

template <class T, sync Prod = sync::single, sync Cons = sync::single>
class ring_view {
	static_assert(std::is_trivially_copyable<T>::value, "ring elements are copied as bytes: pointers, descriptors");
	static_assert(alignof(T) <= ring_header::line_pair, "slots are aligned to a line pair at most");
	static constexpr std::uint32_t prod_ = static_cast<std::uint32_t>(Prod);
	static constexpr std::uint32_t cons_ = static_cast<std::uint32_t>(Cons);

public:
	using value_type = T;
	static constexpr sync producer_sync = Prod;
	static constexpr sync consumer_sync = Cons;

	static std::size_t required_bytes(std::uint32_t capacity)
	{
		return ring_header::bytes_for(capacity, sizeof(T));
	}

	// Lays out an empty ring in `mem` (aligned to ring_header::line_pair,
	// e.g. from mmap).  On failure the view is invalid and *why says why.
	static ring_view create(void *mem, std::size_t bytes, std::uint32_t capacity, ring_error *why = nullptr)
	{
		pktpath_ring r;
		return made(pktpath_ring_init(mem, bytes, capacity, sizeof(T), alignof(T), prod_, cons_, &r), r, why);
	}

	// Uses a ring another thread or process (or a kernel module) created in `mem`.
	static ring_view attach(void *mem, std::size_t bytes, ring_error *why = nullptr)
	{
		pktpath_ring r;
		return made(pktpath_ring_attach(mem, bytes, sizeof(T), alignof(T), prod_, cons_, &r), r, why);
	}

	ring_view() = default; // invalid until assigned from create()/attach()

	bool valid() const { return r_.h != nullptr; }
	explicit operator bool() const { return valid(); }

	std::uint32_t capacity() const { return r_.capacity; }
	// Snapshots: exact when no other thread is using the ring.
	std::uint32_t size() const { return pktpath_ring_count(&r_); }
	std::uint32_t free_space() const { return r_.capacity - size(); }
	bool empty() const { return size() == 0; }
	bool full() const { return size() == r_.capacity; }
	std::uint64_t drops() const { return pktpath_ring_drops(&r_); }

	// Accounts elements the caller had to drop outside an enqueue (e.g. a
	// zero-copy producer whose reserve() came back short).
	void count_drops(std::uint64_t n) { pktpath_ring_count_drops_(&r_, prod_, n); }

	// ---- copying operations ----

	PKTPATH_ALWAYS_INLINE bool enqueue(const T &v) { return enqueue_n<1>(&v, 1) != 0; }
	// All n or none; returns n or 0.
	PKTPATH_ALWAYS_INLINE std::uint32_t enqueue_bulk(const T *v, std::uint32_t n) { return enqueue_n<1>(v, n); }
	// As many as fit; returns how many.
	PKTPATH_ALWAYS_INLINE std::uint32_t enqueue_burst(const T *v, std::uint32_t n) { return enqueue_n<0>(v, n); }

	PKTPATH_ALWAYS_INLINE bool dequeue(T &out) { return dequeue_n<1>(&out, 1) != 0; }
	PKTPATH_ALWAYS_INLINE std::uint32_t dequeue_bulk(T *out, std::uint32_t n) { return dequeue_n<1>(out, n); }
	PKTPATH_ALWAYS_INLINE std::uint32_t dequeue_burst(T *out, std::uint32_t n) { return dequeue_n<0>(out, n); }

	// ---- zero-copy (single producer / single consumer sides) ----

	// Up to n free slots to fill in place; publish them with commit().  One
	// reservation at a time, and no enqueue on this ring until it is committed.
	PKTPATH_ALWAYS_INLINE ring_span<T> reserve(std::uint32_t n)
	{
		static_assert(Prod == sync::single, "reserve/commit needs a single producer");
		const pktpath_ring r = r_; // a local copy, as in enqueue_n
		std::uint32_t first;
		std::uint32_t k = pktpath_ring_reserve(&r, n, &first);
		return span_at(r, first, k);
	}

	// Publishes the first n reserved slots (n <= the reservation); the rest of
	// the reservation is abandoned.
	PKTPATH_ALWAYS_INLINE void commit(std::uint32_t n)
	{
		static_assert(Prod == sync::single, "reserve/commit needs a single producer");
		assert(n <= r_.h->prod.head - r_.h->prod.tail && "commit beyond the reservation");
		pktpath_ring_commit(&r_, n);
	}

	// Up to n filled slots to read (or modify) in place; free them with release().
	PKTPATH_ALWAYS_INLINE ring_span<T> peek(std::uint32_t n)
	{
		static_assert(Cons == sync::single, "peek/release needs a single consumer");
		const pktpath_ring r = r_; // a local copy, as in enqueue_n
		std::uint32_t first;
		std::uint32_t k = pktpath_ring_peek(&r, n, &first);
		return span_at(r, first, k);
	}

	// Returns the first n peeked slots to the producer (n <= what peek gave).
	PKTPATH_ALWAYS_INLINE void release(std::uint32_t n)
	{
		static_assert(Cons == sync::single, "peek/release needs a single consumer");
		assert(n <= r_.h->cons.cached_other_tail - r_.h->cons.tail && "release beyond what was peeked");
		pktpath_ring_release(&r_, n);
	}

	// The image itself (tests and tools that inspect or repair indices).
	pktpath_ring_header *header() const { return r_.h; }

protected:
	explicit ring_view(const pktpath_ring &r) : r_(r) {}

private:
	static ring_view made(enum pktpath_ring_error e, const pktpath_ring &r, ring_error *why)
	{
		if (why)
			*why = static_cast<ring_error>(e);
		return e == PKTPATH_RING_OK ? ring_view(r) : ring_view();
	}

	PKTPATH_ALWAYS_INLINE static ring_span<T> span_at(const pktpath_ring &r, std::uint32_t head, std::uint32_t k)
	{
		T *slots = reinterpret_cast<T *>(r.slots);
		std::uint32_t idx = head & r.mask;
		std::uint32_t first = r.capacity - idx < k ? r.capacity - idx : k;
		return ring_span<T>{slots + idx, first, slots, k};
	}

	template <int Bulk>
	PKTPATH_ALWAYS_INLINE std::uint32_t enqueue_n(const T *v, std::uint32_t n)
	{
		const pktpath_ring r = r_; // a local copy: its fields stay in registers across the atomics
		return pktpath_ring_enqueue_(&r, prod_, sizeof(T), &backoff::pause_after, Bulk, v, n);
	}

	template <int Bulk>
	PKTPATH_ALWAYS_INLINE std::uint32_t dequeue_n(T *out, std::uint32_t n)
	{
		const pktpath_ring r = r_;
		return pktpath_ring_dequeue_(&r, cons_, sizeof(T), &backoff::pause_after, Bulk, out, n);
	}

	// ring.h's view of the image; the element size and both sides' sync
	// are the template's constants, passed to the core with each call.
	pktpath_ring r_{};
};

} // namespace pktpath

#endif // PKTPATH_RING_VIEW_HPP
