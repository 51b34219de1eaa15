// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// Stage tables, single thread: counting, rows, table full, unclassified,
// snapshots and intervals, top-N, funnels, shards, the C API against the
// C++ template (byte-identical images), image round trips and corrupt images.
#include <pktpath/table/funnel.hpp>
#include <pktpath/table/image_reader.hpp>
#include <pktpath/table/snapshot.hpp>
#include <pktpath/table/stage_table.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "test_table_util.hpp"

using namespace pktpath;
using table_test::key;
using rx = linux_rx;

namespace {

struct tree {
	enum : unsigned { rx, classify, fwd, local, drop_list };
	static constexpr stage_def stages[] = {
		{"rx", no_pred}, {"classify", rx}, {"fwd", classify}, {"local", classify}, {"drop_list", no_pred}};
};

struct chain3 {
	enum : unsigned { a, b, c };
	static constexpr stage_def stages[] = {{"a", no_pred}, {"b", a}, {"c", b}};
};

// The C parameters of the image stage_table<flow_key, chain3, ...> makes.
pktpath_table_params chain3_params(std::uint32_t capacity, std::uint32_t layout, std::uint32_t shards)
{
	static const char *names[] = {"a", "b", "c"};
	pktpath_table_params p{};
	p.capacity = capacity;
	p.key_size = sizeof(pktpath_flow_key);
	p.key_format = PKTPATH_TABLE_KEY_FLOW;
	p.stage_count = 3;
	p.layout = layout;
	p.shard_count = shards;
	p.stage_names = names;
	return p;
}

std::uint64_t packets_of(const table_snapshot &s, const flow_key &k, unsigned stage)
{
	for (std::size_t i = 0; i < s.flow_count(); i++)
		if (s.key_as<flow_key>(i) == k)
			return s.at(i, stage).packets;
	return 0;
}

// Every stage: flows + overflow + unclassified = what was counted there.
void require_conservation(const table_snapshot &s, const std::vector<std::uint64_t> &counted)
{
	for (unsigned st = 0; st < s.stage_count(); st++) {
		std::uint64_t sum = s.flows_total(st).packets + s.overflow(st).packets;
		for (unsigned r = 0; r < s.status_count(); r++)
			sum += s.unclassified(r, st).packets;
		REQUIRE(sum == s.total(st).packets);
		REQUIRE(sum == counted[st]);
	}
}

struct aligned_buffer {
	std::unique_ptr<void, void (*)(void *)> p;
	explicit aligned_buffer(std::uint64_t n) : p(std::aligned_alloc(64, PKTPATH_TABLE_ALIGN64(n)), std::free) {}
	void *get() const { return p.get(); }
};

} // namespace

TEST_CASE("count, look up and read back one flow per stage", "[table]")
{
	auto t = stage_table<>::create(1024);
	REQUIRE(t.ok());
	REQUIRE(t.capacity() == 1024);
	const flow_key k = key(1), other = key(2);
	for (int i = 0; i < 10; i++)
		t.count(rx::eth_type_trans, k, 100);
	for (int i = 0; i < 7; i++)
		t.count(rx::ip_rcv, k, 60);
	t.count(rx::udp_rcv, other, 1500);

	const image_view v = t.view();
	REQUIRE(v.ok());
	const std::int64_t slot = v.lookup(&k);
	REQUIRE(slot >= 0);
	flow_key read{};
	pktpath_counter c[stage_table<>::stage_count];
	REQUIRE(v.read_slot(static_cast<std::uint64_t>(slot), &read, c));
	CHECK(read == k);
	CHECK(c[rx::eth_type_trans].packets == 10);
	CHECK(c[rx::eth_type_trans].bytes == 1000);
	CHECK(c[rx::napi_gro_receive].packets == 0);
	CHECK(c[rx::ip_rcv].packets == 7);
	CHECK(c[rx::ip_rcv].bytes == 420);
	CHECK(v.lookup(&other) >= 0);
	const flow_key absent = key(3);
	CHECK(v.lookup(&absent) == -1);

	const table_snapshot s(v);
	REQUIRE(s.flow_count() == 2);
	CHECK(s.slot(0) < s.slot(1)); // slot order
	CHECK(packets_of(s, other, rx::udp_rcv) == 1);
	CHECK(s.total(rx::udp_rcv).bytes == 1500);
}

TEST_CASE("a key keeps its row; row() and add() count like count()", "[table]")
{
	auto t = stage_table<flow_key, chain3>::create(64);
	std::set<std::uint64_t> rows;
	for (std::uint32_t i = 0; i < 40; i++)
		rows.insert(t.row(key(i)));
	REQUIRE(rows.size() == 40);
	for (std::uint32_t i = 0; i < 40; i++)
		REQUIRE(t.row(key(i)) == t.row(key(i)));
	const std::uint64_t r = t.row(key(5));
	t.add(r, chain3::a, 10);
	t.add(r, chain3::c, 10);
	t.count(chain3::a, key(5), 10);
	const table_snapshot s(t.view());
	CHECK(s.flow_count() == 40);
	CHECK(packets_of(s, key(5), chain3::a) == 2);
	CHECK(packets_of(s, key(5), chain3::b) == 0);
	CHECK(packets_of(s, key(5), chain3::c) == 1);
}

TEST_CASE("a full table counts the rest in the overflow row", "[table]")
{
	SECTION("every slot taken")
	{
		auto t = stage_table<flow_key, chain3>::create(8);
		REQUIRE(t.view().header().probe_limit == 8);
		std::vector<std::uint64_t> counted(3);
		for (std::uint32_t i = 0; i < 20; i++) {
			t.count(chain3::a, key(i), 64);
			t.count(chain3::b, key(i), 64);
			counted[chain3::a]++;
			counted[chain3::b]++;
		}
		const table_snapshot s(t.view());
		CHECK(s.flow_count() == 8);
		CHECK(s.overflow(chain3::a).packets == 12);
		CHECK(s.overflow(chain3::a).bytes == 12 * 64);
		CHECK(s.overflow(chain3::b).packets == 12);
		CHECK(s.overflow(chain3::c).packets == 0);
		require_conservation(s, counted);
		// A stored key is still found when the table is full.
		CHECK(t.row(s.key_as<flow_key>(0)) == s.slot(0));
		CHECK(t.row(key(1000)) == t.overflow_row());
	}
	SECTION("probe limit reached before the table is full")
	{
		table_options o;
		o.probe_limit = 1; // each key may only use its home slot
		auto t = stage_table<flow_key, chain3>::create(1024, o);
		std::vector<std::uint64_t> counted(3);
		std::set<std::uint64_t> homes;
		std::uint64_t expect_overflow = 0;
		const auto &h = t.view().header();
		for (std::uint32_t i = 0; i < 600; i++) {
			const flow_key k = key(i);
			const std::uint64_t home = pktpath_hash_fast64(&k, sizeof(k), h.hash_seed) & (h.capacity - 1);
			expect_overflow += !homes.insert(home).second;
			t.count(chain3::a, k, 1);
			counted[chain3::a]++;
		}
		const table_snapshot s(t.view());
		REQUIRE(expect_overflow > 0);
		CHECK(s.overflow(chain3::a).packets == expect_overflow);
		CHECK(s.flow_count() == homes.size());
		require_conservation(s, counted);
	}
}

TEST_CASE("packets without a key go to the unclassified row of their status", "[table]")
{
	auto t = stage_table<>::create(64);
	std::vector<std::uint64_t> counted(stage_table<>::stage_count);
	t.count_unclassified(rx::eth_type_trans, PKTPATH_TRUNCATED, 60);
	t.count_unclassified(rx::eth_type_trans, PKTPATH_TRUNCATED, 60);
	t.count_unclassified(rx::eth_type_trans, PKTPATH_UNSUPPORTED_L3, 42);
	t.count_unclassified(rx::netif_receive_skb, PKTPATH_UNSUPPORTED_L3, 42);
	t.count(rx::eth_type_trans, key(1), 100);
	counted[rx::eth_type_trans] = 4;
	counted[rx::netif_receive_skb] = 1;
	const table_snapshot s(t.view());
	REQUIRE(s.status_count() == PKTPATH_STATUS_COUNT);
	CHECK(s.unclassified(PKTPATH_TRUNCATED, rx::eth_type_trans).packets == 2);
	CHECK(s.unclassified(PKTPATH_TRUNCATED, rx::eth_type_trans).bytes == 120);
	CHECK(s.unclassified(PKTPATH_UNSUPPORTED_L3, rx::eth_type_trans).packets == 1);
	CHECK(s.unclassified(PKTPATH_UNSUPPORTED_L3, rx::netif_receive_skb).packets == 1);
	CHECK(s.unclassified(PKTPATH_MALFORMED, rx::eth_type_trans).packets == 0);
	CHECK(s.total(rx::eth_type_trans).bytes == 100 + 120 + 42);
	require_conservation(s, counted);
}

TEST_CASE("top-N ranks by packets or bytes at a stage, ties in slot order", "[table]")
{
	auto t = stage_table<flow_key, chain3>::create(256);
	for (std::uint32_t i = 0; i < 20; i++)
		for (std::uint32_t n = 0; n <= i % 5; n++)
			t.count(chain3::b, key(i), 1000 - 40 * i);
	const table_snapshot s(t.view());
	const auto top = s.top(4, chain3::b);
	REQUIRE(top.size() == 4);
	for (std::size_t n = 0; n < top.size(); n++)
		CHECK(s.at(top[n], chain3::b).packets == 5); // keys 4, 9, 14, 19
	for (std::size_t n = 1; n < top.size(); n++)
		CHECK(s.slot(top[n - 1]) < s.slot(top[n]));
	const auto by_bytes = s.top(1, chain3::b, true);
	CHECK(s.key_as<flow_key>(by_bytes[0]) == key(4)); // 5 x 840 bytes
	CHECK(s.top(100, chain3::b).size() == 20);
}

TEST_CASE("interval reports: deltas since the previous report, nothing lost", "[table]")
{
	auto t = stage_table<flow_key, chain3>::create(128);
	interval_reader iv;
	for (std::uint32_t i = 0; i < 10; i++)
		t.count(chain3::a, key(i), 10);
	t.count_unclassified(chain3::a, PKTPATH_MALFORMED, 5);
	table_snapshot d1 = iv.next(t.view());
	CHECK(d1.flow_count() == 10);
	CHECK(d1.total(chain3::a).packets == 11);

	t.count(chain3::a, key(3), 10);
	t.count(chain3::b, key(3), 10);
	t.count(chain3::a, key(50), 10);
	table_snapshot d2 = iv.next(t.view());
	REQUIRE(d2.flow_count() == 2); // only flows that changed
	CHECK(packets_of(d2, key(3), chain3::a) == 1);
	CHECK(packets_of(d2, key(3), chain3::b) == 1);
	CHECK(packets_of(d2, key(50), chain3::a) == 1);
	CHECK(d2.unclassified(PKTPATH_MALFORMED, chain3::a).packets == 0);

	table_snapshot d3 = iv.next(t.view());
	CHECK(d3.flow_count() == 0);
	CHECK(d3.total(chain3::a).packets == 0);
	// The table itself was never reset.
	CHECK(table_snapshot(t.view()).total(chain3::a).packets == 13);
}

TEST_CASE("funnel: consecutive deltas, alternatives summed, per flow and in total", "[table][funnel]")
{
	auto t = stage_table<>::create(256);
	const flow_key tcp = key(1, 6), udp = key(2, 17);
	auto path = [&](const flow_key &k, unsigned l4, int n_eth, int n_napi, int n_netif, int n_ip, int n_l4) {
		for (int i = 0; i < n_eth; i++)
			t.count(rx::eth_type_trans, k, 100);
		for (int i = 0; i < n_napi; i++)
			t.count(rx::napi_gro_receive, k, 100);
		for (int i = 0; i < n_netif; i++)
			t.count(rx::netif_receive_skb, k, 100);
		for (int i = 0; i < n_ip; i++)
			t.count(rx::ip_rcv, k, 100);
		for (int i = 0; i < n_l4; i++)
			t.count(l4, k, 100);
	};
	path(tcp, rx::tcp_v4_rcv, 100, 100, 63, 63, 60);
	path(udp, rx::udp_rcv, 50, 50, 50, 50, 45);
	const table_snapshot s(t.view());
	const funnel f = make_funnel(s);
	REQUIRE(f.steps.size() == 4); // eth->napi, napi->netif, netif->ip, ip->tcp|udp
	CHECK(describe_step(s, f.steps[1], f.steps[1].lost) ==
	      "lost between napi_gro_receive and netif_receive_skb: 37");
	CHECK(f.steps[1].flows_losing == 1);
	CHECK(f.steps[0].lost == 0);
	CHECK(f.steps[3].from == rx::ip_rcv);
	CHECK(f.steps[3].to_mask == ((1u << rx::tcp_v4_rcv) | (1u << rx::udp_rcv)));
	CHECK(step_targets(s, f.steps[3]) == "tcp_v4_rcv|udp_rcv");
	CHECK(f.steps[3].in == 113);
	CHECK(f.steps[3].out == 105);
	CHECK(f.steps[3].lost == 8); // not 113 - 60 nor 113 - 45: the L4 stages are alternatives
	CHECK(f.steps[3].flows_losing == 2);

	const auto steps = funnel_steps(s);
	for (std::size_t i = 0; i < s.flow_count(); i++) {
		const auto lost = flow_losses(s, i, steps);
		if (s.key_as<flow_key>(i) == tcp)
			CHECK(lost == std::vector<std::int64_t>{0, 37, 0, 3});
		else
			CHECK(lost == std::vector<std::int64_t>{0, 0, 0, 5});
	}
	const auto worst = top_losing(s, 5);
	REQUIRE(worst.size() == 2);
	CHECK(s.key_as<flow_key>(worst[0]) == tcp);
}

TEST_CASE("funnel steps follow the declared predecessors", "[table][funnel]")
{
	auto t = stage_table<flow_key, tree>::create(16);
	t.count(tree::rx, key(1), 1);
	t.count(tree::rx, key(1), 1);
	t.count(tree::classify, key(1), 1);
	t.count(tree::classify, key(1), 1);
	t.count(tree::local, key(1), 1);
	const table_snapshot s(t.view());
	const auto steps = funnel_steps(s);
	REQUIRE(steps.size() == 2); // the leaves and the second root have no successor
	CHECK(steps[0].from == tree::rx);
	CHECK(steps[1].to_mask == ((1u << tree::fwd) | (1u << tree::local)));
	CHECK(flow_losses(s, 0, steps) == std::vector<std::int64_t>{0, 1});
}

TEST_CASE("per-writer counters: one plane per shard, summed by readers", "[table][shard]")
{
	using per_writer = stage_table<flow_key, chain3, per_writer_counters>;
	STATIC_REQUIRE(per_writer::slot_size == 48); // meta + key; counters live in the planes
	table_options o;
	o.shards = 4;
	auto t = per_writer::create(256, o);
	REQUIRE(t.ok());
	REQUIRE(t.shards() == 4);
	std::vector<std::uint64_t> counted(3);
	for (unsigned shard = 0; shard < 4; shard++)
		for (std::uint32_t i = 0; i < 50; i++) {
			t.count(chain3::a, key(i), 10 + shard, shard);
			counted[chain3::a]++;
		}
	t.count_unclassified(chain3::b, PKTPATH_TRUNCATED, 7, 3);
	counted[chain3::b]++;
	const table_snapshot s(t.view());
	REQUIRE(s.flow_count() == 50);
	for (std::size_t i = 0; i < s.flow_count(); i++) {
		CHECK(s.at(i, chain3::a).packets == 4);
		CHECK(s.at(i, chain3::a).bytes == 10 + 11 + 12 + 13);
	}
	require_conservation(s, counted);
	const auto &h = t.view().header();
	CHECK(h.layout == PKTPATH_TABLE_PER_WRITER_COUNTERS);
	CHECK(h.plane_size == PKTPATH_TABLE_ALIGN64((256ull + 1 + PKTPATH_STATUS_COUNT) * 3 * 16));

	table_options bad;
	bad.shards = 2;
	CHECK(stage_table<flow_key, chain3>::create(64, bad).error() == PKTPATH_TABLE_E_SHARDS);
}

TEST_CASE("image sizes and bytes per slot", "[table]")
{
	STATIC_REQUIRE(stage_table<>::slot_size == 144);
	STATIC_REQUIRE(stage_table<ipv4_5tuple>::slot_size == 8 + 16 + 6 * 16);
	const std::uint64_t n = stage_table<>::image_size(1u << 16);
	CHECK(n == 640 + (1ull << 16) * 144 + PKTPATH_TABLE_ALIGN64((1 + PKTPATH_STATUS_COUNT) * 96));
	CHECK(stage_table<>::image_size(1000) == 0);
	CHECK(stage_table<>::create(1000).error() == PKTPATH_TABLE_E_CAPACITY);
	CHECK(stage_table<>::create(1u << 31).error() == PKTPATH_TABLE_E_CAPACITY); // above the format's 2^30
	// The largest the format allows is 154 GB: refused for memory, with a reason, not a crash.
	const auto huge = stage_table<>::create(PKTPATH_TABLE_MAX_CAPACITY);
	CHECK_FALSE(huge.ok());
	CHECK(huge.error() == PKTPATH_TABLE_E_NOMEM);
	CHECK(std::string(huge.error_text()) == "out of memory");
	table_options o;
	o.probe_limit = 65;
	CHECK(stage_table<>::create(64, o).error() == PKTPATH_TABLE_E_PROBE_LIMIT);
}

TEST_CASE("tables in caller memory; attach checks key, stages and layout", "[table][image]")
{
	const std::uint64_t n = stage_table<>::image_size(128);
	aligned_buffer mem(n + 64);
	CHECK(stage_table<>::format(mem.get(), n - 1, 128).error() == PKTPATH_TABLE_E_SHORT);
	CHECK(stage_table<>::format(static_cast<char *>(mem.get()) + 4, n, 128).error() == PKTPATH_TABLE_E_ALIGN);

	auto writer = stage_table<>::format(mem.get(), n, 128);
	REQUIRE(writer.ok());
	writer.count(rx::ip_rcv, key(9), 99);
	auto other = stage_table<>::attach(mem.get(), n); // e.g. another process mapping the same memory
	REQUIRE(other.ok());
	other.count(rx::ip_rcv, key(9), 1);
	CHECK(packets_of(table_snapshot(writer.view()), key(9), rx::ip_rcv) == 2);

	CHECK(stage_table<flow_key, chain3>::attach(mem.get(), n).error() == PKTPATH_TABLE_E_MISMATCH);
	CHECK(stage_table<ipv6_5tuple>::attach(mem.get(), n).ok()); // same bytes, same format
	CHECK(stage_table<ipv4_5tuple>::attach(mem.get(), n).error() == PKTPATH_TABLE_E_MISMATCH);
	CHECK(stage_table<flow_key, linux_rx, per_writer_counters>::attach(mem.get(), n).error() ==
	      PKTPATH_TABLE_E_MISMATCH);
	CHECK(stage_table<>::attach(mem.get(), n - 1).error() == PKTPATH_TABLE_E_SHORT);
}

namespace {

// The same key stream through the C API and the C++ template.
template <class Table>
void feed_both(Table &cxx, pktpath_table_header *c, unsigned shards)
{
	std::mt19937 rng(7);
	std::vector<flow_key> keys;
	std::vector<std::uint32_t> lens;
	for (int p = 0; p < 20000; p++) {
		const std::uint32_t i = rng() % 700; // more keys than slots: overflow too
		const unsigned stage = rng() % Table::stage_count, shard = rng() % shards;
		const std::uint32_t len = 60 + rng() % 1400;
		if (rng() % 50 == 0) {
			const unsigned status = 3 + rng() % 4;
			cxx.count_unclassified(stage, status, len, shard);
			REQUIRE(pktpath_table_count_unclassified(c, shard, stage, status, len) == 0);
		} else if (rng() % 10 == 0) {
			// a burst on the C++ side, single packets on the C side
			keys.clear();
			lens.clear();
			for (int b = 0; b < 40; b++) {
				keys.push_back(key(rng() % 700));
				lens.push_back(len);
				REQUIRE(pktpath_table_count(c, shard, stage, &keys.back(), len) == 0);
			}
			cxx.count_burst(stage, keys.data(), lens.data(), static_cast<std::uint32_t>(keys.size()),
					shard);
		} else {
			const flow_key k = key(i);
			cxx.count(stage, k, len, shard);
			REQUIRE(pktpath_table_count(c, shard, stage, &k, len) == 0);
		}
	}
}

} // namespace

TEST_CASE("the C functions and the C++ template write byte-identical images", "[table][image]")
{
	SECTION("default layout")
	{
		auto cxx = stage_table<>::create(512);
		const char *names[] = {"eth_type_trans", "napi_gro_receive", "netif_receive_skb",
				       "ip_rcv",         "tcp_v4_rcv",       "udp_rcv"};
		const std::uint8_t preds[] = {PKTPATH_TABLE_NO_PRED, 0, 1, 2, 3, 3};
		pktpath_table_params p{};
		p.capacity = 512;
		p.key_size = sizeof(pktpath_flow_key);
		p.key_format = PKTPATH_TABLE_KEY_FLOW;
		p.stage_count = 6;
		p.layout = PKTPATH_TABLE_SHARED_COUNTERS;
		p.shard_count = 1;
		p.stage_names = names;
		p.stage_pred = preds;
		REQUIRE(pktpath_table_size(&p) == cxx.size());
		aligned_buffer c(cxx.size());
		REQUIRE(pktpath_table_init(c.get(), cxx.size(), &p) == PKTPATH_TABLE_OK);
		REQUIRE(std::memcmp(c.get(), cxx.data(), cxx.size()) == 0); // same empty image
		feed_both(cxx, static_cast<pktpath_table_header *>(c.get()), 1);
		const table_snapshot s(cxx.view());
		CHECK(s.flow_count() == 512);
		CHECK(s.overflow(0).packets > 0);
		CHECK(std::memcmp(c.get(), cxx.data(), cxx.size()) == 0);
	}
	SECTION("per-writer counters, chain stage set (NULL predecessors)")
	{
		table_options o;
		o.shards = 3;
		o.hash_seed = 0x1234;
		o.probe_limit = 16;
		auto cxx = stage_table<flow_key, chain3, per_writer_counters>::create(1024, o);
		pktpath_table_params p = chain3_params(1024, PKTPATH_TABLE_PER_WRITER_COUNTERS, 3);
		p.probe_limit = 16;
		p.hash_seed = 0x1234;
		aligned_buffer c(cxx.size());
		REQUIRE(pktpath_table_init(c.get(), cxx.size(), &p) == PKTPATH_TABLE_OK);
		feed_both(cxx, static_cast<pktpath_table_header *>(c.get()), 3);
		CHECK(std::memcmp(c.get(), cxx.data(), cxx.size()) == 0);
	}
}

TEST_CASE("image round trip through a file and a byte buffer", "[table][image]")
{
	table_options o;
	o.shards = 2;
	auto t = stage_table<ipv4_5tuple, linux_rx, per_writer_counters>::create(64, o);
	for (std::uint32_t i = 0; i < 100; i++) // more flows than slots
		t.count(i % 6, table_test::key4(i % 80), 100 + i, i % 2);
	t.count_unclassified(rx::eth_type_trans, PKTPATH_MALFORMED, 33, 1);
	const table_snapshot before(t.view());

	std::FILE *f = std::tmpfile();
	REQUIRE(f);
	REQUIRE(t.view().save(f) == PKTPATH_TABLE_OK);
	std::rewind(f);
	const table_image img = table_image::from_file(f);
	std::fclose(f);
	REQUIRE(img.ok());
	const table_snapshot after(img.view());
	REQUIRE(after.flow_count() == before.flow_count());
	CHECK(after.key_format() == PKTPATH_TABLE_KEY_IPV4);
	for (std::size_t i = 0; i < before.flow_count(); i++) {
		CHECK(after.slot(i) == before.slot(i));
		CHECK(after.key_as<ipv4_5tuple>(i) == before.key_as<ipv4_5tuple>(i));
		for (unsigned st = 0; st < before.stage_count(); st++) {
			CHECK(after.at(i, st).packets == before.at(i, st).packets);
			CHECK(after.at(i, st).bytes == before.at(i, st).bytes);
		}
	}
	for (unsigned st = 0; st < before.stage_count(); st++) {
		CHECK(after.total(st).packets == before.total(st).packets);
		CHECK(after.overflow(st).bytes == before.overflow(st).bytes);
	}
	CHECK(after.unclassified(PKTPATH_MALFORMED, 0).bytes == 33);
	// The reader finds keys by hash in the copy, as in the original.
	const ipv4_5tuple k = table_test::key4(5);
	CHECK(img.view().lookup(&k) == t.view().lookup(&k));

	// From an unaligned byte buffer: the reader copies before validating.
	std::vector<char> bytes(1, 0);
	bytes.insert(bytes.end(), static_cast<const char *>(t.data()), static_cast<const char *>(t.data()) + t.size());
	const table_image from_buf = table_image::from_buffer(bytes.data() + 1, t.size());
	REQUIRE(from_buf.ok());
	CHECK(table_snapshot(from_buf.view()).total(rx::eth_type_trans).packets ==
	      before.total(rx::eth_type_trans).packets);

	CHECK(table_image::from_file("/nonexistent/pktpath.img").error() == PKTPATH_TABLE_E_IO);
}

TEST_CASE("corrupt images are refused with a clear error", "[table][image]")
{
	auto t = stage_table<>::create(64);
	t.count(rx::ip_rcv, key(1), 100);
	const std::vector<std::uint8_t> good(static_cast<const std::uint8_t *>(t.data()),
					     static_cast<const std::uint8_t *>(t.data()) + t.size());
	auto check = [&](auto mutate, std::size_t len) {
		std::vector<std::uint8_t> b = good;
		auto *h = reinterpret_cast<pktpath_table_header *>(b.data());
		mutate(*h);
		const table_image img = table_image::from_buffer(b.data(), len);
		CHECK_FALSE(img.ok());
		CHECK(std::strlen(img.error_text()) > 0);
		return img.error();
	};
	auto nothing = [](pktpath_table_header &) {};
	CHECK(check(nothing, 0) == PKTPATH_TABLE_E_SHORT);
	CHECK(check(nothing, 7) == PKTPATH_TABLE_E_SHORT);
	CHECK(check(nothing, sizeof(pktpath_table_header) - 1) == PKTPATH_TABLE_E_SHORT);
	CHECK(check(nothing, good.size() - 1) == PKTPATH_TABLE_E_SHORT);
	CHECK(check([](pktpath_table_header &h) { h.magic ^= 1; }, good.size()) == PKTPATH_TABLE_E_MAGIC);
	CHECK(check([](pktpath_table_header &h) { h.magic = __builtin_bswap64(h.magic); }, good.size()) ==
	      PKTPATH_TABLE_E_BYTE_ORDER);
	CHECK(check([](pktpath_table_header &h) { h.version = 2; }, good.size()) == PKTPATH_TABLE_E_VERSION);
	CHECK(check([](pktpath_table_header &h) { h.header_size = 512; }, good.size()) == PKTPATH_TABLE_E_HEADER);
	CHECK(check([](pktpath_table_header &h) { h.reserved1[3] = 1; }, good.size()) == PKTPATH_TABLE_E_HEADER);
	CHECK(check([](pktpath_table_header &h) { h.capacity = 96; }, good.size()) == PKTPATH_TABLE_E_CAPACITY);
	CHECK(check([](pktpath_table_header &h) { h.capacity = 0; }, good.size()) == PKTPATH_TABLE_E_CAPACITY);
	CHECK(check([](pktpath_table_header &h) { h.probe_limit = 0; }, good.size()) == PKTPATH_TABLE_E_PROBE_LIMIT);
	CHECK(check([](pktpath_table_header &h) { h.key_size = 16; }, good.size()) == PKTPATH_TABLE_E_KEY);
	CHECK(check([](pktpath_table_header &h) { h.stage_count = 17; }, good.size()) == PKTPATH_TABLE_E_STAGES);
	CHECK(check([](pktpath_table_header &h) { std::memset(h.stage_names[2], 'x', PKTPATH_TABLE_NAME_LEN); },
		    good.size()) == PKTPATH_TABLE_E_STAGE_NAME);
	CHECK(check([](pktpath_table_header &h) { h.stage_names[1][0] = '\0'; }, good.size()) ==
	      PKTPATH_TABLE_E_STAGE_NAME);
	CHECK(check([](pktpath_table_header &h) { h.stage_pred[2] = 4; }, good.size()) == PKTPATH_TABLE_E_STAGE_PRED);
	CHECK(check([](pktpath_table_header &h) { h.status_count = 0; }, good.size()) == PKTPATH_TABLE_E_STATUS);
	CHECK(check([](pktpath_table_header &h) { h.layout = 7; }, good.size()) == PKTPATH_TABLE_E_LAYOUT);
	CHECK(check([](pktpath_table_header &h) { h.shard_count = 2; }, good.size()) == PKTPATH_TABLE_E_SHARDS);
	CHECK(check([](pktpath_table_header &h) { h.slot_size += 8; }, good.size()) == PKTPATH_TABLE_E_GEOMETRY);
	CHECK(check([](pktpath_table_header &h) { h.rows_offset = 1ull << 40; }, good.size()) ==
	      PKTPATH_TABLE_E_GEOMETRY);
	// Larger geometry, consistently rewritten: the declared size exceeds the buffer.
	CHECK(check(
		      [](pktpath_table_header &h) {
			      h.capacity = 1u << 20;
			      pktpath_table_geometry(&h);
		      },
		      good.size()) == PKTPATH_TABLE_E_SHORT);

	// Random damage anywhere in the header: refused or still safe to read (ASan watches).
	std::mt19937 rng(1);
	for (int round = 0; round < 2000; round++) {
		std::vector<std::uint8_t> b = good;
		for (int n = 0; n < 1 + round % 4; n++)
			b[rng() % sizeof(pktpath_table_header)] ^= static_cast<std::uint8_t>(1u << (rng() % 8));
		const table_image img = table_image::from_buffer(b.data(), b.size());
		if (img.ok())
			CHECK(table_snapshot(img.view()).flow_count() <= img.view().capacity());
	}
}

namespace {

struct sixteen {
	static constexpr stage_def stages[] = {{"s0", no_pred}, {"s1", 0},   {"s2", 1},   {"s3", 2},
					       {"s4", 3},       {"s5", 4},   {"s6", 5},   {"s7", 6},
					       {"s8", 7},       {"s9", 8},   {"s10", 9},  {"s11", 10},
					       {"s12", 11},     {"s13", 12}, {"s14", 13}, {"s15", 14}};
};

// Two tables of the same shape fed the same key stream: rows() in bursts of
// every size 1..100 on one, row() key by key on the other.  Returns how many
// keys went to the overflow row and how many repeated a key of their burst.
template <class Table>
std::pair<std::size_t, std::size_t> rows_against_row(Table &burst, Table &single, std::uint32_t universe,
						     std::size_t packets)
{
	std::mt19937 rng(11);
	std::vector<flow_key> keys;
	std::vector<std::uint64_t> rows;
	std::size_t overflow = 0, repeats = 0;
	for (std::size_t done = 0; done < packets; done += keys.size()) {
		const std::uint32_t n = 1 + rng() % 100; // multiples of the burst and not
		keys.clear();
		std::set<std::uint32_t> seen;
		for (std::uint32_t i = 0; i < n; i++) {
			const std::uint32_t k = rng() % universe;
			repeats += !seen.insert(k).second;
			keys.push_back(key(k));
		}
		rows.assign(n, ~std::uint64_t{0});
		burst.rows(keys.data(), n, rows.data());
		for (std::uint32_t i = 0; i < n; i++) {
			INFO("burst of " << n << ", key " << i);
			REQUIRE(rows[i] == single.row(keys[i]));
			overflow += rows[i] == single.overflow_row();
		}
	}
	return {overflow, repeats};
}

// Set from the test: the slot whose insert a "preempted inserter" completes
// when the prober's wait function is called for the second time.
struct pending_insert {
	std::uint64_t *meta = nullptr;
	std::uint64_t full = 0;
	unsigned waits = 0;
} g_pending;

int publish_on_second_wait(unsigned attempt)
{
	g_pending.waits++;
	if (attempt == 1)
		__atomic_store_n(g_pending.meta, g_pending.full, __ATOMIC_RELEASE);
	return 1;
}

// A byte-exact copy of a table's image.
std::vector<std::uint8_t> image_of(const void *data, std::uint64_t size)
{
	return std::vector<std::uint8_t>(static_cast<const std::uint8_t *>(data),
					 static_cast<const std::uint8_t *>(data) + size);
}

} // namespace

TEST_CASE("rows() gives what row() gives key by key: repeats in a burst, a full table", "[table][burst]")
{
	SECTION("shared counters, driven past full")
	{
		auto a = stage_table<flow_key, chain3>::create(64), b = stage_table<flow_key, chain3>::create(64);
		const auto r = rows_against_row(a, b, 150, 5000);
		CHECK(r.first > 0);  // keys went to the overflow row
		CHECK(r.second > 0); // and keys repeated within a burst
		CHECK(table_snapshot(a.view()).flow_count() == 64);
		CHECK(image_of(a.data(), a.size()) == image_of(b.data(), b.size()));
	}
	SECTION("per-writer counters, probe limit reached before full")
	{
		table_options o;
		o.shards = 2;
		o.probe_limit = 2;
		o.hash_seed = 99;
		using per_writer = stage_table<flow_key, chain3, per_writer_counters>;
		auto a = per_writer::create(256, o), b = per_writer::create(256, o);
		const auto r = rows_against_row(a, b, 300, 5000);
		CHECK(r.first > 0);
		CHECK(r.second > 0);
		CHECK(table_snapshot(a.view()).flow_count() < 256);
		CHECK(image_of(a.data(), a.size()) == image_of(b.data(), b.size()));
	}
	SECTION("the C call on a C image")
	{
		auto cxx = stage_table<flow_key, chain3>::create(32);
		const pktpath_table_params p = chain3_params(32, PKTPATH_TABLE_SHARED_COUNTERS, 1);
		aligned_buffer c(cxx.size());
		REQUIRE(pktpath_table_init(c.get(), cxx.size(), &p) == PKTPATH_TABLE_OK);
		auto *h = static_cast<pktpath_table_header *>(c.get());
		std::vector<flow_key> keys; // 45 keys for 32 slots, every third twice in a row, then 0..9 again: 70
		for (std::uint32_t i = 0; i < 45; i++)
			for (std::uint32_t n = 0; n < (i % 3 == 0 ? 2u : 1u); n++)
				keys.push_back(key(i));
		for (std::uint32_t i = 0; i < 10; i++)
			keys.push_back(key(i));
		REQUIRE(keys.size() == 70);
		std::vector<std::uint64_t> rows(keys.size());
		pktpath_table_rows_burst(h, keys.data(), static_cast<std::uint32_t>(keys.size()), rows.data());
		std::size_t overflow = 0;
		for (std::size_t i = 0; i < keys.size(); i++) {
			REQUIRE(rows[i] == cxx.row(keys[i]));
			overflow += rows[i] == 32;
		}
		CHECK(overflow == 13 + 4); // keys 32..44 (33, 36, 39, 42 twice): 0..31 took the slots
		CHECK(std::memcmp(c.get(), cxx.data(), cxx.size()) == 0);
	}
}

TEST_CASE("rows() waits for an unpublished insert of its hash as row() does", "[table][burst]")
{
	// A slot claimed (BUSY with K's tag) but not yet published: the inserter
	// was preempted.  Both look-ups spin, give up (contended), call the wait
	// function and probe again; the second wait publishes K there.
	const flow_key k = key(7);
	std::vector<flow_key> burst = {key(1), k, key(2), k, key(3)};
	std::vector<std::uint64_t> rows[2];
	std::vector<std::uint8_t> images[2];
	std::uint64_t home = 0;
	for (int by_burst = 0; by_burst < 2; by_burst++) {
		auto t = stage_table<flow_key, chain3>::create(64);
		auto *h = static_cast<pktpath_table_header *>(t.data());
		pktpath_table_geom g;
		pktpath_table_geom_of(h, &g);
		g.wait = publish_on_second_wait;
		const std::uint64_t hash = pktpath_hash_fast64(&k, sizeof k, h->hash_seed);
		home = hash & g.mask;
		std::uint8_t *slot = g.slots + home * g.slot_size;
		std::memcpy(slot + PKTPATH_TABLE_KEY_OFFSET, &k, sizeof k);
		g_pending.meta = reinterpret_cast<std::uint64_t *>(slot);
		g_pending.full = (hash & ~PKTPATH_SLOT_STATE) | PKTPATH_SLOT_FULL;
		g_pending.waits = 0;
		*g_pending.meta = (hash & ~PKTPATH_SLOT_STATE) | PKTPATH_SLOT_BUSY;
		rows[by_burst].resize(burst.size());
		if (by_burst) {
			pktpath_table_rows_burst_(&g, burst.data(), static_cast<std::uint32_t>(burst.size()),
						  rows[1].data());
		} else {
			for (std::size_t i = 0; i < burst.size(); i++)
				rows[0][i] = pktpath_table_row_(&g, &burst[i],
								pktpath_hash_fast64(&burst[i], sizeof k, h->hash_seed));
		}
		CHECK(g_pending.waits == 2);
		images[by_burst] = image_of(t.data(), t.size());
	}
	CHECK(rows[1] == rows[0]);
	CHECK(rows[1][1] == home);
	CHECK(rows[1][3] == home);
	CHECK(images[1] == images[0]);

	// Without a wait function (the C API, the kernel) the packet goes to the overflow row.
	auto t = stage_table<flow_key, chain3>::create(64);
	auto *h = static_cast<pktpath_table_header *>(t.data());
	const std::uint64_t hash = pktpath_hash_fast64(&k, sizeof k, h->hash_seed);
	*reinterpret_cast<std::uint64_t *>(reinterpret_cast<std::uint8_t *>(h) + h->slots_offset +
					   (hash & (h->capacity - 1)) * h->slot_size) =
		(hash & ~PKTPATH_SLOT_STATE) | PKTPATH_SLOT_BUSY;
	std::uint64_t r[5];
	pktpath_table_rows_burst(h, burst.data(), 5, r);
	CHECK(r[1] == t.overflow_row());
	CHECK(r[3] == t.overflow_row());
	CHECK(r[0] != t.overflow_row());
}

namespace {

// add_stages() on one table, the same packets as add() per set bit on a
// twin: the images must be byte-identical.  Rows: slots, the overflow row,
// unclassified rows.
template <class Table>
void add_stages_against_add(Table &multi, Table &single, unsigned shards)
{
	std::mt19937 rng(3);
	std::vector<std::uint64_t> rows;
	for (std::uint32_t i = 0; i < 40; i++) {
		rows.push_back(multi.row(key(i)));
		REQUIRE(single.row(key(i)) == rows.back());
	}
	rows.push_back(multi.overflow_row());
	for (unsigned s = 0; s < PKTPATH_TABLE_STATUS_COUNT; s++)
		rows.push_back(multi.unclassified_row(s));
	const std::uint32_t all = (1u << Table::stage_count) - 1;
	for (int p = 0; p < 5000; p++) {
		const std::uint64_t row = rows[rng() % rows.size()];
		const std::uint32_t mask = p % 50 == 0   ? all
					   : p % 50 == 1 ? 0
							 : static_cast<std::uint32_t>(rng()) & all;
		const std::uint64_t bytes = 60 + rng() % 1400;
		const unsigned shard = rng() % shards;
		multi.add_stages(row, mask, bytes, shard);
		for (unsigned st = 0; st < Table::stage_count; st++)
			if (mask & (1u << st))
				single.add(row, st, bytes, shard);
	}
	CHECK(image_of(multi.data(), multi.size()) == image_of(single.data(), single.size()));
	CHECK(table_snapshot(multi.view()).total(Table::stage_count - 1).packets > 0);
}

} // namespace

TEST_CASE("add_stages() counts like add() at each stage of the mask", "[table][stages]")
{
	SECTION("shared counters, six stages")
	{
		auto a = stage_table<>::create(64), b = stage_table<>::create(64);
		add_stages_against_add(a, b, 1);
	}
	SECTION("shared counters, sixteen stages (the largest mask)")
	{
		auto a = stage_table<flow_key, sixteen>::create(32), b = stage_table<flow_key, sixteen>::create(32);
		add_stages_against_add(a, b, 1); // 40 keys in 32 slots: the overflow row too
	}
	SECTION("per-writer counters, three shards")
	{
		table_options o;
		o.shards = 3;
		using per_writer = stage_table<flow_key, chain3, per_writer_counters>;
		auto a = per_writer::create(128, o), b = per_writer::create(128, o);
		add_stages_against_add(a, b, 3);
	}
	SECTION("per-writer counters, sixteen stages")
	{
		table_options o;
		o.shards = 2;
		using per_writer = stage_table<flow_key, sixteen, per_writer_counters>;
		auto a = per_writer::create(64, o), b = per_writer::create(64, o);
		add_stages_against_add(a, b, 2);
	}
}

TEST_CASE("the C add_stages call: as add() per stage, range checks", "[table][stages][image]")
{
	table_options o;
	o.shards = 2;
	auto cxx = stage_table<flow_key, chain3, per_writer_counters>::create(64, o);
	const pktpath_table_params p = chain3_params(64, PKTPATH_TABLE_PER_WRITER_COUNTERS, 2);
	aligned_buffer c(cxx.size());
	REQUIRE(pktpath_table_init(c.get(), cxx.size(), &p) == PKTPATH_TABLE_OK);
	auto *h = static_cast<pktpath_table_header *>(c.get());

	std::mt19937 rng(5);
	for (int n = 0; n < 2000; n++) {
		const flow_key k = key(rng() % 100); // past full: the overflow row too
		std::uint64_t row;
		pktpath_table_rows_burst(h, &k, 1, &row);
		REQUIRE(row == cxx.row(k));
		if (n % 10 == 0)
			row = cxx.unclassified_row(rng() % PKTPATH_TABLE_STATUS_COUNT);
		const std::uint32_t mask = rng() % 8, shard = rng() % 2;
		REQUIRE(pktpath_table_add_stages(h, shard, row, mask, n) == 0);
		for (unsigned st = 0; st < 3; st++)
			if (mask & (1u << st))
				cxx.add(row, st, static_cast<std::uint64_t>(n), shard);
	}
	CHECK(table_snapshot(cxx.view()).overflow(chain3::a).packets > 0);
	REQUIRE(std::memcmp(c.get(), cxx.data(), cxx.size()) == 0);

	// Out of range: refused, nothing written.
	const std::uint64_t last = 64 + PKTPATH_TABLE_STATUS_COUNT; // the last unclassified row
	CHECK(pktpath_table_add_stages(h, 0, 0, 1u << 3, 1) == -1);
	CHECK(pktpath_table_add_stages(h, 0, 0, 0x80000000u, 1) == -1);
	CHECK(pktpath_table_add_stages(h, 2, 0, 1, 1) == -1);
	CHECK(pktpath_table_add_stages(h, 0, last + 1, 1, 1) == -1);
	CHECK(std::memcmp(c.get(), cxx.data(), cxx.size()) == 0);
	CHECK(pktpath_table_add_stages(h, 1, last, 7, 1) == 0);
	CHECK(pktpath_table_add_stages(h, 1, 0, 0, 1) == 0); // an empty mask counts nothing
	cxx.add_stages(last, 7, 1, 1);
	CHECK(std::memcmp(c.get(), cxx.data(), cxx.size()) == 0);
}

// A module looks a stage set up by name (C); C++ makes a type of the same list: both agree.
template <class Set>
static void check_c_set(const char *name)
{
	const pktpath_stage_set *c = pktpath_stage_set_find(name);
	REQUIRE(c != nullptr);
	REQUIRE(c->count == pktpath::stage_count_v<Set>);
	for (unsigned i = 0; i < c->count; i++) {
		CHECK(std::string(c->stages[i].name) == Set::stages[i].name);
		CHECK(c->stages[i].pred == Set::stages[i].pred);
	}
}

TEST_CASE("the C stage sets by name are the C++ stage sets", "[table][stages]")
{
	static_assert(pktpath::valid_stage_set<pktpath::driver_rx>(), "driver_rx: a valid image stage set");
	check_c_set<pktpath::linux_rx>("linux_rx");
	check_c_set<pktpath::kernel_rx>("kernel_rx");
	check_c_set<pktpath::driver_rx>("driver_rx");
	CHECK(pktpath_stage_set_find("no_such_set") == nullptr);
	// The driver's stages have no probe points; ring_full is a second root (refused frames are not enqueued).
	const pktpath_stage_set *d = pktpath_stage_set_find("driver_rx");
	CHECK(std::string(d->stages[pktpath::driver_rx::ring_full].probes).empty());
	CHECK(d->stages[pktpath::driver_rx::ring_full].pred == -1);
	CHECK(d->stages[pktpath::driver_rx::napi_poll].pred == static_cast<int>(pktpath::driver_rx::ring_enqueue));
	CHECK(std::string(d->stages[pktpath::driver_rx::ip_rcv].probes) == PKTPATH_PROBES_IP_RCV);
}
