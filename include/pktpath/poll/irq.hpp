// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// The "interrupt" of an emulated device.  The producer raises it after
// queueing work; it fires (schedules the queue's napi) only while enabled,
// and firing masks it, as a NIC masks its IRQ until the driver re-enables
// it.  enable() is what a napi's rearm callback calls: it unmasks, then looks
// for work that arrived while masked and fires for it, closing the window in
// which a frame could otherwise wait for an interrupt that never comes.
// S: as for basic_napi.
#ifndef PKTPATH_POLL_IRQ_HPP
#define PKTPATH_POLL_IRQ_HPP

#include <cstdint>

#include "detail/cell.hpp"
#include "napi.hpp"

namespace pktpath {

template <sync S = sync::multi>
class basic_irq_line {
public:
	explicit basic_irq_line(basic_napi<S> &n) : napi_(&n) {}
	basic_irq_line(const basic_irq_line &) = delete;
	basic_irq_line &operator=(const basic_irq_line &) = delete;

	// Producer, after publishing work.
	void raise()
	{
		// Always a read-modify-write, even when masked: its release half
		// heads a release sequence that enable()'s exchange reads from, so
		// the work published before this raise is visible to enable()'s
		// look.  (A plain load here would need seq_cst fences on both sides
		// to rule out both missing each other.)  The exchange also makes one
		// raiser of many the one that fires.
		if (enabled_.exchange(false, std::memory_order_acq_rel)) {
			fired_.fetch_add(1, std::memory_order_relaxed);
			napi_->schedule();
		}
	}

	// The rearm callback: unmask, then fire if has_work() says work is
	// already waiting.
	template <class HasWork>
	void enable(HasWork has_work)
	{
		// An exchange, not a store: it reads the latest raise() (acquire
		// pairs with its release), so has_work() sees what that raise
		// published; a raise() ordered after it finds the line enabled.
		enabled_.exchange(true, std::memory_order_acq_rel);
		if (has_work())
			raise();
	}

	// Snapshots (relaxed: ordered with nothing).
	bool enabled() const { return enabled_.load(std::memory_order_relaxed); }
	// Interrupts that fired (scheduled the napi).
	std::uint64_t fired() const { return fired_.load(std::memory_order_relaxed); }

private:
	basic_napi<S> *napi_;
	detail::cell<bool, S> enabled_{true};
	detail::cell<std::uint64_t, S> fired_{0};
};

using irq_line = basic_irq_line<>;

} // namespace pktpath

#endif // PKTPATH_POLL_IRQ_HPP
