// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// A pollable queue, as the kernel's struct napi_struct: a weight, a poll
// callback `int poll(budget)` returning the work done (0..budget), and an
// "interrupt re-arm" callback the poll group calls when the queue completes.
// schedule() (napi_schedule) may be called from any thread; the SCHED and
// MISSED state bits follow napi_schedule_prep()/napi_complete_done(): a
// schedule() that arrives while the queue is already scheduled or being
// polled is not lost, the queue is polled once more before it completes.
//
// Re-arm contract (as with a real NIC): after re-enabling its "interrupt",
// the owner must look at its queue once more and schedule() if work arrived
// while the interrupt was off, or that work waits for the next interrupt.
//
// S (detail/cell.hpp): sync::multi, the default, lets any thread schedule();
// sync::single is for a user that does everything on the poller's thread.
#ifndef PKTPATH_POLL_NAPI_HPP
#define PKTPATH_POLL_NAPI_HPP

#include <atomic>
#include <cstdint>
#include <type_traits>

#include "detail/cell.hpp"
#include "detail/inbox.hpp"

namespace pktpath {

template <class Clock, sync S>
class poll_group;

// Per-queue counters (a snapshot).
struct napi_stats {
	std::uint64_t polls;     // poll() calls
	std::uint64_t processed; // work the polls returned
	std::uint64_t repolls;   // polls that used the whole weight: the queue stayed scheduled
	std::uint64_t rearms;    // polls that did less: the queue completed and was re-armed
	std::uint64_t missed;    // ... or found a schedule() that arrived meanwhile, and was polled again
	std::uint64_t dropped;   // what the queue's owner reported with count_dropped()
};

template <sync S = sync::multi>
class basic_napi : private detail::inbox_node {
public:
	static constexpr int default_weight = 64; // NAPI_POLL_WEIGHT
	using poll_fn = int (*)(void *ctx, int budget);
	using rearm_fn = void (*)(void *ctx);

	// rearm may be null (a queue without an interrupt, like the backlog).
	basic_napi(poll_fn poll, rearm_fn rearm, void *ctx, int weight = default_weight)
	    : poll_(poll), rearm_(rearm), ctx_(ctx), weight_(weight)
	{
	}

	// Binds an object with `int poll(int budget)` and `void rearm()`.
	template <class Queue, class = std::enable_if_t<!std::is_same<std::decay_t<Queue>, basic_napi>::value>>
	explicit basic_napi(Queue &q, int weight = default_weight)
	    : basic_napi([](void *c, int budget) { return static_cast<Queue *>(c)->poll(budget); },
			 [](void *c) { static_cast<Queue *>(c)->rearm(); }, &q, weight)
	{
	}

	basic_napi(const basic_napi &) = delete;
	basic_napi &operator=(const basic_napi &) = delete;

	// napi_schedule: any thread.  True when this call scheduled the queue;
	// false when it was already scheduled (the call is remembered as
	// MISSED) or the queue was never added to a poll group.
	bool schedule()
	{
		if (inbox_ == nullptr)
			return false;
		unsigned v = state_.load(std::memory_order_relaxed);
		unsigned nv;
		do
			nv = v | sched_bit | ((v & sched_bit) ? missed_bit : 0u);
		// acq_rel: the release half pairs with complete()'s acquire, so
		// whatever the caller queued before scheduling is visible to the
		// extra poll a MISSED bit causes.
		while (!state_.compare_exchange_weak(v, nv, std::memory_order_acq_rel, std::memory_order_relaxed));
		if (v & sched_bit)
			return false;
		inbox_->push(this);
		return true;
	}

	// A snapshot (relaxed: ordered with nothing).
	bool scheduled() const { return (state_.load(std::memory_order_relaxed) & sched_bit) != 0; }
	int weight() const { return weight_; }

	// For the queue's owner: frames it dropped (any thread).
	void count_dropped(std::uint64_t n) { dropped_.fetch_add(n, std::memory_order_relaxed); }

	napi_stats stats() const
	{
		return napi_stats{polls_.get(),  processed_.get(), repolls_.get(),
				  rearms_.get(), missed_.get(),    dropped_.load(std::memory_order_relaxed)};
	}

private:
	template <class Clock, sync>
	friend class poll_group;

	static constexpr unsigned sched_bit = 1;
	static constexpr unsigned missed_bit = 2;

	// napi_complete_done: clears SCHED, unless a schedule() arrived since
	// the poll began (MISSED), in which case the queue stays scheduled.
	// True when the queue went idle (the caller re-arms it).
	bool complete()
	{
		unsigned v = state_.load(std::memory_order_relaxed);
		// acq_rel: the acquire half pairs with schedule()'s release.
		while (!state_.compare_exchange_weak(v, (v & missed_bit) ? sched_bit : 0u, std::memory_order_acq_rel,
						     std::memory_order_relaxed)) {
		}
		return (v & missed_bit) == 0;
	}

	poll_fn poll_;
	rearm_fn rearm_;
	void *ctx_;
	int weight_;
	detail::basic_inbox<S> *inbox_ = nullptr; // set by poll_group::add()
	basic_napi *registered_ = nullptr;        // the group's list of all its queues
	detail::cell<unsigned, S> state_{0};
	// Written by the poller only.
	detail::owned_counter<S> polls_, processed_, repolls_, rearms_, missed_;
	detail::cell<std::uint64_t, S> dropped_{0};
};

using napi = basic_napi<>;

} // namespace pktpath

#endif // PKTPATH_POLL_NAPI_HPP
