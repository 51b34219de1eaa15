// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// Per-flow counter updates: pktpath stage tables against the peers found on
// the machine, in one binary.
//
//   table_hit/IMPL/{uniform,zipf}/threads:N   update an existing flow: 64k
//       IPv4 5-tuple flows (16-byte keys), packets and bytes at one of six
//       stages; uniform: each thread its own half of the flows (disjoint);
//       zipf (s = 0.99): every thread over all flows (hot flows shared)
//   table_insert/IMPL/threads:N               count 2^19 new flows in total
//
// Every iteration is a burst of 32 packets; items_per_second counts packets
// over wall time (all threads), time_per_packet its inverse.  Peers keep the
// same six-stage packets/bytes counters per flow, as relaxed atomics:
//   dpdk_rte_hash(_bulk)  rte_hash, lock-free RW mode (+ multi-writer), CRC32 hash
//   tbb                   tbb::concurrent_hash_map, const_accessor
//   urcu                  liburcu cds_lfht (QSBR flavour: free read-side sections)
//   std_mutex             std::unordered_map + std::mutex
#include <pktpath/hash/hash.hpp>
#include <pktpath/table/stage_table.hpp>

#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#ifdef PKTPATH_HAVE_DPDK
#include <pthread.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_lcore.h>
#endif
#ifdef PKTPATH_HAVE_TBB
#include <tbb/concurrent_hash_map.h>
#endif
#ifdef PKTPATH_HAVE_URCU
#include <urcu/urcu-qsbr.h>
#include <urcu/rculfhash.h>
#endif

using namespace pktpath;

namespace {

using key = ipv4_5tuple;
constexpr unsigned burst = 32;
constexpr unsigned stage = linux_rx::ip_rcv;
constexpr unsigned stages = stage_count_v<linux_rx>;
constexpr std::uint32_t hit_flows = 1u << 16;
constexpr std::uint32_t hit_capacity = 1u << 17; // load 0.5
constexpr std::uint32_t insert_keys = 1u << 19;
constexpr std::uint32_t insert_capacity = 1u << 20;
constexpr std::uint32_t seq_len = 1u << 16; // packets per thread stream

key flow(std::uint32_t i)
{
	key k{};
	k.src[0] = 10;
	k.src[1] = static_cast<std::uint8_t>(i >> 16);
	k.src[2] = static_cast<std::uint8_t>(i >> 8);
	k.src[3] = static_cast<std::uint8_t>(i);
	k.dst[0] = 192;
	k.dst[2] = 2;
	k.dst[3] = static_cast<std::uint8_t>(1 + (i >> 24));
	k.sport = static_cast<std::uint16_t>(1024 + i % 50000);
	k.dport = 443;
	k.proto = 6;
	k.flags = PKTPATH_KEY_IPV4 | PKTPATH_KEY_PORTS;
	return k;
}

struct stream {
	std::vector<key> keys;
	std::vector<std::uint32_t> lens;
};

enum dist { uniform, zipf };

// The packets one thread of `threads` counts: uniform over its own share of
// the flows, or Zipf over all flows (ranks scattered over the flows).
const stream &packets(dist d, unsigned threads, unsigned thread)
{
	static std::vector<std::unique_ptr<stream>> cache(2 * 3 * 3);
	static std::mutex m;
	std::lock_guard<std::mutex> g(m);
	auto &s = cache[(d * 3 + threads) * 3 + thread];
	if (s)
		return *s;
	s.reset(new stream);
	std::mt19937_64 rng(1000 * d + 10 * threads + thread);
	std::vector<std::uint32_t> rank(hit_flows);
	std::vector<double> cdf(hit_flows);
	if (d == zipf) {
		for (std::uint32_t i = 0; i < hit_flows; i++)
			rank[i] = i;
		std::shuffle(rank.begin(), rank.end(), std::mt19937_64(5));
		double sum = 0;
		for (std::uint32_t i = 0; i < hit_flows; i++)
			cdf[i] = sum += 1.0 / std::pow(i + 1.0, 0.99);
		for (double &c : cdf)
			c /= sum;
	}
	std::uniform_real_distribution<double> u01(0, 1);
	for (std::uint32_t n = 0; n < seq_len; n++) {
		std::uint32_t f;
		if (d == uniform) {
			f = static_cast<std::uint32_t>(rng() % (hit_flows / threads)) * threads + thread;
		} else {
			f = rank[static_cast<std::uint32_t>(std::lower_bound(cdf.begin(), cdf.end(), u01(rng)) -
							    cdf.begin()) %
				 hit_flows];
		}
		s->keys.push_back(flow(f));
		s->lens.push_back(64 + static_cast<std::uint32_t>(rng() % 1400));
	}
	return *s;
}

const std::vector<key> &new_keys()
{
	static const std::vector<key> k = [] {
		std::vector<key> v;
		for (std::uint32_t i = 0; i < insert_keys; i++)
			v.push_back(flow(hit_flows + i));
		return v;
	}();
	return k;
}

const std::vector<std::uint32_t> &new_lens()
{
	static const std::vector<std::uint32_t> l(burst, 100);
	return l;
}

// Six stages of packets/bytes per flow, for the peers.
struct atomic_counter {
	std::atomic<std::uint64_t> packets{0}, bytes{0};
	void add(std::uint64_t b)
	{
		packets.fetch_add(1, std::memory_order_relaxed);
		bytes.fetch_add(b, std::memory_order_relaxed);
	}
};
struct flow_counters {
	atomic_counter at[stages];
};

// ---- pktpath ------------------------------------------------------------

template <class Policy, bool Burst>
class pktpath_impl {
public:
	explicit pktpath_impl(std::uint32_t capacity)
	{
		table_options o;
		o.shards = Policy::layout == PKTPATH_TABLE_PER_WRITER_COUNTERS ? 2 : 1;
		t_ = table::create(capacity, o);
		if (!t_.ok())
			std::abort();
	}
	void update(const key *k, const std::uint32_t *len, unsigned n, unsigned thread)
	{
		const unsigned shard = Policy::layout == PKTPATH_TABLE_PER_WRITER_COUNTERS ? thread : 0;
		if (Burst) {
			t_.count_burst(stage, k, len, n, shard);
		} else {
			for (unsigned i = 0; i < n; i++)
				t_.count(stage, k[i], len[i], shard);
		}
	}
	void insert(const key *k, const std::uint32_t *len, unsigned n, unsigned thread) { update(k, len, n, thread); }
	void thread_start() {}
	void thread_stop() {}

private:
	using table = stage_table<key, linux_rx, Policy>;
	table t_;
};

// ---- std::unordered_map + std::mutex -------------------------------------

class std_mutex_impl {
public:
	explicit std_mutex_impl(std::uint32_t capacity) : counters_(new flow_counters[capacity])
	{
		map_.reserve(capacity);
	}
	void update(const key *k, const std::uint32_t *len, unsigned n, unsigned)
	{
		for (unsigned i = 0; i < n; i++) {
			std::lock_guard<std::mutex> g(m_);
			auto it = map_.find(k[i]);
			if (it != map_.end())
				counters_[it->second].at[stage].add(len[i]);
		}
	}
	void insert(const key *k, const std::uint32_t *len, unsigned n, unsigned)
	{
		for (unsigned i = 0; i < n; i++) {
			std::lock_guard<std::mutex> g(m_);
			auto r = map_.emplace(k[i], static_cast<std::uint32_t>(map_.size()));
			counters_[r.first->second].at[stage].add(len[i]);
		}
	}
	void thread_start() {}
	void thread_stop() {}

private:
	std::mutex m_;
	std::unordered_map<key, std::uint32_t> map_;
	std::unique_ptr<flow_counters[]> counters_;
};

// ---- TBB --------------------------------------------------------------------

#ifdef PKTPATH_HAVE_TBB
struct tbb_hash_compare {
	static std::size_t hash(const key &k) { return pktpath_hash_fast64(&k, sizeof k, 0); }
	static bool equal(const key &a, const key &b) { return a == b; }
};

class tbb_impl {
public:
	explicit tbb_impl(std::uint32_t capacity) : map_(capacity), counters_(new flow_counters[capacity]) {}
	void update(const key *k, const std::uint32_t *len, unsigned n, unsigned)
	{
		for (unsigned i = 0; i < n; i++) {
			map::const_accessor a;
			if (map_.find(a, k[i]))
				counters_[a->second].at[stage].add(len[i]);
		}
	}
	void insert(const key *k, const std::uint32_t *len, unsigned n, unsigned)
	{
		for (unsigned i = 0; i < n; i++) {
			map::accessor a;
			if (map_.insert(a, k[i]))
				a->second = next_.fetch_add(1, std::memory_order_relaxed);
			counters_[a->second].at[stage].add(len[i]);
		}
	}
	void thread_start() {}
	void thread_stop() {}

private:
	using map = tbb::concurrent_hash_map<key, std::uint32_t, tbb_hash_compare>;
	map map_;
	std::unique_ptr<flow_counters[]> counters_;
	std::atomic<std::uint32_t> next_{0};
};
#endif

// ---- liburcu cds_lfht ---------------------------------------------------------

#ifdef PKTPATH_HAVE_URCU
class urcu_impl {
public:
	explicit urcu_impl(std::uint32_t capacity) : pool_(new node[capacity])
	{
		// Fixed size (no resize thread): every bucket allocated up front.
		ht_ = cds_lfht_new_flavor(capacity, capacity, capacity, 0, &urcu_qsbr_flavor, nullptr);
		if (!ht_)
			std::abort();
	}
	~urcu_impl() { cds_lfht_destroy(ht_, nullptr); }
	void update(const key *k, const std::uint32_t *len, unsigned n, unsigned)
	{
		for (unsigned i = 0; i < n; i++) {
			cds_lfht_iter it;
			urcu_qsbr_read_lock();
			cds_lfht_lookup(ht_, pktpath_hash_fast64(&k[i], sizeof(key), 0), match, &k[i], &it);
			if (cds_lfht_node *hit = cds_lfht_iter_get_node(&it))
				reinterpret_cast<node *>(hit)->counters.at[stage].add(len[i]);
			urcu_qsbr_read_unlock();
		}
	}
	void insert(const key *k, const std::uint32_t *len, unsigned n, unsigned)
	{
		for (unsigned i = 0; i < n; i++) {
			node *fresh = &pool_[next_.fetch_add(1, std::memory_order_relaxed)];
			fresh->k = k[i];
			cds_lfht_node_init(&fresh->n);
			urcu_qsbr_read_lock();
			cds_lfht_node *in = cds_lfht_add_unique(ht_, pktpath_hash_fast64(&k[i], sizeof(key), 0), match,
								&k[i], &fresh->n);
			reinterpret_cast<node *>(in)->counters.at[stage].add(len[i]);
			urcu_qsbr_read_unlock();
		}
	}
	void thread_start() { urcu_qsbr_register_thread(); }
	void thread_stop() { urcu_qsbr_unregister_thread(); }

private:
	struct node {
		cds_lfht_node n; // first: the node pointer is the element pointer
		key k;
		flow_counters counters;
	};
	static int match(cds_lfht_node *n, const void *k)
	{
		return reinterpret_cast<node *>(n)->k == *static_cast<const key *>(k);
	}
	cds_lfht *ht_ = nullptr;
	std::unique_ptr<node[]> pool_;
	std::atomic<std::uint32_t> next_{0};
};
#endif

// ---- DPDK rte_hash ------------------------------------------------------------

#ifdef PKTPATH_HAVE_DPDK
// rte_eal_init once, without hugepages or devices.  It pins the calling
// thread to lcore 0; the benchmark threads it spawns later must not inherit
// that, so the affinity is restored.
bool dpdk_ready()
{
	static const bool ok = [] {
		cpu_set_t saved;
		pthread_getaffinity_np(pthread_self(), sizeof saved, &saved);
		const char *args[] = {"pktpath-bench", "--no-huge",      "-m", "512", "--no-pci",
				      "--no-shconf",   "--no-telemetry", "-l", "0",   "--log-level=error"};
		const bool r = rte_eal_init(sizeof args / sizeof args[0], const_cast<char **>(args)) >= 0;
		pthread_setaffinity_np(pthread_self(), sizeof saved, &saved);
		return r;
	}();
	return ok;
}

std::atomic<unsigned> rte_hash_serial{0}; // rte_hash names are unique per process

template <bool Bulk>
class rte_hash_impl {
public:
	explicit rte_hash_impl(std::uint32_t capacity)
	{
		const std::string name = "pktpath" + std::to_string(rte_hash_serial++);
		rte_hash_parameters p{};
		p.name = name.c_str();
		p.entries = capacity;
		p.key_len = sizeof(key);
		p.hash_func = rte_hash_crc;
		p.socket_id = 0;
		p.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF | RTE_HASH_EXTRA_FLAGS_MULTI_WRITER_ADD;
		h_ = rte_hash_create(&p);
		if (!h_)
			std::abort();
		counters_.reset(new flow_counters[rte_hash_max_key_id(h_) + 1]);
	}
	~rte_hash_impl() { rte_hash_free(h_); }
	void update(const key *k, const std::uint32_t *len, unsigned n, unsigned)
	{
		if (Bulk) {
			const void *keys[burst];
			std::int32_t pos[burst];
			for (unsigned i = 0; i < n; i++)
				keys[i] = &k[i];
			rte_hash_lookup_bulk(h_, keys, n, pos);
			for (unsigned i = 0; i < n; i++)
				if (pos[i] >= 0)
					counters_[pos[i]].at[stage].add(len[i]);
		} else {
			for (unsigned i = 0; i < n; i++) {
				std::int32_t pos = rte_hash_lookup(h_, &k[i]);
				if (pos >= 0)
					counters_[pos].at[stage].add(len[i]);
			}
		}
	}
	void insert(const key *k, const std::uint32_t *len, unsigned n, unsigned)
	{
		for (unsigned i = 0; i < n; i++) {
			std::int32_t pos = rte_hash_add_key(h_, &k[i]);
			if (pos >= 0)
				counters_[pos].at[stage].add(len[i]);
		}
	}
	// Multi-writer adds index per-lcore caches by rte_lcore_id(): the
	// benchmark's threads register as lcores (keeping their affinity).
	void thread_start()
	{
		if (rte_lcore_id() != LCORE_ID_ANY)
			return;
		cpu_set_t saved;
		pthread_getaffinity_np(pthread_self(), sizeof saved, &saved);
		registered = rte_thread_register() == 0;
		pthread_setaffinity_np(pthread_self(), sizeof saved, &saved);
	}
	void thread_stop()
	{
		if (registered)
			rte_thread_unregister();
		registered = false;
	}

private:
	static thread_local bool registered;
	rte_hash *h_ = nullptr;
	std::unique_ptr<flow_counters[]> counters_;
};

template <bool Bulk>
thread_local bool rte_hash_impl<Bulk>::registered = false;
#endif

// ---- the benchmarks -------------------------------------------------------------

void rates(benchmark::State &state)
{
	const double items = static_cast<double>(state.iterations()) * burst;
	state.SetItemsProcessed(static_cast<std::int64_t>(items));
	state.counters["time_per_packet"] =
		benchmark::Counter(items, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

// One table per implementation, filled with the 64k flows once.
template <class Impl>
Impl &hit_table()
{
	static Impl *t = [] {
		Impl *i = new Impl(hit_capacity);
		std::vector<std::uint32_t> len(burst, 1);
		std::vector<key> k(burst);
		i->thread_start();
		for (std::uint32_t f = 0; f < hit_flows; f += burst) {
			for (unsigned b = 0; b < burst; b++)
				k[b] = flow(f + b);
			i->insert(k.data(), len.data(), burst, 0);
		}
		i->thread_stop();
		return i;
	}();
	return *t;
}

template <class Impl>
void table_hit(benchmark::State &state, dist d)
{
	if (state.thread_index() == 0)
		hit_table<Impl>();
	Impl &t = hit_table<Impl>();
	const stream &s =
		packets(d, static_cast<unsigned>(state.threads()), static_cast<unsigned>(state.thread_index()));
	const unsigned thread = static_cast<unsigned>(state.thread_index());
	t.thread_start();
	std::uint32_t pos = 0;
	for (auto _ : state) {
		t.update(&s.keys[pos], &s.lens[pos], burst, thread);
		pos = (pos + burst) & (seq_len - 1);
	}
	t.thread_stop();
	rates(state);
}

template <class Impl>
void table_insert(benchmark::State &state)
{
	static Impl *t;
	const unsigned thread = static_cast<unsigned>(state.thread_index());
	const key *mine = new_keys().data() + thread * (insert_keys / static_cast<unsigned>(state.threads()));
	if (thread == 0)
		t = new Impl(insert_capacity);
	// The loop start is a barrier: t is set before any thread reads it.
	bool started = false;
	std::uint32_t pos = 0;
	for (auto _ : state) {
		if (!started) {
			t->thread_start();
			started = true;
		}
		t->insert(mine + pos, new_lens().data(), burst, thread);
		pos += burst;
	}
	t->thread_stop();
	rates(state);
	if (thread == 0) {
		// The loop end is a barrier too; the other threads may still call
		// thread_stop, which touches only their own registration.
		delete t;
	}
}

template <class Impl>
void register_impl(const char *name, bool insert = true)
{
	for (dist d : {uniform, zipf}) {
		const std::string n = std::string("table_hit/") + name + (d == uniform ? "/uniform" : "/zipf");
		benchmark::RegisterBenchmark(n.c_str(), [d](benchmark::State &s) { table_hit<Impl>(s, d); })
			->Threads(1)
			->Threads(2)
			->UseRealTime();
	}
	for (int threads : {1, 2}) {
		if (!insert)
			break;
		benchmark::RegisterBenchmark((std::string("table_insert/") + name).c_str(), table_insert<Impl>)
			->Threads(threads)
			->Iterations(insert_keys / burst / static_cast<unsigned>(threads))
			->UseRealTime();
	}
}

} // namespace

int main(int argc, char **argv)
{
	register_impl<pktpath_impl<shared_counters, false>>("pktpath_shared");
	register_impl<pktpath_impl<shared_counters, true>>("pktpath_shared_burst");
	register_impl<pktpath_impl<per_writer_counters, false>>("pktpath_per_writer");
	register_impl<pktpath_impl<per_writer_counters, true>>("pktpath_per_writer_burst");
#ifdef PKTPATH_HAVE_DPDK
	if (dpdk_ready()) {
		register_impl<rte_hash_impl<false>>("dpdk_rte_hash");
		register_impl<rte_hash_impl<true>>("dpdk_rte_hash_bulk", false); // inserts as dpdk_rte_hash
	} else {
		std::fprintf(stderr, "rte_eal_init failed: %s; DPDK peers skipped\n", rte_strerror(rte_errno));
	}
#endif
#ifdef PKTPATH_HAVE_TBB
	register_impl<tbb_impl>("tbb");
#endif
#ifdef PKTPATH_HAVE_URCU
	register_impl<urcu_impl>("urcu");
#endif
	register_impl<std_mutex_impl>("std_mutex");
	benchmark::Initialize(&argc, argv);
	if (benchmark::ReportUnrecognizedArguments(argc, argv))
		return 1;
	benchmark::RunSpecifiedBenchmarks();
	benchmark::Shutdown();
	return 0;
}
