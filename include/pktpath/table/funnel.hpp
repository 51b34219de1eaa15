// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// Drop analysis: where between stages packets went missing, per flow and in
// total.
//
// The stage set is a tree (each stage names its predecessor), so the funnel
// has one step per stage that has successors: packets at the stage minus
// packets at all its direct successors together.  Alternatives are handled
// by that sum: after ip_rcv a packet reaches tcp_v4_rcv or udp_rcv, so the
// step is "ip_rcv -> tcp_v4_rcv|udp_rcv" and a TCP flow is not reported as
// losing everything at udp_rcv.  A chain gives ordinary consecutive deltas.
//
// lost is signed: a negative value means more packets after a stage than at
// it (a path that skips the stage, GRO merging or splitting, or packets in
// flight across an interval boundary); it is reported, not clamped.
#ifndef PKTPATH_TABLE_FUNNEL_HPP
#define PKTPATH_TABLE_FUNNEL_HPP

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "snapshot.hpp"

namespace pktpath {

struct funnel_step {
	unsigned from;            // the stage
	std::uint32_t to_mask;    // bit s set: stage s directly follows `from`
	std::uint64_t in;         // packets at `from`
	std::uint64_t out;        // packets at its successors together
	std::int64_t lost;        // in - out
	std::size_t flows_losing; // flows with lost > 0 at this step
};

// The steps of a stage tree, in stage order (totals left zero).
inline std::vector<funnel_step> funnel_steps(const table_snapshot &s)
{
	std::vector<funnel_step> steps;
	for (unsigned from = 0; from < s.stage_count(); from++) {
		funnel_step st{from, 0, 0, 0, 0, 0};
		for (unsigned to = from + 1; to < s.stage_count(); to++)
			if (s.stage_pred(to) == static_cast<int>(from))
				st.to_mask |= 1u << to;
		if (st.to_mask)
			steps.push_back(st);
	}
	return steps;
}

// in - out of one step over a row of stage_count counters.
inline std::int64_t step_lost(const pktpath_counter *row, const funnel_step &st, unsigned stage_count)
{
	std::uint64_t out = 0;
	for (unsigned to = 0; to < stage_count; to++)
		if (st.to_mask & (1u << to))
			out += row[to].packets;
	return static_cast<std::int64_t>(row[st.from].packets - out);
}

struct funnel {
	std::vector<pktpath_counter> totals; // per stage: flows + overflow + unclassified
	std::vector<funnel_step> steps;
};

// The funnel across everything counted: flows, overflow and unclassified rows.
inline funnel make_funnel(const table_snapshot &s)
{
	funnel f;
	for (unsigned st = 0; st < s.stage_count(); st++)
		f.totals.push_back(s.total(st));
	f.steps = funnel_steps(s);
	for (funnel_step &st : f.steps) {
		st.in = f.totals[st.from].packets;
		for (unsigned to = 0; to < s.stage_count(); to++)
			if (st.to_mask & (1u << to))
				st.out += f.totals[to].packets;
		st.lost = static_cast<std::int64_t>(st.in - st.out);
		for (std::size_t i = 0; i < s.flow_count(); i++)
			st.flows_losing += step_lost(s.row(i), st, s.stage_count()) > 0;
	}
	return f;
}

// Per step (as funnel_steps) losses of one flow.
inline std::vector<std::int64_t> flow_losses(const table_snapshot &s, std::size_t flow,
					     const std::vector<funnel_step> &steps)
{
	std::vector<std::int64_t> out;
	for (const funnel_step &st : steps)
		out.push_back(step_lost(s.row(flow), st, s.stage_count()));
	return out;
}

// The n flows that lost most packets (sum of positive step losses), most
// first, ties in slot order; flows that lost nothing are not listed.
inline std::vector<std::size_t> top_losing(const table_snapshot &s, std::size_t n)
{
	const std::vector<funnel_step> steps = funnel_steps(s);
	std::vector<std::pair<std::uint64_t, std::size_t>> lossy;
	for (std::size_t i = 0; i < s.flow_count(); i++) {
		std::uint64_t lost = 0;
		for (const funnel_step &st : steps) {
			std::int64_t l = step_lost(s.row(i), st, s.stage_count());
			lost += l > 0 ? static_cast<std::uint64_t>(l) : 0;
		}
		if (lost)
			lossy.emplace_back(lost, i);
	}
	std::stable_sort(lossy.begin(), lossy.end(), [](const auto &a, const auto &b) { return a.first > b.first; });
	std::vector<std::size_t> idx;
	for (std::size_t i = 0; i < lossy.size() && i < n; i++)
		idx.push_back(lossy[i].second);
	return idx;
}

// "napi_gro_receive" or, for alternatives, "tcp_v4_rcv|udp_rcv".
inline std::string step_targets(const table_snapshot &s, const funnel_step &st)
{
	std::string t;
	for (unsigned to = 0; to < s.stage_count(); to++)
		if (st.to_mask & (1u << to)) {
			if (!t.empty())
				t += '|';
			t += s.stage_name(to);
		}
	return t;
}

// "lost between napi_gro_receive and netif_receive_skb: 37"
inline std::string describe_step(const table_snapshot &s, const funnel_step &st, std::int64_t lost)
{
	return std::string("lost between ") + s.stage_name(st.from) + " and " + step_targets(s, st) + ": " +
	       std::to_string(lost);
}

} // namespace pktpath

#endif // PKTPATH_TABLE_FUNNEL_HPP
