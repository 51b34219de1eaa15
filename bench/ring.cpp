// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// Producer -> consumer throughput on two threads (pinned to CPUs 0 and 1):
// ring_spsc/IMPL/burst:N and ring_mpmc/IMPL/burst:N, IMPL = pktpath, dpdk
// (rte_ring SP/SC and MP/MC, placed with rte_ring_init: no EAL needed),
// boost (lockfree::spsc_queue; lockfree::queue, single elements only).
// Each side moves N 8-byte messages per call (burst API for N > 1, single-
// element API for N = 1) and spins while the ring is full or empty.
// items_per_second is messages per second; the consumer checks the sum.
// ring_st_spsc/... and ring_st_mpmc/...: one thread enqueues N and dequeues
// them again, so no cache line moves between cores: what the code costs
// (inlining, folded constants), far steadier than two threads on a busy VM.
#include <benchmark/benchmark.h>

#include <pktpath/ring/ring.hpp>

#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <new>
#include <string>
#include <thread>

#ifdef PKTPATH_HAVE_DPDK
#include <rte_ring.h>
#endif
#ifdef PKTPATH_HAVE_BOOST
#include <boost/lockfree/queue.hpp>
#include <boost/lockfree/spsc_queue.hpp>
#endif

namespace {

constexpr std::uint32_t ring_size = 4096;
constexpr unsigned max_burst = 32;

void pin_to_cpu(unsigned cpu)
{
	unsigned n = std::thread::hardware_concurrency();
	if (n < 2)
		return;
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu % n, &set);
	pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

// ---- adapters: push/pop up to n, return how many ----
// Every adapter is inlined into the measuring loop, as an application's
// calls into a ring are into its poll loop: the figures compare the rings,
// not where GCC's inlining limits happen to fall for a harness function.
#define ADAPTER __attribute__((__always_inline__)) inline

template <class Ring>
struct pktpath_q {
	Ring r{ring_size};
	ADAPTER unsigned push(const std::uint64_t *v, unsigned n)
	{
		return n == 1 ? r.enqueue(*v) : r.enqueue_burst(v, n);
	}
	ADAPTER unsigned pop(std::uint64_t *v, unsigned n) { return n == 1 ? r.dequeue(*v) : r.dequeue_burst(v, n); }
};

// Zero-copy: fill and drain the slots in place, run by run (a reservation
// or a peek is at most two runs of consecutive slots).
struct pktpath_zc_q {
	pktpath::spsc_ring<std::uint64_t> r{ring_size};
	ADAPTER unsigned push(const std::uint64_t *v, unsigned n)
	{
		auto s = r.reserve(n);
		std::copy(v, v + s.first_len, s.first);
		std::copy(v + s.first_len, v + s.len, s.second);
		r.commit(s.size());
		return s.size();
	}
	ADAPTER unsigned pop(std::uint64_t *v, unsigned n)
	{
		auto s = r.peek(n);
		std::copy(s.first, s.first + s.first_len, v);
		std::copy(s.second, s.second + (s.len - s.first_len), v + s.first_len);
		r.release(s.size());
		return s.size();
	}
};

#ifdef PKTPATH_HAVE_DPDK
template <bool Multi>
struct dpdk_q {
	struct freer {
		void operator()(rte_ring *r) const { ::operator delete (r, std::align_val_t{128}); }
	};
	std::unique_ptr<rte_ring, freer> r;
	dpdk_q()
	{
		auto bytes = static_cast<std::size_t>(rte_ring_get_memsize(ring_size));
		r.reset(static_cast<rte_ring *>(::operator new (bytes, std::align_val_t{128})));
		if (rte_ring_init(r.get(), Multi ? "mpmc" : "spsc", ring_size,
				  Multi ? 0 : RING_F_SP_ENQ | RING_F_SC_DEQ) != 0)
			r.reset();
	}
	ADAPTER unsigned push(const std::uint64_t *v, unsigned n)
	{
		auto *objs = reinterpret_cast<void *const *>(v);
		if (Multi)
			return n == 1 ? rte_ring_mp_enqueue(r.get(), objs[0]) == 0
				      : rte_ring_mp_enqueue_burst(r.get(), objs, n, nullptr);
		return n == 1 ? rte_ring_sp_enqueue(r.get(), objs[0]) == 0
			      : rte_ring_sp_enqueue_burst(r.get(), objs, n, nullptr);
	}
	ADAPTER unsigned pop(std::uint64_t *v, unsigned n)
	{
		auto *objs = reinterpret_cast<void **>(v);
		if (Multi)
			return n == 1 ? rte_ring_mc_dequeue(r.get(), objs) == 0
				      : rte_ring_mc_dequeue_burst(r.get(), objs, n, nullptr);
		return n == 1 ? rte_ring_sc_dequeue(r.get(), objs) == 0
			      : rte_ring_sc_dequeue_burst(r.get(), objs, n, nullptr);
	}
};
#endif

#ifdef PKTPATH_HAVE_BOOST
struct boost_spsc_q {
	boost::lockfree::spsc_queue<std::uint64_t, boost::lockfree::capacity<ring_size>> q;
	ADAPTER unsigned push(const std::uint64_t *v, unsigned n)
	{
		return n == 1 ? q.push(*v) : static_cast<unsigned>(q.push(v, n));
	}
	ADAPTER unsigned pop(std::uint64_t *v, unsigned n)
	{
		return n == 1 ? q.pop(*v) : static_cast<unsigned>(q.pop(v, n));
	}
};
struct boost_mpmc_q {
	boost::lockfree::queue<std::uint64_t, boost::lockfree::capacity<ring_size>> q;
	ADAPTER unsigned push(const std::uint64_t *v, unsigned) { return q.bounded_push(*v); }
	ADAPTER unsigned pop(std::uint64_t *v, unsigned) { return q.pop(*v); }
};
#endif

// The benchmark thread produces; a pinned consumer thread drains until it
// has everything the producer sent.
template <class Q>
void producer_consumer(benchmark::State &state, unsigned burst)
{
	auto q = std::make_unique<Q>();
	std::atomic<bool> done{false};
	std::atomic<std::uint64_t> sent_total{0};
	std::uint64_t received_sum = 0, received = 0;

	std::thread consumer([&] {
		pin_to_cpu(1);
		std::uint64_t buf[max_burst];
		for (;;) {
			unsigned k = q->pop(buf, burst);
			for (unsigned i = 0; i < k; ++i)
				received_sum += buf[i];
			received += k;
			if (k == 0) {
				if (done.load(std::memory_order_acquire) &&
				    received == sent_total.load(std::memory_order_relaxed))
					break;
				pktpath::cpu_relax();
			}
		}
	});

	pin_to_cpu(0);
	std::uint64_t next = 0, buf[max_burst];
	for (auto _ : state) {
		for (unsigned i = 0; i < burst; ++i)
			buf[i] = next + i;
		unsigned off = 0;
		while (off < burst) {
			unsigned k = q->push(buf + off, burst - off);
			off += k;
			if (k == 0)
				pktpath::cpu_relax();
		}
		next += burst;
	}
	sent_total.store(next, std::memory_order_relaxed);
	done.store(true, std::memory_order_release);
	consumer.join();

	if (received != next || received_sum != (next == 0 ? 0 : next * (next - 1) / 2))
		state.SkipWithError("consumer did not receive every message exactly once");
	state.SetItemsProcessed(static_cast<std::int64_t>(next));
}

template <class Q>
void same_thread(benchmark::State &state, unsigned burst)
{
	auto q = std::make_unique<Q>();
	std::uint64_t in[max_burst], out[max_burst], sum = 0;
	for (unsigned i = 0; i < burst; ++i)
		in[i] = i;
	for (auto _ : state) {
		if (q->push(in, burst) != burst || q->pop(out, burst) != burst) {
			state.SkipWithError("an empty ring refused a burst");
			break;
		}
		sum += out[burst - 1];
		benchmark::DoNotOptimize(sum);
	}
	state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * burst));
}

template <class Q>
void add(const std::string &family, const std::string &impl, std::initializer_list<unsigned> bursts)
{
	for (unsigned b : bursts) {
		const std::string suffix = "/" + impl + "/burst:" + std::to_string(b);
		benchmark::RegisterBenchmark((family + suffix).c_str(), [b](benchmark::State &s) {
			producer_consumer<Q>(s, b);
		})->UseRealTime();
		benchmark::RegisterBenchmark(("ring_st_" + family.substr(5) + suffix).c_str(),
					     [b](benchmark::State &s) { same_thread<Q>(s, b); });
	}
}

} // namespace

int main(int argc, char **argv)
{
	add<pktpath_q<pktpath::spsc_ring<std::uint64_t>>>("ring_spsc", "pktpath", {1, 8, 32});
	add<pktpath_zc_q>("ring_spsc", "pktpath_zc", {8, 32});
#ifdef PKTPATH_HAVE_DPDK
	add<dpdk_q<false>>("ring_spsc", "dpdk", {1, 8, 32});
#endif
#ifdef PKTPATH_HAVE_BOOST
	add<boost_spsc_q>("ring_spsc", "boost", {1, 8, 32});
#endif
	add<pktpath_q<pktpath::mpmc_ring<std::uint64_t>>>("ring_mpmc", "pktpath", {1, 8, 32});
#ifdef PKTPATH_HAVE_DPDK
	add<dpdk_q<true>>("ring_mpmc", "dpdk", {1, 8, 32});
#endif
#ifdef PKTPATH_HAVE_BOOST
	add<boost_mpmc_q>("ring_mpmc", "boost", {1}); // no batch API
#endif
	benchmark::Initialize(&argc, argv);
	if (benchmark::ReportUnrecognizedArguments(argc, argv))
		return 1;
	benchmark::RunSpecifiedBenchmarks();
	benchmark::Shutdown();
	return 0;
}
