// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// The deterministic replay: a discrete-event simulation of the receive path
// of model.hpp on a virtual clock, built from pktpath's own pieces: the RX
// ring is a spsc_ring, the NIC interrupt an irq_line, every CPU a
// poll_group<virtual_clock> (net_rx_action: weight, budget, time limit,
// time_squeeze), the per-CPU queues backlog<> (enqueue_to_backlog's drop
// rule), steering an rps_map; the poll pieces under sync::single, as all of
// it runs on one thread.  Same frames, arrival times and knobs: same
// result, bit for bit (one thread, no wall clock, no randomness).
//
// The model, step by step:
//  - A frame reaches the NIC at its arrival time (timeline.hpp).  The ring
//    takes it or it is dropped (rx_missed).  The interrupt, if enabled,
//    fires: it schedules the NIC's NAPI on CPU 0 and is masked.
//  - CPU 0 runs net_rx_action rounds back to back while it has scheduled
//    NAPIs.  Polling the NIC costs poll_cost_ns per frame; each polled frame
//    is steered by its RSS hash (reciprocal_scale, hash 0 stays on CPU 0) to
//    a CPU's backlog, which drops it when it already holds more than
//    max_backlog frames.  A poll that does less than its weight completes
//    and re-enables the interrupt (which fires again if frames are waiting).
//  - A CPU's backlog NAPI processes frames at cost_ns each, up to its weight
//    per poll; each processed frame goes through l3, l4, deliver (or ends at
//    unclassified when it has no flow key).  A backlog that was idle is
//    woken by the IPI CPU 0 sends at the end of its round, as
//    net_rps_action_and_irq_enable() does; frames keep queueing meanwhile.
//  - Time on a CPU advances only by the costs of the frames it handles, and
//    jumps forward when it is idle.  Between two frames of a round it does
//    not advance: rounds, polls, interrupts and IPIs cost nothing.
//
// Exactness: every queue decision uses the queue's state at the virtual time
// of the decision.  CPU 0 never depends on other CPUs, so it runs ahead; a
// CPU k > 0 runs a round only once CPU 0's clock has passed the round's
// latest possible end, so every frame RPS sends it before then is known.
//
// Not modelled: multi-queue RSS (one RX queue), GRO merging, the softirq
// restart limit and ksoftirqd, flow limit, RFS, IRQ and IPI latency,
// cache effects; costs do not depend on frame size or protocol.
#ifndef PKTPATH_REPLAY_SIM_HPP
#define PKTPATH_REPLAY_SIM_HPP

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "../capture/frame.hpp"
#include "../poll/backlog.hpp"
#include "../poll/clock.hpp"
#include "../poll/group.hpp"
#include "../poll/irq.hpp"
#include "../poll/napi.hpp"
#include "../poll/rps.hpp"
#include "../ring/ring.hpp"
#include "model.hpp"

namespace pktpath::replay {

namespace detail {
constexpr std::uint32_t bit(unsigned stage)
{
	return std::uint32_t{1} << stage;
}
} // namespace detail

class sim_engine {
public:
	sim_engine(const knobs &k, table_type &t, drop_sink sink = {})
	    : k_(k),
	      t_(t),
	      sink_(sink),
	      ring_(k.ring),
	      nic_napi_(&sim_engine::nic_poll_thunk, &sim_engine::nic_rearm_thunk, this, k.weight),
	      irq_(nic_napi_)
	{
		for (unsigned i = 0; i < k.cpus; i++)
			cpus_.push_back(std::make_unique<cpu>(k, this, i));
		for (auto &c : cpus_)
			backlogs_.push_back(&c->bl);
		rps_ = rps_map<backlog_type>(backlogs_.data(), k.cpus);
		cpus_[0]->group.add(nic_napi_);
		round_max_ = static_cast<std::uint64_t>(k.weight) * k.cost_ns;
	}
	sim_engine(const sim_engine &) = delete;
	sim_engine &operator=(const sim_engine &) = delete;

	bool valid() const
	{
		for (const auto &c : cpus_)
			if (!c->bl.valid())
				return false;
		return ring_.valid();
	}

	// Replays everything src yields; Source has
	// `bool next(capture::frame &, std::uint64_t &arrival_ns)` with
	// non-decreasing arrivals.  Call once.
	template <class Source>
	void run(Source &src, classifier &cls)
	{
		src_ = &src;
		// A batch per call: Source::next is inlined in the loop.
		fill_ = [](void *s, capture::frame *f, std::uint64_t *at, unsigned n) {
			unsigned i = 0;
			while (i < n && static_cast<Source *>(s)->next(f[i], at[i]))
				++i;
			return i;
		};
		cls_ = &cls;
		pull();
		cpu &c0 = *cpus_[0];
		for (;;) {
			if (c0.group.pending()) {
				c0.group.poll_round();
				if (unsealed_ != 0) {
					for (std::size_t k = 1; k < cpus_.size(); k++)
						cpus_[k]->in.seal(now(c0)); // the IPIs of this round
					handed_off_ += unsealed_;
					unsealed_ = 0;
				}
			} else if (have_next_) {
				// Idle until the next frame reaches the NIC.
				if (next_at_ > now(c0))
					advance(c0, next_at_ - now(c0));
				arrive_until(now(c0));
			} else {
				break;
			}
			// The other CPUs follow a batch of frames behind: what they do
			// depends only on what CPU 0 handed them, so catching up later
			// changes nothing but how much each call can do.  CPU 0 steers
			// its next frame after paying its poll cost: with a cost,
			// everything up to now is known; without, only what came
			// before now.
			if (handed_off_ >= catch_up_batch && (k_.poll_cost_ns != 0 || now(c0) != 0)) {
				handed_off_ = 0;
				catch_up(k_.poll_cost_ns != 0 ? now(c0) : now(c0) - 1);
			}
		}
		catch_up(~std::uint64_t{0});
	}

	run_stats stats()
	{
		run_stats s = st_;
		s.nic.rx_missed = ring_.drops();
		s.nic.irqs = irq_.fired();
		for (auto &c : cpus_) {
			cpu_stats cs = c->st;
			cs.take(c->group.stats(), c->bl.dropped());
			s.end_ns = now(*c) > s.end_ns ? now(*c) : s.end_ns;
			s.cpus.push_back(cs);
		}
		return s;
	}

private:
	struct deliver_fn {
		sim_engine *e;
		unsigned cpu;
		void operator()(frame_desc &d) const { e->deliver(cpu, d); }
	};
	using backlog_type = backlog<frame_desc, deliver_fn, sync::single>;

	// Frames RPS sent from CPU 0 to another CPU, in order: when CPU 0
	// enqueued each (t) and when its IPI would wake that CPU (wake: the end
	// of CPU 0's round, set by seal()).  With the default knobs it holds at
	// most a catch-up batch plus a backlog round's worth of CPU 0's frames
	// (about 600); it grows (doubling) when knobs let CPU 0 run further
	// ahead.
	class handoff {
	public:
		struct item {
			std::uint64_t t;
			std::uint64_t wake;
			frame_desc d;
			bool counted; // its fate was already certain (see nic_poll)
		};

		explicit handoff(std::size_t capacity) : v_(capacity) {}

		bool empty() const { return n_ == 0; }
		const item &front() const { return v_[head_]; }
		void pop()
		{
			head_ = (head_ + 1) & (v_.size() - 1);
			--n_;
			unsealed_ -= unsealed_ > n_;
		}
		std::size_t size() const { return n_; }
		void push(std::uint64_t t, const frame_desc &d, bool counted)
		{
			if (n_ == v_.size())
				grow();
			v_[(head_ + n_) & (v_.size() - 1)] = item{t, ~std::uint64_t{0}, d, counted};
			++n_;
			++unsealed_;
		}
		void seal(std::uint64_t wake)
		{
			for (; unsealed_ != 0; --unsealed_)
				v_[(head_ + n_ - unsealed_) & (v_.size() - 1)].wake = wake;
		}

	private:
		void grow()
		{
			std::vector<item> w(v_.size() * 2);
			for (std::size_t i = 0; i < n_; i++)
				w[i] = v_[(head_ + i) & (v_.size() - 1)];
			v_.swap(w);
			head_ = 0;
		}

		std::vector<item> v_; // a power of two
		std::size_t head_ = 0, n_ = 0, unsealed_ = 0;
	};

	struct cpu {
		poll_group<virtual_clock, sync::single> group;
		backlog_type bl;
		handoff in;
		std::uint64_t ready_at = 0; // an idle backlog's wake-up IPI
		cpu_stats st;

		cpu(const knobs &k, sim_engine *e, unsigned i)
		    : group(poll_config{k.budget, std::chrono::microseconds(k.time_limit_us)}),
		      bl(deliver_fn{e, i}, k.max_backlog, k.weight),
		      in(handoff_capacity)
		{
			group.add(bl.as_napi());
		}
	};

	static std::uint64_t now(cpu &c)
	{
		return static_cast<std::uint64_t>(c.group.clock().now().time_since_epoch().count());
	}
	static void advance(cpu &c, std::uint64_t ns) { c.group.clock().advance(std::chrono::nanoseconds(ns)); }

	// The stages a frame passed, by its fate.
	static constexpr std::uint32_t to_wire = detail::bit(rx_path::wire);
	static constexpr std::uint32_t to_napi_poll =
		to_wire | detail::bit(rx_path::rx_ring) | detail::bit(rx_path::napi_poll);
	static constexpr std::uint32_t to_backlog = to_napi_poll | detail::bit(rx_path::backlog);
	static constexpr std::uint32_t to_deliver =
		to_backlog | detail::bit(rx_path::l3) | detail::bit(rx_path::l4) | detail::bit(rx_path::deliver);
	static constexpr std::uint32_t to_unclassified = to_backlog | detail::bit(rx_path::unclassified);
	// The stages of a frame a backlog accepts.
	static std::uint32_t fate_stages(const frame_desc &d)
	{
		return pktpath_status_has_key(d.status) ? to_deliver : to_unclassified;
	}

	// A frame is counted at every stage it passes once its fate is certain,
	// in one table call: at its drop, or when a backlog accepts it (nothing
	// drops it after that), or even before, for a frame handed to another
	// CPU whose backlog cannot refuse it (see nic_poll).  The totals are
	// those of counting stage by stage; nothing reads the table during a run.
	// Counting early matters for speed: the frame's counters are still in
	// cache from its classification, which a CPU running a catch-up batch
	// behind would no longer find.
	void count(const frame_desc &d, std::uint32_t stages)
	{
		if (d.row != frame_desc::no_row)
			t_.add_stages(d.row, stages, d.origlen);
	}

	// The next frame.  Frames are read and classified a batch ahead of
	// their arrival events: the batch's table look-ups overlap their cache
	// misses, which one look-up per event (with a whole model step in
	// between) cannot, and their counters are requested well before the
	// frames' fates count there.
	void pull()
	{
		if (ahead_at_ == ahead_n_) {
			capture::frame f[lookahead];
			ahead_at_ = 0;
			ahead_n_ = fill_(src_, f, ahead_ns_, lookahead);
			cls_->classify(f, ahead_, ahead_n_);
			for (unsigned i = 0; i < ahead_n_; i++)
				if (ahead_[i].row != frame_desc::no_row)
					t_.prefetch(ahead_[i].row);
		}
		have_next_ = ahead_at_ < ahead_n_;
		if (have_next_) {
			next_at_ = ahead_ns_[ahead_at_];
			next_ = &ahead_[ahead_at_++];
		}
	}

	// Frames arriving at or before t reach the NIC, in order.
	void arrive_until(std::uint64_t t)
	{
		while (have_next_ && next_at_ <= t) {
			const frame_desc &d = *next_; // valid until pull()
			++st_.frames;
			st_.file_bytes += d.caplen;
			st_.span_ns = next_at_;
			if (ring_.enqueue(d)) {
				const std::uint64_t used = ring_.size();
				st_.nic.ring_peak = used > st_.nic.ring_peak ? used : st_.nic.ring_peak;
			} else {
				count(d, to_wire);
				sink_(d, rx_path::rx_ring);
			}
			if (irq_.enabled()) // masked: raising would change nothing
				irq_.raise();
			pull();
		}
	}

	static int nic_poll_thunk(void *self, int budget) { return static_cast<sim_engine *>(self)->nic_poll(budget); }
	static void nic_rearm_thunk(void *self) { static_cast<sim_engine *>(self)->nic_rearm(); }

	// The driver's poll on CPU 0.
	int nic_poll(int budget)
	{
		cpu &c0 = *cpus_[0];
		int work = 0;
		while (work < budget) {
			arrive_until(now(c0));
			frame_desc d;
			if (!ring_.dequeue(d))
				break;
			advance(c0, k_.poll_cost_ns);
			c0.st.busy_ns += k_.poll_cost_ns;
			const std::uint32_t to = rps_.select(d.hash);
			if (to == 0) {
				enqueue(0, d, false);
			} else {
				// The backlog takes the frame if its queue then holds
				// at most max_backlog frames.  Until then the queue
				// can only shrink, or grow by the frames ahead of this
				// one in the handoff: within that bound it is certain.
				cpu &c = *cpus_[to];
				const bool certain = c.bl.qlen() + c.in.size() <= k_.max_backlog;
				if (certain)
					count(d, fate_stages(d));
				c.in.push(now(c0), d, certain);
				++unsealed_;
			}
			++work;
		}
		return work;
	}

	// napi_complete_done re-enabled the interrupt: it fires at once if the
	// ring filled meanwhile.
	void nic_rearm()
	{
		cpu &c0 = *cpus_[0];
		irq_.enable([&] {
			arrive_until(now(c0));
			return !ring_.empty();
		});
	}

	// enqueue_to_backlog on CPU `to`.
	void enqueue(unsigned to, const frame_desc &d, bool counted)
	{
		cpu &c = *cpus_[to];
		if (c.bl.enqueue(d)) {
			if (!counted)
				count(d, fate_stages(d));
			const std::uint64_t q = c.bl.qlen();
			c.st.backlog_peak = q > c.st.backlog_peak ? q : c.st.backlog_peak;
		} else {
			count(d, to_napi_poll);
			sink_(d, rx_path::backlog);
		}
	}

	// Frames CPU 0 steered to CPU k up to time t enter its backlog.
	void take_handoffs(unsigned k, std::uint64_t t)
	{
		handoff &in = cpus_[k]->in;
		while (!in.empty() && in.front().t <= t) {
			const frame_desc d = in.front().d;
			const bool counted = in.front().counted;
			in.pop();
			enqueue(k, d, counted);
		}
	}

	// process_backlog handing one frame to the stack on CPU k.
	void deliver(unsigned k, frame_desc &)
	{
		cpu &c = *cpus_[k];
		advance(c, k_.cost_ns);
		c.st.busy_ns += k_.cost_ns;
		++c.st.processed;
		if (k != 0)
			take_handoffs(k, now(c));
	}

	// Runs CPUs 1.. as far as the frames CPU 0 produced up to `known`
	// (inclusive) allow.
	void catch_up(std::uint64_t known)
	{
		for (unsigned k = 1; k < cpus_.size(); k++) {
			cpu &c = *cpus_[k];
			for (;;) {
				const std::uint64_t t = now(c);
				if (c.group.pending()) {
					const std::uint64_t start = t > c.ready_at ? t : c.ready_at;
					if (start + round_max_ > known || start + round_max_ < start)
						break;
					take_handoffs(k, start);
					advance(c, start - t);
					c.group.poll_round();
				} else if (!c.in.empty()) {
					const std::uint64_t at = c.in.front().t;
					if (at > known)
						break;
					if (at > t)
						advance(c, at - t);
					c.ready_at = c.in.front().wake;
					take_handoffs(k, now(c));
				} else {
					break;
				}
			}
		}
	}

	knobs k_;
	table_type &t_;
	drop_sink sink_;
	spsc_ring<frame_desc> ring_; // the NIC's RX descriptors
	basic_napi<sync::single> nic_napi_;
	basic_irq_line<sync::single> irq_;
	std::vector<std::unique_ptr<cpu>> cpus_;
	std::vector<backlog_type *> backlogs_;
	rps_map<backlog_type> rps_{nullptr, 0};
	std::uint64_t round_max_ = 0; // longest backlog round: weight x cost
	static constexpr std::uint32_t catch_up_batch = 256;
	static constexpr std::size_t handoff_capacity = 1024;
	std::uint32_t unsealed_ = 0;   // frames handed to CPUs 1.. in CPU 0's current round
	std::uint32_t handed_off_ = 0; // ... since the last catch_up()

	void *src_ = nullptr;
	unsigned (*fill_)(void *, capture::frame *, std::uint64_t *, unsigned) = nullptr;
	classifier *cls_ = nullptr;
	static constexpr unsigned lookahead = 32;
	std::uint64_t ahead_ns_[lookahead]; // arrival times
	frame_desc ahead_[lookahead];
	unsigned ahead_at_ = 0, ahead_n_ = 0;
	bool have_next_ = false;
	std::uint64_t next_at_ = 0;
	const frame_desc *next_ = nullptr; // in ahead_
	run_stats st_;
};

} // namespace pktpath::replay

#endif // PKTPATH_REPLAY_SIM_HPP
