// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// The live replay (replay/live.hpp): real NIC and CPU threads.  Drops depend
// on the machine, so only what must hold on any machine is asserted: every
// frame ends delivered, dropped at a named stage or unclassified, the drop
// sink sees exactly the dropped frames, the per-CPU counters add up.
#include <catch2/catch.hpp>

#include <pktpath/replay/feed.hpp>
#include <pktpath/replay/live.hpp>
#include <pktpath/replay/report.hpp>

#include <atomic>
#include <string>

using namespace pktpath;
using namespace pktpath::replay;

namespace {

struct live_case {
	knobs k;
	timing tm;
	bool pace;
};

void check_live(const live_case &c)
{
	capture_feed feed({std::string(PKTPATH_SOURCE_DIR) + "/examples/captures/drops.pcap"}, c.tm);
	table_options to;
	to.shards = live_engine::shards(c.k);
	table_type t = table_type::create(4096, to);
	REQUIRE(t.ok());
	std::atomic<std::uint64_t> sunk[stage_count_v<rx_path>] = {};
	drop_sink sink{[](void *ctx, const frame_desc &, unsigned stage) {
			       static_cast<std::atomic<std::uint64_t> *>(ctx)[stage].fetch_add(1);
		       },
		       sunk};
	live_engine e(c.k, t, sink);
	REQUIRE(e.valid());
	classifier cls(t, {});
	e.run(feed, cls, c.pace);
	const run_stats st = e.stats();
	const table_snapshot s(t.view());
	const outcome o = summarize(s);
	CHECK(o.frames == 9130);
	CHECK(st.frames == 9130);
	CHECK(o.frames == o.delivered + o.dropped + o.unclassified);
	// The 30 frames without a key reach the wire; some may be dropped at the ring.
	std::uint64_t keyless = 0;
	for (unsigned status = 0; status < s.status_count(); status++)
		keyless += s.unclassified(status, rx_path::wire).packets;
	CHECK(keyless == 30);
	CHECK(o.unclassified <= 30);
	CHECK(o.drops[0].frames == st.nic.rx_missed);
	CHECK(sunk[rx_path::rx_ring].load() == st.nic.rx_missed);
	std::uint64_t processed = 0, backlog_drops = 0;
	for (const cpu_stats &cs : st.cpus) {
		processed += cs.processed;
		backlog_drops += cs.dropped;
	}
	CHECK(o.drops[2].frames == backlog_drops);
	CHECK(sunk[rx_path::backlog].load() == backlog_drops);
	CHECK(processed == o.delivered + o.unclassified);
	// Nothing is left in a queue at the end.
	CHECK(o.drops[1].frames == 0);
	CHECK(o.drops[3].frames == 0);
}

} // namespace

TEST_CASE("live replay as fast as possible: every frame accounted for", "[replay][concurrent]")
{
	live_case c;
	c.k.cost_ns = 0;
	c.k.poll_cost_ns = 0;
	c.tm.k = timing::kind::asap;
	c.pace = false;
	check_live(c);
}

TEST_CASE("live replay with a tiny ring, small backlogs and costly frames: drops are accounted", "[replay][concurrent]")
{
	live_case c;
	c.k.ring = 8;
	c.k.max_backlog = 4;
	c.k.cpus = 3;
	c.k.cost_ns = 500;
	c.k.poll_cost_ns = 50;
	c.tm.k = timing::kind::asap;
	c.pace = false;
	check_live(c);
}

TEST_CASE("live replay paced at 5 Mpps", "[replay][concurrent]")
{
	live_case c;
	c.k.cost_ns = 0;
	c.k.poll_cost_ns = 0;
	REQUIRE(c.tm.parse_rate("5Mpps"));
	c.pace = true;
	check_live(c);
}
