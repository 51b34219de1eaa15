// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// A capture named on a command line, read the way it can be: a regular
// file is mapped (reader.hpp, frames valid until close), "-" (standard
// input) and anything else, a pipe, a FIFO, /dev/stdin, a socket, is
// streamed (stream_reader.hpp, frames valid within stream_options::keep).
//
//   pktpath::capture::input in;
//   if (!in.open(argc > 1 ? argv[1] : "-")) ...in.err().message...
//   while (in.next(f)) ...
#ifndef PKTPATH_CAPTURE_INPUT_HPP
#define PKTPATH_CAPTURE_INPUT_HPP

#include <cstdint>
#include <cstring>

#include <sys/stat.h>

#include "error.hpp"
#include "frame.hpp"
#include "reader.hpp"
#include "stream_reader.hpp"

namespace pktpath::capture {

class input {
public:
	input() = default;
	explicit input(const reader_options &ro, const stream_options &so = {}) : file_(ro), stream_(ro, so) {}

	bool open(const char *path)
	{
		close();
		struct stat st;
		streamed_ = std::strcmp(path, "-") == 0 || (::stat(path, &st) == 0 && !S_ISREG(st.st_mode));
		return streamed_ ? stream_.open(path) : file_.open(path);
	}

	void close()
	{
		file_.close();
		stream_.close();
		streamed_ = false;
	}

	bool next(frame &f) { return streamed_ ? stream_.next(f) : file_.next(f); }
	bool failed() const { return err().code != errc::none; }
	const error &err() const { return streamed_ ? stream_.err() : file_.err(); }
	format fmt() const { return streamed_ ? stream_.fmt() : file_.fmt(); }
	// Bytes walked so far; the file's size, or the bytes read from the stream so far.
	std::uint64_t position() const { return streamed_ ? stream_.position() : file_.position(); }
	std::uint64_t size() const { return streamed_ ? stream_.size() : file_.size(); }
	bool streamed() const { return streamed_; }

private:
	reader file_;
	stream_reader stream_;
	bool streamed_ = false;
};

} // namespace pktpath::capture

#endif
