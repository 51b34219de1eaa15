// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// Nanoseconds per key for each hash policy on IPv4 and IPv6 5-tuples, with
// DPDK's software Toeplitz and CRC as peers when present.  Before measuring,
// the DPDK peers are checked to compute the same values (abort otherwise).
//
// Throughput, not latency: the keys are independent, so the CPU overlaps
// consecutive hashes, as it does when a burst of packets is hashed.
#include <pktpath/hash/hash.hpp>

#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#ifdef PKTPATH_HAVE_DPDK
#include <rte_byteorder.h>
#include <rte_hash_crc.h>
#include <rte_thash.h>
#endif

namespace {

using namespace pktpath;

// 4096 keys stay in L1/L2: the figure is the hash, not memory.
constexpr std::size_t n_keys = 4096;

template <class Key>
Key random_key(std::mt19937_64 &rng)
{
	Key k{};
	for (auto &b : k.src)
		b = std::uint8_t(rng());
	for (auto &b : k.dst)
		b = std::uint8_t(rng());
	k.sport = std::uint16_t(rng());
	k.dport = std::uint16_t(rng());
	k.proto = 6;
	k.flags = std::uint8_t((Key::addr_len == 4 ? PKTPATH_KEY_IPV4 : PKTPATH_KEY_IPV6) | PKTPATH_KEY_PORTS);
	return k;
}

template <class Key>
const std::vector<Key> &keys()
{
	static const std::vector<Key> v = [] {
		std::mt19937_64 rng(42);
		std::vector<Key> r(n_keys);
		for (auto &k : r)
			k = random_key<Key>(rng);
		return r;
	}();
	return v;
}

template <class Key, class Hash>
void run(benchmark::State &state, const Hash &h)
{
	const std::vector<Key> &ks = keys<Key>();
	std::uint32_t acc = 0;
	for (auto _ : state) {
		for (const Key &k : ks)
			acc ^= h(k);
		benchmark::DoNotOptimize(acc);
	}
	state.SetItemsProcessed(std::int64_t(state.iterations()) * std::int64_t(ks.size()));
	state.counters["time_per_key"] = benchmark::Counter(
		double(ks.size()), benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

// The portable CRC32C table path, to show what the instruction buys.
struct crc32c_table_hash {
	template <class Key>
	std::uint32_t operator()(const Key &k) const noexcept
	{
		return crc32c_software(&k, sizeof(k));
	}
};

#ifdef PKTPATH_HAVE_DPDK
// DPDK wants the tuple as host-order 32-bit words; converting from the key
// is part of the cost, as it is for pktpath's hash.
template <class Key>
std::uint32_t to_dpdk(const Key &k, rte_thash_tuple &t)
{
	std::uint32_t w[Key::addr_len / 2];
	std::memcpy(w, k.src, Key::addr_len);
	std::memcpy(w + Key::addr_len / 4, k.dst, Key::addr_len);
	if constexpr (Key::addr_len == 4) {
		t.v4.src_addr = rte_be_to_cpu_32(w[0]);
		t.v4.dst_addr = rte_be_to_cpu_32(w[1]);
		t.v4.sport = k.sport;
		t.v4.dport = k.dport;
		return (k.flags & PKTPATH_KEY_PORTS) ? RTE_THASH_V4_L4_LEN : RTE_THASH_V4_L3_LEN;
	} else {
		for (std::size_t i = 0; i < 4; ++i) {
			const std::uint32_t s = rte_be_to_cpu_32(w[i]), d = rte_be_to_cpu_32(w[4 + i]);
			std::memcpy(t.v6.src_addr + 4 * i, &s, 4);
			std::memcpy(t.v6.dst_addr + 4 * i, &d, 4);
		}
		t.v6.sport = k.sport;
		t.v6.dport = k.dport;
		return (k.flags & PKTPATH_KEY_PORTS) ? RTE_THASH_V6_L4_LEN : RTE_THASH_V6_L3_LEN;
	}
}

// DPDK reads the RSS key as 32-bit words.
struct dpdk_keys {
	alignas(4) std::uint8_t plain[40];
	alignas(4) std::uint32_t converted[10]; // for rte_softrss_be
	dpdk_keys()
	{
		std::memcpy(plain, microsoft_rss_key, sizeof(plain));
		rte_convert_rss_key(reinterpret_cast<const std::uint32_t *>(plain), converted, sizeof(plain));
	}
};
const dpdk_keys &dpdk_key()
{
	static const dpdk_keys k;
	return k;
}

struct dpdk_softrss_hash {
	template <class Key>
	std::uint32_t operator()(const Key &k) const noexcept
	{
		rte_thash_tuple t;
		const std::uint32_t len = to_dpdk(k, t);
		return rte_softrss(reinterpret_cast<std::uint32_t *>(&t), len, dpdk_key().plain);
	}
};

struct dpdk_softrss_be_hash {
	template <class Key>
	std::uint32_t operator()(const Key &k) const noexcept
	{
		rte_thash_tuple t;
		const std::uint32_t len = to_dpdk(k, t);
		return rte_softrss_be(reinterpret_cast<std::uint32_t *>(&t), len,
				      reinterpret_cast<const std::uint8_t *>(dpdk_key().converted));
	}
};

// rte_hash_crc is CRC32C without the final inversion; init ~0 and invert
// to get the standard value (and so pktpath's).
struct dpdk_crc_hash {
	template <class Key>
	std::uint32_t operator()(const Key &k) const noexcept
	{
		return ~rte_hash_crc(&k, sizeof(k), ~0u);
	}
};

template <class Key>
void check_dpdk_peers(std::mt19937_64 &rng)
{
	const toeplitz_hash ours;
	const crc32c_hash crc;
	for (int i = 0; i < 100000; ++i) {
		Key k = random_key<Key>(rng);
		if (i & 1) { // IP-only half
			k.flags &= std::uint8_t(~PKTPATH_KEY_PORTS);
			k.sport = k.dport = 0;
		}
		const std::uint32_t want = ours(k);
		const std::uint32_t soft = dpdk_softrss_hash()(k), be = dpdk_softrss_be_hash()(k);
		const std::uint32_t c = crc(k), dc = dpdk_crc_hash()(k);
		if (soft != want || be != want || c != dc) {
			std::fprintf(stderr,
				     "DPDK peer mismatch (IPv%u key %d): toeplitz %08x rte_softrss %08x "
				     "rte_softrss_be %08x; crc32c %08x rte_hash_crc %08x\n",
				     k.ipver(), i, unsigned(want), unsigned(soft), unsigned(be), unsigned(c),
				     unsigned(dc));
			std::abort();
		}
	}
}
#endif

template <class Hash>
void add(const char *name, const Hash &h)
{
	benchmark::RegisterBenchmark((std::string("hash/") + name + "/ipv4").c_str(),
				     [h](benchmark::State &s) { run<ipv4_5tuple>(s, h); });
	benchmark::RegisterBenchmark((std::string("hash/") + name + "/ipv6").c_str(),
				     [h](benchmark::State &s) { run<ipv6_5tuple>(s, h); });
}

} // namespace

int main(int argc, char **argv)
{
	add("toeplitz", toeplitz_hash());
	add("crc32c", crc32c_hash());
	add("crc32c_table", crc32c_table_hash());
	add("fast", fast_hash());
#ifdef PKTPATH_HAVE_DPDK
	std::mt19937_64 rng(7);
	check_dpdk_peers<ipv4_5tuple>(rng);
	check_dpdk_peers<ipv6_5tuple>(rng);
	add("dpdk_softrss", dpdk_softrss_hash());
	add("dpdk_softrss_be", dpdk_softrss_be_hash());
	add("dpdk_crc", dpdk_crc_hash());
#endif
	benchmark::Initialize(&argc, argv);
	if (benchmark::ReportUnrecognizedArguments(argc, argv))
		return 1;
	benchmark::RunSpecifiedBenchmarks();
	benchmark::Shutdown();
	return 0;
}
