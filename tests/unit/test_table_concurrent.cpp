// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// Stage tables under concurrency (run under TSan in CI): racing inserts of
// the same keys, exact totals, and a reader that checks the conservation
// law and snapshot consistency while writers run, for both counter policies.
#include <pktpath/table/funnel.hpp>
#include <pktpath/table/image_reader.hpp>
#include <pktpath/table/snapshot.hpp>
#include <pktpath/table/stage_table.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include "test_table_util.hpp"

using namespace pktpath;
using table_test::key;
using rx = linux_rx;

namespace {

constexpr unsigned writers = 2;
constexpr std::uint32_t max_len = 1500;

// All threads start together, so the first inserts of a key really race.
class start_line {
public:
	explicit start_line(unsigned n) : left_(n) {}
	void arrive_and_wait()
	{
		left_.fetch_sub(1, std::memory_order_acq_rel);
		while (left_.load(std::memory_order_acquire) > 0)
			std::this_thread::yield();
	}

private:
	std::atomic<unsigned> left_;
};

template <class Table>
Table make_table(std::uint32_t capacity)
{
	table_options o;
	o.shards = Table::layout == PKTPATH_TABLE_PER_WRITER_COUNTERS ? writers + 1 : 1;
	Table t = Table::create(capacity, o);
	REQUIRE(t.ok());
	return t;
}

template <class Table>
unsigned shard_of(unsigned thread)
{
	return Table::layout == PKTPATH_TABLE_PER_WRITER_COUNTERS ? thread : 0;
}

template <class Table>
void racing_inserts()
{
	constexpr unsigned threads = 3;
	constexpr std::uint32_t keys = 1500, reps = 3;
	Table t = make_table<Table>(2048);
	REQUIRE(t.shards() >= (Table::layout == PKTPATH_TABLE_PER_WRITER_COUNTERS ? threads : 1));
	start_line go(threads);
	std::vector<std::thread> pool;
	for (unsigned th = 0; th < threads; th++)
		pool.emplace_back([&, th] {
			std::vector<std::uint32_t> order(keys);
			for (std::uint32_t i = 0; i < keys; i++)
				order[i] = i;
			go.arrive_and_wait();
			// Round 0 in the same order on every thread (same keys inserted at the
			// same moment), later rounds shuffled per thread.
			std::mt19937 rng(th);
			for (std::uint32_t r = 0; r < reps; r++) {
				for (std::uint32_t i : order)
					t.count(rx::eth_type_trans, key(i), i % 1000 + 1, shard_of<Table>(th));
				std::shuffle(order.begin(), order.end(), rng);
			}
		});
	for (auto &th : pool)
		th.join();

	const table_snapshot s(t.view());
	REQUIRE(s.flow_count() == keys);
	std::set<std::vector<std::uint8_t>> distinct;
	for (std::size_t i = 0; i < s.flow_count(); i++) {
		distinct.insert(std::vector<std::uint8_t>(s.key(i), s.key(i) + s.key_size()));
		const flow_key k = s.key_as<flow_key>(i);
		const std::uint32_t id = (std::uint32_t(k.src[1]) << 16) | (std::uint32_t(k.src[2]) << 8) | k.src[3];
		REQUIRE(s.at(i, rx::eth_type_trans).packets == threads * reps);
		REQUIRE(s.at(i, rx::eth_type_trans).bytes == threads * reps * (id % 1000 + 1));
	}
	CHECK(distinct.size() == keys); // no key stored twice
	CHECK(s.overflow(rx::eth_type_trans).packets == 0);
}

// Per stage: packets counted as done (after count()) and issued (before).
struct progress {
	std::atomic<std::uint64_t> issued[6] = {};
	std::atomic<std::uint64_t> done[6] = {};
};

// One packet's walk along the Linux RX path with random drops; the key (or
// parse status) decides the L4 stage.
template <class Table>
void walk(Table &t, progress &p, std::mt19937 &rng, unsigned shard)
{
	const bool keyed = rng() % 50 != 0;
	const std::uint32_t id = rng() % 700; // 700 keys, 512 slots: overflow too
	const flow_key k = key(id, id % 3 ? 6 : 17);
	const unsigned status = PKTPATH_TRUNCATED + rng() % 4;
	const std::uint32_t len = 60 + rng() % (max_len - 59);
	const unsigned l4 = k.proto == 6 ? rx::tcp_v4_rcv : rx::udp_rcv;
	const unsigned path[] = {rx::eth_type_trans, rx::napi_gro_receive, rx::netif_receive_skb, rx::ip_rcv, l4};
	for (unsigned stage : path) {
		// issued before counting, done after: a reader that sees the count sees
		// issued (release/acquire), and one that sees done sees the count.
		p.issued[stage].fetch_add(1, std::memory_order_release);
		if (keyed)
			t.count(stage, k, len, shard);
		else
			t.count_unclassified(stage, status, len, shard);
		p.done[stage].fetch_add(1, std::memory_order_release);
		if (rng() % 16 == 0)
			break; // dropped
	}
}

// What any snapshot must satisfy while writers run.
void check_snapshot(const table_snapshot &s, const std::uint64_t *lo, const std::uint64_t *hi)
{
	for (unsigned st = 0; st < s.stage_count(); st++) {
		const std::uint64_t total = s.total(st).packets;
		REQUIRE(lo[st] <= total);
		REQUIRE(total <= hi[st]);
	}
	const std::vector<funnel_step> steps = funnel_steps(s);
	auto consistent_row = [&](const pktpath_counter *row) {
		for (const funnel_step &st : steps)
			REQUIRE(step_lost(row, st, s.stage_count()) >= 0); // never more after a stage than at it
		for (unsigned st = 0; st < s.stage_count(); st++)
			REQUIRE(row[st].bytes <= row[st].packets * max_len); // no bytes of an uncounted packet
	};
	for (std::size_t i = 0; i < s.flow_count(); i++)
		consistent_row(s.row(i));
	consistent_row(&s.overflow(0));
	for (unsigned r = 0; r < s.status_count(); r++)
		consistent_row(&s.unclassified(r, 0));
}

template <class Table>
void conservation_under_load()
{
	constexpr int packets_per_writer = 15000;
	Table t = make_table<Table>(512);
	progress p;
	std::atomic<unsigned> running{writers};
	start_line go(writers + 1);
	std::vector<std::thread> pool;
	for (unsigned w = 0; w < writers; w++)
		pool.emplace_back([&, w] {
			std::mt19937 rng(100 + w);
			go.arrive_and_wait();
			for (int n = 0; n < packets_per_writer; n++)
				walk(t, p, rng, shard_of<Table>(w));
			running.fetch_sub(1, std::memory_order_release);
		});

	// The reader: snapshots of the live table and of consistent copies, and
	// interval deltas whose sum must come out exact.
	go.arrive_and_wait();
	interval_reader iv;
	std::vector<std::uint64_t> interval_sum(6);
	std::map<std::uint32_t, std::uint64_t> interval_flow; // slot -> packets at eth_type_trans
	auto take_interval = [&](const table_snapshot &d) {
		for (unsigned st = 0; st < 6; st++)
			interval_sum[st] += d.total(st).packets;
		for (std::size_t i = 0; i < d.flow_count(); i++)
			interval_flow[d.slot(i)] += d.at(i, rx::eth_type_trans).packets;
	};
	std::vector<std::uint8_t> copy(t.size() + 64);
	void *aligned = copy.data() + (64 - reinterpret_cast<std::uintptr_t>(copy.data()) % 64) % 64;
	int rounds = 0;
	while (running.load(std::memory_order_acquire) > 0 || rounds < 3) {
		std::uint64_t lo[6], hi[6];
		for (unsigned st = 0; st < 6; st++)
			lo[st] = p.done[st].load(std::memory_order_acquire);
		if (rounds % 3 == 0) {
			take_interval(iv.next(t.view()));
		} else if (rounds % 3 == 1) {
			const table_snapshot s(t.view());
			for (unsigned st = 0; st < 6; st++)
				hi[st] = p.issued[st].load(std::memory_order_acquire);
			check_snapshot(s, lo, hi);
		} else {
			REQUIRE(t.view().copy_to(aligned, t.size()) == PKTPATH_TABLE_OK);
			const image_view cv(aligned, t.size());
			REQUIRE(cv.ok());
			const table_snapshot s(cv);
			for (unsigned st = 0; st < 6; st++)
				hi[st] = p.issued[st].load(std::memory_order_acquire);
			check_snapshot(s, lo, hi);
		}
		rounds++;
	}
	for (auto &th : pool)
		th.join();
	take_interval(iv.next(t.view()));

	// Quiescent: exact.
	const table_snapshot s(t.view());
	for (unsigned st = 0; st < 6; st++) {
		const std::uint64_t done = p.done[st].load();
		REQUIRE(p.issued[st].load() == done);
		CHECK(s.total(st).packets == done);
		CHECK(interval_sum[st] == done);
	}
	CHECK(s.overflow(rx::eth_type_trans).packets > 0);
	CHECK(s.flow_count() <= 512);
	for (std::size_t i = 0; i < s.flow_count(); i++)
		REQUIRE(interval_flow[s.slot(i)] == s.at(i, rx::eth_type_trans).packets);
	const std::uint64_t done[6] = {p.done[0], p.done[1], p.done[2], p.done[3], p.done[4], p.done[5]};
	check_snapshot(s, done, done);
}

} // namespace

TEST_CASE("racing inserts of the same keys store each key once, counts exact", "[table][concurrent]")
{
	SECTION("shared counters")
	{
		racing_inserts<stage_table<>>();
	}
	SECTION("per-writer counters")
	{
		racing_inserts<stage_table<flow_key, linux_rx, per_writer_counters>>();
	}
}

TEST_CASE("conservation law and consistent snapshots while writers run", "[table][concurrent]")
{
	SECTION("shared counters")
	{
		conservation_under_load<stage_table<>>();
	}
	SECTION("per-writer counters")
	{
		conservation_under_load<stage_table<flow_key, linux_rx, per_writer_counters>>();
	}
}

TEST_CASE("a reset racing increments loses none of them", "[table][concurrent]")
{
	// Writers count a known number of packets and bytes per stage (keyed,
	// into the overflow row when the 256 slots are taken, and unclassified)
	// while a third thread resets over and over, keeping what each reset
	// took: taken + what the table holds at the end = every increment.
	using table = stage_table<>;
	table t = table::create(256);
	REQUIRE(t.ok());
	std::vector<pktpath_counter> taken(t.row_count() * table::stage_count);
	std::atomic<unsigned> running{writers};
	std::uint64_t packets[writers][6] = {}, bytes[writers][6] = {};
	start_line go(writers + 1);
	std::vector<std::thread> pool;
	for (unsigned w = 0; w < writers; w++)
		pool.emplace_back([&, w] {
			std::mt19937 rng(w + 7);
			go.arrive_and_wait();
			for (int i = 0; i < 300000; i++) {
				// Few hot counters, so resets and increments meet often;
				// every 512th packet a new flow, past the 256 slots too.
				const unsigned stage = rng() % 2 * 3;
				const std::uint32_t len = 60 + rng() % 1000;
				if (rng() % 20 == 0)
					t.count_unclassified(stage, PKTPATH_MALFORMED, len);
				else
					t.count(stage, key(i % 512 == 0 ? 8 + i / 512 * writers + w : rng() % 8), len);
				packets[w][stage]++;
				bytes[w][stage] += len;
			}
			running.fetch_sub(1, std::memory_order_release);
		});
	unsigned resets = 0;
	go.arrive_and_wait();
	while (running.load(std::memory_order_acquire) != 0) {
		t.reset(taken.data());
		resets++;
	}
	for (auto &th : pool)
		th.join();
	INFO(resets << " resets");
	CHECK(resets > 1);
	const table_snapshot end(t.view());
	CHECK(end.flow_count() == 256);
	const std::uint64_t over = t.overflow_row() * table::stage_count;
	CHECK(end.overflow(0).packets + end.overflow(3).packets + taken[over].packets + taken[over + 3].packets > 0);
	for (unsigned st = 0; st < 6; st++) {
		std::uint64_t want_p = 0, want_b = 0, got_p = end.total(st).packets, got_b = end.total(st).bytes;
		for (unsigned w = 0; w < writers; w++) {
			want_p += packets[w][st];
			want_b += bytes[w][st];
		}
		for (std::uint64_t row = 0; row < t.row_count(); row++) {
			got_p += taken[row * table::stage_count + st].packets;
			got_b += taken[row * table::stage_count + st].bytes;
		}
		INFO("stage " << st);
		CHECK(got_p == want_p);
		CHECK(got_b == want_b);
	}
	// After a reset the table counts from zero; its flows keep their slots.
	const std::size_t flows = end.flow_count();
	t.reset();
	const table_snapshot zero(t.view());
	CHECK(zero.flow_count() == flows);
	for (unsigned st = 0; st < 6; st++)
		CHECK(zero.total(st).packets == 0);
	auto pw = stage_table<flow_key, linux_rx, per_writer_counters>::create(16);
	CHECK(pktpath_table_reset(static_cast<pktpath_table_header *>(pw.data()), nullptr) == -1);
}
