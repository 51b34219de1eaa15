// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// The pcapng reader on any bytes: walk_capture.hpp says what must hold.
#include "walk_capture.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
	pktpath_fuzz::walk_capture(data, size);
	return 0;
}
