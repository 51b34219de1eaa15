// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// A bounded lock-free ring over caller-provided memory (see layout.hpp):
// one core, with each side's synchronisation a template parameter, in the
// manner of DPDK's rte_ring.  Operations come in the flavours DPDK users
// know: single element, bulk (all or nothing) and burst (as many as fit),
// plus a zero-copy form for descriptor rings (reserve/commit on a single
// producer, peek/release on a single consumer).
//
// Elements are trivially copyable (pointers, descriptors) and are copied as
// bytes.  An enqueue that finds no room counts the refused elements in
// drops(): a full ring is an accounted loss, never a silent one.
//
// Memory ordering, in one place: a side publishes by a release store of its
// tail after touching the slots; the other side reads that tail with an
// acquire load before touching the slots.  Multi-producer (-consumer) sides
// additionally claim slots by CAS on their head and publish in claim order.
#ifndef PKTPATH_RING_VIEW_HPP
#define PKTPATH_RING_VIEW_HPP

#include <atomic>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <type_traits>

#include "../config.h"
#include "backoff.hpp"
#include "layout.hpp"

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

public:
	using value_type = T;
	static constexpr sync producer_sync = Prod;
	static constexpr sync consumer_sync = Cons;

	static constexpr std::size_t required_bytes(std::uint32_t capacity)
	{
		return ring_header::bytes_for(capacity, sizeof(T));
	}

	// Lays out an empty ring in `mem` (aligned to ring_header::line_pair,
	// e.g. from mmap).  On failure the view is invalid and *why says why.
	static ring_view create(void *mem, std::size_t bytes, std::uint32_t capacity, ring_error *why = nullptr)
	{
		ring_error e = check_memory(mem, bytes, capacity);
		if (e != ring_error::none)
			return fail(why, e);
		auto *h = ::new (mem) ring_header{};
		h->version = ring_header::version_value;
		h->capacity = capacity;
		h->elem_size = sizeof(T);
		h->elem_align = alignof(T);
		h->prod_sync = static_cast<std::uint8_t>(Prod);
		h->cons_sync = static_cast<std::uint8_t>(Cons);
		// Release: pairs with the acquire in attach(); the fields above are
		// visible to whoever sees the magic.
		h->magic.store(ring_header::magic_value, std::memory_order_release);
		if (why)
			*why = ring_error::none;
		return ring_view(h);
	}

	// Uses a ring another thread or process created in `mem`.
	static ring_view attach(void *mem, std::size_t bytes, ring_error *why = nullptr)
	{
		if (mem == nullptr)
			return fail(why, ring_error::null_memory);
		if (reinterpret_cast<std::uintptr_t>(mem) % ring_header::line_pair != 0)
			return fail(why, ring_error::misaligned);
		if (bytes < sizeof(ring_header))
			return fail(why, ring_error::too_small);
		auto *h = std::launder(static_cast<ring_header *>(mem));
		// Acquire: pairs with the release in create().
		if (h->magic.load(std::memory_order_acquire) != ring_header::magic_value)
			return fail(why, ring_error::bad_magic);
		if (h->version != ring_header::version_value)
			return fail(why, ring_error::bad_version);
		ring_error e = check_memory(mem, bytes, h->capacity);
		if (e != ring_error::none)
			return fail(why, e);
		if (h->elem_size != sizeof(T) || h->elem_align != alignof(T) ||
		    h->prod_sync != static_cast<std::uint8_t>(Prod) || h->cons_sync != static_cast<std::uint8_t>(Cons))
			return fail(why, ring_error::mismatch);
		if (why)
			*why = ring_error::none;
		return ring_view(h);
	}

	ring_view() = default; // invalid until assigned from create()/attach()

	bool valid() const { return h_ != nullptr; }
	explicit operator bool() const { return valid(); }

	std::uint32_t capacity() const { return capacity_; }
	// Snapshots: exact when no other thread is using the ring.
	std::uint32_t size() const
	{
		// Acquire: pairs with each side's release of its tail, so a caller
		// that sees work here can take it.  The consumer's tail first: the
		// producer's, read later, is never behind it, so the difference
		// cannot wrap; it can overshoot while both sides move, hence the
		// clamp.
		std::uint32_t cons = h_->cons.tail.load(std::memory_order_acquire);
		std::uint32_t n = h_->prod.tail.load(std::memory_order_acquire) - cons;
		return n < capacity_ ? n : capacity_;
	}
	std::uint32_t free_space() const { return capacity_ - size(); }
	bool empty() const { return size() == 0; }
	bool full() const { return size() == capacity_; }
	// Relaxed: a statistic, ordered with nothing.
	std::uint64_t drops() const { return h_->drops.load(std::memory_order_relaxed); }

	// Accounts elements the caller had to drop outside an enqueue (e.g. a
	// zero-copy producer whose reserve() came back short).
	void count_drops(std::uint64_t n)
	{
		auto &d = h_->drops;
		if constexpr (Prod == sync::single) // one writer: a plain load/store, no locked RMW
			d.store(d.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
		else
			d.fetch_add(n, std::memory_order_relaxed);
	}

	// ---- copying operations ----

	bool enqueue(const T &v)
	{
		std::uint32_t head;
		if (PKTPATH_UNLIKELY(claim_prod<true>(1, head) == 0)) {
			count_drops(1);
			return false;
		}
		std::memcpy(slot(head & mask_), &v, sizeof(T)); // one element never wraps
		publish<Prod>(h_->prod, head, 1);
		return true;
	}
	// All n or none; returns n or 0.
	std::uint32_t enqueue_bulk(const T *v, std::uint32_t n) { return enqueue_n<true>(v, n); }
	// As many as fit; returns how many.
	std::uint32_t enqueue_burst(const T *v, std::uint32_t n) { return enqueue_n<false>(v, n); }

	bool dequeue(T &out)
	{
		std::uint32_t head;
		if (claim_cons<true>(1, head) == 0)
			return false;
		std::memcpy(&out, slot(head & mask_), sizeof(T));
		publish<Cons>(h_->cons, head, 1);
		return true;
	}
	std::uint32_t dequeue_bulk(T *out, std::uint32_t n) { return dequeue_n<true>(out, n); }
	std::uint32_t dequeue_burst(T *out, std::uint32_t n) { return dequeue_n<false>(out, n); }

	// ---- zero-copy (single producer / single consumer sides) ----

	// Up to n free slots to fill in place; publish them with commit().  One
	// reservation at a time, and no enqueue on this ring until it is committed.
	ring_span<T> reserve(std::uint32_t n)
	{
		static_assert(Prod == sync::single, "reserve/commit needs a single producer");
		std::uint32_t head;
		std::uint32_t k = claim_prod<false>(n, head);
		// Relaxed: prod.head is private to the single producer; it only
		// remembers the reservation for commit().
		h_->prod.head.store(head + k, std::memory_order_relaxed);
		return span_at(head, k);
	}

	// Publishes the first n reserved slots (n <= the reservation); the rest of
	// the reservation is abandoned.
	void commit(std::uint32_t n)
	{
		static_assert(Prod == sync::single, "reserve/commit needs a single producer");
		auto &p = h_->prod;
		std::uint32_t tail = p.tail.load(std::memory_order_relaxed); // only this thread writes it
		assert(n <= p.head.load(std::memory_order_relaxed) - tail && "commit beyond the reservation");
		p.head.store(tail + n, std::memory_order_relaxed);
		// Release: pairs with the consumer's acquire of prod.tail; the slots
		// written in place are visible before the index that exposes them.
		p.tail.store(tail + n, std::memory_order_release);
	}

	// Up to n filled slots to read (or modify) in place; free them with release().
	ring_span<T> peek(std::uint32_t n)
	{
		static_assert(Cons == sync::single, "peek/release needs a single consumer");
		std::uint32_t head;
		std::uint32_t k = claim_cons<false>(n, head);
		return span_at(head, k);
	}

	// Returns the first n peeked slots to the producer (n <= what peek gave).
	void release(std::uint32_t n)
	{
		static_assert(Cons == sync::single, "peek/release needs a single consumer");
		auto &c = h_->cons;
		std::uint32_t tail = c.tail.load(std::memory_order_relaxed); // only this thread writes it
		assert(n <= c.cached_other_tail.load(std::memory_order_relaxed) - tail &&
		       "release beyond what was peeked");
		// Release: pairs with the producer's acquire of cons.tail; our reads
		// of the slots complete before the producer may overwrite them.
		c.tail.store(tail + n, std::memory_order_release);
	}

	ring_header *header() const { return h_; }

protected:
	explicit ring_view(ring_header *h)
	    : h_(h),
	      slots_(reinterpret_cast<unsigned char *>(h) + sizeof(ring_header)),
	      capacity_(h->capacity),
	      mask_(h->capacity - 1)
	{
	}

private:
	static ring_error check_memory(void *mem, std::size_t bytes, std::uint32_t capacity)
	{
		if (mem == nullptr)
			return ring_error::null_memory;
		if (reinterpret_cast<std::uintptr_t>(mem) % ring_header::line_pair != 0)
			return ring_error::misaligned;
		if (!ring_header::valid_capacity(capacity))
			return ring_error::bad_capacity;
		if (bytes < required_bytes(capacity))
			return ring_error::too_small;
		return ring_error::none;
	}

	static ring_view fail(ring_error *why, ring_error e)
	{
		if (why)
			*why = e;
		return ring_view();
	}

	T *slot(std::uint32_t i) const { return reinterpret_cast<T *>(slots_) + i; }

	ring_span<T> span_at(std::uint32_t head, std::uint32_t k) const
	{
		std::uint32_t idx = head & mask_;
		std::uint32_t first = capacity_ - idx < k ? capacity_ - idx : k;
		return ring_span<T>{slot(idx), first, slot(0), k};
	}

	void copy_in(std::uint32_t head, const T *src, std::uint32_t n)
	{
		std::uint32_t idx = head & mask_;
		std::uint32_t first = capacity_ - idx < n ? capacity_ - idx : n;
		std::memcpy(slot(idx), src, std::size_t{first} * sizeof(T));
		if (n != first)
			std::memcpy(slot(0), src + first, std::size_t{n - first} * sizeof(T));
	}

	void copy_out(std::uint32_t head, T *dst, std::uint32_t n) const
	{
		std::uint32_t idx = head & mask_;
		std::uint32_t first = capacity_ - idx < n ? capacity_ - idx : n;
		std::memcpy(dst, slot(idx), std::size_t{first} * sizeof(T));
		if (n != first)
			std::memcpy(dst + first, slot(0), std::size_t{n - first} * sizeof(T));
	}

	// Reads the other side's tail and keeps the copy in this side's line,
	// writing it only when it changed: a side spinning on a full or empty
	// ring does not dirty its own line (which the other side reads).
	template <class Side>
	static std::uint32_t refresh(Side &mine, const Side &other)
	{
		// Acquire: pairs with the other side's release store of its tail,
		// so its slot accesses up to there are complete and visible.
		std::uint32_t t = other.tail.load(std::memory_order_acquire);
		if (t != mine.cached_other_tail.load(std::memory_order_relaxed))
			// Release: pairs with the acquire load of the copy by the
			// other threads of a multi side (they inherit our acquire).
			mine.cached_other_tail.store(t, std::memory_order_release);
		return t;
	}

	// Claims up to n free slots starting at `head`; returns how many (0 or n
	// when Bulk).
	template <bool Bulk>
	std::uint32_t claim_prod(std::uint32_t n, std::uint32_t &head)
	{
		auto &p = h_->prod;
		if constexpr (Prod == sync::single) {
			// Relaxed: only this thread writes prod.tail and the copy.
			head = p.tail.load(std::memory_order_relaxed);
			std::uint32_t free = capacity_ + p.cached_other_tail.load(std::memory_order_relaxed) - head;
			if (free < n) // the copy says "full": look at the consumer
				free = capacity_ + refresh(p, h_->cons) - head;
			return fit<Bulk>(n, free);
		} else {
			// Acquire: pairs with the release CAS of the producer that last
			// moved head, so what we read below is at least as new as what
			// it used.
			head = p.head.load(std::memory_order_acquire);
			for (;;) {
				// Acquire: pairs with refresh()'s release (see there).
				std::uint32_t free =
					capacity_ + p.cached_other_tail.load(std::memory_order_acquire) - head;
				// Another producer may have stored an older copy after the
				// one that let head get here: then `free` wraps past the
				// capacity.  Either way, the real tail decides.
				if (free < n || free > capacity_)
					free = capacity_ + refresh(p, h_->cons) - head;
				std::uint32_t k = fit<Bulk>(n, free);
				if (k == 0)
					return 0;
				// Success releases what we read for the next producer (see
				// the head load); failure reloads head with the same acquire.
				if (p.head.compare_exchange_weak(head, head + k, std::memory_order_release,
								 std::memory_order_acquire))
					return k;
			}
		}
	}

	template <bool Bulk>
	std::uint32_t claim_cons(std::uint32_t n, std::uint32_t &head)
	{
		auto &c = h_->cons;
		if constexpr (Cons == sync::single) {
			head = c.tail.load(std::memory_order_relaxed); // only this thread writes cons.tail
			std::uint32_t avail = c.cached_other_tail.load(std::memory_order_relaxed) - head;
			if (avail < n) // the copy says "not enough": look at the producer
				avail = refresh(c, h_->prod) - head;
			return fit<Bulk>(n, avail);
		} else {
			// Acquire: pairs with the release CAS of the consumer that last
			// moved head (same reasoning as claim_prod).
			head = c.head.load(std::memory_order_acquire);
			for (;;) {
				// Acquire: pairs with refresh()'s release.
				std::uint32_t avail = c.cached_other_tail.load(std::memory_order_acquire) - head;
				if (avail < n || avail > capacity_) // too few, or an older copy (wrapped)
					avail = refresh(c, h_->prod) - head;
				std::uint32_t k = fit<Bulk>(n, avail);
				if (k == 0)
					return 0;
				if (c.head.compare_exchange_weak(head, head + k, std::memory_order_release,
								 std::memory_order_acquire))
					return k;
			}
		}
	}

	// How many of `want` the claim takes.  A room above the capacity exists
	// only in memory whose indices were corrupted (another process shares
	// them): capped, every copy stays inside the slots.
	template <bool Bulk>
	std::uint32_t fit(std::uint32_t want, std::uint32_t room) const
	{
		room = room < capacity_ ? room : capacity_;
		return want <= room ? want : (Bulk ? 0 : room);
	}

	// Makes [head, head + k) visible to the other side.  Multi sides publish
	// in claim order: wait for earlier claimers to publish first.
	template <sync S, class Side>
	static void publish(Side &side, std::uint32_t head, std::uint32_t k)
	{
		if constexpr (S == sync::multi) {
			backoff b;
			// Acquire: pairs with the earlier claimer's release of this
			// tail, so its slot accesses happen before our release below
			// and reach the other side through it.
			while (side.tail.load(std::memory_order_acquire) != head)
				b.pause();
		}
		// Release: pairs with the other side's acquire of this tail; our
		// slot accesses are complete before the index moves.
		side.tail.store(head + k, std::memory_order_release);
	}

	template <bool Bulk>
	std::uint32_t enqueue_n(const T *v, std::uint32_t n)
	{
		std::uint32_t head;
		std::uint32_t k = claim_prod<Bulk>(n, head);
		if (k != 0) {
			copy_in(head, v, k);
			publish<Prod>(h_->prod, head, k);
		}
		if (PKTPATH_UNLIKELY(k != n))
			count_drops(n - k);
		return k;
	}

	template <bool Bulk>
	std::uint32_t dequeue_n(T *out, std::uint32_t n)
	{
		std::uint32_t head;
		std::uint32_t k = claim_cons<Bulk>(n, head);
		if (k != 0) {
			copy_out(head, out, k);
			publish<Cons>(h_->cons, head, k);
		}
		return k;
	}

	ring_header *h_ = nullptr;
	unsigned char *slots_ = nullptr;
	std::uint32_t capacity_ = 0;
	std::uint32_t mask_ = 0;
};

} // namespace pktpath

#endif // PKTPATH_RING_VIEW_HPP
