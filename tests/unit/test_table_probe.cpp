// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// Probe sequence lengths at increasing load factors (what the default probe
// limit and the recommended maximum load are chosen from), and the load at
// which the default limit first sends a new key to the overflow row.
// Deterministic: fixed keys and seed.
#include <pktpath/table/image_reader.hpp>
#include <pktpath/table/snapshot.hpp>
#include <pktpath/table/stage_table.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <cstdio>
#include <random>

#include "test_table_util.hpp"

using namespace pktpath;

namespace {

struct one_stage {
	static constexpr stage_def stages[] = {{"seen", no_pred}};
};
using table = stage_table<flow_key, one_stage>;
constexpr std::uint32_t capacity = 1u << 16;

// Keys of consecutive flows (structured addresses) or random ones.
flow_key nth_key(std::uint32_t i, bool random)
{
	if (!random)
		return table_test::key(i);
	std::mt19937_64 rng(i);
	flow_key k = table_test::key(0);
	for (auto &b : k.src)
		b = static_cast<std::uint8_t>(rng());
	k.sport = static_cast<std::uint16_t>(rng());
	return k;
}

} // namespace

TEST_CASE("probe lengths stay short up to load 0.75", "[table][probe]")
{
	const double loads[] = {0.25, 0.5, 0.625, 0.75, 0.85, 0.9, 0.95};
	for (bool random : {false, true}) {
		table_options o;
		o.probe_limit = capacity; // unbounded: measure the natural lengths
		auto t = table::create(capacity, o);
		REQUIRE(t.ok());
		std::uint32_t inserted = 0;
		std::printf("probe lengths, %u slots, %s keys\n  load   mean   p99    max\n", capacity,
			    random ? "random" : "consecutive");
		for (double load : loads) {
			for (; inserted < static_cast<std::uint32_t>(load * capacity); inserted++)
				t.count(0, nth_key(inserted, random), 1);
			const probe_stats st = t.view().probes();
			std::printf("  %.3f  %5.2f  %4u  %5u\n", st.load, st.mean, st.p99, st.max);
			REQUIRE(st.flows == inserted);
			if (load <= 0.5)
				CHECK(st.mean < 2.0); // Knuth: (1 + 1/(1-a)) / 2 = 1.5 at 0.5
			if (load <= 0.75) {
				CHECK(st.mean < 3.0); // 2.5 at 0.75
				CHECK(st.max < PKTPATH_TABLE_DEFAULT_PROBE_LIMIT);
			}
		}
	}
}

TEST_CASE("the default probe limit sends no key to overflow below load 0.75", "[table][probe]")
{
	auto t = table::create(capacity);
	REQUIRE(t.view().header().probe_limit == PKTPATH_TABLE_DEFAULT_PROBE_LIMIT);
	std::uint32_t i = 0;
	while (i < capacity && t.row(nth_key(i, true)) != t.overflow_row())
		i++;
	const double load = static_cast<double>(i) / capacity;
	std::printf("first key in overflow at load %.3f (probe limit %u)\n", load, PKTPATH_TABLE_DEFAULT_PROBE_LIMIT);
	CHECK(load >= 0.75);
}
