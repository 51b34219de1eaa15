// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// The replay's flow table in memory of its own: an anonymous mapping aligned
// to 2 MiB and advised MADV_HUGEPAGE.  A replay's flows hash all over the
// table, so with 4 KiB pages nearly every lookup and count misses the TLB
// (4096 flows in a 262144-slot table touch 8192 pages); on transparent huge
// pages the same table is a few dozen TLB entries.  Falls back to ordinary
// pages where THP is off.
#ifndef PKTPATH_REPLAY_TABLE_MEMORY_HPP
#define PKTPATH_REPLAY_TABLE_MEMORY_HPP

#include <cstddef>
#include <cstdint>

#include <sys/mman.h>

#include "model.hpp"

namespace pktpath::replay {

// The flow table pktpath-replay makes for captures of this many bytes:
// generously one flow per 128 captured bytes, at load 3/4 (image.h's probe
// limit), a power of two from 1024 to 262144 slots (46 MB).  Beyond that a
// replay counts further flows in the overflow row (--flows raises it).
inline std::uint32_t table_capacity_for(std::uint64_t capture_bytes)
{
	const std::uint64_t want = capture_bytes / 128 * 4 / 3;
	std::uint32_t cap = 1024;
	while (cap < want && cap < (1u << 18))
		cap <<= 1;
	return cap;
}

class table_memory {
public:
	static constexpr std::size_t huge_page = std::size_t{2} << 20;

	// ok() false when the parameters are invalid or memory is short;
	// error_text() says which.
	table_memory(std::uint32_t capacity, const table_options &o = {})
	{
		const std::uint64_t len = table_type::image_size(capacity, o);
		if (len == 0) {
			t_ = table_type::create(capacity, o); // for its error
			return;
		}
		map_len_ = static_cast<std::size_t>(len) + huge_page;
		void *m = ::mmap(nullptr, map_len_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED) {
			map_len_ = 0;
			nomem_ = true;
			return;
		}
		map_ = m;
		const std::uintptr_t at = (reinterpret_cast<std::uintptr_t>(m) + huge_page - 1) & ~(huge_page - 1);
#ifdef MADV_HUGEPAGE
		::madvise(reinterpret_cast<void *>(at), static_cast<std::size_t>(len), MADV_HUGEPAGE);
#endif
		t_ = table_type::format(reinterpret_cast<void *>(at), len, capacity, o);
	}
	table_memory(const table_memory &) = delete;
	table_memory &operator=(const table_memory &) = delete;
	~table_memory()
	{
		t_ = table_type();
		if (map_ != nullptr)
			::munmap(map_, map_len_);
	}

	bool ok() const
	{
		return t_.ok();
	}
	const char *error_text() const
	{
		return nomem_ ? "out of memory: the table's mapping was refused" : t_.error_text();
	}
	table_type &table()
	{
		return t_;
	}

private:
	void *map_ = nullptr;
	std::size_t map_len_ = 0;
	bool nomem_ = false;
	table_type t_;
};

} // namespace pktpath::replay

#endif // PKTPATH_REPLAY_TABLE_MEMORY_HPP
