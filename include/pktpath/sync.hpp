// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// How many threads may use one side of a shared structure at once: the
// synchronisation policy the rings take per side and the poll pieces take
// as a whole.  Its own header so every layer names it without including
// another layer.
#ifndef PKTPATH_SYNC_HPP
#define PKTPATH_SYNC_HPP

#include <cstdint>

namespace pktpath {

// single: one thread (no atomic read-modify-write on the hot path; the poll
// pieces drop their atomics altogether); multi: any number, claiming slots
// or state with compare-and-swap, as DPDK's MP/MC rings do.  The values are
// stored in ring images shared between processes: never renumber them.
enum class sync : std::uint8_t { single = 1, multi = 2 };

} // namespace pktpath

#endif // PKTPATH_SYNC_HPP
