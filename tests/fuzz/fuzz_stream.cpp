// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// The stream reader on any bytes, written into a pipe in chunks whose sizes
// the input itself chooses: it must hand out exactly the mapped reader's
// frames (metadata and bytes) and end with exactly its error (code, offset,
// message), whatever the chunks.
#include <pktpath/capture/reader.hpp>
#include <pktpath/capture/stream_reader.hpp>

#include <csignal>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include "fuzz.hpp"

namespace {

struct copied {
	pktpath::capture::frame f;
	std::vector<std::uint8_t> bytes;
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
	static const bool ignored = std::signal(SIGPIPE, SIG_IGN) != SIG_ERR; // a reader that stops early
	(void)ignored;
	pktpath::capture::reader_options o;
	o.max_caplen = 65536;
	pktpath::capture::reader m(o);
	std::vector<copied> want;
	pktpath::capture::frame f;
	if (m.open_memory(data, size))
		while (m.next(f))
			want.push_back(copied{f, std::vector<std::uint8_t>(f.data, f.data + f.caplen)});

	int p[2];
	PKTPATH_FUZZ_CHECK(::pipe(p) == 0);
	std::thread writer([&] {
		// Chunk sizes from the input's own bytes: 1 to 256, or a large one.
		std::uint32_t state = 2166136261u ^ static_cast<std::uint32_t>(size);
		for (std::size_t at = 0; at < size;) {
			state = (state ^ data[at % size]) * 16777619u;
			std::size_t n = (state & 7) == 0 ? 4096 : 1 + (state >> 8) % 256;
			n = n < size - at ? n : size - at;
			const ssize_t w = ::write(p[1], data + at, n);
			if (w <= 0)
				break;
			at += static_cast<std::size_t>(w);
		}
		::close(p[1]);
	});
	pktpath::capture::stream_reader s(o);
	std::size_t i = 0;
	if (s.open_fd(p[0], true))
		while (s.next(f)) {
			PKTPATH_FUZZ_CHECK(i < want.size());
			const copied &w = want[i++];
			PKTPATH_FUZZ_CHECK(f.caplen == w.f.caplen && f.origlen == w.f.origlen && f.ts_ns == w.f.ts_ns &&
					   f.linktype == w.f.linktype && f.offset == w.f.offset &&
					   f.index == w.f.index && f.section == w.f.section &&
					   f.interface_id == w.f.interface_id);
			PKTPATH_FUZZ_CHECK(f.caplen == 0 || std::memcmp(f.data, w.bytes.data(), f.caplen) == 0);
		}
	// close() forgets the error: keep it first.
	const auto code = s.err().code;
	const auto offset = s.err().offset;
	const std::string message = s.err().message;
	s.close(); // the writer sees EPIPE if the walk ended early
	writer.join();
	PKTPATH_FUZZ_CHECK(i == want.size());
	// A block above stream_options::max_block ends a stream where the mapped
	// reader, which sees the whole file, may find another fault in that block
	// (docs/capture.md): the same offset, an error on both sides.
	if (code == pktpath::capture::errc::bad_block_length &&
	    message.find("above the stream reader's limit") != std::string::npos) {
		PKTPATH_FUZZ_CHECK(m.err().code != pktpath::capture::errc::none && offset == m.err().offset);
		return 0;
	}
	PKTPATH_FUZZ_CHECK(code == m.err().code && offset == m.err().offset);
	PKTPATH_FUZZ_CHECK(message == m.err().message);
	return 0;
}
