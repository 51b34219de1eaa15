// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// Parse + key + hash per frame over a memory-resident set of frames, in ns
// per frame.  Peer (same binary, when DPDK is found): rte_net_get_ptype plus
// the tuple read by hand from the header lengths it returns, hashed the same
// way, so both sides produce the same key and hash.
//
//   parse/pktpath/<mix>       pktpath_parse + fast hash
//   parse/pktpath_crc32c/<mix>, parse/pktpath_toeplitz/<mix>   other hash policies
//   parse/dpdk_ptype/<mix>    rte_net_get_ptype + manual tuple + fast hash
//   parse/dpdk_ptype_only/<mix>  rte_net_get_ptype alone (type, no key: less work than the others)
#include <pktpath/capture/synth.hpp>
#include <pktpath/flow/parse.hpp>
#include <pktpath/hash/hash.hpp>

#include <benchmark/benchmark.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#ifdef PKTPATH_HAVE_DPDK
#include "dpdk_tuple.hpp"
#endif

namespace {

using pktpath::synth::builder;
using pktpath::synth::bytes;

// Frames sit in slots of a DPDK mbuf's stride (128 headroom + 2048 data): a
// 2048-byte stride would map every header to the same two L1 sets.
constexpr std::size_t slot = 2176;

enum mix { ipv4_tcp, ipv4_udp, ipv6_tcp, vlan_ipv4_tcp, mixed };

bytes make_frame(mix m, unsigned i)
{
	const std::uint8_t a = static_cast<std::uint8_t>(i), b = static_cast<std::uint8_t>(i >> 8);
	const std::array<std::uint8_t, 16> s6 = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, b, a};
	const std::array<std::uint8_t, 16> d6 = {0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
	switch (m) {
	case ipv4_tcp:
		return builder()
			.eth(0x0800)
			.ipv4({10, 0, b, a}, {10, 1, 0, 1}, 6)
			.tcp(1024 + i, 443)
			.payload(64)
			.finish();
	case ipv4_udp:
		return builder()
			.eth(0x0800)
			.ipv4({10, 0, b, a}, {10, 1, 0, 1}, 17)
			.udp(1024 + i, 53)
			.payload(64)
			.finish();
	case ipv6_tcp:
		return builder().eth(0x86dd).ipv6(s6, d6, 6).tcp(1024 + i, 443).payload(64).finish();
	case vlan_ipv4_tcp:
		return builder()
			.eth(0x8100)
			.vlan(100, 0x0800)
			.ipv4({10, 0, b, a}, {10, 1, 0, 1}, 6)
			.tcp(1024 + i, 443)
			.payload(64)
			.finish();
	case mixed:
		break;
	}
	return make_frame(static_cast<mix>(i % 4), i);
}

struct frame_set {
	std::vector<std::uint8_t> mem;
	std::vector<std::uint32_t> len;

	std::size_t mask;

	frame_set(mix m, std::size_t nframes) : mem(nframes * slot), len(nframes), mask(nframes - 1)
	{
		for (unsigned i = 0; i < nframes; i++) {
			bytes f = make_frame(m, i);
			std::memcpy(&mem[i * slot], f.data(), f.size());
			len[i] = static_cast<std::uint32_t>(f.size());
		}
	}
	const std::uint8_t *frame(std::size_t i) const { return &mem[i * slot]; }
};

const char *mix_name(mix m)
{
	static const char *const names[] = {"ipv4_tcp", "ipv4_udp", "ipv6_tcp", "vlan_ipv4_tcp", "mixed"};
	return names[m];
}

template <class Hash>
void bm_pktpath(benchmark::State &state, mix m, std::size_t nframes)
{
	frame_set fs(m, nframes);
	const Hash hash;
	std::size_t i = 0;
	std::uint32_t acc = 0;
	for (auto _ : state) {
		pktpath_parse_result r;
		pktpath_parse(fs.frame(i), fs.len[i], PKTPATH_LINKTYPE_ETHERNET, 0, &r);
		acc += hash(r.key) + r.status;
		i = (i + 1) & fs.mask;
	}
	benchmark::DoNotOptimize(acc);
	state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

#ifdef PKTPATH_HAVE_DPDK
// rte_net_get_ptype only reads the mbuf's data pointer and lengths; a
// zero-initialised mbuf pointing at the frame is enough (no EAL, no mempool).
struct mbuf_set {
	std::vector<rte_mbuf> m;
	explicit mbuf_set(const frame_set &fs) : m(fs.len.size())
	{
		for (unsigned i = 0; i < fs.len.size(); i++) {
			std::memset(&m[i], 0, sizeof(rte_mbuf));
			m[i].buf_addr = const_cast<std::uint8_t *>(fs.frame(i));
			m[i].data_off = 0;
			m[i].data_len = static_cast<std::uint16_t>(fs.len[i]);
			m[i].pkt_len = fs.len[i];
			m[i].nb_segs = 1;
			m[i].buf_len = slot;
		}
	}
};

void bm_dpdk(benchmark::State &state, mix m, std::size_t nframes)
{
	frame_set fs(m, nframes);
	mbuf_set ms(fs);
	const pktpath::fast_hash hash;
	// Both paths must derive the same key, or the comparison means nothing.
	for (unsigned i = 0; i < fs.len.size(); i++) {
		rte_net_hdr_lens hl;
		pktpath_flow_key k;
		std::uint32_t pt = rte_net_get_ptype(&ms.m[i], &hl, RTE_PTYPE_ALL_MASK);
		pktpath_parse_result r;
		pktpath_parse(fs.frame(i), fs.len[i], PKTPATH_LINKTYPE_ETHERNET, 0, &r);
		if (!dpdk_key(&ms.m[i], pt, hl, k) || !pktpath_key_equal(&k, &r.key)) {
			state.SkipWithError("DPDK and pktpath keys differ");
			return;
		}
	}
	std::size_t i = 0;
	std::uint32_t acc = 0;
	for (auto _ : state) {
		rte_net_hdr_lens hl;
		pktpath_flow_key k;
		std::uint32_t pt = rte_net_get_ptype(&ms.m[i], &hl, RTE_PTYPE_ALL_MASK);
		if (dpdk_key(&ms.m[i], pt, hl, k))
			acc += hash(k);
		i = (i + 1) & fs.mask;
	}
	benchmark::DoNotOptimize(acc);
	state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

// Classification alone (no key, no hash): what rte_net_get_ptype costs by itself.
void bm_dpdk_type_only(benchmark::State &state, mix m, std::size_t nframes)
{
	frame_set fs(m, nframes);
	mbuf_set ms(fs);
	std::size_t i = 0;
	std::uint32_t acc = 0;
	for (auto _ : state) {
		rte_net_hdr_lens hl;
		acc += rte_net_get_ptype(&ms.m[i], &hl, RTE_PTYPE_ALL_MASK) + hl.l3_len;
		i = (i + 1) & fs.mask;
	}
	benchmark::DoNotOptimize(acc);
	state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
#endif

// 256 frames: an RX ring's worth, headers cache-resident.  4096 frames (9 MB):
// each header a cache miss, as when a burst arrives from DMA.
int register_all()
{
	for (std::size_t n : {std::size_t{256}, std::size_t{4096}}) {
		const std::string suffix = n == 256 ? "" : "/frames:4096";
		for (mix m : {ipv4_tcp, ipv4_udp, ipv6_tcp, vlan_ipv4_tcp, mixed}) {
			std::string name = std::string(mix_name(m)) + suffix;
			benchmark::RegisterBenchmark(("parse/pktpath/" + name).c_str(), bm_pktpath<pktpath::fast_hash>,
						     m, n);
			benchmark::RegisterBenchmark(("parse/pktpath_crc32c/" + name).c_str(),
						     bm_pktpath<pktpath::crc32c_hash>, m, n);
			benchmark::RegisterBenchmark(("parse/pktpath_toeplitz/" + name).c_str(),
						     bm_pktpath<pktpath::toeplitz_hash>, m, n);
#ifdef PKTPATH_HAVE_DPDK
			benchmark::RegisterBenchmark(("parse/dpdk_ptype/" + name).c_str(), bm_dpdk, m, n);
			benchmark::RegisterBenchmark(("parse/dpdk_ptype_only/" + name).c_str(), bm_dpdk_type_only, m,
						     n);
#endif
		}
	}
	return 0;
}

const int registered = register_all();

} // namespace

BENCHMARK_MAIN();
