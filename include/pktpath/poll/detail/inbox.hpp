// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// The handoff from any thread to one poller: an intrusive lock-free stack
// that producers push onto (napi_schedule from an "interrupt") and the
// poller empties in one exchange, plus an idle wait so a poller with nothing
// to do can sleep until the next push.  Pushing and taking never allocate;
// a node is in at most one list at a time, which the caller guarantees (the
// NAPI SCHED bit does).  Under sync::single (cell.hpp) everything, the
// pushers included, runs on the poller's thread, and there is no waiting.
#ifndef PKTPATH_POLL_DETAIL_INBOX_HPP
#define PKTPATH_POLL_DETAIL_INBOX_HPP

#include <atomic>
#include <condition_variable>
#include <mutex>

#include "cell.hpp"

namespace pktpath::detail {

// The link an inbox and the poll lists thread through.
struct inbox_node {
	inbox_node *next = nullptr;
};

template <sync S = sync::multi>
class basic_inbox {
public:
	basic_inbox() = default;
	basic_inbox(const basic_inbox &) = delete;
	basic_inbox &operator=(const basic_inbox &) = delete;

	// Any thread.
	void push(inbox_node *n)
	{
		inbox_node *old = head_.load(std::memory_order_relaxed);
		do
			n->next = old;
		// seq_cst: the release half pairs with take_all()'s acquire (the
		// node and what the pusher wrote before are visible to the poller);
		// the total order pairs with wait(): either the sleeper sees this
		// node, or we see its sleeping_ flag below.
		while (!head_.compare_exchange_weak(old, n, std::memory_order_seq_cst, std::memory_order_relaxed));
		if (sleeping_.load(std::memory_order_seq_cst))
			wake();
	}

	// Poller only: everything pushed so far, oldest first.
	inbox_node *take_all()
	{
		if (head_.load(std::memory_order_relaxed) == nullptr)
			return nullptr; // the common case costs no locked instruction
		// Acquire: pairs with push(); see there.
		inbox_node *n = head_.exchange(nullptr, std::memory_order_acquire);
		inbox_node *fifo = nullptr; // the stack is newest first: reverse it
		while (n) {
			inbox_node *next = n->next;
			n->next = fifo;
			fifo = n;
			n = next;
		}
		return fifo;
	}

	// A hint (relaxed): take_all() does the acquiring.
	bool empty() const { return head_.load(std::memory_order_relaxed) == nullptr; }

	// Poller only: sleeps until a push, or until `stop` is set and wake()
	// called.  No lost wake-up: see push().
	void wait(const std::atomic<bool> &stop)
	{
		static_assert(S == sync::multi, "one thread cannot wait for itself");
		sleeping_.store(true, std::memory_order_seq_cst);
		if (head_.load(std::memory_order_seq_cst) == nullptr) {
			std::unique_lock<std::mutex> lk(m_);
			// The predicate is checked under m_, which wake() takes before
			// notifying: a push or stop between the check and the sleep
			// still wakes us.
			cv_.wait(lk, [&] {
				return head_.load(std::memory_order_acquire) != nullptr ||
				       stop.load(std::memory_order_acquire);
			});
		}
		sleeping_.store(false, std::memory_order_relaxed); // only lets push() skip wake()
	}

	void wake()
	{
		{
			std::lock_guard<std::mutex> lk(m_);
		}
		cv_.notify_one();
	}

private:
	cell<inbox_node *, S> head_{nullptr};
	cell<bool, S> sleeping_{false};
	std::mutex m_;
	std::condition_variable cv_;
};

} // namespace pktpath::detail

#endif // PKTPATH_POLL_DETAIL_INBOX_HPP
