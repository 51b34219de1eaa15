// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// The live replay: the model of model.hpp run by real threads on the real
// clock.  The calling thread is the NIC: it plays the frames into the RX
// ring (a spsc_ring) at their arrival times, or as fast as it can, drops
// what the ring refuses and raises the interrupt (irq_line).  One thread per
// CPU runs a poll_group (net_rx_action on steady_clock); CPU 0's holds the
// NIC's NAPI, whose poll steers frames through an rps_map to the CPUs'
// backlog<>s.  Costs, when set, are spent busy-waiting; the machine's own
// cost comes on top.  Drops therefore depend on the machine and its load:
// use sim.hpp for reproducible answers.
//
// Table shards: the NIC thread counts in shard 0, CPU k in shard 1 + k
// (the table must have 1 + cpus shards).
#ifndef PKTPATH_REPLAY_LIVE_HPP
#define PKTPATH_REPLAY_LIVE_HPP

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "../capture/frame.hpp"
#include "../poll/backlog.hpp"
#include "../poll/group.hpp"
#include "../poll/irq.hpp"
#include "../poll/napi.hpp"
#include "../poll/rps.hpp"
#include "../ring/backoff.hpp"
#include "../ring/ring.hpp"
#include "model.hpp"

namespace pktpath::replay {

class live_engine {
public:
	using clock = std::chrono::steady_clock;

	live_engine(const knobs &k, table_type &t, drop_sink sink = {}, idle_mode idle = idle_mode::sleep)
	    : k_(k),
	      t_(t),
	      sink_(sink),
	      idle_(idle),
	      ring_(k.ring),
	      nic_napi_(&live_engine::nic_poll_thunk, &live_engine::nic_rearm_thunk, this, k.weight),
	      irq_(nic_napi_)
	{
		for (unsigned i = 0; i < k.cpus; i++)
			cpus_.push_back(std::make_unique<cpu>(k, this, i));
		for (auto &c : cpus_)
			backlogs_.push_back(&c->bl);
		rps_ = rps_map<backlog_type>(backlogs_.data(), k.cpus);
		cpus_[0]->group.add(nic_napi_);
	}
	live_engine(const live_engine &) = delete;
	live_engine &operator=(const live_engine &) = delete;

	// The table needs this many shards.
	static std::uint32_t shards(const knobs &k) { return 1 + k.cpus; }

	bool valid() const
	{
		for (const auto &c : cpus_)
			if (!c->bl.valid())
				return false;
		return ring_.valid() && t_.shards() >= shards(k_);
	}

	// Plays everything src yields (see sim_engine::run), pacing by the
	// arrival times unless `pace` is false, then waits until every frame is
	// delivered or dropped.  Call once.
	template <class Source>
	void run(Source &src, classifier &cls, bool pace)
	{
		std::vector<std::thread> threads;
		for (auto &c : cpus_)
			threads.emplace_back([this, &c] { c->group.run(idle_); });
		const clock::time_point start = clock::now();
		capture::frame f;
		std::uint64_t at = 0;
		std::uint64_t produced = 0;
		while (src.next(f, at)) {
			const frame_desc d = cls(f);
			if (pace)
				wait_until(start + std::chrono::nanoseconds(at));
			++produced;
			st_.file_bytes += d.caplen;
			count(d, rx_path::wire, 0);
			if (ring_.enqueue(d)) {
				count(d, rx_path::rx_ring, 0);
				const std::uint64_t used = ring_.size();
				st_.nic.ring_peak = used > st_.nic.ring_peak ? used : st_.nic.ring_peak;
			} else {
				dropped(d, rx_path::rx_ring);
			}
			irq_.raise();
		}
		st_.frames = produced;
		st_.span_ns = ns_since(start);
		// Every frame ends delivered, unclassified or dropped: wait for that.
		for (;;) {
			std::uint64_t done = ring_.drops();
			for (auto &c : cpus_)
				done += c->processed.load(std::memory_order_relaxed) + c->bl.dropped();
			if (done >= produced)
				break;
			std::this_thread::sleep_for(std::chrono::microseconds(200));
		}
		st_.end_ns = ns_since(start);
		for (auto &c : cpus_)
			c->group.request_stop();
		for (std::thread &th : threads)
			th.join();
	}

	// After run().
	run_stats stats()
	{
		run_stats s = st_;
		s.nic.rx_missed = ring_.drops();
		s.nic.irqs = irq_.fired();
		for (auto &c : cpus_) {
			cpu_stats cs;
			cs.take(c->group.stats(), c->bl.dropped());
			cs.processed = c->processed.load(std::memory_order_relaxed);
			cs.backlog_peak = c->backlog_peak;
			s.cpus.push_back(cs);
		}
		return s;
	}

private:
	struct deliver_fn {
		live_engine *e;
		unsigned cpu;
		void operator()(frame_desc &d) const { e->deliver(cpu, d); }
	};
	using backlog_type = backlog<frame_desc, deliver_fn>;

	struct cpu {
		poll_group<> group;
		backlog_type bl;
		std::atomic<std::uint64_t> processed{0}; // written by this CPU's thread only
		std::uint64_t backlog_peak = 0;          // written by CPU 0's thread (it does all enqueues)

		cpu(const knobs &k, live_engine *e, unsigned i)
		    : group(poll_config{k.budget, std::chrono::microseconds(k.time_limit_us)}),
		      bl(deliver_fn{e, i}, k.max_backlog, k.weight)
		{
			group.add(bl.as_napi());
		}
	};

	static std::uint64_t ns_since(clock::time_point t)
	{
		return static_cast<std::uint64_t>(
			std::chrono::duration_cast<std::chrono::nanoseconds>(clock::now() - t).count());
	}

	static void spin(std::uint64_t ns)
	{
		if (ns == 0)
			return;
		const clock::time_point until = clock::now() + std::chrono::nanoseconds(ns);
		while (clock::now() < until)
			cpu_relax();
	}

	static void wait_until(clock::time_point due)
	{
		const clock::time_point now = clock::now();
		if (due > now + std::chrono::milliseconds(2))
			std::this_thread::sleep_until(due - std::chrono::milliseconds(1));
		while (clock::now() < due)
			cpu_relax();
	}

	void count(const frame_desc &d, unsigned stage, unsigned shard)
	{
		if (d.row != frame_desc::no_row)
			t_.add(d.row, stage, d.origlen, shard);
	}

	// The NIC thread and CPU 0 both drop: one writer at a time for the sink.
	void dropped(const frame_desc &d, unsigned stage)
	{
		if (sink_.fn == nullptr || d.row == frame_desc::no_row)
			return;
		std::lock_guard<std::mutex> lk(sink_lock_);
		sink_(d, stage);
	}

	static int nic_poll_thunk(void *self, int budget) { return static_cast<live_engine *>(self)->nic_poll(budget); }
	static void nic_rearm_thunk(void *self) { static_cast<live_engine *>(self)->nic_rearm(); }

	// The driver's poll, on CPU 0's thread.
	int nic_poll(int budget)
	{
		int work = 0;
		frame_desc d;
		while (work < budget && ring_.dequeue(d)) {
			spin(k_.poll_cost_ns);
			count(d, rx_path::napi_poll, 1);
			const std::uint32_t to = rps_.select(d.hash);
			cpu &c = *cpus_[to];
			if (c.bl.enqueue(d)) {
				count(d, rx_path::backlog, 1);
				const std::uint64_t q = c.bl.qlen();
				c.backlog_peak = q > c.backlog_peak ? q : c.backlog_peak;
			} else {
				dropped(d, rx_path::backlog);
			}
			++work;
		}
		return work;
	}

	void nic_rearm()
	{
		irq_.enable([this] { return !ring_.empty(); });
	}

	// process_backlog handing one frame to the stack, on CPU k's thread.
	void deliver(unsigned k, frame_desc &d)
	{
		spin(k_.cost_ns);
		if (pktpath_status_has_key(d.status)) {
			count(d, rx_path::l3, 1 + k);
			count(d, rx_path::l4, 1 + k);
			count(d, rx_path::deliver, 1 + k);
		} else {
			count(d, rx_path::unclassified, 1 + k);
		}
		// One writer, so a plain load and store; relaxed: the drain check
		// only counts, and the table is read after join(), which orders it.
		std::atomic<std::uint64_t> &p = cpus_[k]->processed;
		p.store(p.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
	}

	knobs k_;
	table_type &t_;
	drop_sink sink_;
	idle_mode idle_;
	std::mutex sink_lock_;
	spsc_ring<frame_desc> ring_;
	napi nic_napi_;
	irq_line irq_;
	std::vector<std::unique_ptr<cpu>> cpus_;
	std::vector<backlog_type *> backlogs_;
	rps_map<backlog_type> rps_{nullptr, 0};
	run_stats st_; // NIC thread during run()
};

} // namespace pktpath::replay

#endif // PKTPATH_REPLAY_LIVE_HPP
