// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// A stage table or a ring in named DPDK memory (an rte_memzone: hugepages
// when EAL has them, its --no-huge memory otherwise), so that a secondary
// process of the same EAL (--proc-type=secondary, same --file-prefix) finds
// it by name and reads the table, or the ring's counters, while the primary
// runs.  Sharing between processes needs hugepage-backed memory: under
// --no-huge a secondary cannot start.
//
//   auto t = pktpath::dpdk::shared_table<table>::create("flows", 1 << 16, o);   // primary
//   auto r = pktpath::dpdk::shared_table<table>::attach("flows");               // secondary
//   pktpath::table_snapshot s(r.table().view());
//
// The creator frees the memzone when its object is destroyed; an attached
// object only forgets it.  Both need an initialised EAL.
#ifndef PKTPATH_DPDK_MEMZONE_HPP
#define PKTPATH_DPDK_MEMZONE_HPP

#include <cstddef>
#include <cstdint>

#include <rte_errno.h>
#include <rte_memory.h>
#include <rte_memzone.h>

#include "../ring/layout.hpp"
#include "../table/image.h"
#include "../table/stage_table.hpp"

namespace pktpath::dpdk {

// A memzone reserved here (freed on destruction) or looked up by name.
class memzone {
public:
	static memzone reserve(const char *name, std::size_t len, int socket = SOCKET_ID_ANY,
			       unsigned align = ring_header::line_pair)
	{
		memzone z;
		z.mz_ = rte_memzone_reserve_aligned(name, len, socket, 0, align);
		z.owned_ = z.mz_ != nullptr;
		z.errno_ = z.mz_ != nullptr ? 0 : rte_errno;
		return z;
	}

	static memzone lookup(const char *name)
	{
		memzone z;
		z.mz_ = rte_memzone_lookup(name);
		z.errno_ = z.mz_ != nullptr ? 0 : ENOENT;
		return z;
	}

	memzone() = default;
	memzone(memzone &&o) noexcept { *this = static_cast<memzone &&>(o); }
	memzone &operator=(memzone &&o) noexcept
	{
		if (this != &o) {
			release();
			mz_ = o.mz_;
			owned_ = o.owned_;
			errno_ = o.errno_;
			o.mz_ = nullptr;
			o.owned_ = false;
		}
		return *this;
	}
	memzone(const memzone &) = delete;
	memzone &operator=(const memzone &) = delete;
	~memzone() { release(); }

	bool ok() const { return mz_ != nullptr; }
	void *addr() const { return mz_->addr; }
	std::size_t len() const { return mz_->len; }
	// rte_errno of a failed reserve (ENOMEM, EEXIST, ...), ENOENT of a failed lookup.
	int error() const { return errno_; }

private:
	void release()
	{
		if (owned_)
			rte_memzone_free(mz_);
		mz_ = nullptr;
		owned_ = false;
	}

	const rte_memzone *mz_ = nullptr;
	bool owned_ = false;
	int errno_ = 0;
};

// A stage_table whose image is a memzone.
template <class Table>
class shared_table {
public:
	static shared_table create(const char *name, std::uint32_t capacity, const table_options &o = {},
				   int socket = SOCKET_ID_ANY)
	{
		shared_table s;
		const std::uint64_t len = Table::image_size(capacity, o);
		if (len == 0) {
			s.t_ = Table::create(capacity, o); // only for its error
			return s;
		}
		s.mz_ = memzone::reserve(name, len, socket, 64);
		if (s.mz_.ok())
			s.t_ = Table::format(s.mz_.addr(), len, capacity, o);
		return s;
	}

	// The table another process created as `name`, checked as stage_table::attach checks.
	static shared_table attach(const char *name)
	{
		shared_table s;
		s.mz_ = memzone::lookup(name);
		if (s.mz_.ok())
			s.t_ = Table::attach(s.mz_.addr(), s.mz_.len());
		return s;
	}

	bool ok() const { return t_.ok(); }
	// Why not ok(): the memzone's error, or the table's.
	const char *error_text() const { return mz_.error() != 0 ? rte_strerror(mz_.error()) : t_.error_text(); }
	Table &table() { return t_; }

private:
	memzone mz_; // declared first: the table is dropped before its memory
	Table t_;
};

// A ring_view (ring/view.hpp) whose memory is a memzone.
template <class Ring>
class shared_ring {
public:
	static shared_ring create(const char *name, std::uint32_t capacity, int socket = SOCKET_ID_ANY)
	{
		shared_ring s;
		if (!ring_header::valid_capacity(capacity)) {
			s.err_ = ring_error::bad_capacity;
			return s;
		}
		s.mz_ = memzone::reserve(name, Ring::required_bytes(capacity), socket);
		if (s.mz_.ok())
			s.r_ = Ring::create(s.mz_.addr(), s.mz_.len(), capacity, &s.err_);
		return s;
	}

	static shared_ring attach(const char *name)
	{
		shared_ring s;
		s.mz_ = memzone::lookup(name);
		if (s.mz_.ok())
			s.r_ = Ring::attach(s.mz_.addr(), s.mz_.len(), &s.err_);
		return s;
	}

	bool ok() const { return r_.valid(); }
	int memzone_error() const { return mz_.error(); }
	ring_error error() const { return err_; }
	Ring &ring() { return r_; }

private:
	memzone mz_;
	Ring r_;
	ring_error err_ = ring_error::none;
};

} // namespace pktpath::dpdk

#endif // PKTPATH_DPDK_MEMZONE_HPP
