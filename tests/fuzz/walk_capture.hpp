// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// The capture reader over any bytes (the pcap and pcapng targets differ in
// their seeds and dictionaries, not in what they check): it opens or refuses
// them with an error, every frame it hands out lies inside the input, an
// error is named with an offset inside the input, a walk that ended stays
// ended, and walking twice gives the same frames.
#ifndef PKTPATH_TESTS_FUZZ_WALK_CAPTURE_HPP
#define PKTPATH_TESTS_FUZZ_WALK_CAPTURE_HPP

#include <pktpath/capture/reader.hpp>

#include <vector>

#include "fuzz.hpp"

namespace pktpath_fuzz {

inline void walk_capture(const std::uint8_t *data, std::size_t size)
{
	const exact_copy file(data, size);
	const std::uint8_t *begin = file.data(), *end = file.data() + file.size();
	std::vector<pktpath::capture::frame> first;
	for (int pass = 0; pass < 2; pass++) {
		pktpath::capture::reader_options o;
		o.max_caplen = 65536;
		pktpath::capture::reader r(o);
		const bool opened = r.open_memory(begin, file.size());
		pktpath::capture::frame f;
		std::size_t i = 0;
		while (opened && r.next(f)) {
			PKTPATH_FUZZ_CHECK(f.data >= begin && f.data <= end &&
					   f.caplen <= static_cast<std::size_t>(end - f.data));
			PKTPATH_FUZZ_CHECK(f.caplen <= o.max_caplen);
			PKTPATH_FUZZ_CHECK(f.index == i + 1);
			if (pass == 0) {
				first.push_back(f);
			} else {
				PKTPATH_FUZZ_CHECK(i < first.size() && first[i].data == f.data &&
						   first[i].caplen == f.caplen && first[i].origlen == f.origlen &&
						   first[i].ts_ns == f.ts_ns && first[i].linktype == f.linktype);
			}
			i++;
		}
		PKTPATH_FUZZ_CHECK(i == first.size());
		PKTPATH_FUZZ_CHECK(!r.next(f)); // ended stays ended
		PKTPATH_FUZZ_CHECK(opened || r.failed());
		if (r.failed()) {
			PKTPATH_FUZZ_CHECK(r.err().code != pktpath::capture::errc::none);
			PKTPATH_FUZZ_CHECK(r.err().offset <= file.size());
			PKTPATH_FUZZ_CHECK(r.err().message[0] != '\0');
		}
	}
}

} // namespace pktpath_fuzz

#endif // PKTPATH_TESTS_FUZZ_WALK_CAPTURE_HPP
