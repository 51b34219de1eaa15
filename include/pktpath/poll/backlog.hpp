// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// A per-CPU backlog, as the kernel's softnet_data input_pkt_queue and its
// backlog NAPI (process_backlog): any thread enqueues (netif_rx, RPS), the
// poll group delivers.  Drops follow enqueue_to_backlog() exactly: a frame is
// accepted while the input queue holds at most max_backlog frames
// (`qlen <= netdev_max_backlog`, so up to max_backlog + 1 wait) and every
// refusal is counted in dropped(), which is the softnet_stat `dropped`
// column of the group the backlog is added to.  Frames the poller has
// already taken over (process_queue) do not count against the limit.
// Not modelled: flow limit (off unless configured), the RFS queue counters.
// S (detail/cell.hpp): sync::multi lets any thread enqueue; under sync::single the
// enqueuers run on the poller's thread.
#ifndef PKTPATH_POLL_BACKLOG_HPP
#define PKTPATH_POLL_BACKLOG_HPP

#include <atomic>
#include <cassert>
#include <cstdint>
#include <utility>

#include "../ring/backoff.hpp"
#include "../ring/ring.hpp"
#include "detail/cell.hpp"
#include "napi.hpp"

namespace pktpath {

// deliver: called as deliver(T &) for each frame, on the polling thread.
template <class T, class Deliver, sync S = sync::multi>
class backlog {
public:
	static constexpr std::uint32_t default_max_backlog = 1000; // net.core.netdev_max_backlog
	static constexpr int default_weight = 64;                  // net.core.dev_weight

	// Allocates once: room for the input queue (max_backlog + 1) and the
	// frames taken over but not yet delivered (as many again).
	explicit backlog(Deliver deliver, std::uint32_t max_backlog = default_max_backlog, int weight = default_weight)
	    : ring_(ring_header::round_up_capacity(2 * (max_backlog + 1))),
	      max_(max_backlog),
	      deliver_(std::move(deliver)),
	      napi_(&backlog::poll_thunk, nullptr, this, weight)
	{
	}
	backlog(const backlog &) = delete;
	backlog &operator=(const backlog &) = delete;

	bool valid() const { return ring_.valid(); }

	// enqueue_to_backlog: any thread.  False (and dropped() + 1) when the
	// input queue already holds more than max_backlog frames.
	bool enqueue(const T &frame)
	{
		// The decision and the count are one atomic step, as they are
		// under the kernel's rps lock: concurrent producers cannot both take
		// the last place.  Relaxed: the frame itself travels through the
		// ring (release/acquire there); this only counts.
		std::uint32_t qlen = input_.load(std::memory_order_relaxed);
		do {
			if (qlen > max_) {
				napi_.count_dropped(1);
				return false;
			}
		} while (!input_.compare_exchange_weak(qlen, qlen + 1, std::memory_order_relaxed));
		bool queued = ring_.enqueue(frame);
		assert(queued && "the ring holds both queues at their limits");
		(void)queued;
		// The first frame schedules the backlog NAPI.  If the poller is
		// just finishing, the MISSED bit makes it poll once more.
		if (qlen == 0)
			napi_.schedule();
		return true;
	}

	// Add this to the poll group of the backlog's CPU.
	basic_napi<S> &as_napi() { return napi_; }

	std::uint32_t qlen() const { return input_.load(std::memory_order_relaxed); } // a snapshot
	std::uint32_t max_backlog() const { return max_; }
	std::uint64_t dropped() const { return napi_.stats().dropped; }

private:
	static int poll_thunk(void *self, int quota) { return static_cast<backlog *>(self)->process(quota); }

	// process_backlog: deliver what was taken over, then take over the
	// input queue, until the quota is used or the input queue is empty.
	int process(int quota)
	{
		int work = 0;
		for (;;) {
			while (taken_ != 0) {
				T frame;
				backoff wait;
				// Counted in input_ by enqueue() just before its ring
				// enqueue: it may still be on its way.
				while (!ring_.dequeue(frame))
					wait.pause();
				--taken_;
				deliver_(frame);
				if (++work >= quota)
					return work;
			}
			// An exchange, not a load: it reads the latest count, so a
			// frame counted after it saw qlen == 0 and scheduled us.
			taken_ = input_.exchange(0, std::memory_order_relaxed);
			if (taken_ == 0)
				return work;
		}
	}

	ring<T, S, sync::single> ring_;
	detail::cell<std::uint32_t, S> input_{0}; // input_pkt_queue length
	std::uint32_t taken_ = 0;                 // process_queue length (poller only)
	const std::uint32_t max_;
	Deliver deliver_;
	basic_napi<S> napi_;
};

} // namespace pktpath

#endif // PKTPATH_POLL_BACKLOG_HPP
