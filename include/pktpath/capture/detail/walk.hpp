// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// A walk over a capture of either format, detected from its first bytes:
// what the mapped reader (reader.hpp) and the stream reader
// (stream_reader.hpp) share.  The bytes are the whole file, or a stream's
// windows (window.hpp): with `more`, start() and next() may return false
// with err untouched and wanted() bytes asked for.
#ifndef PKTPATH_CAPTURE_DETAIL_WALK_HPP
#define PKTPATH_CAPTURE_DETAIL_WALK_HPP

#include <cstddef>
#include <cstdint>

#include "../error.hpp"
#include "../frame.hpp"
#include "../pcap.hpp"
#include "../pcapng.hpp"

namespace pktpath::capture::detail {

class walk {
public:
	bool start(const std::uint8_t *p, std::size_t n, std::uint32_t max_caplen, bool more, error &err)
	{
		fmt_ = format::unknown;
		wanted_ = 0;
		if (n < 4 && more) {
			wanted_ = 4;
			return false;
		}
		if (pcapng_walker::probe(p, n)) {
			fmt_ = format::pcapng;
			return ng_.begin(p, n, max_caplen, err, more);
		}
		if (pcap_walker::probe(p, n)) {
			const bool ok = pcap_.begin(p, n, max_caplen, err, more);
			fmt_ = pcap_.header().nsec ? format::pcap_nsec : format::pcap;
			return ok;
		}
		if (n < 4)
			return err.set_at(errc::truncated, 0, "capture: file header",
					  "file is %zu bytes, too short for a magic number", n);
		return err.set_at(errc::bad_magic, 0, "capture: file header",
				  "bytes %02x %02x %02x %02x are neither a pcap nor a pcapng magic", p[0], p[1], p[2],
				  p[3]);
	}

	bool next(frame &f, error &err) { return fmt_ == format::pcapng ? ng_.next(f, err) : pcap_.next(f, err); }

	// The next window of a stream, from position() on.
	void window(const std::uint8_t *p, std::size_t n, bool more)
	{
		if (fmt_ == format::pcapng)
			ng_.window(p, n, more);
		else
			pcap_.window(p, n, more);
	}

	std::size_t wanted() const
	{
		return fmt_ == format::unknown ? wanted_ : fmt_ == format::pcapng ? ng_.wanted() : pcap_.wanted();
	}
	std::uint64_t position() const
	{
		return fmt_ == format::pcapng ? ng_.position() : fmt_ == format::unknown ? 0 : pcap_.position();
	}
	format fmt() const { return fmt_; }
	void clear() { fmt_ = format::unknown; }

	const pcap_walker &pcap() const { return pcap_; }
	const pcapng_walker &pcapng() const { return ng_; }

private:
	format fmt_ = format::unknown; // detected, kept after the walk ended
	std::size_t wanted_ = 0;       // before detection: bytes the magic needs
	pcap_walker pcap_;
	pcapng_walker ng_;
};

} // namespace pktpath::capture::detail

#endif
