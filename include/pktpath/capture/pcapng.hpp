// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// Walker over a pcapng file held in memory (draft-ietf-opsawg-pcapng).
//
// Packets come from Enhanced Packet Blocks, Simple Packet Blocks (interface
// 0, no timestamp) and the obsolete Packet Blocks.  Interface Description
// Blocks give each interface its link type, snap length and timestamp unit
// (if_tsresol, if_tsoffset).  Every Section Header Block starts a new section
// with its own byte order and interface numbering.  All other block types
// (name resolution, statistics, custom, decryption secrets, unknown) are
// skipped by their length.
//
// Block framing (length a multiple of 4, at least the type's minimum, inside
// the file, trailer equal to header) is checked before a block is used, and
// every field read lies inside its checked block, so corrupt input ends the
// walk with an error and never reads outside [data, data + size).
//
// Like pcap.hpp's walker it also walks a stream, window by window
// (detail/window.hpp): begun with `more`, a block that runs past the window
// makes begin() or next() return false with err untouched and wanted()
// bytes asked for; window() hands over the next window.
#ifndef PKTPATH_CAPTURE_PCAPNG_HPP
#define PKTPATH_CAPTURE_PCAPNG_HPP

#include <cstddef>
#include <cstdint>
#include <vector>

#include "detail/byte_order.hpp"
#include "error.hpp"
#include "frame.hpp"
#include "detail/prefetch.hpp"
#include "detail/window.hpp"

namespace pktpath::capture {

// Converts an interface's timestamp ticks to nanoseconds.
struct pcapng_ts_unit {
	enum class kind : std::uint8_t { multiply, divide, shift };
	kind how = kind::multiply;
	std::uint64_t factor = 1000; // multiply/divide: power of ten; shift: 2^-factor s per tick
	std::uint64_t offset_ns = 0; // if_tsoffset, wrapping (two's complement for negative)

	// if_tsresol: bit 7 clear = 10^-v seconds per tick, set = 2^-(v & 0x7f).
	// False when the unit is finer than a 64-bit tick count can use.
	bool set_resolution(std::uint8_t v)
	{
		const unsigned e = v & 0x7fu;
		if (v & 0x80u) {
			if (e > 63)
				return false;
			how = kind::shift;
			factor = e;
			return true;
		}
		if (e > 19)
			return false;
		std::uint64_t p = 1;
		for (unsigned i = 0; i < (e <= 9 ? 9 - e : e - 9); ++i)
			p *= 10;
		how = e <= 9 ? kind::multiply : kind::divide;
		factor = p;
		return true;
	}

	std::uint64_t to_ns(std::uint64_t ticks) const
	{
		std::uint64_t ns;
		switch (how) {
		case kind::multiply:
			ns = ticks * factor;
			break;
		case kind::divide:
			ns = ticks / factor;
			break;
		default: {
			__extension__ typedef unsigned __int128 u128;
			ns = static_cast<std::uint64_t>((static_cast<u128>(ticks) * 1000000000u) >> factor);
			break;
		}
		}
		return ns + offset_ns;
	}
};

struct pcapng_interface {
	std::uint32_t linktype = 0;
	std::uint32_t snaplen = 0; // 0 = no limit
	pcapng_ts_unit ts;
};

class pcapng_walker {
public:
	static constexpr std::uint32_t block_shb = 0x0a0d0d0au; // a palindrome: same in both orders
	static constexpr std::uint32_t block_idb = 1;
	static constexpr std::uint32_t block_pb = 2; // obsolete Packet Block
	static constexpr std::uint32_t block_spb = 3;
	static constexpr std::uint32_t block_epb = 6;
	static constexpr std::uint32_t byte_order_magic = 0x1a2b3c4du;

	static constexpr std::uint16_t opt_endofopt = 0;
	static constexpr std::uint16_t opt_if_tsresol = 9;
	static constexpr std::uint16_t opt_if_tsoffset = 14;

	static bool probe(const std::uint8_t *p, std::size_t n)
	{
		return n >= 4 && detail::byte_order{}.u32(p) == block_shb;
	}

	// Reads the first Section Header Block; packets follow with next().
	// max_caplen bounds a packet's captured length (sanity limit).
	// more: the data is a stream's first window (see the top).
	bool begin(const std::uint8_t *data, std::size_t size, std::uint32_t max_caplen, error &err, bool more = false)
	{
		w_.start(data, size, more);
		index_ = 0;
		sections_ = 0;
		max_caplen_ = max_caplen;
		ifaces_.clear();
		prefetch_.reset();
		if (w_.waits(4))
			return false;
		if (!probe(data, size))
			return err.set_at(errc::bad_magic, 0, where,
					  "the file does not start with a Section Header Block");
		return section_header(err);
	}

	// The next packet, or false at the end of the data (err untouched) or on
	// a corrupt block (err set; the walk stays ended).
	bool next(frame &f, error &err)
	{
		w_.wanted = 0;
		for (;;) {
			if (w_.waits(12))
				return false;
			const std::size_t left = w_.left();
			if (left == 0)
				return false;
			if (left < 12)
				return err.set_at(errc::truncated, w_.at(), where,
						  "header truncated, %zu of 12 bytes present", left);
			const std::uint8_t *b = w_.data + w_.pos;
			const std::uint32_t type = order_.u32(b);
			if (type == block_shb) {
				if (!section_header(err))
					return false;
				continue;
			}
			const std::uint32_t len = order_.u32(b + 4);
			bool packet = false;
			switch (type) {
			case block_idb:
				if (!framed(b, len, 20, err) || !interface_description(b, len, err))
					return false;
				break;
			case block_epb:
				if (!framed(b, len, 32, err) || !timed_packet(b, len, order_.u32(b + 8), f, err))
					return false;
				packet = true;
				break;
			case block_pb:
				if (!framed(b, len, 32, err) || !timed_packet(b, len, order_.u16(b + 8), f, err))
					return false;
				packet = true;
				break;
			case block_spb:
				if (!framed(b, len, 16, err) || !simple_packet(b, len, f, err))
					return false;
				packet = true;
				break;
			default:
				if (!framed(b, len, 12, err))
					return false;
				break;
			}
			w_.pos += len;
			if (packet) {
				prefetch_.advance(w_.data, w_.pos, w_.size);
				f.section = sections_ - 1;
				f.offset = w_.base + static_cast<std::uint64_t>(b - w_.data);
				f.index = ++index_;
				return true;
			}
		}
	}

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
	std::uint32_t sections() const { return sections_; }
	// Interfaces of the current section, in IDB order.
	const std::vector<pcapng_interface> &interfaces() const { return ifaces_; }

private:
	static constexpr const char *where = "pcapng: block";

	// Framing checks common to every block; `b` has at least 12 bytes.
	bool framed(const std::uint8_t *b, std::uint32_t len, std::uint32_t min_len, error &err)
	{
		if (len % 4)
			return err.set_at(errc::bad_block_length, w_.at(), where, "length %u is not a multiple of 4",
					  len);
		if (len < min_len)
			return err.set_at(errc::bad_block_length, w_.at(), where,
					  "length %u is below the minimum %u for block type 0x%08x", len, min_len,
					  order_.u32(b));
		if (len > w_.left() && w_.waits(len))
			return false;
		if (len > w_.left())
			return err.set_at(errc::truncated, w_.at(), where,
					  "length %u runs past the end of the file (%zu bytes left)", len, w_.left());
		const std::uint32_t trailer = order_.u32(b + len - 4);
		if (trailer != len)
			return err.set_at(errc::length_mismatch, w_.at(), where,
					  "trailing length %u differs from the leading length %u", trailer, len);
		return true;
	}

	// Calls fn(code, value, length) for each option in b[begin, end), which
	// framed() has put inside the block.  Stops at opt_endofopt.
	template <class Fn>
	bool options(const std::uint8_t *b, std::uint32_t begin, std::uint32_t end, error &err, Fn &&fn) const
	{
		std::uint32_t at = begin;
		while (end - at >= 4) {
			const std::uint16_t code = order_.u16(b + at);
			const std::uint16_t olen = order_.u16(b + at + 2);
			if (code == opt_endofopt)
				return true;
			const std::uint32_t padded = (static_cast<std::uint32_t>(olen) + 3u) & ~3u;
			if (padded > end - at - 4)
				return err.set_at(errc::bad_option, w_.at(), where,
						  "option %u at block offset %u: length %u runs past the block end",
						  code, at, olen);
			if (!fn(code, b + at + 4, olen))
				return err.set_at(errc::bad_option, w_.at(), where,
						  "option %u at block offset %u: unusable value", code, at);
			at += 4 + padded;
		}
		return true;
	}

	bool section_header(error &err)
	{
		if (w_.waits(12))
			return false;
		const std::size_t left = w_.left();
		if (left < 12)
			return err.set_at(errc::truncated, w_.at(), where,
					  "Section Header Block truncated, %zu bytes present", left);
		const std::uint8_t *b = w_.data + w_.pos;
		detail::byte_order order;
		const std::uint32_t magic = order.u32(b + 8);
		if (!detail::match_magic(magic, byte_order_magic, order))
			return err.set_at(errc::bad_magic, w_.at(), where, "byte-order magic 0x%08x is not 0x1a2b3c4d",
					  magic);
		order_ = order;
		const std::uint32_t len = order_.u32(b + 4);
		if (!framed(b, len, 28, err))
			return false;
		const std::uint16_t major = order_.u16(b + 12);
		const std::uint16_t minor = order_.u16(b + 14);
		// 1.2 was written by old tools with 1.0's layout; libpcap and
		// Wireshark accept it and refuse everything else.
		if (major != 1 || (minor != 0 && minor != 2))
			return err.set_at(errc::bad_version, w_.at(), where,
					  "Section Header Block version %u.%u is not 1.0 (nor 1.2)", major, minor);
		// No SHB option matters here, but a malformed one is an error.
		const auto any = [](std::uint16_t, const std::uint8_t *, std::uint16_t) { return true; };
		if (!options(b, 24, len - 4, err, any))
			return false;
		ifaces_.clear();
		++sections_;
		w_.pos += len;
		return true;
	}

	bool interface_description(const std::uint8_t *b, std::uint32_t len, error &err)
	{
		pcapng_interface ifc;
		ifc.linktype = order_.u16(b + 8);
		ifc.snaplen = order_.u32(b + 12);
		const auto option = [&](std::uint16_t code, const std::uint8_t *v, std::uint16_t n) {
			if (code == opt_if_tsresol && n >= 1)
				return ifc.ts.set_resolution(v[0]);
			if (code == opt_if_tsoffset && n >= 8)
				ifc.ts.offset_ns = order_.u64(v) * 1000000000u;
			return true;
		};
		if (!options(b, 16, len - 4, err, option))
			return false;
		ifaces_.push_back(ifc);
		return true;
	}

	const pcapng_interface *interface(std::uint32_t id, error &err) const
	{
		if (id < ifaces_.size())
			return &ifaces_[id];
		err.set_at(errc::unknown_interface, w_.at(), where,
			   "packet on interface %u, but section %u describes %zu interface(s)", id, sections_ - 1,
			   ifaces_.size());
		return nullptr;
	}

	bool checked_caplen(std::uint32_t caplen, std::uint32_t room, error &err) const
	{
		if (caplen > room)
			return err.set_at(errc::bad_caplen, w_.at(), where,
					  "captured length %u exceeds the block's %u data bytes", caplen, room);
		if (caplen > max_caplen_)
			return err.set_at(errc::bad_caplen, w_.at(), where, "captured length %u exceeds the limit %u",
					  caplen, max_caplen_);
		return true;
	}

	// Enhanced Packet Block and obsolete Packet Block: same layout from
	// offset 12 (timestamp high, low, captured, original length, data).
	bool timed_packet(const std::uint8_t *b, std::uint32_t len, std::uint32_t id, frame &f, error &err)
	{
		const pcapng_interface *ifc = interface(id, err);
		if (!ifc)
			return false;
		const std::uint32_t caplen = order_.u32(b + 20);
		if (!checked_caplen(caplen, len - 32, err))
			return false;
		const std::uint64_t ticks = static_cast<std::uint64_t>(order_.u32(b + 12)) << 32 | order_.u32(b + 16);
		f.data = b + 28;
		f.caplen = caplen;
		f.origlen = order_.u32(b + 24);
		f.ts_ns = ifc->ts.to_ns(ticks);
		f.linktype = ifc->linktype;
		f.interface_id = id;
		return true;
	}

	// Simple Packet Block: interface 0; the captured length is implied, the
	// original length cut to the snap length and to the block's data.
	bool simple_packet(const std::uint8_t *b, std::uint32_t len, frame &f, error &err)
	{
		const pcapng_interface *ifc = interface(0, err);
		if (!ifc)
			return false;
		const std::uint32_t origlen = order_.u32(b + 8);
		std::uint32_t caplen = origlen;
		if (ifc->snaplen != 0 && caplen > ifc->snaplen)
			caplen = ifc->snaplen;
		if (caplen > len - 16)
			caplen = len - 16;
		if (!checked_caplen(caplen, len - 16, err))
			return false;
		f.data = b + 12;
		f.caplen = caplen;
		f.origlen = origlen;
		f.ts_ns = 0;
		f.linktype = ifc->linktype;
		f.interface_id = 0;
		return true;
	}

	detail::window w_;
	std::uint64_t index_ = 0;
	std::uint32_t sections_ = 0;
	std::uint32_t max_caplen_ = 0;
	detail::byte_order order_;
	std::vector<pcapng_interface> ifaces_;
	detail::stream_prefetch prefetch_;
};

} // namespace pktpath::capture

#endif
