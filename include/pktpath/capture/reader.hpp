// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// One reader for pcap and pcapng: detects the format from the first bytes and
// walks a memory-mapped file (or a caller's buffer) without copying; each
// frame's data points into the mapping and stays valid until the reader is
// closed or destroyed, also after an error has ended the walk.
//
//   pktpath::capture::reader r;
//   if (!r.open("trace.pcapng")) { fprintf(stderr, "%s\n", r.err().message); return 1; }
//   pktpath::capture::frame f;
//   while (r.next(f))
//       use(f.data, f.caplen, f.linktype, f.ts_ns);
//   if (r.failed()) fprintf(stderr, "%s\n", r.err().message);
#ifndef PKTPATH_CAPTURE_READER_HPP
#define PKTPATH_CAPTURE_READER_HPP

#include <cstddef>
#include <cstdint>

#include "detail/walk.hpp"
#include "error.hpp"
#include "frame.hpp"
#include "mapped_file.hpp"
#include "pcap.hpp"
#include "pcapng.hpp"

namespace pktpath::capture {

struct reader_options {
	// Largest captured length accepted in a record; larger ones are treated
	// as corruption (libpcap's and Wireshark's usual maximum).
	std::uint32_t max_caplen = 262144;
	// Streaming: when non-zero, every time the cursor has moved this many
	// bytes, the pages of the mapping lying more than this many bytes behind
	// it are dropped from the resident set, so the frames handed out in the
	// last window stay mapped for a caller still using them (an older frame
	// refaults if touched again).  Mapped files only; a caller's buffer is
	// never advised.
	std::size_t release_behind = 0;
	// A file another process truncates while it is mapped raises SIGBUS on
	// the pages it lost, which kills the process.  Set, the reader installs
	// a SIGBUS handler for its mappings (detail/sigbus_guard.hpp): those
	// pages read as zeros, and the walk ends with errc::shrunk at the first
	// record after the cut.  Frames handed out before stay readable; bytes of
	// theirs past the cut read as zeros.  Unset, a user must make sure the
	// file does not shrink while it is open (copy it, or hold it unchanged).
	bool guard_truncation = false;
};

class reader {
public:
	reader() = default;
	explicit reader(const reader_options &opt) : opt_(opt) {}

	// Maps and opens `path`.  False with err() set when the file cannot be
	// mapped or its header is unusable.
	bool open(const char *path)
	{
		close();
		if (!file_.open(path, err_, opt_.guard_truncation))
			return false;
		return start(file_.data(), file_.size());
	}

	// Reads from [p, p + n), which must outlive the reader's frames.
	bool open_memory(const void *p, std::size_t n)
	{
		close();
		return start(static_cast<const std::uint8_t *>(p), n);
	}

	void close()
	{
		file_.close();
		walk_.clear();
		done_ = true;
		size_ = 0;
		release_mark_ = 0;
		err_.clear();
	}

	// The next packet record; false at the end or on error (see failed()).
	bool next(frame &f)
	{
		if (done_)
			return false;
		const bool ok = walk_.next(f, err_);
		// A record read from zeros, or an error they caused, is the shrink's.
		if (file_.shrunk() != detail::sigbus_guard::no_fault) {
			err_.clear();
			err_.set_at(errc::shrunk, ok ? f.offset : position(), "capture: record",
				    "the file shrank while it was read: its bytes from offset %llu on are gone",
				    static_cast<unsigned long long>(file_.shrunk()));
			done_ = true;
			return false;
		}
		if (!ok) {
			// End or error: either way the walk is over.
			done_ = true;
			return false;
		}
		if (opt_.release_behind && f.offset - release_mark_ >= opt_.release_behind) {
			file_.release_before(static_cast<std::size_t>(f.offset - opt_.release_behind));
			release_mark_ = f.offset;
		}
		return true;
	}

	bool failed() const { return err_.code != errc::none; }
	const error &err() const { return err_; }
	format fmt() const { return walk_.fmt(); }
	// Bytes of the file walked so far, and its total size.
	std::uint64_t position() const { return walk_.position(); }
	std::uint64_t size() const { return size_; }

	const pcap_walker &pcap() const { return walk_.pcap(); }
	const pcapng_walker &pcapng() const { return walk_.pcapng(); }

private:
	bool start(const std::uint8_t *p, std::size_t n)
	{
		size_ = n;
		done_ = !walk_.start(p, n, opt_.max_caplen, false, err_);
		return !done_;
	}

	reader_options opt_;
	mapped_file file_;
	detail::walk walk_;
	bool done_ = true; // end, error, or nothing opened
	std::size_t size_ = 0;
	std::uint64_t release_mark_ = 0;
	error err_;
};

} // namespace pktpath::capture

#endif
