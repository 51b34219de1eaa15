// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// A ring that owns its memory: allocated once, at construction, and never
// again (nothing on the enqueue/dequeue path allocates).  It is a ring_view,
// so code written against ring_view takes either form.
#ifndef PKTPATH_RING_RING_HPP
#define PKTPATH_RING_RING_HPP

#include <cstdint>
#include <new>
#include <utility>

#include "view.hpp"

namespace pktpath {

template <class T, sync Prod = sync::single, sync Cons = sync::single>
class ring : public ring_view<T, Prod, Cons> {
	using view = ring_view<T, Prod, Cons>;

public:
	// capacity: a power of two.  valid() is false when it is not, or when
	// the allocation failed (no exception is thrown).
	explicit ring(std::uint32_t capacity)
	{
		if (!ring_header::valid_capacity(capacity))
			return;
		std::size_t bytes = view::required_bytes(capacity);
		mem_ = ::operator new (bytes, std::align_val_t{ring_header::line_pair}, std::nothrow);
		if (mem_ != nullptr)
			static_cast<view &>(*this) = view::create(mem_, bytes, capacity);
	}

	ring(const ring &) = delete;
	ring &operator=(const ring &) = delete;
	ring(ring &&o) noexcept : view(o), mem_(std::exchange(o.mem_, nullptr)) { static_cast<view &>(o) = view(); }
	ring &operator=(ring &&o) noexcept
	{
		if (this != &o) {
			free_memory();
			static_cast<view &>(*this) = o;
			mem_ = std::exchange(o.mem_, nullptr);
			static_cast<view &>(o) = view();
		}
		return *this;
	}
	~ring() { free_memory(); }

private:
	void free_memory()
	{
		if (mem_ != nullptr)
			::operator delete (mem_, std::align_val_t{ring_header::line_pair});
		mem_ = nullptr;
	}

	void *mem_ = nullptr;
};

// The usual shapes.
template <class T>
using spsc_ring = ring<T, sync::single, sync::single>;
template <class T>
using mpsc_ring = ring<T, sync::multi, sync::single>;
template <class T>
using spmc_ring = ring<T, sync::single, sync::multi>;
template <class T>
using mpmc_ring = ring<T, sync::multi, sync::multi>;

} // namespace pktpath

#endif // PKTPATH_RING_RING_HPP
