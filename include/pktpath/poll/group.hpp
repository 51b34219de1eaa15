// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// A NAPI poll group: the userspace counterpart of one CPU's softnet_data and
// its NET_RX softirq.  poll_round() is net_rx_action() of Linux 6.1:
//
//  - the round takes the whole poll list (queues scheduled later wait for
//    the next round) with a budget (netdev_budget, 300) and a time limit
//    (netdev_budget_usecs, 2000 us);
//  - each queue is polled once per round with its weight, not with what is
//    left of the budget (so the budget can go negative);
//  - a poll that used the whole weight puts the queue on a repoll list, one
//    that did less completes it (re-arm, or poll again if MISSED);
//  - after each poll, budget first, then time: if `budget <= 0` or
//    `now >= limit` the round stops and time_squeeze counts, whether or not
//    work is left (the kernel counts it the same way); which of the two
//    ended it is counted apart, in budget_exhausted or time_exhausted;
//  - the next round's list is: queues this round did not reach, then queues
//    scheduled during the round, then the repoll list.
//
// Differences from the kernel: time is a Clock (nanoseconds, not jiffies),
// there is no GRO flush or busy-poll/threaded NAPI, and `processed` is the
// work the polls returned (the kernel counts in __netif_receive_skb_core).
//
// S (detail/cell.hpp): sync::multi, the default, lets any thread schedule the
// group's queues and wait in run(); under sync::single every call, the
// schedules included, comes from the thread that polls (no run()).
#ifndef PKTPATH_POLL_GROUP_HPP
#define PKTPATH_POLL_GROUP_HPP

#include <atomic>
#include <chrono>
#include <cstdint>

#include "../ring/backoff.hpp"
#include "detail/cell.hpp"
#include "detail/inbox.hpp"
#include "napi.hpp"

namespace pktpath {

struct poll_config {
	int budget = 300;                           // net.core.netdev_budget
	std::chrono::microseconds time_limit{2000}; // net.core.netdev_budget_usecs
};

// A /proc/net/softnet_stat row, with the squeeze split by cause.
struct softnet_stat {
	std::uint64_t processed;    // sum over the group's queues
	std::uint64_t dropped;      // sum over the group's queues (backlog overflow)
	std::uint64_t time_squeeze; // = budget_exhausted + time_exhausted
	std::uint64_t budget_exhausted;
	std::uint64_t time_exhausted;
	std::uint64_t repolls; // sum over the group's queues
	std::uint64_t polls;   // sum over the group's queues
	std::uint64_t rounds;  // poll_round() calls that had queues to poll
};

// What run() does when no queue is scheduled.
enum class idle_mode {
	sleep,     // block until a schedule() (no CPU used while idle)
	busy_poll, // spin (lowest latency, burns the core)
};

template <class Clock = std::chrono::steady_clock, sync S = sync::multi>
class poll_group {
public:
	explicit poll_group(poll_config cfg = {}, Clock clock = Clock{}) : cfg_(cfg), clock_(clock) {}
	poll_group(const poll_group &) = delete;
	poll_group &operator=(const poll_group &) = delete;

	// netif_napi_add.  Before polling starts (not concurrently with
	// poll_round() or stats()); the queue must outlive the group's use.
	void add(basic_napi<S> &n)
	{
		n.inbox_ = &inbox_;
		n.registered_ = registry_;
		registry_ = &n;
	}

	// One net_rx_action round (see the top of this file); returns the work
	// done.  The polling thread only.
	int poll_round()
	{
		take_inbox();
		if (poll_list_.empty())
			return 0;
		rounds_.add(1);
		const auto limit = clock_.now() + cfg_.time_limit;
		int budget = cfg_.budget;
		int done = 0;
		napi_list list = poll_list_;
		poll_list_ = napi_list{};
		napi_list repoll;

		for (;;) {
			if (list.empty()) {
				if (repoll.empty())
					return done;
				break;
			}
			int work = poll_one(list.pop_front(), repoll);
			budget -= work;
			done += work;
			// Budget first: like the kernel's `||`, the clock is not
			// read when the budget already ended the round.
			if (budget <= 0) {
				budget_exhausted_.add(1);
				break;
			}
			if (clock_.now() >= limit) {
				time_exhausted_.add(1);
				break;
			}
		}
		take_inbox(); // scheduled during the round: ahead of the repolls
		list.splice_back(poll_list_);
		list.splice_back(repoll);
		poll_list_ = list;
		return done;
	}

	// Whether a round would poll anything (the polling thread only).
	bool pending() const { return !poll_list_.empty() || !inbox_.empty(); }

	// Polls until request_stop(); when idle, sleeps or spins as `mode` says.
	void run(idle_mode mode = idle_mode::sleep)
	{
		static_assert(S == sync::multi, "nothing can schedule a queue while one thread waits");
		while (!stop_.load(std::memory_order_acquire)) {
			if (!pending()) {
				if (mode == idle_mode::sleep)
					inbox_.wait(stop_);
				else
					cpu_relax();
				continue;
			}
			poll_round();
		}
	}

	// Any thread: makes run() return (after its current round).
	void request_stop()
	{
		// Release: pairs with the acquire loads in run() and inbox::wait().
		stop_.store(true, std::memory_order_release);
		inbox_.wake();
	}

	// Any thread, once add() calls are over.
	softnet_stat stats() const
	{
		softnet_stat s{};
		for (const basic_napi<S> *n = registry_; n != nullptr; n = n->registered_) {
			napi_stats q = n->stats();
			s.processed += q.processed;
			s.dropped += q.dropped;
			s.repolls += q.repolls;
			s.polls += q.polls;
		}
		s.budget_exhausted = budget_exhausted_.get();
		s.time_exhausted = time_exhausted_.get();
		s.time_squeeze = s.budget_exhausted + s.time_exhausted;
		s.rounds = rounds_.get();
		return s;
	}

	Clock &clock() { return clock_; }
	const poll_config &config() const { return cfg_; }

private:
	// Intrusive FIFO of scheduled queues (a queue is in at most one).
	struct napi_list {
		detail::inbox_node *head = nullptr;
		detail::inbox_node *tail = nullptr;

		bool empty() const { return head == nullptr; }
		void push_back(detail::inbox_node *n)
		{
			n->next = nullptr;
			if (tail)
				tail->next = n;
			else
				head = n;
			tail = n;
		}
		basic_napi<S> &pop_front()
		{
			detail::inbox_node *n = head;
			head = n->next;
			if (head == nullptr)
				tail = nullptr;
			return static_cast<basic_napi<S> &>(*n);
		}
		void splice_back(napi_list &o)
		{
			if (o.empty())
				return;
			if (tail)
				tail->next = o.head;
			else
				head = o.head;
			tail = o.tail;
			o = napi_list{};
		}
	};

	void take_inbox()
	{
		for (detail::inbox_node *n = inbox_.take_all(); n != nullptr;) {
			detail::inbox_node *next = n->next;
			poll_list_.push_back(n);
			n = next;
		}
	}

	// napi_poll + __napi_poll, with the driver's napi_complete_done.
	int poll_one(basic_napi<S> &n, napi_list &repoll)
	{
		const int weight = n.weight_;
		const int work = n.poll_(n.ctx_, weight);
		n.polls_.add(1);
		n.processed_.add(static_cast<std::uint64_t>(work));
		if (work < weight) {
			if (n.complete()) {
				n.rearms_.add(1);
				if (n.rearm_)
					n.rearm_(n.ctx_);
			} else {
				n.missed_.add(1);
				poll_list_.push_back(&n); // __napi_schedule: next round
			}
			return work;
		}
		n.repolls_.add(1);
		repoll.push_back(&n);
		return work;
	}

	poll_config cfg_;
	Clock clock_;
	detail::basic_inbox<S> inbox_;
	napi_list poll_list_; // sd->poll_list: the polling thread only
	basic_napi<S> *registry_ = nullptr;
	std::atomic<bool> stop_{false};
	detail::owned_counter<S> budget_exhausted_, time_exhausted_, rounds_;
};

} // namespace pktpath

#endif // PKTPATH_POLL_GROUP_HPP
