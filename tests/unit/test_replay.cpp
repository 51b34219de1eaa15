// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// The replay model (replay/sim.hpp) against hand-computed scenarios, its
// determinism and conservation on the bundled captures, the timeline, the
// flow filter, and the report's summary.
#include <catch2/catch.hpp>

#include <pktpath/capture/synth.hpp>
#include <pktpath/hash/toeplitz.hpp>
#include <pktpath/poll/rps.hpp>
#include <pktpath/replay/feed.hpp>
#include <pktpath/replay/filter.hpp>
#include <pktpath/replay/model.hpp>
#include <pktpath/replay/report.hpp>
#include <pktpath/replay/sim.hpp>
#include <pktpath/replay/table_memory.hpp>
#include <pktpath/replay/timeline.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <random>
#include <set>
#include <string>
#include <vector>

using namespace pktpath;
using namespace pktpath::replay;
using pktpath::synth::builder;
using pktpath::synth::bytes;

namespace {

using v4 = std::array<std::uint8_t, 4>;
const v4 client = {198, 51, 100, 7};
const v4 server = {203, 0, 113, 10};

bytes udp_frame(unsigned sport)
{
	return builder().eth(0x0800).ipv4(client, server, 17).udp(sport, 9000).payload(18).finish();
}

flow_key udp_key(unsigned sport)
{
	flow_key k{};
	std::memcpy(k.src, client.data(), 4);
	std::memcpy(k.dst, server.data(), 4);
	k.sport = static_cast<std::uint16_t>(sport);
	k.dport = 9000;
	k.proto = 17;
	k.flags = PKTPATH_KEY_IPV4 | PKTPATH_KEY_PORTS;
	return k;
}

// Frames with arrival times given by the test.
struct scripted {
	std::vector<bytes> frames;
	std::vector<std::uint64_t> at;
	std::size_t i = 0;

	void add(const bytes &f, std::uint64_t t)
	{
		frames.push_back(f);
		at.push_back(t);
	}
	bool next(capture::frame &f, std::uint64_t &a)
	{
		if (i == frames.size())
			return false;
		f = capture::frame{};
		f.data = frames[i].data();
		f.caplen = f.origlen = static_cast<std::uint32_t>(frames[i].size());
		f.linktype = PKTPATH_LINKTYPE_ETHERNET;
		f.ts_ns = at[i];
		f.index = i + 1;
		a = at[i++];
		return true;
	}
};

struct run_result {
	table_snapshot snap;
	run_stats st;
	std::vector<std::uint64_t> dropped_rows[stage_count_v<rx_path>];
};

template <class Source>
run_result simulate(const knobs &k, Source &src, const flow_filter *filter = nullptr)
{
	table_type t = table_type::create(1024);
	REQUIRE(t.ok());
	run_result r;
	drop_sink sink{[](void *ctx, const frame_desc &d, unsigned stage) {
			       static_cast<run_result *>(ctx)->dropped_rows[stage].push_back(d.row);
		       },
		       &r};
	sim_engine e(k, t, sink);
	REQUIRE(e.valid());
	classifier::options co;
	co.filter = filter;
	classifier cls(t, co);
	e.run(src, cls);
	r.st = e.stats();
	r.snap = table_snapshot(t.view());
	return r;
}

std::uint64_t at_stage(const run_result &r, unsigned stage)
{
	return r.snap.total(stage).packets;
}

std::string source_path(const char *rel)
{
	return std::string(PKTPATH_SOURCE_DIR) + "/" + rel;
}

} // namespace

TEST_CASE("the flows of the scenarios hash to the CPUs the comments say", "[replay]")
{
	// RPS with 2 CPUs: reciprocal_scale(toeplitz, 2) is the hash's top bit.
	CHECK(reciprocal_scale(toeplitz_hash()(udp_key(5003)), 2) == 0);
	CHECK(reciprocal_scale(toeplitz_hash()(udp_key(5001)), 2) == 1);
}

TEST_CASE("one CPU: ring and backlog drops of a burst, computed by hand", "[replay]")
{
	// ring 4, 1 CPU, weight 64, budget 300, max_backlog 2, poll 100 ns, stack 1000 ns.
	// Ten frames of one flow all arrive at t=0.
	//  t=0     the ring takes f1..f4; f5..f10 find it full: 6 rx_ring drops.  The
	//          first arrival fires the interrupt (1 irq), which then stays masked.
	//  round 1 (CPU 0 at 0): NIC poll, quota 64:
	//          f1 polled, t=100, backlog qlen 0 <= 2: taken (qlen 1, backlog NAPI scheduled)
	//          f2 t=200 qlen 1 <= 2: taken (2);  f3 t=300 qlen 2 <= 2: taken (3)
	//          f4 t=400 qlen 3 > 2: dropped (1 backlog drop)
	//          ring empty: 4 < 64, the NAPI completes, the interrupt is re-enabled (ring empty).
	//  round 2 (at 400): backlog poll: f1..f3 processed at 1000 ns each: t=1400, 2400, 3400.
	// So: 10 on the wire, 4 in the ring, 3 delivered, 6 + 1 dropped, CPU 0 ends at 3400 ns.
	knobs k;
	k.ring = 4;
	k.cpus = 1;
	k.max_backlog = 2;
	k.poll_cost_ns = 100;
	k.cost_ns = 1000;
	scripted src;
	for (int i = 0; i < 10; i++)
		src.add(udp_frame(5001), 0);
	const run_result r = simulate(k, src);
	CHECK(at_stage(r, rx_path::wire) == 10);
	CHECK(at_stage(r, rx_path::rx_ring) == 4);
	CHECK(at_stage(r, rx_path::napi_poll) == 4);
	CHECK(at_stage(r, rx_path::backlog) == 3);
	CHECK(at_stage(r, rx_path::deliver) == 3);
	CHECK(r.dropped_rows[rx_path::rx_ring].size() == 6);
	CHECK(r.dropped_rows[rx_path::backlog].size() == 1);
	CHECK(r.st.nic.rx_missed == 6);
	CHECK(r.st.nic.irqs == 1);
	CHECK(r.st.nic.ring_peak == 4);
	REQUIRE(r.st.cpus.size() == 1);
	CHECK(r.st.cpus[0].processed == 3);
	CHECK(r.st.cpus[0].dropped == 1);
	CHECK(r.st.cpus[0].backlog_peak == 3);
	CHECK(r.st.cpus[0].time_squeeze == 0);
	CHECK(r.st.cpus[0].busy_ns == 4 * 100 + 3 * 1000);
	CHECK(r.st.end_ns == 3400);
	const outcome o = summarize(r.snap);
	CHECK(o.frames == 10);
	CHECK(o.delivered == 3);
	CHECK(o.dropped == 7);
	CHECK(o.unclassified == 0);
	CHECK(o.flows == 1);
}

TEST_CASE("two CPUs: RPS, the IPI at the end of CPU 0's round, a budget squeeze, computed by hand", "[replay]")
{
	// ring 8, 2 CPUs, weight 2, budget 3, max_backlog 0 (a backlog takes a frame
	// only when empty), poll 100 ns, stack 300 ns.  Flow A (sport 5003) hashes to
	// CPU 0, flow B (sport 5001) to CPU 1.  A1 B1 B2 B3 arrive at 0, B4 at 1000.
	//  t=0     all four enter the ring; the interrupt fires (irq 1).
	//  CPU 0 round 1 (at 0, budget 3): NIC poll, quota 2:
	//          A1 t=100 -> backlog0 (empty: taken, its NAPI scheduled)
	//          B1 t=200 -> CPU 1 (sent at 200); 2 = weight: repolled.  budget 3-2 = 1.
	//          The round ends (list empty); CPU 0's IPI to CPU 1 goes out at 200.
	//  CPU 1:  B1 enters its empty backlog at 200, which waits for the IPI (200).
	//  CPU 0 round 2 (at 200): backlog0: A1 delivered at 500 (1 < 2: complete);
	//          budget 3-1 = 2.  NIC: B2 t=600, B3 t=700 sent to CPU 1; 2 = weight:
	//          repolled; budget 2-2 = 0: the round stops, time_squeeze 1 (budget).
	//          The IPIs of this round go out at 700.
	//  CPU 0 round 3 (at 700): NIC poll finds the ring empty: completes, re-armed.
	//  CPU 1 (at 200): B1 delivered at 500; backlog empty, completes.  B2 enters
	//          the empty backlog at 600 but the NAPI waits for the IPI at 700;
	//          B3 arrives at 700 and finds B2 still queued: 1 > 0, dropped.
	//          At 700: B2 delivered at 1000; empty again.
	//  t=1000  B4 reaches the idle NIC: irq 2; CPU 0 polls it, t=1100, sent to CPU 1
	//          (IPI at 1100); CPU 1 delivers it at 1400.
	// So: A 1 delivered; B 4 on the wire, 3 delivered, 1 dropped at backlog.
	knobs k;
	k.ring = 8;
	k.cpus = 2;
	k.weight = 2;
	k.budget = 3;
	k.max_backlog = 0;
	k.poll_cost_ns = 100;
	k.cost_ns = 300;
	scripted src;
	src.add(udp_frame(5003), 0);
	for (int i = 0; i < 3; i++)
		src.add(udp_frame(5001), 0);
	src.add(udp_frame(5001), 1000);
	const run_result r = simulate(k, src);
	CHECK(at_stage(r, rx_path::wire) == 5);
	CHECK(at_stage(r, rx_path::rx_ring) == 5);
	CHECK(at_stage(r, rx_path::napi_poll) == 5);
	CHECK(at_stage(r, rx_path::backlog) == 4);
	CHECK(at_stage(r, rx_path::deliver) == 4);
	CHECK(r.dropped_rows[rx_path::backlog].size() == 1);
	CHECK(r.st.nic.irqs == 2);
	REQUIRE(r.st.cpus.size() == 2);
	CHECK(r.st.cpus[0].processed == 1);
	CHECK(r.st.cpus[0].time_squeeze == 1);
	CHECK(r.st.cpus[0].budget_exhausted == 1);
	CHECK(r.st.cpus[1].processed == 3);
	CHECK(r.st.cpus[1].dropped == 1);
	CHECK(r.st.end_ns == 1400);
	// Per flow: B lost its frame between napi_poll and backlog.
	REQUIRE(r.snap.flow_count() == 2);
	for (std::size_t i = 0; i < r.snap.flow_count(); i++) {
		const flow_key key = r.snap.key_as<flow_key>(i);
		const bool b = key.sport == 5001;
		CHECK(r.snap.at(i, rx_path::napi_poll).packets == (b ? 4u : 1u));
		CHECK(r.snap.at(i, rx_path::backlog).packets == (b ? 3u : 1u));
	}
}

TEST_CASE("another CPU's full backlog: a frame is counted delivered only when no drop can reach it", "[replay]")
{
	// ring 16, 2 CPUs, max_backlog 3, poll 100 ns, stack 1000 ns; ten frames
	// of flow B (CPU 1) at 0.  CPU 0 polls them at 100..1000 and sends each to
	// CPU 1, whose backlog takes B1..B4 (queue 0..3 <= 3) and drops B5..B10.
	// The simulation counts a handed-off frame early when the queue plus the
	// frames ahead of it in the handoff are within max_backlog (B1..B4 here):
	// one frame more and a dropped frame would be counted twice.
	knobs k;
	k.ring = 16;
	k.cpus = 2;
	k.max_backlog = 3;
	k.poll_cost_ns = 100;
	k.cost_ns = 1000;
	scripted src;
	for (int i = 0; i < 10; i++)
		src.add(udp_frame(5001), 0);
	const run_result r = simulate(k, src);
	CHECK(at_stage(r, rx_path::wire) == 10);
	CHECK(at_stage(r, rx_path::napi_poll) == 10);
	CHECK(at_stage(r, rx_path::backlog) == 4);
	CHECK(at_stage(r, rx_path::deliver) == 4);
	CHECK(r.dropped_rows[rx_path::backlog].size() == 6);
	REQUIRE(r.st.cpus.size() == 2);
	CHECK(r.st.cpus[1].processed == 4);
	CHECK(r.st.cpus[1].dropped == 6);
	CHECK(r.st.end_ns == 5000);
}

TEST_CASE("the time limit squeezes a round, computed by hand", "[replay]")
{
	// ring 8, 1 CPU, weight 2, budget 300, time limit 1 us, poll 600 ns, stack 0.
	// Four frames at 0.
	//  round 1 (at 0, limit 1000): NIC: f1 t=600 (backlog NAPI scheduled), f2 t=1200;
	//          2 = weight: repolled; 1200 >= 1000: squeezed (time).
	//  round 2 (at 1200, limit 2200): backlog: f1 f2 delivered (cost 0), 2 = weight:
	//          repolled.  NIC: f3 t=1800, f4 t=2400 (the backlog, already scheduled,
	//          is marked MISSED); repolled; 2400 >= 2200: squeezed (time).
	//  round 3: backlog delivers f3 f4 (repolled); NIC finds the ring empty: completes.
	//  round 4: backlog finds nothing but was MISSED: polled once more in round 5.
	knobs k;
	k.ring = 8;
	k.cpus = 1;
	k.weight = 2;
	k.time_limit_us = 1;
	k.poll_cost_ns = 600;
	k.cost_ns = 0;
	scripted src;
	for (int i = 0; i < 4; i++)
		src.add(udp_frame(5001), 0);
	const run_result r = simulate(k, src);
	CHECK(at_stage(r, rx_path::deliver) == 4);
	CHECK(r.st.cpus[0].time_squeeze == 2);
	CHECK(r.st.cpus[0].time_exhausted == 2);
	CHECK(r.st.cpus[0].budget_exhausted == 0);
	CHECK(r.st.cpus[0].rounds == 5);
	CHECK(r.st.cpus[0].polls == 7);
	CHECK(r.st.end_ns == 2400);
}

TEST_CASE("unclassified frames traverse the ring and can be dropped there", "[replay]")
{
	// An ARP frame has no flow key: it takes a ring slot like any frame.  With
	// a 2-slot ring and 3 frames at once, the third (ARP) is dropped at the ring:
	// a drop, not unclassified.  The first ARP reaches its CPU and ends
	// unclassified (unsupported_l3), never reaching l3.
	knobs k;
	k.ring = 2;
	k.cpus = 1;
	scripted src;
	const bytes arp = builder().eth(0x0806).raw({0, 1, 8, 0, 6, 4, 0, 1}).zeros(20).finish();
	src.add(arp, 0);
	src.add(udp_frame(5001), 0);
	src.add(arp, 0);
	const run_result r = simulate(k, src);
	const outcome o = summarize(r.snap);
	CHECK(o.frames == 3);
	CHECK(o.unclassified == 1);
	CHECK(o.by_status[PKTPATH_UNSUPPORTED_L3] == 1);
	CHECK(o.delivered == 1);
	CHECK(o.dropped == 1);
	CHECK(r.snap.unclassified(PKTPATH_UNSUPPORTED_L3, rx_path::wire).packets == 2);
	CHECK(r.snap.unclassified(PKTPATH_UNSUPPORTED_L3, rx_path::rx_ring).packets == 1);
	CHECK(r.snap.unclassified(PKTPATH_UNSUPPORTED_L3, rx_path::l3).packets == 0);
}

TEST_CASE("frames far apart each take their own interrupt and rounds, computed by hand", "[replay]")
{
	// ring 8, 1 CPU, weight 64, poll 100 ns, stack 1000 ns.  Frames at 0, 50, 5000, 7000.
	//  t=0     f1 enters the ring: irq 1.
	//  round 1 (at 0): NIC: f1 t=100 -> backlog (scheduled); f2 (50) has arrived
	//          meanwhile (ring peak 1): t=200 -> backlog (qlen 1 <= 1000; already
	//          scheduled).  Ring empty: 2 < 64, completes, re-armed.
	//  round 2 (at 200): backlog: f1 at 1200, f2 at 2200; completes.
	//  t=5000  f3 alone: irq 2; round 3: NIC polls it (5100); round 4: delivered at 6100.
	//  t=7000  f4 alone: irq 3; rounds 5 and 6: delivered at 8100.
	knobs k;
	k.ring = 8;
	k.cpus = 1;
	k.poll_cost_ns = 100;
	k.cost_ns = 1000;
	scripted src;
	for (std::uint64_t t : {0, 50, 5000, 7000})
		src.add(udp_frame(5001), t);
	const run_result r = simulate(k, src);
	CHECK(at_stage(r, rx_path::deliver) == 4);
	CHECK(r.st.nic.irqs == 3);
	CHECK(r.st.nic.ring_peak == 1);
	REQUIRE(r.st.cpus.size() == 1);
	CHECK(r.st.cpus[0].rounds == 6);
	CHECK(r.st.cpus[0].polls == 6);
	CHECK(r.st.cpus[0].processed == 4);
	CHECK(r.st.cpus[0].backlog_peak == 2);
	CHECK(r.st.cpus[0].busy_ns == 4 * 100 + 4 * 1000);
	CHECK(r.st.span_ns == 7000);
	CHECK(r.st.end_ns == 8100);
}

TEST_CASE("frames far apart steered to another CPU, computed by hand", "[replay]")
{
	// ring 8, 2 CPUs, weight 64, poll 100 ns, stack 1000 ns.  Flow B (CPU 1) at 0,
	// 500, 10000; flow A (CPU 0) at 20000.  A CPU 1 round waits until CPU 0 has
	// passed its latest end (64 x 1000 ns), so CPU 1 runs after CPU 0 is done:
	//  CPU 0:  B1 irq 1, polled at 100 (IPI 100); B2 irq 2, 600 (IPI 600); B3 irq 3,
	//          10100 (IPI 10100); A irq 4, polled at 20100, delivered at 21100 (2 rounds).
	//  CPU 1:  B1 entered its backlog at 100; round 1 (at 100): B1 delivered at 1100;
	//          B2 (sent at 600) enters the backlog that is being polled (MISSED) and
	//          is delivered at 2100; the poll completes but stays scheduled: round 2
	//          (at 2100) finds nothing.  B3 (10100): round 3, delivered at 11100.
	knobs k;
	k.ring = 8;
	k.cpus = 2;
	k.poll_cost_ns = 100;
	k.cost_ns = 1000;
	scripted src;
	for (std::uint64_t t : {0, 500, 10000})
		src.add(udp_frame(5001), t);
	src.add(udp_frame(5003), 20000);
	const run_result r = simulate(k, src);
	CHECK(at_stage(r, rx_path::deliver) == 4);
	CHECK(r.st.nic.irqs == 4);
	REQUIRE(r.st.cpus.size() == 2);
	CHECK(r.st.cpus[0].rounds == 5);
	CHECK(r.st.cpus[0].polls == 5);
	CHECK(r.st.cpus[0].processed == 1);
	CHECK(r.st.cpus[0].busy_ns == 4 * 100 + 1000);
	CHECK(r.st.cpus[1].rounds == 3);
	CHECK(r.st.cpus[1].polls == 3);
	CHECK(r.st.cpus[1].processed == 3);
	CHECK(r.st.cpus[1].backlog_peak == 1);
	CHECK(r.st.cpus[1].busy_ns == 3 * 1000);
	CHECK(r.st.end_ns == 21100);
}

TEST_CASE("a filter counts only matching frames but replays them all", "[replay]")
{
	// Same burst as the one-CPU scenario, with flow A frames interleaved: the
	// filter keeps B's counts only, while A still occupies the ring.
	knobs k;
	k.ring = 4;
	k.cpus = 1;
	scripted src;
	for (int i = 0; i < 4; i++) {
		src.add(udp_frame(5003), 0);
		src.add(udp_frame(5001), 0);
	}
	flow_filter f;
	char why[96];
	REQUIRE(f.set("sport", "5001", why, sizeof why));
	const run_result r = simulate(k, src, &f);
	CHECK(r.st.frames == 8);
	CHECK(at_stage(r, rx_path::wire) == 4);
	// A1 B1 A2 B2 fill the ring: B3 and B4 are dropped.
	CHECK(at_stage(r, rx_path::rx_ring) == 2);
	CHECK(r.dropped_rows[rx_path::rx_ring].size() == 2);
	CHECK(r.st.nic.rx_missed == 4);
}

TEST_CASE("the bundled captures: conservation, determinism, expected drop sites", "[replay]")
{
	for (const char *name : {"examples/captures/mix.pcap", "examples/captures/drops.pcap"}) {
		INFO(name);
		std::string js[2];
		for (int pass = 0; pass < 2; pass++) {
			capture_feed feed({source_path(name)}, timing{});
			const knobs k;
			table_type t = table_type::create(4096);
			sim_engine e(k, t);
			classifier cls(t, {});
			e.run(feed, cls);
			REQUIRE_FALSE(feed.failed());
			report_data rd;
			rd.st = e.stats();
			rd.files = feed.files();
			rd.snap = table_snapshot(t.view());
			const outcome o = summarize(rd.snap);
			CHECK(o.frames == feed.frames());
			CHECK(o.frames == o.delivered + o.dropped + o.unclassified);
			std::uint64_t by_status = 0;
			for (std::uint64_t n : o.by_status)
				by_status += n;
			CHECK(by_status == o.unclassified);
			if (std::string(name).find("drops") != std::string::npos) {
				CHECK(o.drops[0].frames > 0); // wire -> rx_ring
				CHECK(o.drops[2].frames > 0); // napi_poll -> backlog
				CHECK(o.drops[0].frames == rd.st.nic.rx_missed);
				CHECK(o.drops[2].frames == rd.st.cpus[0].dropped + rd.st.cpus[1].dropped);
				CHECK(o.unclassified == 30);
			} else {
				CHECK(o.dropped == 0);
			}
			js[pass] = report_json(rd);
			// The wall-clock section is the only one that may differ.
			const std::size_t run = js[pass].find(",\"run\":");
			const std::size_t table = js[pass].find(",\"table\":");
			REQUIRE(run != std::string::npos);
			REQUIRE(table != std::string::npos);
			js[pass].erase(run, table - run);
		}
		CHECK(js[0] == js[1]);
	}
}

TEST_CASE("timeline: speed, packet rate, line rate, several files", "[replay]")
{
	timing t;
	REQUIRE(t.parse_speed("2x"));
	timeline a(t);
	CHECK(a.arrival(1000000, 60) == 0);
	CHECK(a.arrival(1001000, 60) == 500);
	CHECK(a.arrival(1000500, 60) == 500); // backwards: with the frame before
	a.start_file();                       // a file that starts later keeps its gap
	CHECK(a.arrival(1005000, 60) == 2500);
	a.start_file(); // one that starts earlier follows back to back
	CHECK(a.arrival(1000000, 60) == 2500);
	CHECK(a.arrival(1000100, 60) == 2550);

	REQUIRE(t.parse_rate("2Mpps"));
	timeline b(t);
	CHECK(b.arrival(77, 60) == 0);
	CHECK(b.arrival(0, 60) == 500);
	CHECK(b.arrival(0, 60) == 1000);

	REQUIRE(t.parse_rate("10Gbps"));
	timeline c(t);
	CHECK(c.arrival(0, 60) == 0);
	CHECK(c.arrival(0, 60) == 67); // 84 bytes at 10 Gbit/s: 67.2 ns
	CHECK(c.arrival(0, 1514) == 134);
	CHECK(c.arrival(0, 60) == 134 + 1230); // 1538 bytes: 1230.4 ns

	CHECK_FALSE(t.parse_speed("fast"));
	CHECK_FALSE(t.parse_speed("0x"));
	CHECK_FALSE(t.parse_rate("1Mbananas"));
	CHECK(t.parse_speed("max"));
	CHECK(t.k == timing::kind::asap);
}

TEST_CASE("flow filter: protocol, prefixes, ports, VLAN", "[replay]")
{
	char why[96];
	auto parsed = [](const bytes &f) {
		return pktpath::parse(f.data(), f.size(), PKTPATH_LINKTYPE_ETHERNET, parse_flags::vlan);
	};
	const auto udp = parsed(udp_frame(5001));
	const auto tagged =
		parsed(builder().eth(0x8100).vlan(42, 0x0800).ipv4(client, server, 6).tcp(1, 443).payload(10).finish());
	const std::array<std::uint8_t, 16> a6 = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
	const std::array<std::uint8_t, 16> b6 = {0x20, 0x01, 0x0d, 0xb9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
	const auto v6 = parsed(builder().eth(0x86dd).ipv6(a6, b6, 17).udp(53, 5353).payload(10).finish());
	const auto arp = parsed(builder().eth(0x0806).raw({0, 1, 8, 0, 6, 4, 0, 1}).zeros(20).finish());

	flow_filter none;
	CHECK(none.empty());
	CHECK(none.match(arp));

	flow_filter f;
	REQUIRE(f.set("proto", "udp", why, sizeof why));
	CHECK(f.match(udp));
	CHECK(f.match(v6));
	CHECK_FALSE(f.match(tagged));
	CHECK_FALSE(f.match(arp));

	flow_filter p;
	REQUIRE(p.set("dst", "203.0.112.0/23", why, sizeof why));
	CHECK(p.match(udp));
	REQUIRE(p.set("dst", "203.0.112.0/24", why, sizeof why));
	CHECK_FALSE(p.match(udp));
	flow_filter h;
	REQUIRE(h.set("host", "2001:db8::/32", why, sizeof why));
	CHECK(h.match(v6)); // source matches
	CHECK_FALSE(h.match(udp));
	REQUIRE(h.set("host", "2001:db9::/32", why, sizeof why));
	CHECK(h.match(v6)); // destination matches
	REQUIRE(h.set("src", "2001:db9::/32", why, sizeof why));
	CHECK_FALSE(h.match(v6));

	flow_filter ports;
	REQUIRE(ports.set("port", "9000", why, sizeof why));
	CHECK(ports.match(udp));
	REQUIRE(ports.set("sport", "5001", why, sizeof why));
	CHECK(ports.match(udp));
	REQUIRE(ports.set("dport", "5001", why, sizeof why));
	CHECK_FALSE(ports.match(udp));

	flow_filter vl;
	REQUIRE(vl.set("vlan", "42", why, sizeof why));
	CHECK(vl.match(tagged));
	CHECK_FALSE(vl.match(udp));
	CHECK(vl.text() == "vlan 42");

	// The filter takes the names reports print (flow/proto.h), and numbers.
	flow_filter ah;
	REQUIRE(ah.set("proto", "ah", why, sizeof why));
	CHECK(ah.text() == "proto 51");
	REQUIRE(ah.set("proto", "ipv6-icmp", why, sizeof why));
	CHECK(ah.text() == "proto 58");
	REQUIRE(ah.set("proto", "132", why, sizeof why));
	CHECK(ah.text() == "proto 132");

	CHECK_FALSE(f.set("proto", "bogus", why, sizeof why));
	CHECK(std::string(why) == "bad proto 'bogus'");
	CHECK_FALSE(f.set("dst", "10.0.0.0/33", why, sizeof why));
	CHECK_FALSE(f.set("port", "65536", why, sizeof why));
	CHECK_FALSE(f.set("colour", "red", why, sizeof why));
	CHECK_FALSE(f.set("proto", "256", why, sizeof why));
	CHECK_FALSE(f.set("vlan", "4096", why, sizeof why));
	CHECK(f.text() == "proto 17"); // refused values leave the filter as it was

	// The criteria in flow/filter.h's order, whatever order they were given in.
	flow_filter all;
	REQUIRE(all.set("vlan", "7", why, sizeof why));
	REQUIRE(all.set("dport", "53", why, sizeof why));
	REQUIRE(all.set("src", "2001:db8::1", why, sizeof why));
	REQUIRE(all.set("proto", "udp", why, sizeof why));
	CHECK(all.text() == "proto 17 and src 2001:db8::1/128 and dport 53 and vlan 7");
	for (unsigned c = 0; c < PKTPATH_FILTER_CRITERIA; c++)
		CHECK(pktpath_filter_criterion_from_name(pktpath_filter_criterion_name(c)) == static_cast<int>(c));
	pktpath_flow_filter raw{};
	const std::uint8_t a4[4] = {10, 0, 0, 0};
	CHECK(pktpath_flow_filter_set_number(&raw, PKTPATH_FILTER_HOST, 1) == -1);
	CHECK(pktpath_flow_filter_set_prefix(&raw, PKTPATH_FILTER_PORT, a4, 4, 8) == -1);
	CHECK(pktpath_flow_filter_set_prefix(&raw, PKTPATH_FILTER_DST, a4, 4, 33) == -1);
	CHECK(pktpath_flow_filter_set_prefix(&raw, PKTPATH_FILTER_DST, a4, 5, 8) == -1);
	CHECK(raw.set == 0);
}

TEST_CASE("the replay's table size follows the captures' size", "[replay]")
{
	CHECK(table_capacity_for(0) == 1024);
	CHECK(table_capacity_for(98304) == 1024); // 768 flows at load 3/4
	CHECK(table_capacity_for(98305 + 128) == 2048);
	CHECK(table_capacity_for(1000000) == 16384); // 10416 flows
	CHECK(table_capacity_for(25000000) == 262144);
	CHECK(table_capacity_for(std::uint64_t{1} << 40) == 262144); // the ceiling
	table_memory mem(table_capacity_for(1000000));
	REQUIRE(mem.ok());
	CHECK(mem.table().capacity() == 16384);
	// An absurd size is refused with a reason, not a crash: 2^30 slots of 176 bytes is 189 GB.
	table_memory huge(1u << 30);
	CHECK_FALSE(huge.ok());
	CHECK(std::string(huge.error_text()).find("out of memory") != std::string::npos);
	table_memory odd(1000); // not a power of two
	CHECK_FALSE(odd.ok());
	CHECK(std::string(odd.error_text()) == pktpath_table_strerror(PKTPATH_TABLE_E_CAPACITY));
}

TEST_CASE("knobs are checked", "[replay]")
{
	knobs k;
	CHECK(k.check() == nullptr);
	k.ring = 500;
	CHECK(k.check() != nullptr);
	k = knobs{};
	k.cpus = 0;
	CHECK(k.check() != nullptr);
	k = knobs{};
	k.weight = 0;
	CHECK(k.check() != nullptr);
}

TEST_CASE("a capture that cannot be read does not stop the others", "[replay]")
{
	capture_feed feed({"/nonexistent.pcap", source_path("examples/captures/mix.pcap")}, timing{});
	capture::frame f;
	std::uint64_t at = 0, n = 0;
	while (feed.next(f, at))
		++n;
	CHECK(n == 316);
	REQUIRE(feed.files().size() == 2);
	CHECK_FALSE(feed.files()[0].opened);
	CHECK(feed.files()[0].err.code == capture::errc::io);
	CHECK(feed.files()[1].frames == 316);
	CHECK(feed.failed());
}

TEST_CASE("reports keep texts of any length whole", "[replay]")
{
	// A capture path longer than any fixed buffer, in every report that names it.
	const std::string dir = "/nonexistent/" + std::string(700, 'd');
	capture_feed feed({dir + "/x.pcap", source_path("examples/captures/mix.pcap")}, timing{});
	table_type t = table_type::create(1024);
	sim_engine e(knobs{}, t);
	classifier cls(t, {});
	e.run(feed, cls);
	report_data rd;
	rd.st = e.stats();
	rd.files = feed.files();
	rd.snap = table_snapshot(t.view());
	const std::string text = report_text(rd), json = report_json(rd);
	CHECK(text.find("  capture  " + dir + "/x.pcap  ") != std::string::npos);
	CHECK(text.find("  capture  " + source_path("examples/captures/mix.pcap") + "  pcap") != std::string::npos);
	CHECK(json.find("{\"file\":\"" + dir + "/x.pcap\",\"format\":") != std::string::npos);
	rd.dump_path = dir + "/drops.pcap";
	CHECK(report_text(rd).find("written to " + dir + "/drops.pcap\n") != std::string::npos);
}

namespace {

// One frame of every kind the classifier tells apart: 40 UDP and 10 TCP
// IPv4 flows, IPv6, the same TCP flow on VLAN 42 and 43, ICMP (no ports), a
// later fragment, and frames without a key: ARP, LLC, encrypted MACsec,
// truncated, malformed.
std::vector<bytes> frame_kinds()
{
	std::vector<bytes> k;
	for (unsigned f = 0; f < 40; f++)
		k.push_back(udp_frame(5000 + f));
	for (unsigned f = 0; f < 10; f++)
		k.push_back(builder().eth(0x0800).ipv4(client, server, 6).tcp(6000 + f, 443).payload(30).finish());
	const std::array<std::uint8_t, 16> a6 = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
	const std::array<std::uint8_t, 16> b6 = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
	k.push_back(builder().eth(0x86dd).ipv6(a6, b6, 17).udp(53, 5353).payload(10).finish());
	for (unsigned vid : {42u, 43u})
		k.push_back(builder()
				    .eth(0x8100)
				    .vlan(vid, 0x0800)
				    .ipv4(client, server, 6)
				    .tcp(7000, 443)
				    .payload(10)
				    .finish());
	k.push_back(builder().eth(0x0800).ipv4(client, server, 1).payload(16).finish());
	k.push_back(builder().eth(0x0800).ipv4(client, server, 17, 0x0010).payload(40).finish());
	k.push_back(builder().eth(0x0806).raw({0, 1, 8, 0, 6, 4, 0, 1}).zeros(20).finish());
	k.push_back(builder().eth(0x0026).raw({0x42, 0x42, 0x03}).zeros(35).finish());
	k.push_back(builder().eth(0x88e5).macsec(0x2c, 0x0800).zeros(40).finish());
	bytes cut = udp_frame(5000);
	cut.resize(30);
	k.push_back(cut);
	bytes bad = udp_frame(5001);
	bad[14 + 2] = 0; // IPv4 total length 10: shorter than its header
	bad[14 + 3] = 10;
	k.push_back(bad);
	return k;
}

std::vector<std::uint8_t> image_bytes(const table_type &t)
{
	return std::vector<std::uint8_t>(static_cast<const std::uint8_t *>(t.data()),
					 static_cast<const std::uint8_t *>(t.data()) + t.size());
}

} // namespace

TEST_CASE("classify() gives what operator() gives frame by frame, in bursts of any size", "[replay]")
{
	const std::vector<bytes> kinds = frame_kinds();
	std::mt19937 rng(9);
	std::vector<capture::frame> frames(400);
	for (std::size_t i = 0; i < frames.size(); i++) {
		const bytes &b = kinds[rng() % kinds.size()];
		capture::frame &f = frames[i];
		f.data = b.data();
		f.caplen = static_cast<std::uint32_t>(b.size());
		f.origlen = f.caplen + (i % 5 == 0 ? 100 : 0);
		f.linktype = PKTPATH_LINKTYPE_ETHERNET;
		f.ts_ns = 1000 * i;
		f.index = i + 1;
	}
	char why[96];
	flow_filter udp_only, vlan42;
	REQUIRE(udp_only.set("proto", "udp", why, sizeof why));
	REQUIRE(vlan42.set("vlan", "42", why, sizeof why));
	std::vector<classifier::options> configs(5);
	configs[1].key_vlan = true;
	configs[2].filter = &udp_only;
	configs[3].filter = &vlan42;
	configs[3].key_vlan = true;
	configs[4].parse_flags = parse_flags::symmetric;

	std::set<unsigned> statuses;
	for (std::size_t c = 0; c < configs.size(); c++) {
		INFO("options " << c);
		// 32 slots for 54 flows: the overflow row too.
		table_type a = table_type::create(32), b = table_type::create(32);
		REQUIRE(a.ok());
		classifier burst(a, configs[c]), single(b, configs[c]);
		std::vector<frame_desc> out(frames.size());
		for (std::size_t done = 0, n = 0; done < frames.size(); done += n) {
			n = std::min<std::size_t>(1 + rng() % 80, frames.size() - done); // bursts of 1..80
			burst.classify(frames.data() + done, out.data() + done, n);
		}
		std::size_t no_row = 0, unclassified = 0, overflow = 0, slots = 0;
		for (std::size_t i = 0; i < frames.size(); i++) {
			INFO("frame " << i);
			const frame_desc d = single(frames[i]);
			REQUIRE(out[i].data == d.data);
			REQUIRE(out[i].ts_ns == d.ts_ns);
			REQUIRE(out[i].row == d.row);
			REQUIRE(out[i].caplen == d.caplen);
			REQUIRE(out[i].origlen == d.origlen);
			REQUIRE(out[i].linktype == d.linktype);
			REQUIRE(out[i].hash == d.hash);
			REQUIRE(out[i].status == d.status);
			statuses.insert(d.status);
			no_row += d.row == frame_desc::no_row;
			unclassified += d.row != frame_desc::no_row && d.row > a.overflow_row();
			overflow += d.row == a.overflow_row();
			slots += d.row < a.overflow_row();
			if (d.row != frame_desc::no_row) {
				a.add(out[i].row, rx_path::wire, out[i].origlen);
				b.add(d.row, rx_path::wire, d.origlen);
			}
		}
		CHECK(slots > 0);
		if (configs[c].filter == nullptr) {
			CHECK(no_row == 0);
			CHECK(unclassified > 0);
			CHECK(overflow > 0);
		} else {
			CHECK(no_row > 0);
		}
		CHECK(image_bytes(a) == image_bytes(b));
	}
	CHECK(statuses.size() == PKTPATH_STATUS_COUNT); // every parse status took part
}
