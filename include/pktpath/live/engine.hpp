// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// Counting a live interface per flow and per stage: one worker per
// AF_PACKET socket (packet_ring.hpp; several joined in a PACKET_FANOUT
// group), each draining its TPACKET_V3 ring with the library's NAPI poll
// loop (poll/group.hpp: weight, budget, time limit, squeeze counters) on its
// own thread.
//
//   (kernel drops: tp_drops) -> kernel_ring -> poll -> classify -> deliver
//                                                   `-> unclassified
//
// kernel_ring: the frame was in a block the kernel handed over (counted with
// the next stages when the poll takes it; frames handed over but not polled
// when the run ends are counted there alone by the last sweep).  poll: the
// budgeted poll took it.  classify: it has a flow
// key (else unclassified, by parse status).  deliver: the consumer took it
// (the frame sink, e.g. a pcap writer, accepted it).  Frames the kernel could
// not put in the ring are not seen by userspace at all: the kernel's own
// counter (PACKET_STATISTICS tp_drops) is the loss before the first stage,
// not attributable to flows.
//
// Table shards: worker k counts in shard k (the table needs one per worker).
// Nothing allocates once the workers are made.
#ifndef PKTPATH_LIVE_ENGINE_HPP
#define PKTPATH_LIVE_ENGINE_HPP

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "../capture/frame.hpp"
#include "../flow/key.hpp"
#include "../poll/group.hpp"
#include "../poll/napi.hpp"
#include "../replay/filter.hpp"
#include "../replay/model.hpp"
#include "../ring/backoff.hpp"
#include "../table/stage_table.hpp"
#include "../table/stages.hpp"
#include "packet_ring.hpp"

namespace pktpath::live {

struct live_path {
	enum : unsigned { kernel_ring, poll, classify, deliver, unclassified };
	static constexpr stage_def stages[] = {
		{"kernel_ring", no_pred}, {"poll", kernel_ring},  {"classify", poll},
		{"deliver", classify},    {"unclassified", poll},
	};
};

using table_type = stage_table<flow_key, live_path, per_writer_counters>;

struct poll_knobs {
	int weight = 64;                    // frames per poll of the ring (NAPI weight)
	int budget = 300;                   // frames per round (net.core.netdev_budget)
	std::uint32_t time_limit_us = 2000; // per round (net.core.netdev_budget_usecs)
	std::uint64_t cost_ns = 0;          // busy work per delivered frame: a deliberately slow consumer

	const char *check() const
	{
		if (weight < 1 || weight > (1 << 20))
			return "weight: 1 to 1048576";
		if (budget < 1 || budget > (1 << 24))
			return "budget: 1 to 16777216";
		if (time_limit_us < 1 || time_limit_us > 10000000)
			return "time limit: 1 to 10000000 us";
		if (cost_ns > 1000000000)
			return "cost: at most 1 s per frame";
		return nullptr;
	}
};

// Frames are classified as the replay classifies them (parse, filter, row),
// without its RSS hash: the kernel's fanout hash does the steering here.
using classifier = replay::basic_classifier<table_type>;
using classify_options = classifier::options;

// The consumer: called for each counted frame the poll takes, on the
// worker's thread; false: not taken (it is not counted at `deliver`).
struct frame_sink {
	bool (*fn)(void *ctx, unsigned worker, const capture::frame &f) = nullptr;
	void *ctx = nullptr;
};

struct worker_stats {
	ring_stats kernel;        // the kernel's counters for this socket
	softnet_stat poll{};      // the poll group's (processed, squeezes by cause, polls, rounds)
	std::uint64_t blocks = 0; // blocks handed back to the kernel
	std::uint64_t frames = 0; // frames in the blocks handed over (counted or not)
	std::uint64_t polled = 0; // of them, taken by the poll (counted or not)
	std::uint64_t flows = 0;  // table rows (flows and unclassified statuses) this worker counted
};

class worker {
public:
	worker(unsigned id, table_type &t, const poll_knobs &k, const classify_options &co, frame_sink sink,
	       std::atomic<std::int64_t> *frames_left)
	    : id_(id),
	      t_(t),
	      k_(k),
	      cls_(t, without_rss(co)),
	      sink_(sink),
	      left_(frames_left),
	      napi_(*this, k.weight),
	      group_(poll_config{k.budget, std::chrono::microseconds(k.time_limit_us)})
	{
		group_.add(napi_);
	}

	// Opens the socket and its ring; the scratch for a frame is sized here.
	bool open(const char *ifname, const ring_config &c)
	{
		if (!ring_.open(ifname, c))
			return false;
		scratch_.assign(ring_.frame_bytes_max(), 0);
		seen_.assign((t_.row_count() + 63) / 64, 0);
		return true;
	}

	// The worker's thread: polls until stop (or the frame limit) is reached.
	void run(const std::atomic<bool> &stop)
	{
		while (!stop.load(std::memory_order_relaxed) && !done_) {
			if (!group_.pending()) {
				if (!open_ && !ring_.ready()) {
					ring_.wait(20); // short: stop is noticed within it
					continue;
				}
				napi_.schedule();
			}
			group_.poll_round();
		}
		finished_.store(true, std::memory_order_release);
	}
	// Whether run() has returned (the frame limit, or stop).
	bool finished() const { return finished_.load(std::memory_order_acquire); }

	// After run() returned (same thread or joined): counts the frames handed
	// over but not polled at kernel_ring only, and gives their blocks back.
	void sweep()
	{
		for (;;) {
			if (!open_) {
				if (!ring_.ready())
					return;
				open_block();
			}
			for (; next_ != nullptr; next_ = blk_.next(next_)) {
				capture::frame f;
				const std::uint64_t row = row_of(packet_ring::frame_of(*next_, f, scratch_.data()));
				if (row != no_row) {
					t_.add(row, live_path::kernel_ring, f.origlen, id_);
					mark(row);
				}
			}
			close_block();
		}
	}

	// NAPI poll: up to budget frames, block after block.
	int poll(int budget)
	{
		int work = 0;
		while (work < budget && !done_) {
			if (!open_) {
				if (!ring_.ready())
					break;
				open_block();
			}
			if (next_ == nullptr) {
				close_block();
				continue;
			}
			capture::frame f;
			const std::uint64_t row = row_of(packet_ring::frame_of(*next_, f, scratch_.data()));
			// The shared limit is taken before the frame: exactly that many are polled.
			if (row != no_row && left_ != nullptr && left_->fetch_sub(1, std::memory_order_relaxed) <= 0) {
				done_ = true;
				break;
			}
			take(f, row);
			next_ = blk_.next(next_);
			++work;
		}
		return work;
	}
	void rearm() {} // the ring's "interrupt" is the poll(2) in run()

	worker_stats stats()
	{
		worker_stats s = st_;
		s.kernel = ring_.stats();
		s.poll = group_.stats();
		s.blocks = ring_.released();
		s.flows = 0;
		for (std::uint64_t w : seen_)
			s.flows += static_cast<std::uint64_t>(__builtin_popcountll(w));
		return s;
	}
	// Reads the kernel's counters (zeroing them there) into the running sums.
	const ring_stats &kernel_stats() { return ring_.stats(); }
	// Whether this worker counted at table row r.
	bool saw(std::uint64_t r) const { return (seen_[r / 64] >> (r % 64)) & 1u; }
	const packet_ring &ring() const { return ring_; }
	const capture::error &err() const { return ring_.err(); }
	unsigned id() const { return id_; }

private:
	// The block the kernel handed over next.
	void open_block()
	{
		blk_ = ring_.current();
		open_ = true;
		st_.frames += blk_.frames();
		next_ = blk_.first();
	}

	void mark(std::uint64_t row) { seen_[row / 64] |= std::uint64_t{1} << (row % 64); }

	void close_block()
	{
		ring_.release();
		open_ = false;
		next_ = nullptr;
	}

	static classify_options without_rss(classify_options o)
	{
		o.rss_hash = false;
		return o;
	}

	// The frame's table row: its flow's, its parse status's, or no_row when
	// the filter does not match.
	std::uint64_t row_of(const capture::frame &f) { return cls_(f).row; }

	// Counts a polled frame at every stage it reaches, in one add.
	void take(const capture::frame &f, std::uint64_t row)
	{
		++st_.polled;
		if (row == no_row)
			return;
		mark(row);
		const bool keyed = row <= t_.overflow_row(); // a flow's slot, or the overflow row
		std::uint32_t mask = 1u << live_path::kernel_ring | 1u << live_path::poll;
		mask |= keyed ? 1u << live_path::classify : 1u << live_path::unclassified;
		spin(k_.cost_ns);
		if ((sink_.fn == nullptr || sink_.fn(sink_.ctx, id_, f)) && keyed)
			mask |= 1u << live_path::deliver;
		t_.add_stages(row, mask, f.origlen, id_);
	}

	static void spin(std::uint64_t ns)
	{
		if (ns == 0)
			return;
		const auto until = std::chrono::steady_clock::now() + std::chrono::nanoseconds(ns);
		while (std::chrono::steady_clock::now() < until)
			cpu_relax();
	}

	static constexpr std::uint64_t no_row = replay::frame_desc::no_row;

	unsigned id_;
	table_type &t_;
	poll_knobs k_;
	classifier cls_;
	frame_sink sink_;
	std::atomic<std::int64_t> *left_; // frames still to count, shared by the workers; null: no limit
	bool done_ = false;
	std::atomic<bool> finished_{false};
	packet_ring ring_;
	basic_napi<sync::single> napi_;
	poll_group<std::chrono::steady_clock, sync::single> group_;
	std::vector<std::uint8_t> scratch_; // a frame with its VLAN tag put back
	std::vector<std::uint64_t> seen_;   // bit per table row this worker counted at
	block blk_{nullptr};
	bool open_ = false;
	const tpacket3_hdr *next_ = nullptr; // the open block's next frame to poll
	worker_stats st_;
};

} // namespace pktpath::live

#endif // PKTPATH_LIVE_ENGINE_HPP
