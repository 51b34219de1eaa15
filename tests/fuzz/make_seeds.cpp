// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// pktpath-fuzz-seeds OUT [CAPTURE...]: writes a seed corpus for every fuzz
// target into OUT/<target>/, one input a file: frames of every encapsulation
// the parser walks (and those of the captures given) under each flag set;
// small pcap and pcapng files of every record and block kind; table images
// of each layout and key format; rings of each sync and element size;
// pktpath-replay command lines.  Deterministic: the same build writes the
// same files.
#include <pktpath/capture/reader.hpp>
#include <pktpath/capture/synth.hpp>
#include <pktpath/ring/view.hpp>
#include <pktpath/table/stage_table.hpp>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "fuzz.hpp"
#include "unit/test_capture_util.hpp"
#include "unit/test_encaps.hpp"

namespace {

namespace fs = std::filesystem;
using bytes = std::vector<std::uint8_t>;
using pktpath::synth::builder;

fs::path out_dir;
std::size_t written = 0;

void seed(const char *target, const std::string &name, const bytes &b)
{
	const fs::path dir = out_dir / target;
	fs::create_directories(dir);
	std::FILE *f = std::fopen((dir / name).c_str(), "wb");
	if (!f || (!b.empty() && std::fwrite(b.data(), 1, b.size(), f) != b.size()) || std::fclose(f) != 0) {
		std::perror((dir / name).c_str());
		std::exit(1);
	}
	written++;
}

std::uint8_t linktype_index(std::uint32_t lt)
{
	for (std::size_t i = 0; i < pktpath_fuzz::parse_linktype_count; i++)
		if (pktpath_fuzz::parse_linktypes[i] == lt)
			return static_cast<std::uint8_t>(i);
	return 0;
}

void parse_seed(const std::string &name, std::uint32_t lt, unsigned flags, const bytes &frame)
{
	bytes in{linktype_index(lt), static_cast<std::uint8_t>(flags)};
	in.insert(in.end(), frame.begin(), frame.end());
	seed("parse", name, in);
}

void parse_seeds(const std::vector<std::string> &captures)
{
	// Every encapsulation under every flag set, then frames whose key stops
	// early (a later fragment, AH, encrypted MACsec, nested shims, ARP).
	unsigned n = 0;
	for (const encaps_test::encap_case &c : encaps_test::every_encapsulation())
		for (unsigned flags = 0; flags < 8; flags++)
			parse_seed("encap" + std::to_string(n++), c.linktype, flags, c.frame);
	const std::array<std::uint8_t, 16> a6 = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
	const std::array<std::uint8_t, 16> b6 = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
	const std::vector<bytes> stops = {
		builder().eth(0x0800).ipv4({10, 0, 0, 1}, {10, 0, 0, 2}, 17, 10).payload(20).finish(),
		builder()
			.eth(0x86dd)
			.ipv6(a6, b6, 0)
			.ext(43)
			.ext(44)
			.frag6(60, 0, true)
			.ext(51)
			.ah(6)
			.tcp(1, 2)
			.finish(),
		builder().eth(0x88e5).macsec(0x2c, 0x0800).zeros(40).finish(),
		builder().eth(0x894f).nsh(4, 6).nsh(3).eth(0x8926).raw({0, 1, 0, 2}).be16(0x0806).zeros(28).finish(),
		builder()
			.eth(0x0800)
			.ipv4({192, 0, 2, 1}, {192, 0, 2, 2}, 47)
			.gre(0x8847, 0xb000)
			.mpls(5, true)
			.ipv4({1, 1, 1, 1}, {2, 2, 2, 2}, 1)
			.payload(8)
			.finish(),
	};
	for (const bytes &f : stops)
		for (unsigned flags = 0; flags < 8; flags += 2)
			parse_seed("stop" + std::to_string(n++), PKTPATH_LINKTYPE_ETHERNET, flags, f);

	// Frames of real captures: each distinct (link type, first 64 bytes) once.
	std::vector<bytes> seen;
	for (const std::string &path : captures) {
		pktpath::capture::reader r;
		if (!r.open(path.c_str()))
			continue;
		pktpath::capture::frame f;
		while (r.next(f) && seen.size() < 4000) {
			bytes head{static_cast<std::uint8_t>(f.linktype), static_cast<std::uint8_t>(f.linktype >> 8)};
			head.insert(head.end(), f.data, f.data + (f.caplen < 64 ? f.caplen : 64));
			if (std::find(seen.begin(), seen.end(), head) != seen.end())
				continue;
			seen.push_back(head);
			parse_seed("frame" + std::to_string(seen.size()), f.linktype, seen.size() % 8,
				   bytes(f.data, f.data + f.caplen));
		}
	}
}

void capture_seeds()
{
	using namespace capture_test;
	for (bool big : {false, true})
		for (bool nsec : {false, true}) {
			bytes f = pcap_header(big, nsec);
			for (unsigned i = 0; i < 3; i++) {
				const bytes rec = pcap_record(big, i, i * 7, payload(60 + 10 * i, i), 60 + 20 * i);
				f.insert(f.end(), rec.begin(), rec.end());
			}
			seed("pcap", std::string("pcap") + (big ? "-be" : "-le") + (nsec ? "-ns" : "-us"), f);
		}
	for (bool big : {false, true}) {
		const bytes tsresol = option(big, 9, {9});                        // if_tsresol: nanoseconds
		const bytes tsoffset = option(big, 14, {1, 0, 0, 0, 0, 0, 0, 0}); // if_tsoffset
		bytes opts = tsresol;
		opts.insert(opts.end(), tsoffset.begin(), tsoffset.end());
		const bytes eoo = end_of_options(big);
		opts.insert(opts.end(), eoo.begin(), eoo.end());
		bytes f = shb(big, 1, 0, option(big, 2, {'x', 'y'}));
		for (const bytes &b : {idb(big, 1, 65535), idb(big, 101, 128, opts),
				       epb(big, 0, 12345, payload(64, 1), 64, option(big, 1, {'c'})),
				       epb(big, 1, 99, payload(40, 2), 80), spb(big, payload(30, 3), 30),
				       legacy_pb(big, 0, 5, payload(20, 4), 20), block(big, 4, {0, 0, 0, 0}),
				       block(big, 5, payload(16, 5)), block(big, 0x00000bad, payload(12, 6)),
				       block(big, 0x40000bad, payload(8, 7)), block(big, 10, payload(8, 8)), shb(!big),
				       idb(!big, 1, 0), epb(!big, 0, 1, payload(50, 9), 50)})
			f.insert(f.end(), b.begin(), b.end());
		seed("pcapng", big ? "sections-be" : "sections-le", f);
	}
}

struct chain3 {
	enum : unsigned { a, b, c };
	static constexpr pktpath::stage_def stages[] = {{"a", pktpath::no_pred}, {"b", a}, {"c", a}};
};

template <class Table>
void image_seed(const char *name, std::uint32_t capacity, unsigned shards)
{
	pktpath::table_options o;
	o.shards = shards;
	Table t = Table::create(capacity, o);
	for (std::uint32_t i = 0; i < capacity / 2 + 2; i++) { // then the overflow row too
		typename Table::key_type k{};
		std::memcpy(&k, &i, sizeof i < sizeof k ? sizeof i : sizeof k);
		const std::uint64_t row = t.row(k);
		for (unsigned s = 0; s < Table::stage_count; s += 2)
			t.add(row, s, 60 + i, i % shards);
	}
	t.count_unclassified(0, PKTPATH_TRUNCATED, 10);
	const auto *p = static_cast<const std::uint8_t *>(t.data());
	seed("table_image", name, bytes(p, p + t.size()));
}

struct opaque_key {
	std::uint32_t id;
	std::uint16_t port;
	std::uint16_t pad;
};

void table_seeds()
{
	using namespace pktpath;
	image_seed<stage_table<>>("shared-linux_rx", 16, 1);
	image_seed<stage_table<flow_key, linux_rx, per_writer_counters>>("per_writer-linux_rx", 16, 3);
	image_seed<stage_table<ipv4_5tuple, chain3>>("ipv4-chain3", 32, 1);
	image_seed<stage_table<opaque_key, chain3, per_writer_counters>>("opaque-chain3", 8, 2);
}

template <class T, pktpath::sync P, pktpath::sync C>
void ring_seed(const char *name, std::uint32_t capacity, unsigned fill)
{
	using view = pktpath::ring_view<T, P, C>;
	const std::size_t n = view::required_bytes(capacity);
	pktpath_fuzz::exact_copy mem(bytes(n).data(), n, pktpath::ring_header::line_pair);
	view r = view::create(mem.data(), n, capacity);
	for (unsigned i = 0; i < fill; i++)
		r.enqueue(static_cast<T>(i));
	T x;
	r.dequeue(x);
	seed("ring_attach", name, bytes(mem.data(), mem.data() + n));
}

void ring_seeds()
{
	using pktpath::sync;
	ring_seed<std::uint64_t, sync::single, sync::single>("spsc64", 8, 5);
	ring_seed<std::uint32_t, sync::single, sync::single>("spsc32", 16, 17);
	ring_seed<std::uint64_t, sync::multi, sync::multi>("mpmc64", 4, 2);
	ring_seed<std::uint64_t, sync::single, sync::multi>("spmc64", 2, 2);
}

void cli_seeds()
{
	const std::vector<std::vector<std::string>> lines = {
		{"a.pcap"},
		{"--json", "--top", "all", "--proto", "udp", "--dst", "10.0.0.0/8", "a.pcap", "b.pcapng"},
		{"--mode", "live", "--speed", "max", "--busy-poll", "--cpus", "4", "x.pcap"},
		{"--ring", "256", "--weight", "16", "--budget", "30", "--time-limit", "50", "--max-backlog", "8", "y"},
		{"--rate", "10Gbps", "--symmetric", "--inner", "--vlan-key", "--vlan", "7", "--host", "2001:db8::/32",
		 "z"},
		{"--rate", "250kpps", "--csv", "--flows", "64", "--prom", "p.prom", "--dump-drops", "d.pcap", "f"},
		{"--speed", "0.5x", "--port", "53", "--sport", "1", "--dport", "2", "--src", "192.0.2.1", "--proto",
		 "ah", "f"},
		{"--poll-cost", "0", "--cost", "30000", "--no-progress", "f"},
		{"--help"},
		{"--mode", "sim", "--speed", "max", "f"},
	};
	unsigned i = 0;
	for (const auto &l : lines) {
		bytes b;
		for (const std::string &a : l) {
			b.insert(b.end(), a.begin(), a.end());
			b.push_back(0);
		}
		seed("replay_cli", "line" + std::to_string(i++), b);
	}
}

} // namespace

int main(int argc, char **argv)
{
	if (argc < 2) {
		std::fprintf(stderr, "usage: pktpath-fuzz-seeds OUT [CAPTURE...]\n");
		return 2;
	}
	out_dir = argv[1];
	parse_seeds(std::vector<std::string>(argv + 2, argv + argc));
	capture_seeds();
	table_seeds();
	ring_seeds();
	cli_seeds();
	std::printf("pktpath-fuzz-seeds: %zu seeds in %s\n", written, argv[1]);
	return 0;
}
