// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// The bytes a capture walker sees: the whole file (mapped reader), or one
// window of a stream after another (stream_reader.hpp).  Offsets the walker
// reports are the stream's: `base` is the offset of data[0].  With `more`,
// a structure that runs past the end is a wait for the next window, not a
// truncation: the walker returns false with `wanted` bytes asked for.
#ifndef PKTPATH_CAPTURE_DETAIL_WINDOW_HPP
#define PKTPATH_CAPTURE_DETAIL_WINDOW_HPP

#include <cstddef>
#include <cstdint>

namespace pktpath::capture::detail {

struct window {
	const std::uint8_t *data = nullptr;
	std::size_t size = 0;
	std::size_t pos = 0;    // the walk's cursor in data
	std::uint64_t base = 0; // stream offset of data[0]
	bool more = false;      // the stream may hold bytes after data[size - 1]
	std::size_t wanted = 0; // bytes from the cursor the last step waited for

	void start(const std::uint8_t *d, std::size_t n, bool m)
	{
		*this = window{};
		data = d;
		size = n;
		more = m;
	}
	// The next window, which holds the stream's bytes from at() on.
	void move(const std::uint8_t *d, std::size_t n, bool m)
	{
		base += pos;
		data = d;
		size = n;
		pos = 0;
		more = m;
	}
	std::size_t left() const { return size - pos; }
	std::uint64_t at() const { return base + pos; }
	// Whether fewer than n bytes are left but more may come: then wait for n.
	bool waits(std::size_t n)
	{
		if (!more || left() >= n)
			return false;
		wanted = n;
		return true;
	}
};

} // namespace pktpath::capture::detail

#endif
