// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// One packet record as a capture reader hands it out: a view into the file's
// bytes (no copy) plus the record's metadata, timestamps already in ns.
#ifndef PKTPATH_CAPTURE_FRAME_HPP
#define PKTPATH_CAPTURE_FRAME_HPP

#include <cstdint>

namespace pktpath::capture {

enum class format : std::uint8_t { unknown, pcap, pcap_nsec, pcapng };

inline const char *to_string(format f)
{
	switch (f) {
	case format::unknown:
		return "unknown";
	case format::pcap:
		return "pcap";
	case format::pcap_nsec:
		return "pcap-nsec";
	case format::pcapng:
		return "pcapng";
	}
	return "?";
}

struct frame {
	const std::uint8_t *data = nullptr; // caplen bytes inside the file's mapping or buffer
	std::uint32_t caplen = 0;           // bytes captured (present at data)
	std::uint32_t origlen = 0;          // bytes on the wire
	std::uint64_t ts_ns = 0;            // since the epoch; 0 for pcapng Simple Packet Blocks
	std::uint32_t linktype = 0;         // LINKTYPE_* of the record's interface
	std::uint32_t interface_id = 0;     // pcapng: IDB number within the section; pcap: 0
	std::uint32_t section = 0;          // pcapng: 0-based Section Header Block count; pcap: 0
	std::uint64_t offset = 0;           // file offset of the record header / block
	std::uint64_t index = 0;            // 1-based among packet records
};

} // namespace pktpath::capture

#endif
