// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// rx -> classify -> count per flow at pktpath-dpdk's stages, in frames per
// second, through pktpath's adapters (dpdk/mbuf.hpp: burst_counter, the
// replay's burst classifier over a per-writer stage table) and through a
// plain DPDK loop: rte_net_get_ptype, the tuple read by hand from the
// header lengths it returns, rte_hash (lock-free RW concurrency, bulk
// lookup of 32, add on a miss) and the same packets/bytes counters per
// stage (plain, one lcore).  Both prefetch a burst's packet data first (as
// l3fwd does) and count every frame at rx, ring, worker and drop, as
// pktpath-dpdk's worker does without --tx.
//
//   dpdk/mbufs/{pktpath,rte_hash}/frames:N  bursts of 32 from N mbufs prepared in memory
//   dpdk/pcap_pmd/{pktpath,rte_hash}  bursts of 32 from rte_eth_rx_burst on net_pcap, infinite_rx=1
//                                     (the PMD copies each frame into a fresh mbuf: it dominates)
//
// 32768 frames of 8192 flows (IPv4 TCP and UDP, IPv6 TCP, 64 to 190 bytes).
// Before measuring, both paths count every frame once and must agree on
// every flow's count.  EAL: --no-huge -l 0, no PCI, no shared files; the
// capture lives in a directory under $TMPDIR removed at exit.
#include <pktpath/capture/synth.hpp>
#include <pktpath/capture/writer.hpp>
#include <pktpath/dpdk/mbuf.hpp>
#include <pktpath/table/snapshot.hpp>
#include <pktpath/table/stage_table.hpp>

#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <pthread.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include "dpdk_tuple.hpp"

namespace {

struct dpdk_stages {
	enum : unsigned { rx, ring, worker, tx, drop };
	static constexpr pktpath::stage_def stages[] = {
		{"rx", pktpath::no_pred}, {"ring", rx}, {"worker", ring}, {"tx", worker}, {"drop", worker}};
};
using table = pktpath::stage_table<pktpath::flow_key, dpdk_stages, pktpath::per_writer_counters>;
constexpr std::uint32_t mask =
	1u << dpdk_stages::rx | 1u << dpdk_stages::ring | 1u << dpdk_stages::worker | 1u << dpdk_stages::drop;
constexpr unsigned nstages = 5;
constexpr std::uint32_t nframes = 32768, nflows = 8192, capacity = 1u << 14; // load 0.5 for both
constexpr std::uint16_t burst = 32;

pktpath::synth::bytes make_frame(std::uint32_t i)
{
	const std::uint32_t f = i % nflows;
	const std::uint8_t a = static_cast<std::uint8_t>(f), b = static_cast<std::uint8_t>(f >> 8);
	const std::size_t pad = 10 + i % 128;
	switch (f % 3) {
	case 0:
		return pktpath::synth::builder()
			.eth(0x0800)
			.ipv4({10, 0, b, a}, {10, 1, 0, 1}, 6)
			.tcp(1024 + f, 443)
			.payload(pad)
			.finish();
	case 1:
		return pktpath::synth::builder()
			.eth(0x0800)
			.ipv4({10, 2, b, a}, {10, 1, 0, 1}, 17)
			.udp(2048 + f, 53)
			.payload(pad)
			.finish();
	default:
		return pktpath::synth::builder()
			.eth(0x86dd)
			.ipv6({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, b, a},
			      {0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 6)
			.tcp(1024 + f, 443)
			.payload(pad)
			.finish();
	}
}

// ---- the two pipelines -----------------------------------------------------

class pktpath_path {
public:
	// As pktpath-dpdk's workers: no steering hash.
	pktpath_path() : t_(table::create(capacity)), count_(t_, {0, false, nullptr, false}) {}
	void operator()(rte_mbuf *const *m, std::uint16_t n) { count_(mask, m, n); }
	table &t() { return t_; }

private:
	table t_;
	pktpath::dpdk::burst_counter<table> count_;
};

// rte_net_get_ptype, then the tuple by hand.
bool dpdk_key(const rte_mbuf *m, pktpath_flow_key &k)
{
	rte_net_hdr_lens hl;
	const std::uint32_t pt = rte_net_get_ptype(m, &hl, RTE_PTYPE_ALL_MASK);
	return ::dpdk_key(m, pt, hl, k);
}

class rte_hash_path {
public:
	struct counter {
		std::uint64_t packets, bytes;
	};
	struct flow_counters {
		counter at[nstages];
	};

	rte_hash_path()
	{
		static unsigned serial = 0;
		const std::string name = "bench" + std::to_string(serial++);
		rte_hash_parameters p{};
		p.name = name.c_str();
		p.entries = capacity;
		p.key_len = sizeof(pktpath_flow_key);
		p.hash_func = rte_hash_crc;
		p.socket_id = 0;
		p.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF;
		h_ = rte_hash_create(&p);
		if (h_ == nullptr)
			std::abort();
		c_.assign(rte_hash_max_key_id(h_) + 1, flow_counters{});
	}
	~rte_hash_path() { rte_hash_free(h_); }
	rte_hash_path(const rte_hash_path &) = delete;
	rte_hash_path &operator=(const rte_hash_path &) = delete;

	void operator()(rte_mbuf *const *m, std::uint16_t n)
	{
		pktpath_flow_key keys[burst];
		const void *kp[burst];
		std::int32_t pos[burst];
		std::uint32_t keyed = 0;
		std::uint16_t which[burst];
		for (std::uint16_t i = 0; i < n; i++) // as l3fwd does, and pktpath's classifier
			rte_prefetch0(rte_pktmbuf_mtod(m[i], void *));
		for (std::uint16_t i = 0; i < n; i++)
			if (dpdk_key(m[i], keys[keyed])) {
				kp[keyed] = &keys[keyed];
				which[keyed++] = i;
			} else {
				count(unclassified_, m[i]->pkt_len);
			}
		rte_hash_lookup_bulk(h_, kp, keyed, pos);
		for (std::uint32_t j = 0; j < keyed; j++) {
			if (pos[j] < 0)
				pos[j] = rte_hash_add_key(h_, kp[j]);
			if (pos[j] >= 0)
				count(c_[static_cast<std::size_t>(pos[j])], m[which[j]]->pkt_len);
		}
	}

	// The rx count of the flow of key, or -1.
	std::int64_t rx(const pktpath_flow_key &k) const
	{
		const std::int32_t p = rte_hash_lookup(h_, &k);
		return p < 0 ? -1
			     : static_cast<std::int64_t>(c_[static_cast<std::size_t>(p)].at[dpdk_stages::rx].packets);
	}
	std::uint32_t flows() const { return static_cast<std::uint32_t>(rte_hash_count(h_)); }

private:
	static void count(flow_counters &c, std::uint64_t bytes)
	{
		for (unsigned st = 0; st < nstages; st++)
			if (mask & (1u << st)) {
				c.at[st].packets++;
				c.at[st].bytes += bytes;
			}
	}

	rte_hash *h_;
	std::vector<flow_counters> c_;
	flow_counters unclassified_{};
};

// ---- EAL, the mbufs and the pcap port ----------------------------------------

struct environment {
	std::string dir, capture;
	rte_mempool *pool = nullptr;  // the PMD's
	rte_mempool *fixed = nullptr; // the prepared mbufs'
	std::vector<rte_mbuf *> mbufs;
	std::uint16_t port = 0;
	bool ok = false;

	environment()
	{
		const char *tmp = std::getenv("TMPDIR");
		std::string tmpl = std::string(tmp && *tmp ? tmp : "/tmp") + "/pktpath-bench-dpdk.XXXXXX";
		if (::mkdtemp(&tmpl[0]) == nullptr)
			return;
		dir = tmpl;
		capture = dir + "/frames.pcap";
		pktpath::capture::pcap_writer w;
		if (!w.open(capture.c_str(), PKTPATH_LINKTYPE_ETHERNET))
			return;
		std::vector<pktpath::synth::bytes> frames;
		for (std::uint32_t i = 0; i < nframes; i++) {
			frames.push_back(make_frame(i));
			const auto &f = frames.back();
			w.write(f.data(), static_cast<std::uint32_t>(f.size()), static_cast<std::uint32_t>(f.size()),
				std::uint64_t{i} * 1000);
		}
		if (!w.close())
			return;
		// rte_eal_init pins the thread to lcore 0: keep the caller's affinity (taskset).
		cpu_set_t saved;
		pthread_getaffinity_np(pthread_self(), sizeof saved, &saved);
		const std::string vdev = "--vdev=net_pcap0,rx_pcap=" + capture + ",infinite_rx=1";
		const std::string prefix = "--file-prefix=pktpath-bench-" + std::to_string(::getpid());
		const char *args[] = {"pktpath-bench-dpdk", "--no-huge",      "-m", "1024", "--no-pci",
				      "--no-shconf",        "--no-telemetry", "-l", "0",    "--log-level=error",
				      vdev.c_str(),         prefix.c_str()};
		const bool eal = rte_eal_init(sizeof args / sizeof args[0], const_cast<char **>(args)) >= 0;
		pthread_setaffinity_np(pthread_self(), sizeof saved, &saved);
		if (!eal)
			return;
		fixed = rte_pktmbuf_pool_create("bench_fixed", nframes, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
		pool = rte_pktmbuf_pool_create("bench_pmd", nframes + 8192, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
		if (fixed == nullptr || pool == nullptr)
			return;
		for (const auto &f : frames) {
			rte_mbuf *m = rte_pktmbuf_alloc(fixed);
			if (m == nullptr)
				return;
			std::memcpy(rte_pktmbuf_append(m, static_cast<std::uint16_t>(f.size())), f.data(), f.size());
			mbufs.push_back(m);
		}
		rte_eth_conf conf{};
		ok = rte_eth_dev_count_avail() == 1 && rte_eth_dev_configure(port, 1, 1, &conf) == 0 &&
		     rte_eth_rx_queue_setup(port, 0, 1024, 0, nullptr, pool) == 0 &&
		     rte_eth_tx_queue_setup(port, 0, 1024, 0, nullptr) == 0 && rte_eth_dev_start(port) == 0;
	}

	~environment()
	{
		if (ok) {
			rte_eth_dev_stop(port);
			rte_eth_dev_close(port);
		}
		const std::string runtime = rte_eal_get_runtime_dir();
		rte_eal_cleanup();
		std::remove(capture.c_str());
		::rmdir(dir.c_str());
		::rmdir(runtime.c_str()); // empty with --no-shconf
	}
};

environment &env()
{
	static environment e;
	return e;
}

// Both paths count every prepared frame once and agree on every flow.
bool paths_agree()
{
	pktpath_path p;
	rte_hash_path d;
	environment &e = env();
	for (std::uint32_t i = 0; i < nframes; i += burst) {
		p(&e.mbufs[i], burst);
		d(&e.mbufs[i], burst);
	}
	const pktpath::table_snapshot s(p.t().view());
	if (d.flows() != nflows || s.flow_count() != nflows)
		return false;
	for (std::size_t i = 0; i < s.flow_count(); i++) {
		const std::int64_t rx = static_cast<std::int64_t>(s.at(i, dpdk_stages::rx).packets);
		if (rx != nframes / nflows || d.rx(s.key_as<pktpath_flow_key>(i)) != rx)
			return false;
	}
	return true;
}

template <class Path>
void bm_mbufs(benchmark::State &state)
{
	environment &e = env();
	if (!e.ok || !paths_agree()) {
		state.SkipWithError("DPDK set-up failed, or the two paths count differently");
		return;
	}
	Path path;
	const std::uint32_t n = static_cast<std::uint32_t>(state.range(0));
	std::uint32_t i = 0;
	for (auto _ : state) {
		path(&e.mbufs[i], burst);
		i = (i + burst) % n;
	}
	state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * burst);
}

template <class Path>
void bm_pcap_pmd(benchmark::State &state)
{
	environment &e = env();
	if (!e.ok || !paths_agree()) {
		state.SkipWithError("DPDK set-up failed, or the two paths count differently");
		return;
	}
	Path path;
	rte_mbuf *m[burst];
	std::int64_t frames = 0;
	for (auto _ : state) {
		const std::uint16_t n = rte_eth_rx_burst(e.port, 0, m, burst);
		path(m, n);
		rte_pktmbuf_free_bulk(m, n);
		frames += n;
	}
	state.SetItemsProcessed(frames);
}

// 1024 mbufs (1024 flows): an RX ring's worth, recycled hot through the
// mempool cache; 32768 (8192 flows): every header a cache miss.
BENCHMARK_TEMPLATE(bm_mbufs, pktpath_path)->Name("dpdk/mbufs/pktpath")->ArgName("frames")->Arg(1024)->Arg(nframes);
BENCHMARK_TEMPLATE(bm_mbufs, rte_hash_path)->Name("dpdk/mbufs/rte_hash")->ArgName("frames")->Arg(1024)->Arg(nframes);
BENCHMARK_TEMPLATE(bm_pcap_pmd, pktpath_path)->Name("dpdk/pcap_pmd/pktpath");
BENCHMARK_TEMPLATE(bm_pcap_pmd, rte_hash_path)->Name("dpdk/pcap_pmd/rte_hash");

} // namespace

BENCHMARK_MAIN();
