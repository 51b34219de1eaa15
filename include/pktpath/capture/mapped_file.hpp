// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// A whole file mapped read-only (POSIX mmap), for zero-copy capture reading.
// The mapping is advised sequential so the kernel reads ahead of the cursor;
// release_before() drops the pages a streaming reader has walked past, which
// keeps the resident set flat on files larger than memory.
//
// A file truncated by another process while mapped raises SIGBUS on access
// past its new end, as with any mmap reader, and the process dies; opened
// with `guard`, the mapping is registered with detail/sigbus_guard.hpp
// instead: such pages read as zeros and shrunk() says where they begin.
#ifndef PKTPATH_CAPTURE_MAPPED_FILE_HPP
#define PKTPATH_CAPTURE_MAPPED_FILE_HPP

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <utility>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "detail/sigbus_guard.hpp"
#include "error.hpp"

namespace pktpath::capture {

class mapped_file {
public:
	mapped_file() = default;
	mapped_file(const mapped_file &) = delete;
	mapped_file &operator=(const mapped_file &) = delete;
	mapped_file(mapped_file &&o) noexcept
	    : data_(std::exchange(o.data_, nullptr)),
	      size_(std::exchange(o.size_, 0)),
	      released_(std::exchange(o.released_, 0)),
	      redo_from_(std::exchange(o.redo_from_, 0)),
	      guard_(std::exchange(o.guard_, -1))
	{
	}
	mapped_file &operator=(mapped_file &&o) noexcept
	{
		if (this != &o) {
			close();
			data_ = std::exchange(o.data_, nullptr);
			size_ = std::exchange(o.size_, 0);
			released_ = std::exchange(o.released_, 0);
			redo_from_ = std::exchange(o.redo_from_, 0);
			guard_ = std::exchange(o.guard_, -1);
		}
		return *this;
	}
	~mapped_file() { close(); }

	// Maps `path`; an empty file succeeds with size() 0 and data() null.
	// guard: survive the file shrinking under the mapping (see above).
	bool open(const char *path, error &err, bool guard = false)
	{
		close();
		const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return err.set(errc::io, 0, "open: %s", std::strerror(errno));
		struct stat st;
		if (::fstat(fd, &st) != 0) {
			const int e = errno;
			::close(fd);
			return err.set(errc::io, 0, "fstat: %s", std::strerror(e));
		}
		if (!S_ISREG(st.st_mode)) {
			::close(fd);
			return err.set(errc::io, 0, "not a regular file (cannot be mapped)");
		}
		if (st.st_size == 0) {
			::close(fd);
			return true;
		}
		const std::size_t n = static_cast<std::size_t>(st.st_size);
		void *p = ::mmap(nullptr, n, PROT_READ, MAP_PRIVATE, fd, 0);
		const int e = errno;
		::close(fd); // the mapping keeps its own reference to the file
		if (p == MAP_FAILED)
			return err.set(errc::io, 0, "mmap: %s", std::strerror(e));
		if (guard && (guard_ = detail::sigbus_guard::add(p, n)) < 0) {
			::munmap(p, n);
			return err.set(errc::io, 0, "cannot guard the mapping against truncation (%zu guarded at once)",
				       detail::sigbus_guard::max_ranges);
		}
		// Advice only: a failure changes speed, never results.
		::madvise(p, n, MADV_SEQUENTIAL);
		data_ = static_cast<const std::uint8_t *>(p);
		size_ = n;
		return true;
	}

	void close()
	{
		if (guard_ >= 0)
			detail::sigbus_guard::remove(guard_);
		guard_ = -1;
		if (data_)
			::munmap(const_cast<std::uint8_t *>(data_), size_);
		data_ = nullptr;
		size_ = 0;
		released_ = 0;
		redo_from_ = 0;
	}

	const std::uint8_t *data() const { return data_; }
	std::size_t size() const { return size_; }
	bool is_open() const { return data_ != nullptr; }
	// Guarded: the offset of the first page the file no longer had when it
	// was touched (it reads as zeros), or detail::sigbus_guard::no_fault.
	std::uint64_t shrunk() const
	{
		return guard_ >= 0 ? detail::sigbus_guard::first_fault(guard_) : detail::sigbus_guard::no_fault;
	}

	// Drops the resident pages lying wholly before `offset`.  The mapping is
	// private and never written, so a dropped page refaults from the page
	// cache with the same bytes: views handed out earlier stay valid, they
	// only cost a fault if touched again.  Such a refault can map a whole
	// large folio of the page cache (2 MiB on Linux 6.18), and nothing would
	// drop it again: so each call also drops again what the previous call
	// dropped, and frames still in use a window behind cannot pile up.
	void release_before(std::size_t offset)
	{
		if (!data_)
			return;
		if (offset > size_)
			offset = size_;
		const std::size_t end = offset & ~(page_size() - 1);
		if (end <= released_)
			return;
		::madvise(const_cast<std::uint8_t *>(data_) + redo_from_, end - redo_from_, MADV_DONTNEED);
		redo_from_ = released_;
		released_ = end;
	}

private:
	static std::size_t page_size()
	{
		static const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
		return page;
	}

	const std::uint8_t *data_ = nullptr;
	std::size_t size_ = 0;
	std::size_t released_ = 0;  // page-aligned: [0, released_) already dropped
	std::size_t redo_from_ = 0; // where the previous drop began
	int guard_ = -1;            // sigbus_guard slot, or -1
};

} // namespace pktpath::capture

#endif
