// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// The shared variables of the poll pieces (napi state, inbox head, interrupt
// mask, backlog length, statistics), chosen by a sync policy as the rings
// choose theirs: sync::multi is std::atomic<T>; sync::single, for a user
// that calls everything from one thread (the deterministic replay), is a
// plain T behind the same member functions, whose memory orders it ignores:
// one thread needs none, and a locked read-modify-write per call would be
// most of the cost of a simulated poll.  One implementation of each piece
// then serves both.
#ifndef PKTPATH_POLL_DETAIL_CELL_HPP
#define PKTPATH_POLL_DETAIL_CELL_HPP

#include <atomic>
#include <cstdint>
#include <type_traits>

#include "../../sync.hpp"

namespace pktpath {
namespace detail {

template <class T>
class plain_cell {
public:
	constexpr plain_cell(T v = T{}) noexcept : v_(v) {}
	plain_cell(const plain_cell &) = delete;
	plain_cell &operator=(const plain_cell &) = delete;

	T load(std::memory_order = std::memory_order_seq_cst) const noexcept { return v_; }
	void store(T v, std::memory_order = std::memory_order_seq_cst) noexcept { v_ = v; }
	T exchange(T v, std::memory_order = std::memory_order_seq_cst) noexcept
	{
		T old = v_;
		v_ = v;
		return old;
	}
	bool compare_exchange_weak(T &expected, T desired, std::memory_order = std::memory_order_seq_cst,
				   std::memory_order = std::memory_order_seq_cst) noexcept
	{
		if (v_ != expected) {
			expected = v_;
			return false;
		}
		v_ = desired;
		return true;
	}
	T fetch_add(T n, std::memory_order = std::memory_order_seq_cst) noexcept
	{
		T old = v_;
		v_ = static_cast<T>(v_ + n);
		return old;
	}

private:
	T v_;
};

template <class T, sync S>
using cell = std::conditional_t<S == sync::multi, std::atomic<T>, plain_cell<T>>;

// A statistics counter with one writer: a load and a store, never a locked
// read-modify-write; under sync::multi any thread may read it.
template <sync S>
class owned_counter {
public:
	void add(std::uint64_t n) { v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
	std::uint64_t get() const { return v_.load(std::memory_order_relaxed); }

private:
	cell<std::uint64_t, S> v_{0};
};

} // namespace detail
} // namespace pktpath

#endif // PKTPATH_POLL_DETAIL_CELL_HPP
