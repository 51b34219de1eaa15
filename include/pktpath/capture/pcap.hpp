// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// Walker over a classic pcap file held in memory (libpcap's savefile format):
// a 24-byte file header, then 16-byte record headers each followed by its
// captured bytes.  Both byte orders, micro- and nanosecond magic.
//
// Every length is checked against the bytes that remain before it is used,
// so a corrupt or truncated file ends the walk with an error, never with a
// read outside [data, data + size).
//
// The bytes may also be one window of a stream after another
// (stream_reader.hpp, detail/window.hpp): begun with `more`, a header or
// record that runs past the window is not an error but a wait: begin() or
// next() returns false with err untouched and wanted() bytes asked for, and
// window() hands over the next window, which starts at position().
#ifndef PKTPATH_CAPTURE_PCAP_HPP
#define PKTPATH_CAPTURE_PCAP_HPP

#include <cstddef>
#include <cstdint>

#include "detail/byte_order.hpp"
#include "error.hpp"
#include "frame.hpp"
#include "detail/prefetch.hpp"
#include "detail/window.hpp"

namespace pktpath::capture {

struct pcap_file_header {
	std::uint16_t version_major = 0;
	std::uint16_t version_minor = 0;
	std::uint32_t snaplen = 0;
	std::uint32_t linktype = 0;     // low 16 bits of the link type field
	std::uint32_t linktype_ext = 0; // upper bits: FCS length (28..31) and its flag (26)
	bool nsec = false;
	bool swapped = false; // written on a host of the other byte order
};

class pcap_walker {
public:
	static constexpr std::size_t file_header_len = 24;
	static constexpr std::size_t record_header_len = 16;
	static constexpr std::uint32_t magic_usec = 0xa1b2c3d4u;
	static constexpr std::uint32_t magic_nsec = 0xa1b23c4du;
	// libpcap's LT_RESERVED1: bits that must be zero in the link type field.
	static constexpr std::uint32_t linktype_reserved = 0x03ff0000u;

	// True when the first bytes are a pcap magic in either byte order.
	static bool probe(const std::uint8_t *p, std::size_t n)
	{
		if (n < 4)
			return false;
		detail::byte_order o;
		const std::uint32_t raw = o.u32(p);
		return detail::match_magic(raw, magic_usec, o) || detail::match_magic(raw, magic_nsec, o);
	}

	// Parses the file header; records follow with next().  max_caplen bounds
	// a record's captured length (a sanity limit, like libpcap's and
	// Wireshark's 262144).
	// more: the data is a stream's first window (see the top).
	bool begin(const std::uint8_t *data, std::size_t size, std::uint32_t max_caplen, error &err, bool more = false)
	{
		w_.start(data, size, more);
		index_ = 0;
		max_caplen_ = max_caplen;
		hdr_ = pcap_file_header{};
		prefetch_.reset();
		static constexpr const char *where = "pcap: file header";
		if (w_.waits(file_header_len))
			return false;
		if (size < 4)
			return err.set_at(errc::truncated, 0, where, "file is %zu bytes, too short for a magic number",
					  size);
		const std::uint32_t raw = order_.u32(data);
		if (detail::match_magic(raw, magic_nsec, order_))
			hdr_.nsec = true;
		else if (!detail::match_magic(raw, magic_usec, order_))
			return err.set_at(errc::bad_magic, 0, where, "magic 0x%08x is not a pcap magic", raw);
		hdr_.swapped = order_.swap;
		if (size < file_header_len)
			return err.set_at(errc::truncated, 0, where, "file is %zu bytes, the header needs %zu", size,
					  file_header_len);
		hdr_.version_major = order_.u16(data + 4);
		hdr_.version_minor = order_.u16(data + 6);
		// Major 2 only, any minor: Wireshark reads 2.5 (libpcap refuses minors
		// above 4, a check of no use to a reader that knows one record layout).
		if (hdr_.version_major != 2)
			return err.set_at(errc::bad_version, 0, where, "version %u.%u, the major version must be 2",
					  hdr_.version_major, hdr_.version_minor);
		hdr_.snaplen = order_.u32(data + 16);
		const std::uint32_t lt = order_.u32(data + 20);
		if (lt & linktype_reserved)
			return err.set_at(errc::bad_linktype, 0, where,
					  "link type field 0x%08x has reserved bits 0x%08x set", lt,
					  lt & linktype_reserved);
		hdr_.linktype = lt & 0xffffu;
		hdr_.linktype_ext = lt & 0xffff0000u;
		w_.pos = file_header_len;
		return true;
	}

	// The next record, or false at the end of the data (err untouched) or on
	// a corrupt record (err set; the walk stays ended).
	bool next(frame &f, error &err)
	{
		static constexpr const char *where = "pcap: record";
		w_.wanted = 0;
		if (w_.waits(record_header_len))
			return false;
		const std::size_t left = w_.left();
		if (left == 0)
			return false;
		if (left < record_header_len)
			return err.set_at(errc::truncated, w_.at(), where, "header truncated, %zu of %zu bytes present",
					  left, record_header_len);
		const std::uint8_t *h = w_.data + w_.pos;
		const std::uint32_t caplen = order_.u32(h + 8);
		if (caplen > max_caplen_)
			return err.set_at(errc::bad_caplen, w_.at(), where, "captured length %u exceeds the limit %u",
					  caplen, max_caplen_);
		if (caplen > left - record_header_len && w_.waits(record_header_len + caplen))
			return false;
		if (caplen > left - record_header_len)
			return err.set_at(errc::truncated, w_.at(), where,
					  "captured length %u runs past the end of the file (%zu bytes left)", caplen,
					  left - record_header_len);
		const std::uint64_t sec = order_.u32(h);
		const std::uint64_t frac = order_.u32(h + 4);
		f.data = h + record_header_len;
		f.caplen = caplen;
		f.origlen = order_.u32(h + 12);
		f.ts_ns = sec * 1000000000u + (hdr_.nsec ? frac : frac * 1000u);
		f.linktype = hdr_.linktype;
		f.interface_id = 0;
		f.section = 0;
		f.offset = w_.at();
		f.index = ++index_;
		w_.pos += record_header_len + caplen;
		prefetch_.advance(w_.data, w_.pos, w_.size);
		return true;
	}

	const pcap_file_header &header() const { return hdr_; }
	std::uint64_t position() const { return w_.at(); }
	// Streaming: the next window, holding the stream's bytes from
	// position() on; more: the stream may hold bytes after them.
	void window(const std::uint8_t *data, std::size_t size, bool more)
	{
		w_.move(data, size, more);
		prefetch_.reset();
	}
	// What the last begin() or next() waited for: bytes from position()
	// on; 0 when it returned a frame, ended or failed.
	std::size_t wanted() const { return w_.wanted; }

private:
	detail::window w_;
	std::uint64_t index_ = 0;
	std::uint32_t max_caplen_ = 0;
	detail::byte_order order_;
	pcap_file_header hdr_;
	detail::stream_prefetch prefetch_;
};

} // namespace pktpath::capture

#endif
