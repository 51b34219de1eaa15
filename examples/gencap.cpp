// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// pktpath-gencap: writes the captures bundled in examples/captures/, so that
// every byte the project ships was made by the project.  Output is
// deterministic: the same program writes the same bytes.
//
//   pktpath-gencap mix|drops|encaps|raw12|raw14 OUT.pcap
//
// mix: a clean mix of IPv4/IPv6, TCP/UDP/ICMP, VLAN and QinQ flows, an IPv4
// fragmented datagram, a VXLAN-tunnelled flow, ARP; the eight TCP flows of the
// Microsoft RSS verification suite and non-first fragments of them, so
// `pktpath-flows --hash toeplitz` prints the suite's published hashes, with
// and without ports.
//
// drops: traffic that drives pktpath-replay's default model (512-descriptor
// RX ring, 2 CPUs with RPS, 200 ns poll + 800 ns stack per frame, max_backlog
// 1000) into drops, nanosecond timestamps: a quiet mix; a 10 Gbit/s
// line-rate burst of 64-byte frames of one UDP flow with TCP "mice" mixed in
// (the RX ring overflows: elephant and mice lose frames); a 2 Mpps
// UDP flow that CPU 0 polls fast enough but its RPS CPU cannot process (the
// backlog alone drops); frames without a flow key (ARP, LLDP, a snap-cut
// IPv4 header); a quiet mix again.
//
// encaps: one UDP flow behind each Ethernet encapsulation the parser walks
// (802.1Q, QinQ, MPLS, PPPoE with and without protocol compression,
// LLC/SNAP, MACsec integrity-only, NSH, VN-Tag, E-Tag, the 802.1ah I-TAG),
// each flow its own ports, and MACsec frames whose data is encrypted or
// changed (no key): what tests/tools/encaps_vs_tshark.py compares with tshark.
//
// raw12, raw14: raw IPv4 and IPv6 frames under link types 12 and 14, the
// numbers some BSDs give DLT_RAW and older captures store.

#include <pktpath/capture/synth.hpp>
#include <pktpath/capture/writer.hpp>
#include <pktpath/flow/parse.h>

#include <array>
#include <cstdio>
#include <cstring>
#include <functional>
#include <random>
#include <vector>

namespace {

using pktpath::synth::builder;
using pktpath::synth::bytes;
using v4 = std::array<std::uint8_t, 4>;
using v6 = std::array<std::uint8_t, 16>;

struct endpoint4 {
	v4 addr;
	unsigned port;
};
struct endpoint6 {
	v6 addr;
	unsigned port;
};

// The Microsoft RSS verification suite's tuples (source -> destination).
const std::pair<endpoint4, endpoint4> rss_v4[] = {
	{{{66, 9, 149, 187}, 2794}, {{161, 142, 100, 80}, 1766}},
	{{{199, 92, 111, 2}, 14230}, {{65, 69, 140, 83}, 4739}},
	{{{24, 19, 198, 95}, 12898}, {{12, 22, 207, 184}, 38024}},
	{{{38, 27, 205, 30}, 48228}, {{209, 142, 163, 6}, 2217}},
	{{{153, 39, 163, 191}, 44251}, {{202, 188, 127, 2}, 1303}},
};
const std::pair<endpoint6, endpoint6> rss_v6[] = {
	{{{0x3f, 0xfe, 0x25, 0x01, 0x02, 0x00, 0x1f, 0xff, 0, 0, 0, 0, 0, 0, 0, 7}, 2794},
	 {{0x3f, 0xfe, 0x25, 0x01, 0x02, 0x00, 0x00, 0x03, 0, 0, 0, 0, 0, 0, 0, 1}, 1766}},
	{{{0x3f, 0xfe, 0x05, 0x01, 0x00, 0x08, 0, 0, 0x02, 0x60, 0x97, 0xff, 0xfe, 0x40, 0xef, 0xab}, 14230},
	 {{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 4739}},
	{{{0x3f, 0xfe, 0x19, 0x00, 0x45, 0x45, 0x00, 0x03, 0x02, 0x00, 0xf8, 0xff, 0xfe, 0x21, 0x67, 0xcf}, 44251},
	 {{0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x02, 0x00, 0xf8, 0xff, 0xfe, 0x21, 0x67, 0xcf}, 38024}},
};

class generator {
public:
	explicit generator(std::uint64_t start_ns) : now_(start_ns) {}

	void add(const bytes &f, std::uint64_t gap_ns = 10000)
	{
		now_ += gap_ns;
		frames_.push_back({f, now_});
	}

	// A frame captured with only its first `caplen` bytes (a snap length).
	void add_snapped(const bytes &f, std::size_t caplen, std::uint64_t gap_ns)
	{
		now_ += gap_ns;
		frames_.push_back({bytes(f.begin(), f.begin() + static_cast<std::ptrdiff_t>(caplen)), now_, f.size()});
	}

	bool write(const char *path, bool nsec = false, std::uint32_t linktype = PKTPATH_LINKTYPE_ETHERNET)
	{
		pktpath::capture::pcap_writer w;
		if (!w.open(path, linktype, 262144, nsec))
			return report(w);
		for (auto &f : frames_)
			if (!w.write(f.data.data(), static_cast<std::uint32_t>(f.data.size()),
				     static_cast<std::uint32_t>(f.origlen ? f.origlen : f.data.size()), f.ts_ns))
				return report(w);
		if (!w.close())
			return report(w);
		std::fprintf(stderr, "pktpath-gencap: wrote %zu frames to %s\n", frames_.size(), path);
		return true;
	}

private:
	struct rec {
		bytes data;
		std::uint64_t ts_ns;
		std::size_t origlen = 0; // 0: the whole frame was captured
	};

	static bool report(const pktpath::capture::pcap_writer &w)
	{
		std::fprintf(stderr, "pktpath-gencap: %s\n", w.err().message);
		return false;
	}

	std::uint64_t now_;
	std::vector<rec> frames_;
};

bytes tcp4(const endpoint4 &s, const endpoint4 &d, std::size_t payload, unsigned vlan = 0)
{
	builder b;
	if (vlan)
		b.eth(0x8100).vlan(vlan, 0x0800);
	else
		b.eth(0x0800);
	return b.ipv4(s.addr, d.addr, 6).tcp(s.port, d.port).payload(payload).finish();
}

bytes tcp6(const endpoint6 &s, const endpoint6 &d, std::size_t payload)
{
	return builder().eth(0x86dd).ipv6(s.addr, d.addr, 6).tcp(s.port, d.port).payload(payload).finish();
}

void make_mix(generator &g)
{
	std::mt19937 rng(20261121); // the engine's sequence is fixed by the standard
	// 1. The RSS suite's flows: a request and an answer each, three times.
	for (int round = 0; round < 3; round++) {
		for (auto &t : rss_v4) {
			g.add(tcp4(t.first, t.second, 100 + rng() % 400));
			g.add(tcp4(t.second, t.first, 40 + rng() % 1400));
		}
		for (auto &t : rss_v6) {
			g.add(tcp6(t.first, t.second, 100 + rng() % 400));
			g.add(tcp6(t.second, t.first, 40 + rng() % 1400));
		}
	}
	// Their non-first fragments carry no ports: the suite's "IP only" hashes.
	for (auto &t : rss_v4)
		g.add(builder().eth(0x0800).ipv4(t.first.addr, t.second.addr, 6, 100).payload(200).finish());
	for (auto &t : rss_v6)
		g.add(builder()
			      .eth(0x86dd)
			      .ipv6(t.first.addr, t.second.addr, 44)
			      .frag6(6, 100, false)
			      .payload(200)
			      .finish());
	// 2. Client/server traffic: IPv4 and IPv6, TCP and UDP, some on VLANs.
	const v6 client6 = {0x20, 0x01, 0x0d, 0xb8, 0, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x21};
	const v6 server6 = {0x20, 0x01, 0x0d, 0xb8, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80};
	for (int i = 0; i < 240; i++) {
		const unsigned c = 1 + static_cast<unsigned>(i) % 12;
		const endpoint4 cli = {{10, 0, 1, static_cast<std::uint8_t>(c)}, 40000 + c};
		const std::size_t len = 60 + rng() % 1400;
		switch (i % 8) {
		case 0:
		case 1:
			g.add(tcp4(cli, {{10, 0, 0, 80}, 443}, len), 2000 + rng() % 8000);
			break;
		case 2:
			g.add(tcp4({{10, 0, 0, 80}, 443}, cli, len), 2000 + rng() % 8000);
			break;
		case 3:
			g.add(builder()
				      .eth(0x0800)
				      .ipv4(cli.addr, {10, 0, 0, 53}, 17)
				      .udp(cli.port, 53)
				      .payload(30 + rng() % 40)
				      .finish());
			break;
		case 4:
			g.add(tcp4({{172, 16, 5, static_cast<std::uint8_t>(c)}, 50000 + c}, {{172, 16, 0, 1}, 22}, len,
				   100));
			break;
		case 5:
			g.add(builder()
				      .eth(0x88a8)
				      .vlan(300, 0x8100)
				      .vlan(200, 0x0800)
				      .ipv4({192, 168, 7, 2}, {192, 168, 7, 1}, 17)
				      .udp(5004, 5004)
				      .payload(172)
				      .finish());
			break;
		case 6:
			g.add(tcp6({client6, 51000 + c}, {server6, 443}, len));
			break;
		default:
			g.add(builder()
				      .eth(0x86dd)
				      .ipv6(client6, server6, 17)
				      .udp(52000 + c, 4433)
				      .payload(len)
				      .finish());
			break;
		}
	}
	// 3. Control traffic and an IPv4 datagram in two fragments.
	for (int i = 0; i < 4; i++) {
		g.add(builder()
			      .eth(0x0800)
			      .ipv4({10, 0, 1, 1}, {10, 0, 0, 1}, 1)
			      .raw({8, 0, 0, 0, 0, 1})
			      .be16(static_cast<unsigned>(i))
			      .payload(56)
			      .finish());
		g.add(builder()
			      .eth(0x86dd)
			      .ipv6(client6, server6, 58)
			      .raw({128, 0, 0, 0, 0, 1})
			      .be16(static_cast<unsigned>(i))
			      .payload(56)
			      .finish());
		g.add(builder().eth(0x0806).raw({0, 1, 8, 0, 6, 4, 0, 1}).zeros(20).finish());
	}
	g.add(builder()
		      .eth(0x0800)
		      .ipv4({10, 0, 1, 9}, {10, 0, 0, 53}, 17, 0x2000)
		      .udp(5353, 53)
		      .payload(1472)
		      .finish());
	g.add(builder().eth(0x0800).ipv4({10, 0, 1, 9}, {10, 0, 0, 53}, 17, 185).payload(600).finish());
	// 4. A VXLAN overlay: the outer key is the VTEPs' UDP flow, --inner gives the tenant's.
	for (int i = 0; i < 6; i++)
		g.add(builder()
			      .eth(0x0800)
			      .ipv4({192, 0, 2, 10}, {192, 0, 2, 20}, 17)
			      .udp(49152 + static_cast<unsigned>(i % 2), 4789)
			      .vxlan(5001)
			      .eth(0x0800)
			      .ipv4({10, 200, 0, 1}, {10, 200, 0, 2}, 6)
			      .tcp(33000, 8080)
			      .payload(200)
			      .finish());
}

// A minimum-size frame (60 bytes before the FCS) of a UDP flow.
bytes udp64(const v4 &src, unsigned sport, const v4 &dst, unsigned dport)
{
	return builder().eth(0x0800).ipv4(src, dst, 17).udp(sport, dport).payload(18).finish();
}

void make_drops(generator &g)
{
	std::mt19937 rng(20260101);
	const v4 server = {203, 0, 113, 10};
	auto quiet = [&](int frames) {
		for (int i = 0; i < frames; i++) {
			const std::uint8_t c = static_cast<std::uint8_t>(1 + i % 8);
			// One draw per statement: the order of a call's arguments is
			// unspecified (GCC and Clang differ), the bytes must not be.
			const std::uint64_t gap = 20000 + rng() % 10000;
			if (i % 4 == 3)
				g.add(builder()
					      .eth(0x0800)
					      .ipv4({192, 0, 2, c}, server, 17)
					      .udp(33000u + c, 53)
					      .payload(40)
					      .finish(),
				      gap);
			else
				g.add(tcp4({{192, 0, 2, c}, 41000u + c}, {server, 443}, 60 + rng() % 400), gap);
		}
	};
	quiet(400);
	// Line rate: a 64-byte frame every 67.2 ns (84 bytes with preamble and
	// gap at 10 Gbit/s); every 8th frame a TCP mouse of one of 6 clients.
	// The elephant 198.51.100.7:5001 > 203.0.113.10:9000 hashes to CPU 1 of 2.
	const bytes elephant = udp64({198, 51, 100, 7}, 5001, server, 9000);
	std::uint64_t tenth_ns = 0;
	for (int i = 0; i < 5000; i++) {
		const std::uint64_t gap = (tenth_ns + 672) / 10 - tenth_ns / 10;
		tenth_ns += 672;
		const std::uint8_t c = static_cast<std::uint8_t>(11 + i / 8 % 6);
		if (i % 8 == 7)
			g.add(tcp4({{192, 0, 2, c}, 42000u + c}, {server, 443}, 6), i ? gap : 1000000);
		else
			g.add(elephant, i ? gap : 1000000);
	}
	// 2 Mpps for 1.75 ms: CPU 0 polls it (200 ns a frame) but CPU 1, where
	// 198.51.100.8:6003 > 203.0.113.10:9001 hashes, takes 800 ns a frame.
	const bytes steady_flow = udp64({198, 51, 100, 8}, 6003, server, 9001);
	for (int i = 0; i < 3500; i++)
		g.add(steady_flow, i ? 500 : 1000000);
	// No flow key: ARP, LLDP, an IPv4 header cut by a 30-byte snap length.
	for (int i = 0; i < 10; i++) {
		g.add(builder().eth(0x0806).raw({0, 1, 8, 0, 6, 4, 0, 1}).zeros(20).finish(), i ? 50000 : 1000000);
		g.add(builder().eth(0x88cc).raw({0x02, 0x07, 0x04}).zeros(30).finish(), 50000);
		g.add_snapped(tcp4({{192, 0, 2, 99}, 40999}, {server, 80}, 200), 30, 50000);
	}
	quiet(200);
}

void make_encaps(generator &g)
{
	const v4 a = {198, 51, 100, 1}, b = {203, 0, 113, 1};
	const v6 a6 = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
	const v6 b6 = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
	unsigned port = 61000; // a source port per encapsulation: one flow each
	auto udp4 = [&](builder &f) { return f.ipv4(a, b, 17).udp(port++, 61999).payload(22).finish(); };
	auto udp6 = [&](builder &f) { return f.ipv6(a6, b6, 17).udp(port++, 61999).payload(22).finish(); };
	const std::vector<std::function<bytes()>> frames = {
		[&] {
			builder f;
			return udp4(f.eth(0x0800));
		},
		[&] {
			builder f;
			return udp4(f.eth(0x8100).vlan(10, 0x0800));
		},
		[&] {
			builder f;
			return udp6(f.eth(0x88a8).vlan(20, 0x8100).vlan(21, 0x86dd));
		},
		[&] {
			builder f;
			return udp4(f.eth(0x9100).vlan(30, 0x0800));
		},
		[&] {
			builder f;
			return udp4(f.eth(0x8847).mpls(100, false).mpls(200, true));
		},
		[&] {
			builder f;
			return udp6(f.eth(0x8847).mpls(300, true));
		},
		[&] {
			builder f;
			return udp4(f.eth(0x8864).pppoe(0x0021));
		},
		[&] {
			builder f;
			return udp4(f.eth(0x8864).pppoe_pfc(0x21));
		},
		[&] {
			builder f;
			return udp6(f.eth(0x8864).pppoe_pfc(0x57));
		},
		[&] {
			builder f;
			return udp4(f.eth(8 + 50).raw(
				{0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00})); // 802.3 length: SNAP and the datagram
		},
		[&] {
			builder f;
			return udp4(f.eth(0x88e5).macsec(0x20, 0x0800));
		},
		[&] {
			builder f;
			return udp6(f.eth(0x88e5).macsec(0x00, 0x86dd));
		},
		[&] {
			builder f;
			return udp4(f.eth(0x88e5).macsec(0x20, 0x8100).vlan(40, 0x0800));
		},
		[&] {
			builder f;
			return udp4(f.eth(0x894f).nsh(1));
		},
		[&] {
			builder f;
			return udp6(f.eth(0x894f).nsh(2, 6));
		},
		[&] {
			builder f;
			return udp4(f.eth(0x894f).nsh(3).eth(0x0800));
		},
		[&] {
			builder f;
			return udp4(f.eth(0x8926).raw({0, 1, 0, 2}).be16(0x0800));
		},
		[&] {
			builder f;
			return udp6(f.eth(0x893f).raw({0, 0, 0, 1, 0, 0}).be16(0x86dd));
		},
		[&] {
			builder f;
			return udp4(f.eth(0x88e7).raw({0, 0, 0, 5}).eth(0x0800));
		},
		// Encrypted, changed (no key for anyone): the SecTAG and opaque data.
		[&] { return builder().eth(0x88e5).macsec(0x2c, 0x0800).payload(60).finish(); },
		[&] { return builder().eth(0x88e5).macsec(0x24, 0x0800).payload(60).finish(); },
	};
	for (int round = 0; round < 2; round++) {
		port = 61000;
		for (const auto &make : frames)
			g.add(make());
	}
}

// Raw IPv4 and IPv6 frames (for link types 12 and 14).
void make_raw(generator &g)
{
	const v6 a6 = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
	const v6 b6 = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
	for (unsigned i = 0; i < 4; i++) {
		g.add(builder()
			      .ipv4({198, 51, 100, 1}, {203, 0, 113, 1}, 17)
			      .udp(62000 + i, 62999)
			      .payload(20)
			      .finish());
		g.add(builder().ipv6(a6, b6, 6).tcp(62100 + i, 62998).payload(20).finish());
	}
}

} // namespace

int main(int argc, char **argv)
{
	const char *const profiles[] = {"mix", "drops", "encaps", "raw12", "raw14"};
	int p = -1;
	for (int i = 0; argc == 3 && i < 5; i++)
		if (std::strcmp(argv[1], profiles[i]) == 0)
			p = i;
	if (p < 0) {
		std::fprintf(stderr, "usage: pktpath-gencap mix|drops|encaps|raw12|raw14 OUT.pcap\n");
		return 2;
	}
	generator g(1767225600ull * 1000000000ull); // 2026-01-01T00:00:00Z
	switch (p) {
	case 0:
		make_mix(g);
		break;
	case 1:
		make_drops(g);
		break;
	case 2:
		make_encaps(g);
		break;
	default:
		make_raw(g);
		break;
	}
	const std::uint32_t linktype = p == 3   ? PKTPATH_LINKTYPE_RAW_DLT12
				       : p == 4 ? PKTPATH_LINKTYPE_RAW_DLT14
						: PKTPATH_LINKTYPE_ETHERNET;
	return g.write(argv[2], p == 1, linktype) ? 0 : 1;
}
