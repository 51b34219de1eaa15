// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// Clocks for poll_group.  Any type whose object `c` has `c.now()` returning a
// std::chrono::time_point works (std::chrono::steady_clock is the default);
// virtual_clock is a simulation's, manual_clock the fake one tests drive by
// hand.
#ifndef PKTPATH_POLL_CLOCK_HPP
#define PKTPATH_POLL_CLOCK_HPP

#include <chrono>
#include <cstdint>

namespace pktpath {
namespace detail {

// The member types a std::chrono clock has, for the nanosecond clock C.
template <class C>
struct ns_clock {
	using duration = std::chrono::nanoseconds;
	using rep = duration::rep;
	using period = duration::period;
	using time_point = std::chrono::time_point<C, duration>;
	static constexpr bool is_steady = true;
};

} // namespace detail

// Stands still until advance(): the clock of a discrete-event simulation
// (the replay's sim.hpp), where time moves only by what the model charges.
class virtual_clock : public detail::ns_clock<virtual_clock> {
public:
	time_point now() const { return now_; }
	void advance(duration d) { now_ += d; }

private:
	time_point now_{};
};

// A virtual_clock that counts its reads, so a test can assert when the poll
// loop looks at the time.  Single-threaded, like the poll loop.
class manual_clock : public detail::ns_clock<manual_clock> {
public:
	time_point now()
	{
		++reads_;
		return time_point(c_.now().time_since_epoch());
	}
	void advance(duration d) { c_.advance(d); }
	std::uint64_t reads() const { return reads_; }

private:
	virtual_clock c_;
	std::uint64_t reads_ = 0;
};

} // namespace pktpath

#endif // PKTPATH_POLL_CLOCK_HPP
