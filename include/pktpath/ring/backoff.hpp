// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// Spin-wait helper for the short waits of lock-free code: a multi-producer
// ring waiting for an earlier producer to publish, a poller waiting for a
// claimed element.  Pauses first (cheap, keeps the core's pipeline calm), then
// yields, because on an oversubscribed machine the thread we wait for may be
// preempted and only runs again if we give up the CPU.
#ifndef PKTPATH_RING_BACKOFF_HPP
#define PKTPATH_RING_BACKOFF_HPP

#include <cstdint>
#include <thread>

#include "../config.h"

namespace pktpath {

// One iteration of a busy-wait loop: config.h's pktpath_cpu_relax(), the C
// kernel code and the table's inserts wait with too.
inline void cpu_relax()
{
	pktpath_cpu_relax();
}

class backoff {
public:
	// Spins this many times before each wait starts yielding.
	static constexpr unsigned spin_limit = 64;

	void pause()
	{
		pause_after(spins_);
		spins_ += spins_ < spin_limit;
	}

	// The wait of a loop that has paused `spins` times already (the ring
	// core's pause hook, ring/ring.h).
	static void pause_after(std::uint32_t spins)
	{
		if (spins < spin_limit)
			cpu_relax();
		else
			std::this_thread::yield();
	}

private:
	unsigned spins_ = 0;
};

} // namespace pktpath

#endif // PKTPATH_RING_BACKOFF_HPP
