// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// The receive path pktpath-replay models, shared by the deterministic engine
// (sim.hpp) and the threaded one (live.hpp): its stages, the knobs a kernel
// engineer turns (defaults are Linux's), the descriptor a frame travels as,
// how a captured frame becomes one (parse, filter, table row, RSS hash), and
// the counters a run leaves besides the table.
//
//   wire -> rx_ring -> napi_poll -> backlog -> l3 -> l4 -> deliver
//                                          `-> unclassified
//
// wire: the frame reached the NIC.  rx_ring: the NIC found a free RX
// descriptor (else it is dropped: rx_missed).  napi_poll: the driver's poll
// took it off the ring.  backlog: RPS steered it (by its RSS hash) to a CPU
// whose backlog had room (else it is dropped, as enqueue_to_backlog drops).
// Then, on that CPU, frames with a flow key go through the IP layer (l3), the
// protocol handler (l4) and are delivered; frames without one end at
// `unclassified` with their parse status.  Every frame therefore ends in
// exactly one of: deliver, unclassified, or a drop between two stages.
#ifndef PKTPATH_REPLAY_MODEL_HPP
#define PKTPATH_REPLAY_MODEL_HPP

#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "../capture/frame.hpp"
#include "../flow/key.hpp"
#include "../flow/parse.hpp"
#include "../hash/toeplitz.hpp"
#include "../poll/group.hpp"
#include "../table/stage_table.hpp"
#include "../table/stages.hpp"
#include "filter.hpp"

namespace pktpath::replay {

struct rx_path {
	enum : unsigned { wire, rx_ring, napi_poll, backlog, l3, l4, deliver, unclassified };
	static constexpr stage_def stages[] = {
		{"wire", no_pred}, {"rx_ring", wire}, {"napi_poll", rx_ring}, {"backlog", napi_poll},
		{"l3", backlog},   {"l4", l3},        {"deliver", l4},        {"unclassified", backlog},
	};
};

// Per-writer counters: the simulation is one writer (shard 0); live mode gives
// the NIC thread shard 0 and CPU k shard 1 + k, so no counter is contended.
using table_type = stage_table<flow_key, rx_path, per_writer_counters>;

struct knobs {
	std::uint32_t ring = 512;           // RX descriptors (ethtool -G rx), a power of two: ixgbe/i40e default
	int weight = 64;                    // NAPI weight of the NIC queue, and dev_weight of the backlogs
	int budget = 300;                   // net.core.netdev_budget
	std::uint32_t time_limit_us = 2000; // net.core.netdev_budget_usecs
	std::uint32_t max_backlog = 1000;   // net.core.netdev_max_backlog
	std::uint32_t cpus = 2;             // CPUs: the NIC interrupt on CPU 0, RPS over all of them
	std::uint64_t poll_cost_ns = 200;   // per frame in the driver poll (CPU 0): descriptor, skb, GRO, RPS
	std::uint64_t cost_ns = 800;        // per frame on the RPS CPU: process_backlog to the socket

	// nullptr when usable, else what is wrong (for a usage message).
	const char *check() const
	{
		if (ring < 2 || ring > (1u << 24) || (ring & (ring - 1)) != 0)
			return "ring: a power of two from 2 to 16777216";
		if (weight < 1 || weight > (1 << 20))
			return "weight: 1 to 1048576";
		if (budget < 1 || budget > (1 << 24))
			return "budget: 1 to 16777216";
		if (time_limit_us < 1 || time_limit_us > 10000000)
			return "time limit: 1 to 10000000 us";
		if (max_backlog > (1u << 24))
			return "max_backlog: 0 to 16777216";
		if (cpus < 1 || cpus > 64)
			return "cpus: 1 to 64";
		if (poll_cost_ns > 1000000000 || cost_ns > 1000000000)
			return "costs: at most 1 s per frame";
		return nullptr;
	}
};

// What travels through the rings: a view of the frame plus what the NIC and
// the classifier knew at arrival.  Trivially copyable (rings copy bytes).
struct frame_desc {
	static constexpr std::uint64_t no_row = ~std::uint64_t{0}; // filtered out: simulated, not counted

	const std::uint8_t *data;
	std::uint64_t ts_ns; // capture timestamp (for --dump-drops)
	std::uint64_t row;   // table row, or no_row
	std::uint32_t caplen;
	std::uint32_t origlen;
	std::uint32_t linktype;
	std::uint32_t hash;  // RSS hash RPS steers by; 0 = none (stays on CPU 0)
	std::uint8_t status; // enum pktpath_status
};

// Called for each dropped frame that is counted (it matched the filter),
// with the stage it failed to enter: rx_path::rx_ring or rx_path::backlog.
struct drop_sink {
	void (*fn)(void *ctx, const frame_desc &d, unsigned stage) = nullptr;
	void *ctx = nullptr;

	void operator()(const frame_desc &d, unsigned stage) const
	{
		if (fn != nullptr && d.row != frame_desc::no_row)
			fn(ctx, d, stage);
	}
};

// How the classifier reads one kind of input frame: the descriptor's fields
// (data, timestamp, lengths, link type), the parse, a flow hash the hardware
// computed, if any, and a hint to fetch the frame's headers ahead.  Specialised for capture::frame here and for
// rte_mbuf * in dpdk/mbuf.hpp.
template <class Frame>
struct frame_traits;

template <>
struct frame_traits<capture::frame> {
	static frame_desc describe(const capture::frame &f)
	{
		return frame_desc{f.data, f.ts_ns, frame_desc::no_row, f.caplen, f.origlen, f.linktype, 0, 0};
	}
	static void parse(const capture::frame &f, unsigned flags, pktpath_parse_result &r)
	{
		pktpath_parse(f.data, f.caplen, f.linktype, flags, &r);
	}
	// A capture carries no NIC hash: the classifier computes Toeplitz.
	static bool nic_hash(const capture::frame &, std::uint32_t &) { return false; }
	// The capture reader streams its file ahead of the frames already.
	static void prefetch(const capture::frame &) {}
};

// How an input frame becomes a descriptor: parse it, apply the filter,
// find its row in a flow_key table of any stage set and counter policy,
// take the RSS hash the NIC would hand to RPS (the frame's own, or Toeplitz
// with the Microsoft key; drivers usually program a random key, which
// changes which CPU a flow lands on, not how many frames are lost).
template <class Table>
class basic_classifier {
	static_assert(std::is_same<typename Table::key_type, flow_key>::value, "the classifier makes flow_key keys");

public:
	struct options {
		unsigned parse_flags = 0;            // parse_flags::inner / symmetric
		bool key_vlan = false;               // keep the outer VLAN id in the flow key
		const flow_filter *filter = nullptr; // null or empty: every frame counts
		bool rss_hash = true;                // Toeplitz when the frame brings no hash; false: hash 0
	};

	// The filter, when not empty, must outlive the classifier and stay
	// unchanged: whether it is empty is decided here, not per frame.
	basic_classifier(Table &t, const options &o)
	    : t_(t), o_(o), filter_(o.filter != nullptr && !o.filter->empty() ? o.filter : nullptr)
	{
	}

	// Classifies n frames into out[0..n), each as operator() does, with the
	// table rows of a burst's keyed frames looked up together so that their
	// cache misses overlap.  Rows are found in frame order, so a new flow
	// takes the slot it would take frame by frame.
	template <class Frame>
	void classify(const Frame *in, frame_desc *out, std::size_t n)
	{
		flow_key keys[burst];
		std::uint64_t rows[burst];
		std::size_t keyed[burst]; // the frame of keys[j]
		for (std::size_t done = 0; done < n; done += burst) {
			const std::size_t end = n - done < burst ? n : done + burst;
			std::uint32_t m = 0;
			for (std::size_t i = done; i < end; i++)
				frame_traits<Frame>::prefetch(in[i]); // the burst's misses overlap
			for (std::size_t i = done; i < end; i++)
				if (prepare(in[i], out[i], keys[m]))
					keyed[m++] = i;
			t_.rows(keys, m, rows);
			for (std::uint32_t j = 0; j < m; j++)
				out[keyed[j]].row = rows[j];
		}
	}

	template <class Frame>
	frame_desc operator()(const Frame &f)
	{
		frame_desc d;
		classify(&f, &d, 1);
		return d;
	}

private:
	static constexpr std::size_t burst = PKTPATH_TABLE_BURST;

	// One frame's descriptor but for a counted keyed frame's row: parse,
	// RSS hash, filter, unclassified row.  True when the frame counts under
	// its flow key, left in k for classify() to look up.
	template <class Frame>
	bool prepare(const Frame &f, frame_desc &d, flow_key &k)
	{
		using traits = frame_traits<Frame>;
		d = traits::describe(f);
		pktpath_parse_result r;
		// Always asks for the VLAN id: the filter may need it.
		traits::parse(f, o_.parse_flags | PKTPATH_PARSE_VLAN, r);
		d.status = r.status;
		const bool keyed = pktpath_status_has_key(r.status) != 0;
		if (keyed && !o_.key_vlan)
			r.key.vlan = 0;
		if (keyed && !traits::nic_hash(f, d.hash) && o_.rss_hash)
			d.hash = rss_(r.key);
		if (filter_ != nullptr && !filter_->match(r))
			return false;
		if (!keyed) {
			d.row = t_.unclassified_row(r.status);
			return false;
		}
		k.assign(r.key);
		return true;
	}

	Table &t_;
	options o_;
	const flow_filter *filter_; // null: every frame counts
	toeplitz_hash rss_;
};

using classifier = basic_classifier<table_type>;

// softnet_stat-like counters of one simulated CPU.
struct cpu_stats {
	std::uint64_t processed = 0;    // frames this CPU took into the stack (softnet `processed`)
	std::uint64_t dropped = 0;      // refused by its backlog (softnet `dropped`)
	std::uint64_t time_squeeze = 0; // net_rx_action rounds ended by budget or time
	std::uint64_t budget_exhausted = 0;
	std::uint64_t time_exhausted = 0;
	std::uint64_t polls = 0;        // napi polls (NIC queue and backlog)
	std::uint64_t rounds = 0;       // net_rx_action rounds
	std::uint64_t backlog_peak = 0; // most frames its input queue held
	std::uint64_t busy_ns = 0;      // sim: virtual time spent on frames

	// The poll group's counters and the backlog's drops, as either engine reads them.
	void take(const softnet_stat &g, std::uint64_t backlog_dropped)
	{
		dropped = backlog_dropped;
		time_squeeze = g.time_squeeze;
		budget_exhausted = g.budget_exhausted;
		time_exhausted = g.time_exhausted;
		polls = g.polls;
		rounds = g.rounds;
	}
};

struct nic_stats {
	std::uint64_t rx_missed = 0; // frames the full RX ring refused
	std::uint64_t irqs = 0;      // interrupts that fired (scheduled the NAPI)
	std::uint64_t ring_peak = 0; // most descriptors in use
};

struct run_stats {
	std::uint64_t frames = 0;     // frames replayed, counted or not
	std::uint64_t file_bytes = 0; // captured bytes replayed (caplen)
	std::uint64_t span_ns = 0;    // last arrival on the replay's clock (sim: virtual; live: wall)
	std::uint64_t end_ns = 0;     // when the last frame was done (same clock)
	nic_stats nic;
	std::vector<cpu_stats> cpus;
};

} // namespace pktpath::replay

#endif // PKTPATH_REPLAY_MODEL_HPP
