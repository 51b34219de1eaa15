// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// Receive packet steering: a flow hash picks one of a set of backlogs (one
// per CPU), so every frame of a flow lands on the same CPU, in order.  The
// choice is get_rps_cpu()'s: reciprocal_scale(hash, n), with hash 0 meaning
// "no hash", which stays on the local CPU.
#ifndef PKTPATH_POLL_RPS_HPP
#define PKTPATH_POLL_RPS_HPP

#include <cstdint>

namespace pktpath {

// Maps a 32-bit hash onto [0, n) with a multiply instead of a division.
constexpr std::uint32_t reciprocal_scale(std::uint32_t hash, std::uint32_t n)
{
	return static_cast<std::uint32_t>((std::uint64_t{hash} * n) >> 32);
}

// Backlog: anything with `bool enqueue(const T &)` (e.g. pktpath::backlog).
template <class Backlog>
class rps_map {
public:
	// cpus: n backlogs, owned by the caller; local: where hash 0 goes.
	rps_map(Backlog *const *cpus, std::uint32_t n, std::uint32_t local = 0) : cpus_(cpus), n_(n), local_(local) {}

	std::uint32_t select(std::uint32_t hash) const { return hash != 0 ? reciprocal_scale(hash, n_) : local_; }

	// enqueue_to_backlog on the chosen CPU; false when that backlog dropped.
	template <class T>
	bool enqueue(std::uint32_t hash, const T &frame) const
	{
		return cpus_[select(hash)]->enqueue(frame);
	}

private:
	Backlog *const *cpus_;
	std::uint32_t n_;
	std::uint32_t local_;
};

} // namespace pktpath

#endif // PKTPATH_POLL_RPS_HPP
