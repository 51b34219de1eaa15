// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// Why a capture file could not be read: a code to branch on, the byte offset
// of the offending header, record or block, and a message for people.  The
// message lives in a fixed buffer so that reporting an error never allocates.
#ifndef PKTPATH_CAPTURE_ERROR_HPP
#define PKTPATH_CAPTURE_ERROR_HPP

#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <cstdio>

namespace pktpath::capture {

enum class errc : std::uint8_t {
	none = 0,
	io,                // open, stat, mmap or write failed (the message has strerror)
	bad_magic,         // neither pcap nor pcapng, or a bad SHB byte-order magic
	bad_version,       // pcap major != 2; pcapng other than 1.0 or 1.2
	bad_linktype,      // pcap link type field with reserved bits 16..25 set
	truncated,         // a header, record or block runs past the end of the data
	bad_block_length,  // pcapng length not a multiple of 4 or below the type's minimum
	length_mismatch,   // pcapng trailing length differs from the leading one
	bad_option,        // an option runs past its block, or holds an unusable value
	bad_caplen,        // captured length above the limit or beyond the block's data
	unknown_interface, // a packet block names an interface its section did not describe
	shrunk,            // the file shrank while it was mapped (reader_options::guard_truncation)
};

inline const char *to_string(errc c)
{
	switch (c) {
	case errc::none:
		return "none";
	case errc::io:
		return "io";
	case errc::bad_magic:
		return "bad_magic";
	case errc::bad_version:
		return "bad_version";
	case errc::bad_linktype:
		return "bad_linktype";
	case errc::truncated:
		return "truncated";
	case errc::bad_block_length:
		return "bad_block_length";
	case errc::length_mismatch:
		return "length_mismatch";
	case errc::bad_option:
		return "bad_option";
	case errc::bad_caplen:
		return "bad_caplen";
	case errc::unknown_interface:
		return "unknown_interface";
	case errc::shrunk:
		return "shrunk";
	}
	return "?";
}

struct error {
	errc code = errc::none;
	std::uint64_t offset = 0; // file offset of the header, record or block at fault
	char message[192] = {};

	explicit operator bool() const { return code != errc::none; }

	void clear()
	{
		code = errc::none;
		offset = 0;
		message[0] = '\0';
	}

	// Plain printf-style message.  Returns false so that a failing parser can
	// `return err.set(...)`.
	__attribute__((format(printf, 4, 5))) bool set(errc c, std::uint64_t off, const char *fmt, ...)
	{
		code = c;
		offset = off;
		std::va_list ap;
		va_start(ap, fmt);
		std::vsnprintf(message, sizeof message, fmt, ap);
		va_end(ap);
		return false;
	}

	// Message "<where> at offset <off>: <printf(fmt, ...)>", where names the
	// structure at fault ("pcapng: block").  Returns false like set().
	__attribute__((format(printf, 5, 6))) bool set_at(errc c, std::uint64_t off, const char *where, const char *fmt,
							  ...)
	{
		code = c;
		offset = off;
		int n = std::snprintf(message, sizeof message, "%s at offset %llu: ", where,
				      static_cast<unsigned long long>(off));
		if (n < 0)
			n = 0;
		if (static_cast<std::size_t>(n) < sizeof message) {
			std::va_list ap;
			va_start(ap, fmt);
			std::vsnprintf(message + n, sizeof message - static_cast<std::size_t>(n), fmt, ap);
			va_end(ap);
		}
		return false;
	}
};

} // namespace pktpath::capture

#endif
