// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// Poll-loop overhead: poll_round() over queues whose poll callback reports a
// full weight of work without doing any, so what is timed is the loop itself
// (list handling, state bits, counters, the clock reads).  frame_time is
// seconds per frame; items_per_second is frames per second.
//   napi/pktpath/queues:Q/weight:W          std::chrono::steady_clock
//   napi/pktpath/queues:Q/weight:W/clock:manual   no clock cost
//   napi/pktpath/ring_drain/weight:64       the poll drains an SPSC ring that
//                                           the same thread refills (ring + loop)
#include <benchmark/benchmark.h>

#include <pktpath/poll/clock.hpp>
#include <pktpath/poll/group.hpp>
#include <pktpath/ring/ring.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace {

// Always has a full weight of work.
struct busy_queue {
	int poll(int budget) { return budget; }
	void rearm() {}
};

void set_counters(benchmark::State &state, std::uint64_t frames)
{
	state.SetItemsProcessed(static_cast<std::int64_t>(frames));
	state.counters["frame_time"] = benchmark::Counter(static_cast<double>(frames),
							  benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

template <class Clock>
void bench_loop(benchmark::State &state, int queues, int weight)
{
	pktpath::poll_group<Clock> g;
	std::vector<busy_queue> q(static_cast<std::size_t>(queues));
	std::vector<std::unique_ptr<pktpath::napi>> n;
	for (auto &x : q) {
		n.push_back(std::make_unique<pktpath::napi>(x, weight));
		g.add(*n.back());
		n.back()->schedule();
	}
	std::uint64_t frames = 0;
	for (auto _ : state)
		frames += static_cast<std::uint64_t>(g.poll_round());
	set_counters(state, frames);
}

// A realistic poll: dequeue up to the budget in bursts of 32 from an SPSC
// ring, which the same thread tops up before each round.
struct ring_queue {
	pktpath::spsc_ring<std::uintptr_t> rx{1024};
	std::uint64_t sum = 0;
	int poll(int budget)
	{
		std::uintptr_t buf[32];
		int work = 0;
		while (work < budget) {
			unsigned want =
				static_cast<unsigned>(budget - work) < 32u ? static_cast<unsigned>(budget - work) : 32u;
			unsigned got = rx.dequeue_burst(buf, want);
			for (unsigned i = 0; i < got; ++i)
				sum += buf[i];
			work += static_cast<int>(got);
			if (got < want)
				break;
		}
		return work;
	}
	void rearm() {}
};

void bench_ring_drain(benchmark::State &state)
{
	pktpath::poll_group<> g;
	ring_queue q;
	pktpath::napi n(q, 64);
	g.add(n);
	std::uintptr_t fill[64];
	for (std::uintptr_t i = 0; i < 64; ++i)
		fill[i] = i;
	std::uint64_t frames = 0;
	for (auto _ : state) {
		q.rx.enqueue_burst(fill, 64);
		n.schedule();
		frames += static_cast<std::uint64_t>(g.poll_round());
	}
	benchmark::DoNotOptimize(q.sum);
	set_counters(state, frames);
}

} // namespace

int main(int argc, char **argv)
{
	for (int queues : {1, 4, 8}) {
		std::string name = "napi/pktpath/queues:" + std::to_string(queues) + "/weight:64";
		benchmark::RegisterBenchmark(name.c_str(), [queues](benchmark::State &s) {
			bench_loop<std::chrono::steady_clock>(s, queues, 64);
		});
		benchmark::RegisterBenchmark((name + "/clock:manual").c_str(), [queues](benchmark::State &s) {
			bench_loop<pktpath::manual_clock>(s, queues, 64);
		});
	}
	benchmark::RegisterBenchmark("napi/pktpath/ring_drain/weight:64", bench_ring_drain);
	benchmark::Initialize(&argc, argv);
	if (benchmark::ReportUnrecognizedArguments(argc, argv))
		return 1;
	benchmark::RunSpecifiedBenchmarks();
	benchmark::Shutdown();
	return 0;
}
